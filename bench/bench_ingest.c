/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_ingest.c - what the agent's side of the ring buffer costs: events
 * per second one core drains into the flow table, instructions per event,
 * and bytes per flow held.
 *
 * Default run (needs root: CAP_BPF to load the producer):
 *   1 bytes per flow at 100k and 1M flows, each in a forked child:
 *     rfm_flow_table_memory() / flows, VmRSS growth / flows and malloc's
 *     in-use growth (mallinfo2) / flows;
 *   2 events per second: producer.bpf.c, run with BPF_PROG_TEST_RUN, fills
 *     a ring buffer with a batch of records; the timed part is one
 *     ring_buffer__consume() into the real flow table (what the agent's
 *     drain timer does), pinned to one CPU. A no-op callback consuming the
 *     same kind of batch is the baseline, interleaved in the same run.
 * --memory runs part 1 only. --callgrind runs one deterministic ingest of a
 * pre-generated event array for callgrind.sh (see README.md).
 *
 * Not a test: it prints Markdown tables with the targets; the exit status
 * is 1 only when a figure does not measure what it claims (records lost,
 * flows created or ended during the timed runs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#else
#define BENCH_HAVE_CALLGRIND 0
#endif

#include "flow_table.h"
#include "ingest_gen.h"
#include "producer.skel.h"

#include "bench_util.h"

#define BENCH_MIN_REPS	     5
#define BENCH_DEFAULT_REPS   7
#define BENCH_DEFAULT_BATCH  (1U << 20) /* records per produced and consumed batch */
#define BENCH_DEFAULT_RING   256U	/* MiB */
#define BENCH_RECORD_BYTES   (sizeof(struct rfm_event) + 8) /* + BPF_RINGBUF_HDR_SZ */
#define BENCH_EVENTS_PER_MS  3000			    /* simulated clock: 3 M events/s */
#define BENCH_EXPIRE_MS	     10 /* the agent's drain (and expiry) interval */
#define BENCH_ZIPF_S	     1.0
#define BENCH_SEED	     20240503U
#define BENCH_CG_EVENTS	     1000000U
#define BENCH_PREEMPTED	     50 /* involuntary context switches that make a run suspect */
#define BENCH_TARGET_EPS     3e6
#define BENCH_TARGET_PERFLOW 128.0

static const guint32 bench_flow_counts[] = {10000, 100000, 1000000};
static const guint32 bench_memory_counts[] = {100000, 1000000};
#define BENCH_NTABLES G_N_ELEMENTS(bench_flow_counts)

/*
 * Flows stay for the whole run: timeouts of a day, no TCP end (the
 * generator sends no FIN/RST anyway), room for every flow.
 */
static const struct rfm_flow_table_options bench_table_opts = {
	.idle_timeout_ms = 24 * 3600 * 1000,
	.active_timeout_ms = 24 * 3600 * 1000,
	.max_flows = 2000000,
	.tcp_end = true,
	.tcp_end_grace_ms = 1000,
	.max_next_hops = 1024,
};

/*
 * DOC: the consumer's side of one flow table: the table and the simulated
 * clock its events are stamped with. The clock advances 1 ms every
 * events_per_ms events, and every BENCH_EXPIRE_MS of it the table is swept,
 * as the agent sweeps on its drain timer. Owned by struct bench (or by the
 * callgrind and memory runs' stack frames); table owned.
 */
struct ingest {
	struct rfm_flow_table *table;
	guint64 now_ms;
	guint64 next_expire_ms;
	guint32 tick; /* events since now_ms last advanced */
	guint32 events_per_ms;
	guint64 events;		     /* events the table callback saw */
	guint64 checksum;	     /* what the reading baseline of --callgrind sums */
	struct rfm_flow_batch batch; /* events copied out of the ring, as the agent does */
};

/* DOC: one row of the throughput table. Owned by struct bench; eps owned. */
struct variant {
	const char *keys; /* static */
	enum bench_gen_mode mode;
	guint32 nflows;
	int table;	      /* index into bench.tables, -1: the no-op baseline */
	double *eps;	      /* events per CPU second, per recorded repetition */
	double *eps_wall;     /* events per wall-clock second, per recorded repetition */
	guint64 batches;      /* recorded */
	guint64 produced;     /* recorded */
	guint64 consumed;     /* recorded, as ring_buffer__consume() counted them */
	guint64 ring_full;    /* recorded */
	guint64 left_in_ring; /* records a second consume found after a timed one */
	guint64 callback_saw; /* events the table callback counted, recorded */
};

/* DOC: the throughput run, owned by main(). */
struct bench {
	struct producer *skel;	    /* owned */
	struct ring_buffer *rb_tab; /* owned: callback into the flow table */
	struct ring_buffer *rb_nop; /* owned: no-op callback, same ring */
	struct ingest tables[BENCH_NTABLES];
	guint32 *pools[BENCH_NTABLES]; /* owned: Zipf pools, BENCH_POOL_SIZE entries */
	guint32 *pool_map;	       /* the mmapped pool map */
	struct ingest *current;	       /* borrowed: table the ring callback feeds */
	struct variant *variants;      /* owned */
	guint nvariants;
	guint reps;
	guint32 batch;
	guint32 ring_mib;
	guint32 events_per_ms;
	int cpu;
	guint32 only_flows; /* -F: time only this flow count (0: all) */
	int only_keys;	    /* -k: time only this bench_gen_mode (-1: both) */
	long preempted;
	double fill_eps[BENCH_NTABLES]; /* first pass: every event creates a flow */
	guint64 created_after_fill[BENCH_NTABLES];
	double pool_top1[BENCH_NTABLES]; /* share of pool entries on the top 1 % of flows */
	guint32 pool_distinct[BENCH_NTABLES];
};

static void ingest_init(struct ingest *in, guint32 events_per_ms)
{
	memset(in, 0, sizeof(*in));
	in->table = rfm_flow_table_new(&bench_table_opts);
	in->now_ms = 1700000000000ULL; /* Unix ms, as the agent's wall clock */
	in->next_expire_ms = in->now_ms + BENCH_EXPIRE_MS;
	in->events_per_ms = events_per_ms;
}

/* Advance the simulated clock by one event; sweep every BENCH_EXPIRE_MS. */
static inline void ingest_tick(struct ingest *in)
{
	if (++in->tick < in->events_per_ms)
		return;
	in->tick = 0;
	in->now_ms++;
	if (in->now_ms >= in->next_expire_ms) {
		rfm_flow_table_update_batch(in->table, &in->batch);
		rfm_flow_table_expire(in->table, in->now_ms);
		in->next_expire_ms += BENCH_EXPIRE_MS;
	}
}

/* The agent's ring callback: check the size as datapath.c does, account the event. */
static int ingest_table_cb(void *ctx, void *data, size_t size)
{
	struct ingest *in = ctx;

	if (size < sizeof(struct rfm_event))
		return 0;
	rfm_flow_batch_add(in->table, &in->batch, data, in->now_ms);
	in->events++;
	ingest_tick(in);
	return 0;
}

/* The throughput baseline: libbpf's record walk and nothing else. */
static int ingest_noop_cb(void *ctx G_GNUC_UNUSED, void *data G_GNUC_UNUSED,
			  size_t size G_GNUC_UNUSED)
{
	return 0;
}

/* The --callgrind baseline: read the event, account nothing. */
static int ingest_read_cb(void *ctx, void *data, size_t size)
{
	struct ingest *in = ctx;
	const struct rfm_event *ev = data;

	if (size < sizeof(struct rfm_event))
		return 0;
	in->checksum += ev->octets ^ ev->src_port;
	return 0;
}

/* The ring callback of the timed turns: feeds the table bench.current names. */
static int bench_ring_cb(void *ctx, void *data, size_t size)
{
	struct bench *b = ctx;

	return ingest_table_cb(b->current, data, size);
}

/* --- Zipf pool ------------------------------------------------------------ */

/*
 * Fill pool with BENCH_POOL_SIZE flow indexes drawn from Zipf(s) over
 * nflows ranks (P(rank k) ~ 1 / k^s), by inverse transform over the CDF.
 * Ranks map to flow indexes through a random permutation, so popular flows
 * are not the first ones inserted (adjacent records) but spread over the
 * table. Deterministic for a seed. Returns the share of entries on the
 * top 1 % of ranks and the number of distinct flows in *distinct.
 */
static double zipf_pool_fill(guint32 *pool, guint32 nflows, double s, guint32 seed,
			     guint32 *distinct)
{
	g_autoptr(GRand) rng = g_rand_new_with_seed(seed);
	g_autofree double *cdf = g_new(double, nflows);
	g_autofree guint32 *perm = g_new(guint32, nflows);
	g_autofree guint8 *seen = g_new0(guint8, nflows);
	guint32 top = MAX(1, nflows / 100), on_top = 0;
	double sum = 0;

	for (guint32 k = 0; k < nflows; k++) {
		sum += pow(k + 1.0, -s);
		cdf[k] = sum;
		perm[k] = k;
	}
	for (guint32 k = nflows - 1; k > 0; k--) {
		guint32 j = g_rand_int_range(rng, 0, (gint32)k + 1), tmp = perm[k];

		perm[k] = perm[j];
		perm[j] = tmp;
	}
	*distinct = 0;
	for (guint32 i = 0; i < BENCH_POOL_SIZE; i++) {
		double u = g_rand_double(rng) * sum;
		guint32 lo = 0, hi = nflows - 1;

		while (lo < hi) {
			guint32 mid = lo + (hi - lo) / 2;

			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		pool[i] = perm[lo];
		on_top += lo < top;
		if (!seen[lo]) {
			seen[lo] = 1;
			(*distinct)++;
		}
	}
	return (double)on_top / BENCH_POOL_SIZE;
}

/* --- helpers -------------------------------------------------------------- */

static gint64 malloc_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (gint64)(mi.uordblks + mi.hblkhd);
}

static const char *met(bool ok)
{
	return ok ? "met" : "**NOT met**";
}

/* --- part 1: bytes per flow ----------------------------------------------- */

struct memory_result {
	guint64 flows;
	guint64 table_bytes;
	gint64 rss_delta;
	gint64 heap_delta;
	guint32 active;
};

/* In a fresh child: insert nflows flows, one event each, and measure. */
static void memory_child(guint32 nflows, int fd)
{
	struct memory_result r = {.flows = nflows};
	struct rfm_flow_table_stats st;
	struct rfm_event ev;
	struct ingest in;
	gint64 rss0, heap0;
	ssize_t n;

	g_random_set_seed(BENCH_SEED);
	malloc_trim(0);
	rss0 = bench_proc_status_bytes("VmRSS");
	heap0 = malloc_in_use();
	ingest_init(&in, BENCH_EVENTS_PER_MS);
	for (guint32 i = 0; i < nflows; i++) {
		bench_gen_event(&ev, i, bench_gen_hash(i ^ BENCH_SEED));
		ingest_table_cb(&in, &ev, sizeof(ev));
	}
	rfm_flow_table_update_batch(in.table, &in.batch);
	r.rss_delta = bench_proc_status_bytes("VmRSS") - rss0;
	r.heap_delta = malloc_in_use() - heap0;
	r.table_bytes = rfm_flow_table_memory(in.table);
	rfm_flow_table_get_stats(in.table, &st);
	r.active = st.active;
	n = write(fd, &r, sizeof(r));
	_exit(n == sizeof(r) ? 0 : 1);
}

static bool memory_run(guint32 nflows, struct memory_result *r)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		memory_child(nflows, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], r, sizeof(*r));
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return false;
	return n == sizeof(*r);
}

