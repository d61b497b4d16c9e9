/* The node pool of an RPC client: the nodes given (--rpc, one URL or
 * several separated by commas or new lines), each with its redacted
 * name and its circuit breaker (common/rpc_breaker.h), and the choice of
 * the node a request goes to.
 *
 * The pool owns its nodes' URLs and names: rpc_pool_release() frees
 * them. A node's URL may hold a key and is never logged; its name,
 * "#N scheme://host:port" (N its place in the list, from 1), is the
 * only form that appears in log lines and metric labels. */
#ifndef RPC_POOL_H
#define RPC_POOL_H

#include <stddef.h>

#include "rpc_breaker.h"

struct metrics;

#define RPC_NODE_NAME_SIZE 256

struct rpc_node {
	char *url;
	char name[RPC_NODE_NAME_SIZE]; /* redacted: the only form logged */
	struct rpc_breaker breaker;
};

struct rpc_pool {
	struct rpc_node *nodes;
	size_t n;
	size_t first; /* the node new requests try first */
};

#define RPC_POOL_INIT { NULL, 0, 0 }

/* Read urls (separated by ',' or '\n', blanks around each ignored) into
 * p, each node with a closed breaker of breaker_failures and
 * breaker_cooldown_ms. Returns 0, or -1 with a log line (no URL, a URL
 * that is not http:// or https:// with a host, out of memory); then p
 * holds nothing. */
int rpc_pool_init(struct rpc_pool *p, const char *urls, int breaker_failures,
		  long long breaker_cooldown_ms);
/* Free the nodes; p is left empty. */
void rpc_pool_release(struct rpc_pool *p);

/* Register rpc_node_up{node} in m for every node, at 1. */
void rpc_pool_set_metrics(struct rpc_pool *p, struct metrics *m);

/* The node a request goes to, looking from node start on (modulo the
 * count): the first whose breaker lets it through (*probe set when the
 * request is a half-open breaker's probe); when none does, the one
 * whose cool-down ends first, so a request never waits for a breaker.
 * With a single node, always that node (its breaker only logs). */
size_t rpc_pool_pick(struct rpc_pool *p, size_t start, long long now,
		     int *probe);

/* New requests try the next node first from now on (logged); nothing
 * happens with a single node. */
void rpc_pool_prefer_next(struct rpc_pool *p);

#endif
