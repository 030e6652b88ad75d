/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_netflow.c - the NetFlow v9 and v5 encoders (netflow.c) against
 * decoders written here from RFC 3954 and the v5 record layout, not from
 * netflow.c. Every message is decoded the moment it is emitted, as a
 * collector would: a data record whose template is unknown, or that names a
 * sampler not announced yet, fails the test. Every field of every decoded
 * record is compared with the record that was added (and every field the
 * encoder promises must be there); header counts, sequence numbers,
 * message sizes, padding, packing, sampling announcements and the time
 * base are checked as well.
 *
 * Replay a random test with RFM_TEST_SEED=<seed>.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "netflow.h"

/* A realistic Unix time in ms: 2023-11-14 22:13:20 UTC. */
#define T0	  G_GUINT64_CONSTANT(1700000000000)
#define DAY_MS	  G_GUINT64_CONSTANT(86400000)
#define OD	  0x00a1b2c3U
#define MAX_FIELD 64

/* --- records to add -------------------------------------------------------- */

/* DOC: what the test added: the record, its enrichment (has_en: not NULL). */
struct input {
	struct rfm_flow_record rec;
	struct rfm_enrichment en;
	bool has_en;
};

static guint8 parse_addr(const char *s, guint8 out[16])
{
	bool v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, s, out), ==, 1);
	return v6 ? 6 : 4;
}

/*
 * A record from a readable flow: "tcp 192.0.2.10:40000 > 198.51.100.20:443"
 * or "icmp 198.51.100.7 > 203.0.113.9 8/0", on ifindex at direction, with
 * packets/octets sampled 1-in-rate between start and end.
 */
static struct input in_make(const char *flow, guint32 ifindex, guint8 direction, guint32 other,
			    guint64 packets, guint64 octets, guint64 start, guint64 end,
			    guint32 rate)
{
	g_auto(GStrv) w = g_strsplit(flow, " ", -1);
	struct input in = {0};
	struct rfm_flow_record *r = &in.rec;

	g_assert_cmpuint(g_strv_length(w), >=, 4);
	if (!strcmp(w[0], "tcp"))
		r->key.protocol = 6;
	else if (!strcmp(w[0], "udp"))
		r->key.protocol = 17;
	else if (!strcmp(w[0], "icmp"))
		r->key.protocol = 1;
	else if (!strcmp(w[0], "icmp6"))
		r->key.protocol = 58;
	else
		g_assert_not_reached();
	for (guint side = 0; side < 2; side++) {
		char *a = w[side ? 3 : 1];
		guint8 *addr = side ? r->key.dst_addr : r->key.src_addr;
		char *port = strrchr(a, a[0] == '[' ? ']' : ':');
		guint16 p = 0;

		/* [v6]:port, v4:port, or a bare address (ICMP) */
		if (a[0] == '[') {
			*port = '\0';
			p = (guint16)atoi(port + 2);
			a++;
		} else if (port && !strchr(port + 1, ':') && strchr(a, '.')) {
			*port = '\0';
			p = (guint16)atoi(port + 1);
		}
		r->key.ip_version = parse_addr(a, addr);
		if (side)
			r->key.dst_port = p;
		else
			r->key.src_port = p;
	}
	if (r->key.protocol == 1 || r->key.protocol == 58) {
		g_assert_nonnull(w[4]);
		r->key.dst_port = (guint16)(atoi(w[4]) << 8 | atoi(strchr(w[4], '/') + 1));
	}
	r->key.ifindex = ifindex;
	r->key.direction = direction;
	r->other_ifindex = other;
	r->packets = packets;
	r->octets = octets;
	r->start_ms = start;
	r->end_ms = end;
	r->sampling = rate;
	r->end_reason = RFM_END_IDLE;
	return in;
}

static void in_enrich(struct input *in, guint32 src_asn, guint32 dst_asn, guint8 src_len,
		      guint8 dst_len, const char *bgp_next_hop)
{
	in->has_en = true;
	in->en.src_asn = src_asn;
	in->en.dst_asn = dst_asn;
	in->en.src_prefix_len = src_len;
	in->en.dst_prefix_len = dst_len;
	if (bgp_next_hop)
		in->en.bgp_next_hop_version = parse_addr(bgp_next_hop, in->en.bgp_next_hop);
}

static void in_next_hop(struct input *in, const char *nh)
{
	in->rec.has_next_hop = true;
	parse_addr(nh, in->rec.next_hop);
}

/* A random record (packing tests), sampled at rate. */
static struct input in_random(GRand *r, guint64 now, guint32 rate)
{
	struct input in = {0};
	struct rfm_flow_record *rec = &in.rec;
	bool v6 = g_rand_boolean(r);

	rec->key.ip_version = v6 ? 6 : 4;
	for (guint i = 0; i < (v6 ? 16u : 4u); i++) {
		rec->key.src_addr[i] = (guint8)g_rand_int(r);
		rec->key.dst_addr[i] = (guint8)g_rand_int(r);
	}
	rec->key.protocol = (guint8[]){6, 17, 1, 58, 47}[g_rand_int_range(r, 0, 5)];
	rec->key.src_port = (guint16)g_rand_int(r);
	rec->key.dst_port = (guint16)g_rand_int(r);
	rec->key.vlan_id = (guint16)g_rand_int_range(r, 0, 4096);
	rec->key.ifindex = (guint32)g_rand_int_range(r, 1, 5);
	rec->key.direction = g_rand_boolean(r);
	rec->other_ifindex = g_rand_int(r);
	rec->packets = g_rand_int_range(r, 1, 1000000);
	rec->octets = rec->packets * 40 + g_rand_int_range(r, 0, 1000);
	rec->end_ms = now - g_rand_int_range(r, 0, 10000);
	rec->start_ms = rec->end_ms - g_rand_int_range(r, 0, 120000);
	rec->tcp_flags = (guint8)g_rand_int(r);
	rec->dscp = (guint8)g_rand_int_range(r, 0, 64);
	rec->sampling = rate;
	if ((rec->has_next_hop = g_rand_boolean(r)))
		for (guint i = 0; i < 16; i++)
			rec->next_hop[i] = (guint8)g_rand_int(r);
	if ((in.has_en = g_rand_boolean(r))) {
		in.en.src_asn = g_rand_int(r);
		in.en.dst_asn = g_rand_int_range(r, 0, 70000);
		in.en.src_prefix_len = (guint8)g_rand_int_range(r, 0, v6 ? 129 : 33);
		in.en.dst_prefix_len = (guint8)g_rand_int_range(r, 0, v6 ? 129 : 33);
		in.en.bgp_next_hop_version = (guint8[]){0, 4, 6}[g_rand_int_range(r, 0, 3)];
		for (guint i = 0; i < 16; i++)
			in.en.bgp_next_hop[i] = (guint8)g_rand_int(r);
	}
	return in;
}

static guint32 seed(void)
{
	const char *s = g_getenv("RFM_TEST_SEED");
	guint32 v = s ? (guint32)strtoul(s, NULL, 10) : g_random_int();

	g_test_message("RFM_TEST_SEED=%u", v);
	return v;
}

/* --- an independent NetFlow v9 decoder (RFC 3954) ------------------------------ */

