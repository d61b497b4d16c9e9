/* Keccak-256 (Ethereum's, not SHA3-256): known vectors, inputs around the
 * 136-byte rate (expected digests from anvil's web3_sha3), and streaming
 * in pieces of every awkward size. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "keccak.h"

static const struct {
	const char *text;
	const char *hash;
} text_vectors[] = {
	{ "", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470" },
	{ "abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45" },
	{ "The quick brown fox jumps over the lazy dog",
	  "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15" },
};

/* Input i % 251 for i in [0, len): crosses the rate at 136 and 272. */
static const struct {
	size_t len;
	const char *hash;
} long_vectors[] = {
	{ 135, "0xcbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62" },
	{ 136, "0x7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e" },
	{ 137, "0xac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db" },
	{ 200, "0xbfb0aa97863e797943cf7c33bb7e880bb4543f3d2703c0923c6901c2af57b890" },
	{ 272, "0x8e2476e65823b24d96ebe239f2c1534cdf763e689e2410c3b1cb0c74e6177bfc" },
	{ 1000, "0xaf692982e84a5a9688359025660a7857cd28ee7c8d867cfa1677baf2e6d1f63b" },
};

static void pattern(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i % 251);
}

START_TEST(test_text)
{
	uint8_t d[32];
	char hex[HASH_HEX_SIZE];

	keccak256(text_vectors[_i].text, strlen(text_vectors[_i].text), d);
	keccak256_hex(d, hex);
	ck_assert_str_eq(hex, text_vectors[_i].hash);
}
END_TEST

START_TEST(test_long)
{
	uint8_t buf[1000], d[32];
	char hex[HASH_HEX_SIZE];

	pattern(buf, long_vectors[_i].len);
	keccak256(buf, long_vectors[_i].len, d);
	keccak256_hex(d, hex);
	ck_assert_str_eq(hex, long_vectors[_i].hash);
}
END_TEST

/* The same 1000 bytes fed in chunks of each size give the same digest. */
START_TEST(test_streaming)
{
	static const size_t chunks[] = { 1, 7, 64, 135, 136, 137, 271, 999 };
	uint8_t buf[1000], d[32];
	char hex[HASH_HEX_SIZE];
	struct keccak256 k;
	size_t step = chunks[_i];

	pattern(buf, sizeof(buf));
	keccak256_init(&k);
	for (size_t off = 0; off < sizeof(buf); off += step)
		keccak256_update(&k, buf + off,
				 off + step > sizeof(buf) ? sizeof(buf) - off
							  : step);
	keccak256_final(&k, d);
	keccak256_hex(d, hex);
	ck_assert_str_eq(hex, long_vectors[5].hash);
	/* final re-initialises: the context hashes "" next */
	keccak256_final(&k, d);
	keccak256_hex(d, hex);
	ck_assert_str_eq(hex, text_vectors[0].hash);
}
END_TEST

/* Not SHA3-256: that would give a7ffc6f8... for "". */
START_TEST(test_not_sha3)
{
	uint8_t d[32];
	char hex[HASH_HEX_SIZE];

	keccak256("", 0, d);
	keccak256_hex(d, hex);
	ck_assert_str_ne(hex, "0xa7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
}
END_TEST

static Suite *keccak_suite(void)
{
	Suite *s = suite_create("keccak");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_text, 0,
			    sizeof(text_vectors) / sizeof(text_vectors[0]));
	tcase_add_loop_test(tc, test_long, 0,
			    sizeof(long_vectors) / sizeof(long_vectors[0]));
	tcase_add_loop_test(tc, test_streaming, 0, 8);
	tcase_add_test(tc, test_not_sha3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(keccak_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
