// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bench_rollup.c - the Prometheus flow rollup: time and size of one render
 * at S series (default 10,000; all six enrichment labels, realistic values),
 * and the cost of rfm_rollup_add() per sample over random series.
 *
 * usage: bench_rollup [-s SERIES] [-r REPS] [-n ADDS]
 * Prints the median (min-max) over REPS repetitions, CPU time of the process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_util.h"
#include "rollup.h"

static const char *bench_ifname(guint32 ifindex, void *user_data)
{
	static const char *const names[] = {"eth0", "eth1", "bond0.100", "wg-transit"};

	(void)user_data;
	return names[ifindex % G_N_ELEMENTS(names)];
}

int main(int argc, char **argv)
{
	static const char *const cities[] = {"Amsterdam", "Frankfurt am Main",
					     "São Paulo", "New York",
					     "Tokyo",	  "Zürich",
					     "London",	  "Paris"};
	static const char *const countries[] = {"NL", "DE", "BR", "US", "JP", "CH", "GB", "FR"};
	unsigned long long series = 10000, reps = 21, adds = 10000000, v;
	struct rfm_rollup_options o = {RFM_ROLLUP_LABELS_ALL, 0, 3600};
	g_autofree double *ms = NULL;
	g_autofree guint32 *ids = NULL;
	struct rfm_rollup *r;
	struct bench_summary s;
	GString *out;
	GRand *rng;
	gsize bytes = 0;
	int opt;

	while ((opt = getopt(argc, argv, "s:r:n:")) != -1) {
		if (!optarg || !bench_parse_uint(optarg, 1, 1000000000ULL, &v)) {
			fprintf(stderr, "usage: bench_rollup [-s SERIES] [-r REPS] [-n ADDS]\n");
			return 2;
		}
		if (opt == 's')
			series = v;
		else if (opt == 'r')
			reps = v;
		else if (opt == 'n')
			adds = v;
		else
			return 2;
	}
	o.max_series = (guint32)series;
	r = rfm_rollup_new(&o);
	rng = g_rand_new_with_seed(42);
	ids = g_new(guint32, series);
	for (guint32 i = 0; i < series; i++) {
		struct rfm_rollup_key k = {
			.ifindex = i % 4,
			.direction = (i / 4) % 2,
			.protocol = (i % 3) ? 6 : 17,
			.src_asn = 64496 + i % 1000,
			.dst_asn = 4200000000u + i,
		};
		guint32 c = g_rand_int_range(rng, 0, G_N_ELEMENTS(cities));

		g_strlcpy(k.src_country, countries[c], sizeof(k.src_country));
		g_strlcpy(k.dst_country, countries[(c + 1) % 8], sizeof(k.dst_country));
		k.src_city = cities[c];
		k.dst_city = cities[(c + 3) % 8];
		ids[i] = rfm_rollup_series(r, &k, 0);
		rfm_rollup_add(*rfm_rollup_tallies(r), ids[i], g_rand_int(rng),
			       (guint64)g_rand_int(rng) * 1500);
	}

	/* Render. */
	ms = g_new(double, reps);
	out = g_string_sized_new(1 << 20);
	for (guint i = 0; i < reps; i++) {
		double t0;

		g_string_truncate(out, 0);
		t0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
		rfm_rollup_render(r, out, bench_ifname, NULL);
		ms[i] = (bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0) * 1e3;
		bytes = out->len;
	}
	s = bench_summarise(ms, (guint)reps);
	printf("render: %llu series (6 labels), %.2f ms (%.2f-%.2f) per render, %zu bytes, "
	       "%.0f bytes/series\n",
	       series, s.median, s.min, s.max, bytes, (double)bytes / (double)series);

	/* rfm_rollup_add over random series (ids drawn beforehand). */
	{
		g_autofree guint32 *seq = g_new(guint32, 1 << 16);
		struct rfm_flow_tally *const *t = rfm_rollup_tallies(r);
		double t0, ns;

		for (guint i = 0; i < 1u << 16; i++)
			seq[i] = ids[g_rand_int_range(rng, 0, (gint32)series)];
		t0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
		for (unsigned long long i = 0; i < adds; i++)
			rfm_rollup_add(*t, seq[i & 0xffff], 10, 15000);
		ns = (bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0) * 1e9 / (double)adds;
		printf("rfm_rollup_add: %.2f ns per sample (%llu samples over %llu series; "
		       "checksum "
		       "%" G_GUINT64_FORMAT ")\n",
		       ns, adds, series, (*t)[ids[0]].samples);
	}
	g_string_free(out, TRUE);
	g_rand_free(rng);
	rfm_rollup_free(r);
	return 0;
}
