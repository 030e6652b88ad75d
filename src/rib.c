// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * rib.c - owns the routes learnt from BMP: peers, interned attribute sets,
 * the routes of each prefix, the LPM tables over them, and the sweep that
 * frees the routes of peers that went down.
 *
 * Four LPM tables, [table][version == 6]: "select" holds Loc-RIB and
 * Adj-RIB-In routes and answers lookups; "out" holds Adj-RIB-Out routes,
 * kept apart and never selected. The LPM value of a prefix says where its
 * routes are and which one a lookup returns, with nothing else to read:
 *   - a prefix with one route of path id 0 (one peer's table, a Loc-RIB):
 *     the value is the id of the route's attribute set, and nothing else is
 *     kept for it;
 *   - any other prefix: VALUE_MULTI | the set of its selected route (NIL
 *     when none is alive), and an entry, found by prefix in entry_index,
 *     lists its paths.
 * An attribute set belongs to one peer (sets are interned per peer), so the
 * set names the peer as well: a lookup is one LPM walk and one read of the
 * set's 32-byte side part, which holds what enrichment needs (origin AS,
 * first AS, next hop) and the peer. The value changes only when the
 * prefix's routes do.
 *
 * A Peer Down takes O(1): the peer is marked dead, and lookups skip the
 * routes whose set's peer is dead (looking at the other routes of the
 * prefix, then at shorter prefixes) from then on. The routes themselves
 * are freed by the sweep, an idle source that walks the tables a bounded
 * batch of prefixes at a time; a change to a prefix frees the dead routes
 * it finds there first. The peer's slot is reused once all are gone; the
 * same peer coming back up meanwhile gets another slot.
 *
 * Elements live in slabs of fixed-size slots addressed by guint32 index
 * (0 = none), found through open-addressing indexes of those indexes.
 */
#include "rib.h"

#include <string.h>

#include "lpm.h"

#define NIL		   0
#define DEFAULT_LOCAL_PREF 100	       /* what a router assumes without LOCAL_PREF */
#define VALUE_MULTI	   0x80000000U /* LPM value: the prefix has an entry */
#define VALUE_SET	   0x7fffffffU /* LPM value: the set of the selected route */
#define SET_WORDS	   11	       /* array words that fit in a set's slot */
#define SWEEP_PREFIXES	   1024	       /* prefixes one sweep step looks at, by default */
#define MATCHES_MAX	   129	       /* prefixes that can cover an IPv6 address */
#define BATCH_MAX	   32	       /* queries rfm_rib_lookup_batch() walks together */

enum { TABLE_SELECT = 0, TABLE_OUT = 1, TABLE_MAX = 2 };

enum peer_state { PEER_FREE = 0, PEER_LIVE = 1, PEER_DEAD = 2 };

/*
 * DOC: a pool of fixed-size elements addressed by guint32 index, 0 never
 * handed out, in chunks of 1 << shift elements that never move (an
 * element's address stays valid while others come and go). A free element
 * is on the free list, linked through its first 4 bytes. With side_size,
 * each element has a second part of that size in side chunks, packed apart
 * from the first (the small part of an element that lookups read). Every
 * chunk goes back when the last element is released. Owned by the RIB.
 */
struct slab {
	guint8 **chunks; /* owned, each size << shift bytes, aligned to align */
	guint8 **side;	 /* owned, each side_size << shift bytes, 64-byte aligned; or NULL */
	guint32 nchunks, cap;
	guint32 top;  /* indexes handed out so far, 0 included */
	guint32 free; /* first free element, or NIL */
	guint32 used;
	guint32 size;
	guint32 side_size;
	guint32 shift;
	guint32 align;
};

/*
 * DOC: an open-addressing index of element ids of elems (borrowed): linear
 * probing, at most 3/4 full, deletion by backward shift (no tombstones).
 * An element keeps its own hash, hash_off bytes in, so that growing and
 * deleting never recompute one. Owned by the RIB.
 */
struct index {
	guint32 *slots; /* owned, mask + 1 of them, NIL = empty; NULL while count is 0 */
	guint32 mask;
	guint32 count;
	const struct slab *elems;
	guint32 hash_off;
};

/*
 * DOC: an interned attribute set of one peer: a 128-byte slot of rib.sets.
 * The arrays of a live in words when they fit, else in a block of their
 * own (owned; "spilled"). refs counts the routes that use the set; it goes
 * with the last. hash covers peer and a. Its side part is a struct set_hot.
 */
struct attr_set {
	guint32 peer; /* free list link when unused */
	guint32 hash;
	struct rfm_rib_attrs a;
	guint32 refs;
	guint32 words[SET_WORDS];
};
G_STATIC_ASSERT(sizeof(struct attr_set) == 128);

/*
 * DOC: the side part of a set: copies of what a lookup returns besides the
 * set's address, 32 bytes a set (two a cache line, 10 MiB for the sets of a
 * full table, of which the popular ones stay in cache), so that a lookup
 * reads this rather than the 128-byte slot. Written with the set, never
 * changed.
 */
struct set_hot {
	guint32 peer;
	guint32 origin_as;
	guint32 first_as;
	guint8 nh_version;
	guint8 pad[3];
	guint8 next_hop[16];
};
G_STATIC_ASSERT(sizeof(struct set_hot) == 32);

/*
 * DOC: the routes of a prefix that has several, or one with a path id: a
 * slot of rib.entries, found by (table, version, prefix, plen) through
 * rib.entry_index. Its LPM value is VALUE_MULTI | the set of best_path.
 * best_path (select table only, else NIL) is the preferred live path when
 * the paths last changed; after a Peer Down it may be dead until the sweep
 * or a change comes, and lookups then choose among the live ones. An entry
 * with no path, or only one path with path id 0, does not stay.
 */
struct entry {
	guint8 prefix[16]; /* host bits zero; free list link when unused */
	guint32 hash;
	guint32 first_path;
	guint32 best_path;
	guint8 plen;
	guint8 version;
	guint8 table;
};

/* DOC: one route of an entry: a slot of rib.paths. The set gives the peer. */
struct path {
	guint32 set; /* free list link when unused */
	guint32 path_id;
	guint32 next; /* next path of the entry, or NIL */
};

/*
 * DOC: a peer; slot id of rib.peers. LIVE: in peer_index, its routes
 * counted in stats.routes. DEAD: down, out of peer_index; routes is what
 * the sweep has still to free (counted in stats.routes_sweeping), and the
 * slot becomes FREE, reusable, when that reaches 0.
 */
