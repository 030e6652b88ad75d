// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * flow_table.c - owns the flows: a chained hash index over records kept in
 * one reserved mapping, and three time-ordered lists that make expiry O(1) per
 * ended flow (no scan of the table):
 *
 *   lru      flows without FIN/RST, least recently seen first (idle timeout);
 *   closing  flows with FIN/RST seen, least recently seen first (grace);
 *   active   every flow, oldest start first (active timeout).
 *
 * A packet moves its flow to the tail of lru (or closing); start times never
 * change, so active stays ordered by itself. An active timeout ends the
 * record: the next packet of the same key opens a new interval.
 */
#define _GNU_SOURCE /* mremap */
#include "flow_table.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define NIL G_MAXUINT32
/* Below this many flows, batching costs more instructions than it saves in cache misses. */
#define FLOW_BATCH_MIN_FLOWS 65536
#define TCP_FIN		     0x01
#define TCP_RST		     0x04

/*
 * DOC: one flow, 112 bytes. Owned by the table's record mapping; referred to
 * by index everywhere, never by pointer across calls. hnext chains the hash bucket, or the free
 * list when unused. The start is kept as an age (last_ms - start_ms), bounded by active_timeout.
 * seen orders packets within one millisecond (compared only between flows
 * with the same last_ms, so its wrap-around is harmless).
 */
struct flow {
	struct rfm_flow_key key;
	guint32 hnext;
	guint64 packets;
	guint64 octets;
	guint64 last_ms;
	guint32 age_ms;
	guint32 lru_prev, lru_next; /* in lru or closing, per flow_closing() */
	guint32 act_prev, act_next;
	guint32 other_ifindex;
	guint32 seen;
	guint32 sampling;    /* the 1-in-N rate of every packet counted */
	guint16 next_hop_id; /* 0 = none, else index + 1 into next_hops */
	guint8 tcp_flags;
	guint8 dscp;
};
_Static_assert(sizeof(struct flow) == 112, "struct flow size");

struct list {
	guint32 head, tail;
};

/* DOC: the table. Owned by its creator; sinks' user_data are borrowed. */
struct rfm_flow_table {
	struct rfm_flow_table_options opts;
	struct flow *recs; /* owned mapping of cap records, reserved, touched as used */
	gsize cap;	   /* records the mapping can hold (>= max_flows) */
	guint32 nrecords;  /* records handed out from recs so far (high-water mark) */
	guint32 free_head; /* free list through hnext */
	guint32 *buckets;  /* owned */
	guint32 nbuckets;  /* power of two */
	guint64 seed;
	struct list lru, closing, active;
	GArray *sinks;		  /* struct sink */
	GPtrArray *next_hops;	  /* guint8[16], owned; id = index + 1 */
	GHashTable *next_hop_ids; /* guint8[16] (borrowed from next_hops) -> id */
	guint16 last_nh_id;	  /* one-entry cache for the common case */
	struct rfm_flow_table_stats stats;
};

struct sink {
	rfm_flow_sink_fn fn;
	void *user_data;
};

static inline struct flow *flow_at(const struct rfm_flow_table *t, guint32 i)
{
	return &t->recs[i];
}

static inline guint64 flow_start(const struct flow *f)
{
	return f->last_ms - f->age_ms;
}

/* Whether a was seen before b. */
static inline bool seen_before(const struct flow *a, const struct flow *b)
{
	if (a->last_ms != b->last_ms)
		return a->last_ms < b->last_ms;
	return (gint32)(a->seen - b->seen) < 0;
}

static inline bool flow_closing(const struct rfm_flow_table *t, const struct flow *f)
{
	return t->opts.tcp_end && f->key.protocol == 6 && (f->tcp_flags & (TCP_FIN | TCP_RST));
}

/*
 * Hash of the 44 key bytes: three 64x64->128-bit multiplies folded
 * (wyhash-style), seeded per table so keys cannot be chosen to collide.
 */
static inline guint64 mum(guint64 a, guint64 b)
{
	unsigned __int128 m = (unsigned __int128)a * b;

	return (guint64)m ^ (guint64)(m >> 64);
}

