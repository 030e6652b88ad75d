// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * bench_export.c - flow records encoded and sent per second, on one core,
 * through the whole exporting process (export.c: encoder, transport) to a
 * UDP collector on 127.0.0.1.
 *
 * The encoder is chosen by name (-e ipfix | netflow9 | netflow5 | trivial,
 * default ipfix): the real encoder of encoder.h when it is built in. While
 * only the stand-ins of encoder_stub.c are there (their create() fails),
 * the benchmark says so and measures its internal trivial encoder instead,
 * which copies a fixed 64-octet record per flow into MTU-sized messages:
 * that figure is the exporting process without the cost of a real encoding.
 *
 * Records: 4096 distinct ones (3 IPv4 for each IPv6, TCP and UDP, varied
 * counters and times), cycled, each with an enrichment (AS numbers, AS
 * names, city, country, next hop), as the agent gives them. The sink is a
 * bound UDP socket that is not read: the kernel queues datagrams to it and
 * drops them once its buffer is full, after the exporter's send() returned,
 * so the figure is the sender's work (encoding, export, send() into the
 * loopback path, which runs on the sending CPU).
 *
 * Rates are per second of the thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
 * pinned to one CPU; wall-clock rates are printed beside them. -r
 * repetitions (min/median/max) after one warm-up. Not a test: prints
 * Markdown with the target of issue #5 (at least 1 M records/s with the IPFIX
 * encoder); exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "export.h"

#include "bench_util.h"

#define BENCH_MIN_REPS	   5
#define BENCH_DEFAULT_REPS 7
#define BENCH_RECORDS	   2000000ULL
#define BENCH_DISTINCT	   4096
#define BENCH_PREEMPTED	   50
#define TARGET_RECORDS	   1e6

/* ---- the trivial encoder ------------------------------------------------------ */

#define TRIVIAL_HDR 16
#define TRIVIAL_REC 64

/* DOC: the trivial encoder: a header, then one fixed-size record per flow. */
struct rfm_encoder {
	struct rfm_encoder_params p;
	guint8 *buf; /* owned, p.mtu octets */
	gsize len;
	guint32 n, seq;
	struct rfm_encoder_stats st;
};

static void trivial_emit(struct rfm_encoder *e, guint32 records)
{
	e->buf[0] = 0xbe;
	e->buf[1] = 0x9c;
	e->buf[2] = (guint8)(e->len >> 8);
	e->buf[3] = (guint8)e->len;
	memcpy(e->buf + 4, &e->seq, 4);
	memcpy(e->buf + 8, &records, 4);
	memcpy(e->buf + 12, &e->p.observation_domain, 4);
	e->seq += records;
	e->st.messages++;
	e->st.records += records;
	e->st.octets += e->len;
	e->p.emit(e->buf, e->len, records, e->p.user_data);
	e->len = TRIVIAL_HDR;
	e->n = 0;
}

static struct rfm_encoder *trivial_create(const struct rfm_encoder_params *p, GError **error)
{
	struct rfm_encoder *e = g_new0(struct rfm_encoder, 1);

	e->p = *p;
	e->buf = g_malloc0(p->mtu);
	e->len = TRIVIAL_HDR;
	return e;
}

static void trivial_destroy(struct rfm_encoder *e)
{
	g_free(e->buf);
	g_free(e);
}

static void trivial_flush(struct rfm_encoder *e, guint64 now_ms)
{
	if (e->n)
		trivial_emit(e, e->n);
}

static void trivial_add(struct rfm_encoder *e, const struct rfm_flow_record *rec,
			const struct rfm_enrichment *en, guint64 now_ms)
{
	guint8 *p;

	if (e->len + TRIVIAL_REC > e->p.mtu)
		trivial_flush(e, now_ms);
	p = e->buf + e->len;
	memcpy(p, &rec->key, sizeof(rec->key)); /* 44 */
	memcpy(p + 44, &rec->packets, 4);
	memcpy(p + 48, &rec->octets, 4);
	memcpy(p + 52, &rec->start_ms, 4);
	memcpy(p + 56, &rec->end_ms, 4);
	memcpy(p + 60, en ? &en->src_asn : &rec->sampling, 4);
	e->len += TRIVIAL_REC;
	e->n++;
}

static void trivial_announce(struct rfm_encoder *e, guint64 now_ms)
{
	trivial_flush(e, now_ms);
	e->st.announcements++;
	trivial_emit(e, 0);
}

static void trivial_set_sampling(struct rfm_encoder *e, const struct rfm_export_sampler *s, guint n,
				 guint64 now_ms)
{
}

static void trivial_set_interfaces(struct rfm_encoder *e, const struct rfm_export_interface *ifs,
				   guint n)
{
}

static void trivial_set_reliability(struct rfm_encoder *e, const struct rfm_export_reliability *r)
{
}

