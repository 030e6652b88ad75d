/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_bmp.c - the BMP session layer (bmp.c) over real TCP on loopback:
 * the test plays the routers with plain sockets (127.0.0.1 and 127.0.0.2 as
 * source addresses, ports checked free) and iterates the default GMainContext
 * until a condition holds or a deadline passes. Messages come from
 * msg_build.c; what the RIB must hold is written from the routes sent.
 *
 * Covered: the listener accepts and feeds the RIB; the allowlist refuses
 * another source, on a dual-stack "::" listener too; max_sessions refuses and counts, and frees a
 * slot when a session ends; a message over max_message_size (and a malformed one) closes only its
 * own session, whose routes go, counted and logged; a session's end (FIN or RST) drops its routes
 * and the other session's route takes over; half a message, or a router that never reads, blocks
 * nothing and the rest may come byte by byte; one dispatch reads at most RFM_BMP_READ_BUDGET bytes;
 * an active target retries with a doubling backoff until a listener appears, and after a working
 * session the backoff starts again at the minimum.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "bmp.h"
#include "bmp_parse.h"
#include "config.h"
#include "msg_build.h"
#include "rib.h"

#define DEADLINE_MS 3000

/* Every message logged (rfm logs through GLib), newest last; cleared per test. */
static GPtrArray *logged;

static GLogWriterOutput log_capture(GLogLevelFlags level, const GLogField *fields, gsize n,
				    gpointer user_data)
{
	for (gsize i = 0; i < n; i++) {
		if (strcmp(fields[i].key, "MESSAGE"))
			continue;
		char *m = fields[i].length < 0 ? g_strdup(fields[i].value)
					       : g_strndup(fields[i].value, fields[i].length);
		if (g_test_verbose())
			g_printerr("  log: %s\n", m);
		g_ptr_array_add(logged, m);
	}
	return G_LOG_WRITER_HANDLED;
}

static bool log_has(const char *needle)
{
	for (guint i = 0; i < logged->len; i++) {
		if (strstr(g_ptr_array_index(logged, i), needle))
			return true;
	}
	return false;
}

/* One turn of the main loop; a short nap when nothing was ready. */
static void step(void)
{
	if (!g_main_context_iteration(NULL, FALSE))
		g_usleep(1000);
}

/* Iterate until cond holds, at most ms; then assert it. */
#define WAIT_FOR_MS(cond, ms)                                                  \
	do {                                                                   \
		gint64 deadline_ = g_get_monotonic_time() + (gint64)(ms)*1000; \
		while (!(cond) && g_get_monotonic_time() < deadline_)          \
			step();                                                \
		g_assert_true(cond);                                           \
	} while (0)
#define WAIT_FOR(cond) WAIT_FOR_MS(cond, DEADLINE_MS)

/* --- the routers' side ----------------------------------------------------- */

/* A TCP port nothing listens on now (bound to port 0 and released). */
static guint16 free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &sl), ==, 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static guint16 local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sin, &sl), ==, 0);
	return ntohs(sin.sin_port);
}

/* A router connecting from source address src to 127.0.0.1:port (blocking socket). */
static int router_connect(const char *src, guint16 port)
{
	struct sockaddr_in from = {.sin_family = AF_INET};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(inet_pton(AF_INET, src, &from.sin_addr), ==, 1);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&from, sizeof(from)), ==, 0);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&to, sizeof(to)), ==, 0);
	return fd;
}

static void send_bytes(int fd, const guint8 *p, gsize len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		g_assert_cmpint(n, >, 0);
		p += n;
		len -= (gsize)n;
	}
}

/* Send a built message and free it. */
static void send_msg(int fd, GByteArray *m)
{
	send_bytes(fd, m->data, m->len);
	g_byte_array_unref(m);
}

/* The other end closed (FIN or RST), seen without blocking. */
static bool peer_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	if (poll(&p, 1, 0) != 1)
		return false;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Close with RST instead of FIN (SO_LINGER 0). */
static void close_reset(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), ==, 0);
	close(fd);
}

/* --- rfm's side ------------------------------------------------------------ */

