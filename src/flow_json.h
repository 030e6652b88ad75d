/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * flow_json.h - flow records as JSON lines (`--print json`), a stable
 * interface documented in README.md: one object per record with the keys
 * ifindex, direction, ip_version, protocol, src_addr, dst_addr, src_port,
 * dst_port, icmp_type, icmp_code, vlan_id, tcp_flags, dscp, packets, octets,
 * sampling, start_ms, end_ms, end_reason, other_ifindex, next_hop.
 */
#ifndef RFM_FLOW_JSON_H
#define RFM_FLOW_JSON_H

#include <glib.h>

#include "enrich.h"
#include "flow_table.h"

/*
 * Append rec as one JSON object (no newline). With e, the enrichment keys
 * follow: src_asn, dst_asn, src_as_name, dst_as_name, next_as, prev_as,
 * bgp_next_hop, src_prefix_len, dst_prefix_len, src_city, dst_city,
 * src_country, dst_country, src_asn_source, dst_asn_source.
 */
void rfm_flow_append_json(GString *out, const struct rfm_flow_record *rec,
			  const struct rfm_enrichment *e);

#endif /* RFM_FLOW_JSON_H */
