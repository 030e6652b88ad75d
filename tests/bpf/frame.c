/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* frame.c - builds the hand-made test frames described in frame.h. */
#include "frame.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_IPV6 0x86dd
#define IPPROTO_NONE_  59 /* RFC 8200 4.7: No Next Header */

static void put16(guint8 *p, guint32 v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

static void put32(guint8 *p, guint32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

void frame_addr(const char *text, guint8 out[16], guint8 *version)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, out) == 1) {
		*version = 4;
		return;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*version = 6;
		return;
	}
	g_error("bad address in a test table: %s", text);
}

/* EtherType announcing layer l (an Ethernet or VLAN header precedes it). */
static guint32 ethertype_of(const struct layer *l)
{
	switch (l->kind) {
	case L_VLAN:
		return l->a;
	case L_IPV4:
		return ETHERTYPE_IPV4;
	case L_IPV6:
		return ETHERTYPE_IPV6;
	case L_ARP:
		return ETHERTYPE_ARP;
	default:
		g_error("layer kind %d after Ethernet/VLAN needs an explicit EtherType", l->kind);
	}
}

/* IANA protocol number announcing layer l (an IP or extension header precedes it). */
static guint32 protocol_of(const struct layer *l)
{
	switch (l->kind) {
	case L_IPV4:
		return 4;
	case L_IPV6:
		return 41;
	case L_HOPOPT:
		return 0;
	case L_ROUTING:
		return 43;
	case L_FRAG6:
		return 44;
	case L_DSTOPT:
		return 60;
	case L_AH:
		return 51;
	case L_ESP:
		return 50;
	case L_TCP:
		return 6;
	case L_UDP:
		return 17;
	case L_UDPLITE:
		return 136;
	case L_SCTP:
		return 132;
	case L_ICMP:
		return 1;
	case L_ICMPV6:
		return 58;
	case L_GRE:
		return 47;
	default:
		return IPPROTO_NONE_;
	}
}

static guint32 next_of(const struct layer *l, bool ether)
{
	if (l->next & 0x10000)
		return l->next & 0xffff;
	return ether ? ethertype_of(l + 1) : protocol_of(l + 1);
}

