// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bench_rib.c - what the BMP-fed RIB (rib.c) costs with a full table from
 * one peer: ingest rate through rfm_rib_announce(), bytes per route,
 * lookups per second through rfm_rib_lookup(), and what a Peer Down of the
 * whole table costs: the call, then the sweep that frees the routes from
 * the main loop, in total and its longest step.
 *
 * The synthetic table, the same for a given seed (-s):
 *   prefixes: 1,000,000 IPv4 and 200,000 IPv6, distinct, with the length
 *     mix of a real table and placed as bench_lpm.c places them (IPv4:
 *     63 % /24, 21 % /22../23, 16 % /16../21, a few /8../15, uniformly in
 *     1.0.0.0-223.255.255.255; IPv6: mostly /48, then /32../44, inside
 *     40,000 /32 and /29 allocations in the RIR blocks);
 *   AS paths: 100,000 distinct, of length 2..8 (mostly 3..5), all starting
 *     with the peer's AS 64500 (an eBGP neighbour's Adj-RIB-In), then
 *     transit ASes drawn with a Zipf-like skew (s = 1.1) from 3,000
 *     private ASNs (64512-65534 and 4200000000-), sometimes prepended, and
 *     an origin from 70,000 private 32-bit ASNs; each route takes a path
 *     with a Zipf-like skew (s = 0.7: the most used path carries about
 *     1 % of the routes);
 *   other attributes per path: ORIGIN (90 % IGP), LOCAL_PREF (90 % 100, else
 *     80 or 200), MED on 40 %, 1..6 communities on half, a large community
 *     on 5 %; a quarter of the routes take one of three variants of their
 *     path's attributes (another community set or MED), as routes of one
 *     origin do; the next hop is the peer (one per family).
 * Routes are announced by one Adj-RIB-In post-policy peer, in random order
 * (a BMP dump comes in table order, which is kinder to caches), with
 * attributes built per route as bmp_feed.c builds them.
 *
 * Measured, pinned to one CPU, rates per second of the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), -r repetitions, min/median/max:
 *   1 memory, in a forked child: rfm_rib_memory() and the growth of VmRSS
 *     over the ingest, per route; the same for an LPM table of the same
 *     prefixes alone (what the RIB adds to it); the RIB again once the
 *     peer went down and the sweep freed its routes;
 *   2 ingest: every route into a new RIB (routes/s); one discarded warm-up
 *     build first, since on the development VM a page's first touch costs
 *     about 20 us;
 *   3 lookups: passes of 1,000,000 rfm_rib_lookup() reading what enrich.c
 *     reads of the match (origin AS, first AS, next hop, prefix length),
 *     for random addresses (IPv4: 0.0.0.0/0, IPv6: 2000::/3) and for
 *     addresses inside random prefixes of the table; beside them the same
 *     addresses through an rfm_lpm table alone and the loop alone
 *     (baselines). The variants of a repetition run in a rotated order;
 *   4 Peer Down of the peer: the rfm_rib_peer_down() call; a pass of
 *     lookups inside the table right after it, which must all find nothing
 *     (every route is dead, none freed yet); then the sweep, run as the
 *     agent runs it, by g_main_context_iteration() until nothing is left:
 *     its CPU time in total, its number of steps, the 99th percentile of
 *     the steps' CPU time and the longest step in CPU and in wall-clock time
 *     (how long the main loop is blocked; on the VM both include time the
 *     host took the CPU away, hence the percentile).
 *
 * Not a test: prints Markdown tables and the targets (ingest >= 500 k
 * routes/s, <= 100 bytes per route, >= 5 M lookups/s); lookups/s are
 * noisy on a shared machine, so the targets table gives the best run and
 * the median. Exits 0, or 1 when a lookup after the Peer Down finds a route.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <malloc.h>

#include <glib.h>

#include "lpm.h"
#include "bench_util.h"
#include "prefix_gen.h"
#include "rib.h"

#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 5
#define BENCH_SEED	   20240601U
#define BENCH_V4	   1000000U
#define BENCH_V6	   200000U
#define BENCH_PATHS	   100000U
#define BENCH_TRANSITS	   3000U
#define BENCH_ORIGINS	   70000U
#define BENCH_VARIANTS	   4 /* attribute variants per path: the base and three others */
#define BENCH_V6_ALLOCS	   40000U
#define BENCH_LOOKUPS	   1000000U
#define BENCH_PEER_AS	   64500U
#define BENCH_PREEMPTED	   50
#define TARGET_INGEST	   500e3
#define TARGET_BYTES	   100.0
#define TARGET_LOOKUPS	   5e6

/* --- generator ------------------------------------------------------------ */

struct zipf {
	double *cdf; /* owned, n */
	guint32 n;
};

static void zipf_init(struct zipf *z, guint32 n, double s)
{
	double sum = 0;

	z->n = n;
	z->cdf = g_new(double, n);
	for (guint32 k = 0; k < n; k++)
		z->cdf[k] = sum += pow(k + 1, -s);
	for (guint32 k = 0; k < n; k++)
		z->cdf[k] /= sum;
}

