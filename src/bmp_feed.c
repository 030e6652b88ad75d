// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bmp_feed.c - a BMP session's messages turned into RIB changes (RFC 7854,
 * RFC 9069 Loc-RIB, RFC 8671 Adj-RIB-Out). Pure with respect to I/O: bytes
 * in, RIB calls out.
 */
#include "bmp_feed.h"

#include <string.h>

#include "bgp_parse.h"
#include "bmp_parse.h"
#include "rib.h"

/* DOC: what a Peer Up told about one monitored peer. Owned by the feed. */
struct peer_opens {
	struct rfm_bmp_peer_hdr hdr;
	struct rfm_bgp_open sent, received;
};

/* DOC: one session's decoding state. Owned by its creator; rib borrowed. */
struct rfm_bmp_feed {
	struct rfm_rib *rib;
	guint32 session;
	guint32 max_message;
	GByteArray *buf; /* owned: bytes not yet applied start at off */
	gsize off;
	GArray *peers; /* struct peer_opens, few per session: searched linearly */
	struct rfm_bgp_update upd;
	char *sys_name; /* owned */
	struct rfm_bmp_feed_stats stats;
};

struct rfm_bmp_feed *rfm_bmp_feed_new(struct rfm_rib *rib, guint32 session, guint32 max_message)
{
	struct rfm_bmp_feed *f = g_new0(struct rfm_bmp_feed, 1);

	f->rib = rib;
	f->session = session;
	f->max_message = max_message;
	f->buf = g_byte_array_new();
	f->peers = g_array_new(FALSE, TRUE, sizeof(struct peer_opens));
	return f;
}

void rfm_bmp_feed_free(struct rfm_bmp_feed *f)
{
	if (!f)
		return;
	g_byte_array_unref(f->buf);
	g_array_unref(f->peers);
	rfm_bgp_update_clear(&f->upd);
	g_free(f->sys_name);
	g_free(f);
}

static struct peer_opens *peer_find(struct rfm_bmp_feed *f, const struct rfm_bmp_peer_hdr *h)
{
	for (guint i = 0; i < f->peers->len; i++) {
		struct peer_opens *p = &g_array_index(f->peers, struct peer_opens, i);

		if (rfm_bmp_peer_same(&p->hdr, h))
			return p;
	}
	return NULL;
}

static int rib_view_of(enum rfm_bmp_rib_view v)
{
	switch (v) {
	case RFM_BMP_VIEW_ADJ_IN_PRE:
		return RFM_VIEW_IN_PRE;
	case RFM_BMP_VIEW_ADJ_IN_POST:
		return RFM_VIEW_IN_POST;
	case RFM_BMP_VIEW_LOC_RIB:
		return RFM_VIEW_LOC_RIB;
	case RFM_BMP_VIEW_ADJ_OUT_PRE:
		return RFM_VIEW_OUT_PRE;
	case RFM_BMP_VIEW_ADJ_OUT_POST:
		return RFM_VIEW_OUT_POST;
	default:
		return -1;
	}
}

static void peer_key(const struct rfm_bmp_feed *f, const struct rfm_bmp_peer_hdr *h, int view,
		     struct rfm_rib_peer_key *key)
{
	memset(key, 0, sizeof(*key));
	key->session = f->session;
	key->peer_type = h->type;
	key->view = view;
	key->addr_version = h->addr.family;
	memcpy(key->addr, h->addr.addr, 16);
	key->distinguisher = h->distinguisher;
}

