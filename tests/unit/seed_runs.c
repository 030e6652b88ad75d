// SPDX-License-Identifier: AGPL-3.0-or-later
/* seed_runs.c - the seed loop of the differential tests (seed_runs.h). */
#include "seed_runs.h"

guint32 seed_runs_env(const char *name, guint32 def)
{
	const char *v = g_getenv(name);

	return v && *v ? (guint32)g_ascii_strtoull(v, NULL, 10) : def;
}

bool seed_runs(const char *path, guint32 default_seed, guint32 default_runs,
	       bool (*run)(guint32 seed, bool trace, void *user_data), void *user_data)
{
	guint32 base = seed_runs_env("RFM_TEST_SEED", default_seed);
	guint32 runs = seed_runs_env("RFM_TEST_RUNS", default_runs);

	g_test_message("RFM_TEST_SEED=%u", base);
	for (guint32 i = 0; i < runs; i++) {
		if (!run(base + i, runs == 1, user_data)) {
			g_printerr("replay: RFM_TEST_SEED=%u RFM_TEST_RUNS=1 %s -p %s\n", base + i,
				   g_get_prgname(), path);
			g_test_fail();
			return false;
		}
	}
	return true;
}
