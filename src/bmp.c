// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bmp.c - owns the BMP network side: the listening socket, the connect
 * targets with their backoff timers, and one struct rfm_bmp_feed per open
 * TCP session. Bytes read here go to the feed; the feed changes the RIB.
 */
#define _GNU_SOURCE /* accept4 */
#include "bmp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bmp_parse.h"
#include "config.h"
#include "log.h"
#include "rib.h"

G_DEFINE_QUARK(rfm - bmp - net - error - quark, rfm_bmp_net_error)

#define LISTEN_BACKLOG	     64
#define ACCEPT_PER_DISPATCH  64
#define ACCEPT_PAUSE_MS	     1000 /* after EMFILE and the like: let the loop breathe */
#define KEEPALIVE_IDLE_S     60
#define KEEPALIVE_INTERVAL_S 10
#define KEEPALIVE_COUNT	     6

/* An IP address, IPv4-mapped IPv6 folded to IPv4 so lists compare equal. */
struct bmp_addr {
	guint8 version; /* 4 or 6 */
	guint8 addr[16];
};

struct bmp_target;

/* DOC: one TCP connection carrying a BMP stream. Owned by rfm_bmp.accepted or by its target. */
struct bmp_session {
	struct rfm_bmp *b;	   /* borrowed: the owner of everything */
	struct bmp_target *target; /* borrowed; NULL for an accepted session */
	int fd;			   /* owned */
	guint source;		   /* fd watch, removed at close */
	guint32 number;		   /* the RIB's session key, never reused */
	struct bmp_addr addr;	   /* the router */
	guint16 port;		   /* the router's port, host order */
	char router[INET6_ADDRSTRLEN];
	struct rfm_bmp_feed *feed; /* owned */
	gint64 since_us;
	bool delivered; /* a valid message was applied */
};

/* DOC: a router rfm connects to. Owned by rfm_bmp.targets. fd/source only while CONNECTING. */
struct bmp_target {
	struct rfm_bmp *b; /* borrowed */
	struct bmp_addr addr;
	guint16 port;
	char router[INET6_ADDRSTRLEN];
	enum rfm_bmp_session_state state;
	int fd;			     /* owned while CONNECTING, else -1 */
	guint source;		     /* fd watch while CONNECTING */
	guint timer;		     /* connect timeout (CONNECTING) or retry (WAITING) */
	guint32 retry_ms;	     /* the next delay */
	guint32 wait_ms;	     /* the delay being waited (WAITING) */
	gint64 since_us;	     /* state change */
	struct bmp_session *session; /* owned while UP */
};

/* DOC: the BMP side of the agent. Owned by the agent; rib borrowed and outlives it. */
struct rfm_bmp {
	struct rfm_rib *rib;
	char *listen; /* owned copy of the setting */
	guint16 port;
	GArray *allow; /* struct bmp_addr; empty = any */
	guint32 max_sessions, max_message, retry_max_ms;
	int listen_fd; /* owned, -1 without a listener */
	guint listen_source;
	guint accept_pause;  /* timer while the listener is paused */
	GPtrArray *targets;  /* struct bmp_target *, owned, configuration order */
	GPtrArray *accepted; /* struct bmp_session *, owned, oldest first */
	guint32 sessions_open;
	guint32 next_session;
	struct rfm_bmp_stats stats; /* counters of the past; open sessions are added on read */
};

static void target_wait(struct bmp_target *t);

/* --- addresses ----------------------------------------------------------- */

static bool addr_parse(const char *s, struct bmp_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->addr) == 1) {
		out->version = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->addr) != 1)
		return false;
	out->version = 6;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)out->addr)) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->version = 4;
	}
	return true;
}

static void addr_from_sockaddr(const struct sockaddr_storage *ss, struct bmp_addr *out,
			       guint16 *port)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		out->version = 4;
		memcpy(out->addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return;
	}
	{
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		out->version = 6;
		memcpy(out->addr, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->version = 4;
		}
	}
}

static socklen_t addr_to_sockaddr(const struct bmp_addr *a, guint16 port,
				  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->version == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	}
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, a->addr, 16);
		return sizeof(*sin6);
	}
}

static void addr_format(const struct bmp_addr *a, char buf[INET6_ADDRSTRLEN])
{
	if (!inet_ntop(a->version == 4 ? AF_INET : AF_INET6, a->addr, buf, INET6_ADDRSTRLEN))
		g_strlcpy(buf, "?", INET6_ADDRSTRLEN);
}

