// SPDX-License-Identifier: AGPL-3.0-or-later
/* clock.c - CLOCK_BOOTTIME to Unix time for event stamps. */
#include "clock.h"

#include <time.h>

static gint64 read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void rfm_clock_refresh(struct rfm_clock *c)
{
	/* Read boottime on both sides of realtime and take the middle. */
	gint64 b1 = read_ns(CLOCK_BOOTTIME);
	gint64 r = read_ns(CLOCK_REALTIME);
	gint64 b2 = read_ns(CLOCK_BOOTTIME);

	c->offset_ns = r - (b1 + (b2 - b1) / 2);
}

guint64 rfm_clock_boot_to_unix_ms(const struct rfm_clock *c, guint64 boot_ns)
{
	return (guint64)((gint64)boot_ns + c->offset_ns) / 1000000;
}

guint64 rfm_clock_now_ms(const struct rfm_clock *c)
{
	return rfm_clock_boot_to_unix_ms(c, (guint64)read_ns(CLOCK_BOOTTIME));
}
