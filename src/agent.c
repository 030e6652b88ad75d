// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * agent.c - `rfm agent`: the daemon. One GLib main loop in one thread:
 *
 *   drain timer     ring buffer -> flow table (events stamped by the kernel)
 *                   -> expiry -> enrichment -> sinks: JSON lines, and the
 *                   exporting processes (export.h: IPFIX, NetFlow collectors)
 *   flow hooks      a flow opening picks its Prometheus series (rollup.h) from
 *                   its enrichment; the table counts each sample into it
 *   clock timer     refreshes the CLOCK_BOOTTIME -> Unix offset
 *   linkwatch       interfaces that appear, are renamed or go away
 *   BMP sessions    routers' BMP streams -> RIB (bmp.c), for the enrichment
 *                   of records (RIB first, MMDB second: enrich.h)
 *   SIGHUP          reload the configuration file (and the MMDB files);
 *                   collectors whose settings did not change are kept
 *   SIGUSR1         write the RIB to the --dump-rib file
 *   HTTP            /metrics and /healthz for Prometheus (http.c renders
 *                   metrics.c's exposition from every module's stats)
 *   SIGTERM/SIGINT  end every flow (reason 4), deliver (collectors' queues
 *                   drained for up to EXPORT_DRAIN_MS), detach, exit 0
 *
 * Interface selection and sampling come from the configuration, which the
 * command line can override for quick runs without a file.
 */
#include "commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib.h>

#include "bmp.h"
#include "clock.h"
#include "config.h"
#include "datapath.h"
#include "enrich.h"
#include "event_json.h"
#include "export.h"
#include "flow_json.h"
#include "flow_table.h"
#include "rollup.h"
#include "geoip.h"
#include "http.h"
#include "ifmatch.h"
#include "linkwatch.h"
#include "log.h"
#include "metrics.h"
#include "rib.h"

#define CLOCK_REFRESH_S 5
#define EXPORT_DRAIN_MS 2000 /* at shutdown: longest wait for collectors' queues to empty */

/* DOC: one attached interface, owned by agent.ifaces (key: ifindex). */
struct agent_if {
	guint32 ifindex;
	char name[IF_NAMESIZE];
	guint32 sampling;
	int sampling_mode;
	int directions;
};

/* Command-line settings that override the configuration file. */
struct agent_cli {
	char *config_path;
	char **interfaces;
	char **exclude;
	gint sampling; /* -1: from the file */
	char *sampling_mode;
	char *attach;
	char *direction;
	gboolean no_fib;
	gint drain_ms; /* 0: from the file */
	gint duration_s;
	char *print;
	char *output;
	gboolean print_events;
	char *dump_rib;
};

/* DOC: the state of one agent run, owned by rfm_agent_main()'s stack frame. */
struct agent {
	GMainLoop *loop;	      /* owned */
	struct rfm_config *cfg;	      /* owned; replaced whole on reload */
	struct rfm_datapath *dp;      /* owned */
	struct rfm_flow_table *flows; /* owned */
	struct rfm_rollup *rollup;    /* owned: Prometheus flow series, fed by flows' hooks */
	struct rfm_linkwatch *lw;     /* owned */
	struct rfm_rib *rib;	      /* owned, always there (empty without BMP) */
	struct rfm_bmp *bmp;	      /* owned; NULL until BMP is configured */
	struct rfm_geoip *geoip;      /* owned; NULL without MMDB files */
	struct rfm_enricher enricher; /* borrows rib and geoip */
	bool enrich;		      /* a source is configured: records carry the keys */
	struct rfm_export *exp;	      /* owned; without collectors nothing is exported */
	/* Ended records waiting to be enriched together (agent_emit_records()). */
	struct rfm_flow_record pending[RFM_ENRICH_BATCH];
	guint n_pending;
	bool ifaces_batch;  /* ifaces_sync() running: export tables updated at its end */
	GHashTable *ifaces; /* ifindex -> struct agent_if (owned) */
	struct rfm_clock clock;
	guint64 now_ms;		     /* never goes backwards */
	FILE *flow_out;		     /* --print json target, or NULL; owned unless stdout */
	FILE *event_out;	     /* --print-events target (stdout) or NULL */
	GString *line;		     /* reused output buffer */
	const struct agent_cli *cli; /* borrowed: overrides re-applied on reload */
	struct rfm_flow_batch batch;
	guint drain_source;
	guint ring_source;
	guint64 events;
	guint64 reloads_ok, reloads_failed;
	double last_load_s; /* Unix time of the last successful load, the start included */
	bool last_reload_ok;
	struct rfm_http *http; /* owned; NULL when prometheus.port is 0 or it failed */
	guint64 attach_errors;
};

static guint64 agent_now(struct agent *a)
{
	guint64 t = rfm_clock_now_ms(&a->clock);

	if (t > a->now_ms)
		a->now_ms = t;
	return a->now_ms;
}

static void on_event(const struct rfm_event *ev, void *user_data)
{
	struct agent *a = user_data;
	guint64 t = rfm_clock_boot_to_unix_ms(&a->clock, ev->tstamp_ns);

	a->events++;
	if (t > a->now_ms)
		a->now_ms = t;
	if (a->event_out) {
		g_string_truncate(a->line, 0);
		rfm_event_append_json(a->line, ev);
		g_string_append_c(a->line, '\n');
		fwrite(a->line->str, 1, a->line->len, a->event_out);
	}
	rfm_flow_batch_add(a->flows, &a->batch, ev, a->now_ms);
}

/*
 * Bring the flow table up to date: every event the kernel has written so
 * far is accounted. Before anything that ends flows (expiry, a flush), so
 * that events already sampled are never left to open new flows after it.
 */
static void agent_sync(struct agent *a)
{
	int n = rfm_datapath_drain(a->dp);

	if (n < 0)
		rfm_warning_ratelimited("ring buffer: %s", g_strerror(-n));
	rfm_flow_table_update_batch(a->flows, &a->batch);
}

