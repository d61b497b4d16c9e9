/* JSON strings written by hand: the one escaper for text that did not
 * come out of a yajl_gen (a JSON-RPC method name, a topic from the
 * network, a key taken from a node's answer), and the one reader of a
 * UTF-8 sequence the others check bytes with.
 *
 * Nothing here allocates but the caller's buffer; on failure the buffer
 * may hold part of the string (reset it or give up on it). */
#ifndef JSON_ESCAPE_H
#define JSON_ESCAPE_H

#include <stddef.h>

struct buf;

/* Bytes in the well-formed UTF-8 sequence (RFC 3629) at s[0..n), n > 0:
 * 1 for an ASCII byte, 2 to 4 for a multi-byte character, 0 when s does
 * not start one (a stray continuation byte, an overlong form, a
 * surrogate, a code point above U+10FFFF, a sequence cut short). */
size_t json_utf8_len(const unsigned char *s, size_t n);

/* Append s[0..n) to out as a JSON string, quotes included: '"' and '\'
 * escaped with a backslash, control characters (below 0x20, and DEL) as
 * \u00XX, valid UTF-8 as it is, and every byte that is not part of valid
 * UTF-8 as \ufffd (U+FFFD), so that any bytes make a string every JSON
 * reader accepts. s may hold NUL bytes (written \u0000). Returns 0, or -1
 * when out's cap is reached or memory runs out (errno set by buf). */
int json_escape(struct buf *out, const char *s, size_t n);

#endif