/* DOC: one rfm_bmp with its RIB and the settings it was started with. */
struct fx {
	struct rfm_config_bmp cfg; /* strings borrowed from the test; connect owned */
	struct rfm_rib *rib;	   /* owned */
	struct rfm_bmp *bmp;	   /* owned */
};

/* Defaults: a listener on a free 127.0.0.1 port, anyone allowed, no targets. */
static void fx_init(struct fx *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->cfg.listen = "127.0.0.1";
	fx->cfg.port = free_port();
	fx->cfg.connect = g_array_new(FALSE, TRUE, sizeof(struct rfm_config_bmp_connect));
	fx->cfg.max_sessions = 16;
	fx->cfg.max_message_size = 1U << 20;
	fx->cfg.connect_retry_max_ms = 60000;
	g_ptr_array_set_size(logged, 0);
}

static void fx_start(struct fx *fx)
{
	struct rfm_rib_options ro = {.max_routes_per_peer = 100000, .max_peers = 64};
	g_autoptr(GError) err = NULL;

	fx->rib = rfm_rib_new(&ro);
	fx->bmp = rfm_bmp_new(&fx->cfg, fx->rib, &err);
	g_assert_no_error(err);
	g_assert_nonnull(fx->bmp);
}

static void fx_fini(struct fx *fx)
{
	struct rfm_rib_stats rs;

	rfm_bmp_free(fx->bmp);
	/* Shutting down drops every route the sessions taught. */
	rfm_rib_get_stats(fx->rib, &rs);
	g_assert_cmpuint(rs.routes, ==, 0);
	rfm_rib_free(fx->rib);
	g_array_unref(fx->cfg.connect);
}

static struct rfm_bmp_stats stats(const struct fx *fx)
{
	struct rfm_bmp_stats st;

	rfm_bmp_get_stats(fx->bmp, &st);
	return st;
}

/* DOC: one session or target as the test reads it, by the router's port. */
struct sess {
	guint16 port; /* in: the router's TCP port */
	bool found;
	guint32 session, routes;
	guint8 state;
	bool active;
	guint32 retry_ms;
	guint64 bytes;
	char router[64];
	char sys_name[64];
};

static void sess_cb(const struct rfm_bmp_session_info *info, void *ud)
{
	struct sess *s = ud;

	if (s->found || info->port != s->port)
		return;
	s->found = true;
	s->session = info->session;
	s->routes = info->routes;
	s->state = info->state;
	s->active = info->active;
	s->retry_ms = info->retry_ms;
	s->bytes = info->feed.bytes;
	g_strlcpy(s->router, info->router, sizeof(s->router));
	g_strlcpy(s->sys_name, info->sys_name ? info->sys_name : "-", sizeof(s->sys_name));
}

static struct sess sess_of_port(const struct fx *fx, guint16 port)
{
	struct sess s = {.port = port};

	rfm_bmp_foreach_session(fx->bmp, sess_cb, &s);
	return s;
}

/* The session of a router socket (found by its local port, the router's port). */
static struct sess sess_of(const struct fx *fx, int fd)
{
	return sess_of_port(fx, local_port(fd));
}

/* "192.0.2.0/24 AS64496 session 1": the route rfm selects for an IPv4 address, or "none". */
static char *lookup(const struct fx *fx, const char *addr)
{
	guint8 a[16] = {0};
	struct rfm_rib_match m;
	char pfx[INET_ADDRSTRLEN];
	guint8 net[4];
	guint32 mask;

	g_assert_cmpint(inet_pton(AF_INET, addr, a), ==, 1);
	if (!rfm_rib_lookup(fx->rib, 4, a, false, &m))
		return g_strdup("none");
	mask = m.plen ? G_MAXUINT32 << (32 - m.plen) : 0;
	mask = htonl(mask);
	memcpy(net, a, 4);
	for (int i = 0; i < 4; i++)
		net[i] &= ((guint8 *)&mask)[i];
	inet_ntop(AF_INET, net, pfx, sizeof(pfx));
	return g_strdup_printf("%s/%u AS%u session %u", pfx, m.plen, m.attrs->origin_as,
			       m.peer->session);
}

