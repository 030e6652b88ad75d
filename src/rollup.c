// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * rollup.c - owns the flow series of the Prometheus rollup: the label sets
 * (an index from normalised key to id), their reference counts and idle
 * times, the tallies the flow table adds into, and their exposition text.
 */
#include "rollup.h"

#include <string.h>

#include "rfm_shared.h"

#define MS_PER_S	    1000u
#define EXPIRE_INTERVAL_MS  1000u
#define TALLIES_INITIAL_CAP 64u

/*
 * DOC: a series key as stored: only the labels of its own mask are set, the
 * rest zero; cities interned in the rollup (pointer equality). No padding
 * holes (explicit fields), so keys hash and compare as bytes.
 */
struct skey {
	guint32 ifindex;
	guint32 src_asn, dst_asn;
	guint8 direction, protocol, labels, pad0;
	char src_country[2], dst_country[2];
	guint32 pad1;
	const char *src_city, *dst_city;
};
_Static_assert(sizeof(struct skey) == 40, "struct skey has no hidden padding");

/* DOC: one label set. Owned by the rollup (series[id]); refs = flows holding it. */
struct series {
	struct skey key;
	guint32 refs;
	guint64 samples_seen; /* tallies[id].samples at the last expiry pass */
	guint64 changed_ms;   /* when that count was last seen to move (or creation) */
};

/* DOC: the rollup. Owned by the agent. tallies[0] is the overflow series. */
struct rfm_rollup {
	struct rfm_rollup_options opts;
	struct rfm_flow_tally *tallies; /* owned, tallies_cap of them, zero when unused */
	guint32 tallies_cap;
	GPtrArray *series;   /* struct series * (owned) by id; NULL = free id; [0] NULL */
	GArray *free_ids;    /* guint32, ids to reuse */
	GHashTable *index;   /* struct skey * (borrowed from series) -> id */
	GHashTable *cities;  /* interned city names (owned), kept until free */
	guint32 held;	     /* live series, "other" not counted */
	guint64 expired;     /* series dropped after series_ttl */
	guint64 next_expire; /* now_ms before which expire does nothing */
};

static guint skey_hash(gconstpointer p)
{
	const guint8 *b = p;
	guint32 h = 2166136261u; /* FNV-1a: keys are short and not attacker-chosen in bulk */

	for (gsize i = 0; i < sizeof(struct skey); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static gboolean skey_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, sizeof(struct skey)) == 0;
}

static const char *intern_city(struct rfm_rollup *r, const char *city)
{
	gpointer found;

	if (!city || !*city)
		return NULL;
	if (g_hash_table_lookup_extended(r->cities, city, &found, NULL))
		return found;
	found = g_strdup(city);
	g_hash_table_add(r->cities, found);
	return found;
}

static void tallies_reserve(struct rfm_rollup *r, guint32 n)
{
	guint32 cap = r->tallies_cap;

	if (n <= cap)
		return;
	while (cap < n)
		cap *= 2;
	r->tallies = g_renew(struct rfm_flow_tally, r->tallies, cap);
	memset(r->tallies + r->tallies_cap, 0,
	       sizeof(struct rfm_flow_tally) * (cap - r->tallies_cap));
	r->tallies_cap = cap;
}

static void options_apply(struct rfm_rollup *r, const struct rfm_rollup_options *opts)
{
	r->opts = *opts;
	r->opts.labels &= RFM_ROLLUP_LABELS_ALL;
	r->opts.max_series = CLAMP(opts->max_series, 1, RFM_FLOW_TAG_MAX);
}

struct rfm_rollup *rfm_rollup_new(const struct rfm_rollup_options *opts)
{
	struct rfm_rollup *r = g_new0(struct rfm_rollup, 1);

	options_apply(r, opts);
	r->tallies_cap = TALLIES_INITIAL_CAP;
	r->tallies = g_new0(struct rfm_flow_tally, r->tallies_cap);
	r->series = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(r->series, NULL); /* id 0: "other" */
	r->free_ids = g_array_new(FALSE, FALSE, sizeof(guint32));
	r->index = g_hash_table_new(skey_hash, skey_equal);
	r->cities = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return r;
}

void rfm_rollup_free(struct rfm_rollup *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->index);
	g_hash_table_destroy(r->cities);
	g_ptr_array_unref(r->series);
	g_array_unref(r->free_ids);
	g_free(r->tallies);
	g_free(r);
}

void rfm_rollup_set_options(struct rfm_rollup *r, const struct rfm_rollup_options *opts)
{
	options_apply(r, opts);
}

