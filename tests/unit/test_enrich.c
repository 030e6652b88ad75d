/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_enrich.c - flow enrichment (enrich.c): AS numbers from the RIB with
 * the MMDB as fallback, the source of each (rib/mmdb/none), neighbour ASes
 * (prev_as from the source route, next_as from the destination route), the
 * BGP next hop of the destination route, prefix lengths, the AS
 * organisation only when the MMDB describes the chosen AS, city and country
 * from the MMDB, and the default route only with use_default_route.
 *
 * Four set-ups over the same routes and addresses: RIB alone, RIB + MMDB,
 * RIB + MMDB with the default route, MMDB alone. The MMDB files are built
 * at start by tests/fixtures/mmdb/mkmmdb.pl (libmaxmind-db-writer-perl); the
 * set-ups with an MMDB are skipped, with a message, without the writer.
 *
 * Every address has one expected line per set-up, written as the
 * destination side of a record reads:
 *   "AS64496 rib /25 next AS64500 'Example Net One' Amsterdam NL nh 192.0.2.254"
 * (ASN, its source, RIB prefix length, first AS of the route, AS
 * organisation, city, country, BGP next hop; "-" for none). The source side
 * reads the same without the next hop, with prev instead of next. Every pair
 * of addresses of a family is enriched as a record, both ways.
 */
#include <arpa/inet.h>
#include <string.h>

#include <glib.h>

#include "enrich.h"
#include "geoip.h"
#include "mmdb_fixtures.h"
#include "rib.h"

/* Where mkmmdb.pl wrote the MMDB files, or NULL without the writer; set in main(). */
static char *fixtures;
static char *skip_why;

/* --- routes --------------------------------------------------------------- */

/* The RIB of every set-up: one Adj-RIB-In post-policy peer, AS64500. */
static const struct {
	const char *prefix;
	guint32 path[3];
	guint32 set[2]; /* an AS_SET after the path: origin unknown */
	const char *next_hop;
} routes[] = {
	{"192.0.2.0/25", {64500, 64496}, {0}, "192.0.2.254"},
	{"198.51.100.0/24", {64500, 64511}, {0}, "192.0.2.253"},
	/* No AS_PATH at all (a local route): origin unknown too. */
	{"198.51.100.128/25", {0}, {0}, NULL},
	{"203.0.113.0/24", {64500}, {64498, 64512}, "192.0.2.252"},
	{"10.0.0.0/8", {64502, 64513}, {0}, "10.255.255.254"},
	{"0.0.0.0/0", {64503}, {0}, "192.0.2.1"},
	{"2001:db8:1::/48", {64501, 64499}, {0}, "2001:db8::fe"},
	{"::/0", {64504}, {0}, "2001:db8::1"},
};

static int parse_addr(const char *s, guint8 out[16])
{
	int v6 = strchr(s, ':') != NULL;

	memset(out, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, out) != 1)
		g_error("bad address '%s'", s);
	return v6 ? 6 : 4;
}

static struct rfm_rib *rib_build(void)
{
	static const struct rfm_rib_options opts = {.max_routes_per_peer = 1000, .max_peers = 10};
	struct rfm_rib_peer_key key = {.session = 1, .view = RFM_VIEW_IN_POST, .addr_version = 4};
	struct rfm_rib *rib = rfm_rib_new(&opts);
	guint32 peer;

	parse_addr("192.0.2.254", key.addr);
	peer = rfm_rib_peer_get(rib, &key, 64500);
	g_assert_cmpuint(peer, >, 0);
	for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
		g_auto(GStrv) parts = g_strsplit(routes[i].prefix, "/", 2);
		struct rfm_rib_attrs a = {.origin = 0};
		guint32 path[8];
		guint8 prefix[16];
		int version = parse_addr(parts[0], prefix);
		guint n = 0;

		for (guint k = 0; k < G_N_ELEMENTS(routes[i].path) && routes[i].path[k]; k++) {
			path[n++] = routes[i].path[k];
			a.path_len++;
		}
		a.first_as = n ? path[0] : 0;
		a.origin_as = n ? path[n - 1] : 0;
		if (routes[i].set[0]) {
			for (guint k = 0; k < G_N_ELEMENTS(routes[i].set); k++)
				path[n++] = routes[i].set[k];
			a.path_len++;
			a.origin_as = 0;
		}
		a.as_path = path;
		a.as_path_count = (guint16)n;
		if (routes[i].next_hop)
			a.nh_version = (guint8)parse_addr(routes[i].next_hop, a.next_hop);
		g_assert_true(rfm_rib_announce(rib, peer, version, prefix,
					       (guint8)g_ascii_strtoull(parts[1], NULL, 10), 0,
					       &a));
	}
	return rib;
}