static inline guint32 key_hash(const struct rfm_flow_table *t, const struct rfm_flow_key *k)
{
	guint64 w[5], h;
	guint32 tail;

	memcpy(w, k, sizeof(w));
	memcpy(&tail, (const guint8 *)k + sizeof(w), sizeof(tail));
	h = mum(w[0] ^ t->seed, w[1] ^ 0xe7037ed1a0b428dbULL) ^
	    mum(w[2] ^ 0xa0761d6478bd642fULL, w[3] ^ 0x8ebc6af09c88c6e3ULL) ^
	    mum(w[4] ^ 0x589965cc75374cc3ULL, (guint64)tail ^ 0x1d8e4e27c47d124fULL);
	h = mum(h, 0x9e3779b97f4a7c15ULL);
	return (guint32)(h ^ (h >> 32));
}

/* --- lists ---------------------------------------------------------------- */

#define LIST_FNS(name, prev, next)                                                            \
	static inline void name##_append(struct rfm_flow_table *t, struct list *l, guint32 i) \
	{                                                                                     \
		struct flow *f = flow_at(t, i);                                               \
		f->prev = l->tail;                                                            \
		f->next = NIL;                                                                \
		if (l->tail != NIL)                                                           \
			flow_at(t, l->tail)->next = i;                                        \
		else                                                                          \
			l->head = i;                                                          \
		l->tail = i;                                                                  \
	}                                                                                     \
	static inline void name##_unlink(struct rfm_flow_table *t, struct list *l, guint32 i) \
	{                                                                                     \
		struct flow *f = flow_at(t, i);                                               \
		if (f->prev != NIL)                                                           \
			flow_at(t, f->prev)->next = f->next;                                  \
		else                                                                          \
			l->head = f->next;                                                    \
		if (f->next != NIL)                                                           \
			flow_at(t, f->next)->prev = f->prev;                                  \
		else                                                                          \
			l->tail = f->prev;                                                    \
	}

LIST_FNS(lru, lru_prev, lru_next)
LIST_FNS(act, act_prev, act_next)

static struct list *lru_of(struct rfm_flow_table *t, const struct flow *f)
{
	return flow_closing(t, f) ? &t->closing : &t->lru;
}

/* --- index ---------------------------------------------------------------- */

static void buckets_resize(struct rfm_flow_table *t, guint32 n)
{
	guint32 *old = t->buckets, nold = t->nbuckets;

	t->buckets = g_new(guint32, n);
	memset(t->buckets, 0xff, sizeof(guint32) * n);
	t->nbuckets = n;
	for (guint32 b = 0; old && b < nold; b++) {
		for (guint32 i = old[b], next; i != NIL; i = next) {
			struct flow *f = flow_at(t, i);
			guint32 nb = key_hash(t, &f->key) & (n - 1);

			next = f->hnext;
			f->hnext = t->buckets[nb];
			t->buckets[nb] = i;
		}
	}
	g_free(old);
}

static guint32 index_find(const struct rfm_flow_table *t, const struct rfm_flow_key *k, guint32 h)
{
	for (guint32 i = t->buckets[h & (t->nbuckets - 1)]; i != NIL;) {
		struct flow *f = flow_at(t, i);

		if (!memcmp(&f->key, k, sizeof(*k)))
			return i;
		i = f->hnext;
	}
	return NIL;
}

static void index_remove(struct rfm_flow_table *t, guint32 i)
{
	struct flow *f = flow_at(t, i);
	guint32 *p = &t->buckets[key_hash(t, &f->key) & (t->nbuckets - 1)];

	while (*p != i)
		p = &flow_at(t, *p)->hnext;
	*p = f->hnext;
}

/* --- next hops ------------------------------------------------------------ */

static guint nh_hash(gconstpointer p)
{
	guint32 w[4];

	memcpy(w, p, 16);
	return (w[0] * 2654435761U) ^ w[1] ^ (w[2] * 40503U) ^ w[3];
}

static gboolean nh_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, 16);
}

