/* Fetching a block with its receipts over JSON-RPC and building the
 * `block` message of docs/protocol.md. Shared by the fetcher (many blocks
 * in flight) and the verifier (walk-backs, gap fills, refetches).
 *
 * A block request is a JSON-RPC batch of eth_getBlockByNumber(n, true) and
 * eth_getBlockReceipts(n). When the node lacks eth_getBlockReceipts
 * (method not found, or a result of the wrong shape), the fetch falls back
 * to a batch of eth_getTransactionReceipt for the block's transactions,
 * and remembers to do so from then on. A null block ("not found": the
 * node does not have that height yet, or a lagging node of a pool
 * answered) is retried by the caller, never skipped. */
#ifndef BLOCK_H
#define BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "hex.h"

struct rpc_client;
struct metrics;

enum block_status {
	BLOCK_OK = 0,
	BLOCK_NOT_FOUND,  /* null block: retry later */
	BLOCK_RETRY,      /* inconsistent answer (receipts of another block,
			     a malformed result): retry */
	BLOCK_FAILED,     /* the RPC client gave up (stopping) */
};

/* What a fetched block message says of itself. */
struct block_info {
	uint64_t number;
	char hash[HASH_HEX_SIZE];
	char parent_hash[HASH_HEX_SIZE];
	uint64_t timestamp; /* seconds, from the header */
	size_t tx_count;
};

struct block_fetcher;

/* chain_id goes into every message. The fetcher keeps the client pointer
 * (not owned). NULL when out of memory. */
struct block_fetcher *block_fetcher_new(struct rpc_client *rpc,
					uint64_t chain_id,
					struct metrics *metrics);
void block_fetcher_destroy(struct block_fetcher **bf);

/* Called when a fetch ends. On BLOCK_OK msg holds the whole `block`
 * message (one line of JSON without newline) and info its fields; the
 * callee may take msg's storage (buf_detach) or copy it. why says what
 * went wrong otherwise. */
typedef void (*block_done_fn)(void *arg, enum block_status st,
			      struct buf *msg, const struct block_info *info,
			      const char *why);

/* Start fetching block `number` (live: the message's `live` flag). The
 * callback runs from rpc_client_run(). 0 or -1 (out of memory). */
int block_fetch(struct block_fetcher *bf, uint64_t number, int live,
		block_done_fn done, void *arg);

/* Fetch blocks first .. first+count-1 in one JSON-RPC batch (2 calls a
 * block); done runs once per block, arg2 receiving the block number. */
typedef void (*block_done_n_fn)(void *arg, uint64_t number,
				enum block_status st, struct buf *msg,
				const struct block_info *info,
				const char *why);
int block_fetch_batch(struct block_fetcher *bf, uint64_t first, size_t count,
		      int live, block_done_n_fn done, void *arg);

/* Blocking: fetch block `number` and build its message into out. */
enum block_status block_fetch_sync(struct block_fetcher *bf, uint64_t number,
				   int live, struct buf *out,
				   struct block_info *info);

/* Blocking: blocks first .. first+count-1 requested at once (each its
 * own request, all in flight together): block first+i's status in st[i],
 * and on BLOCK_OK its message in out[i] and, when info is not NULL, its
 * fields in info[i]. 0, or -1 when out of memory (nothing fetched). For
 * a reorg's new branch. */
int block_fetch_many_sync(struct block_fetcher *bf, uint64_t first,
			  size_t count, int live, struct buf *out,
			  struct block_info *info, enum block_status *st);

/* Blocking: the node's hash of block `number` (header only, no
 * transactions): 0 with hash filled, 1 when the node has no such block,
 * -1 when the RPC client gave up. For walk-backs. */
int block_hash_sync(struct block_fetcher *bf, uint64_t number,
		    char hash[HASH_HEX_SIZE], char parent_hash[HASH_HEX_SIZE]);

/* Blocking: eth_chainId, eth_blockNumber, and the number of a tag
 * ("finalized", "safe", "latest"): 0 or -1 (-1 also when the node does
 * not know the tag). */
int block_chain_id(struct rpc_client *rpc, uint64_t *out);
int block_head(struct rpc_client *rpc, uint64_t *out);
int block_tag_number(struct rpc_client *rpc, const char *tag, uint64_t *out);

/* Build a block message from the raw JSON of the node's block and
 * receipts. Checks that the block has number, hash and parentHash, and
 * that the receipts belong to it (count and blockHash). 0, or -1 with a
 * reason in why (static string). Exposed for tests. */
int block_msg_build(struct buf *out, uint64_t chain_id, int live,
		    const char *block, size_t block_len,
		    const char *receipts, size_t receipts_len,
		    struct block_info *info, const char **why);

#endif
