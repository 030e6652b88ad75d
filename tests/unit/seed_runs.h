/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * seed_runs.h - the loop of the differential tests (test_flow_table,
 * test_lpm, test_rib): one run per seed, the seeds from RFM_TEST_SEED on
 * (RFM_TEST_RUNS of them), and on a failure the command that replays it.
 */
#ifndef RFM_TEST_SEED_RUNS_H
#define RFM_TEST_SEED_RUNS_H

#include <stdbool.h>
#include <glib.h>

/*
 * run(seed, trace, user_data) for RFM_TEST_RUNS seeds (default
 * default_runs) from RFM_TEST_SEED on (default default_seed); trace is
 * set when a single run is asked for. The first run that returns false
 * prints "replay: RFM_TEST_SEED=... RFM_TEST_RUNS=1 PROG -p path", fails
 * the test and ends the loop; returns whether every run passed.
 */
bool seed_runs(const char *path, guint32 default_seed, guint32 default_runs,
	       bool (*run)(guint32 seed, bool trace, void *user_data), void *user_data);

/* The value of an environment variable as a number; def when unset or empty. */
guint32 seed_runs_env(const char *name, guint32 def);

#endif /* RFM_TEST_SEED_RUNS_H */
