/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bmp_parse.c - BMP v3 framing and message decoding (see bmp_parse.h).
 *
 * Each decoder is handed exactly one message (the common header's length)
 * and reads every field only after checking it lies inside; each check cites
 * the RFC section defining the field. All fields on the wire are big-endian.
 */
#include "bmp_parse.h"

#include <string.h>

/* Not G_DEFINE_QUARK(): clang-format puts spaces into its unquoted name. */
GQuark rfm_bmp_error_quark(void)
{
	return g_quark_from_static_string("rfm-bmp-error-quark");
}

static inline guint16 get16(const guint8 *p)
{
	return (guint16)((guint16)p[0] << 8 | p[1]);
}

static inline guint32 get32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static inline guint64 get64(const guint8 *p)
{
	return (guint64)get32(p) << 32 | get32(p + 4);
}

bool rfm_bmp_frame(const guint8 *buf, gsize len, guint32 max_len, gsize *msg_len, GError **error)
{
	*msg_len = 0;
	if (len == 0)
		return true;
	/* RFC 7854 4.1: Version (1), Message Length (4, whole message), Message Type (1). */
	if (buf[0] != RFM_BMP_VERSION) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_VERSION,
			    "BMP version %u, only 3 is supported (RFC 7854 4.1)", buf[0]);
		return false;
	}
	if (len < 5)
		return true;
	guint32 l = get32(buf + 1);
	if (l < RFM_BMP_COMMON_HDR_LEN) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_LENGTH,
			    "BMP message length %u < 6 (RFC 7854 4.1)", l);
		return false;
	}
	if (l > max_len) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TOO_LONG,
			    "BMP message length %u > limit %u", l, max_len);
		return false;
	}
	if (len < l)
		return true;
	*msg_len = l;
	return true;
}

/* Validate a TLV list (RFC 7854 4.4: Type (2), Length (2), Value), counting its TLVs. */
static bool tlvs_check(struct rfm_bmp_bytes s, const char *what, guint *n, GError **error)
{
	gsize off = 0;
	guint count = 0;

	while (off < s.len) {
		if (s.len - off < 4) {
			g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
				    "%s: TLV header cut short (RFC 7854 4.4)", what);
			return false;
		}
		guint16 l = get16(s.data + off + 2);
		if (l > s.len - off - 4) {
			g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
				    "%s: TLV type %u length %u overruns the message (RFC 7854 4.4)",
				    what, get16(s.data + off), l);
			return false;
		}
		off += 4 + (gsize)l;
		count++;
	}
	if (n)
		*n = count;
	return true;
}

bool rfm_bmp_tlv_next(struct rfm_bmp_bytes *rest, struct rfm_bmp_tlv *tlv)
{
	/* Checked again so that a list that was not validated cannot be overrun. */
	if (rest->len < 4)
		return false;
	guint16 l = get16(rest->data + 2);
	if (l > rest->len - 4)
		return false;
	tlv->type = get16(rest->data);
	tlv->value.data = rest->data + 4;
	tlv->value.len = l;
	rest->data += 4 + (gsize)l;
	rest->len -= 4 + (gsize)l;
	return true;
}

bool rfm_bmp_stat_next(struct rfm_bmp_bytes *rest, struct rfm_bmp_stat *st)
{
	struct rfm_bmp_tlv t;

	if (!rfm_bmp_tlv_next(rest, &t))
		return false;
	memset(st, 0, sizeof(*st));
	st->type = t.type;
	st->raw = t.value;
	/* RFC 7854 4.8: 32-bit counters, 64-bit gauges, and per-AFI/SAFI gauges (types 9, 10). */
	if (t.value.len == 4) {
		st->has_value = true;
		st->value = get32(t.value.data);
	} else if (t.value.len == 8) {
		st->has_value = true;
		st->value = get64(t.value.data);
	} else if (t.value.len == 11) {
		st->has_value = true;
		st->has_afi_safi = true;
		st->afi = get16(t.value.data);
		st->safi = t.value.data[2];
		st->value = get64(t.value.data + 3);
	}
	return true;
}

