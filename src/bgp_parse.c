/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bgp_parse.c - BGP UPDATE and OPEN decoding (see bgp_parse.h).
 *
 * Every field is read only after the bytes it needs are known to be inside
 * the buffer; every check names the RFC section that defines the field. All
 * multi-octet fields on the wire are big-endian; decoded integers are in host
 * order, addresses stay in network order.
 *
 * An UPDATE is decoded in two passes over each part: the first validates and
 * counts (prefixes, AS numbers), the second fills arrays allocated to the
 * exact size, so no array is ever grown or indexed past its end.
 */
#include "bgp_parse.h"

#include <arpa/inet.h>
#include <string.h>

/* Not G_DEFINE_QUARK(): clang-format puts spaces into its unquoted name. */
GQuark rfm_bgp_error_quark(void)
{
	return g_quark_from_static_string("rfm-bgp-error-quark");
}

static inline guint16 get16(const guint8 *p)
{
	return (guint16)((guint16)p[0] << 8 | p[1]);
}

static inline guint32 get32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* A borrowed slice of the message being decoded. */
struct slice {
	const guint8 *p;
	gsize len;
};

bool rfm_bgp_header_parse(const guint8 *msg, gsize len, guint16 *msg_len, guint8 *type,
			  GError **error)
{
	/* RFC 4271 4.1: Marker (16 octets of ones), Length (2), Type (1). */
	if (len < RFM_BGP_HEADER_LEN) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_TRUNCATED,
			    "BGP header: %zu octets, need %d (RFC 4271 4.1)", len,
			    RFM_BGP_HEADER_LEN);
		return false;
	}
	for (int i = 0; i < 16; i++) {
		if (msg[i] != 0xff) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER,
				    "BGP header: marker is not all ones (RFC 4271 4.1)");
			return false;
		}
	}
	guint16 l = get16(msg + 16);
	if (l < RFM_BGP_HEADER_LEN) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER,
			    "BGP header: length %u < 19 (RFC 4271 4.1)", l);
		return false;
	}
	if (l > len) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_TRUNCATED,
			    "BGP header: length %u but only %zu octets (RFC 4271 4.1)", l, len);
		return false;
	}
	*msg_len = l;
	*type = msg[18];
	return true;
}

/* Header of a message that must fill msg[0..len) exactly and have the given type. */
static bool header_exact(const guint8 *msg, gsize len, guint8 want, const char *what,
			 GError **error)
{
	guint16 l;
	guint8 type;

	if (!rfm_bgp_header_parse(msg, len, &l, &type, error))
		return false;
	if (type != want) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER,
			    "%s: BGP message type %u, expected %u (RFC 4271 4.1)", what, type,
			    want);
		return false;
	}
	if (l != len) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER,
			    "%s: BGP length %u but %zu octets given (RFC 4271 4.1)", what, l, len);
		return false;
	}
	return true;
}

/* What a walk over an NLRI block saw, for telling Add-Path from plain encoding. */
struct nlri_shape {
	bool trailing_bits; /* some prefix has bits set past its length */
	bool zero_len;	    /* some prefix is /0 */
	guint count;	    /* prefixes */
};

/*
 * Walk the prefixes in s (RFC 4271 4.3: Length in bits, then the fewest
 * octets that hold it; RFC 7911 3: a 4-octet Path Identifier first when
 * Add-Path is on). With out == NULL only validate and count into *n; else
 * also store them at out[0..*n). shape may be NULL.
 */
static bool nlri_walk(struct slice s, guint8 family, bool add_path, bool mp,
		      struct rfm_bgp_prefix *out, guint *n, struct nlri_shape *shape,
		      const char *what, GError **error)
{
	guint max_bits = family == 4 ? 32 : 128;
	gsize off = 0;
	guint count = 0;
	bool zero_len = false;

	if (shape)
		memset(shape, 0, sizeof(*shape));
	while (off < s.len) {
		guint32 path_id = 0;

		if (add_path) {
			if (s.len - off < 5) {
				g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_NLRI,
					    "%s: path identifier and length cut short at octet %zu "
					    "(RFC 7911 3)",
					    what, off);
				return false;
			}
			path_id = get32(s.p + off);
			off += 4;
		}
		guint bits = s.p[off];
		if (bits > max_bits) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_NLRI,
				    "%s: prefix length %u > %u (RFC 4271 4.3, RFC 7606 5.3)", what,
				    bits, max_bits);
			return false;
		}
		guint octets = (bits + 7) / 8;
		if (s.len - off - 1 < octets) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_NLRI,
				    "%s: /%u prefix needs %u octets, %zu left (RFC 4271 4.3)", what,
				    bits, octets, s.len - off - 1);
			return false;
		}
		guint8 mask = bits % 8 ? (guint8)(0xff << (8 - bits % 8)) : 0xff;
		if (shape && octets && (s.p[off + octets] & (guint8)~mask))
			shape->trailing_bits = true;
		if (bits == 0)
			zero_len = true;
		if (out) {
			struct rfm_bgp_prefix *pfx = &out[count];

			memset(pfx, 0, sizeof(*pfx));
			pfx->family = family;
			pfx->len = (guint8)bits;
			pfx->mp = mp;
			pfx->path_id = path_id;
			memcpy(pfx->addr, s.p + off + 1, octets);
			/* RFC 4271 4.3: trailing bits are irrelevant: clear them. */
			if (octets)
				pfx->addr[octets - 1] &= mask;
		}
		off += 1 + octets;
		count++;
	}
	if (shape) {
		shape->zero_len = zero_len;
		shape->count = count;
	}
	*n = count;
	return true;
}

