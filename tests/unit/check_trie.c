/* Merkle-Patricia trie roots: the empty trie, the vectors of
 * ethereum/tests TrieTests/trieanyorder.json (commit 7d66cbff: singleItem,
 * dogs, puppy), an ordered list of RLP(index) keys on both sides of the
 * 0x7f/0x80 key boundary checked against the trie built by hand, and what
 * must fail. The roots of real blocks are in check_body.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "keccak.h"
#include "rlp.h"
#include "trie.h"

static void root_hex(const uint8_t r[32], char out[HASH_HEX_SIZE])
{
	keccak256_hex(r, out);
}

static int kv_root(const char *const *kv, size_t n, char out[HASH_HEX_SIZE])
{
	struct trie_item items[8];
	uint8_t r[32];

	for (size_t i = 0; i < n; i++)
		items[i] = (struct trie_item){
			(const uint8_t *)kv[2 * i], strlen(kv[2 * i]),
			(const uint8_t *)kv[2 * i + 1], strlen(kv[2 * i + 1]) };
	if (trie_root(items, n, r) < 0)
		return -1;
	root_hex(r, out);
	return 0;
}

START_TEST(empty_root)
{
	uint8_t r[32], h[32];
	char hex[HASH_HEX_SIZE];

	ck_assert_int_eq(trie_root(NULL, 0, r), 0);
	root_hex(r, hex);
	ck_assert_str_eq(hex, "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996"
			      "cadc001622fb5e363b421");
	ck_assert_int_eq(trie_root_list(NULL, NULL, 0, r), 0);
	ck_assert_mem_eq(r, trie_empty_root, 32);
	keccak256("\x80", 1, h); /* Keccak-256 of RLP("") */
	ck_assert_mem_eq(h, trie_empty_root, 32);
}
END_TEST

static const struct {
	const char *name;
	const char *kv[8];
	size_t n;
	const char *root;
} vectors[] = {
	{ "singleItem",
	  { "A", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, 1,
	  "0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab" },
	{ "dogs",
	  { "doe", "reindeer", "dog", "puppy", "dogglesworth", "cat" }, 3,
	  "0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3" },
	{ "puppy",
	  { "do", "verb", "horse", "stallion", "doge", "coin", "dog",
	    "puppy" }, 4,
	  "0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84" },
};

START_TEST(anyorder_vectors)
{
	char hex[HASH_HEX_SIZE];

	ck_assert_int_eq(kv_root(vectors[_i].kv, vectors[_i].n, hex), 0);
	ck_assert_msg(!strcmp(hex, vectors[_i].root), "%s: %s, expected %s",
		      vectors[_i].name, hex, vectors[_i].root);
}
END_TEST

/* Keys given in another order give the same root. */
START_TEST(order_does_not_matter)
{
	const char *kv[] = { "dog", "puppy", "doge", "coin", "horse",
			     "stallion", "do", "verb" };
	char hex[HASH_HEX_SIZE];

	ck_assert_int_eq(kv_root(kv, 4, hex), 0);
	ck_assert_str_eq(hex, vectors[2].root);
}
END_TEST

START_TEST(duplicate_key_fails)
{
	const char *kv[] = { "dog", "puppy", "dog", "cat" };
	char hex[HASH_HEX_SIZE];

	ck_assert_int_eq(kv_root(kv, 2, hex), -1);
}
END_TEST

/* One value at key RLP(0) = 0x80: a single leaf [hp(0x80, leaf), v],
 * hp = 0x20 0x80 (even path). Short enough to check by hand. */
START_TEST(list_single_leaf)
{
	uint8_t data[] = { 'x' }, r[32], want[32];
	size_t off[] = { 0, 1 };
	struct buf payload = BUF_INIT, node = BUF_INIT;

	ck_assert_int_eq(trie_root_list(data, off, 1, r), 0);
	rlp_put_bytes(&payload, "\x20\x80", 2);
	rlp_put_bytes(&payload, "x", 1);
	rlp_put_list(&node, payload.data, payload.len);
	keccak256(node.data, node.len, want);
	ck_assert_mem_eq(r, want, 32);
	buf_release(&payload);
	buf_release(&node);
}
END_TEST

/* An ordered list is the trie of (RLP(i), v_i): both ways agree, also
 * across 128 and 256 items (keys of one, two and three bytes). */
START_TEST(list_matches_general)
{
	size_t n = 300, off[301];
	uint8_t data[300 * 4], keys[300][4], r1[32], r2[32];
	struct trie_item items[300];

	for (size_t i = 0; i < n; i++) {
		struct buf k = BUF_INIT;

		off[i] = i * 4;
		memcpy(data + i * 4, &i, 4);
		rlp_put_uint(&k, i);
		memcpy(keys[i], k.data, k.len);
		items[i] = (struct trie_item){ keys[i], k.len, data + i * 4, 4 };
		buf_release(&k);
	}
	off[n] = n * 4;
	for (size_t m = 1; m <= n; m += 37) {
		ck_assert_int_eq(trie_root_list(data, off, m, r1), 0);
		ck_assert_int_eq(trie_root(items, m, r2), 0);
		ck_assert_mem_eq(r1, r2, 32);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trie");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, empty_root);
	tcase_add_loop_test(tc, anyorder_vectors, 0,
			    sizeof(vectors) / sizeof(vectors[0]));
	tcase_add_test(tc, order_does_not_matter);
	tcase_add_test(tc, duplicate_key_fails);
	tcase_add_test(tc, list_single_leaf);
	tcase_add_test(tc, list_matches_general);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
