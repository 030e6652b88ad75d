/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bgp_parse.h - BGP-4 message decoding for the BMP collector: UPDATE
 * (RFC 4271 section 4.3) with MP_REACH/MP_UNREACH (RFC 4760), 4-octet AS
 * (RFC 6793), Add-Path (RFC 7911) and large communities (RFC 8092); OPEN
 * (RFC 4271 section 4.2) with its capabilities (RFC 5492).
 *
 * Pure functions over byte buffers: no I/O, no globals, no logging. Every
 * length on the wire is checked before it is used; malformed input is
 * reported through a GError in RFM_BGP_ERROR and never aborts. Decoded
 * results are plain structs owned by the caller; the only heap memory is in
 * struct rfm_bgp_update (released with rfm_bgp_update_clear()).
 */
#ifndef RFM_BGP_PARSE_H
#define RFM_BGP_PARSE_H

#include <stdbool.h>
#include <glib.h>

#define RFM_BGP_ERROR (rfm_bgp_error_quark())
GQuark rfm_bgp_error_quark(void);

enum rfm_bgp_error_code {
	RFM_BGP_ERROR_TRUNCATED, /* a length field points past the end of the buffer */
	RFM_BGP_ERROR_HEADER,	 /* bad marker, length or type in the 19-octet header */
	RFM_BGP_ERROR_NLRI,	 /* a prefix is malformed (length > 32/128, overrun) */
	RFM_BGP_ERROR_ATTR,	 /* attribute framing broken, or MP_REACH/MP_UNREACH malformed */
	RFM_BGP_ERROR_OPEN,	 /* OPEN message malformed */
};

/* RFC 4271 section 4.1: the fixed header; 4096 octets unless RFC 8654 extended messages. */
#define RFM_BGP_HEADER_LEN   19
#define RFM_BGP_MAX_LEN	     65535
#define RFM_BGP_AS_TRANS     23456 /* RFC 6793 section 9 */
#define RFM_BGP_AFI_IPV4     1
#define RFM_BGP_AFI_IPV6     2
#define RFM_BGP_SAFI_UNICAST 1

enum rfm_bgp_msg_type {
	RFM_BGP_MSG_OPEN = 1,
	RFM_BGP_MSG_UPDATE = 2,
	RFM_BGP_MSG_NOTIFICATION = 3,
	RFM_BGP_MSG_KEEPALIVE = 4,
	RFM_BGP_MSG_ROUTE_REFRESH = 5,
};

/* Path attribute type codes (IANA "BGP Path Attributes"). */
enum rfm_bgp_attr_type {
	RFM_BGP_ATTR_ORIGIN = 1,	    /* RFC 4271 5.1.1 */
	RFM_BGP_ATTR_AS_PATH = 2,	    /* RFC 4271 5.1.2 */
	RFM_BGP_ATTR_NEXT_HOP = 3,	    /* RFC 4271 5.1.3 */
	RFM_BGP_ATTR_MULTI_EXIT_DISC = 4,   /* RFC 4271 5.1.4 */
	RFM_BGP_ATTR_LOCAL_PREF = 5,	    /* RFC 4271 5.1.5 */
	RFM_BGP_ATTR_ATOMIC_AGGREGATE = 6,  /* RFC 4271 5.1.6 */
	RFM_BGP_ATTR_AGGREGATOR = 7,	    /* RFC 4271 5.1.7, RFC 6793 */
	RFM_BGP_ATTR_COMMUNITIES = 8,	    /* RFC 1997 */
	RFM_BGP_ATTR_MP_REACH_NLRI = 14,    /* RFC 4760 3 */
	RFM_BGP_ATTR_MP_UNREACH_NLRI = 15,  /* RFC 4760 4 */
	RFM_BGP_ATTR_AS4_PATH = 17,	    /* RFC 6793 3 */
	RFM_BGP_ATTR_AS4_AGGREGATOR = 18,   /* RFC 6793 3 */
	RFM_BGP_ATTR_LARGE_COMMUNITIES = 32 /* RFC 8092 3 */
};

