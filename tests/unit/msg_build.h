/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * msg_build.h - BGP (RFC 4271) and BMP (RFC 7854) messages built byte by
 * byte for the unit tests, from readable strings ("192.0.2.0/24",
 * "64501 {64497,64498}"). Independent of the parsers under test: nothing
 * here includes or calls them. Every builder returns or appends to a
 * GByteArray the caller owns; malformed input strings fail the test.
 */
#ifndef RFM_TEST_MSG_BUILD_H
#define RFM_TEST_MSG_BUILD_H

#include <glib.h>

/* Big-endian integers (network order). */
void put8(GByteArray *b, guint v);
void put16(GByteArray *b, guint v);
void put32(GByteArray *b, guint32 v);

/* NLRI "192.0.2.0/24" or "2001:db8::/32", with a path id first when path_id >= 0. */
void put_prefix(GByteArray *b, const char *s, gint64 path_id);
/* An address, 4 or 16 bytes. */
void put_addr(GByteArray *b, const char *s);
/*
 * AS_PATH value from a readable string: "64501 64510 {64497,64498}",
 * "(64505 64506)" confed sequence, "[64507]" confed set; width 2 or 4.
 */
void put_as_path(GByteArray *b, const char *s, guint width);
/* Append attribute (flags, type, value); the Extended Length bit picks the length size. */
void put_attr(GByteArray *b, guint8 flags, guint8 type, const GByteArray *v);
/* BGP header (RFC 4271 4.1): all-ones marker, length, type. */
void put_bgp_header(GByteArray *b, guint16 len, guint8 type);
/* A whole UPDATE from its three parts (any may be NULL). */
GByteArray *update_build(const GByteArray *wd, const GByteArray *attrs, const GByteArray *nlri);
/* ORIGIN IGP, AS_PATH (4- or 2-octet form), NEXT_HOP (when not NULL). */
GByteArray *attrs_basic(const char *path, guint width, const char *next_hop);

/* BMP information TLV (RFC 7854 4.4). */
void put_tlv(GByteArray *b, guint16 type, const void *v, guint16 len);
/* RFC 7854 4.2 per-peer header; addr "192.0.2.1" / "2001:db8::1" / NULL (zeros). */
void put_peer(GByteArray *b, guint8 type, guint8 flags, guint64 rd, const char *addr, guint32 as,
	      guint32 id);
/* Wrap body (NULL: none) as a BMP message of type (RFC 7854 4.1 common header). */
GByteArray *bmp_msg(guint8 type, const GByteArray *body);

/* An Initiation message (RFC 7854 4.3) with a sysName TLV. */
GByteArray *bmp_initiation(const char *sys_name);
/*
 * Route Monitoring (RFC 7854 4.6) from a global pre-policy IPv4 peer
 * (AS4 AS_PATH): prefix announced with path and next_hop, or withdrawn
 * when path is NULL.
 */
GByteArray *bmp_route_v4(const char *peer, guint32 peer_as, const char *prefix, const char *path,
			 const char *next_hop);

#endif /* RFM_TEST_MSG_BUILD_H */
