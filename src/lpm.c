// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * lpm.c - owns the longest-prefix-match tables: a tree bitmap (a multibit
 * trie that keeps each prefix in exactly one node, as in Eatherton, Varghese
 * and Dittia, "Tree bitmap", 2004) under a direct-indexed array of root
 * nodes, with 6-bit strides below so that both bitmaps of a node are 64-bit
 * words and every rank is one popcount (the stride Poptrie uses, Asai and
 * Ohara, 2015). Nodes below the root and values live in two pools of blocks
 * addressed by guint32 index; no node is allocated on its own.
 *
 * A subtree that holds a single prefix is a leaf: that prefix, whole, in
 * the place of a node. Sparse prefixes (an IPv6 /48 alone in its /34)
 * then cost one node and no chain, and a lookup that reaches a leaf ends
 * there without reading a value.
 *
 * A lookup reads one root node, which for IPv4 covers a /16 (1.5 MiB of
 * them, mostly in cache) and for IPv6 a /10, then one node per 6 bits of
 * prefix length below it or a leaf (an IPv4 /24: one more), and the value
 * of the longest match last. Inserting or removing a prefix copies the child
 * block of one node or the value block of another, at most 64 entries.
 *
 * Walks go in (address, length) order and resume after any prefix, so that
 * a caller can visit a large table a bounded batch at a time while it
 * changes the table between batches (the RIB's sweep of a peer's routes).
 */
#include "lpm.h"

#include <stdbool.h>
#include <string.h>

#define NIL	    G_MAXUINT32
#define STRIDE	    6
#define ROOT_BITS_4 16 /* IPv4 root: 65536 nodes of a /16 */
#define ROOT_BITS_6 10 /* IPv6 root: 1024 nodes of a /10 (2000::/3 is 128 of them) */
#define LEVELS_MAX  ((128 - ROOT_BITS_6) / STRIDE + 1) /* nodes on a path */
#define BLOCK_MAX   64				       /* children of a node (values: 63) */
#define NODE_SHIFT  13				       /* nodes per pool chunk: 192 KiB */
#define VALUE_SHIFT 15				       /* values per pool chunk: 128 KiB */
#define LEAF	    ((guint64)1 << 63)
#define BATCH_LANES 8 /* walks in flight in rfm_lpm_lookup_batch() */

/* A prefix or an address as a 128-bit number, host order, IPv4 in the top 32 bits. */
struct lpm_key {
	guint64 hi, lo;
};

/*
 * DOC: the trie. Keys of prefixes are zero beyond their length; rb is the
 * table's root_bits (16 for IPv4, 10 for IPv6).
 *
 * A prefix shorter than rb is kept in struct lpm_short. Every other prefix
 * P/len lives in one slot of the trie. The slot at depth rb of P is
 * root[P >> (128 - rb)]; the slot at depth d + 6 is child c of the node at
 * depth d, where c is the 6 bits of P at d (depths rb + 6i never straddle
 * bit 64 of the key: 16 + 6 * 8 = 10 + 6 * 9 = 64). A slot holds:
 *
 *  - a leaf (prefixes has LEAF) when its subtree holds exactly one prefix:
 *    LEAF | plen << 32 | value, and key, the whole prefix (plen >= depth);
 *  - else a node, whose subtree holds at least two prefixes (only a root
 *    slot may be empty: a node with both bitmaps 0). P lives in the node at
 *    depth d <= len < d + 6, at bit pos(len - d, c) of prefixes:
 *
 *      pos(r, c) = (1 << r) - 1 + (c >> (6 - r)),  r = 0..5,
 *
 *    so bits 0 (r = 0), 1..2 (r = 1), 3..6, 7..14, 15..30, 31..62 (r = 5)
 *    hold the prefixes of each length, and a longer one has a higher bit.
 *    Its children are the popcount(children) slots of the block
 *    nodes[child ...], in order of c; its values the popcount(prefixes)
 *    values of the block values[value ...], in order of bit, none 0. child
 *    and value are NIL when their bitmap is 0.
 *
 * The shape depends only on the set of prefixes: remove turns a node back
 * into a leaf or frees it, so the blocks in use follow the prefixes, not
 * their history. The pools' free blocks do depend on history (a build in
 * random order leaves blocks of the sizes nodes grew through); inserts
 * reuse them. Neither the root nor the pools (which grow by chunks) ever
 * move a node, so a node pointer stays valid across allocations.
 */
struct lpm_node {
	guint64 prefixes; /* see above; LEAF is bit 63, which no pos() reaches */
	union {
		struct {
			guint64 children; /* bit c: child c */
			guint32 child;	  /* first slot of the child block, or NIL */
			guint32 value;	  /* first value of the value block, or NIL */
		};
		struct lpm_key key; /* leaf */
	};
};
_Static_assert(sizeof(struct lpm_node) == 24, "lpm_node size");

/*
 * DOC: a pool of fixed-size elements in chunks of 1 << shift, handed out in
 * blocks of 1..BLOCK_MAX elements that never cross a chunk. A free block is
 * on free[n] (n = its length), linked through its first 4 bytes; bit n - 1 of
 * nonempty says free[n] has a block. Owned by its table.
 */
struct lpm_pool {
	guint8 **chunks; /* owned, each 1 << shift elements */
	guint32 nchunks;
	guint32 cap; /* slots in chunks */
	guint32 top; /* elements handed out from the chunks so far */
	guint32 shift;
	guint32 elem; /* bytes per element */
	guint32 free[BLOCK_MAX + 1];
	guint64 nonempty;
};

