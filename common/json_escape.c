#include "json_escape.h"

#include <stdint.h>

#include "buf.h"
#include "banned.h"

size_t json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = s[0] == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Does byte c stand for itself in a JSON string (when it starts a valid
 * sequence)? */
static int plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\' && c != 0x7f;
}

int json_escape(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (buf_addch(out, '"') < 0)
		return -1;
	while (i < n) {
		size_t run = i, len;

		/* A run of bytes written as they are, in one append. */
		while (run < n && plain(p[run]) &&
		       (len = json_utf8_len(p + run, n - run)) > 0)
			run += len;
		if (run > i && buf_add(out, p + i, run - i) < 0)
			return -1;
		i = run;
		if (i == n)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			if (buf_addch(out, '\\') < 0 ||
			    buf_addch(out, (char)p[i]) < 0)
				return -1;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			if (buf_addf(out, "\\u%04x", p[i]) < 0)
				return -1;
		} else if (buf_adds(out, "\\ufffd") < 0) {
			return -1;
		}
		i++;
	}
	return buf_addch(out, '"');
}
