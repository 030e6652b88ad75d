/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * http.c - the HTTP endpoint (http.h) on libsoup 3: one SoupServer on the
 * default main context, handlers for /metrics and /healthz, 404 for other
 * paths, 405 for methods other than GET and HEAD (libsoup sends no body for
 * HEAD). TLS through GTlsCertificate (glib-networking), basic
 * authentication through SoupAuthDomainBasic on every path but /healthz.
 */
#include "http.h"

#include <string.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "config.h"
#include "metrics.h"

G_DEFINE_QUARK(rfm - http - error - quark, rfm_http_error)

/* DOC: the HTTP server. Owned by the agent; everything below is owned by it. */
struct rfm_http {
	SoupServer *server;   /* owned */
	SoupAuthDomain *auth; /* owned, NULL without basic_auth */
	char *username;	      /* owned, NULL without basic_auth */
	char *password;	      /* owned, NULL without basic_auth */
	rfm_http_render_fn render;
	void *user_data; /* borrowed, given to render */
	GString *body;	 /* owned, reused between scrapes */
	guint16 port;
	double last_duration_s; /* of the previous /metrics render */
	guint64 last_bytes;
};

bool rfm_http_secret_equal(const char *a, const char *b)
{
	gsize la = strlen(a), lb = strlen(b), n = MAX(la, lb);
	guint8 diff = la != lb;

	/* Every byte of the longer one is read; no early exit on a mismatch. */
	for (gsize i = 0; i < n; i++)
		diff |= (guint8)(i < la ? a[i] : 0) ^ (guint8)(i < lb ? b[i] : 0);
	return diff == 0;
}

static char *read_password(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	g_autoptr(GError) err = NULL;

	if (!g_file_get_contents(path, &text, NULL, &err)) {
		g_set_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_PASSWORD, "password_file: %s",
			    err->message);
		return NULL;
	}
	text[strcspn(text, "\r\n")] = '\0';
	if (!text[0]) {
		g_set_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_PASSWORD,
			    "password_file %s: the first line is empty", path);
		return NULL;
	}
	return g_steal_pointer(&text);
}

static gboolean auth_check(SoupAuthDomain *domain, SoupServerMessage *msg, const char *username,
			   const char *password, gpointer user_data)
{
	struct rfm_http *h = user_data;
	bool user_ok = rfm_http_secret_equal(username, h->username);
	bool pass_ok = rfm_http_secret_equal(password, h->password);

	(void)domain;
	(void)msg;
	return user_ok && pass_ok;
}

/* GET and HEAD only; anything else gets 405 with Allow. */
static bool method_ok(SoupServerMessage *msg)
{
	const char *m = soup_server_message_get_method(msg);

	if (g_strcmp0(m, SOUP_METHOD_GET) == 0 || g_strcmp0(m, SOUP_METHOD_HEAD) == 0)
		return true;
	soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow",
				     "GET, HEAD");
	soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
	return false;
}

static void on_metrics(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer user_data)
{
	struct rfm_http *h = user_data;
	gint64 t0;

	(void)server;
	(void)query;
	if (strcmp(path, "/metrics") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (!method_ok(msg))
		return;
	g_string_truncate(h->body, 0);
	t0 = g_get_monotonic_time();
	h->render(h->body, h->user_data);
	h->last_duration_s = (double)(g_get_monotonic_time() - t0) / 1e6;
	h->last_bytes = h->body->len;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, RFM_METRICS_CONTENT_TYPE, SOUP_MEMORY_COPY,
					 h->body->str, h->body->len);
}

static void on_healthz(SoupServer *server, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer user_data)
{
	(void)server;
	(void)query;
	(void)user_data;
	if (strcmp(path, "/healthz") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (!method_ok(msg))
		return;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC,
					 "ok\n", 3);
}

/* Every other path. */
static void on_other(SoupServer *server, SoupServerMessage *msg, const char *path,
		     GHashTable *query, gpointer user_data)
{
	(void)server;
	(void)path;
	(void)query;
	(void)user_data;
	soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
}