static bool lookup_is(const struct fx *fx, const char *addr, const char *want)
{
	g_autofree char *got = lookup(fx, addr);

	if (g_test_verbose() && strcmp(got, want))
		g_printerr("  lookup %s: %s, waiting for %s\n", addr, got, want);
	return !strcmp(got, want);
}

static void assert_lookup(const struct fx *fx, const char *addr, const char *want)
{
	g_autofree char *got = lookup(fx, addr);

	g_assert_cmpstr(got, ==, want);
}

/* "192.0.2.0/24 AS64496 session N" for the session of fd. */
static char *want_route(const char *prefix, guint32 as, const struct fx *fx, int fd)
{
	return g_strdup_printf("%s AS%u session %u", prefix, as, sess_of(fx, fd).session);
}

/* A router's first messages: Initiation, then one route. */
static void send_hello(int fd, const char *name, const char *prefix, const char *path)
{
	send_msg(fd, bmp_initiation(name));
	send_msg(fd, bmp_route_v4("198.18.0.9", 64501, prefix, path, "198.18.0.9"));
}

/* --- tests ----------------------------------------------------------------- */

static void test_accept_feeds_rib(void)
{
	struct fx fx;
	int c;

	fx_init(&fx);
	fx_start(&fx);
	g_assert_cmpuint(rfm_bmp_listen_port(fx.bmp), ==, fx.cfg.port);
	c = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c, "rtr-a", "192.0.2.0/24", "64501 64496");
	send_msg(c, bmp_route_v4("198.18.0.9", 64501, "198.51.100.0/24", "64501 64510 64497",
				 "198.18.0.9"));
	WAIT_FOR(sess_of(&fx, c).routes == 2);

	struct sess s = sess_of(&fx, c);
	g_assert_cmpuint(s.session, ==, 1);
	g_assert_cmpstr(s.router, ==, "127.0.0.1");
	g_assert_cmpstr(s.sys_name, ==, "rtr-a");
	g_assert_false(s.active);
	g_assert_cmpuint(s.state, ==, RFM_BMP_STATE_UP);
	assert_lookup(&fx, "192.0.2.77", "192.0.2.0/24 AS64496 session 1");
	assert_lookup(&fx, "198.51.100.1", "198.51.100.0/24 AS64497 session 1");
	assert_lookup(&fx, "203.0.113.1", "none");

	struct rfm_bmp_stats st = stats(&fx);
	g_assert_cmpuint(st.accepted, ==, 1);
	g_assert_cmpuint(st.sessions_open, ==, 1);
	g_assert_cmpuint(st.messages[RFM_BMP_MSG_INITIATION], ==, 1);
	g_assert_cmpuint(st.messages[RFM_BMP_MSG_ROUTE_MONITORING], ==, 2);
	g_assert_cmpuint(st.routes_announced, ==, 2);
	g_assert_cmpuint(st.routes, ==, 2);

	/* A withdrawal on the same session. */
	send_msg(c, bmp_route_v4("198.18.0.9", 64501, "198.51.100.0/24", NULL, NULL));
	WAIT_FOR(lookup_is(&fx, "198.51.100.1", "none"));
	assert_lookup(&fx, "192.0.2.77", "192.0.2.0/24 AS64496 session 1");
	g_assert_cmpuint(stats(&fx).routes_withdrawn, ==, 1);
	g_assert_true(log_has("BMP session 1 from 127.0.0.1 port"));
	close(c);
	fx_fini(&fx);
}

static void test_allowlist(void)
{
	static const char *allow[] = {"127.0.0.1", NULL};
	struct fx fx;
	int good, bad;

	fx_init(&fx);
	fx.cfg.allow = (char **)allow;
	fx_start(&fx);
	/* Its bytes wait in the socket; rfm must not apply them. */
	bad = router_connect("127.0.0.2", (guint16)fx.cfg.port);
	send_hello(bad, "rtr-bad", "203.0.113.0/24", "64502 64498");
	good = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(good, "rtr-good", "192.0.2.0/24", "64501 64496");
	WAIT_FOR(stats(&fx).refused_allow == 1 && sess_of(&fx, good).routes == 1);
	WAIT_FOR(peer_closed(bad));

	struct rfm_bmp_stats st = stats(&fx);
	g_assert_cmpuint(st.accepted, ==, 1);
	g_assert_cmpuint(st.refused_limit, ==, 0);
	g_assert_cmpuint(st.sessions_open, ==, 1);
	g_assert_false(sess_of(&fx, bad).found);
	assert_lookup(&fx, "203.0.113.1", "none");
	g_autofree char *want = want_route("192.0.2.0/24", 64496, &fx, good);
	assert_lookup(&fx, "192.0.2.1", want);
	g_assert_true(log_has("refused connection from 127.0.0.2 port"));
	g_assert_true(log_has("not in enrich.bmp.allow"));
	close(bad);
	close(good);
	fx_fini(&fx);
}

