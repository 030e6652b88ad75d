/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_sampling.c - 1-in-N sampling of the TC classifier (bpf/rfm.bpf.c),
 * run with BPF_PROG_TEST_RUN on one frame many times: random mode inside a
 * 99.9 % binomial interval, systematic mode every Nth packet, a new rate
 * applying from the next packet, rate 0 counting without sampling. The
 * interface counters count every packet whatever the rate.
 *
 * The test thread is pinned to one CPU: systematic countdowns are per CPU.
 * Needs root (CAP_BPF); exits 77 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <string.h>

#include "frame.h"
#include "harness.h"

#define RUNS  100000 /* packets per measurement */
#define BATCH 10000  /* packets per BPF_PROG_TEST_RUN call, drained after each */
#define Z_999 3.29   /* two-sided 99.9 % normal quantile */
#define RING  (32U << 20)

struct totals {
	guint64 events; /* drained from the ring buffer */
	guint64 stats[RFM_STAT_MAX];
	struct rfm_counter cnt[RFM_DIR_MAX][RFM_FAMILY_MAX];
};

/* Run the program of dir n times on f, BATCH at a time, and add up what it did. */
static void run_many(struct harness *h, enum rfm_direction dir, const struct frame *f, guint64 n,
		     struct totals *t)
{
	memset(t, 0, sizeof(*t));
	while (n > 0) {
		guint32 k = MIN(n, BATCH);
		struct run r;

		harness_run(h, dir, f->data, f->len, NULL, k, &r);
		g_assert_cmpint(r.err, ==, 0);
		g_assert_cmpuint(r.retval, ==, (guint32)RFM_TC_NEXT);
		g_assert_cmpint(r.drained, ==, (int)h->events->len);
		t->events += h->events->len;
		for (guint i = 0; i < h->events->len; i++) {
			const struct rfm_event *ev = &g_array_index(h->events, struct rfm_event, i);

			g_assert_cmpuint(ev->direction, ==, dir);
			g_assert_cmpuint(ev->protocol, ==, 17);
			g_assert_cmpuint(ev->dst_port, ==, 53);
		}
		for (int s = 0; s < RFM_STAT_MAX; s++)
			t->stats[s] += r.stats[s];
		for (int d = 0; d < RFM_DIR_MAX; d++) {
			for (int fam = 0; fam < RFM_FAMILY_MAX; fam++) {
				t->cnt[d][fam].packets += r.cnt[d][fam].packets;
				t->cnt[d][fam].bytes += r.cnt[d][fam].bytes;
			}
		}
		n -= k;
	}
}

/*
 * What holds whatever the rate: every packet counted (IPv4, this direction
 * only), one sampled packet = one event, no event lost to a full ring, no
 * parse failure.
 */
static void check_totals(const struct totals *t, enum rfm_direction dir, const struct frame *f,
			 guint64 n)
{
	for (int d = 0; d < RFM_DIR_MAX; d++) {
		for (int fam = 0; fam < RFM_FAMILY_MAX; fam++) {
			bool hit = d == (int)dir && fam == RFM_FAMILY_IPV4;

			g_assert_cmpuint(t->cnt[d][fam].packets, ==, hit ? n : 0);
			g_assert_cmpuint(t->cnt[d][fam].bytes, ==, hit ? n * f->len : 0);
		}
	}
	g_assert_cmpuint(t->stats[RFM_STAT_RINGBUF_FULL], ==, 0);
	g_assert_cmpuint(t->stats[RFM_STAT_SAMPLED], ==, t->events);
	g_assert_cmpuint(t->stats[RFM_STAT_EVENTS], ==, t->events);
	for (int s = RFM_STAT_NOT_IP; s < RFM_STAT_MAX; s++)
		g_assert_cmpuint(t->stats[s], ==, 0);
}

static void build_frame(struct frame *f)
{
	const struct layer layers[] = {ETH, IPV4("198.18.0.1", "198.18.1.2"), UDP(5353, 53),
				       PAYLOAD(32), END};

	frame_build(f, layers);
}

