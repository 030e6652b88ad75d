// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * test_rollup.c - the Prometheus flow rollup: series lookup, the max_series
 * overflow, TTL expiry of unreferenced idle series, counters that keep their
 * values when flows end (through a real flow table and its hooks), a
 * differential test against a naive model over random events, and the
 * exposition text line by line (and promtool when installed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow_table.h"
#include "rollup.h"

#define ASN_LABELS (RFM_ROLLUP_SRC_ASN | RFM_ROLLUP_DST_ASN)

static struct rfm_rollup_key key_make(guint32 ifindex, guint8 proto, guint32 src_asn,
				      guint32 dst_asn)
{
	struct rfm_rollup_key k = {.ifindex = ifindex, .protocol = proto};

	k.src_asn = src_asn;
	k.dst_asn = dst_asn;
	return k;
}

/* The value of the line that starts with prefix (name and labels) in text, or -1. */
static gint64 metric_value(const char *text, const char *prefix)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	gsize n = strlen(prefix);

	for (gsize i = 0; lines[i]; i++)
		if (!strncmp(lines[i], prefix, n) && lines[i][n] == ' ')
			return g_ascii_strtoll(lines[i] + n + 1, NULL, 10);
	return -1;
}

static void test_series_lookup(void)
{
	struct rfm_rollup_options o = {ASN_LABELS, 10, 60};
	struct rfm_rollup *r = rfm_rollup_new(&o);
	struct rfm_rollup_key a = key_make(2, 6, 64496, 64497), b = a, c = a;
	struct rfm_rollup_stats st;
	guint32 ia, ib, ic;

	strcpy(b.src_country, "NL"); /* not a configured label: same series */
	b.src_city = "Amsterdam";
	c.direction = RFM_DIR_EGRESS;
	ia = rfm_rollup_series(r, &a, 0);
	ib = rfm_rollup_series(r, &b, 0);
	ic = rfm_rollup_series(r, &c, 0);
	g_assert_cmpuint(ia, !=, RFM_ROLLUP_OTHER);
	g_assert_cmpuint(ia, ==, ib);
	g_assert_cmpuint(ic, !=, ia);
	g_assert_cmpuint(ic, !=, RFM_ROLLUP_OTHER);
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 2);
	g_assert_cmpuint(st.limit, ==, 10);
	g_assert_cmpuint(st.overflow, ==, 0);
	rfm_rollup_release(r, ia);
	rfm_rollup_release(r, ib);
	rfm_rollup_release(r, ic);
	rfm_rollup_free(r);
}

static void test_overflow(void)
{
	struct rfm_rollup_options o = {ASN_LABELS, 2, 5};
	struct rfm_rollup *r = rfm_rollup_new(&o);
	struct rfm_rollup_key k1 = key_make(2, 17, 1, 2), k2 = key_make(2, 17, 1, 3),
			      k3 = key_make(2, 17, 1, 4);
	struct rfm_rollup_stats st;
	g_autoptr(GString) text = g_string_new(NULL);
	guint32 i1, i2, i3;

	i1 = rfm_rollup_series(r, &k1, 0);
	i2 = rfm_rollup_series(r, &k2, 0);
	i3 = rfm_rollup_series(r, &k3, 0);
	g_assert_cmpuint(i1, !=, RFM_ROLLUP_OTHER);
	g_assert_cmpuint(i2, !=, RFM_ROLLUP_OTHER);
	g_assert_cmpuint(i3, ==, RFM_ROLLUP_OTHER);
	rfm_rollup_add(*rfm_rollup_tallies(r), i3, 10, 1000);
	rfm_rollup_add(*rfm_rollup_tallies(r), i3, 20, 2000);
	rfm_rollup_release(r, i3); /* a no-op for "other" */
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 2);
	g_assert_cmpuint(st.overflow, ==, 2);
	rfm_rollup_render(r, text, NULL, NULL);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"other\","
						"direction=\"other\",protocol=\"other\","
						"src_asn=\"other\",dst_asn=\"other\"}"),
			==, 30);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_series_overflow_total"), ==, 2);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_series"), ==, 2);

	/* Once k1's series is gone, k3 gets a series of its own. */
	rfm_rollup_release(r, i1);
	rfm_rollup_expire(r, 5000);
	g_assert_cmpuint(rfm_rollup_series(r, &k3, 5000), ==, i1);
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.expired, ==, 1);
	g_assert_cmpuint(st.overflow, ==, 2);
	rfm_rollup_release(r, i1);
	rfm_rollup_release(r, i2);
	rfm_rollup_free(r);
}

