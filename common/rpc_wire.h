/* JSON-RPC 2.0 on the wire: the body of a request (one call, or a batch
 * of calls sent as one array) and the reading of the node's answer
 * against the ids that were sent. No I/O: common/rpc.c sends the bodies
 * built here and hands the answers read here to its callers.
 *
 * Ownership: a request body is appended to the caller's buffer. The
 * results of an answer point into the answer's text (keep it while you
 * use them), except the messages of RPC_ERROR results, which are
 * malloc'd and freed by rpc_results_release(). */
#ifndef RPC_WIRE_H
#define RPC_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct rpc_call {
	const char *method;  /* "eth_getBlockByNumber" */
	const char *params;  /* raw JSON array text: "[\"0x10\",true]" */
	int64_t height;      /* for log lines and errors; -1 when none */
};

enum rpc_status {
	RPC_OK = 0,       /* result holds the raw JSON result (maybe "null") */
	RPC_ERROR = 1,    /* the node answered a JSON-RPC error object */
	RPC_FAILED = 2,   /* gave up: max_attempts reached, stopping, or an
			     answer larger than max_response (not retried:
			     ask for less) */
};

struct rpc_result {
	enum rpc_status status;
	const char *result;   /* raw JSON of "result" (RPC_OK) */
	size_t result_len;
	long code;            /* JSON-RPC error code (RPC_ERROR) */
	const char *message;  /* error text (RPC_ERROR, RPC_FAILED) */
	const char *node;     /* redacted URL of the node that answered (or
				 was tried last, for RPC_FAILED) */
};

/* Append the request for calls[0..n) to body: one object when n == 1,
 * an array otherwise, with ids first_id .. first_id+n-1. A call's params
 * go in as they are (they must be valid JSON; NULL or "" sends []); its
 * method is escaped. Returns 0, or -1 when body's cap is reached or
 * memory runs out (body then holds part of it). */
int rpc_wire_request(struct buf *body, uint64_t first_id,
		     const struct rpc_call *calls, size_t n);

/* Parse an HTTP body as a JSON-RPC answer to n calls with ids first_id ..
 * first_id+n-1 (a single object when n == 1, an array otherwise, in any
 * order), filling res[] (pointers into body). Returns 0, or -1 with a
 * reason in err when the body is not a valid answer (then the request is
 * retried as a transport failure), -2 (JSON_DUPLICATE) when an object of
 * it repeats a key, at any depth (retried too, counted as kind
 * "duplicate_key"). Exposed for tests.
 * An error object with id null (a parse error, "batch too large")
 * answers every call not answered otherwise. The messages of RPC_ERROR
 * results are malloc'd: free them with rpc_results_release() (on -1
 * nothing is left to free). node is left NULL. */
int rpc_parse_response(const char *body, size_t len, uint64_t first_id,
		       size_t n, struct rpc_result *res, char *err,
		       size_t errlen);
/* Free what rpc_parse_response() allocated in res[0..n). */
void rpc_results_release(struct rpc_result *res, size_t n);

/* Is this answer a rate limit that a provider sent as a JSON-RPC error
 * (code 429, -32005 but for "more than N results", a message saying
 * "rate limit" or "too many requests")? Such an answer is the
 * transport's to retry, not the caller's. */
int rpc_wire_rate_limited(const struct rpc_result *res);

#endif