static guint32 zipf_draw(const struct zipf *z, guint64 *s)
{
	double u = bench_rng_unit(s);
	guint32 lo = 0, hi = z->n - 1;

	while (lo < hi) {
		guint32 mid = lo + (hi - lo) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* AS path lengths 2..8 and their weights per 100. */
static const guint8 path_len_weights[] = {0, 0, 8, 25, 30, 20, 10, 5, 2};

/* DOC: one route of the table: its prefix and which attribute set it takes. */
struct bench_route {
	guint8 addr[16]; /* host bits zero */
	guint8 plen;
	guint8 version;
	guint32 attr; /* index into bench_table.attrs */
};

/* DOC: the synthetic table; every array owned. */
struct bench_table {
	guint32 n4, n6, n; /* routes: n4 IPv4 then n6 IPv6, in random order in routes */
	struct bench_route *routes;
	struct rfm_rib_attrs *attrs; /* BENCH_PATHS * BENCH_VARIANTS, next hop left empty */
	guint32 *words;		     /* the arrays attrs point into */
	guint32 paths_used;
	guint8 *random4, *inside4, *random6, *inside6; /* BENCH_LOOKUPS addresses each */
	double covered4, covered6; /* share of random addresses the table covers */
};

static guint route_hash(gconstpointer k)
{
	const struct bench_route *r = k;
	guint64 h = r->plen;

	for (guint i = 0; i < 16; i += 8) {
		guint64 w;

		memcpy(&w, r->addr + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (guint)h;
}

static gboolean route_equal(gconstpointer a, gconstpointer b)
{
	const struct bench_route *x = a, *y = b;

	return x->plen == y->plen && !memcmp(x->addr, y->addr, 16);
}

static guint path_hash(gconstpointer k)
{
	const guint32 *p = k;
	guint h = 2166136261U;

	for (guint i = 1; i <= p[0]; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

static gboolean path_equal(gconstpointer a, gconstpointer b)
{
	const guint32 *x = a, *y = b;

	return x[0] == y[0] && !memcmp(x + 1, y + 1, 4U * x[0]);
}

static guint32 private_asn(guint32 i)
{
	/* 64512-65534 first, then the 32-bit private range (RFC 6996). */
	return i < 1023 ? 64512 + i : 4200000000U + i;
}

/*
 * The attribute sets: BENCH_VARIANTS per path. Each path is stored as
 * [n, as...] in paths (n + 1 words per path, at most 9).
 */
static void gen_attrs(struct bench_table *t, guint64 *s)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(path_hash, path_equal);
	g_autofree guint32 *paths = g_new(guint32, (gsize)BENCH_PATHS * 9);
	struct zipf transit;
	gsize nwords = 0, cap = (gsize)BENCH_PATHS * BENCH_VARIANTS * 20;

	zipf_init(&transit, BENCH_TRANSITS, 1.1);
	for (guint32 p = 0; p < BENCH_PATHS; p++) {
		guint32 *path = paths + (gsize)p * 9;

		do {
			guint32 r = bench_rng_below(s, 100), len = 2;

			while (r >= path_len_weights[len]) {
				r -= path_len_weights[len];
				len++;
			}
			path[0] = len;
			path[1] = BENCH_PEER_AS;
			for (guint32 k = 2; k < len; k++)
				path[k] = private_asn(zipf_draw(&transit, s));
			path[len] = private_asn(BENCH_TRANSITS + bench_rng_below(s, BENCH_ORIGINS));
			/* Prepending: the origin (or a transit) repeated, 5 % of paths. */
			if (len >= 4 && bench_rng_below(s, 20) == 0)
				path[len - 1] = path[len];
		} while (!g_hash_table_add(seen, path));
	}
	g_free(transit.cdf);

	t->attrs = g_new0(struct rfm_rib_attrs, (gsize)BENCH_PATHS * BENCH_VARIANTS);
	t->words = g_new(guint32, cap);
	for (guint32 p = 0; p < BENCH_PATHS; p++) {
		const guint32 *path = paths + (gsize)p * 9;
		guint32 r = bench_rng_below(s, 100);
		struct rfm_rib_attrs base = {
			.origin_as = path[path[0]],
			.first_as = path[1],
			.path_len = (guint16)path[0],
			.origin = r < 90   ? 0
				  : r < 98 ? 2
					   : 1,
			.has_local_pref = true,
			.local_pref = r % 10   ? 100
				      : r % 20 ? 80
					       : 200,
			.has_med = bench_rng_below(s, 10) < 4,
			.as_path_count = (guint16)path[0],
		};
		guint32 ncomm = bench_rng_below(s, 2) ? 1 + bench_rng_below(s, 6) : 0;
		bool large = bench_rng_below(s, 20) == 0;

		base.med =
			base.has_med
				? (guint32[]){0, 10, 20, 50, 100, 200, 1000}[bench_rng_below(s, 7)]
				: 0;
		for (guint v = 0; v < BENCH_VARIANTS; v++) {
			struct rfm_rib_attrs *a = &t->attrs[(gsize)p * BENCH_VARIANTS + v];
			guint32 *w = t->words + nwords;

			*a = base;
			memcpy(w, path + 1, 4U * path[0]);
			a->as_path = w;
			w += path[0];
			/* Variants: another community set, or another MED. */
			a->community_count = (guint16)(ncomm + (v == 1 || v == 3));
			for (guint k = 0; k < ncomm; k++)
				w[k] = BENCH_PEER_AS << 16 | (k * 37 + p) % 200;
			if (v == 1 || v == 3)
				w[ncomm] = BENCH_PEER_AS << 16 | (1000 + v);
			a->communities = w;
			w += a->community_count;
			if (v == 2) {
				a->has_med = true;
				a->med = base.med + 5;
			}
			if (large) {
				w[0] = BENCH_PEER_AS;
				w[1] = 1;
				w[2] = p % 100;
				a->large_community_count = 1;
			}
			a->large_communities = w;
			w += 3 * a->large_community_count;
			nwords = (gsize)(w - t->words);
		}
	}
	g_assert(nwords <= cap);
}

static void gen_lookup_addrs(guint64 *s, const struct bench_table *t, int version, guint8 *rnd,
			     guint8 *inside, double *covered)
{
	guint alen = version == 4 ? 4 : 16;
	struct rfm_lpm *lpm = rfm_lpm_new(version);
	guint32 n = version == 4 ? t->n4 : t->n6, hit = 0;
	g_autofree guint32 *index = g_new(guint32, n);
	guint32 k = 0;

	/* The routes of this family (they are mixed in t->routes). */
	for (guint32 i = 0; i < t->n; i++)
		if (t->routes[i].version == version)
			index[k++] = i;
	for (guint32 i = 0; i < n; i++)
		rfm_lpm_insert(lpm, t->routes[index[i]].addr, t->routes[index[i]].plen, i + 1);
	for (guint32 i = 0; i < BENCH_LOOKUPS; i++) {
		guint8 a[16] = {0};
		const struct bench_route *r = &t->routes[index[bench_rng_below(s, n)]];

		if (version == 4) {
			bench_fill_bits(s, a, 0, 32);
		} else {
			a[0] = 0x20;
			bench_fill_bits(s, a, 3, 128);
		}
		memcpy(rnd + (gsize)i * alen, a, alen);
		hit += rfm_lpm_lookup(lpm, a, NULL) != 0;
		memcpy(a, r->addr, 16);
		bench_fill_bits(s, a, r->plen, 8 * alen);
		memcpy(inside + (gsize)i * alen, a, alen);
	}
	*covered = (double)hit / BENCH_LOOKUPS;
	rfm_lpm_free(lpm);
}

static void table_build(struct bench_table *t, guint32 seed, guint32 n4, guint32 n6)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(route_hash, route_equal);
	g_autofree struct bench_prefix *allocs = g_new0(struct bench_prefix, BENCH_V6_ALLOCS);
	guint64 s = seed;
	struct zipf paths;
	g_autofree guint8 *used = g_new0(guint8, BENCH_PATHS);

	t->n4 = n4;
	t->n6 = n6;
	t->n = n4 + n6;
	t->routes = g_new0(struct bench_route, t->n);
	gen_attrs(t, &s);
	for (guint32 i = 0; i < BENCH_V6_ALLOCS; i++)
		bench_gen_v6_alloc(&s, &allocs[i]);
	zipf_init(&paths, BENCH_PATHS, 0.7);
	for (guint32 i = 0; i < t->n; i++) {
		struct bench_route *r = &t->routes[i];
		guint32 p = zipf_draw(&paths, &s);

		do {
			struct bench_prefix pfx;

			r->version = i < n4 ? 4 : 6;
			if (r->version == 4)
				bench_gen_v4(&s, &pfx);
			else
				bench_gen_v6(&s, allocs, BENCH_V6_ALLOCS, &pfx);
			memcpy(r->addr, pfx.addr, 16);
			r->plen = pfx.plen;
		} while (!g_hash_table_add(seen, r));
		/* Three routes in four take their path's base attributes. */
		r->attr = p * BENCH_VARIANTS +
			  (bench_rng_below(&s, 4) ? 0 : 1 + bench_rng_below(&s, 3));
		t->paths_used += !used[p];
		used[p] = 1;
	}
	g_free(paths.cdf);
	/* Random order, the families mixed (Fisher-Yates). */
	for (guint32 i = t->n - 1; i > 0; i--) {
		guint32 j = bench_rng_below(&s, i + 1);
		struct bench_route tmp = t->routes[i];

		t->routes[i] = t->routes[j];
		t->routes[j] = tmp;
	}
	t->random4 = g_malloc((gsize)BENCH_LOOKUPS * 4);
	t->inside4 = g_malloc((gsize)BENCH_LOOKUPS * 4);
	t->random6 = g_malloc((gsize)BENCH_LOOKUPS * 16);
	t->inside6 = g_malloc((gsize)BENCH_LOOKUPS * 16);
	gen_lookup_addrs(&s, t, 4, t->random4, t->inside4, &t->covered4);
	gen_lookup_addrs(&s, t, 6, t->random6, t->inside6, &t->covered6);
}

static void table_free(struct bench_table *t)
{
	g_free(t->routes);
	g_free(t->attrs);
	g_free(t->words);
	g_free(t->random4);
	g_free(t->inside4);
	g_free(t->random6);
	g_free(t->inside6);
}

/* --- helpers -------------------------------------------------------------- */

static double timed_cpu, timed_wall;

struct stopwatch {
	double cpu, wall;
};

static struct stopwatch stopwatch_start(void)
{
	return (struct stopwatch){bench_clock_s(CLOCK_THREAD_CPUTIME_ID),
				  bench_clock_s(CLOCK_MONOTONIC)};
}

/* Seconds of CPU time since start. */
static double stopwatch_stop(const struct stopwatch *w)
{
	double cpu = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - w->cpu;

	timed_cpu += cpu;
	timed_wall += bench_clock_s(CLOCK_MONOTONIC) - w->wall;
	return cpu;
}

/* --- the RIB ---------------------------------------------------------------- */

static const guint8 peer_nh4[16] = {192, 0, 2, 1};
static const guint8 peer_nh6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

static struct rfm_rib *rib_new_with_peer(guint32 *peer)
{
	static const struct rfm_rib_options opts = {.max_routes_per_peer = G_MAXUINT32,
						    .max_peers = 16};
	struct rfm_rib_peer_key key = {.session = 1, .view = RFM_VIEW_IN_POST, .addr_version = 4};
	struct rfm_rib *rib = rfm_rib_new(&opts);

	memcpy(key.addr, peer_nh4, 4);
	*peer = rfm_rib_peer_get(rib, &key, BENCH_PEER_AS);
	return rib;
}

/* Announce every route, attributes built per route as bmp_feed.c does. */
static void rib_ingest(struct rfm_rib *rib, guint32 peer, const struct bench_table *t)
{
	for (guint32 i = 0; i < t->n; i++) {
		const struct bench_route *r = &t->routes[i];
		struct rfm_rib_attrs a = t->attrs[r->attr];

		a.nh_version = r->version;
		memcpy(a.next_hop, r->version == 4 ? peer_nh4 : peer_nh6, 16);
		if (!rfm_rib_announce(rib, peer, r->version, r->addr, r->plen, 0, &a))
			g_error("route %u refused", i);
	}
}

/* --- memory ----------------------------------------------------------------- */

struct memory_result {
	gint64 rss_rib, rss_lpm, rss_after_down;
	guint64 memory, memory_lpm, memory_after_down;
	guint32 routes, prefixes_v4, prefixes_v6, attr_sets, lpm_prefixes;
};

/* In a child, so that VmRSS grows by the table only. */
static void memory_child(const struct bench_table *t, int fd)
{
	struct memory_result m = {0};
	struct rfm_rib_stats st;
	struct rfm_lpm *lpm[2];
	struct rfm_rib *rib;
	guint32 peer;
	gint64 rss0;

	malloc_trim(0);
	rss0 = bench_proc_status_bytes("VmRSS");
	rib = rib_new_with_peer(&peer);
	rib_ingest(rib, peer, t);
	m.rss_rib = bench_proc_status_bytes("VmRSS") - rss0;
	m.memory = rfm_rib_memory(rib);
	rfm_rib_get_stats(rib, &st);
	m.routes = st.routes;
	m.prefixes_v4 = st.prefixes_v4;
	m.prefixes_v6 = st.prefixes_v6;
	m.attr_sets = st.attr_sets;
	rfm_rib_peer_down(rib, peer);
	while (rfm_rib_sweep_step(rib))
		;
	m.memory_after_down = rfm_rib_memory(rib);
	malloc_trim(0);
	m.rss_after_down = bench_proc_status_bytes("VmRSS") - rss0;
	rfm_rib_free(rib);

	/* The LPM tables alone, for the share of the RIB that is not the LPM. */
	malloc_trim(0);
	rss0 = bench_proc_status_bytes("VmRSS");
	lpm[0] = rfm_lpm_new(4);
	lpm[1] = rfm_lpm_new(6);
	for (guint32 i = 0; i < t->n; i++)
		rfm_lpm_insert(lpm[t->routes[i].version == 6], t->routes[i].addr, t->routes[i].plen,
			       i + 1);
	m.rss_lpm = bench_proc_status_bytes("VmRSS") - rss0;
	m.memory_lpm = rfm_lpm_memory(lpm[0]) + rfm_lpm_memory(lpm[1]);
	m.lpm_prefixes = rfm_lpm_count(lpm[0]) + rfm_lpm_count(lpm[1]);
	rfm_lpm_free(lpm[0]);
	rfm_lpm_free(lpm[1]);
	if (write(fd, &m, sizeof(m)) != sizeof(m))
		_exit(1);
	_exit(0);
}

static bool memory_measure(const struct bench_table *t, struct memory_result *m)
{
	int fds[2], status;
	pid_t pid;
	bool ok;

	if (pipe(fds) < 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		close(fds[0]);
		memory_child(t, fds[1]);
	}
	close(fds[1]);
	ok = read(fds[0], m, sizeof(*m)) == sizeof(*m);
	close(fds[0]);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status) && ok;
}

/* --- rates ------------------------------------------------------------------ */

enum variant {
	V_INGEST, /* routes/s */
	V_LOOP4,
	V_LPM_RANDOM4,
	V_RIB_RANDOM4,
	V_LPM_INSIDE4,
	V_RIB_INSIDE4,
	V_LOOP6,
	V_LPM_RANDOM6,
	V_RIB_RANDOM6,
	V_LPM_INSIDE6,
	V_RIB_INSIDE6,
	V_B2_RANDOM4, /* rfm_rib_lookup_batch(), 2 queries a call */
	V_B2_INSIDE4,
	V_B2_RANDOM6,
	V_B2_INSIDE6,
	V_B16_RANDOM4, /* rfm_rib_lookup_batch(), 16 queries a call */
	V_B16_INSIDE4,
	V_B16_RANDOM6,
	V_B16_INSIDE6,
	V_DEAD_INSIDE4,	      /* lookups/s right after the Peer Down */
	V_DOWN_CALL,	      /* us */
	V_SWEEP_CPU,	      /* s */
	V_SWEEP_STEPS,	      /* steps */
	V_SWEEP_P99,	      /* ms of CPU time */
	V_SWEEP_LONGEST,      /* ms of CPU time */
	V_SWEEP_LONGEST_WALL, /* ms */
	V_MAX,
};

#define V_FIRST_LOOKUP	  V_LOOP4
#define N_LOOKUP_VARIANTS (V_B16_INSIDE6 + 1 - V_FIRST_LOOKUP)

static const char *const variant_names[V_MAX] = {
	[V_INGEST] = "ingest, random order (routes)",
	[V_LOOP4] = "IPv4 loop alone (baseline)",
	[V_LPM_RANDOM4] = "IPv4 random, rfm_lpm alone",
	[V_RIB_RANDOM4] = "IPv4 random, rfm_rib_lookup",
	[V_LPM_INSIDE4] = "IPv4 inside the table, rfm_lpm alone",
	[V_RIB_INSIDE4] = "IPv4 inside the table, rfm_rib_lookup",
	[V_LOOP6] = "IPv6 loop alone (baseline)",
	[V_LPM_RANDOM6] = "IPv6 random, rfm_lpm alone",
	[V_RIB_RANDOM6] = "IPv6 random, rfm_rib_lookup",
	[V_LPM_INSIDE6] = "IPv6 inside the table, rfm_lpm alone",
	[V_RIB_INSIDE6] = "IPv6 inside the table, rfm_rib_lookup",
	[V_B2_RANDOM4] = "IPv4 random, rfm_rib_lookup_batch of 2",
	[V_B2_INSIDE4] = "IPv4 inside the table, rfm_rib_lookup_batch of 2",
	[V_B2_RANDOM6] = "IPv6 random, rfm_rib_lookup_batch of 2",
	[V_B2_INSIDE6] = "IPv6 inside the table, rfm_rib_lookup_batch of 2",
	[V_B16_RANDOM4] = "IPv4 random, rfm_rib_lookup_batch of 16",
	[V_B16_INSIDE4] = "IPv4 inside the table, rfm_rib_lookup_batch of 16",
	[V_B16_RANDOM6] = "IPv6 random, rfm_rib_lookup_batch of 16",
	[V_B16_INSIDE6] = "IPv6 inside the table, rfm_rib_lookup_batch of 16",
	[V_DEAD_INSIDE4] = "IPv4 inside the table, rfm_rib_lookup after the Peer Down, "
			   "before the sweep",
	[V_DOWN_CALL] = "Peer Down: rfm_rib_peer_down() call",
	[V_SWEEP_CPU] = "Peer Down: the sweep, in total",
	[V_SWEEP_STEPS] = "Peer Down: steps of the sweep",
	[V_SWEEP_P99] = "Peer Down: 99th percentile of the steps of the sweep",
	[V_SWEEP_LONGEST] = "Peer Down: longest step of the sweep",
	[V_SWEEP_LONGEST_WALL] = "Peer Down: longest step of the sweep (wall-clock)",
};

static const char *const variant_units[V_MAX] = {
	[V_DOWN_CALL] = "us (CPU)",	[V_SWEEP_CPU] = "s (CPU)",
	[V_SWEEP_STEPS] = "steps",	[V_SWEEP_P99] = "ms (CPU)",
	[V_SWEEP_LONGEST] = "ms (CPU)", [V_SWEEP_LONGEST_WALL] = "ms (wall)",
};

static volatile guint64 sink;

struct lookup_ctx {
	const struct bench_table *t;
	const struct rfm_rib *rib;
	const struct rfm_lpm *lpm[2];
};

enum lookup_kind { LK_LOOP, LK_LPM, LK_RIB };

/*
 * Lookups through rfm_rib_lookup_batch(), batch queries a call (enrich.c
 * makes batches of 2: a flow's source and destination), reading the same
 * of each match as time_lookups() does.
 */
static double time_batches(const struct lookup_ctx *c, int version, const guint8 *addrs,
			   guint batch)
{
	guint alen = version == 4 ? 4 : 16;
	struct stopwatch w = stopwatch_start();
	struct rfm_rib_query q[16];
	struct rfm_rib_match m[16];
	guint64 acc = 0;

	g_assert(batch <= G_N_ELEMENTS(q) && BENCH_LOOKUPS % batch == 0);
	for (guint32 i = 0; i < BENCH_LOOKUPS; i += batch) {
		for (guint j = 0; j < batch; j++) {
			q[j].addr = addrs + (gsize)(i + j) * alen;
			q[j].version = (guint8)version;
			q[j].use_default = false;
		}
		rfm_rib_lookup_batch(c->rib, batch, q, m);
		for (guint j = 0; j < batch; j++) {
			if (m[j].peer)
				acc += m[j].origin_as + m[j].first_as + m[j].next_hop[15] +
				       m[j].plen;
		}
	}
	sink += acc;
	return BENCH_LOOKUPS / stopwatch_stop(&w);
}

static double time_lookups(const struct lookup_ctx *c, int version, const guint8 *addrs,
			   enum lookup_kind kind)
{
	guint alen = version == 4 ? 4 : 16;
	const struct rfm_lpm *lpm = c->lpm[version == 6];
	struct stopwatch w = stopwatch_start();
	guint64 acc = 0;

	for (guint32 i = 0; i < BENCH_LOOKUPS; i++) {
		const guint8 *a = addrs + (gsize)i * alen;
		struct rfm_rib_match m;
		guint8 plen = 0;

		switch (kind) {
		case LK_LOOP:
			acc += a[0] ^ a[alen - 1];
			break;
		case LK_LPM:
			acc += rfm_lpm_lookup(lpm, a, &plen) + plen;
			break;
		case LK_RIB:
			/* What enrich.c reads of a match. */
			if (rfm_rib_lookup(c->rib, version, a, false, &m))
				acc += m.origin_as + m.first_as + m.next_hop[15] + m.plen;
			break;
		}
	}
	sink += acc;
	return BENCH_LOOKUPS / stopwatch_stop(&w);
}

static double run_lookup(const struct lookup_ctx *c, enum variant v)
{
	const struct bench_table *t = c->t;

	switch (v) {
	case V_LOOP4:
		return time_lookups(c, 4, t->random4, LK_LOOP);
	case V_LPM_RANDOM4:
		return time_lookups(c, 4, t->random4, LK_LPM);
	case V_RIB_RANDOM4:
		return time_lookups(c, 4, t->random4, LK_RIB);
	case V_LPM_INSIDE4:
		return time_lookups(c, 4, t->inside4, LK_LPM);
	case V_RIB_INSIDE4:
		return time_lookups(c, 4, t->inside4, LK_RIB);
	case V_LOOP6:
		return time_lookups(c, 6, t->random6, LK_LOOP);
	case V_LPM_RANDOM6:
		return time_lookups(c, 6, t->random6, LK_LPM);
	case V_RIB_RANDOM6:
		return time_lookups(c, 6, t->random6, LK_RIB);
	case V_LPM_INSIDE6:
		return time_lookups(c, 6, t->inside6, LK_LPM);
	case V_RIB_INSIDE6:
		return time_lookups(c, 6, t->inside6, LK_RIB);
	case V_B2_RANDOM4:
		return time_batches(c, 4, t->random4, 2);
	case V_B2_INSIDE4:
		return time_batches(c, 4, t->inside4, 2);
	case V_B2_RANDOM6:
		return time_batches(c, 6, t->random6, 2);
	case V_B2_INSIDE6:
		return time_batches(c, 6, t->inside6, 2);
	case V_B16_RANDOM4:
		return time_batches(c, 4, t->random4, 16);
	case V_B16_INSIDE4:
		return time_batches(c, 4, t->inside4, 16);
	case V_B16_RANDOM6:
		return time_batches(c, 6, t->random6, 16);
	case V_B16_INSIDE6:
		return time_batches(c, 6, t->inside6, 16);
	default:
		g_assert_not_reached();
	}
}

/* Lookups inside the table right after the Peer Down: every one must find nothing. */
static double time_dead_lookups(const struct lookup_ctx *c)
{
	struct stopwatch w = stopwatch_start();
	guint32 found = 0;
	double rate;

	for (guint32 i = 0; i < BENCH_LOOKUPS; i++) {
		struct rfm_rib_match m;

		found += rfm_rib_lookup(c->rib, 4, c->t->inside4 + (gsize)i * 4, false, &m);
	}
	rate = BENCH_LOOKUPS / stopwatch_stop(&w);
	if (found) {
		fprintf(stderr, "bench_rib: %u lookups found a route of the peer that went down\n",
			found);
		exit(1);
	}
	return rate;
}

static gint cmp_double(gconstpointer a, gconstpointer b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The sweep, as the agent's main loop runs it: idle dispatches until nothing is left. */
static void time_sweep(struct rfm_rib *rib, double rates[V_MAX])
{
	g_autoptr(GArray) times = g_array_new(FALSE, FALSE, sizeof(double));
	struct rfm_rib_stats st;
	double cpu = 0, longest = 0, longest_wall = 0;
	guint steps = 0;

	for (;;) {
		double c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID),
		       w0 = bench_clock_s(CLOCK_MONOTONIC);
		double c, wall;

		rfm_rib_get_stats(rib, &st);
		if (!st.routes_sweeping)
			break;
		g_main_context_iteration(NULL, FALSE);
		c = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		wall = bench_clock_s(CLOCK_MONOTONIC) - w0;
		cpu += c;
		g_array_append_val(times, c);
		longest = MAX(longest, c);
		longest_wall = MAX(longest_wall, wall);
		steps++;
	}
	while (g_main_context_iteration(NULL, FALSE))
		; /* the idle source goes */
	timed_cpu += cpu;
	rates[V_SWEEP_CPU] = cpu;
	rates[V_SWEEP_STEPS] = steps;
	g_array_sort(times, cmp_double);
	rates[V_SWEEP_P99] =
		times->len ? 1e3 * g_array_index(times, double, times->len * 99 / 100) : 0;
	rates[V_SWEEP_LONGEST] = 1e3 * longest;
	rates[V_SWEEP_LONGEST_WALL] = 1e3 * longest_wall;
	rfm_rib_get_stats(rib, &st);
	if (st.routes || st.prefixes_v4 || st.prefixes_v6 || st.attr_sets)
		g_error("%u routes, %u sets left after the sweep", st.routes, st.attr_sets);
}

/* One repetition: a new RIB takes the whole table, lookups, then the peer goes down. */
static void run_rep(const struct bench_table *t, const struct rfm_lpm *const lpm[2], guint rep,
		    double rates[V_MAX])
{
	struct lookup_ctx c = {.t = t, .lpm = {lpm[0], lpm[1]}};
	struct stopwatch w;
	struct rfm_rib *rib;
	guint32 peer;

	rib = rib_new_with_peer(&peer);
	w = stopwatch_start();
	rib_ingest(rib, peer, t);
	rates[V_INGEST] = t->n / stopwatch_stop(&w);
	c.rib = rib;
	for (guint k = 0; k < N_LOOKUP_VARIANTS; k++) {
		enum variant v = (enum variant)(V_FIRST_LOOKUP + (rep + k) % N_LOOKUP_VARIANTS);

		rates[v] = run_lookup(&c, v);
	}
	w = stopwatch_start();
	rfm_rib_peer_down(rib, peer);
	rates[V_DOWN_CALL] = 1e6 * stopwatch_stop(&w);
	rates[V_DEAD_INSIDE4] = time_dead_lookups(&c);
	time_sweep(rib, rates);
	rfm_rib_free(rib);
}

/* --- report ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_rib [-r REPS] [-c CPU] [-s SEED] [--small]\n"
		"  -r REPS  repetitions, at least 5 (default 5)\n"
		"  -c CPU   CPU to pin to (default: the highest allowed)\n"
		"  -s SEED  seed of the synthetic table (default %u)\n"
		"  --small  a table of a tenth of the size (a quick check)\n",
		BENCH_SEED);
}

static const char *met(bool ok)
{
	return ok ? "yes" : "**no**";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"small", no_argument, NULL, 'S'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	struct bench_table t = {0};
	struct memory_result mem;
	struct bench_summary res[V_MAX];
	struct rfm_lpm *lpm[2];
	guint32 n4 = BENCH_V4, n6 = BENCH_V6, seed = BENCH_SEED, peer;
	guint reps = BENCH_DEFAULT_REPS;
	int cpu = -1, opt, err;
	bool mem_ok;
	long preempted;
	struct rusage ru0, ru1;
	double gen_s;

	while ((opt = getopt_long(argc, argv, "r:c:s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			reps = (guint)atoi(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			seed = (guint32)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			n4 /= 10;
			n6 /= 10;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (reps < BENCH_MIN_REPS || optind != argc) {
		usage(stderr);
		return 2;
	}
	err = bench_pin_cpu(cpu, &cpu);
	if (err) {
		fprintf(stderr, "bench_rib: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}

	gen_s = bench_clock_s(CLOCK_MONOTONIC);
	table_build(&t, seed, n4, n6);
	gen_s = bench_clock_s(CLOCK_MONOTONIC) - gen_s;
	mem_ok = memory_measure(&t, &mem);

	/* The LPM baseline, and one discarded build so that the timed ones find warm memory. */
	lpm[0] = rfm_lpm_new(4);
	lpm[1] = rfm_lpm_new(6);
	for (guint32 i = 0; i < t.n; i++)
		rfm_lpm_insert(lpm[t.routes[i].version == 6], t.routes[i].addr, t.routes[i].plen,
			       i + 1);
	{
		struct rfm_rib *warm = rib_new_with_peer(&peer);

		rib_ingest(warm, peer, &t);
		rfm_rib_free(warm);
	}
	{
		g_autofree double *rates = g_new(double, (gsize)reps *V_MAX);
		g_autofree double *col = g_new(double, reps);

		getrusage(RUSAGE_SELF, &ru0);
		for (guint r = 0; r < reps; r++)
			run_rep(&t, (const struct rfm_lpm *const *)lpm, r,
				rates + (gsize)r * V_MAX);
		getrusage(RUSAGE_SELF, &ru1);
		preempted = ru1.ru_nivcsw - ru0.ru_nivcsw;
		for (int v = 0; v < V_MAX; v++) {
			for (guint r = 0; r < reps; r++)
				col[r] = rates[(gsize)r * V_MAX + v];
			res[v] = bench_summarise(col, reps);
		}
	}

	printf("# rfm RIB: one peer's full synthetic table, one core (CPU %d), seed %u, "
	       "%u repetitions\n\n",
	       cpu, seed, reps);
	printf("%u IPv4 + %u IPv6 routes; %u distinct AS paths of %u in use; %.0f %% of random "
	       "IPv4 and %.1f %% of random IPv6 (2000::/3) addresses covered; generated in "
	       "%.1f s.\n\n",
	       t.n4, t.n6, t.paths_used, BENCH_PATHS, 100 * t.covered4, 100 * t.covered6, gen_s);

	printf("## Memory (forked child)\n\n"
	       "memory(): rfm_rib_memory(). VmRSS: growth over the ingest. The LPM rows hold the "
	       "same prefixes in rfm_lpm tables alone, so the difference is what the RIB adds "
	       "(entries, paths, attribute sets, peers).\n\n");
	if (!mem_ok) {
		printf("(the child failed: no figures)\n\n");
	} else {
		printf("| what | routes | attr sets | memory() MiB | memory() B/route | VmRSS MiB "
		       "| "
		       "VmRSS B/route |\n|---|---:|---:|---:|---:|---:|---:|\n");
		printf("| RIB, full table | %u | %u | %.1f | %.1f | %.1f | %.1f |\n", mem.routes,
		       mem.attr_sets, mem.memory / 1048576.0, (double)mem.memory / mem.routes,
		       mem.rss_rib / 1048576.0, (double)mem.rss_rib / mem.routes);
		printf("| LPM alone, same prefixes | %u | - | %.1f | %.1f | %.1f | %.1f |\n",
		       mem.lpm_prefixes, mem.memory_lpm / 1048576.0,
		       (double)mem.memory_lpm / mem.lpm_prefixes, mem.rss_lpm / 1048576.0,
		       (double)mem.rss_lpm / mem.lpm_prefixes);
		printf("| RIB minus LPM | | | %.1f | %.1f | %.1f | %.1f |\n",
		       (double)(mem.memory - mem.memory_lpm) / 1048576.0,
		       (double)(mem.memory - mem.memory_lpm) / mem.routes,
		       (mem.rss_rib - mem.rss_lpm) / 1048576.0,
		       (double)(mem.rss_rib - mem.rss_lpm) / mem.routes);
		printf("| RIB after the Peer Down and the sweep (empty) | 0 | 0 | %.1f | - | %.1f "
		       "| - "
		       "|\n\n",
		       mem.memory_after_down / 1048576.0, mem.rss_after_down / 1048576.0);
	}

	printf("## Rates (one core, per second of CPU time)\n\n"
	       "| operation | unit | min | median | max |\n|---|---|---:|---:|---:|\n");
	for (int v = 0; v < V_MAX; v++) {
		const struct bench_summary *s = &res[v];

		if (variant_units[v])
			printf("| %s | %s | %.3f | %.3f | %.3f |\n", variant_names[v],
			       variant_units[v], s->min, s->median, s->max);
		else
			printf("| %s | M/s | %.2f | %.2f | %.2f |\n", variant_names[v],
			       s->min / 1e6, s->median / 1e6, s->max / 1e6);
	}
	printf("\nTimed runs: %.1f s of CPU time in %.1f s of wall-clock time (%.0f %% on the "
	       "CPU).\n",
	       timed_cpu, timed_wall, 100 * timed_cpu / timed_wall);
	if (preempted > BENCH_PREEMPTED)
		printf("\n%ld involuntary context switches during the timed runs: other tasks "
		       "shared the CPU, figures may be low.\n",
		       preempted);

	printf("\n## Targets\n\n| target | figure | met |\n|---|---:|---|\n");
	{
		double bytes = mem_ok ? (double)mem.memory / mem.routes : G_MAXDOUBLE;
		double rss = mem_ok ? (double)mem.rss_rib / mem.routes : G_MAXDOUBLE;
		double look = MIN(MIN(res[V_RIB_RANDOM4].median, res[V_RIB_INSIDE4].median),
				  MIN(res[V_RIB_RANDOM6].median, res[V_RIB_INSIDE6].median));
		double best = MIN(MIN(res[V_RIB_RANDOM4].max, res[V_RIB_INSIDE4].max),
				  MIN(res[V_RIB_RANDOM6].max, res[V_RIB_INSIDE6].max));

		printf("| ingest >= %.0f k routes/s (median) | %.0f k/s | %s |\n",
		       TARGET_INGEST / 1e3, res[V_INGEST].median / 1e3,
		       met(res[V_INGEST].median >= TARGET_INGEST));
		printf("| memory() <= %.0f B/route | %.1f | %s |\n", TARGET_BYTES, bytes,
		       met(bytes <= TARGET_BYTES));
		printf("| VmRSS growth <= %.0f B/route | %.1f | %s |\n", TARGET_BYTES, rss,
		       met(rss <= TARGET_BYTES));
		printf("| rfm_rib_lookup >= %.0f M/s (slowest median of the four) | %.2f M/s | %s "
		       "|\n",
		       TARGET_LOOKUPS / 1e6, look / 1e6, met(look >= TARGET_LOOKUPS));
		printf("| rfm_rib_lookup >= %.0f M/s (slowest of the four best runs) | %.2f M/s | "
		       "%s "
		       "|\n",
		       TARGET_LOOKUPS / 1e6, best / 1e6, met(best >= TARGET_LOOKUPS));
		for (int b = 0; b < 2; b++) {
			int v0 = b ? V_B16_RANDOM4 : V_B2_RANDOM4;
			double bm = G_MAXDOUBLE, bb = G_MAXDOUBLE;

			for (int v = v0; v < v0 + 4; v++) {
				bm = MIN(bm, res[v].median);
				bb = MIN(bb, res[v].max);
			}
			printf("| rfm_rib_lookup_batch of %d >= %.0f M/s (slowest median of the "
			       "four; "
			       "best run %.2f) | %.2f M/s | %s |\n",
			       b ? 16 : 2, TARGET_LOOKUPS / 1e6, bb / 1e6, bm / 1e6,
			       met(bm >= TARGET_LOOKUPS));
		}
		printf("| Peer Down of the full table: the call (median; no target) | %.1f us | - "
		       "|\n",
		       res[V_DOWN_CALL].median);
		printf("| Peer Down: the sweep, total (median; no target) | %.3f s | - |\n",
		       res[V_SWEEP_CPU].median);
		printf("| Peer Down: 99th percentile of the steps, CPU (median; no target) | %.2f "
		       "ms "
		       "| - |\n",
		       res[V_SWEEP_P99].median);
		printf("| Peer Down: longest blocking step, CPU (worst run; no target) | %.2f ms | "
		       "- "
		       "|\n",
		       res[V_SWEEP_LONGEST].max);
		printf("| Peer Down: longest blocking step, wall-clock (worst run; no target) | "
		       "%.2f "
		       "ms | - |\n",
		       res[V_SWEEP_LONGEST_WALL].max);
	}
	rfm_lpm_free(lpm[0]);
	rfm_lpm_free(lpm[1]);
	table_free(&t);
	return 0;
}
