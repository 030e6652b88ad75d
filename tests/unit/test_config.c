/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_config.c - the configuration file: defaults, every kind of error with
 * its exact FILE:LINE: path: message, @include, etc/rfm.conf, printing and
 * per-interface overrides.
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "datapath.h"
#include "encoder.h"
#include "log.h"
#include "transport.h"

#define EXAMPLE_CONF RFM_SOURCE_DIR "/etc/rfm.conf"

/* Smallest valid datapath section, for tests about other sections. */
#define DP_MIN "datapath = { interfaces = [ \"eth0\" ]; };\n"

/* Load text that must fail with code; returns the message. */
static char *load_error(const char *text, int code)
{
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg = rfm_config_from_string(text, "test.conf", &error);

	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, code);
	g_test_message("%s", error->message);
	return g_strdup(error->message);
}

/* Text that must fail with exactly one error, equal to expected. */
static void assert_invalid(const char *text, const char *expected)
{
	g_autofree char *msg = load_error(text, RFM_CONFIG_ERROR_INVALID);

	g_assert_cmpstr(msg, ==, expected);
}

static struct rfm_config *load_ok(const char *text)
{
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg = rfm_config_from_string(text, "test.conf", &error);

	g_assert_no_error(error);
	g_assert_nonnull(cfg);
	return cfg;
}

static void test_unknown_setting(void)
{
	assert_invalid("datapath = {\n"
		       "  interfaces = [ \"eth0\" ];\n"
		       "  samplng = 10;\n"
		       "};\n",
		       "test.conf:3: datapath.samplng: unknown setting (did you mean sampling?)");
	assert_invalid(DP_MIN "flows = { colour = \"blue\"; };\n",
		       "test.conf:2: flows.colour: unknown setting");
	assert_invalid("datapath = {\n"
		       "  interfaces = [ \"eth0\" ];\n"
		       "  overrides = ( { match = \"wg*\"; rate = 1; } );\n"
		       "};\n",
		       "test.conf:3: datapath.overrides[0].rate: unknown setting");
}

static void test_unknown_section(void)
{
	assert_invalid(DP_MIN "\nipfix_typo = { port = 4739; };\n",
		       "test.conf:3: ipfix_typo: unknown section (sections are: datapath, flows, "
		       "log, enrich, ipfix, prometheus)");
	assert_invalid(DP_MIN "sampling = 10;\n",
		       "test.conf:2: sampling: unknown section (sections are: datapath, flows, "
		       "log, enrich, ipfix, prometheus)");
}

static void test_wrong_type(void)
{
	assert_invalid(DP_MIN "flows = {\n  max_flows = \"many\";\n};\n",
		       "test.conf:3: flows.max_flows: wrong type: expected an integer, got a "
		       "string");
	assert_invalid(DP_MIN "flows = { tcp_end = 1; };\n",
		       "test.conf:2: flows.tcp_end: wrong type: expected a boolean (true or "
		       "false), got an integer");
	assert_invalid(DP_MIN "flows = { idle_timeout = \"15s\"; };\n",
		       "test.conf:2: flows.idle_timeout: wrong type: expected a number of "
		       "seconds, got a string");
	assert_invalid(DP_MIN "flows = { max_flows = 1.5; };\n",
		       "test.conf:2: flows.max_flows: wrong type: expected an integer, got a "
		       "float");
	assert_invalid(DP_MIN "log = 3;\n",
		       "test.conf:2: log: wrong type: expected a group { ... }, got an integer");
	assert_invalid("datapath = { interfaces = \"eth0\"; };\n",
		       "test.conf:1: datapath.interfaces: wrong type: expected an array of "
		       "strings [ \"...\", ... ], got a string");
	assert_invalid("datapath = { interfaces = ( \"eth0\", 5 ); };\n",
		       "test.conf:1: datapath.interfaces[1]: wrong type: expected a string, got "
		       "an integer");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; overrides = ( 1 ); };\n",
		       "test.conf:1: datapath.overrides[0]: wrong type: expected a group { ... "
		       "}, got an integer");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; overrides = { match = \"a\"; "
		       "}; };\n",
		       "test.conf:1: datapath.overrides: wrong type: expected a list of groups "
		       "( { ... }, ... ), got a group");
}

static void test_out_of_range(void)
{
	assert_invalid(DP_MIN "flows = {\n  idle_timeout = 0;\n};\n",
		       "test.conf:3: flows.idle_timeout: 0 is out of range (1..86400 s)");
	assert_invalid(DP_MIN "flows = { active_timeout = 86400.5; };\n",
		       "test.conf:2: flows.active_timeout: 86400.5 is out of range (1..86400 s)");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; drain_interval = 2.5; };\n",
		       "test.conf:1: datapath.drain_interval: 2.5 is out of range (0.001..1 s)");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; drain_interval = 0.0015; };\n",
		       "test.conf:1: datapath.drain_interval: 0.0015 s is not a whole number of "
		       "milliseconds");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; sampling = 16777217; };\n",
		       "test.conf:1: datapath.sampling: 16777217 is out of range (0..16777216)");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; max_interfaces = -1; };\n",
		       "test.conf:1: datapath.max_interfaces: -1 is out of range (1..65536)");
	assert_invalid(DP_MIN "flows = { max_flows = 100000001L; };\n",
		       "test.conf:2: flows.max_flows: 100000001 is out of range (1..100000000)");
}

static void test_invalid_enum(void)
{
	assert_invalid(
		"datapath = {\n  interfaces = [ \"eth0\" ];\n  directions = \"sideways\";\n};\n",
		"test.conf:3: datapath.directions: \"sideways\" is not one of \"both\", "
		"\"ingress\", \"egress\"");
	assert_invalid(DP_MIN "log = { level = \"INFO\"; };\n",
		       "test.conf:2: log.level: \"INFO\" is not one of \"error\", \"warning\", "
		       "\"info\", \"debug\"");
	assert_invalid(
		"datapath = { interfaces = [ \"eth0\" ];\n"
		"  overrides = ( { match = \"wg*\"; sampling_mode = \"every\\nother\"; } );\n"
		"};\n",
		"test.conf:2: datapath.overrides[0].sampling_mode: \"every\\nother\" is not "
		"one of \"random\", \"systematic\"");
}

