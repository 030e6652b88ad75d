/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * bench_classifier.c - what rfm's TC classifier costs per packet, measured
 * with BPF_PROG_TEST_RUN against a no-op TC program in the same run.
 *
 * Every figure is the kernel's own average over one call's repeats
 * (bpf_test_run_opts.duration, ns per run). Each repetition runs every
 * variant in turn, in rounds whose order rotates; the table gives
 * min/median/max over the repetitions and the ratio of the median to the
 * no-op median. The ring buffer is drained after every call,
 * outside the timed part. The run happens in a private network namespace
 * of its own (its loopback is the test runs' ifindex 1; the FIB row gets
 * forwarding and routes there). Not a test: it prints figures; the exit
 * status is 1 when a row does not measure what it claims (see README.md).
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespace).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "noop.skel.h"

#include "bench_util.h"

/* BPF_PROG_TEST_RUN gives the skb the loopback device of the namespace. */
#define BENCH_IFINDEX	   1
#define BENCH_RING_BYTES   (64U << 20)
#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 7
#define BENCH_DEFAULT_RUNS 400000U
/*
 * Runs per turn of a variant, and per timed call. At N = 1 every run writes
 * a 96-byte ring record (88 + 8 header): a call of 10000 runs fills 0.9 MiB
 * of the 64 MiB ring, drained before the next call.
 */
#define BENCH_BATCH	  20000U
#define BENCH_BATCH_EVERY 10000U
_Static_assert(BENCH_BATCH % BENCH_BATCH_EVERY == 0, "a turn is whole calls");

/*
 * The FIB row's routing: a veth router link in the private namespace, the
 * frames' destination routed over it, IPv4 forwarding on (bpf_fib_lookup()
 * returns BPF_FIB_LKUP_RET_FWD_DISABLED before any lookup otherwise).
 */
static const char *const bench_fib_setup[][10] = {
	{"ip", "link", "set", "lo", "up", NULL},
	{"ip", "link", "add", "rfmb0", "type", "veth", "peer", "name", "rfmb1", NULL},
	{"ip", "link", "set", "rfmb0", "up", NULL},
	{"ip", "link", "set", "rfmb1", "up", NULL},
	{"ip", "address", "add", "192.0.2.1/24", "dev", "rfmb0", NULL},
	{"ip", "route", "add", "198.18.0.0/15", "via", "192.0.2.2", "dev", "rfmb0", NULL},
	{"ip", "route", "add", "default", "via", "192.0.2.254", "dev", "rfmb0", NULL},
};

/* A row whose (max - min) / median exceeds this makes the run suspect. */
#define BENCH_NOISY 0.15

/*
 * Involuntary context switches above which another task shared the CPU:
 * its cache footprint slows the map-heavy rfm rows more than the no-op.
 */
#define BENCH_PREEMPTED 50

/* Targets of the classifier, as ratios to the no-op program. */
#define BENCH_TARGET_N100 1.6
#define BENCH_TARGET_N1	  4.5

