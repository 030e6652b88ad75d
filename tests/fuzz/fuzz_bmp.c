/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_bmp.c - libFuzzer target over the BMP decoder: the input is a BMP
 * stream, framed, each message decoded, Peer Up OPENs kept per the last peer
 * and every Route Monitoring UPDATE decoded with the caps they give, as the
 * collector does. Every decoded field is read so that ASan sees it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bmp_parse.h"

static volatile guint64 sink;

static void use_update(const struct rfm_bgp_update *u)
{
	char buf[64];

	for (guint i = 0; i < u->n_announced; i++) {
		rfm_bgp_prefix_str(&u->announced[i], buf, sizeof(buf));
		rfm_bgp_addr_str(rfm_bgp_update_next_hop(u, &u->announced[i]), buf, sizeof(buf));
		sink += u->announced[i].path_id + buf[0];
	}
	for (guint i = 0; i < u->n_withdrawn; i++)
		sink += rfm_bgp_prefix_str(&u->withdrawn[i], buf, sizeof(buf))[0];
	sink += rfm_bgp_as_path_origin(&u->attrs.as_path) +
		rfm_bgp_as_path_first(&u->attrs.as_path) +
		rfm_bgp_as_path_length(&u->attrs.as_path);
	char *s = rfm_bgp_as_path_str(&u->attrs.as_path);
	sink += s[0];
	g_free(s);
	for (guint i = 0; i < u->attrs.n_communities; i++)
		sink += u->attrs.communities[i];
	for (guint i = 0; i < u->attrs.n_large; i++)
		sink += u->attrs.large[i].local2;
}

static void walk_tlvs(struct rfm_bmp_bytes b)
{
	struct rfm_bmp_tlv t;

	while (rfm_bmp_tlv_next(&b, &t))
		sink += t.type + (t.value.len ? t.value.data[t.value.len - 1] : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfm_bgp_open sent, received;
	bool have_opens = false;
	gsize off = 0, n;
	GError *err = NULL;

	while (off < size) {
		if (!rfm_bmp_frame(data + off, size - off, 1 << 20, &n, &err)) {
			g_clear_error(&err);
			break;
		}
		if (n == 0)
			break;
		/* An exact-size copy: a read past the message is a read past the heap block. */
		guint8 *msg = g_memdup2(data + off, n);
		struct rfm_bmp_msg m;
		off += n;
		if (!rfm_bmp_msg_parse(msg, n, &m, &err)) {
			g_clear_error(&err);
			g_free(msg);
			continue;
		}
		sink += m.peer.view + m.peer.as + m.known;
		switch (m.type) {
		case RFM_BMP_MSG_PEER_UP:
			sent = m.u.peer_up.sent;
			received = m.u.peer_up.received;
			have_opens = true;
			walk_tlvs(m.u.peer_up.tlvs);
			sink += m.u.peer_up.sent_open.data[m.u.peer_up.sent_open.len - 1];
			sink += m.u.peer_up.received_open.data[m.u.peer_up.received_open.len - 1];
			break;
		case RFM_BMP_MSG_ROUTE_MONITORING: {
			struct rfm_bgp_caps caps;
			struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

			rfm_bmp_update_caps(&m.peer, have_opens ? &sent : NULL,
					    have_opens ? &received : NULL, &caps);
			if (rfm_bgp_update_parse(m.u.route_monitoring.update.data,
						 m.u.route_monitoring.update.len, &caps, &u, &err))
				use_update(&u);
			g_clear_error(&err);
			rfm_bgp_update_clear(&u);
			break;
		}
		case RFM_BMP_MSG_STATISTICS_REPORT: {
			struct rfm_bmp_bytes b = m.u.stats.tlvs;
			struct rfm_bmp_stat st;
			while (rfm_bmp_stat_next(&b, &st))
				sink += st.value;
			break;
		}
		case RFM_BMP_MSG_INITIATION:
			walk_tlvs(m.u.initiation.tlvs);
			break;
		case RFM_BMP_MSG_TERMINATION:
			walk_tlvs(m.u.termination.tlvs);
			break;
		case RFM_BMP_MSG_PEER_DOWN:
			sink += m.u.peer_down.reason + m.u.peer_down.data.len;
			break;
		default:
			break;
		}
		g_free(msg);
	}
	return 0;
}