/* RFC 7854 section 4.6: apply the UPDATE of a Route Monitoring message. */
static bool apply_route_monitoring(struct rfm_bmp_feed *f, const struct rfm_bmp_msg *m,
				   GError **error)
{
	const struct peer_opens *po = peer_find(f, &m->peer);
	const struct rfm_bgp_attrs *at = &f->upd.attrs;
	struct rfm_rib_peer_key key;
	struct rfm_rib_attrs ra = {0};
	struct rfm_bgp_caps caps;
	int view = rib_view_of(m->peer.view);
	guint32 peer_id;

	if (view < 0)
		return true; /* a peer type this version does not know: skipped */
	rfm_bmp_update_caps(&m->peer, po ? &po->sent : NULL, po ? &po->received : NULL, &caps);
	if (!rfm_bgp_update_parse(m->u.route_monitoring.update.data,
				  m->u.route_monitoring.update.len, &caps, &f->upd, error))
		return false;
	if (f->upd.treat_as_withdraw)
		f->stats.updates_treat_as_withdraw++;
	if (f->upd.end_of_rib)
		f->stats.end_of_rib++;
	peer_key(f, &m->peer, view, &key);
	peer_id = rfm_rib_peer_get(f->rib, &key, m->peer.as);
	if (!peer_id) {
		f->stats.routes_dropped += f->upd.n_announced;
		return true;
	}
	for (guint i = 0; i < f->upd.n_withdrawn; i++) {
		const struct rfm_bgp_prefix *p = &f->upd.withdrawn[i];

		rfm_rib_withdraw(f->rib, peer_id, p->family, p->addr, p->len, p->path_id);
		f->stats.routes_withdrawn++;
	}
	if (!f->upd.n_announced)
		return true;

	/*
	 * FRR 8.4 (and others reusing their eBGP outbound encoder for BMP) put
	 * the monitored router's own AS in front of Adj-RIB-In paths. A path an
	 * external peer sent cannot start with the receiver's AS (RFC 4271
	 * 9.1.2: the peer prepends its own), so drop it: the first AS is then
	 * the neighbour's, as bgpPrevAdjacentAsNumber/NextAdjacent expect.
	 */
	if (po && (view == RFM_VIEW_IN_PRE || view == RFM_VIEW_IN_POST) && po->sent.asn &&
	    m->peer.as != po->sent.asn &&
	    rfm_bgp_as_path_strip_first(&f->upd.attrs.as_path, po->sent.asn))
		f->stats.own_as_stripped++;
	ra.origin = (at->present & RFM_BGP_HAS_ORIGIN) ? at->origin : RFM_BGP_ORIGIN_INCOMPLETE;
	ra.origin_as = rfm_bgp_as_path_origin(&at->as_path);
	/* An empty path: the route comes from the AS the header names (Loc-RIB, iBGP). */
	if (!at->as_path.n_segs)
		ra.origin_as = m->peer.as;
	ra.first_as = rfm_bgp_as_path_first(&at->as_path);
	ra.path_len = (guint16)MIN(rfm_bgp_as_path_length(&at->as_path), G_MAXUINT16);
	ra.as_path = at->as_path.asns;
	ra.as_path_count = (guint16)MIN(at->as_path.n_asns, G_MAXUINT16);
	ra.has_med = (at->present & RFM_BGP_HAS_MED) != 0;
	ra.med = at->med;
	ra.has_local_pref = (at->present & RFM_BGP_HAS_LOCAL_PREF) != 0;
	ra.local_pref = at->local_pref;
	ra.communities = at->communities;
	ra.community_count = (guint16)MIN(at->n_communities, G_MAXUINT16);
	G_STATIC_ASSERT(sizeof(struct rfm_bgp_large_community) == 12);
	ra.large_communities = (const guint32 *)at->large;
	ra.large_community_count = (guint16)MIN(at->n_large, G_MAXUINT16);
	for (guint i = 0; i < f->upd.n_announced; i++) {
		const struct rfm_bgp_prefix *p = &f->upd.announced[i];
		const struct rfm_bgp_addr *nh = rfm_bgp_update_next_hop(&f->upd, p);

		ra.nh_version = nh ? nh->family : 0;
		memset(ra.next_hop, 0, sizeof(ra.next_hop));
		if (nh && nh->family)
			memcpy(ra.next_hop, nh->addr, 16);
		if (rfm_rib_announce(f->rib, peer_id, p->family, p->addr, p->len, p->path_id, &ra))
			f->stats.routes_announced++;
		else
			f->stats.routes_dropped++;
	}
	return true;
}

