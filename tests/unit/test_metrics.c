/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_metrics.c - the Prometheus exposition writer and the health
 * renderers of metrics.c: escaping and number formats against hand-written
 * text, every renderer on known statistics compared line by line, and the
 * whole exposition through `promtool check metrics` when promtool is
 * installed (that part is skipped with a message otherwise).
 */
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

#include "datapath.h"
#include "metrics.h"

static void test_escape(void)
{
	g_autoptr(GString) s = g_string_new(NULL);

	rfm_metrics_family(s, "x_total", "counter", "a \\ b\nc \"q\"");
	rfm_metrics_sample_u64(s, "x_total", 18446744073709551615ULL, "a", "back\\slash", "b",
			       "quo\"te", "c", "line\nfeed", NULL);
	rfm_metrics_sample_u64(s, "x_total", 0, NULL);
	rfm_metrics_sample_u64(s, "x_total", 7, "empty", "", NULL);
	g_assert_cmpstr(s->str, ==,
			"# HELP x_total a \\\\ b\\nc \"q\"\n"
			"# TYPE x_total counter\n"
			"x_total{a=\"back\\\\slash\",b=\"quo\\\"te\",c=\"line\\nfeed\"} "
			"18446744073709551615\n"
			"x_total 0\n"
			"x_total{empty=\"\"} 7\n");
}

static void test_double(void)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{0.1, "0.1"},
		{1.5, "1.5"},
		{0, "0"},
		{-2.25, "-2.25"},
		{1e21, "1e+21"},
		{1764280000.123, "1764280000.123"},
		{0.30000000000000004, "0.30000000000000004"},
		{9007199254740993.0, "9007199254740992"},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GString) s = g_string_new(NULL);

		rfm_metrics_append_double(s, cases[i].v);
		g_assert_cmpstr(s->str, ==, cases[i].text);
		g_assert_true(g_ascii_strtod(s->str, NULL) == cases[i].v);
	}
	{
		g_autoptr(GString) s = g_string_new(NULL);

		rfm_metrics_append_double(s, NAN);
		g_string_append_c(s, ' ');
		rfm_metrics_append_double(s, INFINITY);
		g_string_append_c(s, ' ');
		rfm_metrics_append_double(s, -INFINITY);
		g_assert_cmpstr(s->str, ==, "NaN +Inf -Inf");
	}
}

/* Lines of text that are samples (not comments). */
static gchar **samples(const char *text)
{
	gchar **lines = g_strsplit(text, "\n", -1);
	GPtrArray *out = g_ptr_array_new();

	for (gchar **l = lines; *l; l++)
		if (**l && **l != '#')
			g_ptr_array_add(out, g_strdup(*l));
	g_ptr_array_add(out, NULL);
	g_strfreev(lines);
	return (gchar **)g_ptr_array_free(out, FALSE);
}

static void assert_samples(const char *text, const char *const *expect)
{
	g_auto(GStrv) got = samples(text);
	guint i;

	for (i = 0; expect[i]; i++) {
		g_assert_nonnull(got[i]);
		g_assert_cmpstr(got[i], ==, expect[i]);
	}
	g_assert_null(got[i]);
}

/* Every family has exactly one HELP and one TYPE line, before its samples. */
static void assert_headers(const char *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GHashTable) help = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) type = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (gchar **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "# HELP ") || g_str_has_prefix(*l, "# TYPE ")) {
			const char *n = *l + 7;
			GHashTable *h = (*l)[2] == 'H' ? help : type;
			char *name = g_strndup(n, strcspn(n, " "));

			g_assert_false(g_hash_table_contains(h, name));
			g_hash_table_add(h, name);
		} else if (**l) {
			char *name = g_strndup(*l, strcspn(*l, "{ "));
			const char *base = name;

			g_assert_true(g_hash_table_contains(help, base));
			g_assert_true(g_hash_table_contains(type, base));
			g_free(name);
		}
	}
	g_assert_cmpuint(g_hash_table_size(help), ==, g_hash_table_size(type));
}

