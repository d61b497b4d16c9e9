#include "rpc_client.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "rpc_pool.h"

#include "banned.h"

/* ---- requests ---- */

void rpc_list_push(struct rpc_list *l, struct rpc_req *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->len++;
}

void rpc_list_remove(struct rpc_list *l, struct rpc_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->len--;
}

struct rpc_list *rpc_list_of(struct rpc_client *c, struct rpc_req *r)
{
	switch (r->state) {
	case REQ_QUEUED:
		return &c->queue;
	case REQ_RETRY:
		return &c->retry;
	case REQ_INFLIGHT:
		break;
	}
	return &c->inflight;
}

void rpc_req_free(struct rpc_req *r)
{
	if (!r)
		return;
	buf_release(&r->body);
	buf_release(&r->resp);
	free(r->res);
	free(r->method);
	free(r);
}

void rpc_req_fail(struct rpc_client *c, struct rpc_req *r, const char *fmt,
		  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->n; i++)
		r->res[i] = (struct rpc_result){
			.status = RPC_FAILED, .message = r->msg,
			.node = c->nodes.nodes[r->node].name,
		};
	c->completed++;
	r->done(r->arg, r->res, r->n);
	rpc_req_free(r);
}

static void start_due(struct rpc_client *c, long long now)
{
	struct rpc_req *r, *next;

	/* Retries first: they are older than anything still queued. */
	for (r = c->retry.head; r; r = next) {
		next = r->next;
		if (c->inflight.len >= c->opts.max_inflight)
			return;
		if (r->due <= now && rpc_transfer_start(c, r, now) < 0)
			return;
	}
	while (c->queue.head && c->inflight.len < c->opts.max_inflight)
		if (rpc_transfer_start(c, c->queue.head, now) < 0)
			return;
}

/* Stop: every request ends now with RPC_FAILED, in flight or not, so a
 * caller shutting down is not held by a slow node. The lists are taken
 * first: what callbacks submit meanwhile waits for the next round. */
static void fail_all(struct rpc_client *c, const char *why)
{
	struct rpc_list *lists[] = { &c->inflight, &c->retry, &c->queue };
	struct rpc_list doomed = { NULL, NULL, 0 };
	struct rpc_req *r;

	for (size_t k = 0; k < sizeof(lists) / sizeof(*lists); k++) {
		while ((r = lists[k]->head)) {
			rpc_list_remove(lists[k], r);
			if (r->easy)
				rpc_transfer_abort(c, r);
			if (r->probe)
				rpc_breaker_probe_dropped(
					&c->nodes.nodes[r->node].breaker);
			rpc_list_push(&doomed, r);
		}
	}
	rpc_transfer_update_inflight(c);
	while ((r = doomed.head)) {
		rpc_list_remove(&doomed, r);
		rpc_req_fail(c, r, "%s", why);
	}
}

static long long next_due(struct rpc_client *c, long long now)
{
	long long due = LLONG_MAX;

	if (c->inflight.len >= c->opts.max_inflight)
		return due;
	if (c->queue.head)
		return now;
	for (struct rpc_req *r = c->retry.head; r; r = r->next)
		if (r->due < due)
			due = r->due;
	return due;
}

/* Poll in slices so that the stop flag is seen within this long. */
#define RPC_POLL_SLICE_MS 200

int rpc_client_run(struct rpc_client *c, int timeout_ms)
{
	long long now = clock_mono_ms();
	long long deadline = now + (timeout_ms > 0 ? timeout_ms : 0);
	unsigned long completed = c->completed;
	int running;

	for (;;) {
		long long wait, due;

		notify_watchdog(); /* a node being waited for or retried */
		if (c->opts.stop && *c->opts.stop)
			fail_all(c, "stopping");
		else
			start_due(c, now);
		curl_multi_perform(c->multi, &running);
		rpc_transfer_reap(c);
		if (c->completed != completed || rpc_pending(c) == 0)
			break;
		now = clock_mono_ms();
		if (now >= deadline)
			break;
		wait = deadline - now;
		due = next_due(c, now);
		if (due != LLONG_MAX && due - now < wait)
			wait = due > now ? due - now : 0;
		if (wait > RPC_POLL_SLICE_MS)
			wait = RPC_POLL_SLICE_MS;
		if (curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL) !=
		    CURLM_OK) {
			/* EINTR with nothing to poll: sleep instead of
			 * spinning. */
			clock_nap_ms(wait, c->opts.stop);
		}
		now = clock_mono_ms();
	}
	return rpc_pending(c);
}

