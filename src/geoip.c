// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * geoip.c - MMDB lookups with libmaxminddb: record layouts as tables, a
 * private copy of each file, validation at open, interned strings, and
 * reopening driven by a GFileMonitor on the main loop.
 */
#define _GNU_SOURCE
#include "geoip.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <maxminddb.h>

#include "log.h"

G_DEFINE_QUARK(rfm - geoip - error - quark, rfm_geoip_error)

#define PATH_LEN       4	 /* longest lookup path + NULL */
#define STRING_MAX     255	 /* longer names are cut at a character boundary */
#define SAMPLE_RECORDS 64	 /* data records checked for a layout at open */
#define SAMPLE_NODES   65536	 /* search nodes read at most while sampling */
#define COPY_CHUNK     (1 << 20) /* bytes per read() when copying a file */

/*
 * DOC: an ASN record layout: where the AS number and the organisation are.
 * The number may be an unsigned integer or a string ("AS64500", "64500").
 */
struct asn_layout {
	const char *name;
	const char *const number[PATH_LEN];
	const char *const org[PATH_LEN];
};

static const struct asn_layout asn_layouts[] = {
	{
		.name = "autonomous_system_number", /* GeoLite2-ASN, GeoIP2-ISP, DB-IP ASN Lite */
		.number = {"autonomous_system_number"},
		.org = {"autonomous_system_organization"},
	},
	{
		.name = "traits.autonomous_system_number", /* DB-IP ISP, GeoIP2-Enterprise */
		.number = {"traits", "autonomous_system_number"},
		.org = {"traits", "autonomous_system_organization"},
	},
	{
		.name = "asn/as_name", /* IPinfo Lite, IPinfo country_asn */
		.number = {"asn"},
		.org = {"as_name"},
	},
	{
		.name = "asn/name", /* IPinfo ASN */
		.number = {"asn"},
		.org = {"name"},
	},
};

/*
 * DOC: a city record layout. country is required to recognise the layout;
 * the others are optional, and an empty path ({NULL}) means the layout has
 * no such field.
 */
struct geo_layout {
	const char *name;
	const char *const country[PATH_LEN];
	const char *const city[PATH_LEN];
	const char *const subdivision[PATH_LEN];
	const char *const latitude[PATH_LEN];
	const char *const longitude[PATH_LEN];
};

static const struct geo_layout geo_layouts[] = {
	{
		.name = "country.iso_code", /* GeoLite2/GeoIP2 City and Country, DB-IP */
		.country = {"country", "iso_code"},
		.city = {"city", "names", "en"},
		.subdivision = {"subdivisions", "0", "iso_code"},
		.latitude = {"location", "latitude"},
		.longitude = {"location", "longitude"},
	},
	{
		.name = "country_code", /* IPinfo Lite */
		.country = {"country_code"},
	},
	{
		.name = "country", /* IPinfo country_asn: a two-letter string */
		.country = {"country"},
	},
};

/* Lower-case substrings, one of which database_type must contain per role. */
static const char *const type_tokens[RFM_GEOIP_N_DB][6] = {
	[RFM_GEOIP_ASN] = {"asn", "isp", "enterprise", "ipinfo"},
	[RFM_GEOIP_CITY] = {"city", "country", "location", "enterprise", "ipinfo"},
};

/* What identifies the content of a file: a change to any field is a new file. */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/*
 * DOC: one database role (ASN or city), embedded in struct rfm_geoip.
 * mmdb, layout, id and strings describe the database in service and are
 * replaced together by a successful open; strings are the interned copies
 * handed out in struct rfm_geo_result and die with that generation.
 */
struct geoip_db {
	struct rfm_geoip *g; /* borrowed: the owner */
	enum rfm_geoip_db role;
	char *path;	       /* owned, absolute; NULL when not configured */
	MMDB_s *mmdb;	       /* owned, NULL until opened; maps a private memfd copy */
	int layout;	       /* index in asn_layouts or geo_layouts */
	struct file_id id;     /* of the file mmdb was copied from */
	GHashTable *strings;   /* owned set of owned strings */
	GFile *file;	       /* owned, the watched path */
	GFileMonitor *monitor; /* owned, on the directory; NULL if it could not be set up */
	GSource *debounce;     /* borrowed (the context holds it), pending reopen or NULL */
	bool failed;	       /* the last reopen failed on the file failed_id */
	struct file_id failed_id;
	char *last_failure; /* owned: key of the last failure logged, NULL after success */
	struct rfm_geoip_db_stats stats;
};

