/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * enrich.h - what rfm adds to a flow record: AS numbers from the BMP-fed
 * RIB (MMDB as fallback), AS organisation, neighbour ASes, BGP next hop,
 * prefix lengths, city and country (MMDB).
 *
 * Precedence, per address: the origin AS of the route the RIB selects
 * (rfm_rib_lookup); when no route covers the address, or its origin is
 * unknown (AS_SET at the end of the path), the MMDB ASN; else none. The AS
 * organisation comes from the ASN database only when it describes the AS
 * that was chosen. next_as is the first AS of the destination route's path
 * (bgpNextAdjacentAsNumber), prev_as the first AS of the source route's
 * (bgpPrevAdjacentAsNumber). The default route is used only when
 * use_default_route is set. Done once per record, when it is exported.
 */
#ifndef RFM_ENRICH_H
#define RFM_ENRICH_H

#include <stdbool.h>
#include <glib.h>

#include "flow_table.h"

struct rfm_rib;
struct rfm_geoip;

enum rfm_asn_source {
	RFM_ASN_NONE = 0,
	RFM_ASN_RIB = 1,
	RFM_ASN_MMDB = 2,
};

/*
 * DOC: the enrichment of one record. Strings are borrowed from the MMDB
 * module: valid until the main loop runs again (see geoip.h).
 */
struct rfm_enrichment {
	guint32 src_asn, dst_asn;
	guint8 src_asn_source, dst_asn_source; /* enum rfm_asn_source */
	guint8 src_prefix_len, dst_prefix_len; /* of the RIB route; 0 without one */
	const char *src_as_name, *dst_as_name; /* NULL = none */
	guint32 next_as, prev_as;	       /* 0 = unknown */
	guint8 bgp_next_hop[16];
	guint8 bgp_next_hop_version;	     /* 4, 6, or 0 = none */
	const char *src_city, *dst_city;     /* NULL = none */
	char src_country[3], dst_country[3]; /* "" = none */
};

/* DOC: borrowed references to the sources; either may be NULL. */
struct rfm_enricher {
	const struct rfm_rib *rib;
	struct rfm_geoip *geoip;
	bool use_default_route;
};

void rfm_enrich_record(const struct rfm_enricher *e, const struct rfm_flow_record *rec,
		       struct rfm_enrichment *out);

/*
 * The same for n <= RFM_ENRICH_BATCH records at once (out[i] for recs[i]):
 * their 2n RIB lookups run as one rfm_rib_lookup_batch(), so the cache
 * misses of different lookups overlap.
 */
#define RFM_ENRICH_BATCH 16
void rfm_enrich_records(const struct rfm_enricher *e, guint n,
			const struct rfm_flow_record *const *recs, struct rfm_enrichment *out);

const char *rfm_asn_source_name(enum rfm_asn_source s);

#endif /* RFM_ENRICH_H */