static void test_expiry(void)
{
	struct rfm_rollup_options o = {ASN_LABELS, 10, 10};
	struct rfm_rollup *r = rfm_rollup_new(&o);
	struct rfm_rollup_key ka = key_make(2, 6, 1, 2), kb = key_make(2, 6, 1, 3);
	struct rfm_flow_tally *const *t = rfm_rollup_tallies(r);
	guint32 a = rfm_rollup_series(r, &ka, 0), b = rfm_rollup_series(r, &kb, 0), c;
	g_autoptr(GString) text = g_string_new(NULL);
	struct rfm_rollup_stats st;

	rfm_rollup_release(r, b); /* a stays held (a live flow) */
	rfm_rollup_add(*t, a, 1, 100);
	rfm_rollup_add(*t, b, 1, 100);
	rfm_rollup_expire(r, 5000); /* both moved: idle from 5 s */
	rfm_rollup_expire(r, 14000);
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 2);
	rfm_rollup_expire(r, 15000); /* b idle for the TTL and unheld: dropped; a held */
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 1);
	g_assert_cmpuint(st.expired, ==, 1);
	rfm_rollup_expire(r, 15500); /* at most once a second: nothing happens */
	rfm_rollup_release(r, a);
	rfm_rollup_expire(r, 15900);
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 1);
	rfm_rollup_render(r, text, NULL, NULL);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"2\","
						"direction=\"ingress\",protocol=\"tcp\","
						"src_asn=\"1\",dst_asn=\"2\"}"),
			==, 1);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"2\","
						"direction=\"ingress\",protocol=\"tcp\","
						"src_asn=\"1\",dst_asn=\"3\"}"),
			==, -1);
	rfm_rollup_expire(r, 16000);
	rfm_rollup_get_stats(r, &st);
	g_assert_cmpuint(st.series, ==, 0);
	g_assert_cmpuint(st.expired, ==, 2);
	/* A recycled id starts from zero. */
	c = rfm_rollup_series(r, &kb, 16000);
	g_assert_true(c == a || c == b);
	g_assert_cmpuint((*t)[c].packets, ==, 0);
	g_assert_cmpuint((*t)[c].samples, ==, 0);
	rfm_rollup_release(r, c);
	rfm_rollup_free(r);
}

static void test_set_options(void)
{
	struct rfm_rollup_options o = {ASN_LABELS, 2, 60};
	struct rfm_rollup *r = rfm_rollup_new(&o);
	struct rfm_rollup_key k = key_make(2, 6, 1, 2), k2 = key_make(2, 6, 1, 3);
	g_autoptr(GString) text = g_string_new(NULL);
	guint32 a, b, c, d;

	strcpy(k.dst_country, "DE");
	a = rfm_rollup_series(r, &k, 0);
	rfm_rollup_add(*rfm_rollup_tallies(r), a, 5, 500);
	/* Fewer labels, smaller limit: a keeps its labels and counts; new sets use the new ones. */
	o.labels = RFM_ROLLUP_DST_COUNTRY;
	o.max_series = 1;
	rfm_rollup_set_options(r, &o);
	b = rfm_rollup_series(r, &k, 0);
	g_assert_cmpuint(b, ==, RFM_ROLLUP_OTHER); /* 1 held already */
	o.max_series = 3;
	rfm_rollup_set_options(r, &o);
	c = rfm_rollup_series(r, &k, 0);
	d = rfm_rollup_series(r, &k2, 0); /* same dst_country "" vs "DE": another set */
	g_assert_cmpuint(c, !=, a);
	g_assert_cmpuint(c, !=, RFM_ROLLUP_OTHER);
	g_assert_cmpuint(d, !=, c);
	rfm_rollup_render(r, text, NULL, NULL);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"2\","
						"direction=\"ingress\",protocol=\"tcp\","
						"src_asn=\"1\",dst_asn=\"2\"}"),
			==, 5);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"2\","
						"direction=\"ingress\",protocol=\"tcp\","
						"dst_country=\"DE\"}"),
			==, 0);
	g_assert_cmpint(metric_value(text->str, "rfm_flow_packets_total{interface=\"other\","
						"direction=\"other\",protocol=\"other\","
						"dst_country=\"other\"}"),
			==, 0);
	rfm_rollup_release(r, a);
	rfm_rollup_release(r, c);
	rfm_rollup_release(r, d);
	rfm_rollup_free(r);
}