/*
 * Enrich the pending records in one batch (their RIB lookups overlap), then
 * write and export them in the order they ended. Runs when the batch is full
 * and after every expiry pass (on_drain, shutdown); records a flush of an
 * interface or a reload ended wait for the next drain tick at most.
 */
static void agent_emit_records(struct agent *a)
{
	const struct rfm_flow_record *recs[RFM_ENRICH_BATCH];
	struct rfm_enrichment en[RFM_ENRICH_BATCH];
	bool exporting = rfm_export_collectors(a->exp) > 0;
	guint n = a->n_pending;

	a->n_pending = 0;
	for (guint i = 0; i < n; i++)
		recs[i] = &a->pending[i];
	if (a->enrich)
		rfm_enrich_records(&a->enricher, n, recs, en);
	for (guint i = 0; i < n; i++) {
		if (a->flow_out) {
			g_string_truncate(a->line, 0);
			rfm_flow_append_json(a->line, recs[i], a->enrich ? &en[i] : NULL);
			g_string_append_c(a->line, '\n');
			fwrite(a->line->str, 1, a->line->len, a->flow_out);
		}
		if (exporting)
			rfm_export_flow(a->exp, recs[i], a->enrich ? &en[i] : NULL, a->now_ms);
	}
}

static void on_flow(const struct rfm_flow_record *rec, void *user_data)
{
	struct agent *a = user_data;

	if (!a->flow_out && !rfm_export_collectors(a->exp))
		return;
	a->pending[a->n_pending++] = *rec; /* valid only during this call: copied */
	if (a->n_pending == RFM_ENRICH_BATCH)
		agent_emit_records(a);
}

/*
 * Flow table hooks: a flow's rollup series is chosen once, when it opens,
 * from its enrichment (RIB, then MMDB); the table adds each sample to it.
 */
static guint32 on_flow_open(const struct rfm_flow_key *key, guint64 now_ms, void *user_data)
{
	struct agent *a = user_data;
	struct rfm_rollup_key rk = {
		.ifindex = key->ifindex,
		.direction = key->direction,
		.protocol = key->protocol,
	};

	if (a->enrich) {
		struct rfm_flow_record rec = {.key = *key};
		struct rfm_enrichment en;

		rfm_enrich_record(&a->enricher, &rec, &en);
		rk.src_asn = en.src_asn;
		rk.dst_asn = en.dst_asn;
		memcpy(rk.src_country, en.src_country, sizeof(rk.src_country));
		memcpy(rk.dst_country, en.dst_country, sizeof(rk.dst_country));
		rk.src_city = en.src_city; /* copied by the rollup */
		rk.dst_city = en.dst_city;
	}
	return rfm_rollup_series(a->rollup, &rk, now_ms);
}

static void on_flow_close(guint32 tag, void *user_data)
{
	struct agent *a = user_data;

	rfm_rollup_release(a->rollup, tag);
}

/* The rollup labels of prometheus.labels (validated names), by rollup.c's own names. */
static guint32 rollup_labels(char *const *names)
{
	guint32 bits = 0;

	for (guint i = 0; names && names[i]; i++)
		for (guint32 bit = 1; bit & RFM_ROLLUP_LABELS_ALL; bit <<= 1)
			if (!g_strcmp0(names[i], rfm_rollup_label_name(bit)))
				bits |= bit;
	return bits;
}

/* The flow rollup's limits: section prometheus. */
static struct rfm_rollup_options rollup_options(const struct rfm_config *cfg)
{
	return (struct rfm_rollup_options){
		.labels = rollup_labels(cfg->prometheus.labels),
		.max_series = cfg->prometheus.max_series,
		.series_ttl_s = MAX(1u, cfg->prometheus.series_ttl_ms / 1000),
	};
}

static gboolean on_drain(gpointer user_data)
{
	struct agent *a = user_data;

	agent_sync(a);
	rfm_flow_table_expire(a->flows, agent_now(a));
	agent_emit_records(a);
	rfm_rollup_expire(a->rollup, a->now_ms); /* does its pass at most once a second */
	/* Template refresh when due; a message not full goes out RFM_EXPORT_FLUSH_MS late at most.
	 */
	rfm_export_tick(a->exp, a->now_ms);
	if (a->flow_out)
		fflush(a->flow_out);
	if (a->event_out)
		fflush(a->event_out);
	return G_SOURCE_CONTINUE;
}

/* The ring's epoll fd: readable once the kernel woke us (ring filling up). */
static gboolean on_ring_ready(gint fd, GIOCondition cond, gpointer user_data)
{
	on_drain(user_data);
	return G_SOURCE_CONTINUE;
}

static gboolean on_clock(gpointer user_data)
{
	struct agent *a = user_data;

	rfm_clock_refresh(&a->clock);
	return G_SOURCE_CONTINUE;
}

static struct rfm_flow_table_options flow_options(const struct rfm_config *cfg)
{
	struct rfm_flow_table_options o = {
		.idle_timeout_ms = cfg->flows.idle_timeout_ms,
		.active_timeout_ms = cfg->flows.active_timeout_ms,
		.max_flows = cfg->flows.max_flows,
		.tcp_end = cfg->flows.tcp_end,
		.tcp_end_grace_ms = cfg->flows.tcp_end_grace_ms,
		.max_next_hops = 65535,
	};

	return o;
}

static bool selected(const struct rfm_config *cfg, const char *name)
{
	return rfm_ifmatch((const char *const *)cfg->datapath.interfaces,
			   (const char *const *)cfg->datapath.exclude, name);
}

static gint iface_cmp(gconstpointer x, gconstpointer y)
{
	const struct rfm_export_interface *a = x, *b = y;

	return a->ifindex < b->ifindex ? -1 : a->ifindex > b->ifindex;
}

static gint sampler_cmp(gconstpointer x, gconstpointer y)
{
	const struct rfm_export_sampler *a = x, *b = y;

	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return (gint)a->direction - (gint)b->direction;
}

