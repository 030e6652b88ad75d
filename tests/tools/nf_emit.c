/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * nf_emit.c - encodes a fixed set of flow records with the NetFlow v9 or v5
 * encoder (netflow.c) and sends every message as one UDP datagram to
 * HOST:PORT, for collectors-test/netflow.sh. It prints the records it
 * encoded as JSON lines on stdout, the truth the script compares each
 * collector's decoding with.
 *
 * The clock is fixed: records start from T0 = 2023-11-14 22:13:20 UTC. By
 * default the exporter started 10 minutes before T0 and every record is
 * added one minute after T0 (a live run). With --replay the exporter starts
 * now (wall clock) and records are added at their capture time, years
 * before: the boot time must move (netflow.h, Time) and collectors must
 * still decode the same absolute times.
 *
 * Usage: nf_emit -v 9|5 -p PORT [-H HOST] [-d OD] [-s RATE[:RATE3]] [-m MTU] [--replay]
 *   -d: observation domain (v9 source id; v5 engine type/id are its bits
 *       15..8/7..0), default 258 (1/2), so that one collector can tell runs apart;
 *   -s: records on ifindex 2 are sampled 1-in-RATE, those on ifindex 3
 *       1-in-RATE3 (default RATE); set_sampling() announces the same table.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "netflow.h"

#define T0 G_GUINT64_CONSTANT(1700000000000)

/* One record of the fixed set, readable. */
struct emit_case {
	const char *src, *dst;
	guint8 protocol;
	guint16 sport, dport; /* ICMP: dport = type << 8 | code */
	guint32 ifindex, other_ifindex;
	guint8 direction;
	guint64 packets, octets;
	guint32 start_off, end_off; /* ms after T0 */
	const char *next_hop;	    /* NULL = none */
	guint8 tcp_flags, dscp;
	guint16 vlan;
	bool enriched;
	guint32 src_asn, dst_asn;
	guint8 src_mask, dst_mask;
	const char *bgp_next_hop; /* NULL = none */
};

static const struct emit_case cases[] = {
	{"192.0.2.10",
	 "198.51.100.20",
	 6,
	 40000,
	 443,
	 2,
	 3,
	 RFM_DIR_INGRESS,
	 10,
	 1400,
	 123,
	 5456,
	 "198.51.100.1",
	 0x1b,
	 46,
	 100,
	 true,
	 64496,
	 64497,
	 24,
	 24,
	 "192.0.2.254"},
	{"203.0.113.5", "192.0.2.99", 17, 5353, 53, 3,	  2,	 RFM_DIR_EGRESS, 3,  234, 1000,
	 1500,		NULL,	      0,  0,	0,  true, 65536, 64498,		 24, 22,  NULL},
	{"198.51.100.7",
	 "203.0.113.9",
	 1,
	 0,
	 0x0800,
	 2,
	 0,
	 RFM_DIR_INGRESS,
	 4,
	 336,
	 2000,
	 5000,
	 NULL,
	 0,
	 0,
	 0,
	 false,
	 0,
	 0,
	 0,
	 0,
	 NULL},
	{"2001:db8::1",
	 "2001:db8:1::2",
	 6,
	 40001,
	 80,
	 3,
	 2,
	 RFM_DIR_INGRESS,
	 6,
	 1560,
	 220,
	 270,
	 "2001:db8:1::1",
	 0x12,
	 10,
	 0,
	 true,
	 64499,
	 64500,
	 48,
	 64,
	 "2001:db8::ffff"},
	{"2001:db8::10",
	 "2001:db8:2::20",
	 17,
	 123,
	 123,
	 2,
	 3,
	 RFM_DIR_EGRESS,
	 2,
	 192,
	 3000,
	 3999,
	 NULL,
	 0,
	 0,
	 0,
	 true,
	 64501,
	 65551,
	 32,
	 48,
	 NULL},
	{"2001:db8::1",
	 "2001:db8::2",
	 58,
	 0,
	 0x8000,
	 2,
	 0,
	 RFM_DIR_INGRESS,
	 1,
	 104,
	 4000,
	 4000,
	 NULL,
	 0,
	 0,
	 0,
	 false,
	 0,
	 0,
	 0,
	 0,
	 NULL},
};

static guint8 parse_addr(const char *s, guint8 out[16])
{
	bool v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, out) != 1)
		g_error("bad address %s", s);
	return v6 ? 6 : 4;
}

struct emit_ctx {
	int fd;
	struct addrinfo *dst;
	guint sent;
};

static void emit_send(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct emit_ctx *c = user_data;

	if (sendto(c->fd, msg, len, 0, c->dst->ai_addr, c->dst->ai_addrlen) != (ssize_t)len)
		g_error("sendto: %s", g_strerror(errno));
	c->sent++;
	g_usleep(2000); /* let a collector on loopback keep up */
}

static void print_truth(const struct emit_case *c, guint32 od, guint32 rate, guint64 start,
			guint64 end)
{
	printf("{\"od\": %u, \"ip_version\": %d, \"src\": \"%s\", \"dst\": \"%s\", \"protocol\": "
	       "%u, "
	       "\"sport\": %u, \"dport\": %u, \"packets\": %" G_GUINT64_FORMAT
	       ", \"octets\": %" G_GUINT64_FORMAT ", \"rate\": %u, \"start_ms\": %" G_GUINT64_FORMAT
	       ", \"end_ms\": %" G_GUINT64_FORMAT ", \"in\": %u, \"out\": %u, \"src_as\": %u, "
	       "\"dst_as\": %u, \"src_mask\": %u, \"dst_mask\": %u, \"tcp_flags\": %u, \"tos\": "
	       "%u}\n",
	       od, strchr(c->src, ':') ? 6 : 4, c->src, c->dst, c->protocol, c->sport, c->dport,
	       c->packets, c->octets, rate, start, end,
	       c->direction == RFM_DIR_INGRESS ? c->ifindex : c->other_ifindex,
	       c->direction == RFM_DIR_INGRESS ? c->other_ifindex : c->ifindex, c->src_asn,
	       c->dst_asn, c->src_mask, c->dst_mask, c->tcp_flags, c->dscp << 2);
}

