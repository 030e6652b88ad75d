// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bench_netflow.c - what the NetFlow encoders (netflow.c) cost: records per
 * second encoded on one core into an emit callback that discards the
 * messages (it only counts them), for v9 and v5.
 *
 * Records, the same for a given seed (-s): -n of them (default 200,000),
 * 70 % IPv4 and 30 % IPv6, TCP/UDP/ICMP, random addresses and ports, every
 * one enriched (AS numbers, half above 65535, prefix lengths, a BGP next
 * hop), sampled 1-in-100 on one of 8 interfaces that all sample alike (so
 * no sampling announcement falls inside the timed loop), times within the
 * last minute. The encoder is created with mtu -m (default 1400) and
 * announced before the clock starts; the timed part is add() of every
 * record and the final flush().
 *
 * Variants, in a rotated order each repetition:
 *   v9 mixed     the records as they are (two templates, FlowSets switch)
 *   v9 IPv4      the IPv4 records only (one template: long FlowSets)
 *   v5           the same IPv4 records (48-byte records, 30 per packet)
 *   v5 mixed     all records: IPv6 ones are counted and dropped
 *   loop alone   reading every record as add() would, no encoder (baseline)
 * Rates are per second of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
 * pinned to one CPU (-c), -r repetitions (at least 5, default 7),
 * min/median/max; the wall-clock median and the involuntary context
 * switches say whether other tasks shared the CPU.
 *
 * Not a test: prints a Markdown table; exits 0. There is no target in the
 * issue; for scale, a collector at 1,000,000 flows/s of 1-in-100 traffic
 * is far above what one router exports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <glib.h>

#include "netflow.h"

#include "bench_util.h"

#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 7
#define BENCH_SEED	   20240601U
#define BENCH_RECORDS	   200000U
#define BENCH_RATE	   100
#define BENCH_IFS	   8
#define T0		   G_GUINT64_CONSTANT(1700000000000)

enum variant { V_V9_MIXED, V_V9_V4, V_V5, V_V5_MIXED, V_LOOP, V_MAX };

static const char *const variant_names[V_MAX] = {"v9, IPv4 + IPv6", "v9, IPv4 only",
						 "v5, IPv4 only", "v5, IPv4 + IPv6 (IPv6 dropped)",
						 "loop alone (baseline)"};

/* DOC: the generated records and enrichments; owned by main(). */
struct bench_records {
	guint n, n4;
	struct rfm_flow_record *rec; /* n */
	struct rfm_enrichment *en;   /* n */
	guint *v4;		     /* indexes of the IPv4 records, n4 */
	guint64 now;		     /* after every record's end */
};

/* DOC: what the discarding emit callback counted. */
struct sink {
	guint64 messages, octets;
	guint32 xor ; /* of the first 4 bytes of each message: work the compiler cannot drop */
};

static void sink_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct sink *s = user_data;

	s->messages++;
	s->octets += len;
	s->xor ^= (guint32)msg[0] << 24 | (guint32)msg[1] << 16 | (guint32)msg[len - 1];
}

static void records_build(struct bench_records *b, guint n, guint32 seed)
{
	GRand *r = g_rand_new_with_seed(seed);

	b->n = n;
	b->rec = g_new0(struct rfm_flow_record, n);
	b->en = g_new0(struct rfm_enrichment, n);
	b->v4 = g_new(guint, n);
	b->now = T0 + 60000;
	for (guint i = 0; i < n; i++) {
		struct rfm_flow_record *rec = &b->rec[i];
		struct rfm_enrichment *en = &b->en[i];
		bool v6 = g_rand_int_range(r, 0, 100) < 30;
		guint alen = v6 ? 16 : 4;

		rec->key.ip_version = v6 ? 6 : 4;
		for (guint k = 0; k < alen; k++) {
			rec->key.src_addr[k] = (guint8)g_rand_int(r);
			rec->key.dst_addr[k] = (guint8)g_rand_int(r);
			rec->next_hop[k] = (guint8)g_rand_int(r);
			en->bgp_next_hop[k] = (guint8)g_rand_int(r);
		}
		rec->key.protocol = (guint8[]){6, 6, 6, 17, 17, 1}[g_rand_int_range(r, 0, 6)];
		if (v6 && rec->key.protocol == 1)
			rec->key.protocol = 58;
		rec->key.src_port = (guint16)g_rand_int(r);
		rec->key.dst_port = (guint16)g_rand_int(r);
		rec->key.ifindex = (guint32)g_rand_int_range(r, 1, BENCH_IFS + 1);
		rec->key.direction = (guint8)g_rand_int_range(r, 0, 2);
		rec->other_ifindex = (guint32)g_rand_int_range(r, 1, BENCH_IFS + 1);
		rec->has_next_hop = true;
		rec->packets = (guint64)g_rand_int_range(r, 1, 1000);
		rec->octets = rec->packets * (guint64)g_rand_int_range(r, 40, 1500);
		rec->end_ms = T0 + (guint64)g_rand_int_range(r, 0, 60000);
		rec->start_ms = rec->end_ms - (guint64)g_rand_int_range(r, 0, 60000);
		rec->tcp_flags = (guint8)g_rand_int(r);
		rec->dscp = (guint8)g_rand_int_range(r, 0, 64);
		rec->end_reason = RFM_END_IDLE;
		rec->sampling = BENCH_RATE;
		en->src_asn = g_rand_boolean(r)
				      ? 64496 + (guint32)g_rand_int_range(r, 0, 16)
				      : 4200000000U + (guint32)g_rand_int_range(r, 0, 1000);
		en->dst_asn = g_rand_int_range(r, 1, 400000);
		en->src_prefix_len = (guint8)g_rand_int_range(r, 8, v6 ? 65 : 25);
		en->dst_prefix_len = (guint8)g_rand_int_range(r, 8, v6 ? 65 : 25);
		en->bgp_next_hop_version = rec->key.ip_version;
		if (!v6)
			b->v4[b->n4++] = i;
	}
	g_rand_free(r);
}

