/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_ipfix.c - the IPFIX encoder (ipfix.c) against decoders that share
 * nothing with it but the wire format.
 *
 * Records built here (IPv4, IPv6, ICMP, both directions, with and without
 * enrichment, BGP next hops of the other family, long and multi-byte
 * strings, hundreds of records over many messages) are encoded, the
 * emitted messages kept, and then:
 *  - a small parser written here walks every message: header (version,
 *    length <= mtu, observation domain, export time, sequence number =
 *    data records sent before, the flow record count emit() got), sets,
 *    templates and every record, so the order of templates, options and
 *    data can be checked;
 *  - libfixbuf's collecting side reads them back as an RFC 5655 file
 *    (fbCollectorAllocFile), each record through its own external
 *    template, and every field is compared with what the input record
 *    says it must be (the expectation is written from the mapping in
 *    encoder.h, not from the encoder);
 *  - ipfixDump (libfixbuf-tools) with templates/rfm-elements.xml must name
 *    the enterprise values, and python3-ipfix with
 *    templates/python-ipfix.iespec must decode every flow record to the
 *    same fields and values (each skipped, with a message, when missing).
 * Options: sampling scoped to the observation domain (one rate) and per
 * interface (several), a sampling change announced before the next data
 * record, the samplerId of a flow that outlived a change, interface names,
 * reliability figures, RFC 5610 type records (also read back by a
 * collector that learns rfm's elements from them alone).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <fixbuf/public.h>

#include "ipfix.h"

#define T0   1700000000000ull /* 2023-11-14 22:13:20 UTC, in ms */
#define ODID 4242

static char *tmpdir;

/* --- capture ------------------------------------------------------------ */

/*
 * DOC: the messages an encoder emitted, each with the flow record count
 * emit() was given and the now_ms of the call that emitted it.
 */
struct capture {
	GPtrArray *msgs;   /* GBytes */
	GArray *when_ms;   /* guint64 */
	GArray *n_records; /* guint32 */
	guint64 now_ms;	   /* set by the test before each encoder call */
};

static void capture_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct capture *c = user_data;

	g_ptr_array_add(c->msgs, g_bytes_new(msg, len));
	g_array_append_val(c->when_ms, c->now_ms);
	g_array_append_val(c->n_records, records);
}

static void capture_init(struct capture *c)
{
	c->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	c->when_ms = g_array_new(FALSE, FALSE, sizeof(guint64));
	c->n_records = g_array_new(FALSE, FALSE, sizeof(guint32));
	c->now_ms = T0;
}

static void capture_fini(struct capture *c)
{
	g_ptr_array_unref(c->msgs);
	g_array_unref(c->when_ms);
	g_array_unref(c->n_records);
}

static char *capture_write(const struct capture *c, const char *name)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	FILE *f = fopen(path, "wb");

	g_assert_nonnull(f);
	for (guint i = 0; i < c->msgs->len; i++) {
		gsize len;
		const guint8 *d = g_bytes_get_data(c->msgs->pdata[i], &len);

		g_assert_cmpuint(fwrite(d, 1, len, f), ==, len);
	}
	g_assert_cmpint(fclose(f), ==, 0);
	return path;
}

static struct rfm_encoder *encoder_new(struct capture *c, guint32 mtu, guint32 pen)
{
	struct rfm_encoder_params p = {.observation_domain = ODID,
				       .enterprise_number = pen,
				       .mtu = mtu,
				       .start_ms = T0 - 3600000,
				       .emit = capture_emit,
				       .user_data = c};
	GError *err = NULL;
	struct rfm_encoder *e = rfm_ipfix_encoder.create(&p, &err);

	g_assert_no_error(err);
	g_assert_nonnull(e);
	return e;
}

/* --- a raw IPFIX reader, independent of libfixbuf ------------------------- */

/* DOC: one field specifier of a template. */
struct raw_field {
	guint16 id;
	guint16 len; /* 65535 = variable */
	guint32 pen;
};

/* DOC: one record as read: its template, message, and field values (borrowed from the message). */
struct raw_record {
	guint16 tid;
	guint msg;
	guint nfields;
	struct raw_field fields[64];
	const guint8 *value[64];
	guint16 value_len[64];
};

/* DOC: what the raw reader found in a capture. */
struct raw {
	GArray *records;       /* struct raw_record, data records in stream order */
	GArray *template_at;   /* guint: per message, number of template records */
	GHashTable *templates; /* tid -> GArray of struct raw_field (first nscope are scope) */
	GHashTable *scopes;    /* tid -> scope count */
	GArray *msg_records;   /* guint: data records per message */
};

static guint16 rd16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static guint32 rd32(const guint8 *p)
{
	return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static guint64 raw_uint(const struct raw_record *r, guint32 pen, guint16 id)
{
	for (guint i = 0; i < r->nfields; i++) {
		guint64 v = 0;

		if (r->fields[i].id != id || r->fields[i].pen != pen)
			continue;
		for (guint b = 0; b < r->value_len[i]; b++)
			v = v << 8 | r->value[i][b];
		return v;
	}
	g_error("record of template %u has no field %u/%u", r->tid, pen, id);
	return 0;
}

static bool raw_has(const struct raw_record *r, guint32 pen, guint16 id)
{
	for (guint i = 0; i < r->nfields; i++)
		if (r->fields[i].id == id && r->fields[i].pen == pen)
			return true;
	return false;
}

static void raw_templates(struct raw *raw, const guint8 *p, const guint8 *end, bool options,
			  guint *count)
{
	while (p + 4 <= end) {
		guint16 tid = rd16(p), n = rd16(p + 2), nscope = 0;
		GArray *fields = g_array_new(FALSE, FALSE, sizeof(struct raw_field));

		p += 4;
		if (options) {
			nscope = rd16(p);
			p += 2;
			g_assert_cmpuint(nscope, >, 0);
		}
		g_assert_cmpuint(tid, >=, 256);
		for (guint i = 0; i < n; i++) {
			struct raw_field f = {.id = rd16(p) & 0x7fff, .len = rd16(p + 2)};

			g_assert_true(p + 4 <= end);
			if (rd16(p) & 0x8000) {
				f.pen = rd32(p + 4);
				p += 4;
			}
			p += 4;
			g_array_append_val(fields, f);
		}
		g_assert_true(p <= end);
		g_hash_table_insert(raw->templates, GUINT_TO_POINTER(tid), fields);
		g_hash_table_insert(raw->scopes, GUINT_TO_POINTER(tid), GUINT_TO_POINTER(nscope));
		(*count)++;
	}
}

/*
 * Read every message: checks that hold for any capture (header, lengths,
 * mtu, sequence numbers, no empty set, known templates).
 */
static struct raw *raw_read(const struct capture *c, guint32 mtu)
{
	struct raw *raw = g_new0(struct raw, 1);
	guint32 seq = 0;

	raw->records = g_array_new(FALSE, FALSE, sizeof(struct raw_record));
	raw->template_at = g_array_new(FALSE, FALSE, sizeof(guint));
	raw->msg_records = g_array_new(FALSE, FALSE, sizeof(guint));
	raw->templates = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_array_unref);
	raw->scopes = g_hash_table_new(NULL, NULL);
	for (guint m = 0; m < c->msgs->len; m++) {
		gsize len;
		const guint8 *msg = g_bytes_get_data(c->msgs->pdata[m], &len);
		const guint8 *p = msg + 16, *end = msg + len;
		guint ntemplates = 0, ndata = 0, nflows = 0;

		g_assert_cmpuint(len, >=, 20);
		g_assert_cmpuint(len, <=, mtu);
		g_assert_cmpuint(rd16(msg), ==, 10);
		g_assert_cmpuint(rd16(msg + 2), ==, len);
		g_assert_cmpuint(rd32(msg + 4), ==, g_array_index(c->when_ms, guint64, m) / 1000);
		g_assert_cmpuint(rd32(msg + 8), ==, seq);
		g_assert_cmpuint(rd32(msg + 12), ==, ODID);
		while (p < end) {
			guint16 set_id, set_len;
			const guint8 *set_end;

			g_assert_true(p + 4 <= end);
			set_id = rd16(p);
			set_len = rd16(p + 2);
			g_assert_cmpuint(set_len, >, 4); /* RFC 7011 3.3.1: one record or more */
			set_end = p + set_len;
			g_assert_true(set_end <= end);
			if (set_id == 2 || set_id == 3) {
				raw_templates(raw, p + 4, set_end, set_id == 3, &ntemplates);
				p = set_end;
				continue;
			}
			g_assert_cmpuint(set_id, >=, 256);
			GArray *fields =
				g_hash_table_lookup(raw->templates, GUINT_TO_POINTER(set_id));
			g_assert_nonnull(fields);
			p += 4;
			while (p < set_end) {
				struct raw_record r = {
					.tid = set_id, .msg = m, .nfields = fields->len};

				g_assert_cmpuint(fields->len, <=, G_N_ELEMENTS(r.fields));
				for (guint i = 0; i < fields->len; i++) {
					struct raw_field *f =
						&g_array_index(fields, struct raw_field, i);
					guint vlen = f->len;

					if (vlen == 65535) {
						vlen = *p++;
						if (vlen == 255) {
							vlen = rd16(p);
							p += 2;
						}
					}
					g_assert_true(p + vlen <= set_end);
					r.fields[i] = *f;
					r.value[i] = p;
					r.value_len[i] = (guint16)vlen;
					p += vlen;
				}
				g_array_append_val(raw->records, r);
				ndata++;
				nflows += set_id <= RFM_IPFIX_TID_FLOW6_NH4;
			}
			g_assert_true(p == set_end);
		}
		/* emit() was told how many flow records the message holds. */
		g_assert_cmpuint(g_array_index(c->n_records, guint32, m), ==, nflows);
		g_array_append_val(raw->template_at, ntemplates);
		g_array_append_val(raw->msg_records, ndata);
		seq += ndata;
	}
	return raw;
}

