// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * transport.c - owns the sockets to collectors: connecting and reconnecting
 * with backoff, the queue of messages waiting for the socket, writes the
 * socket takes only in part, and the one GLib source per transport (its fd
 * and its timer) that drives them.
 */
#define _GNU_SOURCE
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define KEEPALIVE_IDLE_S     60
#define KEEPALIVE_INTERVAL_S 10
#define KEEPALIVE_COUNT	     6
/* Data unacknowledged this long ends the connection (a collector that vanished). */
#define USER_TIMEOUT_MS 60000
#define DISCARD_BYTES	4096
#define POLL_EVERY_US	1000 /* rfm_transport_poll(): at most one poll(2) per transport per ms */

GQuark rfm_transport_error_quark(void)
{
	return g_quark_from_static_string("rfm-transport-error-quark");
}

/* DOC: one whole message in a queue; owned by the queue. */
struct tmsg {
	struct tmsg *next;
	guint32 len;
	guint32 records;
	guint8 data[];
};

/* DOC: messages in sending order. */
struct tqueue {
	struct tmsg *head, *tail; /* owned */
	guint64 messages, octets;
};

/* DOC: the GSource of a transport: its fd (when it has one) and its timer (ready time). */
struct transport_source {
	GSource source;
	struct rfm_transport *t; /* borrowed: the transport owns the source */
};

/* DOC: one collector connection. Owned by its creator (export.c). */
struct rfm_transport {
	enum rfm_transport_kind kind;
	struct sockaddr_storage dst, src;
	socklen_t dst_len, src_len; /* src_len 0: no bind */
	char name[INET6_ADDRSTRLEN + 32];
	gsize queue_bytes;
	guint32 block_ms, retry_min_ms, retry_max_ms, connect_timeout_ms;
	rfm_transport_connected_fn connected;
	void *user_data;

	enum rfm_transport_state state;
	int fd;		     /* owned, -1 while WAITING */
	GSource *source;     /* owned */
	gpointer fd_tag;     /* fd in source; NULL without fd */
	GIOCondition events; /* what fd_tag watches now */
	gint64 deadline_us;  /* CONNECTING: timeout; WAITING: next attempt (monotonic) */
	gint64 next_poll_us; /* rfm_transport_poll() rate limit */
	guint32 retry_ms;    /* the delay after the next failure */
	guint32 wait_ms;     /* WAITING: the delay being waited */
	gsize head_off;	     /* octets of q.head written already (TCP) */
	bool head_retried;   /* UDP: q.head failed once already */
	bool in_connected;   /* inside connected(): sends go to front */
	struct tqueue q;
	struct tqueue front; /* sent from connected(): goes before q */
	struct rfm_transport_stats st;
};

static void transport_io(struct rfm_transport *t, GIOCondition rev);
static void transport_timer(struct rfm_transport *t);

/* --- queue ------------------------------------------------------------------- */

static void tqueue_push(struct tqueue *q, struct tmsg *m)
{
	m->next = NULL;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->messages++;
	q->octets += m->len;
}

static struct tmsg *tqueue_pop(struct tqueue *q)
{
	struct tmsg *m = q->head;

	q->head = m->next;
	if (!q->head)
		q->tail = NULL;
	q->messages--;
	q->octets -= m->len;
	return m;
}

/* Put every message of from before those of to; from ends empty. */
static void tqueue_prepend(struct tqueue *to, struct tqueue *from)
{
	if (!from->head)
		return;
	from->tail->next = to->head;
	if (!to->tail)
		to->tail = from->tail;
	to->head = from->head;
	to->messages += from->messages;
	to->octets += from->octets;
	memset(from, 0, sizeof(*from));
}

static void tqueue_clear(struct tqueue *q)
{
	while (q->head)
		g_free(tqueue_pop(q));
}

static struct tmsg *tmsg_new(const guint8 *data, gsize len, guint32 records)
{
	struct tmsg *m = g_malloc(sizeof(*m) + len);

