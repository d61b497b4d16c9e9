/* JSON-RPC 2.0 client over HTTP on libcurl.
 *
 * One client holds one curl multi handle and drives many requests in
 * flight over reused connections. A request is one call or a batch of
 * calls sent as one HTTP POST. Transport failures (connect error, timeout,
 * HTTP 5xx, 429, a body that is not valid JSON-RPC, a batch answer missing
 * ids) are retried inside the client with capped exponential backoff and
 * full jitter, honouring Retry-After on 429, moving to the next node when
 * several are configured; a node that keeps failing is set aside (circuit
 * breaker) and tried again after a cool-down. Answers that are valid
 * JSON-RPC are handed to the caller as they are, including JSON-RPC error
 * objects and null results: whether "null" is a failure is the caller's
 * business (a block the node does not have yet). The exception: rate
 * limits some providers send as JSON-RPC errors (code 429, -32005, a
 * message saying "rate limit" or "too many requests") are retried like
 * an HTTP 429.
 *
 * Metrics (when opts.metrics is set): rpc_requests_total{method} per
 * HTTP request sent (a batch counts once, under its first call's
 * method), rpc_errors_total{method,kind}, rpc_retries_total,
 * rpc_inflight, rpc_latency_seconds{method}, rpc_node_up{node}.
 *
 * Every log line the client writes names the method, the height (when the
 * caller gave one) and the node (its URL redacted).
 *
 * Ownership: the client copies the calls' strings at submit time. Results
 * handed to callbacks are valid only during the callback (copy what you
 * keep). Not thread-safe: use one client per thread.
 *
 * The module's files, one job each: rpc.c (the client: queues, the run
 * loop, set-up), rpc_transfer.c (a request on libcurl and what its
 * answer means), rpc_wire.h (the JSON-RPC format), rpc_retry.h (back-off
 * and Retry-After), rpc_pool.h (the nodes), rpc_breaker.h (a node's
 * circuit breaker); rpc_client.h is the inside they share. */
#ifndef RPC_H
#define RPC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_retry.h" /* rpc_backoff_ms(), rpc_retry_after_ms() */
#include "rpc_wire.h" /* calls, results, the answer parser */

struct metrics;

struct rpc_opts {
	const char *urls;          /* "http://a:8545,http://b:8545" */
	long long timeout_ms;      /* per HTTP request; default 10000 */
	long long connect_timeout_ms; /* default 3000 */
	long long backoff_base_ms; /* first retry delay; default 100 */
	long long backoff_max_ms;  /* cap; default 10000 */
	int max_attempts;          /* transport attempts per request; 0 = forever */
	int max_inflight;          /* HTTP requests at once; default 16 */
	int breaker_failures;      /* consecutive failures to open; default 5 */
	long long breaker_cooldown_ms; /* default 15000, doubles to 10x */
	size_t max_response;       /* body cap in bytes; default 256 MiB */
	struct metrics *metrics;   /* optional: rpc_* counters and latency */
	volatile sig_atomic_t *stop; /* optional: give up waiting when non-zero */
};

#define RPC_OPTS_INIT { NULL, 10000, 3000, 100, 10000, 0, 16, 5, 15000, \
			(size_t)256 << 20, NULL, NULL }

/* Called once per request, when all its calls are answered or it failed.
 * res[i] answers calls[i], in the order submitted, whatever order the
 * node put the batch answers in. */
typedef void (*rpc_done_fn)(void *arg, const struct rpc_result *res,
			    size_t n);

struct rpc_client;

/* Parse the URLs and set up curl. NULL on error (logged): no URL, a URL
 * that is not http(s). Options <= 0 (0 for max_response) take their
 * defaults, except max_attempts where 0 means forever. Calls
 * curl_global_init(), so do not create the first clients from several
 * threads at once. Nodes are tried in the order given: the first with a
 * closed breaker takes new requests, a retry moves to the next. */
struct rpc_client *rpc_client_new(const struct rpc_opts *opts);
/* Free the client; requests still pending are dropped without their
 * callbacks. Sets *c to NULL. */
void rpc_client_destroy(struct rpc_client **c);

/* Queue a request of n calls (n > 1 is sent as a JSON-RPC batch). The
 * callback runs from rpc_client_run(). params must be valid JSON (NULL
 * or "" sends []). Returns 0 or -1 (out of memory, n == 0, a call
 * without method). */
int rpc_submit(struct rpc_client *c, const struct rpc_call *calls, size_t n,
	       rpc_done_fn done, void *arg);

/* Drive transfers for at most timeout_ms (0: do what is ready and
 * return), running callbacks for finished requests. Returns the number of
 * requests still pending (queued, in flight or waiting to retry).
 * Returns early, once at least one callback has run or nothing is
 * pending, so the caller can submit more at once. When *opts->stop is
 * set, every pending request (queued, waiting to retry or in flight: a
 * transfer under way is aborted) ends with RPC_FAILED, message
 * "stopping". Callbacks may call rpc_submit(), not rpc_client_run() or
 * rpc_client_destroy(). */
int rpc_client_run(struct rpc_client *c, int timeout_ms);

/* Requests queued, in flight or waiting to retry. */
int rpc_pending(const struct rpc_client *c);

/* Blocking convenience: one call, retried as the options say. It runs
 * the client, so callbacks of other pending requests may run meanwhile.
 * On RPC_OK *out receives a malloc'd NUL-terminated copy of the raw
 * result (the caller frees it); on RPC_ERROR/RPC_FAILED *out receives a
 * malloc'd copy of the message. Returns the status, and the error code
 * in *code when not NULL. */
enum rpc_status rpc_call_sync(struct rpc_client *c, const char *method,
			      const char *params, int64_t height, char **out,
			      long *code);

/* Send new requests to the next node of the list first (one whose
 * breaker is closed, as always), from now on: after a node sent data
 * that does not verify, the refetch asks another one. Nothing happens
 * with a single node. */
void rpc_prefer_next(struct rpc_client *c);

/* Number of nodes, and the redacted URL of node i. */
size_t rpc_node_count(const struct rpc_client *c);
const char *rpc_node_name(const struct rpc_client *c, size_t i);

#endif
