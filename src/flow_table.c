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
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#define NIL G_MAXUINT32
/* Below this many flows, batching costs more instructions than it saves in cache misses. */
#define FLOW_BATCH_MIN_FLOWS 65536
#define TCP_FIN		     0x01
#define TCP_RST		     0x04

/*
 * DOC: one flow, 112 bytes. Owned by the table's record mapping; referred to
 * by offset (flow_at()) everywhere, never by pointer across calls. hnext
 * chains the hash bucket, or the free list when unused. The start is kept as
 * an age (last_ms - start_ms), bounded by active_timeout. seen orders packets
 * within one millisecond (compared only between flows with the same last_ms,
 * so its wrap-around is harmless). closing is flow_closing() kept up to date:
 * the lru list the flow is in. What a packet of a known flow reads and
 * writes comes first (bytes 0..99: dscp_tag holds the hooks' tag), the
 * fields only its first packet writes last.
 */
struct flow {
	struct rfm_flow_key key;
	guint32 hnext;
	guint64 packets;
	guint64 octets;
	guint64 last_ms;
	guint32 age_ms;
	guint32 seen;
	guint32 sampling;	    /* the 1-in-N rate of every packet counted */
	guint32 lru_prev, lru_next; /* in lru[closing] */
	guint8 tcp_flags;
	guint8 closing;
	guint16 next_hop_id; /* 0 = none, else index + 1 into next_hops */
	guint32 dscp_tag;    /* DSCP of the first packet in bits 0..7, the tag in 8..31 */
	guint32 other_ifindex;
	guint32 act_prev, act_next;
};
_Static_assert(sizeof(struct flow) == 112, "struct flow size");
_Static_assert(offsetof(struct flow, closing) == 93 && offsetof(struct flow, dscp_tag) == 96,
	       "struct flow: hot fields first");
#define FLOW_HOT_END (offsetof(struct flow, dscp_tag) + sizeof(guint32) - 1)

static inline guint32 flow_tag(const struct flow *f)
{
	return f->dscp_tag >> 8;
}

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
	guint32 *buckets;  /* owned, mask + 1 of them (a power of two) */
	guint32 mask;
	guint64 seed[6];     /* of the hash, random per table */
	guint32 quiet_ms[2]; /* by flow.closing: idle timeout, TCP end grace */
	struct list lru[2];  /* by flow.closing: flows without FIN/RST, closing flows */
	struct list active;
	GArray *sinks;		     /* struct sink */
	GPtrArray *next_hops;	     /* guint8[16], owned; id = index + 1 */
	GHashTable *next_hop_ids;    /* guint8[16] (borrowed from next_hops) -> id */
	guint16 last_nh_id;	     /* one-entry cache for the common case */
	struct rfm_flow_hooks hooks; /* borrowed; all NULL without */
	struct rfm_flow_table_stats stats;
};

struct sink {
	rfm_flow_sink_fn fn;
	void *user_data;
};

/*
 * A flow is referred to (buckets, chains, lists, free list) by its offset in
 * the record mapping in 16-byte units, not by its index: 112 = 7 x 16, so a
 * reference becomes an address with a shift, where an index needs a
 * multiplication by 112 (three instructions on x86-64), and an update makes
 * four of them. References stay below NIL: at most FLOW_MAX_RECORDS records.
 */
#define FLOW_UNIT	 16
#define FLOW_UNITS	 (sizeof(struct flow) / FLOW_UNIT)
#define FLOW_MAX_RECORDS ((guint32)(NIL / FLOW_UNITS))
_Static_assert(sizeof(struct flow) % FLOW_UNIT == 0, "struct flow: a whole number of units");

