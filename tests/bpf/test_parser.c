/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_parser.c - the header parser and interface counters of the TC
 * classifier (bpf/rfm.bpf.c), run on hand-built frames with
 * BPF_PROG_TEST_RUN: one table row per frame, every field of the event and
 * every counter and statistic delta asserted, on ingress and on egress;
 * frames cut at every length inside their headers; GSO super-packets; the
 * FIB lookup in a network namespace of its own; what the kernel refuses in
 * a test-run context.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN); exits 77 otherwise.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "harness.h"

#define IP_MF 0x2000 /* IPv4 more fragments flag (RFC 791) */

/* Test hosts (RFC 2544 benchmarking range, RFC 3849 documentation prefix). */
#define A4 "198.18.0.1"
#define B4 "198.18.1.2"
#define A6 "2001:db8::1"
#define B6 "2001:db8:1::2"

/* What the classifier does with a sampled packet other than emit an event. */
enum drop {
	DROP_NONE = 0,	 /* an event */
	DROP_TRUNCATED,	 /* RFM_STAT_TRUNCATED */
	DROP_NOT_IP,	 /* RFM_STAT_NOT_IP */
	DROP_BAD_HEADER, /* RFM_STAT_BAD_HEADER */
};

/*
 * Expected outcome of one run. Fields left out are expected zero, except
 * packets (0 means 1). ifindex and direction come from the run.
 */
struct expect {
	enum drop drop;
	enum rfm_family family; /* counter family */
	guint8 ip_version;
	guint8 protocol;
	const char *src, *dst; /* NULL: all zero */
	guint16 sport, dport;
	guint8 tcp_flags;
	guint8 icmp_type, icmp_code;
	guint8 dscp;
	guint16 vlan_outer, vlan_inner;
	guint8 flags; /* RFM_EV_* */
	guint32 octets;
	bool exthdr_limit; /* RFM_STAT_EXTHDR_LIMIT +1 */
	guint32 packets;
	guint32 other_ifindex;
	const char *next_hop; /* NULL: all zero */
	bool refusable;	      /* BPF_PROG_TEST_RUN may refuse the frame (EINVAL) */
};

struct parser_case {
	const char *path; /* GTest path below /parser/ */
	const char *desc; /* the frame, in words */
	bool l3_device;	  /* configure ifindex 1 as a device without link-layer header */
	struct layer layers[FRAME_MAX_LAYERS];
	struct expect exp;
};

/* Shorthands for the expectations. */
#define V4(p)	   .family = RFM_FAMILY_IPV4, .ip_version = 4, .protocol = (p)
#define V6(p)	   .family = RFM_FAMILY_IPV6, .ip_version = 6, .protocol = (p)
#define FROM(a, p) .src = (a), .sport = (p)
#define TO(a, p)   .dst = (a), .dport = (p)

