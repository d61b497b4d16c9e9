/* The circuit breaker of one node of the pool (common/rpc_pool.h): a
 * node that keeps failing is set aside for a cool-down, then tried with
 * one request (half-open); an answer closes the breaker, a failure of
 * that probe opens it again with twice the cool-down, up to ten times
 * the first. Only transport failures count (common/rpc.h says which).
 *
 * The breaker owns nothing: it logs its transitions under the node name
 * it is given and sets rpc_node_up{node} (the gauge, when there is one,
 * belongs to the metrics registry). Times are monotonic milliseconds. */
#ifndef RPC_BREAKER_H
#define RPC_BREAKER_H

struct metric;

enum rpc_breaker_state {
	RPC_BREAKER_CLOSED,
	RPC_BREAKER_OPEN,
	RPC_BREAKER_HALF_OPEN,
};

struct rpc_breaker {
	enum rpc_breaker_state state;
	int threshold;           /* consecutive failures that open it */
	int failures;            /* consecutive transport failures */
	long long open_until;    /* while open */
	long long base_cooldown_ms;
	long long cooldown_ms;   /* current cool-down, doubles per re-open */
	struct metric *up;       /* rpc_node_up{node}, or NULL */
};

/* A closed breaker that opens after threshold failures in a row and
 * stays open cooldown_ms at first. */
void rpc_breaker_init(struct rpc_breaker *b, int threshold,
		      long long cooldown_ms);

/* The node answered: the failures are forgotten and the breaker closes
 * (logged at info level when it was not closed). */
void rpc_breaker_success(struct rpc_breaker *b, const char *node);

/* A transport failure of the node at now; probe says whether the
 * request was the half-open breaker's probe. Opens the breaker (logged
 * at warn level) at the threshold, or again after a failed probe. */
void rpc_breaker_failure(struct rpc_breaker *b, const char *node, int probe,
			 long long now);

/* May a request go to this node now? 1 when the breaker is closed, or
 * open with its cool-down over: then it becomes half-open and *probe is
 * set, the request being its one probe. 0 otherwise (open, or half-open
 * with the probe under way). */
int rpc_breaker_usable(struct rpc_breaker *b, long long now, int *probe);

/* The probe could not be sent (no easy handle, the transfer stopped
 * before an answer): open again, so that the next request probes. */
void rpc_breaker_probe_dropped(struct rpc_breaker *b);

#endif