/* DOC: owned by the agent; sources and monitors are removed in rfm_geoip_free(). */
struct rfm_geoip {
	struct geoip_db db[RFM_GEOIP_N_DB];
	GMainContext *context; /* owned ref: where monitor events and timers run */
	guint64 lookups;
};

/* "an ASN database", "a city database": for messages. */
static const char *role_noun(enum rfm_geoip_db role)
{
	return role == RFM_GEOIP_ASN ? "an ASN database" : "a city database";
}

const char *rfm_geoip_db_name(enum rfm_geoip_db db)
{
	return db == RFM_GEOIP_ASN ? "asn" : db == RFM_GEOIP_CITY ? "city" : "?";
}

/* ---- files ---------------------------------------------------------------------------- */

static void file_id_from_stat(struct file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

static bool file_id_equal(const struct file_id *a, const struct file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static bool write_all(int fd, const char *buf, gsize len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

/*
 * Copy the file at path into a new memfd and return it (-1 and error on
 * failure), with the identity of what was copied. A file that changes while
 * it is read is refused: the writer is not done, another event will follow.
 */
static int copy_to_memfd(const char *path, const char *name, struct file_id *id, GError **error)
{
	g_autofree char *buf = NULL;
	struct file_id after;
	struct stat st;
	off_t total = 0;
	int src, dst = -1;

	src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: %s", path,
			    g_strerror(errno));
		return -1;
	}
	if (fstat(src, &st) < 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: %s", path,
			    g_strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: not a regular file",
			    path);
		goto fail;
	}
	file_id_from_stat(id, &st);
	dst = memfd_create(name, MFD_CLOEXEC);
	if (dst < 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN,
			    "%s: cannot create a private copy: %s", path, g_strerror(errno));
		goto fail;
	}
	buf = g_malloc(COPY_CHUNK);
	for (;;) {
		ssize_t n = read(src, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: %s", path,
				    g_strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (!write_all(dst, buf, n)) {
			g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN,
				    "%s: cannot write the private copy: %s", path,
				    g_strerror(errno));
			goto fail;
		}
		total += n;
	}
	if (fstat(src, &st) < 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: %s", path,
			    g_strerror(errno));
		goto fail;
	}
	file_id_from_stat(&after, &st);
	if (total == 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: empty file", path);
		goto fail;
	}
	if (!file_id_equal(id, &after) || total != st.st_size) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN,
			    "%s: the file changed while it was read", path);
		goto fail;
	}
	close(src);
	return dst;
fail:
	if (dst >= 0)
		close(dst);
	close(src);
	return -1;
}

/* ---- records -------------------------------------------------------------------------- */

/* Read path from entry: 1 found, 0 absent (or not this shape), -1 corrupt data. */
static int get_value(const MMDB_entry_s *entry, const char *const *path, MMDB_entry_data_s *d)
{
	MMDB_entry_s e = *entry;
	int rc;

	if (!path[0])
		return 0;
	rc = MMDB_aget_value(&e, d, path);
	if (rc == MMDB_SUCCESS)
		return d->has_data ? 1 : 0;
	if (rc == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	    rc == MMDB_INVALID_LOOKUP_PATH_ERROR)
		return 0;
	return -1;
}