/* Bits of rfm_bgp_attrs.present: which attributes the UPDATE carried (and were kept). */
enum rfm_bgp_attr_bit {
	RFM_BGP_HAS_ORIGIN = 1u << 0,
	RFM_BGP_HAS_AS_PATH = 1u << 1,
	RFM_BGP_HAS_NEXT_HOP = 1u << 2,
	RFM_BGP_HAS_MED = 1u << 3,
	RFM_BGP_HAS_LOCAL_PREF = 1u << 4,
	RFM_BGP_HAS_ATOMIC_AGGREGATE = 1u << 5,
	RFM_BGP_HAS_AGGREGATOR = 1u << 6,
	RFM_BGP_HAS_COMMUNITIES = 1u << 7,
	RFM_BGP_HAS_MP_REACH = 1u << 8,
	RFM_BGP_HAS_MP_UNREACH = 1u << 9,
	RFM_BGP_HAS_AS4_PATH = 1u << 10, /* seen on the wire (merged or discarded, see below) */
	RFM_BGP_HAS_LARGE_COMMUNITIES = 1u << 11,
};

enum rfm_bgp_origin {
	RFM_BGP_ORIGIN_IGP = 0,
	RFM_BGP_ORIGIN_EGP = 1,
	RFM_BGP_ORIGIN_INCOMPLETE = 2,
};

/* AS_PATH segment types: RFC 4271 section 4.3 and RFC 5065 section 3. */
enum rfm_bgp_seg_type {
	RFM_BGP_AS_SET = 1,
	RFM_BGP_AS_SEQUENCE = 2,
	RFM_BGP_AS_CONFED_SEQUENCE = 3,
	RFM_BGP_AS_CONFED_SET = 4,
};

/*
 * DOC: what an UPDATE on one session carries, decided from both OPEN
 * messages (rfm_bgp_caps_from_opens()) or, in BMP, from the per-peer header.
 * Plain values, owned by the caller.
 */
struct rfm_bgp_caps {
	bool as4;	  /* AS numbers in AS_PATH are 4 octets (RFC 6793) */
	bool add_path_v4; /* IPv4 unicast NLRI carry a 4-octet path id (RFC 7911) */
	bool add_path_v6; /* IPv6 unicast NLRI carry a 4-octet path id (RFC 7911) */
};

/* An address; family 0 means absent. Bytes in network order (IPv4 in addr[0..3]). */
struct rfm_bgp_addr {
	guint8 family; /* 0, 4 or 6 */
	guint8 addr[16];
};

/*
 * DOC: one decoded prefix. addr is in network order with every bit past len
 * cleared (RFC 4271 4.3 lets trailing bits be anything). family is 4 or 6.
 * path_id is 0 unless Add-Path is in effect for its address family. mp says
 * it came from MP_REACH_NLRI/MP_UNREACH_NLRI rather than the UPDATE's own
 * IPv4 fields: its next hop is the MP next hop (rfm_bgp_update_next_hop()).
 */
struct rfm_bgp_prefix {
	guint8 family;
	guint8 len; /* bits: 0..32 or 0..128 */
	bool mp;
	guint32 path_id;
	guint8 addr[16];
};

/* One AS_PATH segment: count ASNs starting at asns[first] of the owning path. */
struct rfm_bgp_as_segment {
	guint8 type; /* enum rfm_bgp_seg_type */
	guint32 first;
	guint32 count; /* 1..255 on the wire; 0 never stored */
};

/*
 * DOC: a decoded AS path (AS_PATH, or AS_PATH merged with AS4_PATH). Owns
 * both arrays; segments index into asns in order. An empty path (a route
 * originated by the speaker, or no AS_PATH attribute) has n_segs == 0.
 */