static void test_interfaces(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct rfm_metrics_iface ifs[2] = {
		{.name = "eth0", .mode = {RFM_ATTACH_TCX, RFM_ATTACH_TCX}, .have = {true, true}},
		{.name = "wg\"0", .mode = {RFM_ATTACH_TC, -1}, .have = {true, false}},
	};
	static const char *const expect[] = {
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"ipv4\"} 10",
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"ipv6\"} 11",
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"other\"} 12",
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"egress\",family="
		"\"ipv4\"} 20",
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"egress\",family="
		"\"ipv6\"} 21",
		"rfm_interface_packets_total{interface=\"eth0\",direction=\"egress\",family="
		"\"other\"} 22",
		"rfm_interface_packets_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"ipv4\"} 30",
		"rfm_interface_packets_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"ipv6\"} 31",
		"rfm_interface_packets_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"other\"} 32",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"ipv4\"} 1000",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"ipv6\"} 1100",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"ingress\",family="
		"\"other\"} 1200",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"egress\",family=\"ipv4\"}"
		" 2000",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"egress\",family=\"ipv6\"}"
		" 2100",
		"rfm_interface_bytes_total{interface=\"eth0\",direction=\"egress\",family="
		"\"other\"} 2200",
		"rfm_interface_bytes_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"ipv4\"} 3000",
		"rfm_interface_bytes_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"ipv6\"} 3100",
		"rfm_interface_bytes_total{interface=\"wg\\\"0\",direction=\"ingress\",family="
		"\"other\"} 3200",
		"rfm_interface_attached{interface=\"eth0\",mode=\"tcx\"} 1",
		"rfm_interface_attached{interface=\"wg\\\"0\",mode=\"tc\"} 1",
		"rfm_interfaces_attached 2",
		NULL,
	};

	for (int i = 0; i < 2; i++)
		for (int d = 0; d < RFM_DIR_MAX; d++)
			for (int f = 0; f < RFM_FAMILY_MAX; f++) {
				ifs[i].c[d][f].packets = (guint64)(10 * (i * 2 + d + 1) + f);
				ifs[i].c[d][f].bytes = ifs[i].c[d][f].packets * 100;
			}
	rfm_metrics_render_interfaces(s, ifs, 2);
	assert_samples(s->str, expect);
	assert_headers(s->str);
	g_assert_nonnull(strstr(s->str, "# TYPE rfm_interface_packets_total counter\n"));
	g_assert_nonnull(strstr(s->str, "# TYPE rfm_interfaces_attached gauge\n"));
}

static void test_datapath_flows(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	guint64 st[RFM_STAT_MAX];
	struct rfm_flow_table_stats fs = {
		.created = 500, .active = 42, .capacity = 1000000, .ended = {0, 1, 2, 3, 4, 5}};
	static const char *const expect[] = {
		"rfm_ring_events_total 101",
		"rfm_ring_drops_total 102",
		"rfm_datapath_events_total{outcome=\"sampled\"} 100",
		"rfm_datapath_events_total{outcome=\"truncated\"} 104",
		"rfm_datapath_events_total{outcome=\"not_ip\"} 103",
		"rfm_datapath_events_total{outcome=\"bad_header\"} 105",
		"rfm_datapath_events_total{outcome=\"ext_limit\"} 106",
		"rfm_datapath_events_total{outcome=\"unknown_interface\"} 107",
		"rfm_datapath_events_total{outcome=\"fib_error\"} 109",
		"rfm_flows_active 42",
		"rfm_flows_capacity 1000000",
		"rfm_flows_created_total 500",
		"rfm_flows_expired_total{reason=\"idle\"} 1",
		"rfm_flows_expired_total{reason=\"active\"} 2",
		"rfm_flows_expired_total{reason=\"end_of_flow\"} 3",
		"rfm_flows_expired_total{reason=\"forced\"} 4",
		"rfm_flows_expired_total{reason=\"resources\"} 5",
		NULL,
	};

	for (int i = 0; i < RFM_STAT_MAX; i++)
		st[i] = 100 + (guint64)i;
	rfm_metrics_render_datapath(s, st);
	rfm_metrics_render_flow_table(s, &fs);
	assert_samples(s->str, expect);
	assert_headers(s->str);
}