/*
 * Tell the collectors what every attached interface is called and how each
 * of its hooks samples (counters-only hooks make no records and are left
 * out). Encoders send a changed sampling table at once and ignore an
 * unchanged one, so this runs after every attach, detach and reload.
 */
static void export_tables_update(struct agent *a)
{
	g_autoptr(GArray) smp = g_array_new(FALSE, FALSE, sizeof(struct rfm_export_sampler));
	g_autoptr(GArray) ifs = g_array_new(FALSE, FALSE, sizeof(struct rfm_export_interface));
	GHashTableIter it;
	gpointer value;

	if (a->ifaces_batch || !a->exp)
		return;
	g_hash_table_iter_init(&it, a->ifaces);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct agent_if *ai = value;
		struct rfm_export_interface e = {ai->ifindex, ai->name};

		g_array_append_val(ifs, e);
		for (int d = 0; d < RFM_DIR_MAX && ai->sampling; d++) {
			struct rfm_export_sampler s = {
				.ifindex = ai->ifindex,
				.direction = (guint8)d,
				.mode = (guint8)ai->sampling_mode,
				.rate = ai->sampling,
			};

			if (ai->directions & (1 << d))
				g_array_append_val(smp, s);
		}
	}
	g_array_sort(smp, sampler_cmp);
	g_array_sort(ifs, iface_cmp);
	rfm_export_set_interfaces(a->exp, (const struct rfm_export_interface *)ifs->data, ifs->len);
	rfm_export_set_sampling(a->exp, (const struct rfm_export_sampler *)smp->data, smp->len,
				agent_now(a));
}

static void iface_detach(struct agent *a, struct agent_if *ai, const char *why)
{
	g_autoptr(GError) err = NULL;

	agent_sync(a);
	rfm_flow_table_expire(a->flows, agent_now(a));
	rfm_flow_table_flush_interface(a->flows, ai->ifindex);
	if (!rfm_datapath_detach(a->dp, ai->ifindex, &err))
		g_warning("%s: %s", ai->name, err->message);
	g_message("detached %s (ifindex %u): %s", ai->name, ai->ifindex, why);
	g_hash_table_remove(a->ifaces, GUINT_TO_POINTER(ai->ifindex));
	export_tables_update(a);
}

/* Attach (or update) ifindex as the configuration says. */
static void iface_apply(struct agent *a, guint32 ifindex, const char *name)
{
	const struct rfm_config *cfg = a->cfg;
	struct agent_if *ai = g_hash_table_lookup(a->ifaces, GUINT_TO_POINTER(ifindex));
	struct rfm_if_settings s = {0};
	g_autoptr(GError) err = NULL;
	guint32 sampling;
	int mode, dirs;

	if (!selected(cfg, name)) {
		if (ai)
			iface_detach(a, ai, "no longer selected");
		return;
	}
	rfm_config_interface(cfg, name, &sampling, &mode, &dirs);
	if (ai && ai->sampling == sampling && ai->sampling_mode == mode && ai->directions == dirs) {
		if (strcmp(ai->name, name) != 0) {
			g_strlcpy(ai->name, name, sizeof(ai->name));
			export_tables_update(a);
		}
		return;
	}
	if (ai && ai->directions != dirs)
		iface_detach(a, ai, "directions changed");
	else if (ai) {
		/*
		 * Records never mix sampling rates (the flow table ends a flow whose
		 * packets change rate); end them now rather than at their next packet.
		 */
		agent_sync(a);
		rfm_flow_table_expire(a->flows, agent_now(a));
		rfm_flow_table_flush_interface(a->flows, ifindex);
	}

	s.sample_rate = sampling;
	s.sample_mode = mode;
	s.fib_lookup = cfg->datapath.fib_lookup;
	if (!rfm_datapath_attach(a->dp, ifindex, dirs, &s, &err)) {
		a->attach_errors++;
		g_warning("%s", err->message);
		g_hash_table_remove(a->ifaces, GUINT_TO_POINTER(ifindex));
		export_tables_update(a);
		return;
	}
	ai = g_hash_table_lookup(a->ifaces, GUINT_TO_POINTER(ifindex));
	if (!ai) {
		ai = g_new0(struct agent_if, 1);
		ai->ifindex = ifindex;
		g_hash_table_insert(a->ifaces, GUINT_TO_POINTER(ifindex), ai);
		g_message("attached %s (ifindex %u) %s via %s, sampling 1:%u %s", name, ifindex,
			  dirs == RFM_DIRS_BOTH	     ? "ingress+egress"
			  : dirs == RFM_DIRS_INGRESS ? "ingress"
						     : "egress",
			  rfm_attach_mode_name(rfm_datapath_attach_mode(
				  a->dp, ifindex,
				  (dirs & RFM_DIRS_INGRESS) ? RFM_DIR_INGRESS : RFM_DIR_EGRESS)),
			  sampling, mode == RFM_SAMPLE_SYSTEMATIC ? "systematic" : "random");
	} else {
		g_message("%s: sampling now 1:%u", name, sampling);
	}
	g_strlcpy(ai->name, name, sizeof(ai->name));
	ai->sampling = sampling;
	ai->sampling_mode = mode;
	ai->directions = dirs;
	/* After the old rate's flows ended above, before any packet at the new rate is read. */
	export_tables_update(a);
}

static void on_link(enum rfm_link_event what, guint32 ifindex, const char *name, void *user_data)
{
	struct agent *a = user_data;
	struct agent_if *ai = g_hash_table_lookup(a->ifaces, GUINT_TO_POINTER(ifindex));

	if (what == RFM_LINK_DEL) {
		if (ai) {
			/* Its TCX links went with it: only our state is left to drop. */
			agent_sync(a);
			rfm_flow_table_expire(a->flows, agent_now(a));
			rfm_flow_table_flush_interface(a->flows, ifindex);
			rfm_datapath_forget(a->dp, ifindex);
			g_message("%s (ifindex %u) is gone", ai->name, ifindex);
			g_hash_table_remove(a->ifaces, GUINT_TO_POINTER(ifindex));
			export_tables_update(a);
		}
		return;
	}
	if (name[0])
		iface_apply(a, ifindex, name);
}

