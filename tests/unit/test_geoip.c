/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_geoip.c - MMDB lookups and reopening. The MMDB files are built at
 * start by tests/fixtures/mmdb/mkmmdb.pl (libmaxmind-db-writer-perl) into a
 * temporary folder; without the writer module the test is skipped (77).
 * Each test works in its own temporary folder, where files are replaced by
 * rename or rewritten in place as an updater would.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "geoip.h"
#include "mmdb_fixtures.h"

#define EPOCH1	    1700000000u /* build_epoch of the v1 files */
#define EPOCH2	    (EPOCH1 + 86400u)
#define WAIT_US	    (10 * G_USEC_PER_SEC)
#define WARN_REOPEN "geoip: * database not reloaded, the previous one stays in service: *"

/* Where mkmmdb.pl wrote the files; set once in main(). */
static char *fixtures;

static char *fixture(const char *name)
{
	return g_build_filename(fixtures, name, NULL);
}

static char *read_fixture(const char *name, gsize *len)
{
	g_autofree char *path = fixture(name);
	g_autoptr(GError) error = NULL;
	char *data = NULL;

	g_assert_true(g_file_get_contents(path, &data, len, &error));
	g_assert_no_error(error);
	return data;
}

static char *work_dir(void)
{
	g_autoptr(GError) error = NULL;
	char *dir = g_dir_make_tmp("rfm-geoip-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void write_bytes(const char *path, const char *data, gsize len)
{
	FILE *f = fopen(path, "wb");

	g_assert_nonnull(f);
	g_assert_cmpuint(fwrite(data, 1, len, f), ==, len);
	g_assert_cmpint(fclose(f), ==, 0);
}

/* Write data next to path, then rename it into place (a new inode), as updaters do. */
static void replace_bytes(const char *path, const char *data, gsize len)
{
	g_autofree char *tmp = g_strconcat(path, ".new", NULL);

	write_bytes(tmp, data, len);
	g_assert_cmpint(g_rename(tmp, path), ==, 0);
}

static void replace_with(const char *path, const char *fixture_name)
{
	gsize len;
	g_autofree char *data = read_fixture(fixture_name, &len);

	replace_bytes(path, data, len);
}

/* Truncate and rewrite path (same inode). */
static void rewrite_in_place(const char *path, const char *data, gsize len)
{
	GStatBuf before, after;

	g_assert_cmpint(g_stat(path, &before), ==, 0);
	write_bytes(path, data, len);
	g_assert_cmpint(g_stat(path, &after), ==, 0);
	g_assert_cmpuint(before.st_ino, ==, after.st_ino);
}

/* Deterministic bytes that are not an MMDB file. */
static char *garbage(gsize len, guint32 seed)
{
	g_autoptr(GRand) r = g_rand_new_with_seed(seed);
	char *buf = g_malloc(len);

	for (gsize i = 0; i < len; i++)
		buf[i] = (char)g_rand_int_range(r, 0, 256);
	return buf;
}

/* A work folder holding fixture src as name; returns the file's path. */
static char *install(const char *dir, const char *name, const char *src)
{
	char *path = g_build_filename(dir, name, NULL);
	gsize len;
	g_autofree char *data = read_fixture(src, &len);

	write_bytes(path, data, len);
	return path;
}

static struct rfm_geoip *open_ok(const char *asn, const char *city)
{
	g_autoptr(GError) error = NULL;
	struct rfm_geoip *g = rfm_geoip_new(asn, city, &error);

	g_assert_no_error(error);
	g_assert_nonnull(g);
	return g;
}

static bool lookup(struct rfm_geoip *g, const char *addr, struct rfm_geo_result *res)
{
	guint8 a[16] = {0};
	int version = 4;

	if (inet_pton(AF_INET, addr, a) != 1) {
		g_assert_cmpint(inet_pton(AF_INET6, addr, a), ==, 1);
		version = 6;
	}
	return rfm_geoip_lookup(g, a, version, res);
}

static guint32 asn_of(struct rfm_geoip *g, const char *addr)
{
	struct rfm_geo_result res;

	lookup(g, addr, &res);
	return res.asn;
}

static struct rfm_geoip_db_stats db_stats(struct rfm_geoip *g, enum rfm_geoip_db db)
{
	struct rfm_geoip_stats st;

	rfm_geoip_get_stats(g, &st);
	return st.db[db];
}

/* ---- waiting on the main loop ---- */

static gboolean tick(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

struct expect {
	const char *addr;
	guint32 asn;	      /* wait for this AS number, or */
	const char *city;     /* this city, or */
	guint64 failed;	      /* this many failed reopens of db */
	enum rfm_geoip_db db; /* for failed */
};

static bool seen(struct rfm_geoip *g, const struct expect *e)
{
	struct rfm_geo_result res;

	if (e->failed)
		return db_stats(g, e->db).reloads_failed == e->failed;
	lookup(g, e->addr, &res);
	if (e->asn)
		return res.asn == e->asn;
	return !g_strcmp0(res.city, e->city);
}

/* Iterate the default main context until e is seen, at most WAIT_US. */
static bool wait_for(struct rfm_geoip *g, const struct expect *e)
{
	gint64 deadline = g_get_monotonic_time() + WAIT_US;
	guint wake = g_timeout_add(20, tick, NULL);
	bool ok;

	while (!(ok = seen(g, e)) && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(wake);
	g_test_message("waited %.3f s",
		       (double)(WAIT_US - (deadline - g_get_monotonic_time())) / G_USEC_PER_SEC);
	return ok;
}

/* Iterate the default main context for ms milliseconds. */
static void run_for(guint ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;
	guint wake = g_timeout_add(20, tick, NULL);

	while (g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(wake);
}

/* ---- lookups ---- */

struct asn_case {
	const char *addr;
	guint32 asn;
	const char *org;
};

static const struct asn_case asn_v1_cases[] = {
	{"192.0.2.1", 64496, "Example Net One"},
	{"192.0.2.255", 64496, "Example Net One"},
	{"198.51.100.7", 64497, "Example Net Two"},
	{"203.0.113.9", 64498, "Example Net Three"},
	{"2001:db8::1", 64499, "Example IPv6 Net"},
	{"2001:db8:ffff:1::5", 64499, "Example IPv6 Net"},
	/* IPv4-mapped: the files have no ::ffff:0:0/96 alias, rfm unmaps. */
	{"::ffff:192.0.2.7", 64496, "Example Net One"},
	{"::ffff:203.0.113.1", 64498, "Example Net Three"},
	/* IPv4-compatible: where an IPv6 tree keeps IPv4 networks. */
	{"::192.0.2.1", 64496, "Example Net One"},
	/* no entry */
	{"198.18.0.1", 0, NULL},
	{"192.0.3.1", 0, NULL},
	{"::ffff:198.18.0.1", 0, NULL},
	{"3fff::1", 0, NULL},
	{"2001:db9::1", 0, NULL},
};

static void check_asn_cases(struct rfm_geoip *g, const struct asn_case *cases, gsize n)
{
	for (gsize i = 0; i < n; i++) {
		struct rfm_geo_result res;
		bool found = lookup(g, cases[i].addr, &res);

		g_test_message("%s -> AS%u %s", cases[i].addr, res.asn,
			       res.as_org ? res.as_org : "-");
		g_assert_cmpint(found, ==, cases[i].asn != 0);
		g_assert_cmpuint(res.asn, ==, cases[i].asn);
		g_assert_cmpstr(res.as_org, ==, cases[i].org);
		g_assert_null(res.city);
		g_assert_cmpstr(res.country, ==, "");
	}
}

static void test_asn(void)
{
	g_autofree char *path = fixture("asn-v1.mmdb");
	struct rfm_geoip *g = open_ok(path, NULL);
	struct rfm_geo_result a, b;
	struct rfm_geoip_stats st;
	guint8 addr[16] = {192, 0, 2, 1};

	check_asn_cases(g, asn_v1_cases, G_N_ELEMENTS(asn_v1_cases));

	/* Interned: the same organisation is the same pointer. */
	g_assert_true(lookup(g, "192.0.2.1", &a));
	g_assert_true(lookup(g, "::ffff:192.0.2.99", &b));
	g_assert_true(a.as_org == b.as_org);

	/* Bytes after the IPv4 address are ignored; an unknown version finds nothing. */
	memset(addr + 4, 0xee, 12);
	g_assert_true(rfm_geoip_lookup(g, addr, 4, &a));
	g_assert_cmpuint(a.asn, ==, 64496);
	g_assert_false(rfm_geoip_lookup(g, addr, 5, &a));
	g_assert_cmpuint(a.asn, ==, 0);

	rfm_geoip_get_stats(g, &st);
	g_assert_cmpuint(st.lookups, ==, G_N_ELEMENTS(asn_v1_cases) + 4);
	g_assert_true(st.db[RFM_GEOIP_ASN].configured);
	g_assert_false(st.db[RFM_GEOIP_CITY].configured);
	g_assert_cmpuint(st.db[RFM_GEOIP_ASN].build_epoch, ==, EPOCH1);
	g_assert_cmpuint(st.db[RFM_GEOIP_ASN].lookups, ==, G_N_ELEMENTS(asn_v1_cases) + 3);
	g_assert_cmpuint(st.db[RFM_GEOIP_ASN].lookup_errors, ==, 0);
	g_assert_cmpuint(st.db[RFM_GEOIP_ASN].strings, ==, 4);
	g_assert_cmpuint(st.db[RFM_GEOIP_CITY].lookups, ==, 0);
	rfm_geoip_free(g);
}

struct city_case {
	const char *addr;
	const char *country;
	const char *city;
	const char *subdivision;
	bool has_location;
	double lat, lon;
};

static const struct city_case city_v1_cases[] = {
	{"192.0.2.1", "NL", "Amsterdam", "NH", true, 52.374, 4.8897},
	{"198.51.100.7", "CH", "Zürich", "ZH", true, 47.3667, 8.55},
	{"::ffff:198.51.100.200", "CH", "Zürich", "ZH", true, 47.3667, 8.55},
	{"203.0.113.9", "JP", NULL, "", false, 0, 0}, /* country only */
	{"2001:db8::5", "DE", "Berlin", "BE", true, 52.5244, 13.4105},
	{"198.18.0.1", "", NULL, "", false, 0, 0},
	{"3fff::1", "", NULL, "", false, 0, 0},
};

static void test_city(void)
{
	g_autofree char *path = fixture("city-v1.mmdb");
	struct rfm_geoip *g = open_ok(NULL, path);

	for (gsize i = 0; i < G_N_ELEMENTS(city_v1_cases); i++) {
		const struct city_case *c = &city_v1_cases[i];
		struct rfm_geo_result res;
		bool found = lookup(g, c->addr, &res);

		g_test_message("%s -> %s %s %s", c->addr, res.country, res.city ? res.city : "-",
			       res.subdivision);
		g_assert_cmpint(found, ==, c->country[0] != '\0');
		g_assert_cmpstr(res.country, ==, c->country);
		g_assert_cmpstr(res.city, ==, c->city);
		g_assert_cmpstr(res.subdivision, ==, c->subdivision);
		g_assert_cmpint(res.has_location, ==, c->has_location);
		g_assert_cmpfloat_with_epsilon(res.latitude, c->lat, 1e-9);
		g_assert_cmpfloat_with_epsilon(res.longitude, c->lon, 1e-9);
		g_assert_cmpuint(res.asn, ==, 0);
		g_assert_null(res.as_org);
	}
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).build_epoch, ==, EPOCH1);
	rfm_geoip_free(g);
}

static void test_both(void)
{
	g_autofree char *asn = fixture("asn-v1.mmdb");
	g_autofree char *city = fixture("city-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, city);
	struct rfm_geo_result res;

	g_assert_true(lookup(g, "2001:db8::5", &res));
	g_assert_cmpuint(res.asn, ==, 64499);
	g_assert_cmpstr(res.as_org, ==, "Example IPv6 Net");
	g_assert_cmpstr(res.city, ==, "Berlin");
	g_assert_cmpstr(res.country, ==, "DE");
	g_assert_false(lookup(g, "198.18.0.1", &res));
	rfm_geoip_free(g);
}

/* IPinfo Lite: asn "AS64500" as a string, as_name, country_code; one file in both roles. */
static void test_ipinfo(void)
{
	g_autofree char *path = fixture("asn-ipinfo.mmdb");
	struct rfm_geoip *g = open_ok(path, path);
	struct rfm_geo_result res;

	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpuint(res.asn, ==, 64500);
	g_assert_cmpstr(res.as_org, ==, "Example Lite Net");
	g_assert_cmpstr(res.country, ==, "NL");
	g_assert_null(res.city);
	g_assert_false(res.has_location);

	/* A record without AS fields still has a country. */
	g_assert_true(lookup(g, "198.51.100.1", &res));
	g_assert_cmpuint(res.asn, ==, 0);
	g_assert_null(res.as_org);
	g_assert_cmpstr(res.country, ==, "CH");

	g_assert_true(lookup(g, "2001:db8:1::1", &res));
	g_assert_cmpuint(res.asn, ==, 64501);
	g_assert_cmpstr(res.as_org, ==, "Example Lite IPv6");
	g_assert_cmpstr(res.country, ==, "DE");
	rfm_geoip_free(g);
}

/* IPinfo ASN: asn as a number, organisation in name. */
static void test_ipinfo_number(void)
{
	g_autofree char *path = fixture("asn-ipinfo-num.mmdb");
	struct rfm_geoip *g = open_ok(path, NULL);
	static const struct asn_case cases[] = {
		{"203.0.113.1", 64502, "Example Numbered Net"},
		{"::ffff:203.0.113.254", 64502, "Example Numbered Net"},
		{"192.0.2.1", 0, NULL},
	};

	check_asn_cases(g, cases, G_N_ELEMENTS(cases));
	rfm_geoip_free(g);
}

/* DB-IP ISP (compat=Enterprise): traits.autonomous_system_*, and a country. */
static void test_dbip_isp(void)
{
	g_autofree char *path = fixture("asn-dbip-isp.mmdb");
	struct rfm_geoip *g = open_ok(path, path);
	struct rfm_geo_result res;

	g_assert_true(lookup(g, "198.51.100.77", &res));
	g_assert_cmpuint(res.asn, ==, 64503);
	g_assert_cmpstr(res.as_org, ==, "Example ISP Org");
	g_assert_cmpstr(res.country, ==, "CH");
	g_assert_null(res.city);
	rfm_geoip_free(g);
}

/* An IPv4 tree: IPv4 and IPv4-mapped are found, IPv6 finds nothing and is no error. */
static void test_ipv4_tree(void)
{
	g_autofree char *path = fixture("asn-v4.mmdb");
	struct rfm_geoip *g = open_ok(path, NULL);
	static const struct asn_case cases[] = {
		{"192.0.2.1", 64504, "Example IPv4 Only"},
		{"::ffff:192.0.2.1", 64504, "Example IPv4 Only"},
		{"198.51.100.1", 0, NULL},
		{"2001:db8::1", 0, NULL},
	};

	check_asn_cases(g, cases, G_N_ELEMENTS(cases));
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).lookup_errors, ==, 0);
	rfm_geoip_free(g);
}

/* ---- refused at start ---- */

/* Both paths refused by rfm_geoip_new() with code, the message naming the bad one. */
static void assert_refused(const char *asn, const char *city, const char *bad, int code)
{
	g_autoptr(GError) error = NULL;
	struct rfm_geoip *g = rfm_geoip_new(asn, city, &error);

	g_assert_null(g);
	g_assert_error(error, RFM_GEOIP_ERROR, code);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, bad));
}