/* Test addresses: RFC 2544 benchmarking (198.18.0.0/15), RFC 3849 (2001:db8::/32). */
static const guint8 bench_v4_src[4] = {198, 18, 0, 1};
static const guint8 bench_v4_dst[4] = {198, 19, 0, 1};
static const guint8 bench_v6_src[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const guint8 bench_v6_dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
#define BENCH_SPORT	 40000
#define BENCH_TCP_DPORT	 443
#define BENCH_UDP_DPORT	 53
#define BENCH_VLAN_OUTER 100
#define BENCH_VLAN_INNER 200
#define BENCH_PAYLOAD	 64 /* L4 payload octets */

enum bench_frame {
	BENCH_FRAME_V4_TCP,
	BENCH_FRAME_V6_UDP,
	BENCH_FRAME_VLAN_V4_TCP,
	BENCH_FRAME_QINQ_V4_TCP,
	BENCH_FRAME_MAX,
};

static const char *const bench_frame_names[BENCH_FRAME_MAX] = {
	[BENCH_FRAME_V4_TCP] = "IPv4 TCP",
	[BENCH_FRAME_V6_UDP] = "IPv6 UDP",
	[BENCH_FRAME_VLAN_V4_TCP] = "802.1Q + IPv4 TCP",
	[BENCH_FRAME_QINQ_V4_TCP] = "QinQ (0x88a8 + 0x8100) + IPv4 TCP",
};

/* DOC: one hand-built Ethernet frame; ip_len is what rfm must report as octets. */
struct bench_packet {
	guint8 data[256];
	guint32 len;
	guint32 ip_len;
};

/*
 * DOC: one row of the table: a program, a frame and the interface settings
 * it runs with. Owned by struct bench. ns holds one figure per recorded
 * repetition (owned); the totals cover the recorded repetitions only.
 */
struct bench_variant {
	const char *name;    /* static */
	const char *n_label; /* static */
	enum bench_frame frame;
	bool noop; /* the baseline program, not rfm's */
	struct rfm_if_settings settings;
	guint32 batch; /* runs per timed call */
	double *ns;
	guint64 runs;
	guint64 stats[RFM_STAT_MAX]; /* deltas of rfm_stats */
	guint64 drained;	     /* events read from the ring */
	guint64 mismatched;	     /* drained events that do not describe the frame */
	guint64 next_hop;	     /* drained events with RFM_EV_NEXT_HOP */
};

/* DOC: the whole benchmark, owned by main(). */
struct bench {
	struct rfm_datapath *dp; /* owned */
	struct noop *noop;	 /* owned */
	struct bench_packet packets[BENCH_FRAME_MAX];
	struct bench_variant *variants; /* owned, nvariants entries */
	guint nvariants;
	struct bench_variant *current; /* borrowed: where drained events are counted, or NULL */
	guint reps;
	guint64 runs_per_variant;
	int cpu;
	bool netns;	     /* running in a private network namespace */
	long preempted;	     /* involuntary context switches during the recorded repetitions */
	char fib_state[160]; /* how the FIB row's routing was set up */
};

static guint8 *put16(guint8 *p, guint16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
	return p + 2;
}

static guint8 *put32(guint8 *p, guint32 v)
{
	p = put16(p, v >> 16);
	return put16(p, v & 0xffff);
}

/* RFC 1071 one's complement sum of 16-bit big-endian words. */
static guint32 csum_add(guint32 sum, const guint8 *p, gsize len)
{
	for (gsize i = 0; i + 1 < len; i += 2)
		sum += ((guint32)p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += (guint32)p[len - 1] << 8;
	return sum;
}

static guint16 csum_fold(guint32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * Ethernet, optional 802.1Q tag or 802.1ad + 802.1Q tags (IEEE 802.1Q-2018
 * section 9), then IPv4 (RFC 791) + TCP (RFC 9293) or IPv6 (RFC 8200) + UDP
 * (RFC 768) with BENCH_PAYLOAD octets of payload and valid checksums.
 */
static void bench_packet_build(enum bench_frame kind, struct bench_packet *pkt)
{
	static const guint8 macs[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
	bool v6 = kind == BENCH_FRAME_V6_UDP;
	guint8 *p = pkt->data, *l3, *l4;
	guint32 l4_len = (v6 ? 8 : 20) + BENCH_PAYLOAD, sum;

	memset(pkt, 0, sizeof(*pkt));
	memcpy(p, macs, sizeof(macs));
	p += sizeof(macs);
	if (kind == BENCH_FRAME_QINQ_V4_TCP) {
		p = put16(p, 0x88a8);
		p = put16(p, BENCH_VLAN_OUTER);
		p = put16(p, 0x8100);
		p = put16(p, BENCH_VLAN_INNER);
	} else if (kind == BENCH_FRAME_VLAN_V4_TCP) {
		p = put16(p, 0x8100);
		p = put16(p, BENCH_VLAN_OUTER);
	}
	p = put16(p, v6 ? 0x86dd : 0x0800);

	l3 = p;
	if (v6) {
		p = put32(p, 0x60000000); /* version 6, traffic class 0, flow label 0 */
		p = put16(p, l4_len);
		*p++ = IPPROTO_UDP;
		*p++ = 64; /* hop limit */
		memcpy(p, bench_v6_src, 16);
		memcpy(p + 16, bench_v6_dst, 16);
		p += 32;
		pkt->ip_len = 40 + l4_len;
	} else {
		*p++ = 0x45; /* version 4, IHL 5 */
		*p++ = 0;    /* DSCP, ECN */
		p = put16(p, 20 + l4_len);
		p = put16(p, 1);      /* identification */
		p = put16(p, 0x4000); /* DF */
		*p++ = 64;	      /* TTL */
		*p++ = IPPROTO_TCP;
		p += 2; /* checksum, below */
		memcpy(p, bench_v4_src, 4);
		memcpy(p + 4, bench_v4_dst, 4);
		p += 8;
		put16(l3 + 10, csum_fold(csum_add(0, l3, 20)));
		pkt->ip_len = 20 + l4_len;
	}

	l4 = p;
	p = put16(p, BENCH_SPORT);
	if (v6) {
		p = put16(p, BENCH_UDP_DPORT);
		p = put16(p, l4_len);
		p += 2; /* checksum, below */
	} else {
		p = put16(p, BENCH_TCP_DPORT);
		p = put32(p, 1); /* sequence number */
		p = put32(p, 1); /* acknowledgment number */
		*p++ = 5 << 4;	 /* data offset: 20 octets */
		*p++ = 0x18;	 /* PSH + ACK */
		p = put16(p, 65535);
		p += 4; /* checksum (below), urgent pointer */
	}
	for (int i = 0; i < BENCH_PAYLOAD; i++)
		*p++ = i;

	/* Pseudo-header: RFC 9293 section 3.1, RFC 8200 section 8.1. */
	sum = v6 ? csum_add(0, l3 + 8, 32) : csum_add(0, l3 + 12, 8);
	sum += (v6 ? IPPROTO_UDP : IPPROTO_TCP) + l4_len;
	sum = csum_fold(csum_add(sum, l4, l4_len));
	if (v6 && sum == 0)
		sum = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	put16(l4 + (v6 ? 6 : 16), sum);
	pkt->len = p - pkt->data;
}

/* Whether a drained event describes the frame the variant sent. */
static bool bench_event_matches(const struct rfm_event *ev, enum bench_frame kind,
				const struct bench_packet *pkt)
{
	bool v6 = kind == BENCH_FRAME_V6_UDP;
	guint8 flags = 0;

	if (kind == BENCH_FRAME_VLAN_V4_TCP)
		flags = RFM_EV_VLAN_OUTER;
	else if (kind == BENCH_FRAME_QINQ_V4_TCP)
		flags = RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER;
	if ((ev->flags & (RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER)) != flags)
		return false;
	if ((flags & RFM_EV_VLAN_OUTER) && ev->vlan_outer != BENCH_VLAN_OUTER)
		return false;
	if ((flags & RFM_EV_VLAN_INNER) && ev->vlan_inner != BENCH_VLAN_INNER)
		return false;
	if (ev->ifindex != BENCH_IFINDEX || ev->direction != RFM_DIR_INGRESS || ev->packets != 1 ||
	    ev->octets != pkt->ip_len || ev->src_port != BENCH_SPORT)
		return false;
	if (v6)
		return ev->ip_version == 6 && ev->protocol == IPPROTO_UDP &&
		       ev->dst_port == BENCH_UDP_DPORT &&
		       memcmp(ev->src_addr, bench_v6_src, 16) == 0 &&
		       memcmp(ev->dst_addr, bench_v6_dst, 16) == 0;
	return ev->ip_version == 4 && ev->protocol == IPPROTO_TCP &&
	       ev->dst_port == BENCH_TCP_DPORT && ev->tcp_flags == 0x18 &&
	       memcmp(ev->src_addr, bench_v4_src, 4) == 0 &&
	       memcmp(ev->dst_addr, bench_v4_dst, 4) == 0;
}

static void bench_on_event(const struct rfm_event *ev, void *user_data)
{
	struct bench *b = user_data;
	struct bench_variant *v = b->current;

	if (!v)
		return;
	v->drained++;
	if (!bench_event_matches(ev, v->frame, &b->packets[v->frame]))
		v->mismatched++;
	if (ev->flags & RFM_EV_NEXT_HOP)
		v->next_hop++;
}

static void bench_variant_add(struct bench *b, const char *name, const char *n_label,
			      enum bench_frame frame, bool noop, guint32 rate,
			      enum rfm_sample_mode mode, bool fib)
{
	struct bench_variant *v = &b->variants[b->nvariants++];

	v->name = name;
	v->n_label = n_label;
	v->frame = frame;
	v->noop = noop;
	v->settings.sample_rate = rate;
	v->settings.sample_mode = mode;
	v->settings.fib_lookup = fib;
	v->settings.l3_device = false;
	v->batch = rate == 1 ? BENCH_BATCH_EVERY : BENCH_BATCH;
	v->ns = g_new0(double, b->reps);
}

/* The rows of the table, in the order they are printed. */
static void bench_variants_init(struct bench *b)
{
	b->variants = g_new0(struct bench_variant, 2 + 4 * BENCH_FRAME_MAX);
	bench_variant_add(b, "no-op program (baseline)", "-", BENCH_FRAME_V4_TCP, true, 0,
			  RFM_SAMPLE_RANDOM, false);
	for (int f = 0; f < BENCH_FRAME_MAX; f++) {
		const char *name = bench_frame_names[f];

		bench_variant_add(b, name, "0 (counters only)", f, false, 0, RFM_SAMPLE_RANDOM,
				  false);
		bench_variant_add(b, name, "100 (systematic)", f, false, 100, RFM_SAMPLE_SYSTEMATIC,
				  false);
		bench_variant_add(b, name, "100 (random)", f, false, 100, RFM_SAMPLE_RANDOM, false);
		bench_variant_add(b, name, "1 (ring drained)", f, false, 1, RFM_SAMPLE_RANDOM,
				  false);
	}
	bench_variant_add(b, "IPv4 TCP, **fib_lookup on**", "1 (ring drained)", BENCH_FRAME_V4_TCP,
			  false, 1, RFM_SAMPLE_RANDOM, true);
}

/* Empty the ring buffer (outside any timed call). Returns 0 or -errno. */
static int bench_drain(struct bench *b)
{
	int n = rfm_datapath_drain(b->dp);

	if (n < 0) {
		fprintf(stderr, "bench_classifier: draining the ring buffer: %s\n", g_strerror(-n));
		return n;
	}
	return 0;
}

/*
 * One turn of variant v: BENCH_BATCH runs, as one timed call or (at N = 1)
 * as calls of v->batch runs with the ring drained between them. Adds the
 * calls' kernel-reported ns per run to *sum and their count to *calls.
 * Returns 0 or -errno.
 */
static int bench_variant_turn(struct bench *b, struct bench_variant *v, bool record, guint64 *sum,
			      guint64 *calls)
{
	const struct bench_packet *pkt = &b->packets[v->frame];
	guint64 before[RFM_STAT_MAX], after[RFM_STAT_MAX];
	g_autoptr(GError) error = NULL;
	int fd, err;

	if (v->noop) {
		fd = bpf_program__fd(b->noop->progs.noop_tc);
	} else {
		if (!rfm_datapath_configure(b->dp, BENCH_IFINDEX, RFM_DIR_INGRESS, &v->settings,
					    &error)) {
			fprintf(stderr, "bench_classifier: %s\n", error->message);
			return -EINVAL;
		}
		fd = rfm_datapath_prog_fd(b->dp, RFM_DIR_INGRESS);
	}
	err = bench_drain(b);
	if (err)
		return err;
	rfm_datapath_read_stats(b->dp, before);
	b->current = record ? v : NULL;

	for (guint32 done = 0; done < BENCH_BATCH && !err; done += v->batch) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt->data, .data_size_in = pkt->len,
			    .repeat = v->batch);

		err = bpf_prog_test_run_opts(fd, &opts);
		if (err) {
			fprintf(stderr, "bench_classifier: BPF_PROG_TEST_RUN: %s\n",
				g_strerror(-err));
		} else if ((int)opts.retval != RFM_TC_NEXT) {
			fprintf(stderr, "bench_classifier: %s returned %d, not TCX_NEXT\n", v->name,
				(int)opts.retval);
			err = -EPROTO;
		} else {
			*sum += opts.duration;
			*calls += 1;
			err = bench_drain(b);
		}
	}
	b->current = NULL;
	if (err)
		return err;

	if (record) {
		rfm_datapath_read_stats(b->dp, after);
		for (int s = 0; s < RFM_STAT_MAX; s++)
			v->stats[s] += after[s] - before[s];
		v->runs += BENCH_BATCH;
	}
	return 0;
}

/*
 * Write the whole ring once before anything is measured. The first write
 * to each ring page is slow: on the development VM a fresh 64 MiB ring
 * cost about 200 ns per event on its first pass and 72 ns once wrapped,
 * about 5 us per 4 KiB page, likely the hypervisor backing guest memory on
 * first touch. The daemon pays that once; the figures are for the steady
 * state. Returns 0 or -errno.
 */
static int bench_ring_prefault(struct bench *b)
{
	struct rfm_if_settings every = {.sample_rate = 1, .sample_mode = RFM_SAMPLE_RANDOM};
	const struct bench_packet *pkt = &b->packets[BENCH_FRAME_V4_TCP];
	guint64 runs = BENCH_RING_BYTES / sizeof(struct rfm_event) + BENCH_BATCH_EVERY;
	g_autoptr(GError) error = NULL;
	int fd, err;

	if (!rfm_datapath_configure(b->dp, BENCH_IFINDEX, RFM_DIR_INGRESS, &every, &error)) {
		fprintf(stderr, "bench_classifier: %s\n", error->message);
		return -EINVAL;
	}
	fd = rfm_datapath_prog_fd(b->dp, RFM_DIR_INGRESS);
	for (guint64 done = 0; done < runs; done += BENCH_BATCH_EVERY) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt->data, .data_size_in = pkt->len,
			    .repeat = BENCH_BATCH_EVERY);

		err = bpf_prog_test_run_opts(fd, &opts);
		if (err) {
			fprintf(stderr, "bench_classifier: BPF_PROG_TEST_RUN: %s\n",
				g_strerror(-err));
			return err;
		}
		err = bench_drain(b);
		if (err)
			return err;
	}
	return 0;
}