struct peer {
	struct rfm_rib_peer_key key;
	guint32 peer_as;
	guint32 routes;
	guint8 state; /* enum peer_state */
};

/* DOC: a prefix as one sweep step collected it. */
struct sweep_item {
	guint8 addr[16];
	guint8 plen;
	guint32 value;
};

/*
 * DOC: the sweep, while active: a pass walks the four tables in turn
 * (lpm = table * 2 + (version == 6)), each after the prefix addr/plen
 * (from its first when !started). A pass that began after the last Peer
 * Down meets every dead route; died says a peer died during this pass, so
 * another may be needed. Owned by the RIB.
 */
struct sweep {
	GSource *source; /* owned; NULL while no step is due */
	bool active;
	bool died;
	bool started;
	guint lpm;
	guint8 addr[16];
	guint8 plen;
	guint alen;		  /* bytes of addresses in the table being walked */
	struct sweep_item *batch; /* owned, batch_cap of them; NULL while inactive */
	guint batch_cap;
	guint nbatch;
};

/* DOC: the RIB, owned by its creator. stats.prefixes_* are read from the LPM tables. */
struct rfm_rib {
	struct rfm_rib_options opts;
	struct rfm_lpm *lpm[TABLE_MAX][2]; /* owned, [table][version == 6] */
	struct slab sets;		   /* struct attr_set */
	struct slab entries;		   /* struct entry */
	struct slab paths;		   /* struct path */
	struct index set_index;		   /* sets by (peer, attributes) */
	struct index entry_index;	   /* entries by prefix */
	gsize spilled_bytes;		   /* arrays of sets that did not fit in their slot */
	GArray *peers;			   /* struct peer; [0] unused */
	GHashTable *peer_index;		   /* owned key copy -> id, live peers only */
	GMainContext *context;		   /* owned reference: where the sweep runs */
	struct sweep sweep;
	struct rfm_rib_stats stats;
};

/* --- slabs and indexes ---------------------------------------------------- */

static void slab_init(struct slab *s, guint32 size, guint32 side_size, guint32 shift, guint32 align)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
	s->side_size = side_size;
	s->shift = shift;
	s->align = align;
}

static void slab_fini(struct slab *s)
{
	for (guint32 i = 0; i < s->nchunks; i++) {
		g_aligned_free(s->chunks[i]);
		if (s->side)
			g_aligned_free(s->side[i]);
	}
	g_free(s->chunks);
	g_free(s->side);
	slab_init(s, s->size, s->side_size, s->shift, s->align);
}

static inline void *slab_at(const struct slab *s, guint32 i)
{
	return s->chunks[i >> s->shift] + (gsize)(i & ((1U << s->shift) - 1)) * s->size;
}

static inline void *slab_side_at(const struct slab *s, guint32 i)
{
	return s->side[i >> s->shift] + (gsize)(i & ((1U << s->shift) - 1)) * s->side_size;
}

/* A zeroed element. */
static guint32 slab_alloc(struct slab *s)
{
	guint32 i = s->free;

	if (i != NIL) {
		memcpy(&s->free, slab_at(s, i), sizeof(s->free));
	} else {
		s->top = MAX(s->top, 1U);
		i = s->top++;
		if (i >> s->shift == s->nchunks) {
			if (s->nchunks == s->cap) {
				s->cap = MAX(2 * s->cap, 16U);
				s->chunks = g_renew(guint8 *, s->chunks, s->cap);
				if (s->side_size)
					s->side = g_renew(guint8 *, s->side, s->cap);
			}
			if (s->side_size)
				s->side[s->nchunks] =
					g_aligned_alloc(1U << s->shift, s->side_size, 64);
			s->chunks[s->nchunks++] =
				g_aligned_alloc(1U << s->shift, s->size, s->align);
		}
	}
	s->used++;
	memset(slab_at(s, i), 0, s->size);
	if (s->side_size)
		memset(slab_side_at(s, i), 0, s->side_size);
	return i;
}

static void slab_release(struct slab *s, guint32 i)
{
	memcpy(slab_at(s, i), &s->free, sizeof(s->free));
	s->free = i;
	if (--s->used == 0)
		slab_fini(s);
}

static gsize slab_memory(const struct slab *s)
{
	return ((gsize)s->nchunks << s->shift) * (s->size + s->side_size) +
	       s->cap * sizeof(*s->chunks) * (s->side_size ? 2 : 1);
}

static guint32 index_hash(const struct index *x, guint32 id)
{
	guint32 h;

	memcpy(&h, (const guint8 *)slab_at(x->elems, id) + x->hash_off, sizeof(h));
	return h;
}

static void index_put(struct index *x, guint32 id, guint32 h)
{
	guint32 i = h & x->mask;

	while (x->slots[i] != NIL)
		i = (i + 1) & x->mask;
	x->slots[i] = id;
}

static void index_insert(struct index *x, guint32 id, guint32 h)
{
	if (!x->slots || (x->count + 1) * 4 > (x->mask + 1) * 3) {
		guint32 *old = x->slots, n = old ? x->mask + 1 : 0, cap = n ? 2 * n : 64;

		x->slots = g_new0(guint32, cap);
		x->mask = cap - 1;
		for (guint32 i = 0; i < n; i++)
			if (old[i] != NIL)
				index_put(x, old[i], index_hash(x, old[i]));
		g_free(old);
	}
	index_put(x, id, h);
	x->count++;
}

/* Remove id (hash h, present), moving back the ids after it that may move. */
static void index_remove(struct index *x, guint32 id, guint32 h)
{
	guint32 i = h & x->mask, j;

	while (x->slots[i] != id)
		i = (i + 1) & x->mask;
	for (j = i;;) {
		guint32 home;

		j = (j + 1) & x->mask;
		if (x->slots[j] == NIL)
			break;
		home = index_hash(x, x->slots[j]) & x->mask;
		/* It stays when its home is cyclically in (i, j]. */
		if (i <= j ? home <= i || home > j : home <= i && home > j) {
			x->slots[i] = x->slots[j];
			i = j;
		}
	}
	x->slots[i] = NIL;
	if (--x->count == 0) {
		g_clear_pointer(&x->slots, g_free);
		x->mask = 0;
	}
}

static gsize index_memory(const struct index *x)
{
	return x->slots ? (gsize)(x->mask + 1) * sizeof(*x->slots) : 0;
}

