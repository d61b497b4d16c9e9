#include "trie.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "keccak.h"
#include "rlp.h"
#include "banned.h"

const uint8_t trie_empty_root[32] = {
	0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45,
	0xe6, 0x92, 0xc0, 0xf8, 0x6e, 0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c,
	0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21,
};

static unsigned nib(const struct trie_item *it, size_t i)
{
	uint8_t b = it->key[i / 2];

	return i % 2 ? b & 15u : b >> 4;
}

static size_t nibs(const struct trie_item *it)
{
	return it->keylen * 2;
}

/* Hex-prefix encoding of the nibbles of it from `from` to `to` as an
 * RLP string: flag nibble (2 for a leaf, +1 when odd), then the path. */
static int put_hp(struct buf *out, const struct trie_item *it, size_t from,
		  size_t to, int leaf)
{
	uint8_t hp[80];
	size_t n = to - from, j = 0;
	unsigned flag = (leaf ? 2u : 0u) + (n % 2 ? 1u : 0u);

	if (n / 2 + 1 > sizeof(hp))
		return -1;
	if (n % 2)
		hp[j++] = (uint8_t)(flag << 4 | nib(it, from++));
	else
		hp[j++] = (uint8_t)(flag << 4);
	for (; from < to; from += 2)
		hp[j++] = (uint8_t)(nib(it, from) << 4 | nib(it, from + 1));
	return rlp_put_bytes(out, hp, j);
}

/* Append the reference to an encoded node: the node itself when shorter
 * than 32 bytes, else its hash as a string. */
static int put_ref(struct buf *out, const struct buf *node)
{
	uint8_t h[32];

	if (node->len < 32)
		return buf_add(out, node->data, node->len);
	keccak256(node->data, node->len, h);
	return rlp_put_bytes(out, h, sizeof(h));
}

static int encode(const struct trie_item *it, size_t lo, size_t hi,
		  size_t depth, struct buf *out);

/* Length of the path all of it[lo..hi) share from depth on. */
static size_t shared(const struct trie_item *it, size_t lo, size_t hi,
		     size_t depth)
{
	size_t end = nibs(&it[lo]);

	for (size_t k = lo + 1; k < hi; k++) {
		size_t e = nibs(&it[k]) < end ? nibs(&it[k]) : end, d = depth;

		while (d < e && nib(&it[lo], d) == nib(&it[k], d))
			d++;
		end = d;
	}
	return end - depth;
}

/* A branch at depth over it[lo..hi) (sorted): 16 children, then the
 * value of a key ending here. */
static int encode_branch(const struct trie_item *it, size_t lo, size_t hi,
			 size_t depth, struct buf *out)
{
	struct buf payload = BUF_INIT, child = BUF_INIT;
	const struct trie_item *here = NULL;
	int rc = -1;

	if (lo < hi && nibs(&it[lo]) == depth)
		here = &it[lo++]; /* sorted: the shortest key comes first */
	for (unsigned d = 0; d < 16; d++) {
		size_t end = lo;

		while (end < hi && nib(&it[end], depth) == d)
			end++;
		if (end == lo) {
			if (buf_add(&payload, "\x80", 1) < 0)
				goto fail;
			continue;
		}
		buf_reset(&child);
		if (encode(it, lo, end, depth + 1, &child) < 0 ||
		    put_ref(&payload, &child) < 0)
			goto fail;
		lo = end;
	}
	if (lo != hi)
		goto fail;
	if ((here ? rlp_put_bytes(&payload, here->val, here->vallen)
		  : buf_add(&payload, "\x80", 1)) < 0)
		goto fail;
	rc = rlp_put_list(out, payload.data, payload.len);
fail:
	buf_release(&payload);
	buf_release(&child);
	return rc;
}

/* The node for it[lo..hi), all sharing their first depth nibbles. */
static int encode(const struct trie_item *it, size_t lo, size_t hi,
		  size_t depth, struct buf *out)
{
	struct buf payload = BUF_INIT, child = BUF_INIT;
	size_t cp;
	int rc = -1;

	if (hi - lo == 1) {
		if (put_hp(&payload, &it[lo], depth, nibs(&it[lo]), 1) < 0 ||
		    rlp_put_bytes(&payload, it[lo].val, it[lo].vallen) < 0)
			goto fail;
		rc = rlp_put_list(out, payload.data, payload.len);
		goto fail;
	}
	cp = shared(it, lo, hi, depth);
	if (cp == 0) {
		rc = encode_branch(it, lo, hi, depth, out);
		goto fail;
	}
	if (put_hp(&payload, &it[lo], depth, depth + cp, 0) < 0 ||
	    encode_branch(it, lo, hi, depth + cp, &child) < 0 ||
	    put_ref(&payload, &child) < 0)
		goto fail;
	rc = rlp_put_list(out, payload.data, payload.len);
fail:
	buf_release(&payload);
	buf_release(&child);
	return rc;
}

static int cmp_key(const void *a, const void *b)
{
	const struct trie_item *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->keylen < y->keylen ? -1 : x->keylen > y->keylen;
}

int trie_root(struct trie_item *items, size_t n, uint8_t root[32])
{
	struct buf node = BUF_INIT;

	if (!n) {
		memcpy(root, trie_empty_root, 32);
		return 0;
	}
	qsort(items, n, sizeof(*items), cmp_key);
	for (size_t i = 1; i < n; i++)
		if (!cmp_key(&items[i - 1], &items[i]))
			return -1;
	if (encode(items, 0, n, 0, &node) < 0) {
		buf_release(&node);
		return -1;
	}
	keccak256(node.data, node.len, root);
	buf_release(&node);
	return 0;
}

/* RLP(i) into k (at most 9 bytes); returns its length. */
static size_t rlp_index(size_t i, uint8_t k[9])
{
	size_t n = 0;

	if (i == 0) {
		k[0] = 0x80;
		return 1;
	}
	if (i < 0x80) {
		k[0] = (uint8_t)i;
		return 1;
	}
	for (size_t v = i; v; v >>= 8)
		n++;
	k[0] = (uint8_t)(0x80 + n);
	for (size_t j = 0; j < n; j++)
		k[n - j] = (uint8_t)(i >> (8 * j));
	return n + 1;
}

int trie_root_list(const uint8_t *data, const size_t *off, size_t n,
		   uint8_t root[32])
{
	struct trie_item *items;
	uint8_t *keys;
	int rc = -1;

	if (!n)
		return trie_root(NULL, 0, root);
	items = calloc(n, sizeof(*items));
	keys = malloc(n * 9);
	if (!items || !keys)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		size_t kl = rlp_index(i, keys + i * 9);

		items[i] = (struct trie_item){ keys + i * 9, kl, data + off[i],
					       off[i + 1] - off[i] };
	}
	rc = trie_root(items, n, root);
fail:
	free(items);
	free(keys);
	return rc;
}