static void test_open_errors(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *missing = g_build_filename(dir, "missing.mmdb", NULL);
	g_autofree char *junk = g_build_filename(dir, "junk.mmdb", NULL);
	g_autofree char *half = g_build_filename(dir, "half.mmdb", NULL);
	g_autofree char *empty = g_build_filename(dir, "empty.mmdb", NULL);
	g_autofree char *asn = fixture("asn-v1.mmdb");
	g_autofree char *city = fixture("city-v1.mmdb");
	g_autofree char *asn_nofields = fixture("asn-nofields.mmdb");
	g_autofree char *city_nofields = fixture("city-nofields.mmdb");
	g_autofree char *ipinfo_num = fixture("asn-ipinfo-num.mmdb");
	g_autofree char *bytes = garbage(4096, 1);
	g_autofree char *valid = NULL;
	gsize len;
	struct rfm_geoip *g;
	struct rfm_geo_result res;

	valid = read_fixture("asn-v1.mmdb", &len);
	write_bytes(junk, bytes, 4096);
	write_bytes(half, valid, len / 2);
	write_bytes(empty, "", 0);

	assert_refused(missing, NULL, missing, RFM_GEOIP_ERROR_OPEN);
	assert_refused(NULL, missing, missing, RFM_GEOIP_ERROR_OPEN);
	assert_refused(junk, NULL, junk, RFM_GEOIP_ERROR_OPEN);
	assert_refused(half, NULL, half, RFM_GEOIP_ERROR_OPEN);
	assert_refused(empty, NULL, empty, RFM_GEOIP_ERROR_OPEN);
	assert_refused(dir, NULL, dir, RFM_GEOIP_ERROR_OPEN);
	/* One good database does not make up for a bad one. */
	assert_refused(asn, missing, missing, RFM_GEOIP_ERROR_OPEN);
	/* Wrong database_type for the role. */
	assert_refused(city, NULL, city, RFM_GEOIP_ERROR_TYPE);
	assert_refused(NULL, asn, asn, RFM_GEOIP_ERROR_TYPE);
	/* Right type, but no record has the expected fields. */
	assert_refused(asn_nofields, NULL, asn_nofields, RFM_GEOIP_ERROR_FIELDS);
	assert_refused(NULL, city_nofields, city_nofields, RFM_GEOIP_ERROR_FIELDS);
	assert_refused(NULL, ipinfo_num, ipinfo_num, RFM_GEOIP_ERROR_FIELDS);

	/* Nothing configured: valid, finds nothing. */
	g = open_ok(NULL, "");
	g_assert_false(lookup(g, "192.0.2.1", &res));
	g_assert_true(rfm_geoip_reload(g));
	g_assert_false(db_stats(g, RFM_GEOIP_ASN).configured);
	g_assert_false(db_stats(g, RFM_GEOIP_CITY).configured);
	rfm_geoip_free(g);
	rfm_geoip_free(NULL);
	mmdb_fixtures_rm_rf(dir);
}