/*
 * Whether a reading of a block looks like what a speaker would send: no bits
 * set past a prefix length, and no /0 (an Add-Path reading's /0 is usually
 * a path id taken from a prefix; a plain reading's /0 usually the zero high
 * octets of a small path id, unless it is the only prefix: a default route).
 */
static bool shape_clean(const struct nlri_shape *sh, bool add_path)
{
	if (sh->trailing_bits)
		return false;
	return !sh->zero_len || (!add_path && sh->count == 1);
}

/*
 * Whether the block s is encoded with Add-Path path identifiers. The OPENs
 * (caps_ap) decide (RFC 7911 5), but BMP speakers do not always encode Route
 * Monitoring as negotiated: gobgpd 3.10 sends its post-policy Adj-RIB-In
 * without path ids on an Add-Path session. So when caps say Add-Path, a
 * clean plain reading (shape_clean()) is taken instead when the Add-Path
 * reading is invalid or not clean (in the spirit of Wireshark's
 * detect_add_path_prefix46()). Real path ids are small: their zero high
 * octets make the plain reading of a real Add-Path block unclean, so it
 * stays Add-Path. The other way round (path ids where the OPENs said none)
 * is not guessed: garbage too often reads as valid Add-Path prefixes.
 * *swapped tells the caller caps were overruled. False with error set when
 * no reading is acceptable.
 */
static bool nlri_mode(struct slice s, guint8 family, bool caps_ap, bool *use_ap, bool *swapped,
		      const char *what, GError **error)
{
	struct nlri_shape ap, plain;
	guint n;

	*use_ap = caps_ap;
	*swapped = false;
	if (!caps_ap)
		return nlri_walk(s, family, false, false, NULL, &n, NULL, what, error);
	bool ap_ok = nlri_walk(s, family, true, false, NULL, &n, &ap, what, error);
	bool plain_ok = nlri_walk(s, family, false, false, NULL, &n, &plain, what, NULL) &&
			shape_clean(&plain, false);
	if (plain_ok && (!ap_ok || !shape_clean(&ap, true))) {
		g_clear_error(error);
		*use_ap = false;
		*swapped = true;
		return true;
	}
	return ap_ok;
}

/*
 * Validate an AS_PATH / AS4_PATH value (RFC 4271 4.3: segments of type (1),
 * length in ASNs (1), ASNs of width octets; RFC 5065 3 for the confed types)
 * and count its segments and ASNs. With drop_confed (AS4_PATH, RFC 6793
 * section 6), confederation segments are not counted.
 */
static bool as_path_scan(struct slice s, guint width, bool drop_confed, guint *n_segs,
			 guint *n_asns)
{
	gsize off = 0;

	*n_segs = 0;
	*n_asns = 0;
	while (off < s.len) {
		if (s.len - off < 2)
			return false;
		guint8 type = s.p[off];
		guint count = s.p[off + 1];
		if (type < RFM_BGP_AS_SET || type > RFM_BGP_AS_CONFED_SET)
			return false; /* RFC 7606 7.2: unrecognised segment type */
		if (count == 0)
			return false; /* RFC 7606 7.2: zero segment length */
		if ((s.len - off - 2) / width < count)
			return false; /* RFC 7606 7.2: overrun */
		off += 2 + (gsize)count * width;
		if (drop_confed && type >= RFM_BGP_AS_CONFED_SEQUENCE)
			continue;
		(*n_segs)++;
		*n_asns += count;
	}
	return true;
}

/* Decode a value as_path_scan() accepted. */
static void as_path_fill(struct slice s, guint width, bool drop_confed, struct rfm_bgp_as_path *p)
{
	guint n_segs, n_asns;
	gsize off = 0;

	as_path_scan(s, width, drop_confed, &n_segs, &n_asns);
	p->segs = n_segs ? g_new0(struct rfm_bgp_as_segment, n_segs) : NULL;
	p->asns = n_asns ? g_new0(guint32, n_asns) : NULL;
	p->n_segs = 0;
	p->n_asns = 0;
	while (off < s.len) {
		guint8 type = s.p[off];
		guint count = s.p[off + 1];
		const guint8 *a = s.p + off + 2;

		off += 2 + (gsize)count * width;
		if (drop_confed && type >= RFM_BGP_AS_CONFED_SEQUENCE)
			continue;
		struct rfm_bgp_as_segment *seg = &p->segs[p->n_segs++];
		seg->type = type;
		seg->first = p->n_asns;
		seg->count = count;
		for (guint i = 0; i < count; i++)
			p->asns[p->n_asns++] = width == 4 ? get32(a + 4 * i) : get16(a + 2 * i);
	}
}

static bool seg_is_confed(const struct rfm_bgp_as_segment *s)
{
	return s->type == RFM_BGP_AS_CONFED_SEQUENCE || s->type == RFM_BGP_AS_CONFED_SET;
}

guint rfm_bgp_as_path_length(const struct rfm_bgp_as_path *p)
{
	guint n = 0;

	for (guint i = 0; i < p->n_segs; i++) {
		if (p->segs[i].type == RFM_BGP_AS_SEQUENCE)
			n += p->segs[i].count;
		else if (p->segs[i].type == RFM_BGP_AS_SET)
			n += 1;
	}
	return n;
}

