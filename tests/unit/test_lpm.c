/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_lpm.c - the longest-prefix-match table (lpm.c): readable cases for
 * each operation and edge (default route, host routes, overlaps, stride and
 * word boundaries, short prefixes, bits beyond the length, replace, insert
 * after remove), memory reuse, programmer errors, and a differential test
 * against a naive linear scan on random IPv4 and IPv6 prefixes. lpm.c is
 * included, so that every check also verifies the invariants its DOC
 * comments state (shape, pool accounting), which the API cannot observe.
 *
 * Replay a differential failure with RFM_TEST_SEED=<seed> (and
 * RFM_TEST_RUNS=1 to trace the operations of that single run).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* Compiled here rather than linked: rfm_core's lpm.o then stays out of the link. */
#include "lpm.c"
#include "seed_runs.h"

/* Random runs of 1000..4000 operations; fewer under AddressSanitizer, about 5x slower. */
#ifdef __SANITIZE_ADDRESS__
#define DIFF_RUNS 60
#else
#define DIFF_RUNS 150
#endif

/* --- helpers -------------------------------------------------------------- */

/* "192.0.2.1" or "2001:db8::1" into 16 bytes; returns the family. */
static int parse_addr(const char *s, guint8 out[16])
{
	int v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, s, out), ==, 1);
	return v6 ? 6 : 4;
}

/* "192.0.2.0/24" into address and length; returns the family. */
static int parse_prefix(const char *s, guint8 out[16], guint8 *plen)
{
	g_auto(GStrv) parts = g_strsplit(s, "/", 2);
	int family;

	g_assert_nonnull(parts[1]);
	family = parse_addr(parts[0], out);
	*plen = (guint8)g_ascii_strtoull(parts[1], NULL, 10);
	return family;
}

static char *prefix_str(int family, const guint8 *addr, guint8 plen)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
	return g_strdup_printf("%s/%u", buf, plen);
}

/* --- white box: the invariants of lpm.c's DOC comments --------------------- */

struct shape {
	const struct rfm_lpm *t;
	GString *err;	/* first violation; empty while none */
	guint64 nodes;	/* pool elements in blocks reachable from the root */
	guint64 values; /* likewise */
};

static void shape_fail(struct shape *s, const char *what, guint depth, const struct lpm_key *k)
{
	if (!s->err->len)
		g_string_printf(s->err,
				"%s at depth %u under %016" G_GINT64_MODIFIER
				"x:%016" G_GINT64_MODIFIER "x",
				what, depth, k->hi, k->lo);
}

/* Checks the slot nd at depth on path k; returns the prefixes in its subtree. */
static guint shape_slot(struct shape *s, const struct lpm_node *nd, guint depth, struct lpm_key *k)
{
	const struct rfm_lpm *t = s->t;
	guint total = popcount(nd->prefixes & ~LEAF), r;
	guint32 i;

	if (is_leaf(nd)) {
		struct lpm_key m = nd->key;

		key_mask(&m, leaf_plen(nd));
		if (leaf_plen(nd) < depth || leaf_plen(nd) > t->maxlen || !leaf_value(nd) ||
		    (nd->prefixes & ~(LEAF | (guint64)0xff << 32 | G_MAXUINT32)) ||
		    !key_equal(&m, &nd->key) || !key_covers(k, depth, &nd->key))
			shape_fail(s, "bad leaf", depth, k);
		return 1;
	}
	if ((nd->children == 0) != (nd->child == NIL) || (nd->prefixes == 0) != (nd->value == NIL))
		shape_fail(s, "NIL block with a bitmap, or the other way", depth, k);
	for (guint64 m = nd->prefixes; m; m &= m - 1) {
		r = pos_len((guint)__builtin_ctzll(m));
		if (depth + r > t->maxlen)
			shape_fail(s, "prefix longer than the family allows", depth, k);
	}
	for (i = 0; i < popcount(nd->prefixes); i++)
		if (!*value_at(t, nd->value + i))
			shape_fail(s, "value 0", depth, k);
	s->values += popcount(nd->prefixes);
	s->nodes += popcount(nd->children);
	i = nd->child;
	for (guint64 m = nd->children; m; m &= m - 1, i++) {
		key_set(k, depth, STRIDE, (guint)__builtin_ctzll(m));
		total += shape_slot(s, node_at(t, i), depth + STRIDE, k);
	}
	if (nd->children)
		key_set(k, depth, STRIDE, 0);
	if (total < 2)
		shape_fail(s, "node whose subtree holds fewer than two prefixes", depth, k);
	return total;
}

static guint64 pool_free_elems(const struct lpm_pool *p)
{
	guint64 n = 0;

	for (guint size = 1; size <= BLOCK_MAX; size++) {
		if ((p->free[size] != NIL) != !!(p->nonempty & bit(size - 1)))
			return G_MAXUINT64;
		for (guint32 i = p->free[size]; i != NIL; n += size)
			memcpy(&i, pool_at(p, i), sizeof(i));
	}
	return n;
}

/* Every DOC invariant of t; NULL when all hold, else the first violation. */
static char *shape_check(const struct rfm_lpm *t)
{
	struct shape s = {t, g_string_new(NULL), 0, 0};
	struct lpm_key k = {0, 0};
	guint trie = 0, shorts = 0;

	for (guint top = 0; t->root && top < 1U << t->root_bits; top++) {
		const struct lpm_node *nd = &t->root[top];

		k.hi = (guint64)top << (64 - t->root_bits);
		if (!nd->prefixes && !nd->children) {
			if (nd->child != NIL || nd->value != NIL)
				shape_fail(&s, "empty root slot with blocks", t->root_bits, &k);
			continue;
		}
		trie += shape_slot(&s, nd, t->root_bits, &k);
	}
	if (t->root && !trie)
		g_string_append(s.err, "empty root kept; ");
	if (s.nodes + pool_free_elems(&t->nodes) != t->nodes.top ||
	    s.values + pool_free_elems(&t->values) != t->values.top)
		g_string_append_printf(
			s.err,
			"pool elements: nodes %" G_GUINT64_FORMAT " used + %" G_GUINT64_FORMAT
			" free != %u, values %" G_GUINT64_FORMAT " + %" G_GUINT64_FORMAT " != %u; ",
			s.nodes, pool_free_elems(&t->nodes), t->nodes.top, s.values,
			pool_free_elems(&t->values), t->values.top);
	if (!trie && (t->nodes.nchunks || t->values.nchunks))
		g_string_append(s.err, "empty trie keeps pool chunks; ");
	if (t->shorts) {
		/* The expected best of each root slot: fill the ranges, shortest prefixes first. */
		guint bits = t->root_bits, slots = 1U << bits;
		g_autofree guint32 *best = g_new0(guint32, slots);
		g_autofree guint8 *best_plen = g_new0(guint8, slots);

		for (guint l = 0; l < bits; l++) {
			for (guint top = 0; top < slots; top += 1U << (bits - l)) {
				guint32 v = t->shorts->exact[short_index(t, top, l)];

				for (guint i = top; v && i < top + (1U << (bits - l)); i++) {
					best[i] = v;
					best_plen[i] = (guint8)l;
				}
				shorts += v != 0;
			}
		}
		for (guint i = 0; i < slots; i++)
			if (t->shorts->best[i] != best[i] ||
			    (best[i] && t->shorts->best_plen[i] != best_plen[i]))
				g_string_append_printf(
					s.err, "short best of slot %u: %u /%u, want %u /%u; ", i,
					t->shorts->best[i], t->shorts->best_plen[i], best[i],
					best_plen[i]);
	}
	if (t->shorts && (!shorts || shorts != t->shorts->count))
		g_string_append_printf(s.err, "%u short prefixes, shorts->count %u; ", shorts,
				       t->shorts->count);
	if (trie + shorts != t->count)
		g_string_append_printf(s.err, "count %u, found %u; ", t->count, trie + shorts);
	if (!t->count != !t->starts)
		g_string_append_printf(s.err, "starts bitmap %s with %u prefixes; ",
				       t->starts ? "kept" : "missing", t->count);
	if (t->starts) {
		guint bits = t->root_bits, slots = 1U << bits;
		g_autofree guint64 *want = g_new0(guint64, MAX(1U, slots / 64));

		for (guint top = 0; t->root && top < slots; top++)
			if (t->root[top].prefixes || t->root[top].children)
				want[top / 64] |= bit(top % 64);
		for (guint l = 0; t->shorts && l < bits; l++) {
			for (guint top = 0; top < slots; top += 1U << (bits - l))
				if (t->shorts->exact[short_index(t, top, l)])
					want[top / 64] |= bit(top % 64);
		}
		if (memcmp(want, t->starts, MAX(1U, slots / 64) * sizeof(guint64)))
			g_string_append(s.err, "starts bitmap differs; ");
	}
	if (!s.err->len) {
		g_string_free(s.err, TRUE);
		return NULL;
	}
	return g_string_free(s.err, FALSE);
}

