/* JSON (common/json.c): the strict 0x-hex readers, the tree accessors,
 * the member walker (byte-exact raw spans of every value, on buffers that
 * are not NUL-terminated so a sanitizer sees any overread), json_span,
 * and the generator with pre-encoded values spliced in. Duplicate keys
 * are check_json_keys.c's, the tree the walker builds check_json_tree.c's. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

#include "json_helpers.h"

static const struct {
	const char *s;
	int rc;
	uint64_t v;
} hex_u64[] = {
	{ "0x0", 0, 0 },
	{ "0x1a", 0, 26 },
	{ "0X1A", 0, 26 },
	{ "0xAbC", 0, 0xabc },
	{ "0x00", 0, 0 },
	{ "0x10", 0, 16 },
	{ "0xffffffffffffffff", 0, UINT64_MAX },
	{ "0x0000000000000001", 0, 1 },
	{ "0x8000000000000000", 0, 0x8000000000000000ull },
	{ "0x10000000000000000", -1, 0 }, /* 17 digits */
	{ "0x00000000000000001", -1, 0 },
	{ "0x", -1, 0 },
	{ "", -1, 0 },
	{ NULL, -1, 0 },
	{ "0", -1, 0 },
	{ "1a", -1, 0 },
	{ "x1", -1, 0 },
	{ "00x1", -1, 0 },
	{ "-0x1", -1, 0 },
	{ "0x-1", -1, 0 },
	{ "0x+1", -1, 0 },
	{ " 0x1", -1, 0 },
	{ "0x1 ", -1, 0 },
	{ "0x 1", -1, 0 },
	{ "0xg", -1, 0 },
	{ "0x1g", -1, 0 },
	{ "0x1.0", -1, 0 },
	{ "26", -1, 0 },
};

START_TEST(test_hex_u64)
{
	uint64_t v = 777;
	int rc = json_hex_u64(hex_u64[_i].s, &v);

	ck_assert_int_eq(rc, hex_u64[_i].rc);
	if (rc == 0)
		ck_assert(v == hex_u64[_i].v);
	else
		ck_assert(v == 777);
}
END_TEST

static const struct {
	const char *s;
	size_t max;
	long rc;
	const char *bytes;
} hex_bytes[] = {
	{ "0x", 4, 0, "" },
	{ "0x", 0, 0, "" },
	{ "0x00", 4, 1, "\x00" },
	{ "0xdeadBEEF", 4, 4, "\xde\xad\xbe\xef" },
	{ "0XDEADbeef", 4, 4, "\xde\xad\xbe\xef" },
	{ "0x0102", 2, 2, "\x01\x02" },
	{ "0x010203", 2, -1, NULL }, /* too long for out */
	{ "0x01", 0, -1, NULL },
	{ "0xabc", 4, -1, NULL },    /* odd */
	{ "0x0", 4, -1, NULL },
	{ "0xzz", 4, -1, NULL },
	{ "0xaz", 4, -1, NULL },
	{ "0xza", 4, -1, NULL },
	{ "0x12 4", 4, -1, NULL },
	{ "abcd", 4, -1, NULL },
	{ "", 4, -1, NULL },
	{ NULL, 4, -1, NULL },
	{ "x0ab", 4, -1, NULL },
};

START_TEST(test_hex_bytes)
{
	uint8_t out[8];
	long rc;

	memset(out, 0xee, sizeof(out));
	rc = json_hex_bytes(hex_bytes[_i].s, out, hex_bytes[_i].max);
	ck_assert_int_eq(rc, hex_bytes[_i].rc);
	if (rc >= 0)
		ck_assert_mem_eq(out, hex_bytes[_i].bytes, (size_t)rc);
	/* Never a byte past max. */
	for (size_t i = hex_bytes[_i].max; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], 0xee);
}
END_TEST

#define H32 "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const struct {
	const char *s;
	size_t n;
	int want;
} hex_len[] = {
	{ "0x", 0, 1 },
	{ "0xab", 1, 1 },
	{ "0xAB", 1, 1 },
	{ "0xab", 2, 0 },
	{ "0xab", 0, 0 },
	{ "0xabc", 1, 0 },
	{ H32, 32, 1 },
	{ H32, 31, 0 },
	{ H32 "00", 32, 0 },
	{ "0x0011223344556677889900112233445566778899", 20, 1 },
	{ "0x001122334455667788990011223344556677889g", 20, 0 },
	{ "0Xab", 1, 0 },
	{ "ab", 1, 0 },
	{ "00ab", 2, 0 },
	{ "", 0, 0 },
	{ NULL, 0, 0 },
	{ "0x ab", 1, 0 },
};

