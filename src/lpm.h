/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * lpm.h - longest-prefix match for IPv4 or IPv6: prefix -> guint32 value
 * (0 = none). Pure data structure, no I/O.
 *
 * One table holds one family. Addresses are 4 (IPv4) or 16 (IPv6) bytes in
 * network byte order. A prefix is addr/plen with plen 0..32 (IPv4) or 0..128
 * (IPv6); the bits of addr beyond plen are ignored (treated as zero), so
 * 192.0.2.77/24 and 192.0.2.0/24 are the same prefix. Values are never 0:
 * 0 means "no prefix" in every return value.
 *
 * Passing NULL, a plen longer than the family allows, or value 0 is a
 * programmer error: the call logs a critical warning and returns 0 without
 * changing the table. Callers validate wire input first.
 *
 * Single-threaded: the table has no lock. Lookups never allocate and never
 * change the table.
 *
 * Memory: about 35 bytes per prefix for a full table (bench/bench_lpm.c).
 * Fixed parts, held only while needed: a root of 1.5 MiB (IPv4) or 24 KiB
 * (IPv6) while some prefix is at least /16 (IPv4) or /10 (IPv6) long, and
 * 576 KiB (IPv4) or 9 KiB (IPv6) while some prefix is shorter; inserting or
 * removing such a short prefix (a default route) updates up to 65536 slots.
 * Memory of removed prefixes is reused by later inserts; an empty table
 * gives back all but its few hundred bytes.
 */
#ifndef RFM_LPM_H
#define RFM_LPM_H

#include <glib.h>

struct rfm_lpm;

/* A table for family 4 or 6. Holds almost nothing until the first insert. */
struct rfm_lpm *rfm_lpm_new(int family);
/* Accepts NULL. */
void rfm_lpm_free(struct rfm_lpm *t);

/* Set the value of exactly addr/plen (insert or replace); returns the previous value or 0.
 * value must be != 0. */
guint32 rfm_lpm_insert(struct rfm_lpm *t, const guint8 *addr, guint8 plen, guint32 value);
/* Remove exactly addr/plen; returns its value or 0 when absent. Frees the memory it used for
 * reuse by later inserts. */
guint32 rfm_lpm_remove(struct rfm_lpm *t, const guint8 *addr, guint8 plen);
/* Value of exactly addr/plen or 0. */
guint32 rfm_lpm_get(const struct rfm_lpm *t, const guint8 *addr, guint8 plen);

/* Value of the longest prefix covering addr, or 0; *plen gets its length (may be NULL; left
 * unchanged when nothing covers addr). */
guint32 rfm_lpm_lookup(const struct rfm_lpm *t, const guint8 *addr, guint8 *plen);
/* Same, but never a prefix shorter than min_plen (e.g. 1 to ignore the default route). */
guint32 rfm_lpm_lookup_min(const struct rfm_lpm *t, const guint8 *addr, guint8 min_plen,
			   guint8 *plen);

/*
 * DOC: one lookup of rfm_lpm_lookup_batch(). t, addr and min_plen are its
 * input (t and addr borrowed, as for rfm_lpm_lookup_min()); value and plen
 * its result: what rfm_lpm_lookup_min() returns and stores (plen 0 when
 * value is 0). Queries of one batch may name different tables.
 */
struct rfm_lpm_query {
	const struct rfm_lpm *t;
	const guint8 *addr;
	guint8 min_plen;
	guint8 plen;   /* out */
	guint32 value; /* out */
};

/*
 * rfm_lpm_lookup_min() for n queries at once, with the same results. The
 * walks are interleaved, a few at a time, and each prefetches its next node
 * before the others take their step, so that their cache misses overlap
 * instead of following each other: worth it from 2 queries on.
 */
void rfm_lpm_lookup_batch(struct rfm_lpm_query *q, guint n);

/*
 * Every prefix covering addr of length min_plen or more, longest first:
 * values[i] and plens[i] for i below the count returned (at most max, and
 * never more than 33 (IPv4) or 129 (IPv6)). For callers that must look past
 * the longest match, e.g. when its value no longer counts.
 */
guint rfm_lpm_lookup_all(const struct rfm_lpm *t, const guint8 *addr, guint8 min_plen,
			 guint32 *values, guint8 *plens, guint max);

/* Number of prefixes. */
guint32 rfm_lpm_count(const struct rfm_lpm *t);
/* Bytes held by the table, free blocks kept for reuse included. */
gsize rfm_lpm_memory(const struct rfm_lpm *t);

/* Call fn for every prefix, in the order of rfm_lpm_walk(), with addr zero beyond plen and
 * valid during the call only; fn must not modify t. */
void rfm_lpm_foreach(const struct rfm_lpm *t,
		     void (*fn)(const guint8 *addr, guint8 plen, guint32 value, void *ud),
		     void *ud);

/*
 * Call fn for at most max prefixes in (address, length) order (by address,
 * then the shorter first), starting with the first one after prefix
 * after/after_plen (which need not be in the table), or with the first of
 * the table when after is NULL; returns how many. fn must not modify t, but
 * the caller may change the table between calls: a walk resumed from the
 * last prefix it saw meets every prefix that stays in the table meanwhile
 * exactly once, in order. Each call costs a descent to the resume point.
 */
guint rfm_lpm_walk(const struct rfm_lpm *t, const guint8 *after, guint8 after_plen, guint max,
		   void (*fn)(const guint8 *addr, guint8 plen, guint32 value, void *ud), void *ud);

#endif /* RFM_LPM_H */