static const struct parser_case cases[] = {
	/* IPv4 transports */
	{.path = "ipv4/tcp",
	 .desc = "IPv4 TCP 198.18.0.1:40000 -> 198.18.1.2:443 flags SYN|ACK",
	 .layers = {ETH, IPV4(A4, B4), TCP(40000, 443, TH_SYN | TH_ACK)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x12, .octets = 40}},
	{.path = "ipv4/tcp-data",
	 .desc = "IPv4 TCP 198.18.0.1:40000 -> 198.18.1.2:443 flags PSH|ACK, 100 bytes of data",
	 .layers = {ETH, IPV4(A4, B4), TCP(40000, 443, TH_PSH | TH_ACK), PAYLOAD(100)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x18, .octets = 140}},
	{.path = "ipv4/tcp-all-flags",
	 .desc = "IPv4 TCP 198.18.0.1:1 -> 198.18.1.2:65535 flags CWR|ECE|URG|ACK|PSH|RST|SYN|FIN",
	 .layers = {ETH, IPV4(A4, B4), TCP(1, 65535, 0xff)},
	 .exp = {V4(6), FROM(A4, 1), TO(B4, 65535), .tcp_flags = 0xff, .octets = 40}},
	{.path = "ipv4/tcp-options",
	 .desc = "IPv4 TCP 198.18.0.1:40000 -> 198.18.1.2:443 flags SYN, 20 bytes of TCP options",
	 .layers = {ETH, IPV4(A4, B4), TCP_OPT(40000, 443, TH_SYN, 20)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x02, .octets = 60}},
	{.path = "ipv4/udp",
	 .desc = "IPv4 UDP 198.18.0.1:5353 -> 198.18.1.2:53, 32 bytes of data",
	 .layers = {ETH, IPV4(A4, B4), UDP(5353, 53), PAYLOAD(32)},
	 .exp = {V4(17), FROM(A4, 5353), TO(B4, 53), .octets = 60}},
	{.path = "ipv4/icmp-echo",
	 .desc = "IPv4 ICMP echo request (8/0) 198.18.0.1 -> 198.18.1.2, 56 bytes of data",
	 .layers = {ETH, IPV4(A4, B4), ICMP(8, 0), PAYLOAD(56)},
	 .exp = {V4(1), FROM(A4, 0), TO(B4, 0), .icmp_type = 8, .icmp_code = 0, .octets = 84}},
	{.path = "ipv4/icmp-unreachable",
	 .desc = "IPv4 ICMP port unreachable (3/3) 198.18.1.2 -> 198.18.0.1",
	 .layers = {ETH, IPV4(B4, A4), ICMP(3, 3), PAYLOAD(28)},
	 .exp = {V4(1), FROM(B4, 0), TO(A4, 0), .icmp_type = 3, .icmp_code = 3, .octets = 56}},
	{.path = "ipv4/sctp",
	 .desc = "IPv4 SCTP 198.18.0.1:36412 -> 198.18.1.2:38412, one 16-byte chunk",
	 .layers = {ETH, IPV4(A4, B4), SCTP(36412, 38412), PAYLOAD(16)},
	 .exp = {V4(132), FROM(A4, 36412), TO(B4, 38412), .octets = 48}},
	{.path = "ipv4/udplite",
	 .desc = "IPv4 UDP-Lite 198.18.0.1:1234 -> 198.18.1.2:5678, 20 bytes of data",
	 .layers = {ETH, IPV4(A4, B4), UDPLITE(1234, 5678), PAYLOAD(20)},
	 .exp = {V4(136), FROM(A4, 1234), TO(B4, 5678), .octets = 48}},
	{.path = "ipv4/gre",
	 .desc = "IPv4 GRE 198.18.0.1 -> 198.18.1.2: protocol 47, no ports",
	 .layers = {ETH, IPV4(A4, B4), GRE, PAYLOAD(20)},
	 .exp = {V4(47), FROM(A4, 0), TO(B4, 0), .octets = 44}},
	/* rfm_shared.h: RFM_EV_NO_L4 "L4 header not reached (ESP, chain limit)". */
	{.path = "ipv4/esp",
	 .desc = "IPv4 ESP 198.18.0.1 -> 198.18.1.2: protocol 50, no ports, RFM_EV_NO_L4",
	 .layers = {ETH, IPV4(A4, B4), ESP, PAYLOAD(32)},
	 .exp = {V4(50), FROM(A4, 0), TO(B4, 0), .flags = RFM_EV_NO_L4, .octets = 60}},

	/* IPv4 header variants */
	{.path = "ipv4/options",
	 .desc = "IPv4 with 12 bytes of options (ihl 8) TCP 198.18.0.1:40000 -> 198.18.1.2:443 "
		 "flags ACK, 10 bytes of data",
	 .layers = {ETH, IPV4_OPT(A4, B4, 12), TCP(40000, 443, TH_ACK), PAYLOAD(10)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x10, .octets = 62}},
	{.path = "ipv4/options-max",
	 .desc = "IPv4 with 40 bytes of options (ihl 15) UDP 198.18.0.1:5353 -> 198.18.1.2:53",
	 .layers = {ETH, IPV4_OPT(A4, B4, 40), UDP(5353, 53), PAYLOAD(4)},
	 .exp = {V4(17), FROM(A4, 5353), TO(B4, 53), .octets = 72}},
	{.path = "ipv4/fragment-first",
	 .desc = "IPv4 first fragment (MF, offset 0) UDP 198.18.0.1:5000 -> 198.18.1.2:5001",
	 .layers = {ETH, IPV4_FRAG(A4, B4, IP_MF, 17), UDP(5000, 5001), PAYLOAD(1000)},
	 .exp = {V4(17), FROM(A4, 5000), TO(B4, 5001), .flags = RFM_EV_FRAGMENT, .octets = 1028}},
	{.path = "ipv4/fragment-middle",
	 .desc = "IPv4 middle fragment (MF, offset 129) UDP 198.18.0.1 -> 198.18.1.2: no ports",
	 .layers = {ETH, IPV4_FRAG(A4, B4, IP_MF | 129, 17), PAYLOAD(1000)},
	 .exp = {V4(17), FROM(A4, 0), TO(B4, 0), .flags = RFM_EV_FRAGMENT | RFM_EV_FRAG_LATER,
		 .octets = 1020}},
	{.path = "ipv4/fragment-last",
	 .desc = "IPv4 last fragment (offset 258) TCP 198.18.0.1 -> 198.18.1.2: no ports, no "
		 "TCP flags",
	 .layers = {ETH, IPV4_FRAG(A4, B4, 258, 6), PAYLOAD(200)},
	 .exp = {V4(6), FROM(A4, 0), TO(B4, 0), .flags = RFM_EV_FRAGMENT | RFM_EV_FRAG_LATER,
		 .octets = 220}},
	{.path = "ipv4/dscp-ef",
	 .desc = "IPv4 UDP 198.18.0.1:5004 -> 198.18.1.2:5004 DSCP EF (46) with ECN ECT(1)",
	 .layers = {ETH, IPV4_TOS(A4, B4, (46 << 2) | 1), UDP(5004, 5004), PAYLOAD(160)},
	 .exp = {V4(17), FROM(A4, 5004), TO(B4, 5004), .dscp = 46, .octets = 188}},
	{.path = "ipv4/dscp-cs1",
	 .desc = "IPv4 TCP 198.18.0.1:40000 -> 198.18.1.2:80 DSCP CS1 (8) with ECN CE",
	 .layers = {ETH, IPV4_TOS(A4, B4, (8 << 2) | 3), TCP(40000, 80, TH_ACK)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 80), .tcp_flags = 0x10, .dscp = 8, .octets = 40}},
	{.path = "ipv4/ethernet-padding",
	 .desc = "IPv4 UDP 198.18.0.1:40000 -> 198.18.1.2:7, a 28-byte packet in a 60-byte "
		 "frame: octets 28, not 46",
	 .layers = {ETH, IPV4(A4, B4), UDP(40000, 7), PAD_TO(60)},
	 .exp = {V4(17), FROM(A4, 40000), TO(B4, 7), .octets = 28}},
	{.path = "ipv4/total-length-beyond-frame",
	 .desc = "IPv4 TCP 198.18.0.1:40000 -> 198.18.1.2:443, total length 1500 in a 54-byte "
		 "frame: octets 40, bounded by the skb",
	 .layers = {ETH,
		    {.kind = L_IPV4, .src = A4, .dst = B4, .tot_len = 1500},
		    TCP(40000, 443, TH_ACK)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x10, .octets = 40}},
	{.path = "ipv4/bad-ihl",
	 .desc = "IPv4 header length field 4 (16 bytes): bad header, no event",
	 .layers = {ETH, {.kind = L_IPV4, .src = A4, .dst = B4, .ihl = 4}, UDP(1, 2)},
	 .exp = {.drop = DROP_BAD_HEADER, .family = RFM_FAMILY_IPV4}},
	{.path = "ipv4/bad-total-length",
	 .desc = "IPv4 total length 19, shorter than its header: bad header, no event",
	 .layers = {ETH, {.kind = L_IPV4, .src = A4, .dst = B4, .tot_len = 19}, UDP(1, 2)},
	 .exp = {.drop = DROP_BAD_HEADER, .family = RFM_FAMILY_IPV4}},
	{.path = "ipv4/bad-version",
	 .desc = "EtherType IPv4 carrying an IPv6 header: bad header, no event",
	 .layers = {ETH_TYPE(0x0800), IPV6(A6, B6), UDP(1, 2)},
	 .exp = {.drop = DROP_BAD_HEADER, .family = RFM_FAMILY_IPV4}},

	/* IPv6 transports */
	{.path = "ipv6/tcp",
	 .desc = "IPv6 TCP [2001:db8::1]:40000 -> [2001:db8:1::2]:443 flags SYN",
	 .layers = {ETH, IPV6(A6, B6), TCP(40000, 443, TH_SYN)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x02, .octets = 60}},
	{.path = "ipv6/udp",
	 .desc = "IPv6 UDP [2001:db8::1]:5353 -> [2001:db8:1::2]:53, 32 bytes of data",
	 .layers = {ETH, IPV6(A6, B6), UDP(5353, 53), PAYLOAD(32)},
	 .exp = {V6(17), FROM(A6, 5353), TO(B6, 53), .octets = 80}},
	{.path = "ipv6/icmpv6-echo",
	 .desc = "IPv6 ICMPv6 echo request (128/0) 2001:db8::1 -> 2001:db8:1::2, 56 bytes",
	 .layers = {ETH, IPV6(A6, B6), ICMPV6(128, 0), PAYLOAD(56)},
	 .exp = {V6(58), FROM(A6, 0), TO(B6, 0), .icmp_type = 128, .octets = 104}},
	{.path = "ipv6/icmpv6-unreachable",
	 .desc = "IPv6 ICMPv6 port unreachable (1/4) 2001:db8:1::2 -> 2001:db8::1",
	 .layers = {ETH, IPV6(B6, A6), ICMPV6(1, 4), PAYLOAD(48)},
	 .exp = {V6(58), FROM(B6, 0), TO(A6, 0), .icmp_type = 1, .icmp_code = 4, .octets = 96}},
	{.path = "ipv6/sctp",
	 .desc = "IPv6 SCTP [2001:db8::1]:36412 -> [2001:db8:1::2]:38412, one 16-byte chunk",
	 .layers = {ETH, IPV6(A6, B6), SCTP(36412, 38412), PAYLOAD(16)},
	 .exp = {V6(132), FROM(A6, 36412), TO(B6, 38412), .octets = 68}},
	{.path = "ipv6/udplite",
	 .desc = "IPv6 UDP-Lite [2001:db8::1]:1234 -> [2001:db8:1::2]:5678, 20 bytes of data",
	 .layers = {ETH, IPV6(A6, B6), UDPLITE(1234, 5678), PAYLOAD(20)},
	 .exp = {V6(136), FROM(A6, 1234), TO(B6, 5678), .octets = 68}},
	{.path = "ipv6/esp",
	 .desc = "IPv6 ESP 2001:db8::1 -> 2001:db8:1::2: protocol 50, no ports, RFM_EV_NO_L4",
	 .layers = {ETH, IPV6(A6, B6), ESP, PAYLOAD(32)},
	 .exp = {V6(50), FROM(A6, 0), TO(B6, 0), .flags = RFM_EV_NO_L4, .octets = 80}},
	{.path = "ipv6/no-next-header",
	 .desc = "IPv6 2001:db8::1 -> 2001:db8:1::2 with No Next Header (59)",
	 .layers = {ETH, IPV6(A6, B6)},
	 .exp = {V6(59), FROM(A6, 0), TO(B6, 0), .octets = 40}},
	{.path = "ipv6/dscp-ef",
	 .desc = "IPv6 UDP [2001:db8::1]:5004 -> [2001:db8:1::2]:5004 DSCP EF (46) with ECN "
		 "ECT(1)",
	 .layers = {ETH, IPV6_TC(A6, B6, (46 << 2) | 1), UDP(5004, 5004), PAYLOAD(160)},
	 .exp = {V6(17), FROM(A6, 5004), TO(B6, 5004), .dscp = 46, .octets = 208}},
	{.path = "ipv6/dscp-af41",
	 .desc = "IPv6 TCP [2001:db8::1]:40000 -> [2001:db8:1::2]:443 DSCP AF41 (34) with ECN CE",
	 .layers = {ETH, IPV6_TC(A6, B6, (34 << 2) | 3), TCP(40000, 443, TH_ACK)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x10, .dscp = 34, .octets = 60}},
	{.path = "ipv6/bad-version",
	 .desc = "EtherType IPv6 carrying an IPv4 header: bad header, no event",
	 .layers = {ETH_TYPE(0x86dd), IPV4(A4, B4), TCP(1, 2, 0), PAYLOAD(20)},
	 .exp = {.drop = DROP_BAD_HEADER, .family = RFM_FAMILY_IPV6}},

	/* IPv6 extension headers (RFC 8200 section 4) */
	{.path = "ipv6/hop-by-hop",
	 .desc = "IPv6 hop-by-hop options (8) UDP [2001:db8::1]:546 -> [2001:db8:1::2]:547",
	 .layers = {ETH, IPV6(A6, B6), HOPOPT(8), UDP(546, 547), PAYLOAD(16)},
	 .exp = {V6(17), FROM(A6, 546), TO(B6, 547), .octets = 72}},
	{.path = "ipv6/routing",
	 .desc = "IPv6 routing header (SRH, 24) TCP [2001:db8::1]:40000 -> [2001:db8:1::2]:443",
	 .layers = {ETH, IPV6(A6, B6), ROUTING(24), TCP(40000, 443, TH_ACK)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x10, .octets = 84}},
	{.path = "ipv6/destination-options",
	 .desc = "IPv6 destination options (16) UDP [2001:db8::1]:5353 -> [2001:db8:1::2]:53",
	 .layers = {ETH, IPV6(A6, B6), DSTOPT(16), UDP(5353, 53), PAYLOAD(8)},
	 .exp = {V6(17), FROM(A6, 5353), TO(B6, 53), .octets = 72}},
	{.path = "ipv6/ah",
	 .desc = "IPv6 AH (24) TCP [2001:db8::1]:40000 -> [2001:db8:1::2]:443 flags PSH|ACK",
	 .layers = {ETH, IPV6(A6, B6), AH(24), TCP(40000, 443, TH_PSH | TH_ACK), PAYLOAD(10)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x18, .octets = 94}},
	{.path = "ipv6/fragment-first",
	 .desc = "IPv6 first fragment (offset 0, M) UDP [2001:db8::1]:5000 -> "
		 "[2001:db8:1::2]:5001",
	 .layers = {ETH, IPV6(A6, B6), FRAG6(0, 1), UDP(5000, 5001), PAYLOAD(1000)},
	 .exp = {V6(17), FROM(A6, 5000), TO(B6, 5001), .flags = RFM_EV_FRAGMENT, .octets = 1056}},
	{.path = "ipv6/fragment-middle",
	 .desc = "IPv6 middle fragment (offset 154, M) UDP 2001:db8::1 -> 2001:db8:1::2: no ports",
	 .layers = {ETH, IPV6(A6, B6), FRAG6_P(154, 1, 17), PAYLOAD(1000)},
	 .exp = {V6(17), FROM(A6, 0), TO(B6, 0), .flags = RFM_EV_FRAGMENT | RFM_EV_FRAG_LATER,
		 .octets = 1048}},
	{.path = "ipv6/fragment-last",
	 .desc = "IPv6 last fragment (offset 308) TCP 2001:db8::1 -> 2001:db8:1::2: no ports, no "
		 "TCP flags",
	 .layers = {ETH, IPV6(A6, B6), FRAG6_P(308, 0, 6), PAYLOAD(40)},
	 .exp = {V6(6), FROM(A6, 0), TO(B6, 0), .flags = RFM_EV_FRAGMENT | RFM_EV_FRAG_LATER,
		 .octets = 88}},
	{.path = "ipv6/chain",
	 .desc = "IPv6 hop-by-hop, destination options, routing, fragment (first), AH, "
		 "destination options, TCP [2001:db8::1]:40000 -> [2001:db8:1::2]:443 flags "
		 "SYN|ACK",
	 .layers = {ETH, IPV6(A6, B6), HOPOPT(8), DSTOPT(8), ROUTING(24), FRAG6(0, 1), AH(24),
		    DSTOPT(16), TCP(40000, 443, TH_SYN | TH_ACK), PAYLOAD(8)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x12, .flags = RFM_EV_FRAGMENT,
		 .octets = 156}},
	{.path = "ipv6/chain-at-limit",
	 .desc = "IPv6 with RFM_MAX_IPV6_EXT (8) extension headers, UDP [2001:db8::1]:5353 -> "
		 "[2001:db8:1::2]:53: ports parsed",
	 .layers = {ETH, IPV6(A6, B6), HOPOPT(8), DSTOPT(8), DSTOPT(8), DSTOPT(8), DSTOPT(8),
		    DSTOPT(8), DSTOPT(8), DSTOPT(8), UDP(5353, 53)},
	 .exp = {V6(17), FROM(A6, 5353), TO(B6, 53), .octets = 112}},
	{.path = "ipv6/chain-over-limit",
	 .desc = "IPv6 with 9 extension headers, UDP 2001:db8::1 -> 2001:db8:1::2: protocol 60 "
		 "(the header not walked), no ports, RFM_EV_NO_L4",
	 .layers = {ETH, IPV6(A6, B6), HOPOPT(8), DSTOPT(8), DSTOPT(8), DSTOPT(8), DSTOPT(8),
		    DSTOPT(8), DSTOPT(8), DSTOPT(8), DSTOPT(8), UDP(5353, 53)},
	 .exp = {V6(60), FROM(A6, 0), TO(B6, 0), .flags = RFM_EV_NO_L4, .octets = 120,
		 .exthdr_limit = true}},

	/* VLAN tags in the frame */
	{.path = "vlan/8021q",
	 .desc = "802.1Q VLAN 100 (PCP 5) IPv4 UDP 198.18.0.1:5353 -> 198.18.1.2:53",
	 .layers = {ETH, VLAN(0x8100, 5, 100), IPV4(A4, B4), UDP(5353, 53), PAYLOAD(12)},
	 .exp = {V4(17), FROM(A4, 5353), TO(B4, 53), .vlan_outer = 100, .flags = RFM_EV_VLAN_OUTER,
		 .octets = 40}},
	{.path = "vlan/8021q-ipv6",
	 .desc = "802.1Q VLAN 4094 IPv6 UDP [2001:db8::1]:5353 -> [2001:db8:1::2]:53",
	 .layers = {ETH, VLAN(0x8100, 0, 4094), IPV6(A6, B6), UDP(5353, 53), PAYLOAD(8)},
	 .exp = {V6(17), FROM(A6, 5353), TO(B6, 53), .vlan_outer = 4094, .flags = RFM_EV_VLAN_OUTER,
		 .octets = 56}},
	{.path = "vlan/priority-tag",
	 .desc = "802.1Q priority tag (VLAN 0, PCP 6) IPv4 TCP 198.18.0.1:40000 -> "
		 "198.18.1.2:443",
	 .layers = {ETH, VLAN(0x8100, 6, 0), IPV4(A4, B4), TCP(40000, 443, TH_ACK)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x10, .vlan_outer = 0,
		 .flags = RFM_EV_VLAN_OUTER, .octets = 40}},
	{.path = "vlan/qinq",
	 .desc = "QinQ 802.1ad VLAN 200 + 802.1Q VLAN 300 (PCP 3) IPv4 UDP 198.18.0.1:5353 -> "
		 "198.18.1.2:53",
	 .layers = {ETH, VLAN(0x88a8, 0, 200), VLAN(0x8100, 3, 300), IPV4(A4, B4), UDP(5353, 53),
		    PAYLOAD(12)},
	 .exp = {V4(17), FROM(A4, 5353), TO(B4, 53), .vlan_outer = 200, .vlan_inner = 300,
		 .flags = RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER, .octets = 40}},
	{.path = "vlan/double-8021q",
	 .desc = "Double 802.1Q VLAN 10 + VLAN 20 IPv6 TCP [2001:db8::1]:40000 -> "
		 "[2001:db8:1::2]:443",
	 .layers = {ETH, VLAN(0x8100, 0, 10), VLAN(0x8100, 0, 20), IPV6(A6, B6),
		    TCP(40000, 443, TH_SYN)},
	 .exp = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x02, .vlan_outer = 10,
		 .vlan_inner = 20, .flags = RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER, .octets = 60}},
	{.path = "vlan/three-tags",
	 .desc = "Three tags VLAN 1, 2, 3 IPv4 UDP 198.18.0.1:5353 -> 198.18.1.2:53: outer two "
		 "recorded",
	 .layers = {ETH, VLAN(0x88a8, 0, 1), VLAN(0x8100, 0, 2), VLAN(0x8100, 0, 3), IPV4(A4, B4),
		    UDP(5353, 53)},
	 .exp = {V4(17), FROM(A4, 5353), TO(B4, 53), .vlan_outer = 1, .vlan_inner = 2,
		 .flags = RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER, .octets = 28}},
	{.path = "vlan/four-tags",
	 .desc = "Four tags (more than RFM_MAX_VLAN_TAGS) IPv4 UDP: not IP, no event, family "
		 "other",
	 .layers = {ETH, VLAN(0x88a8, 0, 1), VLAN(0x8100, 0, 2), VLAN(0x8100, 0, 3),
		    VLAN(0x8100, 0, 4), IPV4(A4, B4), UDP(5353, 53)},
	 .exp = {.drop = DROP_NOT_IP, .family = RFM_FAMILY_OTHER}},

	/*
	 * Devices without a link-layer header. BPF_PROG_TEST_RUN runs
	 * eth_type_trans() on the first 14 bytes anyway, so skb->protocol (and
	 * with it the counter family) is made of bytes 12-13 of the IP packet;
	 * the parser itself goes by the version nibble (RFM_IF_L3). For IPv6
	 * those bytes are octets 4-5 of the source address: 2001:db8:86dd::1
	 * makes skb->protocol 0x86dd, IPv6. For IPv4 they are the first two
	 * octets of the source address, 198.18 = 0xc612, no EtherType rfm
	 * knows: the event is right, the counter family is "other". On a real
	 * tun/WireGuard/GRE device the kernel sets skb->protocol itself.
	 */
	{.path = "l3/ipv4",
	 .desc = "L3 device: raw IPv4 UDP 198.18.0.1:51820 -> 198.18.1.2:51820 (counted as "
		 "other: skb->protocol 0xc612 under test run)",
	 .l3_device = true,
	 .layers = {IPV4(A4, B4), UDP(51820, 51820), PAYLOAD(32)},
	 .exp = {FROM(A4, 51820), TO(B4, 51820), .family = RFM_FAMILY_OTHER, .ip_version = 4,
		 .protocol = 17, .octets = 60}},
	{.path = "l3/ipv6",
	 .desc = "L3 device: raw IPv6 TCP [2001:db8:86dd::1]:40000 -> [2001:db8:1::2]:443 flags "
		 "SYN|ACK",
	 .l3_device = true,
	 .layers = {IPV6("2001:db8:86dd::1", B6), TCP(40000, 443, TH_SYN | TH_ACK), PAYLOAD(8)},
	 .exp = {V6(6), FROM("2001:db8:86dd::1", 40000), TO(B6, 443), .tcp_flags = 0x12,
		 .octets = 68}},
	{.path = "l3/ipv6-dscp",
	 .desc = "L3 device: raw IPv6 UDP [2001:db8:86dd::1]:5004 -> [2001:db8:1::2]:5004 DSCP "
		 "EF (46)",
	 .l3_device = true,
	 .layers = {IPV6_TC("2001:db8:86dd::1", B6, 46 << 2), UDP(5004, 5004), PAYLOAD(20)},
	 .exp = {V6(17), FROM("2001:db8:86dd::1", 5004), TO(B6, 5004), .dscp = 46, .octets = 68}},
	{.path = "l3/not-ip",
	 .desc = "L3 device: 20 bytes with version nibble 10: not IP, no event",
	 .l3_device = true,
	 .layers = {PAYLOAD(20)},
	 .exp = {.drop = DROP_NOT_IP, .family = RFM_FAMILY_OTHER}},

	/* Not IP */
	{.path = "other/arp",
	 .desc = "ARP request who-has 198.18.0.2 tell 198.18.0.1: family other, not IP, no event",
	 .layers = {ETH, ARP},
	 .exp = {.drop = DROP_NOT_IP, .family = RFM_FAMILY_OTHER}},
	{.path = "other/lldp",
	 .desc = "LLDP (EtherType 0x88cc): family other, not IP, no event",
	 .layers = {ETH_TYPE(0x88cc), PAYLOAD(46)},
	 .exp = {.drop = DROP_NOT_IP, .family = RFM_FAMILY_OTHER}},
};