/* Apply the configuration to every interface present now. */
static void ifaces_sync(struct agent *a)
{
	struct if_nameindex *ifs = if_nameindex();
	g_autoptr(GArray) gone = g_array_new(FALSE, FALSE, sizeof(guint32));
	GHashTableIter it;
	gpointer key;

	if (!ifs) {
		g_warning("cannot list interfaces: %s", g_strerror(errno));
		return;
	}
	/* One sampling table for the whole pass, not one per interface. */
	a->ifaces_batch = true;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		iface_apply(a, i->if_index, i->if_name);
	/* Attached interfaces that vanished without a netlink message reaching us. */
	g_hash_table_iter_init(&it, a->ifaces);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		char name[IF_NAMESIZE];
		guint32 ifindex = GPOINTER_TO_UINT(key);

		if (!if_indextoname(ifindex, name))
			g_array_append_val(gone, ifindex);
	}
	for (guint i = 0; i < gone->len; i++)
		on_link(RFM_LINK_DEL, g_array_index(gone, guint32, i), "", a);
	if_freenameindex(ifs);
	a->ifaces_batch = false;
	export_tables_update(a);
}

static void print_counters(struct agent *a, FILE *out)
{
	g_autoptr(GArray) ifs = rfm_datapath_interfaces(a->dp);
	struct rfm_flow_table_stats fs;
	guint64 stats[RFM_STAT_MAX];

	for (guint i = 0; i < ifs->len; i++) {
		guint32 ifindex = g_array_index(ifs, guint32, i);
		struct agent_if *ai = g_hash_table_lookup(a->ifaces, GUINT_TO_POINTER(ifindex));

		for (int d = 0; d < RFM_DIR_MAX; d++) {
			struct rfm_counter c[RFM_FAMILY_MAX];

			if (!rfm_datapath_is_attached(a->dp, ifindex, d) ||
			    !rfm_datapath_read_counters(a->dp, ifindex, d, c))
				continue;
			for (int f = 0; f < RFM_FAMILY_MAX; f++) {
				g_string_truncate(a->line, 0);
				rfm_counter_append_json(a->line, ai ? ai->name : "", ifindex, d, f,
							&c[f]);
				fprintf(out, "%s\n", a->line->str);
			}
		}
	}
	rfm_datapath_read_stats(a->dp, stats);
	rfm_flow_table_get_stats(a->flows, &fs);
	fprintf(out, "{\"type\":\"stats\"");
	for (int s = 0; s < RFM_STAT_MAX; s++)
		fprintf(out, ",\"%s\":%" G_GUINT64_FORMAT, rfm_stat_name(s), stats[s]);
	fprintf(out,
		",\"events_drained\":%" G_GUINT64_FORMAT ",\"flows_created\":%" G_GUINT64_FORMAT
		",\"flows_active\":%u,\"reloads_ok\":%" G_GUINT64_FORMAT
		",\"reloads_failed\":%" G_GUINT64_FORMAT "}\n",
		a->events, fs.created, fs.active, a->reloads_ok, a->reloads_failed);
	fflush(out);
}

/* --- enrichment sources -------------------------------------------------- */

static bool bmp_configured(const struct rfm_config_bmp *c)
{
	return c->port || (c->connect && c->connect->len);
}

static bool mmdb_configured(const struct rfm_config_mmdb *m)
{
	return (m->asn && m->asn[0]) || (m->city && m->city[0]);
}

static struct rfm_rib_options rib_options(const struct rfm_config *cfg)
{
	struct rfm_rib_options o = {
		.max_routes_per_peer = cfg->enrich.bmp.max_routes_per_peer,
		.max_peers = cfg->enrich.bmp.max_peers,
	};

	return o;
}

/* Point the enricher at the sources the configuration asks for. */
static void enricher_update(struct agent *a)
{
	a->enricher.rib = bmp_configured(&a->cfg->enrich.bmp) ? a->rib : NULL;
	a->enricher.geoip = a->geoip;
	a->enricher.use_default_route = a->cfg->enrich.use_default_route;
	a->enrich = a->enricher.rib || a->enricher.geoip;
}

/* At start: RIB, BMP sessions, MMDB files. Errors here stop the agent. */
static bool enrich_start(struct agent *a, GError **error)
{
	const struct rfm_config_enrich *en = &a->cfg->enrich;
	struct rfm_rib_options ro = rib_options(a->cfg);

	a->rib = rfm_rib_new(&ro);
	if (bmp_configured(&en->bmp)) {
		a->bmp = rfm_bmp_new(&en->bmp, a->rib, error);
		if (!a->bmp)
			return false;
	}
	if (mmdb_configured(&en->mmdb)) {
		a->geoip = rfm_geoip_new(en->mmdb.asn, en->mmdb.city, error);
		if (!a->geoip)
			return false;
	}
	return true;
}

/*
 * SIGHUP with a valid new configuration cfg (a->cfg is still the old one):
 * new RIB limits, BMP settings applied in place, MMDB files reopened (or
 * replaced when their paths changed). A failure keeps the old source.
 */
static void enrich_reconfigure(struct agent *a, const struct rfm_config *cfg)
{
	const struct rfm_config_mmdb *om = &a->cfg->enrich.mmdb, *nm = &cfg->enrich.mmdb;
	struct rfm_rib_options ro = rib_options(cfg);
	g_autoptr(GError) err = NULL;

	rfm_rib_set_options(a->rib, &ro);
	if (a->bmp) {
		if (!rfm_bmp_reconfigure(a->bmp, &cfg->enrich.bmp, &err))
			g_warning("reload: %s; the previous BMP listener stays", err->message);
	} else if (bmp_configured(&cfg->enrich.bmp)) {
		a->bmp = rfm_bmp_new(&cfg->enrich.bmp, a->rib, &err);
		if (!a->bmp)
			g_warning("reload: %s; BMP is not started", err->message);
	}
	g_clear_error(&err);
	if (!g_strcmp0(om->asn, nm->asn) && !g_strcmp0(om->city, nm->city)) {
		if (a->geoip)
			rfm_geoip_reload(a->geoip);
	} else if (!mmdb_configured(nm)) {
		rfm_geoip_free(a->geoip);
		a->geoip = NULL;
	} else {
		struct rfm_geoip *g = rfm_geoip_new(nm->asn, nm->city, &err);

		if (!g) {
			g_warning("reload: %s; the previous MMDB files stay", err->message);
		} else {
			rfm_geoip_free(a->geoip);
			a->geoip = g;
		}
	}
}