/* An AS number: unsigned integer, or a string "AS64500" / "64500". 0 = none. */
static guint32 value_asn(const MMDB_entry_data_s *d)
{
	char buf[16];
	const char *digits = buf;
	guint64 v = 0;

	switch (d->type) {
	case MMDB_DATA_TYPE_UINT16:
		return d->uint16;
	case MMDB_DATA_TYPE_UINT32:
		return d->uint32;
	case MMDB_DATA_TYPE_UINT64:
		return d->uint64 <= G_MAXUINT32 ? (guint32)d->uint64 : 0;
	case MMDB_DATA_TYPE_INT32:
		return d->int32 > 0 ? (guint32)d->int32 : 0;
	case MMDB_DATA_TYPE_UTF8_STRING:
		if (d->data_size == 0 || d->data_size >= sizeof(buf))
			return 0;
		memcpy(buf, d->utf8_string, d->data_size);
		buf[d->data_size] = '\0';
		if (g_ascii_strncasecmp(buf, "AS", 2) == 0)
			digits += 2;
		if (!g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT32, &v, NULL))
			return 0;
		return (guint32)v;
	default:
		return 0;
	}
}

/* Copy a short ASCII code of min..max letters or digits, upper-cased; false if it is not one. */
static bool value_code(const MMDB_entry_data_s *d, char *out, gsize min, gsize max, bool letters)
{
	if (d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size < min || d->data_size > max)
		return false;
	for (gsize i = 0; i < d->data_size; i++) {
		char c = d->utf8_string[i];

		if (letters ? !g_ascii_isalpha(c) : !g_ascii_isalnum(c))
			return false;
		out[i] = g_ascii_toupper(c);
	}
	out[d->data_size] = '\0';
	return true;
}

static bool value_double(const MMDB_entry_data_s *d, double *out)
{
	if (d->type == MMDB_DATA_TYPE_DOUBLE)
		*out = d->double_value;
	else if (d->type == MMDB_DATA_TYPE_FLOAT)
		*out = d->float_value;
	else
		return false;
	return isfinite(*out);
}

/*
 * The interned copy of a UTF-8 string value, NULL if it is not a non-empty
 * valid UTF-8 string. Names past STRING_MAX bytes are cut before the first
 * character that does not fit.
 */
static const char *intern(struct geoip_db *db, const MMDB_entry_data_s *d)
{
	char buf[STRING_MAX + 2];
	gsize len, cut;
	gpointer found;
	char *copy;

	if (d->type != MMDB_DATA_TYPE_UTF8_STRING || d->data_size == 0 ||
	    !g_utf8_validate_len(d->utf8_string, d->data_size, NULL))
		return NULL;
	len = MIN(d->data_size, STRING_MAX + 1);
	memcpy(buf, d->utf8_string, len);
	cut = len;
	if (d->data_size > STRING_MAX) {
		cut = STRING_MAX;
		while (cut > 0 && ((guchar)buf[cut] & 0xc0) == 0x80)
			cut--;
	}
	buf[cut] = '\0';
	if (g_hash_table_lookup_extended(db->strings, buf, &found, NULL))
		return found;
	copy = g_strdup(buf);
	g_hash_table_add(db->strings, copy);
	db->stats.strings++;
	return copy;
}

/*
 * Up to max data records of the search tree, depth first from the root. The
 * walk reads at most SAMPLE_NODES nodes: aliased subtrees (::ffff:0:0/96,
 * 2002::/16) point back into the IPv4 subtree, so the graph has cycles.
 */
static guint sample_records(const MMDB_s *mmdb, MMDB_entry_s *out, guint max)
{
	guint64 stack[256];
	guint sp = 0, n = 0, budget = SAMPLE_NODES;

	stack[sp++] = 0;
	while (sp && n < max && budget--) {
		MMDB_search_node_s node;
		guint64 rec[2];
		guint8 type[2];
		MMDB_entry_s entry[2];

		if (MMDB_read_node(mmdb, (uint32_t)stack[--sp], &node) != MMDB_SUCCESS)
			continue;
		/* Right first on the stack so the left branch is walked first. */
		rec[0] = node.right_record;
		type[0] = node.right_record_type;
		entry[0] = node.right_record_entry;
		rec[1] = node.left_record;
		type[1] = node.left_record_type;
		entry[1] = node.left_record_entry;
		for (int i = 0; i < 2; i++) {
			if (type[i] == MMDB_RECORD_TYPE_SEARCH_NODE && sp < G_N_ELEMENTS(stack))
				stack[sp++] = rec[i];
			else if (type[i] == MMDB_RECORD_TYPE_DATA && n < max)
				out[n++] = entry[i];
		}
	}
	return n;
}