/*
 * Random mode: each packet sampled with p = ceil(2^32 / N) / 2^32 (the
 * program compares a 32-bit random number scaled by N), independently, so
 * the event count is binomial(n, p). N = 1 samples every packet.
 */
static void test_random(gconstpointer p)
{
	struct harness *h = (struct harness *)p;
	static const guint32 rates[] = {1, 10, 100};
	struct frame f;

	build_frame(&f);
	for (gsize i = 0; i < G_N_ELEMENTS(rates); i++) {
		guint32 rate = rates[i];
		double prob = ceil(4294967296.0 / rate) / 4294967296.0;
		double mean = RUNS * prob;
		double half = Z_999 * sqrt(RUNS * prob * (1 - prob));
		struct totals t;

		harness_configure(h, RFM_DIR_INGRESS, rate, RFM_SAMPLE_RANDOM, false, false);
		run_many(h, RFM_DIR_INGRESS, &f, RUNS, &t);
		g_test_message("random 1-in-%u: %" G_GUINT64_FORMAT " events in %d packets, "
			       "99.9 %% interval [%.1f, %.1f] (p %.6f, mean %.1f); random numbers "
			       "from bpf_get_prandom_u32(), seeded by the kernel",
			       rate, t.events, RUNS, mean - half, mean + half, prob, mean);
		check_totals(&t, RFM_DIR_INGRESS, &f, RUNS);
		if (rate == 1) {
			g_assert_cmpuint(t.events, ==, RUNS);
		} else {
			g_assert_cmpfloat(t.events, >=, mean - half);
			g_assert_cmpfloat(t.events, <=, mean + half);
		}
	}
}

/*
 * Random mode is not periodic: the gaps between sampled packets of a 1-in-N
 * sample are geometric (mean N, variance (1 - p) / p^2, P(gap = N) about
 * 4 % for N = 10), where systematic sampling would make every gap N. One
 * packet per run, to know which packets were sampled.
 */
static void test_random_gaps(gconstpointer p)
{
	struct harness *h = (struct harness *)p;
	const guint32 rate = 10, n = 20000;
	guint64 gaps = 0, gaps_n = 0, last = 0;
	double sum = 0, sum2 = 0, mean, var;
	struct frame f;

	build_frame(&f);
	harness_configure(h, RFM_DIR_INGRESS, rate, RFM_SAMPLE_RANDOM, false, false);
	for (guint32 i = 1; i <= n; i++) {
		if (!harness_run_once(h, RFM_DIR_INGRESS, f.data, f.len))
			continue;
		if (last) {
			guint64 gap = i - last;

			gaps++;
			gaps_n += gap == rate;
			sum += gap;
			sum2 += (double)gap * gap;
		}
		last = i;
	}
	g_assert_cmpuint(gaps, >, 100);
	mean = sum / gaps;
	var = sum2 / gaps - mean * mean;
	g_test_message("random 1-in-%u, one packet per run: %" G_GUINT64_FORMAT " gaps, mean %.2f "
		       "(want ~%u), variance %.1f (want ~%.0f), %" G_GUINT64_FORMAT " gaps of %u",
		       rate, gaps, mean, rate, var, (1 - 1.0 / rate) * rate * rate, gaps_n, rate);
	g_assert_cmpfloat(var, >, 30);
	g_assert_cmpuint(gaps_n * 4, <, gaps);
}

/* Systematic mode: every Nth packet on this CPU, floor(n / N) events give or take one. */
static void test_systematic(gconstpointer p)
{
	struct harness *h = (struct harness *)p;
	static const guint32 rates[] = {1, 10, 100, 1000, 7};

	for (int dir = 0; dir < RFM_DIR_MAX; dir++) {
		struct frame f;

		build_frame(&f);
		for (gsize i = 0; i < G_N_ELEMENTS(rates); i++) {
			guint32 rate = rates[i];
			guint64 want = RUNS / rate;
			struct totals t;

			harness_configure(h, dir, rate, RFM_SAMPLE_SYSTEMATIC, false, false);
			run_many(h, dir, &f, RUNS, &t);
			g_test_message("systematic 1-in-%u, %s: %" G_GUINT64_FORMAT
				       " events in %d packets, want %" G_GUINT64_FORMAT " +- 1",
				       rate, rfm_direction_name(dir), t.events, RUNS, want);
			check_totals(&t, dir, &f, RUNS);
			g_assert_cmpuint(t.events + 1, >=, want);
			g_assert_cmpuint(t.events, <=, want + 1);
		}
	}
}