static enum rfm_bmp_rib_view peer_view(guint8 type, guint8 flags)
{
	bool post = flags & RFM_BMP_PEER_FLAG_L;

	switch (type) {
	case RFM_BMP_PEER_GLOBAL:
	case RFM_BMP_PEER_RD:
	case RFM_BMP_PEER_LOCAL:
		if (flags & RFM_BMP_PEER_FLAG_O) /* RFC 8671 4 */
			return post ? RFM_BMP_VIEW_ADJ_OUT_POST : RFM_BMP_VIEW_ADJ_OUT_PRE;
		return post ? RFM_BMP_VIEW_ADJ_IN_POST : RFM_BMP_VIEW_ADJ_IN_PRE;
	case RFM_BMP_PEER_LOC_RIB: /* RFC 9069 4.1 */
		return RFM_BMP_VIEW_LOC_RIB;
	default:
		return RFM_BMP_VIEW_UNKNOWN;
	}
}

/* RFC 7854 4.2: Peer Type (1), Flags (1), Distinguisher (8), Address (16), AS (4),
 * BGP ID (4), Timestamp seconds (4), microseconds (4). */
static void peer_hdr_decode(const guint8 *p, struct rfm_bmp_peer_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->type = p[0];
	h->flags = p[1];
	h->distinguisher = get64(p + 2);
	if (h->type == RFM_BMP_PEER_LOC_RIB) {
		h->addr.family = 0; /* RFC 9069 5.1: zero-filled; 0x80 is F, not V */
	} else if (h->flags & RFM_BMP_PEER_FLAG_V) {
		h->addr.family = 6;
		memcpy(h->addr.addr, p + 10, 16);
	} else {
		h->addr.family = 4; /* RFC 7854 4.2: IPv4 in the last 4 octets */
		memcpy(h->addr.addr, p + 22, 4);
	}
	h->as = get32(p + 26);
	h->bgp_id = get32(p + 30);
	h->ts_sec = get32(p + 34);
	h->ts_usec = get32(p + 38);
	h->view = peer_view(h->type, h->flags);
}

bool rfm_bmp_peer_same(const struct rfm_bmp_peer_hdr *a, const struct rfm_bmp_peer_hdr *b)
{
	return a->type == b->type && a->distinguisher == b->distinguisher &&
	       a->addr.family == b->addr.family && memcmp(a->addr.addr, b->addr.addr, 16) == 0;
}

/* An embedded BGP message at s: header valid, whole inside s, of type want. */
static bool bgp_embedded(struct rfm_bmp_bytes s, guint8 want, const char *what, gsize *msg_len,
			 GError **error)
{
	guint16 l;
	guint8 type;
	GError *e = NULL;

	if (!rfm_bgp_header_parse(s.data, s.len, &l, &type, &e)) {
		g_set_error(error, RFM_BMP_ERROR,
			    e->code == RFM_BGP_ERROR_TRUNCATED ? RFM_BMP_ERROR_TRUNCATED
							       : RFM_BMP_ERROR_MALFORMED,
			    "%s: %s", what, e->message);
		g_error_free(e);
		return false;
	}
	if (type != want) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED,
			    "%s: BGP message type %u, expected %u", what, type, want);
		return false;
	}
	*msg_len = l;
	return true;
}

static bool open_embedded(struct rfm_bmp_bytes *rest, struct rfm_bmp_bytes *raw,
			  struct rfm_bgp_open *o, const char *what, GError **error)
{
	gsize l;
	GError *e = NULL;

	if (!bgp_embedded(*rest, RFM_BGP_MSG_OPEN, what, &l, error))
		return false;
	raw->data = rest->data;
	raw->len = l;
	if (!rfm_bgp_open_parse(raw->data, raw->len, o, &e)) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED, "%s: %s", what,
			    e->message);
		g_error_free(e);
		return false;
	}
	rest->data += l;
	rest->len -= l;
	return true;
}