static guint16 next_hop_id(struct rfm_flow_table *t, const guint8 nh[16])
{
	guint8 *copy;
	guint id;

	if (t->last_nh_id && !memcmp(g_ptr_array_index(t->next_hops, t->last_nh_id - 1), nh, 16))
		return t->last_nh_id;
	id = GPOINTER_TO_UINT(g_hash_table_lookup(t->next_hop_ids, nh));
	if (!id) {
		if (t->next_hops->len >= t->opts.max_next_hops ||
		    t->next_hops->len >= G_MAXUINT16) {
			t->stats.next_hops_dropped++;
			return 0;
		}
		copy = g_memdup2(nh, 16);
		g_ptr_array_add(t->next_hops, copy);
		id = t->next_hops->len;
		g_hash_table_insert(t->next_hop_ids, copy, GUINT_TO_POINTER(id));
	}
	t->last_nh_id = id;
	return id;
}

/* --- records -------------------------------------------------------------- */

static guint32 record_alloc(struct rfm_flow_table *t)
{
	guint32 i = t->free_head;

	if (i != NIL) {
		t->free_head = flow_at(t, i)->hnext;
		return i;
	}
	return t->nrecords++; /* < max_flows <= cap: the caller evicted first */
}

static void deliver(struct rfm_flow_table *t, const struct flow *f, enum rfm_end_reason reason)
{
	struct rfm_flow_record rec;

	rec.key = f->key;
	rec.packets = f->packets;
	rec.octets = f->octets;
	rec.start_ms = flow_start(f);
	rec.end_ms = f->last_ms;
	rec.other_ifindex = f->other_ifindex;
	rec.has_next_hop = f->next_hop_id != 0;
	if (rec.has_next_hop)
		memcpy(rec.next_hop, g_ptr_array_index(t->next_hops, f->next_hop_id - 1), 16);
	else
		memset(rec.next_hop, 0, sizeof(rec.next_hop));
	rec.tcp_flags = f->tcp_flags;
	rec.sampling = f->sampling;
	rec.dscp = f->dscp;
	rec.end_reason = reason;
	t->stats.ended[reason]++;
	for (guint s = 0; s < t->sinks->len; s++) {
		struct sink *k = &g_array_index(t->sinks, struct sink, s);

		k->fn(&rec, k->user_data);
	}
}

/* Deliver flow i with reason and free it. */
static void flow_end(struct rfm_flow_table *t, guint32 i, enum rfm_end_reason reason)
{
	struct flow *f = flow_at(t, i);

	deliver(t, f, reason);
	lru_unlink(t, lru_of(t, f), i);
	act_unlink(t, &t->active, i);
	index_remove(t, i);
	f->hnext = t->free_head;
	t->free_head = i;
	t->stats.active--;
}

/*
 * When flow f ends if no packet comes: the earliest of its idle (or grace)
 * and active deadlines, with the reason that goes with it.
 */
static inline guint64 deadline_of(const struct rfm_flow_table *t, const struct flow *f,
				  bool closing, enum rfm_end_reason *reason)
{
	guint64 quiet = f->last_ms + (closing ? t->opts.tcp_end_grace_ms : t->opts.idle_timeout_ms);
	guint64 active = flow_start(f) + t->opts.active_timeout_ms;

	/* On a tie the smaller flowEndReason wins: idle (1) < active (2) < end (3). */
	if (active < quiet || (active == quiet && closing)) {
		*reason = RFM_END_ACTIVE;
		return active;
	}
	*reason = closing ? RFM_END_EOF : RFM_END_IDLE;
	return quiet;
}

static guint64 flow_deadline(const struct rfm_flow_table *t, const struct flow *f,
			     enum rfm_end_reason *reason)
{
	return deadline_of(t, f, flow_closing(t, f), reason);
}

/* The least recently seen flow, from lru or closing. */
static guint32 flow_lru_victim(const struct rfm_flow_table *t)
{
	guint32 a = t->lru.head, b = t->closing.head;

	if (a == NIL)
		return b;
	if (b == NIL)
		return a;
	return seen_before(flow_at(t, b), flow_at(t, a)) ? b : a;
}

/* The fields of an event a flow keeps besides its key. */
static inline void sample_from_event(struct rfm_flow_sample *s, const struct rfm_event *ev)
{
	s->packets = ev->packets;
	s->octets = ev->octets;
	s->other_ifindex = ev->other_ifindex;
	s->sampling = ev->sample_rate;
	s->tcp_flags = ev->tcp_flags;
	s->dscp = ev->dscp;
	s->next_hop = (ev->flags & RFM_EV_NEXT_HOP) ? ev->next_hop : NULL;
}