/* --- expectations ---------------------------------------------------------- */

enum setup {
	RIB_ONLY,	  /* geoip NULL */
	RIB_MMDB,	  /* both */
	RIB_MMDB_DEFAULT, /* both, use_default_route */
	MMDB_ONLY,	  /* rib NULL */
	N_SETUPS,
};

static const char *const setup_names[N_SETUPS] = {
	[RIB_ONLY] = "RIB alone",
	[RIB_MMDB] = "RIB + MMDB",
	[RIB_MMDB_DEFAULT] = "RIB + MMDB, default route",
	[MMDB_ONLY] = "MMDB alone",
};

/*
 * The MMDB (asn-v1 and city-v1 of mkmmdb.pl): 192.0.2.0/24 AS64496 "Example
 * Net One" Amsterdam NL; 198.51.100.0/24 AS64497 "Example Net Two" Zürich
 * CH; 203.0.113.0/24 AS64498 "Example Net Three" JP (no city);
 * 2001:db8::/32 AS64499 "Example IPv6 Net" Berlin DE.
 */
static const struct {
	const char *addr;
	const char *want[N_SETUPS];
} cases[] = {
	/* RIB origin = MMDB ASN: the organisation is shown. */
	{"192.0.2.1",
	 {"AS64496 rib /25 next AS64500 - - - nh 192.0.2.254",
	  "AS64496 rib /25 next AS64500 'Example Net One' Amsterdam NL nh 192.0.2.254",
	  "AS64496 rib /25 next AS64500 'Example Net One' Amsterdam NL nh 192.0.2.254",
	  "AS64496 mmdb /0 next AS0 'Example Net One' Amsterdam NL nh -"}},
	/* Only the default route covers it: MMDB unless the default route is used. */
	{"192.0.2.200",
	 {"AS0 none /0 next AS0 - - - nh -",
	  "AS64496 mmdb /0 next AS0 'Example Net One' Amsterdam NL nh -",
	  "AS64503 rib /0 next AS64503 - Amsterdam NL nh 192.0.2.1",
	  "AS64496 mmdb /0 next AS0 'Example Net One' Amsterdam NL nh -"}},
	/* RIB origin differs from the MMDB: RIB wins, no organisation. */
	{"198.51.100.7",
	 {"AS64511 rib /24 next AS64500 - - - nh 192.0.2.253",
	  "AS64511 rib /24 next AS64500 - Zürich CH nh 192.0.2.253",
	  "AS64511 rib /24 next AS64500 - Zürich CH nh 192.0.2.253",
	  "AS64497 mmdb /0 next AS0 'Example Net Two' Zürich CH nh -"}},
	/* A route without AS_PATH: origin unknown, the MMDB ASN fills in. */
	{"198.51.100.200",
	 {"AS0 none /25 next AS0 - - - nh -",
	  "AS64497 mmdb /25 next AS0 'Example Net Two' Zürich CH nh -",
	  "AS64497 mmdb /25 next AS0 'Example Net Two' Zürich CH nh -",
	  "AS64497 mmdb /0 next AS0 'Example Net Two' Zürich CH nh -"}},
	/* The path ends with an AS_SET: MMDB ASN, but the route's neighbour and next hop. */
	{"203.0.113.9",
	 {"AS0 none /24 next AS64500 - - - nh 192.0.2.252",
	  "AS64498 mmdb /24 next AS64500 'Example Net Three' - JP nh 192.0.2.252",
	  "AS64498 mmdb /24 next AS64500 'Example Net Three' - JP nh 192.0.2.252",
	  "AS64498 mmdb /0 next AS0 'Example Net Three' - JP nh -"}},
	/* Routed, unknown to the MMDB. */
	{"10.1.2.3",
	 {"AS64513 rib /8 next AS64502 - - - nh 10.255.255.254",
	  "AS64513 rib /8 next AS64502 - - - nh 10.255.255.254",
	  "AS64513 rib /8 next AS64502 - - - nh 10.255.255.254",
	  "AS0 none /0 next AS0 - - - nh -"}},
	/* Known to nobody. */
	{"100.64.0.1",
	 {"AS0 none /0 next AS0 - - - nh -", "AS0 none /0 next AS0 - - - nh -",
	  "AS64503 rib /0 next AS64503 - - - nh 192.0.2.1", "AS0 none /0 next AS0 - - - nh -"}},
	{"2001:db8:1::5",
	 {"AS64499 rib /48 next AS64501 - - - nh 2001:db8::fe",
	  "AS64499 rib /48 next AS64501 'Example IPv6 Net' Berlin DE nh 2001:db8::fe",
	  "AS64499 rib /48 next AS64501 'Example IPv6 Net' Berlin DE nh 2001:db8::fe",
	  "AS64499 mmdb /0 next AS0 'Example IPv6 Net' Berlin DE nh -"}},
	{"2001:db8:2::5",
	 {"AS0 none /0 next AS0 - - - nh -",
	  "AS64499 mmdb /0 next AS0 'Example IPv6 Net' Berlin DE nh -",
	  "AS64504 rib /0 next AS64504 - Berlin DE nh 2001:db8::1",
	  "AS64499 mmdb /0 next AS0 'Example IPv6 Net' Berlin DE nh -"}},
	{"3fff::1",
	 {"AS0 none /0 next AS0 - - - nh -", "AS0 none /0 next AS0 - - - nh -",
	  "AS64504 rib /0 next AS64504 - - - nh 2001:db8::1", "AS0 none /0 next AS0 - - - nh -"}},
};