guint32 rfm_bgp_as_path_origin(const struct rfm_bgp_as_path *p)
{
	if (p->n_segs == 0)
		return 0;
	const struct rfm_bgp_as_segment *last = &p->segs[p->n_segs - 1];
	if (last->type != RFM_BGP_AS_SEQUENCE || last->count == 0)
		return 0;
	return p->asns[last->first + last->count - 1];
}

guint32 rfm_bgp_as_path_first(const struct rfm_bgp_as_path *p)
{
	for (guint i = 0; i < p->n_segs; i++) {
		const struct rfm_bgp_as_segment *s = &p->segs[i];

		if (seg_is_confed(s))
			continue;
		if (s->type != RFM_BGP_AS_SEQUENCE || s->count == 0)
			return 0;
		return p->asns[s->first];
	}
	return 0;
}

bool rfm_bgp_as_path_strip_first(struct rfm_bgp_as_path *p, guint32 asn)
{
	struct rfm_bgp_as_segment *s = p->n_segs ? &p->segs[0] : NULL;

	if (!s || s->type != RFM_BGP_AS_SEQUENCE || s->first != 0 || s->count == 0 ||
	    p->asns[0] != asn)
		return false;
	memmove(p->asns, p->asns + 1, (p->n_asns - 1) * sizeof(*p->asns));
	p->n_asns--;
	for (guint i = 1; i < p->n_segs; i++)
		p->segs[i].first--;
	if (--s->count == 0) {
		memmove(p->segs, p->segs + 1, (p->n_segs - 1) * sizeof(*p->segs));
		p->n_segs--;
	}
	return true;
}

void rfm_bgp_as_path_clear(struct rfm_bgp_as_path *p)
{
	if (!p)
		return;
	g_free(p->segs);
	g_free(p->asns);
	memset(p, 0, sizeof(*p));
}

/* Append segment s of src (or its first take ASNs) to dst, whose arrays are large enough. */
static void seg_append(struct rfm_bgp_as_path *dst, const struct rfm_bgp_as_path *src,
		       const struct rfm_bgp_as_segment *s, guint take)
{
	struct rfm_bgp_as_segment *d = &dst->segs[dst->n_segs++];

	d->type = s->type;
	d->first = dst->n_asns;
	d->count = take;
	memcpy(dst->asns + dst->n_asns, src->asns + s->first, take * sizeof(guint32));
	dst->n_asns += take;
}

/*
 * RFC 6793 4.2.3: rebuild the path from the 2-octet AS_PATH (path2, AS_TRANS
 * in place of 4-octet ASNs) and AS4_PATH (path4, confed segments already
 * dropped). Numbers of ASes are counted as for route selection (AS_SET 1,
 * confederation segments 0). If AS_PATH is shorter, AS4_PATH is ignored
 * (returns false). Else the leading part of AS_PATH that makes up the
 * difference is prepended to AS4_PATH, with the confederation segments that
 * lead it or are adjacent to it.
 */
static bool as4_merge(const struct rfm_bgp_as_path *path2, const struct rfm_bgp_as_path *path4,
		      struct rfm_bgp_as_path *out)
{
	guint n2 = rfm_bgp_as_path_length(path2), n4 = rfm_bgp_as_path_length(path4);

	if (n2 < n4)
		return false;
	guint need = n2 - n4;
	out->segs = g_new0(struct rfm_bgp_as_segment, path2->n_segs + path4->n_segs + 1);
	out->asns = g_new0(guint32, path2->n_asns + path4->n_asns + 1);
	out->n_segs = 0;
	out->n_asns = 0;
	for (guint i = 0; i < path2->n_segs; i++) {
		const struct rfm_bgp_as_segment *s = &path2->segs[i];

		if (seg_is_confed(s)) {
			seg_append(out, path2, s, s->count);
			continue;
		}
		if (need == 0)
			break;
		if (s->type == RFM_BGP_AS_SET) {
			seg_append(out, path2, s, s->count);
			need--;
			continue;
		}
		guint take = MIN(need, s->count);
		seg_append(out, path2, s, take);
		need -= take;
		if (take < s->count)
			break;
	}
	for (guint i = 0; i < path4->n_segs; i++)
		seg_append(out, path4, &path4->segs[i], path4->segs[i].count);
	return true;
}

/* Record a treat-as-withdraw cause (RFC 7606 2); the first one wins. */
static void taw(struct rfm_bgp_update *u, const char *why)
{
	if (!u->treat_as_withdraw)
		u->attr_error = why;
	u->treat_as_withdraw = true;
}

/* What the attribute pass found, to be decoded once it is complete. */
struct attr_scan {
	struct slice as_path, as4_path;
	bool has_as_path, as_path_ok, as4_path_ok;
	struct slice reach_nlri, unreach_nlri;
	guint8 reach_family, unreach_family; /* 0: skipped AFI/SAFI or absent */
	guint16 unreach_afi;
	guint8 unreach_safi;
	guint32 as4_aggregator_as;
	struct rfm_bgp_addr as4_aggregator_id;
	bool has_as4_aggregator;
};

static guint8 afi_safi_family(guint16 afi, guint8 safi)
{
	if (safi != RFM_BGP_SAFI_UNICAST)
		return 0;
	if (afi == RFM_BGP_AFI_IPV4)
		return 4;
	if (afi == RFM_BGP_AFI_IPV6)
		return 6;
	return 0;
}

static bool add_path_for(const struct rfm_bgp_caps *caps, guint8 family)
{
	return family == 4 ? caps->add_path_v4 : caps->add_path_v6;
}

