// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * export.c - owns the set of collectors built from section ipfix: per
 * collector an encoder and a transport, the template refresh schedule, the
 * flush of messages that are not full, the sampling and interface tables
 * every encoder is given, and rebuilding only what a reload changed.
 */
#include "export.h"

#include <string.h>

#include "config.h"
#include "log.h"

GQuark rfm_export_error_quark(void)
{
	return g_quark_from_static_string("rfm-export-error-quark");
}

static const struct rfm_encoder_ops *const builtin_encoders[] = {
	[RFM_EXPORT_IPFIX] = &rfm_ipfix_encoder,
	[RFM_EXPORT_NETFLOW9] = &rfm_netflow9_encoder,
	[RFM_EXPORT_NETFLOW5] = &rfm_netflow5_encoder,
};

/* DOC: one exporting process. Owned by rfm_export.collectors. */
struct collector {
	struct rfm_export *exp; /* borrowed: the owner */
	guint32 id;
	struct rfm_config_collector cfg; /* own copy; strings owned */
	guint32 enterprise_number;
	const struct rfm_encoder_ops *ops;
	struct rfm_encoder *enc;  /* owned */
	struct rfm_transport *tr; /* owned */
	guint64 next_refresh_ms;  /* UDP: when templates and options go out again */
};

/* DOC: every collector of the configuration. Owned by the agent or by rfm replay. */
struct rfm_export {
	GPtrArray *collectors; /* struct collector *, owned, configuration order */
	struct rfm_export_options opts;
	guint32 refresh_ms;
	guint32 enterprise_number;
	guint64 start_ms; /* the encoders' start_ms */
	guint64 now_ms;	  /* the latest time given; never goes backwards */
	guint32 next_id;
	GArray *samplers; /* struct rfm_export_sampler, owned */
	GArray *ifaces;	  /* struct rfm_export_interface, owned, names owned */
	bool dirty;	  /* records added since the last flush */
	guint64 dirty_since_ms;
};

const char *rfm_export_protocol_name(enum rfm_export_protocol p)
{
	switch (p) {
	case RFM_EXPORT_IPFIX:
		return "ipfix";
	case RFM_EXPORT_NETFLOW9:
		return "netflow9";
	case RFM_EXPORT_NETFLOW5:
		return "netflow5";
	default:
		return "?";
	}
}

static guint64 export_now(struct rfm_export *exp, guint64 now_ms)
{
	if (now_ms > exp->now_ms)
		exp->now_ms = now_ms;
	return exp->now_ms;
}

/* --- one collector ----------------------------------------------------------- */

static bool collector_udp(const struct collector *c)
{
	return c->cfg.transport == RFM_TRANSPORT_UDP;
}

static void collector_emit(const guint8 *msg, gsize len, guint32 records, void *user_data)
{
	struct collector *c = user_data;

	rfm_transport_send(c->tr, msg, len, records);
}

/* Templates and every options record, with the reliability figures up to now. */
static void collector_announce(struct collector *c, guint64 now_ms)
{
	struct rfm_transport_stats ts;
	struct rfm_export_reliability r;

	rfm_transport_get_stats(c->tr, &ts);
	r.not_sent_records = ts.dropped_records + ts.lost_records;
	r.not_sent_messages = ts.dropped_messages + ts.lost_messages;
	r.not_sent_octets = ts.dropped_octets + ts.lost_octets;
	c->ops->set_reliability(c->enc, &r);
	c->ops->announce(c->enc, now_ms);
	c->next_refresh_ms = now_ms + c->exp->refresh_ms;
}

/* The transport's connected(): a new TCP connection starts with the templates. */
static void collector_connected(void *user_data)
{
	struct collector *c = user_data;

	collector_announce(c, c->exp->now_ms);
}

static void collector_free(struct collector *c)
{
	if (!c)
		return;
	if (c->enc)
		c->ops->destroy(c->enc);
	rfm_transport_free(c->tr);
	g_free(c->cfg.address);
	g_free(c->cfg.source_address);
	g_free(c);
}