/*
 * DOC: prefixes shorter than root_bits: at most 65535 (IPv4) or 1023
 * (IPv6), and rare (default routes, a few /8../15). exact[] holds each at
 * short_index(); best[i] and best_plen[i] are the value and length of the
 * longest of them covering root slot i (best 0: none), so a lookup that
 * finds nothing in the trie reads one more entry. Owned by the table,
 * allocated with the first such prefix, freed with the last.
 */
struct lpm_short {
	guint32 *exact;	   /* owned, (1 << root_bits) - 1 */
	guint32 *best;	   /* owned, 1 << root_bits */
	guint8 *best_plen; /* owned, 1 << root_bits */
	guint32 count;
};

/*
 * DOC: a table. Owned by its creator. count = prefixes in the trie +
 * shorts->count. Bit i of starts is set when some prefix starts in root
 * slot i: the slot is not empty, or a short prefix has its first address
 * there; walks skip the other slots a word at a time.
 */
struct rfm_lpm {
	guint8 family;	  /* 4 or 6 */
	guint8 maxlen;	  /* 32 or 128 */
	guint8 root_bits; /* ROOT_BITS_4 or ROOT_BITS_6 */
	guint32 count;
	struct lpm_node *root;	  /* owned, 1 << root_bits slots; NULL when the trie is empty */
	guint64 *starts;	  /* owned, a bit per root slot; NULL when the table is empty */
	struct lpm_short *shorts; /* owned; NULL when there is no short prefix */
	struct lpm_pool nodes;	  /* struct lpm_node */
	struct lpm_pool values;	  /* guint32 */
};

/* --- bits ----------------------------------------------------------------- */

/*
 * The lookups, each compiled twice on x86-64 builds for the baseline (no
 * POPCNT): once as they are, once for CPUs with POPCNT (every x86-64 CPU
 * since 2008), chosen once at load time (an ifunc). GCC turns popcount()
 * below into the instruction in the second; it was a third of the time of
 * an IPv6 lookup inside the table.
 */
#if defined(__x86_64__) && !defined(__POPCNT__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define LPM_LOOKUP_CLONES __attribute__((target_clones("default", "popcnt")))
#endif
#endif
#ifndef LPM_LOOKUP_CLONES
#define LPM_LOOKUP_CLONES
#endif

/*
 * Without the instruction (-mpopcnt), GCC would call libgcc for
 * __builtin_popcountll(); it recognises this sequence and emits the
 * instruction where the target has it.
 */
static inline guint popcount(guint64 x)
{
#ifdef __POPCNT__
	return (guint)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (guint)((x * 0x0101010101010101ULL) >> 56);
#endif
}

static inline guint64 bit(guint n)
{
	return (guint64)1 << n;
}

/* The bits below bit n. */
static inline guint64 below(guint n)
{
	return bit(n) - 1;
}

/* Index of the highest set bit of x != 0. */
static inline guint top_bit(guint64 x)
{
	return 63 - (guint)__builtin_clzll(x);
}

/* The prefix length r of bit pos of a prefixes bitmap. */
static inline guint pos_len(guint pos)
{
	return top_bit(pos + 1);
}

static inline guint prefix_pos(guint r, guint c)
{
	return (1U << r) - 1 + (c >> (STRIDE - r));
}

/* The bits pos(r, c) of every r = 0..5: the prefixes of a node that cover c. */
static inline guint64 cover_mask(guint c)
{
	return bit(0) | bit(1) << (c >> 5) | bit(3) << (c >> 4) | bit(7) << (c >> 3) |
	       bit(15) << (c >> 2) | bit(31) << (c >> 1);
}

/* The top plen bits of a 64-bit word (plen 0..64). */
static inline guint64 word_mask(guint plen)
{
	return plen ? ~(guint64)0 << (64 - plen) : 0;
}

/* Clear the bits of k beyond plen. */
static inline void key_mask(struct lpm_key *k, guint plen)
{
	if (plen < 64) {
		k->hi &= word_mask(plen);
		k->lo = 0;
	} else {
		k->lo &= word_mask(plen - 64);
	}
}

static inline bool key_equal(const struct lpm_key *a, const struct lpm_key *b)
{
	return a->hi == b->hi && a->lo == b->lo;
}

/* Whether prefix p/plen covers k. */
static inline bool key_covers(const struct lpm_key *p, guint plen, const struct lpm_key *k)
{
	if (plen <= 64)
		return !((p->hi ^ k->hi) & word_mask(plen));
	return p->hi == k->hi && !((p->lo ^ k->lo) & word_mask(plen - 64));
}

static void key_load(const struct rfm_lpm *t, struct lpm_key *k, const guint8 *addr, guint plen)
{
	guint64 w[2];
	guint32 v4;

	if (t->family == 4) {
		memcpy(&v4, addr, 4);
		k->hi = (guint64)GUINT32_FROM_BE(v4) << 32;
		k->lo = 0;
	} else {
		memcpy(w, addr, 16);
		k->hi = GUINT64_FROM_BE(w[0]);
		k->lo = GUINT64_FROM_BE(w[1]);
	}
	key_mask(k, plen);
}

static void key_store(const struct rfm_lpm *t, const struct lpm_key *k, guint8 *addr)
{
	guint64 w[2] = {GUINT64_TO_BE(k->hi), GUINT64_TO_BE(k->lo)};
	guint32 v4 = GUINT32_TO_BE((guint32)(k->hi >> 32));

	if (t->family == 4)
		memcpy(addr, &v4, 4);
	else
		memcpy(addr, w, 16);
}

/* The 6 bits of k at depth (root_bits + 6i: never across the two words). */
static inline guint key_chunk(const struct lpm_key *k, guint depth)
{
	return depth < 64 ? (guint)((k->hi << depth) >> 58)
			  : (guint)((k->lo << (depth - 64)) >> 58);
}