/* One side of a record in the form of the expectations. */
static char *side_str(guint32 asn, guint8 source, guint8 plen, const char *dir, guint32 first,
		      const char *as_name, const char *city, const char *country,
		      const struct rfm_enrichment *en)
{
	g_autofree char *name = as_name ? g_strdup_printf("'%s'", as_name) : g_strdup("-");
	g_autofree char *nh = NULL;

	if (en) {
		char buf[INET6_ADDRSTRLEN] = "-";

		if (en->bgp_next_hop_version)
			inet_ntop(en->bgp_next_hop_version == 4 ? AF_INET : AF_INET6,
				  en->bgp_next_hop, buf, sizeof(buf));
		else
			g_assert_true(!memcmp(en->bgp_next_hop, (guint8[16]){0}, 16));
		nh = g_strdup_printf(" nh %s", buf);
	}
	return g_strdup_printf("AS%u %s /%u %s AS%u %s %s %s%s", asn,
			       rfm_asn_source_name((enum rfm_asn_source)source), plen, dir, first,
			       name, city ? city : "-", *country ? country : "-", nh ? nh : "");
}

/* The source-side form of an expectation: prev for next, no next hop. */
static char *as_source_side(const char *want)
{
	g_autofree char *cut = g_strndup(want, strstr(want, " nh ") - want);
	g_auto(GStrv) parts = g_strsplit(cut, " next ", 2);

	return g_strjoin(" prev ", parts[0], parts[1], NULL);
}

static void check_setup(enum setup s, struct rfm_rib *rib, struct rfm_geoip *geo)
{
	struct rfm_enricher e = {.rib = s == MMDB_ONLY ? NULL : rib,
				 .geoip = s == RIB_ONLY ? NULL : geo,
				 .use_default_route = s == RIB_MMDB_DEFAULT};
	guint records = 0;
	g_autoptr(GArray) recs = g_array_new(FALSE, TRUE, sizeof(struct rfm_flow_record));
	g_autoptr(GPtrArray) wants = g_ptr_array_new_with_free_func(g_free);

	g_test_message("%s", setup_names[s]);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		for (gsize j = 0; j < G_N_ELEMENTS(cases); j++) {
			struct rfm_flow_record rec;
			struct rfm_enrichment en;
			int vi, vj;
			g_autofree char *src = NULL, *dst = NULL, *want_src = NULL;

			memset(&rec, 0, sizeof(rec));
			vi = parse_addr(cases[i].addr, rec.key.src_addr);
			vj = parse_addr(cases[j].addr, rec.key.dst_addr);
			if (vi != vj)
				continue;
			rec.key.ip_version = (guint8)vi;
			rec.key.protocol = 6;
			memset(&en, 0x5a, sizeof(en)); /* every field must be written */
			rfm_enrich_record(&e, &rec, &en);
			src = side_str(en.src_asn, en.src_asn_source, en.src_prefix_len, "prev",
				       en.prev_as, en.src_as_name, en.src_city, en.src_country,
				       NULL);
			dst = side_str(en.dst_asn, en.dst_asn_source, en.dst_prefix_len, "next",
				       en.next_as, en.dst_as_name, en.dst_city, en.dst_country,
				       &en);
			want_src = as_source_side(cases[i].want[s]);
			if (i == j)
				g_test_message("  %s -> %s", cases[i].addr, dst);
			if (g_strcmp0(src, want_src) || g_strcmp0(dst, cases[j].want[s]))
				g_printerr("%s: %s -> %s\n", setup_names[s], cases[i].addr,
					   cases[j].addr);
			g_assert_cmpstr(src, ==, want_src);
			g_assert_cmpstr(dst, ==, cases[j].want[s]);
			g_array_append_val(recs, rec);
			g_ptr_array_add(wants, g_strconcat(src, " | ", dst, NULL));
			records++;
		}
	}
	g_assert_cmpuint(records, >, G_N_ELEMENTS(cases));

	/* rfm_enrich_records(): batches of every size give what single records gave. */
	for (guint size = 1; size <= RFM_ENRICH_BATCH; size++) {
		for (guint at = 0; at < recs->len; at += size) {
			guint n = MIN(size, recs->len - at);
			const struct rfm_flow_record *p[RFM_ENRICH_BATCH];
			struct rfm_enrichment en[RFM_ENRICH_BATCH];

			memset(en, 0x5a, sizeof(en));
			for (guint k = 0; k < n; k++)
				p[k] = &g_array_index(recs, struct rfm_flow_record, at + k);
			rfm_enrich_records(&e, n, p, en);
			for (guint k = 0; k < n; k++) {
				g_autofree char *src = side_str(
					en[k].src_asn, en[k].src_asn_source, en[k].src_prefix_len,
					"prev", en[k].prev_as, en[k].src_as_name, en[k].src_city,
					en[k].src_country, NULL);
				g_autofree char *dst = side_str(
					en[k].dst_asn, en[k].dst_asn_source, en[k].dst_prefix_len,
					"next", en[k].next_as, en[k].dst_as_name, en[k].dst_city,
					en[k].dst_country, &en[k]);
				g_autofree char *got = g_strconcat(src, " | ", dst, NULL);

				g_assert_cmpstr(got, ==, g_ptr_array_index(wants, at + k));
			}
		}
	}
}

