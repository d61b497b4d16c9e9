#include "hex.h"

#include <string.h>

#include "banned.h"

/* A table, not a branch a digit: block bodies are hundreds of kilobytes
 * of hex. */
const uint8_t hex_digit_table[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11,
	['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int hex_to_bytes(const char *s, size_t n, uint8_t *out)
{
	unsigned bad = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned hi = hex_digit_table[(uint8_t)s[2 * i]];
		unsigned lo = hex_digit_table[(uint8_t)s[2 * i + 1]];

		bad |= (hi == 0) | (lo == 0);
		out[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	return bad ? -1 : 0;
}

long hex_span_bytes(const char *s, size_t n)
{
	if (!s || n < 2 || s[0] != '0' || s[1] != 'x' || n % 2)
		return -1;
	for (size_t i = 2; i < n; i++)
		if (hex_digit_table[(uint8_t)s[i]] == 0)
			return -1;
	return (long)((n - 2) / 2);
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		out[2 + 2 * i] = digits[in[i] >> 4];
		out[3 + 2 * i] = digits[in[i] & 15];
	}
	out[2 + 2 * n] = '\0';
}

/* The value is read into 32-bit words; one that fits 64 bits is written
 * by the machine's division, a larger one divided by 10^9 over the words
 * still in use, nine digits a pass, until what is left fits 64 bits. */
int hex_u256_to_dec(const char *s, size_t n, char *out, size_t outlen)
{
	uint32_t w[8] = { 0 }; /* little-endian words: 256 bits */
	char tmp[80];
	size_t nd = 0, top;

	if (!s || n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	n -= 2;
	while (n > 1 && *s == '0') {
		s++;
		n--;
	}
	if (n > 64)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[n - 1 - i]);

		if (d < 0)
			return -1;
		w[i / 8] |= (uint32_t)d << 4 * (i % 8);
	}
	top = (n + 7) / 8; /* the words in use */
	while (top > 2) {
		uint64_t rem = 0;

		for (size_t k = top; k-- > 0;) {
			uint64_t v = rem << 32 | w[k];

			w[k] = (uint32_t)(v / 1000000000u);
			rem = v % 1000000000u;
		}
		while (top && !w[top - 1])
			top--;
		/* nine digits, fewer for the highest */
		for (int j = 0; j < 9 && (top || rem); j++) {
			tmp[nd++] = (char)('0' + rem % 10);
			rem /= 10;
		}
	}
	if (top || !nd) { /* what is left fits 64 bits (0 gives "0") */
		uint64_t v = (uint64_t)w[1] << 32 | w[0];

		do
			tmp[nd++] = (char)('0' + v % 10);
		while ((v /= 10));
	}
	if (nd + 1 > outlen)
		return -1;
	for (size_t i = 0; i < nd; i++)
		out[i] = tmp[nd - 1 - i];
	out[nd] = '\0';
	return 0;
}
