/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * ipfix.h - the IPFIX encoder (RFC 7011) built on libfixbuf: the
 * rfm_ipfix_encoder operations of encoder.h, and read access to the
 * enterprise-specific elements rfm loads from its embedded
 * templates/rfm-elements.xml (for tools and the tests that keep the
 * shipped decoder files in step with it).
 *
 * What goes on the wire, per observation domain (params->observation_domain):
 *   data templates 256 (IPv4), 257 (IPv6), 258 (IPv4 flow, IPv6 BGP next
 *   hop), 259 (IPv6 flow, IPv4 BGP next hop); options templates 260
 *   (sampling, scope observationDomainId), 261/262 (sampling, scope
 *   ingressInterface / egressInterface), 263 (interface names), 264
 *   (exporting process reliability, RFC 7011 section 4.3), 265 (RFC 5610
 *   information element type records).
 * Sampling: one record scoped to the observation domain when every
 * interface samples at one rate and algorithm (data records carry samplerId
 * 0), else one per interface and direction binding a samplerId (IE 48) to
 * samplingInterval (IE 34) and samplingAlgorithm (IE 35), the samplerId
 * then in every data record. ipfix.c says what nfdump and pmacct make of it.
 */
#ifndef RFM_IPFIX_H
#define RFM_IPFIX_H

#include <glib.h>

#include "encoder.h"

#define RFM_IPFIX_ERROR (rfm_ipfix_error_quark())
GQuark rfm_ipfix_error_quark(void);

enum rfm_ipfix_error {
	RFM_IPFIX_ERROR_PARAMS, /* a parameter out of range (mtu, enterprise number) */
	RFM_IPFIX_ERROR_MODEL,	/* the element definitions do not load */
	RFM_IPFIX_ERROR_FIXBUF, /* libfixbuf refused a template or a record */
};

/* rfm's default private enterprise number: RFC 5612's documentation PEN. */
#define RFM_IPFIX_PEN_DEFAULT 32473
/* Smallest and largest params->mtu accepted. */
#define RFM_IPFIX_MTU_MIN 512
#define RFM_IPFIX_MTU_MAX 65535

/* Template ids (see above). */
enum rfm_ipfix_template_id {
	RFM_IPFIX_TID_FLOW4 = 256,
	RFM_IPFIX_TID_FLOW6 = 257,
	RFM_IPFIX_TID_FLOW4_NH6 = 258,
	RFM_IPFIX_TID_FLOW6_NH4 = 259,
	RFM_IPFIX_TID_SAMPLING_DOMAIN = 260,
	RFM_IPFIX_TID_SAMPLING_INGRESS = 261,
	RFM_IPFIX_TID_SAMPLING_EGRESS = 262,
	RFM_IPFIX_TID_INTERFACE = 263,
	RFM_IPFIX_TID_RELIABILITY = 264,
	RFM_IPFIX_TID_TYPE = 265,
};

/* DOC: one enterprise-specific element as rfm's information model holds it. Owns its strings. */
struct rfm_ipfix_element {
	char *name;
	guint32 pen;
	guint16 id;
	guint16 length;	   /* default encoding length; 65535 = variable */
	char *data_type;   /* IANA name: "string", "unsigned8", ... */
	char *semantics;   /* IANA name: "default", "identifier", ... */
	char *description; /* from the XML's description paragraphs */
};

/*
 * The enterprise-specific elements of the embedded element file, loaded
 * into a libfixbuf information model under enterprise number pen exactly as
 * an encoder loads them, in element id order. A GPtrArray of struct
 * rfm_ipfix_element (freed with the array), or NULL with error set.
 */
GPtrArray *rfm_ipfix_elements(guint32 pen, GError **error);

/*
 * The longest string (city, country, AS name), in bytes, an encoder with
 * this mtu sends: each is cut to an equal share of what the largest fixed
 * part of a flow record leaves in an empty message, so every record fits.
 * A cut string ends before a UTF-8 character that would not fit whole.
 */
guint rfm_ipfix_string_max(guint32 mtu);

/* The embedded element file (templates/rfm-elements.xml), NUL-terminated; *len excludes the NUL. */
const char *rfm_ipfix_elements_xml(gsize *len);

#endif /* RFM_IPFIX_H */