/* DOC: state of one --dump-rib write. */
struct rib_dump {
	FILE *f;       /* borrowed */
	GString *line; /* borrowed */
	guint32 routes;
};

/* One route as a JSON line; the keys are documented in README.md. */
static void dump_route(const struct rfm_rib_route *r, void *ud)
{
	struct rib_dump *d = ud;
	const struct rfm_rib_attrs *at = r->attrs;
	char peer[INET6_ADDRSTRLEN], prefix[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];
	GString *l = d->line;

	rfm_addr_to_string(r->peer->addr, r->peer->addr_version == 6 ? 6 : 4, peer, sizeof(peer));
	rfm_addr_to_string(r->prefix, r->version, prefix, sizeof(prefix));
	g_string_printf(l,
			"{\"session\":%u,\"peer\":\"%s\",\"peer_as\":%u,\"view\":\"%s\","
			"\"prefix\":\"%s/%u\",\"path_id\":%u,\"origin_as\":%u,\"first_as\":%u,"
			"\"as_path\":[",
			r->peer->session, peer, r->peer_as, rfm_rib_view_name(r->peer->view),
			prefix, r->plen, r->path_id, at->origin_as, at->first_as);
	for (guint i = 0; i < at->as_path_count; i++)
		g_string_append_printf(l, "%s%u", i ? "," : "", at->as_path[i]);
	g_string_append(l, "],\"next_hop\":");
	if (at->nh_version) {
		rfm_addr_to_string(at->next_hop, at->nh_version, nh, sizeof(nh));
		g_string_append_printf(l, "\"%s\"", nh);
	} else {
		g_string_append(l, "null");
	}
	if (at->has_local_pref)
		g_string_append_printf(l, ",\"local_pref\":%u", at->local_pref);
	else
		g_string_append(l, ",\"local_pref\":null");
	if (at->has_med)
		g_string_append_printf(l, ",\"med\":%u", at->med);
	else
		g_string_append(l, ",\"med\":null");
	g_string_append_printf(l, ",\"selected\":%s}\n", r->selected ? "true" : "false");
	fwrite(l->str, 1, l->len, d->f);
	d->routes++;
}

/*
 * Write every route of the RIB to path as JSON lines: into path.tmp, then
 * renamed over path, so a reader sees the previous dump or this one whole.
 */
static bool rib_dump(struct agent *a, const char *path, guint32 *routes, GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	struct rib_dump d = {.line = a->line};
	int err = 0;

	d.f = fopen(tmp, "we");
	if (!d.f) {
		err = errno;
		goto fail;
	}
	rfm_rib_foreach_route(a->rib, dump_route, &d);
	if (fflush(d.f) || ferror(d.f))
		err = errno ? errno : EIO;
	if (fclose(d.f) && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		goto fail;
	}
	*routes = d.routes;
	return true;
fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "--dump-rib %s: %s", path,
		    g_strerror(err));
	return false;
}

static gboolean on_dump_rib(gpointer user_data)
{
	struct agent *a = user_data;
	g_autoptr(GError) err = NULL;
	guint32 routes;

	if (!a->cli->dump_rib) {
		g_message("SIGUSR1: no --dump-rib file to write");
		return G_SOURCE_CONTINUE;
	}
	if (rib_dump(a, a->cli->dump_rib, &routes, &err))
		g_message("RIB written to %s: %u routes", a->cli->dump_rib, routes);
	else
		g_warning("%s", err->message);
	return G_SOURCE_CONTINUE;
}

static void print_bmp_stats(struct agent *a, FILE *out)
{
	struct rfm_bmp_stats bs;

	if (!a->bmp)
		return;
	rfm_bmp_get_stats(a->bmp, &bs);
	fprintf(out,
		"{\"type\":\"bmp\",\"sessions_open\":%u,\"accepted\":%" G_GUINT64_FORMAT
		",\"refused_allow\":%" G_GUINT64_FORMAT ",\"refused_limit\":%" G_GUINT64_FORMAT
		",\"connect_attempts\":%" G_GUINT64_FORMAT
		",\"connect_failures\":%" G_GUINT64_FORMAT,
		bs.sessions_open, bs.accepted, bs.refused_allow, bs.refused_limit,
		bs.connect_attempts, bs.connect_failures);
	for (int r = 0; r < RFM_BMP_CLOSE_MAX; r++)
		fprintf(out, ",\"closed_%s\":%" G_GUINT64_FORMAT, rfm_bmp_close_reason_name(r),
			bs.closed[r]);
	fprintf(out, ",\"messages\":[");
	for (int t = 0; t < 8; t++)
		fprintf(out, "%s%" G_GUINT64_FORMAT, t ? "," : "", bs.messages[t]);
	fprintf(out,
		"],\"routes\":%u,\"peers\":%u,\"routes_announced\":%" G_GUINT64_FORMAT
		",\"routes_withdrawn\":%" G_GUINT64_FORMAT ",\"routes_dropped\":%" G_GUINT64_FORMAT
		"}\n",
		bs.routes, bs.peers, bs.routes_announced, bs.routes_withdrawn, bs.routes_dropped);
	fflush(out);
}

