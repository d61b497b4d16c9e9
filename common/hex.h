/* Hex text: the one place digits are decoded and encoded, and the size of
 * a hash as text. Nothing here allocates; callers own every buffer. */
#ifndef HEX_H
#define HEX_H

#include <stddef.h>
#include <stdint.h>

/* A 32-byte hash as text: "0x" and 64 hex digits (HASH_HEX_LEN), with its
 * NUL (HASH_HEX_SIZE), the size of every char hash[] buffer. */
#define HASH_HEX_LEN 66
#define HASH_HEX_SIZE (HASH_HEX_LEN + 1)

/* 1 + the value of each hex digit (either case), 0 for anything else. */
extern const uint8_t hex_digit_table[256];

/* The value of hex digit c (0-9, a-f, A-F), or -1. */
static inline int hex_digit(char c)
{
	return (int)hex_digit_table[(uint8_t)c] - 1;
}

/* 2n hex digits at s into n bytes at out. 0, or -1 when a character is
 * not a hex digit (out is then partly written). */
int hex_to_bytes(const char *s, size_t n, uint8_t *out);

/* Is s[0..n) "0x" and an even number of hex digits (either case)? The
 * number of bytes they make, or -1. */
long hex_span_bytes(const char *s, size_t n);

/* n bytes as "0x" and 2n lowercase digits and a NUL: out holds 2n + 3. */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* A quantity "0x..." (n characters, either case, leading zeros allowed,
 * at most 64 significant digits: 256 bits) as decimal digits and a NUL
 * in out. 0, or -1 when malformed, too wide or outlen too small (78
 * digits + NUL always suffice). */
int hex_u256_to_dec(const char *s, size_t n, char *out, size_t outlen);

#endif