/* --- through a real flow table -------------------------------------------- */

/* Label values of a flow, from its addresses (documentation ASNs). */
static void rollup_key_of(const struct rfm_flow_key *fk, struct rfm_rollup_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = fk->ifindex;
	k->direction = fk->direction;
	k->protocol = fk->protocol;
	k->src_asn = 64496 + fk->src_addr[3] % 4;
	k->dst_asn = 65536 + fk->dst_addr[3] % 3;
}

/* DOC: the naive model of the differential test. */
struct ref_series {
	guint64 packets, octets, samples;
	guint64 seen, changed_ms;
	guint32 live; /* flows counted in it */
	char *labels; /* as rendered, owned */
};

struct harness {
	struct rfm_rollup *r;
	struct rfm_flow_table *t;
	guint64 now_ms;
	/* the model (differential test only) */
	bool model;
	GHashTable *ref;	 /* labels -> struct ref_series (owned) */
	GHashTable *flow_series; /* flow key (owned) -> struct ref_series (borrowed), NULL: other */
	struct ref_series other;
	guint32 max_series, ttl_s;
	guint64 expired, next_check;
};

static char *labels_of(const struct rfm_rollup_key *k)
{
	static const char *const protos[256] = {[6] = "tcp", [17] = "udp"};

	return g_strdup_printf("interface=\"if%u\",direction=\"%s\",protocol=\"%s\",src_asn=\"%u\","
			       "dst_asn=\"%u\"",
			       k->ifindex, k->direction ? "egress" : "ingress", protos[k->protocol],
			       k->src_asn, k->dst_asn);
}

static guint32 h_open(const struct rfm_flow_key *fk, guint64 now_ms, void *user_data)
{
	struct harness *h = user_data;
	struct rfm_rollup_key k;
	struct ref_series *s = NULL;
	guint32 id;

	rollup_key_of(fk, &k);
	id = rfm_rollup_series(h->r, &k, now_ms);
	if (!h->model)
		return id;
	{
		g_autofree char *labels = labels_of(&k);

		s = g_hash_table_lookup(h->ref, labels);
		if (!s && g_hash_table_size(h->ref) < h->max_series) {
			s = g_new0(struct ref_series, 1);
			s->labels = g_steal_pointer(&labels);
			s->changed_ms = now_ms;
			g_hash_table_insert(h->ref, s->labels, s);
		}
	}
	g_assert_cmpint(id == RFM_ROLLUP_OTHER, ==, s == NULL);
	if (s)
		s->live++;
	g_hash_table_insert(h->flow_series, g_memdup2(fk, sizeof(*fk)), s);
	return id;
}

static void h_close(guint32 tag, void *user_data)
{
	struct harness *h = user_data;

	rfm_rollup_release(h->r, tag);
}

static void h_sink(const struct rfm_flow_record *rec, void *user_data)
{
	struct harness *h = user_data;
	struct ref_series *s;

	if (!h->model)
		return;
	g_assert_true(
		g_hash_table_lookup_extended(h->flow_series, &rec->key, NULL, (gpointer *)&s));
	if (s)
		s->live--;
	g_hash_table_remove(h->flow_series, &rec->key);
}

static guint fkey_hash(gconstpointer p)
{
	const guint8 *b = p;
	guint h = 5381;

	for (gsize i = 0; i < sizeof(struct rfm_flow_key); i++)
		h = h * 33 + b[i];
	return h;
}

static gboolean fkey_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct rfm_flow_key));
}

static void ref_free(gpointer p)
{
	struct ref_series *s = p;

	g_free(s->labels);
	g_free(s);
}

