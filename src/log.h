/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * log.h - logging through GLib's structured log writer: a level threshold,
 * stderr or the systemd journal, and rate limiting for messages on hot
 * paths (wire input, per-packet conditions).
 */
#ifndef RFM_LOG_H
#define RFM_LOG_H

#include <stdbool.h>
#include <glib.h>

enum rfm_log_level {
	RFM_LOG_ERROR = 0,
	RFM_LOG_WARNING,
	RFM_LOG_INFO,
	RFM_LOG_DEBUG,
};

enum rfm_log_target {
	RFM_LOG_STDERR = 0,
	RFM_LOG_JOURNAL,
};

/* Install the writer; may be called again on reload. */
void rfm_log_setup(enum rfm_log_level level, enum rfm_log_target target);

/*
 * DOC: one rate limit, usually a static at the call site: at most burst
 * messages per interval; the count of suppressed ones is reported with the
 * next message that passes.
 */
struct rfm_ratelimit {
	gint64 window_start_us;
	guint32 in_window;
	guint32 suppressed;
};

/* Whether a message may be logged now (10 per 5 s); *suppressed gets the count skipped. */
bool rfm_ratelimit_ok(struct rfm_ratelimit *rl, guint32 *suppressed);

#define rfm_warning_ratelimited(...)                                                     \
	do {                                                                             \
		static struct rfm_ratelimit rl_;                                         \
		guint32 skipped_;                                                        \
		if (rfm_ratelimit_ok(&rl_, &skipped_)) {                                 \
			if (skipped_)                                                    \
				g_warning("(%u similar messages suppressed)", skipped_); \
			g_warning(__VA_ARGS__);                                          \
		}                                                                        \
	} while (0)

#endif /* RFM_LOG_H */
