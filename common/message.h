/* The messages of docs/protocol.md (block, reorg, heartbeat, committed):
 * the one place that builds, reads and re-stamps them. A field added to
 * docs/protocol.md is added here and to tests/unit/check_message.c, and
 * every program follows.
 *
 * Reading walks the message once (json_members): the whole document is
 * validated, a key repeated at any depth refuses it (MESSAGE_DUPLICATE),
 * and the top-level fields are checked against the protocol: integers
 * are JSON numbers (0 .. 2^63-1), hashes "0x" + 64 hex digits, strings
 * plain (no escapes). Nested values the programs read themselves (the
 * node's `block` and `receipts`) are handed out as raw spans of the
 * input, so they pass through unchanged. What a program does with a
 * valid message (a reorg range too large, a block without seq) is its
 * own policy, not the format's.
 *
 * A struct message read from text points into that text (the spans) and
 * may own an array (a reorg's orphaned): message_release() frees it. */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "hex.h"

struct buf;

enum message_type {
	MESSAGE_OTHER = 0, /* a type this module does not know: type_name */
	MESSAGE_BLOCK,
	MESSAGE_REORG,
	MESSAGE_HEARTBEAT,
	MESSAGE_COMMITTED,
};

enum message_status {
	MESSAGE_OK = 0,
	MESSAGE_INVALID,   /* not JSON, or not an object */
	MESSAGE_DUPLICATE, /* an object repeats a key, at any depth */
	MESSAGE_NO_TYPE,   /* no "type" string */
	MESSAGE_BAD_FIELD, /* a field missing or malformed: err names it */
	MESSAGE_NOMEM,
};

/* A metric label for a status: "invalid_json", "duplicate_key",
 * "no_type", "bad_field", "out_of_memory" ("ok"). */
const char *message_status_label(enum message_status st);

/* Raw bytes of a value inside the message read. */
struct message_span {
	const char *p;
	size_t n;
};

/* {number, hash}; hash is "" when the message gave null. */
struct message_ref {
	uint64_t number;
	char hash[HASH_HEX_SIZE];
};

struct message_block {
	uint64_t chain_id;
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	char parent_hash[HASH_HEX_SIZE];
	bool live; /* false when absent */
	bool has_fetched_at, has_seq, has_emitted_at;
	uint64_t fetched_at, seq, emitted_at;
	char reason[16]; /* "" when absent */
	struct message_span block;    /* the node's block object */
	struct message_span receipts; /* the node's receipts array */
	/* Where seq, emitted_at and reason stand in the text read, with
	 * the comma before them, so message_restamp() can replace them. */
	struct message_span stamps[3];
	int nstamps;
};

struct message_reorg {
	uint64_t chain_id;
	bool has_seq, has_emitted_at;
	uint64_t seq, emitted_at;
	bool has_ancestor; /* false: null, the ancestor is below block 0 */
	struct message_ref ancestor;
	struct message_ref *orphaned; /* ascending; owned */
	size_t norphaned;
	bool has_new_tip; /* absent or null: false; its hash may be "" */
	struct message_ref new_tip;
	bool has_depth;
	uint64_t depth;
	bool deep;
	uint64_t invalidate_from, invalidate_to; /* from <= to */
	bool below_finalized;
};

struct message_heartbeat {
	uint64_t chain_id;
	bool has_seq, has_time;
	uint64_t seq, time;
	char prog[32];
	bool has_tip; /* false before the first block (null) */
	struct message_ref tip;
};

struct message_committed {
	uint64_t chain_id;
	char writer[192];
	bool has_from, has_to, has_watermark, has_time;
	uint64_t from, to, watermark, time;
	uint64_t blocks;
};

struct message {
	enum message_type type;
	char type_name[32];
	union {
		struct message_block block;
		struct message_reorg reorg;
		struct message_heartbeat heartbeat;
		struct message_committed committed;
	} u;
};

/* Read the message text[0..len) (not necessarily NUL-terminated) into m.
 * MESSAGE_OK also for a type this module does not know (MESSAGE_OTHER,
 * type_name set, nothing else read). Otherwise a reason in err, such as
 * "message.hash: not a 32-byte 0x-hex hash" or "duplicate key 'number'
 * in $". type_name is set as soon as the type is known, also on error.
 * Release m with message_release() whatever the status. */
enum message_status message_read(const char *text, size_t len,
				 struct message *m, char *err, size_t errlen);
void message_release(struct message *m);

/* message_read(), also handing out in *tree the tree of the whole
 * message (json_parse()'s layout) built by the same walk, for a program
 * that reads the nested values (the node's block and receipts) itself:
 * the message is parsed once. *tree is NULL unless MESSAGE_OK; the
 * caller frees it with json_tree_free() (json.h). */
enum message_status message_read_tree(const char *text, size_t len,
				      struct message *m, yajl_val *tree,
				      char *err, size_t errlen);

/* The `block` message of b: type, chain_id, number, hash, parent_hash,
 * live, fetched_at (when has_fetched_at), block and receipts (b's spans,
 * copied as they are), into out (reset first). seq, emitted_at and reason
 * are not written: message_restamp() adds them. 0, or -1 when out's cap
 * is reached or out of memory. */
int message_block_build(struct buf *out, const struct message_block *b);

/* The verifier's stamp: out gets text with `"seq":N,"emitted_at":MS,` and
 * `"reason":"R",` (when reason is not NULL) inserted after the opening
 * brace, the rest of the bytes unchanged. When read is the message_read()
 * of this same text, stamps it already carries are replaced, not
 * repeated. reason must be a plain word ([a-z_]). 0, or -1 (not an
 * object, a bad reason, out of memory). */
int message_restamp(struct buf *out, const char *text, size_t len,
		    const struct message_block *read, uint64_t seq,
		    uint64_t emitted_at, const char *reason);

/* The `reorg` message of r (seq and emitted_at written when has_*). */
int message_reorg_build(struct buf *out, const struct message_reorg *r);
/* The `heartbeat` message of h (seq, time when has_*; tip null unless
 * has_tip). */
int message_heartbeat_build(struct buf *out,
			    const struct message_heartbeat *h);
/* The `committed` message of c (from, to, watermark null unless has_*). */
int message_committed_build(struct buf *out,
			    const struct message_committed *c);

#endif