static inline void key_from_event(struct rfm_flow_key *key, const struct rfm_event *ev)
{
	memcpy(key->src_addr, ev->src_addr, 16);
	memcpy(key->dst_addr, ev->dst_addr, 16);
	key->ifindex = ev->ifindex;
	key->protocol = ev->protocol;
	key->direction = ev->direction;
	key->ip_version = ev->ip_version;
	key->vlan_id = (ev->flags & RFM_EV_VLAN_OUTER) ? ev->vlan_outer : 0;
	if (ev->protocol == 1 || ev->protocol == 58) {
		key->src_port = 0;
		key->dst_port = (guint16)(ev->icmp_type << 8 | ev->icmp_code);
	} else {
		key->src_port = ev->src_port;
		key->dst_port = ev->dst_port;
	}
}

void rfm_flow_key_from_event(struct rfm_flow_key *key, const struct rfm_event *ev)
{
	key_from_event(key, ev);
}

static inline __attribute__((always_inline)) void
update_one(struct rfm_flow_table *t, const struct rfm_flow_key *key, guint32 h,
	   const struct rfm_flow_sample *ev, guint64 now_ms)
{
	enum rfm_end_reason reason;
	struct list *was = NULL, *now;
	bool closing = false;
	struct flow *f;
	guint32 i;

	t->stats.updates++;
	i = index_find(t, key, h);
	if (i != NIL) {
		f = flow_at(t, i);
		closing = flow_closing(t, f);
		/* Due but not yet swept: end it now so this packet opens a new flow. */
		if (deadline_of(t, f, closing, &reason) <= now_ms) {
			flow_end(t, i, reason);
			i = NIL;
		} else if (f->sampling != ev->sampling) {
			/* The rate changed: a record never mixes rates. */
			flow_end(t, i, RFM_END_FORCED);
			i = NIL;
		}
	}
	if (i == NIL) {
		if (t->stats.active >= t->opts.max_flows) {
			/* Flows already due end with their own reason, not as victims. */
			rfm_flow_table_expire(t, now_ms);
			if (t->stats.active >= t->opts.max_flows)
				flow_end(t, flow_lru_victim(t), RFM_END_RESOURCES);
		}
		i = record_alloc(t);
		f = flow_at(t, i);
		closing = false;
		f->key = *key;
		f->sampling = ev->sampling;
		f->packets = 0;
		f->octets = 0;
		f->last_ms = now_ms;
		f->age_ms = 0;
		f->tcp_flags = 0;
		f->dscp = ev->dscp;
		f->other_ifindex = ev->other_ifindex;
		f->next_hop_id = ev->next_hop ? next_hop_id(t, ev->next_hop) : 0;
		f->hnext = t->buckets[h & (t->nbuckets - 1)];
		t->buckets[h & (t->nbuckets - 1)] = i;
		act_append(t, &t->active, i);
		t->stats.created++;
		if (++t->stats.active > t->nbuckets)
			buckets_resize(t, t->nbuckets * 2);
	} else {
		was = closing ? &t->closing : &t->lru;
	}
	f->packets += ev->packets;
	f->octets += ev->octets;
	if (now_ms > f->last_ms) {
		f->age_ms += (guint32)(now_ms - f->last_ms);
		f->last_ms = now_ms;
	}
	f->seen = (guint32)t->stats.updates;
	f->tcp_flags |= ev->tcp_flags;
	/* FIN and RST only ever move a flow from lru to closing. */
	if (!closing && (ev->tcp_flags & (TCP_FIN | TCP_RST)))
		closing = flow_closing(t, f);
	now = closing ? &t->closing : &t->lru;
	/* Most packets belong to the flow seen last: then nothing moves. */
	if (was == now && now->tail == i)
		return;
	if (was)
		lru_unlink(t, was, i);
	lru_append(t, now, i);
}

void rfm_flow_table_update(struct rfm_flow_table *t, const struct rfm_event *ev, guint64 now_ms)
{
	struct rfm_flow_key key;
	struct rfm_flow_sample sample;

	key_from_event(&key, ev);
	sample_from_event(&sample, ev);
	update_one(t, &key, key_hash(t, &key), &sample, now_ms);
}

