/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * config.h - the configuration file: a libconfig file (default
 * /etc/rfm/rfm.conf) read into a validated, immutable struct rfm_config.
 *
 * The only module that includes libconfig. Every setting of every section is
 * described once, in a table in config.c; loading, defaults, validation,
 * freeing and printing are driven by those tables. Loading is strict: an
 * unknown or duplicate setting, a wrong type, an out-of-range value or two
 * settings that contradict each other make the whole file invalid, and every
 * such error is reported, one per line, as "FILE:LINE: section.setting: message".
 */
#ifndef RFM_CONFIG_H
#define RFM_CONFIG_H

#include <stdbool.h>
#include <glib.h>

#define RFM_CONFIG_ERROR (rfm_config_error_quark())
GQuark rfm_config_error_quark(void);

enum rfm_config_error_code {
	RFM_CONFIG_ERROR_IO,	  /* the file cannot be read */
	RFM_CONFIG_ERROR_SYNTAX,  /* libconfig rejected the text (also duplicate names) */
	RFM_CONFIG_ERROR_INVALID, /* parsed, but settings are unknown, mistyped or inconsistent */
};

#define RFM_CONFIG_DEFAULT_PATH "/etc/rfm/rfm.conf"

/*
 * DOC: one element of datapath.overrides: settings of the interfaces whose
 * name matches the glob `match`. Fields left out in the file inherit the
 * datapath value: sampling is then G_MAXUINT32, sampling_mode and directions -1.
 */
struct rfm_config_override {
	char *match;	   /* owned, fnmatch(3) pattern, never NULL */
	guint32 sampling;  /* 1-in-N, 0 = counters only, G_MAXUINT32 = inherit */
	int sampling_mode; /* enum rfm_sample_mode, -1 = inherit */
	int directions;	   /* RFM_DIRS_* mask, -1 = inherit */
};

/* DOC: section datapath: what the BPF classifier is attached to and how it samples. */
struct rfm_config_datapath {
	char **interfaces; /* owned, include patterns (fnmatch globs), non-empty */
	char **exclude;	   /* owned, exclude patterns, default { "lo" } */
	int directions;	   /* RFM_DIRS_* mask of datapath.h, default RFM_DIRS_BOTH */
	int attach;	   /* enum rfm_attach_mode, default RFM_ATTACH_AUTO */
	guint32 sampling;  /* 1-in-N, 0 = counters only; default 100, max 1 << 24 */
	int sampling_mode; /* enum rfm_sample_mode, default RFM_SAMPLE_RANDOM */
	GArray *overrides; /* owned, of struct rfm_config_override, file order, never NULL */
	guint32 ring_size; /* bytes, power of two, 64 KiB .. 1 GiB, default 1 MiB */
	guint32 drain_interval_ms; /* 1 .. 1000, default 10 */
	guint32 wakeup_fill;	   /* percent of the ring, 0 = timer only, default 50 */
	bool fib_lookup;	   /* default true */
	guint32 max_interfaces;	   /* 1 .. 65536, default 512 */
};

/* DOC: section flows: the flow table. Invariant: idle_timeout_ms <= active_timeout_ms. */
struct rfm_config_flows {
	guint32 idle_timeout_ms;   /* 1 s .. 1 day, default 15 s */
	guint32 active_timeout_ms; /* 1 s .. 1 day, default 60 s */
	guint32 max_flows;	   /* 1 .. 100000000, default 1000000 */
	bool tcp_end;		   /* FIN/RST ends a flow (flowEndReason 3), default true */
	guint32 tcp_end_grace_ms;  /* 0 .. 60 s, default 2 s */
};

/* DOC: section log. */
struct rfm_config_log {
	int level;  /* enum rfm_log_level of log.h, default RFM_LOG_INFO */
	int target; /* enum rfm_log_target of log.h, default RFM_LOG_STDERR */
};

/* DOC: one element of enrich.bmp.connect: a router's BMP listener rfm connects to. */
struct rfm_config_bmp_connect {
	char *address; /* owned, IPv4 or IPv6 literal */
	guint32 port;  /* 1 .. 65535 */
};

/* DOC: section enrich.bmp: BMP sessions (RFC 7854) feeding the RIB. */
struct rfm_config_bmp {
	char *listen;		      /* owned, address to listen on, default "127.0.0.1" */
	guint32 port;		      /* 0 = no listener (default), else 1 .. 65535 */
	char **allow;		      /* owned, router addresses allowed in; empty = any */
	GArray *connect;	      /* owned, of struct rfm_config_bmp_connect, never NULL */
	guint32 max_sessions;	      /* default 16 */
	guint32 max_peers;	      /* peers x views held in the RIB, default 1024 */
	guint32 max_routes_per_peer;  /* default 4000000 */
	guint32 max_message_size;     /* bytes, default 1 MiB */
	guint32 connect_retry_max_ms; /* backoff ceiling of active sessions, default 60 s */
};

/* DOC: section enrich.mmdb: MaxMind DB files; NULL = not used. */
struct rfm_config_mmdb {
	char *asn;  /* owned */
	char *city; /* owned */
};