/* ---- reopening ---- */

/* A new file renamed into place is taken by rfm_geoip_reload(). */
static void test_reload_rename(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *asn = install(dir, "asn.mmdb", "asn-v1.mmdb");
	g_autofree char *city = install(dir, "city.mmdb", "city-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, city);
	struct rfm_geo_result res;
	struct rfm_geoip_db_stats st;

	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpuint(res.asn, ==, 64496);
	g_assert_cmpstr(res.city, ==, "Amsterdam");
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).strings, ==, 1);

	replace_with(asn, "asn-v2.mmdb");
	replace_with(city, "city-v2.mmdb");
	g_assert_true(rfm_geoip_reload(g));
	st = db_stats(g, RFM_GEOIP_ASN);
	g_assert_cmpuint(st.reloads_ok, ==, 1);
	g_assert_cmpuint(st.reloads_failed, ==, 0);
	g_assert_cmpuint(st.build_epoch, ==, EPOCH2);
	g_assert_cmpuint(st.strings, ==, 0); /* the old generation's strings are gone */
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).reloads_ok, ==, 1);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).build_epoch, ==, EPOCH2);

	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpuint(res.asn, ==, 64510);
	g_assert_cmpstr(res.as_org, ==, "Example Net Renumbered");
	g_assert_cmpstr(res.city, ==, "Rotterdam");
	g_assert_cmpstr(res.subdivision, ==, "ZH");
	g_assert_true(lookup(g, "198.51.100.1", &res));
	g_assert_cmpuint(res.asn, ==, 64497);

	/* An explicit reload reopens even an unchanged file. */
	g_assert_true(rfm_geoip_reload(g));
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).reloads_ok, ==, 2);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