/* RFC 7854 4.10 Peer Up, after the per-peer header. */
static bool peer_up(struct rfm_bmp_bytes b, const struct rfm_bmp_peer_hdr *h,
		    struct rfm_bmp_peer_up *pu, GError **error)
{
	/* Local Address (16), Local Port (2), Remote Port (2), Sent OPEN, Received OPEN. */
	if (b.len < 20) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
			    "Peer Up: %zu octets after the per-peer header, need 20 and two OPENs "
			    "(RFC 7854 4.10)",
			    b.len);
		return false;
	}
	/* The local address is IPv4 or IPv6 as the V flag says (RFC 7854 4.10);
	 * Loc-RIB has no V flag: take IPv4 when the 12 leading octets are zero. */
	static const guint8 zero12[12];
	bool v6 = h->type == RFM_BMP_PEER_LOC_RIB ? memcmp(b.data, zero12, 12) != 0
						  : (h->flags & RFM_BMP_PEER_FLAG_V) != 0;
	if (v6) {
		pu->local_addr.family = 6;
		memcpy(pu->local_addr.addr, b.data, 16);
	} else {
		pu->local_addr.family = 4;
		memcpy(pu->local_addr.addr, b.data + 12, 4);
	}
	pu->local_port = get16(b.data + 16);
	pu->remote_port = get16(b.data + 18);
	struct rfm_bmp_bytes rest = {b.data + 20, b.len - 20};
	if (!open_embedded(&rest, &pu->sent_open, &pu->sent, "Peer Up sent OPEN", error) ||
	    !open_embedded(&rest, &pu->received_open, &pu->received, "Peer Up received OPEN",
			   error))
		return false;
	/* Information TLVs (RFC 7854 4.10, RFC 9069 5.2.1 VRF/Table Name). */
	pu->tlvs = rest;
	if (!tlvs_check(rest, "Peer Up information", NULL, error))
		return false;
	struct rfm_bmp_tlv t;
	while (rfm_bmp_tlv_next(&rest, &t)) {
		if (t.type == RFM_BMP_INFO_TABLE_NAME && !pu->table_name.data)
			pu->table_name = t.value;
	}
	return true;
}

/* RFC 7854 4.9 Peer Down, after the per-peer header. */
static bool peer_down(struct rfm_bmp_bytes b, struct rfm_bmp_peer_down *pd, GError **error)
{
	if (b.len < 1) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
			    "Peer Down: no reason (RFC 7854 4.9)");
		return false;
	}
	pd->reason = b.data[0];
	pd->data.data = b.data + 1;
	pd->data.len = b.len - 1;
	switch (pd->reason) {
	case RFM_BMP_DOWN_LOCAL_NOTIFICATION:
	case RFM_BMP_DOWN_REMOTE_NOTIFICATION: {
		/* A BGP NOTIFICATION PDU follows: Error code (1), subcode (1), data. */
		gsize l;
		if (!bgp_embedded(pd->data, RFM_BGP_MSG_NOTIFICATION, "Peer Down NOTIFICATION", &l,
				  error))
			return false;
		if (l < RFM_BGP_HEADER_LEN + 2) {
			g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED,
				    "Peer Down: NOTIFICATION of %zu octets < 21 (RFC 4271 4.5)", l);
			return false;
		}
		pd->notification_code = pd->data.data[RFM_BGP_HEADER_LEN];
		pd->notification_subcode = pd->data.data[RFM_BGP_HEADER_LEN + 1];
		break;
	}
	case RFM_BMP_DOWN_LOCAL_NO_NOTIFICATION: /* FSM Event code (2) */
		if (pd->data.len < 2) {
			g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
				    "Peer Down reason 2: FSM event code cut short (RFC 7854 4.9)");
			return false;
		}
		pd->fsm_event = get16(pd->data.data);
		break;
	case RFM_BMP_DOWN_LOCAL_SYSTEM_CLOSED: /* RFC 9069 5.3: TLVs follow */
		return tlvs_check(pd->data, "Peer Down information", NULL, error);
	default: /* 4, 5: no data; unknown reasons are kept as they are */
		break;
	}
	return true;
}

