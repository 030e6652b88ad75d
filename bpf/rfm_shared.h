/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rfm_shared.h - the only header shared by the BPF classifier and user space.
 *
 * Everything here is a map key, a map value or a ring-buffer record. Rules:
 * fixed-width types only, explicit padding, a _Static_assert on every size
 * and on the offsets user space relies on. Byte order is stated per field.
 */
#ifndef RFM_SHARED_H
#define RFM_SHARED_H

#include <linux/types.h>

/* Directions: index of the hook a program runs on. */
enum rfm_direction {
	RFM_DIR_INGRESS = 0,
	RFM_DIR_EGRESS = 1,
	RFM_DIR_MAX = 2,
};

/* Families of the interface counters. */
enum rfm_family {
	RFM_FAMILY_IPV4 = 0,
	RFM_FAMILY_IPV6 = 1,
	RFM_FAMILY_OTHER = 2, /* ARP, LLDP, MPLS, ... anything not IP */
	RFM_FAMILY_MAX = 3,
};

/* How the 1-in-N sample is drawn. */
enum rfm_sample_mode {
	RFM_SAMPLE_RANDOM = 0,	   /* Bernoulli, p = 1/N (samplingAlgorithm 2) */
	RFM_SAMPLE_SYSTEMATIC = 1, /* every Nth packet, per CPU (samplingAlgorithm 1) */
};

/* rfm_if_config.flags */
#define RFM_IF_L3	  (1U << 0) /* device has no link-layer header (tun, wg, gre, ppp) */
#define RFM_IF_FIB_LOOKUP (1U << 1) /* ingress: look up egress ifindex + next hop */

/*
 * Key of the rfm_if_config hash map (ifindex >= RFM_IF_ARRAY_MAX; smaller
 * ones index the rfm_if_array map as ifindex * 2 + direction): one entry per
 * configured interface and direction, in the program's network namespace.
 */
struct rfm_if_key {
	__u32 ifindex;
	__u8 direction; /* enum rfm_direction */
	__u8 pad[3];
};
_Static_assert(sizeof(struct rfm_if_key) == 8, "rfm_if_key size");

/*
 * Value of rfm_if_config. Written by user space only; the program reads it on
 * every packet, so a change takes effect on the next packet.
 */
struct rfm_if_config {
	__u32 sample_rate; /* 1-in-N; 1 = every packet; 0 = counters only */
	__u32 slot;	   /* index into rfm_counters, 1..max; 0 = unknown interface */
	__u8 sample_mode;  /* enum rfm_sample_mode */
	__u8 flags;	   /* RFM_IF_* */
	__u8 pad[6];
};
_Static_assert(sizeof(struct rfm_if_config) == 16, "rfm_if_config size");

/*
 * Global defaults, the single entry of the rfm_global array map. Used for a
 * packet whose interface has no rfm_if_config entry (a race at attach time,
 * or a test run with an unconfigured ifindex); its counters go to slot 0.
 */
struct rfm_global_config {
	__u32 sample_rate;
	__u8 sample_mode;
	__u8 flags; /* RFM_IF_* */
	__u8 pad[2];
	/*
	 * Events are submitted without waking user space, which drains on a
	 * timer; once this many bytes wait in the ring, a submit wakes it (its
	 * epoll fd turns readable) so a burst is drained before the ring fills.
	 * 0 = never.
	 */
	__u32 wakeup_bytes;
	__u32 pad2;
};
_Static_assert(sizeof(struct rfm_global_config) == 16, "rfm_global_config size");

/*
 * Exact interface counters. packets counts max(1, gso_segs) per skb. bytes
 * counts skb->len at the hook: the link-layer header when the device has one
 * (without a VLAN tag the kernel stripped into the skb) plus the L3 packet;
 * for a GRO/GSO skb that is the super-packet, headers counted once.
 */
struct rfm_counter {
	__u64 packets;
	__u64 bytes;
};
_Static_assert(sizeof(struct rfm_counter) == 16, "rfm_counter size");

/*
 * Value of the per-CPU array rfm_counters, indexed by rfm_if_config.slot.
 * countdown and rate_seen belong to systematic sampling on this CPU: when
 * the configured rate differs from rate_seen the countdown restarts, so a
 * new rate applies from the next packet. rng is random sampling's generator.
 */
struct rfm_slot {
	struct rfm_counter fam[RFM_FAMILY_MAX];
	__u32 countdown;
	__u32 rate_seen;
	__u64 rng; /* xorshift64 state of random sampling; 0 = not seeded */
};
_Static_assert(sizeof(struct rfm_slot) == 64, "rfm_slot size");

