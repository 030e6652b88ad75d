// SPDX-License-Identifier: GPL-2.0-only
/*
 * rfm.bpf.c - the TCX/tc classifier: exact interface counters on every
 * packet, a parsed 1-in-N sample to the ring buffer.
 *
 * The program only observes: it returns RFM_TC_NEXT (TCX_NEXT, equal to
 * TC_ACT_UNSPEC for a legacy filter) so every program or filter after it
 * still runs. Everything it does is driven by maps written by user space.
 *
 * Cost model: the counters need skb metadata only (ifindex, protocol, len,
 * gso_segs), one hash lookup for the interface's configuration and one
 * per-CPU array lookup for its slot. The header parse, the FIB lookup and the
 * ring-buffer record are paid for sampled packets only, in rfm_sample().
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "rfm_shared.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#define IPPROTO_ICMPV6_	  58
#define IPPROTO_HOPOPTS_  0
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_	  51
#define IPPROTO_DSTOPTS_  60
#define IPPROTO_SCTP_	  132
#define IPPROTO_UDPLITE_  136
#define IP_MF		  0x2000
#define IP_OFFMASK	  0x1fff

/*
 * Interface configuration: an array indexed by ifindex * 2 + direction for
 * ifindex < RFM_IF_ARRAY_MAX (an array lookup is inlined by the verifier, a
 * hash lookup costs a call and a jhash on every packet), a hash for larger
 * ifindexes. An entry with slot 0 is not configured.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RFM_IF_ARRAY_MAX *RFM_DIR_MAX);
	__type(key, __u32);
	__type(value, struct rfm_if_config);
} rfm_if_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* set by user space before load */
	__type(key, struct rfm_if_key);
	__type(value, struct rfm_if_config);
} rfm_if_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1025); /* set by user space before load */
	__type(key, __u32);
	__type(value, struct rfm_slot);
} rfm_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rfm_global_config);
} rfm_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RFM_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rfm_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* set by user space before load */
} rfm_events SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&rfm_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline int is_vlan(__u16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Counter family from skb metadata. skb->protocol already names the L3
 * protocol unless a VLAN tag is still in the frame (QinQ inner tag, or a
 * device without VLAN offload): then peek past at most RFM_MAX_VLAN_TAGS tags.
 */
static __always_inline __u32 family_of(struct __sk_buff *skb)
{
	__u16 proto = skb->protocol;

	if (is_vlan(proto)) {
		void *data = (void *)(long)skb->data;
		void *end = (void *)(long)skb->data_end;
		__u32 off = ETH_HLEN;

#pragma unroll
		for (int i = 0; i < RFM_MAX_VLAN_TAGS; i++) {
			__u16 *inner = data + off + 2;

			if ((void *)(inner + 1) > end)
				return RFM_FAMILY_OTHER;
			proto = *inner;
			off += 4;
			if (!is_vlan(proto))
				break;
		}
	}
	if (proto == bpf_htons(ETH_P_IP))
		return RFM_FAMILY_IPV4;
	if (proto == bpf_htons(ETH_P_IPV6))
		return RFM_FAMILY_IPV6;
	return RFM_FAMILY_OTHER;
}

enum parse_result {
	PARSE_OK = 0,
	PARSE_TRUNCATED,
	PARSE_NOT_IP,
	PARSE_BAD_HEADER,
};

/*
 * The parser is inlined into the sampled path (a BPF-to-BPF call costs about
 * 1 ns per sampled packet here), except the IPv6 extension-header walk: as a
 * global function the verifier checks it once, with unknown arguments, instead
 * of once per path through its caller (inlined, its loop multiplies with the
 * VLAN and transport branches to ~700k verified instructions; apart, ~10k).
 */

/*
 * RFC 8200 section 4: walk the IPv6 extension header chain starting at
 * offset off with next header nexthdr. Returns the transport protocol in
 * bits 0-7, its offset in bits 8-23 and RFM_EV_* flags in bits 24-31, or -1
 * when the chain is cut short.
 */
__noinline long rfm_ipv6_ext(struct __sk_buff *skb, __u32 off, __u32 nexthdr)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 flags = 0;

	nexthdr &= 0xff;
	for (int i = 0; i < RFM_MAX_IPV6_EXT; i++) {
		__u8 *h;

		if (nexthdr != IPPROTO_HOPOPTS_ && nexthdr != IPPROTO_ROUTING_ &&
		    nexthdr != IPPROTO_DSTOPTS_ && nexthdr != IPPROTO_FRAGMENT_ &&
		    nexthdr != IPPROTO_AH_)
			return nexthdr | (off << 8) | (flags << 24);
		if (off > 0x3fff)
			return -1;
		h = data + off;
		if ((void *)(h + 8) > end)
			return -1;
		if (nexthdr == IPPROTO_FRAGMENT_) {
			/* RFC 8200 section 4.5: offset in the top 13 bits. */
			__u16 fo = ((__u16)h[2] << 8) | h[3];

			flags |= RFM_EV_FRAGMENT;
			nexthdr = h[0];
			off += 8;
			if (fo & 0xfff8)
				return nexthdr | (off << 8) | ((flags | RFM_EV_FRAG_LATER) << 24);
		} else if (nexthdr == IPPROTO_AH_) {
			/* RFC 4302 section 2.2: length in 4-octet units, minus 2. */
			nexthdr = h[0];
			off += ((__u32)h[1] + 2) * 4;
		} else {
			/* RFC 8200 sections 4.3, 4.4, 4.6: 8-octet units after the first. */
			nexthdr = h[0];
			off += ((__u32)h[1] + 1) * 8;
		}
	}
	if (nexthdr == IPPROTO_HOPOPTS_ || nexthdr == IPPROTO_ROUTING_ ||
	    nexthdr == IPPROTO_DSTOPTS_ || nexthdr == IPPROTO_FRAGMENT_ || nexthdr == IPPROTO_AH_) {
		stat_inc(RFM_STAT_EXTHDR_LIMIT);
		flags |= RFM_EV_NO_L4;
	}
	return nexthdr | ((off & 0xffff) << 8) | (flags << 24);
}