/* DOC: section enrich: AS numbers and geography added to flow records. */
struct rfm_config_enrich {
	struct rfm_config_mmdb mmdb;
	struct rfm_config_bmp bmp;
	bool use_default_route; /* attribute flows to a 0/0 route, default false */
};

/*
 * DOC: one element of ipfix.collectors: a collector and the exporting
 * process that feeds it. Invariants after loading: address and
 * source_address are IP literals of the same family; NetFlow goes over UDP
 * only; mtu <= RFM_CONFIG_UDP_MTU_MAX over UDP; observation_domain <= 255
 * for NetFlow v5 (its 8-bit engine id); no two collectors share address,
 * port and transport.
 */
struct rfm_config_collector {
	char *address;		    /* owned, IPv4 or IPv6 literal */
	guint32 port;		    /* 1 .. 65535, required */
	int transport;		    /* enum rfm_transport_kind of transport.h, default UDP */
	int protocol;		    /* enum rfm_export_protocol of encoder.h, default IPFIX */
	char *source_address;	    /* owned, IP literal; NULL = chosen by the kernel */
	guint32 source_port;	    /* 0 = chosen by the kernel (default) */
	guint32 observation_domain; /* default 1 */
	guint32 mtu;		    /* largest message, bytes, 512 .. 65535, default 1400 */
	guint32 queue; /* bytes held while the collector is slow or down, default 1 MiB */
};

#define RFM_CONFIG_UDP_MTU_MAX 65507 /* largest UDP payload over IPv4 */

/* DOC: section ipfix: the exporting processes (IPFIX, NetFlow v9 and v5 collectors). */
struct rfm_config_ipfix {
	GArray *collectors;	     /* owned, of struct rfm_config_collector, never NULL */
	guint32 template_refresh_ms; /* UDP template and options resend, 1 s .. 1 day, default 60 s
				      */
	guint32 enterprise_number;   /* IPFIX PEN of rfm's own elements, default 32473 */
};

/* DOC: section prometheus.tls: HTTPS for /metrics. Both set or neither (NULL). */
struct rfm_config_prom_tls {
	char *certificate; /* owned, PEM file (chain allowed), or NULL */
	char *key;	   /* owned, PEM private key file, or NULL */
};

/* DOC: section prometheus.basic_auth: HTTP basic authentication. Both set or neither (NULL). */
struct rfm_config_prom_auth {
	char *username;	     /* owned, or NULL */
	char *password_file; /* owned, file holding the password (one line), or NULL */
};

#define RFM_CONFIG_PROM_LABELS_MAX 6

/*
 * DOC: section prometheus: the HTTP endpoint /metrics and the flow rollup's
 * limits. Invariants after loading: listen is an IP literal; labels are
 * distinct names among src_asn, dst_asn, src_country, dst_country,
 * src_city, dst_city.
 */
struct rfm_config_prometheus {
	char *listen;	       /* owned, address to listen on, default "127.0.0.1" */
	guint32 port;	       /* 0 = no HTTP server, default 9669 */
	char **labels;	       /* owned, rollup labels, default { "src_asn", "dst_asn" } */
	guint32 max_series;    /* rollup series, 1 .. 10000000, default 10000 */
	guint32 series_ttl_ms; /* a series not updated for this long is dropped, default 1 h */
	struct rfm_config_prom_tls tls;
	struct rfm_config_prom_auth basic_auth;
};

/* DOC: a whole configuration. Owned by whoever loaded it; never changed after loading. */
struct rfm_config {
	char *path; /* owned, file (or name) it was read from; NULL from rfm_config_new_default() */
	struct rfm_config_datapath datapath;
	struct rfm_config_flows flows;
	struct rfm_config_log log;
	struct rfm_config_enrich enrich;
	struct rfm_config_ipfix ipfix;
	struct rfm_config_prometheus prometheus;
};

/*
 * Read and validate a file. On failure error->code is an
 * RFM_CONFIG_ERROR_* and error->message holds every error found, one per
 * line ("FILE:LINE: path: message"); the number of lines is the number of
 * errors. @include paths are relative to the directory of path.
 */
struct rfm_config *rfm_config_load(const char *path, GError **error);
/* The same for text in memory; name stands for the file in messages and for @include. */
struct rfm_config *rfm_config_from_string(const char *text, const char *name, GError **error);
/* Every setting at its default; datapath.interfaces is empty (so not a loadable config). */
struct rfm_config *rfm_config_new_default(void);
/* Accepts NULL. */
void rfm_config_free(struct rfm_config *cfg);

/*
 * Append the effective configuration, defaults filled in, to out as libconfig
 * text that rfm_config_from_string() accepts and that prints the same again.
 */
void rfm_config_print(const struct rfm_config *cfg, GString *out);

/*
 * Effective settings of interface ifname: the datapath values, replaced by
 * the set fields of the first override (in file order) whose match matches.
 * Any out pointer may be NULL.
 */
void rfm_config_interface(const struct rfm_config *cfg, const char *ifname, guint32 *sampling,
			  int *sampling_mode, int *directions);

#endif /* RFM_CONFIG_H */