static bool collector_same(const struct collector *c, const struct rfm_config_collector *n,
			   guint32 enterprise_number)
{
	const struct rfm_config_collector *o = &c->cfg;

	return !g_strcmp0(o->address, n->address) && o->port == n->port &&
	       o->transport == n->transport && o->protocol == n->protocol &&
	       !g_strcmp0(o->source_address, n->source_address) &&
	       o->source_port == n->source_port && o->observation_domain == n->observation_domain &&
	       o->mtu == n->mtu && o->queue == n->queue &&
	       /* Only IPFIX encodes enterprise-specific elements. */
	       (o->protocol != RFM_EXPORT_IPFIX || c->enterprise_number == enterprise_number);
}

/*
 * Encoder and transport of one collector; told the interfaces and the
 * sampling, but nothing announced yet (collector_start()).
 */
static struct collector *collector_new(struct rfm_export *exp,
				       const struct rfm_config_collector *cc, guint index,
				       guint32 enterprise_number, GError **error)
{
	struct collector *c = g_new0(struct collector, 1);
	struct rfm_encoder_params p = {0};
	struct rfm_transport_options to = {0};
	g_autoptr(GError) err = NULL;

	c->exp = exp;
	c->cfg = *cc;
	c->cfg.address = g_strdup(cc->address);
	c->cfg.source_address = g_strdup(cc->source_address);
	c->enterprise_number = enterprise_number;
	c->ops = cc->protocol >= 0 && cc->protocol < (int)G_N_ELEMENTS(builtin_encoders)
			 ? exp->opts.encoders[cc->protocol] ? exp->opts.encoders[cc->protocol]
							    : builtin_encoders[cc->protocol]
			 : NULL;
	if (!c->ops) {
		g_set_error(&err, RFM_EXPORT_ERROR, RFM_EXPORT_ERROR_COLLECTOR,
			    "unknown protocol %d", cc->protocol);
		goto fail;
	}

	p.observation_domain = cc->observation_domain;
	p.enterprise_number = enterprise_number;
	p.mtu = cc->mtu;
	p.reliable = cc->transport == RFM_TRANSPORT_TCP;
	p.start_ms = exp->start_ms;
	p.emit = collector_emit;
	p.user_data = c;
	c->enc = c->ops->create(&p, &err);
	if (!c->enc)
		goto fail;

	to.kind = cc->transport;
	to.address = cc->address;
	to.port = (guint16)cc->port;
	to.source_address = cc->source_address;
	to.source_port = (guint16)cc->source_port;
	to.queue_bytes = cc->queue;
	to.block_ms = exp->opts.block_ms;
	to.retry_min_ms = exp->opts.retry_min_ms;
	to.retry_max_ms = exp->opts.retry_max_ms;
	to.connected = collector_connected;
	to.user_data = c;
	c->tr = rfm_transport_new(&to, &err);
	if (!c->tr)
		goto fail;

	c->id = ++exp->next_id;
	if (exp->ifaces->len)
		c->ops->set_interfaces(c->enc,
				       (const struct rfm_export_interface *)exp->ifaces->data,
				       exp->ifaces->len);
	if (exp->samplers->len)
		c->ops->set_sampling(c->enc, (const struct rfm_export_sampler *)exp->samplers->data,
				     exp->samplers->len, exp->now_ms);
	g_message("export: %s to %s, observation domain %u, mtu %u, queue %u bytes", c->ops->name,
		  rfm_transport_name(c->tr), cc->observation_domain, cc->mtu, cc->queue);
	return c;

fail:
	g_set_error(error, RFM_EXPORT_ERROR, RFM_EXPORT_ERROR_COLLECTOR,
		    "ipfix.collectors[%u] (%s port %u, %s): %s", index, cc->address, cc->port,
		    rfm_export_protocol_name(cc->protocol), err->message);
	collector_free(c);
	return NULL;
}

