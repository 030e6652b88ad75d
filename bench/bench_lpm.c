// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bench_lpm.c - what the longest-prefix-match table (lpm.c) costs with full
 * routing tables: bytes per prefix, insert and remove rates, and lookups
 * per second on one core.
 *
 * Two synthetic tables, the same for a given seed (-s):
 *   IPv4: 1,000,000 distinct prefixes, lengths as in a full table (63 % /24,
 *     21 % /22../23, 16 % /16../21, 0.4 % /8../15), each placed uniformly at
 *     random in 1.0.0.0-223.255.255.255: no clustering, so prefixes share no
 *     more of the trie than chance gives (real tables share more);
 *   IPv6: 200,000 distinct prefixes (50 % /48, 25 % /33../47, 15 % /32,
 *     4 % /29../31, the rest /49../64 and a few /20../28), inside 40,000
 *     allocations (80 % /32, 20 % /29) placed at random in the RIR blocks
 *     2400::/12, 2600::/12, 2800::/12, 2a00::/12, 2c00::/12 and 2001::/16;
 *     a prefix at least as long as its allocation lies at a random place in
 *     it (a /48 is usually alone in its /34).
 *
 * For each table:
 *   1 memory, in a forked child: rfm_lpm_memory() and the growth of VmRSS
 *     over the build, per prefix; then memory() after 5 rounds that each
 *     replace 10 % of the prefixes with new ones (freed memory reused);
 *   2 rates, pinned to one CPU, -r repetitions (min/median/max): insert
 *     every prefix into a new table in random order and in address order,
 *     remove them all in random order, and passes of 1,000,000 lookups:
 *     random addresses (IPv4: all of 0.0.0.0/0; IPv6: 2000::/3), addresses
 *     inside a random prefix of the table, and the loop alone reading the
 *     same addresses (baseline). The variants of a repetition run in a
 *     rotated order. Rates are per second of the thread's CPU time
 *     (CLOCK_THREAD_CPUTIME_ID), so that time other tasks take from the
 *     CPU does not count; the wall-clock time of the same runs is printed
 *     beside it. Memory is warm: a table is built and freed before the
 *     timed runs, since on the development VM the first touch of a page
 *     costs about 20 us (the host backing it), which would triple the cost
 *     of the first build and say nothing about the table.
 *
 * Not a test: prints Markdown tables with the targets of issue #4 for the
 * LPM (at most 40 bytes per prefix, at least 2 M inserts/s and 10 M random
 * lookups/s); exits 0.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <malloc.h>

#include <glib.h>

#include "lpm.h"

#include "bench_util.h"
#include "prefix_gen.h"

#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 5
#define BENCH_SEED	   20240601U
#define BENCH_LOOKUPS	   1000000U
#define BENCH_CHURN_ROUNDS 5
#define BENCH_CHURN_SHARE  10 /* % of the prefixes replaced per round */
#define BENCH_V6_ALLOCS	   40000U
#define BENCH_PREEMPTED	   50 /* involuntary context switches that make a run suspect */
#define TARGET_BYTES	   40.0
#define TARGET_INSERTS	   2e6
#define TARGET_LOOKUPS	   10e6

/* One table: its prefixes (the first n are the table, the rest churn in) and lookup addresses. */
struct bench_table {
	const char *name;
	int family;
	guint alen;
	guint32 n;
	guint32 nextra;		       /* prefixes after the first n, for the churn rounds */
	struct bench_prefix *prefixes; /* owned, n + nextra, random order */
	struct bench_prefix *sorted;   /* owned, the first n in address order */
	guint8 *random_addrs;	       /* owned, BENCH_LOOKUPS * alen */
	guint8 *inside_addrs;	       /* owned, likewise */
	double covered;		       /* share of random_addrs some prefix covers */
};

/* --- generator ------------------------------------------------------------ */

static guint prefix_hash(gconstpointer k)
{
	const struct bench_prefix *p = k;
	guint64 h = p->plen;

	for (guint i = 0; i < 16; i += 8) {
		guint64 w;

		memcpy(&w, p->addr + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (guint)h;
}

static gboolean prefix_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct bench_prefix));
}

static int prefix_cmp(const void *a, const void *b)
{
	const struct bench_prefix *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, 16);

	return c ? c : (int)x->plen - (int)y->plen;
}

/* An address inside p: its bits, then random ones. */
static void addr_inside(guint64 *s, const struct bench_prefix *p, guint alen, guint8 *out)
{
	guint8 a[16];

	memcpy(a, p->addr, 16);
	bench_fill_bits(s, a, p->plen, 8 * alen);
	memcpy(out, a, alen);
}

