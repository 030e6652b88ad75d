/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * transport.h - one connection to one collector: a connected UDP socket or
 * a TCP connection, non-blocking, driven by the GLib main loop, with a
 * bounded queue of whole messages in front of it.
 *
 * Messages. rfm_transport_send() takes one complete message (an IPFIX
 * message, a NetFlow packet). When the socket is up and nothing waits
 * before it, the message is written at once; otherwise it joins the queue,
 * which the main loop writes out as the socket accepts it. The queue holds
 * at most queue_bytes octets of messages: a message that does not fit is
 * dropped whole, and counted (messages, records, octets). Nothing else
 * drops a message, except a send error on UDP (counted apart as lost).
 *
 * UDP. The socket is connect()ed to the collector, so the kernel reports
 * ICMP errors: ECONNREFUSED (nobody listening) and the like are counted as
 * send errors and never stop the transport. A send that fails with the
 * error of an earlier datagram (ECONNREFUSED) is retried once. Messages are
 * datagrams, so a collector that is down loses what is sent meanwhile;
 * rfm cannot know. The socket is re-created (with backoff) only when it
 * cannot be set up at all (no route yet, source address not yet there).
 *
 * TCP (RFC 7011 section 10.4). connect() runs in the background, with a
 * RFM_TRANSPORT_CONNECT_TIMEOUT_MS timeout. A failed attempt or a lost
 * connection is retried after a delay that starts at retry_min_ms and
 * doubles up to retry_max_ms, and returns to retry_min_ms once connected.
 * While it is down, messages queue (and the queue may fill). Once
 * connected, connected() is called first: the messages it sends (the
 * templates) go ahead of everything queued, so a collector never sees data
 * before its templates. A message cut by a partial write is finished before
 * any other is started, so the stream framing stays intact; a message cut by
 * a lost connection is sent again whole on the next one. rfm never reads
 * from a collector: bytes it sends are discarded, EOF means it closed.
 *
 * SCTP (RFC 7011 section 10.2) is not implemented.
 *
 * Re-entrancy. rfm_transport_send() never calls back, so an encoder may
 * call it from its emit() at any time. connected() runs only from the main
 * loop, rfm_transport_poll() or rfm_transport_drain(), never inside send().
 *
 * Everything runs on the thread-default main context of
 * rfm_transport_new(); nothing here is thread-safe.
 */
#ifndef RFM_TRANSPORT_H
#define RFM_TRANSPORT_H

#include <stdbool.h>
#include <glib.h>

#define RFM_TRANSPORT_ERROR (rfm_transport_error_quark())
GQuark rfm_transport_error_quark(void);

enum rfm_transport_error_code {
	RFM_TRANSPORT_ERROR_ADDRESS, /* address or source address is not an IP literal */
};

enum rfm_transport_kind {
	RFM_TRANSPORT_UDP = 0,
	RFM_TRANSPORT_TCP = 1,
};

enum rfm_transport_state {
	RFM_TRANSPORT_UP = 0,	      /* the socket takes messages */
	RFM_TRANSPORT_CONNECTING = 1, /* TCP: connect() in progress */
	RFM_TRANSPORT_WAITING = 2,    /* no socket: waiting to try again */
	RFM_TRANSPORT_STATE_MAX = 3,
};

#define RFM_TRANSPORT_RETRY_MIN_MS	 1000U
#define RFM_TRANSPORT_RETRY_MAX_MS	 60000U
#define RFM_TRANSPORT_CONNECT_TIMEOUT_MS 10000U

/* Called once a TCP connection is up, before anything queued is written. */
typedef void (*rfm_transport_connected_fn)(void *user_data);

/* DOC: how to reach a collector. Strings are borrowed for rfm_transport_new(). */
struct rfm_transport_options {
	enum rfm_transport_kind kind;
	const char *address; /* IPv4 or IPv6 literal */
	guint16 port;
	const char *source_address; /* NULL or "": chosen by the kernel */
	guint16 source_port;	    /* 0: chosen by the kernel */
	gsize queue_bytes;	    /* largest sum of queued messages; > 0 */
	/*
	 * When the queue is full and the socket is up, wait up to this long for
	 * room before dropping (rfm replay: a slow collector slows the replay
	 * instead of losing records). 0 (the agent): never wait.
	 */
	guint32 block_ms;
	guint32 retry_min_ms;		      /* 0: RFM_TRANSPORT_RETRY_MIN_MS */
	guint32 retry_max_ms;		      /* 0: RFM_TRANSPORT_RETRY_MAX_MS */
	guint32 connect_timeout_ms;	      /* 0: RFM_TRANSPORT_CONNECT_TIMEOUT_MS */
	rfm_transport_connected_fn connected; /* TCP only; may be NULL */
	void *user_data;
};

/* DOC: counters since rfm_transport_new(), and the present state. */
struct rfm_transport_stats {
	guint64 messages, octets; /* written to the socket whole */
	guint64 send_errors;	  /* failed send() calls and ICMP errors reported (not EAGAIN) */
	guint64 dropped_messages; /* queue full */
	guint64 dropped_records;  /* flow records in them */
	guint64 dropped_octets;
	guint64 lost_messages; /* UDP: given up after a send error */
	guint64 lost_records;
	guint64 lost_octets;
	guint64 connects;	  /* sockets connected (TCP) or set up (UDP) */
	guint64 reconnects;	  /* connects after the first */
	guint64 connect_failures; /* attempts that failed or timed out */
	guint64 queued_messages;  /* now */
	guint64 queued_octets;	  /* now */
	guint32 retry_ms;	  /* the delay before the next attempt after a failure */
	enum rfm_transport_state state;
};

struct rfm_transport;

/*
 * Create the transport and start connecting (UDP: at once). Fails only when
 * an address is not an IP literal or the families differ; network errors
 * are retried, never returned.
 */
struct rfm_transport *rfm_transport_new(const struct rfm_transport_options *o, GError **error);

/* Close the socket; queued messages are lost (logged). Accepts NULL. Not from connected(). */
void rfm_transport_free(struct rfm_transport *t);

/*
 * Send or queue one whole message holding records flow records. Never
 * blocks (unless block_ms), never calls back. false: dropped, queue full.
 */
bool rfm_transport_send(struct rfm_transport *t, const guint8 *msg, gsize len, guint32 records);

/*
 * Make what progress is possible now, without waiting: finish a connect,
 * try again if the retry delay has passed, write queued messages. For
 * callers that run without the main loop (rfm replay); may call connected().
 */
void rfm_transport_poll(struct rfm_transport *t);

/*
 * Write out the queues of n transports, waiting (poll(2), not the main
 * loop) until every queue is empty or deadline_us (g_get_monotonic_time())
 * passes; connects in progress are waited for, and retries that fall due
 * before the deadline are made. true: every queue is empty.
 */
bool rfm_transport_drain(struct rfm_transport *const *ts, guint n, gint64 deadline_us);

void rfm_transport_get_stats(const struct rfm_transport *t, struct rfm_transport_stats *out);

/* "collector 192.0.2.1 port 4739/udp", for messages. */
const char *rfm_transport_name(const struct rfm_transport *t);

const char *rfm_transport_kind_name(enum rfm_transport_kind k);
const char *rfm_transport_state_name(enum rfm_transport_state s);

#endif /* RFM_TRANSPORT_H */
