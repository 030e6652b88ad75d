// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcx_counter.bpf.c - a second TCX program for the live tests: counts every
 * packet (and its skb->len) it sees and passes it on with TCX_NEXT, like rfm itself. Attached
 * after rfm on the same hook, it sees a packet only if rfm let it through.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Per-CPU packets (key 0) and bytes (key 1); user space sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} tcx_count_map SEC(".maps");

SEC("tc")
int tcx_count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&tcx_count_map, &key);

	if (n)
		*n += 1;
	key = 1;
	n = bpf_map_lookup_elem(&tcx_count_map, &key);
	if (n)
		*n += skb->len;
	return -1; /* TCX_NEXT */
}

char LICENSE[] SEC("license") = "GPL";