static void usage(void)
{
	fprintf(stderr, "usage: nf_emit -v 9|5 -p PORT [-H HOST] [-d OD] [-s RATE[:RATE3]] "
			"[-m MTU] [--replay]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"replay", no_argument, NULL, 'r'},
						 {NULL, 0, NULL, 0}};
	const char *host = "127.0.0.1", *port = NULL;
	guint32 rate2 = 1, rate3 = 1, mtu = 1400, od = 0x0102;
	int version = 9, opt;
	bool replay = false;

	while ((opt = getopt_long(argc, argv, "v:p:H:d:s:m:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			version = atoi(optarg);
			break;
		case 'p':
			port = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'd':
			od = (guint32)strtoul(optarg, NULL, 0);
			break;
		case 's': {
			char *end;

			rate2 = rate3 = (guint32)strtoul(optarg, &end, 10);
			if (*end == ':')
				rate3 = (guint32)strtoul(end + 1, &end, 10);
			if (*end || !rate2 || !rate3)
				usage();
			break;
		}
		case 'm':
			mtu = (guint32)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			replay = true;
			break;
		default:
			usage();
		}
	}
	if (!port || (version != 9 && version != 5))
		usage();

	struct emit_ctx ctx = {0};
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM};
	int rc = getaddrinfo(host, port, &hints, &ctx.dst);

	if (rc)
		g_error("%s:%s: %s", host, port, gai_strerror(rc));
	ctx.fd = socket(ctx.dst->ai_family, SOCK_DGRAM, 0);
	if (ctx.fd < 0)
		g_error("socket: %s", g_strerror(errno));

	const struct rfm_encoder_ops *ops =
		version == 9 ? &rfm_netflow9_encoder : &rfm_netflow5_encoder;
	guint64 now = replay ? T0 : T0 + 60000;
	struct rfm_encoder_params p = {
		.observation_domain = od,
		.enterprise_number = 32473,
		.mtu = mtu,
		.start_ms = replay ? (guint64)(g_get_real_time() / 1000) : T0 - 600000,
		.emit = emit_send,
		.user_data = &ctx,
	};
	GError *error = NULL;
	struct rfm_encoder *enc = ops->create(&p, &error);

	if (!enc)
		g_error("%s", error->message);

	const struct rfm_export_sampler samplers[] = {
		{2, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, rate2},
		{2, RFM_DIR_EGRESS, RFM_SAMPLE_RANDOM, rate2},
		{3, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, rate3},
		{3, RFM_DIR_EGRESS, RFM_SAMPLE_RANDOM, rate3},
	};
	const struct rfm_export_interface ifs[] = {{2, "eth0"}, {3, "eth1"}};

	ops->set_interfaces(enc, ifs, G_N_ELEMENTS(ifs));
	ops->announce(enc, now);
	ops->set_sampling(enc, samplers, G_N_ELEMENTS(samplers), now);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct emit_case *c = &cases[i];
		struct rfm_flow_record rec = {0};
		struct rfm_enrichment en = {0};

		rec.key.ip_version = parse_addr(c->src, rec.key.src_addr);
		parse_addr(c->dst, rec.key.dst_addr);
		rec.key.protocol = c->protocol;
		rec.key.src_port = c->sport;
		rec.key.dst_port = c->dport;
		rec.key.ifindex = c->ifindex;
		rec.key.direction = c->direction;
		rec.key.vlan_id = c->vlan;
		rec.other_ifindex = c->other_ifindex;
		rec.packets = c->packets;
		rec.octets = c->octets;
		rec.start_ms = T0 + c->start_off;
		rec.end_ms = T0 + c->end_off;
		rec.has_next_hop = c->next_hop != NULL;
		if (c->next_hop)
			parse_addr(c->next_hop, rec.next_hop);
		rec.tcp_flags = c->tcp_flags;
		rec.dscp = c->dscp;
		rec.end_reason = RFM_END_IDLE;
		rec.sampling = c->ifindex == 2 ? rate2 : rate3;
		if (c->enriched) {
			en.src_asn = c->src_asn;
			en.dst_asn = c->dst_asn;
			en.src_prefix_len = c->src_mask;
			en.dst_prefix_len = c->dst_mask;
			if (c->bgp_next_hop)
				en.bgp_next_hop_version =
					parse_addr(c->bgp_next_hop, en.bgp_next_hop);
		}
		if (replay) /* exported a second after it ends; time never goes back */
			now = MAX(now, rec.end_ms + 1000);
		ops->add(enc, &rec, c->enriched ? &en : NULL, now);
		print_truth(c, od, rec.sampling, rec.start_ms, rec.end_ms);
	}
	ops->flush(enc, now);

	struct rfm_encoder_stats st;

	ops->get_stats(enc, &st);
	fprintf(stderr,
		"nf_emit: v%d to %s:%s: %u datagrams, %" G_GUINT64_FORMAT
		" records, %" G_GUINT64_FORMAT " not exportable\n",
		version, host, port, ctx.sent, st.records, st.not_exportable);
	ops->destroy(enc);
	freeaddrinfo(ctx.dst);
	close(ctx.fd);
	return 0;
}
