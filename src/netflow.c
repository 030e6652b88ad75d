/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * netflow.c - the NetFlow v9 (RFC 3954) and v5 encoders of encoder.h: the
 * packets, built by hand with bounds-checked big-endian writes; the v9
 * templates, options records and sampler ids; sequence numbers; and the
 * boot time every uptime is counted from. What goes on the wire and why is
 * in netflow.h.
 *
 * Both encoders fill one message buffer of mtu bytes and emit it when the
 * next record does not fit, at flush() and at announce(). Room is reserved
 * before anything is written (nf9_room(), nf5 record count), and every
 * write goes through a cursor bounded to the reserved bytes: a write past
 * them is a bug in this file and stops the daemon (g_error) rather than
 * send a corrupt packet.
 */
#include "netflow.h"

#include <stdlib.h>
#include <string.h>

/* Not G_DEFINE_QUARK(): clang-format puts spaces into its unquoted name. */
GQuark rfm_netflow_error_quark(void)
{
	return g_quark_from_static_string("rfm-netflow-error-quark");
}

/* --- bounds-checked big-endian writes ------------------------------------ */

/*
 * DOC: a cursor over bytes reserved in a message. A write that does not fit
 * writes nothing and sets overflow; the code that reserved the bytes checks
 * it (nf_writer_done()).
 */
struct nf_writer {
	guint8 *p;
	guint8 *end;
	bool overflow;
};

static inline struct nf_writer nf_writer_at(guint8 *p, gsize n)
{
	return (struct nf_writer){.p = p, .end = p + n, .overflow = false};
}