static bool addr_equal(const struct bmp_addr *x, const struct bmp_addr *y)
{
	return x->version == y->version && !memcmp(x->addr, y->addr, 16);
}

static bool allowed(const struct rfm_bmp *b, const struct bmp_addr *a)
{
	if (!b->allow->len)
		return true;
	for (guint i = 0; i < b->allow->len; i++) {
		if (addr_equal(&g_array_index(b->allow, struct bmp_addr, i), a))
			return true;
	}
	return false;
}

/* Parse the allowlist; NULL (error set) on the first address that is not a literal. */
static GArray *allow_parse(char **allow, GError **error)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct bmp_addr));

	for (gsize i = 0; allow && allow[i]; i++) {
		struct bmp_addr a;

		if (!addr_parse(allow[i], &a)) {
			g_set_error(error, RFM_BMP_NET_ERROR, RFM_BMP_NET_ERROR_ADDRESS,
				    "enrich.bmp.allow: \"%s\" is not an IP address", allow[i]);
			g_array_unref(out);
			return NULL;
		}
		g_array_append_val(out, a);
	}
	return out;
}

/* Send nothing, notice a dead peer: TCP keepalive (about 2 minutes). */
static void socket_keepalive(int fd)
{
	int on = 1, idle = KEEPALIVE_IDLE_S, intvl = KEEPALIVE_INTERVAL_S, cnt = KEEPALIVE_COUNT;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* --- sessions ------------------------------------------------------------ */

static gboolean session_readable(gint fd, GIOCondition cond, gpointer user_data);

static struct bmp_session *session_new(struct rfm_bmp *b, int fd, const struct bmp_addr *addr,
				       guint16 port, struct bmp_target *target)
{
	struct bmp_session *s = g_new0(struct bmp_session, 1);

	s->b = b;
	s->target = target;
	s->fd = fd;
	s->addr = *addr;
	s->port = port;
	addr_format(addr, s->router);
	if (++b->next_session == 0) /* 0 means "no session" to the agent */
		b->next_session = 1;
	s->number = b->next_session;
	s->feed = rfm_bmp_feed_new(b->rib, s->number, b->max_message);
	s->since_us = g_get_real_time();
	socket_keepalive(fd);
	s->source = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, session_readable, s);
	b->sessions_open++;
	if (target)
		target->session = s;
	else
		g_ptr_array_add(b->accepted, s);
	g_message("BMP session %u %s %s port %u: open", s->number, target ? "to" : "from",
		  s->router, port);
	return s;
}

/*
 * End a session: its watch and socket go, its counters join the totals and
 * the RIB forgets everything it taught: nothing keeps those routes up to
 * date any more, and a new session starts with a full dump of the router's
 * RIBs (RFC 7854 section 3.3). A target's retry is its caller's.
 */
static void session_close(struct bmp_session *s, enum rfm_bmp_close_reason reason,
			  const char *detail)
{
	struct rfm_bmp *b = s->b;
	struct rfm_bmp_feed_stats fs;
	struct rfm_rib_stats before, after;
	const char *sys_name;

	if (s->source)
		g_source_remove(s->source);
	close(s->fd);
	rfm_bmp_feed_get_stats(s->feed, &fs);
	b->stats.bytes += fs.bytes;
	for (int i = 0; i < 8; i++)
		b->stats.messages[i] += fs.messages[i];
	b->stats.routes_announced += fs.routes_announced;
	b->stats.routes_withdrawn += fs.routes_withdrawn;
	b->stats.routes_dropped += fs.routes_dropped;
	b->stats.closed[reason]++;
	b->sessions_open--;

	rfm_rib_get_stats(b->rib, &before);
	rfm_rib_session_down(b->rib, s->number);
	rfm_rib_get_stats(b->rib, &after);

	sys_name = rfm_bmp_feed_sys_name(s->feed);
	if (reason == RFM_BMP_CLOSE_MALFORMED) {
		rfm_warning_ratelimited("BMP session %u %s %s port %u (%s): malformed message, "
					"session closed, %u routes dropped: %s",
					s->number, s->target ? "to" : "from", s->router, s->port,
					sys_name ? sys_name : "no sysName",
					before.routes - after.routes, detail ? detail : "");
	} else {
		g_message("BMP session %u %s %s port %u (%s): closed (%s%s%s), %u routes dropped",
			  s->number, s->target ? "to" : "from", s->router, s->port,
			  sys_name ? sys_name : "no sysName", rfm_bmp_close_reason_name(reason),
			  detail ? ": " : "", detail ? detail : "", before.routes - after.routes);
	}
	if (s->target)
		s->target->session = NULL;
	else
		g_ptr_array_remove(b->accepted, s);
	rfm_bmp_feed_free(s->feed);
	g_free(s);
}