/* RFC 1071 checksum of the IPv4 header at p. */
static guint16 ipv4_csum(const guint8 *p, guint32 len)
{
	guint32 sum = 0;

	for (guint32 i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Options of an IPv6 hop-by-hop or destination options header: one PadN. */
static void put_ext_opts(guint8 *h, guint32 len, guint32 next)
{
	g_assert_true(len >= 8 && len % 8 == 0);
	h[0] = next;
	h[1] = len / 8 - 1;
	h[2] = 1; /* PadN, RFC 8200 4.2 */
	h[3] = len - 4;
}

/* Write one layer at f->len; returns its length. */
static guint32 put_layer(struct frame *f, const struct layer *l)
{
	guint8 *p = f->data + f->len;
	guint8 addr[16], ver;
	guint32 n;

	switch (l->kind) {
	case L_ETH:
		/* Locally administered unicast MACs. */
		memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
		put16(p + 12, next_of(l, true));
		return 14;
	case L_VLAN:
		/* The TPID sits in the previous header; this is TCI + EtherType. */
		put16(p, l->b);
		put16(p + 2, next_of(l, true));
		return 4;
	case L_ARP:
		/* RFC 826 request: who has 198.18.0.2, tell 198.18.0.1. */
		put16(p, 1);
		put16(p + 2, ETHERTYPE_IPV4);
		p[4] = 6;
		p[5] = 4;
		put16(p + 6, 1);
		memcpy(p + 8, "\x02\x00\x00\x00\x00\x01\xc6\x12\x00\x01", 10);
		memcpy(p + 18, "\x00\x00\x00\x00\x00\x00\xc6\x12\x00\x02", 10);
		return 28;
	case L_IPV4:
		g_assert_true(l->len % 4 == 0 && l->len <= 40);
		n = 20 + l->len;
		p[0] = 0x40 | (l->ihl ? l->ihl : n / 4);
		p[1] = l->tos;
		put16(p + 4, 0x1234); /* identification */
		put16(p + 6, l->frag);
		p[8] = 64;
		p[9] = next_of(l, false);
		frame_addr(l->src, addr, &ver);
		g_assert_cmpint(ver, ==, 4);
		memcpy(p + 12, addr, 4);
		frame_addr(l->dst, addr, &ver);
		g_assert_cmpint(ver, ==, 4);
		memcpy(p + 16, addr, 4);
		if (l->len) {
			/* Router Alert (RFC 2113), then NOPs, then End of Options List. */
			memcpy(p + 20, "\x94\x04\x00\x00", 4);
			memset(p + 24, 1, l->len - 4);
			p[n - 1] = 0;
		}
		return n;
	case L_IPV6:
		put32(p, 0x60000000 | ((guint32)l->tos << 20) | 0x12345 /* flow label */);
		p[6] = next_of(l, false);
		p[7] = 64;
		frame_addr(l->src, addr, &ver);
		g_assert_cmpint(ver, ==, 6);
		memcpy(p + 8, addr, 16);
		frame_addr(l->dst, addr, &ver);
		g_assert_cmpint(ver, ==, 6);
		memcpy(p + 24, addr, 16);
		return 40;
	case L_HOPOPT:
	case L_DSTOPT:
		put_ext_opts(p, l->len, next_of(l, false));
		return l->len;
	case L_ROUTING:
		/* RFC 8754 segment routing header with segments left 0. */
		g_assert_true(l->len >= 8 && l->len % 8 == 0);
		p[0] = next_of(l, false);
		p[1] = l->len / 8 - 1;
		p[2] = 4;
		p[3] = 0;
		return l->len;
	case L_AH:
		g_assert_true(l->len >= 12 && l->len % 4 == 0);
		p[0] = next_of(l, false);
		p[1] = l->len / 4 - 2;
		put32(p + 4, 0x100); /* SPI */
		put32(p + 8, 1);     /* sequence number */
		return l->len;
	case L_FRAG6:
		p[0] = next_of(l, false);
		put16(p + 2, (l->a << 3) | (l->b & 1));
		put32(p + 4, 0xcafe); /* identification */
		return 8;
	case L_ESP:
		put32(p, 0x200);
		put32(p + 4, 1);
		return 8;
	case L_TCP:
		g_assert_true(l->len % 4 == 0 && l->len <= 40);
		n = 20 + l->len;
		put16(p, l->a);
		put16(p + 2, l->b);
		put32(p + 4, 1000);
		put32(p + 8, l->flags & TH_ACK ? 2000 : 0);
		p[12] = (n / 4) << 4;
		p[13] = l->flags;
		put16(p + 14, 64240);
		if (l->len) {
			/* NOPs, then a timestamp option (RFC 7323) in the last 10. */
			memset(p + 20, 1, l->len);
			if (l->len >= 12)
				memcpy(p + n - 10, "\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00", 10);
		}
		return n;
	case L_UDP:
	case L_UDPLITE:
		put16(p, l->a);
		put16(p + 2, l->b);
		if (l->kind == L_UDPLITE)
			put16(p + 4, 8); /* checksum coverage: the header (RFC 3828 3.1) */
		return 8;
	case L_SCTP:
		put16(p, l->a);
		put16(p + 2, l->b);
		put32(p + 4, 0x1234abcd); /* verification tag */
		return 12;
	case L_ICMP:
	case L_ICMPV6:
		p[0] = l->a;
		p[1] = l->b;
		put16(p + 4, 0x42); /* identifier */
		put16(p + 6, 1);    /* sequence number */
		return 8;
	case L_GRE:
		put16(p + 2, ETHERTYPE_IPV4);
		return 4;
	case L_PAYLOAD:
		memset(p, 0xa5, l->len);
		return l->len;
	case L_PAD:
		return l->len > f->len ? l->len - f->len : 0;
	case L_END:
		break;
	}
	g_error("bad layer kind %d", l->kind);
}

void frame_build(struct frame *f, const struct layer *layers)
{
	guint32 ip_end = 0;
	bool hdr_done = false;
	int i;

	memset(f, 0, sizeof(*f));
	f->l3_off = G_MAXUINT32;
	for (i = 0; layers[i].kind != L_END; i++) {
		const struct layer *l = &layers[i];
		guint32 n;

		g_assert_cmpint(i, <, FRAME_MAX_LAYERS);
		if ((l->kind == L_IPV4 || l->kind == L_IPV6) && f->l3_off == G_MAXUINT32)
			f->l3_off = f->len;
		if ((l->kind == L_PAYLOAD || l->kind == L_PAD) && !hdr_done) {
			f->hdr_len = f->len;
			hdr_done = true;
		}
		f->bounds[f->nbounds++] = f->len;
		n = put_layer(f, l);
		g_assert_cmpuint(f->len + n, <=, FRAME_MAX);
		f->len += n;
		if (l->kind != L_PAD)
			ip_end = f->len;
	}
	f->bounds[f->nbounds++] = f->len;
	if (!hdr_done)
		f->hdr_len = f->len;

	/* Length fields cover everything up to the padding (bounds[i]: start of layer i). */
	for (i = 0; layers[i].kind != L_END; i++) {
		guint8 *p = f->data + f->bounds[i];
		guint32 rest = ip_end - f->bounds[i];

		switch (layers[i].kind) {
		case L_UDP:
			put16(p + 4, rest);
			break;
		case L_IPV6:
			put16(p + 4, rest - 40);
			break;
		case L_IPV4:
			put16(p + 2, layers[i].tot_len ? layers[i].tot_len : rest);
			put16(p + 10, ipv4_csum(p, (p[0] & 0x0f) * 4));
			break;
		default:
			break;
		}
	}
}
