/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * commands.h - the subcommands of `rfm`. Each takes its own arguments
 * (argv[0] is the command name) and returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage or invalid configuration.
 */
#ifndef RFM_COMMANDS_H
#define RFM_COMMANDS_H

int rfm_agent_main(int argc, char **argv);	  /* agent.c */
int rfm_check_config_main(int argc, char **argv); /* cmd_check.c */
int rfm_replay_main(int argc, char **argv);	  /* cmd_replay.c */

#endif /* RFM_COMMANDS_H */
