// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * cmd_replay.c - the `rfm replay` command line: options (a configuration
 * file gives defaults, command-line options override them), the flow table
 * and its sink (JSON lines, and the collectors of the file's section ipfix),
 * the summary lines. The work is in replay.c.
 *
 * Exporting runs on capture time: the exporters start at the first packet
 * (NetFlow v9 uptime counts from there), template refresh and message flush
 * follow the capture's clock, and at the end every queue is drained for up
 * to REPLAY_DRAIN_MS. A collector that is slower than the replay slows it
 * down (REPLAY_BLOCK_MS per message at most) rather than losing records.
 *
 * Exit codes: 0 done; 1 a capture, the data path or the output failed (or a
 * capture ended in a read error, after the rest was replayed, or a
 * collector's queue was not empty at the end); 2 bad usage.
 */
#include "commands.h"
#include "replay.h"

#include <errno.h>
#include <stdio.h>

#include "bmp_feed.h"
#include "config.h"
#include "enrich.h"
#include "export.h"
#include "flow_json.h"
#include "geoip.h"
#include "rib.h"

#define REPLAY_DRAIN_MS 5000
#define REPLAY_BLOCK_MS 1000

/*
 * DOC: the records' sink, on rfm_replay_main()'s stack: JSON lines (when
 * json) and the collectors (when ipfix has any). out and exp are owned by it.
 */
struct replay_sink {
	bool json;
	FILE *out; /* stdout or the --output file */
	GString *line;
	guint32 sampling;
	const struct rfm_enricher *enricher;  /* borrowed; NULL: no enrichment keys */
	const struct rfm_config_ipfix *ipfix; /* borrowed; NULL: no collectors */
	struct rfm_export *exp;		      /* created at the first packet */
	struct rfm_export_sampler sampler;    /* the replay's one interface and direction */
	GError *error;			      /* the exporters could not be created */
	guint64 now_ms;			      /* capture time of the packet being run */
};

static void on_record(const struct rfm_flow_record *rec, void *user_data)
{
	struct replay_sink *s = user_data;
	struct rfm_enrichment e;

	if (s->enricher)
		rfm_enrich_record(s->enricher, rec, &e);
	if (s->json) {
		g_string_truncate(s->line, 0);
		rfm_flow_append_json(s->line, rec, s->enricher ? &e : NULL);
		g_string_append_c(s->line, '\n');
		fwrite(s->line->str, 1, s->line->len, s->out);
	}
	if (s->exp)
		rfm_export_flow(s->exp, rec, s->enricher ? &e : NULL, s->now_ms);
}

/* Every packet's capture time: the exporters start at the first and run on it. */
static void on_clock(guint64 now_ms, void *user_data)
{
	struct replay_sink *s = user_data;
	struct rfm_export_options eo = {.block_ms = REPLAY_BLOCK_MS};

	s->now_ms = now_ms;
	if (!s->exp && s->ipfix && !s->error) {
		s->exp = rfm_export_new(s->ipfix, &eo, now_ms, &s->error);
		if (s->exp)
			rfm_export_set_sampling(s->exp, &s->sampler, 1, now_ms);
	}
	if (s->exp)
		rfm_export_tick(s->exp, now_ms);
}

/* End of input: flush, drain with a deadline, one summary line per collector. */
static bool export_finish(struct replay_sink *s)
{
	guint n = rfm_export_collectors(s->exp);
	g_autofree struct rfm_export_collector_stats *st =
		g_new0(struct rfm_export_collector_stats, n + 1);
	bool ok;

	rfm_export_flush(s->exp, s->now_ms);
	ok = rfm_export_drain(s->exp, REPLAY_DRAIN_MS);
	rfm_export_get_stats(s->exp, st, n);
	for (guint i = 0; i < n; i++) {
		const struct rfm_transport_stats *t = &st[i].transport_stats;

		g_printerr("rfm replay: %s %s port %u/%s: %" G_GUINT64_FORMAT
			   " records in %" G_GUINT64_FORMAT " messages sent, %" G_GUINT64_FORMAT
			   " records dropped (queue full), %" G_GUINT64_FORMAT
			   " lost (send errors), %" G_GUINT64_FORMAT
			   " not exportable, %" G_GUINT64_FORMAT " messages unsent\n",
			   rfm_export_protocol_name(st[i].protocol), st[i].address, st[i].port,
			   rfm_transport_kind_name(st[i].transport), st[i].encoder_stats.records,
			   t->messages, t->dropped_records, t->lost_records,
			   st[i].encoder_stats.not_exportable, t->queued_messages);
	}
	if (!ok)
		g_printerr("rfm replay: not every collector took its messages within %u ms\n",
			   REPLAY_DRAIN_MS);
	return ok;
}

static bool parse_choice(const char *value, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++) {
		if (!g_strcmp0(value, names[i])) {
			*out = i;
			return true;
		}
	}
	return false;
}

static void print_summary(const struct rfm_replay_stats *st, const struct rfm_flow_table *t)
{
	struct rfm_flow_table_stats fs;

	rfm_flow_table_get_stats(t, &fs);
	g_printerr("rfm replay: %" G_GUINT64_FORMAT " files, %" G_GUINT64_FORMAT
		   " packets, %" G_GUINT64_FORMAT " events, %" G_GUINT64_FORMAT
		   " flow records (idle %" G_GUINT64_FORMAT ", active %" G_GUINT64_FORMAT
		   ", end of flow %" G_GUINT64_FORMAT ", forced %" G_GUINT64_FORMAT
		   ", resources %" G_GUINT64_FORMAT "); no event: %" G_GUINT64_FORMAT
		   " not IP, %" G_GUINT64_FORMAT " truncated, %" G_GUINT64_FORMAT
		   " bad header, %" G_GUINT64_FORMAT " skipped, %" G_GUINT64_FORMAT
		   " run errors; %" G_GUINT64_FORMAT " cut, %" G_GUINT64_FORMAT
		   " clamped times, %" G_GUINT64_FORMAT " read errors\n",
		   st->files, st->packets, st->events, fs.created, fs.ended[RFM_END_IDLE],
		   fs.ended[RFM_END_ACTIVE], fs.ended[RFM_END_EOF], fs.ended[RFM_END_FORCED],
		   fs.ended[RFM_END_RESOURCES], st->not_ip, st->truncated, st->bad_header,
		   st->skipped, st->run_errors, st->cut, st->clamped, st->read_errors);
}

int rfm_replay_main(int argc, char **argv)
{
	g_autofree char *config_path = NULL, *mode_s = NULL, *dir_s = NULL, *print_s = NULL,
			*output = NULL;
	g_auto(GStrv) files = NULL, bmp_files = NULL;
	g_autofree char *mmdb_asn = NULL, *mmdb_city = NULL;
	struct rfm_rib_options ro = {.max_routes_per_peer = G_MAXUINT32, .max_peers = 65536};
	struct rfm_enricher enricher = {0};
	struct rfm_rib *rib = NULL;
	struct rfm_geoip *geoip = NULL;
	gint64 sampling = G_MININT64, ifindex = 1; /* G_MININT64: not given */
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		 "Take sampling, flow timeouts, MMDB files and collectors (section ipfix) from "
		 "this configuration file",
		 "FILE"},
		{"sampling", 's', 0, G_OPTION_ARG_INT64, &sampling,
		 "Sample 1 in N packets (default 1, or the file's datapath.sampling)", "N"},
		{"sampling-mode", 0, 0, G_OPTION_ARG_STRING, &mode_s,
		 "random (default) or systematic", "MODE"},
		{"direction", 'd', 0, G_OPTION_ARG_STRING, &dir_s,
		 "Run packets through the ingress (default) or egress program", "DIR"},
		{"ifindex", 0, 0, G_OPTION_ARG_INT64, &ifindex,
		 "Interface index put in the records (default 1)", "N"},
		{"print", 'p', 0, G_OPTION_ARG_STRING, &print_s,
		 "Print flow records: json (one object per line)", "FORMAT"},
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
		 "Write what --print prints to FILE instead of standard output", "FILE"},
		{"bmp", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &bmp_files,
		 "Raw BMP stream captured from a router session, applied to the RIB before the "
		 "packets (repeatable: one session each)",
		 "FILE"},
		{G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL},
		{NULL},
	};
	static const char *const modes[] = {"random", "systematic"};
	static const char *const dirs[] = {"ingress", "egress"};
	struct rfm_replay_options o = RFM_REPLAY_OPTIONS_INIT;
	struct rfm_flow_table_options fo = {
		.idle_timeout_ms = 15000,
		.active_timeout_ms = 60000,
		.max_flows = 1000000,
		.tcp_end = true,
		.tcp_end_grace_ms = 2000,
		.max_next_hops = 65535,
	};
	struct rfm_replay_stats st;
	struct replay_sink sink = {0};
	struct rfm_config *cfg = NULL;
	struct rfm_flow_table *table = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) err = NULL;
	int mode = RFM_SAMPLE_RANDOM, dir = RFM_DIR_INGRESS, rc = 0;
	bool ok;

	ctx = g_option_context_new("FILE... - replay pcap/pcapng captures through the classifier");
	g_option_context_set_description(
		ctx, "Every packet goes through the BPF classifier with BPF_PROG_TEST_RUN (needs "
		     "CAP_BPF,\nno interface) and its events into the flow table, on the "
		     "captures' timestamps.\nRecords still open at the end are flushed (end "
		     "reason 4).\n");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		g_printerr("rfm replay: %s\n", err->message);
		return 2;
	}
	if (!files || !files[0]) {
		g_printerr("rfm replay: give at least one capture FILE\n");
		return 2;
	}
	if ((mode_s && !parse_choice(mode_s, modes, 2, &mode)) ||
	    (dir_s && !parse_choice(dir_s, dirs, 2, &dir))) {
		g_printerr("rfm replay: --sampling-mode is random or systematic, --direction "
			   "ingress or egress\n");
		return 2;
	}
	if (print_s && g_strcmp0(print_s, "json")) {
		g_printerr("rfm replay: --print takes json\n");
		return 2;
	}
	if (output && !print_s) {
		g_printerr("rfm replay: --output needs --print json\n");
		return 2;
	}
	if (ifindex < 1 || ifindex > G_MAXUINT32) {
		g_printerr("rfm replay: --ifindex must be 1..%u\n", G_MAXUINT32);
		return 2;
	}

	if (config_path) {
		cfg = rfm_config_load(config_path, &err);
		if (!cfg) {
			g_printerr("rfm replay: %s\n", err->message);
			return 2;
		}
		o.sampling = cfg->datapath.sampling;
		o.sampling_mode = cfg->datapath.sampling_mode;
		fo.idle_timeout_ms = cfg->flows.idle_timeout_ms;
		fo.active_timeout_ms = cfg->flows.active_timeout_ms;
		fo.max_flows = cfg->flows.max_flows;
		fo.tcp_end = cfg->flows.tcp_end;
		fo.tcp_end_grace_ms = cfg->flows.tcp_end_grace_ms;
		mmdb_asn = g_strdup(cfg->enrich.mmdb.asn);
		mmdb_city = g_strdup(cfg->enrich.mmdb.city);
		enricher.use_default_route = cfg->enrich.use_default_route;
		if (cfg->ipfix.collectors->len)
			sink.ipfix = &cfg->ipfix;
	}
	if (sampling != G_MININT64 && (sampling < 1 || sampling > G_MAXUINT32)) {
		g_printerr("rfm replay: --sampling must be 1..%u\n", G_MAXUINT32);
		rfm_config_free(cfg);
		return 2;
	}
	if (sampling != G_MININT64)
		o.sampling = (guint32)sampling;
	if (mode_s)
		o.sampling_mode = mode;
	if (o.sampling < 1) {
		g_printerr("rfm replay: sampling must be >= 1 (0, counters only, makes no "
			   "flows)\n");
		rfm_config_free(cfg);
		return 2;
	}
	o.direction = dir;
	o.ifindex = (guint32)ifindex;

	sink.sampling = o.sampling;
	sink.sampler.ifindex = o.ifindex;
	sink.sampler.direction = (guint8)o.direction;
	sink.sampler.mode = (guint8)o.sampling_mode;
	sink.sampler.rate = o.sampling;
	o.clock = on_clock;
	o.clock_data = &sink;
	sink.json = print_s != NULL;
	sink.line = g_string_sized_new(512);
	sink.out = stdout;
	if (output) {
		sink.out = fopen(output, "w");
		if (!sink.out) {
			g_printerr("rfm replay: %s: %s\n", output, g_strerror(errno));
			g_string_free(sink.line, TRUE);
			rfm_config_free(cfg);
			return 1;
		}
	}
	/* Enrichment: BMP streams into a RIB, MMDB files from the configuration. */
	if (bmp_files) {
		rib = rfm_rib_new(&ro);
		for (guint i = 0; bmp_files[i]; i++) {
			if (!rfm_bmp_feed_file(rib, i + 1, bmp_files[i], &err)) {
				g_printerr("rfm replay: %s\n", err->message);
				rc = 1;
				goto out;
			}
		}
		enricher.rib = rib;
		{
			struct rfm_rib_stats rs;

			rfm_rib_get_stats(rib, &rs);
			g_printerr("rfm replay: RIB from %u BMP streams: %u routes, %u IPv4 and %u "
				   "IPv6 prefixes, %u peers\n",
				   g_strv_length(bmp_files), rs.routes, rs.prefixes_v4,
				   rs.prefixes_v6, rs.peers);
		}
	}
	if (mmdb_asn || mmdb_city) {
		geoip = rfm_geoip_new(mmdb_asn, mmdb_city, &err);
		if (!geoip) {
			g_printerr("rfm replay: %s\n", err->message);
			rc = 1;
			goto out;
		}
		enricher.geoip = geoip;
	}
	if (rib || geoip)
		sink.enricher = &enricher;
	table = rfm_flow_table_new(&fo);
	if (print_s || sink.ipfix)
		rfm_flow_table_add_sink(table, on_record, &sink);

	ok = rfm_replay_files(&o, (const char *const *)files, table, &st, &err);
	if (!ok) {
		g_printerr("rfm replay: %s\n", err->message);
		rc = 1;
	} else {
		print_summary(&st, table);
		if (st.read_errors)
			rc = 1;
	}
	if (sink.error) {
		g_printerr("rfm replay: %s\n", sink.error->message);
		rc = 1;
	} else if (sink.exp && !export_finish(&sink)) {
		rc = 1;
	}
	if (fflush(sink.out) || ferror(sink.out)) {
		g_printerr("rfm replay: %s: write error: %s\n", output ? output : "stdout",
			   g_strerror(errno));
		rc = 1;
	}
	if (output && fclose(sink.out)) {
		g_printerr("rfm replay: %s: %s\n", output, g_strerror(errno));
		rc = 1;
	}
out:
	rfm_export_free(sink.exp);
	g_clear_error(&sink.error);
	rfm_config_free(cfg);
	rfm_flow_table_free(table);
	rfm_geoip_free(geoip);
	rfm_rib_free(rib);
	if (rc && output && sink.out && sink.out != stdout && !table)
		fclose(sink.out);
	g_string_free(sink.line, TRUE);
	return rc;
}