static bool memory_report(void)
{
	bool valid = true;

	printf("## Bytes per flow held\n\n");
	printf("Each row in a freshly forked child: a new table, one event per flow (generator "
	       "of ingest_gen.h, sequential flow indexes), then the growth of VmRSS and of "
	       "malloc's bytes in use (mallinfo2 uordblks + hblkhd) over the insertion, divided "
	       "by the flows. Records come in chunks of 4096; the bucket array doubles when "
	       "the flows exceed it.\n\n");
	printf("| flows | active | table memory() MiB | memory() B/flow | VmRSS growth B/flow | "
	       "malloc growth B/flow | target | met |\n");
	printf("|---:|---:|---:|---:|---:|---:|---|---|\n");
	for (gsize i = 0; i < G_N_ELEMENTS(bench_memory_counts); i++) {
		struct memory_result r;
		double mem, rss, heap;

		if (!memory_run(bench_memory_counts[i], &r)) {
			printf("| %u | child failed | | | | | | |\n", bench_memory_counts[i]);
			valid = false;
			continue;
		}
		mem = (double)r.table_bytes / r.flows;
		rss = (double)r.rss_delta / r.flows;
		heap = (double)r.heap_delta / r.flows;
		if (r.active != r.flows)
			valid = false;
		printf("| %" G_GUINT64_FORMAT
		       " | %u%s | %.1f | %.1f | %.1f | %.1f | <= %.0f B/flow "
		       "| %s |\n",
		       r.flows, r.active, r.active == r.flows ? "" : " **INVALID**",
		       r.table_bytes / 1048576.0, mem, rss, heap, BENCH_TARGET_PERFLOW,
		       met(MAX(MAX(mem, rss), heap) <= BENCH_TARGET_PERFLOW));
	}
	printf("\n`met` requires all three figures within the target.\n\n");
	return valid;
}