/* --- readable cases ------------------------------------------------------- */

/*
 * One step per string, "<operation> <arguments> -> <result>":
 *   insert P V -> previous value      remove P -> removed value
 *   get P -> value                     count -> n
 *   lookup A -> value /len, or 0       lookup_min A /min -> value /len, or 0
 * Steps run in order on one table of the family of the first address.
 */
struct lpm_case {
	const char *name;
	const char *steps[24];
};

static const struct lpm_case cases[] = {
	{"one prefix",
	 {"insert 203.0.113.0/24 7 -> 0", "lookup 203.0.113.9 -> 7 /24",
	  "lookup 203.0.113.0 -> 7 /24", "lookup 203.0.113.255 -> 7 /24",
	  "lookup 203.0.112.255 -> 0", "lookup 203.0.114.0 -> 0", "get 203.0.113.0/24 -> 7",
	  "get 203.0.113.0/25 -> 0", "get 203.0.112.0/23 -> 0", "count -> 1"}},
	{"nested prefixes, longest wins",
	 {"insert 198.51.100.0/22 1 -> 0", "insert 198.51.100.0/23 2 -> 0",
	  "insert 198.51.100.0/24 3 -> 0", "insert 198.51.100.128/25 4 -> 0",
	  "insert 198.51.100.200/32 5 -> 0", "lookup 198.51.100.200 -> 5 /32",
	  "lookup 198.51.100.201 -> 4 /25", "lookup 198.51.100.1 -> 3 /24",
	  "lookup 198.51.101.1 -> 2 /23", "lookup 198.51.103.1 -> 1 /22",
	  "lookup 198.51.104.1 -> 0", "remove 198.51.100.0/24 -> 3", "lookup 198.51.100.1 -> 2 /23",
	  "lookup 198.51.100.201 -> 4 /25", "remove 198.51.100.128/25 -> 4",
	  "lookup 198.51.100.201 -> 2 /23", "lookup 198.51.100.200 -> 5 /32", "count -> 3"}},
	{"default route and lookup_min",
	 {"insert 0.0.0.0/0 9 -> 0", "lookup 192.0.2.1 -> 9 /0", "lookup 255.255.255.255 -> 9 /0",
	  "lookup_min 192.0.2.1 /1 -> 0", "lookup_min 192.0.2.1 /0 -> 9 /0",
	  "insert 192.0.2.0/24 4 -> 0", "lookup_min 192.0.2.1 /1 -> 4 /24",
	  "lookup_min 192.0.2.1 /24 -> 4 /24", "lookup_min 192.0.2.1 /25 -> 0",
	  "lookup_min 192.0.3.1 /1 -> 0", "remove 0.0.0.0/0 -> 9", "lookup 192.0.3.1 -> 0",
	  "get 0.0.0.0/0 -> 0", "count -> 1"}},
	{"host routes and their neighbours",
	 {"insert 192.0.2.1/32 1 -> 0", "insert 192.0.2.2/32 2 -> 0", "insert 192.0.2.0/31 3 -> 0",
	  "lookup 192.0.2.1 -> 1 /32", "lookup 192.0.2.2 -> 2 /32", "lookup 192.0.2.0 -> 3 /31",
	  "lookup 192.0.2.3 -> 0", "insert 255.255.255.255/32 4 -> 0",
	  "lookup 255.255.255.255 -> 4 /32", "lookup 255.255.255.254 -> 0",
	  "insert 0.0.0.0/32 5 -> 0", "lookup 0.0.0.0 -> 5 /32", "lookup 0.0.0.1 -> 0",
	  "count -> 5"}},
	{"bits beyond the length are ignored",
	 {"insert 192.0.2.77/24 6 -> 0", "get 192.0.2.0/24 -> 6", "get 192.0.2.255/24 -> 6",
	  "insert 192.0.2.1/24 7 -> 6", "remove 192.0.2.200/24 -> 7", "count -> 0",
	  "insert 10.255.255.255/8 8 -> 0", "get 10.0.0.0/8 -> 8", "lookup 10.1.2.3 -> 8 /8"}},
	{"replace, remove, insert after remove",
	 {"insert 203.0.113.0/24 1 -> 0", "insert 203.0.113.0/24 1 -> 1",
	  "insert 203.0.113.0/24 2 -> 1", "count -> 1", "lookup 203.0.113.5 -> 2 /24",
	  "remove 203.0.113.0/24 -> 2", "remove 203.0.113.0/24 -> 0", "lookup 203.0.113.5 -> 0",
	  "count -> 0", "insert 203.0.113.0/24 3 -> 0", "lookup 203.0.113.5 -> 3 /24",
	  "count -> 1"}},
	{"removing what is absent changes nothing",
	 {"insert 198.51.100.0/24 1 -> 0", "remove 198.51.100.0/25 -> 0",
	  "remove 198.51.100.0/23 -> 0", "remove 198.51.101.0/24 -> 0", "remove 0.0.0.0/0 -> 0",
	  "remove 10.0.0.0/8 -> 0", "remove 198.51.100.1/32 -> 0", "count -> 1",
	  "lookup 198.51.100.1 -> 1 /24"}},
	{"short prefixes around the 16-bit root",
	 {"insert 10.0.0.0/8 1 -> 0", "insert 10.0.0.0/15 2 -> 0", "insert 10.0.0.0/16 3 -> 0",
	  "insert 10.1.0.0/17 4 -> 0", "lookup 10.0.1.1 -> 3 /16", "lookup 10.1.1.1 -> 4 /17",
	  "lookup 10.1.128.1 -> 2 /15", "lookup 10.2.0.1 -> 1 /8", "remove 10.0.0.0/15 -> 2",
	  "lookup 10.1.128.1 -> 1 /8", "lookup 10.0.1.1 -> 3 /16", "get 10.0.0.0/15 -> 0",
	  "insert 10.0.0.0/12 5 -> 0", "lookup 10.1.128.1 -> 5 /12", "remove 10.0.0.0/8 -> 1",
	  "lookup 10.1.128.1 -> 5 /12", "lookup 10.16.0.1 -> 0", "count -> 3"}},
	{"stride boundaries: /21 /22 /27 /28 /29",
	 {"insert 192.0.0.0/21 1 -> 0", "insert 192.0.0.0/22 2 -> 0", "insert 192.0.0.0/27 3 -> 0",
	  "insert 192.0.0.0/28 4 -> 0", "insert 192.0.0.16/29 5 -> 0", "lookup 192.0.0.1 -> 4 /28",
	  "lookup 192.0.0.17 -> 5 /29", "lookup 192.0.0.25 -> 3 /27", "lookup 192.0.0.33 -> 2 /22",
	  "lookup 192.0.4.1 -> 1 /21", "remove 192.0.0.0/28 -> 4", "lookup 192.0.0.1 -> 3 /27",
	  "remove 192.0.0.0/22 -> 2", "lookup 192.0.0.33 -> 1 /21", "count -> 3"}},
	{"a lone prefix, then a neighbour under it and beside it",
	 {"insert 198.51.100.64/26 1 -> 0", "lookup 198.51.100.65 -> 1 /26",
	  "lookup 198.51.100.1 -> 0", "insert 198.51.100.66/31 2 -> 0",
	  "insert 198.51.100.0/26 3 -> 0", "lookup 198.51.100.67 -> 2 /31",
	  "lookup 198.51.100.65 -> 1 /26", "lookup 198.51.100.1 -> 3 /26",
	  "remove 198.51.100.64/26 -> 1", "lookup 198.51.100.65 -> 0",
	  "lookup 198.51.100.66 -> 2 /31", "remove 198.51.100.66/31 -> 2",
	  "lookup 198.51.100.1 -> 3 /26", "count -> 1"}},
	{"IPv6 short prefixes around the 10-bit root",
	 {"insert ::/0 1 -> 0", "insert 2000::/3 2 -> 0", "insert 2000::/9 3 -> 0",
	  "insert 2000::/10 4 -> 0", "insert 2040::/11 5 -> 0", "lookup 2001:db8::1 -> 4 /10",
	  "lookup 2040::1 -> 5 /11", "lookup 2060::1 -> 3 /9", "lookup 2080::1 -> 2 /3",
	  "lookup 4000::1 -> 1 /0", "remove 2000::/9 -> 3", "lookup 2060::1 -> 2 /3",
	  "lookup 2040::1 -> 5 /11", "remove 2000::/10 -> 4", "lookup 2001:db8::1 -> 2 /3",
	  "get 2000::/9 -> 0", "count -> 3"}},
	{"IPv6 documentation prefixes",
	 {"insert 2001:db8::/32 1 -> 0", "insert 2001:db8:1::/48 2 -> 0",
	  "insert 2001:db8:1:2::/64 3 -> 0", "insert 2001:db8:1:2::1/128 4 -> 0",
	  "lookup 2001:db8:1:2::1 -> 4 /128", "lookup 2001:db8:1:2::2 -> 3 /64",
	  "lookup 2001:db8:1:3::1 -> 2 /48", "lookup 2001:db8:2::1 -> 1 /32",
	  "lookup 2001:db9::1 -> 0", "get 2001:db8:1::/48 -> 2", "get 2001:db8:1::/47 -> 0",
	  "count -> 4"}},
	{"IPv6 default route, host routes, /127",
	 {"insert ::/0 9 -> 0", "insert ::/128 1 -> 0",
	  "insert ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 2 -> 0",
	  "insert 2001:db8::2/127 3 -> 0", "lookup :: -> 1 /128", "lookup ::1 -> 9 /0",
	  "lookup ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff -> 2 /128",
	  "lookup ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe -> 9 /0", "lookup 2001:db8::3 -> 3 /127",
	  "lookup 2001:db8::4 -> 9 /0", "lookup_min 2001:db8::4 /1 -> 0",
	  "lookup_min 2001:db8::3 /127 -> 3 /127", "lookup_min 2001:db8::3 /128 -> 0",
	  "count -> 4"}},
	{"IPv6 around the 64-bit word boundary",
	 {"insert 2001:db8:0:1::/63 1 -> 0", "insert 2001:db8:0:1::/64 2 -> 0",
	  "insert 2001:db8:0:1:8000::/65 3 -> 0", "insert 2001:db8:0:1:fc00::/70 4 -> 0",
	  "lookup 2001:db8:0:1:fc00::1 -> 4 /70", "lookup 2001:db8:0:1:f800::1 -> 3 /65",
	  "lookup 2001:db8:0:1::1 -> 2 /64", "lookup 2001:db8::1 -> 1 /63",
	  "lookup 2001:db8:0:2::1 -> 0", "remove 2001:db8:0:1::/64 -> 2",
	  "lookup 2001:db8:0:1::1 -> 1 /63", "count -> 3"}},
	{"IPv6 /64 and /65 share the node at depth 64, then the /64 alone is a leaf",
	 {"insert 2001:db8:0:1::/64 1 -> 0", "insert 2001:db8:0:1:8000::/65 2 -> 0",
	  "lookup 2001:db8:0:1:8000::1 -> 2 /65", "lookup 2001:db8:0:1::1 -> 1 /64",
	  "remove 2001:db8:0:1:8000::/65 -> 2", "lookup 2001:db8:0:1:8000::1 -> 1 /64",
	  "get 2001:db8:0:1::/64 -> 1", "count -> 1"}},
	{"IPv6 sparse prefixes share nothing but work alike",
	 {"insert 2001:db8:1234:5600::/56 1 -> 0", "insert 2001:db8:1234:5678::/64 2 -> 0",
	  "lookup 2001:db8:1234:5678::1 -> 2 /64", "lookup 2001:db8:1234:5679::1 -> 1 /56",
	  "remove 2001:db8:1234:5600::/56 -> 1", "lookup 2001:db8:1234:5679::1 -> 0",
	  "lookup 2001:db8:1234:5678::1 -> 2 /64", "insert 2001:db8:ffff::/48 3 -> 0",
	  "lookup 2001:db8:ffff:1::1 -> 3 /48", "remove 2001:db8:1234:5678::/64 -> 2",
	  "lookup 2001:db8:1234:5678::1 -> 0", "lookup 2001:db8:ffff:1::1 -> 3 /48", "count -> 1"}},
};

