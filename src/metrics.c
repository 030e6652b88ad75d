/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * metrics.c - the Prometheus text exposition of rfm's health (metrics.h):
 * the writer, one renderer per area, and rfm_metrics_render(), which reads
 * every area from the module that owns it at scrape time.
 *
 * Metric names and labels are those agreed in issue #6; do not rename.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "datapath.h"

void rfm_metrics_append_escaped(GString *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '"')
			g_string_append(out, "\\\"");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
}

/* HELP text escapes backslash and line feed only (format 0.0.4). */
static void append_help(GString *out, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
}

void rfm_metrics_family(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s ", name);
	append_help(out, help);
	g_string_append_printf(out, "\n# TYPE %s %s\n", name, type);
}

void rfm_metrics_append_double(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	if (isnan(v)) {
		g_string_append(out, "NaN");
		return;
	}
	if (isinf(v)) {
		g_string_append(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The shortest of %.15g .. %.17g that reads back exactly (%.17g always does). */
	for (int prec = 15; prec <= 17; prec++) {
		g_ascii_formatd(buf, sizeof(buf),
				prec == 15   ? "%.15g"
				: prec == 16 ? "%.16g"
					     : "%.17g",
				v);
		if (g_ascii_strtod(buf, NULL) == v)
			break;
	}
	g_string_append(out, buf);
}

static void sample_start(GString *out, const char *name, va_list ap)
{
	const char *k;
	bool first = true;

	g_string_append(out, name);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		g_string_append_c(out, first ? '{' : ',');
		first = false;
		g_string_append_printf(out, "%s=\"", k);
		rfm_metrics_append_escaped(out, v ? v : "");
		g_string_append_c(out, '"');
	}
	if (!first)
		g_string_append_c(out, '}');
	g_string_append_c(out, ' ');
}

void rfm_metrics_sample_u64(GString *out, const char *name, guint64 value, ...)
{
	va_list ap;

	va_start(ap, value);
	sample_start(out, name, ap);
	va_end(ap);
	g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", value);
}

void rfm_metrics_sample_double(GString *out, const char *name, double value, ...)
{
	va_list ap;

	va_start(ap, value);
	sample_start(out, name, ap);
	va_end(ap);
	rfm_metrics_append_double(out, value);
	g_string_append_c(out, '\n');
}

static const char *const dir_names[RFM_DIR_MAX] = {"ingress", "egress"};
static const char *const fam_names[RFM_FAMILY_MAX] = {"ipv4", "ipv6", "other"};

static void render_if_counter(GString *out, const struct rfm_metrics_iface *ifs, guint n,
			      bool bytes)
{
	const char *name = bytes ? "rfm_interface_bytes_total" : "rfm_interface_packets_total";

	rfm_metrics_family(out, name, "counter",
			   bytes ? "Bytes seen by the classifier (exact, every packet): the length "
				   "at the hook, link-layer header included."
				 : "Packets seen by the classifier (exact, every packet).");
	for (guint i = 0; i < n; i++)
		for (int d = 0; d < RFM_DIR_MAX; d++) {
			if (!ifs[i].have[d])
				continue;
			for (int f = 0; f < RFM_FAMILY_MAX; f++)
				rfm_metrics_sample_u64(out, name,
						       bytes ? ifs[i].c[d][f].bytes
							     : ifs[i].c[d][f].packets,
						       "interface", ifs[i].name, "direction",
						       dir_names[d], "family", fam_names[f], NULL);
		}
}

void rfm_metrics_render_interfaces(GString *out, const struct rfm_metrics_iface *ifs, guint n)
{
	guint attached = 0;

	render_if_counter(out, ifs, n, false);
	render_if_counter(out, ifs, n, true);
	rfm_metrics_family(out, "rfm_interface_attached", "gauge",
			   "1 for every interface the classifier is attached to, by attach mode.");
	for (guint i = 0; i < n; i++) {
		int mode = ifs[i].mode[RFM_DIR_INGRESS] >= 0 ? ifs[i].mode[RFM_DIR_INGRESS]
							     : ifs[i].mode[RFM_DIR_EGRESS];

		if (mode < 0)
			continue;
		attached++;
		rfm_metrics_sample_u64(out, "rfm_interface_attached", 1, "interface", ifs[i].name,
				       "mode", rfm_attach_mode_name(mode), NULL);
	}
	rfm_metrics_family(out, "rfm_interfaces_attached", "gauge",
			   "Interfaces the classifier is attached to.");
	rfm_metrics_sample_u64(out, "rfm_interfaces_attached", attached, NULL);
}

void rfm_metrics_render_datapath(GString *out, const guint64 stats[RFM_STAT_MAX])
{
	static const struct {
		const char *outcome;
		enum rfm_stat stat;
	} outcomes[] = {
		{"sampled", RFM_STAT_SAMPLED},	      {"truncated", RFM_STAT_TRUNCATED},
		{"not_ip", RFM_STAT_NOT_IP},	      {"bad_header", RFM_STAT_BAD_HEADER},
		{"ext_limit", RFM_STAT_EXTHDR_LIMIT}, {"unknown_interface", RFM_STAT_UNKNOWN_IF},
		{"fib_error", RFM_STAT_FIB_ERROR},
	};

	rfm_metrics_family(out, "rfm_ring_events_total", "counter",
			   "Sampled-packet events written to the ring buffer.");
	rfm_metrics_sample_u64(out, "rfm_ring_events_total", stats[RFM_STAT_EVENTS], NULL);
	rfm_metrics_family(out, "rfm_ring_drops_total", "counter",
			   "Sampled-packet events lost because the ring buffer was full.");
	rfm_metrics_sample_u64(out, "rfm_ring_drops_total", stats[RFM_STAT_RINGBUF_FULL], NULL);
	rfm_metrics_family(out, "rfm_datapath_events_total", "counter",
			   "Classifier outcomes: packets sampled, and what happened to them.");
	for (gsize i = 0; i < G_N_ELEMENTS(outcomes); i++)
		rfm_metrics_sample_u64(out, "rfm_datapath_events_total", stats[outcomes[i].stat],
				       "outcome", outcomes[i].outcome, NULL);
}

void rfm_metrics_render_flow_table(GString *out, const struct rfm_flow_table_stats *s)
{
	static const char *const reasons[RFM_END_MAX] = {
		[RFM_END_IDLE] = "idle",	   [RFM_END_ACTIVE] = "active",
		[RFM_END_EOF] = "end_of_flow",	   [RFM_END_FORCED] = "forced",
		[RFM_END_RESOURCES] = "resources",
	};

	rfm_metrics_family(out, "rfm_flows_active", "gauge", "Flows in the flow table.");
	rfm_metrics_sample_u64(out, "rfm_flows_active", s->active, NULL);
	rfm_metrics_family(out, "rfm_flows_capacity", "gauge",
			   "Largest number of flows the table holds (flows.max_flows).");
	rfm_metrics_sample_u64(out, "rfm_flows_capacity", s->capacity, NULL);
	rfm_metrics_family(out, "rfm_flows_created_total", "counter",
			   "Flows created in the flow table.");
	rfm_metrics_sample_u64(out, "rfm_flows_created_total", s->created, NULL);
	rfm_metrics_family(out, "rfm_flows_expired_total", "counter",
			   "Flow records ended, by flowEndReason.");
	for (int r = RFM_END_IDLE; r < RFM_END_MAX; r++)
		rfm_metrics_sample_u64(out, "rfm_flows_expired_total", s->ended[r], "reason",
				       reasons[r], NULL);
}

static void collector_label(char *buf, gsize size, const struct rfm_export_collector_stats *c)
{
	bool v6 = strchr(c->address, ':') != NULL;

	g_snprintf(buf, size, "%s://%s%s%s:%u",
		   rfm_export_protocol_name((enum rfm_export_protocol)c->protocol), v6 ? "[" : "",
		   c->address, v6 ? "]" : "", c->port);
}

enum export_metric {
	EXP_MESSAGES,
	EXP_RECORDS,
	EXP_BYTES,
	EXP_ERRORS,
	EXP_QUEUE_DROPS,
	EXP_QUEUE_BYTES,
	EXP_TEMPLATES,
	EXP_UP,
	EXP_RECONNECTS,
	EXP_MAX,
};

static guint64 export_value(const struct rfm_export_collector_stats *c, enum export_metric m)
{
	const struct rfm_transport_stats *t = &c->transport_stats;

	switch (m) {
	case EXP_MESSAGES:
		return t->messages;
	case EXP_RECORDS:
		return c->encoder_stats.records;
	case EXP_BYTES:
		return t->octets;
	case EXP_ERRORS:
		return t->send_errors + t->connect_failures;
	case EXP_QUEUE_DROPS:
		return t->dropped_records + t->lost_records;
	case EXP_QUEUE_BYTES:
		return t->queued_octets;
	case EXP_TEMPLATES:
		return c->encoder_stats.announcements;
	case EXP_UP:
		return t->state == RFM_TRANSPORT_UP;
	case EXP_RECONNECTS:
		return t->reconnects;
	default:
		return 0;
	}
}

void rfm_metrics_render_export(GString *out, const struct rfm_export_collector_stats *c, guint n)
{
	static const struct {
		const char *name, *type, *help;
	} fams[EXP_MAX] = {
		[EXP_MESSAGES] = {"rfm_export_messages_total", "counter",
				  "Messages written whole to the collector's socket."},
		[EXP_RECORDS] = {"rfm_export_records_total", "counter",
				 "Flow records encoded into messages for the collector."},
		[EXP_BYTES] = {"rfm_export_bytes_total", "counter",
			       "Bytes of messages written to the collector's socket."},
		[EXP_ERRORS] = {"rfm_export_errors_total", "counter",
				"Failed sends and failed connection attempts."},
		[EXP_QUEUE_DROPS] = {"rfm_export_queue_drops_total", "counter",
				     "Flow records dropped: queue full or collector down."},
		[EXP_QUEUE_BYTES] = {"rfm_export_queue_bytes", "gauge",
				     "Bytes of messages waiting in the collector's queue."},
		[EXP_TEMPLATES] = {"rfm_export_template_refreshes_total", "counter",
				   "Template and options announcements sent."},
		[EXP_UP] = {"rfm_export_collector_up", "gauge",
			    "1 when the collector's socket takes messages, else 0."},
		[EXP_RECONNECTS] = {"rfm_export_reconnects_total", "counter",
				    "Connections or socket set-ups after the first."},
	};
	char label[80];

	for (int m = 0; m < EXP_MAX; m++) {
		rfm_metrics_family(out, fams[m].name, fams[m].type, fams[m].help);
		for (guint i = 0; i < n; i++) {
			collector_label(label, sizeof(label), &c[i]);
			rfm_metrics_sample_u64(
				out, fams[m].name, export_value(&c[i], (enum export_metric)m),
				"collector", label, "transport",
				rfm_transport_kind_name((enum rfm_transport_kind)c[i].transport),
				NULL);
		}
	}
}

void rfm_metrics_render_bmp(GString *out, const struct rfm_bmp_stats *bmp,
			    const struct rfm_rib_stats *rib, const char *const *routers_up,
			    guint n_up, const struct rfm_metrics_bmp_routes *routes, guint n_routes)
{
	/* RFC 7854 section 4.1 message types 0..6; [7] every other type. */
	static const char *const types[8] = {
		"route_monitoring", "statistics_report", "peer_down",	    "peer_up",
		"initiation",	    "termination",	 "route_mirroring", "unknown",
	};
	struct rfm_bmp_stats zb = {0};
	struct rfm_rib_stats zr = {0};

	if (!bmp)
		bmp = &zb;
	if (!rib)
		rib = &zr;
	rfm_metrics_family(out, "rfm_bmp_sessions", "gauge", "Open BMP sessions.");
	rfm_metrics_sample_u64(out, "rfm_bmp_sessions", bmp->sessions_open, NULL);
	rfm_metrics_family(out, "rfm_bmp_session_up", "gauge", "1 for every open BMP session.");
	for (guint i = 0; i < n_up; i++)
		rfm_metrics_sample_u64(out, "rfm_bmp_session_up", 1, "router", routers_up[i], NULL);
	rfm_metrics_family(out, "rfm_bmp_peers", "gauge",
			   "BGP peers (peer x view) of open BMP sessions in the RIB.");
	rfm_metrics_sample_u64(out, "rfm_bmp_peers", rib->peers, NULL);
	rfm_metrics_family(out, "rfm_bmp_routes", "gauge", "Routes in the RIB by router and peer.");
	for (guint i = 0; i < n_routes; i++)
		rfm_metrics_sample_u64(out, "rfm_bmp_routes", routes[i].routes, "router",
				       routes[i].router, "peer", routes[i].peer, NULL);
	rfm_metrics_family(out, "rfm_bmp_messages_total", "counter",
			   "BMP messages received, by type.");
	for (int t = 0; t < 8; t++)
		rfm_metrics_sample_u64(out, "rfm_bmp_messages_total", bmp->messages[t], "type",
				       types[t], NULL);
	rfm_metrics_family(out, "rfm_bmp_session_errors_total", "counter",
			   "BMP sessions closed by a socket error or a malformed stream.");
	rfm_metrics_sample_u64(
		out, "rfm_bmp_session_errors_total",
		bmp->closed[RFM_BMP_CLOSE_ERROR] + bmp->closed[RFM_BMP_CLOSE_MALFORMED], NULL);
	rfm_metrics_family(out, "rfm_bmp_limit_hits_total", "counter",
			   "Times a BMP or RIB limit refused something, by limit.");
	rfm_metrics_sample_u64(out, "rfm_bmp_limit_hits_total", bmp->refused_limit, "limit",
			       "sessions", NULL);
	rfm_metrics_sample_u64(out, "rfm_bmp_limit_hits_total", rib->dropped_peer_limit, "limit",
			       "routes", NULL);
	rfm_metrics_sample_u64(out, "rfm_bmp_limit_hits_total", bmp->message_size_limit, "limit",
			       "message_size", NULL);
	rfm_metrics_sample_u64(out, "rfm_bmp_limit_hits_total", rib->dropped_peers, "limit",
			       "peers", NULL);
}

void rfm_metrics_render_geoip(GString *out, const struct rfm_geoip_stats *s)
{
	rfm_metrics_family(out, "rfm_mmdb_build_epoch_seconds", "gauge",
			   "Build time (metadata.build_epoch) of the MMDB file in service.");
	for (int d = 0; s && d < RFM_GEOIP_N_DB; d++)
		if (s->db[d].configured)
			rfm_metrics_sample_u64(out, "rfm_mmdb_build_epoch_seconds",
					       s->db[d].build_epoch, "database",
					       rfm_geoip_db_name((enum rfm_geoip_db)d), NULL);
	rfm_metrics_family(out, "rfm_mmdb_reloads_total", "counter",
			   "MMDB file reopenings, by result (a failure keeps the previous file).");
	for (int d = 0; s && d < RFM_GEOIP_N_DB; d++) {
		const char *db = rfm_geoip_db_name((enum rfm_geoip_db)d);

		if (!s->db[d].configured)
			continue;
		rfm_metrics_sample_u64(out, "rfm_mmdb_reloads_total", s->db[d].reloads_ok,
				       "database", db, "result", "success", NULL);
		rfm_metrics_sample_u64(out, "rfm_mmdb_reloads_total", s->db[d].reloads_failed,
				       "database", db, "result", "failure", NULL);
	}
}

void rfm_metrics_render_config(GString *out, const struct rfm_metrics_reloads *r)
{
	rfm_metrics_family(out, "rfm_config_reloads_total", "counter",
			   "Configuration reloads (SIGHUP), by result.");
	rfm_metrics_sample_u64(out, "rfm_config_reloads_total", r->ok, "result", "success", NULL);
	rfm_metrics_sample_u64(out, "rfm_config_reloads_total", r->failed, "result", "failure",
			       NULL);
	rfm_metrics_family(out, "rfm_config_last_reload_success_timestamp_seconds", "gauge",
			   "Unix time of the last successful configuration load.");
	rfm_metrics_sample_double(out, "rfm_config_last_reload_success_timestamp_seconds",
				  r->last_success_s, NULL);
	rfm_metrics_family(out, "rfm_config_last_reload_successful", "gauge",
			   "1 if the last configuration reload succeeded, else 0.");
	rfm_metrics_sample_u64(out, "rfm_config_last_reload_successful", r->last_ok, NULL);
}

void rfm_metrics_render_scrape(GString *out, double duration_s, guint64 bytes)
{
	rfm_metrics_family(out, "rfm_scrape_duration_seconds", "gauge",
			   "Time taken to render the previous scrape.");
	rfm_metrics_sample_double(out, "rfm_scrape_duration_seconds", duration_s, NULL);
	rfm_metrics_family(out, "rfm_scrape_bytes", "gauge", "Size of the previous scrape's body.");
	rfm_metrics_sample_u64(out, "rfm_scrape_bytes", bytes, NULL);
}

/* Fields 14 (utime), 15 (stime), 22 (starttime), 23 (vsize), 24 (rss) of /proc/self/stat. */
static bool read_proc_stat(guint64 f[25])
{
	g_autofree char *text = NULL;
	const char *p;
	int i = 3;

	if (!g_file_get_contents("/proc/self/stat", &text, NULL, NULL))
		return false;
	p = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return false;
	p += 2;
	while (*p && i <= 24) {
		while (*p == ' ')
			p++;
		f[i] = g_ascii_strtoull(p, NULL, 10);
		while (*p && *p != ' ')
			p++;
		i++;
	}
	return i > 24;
}

static guint64 boot_time_s(void)
{
	g_autofree char *text = NULL;
	const char *p;

	if (!g_file_get_contents("/proc/stat", &text, NULL, NULL))
		return 0;
	p = strstr(text, "\nbtime ");
	return p ? g_ascii_strtoull(p + 7, NULL, 10) : 0;
}

static guint64 open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	guint64 n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the one opendir() holds */
}