/* --- part 2: events per second -------------------------------------------- */

static void variant_add(struct bench *b, const char *keys, enum bench_gen_mode mode, guint32 nflows,
			int table)
{
	struct variant *v = &b->variants[b->nvariants++];

	v->keys = keys;
	v->mode = mode;
	v->nflows = nflows;
	v->table = table;
	v->eps = g_new0(double, b->reps);
	v->eps_wall = g_new0(double, b->reps);
}

/* Run the producer once with .repeat = n. Returns 0 or -errno. */
static int produce(struct bench *b, guint32 n)
{
	static const guint8 frame[64] = {[12] = 0x08, [13] = 0x00};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame),
		    .repeat = n);
	int err = bpf_prog_test_run_opts(bpf_program__fd(b->skel->progs.produce), &opts);

	if (err) {
		fprintf(stderr, "bench_ingest: BPF_PROG_TEST_RUN: %s\n", g_strerror(-err));
		return err;
	}
	if ((int)opts.retval != RFM_TC_NEXT) {
		fprintf(stderr, "bench_ingest: producer returned %d\n", (int)opts.retval);
		return -EPROTO;
	}
	return 0;
}

static void set_source(struct bench *b, enum bench_gen_mode mode, guint32 nflows, int table)
{
	b->skel->bss->mode = mode;
	b->skel->bss->nflows = nflows;
	b->skel->bss->next_seq = 0;
	if (mode == BENCH_GEN_ZIPF)
		memcpy(b->pool_map, b->pools[table], sizeof(guint32) * BENCH_POOL_SIZE);
}

