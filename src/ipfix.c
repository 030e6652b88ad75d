/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ipfix.c - the IPFIX encoder (RFC 7011) on libfixbuf 2.4: per encoder its
 * information model (IANA + rfm's enterprise elements), session, templates,
 * message buffer, sampler ids and the tables the options records announce.
 * The only module that includes <fixbuf/public.h>.
 *
 * libfixbuf writes into memory: a buffer exporter (fbExporterAllocBuffer)
 * of params->mtu bytes receives each message fBufEmit() finishes, and this
 * module hands it to params->emit. The buffer runs in manual mode: when a
 * record does not fit, fBufAppend() fails with FB_ERROR_EOM and the record
 * goes into the next message. libfixbuf starts a new message for templates
 * and again for the first data record after them, so an announcement is
 * template messages (each options template ends one, see ipfix_announce())
 * followed by options record messages. destroy() drops a message not
 * flushed. libfixbuf keeps the
 * sequence number per observation domain, counting every data record
 * (options data records too, RFC 7011 section 3.1). Before a message
 * leaves, two fixes: the export time becomes now_ms / 1000 of the call that
 * emits it, and an empty set (libfixbuf 2.4 leaves a bare set header when
 * a variable-length record overflows; RFC 7011 section 3.3.1 wants one
 * record or more, and nfdump stops reading a message at such a set) is cut.
 *
 * Enterprise elements: templates/rfm-elements.xml, embedded at build time,
 * is loaded with fbInfoModelReadXMLData() after every cert:enterpriseId in
 * its text has been replaced by the configured number, so the elements
 * take that PEN without a second definition. libfixbuf's XML reader skips
 * descriptions: they are read here and set on the loaded elements, for the
 * RFC 5610 type records.
 *
 * Sampling, as nfdump 1.7.1 and pmacct 1.7.7 read it (tried against
 * both): when every interface samples alike, one options record scoped to
 * the observation domain gives samplingInterval (IE 34), samplingAlgorithm
 * (IE 35) and the same rate as samplingPacketInterval 1 and
 * samplingPacketSpace N-1 (IE 305/306: the only form nfdump 1.7.1 reads,
 * and only without a samplerId), and data records carry samplerId (IE 48)
 * 0. Otherwise one record per interface and direction, scoped to
 * ingressInterface or egressInterface, binds a samplerId to a rate and
 * algorithm, and each data record carries the samplerId of its rate:
 * pmacct scales by it, nfdump 1.7.1 does not scale at all (its sampler ids
 * do not work). Neither reads the interface scope. A record sampled at a
 * rate no options record has announced (a flow that outlived a rate
 * change) gets its own per-interface record first.
 */
#include "ipfix.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

#include <fixbuf/public.h>

#include "log.h"

/* Generated from templates/rfm-elements.xml by cmake/embed.cmake. */
extern const unsigned char rfm_elements_xml[];
extern const unsigned int rfm_elements_xml_len;

G_DEFINE_QUARK(rfm - ipfix - error - quark, rfm_ipfix_error)

#define IPFIX_HEADER_LEN     16
#define IPFIX_SET_HEADER_LEN 4
#define IPFIX_VERSION	     10
#define N_STRINGS	     6

/* samplingAlgorithm (IE 35) values. */
enum sampling_algorithm {
	ALGORITHM_SYSTEMATIC = 1, /* deterministic: every Nth packet */
	ALGORITHM_RANDOM = 2,
};

/* Spec flags selecting the optional parts of a template. */
#define F_V4	   0x01u /* IPv4 flow: addresses, next hop, ICMP type, prefix lengths */
#define F_V6	   0x02u
#define F_NH4	   0x04u /* IPv4 BGP next hop */
#define F_NH6	   0x08u
#define F_INTERNAL 0x10u /* padding of the in-memory record only */
#define F_ALL	   (F_V4 | F_V6 | F_NH4 | F_NH6 | F_INTERNAL)

/*
 * DOC: a flow record as libfixbuf reads it (the internal template, every
 * optional part). libfixbuf lays an internal record out as the sum of its
 * element lengths, so the fields are ordered by size and the struct has no
 * padding the template does not name. IPv4 addresses in host byte order,
 * as libfixbuf wants; IPv6 addresses in network byte order. The strings are
 * borrowed from the enrichment for the append only.
 */
struct flow_rec {
	guint64 octets, packets, start_ms, end_ms;
	guint8 src6[16], dst6[16], next_hop6[16], bgp_next_hop6[16];
	guint32 src4, dst4, next_hop4, bgp_next_hop4;
	guint32 ingress, egress, src_as, dst_as, next_as, prev_as;
	guint16 src_port, dst_port, icmp4, icmp6, vlan;
	guint8 protocol, tos, tcp_flags, src_plen4, dst_plen4, src_plen6, dst_plen6;
	guint8 direction, end_reason, sampler_id, src_asn_source, dst_asn_source;
	guint8 pad[2];
	fbVarfield_t strings[N_STRINGS];
};
_Static_assert(offsetof(struct flow_rec, strings) == 160, "flow_rec fixed part");
_Static_assert(sizeof(struct flow_rec) == 160 + N_STRINGS * sizeof(fbVarfield_t), "flow_rec size");

/* Wire order = record order; strings last. */
static fbInfoElementSpec_t flow_spec[] = {
	{"octetDeltaCount", 8, 0},
	{"packetDeltaCount", 8, 0},
	{"flowStartMilliseconds", 8, 0},
	{"flowEndMilliseconds", 8, 0},
	{"sourceIPv6Address", 16, F_V6},
	{"destinationIPv6Address", 16, F_V6},
	{"ipNextHopIPv6Address", 16, F_V6},
	{"bgpNextHopIPv6Address", 16, F_NH6},
	{"sourceIPv4Address", 4, F_V4},
	{"destinationIPv4Address", 4, F_V4},
	{"ipNextHopIPv4Address", 4, F_V4},
	{"bgpNextHopIPv4Address", 4, F_NH4},
	{"ingressInterface", 4, 0},
	{"egressInterface", 4, 0},
	{"bgpSourceAsNumber", 4, 0},
	{"bgpDestinationAsNumber", 4, 0},
	{"bgpNextAdjacentAsNumber", 4, 0},
	{"bgpPrevAdjacentAsNumber", 4, 0},
	{"sourceTransportPort", 2, 0},
	{"destinationTransportPort", 2, 0},
	{"icmpTypeCodeIPv4", 2, F_V4},
	{"icmpTypeCodeIPv6", 2, F_V6},
	{"vlanId", 2, 0},
	{"protocolIdentifier", 1, 0},
	{"ipClassOfService", 1, 0},
	{"tcpControlBits", 1, 0},
	{"sourceIPv4PrefixLength", 1, F_V4},
	{"destinationIPv4PrefixLength", 1, F_V4},
	{"sourceIPv6PrefixLength", 1, F_V6},
	{"destinationIPv6PrefixLength", 1, F_V6},
	{"flowDirection", 1, 0},
	{"flowEndReason", 1, 0},
	{"samplerId", 1, 0},
	{"rfmSourceAsnSource", 1, 0},
	{"rfmDestinationAsnSource", 1, 0},
	{"paddingOctets", 2, F_INTERNAL},
	{"rfmSourceCity", FB_IE_VARLEN, 0},
	{"rfmDestinationCity", FB_IE_VARLEN, 0},
	{"rfmSourceCountryCode", FB_IE_VARLEN, 0},
	{"rfmDestinationCountryCode", FB_IE_VARLEN, 0},
	{"rfmSourceAsName", FB_IE_VARLEN, 0},
	{"rfmDestinationAsName", FB_IE_VARLEN, 0},
	FB_IESPEC_NULL,
};

/*
 * DOC: the sampling of the whole observation domain: samplingInterval and
 * samplingAlgorithm, and the same rate as samplingPacketInterval 1 /
 * samplingPacketSpace N-1, the only form nfdump 1.7.1 reads. No samplerId:
 * it applies to the records whose samplerId is 0.
 */
struct sampling_domain_rec {
	guint32 odid;
	guint32 interval;
	guint32 packet_interval;
	guint32 packet_space;
	guint8 algorithm;
	guint8 pad[3];
};

static fbInfoElementSpec_t sampling_domain_spec[] = {
	{"observationDomainId", 4, 0},	  {"samplingInterval", 4, 0},
	{"samplingPacketInterval", 4, 0}, {"samplingPacketSpace", 4, 0},
	{"samplingAlgorithm", 1, 0},	  FB_IESPEC_NULL,
};

/* DOC: the sampling of one interface and direction (the scope), under samplerId. */
struct sampling_rec {
	guint32 ifindex;
	guint32 interval;
	guint8 sampler_id;
	guint8 algorithm;
	guint8 pad[2];
};

static fbInfoElementSpec_t sampling_ingress_spec[] = {
	{"ingressInterface", 4, 0},
	{"samplingInterval", 4, 0},
	{"samplerId", 1, 0},
	{"samplingAlgorithm", 1, 0},
	FB_IESPEC_NULL,
};

static fbInfoElementSpec_t sampling_egress_spec[] = {
	{"egressInterface", 4, 0},
	{"samplingInterval", 4, 0},
	{"samplerId", 1, 0},
	{"samplingAlgorithm", 1, 0},
	FB_IESPEC_NULL,
};

/* DOC: an interface options record (interface table). name is borrowed for the append. */
struct interface_rec {
	guint32 ifindex;
	guint8 pad[4];
	fbVarfield_t name;
};

static fbInfoElementSpec_t interface_spec[] = {
	{"ingressInterface", 4, 0},
	{"paddingOctets", 4, F_INTERNAL},
	{"interfaceName", FB_IE_VARLEN, 0},
	FB_IESPEC_NULL,
};

/*
 * DOC: the Exporting Process Reliability Statistics record (RFC 7011
 * section 4.3). The scope exportingProcessId is the observation domain id.
 * Only notSentFlowTotalCount has export.c's meaning: notSentPacketTotalCount
 * and notSentOctetTotalCount count the packets and octets of the dropped
 * flows, which export.c does not know (its figures count messages and
 * message octets), so they are not sent.
 */
struct reliability_rec {
	guint32 process_id;
	guint8 pad[4];
	guint64 not_sent_flows;
};

static fbInfoElementSpec_t reliability_spec[] = {
	{"exportingProcessId", 4, 0},
	{"paddingOctets", 4, F_INTERNAL},
	{"notSentFlowTotalCount", 8, 0},
	FB_IESPEC_NULL,
};

/* The external templates in the order announce() sends them. */
static const guint16 external_tids[] = {
	RFM_IPFIX_TID_FLOW4,	       RFM_IPFIX_TID_FLOW6,
	RFM_IPFIX_TID_FLOW4_NH6,       RFM_IPFIX_TID_FLOW6_NH4,
	RFM_IPFIX_TID_SAMPLING_DOMAIN, RFM_IPFIX_TID_SAMPLING_INGRESS,
	RFM_IPFIX_TID_SAMPLING_EGRESS, RFM_IPFIX_TID_INTERFACE,
	RFM_IPFIX_TID_RELIABILITY,     RFM_IPFIX_TID_TYPE,
};

/* samplerId is unsigned8: ids 1..255, 0 unused. */
#define SAMPLER_IDS 255

/* DOC: one sampler id: a sampling rate and algorithm some records carry. */
struct sampler_class {
	guint32 rate;
	guint8 mode; /* enum rfm_sample_mode */
	bool used;
	bool announced; /* an options record has bound the id to this rate */
	guint64 last_use;
};

/* DOC: one entry of the sampling table, normalised (no padding bytes). */
struct sampler_entry {
	guint32 ifindex;
	guint32 rate;
	guint8 direction;
	guint8 mode;
};

/* DOC: an interface name (set_interfaces), owned. */
struct iface_entry {
	guint32 ifindex;
	char *name;
};

/*
 * DOC: one IPFIX encoder. Owns the information model, the fBuf (which owns
 * the session and the exporter), the message buffer the exporter writes
 * to, and copies of every table it announces. Touched by the main loop
 * only.
 */
struct rfm_encoder {
	struct rfm_encoder_params p;
	fbInfoModel_t *model;
	fBuf_t *fbuf;
	fbExporter_t *exporter; /* borrowed from fbuf */
	guint8 *msg;		/* p.mtu bytes: the exporter's buffer */
	GPtrArray *elements;	/* struct rfm_ipfix_element: the enterprise elements */
	GPtrArray *descriptions;
	guint16 int_tid, ext_tid; /* templates set on fbuf; 0 = unknown */
	guint string_max;	  /* longest string sent, in bytes */
	guint64 now_ms;		  /* of the current call: the export time */
	guint64 pending_flows;	  /* flow records in the message being filled */
	bool announced;		  /* announce() has run */
	struct sampler_class classes[SAMPLER_IDS + 1];
	guint64 class_clock;
	GArray *samplers;     /* struct sampler_entry, sorted by ifindex, direction */
	guint32 uniform_rate; /* the rate of every entry of samplers, else 0 */
	GArray *interfaces;   /* struct iface_entry, sorted by ifindex */
	struct rfm_export_reliability reliability;
	struct rfm_encoder_stats stats;
};

/* --- element definitions ------------------------------------------------ */

/* DOC: what this module reads from the element file itself (GMarkup), per record. */
struct xml_record {
	GString *name, *pen, *id, *description;
	GString *text; /* the field being read, or NULL */
	int depth;     /* of the description element, 0 outside it */
	bool in_record;
};

struct xml_state {
	struct xml_record cur;
	GPtrArray *names;	 /* char *, owned */
	GPtrArray *descriptions; /* char *, owned; same index as names */
	GArray *ids;		 /* guint16 */
};

static const char *local_name(const char *element)
{
	const char *colon = strchr(element, ':');

	return colon ? colon + 1 : element;
}

static void xml_start(GMarkupParseContext *ctx, const char *element, const char **attr_names,
		      const char **attr_values, gpointer user_data, GError **error)
{
	struct xml_state *st = user_data;
	struct xml_record *r = &st->cur;
	const char *n = local_name(element);

	if (!strcmp(n, "record")) {
		r->in_record = true;
		g_string_truncate(r->name, 0);
		g_string_truncate(r->pen, 0);
		g_string_truncate(r->id, 0);
		g_string_truncate(r->description, 0);
		r->text = NULL;
		r->depth = 0;
		return;
	}
	if (!r->in_record)
		return;
	if (r->depth) {
		r->depth++;
		return;
	}
	if (!strcmp(n, "name"))
		r->text = r->name;
	else if (!strcmp(n, "enterpriseId"))
		r->text = r->pen;
	else if (!strcmp(n, "elementId"))
		r->text = r->id;
	else if (!strcmp(n, "description")) {
		r->text = r->description;
		r->depth = 1;
	}
}

static void xml_end(GMarkupParseContext *ctx, const char *element, gpointer user_data,
		    GError **error)
{
	struct xml_state *st = user_data;
	struct xml_record *r = &st->cur;
	guint64 id;

	if (!r->in_record)
		return;
	if (r->depth) {
		if (--r->depth == 0)
			r->text = NULL;
		else
			g_string_append_c(r->description, ' ');
		return;
	}
	if (strcmp(local_name(element), "record")) {
		r->text = NULL;
		return;
	}
	r->in_record = false;
	g_strstrip(r->name->str);
	g_string_set_size(r->name, strlen(r->name->str));
	g_strstrip(r->pen->str);
	g_strstrip(r->id->str);
	if (!r->name->len || !*r->pen->str ||
	    !g_ascii_string_to_unsigned(r->id->str, 10, 1, 32767, &id, NULL)) {
		/*
		 * Without an enterprise id libfixbuf would load the element
		 * into the IANA space, over a standard element.
		 */
		g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_MODEL,
			    "element file: record '%s' needs name, cert:enterpriseId and an "
			    "elementId 1..32767",
			    r->name->str);
		return;
	}
	g_ptr_array_add(st->names, g_strdup(r->name->str));
	/* Collapse the white space of the XML text. */
	{
		g_auto(GStrv) words = g_strsplit_set(r->description->str, " \t\r\n", -1);
		GString *d = g_string_new(NULL);

		for (char **w = words; *w; w++) {
			if (!**w)
				continue;
			if (d->len)
				g_string_append_c(d, ' ');
			g_string_append(d, *w);
		}
		g_ptr_array_add(st->descriptions, g_string_free(d, FALSE));
	}
	g_array_append_vals(st->ids, &(guint16){(guint16)id}, 1);
}