static guint64 be(const guint8 *p, guint n)
{
	guint64 v = 0;

	for (guint i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

struct v9_field {
	guint16 type, len;
};

/* DOC: a template as the decoder learnt it (section 5.2 / 6.1). */
struct v9_template {
	bool options;
	guint n_scope; /* options: the first n_scope fields are scope fields */
	guint n;
	struct v9_field f[MAX_FIELD];
	guint32 len; /* record length */
};

/* DOC: one decoded data or options record, with what a collector knew when it came. */
struct v9_record {
	guint packet; /* index in v9_decoder.packets */
	bool options;
	struct v9_template t; /* a copy of its template */
	guint8 data[256];
	guint64 boot_ms;      /* unix_secs * 1000 - sysUpTime of its packet */
	guint32 pkt_uptime;   /* sysUpTime of its packet */
	guint32 sampler_rate; /* data: rate of the sampler it names, 0 = none announced */
};

/* DOC: one decoded packet header and what its body held. */
struct v9_packet {
	guint16 count;
	guint32 uptime, unix_secs, sequence, source_id;
	gsize len;
	guint records;	     /* of every kind */
	guint data_records;  /* flow data records */
	bool has_template;   /* a template or options template */
	bool has_sampling;   /* an options record with a sampling interval */
	guint32 system_rate; /* last system-scoped SAMPLING_INTERVAL in it, 0 = none */
	guint if_rates;	     /* interface-scoped SAMPLING_INTERVAL records in it */
};

/* DOC: a collector's state: templates, samplers, interface names; what it decoded. */
struct v9_decoder {
	GHashTable *templates; /* id -> struct v9_template *, owned */
	guint32 sampler_rate[256];
	guint32 system_rate;
	GHashTable *if_rate; /* ifindex << 1 | direction -> rate << 8 | algorithm */
	GHashTable *if_name; /* ifindex -> char *, owned */
	GArray *records;     /* struct v9_record */
	GArray *packets;     /* struct v9_packet */
};

static void v9_decoder_init(struct v9_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->templates = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	d->if_rate = g_hash_table_new(NULL, NULL);
	d->if_name = g_hash_table_new_full(NULL, NULL, NULL, g_free);
	d->records = g_array_new(FALSE, TRUE, sizeof(struct v9_record));
	d->packets = g_array_new(FALSE, TRUE, sizeof(struct v9_packet));
}

static void v9_decoder_fini(struct v9_decoder *d)
{
	g_hash_table_unref(d->templates);
	g_hash_table_unref(d->if_rate);
	g_hash_table_unref(d->if_name);
	g_array_unref(d->records);
	g_array_unref(d->packets);
}

static gint v9_find(const struct v9_template *t, guint16 type)
{
	for (guint i = 0; i < t->n; i++)
		if (t->f[i].type == type)
			return (gint)i;
	return -1;
}

static guint64 v9_value(const struct v9_record *r, guint16 type, gint scope_or_field)
{
	guint off = 0;

	for (guint i = 0; i < r->t.n; i++) {
		bool is_scope = i < r->t.n_scope;

		if (r->t.f[i].type == type &&
		    (scope_or_field < 0 || (guint)scope_or_field == is_scope))
			return be(r->data + off, r->t.f[i].len);
		off += r->t.f[i].len;
	}
	g_assert_not_reached();
}

static const guint8 *v9_bytes(const struct v9_record *r, guint i)
{
	guint off = 0;

	for (guint j = 0; j < i; j++)
		off += r->t.f[j].len;
	return r->data + off;
}

/* What a collector learns from an options record (section 6.2). */
static void v9_apply_options(struct v9_decoder *d, struct v9_packet *pk, const struct v9_record *r)
{
	const struct v9_template *t = &r->t;
	bool sampler = v9_find(t, 48) >= 0;
	bool interval = v9_find(t, 34) >= 0;

	g_assert_cmpuint(t->n_scope, ==, 1);
	if (sampler) {
		guint64 id = v9_value(r, 48, 0);
		guint64 rate = v9_value(r, 50, 0);

		g_assert_cmpuint(id, >=, 1); /* 0 means "no sampler" to nfdump */
		g_assert_cmpuint(rate, >=, 1);
		g_assert_cmpuint(v9_value(r, 34, 0), ==, rate); /* nfcapd takes this one */
		g_assert_cmpint(v9_find(t, 35), <, 0);		/* nfcapd ignores it then */
		g_assert_cmpuint(v9_value(r, 49, 0), >=, 1);
		g_assert_cmpuint(v9_value(r, 49, 0), <=, 2);
		d->sampler_rate[id] = (guint32)rate;
		pk->has_sampling = true;
	} else if (interval && t->f[0].type == 1) {
		g_assert_cmpuint(v9_value(r, 35, 0), >=, 1);
		g_assert_cmpuint(v9_value(r, 35, 0), <=, 2);
		d->system_rate = (guint32)v9_value(r, 34, 0);
		pk->system_rate = d->system_rate;
		pk->has_sampling = true;
	} else if (interval && t->f[0].type == 2) {
		guint64 key = v9_value(r, 2, 1) << 1 | v9_value(r, 61, 0);

		g_assert_cmpuint(v9_value(r, 61, 0), <=, 1);
		g_hash_table_insert(d->if_rate, GSIZE_TO_POINTER(key),
				    GSIZE_TO_POINTER(v9_value(r, 34, 0) << 8 | v9_value(r, 35, 0)));
		pk->if_rates++;
		pk->has_sampling = true;
	} else if (v9_find(t, 82) >= 0) {
		gint i = v9_find(t, 82);

		g_assert_cmpuint(t->f[0].type, ==, 2);
		g_hash_table_insert(d->if_name, GSIZE_TO_POINTER(v9_value(r, 2, 1)),
				    g_strndup((const char *)v9_bytes(r, (guint)i), t->f[i].len));
	} else {
		g_assert_not_reached();
	}
}

/* Decode one export packet; anything a collector would reject fails the test. */
static void v9_decode(struct v9_decoder *d, const guint8 *p, gsize len, guint32 mtu)
{
	struct v9_packet pk = {0};
	gsize off = 20;

	g_assert_cmpuint(len, >=, 20);
	g_assert_cmpuint(len, <=, mtu);
	g_assert_cmpuint(be(p, 2), ==, 9);
	pk.count = (guint16)be(p + 2, 2);
	pk.uptime = (guint32)be(p + 4, 4);
	pk.unix_secs = (guint32)be(p + 8, 4);
	pk.sequence = (guint32)be(p + 12, 4);
	pk.source_id = (guint32)be(p + 16, 4);
	pk.len = len;
	g_assert_cmpuint((guint64)pk.unix_secs * 1000, >=, pk.uptime);

	while (off < len) {
		g_assert_cmpuint(len - off, >=, 4);
		guint16 id = (guint16)be(p + off, 2);
		gsize set_len = be(p + off + 2, 2), o = 4;
		const guint8 *s = p + off;

		g_assert_cmpuint(set_len, >=, 4);
		g_assert_cmpuint(set_len, <=, len - off);
		g_assert_cmpuint(set_len % 4, ==, 0); /* section 5.3: padded */
		if (id == 0 || id == 1) {
			pk.has_template = true;
			while (set_len - o >= (id ? 6u : 4u) + 4) {
				struct v9_template *t = g_new0(struct v9_template, 1);
				guint16 tid = (guint16)be(s + o, 2);
				guint nfields;

				if (id == 0) {
					nfields = (guint)be(s + o + 2, 2);
					o += 4;
				} else {
					guint scope = (guint)be(s + o + 2, 2),
					      opt = (guint)be(s + o + 4, 2);

					g_assert_cmpuint(scope % 4, ==, 0);
					g_assert_cmpuint(opt % 4, ==, 0);
					t->options = true;
					t->n_scope = scope / 4;
					nfields = (scope + opt) / 4;
					o += 6;
				}
				g_assert_cmpuint(tid, >=, 256);
				g_assert_cmpuint(nfields, >=, 1);
				g_assert_cmpuint(nfields, <=, MAX_FIELD);
				g_assert_cmpuint(set_len - o, >=, 4 * nfields);
				t->n = nfields;
				for (guint i = 0; i < nfields; i++) {
					t->f[i].type = (guint16)be(s + o, 2);
					t->f[i].len = (guint16)be(s + o + 2, 2);
					g_assert_cmpuint(t->f[i].len, >=, 1);
					t->len += t->f[i].len;
					o += 4;
				}
				g_assert_cmpuint(t->len, <=, 256);
				g_hash_table_insert(d->templates, GUINT_TO_POINTER(tid), t);
				pk.records++;
			}
		} else {
			const struct v9_template *t =
				g_hash_table_lookup(d->templates, GUINT_TO_POINTER(id));

			g_assert_cmpuint(id, >=, 256);
			g_assert_nonnull(t); /* templates come before data */
			while (set_len - o >= t->len) {
				struct v9_record r = {.packet = d->packets->len,
						      .options = t->options};

				r.t = *t;
				memcpy(r.data, s + o, t->len);
				r.boot_ms = (guint64)pk.unix_secs * 1000 - pk.uptime;
				r.pkt_uptime = pk.uptime;
				o += t->len;
				pk.records++;
				if (t->options) {
					v9_apply_options(d, &pk, &r);
				} else {
					gint i = v9_find(t, 48);

					g_assert_cmpint(i, >=, 0);
					r.sampler_rate = d->sampler_rate[v9_value(&r, 48, -1)];
					pk.data_records++;
				}
				g_array_append_val(d->records, r);
			}
		}
		/* the rest of the FlowSet is padding: fewer than 4 zero bytes */
		g_assert_cmpuint(set_len - o, <, 4);
		for (; o < set_len; o++)
			g_assert_cmpuint(s[o], ==, 0);
		off += set_len;
	}
	g_assert_cmpuint(pk.count, ==, pk.records); /* section 5.1: every record */
	g_array_append_val(d->packets, pk);
}

/* Every field of a decoded data record against the record added; all promised fields present. */
static void v9_check_record(const struct v9_record *r, const struct input *in)
{
	const struct rfm_flow_record *rec = &in->rec;
	const struct rfm_enrichment *en = in->has_en ? &in->en : NULL;
	static const guint8 zero[16];
	bool v6 = rec->key.ip_version == 6;
	guint alen = v6 ? 16 : 4;
	bool ingress = rec->key.direction == RFM_DIR_INGRESS;
	guint8 icmp = v6 ? 58 : 1;
	guint32 seen = 0;
	/* the fields the encoder promises (netflow.h), one bit each */
	static const guint16 v4[] = {1,	 2,  4,	 5,  6,	 7,  8,	 9,  10, 11, 12, 13,
				     14, 15, 16, 17, 18, 21, 22, 32, 48, 58, 61};
	static const guint16 v6f[] = {1,  2,  4,  5,  6,  7,  10, 11, 14, 16, 17, 21,
				      22, 27, 28, 29, 30, 32, 48, 58, 61, 62, 63};
	const guint16 *want = v6 ? v6f : v4;
	guint nwant = v6 ? G_N_ELEMENTS(v6f) : G_N_ELEMENTS(v4);

	g_assert_false(r->options);
	for (guint i = 0; i < r->t.n; i++) {
		guint16 type = r->t.f[i].type, len = r->t.f[i].len;
		const guint8 *b = v9_bytes(r, i);
		guint64 v = be(b, len);

		for (guint k = 0; k < nwant; k++)
			if (want[k] == type)
				seen |= 1U << k;
		switch (type) {
		case 1:
			g_assert_cmpuint(v, ==, rec->octets);
			break;
		case 2:
			g_assert_cmpuint(v, ==, rec->packets);
			break;
		case 4:
			g_assert_cmpuint(v, ==, rec->key.protocol);
			break;
		case 5:
			g_assert_cmpuint(v, ==, (guint8)(rec->dscp << 2));
			break;
		case 6:
			g_assert_cmpuint(v, ==, rec->tcp_flags);
			break;
		case 7:
			g_assert_cmpuint(v, ==, rec->key.src_port);
			break;
		case 11:
			g_assert_cmpuint(v, ==, rec->key.dst_port);
			break;
		case 8:
		case 27:
			g_assert_cmpuint(len, ==, alen);
			g_assert_cmpmem(b, len, rec->key.src_addr, alen);
			break;
		case 12:
		case 28:
			g_assert_cmpuint(len, ==, alen);
			g_assert_cmpmem(b, len, rec->key.dst_addr, alen);
			break;
		case 15:
		case 62:
			g_assert_cmpuint(len, ==, alen);
			g_assert_cmpmem(b, len, rec->has_next_hop ? rec->next_hop : zero, alen);
			break;
		case 18:
		case 63:
			g_assert_cmpuint(len, ==, alen);
			g_assert_cmpmem(b, len,
					en && en->bgp_next_hop_version == rec->key.ip_version
						? en->bgp_next_hop
						: zero,
					alen);
			break;
		case 9:
		case 29:
			g_assert_cmpuint(v, ==, en ? en->src_prefix_len : 0);
			break;
		case 13:
		case 30:
			g_assert_cmpuint(v, ==, en ? en->dst_prefix_len : 0);
			break;
		case 10:
			g_assert_cmpuint(v, ==, ingress ? rec->key.ifindex : rec->other_ifindex);
			break;
		case 14:
			g_assert_cmpuint(v, ==, ingress ? rec->other_ifindex : rec->key.ifindex);
			break;
		case 16:
			g_assert_cmpuint(len, ==, 4);
			g_assert_cmpuint(v, ==, en ? en->src_asn : 0);
			break;
		case 17:
			g_assert_cmpuint(len, ==, 4);
			g_assert_cmpuint(v, ==, en ? en->dst_asn : 0);
			break;
		case 21:
			/* nfacctd wraps a LAST_SWITCHED after the header's sysUpTime */
			g_assert_cmpuint(v, <=, r->pkt_uptime);
			g_assert_cmpuint(r->boot_ms + v, ==, rec->end_ms);
			break;
		case 22:
			g_assert_cmpuint(r->boot_ms + v, ==, rec->start_ms);
			break;
		case 32:
			g_assert_cmpuint(v, ==, rec->key.protocol == icmp ? rec->key.dst_port : 0);
			break;
		case 48:
			/* the sampler it names was announced before, at its rate */
			g_assert_cmpuint(v, >=, 1);
			g_assert_cmpuint(r->sampler_rate, ==, rec->sampling ? rec->sampling : 1);
			break;
		case 58:
			g_assert_cmpuint(v, ==, rec->key.vlan_id);
			break;
		case 61:
			g_assert_cmpuint(v, ==, rec->key.direction);
			break;
		default:
			g_test_fail_printf("unexpected field type %u in a data record", type);
		}
	}
	g_assert_cmphex(seen, ==, (1U << nwant) - 1);
}

/* --- the v5 side: Cisco's 24-byte header and 48-byte records (decoded below) ---- */

/* DOC: a decoded v5 header. */
struct v5_packet {
	guint16 count;
	guint32 uptime, unix_secs, unix_nsecs, flow_sequence;
	guint8 engine_type, engine_id;
	guint16 sampling;
	gsize len;
};

/* DOC: a decoded v5 record, with its packet and that packet's boot time. */
struct v5_record {
	guint32 src, dst, nexthop;
	guint16 input, output;
	guint32 packets, octets, first, last;
	guint16 sport, dport;
	guint8 pad1, tcp_flags, prot, tos;
	guint16 src_as, dst_as;
	guint8 src_mask, dst_mask;
	guint16 pad2;
	guint packet;
	guint64 boot_ms;
};

/* --- harness ----------------------------------------------------------------- */

/* DOC: one encoder and the collector-side decoder its emit callback feeds. */
struct harness {
	const struct rfm_encoder_ops *ops;
	struct rfm_encoder *enc; /* owned */
	guint32 mtu;
	guint64 start_ms;
	struct v9_decoder v9;
	GArray *v5_packets; /* struct v5_packet */
	GArray *v5_records; /* struct v5_record */
	GArray *inputs;	    /* struct input, in the order added */
	guint emitted;
};

static void v5_decode(struct harness *h, const guint8 *p, gsize len);

static void h_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct harness *h = user_data;
	guint before;

	h->emitted++;
	if (h->ops == &rfm_netflow9_encoder) {
		guint flows = 0;

		before = h->v9.records->len;
		v9_decode(&h->v9, msg, len, h->mtu);
		/* emit() tells the exporter how many flow records the message holds */
		for (guint i = before; i < h->v9.records->len; i++)
			flows += !g_array_index(h->v9.records, struct v9_record, i).options;
		g_assert_cmpuint(records, ==, flows);
	} else {
		before = h->v5_records->len;
		v5_decode(h, msg, len);
		g_assert_cmpuint(records, ==, h->v5_records->len - before);
	}
}

static void h_init(struct harness *h, const struct rfm_encoder_ops *ops, guint32 mtu,
		   guint64 start_ms)
{
	struct rfm_encoder_params p = {
		.observation_domain = OD,
		.enterprise_number = 32473,
		.mtu = mtu,
		.start_ms = start_ms,
		.emit = h_emit,
		.user_data = h,
	};
	GError *error = NULL;

	memset(h, 0, sizeof(*h));
	h->ops = ops;
	h->mtu = mtu;
	h->start_ms = start_ms;
	v9_decoder_init(&h->v9);
	h->v5_packets = g_array_new(FALSE, TRUE, sizeof(struct v5_packet));
	h->v5_records = g_array_new(FALSE, TRUE, sizeof(struct v5_record));
	h->inputs = g_array_new(FALSE, TRUE, sizeof(struct input));
	h->enc = ops->create(&p, &error);
	g_assert_no_error(error);
	g_assert_nonnull(h->enc);
}

static void h_fini(struct harness *h)
{
	h->ops->destroy(h->enc);
	v9_decoder_fini(&h->v9);
	g_array_unref(h->v5_packets);
	g_array_unref(h->v5_records);
	g_array_unref(h->inputs);
}

static void h_add(struct harness *h, const struct input *in, guint64 now)
{
	g_array_append_vals(h->inputs, in, 1);
	h->ops->add(h->enc, &in->rec, in->has_en ? &in->en : NULL, now);
}

static const struct v9_record *v9_rec(const struct harness *h, guint i)
{
	g_assert_cmpuint(i, <, h->v9.records->len);
	return &g_array_index(h->v9.records, struct v9_record, i);
}

static const struct v9_packet *v9_pkt(const struct harness *h, guint i)
{
	g_assert_cmpuint(i, <, h->v9.packets->len);
	return &g_array_index(h->v9.packets, struct v9_packet, i);
}

/* Data records decoded 1:1, in order, with the inputs; headers consistent; stats. */
static void v9_check_all(const struct harness *h)
{
	guint data = 0, records = 0;
	guint64 octets = 0;
	struct rfm_encoder_stats st;

	for (guint i = 0; i < h->v9.records->len; i++) {
		const struct v9_record *r = v9_rec(h, i);

		if (r->options)
			continue;
		g_assert_cmpuint(data, <, h->inputs->len);
		v9_check_record(r, &g_array_index(h->inputs, struct input, data));
		data++;
	}
	g_assert_cmpuint(data, ==, h->inputs->len);
	for (guint i = 0; i < h->v9.packets->len; i++) {
		const struct v9_packet *pk = v9_pkt(h, i);

		g_assert_cmpuint(pk->sequence, ==, i); /* one per packet, from 0 */
		g_assert_cmpuint(pk->source_id, ==, OD);
		records += pk->data_records;
		octets += pk->len;
	}
	h->ops->get_stats(h->enc, &st);
	g_assert_cmpuint(st.messages, ==, h->v9.packets->len);
	g_assert_cmpuint(st.records, ==, records);
	g_assert_cmpuint(st.octets, ==, octets);
}

/* --- NetFlow v9 tests -------------------------------------------------------- */

/* Readable records covering every field and mapping. */
static void v9_fixed_inputs(struct input *out, guint64 t)
{
	/* TCP at ingress, every enrichment, a next hop, a VLAN */
	out[0] = in_make("tcp 192.0.2.10:40000 > 198.51.100.20:443", 2, RFM_DIR_INGRESS, 3, 10,
			 1400, t + 123, t + 5456, 1);
	in_next_hop(&out[0], "198.51.100.1");
	in_enrich(&out[0], 64496, 64497, 24, 24, "192.0.2.254");
	out[0].rec.key.vlan_id = 100;
	out[0].rec.tcp_flags = 0x1b;
	out[0].rec.dscp = 46;
	/* UDP at egress: INPUT_SNMP is the other interface; 4-byte ASN; an IPv6 BGP next hop on
	 * an IPv4 flow is not sent */
	out[1] = in_make("udp 203.0.113.5:5353 > 192.0.2.99:53", 3, RFM_DIR_EGRESS, 2, 3, 234,
			 t + 1000, t + 1500, 1);
	in_enrich(&out[1], 4200000000U, 64498, 24, 22, "2001:db8::1");
	/* ICMP echo, no enrichment, locally generated (other 0) */
	out[2] = in_make("icmp 198.51.100.7 > 203.0.113.9 8/0", 2, RFM_DIR_INGRESS, 0, 4, 336,
			 t + 2000, t + 5000, 1);
	/* IPv6 TCP with next hop and IPv6 BGP next hop, large counters */
	out[3] = in_make("tcp [2001:db8::1]:40001 > [2001:db8:1::2]:80", 3, RFM_DIR_INGRESS, 2,
			 G_GUINT64_CONSTANT(5000000000), G_GUINT64_CONSTANT(7000000000000), t + 220,
			 t + 270, 1);
	in_next_hop(&out[3], "2001:db8:1::1");
	in_enrich(&out[3], 64499, 64500, 48, 64, "2001:db8::ffff");
	/* ICMPv6 echo at egress, an IPv4 BGP next hop on an IPv6 flow is not sent */
	out[4] = in_make("icmp6 2001:db8::1 > 2001:db8::2 128/0", 2, RFM_DIR_EGRESS, 7, 1, 104,
			 t + 4000, t + 4000, 1);
	in_enrich(&out[4], 0, 65551, 0, 128, "192.0.2.1");
}

static void test_v9_fields(void)
{
	struct harness h;
	struct input in[5];
	const struct rfm_export_interface ifs[] = {{2, "eth0"}, {3, "a-very-long-interface-name"}};

	h_init(&h, &rfm_netflow9_encoder, 1400, T0 - 600000);
	h.ops->set_interfaces(h.enc, ifs, G_N_ELEMENTS(ifs));
	h.ops->announce(h.enc, T0);
	g_assert_cmpuint(h.emitted, ==, 1);
	v9_fixed_inputs(in, T0);
	for (guint i = 0; i < G_N_ELEMENTS(in); i++)
		h_add(&h, &in[i], T0 + 60000);
	g_assert_cmpuint(h.emitted, ==, 1); /* the new sampler goes before them, in their packet */
	h.ops->flush(h.enc, T0 + 60000);
	g_assert_cmpuint(h.emitted, ==, 2);
	v9_check_all(&h);

	/* names: NUL-padded, cut to 16 bytes */
	g_assert_cmpstr(g_hash_table_lookup(h.v9.if_name, GUINT_TO_POINTER(2)), ==, "eth0");
	g_assert_cmpstr(g_hash_table_lookup(h.v9.if_name, GUINT_TO_POINTER(3)), ==,
			"a-very-long-inte");
	/* header times: the whole second unix_secs; the boot time is the start truncated, less 1 s
	 */
	const struct v9_packet *last = v9_pkt(&h, 1);

	g_assert_cmpuint(last->unix_secs, ==, (T0 + 60000) / 1000);
	g_assert_cmpuint(last->uptime, ==, 661000);
	g_assert_cmpuint(last->data_records, ==, 5);
	g_assert_true(last->has_sampling);
	h.ops->flush(h.enc, T0 + 70000); /* nothing pending: nothing sent */
	g_assert_cmpuint(h.emitted, ==, 2);
	h_fini(&h);
}

/* A record of a version the encoder cannot carry is counted, not sent. */
static void test_v9_not_exportable(void)
{
	struct harness h;
	struct input in = in_make("udp 192.0.2.1:1 > 192.0.2.2:2", 1, 0, 0, 1, 50, T0, T0, 1);
	struct rfm_encoder_stats st;

	h_init(&h, &rfm_netflow9_encoder, 1400, T0);
	in.rec.key.ip_version = 5;
	h.ops->add(h.enc, &in.rec, NULL, T0 + 1000);
	h.ops->flush(h.enc, T0 + 1000);
	h.ops->get_stats(h.enc, &st);
	g_assert_cmpuint(st.not_exportable, ==, 1);
	g_assert_cmpuint(st.records, ==, 0);
	g_assert_cmpuint(h.emitted, ==, 0);
	h_fini(&h);
}

/* The smallest mtu the v9 encoder accepts (it must fit the largest record and template). */
static guint32 v9_min_mtu(void)
{
	struct rfm_encoder_params p = {.mtu = 64, .emit = h_emit, .start_ms = T0};
	struct rfm_encoder *e;
	GError *error = NULL;

	while (!(e = rfm_netflow9_encoder.create(&p, &error))) {
		g_assert_error(error, RFM_NETFLOW_ERROR, RFM_NETFLOW_ERROR_MTU);
		g_clear_error(&error);
		p.mtu++;
	}
	rfm_netflow9_encoder.destroy(e);
	g_assert_cmpuint(p.mtu, <=, 160);
	return p.mtu;
}

/* Random records at several mtus: all decoded in order, messages full, never over mtu. */
static void test_v9_packing(void)
{
	static const guint32 mtus[] = {0 /* the smallest accepted */, 200, 576, 1400, 9000};
	guint32 s = seed();

	for (guint m = 0; m < G_N_ELEMENTS(mtus); m++) {
		GRand *r = g_rand_new_with_seed(s + m);
		struct harness h;
		guint32 mtu = mtus[m];
		guint64 now = T0;

		if (!mtu)
			mtu = v9_min_mtu();
		h_init(&h, &rfm_netflow9_encoder, mtu, T0 - 600000);
		h.ops->announce(h.enc, now);
		guint first_data_packet = h.v9.packets->len;

		for (guint i = 0; i < 2000; i++) {
			struct input in = in_random(r, now, 1);

			h_add(&h, &in, now);
			now += g_rand_int_range(r, 0, 3);
		}
		h.ops->flush(h.enc, now);
		v9_check_all(&h);
		/*
		 * A message goes when the next record does not fit: what is left is less than
		 * the largest record with a new FlowSet header and both paddings (119 + 4 + 3 + 3).
		 */
		for (guint i = first_data_packet; i + 1 < h.v9.packets->len; i++) {
			const struct v9_packet *pk = v9_pkt(&h, i);

			if (!pk->has_template && !pk->has_sampling)
				g_assert_cmpuint(mtu - pk->len, <, 129);
		}
		g_test_message("mtu %u: %u packets", mtu, h.v9.packets->len);
		h_fini(&h);
		g_rand_free(r);
	}
}

static void test_v9_mtu(void)
{
	struct rfm_encoder_params p = {.mtu = 100, .emit = h_emit, .start_ms = T0};
	GError *error = NULL;

	g_assert_null(rfm_netflow9_encoder.create(&p, &error));
	g_assert_error(error, RFM_NETFLOW_ERROR, RFM_NETFLOW_ERROR_MTU);
	g_clear_error(&error);
	p.mtu = 65536;
	g_assert_null(rfm_netflow9_encoder.create(&p, &error));
	g_assert_error(error, RFM_NETFLOW_ERROR, RFM_NETFLOW_ERROR_MTU);
	g_clear_error(&error);
}

/* Templates are re-sent at every announce(), after what was pending. */
static void test_v9_announce(void)
{
	struct harness h;
	struct input in[5];

	h_init(&h, &rfm_netflow9_encoder, 1400, T0);
	v9_fixed_inputs(in, T0);
	/* no announce() first: the encoder sends templates before the first record anyway */
	h_add(&h, &in[0], T0 + 10000);
	h_add(&h, &in[3], T0 + 10000);
	g_assert_cmpuint(h.emitted, ==, 0);
	h.ops->announce(h.enc, T0 + 20000);
	g_assert_cmpuint(h.emitted, ==, 2);
	g_assert_true(v9_pkt(&h, 0)->has_template);
	g_assert_cmpuint(v9_pkt(&h, 0)->data_records, ==, 2); /* the pending records first */
	g_assert_true(v9_pkt(&h, 1)->has_template);
	g_assert_cmpuint(v9_pkt(&h, 1)->data_records, ==, 0);
	h.ops->announce(h.enc, T0 + 30000);
	g_assert_cmpuint(h.emitted, ==, 3);
	g_assert_true(v9_pkt(&h, 2)->has_template);
	/* a collector that lost everything before recovers from the last announcement alone */
	g_hash_table_remove_all(h.v9.templates);
	memset(h.v9.sampler_rate, 0, sizeof(h.v9.sampler_rate));
	h.ops->announce(h.enc, T0 + 40000);
	h_add(&h, &in[1], T0 + 40000);
	h_add(&h, &in[4], T0 + 40000);
	h.ops->flush(h.enc, T0 + 40000);
	v9_check_all(&h);

	struct rfm_encoder_stats st;

	h.ops->get_stats(h.enc, &st);
	g_assert_cmpuint(st.announcements, >=, 4);
	h_fini(&h);
}

/* What the last interface-scoped record said of ifindex/direction: rate << 8 | algorithm. */
static gsize if_rate(const struct harness *h, guint32 ifindex, guint8 direction)
{
	return GPOINTER_TO_SIZE(g_hash_table_lookup(
		h->v9.if_rate, GSIZE_TO_POINTER((gsize)ifindex << 1 | direction)));
}

static const struct v9_packet *v9_last_pkt(const struct harness *h)
{
	return v9_pkt(h, h->v9.packets->len - 1);
}

/*
 * set_sampling() announces at once; the same table again sends nothing; a
 * record names the sampler of its own rate, even one drawn before a change.
 */
static void test_v9_sampling(void)
{
	struct harness h;
	struct input in[5];
	const struct rfm_export_sampler uniform[] = {
		{3, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, 100},
		{2, RFM_DIR_EGRESS, RFM_SAMPLE_RANDOM, 100},
		{2, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, 100},
		{3, RFM_DIR_EGRESS, RFM_SAMPLE_RANDOM, 100},
		{9, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, 0}, /* counters only */
	};
	struct rfm_export_sampler changed[G_N_ELEMENTS(uniform)];

	h_init(&h, &rfm_netflow9_encoder, 1400, T0);
	h.ops->announce(h.enc, T0);
	h.ops->set_sampling(h.enc, uniform, G_N_ELEMENTS(uniform), T0);
	g_assert_cmpuint(h.emitted, ==, 2);
	g_assert_cmpuint(v9_last_pkt(&h)->system_rate, ==, 100);
	g_assert_cmpuint(v9_last_pkt(&h)->if_rates, ==, 0);
	g_assert_cmpuint(v9_last_pkt(&h)->data_records, ==, 0);

	/* the same table, in another order: nothing */
	memcpy(changed, uniform, sizeof(changed));
	G_STATIC_ASSERT(G_N_ELEMENTS(changed) == 5);
	struct rfm_export_sampler tmp = changed[0];

	changed[0] = changed[3];
	changed[3] = tmp;
	h.ops->set_sampling(h.enc, changed, G_N_ELEMENTS(changed), T0 + 1);
	g_assert_cmpuint(h.emitted, ==, 2);

	v9_fixed_inputs(in, T0);
	for (guint i = 0; i < G_N_ELEMENTS(in); i++)
		in[i].rec.sampling = 100;
	h_add(&h, &in[0], T0 + 10000);
	h_add(&h, &in[1], T0 + 10000);
	g_assert_cmpuint(h.emitted, ==, 2); /* its sampler is known: nothing to announce */

	/* interface 3 goes to 1-in-1000, systematic: announced at once, per interface */
	for (guint i = 0; i < G_N_ELEMENTS(changed); i++)
		if (changed[i].ifindex == 3) {
			changed[i].rate = 1000;
			changed[i].mode = RFM_SAMPLE_SYSTEMATIC;
		}
	h.ops->set_sampling(h.enc, changed, G_N_ELEMENTS(changed), T0 + 11000);
	g_assert_cmpuint(h.emitted, ==, 3);
	g_assert_cmpuint(v9_last_pkt(&h)->data_records, ==, 2); /* pending records went first */
	g_assert_cmpuint(v9_last_pkt(&h)->if_rates, ==, 4);
	g_assert_cmpuint(v9_last_pkt(&h)->system_rate, ==, 0);
	/* rate << 8 | SAMPLING_ALGORITHM (1 deterministic, 2 random) */
	g_assert_cmpuint(if_rate(&h, 3, RFM_DIR_EGRESS), ==, 1000 << 8 | 1);
	g_assert_cmpuint(if_rate(&h, 2, RFM_DIR_INGRESS), ==, 100 << 8 | 2);

	in[3].rec.sampling = 1000; /* drawn on interface 3 after the change */
	in[1].rec.sampling = 100;  /* interface 3 too, but drawn before the change */
	h_add(&h, &in[3], T0 + 12000);
	h_add(&h, &in[1], T0 + 12000);
	/* a rate nobody announced (set_sampling not yet called for it): announced before it */
	in[4].rec.sampling = 7;
	h_add(&h, &in[4], T0 + 12000);
	h.ops->flush(h.enc, T0 + 12000);
	v9_check_all(&h); /* checks every record's sampler rate as known when it came */

	/* one rate everywhere, but two modes: still per interface */
	for (guint i = 0; i < G_N_ELEMENTS(changed); i++)
		if (changed[i].ifindex == 3)
			changed[i].rate = 100;
	h.ops->set_sampling(h.enc, changed, G_N_ELEMENTS(changed), T0 + 12500);
	g_assert_cmpuint(v9_last_pkt(&h)->if_rates, ==, 4);
	g_assert_cmpuint(v9_last_pkt(&h)->system_rate, ==, 0);
	g_assert_cmpuint(if_rate(&h, 3, RFM_DIR_INGRESS), ==, 100 << 8 | 1);
	g_assert_cmpuint(if_rate(&h, 2, RFM_DIR_EGRESS), ==, 100 << 8 | 2);

	/* no interface samples: no system record, no interface records */
	h.ops->set_sampling(h.enc, NULL, 0, T0 + 13000);
	g_assert_cmpuint(v9_last_pkt(&h)->system_rate, ==, 0);
	g_assert_cmpuint(v9_last_pkt(&h)->if_rates, ==, 0);
	g_assert_true(v9_last_pkt(&h)->has_sampling); /* the sampler ids, still valid */
	h_fini(&h);
}

/* More distinct rates than sampler ids: ids are rebound, every record stays right. */
static void test_v9_sampler_ids(void)
{
	struct harness h;
	GRand *r = g_rand_new_with_seed(seed());
	guint64 now = T0;

	h_init(&h, &rfm_netflow9_encoder, 1400, T0);
	for (guint i = 0; i < 1200; i++) {
		/* the table names one rate; records come at recent rates and, now and then, old
		 * ones */
		guint32 rate = 2 + i / 3;
		struct rfm_export_sampler s = {1, RFM_DIR_INGRESS, RFM_SAMPLE_RANDOM, rate};
		struct input in = in_random(r, now, rate);

		if (i % 3 == 0)
			h.ops->set_sampling(h.enc, &s, 1, now);
		if (i % 7 == 0)
			in.rec.sampling = 2 + g_rand_int_range(r, 0, 400);
		h_add(&h, &in, now);
		now += 10;
	}
	h.ops->flush(h.enc, now);
	v9_check_all(&h);
	g_rand_free(r);
	h_fini(&h);
}

static guint64 v9_boot(const struct v9_packet *pk)
{
	return (guint64)pk->unix_secs * 1000 - pk->uptime;
}

/* Live: the boot time is the start truncated to the second, less 1 s, in every packet; ms exact. */
static void test_v9_time_live(void)
{
	struct harness h;
	struct input in[5];
	guint64 start = T0 + 789;

	h_init(&h, &rfm_netflow9_encoder, 1400, start);
	h.ops->announce(h.enc, start);
	v9_fixed_inputs(in, T0 + 1000);
	for (guint i = 0; i < G_N_ELEMENTS(in); i++) {
		h_add(&h, &in[i], T0 + 7000 + i * 333);
		h.ops->flush(h.enc, T0 + 7000 + i * 333); /* a packet each, at ms that vary */
	}
	v9_check_all(&h); /* first/last exact against each packet's own boot time */
	for (guint i = 0; i < h.v9.packets->len; i++)
		g_assert_cmpuint(v9_boot(v9_pkt(&h, i)), ==, T0 - 1000);
	h_fini(&h);
}

/*
 * Replay: the exporter starts now (wall clock) and records are years old.
 * One boot time for the whole run, before every record; values exact.
 */
static void test_v9_time_replay(void)
{
	struct harness h;
	struct input in[5];
	guint64 wall = T0 + 3 * 365 * DAY_MS + 12345;
	guint64 now = T0;

	h_init(&h, &rfm_netflow9_encoder, 1400, wall);
	h.ops->announce(h.enc, now);
	v9_fixed_inputs(in, T0);
	for (guint i = 0; i < G_N_ELEMENTS(in); i++) {
		now = MAX(now, in[i].rec.end_ms + 1000);
		h_add(&h, &in[i], now);
		h.ops->flush(h.enc, now);
	}
	/* a long flow: started 20 hours before the capture's first packet */
	struct input old = in_make("udp 192.0.2.1:1 > 192.0.2.2:2", 2, 0, 3, 1, 28,
				   T0 - 20 * 3600 * 1000, now, 1);

	h_add(&h, &old, now);
	h.ops->flush(h.enc, now);
	v9_check_all(&h);

	guint64 boot = v9_boot(v9_pkt(&h, 0));

	for (guint i = 0; i < h.v9.packets->len; i++)
		g_assert_cmpuint(v9_boot(v9_pkt(&h, i)), ==, boot);
	g_assert_cmpuint(boot, <=, T0 - 20 * 3600 * 1000);
	g_assert_cmpuint(boot % 1000, ==, 0);

	/* a record starting more than the margin before: the boot time moves, values stay exact */
	struct input older =
		in_make("udp 192.0.2.1:1 > 192.0.2.3:2", 2, 0, 3, 1, 28, T0 - 3 * DAY_MS, now, 1);
	guint before = h.v9.packets->len;

	h_add(&h, &older, now);
	h.ops->flush(h.enc, now);
	v9_check_all(&h);
	g_assert_cmpuint(v9_boot(v9_pkt(&h, before)), <=, T0 - 3 * DAY_MS);
	h_fini(&h);
}

/* 32-bit uptimes: after ~47 days the boot time moves instead of wrapping. */
static void test_v9_time_long_run(void)
{
	struct harness h;
	guint64 now = T0;
	GRand *r = g_rand_new_with_seed(seed());
	guint64 prev_boot = 0;
	guint boots = 0;

	h_init(&h, &rfm_netflow9_encoder, 1400, T0);
	while (now < T0 + 120 * DAY_MS) {
		struct input in = in_random(r, now, 1);

		h_add(&h, &in, now);
		h.ops->flush(h.enc, now);
		now += 6 * 3600 * 1000; /* a record every 6 hours */
	}
	v9_check_all(&h);
	for (guint i = 0; i < h.v9.packets->len; i++) {
		guint64 boot = v9_boot(v9_pkt(&h, i));

		if (boot != prev_boot)
			boots++;
		prev_boot = boot;
	}
	g_assert_cmpuint(boots, ==, 3); /* the start, then about every 46.7 days */
	g_rand_free(r);
	h_fini(&h);
}

/* --- an independent NetFlow v5 decoder --------------------------------------------- */

static void v5_decode(struct harness *h, const guint8 *p, gsize len)
{
	struct v5_packet pk = {0};

	g_assert_cmpuint(len, >=, 24);
	g_assert_cmpuint(len, <=, h->mtu);
	g_assert_cmpuint(be(p, 2), ==, 5);
	pk.count = (guint16)be(p + 2, 2);
	pk.uptime = (guint32)be(p + 4, 4);
	pk.unix_secs = (guint32)be(p + 8, 4);
	pk.unix_nsecs = (guint32)be(p + 12, 4);
	pk.flow_sequence = (guint32)be(p + 16, 4);
	pk.engine_type = p[20];
	pk.engine_id = p[21];
	pk.sampling = (guint16)be(p + 22, 2);
	pk.len = len;
	g_assert_cmpuint(pk.count, >=, 1);
	g_assert_cmpuint(pk.count, <=, 30);
	g_assert_cmpuint(len, ==, 24 + 48 * (gsize)pk.count);
	g_assert_cmpuint(pk.unix_nsecs, <, 1000000000);
	for (guint i = 0; i < pk.count; i++) {
		const guint8 *b = p + 24 + 48 * i;
		struct v5_record r = {
			.src = (guint32)be(b, 4),
			.dst = (guint32)be(b + 4, 4),
			.nexthop = (guint32)be(b + 8, 4),
			.input = (guint16)be(b + 12, 2),
			.output = (guint16)be(b + 14, 2),
			.packets = (guint32)be(b + 16, 4),
			.octets = (guint32)be(b + 20, 4),
			.first = (guint32)be(b + 24, 4),
			.last = (guint32)be(b + 28, 4),
			.sport = (guint16)be(b + 32, 2),
			.dport = (guint16)be(b + 34, 2),
			.pad1 = b[36],
			.tcp_flags = b[37],
			.prot = b[38],
			.tos = b[39],
			.src_as = (guint16)be(b + 40, 2),
			.dst_as = (guint16)be(b + 42, 2),
			.src_mask = b[44],
			.dst_mask = b[45],
			.pad2 = (guint16)be(b + 46, 2),
			.packet = h->v5_packets->len,
			.boot_ms =
				(guint64)pk.unix_secs * 1000 + pk.unix_nsecs / 1000000 - pk.uptime,
		};

		g_assert_cmpuint(r.pad1, ==, 0);
		g_assert_cmpuint(r.pad2, ==, 0);
		g_array_append_val(h->v5_records, r);
	}
	g_array_append_val(h->v5_packets, pk);
}

static const struct v5_packet *v5_pkt(const struct harness *h, guint i)
{
	g_assert_cmpuint(i, <, h->v5_packets->len);
	return &g_array_index(h->v5_packets, struct v5_packet, i);
}

static guint16 v5_as(guint32 asn)
{
	return asn > 65535 ? 23456 : (guint16)asn;
}

/* One decoded record against (part of) an input: counts given, the rest from the input. */
static void v5_check_record(const struct v5_record *r, const struct input *in, guint64 packets,
			    guint64 octets)
{
	const struct rfm_flow_record *rec = &in->rec;
	const struct rfm_enrichment *en = in->has_en ? &in->en : NULL;
	bool ingress = rec->key.direction == RFM_DIR_INGRESS;
	guint32 in_if = ingress ? rec->key.ifindex : rec->other_ifindex;
	guint32 out_if = ingress ? rec->other_ifindex : rec->key.ifindex;

	g_assert_cmpuint(rec->key.ip_version, ==, 4);
	g_assert_cmpuint(r->src, ==, be(rec->key.src_addr, 4));
	g_assert_cmpuint(r->dst, ==, be(rec->key.dst_addr, 4));
	g_assert_cmpuint(r->nexthop, ==, rec->has_next_hop ? be(rec->next_hop, 4) : 0);
	g_assert_cmpuint(r->input, ==, in_if > 65535 ? 0 : in_if);
	g_assert_cmpuint(r->output, ==, out_if > 65535 ? 0 : out_if);
	g_assert_cmpuint(r->packets, ==, packets);
	g_assert_cmpuint(r->octets, ==, octets);
	g_assert_cmpuint(r->boot_ms + r->first, ==, rec->start_ms);
	g_assert_cmpuint(r->boot_ms + r->last, ==, rec->end_ms);
	g_assert_cmpuint(r->sport, ==, rec->key.src_port);
	g_assert_cmpuint(r->dport, ==, rec->key.dst_port);
	g_assert_cmpuint(r->tcp_flags, ==, rec->tcp_flags);
	g_assert_cmpuint(r->prot, ==, rec->key.protocol);
	g_assert_cmpuint(r->tos, ==, (guint8)(rec->dscp << 2));
	g_assert_cmpuint(r->src_as, ==, en ? v5_as(en->src_asn) : 0);
	g_assert_cmpuint(r->dst_as, ==, en ? v5_as(en->dst_asn) : 0);
	g_assert_cmpuint(r->src_mask, ==, en ? en->src_prefix_len : 0);
	g_assert_cmpuint(r->dst_mask, ==, en ? en->dst_prefix_len : 0);
}

/*
 * Every IPv4 input against the records decoded, in order: one record each,
 * or several whose counts add up when they do not fit 32 bits; the header
 * of each packet; stats.
 */
static void v5_check_all(const struct harness *h, guint64 boot)
{
	guint ri = 0, v6 = 0;
	guint64 flows = 0, octets = 0;
	struct rfm_encoder_stats st;

	for (guint i = 0; i < h->inputs->len; i++) {
		const struct input *in = &g_array_index(h->inputs, struct input, i);
		guint32 rate = in->rec.sampling ? in->rec.sampling : 1;
		guint64 scale = rate > 16383 ? rate : 1;
		guint64 p = in->rec.packets * scale, o = in->rec.octets * scale, sp = 0, so = 0;

		if (in->rec.key.ip_version != 4) {
			v6++;
			continue;
		}
		do {
			g_assert_cmpuint(ri, <, h->v5_records->len);
			const struct v5_record *r =
				&g_array_index(h->v5_records, struct v5_record, ri++);
			const struct v5_packet *pk = v5_pkt(h, r->packet);

			v5_check_record(r, in, r->packets, r->octets);
			sp += r->packets;
			so += r->octets;
			if (rate > 16383)
				g_assert_cmphex(pk->sampling, ==, 0x0001);
			else {
				g_assert_cmphex(pk->sampling & 0x3fff, ==, rate);
				g_assert_cmphex(pk->sampling >> 14, >=, 1); /* 01 or 10 */
				g_assert_cmphex(pk->sampling >> 14, <=, 2);
			}
			if (boot)
				g_assert_cmpuint(r->boot_ms, ==, boot);
		} while (sp < p || so < o);
		g_assert_cmpuint(sp, ==, p);
		g_assert_cmpuint(so, ==, o);
	}
	g_assert_cmpuint(ri, ==, h->v5_records->len);
	for (guint i = 0; i < h->v5_packets->len; i++) {
		const struct v5_packet *pk = v5_pkt(h, i);

		g_assert_cmpuint(pk->flow_sequence, ==, flows); /* flows sent before it */
		g_assert_cmpuint(pk->engine_type, ==, (OD >> 8) & 0xff);
		g_assert_cmpuint(pk->engine_id, ==, OD & 0xff);
		flows += pk->count;
		octets += pk->len;
	}
	h->ops->get_stats(h->enc, &st);
	g_assert_cmpuint(st.messages, ==, h->v5_packets->len);
	g_assert_cmpuint(st.records, ==, flows);
	g_assert_cmpuint(st.octets, ==, octets);
	g_assert_cmpuint(st.not_exportable, ==, v6);
	g_assert_cmpuint(st.announcements, ==, 0);
}

/* --- NetFlow v5 tests -------------------------------------------------------- */

static void test_v5_fields(void)
{
	struct harness h;
	struct input in[5];
	const struct rfm_export_sampler s[] = {
		{2, RFM_DIR_INGRESS, RFM_SAMPLE_SYSTEMATIC, 1},
		{3, RFM_DIR_EGRESS, RFM_SAMPLE_RANDOM, 1},
	};

	h_init(&h, &rfm_netflow5_encoder, 1500, T0 - 600000);
	h.ops->set_sampling(h.enc, s, G_N_ELEMENTS(s), T0);
	h.ops->announce(h.enc, T0);
	g_assert_cmpuint(h.emitted, ==, 0); /* v5 has nothing to announce */
	v9_fixed_inputs(in, T0);
	in[2].rec.other_ifindex = 70000; /* does not fit 16 bits: 0 */
	for (guint i = 0; i < G_N_ELEMENTS(in); i++)
		h_add(&h, &in[i], T0 + 60000 + 789);
	h.ops->flush(h.enc, T0 + 60000 + 789);
	v5_check_all(&h, T0 - 601000); /* boot: start less 1 s */

	const struct v5_record *r = &g_array_index(h.v5_records, struct v5_record, 1);

	g_assert_cmpuint(r->src_as, ==, 23456); /* 4200000000: AS_TRANS */
	/* records of another mode go in another packet: systematic 01, random 10 */
	g_assert_cmpuint(h.v5_packets->len, ==, 3);
	g_assert_cmphex(v5_pkt(&h, 0)->sampling, ==, 0x4001);
	g_assert_cmphex(v5_pkt(&h, 1)->sampling, ==, 0x8001);
	g_assert_cmphex(v5_pkt(&h, 2)->sampling, ==, 0x4001);
	g_assert_cmpuint(v5_pkt(&h, 2)->unix_secs, ==, (T0 + 60789) / 1000);
	g_assert_cmpuint(v5_pkt(&h, 2)->unix_nsecs, ==, 789000000);
	g_assert_cmpuint(v5_pkt(&h, 2)->uptime, ==, 661789);
	h_fini(&h);
}

/* At most 30 records, and what fits the mtu; the mtu must fit one. */
static void test_v5_limits(void)
{
	static const struct {
		guint32 mtu, per_packet;
	} cases[] = {{9000, 30}, {1500, 30}, {1464, 30}, {1463, 29}, {1400, 28}, {72, 1}};
	GRand *r = g_rand_new_with_seed(seed());

	for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
		struct harness h;
		guint64 now = T0;
		guint n4 = 0;

		h_init(&h, &rfm_netflow5_encoder, cases[c].mtu, T0 - 600000);
		for (guint i = 0; i < 500; i++) {
			struct input in = in_random(r, now, 1);

			in.rec.sampling = 1;
			n4 += in.rec.key.ip_version == 4;
			h_add(&h, &in, now);
			now += 3;
		}
		h.ops->flush(h.enc, now);
		v5_check_all(&h, T0 - 601000); /* boot: start less 1 s */
		for (guint i = 0; i + 1 < h.v5_packets->len; i++)
			g_assert_cmpuint(v5_pkt(&h, i)->count, ==, cases[c].per_packet);
		g_assert_cmpuint(h.v5_records->len, ==, n4);
		h_fini(&h);
	}
	g_rand_free(r);

	struct rfm_encoder_params p = {.mtu = 71, .emit = h_emit, .start_ms = T0};
	GError *error = NULL;

	g_assert_null(rfm_netflow5_encoder.create(&p, &error));
	g_assert_error(error, RFM_NETFLOW_ERROR, RFM_NETFLOW_ERROR_MTU);
	g_clear_error(&error);
}