int rpc_pending(const struct rpc_client *c)
{
	return c->queue.len + c->retry.len + c->inflight.len;
}

int rpc_submit(struct rpc_client *c, const struct rpc_call *calls, size_t n,
	       rpc_done_fn done, void *arg)
{
	struct rpc_req *r;
	int rc = 0;

	if (n == 0 || !calls || !done)
		return log_error("rpc_submit: no calls or no callback");
	for (size_t i = 0; i < n; i++)
		if (!calls[i].method)
			return log_error("rpc_submit: call %zu has no method",
					 i);
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	buf_init(&r->body, 0);
	buf_init(&r->resp, c->opts.max_response);
	r->n = n;
	r->done = done;
	r->arg = arg;
	r->height = -1;
	r->method = strdup(calls[0].method);
	r->res = calloc(n, sizeof(*r->res));
	if (!r->method || !r->res)
		goto nomem;
	r->first_id = c->next_id;
	for (size_t i = 0; i < n && r->height < 0; i++)
		if (calls[i].height >= 0)
			r->height = calls[i].height;
	rc = rpc_wire_request(&r->body, r->first_id, calls, n);
	if (rc)
		goto nomem;
	c->next_id += n;
	r->state = REQ_QUEUED;
	rpc_list_push(&c->queue, r);
	return 0;
nomem:
	rpc_req_free(r);
	return log_error("cannot queue rpc request: out of memory");
}

/* ---- rpc_call_sync ---- */

struct sync_wait {
	int done;
	enum rpc_status status;
	long code;
	char *out;
};

static void on_sync(void *arg, const struct rpc_result *res, size_t n)
{
	struct sync_wait *w = arg;

	(void)n;
	w->done = 1;
	w->status = res->status;
	w->code = res->code;
	if (res->status == RPC_OK) {
		w->out = malloc(res->result_len + 1);
		if (w->out) {
			memcpy(w->out, res->result, res->result_len);
			w->out[res->result_len] = '\0';
		}
	} else {
		w->out = strdup(res->message ? res->message : "");
	}
	if (!w->out) {
		w->status = RPC_FAILED;
		log_error("cannot keep rpc answer: out of memory");
	}
}

enum rpc_status rpc_call_sync(struct rpc_client *c, const char *method,
			      const char *params, int64_t height, char **out,
			      long *code)
{
	struct rpc_call call = { method, params, height };
	struct sync_wait w = { 0, RPC_FAILED, 0, NULL };

	*out = NULL;
	if (code)
		*code = 0;
	if (rpc_submit(c, &call, 1, on_sync, &w) < 0) {
		*out = strdup("out of memory");
		return RPC_FAILED;
	}
	while (!w.done)
		rpc_client_run(c, 1000);
	*out = w.out;
	if (code)
		*code = w.code;
	return w.status;
}

/* ---- setup ---- */

static void apply_defaults(struct rpc_opts *o)
{
	const struct rpc_opts def = RPC_OPTS_INIT;

	if (o->timeout_ms <= 0)
		o->timeout_ms = def.timeout_ms;
	if (o->connect_timeout_ms <= 0)
		o->connect_timeout_ms = def.connect_timeout_ms;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = def.backoff_base_ms;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = def.backoff_max_ms;
	if (o->backoff_max_ms < o->backoff_base_ms)
		o->backoff_max_ms = o->backoff_base_ms;
	if (o->max_attempts < 0)
		o->max_attempts = 0;
	if (o->max_inflight <= 0)
		o->max_inflight = def.max_inflight;
	if (o->breaker_failures <= 0)
		o->breaker_failures = def.breaker_failures;
	if (o->breaker_cooldown_ms <= 0)
		o->breaker_cooldown_ms = def.breaker_cooldown_ms;
	if (o->max_response == 0)
		o->max_response = def.max_response;
}

