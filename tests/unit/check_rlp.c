/* RLP: the examples of the Ethereum wiki and yellow paper, integers, the
 * 55/56-byte boundary of the long form, and the strict decoder. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rlp.h"

static char *hex_of(const struct buf *b)
{
	static char out[1024];
	static const char hx[] = "0123456789abcdef";
	size_t j = 0;

	for (size_t i = 0; i < b->len && j + 2 < sizeof(out); i++) {
		out[j++] = hx[(uint8_t)b->data[i] >> 4];
		out[j++] = hx[(uint8_t)b->data[i] & 15];
	}
	out[j] = '\0';
	return out;
}

static const struct {
	const char *in;
	const char *out;
} strings[] = {
	{ "", "80" },
	{ "dog", "83646f67" },
	{ "\x0f", "0f" },
	{ "\x7f", "7f" },
	{ "\x80", "8180" },
	{ "Lorem ipsum dolor sit amet, consectetur adipisicing eli",
	  "b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e"
	  "7365637465747572206164697069736963696e6720656c69" },
	{ "Lorem ipsum dolor sit amet, consectetur adipisicing elit",
	  "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f"
	  "6e7365637465747572206164697069736963696e6720656c6974" },
};

START_TEST(test_strings)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(rlp_put_bytes(&b, strings[_i].in,
				       strlen(strings[_i].in)), 0);
	ck_assert_str_eq(hex_of(&b), strings[_i].out);
	buf_release(&b);
}
END_TEST

static const struct {
	uint64_t v;
	const char *out;
} uints[] = {
	{ 0, "80" },
	{ 1, "01" },
	{ 0x7f, "7f" },
	{ 0x80, "8180" },
	{ 15, "0f" },
	{ 1024, "820400" },
	{ 0xffffffffffffffffULL, "88ffffffffffffffff" },
	{ 0x0100000000ULL, "850100000000" },
};

START_TEST(test_uints)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(rlp_put_uint(&b, uints[_i].v), 0);
	ck_assert_str_eq(hex_of(&b), uints[_i].out);
	buf_release(&b);
}
END_TEST

START_TEST(test_uint_be)
{
	struct buf b = BUF_INIT;
	const uint8_t zeros[32] = { 0 };
	uint8_t big[33] = { 0, 1 };

	/* leading zero bytes go; all zeros is the empty string */
	ck_assert_int_eq(rlp_put_uint_be(&b, zeros, sizeof(zeros)), 0);
	ck_assert_str_eq(hex_of(&b), "80");
	buf_reset(&b);
	ck_assert_int_eq(rlp_put_uint_be(&b, big, sizeof(big)), 0);
	ck_assert_uint_eq(b.len, 1 + 32);
	ck_assert_uint_eq((uint8_t)b.data[0], 0xa0);
	buf_release(&b);
}
END_TEST

START_TEST(test_lists)
{
	struct buf b = BUF_INIT, items = BUF_INIT, inner = BUF_INIT,
		   x = BUF_INIT;

	/* [ "cat", "dog" ] */
	rlp_put_bytes(&items, "cat", 3);
	rlp_put_bytes(&items, "dog", 3);
	ck_assert_int_eq(rlp_put_list(&b, items.data, items.len), 0);
	ck_assert_str_eq(hex_of(&b), "c88363617483646f67");

	/* [] */
	buf_reset(&b);
	ck_assert_int_eq(rlp_put_list(&b, NULL, 0), 0);
	ck_assert_str_eq(hex_of(&b), "c0");

	/* the set-theoretic three: [ [], [[]], [ [], [[]] ] ] */
	buf_reset(&b);
	buf_reset(&items);
	rlp_put_list(&items, NULL, 0);               /* [] */
	rlp_put_list(&inner, NULL, 0);               /* inner = [] enc */
	rlp_put_list(&items, inner.data, inner.len); /* [[]] */
	rlp_put_list(&x, NULL, 0);
	rlp_put_list(&x, inner.data, inner.len);     /* [], [[]] */
	rlp_put_list(&items, x.data, x.len);
	rlp_put_list(&b, items.data, items.len);
	ck_assert_str_eq(hex_of(&b), "c7c0c1c0c3c0c1c0");

	/* a list of 60 bytes of payload takes the long form f8 3c */
	buf_reset(&b);
	buf_reset(&items);
	for (int i = 0; i < 15; i++)
		rlp_put_bytes(&items, "abc", 3);
	rlp_put_list(&b, items.data, items.len);
	ck_assert_uint_eq((uint8_t)b.data[0], 0xf8);
	ck_assert_uint_eq((uint8_t)b.data[1], 60);
	ck_assert_uint_eq(b.len, 62);

	buf_release(&b);
	buf_release(&items);
	buf_release(&inner);
	buf_release(&x);
}
END_TEST

