// SPDX-License-Identifier: AGPL-3.0-or-later
/* event_json.c - JSON lines for sampled events and interface counters. */
#include "event_json.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static const char *const dir_names[RFM_DIR_MAX] = {"ingress", "egress"};
static const char *const fam_names[RFM_FAMILY_MAX] = {"ipv4", "ipv6", "other"};

void rfm_addr_to_string(const __u8 addr[16], unsigned ip_version, char *buf, size_t len)
{
	if (!inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, addr, buf, len))
		g_strlcpy(buf, "?", len);
}

void rfm_event_append_json(GString *out, const struct rfm_event *ev)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];

	rfm_addr_to_string(ev->src_addr, ev->ip_version, src, sizeof(src));
	rfm_addr_to_string(ev->dst_addr, ev->ip_version, dst, sizeof(dst));
	rfm_addr_to_string(ev->next_hop, ev->ip_version, nh, sizeof(nh));
	g_string_append_printf(
		out,
		"{\"type\":\"event\",\"tstamp_ns\":%" G_GUINT64_FORMAT ",\"ifindex\":%u,"
		"\"direction\":\"%s\",\"ip_version\":%u,\"protocol\":%u,\"src_addr\":\"%s\","
		"\"dst_addr\":\"%s\",\"src_port\":%u,\"dst_port\":%u,\"icmp_type\":%u,"
		"\"icmp_code\":%u,\"tcp_flags\":%u,\"dscp\":%u,\"packets\":%u,\"octets\":%u,"
		"\"other_ifindex\":%u,\"sampling\":%u,",
		(guint64)ev->tstamp_ns, ev->ifindex,
		ev->direction < RFM_DIR_MAX ? dir_names[ev->direction] : "?", ev->ip_version,
		ev->protocol, src, dst, ev->src_port, ev->dst_port, ev->icmp_type, ev->icmp_code,
		ev->tcp_flags, ev->dscp, ev->packets, ev->octets, ev->other_ifindex,
		ev->sample_rate);
	if (ev->flags & RFM_EV_NEXT_HOP)
		g_string_append_printf(out, "\"next_hop\":\"%s\",", nh);
	else
		g_string_append(out, "\"next_hop\":null,");
	if (ev->flags & RFM_EV_VLAN_OUTER)
		g_string_append_printf(out, "\"vlan_id\":%u,", ev->vlan_outer);
	else
		g_string_append(out, "\"vlan_id\":null,");
	if (ev->flags & RFM_EV_VLAN_INNER)
		g_string_append_printf(out, "\"vlan_inner\":%u,", ev->vlan_inner);
	else
		g_string_append(out, "\"vlan_inner\":null,");
	g_string_append_printf(out, "\"fragment\":%s,\"flags\":%u}",
			       (ev->flags & RFM_EV_FRAGMENT) ? "true" : "false", ev->flags);
}

void rfm_counter_append_json(GString *out, const char *ifname, guint32 ifindex, unsigned direction,
			     unsigned family, const struct rfm_counter *c)
{
	g_autofree char *name = g_strescape(ifname, NULL);

	g_string_append_printf(
		out,
		"{\"type\":\"counter\",\"ifname\":\"%s\",\"ifindex\":%u,"
		"\"direction\":\"%s\",\"family\":\"%s\",\"packets\":%" G_GUINT64_FORMAT
		",\"bytes\":%" G_GUINT64_FORMAT "}",
		name, ifindex, direction < RFM_DIR_MAX ? dir_names[direction] : "?",
		family < RFM_FAMILY_MAX ? fam_names[family] : "?", (guint64)c->packets,
		(guint64)c->bytes);
}
