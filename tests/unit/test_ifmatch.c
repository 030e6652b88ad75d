/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* test_ifmatch.c - interface selection by include/exclude glob patterns. */
#include <glib.h>

#include "ifmatch.h"

struct ifmatch_case {
	const char *include; /* comma-separated */
	const char *exclude; /* comma-separated, or NULL */
	const char *name;
	gboolean selected;
};

static const struct ifmatch_case cases[] = {
	{"eth0", NULL, "eth0", TRUE},
	{"eth0", NULL, "eth1", FALSE},
	{"eth*", NULL, "eth12", TRUE},
	{"eth*", NULL, "veth0", FALSE},
	{"eth*,wg*", NULL, "wg0", TRUE},
	{"*", "lo", "lo", FALSE},
	{"*", "lo", "enp1s0", TRUE},
	{"*", "lo,docker*", "docker0", FALSE},
	{"en?1s0", NULL, "enp1s0", TRUE},
	{"en?1s0", NULL, "enp11s0", FALSE},
	{"eth[0-3]", NULL, "eth2", TRUE},
	{"eth[0-3]", NULL, "eth4", FALSE},
	{"vlan*", "vlan10*", "vlan100", FALSE},
	{"vlan*", "vlan10*", "vlan200", TRUE},
	{"", NULL, "eth0", FALSE},
};

static void test_cases(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct ifmatch_case *c = &cases[i];
		g_auto(GStrv) inc = g_strsplit(c->include, ",", -1);
		g_auto(GStrv) exc = c->exclude ? g_strsplit(c->exclude, ",", -1) : NULL;
		gboolean got =
			rfm_ifmatch((const char *const *)inc, (const char *const *)exc, c->name);

		g_test_message("include %s exclude %s name %s -> %d", c->include,
			       c->exclude ? c->exclude : "-", c->name, got);
		g_assert_cmpint(got, ==, c->selected);
	}
}

static void test_null_lists(void)
{
	const char *inc[] = {"eth0", NULL};

	g_assert_false(rfm_ifmatch(NULL, NULL, "eth0"));
	g_assert_true(rfm_ifmatch(inc, NULL, "eth0"));
}

static void test_is_pattern(void)
{
	g_assert_true(rfm_ifmatch_is_pattern("eth*"));
	g_assert_true(rfm_ifmatch_is_pattern("eth?"));
	g_assert_true(rfm_ifmatch_is_pattern("eth[01]"));
	g_assert_false(rfm_ifmatch_is_pattern("eth0"));
	g_assert_false(rfm_ifmatch_is_pattern("wg-site.1"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ifmatch/cases", test_cases);
	g_test_add_func("/ifmatch/null-lists", test_null_lists);
	g_test_add_func("/ifmatch/is-pattern", test_is_pattern);
	return g_test_run();
}