static void harness_init(struct harness *h, const struct rfm_rollup_options *ro, bool model,
			 bool batched)
{
	struct rfm_flow_table_options fo = {
		.idle_timeout_ms = 1000,
		.active_timeout_ms = 5000,
		.max_flows = 100000,
		.tcp_end = true,
		.tcp_end_grace_ms = 200,
		.max_next_hops = 16,
		.batch_min_flows = batched ? 1 : G_MAXUINT32,
	};
	struct rfm_flow_hooks hooks = {.open = h_open, .close = h_close, .user_data = h};

	memset(h, 0, sizeof(*h));
	h->r = rfm_rollup_new(ro);
	h->t = rfm_flow_table_new(&fo);
	hooks.tallies = rfm_rollup_tallies(h->r);
	rfm_flow_table_set_hooks(h->t, &hooks);
	rfm_flow_table_add_sink(h->t, h_sink, h);
	h->model = model;
	h->max_series = ro->max_series;
	h->ttl_s = ro->series_ttl_s;
	h->ref = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, ref_free);
	h->flow_series = g_hash_table_new_full(fkey_hash, fkey_equal, g_free, NULL);
}

static void harness_fini(struct harness *h)
{
	rfm_flow_table_free(h->t);
	rfm_rollup_free(h->r);
	g_hash_table_destroy(h->ref);
	g_hash_table_destroy(h->flow_series);
}

static const char *h_ifname(guint32 ifindex, void *user_data)
{
	static char name[16];

	(void)user_data;
	g_snprintf(name, sizeof(name), "if%u", ifindex);
	return name;
}

static struct rfm_event ev_make(guint32 k, guint8 proto, guint32 rate)
{
	struct rfm_event ev = {0};

	ev.ip_version = 4;
	ev.src_addr[0] = 198;
	ev.src_addr[1] = 18;
	ev.src_addr[2] = (guint8)(k >> 8);
	ev.src_addr[3] = (guint8)k;
	ev.dst_addr[0] = 198;
	ev.dst_addr[1] = 19;
	ev.dst_addr[3] = (guint8)(k * 7);
	ev.protocol = proto;
	ev.src_port = (guint16)(1024 + k);
	ev.dst_port = 443;
	ev.ifindex = 1 + k % 2;
	ev.direction = (k >> 1) % 2;
	ev.packets = 1;
	ev.octets = 100;
	ev.sample_rate = rate;
	return ev;
}

static void test_monotonic_across_flow_expiry(void)
{
	struct rfm_rollup_options o = {ASN_LABELS, 100, 3600};
	struct harness h;
	struct rfm_event e1 = ev_make(1, 6, 10), e2 = ev_make(5, 17, 100);
	g_autoptr(GString) before = g_string_new(NULL);
	g_autoptr(GString) after = g_string_new(NULL);
	struct rfm_rollup_key k1, k2;
	struct rfm_flow_key fk;
	struct rfm_flow_table_stats fs;
	g_autofree char *l1 = NULL, *l2 = NULL, *p1 = NULL, *b2 = NULL;

	harness_init(&h, &o, false, false);
	for (int i = 0; i < 5; i++) {
		h.now_ms = 1000 + i * 100;
		rfm_flow_table_update(h.t, &e1, h.now_ms);
		e2.octets = 1000 + i;
		rfm_flow_table_update(h.t, &e2, h.now_ms);
	}
	rfm_flow_key_from_event(&fk, &e1);
	rollup_key_of(&fk, &k1);
	rfm_flow_key_from_event(&fk, &e2);
	rollup_key_of(&fk, &k2);
	l1 = labels_of(&k1);
	l2 = labels_of(&k2);
	p1 = g_strdup_printf("rfm_flow_packets_total{%s}", l1);
	b2 = g_strdup_printf("rfm_flow_bytes_total{%s}", l2);
	rfm_rollup_render(h.r, before, h_ifname, NULL);
	g_assert_cmpint(metric_value(before->str, p1), ==, 5 * 10);
	g_assert_cmpint(metric_value(before->str, b2), ==, (5000 + 10) * 100);

	/* Every flow ends (idle); counters stay where they were, and keep rising. */
	h.now_ms = 10000;
	rfm_flow_table_expire(h.t, h.now_ms);
	rfm_rollup_expire(h.r, h.now_ms);
	rfm_flow_table_get_stats(h.t, &fs);
	g_assert_cmpuint(fs.active, ==, 0);
	rfm_rollup_render(h.r, after, h_ifname, NULL);
	g_assert_cmpstr(before->str, ==, after->str);
	rfm_flow_table_update(h.t, &e1, h.now_ms);
	g_string_truncate(after, 0);
	rfm_rollup_render(h.r, after, h_ifname, NULL);
	g_assert_cmpint(metric_value(after->str, p1), ==, 6 * 10);
	harness_fini(&h);
}

