/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * encoder.h - the contract between the exporter (export.c: collectors,
 * transports, queues) and a protocol encoder (ipfix.c: IPFIX through
 * libfixbuf; netflow.c: NetFlow v9 and v5).
 *
 * An encoder turns flow records into complete messages, each at most mtu
 * bytes, and hands every finished message to emit(); it does no I/O, keeps
 * no timers and never blocks. Time is Unix milliseconds given by the caller
 * (wall clock in the agent, capture time in replay) and never goes
 * backwards. Records are packed: a message is emitted when the next record
 * no longer fits, or at flush(). Sequence numbers, template ids, export
 * times and (NetFlow v9) the header count are the encoder's business.
 */
#ifndef RFM_ENCODER_H
#define RFM_ENCODER_H

#include <stdbool.h>
#include <glib.h>

#include "enrich.h"
#include "flow_table.h"

enum rfm_export_protocol {
	RFM_EXPORT_IPFIX = 0,
	RFM_EXPORT_NETFLOW9 = 1,
	RFM_EXPORT_NETFLOW5 = 2,
};

/*
 * One finished message (an IPFIX message, a NetFlow v9 or v5 packet), with
 * the number of flow records in it (0 for templates and options only). The
 * exporter counts the records of a message it has to drop (queue full,
 * collector down): RFC 7011 section 4.3 notSentFlowTotalCount.
 */
typedef void (*rfm_emit_fn)(const guint8 *msg, gsize len, guint32 records, void *user_data);

/* DOC: how an interface samples, as the options records announce it. */
struct rfm_export_sampler {
	guint32 ifindex;
	guint8 direction; /* enum rfm_direction of rfm_shared.h */
	guint8 mode;	  /* enum rfm_sample_mode: random or systematic (count-based) */
	guint32 rate;	  /* 1-in-N; 1 = every packet */
};

/* DOC: an interface name for the interface options records. */
struct rfm_export_interface {
	guint32 ifindex;
	const char *name; /* borrowed for the call */
};

/* DOC: exporting-process reliability figures (RFC 7011 section 4.3), kept by export.c. */
struct rfm_export_reliability {
	guint64 not_sent_records; /* records dropped (queue full, collector down) */
	guint64 not_sent_messages;
	guint64 not_sent_octets;
};

/* DOC: what every encoder is created with. */
struct rfm_encoder_params {
	guint32 observation_domain; /* IPFIX ODID, NetFlow v9 source id, v5 engine id (low byte) */
	guint32 enterprise_number;  /* IPFIX PEN of rfm's own elements (default 32473) */
	guint32 mtu;		    /* largest message in bytes (default 1400) */
	bool reliable;		    /* stream transport (TCP): templates need no periodic resend */
	guint64 start_ms;	    /* when the exporting process started (v9 sysUpTime zero) */
	rfm_emit_fn emit;
	void *user_data;
};

struct rfm_encoder_stats {
	guint64 messages;	/* emitted */
	guint64 records;	/* flow records emitted */
	guint64 octets;		/* bytes emitted */
	guint64 not_exportable; /* records this protocol cannot carry (IPv6 in v5) */
	guint64 announcements;	/* template + options sets sent */
};

struct rfm_encoder;

/* DOC: an encoder's operations; each protocol provides one table. */
struct rfm_encoder_ops {
	const char *name; /* "ipfix", "netflow9", "netflow5" */
	struct rfm_encoder *(*create)(const struct rfm_encoder_params *p, GError **error);
	void (*destroy)(struct rfm_encoder *e);
	/* Add one record, enrichment optional (NULL). May emit messages. */
	void (*add)(struct rfm_encoder *e, const struct rfm_flow_record *rec,
		    const struct rfm_enrichment *en, guint64 now_ms);
	/* Emit the message being filled, if any. */
	void (*flush)(struct rfm_encoder *e, guint64 now_ms);
	/*
	 * Send templates and every options record (sampling, interfaces,
	 * reliability, type information): at start, on the refresh timer, after
	 * a stream transport reconnects. Flushes pending records first.
	 */
	void (*announce)(struct rfm_encoder *e, guint64 now_ms);
	/*
	 * The current sampling of every attached interface and direction. An
	 * encoder announces a change at once (sampling options record), before any
	 * record sampled at the new rate; setting the same table again sends nothing.
	 */
	void (*set_sampling)(struct rfm_encoder *e, const struct rfm_export_sampler *s, guint n,
			     guint64 now_ms);
	/* Interface names, sent with the next announce(). */
	void (*set_interfaces)(struct rfm_encoder *e, const struct rfm_export_interface *ifs,
			       guint n);
	/* Figures for the next reliability options record. */
	void (*set_reliability)(struct rfm_encoder *e, const struct rfm_export_reliability *r);
	void (*get_stats)(const struct rfm_encoder *e, struct rfm_encoder_stats *out);
};

extern const struct rfm_encoder_ops rfm_ipfix_encoder;	  /* ipfix.c */
extern const struct rfm_encoder_ops rfm_netflow9_encoder; /* netflow.c */
extern const struct rfm_encoder_ops rfm_netflow5_encoder; /* netflow.c */

#endif /* RFM_ENCODER_H */