/*
 * Write and drain the whole ring twice with the no-op consumer before
 * anything is timed. On this VM the first accesses to each page of the
 * ring's user mapping are several times slower than later ones (the first
 * pass over a 96 MiB batch took 33 ms, later ones 4 ms), which would
 * charge a one-time cost to whichever rows run first. The agent's ring is
 * touched on every drain, so the warm state is the one to measure.
 */
static int bench_warm_ring(struct bench *b)
{
	guint64 n = 2 * (((guint64)b->ring_mib << 20) / BENCH_RECORD_BYTES);

	set_source(b, BENCH_GEN_UNIFORM, bench_flow_counts[BENCH_NTABLES - 1], 0);
	for (guint64 done = 0; done < n; done += b->batch) {
		int err = produce(b, b->batch), got;

		if (err)
			return err;
		got = ring_buffer__consume(b->rb_nop);
		if (got != (int)b->batch) {
			fprintf(stderr, "bench_ingest: ring warm-up consumed %d of %u\n", got,
				b->batch);
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * Insert every flow of table i once (sequential indexes), in batches: the
 * table then holds all its flows before any timed run, and the timed runs
 * measure updates of existing flows (the steady state of a busy agent).
 */
static int bench_fill(struct bench *b, int i)
{
	struct ingest *in = &b->tables[i];
	guint32 n = bench_flow_counts[i], done = 0;
	struct rfm_flow_table_stats st;
	double t = 0;

	set_source(b, BENCH_GEN_SEQUENTIAL, n, i);
	b->current = in;
	while (done < n) {
		guint32 k = MIN(b->batch, n - done);
		double t0;
		int err = produce(b, k), got;

		if (err)
			return err;
		t0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
		got = ring_buffer__consume(b->rb_tab);
		rfm_flow_table_update_batch(in->table, &in->batch);
		t += bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
		if (got != (int)k) {
			fprintf(stderr, "bench_ingest: fill consumed %d of %u\n", got, k);
			return -EPROTO;
		}
		done += k;
	}
	rfm_flow_table_get_stats(in->table, &st);
	if (st.active != n || st.created != n) {
		fprintf(stderr,
			"bench_ingest: fill of %u flows gave %u active, %" G_GUINT64_FORMAT
			" created\n",
			n, st.active, st.created);
		return -EPROTO;
	}
	b->fill_eps[i] = n / t;
	b->created_after_fill[i] = st.created;
	return 0;
}

/* One turn of variant v: produce a batch, consume it (timed). Returns 0 or -errno. */
static int bench_turn(struct bench *b, struct variant *v, guint rep, bool record)
{
	guint64 prod0 = b->skel->bss->produced, full0 = b->skel->bss->ring_full;
	struct ingest *in = v->table >= 0 ? &b->tables[v->table] : NULL;
	guint64 seen0 = in ? in->events : 0;
	struct ring_buffer *rb = in ? b->rb_tab : b->rb_nop;
	double t0, t1, c0, c1;
	int err, got, left;

	set_source(b, v->mode, v->nflows, v->table >= 0 ? v->table : 0);
	b->current = in;
	err = produce(b, b->batch);
	if (err)
		return err;
	c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	t0 = bench_clock_s(CLOCK_MONOTONIC);
	got = ring_buffer__consume(rb);
	if (in)
		rfm_flow_table_update_batch(in->table, &in->batch);
	t1 = bench_clock_s(CLOCK_MONOTONIC);
	c1 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	if (got < 0) {
		fprintf(stderr, "bench_ingest: ring_buffer__consume: %s\n", g_strerror(-got));
		return got;
	}
	left = ring_buffer__consume(rb);
	b->current = NULL;
	if (!record)
		return 0;
	v->eps[rep] = got / (c1 - c0);
	v->eps_wall[rep] = got / (t1 - t0);
	v->batches++;
	v->produced += b->skel->bss->produced - prod0;
	v->ring_full += b->skel->bss->ring_full - full0;
	v->consumed += got;
	v->left_in_ring += left > 0 ? left : 0;
	if (in)
		v->callback_saw += in->events - seen0;
	return 0;
}

/* Every variant once, starting one later each repetition. */
static int bench_repetition(struct bench *b, guint rep, bool record)
{
	for (guint k = 0; k < b->nvariants; k++) {
		int err = bench_turn(b, &b->variants[(rep + k) % b->nvariants], rep, record);

		if (err)
			return err;
	}
	return 0;
}

static int bench_setup(struct bench *b)
{
	int err, fd;

	b->skel = producer__open();
	if (!b->skel) {
		fprintf(stderr, "bench_ingest: cannot open the producer: %s\n", g_strerror(errno));
		return -errno;
	}
	bpf_map__set_max_entries(b->skel->maps.events, b->ring_mib << 20);
	err = producer__load(b->skel);
	if (err) {
		fprintf(stderr, "bench_ingest: cannot load the producer: %s (needs root)\n",
			g_strerror(-err));
		return err;
	}
	fd = bpf_map__fd(b->skel->maps.pool);
	b->pool_map = mmap(NULL, sizeof(guint32) * BENCH_POOL_SIZE, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
	if (b->pool_map == MAP_FAILED) {
		b->pool_map = NULL;
		fprintf(stderr, "bench_ingest: cannot map the pool: %s\n", g_strerror(errno));
		return -errno;
	}
	fd = bpf_map__fd(b->skel->maps.events);
	b->rb_tab = ring_buffer__new(fd, bench_ring_cb, b, NULL);
	b->rb_nop = ring_buffer__new(fd, ingest_noop_cb, NULL, NULL);
	if (!b->rb_tab || !b->rb_nop) {
		fprintf(stderr, "bench_ingest: cannot map the ring buffer: %s\n",
			g_strerror(errno));
		return -errno;
	}
	for (guint i = 0; i < BENCH_NTABLES; i++) {
		ingest_init(&b->tables[i], b->events_per_ms);
		b->pools[i] = g_new(guint32, BENCH_POOL_SIZE);
		b->pool_top1[i] = zipf_pool_fill(b->pools[i], bench_flow_counts[i], BENCH_ZIPF_S,
						 BENCH_SEED + i, &b->pool_distinct[i]);
	}
	return 0;
}

static void bench_free(struct bench *b)
{
	ring_buffer__free(b->rb_tab);
	ring_buffer__free(b->rb_nop);
	if (b->pool_map)
		munmap(b->pool_map, sizeof(guint32) * BENCH_POOL_SIZE);
	producer__destroy(b->skel);
	for (guint i = 0; i < BENCH_NTABLES; i++) {
		rfm_flow_table_free(b->tables[i].table);
		g_free(b->pools[i]);
	}
	for (guint i = 0; i < b->nvariants; i++) {
		g_free(b->variants[i].eps);
		g_free(b->variants[i].eps_wall);
	}
	g_free(b->variants);
}

static void bench_print_header(const struct bench *b)
{
	struct utsname u;

	if (uname(&u) < 0)
		strcpy(u.release, "?");
	printf("## Events per second drained into the flow table (one core)\n\n");
	printf("Kernel %s, pinned to CPU %d (producer test runs and consumer alike); %u "
	       "repetitions after one warm-up, each giving every row one turn, starting one row "
	       "later than the repetition before. A turn: producer.bpf.c writes %u records "
	       "(BPF_PROG_TEST_RUN .repeat, BPF_RB_NO_WAKEUP) into a %u MiB ring, then one timed "
	       "ring_buffer__consume() drains them. Figures are events per CPU second of the "
	       "consuming thread (CLOCK_THREAD_CPUTIME_ID around the call, so time the thread "
	       "spent preempted is not counted); the wall-clock (CLOCK_MONOTONIC) median is "
	       "beside them.\n",
	       u.release, b->cpu, b->reps, b->batch, b->ring_mib);
	printf("Flow table: one per flow count, filled with all its flows before the timed "
	       "turns (uniform and Zipf rows of a count share it), so timed events update "
	       "existing flows. Simulated clock: 1 ms per %u events (%.1f M events/s), "
	       "rfm_flow_table_expire() every %d ms of it; idle and active timeouts 24 h.\n",
	       b->events_per_ms, b->events_per_ms / 1000.0, BENCH_EXPIRE_MS);
	printf("Zipf(s = %.1f) pool of %u flow indexes (random rank-to-flow permutation):",
	       BENCH_ZIPF_S, BENCH_POOL_SIZE);
	for (guint i = 0; i < BENCH_NTABLES; i++)
		printf("%s F = %u: top 1 %% of flows get %.0f %% of events, %u flows drawn",
		       i ? ";" : "", bench_flow_counts[i], 100 * b->pool_top1[i],
		       b->pool_distinct[i]);
	printf(".\nEvents: 25 %% IPv6, 75 %% TCP / 25 %% UDP, both directions, packets 1, "
	       "octets 64..1500 (ingest_gen.h).\n\n");
}

static bool bench_report(const struct bench *b)
{
	struct bench_summary base = bench_summarise(b->variants[0].eps, b->reps);
	bool valid = true;

	bench_print_header(b);
	printf("| consumer | keys | flows F | min M ev/s | median M ev/s | max M ev/s | median "
	       "ns/event | ns/event over no-op | wall-clock median M ev/s | target | met |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
	for (guint i = 0; i < b->nvariants; i++) {
		const struct variant *v = &b->variants[i];
		struct bench_summary s = bench_summarise(v->eps, b->reps);
		struct bench_summary w = bench_summarise(v->eps_wall, b->reps);

		if (v->table < 0) {
			printf("| no-op callback (baseline) | %s | %u | %.2f | %.2f | %.2f | %.1f "
			       "| 0 "
			       "| %.2f | - | - |\n",
			       v->keys, v->nflows, s.min / 1e6, s.median / 1e6, s.max / 1e6,
			       1e9 / s.median, w.median / 1e6);
			continue;
		}
		printf("| flow table | %s | %u | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | >= %.0f "
		       "M "
		       "ev/s | %s |\n",
		       v->keys, v->nflows, s.min / 1e6, s.median / 1e6, s.max / 1e6, 1e9 / s.median,
		       1e9 / s.median - 1e9 / base.median, w.median / 1e6, BENCH_TARGET_EPS / 1e6,
		       met(s.median >= BENCH_TARGET_EPS));
	}
	printf("\nInvoluntary context switches during the recorded repetitions: %ld%s\n\n",
	       b->preempted,
	       b->preempted > BENCH_PREEMPTED ? ": other tasks shared the CPU; rerun on a quiet "
						"machine"
					      : "");

	printf("First pass (not a median: one pass, every event creates a flow, bucket array "
	       "doubling included):\n\n");
	printf("| flows F | M inserts/s | ns/insert |\n|---:|---:|---:|\n");
	for (guint i = 0; i < BENCH_NTABLES; i++) {
		if (b->fill_eps[i] > 0)
			printf("| %u | %.2f | %.1f |\n", bench_flow_counts[i], b->fill_eps[i] / 1e6,
			       1e9 / b->fill_eps[i]);
	}

	printf("\nChecks over the recorded turns (consumed = ring_buffer__consume() count; "
	       "ring_full = failed bpf_ringbuf_reserve(); left = records a second consume "
	       "found):\n\n");
	printf("| consumer | keys | F | batches | produced | consumed | callback saw | ring_full | "
	       "left | flows in table | created in timed turns | ended | valid |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (guint i = 0; i < b->nvariants; i++) {
		const struct variant *v = &b->variants[i];
		struct rfm_flow_table_stats st = {0};
		guint64 ended = 0, created = 0;
		char saw[24] = "-", active[16] = "-";
		bool ok = v->produced == v->consumed && v->ring_full == 0 && v->left_in_ring == 0 &&
			  v->produced == (guint64)v->batches * b->batch;

		if (v->table >= 0) {
			rfm_flow_table_get_stats(b->tables[v->table].table, &st);
			for (int r = 0; r < RFM_END_MAX; r++)
				ended += st.ended[r];
			created = st.created - b->created_after_fill[v->table];
			ok = ok && v->callback_saw == v->consumed && created == 0 && ended == 0 &&
			     st.active == v->nflows;
			snprintf(saw, sizeof(saw), "%" G_GUINT64_FORMAT, v->callback_saw);
			snprintf(active, sizeof(active), "%u", st.active);
		}
		valid = valid && ok;
		printf("| %s | %s | %u | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
		       " | %" G_GUINT64_FORMAT " | %s | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
		       " | %s | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %s |\n",
		       v->table < 0 ? "no-op" : "flow table", v->keys, v->nflows, v->batches,
		       v->produced, v->consumed, saw, v->ring_full, v->left_in_ring, active,
		       created, ended, ok ? "yes" : "**INVALID**");
	}
	printf("\nRing never dropped a record: %s\n\n", valid ? "yes (consumed == produced, "
								"ring_full 0 in every turn)"
							      : "**NO**: see the checks");
	return valid;
}

static int ingest_run(struct bench *b)
{
	long nivcsw0;
	int err;

	b->variants = g_new0(struct variant, 1 + 2 * BENCH_NTABLES);
	variant_add(b, "uniform", BENCH_GEN_UNIFORM, bench_flow_counts[BENCH_NTABLES - 1], -1);
	for (guint i = 0; i < BENCH_NTABLES; i++) {
		if (b->only_flows && b->only_flows != bench_flow_counts[i])
			continue;
		if (b->only_keys != BENCH_GEN_ZIPF)
			variant_add(b, "uniform", BENCH_GEN_UNIFORM, bench_flow_counts[i], i);
		if (b->only_keys != BENCH_GEN_UNIFORM)
			variant_add(b, "Zipf", BENCH_GEN_ZIPF, bench_flow_counts[i], i);
	}
	err = bench_setup(b);
	if (!err)
		err = bench_warm_ring(b);
	for (guint i = 0; !err && i < BENCH_NTABLES; i++) {
		if (!b->only_flows || b->only_flows == bench_flow_counts[i])
			err = bench_fill(b, i);
	}
	if (!err)
		err = bench_repetition(b, 0, false);
	nivcsw0 = bench_involuntary_switches();
	for (guint rep = 0; !err && rep < b->reps; rep++)
		err = bench_repetition(b, rep, true);
	b->preempted = bench_involuntary_switches() - nivcsw0;
	if (err)
		return err;
	return bench_report(b) ? 0 : -EPROTO;
}

/* --- --callgrind ---------------------------------------------------------- */

/* --tally: a cheap open hook (1024 tags from the key) and tallies, as the rollup uses them. */
#define BENCH_TAGS 1024
static struct rfm_flow_tally bench_tally_array[BENCH_TAGS];
static struct rfm_flow_tally *bench_tallies = bench_tally_array;

static guint32 bench_tag_open(const struct rfm_flow_key *key, guint64 now_ms, void *user_data)
{
	(void)now_ms;
	(void)user_data;
	return (key->src_addr[3] ^ key->dst_addr[3] ^ key->src_port) % BENCH_TAGS;
}

/*
 * One deterministic ingest for callgrind.sh: fill a table with nflows flows
 * (not collected), pre-generate nevents events (fixed seed), then call the
 * ring callback on each through a function pointer, as libbpf does, with
 * collection on only around that loop. The baseline callback only reads
 * the event. libbpf's own record walk is not in either figure (its cost is
 * the no-op row of the throughput table).
 */
static int callgrind_run(enum bench_gen_mode mode, guint32 nflows, guint32 nevents, bool baseline,
			 bool tally, guint32 events_per_ms)
{
	const struct rfm_flow_hooks hooks = {.open = bench_tag_open, .tallies = &bench_tallies};
	int (*volatile cb)(void *, void *, size_t) = baseline ? ingest_read_cb : ingest_table_cb;
	g_autofree struct rfm_event *evs = g_new(struct rfm_event, nevents);
	g_autofree guint32 *pool = NULL;
	g_autoptr(GRand) rng = g_rand_new_with_seed(BENCH_SEED);
	struct rfm_flow_table_stats st0, st1;
	struct ingest in;
	guint32 distinct;

	g_random_set_seed(BENCH_SEED); /* the table's hash seed */
	ingest_init(&in, events_per_ms);
	if (tally)
		rfm_flow_table_set_hooks(in.table, &hooks);
	for (guint32 i = 0; i < nflows; i++) {
		bench_gen_event(&evs[0], i, g_rand_int(rng));
		ingest_table_cb(&in, &evs[0], sizeof(evs[0]));
	}
	if (mode == BENCH_GEN_ZIPF) {
		pool = g_new(guint32, BENCH_POOL_SIZE);
		zipf_pool_fill(pool, nflows, BENCH_ZIPF_S, BENCH_SEED, &distinct);
	}
	for (guint32 i = 0; i < nevents; i++) {
		guint32 r = g_rand_int(rng);
		guint32 idx = mode == BENCH_GEN_ZIPF ? pool[r & (BENCH_POOL_SIZE - 1)] : r % nflows;

		bench_gen_event(&evs[i], idx, g_rand_int(rng));
	}
	rfm_flow_table_update_batch(in.table, &in.batch);
	rfm_flow_table_get_stats(in.table, &st0);

#if BENCH_HAVE_CALLGRIND
	CALLGRIND_START_INSTRUMENTATION;
	CALLGRIND_TOGGLE_COLLECT;
#endif
	for (guint32 i = 0; i < nevents; i++)
		cb(&in, &evs[i], sizeof(evs[i]));
	rfm_flow_table_update_batch(in.table, &in.batch);
#if BENCH_HAVE_CALLGRIND
	CALLGRIND_TOGGLE_COLLECT;
	CALLGRIND_STOP_INSTRUMENTATION;
#endif

	rfm_flow_table_get_stats(in.table, &st1);
	printf("callgrind: keys=%s flows=%u events=%u consumer=%s%s active=%u "
	       "created_in_loop=%" G_GUINT64_FORMAT " updates_in_loop=%" G_GUINT64_FORMAT
	       " checksum=%" G_GUINT64_FORMAT " valgrind=%s\n",
	       mode == BENCH_GEN_ZIPF ? "zipf" : "uniform", nflows, nevents,
	       baseline ? "baseline" : "table", tally ? "+tally" : "", st1.active,
	       st1.created - st0.created, st1.updates - st0.updates, in.checksum,
#if BENCH_HAVE_CALLGRIND
	       RUNNING_ON_VALGRIND ? "yes" : "no"
#else
	       "no (built without valgrind/callgrind.h)"
#endif
	);
	rfm_flow_table_free(in.table);
	return st1.active == nflows && st1.created == st0.created ? 0 : 1;
}

/* --- main ----------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_ingest [-r REPS] [-n EVENTS] [-R MIB] [-c CPU] [-e EVENTS_PER_MS] "
		"[-F FLOWS] [-k KEYS]\n"
		"       bench_ingest --memory\n"
		"       bench_ingest --callgrind [-k uniform|zipf] [-F FLOWS] [-N EVENTS] "
		"[--baseline] [--tally]\n"
		"  -r REPS    repetitions (>= %d, default %d)\n"
		"  -n EVENTS  records per batch (default %u)\n"
		"  -R MIB     ring buffer size, power of two (default %u)\n"
		"  -c CPU     CPU to pin to (default: the highest allowed CPU)\n"
		"  -e N       simulated clock: events per ms (default %d)\n"
		"  -F FLOWS, -k KEYS  time only this flow count / key distribution\n"
		"  --memory   bytes per flow only (no root needed)\n"
		"  --callgrind  one ingest of a pre-generated array, for callgrind.sh\n"
		"  -k KEYS    uniform (default) or zipf;  -F FLOWS (default 100000);\n"
		"  -N EVENTS  events ingested (default %u);  --baseline: only read the events\n"
		"  --tally  with flow hooks: a cheap open hook and per-tag tallies (the "
		"rollup's)\n",
		BENCH_MIN_REPS, BENCH_DEFAULT_REPS, BENCH_DEFAULT_BATCH, BENCH_DEFAULT_RING,
		BENCH_EVENTS_PER_MS, BENCH_CG_EVENTS);
}

enum { OPT_MEMORY = 256, OPT_CALLGRIND, OPT_BASELINE, OPT_TALLY };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"memory", no_argument, NULL, OPT_MEMORY},
		{"callgrind", no_argument, NULL, OPT_CALLGRIND},
		{"baseline", no_argument, NULL, OPT_BASELINE},
		{"tally", no_argument, NULL, OPT_TALLY},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct bench b = {
		.reps = BENCH_DEFAULT_REPS,
		.batch = BENCH_DEFAULT_BATCH,
		.ring_mib = BENCH_DEFAULT_RING,
		.events_per_ms = BENCH_EVENTS_PER_MS,
		.cpu = -1,
		.only_keys = -1,
	};
	enum bench_gen_mode cg_mode = BENCH_GEN_UNIFORM;
	guint32 cg_flows = 100000, cg_events = BENCH_CG_EVENTS;
	bool keys_given = false, flows_given = false;
	bool memory_only = false, callgrind = false, baseline = false, tally = false, valid;
	unsigned long long val;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "r:n:R:c:e:k:F:N:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			if (!bench_parse_uint(optarg, BENCH_MIN_REPS, 1000, &val))
				goto bad;
			b.reps = val;
			break;
		case 'n':
			if (!bench_parse_uint(optarg, 1000, 100000000, &val))
				goto bad;
			b.batch = val;
			break;
		case 'R':
			if (!bench_parse_uint(optarg, 1, 2048, &val) || (val & (val - 1)))
				goto bad;
			b.ring_mib = val;
			break;
		case 'c':
			if (!bench_parse_uint(optarg, 0, CPU_SETSIZE - 1, &val))
				goto bad;
			b.cpu = val;
			break;
		case 'e':
			if (!bench_parse_uint(optarg, 1, 1000000000, &val))
				goto bad;
			b.events_per_ms = val;
			break;
		case 'k':
			if (!strcmp(optarg, "zipf"))
				cg_mode = BENCH_GEN_ZIPF;
			else if (!strcmp(optarg, "uniform"))
				cg_mode = BENCH_GEN_UNIFORM;
			else
				goto bad;
			keys_given = true;
			break;
		case 'F':
			if (!bench_parse_uint(optarg, 1, BENCH_GEN_MAX_FLOWS, &val))
				goto bad;
			cg_flows = val;
			flows_given = true;
			break;
		case 'N':
			if (!bench_parse_uint(optarg, 1, 100000000, &val))
				goto bad;
			cg_events = val;
			break;
		case OPT_MEMORY:
			memory_only = true;
			break;
		case OPT_CALLGRIND:
			callgrind = true;
			break;
		case OPT_BASELINE:
			baseline = true;
			break;
		case OPT_TALLY:
			tally = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;

	if (callgrind)
		return callgrind_run(cg_mode, cg_flows, cg_events, baseline, tally,
				     b.events_per_ms);
	if (flows_given) {
		for (gsize i = 0; i < BENCH_NTABLES && !b.only_flows; i++)
			b.only_flows = cg_flows == bench_flow_counts[i] ? cg_flows : 0;
		if (!b.only_flows) {
			fprintf(stderr, "bench_ingest: -F wants 10000, 100000 or 1000000 here\n");
			return 2;
		}
	}
	if (keys_given)
		b.only_keys = cg_mode;

	if ((guint64)b.batch * BENCH_RECORD_BYTES > ((guint64)b.ring_mib << 20)) {
		fprintf(stderr, "bench_ingest: %u records of %zu bytes do not fit a %u MiB ring\n",
			b.batch, BENCH_RECORD_BYTES, b.ring_mib);
		return 2;
	}
	printf("# rfm ingest: events/s, bytes per flow\n\n");
	valid = memory_report();
	if (memory_only)
		return valid ? 0 : 1;

	err = bench_pin_cpu(b.cpu, &b.cpu);
	if (err) {
		fprintf(stderr, "bench_ingest: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}
	err = ingest_run(&b);
	bench_free(&b);
	if (err == -EPROTO)
		printf("Some rows are **INVALID**: see the checks.\n");
	return err || !valid ? 1 : 0;

bad:
	usage(stderr);
	return 2;
}