static void print_export_stats(struct agent *a, FILE *out)
{
	guint n = rfm_export_collectors(a->exp);
	g_autofree struct rfm_export_collector_stats *s =
		g_new0(struct rfm_export_collector_stats, n + 1);

	rfm_export_get_stats(a->exp, s, n);
	for (guint i = 0; i < n; i++) {
		const struct rfm_transport_stats *t = &s[i].transport_stats;

		fprintf(out,
			"{\"type\":\"export\",\"collector\":\"%s\",\"port\":%u,\"transport\":\"%"
			"s\","
			"\"protocol\":\"%s\",\"state\":\"%s\",\"records\":%" G_GUINT64_FORMAT
			",\"messages\":%" G_GUINT64_FORMAT ",\"octets\":%" G_GUINT64_FORMAT
			",\"send_errors\":%" G_GUINT64_FORMAT
			",\"dropped_messages\":%" G_GUINT64_FORMAT
			",\"dropped_records\":%" G_GUINT64_FORMAT
			",\"lost_messages\":%" G_GUINT64_FORMAT
			",\"lost_records\":%" G_GUINT64_FORMAT ",\"reconnects\":%" G_GUINT64_FORMAT
			",\"queued_messages\":%" G_GUINT64_FORMAT "}\n",
			s[i].address, s[i].port, rfm_transport_kind_name(s[i].transport),
			rfm_export_protocol_name(s[i].protocol), rfm_transport_state_name(t->state),
			s[i].encoder_stats.records, t->messages, t->octets, t->send_errors,
			t->dropped_messages, t->dropped_records, t->lost_messages, t->lost_records,
			t->reconnects, t->queued_messages);
	}
	fflush(out);
}