static void table_build(struct bench_table *b, guint32 seed)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(prefix_hash, prefix_equal);
	g_autofree struct bench_prefix *allocs = NULL;
	guint64 s = seed ^ (guint64)b->family << 32;
	guint32 total = b->n + b->nextra;
	struct rfm_lpm *t = rfm_lpm_new(b->family);
	guint32 hit = 0;

	b->alen = b->family == 4 ? 4 : 16;
	b->prefixes = g_new(struct bench_prefix, total);
	if (b->family == 6) {
		allocs = g_new(struct bench_prefix, BENCH_V6_ALLOCS);
		for (guint i = 0; i < BENCH_V6_ALLOCS; i++)
			bench_gen_v6_alloc(&s, &allocs[i]);
	}
	for (guint32 i = 0; i < total; i++) {
		do {
			if (b->family == 4)
				bench_gen_v4(&s, &b->prefixes[i]);
			else
				bench_gen_v6(&s, allocs, BENCH_V6_ALLOCS, &b->prefixes[i]);
		} while (!g_hash_table_add(seen, &b->prefixes[i]));
	}
	b->sorted = g_memdup2(b->prefixes, sizeof(struct bench_prefix) * b->n);
	qsort(b->sorted, b->n, sizeof(struct bench_prefix), prefix_cmp);

	b->random_addrs = g_malloc((gsize)BENCH_LOOKUPS * b->alen);
	b->inside_addrs = g_malloc((gsize)BENCH_LOOKUPS * b->alen);
	for (guint32 i = 0; i < b->n; i++)
		rfm_lpm_insert(t, b->prefixes[i].addr, b->prefixes[i].plen, i + 1);
	for (guint32 i = 0; i < BENCH_LOOKUPS; i++) {
		guint8 *r = b->random_addrs + (gsize)i * b->alen;
		struct bench_prefix any = {{0x20}, 3}; /* 2000::/3 */

		if (b->family == 4)
			any.plen = 0;
		addr_inside(&s, &any, b->alen, r);
		hit += rfm_lpm_lookup(t, r, NULL) != 0;
		addr_inside(&s, &b->prefixes[bench_rng_below(&s, b->n)], b->alen,
			    b->inside_addrs + (gsize)i * b->alen);
	}
	b->covered = (double)hit / BENCH_LOOKUPS;
	rfm_lpm_free(t);
}

static void table_free(struct bench_table *b)
{
	g_free(b->prefixes);
	g_free(b->sorted);
	g_free(b->random_addrs);
	g_free(b->inside_addrs);
}

/* --- helpers -------------------------------------------------------------- */

/* CPU and wall time spent in timed sections, for the contention line. */
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

/* --- memory --------------------------------------------------------------- */

struct memory_result {
	gint64 rss_delta;
	guint64 memory;
	guint64 memory_churn;
	guint32 count, count_churn;
};

/* In a child, so that VmRSS grows by the table only. */
static void memory_child(const struct bench_table *b, int fd)
{
	guint32 next = b->n, per_round = b->n / 100 * BENCH_CHURN_SHARE;
	g_autofree guint32 *live = g_new(guint32, b->n);
	gint64 rss0;
	struct rfm_lpm *t = rfm_lpm_new(b->family);
	struct memory_result r = {0};
	guint64 s = 7;

	/* Give back what the parent freed, so that the build's pages count. */
	malloc_trim(0);
	rss0 = bench_proc_status_bytes("VmRSS");
	for (guint32 i = 0; i < b->n; i++)
		rfm_lpm_insert(t, b->prefixes[i].addr, b->prefixes[i].plen, i + 1);
	r.rss_delta = bench_proc_status_bytes("VmRSS") - rss0;
	r.memory = rfm_lpm_memory(t);
	r.count = rfm_lpm_count(t);

	/* Each round removes random prefixes of the table and inserts unused ones. */
	for (guint32 i = 0; i < b->n; i++)
		live[i] = i;
	for (guint round = 0; round < BENCH_CHURN_ROUNDS; round++) {
		for (guint32 k = 0; k < per_round && next < b->n + b->nextra; k++) {
			guint32 j = bench_rng_below(&s, b->n);
			const struct bench_prefix *p = &b->prefixes[live[j]];

			rfm_lpm_remove(t, p->addr, p->plen);
			live[j] = next++;
			p = &b->prefixes[live[j]];
			rfm_lpm_insert(t, p->addr, p->plen, live[j] + 1);
		}
	}
	r.memory_churn = rfm_lpm_memory(t);
	r.count_churn = rfm_lpm_count(t);
	rfm_lpm_free(t);
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	_exit(0);
}

