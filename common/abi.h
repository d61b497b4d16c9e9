/* Solidity ABI: event declarations and the decoding of logs.
 *
 * An event comes from a human-readable signature
 * ("Transfer(address indexed from, address indexed to, uint256 value)")
 * or from its JSON ABI fragment as solc and block explorers emit it. A
 * parsed event (struct abi_event) owns its types; abi_event_free() frees
 * it. Decoding a log gives one value per argument as the PostgreSQL text
 * input of its column (struct abi_row), owned by the row: abi_row_release.
 *
 * Decoding is strict, as the ABI specification's strict mode: padding and
 * unused high bits must be zero (sign bits for intN), bool is 0 or 1,
 * every offset and length stays within the data, and a log whose topic
 * count does not match the event is refused. Nothing in the data can make
 * it allocate more than ABI_OUT_MAX bytes or recurse deeper than the
 * event's types. */
#ifndef ABI_H
#define ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ABI_MAX_DEPTH 16           /* nesting of arrays and tuples */
#define ABI_MAX_FIXED 65536        /* the length of a T[N] */
#define ABI_OUT_MAX ((size_t)16 << 20) /* decoded text of one log */

enum abi_kind {
	ABI_UINT,    /* bits */
	ABI_INT,     /* bits */
	ABI_ADDRESS,
	ABI_BOOL,
	ABI_FBYTES,  /* bytesN: size */
	ABI_BYTES,
	ABI_STRING,
	ABI_ARRAY,   /* T[]: elem */
	ABI_FARRAY,  /* T[N]: elem, size */
	ABI_TUPLE,   /* (T1,...): comps, names */
};

struct abi_type {
	enum abi_kind kind;
	unsigned bits;          /* ABI_UINT, ABI_INT */
	size_t size;            /* ABI_FBYTES bytes, ABI_FARRAY length */
	struct abi_type *elem;  /* ABI_ARRAY, ABI_FARRAY */
	size_t ncomps;          /* ABI_TUPLE */
	struct abi_type **comps;
	char **names;           /* ABI_TUPLE: component names ("" unnamed) */
};

/* The PostgreSQL column a value goes to. */
enum abi_col {
	ABI_COL_BIGINT,  /* intN N <= 64, uintN N <= 32 */
	ABI_COL_NUMERIC, /* other integers: numeric(78,0) */
	ABI_COL_BOOL,
	ABI_COL_BYTEA,   /* address, bytesN, bytes, an indexed dynamic hash */
	ABI_COL_TEXT,    /* string */
	ABI_COL_JSONB,   /* arrays and tuples */
};

struct abi_param {
	char *name;      /* "" when the ABI has none */
	bool indexed;
	struct abi_type *type;
};

struct abi_event {
	char *name;
	bool anonymous;
	size_t nparams;
	struct abi_param *params;
	char *signature; /* canonical: "Transfer(address,address,uint256)" */
	uint8_t topic0[32];
	size_t nindexed;
};

/* Parse a human-readable event signature: an optional "event", the name,
 * the parameters each "TYPE [indexed] [NAME]", and an optional
 * "anonymous". TYPE is an elementary type (uint and int mean 256 bits),
 * "(T1 n1, T2 n2)" or "tuple(...)", each followed by any number of "[]"
 * or "[N]". NULL on error with the reason in why[whylen]. */
struct abi_event *abi_event_parse(const char *sig, char *why, size_t whylen);

/* Parse a JSON ABI event fragment ({"type":"event","name":...,"inputs":
 * [...]}) given as text. NULL on error with the reason in why. */
struct abi_event *abi_event_from_json(const char *json, size_t len,
				      char *why, size_t whylen);

/* The same from a parsed yajl tree (a yajl_val), which stays the
 * caller's. */
struct yajl_val_s;
struct abi_event *abi_event_from_tree(struct yajl_val_s *node, char *why,
				      size_t whylen);

void abi_event_free(struct abi_event *ev);

/* Parse one type ("uint256", "(bool,bytes)[2]"); NULL on error. Free it
 * with abi_type_free. */
struct abi_type *abi_type_parse(const char *s, char *why, size_t whylen);
void abi_type_free(struct abi_type *t);
/* Is the type dynamic (bytes, string, T[], or containing one)? */
bool abi_type_dynamic(const struct abi_type *t);
/* The canonical name into out ("(uint256,bytes)[]"); -1 when too long. */
int abi_type_canonical(const struct abi_type *t, char *out, size_t outlen);

/* The column of a parameter: an indexed dynamic type is its topic hash. */
enum abi_col abi_param_col(const struct abi_param *p);
/* "numeric(78,0)", "bytea", ... */
const char *abi_col_sql(enum abi_col c);

/* A decoded value: the PostgreSQL text input of its column (bytea as
 * "\x" + hex, jsonb as JSON text) or NULL for SQL NULL. */
struct abi_row {
	size_t n;
	char **vals;
	size_t *lens;
};

/* Decode a log: topics (ntopics of 32 bytes each) and data. On success
 * row holds ev->nparams values (release it with abi_row_release). -1 when
 * the log does not decode, with the reason in why. String values that
 * are not valid UTF-8 (or hold a NUL) are refused unless strings_as_bytes
 * is set, in which case every string is given as bytea text. */
int abi_decode_log(const struct abi_event *ev, const uint8_t (*topics)[32],
		   size_t ntopics, const uint8_t *data, size_t len,
		   bool strings_as_bytes, struct abi_row *row, char *why,
		   size_t whylen);
void abi_row_release(struct abi_row *row);

#endif