START_TEST(test_is_hex_len)
{
	ck_assert_int_eq(json_is_hex_len(hex_len[_i].s, hex_len[_i].n),
			 hex_len[_i].want);
}
END_TEST

/* Tree access */

static const char doc[] =
	"{\"s\":\"x\",\"n\":5,\"neg\":-3,\"h\":\"0x10\","
	"\"big\":\"0xffffffffffffffff\",\"i63\":\"0x7fffffffffffffff\","
	"\"t\":true,\"f\":false,\"nul\":null,\"d\":1.5,\"e\":1e2,"
	"\"arr\":[1],\"obj\":{\"a\":1},\"bad\":\"0xzz\",\"empty\":\"0x\","
	"\"huge\":18446744073709551615,\"esc\":\"a\\\"b\\u00e9\"}";

START_TEST(test_parse)
{
	char err[128];
	yajl_val v, w;

	v = json_parse(doc, err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	ck_assert(YAJL_IS_OBJECT(v));
	yajl_tree_free(v);

	/* Top-level scalars are documents to the tree parser. */
	v = json_parse("  42 ", err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	ck_assert(YAJL_IS_INTEGER(v));
	yajl_tree_free(v);

	/* Errors: NULL and one line saying why. */
	static const char *const bad[] = { "", "{", "{\"a\":}", "[1,]",
					   "{\"a\":1} x", "nul", "{'a':1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memset(err, 'X', sizeof(err));
		v = json_parse(bad[i], err, sizeof(err));
		ck_assert_msg(v == NULL, "'%s' parsed", bad[i]);
		ck_assert_ptr_nonnull(memchr(err, '\0', sizeof(err)));
		ck_assert_uint_gt(strlen(err), 0);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
	/* No room for a reason is fine. */
	ck_assert_ptr_null(json_parse("{", NULL, 0));
	w = json_parse("{", err, 1);
	ck_assert_ptr_null(w);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_get)
{
	yajl_val v = json_parse(doc, NULL, 0), a;

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(json_get(v, "obj"));
	ck_assert(YAJL_IS_OBJECT(json_get(v, "obj")));
	ck_assert_ptr_nonnull(json_get(json_get(v, "obj"), "a"));
	ck_assert_ptr_null(json_get(v, "absent"));
	ck_assert_ptr_null(json_get(v, ""));
	ck_assert_ptr_null(json_get(v, "S"));
	ck_assert_ptr_null(json_get(NULL, "s"));
	a = json_get(v, "arr");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(json_get(a, "0")); /* not an object */
	ck_assert_ptr_null(json_get(json_get(v, "s"), "x"));
	/* First of duplicate keys. */

	ck_assert_str_eq(json_get_str(v, "s"), "x");
	ck_assert_str_eq(json_get_str(v, "esc"), "a\"b\xc3\xa9");
	ck_assert_str_eq(json_get_str(v, "h"), "0x10");
	ck_assert_ptr_null(json_get_str(v, "n"));
	ck_assert_ptr_null(json_get_str(v, "nul"));
	ck_assert_ptr_null(json_get_str(v, "obj"));
	ck_assert_ptr_null(json_get_str(v, "absent"));
	ck_assert_ptr_null(json_get_str(NULL, "s"));

	ck_assert_int_eq(json_get_bool(v, "t", 7), 1);
	ck_assert_int_eq(json_get_bool(v, "f", 7), 0);
	ck_assert_int_eq(json_get_bool(v, "n", 7), 7);
	ck_assert_int_eq(json_get_bool(v, "s", 7), 7);
	ck_assert_int_eq(json_get_bool(v, "nul", 7), 7);
	ck_assert_int_eq(json_get_bool(v, "absent", -1), -1);
	ck_assert_int_eq(json_get_bool(NULL, "t", 3), 3);
	yajl_tree_free(v);
}
END_TEST

static const struct {
	const char *key;
	int rc;
	uint64_t v;
} get_u64[] = {
	{ "n", 0, 5 },
	{ "h", 0, 16 },
	{ "big", 0, UINT64_MAX },
	{ "i63", 0, INT64_MAX },
	{ "neg", -1, 0 },
	{ "d", -1, 0 },
	{ "e", -1, 0 },
	{ "huge", -1, 0 }, /* beyond what yajl holds as an integer */
	{ "s", -1, 0 },
	{ "bad", -1, 0 },
	{ "empty", -1, 0 },
	{ "t", -1, 0 },
	{ "nul", -1, 0 },
	{ "arr", -1, 0 },
	{ "obj", -1, 0 },
	{ "absent", -1, 0 },
};

START_TEST(test_get_u64)
{
	yajl_val v = json_parse(doc, NULL, 0);
	uint64_t u = 777;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_get_u64(v, get_u64[_i].key, &u), get_u64[_i].rc);
	if (get_u64[_i].rc == 0)
		ck_assert(u == get_u64[_i].v);
	else
		ck_assert(u == 777);
	yajl_tree_free(v);
}
END_TEST

static const struct {
	const char *key;
	int rc;
	int64_t v;
} get_i64[] = {
	{ "n", 0, 5 },
	{ "neg", 0, -3 },
	{ "h", 0, 16 },
	{ "i63", 0, INT64_MAX },
	{ "big", -1, 0 }, /* does not fit */
	{ "d", -1, 0 },
	{ "huge", -1, 0 },
	{ "s", -1, 0 },
	{ "bad", -1, 0 },
	{ "t", -1, 0 },
	{ "nul", -1, 0 },
	{ "absent", -1, 0 },
};

START_TEST(test_get_i64)
{
	yajl_val v = json_parse(doc, NULL, 0);
	int64_t i = 777;

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(json_get_i64(v, get_i64[_i].key, &i), get_i64[_i].rc);
	if (get_i64[_i].rc == 0)
		ck_assert(i == get_i64[_i].v);
	else
		ck_assert(i == 777);
	yajl_tree_free(v);
	/* json_get_u64 on something that is no object. */
	ck_assert_int_eq(json_get_i64(NULL, "n", &i), -1);
}
END_TEST

/* The member walker. Each member is written as "index|key=raw;" (key
 * "-" for a non-object array element, whose raw value is empty) and the
 * whole is compared with what is expected. */

struct seen {
	struct buf b;
	int calls;
	int stop_at; /* return 7 on this call (1-based); 0: never */
};

static int collect(void *arg, const struct json_member *m)
{
	struct seen *s = arg;

	s->calls++;
	buf_addf(&s->b, "%zu|", m->index);
	if (m->key) {
		ck_assert_uint_eq(strlen(m->key), m->keylen);
		buf_add(&s->b, m->key, m->keylen);
	} else {
		buf_addch(&s->b, '-');
		ck_assert_uint_eq(m->vallen, 0);
	}
	buf_addch(&s->b, '=');
	buf_add(&s->b, m->val, m->vallen);
	buf_addch(&s->b, ';');
	return s->calls == s->stop_at ? 7 : 0;
}

static const struct {
	const char *in;
	const char *want;
} members[] = {
	{ "{}", "" },
	{ "{ }", "" },
	{ "[]", "" },
	{ "{\"a\":1}", "0|a=1;" },
	{ "{\"a\":1,\"b\":\"x\"}", "0|a=1;0|b=\"x\";" },
	/* white space around colons and commas, and around the document */
	{ " \n{ \"a\" : 1 , \"b\"\t:\r\n\"x\" ,\"c\":[ ] }\n ",
	  "0|a=1;0|b=\"x\";0|c=[ ];" },
	/* nested containers, byte for byte */
	{ "{\"o\":{\"p\":[1,{\"q\":2}], \"r\" : { } },\"z\":null}",
	  "0|o={\"p\":[1,{\"q\":2}], \"r\" : { } };0|z=null;" },
	{ "{\"a\":[1, 2 ,3],\"b\":[[],[[]]],\"c\":[{}]}",
	  "0|a=[1, 2 ,3];0|b=[[],[[]]];0|c=[{}];" },
	{ "{\"e\":{},\"f\":[]}", "0|e={};0|f=[];" },
	/* strings with escapes and what looks like structure */
	{ "{\"s\":\"a\\\"b\\\\c\\u00e9\\n\\/\"}",
	  "0|s=\"a\\\"b\\\\c\\u00e9\\n\\/\";" },
	{ "{\"s\":\"}]{[,:\",\"t\":1}", "0|s=\"}]{[,:\";0|t=1;" },
	{ "{\"s\":\"\\\\\",\"t\":\"\\\\\\\"\"}",
	  "0|s=\"\\\\\";0|t=\"\\\\\\\"\";" },
	{ "{\"u\":\"h\xc3\xa9llo \xe2\x82\xac\"}",
	  "0|u=\"h\xc3\xa9llo \xe2\x82\xac\";" },
	{ "{\"s\":\"\"}", "0|s=\"\";" },
	/* numbers, in the middle and at the end */
	{ "{\"n\":0}", "0|n=0;" },
	{ "{\"n\":-1.5e+10}", "0|n=-1.5e+10;" },
	{ "{\"n\":-0.0E-3 }", "0|n=-0.0E-3;" },
	{ "{\"a\":12345678901234567890123,\"b\":1}",
	  "0|a=12345678901234567890123;0|b=1;" },
	{ "{\"a\":1,\"n\":18446744073709551615}",
	  "0|a=1;0|n=18446744073709551615;" },
	{ "{\"a\":[1,2],\"n\":3}", "0|a=[1,2];0|n=3;" },
	{ "{\"a\":{\"b\":1.25}}", "0|a={\"b\":1.25};" },
	/* literals */
	{ "{\"t\":true,\"f\":false,\"n\":null}", "0|t=true;0|f=false;0|n=null;" },
	/* keys: escapes decoded, empty (duplicates: test_dup_keys) */
	{ "{\"k\\\"ey\":1,\"t\\u0041b\":2,\"\\\\\":3}",
	  "0|k\"ey=1;0|tAb=2;0|\\=3;" },
	{ "{\"\\u00e9\":[\"v\"]}", "0|\xc3\xa9=[\"v\"];" },
	{ "{\"\":1}", "0|=1;" },
	/* a long escaped key followed by a long escaped value */
	{ "{\"\\u0061\\u0062\\u0063\\u0064\\u0065\\u0066\\u0067\\u0068\":"
	  "\"\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046\\u0047\\u0048"
	  "\\u0049\\u004a\"}",
	  "0|abcdefgh=\"\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046\\u0047"
	  "\\u0048\\u0049\\u004a\";" },
	/* keys of nested objects are not members */
	{ "{\"a\":{\"b\":{\"c\":1}},\"d\":2}", "0|a={\"b\":{\"c\":1}};0|d=2;" },
	/* top-level arrays: members of every object element */
	{ "[{\"a\":1},{\"b\":2}]", "0|a=1;1|b=2;" },
	{ "[ {\"a\" :1 , \"b\": [3]} , { } , {\"c\":{\"d\":\"}\"}} ]",
	  "0|a=1;0|b=[3];2|c={\"d\":\"}\"};" },
	{ "[1,{\"a\":1},\"x\",[2,{\"k\":0}],{\"b\":{\"c\":3}},null]",
	  "0|-=;1|a=1;2|-=;3|-=;4|b={\"c\":3};5|-=;" },
	{ "[[],[]]", "0|-=;1|-=;" },
	/* arrays of elements of every kind, nested ones not counted */
	{ "{\"a\":[{},[],1],\"b\":[{\"x\":[1,2]}, {} ],\"c\":[],\"d\":[[{}]]}",
	  "0|a=[{},[],1];0|b=[{\"x\":[1,2]}, {} ];0|c=[];0|d=[[{}]];" },
	{ "[{\"t\":[{\"a\":1},{\"b\":[{}]},{}]},{\"u\":[null,{}]}]",
	  "0|t=[{\"a\":1},{\"b\":[{}]},{}];1|u=[null,{}];" },
};

START_TEST(test_members)
{
	size_t len = strlen(members[_i].in);
	char *in = exact(members[_i].in, len);
	struct seen s = { BUF_INIT, 0, 0 };
	char err[128] = "unchanged";

	ck_assert_int_eq(json_members(in, len, collect, &s, err, sizeof(err)),
			 0);
	ck_assert_int_eq(buf_addch(&s.b, '\0'), 0); /* data non-NULL */
	ck_assert_str_eq(s.b.data, members[_i].want);
	ck_assert_str_eq(err, "unchanged");
	/* Every raw value lies inside the input. */
	buf_release(&s.b);
	free(in);
}
END_TEST

/* Each member value of every object case, re-parsed on its own, is a
 * complete JSON value (the span is neither cut nor padded). */
static int reparse(void *arg, const struct json_member *m)
{
	const char *in = arg;
	char *copy, err[128];
	yajl_val v;

	if (!m->key)
		return 0;
	ck_assert_ptr_nonnull(m->val);
	ck_assert(m->val >= in);
	ck_assert_uint_gt(m->vallen, 0);
	copy = strndup(m->val, m->vallen);
	/* A bare number needs a container for yajl's tree to be sure it
	 * ended: wrap every value. */
	{
		size_t n = strlen(copy) + 3;
		char *w = malloc(n);

		snprintf(w, n, "[%s]", copy);
		v = yajl_tree_parse(w, err, sizeof(err));
		ck_assert_msg(v != NULL, "span '%s': %s", copy, err);
		ck_assert_uint_eq(YAJL_GET_ARRAY(v)->len, 1);
		/* an array value's elements, counted by the walk */
		{
			yajl_val a = YAJL_GET_ARRAY(v)->values[0];
			size_t ne = YAJL_IS_ARRAY(a) ? a->u.array.len : 0;
			int objs = YAJL_IS_ARRAY(a);

			for (size_t i = 0; i < ne; i++)
				objs &= YAJL_IS_OBJECT(a->u.array.values[i]);
			ck_assert_msg(m->nelem == ne && m->all_objects == objs,
				      "span '%s': %zu elements, objects %d "
				      "(walk: %zu, %d)", copy, ne, objs,
				      m->nelem, m->all_objects);
		}
		yajl_tree_free(v);
		free(w);
	}
	ck_assert_msg(copy[0] != ' ' && copy[0] != '\n' && copy[0] != '\t' &&
			      copy[0] != '\r',
		      "span '%s' starts with space", copy);
	ck_assert_msg(copy[m->vallen - 1] != ' ' &&
			      copy[m->vallen - 1] != ',' &&
			      copy[m->vallen - 1] != '\n',
		      "span '%s' ends badly", copy);
	free(copy);
	return 0;
}

START_TEST(test_member_spans_parse)
{
	size_t len = strlen(members[_i].in);
	char *in = exact(members[_i].in, len);

	ck_assert_int_eq(json_members(in, len, reparse, in, NULL, 0), 0);
	free(in);
}
END_TEST

/* Only len bytes are the document. */
START_TEST(test_members_len)
{
	static const char text[] = "{\"a\":1}{\"b\":2}";
	struct seen s = { BUF_INIT, 0, 0 };

	ck_assert_int_eq(json_members(text, 7, collect, &s, NULL, 0), 0);
	buf_addch(&s.b, '\0');
	ck_assert_str_eq(s.b.data, "0|a=1;");
	buf_release(&s.b);
	/* The whole is two documents: invalid. */
	ck_assert_int_eq(json_members(text, sizeof(text) - 1, collect, &s,
				      NULL, 0), -1);
	buf_release(&s.b);
}
END_TEST

START_TEST(test_members_stop)
{
	static const char text[] = "{\"a\":1,\"b\":{\"x\":[1]},\"c\":3}";
	static const char arr[] = "[{\"a\":1},2,{\"b\":2}]";
	struct seen s = { BUF_INIT, 0, 2 };

	ck_assert_int_eq(json_members(text, strlen(text), collect, &s, NULL, 0),
			 7);
	ck_assert_int_eq(s.calls, 2);
	buf_addch(&s.b, '\0');
	ck_assert_str_eq(s.b.data, "0|a=1;0|b={\"x\":[1]};");
	buf_release(&s.b);

	/* Stopping on a non-object array element. */
	s.calls = 0;
	ck_assert_int_eq(json_members(arr, strlen(arr), collect, &s, NULL, 0),
			 7);
	ck_assert_int_eq(s.calls, 2);
	buf_release(&s.b);

	/* Stopping on an array element that is an array. */
	s.calls = 0;
	s.stop_at = 1;
	ck_assert_int_eq(json_members("[[1],{\"a\":1}]", 13, collect, &s,
				      NULL, 0), 7);
	ck_assert_int_eq(s.calls, 1);
	buf_release(&s.b);

	/* Stopping on the first call. */
	s.calls = 0;
	s.stop_at = 1;
	ck_assert_int_eq(json_members(text, strlen(text), collect, &s, NULL, 0),
			 7);
	ck_assert_int_eq(s.calls, 1);
	buf_release(&s.b);
}
END_TEST

/* Keys are not cut short, however long. */
START_TEST(test_members_long_key)
{
	struct buf in = BUF_INIT, want = BUF_INIT;
	struct seen s = { BUF_INIT, 0, 0 };
	const char *v;
	size_t vl;
	char key[301];

	memset(key, 'k', 300);
	key[300] = '\0';
	buf_addf(&in, "{\"%s\":1,\"%.127s\":2,\"%s\\u0041\":3}", key, key,
		 key);
	buf_addf(&want, "0|%s=1;0|%.127s=2;0|%sA=3;", key, key, key);
	ck_assert_int_eq(json_members(in.data, in.len, collect, &s, NULL, 0), 0);
	buf_addch(&s.b, '\0');
	ck_assert_str_eq(s.b.data, want.data);
	ck_assert_int_eq(json_span(in.data, in.len, key, &v, &vl), 0);
	ck_assert_uint_eq(vl, 1);
	ck_assert_int_eq(v[0], '1');
	key[127] = '\0';
	ck_assert_int_eq(json_span(in.data, in.len, key, &v, &vl), 0);
	ck_assert_int_eq(v[0], '2');
	key[127] = 'k';
	key[299] = '\0';
	ck_assert_int_eq(json_span(in.data, in.len, key, &v, &vl), 1);
	buf_release(&s.b);
	buf_release(&in);
	buf_release(&want);
}
END_TEST

static const char *const invalid[] = {
	"",
	" ",
	"{",
	"}",
	"[",
	"{\"a\"}",
	"{\"a\":}",
	"{\"a\" 1}",
	"{\"a\":1,}",
	"{,\"a\":1}",
	"[1,]",
	"[1 2]",
	"{'a':1}",
	"{a:1}",
	"{\"a\":1}}",
	"{\"a\":1} x",
	"{\"a\":1}{}",
	"{\"a\":tru}",
	"{\"a\":nul}",
	"{\"a\":01}",
	"{\"a\":1.}",
	"{\"a\":.5}",
	"{\"a\":+1}",
	"{\"a\":\"x}",
	"{\"a\":\"\\x\"}",
	"{\"a\":\"\\u12\"}",
	"{\"a\":\"\xff\"}",
	"{\"a\":\"\x01\"}",
	"{\"a\":[1}",
	"{\"a\":{]}",
	"{\"a\":1 /* c */}",
	/* top-level scalars are no object or array */
	"1",
	"-5.5",
	"\"x\"",
	"true",
	"false",
	"null",
	" 0 ",
};

START_TEST(test_members_invalid)
{
	size_t len = strlen(invalid[_i]);
	char *in = exact(invalid[_i], len);
	struct seen s = { BUF_INIT, 0, 0 };
	char err[128];

	memset(err, 'X', sizeof(err));
	ck_assert_int_eq(json_members(in, len, collect, &s, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(memchr(err, '\0', sizeof(err)));
	ck_assert_msg(strlen(err) > 0, "no message for '%s'", invalid[_i]);
	ck_assert_ptr_null(strchr(err, '\n'));
	/* Without room for a message. */
	ck_assert_int_eq(json_members(in, len, collect, &s, NULL, 0), -1);
	ck_assert_int_eq(json_members(in, len, collect, &s, err, 1), -1);
	ck_assert_str_eq(err, "");
	/* json_span agrees. */
	{
		const char *v = NULL;
		size_t vl = 0;

		ck_assert_int_eq(json_span(in, len, "a", &v, &vl), -1);
	}
	buf_release(&s.b);
	free(in);
}
END_TEST

START_TEST(test_members_scalar_message)
{
	char err[128] = "";

	ck_assert_int_eq(json_members("42", 2, collect, NULL, err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "not a JSON object or array");
}
END_TEST

static const struct {
	const char *in;
	const char *key;
	int rc;
	const char *val;
} spans[] = {
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x10\","
	  "\"transactions\":[]}}",
	  "result", 0, "{\"number\":\"0x10\",\"transactions\":[]}" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"number\":\"0x10\"}}", "id",
	  0, "1" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}", "result", 0, "null" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,"
	  "\"message\":\"header not found\"}}",
	  "error", 0, "{\"code\":-32000,\"message\":\"header not found\"}" },
	{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{}}", "result", 1, NULL },
	{ "{ \"a\" : \"x\\\"y\" , \"b\" : 2 }", "a", 0, "\"x\\\"y\"" },
	{ "{\"a\":1,\"b\":-2.5e3}", "b", 0, "-2.5e3" },
	{ "{\"a\\u0062\":1}", "ab", 0, "1" },
	{ "{\"a\":1,\"a\":2}", "a", JSON_DUPLICATE, NULL },
	{ "{\"a\":{\"result\":1}}", "result", 1, NULL },
	{ "{\"a\":[{\"result\":1}]}", "result", 1, NULL },
	{ "{\"resul\":1,\"results\":2}", "result", 1, NULL },
	{ "{}", "a", 1, NULL },
	{ "{\"\":5}", "", 0, "5" },
	{ "[{\"a\":1}]", "a", 0, "1" },
	/* invalid after the member: still invalid */
	{ "{\"result\":1,", "result", -1, NULL },
	{ "{\"result\":1,\"x\":}", "result", -1, NULL },
	{ "{\"result\":1} trailing", "result", -1, NULL },
	{ "{\"result\":[1,2]", "result", -1, NULL },
	{ "[1]", "a", 1, NULL },
	{ "1", "a", -1, NULL },
};

START_TEST(test_span)
{
	size_t len = strlen(spans[_i].in);
	char *in = exact(spans[_i].in, len);
	const char *v = (const char *)1;
	size_t vl = 12345;
	int rc = json_span(in, len, spans[_i].key, &v, &vl);

	ck_assert_int_eq(rc, spans[_i].rc);
	if (rc == 0) {
		ck_assert(v >= in && v + vl <= in + len);
		ck_assert_uint_eq(vl, strlen(spans[_i].val));
		ck_assert_mem_eq(v, spans[_i].val, vl);
	} else {
		ck_assert_ptr_eq(v, (const char *)1);
		ck_assert_uint_eq(vl, 12345);
	}
	free(in);
}
END_TEST

/* The generator */

static char *gen_text(yajl_gen g)
{
	const unsigned char *out;
	size_t len;

	ck_assert_int_eq(yajl_gen_get_buf(g, &out, &len), yajl_gen_status_ok);
	return strndup((const char *)out, len);
}

START_TEST(test_gen)
{
	static const char result[] = "{\"a\":[1,2], \"s\":\"x\\\"y\"}";
	yajl_gen g = json_gen_new();
	char *text;

	ck_assert_ptr_nonnull(g);
	yajl_gen_map_open(g);
	json_gen_key(g, "jsonrpc");
	json_gen_cstr(g, "2.0");
	json_gen_key(g, "id");
	json_gen_u64(g, 1);
	json_gen_key(g, "result");
	json_gen_raw(g, result, strlen(result));
	json_gen_key(g, "none");
	json_gen_cstr(g, NULL);
	json_gen_key(g, "max");
	json_gen_u64(g, UINT64_MAX);
	json_gen_key(g, "zero");
	json_gen_u64(g, 0);
	json_gen_key(g, "esc \"k\"");
	json_gen_cstr(g, "line\nbreak\ttab\\ \x01 /");
	json_gen_key(g, "arr");
	yajl_gen_array_open(g);
	json_gen_raw(g, "1", 1);
	json_gen_raw(g, "[]", 2);
	json_gen_raw(g, "\"s\"", 3);
	json_gen_raw(g, "{\"k\":null}xxx", 10); /* only len bytes */
	json_gen_cstr(g, "after");
	yajl_gen_array_close(g);
	json_gen_key(g, "utf8");
	json_gen_cstr(g, "\xc3\xa9 \xff"); /* not validated: passed as is */
	yajl_gen_map_close(g);

	text = gen_text(g);
	ck_assert_str_eq(text,
			 "{\"jsonrpc\":\"2.0\",\"id\":1,"
			 "\"result\":{\"a\":[1,2], \"s\":\"x\\\"y\"},"
			 "\"none\":null,\"max\":18446744073709551615,"
			 "\"zero\":0,"
			 "\"esc \\\"k\\\"\":\"line\\nbreak\\ttab\\\\ \\u0001 /\","
			 "\"arr\":[1,[],\"s\",{\"k\":null},\"after\"],"
			 "\"utf8\":\"\xc3\xa9 \xff\"}");
	free(text);
	yajl_gen_free(g);
}
END_TEST

/* A span cut out by json_span and spliced back by json_gen_raw comes
 * out byte for byte: the pass-through the header promises. */
START_TEST(test_gen_roundtrip)
{
	static const char in[] =
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"hash\":\"0xab\","
		"\"logs\":[ {\"data\":\"0x\"} ],\"n\":1.50}}";
	const char *v;
	size_t vl;
	yajl_gen g = json_gen_new();
	char *text;

	ck_assert_int_eq(json_span(in, strlen(in), "result", &v, &vl), 0);
	yajl_gen_array_open(g);
	json_gen_raw(g, v, vl);
	json_gen_raw(g, v, vl);
	yajl_gen_array_close(g);
	text = gen_text(g);
	ck_assert_str_eq(text,
			 "[{\"hash\":\"0xab\",\"logs\":[ {\"data\":\"0x\"} ],"
			 "\"n\":1.50},{\"hash\":\"0xab\",\"logs\":[ "
			 "{\"data\":\"0x\"} ],\"n\":1.50}]");
	free(text);
	yajl_gen_free(g);

	/* A raw value alone is the document. */
	g = json_gen_new();
	json_gen_raw(g, "{\"a\":1}", 7);
	text = gen_text(g);
	ck_assert_str_eq(text, "{\"a\":1}");
	free(text);
	yajl_gen_free(g);
}
END_TEST

/* Found by fuzz_msg: a document cut off right after a number made the
 * walker hand its callback a span outside the input (yajl lexes that last
 * number in yajl_complete_parse, from a buffer of its own). */
static const char *const cut_after_number[] = {
	"{\"a\":1", "{\"type\":\"heartbeat\",\"time\":1", "[{\"n\":12345",
	"{\"a\":-1.5e3",
};

static int span_inside_cb(void *arg, const struct json_member *m)
{
	const char *buf = arg;
	size_t len = strlen(buf);

	ck_assert(m->val >= buf && m->val <= buf + len);
	ck_assert(m->vallen <= (size_t)(buf + len - m->val));
	return 0;
}

START_TEST(test_members_cut_after_number)
{
	const char *in = cut_after_number[_i];
	char err[128];

	ck_assert_int_eq(json_members(in, strlen(in), span_inside_cb, (void *)in,
				      err, sizeof(err)), -1);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *th = tcase_create("hex");
	TCase *tt = tcase_create("tree");
	TCase *tm = tcase_create("members");
	TCase *tg = tcase_create("gen");

	tcase_add_loop_test(th, test_hex_u64, 0, sizeof(hex_u64) / sizeof(*hex_u64));
	tcase_add_loop_test(th, test_hex_bytes, 0,
			    sizeof(hex_bytes) / sizeof(*hex_bytes));
	tcase_add_loop_test(th, test_is_hex_len, 0,
			    sizeof(hex_len) / sizeof(*hex_len));
	suite_add_tcase(s, th);

	tcase_add_loop_test(tt, test_members_cut_after_number, 0,
			    sizeof(cut_after_number) / sizeof(*cut_after_number));
	tcase_add_test(tt, test_parse);
	tcase_add_test(tt, test_get);
	tcase_add_loop_test(tt, test_get_u64, 0, sizeof(get_u64) / sizeof(*get_u64));
	tcase_add_loop_test(tt, test_get_i64, 0, sizeof(get_i64) / sizeof(*get_i64));
	suite_add_tcase(s, tt);

	tcase_add_loop_test(tm, test_members, 0, sizeof(members) / sizeof(*members));
	tcase_add_loop_test(tm, test_member_spans_parse, 0,
			    sizeof(members) / sizeof(*members));
	tcase_add_test(tm, test_members_len);
	tcase_add_test(tm, test_members_stop);
	tcase_add_test(tm, test_members_long_key);
	tcase_add_loop_test(tm, test_members_invalid, 0,
			    sizeof(invalid) / sizeof(*invalid));
	tcase_add_test(tm, test_members_scalar_message);
	tcase_add_loop_test(tm, test_span, 0, sizeof(spans) / sizeof(*spans));
	suite_add_tcase(s, tm);

	tcase_add_test(tg, test_gen);
	tcase_add_test(tg, test_gen_roundtrip);
	suite_add_tcase(s, tg);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
