// SPDX-License-Identifier: AGPL-3.0-or-later
/* prefix_gen.c - the synthetic routing table of the LPM and RIB benchmarks (prefix_gen.h). */
#include "prefix_gen.h"

#include <string.h>

/* A length and its weight per 100,000 prefixes. */
struct len_weight {
	guint8 plen;
	guint32 weight;
};

static const struct len_weight v4_lengths[] = {
	{24, 62700}, {23, 9500}, {22, 11500}, {21, 4500}, {20, 4500}, {19, 3000},
	{18, 1600},  {17, 1000}, {16, 1300},  {15, 120},  {14, 100},  {13, 80},
	{12, 50},    {11, 30},	 {10, 10},    {9, 5},	  {8, 5},
};

static const struct len_weight v6_lengths[] = {
	{48, 49500}, {44, 8000}, {40, 6000}, {36, 3000}, {32, 15000}, {29, 3000}, {47, 1500},
	{46, 2000},  {45, 1000}, {42, 1500}, {41, 500},	 {43, 500},   {38, 1000}, {39, 500},
	{37, 500},   {35, 1000}, {34, 1000}, {33, 1000}, {31, 500},   {30, 500},  {28, 500},
	{56, 1000},  {64, 500},	 {24, 300},  {20, 200},
};

/* RIR blocks for IPv6 allocations: first 16 bits, length, weight per 100. */
static const struct {
	guint16 top;
	guint8 plen;
	guint8 weight;
} v6_blocks[] = {
	{0x2a00, 12, 35}, {0x2600, 12, 25}, {0x2400, 12, 25},
	{0x2800, 12, 10}, {0x2001, 16, 4},  {0x2c00, 12, 1},
};

static guint8 pick_len(guint64 *s, const struct len_weight *w, gsize n)
{
	guint32 r = bench_rng_below(s, 100000);

	for (gsize i = 0; i < n; i++) {
		if (r < w[i].weight)
			return w[i].plen;
		r -= w[i].weight;
	}
	return w[n - 1].plen;
}

void bench_fill_bits(guint64 *s, guint8 *a, guint from, guint to)
{
	for (guint b = from; b < to; b++) {
		guint8 m = (guint8)(0x80 >> (b % 8));

		a[b / 8] = (bench_rng_next(s) & 1) ? a[b / 8] | m : a[b / 8] & ~m;
	}
}

void bench_clear_from(guint8 *a, guint plen)
{
	for (guint b = plen; b < 128; b++)
		a[b / 8] &= (guint8) ~(0x80 >> (b % 8));
}

void bench_gen_v4(guint64 *s, struct bench_prefix *p)
{
	guint32 v;

	memset(p, 0, sizeof(*p));
	p->plen = pick_len(s, v4_lengths, G_N_ELEMENTS(v4_lengths));
	do
		v = (guint32)bench_rng_next(s);
	while ((v >> 24) < 1 || (v >> 24) > 223);
	v = GUINT32_TO_BE(v);
	memcpy(p->addr, &v, 4);
	bench_clear_from(p->addr, p->plen);
}

void bench_gen_v6_alloc(guint64 *s, struct bench_prefix *a)
{
	guint32 r = bench_rng_below(s, 100), b = 0;

	while (r >= v6_blocks[b].weight) {
		r -= v6_blocks[b].weight;
		b++;
	}
	memset(a, 0, sizeof(*a));
	a->addr[0] = (guint8)(v6_blocks[b].top >> 8);
	a->addr[1] = (guint8)v6_blocks[b].top;
	a->plen = bench_rng_below(s, 5) ? 32 : 29;
	bench_fill_bits(s, a->addr, v6_blocks[b].plen, a->plen);
}

void bench_gen_v6(guint64 *s, const struct bench_prefix *allocs, guint n, struct bench_prefix *p)
{
	const struct bench_prefix *a;
	struct bench_prefix place;

	p->plen = pick_len(s, v6_lengths, G_N_ELEMENTS(v6_lengths));
	if (p->plen < 29) {
		/* Shorter than any allocation: somewhere in an RIR block. */
		bench_gen_v6_alloc(s, &place);
		a = &place;
	} else {
		do
			a = &allocs[bench_rng_below(s, n)];
		while (a->plen > p->plen);
	}
	memcpy(p->addr, a->addr, 16);
	bench_fill_bits(s, p->addr, a->plen, p->plen);
	bench_clear_from(p->addr, p->plen);
}