/* Set the n bits of k at depth to v (within the chunk at depth). */
static void key_set(struct lpm_key *k, guint depth, guint n, guint v)
{
	guint64 *w = depth < 64 ? &k->hi : &k->lo;
	guint shift = 64 - depth % 64 - n;

	if (n) /* else shift may be 64 (depth 64) */
		*w = (*w & ~(below(n) << shift)) | (guint64)v << shift;
}

/*
 * Set the chunk of k at depth to c. The last IPv6 chunk (depth 124) has 4
 * bits: the 2 low bits of c, beyond bit 128, are 0 there for every prefix.
 */
static void key_set_chunk(struct lpm_key *k, guint depth, guint c)
{
	guint n = MIN(STRIDE, 128 - depth);

	key_set(k, depth, n, c >> (STRIDE - n));
}

static inline guint root_index(const struct rfm_lpm *t, const struct lpm_key *k)
{
	return (guint)(k->hi >> (64 - t->root_bits));
}

/* --- pools ---------------------------------------------------------------- */

static void pool_init(struct lpm_pool *p, guint32 shift, guint32 elem)
{
	memset(p, 0, sizeof(*p));
	p->shift = shift;
	p->elem = elem;
	for (guint n = 0; n <= BLOCK_MAX; n++)
		p->free[n] = NIL;
}

static void pool_fini(struct lpm_pool *p)
{
	for (guint32 i = 0; i < p->nchunks; i++)
		g_free(p->chunks[i]);
	g_free(p->chunks);
}

static inline void *pool_at(const struct lpm_pool *p, guint32 i)
{
	return p->chunks[i >> p->shift] + (gsize)(i & ((1U << p->shift) - 1)) * p->elem;
}

/* Free the block of n elements at i. */
static void pool_push(struct lpm_pool *p, guint32 i, guint n)
{
	memcpy(pool_at(p, i), &p->free[n], sizeof(guint32));
	p->free[n] = i;
	p->nonempty |= bit(n - 1);
}

static guint32 pool_pop(struct lpm_pool *p, guint n)
{
	guint32 i = p->free[n];

	memcpy(&p->free[n], pool_at(p, i), sizeof(guint32));
	if (p->free[n] == NIL)
		p->nonempty &= ~bit(n - 1);
	return i;
}

/*
 * A block of n elements: a free block of that length, else a piece of the
 * shortest longer one, else new space (the end of a chunk too short for n
 * becomes a free block).
 */
static guint32 pool_alloc(struct lpm_pool *p, guint n)
{
	guint32 size = 1U << p->shift, i;
	guint64 longer = n < BLOCK_MAX ? p->nonempty & ~below(n) : 0;

	if (p->free[n] != NIL)
		return pool_pop(p, n);
	if (longer) {
		guint m = (guint)__builtin_ctzll(longer) + 1;

		i = pool_pop(p, m);
		pool_push(p, i + n, m - n);
		return i;
	}
	if ((p->top & (size - 1)) + n > size) {
		guint tail = size - (p->top & (size - 1));

		pool_push(p, p->top, tail);
		p->top += tail;
	}
	if (p->top >> p->shift == p->nchunks) {
		if (p->nchunks == p->cap) {
			p->cap = MAX(2 * p->cap, 16);
			p->chunks = g_renew(guint8 *, p->chunks, p->cap);
		}
		p->chunks[p->nchunks++] = g_malloc((gsize)size * p->elem);
	}
	i = p->top;
	p->top += n;
	return i;
}

static gsize pool_memory(const struct lpm_pool *p)
{
	return ((gsize)p->nchunks << p->shift) * p->elem + p->cap * sizeof(*p->chunks);
}

static inline struct lpm_node *node_at(const struct rfm_lpm *t, guint32 i)
{
	return (struct lpm_node *)t->nodes.chunks[i >> NODE_SHIFT] + (i & ((1U << NODE_SHIFT) - 1));
}

static inline guint32 *value_at(const struct rfm_lpm *t, guint32 i)
{
	return (guint32 *)t->values.chunks[i >> VALUE_SHIFT] + (i & ((1U << VALUE_SHIFT) - 1));
}

/* --- nodes and leaves ----------------------------------------------------- */

static inline bool is_leaf(const struct lpm_node *nd)
{
	return nd->prefixes & LEAF;
}

static inline guint leaf_plen(const struct lpm_node *nd)
{
	return (guint)(nd->prefixes >> 32) & 0xff;
}

static inline guint32 leaf_value(const struct lpm_node *nd)
{
	return (guint32)nd->prefixes;
}

static void leaf_set(struct lpm_node *nd, const struct lpm_key *k, guint plen, guint32 v)
{
	nd->prefixes = LEAF | (guint64)plen << 32 | v;
	nd->key = *k;
}

/* Make nd an empty node. */
static void node_init(struct lpm_node *nd)
{
	nd->prefixes = 0;
	nd->children = 0;
	nd->child = NIL;
	nd->value = NIL;
}

static inline struct lpm_node *child_of(const struct rfm_lpm *t, const struct lpm_node *nd, guint c)
{
	return node_at(t, nd->child + popcount(nd->children & below(c)));
}

/* The value at bit pos (set) of a node. */
static inline guint32 *node_value(const struct rfm_lpm *t, const struct lpm_node *nd, guint pos)
{
	return value_at(t, nd->value + popcount(nd->prefixes & below(pos)));
}

/* Add child c to node nd (which has none); returns it, uninitialised. */
static struct lpm_node *child_add(struct rfm_lpm *t, struct lpm_node *nd, guint c)
{
	guint k = popcount(nd->children), rank = popcount(nd->children & below(c));
	guint32 blk = pool_alloc(&t->nodes, k + 1);
	struct lpm_node *dst = node_at(t, blk);