static inline bool nf_w_room(struct nf_writer *w, gsize n)
{
	if ((gsize)(w->end - w->p) < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

static inline void nf_w8(struct nf_writer *w, guint8 v)
{
	if (nf_w_room(w, 1))
		*w->p++ = v;
}

static inline void nf_w16(struct nf_writer *w, guint16 v)
{
	if (!nf_w_room(w, 2))
		return;
	w->p[0] = (guint8)(v >> 8);
	w->p[1] = (guint8)v;
	w->p += 2;
}

static inline void nf_w32(struct nf_writer *w, guint32 v)
{
	if (!nf_w_room(w, 4))
		return;
	w->p[0] = (guint8)(v >> 24);
	w->p[1] = (guint8)(v >> 16);
	w->p[2] = (guint8)(v >> 8);
	w->p[3] = (guint8)v;
	w->p += 4;
}

static inline void nf_w64(struct nf_writer *w, guint64 v)
{
	if (!nf_w_room(w, 8))
		return;
	nf_w32(w, (guint32)(v >> 32));
	nf_w32(w, (guint32)v);
}

static inline void nf_wbytes(struct nf_writer *w, const void *src, gsize n)
{
	if (!nf_w_room(w, n))
		return;
	memcpy(w->p, src, n);
	w->p += n;
}

static inline void nf_wzero(struct nf_writer *w, gsize n)
{
	if (!nf_w_room(w, n))
		return;
	memset(w->p, 0, n);
	w->p += n;
}

/* The reserved bytes must be written exactly; anything else is a bug here. */
static inline void nf_writer_done(const struct nf_writer *w, const char *what)
{
	if (w->overflow || w->p != w->end)
		g_error("netflow: %s written past or short of its reserved bytes", what);
}

static inline guint32 nf_pad4(guint32 n)
{
	return (4 - (n & 3)) & 3;
}

/* --- what both encoders share ---------------------------------------------- */

/* DOC: one message being filled: data[0..len), at most cap (the mtu) bytes. Owns data. */
struct nf_msg {
	guint8 *data;
	guint32 len; /* 0: no message open */
	guint32 cap;
};

/* Uptimes above this move the boot time (netflow.h): one margin short of 32 bits. */
#define NF_UPTIME_LIMIT ((guint64)G_MAXUINT32 - RFM_NF_BASE_MARGIN_MS)

/* DOC: the boot time B of netflow.h, a whole second; uptimes are ms since base_ms. */
struct nf_clock {
	guint64 base_ms;
};

/*
 * One second before start_ms, on a whole second: a record that starts as
 * the exporter does (replay: the first packet) gets an uptime above 0, which
 * nfdump 1.7.1 would otherwise read as "no time" (seen in collectors-test).
 */
static void nf_clock_init(struct nf_clock *c, guint64 start_ms)
{
	guint64 s = start_ms - start_ms % 1000;

	c->base_ms = s >= 1000 ? s - 1000 : 0;
}

/* Whether every time in lo..hi is an uptime of at most NF_UPTIME_LIMIT. */
static bool nf_clock_fits(const struct nf_clock *c, guint64 lo, guint64 hi)
{
	return lo >= c->base_ms && hi - c->base_ms <= NF_UPTIME_LIMIT;
}

/* A new boot time: one margin before lo, on a whole second. */
static void nf_clock_rebase(struct nf_clock *c, guint64 lo)
{
	guint64 s = lo - lo % 1000;

	c->base_ms = s > RFM_NF_BASE_MARGIN_MS ? s - RFM_NF_BASE_MARGIN_MS : 0;
}

static guint32 nf_clock_uptime(const struct nf_clock *c, guint64 t)
{
	if (t <= c->base_ms)
		return 0;
	t -= c->base_ms;
	return t > G_MAXUINT32 ? G_MAXUINT32 : (guint32)t;
}

/* DOC: the table of set_sampling(), sorted by ifindex then direction. Owns s. */
struct nf_sampling {
	struct rfm_export_sampler *s;
	guint n;
};

static int nf_sampler_cmp(const void *a, const void *b)
{
	const struct rfm_export_sampler *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (int)x->direction - (int)y->direction;
}

/* Replace the table; returns whether it changed. */
static bool nf_sampling_set(struct nf_sampling *t, const struct rfm_export_sampler *s, guint n)
{
	struct rfm_export_sampler *sorted = n ? g_memdup2(s, n * sizeof(*s)) : NULL;
	bool same = n == t->n;

	if (n)
		qsort(sorted, n, sizeof(*sorted), nf_sampler_cmp);
	for (guint i = 0; same && i < n; i++)
		same = sorted[i].ifindex == t->s[i].ifindex &&
		       sorted[i].direction == t->s[i].direction && sorted[i].mode == t->s[i].mode &&
		       sorted[i].rate == t->s[i].rate;
	if (same) {
		g_free(sorted);
		return false;
	}
	g_free(t->s);
	t->s = sorted;
	t->n = n;
	return true;
}

/* The sampling mode of the interface and direction a record was drawn on (random if unknown). */
static guint8 nf_record_mode(const struct nf_sampling *t, const struct rfm_flow_record *rec)
{
	const struct rfm_export_sampler key = {.ifindex = rec->key.ifindex,
					       .direction = rec->key.direction};
	const struct rfm_export_sampler *s =
		t->n ? bsearch(&key, t->s, t->n, sizeof(*t->s), nf_sampler_cmp) : NULL;

	return s ? s->mode : RFM_SAMPLE_RANDOM;
}

/* Whether some interface samples and all that do use one rate and mode (*rate, *mode). */
static bool nf_sampling_uniform(const struct nf_sampling *t, guint32 *rate, guint8 *mode)
{
	guint found = 0;

	for (guint i = 0; i < t->n; i++) {
		if (!t->s[i].rate)
			continue; /* counters only: no records */
		if (found++ && (t->s[i].rate != *rate || t->s[i].mode != *mode))
			return false;
		*rate = t->s[i].rate;
		*mode = t->s[i].mode;
	}
	return found > 0;
}

static bool nf_sampling_has(const struct nf_sampling *t, guint32 rate, guint8 mode)
{
	for (guint i = 0; i < t->n; i++)
		if (t->s[i].rate == rate && t->s[i].mode == mode)
			return true;
	return false;
}

/* INPUT_SNMP and OUTPUT_SNMP: at ingress the record's interface is the input one. */
static void nf_interfaces(const struct rfm_flow_record *rec, guint32 *in, guint32 *out)
{
	if (rec->key.direction == RFM_DIR_INGRESS) {
		*in = rec->key.ifindex;
		*out = rec->other_ifindex;
	} else {
		*in = rec->other_ifindex;
		*out = rec->key.ifindex;
	}
}

/* RFC 3954 section 8 SAMPLING_ALGORITHM / FLOW_SAMPLER_MODE: 1 deterministic, 2 random. */
static guint8 nf_algorithm(guint8 mode)
{
	return mode == RFM_SAMPLE_SYSTEMATIC ? 1 : 2;
}

static bool nf_check_mtu(const struct rfm_encoder_params *p, guint32 min, const char *proto,
			 GError **error)
{
	if (p->mtu >= min && p->mtu <= G_MAXUINT16)
		return true;
	g_set_error(error, RFM_NETFLOW_ERROR, RFM_NETFLOW_ERROR_MTU,
		    "%s: mtu %u is outside %u..%u bytes", proto, p->mtu, min, G_MAXUINT16);
	return false;
}

/* --- NetFlow v9 ------------------------------------------------------------ */

#define NF9_HEADER_LEN 20 /* RFC 3954 section 5.1 */
#define NF9_SET_HEADER 4  /* FlowSet ID + Length, sections 5.2-5.4 */

/* FlowSet ids (RFC 3954 section 5.2, 6.1). */
enum nf9_set {
	NF9_SET_TEMPLATE = 0,
	NF9_SET_OPTIONS_TEMPLATE = 1,
};

/* Field types (RFC 3954 section 8; 82 from Cisco's list of v9 fields). */
enum nf9_type {
	NF9_IN_BYTES = 1,
	NF9_IN_PKTS = 2,
	NF9_PROTOCOL = 4,
	NF9_SRC_TOS = 5,
	NF9_TCP_FLAGS = 6,
	NF9_L4_SRC_PORT = 7,
	NF9_IPV4_SRC_ADDR = 8,
	NF9_SRC_MASK = 9,
	NF9_INPUT_SNMP = 10,
	NF9_L4_DST_PORT = 11,
	NF9_IPV4_DST_ADDR = 12,
	NF9_DST_MASK = 13,
	NF9_OUTPUT_SNMP = 14,
	NF9_IPV4_NEXT_HOP = 15,
	NF9_SRC_AS = 16,
	NF9_DST_AS = 17,
	NF9_BGP_IPV4_NEXT_HOP = 18,
	NF9_LAST_SWITCHED = 21,
	NF9_FIRST_SWITCHED = 22,
	NF9_IPV6_SRC_ADDR = 27,
	NF9_IPV6_DST_ADDR = 28,
	NF9_IPV6_SRC_MASK = 29,
	NF9_IPV6_DST_MASK = 30,
	NF9_ICMP_TYPE = 32,
	NF9_SAMPLING_INTERVAL = 34,
	NF9_SAMPLING_ALGORITHM = 35,
	NF9_FLOW_SAMPLER_ID = 48,
	NF9_FLOW_SAMPLER_MODE = 49,
	NF9_FLOW_SAMPLER_RANDOM_INTERVAL = 50,
	NF9_SRC_VLAN = 58,
	NF9_DIRECTION = 61,
	NF9_IPV6_NEXT_HOP = 62,
	NF9_BGP_IPV6_NEXT_HOP = 63,
	NF9_IF_NAME = 82,
};

/* Scope field types of options templates (RFC 3954 section 6.1). */
enum nf9_scope {
	NF9_SCOPE_SYSTEM = 1,
	NF9_SCOPE_INTERFACE = 2,
};

struct nf9_field {
	guint16 type;
	guint16 len;
};

/* In the order nf9_write_flow() writes them; the comments say from what. */
static const struct nf9_field nf9_fields_ipv4[] = {
	{NF9_FIRST_SWITCHED, 4},    /* start_ms, ms since the boot time */
	{NF9_LAST_SWITCHED, 4},	    /* end_ms, likewise */
	{NF9_IN_BYTES, 8},	    /* octets, raw sampled count */
	{NF9_IN_PKTS, 8},	    /* packets, likewise */
	{NF9_INPUT_SNMP, 4},	    /* ingress: key.ifindex; egress: other_ifindex */
	{NF9_OUTPUT_SNMP, 4},	    /* the other one */
	{NF9_IPV4_SRC_ADDR, 4},	    /* key.src_addr */
	{NF9_IPV4_DST_ADDR, 4},	    /* key.dst_addr */
	{NF9_IPV4_NEXT_HOP, 4},	    /* next_hop, 0 without one */
	{NF9_BGP_IPV4_NEXT_HOP, 4}, /* enrichment, 0 without an IPv4 one */
	{NF9_SRC_AS, 4},	    /* enrichment src_asn */
	{NF9_DST_AS, 4},	    /* enrichment dst_asn */
	{NF9_L4_SRC_PORT, 2},	    /* key.src_port */
	{NF9_L4_DST_PORT, 2},	    /* key.dst_port (ICMP: type << 8 | code) */
	{NF9_ICMP_TYPE, 2},	    /* ICMP/ICMPv6: type << 8 | code, else 0 */
	{NF9_SRC_VLAN, 2},	    /* key.vlan_id */
	{NF9_PROTOCOL, 1},	    /* key.protocol */
	{NF9_SRC_TOS, 1},	    /* dscp << 2 */
	{NF9_TCP_FLAGS, 1},	    /* tcp_flags */
	{NF9_SRC_MASK, 1},	    /* enrichment src_prefix_len */
	{NF9_DST_MASK, 1},	    /* enrichment dst_prefix_len */
	{NF9_DIRECTION, 1},	    /* key.direction: 0 ingress, 1 egress */
	{NF9_FLOW_SAMPLER_ID, 1},   /* the sampler of (sampling, mode), 1..255 */
};

/* The IPv4 fields with 16-byte addresses and the IPv6 masks (one per line: clang-format off). */
/* clang-format off */
static const struct nf9_field nf9_fields_ipv6[] = {
	{NF9_FIRST_SWITCHED, 4},
	{NF9_LAST_SWITCHED, 4},
	{NF9_IN_BYTES, 8},
	{NF9_IN_PKTS, 8},
	{NF9_INPUT_SNMP, 4},
	{NF9_OUTPUT_SNMP, 4},
	{NF9_IPV6_SRC_ADDR, 16},
	{NF9_IPV6_DST_ADDR, 16},
	{NF9_IPV6_NEXT_HOP, 16},
	{NF9_BGP_IPV6_NEXT_HOP, 16},
	{NF9_SRC_AS, 4},
	{NF9_DST_AS, 4},
	{NF9_L4_SRC_PORT, 2},
	{NF9_L4_DST_PORT, 2},
	{NF9_ICMP_TYPE, 2},
	{NF9_SRC_VLAN, 2},
	{NF9_PROTOCOL, 1},
	{NF9_SRC_TOS, 1},
	{NF9_TCP_FLAGS, 1},
	{NF9_IPV6_SRC_MASK, 1},
	{NF9_IPV6_DST_MASK, 1},
	{NF9_DIRECTION, 1},
	{NF9_FLOW_SAMPLER_ID, 1},
};
/* clang-format on */

#define NF9_IPV4_RECORD_LEN 71
#define NF9_IPV6_RECORD_LEN 119

static const struct nf9_field nf9_scope_system[] = {{NF9_SCOPE_SYSTEM, 4}};
static const struct nf9_field nf9_scope_interface[] = {{NF9_SCOPE_INTERFACE, 4}};
static const struct nf9_field nf9_opt_system_sampling[] = {
	{NF9_SAMPLING_INTERVAL, 4},
	{NF9_SAMPLING_ALGORITHM, 1},
};
/*
 * nfcapd 1.7.1 takes an options record for a sampler only when it holds
 * SAMPLING_INTERVAL, and then takes the rate from it; with
 * SAMPLING_ALGORITHM added it ignores the record (both checked on Debian's
 * 1.7.1-2+deb12u1). nfacctd 1.7.7 reads the rate from either interval.
 */
static const struct nf9_field nf9_opt_sampler[] = {
	{NF9_FLOW_SAMPLER_ID, 1},
	{NF9_FLOW_SAMPLER_MODE, 1},
	{NF9_FLOW_SAMPLER_RANDOM_INTERVAL, 4},
	{NF9_SAMPLING_INTERVAL, 4},
};
static const struct nf9_field nf9_opt_if_sampling[] = {
	{NF9_DIRECTION, 1},
	{NF9_SAMPLING_INTERVAL, 4},
	{NF9_SAMPLING_ALGORITHM, 1},
};
static const struct nf9_field nf9_opt_if_name[] = {{NF9_IF_NAME, RFM_NF9_IF_NAME_LEN}};

/* DOC: an options template (RFC 3954 section 6.1): its id, scope fields, option fields. */
struct nf9_options_template {
	guint16 id;
	const struct nf9_field *scope;
	guint n_scope;
	const struct nf9_field *fields;
	guint n_fields;
	guint32 record_len; /* scope and option field lengths added up */
};

#define NF9_OPTIONS(tid, s, f, len)                              \
	{                                                        \
		tid, s, G_N_ELEMENTS(s), f, G_N_ELEMENTS(f), len \
	}
static const struct nf9_options_template nf9_options_templates[] = {
	NF9_OPTIONS(RFM_NF9_TPL_SYSTEM_SAMPLING, nf9_scope_system, nf9_opt_system_sampling, 9),
	NF9_OPTIONS(RFM_NF9_TPL_SAMPLER, nf9_scope_system, nf9_opt_sampler, 14),
	NF9_OPTIONS(RFM_NF9_TPL_IF_SAMPLING, nf9_scope_interface, nf9_opt_if_sampling, 10),
	NF9_OPTIONS(RFM_NF9_TPL_IF_NAME, nf9_scope_interface, nf9_opt_if_name,
		    4 + RFM_NF9_IF_NAME_LEN),
};

enum {
	NF9_OPT_SYSTEM_SAMPLING,
	NF9_OPT_SAMPLER,
	NF9_OPT_IF_SAMPLING,
	NF9_OPT_IF_NAME,
};

static guint32 nf9_fields_len(const struct nf9_field *f, guint n)
{
	guint32 len = 0;

	for (guint i = 0; i < n; i++)
		len += f[i].len;
	return len;
}

/*
 * DOC: a FLOW_SAMPLER_ID in use: the id is the index + 1, rate 0 marks a free
 * slot. Ids stay bound to their (rate, mode) until all 255 are taken; a new
 * pair then takes the least recently used id whose pair is no longer in the
 * sampling table.
 */
struct nf9_sampler {
	guint32 rate;
	guint8 mode;
	guint64 last_use;
};

/* DOC: an interface name for template 261, NUL-padded (not a C string when full). */
struct nf9_ifname {
	guint32 ifindex;
	char name[RFM_NF9_IF_NAME_LEN];
};

/*
 * DOC: a NetFlow v9 encoder (what rfm_netflow9_encoder's struct rfm_encoder
 * points to). Owned by its creator; emit/user_data are borrowed. While a
 * message is open (msg.len > 0) its header bytes are reserved and written
 * when it is finished; set_* describe the FlowSet being filled.
 */
struct nf9_encoder {
	struct rfm_encoder_params p;
	struct nf_msg msg;
	guint16 count;	  /* records of every kind in msg (RFC 3954 section 5.1) */
	guint16 flows;	  /* data records in msg */
	bool set_open;	  /* a FlowSet is being filled */
	guint16 set_id;	  /* its id */
	guint32 set_off;  /* its header's offset in msg */
	guint32 sequence; /* of the next packet */
	struct nf_clock clock;
	struct nf_sampling sampling;
	struct nf9_sampler samplers[RFM_NF9_MAX_SAMPLERS];
	guint64 sampler_tick;
	guint last_sampler;	    /* index of the last one used: a lookup hint */
	struct nf9_ifname *ifnames; /* owned */
	guint n_ifnames;
	bool announced; /* templates sent at least once */
	struct rfm_encoder_stats stats;
};

static inline struct nf9_encoder *nf9_of(struct rfm_encoder *e)
{
	return (struct nf9_encoder *)e;
}

/* Close the open FlowSet: pad it to a 4-byte boundary (section 5.3) and write its length. */
static void nf9_close_set(struct nf9_encoder *e)
{
	struct nf_writer w;
	guint32 pad;

	if (!e->set_open)
		return;
	pad = nf_pad4(e->msg.len - e->set_off);
	w = nf_writer_at(e->msg.data + e->msg.len, pad);
	nf_wzero(&w, pad);
	nf_writer_done(&w, "flowset padding");
	e->msg.len += pad;
	w = nf_writer_at(e->msg.data + e->set_off + 2, 2);
	nf_w16(&w, (guint16)(e->msg.len - e->set_off));
	nf_writer_done(&w, "flowset length");
	e->set_open = false;
}

/* The Packet Header (RFC 3954 section 5.1) of the open message; then emit it. */
static void nf9_finish(struct nf9_encoder *e, guint64 now_ms)
{
	struct nf_writer w;

	nf9_close_set(e);
	/*
	 * sysUpTime at the whole second unix_secs, now rounded up: see
	 * netflow.h, Time. Rounded down, a record that ended after the second
	 * began would have LAST_SWITCHED > sysUpTime, which nfacctd 1.7.7 turns
	 * into a time 49.7 days early (unsigned wrap, seen in collectors-test).
	 */
	guint64 sec_ms = (now_ms + 999) / 1000 * 1000;

	w = nf_writer_at(e->msg.data, NF9_HEADER_LEN);
	nf_w16(&w, 9);
	nf_w16(&w, e->count);
	nf_w32(&w, nf_clock_uptime(&e->clock, sec_ms));
	nf_w32(&w, (guint32)(sec_ms / 1000));
	nf_w32(&w, e->sequence);
	nf_w32(&w, e->p.observation_domain);
	nf_writer_done(&w, "v9 header");

	e->p.emit(e->msg.data, e->msg.len, e->flows, e->p.user_data);
	e->stats.messages++;
	e->stats.octets += e->msg.len;
	e->stats.records += e->flows;
	e->sequence++;
	e->msg.len = 0;
	e->count = 0;
	e->flows = 0;
}

/*
 * Make room for n more bytes of records in FlowSet set_id: in the open
 * FlowSet when it has that id (and own_set is false), else in a new one.
 * Room counts the padding that closes the FlowSet. Emits the open message
 * when they do not fit and starts a new one.
 */
static void nf9_room(struct nf9_encoder *e, guint16 set_id, guint32 n, bool own_set, guint64 now_ms)
{
	for (;;) {
		if (!e->msg.len) {
			e->msg.len = NF9_HEADER_LEN;
			e->count = 0;
			e->flows = 0;
			e->set_open = false;
		}
		bool append = e->set_open && e->set_id == set_id && !own_set;
		guint32 need;

		if (append)
			need = n + nf_pad4(e->msg.len - e->set_off + n);
		else
			need = (e->set_open ? nf_pad4(e->msg.len - e->set_off) : 0) +
			       NF9_SET_HEADER + n + nf_pad4(NF9_SET_HEADER + n);
		if (need <= e->msg.cap - e->msg.len) {
			if (!append) {
				struct nf_writer w;

				nf9_close_set(e);
				w = nf_writer_at(e->msg.data + e->msg.len, NF9_SET_HEADER);
				nf_w16(&w, set_id);
				nf_w16(&w, 0); /* length, when the FlowSet is closed */
				nf_writer_done(&w, "flowset header");
				e->set_open = true;
				e->set_id = set_id;
				e->set_off = e->msg.len;
				e->msg.len += NF9_SET_HEADER;
			}
			return;
		}
		if (!e->count)
			g_error("netflow9: %u bytes never fit in a %u-byte message", n, e->msg.cap);
		nf9_finish(e, now_ms);
	}
}

/* A writer over n bytes of a record of FlowSet set_id (see nf9_room()). */
static struct nf_writer nf9_reserve(struct nf9_encoder *e, guint16 set_id, guint32 n, bool own_set,
				    guint64 now_ms)
{
	nf9_room(e, set_id, n, own_set, now_ms);
	return nf_writer_at(e->msg.data + e->msg.len, n);
}

/* The record written through w (n bytes) is complete: count it (section 5.1). */
static void nf9_commit(struct nf9_encoder *e, const struct nf_writer *w, guint32 n)
{
	nf_writer_done(w, "v9 record");
	e->msg.len += n;
	e->count++;
}

/* Template FlowSet (RFC 3954 section 5.2): both data templates. */
static void nf9_write_templates(struct nf9_encoder *e, guint64 now_ms)
{
	static const struct {
		guint16 id;
		const struct nf9_field *f;
		guint n;
	} t[] = {
		{RFM_NF9_TPL_IPV4, nf9_fields_ipv4, G_N_ELEMENTS(nf9_fields_ipv4)},
		{RFM_NF9_TPL_IPV6, nf9_fields_ipv6, G_N_ELEMENTS(nf9_fields_ipv6)},
	};

	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		guint32 n = 4 + 4 * t[i].n;
		struct nf_writer w = nf9_reserve(e, NF9_SET_TEMPLATE, n, false, now_ms);

		nf_w16(&w, t[i].id);
		nf_w16(&w, (guint16)t[i].n);
		for (guint j = 0; j < t[i].n; j++) {
			nf_w16(&w, t[i].f[j].type);
			nf_w16(&w, t[i].f[j].len);
		}
		nf9_commit(e, &w, n);
	}
}

/*
 * Options Template FlowSet (RFC 3954 section 6.1), one template per FlowSet:
 * nfdump 1.7.1 reads only the first.
 */
static void nf9_write_options_template(struct nf9_encoder *e, const struct nf9_options_template *t,
				       guint64 now_ms)
{
	guint32 n = 6 + 4 * (t->n_scope + t->n_fields);
	struct nf_writer w = nf9_reserve(e, NF9_SET_OPTIONS_TEMPLATE, n, true, now_ms);

	nf_w16(&w, t->id);
	nf_w16(&w, (guint16)(4 * t->n_scope));	/* Option Scope Length, bytes */
	nf_w16(&w, (guint16)(4 * t->n_fields)); /* Option Length, bytes */
	for (guint i = 0; i < t->n_scope; i++) {
		nf_w16(&w, t->scope[i].type);
		nf_w16(&w, t->scope[i].len);
	}
	for (guint i = 0; i < t->n_fields; i++) {
		nf_w16(&w, t->fields[i].type);
		nf_w16(&w, t->fields[i].len);
	}
	nf9_commit(e, &w, n);
}

/* An options data record (section 6.2) in a FlowSet of its own: nfdump 1.7.1 reads only the first.
 */
static struct nf_writer nf9_reserve_option(struct nf9_encoder *e, guint opt, guint64 now_ms)
{
	const struct nf9_options_template *t = &nf9_options_templates[opt];

	return nf9_reserve(e, t->id, t->record_len, true, now_ms);
}

/*
 * The sampling options: templates 258-260, every sampler id bound (259), and
 * either the one system-wide rate (258) or the rate of each interface and
 * direction (260).
 */
static void nf9_write_sampling(struct nf9_encoder *e, guint64 now_ms)
{
	const guint opts[] = {NF9_OPT_SYSTEM_SAMPLING, NF9_OPT_SAMPLER, NF9_OPT_IF_SAMPLING};
	guint32 rate = 0;
	guint8 mode = 0;
	struct nf_writer w;

	for (guint i = 0; i < G_N_ELEMENTS(opts); i++)
		nf9_write_options_template(e, &nf9_options_templates[opts[i]], now_ms);
	for (guint i = 0; i < RFM_NF9_MAX_SAMPLERS; i++) {
		if (!e->samplers[i].rate)
			continue;
		w = nf9_reserve_option(e, NF9_OPT_SAMPLER, now_ms);
		nf_w32(&w, e->p.observation_domain); /* scope: this system */
		nf_w8(&w, (guint8)(i + 1));
		nf_w8(&w, nf_algorithm(e->samplers[i].mode));
		nf_w32(&w, e->samplers[i].rate);
		nf_w32(&w, e->samplers[i].rate);
		nf9_commit(e, &w, nf9_options_templates[NF9_OPT_SAMPLER].record_len);
	}
	if (nf_sampling_uniform(&e->sampling, &rate, &mode)) {
		w = nf9_reserve_option(e, NF9_OPT_SYSTEM_SAMPLING, now_ms);
		nf_w32(&w, e->p.observation_domain);
		nf_w32(&w, rate);
		nf_w8(&w, nf_algorithm(mode));
		nf9_commit(e, &w, nf9_options_templates[NF9_OPT_SYSTEM_SAMPLING].record_len);
		return;
	}
	for (guint i = 0; i < e->sampling.n; i++) {
		const struct rfm_export_sampler *s = &e->sampling.s[i];

		if (!s->rate)
			continue;
		w = nf9_reserve_option(e, NF9_OPT_IF_SAMPLING, now_ms);
		nf_w32(&w, s->ifindex);
		nf_w8(&w, s->direction);
		nf_w32(&w, s->rate);
		nf_w8(&w, nf_algorithm(s->mode));
		nf9_commit(e, &w, nf9_options_templates[NF9_OPT_IF_SAMPLING].record_len);
	}
}

/* Templates and every options record (announce(), and before the first data record). */
static void nf9_write_announcement(struct nf9_encoder *e, guint64 now_ms)
{
	nf9_write_templates(e, now_ms);
	nf9_write_sampling(e, now_ms);
	if (e->n_ifnames) {
		nf9_write_options_template(e, &nf9_options_templates[NF9_OPT_IF_NAME], now_ms);
		for (guint i = 0; i < e->n_ifnames; i++) {
			struct nf_writer w = nf9_reserve_option(e, NF9_OPT_IF_NAME, now_ms);

			nf_w32(&w, e->ifnames[i].ifindex);
			nf_wbytes(&w, e->ifnames[i].name, RFM_NF9_IF_NAME_LEN);
			nf9_commit(e, &w, nf9_options_templates[NF9_OPT_IF_NAME].record_len);
		}
	}
	e->announced = true;
	e->stats.announcements++;
}

static guint nf9_sampler_find(const struct nf9_encoder *e, guint32 rate, guint8 mode)
{
	for (guint i = 0; i < RFM_NF9_MAX_SAMPLERS; i++)
		if (e->samplers[i].rate == rate && e->samplers[i].mode == mode)
			return i;
	return RFM_NF9_MAX_SAMPLERS;
}

/* Bind an id to (rate, mode): a free one, else see struct nf9_sampler. */
static guint nf9_sampler_bind(struct nf9_encoder *e, guint32 rate, guint8 mode)
{
	guint victim = RFM_NF9_MAX_SAMPLERS, any = 0;

	for (guint i = 0; i < RFM_NF9_MAX_SAMPLERS; i++) {
		const struct nf9_sampler *s = &e->samplers[i];

		if (!s->rate) {
			victim = i;
			break;
		}
		if (s->last_use < e->samplers[any].last_use)
			any = i;
		if (!nf_sampling_has(&e->sampling, s->rate, s->mode) &&
		    (victim == RFM_NF9_MAX_SAMPLERS || s->last_use < e->samplers[victim].last_use))
			victim = i;
	}
	if (victim == RFM_NF9_MAX_SAMPLERS)
		victim = any; /* 255 pairs in the table itself */
	e->samplers[victim] =
		(struct nf9_sampler){.rate = rate, .mode = mode, .last_use = ++e->sampler_tick};
	return victim;
}

/* The FLOW_SAMPLER_ID of a record; a new id is announced before the record. */
static guint8 nf9_sampler_id(struct nf9_encoder *e, const struct rfm_flow_record *rec,
			     guint64 now_ms)
{
	guint32 rate = rec->sampling ? rec->sampling : 1;
	guint8 mode = nf_record_mode(&e->sampling, rec);
	guint i = e->last_sampler;

	if (e->samplers[i].rate != rate || e->samplers[i].mode != mode) {
		i = nf9_sampler_find(e, rate, mode);
		if (i == RFM_NF9_MAX_SAMPLERS) {
			i = nf9_sampler_bind(e, rate, mode);
			nf9_write_sampling(e, now_ms);
			e->stats.announcements++;
		}
		e->last_sampler = i;
	}
	e->samplers[i].last_use = ++e->sampler_tick;
	return (guint8)(i + 1);
}

/* Move the boot time when lo..hi cannot be expressed, after sending the open message. */
static void nf9_time(struct nf9_encoder *e, guint64 lo, guint64 hi, guint64 now_ms)
{
	if (nf_clock_fits(&e->clock, lo, hi))
		return;
	if (e->msg.len)
		nf9_finish(e, now_ms);
	nf_clock_rebase(&e->clock, lo);
}

/* A data record (RFC 3954 section 5.4) in the field order of nf9_fields_ipv4/6. */
static void nf9_write_flow(struct nf_writer *w, const struct rfm_flow_record *rec,
			   const struct rfm_enrichment *en, const struct nf_clock *c,
			   guint8 sampler_id)
{
	static const guint8 zero[16];
	bool v6 = rec->key.ip_version == 6;
	guint alen = v6 ? 16 : 4;
	guint32 in, out;

	nf_interfaces(rec, &in, &out);
	nf_w32(w, nf_clock_uptime(c, rec->start_ms));
	nf_w32(w, nf_clock_uptime(c, rec->end_ms));
	nf_w64(w, rec->octets);
	nf_w64(w, rec->packets);
	nf_w32(w, in);
	nf_w32(w, out);
	nf_wbytes(w, rec->key.src_addr, alen);
	nf_wbytes(w, rec->key.dst_addr, alen);
	nf_wbytes(w, rec->has_next_hop ? rec->next_hop : zero, alen);
	nf_wbytes(w, en && en->bgp_next_hop_version == (v6 ? 6 : 4) ? en->bgp_next_hop : zero,
		  alen);
	nf_w32(w, en ? en->src_asn : 0);
	nf_w32(w, en ? en->dst_asn : 0);
	nf_w16(w, rec->key.src_port);
	nf_w16(w, rec->key.dst_port);
	/* ICMP_TYPE for ICMP and ICMPv6: nfdump 1.7.1 reads no other element (netflow.h). */
	nf_w16(w, rec->key.protocol == (v6 ? 58 : 1) ? rec->key.dst_port : 0);
	nf_w16(w, rec->key.vlan_id);
	nf_w8(w, rec->key.protocol);
	nf_w8(w, (guint8)(rec->dscp << 2));
	nf_w8(w, rec->tcp_flags);
	nf_w8(w, en ? en->src_prefix_len : 0);
	nf_w8(w, en ? en->dst_prefix_len : 0);
	nf_w8(w, rec->key.direction);
	nf_w8(w, sampler_id);
}

/* The largest unit nf9_room() must fit in an empty message: the mtu's lower bound. */
static guint32 nf9_min_mtu(void)
{
	guint32 unit = 4 + 4 * G_N_ELEMENTS(nf9_fields_ipv4);

	unit = MAX(unit, 4 + 4 * G_N_ELEMENTS(nf9_fields_ipv6));
	unit = MAX(unit, NF9_IPV4_RECORD_LEN);
	unit = MAX(unit, NF9_IPV6_RECORD_LEN);
	for (guint i = 0; i < G_N_ELEMENTS(nf9_options_templates); i++) {
		const struct nf9_options_template *t = &nf9_options_templates[i];

		unit = MAX(unit, 6 + 4 * (t->n_scope + t->n_fields));
		unit = MAX(unit, t->record_len);
	}
	return NF9_HEADER_LEN + NF9_SET_HEADER + unit + nf_pad4(NF9_SET_HEADER + unit);
}

static struct rfm_encoder *nf9_create(const struct rfm_encoder_params *p, GError **error)
{
	g_return_val_if_fail(p && p->emit, NULL);
	if (!nf_check_mtu(p, nf9_min_mtu(), "netflow9", error))
		return NULL;

	/* The tables and the record writer must agree (the unit test checks the wire). */
	g_assert(nf9_fields_len(nf9_fields_ipv4, G_N_ELEMENTS(nf9_fields_ipv4)) ==
		 NF9_IPV4_RECORD_LEN);
	g_assert(nf9_fields_len(nf9_fields_ipv6, G_N_ELEMENTS(nf9_fields_ipv6)) ==
		 NF9_IPV6_RECORD_LEN);
	for (guint i = 0; i < G_N_ELEMENTS(nf9_options_templates); i++) {
		const struct nf9_options_template *t = &nf9_options_templates[i];

		g_assert(nf9_fields_len(t->scope, t->n_scope) +
				 nf9_fields_len(t->fields, t->n_fields) ==
			 t->record_len);
	}

	struct nf9_encoder *e = g_new0(struct nf9_encoder, 1);

	e->p = *p;
	e->msg.cap = p->mtu;
	e->msg.data = g_malloc(p->mtu);
	nf_clock_init(&e->clock, p->start_ms);
	return (struct rfm_encoder *)e;
}

static void nf9_destroy(struct rfm_encoder *enc)
{
	struct nf9_encoder *e = nf9_of(enc);

	if (!e)
		return;
	g_free(e->msg.data);
	g_free(e->sampling.s);
	g_free(e->ifnames);
	g_free(e);
}

static void nf9_add(struct rfm_encoder *enc, const struct rfm_flow_record *rec,
		    const struct rfm_enrichment *en, guint64 now_ms)
{
	struct nf9_encoder *e = nf9_of(enc);
	guint16 tpl;
	guint32 len;

	if (rec->key.ip_version == 4) {
		tpl = RFM_NF9_TPL_IPV4;
		len = NF9_IPV4_RECORD_LEN;
	} else if (rec->key.ip_version == 6) {
		tpl = RFM_NF9_TPL_IPV6;
		len = NF9_IPV6_RECORD_LEN;
	} else {
		e->stats.not_exportable++;
		return;
	}
	nf9_time(e, MIN(rec->start_ms, now_ms), MAX(rec->end_ms, now_ms), now_ms);
	if (!e->announced)
		nf9_write_announcement(e, now_ms);

	guint8 sampler_id = nf9_sampler_id(e, rec, now_ms);
	struct nf_writer w = nf9_reserve(e, tpl, len, false, now_ms);

	nf9_write_flow(&w, rec, en, &e->clock, sampler_id);
	nf9_commit(e, &w, len);
	e->flows++;
}

static void nf9_flush(struct rfm_encoder *enc, guint64 now_ms)
{
	struct nf9_encoder *e = nf9_of(enc);

	if (e->msg.len)
		nf9_finish(e, now_ms);
}

static void nf9_announce(struct rfm_encoder *enc, guint64 now_ms)
{
	struct nf9_encoder *e = nf9_of(enc);

	nf9_flush(enc, now_ms);
	nf9_time(e, now_ms, now_ms, now_ms);
	nf9_write_announcement(e, now_ms);
	nf9_finish(e, now_ms);
}

static void nf9_set_sampling(struct rfm_encoder *enc, const struct rfm_export_sampler *s, guint n,
			     guint64 now_ms)
{
	struct nf9_encoder *e = nf9_of(enc);

	if (!nf_sampling_set(&e->sampling, s, n))
		return;
	for (guint i = 0; i < e->sampling.n; i++) {
		const struct rfm_export_sampler *t = &e->sampling.s[i];

		if (t->rate && nf9_sampler_find(e, t->rate, t->mode) == RFM_NF9_MAX_SAMPLERS)
			nf9_sampler_bind(e, t->rate, t->mode);
	}
	/* At once: records already in the open message keep their (old) sampler ids. */
	nf9_time(e, now_ms, now_ms, now_ms);
	if (e->announced) {
		nf9_write_sampling(e, now_ms);
		e->stats.announcements++;
	} else {
		nf9_write_announcement(e, now_ms);
	}
	nf9_finish(e, now_ms);
}

static void nf9_set_interfaces(struct rfm_encoder *enc, const struct rfm_export_interface *ifs,
			       guint n)
{
	struct nf9_encoder *e = nf9_of(enc);

	g_free(e->ifnames);
	e->ifnames = n ? g_new0(struct nf9_ifname, n) : NULL;
	e->n_ifnames = n;
	for (guint i = 0; i < n; i++) {
		e->ifnames[i].ifindex = ifs[i].ifindex;
		if (ifs[i].name) /* truncated, NUL-padded: not a C string when 16 bytes long */
			memcpy(e->ifnames[i].name, ifs[i].name,
			       MIN(strlen(ifs[i].name), RFM_NF9_IF_NAME_LEN));
	}
}

/*
 * RFC 3954 has no element for records the exporter could not send: a
 * collector sees them as gaps in the package sequence. Nothing to keep.
 */
static void nf_set_reliability(struct rfm_encoder *enc, const struct rfm_export_reliability *r)
{
}

static void nf9_get_stats(const struct rfm_encoder *enc, struct rfm_encoder_stats *out)
{
	*out = ((const struct nf9_encoder *)enc)->stats;
}

const struct rfm_encoder_ops rfm_netflow9_encoder = {
	.name = "netflow9",
	.create = nf9_create,
	.destroy = nf9_destroy,
	.add = nf9_add,
	.flush = nf9_flush,
	.announce = nf9_announce,
	.set_sampling = nf9_set_sampling,
	.set_interfaces = nf9_set_interfaces,
	.set_reliability = nf_set_reliability,
	.get_stats = nf9_get_stats,
};

/* --- NetFlow v5 ------------------------------------------------------------ */

#define NF5_HEADER_LEN 24
#define NF5_RECORD_LEN 48

/*
 * DOC: a NetFlow v5 encoder (what rfm_netflow5_encoder's struct rfm_encoder
 * points to). Owned by its creator; emit/user_data are borrowed. The open
 * message holds count records, all of one header sampling_interval.
 */
struct nf5_encoder {
	struct rfm_encoder_params p;
	struct nf_msg msg;
	guint max_records;	/* per packet: 30, or fewer if mtu is smaller */
	guint count;		/* records in msg */
	guint16 interval_field; /* sampling_interval of the records in msg */
	guint64 flow_sequence;	/* records sent before msg */
	struct nf_clock clock;
	struct nf_sampling sampling;
	struct rfm_encoder_stats stats;
};

static inline struct nf5_encoder *nf5_of(struct rfm_encoder *e)
{
	return (struct nf5_encoder *)e;
}

static void nf5_finish(struct nf5_encoder *e, guint64 now_ms)
{
	struct nf_writer w = nf_writer_at(e->msg.data, NF5_HEADER_LEN);

	nf_w16(&w, 5);
	nf_w16(&w, (guint16)e->count);
	nf_w32(&w, nf_clock_uptime(&e->clock, now_ms));
	nf_w32(&w, (guint32)(now_ms / 1000));
	nf_w32(&w, (guint32)(now_ms % 1000 * 1000000));
	nf_w32(&w, (guint32)e->flow_sequence);
	nf_w8(&w, (guint8)(e->p.observation_domain >> 8));
	nf_w8(&w, (guint8)e->p.observation_domain);
	nf_w16(&w, e->interval_field);
	nf_writer_done(&w, "v5 header");

	e->p.emit(e->msg.data, e->msg.len, e->count, e->p.user_data);
	e->stats.messages++;
	e->stats.octets += e->msg.len;
	e->flow_sequence += e->count;
	e->stats.records += e->count;
	e->msg.len = 0;
	e->count = 0;
}

static guint64 nf_mul_sat(guint64 a, guint64 b)
{
	return b && a > G_MAXUINT64 / b ? G_MAXUINT64 : a * b;
}

static guint64 nf_div_ceil(guint64 a, guint64 b)
{
	return a / b + (a % b != 0);
}

static guint16 nf5_as(guint32 asn)
{
	return asn > G_MAXUINT16 ? RFM_NF_AS_TRANS : (guint16)asn;
}

static guint16 nf5_if(guint32 ifindex)
{
	return ifindex > G_MAXUINT16 ? 0 : (guint16)ifindex;
}

static void nf5_add(struct rfm_encoder *enc, const struct rfm_flow_record *rec,
		    const struct rfm_enrichment *en, guint64 now_ms)
{
	static const guint8 zero[4];
	struct nf5_encoder *e = nf5_of(enc);
	guint32 rate = rec->sampling ? rec->sampling : 1;
	guint64 scale = 1;
	guint16 field;

	if (rec->key.ip_version != 4) {
		e->stats.not_exportable++;
		return;
	}
	if (rate <= RFM_NF5_MAX_INTERVAL) {
		/* Mode in bits 15..14: 01 deterministic (packet interval), 10 random. */
		field = (guint16)(nf_algorithm(nf_record_mode(&e->sampling, rec)) << 14 | rate);
	} else {
		field = 1; /* estimates: "not sampled, interval 1", see netflow.h */
		scale = rate;
	}
	if (e->count && field != e->interval_field)
		nf5_finish(e, now_ms);
	if (!nf_clock_fits(&e->clock, MIN(rec->start_ms, now_ms), MAX(rec->end_ms, now_ms))) {
		if (e->count)
			nf5_finish(e, now_ms);
		nf_clock_rebase(&e->clock, MIN(rec->start_ms, now_ms));
	}
	e->interval_field = field;

	guint64 packets = nf_mul_sat(rec->packets, scale);
	guint64 octets = nf_mul_sat(rec->octets, scale);
	guint64 parts = MAX(nf_div_ceil(packets, G_MAXUINT32), nf_div_ceil(octets, G_MAXUINT32));
	guint32 in, out;

	nf_interfaces(rec, &in, &out);
	parts = MAX(parts, 1);
	for (guint64 k = 0; k < parts; k++) {
		if (e->count == e->max_records)
			nf5_finish(e, now_ms);
		if (!e->count)
			e->msg.len = NF5_HEADER_LEN;

		/* The record format of Cisco's NetFlow v5 (no RFC). */
		struct nf_writer w = nf_writer_at(e->msg.data + e->msg.len, NF5_RECORD_LEN);

		nf_wbytes(&w, rec->key.src_addr, 4);
		nf_wbytes(&w, rec->key.dst_addr, 4);
		nf_wbytes(&w, rec->has_next_hop ? rec->next_hop : zero, 4);
		nf_w16(&w, nf5_if(in));
		nf_w16(&w, nf5_if(out));
		nf_w32(&w, (guint32)(packets / parts + (k < packets % parts)));
		nf_w32(&w, (guint32)(octets / parts + (k < octets % parts)));
		nf_w32(&w, nf_clock_uptime(&e->clock, rec->start_ms));
		nf_w32(&w, nf_clock_uptime(&e->clock, rec->end_ms));
		nf_w16(&w, rec->key.src_port);
		nf_w16(&w, rec->key.dst_port);
		nf_w8(&w, 0); /* pad1 */
		nf_w8(&w, rec->tcp_flags);
		nf_w8(&w, rec->key.protocol);
		nf_w8(&w, (guint8)(rec->dscp << 2));
		nf_w16(&w, nf5_as(en ? en->src_asn : 0));
		nf_w16(&w, nf5_as(en ? en->dst_asn : 0));
		nf_w8(&w, en ? en->src_prefix_len : 0);
		nf_w8(&w, en ? en->dst_prefix_len : 0);
		nf_w16(&w, 0); /* pad2 */
		nf_writer_done(&w, "v5 record");
		e->msg.len += NF5_RECORD_LEN;
		e->count++;
	}
}

static void nf5_flush(struct rfm_encoder *enc, guint64 now_ms)
{
	struct nf5_encoder *e = nf5_of(enc);

	if (e->count)
		nf5_finish(e, now_ms);
}

/* v5 has no templates nor options: announcing only sends what is pending. */
static void nf5_announce(struct rfm_encoder *enc, guint64 now_ms)
{
	nf5_flush(enc, now_ms);
}

/* The rate travels in each header; the table only gives the mode of a record's interface. */
static void nf5_set_sampling(struct rfm_encoder *enc, const struct rfm_export_sampler *s, guint n,
			     guint64 now_ms)
{
	nf_sampling_set(&nf5_of(enc)->sampling, s, n);
}

static void nf5_set_interfaces(struct rfm_encoder *enc, const struct rfm_export_interface *ifs,
			       guint n)
{
}

static struct rfm_encoder *nf5_create(const struct rfm_encoder_params *p, GError **error)
{
	g_return_val_if_fail(p && p->emit, NULL);
	if (!nf_check_mtu(p, NF5_HEADER_LEN + NF5_RECORD_LEN, "netflow5", error))
		return NULL;

	struct nf5_encoder *e = g_new0(struct nf5_encoder, 1);

	e->p = *p;
	e->max_records = MIN(RFM_NF5_MAX_RECORDS, (p->mtu - NF5_HEADER_LEN) / NF5_RECORD_LEN);
	e->msg.cap = NF5_HEADER_LEN + e->max_records * NF5_RECORD_LEN;
	e->msg.data = g_malloc(e->msg.cap);
	nf_clock_init(&e->clock, p->start_ms);
	return (struct rfm_encoder *)e;
}

static void nf5_destroy(struct rfm_encoder *enc)
{
	struct nf5_encoder *e = nf5_of(enc);

	if (!e)
		return;
	g_free(e->msg.data);
	g_free(e->sampling.s);
	g_free(e);
}

static void nf5_get_stats(const struct rfm_encoder *enc, struct rfm_encoder_stats *out)
{
	*out = ((const struct nf5_encoder *)enc)->stats;
}

const struct rfm_encoder_ops rfm_netflow5_encoder = {
	.name = "netflow5",
	.create = nf5_create,
	.destroy = nf5_destroy,
	.add = nf5_add,
	.flush = nf5_flush,
	.announce = nf5_announce,
	.set_sampling = nf5_set_sampling,
	.set_interfaces = nf5_set_interfaces,
	.set_reliability = nf_set_reliability,
	.get_stats = nf5_get_stats,
};