static void xml_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
		     GError **error)
{
	struct xml_state *st = user_data;

	if (st->cur.in_record && st->cur.text)
		g_string_append_len(st->cur.text, text, (gssize)len);
}

static const GMarkupParser xml_parser = {
	.start_element = xml_start,
	.end_element = xml_end,
	.text = xml_text,
};

static const char *const data_type_names[] = {
	"octetArray",
	"unsigned8",
	"unsigned16",
	"unsigned32",
	"unsigned64",
	"signed8",
	"signed16",
	"signed32",
	"signed64",
	"float32",
	"float64",
	"boolean",
	"macAddress",
	"string",
	"dateTimeSeconds",
	"dateTimeMilliseconds",
	"dateTimeMicroseconds",
	"dateTimeNanoseconds",
	"ipv4Address",
	"ipv6Address",
	"basicList",
	"subTemplateList",
	"subTemplateMultiList",
};

static const char *const semantics_names[] = {
	"default", "quantity", "totalCounter", "deltaCounter", "identifier",
	"flags",   "list",     "snmpCounter",  "snmpGauge",
};

static void element_free(gpointer p)
{
	struct rfm_ipfix_element *el = p;

	g_free(el->name);
	g_free(el->data_type);
	g_free(el->semantics);
	g_free(el->description);
	g_free(el);
}

