/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_rib.c - the BMP-fed RIB (rib.c) through its API: announce, withdraw
 * and implicit withdraw, longest-prefix lookups (default route only on
 * request), the selection order rib.h documents (view, LOCAL_PREF, AS_PATH
 * length, ORIGIN, MED, peer address, path id), Adj-RIB-Out kept apart,
 * add-path, peer and session down, the peer and route limits, statistics and
 * attribute interning, IPv4 and IPv6, and a differential test against a
 * naive reference (a list of routes scanned for every lookup) over random
 * operations.
 *
 * Routes and peers are written as readable strings:
 *   peer   "post1: session 1 adj-rib-in-post 192.0.2.1 AS64500"
 *   route  "203.0.113.0/24 via AS64501 AS64500 local-pref 200 med 5 origin egp"
 *          with optional "path-id N", "next-hop ADDR", "community A:B",
 *          "large A:B:C"; "{AS1,AS2}" in a path is an AS_SET.
 *
 * The reference accepts either of two routes that the order of rib.h does
 * not separate (same view, attributes, peer address and path id, from peers
 * that differ only in session, peer type or distinguisher).
 *
 * Replay a differential failure with RFM_TEST_SEED=<seed> (and
 * RFM_TEST_RUNS=1 to trace the operations of that single run).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "rib.h"
#include "seed_runs.h"

#define MAX_FX_PEERS 16
#define MAX_PATH     16
#define MAX_COMM     8
#define MAX_LARGE    4
#define TAG_HI	     65535U /* community 65535:i marks route i of a selection case */

/* Random runs of 400..1500 operations; fewer under AddressSanitizer. */
#ifdef __SANITIZE_ADDRESS__
#define DIFF_RUNS   40
#define SEL_SHUFFLE 8 /* random orders per selection case */
#else
#define DIFF_RUNS   120
#define SEL_SHUFFLE 30
#endif

static const struct rfm_rib_options unlimited = {.max_routes_per_peer = G_MAXUINT32,
						 .max_peers = 1024};

/* --- parsing the readable forms ------------------------------------------- */

/* "192.0.2.1" or "2001:db8::1" into 16 bytes (IPv4 in bytes 0..3); returns 4 or 6. */
static int parse_addr(const char *s, guint8 out[16])
{
	int v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, out) != 1)
		g_error("bad address '%s'", s);
	return v6 ? 6 : 4;
}

static int parse_prefix(const char *s, guint8 out[16], guint8 *plen)
{
	g_auto(GStrv) parts = g_strsplit(s, "/", 2);
	int version;

	if (!parts[1])
		g_error("bad prefix '%s'", s);
	version = parse_addr(parts[0], out);
	*plen = (guint8)g_ascii_strtoull(parts[1], NULL, 10);
	return version;
}

static guint32 parse_u32(const char *s)
{
	if (!s)
		g_error("a number is missing");
	return (guint32)g_ascii_strtoull(s, NULL, 10);
}

static guint32 parse_asn(const char *s)
{
	if (g_ascii_strncasecmp(s, "AS", 2))
		g_error("bad AS '%s'", s);
	return parse_u32(s + 2);
}

/* Words of a string, empty ones left out. */
static GStrv words(const char *s)
{
	g_auto(GStrv) all = g_strsplit(s, " ", -1);
	GPtrArray *w = g_ptr_array_new();

	for (guint i = 0; all[i]; i++)
		if (*all[i])
			g_ptr_array_add(w, g_strdup(all[i]));
	g_ptr_array_add(w, NULL);
	return (GStrv)g_ptr_array_free(w, FALSE);
}

/* DOC: a parsed route; a's arrays point into the struct itself, so it is never copied. */
struct route {
	int version;
	guint8 prefix[16];
	guint8 plen;
	guint32 path_id;
	struct rfm_rib_attrs a;
	guint32 path[MAX_PATH];
	guint32 comm[MAX_COMM];
	guint32 large[3 * MAX_LARGE];
};

static void route_fix_pointers(struct route *r)
{
	r->a.as_path = r->path;
	r->a.communities = r->comm;
	r->a.large_communities = r->large;
}

/* "via AS1 AS2 {AS3,AS4}": the sequence and an optional AS_SET. */
static guint parse_path(GStrv w, guint i, struct route *r)
{
	bool set_last = false;

	while (w[i + 1] && (w[i + 1][0] == '{' || !g_ascii_strncasecmp(w[i + 1], "AS", 2))) {
		i++;
		if (w[i][0] == '{') {
			g_autofree char *inner = g_strndup(w[i] + 1, strlen(w[i]) - 2);
			g_auto(GStrv) set = g_strsplit(inner, ",", -1);

			for (guint k = 0; set[k]; k++) {
				g_assert_cmpuint(r->a.as_path_count, <, MAX_PATH);
				r->path[r->a.as_path_count++] = parse_asn(set[k]);
			}
			r->a.path_len++; /* an AS_SET counts 1 (RFC 4271 section 9.1.2.2 a) */
			set_last = true;
		} else {
			guint32 as = parse_asn(w[i]);

			g_assert_cmpuint(r->a.as_path_count, <, MAX_PATH);
			if (!r->a.as_path_count)
				r->a.first_as = as;
			r->path[r->a.as_path_count++] = as;
			r->a.path_len++;
			r->a.origin_as = as;
			set_last = false;
		}
	}
	if (set_last)
		r->a.origin_as = 0; /* unknown: the path ends with an AS_SET */
	return i;
}

static void route_parse(const char *spec, struct route *r)
{
	g_auto(GStrv) w = words(spec);

	memset(r, 0, sizeof(*r));
	route_fix_pointers(r);
	r->version = parse_prefix(w[0], r->prefix, &r->plen);
	for (guint i = 1; w[i]; i++) {
		const char *k = w[i], *v = w[i + 1];

		if (!strcmp(k, "via")) {
			i = parse_path(w, i, r);
			continue;
		}
		if (!v)
			g_error("'%s': %s needs a value", spec, k);
		i++;
		if (!strcmp(k, "local-pref")) {
			r->a.has_local_pref = true;
			r->a.local_pref = parse_u32(v);
		} else if (!strcmp(k, "med")) {
			r->a.has_med = true;
			r->a.med = parse_u32(v);
		} else if (!strcmp(k, "origin")) {
			r->a.origin = !strcmp(v, "igp") ? 0 : !strcmp(v, "egp") ? 1 : 2;
		} else if (!strcmp(k, "next-hop")) {
			r->a.nh_version = (guint8)parse_addr(v, r->a.next_hop);
		} else if (!strcmp(k, "path-id")) {
			r->path_id = parse_u32(v);
		} else if (!strcmp(k, "community")) {
			g_auto(GStrv) p = g_strsplit(v, ":", 2);

			g_assert_cmpuint(r->a.community_count, <, MAX_COMM);
			r->comm[r->a.community_count++] = parse_u32(p[0]) << 16 | parse_u32(p[1]);
		} else if (!strcmp(k, "large")) {
			g_auto(GStrv) p = g_strsplit(v, ":", 3);

			g_assert_cmpuint(r->a.large_community_count, <, MAX_LARGE);
			for (int j = 0; j < 3; j++)
				r->large[3 * r->a.large_community_count + j] = parse_u32(p[j]);
			r->a.large_community_count++;
		} else {
			g_error("'%s': unknown word %s", spec, k);
		}
	}
}

/* "session 1 adj-rib-in-post 192.0.2.1 AS64500 [rd N] [type N]" */
static void peer_parse(const char *spec, struct rfm_rib_peer_key *key, guint32 *as)
{
	g_auto(GStrv) w = words(spec);
	bool have_view = false;

	memset(key, 0, sizeof(*key));
	*as = 0;
	for (guint i = 0; w[i]; i++) {
		bool view = false;

		for (int v = 0; v < RFM_VIEW_MAX; v++) {
			if (!strcmp(w[i], rfm_rib_view_name(v))) {
				key->view = (guint8)v;
				/* RFC 9069 section 4.1: Loc-RIB has its own peer type. */
				if (v == RFM_VIEW_LOC_RIB)
					key->peer_type = 3;
				view = have_view = true;
			}
		}
		if (view)
			continue;
		if (!strcmp(w[i], "session"))
			key->session = parse_u32(w[++i]);
		else if (!strcmp(w[i], "rd"))
			key->distinguisher = parse_u32(w[++i]);
		else if (!strcmp(w[i], "type"))
			key->peer_type = (guint8)parse_u32(w[++i]);
		else if (!g_ascii_strncasecmp(w[i], "AS", 2))
			*as = parse_asn(w[i]);
		else
			key->addr_version = (guint8)parse_addr(w[i], key->addr);
	}
	if (!have_view)
		g_error("'%s': no view", spec);
}

static bool peer_key_same(const struct rfm_rib_peer_key *x, const struct rfm_rib_peer_key *y)
{
	return x->session == y->session && x->peer_type == y->peer_type && x->view == y->view &&
	       x->addr_version == y->addr_version && x->distinguisher == y->distinguisher &&
	       !memcmp(x->addr, y->addr, 16);
}

static bool attrs_same(const struct rfm_rib_attrs *x, const struct rfm_rib_attrs *y)
{
	return x->origin_as == y->origin_as && x->first_as == y->first_as && x->med == y->med &&
	       x->local_pref == y->local_pref && x->path_len == y->path_len &&
	       x->origin == y->origin && x->nh_version == y->nh_version &&
	       x->has_med == y->has_med && x->has_local_pref == y->has_local_pref &&
	       !memcmp(x->next_hop, y->next_hop, 16) && x->as_path_count == y->as_path_count &&
	       x->community_count == y->community_count &&
	       x->large_community_count == y->large_community_count &&
	       (!x->as_path_count || !memcmp(x->as_path, y->as_path, 4U * x->as_path_count)) &&
	       (!x->community_count ||
		!memcmp(x->communities, y->communities, 4U * x->community_count)) &&
	       (!x->large_community_count || !memcmp(x->large_communities, y->large_communities,
						     12U * x->large_community_count));
}

/* --- fixture: a RIB with named peers --------------------------------------- */

struct fx_peer {
	char name[16];
	guint32 id;
	guint32 as;
	struct rfm_rib_peer_key key;
};

struct fx {
	struct rfm_rib *rib;
	guint npeers;
	struct fx_peer peers[MAX_FX_PEERS];
};

static void fx_init(struct fx *fx, const struct rfm_rib_options *opts)
{
	memset(fx, 0, sizeof(*fx));
	fx->rib = rfm_rib_new(opts ? opts : &unlimited);
}

static void fx_fini(struct fx *fx)
{
	rfm_rib_free(fx->rib);
	fx->rib = NULL;
}

/* "name: spec": bring the peer up; returns its id (0 when refused). */
static guint32 fx_peer_try(struct fx *fx, const char *def)
{
	const char *colon = strchr(def, ':');
	struct fx_peer *p;

	g_assert_nonnull(colon);
	g_assert_cmpuint(fx->npeers, <, MAX_FX_PEERS);
	p = &fx->peers[fx->npeers++];
	g_strlcpy(p->name, def, MIN(sizeof(p->name), (gsize)(colon - def + 1)));
	peer_parse(colon + 1, &p->key, &p->as);
	p->id = rfm_rib_peer_get(fx->rib, &p->key, p->as);
	return p->id;
}

static guint32 fx_peer(struct fx *fx, const char *def)
{
	guint32 id = fx_peer_try(fx, def);

	g_assert_cmpuint(id, >, 0);
	return id;
}

static struct fx_peer *fx_find(struct fx *fx, const char *name)
{
	for (guint i = 0; i < fx->npeers; i++)
		if (!strcmp(fx->peers[i].name, name))
			return &fx->peers[i];
	g_error("no peer %s", name);
}

static guint32 fx_stats_routes_sweeping(struct fx *fx)
{
	struct rfm_rib_stats st;

	rfm_rib_get_stats(fx->rib, &st);
	return st.routes_sweeping;
}

/* Peer down of a named peer, and its coming back up. */
static void fx_down(struct fx *fx, const char *name)
{
	struct fx_peer *p = fx_find(fx, name);

	rfm_rib_peer_down(fx->rib, p->id);
	p->id = 0;
}

static guint32 fx_up_again(struct fx *fx, const char *name)
{
	struct fx_peer *p = fx_find(fx, name);

	p->id = rfm_rib_peer_get(fx->rib, &p->key, p->as);
	return p->id;
}

static const char *fx_name_of(const struct fx *fx, const struct rfm_rib_peer_key *key)
{
	for (guint i = 0; i < fx->npeers; i++)
		if (fx->peers[i].id && peer_key_same(&fx->peers[i].key, key))
			return fx->peers[i].name;
	return "?";
}

/*
 * Let the sweep free what dead peers left, through the RIB's idle source in
 * the default main context, as the agent's main loop runs it; returns the
 * number of steps it took.
 */
static guint fx_sweep(struct fx *fx)
{
	guint steps = 0;

	while (fx_stats_routes_sweeping(fx)) {
		g_assert_true(g_main_context_iteration(NULL, FALSE));
		g_assert_cmpuint(++steps, <, 100000);
	}
	/* The source goes once it finds nothing left. */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_false(g_main_context_pending(NULL));
	return steps;
}

static bool fx_announce(struct fx *fx, const char *peer, const char *spec)
{
	struct route r;

	route_parse(spec, &r);
	return rfm_rib_announce(fx->rib, fx_find(fx, peer)->id, r.version, r.prefix, r.plen,
				r.path_id, &r.a);
}