/* --- element access ----------------------------------------------------- */

static inline struct attr_set *set_at(const struct rfm_rib *rib, guint32 i)
{
	return slab_at(&rib->sets, i);
}

static inline struct set_hot *hot_at(const struct rfm_rib *rib, guint32 i)
{
	return slab_side_at(&rib->sets, i);
}

static inline struct entry *entry_at(const struct rfm_rib *rib, guint32 i)
{
	return slab_at(&rib->entries, i);
}

static inline struct path *path_at(const struct rfm_rib *rib, guint32 i)
{
	return slab_at(&rib->paths, i);
}

static inline struct peer *peer_at(const struct rfm_rib *rib, guint32 i)
{
	return &g_array_index(rib->peers, struct peer, i);
}

static bool peer_is_live(const struct rfm_rib *rib, guint32 id)
{
	return id != NIL && id < rib->peers->len && peer_at(rib, id)->state == PEER_LIVE;
}

/* Whether set (NIL allowed) is a live route's: its peer is up. */
static inline bool set_live(const struct rfm_rib *rib, guint32 set)
{
	return set != NIL && peer_at(rib, hot_at(rib, set)->peer)->state == PEER_LIVE;
}

static int table_of(guint8 view)
{
	return view == RFM_VIEW_OUT_POST || view == RFM_VIEW_OUT_PRE ? TABLE_OUT : TABLE_SELECT;
}

/* --- attribute sets ------------------------------------------------------ */

static guint32 hash_words(guint32 h, const guint32 *w, gsize n)
{
	for (gsize i = 0; i < n; i++)
		h = (h ^ w[i]) * 16777619U;
	return h;
}

static guint32 attrs_hash(const struct rfm_rib_attrs *a)
{
	guint32 h = 2166136261U;
	guint32 head[] = {
		a->origin_as,
		a->first_as,
		a->med,
		a->local_pref,
		a->path_len,
		a->origin | a->nh_version << 8 | a->has_med << 16 | a->has_local_pref << 17};

	h = hash_words(h, head, G_N_ELEMENTS(head));
	for (int i = 0; i < 16; i++)
		h = (h ^ a->next_hop[i]) * 16777619U;
	h = hash_words(h, a->as_path, a->as_path_count);
	h = hash_words(h, a->communities, a->community_count);
	return hash_words(h, a->large_communities, 3U * a->large_community_count);
}

/*
 * An empty list may be a NULL pointer, and C leaves memcpy()/memcmp() with
 * NULL undefined even for 0 bytes (UBSan stops on it): test the length first.
 */
static bool same_words(const guint32 *x, const guint32 *y, gsize n)
{
	return !n || !memcmp(x, y, 4 * n);
}

static void copy_words(guint32 *dst, const guint32 *src, gsize n)
{
	if (n)
		memcpy(dst, src, 4 * n);
}

static bool attrs_equal(const struct rfm_rib_attrs *x, const struct rfm_rib_attrs *y)
{
	return x->origin_as == y->origin_as && x->first_as == y->first_as && x->med == y->med &&
	       x->local_pref == y->local_pref && x->path_len == y->path_len &&
	       x->origin == y->origin && x->nh_version == y->nh_version &&
	       x->has_med == y->has_med && x->has_local_pref == y->has_local_pref &&
	       !memcmp(x->next_hop, y->next_hop, 16) && x->as_path_count == y->as_path_count &&
	       x->community_count == y->community_count &&
	       x->large_community_count == y->large_community_count &&
	       same_words(x->as_path, y->as_path, x->as_path_count) &&
	       same_words(x->communities, y->communities, x->community_count) &&
	       same_words(x->large_communities, y->large_communities,
			  3U * x->large_community_count);
}

static guint32 set_words(const struct rfm_rib_attrs *a)
{
	return a->as_path_count + a->community_count + 3U * a->large_community_count;
}

/* The set of peer with attributes a (copied when new), one more reference to it. */
static guint32 set_intern(struct rfm_rib *rib, guint32 peer, const struct rfm_rib_attrs *a)
{
	const struct index *x = &rib->set_index;
	guint32 h = (attrs_hash(a) ^ peer) * 16777619U, words = set_words(a), id;
	struct set_hot *hot;
	struct attr_set *s;
	guint32 *w;

	for (guint32 i = h & x->mask; x->slots && (id = x->slots[i]) != NIL;
	     i = (i + 1) & x->mask) {
		s = set_at(rib, id);
		if (s->hash == h && s->peer == peer && attrs_equal(&s->a, a)) {
			s->refs++;
			return id;
		}
	}
	id = slab_alloc(&rib->sets);
	s = set_at(rib, id);
	s->peer = peer;
	s->hash = h;
	s->a = *a;
	s->refs = 1;
	w = s->words;
	if (words > SET_WORDS) {
		w = g_new(guint32, words);
		rib->spilled_bytes += 4 * words;
	}
	copy_words(w, a->as_path, a->as_path_count);
	s->a.as_path = w;
	w += a->as_path_count;
	copy_words(w, a->communities, a->community_count);
	s->a.communities = w;
	w += a->community_count;
	copy_words(w, a->large_communities, 3U * a->large_community_count);
	s->a.large_communities = w;
	hot = hot_at(rib, id);
	hot->peer = peer;
	hot->origin_as = a->origin_as;
	hot->first_as = a->first_as;
	hot->nh_version = a->nh_version;
	memcpy(hot->next_hop, a->next_hop, 16);
	index_insert(&rib->set_index, id, h);
	rib->stats.attr_sets++;
	return id;
}

static void set_unref(struct rfm_rib *rib, guint32 id)
{
	struct attr_set *s = set_at(rib, id);
	guint32 words;

	if (--s->refs)
		return;
	words = set_words(&s->a);
	index_remove(&rib->set_index, id, s->hash);
	if (words > SET_WORDS) {
		g_free((gpointer)s->a.as_path);
		rib->spilled_bytes -= 4 * words;
	}
	slab_release(&rib->sets, id);
	rib->stats.attr_sets--;
}

/* The slot of peer id is free again; free slots at the end of the array go. */
static void peer_release(struct rfm_rib *rib, guint32 id)
{
	guint len = rib->peers->len;

	peer_at(rib, id)->state = PEER_FREE;
	while (len > 1 && peer_at(rib, len - 1)->state == PEER_FREE)
		len--;
	g_array_set_size(rib->peers, len);
}

