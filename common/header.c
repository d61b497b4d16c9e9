#include "header.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "hex.h"
#include "json.h"
#include "keccak.h"
#include "rlp.h"
#include "banned.h"

enum field_kind {
	F_FIXED, /* fixed-width byte string */
	F_BYTES, /* variable byte string (extraData) */
	F_QTY,   /* quantity: minimal big-endian integer, up to 256 bits */
};

struct field {
	const char *name;
	enum field_kind kind;
	size_t width; /* F_FIXED: exact bytes; F_BYTES/F_QTY: maximum */
	int optional; /* a fork field: included when present */
};

static const struct field fields[] = {
	{ "parentHash", F_FIXED, 32, 0 },
	{ "sha3Uncles", F_FIXED, 32, 0 },
	{ "miner", F_FIXED, 20, 0 },
	{ "stateRoot", F_FIXED, 32, 0 },
	{ "transactionsRoot", F_FIXED, 32, 0 },
	{ "receiptsRoot", F_FIXED, 32, 0 },
	{ "logsBloom", F_FIXED, 256, 0 },
	{ "difficulty", F_QTY, 32, 0 },
	{ "number", F_QTY, 32, 0 },
	{ "gasLimit", F_QTY, 32, 0 },
	{ "gasUsed", F_QTY, 32, 0 },
	{ "timestamp", F_QTY, 32, 0 },
	{ "extraData", F_BYTES, 1 << 16, 0 },
	{ "mixHash", F_FIXED, 32, 0 },
	{ "nonce", F_FIXED, 8, 0 },
	{ "baseFeePerGas", F_QTY, 32, 1 },       /* London (EIP-1559) */
	{ "withdrawalsRoot", F_FIXED, 32, 1 },   /* Shanghai (EIP-4895) */
	{ "blobGasUsed", F_QTY, 32, 1 },         /* Cancun (EIP-4844) */
	{ "excessBlobGas", F_QTY, 32, 1 },       /* Cancun (EIP-4844) */
	{ "parentBeaconBlockRoot", F_FIXED, 32, 1 }, /* Cancun (EIP-4788) */
	{ "requestsHash", F_FIXED, 32, 1 },      /* Prague (EIP-7685) */
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct collect {
	const char *val[NFIELDS]; /* the string's characters, after the quote */
	size_t len[NFIELDS];
	const char *hash; /* the block's own "hash" (not part of the header) */
	size_t hash_len;
	int bad; /* index+1 of a field that is not a plain string */
};

/* The characters of a string value (after the opening quote), or NULL
 * when the value is not a string; *is_null tells null apart. */
static const char *string_span(const struct json_member *m, size_t *len,
			       int *is_null)
{
	const char *v = m->val, *end = m->val + m->vallen, *q;

	*is_null = 0;
	while (v < end && (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r'))
		v++;
	if (v < end && *v == 'n') {
		*is_null = 1;
		return NULL;
	}
	if (v >= end || *v != '"')
		return NULL;
	v++;
	q = memchr(v, '"', (size_t)(end - v));
	if (!q)
		return NULL;
	*len = (size_t)(q - v);
	return v;
}

/* The member key[0..keylen) of the block, its string v[0..len) (NULL
 * when not a string; is_null for null): kept when the header has it. 0,
 * or 1 (c->bad set) when a header field is not a string. */
static int collect_field(struct collect *c, const char *key, size_t keylen,
			 const char *v, size_t len, int is_null)
{
	if (keylen == 4 && !memcmp(key, "hash", 4)) {
		c->hash = v;
		c->hash_len = v ? len : 0;
		return 0;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strlen(fields[i].name) != keylen ||
		    memcmp(fields[i].name, key, keylen))
			continue;
		if (is_null) /* null: as if absent */
			return 0;
		if (!v) {
			c->bad = (int)i + 1;
			return 1;
		}
		c->val[i] = v;
		c->len[i] = len;
		return 0;
	}
	return 0;
}

static int collect_cb(void *arg, const struct json_member *m)
{
	const char *v;
	size_t len = 0;
	int is_null;

	if (!m->key)
		return 0;
	v = string_span(m, &len, &is_null);
	return collect_field(arg, m->key, m->keylen, v, len, is_null);
}

/* Hex digits s[0..n) (after "0x") into big-endian bytes, right-aligned
 * in out[0..*outlen); an odd count gets a leading zero nibble. */
static int hex_decode(const char *s, size_t n, uint8_t *out, size_t max,
		      size_t *outlen)
{
	size_t bytes = (n + 1) / 2;
	size_t j = 0;

	if (bytes > max)
		return -1;
	if (n % 2) {
		int v = hex_digit(s[0]);

		if (v < 0)
			return -1;
		out[j++] = (uint8_t)v;
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[j++] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = j;
	return 0;
}

static int fail(char *whybuf, size_t whylen, const char *field,
		const char *what)
{
	if (whybuf && whylen) {
		if (field)
			snprintf(whybuf, whylen, "'%s' %s", field, what);
		else
			snprintf(whybuf, whylen, "%s", what);
	}
	return -1;
}

static int collect(const char *block, size_t len, struct collect *c,
		   char *whybuf, size_t whylen)
{
	char err[160];
	int rc;

	memset(c, 0, sizeof(*c));
	rc = len ? json_members(block, len, collect_cb, c, err, sizeof(err))
		 : JSON_INVALID;
	if (rc == JSON_DUPLICATE) /* which field would count is unclear */
		return fail(whybuf, whylen, NULL, err);
	if (rc < 0)
		return fail(whybuf, whylen, NULL, "block is not a JSON object");
	if (c->bad)
		return fail(whybuf, whylen, fields[c->bad - 1].name,
			    "is not a hex string");
	return 0;
}

static int encode(const struct collect *cp, struct buf *out, char *whybuf,
		  size_t whylen)
{
	const struct collect c = *cp;
	struct buf items = BUF_INIT;
	uint8_t bytes[1 << 16];
	int rc = -1;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		const char *s = c.val[i];
		size_t n = c.len[i], blen;

		if (!s) {
			if (!f->optional) {
				fail(whybuf, whylen, f->name, "is missing");
				goto out;
			}
			continue;
		}
		if (n < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
			fail(whybuf, whylen, f->name, "is not 0x-prefixed hex");
			goto out;
		}
		s += 2;
		n -= 2;
		if (f->kind != F_QTY && n % 2) {
			fail(whybuf, whylen, f->name, "has an odd digit count");
			goto out;
		}
		if (f->kind == F_QTY && n == 0) {
			fail(whybuf, whylen, f->name, "is an empty quantity");
			goto out;
		}
		if ((n + 1) / 2 > f->width) {
			fail(whybuf, whylen, f->name, "is too long");
			goto out;
		}
		if (hex_decode(s, n, bytes, f->width, &blen) < 0) {
			fail(whybuf, whylen, f->name, "is not hex");
			goto out;
		}
		if (f->kind == F_FIXED && blen != f->width) {
			fail(whybuf, whylen, f->name, "has the wrong length");
			goto out;
		}
		if ((f->kind == F_QTY ? rlp_put_uint_be(&items, bytes, blen)
				      : rlp_put_bytes(&items, bytes, blen)) < 0) {
			fail(whybuf, whylen, NULL, "out of memory");
			goto out;
		}
	}
	if (rlp_put_list(out, items.data, items.len) < 0) {
		fail(whybuf, whylen, NULL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	buf_release(&items);
	return rc;
}

int header_rlp(const char *block, size_t len, struct buf *out,
	       char *whybuf, size_t whylen)
{
	struct collect c;

	if (collect(block, len, &c, whybuf, whylen) < 0)
		return -1;
	return encode(&c, out, whybuf, whylen);
}

static int hash_of(const struct collect *c, char hash[HASH_HEX_SIZE], char *whybuf,
		   size_t whylen)
{
	struct buf enc = BUF_INIT;
	uint8_t d[KECCAK256_DIGEST_SIZE];

	if (encode(c, &enc, whybuf, whylen) < 0) {
		buf_release(&enc);
		return -1;
	}
	keccak256(enc.data, enc.len, d);
	keccak256_hex(d, hash);
	buf_release(&enc);
	return 0;
}

int header_hash(const char *block, size_t len, char hash[HASH_HEX_SIZE], char *whybuf,
		size_t whylen)
{
	struct collect c;

	if (collect(block, len, &c, whybuf, whylen) < 0)
		return -1;
	return hash_of(&c, hash, whybuf, whylen);
}

/* A 32-byte hash string (after "0x" checks) into out[HASH_HEX_SIZE]. */
static int copy_hash(const char *s, size_t n, char out[HASH_HEX_SIZE])
{
	if (n != HASH_HEX_LEN || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	for (size_t i = 2; i < n; i++)
		if (hex_digit(s[i]) < 0)
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* header_inspect() on the fields collected. */
static int inspect(const struct collect *cp, struct header_info *hi,
		   char *whybuf, size_t whylen)
{
	const struct collect c = *cp;
	size_t nlen;
	const char *num;
	uint64_t v = 0;

	if (!c.hash || copy_hash(c.hash, c.hash_len, hi->hash) < 0)
		return fail(whybuf, whylen, "hash", "is missing or malformed");
	if (!c.val[0] || copy_hash(c.val[0], c.len[0], hi->parent_hash) < 0)
		return fail(whybuf, whylen, "parentHash",
			    "is missing or malformed");
	num = c.val[8];
	nlen = c.len[8];
	if (!num || nlen < 3 || nlen > 18 || num[0] != '0' || num[1] != 'x')
		return fail(whybuf, whylen, "number", "is missing or malformed");
	for (size_t i = 2; i < nlen; i++) {
		int d = hex_digit(num[i]);

		if (d < 0)
			return fail(whybuf, whylen, "number", "is not hex");
		v = v << 4 | (uint64_t)d;
	}
	hi->number = v;
	return hash_of(&c, hi->computed, whybuf, whylen);
}

int header_inspect(const char *block, size_t len, struct header_info *hi,
		   char *whybuf, size_t whylen)
{
	struct collect c;

	return collect(block, len, &c, whybuf, whylen) < 0
		       ? -1 : inspect(&c, hi, whybuf, whylen);
}

int header_inspect_tree(yajl_val block, struct header_info *hi,
			char *whybuf, size_t whylen)
{
	struct collect c;

	memset(&c, 0, sizeof(c));
	if (!block || !YAJL_IS_OBJECT(block))
		return fail(whybuf, whylen, NULL, "block is not a JSON object");
	for (size_t i = 0; i < block->u.object.len; i++) {
		const char *k = block->u.object.keys[i];
		yajl_val v = block->u.object.values[i];
		const char *str = YAJL_IS_STRING(v) ? v->u.string : NULL;

		if (collect_field(&c, k, strlen(k), str, str ? strlen(str) : 0,
				  YAJL_IS_NULL(v)))
			return fail(whybuf, whylen, fields[c.bad - 1].name,
				    "is not a hex string");
	}
	return inspect(&c, hi, whybuf, whylen);
}