static void records_free(struct bench_records *b)
{
	g_free(b->rec);
	g_free(b->en);
	g_free(b->v4);
}

/* DOC: one timed run. */
struct run_result {
	double cpu_s, wall_s;
	guint records;
	struct sink sink;
};

/* The baseline: what add() reads of a record, summed, without encoding. */
static guint64 loop_alone(const struct bench_records *b)
{
	guint64 acc = 0;

	for (guint i = 0; i < b->n; i++) {
		const struct rfm_flow_record *rec = &b->rec[i];
		const struct rfm_enrichment *en = &b->en[i];

		acc += rec->octets ^ rec->packets ^ rec->start_ms ^ rec->end_ms ^
		       rec->key.src_port ^ rec->key.src_addr[0] ^ rec->key.dst_addr[3] ^
		       en->src_asn ^ en->dst_asn ^ rec->sampling;
	}
	return acc;
}

static struct run_result run_variant(const struct bench_records *b, enum variant v, guint32 mtu)
{
	static volatile guint64 keep; /* the baseline's sum: read below, so it is computed */
	const struct rfm_encoder_ops *ops =
		v == V_V9_MIXED || v == V_V9_V4 ? &rfm_netflow9_encoder : &rfm_netflow5_encoder;
	struct run_result res = {0};
	struct rfm_encoder_params p = {
		.observation_domain = 1,
		.enterprise_number = 32473,
		.mtu = mtu,
		.start_ms = T0 - 600000,
		.emit = sink_emit,
		.user_data = &res.sink,
	};
	struct rfm_export_sampler samplers[BENCH_IFS * 2];
	GError *error = NULL;
	struct rfm_encoder *e;
	bool v4_only = v == V_V9_V4 || v == V_V5;
	guint n = v4_only ? b->n4 : b->n;
	double c0, w0;

	if (v == V_LOOP) {
		c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
		w0 = bench_clock_s(CLOCK_MONOTONIC);
		keep = loop_alone(b);
		res.cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		res.wall_s = bench_clock_s(CLOCK_MONOTONIC) - w0;
		res.records = b->n;
		res.sink.xor = (guint32)keep;
		return res;
	}
	e = ops->create(&p, &error);
	if (!e)
		g_error("%s", error->message);
	for (guint i = 0; i < G_N_ELEMENTS(samplers); i++)
		samplers[i] = (struct rfm_export_sampler){i / 2 + 1, (guint8)(i % 2),
							  RFM_SAMPLE_RANDOM, BENCH_RATE};
	ops->set_sampling(e, samplers, G_N_ELEMENTS(samplers), b->now);
	ops->announce(e, b->now);
	/* the sampler of the rate is bound and announced: nothing of that in the loop */
	res.sink = (struct sink){0};