static struct curl_slist *make_headers(void)
{
	/* "Expect:" saves the 100-continue round trip on large batches. */
	static const char *const lines[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",
	};
	struct curl_slist *list = NULL, *t;

	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		t = curl_slist_append(list, lines[i]);
		if (!t) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = t;
	}
	return list;
}

/* libcurl's share of the client: the multi handle, room for the idle
 * easy handles, the headers. 0, or -1 with a log line. */
static int setup_curl(struct rpc_client *c)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return log_error("cannot initialise libcurl");
	c->curl_inited = 1;
	c->multi = curl_multi_init();
	c->idle = calloc((size_t)c->opts.max_inflight, sizeof(*c->idle));
	if (!c->multi || !c->idle)
		return log_error("cannot create rpc client: out of memory");
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)c->opts.max_inflight * (long)c->nodes.n);
	c->headers = make_headers();
	if (!c->headers)
		return log_error("cannot create rpc client: out of memory");
	return 0;
}

static void register_metrics(struct rpc_client *c)
{
	c->inflight_gauge = metrics_gauge(c->opts.metrics, "rpc_inflight",
			"JSON-RPC HTTP requests in flight", NULL);
	c->retries = metrics_counter(c->opts.metrics, "rpc_retries_total",
			"JSON-RPC requests sent again after a failure", NULL);
	rpc_pool_set_metrics(&c->nodes, c->opts.metrics);
}

struct rpc_client *rpc_client_new(const struct rpc_opts *opts)
{
	struct rpc_client *c = calloc(1, sizeof(*c));

	if (!c) {
		log_error("cannot create rpc client: out of memory");
		return NULL;
	}
	c->opts = *opts;
	apply_defaults(&c->opts);
	c->next_id = 1;
	c->rng = (uint64_t)clock_mono_ms() * 0x9E3779B97F4A7C15ULL ^
		 (uint64_t)getpid() ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 1;
	if (rpc_pool_init(&c->nodes, opts->urls, c->opts.breaker_failures,
			  c->opts.breaker_cooldown_ms) < 0 ||
	    setup_curl(c) < 0) {
		rpc_client_destroy(&c);
		return NULL;
	}
	if (c->opts.metrics)
		register_metrics(c);
	return c;
}

void rpc_client_destroy(struct rpc_client **cp)
{
	struct rpc_client *c = cp ? *cp : NULL;
	struct rpc_list *lists[3];

	if (!c)
		return;
	lists[0] = &c->inflight;
	lists[1] = &c->retry;
	lists[2] = &c->queue;
	for (size_t k = 0; k < 3; k++) {
		struct rpc_req *r;

		while ((r = lists[k]->head)) {
			rpc_list_remove(lists[k], r);
			if (r->easy) {
				curl_multi_remove_handle(c->multi, r->easy);
				curl_easy_cleanup(r->easy);
			}
			rpc_req_free(r);
		}
	}
	for (size_t i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	free(c->idle);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	rpc_pool_release(&c->nodes);
	if (c->curl_inited)
		curl_global_cleanup();
	free(c);
	*cp = NULL;
}

size_t rpc_node_count(const struct rpc_client *c)
{
	return c->nodes.n;
}

const char *rpc_node_name(const struct rpc_client *c, size_t i)
{
	return i < c->nodes.n ? c->nodes.nodes[i].name : NULL;
}

void rpc_prefer_next(struct rpc_client *c)
{
	if (c)
		rpc_pool_prefer_next(&c->nodes);
}
