/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * netflow.h - the NetFlow v9 (RFC 3954) and v5 encoders, rfm_netflow9_encoder
 * and rfm_netflow5_encoder of encoder.h. Written by hand: no library speaks
 * either format, and libfixbuf speaks IPFIX only.
 *
 * What goes on the wire, and why, is described here once; netflow.c cites
 * the RFC sections.
 *
 * NetFlow v9
 *   Templates 256 (IPv4) and 257 (IPv6) carry every field of a record:
 *   IN_BYTES, IN_PKTS (8 bytes each, the raw sampled counts), PROTOCOL,
 *   SRC_TOS (DSCP << 2), TCP_FLAGS, L4 ports, addresses, SRC/DST_MASK (RIB
 *   prefix lengths), INPUT/OUTPUT_SNMP (4 bytes: at ingress input = the
 *   record's ifindex and output = the other one, at egress the reverse),
 *   next hop, SRC/DST_AS (4 bytes), BGP next hop, FIRST/LAST_SWITCHED,
 *   ICMP_TYPE, SRC_VLAN, DIRECTION (0 ingress, 1 egress) and
 *   FLOW_SAMPLER_ID. ICMP and ICMPv6 type and code (type << 8 | code) go in
 *   both L4_DST_PORT and ICMP_TYPE, which RFC 3954 does not restrict to
 *   IPv4: nfdump 1.7.1 reads ICMP_TYPE only (not 139, not the port) and
 *   shows 0.0 without it. No end reason: RFC 3954 has no element for it and
 *   neither nfdump 1.7.1 nor nfacctd 1.7.7 would show one.
 *
 *   Sampling. Every data record names the sampler that drew it
 *   (FLOW_SAMPLER_ID, 1..255), one sampler per distinct rate and algorithm,
 *   announced in options template 259 (System scope; FLOW_SAMPLER_ID,
 *   FLOW_SAMPLER_MODE, FLOW_SAMPLER_RANDOM_INTERVAL and SAMPLING_INTERVAL,
 *   the rate in both: nfcapd 1.7.1 ignores a sampler record without
 *   SAMPLING_INTERVAL, or with SAMPLING_ALGORITHM). nfdump 1.7.1 and nfacctd
 *   1.7.7 both scale a record by the sampler its id names; neither scales by
 *   an Interface-scoped record, and nfcapd 1.7.1 ignores a lone
 *   SAMPLING_INTERVAL/ALGORITHM record of any scope. A record sampled at a
 *   rate announced earlier keeps a valid id, so a rate change never
 *   rescales records already drawn. Besides, for people and other
 *   collectors: when every interface samples alike, one System-scoped record
 *   (template 258: SAMPLING_INTERVAL, SAMPLING_ALGORITHM); when they differ,
 *   one Interface-scoped record per interface and direction (template 260:
 *   DIRECTION, SAMPLING_INTERVAL, SAMPLING_ALGORITHM). Interface names go in
 *   template 261 (IF_NAME, 16 bytes). Each options template and each options
 *   data record has a FlowSet of its own: nfcapd 1.7.1 reads only the first
 *   of either in a FlowSet.
 *
 *   Time. A run has one boot time B, a whole second: sysUpTime is the
 *   uptime at the start of the second unix_secs (v9: the export time
 *   rounded up, so no LAST_SWITCHED exceeds sysUpTime), so that unix_secs * 1000 -
 *   sysUpTime = B exactly in every packet, and collectors that derive the
 *   boot time from each header decode FIRST/LAST_SWITCHED (ms since B) to
 *   the millisecond. B is params->start_ms truncated to the second, less one
 *   second (so no time is 0, which nfdump reads as none), unless a
 *   time to express falls before B (replay: capture times precede the
 *   exporter's creation) or more than about 47.7 days after it (uptimes are
 *   32 bits); B then moves to one day before the earliest time at hand
 *   (one day: the longest active timeout, so later records of the same run
 *   still start after B), once in a replay and every ~46.7 days in a live
 *   run, after the packet being filled is sent. A new B reads as a reboot
 *   to a collector; nothing else is lost.
 *
 * NetFlow v5
 *   24-byte header and at most 30 48-byte records, fewer when mtu is
 *   smaller; IPv4 only (other records count in stats.not_exportable);
 *   16-bit interfaces (an ifindex above 65535 is sent as 0, unknown) and AS
 *   numbers (above 65535: 23456, AS_TRANS); 32-bit counters (a larger record
 *   is split into records whose counts add up to it); engine_type and
 *   engine_id are bits 15..8 and 7..0 of observation_domain. The header's
 *   sampling_interval holds the mode (01 deterministic, 10 random) and the
 *   rate of every record in the packet: records of another rate start a new
 *   packet, so interfaces sampled differently are each scaled right by
 *   nfacctd 1.7.7; nfcapd 1.7.1 though keeps the first rate an exporter
 *   announces and applies it to every later packet (checked), so with
 *   differing or changing rates nfdump's v5 totals are wrong: use v9. A rate
 *   above 16383 does not fit the 14 bits: such records are sent with their
 *   counts multiplied by the rate (estimates) and sampling_interval 1 (mode
 *   00: these counts are not samples), so that collectors' totals stay right.
 *   The time fields use the same boot time as v9, with the exact time in
 *   unix_secs/unix_nsecs.
 */
#ifndef RFM_NETFLOW_H
#define RFM_NETFLOW_H

#include "encoder.h"

#define RFM_NETFLOW_ERROR (rfm_netflow_error_quark())
GQuark rfm_netflow_error_quark(void);

enum rfm_netflow_error_code {
	RFM_NETFLOW_ERROR_MTU, /* mtu too small for one record, or above 65535 */
};

/* Template ids of the v9 encoder (RFC 3954 section 5.2: data sets use ids above 255). */
enum rfm_nf9_template {
	RFM_NF9_TPL_IPV4 = 256,
	RFM_NF9_TPL_IPV6 = 257,
	RFM_NF9_TPL_SYSTEM_SAMPLING = 258,
	RFM_NF9_TPL_SAMPLER = 259,
	RFM_NF9_TPL_IF_SAMPLING = 260,
	RFM_NF9_TPL_IF_NAME = 261,
};

#define RFM_NF9_MAX_SAMPLERS  255   /* FLOW_SAMPLER_ID is one byte; 0 means none */
#define RFM_NF9_IF_NAME_LEN   16    /* IF_NAME bytes, NUL-padded */
#define RFM_NF5_MAX_RECORDS   30    /* per packet */
#define RFM_NF5_MAX_INTERVAL  16383 /* 14 bits of sampling_interval */
#define RFM_NF_AS_TRANS	      23456 /* RFC 6793 */
#define RFM_NF_BASE_MARGIN_MS (24 * 3600 * 1000ULL)

#endif /* RFM_NETFLOW_H */