static void raw_free(struct raw *raw)
{
	g_array_unref(raw->records);
	g_array_unref(raw->template_at);
	g_array_unref(raw->msg_records);
	g_hash_table_unref(raw->templates);
	g_hash_table_unref(raw->scopes);
	g_free(raw);
}

static const struct raw_record *raw_at(const struct raw *raw, guint i)
{
	return &g_array_index(raw->records, struct raw_record, i);
}

/* --- libfixbuf's collecting side ------------------------------------------ */

/* DOC: one record read back by libfixbuf: its template and fields by name, as text. */
struct decoded {
	guint16 tid;
	GHashTable *fields; /* name -> value, both owned */
};

static void decoded_free(gpointer p)
{
	struct decoded *d = p;

	g_hash_table_unref(d->fields);
	g_free(d);
}

static char *value_text(const fbInfoElement_t *ie, const guint8 *p)
{
	char buf[INET6_ADDRSTRLEN];
	guint64 v = 0;

	switch (ie->type) {
	case FB_IP4_ADDR: {
		guint32 a;

		memcpy(&a, p, 4);
		a = g_htonl(a);
		return g_strdup(inet_ntop(AF_INET, &a, buf, sizeof(buf)));
	}
	case FB_IP6_ADDR:
		return g_strdup(inet_ntop(AF_INET6, p, buf, sizeof(buf)));
	case FB_STRING: {
		fbVarfield_t vf;

		memcpy(&vf, p, sizeof(vf));
		return vf.len ? g_strndup((const char *)vf.buf, vf.len) : g_strdup("");
	}
	case FB_OCTET_ARRAY:
		return g_strdup("-");
	default:
		/* Unsigned integers and dateTimeMilliseconds: native order, reduced size. */
		switch (ie->len) {
		case 1:
			v = *p;
			break;
		case 2: {
			guint16 x;

			memcpy(&x, p, 2);
			v = x;
			break;
		}
		case 4: {
			guint32 x;

			memcpy(&x, p, 4);
			v = x;
			break;
		}
		case 8:
			memcpy(&v, p, 8);
			break;
		default:
			g_error("%s: length %u", ie->ref.canon->ref.name, ie->len);
		}
		return g_strdup_printf("%" G_GUINT64_FORMAT, v);
	}
}

/*
 * Every data record of the file, read with libfixbuf: each external
 * template also serves as its internal one, so every field comes back.
 * model is borrowed (NULL: IANA plus templates/rfm-elements.xml); with
 * auto_insert the buffer learns enterprise elements from RFC 5610 records.
 */
static GPtrArray *fixbuf_read(const char *path, fbInfoModel_t *model, bool auto_insert)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(decoded_free);
	bool own_model = !model;
	GError *err = NULL;
	fbSession_t *session;
	fbCollector_t *collector;
	fBuf_t *fbuf;
	GHashTable *internal = g_hash_table_new(NULL, NULL);
	guint8 *rec = g_malloc(65536);

	if (own_model) {
		char *xml = g_build_filename(RFM_SOURCE_DIR, "templates", "rfm-elements.xml", NULL);

		model = fbInfoModelAlloc();
		g_assert_true(fbInfoModelReadXMLFile(model, xml, &err));
		g_assert_no_error(err);
		g_free(xml);
	}
	session = fbSessionAlloc(model);
	collector = fbCollectorAllocFile(NULL, path, &err);
	g_assert_no_error(err);
	fbuf = fBufAllocForCollection(session, collector);
	if (auto_insert) {
		g_assert_true(fBufSetAutomaticInsert(fbuf, &err));
		g_assert_no_error(err);
	}
	for (;;) {
		guint16 tid;
		fbTemplate_t *t = fBufNextCollectionTemplate(fbuf, &tid, &err);
		struct decoded *d;
		size_t len = 65536;
		guint off = 0;

		if (!t) {
			g_assert_true(g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF));
			g_clear_error(&err);
			break;
		}
		if (g_hash_table_lookup(internal, GUINT_TO_POINTER(tid)) != t) {
			g_assert_cmpuint(
				fbSessionAddTemplate(fBufGetSession(fbuf), TRUE, tid, t, &err), ==,
				tid);
			g_assert_no_error(err);
			g_hash_table_insert(internal, GUINT_TO_POINTER(tid), t);
		}
		g_assert_true(fBufSetInternalTemplate(fbuf, tid, &err));
		if (!fBufNext(fbuf, rec, &len, &err)) {
			g_assert_true(g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF));
			g_clear_error(&err);
			break;
		}
		d = g_new0(struct decoded, 1);
		d->tid = tid;
		d->fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		for (guint32 i = 0; i < fbTemplateCountElements(t); i++) {
			const fbInfoElement_t *ie = fbTemplateGetIndexedIE(t, i);
			const char *name = ie->ref.canon->ref.name;

			g_hash_table_insert(d->fields, g_strdup(name), value_text(ie, rec + off));
			off += ie->len == FB_IE_VARLEN ? sizeof(fbVarfield_t) : ie->len;
		}
		g_assert_cmpuint(off, ==, len);
		g_ptr_array_add(out, d);
	}
	fBufFree(fbuf); /* with the session and the collector */
	g_hash_table_unref(internal);
	g_free(rec);
	if (own_model)
		fbInfoModelFree(model);
	return out;
}

/* --- records and what they must decode to --------------------------------- */

