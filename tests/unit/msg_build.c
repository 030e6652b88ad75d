/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * msg_build.c - BGP and BMP messages built byte by byte for the unit tests
 * (see msg_build.h). Numbers are the RFCs' own, written here rather than
 * taken from the parsers' headers.
 */
#include "msg_build.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* RFC 4271 4.3 AS_PATH segment types; RFC 5065 3 confederation segments. */
enum { AS_SET = 1, AS_SEQUENCE = 2, AS_CONFED_SEQUENCE = 3, AS_CONFED_SET = 4 };

void put8(GByteArray *b, guint v)
{
	guint8 x = (guint8)v;
	g_byte_array_append(b, &x, 1);
}

void put16(GByteArray *b, guint v)
{
	put8(b, v >> 8);
	put8(b, v);
}

void put32(GByteArray *b, guint32 v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

/* "192.0.2.0/24" or "2001:db8::/32", with a path id first when path_id >= 0. */
void put_prefix(GByteArray *b, const char *s, gint64 path_id)
{
	g_auto(GStrv) parts = g_strsplit(s, "/", 2);
	guint8 addr[16];
	guint len = (guint)atoi(parts[1]);
	int fam = strchr(parts[0], ':') ? AF_INET6 : AF_INET;

	g_assert_cmpint(inet_pton(fam, parts[0], addr), ==, 1);
	if (path_id >= 0)
		put32(b, (guint32)path_id);
	put8(b, len);
	g_byte_array_append(b, addr, (len + 7) / 8);
}

void put_addr(GByteArray *b, const char *s)
{
	guint8 addr[16];
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;

	g_assert_cmpint(inet_pton(fam, s, addr), ==, 1);
	g_byte_array_append(b, addr, fam == AF_INET ? 4 : 16);
}

/*
 * AS path value from a readable string: "64501 64510 {64497,64498}",
 * "(64505 64506)" confed sequence, "[64507]" confed set; width 2 or 4.
 */
void put_as_path(GByteArray *b, const char *s, guint width)
{
	const char *p = s;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		guint8 type = AS_SEQUENCE;
		char close = 0;
		if (*p == '{' || *p == '(' || *p == '[') {
			type = *p == '{' ? AS_SET : *p == '(' ? AS_CONFED_SEQUENCE : AS_CONFED_SET;
			close = *p == '{' ? '}' : *p == '(' ? ')' : ']';
			p++;
		}
		guint32 asns[255];
		guint n = 0;
		while (*p && *p != close) {
			char *end;
			asns[n++] = (guint32)g_ascii_strtoull(p, &end, 10);
			p = end;
			while (*p == ' ' || *p == ',')
				p++;
			/* a plain sequence ends at a bracket */
			if (!close && (*p == '{' || *p == '(' || *p == '['))
				break;
		}
		if (close && *p == close)
			p++;
		put8(b, type);
		put8(b, n);
		for (guint i = 0; i < n; i++) {
			if (width == 4)
				put32(b, asns[i]);
			else
				put16(b, asns[i]);
		}
	}
}

/* Append attribute (flags, type, value); the Extended Length bit picks the length size. */
void put_attr(GByteArray *b, guint8 flags, guint8 type, const GByteArray *v)
{
	put8(b, flags);
	put8(b, type);
	if (flags & 0x10)
		put16(b, v->len);
	else
		put8(b, v->len);
	g_byte_array_append(b, v->data, v->len);
}

void put_bgp_header(GByteArray *b, guint16 len, guint8 type)
{
	for (int i = 0; i < 16; i++)
		put8(b, 0xff);
	put16(b, len);
	put8(b, type);
}

/* A whole UPDATE from its three parts (any may be NULL). */
GByteArray *update_build(const GByteArray *wd, const GByteArray *attrs, const GByteArray *nlri)
{
	GByteArray *m = g_byte_array_new();
	guint wl = wd ? wd->len : 0, al = attrs ? attrs->len : 0, nl = nlri ? nlri->len : 0;

	put_bgp_header(m, (guint16)(19 + 4 + wl + al + nl), 2);
	put16(m, wl);
	if (wl)
		g_byte_array_append(m, wd->data, wl);
	put16(m, al);
	if (al)
		g_byte_array_append(m, attrs->data, al);
	if (nl)
		g_byte_array_append(m, nlri->data, nl);
	return m;
}

/* Attributes of a typical eBGP route; path in 4- or 2-octet form. */
GByteArray *attrs_basic(const char *path, guint width, const char *next_hop)
{
	GByteArray *a = g_byte_array_new();
	g_autoptr(GByteArray) v = g_byte_array_new();

	put8(v, 0 /* IGP */);
	put_attr(a, 0x40, 1 /* ORIGIN */, v);
	g_byte_array_set_size(v, 0);
	put_as_path(v, path, width);
	put_attr(a, 0x40, 2 /* AS_PATH */, v);
	if (next_hop) {
		g_byte_array_set_size(v, 0);
		put_addr(v, next_hop);
		put_attr(a, 0x40, 3 /* NEXT_HOP */, v);
	}
	return a;
}

void put_tlv(GByteArray *b, guint16 type, const void *v, guint16 len)
{
	put16(b, type);
	put16(b, len);
	g_byte_array_append(b, v, len);
}

/* RFC 7854 4.2 per-peer header; addr "192.0.2.1" / "2001:db8::1" / NULL (zeros). */
void put_peer(GByteArray *b, guint8 type, guint8 flags, guint64 rd, const char *addr, guint32 as,
	      guint32 id)
{
	guint8 a[16] = {0};

	put8(b, type);
	put8(b, flags);
	put32(b, rd >> 32);
	put32(b, (guint32)rd);
	if (addr && strchr(addr, ':'))
		g_assert_cmpint(inet_pton(AF_INET6, addr, a), ==, 1);
	else if (addr)
		g_assert_cmpint(inet_pton(AF_INET, addr, a + 12), ==, 1);
	g_byte_array_append(b, a, 16);
	put32(b, as);
	put32(b, id);
	put32(b, 1700000000);
	put32(b, 123456);
}

/* Wrap body as a BMP message of type. */
GByteArray *bmp_msg(guint8 type, const GByteArray *body)
{
	GByteArray *m = g_byte_array_new();

	put8(m, 3);
	put32(m, 6 + (body ? body->len : 0));
	put8(m, type);
	if (body)
		g_byte_array_append(m, body->data, body->len);
	return m;
}

GByteArray *bmp_initiation(const char *sys_name)
{
	g_autoptr(GByteArray) b = g_byte_array_new();

	put_tlv(b, 2 /* sysName */, sys_name, (guint16)strlen(sys_name));
	return bmp_msg(4 /* Initiation */, b);
}

GByteArray *bmp_route_v4(const char *peer, guint32 peer_as, const char *prefix, const char *path,
			 const char *next_hop)
{
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(GByteArray) nlri = g_byte_array_new();
	g_autoptr(GByteArray) attrs = path ? attrs_basic(path, 4, next_hop) : NULL;
	g_autoptr(GByteArray) update = NULL;

	put_prefix(nlri, prefix, -1);
	update = path ? update_build(NULL, attrs, nlri) : update_build(nlri, NULL, NULL);
	put_peer(b, 0 /* global */, 0 /* IPv4, pre-policy, 4-byte AS */, 0, peer, peer_as,
		 0xc6120001);
	g_byte_array_append(b, update->data, update->len);
	return bmp_msg(0 /* Route Monitoring */, b);
}
