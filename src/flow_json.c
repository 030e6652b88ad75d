// SPDX-License-Identifier: AGPL-3.0-or-later
/* flow_json.c - JSON lines for flow records. */
#include "flow_json.h"

#include <arpa/inet.h>

#include "event_json.h"

/* A JSON string (RFC 8259 section 7) or null. */
static void append_string(GString *out, const char *key, const char *s)
{
	g_string_append_printf(out, ",\"%s\":", key);
	if (!s || !*s) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20)
			g_string_append_printf(out, "\\u%04x", c);
		else
			g_string_append_c(out, (char)c);
	}
	g_string_append_c(out, '"');
}

static void append_enrichment(GString *out, const struct rfm_enrichment *e)
{
	char nh[INET6_ADDRSTRLEN];

	/* The record ends with '}': reopen it. */
	g_string_truncate(out, out->len - 1);
	g_string_append_printf(out, ",\"src_asn\":%u,\"dst_asn\":%u", e->src_asn, e->dst_asn);
	append_string(out, "src_as_name", e->src_as_name);
	append_string(out, "dst_as_name", e->dst_as_name);
	g_string_append_printf(out, ",\"next_as\":%u,\"prev_as\":%u", e->next_as, e->prev_as);
	if (e->bgp_next_hop_version) {
		rfm_addr_to_string(e->bgp_next_hop, e->bgp_next_hop_version, nh, sizeof(nh));
		append_string(out, "bgp_next_hop", nh);
	} else {
		append_string(out, "bgp_next_hop", NULL);
	}
	g_string_append_printf(out, ",\"src_prefix_len\":%u,\"dst_prefix_len\":%u",
			       e->src_prefix_len, e->dst_prefix_len);
	append_string(out, "src_city", e->src_city);
	append_string(out, "dst_city", e->dst_city);
	append_string(out, "src_country", e->src_country);
	append_string(out, "dst_country", e->dst_country);
	append_string(out, "src_asn_source", rfm_asn_source_name(e->src_asn_source));
	append_string(out, "dst_asn_source", rfm_asn_source_name(e->dst_asn_source));
	g_string_append_c(out, '}');
}

void rfm_flow_append_json(GString *out, const struct rfm_flow_record *rec,
			  const struct rfm_enrichment *e)
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
	if (e)
		append_enrichment(out, e);
}