static void test_duplicate(void)
{
	g_autofree char *msg = load_error(DP_MIN "flows = {\n"
						 "  max_flows = 10;\n"
						 "  max_flows = 20;\n"
						 "};\n",
					  RFM_CONFIG_ERROR_SYNTAX);

	g_assert_cmpstr(msg, ==, "test.conf:4: duplicate setting name");
}

static void test_conflict_include_exclude(void)
{
	assert_invalid("datapath = {\n"
		       "  interfaces = [ \"eth*\", \"wg0\" ];\n"
		       "  exclude = [ \"lo\",\n"
		       "    \"wg0\" ];\n"
		       "};\n",
		       "test.conf:4: datapath.exclude[1]: \"wg0\" is also in datapath.interfaces");
	/* exclude is { "lo" } by default. */
	assert_invalid("datapath = {\n  interfaces = [ \"eth0\", \"lo\" ];\n};\n",
		       "test.conf:2: datapath.interfaces[1]: \"lo\" is also in datapath.exclude "
		       "(by default)");
}

static void test_conflict_timeouts(void)
{
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg;

	assert_invalid(
		DP_MIN "flows = {\n  idle_timeout = 120;\n  active_timeout = 60;\n};\n",
		"test.conf:3: flows.idle_timeout: 120 s is greater than flows.active_timeout "
		"(60 s)");
	assert_invalid(DP_MIN "flows = {\n  active_timeout = 10;\n};\n",
		       "test.conf:3: flows.active_timeout: 10 s is less than flows.idle_timeout "
		       "(15 s by default)");
	/* A timeout already in error does not add a conflict. */
	assert_invalid(DP_MIN "flows = { idle_timeout = 0; active_timeout = 10; };\n",
		       "test.conf:2: flows.idle_timeout: 0 is out of range (1..86400 s)");
	/* Equal is fine. */
	cfg = rfm_config_from_string(DP_MIN "flows = { idle_timeout = 30; active_timeout = 30; };",
				     "test.conf", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->flows.idle_timeout_ms, ==, 30000);
	rfm_config_free(cfg);
}

static void test_conflict_override_match(void)
{
	assert_invalid("datapath = {\n"
		       "  interfaces = [ \"*\" ];\n"
		       "  overrides = (\n"
		       "    { match = \"wg*\"; sampling = 10; },\n"
		       "    { match = \"ppp*\"; sampling = 1; },\n"
		       "    { sampling = 2;\n"
		       "      match = \"wg*\"; }\n"
		       "  );\n"
		       "};\n",
		       "test.conf:7: datapath.overrides[2].match: \"wg*\" is already the match of "
		       "datapath.overrides[0] (line 4), which wins");
	assert_invalid("datapath = {\n"
		       "  interfaces = [ \"*\" ];\n"
		       "  overrides = ( { sampling = 10; } );\n"
		       "};\n",
		       "test.conf:3: datapath.overrides[0].match: required setting is missing");
}

static void test_missing_interfaces(void)
{
	assert_invalid("flows = { max_flows = 10; };\n",
		       "test.conf: datapath.interfaces: required setting is missing");
	assert_invalid("\ndatapath = {\n  sampling = 10;\n};\n",
		       "test.conf:2: datapath.interfaces: required setting is missing");
	assert_invalid("datapath = {\n  interfaces = [ ];\n};\n",
		       "test.conf:2: datapath.interfaces: must not be empty");
	assert_invalid("datapath = {\n  interfaces = [ \"eth0\", \"\" ];\n};\n",
		       "test.conf:2: datapath.interfaces[1]: empty string");
	assert_invalid("", "test.conf: datapath.interfaces: required setting is missing");
}

static void test_ring_size(void)
{
	struct rfm_config *cfg;

	assert_invalid("datapath = {\n  interfaces = [ \"eth0\" ];\n  ring_size = 5000000;\n};\n",
		       "test.conf:3: datapath.ring_size: 5000000 is not a power of two (nearest: "
		       "4194304 = 4 MiB)");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; ring_size = 100000; };\n",
		       "test.conf:1: datapath.ring_size: 100000 is not a power of two (nearest: "
		       "131072 = 128 KiB)");
	assert_invalid("datapath = { interfaces = [ \"eth0\" ]; ring_size = 4096; };\n",
		       "test.conf:1: datapath.ring_size: 4096 is out of range (65536..1073741824 "
		       "bytes)");
	cfg = load_ok("datapath = { interfaces = [ \"eth0\" ]; ring_size = 0x40000000; };\n");
	g_assert_cmpuint(cfg->datapath.ring_size, ==, 1U << 30);
	rfm_config_free(cfg);
}

static void test_all_errors_reported(void)
{
	g_autofree char *msg = load_error("datapath = {\n"		   /* 1 */
					  "  interfaces = [ \"eth*\" ];\n" /* 2 */
					  "  sampling = -1;\n"		   /* 3 */
					  "  attach = \"xdp\";\n"	   /* 4 */
					  "  ring_size = 3;\n"		   /* 5 */
					  "};\n"			   /* 6 */
					  "flows = {\n"			   /* 7 */
					  "  idle_timeout = 100000;\n"	   /* 8 */
					  "  tcp_end = \"yes\";\n"	   /* 9 */
					  "  bogus = 1;\n"		   /* 10 */
					  "};\n"			   /* 11 */
					  "log = { level = \"loud\"; };\n" /* 12 */
					  "extra = { };\n",		   /* 13 */
					  RFM_CONFIG_ERROR_INVALID);
	g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);

	g_assert_cmpuint(g_strv_length(lines), ==, 8);
	g_assert_true(g_str_has_prefix(lines[0], "test.conf:3: datapath.sampling: "));
	g_assert_true(g_str_has_prefix(lines[1], "test.conf:4: datapath.attach: "));
	g_assert_true(g_str_has_prefix(lines[2], "test.conf:5: datapath.ring_size: "));
	g_assert_true(g_str_has_prefix(lines[3], "test.conf:8: flows.idle_timeout: "));
	g_assert_true(g_str_has_prefix(lines[4], "test.conf:9: flows.tcp_end: "));
	g_assert_true(g_str_has_prefix(lines[5], "test.conf:10: flows.bogus: "));
	g_assert_true(g_str_has_prefix(lines[6], "test.conf:12: log.level: "));
	g_assert_true(g_str_has_prefix(lines[7], "test.conf:13: extra: unknown section"));
}

