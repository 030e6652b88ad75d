/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * replay.h - `rfm replay`: captures (pcap, pcapng) run packet by packet
 * through the real BPF classifier with BPF_PROG_TEST_RUN, its events fed to
 * a flow table on capture time. Needs CAP_BPF, no interface.
 *
 * The only module that includes libpcap. Link-layer conversion is a pure
 * function over byte buffers (rfm_replay_frame_build()), exported for tests
 * and fuzzing.
 */
#ifndef RFM_REPLAY_H
#define RFM_REPLAY_H

#include <stdbool.h>
#include <glib.h>

#include "flow_table.h"
#include "rfm_shared.h"

#define RFM_REPLAY_ERROR (rfm_replay_error_quark())
GQuark rfm_replay_error_quark(void);

enum rfm_replay_error_code {
	RFM_REPLAY_ERROR_OPEN,	   /* a capture cannot be opened (missing, not pcap/pcapng) */
	RFM_REPLAY_ERROR_LINKTYPE, /* a capture's link type is not supported */
	RFM_REPLAY_ERROR_INVALID,  /* invalid options */
};

/* DOC: what to replay with. Plain values, owned by the caller. */
struct rfm_replay_options {
	guint32 sampling; /* 1-in-N, >= 1 */
	enum rfm_sample_mode sampling_mode;
	enum rfm_direction direction; /* the program (ingress or egress) packets go through */
	guint32 ifindex;	      /* put in every event, so in every record (>= 1) */
	/*
	 * Optional: called with the capture time of every packet (clamped, Unix
	 * ms) before the table expires anything at that time, so a sink can
	 * keep the replay's clock (rfm replay's exporters run on it).
	 */
	void (*clock)(guint64 now_ms, void *user_data);
	void *clock_data;
};

#define RFM_REPLAY_OPTIONS_INIT                                                                  \
	{                                                                                        \
		.sampling = 1, .sampling_mode = RFM_SAMPLE_RANDOM, .direction = RFM_DIR_INGRESS, \
		.ifindex = 1,                                                                    \
	}

/* DOC: counts of one rfm_replay_files() call. Plain values, owned by the caller. */
struct rfm_replay_stats {
	guint64 files;	     /* captures opened */
	guint64 packets;     /* packets read from the captures */
	guint64 skipped;     /* not run: under 14 octets as Ethernet, or link header cut short */
	guint64 cut;	     /* captured (or run) shorter than on the wire: see octets below */
	guint64 clamped;     /* timestamps before the previous packet's, clamped to it */
	guint64 run_errors;  /* BPF_PROG_TEST_RUN failed */
	guint64 read_errors; /* captures that ended in a read error (truncated file) */
	guint64 events;	     /* events fed to the flow table */
	/* Sampled packets the classifier made no event of (rfm_stat): */
	guint64 not_ip;
	guint64 truncated; /* headers cut short by the capture's snaplen */
	guint64 bad_header;
	guint64 first_ms, last_ms; /* capture time of the first and last packet, Unix ms */
};

/*
 * Replay the captures in files (NULL-terminated, in this order; "-" is
 * standard input) into table, whose sinks receive the records, then flush
 * table (reason 4, forced end). Packet times are the captures' timestamps in
 * Unix milliseconds; a timestamp earlier than the previous packet's (within
 * a file or across files) is clamped to it, because the flow table's time
 * must not go backwards. Before each packet the table expires what is due at
 * that time, so timeouts run on capture time.
 *
 * table is borrowed; stats is zeroed and filled (also on failure). A capture
 * that cannot be opened or has an unsupported link type stops the replay:
 * false with error set, and table not flushed. A read error inside a capture
 * (a file cut short) ends that capture with a warning, counted in
 * stats->read_errors, and the replay goes on with the next one.
 *
 * The calling thread is pinned to its current CPU for the duration (and its
 * affinity restored), so systematic sampling, which counts per CPU, is
 * deterministic.
 */
bool rfm_replay_files(const struct rfm_replay_options *o, const char *const *files,
		      struct rfm_flow_table *table, struct rfm_replay_stats *stats, GError **error);

/* Longest frame given to the classifier; longer ones are cut (test runs take < 1 page). */
#define RFM_REPLAY_FRAME_MAX 2048

/*
 * DOC: one captured packet as an Ethernet frame for the classifier. Owned by
 * its user (the replay keeps one on its stack). wire_len is the length the
 * frame had on the wire (as Ethernet), len what data holds: less than
 * wire_len when the capture's snaplen or RFM_REPLAY_FRAME_MAX cut it.
 */
struct rfm_replay_frame {
	guint8 data[RFM_REPLAY_FRAME_MAX];
	guint32 len;
	guint32 wire_len;
};

/* Whether rfm_replay_frame_build() converts this pcap_datalink() value. */
bool rfm_replay_linktype_supported(int dlt);

/*
 * Convert one captured packet (caplen octets at pkt, wire_len on the wire)
 * of link type dlt into an Ethernet frame in f. Ethernet is taken as is; raw
 * IP (DLT_RAW, LINKTYPE_RAW, DLT_IPV4, DLT_IPV6) gets an Ethernet header
 * with zero MACs and the EtherType of the IP version nibble; Linux cooked
 * captures (DLT_LINUX_SLL, DLT_LINUX_SLL2) get one with the EtherType of
 * their protocol field (VLAN tags libpcap put back follow it as in a wire
 * frame). Returns false when the packet gives no frame of 14 octets or
 * more (its link header cut short, raw IP of a version other than 4 or 6,
 * or the link type unsupported).
 */
bool rfm_replay_frame_build(struct rfm_replay_frame *f, int dlt, const guint8 *pkt, guint32 caplen,
			    guint32 wire_len);

/*
 * IP octets of a frame cut short (f->len < f->wire_len): the IPv4 total
 * length or IPv6 payload length + 40 from the header, bounded by what the
 * wire carried after the Ethernet header and up to RFM_MAX_VLAN_TAGS tags.
 * An IPv6 payload length of 0 (jumbogram, RFC 2675) gives the wire length.
 * The classifier counts only the octets it was given, so replay replaces
 * the octets of events from cut frames with this. 0 when unknown (not IP,
 * or the length field cut off).
 */
guint32 rfm_replay_frame_ip_octets(const struct rfm_replay_frame *f);

#endif /* RFM_REPLAY_H */
