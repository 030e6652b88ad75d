// SPDX-License-Identifier: AGPL-3.0-or-later
/* flow_json.c - JSON lines for flow records. */
#include "flow_json.h"

#include <arpa/inet.h>

#include "event_json.h"

void rfm_flow_append_json(GString *out, const struct rfm_flow_record *rec)
{
	const struct rfm_flow_key *k = &rec->key;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];
	bool icmp = k->protocol == 1 || k->protocol == 58;

	rfm_addr_to_string(k->src_addr, k->ip_version, src, sizeof(src));
	rfm_addr_to_string(k->dst_addr, k->ip_version, dst, sizeof(dst));
	g_string_append_printf(
		out,
		"{\"ifindex\":%u,\"direction\":\"%s\",\"ip_version\":%u,\"protocol\":%u,"
		"\"src_addr\":\"%s\",\"dst_addr\":\"%s\",\"src_port\":%u,\"dst_port\":%u,"
		"\"icmp_type\":%u,\"icmp_code\":%u,\"vlan_id\":%u,\"tcp_flags\":%u,\"dscp\":%u,"
		"\"packets\":%" G_GUINT64_FORMAT ",\"octets\":%" G_GUINT64_FORMAT
		",\"sampling\":%u,"
		"\"start_ms\":%" G_GUINT64_FORMAT ",\"end_ms\":%" G_GUINT64_FORMAT
		",\"end_reason\":%u,\"other_ifindex\":%u,",
		k->ifindex, k->direction == RFM_DIR_INGRESS ? "ingress" : "egress", k->ip_version,
		k->protocol, src, dst, icmp ? 0 : k->src_port, icmp ? 0 : k->dst_port,
		icmp ? k->dst_port >> 8 : 0, icmp ? k->dst_port & 0xff : 0, k->vlan_id,
		rec->tcp_flags, rec->dscp, rec->packets, rec->octets, rec->sampling, rec->start_ms,
		rec->end_ms, rec->end_reason, rec->other_ifindex);
	if (rec->has_next_hop) {
		rfm_addr_to_string(rec->next_hop, k->ip_version, nh, sizeof(nh));
		g_string_append_printf(out, "\"next_hop\":\"%s\"}", nh);
	} else {
		g_string_append(out, "\"next_hop\":null}");
	}
}