static bool feed_delivered(const struct rfm_bmp_feed *feed)
{
	struct rfm_bmp_feed_stats fs;
	guint64 n = 0;

	rfm_bmp_feed_get_stats(feed, &fs);
	for (int i = 0; i < 8; i++)
		n += fs.messages[i];
	return n > 0;
}

/* Close a session from its own watch callback; an active one is retried later. */
static gboolean session_end(struct bmp_session *s, enum rfm_bmp_close_reason reason,
			    const char *detail)
{
	struct bmp_target *t = s->target;

	s->source = 0; /* the callback returns G_SOURCE_REMOVE */
	session_close(s, reason, detail);
	if (t)
		target_wait(t);
	return G_SOURCE_REMOVE;
}

static gboolean session_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	struct bmp_session *s = user_data;
	guint8 buf[RFM_BMP_READ_CHUNK];
	gsize budget = RFM_BMP_READ_BUDGET;

	while (budget) {
		g_autoptr(GError) err = NULL;
		ssize_t n = recv(fd, buf, MIN(sizeof(buf), budget), MSG_DONTWAIT);

		if (n == 0)
			return session_end(s, RFM_BMP_CLOSE_EOF, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return session_end(s, RFM_BMP_CLOSE_ERROR, g_strerror(errno));
		}
		budget -= (gsize)n;
		if (!rfm_bmp_feed_push(s->feed, buf, (gsize)n, &err)) {
			if (g_error_matches(err, RFM_BMP_ERROR, RFM_BMP_ERROR_TOO_LONG))
				s->b->stats.message_size_limit++;
			return session_end(s, RFM_BMP_CLOSE_MALFORMED, err->message);
		}
		if (!s->delivered && feed_delivered(s->feed)) {
			s->delivered = true;
			/* A working session: the next failure starts the backoff afresh. */
			if (s->target)
				s->target->retry_ms = RFM_BMP_RETRY_MIN_MS;
		}
	}
	return G_SOURCE_CONTINUE;
}

/* --- connect targets ----------------------------------------------------- */

static gboolean target_retry(gpointer user_data);

static void target_set_state(struct bmp_target *t, enum rfm_bmp_session_state state)
{
	t->state = state;
	t->since_us = g_get_real_time();
}

/* Stop connecting: watch, timer, socket. */
static void target_cancel(struct bmp_target *t)
{
	if (t->source)
		g_source_remove(t->source);
	t->source = 0;
	if (t->timer)
		g_source_remove(t->timer);
	t->timer = 0;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Wait retry_ms, then connect again; the delay doubles up to the ceiling. */
static void target_wait(struct bmp_target *t)
{
	target_cancel(t);
	target_set_state(t, RFM_BMP_STATE_WAITING);
	t->wait_ms = MIN(t->retry_ms, t->b->retry_max_ms);
	t->timer = g_timeout_add(t->wait_ms, target_retry, t);
	t->retry_ms = (guint32)MIN((guint64)t->wait_ms * 2, t->b->retry_max_ms);
}

static void target_failed(struct bmp_target *t, const char *why)
{
	t->b->stats.connect_failures++;
	rfm_warning_ratelimited("BMP: cannot connect to %s port %u: %s; next attempt in %u ms",
				t->router, t->port, why, MIN(t->retry_ms, t->b->retry_max_ms));
	target_wait(t);
}

static void target_up(struct bmp_target *t)
{
	int fd = t->fd;

	t->fd = -1;
	target_cancel(t);
	target_set_state(t, RFM_BMP_STATE_UP);
	session_new(t->b, fd, &t->addr, t->port, t);
}

static gboolean target_writable(gint fd, GIOCondition cond, gpointer user_data)
{
	struct bmp_target *t = user_data;
	int err = 0;
	socklen_t len = sizeof(err);

	t->source = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		target_failed(t, g_strerror(err));
	else
		target_up(t);
	return G_SOURCE_REMOVE;
}

static gboolean target_timeout(gpointer user_data)
{
	struct bmp_target *t = user_data;

	t->timer = 0;
	target_failed(t, "connection timed out");
	return G_SOURCE_REMOVE;
}

static void target_connect(struct bmp_target *t)
{
	struct rfm_bmp *b = t->b;
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(&t->addr, t->port, &ss);

	target_cancel(t);
	if (b->sessions_open >= b->max_sessions) {
		rfm_warning_ratelimited("BMP: not connecting to %s port %u: %u sessions open "
					"(enrich.bmp.max_sessions)",
					t->router, t->port, b->sessions_open);
		target_wait(t);
		return;
	}
	b->stats.connect_attempts++;
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		target_failed(t, g_strerror(errno));
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&ss, sl) == 0) {
		target_up(t);
		return;
	}
	if (errno != EINPROGRESS) {
		target_failed(t, g_strerror(errno));
		return;
	}
	target_set_state(t, RFM_BMP_STATE_CONNECTING);
	t->source = g_unix_fd_add(t->fd, G_IO_OUT | G_IO_ERR | G_IO_HUP, target_writable, t);
	t->timer = g_timeout_add(RFM_BMP_CONNECT_TIMEOUT_MS, target_timeout, t);
}