static void test_export(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct rfm_export_collector_stats c[2] = {
		{.address = "127.0.0.1",
		 .port = 4739,
		 .transport = RFM_TRANSPORT_UDP,
		 .protocol = RFM_EXPORT_IPFIX,
		 .transport_stats = {.messages = 10,
				     .octets = 14000,
				     .send_errors = 1,
				     .connect_failures = 2,
				     .dropped_records = 3,
				     .lost_records = 4,
				     .queued_octets = 512,
				     .reconnects = 5,
				     .state = RFM_TRANSPORT_UP},
		 .encoder_stats = {.records = 300, .announcements = 6}},
		{.address = "2001:db8::1",
		 .port = 2055,
		 .transport = RFM_TRANSPORT_TCP,
		 .protocol = RFM_EXPORT_NETFLOW9,
		 .transport_stats = {.state = RFM_TRANSPORT_WAITING}},
	};
	static const char *const expect[] = {
		"rfm_export_messages_total{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} "
		"10",
		"rfm_export_messages_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_records_total{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} "
		"300",
		"rfm_export_records_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_bytes_total{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} "
		"14000",
		"rfm_export_bytes_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_errors_total{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} 3",
		"rfm_export_errors_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_queue_drops_total{collector=\"ipfix://"
		"127.0.0.1:4739\",transport=\"udp\"} 7",
		"rfm_export_queue_drops_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_queue_bytes{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} "
		"512",
		"rfm_export_queue_bytes{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_template_refreshes_total{collector=\"ipfix://"
		"127.0.0.1:4739\",transport=\"udp\"} 6",
		"rfm_export_template_refreshes_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_collector_up{collector=\"ipfix://127.0.0.1:4739\",transport=\"udp\"} 1",
		"rfm_export_collector_up{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		"rfm_export_reconnects_total{collector=\"ipfix://"
		"127.0.0.1:4739\",transport=\"udp\"} 5",
		"rfm_export_reconnects_total{collector=\"netflow9://"
		"[2001:db8::1]:2055\",transport=\"tcp\"} 0",
		NULL,
	};

	rfm_metrics_render_export(s, c, 2);
	assert_samples(s->str, expect);
	assert_headers(s->str);
}

static void test_bmp_geoip_config(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct rfm_bmp_stats b = {
		.sessions_open = 2,
		.refused_limit = 3,
		.message_size_limit = 4,
		.closed = {[RFM_BMP_CLOSE_ERROR] = 5, [RFM_BMP_CLOSE_MALFORMED] = 6},
		.messages = {1, 2, 3, 4, 5, 6, 7, 8}};
	struct rfm_rib_stats r = {.peers = 3, .dropped_peer_limit = 9, .dropped_peers = 10};
	const char *up[] = {"192.0.2.1", "2001:db8::2"};
	struct rfm_metrics_bmp_routes rt[] = {
		{"192.0.2.1", "198.51.100.1", 900000},
		{"2001:db8::2", "2001:db8::3", 12},
	};
	struct rfm_geoip_stats g = {.db = {{.configured = true,
					    .build_epoch = 1700000000,
					    .reloads_ok = 2,
					    .reloads_failed = 1},
					   {.configured = false}}};
	struct rfm_metrics_reloads rl = {
		.ok = 3, .failed = 1, .last_success_s = 1764280000.5, .last_ok = false};
	static const char *const expect[] = {
		"rfm_bmp_sessions 2",
		"rfm_bmp_session_up{router=\"192.0.2.1\"} 1",
		"rfm_bmp_session_up{router=\"2001:db8::2\"} 1",
		"rfm_bmp_peers 3",
		"rfm_bmp_routes{router=\"192.0.2.1\",peer=\"198.51.100.1\"} 900000",
		"rfm_bmp_routes{router=\"2001:db8::2\",peer=\"2001:db8::3\"} 12",
		"rfm_bmp_messages_total{type=\"route_monitoring\"} 1",
		"rfm_bmp_messages_total{type=\"statistics_report\"} 2",
		"rfm_bmp_messages_total{type=\"peer_down\"} 3",
		"rfm_bmp_messages_total{type=\"peer_up\"} 4",
		"rfm_bmp_messages_total{type=\"initiation\"} 5",
		"rfm_bmp_messages_total{type=\"termination\"} 6",
		"rfm_bmp_messages_total{type=\"route_mirroring\"} 7",
		"rfm_bmp_messages_total{type=\"unknown\"} 8",
		"rfm_bmp_session_errors_total 11",
		"rfm_bmp_limit_hits_total{limit=\"sessions\"} 3",
		"rfm_bmp_limit_hits_total{limit=\"routes\"} 9",
		"rfm_bmp_limit_hits_total{limit=\"message_size\"} 4",
		"rfm_bmp_limit_hits_total{limit=\"peers\"} 10",
		"rfm_mmdb_build_epoch_seconds{database=\"asn\"} 1700000000",
		"rfm_mmdb_reloads_total{database=\"asn\",result=\"success\"} 2",
		"rfm_mmdb_reloads_total{database=\"asn\",result=\"failure\"} 1",
		"rfm_config_reloads_total{result=\"success\"} 3",
		"rfm_config_reloads_total{result=\"failure\"} 1",
		"rfm_config_last_reload_success_timestamp_seconds 1764280000.5",
		"rfm_config_last_reload_successful 0",
		"rfm_scrape_duration_seconds 0.000125",
		"rfm_scrape_bytes 4096",
		NULL,
	};

	rfm_metrics_render_bmp(s, &b, &r, up, 2, rt, 2);
	rfm_metrics_render_geoip(s, &g);
	rfm_metrics_render_config(s, &rl);
	rfm_metrics_render_scrape(s, 0.000125, 4096);
	assert_samples(s->str, expect);
	assert_headers(s->str);
}

static guint64 sample_value(const char *text, const char *name)
{
	g_autofree char *key = g_strdup_printf("\n%s ", name);
	const char *p = strstr(text, key);

	g_assert_nonnull(p);
	return g_ascii_strtoull(p + strlen(key), NULL, 10);
}

static void test_process(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	struct rlimit rl;
	guint64 rss;

	rfm_metrics_render_process(s);
	assert_headers(s->str);
	g_assert_nonnull(strstr(s->str, "\nrfm_build_info{version=\"" RFM_VERSION "\"} 1\n"));
	rss = sample_value(s->str, "process_resident_memory_bytes");
	g_assert_cmpuint(rss, >, 1U << 20);
	g_assert_cmpuint(sample_value(s->str, "process_virtual_memory_bytes"), >=, rss);
	g_assert_cmpuint(sample_value(s->str, "process_open_fds"), >=, 3);
	g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &rl), ==, 0);
	g_assert_cmpuint(sample_value(s->str, "process_max_fds"), ==, rl.rlim_cur);
	/* Started within the last hour: boot time + start ticks is near now. */
	{
		const char *p = strstr(s->str, "\nprocess_start_time_seconds ");
		double t, now = (double)g_get_real_time() / 1e6;

		g_assert_nonnull(p);
		t = g_ascii_strtod(p + 28, NULL);
		g_assert_cmpfloat(t, <=, now + 2);
		g_assert_cmpfloat(t, >, now - 3600);
	}
}