void rfm_flow_batch_add(struct rfm_flow_table *t, struct rfm_flow_batch *b,
			const struct rfm_event *ev, guint64 now_ms)
{
	guint n = b->n;

	/*
	 * A table that fits in the caches gains nothing from prefetching: account
	 * the event at once (fewer instructions), unless events already wait.
	 */
	if (n == 0 && t->stats.active < t->opts.batch_min_flows) {
		rfm_flow_table_update(t, ev, now_ms);
		return;
	}
	key_from_event(&b->key[n], ev);
	sample_from_event(&b->sample[n], ev);
	/* The ring record does not outlive this call: keep the next hop here. */
	if (b->sample[n].next_hop) {
		memcpy(b->next_hop[n], ev->next_hop, 16);
		b->sample[n].next_hop = b->next_hop[n];
	}
	b->hash[n] = key_hash(t, &b->key[n]);
	b->now_ms[n] = now_ms;
	/* The bucket will be needed a few events from now. */
	__builtin_prefetch(&t->buckets[b->hash[n] & (t->nbuckets - 1)]);
	if (++b->n == RFM_FLOW_BATCH)
		rfm_flow_table_update_batch(t, b);
}

void rfm_flow_table_update_batch(struct rfm_flow_table *t, struct rfm_flow_batch *b)
{
	guint n = b->n;

	/* The first record of each bucket (buckets may change on the way)... */
	for (guint j = 0; j < n; j++) {
		guint32 i = t->buckets[b->hash[j] & (t->nbuckets - 1)];

		if (i != NIL)
			__builtin_prefetch(flow_at(t, i));
	}
	/* ...then account the events in order, as rfm_flow_table_update() would. */
	for (guint j = 0; j < n; j++)
		update_one(t, &b->key[j], b->hash[j], &b->sample[j], b->now_ms[j]);
	b->n = 0;
}

/* The list head that ends first at or before now_ms, or NIL. */
static guint32 next_due(struct rfm_flow_table *t, guint64 now_ms, enum rfm_end_reason *reason)
{
	const struct list *lists[] = {&t->lru, &t->closing, &t->active};
	guint64 best = G_MAXUINT64;
	guint32 victim = NIL;

	for (gsize l = 0; l < G_N_ELEMENTS(lists); l++) {
		enum rfm_end_reason r;
		guint64 d;

		if (lists[l]->head == NIL)
			continue;
		d = flow_deadline(t, flow_at(t, lists[l]->head), &r);
		if (d <= now_ms && (d < best || (d == best && r < *reason))) {
			best = d;
			*reason = r;
			victim = lists[l]->head;
		}
	}
	return victim;
}

void rfm_flow_table_expire(struct rfm_flow_table *t, guint64 now_ms)
{
	enum rfm_end_reason reason = RFM_END_IDLE;
	guint32 i;

	while ((i = next_due(t, now_ms, &reason)) != NIL)
		flow_end(t, i, reason);
}

void rfm_flow_table_flush(struct rfm_flow_table *t)
{
	while (t->active.head != NIL)
		flow_end(t, t->active.head, RFM_END_FORCED);
}

void rfm_flow_table_flush_interface(struct rfm_flow_table *t, guint32 ifindex)
{
	for (guint32 i = t->active.head, next; i != NIL; i = next) {
		next = flow_at(t, i)->act_next;
		if (flow_at(t, i)->key.ifindex == ifindex)
			flow_end(t, i, RFM_END_FORCED);
	}
}

/*
 * Reserve address space for n records without committing memory (pages are
 * committed as records are first used); grow an existing mapping, which may
 * move: records are referred to by index only.
 */
static void records_reserve(struct rfm_flow_table *t, gsize n)
{
	gsize bytes = n * sizeof(struct flow);
	void *m;

	if (n <= t->cap)
		return;
	if (t->recs)
		m = mremap(t->recs, t->cap * sizeof(struct flow), bytes, MREMAP_MAYMOVE);
	else
		m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		g_error("flow table: cannot reserve %" G_GSIZE_FORMAT " bytes: %s", bytes,
			g_strerror(errno));
	t->recs = m;
	t->cap = n;
}