static guint bench_rounds(const struct bench *b)
{
	return MAX(1, b->runs_per_variant / BENCH_BATCH);
}

/*
 * One repetition: runs_per_variant / BENCH_BATCH rounds, each giving
 * every variant one turn, starting one variant later than the round
 * before. Interleaving turns of a millisecond or so spreads a disturbed
 * stretch of time over all variants instead of charging it to one. A
 * variant's figure for the repetition is the mean over its calls.
 */
static int bench_repetition(struct bench *b, guint rep, bool record)
{
	guint rounds = bench_rounds(b);
	g_autofree guint64 *sum = g_new0(guint64, b->nvariants);
	g_autofree guint64 *calls = g_new0(guint64, b->nvariants);

	for (guint r = 0; r < rounds; r++) {
		for (guint k = 0; k < b->nvariants; k++) {
			guint i = (rep * rounds + r + k) % b->nvariants;
			int err =
				bench_variant_turn(b, &b->variants[i], record, &sum[i], &calls[i]);

			if (err)
				return err;
		}
	}
	for (guint i = 0; record && i < b->nvariants; i++)
		b->variants[i].ns[rep] = (double)sum[i] / calls[i];
	return 0;
}

static const struct bench_variant *bench_find(const struct bench *b, enum bench_frame frame,
					      guint32 rate, enum rfm_sample_mode mode)
{
	for (guint i = 0; i < b->nvariants; i++) {
		const struct bench_variant *v = &b->variants[i];

		if (!v->noop && !v->settings.fib_lookup && v->frame == frame &&
		    v->settings.sample_rate == rate && v->settings.sample_mode == mode)
			return v;
	}
	g_assert_not_reached();
}

