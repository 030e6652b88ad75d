/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_flow_table.c - flow aggregation and expiry (flow_table.c): one test per
 * flowEndReason with every field of every record checked, the key rules (ICMP,
 * VLAN), eviction, reload, and a differential test of the table against a
 * naive reference that rescans every flow at every step, on random streams.
 *
 * Replay a differential failure with RFM_TEST_SEED=<seed> (and
 * RFM_TEST_RUNS=1 to trace the operations of that single run).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "flow_table.h"
#include "seed_runs.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* A realistic Unix time in ms, so that nothing fits in 32 bits by accident. */
#define T0 G_GUINT64_CONSTANT(1700000000000)

static const struct rfm_flow_table_options base_opts = {
	.idle_timeout_ms = 10000,
	.active_timeout_ms = 60000,
	.max_flows = 1000,
	.tcp_end = true,
	.tcp_end_grace_ms = 2000,
	.max_next_hops = 16,
};

/* --- helpers -------------------------------------------------------------- */

static void sink_collect(const struct rfm_flow_record *rec, void *user_data)
{
	g_array_append_vals(user_data, rec, 1);
}

/* A table with one sink collecting its records. */
struct harness {
	struct rfm_flow_table *t; /* owned */
	GArray *recs;		  /* struct rfm_flow_record, owned */
};

static void harness_init(struct harness *h, const struct rfm_flow_table_options *o)
{
	h->t = rfm_flow_table_new(o);
	h->recs = g_array_new(FALSE, TRUE, sizeof(struct rfm_flow_record));
	rfm_flow_table_add_sink(h->t, sink_collect, h->recs);
}

static void harness_fini(struct harness *h)
{
	rfm_flow_table_free(h->t);
	g_array_unref(h->recs);
}

static const struct rfm_flow_record *rec_at(const struct harness *h, guint i)
{
	g_assert_cmpuint(i, <, h->recs->len);
	return &g_array_index(h->recs, struct rfm_flow_record, i);
}

static void parse_addr(const char *s, guint8 out[16], guint8 *ip_version)
{
	int v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, s, out), ==, 1);
	if (ip_version)
		*ip_version = v6 ? 6 : 4;
}

/* One packet of 100 octets on ifindex 2 at ingress. */
static struct rfm_event ev_make(guint8 protocol, const char *src, guint16 sport, const char *dst,
				guint16 dport)
{
	struct rfm_event ev = {0};

	parse_addr(src, ev.src_addr, &ev.ip_version);
	parse_addr(dst, ev.dst_addr, NULL);
	ev.protocol = protocol;
	ev.src_port = sport;
	ev.dst_port = dport;
	ev.ifindex = 2;
	ev.direction = RFM_DIR_INGRESS;
	ev.packets = 1;
	ev.octets = 100;
	return ev;
}

static void ev_set_next_hop(struct rfm_event *ev, const char *nh)
{
	parse_addr(nh, ev->next_hop, NULL);
	ev->flags |= RFM_EV_NEXT_HOP;
}

/* The key as documented in flow_table.h, derived independently of the table. */
static void ref_key(struct rfm_flow_key *k, const struct rfm_event *ev)
{
	bool icmp = ev->protocol == 1 || ev->protocol == 58;

	memset(k, 0, sizeof(*k));
	memcpy(k->src_addr, ev->src_addr, 16);
	memcpy(k->dst_addr, ev->dst_addr, 16);
	k->ifindex = ev->ifindex;
	k->src_port = icmp ? 0 : ev->src_port;
	k->dst_port = icmp ? (guint16)(ev->icmp_type << 8 | ev->icmp_code) : ev->dst_port;
	k->vlan_id = (ev->flags & RFM_EV_VLAN_OUTER) ? ev->vlan_outer : 0;
	k->protocol = ev->protocol;
	k->direction = ev->direction;
	k->ip_version = ev->ip_version;
}

/* What one record must hold; ev is any packet of the flow (for the key). */
struct want {
	const struct rfm_event *ev;
	guint64 packets, octets, start_ms, end_ms;
	guint8 tcp_flags, dscp, end_reason;
	guint32 other_ifindex;
	const char *next_hop; /* NULL: none */
};

static void assert_record(const struct rfm_flow_record *r, const struct want *w)
{
	struct rfm_flow_key k;
	guint8 nh[16] = {0};

	ref_key(&k, w->ev);
	g_assert_cmpmem(&r->key, sizeof(r->key), &k, sizeof(k));
	g_assert_cmpuint(r->packets, ==, w->packets);
	g_assert_cmpuint(r->octets, ==, w->octets);
	g_assert_cmpuint(r->start_ms, ==, w->start_ms);
	g_assert_cmpuint(r->end_ms, ==, w->end_ms);
	g_assert_cmphex(r->tcp_flags, ==, w->tcp_flags);
	g_assert_cmpuint(r->dscp, ==, w->dscp);
	g_assert_cmpuint(r->other_ifindex, ==, w->other_ifindex);
	g_assert_cmpint(r->has_next_hop, ==, w->next_hop != NULL);
	if (w->next_hop)
		parse_addr(w->next_hop, nh, NULL);
	g_assert_cmpmem(r->next_hop, 16, nh, 16);
	g_assert_cmpuint(r->end_reason, ==, w->end_reason);
}

/* The only record of the flow of ev. */
static const struct rfm_flow_record *find_record(const struct harness *h,
						 const struct rfm_event *ev)
{
	const struct rfm_flow_record *found = NULL;
	struct rfm_flow_key k;

	ref_key(&k, ev);
	for (guint i = 0; i < h->recs->len; i++) {
		const struct rfm_flow_record *r = rec_at(h, i);

		if (!memcmp(&r->key, &k, sizeof(k))) {
			g_assert_null(found);
			found = r;
		}
	}
	g_assert_nonnull(found);
	return found;
}

static void assert_stats(const struct rfm_flow_table *t, const struct rfm_flow_table_stats *w)
{
	struct rfm_flow_table_stats s;

	rfm_flow_table_get_stats(t, &s);
	g_assert_cmpuint(s.created, ==, w->created);
	g_assert_cmpuint(s.updates, ==, w->updates);
	for (int r = 0; r < RFM_END_MAX; r++)
		g_assert_cmpuint(s.ended[r], ==, w->ended[r]);
	g_assert_cmpuint(s.next_hops_dropped, ==, w->next_hops_dropped);
	g_assert_cmpuint(s.active, ==, w->active);
	g_assert_cmpuint(s.capacity, ==, w->capacity);
}

static void update(struct harness *h, struct rfm_event *ev, guint8 tcp_flags, guint32 octets,
		   guint64 now)
{
	ev->tcp_flags = tcp_flags;
	ev->octets = octets;
	rfm_flow_table_update(h->t, ev, now);
}

/* --- one test per end reason ---------------------------------------------- */

/* Idle: the record ends at the last packet, and is sent once idle has passed. */
static void test_end_idle(void)
{
	struct rfm_event ev = ev_make(17, "192.0.2.1", 5000, "198.51.100.7", 53);
	struct harness h;

	harness_init(&h, &base_opts);
	ev.dscp = 46;
	ev.other_ifindex = 3;
	ev_set_next_hop(&ev, "192.0.2.254");
	rfm_flow_table_update(h.t, &ev, T0);
	ev.packets = 2;
	ev.octets = 300;
	ev.dscp = 0; /* the first packet's DSCP stays */
	rfm_flow_table_update(h.t, &ev, T0 + 1000);
	ev.packets = 1;
	ev.octets = 50;
	rfm_flow_table_update(h.t, &ev, T0 + 2500);

	rfm_flow_table_expire(h.t, T0 + 2500 + 10000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	assert_stats(h.t, &(struct rfm_flow_table_stats){
				  .created = 1, .updates = 3, .active = 1, .capacity = 1000});
	rfm_flow_table_expire(h.t, T0 + 2500 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &ev,
						    .packets = 4,
						    .octets = 450,
						    .start_ms = T0,
						    .end_ms = T0 + 2500,
						    .dscp = 46,
						    .other_ifindex = 3,
						    .next_hop = "192.0.2.254",
						    .end_reason = RFM_END_IDLE});
	rfm_flow_table_expire(h.t, T0 + 100000);
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 1,
							 .updates = 3,
							 .ended[RFM_END_IDLE] = 1,
							 .capacity = 1000});
	harness_fini(&h);
}

/*
 * Active: a packet every second for 25 s with active 10 s is cut into
 * intervals; the packet at the deadline opens the next one. The records are
 * the same whether expire() runs around every packet or never.
 */
