/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * harness.h - runs the loaded classifier on one frame with BPF_PROG_TEST_RUN
 * and reports what it did: the events drained from the ring buffer, the
 * change of every interface counter of ifindex 1 and of every data-path
 * statistic. Shared by the BPF test programs.
 *
 * BPF_PROG_TEST_RUN hands the program an skb on the loopback device of the
 * caller's network namespace (ifindex 1) unless the context names another.
 */
#ifndef RFM_TEST_HARNESS_H
#define RFM_TEST_HARNESS_H

#include <stdbool.h>
#include <glib.h>
#include <linux/bpf.h>

#include "datapath.h"

#define HARNESS_IFINDEX 1 /* lo: what BPF_PROG_TEST_RUN uses by default */

/* DOC: a loaded datapath and the events of the last run. Owned by the test. */
struct harness {
	struct rfm_datapath *dp;
	GArray *events; /* struct rfm_event, cleared before each run */
};

/* What one harness_run() did. Counters and statistics are deltas. */
struct run {
	int err;	  /* bpf_prog_test_run_opts(): 0 or -errno */
	guint32 retval;	  /* program return value */
	guint64 t_before; /* CLOCK_BOOTTIME before the run, ns */
	guint64 t_after;  /* CLOCK_BOOTTIME after the run, ns */
	int drained;	  /* rfm_datapath_drain() result */
	struct rfm_counter cnt[RFM_DIR_MAX][RFM_FAMILY_MAX];
	guint64 stats[RFM_STAT_MAX];
};

/* Exit 77 (CTest: skipped) unless running as root. */
void harness_require_root(void);

struct harness *harness_new(guint32 ring_bytes);
void harness_free(struct harness *h);

/* Write the configuration of (HARNESS_IFINDEX, dir). */
void harness_configure(struct harness *h, enum rfm_direction dir, guint32 rate,
		       enum rfm_sample_mode mode, bool fib_lookup, bool l3_device);

/*
 * Run the program of dir repeat times (0 counts as 1) on data, with ctx as
 * the __sk_buff context if not NULL, then drain the ring buffer into
 * h->events.
 */
void harness_run(struct harness *h, enum rfm_direction dir, const void *data, guint32 len,
		 const struct __sk_buff *ctx, guint32 repeat, struct run *r);

/*
 * The assertions below print where (the case being run) and the mismatch
 * before failing.
 */

/*
 * Run the program of dir once on data and drain: the events it gave (0 or
 * 1), without the counter and statistic snapshots of harness_run().
 */
guint harness_run_once(struct harness *h, enum rfm_direction dir, const void *data, guint32 len);

/* Assert that only (dir, fam) changed, by packets and bytes (all zero: none changed). */
void harness_assert_counters(const char *where, const struct run *r, enum rfm_direction dir,
			     enum rfm_family fam, guint64 packets, guint64 bytes);

/* Assert every statistic delta equals want[]. */
void harness_assert_stats(const char *where, const struct run *r, const guint64 want[RFM_STAT_MAX]);

/* Format an event address as rfm_event stores it (IPv4 in bytes 0..3, rest zero). */
void harness_addr_string(const guint8 addr[16], unsigned ip_version, char *buf, gsize len);

#endif /* RFM_TEST_HARNESS_H */
