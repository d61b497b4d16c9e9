/* common/abi: event signatures and JSON fragments, canonical names and
 * topic0, and the decoding of logs. The vectors were encoded by ethers'
 * ABI coder, an independent implementation, and their expected values are
 * what ethers decodes (tests/node/abi_vectors.mjs prints this table). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi.h"

struct vector {
	const char *sig;
	const char *topics; /* hex, 64 digits a topic */
	const char *data;   /* hex */
	const char *want[8];
};

static const struct vector vectors[] = {
	{ "Transfer(address indexed from, address indexed to, uint256 value)",
	  "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef00000000000000000000000000000000000000000000000000000000000000aa0000000000000000000000001111111111111111111111111111111111111111",
	  "000000000000000000000000000000000000000c9f2c9cd04674edea40000000",
	  { "\\x00000000000000000000000000000000000000aa", "\\x1111111111111111111111111111111111111111", "1000000000000000000000000000000" } },
	{ "Ints(int8 a, int256 b, uint8 c, int64 d, uint256 e, int24 indexed f)",
	  "997cc0d8b38aaabeb40c8018ca3e6d6f86106f668ce471c8d30cc7b65e47076fffffffffffffffffffffffffffffffffffffffffffffffffffffffffff800000",
	  "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80800000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	  { "-128", "-57896044618658097711785492504343953926634992332820282019728792003956564819968", "255", "-1", "115792089237316195423570985008687907853269984665640564039457584007913129639935", "-8388608" } },
	{ "Misc(bool t, bool f, bytes1 b1, bytes32 b32, bytes b, string s)",
	  "aa95d143a3b99f8324231271b1a78456c5ec0d4ccc470bd4cf47d6b0da1ba1c1",
	  "00000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000ab00000000000000000000000000000000000000000000000000000000000000111111111111111111111111111111111111111111111111111111111111111100000000000000000000000000000000000000000000000000000000000000c0000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000050102030405000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000b68c3a96c6c6f202271220a000000000000000000000000000000000000000000",
	  { "true", "false", "\\xab", "\\x1111111111111111111111111111111111111111111111111111111111111111", "\\x0102030405", "héllo \"q\"\n" } },
	{ "Arrays(uint256[] a, string[2] s, bytes[] bs, uint16[2][] m)",
	  "7d760cbf1154d91ae39c0f755fb44226134700537a4d1b10352bf1029f50ea48",
	  "0000000000000000000000000000000000000000000000000000000000000080000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000001c00000000000000000000000000000000000000000000000000000000000000280000000000000000000000000000000000000000000000000000000000000000300000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000300000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000080000000000000000000000000000000000000000000000000000000000000000178000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002797a00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000000000006000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002ff0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000030000000000000000000000000000000000000000000000000000000000000004",
	  { "[\"1\",\"2\",\"3\"]", "[\"x\",\"yz\"]", "[\"0x\",\"0xff00\"]", "[[\"1\",\"2\"],[\"3\",\"4\"]]" } },
	{ "Tuples((uint256 id, bytes data, address[] who) t, (bool,uint8)[] u, (string a, (int16 x, string[] y) b) nested)",
	  "0820273bc58c33303d5bfe09ea631fa8d043aa5c39d6d040185fed60adf5ccb3",
	  "0000000000000000000000000000000000000000000000000000000000000060000000000000000000000000000000000000000000000000000000000000014000000000000000000000000000000000000000000000000000000000000001e00000000000000000000000000000000000000000000000000000000000000007000000000000000000000000000000000000000000000000000000000000006000000000000000000000000000000000000000000000000000000000000000a00000000000000000000000000000000000000000000000000000000000000002dead000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000aa000000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000000000000000008000000000000000000000000000000000000000000000000000000000000000016100000000000000000000000000000000000000000000000000000000000000fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd00000000000000000000000000000000000000000000000000000000000000400000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000000000000000000800000000000000000000000000000000000000000000000000000000000000001700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000017100000000000000000000000000000000000000000000000000000000000000",
	  { "{\"id\":\"7\",\"data\":\"0xdead\",\"who\":[\"0x00000000000000000000000000000000000000aa\"]}", "[[true,\"1\"],[false,\"2\"]]", "{\"a\":\"a\",\"b\":{\"x\":\"-3\",\"y\":[\"p\",\"q\"]}}" } },
	{ "Hashed(string indexed s, uint256[] indexed a, (uint8,uint8) indexed t)",
	  "a46aa81fe9674489aea49da6cf9e082eb0ae5da6bf3334e8e5fa9a55af8cc0104e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c455a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5aa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5",
	  "",
	  { "\\x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", "\\x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a", "\\xa5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5" } },
	{ "Empty()",
	  "3db2a12a1fcfb6e2e0de8666c64b3244166edb7b25b200204a8d0cca9b65cf37",
	  "",
	  {  } },
	{ "Anon(address indexed who, uint256 v) anonymous",
	  "00000000000000000000000000000000000000000000000000000000000000bb",
	  "0000000000000000000000000000000000000000000000000000000000000005",
	  { "\\x00000000000000000000000000000000000000bb", "5" } },
};

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2;

	ck_assert_uint_le(n, max);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		ck_assert_int_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

struct log {
	uint8_t topics[4][32];
	size_t ntopics;
	uint8_t data[4096];
	size_t len;
};

static void load(const struct vector *v, struct log *l)
{
	uint8_t t[4 * 32];
	size_t n = unhex(v->topics, t, sizeof(t));

	ck_assert_uint_eq(n % 32, 0);
	l->ntopics = n / 32;
	memcpy(l->topics, t, n);
	l->len = unhex(v->data, l->data, sizeof(l->data));
}

static int decode(const struct abi_event *ev, const struct log *l,
		  struct abi_row *row, char *why)
{
	return abi_decode_log(ev, (const uint8_t(*)[32])l->topics, l->ntopics,
			      l->data, l->len, false, row, why, 200);
}

START_TEST(test_vectors)
{
	const struct vector *v = &vectors[_i];
	char why[200];
	struct abi_event *ev = abi_event_parse(v->sig, why, sizeof(why));
	struct abi_row row;
	struct log l;

	ck_assert_msg(ev != NULL, "%s: %s", v->sig, why);
	load(v, &l);
	ck_assert_msg(decode(ev, &l, &row, why) == 0, "%s: %s", v->sig, why);
	ck_assert_uint_eq(row.n, ev->nparams);
	for (size_t i = 0; i < row.n; i++) {
		ck_assert_ptr_nonnull(v->want[i]);
		ck_assert_str_eq(row.vals[i], v->want[i]);
		ck_assert_uint_eq(row.lens[i], strlen(v->want[i]));
	}
	abi_row_release(&row);
	abi_event_free(ev);
}
END_TEST

/* Every vector cut short anywhere in its data fails cleanly, and never
 * reads past the data (the unit tests run under ASan in make asan). */
START_TEST(test_truncated)
{
	const struct vector *v = &vectors[_i];
	struct abi_event *ev = abi_event_parse(v->sig, NULL, 0);
	struct abi_row row;
	struct log l;
	char why[200];

	load(v, &l);
	for (size_t cut = 0; cut < l.len; cut += 1) {
		size_t keep = l.len;
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, l.data, cut);
		int r = abi_decode_log(ev, (const uint8_t(*)[32])l.topics,
				       l.ntopics, copy, cut, false, &row, why,
				       sizeof(why));
		/* Cutting only padding of the last string may still decode. */
		if (r == 0)
			abi_row_release(&row);
		else
			ck_assert_str_ne(why, "");
		free(copy);
		l.len = keep;
	}
	abi_event_free(ev);
}
END_TEST