static gboolean on_quit(gpointer user_data)
{
	struct agent *a = user_data;

	g_main_loop_quit(a->loop);
	return G_SOURCE_CONTINUE;
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

/* Load the file (if any) and lay the command-line overrides on top. */
static struct rfm_config *config_build(const struct agent_cli *cli, const char *path,
				       GError **error)
{
	static const char *const modes[] = {"random", "systematic"};
	static const char *const attaches[] = {"auto", "tcx", "tc"};
	static const char *const dirs[] = {"", "ingress", "egress", "both"};
	struct rfm_config *cfg;
	int v;

	if (path)
		cfg = rfm_config_load(path, error);
	else if (cli->interfaces)
		cfg = rfm_config_new_default();
	else
		cfg = rfm_config_load(RFM_CONFIG_DEFAULT_PATH, error);
	if (!cfg)
		return NULL;
	if (cli->interfaces) {
		g_strfreev(cfg->datapath.interfaces);
		cfg->datapath.interfaces = g_strdupv(cli->interfaces);
	}
	if (cli->exclude) {
		g_strfreev(cfg->datapath.exclude);
		cfg->datapath.exclude = g_strdupv(cli->exclude);
	}
	if (cli->sampling >= 0)
		cfg->datapath.sampling = cli->sampling;
	if (cli->sampling_mode && parse_choice(cli->sampling_mode, modes, 2, &v))
		cfg->datapath.sampling_mode = v;
	if (cli->attach && parse_choice(cli->attach, attaches, 3, &v))
		cfg->datapath.attach = v;
	if (cli->direction && parse_choice(cli->direction, dirs, 4, &v))
		cfg->datapath.directions = v;
	if (cli->no_fib)
		cfg->datapath.fib_lookup = false;
	if (cli->drain_ms > 0)
		cfg->datapath.drain_interval_ms = cli->drain_ms;
	if (!cfg->datapath.interfaces || !cfg->datapath.interfaces[0]) {
		g_set_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_INVALID,
			    "no interface selected: give --interface or datapath.interfaces");
		rfm_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static const char *agent_if_name(guint32 ifindex, void *ud)
{
	struct agent *a = ud;
	const struct agent_if *ai = g_hash_table_lookup(a->ifaces, GUINT_TO_POINTER(ifindex));

	return ai ? ai->name : NULL;
}

/* The flow series of /metrics (rollup.c), with interface names. */
static void agent_render_rollup(GString *out, void *ud)
{
	struct agent *a = ud;

	rfm_rollup_render(a->rollup, out, agent_if_name, a);
}

/* The body of /metrics: every module's health, read now. */
static void agent_render_metrics(GString *out, void *ud)
{
	struct agent *a = ud;
	struct rfm_metrics_sources src = {
		.dp = a->dp,
		.if_name = agent_if_name,
		.if_name_ud = a,
		.flows = a->flows,
		.exp = a->exp,
		.bmp = a->bmp,
		.rib = a->rib,
		.geoip = a->geoip,
		.reloads = {.ok = a->reloads_ok,
			    .failed = a->reloads_failed,
			    .last_success_s = a->last_load_s,
			    .last_ok = a->last_reload_ok},
		.render_rollup = agent_render_rollup,
		.rollup_ud = a,
	};

	rfm_http_last_scrape(a->http, &src.scrape_duration_s, &src.scrape_bytes);
	rfm_metrics_render(out, &src);
}

/* Start the HTTP server if configured; a failure leaves rfm running without it. */
static void http_start(struct agent *a, const struct rfm_config_prometheus *p)
{
	g_autoptr(GError) err = NULL;

	if (!p->port)
		return;
	a->http = rfm_http_new(p, agent_render_metrics, a, &err);
	if (!a->http)
		g_warning("%s; running without /metrics", err->message);
	else
		g_message("prometheus: serving /metrics on %s%s%s port %u%s",
			  strchr(p->listen, ':') ? "[" : "", p->listen,
			  strchr(p->listen, ':') ? "]" : "", rfm_http_port(a->http),
			  p->tls.certificate ? " (https)" : "");
}

/* Reload: a new server only when listen, port, tls or basic_auth changed. */
static void http_reconfigure(struct agent *a, const struct rfm_config_prometheus *old,
			     const struct rfm_config_prometheus *p)
{
	g_autoptr(GError) err = NULL;

	if (!rfm_http_config_changed(old, p) && (a->http || !p->port)) {
		if (a->http && !rfm_http_reload_password(a->http, p, &err))
			g_warning("reload: %s; the previous password stays", err->message);
		return;
	}
	rfm_http_free(a->http);
	a->http = NULL;
	http_start(a, p);
}

/* SIGHUP: parse and validate the file; swap only if it is valid. */
static gboolean on_reload(gpointer user_data)
{
	struct agent *a = user_data;
	g_autoptr(GError) err = NULL;
	struct rfm_config *cfg;
	struct rfm_flow_table_options fo;
	struct rfm_rollup_options ro;

	if (!a->cfg->path || !a->cfg->path[0]) {
		g_message("SIGHUP: no configuration file to reload");
		return G_SOURCE_CONTINUE;
	}
	cfg = config_build(a->cli, a->cfg->path, &err);
	if (!cfg) {
		a->reloads_failed++;
		a->last_reload_ok = false;
		g_warning("reload failed, the previous configuration stays in force:\n%s",
			  err->message);
		/* The MMDB files may have been replaced all the same. */
		if (a->geoip)
			rfm_geoip_reload(a->geoip);
		return G_SOURCE_CONTINUE;
	}
	if (cfg->datapath.ring_size != a->cfg->datapath.ring_size ||
	    cfg->datapath.max_interfaces != a->cfg->datapath.max_interfaces ||
	    cfg->datapath.attach != a->cfg->datapath.attach ||
	    cfg->datapath.wakeup_fill != a->cfg->datapath.wakeup_fill)
		g_warning("reload: ring_size, wakeup_fill, max_interfaces and attach apply at the "
			  "next start");
	enrich_reconfigure(a, cfg);
	http_reconfigure(a, &a->cfg->prometheus, &cfg->prometheus);
	if (!rfm_export_reconfigure(a->exp, &cfg->ipfix, agent_now(a), &err)) {
		g_warning("reload: %s; the previous collectors stay", err->message);
		g_clear_error(&err);
	}
	rfm_config_free(a->cfg);
	a->cfg = cfg;
	enricher_update(a);
	rfm_log_setup(cfg->log.level, cfg->log.target);
	fo = flow_options(cfg);
	rfm_flow_table_set_options(a->flows, &fo, agent_now(a));
	ro = rollup_options(cfg);
	rfm_rollup_set_options(a->rollup, &ro);
	if (a->drain_source)
		g_source_remove(a->drain_source);
	a->drain_source = g_timeout_add(cfg->datapath.drain_interval_ms, on_drain, a);
	ifaces_sync(a);
	a->reloads_ok++;
	a->last_reload_ok = true;
	a->last_load_s = (double)g_get_real_time() / 1e6;
	g_message("configuration reloaded from %s", cfg->path);
	return G_SOURCE_CONTINUE;
}

int rfm_agent_main(int argc, char **argv)
{
	struct agent_cli cli = {.sampling = -1};
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &cli.config_path,
		 "Configuration file (default " RFM_CONFIG_DEFAULT_PATH
		 ", not read when --interface is given without --config)",
		 "FILE"},
		{"interface", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &cli.interfaces,
		 "Interface name or glob pattern, repeatable (overrides datapath.interfaces)",
		 "PATTERN"},
		{"exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &cli.exclude,
		 "Interface pattern to leave alone, repeatable (overrides datapath.exclude)",
		 "PATTERN"},
		{"sampling", 's', 0, G_OPTION_ARG_INT, &cli.sampling,
		 "Sample 1 in N packets; 1 = every packet, 0 = counters only", "N"},
		{"sampling-mode", 0, 0, G_OPTION_ARG_STRING, &cli.sampling_mode,
		 "random or systematic", "MODE"},
		{"attach", 'a', 0, G_OPTION_ARG_STRING, &cli.attach, "auto, tcx or tc", "MODE"},
		{"direction", 'd', 0, G_OPTION_ARG_STRING, &cli.direction,
		 "both, ingress or egress", "DIR"},
		{"no-fib-lookup", 0, 0, G_OPTION_ARG_NONE, &cli.no_fib,
		 "Do not look up egress interface and next hop at ingress", NULL},
		{"drain-interval", 0, 0, G_OPTION_ARG_INT, &cli.drain_ms,
		 "Drain the ring buffer every MS milliseconds", "MS"},
		{"duration", 0, 0, G_OPTION_ARG_INT, &cli.duration_s,
		 "Exit after S seconds (default: run until SIGTERM/SIGINT)", "S"},
		{"print", 'p', 0, G_OPTION_ARG_STRING, &cli.print,
		 "Print flow records: json (one object per line)", "FORMAT"},
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &cli.output,
		 "Write --print output to FILE instead of stdout", "FILE"},
		{"print-events", 0, 0, G_OPTION_ARG_NONE, &cli.print_events,
		 "Print every sampled packet as a JSON line on stdout", NULL},
		{"dump-rib", 0, 0, G_OPTION_ARG_FILENAME, &cli.dump_rib,
		 "On SIGUSR1, write the RIB's routes to FILE as JSON lines (via FILE.tmp)", "FILE"},
		{NULL},
	};
	static const char *const modes[] = {"random", "systematic"};
	static const char *const attaches[] = {"auto", "tcx", "tc"};
	static const char *const dir_names[] = {"ingress", "egress", "both"};
	struct rfm_datapath_options opts = RFM_DATAPATH_OPTIONS_INIT;
	struct rfm_flow_table_options fo;
	struct rfm_rollup_options ro;
	struct rfm_flow_hooks hooks = {.open = on_flow_open, .close = on_flow_close};
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) err = NULL;
	struct agent a = {0};
	int v, rc = 0;

	ctx = g_option_context_new("- attach to interfaces and monitor flows");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 2;
		goto out_cli;
	}
	if ((cli.sampling_mode && !parse_choice(cli.sampling_mode, modes, 2, &v)) ||
	    (cli.attach && !parse_choice(cli.attach, attaches, 3, &v)) ||
	    (cli.direction && !parse_choice(cli.direction, dir_names, 3, &v)) ||
	    (cli.print && g_strcmp0(cli.print, "json")) || cli.sampling < -1 || cli.drain_ms < 0 ||
	    cli.drain_ms > 1000 || cli.duration_s < 0) {
		g_printerr("rfm agent: invalid --sampling, --sampling-mode, --attach, --direction, "
			   "--print or interval\n");
		rc = 2;
		goto out_cli;
	}

	rfm_log_setup(RFM_LOG_INFO, RFM_LOG_STDERR);
	a.cli = &cli;
	a.cfg = config_build(&cli, cli.config_path, &err);
	if (!a.cfg) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 2;
		goto out_cli;
	}
	rfm_log_setup(a.cfg->log.level, a.cfg->log.target);
	a.last_load_s = (double)g_get_real_time() / 1e6;
	a.last_reload_ok = true;

	if (cli.print) {
		a.flow_out = cli.output ? fopen(cli.output, "we") : stdout;
		if (!a.flow_out) {
			g_printerr("rfm agent: %s: %s\n", cli.output, g_strerror(errno));
			rc = 1;
			goto out_cfg;
		}
	}
	if (cli.print_events)
		a.event_out = stdout;
	a.line = g_string_sized_new(512);
	a.ifaces = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	rfm_clock_refresh(&a.clock);

	/* Before the kernel is touched: a BMP port in use or a bad MMDB file stops us here. */
	if (!enrich_start(&a, &err)) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 1;
		goto out_state;
	}
	enricher_update(&a);
	a.exp = rfm_export_new(&a.cfg->ipfix, NULL, agent_now(&a), &err);
	if (!a.exp) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 1;
		goto out_state;
	}

	opts.attach_mode = a.cfg->datapath.attach;
	opts.ring_bytes = a.cfg->datapath.ring_size;
	opts.max_interfaces = a.cfg->datapath.max_interfaces;
	opts.wakeup_fill = a.cfg->datapath.wakeup_fill;
	a.dp = rfm_datapath_new(&opts, on_event, &a, &err);
	if (!a.dp) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 1;
		goto out_state;
	}
	fo = flow_options(a.cfg);
	a.flows = rfm_flow_table_new(&fo);
	rfm_flow_table_add_sink(a.flows, on_flow, &a);
	ro = rollup_options(a.cfg);
	a.rollup = rfm_rollup_new(&ro);
	hooks.tallies = rfm_rollup_tallies(a.rollup);
	hooks.user_data = &a;
	rfm_flow_table_set_hooks(a.flows, &hooks);

	a.loop = g_main_loop_new(NULL, FALSE);
	/* Subscribe before listing, so no interface slips in between. */
	a.lw = rfm_linkwatch_new(on_link, &a, &err);
	if (!a.lw) {
		g_printerr("rfm agent: %s\n", err->message);
		rc = 1;
		goto out_loop;
	}
	ifaces_sync(&a);
	if (g_hash_table_size(a.ifaces) == 0)
		g_message("no interface matches yet; waiting for one to appear");

	a.drain_source = g_timeout_add(a.cfg->datapath.drain_interval_ms, on_drain, &a);
	a.ring_source = g_unix_fd_add(rfm_datapath_ring_fd(a.dp), G_IO_IN, on_ring_ready, &a);
	g_timeout_add_seconds(CLOCK_REFRESH_S, on_clock, &a);
	if (cli.duration_s)
		g_timeout_add_seconds(cli.duration_s, on_quit, &a);
	g_unix_signal_add(SIGINT, on_quit, &a);
	g_unix_signal_add(SIGTERM, on_quit, &a);
	g_unix_signal_add(SIGHUP, on_reload, &a);
	g_unix_signal_add(SIGUSR1, on_dump_rib, &a);
	http_start(&a, &a.cfg->prometheus);
	g_message("running");

	g_main_loop_run(a.loop);

	/* Shutdown: take in what the kernel still holds, end every flow, detach. */
	agent_sync(&a);
	rfm_flow_table_expire(a.flows, agent_now(&a));
	rfm_flow_table_flush(a.flows);
	agent_emit_records(&a);
	rfm_export_flush(a.exp, agent_now(&a));
	if (rfm_export_collectors(a.exp) && !rfm_export_drain(a.exp, EXPORT_DRAIN_MS))
		g_warning("export: queued messages left unsent after %u ms", EXPORT_DRAIN_MS);
	if (a.flow_out)
		fflush(a.flow_out);
	if (a.event_out)
		fflush(a.event_out);
	print_counters(&a, stdout);
	print_bmp_stats(&a, stdout);
	print_export_stats(&a, stdout);