const char *rfm_ipfix_elements_xml(gsize *len)
{
	if (len)
		*len = rfm_elements_xml_len;
	return (const char *)rfm_elements_xml;
}

/*
 * Load the embedded element file under enterprise number pen into a new
 * information model. *elements gets the enterprise elements as the model
 * holds them; *descriptions the description strings the model points to
 * (they must outlive it).
 */
static fbInfoModel_t *model_load(guint32 pen, GPtrArray **elements, GPtrArray **descriptions,
				 GError **error)
{
	struct xml_state st = {
		.cur = {.name = g_string_new(NULL),
			.pen = g_string_new(NULL),
			.id = g_string_new(NULL),
			.description = g_string_new(NULL)},
		.names = g_ptr_array_new_with_free_func(g_free),
		.descriptions = g_ptr_array_new_with_free_func(g_free),
		.ids = g_array_new(FALSE, FALSE, sizeof(guint16)),
	};
	const char *xml = (const char *)rfm_elements_xml;
	GMarkupParseContext *ctx = g_markup_parse_context_new(&xml_parser, 0, &st, NULL);
	fbInfoModel_t *model = NULL;
	GRegex *re = NULL;
	char *rewritten = NULL, *replacement = NULL;
	bool ok;

	ok = g_markup_parse_context_parse(ctx, xml, rfm_elements_xml_len, error) &&
	     g_markup_parse_context_end_parse(ctx, error);
	g_markup_parse_context_free(ctx);
	if (!ok)
		goto out;
	if (!st.names->len) {
		g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_MODEL,
			    "element file: no element");
		goto out;
	}

	/* The configured enterprise number replaces every one in the text. */
	re = g_regex_new("(<cert:enterpriseId>)\\s*[0-9]+\\s*(</cert:enterpriseId>)", 0, 0, NULL);
	replacement = g_strdup_printf("\\g<1>%u\\g<2>", pen);
	rewritten = g_regex_replace(re, xml, rfm_elements_xml_len, 0, replacement, 0, error);
	if (!rewritten)
		goto out;

	model = fbInfoModelAlloc();
	if (!fbInfoModelReadXMLData(model, rewritten, -1, error)) {
		g_prefix_error(error, "element file: ");
		goto fail;
	}

	*elements = g_ptr_array_new_with_free_func(element_free);
	for (guint i = 0; i < st.names->len; i++) {
		const char *name = st.names->pdata[i];
		const fbInfoElement_t *ie = fbInfoModelGetElementByName(model, name);
		struct rfm_ipfix_element *el;
		fbInfoElement_t copy;

		if (!ie || ie->ent != pen || ie->num != g_array_index(st.ids, guint16, i)) {
			g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_MODEL,
				    "element file: %s not loaded as %u/%u", name, pen,
				    g_array_index(st.ids, guint16, i));
			g_ptr_array_unref(*elements);
			goto fail;
		}
		/* Re-adding an element updates it in place, with the description. */
		copy = *ie;
		copy.ref.name = name;
		copy.description = st.descriptions->pdata[i];
		fbInfoModelAddElement(model, &copy);
		ie = fbInfoModelGetElementByName(model, name);

		el = g_new0(struct rfm_ipfix_element, 1);
		el->name = g_strdup(ie->ref.name);
		el->pen = ie->ent;
		el->id = ie->num;
		el->length = ie->len;
		el->data_type = g_strdup(ie->type < G_N_ELEMENTS(data_type_names)
						 ? data_type_names[ie->type]
						 : "unknown");
		el->semantics = g_strdup(FB_IE_SEMANTIC(ie->flags) < G_N_ELEMENTS(semantics_names)
						 ? semantics_names[FB_IE_SEMANTIC(ie->flags)]
						 : "unknown");
		el->description = g_strdup(ie->description ? ie->description : "");
		g_ptr_array_add(*elements, el);
	}
	*descriptions = g_steal_pointer(&st.descriptions);
	goto out;