static bool fx_withdraw(struct fx *fx, const char *peer, const char *spec)
{
	struct route r;

	route_parse(spec, &r);
	return rfm_rib_withdraw(fx->rib, fx_find(fx, peer)->id, r.version, r.prefix, r.plen,
				r.path_id);
}

/* The lookup of addr as "/plen peer ASorigin" or "none". */
static char *fx_lookup(struct fx *fx, const char *addr, bool use_default)
{
	struct rfm_rib_match m;
	guint8 a[16];
	int version = parse_addr(addr, a);

	memset(&m, 0xa5, sizeof(m));
	if (!rfm_rib_lookup(fx->rib, version, a, use_default, &m))
		return g_strdup("none");
	return g_strdup_printf("/%u %s AS%u", m.plen, fx_name_of(fx, m.peer), m.attrs->origin_as);
}

static void check_lookup(struct fx *fx, const char *addr, bool use_default, const char *want)
{
	g_autofree char *got = fx_lookup(fx, addr, use_default);

	g_test_message("%s%s -> %s", addr, use_default ? " (default)" : "", got);
	g_assert_cmpstr(got, ==, want);
}

static struct rfm_rib_stats fx_stats(struct fx *fx)
{
	struct rfm_rib_stats st;

	rfm_rib_get_stats(fx->rib, &st);
	return st;
}

/* --- announce, withdraw, replace ------------------------------------------- */

static void test_announce_withdraw(void)
{
	struct fx fx;
	struct rfm_rib_stats st;
	struct rfm_rib_match m;
	guint8 a[16];

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	check_lookup(&fx, "203.0.113.9", true, "none");

	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500 local-pref 200"));
	check_lookup(&fx, "203.0.113.9", false, "/24 A AS64500");
	check_lookup(&fx, "203.0.114.9", false, "none");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.announced, ==, 1);
	g_assert_cmpuint(st.routes, ==, 1);
	g_assert_cmpuint(st.prefixes_v4, ==, 1);
	g_assert_cmpuint(st.prefixes_v6, ==, 0);
	g_assert_cmpuint(st.attr_sets, ==, 1);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "A")->id), ==, 1);

	/* What the match carries. */
	parse_addr("203.0.113.9", a);
	g_assert_true(rfm_rib_lookup(fx.rib, 4, a, false, &m));
	g_assert_cmpuint(m.peer_as, ==, 64500);
	g_assert_cmpuint(m.attrs->local_pref, ==, 200);
	g_assert_true(m.attrs->has_local_pref);
	g_assert_true(peer_key_same(m.peer, &fx_find(&fx, "A")->key));

	/* Implicit withdraw: the same (peer, prefix, path id) replaces the route. */
	g_assert_true(
		fx_announce(&fx, "A", "203.0.113.0/24 via AS64501 AS64502 next-hop 192.0.2.1"));
	check_lookup(&fx, "203.0.113.9", false, "/24 A AS64502");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.announced, ==, 2);
	g_assert_cmpuint(st.routes, ==, 1);
	g_assert_cmpuint(st.prefixes_v4, ==, 1);
	g_assert_cmpuint(st.attr_sets, ==, 1); /* the old set went with the old route */
	g_assert_cmpuint(st.withdrawn, ==, 0);
	g_assert_true(rfm_rib_lookup(fx.rib, 4, a, false, &m));
	g_assert_cmpuint(m.attrs->nh_version, ==, 4);
	g_assert_false(m.attrs->has_local_pref);
	g_assert_cmpuint(m.attrs->as_path_count, ==, 2);
	g_assert_cmpuint(m.attrs->as_path[0], ==, 64501);
	g_assert_cmpuint(m.attrs->first_as, ==, 64501);

	/* Same attributes again: still one route, one set. */
	g_assert_true(
		fx_announce(&fx, "A", "203.0.113.0/24 via AS64501 AS64502 next-hop 192.0.2.1"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 1);
	g_assert_cmpuint(st.attr_sets, ==, 1);

	/* Withdraw: gone; a second withdraw is unknown. */
	g_assert_true(fx_withdraw(&fx, "A", "203.0.113.0/24"));
	check_lookup(&fx, "203.0.113.9", true, "none");
	g_assert_false(fx_withdraw(&fx, "A", "203.0.113.0/24"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.withdrawn, ==, 1);
	g_assert_cmpuint(st.withdraw_unknown, ==, 1);
	g_assert_cmpuint(st.routes, ==, 0);
	g_assert_cmpuint(st.prefixes_v4, ==, 0);
	g_assert_cmpuint(st.attr_sets, ==, 0);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "A")->id), ==, 0);
	fx_fini(&fx);
}

/* Withdrawals that match nothing: each returns false, is counted, changes nothing. */
static void test_withdraw_unknown(void)
{
	static const char *const unknown[] = {
		"203.0.113.0/25",	    /* longer prefix */
		"203.0.112.0/23",	    /* shorter prefix covering it */
		"203.0.113.0/24 path-id 1", /* other path id */
		"2001:db8::/24",	    /* other family, same bytes */
		"198.51.100.0/24",	    /* never announced */
	};
	struct fx fx;
	struct rfm_rib_stats st;

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-in-post 192.0.2.2 AS64501");
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500"));
	for (gsize i = 0; i < G_N_ELEMENTS(unknown); i++) {
		g_test_message("withdraw %s", unknown[i]);
		g_assert_false(fx_withdraw(&fx, "A", unknown[i]));
	}
	/* Another peer's route. */
	g_assert_false(fx_withdraw(&fx, "B", "203.0.113.0/24"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.withdraw_unknown, ==, G_N_ELEMENTS(unknown) + 1);
	g_assert_cmpuint(st.withdrawn, ==, 0);
	g_assert_cmpuint(st.routes, ==, 1);
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64500");
	fx_fini(&fx);
}

/* Bad arguments: refused, nothing changes. */
static void test_bad_arguments(void)
{
	struct fx fx;
	struct route r;
	struct rfm_rib_stats st;
	guint32 a;

	fx_init(&fx, NULL);
	a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	route_parse("203.0.113.0/24 via AS64500", &r);
	g_assert_false(rfm_rib_announce(fx.rib, 0, 4, r.prefix, 24, 0, &r.a));
	g_assert_false(rfm_rib_announce(fx.rib, a + 1, 4, r.prefix, 24, 0, &r.a));
	g_assert_false(rfm_rib_announce(fx.rib, a, 4, r.prefix, 33, 0, &r.a));
	g_assert_false(rfm_rib_announce(fx.rib, a, 6, r.prefix, 129, 0, &r.a));
	g_assert_false(rfm_rib_withdraw(fx.rib, 0, 4, r.prefix, 24, 0));
	g_assert_false(rfm_rib_withdraw(fx.rib, a, 4, r.prefix, 33, 0));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 0);
	g_assert_cmpuint(st.announced, ==, 0);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, 0), ==, 0);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, a + 7), ==, 0);
	/* A peer down of an unknown id is ignored. */
	rfm_rib_peer_down(fx.rib, 0);
	rfm_rib_peer_down(fx.rib, a + 7);
	g_assert_cmpuint(fx_stats(&fx).peers, ==, 1);
	fx_fini(&fx);
	rfm_rib_free(NULL);
}

/* --- longest match, default route, families -------------------------------- */

static void test_longest_match(void)
{
	static const char *const routes[] = {
		"0.0.0.0/0 via AS64496",
		"128.0.0.0/1 via AS64497",
		"198.51.100.0/22 via AS64498",
		"198.51.100.0/24 via AS64499",
		"198.51.100.128/25 via AS64500",
		"198.51.100.77/32 via AS64501",
		"::/0 via AS64510",
		"2001:db8::/32 via AS64511",
		"2001:db8:1::/48 via AS64512",
		"2001:db8:1::1/128 via AS64513",
		"8000::/1 via AS64514",
	};
	static const struct {
		const char *addr;
		bool use_default;
		const char *want;
	} cases[] = {
		{"198.51.100.200", false, "/25 A AS64500"},
		{"198.51.100.200", true, "/25 A AS64500"},
		{"198.51.100.128", false, "/25 A AS64500"},
		{"198.51.100.127", false, "/24 A AS64499"},
		{"198.51.100.77", false, "/32 A AS64501"},
		{"198.51.100.78", false, "/24 A AS64499"},
		{"198.51.101.1", false, "/22 A AS64498"},
		{"198.51.103.255", false, "/22 A AS64498"},
		{"198.51.104.1", false, "/1 A AS64497"},
		{"255.255.255.255", false, "/1 A AS64497"},
		{"10.1.2.3", false, "none"},
		{"10.1.2.3", true, "/0 A AS64496"},
		{"127.255.255.255", true, "/0 A AS64496"},
		{"2001:db8:1::1", false, "/128 A AS64513"},
		{"2001:db8:1::2", false, "/48 A AS64512"},
		{"2001:db8:2::1", false, "/32 A AS64511"},
		{"2001:db9::1", false, "none"},
		{"2001:db9::1", true, "/0 A AS64510"},
		{"fe80::1", false, "/1 A AS64514"},
		/* Families are apart: an IPv4 route never answers an IPv6 address. */
		{"::c633:64c8", false, "none"},
		{"::ffff:198.51.100.200", true, "/0 A AS64510"},
	};
	struct fx fx;

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 loc-rib 0.0.0.0 AS64496");
	for (gsize i = 0; i < G_N_ELEMENTS(routes); i++)
		g_assert_true(fx_announce(&fx, "A", routes[i]));
	g_assert_cmpuint(fx_stats(&fx).prefixes_v4, ==, 6);
	g_assert_cmpuint(fx_stats(&fx).prefixes_v6, ==, 5);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		check_lookup(&fx, cases[i].addr, cases[i].use_default, cases[i].want);

	/* Taking routes away uncovers the shorter ones. */
	g_assert_true(fx_withdraw(&fx, "A", "198.51.100.128/25"));
	check_lookup(&fx, "198.51.100.200", false, "/24 A AS64499");
	g_assert_true(fx_withdraw(&fx, "A", "198.51.100.0/24"));
	check_lookup(&fx, "198.51.100.200", false, "/22 A AS64498");
	check_lookup(&fx, "198.51.100.77", false, "/32 A AS64501");
	g_assert_true(fx_withdraw(&fx, "A", "0.0.0.0/0"));
	check_lookup(&fx, "10.1.2.3", true, "none");
	check_lookup(&fx, "198.51.100.1", true, "/22 A AS64498");
	g_assert_true(fx_withdraw(&fx, "A", "::/0"));
	check_lookup(&fx, "2001:db9::1", true, "none");
	g_assert_cmpuint(fx_stats(&fx).prefixes_v4, ==, 3);
	g_assert_cmpuint(fx_stats(&fx).prefixes_v6, ==, 4);
	fx_fini(&fx);
}

static void last_prefix(const struct rfm_rib_route *r, void *ud)
{
	char *out = ud;

	inet_ntop(r->version == 4 ? AF_INET : AF_INET6, r->prefix, out, INET6_ADDRSTRLEN);
	g_assert_true(r->version == 6 || !memcmp(r->prefix + 4, (guint8[12]){0}, 12));
	snprintf(out + strlen(out), 8, "/%u", r->plen);
}

