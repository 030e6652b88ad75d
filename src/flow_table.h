/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * flow_table.h - aggregation of sampled events into flows, and their expiry.
 *
 * Time is Unix milliseconds given by the caller (wall clock in the agent,
 * capture time in replay); it must not go backwards. A flow ends:
 *   1 idle timeout: no packet for idle_timeout (end = last packet);
 *   2 active timeout: open for active_timeout; an interval record is sent and
 *     counting goes on in a new interval;
 *   3 end of flow: TCP FIN or RST seen, then no packet for tcp_end_grace;
 *   4 forced end: flush (shutdown, reload, interface gone);
 *   5 lack of resources: the table is full, the least recently seen flow goes
 *     (packets in the same millisecond: the earlier one is the older).
 * A flow's own timeouts are checked when its next packet arrives, and every
 * due flow ends before a victim is chosen, so a record's content never
 * depends on how often rfm_flow_table_expire() runs. On a tie between
 * deadlines the smaller reason code wins. The other interface, the next hop
 * and the DSCP of a record are those of its first packet. A packet sampled
 * at another rate than its flow's ends the flow (reason 4): a record never
 * mixes sampling rates.
 *
 * Expired records go to the registered sinks as they end.
 */
#ifndef RFM_FLOW_TABLE_H
#define RFM_FLOW_TABLE_H

#include <stdbool.h>
#include <glib.h>

#include "rfm_shared.h"

/* IPFIX flowEndReason (RFC 7011 / IANA IE 136). */
enum rfm_end_reason {
	RFM_END_IDLE = 1,
	RFM_END_ACTIVE = 2,
	RFM_END_EOF = 3,
	RFM_END_FORCED = 4,
	RFM_END_RESOURCES = 5,
	RFM_END_MAX = 6,
};

/*
 * DOC: flow key. Addresses in network byte order (IPv4 in bytes 0..3, rest
 * zero), ports in host byte order. For ICMP and ICMPv6 src_port is 0 and
 * dst_port is type << 8 | code, as collectors expect. vlan_id is 0 without
 * a tag. No padding, so keys compare with memcmp().
 */
struct rfm_flow_key {
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 ifindex;
	__u16 src_port;
	__u16 dst_port;
	__u16 vlan_id;
	__u8 protocol;
	__u8 direction : 1; /* enum rfm_direction */
	__u8 ip_version : 7;
};
_Static_assert(sizeof(struct rfm_flow_key) == 44, "rfm_flow_key has no padding");

/* A flow record as delivered to sinks. Valid only during the sink call. */
struct rfm_flow_record {
	struct rfm_flow_key key;
	guint64 packets; /* sampled packets */
	guint64 octets;	 /* sampled IP octets */
	guint64 start_ms;
	guint64 end_ms;
	guint32 other_ifindex;
	guint8 next_hop[16];
	bool has_next_hop;
	guint8 tcp_flags;  /* OR of every packet's flags */
	guint8 dscp;	   /* of the first packet */
	guint8 end_reason; /* enum rfm_end_reason */
	guint32 sampling;  /* 1-in-N rate the packets were sampled at */
};

typedef void (*rfm_flow_sink_fn)(const struct rfm_flow_record *rec, void *user_data);

struct rfm_flow_table_options {
	guint32 idle_timeout_ms;
	guint32 active_timeout_ms;
	guint32 max_flows; /* at most 613566756 (larger is taken as that) */
	bool tcp_end;
	guint32 tcp_end_grace_ms;
	guint32 max_next_hops; /* distinct next hops remembered; more are dropped, counted */
	/*
	 * rfm_flow_batch_add() accounts an event at once (no batch) while fewer
	 * flows than this are active: a table that fits in the caches gains
	 * nothing from prefetching. 0: 65536. Tests set 1 to batch everything.
	 */
	guint32 batch_min_flows;
};

struct rfm_flow_table_stats {
	guint64 created;
	guint64 updates;
	guint64 ended[RFM_END_MAX]; /* records by flowEndReason */
	guint64 next_hops_dropped;  /* next hops not kept: max_next_hops reached */
	guint32 active;
	guint32 capacity; /* max_flows */
};

/*
 * DOC: per-tag sums, owned by whoever gave the table the hooks (the
 * Prometheus rollup in the agent). Counts are scaled by the flow's sampling
 * rate (estimates of what the wire carried); samples are sampled events
 * (unscaled); flows counts the flows opened with the tag.
 */
struct rfm_flow_tally {
	guint64 packets;
	guint64 octets;
	guint64 samples;
	guint64 flows; /* 32 bytes: an entry is found with a shift */
};