/* Frames cut at every length from 14 bytes to their full length. */
static const char *const truncation_cases[] = {
	"ipv4/tcp-data",   "ipv4/options", "ipv4/sctp",		"ipv4/fragment-first",
	"ipv6/chain",	   "ipv6/sctp",	   "ipv6/icmpv6-echo",	"vlan/8021q",
	"vlan/8021q-ipv6", "vlan/qinq",	   "vlan/double-8021q", "l3/ipv6",
};

/*
 * GSO/GRO super-packets: the test-run context carries gso_segs and gso_size.
 * octets = (len - l2) + (segs - 1) * (l3 header + l4 header).
 */
struct gso_case {
	const char *path;
	const char *desc;
	guint32 segs, size;
	struct layer layers[FRAME_MAX_LAYERS];
	struct expect exp;
};

static const struct gso_case gso_cases[] = {
	{.path = "ipv4-tcp",
	 .desc = "IPv4 TCP with timestamps, 1448 bytes of data, gso_segs 10: octets 1500 + 9 * "
		 "(20 + 32)",
	 .segs = 10,
	 .size = 1448,
	 .layers = {ETH, IPV4(A4, B4), TCP_OPT(40000, 443, TH_PSH | TH_ACK, 12), PAYLOAD(1448)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x18, .packets = 10,
		 .octets = 1500 + 9 * 52}},
	{.path = "ipv6-udp-hop-by-hop",
	 .desc = "IPv6 hop-by-hop UDP, 1200 bytes of data, gso_segs 10: octets 1256 + 9 * (48 + "
		 "8)",
	 .segs = 10,
	 .size = 1200,
	 .layers = {ETH, IPV6(A6, B6), HOPOPT(8), UDP(443, 50000), PAYLOAD(1200)},
	 .exp = {V6(17), FROM(A6, 443), TO(B6, 50000), .packets = 10, .octets = 1256 + 9 * 56}},
	{.path = "vlan-ipv4-tcp",
	 .desc = "802.1Q VLAN 7 IPv4 TCP, 1000 bytes of data, gso_segs 10: octets 1040 + 9 * "
		 "(20 + 20)",
	 .segs = 10,
	 .size = 100,
	 .layers = {ETH, VLAN(0x8100, 0, 7), IPV4(A4, B4), TCP(40000, 443, TH_ACK), PAYLOAD(1000)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x10, .vlan_outer = 7,
		 .flags = RFM_EV_VLAN_OUTER, .packets = 10, .octets = 1040 + 9 * 40}},
	{.path = "ipv4-tcp-one-segment",
	 .desc = "IPv4 TCP, 1448 bytes of data, gso_segs 1: octets from the IP header",
	 .segs = 1,
	 .size = 1448,
	 .layers = {ETH, IPV4(A4, B4), TCP_OPT(40000, 443, TH_ACK, 12), PAYLOAD(1448)},
	 .exp = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x10, .octets = 1500}},
};

