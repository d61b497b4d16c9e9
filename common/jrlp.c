#include "jrlp.h"

#include <string.h>

#include "buf.h"
#include "hex.h"
#include "rlp.h"
#include "banned.h"

static const char *hexstr(yajl_val v)
{
	const char *s;

	if (!v || !YAJL_IS_STRING(v))
		return NULL;
	s = v->u.string;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return NULL;
	return s + 2;
}

int jrlp_qty32(yajl_val v, uint8_t out[32])
{
	const char *s = hexstr(v);
	size_t n;

	if (!s)
		return -1;
	n = strlen(s);
	if (n == 0)
		return -1;
	while (n > 64 && *s == '0') {
		s++;
		n--;
	}
	if (n > 64)
		return -1;
	memset(out, 0, 32);
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[n - 1 - i]);

		if (d < 0)
			return -1;
		out[31 - i / 2] |= (uint8_t)(i % 2 ? d << 4 : d);
	}
	return 0;
}

int jrlp_qty(struct buf *out, yajl_val v)
{
	uint8_t be[32];

	if (jrlp_qty32(v, be) < 0)
		return -1;
	return rlp_put_uint_be(out, be, sizeof(be));
}

int jrlp_bytes(yajl_val v, uint8_t *out, size_t width)
{
	const char *s = hexstr(v);

	if (!s || strlen(s) != 2 * width)
		return -1;
	return hex_to_bytes(s, width, out);
}

int jrlp_fixed(struct buf *out, yajl_val v, size_t width)
{
	uint8_t b[256];

	if (width > sizeof(b) || jrlp_bytes(v, b, width) < 0)
		return -1;
	return rlp_put_bytes(out, b, width);
}

int jrlp_to(struct buf *out, yajl_val v)
{
	if (!v || YAJL_IS_NULL(v))
		return rlp_put_bytes(out, "", 0);
	return jrlp_fixed(out, v, 20);
}

int jrlp_data(struct buf *out, yajl_val v, struct buf *scratch)
{
	const char *s = hexstr(v);
	size_t n;

	if (!s)
		return -1;
	n = strlen(s);
	if (n % 2)
		return -1;
	buf_reset(scratch);
	if (buf_grow(scratch, n / 2) < 0 ||
	    hex_to_bytes(s, n / 2, (uint8_t *)scratch->data) < 0)
		return -1;
	return rlp_put_bytes(out, scratch->data, n / 2);
}

int jrlp_fixed_list(struct buf *out, yajl_val v, size_t width,
		    struct buf *scratch)
{
	if (!v || !YAJL_IS_ARRAY(v))
		return -1;
	buf_reset(scratch);
	for (size_t i = 0; i < v->u.array.len; i++)
		if (jrlp_fixed(scratch, v->u.array.values[i], width) < 0)
			return -1;
	return rlp_put_list(out, scratch->data, scratch->len);
}