static void trivial_get_stats(const struct rfm_encoder *e, struct rfm_encoder_stats *out)
{
	*out = e->st;
}

static const struct rfm_encoder_ops trivial_encoder = {
	.name = "trivial",
	.create = trivial_create,
	.destroy = trivial_destroy,
	.add = trivial_add,
	.flush = trivial_flush,
	.announce = trivial_announce,
	.set_sampling = trivial_set_sampling,
	.set_interfaces = trivial_set_interfaces,
	.set_reliability = trivial_set_reliability,
	.get_stats = trivial_get_stats,
};

/* ---- records ---------------------------------------------------------------------- */

static guint64 rng_next(guint64 *s)
{
	guint64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Records from 198.18.0.0/15 and 2001:db8::/32, documentation ASNs. */
static void records_make(struct rfm_flow_record *recs, struct rfm_enrichment *ens, guint n,
			 guint64 t0)
{
	static const char *const cities[] = {"Amsterdam", "Zürich", "Berlin", NULL};
	guint64 seed = 20240605;

	for (guint i = 0; i < n; i++) {
		struct rfm_flow_record *r = &recs[i];
		struct rfm_enrichment *e = &ens[i];
		guint64 x = rng_next(&seed);

		memset(r, 0, sizeof(*r));
		memset(e, 0, sizeof(*e));
		if (i % 4 == 3) {
			r->key.ip_version = 6;
			r->key.src_addr[0] = 0x20;
			r->key.src_addr[1] = 0x01;
			r->key.src_addr[2] = 0x0d;
			r->key.src_addr[3] = 0xb8;
			memcpy(r->key.src_addr + 8, &x, 8);
			memcpy(r->key.dst_addr, r->key.src_addr, 8);
			r->key.dst_addr[15] = (guint8)i;
		} else {
			r->key.ip_version = 4;
			r->key.src_addr[0] = 198;
			r->key.src_addr[1] = 18 | (x & 1);
			r->key.src_addr[2] = (guint8)(x >> 8);
			r->key.src_addr[3] = (guint8)(x >> 16);
			r->key.dst_addr[0] = 198;
			r->key.dst_addr[1] = 19;
			r->key.dst_addr[2] = (guint8)(x >> 24);
			r->key.dst_addr[3] = (guint8)i;
		}
		r->key.protocol = (x >> 32) & 1 ? 6 : 17;
		r->key.src_port = (guint16)(1024 + (x >> 33) % 60000);
		r->key.dst_port = (x >> 50) & 1 ? 443 : 53;
		r->key.ifindex = 2 + (i & 1);
		r->key.direction = i & 1;
		r->packets = 1 + (x >> 40) % 1000;
		r->octets = r->packets * (64 + (x >> 20) % 1400);
		r->start_ms = t0 + (x >> 10) % 60000;
		r->end_ms = r->start_ms + (x >> 30) % 15000;
		r->other_ifindex = 3 - (i & 1);
		r->tcp_flags = r->key.protocol == 6 ? 0x1b : 0;
		r->end_reason = RFM_END_IDLE + (i % 3);
		r->sampling = 100;
		e->src_asn = 64496 + (x & 7);
		e->dst_asn = 65536 + ((x >> 3) & 7);
		e->src_asn_source = e->dst_asn_source = RFM_ASN_RIB;
		e->src_prefix_len = 24;
		e->dst_prefix_len = 22;
		e->src_as_name = "Example Networks";
		e->dst_as_name = "Documentation AS";
		e->next_as = e->dst_asn;
		e->prev_as = e->src_asn;
		e->bgp_next_hop_version = 4;
		e->bgp_next_hop[0] = 192;
		e->bgp_next_hop[2] = 2;
		e->bgp_next_hop[3] = 1;
		e->src_city = cities[x % 4];
		e->dst_city = cities[(x >> 2) % 4];
		memcpy(e->src_country, e->src_city ? "NL" : "", 3);
		memcpy(e->dst_country, "DE", 3);
	}
}

/* ---- the run ----------------------------------------------------------------------- */

static const struct rfm_encoder_ops *encoder_by_name(const char *name,
						     enum rfm_export_protocol *proto)
{
	*proto = RFM_EXPORT_IPFIX;
	if (!strcmp(name, "ipfix"))
		return &rfm_ipfix_encoder;
	if (!strcmp(name, "netflow9")) {
		*proto = RFM_EXPORT_NETFLOW9;
		return &rfm_netflow9_encoder;
	}
	if (!strcmp(name, "netflow5")) {
		*proto = RFM_EXPORT_NETFLOW5;
		return &rfm_netflow5_encoder;
	}
	if (!strcmp(name, "trivial"))
		return &trivial_encoder;
	return NULL;
}

static void discard_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
}