struct rfm_bgp_as_path {
	struct rfm_bgp_as_segment *segs; /* owned */
	guint n_segs;
	guint32 *asns; /* owned */
	guint n_asns;
};

struct rfm_bgp_large_community {
	guint32 global, local1, local2; /* RFC 8092 section 3 */
};

/* DOC: decoded path attributes of one UPDATE. Owned by the struct rfm_bgp_update. */
struct rfm_bgp_attrs {
	guint32 present; /* enum rfm_bgp_attr_bit */
	guint8 origin;	 /* enum rfm_bgp_origin */
	struct rfm_bgp_as_path as_path;
	struct rfm_bgp_addr next_hop; /* NEXT_HOP attribute (IPv4) */
	guint32 med;
	guint32 local_pref;
	guint32 aggregator_as; /* AGGREGATOR (AS4_AGGREGATOR when merged) */
	struct rfm_bgp_addr aggregator_id;
	guint32 *communities; /* owned; RFC 1997 values in host order (ASN << 16 | value) */
	guint n_communities;
	struct rfm_bgp_large_community *large; /* owned */
	guint n_large;
};

/*
 * DOC: one decoded UPDATE, owned by the caller (it owns the arrays inside).
 * Initialise with RFM_BGP_UPDATE_INIT (or zero it),
 * release with rfm_bgp_update_clear(); rfm_bgp_update_parse() clears it
 * first, so one struct can be reused for a stream of messages. After a
 * failed parse it is cleared (empty).
 *
 * announced: IPv4 NLRI field, then MP_REACH_NLRI NLRI (IPv4 or IPv6 unicast).
 * withdrawn: Withdrawn Routes field, then MP_UNREACH_NLRI (IPv4 or IPv6 unicast).
 *
 * Invariants: every prefix is valid for its family; when treat_as_withdraw
 * is set, announced is empty and its prefixes were appended to withdrawn
 * (RFC 7606 section 2), so a consumer that ignores the flag still does the
 * right thing.
 */
struct rfm_bgp_update {
	struct rfm_bgp_prefix *announced; /* owned */
	guint n_announced;
	struct rfm_bgp_prefix *withdrawn; /* owned */
	guint n_withdrawn;
	struct rfm_bgp_attrs attrs;
	/* MP_REACH_NLRI next hop (RFC 4760 3, RFC 2545 3): global, and link-local when 32 octets.
	 * An IPv4 next hop for IPv6 NLRI is not allowed; IPv6 next hops for IPv4 NLRI are
	 * (RFC 8950). */
	struct rfm_bgp_addr mp_next_hop;
	struct rfm_bgp_addr mp_next_hop_ll;
	/* End-of-RIB marker (RFC 4724 section 2): an UPDATE with nothing but, for
	 * IPv4 unicast, empty fields, or an empty MP_UNREACH_NLRI for afi/safi. */
	bool end_of_rib;
	guint16 eor_afi;
	guint8 eor_safi;
	/* Counted and skipped, never misparsed: */
	guint skipped_mp;    /* MP_REACH/MP_UNREACH of an AFI/SAFI other than IPv4/IPv6 unicast */
	guint16 skipped_afi; /* the last such AFI/SAFI */
	guint8 skipped_safi;
	guint unknown_attrs;	/* attributes this parser does not decode */
	guint discarded_attrs;	/* duplicates, or AS4_PATH/AS4_AGGREGATOR discarded (RFC 6793) */
	guint add_path_swapped; /* NLRI blocks decoded against caps' Add-Path setting (below) */
	bool treat_as_withdraw; /* a malformed attribute value (RFC 7606): see above */
	const char *attr_error; /* static text naming what was malformed, or NULL */
};

#define RFM_BGP_UPDATE_INIT ((struct rfm_bgp_update){0})