static void bench_print_header(const struct bench *b)
{
	struct utsname u;

	if (uname(&u) < 0)
		strcpy(u.release, "?");
	printf("# rfm classifier: ns per packet, BPF_PROG_TEST_RUN\n\n");
	printf("Kernel %s, pinned to CPU %d; %u repetitions after one warm-up. A repetition is %u "
	       "rounds; a round gives every variant one turn of %u runs (one call; %u calls of %u "
	       "at N = 1), starting one variant later than the round before.\n",
	       u.release, b->cpu, b->reps, bench_rounds(b), BENCH_BATCH,
	       BENCH_BATCH / BENCH_BATCH_EVERY, BENCH_BATCH_EVERY);
	printf("Figures: kernel-reported mean ns per run of each call (opts.duration), "
	       "min/median/max over repetitions; x no-op = median / no-op median.\n");
	printf("rfm: ingress program, ifindex %d (lo%s), fib_lookup **off** except in the row that "
	       "says on; ring buffer %u MiB, drained after every call outside the timed part.\n",
	       BENCH_IFINDEX, b->netns ? " of a private network namespace" : "",
	       BENCH_RING_BYTES >> 20);
	printf("FIB row: %s.\n", b->fib_state);
	printf("Frames (bytes on the wire without FCS):");
	for (int f = 0; f < BENCH_FRAME_MAX; f++)
		printf("%s %s %u", f ? "," : "", bench_frame_names[f], b->packets[f].len);
	printf(".\n\n");
}

