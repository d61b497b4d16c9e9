#include "rpc_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "rpc_retry.h"

#include "banned.h"

/* Room for the reason a transfer failed, for the parser's reason. */
#define RPC_ERROR_TEXT_SIZE 512
#define RPC_PARSE_ERROR_SIZE 256
/* From this many attempts on, every tenth failure is logged as an
 * error: a node that never answers is worth more than a warning. */
#define RPC_ATTEMPTS_ERROR_EVERY 10

/* ---- metrics ---- */

static void count_method(struct rpc_client *c, const char *name,
			 const char *help, const char *method,
			 const char *kind)
{
	struct buf labels = BUF_INIT;

	if (!c->opts.metrics)
		return;
	if (metrics_label(&labels, "method", method) == 0 &&
	    (!kind || metrics_label(&labels, "kind", kind) == 0))
		metric_inc(metrics_counter(c->opts.metrics, name, help,
					   labels.data));
	buf_release(&labels);
}

static void count_error(struct rpc_client *c, const char *method,
			const char *kind)
{
	count_method(c, "rpc_errors_total",
		     "JSON-RPC failures by method and kind", method, kind);
}

static void observe_latency(struct rpc_client *c, struct rpc_req *r,
			    long long now)
{
	struct buf labels = BUF_INIT;

	if (!c->opts.metrics)
		return;
	if (metrics_label(&labels, "method", r->method) == 0)
		metric_observe(metrics_histogram(c->opts.metrics,
						 "rpc_latency_seconds",
						 "JSON-RPC HTTP request latency",
						 labels.data, metrics_latency_bounds,
						 metrics_latency_nbounds),
			       (double)(now - r->started) / 1000.0);
	buf_release(&labels);
}

void rpc_transfer_update_inflight(struct rpc_client *c)
{
	metric_set(c->inflight_gauge, c->inflight.len);
}

/* ---- transfers ---- */

static size_t on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rpc_req *r = arg;
	size_t len = size * nmemb;

	if (buf_add(&r->resp, p, len) < 0) {
		r->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rpc_req *r = arg;
	size_t len = size * nmemb;

	if (len >= 5 && !strncasecmp(p, "HTTP/", 5)) {
		/* A new response (after a 100 Continue, say). */
		r->retry_after[0] = '\0';
	} else if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		size_t vl = len - 12;

		if (vl >= sizeof(r->retry_after))
			vl = sizeof(r->retry_after) - 1;
		memcpy(r->retry_after, p + 12, vl);
		r->retry_after[vl] = '\0';
	}
	return len;
}

static int setup_easy(struct rpc_client *c, struct rpc_req *r, CURL *e)
{
	const struct rpc_opts *o = &c->opts;
	int rc = 0;

	rc |= curl_easy_setopt(e, CURLOPT_URL, c->nodes.nodes[r->node].url);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.data);
	rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			       (curl_off_t)r->body.len);
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			       (long)o->connect_timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
			       (curl_off_t)o->max_response);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	return rc ? -1 : 0;
}

void rpc_transfer_abort(struct rpc_client *c, struct rpc_req *r)
{
	if (!r->easy)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	/* Keep the handle: its DNS and TLS session caches go with it; the
	 * connections themselves stay in the multi handle's cache. */
	if (c->nidle < (size_t)c->opts.max_inflight) {
		curl_easy_reset(r->easy);
		c->idle[c->nidle++] = r->easy;
	} else {
		curl_easy_cleanup(r->easy);
	}
	r->easy = NULL;
}