void rfm_metrics_render_process(GString *out)
{
	guint64 f[25] = {0};
	double tick = (double)sysconf(_SC_CLK_TCK);
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	bool ok = read_proc_stat(f);

	if (ok) {
		rfm_metrics_family(out, "process_cpu_seconds_total", "counter",
				   "Total user and system CPU time spent in seconds.");
		rfm_metrics_sample_double(out, "process_cpu_seconds_total",
					  (double)(f[14] + f[15]) / tick, NULL);
		rfm_metrics_family(out, "process_start_time_seconds", "gauge",
				   "Start time of the process since unix epoch in seconds.");
		rfm_metrics_sample_double(out, "process_start_time_seconds",
					  (double)boot_time_s() + (double)f[22] / tick, NULL);
		rfm_metrics_family(out, "process_virtual_memory_bytes", "gauge",
				   "Virtual memory size in bytes.");
		rfm_metrics_sample_u64(out, "process_virtual_memory_bytes", f[23], NULL);
		rfm_metrics_family(out, "process_resident_memory_bytes", "gauge",
				   "Resident memory size in bytes.");
		rfm_metrics_sample_u64(out, "process_resident_memory_bytes", f[24] * (guint64)page,
				       NULL);
	}
	rfm_metrics_family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
	rfm_metrics_sample_u64(out, "process_open_fds", open_fds(), NULL);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rfm_metrics_family(out, "process_max_fds", "gauge",
				   "Maximum number of open file descriptors.");
		rfm_metrics_sample_u64(out, "process_max_fds",
				       rl.rlim_cur == RLIM_INFINITY ? G_MAXUINT64 : rl.rlim_cur,
				       NULL);
	}
	rfm_metrics_family(out, "rfm_build_info", "gauge", "Always 1; the version of rfm.");
	rfm_metrics_sample_u64(out, "rfm_build_info", 1, "version", RFM_VERSION, NULL);
}