static bool memory_measure(const struct bench_table *b, struct memory_result *r)
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
		memory_child(b, fds[1]);
	}
	close(fds[1]);
	ok = read(fds[0], r, sizeof(*r)) == sizeof(*r);
	close(fds[0]);
	ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status) && ok;
	return ok;
}

/* --- rates ---------------------------------------------------------------- */

enum variant {
	V_INSERT_RANDOM,
	V_INSERT_SORTED,
	V_REMOVE,
	V_LOOP,
	V_RANDOM,
	V_INSIDE,
	V_MAX,
};

static const char *const variant_names[V_MAX] = {
	[V_INSERT_RANDOM] = "insert, random order",
	[V_INSERT_SORTED] = "insert, address order",
	[V_REMOVE] = "remove, random order",
	[V_LOOP] = "loop alone (baseline)",
	[V_RANDOM] = "lookup, random addresses",
	[V_INSIDE] = "lookup, addresses inside the table",
};

static volatile guint64 sink;

static double time_insert(const struct bench_table *b, const struct bench_prefix *p,
			  struct rfm_lpm *t)
{
	struct stopwatch w = stopwatch_start();

	for (guint32 i = 0; i < b->n; i++)
		rfm_lpm_insert(t, p[i].addr, p[i].plen, i + 1);
	return b->n / stopwatch_stop(&w);
}

static double time_lookups(const struct bench_table *b, const struct rfm_lpm *t,
			   const guint8 *addrs, bool loop_only)
{
	struct stopwatch w = stopwatch_start();
	guint64 acc = 0;

	for (guint32 i = 0; i < BENCH_LOOKUPS; i++) {
		const guint8 *a = addrs + (gsize)i * b->alen;
		guint8 plen = 0;

		if (loop_only)
			acc += a[0] ^ a[b->alen - 1];
		else
			acc += rfm_lpm_lookup(t, a, &plen) + plen;
	}
	sink += acc;
	return BENCH_LOOKUPS / stopwatch_stop(&w);
}

/* One repetition: rates[v] for every variant, lookups in a rotated order. */
static void run_rep(const struct bench_table *b, guint rep, double rates[V_MAX])
{
	struct rfm_lpm *t = rfm_lpm_new(b->family), *t2;
	struct stopwatch w;

	rates[V_INSERT_RANDOM] = time_insert(b, b->prefixes, t);
	for (guint k = 0; k < 3; k++) {
		enum variant v = (enum variant)(V_LOOP + (rep + k) % 3);

		rates[v] = time_lookups(b, t, v == V_INSIDE ? b->inside_addrs : b->random_addrs,
					v == V_LOOP);
	}
	w = stopwatch_start();
	for (guint32 i = 0; i < b->n; i++)
		rfm_lpm_remove(t, b->prefixes[i].addr, b->prefixes[i].plen);
	rates[V_REMOVE] = b->n / stopwatch_stop(&w);
	if (rfm_lpm_count(t) != 0)
		g_error("%s: %u prefixes left after removing all", b->name, rfm_lpm_count(t));
	rfm_lpm_free(t);
	t2 = rfm_lpm_new(b->family);
	rates[V_INSERT_SORTED] = time_insert(b, b->sorted, t2);
	rfm_lpm_free(t2);
}

/* --- report --------------------------------------------------------------- */

