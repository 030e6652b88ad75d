/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* harness.c - BPF_PROG_TEST_RUN driver shared by the BPF tests (see harness.h). */
#include "harness.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

void harness_require_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root (CAP_BPF)\n");
		exit(77);
	}
}

static void on_event(const struct rfm_event *ev, void *user_data)
{
	struct harness *h = user_data;

	g_array_append_vals(h->events, ev, 1);
}

struct harness *harness_new(guint32 ring_bytes)
{
	struct rfm_datapath_options opts = RFM_DATAPATH_OPTIONS_INIT;
	struct harness *h = g_new0(struct harness, 1);
	GError *err = NULL;

	opts.ring_bytes = ring_bytes;
	h->events = g_array_new(FALSE, TRUE, sizeof(struct rfm_event));
	h->dp = rfm_datapath_new(&opts, on_event, h, &err);
	g_assert_no_error(err);
	g_assert_nonnull(h->dp);
	return h;
}

void harness_free(struct harness *h)
{
	if (!h)
		return;
	rfm_datapath_free(h->dp);
	g_array_unref(h->events);
	g_free(h);
}

void harness_configure(struct harness *h, enum rfm_direction dir, guint32 rate,
		       enum rfm_sample_mode mode, bool fib_lookup, bool l3_device)
{
	struct rfm_if_settings s = {
		.sample_rate = rate,
		.sample_mode = mode,
		.fib_lookup = fib_lookup,
		.l3_device = l3_device,
	};
	GError *err = NULL;

	g_assert_true(rfm_datapath_configure(h->dp, HARNESS_IFINDEX, dir, &s, &err));
	g_assert_no_error(err);
}

static guint64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (guint64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void snapshot(struct harness *h, struct rfm_counter cnt[RFM_DIR_MAX][RFM_FAMILY_MAX],
		     guint64 stats[RFM_STAT_MAX])
{
	for (int d = 0; d < RFM_DIR_MAX; d++)
		rfm_datapath_read_counters(h->dp, HARNESS_IFINDEX, d, cnt[d]);
	rfm_datapath_read_stats(h->dp, stats);
}

void harness_run(struct harness *h, enum rfm_direction dir, const void *data, guint32 len,
		 const struct __sk_buff *ctx, guint32 repeat, struct run *r)
{
	struct rfm_counter before[RFM_DIR_MAX][RFM_FAMILY_MAX], after[RFM_DIR_MAX][RFM_FAMILY_MAX];
	guint64 sbefore[RFM_STAT_MAX], safter[RFM_STAT_MAX];
	struct __sk_buff skb;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len,
		    .repeat = repeat);

	if (ctx) {
		/* The kernel may write the context back; keep the caller's intact. */
		skb = *ctx;
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	}
	memset(r, 0, sizeof(*r));

	/* Nothing may be left from an earlier run. */
	g_array_set_size(h->events, 0);
	g_assert_cmpint(rfm_datapath_drain(h->dp), ==, 0);
	g_assert_cmpuint(h->events->len, ==, 0);

	snapshot(h, before, sbefore);
	r->t_before = boottime_ns();
	r->err = bpf_prog_test_run_opts(rfm_datapath_prog_fd(h->dp, dir), &opts);
	r->t_after = boottime_ns();
	r->retval = opts.retval;
	r->drained = rfm_datapath_drain(h->dp);
	snapshot(h, after, safter);

	for (int d = 0; d < RFM_DIR_MAX; d++) {
		for (int f = 0; f < RFM_FAMILY_MAX; f++) {
			r->cnt[d][f].packets = after[d][f].packets - before[d][f].packets;
			r->cnt[d][f].bytes = after[d][f].bytes - before[d][f].bytes;
		}
	}
	for (int s = 0; s < RFM_STAT_MAX; s++)
		r->stats[s] = safter[s] - sbefore[s];
}

guint harness_run_once(struct harness *h, enum rfm_direction dir, const void *data, guint32 len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = len);

	g_array_set_size(h->events, 0);
	g_assert_cmpint(bpf_prog_test_run_opts(rfm_datapath_prog_fd(h->dp, dir), &opts), ==, 0);
	g_assert_cmpint(rfm_datapath_drain(h->dp), ==, (int)h->events->len);
	return h->events->len;
}

void harness_assert_counters(const char *where, const struct run *r, enum rfm_direction dir,
			     enum rfm_family fam, guint64 packets, guint64 bytes)
{
	for (int d = 0; d < RFM_DIR_MAX; d++) {
		for (int f = 0; f < RFM_FAMILY_MAX; f++) {
			bool hit = d == (int)dir && f == (int)fam;

			if (r->cnt[d][f].packets != (hit ? packets : 0) ||
			    r->cnt[d][f].bytes != (hit ? bytes : 0))
				g_test_message("%s: counter %s %s: +%" G_GUINT64_FORMAT
					       " packets +%" G_GUINT64_FORMAT " bytes",
					       where, rfm_direction_name(d), rfm_family_name(f),
					       (guint64)r->cnt[d][f].packets,
					       (guint64)r->cnt[d][f].bytes);
			g_assert_cmpuint(r->cnt[d][f].packets, ==, hit ? packets : 0);
			g_assert_cmpuint(r->cnt[d][f].bytes, ==, hit ? bytes : 0);
		}
	}
}

void harness_assert_stats(const char *where, const struct run *r, const guint64 want[RFM_STAT_MAX])
{
	for (int s = 0; s < RFM_STAT_MAX; s++) {
		if (r->stats[s] != want[s])
			g_test_message("%s: statistic %s: +%" G_GUINT64_FORMAT
				       ", want +%" G_GUINT64_FORMAT,
				       where, rfm_stat_name(s), r->stats[s], want[s]);
	}
	for (int s = 0; s < RFM_STAT_MAX; s++)
		g_assert_cmpuint(r->stats[s], ==, want[s]);
}

void harness_addr_string(const guint8 addr[16], unsigned ip_version, char *buf, gsize len)
{
	char tmp[INET6_ADDRSTRLEN];
	bool tail = false;

	if (ip_version != 4) {
		inet_ntop(AF_INET6, addr, buf, len);
		return;
	}
	for (int i = 4; i < 16; i++)
		tail |= addr[i] != 0;
	inet_ntop(AF_INET, addr, tmp, sizeof(tmp));
	g_snprintf(buf, len, "%s%s", tmp, tail ? " (bytes 4..15 not zero)" : "");
}