static void bench_print_table(const struct bench *b, double noop_median)
{
	const struct bench_variant *widest = &b->variants[0];
	double spread = 0;

	printf("| variant | N | min ns | median ns | max ns | x no-op |\n");
	printf("|---|---|---:|---:|---:|---:|\n");
	for (guint i = 0; i < b->nvariants; i++) {
		const struct bench_variant *v = &b->variants[i];
		struct bench_summary s = bench_summarise(v->ns, b->reps);

		printf("| %s | %s | %.1f | %.1f | %.1f | %.2f |\n", v->name, v->n_label, s.min,
		       s.median, s.max, s.median / noop_median);
		if ((s.max - s.min) / s.median > spread) {
			spread = (s.max - s.min) / s.median;
			widest = v;
		}
	}
	printf("\nWidest spread: (max - min) / median = %.0f %% (%s, N = %s)%s\n", 100 * spread,
	       widest->name, widest->n_label,
	       spread > BENCH_NOISY ? ": some repetitions were disturbed; medians resist a few, "
				      "rerun if two runs disagree"
				    : "");
	printf("Involuntary context switches during the recorded repetitions: %ld%s\n\n",
	       b->preempted,
	       b->preempted > BENCH_PREEMPTED
		       ? ": other tasks shared this CPU and may have inflated the figures "
			 "(ratios too); rerun on a quiet machine"
		       : "");
}

