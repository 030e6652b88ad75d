// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * config.c - the configuration file: setting tables, and the one engine that
 * reads, validates, frees and prints any section described by a table.
 *
 * Every section is a C struct plus a static table of struct cfg_setting
 * (name, type, offset of the field, default, range, help). Adding a section
 * is adding a struct, a table and a line in root_settings; adding a rule that
 * involves several settings is a table check function. The only module that
 * includes libconfig.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "datapath.h"
#include "encoder.h"
#include "ifmatch.h"
#include "log.h"
#include "transport.h"

/* Not G_DEFINE_QUARK(): clang-format puts spaces into its unquoted name. */
GQuark rfm_config_error_quark(void)
{
	return g_quark_from_static_string("rfm-config-error-quark");
}

#define CFG_MAX_FILE_BYTES (16U << 20) /* a configuration file is a few KiB */
#define CFG_DAY_MS	   (86400U * 1000U)
#define CFG_INHERIT_UINT   G_MAXUINT32 /* struct rfm_config_override: field not set */
#define CFG_INHERIT_ENUM   (-1)

enum cfg_type {
	CFG_BOOL,	/* bool; libconfig true/false */
	CFG_UINT,	/* guint32 in [min, max]; libconfig integer */
	CFG_DURATION,	/* guint32 ms in [min, max]; libconfig integer or float seconds */
	CFG_STRING,	/* char *, owned */
	CFG_ENUM,	/* int; libconfig string, one of enums[].name */
	CFG_STRV,	/* char **, owned, NULL-terminated; libconfig array or list of strings */
	CFG_GROUP,	/* embedded struct described by sub; libconfig group */
	CFG_GROUP_LIST, /* GArray * of structs described by sub; libconfig list of groups */
};

#define CFG_REQUIRED (1U << 0) /* absent is an error */
#define CFG_NONEMPTY (1U << 1) /* STRING, STRV: must not be empty */
#define CFG_INHERIT  (1U << 2) /* the default means "not set": not printed */

struct cfg_enum {
	const char *name;
	int value;
};

struct cfg_ctx;
struct cfg_group;

/* DOC: description of one setting; tables of them are static and const. */
struct cfg_setting {
	const char *name;
	enum cfg_type type;
	unsigned flags; /* CFG_* */
	size_t offset;	/* of the field in the section's struct */
	gint64 def;	/* BOOL, UINT, DURATION (ms), ENUM */
	const char *def_str;
	const char *const *def_strv;  /* NULL: empty list */
	guint32 min, max;	      /* UINT, DURATION (ms) */
	const char *unit;	      /* UINT: unit in messages */
	const struct cfg_enum *enums; /* ENUM: ends with name NULL */
	const struct cfg_table *sub;  /* GROUP, GROUP_LIST */
	/* UINT: further rule on a value in range; reports its own error. */
	bool (*check)(struct cfg_ctx *ctx, const config_setting_t *s, const char *path, guint32 v);
	const char *help; /* one line, printed as a comment */
};

struct cfg_table {
	const struct cfg_setting *settings;
	size_t n;
	size_t size; /* of the struct described (element size of a GROUP_LIST) */
	/* Rules between settings, run once every setting of the group is read. */
	void (*check)(const struct cfg_group *g);
};

#define CFG_TABLE(settings, type, check_fn)                                  \
	{                                                                    \
		(settings), G_N_ELEMENTS(settings), sizeof(type), (check_fn) \
	}

