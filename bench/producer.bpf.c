// SPDX-License-Identifier: GPL-2.0-only
/*
 * producer.bpf.c - the event source of bench_ingest: a TC program that,
 * run with BPF_PROG_TEST_RUN and .repeat = K, writes K struct rfm_event
 * records into a ring buffer, as rfm's classifier does for K sampled
 * packets, without any packet parsing. The frame it is given is ignored.
 *
 * The flow of each event is picked per bench_gen_mode; its fields come
 * from ingest_gen.h. Records are submitted with BPF_RB_NO_WAKEUP, like
 * rfm's, so the consumer is never woken: it drains on its own schedule.
 *
 * Knobs and counters are globals in .bss, written and read by user space
 * through the skeleton between test runs. A test run executes on one CPU
 * with migration disabled and bench_ingest never runs two at once, so the
 * plain read-modify-write of next_seq has no concurrent writer.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "rfm_shared.h"
#include "ingest_gen.h"

/* Resized by user space before load (bench_ingest -R). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1U << 20);
} events SEC(".maps");

/* Flow indexes drawn from Zipf(s) by user space, which mmaps this map. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, BENCH_POOL_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} pool SEC(".maps");

__u32 mode;	 /* enum bench_gen_mode */
__u32 nflows;	 /* flows to draw from, 1 .. BENCH_GEN_MAX_FLOWS */
__u32 next_seq;	 /* next flow of BENCH_GEN_SEQUENTIAL */
__u64 produced;	 /* records submitted */
__u64 ring_full; /* bpf_ringbuf_reserve() failed: record lost */

SEC("tc")
int produce(struct __sk_buff *skb __attribute__((unused)))
{
	__u32 r = bpf_get_prandom_u32(), n = nflows, idx = 0, k;
	struct rfm_event *ev;
	__u32 *slot;

	if (n == 0)
		return RFM_TC_NEXT;
	switch (mode) {
	case BENCH_GEN_SEQUENTIAL:
		idx = next_seq;
		next_seq = idx + 1 >= n ? 0 : idx + 1;
		break;
	case BENCH_GEN_UNIFORM:
		idx = r % n;
		break;
	default:
		k = r & (BENCH_POOL_SIZE - 1);
		slot = bpf_map_lookup_elem(&pool, &k);
		if (slot)
			idx = *slot;
		break;
	}

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		__sync_fetch_and_add(&ring_full, 1);
		return RFM_TC_NEXT;
	}
	bench_gen_event(ev, idx, bpf_get_prandom_u32());
	ev->tstamp_ns = bpf_ktime_get_boot_ns();
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	__sync_fetch_and_add(&produced, 1);
	return RFM_TC_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