/*
 * What the program did during the recorded runs. Returns false when a
 * figure does not measure what its row claims (the ring filled at N = 1,
 * events lost or malformed, the interface configuration not found).
 */
static bool bench_print_checks(const struct bench *b)
{
	bool valid = true;

	printf("Data-path statistics over the recorded runs (rfm_stats deltas; drained = events "
	       "read back, matching = drained events whose fields describe the frame):\n\n");
	printf("| variant | N | runs | sampled | events | ringbuf_full | drained | matching | "
	       "next hop | other stats |\n");
	printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
	for (guint i = 0; i < b->nvariants; i++) {
		const struct bench_variant *v = &b->variants[i];
		g_autoptr(GString) other = g_string_new(NULL);
		bool ok = true;

		if (v->noop)
			continue;
		for (int s = RFM_STAT_NOT_IP; s < RFM_STAT_MAX; s++) {
			if (v->stats[s])
				g_string_append_printf(other, "%s%s=%" G_GUINT64_FORMAT,
						       other->len ? " " : "", rfm_stat_name(s),
						       v->stats[s]);
		}
		if (v->stats[RFM_STAT_RINGBUF_FULL] || other->len || v->mismatched ||
		    v->drained != v->stats[RFM_STAT_EVENTS] ||
		    v->stats[RFM_STAT_EVENTS] != v->stats[RFM_STAT_SAMPLED])
			ok = false;
		if (v->settings.sample_rate == 1 && v->stats[RFM_STAT_SAMPLED] != v->runs)
			ok = false;
		if (v->settings.sample_rate == 0 && v->stats[RFM_STAT_SAMPLED] != 0)
			ok = false;
		if (v->settings.fib_lookup && v->next_hop != v->drained)
			ok = false;
		valid = valid && ok;
		printf("| %s | %s | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
		       " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT
		       " | %" G_GUINT64_FORMAT " | %" G_GUINT64_FORMAT " | %s%s |\n",
		       v->name, v->n_label, v->runs, v->stats[RFM_STAT_SAMPLED],
		       v->stats[RFM_STAT_EVENTS], v->stats[RFM_STAT_RINGBUF_FULL], v->drained,
		       v->drained - v->mismatched, v->next_hop, other->len ? other->str : "-",
		       ok ? "" : " **INVALID**");
	}
	printf("\n");
	return valid;
}

