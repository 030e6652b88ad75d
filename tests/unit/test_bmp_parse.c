/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_bmp_parse.c - BMP decoding: the streams recorded from gobgpd and FRR
 * (tests/fixtures/bmp) replayed message by message into a small RIB that is
 * compared route by route with the hand-written *.expected files; and
 * messages built here: framing, Peer Down then Peer Up, Route Mirroring,
 * Loc-RIB and Adj-RIB-Out peers, Add-Path caps, truncation at every length.
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "bmp_parse.h"
#include "msg_build.h"

#define MAX_MSG (1u << 20)

/* ---- replaying a fixture into a small RIB ---- */

/* DOC: what one fixture stream left: routes by "peer view prefix path_id". */
struct replay {
	GHashTable *routes;    /* key -> "STATE attrs" (owned strings) */
	GHashTable *opens;     /* peer string -> struct peer_opens (owned) */
	GPtrArray *peer_downs; /* "PEER REASON" */
	guint counts[8];       /* per message type; [7]: unknown */
};

struct peer_opens {
	struct rfm_bgp_open sent, received;
};

static const char *origin_name(const struct rfm_bgp_attrs *a)
{
	static const char *const names[] = {"igp", "egp", "incomplete"};

	if (!(a->present & RFM_BGP_HAS_ORIGIN))
		return "-";
	return names[a->origin];
}

/* The attribute tokens of an expected line, in the same form. */
static char *attrs_string(const struct rfm_bgp_update *u, const struct rfm_bgp_prefix *p)
{
	const struct rfm_bgp_attrs *a = &u->attrs;
	GString *s = g_string_new(NULL);
	g_autofree char *path = rfm_bgp_as_path_str(&a->as_path);
	char nh[64];

	g_string_append_printf(s, "origin=%s|as_path=%s|origin_as=%u|next_hop=%s", origin_name(a),
			       path, rfm_bgp_as_path_origin(&a->as_path),
			       rfm_bgp_addr_str(rfm_bgp_update_next_hop(u, p), nh, sizeof(nh)));
	if (a->present & RFM_BGP_HAS_LOCAL_PREF)
		g_string_append_printf(s, "|local_pref=%u", a->local_pref);
	else
		g_string_append(s, "|local_pref=-");
	if (a->present & RFM_BGP_HAS_MED)
		g_string_append_printf(s, "|med=%u", a->med);
	else
		g_string_append(s, "|med=-");
	g_string_append(s, "|communities=");
	for (guint i = 0; i < a->n_communities; i++)
		g_string_append_printf(s, "%s%u:%u", i ? "," : "", a->communities[i] >> 16,
				       a->communities[i] & 0xffff);
	if (!a->n_communities)
		g_string_append_c(s, '-');
	g_string_append(s, "|large=");
	for (guint i = 0; i < a->n_large; i++)
		g_string_append_printf(s, "%s%u:%u:%u", i ? "," : "", a->large[i].global,
				       a->large[i].local1, a->large[i].local2);
	if (!a->n_large)
		g_string_append_c(s, '-');
	return g_string_free(s, FALSE);
}

static char *peer_string(const struct rfm_bmp_peer_hdr *h)
{
	char buf[64];

	if (h->addr.family == 0)
		return g_strdup("-");
	return g_strdup(rfm_bgp_addr_str(&h->addr, buf, sizeof(buf)));
}

static char *route_key(const char *peer, const struct rfm_bmp_peer_hdr *h,
		       const struct rfm_bgp_prefix *p)
{
	char buf[64];

	return g_strdup_printf("%s %s %s %u", peer, rfm_bmp_view_name(h->view),
			       rfm_bgp_prefix_str(p, buf, sizeof(buf)), p->path_id);
}

static void replay_route_monitoring(struct replay *r, const struct rfm_bmp_msg *m)
{
	g_autofree char *peer = peer_string(&m->peer);
	struct peer_opens *po = g_hash_table_lookup(r->opens, peer);
	struct rfm_bgp_caps caps;
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	rfm_bmp_update_caps(&m->peer, po ? &po->sent : NULL, po ? &po->received : NULL, &caps);
	g_assert_true(rfm_bgp_update_parse(m->u.route_monitoring.update.data,
					   m->u.route_monitoring.update.len, &caps, &u, &err));
	g_assert_no_error(err);
	g_assert_false(u.treat_as_withdraw);
	g_assert_cmpuint(u.skipped_mp, ==, 0);
	for (guint i = 0; i < u.n_withdrawn; i++) {
		char *key = route_key(peer, &m->peer, &u.withdrawn[i]);
		const char *old = g_hash_table_lookup(r->routes, key);
		const char *attrs = old ? strchr(old, ' ') + 1 : "-";

		g_hash_table_replace(r->routes, key, g_strdup_printf("withdrawn %s", attrs));
	}
	for (guint i = 0; i < u.n_announced; i++) {
		g_autofree char *attrs = attrs_string(&u, &u.announced[i]);

		g_hash_table_replace(r->routes, route_key(peer, &m->peer, &u.announced[i]),
				     g_strdup_printf("announced %s", attrs));
	}
	rfm_bgp_update_clear(&u);
}