/* RFC 7854 section 4.9: the peer's routes go, in every view. */
static void apply_peer_down(struct rfm_bmp_feed *f, const struct rfm_bmp_peer_hdr *h)
{
	for (int view = 0; view < RFM_VIEW_MAX; view++) {
		struct rfm_rib_peer_key key;

		peer_key(f, h, view, &key);
		rfm_rib_peer_down(f->rib, rfm_rib_peer_find(f->rib, &key));
	}
	for (guint i = 0; i < f->peers->len; i++) {
		if (rfm_bmp_peer_same(&g_array_index(f->peers, struct peer_opens, i).hdr, h)) {
			g_array_remove_index_fast(f->peers, i);
			break;
		}
	}
}

static bool apply(struct rfm_bmp_feed *f, const guint8 *msg, gsize len, GError **error)
{
	struct rfm_bmp_msg m;
	struct peer_opens *po;

	if (!rfm_bmp_msg_parse(msg, len, &m, error))
		return false;
	f->stats.messages[m.known && m.type < 7 ? m.type : 7]++;
	if (!m.known)
		return true;
	switch (m.type) {
	case RFM_BMP_MSG_ROUTE_MONITORING:
		return apply_route_monitoring(f, &m, error);
	case RFM_BMP_MSG_PEER_UP:
		po = peer_find(f, &m.peer);
		if (!po) {
			g_array_set_size(f->peers, f->peers->len + 1);
			po = &g_array_index(f->peers, struct peer_opens, f->peers->len - 1);
		}
		po->hdr = m.peer;
		po->sent = m.u.peer_up.sent;
		po->received = m.u.peer_up.received;
		f->stats.peers_up = f->peers->len;
		return true;
	case RFM_BMP_MSG_PEER_DOWN:
		apply_peer_down(f, &m.peer);
		f->stats.peers_up = f->peers->len;
		return true;
	case RFM_BMP_MSG_INITIATION:
		if (m.u.initiation.sys_name.len) {
			g_free(f->sys_name);
			f->sys_name = g_strndup((const char *)m.u.initiation.sys_name.data,
						m.u.initiation.sys_name.len);
		}
		return true;
	default:
		/* Statistics Report, Termination, Route Mirroring: counted only. */
		return true;
	}
}

bool rfm_bmp_feed_push(struct rfm_bmp_feed *f, const guint8 *buf, gsize len, GError **error)
{
	g_byte_array_append(f->buf, buf, len);
	f->stats.bytes += len;
	for (;;) {
		gsize mlen;

		if (!rfm_bmp_frame(f->buf->data + f->off, f->buf->len - f->off, f->max_message,
				   &mlen, error))
			return false;
		if (!mlen)
			break;
		if (!apply(f, f->buf->data + f->off, mlen, error))
			return false;
		f->off += mlen;
	}
	/* Keep only the partial message at the front. */
	if (f->off) {
		g_byte_array_remove_range(f->buf, 0, f->off);
		f->off = 0;
	}
	return true;
}

gsize rfm_bmp_feed_pending(const struct rfm_bmp_feed *f)
{
	return f->buf->len - f->off;
}

const char *rfm_bmp_feed_sys_name(const struct rfm_bmp_feed *f)
{
	return f->sys_name;
}

void rfm_bmp_feed_get_stats(const struct rfm_bmp_feed *f, struct rfm_bmp_feed_stats *out)
{
	*out = f->stats;
}

bool rfm_bmp_feed_file(struct rfm_rib *rib, guint32 session, const char *path, GError **error)
{
	g_autofree gchar *data = NULL;
	struct rfm_bmp_feed *f;
	gsize len;
	bool ok;

	if (!g_file_get_contents(path, &data, &len, error))
		return false;
	f = rfm_bmp_feed_new(rib, session, 16U << 20);
	ok = rfm_bmp_feed_push(f, (const guint8 *)data, len, error);
	/* Offline, no main loop runs the RIB's sweep: free what Peer Downs left now. */
	while (rfm_rib_sweep_step(rib))
		;
	if (ok && rfm_bmp_feed_pending(f)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "%s: ends inside a BMP message (%" G_GSIZE_FORMAT " bytes left)", path,
			    rfm_bmp_feed_pending(f));
		ok = false;
	}
	if (!ok)
		g_prefix_error(error, "%s: ", path);
	rfm_bmp_feed_free(f);
	return ok;
}