guint32 rfm_rollup_series(struct rfm_rollup *r, const struct rfm_rollup_key *key, guint64 now_ms)
{
	guint32 m = r->opts.labels, id;
	struct series *s;
	struct skey k;
	gpointer v;

	memset(&k, 0, sizeof(k));
	k.ifindex = key->ifindex;
	k.direction = key->direction;
	k.protocol = key->protocol;
	k.labels = (guint8)m;
	if (m & RFM_ROLLUP_SRC_ASN)
		k.src_asn = key->src_asn;
	if (m & RFM_ROLLUP_DST_ASN)
		k.dst_asn = key->dst_asn;
	if (m & RFM_ROLLUP_SRC_COUNTRY)
		memcpy(k.src_country, key->src_country, strnlen(key->src_country, 2));
	if (m & RFM_ROLLUP_DST_COUNTRY)
		memcpy(k.dst_country, key->dst_country, strnlen(key->dst_country, 2));
	if (m & RFM_ROLLUP_SRC_CITY)
		k.src_city = intern_city(r, key->src_city);
	if (m & RFM_ROLLUP_DST_CITY)
		k.dst_city = intern_city(r, key->dst_city);

	if (g_hash_table_lookup_extended(r->index, &k, NULL, &v)) {
		id = GPOINTER_TO_UINT(v);
		s = g_ptr_array_index(r->series, id);
		s->refs++;
		return id;
	}
	if (r->held >= r->opts.max_series)
		return RFM_ROLLUP_OTHER;
	if (r->free_ids->len) {
		id = g_array_index(r->free_ids, guint32, r->free_ids->len - 1);
		g_array_set_size(r->free_ids, r->free_ids->len - 1);
	} else {
		id = r->series->len;
		g_ptr_array_add(r->series, NULL);
		tallies_reserve(r, id + 1);
	}
	s = g_new0(struct series, 1);
	s->key = k;
	s->refs = 1;
	s->changed_ms = now_ms;
	r->series->pdata[id] = s;
	g_hash_table_insert(r->index, &s->key, GUINT_TO_POINTER(id));
	r->held++;
	return id;
}

void rfm_rollup_release(struct rfm_rollup *r, guint32 id)
{
	struct series *s;

	if (id == RFM_ROLLUP_OTHER || id >= r->series->len)
		return;
	s = g_ptr_array_index(r->series, id);
	g_return_if_fail(s && s->refs > 0);
	s->refs--;
}

struct rfm_flow_tally *const *rfm_rollup_tallies(const struct rfm_rollup *r)
{
	return &r->tallies;
}

void rfm_rollup_expire(struct rfm_rollup *r, guint64 now_ms)
{
	guint64 ttl_ms = (guint64)r->opts.series_ttl_s * MS_PER_S;

	if (now_ms < r->next_expire)
		return;
	r->next_expire = now_ms + EXPIRE_INTERVAL_MS;
	for (guint32 id = 1; id < r->series->len; id++) {
		struct series *s = g_ptr_array_index(r->series, id);

		if (!s)
			continue;
		if (r->tallies[id].samples != s->samples_seen) {
			s->samples_seen = r->tallies[id].samples;
			s->changed_ms = now_ms;
			continue;
		}
		if (s->refs || now_ms < s->changed_ms + ttl_ms)
			continue;
		g_hash_table_remove(r->index, &s->key);
		memset(&r->tallies[id], 0, sizeof(r->tallies[id]));
		r->series->pdata[id] = NULL;
		g_free(s);
		g_array_append_val(r->free_ids, id);
		r->held--;
		r->expired++;
	}
}

void rfm_rollup_get_stats(const struct rfm_rollup *r, struct rfm_rollup_stats *out)
{
	out->series = r->held;
	out->limit = r->opts.max_series;
	out->overflow = r->tallies[RFM_ROLLUP_OTHER].samples;
	out->expired = r->expired;
}

/* --- exposition (Prometheus text format 0.0.4) ----------------------------- */

const char *rfm_rollup_label_name(guint32 bit)
{
	switch (bit) {
	case RFM_ROLLUP_SRC_ASN:
		return "src_asn";
	case RFM_ROLLUP_DST_ASN:
		return "dst_asn";
	case RFM_ROLLUP_SRC_COUNTRY:
		return "src_country";
	case RFM_ROLLUP_DST_COUNTRY:
		return "dst_country";
	case RFM_ROLLUP_SRC_CITY:
		return "src_city";
	case RFM_ROLLUP_DST_CITY:
		return "dst_city";
	default:
		return NULL;
	}
}

static const char *protocol_name(guint8 p, char buf[4])
{
	switch (p) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	default:
		g_snprintf(buf, 4, "%u", p);
		return buf;
	}
}