/* A dual-stack listener ("::") sees IPv4 routers as ::ffff:a.b.c.d: the allowlist's IPv4 still
 * applies. */
static void test_allowlist_dual_stack(void)
{
	static const char *allow[] = {"127.0.0.1", NULL};
	struct rfm_rib_options ro = {.max_routes_per_peer = 100000, .max_peers = 64};
	g_autoptr(GError) err = NULL;
	struct fx fx;
	int good, bad;

	fx_init(&fx);
	fx.cfg.listen = "::";
	fx.cfg.allow = (char **)allow;
	fx.rib = rfm_rib_new(&ro);
	fx.bmp = rfm_bmp_new(&fx.cfg, fx.rib, &err);
	if (!fx.bmp) {
		g_test_skip(err->message);
		rfm_rib_free(fx.rib);
		g_array_unref(fx.cfg.connect);
		return;
	}
	bad = router_connect("127.0.0.2", (guint16)fx.cfg.port);
	send_hello(bad, "rtr-bad", "203.0.113.0/24", "64502 64498");
	good = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(good, "rtr-good", "192.0.2.0/24", "64501 64496");
	WAIT_FOR(stats(&fx).refused_allow == 1 && sess_of(&fx, good).routes == 1);
	WAIT_FOR(peer_closed(bad));
	g_assert_cmpstr(sess_of(&fx, good).router, ==, "127.0.0.1");
	g_assert_cmpuint(stats(&fx).accepted, ==, 1);
	assert_lookup(&fx, "203.0.113.1", "none");
	g_assert_true(log_has("refused connection from 127.0.0.2 port"));
	close(bad);
	close(good);
	fx_fini(&fx);
}

static void test_max_sessions(void)
{
	struct fx fx;
	int c1, c2, c3, c4;

	fx_init(&fx);
	fx.cfg.max_sessions = 2;
	fx_start(&fx);
	c1 = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c1, "rtr-1", "192.0.2.0/24", "64501 64496");
	c2 = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c2, "rtr-2", "198.51.100.0/24", "64501 64497");
	WAIT_FOR(sess_of(&fx, c1).routes == 1 && sess_of(&fx, c2).routes == 1);

	c3 = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c3, "rtr-3", "203.0.113.0/24", "64501 64498");
	WAIT_FOR(stats(&fx).refused_limit == 1);
	WAIT_FOR(peer_closed(c3));
	g_assert_cmpuint(stats(&fx).sessions_open, ==, 2);
	g_assert_cmpuint(stats(&fx).accepted, ==, 2);
	g_assert_cmpuint(stats(&fx).refused_allow, ==, 0);
	assert_lookup(&fx, "203.0.113.1", "none");
	g_assert_true(log_has("2 sessions open (enrich.bmp.max_sessions)"));

	/* A session that ends frees its slot. */
	close(c1);
	WAIT_FOR(stats(&fx).sessions_open == 1);
	c4 = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c4, "rtr-4", "203.0.113.0/24", "64501 64498");
	WAIT_FOR(sess_of(&fx, c4).routes == 1);
	g_assert_cmpuint(stats(&fx).accepted, ==, 3);
	g_assert_cmpuint(stats(&fx).refused_limit, ==, 1);
	g_autofree char *want = want_route("203.0.113.0/24", 64498, &fx, c4);
	assert_lookup(&fx, "203.0.113.1", want);
	close(c2);
	close(c3);
	close(c4);
	fx_fini(&fx);
}

