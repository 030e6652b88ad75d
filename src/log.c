// SPDX-License-Identifier: AGPL-3.0-or-later
/* log.c - GLib log writer with a level threshold and a stderr/journal target. */
#include "log.h"

#include <stdio.h>

#define RL_INTERVAL_US (5 * G_USEC_PER_SEC)
#define RL_BURST       10

/* The writer's settings: written only from the main thread, read by the writer. */
static enum rfm_log_level log_level = RFM_LOG_INFO;
static enum rfm_log_target log_target = RFM_LOG_STDERR;

static enum rfm_log_level level_of(GLogLevelFlags flags)
{
	if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return RFM_LOG_ERROR;
	if (flags & G_LOG_LEVEL_WARNING)
		return RFM_LOG_WARNING;
	if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
		return RFM_LOG_INFO;
	return RFM_LOG_DEBUG;
}

/* "rfm: message" on stderr, with the level for warnings and errors. */
static GLogWriterOutput write_stderr(GLogLevelFlags flags, const GLogField *fields, gsize n)
{
	const char *msg = "";
	const char *prefix = "";

	for (gsize i = 0; i < n; i++) {
		if (!g_strcmp0(fields[i].key, "MESSAGE")) {
			msg = fields[i].value;
			break;
		}
	}
	switch (level_of(flags)) {
	case RFM_LOG_ERROR:
		prefix = "error: ";
		break;
	case RFM_LOG_WARNING:
		prefix = "warning: ";
		break;
	case RFM_LOG_DEBUG:
		prefix = "debug: ";
		break;
	default:
		break;
	}
	fprintf(stderr, "rfm: %s%s\n", prefix, msg);
	fflush(stderr);
	return G_LOG_WRITER_HANDLED;
}

static GLogWriterOutput writer(GLogLevelFlags flags, const GLogField *fields, gsize n,
			       gpointer user_data)
{
	if (level_of(flags) > log_level)
		return G_LOG_WRITER_HANDLED;
	if (log_target == RFM_LOG_JOURNAL &&
	    g_log_writer_journald(flags, fields, n, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;
	return write_stderr(flags, fields, n);
}

void rfm_log_setup(enum rfm_log_level level, enum rfm_log_target target)
{
	static bool installed;

	log_level = level;
	log_target = target;
	if (!installed) {
		g_log_set_writer_func(writer, NULL, NULL);
		installed = true;
	}
}

bool rfm_ratelimit_ok(struct rfm_ratelimit *rl, guint32 *suppressed)
{
	gint64 now = g_get_monotonic_time();

	*suppressed = 0;
	if (now - rl->window_start_us >= RL_INTERVAL_US) {
		*suppressed = rl->suppressed;
		rl->window_start_us = now;
		rl->in_window = 0;
		rl->suppressed = 0;
	}
	if (rl->in_window >= RL_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->in_window++;
	return true;
}