static gboolean target_retry(gpointer user_data)
{
	struct bmp_target *t = user_data;

	t->timer = 0;
	target_connect(t);
	return G_SOURCE_REMOVE;
}

static struct bmp_target *target_new(struct rfm_bmp *b, const struct bmp_addr *addr, guint16 port)
{
	struct bmp_target *t = g_new0(struct bmp_target, 1);

	t->b = b;
	t->addr = *addr;
	t->port = port;
	t->fd = -1;
	t->retry_ms = RFM_BMP_RETRY_MIN_MS;
	addr_format(addr, t->router);
	g_ptr_array_add(b->targets, t);
	g_message("BMP: connecting to %s port %u", t->router, port);
	return t;
}

static void target_free(struct bmp_target *t, enum rfm_bmp_close_reason reason)
{
	target_cancel(t);
	if (t->session)
		session_close(t->session, reason, NULL);
	g_free(t);
}

/* --- listener ------------------------------------------------------------ */

static gboolean listener_readable(gint fd, GIOCondition cond, gpointer user_data);

static gboolean listener_resume(gpointer user_data)
{
	struct rfm_bmp *b = user_data;

	b->accept_pause = 0;
	b->listen_source = g_unix_fd_add(b->listen_fd, G_IO_IN, listener_readable, b);
	return G_SOURCE_REMOVE;
}

static void refuse(struct rfm_bmp *b, int fd, const struct bmp_addr *a, guint16 port, bool limit)
{
	char text[INET6_ADDRSTRLEN];

	close(fd);
	addr_format(a, text);
	if (limit) {
		b->stats.refused_limit++;
		rfm_warning_ratelimited("BMP: refused connection from %s port %u: %u sessions "
					"open (enrich.bmp.max_sessions)",
					text, port, b->sessions_open);
	} else {
		b->stats.refused_allow++;
		rfm_warning_ratelimited("BMP: refused connection from %s port %u: not in "
					"enrich.bmp.allow",
					text, port);
	}
}

static gboolean listener_readable(gint fd, GIOCondition cond, gpointer user_data)
{
	struct rfm_bmp *b = user_data;

	for (int i = 0; i < ACCEPT_PER_DISPATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct bmp_addr a;
		guint16 port;
		int c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/*
			 * EMFILE, ENFILE, ENOBUFS: the connection stays queued and the
			 * socket stays readable; pause rather than spin.
			 */
			rfm_warning_ratelimited("BMP: accept: %s; pausing the listener",
						g_strerror(errno));
			b->listen_source = 0;
			b->accept_pause = g_timeout_add(ACCEPT_PAUSE_MS, listener_resume, b);
			return G_SOURCE_REMOVE;
		}
		addr_from_sockaddr(&ss, &a, &port);
		if (!allowed(b, &a))
			refuse(b, c, &a, port, false);
		else if (b->sessions_open >= b->max_sessions)
			refuse(b, c, &a, port, true);
		else {
			b->stats.accepted++;
			session_new(b, c, &a, port, NULL);
		}
	}
	return G_SOURCE_CONTINUE;
}