/* An Initiation message of exactly len bytes (a sysDescr TLV of filler). */
static GByteArray *initiation_of_size(guint len)
{
	g_autoptr(GByteArray) body = g_byte_array_new();
	g_autofree char *text = NULL;
	guint tlv = len - 6 - 4; /* common header, TLV header */

	text = g_malloc(tlv);
	memset(text, 'x', tlv);
	put_tlv(body, 1 /* sysDescr */, text, (guint16)tlv);
	GByteArray *m = bmp_msg(RFM_BMP_MSG_INITIATION, body);
	g_assert_cmpuint(m->len, ==, len);
	return m;
}

static void test_max_message_size(void)
{
	struct fx fx;
	int big, other;

	fx_init(&fx);
	fx.cfg.max_message_size = 4096;
	fx_start(&fx);
	big = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(big, "rtr-big", "192.0.2.0/24", "64501 64496");
	other = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(other, "rtr-other", "198.51.100.0/24", "64501 64497");
	WAIT_FOR(sess_of(&fx, big).routes == 1 && sess_of(&fx, other).routes == 1);
	guint32 big_session = sess_of(&fx, big).session;

	/* Exactly the limit: accepted. */
	send_msg(other, initiation_of_size(4096));
	WAIT_FOR(stats(&fx).messages[RFM_BMP_MSG_INITIATION] == 3);
	/* One byte more: that session closes, and only that one. */
	send_msg(big, initiation_of_size(4097));
	WAIT_FOR(stats(&fx).closed[RFM_BMP_CLOSE_MALFORMED] == 1);
	WAIT_FOR(peer_closed(big));
	assert_lookup(&fx, "192.0.2.1", "none");
	g_autofree char *want = want_route("198.51.100.0/24", 64497, &fx, other);
	assert_lookup(&fx, "198.51.100.1", want);
	g_assert_cmpuint(stats(&fx).sessions_open, ==, 1);
	g_assert_cmpuint(stats(&fx).routes, ==, 1);
	g_autofree char *line =
		g_strdup_printf("BMP session %u from 127.0.0.1 port %u (rtr-big): "
				"malformed message, session closed, 1 routes dropped",
				big_session, local_port(big));
	g_assert_true(log_has(line));
	g_assert_true(log_has("BMP message length 4097 > limit 4096"));

	/* The other session still takes messages. */
	send_msg(other,
		 bmp_route_v4("198.18.0.9", 64501, "203.0.113.0/24", "64501 64498", "198.18.0.9"));
	WAIT_FOR(sess_of(&fx, other).routes == 2);
	close(big);
	close(other);
	fx_fini(&fx);
}

static void test_malformed(void)
{
	struct fx fx;
	int bad, good;

	fx_init(&fx);
	fx_start(&fx);
	bad = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(bad, "rtr-bad", "192.0.2.0/24", "64501 64496");
	good = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(good, "rtr-good", "198.51.100.0/24", "64501 64497");
	WAIT_FOR(sess_of(&fx, bad).routes == 1 && sess_of(&fx, good).routes == 1);

	/* A Route Monitoring whose BGP marker (after the 6 + 42 header bytes) is not all ones. */
	GByteArray *m =
		bmp_route_v4("198.18.0.9", 64501, "203.0.113.0/24", "64501 64498", "198.18.0.9");
	memset(m->data + 6 + 42, 0, 16);
	send_msg(bad, m);
	WAIT_FOR(stats(&fx).closed[RFM_BMP_CLOSE_MALFORMED] == 1);
	WAIT_FOR(peer_closed(bad));
	assert_lookup(&fx, "192.0.2.1", "none");
	assert_lookup(&fx, "203.0.113.1", "none");
	g_autofree char *want = want_route("198.51.100.0/24", 64497, &fx, good);
	assert_lookup(&fx, "198.51.100.1", want);

	struct rfm_bmp_stats st = stats(&fx);
	g_assert_cmpuint(st.sessions_open, ==, 1);
	g_assert_cmpuint(st.closed[RFM_BMP_CLOSE_EOF], ==, 0);
	g_assert_cmpuint(st.closed[RFM_BMP_CLOSE_ERROR], ==, 0);
	g_assert_true(log_has("(rtr-bad): malformed message, session closed, 1 routes dropped"));
	close(bad);
	close(good);
	fx_fini(&fx);
}