struct rfm_flow_table *rfm_flow_table_new(const struct rfm_flow_table_options *opts)
{
	struct rfm_flow_table *t = g_new0(struct rfm_flow_table, 1);

	t->opts = *opts;
	t->opts.max_flows = MAX(1, opts->max_flows);
	if (!t->opts.batch_min_flows)
		t->opts.batch_min_flows = FLOW_BATCH_MIN_FLOWS;
	records_reserve(t, t->opts.max_flows);
	t->free_head = NIL;
	t->lru.head = t->lru.tail = NIL;
	t->closing.head = t->closing.tail = NIL;
	t->active.head = t->active.tail = NIL;
	t->seed = ((guint64)g_random_int() << 32) | g_random_int();
	t->sinks = g_array_new(FALSE, FALSE, sizeof(struct sink));
	t->next_hops = g_ptr_array_new_with_free_func(g_free);
	t->next_hop_ids = g_hash_table_new(nh_hash, nh_equal);
	buckets_resize(t, 1024);
	return t;
}

void rfm_flow_table_free(struct rfm_flow_table *t)
{
	if (!t)
		return;
	if (t->recs)
		munmap(t->recs, t->cap * sizeof(struct flow));
	g_free(t->buckets);
	g_array_unref(t->sinks);
	g_hash_table_destroy(t->next_hop_ids);
	g_ptr_array_unref(t->next_hops);
	g_free(t);
}

void rfm_flow_table_set_options(struct rfm_flow_table *t, const struct rfm_flow_table_options *opts,
				guint64 now_ms)
{
	/* What was due under the old options ends under them. */
	rfm_flow_table_expire(t, now_ms);
	if (opts->tcp_end != t->opts.tcp_end) {
		/* Which flows are closing changes: rebuild both lists in recency order. */
		guint32 a = t->lru.head, b = t->closing.head;

		t->lru.head = t->lru.tail = t->closing.head = t->closing.tail = NIL;
		t->opts.tcp_end = opts->tcp_end;
		while (a != NIL || b != NIL) {
			guint32 i;

			if (b == NIL || (a != NIL && seen_before(flow_at(t, a), flow_at(t, b)))) {
				i = a;
				a = flow_at(t, a)->lru_next;
			} else {
				i = b;
				b = flow_at(t, b)->lru_next;
			}
			lru_append(t, lru_of(t, flow_at(t, i)), i);
		}
	}
	t->opts = *opts;
	t->opts.max_flows = MAX(1, opts->max_flows);
	if (!t->opts.batch_min_flows)
		t->opts.batch_min_flows = FLOW_BATCH_MIN_FLOWS;
	records_reserve(t, t->opts.max_flows);
	while (t->stats.active > t->opts.max_flows)
		flow_end(t, flow_lru_victim(t), RFM_END_RESOURCES);
	/* And what is due under the new ones ends now. */
	rfm_flow_table_expire(t, now_ms);
}

void rfm_flow_table_add_sink(struct rfm_flow_table *t, rfm_flow_sink_fn fn, void *user_data)
{
	struct sink s = {fn, user_data};

	g_array_append_val(t->sinks, s);
}

void rfm_flow_table_get_stats(const struct rfm_flow_table *t, struct rfm_flow_table_stats *out)
{
	*out = t->stats;
	out->capacity = t->opts.max_flows;
}

gsize rfm_flow_table_memory(const struct rfm_flow_table *t)
{
	gsize page = 4096;

	/* Pages of the mapping are committed when first written. */
	return (t->nrecords * sizeof(struct flow) + page - 1) / page * page +
	       (gsize)t->nbuckets * sizeof(guint32) + (gsize)t->next_hops->len * (16 + 32);
}

const char *rfm_end_reason_name(enum rfm_end_reason r)
{
	static const char *const names[RFM_END_MAX] = {
		[RFM_END_IDLE] = "idle",	   [RFM_END_ACTIVE] = "active",
		[RFM_END_EOF] = "end_of_flow",	   [RFM_END_FORCED] = "forced",
		[RFM_END_RESOURCES] = "resources",
	};

	return r > 0 && r < RFM_END_MAX ? names[r] : "?";
}