/* Offset of field f of struct T, checked at compile time to be of type ctype. */
#define CFG_FIELD(T, f, ctype)                                                                \
	(offsetof(T, f) +                                                                     \
	 0 * sizeof(struct {                                                                  \
		 _Static_assert(__builtin_types_compatible_p(__typeof__(((T *)0)->f), ctype), \
				"type of " #T "." #f);                                        \
		 char c;                                                                      \
	 }))

/*
 * Table entries: name in the file, struct and field, the type's default and
 * range, help; more designated initializers (.flags, .unit, .check) may follow.
 */
#define SET_(n, t, T, f, ctype, h, ...)                                                  \
	{                                                                                \
		.name = (n), .type = (t), .offset = CFG_FIELD(T, f, ctype), .help = (h), \
		__VA_ARGS__                                                              \
	}
#define SET_BOOL(n, T, f, d, h, ...) SET_(n, CFG_BOOL, T, f, bool, h, .def = (d), __VA_ARGS__)
#define SET_UINT(n, T, f, d, lo, hi, h, ...) \
	SET_(n, CFG_UINT, T, f, guint32, h, .def = (d), .min = (lo), .max = (hi), __VA_ARGS__)
#define SET_DURATION(n, T, f, d_ms, lo_ms, hi_ms, h, ...)                                      \
	SET_(n, CFG_DURATION, T, f, guint32, h, .def = (d_ms), .min = (lo_ms), .max = (hi_ms), \
	     __VA_ARGS__)
#define SET_STRING(n, T, f, d, h, ...) \
	SET_(n, CFG_STRING, T, f, char *, h, .def_str = (d), __VA_ARGS__)
#define SET_ENUM(n, T, f, d, names, h, ...) \
	SET_(n, CFG_ENUM, T, f, int, h, .def = (d), .enums = (names), __VA_ARGS__)
#define SET_STRV(n, T, f, d, h, ...) \
	SET_(n, CFG_STRV, T, f, char **, h, .def_strv = (d), __VA_ARGS__)
#define SET_GROUP(n, T, f, S, table, h, ...) \
	SET_(n, CFG_GROUP, T, f, S, h, .sub = (table), __VA_ARGS__)
#define SET_LIST(n, T, f, table, h, ...) \
	SET_(n, CFG_GROUP_LIST, T, f, GArray *, h, .sub = (table), __VA_ARGS__)

#define CFG_AT(obj, d, T) ((T *)((char *)(obj) + (d)->offset))

/* DOC: state of one load: the errors found so far, in file order. */
struct cfg_ctx {
	GPtrArray *errors;	 /* owned, of char *, "FILE:LINE: path: message" */
	const char *name;	 /* borrowed, file of settings libconfig gives no file for */
	const char *include_dir; /* borrowed, directory @include names are relative to */
};

/* DOC: a group being checked by its table's check function. */
struct cfg_group {
	struct cfg_ctx *ctx;
	const struct cfg_table *table;
	void *obj;			 /* the struct the group was read into */
	const config_setting_t *setting; /* the group in the file, NULL if absent */
	const config_setting_t *where;	 /* setting to blame for what is absent */
	const char *path;		 /* of the group, "" for the root */
	const bool *bad;		 /* per table entry: invalid or missing */
};

/* ---- settings ---------------------------------------------------------- */

static const struct cfg_enum directions_names[] = {{"both", RFM_DIRS_BOTH},
						   {"ingress", RFM_DIRS_INGRESS},
						   {"egress", RFM_DIRS_EGRESS},
						   {NULL, 0}};

static const struct cfg_enum attach_names[] = {
	{"auto", RFM_ATTACH_AUTO}, {"tcx", RFM_ATTACH_TCX}, {"tc", RFM_ATTACH_TC}, {NULL, 0}};

static const struct cfg_enum sample_mode_names[] = {
	{"random", RFM_SAMPLE_RANDOM}, {"systematic", RFM_SAMPLE_SYSTEMATIC}, {NULL, 0}};

static const struct cfg_enum log_level_names[] = {{"error", RFM_LOG_ERROR},
						  {"warning", RFM_LOG_WARNING},
						  {"info", RFM_LOG_INFO},
						  {"debug", RFM_LOG_DEBUG},
						  {NULL, 0}};

static const struct cfg_enum log_target_names[] = {
	{"stderr", RFM_LOG_STDERR}, {"journal", RFM_LOG_JOURNAL}, {NULL, 0}};

static const struct cfg_enum transport_names[] = {
	{"udp", RFM_TRANSPORT_UDP}, {"tcp", RFM_TRANSPORT_TCP}, {NULL, 0}};

static const struct cfg_enum protocol_names[] = {{"ipfix", RFM_EXPORT_IPFIX},
						 {"netflow9", RFM_EXPORT_NETFLOW9},
						 {"netflow5", RFM_EXPORT_NETFLOW5},
						 {NULL, 0}};

static bool ring_size_check(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
			    guint32 v);
static void datapath_check(const struct cfg_group *g);
static void flows_check(const struct cfg_group *g);

#define OV struct rfm_config_override
static const struct cfg_setting override_settings[] = {
	SET_STRING("match", OV, match, NULL,
		   "interfaces this override applies to (fnmatch pattern)",
		   .flags = CFG_REQUIRED | CFG_NONEMPTY),
	SET_UINT("sampling", OV, sampling, CFG_INHERIT_UINT, 0, 1U << 24,
		 "1-in-N sampling, 0 = counters only", .flags = CFG_INHERIT),
	SET_ENUM("sampling_mode", OV, sampling_mode, CFG_INHERIT_ENUM, sample_mode_names,
		 "random | systematic", .flags = CFG_INHERIT),
	SET_ENUM("directions", OV, directions, CFG_INHERIT_ENUM, directions_names,
		 "both | ingress | egress", .flags = CFG_INHERIT),
};
static const struct cfg_table override_table = CFG_TABLE(override_settings, OV, NULL);
#undef OV

static const char *const exclude_default[] = {"lo", NULL};

#define DP struct rfm_config_datapath
static const struct cfg_setting datapath_settings[] = {
	SET_STRV("interfaces", DP, interfaces, NULL,
		 "interfaces to attach to: fnmatch(3) patterns such as \"eth*\"",
		 .flags = CFG_REQUIRED | CFG_NONEMPTY),
	SET_STRV("exclude", DP, exclude, exclude_default,
		 "interfaces never attached to, even if they match interfaces"),
	SET_ENUM("directions", DP, directions, RFM_DIRS_BOTH, directions_names,
		 "hooks to attach: both | ingress | egress"),
	SET_ENUM("attach", DP, attach, RFM_ATTACH_AUTO, attach_names,
		 "auto (TCX if the kernel has it, else tc clsact) | tcx | tc"),
	SET_UINT("sampling", DP, sampling, 100, 0, 1U << 24,
		 "sample 1 packet in N; 1 = every packet, 0 = interface counters only"),
	SET_ENUM("sampling_mode", DP, sampling_mode, RFM_SAMPLE_RANDOM, sample_mode_names,
		 "random (p = 1/N) | systematic (every Nth, per CPU)"),
	SET_LIST("overrides", DP, overrides, &override_table,
		 "per-interface settings; the first override whose match matches applies"),
	SET_UINT("ring_size", DP, ring_size, 1U << 20, 64U << 10, 1U << 30,
		 "kernel to user ring buffer, bytes, a power of two", .unit = "bytes",
		 .check = ring_size_check),
	SET_DURATION("drain_interval", DP, drain_interval_ms, 10, 1, 1000,
		     "seconds between two reads of the ring buffer"),
	SET_UINT("wakeup_fill", DP, wakeup_fill, 50, 0, 100,
		 "percent of the ring filled that wakes the agent before its timer; 0 = never",
		 .unit = "%"),
	SET_BOOL("fib_lookup", DP, fib_lookup, true,
		 "look up egress interface and next hop of sampled ingress packets"),
	SET_UINT("max_interfaces", DP, max_interfaces, 512, 1, 65536,
		 "(interface, direction) pairs the data path can hold"),
};
static const struct cfg_table datapath_table = CFG_TABLE(datapath_settings, DP, datapath_check);
#undef DP

#define FL struct rfm_config_flows
static const struct cfg_setting flows_settings[] = {
	SET_DURATION("idle_timeout", FL, idle_timeout_ms, 15000, 1000, CFG_DAY_MS,
		     "seconds without packets after which a flow ends"),
	SET_DURATION("active_timeout", FL, active_timeout_ms, 60000, 1000, CFG_DAY_MS,
		     "seconds after which a long flow is exported and restarted"),
	SET_UINT("max_flows", FL, max_flows, 1000000, 1, 100000000,
		 "flows held at once; when full, the least recently seen flow ends"),
	SET_BOOL("tcp_end", FL, tcp_end, true, "a TCP FIN or RST ends the flow (flowEndReason 3)"),
	SET_DURATION("tcp_end_grace", FL, tcp_end_grace_ms, 2000, 0, 60000,
		     "after a TCP FIN or RST, seconds without packets that end the flow"),
};
static const struct cfg_table flows_table = CFG_TABLE(flows_settings, FL, flows_check);
#undef FL

#define LG struct rfm_config_log
static const struct cfg_setting log_settings[] = {
	SET_ENUM("level", LG, level, RFM_LOG_INFO, log_level_names,
		 "error | warning | info | debug"),
	SET_ENUM("target", LG, target, RFM_LOG_STDERR, log_target_names, "stderr | journal"),
};
static const struct cfg_table log_table = CFG_TABLE(log_settings, LG, NULL);
#undef LG

static void bmp_check(const struct cfg_group *g);
static void bmp_connect_check(const struct cfg_group *g);

#define BC struct rfm_config_bmp_connect
static const struct cfg_setting bmp_connect_settings[] = {
	SET_STRING("address", BC, address, NULL, "router address (IPv4 or IPv6 literal)",
		   .flags = CFG_REQUIRED | CFG_NONEMPTY),
	SET_UINT("port", BC, port, 0, 1, 65535, "the router's BMP listener port",
		 .flags = CFG_REQUIRED),
};
static const struct cfg_table bmp_connect_table =
	CFG_TABLE(bmp_connect_settings, BC, bmp_connect_check);
#undef BC

#define BM struct rfm_config_bmp
static const struct cfg_setting bmp_settings[] = {
	SET_STRING("listen", BM, listen, "127.0.0.1", "address routers connect to"),
	SET_UINT("port", BM, port, 0, 0, 65535, "TCP port to listen on; 0 = no listener"),
	SET_STRV("allow", BM, allow, NULL,
		 "router addresses allowed to connect; empty = any that reaches listen"),
	SET_LIST("connect", BM, connect, &bmp_connect_table,
		 "routers whose BMP listener rfm connects to ({ address; port; })"),
	SET_UINT("max_sessions", BM, max_sessions, 16, 1, 4096, "BMP sessions at once"),
	SET_UINT("max_peers", BM, max_peers, 1024, 1, 1000000,
		 "BGP peers (per RIB view) held from all sessions"),
	SET_UINT("max_routes_per_peer", BM, max_routes_per_peer, 4000000, 1, 100000000,
		 "routes kept per peer and view; more are dropped and counted"),
	SET_UINT("max_message_size", BM, max_message_size, 1U << 20, 4096, 16U << 20,
		 "largest BMP message accepted, bytes; larger closes the session", .unit = "bytes"),
	SET_DURATION("connect_retry_max", BM, connect_retry_max_ms, 60000, 1000, 3600000,
		     "longest wait between two connection attempts to a router"),
};
static const struct cfg_table bmp_table = CFG_TABLE(bmp_settings, BM, bmp_check);
#undef BM

#define MM struct rfm_config_mmdb
static const struct cfg_setting mmdb_settings[] = {
	SET_STRING("asn", MM, asn, NULL, "ASN database (GeoLite2-ASN layout or compatible)",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
	SET_STRING("city", MM, city, NULL, "City database (GeoLite2-City layout or compatible)",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
};
static const struct cfg_table mmdb_table = CFG_TABLE(mmdb_settings, MM, NULL);
#undef MM

#define EN struct rfm_config_enrich
static const struct cfg_setting enrich_settings[] = {
	SET_GROUP("mmdb", EN, mmdb, struct rfm_config_mmdb, &mmdb_table,
		  "MaxMind DB files: AS numbers (fallback) and geography"),
	SET_GROUP("bmp", EN, bmp, struct rfm_config_bmp, &bmp_table,
		  "BMP sessions feeding the RIB: AS numbers first"),
	SET_BOOL("use_default_route", EN, use_default_route, false,
		 "attribute flows to a default route (0.0.0.0/0, ::/0)"),
};
static const struct cfg_table enrich_table = CFG_TABLE(enrich_settings, EN, NULL);
#undef EN

static void collector_check(const struct cfg_group *g);
static void ipfix_check(const struct cfg_group *g);

#define CO struct rfm_config_collector
static const struct cfg_setting collector_settings[] = {
	SET_STRING("address", CO, address, NULL, "collector address (IPv4 or IPv6 literal)",
		   .flags = CFG_REQUIRED | CFG_NONEMPTY),
	SET_UINT("port", CO, port, 0, 1, 65535, "collector port (IPFIX: 4739, NetFlow: often 2055)",
		 .flags = CFG_REQUIRED),
	SET_ENUM("transport", CO, transport, RFM_TRANSPORT_UDP, transport_names, "udp | tcp"),
	SET_ENUM("protocol", CO, protocol, RFM_EXPORT_IPFIX, protocol_names,
		 "ipfix | netflow9 | netflow5"),
	SET_STRING("source_address", CO, source_address, NULL,
		   "address to send from (IP literal); unset: chosen by the kernel",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
	SET_UINT("source_port", CO, source_port, 0, 0, 65535,
		 "port to send from; 0 = chosen by the kernel"),
	SET_UINT("observation_domain", CO, observation_domain, 1, 0, G_MAXUINT32,
		 "IPFIX observation domain id, NetFlow v9 source id, v5 engine id"),
	SET_UINT("mtu", CO, mtu, 1400, 512, 65535, "largest message, bytes", .unit = "bytes"),
	SET_UINT("queue", CO, queue, 1U << 20, 64U << 10, 1U << 30,
		 "bytes of messages held while the collector is slow or down", .unit = "bytes"),
};
static const struct cfg_table collector_table = CFG_TABLE(collector_settings, CO, collector_check);
#undef CO

#define IX struct rfm_config_ipfix
static const struct cfg_setting ipfix_settings[] = {
	SET_LIST("collectors", IX, collectors, &collector_table,
		 "collectors to export to ({ address; port; ... })"),
	SET_DURATION("template_refresh", IX, template_refresh_ms, 60000, 1000, CFG_DAY_MS,
		     "seconds between two sendings of templates and options over UDP"),
	SET_UINT("enterprise_number", IX, enterprise_number, 32473, 1, G_MAXUINT32,
		 "IANA private enterprise number of rfm's own IPFIX elements"),
};
static const struct cfg_table ipfix_table = CFG_TABLE(ipfix_settings, IX, ipfix_check);
#undef IX

static void prom_check(const struct cfg_group *g);
static void prom_tls_check(const struct cfg_group *g);
static void prom_auth_check(const struct cfg_group *g);

#define PT struct rfm_config_prom_tls
static const struct cfg_setting prom_tls_settings[] = {
	SET_STRING("certificate", PT, certificate, NULL, "PEM certificate file (chain allowed)",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
	SET_STRING("key", PT, key, NULL, "PEM private key file",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
};
static const struct cfg_table prom_tls_table = CFG_TABLE(prom_tls_settings, PT, prom_tls_check);
#undef PT

#define PA struct rfm_config_prom_auth
static const struct cfg_setting prom_auth_settings[] = {
	SET_STRING("username", PA, username, NULL, "user name scrapers must give",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
	SET_STRING("password_file", PA, password_file, NULL,
		   "file holding the password (its first line), read at start and reload",
		   .flags = CFG_NONEMPTY | CFG_INHERIT),
};
static const struct cfg_table prom_auth_table = CFG_TABLE(prom_auth_settings, PA, prom_auth_check);
#undef PA

static const char *const prom_labels_default[] = {"src_asn", "dst_asn", NULL};
static const char *const prom_labels_known[] = {"src_asn",     "dst_asn",  "src_country",
						"dst_country", "src_city", "dst_city"};

#define PR struct rfm_config_prometheus
static const struct cfg_setting prom_settings[] = {
	SET_STRING("listen", PR, listen, "127.0.0.1", "address of the HTTP server (/metrics)"),
	SET_UINT("port", PR, port, 9669, 0, 65535, "TCP port of the HTTP server; 0 = no server"),
	SET_STRV("labels", PR, labels, prom_labels_default,
		 "flow rollup labels: src_asn, dst_asn, src_country, dst_country, src_city, "
		 "dst_city"),
	SET_UINT("max_series", PR, max_series, 10000, 1, 10000000,
		 "flow rollup series kept; more are counted as overflow"),
	SET_DURATION("series_ttl", PR, series_ttl_ms, 3600000, 1000, 30U * CFG_DAY_MS,
		     "seconds after which a flow rollup series not updated is dropped"),
	SET_GROUP("tls", PR, tls, struct rfm_config_prom_tls, &prom_tls_table,
		  "HTTPS: certificate and key files (both or neither)"),
	SET_GROUP("basic_auth", PR, basic_auth, struct rfm_config_prom_auth, &prom_auth_table,
		  "HTTP basic authentication: username and password_file (both or neither)"),
};
static const struct cfg_table prom_table = CFG_TABLE(prom_settings, PR, prom_check);
#undef PR

#define RC struct rfm_config
static const struct cfg_setting root_settings[] = {
	SET_GROUP("datapath", RC, datapath, struct rfm_config_datapath, &datapath_table,
		  "the BPF classifier: where it attaches, how it samples"),
	SET_GROUP("flows", RC, flows, struct rfm_config_flows, &flows_table, "the flow table"),
	SET_GROUP("log", RC, log, struct rfm_config_log, &log_table, "logging"),
	SET_GROUP("enrich", RC, enrich, struct rfm_config_enrich, &enrich_table,
		  "AS numbers and geography added to flow records"),
	SET_GROUP("ipfix", RC, ipfix, struct rfm_config_ipfix, &ipfix_table,
		  "exporting processes: IPFIX, NetFlow v9 and v5 collectors"),
	SET_GROUP("prometheus", RC, prometheus, struct rfm_config_prometheus, &prom_table,
		  "HTTP endpoint /metrics (Prometheus) and the flow rollup"),
};
static const struct cfg_table root_table = CFG_TABLE(root_settings, RC, NULL);
#undef RC

/* ---- errors ------------------------------------------------------------ */

/* The file a setting came from, as the operator can open it. */
static char *cfg_file_name(const struct cfg_ctx *ctx, const char *file)
{
	if (!file)
		return g_strdup(ctx->name);
	/* libconfig names an included file as written, relative to include_dir. */
	if (g_path_is_absolute(file) || !ctx->include_dir || strcmp(ctx->include_dir, ".") == 0)
		return g_strdup(file);
	return g_build_filename(ctx->include_dir, file, NULL);
}

static void cfg_verror(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
		       const char *fmt, va_list ap) G_GNUC_PRINTF(4, 0);
static void cfg_verror(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
		       const char *fmt, va_list ap)
{
	g_autofree char *file = cfg_file_name(ctx, s ? config_setting_source_file(s) : NULL);
	unsigned line = s ? config_setting_source_line(s) : 0;
	GString *e = g_string_new(file);

	if (line)
		g_string_append_printf(e, ":%u", line);
	if (path && *path)
		g_string_append_printf(e, ": %s", path);
	g_string_append(e, ": ");
	g_string_append_vprintf(e, fmt, ap);
	g_ptr_array_add(ctx->errors, g_string_free(e, FALSE));
}

static void cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
		      const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void cfg_error(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(ctx, s, path, fmt, ap);
	va_end(ap);
}

/* An error about setting sub (relative to the group, e.g. "exclude[0]") of a group. */
static void cfg_group_error(const struct cfg_group *g, const config_setting_t *s, const char *sub,
			    const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static void cfg_group_error(const struct cfg_group *g, const config_setting_t *s, const char *sub,
			    const char *fmt, ...)
{
	g_autofree char *path = *g->path ? g_strdup_printf("%s.%s", g->path, sub) : g_strdup(sub);
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(g->ctx, s ? s : g->where, path, fmt, ap);
	va_end(ap);
}

/* "got ..." in errors, by libconfig type (CONFIG_TYPE_NONE .. CONFIG_TYPE_LIST). */
static const char *const cfg_file_types[] = {"nothing",	   "a group",  "an integer",
					     "an integer", "a float",  "a string",
					     "a boolean",  "an array", "a list"};

#define CFG_T(t) (1U << CONFIG_TYPE_##t)
/* libconfig types each type accepts, and how errors name it. */
static const struct {
	unsigned accepts; /* CFG_T() bits */
	const char *expected;
} cfg_types[] = {
	[CFG_BOOL] = {CFG_T(BOOL), "a boolean (true or false)"},
	[CFG_UINT] = {CFG_T(INT) | CFG_T(INT64), "an integer"},
	[CFG_DURATION] = {CFG_T(INT) | CFG_T(INT64) | CFG_T(FLOAT), "a number of seconds"},
	[CFG_STRING] = {CFG_T(STRING), "a string"},
	[CFG_ENUM] = {CFG_T(STRING), "a string"},
	[CFG_STRV] = {CFG_T(ARRAY) | CFG_T(LIST), "an array of strings [ \"...\", ... ]"},
	[CFG_GROUP] = {CFG_T(GROUP), "a group { ... }"},
	/* An empty list can be written "[ ]"; a non-empty array holds no group. */
	[CFG_GROUP_LIST] = {CFG_T(LIST) | CFG_T(ARRAY), "a list of groups ( { ... }, ... )"},
};

/* Whether s has the libconfig type of t; reports the error if not. */
static bool cfg_check_type(struct cfg_ctx *ctx, enum cfg_type t, const config_setting_t *s,
			   const char *path)
{
	int type = config_setting_type(s);

	if (cfg_types[t].accepts & (1U << type))
		return true;
	cfg_error(ctx, s, path, "wrong type: expected %s, got %s", cfg_types[t].expected,
		  type >= 0 && type < (int)G_N_ELEMENTS(cfg_file_types) ? cfg_file_types[type]
									: "?");
	return false;
}

/* Edit distance, for "did you mean". */
static gsize cfg_distance(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b);
	g_autofree gsize *row = g_new(gsize, lb + 1);

	for (gsize j = 0; j <= lb; j++)
		row[j] = j;
	for (gsize i = 1; i <= la; i++) {
		gsize diag = row[0];

		row[0] = i;
		for (gsize j = 1; j <= lb; j++) {
			gsize up = row[j];
			gsize best = MIN(row[j - 1], up) + 1;

			row[j] = MIN(best, diag + (a[i - 1] != b[j - 1]));
			diag = up;
		}
	}
	return row[lb];
}

static void cfg_unknown(struct cfg_ctx *ctx, const struct cfg_table *t, const config_setting_t *s,
			const char *path, bool section)
{
	const char *name = config_setting_name(s);
	const char *best = NULL;
	gsize best_d = G_MAXSIZE;

	if (section) {
		g_autoptr(GString) names = g_string_new(NULL);

		for (size_t i = 0; i < t->n; i++)
			g_string_append_printf(names, "%s%s", i ? ", " : "", t->settings[i].name);
		cfg_error(ctx, s, path, "unknown section (sections are: %s)", names->str);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		gsize d = cfg_distance(name, t->settings[i].name);

		if (d < best_d) {
			best_d = d;
			best = t->settings[i].name;
		}
	}
	if (best && best_d <= 2 && best_d < strlen(name))
		cfg_error(ctx, s, path, "unknown setting (did you mean %s?)", best);
	else
		cfg_error(ctx, s, path, "unknown setting");
}

/* ---- values ------------------------------------------------------------ */

/* Milliseconds as seconds, shortest exact form: "15", "0.01". */
static void cfg_append_seconds(GString *out, guint32 ms)
{
	g_string_append_printf(out, "%u", ms / 1000);
	if (ms % 1000) {
		char frac[8];

		g_snprintf(frac, sizeof(frac), "%03u", ms % 1000);
		for (int i = 2; i > 0 && frac[i] == '0'; i--)
			frac[i] = '\0';
		g_string_append_printf(out, ".%s", frac);
	}
}

static char *cfg_seconds(guint32 ms)
{
	GString *s = g_string_new(NULL);

	cfg_append_seconds(s, ms);
	return g_string_free(s, FALSE);
}

static char *cfg_bytes(guint32 v)
{
	if (v >= (1U << 30) && v % (1U << 30) == 0)
		return g_strdup_printf("%u GiB", v >> 30);
	if (v >= (1U << 20) && v % (1U << 20) == 0)
		return g_strdup_printf("%u MiB", v >> 20);
	if (v >= (1U << 10) && v % (1U << 10) == 0)
		return g_strdup_printf("%u KiB", v >> 10);
	return g_strdup_printf("%u bytes", v);
}

static bool ring_size_check(struct cfg_ctx *ctx, const config_setting_t *s, const char *path,
			    guint32 v)
{
	guint32 lo, hi, nearest;
	g_autofree char *human = NULL;

	if ((v & (v - 1)) == 0)
		return true;
	lo = 1U << (g_bit_storage(v) - 1);
	hi = lo << 1; /* v < 1 GiB here, so no overflow */
	nearest = v - lo <= hi - v ? lo : hi;
	human = cfg_bytes(nearest);
	cfg_error(ctx, s, path, "%u is not a power of two (nearest: %u = %s)", v, nearest, human);
	return false;
}

static const char *cfg_enum_name(const struct cfg_enum *e, int v)
{
	for (; e->name; e++) {
		if (e->value == v)
			return e->name;
	}
	return NULL;
}

static bool cfg_parse_uint(struct cfg_ctx *ctx, const struct cfg_setting *d, guint32 *out,
			   const config_setting_t *s, const char *path)
{
	long long v;

	v = config_setting_get_int64(s);
	if (v < d->min || v > d->max) {
		/* libconfig 1.5 wraps an integer without L past 32 bits: 4294967295 reads -1. */
		bool wrapped =
			v < 0 && config_setting_type(s) == CONFIG_TYPE_INT && d->max > G_MAXINT32;

		cfg_error(ctx, s, path, "%lld is out of range (%u..%u%s%s)%s", v, d->min, d->max,
			  d->unit ? " " : "", d->unit ? d->unit : "",
			  wrapped ? "; write numbers above 2147483647 with an L suffix, as in "
				    "4294967295L"
				  : "");
		return false;
	}
	if (d->check && !d->check(ctx, s, path, (guint32)v))
		return false;
	*out = (guint32)v;
	return true;
}

static bool cfg_parse_duration(struct cfg_ctx *ctx, const struct cfg_setting *d, guint32 *out,
			       const config_setting_t *s, const char *path)
{
	char text[G_ASCII_DTOSTR_BUF_SIZE];
	g_autofree char *min = NULL, *max = NULL;
	guint32 rounded;
	double ms;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT) {
		g_ascii_formatd(text, sizeof(text), "%g", config_setting_get_float(s));
		ms = config_setting_get_float(s) * 1000.0;
	} else {
		g_snprintf(text, sizeof(text), "%lld", config_setting_get_int64(s));
		ms = (double)config_setting_get_int64(s) * 1000.0;
	}
	/* Written this way round so that NaN is out of range too. */
	if (!(ms >= d->min - 1e-6 && ms <= d->max + 1e-6)) {
		min = cfg_seconds(d->min);
		max = cfg_seconds(d->max);
		cfg_error(ctx, s, path, "%s is out of range (%s..%s s)", text, min, max);
		return false;
	}
	/* ms >= -1e-6 here, so adding 0.5 and truncating rounds to nearest (no libm). */
	rounded = (guint32)(ms + 0.5);
	if (ms - rounded > 1e-6 || rounded - ms > 1e-6) {
		cfg_error(ctx, s, path, "%s s is not a whole number of milliseconds", text);
		return false;
	}
	*out = rounded;
	return true;
}

static bool cfg_parse_enum(struct cfg_ctx *ctx, const struct cfg_setting *d, int *out,
			   const config_setting_t *s, const char *path)
{
	g_autoptr(GString) names = g_string_new(NULL);
	g_autofree char *escaped = NULL;
	const char *v;

	v = config_setting_get_string(s);
	for (const struct cfg_enum *e = d->enums; e->name; e++) {
		if (strcmp(e->name, v) == 0) {
			*out = e->value;
			return true;
		}
		g_string_append_printf(names, "%s\"%s\"", e != d->enums ? ", " : "", e->name);
	}
	escaped = g_strescape(v, NULL);
	cfg_error(ctx, s, path, "\"%s\" is not one of %s", escaped, names->str);
	return false;
}

static bool cfg_parse_string(struct cfg_ctx *ctx, const struct cfg_setting *d, char **out,
			     const config_setting_t *s, const char *path)
{
	const char *v;

	v = config_setting_get_string(s);
	if ((d->flags & CFG_NONEMPTY) && !*v) {
		cfg_error(ctx, s, path, "must not be empty");
		return false;
	}
	g_free(*out);
	*out = g_strdup(v);
	return true;
}

static bool cfg_parse_strv(struct cfg_ctx *ctx, const struct cfg_setting *d, char ***out,
			   const config_setting_t *s, const char *path)
{
	g_autoptr(GPtrArray) v = NULL;
	bool ok = true;
	int n;

	n = config_setting_length(s);
	if ((d->flags & CFG_NONEMPTY) && n == 0) {
		cfg_error(ctx, s, path, "must not be empty");
		return false;
	}
	v = g_ptr_array_new_full(n + 1, g_free);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		g_autofree char *epath = g_strdup_printf("%s[%d]", path, i);

		if (!cfg_check_type(ctx, CFG_STRING, e, epath)) {
			ok = false;
		} else if (!*config_setting_get_string(e)) {
			cfg_error(ctx, e, epath, "empty string");
			ok = false;
		} else {
			g_ptr_array_add(v, g_strdup(config_setting_get_string(e)));
		}
	}
	if (!ok)
		return false;
	g_ptr_array_add(v, NULL);
	g_strfreev(*out);
	*out = (char **)g_ptr_array_free(g_steal_pointer(&v), FALSE);
	return true;
}

static void cfg_init(const struct cfg_table *t, void *obj);
static void cfg_fini(const struct cfg_table *t, void *obj);
static void cfg_parse_group(struct cfg_ctx *ctx, const struct cfg_table *t, void *obj,
			    const config_setting_t *group, const config_setting_t *where,
			    const char *path);

static bool cfg_parse_list(struct cfg_ctx *ctx, const struct cfg_setting *d, GArray *a,
			   const config_setting_t *s, const char *path)
{
	guint before = ctx->errors->len;
	int n;

	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		g_autofree char *epath = g_strdup_printf("%s[%d]", path, i);
		void *elem;

		/* Every element is kept, valid or not, so index i is element i of the file. */
		g_array_set_size(a, a->len + 1);
		elem = a->data + (gsize)(a->len - 1) * d->sub->size;
		cfg_init(d->sub, elem);
		if (cfg_check_type(ctx, CFG_GROUP, e, epath))
			cfg_parse_group(ctx, d->sub, elem, e, e, epath);
	}
	return ctx->errors->len == before;
}

/* Read setting s described by d into its field of obj; false after reporting an error. */
static bool cfg_parse_value(struct cfg_ctx *ctx, const struct cfg_setting *d, void *obj,
			    const config_setting_t *s, const char *path)
{
	guint before = ctx->errors->len;

	if (!cfg_check_type(ctx, d->type, s, path))
		return false;
	switch (d->type) {
	case CFG_BOOL:
		*CFG_AT(obj, d, bool) = config_setting_get_bool(s);
		return true;
	case CFG_UINT:
		return cfg_parse_uint(ctx, d, CFG_AT(obj, d, guint32), s, path);
	case CFG_DURATION:
		return cfg_parse_duration(ctx, d, CFG_AT(obj, d, guint32), s, path);
	case CFG_STRING:
		return cfg_parse_string(ctx, d, CFG_AT(obj, d, char *), s, path);
	case CFG_ENUM:
		return cfg_parse_enum(ctx, d, CFG_AT(obj, d, int), s, path);
	case CFG_STRV:
		return cfg_parse_strv(ctx, d, CFG_AT(obj, d, char **), s, path);
	case CFG_GROUP:
		cfg_parse_group(ctx, d->sub, CFG_AT(obj, d, char), s, s, path);
		return ctx->errors->len == before;
	case CFG_GROUP_LIST:
		return cfg_parse_list(ctx, d, *CFG_AT(obj, d, GArray *), s, path);
	}
	g_assert_not_reached();
}

static gssize cfg_find(const struct cfg_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->settings[i].name, name) == 0)
			return (gssize)i;
	}
	return -1;
}

static char *cfg_path_join(const char *path, const char *name)
{
	return *path ? g_strdup_printf("%s.%s", path, name) : g_strdup(name);
}

/*
 * Read group (NULL if absent from the file) into obj, which holds the
 * defaults already. where is blamed for missing settings.
 */
static void cfg_parse_group(struct cfg_ctx *ctx, const struct cfg_table *t, void *obj,
			    const config_setting_t *group, const config_setting_t *where,
			    const char *path)
{
	g_autofree bool *seen = g_new0(bool, t->n);
	g_autofree bool *bad = g_new0(bool, t->n);
	int n = group ? config_setting_length(group) : 0;

	/* In file order, so that errors come out in file order. */
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		g_autofree char *spath = cfg_path_join(path, config_setting_name(s));
		gssize k = cfg_find(t, config_setting_name(s));

		if (k < 0) {
			cfg_unknown(ctx, t, s, spath, t == &root_table);
			continue;
		}
		/* No duplicates here: libconfig rejects them while parsing. */
		seen[k] = true;
		bad[k] = !cfg_parse_value(ctx, &t->settings[k], obj, s, spath);
	}
	for (size_t k = 0; k < t->n; k++) {
		const struct cfg_setting *d = &t->settings[k];
		g_autofree char *spath = NULL;

		if (seen[k])
			continue;
		spath = cfg_path_join(path, d->name);
		if (d->flags & CFG_REQUIRED) {
			cfg_error(ctx, where, spath, "required setting is missing");
			bad[k] = true;
		} else if (d->type == CFG_GROUP) {
			/* An absent group may still lack a required setting. */
			guint before = ctx->errors->len;

			cfg_parse_group(ctx, d->sub, CFG_AT(obj, d, char), NULL, where, spath);
			bad[k] = ctx->errors->len != before;
		}
	}
	if (t->check) {
		struct cfg_group g = {ctx, t, obj, group, where, path, bad};

		t->check(&g);
	}
}