	m->len = (guint32)len;
	m->records = records;
	memcpy(m->data, data, len);
	return m;
}

/* --- socket and watch -------------------------------------------------------- */

static gint64 now_us(void)
{
	return g_get_monotonic_time();
}

static void watch_update(struct rfm_transport *t)
{
	GIOCondition ev = 0;

	if (!t->fd_tag)
		return;
	if (t->state == RFM_TRANSPORT_CONNECTING) {
		ev = G_IO_OUT;
	} else if (t->state == RFM_TRANSPORT_UP) {
		if (t->q.head)
			ev |= G_IO_OUT;
		/* A collector sends nothing: readable means EOF, a reset, or junk to discard. */
		if (t->kind == RFM_TRANSPORT_TCP)
			ev |= G_IO_IN;
	}
	if (ev != t->events) {
		g_source_modify_unix_fd(t->source, t->fd_tag, ev);
		t->events = ev;
	}
}

static void socket_close(struct rfm_transport *t)
{
	if (t->fd_tag)
		g_source_remove_unix_fd(t->source, t->fd_tag);
	t->fd_tag = NULL;
	t->events = 0;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static void set_deadline(struct rfm_transport *t, gint64 at_us)
{
	t->deadline_us = at_us;
	g_source_set_ready_time(t->source, at_us);
}

/* Wait, then connect again; the delay doubles up to retry_max_ms. */
static void transport_wait(struct rfm_transport *t)
{
	socket_close(t);
	t->state = RFM_TRANSPORT_WAITING;
	t->wait_ms = MIN(t->retry_ms, t->retry_max_ms);
	t->retry_ms = (guint32)MIN((guint64)t->wait_ms * 2, t->retry_max_ms);
	set_deadline(t, now_us() + (gint64)t->wait_ms * 1000);
}

static void connect_failed(struct rfm_transport *t, int err)
{
	t->st.connect_failures++;
	rfm_warning_ratelimited("export: cannot connect to %s: %s; next attempt in %u ms", t->name,
				g_strerror(err), MIN(t->retry_ms, t->retry_max_ms));
	transport_wait(t);
}

/* A TCP connection that was up is gone: the message being written is sent again whole. */
static void connection_lost(struct rfm_transport *t, const char *why)
{
	t->head_off = 0;
	rfm_warning_ratelimited("export: connection to %s lost: %s; next attempt in %u ms", t->name,
				why, MIN(t->retry_ms, t->retry_max_ms));
	transport_wait(t);
}

static void write_queue(struct rfm_transport *t);

static void transport_up(struct rfm_transport *t)
{
	t->state = RFM_TRANSPORT_UP;
	set_deadline(t, -1);
	t->st.connects++;
	if (t->st.connects > 1)
		t->st.reconnects++;
	if (t->kind == RFM_TRANSPORT_TCP || t->st.connects > 1)
		g_message("export: %s %s",
			  t->kind == RFM_TRANSPORT_TCP ? "connected to" : "sending to", t->name);
	t->retry_ms = t->retry_min_ms;
	t->head_off = 0;
	t->head_retried = false;
	if (t->kind == RFM_TRANSPORT_TCP && t->connected) {
		t->in_connected = true;
		t->connected(t->user_data);
		t->in_connected = false;
		tqueue_prepend(&t->q, &t->front);
	}
	write_queue(t);
	watch_update(t);
}

static void set_int(int fd, int level, int name, int v)
{
	/* Best effort: tuning only, the connection works without it. */
	(void)setsockopt(fd, level, name, &v, sizeof(v));
}

static void transport_connect(struct rfm_transport *t)
{
	int type = t->kind == RFM_TRANSPORT_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int rc;

	socket_close(t);
	t->fd = socket(t->dst.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		connect_failed(t, errno);
		return;
	}
	t->fd_tag = g_source_add_unix_fd(t->source, t->fd, 0);
	if (t->src_len) {
		/*
		 * A fixed source port survives reconnects (TIME_WAIT) and may be
		 * shared by the sockets to several collectors.
		 */
		set_int(t->fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (bind(t->fd, (struct sockaddr *)&t->src, t->src_len) < 0) {
			connect_failed(t, errno);
			return;
		}
	}
	if (t->kind == RFM_TRANSPORT_TCP) {
		/* Messages are whole units: no reason to hold back a short last segment. */
		set_int(t->fd, IPPROTO_TCP, TCP_NODELAY, 1);
		set_int(t->fd, SOL_SOCKET, SO_KEEPALIVE, 1);
		set_int(t->fd, IPPROTO_TCP, TCP_KEEPIDLE, KEEPALIVE_IDLE_S);
		set_int(t->fd, IPPROTO_TCP, TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S);
		set_int(t->fd, IPPROTO_TCP, TCP_KEEPCNT, KEEPALIVE_COUNT);
		set_int(t->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, USER_TIMEOUT_MS);
	}
	rc = connect(t->fd, (struct sockaddr *)&t->dst, t->dst_len);
	if (rc == 0 && t->kind == RFM_TRANSPORT_UDP) {
		transport_up(t);
		return;
	}
	if (rc < 0 && errno != EINPROGRESS) {
		connect_failed(t, errno);
		return;
	}
	/*
	 * TCP, even when connect() succeeded at once: connected() must not run
	 * inside rfm_transport_new(); the watch reports the socket writable.
	 */
	t->state = RFM_TRANSPORT_CONNECTING;
	set_deadline(t, now_us() + (gint64)t->connect_timeout_ms * 1000);
	watch_update(t);
}

/* CONNECTING and the socket reported something: connected or failed. */
static void connect_finish(struct rfm_transport *t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		connect_failed(t, err);
	else
		transport_up(t);
}

/* --- writing ----------------------------------------------------------------- */

/*
 * A send of msg failed with err. UDP: the error may be an earlier
 * datagram's (ICMP port unreachable), so the message is tried once more,
 * then given up. TCP: the connection is gone. Returns whether msg should be
 * tried again now.
 */
static bool send_failed(struct rfm_transport *t, int err, bool *retried, bool *lost)
{
	t->st.send_errors++;
	*lost = false;
	if (t->kind == RFM_TRANSPORT_TCP) {
		connection_lost(t, g_strerror(err));
		return false;
	}
	if (!*retried) {
		*retried = true;
		return true;
	}
	*retried = false;
	*lost = true;
	rfm_warning_ratelimited("export: %s: %s (message lost, counted)", t->name, g_strerror(err));
	return false;
}

static void count_lost(struct rfm_transport *t, gsize len, guint32 records)
{
	t->st.lost_messages++;
	t->st.lost_records += records;
	t->st.lost_octets += len;
}

static void count_sent(struct rfm_transport *t, gsize len)
{
	t->st.messages++;
	t->st.octets += len;
}

/* Write queued messages until the queue is empty or the socket is full (UP only). */
static void write_queue(struct rfm_transport *t)
{
	while (t->state == RFM_TRANSPORT_UP && t->q.head) {
		struct tmsg *m = t->q.head;
		ssize_t n = send(t->fd, m->data + t->head_off, m->len - t->head_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		bool lost;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (send_failed(t, errno, &t->head_retried, &lost))
				continue;
			if (lost) {
				count_lost(t, m->len, m->records);
				g_free(tqueue_pop(&t->q));
			}
			continue;
		}
		t->head_off += (gsize)n;
		if (t->head_off < m->len)
			continue; /* TCP took part of it: the rest, or EAGAIN */
		count_sent(t, m->len);
		t->head_off = 0;
		t->head_retried = false;
		g_free(tqueue_pop(&t->q));
	}
}

/* TCP, UP, readable: discard what the collector sent; false if the connection is gone. */
static bool tcp_read(struct rfm_transport *t)
{
	guint8 buf[DISCARD_BYTES];

	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0) {
			connection_lost(t, "closed by the collector");
			return false;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return true;
		t->st.send_errors++;
		connection_lost(t, g_strerror(errno));
		return false;
	}
	return true;
}

/* UDP: an ICMP error reported on the socket; reading SO_ERROR clears it. */
static void udp_error(struct rfm_transport *t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || !err)
		return;
	t->st.send_errors++;
	rfm_warning_ratelimited("export: %s: %s (counted)", t->name, g_strerror(err));
}