/* The rate of every record in its packet's header; above 14 bits: estimates, split if needed. */
static void test_v5_sampling(void)
{
	struct harness h;
	struct input a =
		in_make("tcp 192.0.2.1:1000 > 192.0.2.2:80", 2, 0, 3, 10, 4000, T0, T0 + 10, 100);
	struct input b =
		in_make("udp 192.0.2.3:53 > 192.0.2.4:53", 3, 1, 2, 5, 500, T0, T0 + 20, 16383);
	struct input c = in_make("udp 192.0.2.5:53 > 192.0.2.6:53", 3, 1, 2, 300000, 90000000, T0,
				 T0 + 30, 20000); /* 6e9 packets, 1.8e12 octets */

	h_init(&h, &rfm_netflow5_encoder, 1500, T0 - 5000);
	h_add(&h, &a, T0 + 1000);
	h_add(&h, &a, T0 + 1000);
	h_add(&h, &b, T0 + 1000); /* another rate: another packet */
	h_add(&h, &c, T0 + 1000);
	h_add(&h, &a, T0 + 1000);
	h.ops->flush(h.enc, T0 + 1000);
	v5_check_all(&h, T0 - 6000);
	g_assert_cmpuint(h.v5_packets->len, ==, 1 + 1 + 14 + 1);
	g_assert_cmpuint(v5_pkt(&h, 0)->count, ==, 2);
	g_assert_cmphex(v5_pkt(&h, 0)->sampling, ==, 0x8000 | 100); /* random (the default) */
	g_assert_cmphex(v5_pkt(&h, 1)->sampling, ==, 0x8000 | 16383);
	/* 6e9 packets / 1.8e12 octets: 420 records of at most 2^32-1 octets */
	g_assert_cmpuint(v5_pkt(&h, 2)->sampling, ==, 1);
	g_assert_cmpuint(h.v5_records->len, ==, 2 + 1 + 420 + 1);
	g_assert_cmpuint(v5_pkt(&h, 2)->count, ==, 30);
	h_fini(&h);
}

