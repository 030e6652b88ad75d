/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bmp.h - BMP sessions (RFC 7854) on the GLib main loop: the TCP listener
 * routers connect to, the connections rfm makes to routers' BMP listeners,
 * and the bytes of each session fed into the RIB through a struct
 * rfm_bmp_feed (bmp_feed.h does the decoding).
 *
 * Sessions. Each TCP connection is one session with a number that is never
 * reused while rfm runs (it keys the session's peers in the RIB). rfm only
 * reads: a BMP monitoring station sends nothing (RFC 7854 section 3.2). A
 * session ends on EOF, on a socket error, or on the first malformed message
 * (rfm_bmp_feed_push() fails); then it is closed and every route it taught
 * the RIB is dropped (rfm_rib_session_down()). A malformed message affects
 * only its own session. TCP keepalive is on, so a router that vanished
 * without a FIN is noticed within about two minutes.
 *
 * Passive (listen, port; port 0 = no listener). Connections from an address
 * not in allow (when allow is not empty) are closed at once and counted as
 * refused; so are connections past max_sessions (which counts every open
 * session, active ones included). Refusals are logged rate-limited.
 *
 * Active (connect). rfm connects to each target, non-blocking, with a
 * RFM_BMP_CONNECT_TIMEOUT_MS timeout. A failed attempt or a closed session
 * is retried after a delay that starts at RFM_BMP_RETRY_MIN_MS and doubles
 * up to connect_retry_max_ms; it returns to the minimum once a session has
 * delivered a valid message. A target waits (same backoff) while
 * max_sessions sessions are open.
 *
 * Fairness and memory. A readable session is read RFM_BMP_READ_CHUNK bytes
 * at a time, at most RFM_BMP_READ_BUDGET bytes per main-loop dispatch, so a
 * busy router cannot starve the loop. Between reads a session holds at most
 * max_message_size bytes of an incomplete message (a longer message is
 * malformed: see rfm_bmp_frame()).
 *
 * Everything runs on the global default main context (the sources are
 * added with g_unix_fd_add() and g_timeout_add()), not on a thread-default
 * one pushed by the caller; nothing here is thread-safe.
 */
#ifndef RFM_BMP_H
#define RFM_BMP_H

#include <stdbool.h>
#include <glib.h>

#include "bmp_feed.h"

#define RFM_BMP_NET_ERROR (rfm_bmp_net_error_quark())
GQuark rfm_bmp_net_error_quark(void);

enum rfm_bmp_net_error_code {
	RFM_BMP_NET_ERROR_ADDRESS, /* listen or a connect address is not an IP literal */
	RFM_BMP_NET_ERROR_LISTEN,  /* socket(), bind() or listen() failed */
};

#define RFM_BMP_READ_CHUNK	   (16U << 10)
#define RFM_BMP_READ_BUDGET	   (64U << 10)
#define RFM_BMP_RETRY_MIN_MS	   1000U
#define RFM_BMP_CONNECT_TIMEOUT_MS 10000U

struct rfm_config_bmp;
struct rfm_rib;

/* Why sessions ended; metric label names from rfm_bmp_close_reason_name(). */
enum rfm_bmp_close_reason {
	RFM_BMP_CLOSE_EOF = 0,	     /* the router closed the connection */
	RFM_BMP_CLOSE_ERROR = 1,     /* a socket error (reset, keepalive timeout) */
	RFM_BMP_CLOSE_MALFORMED = 2, /* rfm_bmp_feed_push() refused the stream */
	RFM_BMP_CLOSE_CONFIG = 3,    /* reconfiguration: target removed, address not allowed */
	RFM_BMP_CLOSE_SHUTDOWN = 4,  /* rfm_bmp_free() */
	RFM_BMP_CLOSE_MAX = 5,
};

enum rfm_bmp_session_state {
	RFM_BMP_STATE_UP = 0,	      /* connected: messages flow */
	RFM_BMP_STATE_CONNECTING = 1, /* active target: connect() in progress */
	RFM_BMP_STATE_WAITING = 2,    /* active target: waiting to retry */
};

/* DOC: totals since rfm_bmp_new(), closed sessions included. */
struct rfm_bmp_stats {
	guint32 sessions_open;
	guint32 targets; /* configured connect targets */
	guint64 accepted;
	guint64 refused_allow;	    /* address not in allow */
	guint64 refused_limit;	    /* max_sessions open */
	guint64 message_size_limit; /* sessions closed: a message over max_message_size */
	guint64 connect_attempts;   /* active connect() calls */
	guint64 connect_failures;   /* refused, unreachable, timed out */
	guint64 closed[RFM_BMP_CLOSE_MAX];
	guint64 bytes;
	guint64 messages[8]; /* by BMP message type 0..6; [7] unknown types */
	guint64 routes_announced, routes_withdrawn, routes_dropped;
	guint32 routes; /* held in the RIB now, from open sessions */
	guint32 peers;	/* RIB peers (peer x view) of open sessions */
};

/*
 * DOC: one session or connect target as rfm_bmp_foreach_session() shows it.
 * Strings are valid during the callback only.
 */
struct rfm_bmp_session_info {
	guint32 session;		/* 0 for a target that is not connected */
	const char *router;		/* the router's address, text */
	guint16 port;			/* the router's TCP port */
	bool active;			/* rfm connected (a connect target) */
	guint8 state;			/* enum rfm_bmp_session_state */
	const char *sys_name;		/* from Initiation, or NULL */
	gint64 since_us;		/* g_get_real_time() when the state began */
	guint32 routes, peers;		/* in the RIB from this session */
	guint32 retry_ms;		/* WAITING: the current backoff delay */
	struct rfm_bmp_feed_stats feed; /* zero unless UP */
};

struct rfm_bmp;

/*
 * Start the listener (if cfg->port) and the connect targets. cfg is copied;
 * rib is borrowed and must outlive the struct rfm_bmp. Fails
 * (RFM_BMP_NET_ERROR_*) when the listener cannot be bound or an address is
 * not an IP literal.
 */
struct rfm_bmp *rfm_bmp_new(const struct rfm_config_bmp *cfg, struct rfm_rib *rib, GError **error);

/* Close every session (dropping its routes from the RIB) and the listener. Accepts NULL. */
void rfm_bmp_free(struct rfm_bmp *b);

/*
 * Apply new settings without dropping what did not change. A new listen
 * address or port binds the new listener before the old one is closed:
 * if that fails nothing changes and false is returned. Otherwise: sessions
 * from addresses no longer allowed are closed, targets no longer listed are
 * closed, new targets start, and the limits apply (max_sessions to new
 * sessions, max_message_size to new sessions, connect_retry_max_ms to the
 * next delay). RIB limits are the RIB's (rfm_rib_set_options()).
 */
bool rfm_bmp_reconfigure(struct rfm_bmp *b, const struct rfm_config_bmp *cfg, GError **error);

void rfm_bmp_get_stats(const struct rfm_bmp *b, struct rfm_bmp_stats *out);

/* Call fn for every open session and every connect target, in session order. */
void rfm_bmp_foreach_session(const struct rfm_bmp *b,
			     void (*fn)(const struct rfm_bmp_session_info *info, void *ud),
			     void *ud);

/* The port the listener is bound to, or 0 without a listener. */
guint16 rfm_bmp_listen_port(const struct rfm_bmp *b);

const char *rfm_bmp_close_reason_name(enum rfm_bmp_close_reason r);
const char *rfm_bmp_state_name(enum rfm_bmp_session_state s);

#endif /* RFM_BMP_H */