out_loop:
	rfm_http_free(a.http);
	a.http = NULL;
	if (a.ring_source)
		g_source_remove(a.ring_source);
	/* Sessions end before the interfaces are detached: "closed (shutdown)" in the log. */
	rfm_bmp_free(a.bmp);
	a.bmp = NULL;
	rfm_linkwatch_free(a.lw);
	rfm_flow_table_free(a.flows);
	rfm_rollup_free(a.rollup);
	rfm_datapath_free(a.dp);
	if (a.dp)
		g_message("detached, exiting");
	g_main_loop_unref(a.loop);
out_state:
	rfm_export_free(a.exp);
	rfm_bmp_free(a.bmp);
	rfm_geoip_free(a.geoip);
	rfm_rib_free(a.rib);
	g_hash_table_destroy(a.ifaces);
	g_string_free(a.line, TRUE);
	if (a.flow_out && a.flow_out != stdout)
		fclose(a.flow_out);
out_cfg:
	rfm_config_free(a.cfg);
out_cli:
	g_free(cli.config_path);
	g_strfreev(cli.interfaces);
	g_strfreev(cli.exclude);
	g_free(cli.sampling_mode);
	g_free(cli.attach);
	g_free(cli.direction);
	g_free(cli.print);
	g_free(cli.output);
	g_free(cli.dump_rib);
	return rc;
}
