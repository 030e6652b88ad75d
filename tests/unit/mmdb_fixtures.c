// SPDX-License-Identifier: AGPL-3.0-or-later
/* mmdb_fixtures.c - MMDB files for the unit tests (mmdb_fixtures.h). */
#include "mmdb_fixtures.h"

#include <glib/gstdio.h>

bool mmdb_fixtures_make(const char *mkmmdb, const char *dir, char **why)
{
	const char *probe[] = {"perl", "-MMaxMind::DB::Writer::Tree", "-e", "1", NULL};
	const char *make[] = {"perl", mkmmdb, dir, NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, (char **)probe, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
			  &status, &error) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		*why = g_strdup_printf("perl with MaxMind::DB::Writer::Tree is needed "
				       "(Debian: libmaxmind-db-writer-perl)%s%s",
				       error ? ": " : "", error ? error->message : "");
		return false;
	}
	g_assert_true(g_spawn_sync(NULL, (char **)make, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
				   &err, &status, &error));
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s failed: %s", mkmmdb, err);
	return true;
}

void mmdb_fixtures_rm_rf(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	while ((name = g_dir_read_name(d))) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_assert_cmpint(g_unlink(p), ==, 0);
	}
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}
