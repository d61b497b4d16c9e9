/* Inside an RPC client (common/rpc.h), shared by its two halves and by
 * nothing else: common/rpc.c, the client (its queues of requests, the
 * run loop, submit, the blocking call, set-up), and common/rpc_transfer.c,
 * a request on the wire (its libcurl easy handle, what the answer means,
 * the retry it may earn, the rpc_* metrics of transfers).
 *
 * A request is on exactly one of the client's three lists, the one its
 * state names; the client owns every request until its callback has run
 * (rpc_req_fail(), or the end of a transfer), then frees it. */
#ifndef RPC_CLIENT_H
#define RPC_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "buf.h"
#include "rpc.h"
#include "rpc_pool.h"

/* Room for a Retry-After header value, for the message of an RPC_FAILED
 * result. */
#define RPC_RETRY_AFTER_SIZE 64
#define RPC_FAILED_MSG_SIZE 512

/* Where a request is: waiting its turn (fresh or for a retry) or on the
 * wire. Each state is one intrusive list of the client. */
enum rpc_req_state { REQ_QUEUED, REQ_RETRY, REQ_INFLIGHT };

struct rpc_req {
	struct rpc_req *prev, *next;
	enum rpc_req_state state;
	size_t n;
	uint64_t first_id;
	char *method;            /* the first call's, for logs and metrics */
	int64_t height;          /* the first height >= 0 among the calls */
	struct buf body;         /* built once: ids stay the same on retries */
	rpc_done_fn done;
	void *arg;

	int attempts;            /* transport attempts started */
	long long due;           /* monotonic ms: not to be sent before */
	size_t node;             /* node of the current or last attempt */
	int probe;               /* this attempt probes a half-open node */
	long long started;
	CURL *easy;

	struct rpc_result *res;  /* n answers, handed to the callback */
	struct buf resp;
	int too_large;
	char retry_after[RPC_RETRY_AFTER_SIZE];
	char errbuf[CURL_ERROR_SIZE];
	char msg[RPC_FAILED_MSG_SIZE]; /* RPC_FAILED message for the callback */
};

struct rpc_list {
	struct rpc_req *head, *tail;
	int len;
};

struct rpc_client {
	struct rpc_opts opts;
	struct rpc_pool nodes;
	CURLM *multi;
	struct curl_slist *headers;
	CURL **idle;             /* idle easy handles, kept for reuse */
	size_t nidle;
	struct rpc_list queue, retry, inflight;
	uint64_t next_id;
	uint64_t rng;            /* jitter of the back-off */
	unsigned long completed; /* requests whose callback has run */
	struct metric *inflight_gauge;
	struct metric *retries;
	int curl_inited;
};

/* The lists (common/rpc.c). */
void rpc_list_push(struct rpc_list *l, struct rpc_req *r);
void rpc_list_remove(struct rpc_list *l, struct rpc_req *r);
/* The list r's state names. */
struct rpc_list *rpc_list_of(struct rpc_client *c, struct rpc_req *r);

/* End r with RPC_FAILED for every call (the message from fmt), run its
 * callback and free it. r must be off every list, so the callback may
 * submit more (common/rpc.c). */
void rpc_req_fail(struct rpc_client *c, struct rpc_req *r, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
/* Free r and what it holds (not its easy handle). */
void rpc_req_free(struct rpc_req *r);

/* Put r on the wire to the node the pool picks, moving it to the
 * inflight list. 0, or -1 with a log line (no easy handle, curl set-up
 * failed): r stays where it was (common/rpc_transfer.c). */
int rpc_transfer_start(struct rpc_client *c, struct rpc_req *r,
		       long long now);
/* Finish every transfer libcurl says is done: run the callbacks of the
 * requests answered or given up, move the others to the retry list. */
void rpc_transfer_reap(struct rpc_client *c);
/* Take r's easy handle off the multi handle (kept for reuse) without
 * finishing it; the caller moves r. */
void rpc_transfer_abort(struct rpc_client *c, struct rpc_req *r);
/* Set rpc_inflight to the inflight list's length. */
void rpc_transfer_update_inflight(struct rpc_client *c);

#endif