struct rfm_http *rfm_http_new(const struct rfm_config_prometheus *cfg, rfm_http_render_fn render,
			      void *user_data, GError **error)
{
	struct rfm_http *h = g_new0(struct rfm_http, 1);
	g_autoptr(GTlsCertificate) cert = NULL;
	g_autoptr(GSocketAddress) addr = NULL;
	g_autoptr(GError) err = NULL;
	GSList *uris;

	h->render = render;
	h->user_data = user_data;
	h->body = g_string_sized_new(16384);
	if (cfg->tls.certificate) {
		cert = g_tls_certificate_new_from_files(cfg->tls.certificate, cfg->tls.key, &err);
		if (!cert) {
			g_set_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_TLS, "tls: %s",
				    err->message);
			goto fail;
		}
	}
	if (cfg->basic_auth.username) {
		h->password = read_password(cfg->basic_auth.password_file, error);
		if (!h->password)
			goto fail;
		h->username = g_strdup(cfg->basic_auth.username);
	}
	h->server = soup_server_new("server-header", "rfm/" RFM_VERSION, NULL);
	if (cert)
		soup_server_set_tls_certificate(h->server, cert);
	soup_server_add_handler(h->server, "/metrics", on_metrics, h, NULL);
	soup_server_add_handler(h->server, "/healthz", on_healthz, h, NULL);
	soup_server_add_handler(h->server, NULL, on_other, h, NULL);
	if (h->username) {
		h->auth = soup_auth_domain_basic_new("realm", "rfm", NULL);
		soup_auth_domain_basic_set_auth_callback(h->auth, auth_check, h, NULL);
		soup_auth_domain_add_path(h->auth, "/");
		soup_auth_domain_remove_path(h->auth, "/healthz");
		soup_server_add_auth_domain(h->server, h->auth);
	}
	addr = g_inet_socket_address_new_from_string(cfg->listen, cfg->port);
	if (!addr ||
	    !soup_server_listen(h->server, addr, cert ? SOUP_SERVER_LISTEN_HTTPS : 0, &err)) {
		g_set_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_LISTEN,
			    "prometheus: cannot listen on %s port %u: %s", cfg->listen, cfg->port,
			    err ? err->message : "not an IP address");
		goto fail;
	}
	uris = soup_server_get_uris(h->server);
	if (uris)
		h->port = (guint16)g_uri_get_port(uris->data);
	g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
	return h;
fail:
	rfm_http_free(h);
	return NULL;
}

void rfm_http_free(struct rfm_http *h)
{
	if (!h)
		return;
	if (h->server) {
		soup_server_disconnect(h->server);
		g_object_unref(h->server);
	}
	g_clear_object(&h->auth);
	g_free(h->username);
	if (h->password)
		memset(h->password, 0, strlen(h->password));
	g_free(h->password);
	g_string_free(h->body, TRUE);
	g_free(h);
}

bool rfm_http_config_changed(const struct rfm_config_prometheus *a,
			     const struct rfm_config_prometheus *b)
{
	return g_strcmp0(a->listen, b->listen) || a->port != b->port ||
	       g_strcmp0(a->tls.certificate, b->tls.certificate) ||
	       g_strcmp0(a->tls.key, b->tls.key) ||
	       g_strcmp0(a->basic_auth.username, b->basic_auth.username) ||
	       g_strcmp0(a->basic_auth.password_file, b->basic_auth.password_file);
}

bool rfm_http_reload_password(struct rfm_http *h, const struct rfm_config_prometheus *cfg,
			      GError **error)
{
	char *p;

	if (!h->username || !cfg->basic_auth.password_file)
		return true;
	p = read_password(cfg->basic_auth.password_file, error);
	if (!p)
		return false;
	memset(h->password, 0, strlen(h->password));
	g_free(h->password);
	h->password = p;
	return true;
}

guint16 rfm_http_port(const struct rfm_http *h)
{
	return h->port;
}

void rfm_http_last_scrape(const struct rfm_http *h, double *duration_s, guint64 *bytes)
{
	*duration_s = h->last_duration_s;
	*bytes = h->last_bytes;
}
