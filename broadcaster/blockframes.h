/* A block message's frames, serialised once for every client: the
 * newHeads result (ev->eth_head), the eth_getBlockByNumber(n, false)
 * result (ev->eth_block), the channel protocol's newTxs batch
 * (ev->chan_txs, none when the block has no transactions) and its
 * newBlock message (ev->chan_main). The block's logs are events.c's: it
 * remembers them for the reorg that may orphan them. Input thread. */
#ifndef BC_BLOCKFRAMES_H
#define BC_BLOCKFRAMES_H

#include <stddef.h>

#include "events.h"
#include "message.h"

/* Build t's frames into ev, whose height, hash and seq are set and
 * whose frames are empty. 0, or -1 with why saying what is wrong with
 * the block (or "out of memory"); the frames built so far stay in ev,
 * for ev_free(). */
int blockframes_build(struct bc_event *ev, const struct message_block *t,
		      char *why, size_t whylen);

#endif