static void transport_io(struct rfm_transport *t, GIOCondition rev)
{
	switch (t->state) {
	case RFM_TRANSPORT_CONNECTING:
		if (rev & (G_IO_OUT | G_IO_ERR | G_IO_HUP))
			connect_finish(t);
		return;
	case RFM_TRANSPORT_UP:
		if (t->kind == RFM_TRANSPORT_TCP && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) &&
		    !tcp_read(t))
			return;
		if (t->kind == RFM_TRANSPORT_UDP && (rev & G_IO_ERR))
			udp_error(t);
		if (rev & G_IO_OUT)
			write_queue(t);
		watch_update(t);
		return;
	default:
		return;
	}
}

static void transport_timer(struct rfm_transport *t)
{
	set_deadline(t, -1);
	if (t->state == RFM_TRANSPORT_CONNECTING)
		connect_failed(t, ETIMEDOUT);
	else if (t->state == RFM_TRANSPORT_WAITING)
		transport_connect(t);
}

static gboolean source_dispatch(GSource *s, GSourceFunc cb, gpointer ud)
{
	struct rfm_transport *t = ((struct transport_source *)s)->t;
	gint64 ready = g_source_get_ready_time(s);

	if (ready >= 0 && g_source_get_time(s) >= ready)
		transport_timer(t);
	else if (t->fd_tag)
		transport_io(t, g_source_query_unix_fd(s, t->fd_tag));
	return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
	.dispatch = source_dispatch,
};