/* The first layout whose fields sampled records carry (an AS organisation too, if any does). */
static int detect_asn_layout(const MMDB_entry_s *recs, guint n)
{
	int best = -1, best_score = 0;

	for (guint r = 0; r < n; r++) {
		for (int i = 0; i < (int)G_N_ELEMENTS(asn_layouts); i++) {
			MMDB_entry_data_s d;
			int score;

			if (get_value(&recs[r], asn_layouts[i].number, &d) != 1 || !value_asn(&d))
				continue;
			score = get_value(&recs[r], asn_layouts[i].org, &d) == 1 &&
						d.type == MMDB_DATA_TYPE_UTF8_STRING
					? 2
					: 1;
			if (score > best_score) {
				best = i;
				best_score = score;
			}
			if (best_score == 2)
				return best;
		}
	}
	return best;
}

static int detect_geo_layout(const MMDB_entry_s *recs, guint n)
{
	for (guint r = 0; r < n; r++) {
		for (int i = 0; i < (int)G_N_ELEMENTS(geo_layouts); i++) {
			MMDB_entry_data_s d;
			char cc[3];

			if (get_value(&recs[r], geo_layouts[i].country, &d) == 1 &&
			    value_code(&d, cc, 2, 2, true))
				return i;
		}
	}
	return -1;
}

static bool type_fits(enum rfm_geoip_db role, const char *type)
{
	g_autofree char *lower = g_ascii_strdown(type, -1);

	for (gsize i = 0; i < G_N_ELEMENTS(type_tokens[role]) && type_tokens[role][i]; i++) {
		if (strstr(lower, type_tokens[role][i]))
			return true;
	}
	return false;
}

/* ---- opening -------------------------------------------------------------------------- */

static void close_mmdb(MMDB_s *mmdb)
{
	if (!mmdb)
		return;
	MMDB_close(mmdb);
	g_free(mmdb);
}

/*
 * Copy, open and check the file; on success put it in service in place of
 * the previous one (whose interned strings die) and return true. On failure
 * nothing in service changes.
 */
static bool db_open(struct geoip_db *db, GError **error)
{
	const char *role = rfm_geoip_db_name(db->role);
	g_autofree char *memname = g_strdup_printf("rfm-geoip-%s", role);
	g_autofree char *proc = NULL;
	g_autoptr(GDateTime) built = NULL;
	g_autofree char *built_str = NULL;
	MMDB_entry_s recs[SAMPLE_RECORDS];
	struct file_id id;
	const char *type;
	MMDB_s *mmdb;
	guint n;
	int fd, rc, layout;

	fd = copy_to_memfd(db->path, memname, &id, error);
	if (fd < 0)
		return false;
	/* libmaxminddb opens by name only; the copy has one in /proc. */
	proc = g_strdup_printf("/proc/self/fd/%d", fd);
	mmdb = g_new0(MMDB_s, 1);
	rc = MMDB_open(proc, MMDB_MODE_MMAP, mmdb);
	close(fd); /* the mapping keeps the copy alive */
	if (rc != MMDB_SUCCESS) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_OPEN, "%s: %s", db->path,
			    rc == MMDB_IO_ERROR ? g_strerror(errno) : MMDB_strerror(rc));
		g_free(mmdb);
		return false;
	}
	type = mmdb->metadata.database_type ? mmdb->metadata.database_type : "";
	if (!type_fits(db->role, type)) {
		g_autofree char *tokens = g_strjoinv(", ", (char **)type_tokens[db->role]);

		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_TYPE,
			    "%s: database_type \"%s\" is not %s (expected one containing %s)",
			    db->path, type, role_noun(db->role), tokens);
		close_mmdb(mmdb);
		return false;
	}
	n = sample_records(mmdb, recs, G_N_ELEMENTS(recs));
	layout =
		db->role == RFM_GEOIP_ASN ? detect_asn_layout(recs, n) : detect_geo_layout(recs, n);
	if (layout < 0) {
		g_set_error(error, RFM_GEOIP_ERROR, RFM_GEOIP_ERROR_FIELDS,
			    "%s: no record (of %u sampled) has the fields of %s (%s)", db->path, n,
			    role_noun(db->role),
			    db->role == RFM_GEOIP_ASN
				    ? "autonomous_system_number, traits.autonomous_system_number "
				      "or asn"
				    : "country.iso_code, country_code or country");
		close_mmdb(mmdb);
		return false;
	}

	close_mmdb(db->mmdb);
	db->mmdb = mmdb;
	db->layout = layout;
	db->id = id;
	g_hash_table_remove_all(db->strings);
	db->stats.strings = 0;
	db->stats.build_epoch = mmdb->metadata.build_epoch;
	g_clear_pointer(&db->last_failure, g_free);

	built = g_date_time_new_from_unix_utc((gint64)MIN(mmdb->metadata.build_epoch, G_MAXINT32));
	built_str = built ? g_date_time_format(built, "%F %T UTC") : g_strdup("?");
	g_message("geoip: %s database %s: %s, fields %s, IPv%u tree, built %s", role, db->path,
		  type,
		  db->role == RFM_GEOIP_ASN ? asn_layouts[layout].name : geo_layouts[layout].name,
		  mmdb->metadata.ip_version, built_str);
	return true;
}