/*
 * A route that used set goes (withdrawn, or a dead peer's route freed):
 * its peer's count, the RIB's count and the set's reference.
 */
static void route_gone(struct rfm_rib *rib, guint32 set)
{
	guint32 id = set_at(rib, set)->peer;
	struct peer *pe = peer_at(rib, id);

	set_unref(rib, set);
	pe->routes--;
	if (pe->state == PEER_LIVE) {
		rib->stats.routes--;
	} else {
		rib->stats.routes_sweeping--;
		if (!pe->routes)
			peer_release(rib, id);
	}
}

/* --- selection ----------------------------------------------------------- */

static int cmp_u32(guint32 a, guint32 b)
{
	return a < b ? -1 : a > b;
}

/* < 0 when route (set x, path id ix) is preferred to (y, iy) (see rib.h for the order). */
static int route_cmp(const struct rfm_rib *rib, guint32 x, guint32 ix, guint32 y, guint32 iy)
{
	const struct attr_set *sx = set_at(rib, x), *sy = set_at(rib, y);
	const struct rfm_rib_peer_key *px = &peer_at(rib, sx->peer)->key;
	const struct rfm_rib_peer_key *py = &peer_at(rib, sy->peer)->key;
	const struct rfm_rib_attrs *ax = &sx->a, *ay = &sy->a;
	guint32 lx = ax->has_local_pref ? ax->local_pref : DEFAULT_LOCAL_PREF;
	guint32 ly = ay->has_local_pref ? ay->local_pref : DEFAULT_LOCAL_PREF;
	int c;

	if ((c = cmp_u32(px->view, py->view)))
		return c;
	if ((c = cmp_u32(ly, lx)))
		return c;
	if ((c = cmp_u32(ax->path_len, ay->path_len)))
		return c;
	if ((c = cmp_u32(ax->origin, ay->origin)))
		return c;
	/* RFC 4271 section 9.1.2.2 (c): a missing MED is the lowest value. */
	if ((c = cmp_u32(ax->has_med ? ax->med : 0, ay->has_med ? ay->med : 0)))
		return c;
	if ((c = cmp_u32(px->addr_version, py->addr_version)))
		return c;
	if ((c = memcmp(px->addr, py->addr, 16)))
		return c;
	if ((c = cmp_u32(ix, iy)))
		return c;
	/* Loc-RIB peers of two routers all have address 0: never let order decide. */
	if ((c = cmp_u32(px->session, py->session)))
		return c;
	if ((c = cmp_u32(px->peer_type, py->peer_type)))
		return c;
	return px->distinguisher < py->distinguisher ? -1 : px->distinguisher > py->distinguisher;
}

/* The preferred live path of en, or NIL when none is alive. */
static guint32 entry_best(const struct rfm_rib *rib, const struct entry *en)
{
	guint32 best = NIL;

	for (guint32 p = en->first_path; p != NIL; p = path_at(rib, p)->next) {
		const struct path *pa = path_at(rib, p), *pb;

		if (!set_live(rib, pa->set))
			continue;
		pb = best != NIL ? path_at(rib, best) : NULL;
		if (!pb || route_cmp(rib, pa->set, pa->path_id, pb->set, pb->path_id) < 0)
			best = p;
	}
	return best;
}

/* --- prefixes and entries ------------------------------------------------ */

/* DOC: a prefix of one table as the functions below pass it around. */
struct where {
	struct rfm_lpm *lpm; /* borrowed from the RIB */
	guint8 addr[16];     /* host bits zero */
	guint8 plen;
	guint8 version;
	guint8 table;
};

static void where_init(struct where *w, const struct rfm_rib *rib, int table, int version,
		       const guint8 *prefix, guint8 plen)
{
	guint bytes = version == 6 ? 16 : 4;

	memset(w->addr, 0, sizeof(w->addr));
	for (guint i = 0; i < bytes && 8 * i < plen; i++) {
		guint keep = plen >= 8 * (i + 1) ? 8 : plen - 8 * i;

		w->addr[i] = prefix[i] & (guint8)(0xff << (8 - keep));
	}
	w->lpm = rib->lpm[table][version == 6];
	w->plen = plen;
	w->version = (guint8)version;
	w->table = (guint8)table;
}

static guint32 entry_hash(const struct where *w)
{
	guint32 words[4];

	memcpy(words, w->addr, sizeof(words));
	return hash_words(2166136261U ^ (w->table | w->version << 8 | (guint32)w->plen << 16),
			  words, 4);
}

static guint32 entry_find(const struct rfm_rib *rib, const struct where *w)
{
	const struct index *x = &rib->entry_index;
	guint32 h = entry_hash(w), id;

	for (guint32 i = h & x->mask; x->slots && (id = x->slots[i]) != NIL;
	     i = (i + 1) & x->mask) {
		const struct entry *en = entry_at(rib, id);

		if (en->hash == h && en->plen == w->plen && en->table == w->table &&
		    en->version == w->version && !memcmp(en->prefix, w->addr, 16))
			return id;
	}
	return NIL;
}

/* The entry of a prefix whose value is VALUE_MULTI: it must exist. */
static guint32 entry_of(const struct rfm_rib *rib, const struct where *w)
{
	guint32 e = entry_find(rib, w);

	if (e == NIL)
		g_critical("rib: prefix /%u of table %u has no entry", w->plen, w->table);
	return e;
}

static guint32 entry_new(struct rfm_rib *rib, const struct where *w)
{
	guint32 e = slab_alloc(&rib->entries);
	struct entry *en = entry_at(rib, e);

	memcpy(en->prefix, w->addr, 16);
	en->plen = w->plen;
	en->version = w->version;
	en->table = w->table;
	en->hash = entry_hash(w);
	index_insert(&rib->entry_index, e, en->hash);
	return e;
}

static void path_add(struct rfm_rib *rib, guint32 e, guint32 set, guint32 path_id)
{
	guint32 p = slab_alloc(&rib->paths);
	struct path *pa = path_at(rib, p);

	pa->set = set;
	pa->path_id = path_id;
	pa->next = entry_at(rib, e)->first_path;
	entry_at(rib, e)->first_path = p;
}

/* Unlink path *link of an entry and drop its route. */
static void path_drop(struct rfm_rib *rib, guint32 *link)
{
	guint32 p = *link, set = path_at(rib, p)->set;

	*link = path_at(rib, p)->next;
	slab_release(&rib->paths, p);
	route_gone(rib, set);
}