fail:
	fbInfoModelFree(model);
	model = NULL;
out:
	g_free(rewritten);
	g_free(replacement);
	if (re)
		g_regex_unref(re);
	g_string_free(st.cur.name, TRUE);
	g_string_free(st.cur.pen, TRUE);
	g_string_free(st.cur.id, TRUE);
	g_string_free(st.cur.description, TRUE);
	g_ptr_array_unref(st.names);
	if (st.descriptions)
		g_ptr_array_unref(st.descriptions);
	g_array_unref(st.ids);
	return model;
}

static gint element_cmp(gconstpointer a, gconstpointer b)
{
	const struct rfm_ipfix_element *x = *(struct rfm_ipfix_element *const *)a;
	const struct rfm_ipfix_element *y = *(struct rfm_ipfix_element *const *)b;

	return (gint)x->id - (gint)y->id;
}

GPtrArray *rfm_ipfix_elements(guint32 pen, GError **error)
{
	GPtrArray *elements = NULL, *descriptions = NULL;
	fbInfoModel_t *model = model_load(pen, &elements, &descriptions, error);

	if (!model)
		return NULL;
	fbInfoModelFree(model);
	g_ptr_array_unref(descriptions);
	g_ptr_array_sort(elements, element_cmp);
	return elements;
}

/* --- messages ----------------------------------------------------------- */

static guint16 get_u16(const guint8 *p)
{
	return (guint16)(p[0] << 8 | p[1]);
}

static void put_u16(guint8 *p, guint16 v)
{
	p[0] = (guint8)(v >> 8);
	p[1] = (guint8)v;
}

/* Cut sets that hold no record (a bare 4-byte header); returns the new length. */
static gsize strip_empty_sets(guint8 *msg, gsize len)
{
	gsize off = IPFIX_HEADER_LEN;

	while (off + IPFIX_SET_HEADER_LEN <= len) {
		guint16 set_len = get_u16(msg + off + 2);

		if (set_len < IPFIX_SET_HEADER_LEN || off + set_len > len)
			break; /* not libfixbuf's doing: leave it */
		if (set_len == IPFIX_SET_HEADER_LEN) {
			memmove(msg + off, msg + off + set_len, len - off - set_len);
			len -= set_len;
			continue;
		}
		off += set_len;
	}
	put_u16(msg + 2, (guint16)len);
	return len;
}

/* Emit the message being filled, if any. */
static void emit_message(struct rfm_encoder *e)
{
	GError *err = NULL;
	guint32 export_time = (guint32)(e->now_ms / 1000), records;
	gsize len;

	/* fBufEmit() without a message writes nothing: a zero version tells. */
	e->msg[0] = e->msg[1] = 0;
	if (!fBufEmit(e->fbuf, &err)) {
		rfm_warning_ratelimited("ipfix: message not finished: %s", err->message);
		g_clear_error(&err);
		return;
	}
	if (get_u16(e->msg) != IPFIX_VERSION)
		return;
	len = strip_empty_sets(e->msg, fbExporterGetMsgLen(e->exporter));
	e->msg[4] = (guint8)(export_time >> 24);
	e->msg[5] = (guint8)(export_time >> 16);
	e->msg[6] = (guint8)(export_time >> 8);
	e->msg[7] = (guint8)export_time;
	records = (guint32)e->pending_flows;
	e->stats.messages++;
	e->stats.octets += len;
	e->stats.records += records;
	e->pending_flows = 0;
	e->p.emit(e->msg, len, records, e->p.user_data);
}