/* Whether ops can be created with these parameters; the reason if not. */
static bool encoder_usable(const struct rfm_encoder_ops *ops, guint32 mtu, char **why)
{
	struct rfm_encoder_params p = {.observation_domain = 1,
				       .enterprise_number = 32473,
				       .mtu = mtu,
				       .emit = discard_emit};
	g_autoptr(GError) err = NULL;
	struct rfm_encoder *e = ops->create(&p, &err);

	if (!e) {
		*why = g_strdup(err ? err->message : "create() failed");
		return false;
	}
	ops->destroy(e);
	return true;
}

/* DOC: what one timed repetition measured. */
struct run {
	double cpu_s, wall_s;
	guint64 records, messages, octets, send_errors, dropped, not_exportable;
};

static void run_once(struct rfm_export *exp, const struct rfm_flow_record *recs,
		     const struct rfm_enrichment *ens, guint64 n, guint64 *now, struct run *out)
{
	struct rfm_export_collector_stats before, after;
	double cpu0, wall0;

	rfm_export_get_stats(exp, &before, 1);
	cpu0 = bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
	wall0 = bench_clock_s(CLOCK_MONOTONIC);
	for (guint64 i = 0; i < n; i++) {
		/* One ms of capture time per 1000 records: a refresh now and then, as live. */
		if (i % 1000 == 0)
			(*now)++;
		rfm_export_flow(exp, &recs[i % BENCH_DISTINCT], &ens[i % BENCH_DISTINCT], *now);
	}
	rfm_export_flush(exp, *now);
	out->cpu_s = bench_clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	out->wall_s = bench_clock_s(CLOCK_MONOTONIC) - wall0;
	rfm_export_get_stats(exp, &after, 1);
	out->records = after.encoder_stats.records - before.encoder_stats.records;
	out->not_exportable =
		after.encoder_stats.not_exportable - before.encoder_stats.not_exportable;
	out->messages = after.transport_stats.messages - before.transport_stats.messages;
	out->octets = after.transport_stats.octets - before.transport_stats.octets;
	out->send_errors = after.transport_stats.send_errors - before.transport_stats.send_errors;
	out->dropped =
		after.transport_stats.dropped_messages + after.transport_stats.lost_messages -
		before.transport_stats.dropped_messages - before.transport_stats.lost_messages;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_export [-e ipfix|netflow9|netflow5|trivial] [-n RECORDS] "
		   "[-r REPS] [-m MTU] [-c CPU]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL}};
	unsigned long long v, n = BENCH_RECORDS, reps = BENCH_DEFAULT_REPS, mtu = 1400;
	const char *name = "ipfix";
	const struct rfm_encoder_ops *ops;
	enum rfm_export_protocol proto;
	struct rfm_export_options eo = {0};
	g_autofree struct rfm_flow_record *recs = NULL;
	g_autofree struct rfm_enrichment *ens = NULL;
	g_autofree double *rate = NULL, *wall_rate = NULL;
	g_autofree char *why = NULL, *text = NULL;
	g_autoptr(GError) err = NULL;
	struct rfm_config *cfg;
	struct rfm_export *exp;
	struct bench_summary sr, sw;
	struct run r, total = {0};
	guint16 port;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sin);
	guint64 now = 1700000000000ULL;
	int cpu = -1, opt, sink, rcvbuf = 8 << 20;
	long preempted;

	while ((opt = getopt_long(argc, argv, "e:n:r:m:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			name = optarg;
			break;
		case 'n':
			if (!bench_parse_uint(optarg, 1000, 1ULL << 32, &n))
				goto bad;
			break;
		case 'r':
			if (!bench_parse_uint(optarg, BENCH_MIN_REPS, 1000, &reps))
				goto bad;
			break;
		case 'm':
			if (!bench_parse_uint(optarg, 512, RFM_CONFIG_UDP_MTU_MAX, &mtu))
				goto bad;
			break;
		case 'c':
			if (!bench_parse_uint(optarg, 0, 4095, &v))
				goto bad;
			cpu = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	ops = encoder_by_name(name, &proto);
	if (!ops || optind != argc)
		goto bad;

	printf("# bench_export: records/s through the exporting process to UDP on 127.0.0.1\n\n");
	if (!encoder_usable(ops, (guint32)mtu, &why)) {
		printf("NOTE: the %s encoder cannot be used here (%s). Measuring the internal "
		       "trivial encoder instead: 64-octet records copied into %llu-octet messages, "
		       "so the figure is the export and transport path without a real "
		       "encoding, NOT the %s encoder's.\n\n",
		       name, why, mtu, name);
		ops = &trivial_encoder;
	}
	eo.encoders[proto] = ops;

	/* The collector: bound, never read. */
	sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sink < 0 || bind(sink, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(sink, (struct sockaddr *)&sin, &slen) < 0) {
		perror("bench_export: sink socket");
		return 1;
	}
	setsockopt(sink, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	port = ntohs(sin.sin_port);

	text = g_strdup_printf("datapath = { interfaces = [ \"x\" ]; };\n"
			       "ipfix = { collectors = ( { address = \"127.0.0.1\"; port = %u;"
			       " protocol = \"%s\"; mtu = %llu; } ); };\n",
			       port, rfm_export_protocol_name(proto), mtu);
	cfg = rfm_config_from_string(text, "bench", &err);
	if (!cfg) {
		fprintf(stderr, "bench_export: %s\n", err->message);
		return 1;
	}
	if (bench_pin_cpu(cpu, &cpu) < 0)
		fprintf(stderr, "bench_export: cannot pin to a CPU; figures may vary\n");
	exp = rfm_export_new(&cfg->ipfix, &eo, now, &err);
	if (!exp) {
		fprintf(stderr, "bench_export: %s\n", err->message);
		return 1;
	}
	{
		struct rfm_export_sampler s = {
			.ifindex = 2, .direction = 0, .mode = 0, .rate = 100};

		rfm_export_set_sampling(exp, &s, 1, now);
	}
	recs = g_new(struct rfm_flow_record, BENCH_DISTINCT);
	ens = g_new(struct rfm_enrichment, BENCH_DISTINCT);
	records_make(recs, ens, BENCH_DISTINCT, now);

	printf("encoder %s (%s), mtu %llu, %llu records per repetition, %llu repetitions after "
	       "one warm-up, CPU %d; 1 in 4 records IPv6, every record enriched.\n\n",
	       ops->name, rfm_export_protocol_name(proto), mtu, n, reps, cpu);
	rate = g_new(double, reps);
	wall_rate = g_new(double, reps);
	run_once(exp, recs, ens, n, &now, &r); /* warm-up */
	preempted = bench_involuntary_switches();
	for (guint i = 0; i < reps; i++) {
		run_once(exp, recs, ens, n, &now, &r);
		rate[i] = (double)n / r.cpu_s;
		wall_rate[i] = (double)n / r.wall_s;
		total.cpu_s += r.cpu_s;
		total.wall_s += r.wall_s;
		total.records += r.records;
		total.messages += r.messages;
		total.octets += r.octets;
		total.send_errors += r.send_errors;
		total.dropped += r.dropped;
		total.not_exportable += r.not_exportable;
	}
	preempted = bench_involuntary_switches() - preempted;
	sr = bench_summarise(rate, (guint)reps);
	sw = bench_summarise(wall_rate, (guint)reps);

	printf("| figure | min | median | max |\n|---|---:|---:|---:|\n");
	printf("| records/s per CPU second | %.2f M | %.2f M | %.2f M |\n", sr.min / 1e6,
	       sr.median / 1e6, sr.max / 1e6);
	printf("| records/s wall clock | %.2f M | %.2f M | %.2f M |\n", sw.min / 1e6,
	       sw.median / 1e6, sw.max / 1e6);
	printf("\nOver the timed runs: %" G_GUINT64_FORMAT " records encoded (%" G_GUINT64_FORMAT
	       " not exportable), %" G_GUINT64_FORMAT " messages (%.1f records, %.0f octets "
	       "each) sent, %.1f MB/s of CPU time; %" G_GUINT64_FORMAT
	       " send errors, %" G_GUINT64_FORMAT " messages dropped or lost; %.1f s CPU in "
	       "%.1f s wall (%.0f %%).\n",
	       total.records, total.not_exportable, total.messages,
	       total.messages ? (double)total.records / total.messages : 0,
	       total.messages ? (double)total.octets / total.messages : 0,
	       total.octets / total.cpu_s / 1e6, total.send_errors, total.dropped, total.cpu_s,
	       total.wall_s, 100 * total.cpu_s / total.wall_s);
	if (preempted > BENCH_PREEMPTED)
		printf("\n%ld involuntary context switches during the timed runs: other tasks "
		       "shared the CPU, figures may be low.\n",
		       preempted);
	printf("\n## Target\n\n| target | figure | met |\n|---|---:|---|\n");
	if (ops == &rfm_ipfix_encoder)
		printf("| >= %.0f M records/s with the IPFIX encoder (median, CPU time) | %.2f M "
		       "| %s |\n",
		       TARGET_RECORDS / 1e6, sr.median / 1e6,
		       sr.median >= TARGET_RECORDS ? "yes" : "NO");
	else
		printf("| >= %.0f M records/s with the IPFIX encoder | not measured (%s "
		       "encoder) | - |\n",
		       TARGET_RECORDS / 1e6, ops->name);
	rfm_export_free(exp);
	rfm_config_free(cfg);
	close(sink);
	return 0;
bad:
	usage(stderr);
	return 2;
}