/* ---- rules between settings -------------------------------------------- */

/* Whether a setting of the group holds a valid value (given or default). */
static bool cfg_valid(const struct cfg_group *g, const char *name)
{
	gssize k = cfg_find(g->table, name);

	g_assert(k >= 0);
	return !g->bad[k];
}

static const config_setting_t *cfg_member(const struct cfg_group *g, const char *name)
{
	return g->setting ? config_setting_get_member(g->setting, name) : NULL;
}

static const config_setting_t *cfg_elem(const config_setting_t *s, gsize i)
{
	return s ? config_setting_get_elem(s, (unsigned)i) : NULL;
}

static void datapath_check_exclude(const struct cfg_group *g)
{
	const struct rfm_config_datapath *dp = g->obj;
	const config_setting_t *inc = cfg_member(g, "interfaces");
	const config_setting_t *exc = cfg_member(g, "exclude");

	for (gsize i = 0; dp->exclude[i]; i++) {
		g_autofree char *pat = g_strescape(dp->exclude[i], NULL);
		g_autofree char *sub = NULL;

		for (gsize j = 0; dp->interfaces[j]; j++) {
			if (strcmp(dp->interfaces[j], dp->exclude[i]) != 0)
				continue;
			if (exc) {
				sub = g_strdup_printf("exclude[%" G_GSIZE_FORMAT "]", i);
				cfg_group_error(g, cfg_elem(exc, i), sub,
						"\"%s\" is also in %s.interfaces", pat, g->path);
			} else {
				sub = g_strdup_printf("interfaces[%" G_GSIZE_FORMAT "]", j);
				cfg_group_error(g, cfg_elem(inc, j), sub,
						"\"%s\" is also in %s.exclude (by default)", pat,
						g->path);
			}
			break;
		}
	}
}