/* Bits beyond the length are not part of the prefix. */
static void test_host_bits(void)
{
	char shown[INET6_ADDRSTRLEN + 8];

	struct fx fx;
	struct rfm_rib_stats st;

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	g_assert_true(fx_announce(&fx, "A", "198.51.100.7/24 via AS64500"));
	check_lookup(&fx, "198.51.100.200", false, "/24 A AS64500");
	rfm_rib_foreach_route(fx.rib, last_prefix, shown);
	g_assert_cmpstr(shown, ==, "198.51.100.0/24");
	/* 198.51.100.0/24 is the same route: replaced, not added. */
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS64501"));
	g_assert_true(fx_announce(&fx, "A", "198.51.100.255/24 via AS64502"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 1);
	g_assert_cmpuint(st.prefixes_v4, ==, 1);
	check_lookup(&fx, "198.51.100.1", false, "/24 A AS64502");
	g_assert_true(fx_announce(&fx, "A", "2001:db8:1:2:3::7/48 via AS64510"));
	g_assert_true(fx_announce(&fx, "A", "2001:db8:1:ffff::/48 via AS64511"));
	g_assert_cmpuint(fx_stats(&fx).prefixes_v6, ==, 1);
	check_lookup(&fx, "2001:db8:1::1", false, "/48 A AS64511");
	g_assert_true(fx_withdraw(&fx, "A", "198.51.100.0/24"));
	rfm_rib_foreach_route(fx.rib, last_prefix, shown);
	g_assert_cmpstr(shown, ==, "2001:db8:1::/48");
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS64502"));
	/* Withdrawn under yet another spelling. */
	g_assert_true(fx_withdraw(&fx, "A", "198.51.100.99/24"));
	g_assert_true(fx_withdraw(&fx, "A", "2001:db8:1::/48"));
	g_assert_cmpuint(fx_stats(&fx).routes, ==, 0);
	/* A /0 with every bit set is the default route. */
	g_assert_true(fx_announce(&fx, "A", "255.255.255.255/0 via AS64503"));
	check_lookup(&fx, "10.0.0.1", true, "/0 A AS64503");
	g_assert_true(fx_withdraw(&fx, "A", "0.0.0.0/0"));
	g_assert_cmpuint(fx_stats(&fx).routes, ==, 0);
	fx_fini(&fx);
}

/* --- selection ------------------------------------------------------------- */

/* The peers every selection case may use. */
static const char *const sel_peers[] = {
	"loc: session 1 loc-rib 0.0.0.0 AS64496",
	"post1: session 1 adj-rib-in-post 192.0.2.1 AS64500",
	"post2: session 1 adj-rib-in-post 192.0.2.2 AS64501",
	"post10: session 1 adj-rib-in-post 192.0.2.10 AS64502",
	"low: session 1 adj-rib-in-post 10.0.0.1 AS64503",
	"pre1: session 1 adj-rib-in-pre 192.0.2.1 AS64500",
	"pre2: session 1 adj-rib-in-pre 192.0.2.2 AS64501",
	"v6a: session 1 adj-rib-in-post 2001:db8::1 AS64504",
	"v6b: session 1 adj-rib-in-post 2001:db8::2 AS64505",
	"v6c: session 1 adj-rib-in-post 2001:db8::1:0 AS64506",
};

/*
 * A selection case: routes for one prefix, most preferred first ("peer
 * route"). Whatever the order of announcements and withdrawals, the
 * selected route must be the first of those present.
 */
struct sel_case {
	const char *name;
	const char *routes[12];
};

static const struct sel_case sel_cases[] = {
	{"Loc-RIB beats Adj-RIB-In whatever the attributes",
	 {"loc 203.0.113.0/24 via AS1 AS2 AS3 AS4 local-pref 50 origin incomplete med 99",
	  "post1 203.0.113.0/24 via AS64500 local-pref 300"}},
	{"post-policy beats pre-policy whatever the attributes",
	 {"post2 203.0.113.0/24 via AS1 AS2 AS3 AS4 local-pref 50 origin incomplete med 99",
	  "pre1 203.0.113.0/24 via AS64500 local-pref 300"}},
	{"views: Loc-RIB, post-policy, pre-policy",
	 {"loc 203.0.113.0/24 via AS1 AS2 AS3 local-pref 10",
	  "post2 203.0.113.0/24 via AS1 AS2 local-pref 20",
	  "pre1 203.0.113.0/24 via AS1 local-pref 30"}},
	{"highest LOCAL_PREF",
	 {"post2 203.0.113.0/24 via AS1 AS2 AS3 AS4 local-pref 4294967295 origin incomplete",
	  "post10 203.0.113.0/24 via AS1 AS2 AS3 local-pref 300 med 7",
	  "post1 203.0.113.0/24 via AS1 local-pref 200",
	  "low 203.0.113.0/24 via AS1 local-pref 0"}},
	{"absent LOCAL_PREF counts as 100",
	 {"post1 203.0.113.0/24 via AS1 AS2 AS3 local-pref 101 path-id 5",
	  "post1 203.0.113.0/24 via AS1 path-id 4",
	  "post1 203.0.113.0/24 via AS1 AS2 local-pref 100 path-id 3",
	  "post1 203.0.113.0/24 via AS1 AS2 AS3 path-id 2",
	  "post1 203.0.113.0/24 via AS1 local-pref 99 path-id 1"}},
	{"shortest AS_PATH; an AS_SET counts one",
	 {"post2 203.0.113.0/24 via AS1 origin incomplete med 9",
	  "post10 203.0.113.0/24 via AS1 {AS2,AS3,AS4,AS5} origin egp",
	  "post1 203.0.113.0/24 via AS1 AS2 AS3",
	  "low 203.0.113.0/24 via AS1 AS2 AS3 AS4 AS5 AS6 AS7 AS8"}},
	{"lowest ORIGIN: IGP, EGP, INCOMPLETE",
	 {"post10 203.0.113.0/24 via AS1 AS2 origin igp med 9",
	  "post2 203.0.113.0/24 via AS1 AS2 origin egp med 5",
	  "post1 203.0.113.0/24 via AS1 AS2 origin incomplete"}},
	{"lowest MED; absent MED counts as 0",
	 {"post1 203.0.113.0/24 via AS1 med 0 path-id 1", "post1 203.0.113.0/24 via AS1 path-id 2",
	  "post1 203.0.113.0/24 via AS1 med 1 path-id 3",
	  "post1 203.0.113.0/24 via AS1 med 4294967295 path-id 4"}},
	{"MED is compared across neighbour ASes too (simplified decision)",
	 {"post2 203.0.113.0/24 via AS64501 med 10", "post1 203.0.113.0/24 via AS64500 med 20"}},
	{"lowest peer address, IPv4 peers",
	 {"low 203.0.113.0/24 via AS1", "post1 203.0.113.0/24 via AS1",
	  "post2 203.0.113.0/24 via AS1", "post10 203.0.113.0/24 via AS1"}},
	{"lowest peer address, IPv6 peers (2001:db8::2 before 2001:db8::1:0)",
	 {"v6a 2001:db8:f00::/40 via AS1", "v6b 2001:db8:f00::/40 via AS1",
	  "v6c 2001:db8:f00::/40 via AS1"}},
	{"lowest path id (add-path)",
	 {"post1 203.0.113.0/24 via AS1 path-id 0", "post1 203.0.113.0/24 via AS1 path-id 1",
	  "post1 203.0.113.0/24 via AS1 path-id 7", "post1 203.0.113.0/24 via AS1 path-id 300",
	  "post1 203.0.113.0/24 via AS1 path-id 4294967295"}},
	{"criteria in order: view, LOCAL_PREF, length, ORIGIN, MED, address, path id",
	 {"loc 203.0.113.0/24 via AS1 AS2 AS3 AS4 AS5 local-pref 50 origin incomplete med 99 "
	  "path-id 9",
	  "post2 203.0.113.0/24 via AS1 AS2 AS3 local-pref 200 origin incomplete med 50 path-id 9",
	  "post2 203.0.113.0/24 via AS1 local-pref 100 origin incomplete med 50 path-id 8",
	  "post2 203.0.113.0/24 via AS1 AS2 origin igp med 50 path-id 7",
	  "post2 203.0.113.0/24 via AS1 AS2 origin egp med 0 path-id 6",
	  "post1 203.0.113.0/24 via AS1 AS2 origin egp med 10 path-id 5",
	  "post2 203.0.113.0/24 via AS1 AS2 origin egp med 10 path-id 4",
	  "post2 203.0.113.0/24 via AS1 AS2 origin egp med 10 path-id 5",
	  "pre1 203.0.113.0/24 via AS1 local-pref 500 path-id 0",
	  "pre2 203.0.113.0/24 via AS1 AS2 AS3 local-pref 400 path-id 0"}},
	{"the default route is selected like any other",
	 {"post1 0.0.0.0/0 via AS1 local-pref 200", "post2 0.0.0.0/0 via AS1 local-pref 100"}},
};

struct selected_seen {
	guint n;     /* selected routes seen */
	guint tag;   /* route index of the last one (from its tag community) */
	guint total; /* routes seen */
	guint out_selected;
};

static guint route_tag(const struct rfm_rib_attrs *a)
{
	g_assert_cmpuint(a->community_count, >, 0);
	g_assert_cmpuint(a->communities[a->community_count - 1] >> 16, ==, TAG_HI);
	return a->communities[a->community_count - 1] & 0xffff;
}

static void collect_selected(const struct rfm_rib_route *r, void *ud)
{
	struct selected_seen *s = ud;

	s->total++;
	if (r->peer->view == RFM_VIEW_OUT_POST || r->peer->view == RFM_VIEW_OUT_PRE) {
		s->out_selected += r->selected;
		return;
	}
	if (r->selected) {
		s->n++;
		s->tag = route_tag(r->attrs);
	}
}

/* Check that route `want` (or none: -1) is selected for the prefix of case c. */
static void sel_check(struct fx *fx, const struct sel_case *c, const struct route *r0, int want,
		      guint present, const char *when)
{
	struct rfm_rib_match m;
	struct selected_seen seen = {0};
	bool found = rfm_rib_lookup(fx->rib, r0->version, r0->prefix, true, &m);
	int got = found ? (int)route_tag(m.attrs) : -1;

	if (got != want) {
		g_printerr("%s: %s: selected %s%s, want %s\n", c->name, when,
			   got >= 0 ? "" : "none", got >= 0 ? c->routes[got] : "",
			   want >= 0 ? c->routes[want] : "none");
		g_assert_cmpint(got, ==, want);
	}
	if (found) {
		g_autofree char *peer = g_strndup(c->routes[want], strcspn(c->routes[want], " "));

		g_assert_cmpuint(m.plen, ==, r0->plen);
		g_assert_cmpstr(fx_name_of(fx, m.peer), ==, peer);
	}
	rfm_rib_foreach_route(fx->rib, collect_selected, &seen);
	g_assert_cmpuint(seen.total, ==, present);
	g_assert_cmpuint(seen.n, ==, want >= 0);
	if (want >= 0)
		g_assert_cmpint(seen.tag, ==, want);
	g_assert_cmpuint(seen.out_selected, ==, 0);
}

/* Announce route i of case c with its tag community appended. */
static void sel_announce(struct fx *fx, const struct sel_case *c, guint i)
{
	const char *line = c->routes[i];
	const char *sp = strchr(line, ' ');
	g_autofree char *peer = g_strndup(line, sp - line);
	g_autofree char *spec = g_strdup_printf("%s community %u:%u", sp + 1, TAG_HI, i);

	g_assert_true(fx_announce(fx, peer, spec));
}

static void sel_withdraw(struct fx *fx, const struct sel_case *c, guint i)
{
	const char *line = c->routes[i];
	const char *sp = strchr(line, ' ');
	g_autofree char *peer = g_strndup(line, sp - line);

	g_assert_true(fx_withdraw(fx, peer, sp + 1));
}

static void shuffle(GRand *rand, guint *v, guint n)
{
	for (guint i = n; i > 1; i--) {
		guint j = (guint)g_rand_int_range(rand, 0, (gint32)i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void sel_run(const struct sel_case *c, const guint *order, guint n, GRand *rand)
{
	struct fx fx;
	struct route r0;
	guint wd[12];
	bool present[12] = {false};
	guint count = 0;

	route_parse(strchr(c->routes[0], ' ') + 1, &r0);
	fx_init(&fx, NULL);
	for (gsize i = 0; i < G_N_ELEMENTS(sel_peers); i++)
		fx_peer(&fx, sel_peers[i]);
	for (guint k = 0; k < n; k++) {
		g_autofree char *when = g_strdup_printf("after announcing route %u", order[k]);
		int want = -1;

		sel_announce(&fx, c, order[k]);
		present[order[k]] = true;
		count++;
		for (guint i = 0; i < n && want < 0; i++)
			if (present[i])
				want = (int)i;
		sel_check(&fx, c, &r0, want, count, when);
	}
	g_assert_cmpuint(fx_stats(&fx).routes, ==, n);
	g_assert_cmpuint(fx_stats(&fx).prefixes_v4 + fx_stats(&fx).prefixes_v6, ==, 1);
	for (guint i = 0; i < n; i++)
		wd[i] = i;
	shuffle(rand, wd, n);
	for (guint k = 0; k < n; k++) {
		g_autofree char *when = g_strdup_printf("after withdrawing route %u", wd[k]);
		int want = -1;

		sel_withdraw(&fx, c, wd[k]);
		present[wd[k]] = false;
		count--;
		for (guint i = 0; i < n && want < 0; i++)
			if (present[i])
				want = (int)i;
		sel_check(&fx, c, &r0, want, count, when);
	}
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 0);
	fx_fini(&fx);
}

static void test_selection(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(g_test_rand_int());

	for (gsize ci = 0; ci < G_N_ELEMENTS(sel_cases); ci++) {
		const struct sel_case *c = &sel_cases[ci];
		guint n = 0, order[12];

		while (n < G_N_ELEMENTS(c->routes) && c->routes[n])
			n++;
		g_test_message("%s (%u routes)", c->name, n);
		/* Best first, best last, then random orders. */
		for (guint i = 0; i < n; i++)
			order[i] = i;
		sel_run(c, order, n, rand);
		for (guint i = 0; i < n; i++)
			order[i] = n - 1 - i;
		sel_run(c, order, n, rand);
		for (guint k = 0; k < SEL_SHUFFLE; k++) {
			shuffle(rand, order, n);
			sel_run(c, order, n, rand);
		}
	}
}

/* --- Adj-RIB-Out ------------------------------------------------------------ */

struct out_seen {
	guint out, in, out_selected;
};

static void count_out(const struct rfm_rib_route *r, void *ud)
{
	struct out_seen *s = ud;
	bool out = r->peer->view == RFM_VIEW_OUT_POST || r->peer->view == RFM_VIEW_OUT_PRE;

	if (out) {
		s->out++;
		s->out_selected += r->selected;
	} else {
		s->in++;
	}
}

static void count_in(const struct rfm_rib_route *r, void *ud)
{
	count_out(r, ud);
}

static void test_adj_rib_out(void)
{
	struct fx fx;
	struct rfm_rib_stats st;
	struct out_seen seen = {0};

	fx_init(&fx, NULL);
	fx_peer(&fx, "out: session 1 adj-rib-out-post 192.0.2.1 AS64500");
	fx_peer(&fx, "outpre: session 1 adj-rib-out-pre 192.0.2.1 AS64500");
	fx_peer(&fx, "pre: session 1 adj-rib-in-pre 192.0.2.9 AS64509");

	/* A prefix only in Adj-RIB-Out gives no match, even with the default route. */
	g_assert_true(fx_announce(&fx, "out", "203.0.113.0/24 via AS64500 local-pref 1000"));
	g_assert_true(fx_announce(&fx, "outpre", "203.0.113.0/24 via AS64500 local-pref 1000"));
	g_assert_true(fx_announce(&fx, "out", "0.0.0.0/0 via AS64500"));
	g_assert_true(fx_announce(&fx, "out", "2001:db8::/32 via AS64500"));
	check_lookup(&fx, "203.0.113.9", true, "none");
	check_lookup(&fx, "10.0.0.1", true, "none");
	check_lookup(&fx, "2001:db8::1", true, "none");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 4); /* routes of all views */
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "out")->id), ==, 3);

	/* An Adj-RIB-In route of a shorter prefix is not shadowed by the Adj-RIB-Out one. */
	g_assert_true(fx_announce(&fx, "pre", "203.0.0.0/16 via AS64509 local-pref 1"));
	check_lookup(&fx, "203.0.113.9", false, "/16 pre AS64509");
	/* The same prefix in Adj-RIB-In matches, worse attributes and all. */
	g_assert_true(fx_announce(&fx, "pre", "203.0.113.0/24 via AS1 AS2 AS64509 local-pref 1"));
	check_lookup(&fx, "203.0.113.9", false, "/24 pre AS64509");
	rfm_rib_foreach_route(fx.rib, count_out, &seen);
	g_assert_cmpuint(seen.out, ==, 4);
	g_assert_cmpuint(seen.in, ==, 2);
	g_assert_cmpuint(seen.out_selected, ==, 0);

	/* Withdrawals reach the right table. */
	g_assert_false(fx_withdraw(&fx, "out", "203.0.0.0/16"));
	g_assert_true(fx_withdraw(&fx, "pre", "203.0.113.0/24"));
	check_lookup(&fx, "203.0.113.9", false, "/16 pre AS64509");
	g_assert_true(fx_withdraw(&fx, "out", "203.0.113.0/24"));
	g_assert_true(fx_announce(&fx, "pre", "203.0.113.0/24 via AS64509"));
	check_lookup(&fx, "203.0.113.9", false, "/24 pre AS64509");
	g_assert_false(fx_withdraw(&fx, "out", "203.0.113.0/24"));
	check_lookup(&fx, "203.0.113.9", false, "/24 pre AS64509");

	/* Peer down of the Adj-RIB-Out peers leaves the Adj-RIB-In routes. */
	fx_down(&fx, "out");
	fx_down(&fx, "outpre");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 2);
	g_assert_cmpuint(st.peers, ==, 1);
	check_lookup(&fx, "203.0.113.9", false, "/24 pre AS64509");
	fx_fini(&fx);
}