/*
 * Reopen a database in service. With only_if_changed (monitor events), a
 * file whose identity is the one in service, or the one that failed last,
 * is left alone: nothing new to read. A failure is logged once per failure
 * message and file identity, and counted every time.
 */
static bool db_reload(struct geoip_db *db, bool only_if_changed)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *key = NULL;
	struct file_id now = {0};
	struct stat st;
	bool exists = stat(db->path, &st) == 0;

	if (exists)
		file_id_from_stat(&now, &st);
	if (only_if_changed && exists &&
	    (file_id_equal(&now, &db->id) || (db->failed && file_id_equal(&now, &db->failed_id))))
		return true;
	if (db_open(db, &error)) {
		db->stats.reloads_ok++;
		db->failed = false;
		return true;
	}
	db->stats.reloads_failed++;
	db->failed = exists;
	db->failed_id = now;
	key = g_strdup_printf("%s|%ju|%ju|%jd|%jd.%ld|%jd.%ld", error->message, (uintmax_t)now.dev,
			      (uintmax_t)now.ino, (intmax_t)now.size, (intmax_t)now.mtime.tv_sec,
			      now.mtime.tv_nsec, (intmax_t)now.ctime.tv_sec, now.ctime.tv_nsec);
	if (g_strcmp0(key, db->last_failure) != 0) {
		g_warning("geoip: %s database not reloaded, the previous one stays in service: %s",
			  rfm_geoip_db_name(db->role), error->message);
		g_free(db->last_failure);
		db->last_failure = g_steal_pointer(&key);
	}
	return false;
}

/* ---- watching ------------------------------------------------------------------------- */

static gboolean on_debounce(gpointer user_data)
{
	struct geoip_db *db = user_data;

	db->debounce = NULL;
	db_reload(db, true);
	return G_SOURCE_REMOVE;
}

static void cancel_debounce(struct geoip_db *db)
{
	if (db->debounce) {
		g_source_destroy(db->debounce);
		db->debounce = NULL;
	}
}

/* (Re)start the quiet period: the reopen runs RFM_GEOIP_DEBOUNCE_MS after the last event. */
static void schedule_reload(struct geoip_db *db)
{
	GSource *src;

	cancel_debounce(db);
	src = g_timeout_source_new(RFM_GEOIP_DEBOUNCE_MS);
	g_source_set_callback(src, on_debounce, db, NULL);
	g_source_set_name(src, "rfm geoip reopen");
	g_source_attach(src, db->g->context);
	g_source_unref(src);
	db->debounce = src;
}