static void addr(guint8 out[16], const char *s)
{
	memset(out, 0, 16);
	g_assert_cmpint(inet_pton(strchr(s, ':') ? AF_INET6 : AF_INET, s, out), ==, 1);
}

/* DOC: a test record with the enrichment it is encoded with (NULL: none). */
struct case_rec {
	struct rfm_flow_record rec;
	struct rfm_enrichment en;
	bool enriched;
};

static char *addr_text(const guint8 *a, int version)
{
	char buf[INET6_ADDRSTRLEN];

	return g_strdup(inet_ntop(version == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf)));
}

static void put(GHashTable *h, const char *k, char *v)
{
	g_hash_table_insert(h, g_strdup(k), v);
}

static void put_u(GHashTable *h, const char *k, guint64 v)
{
	put(h, k, g_strdup_printf("%" G_GUINT64_FORMAT, v));
}

static char *cut(const char *s, guint max)
{
	gsize n = s ? strlen(s) : 0;
	const char *end;

	if (n <= max)
		return g_strdup(s ? s : "");
	/* The longest prefix of whole characters within max bytes. */
	g_utf8_validate(s, max, &end);
	return g_strndup(s, end - s);
}

/*
 * The fields a record must decode to, written from encoder.h's mapping:
 * interfaces by direction, ICMP type/code instead of ports, raw sampled
 * counts, DSCP in the top six bits of ipClassOfService, zeros and empty
 * strings without enrichment, strings cut to string_max.
 */
static GHashTable *expect(const struct case_rec *c, guint8 sampler_id, guint string_max)
{
	const struct rfm_flow_record *r = &c->rec;
	const struct rfm_enrichment *en = c->enriched ? &c->en : NULL;
	static const struct rfm_enrichment none;
	bool v6 = r->key.ip_version == 6;
	bool icmp = r->key.protocol == 1 || r->key.protocol == 58;
	int nh_version = en ? en->bgp_next_hop_version : 0;
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	guint8 zero[16] = {0};

	if (!en)
		en = &none;
	put_u(h, "octetDeltaCount", r->octets);
	put_u(h, "packetDeltaCount", r->packets);
	put_u(h, "flowStartMilliseconds", r->start_ms);
	put_u(h, "flowEndMilliseconds", r->end_ms);
	put(h, v6 ? "sourceIPv6Address" : "sourceIPv4Address",
	    addr_text(r->key.src_addr, r->key.ip_version));
	put(h, v6 ? "destinationIPv6Address" : "destinationIPv4Address",
	    addr_text(r->key.dst_addr, r->key.ip_version));
	put(h, v6 ? "ipNextHopIPv6Address" : "ipNextHopIPv4Address",
	    addr_text(r->has_next_hop ? r->next_hop : zero, r->key.ip_version));
	if (nh_version == 6 || (v6 && nh_version != 4))
		put(h, "bgpNextHopIPv6Address",
		    addr_text(nh_version == 6 ? en->bgp_next_hop : zero, 6));
	else
		put(h, "bgpNextHopIPv4Address",
		    addr_text(nh_version == 4 ? en->bgp_next_hop : zero, 4));
	put_u(h, "ingressInterface",
	      r->key.direction == RFM_DIR_INGRESS ? r->key.ifindex : r->other_ifindex);
	put_u(h, "egressInterface",
	      r->key.direction == RFM_DIR_INGRESS ? r->other_ifindex : r->key.ifindex);
	put_u(h, "bgpSourceAsNumber", en->src_asn);
	put_u(h, "bgpDestinationAsNumber", en->dst_asn);
	put_u(h, "bgpNextAdjacentAsNumber", en->next_as);
	put_u(h, "bgpPrevAdjacentAsNumber", en->prev_as);
	put_u(h, "sourceTransportPort", icmp ? 0 : r->key.src_port);
	put_u(h, "destinationTransportPort", icmp ? 0 : r->key.dst_port);
	put_u(h, v6 ? "icmpTypeCodeIPv6" : "icmpTypeCodeIPv4", icmp ? r->key.dst_port : 0);
	put_u(h, "vlanId", r->key.vlan_id);
	put_u(h, "protocolIdentifier", r->key.protocol);
	put_u(h, "ipClassOfService", r->dscp << 2);
	put_u(h, "tcpControlBits", r->tcp_flags);
	put_u(h, v6 ? "sourceIPv6PrefixLength" : "sourceIPv4PrefixLength", en->src_prefix_len);
	put_u(h, v6 ? "destinationIPv6PrefixLength" : "destinationIPv4PrefixLength",
	      en->dst_prefix_len);
	put_u(h, "flowDirection", r->key.direction);
	put_u(h, "flowEndReason", r->end_reason);
	put_u(h, "samplerId", sampler_id);
	put_u(h, "rfmSourceAsnSource", en->src_asn_source);
	put_u(h, "rfmDestinationAsnSource", en->dst_asn_source);
	put(h, "rfmSourceCity", cut(en->src_city, string_max));
	put(h, "rfmDestinationCity", cut(en->dst_city, string_max));
	put(h, "rfmSourceCountryCode", cut(en->src_country, string_max));
	put(h, "rfmDestinationCountryCode", cut(en->dst_country, string_max));
	put(h, "rfmSourceAsName", cut(en->src_as_name, string_max));
	put(h, "rfmDestinationAsName", cut(en->dst_as_name, string_max));
	return h;
}

static void assert_fields(GHashTable *got, GHashTable *want, guint index)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, want);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const char *g = g_hash_table_lookup(got, k);

		if (g_strcmp0(g, v))
			g_error("record %u: %s is '%s', want '%s'", index, (char *)k,
				g ? g : "(missing)", (char *)v);
	}
	g_hash_table_iter_init(&it, got);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (!g_hash_table_contains(want, k))
			g_error("record %u: unexpected field %s = '%s'", index, (char *)k,
				(char *)v);
}

/* A long AS name: 'Ä' (2 bytes) and 'x' alternate, so a cut can fall inside a character. */
static char *long_name(guint bytes)
{
	GString *s = g_string_new(NULL);

	while (s->len < bytes)
		g_string_append(s, s->len % 3 ? "x" : "\xc3\x84");
	return g_string_free(s, FALSE);
}