/* --- add-path, peers, sessions, limits -------------------------------------- */

static void test_add_path(void)
{
	struct fx fx;
	struct rfm_rib_stats st;

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500 AS64510 path-id 1"));
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500 AS64511 path-id 2"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 2);
	g_assert_cmpuint(st.prefixes_v4, ==, 1);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "A")->id), ==, 2);
	/* Equal but for the path id: the lower one. */
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64510");
	/* Path 2 gets better: selected. Replacing path 2 leaves path 1 alone. */
	g_assert_true(fx_announce(&fx, "A",
				  "203.0.113.0/24 via AS64500 AS64511 local-pref 200 path-id 2"));
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64511");
	g_assert_cmpuint(fx_stats(&fx).routes, ==, 2);
	/* Withdrawing path 2 falls back to path 1. */
	g_assert_true(fx_withdraw(&fx, "A", "203.0.113.0/24 path-id 2"));
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64510");
	g_assert_false(fx_withdraw(&fx, "A", "203.0.113.0/24 path-id 2"));
	g_assert_true(fx_withdraw(&fx, "A", "203.0.113.0/24 path-id 1"));
	check_lookup(&fx, "203.0.113.1", false, "none");
	fx_fini(&fx);
}

static void test_peers(void)
{
	struct fx fx;
	struct rfm_rib_peer_key k;
	guint32 as, a, id;

	fx_init(&fx, NULL);
	a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	/* The same key gives the same id, and updates the peer AS. */
	peer_parse("session 1 adj-rib-in-post 192.0.2.1 AS64500", &k, &as);
	g_assert_cmpuint(rfm_rib_peer_get(fx.rib, &k, 64599), ==, a);
	g_assert_cmpuint(rfm_rib_peer_find(fx.rib, &k), ==, a);
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64599"));
	{
		struct rfm_rib_match m;
		guint8 addr[16];

		parse_addr("203.0.113.1", addr);
		g_assert_true(rfm_rib_lookup(fx.rib, 4, addr, false, &m));
		g_assert_cmpuint(m.peer_as, ==, 64599);
	}
	/* Any part of the key makes another peer. */
	{
		static const char *const others[] = {
			"B: session 2 adj-rib-in-post 192.0.2.1 AS64500",
			"C: session 1 adj-rib-in-pre 192.0.2.1 AS64500",
			"D: session 1 adj-rib-in-post 192.0.2.2 AS64500",
			"E: session 1 adj-rib-in-post 192.0.2.1 AS64500 rd 7",
			"F: session 1 adj-rib-in-post 192.0.2.1 AS64500 type 1",
			"G: session 1 adj-rib-in-post ::c000:201 AS64500",
		};

		for (gsize i = 0; i < G_N_ELEMENTS(others); i++) {
			id = fx_peer(&fx, others[i]);
			g_assert_cmpuint(id, !=, a);
			for (gsize j = 0; j < i; j++)
				g_assert_cmpuint(id, !=, fx.peers[1 + j].id);
		}
	}
	g_assert_cmpuint(fx_stats(&fx).peers, ==, 7);
	/* Unknown key. */
	peer_parse("session 9 adj-rib-in-post 192.0.2.1", &k, &as);
	g_assert_cmpuint(rfm_rib_peer_find(fx.rib, &k), ==, 0);
	/* A view out of range is refused. */
	k.view = RFM_VIEW_MAX;
	g_assert_cmpuint(rfm_rib_peer_get(fx.rib, &k, 1), ==, 0);
	g_assert_cmpuint(fx_stats(&fx).peers, ==, 7);
	g_assert_cmpstr(rfm_rib_view_name(RFM_VIEW_MAX), ==, "?");
	fx_fini(&fx);
}

struct peer_seen {
	guint n;
	guint32 routes;
	guint32 as_sum;
};

static void count_peer(guint32 peer_id, const struct rfm_rib_peer_key *key, guint32 peer_as,
		       guint32 routes, void *ud)
{
	struct peer_seen *s = ud;

	g_assert_cmpuint(peer_id, >, 0);
	g_assert_nonnull(key);
	s->n++;
	s->routes += routes;
	s->as_sum += peer_as - 64500;
}

static void test_peer_down(void)
{
	struct fx fx;
	struct rfm_rib_stats st;
	struct rfm_rib_peer_key k;
	struct peer_seen seen = {0};
	guint32 as, a;

	fx_init(&fx, NULL);
	a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-in-post 192.0.2.2 AS64501");
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500 local-pref 200"));
	g_assert_true(fx_announce(&fx, "B", "203.0.113.0/24 via AS64501"));
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS64500 community 1:1"));
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS64500 path-id 2"));
	g_assert_true(fx_announce(&fx, "A", "2001:db8::/32 via AS64500"));
	g_assert_true(fx_announce(&fx, "B", "192.0.2.0/24 via AS64501"));
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64500");
	rfm_rib_foreach_peer(fx.rib, count_peer, &seen);
	g_assert_cmpuint(seen.n, ==, 2);
	g_assert_cmpuint(seen.routes, ==, 6);
	g_assert_cmpuint(seen.as_sum, ==, 1);

	fx_down(&fx, "A");
	/* At once, before any sweep: selection falls back to B; A's other routes are gone. */
	check_lookup(&fx, "203.0.113.1", false, "/24 B AS64501");
	check_lookup(&fx, "198.51.100.1", true, "none");
	check_lookup(&fx, "2001:db8::1", true, "none");
	check_lookup(&fx, "192.0.2.1", false, "/24 B AS64501");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 2);
	g_assert_cmpuint(st.routes_sweeping, ==, 4);
	g_assert_cmpuint(st.peers, ==, 1);
	g_assert_cmpuint(st.withdrawn, ==, 0); /* a peer down is not a withdrawal */
	/* The memory of A's routes goes with the sweep. */
	g_assert_cmpuint(fx_sweep(&fx), >=, 1);
	check_lookup(&fx, "203.0.113.1", false, "/24 B AS64501");
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 2);
	g_assert_cmpuint(st.routes_sweeping, ==, 0);
	g_assert_cmpuint(st.prefixes_v4, ==, 2);
	g_assert_cmpuint(st.prefixes_v6, ==, 0);
	g_assert_cmpuint(st.attr_sets, ==, 1); /* B's two routes share theirs */
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, a), ==, 0);
	peer_parse("session 1 adj-rib-in-post 192.0.2.1", &k, &as);
	g_assert_cmpuint(rfm_rib_peer_find(fx.rib, &k), ==, 0);
	/* Announcing with the stale id is refused. */
	g_assert_false(rfm_rib_announce(fx.rib, a, 4, k.addr, 24, 0,
					&(struct rfm_rib_attrs){.origin_as = 1}));
	memset(&seen, 0, sizeof(seen));
	rfm_rib_foreach_peer(fx.rib, count_peer, &seen);
	g_assert_cmpuint(seen.n, ==, 1);
	g_assert_cmpuint(seen.routes, ==, 2);

	/* The peer comes back empty. */
	g_assert_cmpuint(fx_up_again(&fx, "A"), >, 0);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "A")->id), ==, 0);
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS64500 local-pref 200"));
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64500");
	/* Down of the remaining selected peer: back to B. */
	fx_down(&fx, "A");
	check_lookup(&fx, "203.0.113.1", false, "/24 B AS64501");
	fx_fini(&fx);
}

static void test_session_down(void)
{
	struct fx fx;
	struct rfm_rib_stats st;

	fx_init(&fx, NULL);
	fx_peer(&fx, "loc1: session 1 loc-rib 0.0.0.0 AS64496");
	fx_peer(&fx, "in1: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "out1: session 1 adj-rib-out-pre 192.0.2.1 AS64500");
	fx_peer(&fx, "in2: session 2 adj-rib-in-pre 192.0.2.1 AS64500");
	fx_peer(&fx, "loc3: session 3 loc-rib 0.0.0.0 AS64497");
	g_assert_true(fx_announce(&fx, "loc1", "203.0.113.0/24 via AS1"));
	g_assert_true(fx_announce(&fx, "in1", "203.0.113.0/24 via AS2"));
	g_assert_true(fx_announce(&fx, "out1", "203.0.113.0/24 via AS3"));
	g_assert_true(fx_announce(&fx, "in2", "203.0.113.0/24 via AS4"));
	g_assert_true(fx_announce(&fx, "in1", "198.51.100.0/24 via AS2"));
	g_assert_true(fx_announce(&fx, "loc3", "2001:db8::/32 via AS5"));
	check_lookup(&fx, "203.0.113.1", false, "/24 loc1 AS1");

	rfm_rib_session_down(fx.rib, 1);
	st = fx_stats(&fx);
	g_assert_cmpuint(st.peers, ==, 2);
	g_assert_cmpuint(st.routes, ==, 2);
	check_lookup(&fx, "203.0.113.1", false, "/24 in2 AS4");
	check_lookup(&fx, "198.51.100.1", false, "none");
	check_lookup(&fx, "2001:db8::1", false, "/32 loc3 AS5");
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "in2")->id), ==, 1);
	/* An unknown session changes nothing. */
	rfm_rib_session_down(fx.rib, 9);
	g_assert_cmpuint(fx_stats(&fx).peers, ==, 2);
	rfm_rib_session_down(fx.rib, 2);
	rfm_rib_session_down(fx.rib, 3);
	st = fx_stats(&fx);
	g_assert_cmpuint(st.peers, ==, 0);
	g_assert_cmpuint(st.routes, ==, 0);
	check_lookup(&fx, "203.0.113.1", true, "none");
	check_lookup(&fx, "2001:db8::1", true, "none");
	fx_sweep(&fx);
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes_sweeping, ==, 0);
	g_assert_cmpuint(st.prefixes_v4 + st.prefixes_v6, ==, 0);
	g_assert_cmpuint(st.attr_sets, ==, 0);
	fx_fini(&fx);
}

/* A /24 of 10.0.0.0/8 from its index (0..65535), as "10.X.Y.0/24". */
static char *net24(guint i)
{
	return g_strdup_printf("10.%u.%u.0/24", i / 256, i % 256);
}

/*
 * A peer with a table of thousands of routes goes down: its routes are
 * invisible at once, before any sweep; the peer comes back up while the
 * sweep goes on; the sweep frees the old routes in steps of at most
 * sweep_prefixes prefixes from the main loop, and the new ones stay.
 */