static void run_active(bool sweep, struct harness *h)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event ev = ev_make(6, "2001:db8::1", 40000, "2001:db8::2", 443);

	o.idle_timeout_ms = 5000;
	o.active_timeout_ms = 10000;
	harness_init(h, &o);
	for (guint s = 0; s <= 25; s++) {
		guint64 now = T0 + s * 1000;

		ev.dscp = s;
		if (sweep)
			rfm_flow_table_expire(h->t, now);
		update(h, &ev, s ? TCP_ACK : TCP_SYN, 100, now);
		if (sweep)
			rfm_flow_table_expire(h->t, now);
		/* An interval ends when the packet at its deadline arrives. */
		g_assert_cmpuint(h->recs->len, ==, s / 10);
	}
	rfm_flow_table_expire(h->t, T0 + 30000 - 1);
	g_assert_cmpuint(h->recs->len, ==, 2);
	/* last + idle == start + active: a tie goes to the smaller code, idle. */
	rfm_flow_table_expire(h->t, T0 + 30000);
	g_assert_cmpuint(h->recs->len, ==, 3);

	assert_record(rec_at(h, 0), &(struct want){.ev = &ev,
						   .packets = 10,
						   .octets = 1000,
						   .start_ms = T0,
						   .end_ms = T0 + 9000,
						   .tcp_flags = TCP_SYN | TCP_ACK,
						   .dscp = 0,
						   .end_reason = RFM_END_ACTIVE});
	assert_record(rec_at(h, 1), &(struct want){.ev = &ev,
						   .packets = 10,
						   .octets = 1000,
						   .start_ms = T0 + 10000,
						   .end_ms = T0 + 19000,
						   .tcp_flags = TCP_ACK,
						   .dscp = 10,
						   .end_reason = RFM_END_ACTIVE});
	assert_record(rec_at(h, 2), &(struct want){.ev = &ev,
						   .packets = 6,
						   .octets = 600,
						   .start_ms = T0 + 20000,
						   .end_ms = T0 + 25000,
						   .tcp_flags = TCP_ACK,
						   .dscp = 20,
						   .end_reason = RFM_END_IDLE});
	assert_stats(h->t, &(struct rfm_flow_table_stats){.created = 3,
							  .updates = 26,
							  .ended[RFM_END_ACTIVE] = 2,
							  .ended[RFM_END_IDLE] = 1,
							  .capacity = 1000});
}

static void test_end_active(void)
{
	struct harness h;

	run_active(false, &h);
	harness_fini(&h);
	run_active(true, &h);
	harness_fini(&h);
}

/* End of flow: FIN, then a packet inside the grace joins and restarts it. */
static void test_end_eof_fin(void)
{
	struct rfm_event ev = ev_make(6, "10.0.0.1", 40000, "10.0.0.2", 443);
	struct harness h;

	harness_init(&h, &base_opts);
	ev.dscp = 10;
	update(&h, &ev, TCP_SYN, 60, T0);
	ev.dscp = 0;
	update(&h, &ev, TCP_ACK, 52, T0 + 100);
	update(&h, &ev, TCP_FIN | TCP_ACK, 52, T0 + 1000);
	rfm_flow_table_expire(h.t, T0 + 2500);
	update(&h, &ev, TCP_ACK, 52, T0 + 2500); /* in the grace: same flow */
	rfm_flow_table_expire(h.t, T0 + 2500 + 2000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 2500 + 2000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &ev,
						    .packets = 4,
						    .octets = 216,
						    .start_ms = T0,
						    .end_ms = T0 + 2500,
						    .tcp_flags = TCP_SYN | TCP_ACK | TCP_FIN,
						    .dscp = 10,
						    .end_reason = RFM_END_EOF});

	/* After the grace the next packet of the same key is a new flow. */
	update(&h, &ev, TCP_ACK, 52, T0 + 5000);
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 2);
	assert_record(rec_at(&h, 1), &(struct want){.ev = &ev,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 5000,
						    .end_ms = T0 + 5000,
						    .tcp_flags = TCP_ACK,
						    .end_reason = RFM_END_FORCED});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 2,
							 .updates = 5,
							 .ended[RFM_END_EOF] = 1,
							 .ended[RFM_END_FORCED] = 1,
							 .capacity = 1000});
	harness_fini(&h);
}

/* End of flow: RST; a packet exactly at the grace deadline opens a new flow. */
static void test_end_eof_rst(void)
{
	struct rfm_event ev = ev_make(6, "10.0.0.1", 40001, "10.0.0.2", 80);
	struct rfm_event ev2 = ev_make(6, "10.0.0.1", 40002, "10.0.0.2", 80);
	struct harness h;

	harness_init(&h, &base_opts);
	update(&h, &ev, TCP_ACK | TCP_PSH, 1500, T0);
	update(&h, &ev, TCP_RST, 40, T0 + 500);
	rfm_flow_table_expire(h.t, T0 + 2500 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 2500);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &ev,
						    .packets = 2,
						    .octets = 1540,
						    .start_ms = T0,
						    .end_ms = T0 + 500,
						    .tcp_flags = TCP_ACK | TCP_PSH | TCP_RST,
						    .end_reason = RFM_END_EOF});

	/* No expire() at all: the packet at FIN + grace ends the old record. */
	update(&h, &ev2, TCP_FIN | TCP_ACK, 52, T0 + 10000);
	update(&h, &ev2, TCP_ACK, 40, T0 + 12000);
	g_assert_cmpuint(h.recs->len, ==, 2);
	assert_record(rec_at(&h, 1), &(struct want){.ev = &ev2,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 10000,
						    .end_ms = T0 + 10000,
						    .tcp_flags = TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_EOF});
	rfm_flow_table_expire(h.t, T0 + 12000 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 3);
	assert_record(rec_at(&h, 2), &(struct want){.ev = &ev2,
						    .packets = 1,
						    .octets = 40,
						    .start_ms = T0 + 12000,
						    .end_ms = T0 + 12000,
						    .tcp_flags = TCP_ACK,
						    .end_reason = RFM_END_IDLE});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 3,
							 .updates = 4,
							 .ended[RFM_END_EOF] = 2,
							 .ended[RFM_END_IDLE] = 1,
							 .capacity = 1000});
	harness_fini(&h);
}

/* tcp_end = false: a FIN flow waits for idle; a FIN bit outside TCP never counts. */
static void test_end_tcp_end_off(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event tcp = ev_make(6, "10.0.0.1", 40000, "10.0.0.2", 443);
	struct rfm_event udp = ev_make(17, "10.0.0.1", 40000, "10.0.0.2", 443);
	struct harness h;

	o.tcp_end = false;
	harness_init(&h, &o);
	update(&h, &tcp, TCP_SYN, 60, T0);
	update(&h, &tcp, TCP_FIN | TCP_ACK, 52, T0 + 1000);
	rfm_flow_table_expire(h.t, T0 + 1000 + 2000);
	rfm_flow_table_expire(h.t, T0 + 1000 + 10000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 1000 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &tcp,
						    .packets = 2,
						    .octets = 112,
						    .start_ms = T0,
						    .end_ms = T0 + 1000,
						    .tcp_flags = TCP_SYN | TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_IDLE});
	harness_fini(&h);

	harness_init(&h, &base_opts);
	update(&h, &udp, TCP_FIN, 100, T0);
	rfm_flow_table_expire(h.t, T0 + 10000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &udp,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0,
						    .end_ms = T0,
						    .tcp_flags = TCP_FIN,
						    .end_reason = RFM_END_IDLE});
	harness_fini(&h);
}

/* Forced: flush_interface ends both directions of one ifindex, flush the rest. */
static void test_end_forced(void)
{
	struct rfm_event in2 = ev_make(17, "192.0.2.1", 1000, "192.0.2.2", 2000);
	struct rfm_event out2 = in2, in3 = in2;
	struct rfm_event other2 = ev_make(6, "192.0.2.9", 1000, "192.0.2.2", 2000);
	struct harness h;

	out2.direction = RFM_DIR_EGRESS;
	out2.other_ifindex = 4;
	in3.ifindex = 3;
	harness_init(&h, &base_opts);
	update(&h, &in2, 0, 100, T0);
	update(&h, &out2, 0, 200, T0 + 10);
	update(&h, &in3, 0, 300, T0 + 20);
	update(&h, &other2, TCP_SYN, 60, T0 + 30);
	update(&h, &in2, 0, 100, T0 + 40);

	rfm_flow_table_flush_interface(h.t, 7);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_flush_interface(h.t, 2);
	g_assert_cmpuint(h.recs->len, ==, 3);
	assert_record(find_record(&h, &in2), &(struct want){.ev = &in2,
							    .packets = 2,
							    .octets = 200,
							    .start_ms = T0,
							    .end_ms = T0 + 40,
							    .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &out2), &(struct want){.ev = &out2,
							     .packets = 1,
							     .octets = 200,
							     .start_ms = T0 + 10,
							     .end_ms = T0 + 10,
							     .other_ifindex = 4,
							     .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &other2), &(struct want){.ev = &other2,
							       .packets = 1,
							       .octets = 60,
							       .start_ms = T0 + 30,
							       .end_ms = T0 + 30,
							       .tcp_flags = TCP_SYN,
							       .end_reason = RFM_END_FORCED});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 4,
							 .updates = 5,
							 .ended[RFM_END_FORCED] = 3,
							 .active = 1,
							 .capacity = 1000});

	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 4);
	assert_record(rec_at(&h, 3), &(struct want){.ev = &in3,
						    .packets = 1,
						    .octets = 300,
						    .start_ms = T0 + 20,
						    .end_ms = T0 + 20,
						    .end_reason = RFM_END_FORCED});
	rfm_flow_table_flush(h.t);
	rfm_flow_table_expire(h.t, T0 + 1000000);
	g_assert_cmpuint(h.recs->len, ==, 4);
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 4,
							 .updates = 5,
							 .ended[RFM_END_FORCED] = 4,
							 .capacity = 1000});
	harness_fini(&h);
}

/*
 * Lack of resources: max_flows 3; a new flow evicts the least recently seen
 * one, whether it waits for idle (lru) or for the TCP grace (closing).
 */