/* What a test function needs: the shared datapath and its row. */
struct test_data {
	struct harness *h;
	const void *row;
};

static const char *const dir_names[RFM_DIR_MAX] = {"ingress", "egress"};

#define CHECK_INT(where, got, want)                                                              \
	do {                                                                                     \
		if ((gint64)(got) != (gint64)(want))                                             \
			g_test_message("%s: %s is %" G_GINT64_FORMAT ", want %" G_GINT64_FORMAT, \
				       where, #got, (gint64)(got), (gint64)(want));              \
		g_assert_cmpint(got, ==, want);                                                  \
	} while (0)

#define CHECK_UINT(where, got, want)                                                               \
	do {                                                                                       \
		if ((guint64)(got) != (guint64)(want))                                             \
			g_test_message("%s: %s is %" G_GUINT64_FORMAT ", want %" G_GUINT64_FORMAT, \
				       where, #got, (guint64)(got), (guint64)(want));              \
		g_assert_cmpuint(got, ==, want);                                                   \
	} while (0)

static void check_addr(const char *where, const char *what, const guint8 got[16],
		       unsigned ip_version, const char *want)
{
	char gs[80], ws[80];
	guint8 wb[16] = {0}, ver = ip_version;

	if (want)
		frame_addr(want, wb, &ver);
	harness_addr_string(got, ip_version, gs, sizeof(gs));
	harness_addr_string(wb, ver, ws, sizeof(ws));
	if (memcmp(got, wb, 16) != 0)
		g_test_message("%s: %s is %s, want %s", where, what, gs, ws);
	g_assert_cmpstr(gs, ==, ws);
	g_assert_cmpmem(got, 16, wb, 16);
}

/* Assert every field of ev. */
static void check_event(const char *where, const struct rfm_event *ev, const struct expect *e,
			enum rfm_direction dir, const struct run *r)
{
	CHECK_UINT(where, ev->tstamp_ns >= r->t_before, 1);
	CHECK_UINT(where, ev->tstamp_ns <= r->t_after, 1);
	CHECK_UINT(where, ev->ifindex, HARNESS_IFINDEX);
	CHECK_UINT(where, ev->other_ifindex, e->other_ifindex);
	CHECK_UINT(where, ev->packets, e->packets ? e->packets : 1);
	CHECK_UINT(where, ev->octets, e->octets);
	CHECK_UINT(where, ev->ip_version, e->ip_version);
	check_addr(where, "src_addr", ev->src_addr, ev->ip_version, e->src);
	check_addr(where, "dst_addr", ev->dst_addr, ev->ip_version, e->dst);
	check_addr(where, "next_hop", ev->next_hop, ev->ip_version, e->next_hop);
	CHECK_UINT(where, ev->src_port, e->sport);
	CHECK_UINT(where, ev->dst_port, e->dport);
	CHECK_UINT(where, ev->vlan_outer, e->vlan_outer);
	CHECK_UINT(where, ev->vlan_inner, e->vlan_inner);
	CHECK_UINT(where, ev->direction, dir);
	CHECK_UINT(where, ev->protocol, e->protocol);
	CHECK_UINT(where, ev->tcp_flags, e->tcp_flags);
	CHECK_UINT(where, ev->icmp_type, e->icmp_type);
	CHECK_UINT(where, ev->icmp_code, e->icmp_code);
	CHECK_UINT(where, ev->dscp, e->dscp);
	CHECK_UINT(where, ev->flags, e->flags);
}

/*
 * Run one frame through the program of dir with every packet sampled and
 * assert the outcome: the event (or its absence), every statistic delta,
 * every counter delta. Returns false if the kernel refused a refusable
 * frame, after asserting that nothing ran.
 */
static bool run_expect(struct harness *h, const char *where, enum rfm_direction dir, bool l3_device,
		       bool fib_lookup, const guint8 *data, guint32 len,
		       const struct __sk_buff *ctx, const struct expect *e)
{
	guint64 want[RFM_STAT_MAX] = {0};
	guint32 packets = e->packets ? e->packets : 1;
	struct run r;

	harness_configure(h, dir, 1, RFM_SAMPLE_RANDOM, fib_lookup, l3_device);
	harness_run(h, dir, data, len, ctx, 1, &r);
	if (e->refusable && r.err == -EINVAL) {
		CHECK_UINT(where, h->events->len, 0);
		harness_assert_stats(where, &r, want);
		harness_assert_counters(where, &r, dir, RFM_FAMILY_OTHER, 0, 0);
		return false;
	}
	CHECK_INT(where, r.err, 0);
	CHECK_UINT(where, r.retval, (guint32)RFM_TC_NEXT);
	CHECK_UINT(where, r.drained, e->drop == DROP_NONE ? 1 : 0);
	CHECK_UINT(where, h->events->len, e->drop == DROP_NONE ? 1 : 0);

	want[RFM_STAT_SAMPLED] = 1;
	switch (e->drop) {
	case DROP_NONE:
		want[RFM_STAT_EVENTS] = 1;
		want[RFM_STAT_EXTHDR_LIMIT] = e->exthdr_limit;
		check_event(where, &g_array_index(h->events, struct rfm_event, 0), e, dir, &r);
		break;
	case DROP_TRUNCATED:
		want[RFM_STAT_TRUNCATED] = 1;
		break;
	case DROP_NOT_IP:
		want[RFM_STAT_NOT_IP] = 1;
		break;
	case DROP_BAD_HEADER:
		want[RFM_STAT_BAD_HEADER] = 1;
		break;
	}
	harness_assert_stats(where, &r, want);
	harness_assert_counters(where, &r, dir, e->family, packets, len);
	return true;
}

static void test_case(gconstpointer p)
{
	const struct test_data *td = p;
	const struct parser_case *c = td->row;
	struct frame f;

	frame_build(&f, c->layers);
	g_test_message("%s (%u bytes)", c->desc, f.len);
	for (int dir = 0; dir < RFM_DIR_MAX; dir++) {
		g_autofree char *where = g_strdup_printf("%s, %s", c->path, dir_names[dir]);

		run_expect(td->h, where, dir, c->l3_device, false, f.data, f.len, NULL, &c->exp);
	}
}

/*
 * Counter family of a frame of len bytes as the kernel gives it under test
 * run: skb->protocol from bytes 12-13 (eth_type_trans()), and past at most
 * RFM_MAX_VLAN_TAGS tags still in the frame when they are all there.
 */
static enum rfm_family family_of_frame(const guint8 *d, guint32 len)
{
	guint32 proto = (d[12] << 8) | d[13], off = 14;

	for (int i = 0; i < RFM_MAX_VLAN_TAGS && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (off + 4 > len)
			return RFM_FAMILY_OTHER;
		proto = (d[off + 2] << 8) | d[off + 3];
		off += 4;
	}
	if (proto == 0x0800)
		return RFM_FAMILY_IPV4;
	if (proto == 0x86dd)
		return RFM_FAMILY_IPV6;
	return RFM_FAMILY_OTHER;
}

static const struct parser_case *case_by_path(const char *path)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		if (strcmp(cases[i].path, path) == 0)
			return &cases[i];
	}
	g_error("no parser case %s", path);
}

