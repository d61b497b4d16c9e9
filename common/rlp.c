#include "rlp.h"

#include "buf.h"
#include "banned.h"

/* Prefix for a payload of len bytes: short form offset+len below 56,
 * long form (offset+55+bytes of len) then len big-endian. */
static int put_prefix(struct buf *out, uint8_t offset, size_t len)
{
	uint8_t hdr[9];
	size_t n = 0;

	if (len < 56) {
		hdr[0] = (uint8_t)(offset + len);
		return buf_add(out, hdr, 1);
	}
	for (size_t v = len; v; v >>= 8)
		n++;
	hdr[0] = (uint8_t)(offset + 55 + n);
	for (size_t i = 0; i < n; i++)
		hdr[n - i] = (uint8_t)(len >> (8 * i));
	return buf_add(out, hdr, n + 1);
}

int rlp_put_bytes(struct buf *out, const void *p, size_t len)
{
	const uint8_t *b = p;

	if (len == 1 && b[0] < 0x80)
		return buf_add(out, b, 1);
	if (put_prefix(out, 0x80, len) < 0)
		return -1;
	return len ? buf_add(out, b, len) : 0;
}

int rlp_put_uint_be(struct buf *out, const uint8_t *p, size_t len)
{
	while (len && !*p) {
		p++;
		len--;
	}
	return rlp_put_bytes(out, p, len);
}

int rlp_put_uint(struct buf *out, uint64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (8 * (7 - i)));
	return rlp_put_uint_be(out, be, sizeof(be));
}

int rlp_put_list(struct buf *out, const void *payload, size_t len)
{
	if (put_prefix(out, 0xc0, len) < 0)
		return -1;
	return len ? buf_add(out, payload, len) : 0;
}

/* The long-form length of n bytes at p: canonical (no leading zero, at
 * least 56), and fitting in size_t. */
static int long_len(const uint8_t *p, size_t avail, size_t n, size_t *out,
		    const char **why)
{
	size_t v = 0;

	if (n > avail) {
		*why = "length prefix past the end";
		return -1;
	}
	if (n > sizeof(size_t)) {
		*why = "length too large";
		return -1;
	}
	if (p[0] == 0) {
		*why = "non-canonical length (leading zero)";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	if (v < 56) {
		*why = "non-canonical length (long form for a short item)";
		return -1;
	}
	*out = v;
	return 0;
}

int rlp_decode(const uint8_t *p, size_t len, struct rlp_item *item,
	       const char **why)
{
	size_t hdr, plen;
	uint8_t b;

	if (!len) {
		*why = "empty input";
		return -1;
	}
	b = p[0];
	if (b < 0x80) {
		item->kind = RLP_STRING;
		item->payload = p;
		item->len = 1;
		item->size = 1;
		return 0;
	}
	if (b <= 0xb7) {
		item->kind = RLP_STRING;
		hdr = 1;
		plen = b - 0x80u;
		if (plen == 1 && len > 1 && p[1] < 0x80) {
			*why = "non-canonical single byte";
			return -1;
		}
	} else if (b < 0xc0) {
		item->kind = RLP_STRING;
		hdr = 1 + (b - 0xb7u);
		if (long_len(p + 1, len - 1, b - 0xb7u, &plen, why) < 0)
			return -1;
	} else if (b <= 0xf7) {
		item->kind = RLP_LIST;
		hdr = 1;
		plen = b - 0xc0u;
	} else {
		item->kind = RLP_LIST;
		hdr = 1 + (b - 0xf7u);
		if (long_len(p + 1, len - 1, b - 0xf7u, &plen, why) < 0)
			return -1;
	}
	if (plen > len - hdr) {
		*why = "item past the end of the input";
		return -1;
	}
	item->payload = p + hdr;
	item->len = plen;
	item->size = hdr + plen;
	return 0;
}