/*
 * Decode one BGP UPDATE message, msg[0..len) being the whole message from its
 * 16-octet marker (RFC 4271 4.1): len must equal the header's length field.
 * caps says how AS numbers and NLRI are encoded on this session.
 *
 * Returns false with error set when the message cannot be delimited: bad
 * header, Withdrawn Routes or Total Path Attribute Length overruns, an
 * attribute runs past its container, a malformed prefix, or an MP_REACH /
 * MP_UNREACH that is malformed or repeated (RFC 7606 4, 5.3, 7.11, 3.g: "session
 * reset" class). An attribute whose value alone is malformed (ORIGIN,
 * AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES, LARGE_COMMUNITIES) makes
 * the UPDATE "treat-as-withdraw" instead (returns true, RFC 7606 7.1-7.8,
 * RFC 8092 6). A malformed ATOMIC_AGGREGATE or AGGREGATOR (RFC 7606 7.6,
 * 7.7), AS4_PATH or AS4_AGGREGATOR (RFC 6793 6) is discarded and counted.
 * Unknown attributes and AFI/SAFIs are skipped and counted.
 *
 * Add-Path: caps decide whether each NLRI block (Withdrawn Routes, NLRI,
 * MP_REACH, MP_UNREACH) carries path ids, except that on an Add-Path session
 * a block whose Add-Path reading is invalid, or yields a /0 or bits set past
 * a prefix, is read without path ids when that reading is clean: BMP
 * speakers do not always encode as negotiated (gobgpd sends post-policy
 * Route Monitoring without path ids on an Add-Path session). Counted in
 * add_path_swapped.
 *
 * Mandatory attributes are not required: BMP speakers send Loc-RIB and
 * locally originated routes without some of them (attrs.present tells).
 */
bool rfm_bgp_update_parse(const guint8 *msg, gsize len, const struct rfm_bgp_caps *caps,
			  struct rfm_bgp_update *u, GError **error);

/* Free what u owns and zero it. Accepts NULL. */
void rfm_bgp_update_clear(struct rfm_bgp_update *u);

/* The next hop of an announced prefix p of u: MP next hop if p->mp, else NEXT_HOP. */
const struct rfm_bgp_addr *rfm_bgp_update_next_hop(const struct rfm_bgp_update *u,
						   const struct rfm_bgp_prefix *p);

/*
 * Derived AS path facts.
 *
 * Origin AS (RFC 6811 section 2): the last AS of the path when its final
 * segment is an AS_SEQUENCE. 0 (unknown) when the final segment is an AS_SET
 * (an aggregate: no single origin; common practice, e.g. RPKI validation,
 * calls it NONE), when it is a confederation segment, or when the path is
 * empty (a route originated by the speaker itself: the caller knows that
 * AS).
 */
guint32 rfm_bgp_as_path_origin(const struct rfm_bgp_as_path *p);

/*
 * Neighbour (first) AS: the first AS of the first segment after any leading
 * confederation segments (RFC 5065: those stay inside the confederation),
 * when that segment is an AS_SEQUENCE; 0 when it is an AS_SET or the path
 * has no other segment.
 */
guint32 rfm_bgp_as_path_first(const struct rfm_bgp_as_path *p);
/*
 * Remove asn from the front of p when p starts with an AS_SEQUENCE (no
 * confederation segment before it) whose first AS is asn; returns whether
 * it did. For paths a router wrongly reports with its own AS in front.
 */
bool rfm_bgp_as_path_strip_first(struct rfm_bgp_as_path *p, guint32 asn);

/* Path length for route selection (RFC 4271 9.1.2.2 a, RFC 5065 5.3): an
 * AS_SET counts 1, confederation segments 0. */
guint rfm_bgp_as_path_length(const struct rfm_bgp_as_path *p);

/* Free what p owns and zero it. Accepts NULL. */
void rfm_bgp_as_path_clear(struct rfm_bgp_as_path *p);

/* Add-Path Send/Receive field (RFC 7911 section 4), as a bit mask. */
enum rfm_bgp_add_path {
	RFM_BGP_ADD_PATH_RECEIVE = 1,
	RFM_BGP_ADD_PATH_SEND = 2,
};