/*
 * Whether BPF_PROG_TEST_RUN may refuse a frame of len bytes: besides the
 * 14-byte minimum, newer kernels (6.18.y has it) refuse a frame whose
 * skb->protocol (bytes 12-13) is IPv4 or IPv6 when the bytes after the
 * Ethernet header cannot hold that header (syzbot fix in net/bpf/test_run.c:
 * EINVAL if skb_headlen < sizeof(struct iphdr) / sizeof(struct ipv6hdr)).
 * A tagged frame has skb->protocol 0x8100 or 0x88a8, so cuts inside its
 * IPv4/IPv6 fixed header still run: the VLAN base frames cover them.
 */
static bool test_run_may_refuse(const guint8 *d, guint32 len)
{
	guint32 proto = (d[12] << 8) | d[13];

	return (proto == 0x0800 && len < 14 + 20) || (proto == 0x86dd && len < 14 + 40);
}

/*
 * The frame cut at every length from 14 (the least BPF_PROG_TEST_RUN takes)
 * to its full length, header boundaries included: no event while the cut is
 * inside the headers (up to the end of the transport header),
 * RFM_STAT_TRUNCATED instead; the event of the whole frame once the headers
 * are complete, octets bounded by what the skb holds. Every length is
 * counted, as the bytes the skb holds.
 */
