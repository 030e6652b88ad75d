// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * agent.c - `rfm agent`: attach to the interfaces that match the given
 * patterns, drain sampled events on a timer, log counters, detach on exit.
 *
 * Everything runs on one GLib main loop in one thread. This is the minimal
 * agent of the data path; the flow table and configuration file build on it.
 */
#include "agent.h"

#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>

#include "datapath.h"
#include "event_json.h"
#include "ifmatch.h"

/* DOC: state of one agent run, owned by rfm_agent_main()'s stack frame. */
struct agent {
	GMainLoop *loop;	 /* owned */
	struct rfm_datapath *dp; /* owned */
	GString *line;		 /* owned, reused output buffer */
	bool print_events;
	guint64 events;
	int exit_code;
};

static void on_event(const struct rfm_event *ev, void *user_data)
{
	struct agent *a = user_data;

	a->events++;
	if (!a->print_events)
		return;
	g_string_truncate(a->line, 0);
	rfm_event_append_json(a->line, ev);
	g_string_append_c(a->line, '\n');
	fwrite(a->line->str, 1, a->line->len, stdout);
}

static gboolean on_drain(gpointer user_data)
{
	struct agent *a = user_data;
	int n = rfm_datapath_drain(a->dp);

	if (n < 0)
		g_warning("ring buffer: %s", g_strerror(-n));
	else if (n > 0 && a->print_events)
		fflush(stdout);
	return G_SOURCE_CONTINUE;
}

static void print_counters(struct agent *a, FILE *out)
{
	g_autoptr(GArray) ifs = rfm_datapath_interfaces(a->dp);
	guint64 stats[RFM_STAT_MAX];

	for (guint i = 0; i < ifs->len; i++) {
		guint32 ifindex = g_array_index(ifs, guint32, i);
		char name[IF_NAMESIZE] = "";

		if_indextoname(ifindex, name);
		for (int d = 0; d < RFM_DIR_MAX; d++) {
			struct rfm_counter c[RFM_FAMILY_MAX];

			if (!rfm_datapath_is_attached(a->dp, ifindex, d) ||
			    !rfm_datapath_read_counters(a->dp, ifindex, d, c))
				continue;
			for (int f = 0; f < RFM_FAMILY_MAX; f++) {
				g_string_truncate(a->line, 0);
				rfm_counter_append_json(a->line, name, ifindex, d, f, &c[f]);
				fprintf(out, "%s\n", a->line->str);
			}
		}
	}
	rfm_datapath_read_stats(a->dp, stats);
	fprintf(out, "{\"type\":\"stats\"");
	for (int s = 0; s < RFM_STAT_MAX; s++)
		fprintf(out, ",\"%s\":%" G_GUINT64_FORMAT, rfm_stat_name(s), stats[s]);
	fprintf(out, ",\"events_drained\":%" G_GUINT64_FORMAT "}\n", a->events);
	fflush(out);
}

static gboolean on_stats(gpointer user_data)
{
	struct agent *a = user_data;

	print_counters(a, stderr);
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit(gpointer user_data)
{
	struct agent *a = user_data;

	g_main_loop_quit(a->loop);
	return G_SOURCE_REMOVE;
}

static bool parse_choice(const char *value, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++) {
		if (!g_strcmp0(value, names[i])) {
			*out = i;
			return true;
		}
	}
	return false;
}

/* Attach every interface whose name matches; returns how many, or -1 on error. */
static int attach_matching(struct agent *a, char **include, char **exclude, unsigned dirs,
			   const struct rfm_if_settings *s)
{
	struct if_nameindex *ifs = if_nameindex();
	int n = 0;

	if (!ifs) {
		g_printerr("rfm: cannot list interfaces: %s\n", g_strerror(errno));
		return -1;
	}
	for (struct if_nameindex *i = ifs; i->if_index; i++) {
		g_autoptr(GError) err = NULL;

		if (!rfm_ifmatch((const char *const *)include, (const char *const *)exclude,
				 i->if_name))
			continue;
		if (!rfm_datapath_attach(a->dp, i->if_index, dirs, s, &err)) {
			g_printerr("rfm: %s\n", err->message);
			n = -1;
			break;
		}
		g_printerr("rfm: attached %s (ifindex %u) %s%s%s via %s\n", i->if_name, i->if_index,
			   (dirs & RFM_DIRS_INGRESS) ? "ingress" : "",
			   dirs == RFM_DIRS_BOTH ? "+" : "",
			   (dirs & RFM_DIRS_EGRESS) ? "egress" : "",
			   rfm_attach_mode_name(rfm_datapath_attach_mode(
				   a->dp, i->if_index,
				   (dirs & RFM_DIRS_INGRESS) ? RFM_DIR_INGRESS : RFM_DIR_EGRESS)));
		n++;
	}
	if_freenameindex(ifs);
	return n;
}

