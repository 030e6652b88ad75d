/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_metrics.c - what a /metrics scrape costs for the health families of
 * metrics.c (issue #6), without the flow rollup (its 10,000-series figure
 * is bench_rollup's): render time and body size at three sizes.
 *
 *   small:   4 interfaces, 1 collector, no BMP
 *   router: 64 interfaces, 4 collectors, 4 BMP sessions x 8 peers, 2 MMDB
 *   large: 512 interfaces (the default datapath.max_interfaces),
 *          16 collectors, 16 BMP sessions x 64 peers (1,024 = max_peers)
 *
 * Each size renders -r times (default 200) into a reused GString, as
 * http.c does, timed on CLOCK_THREAD_CPUTIME_ID; process_* families are
 * included (they read /proc/self/stat, /proc/stat and /proc/self/fd). The
 * statistics are synthetic (plain structs filled here), so no kernel, BPF
 * or socket is needed; the datapath's map reads at a real scrape (one
 * lookup per interface and direction) are not counted.
 *
 * Not a test: prints a Markdown table; exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "bench_util.h"
#include "datapath.h"
#include "metrics.h"

struct size {
	const char *name;
	guint ifaces, collectors, sessions, peers_per_session;
	bool mmdb;
};

struct data {
	struct rfm_metrics_iface *ifs;
	char **if_names;
	struct rfm_export_collector_stats *col;
	char **routers;
	char **peers;
	struct rfm_metrics_bmp_routes *routes;
	guint n_routes;
	guint64 stats[RFM_STAT_MAX];
	struct rfm_flow_table_stats fs;
	struct rfm_bmp_stats bs;
	struct rfm_rib_stats rs;
	struct rfm_geoip_stats gs;
	struct rfm_metrics_reloads rl;
};

static void data_init(struct data *d, const struct size *z)
{
	GRand *r = g_rand_new_with_seed(1);

	memset(d, 0, sizeof(*d));
	d->ifs = g_new0(struct rfm_metrics_iface, z->ifaces);
	d->if_names = g_new0(char *, z->ifaces + 1);
	for (guint i = 0; i < z->ifaces; i++) {
		d->if_names[i] = g_strdup_printf("enp%us0f%u.%u", i / 16, i % 4, 100 + i);
		d->ifs[i].name = d->if_names[i];
		for (int dir = 0; dir < RFM_DIR_MAX; dir++) {
			d->ifs[i].mode[dir] = RFM_ATTACH_TCX;
			d->ifs[i].have[dir] = true;
			for (int f = 0; f < RFM_FAMILY_MAX; f++) {
				/* Counters of a busy router: 12- to 15-digit numbers. */
				d->ifs[i].c[dir][f].packets = g_rand_int(r) * (guint64)10000;
				d->ifs[i].c[dir][f].bytes = g_rand_int(r) * (guint64)10000000;
			}
		}
	}
	d->col = g_new0(struct rfm_export_collector_stats, MAX(z->collectors, 1));
	for (guint i = 0; i < z->collectors; i++) {
		g_snprintf(d->col[i].address, sizeof(d->col[i].address), "198.18.%u.%u", i / 200,
			   i % 200 + 1);
		d->col[i].port = 4739;
		d->col[i].transport_stats.messages = g_rand_int(r);
		d->col[i].encoder_stats.records = g_rand_int(r) * (guint64)20;
	}
	d->routers = g_new0(char *, z->sessions + 1);
	d->peers = g_new0(char *, z->sessions * z->peers_per_session + 1);
	d->routes =
		g_new0(struct rfm_metrics_bmp_routes, MAX(z->sessions * z->peers_per_session, 1));
	for (guint s = 0; s < z->sessions; s++) {
		d->routers[s] = g_strdup_printf("198.18.10.%u", s + 1);
		for (guint p = 0; p < z->peers_per_session; p++) {
			char *peer = g_strdup_printf("2001:db8:%x::%x", s, p + 1);

			d->peers[d->n_routes] = peer;
			d->routes[d->n_routes++] = (struct rfm_metrics_bmp_routes){
				d->routers[s], peer, 1000000 - g_rand_int_range(r, 0, 100000)};
		}
	}
	for (int i = 0; i < RFM_STAT_MAX; i++)
		d->stats[i] = g_rand_int(r) * (guint64)1000;
	d->fs = (struct rfm_flow_table_stats){
		.created = 123456789012, .active = 654321, .capacity = 1000000};
	d->bs.sessions_open = z->sessions;
	d->rs.peers = z->sessions * z->peers_per_session;
	d->gs.db[0] = (struct rfm_geoip_db_stats){.configured = z->mmdb, .build_epoch = 1764000000};
	d->gs.db[1] = d->gs.db[0];
	d->rl = (struct rfm_metrics_reloads){
		.ok = 3, .last_success_s = 1764280000.25, .last_ok = true};
	g_rand_free(r);
}