static void test_truncation(gconstpointer p)
{
	const struct test_data *td = p;
	const struct parser_case *c = td->row;
	g_autoptr(GString) bounds = g_string_new(NULL);
	guint32 refused = 0, truncated = 0, complete = 0;
	struct frame f;

	frame_build(&f, c->layers);
	for (guint32 i = 0; i < f.nbounds; i++)
		g_string_append_printf(bounds, " %u", f.bounds[i]);
	g_test_message("%s: %u bytes, headers end at %u, header boundaries:%s", c->desc, f.len,
		       f.hdr_len, bounds->str);
	g_assert_cmpuint(f.hdr_len, >, 14);
	g_assert_cmpuint(family_of_frame(f.data, f.len), ==, c->exp.family);

	for (guint32 len = 14; len <= f.len; len++) {
		struct expect e = c->exp;

		if (len < f.hdr_len) {
			memset(&e, 0, sizeof(e));
			e.drop = DROP_TRUNCATED;
			e.family = family_of_frame(f.data, len);
		} else {
			e.octets = MIN(c->exp.octets, len - f.l3_off);
		}
		e.refusable = test_run_may_refuse(f.data, len);
		for (int dir = 0; dir < RFM_DIR_MAX; dir++) {
			g_autofree char *where =
				g_strdup_printf("%s cut at %u of %u bytes, %s", c->path, len, f.len,
						dir_names[dir]);

			if (!run_expect(td->h, where, dir, c->l3_device, false, f.data, len, NULL,
					&e))
				refused++;
			else if (len < f.hdr_len)
				truncated++;
			else
				complete++;
		}
	}
	g_test_message("%s: %u runs truncated, %u complete, %u refused by the kernel", c->path,
		       truncated, complete, refused);
	g_assert_cmpuint(truncated, >, 0);
	g_assert_cmpuint(complete, >, 0);
}