static void run_step(struct rfm_lpm **tp, const char *name, guint i, const char *step)
{
	g_auto(GStrv) w = g_strsplit(step, " ", 0);
	guint n = g_strv_length(w), arrow = 0;
	guint8 addr[16], plen = 0, got_plen = 0, want_plen = 0;
	guint32 got = 0, want;
	int family = 0;

	while (arrow < n && strcmp(w[arrow], "->"))
		arrow++;
	g_assert_cmpuint(arrow + 1, <, n);
	want = (guint32)g_ascii_strtoull(w[arrow + 1], NULL, 10);
	if (arrow + 2 < n)
		want_plen = (guint8)g_ascii_strtoull(w[arrow + 2] + 1, NULL, 10);
	if (arrow >= 2)
		family = strchr(w[1], '/') ? parse_prefix(w[1], addr, &plen)
					   : parse_addr(w[1], addr);
	if (!*tp)
		*tp = rfm_lpm_new(family);

	if (!strcmp(w[0], "insert"))
		got = rfm_lpm_insert(*tp, addr, plen, (guint32)g_ascii_strtoull(w[2], NULL, 10));
	else if (!strcmp(w[0], "remove"))
		got = rfm_lpm_remove(*tp, addr, plen);
	else if (!strcmp(w[0], "get"))
		got = rfm_lpm_get(*tp, addr, plen);
	else if (!strcmp(w[0], "count"))
		got = rfm_lpm_count(*tp);
	else if (!strcmp(w[0], "lookup"))
		got = rfm_lpm_lookup(*tp, addr, &got_plen);
	else if (!strcmp(w[0], "lookup_min"))
		got = rfm_lpm_lookup_min(*tp, addr, (guint8)g_ascii_strtoull(w[2] + 1, NULL, 10),
					 &got_plen);
	else
		g_error("%s: unknown step \"%s\"", name, step);

	if (got != want || got_plen != want_plen) {
		g_printerr("%s, step %u \"%s\": got %u /%u\n", name, i, step, got, got_plen);
		g_test_fail();
	}
	{
		g_autofree char *bad = shape_check(*tp);

		if (bad) {
			g_printerr("%s, after step %u \"%s\": %s\n", name, i, step, bad);
			g_test_fail();
		}
	}
}