static void test_end_resources(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(17, "192.0.2.1", 1, "192.0.2.100", 53);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct rfm_event c = ev_make(6, "192.0.2.3", 1, "192.0.2.100", 443);
	struct rfm_event d = ev_make(17, "192.0.2.4", 1, "192.0.2.100", 53);
	struct rfm_event e = ev_make(17, "192.0.2.5", 1, "192.0.2.100", 53);
	struct harness h;

	o.max_flows = 3;
	o.tcp_end_grace_ms = 10000;
	harness_init(&h, &o);
	update(&h, &a, 0, 100, T0);
	update(&h, &c, TCP_FIN | TCP_ACK, 52, T0 + 500);
	update(&h, &b, 0, 100, T0 + 1000);
	update(&h, &a, 0, 100, T0 + 3000);
	g_assert_cmpuint(h.recs->len, ==, 0);

	update(&h, &d, 0, 100, T0 + 4000); /* c is the least recently seen */
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &c,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 500,
						    .end_ms = T0 + 500,
						    .tcp_flags = TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_RESOURCES});
	update(&h, &e, 0, 100, T0 + 5000); /* then b */
	g_assert_cmpuint(h.recs->len, ==, 2);
	assert_record(rec_at(&h, 1), &(struct want){.ev = &b,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0 + 1000,
						    .end_ms = T0 + 1000,
						    .end_reason = RFM_END_RESOURCES});
	update(&h, &a, 0, 100, T0 + 5000); /* present: nothing evicted */
	g_assert_cmpuint(h.recs->len, ==, 2);
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 5,
							 .updates = 7,
							 .ended[RFM_END_RESOURCES] = 2,
							 .active = 3,
							 .capacity = 3});
	rfm_flow_table_flush(h.t);
	assert_record(find_record(&h, &a), &(struct want){.ev = &a,
							  .packets = 3,
							  .octets = 300,
							  .start_ms = T0,
							  .end_ms = T0 + 5000,
							  .end_reason = RFM_END_FORCED});
	harness_fini(&h);
}

/* --- records never depend on when expire() runs --------------------------- */

static gint record_cmp(gconstpointer pa, gconstpointer pb);
static bool records_equal(GArray *a, GArray *b, const char *what);

/* A packet after the idle deadline but before any expire() ends the old record. */
static void test_expiry_late_packet(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event ev = ev_make(17, "192.0.2.1", 123, "192.0.2.2", 123);
	struct harness lazy, eager;

	o.idle_timeout_ms = 5000;
	harness_init(&lazy, &o);
	harness_init(&eager, &o);
	update(&lazy, &ev, 0, 100, T0);
	update(&lazy, &ev, 0, 100, T0 + 1000);
	update(&eager, &ev, 0, 100, T0);
	update(&eager, &ev, 0, 100, T0 + 1000);
	rfm_flow_table_expire(eager.t, T0 + 6000);
	g_assert_cmpuint(eager.recs->len, ==, 1);

	update(&lazy, &ev, 0, 300, T0 + 7000);
	update(&eager, &ev, 0, 300, T0 + 7000);
	g_assert_cmpuint(lazy.recs->len, ==, 1);
	assert_record(rec_at(&lazy, 0), &(struct want){.ev = &ev,
						       .packets = 2,
						       .octets = 200,
						       .start_ms = T0,
						       .end_ms = T0 + 1000,
						       .end_reason = RFM_END_IDLE});
	rfm_flow_table_flush(lazy.t);
	rfm_flow_table_flush(eager.t);
	g_assert_cmpuint(lazy.recs->len, ==, 2);
	assert_record(rec_at(&lazy, 1), &(struct want){.ev = &ev,
						       .packets = 1,
						       .octets = 300,
						       .start_ms = T0 + 7000,
						       .end_ms = T0 + 7000,
						       .end_reason = RFM_END_FORCED});
	g_assert_true(records_equal(lazy.recs, eager.recs, "late packet"));
	harness_fini(&lazy);
	harness_fini(&eager);
}

/*
 * A full table ends the flows that are already due before it evicts one:
 * otherwise a due flow is evicted with reason 5 instead of its own reason,
 * or another flow is evicted in its place, depending on when expire() ran.
 */
static void run_full_due(bool sweep, struct harness *h)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(17, "192.0.2.1", 1, "192.0.2.100", 53);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct rfm_event c = ev_make(17, "192.0.2.3", 1, "192.0.2.100", 53);

	o.idle_timeout_ms = 5000;
	o.active_timeout_ms = 10000;
	o.max_flows = 2;
	harness_init(h, &o);
	/* a is due for its active timeout at T0 + 10000; b is not due. */
	update(h, &a, 0, 100, T0);
	update(h, &a, 0, 100, T0 + 3000);
	update(h, &a, 0, 100, T0 + 6000);
	update(h, &b, 0, 100, T0 + 8000);
	update(h, &a, 0, 100, T0 + 9000);
	if (sweep)
		rfm_flow_table_expire(h->t, T0 + 10500);
	update(h, &c, 0, 100, T0 + 10500);
	rfm_flow_table_expire(h->t, T0 + 100000);
	g_assert_cmpuint(h->recs->len, ==, 3);
	assert_record(find_record(h, &a), &(struct want){.ev = &a,
							 .packets = 4,
							 .octets = 400,
							 .start_ms = T0,
							 .end_ms = T0 + 9000,
							 .end_reason = RFM_END_ACTIVE});
	assert_record(find_record(h, &b), &(struct want){.ev = &b,
							 .packets = 1,
							 .octets = 100,
							 .start_ms = T0 + 8000,
							 .end_ms = T0 + 8000,
							 .end_reason = RFM_END_IDLE});
}

static void test_expiry_full_table(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(17, "192.0.2.1", 1, "192.0.2.100", 53);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct harness h;

	run_full_due(true, &h);
	harness_fini(&h);
	run_full_due(false, &h);
	harness_fini(&h);

	/* The least recently seen flow is due: it ends idle, not for resources. */
	o.idle_timeout_ms = 5000;
	o.max_flows = 1;
	harness_init(&h, &o);
	update(&h, &a, 0, 100, T0);
	update(&h, &b, 0, 100, T0 + 6000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0,
						    .end_ms = T0,
						    .end_reason = RFM_END_IDLE});
	harness_fini(&h);
}

/*
 * Deadlines that tie go to the smaller reason code, as idle (1) wins over
 * active (2) in /flow_table/end/active: active (2) wins over end of flow (3).
 */
static void test_expiry_tie_active_eof(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event ev = ev_make(6, "10.0.0.1", 40000, "10.0.0.2", 443);
	struct harness h;

	o.active_timeout_ms = 10000;
	harness_init(&h, &o);
	update(&h, &ev, TCP_SYN, 60, T0);
	update(&h, &ev, TCP_FIN | TCP_ACK, 52, T0 + 8000); /* grace ends at T0 + 10000 */
	rfm_flow_table_expire(h.t, T0 + 10000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &ev,
						    .packets = 2,
						    .octets = 112,
						    .start_ms = T0,
						    .end_ms = T0 + 8000,
						    .tcp_flags = TCP_SYN | TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_ACTIVE});
	harness_fini(&h);
}

/*
 * Two flows last seen in the same millisecond, one waiting for its TCP grace
 * and one for idle: the one whose packet came first is the least recently
 * seen.
 */
static void test_evict_same_millisecond(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(6, "192.0.2.1", 1, "192.0.2.100", 443);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct rfm_event c = ev_make(17, "192.0.2.3", 1, "192.0.2.100", 53);
	struct harness h;

	o.max_flows = 2;
	o.tcp_end_grace_ms = 10000;
	harness_init(&h, &o);
	update(&h, &a, TCP_FIN | TCP_ACK, 52, T0 + 1000);
	update(&h, &b, 0, 100, T0 + 1000);
	update(&h, &c, 0, 100, T0 + 2000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 1000,
						    .end_ms = T0 + 1000,
						    .tcp_flags = TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_RESOURCES});
	harness_fini(&h);
}

/* --- keys ------------------------------------------------------------------ */

static void test_key_fields(void)
{
	struct rfm_event ev = ev_make(6, "2001:db8::1", 40000, "2001:db8:1::2", 443);
	struct rfm_flow_key k;
	guint8 addr[16];

	ev.ifindex = 7;
	ev.direction = RFM_DIR_EGRESS;
	ev.icmp_type = 3; /* ignored outside ICMP */
	rfm_flow_key_from_event(&k, &ev);
	parse_addr("2001:db8::1", addr, NULL);
	g_assert_cmpmem(k.src_addr, 16, addr, 16);
	parse_addr("2001:db8:1::2", addr, NULL);
	g_assert_cmpmem(k.dst_addr, 16, addr, 16);
	g_assert_cmpuint(k.ifindex, ==, 7);
	g_assert_cmpuint(k.src_port, ==, 40000);
	g_assert_cmpuint(k.dst_port, ==, 443);
	g_assert_cmpuint(k.vlan_id, ==, 0);
	g_assert_cmpuint(k.protocol, ==, 6);
	g_assert_cmpuint(k.direction, ==, RFM_DIR_EGRESS);
	g_assert_cmpuint(k.ip_version, ==, 6);

	ev = ev_make(17, "192.0.2.1", 53, "198.51.100.1", 5353);
	rfm_flow_key_from_event(&k, &ev);
	parse_addr("192.0.2.1", addr, NULL);
	g_assert_cmpmem(k.src_addr, 16, addr, 16);
	g_assert_cmpuint(k.src_addr[4], ==, 0);
	g_assert_cmpuint(k.ip_version, ==, 4);
	g_assert_cmpuint(k.direction, ==, RFM_DIR_INGRESS);
}