/*
 * Transport header at offset off: ports, TCP flags, ICMP type/code into ev.
 * Returns the transport header length counted per GSO segment (TCP, UDP),
 * or -1 when the header is cut short.
 */
static __always_inline int rfm_parse_l4(struct __sk_buff *skb, struct rfm_event *ev, __u32 off,
					__u32 proto)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *l4;

	if (!ev || off > 0x3fff)
		return -1;
	l4 = data + off;
	switch (proto) {
	case IPPROTO_TCP:
		if ((void *)(l4 + sizeof(struct tcphdr)) > end)
			return -1;
		ev->src_port = ((__u16)l4[0] << 8) | l4[1];
		ev->dst_port = ((__u16)l4[2] << 8) | l4[3];
		ev->tcp_flags = l4[13];
		return (l4[12] >> 4) * 4;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE_:
		if ((void *)(l4 + sizeof(struct udphdr)) > end)
			return -1;
		ev->src_port = ((__u16)l4[0] << 8) | l4[1];
		ev->dst_port = ((__u16)l4[2] << 8) | l4[3];
		return sizeof(struct udphdr);
	case IPPROTO_SCTP_:
		/* RFC 9260 section 3.1: 12-octet common header. */
		if ((void *)(l4 + 12) > end)
			return -1;
		ev->src_port = ((__u16)l4[0] << 8) | l4[1];
		ev->dst_port = ((__u16)l4[2] << 8) | l4[3];
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		if ((void *)(l4 + 8) > end)
			return -1;
		ev->icmp_type = l4[0];
		ev->icmp_code = l4[1];
		return 0;
	default:
		return 0;
	}
}

/*
 * Parse the headers of a sampled packet into ev. Direct packet access: the
 * caller linearises and retries when the headers are not in the linear part.
 * A packet cut short anywhere up to the end of its fixed transport header
 * (TCP options are not needed) gives PARSE_TRUNCATED and no event, never an
 * event with fields read from nothing.
 */