static void test_syntax_error(void)
{
	g_autofree char *msg = load_error("datapath = {\n"
					  "  interfaces = [ \"eth0\" ];\n"
					  "  fib_lookup = false;\n"
					  "  sampling = * 10;\n"
					  "};\n",
					  RFM_CONFIG_ERROR_SYNTAX);

	g_assert_cmpstr(msg, ==, "test.conf:4: syntax error");
}

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	return path;
}

static void test_include(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rfm-config-XXXXXX", NULL);
	g_autofree char *main_path = NULL, *flows_path = NULL, *bad_path = NULL, *expected = NULL;
	g_autofree char *main2_path = NULL;
	struct rfm_config *cfg;

	g_assert_nonnull(dir);
	main_path = write_file(dir, "rfm.conf", DP_MIN "@include \"flows.conf\"\n");
	flows_path = write_file(dir, "flows.conf", "flows = {\n  max_flows = 0;\n};\n");
	cfg = rfm_config_load(main_path, &error);
	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_INVALID);
	expected = g_strdup_printf("%s:2: flows.max_flows: 0 is out of range (1..100000000)",
				   flows_path);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	/* A syntax error inside the included file. */
	bad_path = write_file(dir, "bad.conf", "flows = {\n  max_flows = ;\n};\n");
	main2_path = write_file(dir, "rfm2.conf", DP_MIN "@include \"bad.conf\"\n");
	cfg = rfm_config_load(main2_path, &error);
	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_SYNTAX);
	expected = g_strdup_printf("%s:2: syntax error", bad_path);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	/* A missing include: the line of the @include. */
	g_assert_true(
		g_file_set_contents(main2_path, DP_MIN "\n@include \"nope.conf\"\n", -1, NULL));
	cfg = rfm_config_load(main2_path, &error);
	g_assert_null(cfg);
	g_assert_nonnull(error);
	expected = g_strdup_printf("%s:3: cannot open include file", main2_path);
	g_assert_cmpstr(error->message, ==, expected);
	g_clear_error(&error);
	g_clear_pointer(&expected, g_free);

	/* A valid include. */
	g_assert_true(g_file_set_contents(flows_path, "flows = { max_flows = 7; };\n", -1, NULL));
	cfg = rfm_config_load(main_path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(cfg->flows.max_flows, ==, 7);
	g_assert_cmpstr(cfg->path, ==, main_path);
	rfm_config_free(cfg);

	g_unlink(main_path);
	g_unlink(main2_path);
	g_unlink(flows_path);
	g_unlink(bad_path);
	g_rmdir(dir);
}

static void test_io_error(void)
{
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg = rfm_config_load("/nonexistent/rfm.conf", &error);

	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_IO);
	g_assert_cmpstr(error->message, ==, "/nonexistent/rfm.conf: No such file or directory");
	g_clear_error(&error);

	cfg = rfm_config_load("/", &error);
	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_IO);
	g_assert_cmpstr(error->message, ==, "/: Is a directory");
}