/* Capability codes read from OPEN (IANA "Capability Codes"). */
enum rfm_bgp_cap_code {
	RFM_BGP_CAP_MP = 1,		  /* RFC 4760 8 */
	RFM_BGP_CAP_EXTENDED_MESSAGE = 6, /* RFC 8654 */
	RFM_BGP_CAP_AS4 = 65,		  /* RFC 6793 */
	RFM_BGP_CAP_ADD_PATH = 69,	  /* RFC 7911 4 */
};

/*
 * DOC: a decoded OPEN message (RFC 4271 4.2) and the capabilities rfm needs.
 * Plain values, fixed size, owned by the caller (the BMP session keeps one
 * per direction of each monitored peer).
 */
struct rfm_bgp_open {
	guint8 version;
	guint16 my_as; /* the 2-octet field: AS_TRANS when the AS needs 4 octets */
	guint16 hold_time;
	guint32 bgp_id; /* host order */
	guint32 asn;	/* the speaker's AS: from capability 65 if present, else my_as */
	bool as4;	/* capability 65 advertised */
	bool extended_message;
	bool mp_ipv4_unicast, mp_ipv6_unicast; /* capability 1 for AFI 1/2 SAFI 1 */
	guint8 add_path_v4;		       /* enum rfm_bgp_add_path bits for IPv4 unicast */
	guint8 add_path_v6;		       /* ... for IPv6 unicast */
	bool add_path_v4_present, add_path_v6_present; /* listed at all, whatever the bits */
	guint n_caps;				       /* capabilities seen, all codes */
};

/*
 * Decode one OPEN message, msg[0..len) from its marker; len must equal the
 * header's length. Optional parameters in the RFC 9072 extended format are
 * understood. Unknown parameters and capabilities are skipped.
 */
bool rfm_bgp_open_parse(const guint8 *msg, gsize len, struct rfm_bgp_open *o, GError **error);

/*
 * What UPDATEs sent by speaker to receiver carry, from the two OPENs of the
 * session:
 * - 4-octet AS numbers when both OPENs advertise capability 65 (RFC 6793 4.1);
 * - path ids for an AFI/SAFI when the speaker's Add-Path capability says it
 *   can send (2 or 3) and the receiver's says it can receive (1 or 3) for
 *   that AFI/SAFI (RFC 7911 section 5).
 * In BMP, for Adj-RIB-In the speaker is the monitored peer (the Peer Up's
 * received OPEN) and the receiver the monitored router (its sent OPEN); for
 * Adj-RIB-Out (RFC 8671) it is the other way round.
 */
void rfm_bgp_caps_from_opens(const struct rfm_bgp_open *speaker,
			     const struct rfm_bgp_open *receiver, struct rfm_bgp_caps *caps);

/*
 * Check a BGP message header at msg[0..len) (RFC 4271 4.1): marker all ones,
 * 19 <= length <= len. Sets *msg_len and *type. Used for messages embedded in
 * BMP, where the enclosing length delimits them.
 */
bool rfm_bgp_header_parse(const guint8 *msg, gsize len, guint16 *msg_len, guint8 *type,
			  GError **error);

/* Format p as "192.0.2.0/24" or "2001:db8::/32" into buf (at least 48 octets). */
const char *rfm_bgp_prefix_str(const struct rfm_bgp_prefix *p, char *buf, gsize size);

/* Format an address ("" when absent) into buf (at least 46 octets). */
const char *rfm_bgp_addr_str(const struct rfm_bgp_addr *a, char *buf, gsize size);

/* Format a path as "64501 64510 {64497,64498} (64512)" (confed segments in
 * parentheses / brackets). Returns a newly allocated string. */
char *rfm_bgp_as_path_str(const struct rfm_bgp_as_path *p);

#endif /* RFM_BGP_PARSE_H */