static void on_changed(GFileMonitor *monitor, GFile *file, GFile *other, GFileMonitorEvent event,
		       gpointer user_data)
{
	struct geoip_db *db = user_data;
	bool ours = file && g_file_equal(file, db->file);

	switch (event) {
	case G_FILE_MONITOR_EVENT_CHANGED:
	case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
	case G_FILE_MONITOR_EVENT_CREATED:
	case G_FILE_MONITOR_EVENT_MOVED_IN:
		if (ours)
			schedule_reload(db);
		break;
	case G_FILE_MONITOR_EVENT_RENAMED:
		/* WATCH_MOVES: file is the old name, other the new one. */
		if (other && g_file_equal(other, db->file))
			schedule_reload(db);
		else if (ours)
			g_debug("geoip: %s renamed away; the loaded database stays", db->path);
		break;
	case G_FILE_MONITOR_EVENT_DELETED:
	case G_FILE_MONITOR_EVENT_MOVED_OUT:
		if (ours)
			g_debug("geoip: %s removed; the loaded database stays", db->path);
		break;
	default:
		break;
	}
}

static void db_watch(struct geoip_db *db)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_path_get_dirname(db->path);
	g_autofree char *base = g_path_get_basename(db->path);
	/* The local VFS: never a gvfs daemon, whatever GIO modules are installed. */
	g_autoptr(GFile) gdir = g_vfs_get_file_for_path(g_vfs_get_local(), dir);

	db->file = g_file_get_child(gdir, base);
	db->monitor = g_file_monitor_directory(gdir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
	if (!db->monitor) {
		g_warning("geoip: cannot watch %s for new %s databases (%s); reload with SIGHUP",
			  dir, rfm_geoip_db_name(db->role), error->message);
		return;
	}
	g_signal_connect(db->monitor, "changed", G_CALLBACK(on_changed), db);
}

static void db_fini(struct geoip_db *db)
{
	cancel_debounce(db);
	if (db->monitor) {
		g_signal_handlers_disconnect_by_data(db->monitor, db);
		g_file_monitor_cancel(db->monitor);
		g_clear_object(&db->monitor);
	}
	g_clear_object(&db->file);
	close_mmdb(db->mmdb);
	db->mmdb = NULL;
	g_clear_pointer(&db->strings, g_hash_table_destroy);
	g_clear_pointer(&db->last_failure, g_free);
	g_clear_pointer(&db->path, g_free);
}

/* ---- API ------------------------------------------------------------------------------ */

struct rfm_geoip *rfm_geoip_new(const char *asn_path, const char *city_path, GError **error)
{
	struct rfm_geoip *g = g_new0(struct rfm_geoip, 1);
	const char *paths[RFM_GEOIP_N_DB] = {asn_path, city_path};

	g->context = g_main_context_ref_thread_default();
	for (int i = 0; i < RFM_GEOIP_N_DB; i++) {
		struct geoip_db *db = &g->db[i];

		db->g = g;
		db->role = i;
		db->strings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		if (!paths[i] || !paths[i][0])
			continue;
		db->path = g_canonicalize_filename(paths[i], NULL);
		db->stats.configured = true;
		if (!db_open(db, error)) {
			rfm_geoip_free(g);
			return NULL;
		}
	}
	for (int i = 0; i < RFM_GEOIP_N_DB; i++) {
		if (g->db[i].path)
			db_watch(&g->db[i]);
	}
	return g;
}

void rfm_geoip_free(struct rfm_geoip *g)
{
	if (!g)
		return;
	for (int i = 0; i < RFM_GEOIP_N_DB; i++)
		db_fini(&g->db[i]);
	g_main_context_unref(g->context);
	g_free(g);
}

bool rfm_geoip_reload(struct rfm_geoip *g)
{
	bool ok = true;

	for (int i = 0; i < RFM_GEOIP_N_DB; i++) {
		struct geoip_db *db = &g->db[i];

		if (!db->path)
			continue;
		cancel_debounce(db);
		if (!db_reload(db, false))
			ok = false;
	}
	return ok;
}