/* RFC 4760 3: MP_REACH_NLRI = AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
 */
static bool mp_reach(struct slice v, struct rfm_bgp_update *u, struct attr_scan *a, GError **error)
{
	if (v.len < 5) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
			    "MP_REACH_NLRI: %zu octets, need at least 5 (RFC 4760 3)", v.len);
		return false;
	}
	guint16 afi = get16(v.p);
	guint8 safi = v.p[2];
	guint nhl = v.p[3];
	if (nhl > v.len - 5) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
			    "MP_REACH_NLRI: next hop length %u overruns the attribute (RFC 4760 3)",
			    nhl);
		return false;
	}
	guint8 family = afi_safi_family(afi, safi);
	if (!family) {
		u->skipped_mp++;
		u->skipped_afi = afi;
		u->skipped_safi = safi;
		return true;
	}
	const guint8 *nh = v.p + 4;
	/* RFC 2545 3: IPv6 next hop 16 octets, or 32 with the link-local one;
	 * RFC 4760 3 / RFC 8950 3: IPv4 NLRI take a 4-octet or an IPv6 next hop.
	 * RFC 7606 7.11: a bad length makes the NLRI unlocatable: session reset. */
	if (nhl == 4 && family == 4) {
		u->mp_next_hop.family = 4;
		memcpy(u->mp_next_hop.addr, nh, 4);
	} else if (nhl == 16 || nhl == 32) {
		u->mp_next_hop.family = 6;
		memcpy(u->mp_next_hop.addr, nh, 16);
		if (nhl == 32) {
			u->mp_next_hop_ll.family = 6;
			memcpy(u->mp_next_hop_ll.addr, nh + 16, 16);
		}
	} else {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
			    "MP_REACH_NLRI: next hop length %u invalid for AFI %u SAFI %u "
			    "(RFC 4760 3, RFC 2545 3, RFC 7606 7.11)",
			    nhl, afi, safi);
		return false;
	}
	/* The octet after the next hop is Reserved (RFC 4760 3); NLRI follow. */
	a->reach_nlri.p = v.p + 5 + nhl;
	a->reach_nlri.len = v.len - 5 - nhl;
	a->reach_family = family; /* NLRI validated by the caller */
	return true;
}

/* RFC 4760 4: MP_UNREACH_NLRI = AFI (2), SAFI (1), Withdrawn Routes. */
static bool mp_unreach(struct slice v, struct rfm_bgp_update *u, struct attr_scan *a,
		       GError **error)
{
	if (v.len < 3) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
			    "MP_UNREACH_NLRI: %zu octets, need at least 3 (RFC 4760 4)", v.len);
		return false;
	}
	a->unreach_afi = get16(v.p);
	a->unreach_safi = v.p[2];
	a->unreach_nlri.p = v.p + 3;
	a->unreach_nlri.len = v.len - 3;
	guint8 family = afi_safi_family(a->unreach_afi, a->unreach_safi);
	if (!family) {
		/* An empty one is End-of-RIB for that AFI/SAFI, not a skipped family. */
		if (a->unreach_nlri.len) {
			u->skipped_mp++;
			u->skipped_afi = a->unreach_afi;
			u->skipped_safi = a->unreach_safi;
		}
		return true;
	}
	a->unreach_family = family; /* withdrawn routes validated by the caller */
	return true;
}

/* One attribute; framing already checked. Returns false only for "session reset" errors. */
static bool attr_one(guint8 type, struct slice v, const struct rfm_bgp_caps *caps,
		     struct rfm_bgp_update *u, struct attr_scan *a, GError **error)
{
	struct rfm_bgp_attrs *at = &u->attrs;