static inline struct flow *flow_at(const struct rfm_flow_table *t, guint32 ref)
{
	return (struct flow *)((char *)t->recs + (gsize)ref * FLOW_UNIT);
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

static inline guint64 load64(const void *p)
{
	guint64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline guint32 load32(const void *p)
{
	guint32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * DOC: a key as the words the hash and the comparison read: key bytes 0..31
 * (the addresses) stay where they are (in the event or the record), w4 holds
 * bytes 32..39 (ifindex, ports) and w5 bytes 40..43 (VLAN, protocol,
 * direction, IP version), both in memory order, so that words built from an
 * event equal the words read from the key stored for it. Built in registers:
 * going through a struct in memory would cost a store and a reload each.
 */
struct key_tail {
	guint64 w4;
	guint32 w5;
};
_Static_assert(offsetof(struct rfm_flow_key, dst_addr) == 16 &&
		       offsetof(struct rfm_flow_key, ifindex) == 32 &&
		       offsetof(struct rfm_flow_key, src_port) == 36 &&
		       offsetof(struct rfm_flow_key, dst_port) == 38 &&
		       offsetof(struct rfm_flow_key, vlan_id) == 40 &&
		       offsetof(struct rfm_flow_key, protocol) == 42,
	       "rfm_flow_key: the words of struct key_tail");
_Static_assert(offsetof(struct rfm_event, dst_addr) == offsetof(struct rfm_event, src_addr) + 16 &&
		       offsetof(struct rfm_event, dst_port) ==
			       offsetof(struct rfm_event, src_port) + 2,
	       "rfm_event: addresses and ports in key order");

/* The 32 address bytes of an event, where a key has them. */
static inline const guint8 *event_addrs(const struct rfm_event *ev)
{
	return (const guint8 *)ev + offsetof(struct rfm_event, src_addr);
}

static inline struct key_tail key_tail_of(const struct rfm_flow_key *k)
{
	const guint8 *p = (const guint8 *)k;

	return (struct key_tail){load64(p + 32), load32(p + 40)};
}

static inline void key_store(struct rfm_flow_key *k, const guint8 *addrs, struct key_tail kt)
{
	guint8 *p = (guint8 *)k;

	memcpy(p, addrs, 32);
	memcpy(p + 32, &kt.w4, 8);
	memcpy(p + 40, &kt.w5, 4);
}

/*
 * The key rules (flow_table.h): ICMP carries type and code in dst_port, an
 * event without an outer VLAN tag has vlan_id 0, the inner tag is ignored.
 * Byte 43 holds the bit-fields direction:1 and ip_version:7, allocated from
 * the least significant bit on a little-endian target and from the most
 * significant one on a big-endian target (GCC and Clang, System V ABIs).
 */
static inline struct key_tail key_tail_from_event(const struct rfm_event *ev)
{
	/* src_port, dst_port in memory order */
	guint32 ports = load32((const guint8 *)ev + offsetof(struct rfm_event, src_port));
	guint32 vlan = (ev->flags & RFM_EV_VLAN_OUTER) ? ev->vlan_outer : 0;

	if (G_UNLIKELY(ev->protocol == 1 || ev->protocol == 58)) {
		const guint16 icmp[2] = {0, (guint16)(ev->icmp_type << 8 | ev->icmp_code)};

		ports = load32(icmp);
	}
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
	return (struct key_tail){
		ev->ifindex | (guint64)ports << 32,
		vlan | (guint32)ev->protocol << 16 |
			(guint32)((ev->direction & 1) | (ev->ip_version & 0x7f) << 1) << 24,
	};
#else
	return (struct key_tail){
		(guint64)ev->ifindex << 32 | ports,
		vlan << 16 | (guint32)ev->protocol << 8 |
			(guint32)((ev->direction & 1) << 7 | (ev->ip_version & 0x7f)),
	};
#endif
}

/*
 * Hash of the 44 key bytes: three 64x64->128-bit multiplies (wyhash-style),
 * with six words seeded per table so that keys cannot be chosen to collide.
 * addrs: the 32 address bytes of the key (src_addr then dst_addr).
 */
static inline guint64 mum(guint64 a, guint64 b)
{
	unsigned __int128 m = (unsigned __int128)a * b;

	return (guint64)m ^ (guint64)(m >> 64);
}

static inline guint32 key_hash(const struct rfm_flow_table *t, const guint8 *addrs,
			       struct key_tail kt)
{
	guint64 h = mum(load64(addrs) ^ t->seed[0], load64(addrs + 8) ^ t->seed[1]) ^
		    mum(load64(addrs + 16) ^ t->seed[2], load64(addrs + 24) ^ t->seed[3]) ^
		    mum(kt.w4 ^ t->seed[4], kt.w5 ^ t->seed[5]);

	return (guint32)(h ^ (h >> 32));
}

static inline guint32 flow_hash(const struct rfm_flow_table *t, const struct flow *f)
{
	return key_hash(t, (const guint8 *)&f->key, key_tail_of(&f->key));
}

/* Whether key k is the one of addrs + kt. */
static inline bool key_equal(const struct rfm_flow_key *k, const guint8 *addrs, struct key_tail kt)
{
	const guint8 *a = (const guint8 *)k;

	return ((load64(a) ^ load64(addrs)) | (load64(a + 8) ^ load64(addrs + 8)) |
		(load64(a + 16) ^ load64(addrs + 16)) | (load64(a + 24) ^ load64(addrs + 24)) |
		(load64(a + 32) ^ kt.w4) | (load32(a + 40) ^ kt.w5)) == 0;
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

/* Move flow i, in l but not its tail, to the tail: unlink and append with fewer tests. */
static inline void lru_move_to_tail(struct rfm_flow_table *t, struct list *l, guint32 i)
{
	struct flow *f = flow_at(t, i);
	guint32 prev = f->lru_prev, next = f->lru_next; /* next != NIL: i is not the tail */

	flow_at(t, next)->lru_prev = prev;
	if (prev != NIL)
		flow_at(t, prev)->lru_next = next;
	else
		l->head = next;
	f->lru_prev = l->tail; /* != NIL: next is in l */
	f->lru_next = NIL;
	flow_at(t, l->tail)->lru_next = i;
	l->tail = i;
}

/* --- index ---------------------------------------------------------------- */

static void buckets_resize(struct rfm_flow_table *t, guint32 n)
{
	guint32 *old = t->buckets, nold = old ? t->mask + 1 : 0;

	t->buckets = g_new(guint32, n);
	memset(t->buckets, 0xff, sizeof(guint32) * n);
	t->mask = n - 1;
	for (guint32 b = 0; b < nold; b++) {
		for (guint32 i = old[b], next; i != NIL; i = next) {
			struct flow *f = flow_at(t, i);
			guint32 nb = flow_hash(t, f) & t->mask;

			next = f->hnext;
			f->hnext = t->buckets[nb];
			t->buckets[nb] = i;
		}
	}
	g_free(old);
}

/* The flow whose key is addrs + kt (hash h), or NIL. */
static inline guint32 index_find(const struct rfm_flow_table *t, const guint8 *addrs,
				 struct key_tail kt, guint32 h)
{
	for (guint32 i = t->buckets[h & t->mask]; i != NIL;) {
		struct flow *f = flow_at(t, i);

		if (key_equal(&f->key, addrs, kt))
			return i;
		i = f->hnext;
	}
	return NIL;
}

static void index_remove(struct rfm_flow_table *t, guint32 i)
{
	struct flow *f = flow_at(t, i);
	guint32 *p = &t->buckets[flow_hash(t, f) & t->mask];

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
	/* nrecords < max_flows <= cap: the caller evicted first */
	return (guint32)(t->nrecords++ * FLOW_UNITS);
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
	rec.dscp = (guint8)f->dscp_tag;
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
	if (t->hooks.close)
		t->hooks.close(flow_tag(f), t->hooks.user_data);
	lru_unlink(t, &t->lru[f->closing], i);
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
	guint64 quiet = f->last_ms + t->quiet_ms[closing];
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
	return deadline_of(t, f, f->closing, reason);
}

/* The least recently seen flow, from lru or closing. */
static guint32 flow_lru_victim(const struct rfm_flow_table *t)
{
	guint32 a = t->lru[0].head, b = t->lru[1].head;

	if (a == NIL)
		return b;
	if (b == NIL)
		return a;
	return seen_before(flow_at(t, b), flow_at(t, a)) ? b : a;
}

void rfm_flow_key_from_event(struct rfm_flow_key *key, const struct rfm_event *ev)
{
	key_store(key, event_addrs(ev), key_tail_from_event(ev));
}

/* Add ev, sampled at rate, to the tally of f's tag (the hooks' accumulator). */
static inline void tally_add(struct rfm_flow_tally *const *tallies, const struct flow *f,
			     const struct rfm_event *ev, guint64 rate)
{
	struct rfm_flow_tally *y = *tallies + flow_tag(f);

	y->packets += ev->packets * rate;
	y->octets += ev->octets * rate;
	y->samples++;
}

/*
 * Every case of an event: flow i (NIL: not found) is due, or was sampled at
 * another rate, or the packet carries FIN or RST, or a new flow opens.
 */
static G_GNUC_NO_INLINE void update_slow(struct rfm_flow_table *t, const struct rfm_event *ev,
					 struct key_tail kt, guint32 h, guint32 i, guint64 now_ms)
{
	enum rfm_end_reason reason;
	struct list *was = NULL, *now;
	struct flow *f;

	if (i != NIL) {
		f = flow_at(t, i);
		/* Due but not yet swept: end it now so this packet opens a new flow. */
		if (deadline_of(t, f, f->closing, &reason) <= now_ms) {
			flow_end(t, i, reason);
			i = NIL;
		} else if (f->sampling != ev->sample_rate) {
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
		key_store(&f->key, event_addrs(ev), kt);
		f->sampling = ev->sample_rate;
		f->packets = 0;
		f->octets = 0;
		f->last_ms = now_ms;
		f->age_ms = 0;
		f->tcp_flags = 0;
		f->closing = 0;
		f->dscp_tag = ev->dscp;
		if (t->hooks.open) {
			guint32 tag = t->hooks.open(&f->key, now_ms, t->hooks.user_data);

			g_warn_if_fail(tag <= RFM_FLOW_TAG_MAX);
			f->dscp_tag |= (tag & RFM_FLOW_TAG_MAX) << 8;
			if (t->hooks.tallies)
				(*t->hooks.tallies)[flow_tag(f)].flows++;
		}
		f->other_ifindex = ev->other_ifindex;
		f->next_hop_id = (ev->flags & RFM_EV_NEXT_HOP) ? next_hop_id(t, ev->next_hop) : 0;
		f->hnext = t->buckets[h & t->mask];
		t->buckets[h & t->mask] = i;
		act_append(t, &t->active, i);
		t->stats.created++;
		if (++t->stats.active > t->mask + 1)
			buckets_resize(t, (t->mask + 1) * 2);
	} else {
		was = &t->lru[f->closing];
	}
	f->packets += ev->packets;
	f->octets += ev->octets;
	if (t->hooks.tallies)
		tally_add(t->hooks.tallies, f, ev, f->sampling);
	if (now_ms > f->last_ms) {
		f->age_ms += (guint32)(now_ms - f->last_ms);
		f->last_ms = now_ms;
	}
	f->seen = (guint32)t->stats.updates;
	f->tcp_flags |= ev->tcp_flags;
	/* FIN and RST only ever move a flow from lru to closing. */
	if (!f->closing && (ev->tcp_flags & (TCP_FIN | TCP_RST)))
		f->closing = flow_closing(t, f);
	now = &t->lru[f->closing];
	/* Most packets belong to the flow seen last: then nothing moves. */
	if (was == now && now->tail == i)
		return;
	if (was)
		lru_unlink(t, was, i);
	lru_append(t, now, i);
}

/*
 * Account ev (key tail kt, hash h) at now_ms as update number seq (what
 * stats.updates becomes with it: the caller keeps the count and stores it
 * before anything else may read it). The common case is inline: a packet of
 * a known flow that is not due, sampled at the flow's rate, without FIN or
 * RST. Its tests are those of deadline_of() as differences (d < quiet:
 * last_ms + quiet > now; d + age < active: start + active > now); they also
 * fail when now_ms is before last_ms (d wraps), leaving that to update_slow().
 */
static inline __attribute__((always_inline)) void update_event(struct rfm_flow_table *t,
							       const struct rfm_event *ev,
							       struct key_tail kt, guint32 h,
							       guint64 now_ms, guint64 seq)
{
	struct flow *f;
	struct list *l;
	guint32 i;
	guint64 d;

	i = index_find(t, event_addrs(ev), kt, h);
	if (G_UNLIKELY(i == NIL))
		goto slow;
	f = flow_at(t, i);
	d = now_ms - f->last_ms;
	if (G_UNLIKELY(d >= t->quiet_ms[f->closing] || d + f->age_ms >= t->opts.active_timeout_ms ||
		       f->sampling != ev->sample_rate || (ev->tcp_flags & (TCP_FIN | TCP_RST))))
		goto slow;
	f->packets += ev->packets;
	f->octets += ev->octets;
	if (t->hooks.tallies)
		tally_add(t->hooks.tallies, f, ev, f->sampling);
	f->age_ms += (guint32)d;
	f->last_ms = now_ms;
	f->seen = (guint32)seq;
	f->tcp_flags |= ev->tcp_flags;
	l = &t->lru[f->closing];
	/* Most packets belong to the flow seen last: then nothing moves. */
	if (l->tail != i)
		lru_move_to_tail(t, l, i);
	return;
slow:
	t->stats.updates = seq;
	update_slow(t, ev, kt, h, i, now_ms);
}

void rfm_flow_table_update(struct rfm_flow_table *t, const struct rfm_event *ev, guint64 now_ms)
{
	struct key_tail kt = key_tail_from_event(ev);

	update_event(t, ev, kt, key_hash(t, event_addrs(ev), kt), now_ms, ++t->stats.updates);
}

void rfm_flow_batch_add(struct rfm_flow_table *t, struct rfm_flow_batch *b,
			const struct rfm_event *ev, guint64 now_ms)
{
	struct rfm_flow_batch_entry *e;

	/*
	 * A table that fits in the caches gains nothing from prefetching: account
	 * the event at once (fewer instructions), unless events already wait.
	 */
	if (b->n == 0 && t->stats.active < t->opts.batch_min_flows) {
		rfm_flow_table_update(t, ev, now_ms);
		return;
	}
	e = &b->e[b->n];
	e->ev = *ev; /* the ring record does not outlive this call */
	e->now_ms = now_ms;
	if (++b->n == RFM_FLOW_BATCH)
		rfm_flow_table_update_batch(t, b);
}

void rfm_flow_table_update_batch(struct rfm_flow_table *t, struct rfm_flow_batch *b)
{
	guint n = b->n;
	guint64 seq = t->stats.updates;

	/* Hash every key and prefetch its bucket... */
	for (guint j = 0; j < n; j++) {
		struct rfm_flow_batch_entry *e = &b->e[j];
		struct key_tail kt = key_tail_from_event(&e->ev);

		e->key_w4 = kt.w4;
		e->key_w5 = kt.w5;
		e->hash = key_hash(t, event_addrs(&e->ev), kt);
		__builtin_prefetch(&t->buckets[e->hash & t->mask]);
	}
	/*
	 * ...then the first record of each bucket, its first and last line of the
	 * bytes an update touches (buckets may change on the way)...
	 */
	for (guint j = 0; j < n; j++) {
		guint32 i = t->buckets[b->e[j].hash & t->mask];

		if (i != NIL) {
			__builtin_prefetch(flow_at(t, i));
			__builtin_prefetch((const guint8 *)flow_at(t, i) + FLOW_HOT_END);
		}
	}
	/* ...then account the events in order, as rfm_flow_table_update() would. */
	for (guint j = 0; j < n; j++) {
		const struct rfm_flow_batch_entry *e = &b->e[j];

		update_event(t, &e->ev, (struct key_tail){e->key_w4, e->key_w5}, e->hash, e->now_ms,
			     ++seq);
	}
	t->stats.updates = seq;
	b->n = 0;
}

/* The list head that ends first at or before now_ms, or NIL. */
static guint32 next_due(struct rfm_flow_table *t, guint64 now_ms, enum rfm_end_reason *reason)
{
	const struct list *lists[] = {&t->lru[0], &t->lru[1], &t->active};
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
 * move: records are referred to by offset only.
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

/* Take opts (limits applied) and reserve records for max_flows. */
static void options_apply(struct rfm_flow_table *t, const struct rfm_flow_table_options *opts)
{
	t->opts = *opts;
	t->opts.max_flows = CLAMP(opts->max_flows, 1, FLOW_MAX_RECORDS);
	if (!t->opts.batch_min_flows)
		t->opts.batch_min_flows = FLOW_BATCH_MIN_FLOWS;
	t->quiet_ms[0] = t->opts.idle_timeout_ms;
	t->quiet_ms[1] = t->opts.tcp_end_grace_ms;
	records_reserve(t, t->opts.max_flows);
}

struct rfm_flow_table *rfm_flow_table_new(const struct rfm_flow_table_options *opts)
{
	struct rfm_flow_table *t = g_new0(struct rfm_flow_table, 1);

	options_apply(t, opts);
	t->free_head = NIL;
	t->lru[0].head = t->lru[0].tail = NIL;
	t->lru[1].head = t->lru[1].tail = NIL;
	t->active.head = t->active.tail = NIL;
	for (gsize k = 0; k < G_N_ELEMENTS(t->seed); k++)
		t->seed[k] = ((guint64)g_random_int() << 32) | g_random_int();
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
		guint32 a = t->lru[0].head, b = t->lru[1].head;

		t->lru[0].head = t->lru[0].tail = t->lru[1].head = t->lru[1].tail = NIL;
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
			flow_at(t, i)->closing = flow_closing(t, flow_at(t, i));
			lru_append(t, &t->lru[flow_at(t, i)->closing], i);
		}
	}
	options_apply(t, opts);
	while (t->stats.active > t->opts.max_flows)
		flow_end(t, flow_lru_victim(t), RFM_END_RESOURCES);
	/* And what is due under the new ones ends now. */
	rfm_flow_table_expire(t, now_ms);
}

void rfm_flow_table_set_hooks(struct rfm_flow_table *t, const struct rfm_flow_hooks *hooks)
{
	g_return_if_fail(t->stats.active == 0);
	if (hooks)
		t->hooks = *hooks;
	else
		memset(&t->hooks, 0, sizeof(t->hooks));
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
	       ((gsize)t->mask + 1) * sizeof(guint32) + (gsize)t->next_hops->len * (16 + 32);
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