	if (k) {
		const struct lpm_node *src = node_at(t, nd->child);

		memcpy(dst, src, rank * sizeof(*dst));
		memcpy(dst + rank + 1, src + rank, (k - rank) * sizeof(*dst));
		pool_push(&t->nodes, nd->child, k);
	}
	nd->child = blk;
	nd->children |= bit(c);
	return dst + rank;
}

/*
 * Drop child c of node nd. The rest moves to a block one shorter, as in
 * child_add(): shrinking in place would leave the freed last slots as blocks
 * of one, which nothing coalesces and inserts of other sizes never reuse.
 */
static void child_del(struct rfm_lpm *t, struct lpm_node *nd, guint c)
{
	guint k = popcount(nd->children), rank = popcount(nd->children & below(c));
	const struct lpm_node *src = node_at(t, nd->child);
	guint32 blk = k > 1 ? pool_alloc(&t->nodes, k - 1) : NIL;

	if (blk != NIL) {
		struct lpm_node *dst = node_at(t, blk);

		memcpy(dst, src, rank * sizeof(*dst));
		memcpy(dst + rank, src + rank + 1, (k - rank - 1) * sizeof(*dst));
	}
	pool_push(&t->nodes, nd->child, k);
	nd->child = blk;
	nd->children &= ~bit(c);
}

/* Add value v at bit pos (clear) of node nd. */
static void value_add(struct rfm_lpm *t, struct lpm_node *nd, guint pos, guint32 v)
{
	guint k = popcount(nd->prefixes), rank = popcount(nd->prefixes & below(pos));
	guint32 blk = pool_alloc(&t->values, k + 1), *dst = value_at(t, blk);

	if (k) {
		const guint32 *src = value_at(t, nd->value);

		memcpy(dst, src, rank * sizeof(*dst));
		memcpy(dst + rank + 1, src + rank, (k - rank) * sizeof(*dst));
		pool_push(&t->values, nd->value, k);
	}
	dst[rank] = v;
	nd->value = blk;
	nd->prefixes |= bit(pos);
}

/* Drop the value at bit pos (set) of node nd, like child_del(). */
static void value_del(struct rfm_lpm *t, struct lpm_node *nd, guint pos)
{
	guint k = popcount(nd->prefixes), rank = popcount(nd->prefixes & below(pos));
	const guint32 *src = value_at(t, nd->value);
	guint32 blk = k > 1 ? pool_alloc(&t->values, k - 1) : NIL;

	if (blk != NIL) {
		guint32 *dst = value_at(t, blk);

		memcpy(dst, src, rank * sizeof(*dst));
		memcpy(dst + rank, src + rank + 1, (k - rank - 1) * sizeof(*dst));
	}
	pool_push(&t->values, nd->value, k);
	nd->value = blk;
	nd->prefixes &= ~bit(pos);
}

/* Turn leaf nd at depth into a node holding the leaf's prefix (in it or in a child leaf). */
static void leaf_split(struct rfm_lpm *t, struct lpm_node *nd, guint depth)
{
	struct lpm_key k = nd->key;
	guint plen = leaf_plen(nd);
	guint32 v = leaf_value(nd);

	node_init(nd);
	if (plen - depth < STRIDE)
		value_add(t, nd, prefix_pos(plen - depth, key_chunk(&k, depth)), v);
	else
		leaf_set(child_add(t, nd, key_chunk(&k, depth)), &k, plen, v);
}

/*
 * After a removal at or below path[level] (the slots from the root on the
 * path of k, and the chunk of k at each), restore the DOC shape bottom up:
 * free empty nodes, turn a node whose subtree holds one prefix into a leaf.
 * Each step changes only the node itself or its parent's child block, so
 * the pointers to the slots above stay valid.
 */
static void shape_restore(struct rfm_lpm *t, struct lpm_node *const *path, const guint *chunks,
			  int level, const struct lpm_key *k)
{
	for (; level >= 0; level--) {
		struct lpm_node *nd = path[level];
		guint np = popcount(nd->prefixes), nc = popcount(nd->children);
		guint depth = t->root_bits + STRIDE * (guint)level;

		if (np + nc == 0) {
			if (level > 0) /* a root slot stays, empty */
				child_del(t, path[level - 1], chunks[level - 1]);
		} else if (np == 1 && nc == 0) {
			guint pos = (guint)__builtin_ctzll(nd->prefixes), r = pos_len(pos);
			struct lpm_key p = *k;
			guint32 v = *value_at(t, nd->value);

			pool_push(&t->values, nd->value, 1);
			key_mask(&p, depth);
			key_set(&p, depth, r, pos - ((1U << r) - 1));
			leaf_set(nd, &p, depth + r, v);
		} else if (np == 0 && nc == 1 && is_leaf(node_at(t, nd->child))) {
			guint32 blk = nd->child;

			*nd = *node_at(t, blk);
			pool_push(&t->nodes, blk, 1);
		} else {
			return;
		}
	}
}

/* --- short prefixes ------------------------------------------------------- */

static inline guint short_index(const struct rfm_lpm *t, guint top, guint plen)
{
	return (1U << plen) - 1 + (top >> (t->root_bits - plen));
}

static guint32 short_insert(struct rfm_lpm *t, const struct lpm_key *k, guint plen, guint32 v)
{
	guint top = root_index(t, k), n = 1U << (t->root_bits - plen), slots = 1U << t->root_bits;
	struct lpm_short *s = t->shorts;
	guint32 old;

	if (!s) {
		s = t->shorts = g_new0(struct lpm_short, 1);
		s->exact = g_new0(guint32, slots - 1);
		s->best = g_new0(guint32, slots);
		s->best_plen = g_new0(guint8, slots);
	}
	old = s->exact[short_index(t, top, plen)];
	s->exact[short_index(t, top, plen)] = v;
	for (guint i = top; i < top + n; i++) {
		if (!s->best[i] || s->best_plen[i] <= plen) {
			s->best[i] = v;
			s->best_plen[i] = (guint8)plen;
		}
	}
	if (!old) {
		s->count++;
		t->count++;
	}
	return old;
}