/* Replay: exact times, one boot time for the run, before every record. */
static void test_v5_time_replay(void)
{
	struct harness h;
	struct input in[5];
	guint64 now = T0;

	h_init(&h, &rfm_netflow5_encoder, 1500, T0 + 1000 * DAY_MS);
	v9_fixed_inputs(in, T0);
	for (guint i = 0; i < G_N_ELEMENTS(in); i++) {
		now = MAX(now, in[i].rec.end_ms + 1000);
		h_add(&h, &in[i], now);
		h.ops->flush(h.enc, now);
	}
	v5_check_all(&h, 0);

	guint64 boot = g_array_index(h.v5_records, struct v5_record, 0).boot_ms;

	for (guint i = 0; i < h.v5_records->len; i++)
		g_assert_cmpuint(g_array_index(h.v5_records, struct v5_record, i).boot_ms, ==,
				 boot);
	g_assert_cmpuint(boot, <=, T0);
	h_fini(&h);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/netflow/v9/fields", test_v9_fields);
	g_test_add_func("/netflow/v9/not_exportable", test_v9_not_exportable);
	g_test_add_func("/netflow/v9/packing", test_v9_packing);
	g_test_add_func("/netflow/v9/mtu", test_v9_mtu);
	g_test_add_func("/netflow/v9/announce", test_v9_announce);
	g_test_add_func("/netflow/v9/sampling", test_v9_sampling);
	g_test_add_func("/netflow/v9/sampler_ids", test_v9_sampler_ids);
	g_test_add_func("/netflow/v9/time_live", test_v9_time_live);
	g_test_add_func("/netflow/v9/time_replay", test_v9_time_replay);
	g_test_add_func("/netflow/v9/time_long_run", test_v9_time_long_run);
	g_test_add_func("/netflow/v5/fields", test_v5_fields);
	g_test_add_func("/netflow/v5/limits", test_v5_limits);
	g_test_add_func("/netflow/v5/sampling", test_v5_sampling);
	g_test_add_func("/netflow/v5/time_replay", test_v5_time_replay);
	return g_test_run();
}