static __always_inline int rfm_parse(struct __sk_buff *skb, struct rfm_event *ev, __u32 if_flags,
				     __u32 segs)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u32 off = 0, l4off, l3hdr, ip_len, ntags = 0, avail;
	__u16 proto;
	__u8 nexthdr;
	int l4hdr = 0;

	if (!ev)
		return PARSE_BAD_HEADER;
	if (if_flags & RFM_IF_L3) {
		__u8 *v = data;

		if ((void *)(v + 1) > end)
			return PARSE_TRUNCATED;
		if ((*v >> 4) == 4)
			proto = bpf_htons(ETH_P_IP);
		else if ((*v >> 4) == 6)
			proto = bpf_htons(ETH_P_IPV6);
		else
			return PARSE_NOT_IP;
	} else {
		struct ethhdr *eth = data;

		if ((void *)(eth + 1) > end)
			return PARSE_TRUNCATED;
		proto = eth->h_proto;
		off = ETH_HLEN;
	}

	/* A tag the kernel stripped into the skb is the outermost one. */
	if (skb->vlan_present) {
		ev->vlan_outer = skb->vlan_tci & 0x0fff;
		ev->flags |= RFM_EV_VLAN_OUTER;
		ntags = 1;
	}
	for (int i = 0; i < RFM_MAX_VLAN_TAGS && is_vlan(proto); i++) {
		__u16 *tag = data + off;

		if ((void *)(tag + 2) > end)
			return PARSE_TRUNCATED;
		if (ntags == 0) {
			ev->vlan_outer = bpf_ntohs(tag[0]) & 0x0fff;
			ev->flags |= RFM_EV_VLAN_OUTER;
		} else if (ntags == 1) {
			ev->vlan_inner = bpf_ntohs(tag[0]) & 0x0fff;
			ev->flags |= RFM_EV_VLAN_INNER;
		}
		ntags++;
		proto = tag[1];
		off += 4;
	}
	if (off > ETH_HLEN + 4 * RFM_MAX_VLAN_TAGS)
		return PARSE_BAD_HEADER;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		__u16 frag;

		if ((void *)(ip + 1) > end)
			return PARSE_TRUNCATED;
		if (ip->version != 4 || ip->ihl < 5)
			return PARSE_BAD_HEADER;
		l3hdr = ip->ihl * 4;
		if (data + off + l3hdr > end)
			return PARSE_TRUNCATED;
		ip_len = bpf_ntohs(ip->tot_len);
		if (ip_len < l3hdr)
			return PARSE_BAD_HEADER;
		ev->ip_version = 4;
		ev->protocol = ip->protocol;
		ev->dscp = ip->tos >> 2;
		__builtin_memcpy(ev->src_addr, &ip->saddr, 4);
		__builtin_memcpy(ev->dst_addr, &ip->daddr, 4);
		frag = bpf_ntohs(ip->frag_off);
		if (frag & (IP_MF | IP_OFFMASK))
			ev->flags |= RFM_EV_FRAGMENT;
		if (frag & IP_OFFMASK)
			ev->flags |= RFM_EV_FRAG_LATER;
		nexthdr = ip->protocol;
		l4off = off + l3hdr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		long r;

		if ((void *)(ip6 + 1) > end)
			return PARSE_TRUNCATED;
		if (ip6->version != 6)
			return PARSE_BAD_HEADER;
		ev->ip_version = 6;
		ev->dscp = ((ip6->priority << 4) | (ip6->flow_lbl[0] >> 4)) >> 2;
		__builtin_memcpy(ev->src_addr, &ip6->saddr, 16);
		__builtin_memcpy(ev->dst_addr, &ip6->daddr, 16);
		/* payload_len 0 is a jumbogram (RFC 2675) or a BIG TCP skb. */
		ip_len = bpf_ntohs(ip6->payload_len);
		ip_len = ip_len ? ip_len + sizeof(*ip6) : 0;
		r = rfm_ipv6_ext(skb, off + sizeof(*ip6), ip6->nexthdr);
		if (r < 0)
			return PARSE_TRUNCATED;
		nexthdr = r & 0xff;
		l4off = (r >> 8) & 0xffff;
		ev->flags |= (r >> 24) & 0xff;
		ev->protocol = nexthdr;
		l3hdr = l4off - off;
	} else {
		return PARSE_NOT_IP;
	}

	/* RFC 4303: ESP encrypts the transport header; there are no ports to read. */
	if (nexthdr == IPPROTO_ESP && !(ev->flags & RFM_EV_FRAG_LATER))
		ev->flags |= RFM_EV_NO_L4;
	if (!(ev->flags & (RFM_EV_FRAG_LATER | RFM_EV_NO_L4))) {
		l4hdr = rfm_parse_l4(skb, ev, l4off, nexthdr);
		if (l4hdr < 0)
			return PARSE_TRUNCATED;
	}

	/*
	 * IP octets. A GSO/GRO skb carries the headers once for all its
	 * segments: add them back for every segment but the first. Otherwise
	 * trust the IP length field, bounded by what the skb holds (never count
	 * Ethernet padding).
	 */
	avail = skb->len > off ? skb->len - off : 0;
	if (segs > 1)
		ev->octets = avail + (segs - 1) * (l3hdr + l4hdr);
	else
		ev->octets = (ip_len && ip_len < avail) ? ip_len : avail;
	return PARSE_OK;
}

