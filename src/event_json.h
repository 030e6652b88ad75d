/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * event_json.h - one-line JSON renderings of data-path records: sampled
 * events and interface counters, as printed by `rfm agent --print-events`.
 */
#ifndef RFM_EVENT_JSON_H
#define RFM_EVENT_JSON_H

#include <glib.h>

#include "rfm_shared.h"

/* Format the address of an event (IPv4 in bytes 0..3 when ip_version is 4). */
void rfm_addr_to_string(const __u8 addr[16], unsigned ip_version, char *buf, size_t len);

/* Append ev as a JSON object (no newline) to out. */
void rfm_event_append_json(GString *out, const struct rfm_event *ev);

/* Append one counter record as a JSON object (no newline) to out. */
void rfm_counter_append_json(GString *out, const char *ifname, guint32 ifindex, unsigned direction,
			     unsigned family, const struct rfm_counter *c);

#endif /* RFM_EVENT_JSON_H */
