/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * mmdb_fixtures.h - the MMDB files of test_geoip and test_enrich, written
 * at run time by tests/fixtures/mmdb/mkmmdb.pl (libmaxmind-db-writer-perl)
 * into a temporary directory, and that directory's removal.
 */
#ifndef RFM_TEST_MMDB_FIXTURES_H
#define RFM_TEST_MMDB_FIXTURES_H

#include <stdbool.h>
#include <glib.h>

/*
 * Run mkmmdb (the path of mkmmdb.pl) into dir. false, with *why set, when
 * perl lacks MaxMind::DB::Writer::Tree; any other failure fails the test.
 */
bool mmdb_fixtures_make(const char *mkmmdb, const char *dir, char **why);

/* Remove dir and the files in it (no subdirectories); nothing if it is gone. */
void mmdb_fixtures_rm_rf(const char *dir);

#endif /* RFM_TEST_MMDB_FIXTURES_H */