/* --- the API ----------------------------------------------------------------- */

static bool parse_addr(const char *s, guint16 port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return true;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return true;
	}
	return false;
}

struct rfm_transport *rfm_transport_new(const struct rfm_transport_options *o, GError **error)
{
	struct rfm_transport *t = g_new0(struct rfm_transport, 1);
	bool has_src = o->source_address && o->source_address[0];

	t->fd = -1;
	t->kind = o->kind;
	if (!o->address || !parse_addr(o->address, o->port, &t->dst, &t->dst_len)) {
		g_set_error(error, RFM_TRANSPORT_ERROR, RFM_TRANSPORT_ERROR_ADDRESS,
			    "collector address \"%s\" is not an IPv4 or IPv6 address",
			    o->address ? o->address : "");
		g_free(t);
		return NULL;
	}
	if (has_src && !parse_addr(o->source_address, o->source_port, &t->src, &t->src_len)) {
		g_set_error(error, RFM_TRANSPORT_ERROR, RFM_TRANSPORT_ERROR_ADDRESS,
			    "source address \"%s\" is not an IPv4 or IPv6 address",
			    o->source_address);
		g_free(t);
		return NULL;
	}
	if (has_src && t->src.ss_family != t->dst.ss_family) {
		g_set_error(error, RFM_TRANSPORT_ERROR, RFM_TRANSPORT_ERROR_ADDRESS,
			    "source address \"%s\" and collector address \"%s\" are of different "
			    "families",
			    o->source_address, o->address);
		g_free(t);
		return NULL;
	}
	if (!has_src && o->source_port) {
		/* The wildcard address of the collector's family, with the port. */
		parse_addr(t->dst.ss_family == AF_INET ? "0.0.0.0" : "::", o->source_port, &t->src,
			   &t->src_len);
	}
	g_snprintf(t->name, sizeof(t->name), "collector %s port %u/%s", o->address, o->port,
		   rfm_transport_kind_name(o->kind));
	t->queue_bytes = o->queue_bytes;
	t->block_ms = o->block_ms;
	t->retry_min_ms = o->retry_min_ms ? o->retry_min_ms : RFM_TRANSPORT_RETRY_MIN_MS;
	t->retry_max_ms = MAX(o->retry_max_ms ? o->retry_max_ms : RFM_TRANSPORT_RETRY_MAX_MS,
			      t->retry_min_ms);
	t->connect_timeout_ms =
		o->connect_timeout_ms ? o->connect_timeout_ms : RFM_TRANSPORT_CONNECT_TIMEOUT_MS;
	t->retry_ms = t->retry_min_ms;
	t->connected = o->connected;
	t->user_data = o->user_data;

