// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * tcx_counter.c - load tcx_counter.bpf.c and append it to the TCX ingress
 * hook of IFNAME (after every program already there, e.g. rfm's), print
 * "ready", wait for SIGTERM/SIGINT, then print "count PACKETS BYTES" (what
 * the program saw, bytes as skb->len) and exit 0; closing the link fd detaches it.
 *
 *   tcx_counter IFNAME      (run it in the namespace of IFNAME)
 *
 * Debian's libbpf 1.1 has no TCX helper and its uapi headers predate TCX:
 * bpf_link_create() with attach type 46 (BPF_TCX_INGRESS) does the job.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcx_counter_bpf.skel.h"

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS, kernel >= 6.6 */

int main(int argc, char **argv)
{
	struct tcx_counter_bpf *skel = NULL;
	unsigned long long total[2] = {0, 0};
	unsigned int ifindex;
	__u64 *per_cpu = NULL;
	int link_fd = -1, ncpus, sig, rc = 1;
	sigset_t set;

	if (argc != 2) {
		fprintf(stderr, "usage: tcx_counter IFNAME\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "tcx_counter: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "tcx_counter: cannot count CPUs\n");
		return 1;
	}
	/* Block the signals before attaching so none is lost to the default action. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	skel = tcx_counter_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "tcx_counter: cannot load: %s\n", strerror(errno));
		goto out;
	}
	link_fd =
		bpf_link_create(bpf_program__fd(skel->progs.tcx_count), ifindex, TCX_INGRESS, NULL);
	if (link_fd < 0) {
		fprintf(stderr, "tcx_counter: cannot attach to %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	printf("ready\n");
	fflush(stdout);

	if (sigwait(&set, &sig)) {
		fprintf(stderr, "tcx_counter: sigwait failed\n");
		goto out;
	}
	per_cpu = calloc(ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		goto out;
	for (__u32 key = 0; key < 2; key++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.tcx_count_map), &key, per_cpu)) {
			fprintf(stderr, "tcx_counter: cannot read the count: %s\n",
				strerror(errno));
			goto out;
		}
		for (int c = 0; c < ncpus; c++)
			total[key] += per_cpu[c];
	}
	printf("count %llu %llu\n", total[0], total[1]);
	fflush(stdout);
	rc = 0;
out:
	free(per_cpu);
	if (link_fd >= 0)
		close(link_fd);
	tcx_counter_bpf__destroy(skel);
	return rc;
}