static void datapath_check_overrides(const struct cfg_group *g)
{
	const struct rfm_config_datapath *dp = g->obj;
	const config_setting_t *list = cfg_member(g, "overrides");

	for (guint i = 0; i < dp->overrides->len; i++) {
		const struct rfm_config_override *oi =
			&g_array_index(dp->overrides, struct rfm_config_override, i);

		for (guint j = 0; oi->match && j < i; j++) {
			const struct rfm_config_override *oj =
				&g_array_index(dp->overrides, struct rfm_config_override, j);
			const config_setting_t *ei = cfg_elem(list, i), *ej = cfg_elem(list, j);
			const config_setting_t *mi =
				ei ? config_setting_get_member(ei, "match") : NULL;
			g_autofree char *pat = NULL, *sub = NULL;

			if (!oj->match || strcmp(oi->match, oj->match) != 0)
				continue;
			pat = g_strescape(oi->match, NULL);
			sub = g_strdup_printf("overrides[%u].match", i);
			cfg_group_error(
				g, mi ? mi : ei, sub,
				"\"%s\" is already the match of %s.overrides[%u] (line %u), "
				"which wins",
				pat, g->path, j, ej ? config_setting_source_line(ej) : 0);
			break;
		}
	}
}

static void datapath_check(const struct cfg_group *g)
{
	if (cfg_valid(g, "interfaces") && cfg_valid(g, "exclude"))
		datapath_check_exclude(g);
	datapath_check_overrides(g);
}