	t->source = g_source_new(&source_funcs, sizeof(struct transport_source));
	((struct transport_source *)t->source)->t = t;
	g_source_set_name(t->source, "rfm transport");
	g_source_attach(t->source, g_main_context_get_thread_default());
	transport_connect(t);
	return t;
}

void rfm_transport_free(struct rfm_transport *t)
{
	if (!t)
		return;
	g_assert(!t->in_connected);
	if (t->q.messages)
		g_message("export: %s: %" G_GUINT64_FORMAT " queued messages (%" G_GUINT64_FORMAT
			  " octets) not sent",
			  t->name, t->q.messages, t->q.octets);
	socket_close(t);
	g_source_destroy(t->source);
	g_source_unref(t->source);
	tqueue_clear(&t->q);
	tqueue_clear(&t->front);
	g_free(t);
}

/* Queue full and the socket up: write until there is room, for up to block_ms. */
static bool wait_room(struct rfm_transport *t, gsize len)
{
	gint64 deadline = now_us() + (gint64)t->block_ms * 1000;

	while (t->state == RFM_TRANSPORT_UP && t->q.octets + len > t->queue_bytes) {
		struct pollfd p = {.fd = t->fd, .events = POLLOUT};
		gint64 left = deadline - now_us();
		int rc;

		if (t->kind == RFM_TRANSPORT_TCP)
			p.events |= POLLIN;
		if (left <= 0)
			return false;
		rc = poll(&p, 1, (int)MAX((left + 999) / 1000, 1));
		if (rc < 0 && errno != EINTR)
			return false;
		if (rc > 0)
			transport_io(t, (GIOCondition)p.revents);
	}
	return t->q.octets + len <= t->queue_bytes;
}

static bool enqueue(struct rfm_transport *t, const guint8 *msg, gsize len, guint32 records)
{
	if (t->q.octets + len > t->queue_bytes &&
	    !(t->block_ms && t->state == RFM_TRANSPORT_UP && wait_room(t, len))) {
		t->st.dropped_messages++;
		t->st.dropped_records += records;
		t->st.dropped_octets += len;
		rfm_warning_ratelimited("export: %s: queue full (%" G_GUINT64_FORMAT
					" octets), message dropped (counted)",
					t->name, t->q.octets);
		return false;
	}
	tqueue_push(&t->q, tmsg_new(msg, len, records));
	watch_update(t);
	return true;
}