static void shorts_free(struct lpm_short *s)
{
	if (!s)
		return;
	g_free(s->exact);
	g_free(s->best);
	g_free(s->best_plen);
	g_free(s);
}

static guint32 short_remove(struct rfm_lpm *t, const struct lpm_key *k, guint plen)
{
	guint top = root_index(t, k), n = 1U << (t->root_bits - plen), next_plen = 0;
	struct lpm_short *s = t->shorts;
	guint32 old, next = 0;

	if (!s || !(old = s->exact[short_index(t, top, plen)]))
		return 0;
	s->exact[short_index(t, top, plen)] = 0;
	/* The slots it covered fall back to the next shorter prefix, which covers them all. */
	for (guint l = plen; l-- > 0 && !next;) {
		next = s->exact[short_index(t, top, l)];
		next_plen = l;
	}
	for (guint i = top; i < top + n; i++) {
		if (s->best[i] && s->best_plen[i] == plen) {
			s->best[i] = next;
			s->best_plen[i] = next ? (guint8)next_plen : 0;
		}
	}
	t->count--;
	if (--s->count == 0) {
		shorts_free(s);
		t->shorts = NULL;
	}
	return old;
}

/* --- API ------------------------------------------------------------------ */

struct rfm_lpm *rfm_lpm_new(int family)
{
	struct rfm_lpm *t;

	g_return_val_if_fail(family == 4 || family == 6, NULL);
	t = g_new0(struct rfm_lpm, 1);
	t->family = (guint8)family;
	t->maxlen = family == 4 ? 32 : 128;
	t->root_bits = family == 4 ? ROOT_BITS_4 : ROOT_BITS_6;
	pool_init(&t->nodes, NODE_SHIFT, sizeof(struct lpm_node));
	pool_init(&t->values, VALUE_SHIFT, sizeof(guint32));
	return t;
}

void rfm_lpm_free(struct rfm_lpm *t)
{
	if (!t)
		return;
	pool_fini(&t->nodes);
	pool_fini(&t->values);
	g_free(t->root);
	g_free(t->starts);
	shorts_free(t->shorts);
	g_free(t);
}

/* Keep bit top of starts true to the DOC of struct rfm_lpm. */
static void starts_update(struct rfm_lpm *t, guint top)
{
	bool used = t->root && (t->root[top].prefixes || t->root[top].children);
	guint bits = t->root_bits;

	/* A short prefix of length plen starts at a slot that is a multiple of 2^(bits - plen). */
	for (guint plen = top ? bits - (guint)__builtin_ctz(top) : 0;
	     !used && t->shorts && plen < bits; plen++)
		used = t->shorts->exact[short_index(t, top, plen)] != 0;
	if (used)
		t->starts[top / 64] |= bit(top % 64);
	else
		t->starts[top / 64] &= ~bit(top % 64);
}

static guint32 trie_insert(struct rfm_lpm *t, const struct lpm_key *kp, guint plen, guint32 value)
{
	struct lpm_key k = *kp;
	guint depth, pos;
	struct lpm_node *nd;
	guint32 old, *v;

	if (!t->root) {
		t->root = g_new(struct lpm_node, 1U << t->root_bits);
		for (guint i = 0; i < 1U << t->root_bits; i++)
			node_init(&t->root[i]);
	}
	nd = &t->root[root_index(t, &k)];
	if (!nd->prefixes && !nd->children) {
		leaf_set(nd, &k, plen, value);
		t->count++;
		return 0;
	}
	for (depth = t->root_bits;; depth += STRIDE) {
		guint c = key_chunk(&k, depth);

		if (is_leaf(nd)) {
			if (leaf_plen(nd) == plen && key_equal(&nd->key, &k)) {
				old = leaf_value(nd);
				leaf_set(nd, &k, plen, value);
				return old;
			}
			leaf_split(t, nd, depth);
		}
		if (plen - depth < STRIDE)
			break;
		if (!(nd->children & bit(c))) {
			leaf_set(child_add(t, nd, c), &k, plen, value);
			t->count++;
			return 0;
		}
		nd = child_of(t, nd, c);
	}
	pos = prefix_pos(plen - depth, key_chunk(&k, depth));
	if (nd->prefixes & bit(pos)) {
		v = node_value(t, nd, pos);
		old = *v;
		*v = value;
		return old;
	}
	value_add(t, nd, pos, value);
	t->count++;
	return 0;
}

guint32 rfm_lpm_insert(struct rfm_lpm *t, const guint8 *addr, guint8 plen, guint32 value)
{
	struct lpm_key k;
	guint32 old;

	g_return_val_if_fail(t && addr && plen <= t->maxlen && value, 0);
	key_load(t, &k, addr, plen);
	if (!t->starts)
		t->starts = g_new0(guint64, MAX(1U, (1U << t->root_bits) / 64));
	old = plen < t->root_bits ? short_insert(t, &k, plen, value)
				  : trie_insert(t, &k, plen, value);
	starts_update(t, root_index(t, &k));
	return old;
}

