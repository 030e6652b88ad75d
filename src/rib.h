/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * rib.h - routes learnt from BMP, per monitored router and peer, with a
 * longest-prefix match that returns the selected route for an address.
 *
 * Routes are kept per (peer, view, prefix, path id), where a peer is what a
 * BMP per-peer header names (RFC 7854 section 4.2) within one BMP session,
 * and the view says which RIB the route came from. Attribute sets are
 * interned per peer: routes of one peer with the same attributes share one
 * copy.
 *
 * Selection for an address (rfm_rib_lookup): the longest prefix that has a
 * usable route; among its routes, Loc-RIB (RFC 9069) first, then Adj-RIB-In
 * post-policy, then pre-policy; within the best view a simplified BGP
 * decision (RFC 4271 section 9.1.2.2): highest LOCAL_PREF, shortest AS_PATH,
 * lowest ORIGIN, lowest MED, lowest peer address (IPv4 peers before IPv6),
 * lowest path id, then lowest BMP session, peer type and distinguisher, so
 * the choice never depends on the order routes arrived in.
 * Adj-RIB-Out routes (RFC 8671) are kept apart and never selected.
 *
 * A Peer Down (or session down) is O(1): from the call on, lookups and
 * walks ignore the peer's routes, and the memory they hold is freed later,
 * a bounded batch at a time, by an idle source of the main context that
 * was the thread's default at rfm_rib_new() (or by rfm_rib_sweep_step()).
 * A lookup meanwhile may cost more: it may look past a prefix whose routes
 * are all of dead peers.
 */
#ifndef RFM_RIB_H
#define RFM_RIB_H

#include <stdbool.h>
#include <glib.h>

/* Which RIB of the monitored router a route comes from. */
enum rfm_rib_view {
	RFM_VIEW_LOC_RIB = 0,  /* RFC 9069 */
	RFM_VIEW_IN_POST = 1,  /* Adj-RIB-In, post-policy (L flag) */
	RFM_VIEW_IN_PRE = 2,   /* Adj-RIB-In, pre-policy */
	RFM_VIEW_OUT_POST = 3, /* Adj-RIB-Out (RFC 8671), never selected */
	RFM_VIEW_OUT_PRE = 4,
	RFM_VIEW_MAX = 5,
};

/*
 * A set of path attributes as the RIB keeps it. as_path is the flattened
 * AS_PATH (AS4_PATH already merged) for display; origin_as, first_as and
 * path_len are derived by the parser (0 = unknown).
 */
struct rfm_rib_attrs {
	guint32 origin_as; /* last AS of the last AS_SEQUENCE; 0 if unknown (AS_SET) */
	guint32 first_as;  /* neighbour AS: first AS of the first AS_SEQUENCE */
	guint32 med;
	guint32 local_pref;
	guint16 path_len;  /* for the decision: AS_SET counts 1, confederations 0 */
	guint8 origin;	   /* enum rfm_bgp_origin */
	guint8 nh_version; /* 4, 6, or 0 without a next hop */
	bool has_med;
	bool has_local_pref;
	guint8 next_hop[16];
	guint16 as_path_count;
	guint16 community_count;       /* RFC 1997, 32-bit values */
	guint16 large_community_count; /* RFC 8092, 3 x 32-bit values each */
	const guint32 *as_path;	       /* borrowed in calls; owned when interned */
	const guint32 *communities;
	const guint32 *large_communities;
};

/* Identity of a peer inside one BMP session (RFC 7854 section 4.2). */
struct rfm_rib_peer_key {
	guint32 session;  /* the BMP session (monitored router connection) */
	guint8 peer_type; /* 0 global, 1 RD instance, 2 local instance, 3 Loc-RIB */
	guint8 view;	  /* enum rfm_rib_view */
	guint8 addr[16];  /* peer address; IPv4 in bytes 0..3 with addr_version 4 */
	guint8 addr_version;
	guint64 distinguisher;
};

struct rfm_rib_options {
	guint32 max_routes_per_peer; /* announcements past this are dropped and counted */
	guint32 max_peers;
	guint32 sweep_prefixes; /* prefixes a sweep step looks at; 0: 1024 */
};

/*
 * DOC: counters of a RIB. routes and peers count the live ones; until the
 * sweep is done, prefixes_* and attr_sets also count those that only dead
 * peers' routes still hold.
 */
struct rfm_rib_stats {
	guint64 announced;
	guint64 withdrawn;
	guint64 withdraw_unknown;   /* withdrawals of routes the RIB did not have */
	guint64 dropped_peer_limit; /* announcements over max_routes_per_peer */
	guint64 dropped_peers;	    /* peers refused: max_peers */
	guint64 bad_version;	    /* announcements, withdrawals of an IP version not 4 or 6 */
	guint32 routes;		    /* routes of live peers, all views */
	guint32 routes_sweeping;    /* routes of dead peers the sweep has still to free */
	guint32 prefixes_v4, prefixes_v6; /* prefixes of Loc-RIB and Adj-RIB-In routes */
	guint32 peers;
	guint32 attr_sets; /* interned attribute sets */
};

/*
 * DOC: the route selected for an address. Pointers valid until the RIB
 * changes (the sweep, which runs from the main loop, changes it too).
 * origin_as, first_as, nh_version and next_hop are copies of those of
 * attrs, which the lookup had at hand: reading them costs nothing more,
 * while reading through attrs costs another memory access.
 */