/* Per-CPU statistics of the data path (rfm_stats array index). */
enum rfm_stat {
	RFM_STAT_SAMPLED = 0,  /* selected by sampling: the sum of the next five, by user space */
	RFM_STAT_EVENTS,       /* events submitted to the ring buffer */
	RFM_STAT_RINGBUF_FULL, /* bpf_ringbuf_reserve() failed: event lost */
	RFM_STAT_NOT_IP,       /* sampled, not IPv4/IPv6: no event */
	RFM_STAT_TRUNCATED,    /* sampled, headers cut short: no event */
	RFM_STAT_BAD_HEADER,   /* sampled, invalid IP header: no event */
	RFM_STAT_EXTHDR_LIMIT, /* IPv6 extension chain too long: event without ports */
	RFM_STAT_UNKNOWN_IF,   /* no rfm_if_config entry: counted in slot 0 */
	RFM_STAT_SLOT_INVALID, /* slot outside rfm_counters: packet not counted */
	RFM_STAT_FIB_ERROR,    /* bpf_fib_lookup() failed (not "no route") */
	RFM_STAT_MAX,
};

/* rfm_event.flags */
#define RFM_EV_VLAN_OUTER (1U << 0) /* vlan_outer is valid */
#define RFM_EV_VLAN_INNER (1U << 1) /* vlan_inner is valid */
#define RFM_EV_FRAGMENT	  (1U << 2) /* part of a fragmented datagram */
#define RFM_EV_FRAG_LATER (1U << 3) /* non-first fragment: no L4 header, ports 0 */
#define RFM_EV_NEXT_HOP	  (1U << 4) /* next_hop and other_ifindex come from the FIB */
#define RFM_EV_NO_L4	  (1U << 5) /* L4 header not reached (ESP, chain limit) */

/*
 * One sampled packet, as written to the ring buffer.
 *
 * Addresses are in network byte order; an IPv4 address takes bytes 0..3 and
 * the rest is zero. Ports are in host byte order, zero when the protocol has
 * none or for a non-first fragment. ICMP/ICMPv6 carry type and code instead.
 * octets counts IP octets (IP header + payload, IPFIX octetDeltaCount) summed
 * over the segments of a GSO skb; packets is max(1, gso_segs).
 * other_ifindex: at egress the interface the packet came in on
 * (skb->ingress_ifindex, 0 if locally generated); at ingress, with
 * RFM_EV_NEXT_HOP, the egress interface chosen by the FIB, and next_hop the
 * gateway (equal to dst_addr for a directly connected destination).
 */
struct rfm_event {
	__u64 tstamp_ns; /* CLOCK_BOOTTIME */
	__u32 ifindex;
	__u32 other_ifindex;
	__u32 packets;
	__u32 octets;
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u8 next_hop[16];
	__u16 src_port;
	__u16 dst_port;
	__u16 vlan_outer; /* VLAN id, 12 bits */
	__u16 vlan_inner;
	__u8 direction;	 /* enum rfm_direction */
	__u8 ip_version; /* 4 or 6 */
	__u8 protocol;	 /* IANA protocol number of the transport */
	__u8 tcp_flags;	 /* byte 13 of the TCP header (CWR..FIN) */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 dscp;	   /* 6 bits */
	__u8 flags;	   /* RFM_EV_* */
	__u32 sample_rate; /* the 1-in-N rate this packet was sampled at */
	__u32 pad;
};
_Static_assert(sizeof(struct rfm_event) == 96, "rfm_event size");
_Static_assert(__builtin_offsetof(struct rfm_event, src_addr) == 24, "rfm_event src_addr");
_Static_assert(__builtin_offsetof(struct rfm_event, src_port) == 72, "rfm_event src_port");
_Static_assert(__builtin_offsetof(struct rfm_event, direction) == 80, "rfm_event direction");
_Static_assert(__builtin_offsetof(struct rfm_event, sample_rate) == 88, "rfm_event sample_rate");

/* Program return value that passes the packet on: TCX_NEXT == TC_ACT_UNSPEC. */
#define RFM_TC_NEXT (-1)

/* ifindexes below this have their configuration in an array (fast path). */
#define RFM_IF_ARRAY_MAX 4096

/* Limits of the parser. */
#define RFM_MAX_VLAN_TAGS 3   /* tags skipped in the frame (two recorded) */
#define RFM_MAX_IPV6_EXT  8   /* IPv6 extension headers walked */
#define RFM_PULL_BYTES	  256 /* linearise this much when headers are not linear */

#endif /* RFM_SHARED_H */