static void render_datapath_all(GString *out, const struct rfm_metrics_sources *src)
{
	guint64 stats[RFM_STAT_MAX] = {0};
	g_autoptr(GArray) idx = NULL;
	GArray *ifs = g_array_new(FALSE, TRUE, sizeof(struct rfm_metrics_iface));
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	if (src->dp) {
		idx = rfm_datapath_interfaces(src->dp);
		for (guint i = 0; i < idx->len; i++) {
			guint32 ifindex = g_array_index(idx, guint32, i);
			struct rfm_metrics_iface mi = {0};
			char buf[IF_NAMESIZE];
			const char *name = src->if_name ? src->if_name(ifindex, src->if_name_ud)
							: if_indextoname(ifindex, buf);
			char *owned = name ? g_strdup(name) : g_strdup_printf("if%u", ifindex);

			g_ptr_array_add(names, owned);
			mi.name = owned;
			for (int d = 0; d < RFM_DIR_MAX; d++) {
				mi.mode[d] = rfm_datapath_attach_mode(src->dp, ifindex,
								      (enum rfm_direction)d);
				mi.have[d] = rfm_datapath_read_counters(
					src->dp, ifindex, (enum rfm_direction)d, mi.c[d]);
			}
			g_array_append_val(ifs, mi);
		}
		rfm_datapath_read_stats(src->dp, stats);
	}
	rfm_metrics_render_interfaces(out, (struct rfm_metrics_iface *)(void *)ifs->data, ifs->len);
	rfm_metrics_render_datapath(out, stats);
	g_array_unref(ifs);
	g_ptr_array_unref(names);
}