static void test_close_drops_routes(void)
{
	struct fx fx;
	int a, b, c;

	fx_init(&fx);
	fx_start(&fx);
	/* a and b both carry 192.0.2.0/24; a's path is shorter, so a's route is selected. */
	a = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(a, "rtr-a", "192.0.2.0/24", "64501 64496");
	send_msg(a,
		 bmp_route_v4("198.18.0.9", 64501, "198.51.100.0/24", "64501 64497", "198.18.0.9"));
	b = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(b, "rtr-b", "192.0.2.0/24", "64501 64505 64496");
	c = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(c, "rtr-c", "203.0.113.0/24", "64501 64498");
	WAIT_FOR(sess_of(&fx, a).routes == 2 && sess_of(&fx, b).routes == 1 &&
		 sess_of(&fx, c).routes == 1);
	guint32 sa = sess_of(&fx, a).session, sb = sess_of(&fx, b).session;
	g_autofree char *via_a = g_strdup_printf("192.0.2.0/24 AS64496 session %u", sa);
	g_autofree char *via_b = g_strdup_printf("192.0.2.0/24 AS64496 session %u", sb);
	guint16 pa = local_port(a);
	assert_lookup(&fx, "192.0.2.1", via_a);

	/* FIN: a's routes go, b's route for the same prefix takes over. */
	close(a);
	WAIT_FOR(stats(&fx).closed[RFM_BMP_CLOSE_EOF] == 1);
	assert_lookup(&fx, "192.0.2.1", via_b);
	assert_lookup(&fx, "198.51.100.1", "none");
	g_assert_cmpuint(stats(&fx).routes, ==, 2);
	g_autofree char *line = g_strdup_printf(
		"BMP session %u from 127.0.0.1 port %u (rtr-a): closed (eof), 2 routes dropped", sa,
		pa);
	g_assert_true(log_has(line));

	/* RST: counted as an error, its routes go too. */
	close_reset(b);
	WAIT_FOR(stats(&fx).closed[RFM_BMP_CLOSE_ERROR] == 1);
	assert_lookup(&fx, "192.0.2.1", "none");
	g_autofree char *want = want_route("203.0.113.0/24", 64498, &fx, c);
	assert_lookup(&fx, "203.0.113.1", want);
	g_assert_cmpuint(stats(&fx).routes, ==, 1);
	g_assert_cmpuint(stats(&fx).sessions_open, ==, 1);
	close(c);
	fx_fini(&fx);
}

static gboolean tick(gpointer user_data)
{
	(*(guint *)user_data)++;
	return G_SOURCE_CONTINUE;
}

static void test_half_message(void)
{
	struct fx fx;
	int slow, fast;
	guint ticks = 0, timer;
	int small = 1;

	fx_init(&fx);
	fx_start(&fx);
	timer = g_timeout_add(10, tick, &ticks);
	/* slow sends half a message and stops; it never reads either (rfm sends nothing). */
	slow = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	g_assert_cmpint(setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), ==, 0);
	GByteArray *init = bmp_initiation("rtr-slow");
	GByteArray *m =
		bmp_route_v4("198.18.0.9", 64501, "192.0.2.0/24", "64501 64496", "198.18.0.9");
	guint half = m->len / 2, sent;
	send_bytes(slow, init->data, init->len);
	send_bytes(slow, m->data, half);
	WAIT_FOR(sess_of(&fx, slow).bytes == init->len + half);

	/* The loop goes on: another router's routes arrive, timers fire. */
	fast = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_hello(fast, "rtr-fast", "198.51.100.0/24", "64501 64497");
	guint before = ticks;
	WAIT_FOR(sess_of(&fx, fast).routes == 1 && ticks >= before + 3);
	assert_lookup(&fx, "192.0.2.1", "none");
	g_assert_cmpuint(sess_of(&fx, slow).routes, ==, 0);
	g_assert_cmpuint(stats(&fx).sessions_open, ==, 2);

	/* The rest, a byte at a time: nothing applies until the last byte. */
	for (sent = half; sent < m->len; sent++) {
		g_assert_cmpuint(sess_of(&fx, slow).routes, ==, 0);
		send_bytes(slow, m->data + sent, 1);
		WAIT_FOR(sess_of(&fx, slow).bytes == init->len + sent + 1);
	}
	g_autofree char *want = want_route("192.0.2.0/24", 64496, &fx, slow);
	WAIT_FOR(lookup_is(&fx, "192.0.2.1", want));
	g_assert_cmpuint(stats(&fx).closed[RFM_BMP_CLOSE_MALFORMED], ==, 0);
	g_source_remove(timer);
	g_byte_array_unref(init);
	g_byte_array_unref(m);
	close(slow);
	close(fast);
	fx_fini(&fx);
}