static const struct {
	const char *sig, *canonical, *topic0;
} sigs[] = {
	{ "Transfer(address indexed from, address indexed to, uint256 value)",
	  "Transfer(address,address,uint256)",
	  "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef" },
	{ "event Approval(address indexed owner, address indexed spender, uint value);",
	  "Approval(address,address,uint256)",
	  "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925" },
	{ "Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)",
	  "Swap(address,address,int256,int256,uint160,uint128,int24)",
	  "c42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67" },
	{ "E(tuple(uint a, bytes[] b)[2][] x, (bool)y)",
	  "E((uint256,bytes[])[2][],(bool))", NULL },
};

START_TEST(test_signatures)
{
	char why[200], hex[65];
	struct abi_event *ev = abi_event_parse(sigs[_i].sig, why, sizeof(why));

	ck_assert_msg(ev != NULL, "%s", why);
	ck_assert_str_eq(ev->signature, sigs[_i].canonical);
	if (sigs[_i].topic0) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", ev->topic0[i]);
		ck_assert_str_eq(hex, sigs[_i].topic0);
	}
	abi_event_free(ev);
}
END_TEST

static const char *const bad_sigs[] = {
	"", "Transfer", "Transfer(", "Transfer(address", "Transfer(adress a)",
	"E(uint7 a)", "E(uint264 a)", "E(uint08 a)", "E(bytes0 a)",
	"E(bytes33 a)", "E(uint256[0] a)", "E(uint256[ a)", "E(() a)",
	"E((uint256 a)", "E(uint256 a) trailing", "E(uint256 a,)",
	"E(uint a indexed, uint b)", "1E(uint a)",
	"E(uint indexed a, uint indexed b, uint indexed c, uint indexed d)",
	"E(uint[][][][][][][][][][][][][][][][][] a)",
	"E((((((((((((((((((uint)))))))))))))))))) a)",
	"E(function f)", "E(uint256[65537] a)",
};