/* The records of the flow test; strings borrowed from statics or names (owned by the caller). */
static GArray *build_cases(guint many, GPtrArray *names)
{
	GArray *cases = g_array_new(FALSE, TRUE, sizeof(struct case_rec));
	struct case_rec c;

	/* IPv4 TCP at ingress, fully enriched, IPv4 BGP next hop, a VLAN and DSCP EF. */
	memset(&c, 0, sizeof(c));
	c.rec.key.ip_version = 4;
	c.rec.key.protocol = 6;
	addr(c.rec.key.src_addr, "192.0.2.10");
	addr(c.rec.key.dst_addr, "198.51.100.20");
	c.rec.key.src_port = 40000;
	c.rec.key.dst_port = 443;
	c.rec.key.ifindex = 2;
	c.rec.key.vlan_id = 100;
	c.rec.key.direction = RFM_DIR_INGRESS;
	c.rec.other_ifindex = 3;
	addr(c.rec.next_hop, "198.18.0.1");
	c.rec.has_next_hop = true;
	c.rec.packets = 10;
	c.rec.octets = 1400;
	c.rec.start_ms = T0 - 5000;
	c.rec.end_ms = T0 - 1000;
	c.rec.tcp_flags = 0x1b;
	c.rec.dscp = 46;
	c.rec.end_reason = RFM_END_EOF;
	c.rec.sampling = 1;
	c.enriched = true;
	c.en = (struct rfm_enrichment){.src_asn = 64496,
				       .dst_asn = 64497,
				       .src_asn_source = RFM_ASN_RIB,
				       .dst_asn_source = RFM_ASN_MMDB,
				       .src_prefix_len = 24,
				       .dst_prefix_len = 25,
				       .src_as_name = "Example Net One",
				       .dst_as_name = "Example Net Two",
				       .next_as = 64500,
				       .prev_as = 64501,
				       .bgp_next_hop_version = 4,
				       .src_city = "Amsterdam",
				       .dst_city = "Z\xc3\xbcrich",
				       .src_country = "NL",
				       .dst_country = "CH"};
	addr(c.en.bgp_next_hop, "192.0.2.254");
	g_array_append_val(cases, c);

	/* IPv6 UDP at egress, no enrichment, no next hop. */
	memset(&c, 0, sizeof(c));
	c.rec.key.ip_version = 6;
	c.rec.key.protocol = 17;
	addr(c.rec.key.src_addr, "2001:db8::10");
	addr(c.rec.key.dst_addr, "2001:db8:2::20");
	c.rec.key.src_port = 123;
	c.rec.key.dst_port = 123;
	c.rec.key.ifindex = 3;
	c.rec.key.direction = RFM_DIR_EGRESS;
	c.rec.other_ifindex = 2;
	c.rec.packets = 2;
	c.rec.octets = 192;
	c.rec.start_ms = T0 - 3000;
	c.rec.end_ms = T0 - 2000;
	c.rec.end_reason = RFM_END_IDLE;
	c.rec.sampling = 1;
	g_array_append_val(cases, c);

	/* ICMP echo (type 8, code 0) at ingress, no FIB result. */
	memset(&c, 0, sizeof(c));
	c.rec.key.ip_version = 4;
	c.rec.key.protocol = 1;
	addr(c.rec.key.src_addr, "198.51.100.7");
	addr(c.rec.key.dst_addr, "203.0.113.9");
	c.rec.key.dst_port = 8 << 8 | 0;
	c.rec.key.ifindex = 2;
	c.rec.packets = 4;
	c.rec.octets = 336;
	c.rec.start_ms = T0 - 4000;
	c.rec.end_ms = T0 - 1000;
	c.rec.end_reason = RFM_END_ACTIVE;
	c.rec.sampling = 1;
	g_array_append_val(cases, c);

	/* ICMPv6 destination unreachable (1/4) at egress, IPv6 BGP next hop, MMDB only. */
	memset(&c, 0, sizeof(c));
	c.rec.key.ip_version = 6;
	c.rec.key.protocol = 58;
	addr(c.rec.key.src_addr, "2001:db8::1");
	addr(c.rec.key.dst_addr, "2001:db8:1::2");
	c.rec.key.dst_port = 1 << 8 | 4;
	c.rec.key.ifindex = 3;
	c.rec.key.direction = RFM_DIR_EGRESS;
	c.rec.other_ifindex = 2;
	addr(c.rec.next_hop, "2001:db8::fe");
	c.rec.has_next_hop = true;
	c.rec.packets = 1;
	c.rec.octets = 120;
	c.rec.start_ms = T0 - 1500;
	c.rec.end_ms = T0 - 1500;
	c.rec.end_reason = RFM_END_FORCED;
	c.rec.sampling = 1;
	c.enriched = true;
	c.en = (struct rfm_enrichment){.dst_asn = 64499,
				       .dst_asn_source = RFM_ASN_MMDB,
				       .bgp_next_hop_version = 6,
				       .dst_city = "Berlin",
				       .dst_country = "DE"};
	addr(c.en.bgp_next_hop, "2001:db8:ffff::3");
	g_array_append_val(cases, c);

	/* IPv4 flow, IPv6 BGP next hop (RFC 8950 routes); IPv6 flow, IPv4 BGP next hop. */
	c = g_array_index(cases, struct case_rec, 0);
	c.rec.key.src_port = 40001;
	c.en.bgp_next_hop_version = 6;
	addr(c.en.bgp_next_hop, "fe80::1");
	g_array_append_val(cases, c);
	c = g_array_index(cases, struct case_rec, 1);
	c.enriched = true;
	memset(&c.en, 0, sizeof(c.en));
	c.en.bgp_next_hop_version = 4;
	addr(c.en.bgp_next_hop, "192.0.2.253");
	c.en.src_asn = 64498;
	g_array_append_val(cases, c);

	/* Long names: past the cut of a 1400-byte mtu, and 300 bytes (a 3-byte length). */
	c = g_array_index(cases, struct case_rec, 0);
	c.rec.key.src_port = 40002;
	g_ptr_array_add(names, long_name(1000));
	g_ptr_array_add(names, long_name(300));
	c.en.src_as_name = names->pdata[names->len - 2];
	c.en.dst_as_name = names->pdata[names->len - 1];
	c.en.src_city = "";
	c.en.dst_city = NULL;
	g_array_append_val(cases, c);

	/* Many: alternating families, directions and strings of every length to 40. */
	for (guint i = 0; i < many; i++) {
		c = g_array_index(cases, struct case_rec, i % 2);
		c.rec.key.src_port = (guint16)(10000 + i);
		c.rec.packets = i + 1;
		c.rec.octets = 1000ull * i + 40;
		c.rec.start_ms = T0 - 60000 + i;
		c.rec.end_ms = T0 - 1000 + i;
		c.enriched = i % 3 != 0;
		memset(&c.en, 0, sizeof(c.en));
		if (c.enriched) {
			g_ptr_array_add(names, g_strnfill(i % 41, (gchar)('a' + i % 26)));
			c.en.src_city = names->pdata[names->len - 1];
			c.en.src_asn = 64496 + i % 16;
			c.en.src_asn_source = i % 3;
			g_strlcpy(c.en.src_country, i % 2 ? "NL" : "", 3);
		}
		g_array_append_val(cases, c);
	}
	return cases;
}

static void sampling_one_rate(struct rfm_encoder *e, guint32 rate, guint64 now)
{
	const struct rfm_export_sampler s[] = {
		{.ifindex = 2,
		 .direction = RFM_DIR_INGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = rate},
		{.ifindex = 2,
		 .direction = RFM_DIR_EGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = rate},
		{.ifindex = 3,
		 .direction = RFM_DIR_INGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = rate},
		{.ifindex = 3,
		 .direction = RFM_DIR_EGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = rate},
	};

	rfm_ipfix_encoder.set_sampling(e, s, G_N_ELEMENTS(s), now);
}

/* The flow records of a capture, read by libfixbuf. */
static GPtrArray *flows_only(GPtrArray *decoded)
{
	GPtrArray *flows = g_ptr_array_new();

	for (guint i = 0; i < decoded->len; i++) {
		struct decoded *d = decoded->pdata[i];

		if (d->tid >= RFM_IPFIX_TID_FLOW4 && d->tid <= RFM_IPFIX_TID_FLOW6_NH4)
			g_ptr_array_add(flows, d);
	}
	return flows;
}

/* --- tests ---------------------------------------------------------------- */

