/* decoder/tables: the table file. Every example of docs/decoding.md
 * parses (read from the page itself, so the page stays true), defaults
 * and renames give the columns the page says, and each mistake is a
 * configuration error naming the table and the reason. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tables.h"

/* The indented blocks of docs/decoding.md that start with {"tables". */
static size_t doc_examples(char ***out)
{
	FILE *f = fopen(BLOCKPIPE_SRCDIR "/docs/decoding.md", "r");
	char line[1024], **ex = NULL;
	size_t n = 0, len = 0;
	char *cur = NULL;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		int indented = !strncmp(line, "    ", 4);
		if (!cur && indented && !strncmp(line + 4, "{\"tables\"", 9)) {
			cur = calloc(1, 1);
			len = 0;
		}
		if (cur && indented) {
			size_t l = strlen(line + 4);
			cur = realloc(cur, len + l + 1);
			memcpy(cur + len, line + 4, l + 1);
			len += l;
		} else if (cur) {
			ex = realloc(ex, (n + 1) * sizeof(*ex));
			ex[n++] = cur;
			cur = NULL;
		}
	}
	fclose(f);
	ck_assert_ptr_null(cur);
	*out = ex;
	return n;
}

START_TEST(test_doc_examples)
{
	char **ex, why[512];
	size_t n = doc_examples(&ex);
	struct config c;

	ck_assert_uint_ge(n, 3);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(tables_parse(ex[i], &c, why, sizeof(why)) == 0,
			      "example %zu: %s", i, why);
		ck_assert_uint_ge(c.ntables, 1);
		tables_release(&c);
		free(ex[i]);
	}
	free(ex);
}
END_TEST

