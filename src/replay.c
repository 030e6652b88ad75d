// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * replay.c - owns libpcap: reads captures, converts their link layer to
 * Ethernet, runs each frame through the classifier with BPF_PROG_TEST_RUN
 * and feeds the events to a flow table on capture time.
 *
 * Each test run emits at most one event (a captured packet is one skb with
 * gso_segs 0), and the ring is drained after every run, so an event always
 * belongs to the packet just run and the ring never fills.
 */
#define _GNU_SOURCE
#include "replay.h"

#include <dlfcn.h>
#include <sched.h>
#include <string.h>

#include <pcap.h>

#include "datapath.h"

#define ETH_HLEN_      14
#define ETH_P_IP_      0x0800
#define ETH_P_IPV6_    0x86dd
#define ETH_P_8021Q_   0x8100
#define ETH_P_8021AD_  0x88a8
#define LINKTYPE_RAW_  101 /* what DLT_RAW is called in files; libpcap maps it */
#define SLL_HDR_LEN    16  /* DLT_LINUX_SLL: protocol in octets 14-15 */
#define SLL2_HDR_LEN   20  /* DLT_LINUX_SLL2: protocol in octets 0-1 */
#define REPLAY_IFINDEX 1   /* test runs get loopback's skb; its config entry */

GQuark rfm_replay_error_quark(void)
{
	return g_quark_from_static_string("rfm-replay-error-quark");
}

bool rfm_replay_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case LINKTYPE_RAW_:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

static guint16 get_be16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

/*
 * An Ethernet header with zero MACs and ethertype, then the L3 packet: l3_cap
 * octets captured of l3_wire on the wire.
 */
static bool frame_from_l3(struct rfm_replay_frame *f, guint16 ethertype, const guint8 *l3,
			  guint32 l3_cap, guint32 l3_wire)
{
	guint32 n = MIN(l3_cap, (guint32)RFM_REPLAY_FRAME_MAX - ETH_HLEN_);

	memset(f->data, 0, 12);
	f->data[12] = ethertype >> 8;
	f->data[13] = ethertype & 0xff;
	memcpy(f->data + ETH_HLEN_, l3, n);
	f->len = ETH_HLEN_ + n;
	f->wire_len = l3_wire > G_MAXUINT32 - ETH_HLEN_ ? G_MAXUINT32 : ETH_HLEN_ + l3_wire;
	return true;
}

bool rfm_replay_frame_build(struct rfm_replay_frame *f, int dlt, const guint8 *pkt, guint32 caplen,
			    guint32 wire_len)
{
	f->len = 0;
	f->wire_len = 0;
	/* A file may claim fewer octets on the wire than it captured. */
	wire_len = MAX(wire_len, caplen);

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HLEN_)
			return false;
		f->len = MIN(caplen, (guint32)RFM_REPLAY_FRAME_MAX);
		memcpy(f->data, pkt, f->len);
		f->wire_len = wire_len;
		return true;
	case DLT_RAW:
	case LINKTYPE_RAW_:
	case DLT_IPV4:
	case DLT_IPV6:
		/* No link header: the version nibble says what follows. */
		if (caplen < 1)
			return false;
		if (pkt[0] >> 4 == 4)
			return frame_from_l3(f, ETH_P_IP_, pkt, caplen, wire_len);
		if (pkt[0] >> 4 == 6)
			return frame_from_l3(f, ETH_P_IPV6_, pkt, caplen, wire_len);
		return false;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return false;
		return frame_from_l3(f, get_be16(pkt + 14), pkt + SLL_HDR_LEN, caplen - SLL_HDR_LEN,
				     wire_len - SLL_HDR_LEN);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return false;
		return frame_from_l3(f, get_be16(pkt), pkt + SLL2_HDR_LEN, caplen - SLL2_HDR_LEN,
				     wire_len - SLL2_HDR_LEN);
	default:
		return false;
	}
}

guint32 rfm_replay_frame_ip_octets(const struct rfm_replay_frame *f)
{
	guint32 off = ETH_HLEN_, wire_ip, ip_len;
	guint16 proto;

	if (f->len < ETH_HLEN_)
		return 0;
	proto = get_be16(f->data + 12);
	/* The tags the classifier skips (IEEE 802.1Q, 802.1ad). */
	for (int i = 0; i < RFM_MAX_VLAN_TAGS && (proto == ETH_P_8021Q_ || proto == ETH_P_8021AD_);
	     i++) {
		if (off + 4 > f->len)
			return 0;
		proto = get_be16(f->data + off + 2);
		off += 4;
	}
	if (f->wire_len <= off)
		return 0;
	wire_ip = f->wire_len - off;
	if (proto == ETH_P_IP_) {
		/* RFC 791 section 3.1: total length, octets 2-3. */
		if (off + 4 > f->len || f->data[off] >> 4 != 4)
			return 0;
		ip_len = get_be16(f->data + off + 2);
	} else if (proto == ETH_P_IPV6_) {
		/* RFC 8200 section 3: payload length, octets 4-5, after 40 octets. */
		if (off + 6 > f->len || f->data[off] >> 4 != 6)
			return 0;
		ip_len = get_be16(f->data + off + 4);
		if (ip_len == 0) /* RFC 2675 jumbogram */
			return wire_ip;
		ip_len += 40;
	} else {
		return 0;
	}
	return MIN(ip_len, wire_ip);
}