	switch (type) {
	case RFM_BGP_ATTR_ORIGIN: /* RFC 4271 5.1.1; RFC 7606 7.1 */
		if (v.len != 1 || v.p[0] > RFM_BGP_ORIGIN_INCOMPLETE) {
			taw(u, "ORIGIN malformed (RFC 7606 7.1)");
			break;
		}
		at->origin = v.p[0];
		at->present |= RFM_BGP_HAS_ORIGIN;
		break;
	case RFM_BGP_ATTR_AS_PATH: { /* RFC 4271 5.1.2; RFC 7606 7.2 */
		guint ns, na;
		a->as_path = v;
		a->has_as_path = true;
		a->as_path_ok = as_path_scan(v, caps->as4 ? 4 : 2, false, &ns, &na);
		if (!a->as_path_ok)
			taw(u, "AS_PATH malformed (RFC 7606 7.2)");
		break;
	}
	case RFM_BGP_ATTR_NEXT_HOP: /* RFC 4271 5.1.3; RFC 7606 7.3 */
		if (v.len != 4) {
			taw(u, "NEXT_HOP length is not 4 (RFC 7606 7.3)");
			break;
		}
		at->next_hop.family = 4;
		memcpy(at->next_hop.addr, v.p, 4);
		at->present |= RFM_BGP_HAS_NEXT_HOP;
		break;
	case RFM_BGP_ATTR_MULTI_EXIT_DISC: /* RFC 4271 5.1.4; RFC 7606 7.4 */
		if (v.len != 4) {
			taw(u, "MULTI_EXIT_DISC length is not 4 (RFC 7606 7.4)");
			break;
		}
		at->med = get32(v.p);
		at->present |= RFM_BGP_HAS_MED;
		break;
	case RFM_BGP_ATTR_LOCAL_PREF: /* RFC 4271 5.1.5; RFC 7606 7.5 */
		if (v.len != 4) {
			taw(u, "LOCAL_PREF length is not 4 (RFC 7606 7.5)");
			break;
		}
		at->local_pref = get32(v.p);
		at->present |= RFM_BGP_HAS_LOCAL_PREF;
		break;
	case RFM_BGP_ATTR_ATOMIC_AGGREGATE: /* RFC 7606 7.6: wrong length: attribute discard */
		if (v.len != 0)
			u->discarded_attrs++;
		else
			at->present |= RFM_BGP_HAS_ATOMIC_AGGREGATE;
		break;
	case RFM_BGP_ATTR_AGGREGATOR: { /* RFC 4271 5.1.7, RFC 6793 3; RFC 7606 7.7: discard */
		guint w = caps->as4 ? 4 : 2;
		if (v.len != w + 4) {
			u->discarded_attrs++;
			break;
		}
		at->aggregator_as = w == 4 ? get32(v.p) : get16(v.p);
		at->aggregator_id.family = 4;
		memcpy(at->aggregator_id.addr, v.p + w, 4);
		at->present |= RFM_BGP_HAS_AGGREGATOR;
		break;
	}
	case RFM_BGP_ATTR_COMMUNITIES: /* RFC 1997; RFC 7606 7.8: non-zero multiple of 4 */
		if (v.len == 0 || v.len % 4) {
			taw(u, "COMMUNITIES length is not a non-zero multiple of 4 (RFC 7606 7.8)");
			break;
		}
		at->n_communities = (guint)(v.len / 4);
		at->communities = g_new(guint32, at->n_communities);
		for (guint i = 0; i < at->n_communities; i++)
			at->communities[i] = get32(v.p + 4 * i);
		at->present |= RFM_BGP_HAS_COMMUNITIES;
		break;
	case RFM_BGP_ATTR_LARGE_COMMUNITIES: /* RFC 8092 3; 6: non-zero multiple of 12 */
		if (v.len == 0 || v.len % 12) {
			taw(u, "LARGE_COMMUNITIES length is not a non-zero multiple of 12 "
			       "(RFC 8092 6)");
			break;
		}
		at->n_large = (guint)(v.len / 12);
		at->large = g_new(struct rfm_bgp_large_community, at->n_large);
		for (guint i = 0; i < at->n_large; i++) {
			at->large[i].global = get32(v.p + 12 * i);
			at->large[i].local1 = get32(v.p + 12 * i + 4);
			at->large[i].local2 = get32(v.p + 12 * i + 8);
		}
		at->present |= RFM_BGP_HAS_LARGE_COMMUNITIES;
		break;
	case RFM_BGP_ATTR_MP_REACH_NLRI:
		at->present |= RFM_BGP_HAS_MP_REACH;
		return mp_reach(v, u, a, error);
	case RFM_BGP_ATTR_MP_UNREACH_NLRI:
		at->present |= RFM_BGP_HAS_MP_UNREACH;
		return mp_unreach(v, u, a, error);
	case RFM_BGP_ATTR_AS4_PATH: { /* RFC 6793 3; malformed: discard (RFC 6793 6) */
		guint ns, na;
		at->present |= RFM_BGP_HAS_AS4_PATH;
		a->as4_path = v;
		a->as4_path_ok = as_path_scan(v, 4, true, &ns, &na);
		break;
	}
	case RFM_BGP_ATTR_AS4_AGGREGATOR: /* RFC 6793 3: 8 octets, else discard (RFC 6793 6) */
		if (v.len != 8) {
			u->discarded_attrs++;
			break;
		}
		a->has_as4_aggregator = true;
		a->as4_aggregator_as = get32(v.p);
		a->as4_aggregator_id.family = 4;
		memcpy(a->as4_aggregator_id.addr, v.p + 4, 4);
		break;
	default:
		u->unknown_attrs++;
		break;
	}
	return true;
}

/* RFC 4271 4.3 Path Attributes: Attr. Flags (1), Type Code (1), Length (1, or 2 when Extended
 * Length). */
static bool attrs_walk(struct slice s, const struct rfm_bgp_caps *caps, struct rfm_bgp_update *u,
		       struct attr_scan *a, GError **error)
{
	guint8 seen[32] = {0};
	gsize off = 0;

	while (off < s.len) {
		if (s.len - off < 3) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
				    "path attribute header cut short at octet %zu (RFC 4271 4.3)",
				    off);
			return false;
		}
		guint8 flags = s.p[off];
		guint8 type = s.p[off + 1];
		gsize hl = (flags & 0x10) ? 4 : 3; /* Extended Length bit */
		if (s.len - off < hl) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
				    "attribute %u: extended length cut short (RFC 4271 4.3)", type);
			return false;
		}
		gsize vlen = hl == 4 ? get16(s.p + off + 2) : s.p[off + 2];
		/* RFC 4271 6.3 / RFC 7606 4: an attribute that overruns the list: session reset. */
		if (vlen > s.len - off - hl) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
				    "attribute %u: length %zu overruns the attribute list by %zu "
				    "(RFC 4271 6.3, RFC 7606 4)",
				    type, vlen, vlen - (s.len - off - hl));
			return false;
		}
		struct slice v = {s.p + off + hl, vlen};
		off += hl + vlen;
		if (seen[type / 8] & (1u << (type % 8))) {
			/* RFC 7606 3.g: repeated MP_REACH/MP_UNREACH: session reset; others:
			 * keep the first. */
			if (type == RFM_BGP_ATTR_MP_REACH_NLRI ||
			    type == RFM_BGP_ATTR_MP_UNREACH_NLRI) {
				g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR,
					    "attribute %u repeated (RFC 7606 3.g)", type);
				return false;
			}
			u->discarded_attrs++;
			continue;
		}
		seen[type / 8] |= (guint8)(1u << (type % 8));
		if (!attr_one(type, v, caps, u, a, error))
			return false;
	}
	return true;
}