static __always_inline void rfm_fib(struct __sk_buff *skb, struct rfm_event *ev)
{
	struct bpf_fib_lookup fib = {};
	long rc;

	fib.l4_protocol = ev->protocol;
	fib.sport = bpf_htons(ev->src_port);
	fib.dport = bpf_htons(ev->dst_port);
	fib.ifindex = skb->ifindex;
	if (ev->ip_version == 4) {
		fib.family = AF_INET;
		fib.tos = ev->dscp << 2;
		__builtin_memcpy(&fib.ipv4_src, ev->src_addr, 4);
		__builtin_memcpy(&fib.ipv4_dst, ev->dst_addr, 4);
	} else {
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, ev->src_addr, 16);
		__builtin_memcpy(fib.ipv6_dst, ev->dst_addr, 16);
	}
	/* The neighbour entry is of no interest; older kernels lack the flag. */
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (rc == -22 /* EINVAL */)
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) {
		ev->other_ifindex = fib.ifindex;
		if (ev->ip_version == 4)
			__builtin_memcpy(ev->next_hop, &fib.ipv4_dst, 4);
		else
			__builtin_memcpy(ev->next_hop, fib.ipv6_dst, 16);
		ev->flags |= RFM_EV_NEXT_HOP;
	} else if (rc < 0) {
		stat_inc(RFM_STAT_FIB_ERROR);
	}
}

/*
 * Count the event; on every 16th per CPU, say whether the ring holds more
 * than the configured wakeup threshold (checking on every event costs
 * ~1.5 ns; every 16th is soon enough for a ring of thousands of events).
 */
static __always_inline int count_event_ring_filling(void)
{
	__u32 idx = RFM_STAT_EVENTS, zero = 0;
	struct rfm_global_config *g;
	__u64 *n = bpf_map_lookup_elem(&rfm_stats, &idx);

	if (!n || (++*n & 15))
		return 0;
	g = bpf_map_lookup_elem(&rfm_global, &zero);
	return g && g->wakeup_bytes &&
	       bpf_ringbuf_query(&rfm_events, BPF_RB_AVAIL_DATA) >= g->wakeup_bytes;
}

/*
 * The sampled path: reserve the ring-buffer record, parse straight into it
 * and submit it, or discard it when the packet gives no event. A global
 * function, so the verifier checks it once and not once per path through
 * rfm_handle() (one call per sampled packet, about 1 ns).
 */