/* RFC 7011 section 8: UDP collectors get the templates at once; TCP ones when connected. */
static void collector_start(struct collector *c, guint64 now_ms)
{
	if (collector_udp(c))
		collector_announce(c, now_ms);
}

/* A collector removed by a reload: what it holds goes out if the socket takes it now. */
static void collector_retire(struct collector *c, guint64 now_ms)
{
	g_message("export: no longer exporting to %s", rfm_transport_name(c->tr));
	c->ops->flush(c->enc, now_ms);
	rfm_transport_poll(c->tr);
	collector_free(c);
}

/* --- the set ----------------------------------------------------------------- */

static void export_clear_ifaces(struct rfm_export *exp)
{
	for (guint i = 0; i < exp->ifaces->len; i++)
		g_free((char *)g_array_index(exp->ifaces, struct rfm_export_interface, i).name);
	g_array_set_size(exp->ifaces, 0);
}

struct rfm_export *rfm_export_new(const struct rfm_config_ipfix *cfg,
				  const struct rfm_export_options *opts, guint64 now_ms,
				  GError **error)
{
	struct rfm_export *exp = g_new0(struct rfm_export, 1);

	if (opts)
		exp->opts = *opts;
	exp->start_ms = now_ms;
	exp->now_ms = now_ms;
	exp->collectors = g_ptr_array_new_with_free_func((GDestroyNotify)collector_free);
	exp->samplers = g_array_new(FALSE, FALSE, sizeof(struct rfm_export_sampler));
	exp->ifaces = g_array_new(FALSE, FALSE, sizeof(struct rfm_export_interface));
	if (!rfm_export_reconfigure(exp, cfg, now_ms, error)) {
		rfm_export_free(exp);
		return NULL;
	}
	return exp;
}

void rfm_export_free(struct rfm_export *exp)
{
	if (!exp)
		return;
	g_ptr_array_unref(exp->collectors);
	g_array_unref(exp->samplers);
	export_clear_ifaces(exp);
	g_array_unref(exp->ifaces);
	g_free(exp);
}

bool rfm_export_reconfigure(struct rfm_export *exp, const struct rfm_config_ipfix *cfg,
			    guint64 now_ms, GError **error)
{
	GPtrArray *old = exp->collectors;
	g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func((GDestroyNotify)collector_free);
	g_autoptr(GPtrArray) created = g_ptr_array_new();
	g_autofree bool *kept = g_new0(bool, old->len + 1);
	guint64 now = export_now(exp, now_ms);

	for (guint i = 0; i < cfg->collectors->len; i++) {
		const struct rfm_config_collector *cc =
			&g_array_index(cfg->collectors, struct rfm_config_collector, i);
		struct collector *c = NULL;

		for (guint j = 0; j < old->len && !c; j++) {
			if (!kept[j] && collector_same(old->pdata[j], cc, cfg->enterprise_number)) {
				kept[j] = true;
				c = old->pdata[j];
			}
		}
		if (!c) {
			c = collector_new(exp, cc, i, cfg->enterprise_number, error);
			if (!c) {
				/* next frees what was created; kept ones stay in old. */
				for (guint j = 0; j < next->len; j++) {
					if (!g_ptr_array_find(created, next->pdata[j], NULL))
						next->pdata[j] = NULL;
				}
				return false;
			}
			g_ptr_array_add(created, c);
		}
		g_ptr_array_add(next, c);
	}

	/* Committed: from here on nothing fails. */
	for (guint j = 0; j < old->len; j++) {
		if (kept[j])
			old->pdata[j] = NULL;
		else
			collector_retire(old->pdata[j], now);
		old->pdata[j] = NULL;
	}
	g_ptr_array_unref(old);
	exp->collectors = g_steal_pointer(&next);
	exp->refresh_ms = cfg->template_refresh_ms;
	exp->enterprise_number = cfg->enterprise_number;
	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		if (g_ptr_array_find(created, c, NULL))
			collector_start(c, now);
		else if (collector_udp(c))
			c->next_refresh_ms = MIN(c->next_refresh_ms, now + exp->refresh_ms);
	}
	return true;
}

