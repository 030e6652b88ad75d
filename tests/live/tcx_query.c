// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * tcx_query.c - list the programs attached to the TCX hooks of IFNAME, in
 * the order they run, one line each: "ingress|egress PROG_ID PROG_NAME".
 * Exit 0 (also when nothing is attached), 1 on error.
 *
 *   tcx_query IFNAME        (run it in the namespace of IFNAME)
 *
 * Neither `bpftool net show` nor `tc` lists TCX programs, and bpftool 7.1
 * shows a TCX link only as "type 11" without its interface: BPF_PROG_QUERY
 * with the TCX attach types and the ifindex of the current namespace is the
 * exact answer. libbpf 1.1's bpf_prog_query() passes target_fd, which shares
 * its place in union bpf_attr with the newer target_ifindex.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS */
#define TCX_EGRESS  47 /* BPF_TCX_EGRESS */
#define MAX_PROGS   64

static int query(unsigned int ifindex, int type, const char *dir)
{
	__u32 ids[MAX_PROGS], cnt = MAX_PROGS, flags = 0;

	if (bpf_prog_query((int)ifindex, type, 0, &flags, ids, &cnt)) {
		fprintf(stderr, "tcx_query: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (__u32 i = 0; i < cnt; i++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%s %u %s\n", dir, ids[i], info.name);
		else
			printf("%s %u ?\n", dir, ids[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int ifindex;

	if (argc != 2) {
		fprintf(stderr, "usage: tcx_query IFNAME\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "tcx_query: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (query(ifindex, TCX_INGRESS, "ingress") || query(ifindex, TCX_EGRESS, "egress"))
		return 1;
	return 0;
}
