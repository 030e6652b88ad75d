/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_http.c - the HTTP endpoint (http.c) over real TCP on 127.0.0.1: a
 * client thread writes raw HTTP/1.1 requests while the main context runs
 * the server; status lines, headers and bodies are compared with what the
 * render callback produced. Basic authentication with a password file;
 * the constant-time comparison on its own. HTTPS is covered by
 * tests/live/metrics.sh (curl --cacert).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "http.h"

#define WAIT_MS 10000

static void render(GString *out, void *ud)
{
	guint *calls = ud;

	(*calls)++;
	g_string_append_printf(out, "# HELP t_total t\n# TYPE t_total counter\nt_total %u\n",
			       *calls);
}

struct req {
	guint16 port;
	char *request; /* owned */
	GString *reply;
	gint done;
};

static gpointer client(gpointer data)
{
	struct req *r = data;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[4096];
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(write(fd, r->request, strlen(r->request)), ==, (ssize_t)strlen(r->request));
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		g_string_append_len(r->reply, buf, n);
	close(fd);
	g_atomic_int_set(&r->done, 1);
	return NULL;
}

/* One request (Connection: close) while the default main context runs; the whole reply. */
static char *request(guint16 port, const char *method, const char *path, const char *extra)
{
	struct req r = {.port = port, .reply = g_string_new(NULL)};
	gint64 deadline = g_get_monotonic_time() + WAIT_MS * 1000;
	GThread *t;

	r.request =
		g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n",
				method, path, extra ? extra : "");
	t = g_thread_new("client", client, &r);
	while (!g_atomic_int_get(&r.done)) {
		g_assert_cmpint(g_get_monotonic_time(), <, deadline);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	g_thread_join(t);
	g_free(r.request);
	return g_string_free(r.reply, FALSE);
}

static struct rfm_config *config(const char *extra)
{
	g_autofree char *text = g_strdup_printf("datapath = { interfaces = [ \"x\" ]; };\n"
						"prometheus = { port = 0; %s };\n",
						extra ? extra : "");
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg = rfm_config_from_string(text, "test.conf", &error);

	g_assert_no_error(error);
	return cfg;
}

