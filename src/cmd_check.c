// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * cmd_check.c - `rfm check-config [-c FILE] [--print]`: validate a
 * configuration file without root or kernel access. Every error is listed
 * as FILE:LINE: SETTING: message; the exit code is 2 when there is one.
 */
#include <stdio.h>

#include <glib.h>

#include "commands.h"
#include "config.h"

int rfm_check_config_main(int argc, char **argv)
{
	g_autofree char *path = NULL;
	gboolean print = FALSE;
	GOptionEntry entries[] = {
		{"config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
		 "Configuration file (default " RFM_CONFIG_DEFAULT_PATH ")", "FILE"},
		{"print", 0, 0, G_OPTION_ARG_NONE, &print,
		 "Print the effective configuration, defaults filled in", NULL},
		{NULL},
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("[FILE] - validate a configuration file");
	g_autoptr(GError) err = NULL;
	struct rfm_config *cfg;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc > 2 || (argc == 2 && path)) {
		g_printerr("rfm check-config: %s\n",
			   err ? err->message : "give one file, with -c or as an argument");
		return 2;
	}
	if (argc == 2)
		path = g_strdup(argv[1]);
	cfg = rfm_config_load(path ? path : RFM_CONFIG_DEFAULT_PATH, &err);
	if (!cfg) {
		g_printerr("%s\n", err->message);
		return 2;
	}
	if (print) {
		g_autoptr(GString) out = g_string_new(NULL);

		rfm_config_print(cfg, out);
		fputs(out->str, stdout);
	} else {
		printf("%s: valid\n", cfg->path);
	}
	rfm_config_free(cfg);
	return 0;
}