/* Fill fd's send path without blocking, up to max bytes: copies of m, the last one cut. */
static gsize send_burst(int fd, const GByteArray *m, gsize max)
{
	gsize total = 0;

	while (total < max) {
		gsize off = total % m->len;
		ssize_t n = send(fd, m->data + off, m->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
			break;
		}
		total += (gsize)n;
	}
	return total;
}

static void test_read_budget(void)
{
	struct fx fx;
	int c;
	gsize total;
	guint64 last = 0;
	guint turns = 0;

	fx_init(&fx);
	fx_start(&fx);
	c = router_connect("127.0.0.1", (guint16)fx.cfg.port);
	send_msg(c, bmp_initiation("rtr-busy"));
	WAIT_FOR(sess_of(&fx, c).bytes > 0);
	last = sess_of(&fx, c).bytes;

	/* The same announcement again and again, more than two budgets' worth, queued
	 * before rfm reads any of it. */
	g_autoptr(GByteArray) m =
		bmp_route_v4("198.18.0.9", 64501, "192.0.2.0/24", "64501 64496", "198.18.0.9");
	total = send_burst(c, m, 4 * RFM_BMP_READ_BUDGET);
	if (total <= 2 * RFM_BMP_READ_BUDGET) {
		g_test_skip("the socket buffers hold too little for this test");
		close(c);
		fx_fini(&fx);
		return;
	}
	/* Every turn of the loop reads at most one budget. */
	gint64 deadline = g_get_monotonic_time() + DEADLINE_MS * 1000;
	while (sess_of(&fx, c).bytes < last + total && g_get_monotonic_time() < deadline) {
		guint64 before = sess_of(&fx, c).bytes;

		if (g_main_context_iteration(NULL, FALSE))
			turns++;
		g_assert_cmpuint(sess_of(&fx, c).bytes - before, <=, RFM_BMP_READ_BUDGET);
	}
	g_assert_cmpuint(sess_of(&fx, c).bytes, ==, last + total);
	g_assert_cmpuint(turns, >=, total / RFM_BMP_READ_BUDGET);
	g_assert_cmpuint(stats(&fx).messages[RFM_BMP_MSG_ROUTE_MONITORING], ==, total / m->len);
	close(c);
	fx_fini(&fx);
}