static void append_u64(GString *out, guint64 v)
{
	char buf[24];
	int n = 0;

	do {
		buf[sizeof(buf) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	g_string_append_len(out, buf + sizeof(buf) - n, n);
}

/* name="value", with \, " and newline escaped as the text format wants. */
static void append_label(GString *out, bool first, const char *name, const char *value)
{
	if (!first)
		g_string_append_c(out, ',');
	g_string_append(out, name);
	g_string_append(out, "=\"");
	for (const char *c = value; *c; c++) {
		if (*c == '\\')
			g_string_append(out, "\\\\");
		else if (*c == '"')
			g_string_append(out, "\\\"");
		else if (*c == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *c);
	}
	g_string_append_c(out, '"');
}

static void append_label_u32(GString *out, const char *name, guint32 v)
{
	g_string_append_c(out, ',');
	g_string_append(out, name);
	g_string_append(out, "=\"");
	if (v)
		append_u64(out, v);
	g_string_append_c(out, '"');
}

/* The {...} of series key k (NULL: the overflow series with labels). */
static void append_labels(GString *out, const struct skey *k, guint32 labels,
			  rfm_rollup_ifname_fn ifname, void *user_data)
{
	char num[16], cc[3] = "";
	const char *name;

	g_string_append_c(out, '{');
	if (!k) {
		append_label(out, true, "interface", "other");
		append_label(out, false, "direction", "other");
		append_label(out, false, "protocol", "other");
		for (guint32 bit = 1; bit & RFM_ROLLUP_LABELS_ALL; bit <<= 1)
			if (labels & bit)
				append_label(out, false, rfm_rollup_label_name(bit), "other");
		g_string_append_c(out, '}');
		return;
	}
	name = ifname ? ifname(k->ifindex, user_data) : NULL;
	if (!name) {
		g_snprintf(num, sizeof(num), "%u", k->ifindex);
		name = num;
	}
	append_label(out, true, "interface", name);
	append_label(out, false, "direction",
		     k->direction == RFM_DIR_EGRESS ? "egress" : "ingress");
	append_label(out, false, "protocol", protocol_name(k->protocol, num));
	if (labels & RFM_ROLLUP_SRC_ASN)
		append_label_u32(out, "src_asn", k->src_asn);
	if (labels & RFM_ROLLUP_DST_ASN)
		append_label_u32(out, "dst_asn", k->dst_asn);
	if (labels & RFM_ROLLUP_SRC_COUNTRY) {
		memcpy(cc, k->src_country, 2);
		append_label(out, false, "src_country", cc);
	}
	if (labels & RFM_ROLLUP_DST_COUNTRY) {
		memcpy(cc, k->dst_country, 2);
		append_label(out, false, "dst_country", cc);
	}
	if (labels & RFM_ROLLUP_SRC_CITY)
		append_label(out, false, "src_city", k->src_city ? k->src_city : "");
	if (labels & RFM_ROLLUP_DST_CITY)
		append_label(out, false, "dst_city", k->dst_city ? k->dst_city : "");
	g_string_append_c(out, '}');
}

static void append_family_head(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void append_scalar(GString *out, const char *name, const char *type, const char *help,
			  guint64 v)
{
	append_family_head(out, name, type, help);
	g_string_append(out, name);
	g_string_append_c(out, ' ');
	append_u64(out, v);
	g_string_append_c(out, '\n');
}

void rfm_rollup_render(const struct rfm_rollup *r, GString *out, rfm_rollup_ifname_fn ifname,
		       void *user_data)
{
	static const struct {
		const char *name, *help;
		gsize offset;
	} fams[] = {
		{"rfm_flow_packets_total",
		 "Packets of sampled flows by label set: an estimate, sampled packets x sampling "
		 "rate.",
		 G_STRUCT_OFFSET(struct rfm_flow_tally, packets)},
		{"rfm_flow_bytes_total",
		 "IP bytes of sampled flows by label set: an estimate, sampled bytes x sampling "
		 "rate.",
		 G_STRUCT_OFFSET(struct rfm_flow_tally, octets)},
	};
	struct rfm_rollup_stats st;

	for (gsize f = 0; f < G_N_ELEMENTS(fams); f++) {
		append_family_head(out, fams[f].name, "counter", fams[f].help);
		for (guint32 id = 0; id < r->series->len; id++) {
			const struct series *s = g_ptr_array_index(r->series, id);

			if (id != RFM_ROLLUP_OTHER && !s)
				continue;
			g_string_append(out, fams[f].name);
			append_labels(out, s ? &s->key : NULL, s ? s->key.labels : r->opts.labels,
				      ifname, user_data);
			g_string_append_c(out, ' ');
			append_u64(out, G_STRUCT_MEMBER(guint64, &r->tallies[id], fams[f].offset));
			g_string_append_c(out, '\n');
		}
	}
	rfm_rollup_get_stats(r, &st);
	append_scalar(out, "rfm_flow_series", "gauge",
		      "Flow label sets held (the overflow set not counted).", st.series);
	append_scalar(out, "rfm_flow_series_limit", "gauge",
		      "Most flow label sets held; beyond, traffic is counted under \"other\".",
		      st.limit);
	append_scalar(out, "rfm_flow_series_overflow_total", "counter",
		      "Samples counted under the \"other\" label set (limit reached).",
		      st.overflow);
	append_scalar(out, "rfm_flow_series_expired_total", "counter",
		      "Flow label sets dropped after being unused for the series TTL.", st.expired);
}