/* Count and log (rate limited) a search or read that hit corrupt data. */
static void lookup_error(struct geoip_db *db, int rc)
{
	db->stats.lookup_errors++;
	rfm_warning_ratelimited("geoip: %s database %s: %s", rfm_geoip_db_name(db->role), db->path,
				MMDB_strerror(rc));
}

/* Read one field of a found record; false when absent, counted when corrupt. */
static bool field(struct geoip_db *db, const MMDB_entry_s *entry, const char *const *path,
		  MMDB_entry_data_s *d)
{
	int rc = get_value(entry, path, d);

	if (rc < 0)
		lookup_error(db, MMDB_INVALID_DATA_ERROR);
	return rc == 1;
}

static bool db_search(struct geoip_db *db, const struct sockaddr *sa, MMDB_entry_s *entry)
{
	MMDB_lookup_result_s r;
	int rc = MMDB_SUCCESS;

	if (!db->mmdb)
		return false;
	db->stats.lookups++;
	r = MMDB_lookup_sockaddr(db->mmdb, sa, &rc);
	if (rc == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return false;
	if (rc != MMDB_SUCCESS) {
		lookup_error(db, rc);
		return false;
	}
	if (!r.found_entry)
		return false;
	*entry = r.entry;
	return true;
}

static bool lookup_asn(struct geoip_db *db, const struct sockaddr *sa, struct rfm_geo_result *out)
{
	const struct asn_layout *l = &asn_layouts[db->layout];
	MMDB_entry_data_s d;
	MMDB_entry_s e;

	if (!db_search(db, sa, &e))
		return false;
	if (field(db, &e, l->number, &d))
		out->asn = value_asn(&d);
	if (field(db, &e, l->org, &d))
		out->as_org = intern(db, &d);
	return out->asn || out->as_org;
}

static bool lookup_geo(struct geoip_db *db, const struct sockaddr *sa, struct rfm_geo_result *out)
{
	const struct geo_layout *l = &geo_layouts[db->layout];
	MMDB_entry_data_s d;
	MMDB_entry_s e;
	double lat = 0, lon = 0;

	if (!db_search(db, sa, &e))
		return false;
	if (field(db, &e, l->country, &d))
		value_code(&d, out->country, 2, 2, true);
	if (field(db, &e, l->city, &d))
		out->city = intern(db, &d);
	if (field(db, &e, l->subdivision, &d))
		value_code(&d, out->subdivision, 1, 3, false);
	if (field(db, &e, l->latitude, &d) && value_double(&d, &lat) && lat >= -90 && lat <= 90 &&
	    field(db, &e, l->longitude, &d) && value_double(&d, &lon) && lon >= -180 &&
	    lon <= 180) {
		out->has_location = true;
		out->latitude = lat;
		out->longitude = lon;
	}
	return out->country[0] || out->city || out->subdivision[0] || out->has_location;
}

bool rfm_geoip_lookup(struct rfm_geoip *g, const guint8 addr[16], int ip_version,
		      struct rfm_geo_result *out)
{
	static const guint8 v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	const struct sockaddr *sa;
	bool found = false;

	memset(out, 0, sizeof(*out));
	g->lookups++;
	if (ip_version == 6 && memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(&sin.sin_addr, addr + 12, 4);
		sa = (const struct sockaddr *)&sin;
	} else if (ip_version == 6) {
		memcpy(&sin6.sin6_addr, addr, 16);
		sa = (const struct sockaddr *)&sin6;
	} else if (ip_version == 4) {
		memcpy(&sin.sin_addr, addr, 4);
		sa = (const struct sockaddr *)&sin;
	} else {
		return false;
	}
	if (lookup_asn(&g->db[RFM_GEOIP_ASN], sa, out))
		found = true;
	if (lookup_geo(&g->db[RFM_GEOIP_CITY], sa, out))
		found = true;
	return found;
}

void rfm_geoip_get_stats(const struct rfm_geoip *g, struct rfm_geoip_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->lookups = g->lookups;
	for (int i = 0; i < RFM_GEOIP_N_DB; i++)
		out->db[i] = g->db[i].stats;
}