/* Encode the cases with mtu and check every field of every flow record. */
static void check_flows(guint32 mtu, guint many)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GArray *cases = build_cases(many, names);
	guint string_max = rfm_ipfix_string_max(mtu);
	struct capture cap;
	struct rfm_encoder *e;
	struct rfm_encoder_stats st;
	struct raw *raw;
	GPtrArray *decoded, *flows;
	char *path, *file;
	guint64 octets = 0;

	capture_init(&cap);
	e = encoder_new(&cap, mtu, RFM_IPFIX_PEN_DEFAULT);
	sampling_one_rate(e, 1, T0);
	rfm_ipfix_encoder.announce(e, T0);
	for (guint i = 0; i < cases->len; i++) {
		cap.now_ms = T0 + i; /* one export time per second, at most */
		rfm_ipfix_encoder.add(e, &g_array_index(cases, struct case_rec, i).rec,
				      g_array_index(cases, struct case_rec, i).enriched
					      ? &g_array_index(cases, struct case_rec, i).en
					      : NULL,
				      cap.now_ms);
	}
	cap.now_ms = T0 + 7000;
	rfm_ipfix_encoder.flush(e, cap.now_ms);
	rfm_ipfix_encoder.get_stats(e, &st);

	/* Structure, sizes, sequence numbers, export times. */
	raw = raw_read(&cap, mtu);
	g_assert_cmpuint(st.messages, ==, cap.msgs->len);
	for (guint i = 0; i < cap.msgs->len; i++)
		octets += g_bytes_get_size(cap.msgs->pdata[i]);
	g_assert_cmpuint(st.octets, ==, octets);
	g_assert_cmpuint(st.records, ==, cases->len);
	g_assert_cmpuint(st.not_exportable, ==, 0);
	g_assert_cmpuint(st.announcements, ==, 1);
	if (many > 100)
		g_assert_cmpuint(cap.msgs->len, >, 5);
	/* Templates come first: every template in messages before the first data record. */
	g_assert_cmpuint(g_hash_table_size(raw->templates), ==, 10);
	g_assert_cmpuint(raw_at(raw, 0)->msg, >, 0);
	for (guint m = raw_at(raw, 0)->msg; m < cap.msgs->len; m++)
		g_assert_cmpuint(g_array_index(raw->template_at, guint, m), ==, 0);

	/* Every field of every flow record, read back by libfixbuf. */
	file = g_strdup_printf("flows-%u.ipfix", mtu);
	path = capture_write(&cap, file);
	decoded = fixbuf_read(path, NULL, false);
	flows = flows_only(decoded);
	g_assert_cmpuint(flows->len, ==, cases->len);
	for (guint i = 0; i < cases->len; i++) {
		GHashTable *want = expect(&g_array_index(cases, struct case_rec, i), 0, string_max);

		assert_fields(((struct decoded *)flows->pdata[i])->fields, want, i);
		g_hash_table_unref(want);
	}
	/* The long names: cut (to whole characters) at 1400, whole at 9000. */
	{
		struct decoded *d = flows->pdata[6];
		const char *src = g_hash_table_lookup(d->fields, "rfmSourceAsName");
		const char *dst = g_hash_table_lookup(d->fields, "rfmDestinationAsName");

		g_assert_true(g_utf8_validate(src, -1, NULL));
		gsize long_len = strlen(names->pdata[0]);

		if (string_max < long_len) {
			/* Cut, by at most the one byte of a split 'Ä'. */
			g_assert_cmpuint(strlen(src), <=, string_max);
			g_assert_cmpuint(strlen(src), >=, string_max - 1);
		} else {
			g_assert_cmpuint(strlen(src), ==, long_len);
		}
		if (mtu >= 9000)
			g_assert_cmpuint(strlen(dst), ==, strlen(names->pdata[1]));
	}
	g_ptr_array_unref(flows);
	g_ptr_array_unref(decoded);
	raw_free(raw);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
	g_free(path);
	g_free(file);
	g_array_unref(cases);
	g_ptr_array_unref(names);
}

static void test_flows(void)
{
	check_flows(1400, 600);
}

static void test_flows_small_mtu(void)
{
	check_flows(RFM_IPFIX_MTU_MIN, 300);
}

static void test_flows_jumbo(void)
{
	g_assert_cmpuint(rfm_ipfix_string_max(9000), >, 300);
	check_flows(9000, 900);
}

static void test_params(void)
{
	struct capture cap;
	struct rfm_encoder_params p = {.observation_domain = ODID,
				       .enterprise_number = RFM_IPFIX_PEN_DEFAULT,
				       .mtu = RFM_IPFIX_MTU_MIN - 1,
				       .emit = capture_emit,
				       .user_data = &cap};
	GError *err = NULL;

	capture_init(&cap);
	g_assert_null(rfm_ipfix_encoder.create(&p, &err));
	g_assert_error(err, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_PARAMS);
	g_clear_error(&err);
	p.mtu = 1400;
	p.enterprise_number = 0;
	g_assert_null(rfm_ipfix_encoder.create(&p, &err));
	g_assert_error(err, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_PARAMS);
	g_clear_error(&err);
	rfm_ipfix_encoder.destroy(NULL);

	/* Nothing to send, nothing sent. */
	p.enterprise_number = RFM_IPFIX_PEN_DEFAULT;
	struct rfm_encoder *e = rfm_ipfix_encoder.create(&p, &err);

	g_assert_no_error(err);
	rfm_ipfix_encoder.flush(e, T0);
	g_assert_cmpuint(cap.msgs->len, ==, 0);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
}

/* The raw records of template tid, in stream order. */
static GPtrArray *raw_of(const struct raw *raw, guint16 tid)
{
	GPtrArray *out = g_ptr_array_new();

	for (guint i = 0; i < raw->records->len; i++)
		if (raw_at(raw, i)->tid == tid)
			g_ptr_array_add(out, (gpointer)raw_at(raw, i));
	return out;
}

static struct case_rec flow_on(guint32 ifindex, guint8 direction, guint32 rate, guint16 port)
{
	struct case_rec c;

	memset(&c, 0, sizeof(c));
	c.rec.key.ip_version = 4;
	c.rec.key.protocol = 17;
	addr(c.rec.key.src_addr, "198.18.0.1");
	addr(c.rec.key.dst_addr, "198.18.0.2");
	c.rec.key.src_port = port;
	c.rec.key.dst_port = 53;
	c.rec.key.ifindex = ifindex;
	c.rec.key.direction = direction;
	c.rec.packets = 3;
	c.rec.octets = 300;
	c.rec.start_ms = T0 - 2000;
	c.rec.end_ms = T0 - 1000;
	c.rec.end_reason = RFM_END_IDLE;
	c.rec.sampling = rate;
	return c;
}

static guint64 raw_sampler_of(const struct raw *raw, guint16 port)
{
	for (guint i = 0; i < raw->records->len; i++) {
		const struct raw_record *r = raw_at(raw, i);

		if (r->tid <= RFM_IPFIX_TID_FLOW6_NH4 && raw_uint(r, 0, 7) == port)
			return raw_uint(r, 0, 48);
	}
	g_error("no flow record from port %u", port);
	return 0;
}

static guint raw_index_of_port(const struct raw *raw, guint16 port)
{
	for (guint i = 0; i < raw->records->len; i++) {
		const struct raw_record *r = raw_at(raw, i);

		if (r->tid <= RFM_IPFIX_TID_FLOW6_NH4 && raw_uint(r, 0, 7) == port)
			return i;
	}
	g_error("no flow record from port %u", port);
	return 0;
}

/*
 * One rate everywhere: one record scoped to the observation domain with
 * samplingInterval, samplingAlgorithm and samplingPacketInterval 1 /
 * samplingPacketSpace N-1, no samplerId, and samplerId 0 in the flows.
 * Several: one record per interface and direction, scoped to
 * ingressInterface or egressInterface, binding samplerIds to rates and
 * algorithms; each flow carries the id of its interface's rate.
 */