static void test_nul_byte(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("rfm-config-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "rfm.conf", NULL);
	static const char text[] = DP_MIN "\0flows = { max_flows = 0; };\n";
	struct rfm_config *cfg;

	g_assert_true(g_file_set_contents(path, text, sizeof(text) - 1, NULL));
	cfg = rfm_config_load(path, &error);
	g_assert_null(cfg);
	g_assert_error(error, RFM_CONFIG_ERROR, RFM_CONFIG_ERROR_SYNTAX);
	g_assert_true(g_str_has_suffix(error->message, ": contains a NUL byte (not a text file)"));
	g_unlink(path);
	g_rmdir(dir);
}

static void assert_defaults(const struct rfm_config *cfg)
{
	const struct rfm_config_datapath *dp = &cfg->datapath;

	g_assert_cmpuint(g_strv_length(dp->exclude), ==, 1);
	g_assert_cmpstr(dp->exclude[0], ==, "lo");
	g_assert_cmpint(dp->directions, ==, RFM_DIRS_BOTH);
	g_assert_cmpint(dp->attach, ==, RFM_ATTACH_AUTO);
	g_assert_cmpuint(dp->sampling, ==, 100);
	g_assert_cmpint(dp->sampling_mode, ==, RFM_SAMPLE_RANDOM);
	g_assert_nonnull(dp->overrides);
	g_assert_cmpuint(dp->overrides->len, ==, 0);
	g_assert_cmpuint(dp->ring_size, ==, 1U << 20);
	g_assert_cmpuint(dp->drain_interval_ms, ==, 10);
	g_assert_true(dp->fib_lookup);
	g_assert_cmpuint(dp->max_interfaces, ==, 512);
	g_assert_cmpuint(cfg->flows.idle_timeout_ms, ==, 15000);
	g_assert_cmpuint(cfg->flows.active_timeout_ms, ==, 60000);
	g_assert_cmpuint(cfg->flows.max_flows, ==, 1000000);
	g_assert_true(cfg->flows.tcp_end);
	g_assert_cmpuint(cfg->flows.tcp_end_grace_ms, ==, 2000);
	g_assert_cmpint(cfg->log.level, ==, RFM_LOG_INFO);
	g_assert_cmpint(cfg->log.target, ==, RFM_LOG_STDERR);
	g_assert_nonnull(cfg->ipfix.collectors);
	g_assert_cmpuint(cfg->ipfix.collectors->len, ==, 0);
	g_assert_cmpuint(cfg->ipfix.template_refresh_ms, ==, 60000);
	g_assert_cmpuint(cfg->ipfix.enterprise_number, ==, 32473);
}

static void test_defaults(void)
{
	struct rfm_config *cfg = load_ok(DP_MIN);

	g_assert_cmpstr(cfg->path, ==, "test.conf");
	g_assert_cmpuint(g_strv_length(cfg->datapath.interfaces), ==, 1);
	g_assert_cmpstr(cfg->datapath.interfaces[0], ==, "eth0");
	assert_defaults(cfg);
	rfm_config_free(cfg);

	cfg = rfm_config_new_default();
	g_assert_null(cfg->path);
	g_assert_nonnull(cfg->datapath.interfaces);
	g_assert_null(cfg->datapath.interfaces[0]);
	assert_defaults(cfg);
	rfm_config_free(cfg);
	rfm_config_free(NULL);
}

static void test_values(void)
{
	struct rfm_config *cfg = load_ok("datapath = {\n"
					 "  interfaces = ( \"eth*\", \"wg0\" );\n"
					 "  exclude = [ ];\n"
					 "  directions = \"ingress\";\n"
					 "  attach = \"tc\";\n"
					 "  sampling = 0;\n"
					 "  sampling_mode = \"systematic\";\n"
					 "  drain_interval = 1;\n"
					 "  fib_lookup = false;\n"
					 "};\n"
					 "flows : {\n"
					 "  idle_timeout = 1.5;\n"
					 "  active_timeout = 86400;\n"
					 "  tcp_end_grace = 0;\n"
					 "  tcp_end = false;\n"
					 "};\n"
					 "log = { level = \"debug\"; target = \"journal\"; };\n");

	g_assert_cmpuint(g_strv_length(cfg->datapath.interfaces), ==, 2);
	g_assert_cmpstr(cfg->datapath.interfaces[1], ==, "wg0");
	g_assert_cmpuint(g_strv_length(cfg->datapath.exclude), ==, 0);
	g_assert_cmpint(cfg->datapath.directions, ==, RFM_DIRS_INGRESS);
	g_assert_cmpint(cfg->datapath.attach, ==, RFM_ATTACH_TC);
	g_assert_cmpuint(cfg->datapath.sampling, ==, 0);
	g_assert_cmpint(cfg->datapath.sampling_mode, ==, RFM_SAMPLE_SYSTEMATIC);
	g_assert_cmpuint(cfg->datapath.drain_interval_ms, ==, 1000);
	g_assert_false(cfg->datapath.fib_lookup);
	g_assert_cmpuint(cfg->flows.idle_timeout_ms, ==, 1500);
	g_assert_cmpuint(cfg->flows.active_timeout_ms, ==, 86400000);
	g_assert_cmpuint(cfg->flows.tcp_end_grace_ms, ==, 0);
	g_assert_false(cfg->flows.tcp_end);
	g_assert_cmpint(cfg->log.level, ==, RFM_LOG_DEBUG);
	g_assert_cmpint(cfg->log.target, ==, RFM_LOG_JOURNAL);
	rfm_config_free(cfg);
}

static void test_example_file(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;
	g_autoptr(GString) printed = g_string_new(NULL);
	struct rfm_config *cfg = rfm_config_load(EXAMPLE_CONF, &error);
	struct rfm_config *full;
	g_auto(GStrv) lines = NULL;

	g_assert_no_error(error);
	/* What its comments say. */
	g_assert_cmpuint(g_strv_length(cfg->datapath.interfaces), ==, 2);
	g_assert_cmpstr(cfg->datapath.interfaces[0], ==, "eth*");
	g_assert_cmpstr(cfg->datapath.interfaces[1], ==, "en*");
	assert_defaults(cfg);
	rfm_config_free(cfg);

	/* Every setting the engine knows is documented in it, overrides included. */
	g_assert_true(g_file_get_contents(EXAMPLE_CONF, &text, NULL, NULL));
	full = load_ok("datapath = { interfaces = [ \"*\" ];\n"
		       "  overrides = ( { match = \"x\"; sampling = 1; sampling_mode = \"random\";"
		       " directions = \"both\"; } ); };\n"
		       "ipfix = { collectors = ( { address = \"192.0.2.10\"; port = 4739;"
		       " source_address = \"192.0.2.1\"; } ); };\n");
	rfm_config_print(full, printed);
	rfm_config_free(full);
	lines = g_strsplit(printed->str, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		const char *l = lines[i] + strspn(lines[i], "\t");
		const char *eq = strstr(l, " = ");
		g_autofree char *name = NULL, *needle = NULL;

		if (*l == '#' || !eq)
			continue;
		name = g_strndup(l, eq - l);
		needle = g_strdup_printf("%s = ", name);
		g_test_message("documented: %s", name);
		g_assert_nonnull(strstr(text, needle));
	}
}

static void assert_round_trip(struct rfm_config *cfg)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) first = g_string_new(NULL);
	g_autoptr(GString) second = g_string_new(NULL);
	struct rfm_config *again;

	rfm_config_print(cfg, first);
	g_test_message("%s", first->str);
	again = rfm_config_from_string(first->str, "printed.conf", &error);
	g_assert_no_error(error);
	rfm_config_print(again, second);
	g_assert_cmpstr(first->str, ==, second->str);
	rfm_config_free(again);
}