/* RFC 7854 4.8 Statistics Report, after the per-peer header. */
static bool stats_report(struct rfm_bmp_bytes b, struct rfm_bmp_stats_report *st, GError **error)
{
	if (b.len < 4) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
			    "Statistics Report: count cut short (RFC 7854 4.8)");
		return false;
	}
	st->count = get32(b.data);
	st->tlvs.data = b.data + 4;
	st->tlvs.len = b.len - 4;
	guint n;
	if (!tlvs_check(st->tlvs, "Statistics Report", &n, error))
		return false;
	if (n != st->count) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED,
			    "Statistics Report: count %u but %u counters (RFC 7854 4.8)", st->count,
			    n);
		return false;
	}
	return true;
}

/* RFC 7854 4.6 Route Monitoring: exactly one BGP UPDATE follows the per-peer header. */
static bool route_monitoring(struct rfm_bmp_bytes b, struct rfm_bmp_route_monitoring *rm,
			     GError **error)
{
	gsize l;

	if (!bgp_embedded(b, RFM_BGP_MSG_UPDATE, "Route Monitoring", &l, error))
		return false;
	if (l != b.len) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED,
			    "Route Monitoring: BGP length %zu, %zu octets follow the per-peer "
			    "header (RFC 7854 4.6)",
			    l, b.len);
		return false;
	}
	rm->update = b;
	return true;
}

/* RFC 7854 4.3 Initiation. */
static bool initiation(struct rfm_bmp_bytes b, struct rfm_bmp_initiation *in, GError **error)
{
	struct rfm_bmp_tlv t;

	in->tlvs = b;
	if (!tlvs_check(b, "Initiation", NULL, error))
		return false;
	while (rfm_bmp_tlv_next(&b, &t)) {
		if (t.type == RFM_BMP_INFO_SYS_NAME && !in->sys_name.data)
			in->sys_name = t.value;
		else if (t.type == RFM_BMP_INFO_SYS_DESCR && !in->sys_descr.data)
			in->sys_descr = t.value;
	}
	return true;
}

/* RFC 7854 4.5 Termination. */
static bool termination(struct rfm_bmp_bytes b, struct rfm_bmp_termination *te, GError **error)
{
	struct rfm_bmp_tlv t;

	te->tlvs = b;
	if (!tlvs_check(b, "Termination", NULL, error))
		return false;
	while (rfm_bmp_tlv_next(&b, &t)) {
		if (t.type == RFM_BMP_TERM_REASON && t.value.len == 2 && !te->has_reason) {
			te->has_reason = true;
			te->reason = get16(t.value.data);
		}
	}
	return true;
}