static void test_sampling_scopes(void)
{
	struct capture cap;
	struct rfm_encoder *e;
	struct raw *raw;
	GPtrArray *recs;
	struct case_rec c;
	const struct rfm_export_sampler mixed[] = {
		{.ifindex = 3,
		 .direction = RFM_DIR_EGRESS,
		 .mode = RFM_SAMPLE_SYSTEMATIC,
		 .rate = 10},
		{.ifindex = 2,
		 .direction = RFM_DIR_INGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = 100},
		{.ifindex = 3,
		 .direction = RFM_DIR_INGRESS,
		 .mode = RFM_SAMPLE_RANDOM,
		 .rate = 100},
		{.ifindex = 7, .direction = RFM_DIR_INGRESS, .mode = RFM_SAMPLE_RANDOM, .rate = 1},
	};

	/* One rate (including rate 1: it is announced too). */
	for (guint32 rate = 1; rate <= 100; rate += 99) {
		capture_init(&cap);
		e = encoder_new(&cap, 1400, RFM_IPFIX_PEN_DEFAULT);
		sampling_one_rate(e, rate, T0);
		rfm_ipfix_encoder.announce(e, T0);
		c = flow_on(2, RFM_DIR_INGRESS, rate, 1001);
		rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
		rfm_ipfix_encoder.flush(e, T0);
		raw = raw_read(&cap, 1400);
		recs = raw_of(raw, RFM_IPFIX_TID_SAMPLING_DOMAIN);
		g_assert_cmpuint(recs->len, ==, 1);
		g_assert_cmpuint(
			GPOINTER_TO_UINT(g_hash_table_lookup(
				raw->scopes, GUINT_TO_POINTER(RFM_IPFIX_TID_SAMPLING_DOMAIN))),
			==, 1);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 149), ==, ODID);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 34), ==, rate);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 35), ==, 2);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 305), ==, 1);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 306), ==, rate - 1);
		g_assert_false(raw_has(recs->pdata[0], 0, 48));
		g_assert_cmpuint(raw_of(raw, RFM_IPFIX_TID_SAMPLING_INGRESS)->len, ==, 0);
		g_ptr_array_unref(recs);
		g_assert_cmpuint(raw_sampler_of(raw, 1001), ==, 0);
		raw_free(raw);
		rfm_ipfix_encoder.destroy(e);
		capture_fini(&cap);
	}

	/* Several rates. */
	capture_init(&cap);
	e = encoder_new(&cap, 1400, RFM_IPFIX_PEN_DEFAULT);
	rfm_ipfix_encoder.set_sampling(e, mixed, G_N_ELEMENTS(mixed), T0);
	rfm_ipfix_encoder.announce(e, T0);
	c = flow_on(2, RFM_DIR_INGRESS, 100, 2001);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
	c = flow_on(3, RFM_DIR_EGRESS, 10, 2002);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
	c = flow_on(3, RFM_DIR_INGRESS, 100, 2003);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
	c = flow_on(7, RFM_DIR_INGRESS, 1, 2004);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
	rfm_ipfix_encoder.flush(e, T0);
	raw = raw_read(&cap, 1400);
	g_assert_cmpuint(raw_of(raw, RFM_IPFIX_TID_SAMPLING_DOMAIN)->len, ==, 0);
	recs = raw_of(raw, RFM_IPFIX_TID_SAMPLING_INGRESS);
	g_assert_cmpuint(recs->len, ==, 3);
	{
		/* Per interface: scope, rate, algorithm; the id of each flow maps back to its rate.
		 */
		GHashTable *rate_of_id = g_hash_table_new(NULL, NULL);
		const struct {
			guint32 ifindex;
			guint64 rate, algorithm;
		} want[] = {{2, 100, 2}, {3, 100, 2}, {7, 1, 2}};

		for (guint i = 0; i < recs->len; i++) {
			const struct raw_record *r = recs->pdata[i];

			g_assert_cmpuint(raw_uint(r, 0, 10), ==, want[i].ifindex);
			g_assert_cmpuint(raw_uint(r, 0, 34), ==, want[i].rate);
			g_assert_cmpuint(raw_uint(r, 0, 35), ==, want[i].algorithm);
			g_assert_cmpuint(raw_uint(r, 0, 48), >, 0);
			g_hash_table_insert(rate_of_id, GUINT_TO_POINTER(raw_uint(r, 0, 48)),
					    GUINT_TO_POINTER(want[i].rate));
		}
		g_ptr_array_unref(recs);
		recs = raw_of(raw, RFM_IPFIX_TID_SAMPLING_EGRESS);
		g_assert_cmpuint(recs->len, ==, 1);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 14), ==, 3);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 34), ==, 10);
		g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 35), ==, 1);
		g_hash_table_insert(rate_of_id, GUINT_TO_POINTER(raw_uint(recs->pdata[0], 0, 48)),
				    GUINT_TO_POINTER(10));
		/* Same rate and algorithm, same id; three ids in all. */
		g_assert_cmpuint(g_hash_table_size(rate_of_id), ==, 3);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(
					 rate_of_id, GUINT_TO_POINTER(raw_sampler_of(raw, 2001)))),
				 ==, 100);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(
					 rate_of_id, GUINT_TO_POINTER(raw_sampler_of(raw, 2002)))),
				 ==, 10);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(
					 rate_of_id, GUINT_TO_POINTER(raw_sampler_of(raw, 2003)))),
				 ==, 100);
		g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(
					 rate_of_id, GUINT_TO_POINTER(raw_sampler_of(raw, 2004)))),
				 ==, 1);
		g_hash_table_unref(rate_of_id);
	}
	g_ptr_array_unref(recs);
	/* libfixbuf reads the per-interface records the same way. */
	{
		char *path = capture_write(&cap, "sampling.ipfix");
		GPtrArray *decoded = fixbuf_read(path, NULL, false);
		guint n = 0;

		for (guint i = 0; i < decoded->len; i++) {
			struct decoded *d = decoded->pdata[i];

			if (d->tid != RFM_IPFIX_TID_SAMPLING_EGRESS)
				continue;
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "egressInterface"), ==, "3");
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "samplingInterval"), ==,
					"10");
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "samplingAlgorithm"), ==,
					"1");
			n++;
		}
		g_assert_cmpuint(n, ==, 1);
		g_ptr_array_unref(decoded);
		g_free(path);
	}
	raw_free(raw);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
}

/*
 * A change of rate is announced at once, after the records sampled before
 * it and before the first one sampled after; the same table again sends
 * nothing. A flow sampled at the old rate and ended after the change
 * carries an id bound to the old rate, announced just before it.
 */