/* The file monitor sees a file renamed into place. */
static void test_monitor_rename(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *asn = install(dir, "asn.mmdb", "asn-v1.mmdb");
	g_autofree char *city = install(dir, "city.mmdb", "city-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, city);
	const struct expect renumbered = {.addr = "192.0.2.1", .asn = 64510};
	struct rfm_geoip_db_stats st;

	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);
	replace_with(asn, "asn-v2.mmdb");
	g_assert_true(wait_for(g, &renumbered));
	st = db_stats(g, RFM_GEOIP_ASN);
	g_assert_cmpuint(st.reloads_ok, ==, 1);
	g_assert_cmpuint(st.reloads_failed, ==, 0);
	g_assert_cmpuint(st.build_epoch, ==, EPOCH2);
	/* The city file did not change. */
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).reloads_ok, ==, 0);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).build_epoch, ==, EPOCH1);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

/*
 * A file rewritten in place: lookups go on from the private copy while the
 * file is half written, a truncated file is refused, a complete one taken.
 */
static void test_monitor_in_place(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *city = install(dir, "city.mmdb", "city-v1.mmdb");
	struct rfm_geoip *g = open_ok(NULL, city);
	const struct expect one_failure = {.failed = 1, .db = RFM_GEOIP_CITY};
	const struct expect rotterdam = {.addr = "192.0.2.1", .city = "Rotterdam"};
	struct rfm_geo_result res;
	gsize len;
	g_autofree char *v2 = read_fixture("city-v2.mmdb", &len);

	rewrite_in_place(city, v2, len / 3);
	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpstr(res.city, ==, "Amsterdam");

	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, WARN_REOPEN);
	g_assert_true(wait_for(g, &one_failure));
	g_test_assert_expected_messages();
	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpstr(res.city, ==, "Amsterdam");
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).build_epoch, ==, EPOCH1);

	rewrite_in_place(city, v2, len);
	g_assert_true(wait_for(g, &rotterdam));
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).reloads_ok, ==, 1);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).reloads_failed, ==, 1);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).build_epoch, ==, EPOCH2);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