static void flows_check(const struct cfg_group *g)
{
	const struct rfm_config_flows *f = g->obj;
	const config_setting_t *idle = cfg_member(g, "idle_timeout");
	g_autofree char *idle_s = cfg_seconds(f->idle_timeout_ms);
	g_autofree char *active_s = cfg_seconds(f->active_timeout_ms);

	if (!cfg_valid(g, "idle_timeout") || !cfg_valid(g, "active_timeout") ||
	    f->idle_timeout_ms <= f->active_timeout_ms)
		return;
	if (idle)
		cfg_group_error(g, idle, "idle_timeout",
				"%s s is greater than %s.active_timeout (%s s)", idle_s, g->path,
				active_s);
	else
		cfg_group_error(g, cfg_member(g, "active_timeout"), "active_timeout",
				"%s s is less than %s.idle_timeout (%s s by default)", active_s,
				g->path, idle_s);
}

static bool is_ip_literal(const char *s)
{
	guint8 buf[16];

	return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

static void bmp_check(const struct cfg_group *g)
{
	const struct rfm_config_bmp *b = g->obj;
	const config_setting_t *allow = cfg_member(g, "allow");

	if (cfg_valid(g, "listen") && !is_ip_literal(b->listen))
		cfg_group_error(g, cfg_member(g, "listen"), "listen",
				"\"%s\" is not an IPv4 or IPv6 address", b->listen);
	if (!cfg_valid(g, "allow"))
		return;
	for (gsize i = 0; b->allow && b->allow[i]; i++) {
		g_autofree char *sub = g_strdup_printf("allow[%" G_GSIZE_FORMAT "]", i);

		if (!is_ip_literal(b->allow[i]))
			cfg_group_error(g, cfg_elem(allow, i), sub,
					"\"%s\" is not an IPv4 or IPv6 address", b->allow[i]);
	}
}

static void prom_check(const struct cfg_group *g)
{
	const struct rfm_config_prometheus *p = g->obj;
	const config_setting_t *labels = cfg_member(g, "labels");

	if (cfg_valid(g, "listen") && !is_ip_literal(p->listen))
		cfg_group_error(g, cfg_member(g, "listen"), "listen",
				"\"%s\" is not an IPv4 or IPv6 address", p->listen);
	if (!cfg_valid(g, "labels"))
		return;
	for (gsize i = 0; p->labels && p->labels[i]; i++) {
		g_autofree char *sub = g_strdup_printf("labels[%" G_GSIZE_FORMAT "]", i);
		bool known = false;

		for (gsize k = 0; k < G_N_ELEMENTS(prom_labels_known); k++)
			known |= strcmp(p->labels[i], prom_labels_known[k]) == 0;
		if (!known)
			cfg_group_error(g, cfg_elem(labels, i), sub,
					"unknown label \"%s\" (src_asn, dst_asn, src_country, "
					"dst_country, src_city or dst_city)",
					p->labels[i]);
		for (gsize j = 0; j < i; j++)
			if (strcmp(p->labels[i], p->labels[j]) == 0)
				cfg_group_error(g, cfg_elem(labels, i), sub,
						"label \"%s\" given twice", p->labels[i]);
	}
}

/* Settings a and b of group g: both or neither. */
static void prom_pair_check(const struct cfg_group *g, const char *a, const void *va, const char *b,
			    const void *vb)
{
	if (!cfg_valid(g, a) || !cfg_valid(g, b) || !va == !vb)
		return;
	cfg_group_error(g, cfg_member(g, va ? a : b), va ? a : b, "needs %s as well", va ? b : a);
}

static void prom_tls_check(const struct cfg_group *g)
{
	const struct rfm_config_prom_tls *t = g->obj;

	prom_pair_check(g, "certificate", t->certificate, "key", t->key);
}

static void prom_auth_check(const struct cfg_group *g)
{
	const struct rfm_config_prom_auth *a = g->obj;

	prom_pair_check(g, "username", a->username, "password_file", a->password_file);
}

static void bmp_connect_check(const struct cfg_group *g)
{
	const struct rfm_config_bmp_connect *c = g->obj;

	if (cfg_valid(g, "address") && !is_ip_literal(c->address))
		cfg_group_error(g, cfg_member(g, "address"), "address",
				"\"%s\" is not an IPv4 or IPv6 address", c->address);
}

/* AF_INET or AF_INET6 of an IP literal, 0 if it is none; the address into buf. */
static int ip_family(const char *s, guint8 buf[16])
{
	memset(buf, 0, 16);
	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, buf) == 1)
		return AF_INET6;
	return 0;
}