/*
 * Every family once, with labels, through promtool (its linter: HELP, TYPE,
 * _total on counters, units, label escaping); and rfm_metrics_render()
 * with no module behind it.
 */
static void promtool_check(const GString *s)
{
	g_autofree char *promtool = g_find_program_in_path("promtool");
	g_autofree char *path = NULL;
	g_autofree char *cmd = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	int fd, status;

	if (!promtool) {
		g_test_skip("promtool not installed");
		return;
	}
	fd = g_file_open_tmp("test_metrics-XXXXXX", &path, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
	cmd = g_strdup_printf("sh -c '%s check metrics < %s'", promtool, path);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, &error));
	g_assert_no_error(error);
	unlink(path);
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpstr(out, ==, "");
	g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static void test_promtool(void)
{
	g_autoptr(GString) s = g_string_new(NULL);
	g_autoptr(GString) all = g_string_new(NULL);
	struct rfm_metrics_sources src = {
		.reloads = {.ok = 1, .last_ok = true, .last_success_s = 1764280000.25}};
	struct rfm_metrics_iface ifs[1] = {
		{.name = "eth\\0", .mode = {RFM_ATTACH_TCX, -1}, .have = {true, false}}};
	struct rfm_export_collector_stats c = {.address = "127.0.0.1", .port = 4739};
	struct rfm_bmp_stats b = {.sessions_open = 1};
	struct rfm_rib_stats r = {.peers = 1};
	const char *up[] = {"192.0.2.1"};
	struct rfm_metrics_bmp_routes rt[] = {{"192.0.2.1", "198.51.100.1", 10}};
	struct rfm_geoip_stats g = {.db = {{.configured = true}, {.configured = true}}};
	guint64 st[RFM_STAT_MAX] = {0};
	struct rfm_flow_table_stats fs = {0};

	rfm_metrics_render(s, &src);
	assert_headers(s->str);
	g_assert_nonnull(strstr(s->str, "\nrfm_interfaces_attached 0\n"));
	g_assert_nonnull(strstr(s->str, "\nrfm_config_last_reload_successful 1\n"));
	promtool_check(s);

	rfm_metrics_render_interfaces(all, ifs, 1);
	rfm_metrics_render_datapath(all, st);
	rfm_metrics_render_flow_table(all, &fs);
	rfm_metrics_render_export(all, &c, 1);
	rfm_metrics_render_bmp(all, &b, &r, up, 1, rt, 1);
	rfm_metrics_render_geoip(all, &g);
	rfm_metrics_render_config(all, &src.reloads);
	rfm_metrics_render_scrape(all, 0.5, 100);
	rfm_metrics_render_process(all);
	assert_headers(all->str);
	promtool_check(all);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metrics/escape", test_escape);
	g_test_add_func("/metrics/double", test_double);
	g_test_add_func("/metrics/interfaces", test_interfaces);
	g_test_add_func("/metrics/datapath_flows", test_datapath_flows);
	g_test_add_func("/metrics/export", test_export);
	g_test_add_func("/metrics/bmp_geoip_config", test_bmp_geoip_config);
	g_test_add_func("/metrics/process", test_process);
	g_test_add_func("/metrics/promtool", test_promtool);
	return g_test_run();
}
