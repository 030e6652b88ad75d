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

#include "flow_table.h"

/* Append rec as one JSON object (no newline). */
void rfm_flow_append_json(GString *out, const struct rfm_flow_record *rec);

#endif /* RFM_FLOW_JSON_H */
