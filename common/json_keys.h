/* The key sets behind json.c's refusal of repeated keys (json.h says
 * what is refused and why). Internal to the json module.
 *
 * Every open container of the document has a frame; an object's keys go
 * to one arena with their hash, searched linearly while the object is
 * small and through an open-addressing index once it has more than
 * JSON_KEYS_LINEAR; a 256-bit filter of the hashes spares most new keys
 * (all but about one in ten of an object of 20) any search. Keys compare as yajl hands them (unescaped), up to a
 * NUL (yajl's tree keeps keys as C strings), case-sensitively. */
#ifndef JSON_KEYS_H
#define JSON_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define JSON_KEYS_LINEAR 32

struct json_keys_entry {
	uint32_t hash;
	uint32_t len;
	const char *p; /* the key where it stays put, or NULL: */
	size_t off;    /* its copy in the arena */
};

struct json_keys_frame {
	size_t e0;     /* first entry of this object */
	size_t b0;     /* arena length when it opened */
	size_t index;  /* arrays: elements begun */
	int is_array;
	int indexed;   /* tab holds this object's keys */
	uint64_t seen[4]; /* a bit for each key's hash & 255: a key whose
			   * bit is clear is new without a search */
	uint32_t *tab; /* entry index + 1, 0 free; kept for reuse */
	size_t tabcap;
};

struct json_keys {
	struct json_keys_entry *e;
	size_t ne, cape;
	char *b;
	size_t nb, capb;
	struct json_keys_frame *f;
	size_t nf, capf;
	size_t maxf; /* frames ever used (their tables are kept) */
};

#define JSON_KEYS_INIT { 0 }

/* Free what ks holds; it is empty again. */
void json_keys_release(struct json_keys *ks);
/* A container opens (the element it is in, in an array, begins). 0, or
 * -1 when out of memory. */
int json_keys_push(struct json_keys *ks, int is_array);
/* The innermost container closes. */
void json_keys_pop(struct json_keys *ks);
/* A scalar element of the innermost array begins. */
void json_keys_scalar(struct json_keys *ks);
/* Add key k[0..n) to the innermost object: 0, 1 when it is there
 * already, -1 when out of memory. stable: k stays valid and unchanged
 * until the object closes (it is not copied). */
int json_keys_add(struct json_keys *ks, const char *k, size_t n, int stable);
/* "duplicate key 'K' in PATH" for key k of the innermost object, PATH
 * like $.block.transactions[3]; quotes, backslashes and control
 * characters of keys shown as '?'. */
void json_keys_dup_error(const struct json_keys *ks, const char *k, size_t n,
			 char *err, size_t errlen);
/* Grow the array *pp of *cap elements of size bytes to hold need. */
int json_keys_grow(void *pp, size_t *cap, size_t need, size_t size);

#endif
