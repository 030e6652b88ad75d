/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ingest_gen.h - the synthetic sampled events of bench_ingest, shared by the
 * BPF producer (producer.bpf.c) and user space (bench_ingest.c), so both
 * build byte-identical events for a flow index.
 *
 * A flow index 0 .. 2^24 - 1 decides every key field; distinct indexes give
 * distinct keys (the source address holds the index). The mix: 25 % IPv6,
 * 75 % TCP and 25 % UDP, both directions of one interface; ingress events
 * carry a FIB next hop as the agent's default does. Per event: packets = 1,
 * octets 64 .. 1500, TCP flags ACK or PSH+ACK (never FIN/RST, so no flow
 * enters the closing list).
 */
#ifndef RFM_BENCH_INGEST_GEN_H
#define RFM_BENCH_INGEST_GEN_H

#include <linux/types.h>

#include "rfm_shared.h"

#define BENCH_GEN_IFINDEX	2
#define BENCH_GEN_OTHER_IFINDEX 3
#define BENCH_GEN_MAX_FLOWS	(1U << 24)

/* Size of the Zipf pool of flow indexes (entries, a power of two). */
#define BENCH_POOL_SHIFT 22
#define BENCH_POOL_SIZE	 (1U << BENCH_POOL_SHIFT)

/* How the producer picks the flow of each event. */
enum bench_gen_mode {
	BENCH_GEN_SEQUENTIAL = 0, /* 0, 1, ..., nflows - 1, 0, ...: fills the table */
	BENCH_GEN_UNIFORM = 1,	  /* uniform random over nflows */
	BENCH_GEN_ZIPF = 2,	  /* a random entry of the Zipf pool */
};

/* lowbias32 (Chris Wellons' hash prospector): a full-avalanche 32-bit mix. */
static inline __attribute__((always_inline)) __u32 bench_gen_hash(__u32 x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Destination ports by popularity: 8 slots per transport. */
static inline __attribute__((always_inline)) __u16 bench_gen_dport(__u8 protocol, __u32 k)
{
	switch (k & 7) {
	case 0:
	case 1:
	case 2:
		return 443; /* HTTPS, QUIC */
	case 3:
		return protocol == 6 ? 80 : 53;
	case 4:
		return protocol == 6 ? 80 : 123;
	case 5:
		return protocol == 6 ? 22 : 53;
	case 6:
		return protocol == 6 ? 993 : 5353;
	default:
		return protocol == 6 ? 8080 : 514;
	}
}

/*
 * Fill ev (every byte) for flow idx; rnd gives the per-event fields (octets,
 * TCP flags). tstamp_ns is left 0 for the caller.
 */
static inline __attribute__((always_inline)) void bench_gen_event(struct rfm_event *ev, __u32 idx,
								  __u32 rnd)
{
	__u32 h = bench_gen_hash(idx);
	int v6 = ((h >> 1) & 3) == 0;

	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ifindex = BENCH_GEN_IFINDEX;
	ev->direction = h & 1 ? RFM_DIR_EGRESS : RFM_DIR_INGRESS;
	ev->ip_version = v6 ? 6 : 4;
	ev->protocol = ((h >> 3) & 3) == 0 ? 17 : 6;
	ev->packets = 1;
	ev->octets = 64 + rnd % 1437;
	ev->src_port = 1024 + (h >> 12) % 64511;
	ev->dst_port = bench_gen_dport(ev->protocol, h >> 5);
	if (ev->protocol == 6)
		ev->tcp_flags = (rnd >> 16) & 1 ? 0x18 : 0x10;
	if (v6) {
		/* 2001:db8::<idx> -> 2001:db8:1::<h> (RFC 3849) */
		ev->src_addr[0] = ev->dst_addr[0] = 0x20;
		ev->src_addr[1] = ev->dst_addr[1] = 0x01;
		ev->src_addr[2] = ev->dst_addr[2] = 0x0d;
		ev->src_addr[3] = ev->dst_addr[3] = 0xb8;
		ev->dst_addr[5] = 1;
		ev->src_addr[13] = idx >> 16;
		ev->src_addr[14] = idx >> 8;
		ev->src_addr[15] = idx;
		ev->dst_addr[12] = h >> 24;
		ev->dst_addr[13] = h >> 16;
		ev->dst_addr[14] = h >> 8;
		ev->dst_addr[15] = h;
	} else {
		/* 10.<idx> -> 198.18.0.0/15 (RFC 2544) */
		ev->src_addr[0] = 10;
		ev->src_addr[1] = idx >> 16;
		ev->src_addr[2] = idx >> 8;
		ev->src_addr[3] = idx;
		ev->dst_addr[0] = 198;
		ev->dst_addr[1] = 18 + ((h >> 24) & 1);
		ev->dst_addr[2] = h >> 16;
		ev->dst_addr[3] = h >> 8;
	}
	if (ev->direction == RFM_DIR_INGRESS) {
		ev->flags = RFM_EV_NEXT_HOP;
		ev->other_ifindex = BENCH_GEN_OTHER_IFINDEX;
		if (v6) {
			ev->next_hop[0] = 0xfe;
			ev->next_hop[1] = 0x80;
			ev->next_hop[15] = 1;
		} else {
			ev->next_hop[0] = 192;
			ev->next_hop[2] = 2;
			ev->next_hop[3] = 1;
		}
	}
}

#endif /* RFM_BENCH_INGEST_GEN_H */