/* ICMP: src_port 0, dst_port type << 8 | code; ports in the event are ignored. */
static void test_key_icmp(void)
{
	struct rfm_event echo = ev_make(1, "192.0.2.1", 1111, "192.0.2.2", 2222);
	struct rfm_event unreach = echo;
	struct rfm_event echo6 = ev_make(58, "2001:db8::1", 0, "2001:db8::2", 0);
	struct rfm_flow_key k;
	struct harness h;

	echo.icmp_type = 8;
	unreach.icmp_type = 3;
	unreach.icmp_code = 1;
	echo6.icmp_type = 128;
	rfm_flow_key_from_event(&k, &echo);
	g_assert_cmpuint(k.src_port, ==, 0);
	g_assert_cmpuint(k.dst_port, ==, 0x0800);
	rfm_flow_key_from_event(&k, &unreach);
	g_assert_cmpuint(k.src_port, ==, 0);
	g_assert_cmpuint(k.dst_port, ==, 0x0301);
	rfm_flow_key_from_event(&k, &echo6);
	g_assert_cmpuint(k.dst_port, ==, 0x8000);

	harness_init(&h, &base_opts);
	update(&h, &echo, 0, 84, T0);
	echo.src_port = 3333; /* another ICMP id: same flow */
	update(&h, &echo, 0, 84, T0 + 1000);
	update(&h, &unreach, 0, 56, T0 + 1500);
	update(&h, &echo6, 0, 104, T0 + 2000);
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 3);
	g_assert_cmpuint(find_record(&h, &echo)->key.dst_port, ==, 0x0800);
	assert_record(find_record(&h, &echo), &(struct want){.ev = &echo,
							     .packets = 2,
							     .octets = 168,
							     .start_ms = T0,
							     .end_ms = T0 + 1000,
							     .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &unreach), &(struct want){.ev = &unreach,
								.packets = 1,
								.octets = 56,
								.start_ms = T0 + 1500,
								.end_ms = T0 + 1500,
								.end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &echo6), &(struct want){.ev = &echo6,
							      .packets = 1,
							      .octets = 104,
							      .start_ms = T0 + 2000,
							      .end_ms = T0 + 2000,
							      .end_reason = RFM_END_FORCED});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 3,
							 .updates = 4,
							 .ended[RFM_END_FORCED] = 3,
							 .capacity = 1000});
	harness_fini(&h);
}

/* vlan_id is the outer tag when RFM_EV_VLAN_OUTER says it is valid, else 0. */
static void test_key_vlan(void)
{
	struct rfm_event tagged = ev_make(17, "192.0.2.1", 1, "192.0.2.2", 2);
	struct rfm_event untagged, inner_only;
	struct rfm_flow_key k;
	struct harness h;

	tagged.vlan_outer = 100;
	tagged.vlan_inner = 200;
	untagged = tagged;
	inner_only = tagged;
	tagged.flags = RFM_EV_VLAN_OUTER | RFM_EV_VLAN_INNER;
	inner_only.flags = RFM_EV_VLAN_INNER;
	rfm_flow_key_from_event(&k, &tagged);
	g_assert_cmpuint(k.vlan_id, ==, 100);
	rfm_flow_key_from_event(&k, &untagged);
	g_assert_cmpuint(k.vlan_id, ==, 0);
	rfm_flow_key_from_event(&k, &inner_only);
	g_assert_cmpuint(k.vlan_id, ==, 0);

	harness_init(&h, &base_opts);
	update(&h, &tagged, 0, 100, T0);
	update(&h, &untagged, 0, 100, T0 + 1);
	update(&h, &inner_only, 0, 100, T0 + 2); /* same key as untagged */
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 2);
	g_assert_cmpuint(find_record(&h, &tagged)->key.vlan_id, ==, 100);
	assert_record(find_record(&h, &untagged), &(struct want){.ev = &untagged,
								 .packets = 2,
								 .octets = 200,
								 .start_ms = T0 + 1,
								 .end_ms = T0 + 2,
								 .end_reason = RFM_END_FORCED});
	harness_fini(&h);
}

/*
 * other_ifindex and the next hop, like DSCP, are those of the first packet;
 * distinct next hops beyond max_next_hops are not kept, and counted.
 */
static void test_next_hop(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(17, "192.0.2.1", 1, "198.51.100.1", 53);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "198.51.100.1", 53);
	struct rfm_event c = ev_make(17, "192.0.2.3", 1, "198.51.100.1", 53);
	struct rfm_event d = ev_make(17, "192.0.2.4", 1, "198.51.100.1", 53);
	struct harness h;

	o.max_next_hops = 1;
	harness_init(&h, &o);
	a.other_ifindex = 5;
	ev_set_next_hop(&a, "192.0.2.254");
	update(&h, &a, 0, 100, T0);
	a.other_ifindex = 6;
	ev_set_next_hop(&a, "192.0.2.253");
	update(&h, &a, 0, 100, T0 + 1);
	b.other_ifindex = 6;
	ev_set_next_hop(&b, "192.0.2.253");
	update(&h, &b, 0, 100, T0 + 2);
	c.other_ifindex = 5;
	ev_set_next_hop(&c, "192.0.2.254");
	update(&h, &c, 0, 100, T0 + 3);
	parse_addr("192.0.2.254", d.next_hop, NULL); /* without RFM_EV_NEXT_HOP */
	d.other_ifindex = 9;
	update(&h, &d, 0, 100, T0 + 4);
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 4);
	assert_record(find_record(&h, &a), &(struct want){.ev = &a,
							  .packets = 2,
							  .octets = 200,
							  .start_ms = T0,
							  .end_ms = T0 + 1,
							  .other_ifindex = 5,
							  .next_hop = "192.0.2.254",
							  .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &b), &(struct want){.ev = &b,
							  .packets = 1,
							  .octets = 100,
							  .start_ms = T0 + 2,
							  .end_ms = T0 + 2,
							  .other_ifindex = 6,
							  .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &c), &(struct want){.ev = &c,
							  .packets = 1,
							  .octets = 100,
							  .start_ms = T0 + 3,
							  .end_ms = T0 + 3,
							  .other_ifindex = 5,
							  .next_hop = "192.0.2.254",
							  .end_reason = RFM_END_FORCED});
	assert_record(find_record(&h, &d), &(struct want){.ev = &d,
							  .packets = 1,
							  .octets = 100,
							  .start_ms = T0 + 4,
							  .end_ms = T0 + 4,
							  .other_ifindex = 9,
							  .end_reason = RFM_END_FORCED});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 4,
							 .updates = 5,
							 .ended[RFM_END_FORCED] = 4,
							 .next_hops_dropped = 1,
							 .capacity = 1000});
	harness_fini(&h);
}

/* --- reload ----------------------------------------------------------------- */

/* A smaller max_flows evicts least recently seen first; new timeouts apply. */
static void test_options_max_flows(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event ev[6];
	const guint order[] = {2, 3, 4}; /* least recently seen first */
	struct harness h;

	harness_init(&h, &o);
	for (guint i = 0; i < G_N_ELEMENTS(ev); i++) {
		g_autofree char *src = g_strdup_printf("192.0.2.%u", i + 1);

		ev[i] = ev_make(17, src, 1, "198.51.100.1", 53);
	}
	for (guint i = 0; i < 5; i++)
		update(&h, &ev[i], 0, 100, T0 + i * 1000);
	update(&h, &ev[1], 0, 100, T0 + 5000);
	update(&h, &ev[0], 0, 100, T0 + 6000);

	o.max_flows = 2;
	rfm_flow_table_set_options(h.t, &o, T0 + 6000);
	g_assert_cmpuint(h.recs->len, ==, 3);
	for (guint i = 0; i < G_N_ELEMENTS(order); i++)
		assert_record(rec_at(&h, i), &(struct want){.ev = &ev[order[i]],
							    .packets = 1,
							    .octets = 100,
							    .start_ms = T0 + order[i] * 1000,
							    .end_ms = T0 + order[i] * 1000,
							    .end_reason = RFM_END_RESOURCES});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 5,
							 .updates = 7,
							 .ended[RFM_END_RESOURCES] = 3,
							 .active = 2,
							 .capacity = 2});

	update(&h, &ev[5], 0, 100, T0 + 7000); /* evicts ev[1] */
	g_assert_cmpuint(h.recs->len, ==, 4);
	assert_record(rec_at(&h, 3), &(struct want){.ev = &ev[1],
						    .packets = 2,
						    .octets = 200,
						    .start_ms = T0 + 1000,
						    .end_ms = T0 + 5000,
						    .end_reason = RFM_END_RESOURCES});

	/* A shorter idle timeout applies at the check set_options() makes. */
	o.idle_timeout_ms = 500;
	rfm_flow_table_set_options(h.t, &o, T0 + 7000);
	g_assert_cmpuint(h.recs->len, ==, 5);
	assert_record(rec_at(&h, 4), &(struct want){.ev = &ev[0],
						    .packets = 2,
						    .octets = 200,
						    .start_ms = T0,
						    .end_ms = T0 + 6000,
						    .end_reason = RFM_END_IDLE});
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 6,
							 .updates = 8,
							 .ended[RFM_END_RESOURCES] = 4,
							 .ended[RFM_END_IDLE] = 1,
							 .active = 1,
							 .capacity = 2});
	harness_fini(&h);
}