START_TEST(test_columns)
{
	const char *j =
		"{\"tables\": [{\"name\": \"t\", \"event\": \"Swap(address indexed sender, "
		"int256 amount0, uint160 sqrtPriceX96, string s, uint8, (bool) q)\","
		" \"strings\": \"bytes\"},"
		"{\"name\": \"u\", \"event\": \"Transfer(address indexed from, "
		"address indexed to, uint256 value)\", \"columns\": [\"value\", "
		"{\"arg\": \"from\", \"name\": \"sender\", \"type\": \"bytea\"}],"
		" \"addresses\": [\"0x00000000000000000000000000000000000000aa\"],"
		" \"filters\": {\"to\": [\"0xbb\", \"0x00000000000000000000000000000000000000cc\"]}}]}";
	static const char *const names[] = { "sender", "amount0", "sqrtpricex96",
					     "s", "arg4", "q" };
	static const enum abi_col cols[] = { ABI_COL_BYTEA, ABI_COL_NUMERIC,
					     ABI_COL_NUMERIC, ABI_COL_BYTEA,
					     ABI_COL_BIGINT, ABI_COL_JSONB };
	struct config c;
	char why[512];

	ck_assert_msg(tables_parse(j, &c, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(c.tables[0].ncols, 6);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_str_eq(c.tables[0].cols[i].name, names[i]);
		ck_assert_int_eq(c.tables[0].cols[i].col, cols[i]);
		ck_assert_uint_eq(c.tables[0].cols[i].arg, i);
	}
	ck_assert(c.tables[0].strings_as_bytes);
	ck_assert_uint_eq(c.tables[1].ncols, 2);
	ck_assert_str_eq(c.tables[1].cols[0].name, "value");
	ck_assert_uint_eq(c.tables[1].cols[0].arg, 2);
	ck_assert_str_eq(c.tables[1].cols[1].name, "sender");
	ck_assert_uint_eq(c.tables[1].naddrs, 1);
	ck_assert_int_eq(c.tables[1].addrs[0][19], 0xaa);
	ck_assert_uint_eq(c.tables[1].ntopic[2], 2); /* "to" is topic 2 */
	ck_assert_uint_eq(c.tables[1].ntopic[1], 0);
	ck_assert_int_eq(c.tables[1].topic[2][0][31], 0xbb);
	ck_assert_int_eq(c.tables[1].topic[2][0][30], 0);
	ck_assert_int_eq(c.tables[1].topic[2][1][31], 0xcc);
	tables_release(&c);
}
END_TEST

#define T1(body) "{\"tables\": [" body "]}"
#define TR "\"event\": \"Transfer(address indexed from, address indexed to, uint256 value)\""

static const struct {
	const char *json, *why;
} bad[] = {
	{ "", "not JSON" },
	{ "{}", "expected {\"tables\"" },
	{ "{\"tables\": []}", "expected {\"tables\"" },
	{ T1("3"), "tables[0]: not an object" },
	{ T1("{" TR "}"), "tables[0]: \"name\"" },
	{ T1("{\"name\": \"Bad\", " TR "}"), "\"name\"" },
	{ T1("{\"name\": \"a123456789a123456789a123456789a123456789a1234567890\", " TR "}"), "\"name\"" },
	{ T1("{\"name\": \"t\"}"), "give \"event\"" },
	{ T1("{\"name\": \"t\", " TR "}, {\"name\": \"t\", " TR "}"), "tables[1]: a second table named 't'" },
	{ T1("{\"name\": \"t\", \"event\": \"E(uint7 a)\"}"), "event: bad type 'uint7'" },
	{ T1("{\"name\": \"t\", \"abi\": [], \"event\": \"E\"}"), "no event 'E'" },
	{ T1("{\"name\": \"t\", \"abi\": []}"), "name the event" },
	{ T1("{\"name\": \"t\", \"abi\": {\"type\": \"event\"}}"), "not an event fragment" },
	{ T1("{\"name\": \"t\", " TR ", \"addresses\": [\"0x12\"]}"), "addresses[0]" },
	{ T1("{\"name\": \"t\", " TR ", \"addresses\": \"0x12\"}"), "not an array" },
	{ T1("{\"name\": \"t\", " TR ", \"filters\": {\"value\": \"0x01\"}}"), "'value' is not an indexed argument" },
	{ T1("{\"name\": \"t\", " TR ", \"filters\": {\"to\": \"0xzz\"}}"), "values are 0x hex" },
	{ T1("{\"name\": \"t\", " TR ", \"filters\": {\"to\": []}}"), "empty list" },
	{ T1("{\"name\": \"t\", " TR ", \"columns\": [\"nope\"]}"), "no argument 'nope'" },
	{ T1("{\"name\": \"t\", " TR ", \"columns\": [\"value\", \"value\"]}"), "two columns named 'value'" },
	{ T1("{\"name\": \"t\", " TR ", \"columns\": [{\"arg\": \"value\", \"type\": \"text\"}]}"), "type 'text'" },
	{ T1("{\"name\": \"t\", \"event\": \"E(uint256 address)\"}"), "one of the log's own columns" },
	{ T1("{\"name\": \"t\", \"event\": \"E(uint256 block_number)\"}"), "one of the log's own columns" },
	{ T1("{\"name\": \"t\", " TR ", \"strings\": \"maybe\"}"), "\"strings\"" },
};

START_TEST(test_bad)
{
	struct config c;
	char why[512] = "";

	ck_assert_int_eq(tables_parse(bad[_i].json, &c, why, sizeof(why)), -1);
	ck_assert_msg(strstr(why, bad[_i].why) != NULL, "%s: '%s', want '%s'",
		      bad[_i].json, why, bad[_i].why);
	ck_assert_uint_eq(c.ntables, 0);
}
END_TEST

START_TEST(test_load_missing)
{
	struct config c;
	char why[512];

	ck_assert_int_eq(tables_load("/nonexistent/tables.json", &c, why,
				     sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "cannot open '/nonexistent/tables.json'"));
}
END_TEST

static Suite *tables_suite(void)
{
	Suite *s = suite_create("tables");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_doc_examples);
	tcase_add_test(tc, test_columns);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_load_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tables_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
