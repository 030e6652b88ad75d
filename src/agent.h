/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* agent.h - the `rfm agent` command: the daemon's main loop. */
#ifndef RFM_AGENT_H
#define RFM_AGENT_H

/* Run `rfm agent` with its own arguments (argv[0] is "agent"); returns the exit code. */
int rfm_agent_main(int argc, char **argv);

#endif /* RFM_AGENT_H */
