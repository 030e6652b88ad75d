/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * http.h - the HTTP endpoint for Prometheus: GET /metrics and /healthz on
 * the GLib default main context, with optional TLS and basic
 * authentication (section prometheus of the configuration).
 *
 * The only module that includes libsoup. The body of /metrics comes from a
 * render callback (the agent's: metrics.h plus the rollup); this module
 * times it and keeps the figures of the previous scrape for
 * rfm_scrape_duration_seconds and rfm_scrape_bytes.
 */
#ifndef RFM_HTTP_H
#define RFM_HTTP_H

#include <stdbool.h>
#include <glib.h>

#define RFM_HTTP_ERROR (rfm_http_error_quark())
GQuark rfm_http_error_quark(void);

enum rfm_http_error_code {
	RFM_HTTP_ERROR_LISTEN,	 /* the address cannot be bound */
	RFM_HTTP_ERROR_TLS,	 /* certificate or key unreadable or invalid */
	RFM_HTTP_ERROR_PASSWORD, /* password_file unreadable or empty */
};

struct rfm_config_prometheus;

/* Append the /metrics body to out. */
typedef void (*rfm_http_render_fn)(GString *out, void *user_data);

struct rfm_http;

/*
 * Listen on cfg->listen, cfg->port and serve (port 0: a free port, see
 * rfm_http_port(); the agent starts no server for 0). cfg is read now and
 * not kept: the certificate, key and password are loaded here.
 */
struct rfm_http *rfm_http_new(const struct rfm_config_prometheus *cfg, rfm_http_render_fn render,
			      void *user_data, GError **error);
/* Stop listening, close connections. Accepts NULL. */
void rfm_http_free(struct rfm_http *h);

/* Whether a server built from a would differ from one built from b (listen, port, tls, auth). */
bool rfm_http_config_changed(const struct rfm_config_prometheus *a,
			     const struct rfm_config_prometheus *b);
/* Read password_file again (reload without restart). On failure the old password stays. */
bool rfm_http_reload_password(struct rfm_http *h, const struct rfm_config_prometheus *cfg,
			      GError **error);

/* The port bound (useful with a test's port). */
guint16 rfm_http_port(const struct rfm_http *h);

/* Render time (seconds) and body size of the previous /metrics; 0, 0 before the first. */
void rfm_http_last_scrape(const struct rfm_http *h, double *duration_s, guint64 *bytes);

/* Constant-time comparison of two NUL-terminated secrets (time depends on lengths only). */
bool rfm_http_secret_equal(const char *a, const char *b);

#endif /* RFM_HTTP_H */