	c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = bench_clock_s(CLOCK_MONOTONIC);
	for (guint i = 0; i < n; i++) {
		guint k = v4_only ? b->v4[i] : i;

		ops->add(e, &b->rec[k], &b->en[k], b->now);
	}
	ops->flush(e, b->now);
	res.cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	res.wall_s = bench_clock_s(CLOCK_MONOTONIC) - w0;
	res.records = n;
	ops->destroy(e);
	return res;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_netflow [-r REPS] [-c CPU] [-n RECORDS] [-m MTU] [-s SEED]\n"
		"  -r  repetitions, at least %u (default %u)\n"
		"  -c  CPU to pin to (default: the highest one allowed)\n"
		"  -n  records (default %u)\n"
		"  -m  mtu of the messages (default 1400)\n"
		"  -s  seed of the records (default %u)\n",
		BENCH_MIN_REPS, BENCH_DEFAULT_REPS, BENCH_RECORDS, BENCH_SEED);
}

int main(int argc, char **argv)
{
	unsigned long long reps = BENCH_DEFAULT_REPS, n = BENCH_RECORDS, mtu = 1400,
			   seed = BENCH_SEED;
	int cpu = -1, opt, err;
	struct bench_records b = {0};
	struct run_result last[V_MAX];
	struct bench_summary rate[V_MAX];
	double wall_med[V_MAX];
	long sw0, sw1;

	while ((opt = getopt(argc, argv, "r:c:n:m:s:h")) != -1) {
		bool ok = true;

		switch (opt) {
		case 'r':
			ok = bench_parse_uint(optarg, BENCH_MIN_REPS, 1000, &reps);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'n':
			ok = bench_parse_uint(optarg, 1000, 100000000, &n);
			break;
		case 'm':
			ok = bench_parse_uint(optarg, 144, 65535, &mtu);
			break;
		case 's':
			ok = bench_parse_uint(optarg, 0, G_MAXUINT32, &seed);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			ok = false;
		}
		if (!ok) {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	err = bench_pin_cpu(cpu, &cpu);
	if (err) {
		fprintf(stderr, "bench_netflow: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}
	records_build(&b, (guint)n, (guint32)seed);
	for (int v = 0; v < V_MAX; v++) /* warm-up: first touches of every page */
		run_variant(&b, (enum variant)v, (guint32)mtu);

	g_autofree double *rates = g_new(double, (gsize)reps *V_MAX);
	g_autofree double *walls = g_new(double, (gsize)reps *V_MAX);
	g_autofree double *col = g_new(double, reps);

	sw0 = bench_involuntary_switches();
	for (guint r = 0; r < reps; r++)
		for (int k = 0; k < V_MAX; k++) {
			int v = (int)((k + r) % V_MAX); /* rotated order */

			last[v] = run_variant(&b, (enum variant)v, (guint32)mtu);
			rates[(gsize)r * V_MAX + v] = last[v].records / last[v].cpu_s;
			walls[(gsize)r * V_MAX + v] = last[v].records / last[v].wall_s;
		}
	sw1 = bench_involuntary_switches();
	for (int v = 0; v < V_MAX; v++) {
		for (guint r = 0; r < reps; r++)
			col[r] = rates[(gsize)r * V_MAX + v];
		rate[v] = bench_summarise(col, (guint)reps);
		for (guint r = 0; r < reps; r++)
			col[r] = walls[(gsize)r * V_MAX + v];
		wall_med[v] = bench_summarise(col, (guint)reps).median;
	}

	printf("# rfm NetFlow encoders: one core (CPU %d), seed %llu, %llu repetitions\n\n", cpu,
	       seed, reps);
	printf("%u records (%u IPv4, %u IPv6), enriched, sampled 1-in-%u; mtu %llu; messages "
	       "discarded by the emit callback.\n\n",
	       b.n, b.n4, b.n - b.n4, BENCH_RATE, mtu);
	printf("| variant | records | M records/s (CPU) min | median | max | median wall "
	       "| ns/record | messages | bytes/record on the wire |\n"
	       "|---|---|---|---|---|---|---|---|---|\n");
	for (int v = 0; v < V_MAX; v++) {
		const struct run_result *l = &last[v];

		printf("| %s | %u | %.2f | %.2f | %.2f | %.2f | %.0f | ", variant_names[v],
		       l->records, rate[v].min / 1e6, rate[v].median / 1e6, rate[v].max / 1e6,
		       wall_med[v] / 1e6, 1e9 / rate[v].median);
		if (v == V_LOOP)
			printf("- | - |\n");
		else
			printf("%" G_GUINT64_FORMAT " | %.1f |\n", l->sink.messages,
			       (double)l->sink.octets / l->records);
	}
	printf("\nInvoluntary context switches during the timed runs: %ld (a few dozen: the CPU "
	       "was shared; compare the wall column).\n",
	       sw1 - sw0);
	records_free(&b);
	return 0;
}