START_TEST(test_long_string_1024)
{
	struct buf b = BUF_INIT;
	char s[1024];
	struct rlp_item it;
	const char *why = NULL;

	memset(s, 'x', sizeof(s));
	rlp_put_bytes(&b, s, sizeof(s));
	ck_assert_uint_eq((uint8_t)b.data[0], 0xb9);
	ck_assert_uint_eq((uint8_t)b.data[1], 0x04);
	ck_assert_uint_eq((uint8_t)b.data[2], 0x00);
	ck_assert_int_eq(rlp_decode((const uint8_t *)b.data, b.len, &it, &why),
			 0);
	ck_assert_int_eq(it.kind, RLP_STRING);
	ck_assert_uint_eq(it.len, 1024);
	ck_assert_uint_eq(it.size, b.len);
	buf_release(&b);
}
END_TEST

static const struct {
	const char *hex;
	int ok;
	int kind;
	size_t len, size;
} decodes[] = {
	{ "80", 1, RLP_STRING, 0, 1 },
	{ "7f", 1, RLP_STRING, 1, 1 },
	{ "83646f67", 1, RLP_STRING, 3, 4 },
	{ "c88363617483646f67", 1, RLP_LIST, 8, 9 },
	{ "c0", 1, RLP_LIST, 0, 1 },
	{ "83646f67ff", 1, RLP_STRING, 3, 4 }, /* trailing bytes are the caller's */
	{ "", 0, 0, 0, 0 },                    /* empty */
	{ "8100", 0, 0, 0, 0 },                /* single byte < 0x80 with prefix */
	{ "837465", 0, 0, 0, 0 },              /* past the end */
	{ "b80141", 0, 0, 0, 0 },              /* long form for a short string */
	{ "b9000141", 0, 0, 0, 0 },            /* leading zero in the length */
	{ "f800", 0, 0, 0, 0 },                /* long form list, short length */
	{ "c3", 0, 0, 0, 0 },                  /* list past the end */
	{ "bfffffffffffffffffff", 0, 0, 0, 0 },/* absurd length */
};

START_TEST(test_decode)
{
	uint8_t in[64];
	size_t n = strlen(decodes[_i].hex) / 2;
	struct rlp_item it;
	const char *why = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(decodes[_i].hex + 2 * i, "%2x", &v);
		in[i] = (uint8_t)v;
	}
	rc = rlp_decode(in, n, &it, &why);
	if (!decodes[_i].ok) {
		ck_assert_int_eq(rc, -1);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(it.kind, decodes[_i].kind);
	ck_assert_uint_eq(it.len, decodes[_i].len);
	ck_assert_uint_eq(it.size, decodes[_i].size);
}
END_TEST

static Suite *rlp_suite(void)
{
	Suite *s = suite_create("rlp");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_strings, 0,
			    sizeof(strings) / sizeof(strings[0]));
	tcase_add_loop_test(tc, test_uints, 0, sizeof(uints) / sizeof(uints[0]));
	tcase_add_test(tc, test_uint_be);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_long_string_1024);
	tcase_add_loop_test(tc, test_decode, 0,
			    sizeof(decodes) / sizeof(decodes[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rlp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