START_TEST(test_bad_signatures)
{
	char why[200];
	struct abi_event *ev = abi_event_parse(bad_sigs[_i], why, sizeof(why));

	ck_assert_msg(ev == NULL, "'%s' parsed", bad_sigs[_i]);
	ck_assert_str_ne(why, "");
}
END_TEST

START_TEST(test_json_fragment)
{
	const char *j =
		"{\"anonymous\":false,\"inputs\":["
		"{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},"
		"{\"indexed\":false,\"name\":\"s\",\"type\":\"tuple[]\",\"components\":["
		"{\"name\":\"id\",\"type\":\"uint256\"},"
		"{\"name\":\"tags\",\"type\":\"string[]\"},"
		"{\"name\":\"in\",\"type\":\"tuple[2]\",\"components\":[{\"name\":\"k\",\"type\":\"bytes32\"}]}]}],"
		"\"name\":\"Ev\",\"type\":\"event\"}";
	char why[200];
	struct abi_event *ev = abi_event_from_json(j, strlen(j), why, sizeof(why));

	ck_assert_msg(ev != NULL, "%s", why);
	ck_assert_str_eq(ev->signature,
			 "Ev(address,(uint256,string[],(bytes32)[2])[])");
	ck_assert_uint_eq(ev->nparams, 2);
	ck_assert(ev->params[0].indexed);
	ck_assert_str_eq(ev->params[1].name, "s");
	ck_assert_str_eq(ev->params[1].type->elem->names[2], "in");
	ck_assert_int_eq(abi_param_col(&ev->params[1]), ABI_COL_JSONB);
	abi_event_free(ev);
}
END_TEST

static const char *const bad_json[] = {
	"", "[]", "{\"type\":\"function\",\"name\":\"f\",\"inputs\":[]}",
	"{\"type\":\"event\",\"inputs\":[]}",
	"{\"type\":\"event\",\"name\":\"E\"}",
	"{\"type\":\"event\",\"name\":\"E\",\"inputs\":[{\"name\":\"a\"}]}",
	"{\"type\":\"event\",\"name\":\"E\",\"inputs\":[{\"type\":\"tuple\"}]}",
	"{\"type\":\"event\",\"name\":\"E\",\"inputs\":[{\"type\":\"tuple[x]\",\"components\":[{\"type\":\"bool\"}]}]}",
	"{\"type\":\"event\",\"name\":\"E\",\"inputs\":[{\"type\":\"(bool)\"}]}",
	"{\"type\":\"event\",\"name\":\"E\",\"inputs\":[{\"type\":\"uint3\"}]}",
};

START_TEST(test_bad_json)
{
	char why[200];
	struct abi_event *ev =
		abi_event_from_json(bad_json[_i], strlen(bad_json[_i]), why,
				    sizeof(why));

	ck_assert_msg(ev == NULL, "'%s' parsed", bad_json[_i]);
	ck_assert_str_ne(why, "");
}
END_TEST