/*
 * Flows are referred to by 32-bit offsets in 16-byte units (112-byte
 * records): a larger max_flows is taken as the most they can address, and
 * such a table (only reserved, not committed) works.
 */
static void test_options_max_flows_limit(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event ev = ev_make(17, "192.0.2.1", 1, "198.51.100.1", 53);
	struct rfm_flow_table_stats s;
	struct harness h;

	o.max_flows = G_MAXUINT32;
	harness_init(&h, &o);
	rfm_flow_table_get_stats(h.t, &s);
	g_assert_cmpuint(s.capacity, ==, G_MAXUINT32 / 7);
	update(&h, &ev, 0, 100, T0);
	update(&h, &ev, 0, 100, T0 + 1);
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 1);
	g_assert_cmpuint(rec_at(&h, 0)->packets, ==, 2);
	harness_fini(&h);
}

/*
 * A flow whose deadline passed before the reload has ended under the old
 * options, swept or not: it is neither evicted (5) nor kept alive by longer
 * new timeouts.
 */
static void test_options_due_before_reload(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(17, "192.0.2.1", 1, "192.0.2.100", 53);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct harness h;

	o.idle_timeout_ms = 5000;
	harness_init(&h, &o);
	update(&h, &a, 0, 100, T0);
	update(&h, &b, 0, 100, T0 + 4000);
	o.max_flows = 1;
	o.idle_timeout_ms = 60000;
	rfm_flow_table_set_options(h.t, &o, T0 + 6000); /* a was due at T0 + 5000 */
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0,
						    .end_ms = T0,
						    .end_reason = RFM_END_IDLE});
	harness_fini(&h);

	o = base_opts;
	o.idle_timeout_ms = 5000;
	harness_init(&h, &o);
	update(&h, &a, 0, 100, T0);
	o.idle_timeout_ms = 60000;
	rfm_flow_table_set_options(h.t, &o, T0 + 6000);
	update(&h, &a, 0, 100, T0 + 7000); /* a new flow */
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 2);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0,
						    .end_ms = T0,
						    .end_reason = RFM_END_IDLE});
	assert_record(rec_at(&h, 1), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0 + 7000,
						    .end_ms = T0 + 7000,
						    .end_reason = RFM_END_FORCED});
	harness_fini(&h);
}

/*
 * Switching tcp_end at reload: flows that waited for their grace wait for
 * idle, and the other way round; the table stays consistent.
 */
static void test_options_tcp_end_toggle(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(6, "192.0.2.1", 1, "192.0.2.100", 443);
	struct rfm_event b = ev_make(17, "192.0.2.2", 1, "192.0.2.100", 53);
	struct rfm_event c = ev_make(6, "192.0.2.3", 1, "192.0.2.100", 443);
	struct rfm_event d = ev_make(6, "192.0.2.4", 1, "192.0.2.100", 443);
	struct rfm_event e = ev_make(17, "192.0.2.5", 1, "192.0.2.100", 53);
	struct harness h;

	harness_init(&h, &o);
	update(&h, &a, TCP_FIN | TCP_ACK, 52, T0);
	update(&h, &b, 0, 100, T0 + 500);
	update(&h, &c, TCP_ACK, 52, T0 + 1000);
	o.tcp_end = false; /* before a's grace ends at T0 + 2000 */
	rfm_flow_table_set_options(h.t, &o, T0 + 1500);
	rfm_flow_table_expire(h.t, T0 + 10000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 0);
	rfm_flow_table_expire(h.t, T0 + 10000);
	g_assert_cmpuint(h.recs->len, ==, 1);
	assert_record(rec_at(&h, 0), &(struct want){.ev = &a,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0,
						    .end_ms = T0,
						    .tcp_flags = TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_IDLE});
	rfm_flow_table_expire(h.t, T0 + 10500);
	g_assert_cmpuint(h.recs->len, ==, 2);
	rfm_flow_table_expire(h.t, T0 + 11000);
	g_assert_cmpuint(h.recs->len, ==, 3);
	assert_record(rec_at(&h, 2), &(struct want){.ev = &c,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 1000,
						    .end_ms = T0 + 1000,
						    .tcp_flags = TCP_ACK,
						    .end_reason = RFM_END_IDLE});

	update(&h, &d, TCP_FIN | TCP_ACK, 52, T0 + 20000);
	update(&h, &e, 0, 100, T0 + 20500);
	o.tcp_end = true;
	rfm_flow_table_set_options(h.t, &o, T0 + 21000);
	rfm_flow_table_expire(h.t, T0 + 22000 - 1);
	g_assert_cmpuint(h.recs->len, ==, 3);
	rfm_flow_table_expire(h.t, T0 + 22000);
	g_assert_cmpuint(h.recs->len, ==, 4);
	assert_record(rec_at(&h, 3), &(struct want){.ev = &d,
						    .packets = 1,
						    .octets = 52,
						    .start_ms = T0 + 20000,
						    .end_ms = T0 + 20000,
						    .tcp_flags = TCP_FIN | TCP_ACK,
						    .end_reason = RFM_END_EOF});
	rfm_flow_table_expire(h.t, T0 + 30500);
	g_assert_cmpuint(h.recs->len, ==, 5);
	assert_record(rec_at(&h, 4), &(struct want){.ev = &e,
						    .packets = 1,
						    .octets = 100,
						    .start_ms = T0 + 20500,
						    .end_ms = T0 + 20500,
						    .end_reason = RFM_END_IDLE});

	/* Still consistent: every new flow comes out once. */
	for (guint i = 0; i < 50; i++) {
		struct rfm_event x = a;

		x.src_port = (guint16)(100 + i);
		update(&h, &x, i % 2 ? TCP_RST : TCP_ACK, 40, T0 + 40000 + i);
	}
	rfm_flow_table_flush(h.t);
	g_assert_cmpuint(h.recs->len, ==, 55);
	assert_stats(h.t, &(struct rfm_flow_table_stats){.created = 55,
							 .updates = 55,
							 .ended[RFM_END_IDLE] = 4,
							 .ended[RFM_END_EOF] = 1,
							 .ended[RFM_END_FORCED] = 50,
							 .capacity = 1000});
	harness_fini(&h);
}

/* --- differential test against a naive reference ------------------------------ */

#define DIFF_RUNS  500
#define DIFF_STEPS 2000
#define POOL_MAX   40
#define NH_POOL	   6

/*
 * The reference: flows in a plain array, every deadline recomputed from the
 * documentation at every step, every due flow ended before anything else
 * happens (so nothing depends on when expire() is called).
 */
struct ref_flow {
	struct rfm_flow_key key;
	guint64 packets, octets, start_ms, last_ms;
	guint64 seen; /* sequence number of the last packet: order within one ms */
	guint32 other_ifindex;
	guint8 next_hop[16];
	bool has_next_hop;
	guint8 tcp_flags, dscp;
};

struct ref_table {
	struct rfm_flow_table_options opts;
	GArray *flows;	   /* struct ref_flow, owned, unordered */
	GArray *next_hops; /* guint8[16] kept so far, owned */
	GArray *out;	   /* struct rfm_flow_record, owned */
	guint64 seq;
	struct rfm_flow_table_stats stats;
};

static void ref_init(struct ref_table *r, const struct rfm_flow_table_options *o)
{
	memset(r, 0, sizeof(*r));
	r->opts = *o;
	r->flows = g_array_new(FALSE, TRUE, sizeof(struct ref_flow));
	r->next_hops = g_array_new(FALSE, TRUE, 16);
	r->out = g_array_new(FALSE, TRUE, sizeof(struct rfm_flow_record));
}

static void ref_fini(struct ref_table *r)
{
	g_array_unref(r->flows);
	g_array_unref(r->next_hops);
	g_array_unref(r->out);
}

static struct ref_flow *ref_flow_at(struct ref_table *r, guint i)
{
	return &g_array_index(r->flows, struct ref_flow, i);
}

/*
 * min(last + idle, start + active), or last + grace instead of last + idle
 * once TCP FIN or RST was seen (tcp_end); a tie goes to the smaller code.
 */
static guint64 ref_deadline(const struct ref_table *r, const struct ref_flow *f, guint8 *reason)
{
	bool closing =
		r->opts.tcp_end && f->key.protocol == 6 && (f->tcp_flags & (TCP_FIN | TCP_RST));
	guint64 quiet = f->last_ms + (closing ? r->opts.tcp_end_grace_ms : r->opts.idle_timeout_ms);
	guint8 quiet_reason = closing ? RFM_END_EOF : RFM_END_IDLE;
	guint64 active = f->start_ms + r->opts.active_timeout_ms;

	if (active < quiet || (active == quiet && RFM_END_ACTIVE < quiet_reason)) {
		*reason = RFM_END_ACTIVE;
		return active;
	}
	*reason = quiet_reason;
	return quiet;
}