static void test_print_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	struct rfm_config *cfg = rfm_config_load(EXAMPLE_CONF, &error);
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_no_error(error);
	assert_round_trip(cfg);
	rfm_config_free(cfg);

	cfg = load_ok("datapath = {\n"
		      "  interfaces = [ \"eth*\", \"odd\\\"name\\\\\", \"tab\\there\" ];\n"
		      "  exclude = [ ];\n"
		      "  overrides = (\n"
		      "    { match = \"wg*\"; sampling = 10; sampling_mode = \"systematic\"; },\n"
		      "    { match = \"ppp*\"; directions = \"ingress\"; },\n"
		      "    { match = \"tun0\"; sampling = 0; }\n"
		      "  );\n"
		      "  drain_interval = 0.125;\n"
		      "};\n"
		      "flows = { idle_timeout = 1.5; active_timeout = 3600; tcp_end_grace = 0; };\n"
		      "log = { level = \"warning\"; };\n");
	assert_round_trip(cfg);
	rfm_config_print(cfg, out);
	g_assert_nonnull(strstr(out->str, "\tdrain_interval = 0.125;\n"));
	g_assert_nonnull(strstr(out->str, "\tidle_timeout = 1.5;\n"));
	g_assert_nonnull(strstr(out->str, "\tinterfaces = [ \"eth*\", \"odd\\\"name\\\\\", "
					  "\"tab\\there\" ];\n"));
	g_assert_nonnull(strstr(out->str, "\t\t{\n\t\t\tmatch = \"ppp*\";\n"
					  "\t\t\tdirections = \"ingress\";\n\t\t},\n"));
	g_assert_nonnull(strstr(out->str, "\texclude = [ ];\n"));
	rfm_config_free(cfg);
}

struct iface_case {
	const char *ifname;
	guint32 sampling;
	int sampling_mode;
	int directions;
};

static void test_interface_overrides(void)
{
	static const struct iface_case cases[] = {
		{"eth0", 100, RFM_SAMPLE_RANDOM, RFM_DIRS_BOTH},
		{"wg0", 10, RFM_SAMPLE_SYSTEMATIC, RFM_DIRS_BOTH},
		/* wg1 matches both "wg1" and "wg*": the first in the file wins. */
		{"wg1", 10, RFM_SAMPLE_SYSTEMATIC, RFM_DIRS_BOTH},
		{"ppp0", 100, RFM_SAMPLE_RANDOM, RFM_DIRS_INGRESS},
		{"tun3", 0, RFM_SAMPLE_RANDOM, RFM_DIRS_EGRESS},
	};
	struct rfm_config *cfg =
		load_ok("datapath = {\n"
			"  interfaces = [ \"*\" ];\n"
			"  overrides = (\n"
			"    { match = \"wg*\"; sampling = 10; sampling_mode = \"systematic\"; },\n"
			"    { match = \"wg1\"; sampling = 1; directions = \"egress\"; },\n"
			"    { match = \"ppp*\"; directions = \"ingress\"; },\n"
			"    { match = \"tun[0-9]\"; sampling = 0; directions = \"egress\"; }\n"
			"  );\n"
			"};\n");

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		guint32 sampling;
		int mode, dirs;

		rfm_config_interface(cfg, cases[i].ifname, &sampling, &mode, &dirs);
		g_test_message("%s: %u %d %d", cases[i].ifname, sampling, mode, dirs);
		g_assert_cmpuint(sampling, ==, cases[i].sampling);
		g_assert_cmpint(mode, ==, cases[i].sampling_mode);
		g_assert_cmpint(dirs, ==, cases[i].directions);
	}
	rfm_config_interface(cfg, "wg1", NULL, NULL, NULL);
	rfm_config_free(cfg);
}

/* ---- section ipfix --------------------------------------------------------- */

static void test_ipfix_defaults(void)
{
	struct rfm_config *cfg = load_ok(DP_MIN "ipfix = {\n"
						"  collectors = ( { address = \"192.0.2.10\";"
						" port = 4739; } );\n"
						"};\n");
	const struct rfm_config_collector *c;

	g_assert_cmpuint(cfg->ipfix.collectors->len, ==, 1);
	c = &g_array_index(cfg->ipfix.collectors, struct rfm_config_collector, 0);
	g_assert_cmpstr(c->address, ==, "192.0.2.10");
	g_assert_cmpuint(c->port, ==, 4739);
	g_assert_cmpint(c->transport, ==, RFM_TRANSPORT_UDP);
	g_assert_cmpint(c->protocol, ==, RFM_EXPORT_IPFIX);
	g_assert_null(c->source_address);
	g_assert_cmpuint(c->source_port, ==, 0);
	g_assert_cmpuint(c->observation_domain, ==, 1);
	g_assert_cmpuint(c->mtu, ==, 1400);
	g_assert_cmpuint(c->queue, ==, 1U << 20);
	g_assert_cmpuint(cfg->ipfix.template_refresh_ms, ==, 60000);
	g_assert_cmpuint(cfg->ipfix.enterprise_number, ==, 32473);
	rfm_config_free(cfg);
}

