/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bmp_feed.h - one BMP session's byte stream applied to the RIB: framing,
 * decoding (bmp_parse, bgp_parse) and the RIB changes each message makes.
 * No I/O: the network sessions (bmp.c) and `rfm replay --bmp FILE` both
 * push bytes in.
 *
 * Per message (RFC 7854 section 4): Peer Up records the peer's two OPENs,
 * from which its UPDATEs are decoded (4-byte AS, Add-Path); Route
 * Monitoring announces and withdraws routes of (peer, view); Peer Down
 * drops that peer's routes in every view; Statistics Reports are counted;
 * Initiation, Termination and Route Mirroring are counted and skipped. A
 * malformed message is an error: the caller closes the session and calls
 * rfm_rib_session_down() to drop everything the session taught the RIB.
 */
#ifndef RFM_BMP_FEED_H
#define RFM_BMP_FEED_H

#include <stdbool.h>
#include <glib.h>

struct rfm_rib;

struct rfm_bmp_feed_stats {
	guint64 bytes;
	guint64 messages[8]; /* by BMP message type 0..6; [7] unknown types */
	guint64 routes_announced;
	guint64 routes_withdrawn;
	guint64 routes_dropped; /* refused by the RIB (limits) */
	guint64 updates_treat_as_withdraw;
	guint64 end_of_rib;
	guint64 own_as_stripped; /* router's own AS removed from the front of Adj-RIB-In paths */
	guint32 peers_up;
};

struct rfm_bmp_feed;

/*
 * A feed for BMP session number session (a key in the RIB) writing into rib
 * (borrowed; must outlive the feed). max_message: largest message accepted.
 */
struct rfm_bmp_feed *rfm_bmp_feed_new(struct rfm_rib *rib, guint32 session, guint32 max_message);
/* Free the feed; the routes stay in the RIB (see rfm_rib_session_down()). Accepts NULL. */
void rfm_bmp_feed_free(struct rfm_bmp_feed *f);

/*
 * Append len bytes of the stream and apply every complete message. Returns
 * false (error set) on the first malformed message; the feed is then dead:
 * free it (and close the session). Incomplete data waits for the next call;
 * at most max_message bytes are buffered.
 */
bool rfm_bmp_feed_push(struct rfm_bmp_feed *f, const guint8 *buf, gsize len, GError **error);

/* Bytes buffered waiting for the rest of a message. */
gsize rfm_bmp_feed_pending(const struct rfm_bmp_feed *f);

/* sysName from the Initiation message, or NULL. */
const char *rfm_bmp_feed_sys_name(const struct rfm_bmp_feed *f);

void rfm_bmp_feed_get_stats(const struct rfm_bmp_feed *f, struct rfm_bmp_feed_stats *out);

/* Apply a whole file of raw BMP bytes (a captured session) to rib as session. */
bool rfm_bmp_feed_file(struct rfm_rib *rib, guint32 session, const char *path, GError **error);

#endif /* RFM_BMP_FEED_H */