static guint32 trie_remove(struct rfm_lpm *t, const struct lpm_key *kp, guint plen)
{
	struct lpm_node *path[LEVELS_MAX], *nd;
	guint chunks[LEVELS_MAX], depth, pos;
	struct lpm_key k = *kp;
	int level = 0;
	guint32 old;

	if (!t->root)
		return 0;
	nd = &t->root[root_index(t, &k)];
	for (depth = t->root_bits;; depth += STRIDE, level++) {
		path[level] = nd;
		chunks[level] = key_chunk(&k, depth);
		if (is_leaf(nd)) {
			if (leaf_plen(nd) != plen || !key_equal(&nd->key, &k))
				return 0;
			old = leaf_value(nd);
			node_init(nd); /* an empty node, which shape_restore() drops */
			break;
		}
		if (plen - depth < STRIDE) {
			pos = prefix_pos(plen - depth, chunks[level]);
			if (!(nd->prefixes & bit(pos)))
				return 0;
			old = *node_value(t, nd, pos);
			value_del(t, nd, pos);
			break;
		}
		if (!(nd->children & bit(chunks[level])))
			return 0;
		nd = child_of(t, nd, chunks[level]);
	}
	t->count--;
	shape_restore(t, path, chunks, level, &k);
	/* An empty trie gives all of its memory back. */
	if (t->count == (t->shorts ? t->shorts->count : 0)) {
		pool_fini(&t->nodes);
		pool_fini(&t->values);
		pool_init(&t->nodes, NODE_SHIFT, sizeof(struct lpm_node));
		pool_init(&t->values, VALUE_SHIFT, sizeof(guint32));
		g_clear_pointer(&t->root, g_free);
	}
	return old;
}

guint32 rfm_lpm_remove(struct rfm_lpm *t, const guint8 *addr, guint8 plen)
{
	struct lpm_key k;
	guint32 old;

	g_return_val_if_fail(t && addr && plen <= t->maxlen, 0);
	key_load(t, &k, addr, plen);
	old = plen < t->root_bits ? short_remove(t, &k, plen) : trie_remove(t, &k, plen);
	if (old && !t->count)
		g_clear_pointer(&t->starts, g_free);
	else if (old)
		starts_update(t, root_index(t, &k));
	return old;
}

LPM_LOOKUP_CLONES guint32 rfm_lpm_get(const struct rfm_lpm *t, const guint8 *addr, guint8 plen)
{
	const struct lpm_node *nd;
	struct lpm_key k;
	guint depth;

	g_return_val_if_fail(t && addr && plen <= t->maxlen, 0);
	key_load(t, &k, addr, plen);
	if (plen < t->root_bits)
		return t->shorts ? t->shorts->exact[short_index(t, root_index(t, &k), plen)] : 0;
	if (!t->root)
		return 0;
	nd = &t->root[root_index(t, &k)];
	for (depth = t->root_bits;; depth += STRIDE) {
		guint c = key_chunk(&k, depth), pos;

		if (is_leaf(nd))
			return leaf_plen(nd) == plen && key_equal(&nd->key, &k) ? leaf_value(nd)
										: 0;
		if (plen - depth < STRIDE) {
			pos = prefix_pos(plen - depth, c);
			return nd->prefixes & bit(pos) ? *node_value(t, nd, pos) : 0;
		}
		if (!(nd->children & bit(c)))
			return 0;
		nd = child_of(t, nd, c);
	}
}

guint32 rfm_lpm_lookup(const struct rfm_lpm *t, const guint8 *addr, guint8 *plen)
{
	return rfm_lpm_lookup_min(t, addr, 0, plen);
}

/*
 * The longest match is a leaf covering addr where the walk ends, else the
 * highest covering bit of the deepest node that has one, else a short
 * prefix. The value of a node's match is read at the end, but fetched as
 * soon as the match is seen, while the walk goes on. A match shorter than
 * min_plen means every match is shorter.
 */
LPM_LOOKUP_CLONES guint32 rfm_lpm_lookup_min(const struct rfm_lpm *t, const guint8 *addr,
					     guint8 min_plen, guint8 *plen)
{
	const struct lpm_node *nd, *best = NULL, *leaf = NULL;
	guint depth, best_depth = 0, best_pos = 0, len;
	struct lpm_key k;
	guint32 v;

	g_return_val_if_fail(t && addr, 0);
	key_load(t, &k, addr, t->maxlen);
	for (nd = t->root ? &t->root[root_index(t, &k)] : NULL, depth = t->root_bits; nd;
	     depth += STRIDE) {
		guint c = key_chunk(&k, depth);
		guint64 m;

		if (is_leaf(nd)) {
			if (key_covers(&nd->key, leaf_plen(nd), &k))
				leaf = nd;
			break;
		}
		m = nd->prefixes & cover_mask(c);
		if (m) {
			best = nd;
			best_pos = top_bit(m);
			best_depth = depth;
			__builtin_prefetch(value_at(t, nd->value));
		}
		nd = nd->children & bit(c) ? child_of(t, nd, c) : NULL;
	}
	if (leaf) {
		v = leaf_value(leaf);
		len = leaf_plen(leaf);
	} else if (best) {
		v = *node_value(t, best, best_pos);
		len = best_depth + pos_len(best_pos);
	} else if (t->shorts && t->shorts->best[root_index(t, &k)]) {
		v = t->shorts->best[root_index(t, &k)];
		len = t->shorts->best_plen[root_index(t, &k)];
	} else {
		return 0;
	}
	if (len < min_plen)
		return 0;
	if (plen)
		*plen = (guint8)len;
	return v;
}

/*
 * DOC: one walk of rfm_lpm_lookup_batch() in flight: rfm_lpm_lookup_min()'s
 * loop variables, kept between steps. nd, when not NULL, is the next node
 * to look at, prefetched; once the walk is over (nd NULL), best's value,
 * prefetched too, is read at the next step.
 */