struct family_result {
	struct memory_result mem;
	bool mem_ok;
	struct bench_summary rates[V_MAX];
	long preempted;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_lpm [-r REPS] [-c CPU] [-s SEED] [--small]\n"
		"  -r REPS  repetitions, at least 5 (default 5)\n"
		"  -c CPU   CPU to pin to (default: the highest allowed)\n"
		"  -s SEED  seed of the synthetic tables (default %u)\n"
		"  --small  tables of a tenth of the size (a quick check)\n",
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
	struct bench_table tables[2] = {{.name = "IPv4", .family = 4, .n = 1000000},
					{.name = "IPv6", .family = 6, .n = 200000}};
	struct family_result res[2];
	guint reps = BENCH_DEFAULT_REPS;
	guint32 seed = BENCH_SEED;
	int cpu = -1, opt, err;

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
			tables[0].n /= 10;
			tables[1].n /= 10;
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
		fprintf(stderr, "bench_lpm: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}

	printf("# rfm LPM: full synthetic tables, one core (CPU %d), seed %u, %u repetitions\n\n",
	       cpu, seed, reps);
	for (int f = 0; f < 2; f++) {
		struct bench_table *b = &tables[f];
		g_autofree double *rates = g_new(double, (gsize)reps *V_MAX);
		g_autofree double *col = g_new(double, reps);
		long nivcsw0;

		b->nextra = b->n / 100 * BENCH_CHURN_SHARE * BENCH_CHURN_ROUNDS;
		table_build(b, seed);
		res[f].mem_ok = memory_measure(b, &res[f].mem);
		nivcsw0 = bench_involuntary_switches();
		for (guint r = 0; r < reps; r++)
			run_rep(b, r, rates + (gsize)r * V_MAX);
		res[f].preempted = bench_involuntary_switches() - nivcsw0;
		for (int v = 0; v < V_MAX; v++) {
			for (guint r = 0; r < reps; r++)
				col[r] = rates[(gsize)r * V_MAX + v];
			res[f].rates[v] = bench_summarise(col, reps);
		}
	}

	printf("## Memory\n\n"
	       "memory(): rfm_lpm_memory() (every chunk held, free blocks included). VmRSS: growth "
	       "over the build, in a forked child. After churn: memory() after %u rounds that "
	       "each replace %u %% of the prefixes with new ones.\n\n",
	       BENCH_CHURN_ROUNDS, BENCH_CHURN_SHARE);
	printf("| table | prefixes | memory() MiB | memory() B/prefix | VmRSS growth B/prefix | "
	       "after churn B/prefix |\n|---|---:|---:|---:|---:|---:|\n");
	for (int f = 0; f < 2; f++) {
		const struct memory_result *m = &res[f].mem;

		if (!res[f].mem_ok) {
			printf("| %s | - | - | - | - | - |\n", tables[f].name);
			continue;
		}
		printf("| %s | %u | %.1f | %.1f | %.1f | %.1f |\n", tables[f].name, m->count,
		       m->memory / 1048576.0, (double)m->memory / m->count,
		       (double)m->rss_delta / m->count, (double)m->memory_churn / m->count_churn);
	}

	printf("\n## Rates (millions per second of CPU time, one core)\n\n"
	       "| table | operation | min | median | max |\n|---|---|---:|---:|---:|\n");
	for (int f = 0; f < 2; f++) {
		for (int v = 0; v < V_MAX; v++) {
			const struct bench_summary *s = &res[f].rates[v];
			g_autofree char *extra = v == V_RANDOM
							 ? g_strdup_printf(" (%.0f %% covered)",
									   100 * tables[f].covered)
							 : g_strdup("");

			printf("| %s | %s%s | %.2f | %.2f | %.2f |\n", tables[f].name,
			       variant_names[v], extra, s->min / 1e6, s->median / 1e6,
			       s->max / 1e6);
		}
	}
	printf("\nTimed runs: %.1f s of CPU time in %.1f s of wall-clock time (%.0f %% of the "
	       "time on the CPU).\n",
	       timed_cpu, timed_wall, 100 * timed_cpu / timed_wall);
	for (int f = 0; f < 2; f++)
		if (res[f].preempted > BENCH_PREEMPTED)
			printf("\n%s: %ld involuntary context switches during the timed runs: "
			       "other "
			       "tasks shared the CPU, figures may be low.\n",
			       tables[f].name, res[f].preempted);

	printf("\n## Targets (issue #4, the LPM's share)\n\n| target | IPv4 | IPv6 | met |\n"
	       "|---|---:|---:|---|\n");
	{
		double bytes[2], ins[2], look[2];

		for (int f = 0; f < 2; f++) {
			bytes[f] = res[f].mem_ok ? (double)res[f].mem.memory / res[f].mem.count
						 : G_MAXDOUBLE;
			ins[f] = res[f].rates[V_INSERT_RANDOM].median;
			look[f] = res[f].rates[V_RANDOM].median;
		}
		printf("| memory() <= %.0f B/prefix | %.1f | %.1f | %s |\n", TARGET_BYTES, bytes[0],
		       bytes[1], met(bytes[0] <= TARGET_BYTES && bytes[1] <= TARGET_BYTES));
		printf("| insert >= %.0f M/s (random order, median) | %.2f | %.2f | %s |\n",
		       TARGET_INSERTS / 1e6, ins[0] / 1e6, ins[1] / 1e6,
		       met(ins[0] >= TARGET_INSERTS && ins[1] >= TARGET_INSERTS));
		printf("| random-address lookups >= %.0f M/s (median) | %.2f | %.2f | %s |\n",
		       TARGET_LOOKUPS / 1e6, look[0] / 1e6, look[1] / 1e6,
		       met(look[0] >= TARGET_LOOKUPS && look[1] >= TARGET_LOOKUPS));
	}
	for (int f = 0; f < 2; f++)
		table_free(&tables[f]);
	return 0;
}
