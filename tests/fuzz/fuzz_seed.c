/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * fuzz_seed.c - writes the seed corpora of the fuzzers from the recorded BMP
 * streams: for fuzz_bmp every stream whole and every message alone; for
 * fuzz_bgp every UPDATE and OPEN found in them, behind a session octet
 * (see fuzz_bgp.c). Usage: fuzz_seed BMP_DIR BGP_DIR FILE.bmp...
 */
#include <stdio.h>

#include "bmp_parse.h"

static void write_seed(const char *dir, const char *name, guint i, guint8 prefix, bool use_prefix,
		       const guint8 *data, gsize len)
{
	g_autofree char *path = g_strdup_printf("%s/%s-%03u", dir, name, i);
	g_autoptr(GByteArray) b = g_byte_array_new();
	g_autoptr(GError) err = NULL;

	if (use_prefix)
		g_byte_array_append(b, &prefix, 1);
	g_byte_array_append(b, data, (guint)len);
	if (!g_file_set_contents(path, (const char *)b->data, b->len, &err)) {
		fprintf(stderr, "fuzz_seed: %s\n", err->message);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: fuzz_seed BMP_DIR BGP_DIR FILE.bmp...\n");
		return 2;
	}
	for (int f = 3; f < argc; f++) {
		g_autofree gchar *data = NULL;
		g_autofree char *base = g_path_get_basename(argv[f]);
		gsize len, off = 0, n;
		guint i = 0, j = 0;
		g_autoptr(GError) err = NULL;

		if (!g_file_get_contents(argv[f], &data, &len, &err)) {
			fprintf(stderr, "fuzz_seed: %s\n", err->message);
			return 1;
		}
		write_seed(argv[1], base, 999, 0, false, (guint8 *)data, len);
		while (rfm_bmp_frame((guint8 *)data + off, len - off, 1 << 20, &n, &err) && n) {
			const guint8 *msg = (guint8 *)data + off;
			struct rfm_bmp_msg m;

			write_seed(argv[1], base, i++, 0, false, msg, n);
			if (rfm_bmp_msg_parse(msg, n, &m, NULL)) {
				if (m.type == RFM_BMP_MSG_ROUTE_MONITORING) {
					const struct rfm_bmp_bytes *u =
						&m.u.route_monitoring.update;
					write_seed(argv[2], base, j++, 1, true, u->data, u->len);
					write_seed(argv[2], base, j++, 7, true, u->data, u->len);
				} else if (m.type == RFM_BMP_MSG_PEER_UP) {
					const struct rfm_bmp_peer_up *pu = &m.u.peer_up;
					write_seed(argv[2], base, j++, 1, true, pu->sent_open.data,
						   pu->sent_open.len);
					write_seed(argv[2], base, j++, 1, true,
						   pu->received_open.data, pu->received_open.len);
				}
			}
			off += n;
		}
	}
	return 0;
}