/* Free the routes of dead peers in entry e; returns whether there were any. */
static bool entry_purge(struct rfm_rib *rib, guint32 e)
{
	bool any = false;

	for (guint32 *link = &entry_at(rib, e)->first_path; *link != NIL;) {
		if (set_live(rib, path_at(rib, *link)->set)) {
			link = &path_at(rib, *link)->next;
		} else {
			path_drop(rib, link);
			any = true;
		}
	}
	return any;
}

/*
 * After the paths of entry e (prefix w, LPM value old) changed, all of them
 * live: the entry goes when it has no path (and the prefix with it) or one
 * path of id 0 (which the value then holds alone); else the selection is
 * made again. The LPM value is written when it changed.
 */
static void entry_settle(struct rfm_rib *rib, const struct where *w, guint32 e, guint32 old)
{
	struct entry *en = entry_at(rib, e);
	guint32 first = en->first_path, value;

	if (first == NIL) {
		index_remove(&rib->entry_index, e, en->hash);
		slab_release(&rib->entries, e);
		rfm_lpm_remove(w->lpm, w->addr, w->plen);
		return;
	}
	if (path_at(rib, first)->next == NIL && path_at(rib, first)->path_id == 0) {
		value = path_at(rib, first)->set;
		slab_release(&rib->paths, first);
		index_remove(&rib->entry_index, e, en->hash);
		slab_release(&rib->entries, e);
	} else {
		en->best_path = w->table == TABLE_SELECT ? entry_best(rib, en) : NIL;
		value = VALUE_MULTI |
			(en->best_path != NIL ? path_at(rib, en->best_path)->set : NIL);
	}
	if (value != old)
		rfm_lpm_insert(w->lpm, w->addr, w->plen, value);
}

/* --- announce, withdraw, lookup ------------------------------------------ */

bool rfm_rib_announce(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id, const struct rfm_rib_attrs *a)
{
	guint32 v, set, e = NIL;
	struct peer *pe;
	struct where w;

	if (version != 4 && version != 6) {
		rib->stats.bad_version++;
		return false;
	}
	if (!peer_is_live(rib, peer_id) || plen > (version == 6 ? 128 : 32))
		return false;
	pe = peer_at(rib, peer_id);
	where_init(&w, rib, table_of(pe->key.view), version, prefix, plen);
	v = rfm_lpm_get(w.lpm, w.addr, plen);
	if (v != NIL && !(v & VALUE_MULTI)) {
		if (!set_live(rib, v)) {
			/* A dead peer's route: freed here rather than by the sweep. */
			route_gone(rib, v);
			rfm_lpm_remove(w.lpm, w.addr, plen);
			v = NIL;
		} else if (set_at(rib, v)->peer == peer_id && path_id == 0) {
			/* Implicit withdraw: the new attributes replace the old. */
			set = set_intern(rib, peer_id, a);
			set_unref(rib, v);
			if (set != v)
				rfm_lpm_insert(w.lpm, w.addr, plen, set);
			rib->stats.announced++;
			return true;
		}
	} else if (v != NIL) {
		e = entry_of(rib, &w);
		if (e == NIL)
			return false;
		entry_purge(rib, e);
		for (guint32 p = entry_at(rib, e)->first_path; p != NIL;
		     p = path_at(rib, p)->next) {
			struct path *pa = path_at(rib, p);

			if (pa->path_id == path_id && set_at(rib, pa->set)->peer == peer_id) {
				set = pa->set;
				pa->set = set_intern(rib, peer_id, a);
				set_unref(rib, set);
				rib->stats.announced++;
				entry_settle(rib, &w, e, v);
				return true;
			}
		}
	}
	if (pe->routes >= rib->opts.max_routes_per_peer) {
		rib->stats.dropped_peer_limit++;
		if (e != NIL) /* the purge may have changed it */
			entry_settle(rib, &w, e, v);
		return false;
	}
	set = set_intern(rib, peer_id, a);
	pe->routes++;
	rib->stats.routes++;
	rib->stats.announced++;
	if (v == NIL && path_id == 0) {
		rfm_lpm_insert(w.lpm, w.addr, plen, set);
		return true;
	}
	if (e == NIL) {
		/* A second route, or one with a path id: the prefix gets an entry. */
		e = entry_new(rib, &w);
		if (v != NIL)
			path_add(rib, e, v, 0);
	}
	path_add(rib, e, set, path_id);
	entry_settle(rib, &w, e, v);
	return true;
}

bool rfm_rib_withdraw(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id)
{
	struct where w;
	guint32 v, e;

	if (version != 4 && version != 6) {
		rib->stats.bad_version++;
		return false;
	}
	if (!peer_is_live(rib, peer_id) || plen > (version == 6 ? 128 : 32))
		return false;
	where_init(&w, rib, table_of(peer_at(rib, peer_id)->key.view), version, prefix, plen);
	v = rfm_lpm_get(w.lpm, w.addr, plen);
	if (v != NIL && !(v & VALUE_MULTI)) {
		bool live = set_live(rib, v);
		bool mine = live && set_at(rib, v)->peer == peer_id && path_id == 0;

		/* Its route goes, and so does a dead peer's. */
		if (mine || !live) {
			route_gone(rib, v);
			rfm_lpm_remove(w.lpm, w.addr, plen);
		}
		if (mine) {
			rib->stats.withdrawn++;
			return true;
		}
	} else if (v != NIL && (e = entry_of(rib, &w)) != NIL) {
		entry_purge(rib, e);
		for (guint32 *link = &entry_at(rib, e)->first_path; *link != NIL;
		     link = &path_at(rib, *link)->next) {
			const struct path *pa = path_at(rib, *link);

			if (pa->path_id == path_id && set_at(rib, pa->set)->peer == peer_id) {
				path_drop(rib, link);
				rib->stats.withdrawn++;
				entry_settle(rib, &w, e, v);
				return true;
			}
		}
		entry_settle(rib, &w, e, v);
	}
	rib->stats.withdraw_unknown++;
	return false;
}

/* Reads the set's side part only: the address of the attributes is computed, not read. */
static inline void match_fill(const struct rfm_rib *rib, guint32 set, guint8 plen,
			      struct rfm_rib_match *out)
{
	const struct set_hot *hot = hot_at(rib, set);
	const struct peer *pe = peer_at(rib, hot->peer);

