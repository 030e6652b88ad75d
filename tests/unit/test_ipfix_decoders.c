/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * test_ipfix_decoders.c - the decoder files shipped in templates/ agree with
 * the element definitions: each file (pmacct-primitives.lst,
 * goflow2-mapping.yaml, python-ipfix.iespec) is parsed here and every
 * element's name, enterprise number, id, type and length compared with
 * templates/rfm-elements.xml (read here with GMarkup) and with what rfm's
 * own information model holds after loading its embedded copy
 * (rfm_ipfix_elements()). The embedded copy must be the shipped file, and
 * another enterprise number must move every element.
 */
#include <string.h>

#include <glib.h>

#include "ipfix.h"

/* DOC: one record of the element file as this test reads it. */
struct xml_el {
	char *name, *pen, *id, *type, *semantics, *key;
	GString *description;
};

/* DOC: GMarkup state: the records so far and the field being read. */
struct xml_read {
	GPtrArray *els; /* struct xml_el */
	struct xml_el *cur;
	char **field;
	int in_description;
};

static void xml_el_free(gpointer p)
{
	struct xml_el *e = p;

	g_free(e->name);
	g_free(e->pen);
	g_free(e->id);
	g_free(e->type);
	g_free(e->semantics);
	g_free(e->key);
	g_string_free(e->description, TRUE);
	g_free(e);
}

static void on_start(GMarkupParseContext *ctx, const char *element, const char **an,
		     const char **av, gpointer user_data, GError **error)
{
	struct xml_read *r = user_data;

	if (!strcmp(element, "record")) {
		r->cur = g_new0(struct xml_el, 1);
		r->cur->description = g_string_new(NULL);
		g_ptr_array_add(r->els, r->cur);
		return;
	}
	if (!r->cur)
		return;
	if (!strcmp(element, "description"))
		r->in_description = 1;
	else if (!strcmp(element, "name"))
		r->field = &r->cur->name;
	else if (!strcmp(element, "cert:enterpriseId"))
		r->field = &r->cur->pen;
	else if (!strcmp(element, "elementId"))
		r->field = &r->cur->id;
	else if (!strcmp(element, "dataType"))
		r->field = &r->cur->type;
	else if (!strcmp(element, "dataTypeSemantics"))
		r->field = &r->cur->semantics;
	else if (!strcmp(element, "rfm:jsonKey"))
		r->field = &r->cur->key;
}

static void on_end(GMarkupParseContext *ctx, const char *element, gpointer user_data,
		   GError **error)
{
	struct xml_read *r = user_data;

	r->field = NULL;
	if (!strcmp(element, "description"))
		r->in_description = 0;
	if (!strcmp(element, "record"))
		r->cur = NULL;
}

static void on_text(GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
		    GError **error)
{
	struct xml_read *r = user_data;

	if (r->field) {
		g_free(*r->field);
		*r->field = g_strstrip(g_strndup(text, len));
	} else if (r->in_description) {
		g_string_append_len(r->cur->description, text, (gssize)len);
	}
}

static char *source_path(const char *name)
{
	return g_build_filename(RFM_SOURCE_DIR, "templates", name, NULL);
}

static char *read_text(const char *name)
{
	char *path = source_path(name), *text = NULL;
	GError *err = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, &err));
	g_assert_no_error(err);
	g_free(path);
	return text;
}

/* The records of templates/rfm-elements.xml, in file order. */
static GPtrArray *xml_elements(void)
{
	static const GMarkupParser parser = {
		.start_element = on_start, .end_element = on_end, .text = on_text};
	struct xml_read r = {.els = g_ptr_array_new_with_free_func(xml_el_free)};
	char *text = read_text("rfm-elements.xml");
	GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &r, NULL);
	GError *err = NULL;

	g_assert_true(g_markup_parse_context_parse(ctx, text, -1, &err));
	g_assert_true(g_markup_parse_context_end_parse(ctx, &err));
	g_assert_no_error(err);
	g_markup_parse_context_free(ctx);
	g_free(text);
	g_assert_cmpuint(r.els->len, >, 0);
	for (guint i = 0; i < r.els->len; i++) {
		struct xml_el *e = r.els->pdata[i];

		g_assert_nonnull(e->name);
		g_assert_nonnull(e->pen);
		g_assert_nonnull(e->id);
		g_assert_nonnull(e->type);
		g_assert_nonnull(e->semantics);
		g_assert_nonnull(e->key);
	}
	return r.els;
}

static guint64 num(const char *s)
{
	guint64 v;
	GError *err = NULL;

	g_assert_true(g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT32, &v, &err));
	g_assert_no_error(err);
	return v;
}

/* The XML's element with that id, or abort. */
static const struct xml_el *by_id(GPtrArray *els, guint64 id)
{
	for (guint i = 0; i < els->len; i++)
		if (num(((struct xml_el *)els->pdata[i])->id) == id)
			return els->pdata[i];
	g_error("no element %" G_GUINT64_FORMAT " in rfm-elements.xml", id);
	return NULL;
}