int rpc_transfer_start(struct rpc_client *c, struct rpc_req *r,
		       long long now)
{
	CURL *e;

	r->node = rpc_pool_pick(&c->nodes, r->attempts ? r->node + 1 :
				c->nodes.first, now, &r->probe);
	e = c->nidle ? c->idle[--c->nidle] : curl_easy_init();
	if (!e)
		return log_error("cannot start request: out of memory");
	buf_reset(&r->resp);
	r->too_large = 0;
	r->retry_after[0] = '\0';
	r->errbuf[0] = '\0';
	if (setup_easy(c, r, e) < 0 ||
	    curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		if (r->probe)
			rpc_breaker_probe_dropped(
				&c->nodes.nodes[r->node].breaker);
		return log_error("cannot start request: curl setup failed");
	}
	r->easy = e;
	r->attempts++;
	r->started = now;
	rpc_list_remove(rpc_list_of(c, r), r);
	r->state = REQ_INFLIGHT;
	rpc_list_push(&c->inflight, r);
	count_method(c, "rpc_requests_total",
		     "JSON-RPC HTTP requests sent, by the first call's method",
		     r->method, NULL);
	if (r->attempts > 1)
		metric_inc(c->retries);
	rpc_transfer_update_inflight(c);
	return 0;
}

static const char *curl_kind(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		return "too_large";
	default:
		return "connect";
	}
}

static void log_failure(enum log_level level, const struct rpc_req *r,
			const struct rpc_node *nd, long status,
			const char *error, long long delay, const char *msg)
{
	struct log_field f[7];
	size_t nf = 0;
	char what[64] = "";

	if (!log_enabled(level))
		return;
	f[nf++] = LF_S("method", r->method);
	if (r->height >= 0)
		f[nf++] = LF_I("height", r->height);
	f[nf++] = LF_S("node", nd->name);
	f[nf++] = LF_I("attempt", r->attempts);
	f[nf++] = LF_S("error", error);
	if (status)
		f[nf++] = LF_I("http_status", status);
	if (delay >= 0)
		f[nf++] = LF_I("retry_in_ms", delay);
	if (r->n > 1)
		snprintf(what, sizeof(what), " (batch of %zu)", r->n);
	log_at(level, f, nf, "%s%s", msg, what);
}

/* A transport failure: count it, set the node's breaker, then retry,
 * give up or stop. level is LOG_ERROR for failures that look like a
 * misconfiguration. */
static void transport_failure(struct rpc_client *c, struct rpc_req *r,
			      long long now, const char *kind, long status,
			      enum log_level level, const char *error)
{
	struct rpc_node *nd = &c->nodes.nodes[r->node];
	long long delay;

	count_error(c, r->method, kind);
	rpc_breaker_failure(&nd->breaker, nd->name, r->probe, now);
	r->probe = 0;

	if (c->opts.stop && *c->opts.stop) {
		rpc_req_fail(c, r, "stopping (last error: %s)", error);
		return;
	}
	if (c->opts.max_attempts > 0 && r->attempts >= c->opts.max_attempts) {
		log_failure(LOG_ERROR, r, nd, status, error, -1,
			    "rpc request failed, giving up");
		rpc_req_fail(c, r, "gave up after %d attempts: %s",
			     r->attempts, error);
		return;
	}
	delay = rpc_retry_delay_ms(r->attempts, status, r->retry_after,
				   c->opts.backoff_base_ms,
				   c->opts.backoff_max_ms, &c->rng);
	if (r->attempts % RPC_ATTEMPTS_ERROR_EVERY == 0)
		level = LOG_ERROR;
	log_failure(level, r, nd, status, error, delay,
		    "rpc request failed, retrying");
	r->due = now + delay;
	r->state = REQ_RETRY;
	rpc_list_push(&c->retry, r);
}

/* An answer over max_response: the same question would get the same
 * answer, so no retry; the caller may ask for less (a smaller batch).
 * The node did answer, so its breaker counts a success. */
static void give_up_too_large(struct rpc_client *c, struct rpc_req *r,
			      long status)
{
	struct rpc_node *nd = &c->nodes.nodes[r->node];
	char err[RPC_ERROR_TEXT_SIZE];

	count_error(c, r->method, "too_large");
	rpc_breaker_success(&nd->breaker, nd->name);
	r->probe = 0;
	snprintf(err, sizeof(err), "answer larger than %zu bytes "
		 "(max_response)", c->opts.max_response);
	log_failure(LOG_ERROR, r, nd, status, err, -1,
		    "rpc answer too large, giving up");
	rpc_req_fail(c, r, "%s", err);
}

/* A transfer that brought no answer to read (a curl error, HTTP 429,
 * 408 or 5xx) is a transport failure: 1 when it was one (handed to
 * transport_failure), 0 when the body is to be read. */
