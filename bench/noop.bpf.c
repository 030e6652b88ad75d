// SPDX-License-Identifier: GPL-2.0-only
/*
 * noop.bpf.c - the baseline of bench_classifier: a TC program that does
 * nothing but pass the packet on, as rfm's classifier does (TCX_NEXT). Its
 * BPF_PROG_TEST_RUN time is the fixed cost of the harness (program call,
 * return thunks under Spectre mitigations, the test-run loop), which every
 * rfm figure is divided by.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "rfm_shared.h"

SEC("tc")
int noop_tc(struct __sk_buff *skb __attribute__((unused)))
{
	return RFM_TC_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