static __always_inline int rfm_sample(struct __sk_buff *skb, __u32 if_flags, __u32 dir, __u32 segs,
				      __u32 rate)
{
	struct rfm_event *ev;
	int rc;

	ev = bpf_ringbuf_reserve(&rfm_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(RFM_STAT_RINGBUF_FULL);
		return 0;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	rc = rfm_parse(skb, ev, if_flags, segs);
	if (rc == PARSE_TRUNCATED && skb->len > skb->data_end - skb->data) {
		/* Headers not in the linear part: pull them in once and retry. */
		__builtin_memset(ev, 0, sizeof(*ev));
		bpf_skb_pull_data(skb, skb->len < RFM_PULL_BYTES ? skb->len : RFM_PULL_BYTES);
		rc = rfm_parse(skb, ev, if_flags, segs);
	}
	if (rc != PARSE_OK) {
		bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
		stat_inc(rc == PARSE_TRUNCATED ? RFM_STAT_TRUNCATED
			 : rc == PARSE_NOT_IP  ? RFM_STAT_NOT_IP
					       : RFM_STAT_BAD_HEADER);
		return 0;
	}

	ev->tstamp_ns = bpf_ktime_get_boot_ns();
	ev->ifindex = skb->ifindex;
	ev->direction = dir;
	ev->packets = segs;
	ev->sample_rate = rate;
	if (dir == RFM_DIR_EGRESS)
		ev->other_ifindex = skb->ingress_ifindex;
	else if (if_flags & RFM_IF_FIB_LOOKUP)
		rfm_fib(skb, ev);

	/*
	 * No wakeup: user space drains on a timer (a wakeup costs ~2 us here),
	 * unless the ring is filling up faster than the timer drains it.
	 */
	bpf_ringbuf_submit(ev, count_event_ring_filling() ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int rfm_handle(struct __sk_buff *skb, __u32 dir)
{
	struct rfm_if_key key = {.ifindex = skb->ifindex, .direction = dir};
	struct rfm_if_config *cfg;
	struct rfm_slot *slot;
	__u32 slot_idx = 0, rate, mode, if_flags, fam;
	__u32 segs = skb->gso_segs;

	if (!segs)
		segs = 1;

	if (key.ifindex < RFM_IF_ARRAY_MAX) {
		__u32 idx = key.ifindex * RFM_DIR_MAX + dir;

		cfg = bpf_map_lookup_elem(&rfm_if_array, &idx);
		if (cfg && !cfg->slot)
			cfg = NULL;
	} else {
		cfg = bpf_map_lookup_elem(&rfm_if_config, &key);
	}
	if (cfg) {
		slot_idx = cfg->slot;
		rate = cfg->sample_rate;
		mode = cfg->sample_mode;
		if_flags = cfg->flags;
	} else {
		__u32 zero = 0;
		struct rfm_global_config *g = bpf_map_lookup_elem(&rfm_global, &zero);

		stat_inc(RFM_STAT_UNKNOWN_IF);
		if (!g)
			return RFM_TC_NEXT;
		rate = g->sample_rate;
		mode = g->sample_mode;
		if_flags = g->flags;
	}

	slot = bpf_map_lookup_elem(&rfm_counters, &slot_idx);
	if (!slot) {
		stat_inc(RFM_STAT_SLOT_INVALID);
		return RFM_TC_NEXT;
	}
	fam = family_of(skb);
	if (fam >= RFM_FAMILY_MAX)
		return RFM_TC_NEXT;
	slot->fam[fam].packets += segs;
	slot->fam[fam].bytes += skb->len;

	if (rate == 0)
		return RFM_TC_NEXT;
	if (mode == RFM_SAMPLE_SYSTEMATIC) {
		if (slot->rate_seen != rate) {
			slot->rate_seen = rate;
			slot->countdown = 0;
		}
		if (slot->countdown > 1) {
			slot->countdown--;
			return RFM_TC_NEXT;
		}
		slot->countdown = rate;
	} else if (rate > 1) {
		/*
		 * xorshift64 per CPU and slot, seeded from the kernel's generator:
		 * cheaper than calling bpf_get_prandom_u32() on every packet.
		 * P(sample) = ceil(2^32 / rate) / 2^32: no division on the hot path.
		 */
		__u64 x = slot->rng;

		if (!x)
			x = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32() | 1;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		slot->rng = x;
		if (((x >> 32) * rate) >> 32)
			return RFM_TC_NEXT;
	}

	rfm_sample(skb, if_flags, dir, segs, rate);
	return RFM_TC_NEXT;
}

SEC("tc")
int rfm_ingress(struct __sk_buff *skb)
{
	return rfm_handle(skb, RFM_DIR_INGRESS);
}

SEC("tc")
int rfm_egress(struct __sk_buff *skb)
{
	return rfm_handle(skb, RFM_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "GPL";