int rfm_agent_main(int argc, char **argv)
{
	g_auto(GStrv) include = NULL, exclude = NULL;
	g_autofree char *mode_s = NULL, *attach_s = NULL, *dir_s = NULL;
	gint rate = 100, drain_ms = 10, stats_s = 0, duration_s = 0, ring_kib = 4096;
	gboolean no_fib = FALSE, print_events = FALSE;
	GOptionEntry entries[] = {
		{"interface", 'i', 0, G_OPTION_ARG_STRING_ARRAY, &include,
		 "Interface name or glob pattern (repeatable)", "PATTERN"},
		{"exclude", 'x', 0, G_OPTION_ARG_STRING_ARRAY, &exclude,
		 "Interface pattern to leave alone (repeatable; default: lo)", "PATTERN"},
		{"sampling", 's', 0, G_OPTION_ARG_INT, &rate,
		 "Sample 1 in N packets; 1 = every packet, 0 = counters only (default 100)", "N"},
		{"sampling-mode", 0, 0, G_OPTION_ARG_STRING, &mode_s,
		 "random (default) or systematic", "MODE"},
		{"attach", 'a', 0, G_OPTION_ARG_STRING, &attach_s, "auto (default), tcx or tc",
		 "MODE"},
		{"direction", 'd', 0, G_OPTION_ARG_STRING, &dir_s,
		 "both (default), ingress or egress", "DIR"},
		{"no-fib-lookup", 0, 0, G_OPTION_ARG_NONE, &no_fib,
		 "Do not look up egress interface and next hop at ingress", NULL},
		{"ring-size", 0, 0, G_OPTION_ARG_INT, &ring_kib,
		 "Ring buffer size in KiB, a power of two (default 4096)", "KIB"},
		{"drain-interval", 0, 0, G_OPTION_ARG_INT, &drain_ms,
		 "Drain the ring buffer every MS milliseconds (default 10)", "MS"},
		{"stats-interval", 0, 0, G_OPTION_ARG_INT, &stats_s,
		 "Log counters to stderr every S seconds (default 0: never)", "S"},
		{"duration", 0, 0, G_OPTION_ARG_INT, &duration_s,
		 "Exit after S seconds (default 0: run until SIGTERM/SIGINT)", "S"},
		{"print-events", 0, 0, G_OPTION_ARG_NONE, &print_events,
		 "Print every sampled event as a JSON line on stdout", NULL},
		{NULL},
	};
	static const char *const modes[] = {"random", "systematic"};
	static const char *const attaches[] = {"auto", "tcx", "tc"};
	static const char *const dir_names[] = {"ingress", "egress", "both"};
	static const char *const default_exclude[] = {"lo", NULL};
	struct rfm_datapath_options opts = RFM_DATAPATH_OPTIONS_INIT;
	struct rfm_if_settings s = {0};
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) err = NULL;
	struct agent a = {0};
	int mode = RFM_SAMPLE_RANDOM, attach = RFM_ATTACH_AUTO, dir = 2, n;
	unsigned dirs;

	ctx = g_option_context_new("- attach to interfaces and monitor flows");
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		g_printerr("rfm agent: %s\n", err->message);
		return 2;
	}
	if (!include || !include[0]) {
		g_printerr("rfm agent: give at least one --interface\n");
		return 2;
	}
	if ((mode_s && !parse_choice(mode_s, modes, 2, &mode)) ||
	    (attach_s && !parse_choice(attach_s, attaches, 3, &attach)) ||
	    (dir_s && !parse_choice(dir_s, dir_names, 3, &dir))) {
		g_printerr("rfm agent: invalid --sampling-mode, --attach or --direction\n");
		return 2;
	}
	if (rate < 0 || drain_ms < 1 || stats_s < 0 || duration_s < 0 || ring_kib < 4 ||
	    ring_kib > (1 << 20) || (ring_kib & (ring_kib - 1))) {
		g_printerr("rfm agent: a numeric option is out of range\n");
		return 2;
	}
	if (!exclude)
		exclude = g_strdupv((char **)default_exclude);
	dirs = dir == 2 ? RFM_DIRS_BOTH : 1U << dir;

	opts.attach_mode = attach;
	opts.ring_bytes = (guint32)ring_kib * 1024;
	s.sample_rate = rate;
	s.sample_mode = mode;
	s.fib_lookup = !no_fib;

	a.print_events = print_events;
	a.line = g_string_sized_new(512);
	a.dp = rfm_datapath_new(&opts, on_event, &a, &err);
	if (!a.dp) {
		g_printerr("rfm agent: %s\n", err->message);
		g_string_free(a.line, TRUE);
		return 1;
	}
	n = attach_matching(&a, include, exclude, dirs, &s);
	if (n <= 0) {
		if (n == 0)
			g_printerr("rfm agent: no interface matches\n");
		rfm_datapath_free(a.dp);
		g_string_free(a.line, TRUE);
		return 1;
	}

	a.loop = g_main_loop_new(NULL, FALSE);
	g_timeout_add(drain_ms, on_drain, &a);
	if (stats_s)
		g_timeout_add_seconds(stats_s, on_stats, &a);
	if (duration_s)
		g_timeout_add_seconds(duration_s, on_quit, &a);
	g_unix_signal_add(SIGINT, on_quit, &a);
	g_unix_signal_add(SIGTERM, on_quit, &a);
	g_printerr("rfm: running, sampling 1:%d %s\n", rate, modes[mode]);

	g_main_loop_run(a.loop);

	on_drain(&a);
	print_counters(&a, stdout);
	rfm_datapath_free(a.dp);
	g_printerr("rfm: detached, exiting\n");
	g_main_loop_unref(a.loop);
	g_string_free(a.line, TRUE);
	return a.exit_code;
}