static bool is_eom(const GError *err)
{
	return g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM);
}

static bool set_templates(struct rfm_encoder *e, guint16 int_tid, guint16 ext_tid, GError **err)
{
	if (e->int_tid != int_tid) {
		if (!fBufSetInternalTemplate(e->fbuf, int_tid, err))
			return false;
		e->int_tid = int_tid;
	}
	if (e->ext_tid != ext_tid) {
		if (!fBufSetExportTemplate(e->fbuf, ext_tid, err))
			return false;
		e->ext_tid = ext_tid;
	}
	return true;
}

/* Append one record; when the message is full, emit it and start the next. */
static bool append_record(struct rfm_encoder *e, guint16 int_tid, guint16 ext_tid, void *rec,
			  gsize size)
{
	GError *err = NULL;

	if (!set_templates(e, int_tid, ext_tid, &err))
		goto fail;
	if (fBufAppend(e->fbuf, rec, size, &err))
		return true;
	if (!is_eom(err))
		goto fail;
	g_clear_error(&err);
	emit_message(e);
	if (fBufAppend(e->fbuf, rec, size, &err))
		return true;
fail:
	rfm_warning_ratelimited("ipfix: record of template %u not encoded: %s", ext_tid,
				err->message);
	g_clear_error(&err);
	return false;
}

static void export_template(struct rfm_encoder *e, guint16 tid)
{
	fbSession_t *session = fBufGetSession(e->fbuf);
	GError *err = NULL;

	if (fbSessionExportTemplate(session, tid, &err))
		return;
	if (is_eom(err)) {
		/* libfixbuf starts templates in a message of their own. */
		g_clear_error(&err);
		emit_message(e);
		if (fbSessionExportTemplate(session, tid, &err))
			return;
	}
	rfm_warning_ratelimited("ipfix: template %u not exported: %s", tid, err->message);
	g_clear_error(&err);
}

/* --- sampling ----------------------------------------------------------- */

static guint8 algorithm_of(guint8 mode)
{
	return mode == RFM_SAMPLE_SYSTEMATIC ? ALGORITHM_SYSTEMATIC : ALGORITHM_RANDOM;
}

/* The id of (rate, mode): the one in use, a free one, or the least recently used. */
static guint8 class_get(struct rfm_encoder *e, guint32 rate, guint8 mode)
{
	guint8 free_id = 0, lru_id = 1;

	for (guint id = 1; id <= SAMPLER_IDS; id++) {
		struct sampler_class *c = &e->classes[id];

		if (!c->used) {
			if (!free_id)
				free_id = (guint8)id;
			continue;
		}
		if (c->rate == rate && c->mode == mode) {
			c->last_use = ++e->class_clock;
			return (guint8)id;
		}
		if (c->last_use < e->classes[lru_id].last_use || !e->classes[lru_id].used)
			lru_id = (guint8)id;
	}
	if (!free_id)
		free_id = lru_id;
	e->classes[free_id] = (struct sampler_class){
		.rate = rate, .mode = mode, .used = true, .last_use = ++e->class_clock};
	return free_id;
}