static void ref_end(struct ref_table *r, guint i, guint8 reason)
{
	struct ref_flow *f = ref_flow_at(r, i);
	struct rfm_flow_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.key = f->key;
	rec.packets = f->packets;
	rec.octets = f->octets;
	rec.start_ms = f->start_ms;
	rec.end_ms = f->last_ms;
	rec.other_ifindex = f->other_ifindex;
	memcpy(rec.next_hop, f->next_hop, 16);
	rec.has_next_hop = f->has_next_hop;
	rec.tcp_flags = f->tcp_flags;
	rec.dscp = f->dscp;
	rec.end_reason = reason;
	g_array_append_val(r->out, rec);
	r->stats.ended[reason]++;
	r->stats.active--;
	g_array_remove_index_fast(r->flows, i);
}

static void ref_sweep(struct ref_table *r, guint64 now)
{
	for (guint i = 0; i < r->flows->len;) {
		guint8 reason;

		if (ref_deadline(r, ref_flow_at(r, i), &reason) <= now)
			ref_end(r, i, reason);
		else
			i++;
	}
}

/* The least recently seen flow: oldest last packet, by arrival order. */
static guint ref_lru_victim(struct ref_table *r)
{
	guint best = 0;

	for (guint i = 1; i < r->flows->len; i++)
		if (ref_flow_at(r, i)->seen < ref_flow_at(r, best)->seen)
			best = i;
	return best;
}

static void ref_evict_to(struct ref_table *r, guint32 limit)
{
	while (r->flows->len > limit)
		ref_end(r, ref_lru_victim(r), RFM_END_RESOURCES);
}

static bool ref_next_hop(struct ref_table *r, const guint8 nh[16])
{
	for (guint i = 0; i < r->next_hops->len; i++)
		if (!memcmp(&g_array_index(r->next_hops, guint8, i * 16), nh, 16))
			return true;
	if (r->next_hops->len >= r->opts.max_next_hops || r->next_hops->len >= G_MAXUINT16) {
		r->stats.next_hops_dropped++;
		return false;
	}
	g_array_append_vals(r->next_hops, nh, 1);
	return true;
}

static void ref_update(struct ref_table *r, const struct rfm_event *ev, guint64 now)
{
	struct rfm_flow_key k;
	struct ref_flow *f = NULL;

	r->stats.updates++;
	ref_sweep(r, now);
	ref_key(&k, ev);
	for (guint i = 0; i < r->flows->len && !f; i++)
		if (!memcmp(&ref_flow_at(r, i)->key, &k, sizeof(k)))
			f = ref_flow_at(r, i);
	if (!f) {
		struct ref_flow n = {0};

		ref_evict_to(r, r->opts.max_flows - 1);
		n.key = k;
		n.start_ms = now;
		n.dscp = ev->dscp;
		n.other_ifindex = ev->other_ifindex;
		if ((ev->flags & RFM_EV_NEXT_HOP) && ref_next_hop(r, ev->next_hop)) {
			n.has_next_hop = true;
			memcpy(n.next_hop, ev->next_hop, 16);
		}
		g_array_append_val(r->flows, n);
		f = ref_flow_at(r, r->flows->len - 1);
		r->stats.created++;
		r->stats.active++;
	}
	f->packets += ev->packets;
	f->octets += ev->octets;
	f->last_ms = now;
	f->seen = ++r->seq;
	f->tcp_flags |= ev->tcp_flags;
}

static void ref_flush(struct ref_table *r, bool all, guint32 ifindex)
{
	for (guint i = 0; i < r->flows->len;) {
		if (all || ref_flow_at(r, i)->key.ifindex == ifindex)
			ref_end(r, i, RFM_END_FORCED);
		else
			i++;
	}
}

/*
 * Flows due under the old options have ended already; then the new limit
 * evicts, and the new timeouts apply at the check that follows.
 */
static void ref_set_options(struct ref_table *r, const struct rfm_flow_table_options *o,
			    guint64 now)
{
	ref_sweep(r, now);
	r->opts = *o;
	ref_evict_to(r, o->max_flows);
	ref_sweep(r, now);
}

/* Canonical order of records: every field, key first. */
static gint record_cmp(gconstpointer pa, gconstpointer pb)
{
	const struct rfm_flow_record *a = pa, *b = pb;
	int c = memcmp(&a->key, &b->key, sizeof(a->key));

#define CMP(field)                                           \
	do {                                                 \
		if (a->field != b->field)                    \
			return a->field < b->field ? -1 : 1; \
	} while (0)
	if (c)
		return c;
	CMP(start_ms);
	CMP(end_ms);
	CMP(end_reason);
	CMP(packets);
	CMP(octets);
	CMP(tcp_flags);
	CMP(dscp);
	CMP(other_ifindex);
	CMP(has_next_hop);
#undef CMP
	return memcmp(a->next_hop, b->next_hop, 16);
}

static char *record_str(const struct rfm_flow_record *r)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], nh[INET6_ADDRSTRLEN];
	int af = r->key.ip_version == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, r->key.src_addr, src, sizeof(src));
	inet_ntop(af, r->key.dst_addr, dst, sizeof(dst));
	inet_ntop(af, r->next_hop, nh, sizeof(nh));
	return g_strdup_printf("if %u dir %u vlan %u proto %u %s.%u > %s.%u "
			       "[%" G_GUINT64_FORMAT " .. +%" G_GUINT64_FORMAT "] "
			       "pkts %" G_GUINT64_FORMAT " octets %" G_GUINT64_FORMAT
			       " flags 0x%02x dscp %u other %u nh %s reason %s",
			       r->key.ifindex, r->key.direction, r->key.vlan_id, r->key.protocol,
			       src, r->key.src_port, dst, r->key.dst_port, r->start_ms - T0,
			       r->end_ms - r->start_ms, r->packets, r->octets, r->tcp_flags,
			       r->dscp, r->other_ifindex, r->has_next_hop ? nh : "-",
			       rfm_end_reason_name(r->end_reason));
}

/* Same multiset of records? Sorts both; prints the first difference. */
static bool records_equal(GArray *a, GArray *b, const char *what)
{
	guint n = MIN(a->len, b->len);

	g_array_sort(a, record_cmp);
	g_array_sort(b, record_cmp);
	for (guint i = 0; i <= n; i++) {
		const struct rfm_flow_record *ra =
			i < a->len ? &g_array_index(a, struct rfm_flow_record, i) : NULL;
		const struct rfm_flow_record *rb =
			i < b->len ? &g_array_index(b, struct rfm_flow_record, i) : NULL;
		g_autofree char *sa = NULL, *sb = NULL;

		if (ra && rb && !record_cmp(ra, rb))
			continue;
		if (!ra && !rb)
			return true;
		sa = ra ? record_str(ra) : g_strdup("(none)");
		sb = rb ? record_str(rb) : g_strdup("(none)");
		g_printerr("%s: %u vs %u records; first difference at sorted #%u:\n"
			   "  table:     %s\n  reference: %s\n",
			   what, a->len, b->len, i, sa, sb);
		return false;
	}
	return true;
}

static guint32 rnd(GRand *r, guint32 n)
{
	return (guint32)g_rand_int_range(r, 0, (gint32)n);
}

/* One key of the pool: few distinct values, so that keys share parts. */
static void gen_template(GRand *r, struct rfm_event *ev)
{
	static const guint8 protos[] = {6, 6, 6, 17, 17, 1};
	static const guint16 sports[] = {40000, 40001, 53};
	static const guint16 dports[] = {443, 53, 80};
	static const guint8 icmp4[] = {0, 3, 8, 11};
	static const guint8 icmp6[] = {1, 128, 129, 135};
	g_autofree char *src = NULL, *dst = NULL;
	bool v6 = rnd(r, 3) == 0;

	if (v6) {
		src = g_strdup_printf("2001:db8::%u", 1 + rnd(r, 3));
		dst = g_strdup_printf("2001:db8:1::%u", 1 + rnd(r, 3));
	} else {
		src = g_strdup_printf("192.0.2.%u", 1 + rnd(r, 3));
		dst = g_strdup_printf("198.51.100.%u", 1 + rnd(r, 3));
	}
	*ev = ev_make(protos[rnd(r, G_N_ELEMENTS(protos))], src,
		      sports[rnd(r, G_N_ELEMENTS(sports))], dst,
		      dports[rnd(r, G_N_ELEMENTS(dports))]);
	if (ev->protocol == 1 && v6)
		ev->protocol = 58;
	ev->icmp_type = v6 ? icmp6[rnd(r, 4)] : icmp4[rnd(r, 4)];
	ev->icmp_code = rnd(r, 2);
	ev->ifindex = 1 + rnd(r, 3);
	ev->direction = rnd(r, 2);
	if (rnd(r, 10) < 3) {
		ev->flags |= RFM_EV_VLAN_OUTER;
		ev->vlan_outer = 1 + rnd(r, 3);
	}
}

struct gen {
	GRand *rand; /* owned */
	struct rfm_event pool[POOL_MAX];
	guint npool;
	guint8 nh[NH_POOL][16];
	guint32 max_step; /* ms */
	guint32 grain;	  /* ms: every timeout and time step is a multiple */
};