	out->attrs = &set_at(rib, set)->a;
	out->peer = &pe->key;
	out->peer_as = pe->peer_as;
	out->plen = plen;
	out->origin_as = hot->origin_as;
	out->first_as = hot->first_as;
	out->nh_version = hot->nh_version;
	memcpy(out->next_hop, hot->next_hop, 16);
}

/*
 * The longest match gave no live route (its routes, or its selected one,
 * are of a peer that went down, and the sweep has not been there yet): the
 * best live route of the longest covering prefix that has one.
 */
static bool lookup_past_dead(const struct rfm_rib *rib, int version, const guint8 *addr,
			     guint8 min_plen, struct rfm_rib_match *out)
{
	guint32 values[MATCHES_MAX];
	guint8 plens[MATCHES_MAX];
	guint n = rfm_lpm_lookup_all(rib->lpm[TABLE_SELECT][version == 6], addr, min_plen, values,
				     plens, MATCHES_MAX);

	for (guint i = 0; i < n; i++) {
		guint32 set = values[i] & VALUE_SET;

		if (!set_live(rib, set) && (values[i] & VALUE_MULTI)) {
			struct where w;
			guint32 e, best;

			where_init(&w, rib, TABLE_SELECT, version, addr, plens[i]);
			e = entry_of(rib, &w);
			best = e != NIL ? entry_best(rib, entry_at(rib, e)) : NIL;
			set = best != NIL ? path_at(rib, best)->set : NIL;
		}
		if (set_live(rib, set)) {
			match_fill(rib, set, plens[i], out);
			return true;
		}
	}
	return false;
}

bool rfm_rib_lookup(const struct rfm_rib *rib, int version, const guint8 *addr, bool use_default,
		    struct rfm_rib_match *out)
{
	guint8 plen, min_plen = use_default ? 0 : 1;
	guint32 v, set;

	if (version != 4 && version != 6)
		return false;
	v = rfm_lpm_lookup_min(rib->lpm[TABLE_SELECT][version == 6], addr, min_plen, &plen);
	set = v & VALUE_SET;
	if (set_live(rib, set)) {
		match_fill(rib, set, plen, out);
		return true;
	}
	return v != NIL && lookup_past_dead(rib, version, addr, min_plen, out);
}

/*
 * BATCH_MAX queries at a time: their LPM walks interleaved, then the side
 * parts of their sets prefetched together, then the matches filled in as
 * rfm_rib_lookup() fills them.
 */
guint rfm_rib_lookup_batch(const struct rfm_rib *rib, guint n, const struct rfm_rib_query *q,
			   struct rfm_rib_match *out)
{
	struct rfm_lpm_query lq[BATCH_MAX];
	guint found = 0, idx[BATCH_MAX];

	g_return_val_if_fail(rib && ((q && out) || !n), 0);
	for (guint base = 0; base < n; base += BATCH_MAX) {
		guint m = MIN(n - base, BATCH_MAX), nl = 0;

		for (guint i = base; i < base + m; i++) {
			if (q[i].version != 4 && q[i].version != 6) {
				memset(&out[i], 0, sizeof(out[i]));
				continue;
			}
			lq[nl].t = rib->lpm[TABLE_SELECT][q[i].version == 6];
			lq[nl].addr = q[i].addr;
			lq[nl].min_plen = q[i].use_default ? 0 : 1;
			idx[nl++] = i;
		}
		rfm_lpm_lookup_batch(lq, nl);
		for (guint j = 0; j < nl; j++) {
			if (lq[j].value & VALUE_SET)
				__builtin_prefetch(hot_at(rib, lq[j].value & VALUE_SET));
		}
		for (guint j = 0; j < nl; j++) {
			const struct rfm_rib_query *qi = &q[idx[j]];
			struct rfm_rib_match *o = &out[idx[j]];
			guint32 set = lq[j].value & VALUE_SET;
			bool ok;

			if (set_live(rib, set)) {
				match_fill(rib, set, lq[j].plen, o);
				ok = true;
			} else {
				ok = lq[j].value != NIL &&
				     lookup_past_dead(rib, qi->version, qi->addr, lq[j].min_plen,
						      o);
			}
			if (ok)
				found++;
			else
				memset(o, 0, sizeof(*o));
		}
	}
	return found;
}

/* --- the sweep ------------------------------------------------------------ */

static void sweep_collect(const guint8 *addr, guint8 plen, guint32 value, void *ud)
{
	struct sweep *sw = ud;
	struct sweep_item *it = &sw->batch[sw->nbatch++];

	memset(it->addr, 0, sizeof(it->addr));
	memcpy(it->addr, addr, sw->alen);
	it->plen = plen;
	it->value = value;
}

/* The dead routes of one prefix go. */
static void sweep_prefix(struct rfm_rib *rib, int table, int version, const struct sweep_item *it)
{
	struct where w;
	guint32 e;

	if (!(it->value & VALUE_MULTI) && set_live(rib, it->value))
		return;
	where_init(&w, rib, table, version, it->addr, it->plen);
	if (!(it->value & VALUE_MULTI)) {
		route_gone(rib, it->value);
		rfm_lpm_remove(w.lpm, w.addr, w.plen);
	} else if ((e = entry_of(rib, &w)) != NIL && entry_purge(rib, e)) {
		entry_settle(rib, &w, e, it->value);
	}
}

/* Nothing left to sweep: back to inactive, the batch buffer freed. */
static void sweep_end(struct rfm_rib *rib)
{
	struct sweep *sw = &rib->sweep;

	sw->active = sw->died = sw->started = false;
	sw->lpm = 0;
	g_clear_pointer(&sw->batch, g_free);
	sw->batch_cap = 0;
}