static void test_sampling_change(void)
{
	struct capture cap;
	struct rfm_encoder *e;
	struct raw *raw;
	struct case_rec c;
	guint before, change_at, after, stale;
	guint msgs;

	capture_init(&cap);
	e = encoder_new(&cap, 1400, RFM_IPFIX_PEN_DEFAULT);
	sampling_one_rate(e, 100, T0);
	rfm_ipfix_encoder.announce(e, T0);
	c = flow_on(2, RFM_DIR_INGRESS, 100, 3001);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, T0);
	msgs = cap.msgs->len;

	cap.now_ms = T0 + 1000;
	sampling_one_rate(e, 1000, cap.now_ms);
	g_assert_cmpuint(cap.msgs->len, >, msgs); /* at once, without a flush */
	msgs = cap.msgs->len;
	sampling_one_rate(e, 1000, cap.now_ms);
	g_assert_cmpuint(cap.msgs->len, ==, msgs); /* same table: nothing */

	c = flow_on(2, RFM_DIR_INGRESS, 1000, 3002);
	rfm_ipfix_encoder.add(e, &c.rec, NULL, cap.now_ms);
	c = flow_on(3, RFM_DIR_EGRESS, 100, 3003); /* outlived the change */
	rfm_ipfix_encoder.add(e, &c.rec, NULL, cap.now_ms);
	rfm_ipfix_encoder.flush(e, cap.now_ms);

	raw = raw_read(&cap, 1400);
	before = raw_index_of_port(raw, 3001);
	after = raw_index_of_port(raw, 3002);
	stale = raw_index_of_port(raw, 3003);
	change_at = G_MAXUINT;
	for (guint i = 0; i < raw->records->len; i++) {
		const struct raw_record *r = raw_at(raw, i);

		if (r->tid == RFM_IPFIX_TID_SAMPLING_DOMAIN && raw_uint(r, 0, 34) == 1000)
			change_at = i;
	}
	g_assert_cmpuint(change_at, !=, G_MAXUINT);
	g_assert_cmpuint(before, <, change_at);
	g_assert_cmpuint(change_at, <, after);
	/* In a later message than the record before it: that one left at the old rate. */
	g_assert_cmpuint(raw_at(raw, before)->msg, <, raw_at(raw, change_at)->msg);
	g_assert_cmpuint(raw_sampler_of(raw, 3001), ==, 0);
	g_assert_cmpuint(raw_sampler_of(raw, 3002), ==, 0);
	/* The stale flow: an id, bound to 100 by an egress record for its interface, just before.
	 */
	g_assert_cmpuint(raw_sampler_of(raw, 3003), >, 0);
	{
		const struct raw_record *bind = raw_at(raw, stale - 1);

		g_assert_cmpuint(bind->tid, ==, RFM_IPFIX_TID_SAMPLING_EGRESS);
		g_assert_cmpuint(raw_uint(bind, 0, 14), ==, 3);
		g_assert_cmpuint(raw_uint(bind, 0, 34), ==, 100);
		g_assert_cmpuint(raw_uint(bind, 0, 48), ==, raw_sampler_of(raw, 3003));
	}
	raw_free(raw);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
}

/*
 * Interface names, reliability figures and RFC 5610 type records, with
 * every options template in an Options Template Set of its own.
 */
static void test_options(void)
{
	const struct rfm_export_interface ifs[] = {{3, "wg0"}, {2, "eth0"}, {15, "br-lan.100"}};
	const struct rfm_export_reliability rel = {
		.not_sent_records = 12345, .not_sent_messages = 67, .not_sent_octets = 89000};
	struct capture cap;
	struct rfm_encoder *e;
	struct raw *raw;
	GPtrArray *recs, *decoded, *elements;
	GError *err = NULL;
	char *path;
	guint ntype = 0;

	capture_init(&cap);
	e = encoder_new(&cap, 1400, RFM_IPFIX_PEN_DEFAULT);
	rfm_ipfix_encoder.set_interfaces(e, ifs, G_N_ELEMENTS(ifs));
	rfm_ipfix_encoder.set_reliability(e, &rel);
	rfm_ipfix_encoder.announce(e, T0);
	raw = raw_read(&cap, 1400);

	/* One options template per message, so one per Options Template Set. */
	{
		guint with_options = 0;

		for (guint m = 0; m < cap.msgs->len; m++) {
			const guint8 *msg = g_bytes_get_data(cap.msgs->pdata[m], NULL);
			gsize len = g_bytes_get_size(cap.msgs->pdata[m]);

			for (gsize off = 16; off < len; off += rd16(msg + off + 2))
				if (rd16(msg + off) == 3) {
					guint16 n = rd16(msg + off + 6);
					guint16 set_len = rd16(msg + off + 2);
					guint rec_len = 6;

					for (guint i = 0, p = off + 10; i < n; i++, p += 4) {
						if (rd16(msg + p) & 0x8000) {
							p += 4;
							rec_len += 4;
						}
						rec_len += 4;
					}
					g_assert_cmpuint(set_len, ==, 4 + rec_len);
					with_options++;
				}
		}
		g_assert_cmpuint(with_options, ==, 6);
	}

	recs = raw_of(raw, RFM_IPFIX_TID_INTERFACE);
	g_assert_cmpuint(recs->len, ==, 3);
	g_ptr_array_unref(recs);
	recs = raw_of(raw, RFM_IPFIX_TID_RELIABILITY);
	g_assert_cmpuint(recs->len, ==, 1);
	g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 144), ==, ODID);
	g_assert_cmpuint(raw_uint(recs->pdata[0], 0, 166), ==, 12345);
	g_ptr_array_unref(recs);

	path = capture_write(&cap, "options.ipfix");
	decoded = fixbuf_read(path, NULL, false);
	elements = rfm_ipfix_elements(RFM_IPFIX_PEN_DEFAULT, &err);
	g_assert_no_error(err);
	for (guint i = 0, n_if = 0; i < decoded->len; i++) {
		struct decoded *d = decoded->pdata[i];

		if (d->tid == RFM_IPFIX_TID_INTERFACE) {
			/* Sorted by ifindex. */
			static const char *const want[][2] = {
				{"2", "eth0"}, {"3", "wg0"}, {"15", "br-lan.100"}};

			g_assert_cmpstr(g_hash_table_lookup(d->fields, "ingressInterface"), ==,
					want[n_if][0]);
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "interfaceName"), ==,
					want[n_if][1]);
			n_if++;
		} else if (d->tid == RFM_IPFIX_TID_TYPE) {
			const struct rfm_ipfix_element *el = elements->pdata[ntype++];
			char *id = g_strdup_printf("%u", el->id);

			g_assert_cmpstr(g_hash_table_lookup(d->fields, "informationElementName"),
					==, el->name);
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "privateEnterpriseNumber"),
					==, "32473");
			g_assert_cmpstr(g_hash_table_lookup(d->fields, "informationElementId"), ==,
					id);
			g_assert_cmpstr(
				g_hash_table_lookup(d->fields, "informationElementDataType"), ==,
				!strcmp(el->data_type, "string") ? "13" : "1");
			g_assert_cmpstr(
				g_hash_table_lookup(d->fields, "informationElementDescription"), ==,
				el->description);
			g_assert_cmpuint(strlen(el->description), >, 20);
			g_free(id);
		}
	}
	g_assert_cmpuint(ntype, ==, elements->len);
	g_assert_cmpuint(ntype, ==, 8);
	g_ptr_array_unref(elements);
	g_ptr_array_unref(decoded);
	raw_free(raw);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
	g_free(path);
}

/*
 * Another enterprise number: the templates carry it, and a collector that
 * knows nothing of rfm learns every element, name and type from the type
 * records alone, then decodes the strings by name.
 */
static void test_other_pen(void)
{
	const guint32 pen = 64000;
	struct capture cap;
	struct rfm_encoder *e;
	struct raw *raw;
	GPtrArray *decoded, *flows;
	fbInfoModel_t *model;
	struct case_rec c;
	char *path;
	guint enterprise = 0;

	capture_init(&cap);
	e = encoder_new(&cap, 1400, pen);
	sampling_one_rate(e, 1, T0);
	rfm_ipfix_encoder.announce(e, T0);
	/* Templates again, now that the collector knows the elements. */
	rfm_ipfix_encoder.announce(e, T0);
	c = flow_on(2, RFM_DIR_INGRESS, 1, 4001);
	c.enriched = true;
	c.en.src_city = "Amsterdam";
	c.en.dst_as_name = "Example Net Two";
	c.en.src_asn_source = RFM_ASN_MMDB;
	rfm_ipfix_encoder.add(e, &c.rec, &c.en, T0);
	rfm_ipfix_encoder.flush(e, T0);

	raw = raw_read(&cap, 1400);
	{
		GArray *fields =
			g_hash_table_lookup(raw->templates, GUINT_TO_POINTER(RFM_IPFIX_TID_FLOW4));

		for (guint i = 0; i < fields->len; i++) {
			const struct raw_field *f = &g_array_index(fields, struct raw_field, i);

			if (f->pen) {
				g_assert_cmpuint(f->pen, ==, pen);
				enterprise++;
			}
		}
		g_assert_cmpuint(enterprise, ==, 8);
	}

	path = capture_write(&cap, "pen.ipfix");
	model = fbInfoModelAlloc(); /* IANA only */
	decoded = fixbuf_read(path, model, true);
	flows = flows_only(decoded);
	g_assert_cmpuint(flows->len, ==, 1);
	{
		const fbInfoElement_t *ie = fbInfoModelGetElementByName(model, "rfmSourceCity");
		GHashTable *want = expect(&c, 0, rfm_ipfix_string_max(1400));

		g_assert_nonnull(ie);
		g_assert_cmpuint(ie->ent, ==, pen);
		g_assert_cmpuint(ie->num, ==, 1);
		g_assert_cmpuint(ie->type, ==, FB_STRING);
		ie = fbInfoModelGetElementByName(model, "rfmSourceAsnSource");
		g_assert_nonnull(ie);
		g_assert_cmpuint(ie->type, ==, FB_UINT_8);
		assert_fields(((struct decoded *)flows->pdata[0])->fields, want, 0);
		g_hash_table_unref(want);
	}
	g_ptr_array_unref(flows);
	g_ptr_array_unref(decoded);
	fbInfoModelFree(model);
	raw_free(raw);
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
	g_free(path);
}