/* One packet of a pool key; what is not part of the key varies freely. */
static void gen_packet(struct gen *g, struct rfm_event *ev)
{
	GRand *r = g->rand;
	guint32 roll = rnd(r, 100);

	*ev = g->pool[rnd(r, g->npool)];
	ev->tstamp_ns = g_rand_int(r);
	ev->packets = rnd(r, 20) ? 1 + rnd(r, 3) : 1 + rnd(r, 100000);
	ev->octets = ev->packets * (40 + rnd(r, 1461));
	if (ev->protocol == 6)
		ev->tcp_flags = roll < 4    ? TCP_FIN | TCP_ACK
				: roll < 6  ? TCP_RST
				: roll < 10 ? TCP_SYN
				: roll < 15 ? TCP_SYN | TCP_ACK
				: roll < 60 ? TCP_ACK
					    : TCP_ACK | TCP_PSH;
	else
		ev->tcp_flags = roll < 5 ? rnd(r, 256) : 0;
	if (ev->protocol == 1 || ev->protocol == 58) {
		ev->src_port = rnd(r, 65536);
		ev->dst_port = rnd(r, 65536);
	}
	if (!(ev->flags & RFM_EV_VLAN_OUTER))
		ev->vlan_outer = rnd(r, 4096);
	ev->vlan_inner = rnd(r, 4096);
	if (rnd(r, 4) == 0)
		ev->flags |= RFM_EV_VLAN_INNER;
	ev->dscp = rnd(r, 64);
	ev->other_ifindex = rnd(r, 5);
	if (rnd(r, 2)) {
		ev->flags |= RFM_EV_NEXT_HOP;
		memcpy(ev->next_hop, g->nh[rnd(r, NH_POOL)], 16);
	} else {
		memcpy(ev->next_hop, g->nh[rnd(r, NH_POOL)], 16); /* not valid: ignored */
	}
}

/* Timeouts in multiples of grain, so that deadlines often tie. */
static void gen_options(GRand *r, guint32 grain, struct rfm_flow_table_options *o)
{
	static const guint32 max_flows[] = {1, 2, 3, 8, 8, 8, 16, 1000000};
	static const guint32 max_nh[] = {0, 1, 3, 64};

	o->idle_timeout_ms = grain * (1 + rnd(r, 20000 / grain));
	o->active_timeout_ms = grain * (1 + rnd(r, 60000 / grain));
	o->tcp_end = rnd(r, 4) != 0;
	o->tcp_end_grace_ms = grain * rnd(r, 5000 / grain + 1);
	o->max_flows = max_flows[rnd(r, G_N_ELEMENTS(max_flows))];
	o->max_next_hops = max_nh[rnd(r, G_N_ELEMENTS(max_nh))];
}

static void trace_options(bool trace, guint step, const struct rfm_flow_table_options *o)
{
	if (trace)
		g_printerr("%4u options idle %u active %u tcp_end %d grace %u max_flows %u "
			   "max_next_hops %u\n",
			   step, o->idle_timeout_ms, o->active_timeout_ms, o->tcp_end,
			   o->tcp_end_grace_ms, o->max_flows, o->max_next_hops);
}

/* --- batches (record_cmp() compares records) ---------------------------------- */

/*
 * One batch holding every case a packet can meet: a flow created and then
 * updated, FIN moving it to the closing list, its grace ending on its next
 * packet (a new flow), a sampling rate change (forced end), a full table
 * evicting the least recently seen flow. The event is rewritten in place
 * after each add, as the ring reuses its records. Nothing is accounted
 * before the flush; after it, records (in order) and statistics are those
 * of the same packets given one at a time.
 */
static void test_batch_same_as_direct(void)
{
	struct rfm_flow_table_options o = base_opts;
	struct rfm_event a = ev_make(6, "192.0.2.1", 1000, "198.51.100.1", 443);
	struct rfm_event b = ev_make(17, "2001:db8::1", 53, "2001:db8:1::1", 53);
	struct rfm_event c = ev_make(1, "192.0.2.3", 0, "198.51.100.3", 0);
	struct {
		const struct rfm_event *ev;
		guint8 tcp_flags;
		guint32 sample_rate;
		guint64 at;
	} steps[] = {
		{&a, TCP_SYN, 1, T0},
		{&b, 0, 1, T0},
		{&a, TCP_ACK, 1, T0 + 1},
		{&a, TCP_FIN | TCP_ACK, 1, T0 + 2},
		{&b, 0, 1, T0 + 3},
		{&a, TCP_ACK, 1, T0 + 2 + 2000}, /* grace over: EOF, then a new flow */
		{&b, 0, 100, T0 + 2100},	 /* another rate: forced end, new flow */
		{&c, 0, 1, T0 + 2200},		 /* the table is full: evicts the LRU (a) */
		{&b, 0, 100, T0 + 2300},
	};
	struct rfm_flow_table_stats sd, sb;
	struct rfm_flow_batch batch = {0};
	struct harness direct, batched;
	struct rfm_event ev;

	o.max_flows = 2;
	harness_init(&direct, &o);
	o.batch_min_flows = 1;
	harness_init(&batched, &o);
	ev_set_next_hop(&a, "192.0.2.254");
	for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
		ev = *steps[i].ev;
		ev.tcp_flags = steps[i].tcp_flags;
		ev.sample_rate = steps[i].sample_rate;
		ev.octets = 100 + i;
		rfm_flow_table_update(direct.t, &ev, steps[i].at);
		rfm_flow_batch_add(batched.t, &batch, &ev, steps[i].at);
		memset(&ev, 0xa5, sizeof(ev)); /* the ring reuses the record */
	}
	g_assert_cmpuint(batch.n, ==, G_N_ELEMENTS(steps) - 1); /* the first one, at once */
	rfm_flow_table_get_stats(batched.t, &sb);
	g_assert_cmpuint(sb.updates, ==, 1);
	g_assert_cmpuint(batched.recs->len, ==, 0);

	rfm_flow_table_update_batch(batched.t, &batch);
	g_assert_cmpuint(batch.n, ==, 0);
	rfm_flow_table_flush(direct.t);
	rfm_flow_table_flush(batched.t);
	g_assert_cmpuint(direct.recs->len, ==, 5);
	g_assert_cmpuint(batched.recs->len, ==, direct.recs->len);
	for (guint i = 0; i < direct.recs->len; i++) {
		g_assert_cmpint(record_cmp(rec_at(&batched, i), rec_at(&direct, i)), ==, 0);
		g_assert_cmpuint(rec_at(&batched, i)->sampling, ==, rec_at(&direct, i)->sampling);
	}
	rfm_flow_table_get_stats(direct.t, &sd);
	rfm_flow_table_get_stats(batched.t, &sb);
	g_assert_cmpmem(&sb, sizeof(sb), &sd, sizeof(sd));
	g_assert_cmpuint(sd.ended[RFM_END_EOF], ==, 1);
	g_assert_cmpuint(sd.ended[RFM_END_FORCED], ==, 1 + 2);
	g_assert_cmpuint(sd.ended[RFM_END_RESOURCES], ==, 1);
	harness_fini(&direct);
	harness_fini(&batched);
}

/*
 * How diff_run() hands packets to the table: one rfm_flow_table_update()
 * each, or rfm_flow_batch_add() into a batch flushed before every other
 * operation (and when full), with batch_min_flows 1 to 3 so that almost
 * every packet goes through the batch. Batched runs have more packets
 * between other operations (97 % of the steps instead of 80 %), so that
 * batches fill up.
 */
enum diff_feed {
	DIFF_DIRECT,
	DIFF_BATCH,
};

/* Pick the batching threshold of a batched run (the options are redrawn on the way). */
static void diff_batch_options(GRand *r, enum diff_feed feed, struct rfm_flow_table_options *o)
{
	if (feed == DIFF_BATCH)
		o->batch_min_flows = 1 + rnd(r, 3);
}

/* What the runs of a differential test did, summed. */
struct diff_totals {
	guint64 ended[RFM_END_MAX]; /* records by reason */
	guint64 packets;
	guint64 queued; /* packets left waiting in the batch by rfm_flow_batch_add() */
};

/* One random run; false on a difference. */
/* DOC: what differential() hands each run of seed_runs(). */
struct diff_job {
	enum diff_feed feed;
	struct diff_totals tot;
};