/* The model's expiry pass: what rfm_rollup_expire() does, written out naively. */
static void ref_expire(struct harness *h)
{
	GHashTableIter it;
	struct ref_series *s;

	if (h->now_ms < h->next_check)
		return;
	h->next_check = h->now_ms + 1000;
	g_hash_table_iter_init(&it, h->ref);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s)) {
		if (s->samples != s->seen) {
			s->seen = s->samples;
			s->changed_ms = h->now_ms;
		} else if (!s->live && h->now_ms >= s->changed_ms + (guint64)h->ttl_s * 1000) {
			g_hash_table_iter_remove(&it);
			h->expired++;
		}
	}
}

static void check_against_model(struct harness *h)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_auto(GStrv) lines = NULL;
	struct rfm_rollup_stats st;
	GHashTableIter it;
	struct ref_series *s;
	guint rendered = 0;

	rfm_rollup_render(h->r, text, h_ifname, NULL);
	lines = g_strsplit(text->str, "\n", -1);
	for (gsize i = 0; lines[i]; i++) {
		const char *p = "rfm_flow_packets_total{";
		char *end;

		if (strncmp(lines[i], p, strlen(p)) || strstr(lines[i], "\"other\""))
			continue;
		end = strstr(lines[i], "} ");
		g_assert_nonnull(end);
		*end = '\0';
		s = g_hash_table_lookup(h->ref, lines[i] + strlen(p));
		if (!s)
			g_error("rendered but not in the model: %s", lines[i]);
		g_assert_cmpuint(g_ascii_strtoull(end + 2, NULL, 10), ==, s->packets);
		rendered++;
	}
	g_assert_cmpuint(rendered, ==, g_hash_table_size(h->ref));
	g_hash_table_iter_init(&it, h->ref);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s)) {
		g_autofree char *b = g_strdup_printf("rfm_flow_bytes_total{%s}", s->labels);

		g_assert_cmpint(metric_value(text->str, b), ==, (gint64)s->octets);
	}
	rfm_rollup_get_stats(h->r, &st);
	g_assert_cmpuint(st.series, ==, g_hash_table_size(h->ref));
	g_assert_cmpuint(st.overflow, ==, h->other.samples);
	g_assert_cmpuint(st.expired, ==, h->expired);
	g_assert_cmpuint((*rfm_rollup_tallies(h->r))[RFM_ROLLUP_OTHER].packets, ==,
			 h->other.packets);
}

/* The batched twin: account what waits, then the same expiry calls. */
static void twin_expire(struct harness *b, struct rfm_flow_batch *batch, guint64 now_ms)
{
	rfm_flow_table_update_batch(b->t, batch);
	rfm_flow_table_expire(b->t, now_ms);
	rfm_rollup_expire(b->r, now_ms);
}

/* Batched or not, the exposition is the same text. */
static void twin_compare(struct harness *h, struct harness *b, struct rfm_flow_batch *batch)
{
	g_autoptr(GString) x = g_string_new(NULL);
	g_autoptr(GString) y = g_string_new(NULL);

	rfm_flow_table_update_batch(b->t, batch);
	rfm_rollup_render(h->r, x, h_ifname, NULL);
	rfm_rollup_render(b->r, y, h_ifname, NULL);
	g_assert_cmpstr(x->str, ==, y->str);
}

