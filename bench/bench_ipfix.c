/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_ipfix.c - flow records per second the IPFIX encoder (ipfix.c)
 * turns into messages on one core, emitting into a callback that only
 * adds up lengths (no socket: export.c's cost is not here).
 *
 * A pool of 4096 records, the same for every run: 70 % IPv4, 30 % IPv6,
 * 5 % ICMP, both directions; "enriched" runs give 80 % of them an
 * enrichment with AS numbers, a city (4-20 bytes), a country and an AS
 * name (8-40 bytes) per side, "bare" runs none. One encoder per run (mtu
 * 1400, every interface at one rate, announced before the clock starts);
 * the run adds -n records cycling through the pool, then flushes. Variants
 * alternate within each repetition. Rates are per second of the thread's
 * CPU time (CLOCK_THREAD_CPUTIME_ID), so time other tasks take does not
 * count; the wall-clock time is printed beside it.
 *
 * Not a test: prints Markdown (min/median/max over -r repetitions) and
 * exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "ipfix.h"

#include "bench_util.h"

#define POOL		   4096
#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 7
#define BENCH_DEFAULT_N	   2000000ULL
#define T0		   1700000000000ull

/* DOC: the input of every run: records, their enrichment and its strings (owned). */
struct pool {
	struct rfm_flow_record rec[POOL];
	struct rfm_enrichment en[POOL];
	bool enriched[POOL];
	GPtrArray *strings;
};

/* DOC: what the emit callback saw during a run. */
struct sink {
	guint64 messages, octets;
	guint8 last; /* a byte of each message, so the messages are read */
};

static void sink_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct sink *s = user_data;

	s->messages++;
	s->octets += len;
	s->last ^= msg[len - 1];
}

static const char *pool_string(struct pool *p, GRand *r, guint min, guint max)
{
	guint n = (guint)g_rand_int_range(r, (gint32)min, (gint32)max + 1);
	char *s = g_malloc(n + 1);

	for (guint i = 0; i < n; i++)
		s[i] = (char)('a' + g_rand_int_range(r, 0, 26));
	s[n] = 0;
	g_ptr_array_add(p->strings, s);
	return s;
}

static void pool_build(struct pool *p)
{
	GRand *r = g_rand_new_with_seed(4242);

	memset(p, 0, offsetof(struct pool, strings));
	p->strings = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < POOL; i++) {
		struct rfm_flow_record *f = &p->rec[i];
		struct rfm_enrichment *e = &p->en[i];
		guint32 a = g_rand_int(r), b = g_rand_int(r);
		bool v6 = g_rand_int_range(r, 0, 100) < 30;

		f->key.ip_version = v6 ? 6 : 4;
		f->key.protocol = g_rand_int_range(r, 0, 100) < 5 ? (v6 ? 58 : 1)
				  : g_rand_boolean(r)		  ? 6
								  : 17;
		if (v6) {
			inet_pton(AF_INET6, "2001:db8::", f->key.src_addr);
			inet_pton(AF_INET6, "2001:db8:1::", f->key.dst_addr);
			memcpy(f->key.src_addr + 12, &a, 4);
			memcpy(f->key.dst_addr + 12, &b, 4);
		} else {
			memcpy(f->key.src_addr, &a, 4);
			memcpy(f->key.dst_addr, &b, 4);
		}
		f->key.src_port = (guint16)g_rand_int(r);
		f->key.dst_port = (guint16)g_rand_int(r);
		f->key.ifindex = (guint32)g_rand_int_range(r, 2, 6);
		f->key.direction = g_rand_boolean(r) ? RFM_DIR_EGRESS : RFM_DIR_INGRESS;
		f->other_ifindex = (guint32)g_rand_int_range(r, 2, 6);
		f->packets = (guint64)g_rand_int_range(r, 1, 1000);
		f->octets = f->packets * (guint64)g_rand_int_range(r, 40, 1500);
		f->start_ms = T0 - (guint64)g_rand_int_range(r, 1000, 60000);
		f->end_ms = T0;
		f->tcp_flags = (guint8)g_rand_int(r);
		f->dscp = (guint8)g_rand_int_range(r, 0, 64);
		f->end_reason = (guint8)g_rand_int_range(r, 1, 6);
		f->sampling = 100;
		p->enriched[i] = g_rand_int_range(r, 0, 100) < 80;
		e->src_asn = g_rand_int(r);
		e->dst_asn = g_rand_int(r);
		e->src_asn_source = RFM_ASN_RIB;
		e->dst_asn_source = RFM_ASN_MMDB;
		e->src_prefix_len = 24;
		e->dst_prefix_len = 20;
		e->next_as = g_rand_int(r);
		e->bgp_next_hop_version = 4;
		e->src_city = pool_string(p, r, 4, 20);
		e->dst_city = pool_string(p, r, 4, 20);
		e->src_as_name = pool_string(p, r, 8, 40);
		e->dst_as_name = pool_string(p, r, 8, 40);
		g_strlcpy(e->src_country, "NL", 3);
		g_strlcpy(e->dst_country, "DE", 3);
	}
	g_rand_free(r);
}