static const char *family_name(int af)
{
	return af == AF_INET ? "IPv4" : "IPv6";
}

static void collector_check(const struct cfg_group *g)
{
	const struct rfm_config_collector *c = g->obj;
	guint8 buf[16];
	int af = 0, saf = 0;

	if (cfg_valid(g, "address")) {
		af = ip_family(c->address, buf);
		if (!af)
			cfg_group_error(g, cfg_member(g, "address"), "address",
					"\"%s\" is not an IPv4 or IPv6 address", c->address);
	}
	if (cfg_valid(g, "source_address") && c->source_address) {
		saf = ip_family(c->source_address, buf);
		if (!saf)
			cfg_group_error(g, cfg_member(g, "source_address"), "source_address",
					"\"%s\" is not an IPv4 or IPv6 address", c->source_address);
		else if (af && saf != af)
			cfg_group_error(g, cfg_member(g, "source_address"), "source_address",
					"\"%s\" is %s but address \"%s\" is %s", c->source_address,
					family_name(saf), c->address, family_name(af));
	}
	/*
	 * NetFlow v9 and v5 packets carry a record count but no length, so they
	 * cannot be delimited on a byte stream; RFC 3954 describes UDP export,
	 * and no common collector reads NetFlow over TCP.
	 */
	if (cfg_valid(g, "transport") && cfg_valid(g, "protocol") &&
	    c->transport == RFM_TRANSPORT_TCP && c->protocol != RFM_EXPORT_IPFIX)
		cfg_group_error(g, cfg_member(g, "transport"), "transport",
				"%s is exported over udp only (its packets carry no length to "
				"frame them on a tcp stream)",
				cfg_enum_name(protocol_names, c->protocol));
	if (cfg_valid(g, "transport") && cfg_valid(g, "mtu") && c->transport == RFM_TRANSPORT_UDP &&
	    c->mtu > RFM_CONFIG_UDP_MTU_MAX)
		cfg_group_error(g, cfg_member(g, "mtu"), "mtu",
				"%u bytes do not fit a UDP datagram (at most %u over udp)", c->mtu,
				RFM_CONFIG_UDP_MTU_MAX);
	if (cfg_valid(g, "protocol") && cfg_valid(g, "observation_domain") &&
	    c->protocol == RFM_EXPORT_NETFLOW5 && c->observation_domain > 255)
		cfg_group_error(g, cfg_member(g, "observation_domain"), "observation_domain",
				"%u does not fit the 8-bit engine id of netflow5 (0..255)",
				c->observation_domain);
}