/* Corrupt replacements keep the old data, are counted, and logged once. */
static void test_corrupt(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *asn = install(dir, "asn.mmdb", "asn-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, NULL);
	const struct expect four_failures = {.failed = 4, .db = RFM_GEOIP_ASN};
	const struct expect renumbered = {.addr = "192.0.2.1", .asn = 64510};
	g_autofree char *junk1 = garbage(8192, 1);
	g_autofree char *junk2 = garbage(8192, 2);
	g_autofree char *v2 = NULL;
	struct rfm_geoip_db_stats st;
	gsize len;

	v2 = read_fixture("asn-v2.mmdb", &len);

	/* Garbage renamed into place. */
	replace_bytes(asn, junk1, 8192);
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, WARN_REOPEN);
	g_assert_false(rfm_geoip_reload(g));
	g_test_assert_expected_messages();
	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);

	/* The same file again: counted, not logged again (a warning would abort). */
	g_assert_false(rfm_geoip_reload(g));
	st = db_stats(g, RFM_GEOIP_ASN);
	g_assert_cmpuint(st.reloads_failed, ==, 2);
	g_assert_cmpuint(st.reloads_ok, ==, 0);

	/* A truncated file (a new one: logged). */
	replace_bytes(asn, v2, len / 2);
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, WARN_REOPEN);
	g_assert_false(rfm_geoip_reload(g));
	g_test_assert_expected_messages();
	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);

	/* Through the monitor. */
	replace_bytes(asn, junk2, 8192);
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, WARN_REOPEN);
	g_assert_true(wait_for(g, &four_failures));
	g_test_assert_expected_messages();
	st = db_stats(g, RFM_GEOIP_ASN);
	g_assert_cmpuint(st.build_epoch, ==, EPOCH1);
	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);

	/* A good file ends it. */
	replace_bytes(asn, v2, len);
	g_assert_true(wait_for(g, &renumbered));
	st = db_stats(g, RFM_GEOIP_ASN);
	g_assert_cmpuint(st.reloads_ok, ==, 1);
	g_assert_cmpuint(st.reloads_failed, ==, 4);
	g_assert_cmpuint(st.build_epoch, ==, EPOCH2);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