static void test_serve(void)
{
	struct rfm_config *cfg = config(NULL);
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	struct rfm_http *h = rfm_http_new(&cfg->prometheus, render, &calls, &error);
	g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL, *r6 = NULL;
	double dur;
	guint64 bytes;

	g_assert_no_error(error);
	g_assert_cmpuint(rfm_http_port(h), >, 0);
	rfm_http_last_scrape(h, &dur, &bytes);
	g_assert_cmpuint(bytes, ==, 0);

	r1 = request(rfm_http_port(h), "GET", "/metrics", NULL);
	g_assert_true(g_str_has_prefix(r1, "HTTP/1.1 200 OK\r\n"));
	g_assert_nonnull(
		strstr(r1, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	g_assert_true(g_str_has_suffix(r1, "\r\n\r\n# HELP t_total t\n# TYPE t_total counter\n"
					   "t_total 1\n"));
	rfm_http_last_scrape(h, &dur, &bytes);
	g_assert_cmpuint(bytes, ==,
			 strlen("# HELP t_total t\n# TYPE t_total counter\nt_total 1\n"));
	g_assert_cmpfloat(dur, >=, 0);

	r2 = request(rfm_http_port(h), "GET", "/healthz", NULL);
	g_assert_true(g_str_has_prefix(r2, "HTTP/1.1 200 OK\r\n"));
	g_assert_true(g_str_has_suffix(r2, "\r\n\r\nok\n"));
	r3 = request(rfm_http_port(h), "GET", "/", NULL);
	g_assert_true(g_str_has_prefix(r3, "HTTP/1.1 404 "));
	r4 = request(rfm_http_port(h), "GET", "/metricsx", NULL);
	g_assert_true(g_str_has_prefix(r4, "HTTP/1.1 404 "));
	r5 = request(rfm_http_port(h), "POST", "/metrics", "Content-Length: 0\r\n");
	g_assert_true(g_str_has_prefix(r5, "HTTP/1.1 405 "));
	g_assert_nonnull(strstr(r5, "\r\nAllow: GET, HEAD\r\n"));
	r6 = request(rfm_http_port(h), "HEAD", "/metrics", NULL);
	g_assert_true(g_str_has_prefix(r6, "HTTP/1.1 200 OK\r\n"));
	g_assert_true(g_str_has_suffix(r6, "\r\n\r\n")); /* no body */
	g_assert_cmpuint(calls, ==, 2);			 /* GET and HEAD rendered; POST not */
	rfm_http_free(h);
	rfm_config_free(cfg);
}

static void test_auth(void)
{
	g_autofree char *dir = g_dir_make_tmp("test_http-XXXXXX", NULL);
	g_autofree char *pw = g_build_filename(dir, "password", NULL);
	g_autofree char *extra = NULL;
	g_autofree char *good = NULL, *bad = NULL, *hdr_good = NULL, *hdr_bad = NULL;
	g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg;
	struct rfm_http *h;
	guint calls = 0;

	g_assert_true(g_file_set_contents(pw, "pa:ss word\nignored\n", -1, NULL));
	extra = g_strdup_printf("basic_auth = { username = \"prom\"; password_file = \"%s\"; };",
				pw);
	cfg = config(extra);
	h = rfm_http_new(&cfg->prometheus, render, &calls, &error);
	g_assert_no_error(error);
	good = g_base64_encode((const guchar *)"prom:pa:ss word", 15);
	bad = g_base64_encode((const guchar *)"prom:pa:ss wor", 14);
	hdr_good = g_strdup_printf("Authorization: Basic %s\r\n", good);
	hdr_bad = g_strdup_printf("Authorization: Basic %s\r\n", bad);

	r1 = request(rfm_http_port(h), "GET", "/metrics", NULL);
	g_assert_true(g_str_has_prefix(r1, "HTTP/1.1 401 "));
	/* libsoup writes the realm as a token (RFC 7235 allows either form). */
	g_assert_nonnull(strstr(r1, "\r\nWWW-Authenticate: Basic realm=rfm\r\n"));
	r2 = request(rfm_http_port(h), "GET", "/metrics", hdr_bad);
	g_assert_true(g_str_has_prefix(r2, "HTTP/1.1 401 "));
	r3 = request(rfm_http_port(h), "GET", "/metrics", hdr_good);
	g_assert_true(g_str_has_prefix(r3, "HTTP/1.1 200 "));
	r4 = request(rfm_http_port(h), "GET", "/healthz", NULL);
	g_assert_true(g_str_has_prefix(r4, "HTTP/1.1 200 "));
	g_assert_cmpuint(calls, ==, 1);

	/* A new password file content, read at reload. */
	g_assert_true(g_file_set_contents(pw, "pa:ss wor\r\n", -1, NULL));
	g_assert_true(rfm_http_reload_password(h, &cfg->prometheus, &error));
	g_assert_no_error(error);
	r5 = request(rfm_http_port(h), "GET", "/metrics", hdr_bad);
	g_assert_true(g_str_has_prefix(r5, "HTTP/1.1 200 "));
	/* An empty one is refused; the password stays. */
	g_assert_true(g_file_set_contents(pw, "\n", -1, NULL));
	g_assert_false(rfm_http_reload_password(h, &cfg->prometheus, &error));
	g_assert_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_PASSWORD);
	rfm_http_free(h);
	rfm_config_free(cfg);
	unlink(pw);
	rmdir(dir);
}

static void test_errors(void)
{
	struct rfm_config *cfg = config("basic_auth = { username = \"u\"; "
					"password_file = \"/nonexistent/pw\"; };");
	struct rfm_config *tls = config("tls = { certificate = \"/nonexistent/c\"; "
					"key = \"/nonexistent/k\"; };");
	g_autoptr(GError) error = NULL;
	guint calls = 0;
	struct rfm_http *h;

	g_assert_null(rfm_http_new(&cfg->prometheus, render, &calls, &error));
	g_assert_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_PASSWORD);
	g_clear_error(&error);
	g_assert_null(rfm_http_new(&tls->prometheus, render, &calls, &error));
	g_assert_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_TLS);
	g_clear_error(&error);
	/* A port in use. */
	rfm_config_free(cfg);
	cfg = config(NULL);
	h = rfm_http_new(&cfg->prometheus, render, &calls, &error);
	g_assert_no_error(error);
	{
		g_autofree char *t = g_strdup_printf(
			"datapath = { interfaces = [ \"x\" ]; };\nprometheus = { port = %u; };\n",
			rfm_http_port(h));
		struct rfm_config *c2 = rfm_config_from_string(t, "t.conf", &error);

		g_assert_no_error(error);
		g_assert_null(rfm_http_new(&c2->prometheus, render, &calls, &error));
		g_assert_error(error, RFM_HTTP_ERROR, RFM_HTTP_ERROR_LISTEN);
		g_assert_true(rfm_http_config_changed(&c2->prometheus, &cfg->prometheus));
		g_assert_false(rfm_http_config_changed(&cfg->prometheus, &cfg->prometheus));
		g_assert_true(rfm_http_config_changed(&tls->prometheus, &cfg->prometheus));
		rfm_config_free(c2);
	}
	rfm_http_free(h);
	rfm_config_free(cfg);
	rfm_config_free(tls);
}

static void test_secret_equal(void)
{
	g_assert_true(rfm_http_secret_equal("", ""));
	g_assert_true(rfm_http_secret_equal("abc", "abc"));
	g_assert_false(rfm_http_secret_equal("abc", "abd"));
	g_assert_false(rfm_http_secret_equal("abc", "ab"));
	g_assert_false(rfm_http_secret_equal("ab", "abc"));
	g_assert_false(rfm_http_secret_equal("", "a"));
	g_assert_false(rfm_http_secret_equal("\x80", "\x81"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/http/serve", test_serve);
	g_test_add_func("/http/auth", test_auth);
	g_test_add_func("/http/errors", test_errors);
	g_test_add_func("/http/secret-equal", test_secret_equal);
	return g_test_run();
}