/* DOC: state of one rfm_replay_files() call, on its stack. All pointers borrowed. */
struct replay {
	const struct rfm_replay_options *o;
	struct rfm_flow_table *table;
	struct rfm_replay_stats *stats;
	struct rfm_datapath *dp;
	guint64 now_ms;	    /* capture time of the packet being run */
	guint32 cut_octets; /* IP octets of the packet being run if cut, else 0 */
	bool have_time;	    /* now_ms holds a packet's time */
	bool run_warned;    /* a test-run error has been logged */
};

static void on_event(const struct rfm_event *ev, void *user_data)
{
	struct replay *r = user_data;
	struct rfm_event e = *ev;

	e.ifindex = r->o->ifindex;
	/* A capture does not say where a packet came from or went. */
	e.other_ifindex = 0;
	if (r->cut_octets)
		e.octets = r->cut_octets;
	r->stats->events++;
	rfm_flow_table_update(r->table, &e, r->now_ms);
}

/* Capture time in Unix ms (nanosecond precision: tv_usec holds ns), clamped. */
static void set_time(struct replay *r, const struct pcap_pkthdr *h)
{
	guint64 ms = 0;

	if (h->ts.tv_sec > 0)
		ms = (guint64)h->ts.tv_sec * 1000 + (guint64)h->ts.tv_usec / 1000000;
	if (r->have_time && ms < r->now_ms) {
		r->stats->clamped++;
		ms = r->now_ms;
	}
	if (!r->have_time)
		r->stats->first_ms = ms;
	r->have_time = true;
	r->now_ms = ms;
	r->stats->last_ms = ms;
}

static void run_one(struct replay *r, int dlt, const struct pcap_pkthdr *h, const guint8 *data)
{
	struct rfm_replay_frame f;
	int err;

	r->stats->packets++;
	set_time(r, h);
	if (r->o->clock)
		r->o->clock(r->now_ms, r->o->clock_data);
	rfm_flow_table_expire(r->table, r->now_ms);
	if (!rfm_replay_frame_build(&f, dlt, data, h->caplen, h->len) || f.len < ETH_HLEN_) {
		r->stats->skipped++;
		return;
	}
	r->cut_octets = 0;
	if (f.len < f.wire_len) {
		r->stats->cut++;
		r->cut_octets = rfm_replay_frame_ip_octets(&f);
	}
	err = rfm_datapath_test_run(r->dp, r->o->direction, REPLAY_IFINDEX, f.data, f.len);
	if (!err) {
		err = rfm_datapath_drain(r->dp);
		err = err < 0 ? err : 0;
	}
	if (err) {
		r->stats->run_errors++;
		if (!r->run_warned)
			g_warning("replay: packet %" G_GUINT64_FORMAT
				  " (%u octets): test run failed: %s (further errors counted)",
				  r->stats->packets, f.len, g_strerror(-err));
		r->run_warned = true;
	}
}

/*
 * libpcap is loaded when a replay starts (RFM_PCAP_SONAME, the soname the
 * build found), not linked: the agent never reads captures, and libpcap's
 * dependencies (libdbus, libsystemd and theirs) would cost an idle agent
 * about 1 MiB of resident library pages.
 */
static struct {
	__typeof__(&pcap_open_offline_with_tstamp_precision) open;
	__typeof__(&pcap_datalink) datalink;
	__typeof__(&pcap_datalink_val_to_name) datalink_name;
	__typeof__(&pcap_next_ex) next_ex;
	__typeof__(&pcap_geterr) geterr;
	__typeof__(&pcap_close) close;
} pc;