/* BPF_PROG_TEST_RUN refuses a frame shorter than an Ethernet header. */
static void test_short_frame(gconstpointer p)
{
	const struct test_data *td = p;
	const struct layer layers[] = {ETH, IPV4(A4, B4), TCP(40000, 443, TH_SYN), END};
	guint64 none[RFM_STAT_MAX] = {0};
	struct frame f;
	struct run r;

	frame_build(&f, layers);
	harness_configure(td->h, RFM_DIR_INGRESS, 1, RFM_SAMPLE_RANDOM, false, false);
	harness_run(td->h, RFM_DIR_INGRESS, f.data, 13, NULL, 1, &r);
	g_test_message("13-byte frame: bpf_prog_test_run_opts() = %d", r.err);
	g_assert_cmpint(r.err, ==, -EINVAL);
	g_assert_cmpuint(td->h->events->len, ==, 0);
	harness_assert_stats("13 bytes", &r, none);
	harness_assert_counters("13 bytes", &r, RFM_DIR_INGRESS, RFM_FAMILY_OTHER, 0, 0);
}

/*
 * A VLAN tag the NIC stripped into the skb (skb->vlan_present, vlan_tci)
 * cannot be given to BPF_PROG_TEST_RUN: the kernel refuses a context with
 * either field set (EINVAL). The stripped-tag path is covered by the live
 * test (tests/live), on a veth where the kernel strips the outer tag before
 * TC ingress.
 */
static void test_stripped_vlan_ctx(gconstpointer p)
{
	const struct test_data *td = p;
	const struct layer layers[] = {ETH, IPV4(A4, B4), UDP(5353, 53), END};
	guint64 none[RFM_STAT_MAX] = {0};
	struct __sk_buff present = {.vlan_present = 1};
	struct __sk_buff tci = {.vlan_tci = 100};
	struct __sk_buff both = {.vlan_present = 1, .vlan_tci = 100};
	const struct __sk_buff *ctxs[] = {&present, &tci, &both};
	struct frame f;
	struct run r;

	frame_build(&f, layers);
	harness_configure(td->h, RFM_DIR_INGRESS, 1, RFM_SAMPLE_RANDOM, false, false);
	for (gsize i = 0; i < G_N_ELEMENTS(ctxs); i++) {
		harness_run(td->h, RFM_DIR_INGRESS, f.data, f.len, ctxs[i], 1, &r);
		g_test_message(
			"ctx vlan_present %u vlan_tci %u: bpf_prog_test_run_opts() = %d (%s)",
			ctxs[i]->vlan_present, ctxs[i]->vlan_tci, r.err, g_strerror(-r.err));
		g_assert_cmpint(r.err, ==, -EINVAL);
		g_assert_cmpuint(td->h->events->len, ==, 0);
		harness_assert_stats("vlan ctx", &r, none);
		harness_assert_counters("vlan ctx", &r, RFM_DIR_INGRESS, RFM_FAMILY_OTHER, 0, 0);
	}
}

static void test_gso(gconstpointer p)
{
	const struct test_data *td = p;
	const struct gso_case *c = td->row;
	struct __sk_buff ctx = {.gso_segs = c->segs, .gso_size = c->size};
	struct frame f;

	frame_build(&f, c->layers);
	g_test_message("%s (%u bytes, gso_segs %u, gso_size %u)", c->desc, f.len, c->segs, c->size);
	for (int dir = 0; dir < RFM_DIR_MAX; dir++) {
		g_autofree char *where = g_strdup_printf("gso %s, %s", c->path, dir_names[dir]);

		run_expect(td->h, where, dir, false, false, f.data, f.len, &ctx, &c->exp);
	}
}

/*
 * other_ifindex at egress is skb->ingress_ifindex (skb_iif). Under test run
 * the kernel leaves skb_iif 0, as for a locally generated packet, with or
 * without an ifindex in the context (checked on 6.18): a forwarded packet's
 * ingress interface is left to the live test.
 */
static void test_egress_other_ifindex(gconstpointer p)
{
	const struct test_data *td = p;
	const struct parser_case *c = case_by_path("ipv4/tcp");
	struct __sk_buff ctx = {.ifindex = HARNESS_IFINDEX};
	struct frame f;

	frame_build(&f, c->layers);
	g_assert_cmpuint(c->exp.other_ifindex, ==, 0);
	run_expect(td->h, "egress, no context", RFM_DIR_EGRESS, false, false, f.data, f.len, NULL,
		   &c->exp);
	run_expect(td->h, "egress, context ifindex 1", RFM_DIR_EGRESS, false, false, f.data, f.len,
		   &ctx, &c->exp);
	run_expect(td->h, "ingress, context ifindex 1", RFM_DIR_INGRESS, false, false, f.data,
		   f.len, &ctx, &c->exp);
}