static void test_ipfix_values(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	struct rfm_config *cfg = load_ok(
		DP_MIN
		"ipfix = {\n"
		"  collectors = (\n"
		"    { address = \"2001:db8::10\"; port = 4740; transport = \"tcp\";\n"
		"      source_address = \"2001:db8::1\"; source_port = 40000;\n"
		"      observation_domain = 4294967295L; mtu = 65535; queue = 1073741824; },\n"
		"    { address = \"192.0.2.11\"; port = 2055; protocol = \"netflow5\";\n"
		"      observation_domain = 255; mtu = 512; queue = 65536; },\n"
		"    { address = \"192.0.2.11\"; port = 2055; transport = \"tcp\"; }\n"
		"  );\n"
		"  template_refresh = 0.5e1;\n"
		"  enterprise_number = 0xffffffffL;\n"
		"};\n");
	const struct rfm_config_collector *c =
		&g_array_index(cfg->ipfix.collectors, struct rfm_config_collector, 0);

	g_assert_cmpuint(cfg->ipfix.collectors->len, ==, 3);
	g_assert_cmpint(c->transport, ==, RFM_TRANSPORT_TCP);
	g_assert_cmpstr(c->source_address, ==, "2001:db8::1");
	g_assert_cmpuint(c->source_port, ==, 40000);
	g_assert_cmpuint(c->observation_domain, ==, G_MAXUINT32);
	g_assert_cmpuint(c->mtu, ==, 65535);
	g_assert_cmpuint(c->queue, ==, 1U << 30);
	c = &g_array_index(cfg->ipfix.collectors, struct rfm_config_collector, 1);
	g_assert_cmpint(c->protocol, ==, RFM_EXPORT_NETFLOW5);
	g_assert_cmpuint(c->observation_domain, ==, 255);
	g_assert_cmpuint(c->mtu, ==, 512);
	g_assert_cmpuint(cfg->ipfix.template_refresh_ms, ==, 5000);
	g_assert_cmpuint(cfg->ipfix.enterprise_number, ==, G_MAXUINT32);
	assert_round_trip(cfg);
	rfm_config_print(cfg, out);
	g_assert_nonnull(strstr(out->str, "\tenterprise_number = 4294967295L;\n"));
	rfm_config_free(cfg);
}

static void test_ipfix_unknown_and_type(void)
{
	assert_invalid(DP_MIN "ipfix = {\n"
			      "  collectors = ( { adress = \"192.0.2.1\"; port = 4739; } );\n"
			      "};\n",
		       "test.conf:3: ipfix.collectors[0].adress: unknown setting (did you mean "
		       "address?)\n"
		       "test.conf:3: ipfix.collectors[0].address: required setting is missing");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"192.0.2.1\";\n"
			      "  port = \"4739\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].port: wrong type: expected an integer, "
		       "got a string");
	assert_invalid(DP_MIN "ipfix = { collectors = { address = \"192.0.2.1\"; }; };\n",
		       "test.conf:2: ipfix.collectors: wrong type: expected a list of groups ( { "
		       "... }, ... ), got a group");
	assert_invalid(DP_MIN "ipfix = { template_refresh = \"1m\"; };\n",
		       "test.conf:2: ipfix.template_refresh: wrong type: expected a number of "
		       "seconds, got a string");
}

static void test_ipfix_missing(void)
{
	assert_invalid(DP_MIN "ipfix = {\n  collectors = ( { port = 4739; } );\n};\n",
		       "test.conf:3: ipfix.collectors[0].address: required setting is missing");
	assert_invalid(DP_MIN "ipfix = {\n  collectors = ( {\n    address = \"::1\"; } );\n};\n",
		       "test.conf:3: ipfix.collectors[0].port: required setting is missing");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"\"; port = 1; } ); };\n",
		       "test.conf:2: ipfix.collectors[0].address: must not be empty");
}

static void test_ipfix_out_of_range(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 0; } ); };\n",
		       "test.conf:2: ipfix.collectors[0].port: 0 is out of range (1..65535)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\";\n"
			      "  port = 65536; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].port: 65536 is out of range (1..65535)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  source_port = -1; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].source_port: -1 is out of range "
		       "(0..65535)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  mtu = 511; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].mtu: 511 is out of range (512..65535 "
		       "bytes)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  queue = 65535; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].queue: 65535 is out of range "
		       "(65536..1073741824 bytes)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  observation_domain = 4294967296L; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].observation_domain: 4294967296 is out "
		       "of range (0..4294967295)");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  observation_domain = 3000000000; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].observation_domain: -1294967296 is out "
		       "of range (0..4294967295); write numbers above 2147483647 with an L "
		       "suffix, as in 4294967295L");
	assert_invalid(DP_MIN "ipfix = {\n  template_refresh = 0.5;\n};\n",
		       "test.conf:3: ipfix.template_refresh: 0.5 is out of range (1..86400 s)");
	assert_invalid(DP_MIN "ipfix = {\n  enterprise_number = 0;\n};\n",
		       "test.conf:3: ipfix.enterprise_number: 0 is out of range (1..4294967295)");
	/* libconfig 1.5 wraps 4294967295 without L to -1: say how to write it. */
	assert_invalid(DP_MIN "ipfix = { enterprise_number = 4294967295; };\n",
		       "test.conf:2: ipfix.enterprise_number: -1 is out of range (1..4294967295); "
		       "write numbers above 2147483647 with an L suffix, as in 4294967295L");
}

static void test_ipfix_invalid_enum(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  transport = \"sctp\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].transport: \"sctp\" is not one of "
		       "\"udp\", \"tcp\"");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  protocol = \"netflow10\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].protocol: \"netflow10\" is not one of "
		       "\"ipfix\", \"netflow9\", \"netflow5\"");
}

static void test_ipfix_address(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = (\n"
			      "  { address = \"collector.example\"; port = 4739; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].address: \"collector.example\" is not an "
		       "IPv4 or IPv6 address");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"192.0.2.1\"; port = 1;\n"
			      "  source_address = \"eth0\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].source_address: \"eth0\" is not an IPv4 "
		       "or IPv6 address");
	/* A scope is not part of a literal. */
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"fe80::1%eth0\"; port = 1; "
			      "} ); };\n",
		       "test.conf:2: ipfix.collectors[0].address: \"fe80::1%eth0\" is not an "
		       "IPv4 or IPv6 address");
}

static void test_ipfix_conflict_family(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"192.0.2.1\"; port = 1;\n"
			      "  source_address = \"2001:db8::1\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].source_address: \"2001:db8::1\" is IPv6 "
		       "but address \"192.0.2.1\" is IPv4");
	assert_invalid(DP_MIN "ipfix = { collectors = ( { source_address = \"192.0.2.2\";\n"
			      "  address = \"::1\"; port = 1; } ); };\n",
		       "test.conf:2: ipfix.collectors[0].source_address: \"192.0.2.2\" is IPv4 "
		       "but address \"::1\" is IPv6");
}