static void test_differential(void)
{
	static const guint32 rates[] = {1, 10, 100};
	struct rfm_rollup_options o = {ASN_LABELS, 12, 3}; /* 24 label sets in use */
	guint32 seed = g_test_rand_int();
	const char *env = g_getenv("RFM_TEST_SEED");
	guint32 rate_of[300];
	struct rfm_flow_batch batch = {0};
	struct harness h, hb; /* hb: the same events through rfm_flow_batch_add() */
	GRand *rng;

	if (env)
		seed = (guint32)g_ascii_strtoull(env, NULL, 10);
	printf("# test_rollup differential: seed %u (RFM_TEST_SEED=%u to repeat)\n", seed, seed);
	rng = g_rand_new_with_seed(seed);
	for (guint k = 0; k < G_N_ELEMENTS(rate_of); k++)
		rate_of[k] = rates[g_rand_int_range(rng, 0, 3)];
	harness_init(&h, &o, true, false);
	harness_init(&hb, &o, false, true);
	h.now_ms = 1000000;
	for (int n = 0; n < 200000; n++) {
		/* Half the keys at a time: the others' series go idle. */
		guint32 k = g_rand_int_range(rng, 0, 150) + (n / 30000 % 2) * 150;
		struct rfm_event ev;
		struct rfm_flow_key fk;
		struct ref_series *s;

		if (g_rand_int_range(rng, 0, 1000) == 0) /* a rate change ends the flow */
			rate_of[k] = rates[g_rand_int_range(rng, 0, 3)];
		ev = ev_make(k, (k & 4) ? 6 : 17, rate_of[k]);
		ev.packets = g_rand_int_range(rng, 1, 4);
		ev.octets = g_rand_int_range(rng, 40, 1500) * ev.packets;
		if (ev.protocol == 6 && g_rand_int_range(rng, 0, 50) == 0)
			ev.tcp_flags = 0x01; /* FIN */
		h.now_ms += g_rand_int_range(rng, 0, 3);
		rfm_flow_table_update(h.t, &ev, h.now_ms);
		rfm_flow_batch_add(hb.t, &batch, &ev, h.now_ms);
		rfm_flow_key_from_event(&fk, &ev);
		g_assert_true(
			g_hash_table_lookup_extended(h.flow_series, &fk, NULL, (gpointer *)&s));
		if (!s)
			s = &h.other;
		s->packets += (guint64)ev.packets * ev.sample_rate;
		s->octets += (guint64)ev.octets * ev.sample_rate;
		s->samples++;
		if (n % 97 == 0) {
			rfm_flow_table_expire(h.t, h.now_ms);
			rfm_rollup_expire(h.r, h.now_ms);
			ref_expire(&h);
			twin_expire(&hb, &batch, h.now_ms);
		}
		if (n % 5000 == 0) {
			check_against_model(&h);
			twin_compare(&h, &hb, &batch);
			/* A quiet spell: flows end, then series expire and ids are reused. */
			for (int q = 0; n % 20000 == 0 && q < 6; q++) {
				h.now_ms += 1000;
				rfm_flow_table_expire(h.t, h.now_ms);
				rfm_rollup_expire(h.r, h.now_ms);
				ref_expire(&h);
				check_against_model(&h);
				twin_expire(&hb, &batch, h.now_ms);
				twin_compare(&h, &hb, &batch);
			}
		}
	}
	check_against_model(&h);
	twin_compare(&h, &hb, &batch);
	g_assert_cmpuint(h.expired, >, 0);
	g_assert_cmpuint(h.other.samples, >, 0);
	g_rand_free(rng);
	harness_fini(&h);
	harness_fini(&hb);
}

/* --- exposition ----------------------------------------------------------- */

static const char *weird_ifname(guint32 ifindex, void *user_data)
{
	(void)user_data;
	return ifindex == 7 ? "we\"ird\\n\name" : NULL;
}

