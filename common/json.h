/* JSON on yajl: tree parsing with typed accessors, a member walker that
 * hands out the raw bytes of each value (so the node's `result` passes
 * through unchanged, never rebuilt), generator helpers, and the 0x-hex
 * quantities Ethereum uses.
 *
 * Trees from json_parse() belong to the caller: yajl_tree_free(3) them.
 * Strings returned by accessors point into the tree. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Why a document was refused. A key given twice in one object (at any
 * depth, compared after unescaping, case-sensitive) is refused by every
 * reader here: yajl's tree would see the first, a member walk the last,
 * and two programs reading one message would disagree. The reason then
 * reads "duplicate key 'KEY' in PATH" (PATH like $.block.transactions[3]). */
enum json_status {
	JSON_OK = 0,
	JSON_INVALID = -1,   /* not JSON (or out of memory) */
	JSON_DUPLICATE = -2, /* an object repeats a key */
};

/* Parse a NUL-terminated document; NULL on error with a reason in err.
 * json_parse_st also says why in *st (when st is not NULL). */
yajl_val json_parse(const char *text, char *err, size_t errlen);
yajl_val json_parse_st(const char *text, char *err, size_t errlen,
		       enum json_status *st);

/* Member key of an object, or NULL when absent or obj is not an object. */
yajl_val json_get(yajl_val obj, const char *key);
/* The member's string, or NULL when absent or not a string. */
const char *json_get_str(yajl_val obj, const char *key);
/* An integer member given as a JSON number or a 0x-hex string. */
int json_get_u64(yajl_val obj, const char *key, uint64_t *out);
int json_get_i64(yajl_val obj, const char *key, int64_t *out);
/* The member's boolean; def when absent or not a boolean. */
int json_get_bool(yajl_val obj, const char *key, int def);

/* "0x1a" -> 26. Strict: 0x prefix, 1..16 hex digits. 0 or -1. */
int json_hex_u64(const char *s, uint64_t *out);
/* "0xabcd" -> bytes. Strict: 0x prefix, even digit count, at most max
 * bytes. Returns the byte count or -1. */
long json_hex_bytes(const char *s, uint8_t *out, size_t max);
/* Is s a 0x-prefixed hex string of exactly nbytes bytes ("0x" + 2n)? */
int json_is_hex_len(const char *s, size_t nbytes);

/* One member of an object seen by json_members(): its key and the raw
 * bytes of its value exactly as they stand in the input. */
struct json_member {
	const char *key; /* NULL for an array element that is not an object */
	size_t keylen;
	const char *val;
	size_t vallen;
	size_t index; /* element index when the document is an array */
	size_t nelem;    /* when the value is an array: its elements, */
	int all_objects; /* and whether each is an object (else 0, 0) */
};

typedef int (*json_member_fn)(void *arg, const struct json_member *m);

/* Validate buf[0..len) as one JSON document and call fn for every member
 * of the top-level object, or of every object element of a top-level
 * array (a non-object element is reported once with key NULL). fn returns
 * 0 to go on, non-zero to stop (then json_members returns that value).
 * Returns 0, JSON_INVALID (-1) on invalid JSON or JSON_DUPLICATE (-2) on
 * a repeated key anywhere in the document, with a reason in err. fn may
 * have been called for members before the duplicate. */
int json_members(const char *buf, size_t len, json_member_fn fn, void *arg,
		 char *err, size_t errlen);

/* json_members(), also building the tree json_parse() would give of the
 * document, in the same pass, in one arena: *tree is the caller's, NULL
 * unless json_members_tree() returns 0. Free it with json_tree_free(),
 * never yajl_tree_free(3) (and a json_parse() tree never with
 * json_tree_free()). */
int json_members_tree(const char *buf, size_t len, json_member_fn fn,
		      void *arg, yajl_val *tree, char *err, size_t errlen);
/* Free a tree of json_members_tree() (NULL is nothing). */
void json_tree_free(yajl_val tree);

/* Find the raw value of one top-level member. 0 found, 1 absent, -1 on
 * invalid JSON, -2 on a duplicate key. */
int json_span(const char *buf, size_t len, const char *key,
	      const char **val, size_t *vallen);

/* Generator helpers: a yajl_gen without beautify or UTF-8 validation. */
yajl_gen json_gen_new(void);
void json_gen_key(yajl_gen g, const char *key);
void json_gen_cstr(yajl_gen g, const char *s); /* NULL -> null */
/* Insert text as it is: it must already be valid JSON. */
void json_gen_raw(yajl_gen g, const char *text, size_t len);
void json_gen_u64(yajl_gen g, uint64_t v);

#endif