static bool pcap_load(GError **error)
{
	void *h;

	if (pc.close)
		return true;
	h = dlopen(RFM_PCAP_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_OPEN,
			    "cannot load libpcap (%s): %s", RFM_PCAP_SONAME, dlerror());
		return false;
	}
	pc.open = (__typeof__(pc.open))dlsym(h, "pcap_open_offline_with_tstamp_precision");
	pc.datalink = (__typeof__(pc.datalink))dlsym(h, "pcap_datalink");
	pc.datalink_name = (__typeof__(pc.datalink_name))dlsym(h, "pcap_datalink_val_to_name");
	pc.next_ex = (__typeof__(pc.next_ex))dlsym(h, "pcap_next_ex");
	pc.geterr = (__typeof__(pc.geterr))dlsym(h, "pcap_geterr");
	pc.close = (__typeof__(pc.close))dlsym(h, "pcap_close");
	if (!pc.open || !pc.datalink || !pc.datalink_name || !pc.next_ex || !pc.geterr ||
	    !pc.close) {
		g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_OPEN,
			    "%s lacks a function rfm needs", RFM_PCAP_SONAME);
		memset(&pc, 0, sizeof(pc));
		dlclose(h);
		return false;
	}
	return true; /* stays loaded for the process */
}

/* Replay one capture. false only when it cannot be opened or has an unknown link type. */
static bool replay_file(struct replay *r, const char *path, GError **error)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int dlt, rc;

	if (!pcap_load(error))
		return false;

	p = pc.open(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		/* libpcap names the file in some messages ("PATH: No such file..."), not all. */
		if (g_str_has_prefix(errbuf, path))
			g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_OPEN, "%s", errbuf);
		else
			g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_OPEN, "%s: %s", path,
				    errbuf);
		return false;
	}
	dlt = pc.datalink(p);
	if (!rfm_replay_linktype_supported(dlt)) {
		const char *name = pc.datalink_name(dlt);

		g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_LINKTYPE,
			    "%s: link type %d (%s) is not supported (Ethernet, raw IP and "
			    "Linux cooked captures are)",
			    path, dlt, name ? name : "unknown");
		pc.close(p);
		return false;
	}
	r->stats->files++;
	while ((rc = pc.next_ex(p, &h, &data)) == 1)
		run_one(r, dlt, h, data);
	if (rc == PCAP_ERROR) {
		r->stats->read_errors++;
		g_warning("replay: %s: %s (the packets before it were replayed)", path,
			  pc.geterr(p));
	}
	pc.close(p);
	return true;
}

bool rfm_replay_files(const struct rfm_replay_options *o, const char *const *files,
		      struct rfm_flow_table *table, struct rfm_replay_stats *stats, GError **error)
{
	struct rfm_datapath_options dopts = RFM_DATAPATH_OPTIONS_INIT;
	struct rfm_if_settings s = {0};
	struct replay r = {.o = o, .table = table, .stats = stats};
	guint64 dstats[RFM_STAT_MAX];
	cpu_set_t saved, one;
	bool pinned = false, ok = false;
	int cpu;

	memset(stats, 0, sizeof(*stats));
	if (o->sampling < 1 || o->ifindex < 1 || o->direction >= RFM_DIR_MAX ||
	    o->sampling_mode > RFM_SAMPLE_SYSTEMATIC) {
		g_set_error(error, RFM_REPLAY_ERROR, RFM_REPLAY_ERROR_INVALID,
			    "replay: invalid options (sampling and ifindex must be >= 1)");
		return false;
	}

	/*
	 * Events are drained after every run, so the ring holds at most one;
	 * 1 MiB leaves room without locking much memory.
	 */
	dopts.ring_bytes = 1U << 20;
	dopts.max_interfaces = 1;
	r.dp = rfm_datapath_new(&dopts, on_event, &r, error);
	if (!r.dp)
		return false;
	/* The host's FIB says nothing about where a captured packet went. */
	s.sample_rate = o->sampling;
	s.sample_mode = o->sampling_mode;
	s.fib_lookup = false;
	s.l3_device = false;
	if (!rfm_datapath_configure(r.dp, REPLAY_IFINDEX, o->direction, &s, error))
		goto out;

	cpu = sched_getcpu();
	if (cpu >= 0 && !sched_getaffinity(0, sizeof(saved), &saved)) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		pinned = !sched_setaffinity(0, sizeof(one), &one);
	}

	for (const char *const *f = files; *f; f++) {
		if (!replay_file(&r, *f, error))
			goto out;
	}
	rfm_flow_table_flush(table);
	ok = true;

out:
	if (pinned)
		sched_setaffinity(0, sizeof(saved), &saved);
	rfm_datapath_read_stats(r.dp, dstats);
	stats->not_ip = dstats[RFM_STAT_NOT_IP];
	stats->truncated = dstats[RFM_STAT_TRUNCATED];
	stats->bad_header = dstats[RFM_STAT_BAD_HEADER];
	rfm_datapath_free(r.dp);
	return ok;
}