static int http_failure(struct rpc_client *c, struct rpc_req *r,
			long long now, CURLcode cc, long status)
{
	char err[RPC_ERROR_TEXT_SIZE];

	if (cc != CURLE_OK) {
		snprintf(err, sizeof(err), "%s",
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
		transport_failure(c, r, now, curl_kind(cc), 0, LOG_WARN, err);
	} else if (status == 429) {
		transport_failure(c, r, now, "http_429", status, LOG_WARN,
				  "HTTP 429 too many requests");
	} else if (status == 408) {
		transport_failure(c, r, now, "timeout", status, LOG_WARN,
				  "HTTP 408 request timeout");
	} else if (status >= 500) {
		snprintf(err, sizeof(err), "HTTP %ld", status);
		transport_failure(c, r, now, "http_5xx", status, LOG_WARN, err);
	} else {
		return 0;
	}
	return 1;
}

/* Read the body into r->res: 0 when it answers every call, -1 when it
 * is no valid answer or a rate limit in JSON-RPC clothes (handed to
 * transport_failure, r->res released). */
static int read_answer(struct rpc_client *c, struct rpc_req *r,
		       long long now, long status)
{
	char err[RPC_ERROR_TEXT_SIZE], perr[RPC_PARSE_ERROR_SIZE];
	int prc;

	prc = rpc_parse_response(r->resp.data ? r->resp.data : "", r->resp.len,
				 r->first_id, r->n, r->res, perr, sizeof(perr));
	if (prc < 0 && status >= 200 && status < 300) {
		snprintf(err, sizeof(err), "invalid JSON-RPC answer: %s", perr);
		transport_failure(c, r, now, prc == JSON_DUPLICATE ?
				  "duplicate_key" : "invalid_json",
				  status, LOG_WARN, err);
		return -1;
	}
	if (prc < 0) {
		/* A 401, 403 or 404 without JSON-RPC in it: most likely a
		 * wrong URL or API key. */
		snprintf(err, sizeof(err),
			 "HTTP %ld without a JSON-RPC answer", status);
		transport_failure(c, r, now, "http_4xx", status, LOG_ERROR,
				  err);
		return -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (rpc_wire_rate_limited(&r->res[i])) {
			snprintf(err, sizeof(err), "rate limited: %ld %s",
				 r->res[i].code, r->res[i].message);
			rpc_results_release(r->res, r->n);
			transport_failure(c, r, now, "http_429", status,
					  LOG_WARN, err);
			return -1;
		}
	}
	return 0;
}

/* Every call answered: the node is well, the callback runs. r is off
 * every list, so the callback may submit; the results point into
 * r->resp, which lives until rpc_req_free. */
static void complete_answered(struct rpc_client *c, struct rpc_req *r)
{
	struct rpc_node *nd = &c->nodes.nodes[r->node];

	rpc_breaker_success(&nd->breaker, nd->name);
	r->probe = 0;
	for (size_t i = 0; i < r->n; i++) {
		r->res[i].node = nd->name;
		if (r->res[i].status == RPC_ERROR)
			count_error(c, r->method, "rpc_error");
	}
	c->completed++;
	r->done(r->arg, r->res, r->n);
	rpc_results_release(r->res, r->n);
	rpc_req_free(r);
}

static void finish_transfer(struct rpc_client *c, CURL *e, CURLcode cc)
{
	struct rpc_req *r = NULL;
	long long now = clock_mono_ms();
	long status = 0;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	rpc_list_remove(&c->inflight, r);
	rpc_transfer_abort(c, r);
	rpc_transfer_update_inflight(c);
	observe_latency(c, r, now);

	if (r->too_large || cc == CURLE_FILESIZE_EXCEEDED)
		give_up_too_large(c, r, status);
	else if (!http_failure(c, r, now, cc, status) &&
		 read_answer(c, r, now, status) == 0)
		complete_answered(c, r);
}

void rpc_transfer_reap(struct rpc_client *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg == CURLMSG_DONE)
			finish_transfer(c, m->easy_handle, m->data.result);
	}
}