static bool diff_run(guint32 seed, bool trace, void *user_data)
{
	struct diff_job *job = user_data;
	enum diff_feed feed = job->feed;
	struct diff_totals *tot = &job->tot;

	g_autofree struct rfm_flow_batch *batch = g_new0(struct rfm_flow_batch, 1);
	guint32 packet_share = feed == DIFF_BATCH ? 970 : 800; /* per 1000 steps */
	struct rfm_flow_table_options o = {0};
	struct rfm_flow_table_stats s;
	struct ref_table ref;
	struct harness h;
	g_autofree char *what = NULL;
	struct gen g;
	guint64 now;
	bool ok;

	g.rand = g_rand_new_with_seed(seed);
	g.npool = 1 + rnd(g.rand, POOL_MAX);
	for (guint i = 0; i < g.npool; i++)
		gen_template(g.rand, &g.pool[i]);
	for (guint i = 0; i < NH_POOL; i++) {
		g_autofree char *nh = g_strdup_printf("192.0.2.%u", 250 + i);

		parse_addr(nh, g.nh[i], NULL);
	}
	g.max_step = (guint32[]){300, 1000, 3000}[rnd(g.rand, 3)];
	g.grain = (guint32[]){1, 1, 100, 1000}[rnd(g.rand, 4)];
	gen_options(g.rand, g.grain, &o);
	diff_batch_options(g.rand, feed, &o);
	trace_options(trace, 0, &o);
	harness_init(&h, &o);
	ref_init(&ref, &o);
	now = T0 + (g.grain == 1 ? rnd(g.rand, 1000) : 0);

	for (guint step = 0; step < DIFF_STEPS; step++) {
		guint32 t = rnd(g.rand, 100), op = rnd(g.rand, 1000);
		struct rfm_event ev;

		/* Other operations in the proportions of a direct run. */
		if (op >= packet_share)
			op = 800 + (op - packet_share) * 200 / (1000 - packet_share);
		else
			op = 0;
		if (op >= 800 && feed == DIFF_BATCH)
			rfm_flow_table_update_batch(h.t, batch);

		if (t >= 25 && t < 99)
			now += g.grain * (1 + rnd(g.rand, MAX(g.max_step / g.grain, 1)));
		else if (t == 99)
			now += g.grain *
			       rnd(g.rand,
				   3 * MAX(o.idle_timeout_ms, o.active_timeout_ms) / g.grain + 1);
		if (op < 800) {
			gen_packet(&g, &ev);
			if (trace) {
				struct rfm_flow_key k;

				ref_key(&k, &ev);
				g_printerr("%4u +%" G_GUINT64_FORMAT
					   " update if %u dir %u proto %u %u.%u:%u>%u.%u:%u "
					   "vlan %u pkts %u flags 0x%02x nh %d\n",
					   step, now - T0, k.ifindex, k.direction, k.protocol,
					   k.src_addr[3], k.src_addr[15], k.src_port, k.dst_addr[3],
					   k.dst_addr[15], k.dst_port, k.vlan_id, ev.packets,
					   ev.tcp_flags, !!(ev.flags & RFM_EV_NEXT_HOP));
			}
			if (feed == DIFF_BATCH) {
				rfm_flow_batch_add(h.t, batch, &ev, now);
				tot->queued += batch->n > 0;
			} else {
				rfm_flow_table_update(h.t, &ev, now);
			}
			tot->packets++;
			ref_update(&ref, &ev, now);
		} else if (op < 960) {
			if (trace)
				g_printerr("%4u +%" G_GUINT64_FORMAT " expire\n", step, now - T0);
			rfm_flow_table_expire(h.t, now);
			ref_sweep(&ref, now);
		} else if (op < 985) {
			gen_options(g.rand, g.grain, &o);
			diff_batch_options(g.rand, feed, &o);
			trace_options(trace, step, &o);
			rfm_flow_table_set_options(h.t, &o, now);
			ref_set_options(&ref, &o, now);
		} else {
			guint32 ifindex = op < 995 ? 1 + rnd(g.rand, 3) : 0;

			/* flush has no time: the caller expires first. */
			if (trace)
				g_printerr("%4u +%" G_GUINT64_FORMAT " expire, flush if %u\n", step,
					   now - T0, ifindex);
			rfm_flow_table_expire(h.t, now);
			ref_sweep(&ref, now);
			if (ifindex)
				rfm_flow_table_flush_interface(h.t, ifindex);
			else
				rfm_flow_table_flush(h.t);
			ref_flush(&ref, !ifindex, ifindex);
		}
	}
	rfm_flow_table_update_batch(h.t, batch); /* empty in a direct run */
	rfm_flow_table_expire(h.t, now);
	ref_sweep(&ref, now);
	rfm_flow_table_flush(h.t);
	ref_flush(&ref, true, 0);

	what = g_strdup_printf("seed %u", seed);
	ok = records_equal(h.recs, ref.out, what);
	rfm_flow_table_get_stats(h.t, &s);
	ref.stats.capacity = o.max_flows;
	for (int r = 0; r < RFM_END_MAX; r++) {
		tot->ended[r] += s.ended[r];
		if (s.ended[r] != ref.stats.ended[r])
			ok = false;
	}
	if (s.created != ref.stats.created || s.updates != ref.stats.updates ||
	    s.next_hops_dropped != ref.stats.next_hops_dropped || s.active != 0 ||
	    ref.stats.active != 0 || s.capacity != ref.stats.capacity)
		ok = false;
	if (!ok)
		g_printerr("seed %u: stats table/reference: created %" G_GUINT64_FORMAT
			   "/%" G_GUINT64_FORMAT " updates %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
			   " next_hops_dropped %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
			   " active %u/%u capacity %u/%u\n",
			   seed, s.created, ref.stats.created, s.updates, ref.stats.updates,
			   s.next_hops_dropped, ref.stats.next_hops_dropped, s.active,
			   ref.stats.active, s.capacity, ref.stats.capacity);
	ref_fini(&ref);
	harness_fini(&h);
	g_rand_free(g.rand);
	return ok;
}

static void differential(enum diff_feed feed, const char *path)
{
	guint32 runs = seed_runs_env("RFM_TEST_RUNS", DIFF_RUNS);
	gint64 t0 = g_get_monotonic_time();
	struct diff_job job = {.feed = feed};

	if (!seed_runs(path, 0, DIFF_RUNS, diff_run, &job))
		return;
	g_test_message("%u runs x %u steps in %.2f s; %" G_GUINT64_FORMAT
		       " packets, %" G_GUINT64_FORMAT
		       " left in the batch; records idle %" G_GUINT64_FORMAT
		       " active %" G_GUINT64_FORMAT " eof %" G_GUINT64_FORMAT
		       " forced %" G_GUINT64_FORMAT " resources %" G_GUINT64_FORMAT,
		       runs, DIFF_STEPS, (g_get_monotonic_time() - t0) / 1e6, job.tot.packets,
		       job.tot.queued, job.tot.ended[RFM_END_IDLE], job.tot.ended[RFM_END_ACTIVE],
		       job.tot.ended[RFM_END_EOF], job.tot.ended[RFM_END_FORCED],
		       job.tot.ended[RFM_END_RESOURCES]);
	if (runs < DIFF_RUNS)
		return;
	/* The random streams must reach every end reason, or they test little. */
	for (int r = RFM_END_IDLE; r < RFM_END_MAX; r++)
		g_assert_cmpuint(job.tot.ended[r], >, 100);
	/* And a batched run must batch: most packets wait for a later one. */
	if (feed == DIFF_BATCH)
		g_assert_cmpuint(job.tot.queued, >, job.tot.packets * 3 / 4);
}

static void test_differential(void)
{
	differential(DIFF_DIRECT, "/flow_table/differential/random");
}

static void test_differential_batch(void)
{
	differential(DIFF_BATCH, "/flow_table/differential/batch");
}

/*
 * Every test runs in a subprocess, so that a failed assertion, or a crash of
 * a corrupted table, is reported and the other tests still run. The random
 * tests take their seed from RFM_TEST_SEED, else from GTest's (--seed).
 */
struct test_case {
	const char *path;
	GTestFunc fn;
};

static void run_isolated(gconstpointer data)
{
	const struct test_case *c = data;
	g_autofree char *seed = NULL;

	if (g_test_subprocess()) {
		c->fn();
		return;
	}
	if (!g_getenv("RFM_TEST_SEED")) {
		seed = g_strdup_printf("%u", g_test_rand_int());
		g_setenv("RFM_TEST_SEED", seed, TRUE);
	}
	g_test_trap_subprocess(NULL, 120 * G_USEC_PER_SEC,
			       G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
	if (!g_test_trap_has_passed()) {
		g_test_message("%s failed (RFM_TEST_SEED=%s)", c->path, g_getenv("RFM_TEST_SEED"));
		g_test_fail();
	}
}

static const struct test_case tests[] = {
	{"/flow_table/end/idle", test_end_idle},
	{"/flow_table/end/active", test_end_active},
	{"/flow_table/end/eof-fin", test_end_eof_fin},
	{"/flow_table/end/eof-rst", test_end_eof_rst},
	{"/flow_table/end/tcp-end-off", test_end_tcp_end_off},
	{"/flow_table/end/forced", test_end_forced},
	{"/flow_table/end/resources", test_end_resources},
	{"/flow_table/expiry/late-packet", test_expiry_late_packet},
	{"/flow_table/expiry/full-table", test_expiry_full_table},
	{"/flow_table/expiry/tie-active-eof", test_expiry_tie_active_eof},
	{"/flow_table/evict/same-millisecond", test_evict_same_millisecond},
	{"/flow_table/key/fields", test_key_fields},
	{"/flow_table/key/icmp", test_key_icmp},
	{"/flow_table/key/vlan", test_key_vlan},
	{"/flow_table/next-hop/first-packet", test_next_hop},
	{"/flow_table/options/max-flows", test_options_max_flows},
	{"/flow_table/options/max-flows-limit", test_options_max_flows_limit},
	{"/flow_table/options/due-before-reload", test_options_due_before_reload},
	{"/flow_table/options/tcp-end-toggle", test_options_tcp_end_toggle},
	{"/flow_table/batch/same-as-direct", test_batch_same_as_direct},
	{"/flow_table/differential/random", test_differential},
	{"/flow_table/differential/batch", test_differential_batch},
};

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* The parent only collects results: a failed test must not stop the others. */
	if (!g_test_subprocess())
		g_test_set_nonfatal_assertions();
	for (gsize i = 0; i < G_N_ELEMENTS(tests); i++)
		g_test_add_data_func(tests[i].path, &tests[i], run_isolated);
	return g_test_run();
}
