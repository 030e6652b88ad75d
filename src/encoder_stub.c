// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * encoder_stub.c - TEMPORARY stand-in for rfm_ipfix_encoder (ipfix.c), so that the exporter links
 * before the real encoders are merged. Their create() fails with "not built in yet". Delete this
 * file (and its line in src/CMakeLists.txt) when ipfix.c and netflow.c land.
 */
#include "encoder.h"

static struct rfm_encoder *stub_create(const char *name, GError **error)
{
	g_set_error(error, g_quark_from_static_string("rfm-encoder-stub-error-quark"), 0,
		    "the %s encoder is not built in yet", name);
	return NULL;
}

static struct rfm_encoder *ipfix_create(const struct rfm_encoder_params *p, GError **error)
{
	return stub_create("ipfix", error);
}

/* Never called: create() never succeeds. */
static void stub_destroy(struct rfm_encoder *e)
{
	g_assert_not_reached();
}

const struct rfm_encoder_ops rfm_ipfix_encoder = {
	.name = "ipfix", .create = ipfix_create, .destroy = stub_destroy};