static void test_peer_down_sweep(void)
{
	enum { N = 6000, SHARED = 500, AGAIN = 300, STEP = 1024 };
	struct rfm_rib_options o = unlimited;
	struct fx fx;
	struct rfm_rib_stats st;
	guint32 old_a, new_a, steps = 0, before;
	gsize mem0;

	o.sweep_prefixes = STEP;
	fx_init(&fx, &o);
	mem0 = rfm_rib_memory(fx.rib);
	old_a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 2 adj-rib-in-post 192.0.2.2 AS64501");
	g_assert_true(fx_announce(&fx, "B", "10.0.0.0/8 via AS64501 AS64510"));
	g_assert_true(fx_announce(&fx, "B", "2001:db8::/32 via AS64501 AS64510"));
	for (guint i = 0; i < N; i++) {
		g_autofree char *p = net24(i);
		g_autofree char *spec =
			g_strdup_printf("%s via AS64500 AS%u local-pref 200", p, 65000 + i % 100);

		g_assert_true(fx_announce(&fx, "A", spec));
		if (i < SHARED) { /* B has these too, less preferred */
			g_autofree char *b = g_strdup_printf("%s via AS64501 AS64520", p);

			g_assert_true(fx_announce(&fx, "B", b));
		}
	}
	g_assert_true(fx_announce(&fx, "A", "2001:db8:1::/48 via AS64500 AS64530"));
	check_lookup(&fx, "10.0.1.1", false, "/24 A AS65001");
	check_lookup(&fx, "10.23.111.1", false, "/24 A AS65099"); /* 5999 */

	fx_down(&fx, "A");
	/* At once: no route of A anywhere; B's where it has one. */
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes_sweeping, ==, N + 1);
	g_assert_cmpuint(st.routes, ==, 2 + SHARED);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, old_a), ==, 0);
	check_lookup(&fx, "10.0.1.1", false, "/24 B AS64520");
	check_lookup(&fx, "10.23.111.1", false, "/8 B AS64510");
	check_lookup(&fx, "2001:db8:1::1", false, "/32 B AS64510");
	{
		struct out_seen seen = {0};

		rfm_rib_foreach_route(fx.rib, count_in, &seen);
		g_assert_cmpuint(seen.in, ==, 2 + SHARED);
	}

	/* A comes back before the sweep is done: another id, the old one is not free yet. */
	new_a = fx_up_again(&fx, "A");
	g_assert_cmpuint(new_a, >, 0);
	g_assert_cmpuint(new_a, !=, old_a);
	for (guint i = 0; i < AGAIN; i++) {
		g_autofree char *p = net24(2 * i);
		g_autofree char *spec = g_strdup_printf("%s via AS64500 AS64999", p);

		g_assert_true(fx_announce(&fx, "A", spec));
	}
	check_lookup(&fx, "10.0.0.1", false, "/24 A AS64999");
	check_lookup(&fx, "10.0.1.1", false, "/24 B AS64520");
	check_lookup(&fx, "10.2.86.1", false, "/24 A AS64999"); /* 598 */
	check_lookup(&fx, "10.2.89.1", false, "/8 B AS64510");
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, new_a), ==, AGAIN);
	/* Announcing over a dead route frees it there and then. */
	g_assert_cmpuint(fx_stats(&fx).routes_sweeping, <=, N + 1 - AGAIN);

	/* The sweep, from the main loop, step by step; lookups stay right meanwhile. */
	while ((before = fx_stats(&fx).routes_sweeping)) {
		g_assert_true(g_main_context_iteration(NULL, FALSE));
		g_assert_cmpuint(before - fx_stats(&fx).routes_sweeping, <=, STEP);
		steps++;
		check_lookup(&fx, "10.0.0.1", false, "/24 A AS64999");
		check_lookup(&fx, "10.23.111.1", false, "/8 B AS64510");
		check_lookup(&fx, "10.0.1.1", false, "/24 B AS64520");
	}
	g_assert_cmpuint(steps, >=, (N + 1 - AGAIN) / STEP);
	while (g_main_context_iteration(NULL, FALSE))
		;
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 2 + SHARED + AGAIN);
	g_assert_cmpuint(st.prefixes_v4, ==, 1 + SHARED + AGAIN - SHARED / 2);
	g_assert_cmpuint(st.prefixes_v6, ==, 1);
	g_assert_cmpuint(st.attr_sets, ==, 3); /* B's two, A's new one */
	g_assert_cmpuint(st.peers, ==, 2);
	check_lookup(&fx, "2001:db8:1::1", false, "/32 B AS64510");

	/* Everything down: empty, and the memory back. */
	fx_down(&fx, "A");
	fx_down(&fx, "B");
	check_lookup(&fx, "10.0.0.1", true, "none");
	fx_sweep(&fx);
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes + st.prefixes_v4 + st.prefixes_v6 + st.attr_sets, ==, 0);
	g_assert_cmpuint(rfm_rib_memory(fx.rib), ==, mem0);
	fx_fini(&fx);
}

/* A peer that goes down while the sweep of another runs: one more pass finds its routes. */
static void test_peer_down_twice(void)
{
	struct rfm_rib_options o = unlimited;
	struct fx fx;

	o.sweep_prefixes = 10;
	fx_init(&fx, &o);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-in-post 192.0.2.2 AS64501");
	for (guint i = 0; i < 200; i++) {
		g_autofree char *p = net24(i);
		g_autofree char *a = g_strdup_printf("%s via AS64500", p);
		g_autofree char *b = g_strdup_printf("%s via AS64501 path-id %u", p, i % 3);

		g_assert_true(fx_announce(&fx, "A", a));
		g_assert_true(fx_announce(&fx, "B", b));
	}
	fx_down(&fx, "A");
	check_lookup(&fx, "10.0.100.1", false, "/24 B AS64501");
	/* Half way through the sweep of A, B goes too. */
	for (guint i = 0; i < 10; i++)
		g_assert_true(rfm_rib_sweep_step(fx.rib));
	fx_down(&fx, "B");
	check_lookup(&fx, "10.0.100.1", true, "none");
	g_assert_cmpuint(fx_stats(&fx).routes_sweeping, >, 200);
	fx_sweep(&fx);
	g_assert_cmpuint(fx_stats(&fx).routes_sweeping, ==, 0);
	g_assert_cmpuint(fx_stats(&fx).prefixes_v4, ==, 0);
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 0);
	/* Nothing to do: the step says so. */
	g_assert_false(rfm_rib_sweep_step(fx.rib));
	fx_fini(&fx);
}

/* IP versions other than 4 and 6 are refused and counted; nothing changes. */
static void test_bad_version(void)
{
	static const int versions[] = {0, 1, 5, 7, 16, 255, -1, -6, G_MAXINT};
	struct fx fx;
	struct route r;
	struct rfm_rib_stats st;
	struct rfm_rib_match m;
	guint32 a;

	fx_init(&fx, NULL);
	a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	route_parse("203.0.113.0/24 via AS64500", &r);
	g_assert_true(rfm_rib_announce(fx.rib, a, 4, r.prefix, 24, 0, &r.a));
	for (gsize i = 0; i < G_N_ELEMENTS(versions); i++) {
		g_test_message("version %d", versions[i]);
		g_assert_false(rfm_rib_announce(fx.rib, a, versions[i], r.prefix, 24, 0, &r.a));
		g_assert_false(rfm_rib_announce(fx.rib, a, versions[i], r.prefix, 0, 0, &r.a));
		g_assert_false(rfm_rib_withdraw(fx.rib, a, versions[i], r.prefix, 24, 0));
		g_assert_false(rfm_rib_lookup(fx.rib, versions[i], r.prefix, true, &m));
	}
	st = fx_stats(&fx);
	g_assert_cmpuint(st.bad_version, ==, 3 * G_N_ELEMENTS(versions));
	g_assert_cmpuint(st.routes, ==, 1);
	g_assert_cmpuint(st.announced, ==, 1);
	g_assert_cmpuint(st.withdraw_unknown, ==, 0);
	g_assert_cmpuint(st.prefixes_v4 + st.prefixes_v6, ==, 1);
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64500");
	fx_fini(&fx);
}

static void test_route_limit(void)
{
	struct rfm_rib_options o = {.max_routes_per_peer = 3, .max_peers = 10};
	struct fx fx;
	struct rfm_rib_stats st;

	fx_init(&fx, &o);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-in-post 192.0.2.2 AS64501");
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS1"));
	g_assert_true(fx_announce(&fx, "A", "203.0.113.0/24 via AS1 path-id 1"));
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS1"));
	/* The fourth is dropped and counted, new prefix or new path alike. */
	g_assert_false(fx_announce(&fx, "A", "192.0.2.0/24 via AS1"));
	g_assert_false(fx_announce(&fx, "A", "203.0.113.0/24 via AS1 path-id 2"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.dropped_peer_limit, ==, 2);
	g_assert_cmpuint(st.routes, ==, 3);
	g_assert_cmpuint(st.announced, ==, 3);
	g_assert_cmpuint(st.prefixes_v4, ==, 2);
	check_lookup(&fx, "192.0.2.1", true, "none");
	/* Replacing a route the peer has is no new route. */
	g_assert_true(fx_announce(&fx, "A", "198.51.100.0/24 via AS2"));
	check_lookup(&fx, "198.51.100.1", false, "/24 A AS2");
	/* Other peers have their own count. */
	g_assert_true(fx_announce(&fx, "B", "192.0.2.0/24 via AS3"));
	/* A withdrawal makes room. */
	g_assert_true(fx_withdraw(&fx, "A", "203.0.113.0/24 path-id 1"));
	g_assert_true(fx_announce(&fx, "A", "192.0.2.0/24 via AS1 local-pref 300"));
	check_lookup(&fx, "192.0.2.1", false, "/24 A AS1");
	g_assert_false(fx_announce(&fx, "A", "2001:db8::/32 via AS1"));
	/* A raised limit applies at once. */
	o.max_routes_per_peer = 4;
	rfm_rib_set_options(fx.rib, &o);
	g_assert_true(fx_announce(&fx, "A", "2001:db8::/32 via AS1"));
	g_assert_false(fx_announce(&fx, "A", "2001:db8:1::/48 via AS1"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.dropped_peer_limit, ==, 4);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "A")->id), ==, 4);
	g_assert_cmpuint(rfm_rib_peer_routes(fx.rib, fx_find(&fx, "B")->id), ==, 1);
	fx_fini(&fx);
}

static void test_peer_limit(void)
{
	struct rfm_rib_options o = {.max_routes_per_peer = 100, .max_peers = 2};
	struct fx fx;
	struct rfm_rib_peer_key k;
	guint32 as, a;

	fx_init(&fx, &o);
	a = fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-out-post 192.0.2.1 AS64500");
	g_assert_cmpuint(fx_peer_try(&fx, "C: session 2 adj-rib-in-post 192.0.2.1 AS64500"), ==, 0);
	g_assert_cmpuint(fx_stats(&fx).dropped_peers, ==, 1);
	g_assert_cmpuint(fx_stats(&fx).peers, ==, 2);
	/* A known peer is no new peer. */
	peer_parse("session 1 adj-rib-in-post 192.0.2.1", &k, &as);
	g_assert_cmpuint(rfm_rib_peer_get(fx.rib, &k, 64500), ==, a);
	g_assert_cmpuint(fx_stats(&fx).dropped_peers, ==, 1);
	/* A refused peer is not found, and its announcements are refused. */
	peer_parse("session 2 adj-rib-in-post 192.0.2.1", &k, &as);
	g_assert_cmpuint(rfm_rib_peer_find(fx.rib, &k), ==, 0);
	g_assert_false(fx_announce(&fx, "C", "203.0.113.0/24 via AS1"));
	/* After a peer down there is room. */
	fx_down(&fx, "A");
	g_assert_cmpuint(fx_peer_try(&fx, "D: session 2 adj-rib-in-post 192.0.2.1 AS64500"), >, 0);
	g_assert_cmpuint(fx_peer_try(&fx, "E: session 3 adj-rib-in-post 192.0.2.1 AS64500"), ==, 0);
	g_assert_cmpuint(fx_stats(&fx).dropped_peers, ==, 2);
	g_assert_true(fx_announce(&fx, "D", "203.0.113.0/24 via AS1"));
	check_lookup(&fx, "203.0.113.1", false, "/24 D AS1");
	fx_fini(&fx);
}

/* --- statistics and interning ------------------------------------------------ */

