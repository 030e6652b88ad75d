/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * frame.h - hand-built test frames for the BPF parser tests: a frame is a
 * list of layers (Ethernet, VLAN tags, IPv4/IPv6, IPv6 extension headers,
 * transports, payload, padding) written back to back into a buffer. The
 * "next protocol" fields (EtherType, IPv4 protocol, IPv6 next header) and
 * the length fields are filled in from the layers that follow unless a layer
 * gives them explicitly (next = NEXT(value)). A pure function over a buffer:
 * no I/O, no globals.
 */
#ifndef RFM_TEST_FRAME_H
#define RFM_TEST_FRAME_H

#include <glib.h>

enum layer_kind {
	L_END = 0, /* terminates a layer list */
	L_ETH,	   /* 14 octets; EtherType from the next layer, or next = NEXT(type) */
	L_VLAN,	   /* 4 octets after the TPID: a = TPID, b = TCI (PCP, DEI, VID) */
	L_ARP,	   /* 28-octet ARP request for IPv4 over Ethernet */
	L_IPV4,	   /* 20 octets + len octets of options */
	L_IPV6,	   /* 40 octets */
	L_HOPOPT,  /* RFC 8200 4.3, len octets (multiple of 8) */
	L_ROUTING, /* RFC 8200 4.4, len octets (multiple of 8) */
	L_DSTOPT,  /* RFC 8200 4.6, len octets (multiple of 8) */
	L_AH,	   /* RFC 4302, len octets (multiple of 4, >= 12) */
	L_FRAG6,   /* RFC 8200 4.5, 8 octets: a = offset in 8-octet units, b = M flag */
	L_ESP,	   /* RFC 4303 SPI + sequence number, 8 octets */
	L_TCP,	   /* 20 octets + len octets of options; a, b = ports, flags = TCP flags */
	L_UDP,	   /* 8 octets; a, b = ports */
	L_UDPLITE, /* 8 octets (RFC 3828); a, b = ports */
	L_SCTP,	   /* 12-octet common header (RFC 9260 3.1); a, b = ports */
	L_ICMP,	   /* 8 octets; a = type, b = code */
	L_ICMPV6,  /* 8 octets; a = type, b = code */
	L_GRE,	   /* 4 octets (RFC 2784), protocol type IPv4 */
	L_PAYLOAD, /* len octets of 0xa5 */
	L_PAD,	   /* zeros up to a frame of len octets, outside every IP length */
};

/* Explicit value of a "next protocol" field; 0 means "from the next layer". */
#define NEXT(p) (0x10000 | (p))

/* One layer of a frame. Which fields count depends on kind (see above). */
struct layer {
	enum layer_kind kind;
	const char *src; /* IP layers: source address, text */
	const char *dst; /* IP layers: destination address, text */
	guint16 a, b;
	guint8 tos;	 /* IPv4 TOS or IPv6 traffic class, ECN bits included */
	guint8 flags;	 /* TCP flags (byte 13) */
	guint16 frag;	 /* IPv4 flags + fragment offset field, host order */
	guint16 len;	 /* see kind */
	guint8 ihl;	 /* IPv4: header length field if not 0 (malformed headers) */
	guint16 tot_len; /* IPv4: total length field if not 0 */
	guint32 next;	 /* NEXT(p) for an explicit next protocol */
};

#define FRAME_MAX	 2048
#define FRAME_MAX_LAYERS 20

/*
 * A built frame. bounds[] are the offsets where the layers start, plus the
 * end of the last one; l3_off is where the (first) IP header starts, hdr_len
 * where the headers end (the start of the payload or of the padding).
 */
struct frame {
	guint8 data[FRAME_MAX];
	guint32 len;
	guint32 l3_off;
	guint32 hdr_len;
	guint32 bounds[FRAME_MAX_LAYERS + 1];
	guint32 nbounds;
};

/* Write the layers (terminated by L_END) into f. Aborts the test on a bad list. */
void frame_build(struct frame *f, const struct layer *layers);

/* Parse a textual IPv4 or IPv6 address into the 16-octet form of rfm_event. */
void frame_addr(const char *text, guint8 out[16], guint8 *version);

/* Layer shorthands for the tables (kept one per line: clang-format would split them). */
/* clang-format off */
#define END {.kind = L_END}
#define ETH {.kind = L_ETH}
#define ETH_TYPE(t) {.kind = L_ETH, .next = NEXT(t)}
#define VLAN(tpid, pcp, vid) {.kind = L_VLAN, .a = (tpid), .b = ((pcp) << 13) | (vid)}
#define ARP {.kind = L_ARP}
#define IPV4(s, d) {.kind = L_IPV4, .src = (s), .dst = (d), .frag = 0x4000 /* DF */}
#define IPV4_TOS(s, d, t) {.kind = L_IPV4, .src = (s), .dst = (d), .tos = (t)}
#define IPV4_OPT(s, d, n) {.kind = L_IPV4, .src = (s), .dst = (d), .len = (n)}
#define IPV4_FRAG(s, d, f, p) {.kind = L_IPV4, .src = (s), .dst = (d), .frag = (f), .next = NEXT(p)}
#define IPV6(s, d) {.kind = L_IPV6, .src = (s), .dst = (d)}
#define IPV6_TC(s, d, t) {.kind = L_IPV6, .src = (s), .dst = (d), .tos = (t)}
#define HOPOPT(n) {.kind = L_HOPOPT, .len = (n)}
#define ROUTING(n) {.kind = L_ROUTING, .len = (n)}
#define DSTOPT(n) {.kind = L_DSTOPT, .len = (n)}
#define AH(n) {.kind = L_AH, .len = (n)}
#define FRAG6(off, m) {.kind = L_FRAG6, .a = (off), .b = (m)}
#define FRAG6_P(off, m, p) {.kind = L_FRAG6, .a = (off), .b = (m), .next = NEXT(p)}
#define ESP {.kind = L_ESP}
#define TCP(sp, dp, f) {.kind = L_TCP, .a = (sp), .b = (dp), .flags = (f)}
#define TCP_OPT(sp, dp, f, n) {.kind = L_TCP, .a = (sp), .b = (dp), .flags = (f), .len = (n)}
#define UDP(sp, dp) {.kind = L_UDP, .a = (sp), .b = (dp)}
#define UDPLITE(sp, dp) {.kind = L_UDPLITE, .a = (sp), .b = (dp)}
#define SCTP(sp, dp) {.kind = L_SCTP, .a = (sp), .b = (dp)}
#define ICMP(t, c) {.kind = L_ICMP, .a = (t), .b = (c)}
#define ICMPV6(t, c) {.kind = L_ICMPV6, .a = (t), .b = (c)}
#define GRE {.kind = L_GRE}
#define PAYLOAD(n) {.kind = L_PAYLOAD, .len = (n)}
#define PAD_TO(n) {.kind = L_PAD, .len = (n)}
/* clang-format on */

/* TCP flags (RFC 9293 3.1, RFC 3168 6.1.1) */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

#endif /* RFM_TEST_FRAME_H */