static void test_active_backoff(void)
{
	struct fx fx;
	struct rfm_config_bmp_connect target = {.address = "127.0.0.1"};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int lfd, c = -1, on = 1;
	gint64 t_fail1, t_fail2, t_up;

	fx_init(&fx);
	fx.cfg.port = 0; /* no listener: rfm only connects */
	target.port = free_port();
	g_array_append_val(fx.cfg.connect, target);
	fx.cfg.connect_retry_max_ms = 2000;
	fx_start(&fx);
	g_assert_cmpuint(rfm_bmp_listen_port(fx.bmp), ==, 0);

	/* Nothing listens: the first attempt fails, the next comes 1 s later, then 2 s. */
	WAIT_FOR(stats(&fx).connect_failures == 1);
	t_fail1 = g_get_monotonic_time();
	struct sess s = sess_of_port(&fx, (guint16)target.port);
	g_assert_true(s.found && s.active);
	g_assert_cmpuint(s.session, ==, 0);
	g_assert_cmpuint(s.state, ==, RFM_BMP_STATE_WAITING);
	g_assert_cmpuint(s.retry_ms, ==, RFM_BMP_RETRY_MIN_MS);
	WAIT_FOR_MS(stats(&fx).connect_failures == 2, RFM_BMP_RETRY_MIN_MS + DEADLINE_MS);
	t_fail2 = g_get_monotonic_time();
	g_assert_cmpint(t_fail2 - t_fail1, >=, (RFM_BMP_RETRY_MIN_MS - 50) * 1000);
	s = sess_of_port(&fx, (guint16)target.port);
	g_assert_cmpuint(s.state, ==, RFM_BMP_STATE_WAITING);
	g_assert_cmpuint(s.retry_ms, ==, 2 * RFM_BMP_RETRY_MIN_MS);
	g_assert_true(log_has("cannot connect to 127.0.0.1 port"));

	/* A listener appears: the third attempt, 2 s later, connects. */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	g_assert_cmpint(lfd, >=, 0);
	g_assert_cmpint(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), ==, 0);
	sin.sin_port = htons((guint16)target.port);
	g_assert_cmpint(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
	g_assert_cmpint(listen(lfd, 4), ==, 0);
	gint64 deadline = g_get_monotonic_time() + (2 * RFM_BMP_RETRY_MIN_MS + DEADLINE_MS) * 1000;
	while ((c = accept(lfd, NULL, NULL)) < 0 && g_get_monotonic_time() < deadline)
		step();
	g_assert_cmpint(c, >=, 0);
	t_up = g_get_monotonic_time();
	g_assert_cmpint(t_up - t_fail2, >=, (2 * RFM_BMP_RETRY_MIN_MS - 50) * 1000);
	WAIT_FOR(sess_of_port(&fx, (guint16)target.port).state == RFM_BMP_STATE_UP);
	g_assert_cmpuint(stats(&fx).connect_attempts, ==, 3);
	g_assert_cmpuint(stats(&fx).connect_failures, ==, 2);

	/* rfm reads the router it connected to like any other. */
	send_hello(c, "rtr-listening", "192.0.2.0/24", "64501 64496");
	WAIT_FOR(sess_of_port(&fx, (guint16)target.port).routes == 1);
	s = sess_of_port(&fx, (guint16)target.port);
	g_assert_true(s.active);
	g_assert_cmpstr(s.sys_name, ==, "rtr-listening");
	g_autofree char *want = g_strdup_printf("192.0.2.0/24 AS64496 session %u", s.session);
	assert_lookup(&fx, "192.0.2.1", want);
	g_assert_cmpuint(stats(&fx).sessions_open, ==, 1);
	g_assert_cmpuint(stats(&fx).accepted, ==, 0);

	/* The router goes: its routes go; a session that worked restarts the backoff at 1 s. */
	close(c);
	WAIT_FOR(sess_of_port(&fx, (guint16)target.port).state == RFM_BMP_STATE_WAITING);
	s = sess_of_port(&fx, (guint16)target.port);
	g_assert_cmpuint(s.retry_ms, ==, RFM_BMP_RETRY_MIN_MS);
	assert_lookup(&fx, "192.0.2.1", "none");
	g_assert_cmpuint(stats(&fx).closed[RFM_BMP_CLOSE_EOF], ==, 1);
	close(lfd);
	fx_fini(&fx);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	/* rfm's warnings are expected here (refusals, closes): recorded, not fatal. */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	logged = g_ptr_array_new_with_free_func(g_free);
	g_log_set_writer_func(log_capture, NULL, NULL);
	g_test_add_func("/bmp/accept-feeds-rib", test_accept_feeds_rib);
	g_test_add_func("/bmp/allowlist", test_allowlist);
	g_test_add_func("/bmp/allowlist-dual-stack", test_allowlist_dual_stack);
	g_test_add_func("/bmp/max-sessions", test_max_sessions);
	g_test_add_func("/bmp/max-message-size", test_max_message_size);
	g_test_add_func("/bmp/malformed", test_malformed);
	g_test_add_func("/bmp/close-drops-routes", test_close_drops_routes);
	g_test_add_func("/bmp/half-message", test_half_message);
	g_test_add_func("/bmp/read-budget", test_read_budget);
	g_test_add_func("/bmp/active-backoff", test_active_backoff);
	rc = g_test_run();
	g_ptr_array_unref(logged);
	return rc;
}