static void test_interning(void)
{
	struct fx fx;
	struct rfm_rib_stats st;
	struct rfm_rib_match m;
	struct route r;
	gsize mem0, mem1;
	guint8 a[16];

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	fx_peer(&fx, "B: session 1 adj-rib-in-pre 192.0.2.2 AS64501");
	mem0 = rfm_rib_memory(fx.rib);
	/* 1000 routes with equal attributes, each passed in its own copy: one set per peer. */
	for (guint i = 0; i < 1000; i++) {
		g_autofree char *spec = g_strdup_printf(
			"10.%u.%u.0/24 via AS64500 AS64510 {AS64511,AS64512} local-pref 150 med 3 "
			"origin egp next-hop 192.0.2.1 community 64500:1 community 64500:2 "
			"large 64500:1:2",
			i / 256, i % 256);

		g_assert_true(fx_announce(&fx, i % 2 ? "A" : "B", spec));
	}
	st = fx_stats(&fx);
	g_assert_cmpuint(st.routes, ==, 1000);
	g_assert_cmpuint(st.prefixes_v4, ==, 1000);
	g_assert_cmpuint(st.attr_sets, ==, 2);
	mem1 = rfm_rib_memory(fx.rib);
	g_assert_cmpuint(mem1, >, mem0);
	g_test_message("1000 routes: %zu bytes", mem1 - mem0);

	/* The set is a copy: the caller's arrays may change or go away. */
	route_parse("10.0.0.0/24 via AS64500 AS64510 {AS64511,AS64512} local-pref 150 med 3 origin "
		    "egp next-hop 192.0.2.1 community 64500:1 community 64500:2 large 64500:1:2",
		    &r);
	parse_addr("10.0.0.1", a);
	g_assert_true(rfm_rib_lookup(fx.rib, 4, a, false, &m));
	g_assert_true(attrs_same(m.attrs, &r.a));
	g_assert_true(m.attrs->as_path != r.path);
	g_assert_cmpuint(m.attrs->origin_as, ==, 0); /* ends with an AS_SET */
	g_assert_cmpuint(m.attrs->first_as, ==, 64500);
	g_assert_cmpuint(m.attrs->path_len, ==, 3);
	g_assert_cmpuint(m.attrs->as_path_count, ==, 4);
	g_assert_cmpuint(m.attrs->large_communities[2], ==, 2);

	/* One attribute different: a second set, which goes with its route. */
	g_assert_true(fx_announce(&fx, "A",
				  "10.100.1.0/24 via AS64500 AS64510 {AS64511,AS64512} "
				  "local-pref 150 med 3 origin egp next-hop 192.0.2.1 "
				  "community 64500:1 community 64500:3 large 64500:1:2"));
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 3);
	g_assert_cmpuint(fx_stats(&fx).routes, ==, 1001);
	/* Community order matters (it is kept as received). */
	g_assert_true(fx_announce(&fx, "A",
				  "10.100.3.0/24 via AS64500 AS64510 {AS64511,AS64512} "
				  "local-pref 150 med 3 origin egp next-hop 192.0.2.1 "
				  "community 64500:2 community 64500:1 large 64500:1:2"));
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 4);

	/* Sets that differ in one field only each. */
	{
		static const char *const variants[] = {
			"local-pref 100",
			"med 0",
			"origin egp",
			"next-hop 192.0.2.2",
			"next-hop ::c000:201",
			"via AS1",
			"via AS1 AS2",
			"via {AS1,AS2}",
			"community 1:1",
			"large 1:1:1",
			"",
			"via AS2 AS1",
		};
		struct rfm_rib_stats st2;

		for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
			g_autofree char *spec =
				g_strdup_printf("192.0.2.0/24 %s path-id %zu", variants[i], i);

			g_assert_true(fx_announce(&fx, "A", spec));
		}
		st2 = fx_stats(&fx);
		g_assert_cmpuint(st2.attr_sets, ==, 4 + G_N_ELEMENTS(variants));
		for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
			g_autofree char *spec = g_strdup_printf("192.0.2.0/24 path-id %zu", i);

			g_assert_true(fx_withdraw(&fx, "A", spec));
		}
		g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 4);
	}

	/* Freed when the last route goes. */
	for (guint i = 0; i < 1000; i++) {
		g_autofree char *spec = g_strdup_printf("10.%u.%u.0/24", i / 256, i % 256);

		g_assert_true(fx_withdraw(&fx, i % 2 ? "A" : "B", spec));
		/* B's set goes with its last route (998), A's with its (999). */
		g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, i < 998 ? 4 : i < 999 ? 3 : 2);
	}
	g_assert_true(fx_withdraw(&fx, "A", "10.100.1.0/24"));
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 1);
	g_assert_true(fx_withdraw(&fx, "A", "10.100.3.0/24"));
	st = fx_stats(&fx);
	g_assert_cmpuint(st.attr_sets, ==, 0);
	g_assert_cmpuint(st.routes, ==, 0);
	g_assert_cmpuint(st.prefixes_v4, ==, 0);
	g_assert_cmpuint(st.announced, ==, 1000 + 2 + 12);
	g_assert_cmpuint(st.withdrawn, ==, 1000 + 2 + 12);
	/* Set ids are reused: a new set after all were freed works. */
	g_assert_true(fx_announce(&fx, "A", "10.0.0.0/8 via AS7"));
	check_lookup(&fx, "10.9.9.9", false, "/8 A AS7");
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 1);
	fx_fini(&fx);
}

/*
 * Attributes without any array: NULL pointers with zero counts, as
 * bmp_feed.c passes them for an UPDATE without communities (the parser's
 * arrays are NULL then). Copying and comparing them must not hand NULL to
 * memcpy()/memcmp(): under RFM_SANITIZE, UBSan stops the process.
 */
static void test_empty_attrs(void)
{
	struct fx fx;
	struct rfm_rib_attrs a = {.origin_as = 64500, .first_as = 64500, .path_len = 1};
	guint8 p[16];

	fx_init(&fx, NULL);
	fx_peer(&fx, "A: session 1 adj-rib-in-post 192.0.2.1 AS64500");
	parse_addr("203.0.113.0", p);
	g_assert_true(rfm_rib_announce(fx.rib, fx.peers[0].id, 4, p, 24, 0, &a));
	g_assert_true(rfm_rib_announce(fx.rib, fx.peers[0].id, 4, p, 24, 1, &a));
	parse_addr("198.51.100.0", p);
	g_assert_true(rfm_rib_announce(fx.rib, fx.peers[0].id, 4, p, 24, 0, &a));
	g_assert_cmpuint(fx_stats(&fx).attr_sets, ==, 1);
	check_lookup(&fx, "203.0.113.1", false, "/24 A AS64500");
	fx_fini(&fx);
}

/* --- differential test against a naive reference ----------------------------- */

#define DIFF_PREFIXES_V4 24
#define DIFF_PREFIXES_V6 16
#define DIFF_PREFIXES	 (DIFF_PREFIXES_V4 + DIFF_PREFIXES_V6)
#define DIFF_ALL	 (DIFF_PREFIXES + 2) /* and the keepers' IPv4 /32 and IPv6 /128 */
#define DIFF_ATTRS	 14

/*
 * The first DIFF_KEEPERS peers hold a host route per family in each table
 * from start to end, so that no LPM table of the RIB empties and fills
 * again in a run: that would allocate and initialise an LPM root each time
 * (1.5 MiB for IPv4), which on the development VM costs page faults that
 * made the test ten times slower and no more searching.
 */
#define DIFF_KEEPERS 2
static const char *const diff_peer_specs[] = {
	"session 9 adj-rib-in-pre 198.18.0.1 AS64509",
	"session 9 adj-rib-out-post 198.18.0.1 AS64509",
	"session 1 loc-rib 0.0.0.0 AS64496",
	"session 1 adj-rib-in-post 192.0.2.1 AS64500",
	"session 1 adj-rib-in-pre 192.0.2.1 AS64500",
	"session 1 adj-rib-out-post 192.0.2.1 AS64500",
	"session 2 adj-rib-in-post 192.0.2.2 AS64501",
	"session 2 adj-rib-in-post 2001:db8::5 AS64502",
	"session 2 adj-rib-out-pre 192.0.2.2 AS64501",
	"session 1 adj-rib-in-post 10.0.0.1 AS64503",
	"session 3 adj-rib-in-pre 192.0.2.1 AS64500",
	"session 3 adj-rib-in-pre 192.0.2.1 AS64500 rd 1",
};
#define DIFF_PEERS G_N_ELEMENTS(diff_peer_specs)

struct diff_peer {
	struct rfm_rib_peer_key key;
	guint32 as;
	guint32 id; /* 0 while down */
};

struct diff_prefix {
	int version;
	guint8 addr[16]; /* host bits zero */
	guint8 plen;
};

struct diff_attr {
	struct rfm_rib_attrs a; /* arrays point into the same element */
	guint32 path[6];
	guint32 comm[3];
};

struct diff_route {
	guint peer, prefix, attr;
	guint32 path_id;
};

struct diff {
	GRand *rand;
	guint32 seed;
	bool trace;
	struct rfm_rib *rib;
	struct rfm_rib_options opts;
	struct diff_peer peers[DIFF_PEERS];
	struct diff_prefix prefixes[DIFF_ALL];
	struct diff_attr attrs[DIFF_ATTRS];
	GArray *routes; /* struct diff_route */
	struct rfm_rib_stats want;
	guint32 dead; /* routes of peers that went down: at most what the RIB still sweeps */
	guint step;
};

static guint rnd(struct diff *d, guint n)
{
	return (guint)g_rand_int_range(d->rand, 0, (gint32)n);
}

static bool is_out(guint8 view)
{
	return view == RFM_VIEW_OUT_POST || view == RFM_VIEW_OUT_PRE;
}

static void mask_bits(guint8 *a, guint plen, guint alen)
{
	for (guint b = plen; b < 8 * alen; b++)
		a[b / 8] &= (guint8) ~(0x80 >> (b % 8));
}

static bool covers(const struct diff_prefix *p, int version, const guint8 *addr)
{
	for (guint b = 0; b < p->plen; b++) {
		guint8 m = (guint8)(0x80 >> (b % 8));

		if ((p->addr[b / 8] & m) != (addr[b / 8] & m))
			return false;
	}
	return p->version == version;
}

/* The order of rib.h as a tuple of numbers, smaller first; written apart from rib.c. */
static void diff_rank(const struct diff *d, const struct diff_route *r, guint64 k[11])
{
	const struct diff_peer *p = &d->peers[r->peer];
	const struct rfm_rib_attrs *a = &d->attrs[r->attr].a;

	k[0] = p->key.view;
	k[1] = G_MAXUINT32 - (guint64)(a->has_local_pref ? a->local_pref : 100);
	k[2] = a->path_len;
	k[3] = a->origin;
	k[4] = a->has_med ? a->med : 0;
	/* Lowest peer address; rib.h leaves IPv4 against IPv6 open: IPv4 first here. */
	k[5] = p->key.addr_version;
	for (int i = 0; i < 4; i++)
		k[6 + i] = (guint64)p->key.addr[4 * i] << 24 | p->key.addr[4 * i + 1] << 16 |
			   p->key.addr[4 * i + 2] << 8 | p->key.addr[4 * i + 3];
	k[10] = r->path_id;
}

/*
 * < 0 when x is preferred. 0 for routes rib.h does not order: equal in view,
 * attributes, peer address and path id, from peers that differ in session,
 * peer type or distinguisher; either may be selected.
 */
static int diff_cmp(const struct diff *d, const struct diff_route *x, const struct diff_route *y)
{
	guint64 kx[11], ky[11];

	diff_rank(d, x, kx);
	diff_rank(d, y, ky);
	for (int i = 0; i < 11; i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? -1 : 1;
	return 0;
}

static bool diff_better(const struct diff *d, const struct diff_route *x,
			const struct diff_route *y)
{
	return diff_cmp(d, x, y) < 0;
}

static const struct diff_route *diff_route_at(const struct diff *d, guint i)
{
	return &g_array_index(d->routes, struct diff_route, i);
}

static const struct diff_route *diff_route_at(const struct diff *d, guint i);

/* Index of the selected route of a prefix in the reference (one of them on a tie), or -1. */
static gint diff_best(const struct diff *d, guint prefix)
{
	gint best = -1;

	for (guint i = 0; i < d->routes->len; i++) {
		const struct diff_route *r = &g_array_index(d->routes, struct diff_route, i);

		if (r->prefix != prefix || is_out(d->peers[r->peer].key.view))
			continue;
		if (best < 0 ||
		    diff_better(d, r, &g_array_index(d->routes, struct diff_route, best)))
			best = (gint)i;
	}
	return best;
}

/* Whether another selectable route of the prefix ranks equal to route best. */
static bool diff_tied(const struct diff *d, guint prefix, gint best)
{
	for (guint i = 0; i < d->routes->len; i++) {
		const struct diff_route *r = diff_route_at(d, i);

		if ((gint)i != best && r->prefix == prefix && !is_out(d->peers[r->peer].key.view) &&
		    diff_cmp(d, r, diff_route_at(d, (guint)best)) == 0)
			return true;
	}
	return false;
}

static gint diff_find(const struct diff *d, guint peer, guint prefix, guint32 path_id)
{
	for (guint i = 0; i < d->routes->len; i++) {
		const struct diff_route *r = &g_array_index(d->routes, struct diff_route, i);

		if (r->peer == peer && r->prefix == prefix && r->path_id == path_id)
			return (gint)i;
	}
	return -1;
}

static guint32 diff_peer_routes(const struct diff *d, guint peer)
{
	guint32 n = 0;

	for (guint i = 0; i < d->routes->len; i++)
		n += g_array_index(d->routes, struct diff_route, i).peer == peer;
	return n;
}

static char *diff_prefix_str(const struct diff_prefix *p)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(p->version == 4 ? AF_INET : AF_INET6, p->addr, buf, sizeof(buf));
	return g_strdup_printf("%s/%u", buf, p->plen);
}

