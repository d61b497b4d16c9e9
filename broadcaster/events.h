/* Events: the verifier's messages turned into the frames clients receive.
 *
 * Each event is serialised here once per protocol shape (channel protocol
 * and eth_subscription results), off the WebSocket thread, and then shared
 * read-only by every client through the ring. Frames are allocated with
 * EV_PRE bytes of headroom before data so that lws_write() can be handed
 * them as they are (libwebsockets writes its frame header there).
 *
 * The builder (struct events) remembers the logs of the recent blocks it
 * broadcast, so that a reorg can send them again with "removed": true. It
 * belongs to one thread (the input thread). An event is owned by whoever
 * holds it last: the builder hands it out, the ring frees it with
 * ev_free(). */
#ifndef BC_EVENTS_H
#define BC_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hex.h"

#include <libwebsockets.h>

#include "message.h"

#define EV_PRE LWS_PRE

/* A frame ready to write: data[-EV_PRE..-1] is headroom, data[len] is a
 * NUL. data is NULL when the event has no such frame. */
struct ev_frame {
	char *data;
	size_t len;
};

/* What a logs filter looks at. */
struct log_key {
	uint8_t address[20];
	uint8_t topics[4][32];
	int ntopics;
};

struct ev_log {
	struct log_key key;
	struct ev_frame eth;  /* the node's log object, with "removed" */
	struct ev_frame chan; /* {"type":"newLog","seq":..,"data":{...}} */
};

enum ev_kind {
	EV_BLOCK, /* a block to broadcast */
	EV_REORG, /* a reorg: removed logs, then the new branch follows */
	EV_GAP,   /* the input lost messages (PUB counter jump) */
	EV_TIP,   /* not broadcast: chain id and tip from a heartbeat */
};

struct bc_event {
	enum ev_kind kind;
	uint64_t chain_id;   /* 0 when the message had none */
	uint64_t seq;
	uint64_t height;     /* block: its number; reorg: ancestor + 1;
				tip: the tip's number */
	int has_height;
	int64_t emitted_at;  /* Unix ms from the verifier, 0 when absent */
	char hash[HASH_HEX_SIZE];       /* block hash ("" for other kinds) */
	struct ev_frame chan_main; /* newBlock, reorg or gap message */
	struct ev_frame chan_txs;  /* newTxs batch; NULL data when no txs */
	struct ev_frame eth_head;  /* newHeads result object (block only) */
	struct ev_frame eth_block; /* eth_getBlockByNumber(n, false) result:
				      the header with transaction hashes */
	struct ev_log *logs;       /* block: its logs; reorg: the orphaned
				      blocks' logs with removed: true,
				      newest first */
	size_t nlogs;
};

void ev_free(struct bc_event *ev);

struct events_opts {
	bool backfill;      /* broadcast live:false blocks too */
	size_t keep_blocks; /* recent blocks whose logs are kept for reorgs */
};

struct events;

struct events *events_new(const struct events_opts *opts);
void events_destroy(struct events **e);

enum ev_result {
	EV_RES_OK,   /* *out holds a new event; the caller owns it */
	EV_RES_SKIP, /* nothing to broadcast (backfill block, block already
			sent, unknown type); why says which */
	EV_RES_BAD,  /* malformed message; why says what is wrong */
	EV_RES_DUPLICATE, /* refused: an object of it repeats a key (why:
			     "duplicate key 'K' in PATH") */
	EV_RES_REPEAT, /* not broadcast: a reorg whose seq is at or below
			  the highest seq of a block, reorg or heartbeat
			  read before (a verifier that restarted sends a
			  reorg again with its seq); why says which. A
			  block or heartbeat below that highest seq starts
			  it over (ev_seen's seq_back_from) */
};

/* Turn one verifier message (block, reorg or heartbeat) into an event. */
enum ev_result events_build(struct events *e, const char *json, size_t len,
			    struct bc_event **out, char *why, size_t whylen);

/* What the last message events_build() read said, whether it was
 * broadcast or not (a backfill block, a writer's committed): the status
 * endpoint's input. Plain data, no pointers. */
struct ev_seen {
	enum message_type type; /* MESSAGE_OTHER after a message in error */
	/* A block or heartbeat below the highest seq read: the seqs started
	 * over (only a reorg is sent again with an old seq), and this was the
	 * highest; 0 otherwise. */
	uint64_t seq_back_from;
	union {
		struct {
			uint64_t number;
			bool live, has_fetched_at, has_emitted_at;
			uint64_t fetched_at, emitted_at;
		} block;
		struct {
			uint64_t seq, emitted_at, depth;
			bool has_ancestor, has_new_tip, deep;
			struct message_ref ancestor, new_tip;
		} reorg;
		struct message_heartbeat heartbeat;
		struct message_committed committed;
	} u;
};

/* The summary of the last message read; owned by e. */
const struct ev_seen *events_seen(const struct events *e);

/* A gap event: source (endpoint) and topic lost `lost` messages. NULL when
 * out of memory. */
struct bc_event *events_gap(const char *source, const char *topic,
			    uint32_t expected, uint32_t got, uint32_t lost);

#endif