/* DOC: one timed run. */
struct run {
	double cpu_s, wall_s;
	struct sink sink;
	struct rfm_encoder_stats stats;
};

static struct run run_once(const struct pool *p, bool enriched, guint64 n)
{
	static const struct rfm_export_sampler samplers[] = {
		{.ifindex = 2, .rate = 100},
		{.ifindex = 3, .rate = 100},
		{.ifindex = 4, .rate = 100},
		{.ifindex = 5, .rate = 100},
	};
	struct run out = {0};
	struct rfm_encoder_params params = {.observation_domain = 1,
					    .enterprise_number = RFM_IPFIX_PEN_DEFAULT,
					    .mtu = 1400,
					    .emit = sink_emit,
					    .user_data = &out.sink};
	GError *err = NULL;
	struct rfm_encoder *e = rfm_ipfix_encoder.create(&params, &err);
	double c0, w0;

	if (!e)
		g_error("bench_ipfix: %s", err->message);
	rfm_ipfix_encoder.set_sampling(e, samplers, G_N_ELEMENTS(samplers), T0);
	rfm_ipfix_encoder.announce(e, T0);
	out.sink = (struct sink){0};
	c0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	w0 = bench_clock_s(CLOCK_MONOTONIC);
	for (guint64 i = 0; i < n; i++) {
		guint k = (guint)(i % POOL);

		rfm_ipfix_encoder.add(e, &p->rec[k], enriched && p->enriched[k] ? &p->en[k] : NULL,
				      T0 + i / 1000);
	}
	rfm_ipfix_encoder.flush(e, T0 + n / 1000);
	out.cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	out.wall_s = bench_clock_s(CLOCK_MONOTONIC) - w0;
	rfm_ipfix_encoder.get_stats(e, &out.stats);
	rfm_ipfix_encoder.destroy(e);
	return out;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_ipfix [-r REPS] [-n RECORDS] [-c CPU]\n"
		   "  -r REPS     repetitions, at least 5 (default 7)\n"
		   "  -n RECORDS  records per run (default 2000000)\n"
		   "  -c CPU      CPU to pin to (default: the highest allowed)\n");
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"enriched (80 % of records)", "bare (no enrichment)"};
	unsigned long long reps = BENCH_DEFAULT_REPS, n = BENCH_DEFAULT_N, c;
	int cpu = -1, opt, err;
	struct pool *p = g_new(struct pool, 1);
	double rate[2][64], cpu_total = 0, wall_total = 0;
	struct run last[2];
	long nivcsw0;

	while ((opt = getopt(argc, argv, "r:n:c:h")) != -1) {
		switch (opt) {
		case 'r':
			if (!bench_parse_uint(optarg, BENCH_MIN_REPS, 64, &reps)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'n':
			if (!bench_parse_uint(optarg, 1000, 1000000000ULL, &n)) {
				usage(stderr);
				return 2;
			}
			break;
		case 'c':
			if (!bench_parse_uint(optarg, 0, 4095, &c)) {
				usage(stderr);
				return 2;
			}
			cpu = (int)c;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
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
		fprintf(stderr, "bench_ipfix: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}
	pool_build(p);
	/* Warm up: the allocator, the information model, the caches. */
	run_once(p, true, n / 10);

	nivcsw0 = bench_involuntary_switches();
	for (guint r = 0; r < reps; r++) {
		for (guint k = 0; k < 2; k++) {
			guint v = (r + k) % 2; /* alternate which variant goes first */

			last[v] = run_once(p, v == 0, n);
			rate[v][r] = (double)n / last[v].cpu_s;
			cpu_total += last[v].cpu_s;
			wall_total += last[v].wall_s;
		}
	}

	printf("# rfm IPFIX encoder: %llu records per run, mtu 1400, one core (CPU %d), "
	       "%llu repetitions\n\n",
	       n, cpu, reps);
	printf("| records | M records/s (min / median / max) | records/message | "
	       "bytes/record | messages/s (median) |\n|---|---|---|---|---|\n");
	for (guint v = 0; v < 2; v++) {
		struct bench_summary s = bench_summarise(rate[v], (guint)reps);

		printf("| %s | %.2f / **%.2f** / %.2f | %.1f | %.1f | %.0f |\n", names[v],
		       s.min / 1e6, s.median / 1e6, s.max / 1e6,
		       (double)last[v].stats.records / (double)last[v].stats.messages,
		       (double)last[v].sink.octets / (double)last[v].stats.records,
		       s.median * (double)last[v].stats.messages / (double)n);
	}
	printf("\nTimed runs: %.1f s of CPU time in %.1f s of wall-clock time; %ld involuntary "
	       "context switches.\n",
	       cpu_total, wall_total, bench_involuntary_switches() - nivcsw0);
	g_ptr_array_unref(p->strings);
	g_free(p);
	return 0;
}