static void diff_gen(struct diff *d)
{
	guint8 anchors[4][16];

	for (guint i = 0; i < 4; i++)
		for (guint j = 0; j < 16; j++)
			anchors[i][j] = (guint8)rnd(d, 256);
	/* The keepers' prefixes first, so that no other prefix equals them. */
	for (guint f = 0; f < 2; f++) {
		struct diff_prefix *p = &d->prefixes[DIFF_PREFIXES + f];

		memset(p, 0, sizeof(*p));
		p->version = parse_prefix(f ? "2001:db8:ffff::1/128" : "198.18.0.1/32", p->addr,
					  &p->plen);
	}
	for (guint i = 0; i < DIFF_PREFIXES; i++) {
		struct diff_prefix *p = &d->prefixes[i];
		bool v4 = i < DIFF_PREFIXES_V4, dup;
		guint maxlen = v4 ? 32 : 128, from;

		do {
			p->version = v4 ? 4 : 6;
			/* A few short ones (the default route among them), most nested. */
			p->plen = (guint8)(rnd(d, 20) == 0 ? rnd(d, 3)
							   : rnd(d, maxlen / 2) + maxlen / 2 + 1);
			memcpy(p->addr, anchors[(v4 ? 0 : 2) + rnd(d, 2)], 16);
			from = p->plen > 6 ? p->plen - 1 - rnd(d, 6) : 0;
			for (guint b = from; b < p->plen; b++)
				if (rnd(d, 2))
					p->addr[b / 8] ^= (guint8)(0x80 >> (b % 8));
			mask_bits(p->addr, p->plen, 16);
			dup = false;
			for (guint j = 0; j < DIFF_ALL; j++)
				dup |= (j < i || j >= DIFF_PREFIXES) &&
				       d->prefixes[j].version == p->version &&
				       d->prefixes[j].plen == p->plen &&
				       !memcmp(d->prefixes[j].addr, p->addr, 16);
		} while (dup);
	}
	for (guint i = 0; i < DIFF_ATTRS; i++) {
		struct diff_attr *x = &d->attrs[i];
		struct rfm_rib_attrs *a = &x->a;
		guint n = 1 + rnd(d, 3);

		memset(x, 0, sizeof(*x));
		for (guint k = 0; k < n; k++)
			x->path[k] = 64500 + rnd(d, 4);
		a->as_path_count = (guint16)n;
		a->path_len = (guint16)n;
		a->first_as = x->path[0];
		a->origin_as = x->path[n - 1];
		if (rnd(d, 5) == 0) { /* an AS_SET at the end: origin unknown */
			x->path[n] = 64510;
			x->path[n + 1] = 64511;
			a->as_path_count = (guint16)(n + 2);
			a->path_len = (guint16)(n + 1);
			a->origin_as = 0;
		}
		a->has_local_pref = rnd(d, 3) != 0;
		a->local_pref = a->has_local_pref ? (guint32[]){90, 100, 110}[rnd(d, 3)] : 0;
		a->has_med = rnd(d, 2);
		a->med = a->has_med ? (guint32[]){0, 5}[rnd(d, 2)] : 0;
		a->origin = (guint8)rnd(d, 3);
		/* A next hop of its own makes every set distinct. */
		a->nh_version = rnd(d, 2) ? 4 : 6;
		if (a->nh_version == 4) {
			a->next_hop[0] = 192;
			a->next_hop[2] = 2;
			a->next_hop[3] = (guint8)(i + 1);
		} else {
			a->next_hop[0] = 0x20;
			a->next_hop[1] = 0x01;
			a->next_hop[2] = 0x0d;
			a->next_hop[3] = 0xb8;
			a->next_hop[15] = (guint8)(i + 1);
		}
		a->community_count = (guint16)rnd(d, 4);
		for (guint k = 0; k < a->community_count; k++)
			x->comm[k] = 64500U << 16 | rnd(d, 3);
		/* Never NULL here: test_empty_attrs covers NULL arrays. */
		a->as_path = x->path;
		a->communities = x->comm;
		a->large_communities = x->comm;
	}
}

/* An address to look up: mostly inside a prefix of the pool, sometimes anywhere. */
static int diff_addr(struct diff *d, guint8 a[16])
{
	const struct diff_prefix *p = &d->prefixes[rnd(d, DIFF_PREFIXES)];
	guint maxlen = p->version == 4 ? 32 : 128;
	guint keep = rnd(d, 4) ? p->plen : (guint)rnd(d, p->plen + 1);

	memcpy(a, p->addr, 16);
	for (guint b = keep; b < maxlen; b++)
		if (rnd(d, 2))
			a[b / 8] ^= (guint8)(0x80 >> (b % 8));
	return p->version;
}