/* Tags are 24-bit: they share a word of the 112-byte record with the DSCP. */
#define RFM_FLOW_TAG_MAX 0xffffffu

/*
 * DOC: optional per-flow hooks, all borrowed. open (may be NULL: every tag
 * is 0) runs when a flow (or a new interval of it) opens, with the time of
 * its first event (as given to the table, batched or not), and returns the
 * flow's tag (at most RFM_FLOW_TAG_MAX); close runs once for that tag when
 * the flow ends, after the sinks. When tallies is not NULL, each accounted
 * event adds to (*tallies)[tag]: packets x rate, octets x rate, one sample.
 * *tallies is read at every event, so its owner may move the array between
 * calls into the table, and must keep it valid for every tag open returned
 * while a flow holds it. rfm_flow_table_free() does not call close.
 */
struct rfm_flow_hooks {
	guint32 (*open)(const struct rfm_flow_key *key, guint64 now_ms, void *user_data);
	void (*close)(guint32 tag, void *user_data);
	struct rfm_flow_tally *const *tallies;
	void *user_data;
};

struct rfm_flow_table;

struct rfm_flow_table *rfm_flow_table_new(const struct rfm_flow_table_options *opts);
/* Frees without delivering anything; flush first to deliver. Accepts NULL. */
void rfm_flow_table_free(struct rfm_flow_table *t);

/*
 * New timeouts and limits (reload). Flows over a smaller max_flows end with
 * reason 5, least recently seen first; new timeouts apply at the next check.
 */
void rfm_flow_table_set_options(struct rfm_flow_table *t, const struct rfm_flow_table_options *opts,
				guint64 now_ms);

/* Set the hooks (NULL: none) while the table holds no flow. */
void rfm_flow_table_set_hooks(struct rfm_flow_table *t, const struct rfm_flow_hooks *hooks);

void rfm_flow_table_add_sink(struct rfm_flow_table *t, rfm_flow_sink_fn fn, void *user_data);

/* Build the key of an event (exported for tests and tools). */
void rfm_flow_key_from_event(struct rfm_flow_key *key, const struct rfm_event *ev);

/* Account one sampled event seen at now_ms. */
void rfm_flow_table_update(struct rfm_flow_table *t, const struct rfm_event *ev, guint64 now_ms);

/*
 * DOC: events waiting to be accounted, in arrival order. A large table is
 * bound by memory latency; in a batch the hash buckets and records of the
 * next events are prefetched while earlier ones are accounted. The result
 * is exactly that of rfm_flow_table_update() on each event in turn, once the
 * batch is flushed: flush before rfm_flow_table_expire() and before reading
 * the table. Owned by the caller. Each event is copied whole (ring-buffer
 * records do not outlive their callback, and one 96-byte copy costs fewer
 * instructions than picking its fields), with what flow_table.c computed of
 * it: the fields of an entry are private to flow_table.c.
 */
#define RFM_FLOW_BATCH 32
struct rfm_flow_batch_entry {
	struct rfm_event ev;
	guint64 now_ms;
	guint64 key_w4; /* key bytes 32..39 (ifindex, ports) */
	guint32 key_w5; /* key bytes 40..43 (VLAN, protocol, direction, IP version) */
	guint32 hash;
	guint64 pad; /* 128 bytes: entries are found with a shift */
};

struct rfm_flow_batch {
	guint n;
	struct rfm_flow_batch_entry e[RFM_FLOW_BATCH];
};

/* Queue ev; account the batch when it is full. */
void rfm_flow_batch_add(struct rfm_flow_table *t, struct rfm_flow_batch *b,
			const struct rfm_event *ev, guint64 now_ms);
/* Account every queued event, in order, and empty the batch (the flush). */
void rfm_flow_table_update_batch(struct rfm_flow_table *t, struct rfm_flow_batch *b);

/* End every flow whose timeout has passed at now_ms. */
void rfm_flow_table_expire(struct rfm_flow_table *t, guint64 now_ms);

/* End every flow with reason 4 (forced end); run expire(now) first so flows already due keep their
 * own reason. */
void rfm_flow_table_flush(struct rfm_flow_table *t);

/* End the flows of one interface (both directions) with reason 4. */
void rfm_flow_table_flush_interface(struct rfm_flow_table *t, guint32 ifindex);

void rfm_flow_table_get_stats(const struct rfm_flow_table *t, struct rfm_flow_table_stats *out);

/* Bytes held by the table (records, index, next hops) for memory accounting. */
gsize rfm_flow_table_memory(const struct rfm_flow_table *t);

const char *rfm_end_reason_name(enum rfm_end_reason r);

#endif /* RFM_FLOW_TABLE_H */
