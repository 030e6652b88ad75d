/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * rollup.h - the Prometheus flow rollup: monotonic counters of packets and
 * bytes (estimates: sampled counts x sampling rate) by interface, direction,
 * protocol and a configured set of enrichment labels, updated as samples
 * arrive (never recomputed at scrape, never falling when flows expire).
 *
 * A label set is a series with an id. A flow takes a reference to its series
 * when it opens (rfm_rollup_series(), from the flow table's open hook) and
 * releases it when it ends (rfm_rollup_release(), the close hook); between
 * the two, the flow table adds every sample into rfm_rollup_tallies()[id].
 * A series is dropped only when no flow holds it and its counts have not
 * moved for series_ttl, so a flow never adds into a recycled id.
 *
 * Bounded: at most max_series label sets; beyond that new label sets are
 * counted in the overflow series (id 0, every label value "other"), whose
 * samples rfm_flow_series_overflow_total counts.
 *
 * Reload (rfm_rollup_set_options): new label sets use the new labels; a
 * series keeps the labels it was created with (its family lines carry them)
 * until it expires, so no count is lost or moved. A smaller max_series drops
 * nothing: new label sets go to "other" until expiry brings the count below
 * the limit. A new series_ttl applies at the next expiry.
 *
 * Owned by the agent; main loop only.
 */
#ifndef RFM_ROLLUP_H
#define RFM_ROLLUP_H

#include <stdbool.h>
#include <glib.h>

#include "flow_table.h"

/* Enrichment labels (bits of rfm_rollup_options.labels), in exposition order. */
enum rfm_rollup_label {
	RFM_ROLLUP_SRC_ASN = 1u << 0,
	RFM_ROLLUP_DST_ASN = 1u << 1,
	RFM_ROLLUP_SRC_COUNTRY = 1u << 2,
	RFM_ROLLUP_DST_COUNTRY = 1u << 3,
	RFM_ROLLUP_SRC_CITY = 1u << 4,
	RFM_ROLLUP_DST_CITY = 1u << 5,
	RFM_ROLLUP_LABELS_ALL = (1u << 6) - 1,
};

/* The overflow series ("other"): always present, never expires. */
#define RFM_ROLLUP_OTHER 0u

/* DOC: limits; the config's prometheus section. max_series is clamped to 1..RFM_FLOW_TAG_MAX. */
struct rfm_rollup_options {
	guint32 labels;	      /* enum rfm_rollup_label bits */
	guint32 max_series;   /* label sets held, "other" not counted */
	guint32 series_ttl_s; /* a series unused this long (and held by no flow) goes */
};

/*
 * DOC: what identifies a series, filled by the caller. Values of labels not
 * enabled are ignored. city strings are borrowed for the call (the rollup
 * keeps its own copy).
 */
struct rfm_rollup_key {
	guint32 ifindex;
	guint8 direction;		     /* enum rfm_direction */
	guint8 protocol;		     /* IP protocol number */
	guint32 src_asn, dst_asn;	     /* 0 = unknown */
	char src_country[3], dst_country[3]; /* ISO 3166 alpha-2, "" = unknown */
	const char *src_city, *dst_city;     /* NULL = unknown */
};

struct rfm_rollup_stats {
	guint32 series;	  /* label sets held, "other" not counted */
	guint32 limit;	  /* max_series */
	guint64 overflow; /* samples counted under "other" */
	guint64 expired;  /* series dropped after series_ttl */
};

/* The name of an interface for the exposition, or NULL (the ifindex is printed). */
typedef const char *(*rfm_rollup_ifname_fn)(guint32 ifindex, void *user_data);

struct rfm_rollup;

struct rfm_rollup *rfm_rollup_new(const struct rfm_rollup_options *opts);
void rfm_rollup_free(struct rfm_rollup *r); /* accepts NULL */
void rfm_rollup_set_options(struct rfm_rollup *r, const struct rfm_rollup_options *opts);

/*
 * The series of key at now_ms (Unix ms), created if new, with one reference
 * taken; RFM_ROLLUP_OTHER when max_series are held (counted in the overflow).
 */
guint32 rfm_rollup_series(struct rfm_rollup *r, const struct rfm_rollup_key *key, guint64 now_ms);
/* Drop one reference taken by rfm_rollup_series(). */
void rfm_rollup_release(struct rfm_rollup *r, guint32 id);

/* Add scaled counts (already x sampling rate) and one sample to series id. */
static inline void rfm_rollup_add(struct rfm_flow_tally *tallies, guint32 id, guint64 packets,
				  guint64 bytes)
{
	tallies[id].packets += packets;
	tallies[id].octets += bytes;
	tallies[id].samples++;
}

/* Where the tallies are (moves as series are created): for rfm_flow_hooks.tallies. */
struct rfm_flow_tally *const *rfm_rollup_tallies(const struct rfm_rollup *r);

/*
 * Drop series held by no flow whose counts have not moved for series_ttl.
 * Runs at most once a second of now_ms: call it as often as convenient.
 */
void rfm_rollup_expire(struct rfm_rollup *r, guint64 now_ms);

/*
 * Append the families (Prometheus text format 0.0.4, HELP and TYPE lines) to
 * out: rfm_flow_packets_total, rfm_flow_bytes_total, rfm_flow_series,
 * rfm_flow_series_limit, rfm_flow_series_overflow_total,
 * rfm_flow_series_expired_total.
 */
void rfm_rollup_render(const struct rfm_rollup *r, GString *out, rfm_rollup_ifname_fn ifname,
		       void *user_data);

void rfm_rollup_get_stats(const struct rfm_rollup *r, struct rfm_rollup_stats *out);

/* The label's name ("src_asn"...) for one bit, or NULL. */
const char *rfm_rollup_label_name(guint32 bit);

#endif /* RFM_ROLLUP_H */