static char *collapse(const char *s)
{
	g_auto(GStrv) words = g_strsplit_set(s, " \t\r\n", -1);
	GString *out = g_string_new(NULL);

	for (char **w = words; *w; w++)
		if (**w)
			g_string_append_printf(out, "%s%s", out->len ? " " : "", *w);
	return g_string_free(out, FALSE);
}

/* What rfm's information model holds: the XML's elements, names, ids, types, descriptions. */
static void test_model(void)
{
	GPtrArray *xml = xml_elements();
	GError *err = NULL;
	guint32 pen = (guint32)num(((struct xml_el *)xml->pdata[0])->pen);
	GPtrArray *model = rfm_ipfix_elements(pen, &err);

	g_assert_no_error(err);
	g_assert_cmpuint(pen, ==, RFM_IPFIX_PEN_DEFAULT);
	g_assert_cmpuint(model->len, ==, xml->len);
	for (guint i = 0; i < model->len; i++) {
		const struct rfm_ipfix_element *m = model->pdata[i];
		const struct xml_el *x = by_id(xml, m->id);
		char *d = collapse(x->description->str);

		g_assert_cmpstr(m->name, ==, x->name);
		g_assert_cmpuint(m->pen, ==, num(x->pen));
		g_assert_cmpstr(m->data_type, ==, x->type);
		g_assert_cmpstr(m->semantics, ==, x->semantics);
		g_assert_cmpuint(m->length, ==, !strcmp(x->type, "string") ? 65535 : 1);
		g_assert_cmpstr(m->description, ==, d);
		g_assert_cmpuint(strlen(d), >, 0);
		g_free(d);
	}
	g_ptr_array_unref(model);

	/* Another number moves every element, names and ids unchanged. */
	model = rfm_ipfix_elements(64000, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(model->len, ==, xml->len);
	for (guint i = 0; i < model->len; i++) {
		const struct rfm_ipfix_element *m = model->pdata[i];

		g_assert_cmpuint(m->pen, ==, 64000);
		g_assert_cmpstr(m->name, ==, by_id(xml, m->id)->name);
	}
	g_ptr_array_unref(model);
	g_ptr_array_unref(xml);
}

/* The copy built into rfm is the shipped file. */
static void test_embedded(void)
{
	char *text = read_text("rfm-elements.xml");
	gsize len;
	const char *embedded = rfm_ipfix_elements_xml(&len);

	g_assert_cmpuint(len, ==, strlen(text));
	g_assert_cmpmem(embedded, len, text, strlen(text));
	g_assert_cmpint(embedded[len], ==, 0);
	g_free(text);
}

static void test_pmacct(void)
{
	GPtrArray *xml = xml_elements();
	char *text = read_text("pmacct-primitives.lst");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = 0;

	for (char **l = lines; *l; l++) {
		g_auto(GStrv) fields = NULL;
		GHashTable *kv;
		g_auto(GStrv) type = NULL;
		const struct xml_el *x;

		if (!**l || **l == '!')
			continue;
		fields = g_strsplit_set(*l, " \t", -1);
		kv = g_hash_table_new(g_str_hash, g_str_equal);
		for (char **f = fields; *f; f++) {
			char *eq = strchr(*f, '=');

			if (!**f)
				continue;
			g_assert_nonnull(eq);
			*eq = 0;
			g_hash_table_insert(kv, *f, eq + 1);
		}
		g_assert_cmpuint(g_hash_table_size(kv), ==, 4);
		type = g_strsplit(g_hash_table_lookup(kv, "field_type"), ":", 2);
		g_assert_nonnull(type[1]);
		x = by_id(xml, num(type[1]));
		g_assert_cmpstr(type[0], ==, x->pen);
		g_assert_cmpstr(g_hash_table_lookup(kv, "name"), ==, x->key);
		if (!strcmp(x->type, "string")) {
			g_assert_cmpstr(g_hash_table_lookup(kv, "len"), ==, "vlen");
			g_assert_cmpstr(g_hash_table_lookup(kv, "semantics"), ==, "str");
		} else {
			g_assert_cmpstr(x->type, ==, "unsigned8");
			g_assert_cmpstr(g_hash_table_lookup(kv, "len"), ==, "1");
			g_assert_cmpstr(g_hash_table_lookup(kv, "semantics"), ==, "u_int");
		}
		g_hash_table_unref(kv);
		n++;
	}
	g_assert_cmpuint(n, ==, xml->len);
	g_free(text);
	g_ptr_array_unref(xml);
}

/*
 * goflow2-mapping.yaml, read as the generator writes it: the items of
 * ipfix.mapping and formatter.protobuf, and the formatter.fields names.
 */
static void test_goflow2(void)
{
	GPtrArray *xml = xml_elements();
	char *text = read_text("goflow2-mapping.yaml");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
	GHashTable *fields = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *item = NULL;
	char section[64] = "", sub[64] = "";
	guint n_map = 0, n_pb = 0;

	for (char **l = lines; *l; l++) {
		char *s = *l, *colon;
		gsize indent = strspn(s, " ");

		if (!*s || *s == '#')
			continue;
		if (indent == 0 || indent == 2) {
			g_strlcpy(indent ? sub : section, s + indent, 64);
			g_strchomp(indent ? sub : section);
			if (!indent)
				sub[0] = 0;
			item = NULL;
			continue;
		}
		s += indent;
		if (!strncmp(s, "- ", 2)) {
			s += 2;
			if (!strcmp(sub, "fields:")) {
				g_hash_table_add(fields, g_strdup(s));
				continue;
			}
			item = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
			g_hash_table_insert(item, g_strdup("section"),
					    g_strconcat(section, sub, NULL));
			g_ptr_array_add(items, item);
		}
		colon = strstr(s, ": ");
		if (item && colon)
			g_hash_table_insert(item, g_strndup(s, colon - s), g_strdup(colon + 2));
	}
	for (guint i = 0; i < items->len; i++) {
		GHashTable *it = items->pdata[i];
		const char *where = g_hash_table_lookup(it, "section");

		if (!strcmp(where, "ipfix:mapping:")) {
			const struct xml_el *x = by_id(xml, num(g_hash_table_lookup(it, "field")));

			g_assert_cmpstr(g_hash_table_lookup(it, "penprovided"), ==, "true");
			g_assert_cmpstr(g_hash_table_lookup(it, "pen"), ==, x->pen);
			g_assert_cmpstr(g_hash_table_lookup(it, "destination"), ==, x->key);
			g_assert_true(g_hash_table_contains(fields, x->key));
			n_map++;
		} else if (!strcmp(where, "formatter:protobuf:")) {
			const char *name = g_hash_table_lookup(it, "name");
			const struct xml_el *x = NULL;

			for (guint k = 0; k < xml->len; k++)
				if (!g_strcmp0(((struct xml_el *)xml->pdata[k])->key, name))
					x = xml->pdata[k];
			g_assert_nonnull(x);
			g_assert_cmpuint(num(g_hash_table_lookup(it, "index")), ==,
					 1000 + num(x->id));
			g_assert_cmpstr(g_hash_table_lookup(it, "type"), ==,
					!strcmp(x->type, "string") ? "string" : "varint");
			n_pb++;
		}
	}
	g_assert_cmpuint(n_map, ==, xml->len);
	g_assert_cmpuint(n_pb, ==, xml->len);
	g_ptr_array_unref(items);
	g_hash_table_unref(fields);
	g_free(text);
	g_ptr_array_unref(xml);
}

static void test_python_iespec(void)
{
	GPtrArray *xml = xml_elements();
	GError *err = NULL;
	GPtrArray *model = rfm_ipfix_elements(RFM_IPFIX_PEN_DEFAULT, &err);
	char *text = read_text("python-ipfix.iespec");
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	GRegex *re =
		g_regex_new("^([A-Za-z0-9]+)\\(([0-9]+)/([0-9]+)\\)<([A-Za-z0-9]+)>\\[([0-9]+)\\]$",
			    0, 0, NULL);
	guint n = 0;

	g_assert_no_error(err);
	for (char **l = lines; *l; l++) {
		GMatchInfo *mi;
		const struct xml_el *x;
		const struct rfm_ipfix_element *m = NULL;
		char *g[6];

		if (!**l)
			continue;
		/* python3-ipfix refuses comment lines: there must be none. */
		g_assert_true(g_regex_match(re, *l, 0, &mi));
		for (int k = 1; k <= 5; k++)
			g[k] = g_match_info_fetch(mi, k);
		x = by_id(xml, num(g[3]));
		for (guint k = 0; k < model->len; k++)
			if (((struct rfm_ipfix_element *)model->pdata[k])->id == num(g[3]))
				m = model->pdata[k];
		g_assert_nonnull(m);
		g_assert_cmpstr(g[1], ==, x->name);
		g_assert_cmpstr(g[1], ==, m->name);
		g_assert_cmpstr(g[2], ==, x->pen);
		g_assert_cmpstr(g[4], ==, x->type);
		g_assert_cmpstr(g[4], ==, m->data_type);
		g_assert_cmpuint(num(g[5]), ==, m->length);
		for (int k = 1; k <= 5; k++)
			g_free(g[k]);
		g_match_info_free(mi);
		n++;
	}
	g_assert_cmpuint(n, ==, xml->len);
	g_regex_unref(re);
	g_free(text);
	g_ptr_array_unref(model);
	g_ptr_array_unref(xml);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ipfix-decoders/model", test_model);
	g_test_add_func("/ipfix-decoders/embedded", test_embedded);
	g_test_add_func("/ipfix-decoders/pmacct", test_pmacct);
	g_test_add_func("/ipfix-decoders/goflow2", test_goflow2);
	g_test_add_func("/ipfix-decoders/python-iespec", test_python_iespec);
	return g_test_run();
}
