// SPDX-License-Identifier: AGPL-3.0-or-later
/* enrich.c - RIB first, MMDB second: AS numbers and geography of a flow. */
#include "enrich.h"

#include <string.h>

#include "geoip.h"
#include "rib.h"

/* One address: its RIB route (routed: found; looked up by the caller) and MMDB data (if any). */
static void enrich_addr(const struct rfm_enricher *e, const guint8 *addr, int version, guint32 *asn,
			guint8 *source, guint8 *plen, const char **as_name, const char **city,
			char country[3], guint32 *first_as, const struct rfm_rib_match *route,
			bool routed)
{
	struct rfm_geo_result geo;
	bool have_geo = false;

	if (e->geoip)
		have_geo = rfm_geoip_lookup(e->geoip, addr, version, &geo);
	/* The match's copies of the attributes: reading them costs no memory access. */
	if (routed) {
		*plen = route->plen;
		*first_as = route->first_as;
	}
	if (routed && route->origin_as) {
		*asn = route->origin_as;
		*source = RFM_ASN_RIB;
	} else if (have_geo && geo.asn) {
		*asn = geo.asn;
		*source = RFM_ASN_MMDB;
	}
	if (have_geo) {
		if (geo.asn && geo.asn == *asn)
			*as_name = geo.as_org;
		*city = geo.city;
		memcpy(country, geo.country, 3);
	}
}

/* The rest of one record's enrichment, its two RIB matches at hand. */
static void enrich_one(const struct rfm_enricher *e, const struct rfm_flow_record *rec,
		       const struct rfm_rib_match route[2], struct rfm_enrichment *out)
{
	const struct rfm_flow_key *k = &rec->key;

	memset(out, 0, sizeof(*out));
	enrich_addr(e, k->src_addr, k->ip_version, &out->src_asn, &out->src_asn_source,
		    &out->src_prefix_len, &out->src_as_name, &out->src_city, out->src_country,
		    &out->prev_as, &route[0], route[0].peer != NULL);
	enrich_addr(e, k->dst_addr, k->ip_version, &out->dst_asn, &out->dst_asn_source,
		    &out->dst_prefix_len, &out->dst_as_name, &out->dst_city, out->dst_country,
		    &out->next_as, &route[1], route[1].peer != NULL);
	if (route[1].peer && route[1].nh_version) {
		memcpy(out->bgp_next_hop, route[1].next_hop, 16);
		out->bgp_next_hop_version = route[1].nh_version;
	}
}

void rfm_enrich_records(const struct rfm_enricher *e, guint n,
			const struct rfm_flow_record *const *recs, struct rfm_enrichment *out)
{
	/* Every address of the batch in one RIB batch: the LPM walks' cache misses overlap. */
	struct rfm_rib_query q[2 * RFM_ENRICH_BATCH];
	struct rfm_rib_match route[2 * RFM_ENRICH_BATCH];

	g_assert(n <= RFM_ENRICH_BATCH);
	memset(route, 0, 2 * n * sizeof(route[0]));
	for (guint i = 0; i < n; i++) {
		const struct rfm_flow_key *k = &recs[i]->key;

		q[2 * i] = (struct rfm_rib_query){.addr = k->src_addr,
						  .version = k->ip_version,
						  .use_default = e->use_default_route};
		q[2 * i + 1] = (struct rfm_rib_query){.addr = k->dst_addr,
						      .version = k->ip_version,
						      .use_default = e->use_default_route};
	}
	if (e->rib && n)
		rfm_rib_lookup_batch(e->rib, 2 * n, q, route);
	for (guint i = 0; i < n; i++)
		enrich_one(e, recs[i], &route[2 * i], &out[i]);
}

void rfm_enrich_record(const struct rfm_enricher *e, const struct rfm_flow_record *rec,
		       struct rfm_enrichment *out)
{
	rfm_enrich_records(e, 1, &rec, out);
}

const char *rfm_asn_source_name(enum rfm_asn_source s)
{
	switch (s) {
	case RFM_ASN_RIB:
		return "rib";
	case RFM_ASN_MMDB:
		return "mmdb";
	default:
		return "none";
	}
}