/* Two collectors with the same address, port and transport would get every record twice. */
static void ipfix_check(const struct cfg_group *g)
{
	const struct rfm_config_ipfix *ix = g->obj;
	const config_setting_t *list = cfg_member(g, "collectors");

	for (guint i = 0; i < ix->collectors->len; i++) {
		const struct rfm_config_collector *ci =
			&g_array_index(ix->collectors, struct rfm_config_collector, i);
		guint8 ai[16];
		int afi = ip_family(ci->address, ai);

		for (guint j = 0; afi && ci->port && j < i; j++) {
			const struct rfm_config_collector *cj =
				&g_array_index(ix->collectors, struct rfm_config_collector, j);
			const config_setting_t *ei = cfg_elem(list, i), *ej = cfg_elem(list, j);
			const config_setting_t *at =
				ei ? config_setting_get_member(ei, "address") : NULL;
			g_autofree char *sub = NULL;
			guint8 aj[16];

			if (ip_family(cj->address, aj) != afi || memcmp(ai, aj, 16) != 0 ||
			    cj->port != ci->port || cj->transport != ci->transport)
				continue;
			sub = g_strdup_printf("collectors[%u].address", i);
			cfg_group_error(g, at ? at : ei, sub,
					"\"%s\" port %u over %s is already %s.collectors[%u] "
					"(line %u)",
					ci->address, ci->port,
					cfg_enum_name(transport_names, ci->transport), g->path, j,
					ej ? config_setting_source_line(ej) : 0);
			break;
		}
	}
}

/* ---- life cycle -------------------------------------------------------- */

/* Set every field of obj to its default. */
static void cfg_init(const struct cfg_table *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_setting *d = &t->settings[i];

		switch (d->type) {
		case CFG_BOOL:
			*CFG_AT(obj, d, bool) = d->def != 0;
			break;
		case CFG_UINT:
		case CFG_DURATION:
			*CFG_AT(obj, d, guint32) = (guint32)d->def;
			break;
		case CFG_ENUM:
			*CFG_AT(obj, d, int) = (int)d->def;
			break;
		case CFG_STRING:
			*CFG_AT(obj, d, char *) = g_strdup(d->def_str);
			break;
		case CFG_STRV:
			*CFG_AT(obj, d, char **) =
				d->def_strv ? g_strdupv((char **)d->def_strv) : g_new0(char *, 1);
			break;
		case CFG_GROUP:
			cfg_init(d->sub, CFG_AT(obj, d, char));
			break;
		case CFG_GROUP_LIST:
			*CFG_AT(obj, d, GArray *) = g_array_new(FALSE, TRUE, d->sub->size);
			break;
		}
	}
}

static void cfg_fini(const struct cfg_table *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_setting *d = &t->settings[i];
		GArray *a;

		switch (d->type) {
		case CFG_STRING:
			g_clear_pointer(CFG_AT(obj, d, char *), g_free);
			break;
		case CFG_STRV:
			g_clear_pointer(CFG_AT(obj, d, char **), g_strfreev);
			break;
		case CFG_GROUP:
			cfg_fini(d->sub, CFG_AT(obj, d, char));
			break;
		case CFG_GROUP_LIST:
			a = *CFG_AT(obj, d, GArray *);
			if (!a)
				break;
			for (guint j = 0; j < a->len; j++)
				cfg_fini(d->sub, a->data + (gsize)j * d->sub->size);
			g_array_unref(a);
			*CFG_AT(obj, d, GArray *) = NULL;
			break;
		default:
			break;
		}
	}
}

struct rfm_config *rfm_config_new_default(void)
{
	struct rfm_config *cfg = g_new0(struct rfm_config, 1);

	cfg_init(&root_table, cfg);
	return cfg;
}

void rfm_config_free(struct rfm_config *cfg)
{
	if (!cfg)
		return;
	cfg_fini(&root_table, cfg);
	g_free(cfg->path);
	g_free(cfg);
}

struct rfm_config *rfm_config_from_string(const char *text, const char *name, GError **error)
{
	g_autofree char *dir = NULL;
	struct cfg_ctx ctx = {0};
	struct rfm_config *cfg;
	config_t cf;