/* AS path and aggregator once all attributes are known (RFC 6793 4.1, 4.2.3). */
static void as_path_finish(const struct rfm_bgp_caps *caps, struct rfm_bgp_update *u,
			   struct attr_scan *a)
{
	struct rfm_bgp_attrs *at = &u->attrs;
	bool have_as4 = (at->present & RFM_BGP_HAS_AS4_PATH) != 0;

	if (a->has_as_path && a->as_path_ok) {
		as_path_fill(a->as_path, caps->as4 ? 4 : 2, false, &at->as_path);
		at->present |= RFM_BGP_HAS_AS_PATH;
	}
	if (caps->as4) {
		/* RFC 6793 4.1: between NEW speakers AS4_PATH/AS4_AGGREGATOR are discarded. */
		u->discarded_attrs += (guint)have_as4 + (guint)a->has_as4_aggregator;
		return;
	}
	/* RFC 6793 4.2.3: an AGGREGATOR with a real AS (not AS_TRANS) means the
	 * aggregating speaker was OLD: AS4_AGGREGATOR and AS4_PATH are ignored. */
	if ((at->present & RFM_BGP_HAS_AGGREGATOR) && at->aggregator_as != RFM_BGP_AS_TRANS) {
		u->discarded_attrs += (guint)have_as4 + (guint)a->has_as4_aggregator;
		return;
	}
	if (a->has_as4_aggregator) {
		if (at->present & RFM_BGP_HAS_AGGREGATOR) {
			at->aggregator_as = a->as4_aggregator_as;
			at->aggregator_id = a->as4_aggregator_id;
		} else {
			u->discarded_attrs++;
		}
	}
	if (!have_as4)
		return;
	if (!a->as4_path_ok || !(at->present & RFM_BGP_HAS_AS_PATH)) {
		u->discarded_attrs++; /* RFC 6793 6: malformed AS4_PATH, or no AS_PATH to merge */
		return;
	}
	struct rfm_bgp_as_path p4 = {0}, merged = {0};
	as_path_fill(a->as4_path, 4, true, &p4);
	if (as4_merge(&at->as_path, &p4, &merged)) {
		rfm_bgp_as_path_clear(&at->as_path);
		at->as_path = merged;
	} else {
		u->discarded_attrs++;
	}
	rfm_bgp_as_path_clear(&p4);
}

void rfm_bgp_update_clear(struct rfm_bgp_update *u)
{
	if (!u)
		return;
	g_free(u->announced);
	g_free(u->withdrawn);
	rfm_bgp_as_path_clear(&u->attrs.as_path);
	g_free(u->attrs.communities);
	g_free(u->attrs.large);
	memset(u, 0, sizeof(*u));
}

bool rfm_bgp_update_parse(const guint8 *msg, gsize len, const struct rfm_bgp_caps *caps,
			  struct rfm_bgp_update *u, GError **error)
{
	struct attr_scan a = {0};
	guint nw = 0, nn = 0, nmr = 0, nmu = 0;

