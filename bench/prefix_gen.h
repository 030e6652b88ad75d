/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * prefix_gen.h - the synthetic routing table of bench_lpm and bench_rib:
 * a seeded splitmix64 generator, prefix lengths drawn from the shape of
 * the public IPv4 and IPv6 tables, IPv4 prefixes in unicast space, IPv6
 * prefixes inside /32 or /29 allocations of the RIR blocks. The same seed
 * gives the same table everywhere. Owns no state.
 */
#ifndef RFM_BENCH_PREFIX_GEN_H
#define RFM_BENCH_PREFIX_GEN_H

#include <glib.h>

/* DOC: a prefix: the address in network order, host bits zero. No padding. */
struct bench_prefix {
	guint8 addr[16];
	guint8 plen;
};

/* splitmix64: the next number of the sequence *s (inline: table generation calls it per bit). */
static inline guint64 bench_rng_next(guint64 *s)
{
	guint64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in 0..n-1. */
static inline guint32 bench_rng_below(guint64 *s, guint32 n)
{
	return (guint32)(((bench_rng_next(s) >> 32) * n) >> 32);
}

/* A double in [0, 1). */
static inline double bench_rng_unit(guint64 *s)
{
	return (bench_rng_next(s) >> 11) * 0x1.0p-53;
}

/* Random bits from bit from (inclusive) to to (exclusive) of a 16-byte address. */
void bench_fill_bits(guint64 *s, guint8 *a, guint from, guint to);
/* Clear bits plen..127. */
void bench_clear_from(guint8 *a, guint plen);

/* An IPv4 prefix (first octet 1..223), in the first 4 bytes of p->addr. */
void bench_gen_v4(guint64 *s, struct bench_prefix *p);
/* An IPv6 allocation: a /32 (4 in 5) or /29 inside an RIR block. */
void bench_gen_v6_alloc(guint64 *s, struct bench_prefix *a);
/* An IPv6 prefix inside one of the n allocations (or an RIR block when shorter). */
void bench_gen_v6(guint64 *s, const struct bench_prefix *allocs, guint n, struct bench_prefix *p);

#endif /* RFM_BENCH_PREFIX_GEN_H */