	if (!name)
		name = "<string>";
	dir = g_path_get_dirname(name);
	ctx.name = name;
	ctx.include_dir = dir;
	config_init(&cf);
	/* libconfig 1.5 prefixes every @include path with this, even absolute ones. */
	config_set_include_dir(&cf, dir);
	if (!config_read_string(&cf, text)) {
		g_autofree char *file = cfg_file_name(&ctx, config_error_file(&cf));
		int code = config_error_type(&cf) == CONFIG_ERR_FILE_IO ? RFM_CONFIG_ERROR_IO
									: RFM_CONFIG_ERROR_SYNTAX;

		g_autofree char *line = g_strdup_printf(":%d", config_error_line(&cf));

		g_set_error(error, RFM_CONFIG_ERROR, code, "%s%s: %s", file,
			    config_error_line(&cf) > 0 ? line : "", config_error_text(&cf));
		config_destroy(&cf);
		return NULL;
	}

	cfg = rfm_config_new_default();
	cfg->path = g_strdup(name);
	ctx.errors = g_ptr_array_new_with_free_func(g_free);
	cfg_parse_group(&ctx, &root_table, cfg, config_root_setting(&cf), config_root_setting(&cf),
			"");
	config_destroy(&cf);
	if (ctx.errors->len) {
		g_autofree char *msg = NULL;

		g_ptr_array_add(ctx.errors, NULL);
		msg = g_strjoinv("\n", (char **)ctx.errors->pdata);
		g_set_error_literal(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_INVALID, msg);
		g_clear_pointer(&cfg, rfm_config_free);
	}
	g_ptr_array_unref(ctx.errors);
	return cfg;
}

struct rfm_config *rfm_config_load(const char *path, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	char buf[4096];
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		int err = errno;

		g_set_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_IO, "%s: %s", path,
			    g_strerror(err));
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && text->len <= CFG_MAX_FILE_BYTES)
		g_string_append_len(text, buf, (gssize)n);
	if (ferror(f) || text->len > CFG_MAX_FILE_BYTES) {
		int err = errno;

		g_set_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_IO, "%s: %s", path,
			    ferror(f) ? g_strerror(err) : "larger than 16 MiB");
		fclose(f);
		return NULL;
	}
	fclose(f);
	/* libconfig reads up to the first NUL and would ignore the rest silently. */
	if (strlen(text->str) != text->len) {
		g_set_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_SYNTAX,
			    "%s: contains a NUL byte (not a text file)", path);
		return NULL;
	}
	return rfm_config_from_string(text->str, path, error);
}

/* ---- output ------------------------------------------------------------ */

/* A libconfig string literal. */
static void cfg_append_string(GString *out, const char *s)
{
	static const char specials[] = "\"\\\n\r\t\f", escapes[] = "\"\\nrtf";

	g_string_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *special = strchr(specials, *p);

		if (special)
			g_string_append_printf(out, "\\%c", escapes[special - specials]);
		else if (*p < 0x20 || *p == 0x7f)
			g_string_append_printf(out, "\\x%02x", *p);
		else
			g_string_append_c(out, (char)*p);
	}
	g_string_append_c(out, '"');
}

/* Whether a CFG_INHERIT field holds its "not set" default. */
static bool cfg_unset(const struct cfg_setting *d, const void *obj)
{
	if (!(d->flags & CFG_INHERIT))
		return false;
	switch (d->type) {
	case CFG_UINT:
	case CFG_DURATION:
		return *CFG_AT(obj, d, guint32) == (guint32)d->def;
	case CFG_ENUM:
		return *CFG_AT(obj, d, int) == (int)d->def;
	case CFG_STRING:
		return *CFG_AT(obj, d, char *) == NULL;
	default:
		return false;
	}
}

static void cfg_indent(GString *out, int depth)
{
	for (int i = 0; i < depth; i++)
		g_string_append_c(out, '\t');
}

static void cfg_print_group(GString *out, const struct cfg_table *t, const void *obj, int depth,
			    bool help);

static void cfg_print_value(GString *out, const struct cfg_setting *d, const void *obj, int depth)
{
	const GArray *a;
	char **v;

	switch (d->type) {
	case CFG_BOOL:
		g_string_append(out, *CFG_AT(obj, d, bool) ? "true" : "false");
		break;
	case CFG_UINT:
		/* libconfig reads a number past 2^31 - 1 right only as a 64-bit one. */
		g_string_append_printf(out, "%u%s", *CFG_AT(obj, d, guint32),
				       *CFG_AT(obj, d, guint32) > G_MAXINT32 ? "L" : "");
		break;
	case CFG_DURATION:
		cfg_append_seconds(out, *CFG_AT(obj, d, guint32));
		break;
	case CFG_STRING:
		cfg_append_string(out, *CFG_AT(obj, d, char *) ? *CFG_AT(obj, d, char *) : "");
		break;
	case CFG_ENUM: {
		const char *name = cfg_enum_name(d->enums, *CFG_AT(obj, d, int));

		g_assert(name); /* values only ever come from the table */
		cfg_append_string(out, name);
		break;
	}
	case CFG_STRV:
		v = *CFG_AT(obj, d, char **);
		g_string_append(out, "[ ");
		for (gsize i = 0; v && v[i]; i++) {
			cfg_append_string(out, v[i]);
			g_string_append(out, v[i + 1] ? ", " : " ");
		}
		g_string_append_c(out, ']');
		break;
	case CFG_GROUP:
		g_string_append(out, "{\n");
		cfg_print_group(out, d->sub, CFG_AT(obj, d, char), depth + 1, true);
		cfg_indent(out, depth);
		g_string_append_c(out, '}');
		break;
	case CFG_GROUP_LIST:
		a = *CFG_AT(obj, d, GArray *);
		if (!a->len) {
			g_string_append(out, "( )");
			break;
		}
		g_string_append(out, "(\n");
		for (guint i = 0; i < a->len; i++) {
			cfg_indent(out, depth + 1);
			g_string_append(out, "{\n");
			cfg_print_group(out, d->sub, a->data + (gsize)i * d->sub->size, depth + 2,
					false);
			cfg_indent(out, depth + 1);
			g_string_append(out, i + 1 < a->len ? "},\n" : "}\n");
		}
		cfg_indent(out, depth);
		g_string_append_c(out, ')');
		break;
	}
}

static void cfg_print_group(GString *out, const struct cfg_table *t, const void *obj, int depth,
			    bool help)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct cfg_setting *d = &t->settings[i];

		if (cfg_unset(d, obj))
			continue;
		if (depth == 0 && i > 0)
			g_string_append_c(out, '\n');
		if (help && d->help) {
			cfg_indent(out, depth);
			g_string_append_printf(out, "# %s\n", d->help);
		}
		cfg_indent(out, depth);
		g_string_append_printf(out, "%s = ", d->name);
		cfg_print_value(out, d, obj, depth);
		g_string_append(out, ";\n");
	}
}

void rfm_config_print(const struct rfm_config *cfg, GString *out)
{
	cfg_print_group(out, &root_table, cfg, 0, true);
}

void rfm_config_interface(const struct rfm_config *cfg, const char *ifname, guint32 *sampling,
			  int *sampling_mode, int *directions)
{
	const struct rfm_config_datapath *dp = &cfg->datapath;
	guint32 rate = dp->sampling;
	int mode = dp->sampling_mode, dirs = dp->directions;

	for (guint i = 0; i < dp->overrides->len; i++) {
		const struct rfm_config_override *o =
			&g_array_index(dp->overrides, struct rfm_config_override, i);
		const char *pattern[] = {o->match, NULL};

		if (!o->match || !rfm_ifmatch(pattern, NULL, ifname))
			continue;
		if (o->sampling != CFG_INHERIT_UINT)
			rate = o->sampling;
		if (o->sampling_mode != CFG_INHERIT_ENUM)
			mode = o->sampling_mode;
		if (o->directions != CFG_INHERIT_ENUM)
			dirs = o->directions;
		break;
	}
	if (sampling)
		*sampling = rate;
	if (sampling_mode)
		*sampling_mode = mode;
	if (directions)
		*directions = dirs;
}
