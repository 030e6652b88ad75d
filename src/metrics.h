/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * metrics.h - the Prometheus text exposition (format 0.0.4) of rfm's health:
 * a small writer (family headers, samples with escaped labels, exact
 * numbers) and the renderers of every family of issue #6 except the flow
 * rollup, which src/rollup.c renders through a hook.
 *
 * The renderers of one area take plain statistics (tested with known
 * values); rfm_metrics_render() gathers them from the modules that own
 * them through their stats accessors, at every scrape. Nothing here keeps
 * state between scrapes. Main-loop thread only.
 */
#ifndef RFM_METRICS_H
#define RFM_METRICS_H

#include <stdbool.h>
#include <glib.h>

#include "bmp.h"
#include "export.h"
#include "flow_table.h"
#include "geoip.h"
#include "rfm_shared.h"
#include "rib.h"

#define RFM_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* --- writer --- */

/* HELP and TYPE lines of a family; type is "counter", "gauge" or "untyped". */
void rfm_metrics_family(GString *out, const char *name, const char *type, const char *help);
/*
 * One sample. The variable arguments are label name, label value pairs
 * (values escaped here), ended by NULL.
 */
void rfm_metrics_sample_u64(GString *out, const char *name, guint64 value,
			    ...) G_GNUC_NULL_TERMINATED;
void rfm_metrics_sample_double(GString *out, const char *name, double value,
			       ...) G_GNUC_NULL_TERMINATED;
/* A label value escaped per the format (backslash, double quote, line feed). */
void rfm_metrics_append_escaped(GString *out, const char *value);
/* The shortest decimal text that reads back as v; NaN, +Inf, -Inf spelled as Prometheus does. */
void rfm_metrics_append_double(GString *out, double v);

/* --- renderers of plain statistics --- */

/* DOC: one attached interface as the interface families show it. Plain values. */
struct rfm_metrics_iface {
	const char *name;	/* borrowed */
	int mode[RFM_DIR_MAX];	/* RFM_ATTACH_TCX / RFM_ATTACH_TC, -1 = direction not attached */
	bool have[RFM_DIR_MAX]; /* the direction has a counter slot */
	struct rfm_counter c[RFM_DIR_MAX][RFM_FAMILY_MAX];
};
void rfm_metrics_render_interfaces(GString *out, const struct rfm_metrics_iface *ifs, guint n);

/* stats: rfm_datapath_read_stats(). */
void rfm_metrics_render_datapath(GString *out, const guint64 stats[RFM_STAT_MAX]);

void rfm_metrics_render_flow_table(GString *out, const struct rfm_flow_table_stats *s);

void rfm_metrics_render_export(GString *out, const struct rfm_export_collector_stats *c, guint n);

/* DOC: the routes of one (router, peer address) pair. Plain values; strings borrowed. */
struct rfm_metrics_bmp_routes {
	const char *router;
	const char *peer;
	guint64 routes;
};
/* routers_up: the router of every open session. bmp NULL: BMP is not configured. */
void rfm_metrics_render_bmp(GString *out, const struct rfm_bmp_stats *bmp,
			    const struct rfm_rib_stats *rib, const char *const *routers_up,
			    guint n_up, const struct rfm_metrics_bmp_routes *routes,
			    guint n_routes);

/* Configured databases only; s NULL: no MMDB. */
void rfm_metrics_render_geoip(GString *out, const struct rfm_geoip_stats *s);

/* DOC: configuration reloads, kept by agent.c. Plain values. */
struct rfm_metrics_reloads {
	guint64 ok, failed;
	double last_success_s; /* Unix time of the last successful load (the start counts) */
	bool last_ok;	       /* the last attempt succeeded */
};
void rfm_metrics_render_config(GString *out, const struct rfm_metrics_reloads *r);

/* The previous scrape: render time, body size. */
void rfm_metrics_render_scrape(GString *out, double duration_s, guint64 bytes);

/* process_* from /proc/self and getrlimit(), and rfm_build_info. */
void rfm_metrics_render_process(GString *out);

/* --- everything --- */

struct rfm_datapath;
struct rfm_bmp;

/*
 * DOC: where rfm_metrics_render() reads from. Every pointer is borrowed and
 * may be NULL (that area is left out, or shows zero/empty where a family
 * is always present).
 */
struct rfm_metrics_sources {
	const struct rfm_datapath *dp;
	const char *(*if_name)(guint32 ifindex, void *ud); /* NULL: if_indextoname() */
	void *if_name_ud;
	const struct rfm_flow_table *flows;
	const struct rfm_export *exp;
	const struct rfm_bmp *bmp;
	const struct rfm_rib *rib;
	const struct rfm_geoip *geoip;
	struct rfm_metrics_reloads reloads;
	double scrape_duration_s;
	guint64 scrape_bytes;
	void (*render_rollup)(GString *out, void *ud); /* src/rollup.c; NULL: none */
	void *rollup_ud;
};

/* Append the whole exposition. */
void rfm_metrics_render(GString *out, const struct rfm_metrics_sources *src);

#endif /* RFM_METRICS_H */