struct rfm_rib_match {
	const struct rfm_rib_attrs *attrs;
	const struct rfm_rib_peer_key *peer;
	guint32 peer_as;
	guint32 origin_as;
	guint32 first_as;
	guint8 plen;
	guint8 nh_version;
	guint8 next_hop[16];
};

struct rfm_rib;

struct rfm_rib *rfm_rib_new(const struct rfm_rib_options *opts);
void rfm_rib_free(struct rfm_rib *rib); /* accepts NULL */
void rfm_rib_set_options(struct rfm_rib *rib, const struct rfm_rib_options *opts);

/*
 * A peer comes up (or is first seen): returns its id (> 0), the same id for
 * the same key, or 0 when max_peers is reached (counted).
 */
guint32 rfm_rib_peer_get(struct rfm_rib *rib, const struct rfm_rib_peer_key *key, guint32 peer_as);
/* The id of a known peer, or 0. */
guint32 rfm_rib_peer_find(const struct rfm_rib *rib, const struct rfm_rib_peer_key *key);
/*
 * Drop every route of a peer and forget it (BMP Peer Down): at once for
 * lookups, walks, rfm_rib_peer_find() and the counters of live routes; the
 * routes' memory goes with the sweep. The id is not reused before that.
 */
void rfm_rib_peer_down(struct rfm_rib *rib, guint32 peer_id);
/* Drop every peer of a BMP session (the session closed), as rfm_rib_peer_down(). */
void rfm_rib_session_down(struct rfm_rib *rib, guint32 session);
/*
 * One step of the sweep: frees dead peers' routes while looking at
 * sweep_prefixes prefixes. Returns whether routes remain to be freed. The RIB's idle
 * source calls it; callers without a main loop may call it until false.
 */
bool rfm_rib_sweep_step(struct rfm_rib *rib);

/*
 * Add or replace the route (peer, prefix/plen, path_id) with attributes a
 * (copied and interned). prefix: 4 or 16 bytes in network order per version
 * (4 or 6; anything else is refused and counted in bad_version). Returns
 * false when it was dropped (peer limit, unknown or dead peer, bad length).
 */
bool rfm_rib_announce(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id, const struct rfm_rib_attrs *a);
/* Remove the route; false if the RIB did not have it. */
bool rfm_rib_withdraw(struct rfm_rib *rib, guint32 peer_id, int version, const guint8 *prefix,
		      guint8 plen, guint32 path_id);

/*
 * The selected route covering addr (4 or 16 bytes per version, 4 or 6);
 * the default route only when use_default. Returns false when none. Reads
 * the LPM table and 32 bytes of one attribute set, nothing else, unless
 * some prefix on the way holds dead peers' routes the sweep has not freed.
 */
bool rfm_rib_lookup(const struct rfm_rib *rib, int version, const guint8 *addr, bool use_default,
		    struct rfm_rib_match *out);

/* DOC: one lookup of rfm_rib_lookup_batch(): rfm_rib_lookup()'s arguments. */
struct rfm_rib_query {
	const guint8 *addr; /* borrowed: 4 or 16 bytes in network order per version */
	guint8 version;	    /* 4 or 6 */
	bool use_default;
};

/*
 * rfm_rib_lookup() of n queries at once: out[i] gets what rfm_rib_lookup()
 * stores for q[i], or zeros (peer NULL) when it finds nothing. Returns how
 * many found a route. The LPM walks are interleaved and the side parts of
 * the sets prefetched before they are read, so the cache misses of
 * different queries overlap: two queries (a flow's source and destination)
 * cost much less than two calls of rfm_rib_lookup().
 */
guint rfm_rib_lookup_batch(const struct rfm_rib *rib, guint n, const struct rfm_rib_query *q,
			   struct rfm_rib_match *out);

/* Routes of one peer, for metrics; 0 for an unknown id. */
guint32 rfm_rib_peer_routes(const struct rfm_rib *rib, guint32 peer_id);
void rfm_rib_get_stats(const struct rfm_rib *rib, struct rfm_rib_stats *out);
gsize rfm_rib_memory(const struct rfm_rib *rib);

/* Call fn for every peer (any order). */
void rfm_rib_foreach_peer(const struct rfm_rib *rib,
			  void (*fn)(guint32 peer_id, const struct rfm_rib_peer_key *key,
				     guint32 peer_as, guint32 routes, void *ud),
			  void *ud);

/*
 * DOC: one route as rfm_rib_foreach_route() shows it. Pointers are valid
 * during the callback only. selected: the path rfm_rib_lookup() returns for
 * its prefix (always false for Adj-RIB-Out routes).
 */
struct rfm_rib_route {
	guint8 version; /* 4 or 6 */
	guint8 plen;
	guint8 prefix[16]; /* network order, host bits zero; IPv4 in bytes 0..3 */
	guint32 path_id;
	guint32 peer_id;
	guint32 peer_as;
	const struct rfm_rib_peer_key *peer;
	const struct rfm_rib_attrs *attrs;
	bool selected;
};

/*
 * Call fn for every route of both tables (selectable and Adj-RIB-Out), in no
 * particular order. fn must not change the RIB.
 */
void rfm_rib_foreach_route(const struct rfm_rib *rib,
			   void (*fn)(const struct rfm_rib_route *route, void *ud), void *ud);

const char *rfm_rib_view_name(enum rfm_rib_view v);

#endif /* RFM_RIB_H */