static void test_render(void)
{
	struct rfm_rollup_options o = {RFM_ROLLUP_LABELS_ALL, 10, 60};
	struct rfm_rollup *r = rfm_rollup_new(&o);
	struct rfm_rollup_key k = key_make(7, 58, 64496, 0);
	struct rfm_rollup_key k2 = key_make(3, 47, 0, 65536);
	g_autoptr(GString) text = g_string_new(NULL);
	g_autofree char *promtool = NULL;
	guint32 id, id2;
	const char *expected =
		"# HELP rfm_flow_packets_total Packets of sampled flows by label set: an estimate, "
		"sampled packets x sampling rate.\n"
		"# TYPE rfm_flow_packets_total counter\n"
		"rfm_flow_packets_total{interface=\"other\",direction=\"other\",protocol=\"other\","
		"src_asn=\"other\",dst_asn=\"other\",src_country=\"other\",dst_country=\"other\","
		"src_city=\"other\",dst_city=\"other\"} 0\n"
		"rfm_flow_packets_total{interface=\"we\\\"ird\\\\n\\name\",direction=\"egress\","
		"protocol=\"icmpv6\",src_asn=\"64496\",dst_asn=\"\",src_country=\"NL\","
		"dst_country=\"\",src_city=\"Den \\\"Haag\\\"\",dst_city=\"\"} "
		"18446744073709551615\n"
		"rfm_flow_packets_total{interface=\"3\",direction=\"ingress\",protocol=\"47\","
		"src_asn=\"\",dst_asn=\"65536\",src_country=\"\",dst_country=\"US\",src_city=\"\","
		"dst_city=\"a\\\\b\"} 0\n"
		"# HELP rfm_flow_bytes_total IP bytes of sampled flows by label set: an estimate, "
		"sampled bytes x sampling rate.\n"
		"# TYPE rfm_flow_bytes_total counter\n"
		"rfm_flow_bytes_total{interface=\"other\",direction=\"other\",protocol=\"other\","
		"src_asn=\"other\",dst_asn=\"other\",src_country=\"other\",dst_country=\"other\","
		"src_city=\"other\",dst_city=\"other\"} 0\n"
		"rfm_flow_bytes_total{interface=\"we\\\"ird\\\\n\\name\",direction=\"egress\","
		"protocol=\"icmpv6\",src_asn=\"64496\",dst_asn=\"\",src_country=\"NL\","
		"dst_country=\"\",src_city=\"Den \\\"Haag\\\"\",dst_city=\"\"} 1234\n"
		"rfm_flow_bytes_total{interface=\"3\",direction=\"ingress\",protocol=\"47\","
		"src_asn=\"\",dst_asn=\"65536\",src_country=\"\",dst_country=\"US\",src_city=\"\","
		"dst_city=\"a\\\\b\"} 0\n"
		"# HELP rfm_flow_series Flow label sets held (the overflow set not counted).\n"
		"# TYPE rfm_flow_series gauge\n"
		"rfm_flow_series 2\n"
		"# HELP rfm_flow_series_limit Most flow label sets held; beyond, traffic is "
		"counted "
		"under \"other\".\n"
		"# TYPE rfm_flow_series_limit gauge\n"
		"rfm_flow_series_limit 10\n"
		"# HELP rfm_flow_series_overflow_total Samples counted under the \"other\" label "
		"set "
		"(limit reached).\n"
		"# TYPE rfm_flow_series_overflow_total counter\n"
		"rfm_flow_series_overflow_total 0\n"
		"# HELP rfm_flow_series_expired_total Flow label sets dropped after being unused "
		"for "
		"the series TTL.\n"
		"# TYPE rfm_flow_series_expired_total counter\n"
		"rfm_flow_series_expired_total 0\n";

	k.direction = RFM_DIR_EGRESS;
	strcpy(k.src_country, "NL");
	k.src_city = "Den \"Haag\"";
	strcpy(k2.dst_country, "US");
	k2.dst_city = "a\\b";
	id = rfm_rollup_series(r, &k, 0);
	id2 = rfm_rollup_series(r, &k2, 0);
	rfm_rollup_add(*rfm_rollup_tallies(r), id, G_MAXUINT64, 1234);
	rfm_rollup_render(r, text, weird_ifname, NULL);
	{
		g_auto(GStrv) got = g_strsplit(text->str, "\n", -1);
		g_auto(GStrv) want = g_strsplit(expected, "\n", -1);

		for (gsize i = 0; got[i] || want[i]; i++)
			g_assert_cmpstr(got[i], ==, want[i]);
	}
	promtool = g_find_program_in_path("promtool");
	if (promtool) {
		g_autofree char *path = NULL, *out = NULL, *err = NULL, *cmd = NULL;
		int fd = g_file_open_tmp("rollup-XXXXXX.prom", &path, NULL);
		int status = -1;

		g_assert_cmpint(fd, >=, 0);
		g_assert_true(g_file_set_contents(path, text->str, -1, NULL));
		close(fd);
		cmd = g_strdup_printf("sh -c 'promtool check metrics < %s'", path);
		g_assert_true(g_spawn_command_line_sync(cmd, &out, &err, &status, NULL));
		g_test_message("promtool: %s%s", out, err);
		g_assert_cmpint(status, ==, 0);
		remove(path);
	} else {
		g_test_message("promtool not installed: its check skipped");
	}
	rfm_rollup_release(r, id);
	rfm_rollup_release(r, id2);
	rfm_rollup_free(r);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rollup/series_lookup", test_series_lookup);
	g_test_add_func("/rollup/overflow", test_overflow);
	g_test_add_func("/rollup/expiry", test_expiry);
	g_test_add_func("/rollup/set_options", test_set_options);
	g_test_add_func("/rollup/monotonic_across_flow_expiry", test_monotonic_across_flow_expiry);
	g_test_add_func("/rollup/differential", test_differential);
	g_test_add_func("/rollup/render", test_render);
	return g_test_run();
}