static void data_fini(struct data *d)
{
	g_free(d->ifs);
	g_strfreev(d->if_names);
	g_free(d->col);
	g_strfreev(d->routers);
	g_strfreev(d->peers);
	g_free(d->routes);
}

static void render(GString *out, const struct data *d, const struct size *z)
{
	rfm_metrics_render_interfaces(out, d->ifs, z->ifaces);
	rfm_metrics_render_datapath(out, d->stats);
	rfm_metrics_render_flow_table(out, &d->fs);
	rfm_metrics_render_export(out, d->col, z->collectors);
	rfm_metrics_render_bmp(out, &d->bs, &d->rs, (const char *const *)d->routers, z->sessions,
			       d->routes, d->n_routes);
	rfm_metrics_render_geoip(out, &d->gs);
	rfm_metrics_render_config(out, &d->rl);
	rfm_metrics_render_scrape(out, 0.000123, 45678);
	rfm_metrics_render_process(out);
}

int main(int argc, char **argv)
{
	static const struct size sizes[] = {
		{"small", 4, 1, 0, 0, false},
		{"router", 64, 4, 4, 8, true},
		{"large", 512, 16, 16, 64, true},
	};
	unsigned long long reps = 200;
	int cpu;

	if (argc == 3 && strcmp(argv[1], "-r") == 0) {
		if (!bench_parse_uint(argv[2], 5, 1000000, &reps)) {
			fprintf(stderr, "usage: %s [-r REPETITIONS (5..1000000)]\n", argv[0]);
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: %s [-r REPETITIONS]\n", argv[0]);
		return 2;
	}
	if (bench_pin_cpu(-1, &cpu) == 0)
		printf("pinned to CPU %d, %llu renders per size\n\n", cpu, reps);
	printf("| size | interfaces | collectors | BMP peers | samples | body bytes | "
	       "render us min / median / max |\n|---|---|---|---|---|---|---|\n");
	for (gsize k = 0; k < G_N_ELEMENTS(sizes); k++) {
		const struct size *z = &sizes[k];
		struct data d;
		GString *out = g_string_sized_new(1 << 16);
		double *t = g_new(double, reps);
		struct bench_summary s;
		guint samples = 0;

		data_init(&d, z);
		render(out, &d, z); /* warm: GString grown, /proc pages cached */
		for (guint i = 0; i < reps; i++) {
			double t0;

			g_string_truncate(out, 0);
			t0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
			render(out, &d, z);
			t[i] = (bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e6;
		}
		for (const char *p = out->str; *p; p = strchr(p, '\n') + 1)
			samples += *p != '#';
		s = bench_summarise(t, (guint)reps);
		printf("| %s | %u | %u | %u | %u | %" G_GSIZE_FORMAT " | %.1f / %.1f / %.1f |\n",
		       z->name, z->ifaces, z->collectors, z->sessions * z->peers_per_session,
		       samples, out->len, s.min, s.median, s.max);
		g_free(t);
		g_string_free(out, TRUE);
		data_fini(&d);
	}
	return 0;
}
