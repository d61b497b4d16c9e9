/* The node the broadcaster may ask (--rpc), so that eth_chainId,
 * net_version and eth_blockNumber are answered from the first second,
 * before the verifier's first message has told the broadcaster the chain
 * and the tip. A thread of its own asks the node (never the service
 * thread, which must not wait on a node) every second until the stream
 * has a tip, then every 2 s for /v1/status's lag. */
#ifndef BC_NODE_H
#define BC_NODE_H

#include <stdint.h>

struct bc_node;
struct metrics;

/* Ask the node at urls (comma-separated for failover) for its chain id
 * and head, once, before returning (a few seconds at most), then start
 * the thread that keeps the head. *out is NULL without urls. Returns 0
 * (also when the node does not answer yet: the thread goes on asking),
 * 1 when the node serves another chain than want_chain_id (non-zero),
 * -1 on an invalid URL or when the thread cannot start. */
int node_start(struct bc_node **out, const char *urls, uint64_t want_chain_id,
	       struct metrics *m);

/* Stop the thread and free everything; *n becomes NULL. NULL is fine. */
void node_stop(struct bc_node **n);

/* The service thread saw a tip in the stream: the node is no longer
 * needed for eth_blockNumber (its head is still kept, asked less often).
 * NULL is fine. */
void node_stream_has_tip(struct bc_node *n);

/* The node's chain id, 0 when unknown (or n NULL). Any thread. */
uint64_t node_chain_id(const struct bc_node *n);

/* The node's head into *out: 0, or -1 when unknown (or n NULL). */
int node_head(const struct bc_node *n, uint64_t *out);

#endif
