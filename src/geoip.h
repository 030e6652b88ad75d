/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * geoip.h - IP address to AS number / AS organisation and to city / country
 * from MaxMind DB (MMDB) files, and their reopening when a file is replaced.
 * The only module that includes <maxminddb.h>.
 *
 * Two optional databases, each with its own path:
 *
 * ASN database. database_type must contain "ASN", "ISP", "Enterprise" or
 * "ipinfo" (case-insensitive). Accepted record layouts, the first that
 * matches sampled records at open wins:
 *   1. autonomous_system_number (uint), autonomous_system_organization:
 *      MaxMind GeoLite2-ASN and GeoIP2-ISP, DB-IP ASN Lite
 *      ("DBIP-ASN-Lite (compat=GeoLite2-ASN)"), ip-location-db;
 *   2. traits.autonomous_system_number, traits.autonomous_system_organization:
 *      DB-IP ISP and Location+ISP ("compat=Enterprise"), GeoIP2-Enterprise;
 *   3. asn, as_name: IPinfo Lite and country_asn;
 *   4. asn, name: IPinfo ASN.
 * An AS number may be stored as an unsigned integer or as a string, with or
 * without an "AS" prefix ("AS64500", "64500"), as IPinfo does.
 *
 * City database. database_type must contain "City", "Country", "Location",
 * "Enterprise" or "ipinfo". Accepted layouts:
 *   1. GeoIP2 (MaxMind GeoLite2/GeoIP2 City and Country, DB-IP City Lite and
 *      Location): country.iso_code; optional city.names.en,
 *      subdivisions.0.iso_code, location.latitude and location.longitude;
 *   2. country_code: IPinfo Lite, ip-location-db country files (country only);
 *   3. country as a two-letter string: IPinfo country_asn (country only).
 * registered_country is not used: a flow's country is where the address is,
 * not where it was registered.
 *
 * A database is checked when it is opened: MMDB_open() must accept it, its
 * database_type must fit its role and some of its records must carry the
 * fields of an accepted layout. At rfm_geoip_new() a failure is an error. On
 * a reopen, a failure keeps the database in service, is counted, and is
 * logged once (an unchanged file failing again is not logged again).
 *
 * Reopening. Each configured file's directory is watched with a
 * GFileMonitor (renames included), on the thread-default main context of
 * rfm_geoip_new(). Events for the file start a short debounce timer
 * (RFM_GEOIP_DEBOUNCE_MS, restarted by each event: writers may write in
 * several steps); when it fires the file is reopened if its identity
 * (device, inode, size, mtime, ctime) is neither the one in service nor
 * the one that failed last. rfm_geoip_reload() reopens every configured
 * file now. A file removed and not replaced leaves the loaded database in
 * service. The watch is on the configured path: if it is a symbolic link,
 * replacing the link's target in another directory is not seen; call
 * rfm_geoip_reload() (SIGHUP) then.
 *
 * Memory. A file is copied into private memory (a memfd) before it is
 * opened, so a writer that rewrites the file in place can neither crash a
 * lookup (a truncated mmap would raise SIGBUS) nor change the data in
 * service. The cost is the size of each database in shared memory, twice
 * during a reopen.
 *
 * Threads: everything runs on the main loop; nothing here is thread-safe.
 */
#ifndef RFM_GEOIP_H
#define RFM_GEOIP_H

#include <stdbool.h>
#include <glib.h>

#define RFM_GEOIP_ERROR (rfm_geoip_error_quark())
GQuark rfm_geoip_error_quark(void);

enum rfm_geoip_error_code {
	RFM_GEOIP_ERROR_OPEN,	/* the file cannot be read, or MMDB_open() refused it */
	RFM_GEOIP_ERROR_TYPE,	/* database_type does not fit the role (ASN or city) */
	RFM_GEOIP_ERROR_FIELDS, /* no sampled record has the fields of an accepted layout */
};