/* Write a sysctl of the current network namespace (procfs: no temporary file). */
static void write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		g_error("%s: %s", path, g_strerror(errno));
	close(fd);
}

static void lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	g_assert_cmpint(ioctl(fd, SIOCGIFFLAGS, &ifr), ==, 0);
	ifr.ifr_flags |= IFF_UP;
	g_assert_cmpint(ioctl(fd, SIOCSIFFLAGS, &ifr), ==, 0);
	close(fd);
}

/* Add an IPv4 route through lo (SIOCADDRT: no netlink code needed for one route). */
static void route4_add(const char *prefix, const char *mask, const char *gateway)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct rtentry rt = {0};
	char dev[] = "lo";
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(inet_pton(AF_INET, prefix, &sin.sin_addr), ==, 1);
	memcpy(&rt.rt_dst, &sin, sizeof(sin));
	g_assert_cmpint(inet_pton(AF_INET, mask, &sin.sin_addr), ==, 1);
	memcpy(&rt.rt_genmask, &sin, sizeof(sin));
	rt.rt_flags = RTF_UP;
	if (gateway) {
		g_assert_cmpint(inet_pton(AF_INET, gateway, &sin.sin_addr), ==, 1);
		memcpy(&rt.rt_gateway, &sin, sizeof(sin));
		rt.rt_flags |= RTF_GATEWAY;
	}
	rt.rt_dev = dev;
	if (ioctl(fd, SIOCADDRT, &rt) != 0)
		g_error("SIOCADDRT %s/%s: %s", prefix, mask, g_strerror(errno));
	close(fd);
}

/*
 * The ingress FIB lookup (RFM_IF_FIB_LOOKUP), in a network namespace of the
 * test's own so the host's routes play no part; ifindex 1 is that
 * namespace's lo. A destination without a route gives no RFM_EV_NEXT_HOP
 * (and no RFM_STAT_FIB_ERROR: "no route" is not an error); a connected
 * route gives lo and the destination itself as next hop; a gateway route
 * the gateway. IPv6 routes through lo are turned into reject routes by the
 * kernel, so the IPv6 next hop is left to the live test.
 */
static void test_fib(gconstpointer p)
{
	const struct test_data *td = p;
	const struct layer to_b4[] = {ETH, IPV4(A4, B4), TCP(40000, 443, TH_SYN), END};
	const struct layer to_far[] = {ETH, IPV4(A4, "198.18.2.7"), UDP(5353, 53), END};
	const struct layer to_b6[] = {ETH, IPV6(A6, B6), TCP(40000, 443, TH_SYN), END};
	const struct expect e4 = {V4(6), FROM(A4, 40000), TO(B4, 443), .tcp_flags = 0x02,
				  .octets = 40};
	const struct expect e_far = {V4(17), FROM(A4, 5353), TO("198.18.2.7", 53), .octets = 28};
	const struct expect e6 = {V6(6), FROM(A6, 40000), TO(B6, 443), .tcp_flags = 0x02,
				  .octets = 60};
	struct frame f4, f_far, f6;
	struct expect e;
	int orig_ns;

	frame_build(&f4, to_b4);
	frame_build(&f_far, to_far);
	frame_build(&f6, to_b6);
	orig_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(orig_ns, >=, 0);
	if (unshare(CLONE_NEWNET) != 0)
		g_error("unshare(CLONE_NEWNET): %s", g_strerror(errno));

	/* Forwarding disabled (a new namespace's default): no next hop. */
	run_expect(td->h, "fib, forwarding off", RFM_DIR_INGRESS, false, true, f4.data, f4.len,
		   NULL, &e4);

	write_sysctl("/proc/sys/net/ipv4/conf/all/forwarding", "1");
	write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	lo_up();
	run_expect(td->h, "fib, IPv4 no route", RFM_DIR_INGRESS, false, true, f4.data, f4.len, NULL,
		   &e4);
	run_expect(td->h, "fib, IPv6 no route", RFM_DIR_INGRESS, false, true, f6.data, f6.len, NULL,
		   &e6);

	route4_add("198.18.1.0", "255.255.255.0", NULL);
	e = e4;
	e.flags = RFM_EV_NEXT_HOP;
	e.other_ifindex = HARNESS_IFINDEX;
	e.next_hop = B4;
	run_expect(td->h, "fib, connected route", RFM_DIR_INGRESS, false, true, f4.data, f4.len,
		   NULL, &e);

	route4_add("198.18.2.0", "255.255.255.0", "198.18.1.254");
	e = e_far;
	e.flags = RFM_EV_NEXT_HOP;
	e.other_ifindex = HARNESS_IFINDEX;
	e.next_hop = "198.18.1.254";
	run_expect(td->h, "fib, gateway route", RFM_DIR_INGRESS, false, true, f_far.data, f_far.len,
		   NULL, &e);

	/* Without the flag there is no lookup, route or not. */
	run_expect(td->h, "no fib flag, connected route", RFM_DIR_INGRESS, false, false, f4.data,
		   f4.len, NULL, &e4);
	/* The FIB lookup is ingress only: egress reports skb->ingress_ifindex (0 here). */
	run_expect(td->h, "fib flag on egress", RFM_DIR_EGRESS, false, true, f4.data, f4.len, NULL,
		   &e4);

	if (setns(orig_ns, CLONE_NEWNET) != 0)
		g_error("setns back to the original network namespace: %s", g_strerror(errno));
	close(orig_ns);
}

static void add(struct harness *h, const char *path, const void *row, GTestDataFunc fn)
{
	struct test_data *td = g_new0(struct test_data, 1);

	td->h = h;
	td->row = row;
	g_test_add_data_func_full(path, td, fn, g_free);
}

int main(int argc, char **argv)
{
	struct harness *h;
	int rc;

	g_test_init(&argc, &argv, NULL);
	harness_require_root();
	h = harness_new(4U << 20);

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *path = g_strconcat("/parser/", cases[i].path, NULL);

		add(h, path, &cases[i], test_case);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(truncation_cases); i++) {
		g_autofree char *path = g_strconcat("/truncation/", truncation_cases[i], NULL);

		add(h, path, case_by_path(truncation_cases[i]), test_truncation);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(gso_cases); i++) {
		g_autofree char *path = g_strconcat("/gso/", gso_cases[i].path, NULL);

		add(h, path, &gso_cases[i], test_gso);
	}
	add(h, "/context/short-frame", NULL, test_short_frame);
	add(h, "/context/stripped-vlan-refused", NULL, test_stripped_vlan_ctx);
	add(h, "/context/egress-other-ifindex", NULL, test_egress_other_ifindex);
	add(h, "/fib/netns", NULL, test_fib);

	rc = g_test_run();
	harness_free(h);
	return rc;
}
