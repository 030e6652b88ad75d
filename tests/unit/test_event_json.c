/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_event_json.c - the JSON lines of `rfm agent --print-events` parse as
 * JSON (GLib's own parser is not used here: json-glib is no dependency, so
 * the test checks the exact text) and carry every field of the event.
 */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "event_json.h"

static void test_ipv4_tcp(void)
{
	struct rfm_event ev = {0};
	g_autoptr(GString) out = g_string_new(NULL);

	ev.tstamp_ns = 123456789;
	ev.ifindex = 3;
	ev.other_ifindex = 4;
	ev.packets = 2;
	ev.octets = 3000;
	inet_pton(AF_INET, "198.18.0.1", ev.src_addr);
	inet_pton(AF_INET, "198.19.0.1", ev.dst_addr);
	inet_pton(AF_INET, "198.18.2.2", ev.next_hop);
	ev.src_port = 40000;
	ev.dst_port = 443;
	ev.vlan_outer = 100;
	ev.direction = RFM_DIR_INGRESS;
	ev.ip_version = 4;
	ev.protocol = 6;
	ev.tcp_flags = 0x12;
	ev.dscp = 46;
	ev.flags = RFM_EV_NEXT_HOP | RFM_EV_VLAN_OUTER;
	ev.sample_rate = 100;
	rfm_event_append_json(out, &ev);
	g_assert_cmpstr(
		out->str, ==,
		"{\"type\":\"event\",\"tstamp_ns\":123456789,\"ifindex\":3,"
		"\"direction\":\"ingress\",\"ip_version\":4,\"protocol\":6,"
		"\"src_addr\":\"198.18.0.1\",\"dst_addr\":\"198.19.0.1\",\"src_port\":40000,"
		"\"dst_port\":443,\"icmp_type\":0,\"icmp_code\":0,\"tcp_flags\":18,"
		"\"dscp\":46,\"packets\":2,\"octets\":3000,\"other_ifindex\":4,\"sampling\":100,"
		"\"next_hop\":\"198.18.2.2\",\"vlan_id\":100,\"vlan_inner\":null,"
		"\"fragment\":false,\"flags\":17}");
}

static void test_ipv6_icmp(void)
{
	struct rfm_event ev = {0};
	g_autoptr(GString) out = g_string_new(NULL);

	ev.ifindex = 7;
	ev.packets = 1;
	ev.octets = 104;
	inet_pton(AF_INET6, "2001:db8::1", ev.src_addr);
	inet_pton(AF_INET6, "2001:db8:1::2", ev.dst_addr);
	ev.direction = RFM_DIR_EGRESS;
	ev.ip_version = 6;
	ev.protocol = 58;
	ev.icmp_type = 128;
	ev.flags = RFM_EV_FRAGMENT;
	rfm_event_append_json(out, &ev);
	g_assert_nonnull(strstr(out->str, "\"src_addr\":\"2001:db8::1\""));
	g_assert_nonnull(strstr(out->str, "\"dst_addr\":\"2001:db8:1::2\""));
	g_assert_nonnull(strstr(out->str, "\"direction\":\"egress\""));
	g_assert_nonnull(strstr(out->str, "\"icmp_type\":128"));
	g_assert_nonnull(strstr(out->str, "\"next_hop\":null"));
	g_assert_nonnull(strstr(out->str, "\"vlan_id\":null"));
	g_assert_nonnull(strstr(out->str, "\"fragment\":true"));
}

static void test_counter(void)
{
	struct rfm_counter c = {.packets = 5, .bytes = 700};
	g_autoptr(GString) out = g_string_new(NULL);

	rfm_counter_append_json(out, "veth\"0", 9, RFM_DIR_EGRESS, RFM_FAMILY_OTHER, &c);
	g_assert_cmpstr(
		out->str, ==,
		"{\"type\":\"counter\",\"ifname\":\"veth\\\"0\",\"ifindex\":9,"
		"\"direction\":\"egress\",\"family\":\"other\",\"packets\":5,\"bytes\":700}");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/event-json/ipv4-tcp", test_ipv4_tcp);
	g_test_add_func("/event-json/ipv6-icmp", test_ipv6_icmp);
	g_test_add_func("/event-json/counter", test_counter);
	return g_test_run();
}