bool rfm_bmp_msg_parse(const guint8 *buf, gsize len, struct rfm_bmp_msg *m, GError **error)
{
	memset(m, 0, sizeof(*m));
	if (len < RFM_BMP_COMMON_HDR_LEN) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
			    "BMP message of %zu octets < 6 (RFC 7854 4.1)", len);
		return false;
	}
	m->version = buf[0];
	m->length = get32(buf + 1);
	m->type = buf[5];
	if (m->version != RFM_BMP_VERSION) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_VERSION,
			    "BMP version %u, only 3 is supported (RFC 7854 4.1)", m->version);
		return false;
	}
	if (m->length != len) {
		g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_LENGTH,
			    "BMP length field %u but %zu octets given (RFC 7854 4.1)", m->length,
			    len);
		return false;
	}
	struct rfm_bmp_bytes b = {buf + RFM_BMP_COMMON_HDR_LEN, len - RFM_BMP_COMMON_HDR_LEN};

	switch (m->type) {
	case RFM_BMP_MSG_ROUTE_MONITORING:
	case RFM_BMP_MSG_STATISTICS_REPORT:
	case RFM_BMP_MSG_PEER_DOWN:
	case RFM_BMP_MSG_PEER_UP:
	case RFM_BMP_MSG_ROUTE_MIRRORING:
		/* RFC 7854 4.2: these carry the per-peer header. */
		if (b.len < RFM_BMP_PEER_HDR_LEN) {
			g_set_error(error, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED,
				    "%s: %zu octets, per-peer header needs 42 (RFC 7854 4.2)",
				    rfm_bmp_msg_type_name(m->type), b.len);
			return false;
		}
		m->has_peer = true;
		peer_hdr_decode(b.data, &m->peer);
		b.data += RFM_BMP_PEER_HDR_LEN;
		b.len -= RFM_BMP_PEER_HDR_LEN;
		break;
	default:
		break;
	}
	m->known = true;
	switch (m->type) {
	case RFM_BMP_MSG_ROUTE_MONITORING:
		return route_monitoring(b, &m->u.route_monitoring, error);
	case RFM_BMP_MSG_STATISTICS_REPORT:
		return stats_report(b, &m->u.stats, error);
	case RFM_BMP_MSG_PEER_DOWN:
		return peer_down(b, &m->u.peer_down, error);
	case RFM_BMP_MSG_PEER_UP:
		return peer_up(b, &m->peer, &m->u.peer_up, error);
	case RFM_BMP_MSG_INITIATION:
		return initiation(b, &m->u.initiation, error);
	case RFM_BMP_MSG_TERMINATION:
		return termination(b, &m->u.termination, error);
	case RFM_BMP_MSG_ROUTE_MIRRORING:
		m->u.route_mirroring.tlvs = b; /* RFC 7854 4.7: not decoded */
		return true;
	default:
		m->known = false; /* a later message type: the caller skips it */
		return true;
	}
}

void rfm_bmp_update_caps(const struct rfm_bmp_peer_hdr *hdr, const struct rfm_bgp_open *sent,
			 const struct rfm_bgp_open *received, struct rfm_bgp_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	if (hdr->type == RFM_BMP_PEER_LOC_RIB) {
		/* RFC 9069 5.2, 5.4.1: 4-octet ASNs; an Add-Path capability listed in the
		 * fabricated OPEN means path ids, whatever its send/receive intent. */
		caps->as4 = true;
		const struct rfm_bgp_open *o = received ? received : sent;
		if (o) {
			caps->add_path_v4 = o->add_path_v4_present;
			caps->add_path_v6 = o->add_path_v6_present;
		}
		return;
	}
	if (sent && received) {
		if (hdr->flags & RFM_BMP_PEER_FLAG_O) /* RFC 8671: the router is the speaker */
			rfm_bgp_caps_from_opens(sent, received, caps);
		else
			rfm_bgp_caps_from_opens(received, sent, caps);
	}
	caps->as4 = !(hdr->flags & RFM_BMP_PEER_FLAG_A); /* RFC 7854 4.2 */
}

const char *rfm_bmp_view_name(enum rfm_bmp_rib_view view)
{
	switch (view) {
	case RFM_BMP_VIEW_ADJ_IN_PRE:
		return "adj-in-pre";
	case RFM_BMP_VIEW_ADJ_IN_POST:
		return "adj-in-post";
	case RFM_BMP_VIEW_LOC_RIB:
		return "loc-rib";
	case RFM_BMP_VIEW_ADJ_OUT_PRE:
		return "adj-out-pre";
	case RFM_BMP_VIEW_ADJ_OUT_POST:
		return "adj-out-post";
	default:
		return "unknown";
	}
}

const char *rfm_bmp_msg_type_name(guint8 type)
{
	static const char *const names[] = {
		"route-monitoring", "statistics-report", "peer-down",	    "peer-up",
		"initiation",	    "termination",	 "route-mirroring",
	};

	return type < G_N_ELEMENTS(names) ? names[type] : "unknown";
}
