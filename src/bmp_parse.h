/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bmp_parse.h - BGP Monitoring Protocol version 3 decoding (RFC 7854), with
 * Loc-RIB (RFC 9069) and Adj-RIB-Out (RFC 8671) peers: stream framing and one
 * decoder per message type.
 *
 * Pure functions over byte buffers: no I/O, no globals, no allocation. A
 * decoded message (struct rfm_bmp_msg) borrows the buffer it was decoded
 * from: its rfm_bmp_bytes slices point into it and are valid as long as the
 * buffer is. Malformed input yields a GError in RFM_BMP_ERROR (a malformed
 * embedded OPEN or NOTIFICATION too, with the BGP decoder's message);
 * nothing here aborts on wire data.
 *
 * Typical use by the BMP session (src/bmp.c):
 *
 *	while (rfm_bmp_frame(buf, len, max, &n, &err) && n) {
 *		rfm_bmp_msg_parse(buf, n, &m, &err);
 *		switch (m.type) {
 *		case RFM_BMP_MSG_PEER_UP: store m.u.peer_up.sent/.received for m.peer
 *		case RFM_BMP_MSG_ROUTE_MONITORING:
 *			rfm_bmp_update_caps(&m.peer, sent, received, &caps);
 *			rfm_bgp_update_parse(m.u.route_monitoring.update.data, ...len, &caps, &u,
 *&err); apply u to the RIB of (peer, m.peer.view)
 *		...
 *		}
 *		consume n octets
 *	}
 */
#ifndef RFM_BMP_PARSE_H
#define RFM_BMP_PARSE_H

#include <stdbool.h>
#include <glib.h>

#include "bgp_parse.h"

#define RFM_BMP_ERROR (rfm_bmp_error_quark())
GQuark rfm_bmp_error_quark(void);

enum rfm_bmp_error_code {
	RFM_BMP_ERROR_VERSION,	 /* common header version is not 3: the stream is not BMP v3 */
	RFM_BMP_ERROR_LENGTH,	 /* common header length < 6, or not the message's length */
	RFM_BMP_ERROR_TRUNCATED, /* a field runs past the end of the message */
	RFM_BMP_ERROR_MALFORMED, /* a field has an impossible value */
	RFM_BMP_ERROR_TOO_LONG,	 /* common header length > the caller's maximum */
};

#define RFM_BMP_VERSION	       3
#define RFM_BMP_COMMON_HDR_LEN 6  /* RFC 7854 4.1 */
#define RFM_BMP_PEER_HDR_LEN   42 /* RFC 7854 4.2 */

/* RFC 7854 4.1 Message Types. */
enum rfm_bmp_msg_type {
	RFM_BMP_MSG_ROUTE_MONITORING = 0,
	RFM_BMP_MSG_STATISTICS_REPORT = 1,
	RFM_BMP_MSG_PEER_DOWN = 2,
	RFM_BMP_MSG_PEER_UP = 3,
	RFM_BMP_MSG_INITIATION = 4,
	RFM_BMP_MSG_TERMINATION = 5,
	RFM_BMP_MSG_ROUTE_MIRRORING = 6,
};

/* RFC 7854 4.2 Peer Type; 3 from RFC 9069 4.1. */
enum rfm_bmp_peer_type {
	RFM_BMP_PEER_GLOBAL = 0,
	RFM_BMP_PEER_RD = 1,
	RFM_BMP_PEER_LOCAL = 2,
	RFM_BMP_PEER_LOC_RIB = 3,
};

/* RFC 7854 4.2 Peer Flags (V, L, A), RFC 8671 4 (O); RFC 9069 4.2 (F, Loc-RIB only). */
enum rfm_bmp_peer_flag {
	RFM_BMP_PEER_FLAG_V = 0x80,    /* peer address is IPv6 */
	RFM_BMP_PEER_FLAG_L = 0x40,    /* post-policy */
	RFM_BMP_PEER_FLAG_A = 0x20,    /* AS_PATH in the legacy 2-octet form */
	RFM_BMP_PEER_FLAG_O = 0x10,    /* Adj-RIB-Out */
	RFM_BMP_LOC_RIB_FLAG_F = 0x80, /* Loc-RIB is filtered */
};

/* The RIB a Route Monitoring message describes: what the RIB keys routes on with the peer. */
enum rfm_bmp_rib_view {
	RFM_BMP_VIEW_ADJ_IN_PRE,   /* RFC 7854: Adj-RIB-In pre-policy (L = 0) */
	RFM_BMP_VIEW_ADJ_IN_POST,  /* RFC 7854: Adj-RIB-In post-policy (L = 1) */
	RFM_BMP_VIEW_LOC_RIB,	   /* RFC 9069: peer type 3 */
	RFM_BMP_VIEW_ADJ_OUT_PRE,  /* RFC 8671: O = 1, L = 0 */
	RFM_BMP_VIEW_ADJ_OUT_POST, /* RFC 8671: O = 1, L = 1 */
	RFM_BMP_VIEW_UNKNOWN,	   /* a peer type this parser does not know: skip */
};

/* RFC 7854 4.9 Peer Down reasons; 6 from RFC 9069 5.3. */
enum rfm_bmp_peer_down_reason {
	RFM_BMP_DOWN_LOCAL_NOTIFICATION = 1,
	RFM_BMP_DOWN_LOCAL_NO_NOTIFICATION = 2,
	RFM_BMP_DOWN_REMOTE_NOTIFICATION = 3,
	RFM_BMP_DOWN_REMOTE_NO_DATA = 4,
	RFM_BMP_DOWN_DECONFIGURED = 5,
	RFM_BMP_DOWN_LOCAL_SYSTEM_CLOSED = 6,
};

/* Information TLV types: RFC 7854 4.4 (Initiation, Peer Up), RFC 9069 5.2.1 (table name). */
enum rfm_bmp_info_type {
	RFM_BMP_INFO_STRING = 0,
	RFM_BMP_INFO_SYS_DESCR = 1,
	RFM_BMP_INFO_SYS_NAME = 2,
	RFM_BMP_INFO_TABLE_NAME = 3,
};

/* RFC 7854 4.5 Termination TLV types. */
enum rfm_bmp_term_type {
	RFM_BMP_TERM_STRING = 0,
	RFM_BMP_TERM_REASON = 1,
};

/* A borrowed run of octets inside the decoded buffer (not NUL-terminated). */
struct rfm_bmp_bytes {
	const guint8 *data;
	gsize len;
};

/*
 * DOC: RFC 7854 4.2 per-peer header. addr has family 6 with the V flag, 4
 * without it (the last 4 of the 16 octets), 0 for Loc-RIB (RFC 9069 5.1:
 * zero-filled, and there bit 0x80 is the F flag, not V). bgp_id in host
 * order. The RIB keys a peer on (type, distinguisher, addr) and a route on
 * view as well; rfm_bmp_peer_same() compares the peer part.
 */
struct rfm_bmp_peer_hdr {
	guint8 type;  /* enum rfm_bmp_peer_type */
	guint8 flags; /* enum rfm_bmp_peer_flag */
	guint64 distinguisher;
	struct rfm_bgp_addr addr;
	guint32 as;
	guint32 bgp_id;
	guint32 ts_sec, ts_usec;
	enum rfm_bmp_rib_view view;
};

/* RFC 7854 4.3 Initiation: the first sysName and sysDescr, every TLV in tlvs. */
struct rfm_bmp_initiation {
	struct rfm_bmp_bytes sys_name, sys_descr;
	struct rfm_bmp_bytes tlvs; /* validated: walk with rfm_bmp_tlv_next() */
};

/* RFC 7854 4.5 Termination. */
struct rfm_bmp_termination {
	bool has_reason;
	guint16 reason; /* 0 admin close, 1 unspecified, 2 out of resources, 3 redundant, 4 perm. */
	struct rfm_bmp_bytes tlvs;
};

/*
 * RFC 7854 4.10 Peer Up: both OPEN messages as sent on the wire (whole BGP
 * messages from the marker) and decoded. sent is what the monitored router
 * sent to the peer, received what it got from the peer.
 */
struct rfm_bmp_peer_up {
	struct rfm_bgp_addr local_addr;
	guint16 local_port, remote_port;
	struct rfm_bmp_bytes sent_open, received_open;
	struct rfm_bgp_open sent, received;
	struct rfm_bmp_bytes tlvs;	 /* Information TLVs, validated, possibly empty */
	struct rfm_bmp_bytes table_name; /* RFC 9069 5.2.1 VRF/Table Name, if present */
};

/* RFC 7854 4.9 Peer Down. */
struct rfm_bmp_peer_down {
	guint8 reason;		   /* enum rfm_bmp_peer_down_reason (others kept as is) */
	struct rfm_bmp_bytes data; /* everything after the reason */
	guint8 notification_code;  /* reasons 1, 3: NOTIFICATION error code and subcode */
	guint8 notification_subcode;
	guint16 fsm_event; /* reason 2 */
};

/* RFC 7854 4.8 Statistics Report. */
struct rfm_bmp_stats_report {
	guint32 count;
	struct rfm_bmp_bytes tlvs; /* exactly count validated TLVs: rfm_bmp_stat_next() */
};

/* RFC 7854 4.6 Route Monitoring: the one BGP UPDATE, whole, from its marker. */
struct rfm_bmp_route_monitoring {
	struct rfm_bmp_bytes update;
};

/* RFC 7854 4.7 Route Mirroring: not decoded; skipped. */
struct rfm_bmp_route_mirroring {
	struct rfm_bmp_bytes tlvs; /* not validated */
};

/*
 * DOC: one decoded BMP message. Filled by rfm_bmp_msg_parse(); borrows its
 * buffer. has_peer is true for the types that carry a per-peer header (0, 1,
 * 2, 3, 6); known is false for a type this parser does not know (nothing
 * but the common header is then decoded: skip it). Only the union member of
 * type is set.
 */
struct rfm_bmp_msg {
	guint8 version;
	guint8 type; /* enum rfm_bmp_msg_type */
	guint32 length;
	bool known;
	bool has_peer;
	struct rfm_bmp_peer_hdr peer;
	union {
		struct rfm_bmp_initiation initiation;
		struct rfm_bmp_termination termination;
		struct rfm_bmp_peer_up peer_up;
		struct rfm_bmp_peer_down peer_down;
		struct rfm_bmp_stats_report stats;
		struct rfm_bmp_route_monitoring route_monitoring;
		struct rfm_bmp_route_mirroring route_mirroring;
	} u;
};

/*
 * Framing: does buf[0..len) start with a complete BMP message? Returns false
 * with error set when the stream cannot be BMP v3 (version != 3, RFC 7854
 * 4.1) or the length field is < 6 or > max_len: the session must be closed,
 * the stream cannot be resynchronised. Else true, with *msg_len the length
 * of the complete first message, or 0 when more octets are needed. Checks
 * the version as soon as one octet is there.
 */
bool rfm_bmp_frame(const guint8 *buf, gsize len, guint32 max_len, gsize *msg_len, GError **error);

/*
 * Decode one complete message buf[0..len) (len as given by rfm_bmp_frame()).
 * The embedded OPENs of a Peer Up are decoded too; the UPDATE of a Route
 * Monitoring message is only checked (marker, length, type 2): decode it
 * with rfm_bgp_update_parse() and the caps of rfm_bmp_update_caps(). False
 * with error set when the message is malformed; m is then unspecified.
 */
bool rfm_bmp_msg_parse(const guint8 *buf, gsize len, struct rfm_bmp_msg *m, GError **error);

/*
 * How the UPDATEs of a Route Monitoring message from peer hdr are encoded,
 * given the two OPENs of that peer's Peer Up (NULL when no Peer Up was seen:
 * no Add-Path then).
 * - Adj-RIB-In: 4-octet AS unless the A flag is set (RFC 7854 4.2: the A flag,
 *   not the OPENs, says how the BMP speaker encoded AS_PATH); Add-Path per
 *   AFI when the peer (received OPEN) can send and the router (sent OPEN) can
 *   receive (rfm_bgp_caps_from_opens(), RFC 7911 5).
 * - Adj-RIB-Out (O flag, RFC 8671): the same with the OPENs swapped.
 * - Loc-RIB (RFC 9069 5.2, 5.4.1): 4-octet AS; Add-Path for an AFI when the
 *   fabricated OPENs list it at all, whatever its send/receive bits.
 */
void rfm_bmp_update_caps(const struct rfm_bmp_peer_hdr *hdr, const struct rfm_bgp_open *sent,
			 const struct rfm_bgp_open *received, struct rfm_bgp_caps *caps);

/* Whether a and b name the same monitored peer: type, distinguisher and address. */
bool rfm_bmp_peer_same(const struct rfm_bmp_peer_hdr *a, const struct rfm_bmp_peer_hdr *b);

/* A TLV of a validated list (Initiation, Termination, Peer Up Information, Peer Down 6). */
struct rfm_bmp_tlv {
	guint16 type;
	struct rfm_bmp_bytes value;
};

/* Walk a TLV list returned by rfm_bmp_msg_parse(); *rest advances. False at the end. */
bool rfm_bmp_tlv_next(struct rfm_bmp_bytes *rest, struct rfm_bmp_tlv *tlv);

/* One Statistics Report counter (RFC 7854 4.8). */
struct rfm_bmp_stat {
	guint16 type;
	bool has_value; /* a 4- or 8-octet counter or gauge, or the AFI/SAFI form */
	guint64 value;
	bool has_afi_safi; /* types 9, 10 (and others of 11 octets): AFI (2) SAFI (1) gauge (8) */
	guint16 afi;
	guint8 safi;
	struct rfm_bmp_bytes raw;
};

/* Walk stats.tlvs; *rest advances. False at the end. */
bool rfm_bmp_stat_next(struct rfm_bmp_bytes *rest, struct rfm_bmp_stat *st);

/* "adj-in-pre", "adj-in-post", "loc-rib", "adj-out-pre", "adj-out-post", "unknown". */
const char *rfm_bmp_view_name(enum rfm_bmp_rib_view view);

/* "route-monitoring", ..., or "unknown". */
const char *rfm_bmp_msg_type_name(guint8 type);

#endif /* RFM_BMP_PARSE_H */