static void bench_print_targets(const struct bench *b, double noop_median)
{
	const struct bench_variant *v100 =
		bench_find(b, BENCH_FRAME_V4_TCP, 100, RFM_SAMPLE_RANDOM);
	const struct bench_variant *v1 = bench_find(b, BENCH_FRAME_V4_TCP, 1, RFM_SAMPLE_RANDOM);
	double n100 = bench_summarise(v100->ns, b->reps).median;
	double n1 = bench_summarise(v1->ns, b->reps).median;
	guint64 full = 0;

	for (guint i = 0; i < b->nvariants; i++) {
		if (b->variants[i].settings.sample_rate == 1)
			full += b->variants[i].stats[RFM_STAT_RINGBUF_FULL];
	}
	printf("RFM_STAT_RINGBUF_FULL over all N = 1 rows: %" G_GUINT64_FORMAT "%s\n\n", full,
	       full ? " (the ring filled: the N = 1 figures are not valid)" : " (ring never full)");
	printf("Targets: IPv4 TCP at N=100 <= %.1fx no-op; at N=1 <= %.1fx\n", BENCH_TARGET_N100,
	       BENCH_TARGET_N1);
	printf("- IPv4 TCP, N = 100 (random, the default): %.2fx: %s\n", n100 / noop_median,
	       n100 / noop_median <= BENCH_TARGET_N100 ? "met" : "NOT met");
	printf("- IPv4 TCP, N = 1: %.2fx: %s\n", n1 / noop_median,
	       n1 / noop_median <= BENCH_TARGET_N1 ? "met" : "NOT met");
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * Move into a private network namespace: BPF_PROG_TEST_RUN runs on its
 * loopback device (ifindex 1 whatever the host has), and the FIB row can
 * have forwarding and routes without touching the host's settings. The
 * namespace and its veth pair go away with the process.
 */
static void bench_netns_setup(struct bench *b)
{
	int err;

	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(b->fib_state, sizeof(b->fib_state),
			 "no private network namespace (%s): FIB row measures the host's routing",
			 g_strerror(errno));
		return;
	}
	b->netns = true;
	for (gsize i = 0; i < G_N_ELEMENTS(bench_fib_setup); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *err_text = NULL;
		int status;

		if (!g_spawn_sync(NULL, (char **)bench_fib_setup[i], NULL,
				  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
				  NULL, &err_text, &status, &error) ||
		    !g_spawn_check_wait_status(status, &error)) {
			snprintf(b->fib_state, sizeof(b->fib_state),
				 "routing not set up (ip %s %s: %s)", bench_fib_setup[i][1],
				 bench_fib_setup[i][2],
				 err_text && *err_text ? g_strstrip(err_text) : error->message);
			return;
		}
	}
	err = write_file("/proc/sys/net/ipv4/conf/all/forwarding", "1");
	if (err) {
		snprintf(b->fib_state, sizeof(b->fib_state),
			 "routing not set up (IPv4 forwarding: %s)", g_strerror(-err));
		return;
	}
	snprintf(b->fib_state, sizeof(b->fib_state),
		 "private namespace, IPv4 forwarding on, 198.18.0.0/15 and default routed "
		 "via a veth");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_classifier [-r REPS] [-n RUNS] [-c CPU]\n"
		"  -r REPS  repetitions, each runs every variant once (>= %d, default %d)\n"
		"  -n RUNS  program runs per variant per repetition (default %u)\n"
		"  -c CPU   CPU to pin to (default: the highest allowed CPU)\n",
		BENCH_MIN_REPS, BENCH_DEFAULT_REPS, BENCH_DEFAULT_RUNS);
}