static int listener_open(const char *address, guint16 port, GError **error)
{
	struct bmp_addr a;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, on = 1;

	/* Not addr_parse(): "::" and "::ffff:a.b.c.d" stay IPv6, bound as written. */
	memset(&a, 0, sizeof(a));
	if (address && inet_pton(AF_INET, address, a.addr) == 1) {
		a.version = 4;
	} else if (address && inet_pton(AF_INET6, address, a.addr) == 1) {
		a.version = 6;
	} else {
		g_set_error(error, RFM_BMP_NET_ERROR, RFM_BMP_NET_ERROR_ADDRESS,
			    "enrich.bmp.listen: \"%s\" is not an IP address",
			    address ? address : "");
		return -1;
	}
	sl = addr_to_sockaddr(&a, port, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	g_set_error(error, RFM_BMP_NET_ERROR, RFM_BMP_NET_ERROR_LISTEN,
		    "BMP listener on %s port %u: %s", address, port, g_strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void listener_close(struct rfm_bmp *b)
{
	if (b->listen_source)
		g_source_remove(b->listen_source);
	b->listen_source = 0;
	if (b->accept_pause)
		g_source_remove(b->accept_pause);
	b->accept_pause = 0;
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	b->listen_fd = -1;
}

static void listener_install(struct rfm_bmp *b, int fd, const char *address, guint16 port)
{
	listener_close(b);
	g_free(b->listen);
	b->listen = g_strdup(address);
	b->port = port;
	b->listen_fd = fd;
	if (fd >= 0) {
		b->listen_source = g_unix_fd_add(fd, G_IO_IN, listener_readable, b);
		g_message("BMP: listening on %s port %u", address, port);
	}
}

/* --- life cycle ---------------------------------------------------------- */

/* Check every connect address before anything changes. */
static bool targets_parse(const GArray *connect, GArray **out, GError **error)
{
	*out = g_array_new(FALSE, TRUE, sizeof(struct bmp_addr));
	for (guint i = 0; connect && i < connect->len; i++) {
		const struct rfm_config_bmp_connect *c =
			&g_array_index(connect, struct rfm_config_bmp_connect, i);
		struct bmp_addr a;

		if (!c->address || !addr_parse(c->address, &a) || !c->port || c->port > 65535) {
			g_set_error(error, RFM_BMP_NET_ERROR, RFM_BMP_NET_ERROR_ADDRESS,
				    "enrich.bmp.connect[%u]: \"%s\" port %u is not an IP address "
				    "and port",
				    i, c->address ? c->address : "", c->port);
			g_array_unref(*out);
			*out = NULL;
			return false;
		}
		g_array_append_val(*out, a);
	}
	return true;
}

static void limits_apply(struct rfm_bmp *b, const struct rfm_config_bmp *cfg)
{
	b->max_sessions = MAX(cfg->max_sessions, 1);
	b->max_message = cfg->max_message_size;
	b->retry_max_ms = MAX(cfg->connect_retry_max_ms, RFM_BMP_RETRY_MIN_MS);
}

struct rfm_bmp *rfm_bmp_new(const struct rfm_config_bmp *cfg, struct rfm_rib *rib, GError **error)
{
	struct rfm_bmp *b;
	GArray *allow, *addrs;
	int fd = -1;

	allow = allow_parse(cfg->allow, error);
	if (!allow)
		return NULL;
	if (!targets_parse(cfg->connect, &addrs, error)) {
		g_array_unref(allow);
		return NULL;
	}
	if (cfg->port) {
		fd = listener_open(cfg->listen, (guint16)cfg->port, error);
		if (fd < 0) {
			g_array_unref(allow);
			g_array_unref(addrs);
			return NULL;
		}
	}
	b = g_new0(struct rfm_bmp, 1);
	b->rib = rib;
	b->allow = allow;
	b->listen_fd = -1;
	b->targets = g_ptr_array_new();
	b->accepted = g_ptr_array_new();
	limits_apply(b, cfg);
	listener_install(b, fd, cfg->listen, (guint16)cfg->port);
	for (guint i = 0; i < addrs->len; i++) {
		const struct rfm_config_bmp_connect *c =
			&g_array_index(cfg->connect, struct rfm_config_bmp_connect, i);

		target_connect(
			target_new(b, &g_array_index(addrs, struct bmp_addr, i), (guint16)c->port));
	}
	g_array_unref(addrs);
	return b;
}

void rfm_bmp_free(struct rfm_bmp *b)
{
	if (!b)
		return;
	listener_close(b);
	for (guint i = 0; i < b->targets->len; i++)
		target_free(g_ptr_array_index(b->targets, i), RFM_BMP_CLOSE_SHUTDOWN);
	g_ptr_array_unref(b->targets);
	while (b->accepted->len)
		session_close(g_ptr_array_index(b->accepted, 0), RFM_BMP_CLOSE_SHUTDOWN, NULL);
	g_ptr_array_unref(b->accepted);
	g_array_unref(b->allow);
	g_free(b->listen);
	g_free(b);
}

bool rfm_bmp_reconfigure(struct rfm_bmp *b, const struct rfm_config_bmp *cfg, GError **error)
{
	GArray *allow, *addrs;
	GPtrArray *old;
	bool relisten =
		cfg->port != b->port || (cfg->port && g_strcmp0(cfg->listen, b->listen) != 0);
	int fd = -1;

	allow = allow_parse(cfg->allow, error);
	if (!allow)
		return false;
	if (!targets_parse(cfg->connect, &addrs, error)) {
		g_array_unref(allow);
		return false;
	}
	/* Bind the new listener first: on failure nothing has changed. */
	if (relisten && cfg->port) {
		g_autoptr(GError) err = NULL;

		fd = listener_open(cfg->listen, (guint16)cfg->port, &err);
		if (fd < 0 && cfg->port == b->port && b->listen_fd >= 0) {
			/*
			 * Same port on another address (127.0.0.1 -> 0.0.0.0): the old
			 * socket holds it. Release it, and take it back if the new one fails.
			 */
			listener_close(b);
			g_clear_error(&err);
			fd = listener_open(cfg->listen, (guint16)cfg->port, &err);
			if (fd < 0) {
				g_autofree char *was = g_strdup(b->listen);
				int ofd = listener_open(was, b->port, NULL);

				if (ofd < 0)
					g_warning("BMP: the listener on %s port %u is lost", was,
						  b->port);
				listener_install(b, ofd, was, b->port);
			}
		}
		if (fd < 0) {
			g_propagate_error(error, g_steal_pointer(&err));
			g_array_unref(allow);
			g_array_unref(addrs);
			return false;
		}
	}
	if (relisten) {
		if (b->listen_fd >= 0 && fd < 0)
			g_message("BMP: listener on %s port %u closed", b->listen, b->port);
		listener_install(b, fd, cfg->listen, (guint16)cfg->port);
	}

	limits_apply(b, cfg);
	g_array_unref(b->allow);
	b->allow = allow;
	for (guint i = 0; i < b->accepted->len;) {
		struct bmp_session *s = g_ptr_array_index(b->accepted, i);

		if (allowed(b, &s->addr))
			i++;
		else
			session_close(s, RFM_BMP_CLOSE_CONFIG, "no longer in enrich.bmp.allow");
	}

	/* Targets: keep those still listed (same address and port), start new ones. */
	old = b->targets;
	b->targets = g_ptr_array_new();
	for (guint i = 0; i < addrs->len; i++) {
		const struct bmp_addr *a = &g_array_index(addrs, struct bmp_addr, i);
		guint16 port =
			(guint16)g_array_index(cfg->connect, struct rfm_config_bmp_connect, i).port;
		struct bmp_target *keep = NULL;

		for (guint j = 0; j < old->len && !keep; j++) {
			struct bmp_target *t = g_ptr_array_index(old, j);

			if (t && addr_equal(&t->addr, a) && t->port == port) {
				keep = t;
				g_ptr_array_index(old, j) = NULL;
			}
		}
		if (keep)
			g_ptr_array_add(b->targets, keep);
		else
			target_connect(target_new(b, a, port));
	}
	for (guint j = 0; j < old->len; j++) {
		struct bmp_target *t = g_ptr_array_index(old, j);

		if (t) {
			g_message("BMP: no longer connecting to %s port %u", t->router, t->port);
			target_free(t, RFM_BMP_CLOSE_CONFIG);
		}
	}
	g_ptr_array_unref(old);
	g_array_unref(addrs);
	return true;
}

/* --- reading out ----------------------------------------------------------- */

struct session_count {
	guint32 routes, peers;
};

static void count_peer(guint32 peer_id, const struct rfm_rib_peer_key *key, guint32 peer_as,
		       guint32 routes, void *ud)
{
	GHashTable *by_session = ud;
	struct session_count *c = g_hash_table_lookup(by_session, GUINT_TO_POINTER(key->session));

	if (!c) {
		c = g_new0(struct session_count, 1);
		g_hash_table_insert(by_session, GUINT_TO_POINTER(key->session), c);
	}
	c->routes += routes;
	c->peers++;
}

/* Routes and peers per session number, one pass over the RIB's peers. */
static GHashTable *count_by_session(const struct rfm_bmp *b)
{
	GHashTable *h = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);

	rfm_rib_foreach_peer(b->rib, count_peer, h);
	return h;
}

static void session_info(const struct bmp_session *s, GHashTable *counts,
			 struct rfm_bmp_session_info *info)
{
	const struct session_count *c = g_hash_table_lookup(counts, GUINT_TO_POINTER(s->number));

	info->session = s->number;
	info->router = s->router;
	info->port = s->port;
	info->active = s->target != NULL;
	info->state = RFM_BMP_STATE_UP;
	info->sys_name = rfm_bmp_feed_sys_name(s->feed);
	info->since_us = s->since_us;
	info->routes = c ? c->routes : 0;
	info->peers = c ? c->peers : 0;
	rfm_bmp_feed_get_stats(s->feed, &info->feed);
}

void rfm_bmp_foreach_session(const struct rfm_bmp *b,
			     void (*fn)(const struct rfm_bmp_session_info *info, void *ud),
			     void *ud)
{
	g_autoptr(GHashTable) counts = count_by_session(b);

	for (guint i = 0; i < b->targets->len; i++) {
		const struct bmp_target *t = g_ptr_array_index(b->targets, i);
		struct rfm_bmp_session_info info = {0};

		if (t->session) {
			session_info(t->session, counts, &info);
		} else {
			info.router = t->router;
			info.port = t->port;
			info.active = true;
			info.state = t->state;
			info.since_us = t->since_us;
			info.retry_ms = t->state == RFM_BMP_STATE_WAITING ? t->wait_ms : 0;
		}
		fn(&info, ud);
	}
	for (guint i = 0; i < b->accepted->len; i++) {
		struct rfm_bmp_session_info info = {0};

		session_info(g_ptr_array_index(b->accepted, i), counts, &info);
		fn(&info, ud);
	}
}

static void add_open(const struct rfm_bmp_session_info *info, void *ud)
{
	struct rfm_bmp_stats *out = ud;

	if (!info->session)
		return;
	out->bytes += info->feed.bytes;
	for (int i = 0; i < 8; i++)
		out->messages[i] += info->feed.messages[i];
	out->routes_announced += info->feed.routes_announced;
	out->routes_withdrawn += info->feed.routes_withdrawn;
	out->routes_dropped += info->feed.routes_dropped;
	out->routes += info->routes;
	out->peers += info->peers;
}

void rfm_bmp_get_stats(const struct rfm_bmp *b, struct rfm_bmp_stats *out)
{
	*out = b->stats;
	out->sessions_open = b->sessions_open;
	out->targets = b->targets->len;
	out->routes = 0;
	out->peers = 0;
	rfm_bmp_foreach_session(b, add_open, out);
}

guint16 rfm_bmp_listen_port(const struct rfm_bmp *b)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct bmp_addr a;
	guint16 port = 0;

	if (b->listen_fd < 0 || getsockname(b->listen_fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	addr_from_sockaddr(&ss, &a, &port);
	return port;
}

const char *rfm_bmp_close_reason_name(enum rfm_bmp_close_reason r)
{
	static const char *const names[RFM_BMP_CLOSE_MAX] = {
		[RFM_BMP_CLOSE_EOF] = "eof",
		[RFM_BMP_CLOSE_ERROR] = "error",
		[RFM_BMP_CLOSE_MALFORMED] = "malformed",
		[RFM_BMP_CLOSE_CONFIG] = "config",
		[RFM_BMP_CLOSE_SHUTDOWN] = "shutdown",
	};

	return r < RFM_BMP_CLOSE_MAX ? names[r] : "?";
}

const char *rfm_bmp_state_name(enum rfm_bmp_session_state s)
{
	switch (s) {
	case RFM_BMP_STATE_UP:
		return "up";
	case RFM_BMP_STATE_CONNECTING:
		return "connecting";
	case RFM_BMP_STATE_WAITING:
		return "waiting";
	default:
		return "?";
	}
}