/* A valid MMDB file without the expected fields, or of the wrong type, is refused on reopen. */
static void test_reload_refused(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *asn = install(dir, "asn.mmdb", "asn-v1.mmdb");
	g_autofree char *city = install(dir, "city.mmdb", "city-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, city);
	struct rfm_geo_result res;

	replace_with(asn, "asn-nofields.mmdb");
	replace_with(city, "asn-v2.mmdb");
	g_test_expect_message(
		NULL, G_LOG_LEVEL_WARNING,
		"geoip: asn database not reloaded*: *asn.mmdb: no record (of 1 sampled)*");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING,
			      "geoip: city database not reloaded*: *city.mmdb: database_type "
			      "\"GeoLite2-ASN\" is not a city database*");
	g_assert_false(rfm_geoip_reload(g));
	g_test_assert_expected_messages();

	g_assert_true(lookup(g, "192.0.2.1", &res));
	g_assert_cmpuint(res.asn, ==, 64496);
	g_assert_cmpstr(res.city, ==, "Amsterdam");
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).reloads_failed, ==, 1);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_CITY).reloads_failed, ==, 1);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

/* A removed file leaves the loaded database in service without a failure. */
static void test_removed(void)
{
	g_autofree char *dir = work_dir();
	g_autofree char *asn = install(dir, "asn.mmdb", "asn-v1.mmdb");
	struct rfm_geoip *g = open_ok(asn, NULL);

	g_assert_cmpint(g_unlink(asn), ==, 0);
	run_for(2 * RFM_GEOIP_DEBOUNCE_MS + 200);
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).reloads_failed, ==, 0);
	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);

	/* Asked to reload, it is a failure. */
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, WARN_REOPEN);
	g_assert_false(rfm_geoip_reload(g));
	g_test_assert_expected_messages();
	g_assert_cmpuint(db_stats(g, RFM_GEOIP_ASN).reloads_failed, ==, 1);
	g_assert_cmpuint(asn_of(g, "192.0.2.1"), ==, 64496);
	rfm_geoip_free(g);
	mmdb_fixtures_rm_rf(dir);
}

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	fixtures = g_dir_make_tmp("rfm-geoip-fixtures-XXXXXX", &error);
	g_assert_no_error(error);
	if (!mmdb_fixtures_make(RFM_MKMMDB, fixtures, &why)) {
		g_printerr("SKIP: %s\n", why);
		mmdb_fixtures_rm_rf(fixtures);
		g_free(fixtures);
		return 77;
	}
	g_test_add_func("/geoip/lookup/asn", test_asn);
	g_test_add_func("/geoip/lookup/city", test_city);
	g_test_add_func("/geoip/lookup/both", test_both);
	g_test_add_func("/geoip/lookup/ipinfo", test_ipinfo);
	g_test_add_func("/geoip/lookup/ipinfo-number", test_ipinfo_number);
	g_test_add_func("/geoip/lookup/dbip-isp", test_dbip_isp);
	g_test_add_func("/geoip/lookup/ipv4-tree", test_ipv4_tree);
	g_test_add_func("/geoip/open/errors", test_open_errors);
	g_test_add_func("/geoip/reload/rename", test_reload_rename);
	g_test_add_func("/geoip/reload/refused", test_reload_refused);
	g_test_add_func("/geoip/reload/corrupt", test_corrupt);
	g_test_add_func("/geoip/reload/removed", test_removed);
	g_test_add_func("/geoip/monitor/rename", test_monitor_rename);
	g_test_add_func("/geoip/monitor/in-place", test_monitor_in_place);
	rc = g_test_run();
	mmdb_fixtures_rm_rf(fixtures);
	g_free(fixtures);
	return rc;
}