static void replay_file(struct replay *r, const char *path)
{
	g_autofree gchar *data = NULL;
	gsize len, off = 0, n;
	g_autoptr(GError) err = NULL;

	g_assert_true(g_file_get_contents(path, &data, &len, &err));
	g_assert_no_error(err);
	while (off < len) {
		struct rfm_bmp_msg m;

		g_assert_true(rfm_bmp_frame((guint8 *)data + off, len - off, MAX_MSG, &n, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(n, >, 0); /* the fixture ends on a message boundary */
		/* Decode from an exact-size copy, so that ASan sees any overread. */
		g_autofree guint8 *msg = g_memdup2(data + off, n);
		g_assert_true(rfm_bmp_msg_parse(msg, n, &m, &err));
		g_assert_no_error(err);
		g_assert_true(m.known);
		r->counts[MIN(m.type, 7)]++;
		if (m.has_peer)
			g_assert_cmpint(m.peer.view, !=, RFM_BMP_VIEW_UNKNOWN);
		g_autofree char *peer = m.has_peer ? peer_string(&m.peer) : NULL;
		switch (m.type) {
		case RFM_BMP_MSG_PEER_UP: {
			struct peer_opens *po = g_new(struct peer_opens, 1);
			po->sent = m.u.peer_up.sent;
			po->received = m.u.peer_up.received;
			g_hash_table_replace(r->opens, g_strdup(peer), po);
			break;
		}
		case RFM_BMP_MSG_PEER_DOWN:
			g_ptr_array_add(r->peer_downs,
					g_strdup_printf("%s %u", peer, m.u.peer_down.reason));
			g_hash_table_remove(r->opens, peer);
			break;
		case RFM_BMP_MSG_ROUTE_MONITORING:
			replay_route_monitoring(r, &m);
			break;
		default:
			break;
		}
		off += n;
	}
}

static const char *const type_names[] = {"route-monitoring", "statistics-report", "peer-down",
					 "peer-up",	     "initiation",	  "termination",
					 "route-mirroring"};

static void test_fixture(gconstpointer data)
{
	const char *name = data;
	g_autofree char *bmp = g_strdup_printf("%s/%s.bmp", RFM_BMP_FIXTURES, name);
	g_autofree char *exp = g_strdup_printf("%s/%s.expected", RFM_BMP_FIXTURES, name);
	g_autofree gchar *text = NULL;
	g_autoptr(GError) err = NULL;
	struct replay r = {
		.routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
		.opens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
		.peer_downs = g_ptr_array_new_with_free_func(g_free),
	};
	guint down_i = 0, routes = 0;

	replay_file(&r, bmp);
	g_assert_true(g_file_get_contents(exp, &text, NULL, &err));
	g_assert_no_error(err);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++) {
		g_auto(GStrv) argv = NULL;
		int argc;

		if (**l == '#' || **l == '\0')
			continue;
		g_assert_true(g_shell_parse_argv(*l, &argc, &argv, &err));
		g_assert_no_error(err);
		if (g_str_equal(argv[0], "count")) {
			g_assert_cmpint(argc, ==, 3);
			guint t = G_N_ELEMENTS(type_names);
			for (guint i = 0; i < G_N_ELEMENTS(type_names); i++)
				if (g_str_equal(argv[1], type_names[i]))
					t = i;
			g_assert_cmpuint(t, <, G_N_ELEMENTS(type_names));
			g_test_message("count %s", argv[1]);
			g_assert_cmpuint(r.counts[t], ==, g_ascii_strtoull(argv[2], NULL, 10));
		} else if (g_str_equal(argv[0], "peer-down")) {
			g_autofree char *want = g_strdup_printf("%s %s", argv[1], argv[2]);
			g_assert_cmpuint(down_i, <, r.peer_downs->len);
			g_assert_cmpstr(g_ptr_array_index(r.peer_downs, down_i), ==, want);
			down_i++;
		} else {
			g_assert_cmpstr(argv[0], ==, "route");
			g_assert_cmpint(argc, ==, 14);
			g_autofree char *key =
				g_strdup_printf("%s %s %s %s", argv[1], argv[2], argv[3], argv[4]);
			g_autofree char *attrs = g_strjoinv("|", argv + 6);
			g_autofree char *want = g_strdup_printf("%s %s", argv[5], attrs);
			const char *got = g_hash_table_lookup(r.routes, key);
			g_test_message("route %s", key);
			g_assert_cmpstr(got, ==, want);
			routes++;
		}
	}
	/* Nothing more than expected: every route and every Peer Down is listed. */
	g_assert_cmpuint(routes, ==, g_hash_table_size(r.routes));
	g_assert_cmpuint(down_i, ==, r.peer_downs->len);
	g_assert_cmpuint(r.counts[7], ==, 0);
	g_hash_table_unref(r.routes);
	g_hash_table_unref(r.opens);
	g_ptr_array_unref(r.peer_downs);
}

/* Every message of every fixture cut at every length: an error, never a crash. */
static void test_fixture_truncation(void)
{
	static const char *const names[] = {"gobgp", "frr-connect"};

	for (gsize f = 0; f < G_N_ELEMENTS(names); f++) {
		g_autofree char *path = g_strdup_printf("%s/%s.bmp", RFM_BMP_FIXTURES, names[f]);
		g_autofree gchar *data = NULL;
		gsize len, off = 0, n;
		g_autoptr(GError) err = NULL;

		g_assert_true(g_file_get_contents(path, &data, &len, NULL));
		while (rfm_bmp_frame((guint8 *)data + off, len - off, MAX_MSG, &n, &err) && n) {
			for (gsize cut = 0; cut < n; cut++) {
				g_autofree guint8 *m = g_memdup2(data + off, cut);
				struct rfm_bmp_msg msg;
				gsize got;

				/* Framing: a prefix of a message is never complete. */
				g_assert_true(rfm_bmp_frame(m, cut, MAX_MSG, &got, &err));
				g_assert_cmpuint(got, ==, 0);
				/* Decoding with the length field saying cut: error or a
				 * (smaller) valid message. */
				if (cut >= 5) {
					m[1] = (guint8)(cut >> 24);
					m[2] = (guint8)(cut >> 16);
					m[3] = (guint8)(cut >> 8);
					m[4] = (guint8)cut;
				}
				if (!rfm_bmp_msg_parse(m, cut, &msg, &err)) {
					g_assert_nonnull(err);
					g_clear_error(&err);
				}
			}
			off += n;
		}
		g_assert_no_error(err);
		g_assert_cmpuint(off, ==, len);
	}
}

/* ---- messages built here ---- */

/* An OPEN with AS4 and, for IPv4 unicast, Add-Path send/receive value ap (0: none). */
static void put_open(GByteArray *b, guint32 as, guint ap)
{
	guint caps_len = 6 + (ap ? 6 : 0);

	put_bgp_header(b, (guint16)(29 + 2 + caps_len), 1);
	put8(b, 4);
	put16(b, as > 65535 ? 23456 : as);
	put16(b, 90);
	put32(b, 0xc0000200 | (as & 0xff));
	put8(b, 2 + caps_len);
	put8(b, 2);
	put8(b, caps_len);
	put8(b, 65);
	put8(b, 4);
	put32(b, as);
	if (ap) {
		put8(b, 69);
		put8(b, 4);
		put16(b, 1);
		put8(b, 1);
		put8(b, ap);
	}
}

static GByteArray *peer_up_msg(guint8 flags, guint sent_ap, guint recv_ap)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	guint8 local[16] = {0};

	put_peer(b, RFM_BMP_PEER_GLOBAL, flags, 0, "192.0.2.2", 64501, 0xc0000202);
	local[12] = 192;
	local[14] = 2;
	local[15] = 1;
	g_byte_array_append(b, local, 16);
	put16(b, 179);
	put16(b, 40000);
	put_open(b, 64500, sent_ap);
	put_open(b, 64501, recv_ap);
	put_tlv(b, RFM_BMP_INFO_STRING, "hello", 5);
	return bmp_msg(RFM_BMP_MSG_PEER_UP, b);
}