guint rfm_export_collectors(const struct rfm_export *exp)
{
	return exp ? exp->collectors->len : 0;
}

/* UDP collectors whose template refresh is due. */
static void export_refresh(struct rfm_export *exp, guint64 now)
{
	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		if (collector_udp(c) && now >= c->next_refresh_ms)
			collector_announce(c, now);
	}
}

void rfm_export_flow(struct rfm_export *exp, const struct rfm_flow_record *rec,
		     const struct rfm_enrichment *en, guint64 now_ms)
{
	guint64 now = export_now(exp, now_ms);

	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		/* Without a main loop (replay) this is what moves connects and retries on. */
		rfm_transport_poll(c->tr);
		if (collector_udp(c) && now >= c->next_refresh_ms)
			collector_announce(c, now);
		c->ops->add(c->enc, rec, en, now);
	}
	if (!exp->dirty) {
		exp->dirty = true;
		exp->dirty_since_ms = now;
	}
}

void rfm_export_flush(struct rfm_export *exp, guint64 now_ms)
{
	guint64 now = export_now(exp, now_ms);

	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		c->ops->flush(c->enc, now);
	}
	exp->dirty = false;
}

void rfm_export_tick(struct rfm_export *exp, guint64 now_ms)
{
	guint64 now = export_now(exp, now_ms);

	export_refresh(exp, now);
	if (exp->dirty && now - exp->dirty_since_ms >= RFM_EXPORT_FLUSH_MS)
		rfm_export_flush(exp, now);
}

bool rfm_export_drain(struct rfm_export *exp, guint timeout_ms)
{
	g_autofree struct rfm_transport **ts =
		g_new0(struct rfm_transport *, exp->collectors->len + 1);

	for (guint i = 0; i < exp->collectors->len; i++)
		ts[i] = ((struct collector *)exp->collectors->pdata[i])->tr;
	return rfm_transport_drain(ts, exp->collectors->len,
				   g_get_monotonic_time() + (gint64)timeout_ms * 1000);
}

void rfm_export_set_sampling(struct rfm_export *exp, const struct rfm_export_sampler *s, guint n,
			     guint64 now_ms)
{
	guint64 now = export_now(exp, now_ms);

	g_array_set_size(exp->samplers, 0);
	g_array_append_vals(exp->samplers, s, n);
	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		c->ops->set_sampling(c->enc, s, n, now);
	}
}

void rfm_export_set_interfaces(struct rfm_export *exp, const struct rfm_export_interface *ifs,
			       guint n)
{
	export_clear_ifaces(exp);
	for (guint i = 0; i < n; i++) {
		struct rfm_export_interface e = {ifs[i].ifindex, g_strdup(ifs[i].name)};

		g_array_append_val(exp->ifaces, e);
	}
	for (guint i = 0; i < exp->collectors->len; i++) {
		struct collector *c = exp->collectors->pdata[i];

		c->ops->set_interfaces(c->enc, ifs, n);
	}
}

guint rfm_export_get_stats(const struct rfm_export *exp, struct rfm_export_collector_stats *out,
			   guint max)
{
	for (guint i = 0; i < exp->collectors->len && i < max; i++) {
		const struct collector *c = exp->collectors->pdata[i];
		struct rfm_export_collector_stats *s = &out[i];

		memset(s, 0, sizeof(*s));
		s->id = c->id;
		g_strlcpy(s->address, c->cfg.address, sizeof(s->address));
		s->port = (guint16)c->cfg.port;
		s->transport = (guint8)c->cfg.transport;
		s->protocol = (guint8)c->cfg.protocol;
		s->observation_domain = c->cfg.observation_domain;
		rfm_transport_get_stats(c->tr, &s->transport_stats);
		c->ops->get_stats(c->enc, &s->encoder_stats);
	}
	return exp->collectors->len;
}
