// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * rib.c - owns the routes learnt from BMP: peers, interned attribute sets,
 * prefix entries with their paths, and the LPM tables over them.
 *
 * Layout (all referred to by guint32 index, 0 = none):
 *   entries  one per (table, prefix): its path list and its selected path;
 *   paths    one per route: peer, path id, attribute set, next in the list;
 *   attrs    interned attribute sets, reference counted.
 * Two tables: "select" holds Loc-RIB and Adj-RIB-In routes and answers
 * lookups; "out" holds Adj-RIB-Out routes, kept apart and never selected.
 * An entry exists only while it has a path, so every prefix the select LPM
 * finds has a route to return.
 */
#include "rib.h"

#include <string.h>

#include "lpm.h"

#define NIL		   0
#define DEFAULT_LOCAL_PREF 100 /* what a router assumes without LOCAL_PREF */

/* DOC: a prefix of one table; owned by rib.entries, index = LPM value. */
struct entry {
	guint32 first_path;
	guint32 best_path; /* NIL in the out table */
	guint8 plen;
	guint8 version;
	guint8 table; /* TABLE_* */
	guint8 pad;
	guint8 prefix[16];
};

/* DOC: one route; owned by rib.paths. next doubles as the free-list link. */
struct path {
	guint32 next;
	guint32 entry;
	guint32 attr;
	guint32 path_id;
	guint32 peer;
};

/* DOC: an interned attribute set; arrays live in the same allocation. */
struct attr_set {
	struct rfm_rib_attrs a;
	guint32 refs;
	guint32 hash;
};

/* DOC: a peer; slot in rib.peers, id = index. used == false: free slot. */
struct peer {
	struct rfm_rib_peer_key key;
	guint32 peer_as;
	guint32 routes;
	bool used;
};

enum { TABLE_SELECT = 0, TABLE_OUT = 1, TABLE_MAX = 2 };

/* DOC: the RIB, owned by its creator. */
struct rfm_rib {
	struct rfm_rib_options opts;
	struct rfm_lpm *lpm[TABLE_MAX][2]; /* [table][version == 6] */
	GArray *entries;		   /* struct entry; [0] unused */
	guint32 entry_free;		   /* free list through first_path */
	GArray *paths;			   /* struct path; [0] unused */
	guint32 path_free;
	GPtrArray *attrs;	/* struct attr_set * or NULL; [0] unused */
	GHashTable *attr_index; /* struct attr_set * -> id */
	GArray *attr_free;	/* guint32 ids */
	GArray *peers;		/* struct peer; [0] unused */
	GHashTable *peer_index; /* struct rfm_rib_peer_key * (in peers? no: owned copy) -> id */
	struct rfm_rib_stats stats;
	gsize attr_bytes;
};

static inline struct entry *entry_at(const struct rfm_rib *rib, guint32 i)
{
	return &g_array_index(rib->entries, struct entry, i);
}

static inline struct path *path_at(const struct rfm_rib *rib, guint32 i)
{
	return &g_array_index(rib->paths, struct path, i);
}

static inline struct peer *peer_at(const struct rfm_rib *rib, guint32 i)
{
	return &g_array_index(rib->peers, struct peer, i);
}