/* Route Monitoring carrying 192.0.2.0/24 (path id pid, or none when pid < 0). */
static GByteArray *route_monitoring_msg(guint8 peer_type, guint8 flags, const char *addr,
					gint64 pid)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	static const guint8 attrs[] = {
		0x40, 1, 1, 0,				/* ORIGIN IGP */
		0x40, 2, 6, 2,	 1, 0, 0,   0xfb, 0xf5, /* AS_PATH 64501 */
		0x40, 3, 4, 192, 0, 2, 254,		/* NEXT_HOP */
	};
	guint nlri_len = 4 + (pid >= 0 ? 4 : 0);

	put_peer(b, peer_type, flags, 0, addr, 64501, 0xc0000202);
	put_bgp_header(b, (guint16)(19 + 4 + sizeof(attrs) + nlri_len), 2);
	put16(b, 0);
	put16(b, sizeof(attrs));
	g_byte_array_append(b, attrs, sizeof(attrs));
	if (pid >= 0)
		put32(b, (guint32)pid);
	put8(b, 24);
	put8(b, 192);
	put8(b, 0);
	put8(b, 2);
	return bmp_msg(RFM_BMP_MSG_ROUTE_MONITORING, b);
}

static GByteArray *peer_down_msg(guint8 reason)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	put_peer(b, RFM_BMP_PEER_GLOBAL, 0, 0, "192.0.2.2", 64501, 0xc0000202);
	put8(b, reason);
	if (reason == 1 || reason == 3) {
		put_bgp_header(b, 21, 3);
		put8(b, 6); /* Cease */
		put8(b, 2); /* Administrative Shutdown */
	} else if (reason == 2) {
		put16(b, 18);
	}
	return bmp_msg(RFM_BMP_MSG_PEER_DOWN, b);
}