static void test_ipfix_conflict_netflow_tcp(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = (\n"
			      "  { address = \"192.0.2.1\"; port = 2055; protocol = \"netflow9\";\n"
			      "    transport = \"tcp\"; } ); };\n",
		       "test.conf:4: ipfix.collectors[0].transport: netflow9 is exported over udp "
		       "only (its packets carry no length to frame them on a tcp stream)");
	assert_invalid(DP_MIN "ipfix = { collectors = (\n"
			      "  { address = \"192.0.2.1\"; port = 2055; transport = \"tcp\";\n"
			      "    protocol = \"netflow5\"; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].transport: netflow5 is exported over udp "
		       "only (its packets carry no length to frame them on a tcp stream)");
}

static void test_ipfix_conflict_mtu_udp(void)
{
	struct rfm_config *cfg;

	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  mtu = 65508; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].mtu: 65508 bytes do not fit a UDP "
		       "datagram (at most 65507 over udp)");
	cfg = load_ok(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			     "  mtu = 65507; }, { address = \"::1\"; port = 1; transport = \"tcp\";"
			     " mtu = 65535; } ); };\n");
	rfm_config_free(cfg);
}

static void test_ipfix_conflict_v5_domain(void)
{
	assert_invalid(DP_MIN "ipfix = { collectors = ( { address = \"::1\"; port = 1;\n"
			      "  protocol = \"netflow5\"; observation_domain = 256; } ); };\n",
		       "test.conf:3: ipfix.collectors[0].observation_domain: 256 does not fit "
		       "the 8-bit engine id of netflow5 (0..255)");
}

static void test_ipfix_conflict_duplicate(void)
{
	struct rfm_config *cfg;

	assert_invalid(DP_MIN "ipfix = {\n"
			      "  collectors = (\n"
			      "    { address = \"2001:db8::10\"; port = 4739; },\n"
			      "    { address = \"192.0.2.10\"; port = 4739; },\n"
			      "    { port = 4739; protocol = \"netflow9\";\n"
			      "      address = \"2001:DB8:0::10\"; }\n"
			      "  );\n"
			      "};\n",
		       "test.conf:7: ipfix.collectors[2].address: \"2001:DB8:0::10\" port 4739 "
		       "over udp is already ipfix.collectors[0] (line 4)");
	/* Same address and port over another transport, or another port: fine. */
	cfg = load_ok(DP_MIN "ipfix = { collectors = (\n"
			     "  { address = \"192.0.2.10\"; port = 4739; },\n"
			     "  { address = \"192.0.2.10\"; port = 4739; transport = \"tcp\"; },\n"
			     "  { address = \"192.0.2.10\"; port = 4740; source_port = 4739; },\n"
			     "  { address = \"192.0.2.11\"; port = 4740; source_port = 4739; }\n"
			     "); };\n");
	rfm_config_free(cfg);
}

static void test_ipfix_all_errors(void)
{
	g_autofree char *msg = load_error(DP_MIN "ipfix = {\n"				 /* 2 */
						 "  collectors = (\n"			 /* 3 */
						 "    { address = \"x\"; port = 0; },\n" /* 4 */
						 "    { address = \"::1\"; port = 9;\n"	 /* 5 */
						 "      transport = \"tcp\";\n"		 /* 6 */
						 "      protocol = \"netflow5\";\n"	 /* 7 */
						 "      mtu = 70000; }\n"		 /* 8 */
						 "  );\n"				 /* 9 */
						 "  enterprise_number = -5;\n"		 /* 10 */
						 "};\n",
					  RFM_CONFIG_ERROR_INVALID);
	g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);

	g_assert_cmpuint(g_strv_length(lines), ==, 5);
	g_assert_true(g_str_has_prefix(lines[0], "test.conf:4: ipfix.collectors[0].port: "));
	g_assert_true(g_str_has_prefix(lines[1], "test.conf:4: ipfix.collectors[0].address: "));
	g_assert_true(g_str_has_prefix(lines[2], "test.conf:8: ipfix.collectors[1].mtu: "));
	g_assert_true(g_str_has_prefix(lines[3], "test.conf:6: ipfix.collectors[1].transport: "));
	g_assert_true(g_str_has_prefix(lines[4], "test.conf:10: ipfix.enterprise_number: "));
}

static void test_prom_defaults(void)
{
	struct rfm_config *cfg = load_ok(DP_MIN);
	const struct rfm_config_prometheus *p = &cfg->prometheus;

	g_assert_cmpstr(p->listen, ==, "127.0.0.1");
	g_assert_cmpuint(p->port, ==, 9669);
	g_assert_cmpuint(g_strv_length(p->labels), ==, 2);
	g_assert_cmpstr(p->labels[0], ==, "src_asn");
	g_assert_cmpstr(p->labels[1], ==, "dst_asn");
	g_assert_cmpuint(p->max_series, ==, 10000);
	g_assert_cmpuint(p->series_ttl_ms, ==, 3600000);
	g_assert_null(p->tls.certificate);
	g_assert_null(p->tls.key);
	g_assert_null(p->basic_auth.username);
	g_assert_null(p->basic_auth.password_file);
	rfm_config_free(cfg);
}