/* rfm_bmp_foreach_session() -> session number -> router text, and the routers of open sessions. */
struct bmp_walk {
	GHashTable *router_of; /* session -> router (owned strings) */
	GPtrArray *up;	       /* borrowed from router_of */
	GHashTable *routes;    /* "router\npeer" -> guint64 routes (owned keys) */
};

static void bmp_session_cb(const struct rfm_bmp_session_info *info, void *ud)
{
	struct bmp_walk *w = ud;
	char *router;

	if (info->state != RFM_BMP_STATE_UP || !info->session)
		return;
	router = g_strdup(info->router);
	g_hash_table_insert(w->router_of, GUINT_TO_POINTER(info->session), router);
	g_ptr_array_add(w->up, router);
}

static void rib_peer_cb(guint32 peer_id, const struct rfm_rib_peer_key *key, guint32 peer_as,
			guint32 routes, void *ud)
{
	struct bmp_walk *w = ud;
	const char *router = g_hash_table_lookup(w->router_of, GUINT_TO_POINTER(key->session));
	char addr[INET6_ADDRSTRLEN];
	char *k;
	guint64 *sum;

	(void)peer_id;
	(void)peer_as;
	if (!router)
		return;
	if (!inet_ntop(key->addr_version == 4 ? AF_INET : AF_INET6, key->addr, addr, sizeof(addr)))
		return;
	/* Views and distinguishers of one peer address add up: one series per address. */
	k = g_strdup_printf("%s\n%s", router, addr);
	sum = g_hash_table_lookup(w->routes, k);
	if (!sum) {
		sum = g_new0(guint64, 1);
		g_hash_table_insert(w->routes, k, sum);
	} else {
		g_free(k);
	}
	*sum += routes;
}