static inline const struct rfm_rib_attrs *attrs_at(const struct rfm_rib *rib, guint32 i)
{
	return &((struct attr_set *)g_ptr_array_index(rib->attrs, i))->a;
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

static guint attr_set_hash(gconstpointer p)
{
	return ((const struct attr_set *)p)->hash;
}

static gboolean attr_set_equal(gconstpointer a, gconstpointer b)
{
	return attrs_equal(&((const struct attr_set *)a)->a, &((const struct attr_set *)b)->a);
}

static guint32 attr_intern(struct rfm_rib *rib, const struct rfm_rib_attrs *a)
{
	struct attr_set probe = {.a = *a, .hash = attrs_hash(a)};
	struct attr_set *s;
	gsize words;
	guint32 id;
	guint32 *w;

	id = GPOINTER_TO_UINT(g_hash_table_lookup(rib->attr_index, &probe));
	if (id) {
		((struct attr_set *)g_ptr_array_index(rib->attrs, id))->refs++;
		return id;
	}
	words = a->as_path_count + a->community_count + 3U * a->large_community_count;
	s = g_malloc(sizeof(*s) + 4 * words);
	*s = probe;
	s->refs = 1;
	w = (guint32 *)(s + 1);
	copy_words(w, a->as_path, a->as_path_count);
	s->a.as_path = w;
	w += a->as_path_count;
	copy_words(w, a->communities, a->community_count);
	s->a.communities = w;
	w += a->community_count;
	copy_words(w, a->large_communities, 3U * a->large_community_count);
	s->a.large_communities = w;
	if (rib->attr_free->len) {
		id = g_array_index(rib->attr_free, guint32, rib->attr_free->len - 1);
		g_array_set_size(rib->attr_free, rib->attr_free->len - 1);
		g_ptr_array_index(rib->attrs, id) = s;
	} else {
		id = rib->attrs->len;
		g_ptr_array_add(rib->attrs, s);
	}
	g_hash_table_insert(rib->attr_index, s, GUINT_TO_POINTER(id));
	rib->attr_bytes += sizeof(*s) + 4 * words;
	rib->stats.attr_sets++;
	return id;
}

static void attr_unref(struct rfm_rib *rib, guint32 id)
{
	struct attr_set *s = g_ptr_array_index(rib->attrs, id);

	if (--s->refs)
		return;
	g_hash_table_remove(rib->attr_index, s);
	rib->attr_bytes -= sizeof(*s) + 4U * (s->a.as_path_count + s->a.community_count +
					      3U * s->a.large_community_count);
	g_free(s);
	g_ptr_array_index(rib->attrs, id) = NULL;
	g_array_append_val(rib->attr_free, id);
	rib->stats.attr_sets--;
}

/* --- selection ----------------------------------------------------------- */

static int cmp_u32(guint32 a, guint32 b)
{
	return a < b ? -1 : a > b;
}

/* < 0 when path x is preferred to path y (see rib.h for the order). */
static int path_cmp(const struct rfm_rib *rib, const struct path *x, const struct path *y)
{
	const struct peer *px = peer_at(rib, x->peer), *py = peer_at(rib, y->peer);
	const struct rfm_rib_attrs *ax = attrs_at(rib, x->attr), *ay = attrs_at(rib, y->attr);
	guint32 lx = ax->has_local_pref ? ax->local_pref : DEFAULT_LOCAL_PREF;
	guint32 ly = ay->has_local_pref ? ay->local_pref : DEFAULT_LOCAL_PREF;
	int c;

	if ((c = cmp_u32(px->key.view, py->key.view)))
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
	if ((c = cmp_u32(px->key.addr_version, py->key.addr_version)))
		return c;
	if ((c = memcmp(px->key.addr, py->key.addr, 16)))
		return c;
	if ((c = cmp_u32(x->path_id, y->path_id)))
		return c;
	/* Loc-RIB peers of two routers all have address 0: never let order decide. */
	if ((c = cmp_u32(px->key.session, py->key.session)))
		return c;
	if ((c = cmp_u32(px->key.peer_type, py->key.peer_type)))
		return c;
	return px->key.distinguisher < py->key.distinguisher
		       ? -1
		       : px->key.distinguisher > py->key.distinguisher;
}

static void entry_select(struct rfm_rib *rib, guint32 e)
{
	struct entry *en = entry_at(rib, e);
	guint32 best = NIL;

	if (en->table != TABLE_SELECT)
		return;
	for (guint32 p = en->first_path; p != NIL; p = path_at(rib, p)->next) {
		if (best == NIL || path_cmp(rib, path_at(rib, p), path_at(rib, best)) < 0)
			best = p;
	}
	en->best_path = best;
}

/* --- entries and paths --------------------------------------------------- */

static struct rfm_lpm *lpm_of(const struct rfm_rib *rib, int table, int version)
{
	return rib->lpm[table][version == 6];
}

static guint32 entry_find(struct rfm_rib *rib, int table, int version, const guint8 *prefix,
			  guint8 plen, bool create)
{
	struct rfm_lpm *lpm = lpm_of(rib, table, version);
	guint32 e = rfm_lpm_get(lpm, prefix, plen);
	struct entry *en;
	int bytes = version == 6 ? 16 : 4;

	if (e || !create)
		return e;
	if (rib->entry_free) {
		e = rib->entry_free;
		rib->entry_free = entry_at(rib, e)->first_path;
	} else {
		e = rib->entries->len;
		g_array_set_size(rib->entries, e + 1);
	}
	en = entry_at(rib, e);
	memset(en, 0, sizeof(*en));
	en->plen = plen;
	en->version = version;
	en->table = table;
	/* Keep only the prefix bits, so equal prefixes compare equal. */
	for (int i = 0; i < bytes; i++) {
		int keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;

		en->prefix[i] = keep ? prefix[i] & (guint8)(0xff << (8 - keep)) : 0;
	}
	rfm_lpm_insert(lpm, en->prefix, plen, e);
	if (version == 6)
		rib->stats.prefixes_v6 += table == TABLE_SELECT;
	else
		rib->stats.prefixes_v4 += table == TABLE_SELECT;
	return e;
}

static void entry_release(struct rfm_rib *rib, guint32 e)
{
	struct entry *en = entry_at(rib, e);

	rfm_lpm_remove(lpm_of(rib, en->table, en->version), en->prefix, en->plen);
	if (en->version == 6)
		rib->stats.prefixes_v6 -= en->table == TABLE_SELECT;
	else
		rib->stats.prefixes_v4 -= en->table == TABLE_SELECT;
	en->first_path = rib->entry_free;
	en->version = 0;
	rib->entry_free = e;
}

static guint32 path_new(struct rfm_rib *rib)
{
	guint32 p = rib->path_free;

	if (p) {
		rib->path_free = path_at(rib, p)->next;
		return p;
	}
	p = rib->paths->len;
	g_array_set_size(rib->paths, p + 1);
	return p;
}

/* Unlink path p (whose predecessor link is *link) and free it. */
static void path_drop(struct rfm_rib *rib, guint32 *link, guint32 p)
{
	struct path *pa = path_at(rib, p);
	guint32 e = pa->entry;

	*link = pa->next;
	attr_unref(rib, pa->attr);
	peer_at(rib, pa->peer)->routes--;
	pa->peer = NIL;
	pa->next = rib->path_free;
	rib->path_free = p;
	rib->stats.routes--;
	if (entry_at(rib, e)->first_path == NIL)
		entry_release(rib, e);
	else
		entry_select(rib, e);
}

bool rfm_rib_announce(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id, const struct rfm_rib_attrs *a)
{
	struct peer *pe;
	struct path *pa;
	guint32 e, p;
	int table;

	if (peer_id == NIL || peer_id >= rib->peers->len || !peer_at(rib, peer_id)->used ||
	    plen > (version == 6 ? 128 : 32))
		return false;
	pe = peer_at(rib, peer_id);
	table = table_of(pe->key.view);
	e = entry_find(rib, table, version, prefix, plen, false);
	for (p = e ? entry_at(rib, e)->first_path : NIL; p != NIL; p = pa->next) {
		pa = path_at(rib, p);
		if (pa->peer == peer_id && pa->path_id == path_id) {
			/* Implicit withdraw: the new attributes replace the old. */
			guint32 old = pa->attr;

			pa->attr = attr_intern(rib, a);
			attr_unref(rib, old);
			entry_select(rib, e);
			rib->stats.announced++;
			return true;
		}
	}
	if (pe->routes >= rib->opts.max_routes_per_peer) {
		rib->stats.dropped_peer_limit++;
		return false;
	}
	e = entry_find(rib, table, version, prefix, plen, true);
	p = path_new(rib);
	pa = path_at(rib, p);
	pa->entry = e;
	pa->attr = attr_intern(rib, a);
	pa->path_id = path_id;
	pa->peer = peer_id;
	pa->next = entry_at(rib, e)->first_path;
	entry_at(rib, e)->first_path = p;
	peer_at(rib, peer_id)->routes++;
	rib->stats.routes++;
	rib->stats.announced++;
	entry_select(rib, e);
	return true;
}

bool rfm_rib_withdraw(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id)
{
	guint32 e, *link;

	if (peer_id == NIL || peer_id >= rib->peers->len || !peer_at(rib, peer_id)->used ||
	    plen > (version == 6 ? 128 : 32))
		return false;
	e = entry_find(rib, table_of(peer_at(rib, peer_id)->key.view), version, prefix, plen,
		       false);
	for (link = e ? &entry_at(rib, e)->first_path : NULL; link && *link != NIL;
	     link = &path_at(rib, *link)->next) {
		struct path *pa = path_at(rib, *link);

		if (pa->peer == peer_id && pa->path_id == path_id) {
			path_drop(rib, link, *link);
			rib->stats.withdrawn++;
			return true;
		}
	}
	rib->stats.withdraw_unknown++;
	return false;
}

bool rfm_rib_lookup(const struct rfm_rib *rib, int version, const guint8 *addr, bool use_default,
		    struct rfm_rib_match *out)
{
	guint8 plen;
	guint32 e = rfm_lpm_lookup_min(lpm_of(rib, TABLE_SELECT, version), addr,
				       use_default ? 0 : 1, &plen);
	const struct path *pa;

	if (e == NIL || entry_at(rib, e)->best_path == NIL)
		return false;
	pa = path_at(rib, entry_at(rib, e)->best_path);
	out->attrs = attrs_at(rib, pa->attr);
	out->peer = &peer_at(rib, pa->peer)->key;
	out->peer_as = peer_at(rib, pa->peer)->peer_as;
	out->plen = plen;
	return true;
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
	for (id = 1; id < rib->peers->len && peer_at(rib, id)->used; id++)
		;
	if (id == rib->peers->len)
		g_array_set_size(rib->peers, id + 1);
	pe = peer_at(rib, id);
	memset(pe, 0, sizeof(*pe));
	pe->key = *key;
	pe->peer_as = peer_as;
	pe->used = true;
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

	if (peer_id == NIL || peer_id >= rib->peers->len || !peer_at(rib, peer_id)->used)
		return;
	pe = peer_at(rib, peer_id);
	/* A peer going down is rare: walk the paths rather than keep a list per peer. */
	for (guint32 p = 1; p < rib->paths->len && pe->routes; p++) {
		struct path *pa = path_at(rib, p);
		guint32 *link;

		if (pa->peer != peer_id)
			continue;
		link = &entry_at(rib, pa->entry)->first_path;
		while (*link != p)
			link = &path_at(rib, *link)->next;
		path_drop(rib, link, p);
	}
	g_hash_table_remove(rib->peer_index, &pe->key);
	pe->used = false;
	rib->stats.peers--;
}

void rfm_rib_session_down(struct rfm_rib *rib, guint32 session)
{
	for (guint32 id = 1; id < rib->peers->len; id++) {
		if (peer_at(rib, id)->used && peer_at(rib, id)->key.session == session)
			rfm_rib_peer_down(rib, id);
	}
}

guint32 rfm_rib_peer_routes(const struct rfm_rib *rib, guint32 peer_id)
{
	if (peer_id == NIL || peer_id >= rib->peers->len || !peer_at(rib, peer_id)->used)
		return 0;
	return peer_at(rib, peer_id)->routes;
}

void rfm_rib_foreach_peer(const struct rfm_rib *rib,
			  void (*fn)(guint32 peer_id, const struct rfm_rib_peer_key *key,
				     guint32 peer_as, guint32 routes, void *ud),
			  void *ud)
{
	for (guint32 id = 1; id < rib->peers->len; id++) {
		const struct peer *pe = peer_at(rib, id);

		if (pe->used)
			fn(id, &pe->key, pe->peer_as, pe->routes, ud);
	}
}

void rfm_rib_foreach_route(const struct rfm_rib *rib,
			   void (*fn)(const struct rfm_rib_route *route, void *ud), void *ud)
{
	/* Free entries have version 0 (entry_release()); live ones have a path. */
	for (guint32 e = 1; e < rib->entries->len; e++) {
		const struct entry *en = entry_at(rib, e);
		struct rfm_rib_route r = {.version = en->version, .plen = en->plen};

		if (!en->version)
			continue;
		memcpy(r.prefix, en->prefix, 16);
		for (guint32 p = en->first_path; p != NIL; p = path_at(rib, p)->next) {
			const struct path *pa = path_at(rib, p);
			const struct peer *pe = peer_at(rib, pa->peer);

			r.path_id = pa->path_id;
			r.peer_id = pa->peer;
			r.peer_as = pe->peer_as;
			r.peer = &pe->key;
			r.attrs = attrs_at(rib, pa->attr);
			r.selected = en->table == TABLE_SELECT && p == en->best_path;
			fn(&r, ud);
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
	rib->entries = g_array_sized_new(FALSE, TRUE, sizeof(struct entry), 1);
	g_array_set_size(rib->entries, 1);
	rib->paths = g_array_sized_new(FALSE, TRUE, sizeof(struct path), 1);
	g_array_set_size(rib->paths, 1);
	rib->attrs = g_ptr_array_new();
	g_ptr_array_add(rib->attrs, NULL);
	rib->attr_index = g_hash_table_new(attr_set_hash, attr_set_equal);
	rib->attr_free = g_array_new(FALSE, FALSE, sizeof(guint32));
	rib->peers = g_array_sized_new(FALSE, TRUE, sizeof(struct peer), 1);
	g_array_set_size(rib->peers, 1);
	rib->peer_index = g_hash_table_new_full(peer_key_hash, peer_key_equal, g_free, NULL);
	return rib;
}

void rfm_rib_free(struct rfm_rib *rib)
{
	if (!rib)
		return;
	for (int t = 0; t < TABLE_MAX; t++) {
		rfm_lpm_free(rib->lpm[t][0]);
		rfm_lpm_free(rib->lpm[t][1]);
	}
	g_array_unref(rib->entries);
	g_array_unref(rib->paths);
	for (guint i = 1; i < rib->attrs->len; i++)
		g_free(g_ptr_array_index(rib->attrs, i));
	g_ptr_array_unref(rib->attrs);
	g_hash_table_destroy(rib->attr_index);
	g_array_unref(rib->attr_free);
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
}

gsize rfm_rib_memory(const struct rfm_rib *rib)
{
	gsize n = rib->attr_bytes;

	for (int t = 0; t < TABLE_MAX; t++)
		n += rfm_lpm_memory(rib->lpm[t][0]) + rfm_lpm_memory(rib->lpm[t][1]);
	n += (gsize)rib->entries->len * sizeof(struct entry);
	n += (gsize)rib->paths->len * sizeof(struct path);
	n += (gsize)rib->peers->len * sizeof(struct peer);
	/* GHashTable: about three words per attribute set. */
	n += (gsize)rib->stats.attr_sets * 3 * sizeof(gpointer);
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