struct lpm_lane {
	struct rfm_lpm_query *q; /* borrowed; NULL: the lane is idle */
	const struct lpm_node *nd;
	const struct lpm_node *best;
	struct lpm_key k;
	guint depth, best_depth, best_pos;
};

static inline void lane_start(struct lpm_lane *l, struct rfm_lpm_query *q)
{
	const struct rfm_lpm *t = q->t;

	l->q = q;
	l->best = NULL;
	key_load(t, &l->k, q->addr, t->maxlen);
	l->depth = t->root_bits;
	l->nd = t->root ? &t->root[root_index(t, &l->k)] : NULL;
	if (l->nd)
		__builtin_prefetch(l->nd);
}

/* The query's result, as rfm_lpm_lookup_min() returns it; the lane is done. */
static inline bool lane_done(struct lpm_lane *l, guint32 v, guint len)
{
	if (len < l->q->min_plen)
		v = 0;
	l->q->value = v;
	l->q->plen = v ? (guint8)len : 0;
	return true;
}

/* One step of rfm_lpm_lookup_min()'s walk: one node, or the reading of the result. */
static inline bool lane_step(struct lpm_lane *l)
{
	const struct rfm_lpm *t = l->q->t;
	const struct lpm_node *nd = l->nd;

	if (nd) {
		guint c = key_chunk(&l->k, l->depth);
		guint64 m;

		if (is_leaf(nd)) {
			if (key_covers(&nd->key, leaf_plen(nd), &l->k))
				return lane_done(l, leaf_value(nd), leaf_plen(nd));
			l->nd = NULL;
		} else {
			m = nd->prefixes & cover_mask(c);
			if (m) {
				l->best = nd;
				l->best_pos = top_bit(m);
				l->best_depth = l->depth;
				__builtin_prefetch(node_value(t, nd, l->best_pos));
			}
			l->nd = nd->children & bit(c) ? child_of(t, nd, c) : NULL;
			l->depth += STRIDE;
			if (l->nd) {
				__builtin_prefetch(l->nd);
				return false;
			}
		}
		if (l->best)
			return false; /* give the value's prefetch a round */
	}
	if (l->best)
		return lane_done(l, *node_value(t, l->best, l->best_pos),
				 l->best_depth + pos_len(l->best_pos));
	if (t->shorts && t->shorts->best[root_index(t, &l->k)])
		return lane_done(l, t->shorts->best[root_index(t, &l->k)],
				 t->shorts->best_plen[root_index(t, &l->k)]);
	return lane_done(l, 0, 0);
}

/*
 * Up to BATCH_LANES walks in flight, each taking one step per round; a lane
 * whose walk ends takes the next query, so that as many misses stay in
 * flight until the last queries.
 */
LPM_LOOKUP_CLONES void rfm_lpm_lookup_batch(struct rfm_lpm_query *q, guint n)
{
	struct lpm_lane lanes[BATCH_LANES];
	guint nl = MIN(n, BATCH_LANES), next = 0, active = nl;

	g_return_if_fail(q || !n);
	for (guint i = 0; i < n; i++) {
		if (!q[i].t || !q[i].addr) {
			g_critical("rfm_lpm_lookup_batch: query %u has no table or no address", i);
			for (i = 0; i < n; i++)
				q[i].value = q[i].plen = 0;
			return;
		}
	}
	for (guint i = 0; i < nl; i++)
		lane_start(&lanes[i], &q[next++]);
	while (active) {
		for (guint i = 0; i < nl; i++) {
			struct lpm_lane *l = &lanes[i];

			if (!l->q || !lane_step(l))
				continue;
			if (next < n) {
				lane_start(l, &q[next++]);
			} else {
				l->q = NULL;
				active--;
			}
		}
	}
}

/*
 * Every prefix covering addr of length min_plen or more: shorts in length
 * order, then the covering bits of each node on the path (one per length,
 * in length order), then a covering leaf. Longest first on output.
 */
LPM_LOOKUP_CLONES guint rfm_lpm_lookup_all(const struct rfm_lpm *t, const guint8 *addr,
					   guint8 min_plen, guint32 *values, guint8 *plens,
					   guint max)
{
	guint32 v[129];
	guint8 l[129];
	const struct lpm_node *nd;
	struct lpm_key k;
	guint n = 0, out = 0, depth;

	g_return_val_if_fail(t && addr && (values || !max) && (plens || !max), 0);
	key_load(t, &k, addr, t->maxlen);
	for (guint len = 0; t->shorts && len < t->root_bits; len++) {
		guint32 x = t->shorts->exact[short_index(t, root_index(t, &k), len)];

		if (x) {
			v[n] = x;
			l[n++] = (guint8)len;
		}
	}
	for (nd = t->root ? &t->root[root_index(t, &k)] : NULL, depth = t->root_bits; nd;
	     depth += STRIDE) {
		guint c = key_chunk(&k, depth);

		if (is_leaf(nd)) {
			if (key_covers(&nd->key, leaf_plen(nd), &k)) {
				v[n] = leaf_value(nd);
				l[n++] = (guint8)leaf_plen(nd);
			}
			break;
		}
		for (guint64 m = nd->prefixes & cover_mask(c); m; m &= m - 1) {
			guint pos = (guint)__builtin_ctzll(m);

			v[n] = *node_value(t, nd, pos);
			l[n++] = (guint8)(depth + pos_len(pos));
		}
		nd = nd->children & bit(c) ? child_of(t, nd, c) : NULL;
	}
	while (n-- > 0 && out < max && l[n] >= min_plen) {
		values[out] = v[n];
		plens[out++] = l[n];
	}
	return out;
}

guint32 rfm_lpm_count(const struct rfm_lpm *t)
{
	g_return_val_if_fail(t, 0);
	return t->count;
}