static gint routes_cmp(gconstpointer x, gconstpointer y)
{
	const struct rfm_metrics_bmp_routes *a = x, *b = y;
	int c = strcmp(a->router, b->router);

	return c ? c : strcmp(a->peer, b->peer);
}

static void render_bmp_all(GString *out, const struct rfm_metrics_sources *src)
{
	struct rfm_bmp_stats bs = {0};
	struct rfm_rib_stats rs = {0};
	struct bmp_walk w = {
		.router_of = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free),
		.up = g_ptr_array_new(),
		.routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
	};
	GArray *rt = g_array_new(FALSE, TRUE, sizeof(struct rfm_metrics_bmp_routes));
	GHashTableIter it;
	gpointer k, v;

	if (src->bmp) {
		rfm_bmp_get_stats(src->bmp, &bs);
		rfm_bmp_foreach_session(src->bmp, bmp_session_cb, &w);
	}
	if (src->rib) {
		rfm_rib_get_stats(src->rib, &rs);
		rfm_rib_foreach_peer(src->rib, rib_peer_cb, &w);
	}
	g_hash_table_iter_init(&it, w.routes);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		char *nl = strchr(k, '\n');
		struct rfm_metrics_bmp_routes r = {
			.router = k, .peer = nl + 1, .routes = *(guint64 *)v};

		*nl = '\0'; /* the key is not hashed again */
		g_array_append_val(rt, r);
	}
	g_array_sort(rt, routes_cmp);
	rfm_metrics_render_bmp(out, &bs, &rs, (const char *const *)w.up->pdata, w.up->len,
			       (struct rfm_metrics_bmp_routes *)(void *)rt->data, rt->len);
	g_array_unref(rt);
	g_ptr_array_unref(w.up);
	g_hash_table_destroy(w.routes);
	g_hash_table_destroy(w.router_of);
}

void rfm_metrics_render(GString *out, const struct rfm_metrics_sources *src)
{
	struct rfm_flow_table_stats fs = {0};
	struct rfm_geoip_stats gs;

	render_datapath_all(out, src);
	if (src->flows)
		rfm_flow_table_get_stats(src->flows, &fs);
	rfm_metrics_render_flow_table(out, &fs);
	if (src->exp) {
		guint n = rfm_export_collectors(src->exp);
		struct rfm_export_collector_stats *c =
			g_new0(struct rfm_export_collector_stats, MAX(n, 1));

		n = rfm_export_get_stats(src->exp, c, n);
		rfm_metrics_render_export(out, c, n);
		g_free(c);
	} else {
		rfm_metrics_render_export(out, NULL, 0);
	}
	render_bmp_all(out, src);
	if (src->geoip)
		rfm_geoip_get_stats(src->geoip, &gs);
	rfm_metrics_render_geoip(out, src->geoip ? &gs : NULL);
	rfm_metrics_render_config(out, &src->reloads);
	rfm_metrics_render_scrape(out, src->scrape_duration_s, src->scrape_bytes);
	rfm_metrics_render_process(out);
	if (src->render_rollup)
		src->render_rollup(out, src->rollup_ud);
}