/* Quiet time after the last change event of a file before it is reopened. */
#define RFM_GEOIP_DEBOUNCE_MS 500

enum rfm_geoip_db {
	RFM_GEOIP_ASN = 0,
	RFM_GEOIP_CITY = 1,
	RFM_GEOIP_N_DB = 2,
};

/*
 * DOC: the enrichment of one address. Filled by rfm_geoip_lookup(); fields
 * without data are 0, NULL, "" or false.
 *
 * String lifetime: as_org and city point into storage interned by the
 * database they came from (ASN database for as_org, city database for
 * city). They stay valid until that database is successfully reopened or
 * rfm_geoip_free() is called, whichever comes first. A reopen runs only
 * from the main loop (the debounce timer) or inside rfm_geoip_reload(), so a
 * pointer obtained in a main-loop callback is valid at least until that
 * callback returns; a caller that keeps a string longer copies it. A failed
 * reopen does not invalidate anything. The stats field reloads_ok of a
 * database changes exactly when its strings are invalidated.
 */
struct rfm_geo_result {
	guint32 asn;	     /* 0 = none */
	const char *as_org;  /* interned UTF-8, NULL = none */
	const char *city;    /* interned UTF-8 English name, NULL = none */
	char country[3];     /* ISO 3166-1 alpha-2, upper case, "" = none */
	char subdivision[4]; /* ISO 3166-2 subdivision part ("BE" of DE-BE), "" = none */
	bool has_location;   /* latitude and longitude both present and in range */
	double latitude;     /* degrees, WGS 84, -90 .. 90 */
	double longitude;    /* degrees, WGS 84, -180 .. 180 */
};

/* DOC: counters of one database; all zero when it is not configured. */
struct rfm_geoip_db_stats {
	bool configured;	/* a path was given */
	guint64 build_epoch;	/* metadata.build_epoch of the database in service, Unix s */
	guint64 reloads_ok;	/* reopenings that replaced the database (not the first open) */
	guint64 reloads_failed; /* reopenings refused: the previous database stayed */
	guint64 lookups;	/* searches in this database */
	guint64 lookup_errors;	/* searches or field reads that hit corrupt data */
	guint64 strings;	/* strings interned for the database in service */
};

struct rfm_geoip_stats {
	guint64 lookups; /* rfm_geoip_lookup() calls */
	struct rfm_geoip_db_stats db[RFM_GEOIP_N_DB];
};

struct rfm_geoip;

/*
 * Open the databases whose path is neither NULL nor "" (both may be
 * absent: every lookup then finds nothing) and watch their files. A path
 * that cannot be opened or is refused is an error (RFM_GEOIP_ERROR_*)
 * naming the path.
 */
struct rfm_geoip *rfm_geoip_new(const char *asn_path, const char *city_path, GError **error);
/* Stop watching, close the databases, free interned strings. Accepts NULL. */
void rfm_geoip_free(struct rfm_geoip *g);

/*
 * Reopen every configured database now (SIGHUP), whether or not its file
 * changed, and cancel pending debounce timers. Returns true when every
 * configured database was reopened; a failure is handled as described above.
 */
bool rfm_geoip_reload(struct rfm_geoip *g);

/*
 * Look up an address: ip_version 4 with the address in addr[0..3], or 6 with
 * 16 bytes (network byte order). An IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * is looked up as IPv4; IPv4 addresses are found in IPv6 databases at
 * ::a.b.c.d/96 (the database's IPv4 start node); an IPv6 address in an
 * IPv4-only database finds nothing. Fills *out completely. Returns whether
 * anything was found.
 */
bool rfm_geoip_lookup(struct rfm_geoip *g, const guint8 addr[16], int ip_version,
		      struct rfm_geo_result *out);

void rfm_geoip_get_stats(const struct rfm_geoip *g, struct rfm_geoip_stats *out);

/* "asn" or "city", for logs and metric labels. */
const char *rfm_geoip_db_name(enum rfm_geoip_db db);

#endif /* RFM_GEOIP_H */