/* --- tests ------------------------------------------------------------------ */

static void test_rib_only(void)
{
	struct rfm_rib *rib = rib_build();

	check_setup(RIB_ONLY, rib, NULL);
	rfm_rib_free(rib);
}

static struct rfm_geoip *open_mmdb(void)
{
	g_autofree char *asn = g_build_filename(fixtures, "asn-v1.mmdb", NULL);
	g_autofree char *city = g_build_filename(fixtures, "city-v1.mmdb", NULL);
	g_autoptr(GError) error = NULL;
	struct rfm_geoip *g = rfm_geoip_new(asn, city, &error);

	g_assert_no_error(error);
	g_assert_nonnull(g);
	return g;
}

static void test_with_mmdb(void)
{
	struct rfm_rib *rib;
	struct rfm_geoip *geo;

	if (!fixtures) {
		g_test_skip(skip_why);
		return;
	}
	rib = rib_build();
	geo = open_mmdb();
	check_setup(RIB_MMDB, rib, geo);
	check_setup(RIB_MMDB_DEFAULT, rib, geo);
	check_setup(MMDB_ONLY, rib, geo);
	rfm_geoip_free(geo);
	rfm_rib_free(rib);
}

/* Neither source: everything empty. */
static void test_nothing(void)
{
	struct rfm_enricher e = {.rib = NULL, .geoip = NULL, .use_default_route = true};
	struct rfm_flow_record rec;
	struct rfm_enrichment en;

	memset(&rec, 0, sizeof(rec));
	rec.key.ip_version = 4;
	parse_addr("192.0.2.1", rec.key.src_addr);
	parse_addr("198.51.100.1", rec.key.dst_addr);
	memset(&en, 0x5a, sizeof(en));
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.src_asn, ==, 0);
	g_assert_cmpuint(en.dst_asn, ==, 0);
	g_assert_cmpuint(en.src_asn_source, ==, RFM_ASN_NONE);
	g_assert_cmpuint(en.dst_asn_source, ==, RFM_ASN_NONE);
	g_assert_cmpuint(en.src_prefix_len + en.dst_prefix_len, ==, 0);
	g_assert_cmpuint(en.prev_as + en.next_as, ==, 0);
	g_assert_cmpuint(en.bgp_next_hop_version, ==, 0);
	g_assert_null(en.src_as_name);
	g_assert_null(en.dst_as_name);
	g_assert_null(en.src_city);
	g_assert_null(en.dst_city);
	g_assert_cmpstr(en.src_country, ==, "");
	g_assert_cmpstr(en.dst_country, ==, "");
	g_assert_cmpstr(rfm_asn_source_name(RFM_ASN_RIB), ==, "rib");
	g_assert_cmpstr(rfm_asn_source_name(RFM_ASN_MMDB), ==, "mmdb");
	g_assert_cmpstr(rfm_asn_source_name(RFM_ASN_NONE), ==, "none");
	g_assert_cmpstr(rfm_asn_source_name((enum rfm_asn_source)9), ==, "none");
}

