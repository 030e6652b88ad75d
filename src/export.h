/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * export.h - the exporting processes: one per configured collector
 * (section ipfix of the configuration), each an encoder (encoder.h, chosen
 * by protocol) feeding a transport (transport.h: socket, queue, reconnects).
 *
 * Time. Every function takes now_ms, Unix milliseconds on the caller's
 * clock (wall clock in the agent, capture time in rfm replay); the export
 * never reads a clock of its own for what it tells collectors, and time
 * given to encoders never goes backwards (an earlier now_ms counts as the
 * latest one seen). The encoders' start_ms is the now_ms of rfm_export_new().
 *
 * Templates and options (RFC 7011 section 8). UDP collectors get them when
 * created and again every template_refresh, checked by rfm_export_flow()
 * and rfm_export_tick(). TCP collectors get them once per connection,
 * before anything else on it (transport.h), and never on a timer. Before
 * each announcement the encoder is told the collector's reliability
 * figures: records and messages dropped because its queue was full or a
 * UDP send failed.
 *
 * Packing. Records are packed into messages by the encoders; a message that
 * is not full goes out at rfm_export_flush(), or from rfm_export_tick() once
 * its first record has waited RFM_EXPORT_FLUSH_MS.
 *
 * Reload. rfm_export_reconfigure() keeps every collector whose settings are
 * unchanged (same encoder, same transport and socket, same queue), creates
 * the new or changed ones, and removes the others (their pending records
 * flushed, what their socket takes at once sent, the rest dropped).
 *
 * Everything runs on the thread-default main context of rfm_export_new();
 * nothing here is thread-safe.
 */
#ifndef RFM_EXPORT_H
#define RFM_EXPORT_H

#include <stdbool.h>
#include <glib.h>

#include "encoder.h"
#include "transport.h"

#define RFM_EXPORT_ERROR (rfm_export_error_quark())
GQuark rfm_export_error_quark(void);

enum rfm_export_error_code {
	RFM_EXPORT_ERROR_COLLECTOR, /* a collector cannot be set up (encoder, address) */
};

#define RFM_EXPORT_FLUSH_MS 100 /* longest a record waits in a message that is not full */

struct rfm_config_ipfix;
struct rfm_config_collector;

/* DOC: how rfm_export_new() builds collectors. Plain values; copied. */
struct rfm_export_options {
	/* The encoder of each enum rfm_export_protocol; NULL: the built-in one. */
	const struct rfm_encoder_ops *encoders[3];
	guint32 block_ms; /* transport.h: 0 in the agent (never wait), > 0 in replay */
	guint32 retry_min_ms, retry_max_ms; /* 0: transport defaults */
};

/* DOC: one collector as rfm_export_get_stats() shows it. Plain values. */
struct rfm_export_collector_stats {
	guint32 id; /* never reused while rfm runs: a rebuilt collector gets a new one */
	char address[48];
	guint16 port;
	guint8 transport; /* enum rfm_transport_kind */
	guint8 protocol;  /* enum rfm_export_protocol */
	guint32 observation_domain;
	struct rfm_transport_stats transport_stats;
	struct rfm_encoder_stats encoder_stats;
};

struct rfm_export;

/*
 * Build every collector of cfg (which is copied) and announce to the UDP
 * ones. Fails when a collector cannot be built (an encoder's create()
 * fails); network trouble is never an error here (transport.h retries).
 */
struct rfm_export *rfm_export_new(const struct rfm_config_ipfix *cfg,
				  const struct rfm_export_options *opts, guint64 now_ms,
				  GError **error);

/* Frees without flushing (flush and drain first). Accepts NULL. */
void rfm_export_free(struct rfm_export *exp);

/*
 * Apply a new section ipfix (see Reload above). All or nothing: if a new
 * collector cannot be built, nothing changes and false is returned.
 */
bool rfm_export_reconfigure(struct rfm_export *exp, const struct rfm_config_ipfix *cfg,
			    guint64 now_ms, GError **error);

/* Number of collectors: 0 means records need not be exported (nor enriched for it). */
guint rfm_export_collectors(const struct rfm_export *exp);

/* Give one record (enrichment optional) to every collector. */
void rfm_export_flow(struct rfm_export *exp, const struct rfm_flow_record *rec,
		     const struct rfm_enrichment *en, guint64 now_ms);

/* Emit every message being filled. */
void rfm_export_flush(struct rfm_export *exp, guint64 now_ms);

/* Call often (the agent: every drain): template refresh when due, flush of waiting records. */
void rfm_export_tick(struct rfm_export *exp, guint64 now_ms);

/*
 * Write out every queue, waiting up to timeout_ms (shutdown, end of a
 * replay; it polls the sockets itself, the main loop does not run). true:
 * every queue is empty. Flush first.
 */
bool rfm_export_drain(struct rfm_export *exp, guint timeout_ms);

/*
 * The sampling of every attached interface and direction (copied), given to
 * every encoder now and to collectors created later.
 */
void rfm_export_set_sampling(struct rfm_export *exp, const struct rfm_export_sampler *s, guint n,
			     guint64 now_ms);

/* Interface names (copied), likewise. */
void rfm_export_set_interfaces(struct rfm_export *exp, const struct rfm_export_interface *ifs,
			       guint n);

/* Fill out[0 .. max-1] in configuration order; returns the number of collectors. */
guint rfm_export_get_stats(const struct rfm_export *exp, struct rfm_export_collector_stats *out,
			   guint max);

const char *rfm_export_protocol_name(enum rfm_export_protocol p);

#endif /* RFM_EXPORT_H */