int main(int argc, char **argv)
{
	struct rfm_datapath_options dopts = RFM_DATAPATH_OPTIONS_INIT;
	g_autoptr(GError) error = NULL;
	struct bench b = {
		.reps = BENCH_DEFAULT_REPS,
		.runs_per_variant = BENCH_DEFAULT_RUNS,
		.cpu = -1,
	};
	long nivcsw0;
	unsigned long long val;
	double noop_median;
	int opt, err, rc = 1;
	bool valid;

	while ((opt = getopt(argc, argv, "r:n:c:h")) != -1) {
		switch (opt) {
		case 'r':
			if (!bench_parse_uint(optarg, BENCH_MIN_REPS, 1000, &val)) {
				fprintf(stderr, "bench_classifier: -r wants %d..1000\n",
					BENCH_MIN_REPS);
				return 2;
			}
			b.reps = val;
			break;
		case 'n':
			if (!bench_parse_uint(optarg, BENCH_BATCH, 1000000000, &val)) {
				fprintf(stderr, "bench_classifier: -n wants %u..1000000000\n",
					BENCH_BATCH);
				return 2;
			}
			b.runs_per_variant = val;
			break;
		case 'c':
			if (!bench_parse_uint(optarg, 0, CPU_SETSIZE - 1, &val)) {
				fprintf(stderr, "bench_classifier: -c wants a CPU number\n");
				return 2;
			}
			b.cpu = val;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	err = bench_pin_cpu(b.cpu, &b.cpu);
	if (err) {
		fprintf(stderr, "bench_classifier: cannot pin to a CPU: %s\n", g_strerror(-err));
		return 1;
	}
	bench_netns_setup(&b);
	for (int f = 0; f < BENCH_FRAME_MAX; f++)
		bench_packet_build(f, &b.packets[f]);
	bench_variants_init(&b);

	dopts.ring_bytes = BENCH_RING_BYTES;
	b.dp = rfm_datapath_new(&dopts, bench_on_event, &b, &error);
	if (!b.dp) {
		fprintf(stderr, "bench_classifier: %s\n", error->message);
		goto out;
	}
	b.noop = noop__open_and_load();
	if (!b.noop) {
		fprintf(stderr, "bench_classifier: cannot load the no-op program: %s\n",
			g_strerror(errno));
		goto out;
	}

	if (bench_ring_prefault(&b) || bench_repetition(&b, 0, false))
		goto out;
	nivcsw0 = bench_involuntary_switches();
	for (guint rep = 0; rep < b.reps; rep++) {
		if (bench_repetition(&b, rep, true))
			goto out;
	}
	b.preempted = bench_involuntary_switches() - nivcsw0;

	noop_median = bench_summarise(b.variants[0].ns, b.reps).median;
	bench_print_header(&b);
	bench_print_table(&b, noop_median);
	valid = bench_print_checks(&b);
	bench_print_targets(&b, noop_median);
	if (!valid)
		printf("\nSome rows are **INVALID**: see the statistics above.\n");
	rc = valid ? 0 : 1;

out:
	noop__destroy(b.noop);
	rfm_datapath_free(b.dp);
	for (guint i = 0; i < b.nvariants; i++)
		g_free(b.variants[i].ns);
	g_free(b.variants);
	return rc;
}
