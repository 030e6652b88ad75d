/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_bgp_parse.c - BGP UPDATE and OPEN decoding on messages built byte by
 * byte (msg_build.c and here): Add-Path, 4-octet AS and the AS4_PATH merge, AS_SET and
 * confederation paths, MP_REACH/MP_UNREACH, End-of-RIB, unknown AFI/SAFIs,
 * malformed and truncated messages (every length), OPEN capabilities.
 */
#include <arpa/inet.h>
#include <string.h>
#include <glib.h>

#include "bgp_parse.h"
#include "msg_build.h"

static const struct rfm_bgp_caps caps4 = {.as4 = true};

/* Parse from an exact-size heap copy, so that ASan sees any read past the end. */
static bool parse(const GByteArray *m, const struct rfm_bgp_caps *caps, struct rfm_bgp_update *u,
		  GError **error)
{
	g_autofree guint8 *copy = g_memdup2(m->data, m->len);

	return rfm_bgp_update_parse(copy, m->len, caps, u, error);
}

static char *pfx(const struct rfm_bgp_prefix *p)
{
	char buf[64];

	return g_strdup_printf("%s#%u", rfm_bgp_prefix_str(p, buf, sizeof(buf)), p->path_id);
}

static void assert_prefix(const struct rfm_bgp_prefix *p, const char *want)
{
	g_autofree char *got = pfx(p);

	g_assert_cmpstr(got, ==, want);
}

static void assert_path(const struct rfm_bgp_as_path *p, const char *want)
{
	g_autofree char *got = rfm_bgp_as_path_str(p);

	g_assert_cmpstr(got, ==, want);
}

/* ---- tests ---- */

