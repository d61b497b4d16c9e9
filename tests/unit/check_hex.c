/* common/hex: digit values, bytes, encoding and 256-bit decimals. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

START_TEST(test_digit)
{
	const char *ok = "0123456789abcdefABCDEF";
	const int val[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
			    14, 15, 10, 11, 12, 13, 14, 15 };

	for (size_t i = 0; ok[i]; i++)
		ck_assert_int_eq(hex_digit(ok[i]), val[i]);
	for (int c = -128; c < 128; c++)
		if (!strchr(ok, c) || c == 0)
			ck_assert_int_eq(hex_digit((char)c), -1);
}
END_TEST

START_TEST(test_bytes)
{
	uint8_t b[4];

	ck_assert_int_eq(hex_to_bytes("00ff7A10", 4, b), 0);
	ck_assert_int_eq(b[0], 0x00);
	ck_assert_int_eq(b[1], 0xff);
	ck_assert_int_eq(b[2], 0x7a);
	ck_assert_int_eq(b[3], 0x10);
	ck_assert_int_eq(hex_to_bytes("0g", 1, b), -1);
	ck_assert_int_eq(hex_to_bytes("g0", 1, b), -1);
	ck_assert_int_eq(hex_to_bytes("0 ", 1, b), -1);
	ck_assert_int_eq(hex_to_bytes("", 0, b), 0);
}
END_TEST

START_TEST(test_span_bytes)
{
	ck_assert_int_eq(hex_span_bytes("0x", 2), 0);
	ck_assert_int_eq(hex_span_bytes("0x00ffAB", 8), 3);
	ck_assert_int_eq(hex_span_bytes("0x00ffAB", 6), 2); /* the span only */
	ck_assert_int_eq(hex_span_bytes("0x0", 3), -1);       /* odd */
	ck_assert_int_eq(hex_span_bytes("0X00", 4), -1);      /* 0x only */
	ck_assert_int_eq(hex_span_bytes("0x0g", 4), -1);
	ck_assert_int_eq(hex_span_bytes("00", 2), -1);
	ck_assert_int_eq(hex_span_bytes("0", 1), -1);
	ck_assert_int_eq(hex_span_bytes(NULL, 0), -1);
}
END_TEST

START_TEST(test_encode)
{
	const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff };
	char out[2 * sizeof(in) + 3], hash[HASH_HEX_SIZE];
	uint8_t z[32] = { 0 };

	memset(out, 'x', sizeof(out));
	hex_encode(in, sizeof(in), out);
	ck_assert_str_eq(out, "0x0001abff");
	hex_encode(in, 0, out);
	ck_assert_str_eq(out, "0x");
	hex_encode(z, sizeof(z), hash);
	ck_assert_uint_eq(strlen(hash), HASH_HEX_LEN);
}
END_TEST

/* The cases of both former converters (the writer's and the
 * broadcaster's), which now share this one. */
static const struct {
	const char *in;
	const char *out; /* NULL: refused */
} decs[] = {
	{ "0x0", "0" },
	{ "0x00", "0" },
	{ "0x000", "0" },
	{ "0x1", "1" },
	{ "0xff", "255" },
	{ "0xFF", "255" },
	{ "0X1f", "31" },
	{ "0x00ff", "255" },
	{ "0xde0b6b3a7640000", "1000000000000000000" },
	{ "0xffffffffffffffff", "18446744073709551615" },
	{ "0x10000000000000000", "18446744073709551616" },
	{ "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	  "115792089237316195423570985008687907853269984665640564039457584007913129639935" },
	{ "0x0000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	  "115792089237316195423570985008687907853269984665640564039457584007913129639935" },
	/* across the 10^9 steps and the 64-bit edge, zero runs inside */
	{ "0x33b2e3c9fd0803ce8000000", "1000000000000000000000000000" },
	{ "0x100000000000000000000000000000000", "340282366920938463463374607431768211456" },
	{ "0x3b9aca00", "1000000000" },
	{ "0x3b9ac9ff", "999999999" },
	{ "0xc9f2c9cd04674edea3fffffff", "999999999999999999999999999999" },
	{ "0x3b9aca000000000000000005", "18446744073709551616000000005" },
	{ "0xdd15fe86affad91249ef0eb713f39ebeaa987b6e6fd2a0000000000000000000",
	  "100000000000000000000000000000000000000000000000000000000000000000000000000000" },
	{ "0xf252e6b438", "1040772936760" },
	{ "0xa66513270e269e0d37", "3069442724199904709943" },
	{ "0x8d23f0824128b2f330c5c7fd0", "698893352947583750040010391504" },
	{ "0x30ed904759531985d5d9dc9f81818e811", "1040583111567612922332317330071195543569" },
	{ "0x116b0d549b6f03675a1600a35a099950d836f675cc81e74ef5",
	  "109335638675460665076458783937903718599063216319774180462325" },
	{ "0xfd8be1190c192cfd3ac94af0f21ddb66cad4a268d116ece1738f7d93d9c1724",
	  "7167643500110711902138082791874448021594643255740416313989048950903501756196" },
	{ "0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NULL },
	{ "0x10000000000000000000000000000000000000000000000000000000000000000", NULL },
	{ "", NULL },
	{ "0x", NULL },
	{ "12", NULL },
	{ "ff", NULL },
	{ "0xg1", NULL },
	{ "0x1 ", NULL },
	{ "-0x1", NULL },
};

START_TEST(test_u256_to_dec)
{
	char out[80];
	int rc = hex_u256_to_dec(decs[_i].in, strlen(decs[_i].in), out,
				 sizeof(out));

	if (!decs[_i].out) {
		ck_assert_msg(rc == -1, "'%s' accepted as %s", decs[_i].in, out);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", decs[_i].in);
	ck_assert_str_eq(out, decs[_i].out);
}
END_TEST

START_TEST(test_u256_to_dec_edges)
{
	char out[3];

	ck_assert_int_eq(hex_u256_to_dec("0xff", 4, out, sizeof(out)), -1);
	ck_assert_int_eq(hex_u256_to_dec("0x63", 4, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "99");
	ck_assert_int_eq(hex_u256_to_dec(NULL, 0, out, sizeof(out)), -1);
	/* The length counts, not a NUL: "0x12" read as its first three. */
	ck_assert_int_eq(hex_u256_to_dec("0x12", 3, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1");
}
END_TEST

static Suite *hex_suite(void)
{
	Suite *s = suite_create("hex");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_digit);
	tcase_add_test(tc, test_bytes);
	tcase_add_test(tc, test_span_bytes);
	tcase_add_test(tc, test_encode);
	tcase_add_loop_test(tc, test_u256_to_dec, 0,
			    (int)(sizeof(decs) / sizeof(decs[0])));
	tcase_add_test(tc, test_u256_to_dec_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hex_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