	rfm_bgp_update_clear(u);
	if (!header_exact(msg, len, RFM_BGP_MSG_UPDATE, "UPDATE", error))
		return false;
	/* RFC 4271 4.3: Withdrawn Routes Length (2), Withdrawn Routes, Total Path
	 * Attribute Length (2), Path Attributes, NLRI (the rest). */
	const guint8 *body = msg + RFM_BGP_HEADER_LEN;
	gsize blen = len - RFM_BGP_HEADER_LEN;
	if (blen < 4) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER,
			    "UPDATE: length %zu < 23 (RFC 4271 4.3)", len);
		return false;
	}
	struct slice wd = {body + 2, get16(body)};
	if (wd.len > blen - 4) {
		g_set_error(
			error, RFM_BGP_ERROR, RFM_BGP_ERROR_TRUNCATED,
			"UPDATE: Withdrawn Routes Length %zu overruns the message (RFC 4271 6.3)",
			wd.len);
		return false;
	}
	struct slice at = {body + 4 + wd.len, get16(body + 2 + wd.len)};
	if (at.len > blen - 4 - wd.len) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_TRUNCATED,
			    "UPDATE: Total Path Attribute Length %zu overruns the message "
			    "(RFC 4271 6.3)",
			    at.len);
		return false;
	}
	struct slice nlri = {at.p + at.len, blen - 4 - wd.len - at.len};

	/* Which encoding each NLRI block has (see nlri_mode()), then validate and count. */
	bool ap_wd, ap_nlri, ap_reach = false, ap_unreach = false, sw;
	if (!nlri_mode(wd, 4, caps->add_path_v4, &ap_wd, &sw, "Withdrawn Routes", error))
		goto fail;
	u->add_path_swapped += sw;
	if (!nlri_mode(nlri, 4, caps->add_path_v4, &ap_nlri, &sw, "NLRI", error))
		goto fail;
	u->add_path_swapped += sw;
	if (!attrs_walk(at, caps, u, &a, error))
		goto fail;
	if (a.reach_family) {
		if (!nlri_mode(a.reach_nlri, a.reach_family, add_path_for(caps, a.reach_family),
			       &ap_reach, &sw, "MP_REACH_NLRI", error))
			goto fail;
		u->add_path_swapped += sw;
	}
	if (a.unreach_family) {
		if (!nlri_mode(a.unreach_nlri, a.unreach_family,
			       add_path_for(caps, a.unreach_family), &ap_unreach, &sw,
			       "MP_UNREACH_NLRI", error))
			goto fail;
		u->add_path_swapped += sw;
	}
	nlri_walk(wd, 4, ap_wd, false, NULL, &nw, NULL, "", NULL);
	nlri_walk(nlri, 4, ap_nlri, false, NULL, &nn, NULL, "", NULL);
	if (a.reach_family)
		nlri_walk(a.reach_nlri, a.reach_family, ap_reach, true, NULL, &nmr, NULL, "", NULL);
	if (a.unreach_family)
		nlri_walk(a.unreach_nlri, a.unreach_family, ap_unreach, true, NULL, &nmu, NULL, "",
			  NULL);

	/* Counted and validated: now fill arrays of exact size. withdrawn gets room
	 * for the announced prefixes too, for treat-as-withdraw. */
	guint n_ann = nn + nmr, n_wd = nw + nmu;
	if (n_ann)
		u->announced = g_new(struct rfm_bgp_prefix, n_ann);
	if (n_wd + n_ann)
		u->withdrawn = g_new(struct rfm_bgp_prefix, n_wd + n_ann);
	guint k;
	if (nw)
		nlri_walk(wd, 4, ap_wd, false, u->withdrawn, &k, NULL, "", NULL);
	if (nmu)
		nlri_walk(a.unreach_nlri, a.unreach_family, ap_unreach, true, u->withdrawn + nw, &k,
			  NULL, "", NULL);
	if (nn)
		nlri_walk(nlri, 4, ap_nlri, false, u->announced, &k, NULL, "", NULL);
	if (nmr)
		nlri_walk(a.reach_nlri, a.reach_family, ap_reach, true, u->announced + nn, &k, NULL,
			  "", NULL);
	u->n_announced = n_ann;
	u->n_withdrawn = n_wd;

	as_path_finish(caps, u, &a);

	if (u->treat_as_withdraw && u->n_announced) {
		memcpy(u->withdrawn + u->n_withdrawn, u->announced,
		       u->n_announced * sizeof(*u->announced));
		u->n_withdrawn += u->n_announced;
		g_free(u->announced);
		u->announced = NULL;
		u->n_announced = 0;
	}

	/* RFC 4724 2: End-of-RIB. IPv4 unicast: no withdrawn routes, no attributes,
	 * no NLRI. Others: only an MP_UNREACH_NLRI without withdrawn routes. */
	if (wd.len == 0 && at.len == 0 && nlri.len == 0) {
		u->end_of_rib = true;
		u->eor_afi = RFM_BGP_AFI_IPV4;
		u->eor_safi = RFM_BGP_SAFI_UNICAST;
	} else if (wd.len == 0 && nlri.len == 0 && (u->attrs.present & RFM_BGP_HAS_MP_UNREACH) &&
		   !(u->attrs.present & RFM_BGP_HAS_MP_REACH) && a.unreach_nlri.len == 0) {
		u->end_of_rib = true;
		u->eor_afi = a.unreach_afi;
		u->eor_safi = a.unreach_safi;
	}
	return true;

fail:
	rfm_bgp_update_clear(u);
	return false;
}

const struct rfm_bgp_addr *rfm_bgp_update_next_hop(const struct rfm_bgp_update *u,
						   const struct rfm_bgp_prefix *p)
{
	return p->mp ? &u->mp_next_hop : &u->attrs.next_hop;
}

/* RFC 5492 4: Capability Code (1), Length (1), Value; several per parameter. */
static bool caps_walk(struct slice s, struct rfm_bgp_open *o, GError **error)
{
	gsize off = 0;

	while (off < s.len) {
		if (s.len - off < 2) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
				    "OPEN: capability header cut short (RFC 5492 4)");
			return false;
		}
		guint8 code = s.p[off];
		guint clen = s.p[off + 1];
		if (clen > s.len - off - 2) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
				    "OPEN: capability %u length %u overruns its parameter "
				    "(RFC 5492 4)",
				    code, clen);
			return false;
		}
		const guint8 *v = s.p + off + 2;
		off += 2 + clen;
		o->n_caps++;
		/* A known capability with a wrong length is ignored, not fatal. */
		switch (code) {
		case RFM_BGP_CAP_MP: /* RFC 4760 8: AFI (2), Reserved (1), SAFI (1) */
			if (clen == 4 && v[3] == RFM_BGP_SAFI_UNICAST) {
				if (get16(v) == RFM_BGP_AFI_IPV4)
					o->mp_ipv4_unicast = true;
				else if (get16(v) == RFM_BGP_AFI_IPV6)
					o->mp_ipv6_unicast = true;
			}
			break;
		case RFM_BGP_CAP_EXTENDED_MESSAGE: /* RFC 8654 3: no value */
			o->extended_message = true;
			break;
		case RFM_BGP_CAP_AS4: /* RFC 6793 3: the 4-octet AS */
			if (clen == 4) {
				o->as4 = true;
				o->asn = get32(v);
			}
			break;
		case RFM_BGP_CAP_ADD_PATH: /* RFC 7911 4: (AFI (2), SAFI (1), Send/Receive (1))* */
			if (clen % 4)
				break;
			for (guint i = 0; i < clen; i += 4) {
				guint8 fam = afi_safi_family(get16(v + i), v[i + 2]);
				guint8 sr = v[i + 3] &
					    (RFM_BGP_ADD_PATH_RECEIVE | RFM_BGP_ADD_PATH_SEND);
				if (fam == 4) {
					o->add_path_v4 = sr;
					o->add_path_v4_present = true;
				} else if (fam == 6) {
					o->add_path_v6 = sr;
					o->add_path_v6_present = true;
				}
			}
			break;
		default:
			break;
		}
	}
	return true;
}