/* --- third-party decoders --------------------------------------------------- */

/* The capture of the third-party tests: the first cases, announced once. */
static char *third_party_capture(GArray **cases_out, GPtrArray *names)
{
	GArray *cases = build_cases(40, names);
	struct capture cap;
	struct rfm_encoder *e;
	char *path;

	capture_init(&cap);
	e = encoder_new(&cap, 1400, RFM_IPFIX_PEN_DEFAULT);
	sampling_one_rate(e, 1, T0);
	rfm_ipfix_encoder.announce(e, T0);
	for (guint i = 0; i < cases->len; i++) {
		struct case_rec *c = &g_array_index(cases, struct case_rec, i);

		rfm_ipfix_encoder.add(e, &c->rec, c->enriched ? &c->en : NULL, T0);
	}
	rfm_ipfix_encoder.flush(e, T0);
	path = capture_write(&cap, "third-party.ipfix");
	rfm_ipfix_encoder.destroy(e);
	capture_fini(&cap);
	*cases_out = cases;
	return path;
}

/* ipfixDump with the shipped element file names the enterprise values. */
static void test_ipfixdump(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GArray *cases;
	char *path, *out = NULL, *err_out = NULL, *xml, *cmd;
	int status;
	GError *err = NULL;

	if (!g_file_test("/usr/bin/ipfixDump", G_FILE_TEST_IS_EXECUTABLE)) {
		g_test_skip("ipfixDump not installed (libfixbuf-tools)");
		g_ptr_array_unref(names);
		return;
	}
	path = third_party_capture(&cases, names);
	xml = g_build_filename(RFM_SOURCE_DIR, "templates", "rfm-elements.xml", NULL);
	cmd = g_strdup_printf("/usr/bin/ipfixDump -e %s -d -i %s", xml, path);
	g_assert_true(g_spawn_command_line_sync(cmd, &out, &err_out, &status, &err));
	g_assert_no_error(err);
	g_assert_cmpint(status, ==, 0);
	g_assert_nonnull(strstr(out, "rfmSourceCity : (len: 9) Amsterdam"));
	g_assert_nonnull(strstr(out, "rfmDestinationCity : (len: 7) Z\xc3\xbcrich"));
	g_assert_nonnull(strstr(out, "rfmSourceAsName : (len: 15) Example Net One"));
	g_assert_nonnull(strstr(out, "rfmDestinationCountryCode : (len: 2) CH"));
	g_assert_nonnull(strstr(out, "rfmSourceAsnSource : 1"));
	g_assert_nonnull(strstr(out, "rfmDestinationAsnSource : 2"));
	g_assert_null(strstr(out, "_alienInformationElement"));
	g_free(out);
	g_free(err_out);
	g_free(cmd);
	g_free(xml);
	g_free(path);
	g_array_unref(cases);
	g_ptr_array_unref(names);
}

/*
 * python3-ipfix, with the shipped IESpec, decodes every flow record to the
 * same fields and values (tests/unit/ipfix_pydecode.py prints each record
 * as sorted name=value fields, tab-separated).
 */
static void test_python_ipfix(void)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GArray *cases;
	char *path, *out = NULL, *err_out = NULL, *script, *spec;
	int status;
	GError *err = NULL;
	g_auto(GStrv) lines = NULL;
	guint n = 0;

	if (!g_spawn_command_line_sync("/usr/bin/python3 -c 'import ipfix'", NULL, NULL, &status,
				       NULL) ||
	    status != 0) {
		g_test_skip("/usr/bin/python3 has no ipfix module (python3-ipfix)");
		g_ptr_array_unref(names);
		return;
	}
	path = third_party_capture(&cases, names);
	script = g_build_filename(RFM_SOURCE_DIR, "tests", "unit", "ipfix_pydecode.py", NULL);
	spec = g_build_filename(RFM_SOURCE_DIR, "templates", "python-ipfix.iespec", NULL);
	{
		const char *argv[] = {"/usr/bin/python3", script, spec, path, NULL};

		g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
					   &out, &err_out, &status, &err));
	}
	g_assert_no_error(err);
	if (status != 0)
		g_error("ipfix_pydecode.py: %s", err_out);
	lines = g_strsplit(out, "\n", -1);
	for (char **l = lines; *l && **l; l++, n++) {
		GHashTable *want;
		GList *keys;
		GString *line = g_string_new(NULL);

		g_assert_cmpuint(n, <, cases->len);
		want = expect(&g_array_index(cases, struct case_rec, n), 0,
			      rfm_ipfix_string_max(1400));
		keys = g_list_sort(g_hash_table_get_keys(want), (GCompareFunc)strcmp);
		for (GList *k = keys; k; k = k->next)
			g_string_append_printf(line, "%s%s=%s", k == keys ? "" : "\t",
					       (char *)k->data,
					       (char *)g_hash_table_lookup(want, k->data));
		g_assert_cmpstr(*l, ==, line->str);
		g_string_free(line, TRUE);
		g_list_free(keys);
		g_hash_table_unref(want);
	}
	g_assert_cmpuint(n, ==, cases->len);
	g_free(out);
	g_free(err_out);
	g_free(script);
	g_free(spec);
	g_free(path);
	g_array_unref(cases);
	g_ptr_array_unref(names);
}

int main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("test_ipfix-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/ipfix/flows", test_flows);
	g_test_add_func("/ipfix/flows-small-mtu", test_flows_small_mtu);
	g_test_add_func("/ipfix/flows-jumbo", test_flows_jumbo);
	g_test_add_func("/ipfix/params", test_params);
	g_test_add_func("/ipfix/sampling-scopes", test_sampling_scopes);
	g_test_add_func("/ipfix/sampling-change", test_sampling_change);
	g_test_add_func("/ipfix/options", test_options);
	g_test_add_func("/ipfix/other-pen", test_other_pen);
	g_test_add_func("/ipfix/ipfixdump", test_ipfixdump);
	g_test_add_func("/ipfix/python-ipfix", test_python_ipfix);
	rc = g_test_run();
	{
		GDir *d = g_dir_open(tmpdir, 0, NULL);
		const char *name;

		while (d && (name = g_dir_read_name(d))) {
			char *p = g_build_filename(tmpdir, name, NULL);

			g_unlink(p);
			g_free(p);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(tmpdir);
	}
	g_free(tmpdir);
	return rc;
}