/* The route the RIB selects is the one enrichment uses, and it follows the RIB. */
static void test_follows_rib(void)
{
	static const struct rfm_rib_options opts = {.max_routes_per_peer = 10, .max_peers = 10};
	struct rfm_rib_peer_key k1 = {.session = 1, .view = RFM_VIEW_IN_POST, .addr_version = 4};
	struct rfm_rib_peer_key k2 = k1;
	struct rfm_rib *rib = rfm_rib_new(&opts);
	struct rfm_enricher e = {.rib = rib};
	struct rfm_flow_record rec;
	struct rfm_enrichment en;
	guint32 p1, p2, path1[] = {64500, 64510}, path2[] = {64501, 64520, 64521};
	struct rfm_rib_attrs a1 = {.origin_as = 64510,
				   .first_as = 64500,
				   .path_len = 2,
				   .as_path = path1,
				   .as_path_count = 2};
	struct rfm_rib_attrs a2 = {.origin_as = 64521,
				   .first_as = 64501,
				   .path_len = 3,
				   .as_path = path2,
				   .as_path_count = 3,
				   .has_local_pref = true,
				   .local_pref = 200,
				   .nh_version = 4};
	guint8 prefix[16];

	k1.addr[3] = 1;
	k2.addr[3] = 2;
	p1 = rfm_rib_peer_get(rib, &k1, 64500);
	p2 = rfm_rib_peer_get(rib, &k2, 64501);
	parse_addr("192.0.2.1", a2.next_hop);
	parse_addr("203.0.113.0", prefix);
	memset(&rec, 0, sizeof(rec));
	rec.key.ip_version = 4;
	parse_addr("198.51.100.1", rec.key.src_addr);
	parse_addr("203.0.113.77", rec.key.dst_addr);

	g_assert_true(rfm_rib_announce(rib, p1, 4, prefix, 24, 0, &a1));
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.dst_asn, ==, 64510);
	g_assert_cmpuint(en.next_as, ==, 64500);
	g_assert_cmpuint(en.bgp_next_hop_version, ==, 0);
	/* A better route from another peer takes over (LOCAL_PREF 200). */
	g_assert_true(rfm_rib_announce(rib, p2, 4, prefix, 24, 0, &a2));
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.dst_asn, ==, 64521);
	g_assert_cmpuint(en.next_as, ==, 64501);
	g_assert_cmpuint(en.bgp_next_hop_version, ==, 4);
	g_assert_cmpuint(en.bgp_next_hop[0], ==, 192);
	g_assert_cmpuint(en.dst_prefix_len, ==, 24);
	/* A more specific one wins over both. */
	g_assert_true(rfm_rib_announce(rib, p1, 4, prefix, 25, 0, &a1));
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.dst_asn, ==, 64510);
	g_assert_cmpuint(en.dst_prefix_len, ==, 25);
	/* Source side: unrouted. */
	g_assert_cmpuint(en.src_asn, ==, 0);
	g_assert_cmpuint(en.prev_as, ==, 0);
	/* The peer goes down: back to p2's /24. */
	rfm_rib_peer_down(rib, p1);
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.dst_asn, ==, 64521);
	g_assert_cmpuint(en.dst_prefix_len, ==, 24);
	/* The source routed now: prev_as from its route. */
	parse_addr("203.0.113.0", rec.key.src_addr);
	rfm_enrich_record(&e, &rec, &en);
	g_assert_cmpuint(en.prev_as, ==, 64501);
	g_assert_cmpuint(en.src_asn_source, ==, RFM_ASN_RIB);
	rfm_rib_free(rib);
}

/* --- fixtures --------------------------------------------------------------- */

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	fixtures = g_dir_make_tmp("rfm-enrich-fixtures-XXXXXX", &error);
	g_assert_no_error(error);
	if (!mmdb_fixtures_make(RFM_MKMMDB, fixtures, &why)) {
		skip_why = g_strconcat("MMDB set-ups skipped: ", why, NULL);
		g_printerr("%s\n", skip_why);
		mmdb_fixtures_rm_rf(fixtures);
		g_clear_pointer(&fixtures, g_free);
	}
	g_test_add_func("/enrich/rib-only", test_rib_only);
	g_test_add_func("/enrich/with-mmdb", test_with_mmdb);
	g_test_add_func("/enrich/nothing", test_nothing);
	g_test_add_func("/enrich/follows-rib", test_follows_rib);
	rc = g_test_run();
	if (fixtures)
		mmdb_fixtures_rm_rf(fixtures);
	g_free(fixtures);
	g_free(skip_why);
	return rc;
}
