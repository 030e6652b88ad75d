// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * main.c - the rfm command: dispatch to subcommands.
 *
 *   rfm agent [OPTION...]   attach to interfaces and run the flow monitor
 *   rfm check-config        validate a configuration file
 *   rfm replay FILE...      replay captures through the classifier into flows
 *   rfm version             print the version
 */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"agent", rfm_agent_main, "attach to interfaces and monitor flows"},
	{"check-config", rfm_check_config_main, "validate a configuration file"},
	{"replay", rfm_replay_main, "replay pcap/pcapng captures into flow records"},
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: rfm COMMAND [OPTION...]\n\nCommands:\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-13s %s\n", "version", "print the version");
	fprintf(out, "\nrfm COMMAND --help shows the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("rfm %s\n", RFM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "rfm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