static void test_cases(void)
{
	for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
		struct rfm_lpm *t = NULL;

		for (guint i = 0; i < G_N_ELEMENTS(cases[c].steps) && cases[c].steps[i]; i++)
			run_step(&t, cases[c].name, i, cases[c].steps[i]);
		rfm_lpm_free(t);
	}
}

/* --- foreach, memory, errors ---------------------------------------------- */

struct collected {
	int family;
	GPtrArray *strs; /* owned */
};

static void collect_str(const guint8 *addr, guint8 plen, guint32 value, void *ud)
{
	struct collected *c = ud;
	g_autofree char *p = prefix_str(c->family, addr, plen);

	g_ptr_array_add(c->strs, g_strdup_printf("%s %u", p, value));
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* foreach reports each prefix once, zero beyond its length, with its value. */
static void test_foreach(void)
{
	static const char *const v4[] = {
		"0.0.0.0/0 1",		"10.0.0.0/8 2",	  "10.0.0.0/16 3",    "192.0.2.77/24 4",
		"192.0.2.0/25 5",	"192.0.2.1/32 6", "203.0.113.0/24 7", "203.0.112.0/22 8",
		"255.255.255.255/32 9", "128.0.0.0/1 10"};
	static const char *const v4_want[] = {
		"0.0.0.0/0 1",	    "10.0.0.0/16 3",	   "10.0.0.0/8 2",   "128.0.0.0/1 10",
		"192.0.2.0/24 4",   "192.0.2.0/25 5",	   "192.0.2.1/32 6", "203.0.112.0/22 8",
		"203.0.113.0/24 7", "255.255.255.255/32 9"};
	/* 2001:db8:0:1::/64 sits at the top of the node at depth 64, beside its /65. */
	static const char *const v6[] = {"::/0 1",
					 "2001:db8::/32 2",
					 "2001:db8:1::1/48 3",
					 "2001:db8::1/128 4",
					 "fe80::/10 5",
					 "2001:db8:0:1::/64 6",
					 "2001:db8:0:1:8000::/65 7",
					 "2000::/3 8"};
	static const char *const v6_want[] = {"2000::/3 8",
					      "2001:db8:0:1:8000::/65 7",
					      "2001:db8:0:1::/64 6",
					      "2001:db8:1::/48 3",
					      "2001:db8::/32 2",
					      "2001:db8::1/128 4",
					      "::/0 1",
					      "fe80::/10 5"};
	struct {
		int family;
		const char *const *in, *const *want;
		guint n;
	} sets[] = {{4, v4, v4_want, G_N_ELEMENTS(v4)}, {6, v6, v6_want, G_N_ELEMENTS(v6)}};

	for (gsize s = 0; s < G_N_ELEMENTS(sets); s++) {
		struct rfm_lpm *t = rfm_lpm_new(sets[s].family);
		struct collected c = {sets[s].family, g_ptr_array_new_with_free_func(g_free)};

		for (guint i = 0; i < sets[s].n; i++) {
			g_auto(GStrv) w = g_strsplit(sets[s].in[i], " ", 2);
			guint8 addr[16], plen;

			parse_prefix(w[0], addr, &plen);
			g_assert_cmpuint(rfm_lpm_insert(t, addr, plen, atoi(w[1])), ==, 0);
		}
		rfm_lpm_foreach(t, collect_str, &c);
		g_ptr_array_sort(c.strs, str_cmp);
		g_assert_cmpuint(c.strs->len, ==, sets[s].n);
		for (guint i = 0; i < sets[s].n; i++)
			g_assert_cmpstr(g_ptr_array_index(c.strs, i), ==, sets[s].want[i]);
		g_ptr_array_unref(c.strs);
		rfm_lpm_free(t);
	}
}

/*
 * walk goes in (address, length) order, resumes after any prefix (in the
 * table or not) and stops after max; lookup_all lists the covering
 * prefixes longest first.
 */
static void test_walk(void)
{
	/* In walk order: shorts, leaves and node prefixes, around root and stride edges. */
	static const char *const v4[] = {
		"0.0.0.0/0 1",	     "10.0.0.0/8 2",	  "10.0.0.0/15 3",
		"10.0.0.0/16 4",     "10.0.0.0/22 5",	  "10.0.0.0/24 6",
		"10.0.0.0/32 7",     "10.0.0.1/32 8",	  "10.0.4.0/22 9",
		"10.1.0.0/16 10",    "128.0.0.0/1 11",	  "192.0.2.0/24 12",
		"192.0.2.0/25 13",   "192.0.2.1/32 14",	  "192.0.2.128/25 15",
		"203.0.112.0/22 16", "203.0.113.0/24 17", "255.255.255.255/32 18"};
	static const char *const v6[] = {"::/0 1",
					 "2000::/3 2",
					 "2001:db8::/32 3",
					 "2001:db8::/64 4",
					 "2001:db8::1/128 5",
					 "2001:db8:0:1::/64 6",
					 "2001:db8:0:1:8000::/65 7",
					 "2001:db8:1::/48 8",
					 "fe80::/10 9"};
	static const struct {
		int family;
		const char *after; /* NULL: from the start */
		guint max;
		const char *want; /* the values seen, in order */
	} walks[] = {
		{4, NULL, 100, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18"},
		{4, NULL, 3, "1 2 3"},
		{4, "10.0.0.0/15", 3, "4 5 6"},
		{4, "10.0.0.0/9", 2, "3 4"}, /* not in the table */
		{4, "10.0.0.0/32", 100, "8 9 10 11 12 13 14 15 16 17 18"},
		{4, "10.0.0.2/32", 2, "9 10"},
		{4, "192.0.2.0/24", 2, "13 14"},
		{4, "192.0.2.255/32", 1, "16"},
		{4, "255.255.255.255/32", 5, ""},
		{4, "0.0.0.0/0", 0, ""},
		{6, NULL, 100, "1 2 3 4 5 6 7 8 9"},
		{6, "2001:db8::/64", 100, "5 6 7 8 9"},
		{6, "2001:db8::1/128", 2, "6 7"},
		{6, "2001:db8:0:1::/65", 1, "7"},
		{6, "2001:db8:0:1::/66", 1, "7"},
		{6, "2001:db8:0:1:8000::/65", 1, "8"},
		{6, "2001:db9::/32", 9, "9"},
	};
	static const struct {
		int family;
		const char *addr;
		guint8 min_plen;
		const char *want; /* "value/plen ..." */
	} covering[] = {
		{4, "10.0.0.1", 0, "8/32 6/24 5/22 4/16 3/15 2/8 1/0"},
		{4, "10.0.0.1", 16, "8/32 6/24 5/22 4/16"},
		{4, "10.0.5.1", 1, "9/22 4/16 3/15 2/8"},
		{4, "192.0.2.200", 0, "15/25 12/24 11/1 1/0"},
		{4, "11.0.0.1", 1, ""},
		{6, "2001:db8::1", 0, "5/128 4/64 3/32 2/3 1/0"},
		{6, "2001:db8:0:1:8000::1", 0, "7/65 6/64 3/32 2/3 1/0"},
		{6, "fe80::1", 10, "9/10"},
	};
	struct rfm_lpm *t[2] = {rfm_lpm_new(4), rfm_lpm_new(6)};

	for (gsize i = 0; i < G_N_ELEMENTS(v4) + G_N_ELEMENTS(v6); i++) {
		const char *spec = i < G_N_ELEMENTS(v4) ? v4[i] : v6[i - G_N_ELEMENTS(v4)];
		g_auto(GStrv) w = g_strsplit(spec, " ", 2);
		guint8 addr[16], plen;
		int family = parse_prefix(w[0], addr, &plen);

		g_assert_cmpuint(rfm_lpm_insert(t[family == 6], addr, plen, atoi(w[1])), ==, 0);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(walks); i++) {
		struct collected c = {walks[i].family, g_ptr_array_new_with_free_func(g_free)};
		g_autoptr(GString) got = g_string_new(NULL);
		guint8 addr[16], plen = 0;
		guint n;

		if (walks[i].after)
			parse_prefix(walks[i].after, addr, &plen);
		n = rfm_lpm_walk(t[walks[i].family == 6], walks[i].after ? addr : NULL, plen,
				 walks[i].max, collect_str, &c);
		for (guint k = 0; k < c.strs->len; k++)
			g_string_append_printf(got, "%s%s", k ? " " : "",
					       strchr(g_ptr_array_index(c.strs, k), ' ') + 1);
		g_test_message("walk after %s, %u: %s", walks[i].after ? walks[i].after : "-",
			       walks[i].max, got->str);
		g_assert_cmpstr(got->str, ==, walks[i].want);
		g_assert_cmpuint(n, ==, c.strs->len);
		g_ptr_array_unref(c.strs);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(covering); i++) {
		g_autoptr(GString) got = g_string_new(NULL);
		guint32 values[129];
		guint8 addr[16], plens[129];
		guint n;

		parse_addr(covering[i].addr, addr);
		n = rfm_lpm_lookup_all(t[covering[i].family == 6], addr, covering[i].min_plen,
				       values, plens, 129);
		for (guint k = 0; k < n; k++)
			g_string_append_printf(got, "%s%u/%u", k ? " " : "", values[k], plens[k]);
		g_assert_cmpstr(got->str, ==, covering[i].want);
		/* max cuts the list, keeping the longest. */
		if (n > 1) {
			g_assert_cmpuint(rfm_lpm_lookup_all(t[covering[i].family == 6], addr,
							    covering[i].min_plen, values, plens, 1),
					 ==, 1);
			g_assert_cmpuint(values[0], ==, (guint)atoi(covering[i].want));
		}
	}
	rfm_lpm_free(t[0]);
	rfm_lpm_free(t[1]);
}

/* A fixed xorshift, so that the memory test is the same on every run. */
static guint32 xs(guint64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (guint32)(*s >> 32);
}

/* A random prefix that t does not hold. */
static void random_prefix(guint64 *s, struct rfm_lpm *t, int family, guint8 addr[16], guint8 *plen)
{
	static const guint8 v4_len[] = {16, 19, 20, 22, 23, 24, 24, 24, 24, 24};
	static const guint8 v6_len[] = {29, 32, 36, 40, 44, 48, 48, 48, 48, 64};

	for (int i = 0; i < 16; i += 4) {
		guint32 r = xs(s);

		memcpy(addr + i, &r, 4);
	}
	*plen = family == 4 ? v4_len[xs(s) % 10] : v6_len[xs(s) % 10];
	if (rfm_lpm_get(t, addr, *plen))
		random_prefix(s, t, family, addr, plen);
}

/*
 * Removed prefixes leave memory that later inserts reuse: a table whose
 * content is replaced, half at a time, for 20 rounds stays about the size
 * of the first build (without reuse it would grow 10x). Removing every
 * prefix gives back everything.
 */
static void test_memory_reuse(void)
{
	for (int family = 4; family <= 6; family += 2) {
		struct rfm_lpm *t = rfm_lpm_new(family);
		gsize empty = rfm_lpm_memory(t), first;
		struct {
			guint8 addr[16], plen;
		} *p = g_new(typeof(*p), 20000);
		guint64 s = 88172645463325252ULL;

		for (guint i = 0; i < 20000; i++) {
			random_prefix(&s, t, family, p[i].addr, &p[i].plen);
			rfm_lpm_insert(t, p[i].addr, p[i].plen, i + 1);
		}
		first = rfm_lpm_memory(t);
		g_assert_cmpuint(first, >, empty);
		for (guint round = 0; round < 20; round++) {
			for (guint i = round % 2; i < 20000; i += 2) {
				g_assert_cmpuint(rfm_lpm_remove(t, p[i].addr, p[i].plen), !=, 0);
				random_prefix(&s, t, family, p[i].addr, &p[i].plen);
				rfm_lpm_insert(t, p[i].addr, p[i].plen, i + 1);
			}
		}
		g_test_message("IPv%d: %zu bytes after the first build, %zu after 20 half "
			       "replacements (%u prefixes)",
			       family, first, rfm_lpm_memory(t), rfm_lpm_count(t));
		g_assert_cmpuint(rfm_lpm_memory(t), <, first * 5 / 4);
		g_assert_null(shape_check(t));
		for (guint i = 0; i < 20000; i++)
			rfm_lpm_remove(t, p[i].addr, p[i].plen);
		g_assert_cmpuint(rfm_lpm_count(t), ==, 0);
		g_assert_cmpuint(rfm_lpm_memory(t), ==, empty);
		g_free(p);
		rfm_lpm_free(t);
	}
}

/* Programmer errors warn and change nothing; free accepts NULL. */
static void test_errors(void)
{
	guint8 addr[16] = {192, 0, 2, 0};
	struct rfm_lpm *t = rfm_lpm_new(4);

	rfm_lpm_free(NULL);
	g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*family*");
	g_assert_null(rfm_lpm_new(5));
	g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*value*");
	g_assert_cmpuint(rfm_lpm_insert(t, addr, 24, 0), ==, 0);
	g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*maxlen*");
	g_assert_cmpuint(rfm_lpm_insert(t, addr, 33, 1), ==, 0);
	g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*maxlen*");
	g_assert_cmpuint(rfm_lpm_remove(t, addr, 33), ==, 0);
	g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*maxlen*");
	g_assert_cmpuint(rfm_lpm_get(t, addr, 33), ==, 0);
	g_test_assert_expected_messages();
	g_assert_cmpuint(rfm_lpm_count(t), ==, 0);
	rfm_lpm_free(t);
}

/* --- differential test ---------------------------------------------------- */

/* DOC: the reference, a plain list of prefixes, zero beyond plen. */
struct ref_entry {
	guint8 addr[16];
	guint8 plen;
	guint32 value;
};

/* A byte loop, not memcmp(): this runs millions of times, and sanitizers intercept memcmp(). */
static bool covers(const guint8 *p, guint plen, const guint8 *a)
{
	guint bytes = plen / 8, rest = plen % 8;

	for (guint i = 0; i < bytes; i++)
		if (p[i] != a[i])
			return false;
	return !rest || !((p[bytes] ^ a[bytes]) & (0xff00 >> rest));
}

static void mask(guint8 *a, guint plen)
{
	for (guint i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		a[i] &= plen > 8 * i ? (guint8)(0xff00 >> (plen - 8 * i)) : 0;
	}
}

static gint ref_find(GArray *ref, const guint8 *addr, guint8 plen)
{
	for (guint i = 0; i < ref->len; i++) {
		struct ref_entry *e = &g_array_index(ref, struct ref_entry, i);

		if (e->plen == plen && !memcmp(e->addr, addr, 16))
			return (gint)i;
	}
	return -1;
}

static guint32 ref_lookup(GArray *ref, const guint8 *addr, guint8 min_plen, guint8 *plen)
{
	const struct ref_entry *best = NULL;

	for (guint i = 0; i < ref->len; i++) {
		const struct ref_entry *e = &g_array_index(ref, struct ref_entry, i);

		if (e->plen >= min_plen && covers(e->addr, e->plen, addr) &&
		    (!best || e->plen > best->plen))
			best = e;
	}
	if (!best)
		return 0;
	*plen = best->plen;
	return best->value;
}

/*
 * Prefixes of a run come from a few anchors with a few bits flipped, and
 * lengths favour the trie's boundaries, so that they nest, share paths,
 * split leaves and cross the root, stride and word boundaries.
 */
struct gen {
	GRand *rand; /* owned */
	int family;
	guint alen, maxlen;
	guint8 anchors[4][16];
	guint nanchors;
};

static guint rnd(struct gen *g, guint n)
{
	return (guint)g_rand_int_range(g->rand, 0, (gint32)n);
}

static void gen_addr(struct gen *g, guint8 *a)
{
	memset(a, 0, 16);
	if (rnd(g, 8) == 0) {
		for (guint i = 0; i < g->alen; i++)
			a[i] = (guint8)rnd(g, 256);
		return;
	}
	memcpy(a, g->anchors[rnd(g, g->nanchors)], 16);
	for (guint n = rnd(g, 4); n > 0; n--) {
		guint b = rnd(g, g->maxlen);

		a[b / 8] ^= (guint8)(0x80 >> (b % 8));
	}
}

static guint8 gen_plen(struct gen *g)
{
	static const guint8 v4[] = {0, 8, 12, 15, 16, 17, 21, 22, 23, 24, 24, 27, 28, 29, 31, 32};
	static const guint8 v6[] = {0,	15, 16, 17, 22, 28,  29,  32,  33,  46,	 48, 48,
				    58, 63, 64, 65, 70, 124, 125, 127, 128, 128, 88};

	if (rnd(g, 4) == 0)
		return (guint8)rnd(g, g->maxlen + 1);
	return g->family == 4 ? v4[rnd(g, G_N_ELEMENTS(v4))] : v6[rnd(g, G_N_ELEMENTS(v6))];
}

static void set_bit(guint8 *a, guint b, bool v)
{
	guint8 m = (guint8)(0x80 >> (b % 8));

	a[b / 8] = v ? a[b / 8] | m : a[b / 8] & ~m;
}

/*
 * An address to look up: random (3 in 10), inside a prefix of the table
 * (4), its first address, its last, or the one after its last.
 */
static void gen_lookup_addr(struct gen *g, GArray *ref, guint8 *a)
{
	const struct ref_entry *e;
	guint roll = rnd(g, 10);

	gen_addr(g, a);
	if (!ref->len || roll < 3)
		return;
	e = &g_array_index(ref, struct ref_entry, rnd(g, ref->len));
	for (guint b = 0; b < e->plen; b++)
		set_bit(a, b, e->addr[b / 8] & (0x80 >> (b % 8)));
	if (roll == 7)
		mask(a, e->plen);
	for (guint b = e->plen; roll >= 8 && b < g->maxlen; b++)
		set_bit(a, b, true);
	for (gint i = (gint)g->alen - 1; roll == 9 && i >= 0 && ++a[i] == 0; i--)
		; /* + 1, with carry */
}

static gint longer_first(gconstpointer a, gconstpointer b)
{
	return (gint)((const struct ref_entry *)b)->plen -
	       (gint)((const struct ref_entry *)a)->plen;
}

/* lookup_all: the prefixes covering a of min_plen or more, longest first, as a scan finds them. */
static bool check_covering(struct rfm_lpm *t, GArray *ref, struct gen *g, const guint8 *a,
			   guint8 min_plen, const char *when)
{
	g_autoptr(GArray) want = g_array_new(FALSE, FALSE, sizeof(struct ref_entry));
	guint32 values[129];
	guint8 plens[129];
	guint n = rfm_lpm_lookup_all(t, a, min_plen, values, plens, 129);

	for (guint i = 0; i < ref->len; i++) {
		const struct ref_entry *e = &g_array_index(ref, struct ref_entry, i);

		if (e->plen >= min_plen && covers(e->addr, e->plen, a))
			g_array_append_val(want, *e);
	}
	g_array_sort(want, longer_first);
	for (guint i = 0; i < MAX(n, want->len); i++) {
		const struct ref_entry *e =
			i < want->len ? &g_array_index(want, struct ref_entry, i) : NULL;

		if (i < n && e && values[i] == e->value && plens[i] == e->plen)
			continue;
		{
			g_autofree char *s = prefix_str(g->family, a, (guint8)g->maxlen);

			g_printerr("%s: lookup_all %s /%u: #%u is %u /%u, reference %u /%u\n", when,
				   s, min_plen, i, i < n ? values[i] : 0, i < n ? plens[i] : 0,
				   e ? e->value : 0, e ? e->plen : 0);
		}
		return false;
	}
	return true;
}

/* lookup and lookup_min; lookup_all too when all. */
static bool check_lookup(struct rfm_lpm *t, GArray *ref, struct gen *g, const guint8 *a,
			 guint8 min_plen, bool all, const char *when)
{
	guint8 plen = 0xee, want_plen = 0xee;
	guint32 got =
		min_plen ? rfm_lpm_lookup_min(t, a, min_plen, &plen) : rfm_lpm_lookup(t, a, &plen);
	guint32 want = ref_lookup(ref, a, min_plen, &want_plen);

	if (got == want && plen == want_plen)
		return all ? check_covering(t, ref, g, a, min_plen, when) : true;
	{
		g_autofree char *s = prefix_str(g->family, a, (guint8)g->maxlen);

		g_printerr("%s: lookup_min %s /%u: table %u /%u, reference %u /%u\n", when, s,
			   min_plen, got, plen, want, want_plen);
	}
	return false;
}

struct entries {
	GArray *out; /* struct ref_entry, borrowed */
	guint alen;
};

static void collect_entry(const guint8 *addr, guint8 plen, guint32 value, void *ud)
{
	struct entries *c = ud;
	struct ref_entry e = {{0}, plen, value};

	memcpy(e.addr, addr, c->alen);
	g_array_append_val(c->out, e);
}

static gint entry_cmp(gconstpointer a, gconstpointer b)
{
	const struct ref_entry *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->plen - (int)y->plen;
}

/* Entry i of a list, NULL past its end. */
static const struct ref_entry *entry_at(GArray *list, gint i)
{
	return (guint)i < list->len ? &g_array_index(list, struct ref_entry, i) : NULL;
}

/* The first index where two entry lists differ (prefix, value or length); -1 if equal. */
static gint entries_differ(GArray *got, GArray *want)
{
	for (guint i = 0; i < MAX(got->len, want->len); i++) {
		const struct ref_entry *a = entry_at(got, (gint)i), *b = entry_at(want, (gint)i);

		if (!a || !b || entry_cmp(a, b) || a->value != b->value)
			return (gint)i;
	}
	return -1;
}

/* Everything the table can say about its content equals the reference. */
static bool check_all(struct rfm_lpm *t, GArray *ref, struct gen *g, const char *when)
{
	gint diff;
	g_autoptr(GArray) got = g_array_new(FALSE, TRUE, sizeof(struct ref_entry));
	g_autoptr(GArray) want = g_array_copy(ref);
	g_autofree char *bad = shape_check(t);
	guint8 buf[16] = {0};

	if (bad) {
		g_printerr("%s: %s\n", when, bad);
		return false;
	}
	if (rfm_lpm_count(t) != ref->len) {
		g_printerr("%s: count %u, reference %u\n", when, rfm_lpm_count(t), ref->len);
		return false;
	}
	/* foreach goes in walk order: the reference sorted, without sorting what it gives. */
	rfm_lpm_foreach(t, collect_entry, &(struct entries){got, g->alen});
	g_array_sort(want, entry_cmp);
	diff = entries_differ(got, want);
	if (diff >= 0) {
		const struct ref_entry *a = entry_at(got, diff), *b = entry_at(want, diff);
		g_autofree char *sa = a ? prefix_str(g->family, a->addr, a->plen) : NULL;
		g_autofree char *sb = b ? prefix_str(g->family, b->addr, b->plen) : NULL;

		g_printerr("%s: foreach #%d: table %s = %u, reference %s = %u\n", when, diff,
			   sa ? sa : "(none)", a ? a->value : 0, sb ? sb : "(none)",
			   b ? b->value : 0);
		return false;
	}
	/* The same in batches of random size, each resumed after the last prefix seen. */
	g_array_set_size(got, 0);
	for (;;) {
		guint before = got->len, max = 1 + rnd(g, 40);
		const struct ref_entry *last =
			before ? &g_array_index(got, struct ref_entry, before - 1) : NULL;
		guint8 after[16];
		guint n;

		if (last)
			memcpy(after, last->addr, 16);
		n = rfm_lpm_walk(t, last ? after : NULL, last ? last->plen : 0, max, collect_entry,
				 &(struct entries){got, g->alen});
		if (n != got->len - before) {
			g_printerr("%s: walk returned %u for %u prefixes\n", when, n,
				   got->len - before);
			return false;
		}
		if (n < max)
			break;
	}
	diff = entries_differ(got, want);
	if (diff >= 0) {
		g_printerr("%s: walk in batches #%d differs (%s)\n", when, diff,
			   entry_at(got, diff) && entry_at(want, diff) ? "prefix or value"
								       : "length");
		return false;
	}
	for (guint i = 0; i < ref->len; i++) {
		const struct ref_entry *e = &g_array_index(ref, struct ref_entry, i);

		/* get ignores bits beyond plen: ask with them set. */
		memcpy(buf, e->addr, 16);
		for (guint b = e->plen; b < g->maxlen; b++)
			buf[b / 8] |= (guint8)(0x80 >> (b % 8));
		if (rfm_lpm_get(t, buf, e->plen) != e->value) {
			g_autofree char *s = prefix_str(g->family, e->addr, e->plen);

			g_printerr("%s: get %s: table %u, reference %u\n", when, s,
				   rfm_lpm_get(t, buf, e->plen), e->value);
			return false;
		}
	}
	return true;
}

/* DOC: where a walk that goes on across changes of the table stands. */
struct cursor {
	struct ref_entry last; /* the last prefix it gave */
	bool valid;	       /* false: start from the first */
};

/*
 * A few more prefixes after the cursor: the table changed since the last
 * batch, and the walk must give what the reference holds after the cursor
 * now, in order. At the end, the walk starts over.
 */
static bool check_resume(struct rfm_lpm *t, GArray *ref, struct gen *g, struct cursor *c,
			 const char *when)
{
	g_autoptr(GArray) got = g_array_new(FALSE, TRUE, sizeof(struct ref_entry));
	g_autoptr(GArray) want = g_array_copy(ref);
	guint max = 1 + rnd(g, 6), n, first = 0;

	n = rfm_lpm_walk(t, c->valid ? c->last.addr : NULL, c->last.plen, max, collect_entry,
			 &(struct entries){got, g->alen});
	g_array_sort(want, entry_cmp);
	while (c->valid && first < want->len &&
	       entry_cmp(&g_array_index(want, struct ref_entry, first), &c->last) <= 0)
		first++;
	for (guint i = 0; i < MAX(n, MIN(max, want->len - first)); i++) {
		struct ref_entry *a = i < n ? &g_array_index(got, struct ref_entry, i) : NULL;
		struct ref_entry *b = first + i < want->len
					      ? &g_array_index(want, struct ref_entry, first + i)
					      : NULL;

		if (a && b && !entry_cmp(a, b) && a->value == b->value)
			continue;
		{
			g_autofree char *sa = a ? prefix_str(g->family, a->addr, a->plen) : NULL;
			g_autofree char *sb = b ? prefix_str(g->family, b->addr, b->plen) : NULL;

			g_printerr("%s: resumed walk #%u: table %s, reference %s\n", when, i,
				   sa ? sa : "(none)", sb ? sb : "(none)");
		}
		return false;
	}
	c->valid = n == max;
	if (c->valid)
		c->last = g_array_index(got, struct ref_entry, n - 1);
	return true;
}

static bool diff_run(guint32 seed, bool trace, void *user_data)
{
	guint *ops = user_data;

	g_autoptr(GArray) ref = g_array_new(FALSE, TRUE, sizeof(struct ref_entry));
	struct gen g = {.rand = g_rand_new_with_seed(seed)};
	struct cursor cursor = {.valid = false};
	guint steps, limit;
	struct rfm_lpm *t;
	bool ok = true;

	g.family = g_rand_boolean(g.rand) ? 4 : 6;
	g.alen = g.family == 4 ? 4 : 16;
	g.maxlen = 8 * g.alen;
	g.nanchors = 1 + rnd(&g, 4);
	for (guint i = 0; i < g.nanchors; i++)
		for (guint j = 0; j < g.alen; j++)
			g.anchors[i][j] = (guint8)rnd(&g, 256);
	steps = 1000 + rnd(&g, 3000);
	limit = (guint[]){12, 40, 150, 400}[rnd(&g, 4)]; /* prefixes the table holds at most */
	t = rfm_lpm_new(g.family);

	for (guint step = 0; step < steps && ok; step++) {
		g_autofree char *when = g_strdup_printf("seed %u step %u", seed, step);
		guint roll = rnd(&g, 100);
		struct ref_entry e = {{0}, 0, 0};
		gint i;
		guint32 got, want;
		const char *op;

		if (roll < 55 && ref->len < limit) { /* insert or replace */
			gen_addr(&g, e.addr);
			e.plen = gen_plen(&g);
			e.value = 1 + rnd(&g, 1000000);
			op = "insert";
			got = rfm_lpm_insert(t, e.addr, e.plen, e.value);
			mask(e.addr, e.plen);
			i = ref_find(ref, e.addr, e.plen);
			want = i >= 0 ? g_array_index(ref, struct ref_entry, i).value : 0;
			if (i >= 0)
				g_array_index(ref, struct ref_entry, i).value = e.value;
			else
				g_array_append_val(ref, e);
		} else if (roll < 90 && ref->len) { /* remove a prefix of the table */
			i = (gint)rnd(&g, ref->len);
			e = g_array_index(ref, struct ref_entry, i);
			op = "remove";
			got = rfm_lpm_remove(t, e.addr, e.plen);
			want = e.value;
			g_array_remove_index_fast(ref, (guint)i);
		} else { /* remove something that may be absent */
			gen_addr(&g, e.addr);
			e.plen = gen_plen(&g);
			op = "remove";
			got = rfm_lpm_remove(t, e.addr, e.plen);
			mask(e.addr, e.plen);
			i = ref_find(ref, e.addr, e.plen);
			want = i >= 0 ? g_array_index(ref, struct ref_entry, i).value : 0;
			if (i >= 0)
				g_array_remove_index_fast(ref, (guint)i);
		}
		if (trace) {
			g_autofree char *s = prefix_str(g.family, e.addr, e.plen);

			g_printerr("%4u %s %s %u -> %u\n", step, op, s, e.value, got);
		}
		if (got != want) {
			g_autofree char *s = prefix_str(g.family, e.addr, e.plen);

			g_printerr("%s: %s %s returned %u, reference %u\n", when, op, s, got, want);
			ok = false;
		}
		for (guint l = 0; l < 4 && ok; l++) {
			guint8 a[16];

			gen_lookup_addr(&g, ref, a);
			ok = check_lookup(t, ref, &g, a, rnd(&g, 4) ? 0 : (guint8)gen_plen(&g),
					  l == 0, when);
		}
		if (ok && rnd(&g, 4) == 0)
			ok = check_resume(t, ref, &g, &cursor, when);
		if (ok && (step % 256 == 0 || step + 1 == steps))
			ok = check_all(t, ref, &g, when);
		(*ops)++;
	}
	/* Emptying the table gives its memory back. */
	while (ok && ref->len) {
		struct ref_entry e = g_array_index(ref, struct ref_entry, ref->len - 1);

		ok = rfm_lpm_remove(t, e.addr, e.plen) == e.value;
		g_array_set_size(ref, ref->len - 1);
	}
	if (ok) {
		struct rfm_lpm *fresh = rfm_lpm_new(g.family);

		ok = rfm_lpm_count(t) == 0 && rfm_lpm_memory(t) == rfm_lpm_memory(fresh);
		if (!ok)
			g_printerr("seed %u: emptied table: count %u, %zu bytes (new: %zu)\n", seed,
				   rfm_lpm_count(t), rfm_lpm_memory(t), rfm_lpm_memory(fresh));
		rfm_lpm_free(fresh);
	}
	rfm_lpm_free(t);
	g_rand_free(g.rand);
	return ok;
}

static void test_differential(void)
{
	gint64 t0 = g_get_monotonic_time();
	guint32 runs = seed_runs_env("RFM_TEST_RUNS", DIFF_RUNS);
	guint ops = 0;

	if (!seed_runs("/lpm/differential", g_test_rand_int(), DIFF_RUNS, diff_run, &ops))
		return;
	g_test_message("%u runs, %u operations in %.2f s", runs, ops,
		       (g_get_monotonic_time() - t0) / 1e6);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/lpm/cases", test_cases);
	g_test_add_func("/lpm/foreach", test_foreach);
	g_test_add_func("/lpm/walk", test_walk);
	g_test_add_func("/lpm/memory-reuse", test_memory_reuse);
	g_test_add_func("/lpm/errors", test_errors);
	g_test_add_func("/lpm/differential", test_differential);
	return g_test_run();
}