bool rfm_rib_sweep_step(struct rfm_rib *rib)
{
	struct sweep *sw = &rib->sweep;
	guint budget = rib->opts.sweep_prefixes ? rib->opts.sweep_prefixes : SWEEP_PREFIXES;

	if (sw->active && sw->batch_cap < budget) {
		sw->batch = g_renew(struct sweep_item, sw->batch, budget);
		sw->batch_cap = budget;
	}

	while (sw->active && rib->stats.routes_sweeping && budget) {
		int table, version;
		guint n;

		if (sw->lpm == TABLE_MAX * 2) {
			/* A pass that began after the last death meets every dead route. */
			if (!sw->died) {
				/* A bug: stop rather than sweep for ever; a Peer Down starts again.
				 */
				g_critical("rib: the sweep did not find %u routes of dead peers",
					   rib->stats.routes_sweeping);
				sweep_end(rib);
				return false;
			}
			sw->lpm = 0;
			sw->started = sw->died = false;
		}
		table = (int)sw->lpm / 2;
		version = sw->lpm % 2 ? 6 : 4;
		sw->alen = version == 6 ? 16 : 4;
		sw->nbatch = 0;
		n = rfm_lpm_walk(rib->lpm[table][version == 6], sw->started ? sw->addr : NULL,
				 sw->plen, budget, sweep_collect, sw);
		if (n) {
			memcpy(sw->addr, sw->batch[n - 1].addr, sizeof(sw->addr));
			sw->plen = sw->batch[n - 1].plen;
			sw->started = true;
		}
		if (n < budget) {
			sw->lpm++;
			sw->started = false;
		}
		budget -= n;
		for (guint i = 0; i < n; i++)
			sweep_prefix(rib, table, version, &sw->batch[i]);
	}
	if (rib->stats.routes_sweeping)
		return true;
	sweep_end(rib);
	return false;
}

static gboolean sweep_idle(gpointer ud)
{
	struct rfm_rib *rib = ud;

	if (rfm_rib_sweep_step(rib))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&rib->sweep.source, g_source_unref);
	return G_SOURCE_REMOVE;
}

/* A peer died: start a sweep, or make the running one go round again. */
static void sweep_start(struct rfm_rib *rib)
{
	struct sweep *sw = &rib->sweep;

	if (sw->active) {
		sw->died = true;
	} else {
		sw->active = true;
	}
	if (!sw->source) {
		sw->source = g_idle_source_new();
		g_source_set_priority(sw->source, G_PRIORITY_DEFAULT_IDLE);
		g_source_set_callback(sw->source, sweep_idle, rib, NULL);
		g_source_set_static_name(sw->source, "rfm RIB sweep");
		g_source_attach(sw->source, rib->context);
	}
}

/* --- peers --------------------------------------------------------------- */

static guint peer_key_hash(gconstpointer p)
{
	const struct rfm_rib_peer_key *k = p;
	guint32 w[4];

	memcpy(w, k->addr, 16);
	return hash_words(2166136261U ^ k->session, w, 4) ^
	       (k->peer_type | k->view << 8 | k->addr_version << 16) ^
	       (guint)(k->distinguisher ^ k->distinguisher >> 32);
}

static gboolean peer_key_equal(gconstpointer a, gconstpointer b)
{
	const struct rfm_rib_peer_key *x = a, *y = b;

	return x->session == y->session && x->peer_type == y->peer_type && x->view == y->view &&
	       x->addr_version == y->addr_version && x->distinguisher == y->distinguisher &&
	       !memcmp(x->addr, y->addr, 16);
}

guint32 rfm_rib_peer_get(struct rfm_rib *rib, const struct rfm_rib_peer_key *key, guint32 peer_as)
{
	guint32 id = GPOINTER_TO_UINT(g_hash_table_lookup(rib->peer_index, key));
	struct peer *pe;

	if (id) {
		peer_at(rib, id)->peer_as = peer_as;
		return id;
	}
	if (rib->stats.peers >= rib->opts.max_peers || key->view >= RFM_VIEW_MAX) {
		rib->stats.dropped_peers++;
		return NIL;
	}
	/* The slot of a peer whose routes are still being swept is not free yet. */
	for (id = 1; id < rib->peers->len && peer_at(rib, id)->state != PEER_FREE; id++)
		;
	if (id == rib->peers->len)
		g_array_set_size(rib->peers, id + 1);
	pe = peer_at(rib, id);
	memset(pe, 0, sizeof(*pe));
	pe->key = *key;
	pe->peer_as = peer_as;
	pe->state = PEER_LIVE;
	g_hash_table_insert(rib->peer_index, g_memdup2(key, sizeof(*key)), GUINT_TO_POINTER(id));
	rib->stats.peers++;
	return id;
}

guint32 rfm_rib_peer_find(const struct rfm_rib *rib, const struct rfm_rib_peer_key *key)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(rib->peer_index, key));
}

void rfm_rib_peer_down(struct rfm_rib *rib, guint32 peer_id)
{
	struct peer *pe;

	if (!peer_is_live(rib, peer_id))
		return;
	pe = peer_at(rib, peer_id);
	g_hash_table_remove(rib->peer_index, &pe->key);
	rib->stats.peers--;
	rib->stats.routes -= pe->routes;
	if (!pe->routes) {
		peer_release(rib, peer_id);
		return;
	}
	pe->state = PEER_DEAD;
	rib->stats.routes_sweeping += pe->routes;
	sweep_start(rib);
}

void rfm_rib_session_down(struct rfm_rib *rib, guint32 session)
{
	for (guint32 id = 1; id < rib->peers->len; id++) {
		if (peer_is_live(rib, id) && peer_at(rib, id)->key.session == session)
			rfm_rib_peer_down(rib, id);
	}
}

guint32 rfm_rib_peer_routes(const struct rfm_rib *rib, guint32 peer_id)
{
	return peer_is_live(rib, peer_id) ? peer_at(rib, peer_id)->routes : 0;
}

void rfm_rib_foreach_peer(const struct rfm_rib *rib,
			  void (*fn)(guint32 peer_id, const struct rfm_rib_peer_key *key,
				     guint32 peer_as, guint32 routes, void *ud),
			  void *ud)
{
	for (guint32 id = 1; id < rib->peers->len; id++) {
		const struct peer *pe = peer_at(rib, id);

		if (pe->state == PEER_LIVE)
			fn(id, &pe->key, pe->peer_as, pe->routes, ud);
	}
}

/* --- walking the routes ---------------------------------------------------- */

/* DOC: one rfm_rib_foreach_route() in one table. */
struct route_walk {
	const struct rfm_rib *rib;
	int table, version;
	void (*fn)(const struct rfm_rib_route *route, void *ud);
	void *ud;
};

static void route_show(const struct route_walk *rw, struct rfm_rib_route *r, guint32 set,
		       guint32 path_id, bool selected)
{
	const struct attr_set *s = set_at(rw->rib, set);
	const struct peer *pe = peer_at(rw->rib, s->peer);

	r->path_id = path_id;
	r->peer_id = s->peer;
	r->peer_as = pe->peer_as;
	r->peer = &pe->key;
	r->attrs = &s->a;
	r->selected = selected;
	rw->fn(r, rw->ud);
}