/* Logs that must be refused: topics that do not match, dirty padding,
 * offsets and lengths out of range, strings that are not UTF-8. */
static const struct {
	const char *sig, *data, *why;
	int ntopics; /* topic0 is the event's; the others zero */
} bad_logs[] = {
	{ "E(uint8 a)", "0000000000000000000000000000000000000000000000000000000000000100", "high bits", 1 },
	{ "E(int8 a)", "00000000000000000000000000000000000000000000000000000000000000ff", "sign", 1 },
	{ "E(int8 a)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "sign", 1 },
	{ "E(bool a)", "0000000000000000000000000000000000000000000000000000000000000002", "bool", 1 },
	{ "E(address a)", "0100000000000000000000000000000000000000000000000000000000000000", "address", 1 },
	{ "E(bytes2 a)", "abcdef0000000000000000000000000000000000000000000000000000000000", "padding", 1 },
	{ "E(uint256 a)", "00", "short", 1 },
	{ "E(uint256 a)", "", "short", 1 },
	{ "E(bytes a)", "0000000000000000000000000000000000000000000000000000000000000040", "offset", 1 },
	{ "E(bytes a)", "ff00000000000000000000000000000000000000000000000000000000000020", "offset", 1 },
	{ "E(bytes a)", "00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000021"
			"00", "length", 1 },
	{ "E(string a)", "00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000002"
			 "c328000000000000000000000000000000000000000000000000000000000000", "UTF-8", 1 },
	{ "E(string a)", "00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000001"
			 "0000000000000000000000000000000000000000000000000000000000000000", "UTF-8", 1 },
	{ "E(uint256[] a)", "0000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000ffff", "array", 1 },
	{ "E(uint256[] a)", "00000000000000000000000000000000000000000000000000000000000000200000000000000000000000000000000000000000000000000000000000000002"
			    "0000000000000000000000000000000000000000000000000000000000000001", "array", 1 },
	{ "E(uint256 indexed a)", "", "topics", 1 },
	{ "E(uint256 a)", "0000000000000000000000000000000000000000000000000000000000000001", "topics", 2 },
	{ "E(uint8 indexed a)", "", "high bits", -2 },
};

START_TEST(test_bad_logs)
{
	struct abi_event *ev = abi_event_parse(bad_logs[_i].sig, NULL, 0);
	struct abi_row row;
	struct log l = { 0 };
	char why[200];
	int nt = bad_logs[_i].ntopics;

	ck_assert_ptr_nonnull(ev);
	memcpy(l.topics[0], ev->topic0, 32);
	if (nt < 0) { /* topic 1 has a dirty high byte */
		nt = -nt;
		l.topics[1][0] = 1;
	}
	l.ntopics = (size_t)nt;
	l.len = unhex(bad_logs[_i].data, l.data, sizeof(l.data));
	ck_assert_int_eq(decode(ev, &l, &row, why), -1);
	ck_assert_msg(strstr(why, bad_logs[_i].why) != NULL, "%s: '%s'",
		      bad_logs[_i].sig, why);
	ck_assert_ptr_null(row.vals);
	abi_event_free(ev);
}
END_TEST

START_TEST(test_wrong_topic0)
{
	struct abi_event *ev = abi_event_parse("E(uint256 a)", NULL, 0);
	struct abi_row row;
	struct log l = { 0 };
	char why[200];

	l.ntopics = 1;
	l.len = 32;
	ck_assert_int_eq(decode(ev, &l, &row, why), -1);
	ck_assert_ptr_nonnull(strstr(why, "topic0"));
	abi_event_free(ev);
}
END_TEST

/* strings_as_bytes keeps a string that is not UTF-8 as bytea text. */
START_TEST(test_strings_as_bytes)
{
	struct abi_event *ev =
		abi_event_parse("E(string a, string[] b)", NULL, 0);
	struct abi_row row;
	struct log l = { 0 };
	char why[200];
	const char *d =
		"0000000000000000000000000000000000000000000000000000000000000040"
		"0000000000000000000000000000000000000000000000000000000000000080"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"ff00000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000001"
		"0000000000000000000000000000000000000000000000000000000000000020"
		"0000000000000000000000000000000000000000000000000000000000000001"
		"6100000000000000000000000000000000000000000000000000000000000000";

	memcpy(l.topics[0], ev->topic0, 32);
	l.ntopics = 1;
	l.len = unhex(d, l.data, sizeof(l.data));
	ck_assert_int_eq(decode(ev, &l, &row, why), -1);
	ck_assert_int_eq(abi_decode_log(ev, (const uint8_t(*)[32])l.topics, 1,
					l.data, l.len, true, &row, why,
					sizeof(why)), 0);
	ck_assert_str_eq(row.vals[0], "\\xff00");
	ck_assert_str_eq(row.vals[1], "[\"0x61\"]");
	abi_row_release(&row);
	abi_event_free(ev);
}
END_TEST

/* Offsets that all point at one inner array: k^4 elements out of 4k
 * words. The output is capped, so a small log cannot make the decoder
 * build gigabytes. */
START_TEST(test_alias_blowup)
{
	struct abi_event *ev =
		abi_event_parse("E(uint256[][][][] a)", NULL, 0);
	struct abi_row row;
	struct log l = { 0 };
	char why[200];
	size_t k = 120, words = 1 + 4 * (k + 1), at = 1;
	uint8_t *d = calloc(words, 32);

	d[31] = 0x20; /* the head: the outer array starts at word 1 */
	for (int level = 0; level < 4; level++) {
		d[32 * at + 31] = (uint8_t)k; /* length */
		for (size_t i = 0; level < 3 && i < k; i++) {
			/* each element: the next level, k words on */
			size_t off = 32 * k;
			d[32 * (at + 1 + i) + 30] = (uint8_t)(off >> 8);
			d[32 * (at + 1 + i) + 31] = (uint8_t)off;
		}
		at += k + 1;
	}
	memcpy(l.topics[0], ev->topic0, 32);
	ck_assert_int_eq(abi_decode_log(ev, (const uint8_t(*)[32])l.topics, 1,
					d, 32 * words, false, &row, why,
					sizeof(why)), -1);
	ck_assert_msg(strstr(why, "larger than") != NULL, "%s", why);
	free(d);
	abi_event_free(ev);
}
END_TEST

START_TEST(test_columns)
{
	struct abi_event *ev = abi_event_parse(
		"E(uint32 a, uint64 b, int64 c, int72 d, bool e, address f, "
		"bytes g, string h, uint8[] i, (uint8) j, string indexed k, "
		"uint256 indexed l)", NULL, 0);
	static const enum abi_col want[] = {
		ABI_COL_BIGINT, ABI_COL_NUMERIC, ABI_COL_BIGINT,
		ABI_COL_NUMERIC, ABI_COL_BOOL, ABI_COL_BYTEA, ABI_COL_BYTEA,
		ABI_COL_TEXT, ABI_COL_JSONB, ABI_COL_JSONB, ABI_COL_BYTEA,
		ABI_COL_NUMERIC,
	};

	ck_assert_ptr_nonnull(ev);
	for (size_t i = 0; i < ev->nparams; i++)
		ck_assert_int_eq(abi_param_col(&ev->params[i]), want[i]);
	ck_assert_str_eq(abi_col_sql(ABI_COL_NUMERIC), "numeric(78,0)");
	abi_event_free(ev);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_vectors, 0, N(vectors));
	tcase_add_loop_test(tc, test_truncated, 0, N(vectors));
	tcase_add_loop_test(tc, test_signatures, 0, N(sigs));
	tcase_add_loop_test(tc, test_bad_signatures, 0, N(bad_sigs));
	tcase_add_test(tc, test_json_fragment);
	tcase_add_loop_test(tc, test_bad_json, 0, N(bad_json));
	tcase_add_loop_test(tc, test_bad_logs, 0, N(bad_logs));
	tcase_add_test(tc, test_wrong_topic0);
	tcase_add_test(tc, test_strings_as_bytes);
	tcase_add_test(tc, test_alias_blowup);
	tcase_add_test(tc, test_columns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