bool rfm_bgp_open_parse(const guint8 *msg, gsize len, struct rfm_bgp_open *o, GError **error)
{
	memset(o, 0, sizeof(*o));
	if (!header_exact(msg, len, RFM_BGP_MSG_OPEN, "OPEN", error))
		return false;
	/* RFC 4271 4.2: Version (1), My AS (2), Hold Time (2), BGP Identifier (4),
	 * Opt Parm Len (1), Optional Parameters. */
	const guint8 *b = msg + RFM_BGP_HEADER_LEN;
	gsize blen = len - RFM_BGP_HEADER_LEN;
	if (blen < 10) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
			    "OPEN: length %zu < 29 (RFC 4271 4.2)", len);
		return false;
	}
	o->version = b[0];
	o->my_as = get16(b + 1);
	o->hold_time = get16(b + 3);
	o->bgp_id = get32(b + 5);
	o->asn = o->my_as;
	gsize plen = b[9];
	gsize off = 10;
	bool ext = false;
	/* RFC 9072 2: Non-Ext OP Len 255 and Non-Ext OP Type 255 announce 2-octet lengths. */
	if (plen == 255 && blen >= 11 && b[10] == 255) {
		if (blen < 13) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
				    "OPEN: extended optional parameters length cut short "
				    "(RFC 9072 2)");
			return false;
		}
		plen = get16(b + 11);
		off = 13;
		ext = true;
	}
	if (plen != blen - off) {
		g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
			    "OPEN: optional parameters length %zu, %zu octets present "
			    "(RFC 4271 4.2, RFC 9072 2)",
			    plen, blen - off);
		return false;
	}
	while (off < blen) {
		gsize hl = ext ? 3 : 2;
		if (blen - off < hl) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
				    "OPEN: optional parameter header cut short (RFC 4271 4.2)");
			return false;
		}
		guint8 ptype = b[off];
		gsize vlen = ext ? get16(b + off + 1) : b[off + 1];
		if (vlen > blen - off - hl) {
			g_set_error(error, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN,
				    "OPEN: optional parameter %u length %zu overruns the message "
				    "(RFC 4271 4.2)",
				    ptype, vlen);
			return false;
		}
		struct slice v = {b + off + hl, vlen};
		off += hl + vlen;
		if (ptype == 2 && !caps_walk(v, o, error)) /* RFC 5492 4: Capabilities */
			return false;
	}
	if (!o->as4)
		o->asn = o->my_as;
	return true;
}

void rfm_bgp_caps_from_opens(const struct rfm_bgp_open *speaker,
			     const struct rfm_bgp_open *receiver, struct rfm_bgp_caps *caps)
{
	caps->as4 = speaker->as4 && receiver->as4;
	caps->add_path_v4 = (speaker->add_path_v4 & RFM_BGP_ADD_PATH_SEND) &&
			    (receiver->add_path_v4 & RFM_BGP_ADD_PATH_RECEIVE);
	caps->add_path_v6 = (speaker->add_path_v6 & RFM_BGP_ADD_PATH_SEND) &&
			    (receiver->add_path_v6 & RFM_BGP_ADD_PATH_RECEIVE);
}

const char *rfm_bgp_addr_str(const struct rfm_bgp_addr *a, char *buf, gsize size)
{
	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (a->family == 4 || a->family == 6)
		inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, buf, (socklen_t)size);
	return buf;
}

const char *rfm_bgp_prefix_str(const struct rfm_bgp_prefix *p, char *buf, gsize size)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, addr, sizeof(addr)))
		addr[0] = '\0';
	g_snprintf(buf, size, "%s/%u", addr, p->len);
	return buf;
}

char *rfm_bgp_as_path_str(const struct rfm_bgp_as_path *p)
{
	GString *s = g_string_new(NULL);

	for (guint i = 0; i < p->n_segs; i++) {
		const struct rfm_bgp_as_segment *seg = &p->segs[i];
		bool set = seg->type == RFM_BGP_AS_SET || seg->type == RFM_BGP_AS_CONFED_SET;
		const char *open = seg->type == RFM_BGP_AS_SET		     ? "{"
				   : seg->type == RFM_BGP_AS_CONFED_SEQUENCE ? "("
				   : seg->type == RFM_BGP_AS_CONFED_SET	     ? "["
									     : "";
		const char *close = seg->type == RFM_BGP_AS_SET		      ? "}"
				    : seg->type == RFM_BGP_AS_CONFED_SEQUENCE ? ")"
				    : seg->type == RFM_BGP_AS_CONFED_SET      ? "]"
									      : "";
		if (s->len)
			g_string_append_c(s, ' ');
		g_string_append(s, open);
		for (guint j = 0; j < seg->count; j++)
			g_string_append_printf(s, "%s%u", j ? (set ? "," : " ") : "",
					       p->asns[seg->first + j]);
		g_string_append(s, close);
	}
	return g_string_free(s, FALSE);
}