static void route_walk_prefix(const guint8 *addr, guint8 plen, guint32 value, void *ud)
{
	const struct route_walk *rw = ud;
	const struct rfm_rib *rib = rw->rib;
	struct rfm_rib_route r = {.version = (guint8)rw->version, .plen = plen};
	const struct entry *en;
	struct where w;
	guint32 e, best;

	memcpy(r.prefix, addr, rw->version == 6 ? 16 : 4);
	if (!(value & VALUE_MULTI)) {
		if (set_live(rib, value))
			route_show(rw, &r, value, 0, rw->table == TABLE_SELECT);
		return;
	}
	where_init(&w, rib, rw->table, rw->version, addr, plen);
	e = entry_of(rib, &w);
	if (e == NIL)
		return;
	en = entry_at(rib, e);
	/* The path rfm_rib_lookup() returns: the cached one, or the best live one. */
	best = rw->table == TABLE_SELECT ? entry_best(rib, en) : NIL;
	for (guint32 p = en->first_path; p != NIL; p = path_at(rib, p)->next) {
		const struct path *pa = path_at(rib, p);

		if (set_live(rib, pa->set))
			route_show(rw, &r, pa->set, pa->path_id, p == best);
	}
}

void rfm_rib_foreach_route(const struct rfm_rib *rib,
			   void (*fn)(const struct rfm_rib_route *route, void *ud), void *ud)
{
	for (int t = 0; t < TABLE_MAX; t++) {
		for (int f = 0; f < 2; f++) {
			struct route_walk rw = {rib, t, f ? 6 : 4, fn, ud};

			rfm_lpm_foreach(rib->lpm[t][f], route_walk_prefix, &rw);
		}
	}
}

/* --- life cycle ---------------------------------------------------------- */

struct rfm_rib *rfm_rib_new(const struct rfm_rib_options *opts)
{
	struct rfm_rib *rib = g_new0(struct rfm_rib, 1);

	rib->opts = *opts;
	for (int t = 0; t < TABLE_MAX; t++) {
		rib->lpm[t][0] = rfm_lpm_new(4);
		rib->lpm[t][1] = rfm_lpm_new(6);
	}
	/* Chunks of 512 (and 128), 256 and 192 KiB. */
	slab_init(&rib->sets, sizeof(struct attr_set), sizeof(struct set_hot), 12, 64);
	slab_init(&rib->entries, sizeof(struct entry), 0, 13, 8);
	slab_init(&rib->paths, sizeof(struct path), 0, 14, 8);
	rib->set_index.elems = &rib->sets;
	rib->set_index.hash_off = G_STRUCT_OFFSET(struct attr_set, hash);
	rib->entry_index.elems = &rib->entries;
	rib->entry_index.hash_off = G_STRUCT_OFFSET(struct entry, hash);
	rib->peers = g_array_sized_new(FALSE, TRUE, sizeof(struct peer), 1);
	g_array_set_size(rib->peers, 1);
	rib->peer_index = g_hash_table_new_full(peer_key_hash, peer_key_equal, g_free, NULL);
	rib->context = g_main_context_ref_thread_default();
	return rib;
}

void rfm_rib_free(struct rfm_rib *rib)
{
	if (!rib)
		return;
	if (rib->sweep.source) {
		g_source_destroy(rib->sweep.source);
		g_source_unref(rib->sweep.source);
	}
	g_free(rib->sweep.batch);
	g_main_context_unref(rib->context);
	for (int t = 0; t < TABLE_MAX; t++) {
		rfm_lpm_free(rib->lpm[t][0]);
		rfm_lpm_free(rib->lpm[t][1]);
	}
	/* Spilled arrays: the sets in use that did not fit in their slot. */
	for (guint32 i = 0; rib->set_index.slots && i <= rib->set_index.mask; i++) {
		guint32 id = rib->set_index.slots[i];

		if (id != NIL && set_words(&set_at(rib, id)->a) > SET_WORDS)
			g_free((gpointer)set_at(rib, id)->a.as_path);
	}
	g_free(rib->set_index.slots);
	g_free(rib->entry_index.slots);
	slab_fini(&rib->sets);
	slab_fini(&rib->entries);
	slab_fini(&rib->paths);
	g_array_unref(rib->peers);
	g_hash_table_destroy(rib->peer_index);
	g_free(rib);
}

void rfm_rib_set_options(struct rfm_rib *rib, const struct rfm_rib_options *opts)
{
	rib->opts = *opts;
}

void rfm_rib_get_stats(const struct rfm_rib *rib, struct rfm_rib_stats *out)
{
	*out = rib->stats;
	out->prefixes_v4 = rfm_lpm_count(rib->lpm[TABLE_SELECT][0]);
	out->prefixes_v6 = rfm_lpm_count(rib->lpm[TABLE_SELECT][1]);
}

gsize rfm_rib_memory(const struct rfm_rib *rib)
{
	gsize n = sizeof(*rib) + rib->spilled_bytes;

	for (int t = 0; t < TABLE_MAX; t++)
		n += rfm_lpm_memory(rib->lpm[t][0]) + rfm_lpm_memory(rib->lpm[t][1]);
	n += slab_memory(&rib->sets) + slab_memory(&rib->entries) + slab_memory(&rib->paths);
	n += index_memory(&rib->set_index) + index_memory(&rib->entry_index);
	n += (gsize)rib->peers->len * sizeof(struct peer);
	/* GHashTable: three words a slot, and the key copies. */
	n += g_hash_table_size(rib->peer_index) *
	     (3 * sizeof(gpointer) + sizeof(struct rfm_rib_peer_key));
	n += rib->sweep.batch_cap * sizeof(struct sweep_item);
	return n;
}

const char *rfm_rib_view_name(enum rfm_rib_view v)
{
	static const char *const names[RFM_VIEW_MAX] = {
		[RFM_VIEW_LOC_RIB] = "loc-rib",		[RFM_VIEW_IN_POST] = "adj-rib-in-post",
		[RFM_VIEW_IN_PRE] = "adj-rib-in-pre",	[RFM_VIEW_OUT_POST] = "adj-rib-out-post",
		[RFM_VIEW_OUT_PRE] = "adj-rib-out-pre",
	};

	return v < RFM_VIEW_MAX ? names[v] : "?";
}