static void test_ipv4_attributes(void)
{
	g_autoptr(GByteArray) wd = g_byte_array_new();
	g_autoptr(GByteArray) nlri = g_byte_array_new();
	g_autoptr(GByteArray) a = attrs_basic("64501 65536 64496", 4, "192.0.2.254");
	g_autoptr(GByteArray) v = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;
	char buf[64];

	put32(v, 10);
	put_attr(a, 0x80, RFM_BGP_ATTR_MULTI_EXIT_DISC, v);
	g_byte_array_set_size(v, 0);
	put32(v, 200);
	put_attr(a, 0x40, RFM_BGP_ATTR_LOCAL_PREF, v);
	g_byte_array_set_size(v, 0);
	put32(v, 64501u << 16 | 100);
	put32(v, 0xffffff01); /* NO_EXPORT */
	put_attr(a, 0xc0, RFM_BGP_ATTR_COMMUNITIES, v);
	g_byte_array_set_size(v, 0);
	put32(v, 65536);
	put32(v, 1);
	put32(v, 2);
	put_attr(a, 0xd0, RFM_BGP_ATTR_LARGE_COMMUNITIES, v); /* extended length on purpose */
	put_prefix(wd, "198.51.100.0/24", -1);
	put_prefix(nlri, "192.0.2.0/24", -1);
	put_prefix(nlri, "203.0.113.128/25", -1);
	put_prefix(nlri, "0.0.0.0/0", -1);
	g_autoptr(GByteArray) m = update_build(wd, a, nlri);

	g_assert_true(parse(m, &caps4, &u, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(u.n_withdrawn, ==, 1);
	assert_prefix(&u.withdrawn[0], "198.51.100.0/24#0");
	g_assert_cmpuint(u.n_announced, ==, 3);
	assert_prefix(&u.announced[0], "192.0.2.0/24#0");
	assert_prefix(&u.announced[1], "203.0.113.128/25#0");
	assert_prefix(&u.announced[2], "0.0.0.0/0#0");
	g_assert_false(u.announced[0].mp);
	g_assert_cmpstr(
		rfm_bgp_addr_str(rfm_bgp_update_next_hop(&u, &u.announced[0]), buf, sizeof(buf)),
		==, "192.0.2.254");
	g_assert_cmpuint(u.attrs.origin, ==, RFM_BGP_ORIGIN_IGP);
	assert_path(&u.attrs.as_path, "64501 65536 64496");
	g_assert_cmpuint(rfm_bgp_as_path_origin(&u.attrs.as_path), ==, 64496);
	g_assert_cmpuint(rfm_bgp_as_path_first(&u.attrs.as_path), ==, 64501);
	g_assert_cmpuint(rfm_bgp_as_path_length(&u.attrs.as_path), ==, 3);
	g_assert_cmpuint(u.attrs.med, ==, 10);
	g_assert_cmpuint(u.attrs.local_pref, ==, 200);
	g_assert_cmpuint(u.attrs.n_communities, ==, 2);
	g_assert_cmphex(u.attrs.communities[0], ==, 64501u << 16 | 100);
	g_assert_cmphex(u.attrs.communities[1], ==, 0xffffff01);
	g_assert_cmpuint(u.attrs.n_large, ==, 1);
	g_assert_cmpuint(u.attrs.large[0].global, ==, 65536);
	g_assert_cmpuint(u.attrs.large[0].local1, ==, 1);
	g_assert_cmpuint(u.attrs.large[0].local2, ==, 2);
	guint32 want = RFM_BGP_HAS_ORIGIN | RFM_BGP_HAS_AS_PATH | RFM_BGP_HAS_NEXT_HOP |
		       RFM_BGP_HAS_MED | RFM_BGP_HAS_LOCAL_PREF | RFM_BGP_HAS_COMMUNITIES |
		       RFM_BGP_HAS_LARGE_COMMUNITIES;
	g_assert_cmphex(u.attrs.present, ==, want);
	g_assert_false(u.end_of_rib);
	g_assert_false(u.treat_as_withdraw);
	rfm_bgp_update_clear(&u);
	rfm_bgp_update_clear(NULL);
}

static void test_trailing_bits_cleared(void)
{
	g_autoptr(GByteArray) nlri = g_byte_array_new();
	g_autoptr(GByteArray) a = attrs_basic("64501", 4, "192.0.2.254");
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

	/* 198.51.100.129/25 on the wire: the host bit must not survive. */
	put8(nlri, 25);
	put8(nlri, 198);
	put8(nlri, 51);
	put8(nlri, 100);
	put8(nlri, 129);
	g_autoptr(GByteArray) m = update_build(NULL, a, nlri);
	g_assert_true(parse(m, &caps4, &u, NULL));
	assert_prefix(&u.announced[0], "198.51.100.128/25#0");
	rfm_bgp_update_clear(&u);
}

static void test_add_path_ipv4(void)
{
	struct rfm_bgp_caps caps = {.as4 = true, .add_path_v4 = true};
	g_autoptr(GByteArray) wd = g_byte_array_new();
	g_autoptr(GByteArray) nlri = g_byte_array_new();
	g_autoptr(GByteArray) a = attrs_basic("64501 64496", 4, "192.0.2.254");
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	put_prefix(wd, "198.51.100.0/24", 7);
	put_prefix(nlri, "192.0.2.0/24", 1);
	put_prefix(nlri, "192.0.2.0/24", 2);
	put_prefix(nlri, "0.0.0.0/0", 3);
	g_autoptr(GByteArray) m = update_build(wd, a, nlri);

	g_assert_true(parse(m, &caps, &u, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(u.n_withdrawn, ==, 1);
	assert_prefix(&u.withdrawn[0], "198.51.100.0/24#7");
	g_assert_cmpuint(u.n_announced, ==, 3);
	assert_prefix(&u.announced[0], "192.0.2.0/24#1");
	assert_prefix(&u.announced[1], "192.0.2.0/24#2");
	assert_prefix(&u.announced[2], "0.0.0.0/0#3");
	g_assert_cmpuint(u.add_path_swapped, ==, 0);

	/* Path ids where the OPENs said none: not guessed, an error (the plain
	 * reading is a /0, /0, /0, then /7 and a length of 198). */
	caps.add_path_v4 = false;
	g_assert_false(parse(m, &caps, &u, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_NLRI);
	rfm_bgp_update_clear(&u);
}

/* gobgpd's post-policy Route Monitoring on an Add-Path session: no path ids. */
static void test_add_path_not_encoded(void)
{
	static const struct {
		const char *prefix;
	} cases[] = {{"192.0.2.0/24"}, {"203.0.113.0/25"}, {"203.0.113.7/32"}, {"10.0.0.0/8"}};
	struct rfm_bgp_caps caps = {.as4 = true, .add_path_v4 = true};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) nlri = g_byte_array_new();
		g_autoptr(GByteArray) a = attrs_basic("64501", 4, "192.0.2.254");
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
		g_autofree char *want = g_strdup_printf("%s#0", cases[i].prefix);

		put_prefix(nlri, cases[i].prefix, -1);
		g_autoptr(GByteArray) m = update_build(NULL, a, nlri);
		g_test_message("plain %s on an Add-Path session", cases[i].prefix);
		g_assert_true(parse(m, &caps, &u, NULL));
		g_assert_cmpuint(u.n_announced, ==, 1);
		assert_prefix(&u.announced[0], want);
		g_assert_cmpuint(u.add_path_swapped, ==, 1);
		rfm_bgp_update_clear(&u);
	}
}

static void put_mp_reach(GByteArray *a, guint16 afi, guint8 safi, const char *nh, const char *ll,
			 const GByteArray *nlri)
{
	g_autoptr(GByteArray) v = g_byte_array_new();
	g_autoptr(GByteArray) hop = g_byte_array_new();

	if (nh)
		put_addr(hop, nh);
	if (ll)
		put_addr(hop, ll);
	put16(v, afi);
	put8(v, safi);
	put8(v, hop->len);
	g_byte_array_append(v, hop->data, hop->len);
	put8(v, 0); /* Reserved */
	if (nlri)
		g_byte_array_append(v, nlri->data, nlri->len);
	put_attr(a, 0x90, RFM_BGP_ATTR_MP_REACH_NLRI, v);
}

static void put_mp_unreach(GByteArray *a, guint16 afi, guint8 safi, const GByteArray *wd)
{
	g_autoptr(GByteArray) v = g_byte_array_new();

	put16(v, afi);
	put8(v, safi);
	if (wd)
		g_byte_array_append(v, wd->data, wd->len);
	put_attr(a, 0x90, RFM_BGP_ATTR_MP_UNREACH_NLRI, v);
}

static void test_add_path_ipv6(void)
{
	struct rfm_bgp_caps caps = {.as4 = true, .add_path_v6 = true};
	g_autoptr(GByteArray) a = attrs_basic("64501 65551", 4, NULL);
	g_autoptr(GByteArray) reach = g_byte_array_new();
	g_autoptr(GByteArray) unreach = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;
	char buf[64];

	put_prefix(reach, "2001:db8::/32", 1);
	put_prefix(reach, "2001:db8::/32", 2);
	put_prefix(reach, "2001:db8:1:2::/64", 1);
	put_prefix(unreach, "2001:db8:ffff::/48", 9);
	put_mp_reach(a, RFM_BGP_AFI_IPV6, RFM_BGP_SAFI_UNICAST, "2001:db8:ffff::3", "fe80::3",
		     reach);
	put_mp_unreach(a, RFM_BGP_AFI_IPV6, RFM_BGP_SAFI_UNICAST, unreach);
	g_autoptr(GByteArray) m = update_build(NULL, a, NULL);

	g_assert_true(parse(m, &caps, &u, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(u.n_announced, ==, 3);
	assert_prefix(&u.announced[0], "2001:db8::/32#1");
	assert_prefix(&u.announced[1], "2001:db8::/32#2");
	assert_prefix(&u.announced[2], "2001:db8:1:2::/64#1");
	g_assert_true(u.announced[0].mp);
	g_assert_cmpuint(u.n_withdrawn, ==, 1);
	assert_prefix(&u.withdrawn[0], "2001:db8:ffff::/48#9");
	g_assert_cmpstr(
		rfm_bgp_addr_str(rfm_bgp_update_next_hop(&u, &u.announced[2]), buf, sizeof(buf)),
		==, "2001:db8:ffff::3");
	g_assert_cmpstr(rfm_bgp_addr_str(&u.mp_next_hop_ll, buf, sizeof(buf)), ==, "fe80::3");
	g_assert_cmpuint(u.attrs.next_hop.family, ==, 0);
	g_assert_false(u.end_of_rib);
	rfm_bgp_update_clear(&u);
}

static void test_mp_reach_ipv4(void)
{
	g_autoptr(GByteArray) reach = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	char buf[64];

	put_prefix(reach, "203.0.113.0/24", -1);
	/* RFC 4760: IPv4 unicast in MP_REACH with a 4-octet next hop ... */
	g_autoptr(GByteArray) a = attrs_basic("64501", 4, NULL);
	put_mp_reach(a, RFM_BGP_AFI_IPV4, RFM_BGP_SAFI_UNICAST, "192.0.2.1", NULL, reach);
	g_autoptr(GByteArray) m = update_build(NULL, a, NULL);
	g_assert_true(parse(m, &caps4, &u, NULL));
	g_assert_cmpuint(u.n_announced, ==, 1);
	assert_prefix(&u.announced[0], "203.0.113.0/24#0");
	g_assert_cmpstr(
		rfm_bgp_addr_str(rfm_bgp_update_next_hop(&u, &u.announced[0]), buf, sizeof(buf)),
		==, "192.0.2.1");

	/* ... or an IPv6 one (RFC 8950). */
	g_autoptr(GByteArray) a6 = attrs_basic("64501", 4, NULL);
	put_mp_reach(a6, RFM_BGP_AFI_IPV4, RFM_BGP_SAFI_UNICAST, "2001:db8::1", NULL, reach);
	g_autoptr(GByteArray) m6 = update_build(NULL, a6, NULL);
	g_assert_true(parse(m6, &caps4, &u, NULL));
	assert_prefix(&u.announced[0], "203.0.113.0/24#0");
	g_assert_cmpstr(
		rfm_bgp_addr_str(rfm_bgp_update_next_hop(&u, &u.announced[0]), buf, sizeof(buf)),
		==, "2001:db8::1");
	rfm_bgp_update_clear(&u);
}

static void test_mp_reach_bad_next_hop(void)
{
	g_autoptr(GByteArray) reach = g_byte_array_new();
	g_autoptr(GByteArray) a = attrs_basic("64501", 4, NULL);
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	put_prefix(reach, "2001:db8::/32", -1);
	put_mp_reach(a, RFM_BGP_AFI_IPV6, RFM_BGP_SAFI_UNICAST, "192.0.2.1", NULL, reach);
	g_autoptr(GByteArray) m = update_build(NULL, a, NULL);
	g_assert_false(parse(m, &caps4, &u, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR);
	g_assert_cmpuint(u.n_announced, ==, 0);
}

static void test_unknown_afi_safi(void)
{
	g_autoptr(GByteArray) a = attrs_basic("64501", 4, "192.0.2.254");
	g_autoptr(GByteArray) nlri = g_byte_array_new();
	g_autoptr(GByteArray) vpn = g_byte_array_new();
	g_autoptr(GByteArray) evpn = g_byte_array_new();
	g_autoptr(GByteArray) v = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	/* VPNv4 (SAFI 128): label + RD + prefix; read as IPv4 it would be nonsense. */
	put8(vpn, 88 + 24);
	for (int i = 0; i < 11; i++)
		put8(vpn, 0x11 * i);
	put8(vpn, 192);
	put8(vpn, 0);
	put8(vpn, 2);
	put_mp_reach(a, RFM_BGP_AFI_IPV4, 128, "0.0.0.0", NULL, vpn);
	/* EVPN (AFI 25, SAFI 70) withdrawal. */
	for (int i = 0; i < 20; i++)
		put8(evpn, 0xee);
	put_mp_unreach(a, 25, 70, evpn);
	/* An attribute nobody here knows (type 99), optional transitive. */
	put32(v, 0xdeadbeef);
	put_attr(a, 0xc0, 99, v);
	put_prefix(nlri, "192.0.2.0/24", -1);
	g_autoptr(GByteArray) m = update_build(NULL, a, nlri);

	g_assert_true(parse(m, &caps4, &u, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(u.n_announced, ==, 1);
	assert_prefix(&u.announced[0], "192.0.2.0/24#0");
	g_assert_cmpuint(u.n_withdrawn, ==, 0);
	g_assert_cmpuint(u.skipped_mp, ==, 2);
	g_assert_cmpuint(u.skipped_afi, ==, 25);
	g_assert_cmpuint(u.skipped_safi, ==, 70);
	g_assert_cmpuint(u.unknown_attrs, ==, 1);
	g_assert_cmpuint(u.mp_next_hop.family, ==, 0);
	g_assert_false(u.end_of_rib);
	rfm_bgp_update_clear(&u);
}

static void test_end_of_rib(void)
{
	static const struct {
		guint16 afi;
		guint8 safi;
	} mp[] = {{2, 1}, {1, 1}, {1, 128}, {25, 70}};
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

	g_autoptr(GByteArray) m = update_build(NULL, NULL, NULL);
	g_assert_cmpuint(m->len, ==, 23);
	g_assert_true(parse(m, &caps4, &u, NULL));
	g_assert_true(u.end_of_rib);
	g_assert_cmpuint(u.eor_afi, ==, 1);
	g_assert_cmpuint(u.eor_safi, ==, 1);

	for (gsize i = 0; i < G_N_ELEMENTS(mp); i++) {
		g_autoptr(GByteArray) a = g_byte_array_new();
		put_mp_unreach(a, mp[i].afi, mp[i].safi, NULL);
		g_autoptr(GByteArray) e = update_build(NULL, a, NULL);
		g_assert_true(parse(e, &caps4, &u, NULL));
		g_assert_true(u.end_of_rib);
		g_assert_cmpuint(u.eor_afi, ==, mp[i].afi);
		g_assert_cmpuint(u.eor_safi, ==, mp[i].safi);
		g_assert_cmpuint(u.skipped_mp, ==, 0);
		g_assert_cmpuint(u.n_withdrawn, ==, 0);
	}

	/* A withdrawal is not End-of-RIB. */
	g_autoptr(GByteArray) wd = g_byte_array_new();
	put_prefix(wd, "192.0.2.0/24", -1);
	g_autoptr(GByteArray) w = update_build(wd, NULL, NULL);
	g_assert_true(parse(w, &caps4, &u, NULL));
	g_assert_false(u.end_of_rib);
	g_assert_cmpuint(u.n_withdrawn, ==, 1);
	rfm_bgp_update_clear(&u);
}

/* Readable AS path cases: origin AS, neighbour AS, selection length. */
static const struct path_case {
	const char *path;
	guint32 origin, first;
	guint length;
} path_cases[] = {
	{"64501 64510 64496", 64496, 64501, 3},
	{"64501 64509 {64497,64498}", 0, 64501, 3}, /* AS_SET at the end: no single origin */
	{"64501 {64497,64498} 64496", 64496, 64501, 3},
	{"{64497,64498}", 0, 0, 1},
	{"(64505 64506) 64501 64496", 64496, 64501, 2}, /* confed sequence skipped, counts 0 */
	{"[64507] (64505) 65536 65551", 65551, 65536, 2},
	{"(64505 64506)", 0, 0, 0}, /* only inside the confederation */
	{"", 0, 0, 0},
	{"64501 64501 64501 64496", 64496, 64501, 4}, /* prepends count */
};

/* Parse a 4-octet UPDATE for 192.0.2.0/24 whose AS_PATH is path (readable form) into u. */
static void parse_path(const char *path, struct rfm_bgp_update *u)
{
	g_autoptr(GByteArray) a = attrs_basic(path, 4, "192.0.2.254");
	g_autoptr(GByteArray) nlri = g_byte_array_new();

	put_prefix(nlri, "192.0.2.0/24", -1);
	g_autoptr(GByteArray) m = update_build(NULL, a, nlri);
	g_test_message("path \"%s\"", path);
	g_assert_true(parse(m, &caps4, u, NULL));
}

static void test_path_helpers(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(path_cases); i++) {
		const struct path_case *c = &path_cases[i];
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

		parse_path(c->path, &u);
		g_assert_true(u.attrs.present & RFM_BGP_HAS_AS_PATH);
		g_autofree char *s = rfm_bgp_as_path_str(&u.attrs.as_path);
		g_assert_cmpstr(s, ==, c->path);
		g_assert_cmpuint(rfm_bgp_as_path_origin(&u.attrs.as_path), ==, c->origin);
		g_assert_cmpuint(rfm_bgp_as_path_first(&u.attrs.as_path), ==, c->first);
		g_assert_cmpuint(rfm_bgp_as_path_length(&u.attrs.as_path), ==, c->length);
		rfm_bgp_update_clear(&u);
	}
}

/* The monitored router's own AS in front of a path (FRR 8.4 BMP): removed only there. */
static const struct strip_case {
	const char *path, *after;
	bool stripped;
} strip_cases[] = {
	{"64502 64501 64496", "64501 64496", true},
	{"64502 {64497,64498}", "{64497,64498}", true}, /* the sequence empties: segment gone */
	{"64502", "", true},
	{"64501 64502 64496", "64501 64502 64496", false},     /* not in front */
	{"{64502,64501} 64496", "{64502,64501} 64496", false}, /* a set: kept */
	{"(64502) 64501", "(64502) 64501", false},	       /* confederation first: kept */
	{"", "", false},
};

static void test_strip_first(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(strip_cases); i++) {
		const struct strip_case *c = &strip_cases[i];
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

		parse_path(c->path, &u);
		g_assert_cmpint(rfm_bgp_as_path_strip_first(&u.attrs.as_path, 64502), ==,
				c->stripped);
		g_autofree char *s = rfm_bgp_as_path_str(&u.attrs.as_path);
		g_assert_cmpstr(s, ==, c->after);
		rfm_bgp_update_clear(&u);
	}
}

/* RFC 6793 4.2.3 on a 2-octet session: AS_PATH with AS_TRANS + AS4_PATH. */
static const struct as4_case {
	const char *as_path; /* 2-octet */
	const char *as4_path;
	gint64 aggregator; /* AGGREGATOR AS, or -1 */
	const char *merged;
	guint discarded;
} as4_cases[] = {
	/* OLD 64501 in front of NEW speakers 65536, 65537 */
	{"64501 23456 23456 64496", "65536 65537 64496", -1, "64501 65536 65537 64496", 0},
	{"23456 64496", "65540 64496", -1, "65540 64496", 0},
	/* AS4_PATH longer than AS_PATH: ignored */
	{"64501 64496", "65536 65537 64496", -1, "64501 64496", 1},
	/* leading confed segment kept */
	{"(64505) 64501 23456 64496", "65536 64496", -1, "(64505) 64501 65536 64496", 0},
	/* confed segments in AS4_PATH are dropped (RFC 6793 6) */
	{"64501 23456", "(64506) 65536", -1, "64501 65536", 0},
	/* an AS_SET counts 1 and is prepended whole */
	{"{64497,64498} 64501 23456", "65536", -1, "{64497,64498} 64501 65536", 0},
	/* AGGREGATOR from an OLD speaker (not AS_TRANS): AS4_PATH ignored */
	{"64501 23456", "65536", 64501, "64501 23456", 1},
	{"64501 23456", "65536", 23456, "64501 65536", 0},
};

static void test_as4_merge(void)
{
	struct rfm_bgp_caps caps2 = {.as4 = false};

	for (gsize i = 0; i < G_N_ELEMENTS(as4_cases); i++) {
		const struct as4_case *c = &as4_cases[i];
		g_autoptr(GByteArray) a = attrs_basic(c->as_path, 2, "192.0.2.254");
		g_autoptr(GByteArray) v = g_byte_array_new();
		g_autoptr(GByteArray) nlri = g_byte_array_new();
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;

		put_as_path(v, c->as4_path, 4);
		put_attr(a, 0xc0, RFM_BGP_ATTR_AS4_PATH, v);
		if (c->aggregator >= 0) {
			g_byte_array_set_size(v, 0);
			put16(v, (guint)c->aggregator);
			put_addr(v, "192.0.2.9");
			put_attr(a, 0xc0, RFM_BGP_ATTR_AGGREGATOR, v);
			g_byte_array_set_size(v, 0);
			put32(v, 65545);
			put_addr(v, "192.0.2.9");
			put_attr(a, 0xc0, RFM_BGP_ATTR_AS4_AGGREGATOR, v);
		}
		put_prefix(nlri, "192.0.2.0/24", -1);
		g_autoptr(GByteArray) m = update_build(NULL, a, nlri);
		g_test_message("AS_PATH \"%s\" + AS4_PATH \"%s\"", c->as_path, c->as4_path);
		g_assert_true(parse(m, &caps2, &u, NULL));
		assert_path(&u.attrs.as_path, c->merged);
		g_assert_cmpuint(u.discarded_attrs, ==, c->discarded + (c->aggregator == 64501));
		if (c->aggregator == RFM_BGP_AS_TRANS)
			g_assert_cmpuint(u.attrs.aggregator_as, ==, 65545);
		else if (c->aggregator >= 0)
			g_assert_cmpuint(u.attrs.aggregator_as, ==, (guint32)c->aggregator);
		rfm_bgp_update_clear(&u);
	}

	/* On a 4-octet session AS4_PATH must not be there: discarded (RFC 6793 4.1). */
	g_autoptr(GByteArray) a = attrs_basic("64501 65536", 4, "192.0.2.254");
	g_autoptr(GByteArray) v = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	put_as_path(v, "65540 65541 65542", 4);
	put_attr(a, 0xc0, RFM_BGP_ATTR_AS4_PATH, v);
	g_autoptr(GByteArray) m = update_build(NULL, a, NULL);
	g_assert_true(parse(m, &caps4, &u, NULL));
	assert_path(&u.attrs.as_path, "64501 65536");
	g_assert_cmpuint(u.discarded_attrs, ==, 1);
	rfm_bgp_update_clear(&u);
}

/* Malformed attribute values: treat-as-withdraw (RFC 7606), not an error. */
static void test_treat_as_withdraw(void)
{
	static const struct {
		guint8 type;
		const char *hex; /* value */
	} cases[] = {
		{RFM_BGP_ATTR_ORIGIN, "03"},	   /* value out of range */
		{RFM_BGP_ATTR_ORIGIN, "0000"},	   /* length 2 */
		{RFM_BGP_ATTR_NEXT_HOP, "c00002"}, /* length 3 */
		{RFM_BGP_ATTR_MULTI_EXIT_DISC, "00"},
		{RFM_BGP_ATTR_LOCAL_PREF, "0000000000"},
		{RFM_BGP_ATTR_COMMUNITIES, "fbf500"},
		{RFM_BGP_ATTR_COMMUNITIES, ""},
		{RFM_BGP_ATTR_LARGE_COMMUNITIES, "0000fbf50000000100"},
		{RFM_BGP_ATTR_AS_PATH, "0203"},		  /* segment of 3 ASNs, none there */
		{RFM_BGP_ATTR_AS_PATH, "0500"},		  /* segment type 5 */
		{RFM_BGP_ATTR_AS_PATH, "020000000001"},	  /* zero-length segment */
		{RFM_BGP_ATTR_AS_PATH, "02010000fbf5ff"}, /* trailing octet */
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) a = g_byte_array_new();
		g_autoptr(GByteArray) v = g_byte_array_new();
		g_autoptr(GByteArray) nlri = g_byte_array_new();
		g_autoptr(GByteArray) wd = g_byte_array_new();
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
		g_autoptr(GError) err = NULL;

		for (const char *h = cases[i].hex; h[0] && h[1]; h += 2) {
			char byte[3] = {h[0], h[1], 0};
			put8(v, (guint)g_ascii_strtoull(byte, NULL, 16));
		}
		put_attr(a, 0x40, cases[i].type, v);
		put_prefix(wd, "198.51.100.0/24", -1);
		put_prefix(nlri, "192.0.2.0/24", -1);
		put_prefix(nlri, "203.0.113.0/24", -1);
		g_autoptr(GByteArray) m = update_build(wd, a, nlri);
		g_test_message("attribute %u value %s", cases[i].type, cases[i].hex);
		g_assert_true(parse(m, &caps4, &u, &err));
		g_assert_no_error(err);
		g_assert_true(u.treat_as_withdraw);
		g_assert_nonnull(u.attr_error);
		g_assert_cmpuint(u.n_announced, ==, 0);
		g_assert_cmpuint(u.n_withdrawn, ==, 3);
		assert_prefix(&u.withdrawn[0], "198.51.100.0/24#0");
		assert_prefix(&u.withdrawn[1], "192.0.2.0/24#0");
		assert_prefix(&u.withdrawn[2], "203.0.113.0/24#0");
		rfm_bgp_update_clear(&u);
	}
}

static void test_duplicates(void)
{
	g_autoptr(GByteArray) a = attrs_basic("64501", 4, "192.0.2.254");
	g_autoptr(GByteArray) v = g_byte_array_new();
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	/* A second ORIGIN is discarded (RFC 7606 3.g) ... */
	put8(v, RFM_BGP_ORIGIN_INCOMPLETE);
	put_attr(a, 0x40, RFM_BGP_ATTR_ORIGIN, v);
	g_autoptr(GByteArray) m = update_build(NULL, a, NULL);
	g_assert_true(parse(m, &caps4, &u, NULL));
	g_assert_cmpuint(u.attrs.origin, ==, RFM_BGP_ORIGIN_IGP);
	g_assert_cmpuint(u.discarded_attrs, ==, 1);

	/* ... a second MP_UNREACH_NLRI is fatal. */
	put_mp_unreach(a, 2, 1, NULL);
	put_mp_unreach(a, 2, 1, NULL);
	g_autoptr(GByteArray) m2 = update_build(NULL, a, NULL);
	g_assert_false(parse(m2, &caps4, &u, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_ATTR);
}

static void assert_update_error(const GByteArray *m, int code)
{
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	g_assert_false(parse(m, &caps4, &u, &err));
	g_assert_error(err, RFM_BGP_ERROR, code);
	g_test_message("%s", err->message);
	g_assert_cmpuint(u.n_announced, ==, 0);
	g_assert_null(u.announced);
}

static void test_framing_errors(void)
{
	g_autoptr(GByteArray) a = attrs_basic("64501 64496", 4, "192.0.2.254");
	g_autoptr(GByteArray) nlri = g_byte_array_new();

	put_prefix(nlri, "192.0.2.0/24", -1);
	g_autoptr(GByteArray) good = update_build(NULL, a, nlri);
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_assert_true(parse(good, &caps4, &u, NULL));
	rfm_bgp_update_clear(&u);

	/* bad marker */
	g_autoptr(GByteArray) m = g_byte_array_new();
	g_byte_array_append(m, good->data, good->len);
	m->data[3] = 0xfe;
	assert_update_error(m, RFM_BGP_ERROR_HEADER);
	/* not an UPDATE */
	memcpy(m->data, good->data, good->len);
	m->data[18] = RFM_BGP_MSG_KEEPALIVE;
	assert_update_error(m, RFM_BGP_ERROR_HEADER);
	/* header length below 19, and not the buffer's length */
	memcpy(m->data, good->data, good->len);
	m->data[16] = 0;
	m->data[17] = 18;
	assert_update_error(m, RFM_BGP_ERROR_HEADER);
	m->data[17] = (guint8)(good->len - 1);
	assert_update_error(m, RFM_BGP_ERROR_HEADER);
	m->data[17] = (guint8)(good->len + 1);
	assert_update_error(m, RFM_BGP_ERROR_TRUNCATED);
	/* Withdrawn Routes Length overruns */
	memcpy(m->data, good->data, good->len);
	m->data[19] = 0x01;
	assert_update_error(m, RFM_BGP_ERROR_TRUNCATED);
	/* Total Path Attribute Length overruns */
	memcpy(m->data, good->data, good->len);
	m->data[21] = 0x7f;
	assert_update_error(m, RFM_BGP_ERROR_TRUNCATED);
	/* the first attribute (ORIGIN, at 23) claims more than the attribute list */
	memcpy(m->data, good->data, good->len);
	m->data[25] = 200;
	assert_update_error(m, RFM_BGP_ERROR_ATTR);
	/* the last attribute (NEXT_HOP) overruns into the NLRI by one: the list ends first */
	memcpy(m->data, good->data, good->len);
	guint nh_len_at = 23 + a->len - 5;
	g_assert_cmpuint(m->data[nh_len_at], ==, 4);
	m->data[nh_len_at] = 5;
	assert_update_error(m, RFM_BGP_ERROR_ATTR);
	/* extended-length attribute overrun */
	g_autoptr(GByteArray) ext = g_byte_array_new();
	g_autoptr(GByteArray) v = g_byte_array_new();
	put32(v, 1);
	put_attr(ext, 0xd0, RFM_BGP_ATTR_COMMUNITIES, v);
	ext->data[3] = 5; /* extended length 0x0005, 4 octets there */
	g_autoptr(GByteArray) me = update_build(NULL, ext, NULL);
	assert_update_error(me, RFM_BGP_ERROR_ATTR);
	/* attribute header cut: flags + type only */
	g_autoptr(GByteArray) cut = g_byte_array_new();
	put8(cut, 0x40);
	put8(cut, 1);
	g_autoptr(GByteArray) mc = update_build(NULL, cut, NULL);
	assert_update_error(mc, RFM_BGP_ERROR_ATTR);
	/* prefix length 33, and a /24 missing an octet */
	g_autoptr(GByteArray) bad = g_byte_array_new();
	put8(bad, 33);
	put32(bad, 0xc0000200);
	put8(bad, 0);
	g_autoptr(GByteArray) mb = update_build(NULL, a, bad);
	assert_update_error(mb, RFM_BGP_ERROR_NLRI);
	g_byte_array_set_size(bad, 0);
	put8(bad, 24);
	put8(bad, 192);
	put8(bad, 0);
	g_autoptr(GByteArray) mb2 = update_build(bad, NULL, NULL);
	assert_update_error(mb2, RFM_BGP_ERROR_NLRI);
	/* IPv6 /129 in MP_REACH */
	g_byte_array_set_size(bad, 0);
	put8(bad, 129);
	for (int i = 0; i < 17; i++)
		put8(bad, 0x20);
	g_autoptr(GByteArray) a6 = attrs_basic("64501", 4, NULL);
	put_mp_reach(a6, 2, 1, "2001:db8::1", NULL, bad);
	g_autoptr(GByteArray) m6 = update_build(NULL, a6, NULL);
	assert_update_error(m6, RFM_BGP_ERROR_NLRI);
	/* MP_UNREACH too short for AFI/SAFI */
	g_autoptr(GByteArray) au = g_byte_array_new();
	g_byte_array_set_size(v, 0);
	put16(v, 2);
	put_attr(au, 0x80, RFM_BGP_ATTR_MP_UNREACH_NLRI, v);
	g_autoptr(GByteArray) mu = update_build(NULL, au, NULL);
	assert_update_error(mu, RFM_BGP_ERROR_ATTR);
}

/* A rich UPDATE cut at every length: with the header length matching (so the
 * inner lengths overrun) and without; nothing may crash or leak. */
static void test_truncated_every_length(void)
{
	struct rfm_bgp_caps caps = {.as4 = false, .add_path_v4 = true, .add_path_v6 = true};
	g_autoptr(GByteArray) a = attrs_basic("(64505) 64501 23456 {64497,64498}", 2, "192.0.2.1");
	g_autoptr(GByteArray) v = g_byte_array_new();
	g_autoptr(GByteArray) reach = g_byte_array_new();
	g_autoptr(GByteArray) unreach = g_byte_array_new();
	g_autoptr(GByteArray) wd = g_byte_array_new();
	g_autoptr(GByteArray) nlri = g_byte_array_new();

	put_as_path(v, "65536 {64497,64498}", 4);
	put_attr(a, 0xc0, RFM_BGP_ATTR_AS4_PATH, v);
	g_byte_array_set_size(v, 0);
	put32(v, 1);
	put_attr(a, 0xc0, RFM_BGP_ATTR_COMMUNITIES, v);
	g_byte_array_set_size(v, 0);
	put32(v, 1);
	put32(v, 2);
	put32(v, 3);
	put_attr(a, 0xc0, RFM_BGP_ATTR_LARGE_COMMUNITIES, v);
	put_prefix(reach, "2001:db8::/32", 1);
	put_prefix(unreach, "2001:db8:1::/48", 2);
	put_mp_reach(a, 2, 1, "2001:db8::1", "fe80::1", reach);
	put_mp_unreach(a, 2, 1, unreach);
	put_prefix(wd, "198.51.100.0/24", 3);
	put_prefix(nlri, "192.0.2.0/24", 4);
	g_autoptr(GByteArray) full = update_build(wd, a, nlri);
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	g_autoptr(GError) err = NULL;

	g_assert_true(parse(full, &caps, &u, &err));
	g_assert_no_error(err);
	assert_path(&u.attrs.as_path, "(64505) 64501 65536 {64497,64498}");
	g_assert_cmpuint(u.n_announced, ==, 2);
	g_assert_cmpuint(u.n_withdrawn, ==, 2);

	guint ok = 0;
	for (guint len = 0; len < full->len; len++) {
		g_autofree guint8 *cut = g_memdup2(full->data, len);
		if (len >= 18) {
			cut[16] = (guint8)(len >> 8);
			cut[17] = (guint8)len;
		}
		if (rfm_bgp_update_parse(cut, len, &caps, &u, &err))
			ok++;
		g_clear_error(&err);
		/* header length left as it was: always an error */
		g_autofree guint8 *cut2 = g_memdup2(full->data, len);
		g_assert_false(rfm_bgp_update_parse(cut2, len, &caps, &u, &err));
		g_assert_nonnull(err);
		g_clear_error(&err);
	}
	/* Only cuts that end exactly between NLRI prefixes can be whole UPDATEs. */
	g_test_message("%u of %u cuts parsed", ok, full->len);
	g_assert_cmpuint(ok, <=, 2);
	rfm_bgp_update_clear(&u);
}

/* Inputs the fuzzers found, as hex: session octet (fuzz_bgp.c), message. Also in
 * tests/fuzz/regressions/: the NULL + 0 below is seen by clang's UBSan only. */
static const char *const fuzz_finds[] = {
	/* empty MP_UNREACH (End-of-RIB) + malformed LARGE_COMMUNITIES: no IPv4
	 * withdrawn routes, no array; UBSan: offset applied to NULL */
	"fe"
	"ffffffffffffffffffffffffffffffff"
	"0025020000000e900f0003000201312000002000"
	"00",
};

static void test_fuzz_finds(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(fuzz_finds); i++) {
		g_autoptr(GByteArray) m = g_byte_array_new();
		struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
		g_autoptr(GError) err = NULL;
		const char *h = fuzz_finds[i];
		guint8 session = (guint8)g_ascii_strtoull((char[]){h[0], h[1], 0}, NULL, 16);
		struct rfm_bgp_caps caps = {
			.as4 = session & 1, .add_path_v4 = session & 2, .add_path_v6 = session & 4};

		for (h += 2; h[0] && h[1]; h += 2)
			put8(m, (guint)g_ascii_strtoull((char[]){h[0], h[1], 0}, NULL, 16));
		if (!parse(m, &caps, &u, &err))
			g_test_message("fuzz find %zu: %s", i, err->message);
		rfm_bgp_update_clear(&u);
	}
}

/* ---- OPEN ---- */

static GByteArray *open_build(guint16 my_as, const GByteArray *caps, bool extended)
{
	GByteArray *m = g_byte_array_new();
	guint plen = caps ? caps->len + (extended ? 3 : 2) : 0;

	put_bgp_header(m, (guint16)(29 + plen + (extended ? 3 : 0)), RFM_BGP_MSG_OPEN);
	put8(m, 4);
	put16(m, my_as);
	put16(m, 90);
	put_addr(m, "192.0.2.1");
	if (extended) {
		put8(m, 255);
		put8(m, 255);
		put16(m, plen);
		put8(m, 2);
		put16(m, caps->len);
	} else {
		put8(m, plen);
		if (caps) {
			put8(m, 2);
			put8(m, caps->len);
		}
	}
	if (caps)
		g_byte_array_append(m, caps->data, caps->len);
	return m;
}

static void put_cap_mp(GByteArray *c, guint16 afi, guint8 safi)
{
	put8(c, RFM_BGP_CAP_MP);
	put8(c, 4);
	put16(c, afi);
	put8(c, 0);
	put8(c, safi);
}

static void put_cap_as4(GByteArray *c, guint32 as)
{
	put8(c, RFM_BGP_CAP_AS4);
	put8(c, 4);
	put32(c, as);
}

/* Add-Path for IPv4 and IPv6 unicast with send/receive values sr4/sr6 (0: absent). */
static void put_cap_add_path(GByteArray *c, guint sr4, guint sr6)
{
	put8(c, RFM_BGP_CAP_ADD_PATH);
	put8(c, (sr4 ? 4 : 0) + (sr6 ? 4 : 0));
	if (sr4) {
		put16(c, 1);
		put8(c, 1);
		put8(c, sr4);
	}
	if (sr6) {
		put16(c, 2);
		put8(c, 1);
		put8(c, sr6);
	}
}

static bool open_parse(const GByteArray *m, struct rfm_bgp_open *o, GError **error)
{
	g_autofree guint8 *copy = g_memdup2(m->data, m->len);

	return rfm_bgp_open_parse(copy, m->len, o, error);
}

static void test_open(void)
{
	for (int extended = 0; extended < 2; extended++) {
		g_autoptr(GByteArray) c = g_byte_array_new();
		struct rfm_bgp_open o;
		g_autoptr(GError) err = NULL;

		put_cap_mp(c, 1, 1);
		put_cap_mp(c, 2, 1);
		put8(c, 2); /* route refresh */
		put8(c, 0);
		put8(c, RFM_BGP_CAP_EXTENDED_MESSAGE);
		put8(c, 0);
		put_cap_as4(c, 65550);
		put_cap_add_path(c, 3, 2);
		g_autoptr(GByteArray) m = open_build(RFM_BGP_AS_TRANS, c, extended);
		g_assert_true(open_parse(m, &o, &err));
		g_assert_no_error(err);
		g_assert_cmpuint(o.version, ==, 4);
		g_assert_cmpuint(o.my_as, ==, RFM_BGP_AS_TRANS);
		g_assert_cmpuint(o.asn, ==, 65550);
		g_assert_cmpuint(o.hold_time, ==, 90);
		g_assert_cmphex(o.bgp_id, ==, 0xc0000201);
		g_assert_true(o.as4);
		g_assert_true(o.mp_ipv4_unicast);
		g_assert_true(o.mp_ipv6_unicast);
		g_assert_true(o.extended_message);
		g_assert_cmpuint(o.add_path_v4, ==, 3);
		g_assert_cmpuint(o.add_path_v6, ==, 2);
		g_assert_cmpuint(o.n_caps, ==, 6);
	}

	/* No capabilities at all: a 2-octet speaker. */
	g_autoptr(GByteArray) m = open_build(64501, NULL, false);
	struct rfm_bgp_open o;
	g_assert_true(open_parse(m, &o, NULL));
	g_assert_false(o.as4);
	g_assert_cmpuint(o.asn, ==, 64501);
	g_assert_cmpuint(o.add_path_v4, ==, 0);
}

static void test_open_malformed(void)
{
	g_autoptr(GByteArray) c = g_byte_array_new();
	put_cap_as4(c, 65550);
	put_cap_add_path(c, 3, 3);
	g_autoptr(GByteArray) full = open_build(RFM_BGP_AS_TRANS, c, false);
	struct rfm_bgp_open o;
	g_autoptr(GError) err = NULL;

	/* every cut, header length adjusted */
	for (guint len = 0; len < full->len; len++) {
		g_autofree guint8 *cut = g_memdup2(full->data, len);
		if (len >= 18) {
			cut[16] = 0;
			cut[17] = (guint8)len;
		}
		g_assert_false(rfm_bgp_open_parse(cut, len, &o, &err));
		g_assert_nonnull(err);
		g_clear_error(&err);
	}
	/* capability length overrunning its parameter */
	g_autoptr(GByteArray) m = g_byte_array_new();
	g_byte_array_append(m, full->data, full->len);
	m->data[32] = 200; /* AS4 capability length 4 -> 200 */
	g_assert_false(open_parse(m, &o, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN);
	g_clear_error(&err);
	/* parameter length overrunning the message */
	memcpy(m->data, full->data, full->len);
	m->data[30] = 200;
	g_assert_false(open_parse(m, &o, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN);
	g_clear_error(&err);
	/* Opt Parm Len not matching what follows */
	memcpy(m->data, full->data, full->len);
	m->data[28]--;
	g_assert_false(open_parse(m, &o, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_OPEN);
	g_clear_error(&err);
	/* an UPDATE is not an OPEN */
	g_autoptr(GByteArray) upd = update_build(NULL, NULL, NULL);
	g_assert_false(open_parse(upd, &o, &err));
	g_assert_error(err, RFM_BGP_ERROR, RFM_BGP_ERROR_HEADER);
}

/* RFC 7911 5 / RFC 6793 4.1: what the speaker's UPDATEs carry. */
static void test_caps_from_opens(void)
{
	static const struct {
		guint speaker_ap, receiver_ap; /* IPv4 Add-Path send/receive values */
		bool speaker_as4, receiver_as4;
		bool add_path, as4;
	} cases[] = {
		{2, 1, true, true, true, true},	   /* speaker sends, receiver receives */
		{3, 3, true, false, true, false},  /* both both; receiver is 2-octet */
		{1, 2, false, true, false, false}, /* the wrong way round */
		{2, 2, true, true, false, true},   /* both only send */
		{0, 3, true, true, false, true},   /* speaker without the capability */
		{3, 1, true, true, true, true},
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GByteArray) cs = g_byte_array_new();
		g_autoptr(GByteArray) cr = g_byte_array_new();
		struct rfm_bgp_open s, r;
		struct rfm_bgp_caps caps;

		if (cases[i].speaker_as4)
			put_cap_as4(cs, 65536);
		if (cases[i].receiver_as4)
			put_cap_as4(cr, 64500);
		if (cases[i].speaker_ap)
			put_cap_add_path(cs, cases[i].speaker_ap, 0);
		if (cases[i].receiver_ap)
			put_cap_add_path(cr, cases[i].receiver_ap, 0);
		g_autoptr(GByteArray) ms = open_build(RFM_BGP_AS_TRANS, cs, false);
		g_autoptr(GByteArray) mr = open_build(64500, cr, false);
		g_assert_true(open_parse(ms, &s, NULL));
		g_assert_true(open_parse(mr, &r, NULL));
		rfm_bgp_caps_from_opens(&s, &r, &caps);
		g_test_message("case %zu", i);
		g_assert_cmpint(caps.add_path_v4, ==, cases[i].add_path);
		g_assert_cmpint(caps.as4, ==, cases[i].as4);
		g_assert_false(caps.add_path_v6);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bgp_parse/ipv4_attributes", test_ipv4_attributes);
	g_test_add_func("/bgp_parse/trailing_bits_cleared", test_trailing_bits_cleared);
	g_test_add_func("/bgp_parse/add_path_ipv4", test_add_path_ipv4);
	g_test_add_func("/bgp_parse/add_path_not_encoded", test_add_path_not_encoded);
	g_test_add_func("/bgp_parse/add_path_ipv6", test_add_path_ipv6);
	g_test_add_func("/bgp_parse/mp_reach_ipv4", test_mp_reach_ipv4);
	g_test_add_func("/bgp_parse/mp_reach_bad_next_hop", test_mp_reach_bad_next_hop);
	g_test_add_func("/bgp_parse/unknown_afi_safi", test_unknown_afi_safi);
	g_test_add_func("/bgp_parse/end_of_rib", test_end_of_rib);
	g_test_add_func("/bgp_parse/path_helpers", test_path_helpers);
	g_test_add_func("/bgp_parse/strip_first", test_strip_first);
	g_test_add_func("/bgp_parse/as4_merge", test_as4_merge);
	g_test_add_func("/bgp_parse/treat_as_withdraw", test_treat_as_withdraw);
	g_test_add_func("/bgp_parse/duplicates", test_duplicates);
	g_test_add_func("/bgp_parse/framing_errors", test_framing_errors);
	g_test_add_func("/bgp_parse/truncated_every_length", test_truncated_every_length);
	g_test_add_func("/bgp_parse/fuzz_finds", test_fuzz_finds);
	g_test_add_func("/bgp_parse/open", test_open);
	g_test_add_func("/bgp_parse/open_malformed", test_open_malformed);
	g_test_add_func("/bgp_parse/caps_from_opens", test_caps_from_opens);
	return g_test_run();
}