static bool diff_fail(struct diff *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static bool diff_fail(struct diff *d, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_printerr("seed %u step %u: %s\n", d->seed, d->step, msg);
	return false;
}

/*
 * rfm_rib_lookup_batch() of up to 40 random queries (more than one batch of
 * the RIB and than the LPM's lanes; both versions, with and without the
 * default route, a bad version now and then, the same address twice) gives
 * what rfm_rib_lookup() gives for each, or zeros where it finds nothing.
 */
static bool diff_check_batch(struct diff *d)
{
	guint8 addrs[40][16];
	struct rfm_rib_query q[40];
	struct rfm_rib_match m[40];
	guint n = rnd(d, 41), found = 0, got;

	for (guint i = 0; i < n; i++) {
		memset(&m[i], 0xa5, sizeof(m[i])); /* the batch must write every field */
		if (i && !rnd(d, 8)) {
			q[i] = q[rnd(d, i)];
			continue;
		}
		q[i].addr = addrs[i];
		q[i].version = (guint8)diff_addr(d, addrs[i]);
		q[i].use_default = rnd(d, 2);
		if (!rnd(d, 20))
			q[i].version = rnd(d, 2) ? 0 : 5;
	}
	got = rfm_rib_lookup_batch(d->rib, n, q, m);
	for (guint i = 0; i < n; i++) {
		struct rfm_rib_match one;
		bool ok = rfm_rib_lookup(d->rib, q[i].version, q[i].addr, q[i].use_default, &one);
		char buf[INET6_ADDRSTRLEN] = "?";

		if (q[i].version == 4 || q[i].version == 6)
			inet_ntop(q[i].version == 4 ? AF_INET : AF_INET6, q[i].addr, buf,
				  sizeof(buf));
		found += ok;
		if (!ok &&
		    (m[i].attrs || m[i].peer || m[i].peer_as || m[i].origin_as || m[i].first_as ||
		     m[i].plen || m[i].nh_version || memcmp(m[i].next_hop, (guint8[16]){0}, 16)))
			return diff_fail(d,
					 "batch of %u, query %u (%s v%u): single none, batch not "
					 "zeros",
					 n, i, buf, q[i].version);
		if (ok &&
		    (m[i].attrs != one.attrs || m[i].peer != one.peer ||
		     m[i].peer_as != one.peer_as || m[i].origin_as != one.origin_as ||
		     m[i].first_as != one.first_as || m[i].plen != one.plen ||
		     m[i].nh_version != one.nh_version || memcmp(m[i].next_hop, one.next_hop, 16)))
			return diff_fail(d,
					 "batch of %u, query %u (%s%s): single /%u AS%u, batch "
					 "/%u AS%u",
					 n, i, buf, q[i].use_default ? " default" : "", one.plen,
					 one.origin_as, m[i].plen, m[i].origin_as);
	}
	if (got != found)
		return diff_fail(d, "batch of %u found %u, single lookups %u", n, got, found);
	return true;
}

static bool diff_check_lookup(struct diff *d)
{
	struct rfm_rib_match m;
	guint8 a[16];
	int version = diff_addr(d, a);
	bool use_default = rnd(d, 2);
	gint best = -1;
	guint best_plen = 0;
	bool found;
	char buf[INET6_ADDRSTRLEN];

	/* Longest covering prefix with a selectable route. */
	for (guint i = 0; i < d->routes->len; i++) {
		const struct diff_route *r = &g_array_index(d->routes, struct diff_route, i);
		const struct diff_prefix *p = &d->prefixes[r->prefix];

		if (is_out(d->peers[r->peer].key.view) || !covers(p, version, a) ||
		    (!use_default && p->plen == 0))
			continue;
		if (best < 0 || p->plen > best_plen ||
		    (p->plen == best_plen &&
		     diff_better(d, r, &g_array_index(d->routes, struct diff_route, best)))) {
			best = (gint)i;
			best_plen = p->plen;
		}
	}
	found = rfm_rib_lookup(d->rib, version, a, use_default, &m);
	inet_ntop(version == 4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	/* The match's copies are those of its attributes. */
	if (found &&
	    (m.origin_as != m.attrs->origin_as || m.first_as != m.attrs->first_as ||
	     m.nh_version != m.attrs->nh_version || memcmp(m.next_hop, m.attrs->next_hop, 16)))
		return diff_fail(d, "lookup %s: the match's copies differ from its attributes",
				 buf);
	if (found != (best >= 0))
		return diff_fail(d, "lookup %s%s: rib %s, reference %s", buf,
				 use_default ? " (default)" : "", found ? "found" : "none",
				 best >= 0 ? "found" : "none");
	if (found) {
		const struct diff_route *r = diff_route_at(d, (guint)best);
		const struct diff_peer *p = &d->peers[r->peer];
		bool same = false;

		/* The best route, or one rib.h does not order against it. */
		for (guint i = 0; i < d->routes->len && !same; i++) {
			const struct diff_route *t = diff_route_at(d, i);

			same = t->prefix == r->prefix && !is_out(d->peers[t->peer].key.view) &&
			       diff_cmp(d, t, r) == 0 &&
			       attrs_same(m.attrs, &d->attrs[t->attr].a) &&
			       peer_key_same(m.peer, &d->peers[t->peer].key) &&
			       m.peer_as == d->peers[t->peer].as;
		}
		if (m.plen != best_plen || !same)
			return diff_fail(d,
					 "lookup %s: rib /%u AS%u nh %u peer %u, reference /%u "
					 "AS%u nh %u peer %u path id %u",
					 buf, m.plen, m.attrs->origin_as, m.attrs->next_hop[15],
					 m.peer_as, best_plen, d->attrs[r->attr].a.origin_as,
					 d->attrs[r->attr].a.next_hop[15], p->as, r->path_id);
	}
	return true;
}

struct diff_walk {
	struct diff *d;
	guint seen;
	guint selected[DIFF_ALL];
	bool ok;
};

static void diff_walk_route(const struct rfm_rib_route *rr, void *ud)
{
	struct diff_walk *w = ud;
	struct diff *d = w->d;
	guint peer = DIFF_PEERS, prefix = DIFF_ALL;
	gint i, best;

	w->seen++;
	if (!w->ok)
		return;
	for (guint p = 0; p < DIFF_PEERS; p++)
		if (d->peers[p].id && d->peers[p].id == rr->peer_id)
			peer = p;
	for (guint p = 0; p < DIFF_ALL; p++)
		if (d->prefixes[p].version == rr->version && d->prefixes[p].plen == rr->plen &&
		    !memcmp(d->prefixes[p].addr, rr->prefix, 16))
			prefix = p;
	if (peer == DIFF_PEERS || prefix == DIFF_ALL) {
		w->ok = diff_fail(d, "foreach: route of peer id %u, /%u not in the reference",
				  rr->peer_id, rr->plen);
		return;
	}
	i = diff_find(d, peer, prefix, rr->path_id);
	if (i < 0 ||
	    !attrs_same(rr->attrs,
			&d->attrs[g_array_index(d->routes, struct diff_route, i).attr].a) ||
	    !peer_key_same(rr->peer, &d->peers[peer].key) || rr->peer_as != d->peers[peer].as) {
		g_autofree char *s = diff_prefix_str(&d->prefixes[prefix]);

		w->ok = diff_fail(d, "foreach: %s from peer %u path id %u differs", s, peer,
				  rr->path_id);
		return;
	}
	best = diff_best(d, prefix);
	w->selected[prefix] += rr->selected;
	if (rr->selected ? best < 0 || diff_cmp(d, diff_route_at(d, (guint)i),
						diff_route_at(d, (guint)best)) != 0
			 : best == i && !diff_tied(d, prefix, best)) {
		g_autofree char *s = diff_prefix_str(&d->prefixes[prefix]);

		w->ok = diff_fail(d,
				  "foreach: %s from peer %u path id %u: selected %d, reference %d",
				  s, peer, rr->path_id, rr->selected, best == i);
	}
}

static bool diff_check_all(struct diff *d)
{
	struct rfm_rib_stats st;
	struct diff_walk w = {.d = d, .ok = true};
	guint32 v4 = 0, v6 = 0, sets = 0, peers = 0;
	bool used[DIFF_PEERS][DIFF_ATTRS] = {{false}};

	rfm_rib_get_stats(d->rib, &st);
	for (guint p = 0; p < DIFF_ALL; p++) {
		for (guint i = 0; i < d->routes->len; i++) {
			const struct diff_route *r =
				&g_array_index(d->routes, struct diff_route, i);

			if (r->prefix == p && !is_out(d->peers[r->peer].key.view)) {
				if (d->prefixes[p].version == 4)
					v4++;
				else
					v6++;
				break;
			}
		}
	}
	/* Sets are interned per peer. */
	for (guint i = 0; i < d->routes->len; i++) {
		const struct diff_route *r = diff_route_at(d, i);

		used[r->peer][r->attr] = true;
	}
	for (guint p = 0; p < DIFF_PEERS; p++)
		for (guint i = 0; i < DIFF_ATTRS; i++)
			sets += used[p][i];
	for (guint p = 0; p < DIFF_PEERS; p++) {
		if (!d->peers[p].id)
			continue;
		peers++;
		if (rfm_rib_peer_routes(d->rib, d->peers[p].id) != diff_peer_routes(d, p))
			return diff_fail(d, "peer %u: %u routes, reference %u", p,
					 rfm_rib_peer_routes(d->rib, d->peers[p].id),
					 diff_peer_routes(d, p));
		if (rfm_rib_peer_find(d->rib, &d->peers[p].key) != d->peers[p].id)
			return diff_fail(d, "peer %u: find gives %u, reference %u", p,
					 rfm_rib_peer_find(d->rib, &d->peers[p].key),
					 d->peers[p].id);
	}
#define SAME(field, want)                                                                          \
	if (st.field != (want))                                                                    \
		return diff_fail(                                                                  \
			d, "stats." #field " %" G_GUINT64_FORMAT ", reference %" G_GUINT64_FORMAT, \
			(guint64)st.field, (guint64)(want));
	SAME(routes, d->routes->len);
	SAME(peers, peers);
	if (st.routes_sweeping > d->dead)
		return diff_fail(d, "%u routes to sweep, but only %u were of dead peers",
				 st.routes_sweeping, d->dead);
	/* Prefixes and sets that only dead peers' routes hold count until the sweep is done. */
	if (!st.routes_sweeping) {
		d->dead = 0;
		SAME(prefixes_v4, v4);
		SAME(prefixes_v6, v6);
		SAME(attr_sets, sets);
	}
	SAME(announced, d->want.announced);
	SAME(withdrawn, d->want.withdrawn);
	SAME(withdraw_unknown, d->want.withdraw_unknown);
	SAME(dropped_peer_limit, d->want.dropped_peer_limit);
	SAME(dropped_peers, d->want.dropped_peers);
#undef SAME
	rfm_rib_foreach_route(d->rib, diff_walk_route, &w);
	if (w.ok && w.seen != d->routes->len)
		return diff_fail(d, "foreach: %u routes, reference %u", w.seen, d->routes->len);
	for (guint p = 0; p < DIFF_ALL && w.ok; p++) {
		if (w.selected[p] != (diff_best(d, p) >= 0)) {
			g_autofree char *s = diff_prefix_str(&d->prefixes[p]);

			return diff_fail(d, "foreach: %s has %u selected routes", s, w.selected[p]);
		}
	}
	return w.ok;
}

static guint diff_peers_up(const struct diff *d)
{
	guint n = 0;

	for (guint p = 0; p < DIFF_PEERS; p++)
		n += d->peers[p].id != 0;
	return n;
}

static bool diff_peer_get(struct diff *d, guint p)
{
	struct diff_peer *pe = &d->peers[p];
	guint32 as = pe->as + (rnd(d, 4) == 0); /* sometimes the peer AS changes */
	guint32 id = rfm_rib_peer_get(d->rib, &pe->key, as);

	if (d->trace)
		g_printerr("%4u peer_get %u AS%u -> %u\n", d->step, p, as, id);
	if (pe->id) {
		if (id != pe->id)
			return diff_fail(d, "peer_get of up peer %u: id %u, was %u", p, id, pe->id);
		pe->as = as;
		return true;
	}
	if (diff_peers_up(d) >= d->opts.max_peers) {
		d->want.dropped_peers++;
		if (id)
			return diff_fail(d, "peer_get %u over max_peers gave %u", p, id);
		return true;
	}
	if (!id)
		return diff_fail(d, "peer_get %u refused", p);
	for (guint q = 0; q < DIFF_PEERS; q++)
		if (d->peers[q].id == id)
			return diff_fail(d, "peer_get %u: id %u is peer %u's", p, id, q);
	pe->id = id;
	pe->as = as;
	return true;
}

static void diff_drop_peer(struct diff *d, guint p)
{
	for (guint i = d->routes->len; i-- > 0;) {
		if (g_array_index(d->routes, struct diff_route, i).peer == p) {
			g_array_remove_index_fast(d->routes, i);
			d->dead++;
		}
	}
	d->peers[p].id = 0;
}

/* One step of the sweep, or all of them. */
static bool diff_sweep(struct diff *d, bool all)
{
	guint steps = 0;

	if (d->trace)
		g_printerr("%4u sweep%s\n", d->step, all ? " all" : "");
	while (rfm_rib_sweep_step(d->rib) && all) {
		if (++steps > 100000)
			return diff_fail(d, "the sweep does not end");
	}
	return true;
}

static bool diff_step(struct diff *d)
{
	guint roll = rnd(d, 100), p = DIFF_KEEPERS + rnd(d, DIFF_PEERS - DIFF_KEEPERS);
	struct diff_peer *pe = &d->peers[p];

	if (roll < 55 && pe->id) { /* announce, with host bits set and the arrays copied */
		struct diff_route r = {p, rnd(d, DIFF_PREFIXES), rnd(d, DIFF_ATTRS), rnd(d, 3)};
		const struct diff_prefix *px = &d->prefixes[r.prefix];
		struct diff_attr copy = d->attrs[r.attr];
		gint i = diff_find(d, p, r.prefix, r.path_id);
		guint8 addr[16];
		bool got, want;

		copy.a.as_path = copy.path;
		copy.a.communities = copy.comm;
		copy.a.large_communities = copy.comm;
		memcpy(addr, px->addr, 16);
		for (guint b = px->plen; b < (px->version == 4 ? 32U : 128U); b++)
			if (rnd(d, 2))
				addr[b / 8] |= (guint8)(0x80 >> (b % 8));
		got = rfm_rib_announce(d->rib, pe->id, px->version, addr, px->plen, r.path_id,
				       &copy.a);
		memset(&copy, 0xee, sizeof(copy)); /* the RIB must have copied it */
		if (i >= 0) {
			g_array_index(d->routes, struct diff_route, i).attr = r.attr;
			want = true;
		} else if (diff_peer_routes(d, p) >= d->opts.max_routes_per_peer) {
			d->want.dropped_peer_limit++;
			want = false;
		} else {
			g_array_append_val(d->routes, r);
			want = true;
		}
		d->want.announced += want;
		if (d->trace) {
			g_autofree char *s = diff_prefix_str(px);

			g_printerr("%4u announce peer %u %s path-id %u attrs %u -> %d\n", d->step,
				   p, s, r.path_id, r.attr, got);
		}
		if (got != want)
			return diff_fail(d, "announce returned %d, reference %d", got, want);
	} else if (roll < 75 && d->routes->len) { /* withdraw a route the RIB has */
		guint i = rnd(d, d->routes->len);
		struct diff_route r = g_array_index(d->routes, struct diff_route, i);
		const struct diff_prefix *px = &d->prefixes[r.prefix];

		if (r.peer < DIFF_KEEPERS)
			return true;
		if (d->trace) {
			g_autofree char *s = diff_prefix_str(px);

			g_printerr("%4u withdraw peer %u %s path-id %u\n", d->step, r.peer, s,
				   r.path_id);
		}
		if (!rfm_rib_withdraw(d->rib, d->peers[r.peer].id, px->version, px->addr, px->plen,
				      r.path_id))
			return diff_fail(d, "withdraw of a present route failed");
		g_array_remove_index_fast(d->routes, i);
		d->want.withdrawn++;
	} else if (roll < 85 && pe->id) { /* withdraw anything: maybe unknown */
		guint prefix = rnd(d, DIFF_PREFIXES);
		guint32 path_id = rnd(d, 3);
		const struct diff_prefix *px = &d->prefixes[prefix];
		gint i = diff_find(d, p, prefix, path_id);
		bool got =
			rfm_rib_withdraw(d->rib, pe->id, px->version, px->addr, px->plen, path_id);

		if (d->trace) {
			g_autofree char *s = diff_prefix_str(px);

			g_printerr("%4u withdraw peer %u %s path-id %u -> %d\n", d->step, p, s,
				   path_id, got);
		}
		if (got != (i >= 0))
			return diff_fail(d, "withdraw returned %d, reference %d", got, i >= 0);
		if (i >= 0) {
			g_array_remove_index_fast(d->routes, (guint)i);
			d->want.withdrawn++;
		} else {
			d->want.withdraw_unknown++;
		}
	} else if (roll < 90) { /* peer comes up, or again */
		return diff_peer_get(d, p);
	} else if (roll < 93 && pe->id) {
		if (d->trace)
			g_printerr("%4u peer_down %u\n", d->step, p);
		rfm_rib_peer_down(d->rib, pe->id);
		diff_drop_peer(d, p);
	} else if (roll < 94) {
		guint32 session = 1 + rnd(d, 3);

		if (d->trace)
			g_printerr("%4u session_down %u\n", d->step, session);
		rfm_rib_session_down(d->rib, session);
		for (guint q = 0; q < DIFF_PEERS; q++)
			if (d->peers[q].id && d->peers[q].key.session == session)
				diff_drop_peer(d, q);
	} else if (roll < 98) {
		return diff_sweep(d, false);
	} else {
		return diff_sweep(d, true);
	}
	return true;
}

static bool diff_run(guint32 seed, bool trace, void *user_data)
{
	guint *ops = user_data;

	static const guint32 route_limits[] = {G_MAXUINT32, G_MAXUINT32, 4, 12};
	static const guint32 peer_limits[] = {1024, 1024, 8, 5};
	static const guint32 sweep_steps[] = {0, 1, 2, 3, 7};
	struct diff d = {.seed = seed, .trace = trace};
	guint steps;
	bool ok = true;

	d.rand = g_rand_new_with_seed(seed);
	d.routes = g_array_new(FALSE, FALSE, sizeof(struct diff_route));
	d.opts.max_routes_per_peer = route_limits[rnd(&d, G_N_ELEMENTS(route_limits))];
	d.opts.max_peers = peer_limits[rnd(&d, G_N_ELEMENTS(peer_limits))];
	/* Small sweep steps, so that a sweep stops and resumes while the RIB changes. */
	d.opts.sweep_prefixes = sweep_steps[rnd(&d, G_N_ELEMENTS(sweep_steps))];
	d.rib = rfm_rib_new(&d.opts);
	for (guint p = 0; p < DIFF_PEERS; p++)
		peer_parse(diff_peer_specs[p], &d.peers[p].key, &d.peers[p].as);
	diff_gen(&d);
	for (guint p = 0; p < DIFF_PEERS && ok; p++)
		ok = diff_peer_get(&d, p);
	for (guint k = 0; k < DIFF_KEEPERS && ok; k++) {
		for (guint f = 0; f < 2; f++) {
			struct diff_route r = {k, DIFF_PREFIXES + f, f, 0};
			const struct diff_prefix *px = &d.prefixes[r.prefix];

			ok = rfm_rib_announce(d.rib, d.peers[k].id, px->version, px->addr, px->plen,
					      0, &d.attrs[r.attr].a);
			g_array_append_val(d.routes, r);
			d.want.announced++;
		}
	}
	steps = 400 + rnd(&d, 1100);
	for (d.step = 0; d.step < steps && ok; d.step++) {
		ok = diff_step(&d);
		for (guint l = 0; l < 4 && ok; l++)
			ok = diff_check_lookup(&d);
		if (ok)
			ok = diff_check_batch(&d);
		if (ok && (d.step % 32 == 0 || d.step + 1 == steps))
			ok = diff_check_all(&d);
		(*ops)++;
	}
	/* Every peer down: the RIB is empty again, and gives its memory back. */
	for (guint p = 0; p < DIFF_PEERS && ok; p++) {
		if (d.peers[p].id) {
			rfm_rib_peer_down(d.rib, d.peers[p].id);
			diff_drop_peer(&d, p);
		}
	}
	if (ok)
		ok = diff_check_lookup(&d) && diff_check_batch(&d) && diff_sweep(&d, true) &&
		     diff_check_all(&d) && diff_check_batch(&d);
	if (ok) {
		struct rfm_rib *fresh = rfm_rib_new(&d.opts);

		if (rfm_rib_memory(d.rib) != rfm_rib_memory(fresh))
			ok = diff_fail(&d, "emptied RIB holds %zu bytes, a new one %zu",
				       rfm_rib_memory(d.rib), rfm_rib_memory(fresh));
		rfm_rib_free(fresh);
	}
	rfm_rib_free(d.rib);
	g_array_unref(d.routes);
	g_rand_free(d.rand);
	return ok;
}

static void test_differential(void)
{
	gint64 t0 = g_get_monotonic_time();
	guint32 runs = seed_runs_env("RFM_TEST_RUNS", DIFF_RUNS);
	guint ops = 0;

	if (!seed_runs("/rib/differential", g_test_rand_int(), DIFF_RUNS, diff_run, &ops))
		return;
	g_test_message("%u runs, %u operations in %.2f s", runs, ops,
		       (g_get_monotonic_time() - t0) / 1e6);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rib/announce-withdraw", test_announce_withdraw);
	g_test_add_func("/rib/withdraw-unknown", test_withdraw_unknown);
	g_test_add_func("/rib/bad-arguments", test_bad_arguments);
	g_test_add_func("/rib/longest-match", test_longest_match);
	g_test_add_func("/rib/host-bits", test_host_bits);
	g_test_add_func("/rib/selection", test_selection);
	g_test_add_func("/rib/adj-rib-out", test_adj_rib_out);
	g_test_add_func("/rib/add-path", test_add_path);
	g_test_add_func("/rib/peers", test_peers);
	g_test_add_func("/rib/peer-down", test_peer_down);
	g_test_add_func("/rib/session-down", test_session_down);
	g_test_add_func("/rib/peer-down-sweep", test_peer_down_sweep);
	g_test_add_func("/rib/peer-down-twice", test_peer_down_twice);
	g_test_add_func("/rib/bad-version", test_bad_version);
	g_test_add_func("/rib/route-limit", test_route_limit);
	g_test_add_func("/rib/peer-limit", test_peer_limit);
	g_test_add_func("/rib/interning", test_interning);
	g_test_add_func("/rib/empty-attrs", test_empty_attrs);
	g_test_add_func("/rib/differential", test_differential);
	return g_test_run();
}
