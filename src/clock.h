/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * clock.h - converts the kernel's CLOCK_BOOTTIME stamps of events into Unix
 * milliseconds. The offset between the two clocks is sampled at refresh
 * (every few seconds from the main loop), so a wall-clock step is followed
 * within one refresh and event times stay consistent between refreshes.
 */
#ifndef RFM_CLOCK_H
#define RFM_CLOCK_H

#include <glib.h>

/* DOC: owned by the agent; plain value, no resources. */
struct rfm_clock {
	gint64 offset_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
};

void rfm_clock_refresh(struct rfm_clock *c);
/* Unix milliseconds of a CLOCK_BOOTTIME stamp in nanoseconds. */
guint64 rfm_clock_boot_to_unix_ms(const struct rfm_clock *c, guint64 boot_ns);
/* The current time in Unix milliseconds, on the same scale. */
guint64 rfm_clock_now_ms(const struct rfm_clock *c);

#endif /* RFM_CLOCK_H */