static void test_prom_values(void)
{
	struct rfm_config *cfg = load_ok(
		DP_MIN "prometheus = { listen = \"::1\"; port = 0;\n"
		       "  labels = [ \"dst_city\", \"src_country\" ]; max_series = 10000000;\n"
		       "  series_ttl = 1.5;\n"
		       "  tls = { certificate = \"/c.pem\"; key = \"/k.pem\"; };\n"
		       "  basic_auth = { username = \"u\"; password_file = \"/p\"; }; };\n");
	const struct rfm_config_prometheus *p = &cfg->prometheus;
	g_autoptr(GString) out = g_string_new(NULL);

	g_assert_cmpstr(p->listen, ==, "::1");
	g_assert_cmpuint(p->port, ==, 0);
	g_assert_cmpstr(p->labels[0], ==, "dst_city");
	g_assert_cmpstr(p->labels[1], ==, "src_country");
	g_assert_null(p->labels[2]);
	g_assert_cmpuint(p->max_series, ==, 10000000);
	g_assert_cmpuint(p->series_ttl_ms, ==, 1500);
	g_assert_cmpstr(p->tls.certificate, ==, "/c.pem");
	g_assert_cmpstr(p->tls.key, ==, "/k.pem");
	g_assert_cmpstr(p->basic_auth.username, ==, "u");
	g_assert_cmpstr(p->basic_auth.password_file, ==, "/p");
	assert_round_trip(cfg);
	rfm_config_print(cfg, out);
	g_assert_nonnull(strstr(out->str, "\t\tpassword_file = \"/p\";\n"));
	rfm_config_free(cfg);
}

static void test_prom_errors(void)
{
	assert_invalid(DP_MIN "prometheus = {\n  lisen = \"::1\";\n};\n",
		       "test.conf:3: prometheus.lisen: unknown setting (did you mean listen?)");
	assert_invalid(DP_MIN "prometheus = { port = \"9669\"; };\n",
		       "test.conf:2: prometheus.port: wrong type: expected an integer, got a "
		       "string");
	assert_invalid(DP_MIN "prometheus = { port = 65536; };\n",
		       "test.conf:2: prometheus.port: 65536 is out of range (0..65535)");
	assert_invalid(DP_MIN "prometheus = { max_series = 0; };\n",
		       "test.conf:2: prometheus.max_series: 0 is out of range (1..10000000)");
	assert_invalid(DP_MIN "prometheus = { series_ttl = 0; };\n",
		       "test.conf:2: prometheus.series_ttl: 0 is out of range (1..2592000 s)");
	assert_invalid(DP_MIN "prometheus = { listen = \"localhost\"; };\n",
		       "test.conf:2: prometheus.listen: \"localhost\" is not an IPv4 or IPv6 "
		       "address");
	assert_invalid(DP_MIN "prometheus = {\n labels = [ \"src_asn\",\n \"proto\" ]; };\n",
		       "test.conf:4: prometheus.labels[1]: unknown label \"proto\" (src_asn, "
		       "dst_asn, src_country, dst_country, src_city or dst_city)");
	assert_invalid(DP_MIN "prometheus = { labels = [ \"src_asn\", \"src_asn\" ]; };\n",
		       "test.conf:2: prometheus.labels[1]: label \"src_asn\" given twice");
	assert_invalid(DP_MIN "prometheus = { tls = {\n certificate = \"/c\"; }; };\n",
		       "test.conf:3: prometheus.tls.certificate: needs key as well");
	assert_invalid(DP_MIN "prometheus = { basic_auth = {\n password_file = \"/p\"; }; };\n",
		       "test.conf:3: prometheus.basic_auth.password_file: needs username as well");
	assert_invalid(DP_MIN "prometheus = { tls = { key = \"\"; certificate = \"/c\"; }; };\n",
		       "test.conf:2: prometheus.tls.key: must not be empty");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/error/unknown-setting", test_unknown_setting);
	g_test_add_func("/config/error/unknown-section", test_unknown_section);
	g_test_add_func("/config/error/wrong-type", test_wrong_type);
	g_test_add_func("/config/error/out-of-range", test_out_of_range);
	g_test_add_func("/config/error/invalid-enum", test_invalid_enum);
	g_test_add_func("/config/error/duplicate", test_duplicate);
	g_test_add_func("/config/error/include-exclude", test_conflict_include_exclude);
	g_test_add_func("/config/error/idle-active", test_conflict_timeouts);
	g_test_add_func("/config/error/override-match", test_conflict_override_match);
	g_test_add_func("/config/error/missing-interfaces", test_missing_interfaces);
	g_test_add_func("/config/error/ring-size", test_ring_size);
	g_test_add_func("/config/error/all-reported", test_all_errors_reported);
	g_test_add_func("/config/error/syntax", test_syntax_error);
	g_test_add_func("/config/error/include", test_include);
	g_test_add_func("/config/error/io", test_io_error);
	g_test_add_func("/config/error/nul-byte", test_nul_byte);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/example-file", test_example_file);
	g_test_add_func("/config/print-round-trip", test_print_round_trip);
	g_test_add_func("/config/interface-overrides", test_interface_overrides);
	g_test_add_func("/config/ipfix/defaults", test_ipfix_defaults);
	g_test_add_func("/config/ipfix/values", test_ipfix_values);
	g_test_add_func("/config/ipfix/error/unknown-and-type", test_ipfix_unknown_and_type);
	g_test_add_func("/config/ipfix/error/missing", test_ipfix_missing);
	g_test_add_func("/config/ipfix/error/out-of-range", test_ipfix_out_of_range);
	g_test_add_func("/config/ipfix/error/invalid-enum", test_ipfix_invalid_enum);
	g_test_add_func("/config/ipfix/error/address", test_ipfix_address);
	g_test_add_func("/config/ipfix/error/family", test_ipfix_conflict_family);
	g_test_add_func("/config/ipfix/error/netflow-tcp", test_ipfix_conflict_netflow_tcp);
	g_test_add_func("/config/ipfix/error/mtu-udp", test_ipfix_conflict_mtu_udp);
	g_test_add_func("/config/ipfix/error/v5-domain", test_ipfix_conflict_v5_domain);
	g_test_add_func("/config/ipfix/error/duplicate", test_ipfix_conflict_duplicate);
	g_test_add_func("/config/ipfix/error/all-reported", test_ipfix_all_errors);
	g_test_add_func("/config/prometheus/defaults", test_prom_defaults);
	g_test_add_func("/config/prometheus/values", test_prom_values);
	g_test_add_func("/config/prometheus/errors", test_prom_errors);
	return g_test_run();
}