static bool msg_parse(const GByteArray *b, struct rfm_bmp_msg *m, GError **error)
{
	/* Exact-size copy for ASan; the decoded slices point into it, so it is
	 * kept until the next call (tests only use m before that). */
	static guint8 *copy;

	g_free(copy);
	copy = g_memdup2(b->data, b->len);
	return rfm_bmp_msg_parse(copy, b->len, m, error);
}

static void update_of(const struct rfm_bmp_msg *m, const struct rfm_bgp_caps *caps,
		      struct rfm_bgp_update *u)
{
	g_autoptr(GError) err = NULL;

	g_assert_cmpuint(m->type, ==, RFM_BMP_MSG_ROUTE_MONITORING);
	g_assert_true(rfm_bgp_update_parse(m->u.route_monitoring.update.data,
					   m->u.route_monitoring.update.len, caps, u, &err));
	g_assert_no_error(err);
}

static void test_frame(void)
{
	static const guint8 good[] = {3, 0, 0, 0, 6, 4, 3, 0};
	static const guint8 v2[] = {2, 0, 0, 0, 6, 4};
	static const guint8 short_len[] = {3, 0, 0, 0, 5, 4};
	static const guint8 huge[] = {3, 0xff, 0xff, 0xff, 0xff, 0};
	gsize n;
	g_autoptr(GError) err = NULL;

	g_assert_true(rfm_bmp_frame(good, 0, MAX_MSG, &n, &err));
	g_assert_cmpuint(n, ==, 0);
	for (gsize len = 1; len < 6; len++) {
		g_assert_true(rfm_bmp_frame(good, len, MAX_MSG, &n, &err));
		g_assert_cmpuint(n, ==, 0);
	}
	g_assert_true(rfm_bmp_frame(good, sizeof(good), MAX_MSG, &n, &err));
	g_assert_cmpuint(n, ==, 6);
	g_assert_no_error(err);
	/* A wrong version is seen from the first octet on. */
	g_assert_false(rfm_bmp_frame(v2, 1, MAX_MSG, &n, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_VERSION);
	g_clear_error(&err);
	g_assert_false(rfm_bmp_frame(short_len, sizeof(short_len), MAX_MSG, &n, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_LENGTH);
	g_clear_error(&err);
	/* Oversized length field: refused before any of it is buffered. */
	g_assert_false(rfm_bmp_frame(huge, 5, MAX_MSG, &n, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TOO_LONG);
	g_clear_error(&err);
	g_assert_false(rfm_bmp_frame(good, sizeof(good), 5, &n, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TOO_LONG);
}

static void test_initiation_termination(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	struct rfm_bmp_msg m;
	g_autoptr(GError) err = NULL;

	put_tlv(b, RFM_BMP_INFO_SYS_DESCR, "rfm test", 8);
	put_tlv(b, RFM_BMP_INFO_STRING, "free text", 9);
	put_tlv(b, RFM_BMP_INFO_SYS_NAME, "r1", 2);
	g_autoptr(GByteArray) init = bmp_msg(RFM_BMP_MSG_INITIATION, b);
	g_assert_true(msg_parse(init, &m, &err));
	g_assert_false(m.has_peer);
	g_assert_cmpmem(m.u.initiation.sys_name.data, m.u.initiation.sys_name.len, "r1", 2);
	g_assert_cmpmem(m.u.initiation.sys_descr.data, m.u.initiation.sys_descr.len, "rfm test", 8);
	struct rfm_bmp_bytes rest = m.u.initiation.tlvs;
	struct rfm_bmp_tlv t;
	guint n = 0;
	while (rfm_bmp_tlv_next(&rest, &t))
		n++;
	g_assert_cmpuint(n, ==, 3);

	/* a TLV overrunning the message */
	init->data[init->len - 3] = 3;
	g_assert_false(msg_parse(init, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED);
	g_clear_error(&err);

	g_byte_array_set_size(b, 0);
	guint8 reason[2] = {0, 2};
	put_tlv(b, RFM_BMP_TERM_STRING, "bye", 3);
	put_tlv(b, RFM_BMP_TERM_REASON, reason, 2);
	g_autoptr(GByteArray) term = bmp_msg(RFM_BMP_MSG_TERMINATION, b);
	g_assert_true(msg_parse(term, &m, &err));
	g_assert_true(m.u.termination.has_reason);
	g_assert_cmpuint(m.u.termination.reason, ==, 2);
}

/* Peer Up with Add-Path, routes, Peer Down (each reason), Peer Up again. */
static void test_peer_down_then_up(void)
{
	struct rfm_bmp_msg m;
	struct rfm_bgp_open sent, received;
	struct rfm_bgp_caps caps;
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;
	char buf[64];

	/* Router receives (1), peer sends (2): path ids in Adj-RIB-In. */
	g_autoptr(GByteArray) up = peer_up_msg(0, 1, 2);
	g_assert_true(msg_parse(up, &m, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(m.type, ==, RFM_BMP_MSG_PEER_UP);
	g_assert_cmpstr(rfm_bgp_addr_str(&m.peer.addr, buf, sizeof(buf)), ==, "192.0.2.2");
	g_assert_cmpstr(rfm_bgp_addr_str(&m.u.peer_up.local_addr, buf, sizeof(buf)), ==,
			"192.0.2.1");
	g_assert_cmpuint(m.u.peer_up.local_port, ==, 179);
	g_assert_cmpuint(m.u.peer_up.remote_port, ==, 40000);
	g_assert_cmpuint(m.u.peer_up.sent.asn, ==, 64500);
	g_assert_cmpuint(m.u.peer_up.received.asn, ==, 64501);
	g_assert_cmpuint(m.u.peer_up.sent_open.len, ==, 43);
	g_assert_cmpuint(m.u.peer_up.sent_open.data[18], ==, 1);
	g_assert_cmpuint(m.u.peer_up.tlvs.len, ==, 9);
	sent = m.u.peer_up.sent;
	received = m.u.peer_up.received;

	g_autoptr(GByteArray) rm = route_monitoring_msg(0, 0, "192.0.2.2", 5);
	g_assert_true(msg_parse(rm, &m, &err));
	g_assert_cmpint(m.peer.view, ==, RFM_BMP_VIEW_ADJ_IN_PRE);
	rfm_bmp_update_caps(&m.peer, &sent, &received, &caps);
	g_assert_true(caps.as4);
	g_assert_true(caps.add_path_v4);
	g_assert_false(caps.add_path_v6);
	update_of(&m, &caps, &u);
	g_assert_cmpuint(u.n_announced, ==, 1);
	g_assert_cmpuint(u.announced[0].path_id, ==, 5);

	static const struct {
		guint8 reason;
		guint8 code, subcode;
		guint16 fsm;
	} downs[] = {{1, 6, 2, 0}, {2, 0, 0, 18}, {3, 6, 2, 0}, {4, 0, 0, 0}, {5, 0, 0, 0}};
	for (gsize i = 0; i < G_N_ELEMENTS(downs); i++) {
		g_autoptr(GByteArray) down = peer_down_msg(downs[i].reason);
		g_assert_true(msg_parse(down, &m, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(m.type, ==, RFM_BMP_MSG_PEER_DOWN);
		g_assert_cmpuint(m.u.peer_down.reason, ==, downs[i].reason);
		g_assert_cmpuint(m.u.peer_down.notification_code, ==, downs[i].code);
		g_assert_cmpuint(m.u.peer_down.notification_subcode, ==, downs[i].subcode);
		g_assert_cmpuint(m.u.peer_down.fsm_event, ==, downs[i].fsm);
	}

	/* Up again without Add-Path: the same peer, new caps. */
	g_autoptr(GByteArray) up2 = peer_up_msg(0, 3, 0);
	g_assert_true(msg_parse(up2, &m, &err));
	rfm_bmp_update_caps(&m.peer, &m.u.peer_up.sent, &m.u.peer_up.received, &caps);
	g_assert_false(caps.add_path_v4);
	g_autoptr(GByteArray) rm2 = route_monitoring_msg(0, 0, "192.0.2.2", -1);
	g_assert_true(msg_parse(rm2, &m, &err));
	update_of(&m, &caps, &u);
	g_assert_cmpuint(u.n_announced, ==, 1);
	g_assert_cmpuint(u.announced[0].path_id, ==, 0);
	rfm_bgp_update_clear(&u);

	/* A Peer Down whose NOTIFICATION is cut, or not a NOTIFICATION. */
	g_autoptr(GByteArray) bad = peer_down_msg(1);
	bad->data[bad->len - 3] = 4; /* type KEEPALIVE */
	g_assert_false(msg_parse(bad, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED);
	g_clear_error(&err);
	g_autoptr(GByteArray) cut = peer_down_msg(2);
	g_byte_array_set_size(cut, cut->len - 1);
	cut->data[4]--;
	g_assert_false(msg_parse(cut, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED);
}

static void test_route_mirroring_skipped(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(GByteArray) pdu = g_byte_array_new();
	struct rfm_bmp_msg m;
	g_autoptr(GError) err = NULL;
	guint8 info[2] = {0, 1}; /* Messages Lost */

	put_peer(b, RFM_BMP_PEER_GLOBAL, 0, 0, "192.0.2.2", 64501, 1);
	put_bgp_header(pdu, 23, 2);
	put16(pdu, 0);
	put16(pdu, 0);
	put_tlv(b, 0, pdu->data, (guint16)pdu->len);
	put_tlv(b, 1, info, 2);
	put8(b, 0xee); /* even trailing garbage is not looked at */
	g_autoptr(GByteArray) mir = bmp_msg(RFM_BMP_MSG_ROUTE_MIRRORING, b);
	g_autoptr(GByteArray) rm = route_monitoring_msg(0, 0, "192.0.2.2", -1);
	g_autoptr(GByteArray) stream = g_byte_array_new();
	g_byte_array_append(stream, mir->data, mir->len);
	g_byte_array_append(stream, rm->data, rm->len);

	gsize n;
	g_assert_true(rfm_bmp_frame(stream->data, stream->len, MAX_MSG, &n, &err));
	g_assert_cmpuint(n, ==, mir->len);
	g_assert_true(rfm_bmp_msg_parse(stream->data, n, &m, &err));
	g_assert_no_error(err);
	g_assert_true(m.known);
	g_assert_cmpuint(m.type, ==, RFM_BMP_MSG_ROUTE_MIRRORING);
	g_assert_true(m.has_peer);
	/* the next message is found and decoded as usual */
	g_assert_true(rfm_bmp_frame(stream->data + n, stream->len - n, MAX_MSG, &n, &err));
	g_assert_cmpuint(n, ==, rm->len);
	g_assert_true(rfm_bmp_msg_parse(stream->data + mir->len, n, &m, &err));
	g_assert_cmpuint(m.type, ==, RFM_BMP_MSG_ROUTE_MONITORING);
}

static void test_views_and_caps(void)
{
	static const struct {
		guint8 type, flags;
		enum rfm_bmp_rib_view view;
		guint8 family;
	} cases[] = {
		{0, 0x00, RFM_BMP_VIEW_ADJ_IN_PRE, 4},
		{0, 0x40, RFM_BMP_VIEW_ADJ_IN_POST, 4},
		{0, 0x80, RFM_BMP_VIEW_ADJ_IN_PRE, 6},
		{1, 0x10, RFM_BMP_VIEW_ADJ_OUT_PRE, 4},
		{2, 0x50, RFM_BMP_VIEW_ADJ_OUT_POST, 4},
		{3, 0x80, RFM_BMP_VIEW_LOC_RIB, 0}, /* F flag, not V */
		{3, 0x00, RFM_BMP_VIEW_LOC_RIB, 0},
		{9, 0x00, RFM_BMP_VIEW_UNKNOWN, 4},
	};
	struct rfm_bgp_open router, peer;
	struct rfm_bgp_caps caps;
	struct rfm_bmp_msg m;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *addr = cases[i].family == 6 ? "2001:db8::2" : "192.0.2.2";
		g_autoptr(GByteArray) rm = route_monitoring_msg(cases[i].type, cases[i].flags,
								cases[i].family ? addr : NULL, -1);
		g_assert_true(msg_parse(rm, &m, NULL));
		g_assert_cmpint(m.peer.view, ==, cases[i].view);
		g_assert_cmpuint(m.peer.addr.family, ==, cases[i].family);
		g_assert_cmpuint(m.peer.as, ==, 64501);
		g_assert_cmpuint(m.peer.ts_sec, ==, 1700000000);
	}

	/* Router only receives, peer only sends: Adj-RIB-In has path ids,
	 * Adj-RIB-Out (the router speaking) has none. */
	g_autoptr(GByteArray) up = peer_up_msg(0, 1, 2);
	g_assert_true(msg_parse(up, &m, NULL));
	router = m.u.peer_up.sent;
	peer = m.u.peer_up.received;
	struct rfm_bmp_peer_hdr h = m.peer;
	rfm_bmp_update_caps(&h, &router, &peer, &caps);
	g_assert_true(caps.add_path_v4);
	h.flags = RFM_BMP_PEER_FLAG_O;
	rfm_bmp_update_caps(&h, &router, &peer, &caps);
	g_assert_false(caps.add_path_v4);
	/* A flag: 2-octet AS_PATH whatever the OPENs say. */
	h.flags = RFM_BMP_PEER_FLAG_A;
	rfm_bmp_update_caps(&h, &router, &peer, &caps);
	g_assert_false(caps.as4);
	g_assert_true(caps.add_path_v4);
	/* No Peer Up seen: no Add-Path. */
	rfm_bmp_update_caps(&h, NULL, NULL, &caps);
	g_assert_false(caps.add_path_v4);
	/* Loc-RIB: the capability listed at all means path ids (RFC 9069). */
	h.type = RFM_BMP_PEER_LOC_RIB;
	h.flags = 0;
	rfm_bmp_update_caps(&h, &peer, &peer, &caps);
	g_assert_true(caps.as4);
	g_assert_true(caps.add_path_v4);
	rfm_bmp_update_caps(&h, NULL, NULL, &caps);
	g_assert_true(caps.as4);
	g_assert_false(caps.add_path_v4);

	/* Same peer: type, distinguisher, address; not the view. */
	struct rfm_bmp_peer_hdr a = m.peer, b = m.peer;
	b.flags |= RFM_BMP_PEER_FLAG_L;
	g_assert_true(rfm_bmp_peer_same(&a, &b));
	b.distinguisher = 1;
	g_assert_false(rfm_bmp_peer_same(&a, &b));
}

static void test_loc_rib_peer_up(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	guint8 zero[16] = {0};
	struct rfm_bmp_msg m;
	g_autoptr(GError) err = NULL;

	put_peer(b, RFM_BMP_PEER_LOC_RIB, RFM_BMP_LOC_RIB_FLAG_F, 0, NULL, 64500, 0xc0000201);
	g_byte_array_append(b, zero, 16);
	put16(b, 0);
	put16(b, 0);
	put_open(b, 64500, 1);
	put_open(b, 64500, 1);
	put_tlv(b, RFM_BMP_INFO_TABLE_NAME, "global", 6);
	g_autoptr(GByteArray) up = bmp_msg(RFM_BMP_MSG_PEER_UP, b);
	g_assert_true(msg_parse(up, &m, &err));
	g_assert_no_error(err);
	g_assert_cmpint(m.peer.view, ==, RFM_BMP_VIEW_LOC_RIB);
	g_assert_cmpmem(m.u.peer_up.table_name.data, m.u.peer_up.table_name.len, "global", 6);
	g_assert_cmpuint(m.u.peer_up.local_addr.family, ==, 4);
}

static void test_stats_and_unknown(void)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	struct rfm_bmp_msg m;
	g_autoptr(GError) err = NULL;
	guint8 v4[4] = {0, 0, 0, 7};
	guint8 v8[8] = {0, 0, 0, 1, 0, 0, 0, 2};
	guint8 v11[11] = {0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 9};

	put_peer(b, 0, 0, 0, "192.0.2.2", 64501, 1);
	put32(b, 3);
	put_tlv(b, 0, v4, 4);
	put_tlv(b, 7, v8, 8);
	put_tlv(b, 9, v11, 11);
	g_autoptr(GByteArray) st = bmp_msg(RFM_BMP_MSG_STATISTICS_REPORT, b);
	g_assert_true(msg_parse(st, &m, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(m.u.stats.count, ==, 3);
	struct rfm_bmp_bytes rest = m.u.stats.tlvs;
	struct rfm_bmp_stat s;
	g_assert_true(rfm_bmp_stat_next(&rest, &s));
	g_assert_cmpuint(s.value, ==, 7);
	g_assert_true(rfm_bmp_stat_next(&rest, &s));
	g_assert_cmpuint(s.value, ==, (G_GUINT64_CONSTANT(1) << 32) | 2);
	g_assert_true(rfm_bmp_stat_next(&rest, &s));
	g_assert_true(s.has_afi_safi);
	g_assert_cmpuint(s.afi, ==, 2);
	g_assert_cmpuint(s.value, ==, 9);
	g_assert_false(rfm_bmp_stat_next(&rest, &s));
	/* count says 4, 3 there */
	st->data[6 + 42 + 3] = 4;
	g_assert_false(msg_parse(st, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED);
	g_clear_error(&err);

	/* A message type from the future: framed, not decoded. */
	g_autoptr(GByteArray) unk = bmp_msg(42, b);
	g_assert_true(msg_parse(unk, &m, &err));
	g_assert_false(m.known);
	g_assert_false(m.has_peer);
	g_assert_cmpstr(rfm_bmp_msg_type_name(42), ==, "unknown");
}

static void test_route_monitoring_errors(void)
{
	struct rfm_bmp_msg m;
	g_autoptr(GError) err = NULL;
	g_autoptr(GByteArray) rm = route_monitoring_msg(0, 0, "192.0.2.2", -1);
	g_autoptr(GByteArray) x = g_byte_array_new();

	/* bad marker */
	g_byte_array_append(x, rm->data, rm->len);
	x->data[6 + 42 + 5] = 0;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED);
	g_clear_error(&err);
	/* not an UPDATE */
	memcpy(x->data, rm->data, rm->len);
	x->data[6 + 42 + 18] = 1;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED);
	g_clear_error(&err);
	/* BGP length beyond the BMP message, and short of it */
	memcpy(x->data, rm->data, rm->len);
	x->data[6 + 42 + 17]++;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED);
	g_clear_error(&err);
	x->data[6 + 42 + 17] -= 2;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_MALFORMED);
	g_clear_error(&err);
	/* BMP length field not the buffer's length; version 1 */
	memcpy(x->data, rm->data, rm->len);
	x->data[4]++;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_LENGTH);
	g_clear_error(&err);
	memcpy(x->data, rm->data, rm->len);
	x->data[0] = 1;
	g_assert_false(msg_parse(x, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_VERSION);
	g_clear_error(&err);
	/* per-peer header cut */
	g_autoptr(GByteArray) b = g_byte_array_new();
	put_peer(b, 0, 0, 0, "192.0.2.2", 64501, 1);
	g_byte_array_set_size(b, 41);
	g_autoptr(GByteArray) cut = bmp_msg(RFM_BMP_MSG_ROUTE_MONITORING, b);
	g_assert_false(msg_parse(cut, &m, &err));
	g_assert_error(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TRUNCATED);
}

/* Hand-built messages cut at every length as well. */
static void test_built_truncation(void)
{
	g_autoptr(GByteArray) up = peer_up_msg(0x80, 3, 3);
	g_autoptr(GByteArray) down = peer_down_msg(1);
	g_autoptr(GByteArray) rm = route_monitoring_msg(0, 0, "192.0.2.2", 1);
	const GByteArray *msgs[] = {up, down, rm};
	g_autoptr(GError) err = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(msgs); i++) {
		for (guint cut = 0; cut < msgs[i]->len; cut++) {
			g_autofree guint8 *m = g_memdup2(msgs[i]->data, cut);
			struct rfm_bmp_msg msg;

			if (cut >= 5) {
				m[1] = 0;
				m[2] = 0;
				m[3] = (guint8)(cut >> 8);
				m[4] = (guint8)cut;
			}
			/* The Peer Up without its information TLV (9 octets) is whole. */
			if (msgs[i] == up && cut == up->len - 9) {
				g_assert_true(rfm_bmp_msg_parse(m, cut, &msg, &err));
				g_assert_cmpuint(msg.u.peer_up.tlvs.len, ==, 0);
				continue;
			}
			g_assert_false(rfm_bmp_msg_parse(m, cut, &msg, &err));
			g_assert_nonnull(err);
			g_clear_error(&err);
		}
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_data_func("/bmp_parse/fixture/gobgp", "gobgp", test_fixture);
	g_test_add_data_func("/bmp_parse/fixture/frr-connect", "frr-connect", test_fixture);
	g_test_add_data_func("/bmp_parse/fixture/frr-listen", "frr-listen", test_fixture);
	g_test_add_func("/bmp_parse/fixture_truncation", test_fixture_truncation);
	g_test_add_func("/bmp_parse/frame", test_frame);
	g_test_add_func("/bmp_parse/initiation_termination", test_initiation_termination);
	g_test_add_func("/bmp_parse/peer_down_then_up", test_peer_down_then_up);
	g_test_add_func("/bmp_parse/route_mirroring_skipped", test_route_mirroring_skipped);
	g_test_add_func("/bmp_parse/views_and_caps", test_views_and_caps);
	g_test_add_func("/bmp_parse/loc_rib_peer_up", test_loc_rib_peer_up);
	g_test_add_func("/bmp_parse/stats_and_unknown", test_stats_and_unknown);
	g_test_add_func("/bmp_parse/route_monitoring_errors", test_route_monitoring_errors);
	g_test_add_func("/bmp_parse/built_truncation", test_built_truncation);
	return g_test_run();
}