bool rfm_transport_send(struct rfm_transport *t, const guint8 *msg, gsize len, guint32 records)
{
	bool retried = false, lost;

	if (t->in_connected) {
		/* Templates for a new connection: ahead of the queue, never dropped. */
		tqueue_push(&t->front, tmsg_new(msg, len, records));
		return true;
	}
	if (t->state == RFM_TRANSPORT_UP && t->q.head)
		write_queue(t);
	while (t->state == RFM_TRANSPORT_UP && !t->q.head) {
		ssize_t n = send(t->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == (ssize_t)len) {
			count_sent(t, len);
			return true;
		}
		if (n >= 0) {
			/* TCP took part: the rest must follow before anything else. */
			tqueue_push(&t->q, tmsg_new(msg, len, records));
			t->head_off = (gsize)n;
			watch_update(t);
			return true;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (send_failed(t, errno, &retried, &lost))
			continue;
		if (lost) {
			count_lost(t, len, records);
			return false;
		}
	}
	return enqueue(t, msg, len, records);
}

void rfm_transport_poll(struct rfm_transport *t)
{
	gint64 now;
	struct pollfd p;

	if (t->in_connected)
		return;
	if (t->state == RFM_TRANSPORT_UP && !t->q.head && t->kind == RFM_TRANSPORT_UDP)
		return;
	now = now_us();
	if (now < t->next_poll_us)
		return;
	t->next_poll_us = now + POLL_EVERY_US;
	if (t->deadline_us >= 0 && t->state != RFM_TRANSPORT_UP && now >= t->deadline_us) {
		transport_timer(t);
		return;
	}
	if (!t->fd_tag || !t->events)
		return;
	p.fd = t->fd;
	p.events = (short)t->events;
	p.revents = 0;
	if (poll(&p, 1, 0) > 0)
		transport_io(t, (GIOCondition)p.revents);
}

bool rfm_transport_drain(struct rfm_transport *const *ts, guint n, gint64 deadline_us)
{
	g_autofree struct pollfd *pfd = g_new0(struct pollfd, MAX(n, 1));
	g_autofree guint *which = g_new0(guint, MAX(n, 1));
	bool empty = false;

	for (;;) {
		gint64 now = now_us(), wake = deadline_us;
		guint k = 0;
		bool pending = false;

		empty = true;
		for (guint i = 0; i < n; i++) {
			struct rfm_transport *t = ts[i];

			if (!t->q.head)
				continue;
			empty = false;
			/* Timers that fell due: a connect timeout, a retry. */
			if (t->state != RFM_TRANSPORT_UP && t->deadline_us >= 0 &&
			    now >= t->deadline_us)
				transport_timer(t);
			if (!t->q.head)
				continue;
			if (t->state == RFM_TRANSPORT_WAITING) {
				/* A retry after the deadline is not waited for. */
				if (t->deadline_us < deadline_us) {
					wake = MIN(wake, t->deadline_us);
					pending = true;
				}
				continue;
			}
			if (t->state == RFM_TRANSPORT_CONNECTING)
				wake = MIN(wake, t->deadline_us);
			pfd[k].fd = t->fd;
			pfd[k].events = (short)(t->events | POLLOUT);
			pfd[k].revents = 0;
			which[k++] = i;
			pending = true;
		}
		if (!pending || now >= deadline_us)
			break;
		if (poll(pfd, k, (int)MAX((wake - now + 999) / 1000, 0)) < 0 && errno != EINTR)
			break;
		for (guint j = 0; j < k; j++) {
			if (pfd[j].revents)
				transport_io(ts[which[j]], (GIOCondition)pfd[j].revents);
		}
	}
	for (guint i = 0; i < n; i++)
		empty = empty && !ts[i]->q.head;
	return empty;
}

void rfm_transport_get_stats(const struct rfm_transport *t, struct rfm_transport_stats *out)
{
	*out = t->st;
	out->queued_messages = t->q.messages;
	out->queued_octets = t->q.octets;
	out->state = t->state;
	out->retry_ms = t->state == RFM_TRANSPORT_WAITING ? t->wait_ms : t->retry_ms;
}

const char *rfm_transport_name(const struct rfm_transport *t)
{
	return t->name;
}

const char *rfm_transport_kind_name(enum rfm_transport_kind k)
{
	return k == RFM_TRANSPORT_TCP ? "tcp" : "udp";
}

const char *rfm_transport_state_name(enum rfm_transport_state s)
{
	switch (s) {
	case RFM_TRANSPORT_UP:
		return "up";
	case RFM_TRANSPORT_CONNECTING:
		return "connecting";
	case RFM_TRANSPORT_WAITING:
		return "waiting";
	default:
		return "?";
	}
}
