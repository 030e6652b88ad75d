// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * encoder_stub.c - TEMPORARY stand-ins for the three encoders of encoder.h
 * (rfm_ipfix_encoder in ipfix.c, rfm_netflow9_encoder and
 * rfm_netflow5_encoder in netflow.c), so that the exporter links before the
 * real encoders are merged. Their create() fails with "not built in yet".
 * Delete this file (and its line in src/CMakeLists.txt) when ipfix.c and
 * netflow.c land.
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

static struct rfm_encoder *netflow9_create(const struct rfm_encoder_params *p, GError **error)
{
	return stub_create("netflow9", error);
}

static struct rfm_encoder *netflow5_create(const struct rfm_encoder_params *p, GError **error)
{
	return stub_create("netflow5", error);
}

/* Never called: create() never succeeds. */
static void stub_destroy(struct rfm_encoder *e)
{
	g_assert_not_reached();
}

const struct rfm_encoder_ops rfm_ipfix_encoder = {
	.name = "ipfix", .create = ipfix_create, .destroy = stub_destroy};
const struct rfm_encoder_ops rfm_netflow9_encoder = {
	.name = "netflow9", .create = netflow9_create, .destroy = stub_destroy};
const struct rfm_encoder_ops rfm_netflow5_encoder = {
	.name = "netflow5", .create = netflow5_create, .destroy = stub_destroy};