/* Events of n packets at (rate, mode) on ingress. */
static guint64 events_at(struct harness *h, const struct frame *f, guint32 rate,
			 enum rfm_sample_mode mode, guint64 n)
{
	struct totals t;

	harness_configure(h, RFM_DIR_INGRESS, rate, mode, false, false);
	run_many(h, RFM_DIR_INGRESS, f, n, &t);
	check_totals(&t, RFM_DIR_INGRESS, f, n);
	g_test_message("%s 1-in-%u: %" G_GUINT64_FORMAT " events in %" G_GUINT64_FORMAT " packets",
		       mode == RFM_SAMPLE_RANDOM ? "random" : "systematic", rate, t.events, n);
	return t.events;
}

/* rfm_datapath_configure() applies from the very next packet. */
static void test_rate_change(gconstpointer p)
{
	struct harness *h = (struct harness *)p;
	struct frame f;

	build_frame(&f);
	/* A new systematic rate restarts the countdown: at most the first packet. */
	g_assert_cmpuint(events_at(h, &f, 1000, RFM_SAMPLE_SYSTEMATIC, 10), <=, 1);
	g_assert_cmpuint(events_at(h, &f, 1, RFM_SAMPLE_SYSTEMATIC, 10), ==, 10);
	/* Back to 1-in-1000: the first of the next 1000 packets only. */
	g_assert_cmpuint(events_at(h, &f, 1000, RFM_SAMPLE_SYSTEMATIC, 1000), ==, 1);
	g_assert_cmpuint(events_at(h, &f, 1, RFM_SAMPLE_RANDOM, 10), ==, 10);
	g_assert_cmpuint(events_at(h, &f, 0, RFM_SAMPLE_RANDOM, 10), ==, 0);
	g_assert_cmpuint(events_at(h, &f, 1, RFM_SAMPLE_RANDOM, 10), ==, 10);
	g_assert_cmpuint(events_at(h, &f, 0, RFM_SAMPLE_SYSTEMATIC, 10), ==, 0);
	g_assert_cmpuint(events_at(h, &f, 1, RFM_SAMPLE_SYSTEMATIC, 10), ==, 10);
}

/* Rate 0: counters only, in both modes. */
static void test_rate_zero(gconstpointer p)
{
	struct harness *h = (struct harness *)p;
	struct frame f;

	build_frame(&f);
	g_assert_cmpuint(events_at(h, &f, 0, RFM_SAMPLE_RANDOM, RUNS), ==, 0);
	g_assert_cmpuint(events_at(h, &f, 0, RFM_SAMPLE_SYSTEMATIC, RUNS), ==, 0);
}

/* Pin the calling thread to the CPU it runs on. */
static void pin_to_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	g_assert_cmpint(cpu, >=, 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		g_error("sched_setaffinity(CPU %d): %s", cpu, g_strerror(errno));
	g_test_message("pinned to CPU %d", cpu);
}

int main(int argc, char **argv)
{
	struct harness *h;
	int rc;

	g_test_init(&argc, &argv, NULL);
	harness_require_root();
	pin_to_one_cpu();
	/* 32 MiB holds ~350,000 events: far more than one batch. */
	h = harness_new(RING);

	g_test_add_data_func("/sampling/random", h, test_random);
	g_test_add_data_func("/sampling/random-gaps", h, test_random_gaps);
	g_test_add_data_func("/sampling/systematic", h, test_systematic);
	g_test_add_data_func("/sampling/rate-change", h, test_rate_change);
	g_test_add_data_func("/sampling/rate-zero", h, test_rate_zero);

	rc = g_test_run();
	harness_free(h);
	return rc;
}
