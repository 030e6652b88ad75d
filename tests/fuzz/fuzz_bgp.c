/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_bgp.c - libFuzzer target over the BGP decoder. The first input octet
 * chooses the session (bit 0: 4-octet AS, bit 1: Add-Path IPv4, bit 2:
 * Add-Path IPv6); the rest is one BGP message, decoded as an UPDATE and as
 * an OPEN, from an exact-size heap copy so that ASan sees any overread.
 */
#include <stdint.h>
#include <stdlib.h>

#include "bgp_parse.h"

static volatile guint64 sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct rfm_bgp_caps caps = {
		.as4 = data[0] & 1,
		.add_path_v4 = data[0] & 2,
		.add_path_v6 = data[0] & 4,
	};
	guint8 *msg = g_memdup2(data + 1, size - 1);
	struct rfm_bgp_update u = RFM_BGP_UPDATE_INIT;
	struct rfm_bgp_open o, o2;
	GError *err = NULL;
	char buf[64];

	if (rfm_bgp_update_parse(msg, size - 1, &caps, &u, &err)) {
		for (guint i = 0; i < u.n_announced; i++) {
			rfm_bgp_prefix_str(&u.announced[i], buf, sizeof(buf));
			rfm_bgp_addr_str(rfm_bgp_update_next_hop(&u, &u.announced[i]), buf,
					 sizeof(buf));
			sink += buf[0] + u.announced[i].path_id;
		}
		for (guint i = 0; i < u.n_withdrawn; i++)
			sink += rfm_bgp_prefix_str(&u.withdrawn[i], buf, sizeof(buf))[0];
		sink += rfm_bgp_as_path_origin(&u.attrs.as_path) +
			rfm_bgp_as_path_first(&u.attrs.as_path) +
			rfm_bgp_as_path_length(&u.attrs.as_path) + u.end_of_rib + u.skipped_mp;
		char *s = rfm_bgp_as_path_str(&u.attrs.as_path);
		sink += s[0];
		g_free(s);
		for (guint i = 0; i < u.attrs.n_communities; i++)
			sink += u.attrs.communities[i];
		for (guint i = 0; i < u.attrs.n_large; i++)
			sink += u.attrs.large[i].global;
		/* Invariants the RIB relies on. */
		for (guint i = 0; i < u.n_announced; i++) {
			const struct rfm_bgp_prefix *p = &u.announced[i];
			if (p->len > (p->family == 4 ? 32 : 128))
				abort();
		}
		if (u.treat_as_withdraw && u.n_announced)
			abort();
	}
	g_clear_error(&err);
	rfm_bgp_update_clear(&u);
	if (rfm_bgp_open_parse(msg, size - 1, &o, &err)) {
		rfm_bgp_caps_from_opens(&o, &o, &caps);
		if (rfm_bgp_open_parse(msg, size - 1, &o2, NULL))
			sink += o2.asn + caps.as4;
	}
	g_clear_error(&err);
	g_free(msg);
	return 0;
}