gsize rfm_lpm_memory(const struct rfm_lpm *t)
{
	gsize slots;

	g_return_val_if_fail(t, 0);
	slots = (gsize)1 << t->root_bits;
	return sizeof(*t) + (t->root ? slots * sizeof(*t->root) : 0) +
	       (t->shorts ? sizeof(*t->shorts) + (slots - 1) * sizeof(guint32) +
				    slots * (sizeof(guint32) + sizeof(guint8))
			  : 0) +
	       (t->starts ? MAX(1U, slots / 64) * sizeof(guint64) : 0) + pool_memory(&t->nodes) +
	       pool_memory(&t->values);
}

/* --- ordered walk ---------------------------------------------------------- */

typedef void (*lpm_fn)(const guint8 *addr, guint8 plen, guint32 value, void *ud);

/*
 * DOC: one rfm_lpm_walk(). Prefixes go out in (address, length) order:
 * the order of their keys, and for one key the shorter first. Only those
 * after the cursor (after, after_plen) when has_after, and at most left.
 */
struct walk_state {
	const struct rfm_lpm *t;
	struct lpm_key after;
	guint after_plen;
	bool has_after;
	guint left;
	lpm_fn fn;
	void *ud;
};

static bool walk_is_after(const struct walk_state *w, const struct lpm_key *k, guint plen)
{
	if (!w->has_after)
		return true;
	if (k->hi != w->after.hi)
		return k->hi > w->after.hi;
	if (k->lo != w->after.lo)
		return k->lo > w->after.lo;
	return plen > w->after_plen;
}

/* Whether every prefix inside block k/depth (k zero beyond depth) comes before the cursor. */
static bool walk_block_before(const struct walk_state *w, const struct lpm_key *k, guint depth)
{
	struct lpm_key last = *k;

	if (!w->has_after)
		return false;
	if (depth < 64) {
		last.hi |= ~word_mask(depth);
		last.lo = ~(guint64)0;
	} else {
		last.lo |= ~word_mask(depth - 64);
	}
	return last.hi < w->after.hi || (last.hi == w->after.hi && last.lo < w->after.lo);
}

static void walk_emit(struct walk_state *w, const struct lpm_key *k, guint plen, guint32 v)
{
	guint8 addr[16];

	if (!w->left || !walk_is_after(w, k, plen))
		return;
	key_store(w->t, k, addr);
	w->left--;
	w->fn(addr, (guint8)plen, v, w->ud);
}

/*
 * The prefixes under slot nd at depth, whose path is k (zero beyond depth;
 * restored on return). The prefixes of a node that start at chunk x (the
 * one of length r at x when x is a multiple of 2^(6 - r)) come before
 * child x, whose prefixes all start there too and are longer.
 */
static void walk_slot(struct walk_state *w, const struct lpm_node *nd, guint depth,
		      struct lpm_key *k)
{
	const struct rfm_lpm *t = w->t;
	guint64 starts = 0;

	if (!w->left || walk_block_before(w, k, depth))
		return;
	if (is_leaf(nd)) {
		walk_emit(w, &nd->key, leaf_plen(nd), leaf_value(nd));
		return;
	}
	for (guint64 m = nd->prefixes; m; m &= m - 1) {
		guint pos = (guint)__builtin_ctzll(m), r = pos_len(pos);

		starts |= bit((pos - ((1U << r) - 1)) << (STRIDE - r));
	}
	for (guint64 m = starts | nd->children; m && w->left; m &= m - 1) {
		guint x = (guint)__builtin_ctzll(m);

		key_set_chunk(k, depth, x);
		for (guint r = x ? STRIDE - (guint)__builtin_ctz(x) : 0; r < STRIDE; r++) {
			guint pos = prefix_pos(r, x);

			if (nd->prefixes & bit(pos))
				walk_emit(w, k, depth + r, *node_value(t, nd, pos));
		}
		if (nd->children & bit(x))
			walk_slot(w, child_of(t, nd, x), depth + STRIDE, k);
	}
	key_set_chunk(k, depth, 0);
}

guint rfm_lpm_walk(const struct rfm_lpm *t, const guint8 *after, guint8 after_plen, guint max,
		   lpm_fn fn, void *ud)
{
	struct walk_state w = {.t = t, .left = max, .fn = fn, .ud = ud};
	guint bits, slots, top = 0;

	g_return_val_if_fail(t && fn && (!after || after_plen <= t->maxlen), 0);
	bits = t->root_bits;
	slots = 1U << bits;
	if (after) {
		key_load(t, &w.after, after, after_plen);
		w.after_plen = after_plen;
		w.has_after = true;
		top = root_index(t, &w.after);
	}
	for (; t->starts && top < slots && w.left; top++) {
		guint64 word = t->starts[top / 64] & ~below(top % 64);
		struct lpm_key k;

		if (!word) {
			top |= 63; /* the next word */
			continue;
		}
		top = (top & ~63U) + (guint)__builtin_ctzll(word);
		k = (struct lpm_key){(guint64)top << (64 - bits), 0};

		/* Shorts that start at this slot, shortest first, then the trie's. */
		for (guint plen = top ? bits - (guint)__builtin_ctz(top) : 0;
		     t->shorts && plen < bits; plen++) {
			guint32 v = t->shorts->exact[short_index(t, top, plen)];

			if (v)
				walk_emit(&w, &k, plen, v);
		}
		if (t->root && (t->root[top].prefixes || t->root[top].children))
			walk_slot(&w, &t->root[top], bits, &k);
	}
	return max - w.left;
}

void rfm_lpm_foreach(const struct rfm_lpm *t, lpm_fn fn, void *ud)
{
	g_return_if_fail(t && fn);
	rfm_lpm_walk(t, NULL, 0, G_MAXUINT, fn, ud);
}