static const struct sampler_entry *sampler_find(const struct rfm_encoder *e, guint32 ifindex,
						guint8 direction)
{
	guint lo = 0, hi = e->samplers->len;

	while (lo < hi) {
		guint mid = (lo + hi) / 2;
		const struct sampler_entry *s =
			&g_array_index(e->samplers, struct sampler_entry, mid);

		if (s->ifindex == ifindex && s->direction == direction)
			return s;
		if (s->ifindex < ifindex || (s->ifindex == ifindex && s->direction < direction))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void append_interface_sampling(struct rfm_encoder *e, guint32 ifindex, guint8 direction,
				      guint8 id)
{
	const struct sampler_class *c = &e->classes[id];
	guint16 tid = direction == RFM_DIR_EGRESS ? RFM_IPFIX_TID_SAMPLING_EGRESS
						  : RFM_IPFIX_TID_SAMPLING_INGRESS;
	struct sampling_rec r = {.ifindex = ifindex,
				 .interval = c->rate,
				 .sampler_id = id,
				 .algorithm = algorithm_of(c->mode)};

	append_record(e, tid, tid, &r, sizeof(r));
}

/* Every interface alike: one rate, one algorithm; that rate, else 0. */
static guint32 sampling_uniform_rate(const GArray *samplers)
{
	const struct sampler_entry *s = (const struct sampler_entry *)samplers->data;

	for (guint i = 1; i < samplers->len; i++)
		if (s[i].rate != s[0].rate || s[i].mode != s[0].mode)
			return 0;
	return samplers->len ? s[0].rate : 0;
}

/* The sampling options records of the current table. */
static void send_sampling(struct rfm_encoder *e)
{
	if (e->uniform_rate) {
		const struct sampler_entry *s = (const struct sampler_entry *)e->samplers->data;
		struct sampling_domain_rec r = {.odid = e->p.observation_domain,
						.interval = s->rate,
						.packet_interval = 1,
						.packet_space = s->rate - 1,
						.algorithm = algorithm_of(s->mode)};

		append_record(e, RFM_IPFIX_TID_SAMPLING_DOMAIN, RFM_IPFIX_TID_SAMPLING_DOMAIN, &r,
			      sizeof(r));
		return;
	}
	for (guint i = 0; i < e->samplers->len; i++) {
		const struct sampler_entry *s =
			&g_array_index(e->samplers, struct sampler_entry, i);
		guint8 id = class_get(e, s->rate, s->mode);

		append_interface_sampling(e, s->ifindex, s->direction, id);
		e->classes[id].announced = true;
	}
}

/*
 * The sampler id of a record: 0 when it was sampled at the rate every
 * interface uses (the domain record describes it); else the id of its rate
 * with the algorithm its interface uses at that rate (else that of another
 * interface at that rate, else random). An id no options record has bound
 * yet (a flow that outlived a rate change) is bound first, by a record for
 * the record's interface.
 */
static guint8 record_sampler(struct rfm_encoder *e, const struct rfm_flow_record *rec)
{
	const struct sampler_entry *s;
	guint8 mode = RFM_SAMPLE_RANDOM, id;

	if (e->uniform_rate && rec->sampling == e->uniform_rate)
		return 0;
	s = sampler_find(e, rec->key.ifindex, rec->key.direction);
	if (s && s->rate == rec->sampling) {
		mode = s->mode;
	} else {
		for (guint i = 0; i < e->samplers->len; i++) {
			s = &g_array_index(e->samplers, struct sampler_entry, i);
			if (s->rate == rec->sampling) {
				mode = s->mode;
				break;
			}
		}
	}
	id = class_get(e, rec->sampling, mode);
	if (!e->classes[id].announced && e->announced) {
		append_interface_sampling(e, rec->key.ifindex, rec->key.direction, id);
		e->classes[id].announced = true;
	}
	return id;
}

static gint sampler_cmp(gconstpointer a, gconstpointer b)
{
	const struct sampler_entry *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (gint)x->direction - (gint)y->direction;
}

/* --- operations --------------------------------------------------------- */

static void set_string(fbVarfield_t *v, const char *s, guint max)
{
	gsize len = s ? strlen(s) : 0;

	if (len > max) {
		/* Cut before a UTF-8 continuation byte, never inside a character. */
		len = max;
		while (len > 0 && ((guchar)s[len] & 0xc0) == 0x80)
			len--;
	}
	v->buf = (uint8_t *)s;
	v->len = len;
}

static guint32 addr4(const guint8 *a)
{
	guint32 v;

	memcpy(&v, a, 4);
	return g_ntohl(v);
}

static void ipfix_add(struct rfm_encoder *e, const struct rfm_flow_record *rec,
		      const struct rfm_enrichment *en, guint64 now_ms)
{
	const struct rfm_flow_key *k = &rec->key;
	bool v6 = k->ip_version == 6;
	bool icmp = k->protocol == 1 || k->protocol == 58;
	struct flow_rec r;
	guint16 tid;

	e->now_ms = now_ms;
	memset(&r, 0, offsetof(struct flow_rec, strings));
	r.octets = rec->octets;
	r.packets = rec->packets;
	r.start_ms = rec->start_ms;
	r.end_ms = rec->end_ms;
	if (v6) {
		memcpy(r.src6, k->src_addr, 16);
		memcpy(r.dst6, k->dst_addr, 16);
		if (rec->has_next_hop)
			memcpy(r.next_hop6, rec->next_hop, 16);
	} else {
		r.src4 = addr4(k->src_addr);
		r.dst4 = addr4(k->dst_addr);
		if (rec->has_next_hop)
			r.next_hop4 = addr4(rec->next_hop);
	}
	if (k->direction == RFM_DIR_INGRESS) {
		r.ingress = k->ifindex;
		r.egress = rec->other_ifindex;
	} else {
		r.ingress = rec->other_ifindex;
		r.egress = k->ifindex;
	}
	if (icmp) {
		r.icmp4 = r.icmp6 = k->dst_port;
	} else {
		r.src_port = k->src_port;
		r.dst_port = k->dst_port;
	}
	r.vlan = k->vlan_id;
	r.protocol = k->protocol;
	r.tos = (guint8)(rec->dscp << 2);
	r.tcp_flags = rec->tcp_flags;
	r.direction = k->direction;
	r.end_reason = rec->end_reason;
	tid = v6 ? RFM_IPFIX_TID_FLOW6 : RFM_IPFIX_TID_FLOW4;
	if (en) {
		r.src_as = en->src_asn;
		r.dst_as = en->dst_asn;
		r.next_as = en->next_as;
		r.prev_as = en->prev_as;
		r.src_plen4 = r.src_plen6 = en->src_prefix_len;
		r.dst_plen4 = r.dst_plen6 = en->dst_prefix_len;
		r.src_asn_source = en->src_asn_source;
		r.dst_asn_source = en->dst_asn_source;
		if (en->bgp_next_hop_version == 4) {
			r.bgp_next_hop4 = addr4(en->bgp_next_hop);
			if (v6)
				tid = RFM_IPFIX_TID_FLOW6_NH4;
		} else if (en->bgp_next_hop_version == 6) {
			memcpy(r.bgp_next_hop6, en->bgp_next_hop, 16);
			if (!v6)
				tid = RFM_IPFIX_TID_FLOW4_NH6;
		}
		set_string(&r.strings[0], en->src_city, e->string_max);
		set_string(&r.strings[1], en->dst_city, e->string_max);
		set_string(&r.strings[2], en->src_country, e->string_max);
		set_string(&r.strings[3], en->dst_country, e->string_max);
		set_string(&r.strings[4], en->src_as_name, e->string_max);
		set_string(&r.strings[5], en->dst_as_name, e->string_max);
	} else {
		memset(r.strings, 0, sizeof(r.strings));
	}
	r.sampler_id = record_sampler(e, rec);
	if (append_record(e, RFM_IPFIX_TID_FLOW4, tid, &r, sizeof(r)))
		e->pending_flows++;
	else
		e->stats.not_exportable++;
}

static void ipfix_flush(struct rfm_encoder *e, guint64 now_ms)
{
	e->now_ms = now_ms;
	emit_message(e);
}

static void send_type_records(struct rfm_encoder *e)
{
	for (guint i = 0; i < e->elements->len; i++) {
		const struct rfm_ipfix_element *el = e->elements->pdata[i];
		const fbInfoElement_t *ie = fbInfoModelGetElementByName(e->model, el->name);
		GError *err = NULL;
		bool ok;

		/* It sets the templates itself. */
		e->int_tid = e->ext_tid = 0;
		ok = fbInfoElementWriteOptionsRecord(e->fbuf, ie, RFM_IPFIX_TID_TYPE,
						     RFM_IPFIX_TID_TYPE, &err);
		if (!ok && is_eom(err)) {
			g_clear_error(&err);
			emit_message(e);
			ok = fbInfoElementWriteOptionsRecord(e->fbuf, ie, RFM_IPFIX_TID_TYPE,
							     RFM_IPFIX_TID_TYPE, &err);
		}
		if (!ok) {
			rfm_warning_ratelimited("ipfix: type record of %s not encoded: %s",
						el->name, err->message);
			g_clear_error(&err);
		}
	}
	e->int_tid = e->ext_tid = 0;
}

static void send_interfaces(struct rfm_encoder *e)
{
	for (guint i = 0; i < e->interfaces->len; i++) {
		const struct iface_entry *f = &g_array_index(e->interfaces, struct iface_entry, i);
		struct interface_rec r = {.ifindex = f->ifindex};

		set_string(&r.name, f->name, e->string_max);
		append_record(e, RFM_IPFIX_TID_INTERFACE, RFM_IPFIX_TID_INTERFACE, &r, sizeof(r));
	}
}

static void send_reliability(struct rfm_encoder *e)
{
	struct reliability_rec r = {.process_id = e->p.observation_domain,
				    .not_sent_flows = e->reliability.not_sent_records};

	append_record(e, RFM_IPFIX_TID_RELIABILITY, RFM_IPFIX_TID_RELIABILITY, &r, sizeof(r));
}

static void ipfix_announce(struct rfm_encoder *e, guint64 now_ms)
{
	e->now_ms = now_ms;
	emit_message(e);
	for (gsize i = 0; i < G_N_ELEMENTS(external_tids); i++) {
		export_template(e, external_tids[i]);
		/*
		 * One options template per Options Template Set: pmacct 1.7.7
		 * misreads the second template of a set and nfdump 1.7.1 reads
		 * only the first. libfixbuf adds templates to the open set, so
		 * each options template closes its message.
		 */
		if (external_tids[i] >= RFM_IPFIX_TID_SAMPLING_DOMAIN)
			emit_message(e);
	}
	e->announced = true;
	/* Type records first: a collector can then name what follows. */
	send_type_records(e);
	send_sampling(e);
	send_interfaces(e);
	send_reliability(e);
	emit_message(e);
	e->stats.announcements++;
}

static void ipfix_set_sampling(struct rfm_encoder *e, const struct rfm_export_sampler *s, guint n,
			       guint64 now_ms)
{
	GArray *table = g_array_sized_new(FALSE, FALSE, sizeof(struct sampler_entry), n);
	guint kept = 0;

	for (guint i = 0; i < n; i++) {
		struct sampler_entry x = {.ifindex = s[i].ifindex,
					  .rate = s[i].rate,
					  .direction = s[i].direction,
					  .mode = s[i].mode};

		g_array_append_val(table, x);
	}
	/* Sorted; of two entries for one interface and direction the later wins. */
	g_array_sort(table, sampler_cmp);
	for (guint i = 0; i < table->len; i++) {
		struct sampler_entry *x = &g_array_index(table, struct sampler_entry, i);

		if (kept && !sampler_cmp(x, &g_array_index(table, struct sampler_entry, kept - 1)))
			kept--;
		g_array_index(table, struct sampler_entry, kept++) = *x;
	}
	g_array_set_size(table, kept);

	if (table->len == e->samplers->len &&
	    !memcmp(table->data, e->samplers->data, table->len * sizeof(struct sampler_entry))) {
		g_array_unref(table);
		return;
	}
	g_array_unref(e->samplers);
	e->samplers = table;
	e->uniform_rate = sampling_uniform_rate(table);
	if (!e->announced)
		return; /* announce() sends it, after the templates */
	/* Records sampled before the change leave first, then the new rates. */
	e->now_ms = now_ms;
	emit_message(e);
	send_sampling(e);
	emit_message(e);
	e->stats.announcements++;
}

static gint iface_cmp(gconstpointer a, gconstpointer b)
{
	const struct iface_entry *x = a, *y = b;

	return x->ifindex < y->ifindex ? -1 : x->ifindex > y->ifindex;
}

static void iface_clear(gpointer p)
{
	g_free(((struct iface_entry *)p)->name);
}

static void ipfix_set_interfaces(struct rfm_encoder *e, const struct rfm_export_interface *ifs,
				 guint n)
{
	g_array_set_size(e->interfaces, 0);
	for (guint i = 0; i < n; i++) {
		struct iface_entry f = {.ifindex = ifs[i].ifindex,
					.name = g_strdup(ifs[i].name ? ifs[i].name : "")};

		g_array_append_val(e->interfaces, f);
	}
	g_array_sort(e->interfaces, iface_cmp);
}

static void ipfix_set_reliability(struct rfm_encoder *e, const struct rfm_export_reliability *r)
{
	e->reliability = *r;
}

static void ipfix_get_stats(const struct rfm_encoder *e, struct rfm_encoder_stats *out)
{
	*out = e->stats;
}

static void ipfix_destroy(struct rfm_encoder *e)
{
	if (!e)
		return;
	if (e->fbuf)
		fBufFree(e->fbuf); /* and its session and exporter */
	g_free(e->msg);
	if (e->model)
		fbInfoModelFree(e->model);
	if (e->elements)
		g_ptr_array_unref(e->elements);
	if (e->descriptions)
		g_ptr_array_unref(e->descriptions);
	if (e->samplers)
		g_array_unref(e->samplers);
	if (e->interfaces)
		g_array_unref(e->interfaces);
	g_free(e);
}

/* --- creation ----------------------------------------------------------- */

static fbTemplate_t *template_build(fbInfoModel_t *model, fbInfoElementSpec_t *spec, guint32 flags,
				    guint16 scope, GError **error)
{
	fbTemplate_t *t = fbTemplateAlloc(model);

	if (!fbTemplateAppendSpecArray(t, spec, flags, error)) {
		fbTemplateFreeUnused(t);
		return NULL;
	}
	if (scope)
		fbTemplateSetOptionsScope(t, scope);
	return t;
}

/*
 * Add the external template ext_tid (the parts ext_flags selects) to the
 * session and, unless int_tid is 0, the internal one: the in-memory layout
 * of a record of record_size bytes.
 */
static bool template_add(fbSession_t *session, fbInfoModel_t *model, guint16 int_tid,
			 guint16 ext_tid, fbInfoElementSpec_t *spec, guint32 ext_flags,
			 guint16 scope, gsize record_size, GError **error)
{
	fbTemplate_t *t;

	if (int_tid) {
		/* The in-memory record has every optional part and the padding. */
		t = template_build(model, spec, F_ALL, scope, error);
		if (!t)
			return false;
		if (fbTemplateGetIELenOfMemBuffer(t) > record_size) {
			g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_FIXBUF,
				    "template %u: %u bytes in memory, the record has %zu", int_tid,
				    fbTemplateGetIELenOfMemBuffer(t), record_size);
			fbTemplateFreeUnused(t);
			return false;
		}
		if (!fbSessionAddTemplate(session, TRUE, int_tid, t, error)) {
			fbTemplateFreeUnused(t);
			return false;
		}
	}
	t = template_build(model, spec, ext_flags, scope, error);
	if (!t)
		return false;
	if (!fbSessionAddTemplate(session, FALSE, ext_tid, t, error)) {
		fbTemplateFreeUnused(t);
		return false;
	}
	return true;
}

/* Wire length of the largest flow record with empty strings. */
static guint flow_fixed_length(void)
{
	static const guint32 variants[] = {F_V4 | F_NH4, F_V6 | F_NH6, F_V4 | F_NH6, F_V6 | F_NH4};
	guint longest = 0;

	for (gsize i = 0; i < G_N_ELEMENTS(variants); i++) {
		guint len = 0;

		for (const fbInfoElementSpec_t *s = flow_spec; s->name; s++)
			if ((s->flags & variants[i]) == s->flags && s->len_override != FB_IE_VARLEN)
				len += s->len_override;
		longest = MAX(longest, len);
	}
	return longest;
}

guint rfm_ipfix_string_max(guint32 mtu)
{
	guint budget;

	mtu = CLAMP(mtu, RFM_IPFIX_MTU_MIN, RFM_IPFIX_MTU_MAX);
	budget = mtu - IPFIX_HEADER_LEN - IPFIX_SET_HEADER_LEN - flow_fixed_length();
	/* Each string takes up to 3 bytes of length (RFC 7011 section 7). */
	return budget / N_STRINGS - 3;
}

static struct rfm_encoder *ipfix_create(const struct rfm_encoder_params *p, GError **error)
{
	struct rfm_encoder *e;
	fbSession_t *session;

	if (p->mtu < RFM_IPFIX_MTU_MIN || p->mtu > RFM_IPFIX_MTU_MAX) {
		g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_PARAMS,
			    "ipfix: mtu %u outside %u..%u", p->mtu, RFM_IPFIX_MTU_MIN,
			    RFM_IPFIX_MTU_MAX);
		return NULL;
	}
	if (!p->enterprise_number) {
		g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_PARAMS,
			    "ipfix: enterprise number 0 is IANA's");
		return NULL;
	}
	if (!p->emit) {
		g_set_error(error, RFM_IPFIX_ERROR, RFM_IPFIX_ERROR_PARAMS,
			    "ipfix: no emit function");
		return NULL;
	}

	e = g_new0(struct rfm_encoder, 1);
	e->p = *p;
	e->samplers = g_array_new(FALSE, FALSE, sizeof(struct sampler_entry));
	e->interfaces = g_array_new(FALSE, FALSE, sizeof(struct iface_entry));
	g_array_set_clear_func(e->interfaces, iface_clear);
	e->model = model_load(p->enterprise_number, &e->elements, &e->descriptions, error);
	if (!e->model)
		goto fail;

	/* Every template joins the session before the buffer: none is sent yet. */
	session = fbSessionAlloc(e->model);
	fbSessionSetDomain(session, p->observation_domain);
	if (!template_add(session, e->model, RFM_IPFIX_TID_FLOW4, RFM_IPFIX_TID_FLOW4, flow_spec,
			  F_V4 | F_NH4, 0, sizeof(struct flow_rec), error) ||
	    !template_add(session, e->model, 0, RFM_IPFIX_TID_FLOW6, flow_spec, F_V6 | F_NH6, 0, 0,
			  error) ||
	    !template_add(session, e->model, 0, RFM_IPFIX_TID_FLOW4_NH6, flow_spec, F_V4 | F_NH6, 0,
			  0, error) ||
	    !template_add(session, e->model, 0, RFM_IPFIX_TID_FLOW6_NH4, flow_spec, F_V6 | F_NH4, 0,
			  0, error) ||
	    !template_add(session, e->model, RFM_IPFIX_TID_SAMPLING_DOMAIN,
			  RFM_IPFIX_TID_SAMPLING_DOMAIN, sampling_domain_spec, 0, 1,
			  sizeof(struct sampling_domain_rec), error) ||
	    !template_add(session, e->model, RFM_IPFIX_TID_SAMPLING_INGRESS,
			  RFM_IPFIX_TID_SAMPLING_INGRESS, sampling_ingress_spec, 0, 1,
			  sizeof(struct sampling_rec), error) ||
	    !template_add(session, e->model, RFM_IPFIX_TID_SAMPLING_EGRESS,
			  RFM_IPFIX_TID_SAMPLING_EGRESS, sampling_egress_spec, 0, 1,
			  sizeof(struct sampling_rec), error) ||
	    !template_add(session, e->model, RFM_IPFIX_TID_INTERFACE, RFM_IPFIX_TID_INTERFACE,
			  interface_spec, 0, 1, sizeof(struct interface_rec), error) ||
	    !template_add(session, e->model, RFM_IPFIX_TID_RELIABILITY, RFM_IPFIX_TID_RELIABILITY,
			  reliability_spec, 0, 1, sizeof(struct reliability_rec), error)) {
		g_prefix_error(error, "ipfix: ");
		fbSessionFree(session);
		goto fail;
	}
	{
		fbTemplate_t *type = fbInfoElementAllocTypeTemplate(e->model, error);

		if (!type ||
		    !fbSessionAddTemplate(session, TRUE, RFM_IPFIX_TID_TYPE, type, error) ||
		    !fbSessionAddTemplate(session, FALSE, RFM_IPFIX_TID_TYPE, type, error)) {
			g_prefix_error(error, "ipfix: type template: ");
			fbSessionFree(session);
			goto fail;
		}
	}

	e->msg = g_malloc0(p->mtu);
	e->exporter = fbExporterAllocBuffer(e->msg, (uint16_t)p->mtu);
	e->fbuf = fBufAllocForExport(session, e->exporter);
	fBufSetAutomaticMode(e->fbuf, FALSE);

	e->string_max = rfm_ipfix_string_max(p->mtu);
	return e;

fail:
	ipfix_destroy(e);
	return NULL;
}

const struct rfm_encoder_ops rfm_ipfix_encoder = {
	.name = "ipfix",
	.create = ipfix_create,
	.destroy = ipfix_destroy,
	.add = ipfix_add,
	.flush = ipfix_flush,
	.announce = ipfix_announce,
	.set_sampling = ipfix_set_sampling,
	.set_interfaces = ipfix_set_interfaces,
	.set_reliability = ipfix_set_reliability,
	.get_stats = ipfix_get_stats,
};
