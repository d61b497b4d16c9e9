#include "rpc.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

#include "banned.h"

/* Where a request is: waiting its turn (fresh or for a retry) or on the
 * wire. Each state is one intrusive list of the client. */
enum req_state { REQ_QUEUED, REQ_RETRY, REQ_INFLIGHT };

enum breaker { BR_CLOSED, BR_OPEN, BR_HALF_OPEN };

struct rpc_node {
	char *url;
	char name[256];          /* redacted: the only form ever logged */
	enum breaker state;
	int failures;            /* consecutive transport failures */
	long long open_until;    /* monotonic ms, while BR_OPEN */
	long long cooldown_ms;   /* current cool-down, doubles per re-open */
	struct metric *up;
};

struct rpc_req {
	struct rpc_req *prev, *next;
	enum req_state state;
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
	char retry_after[64];
	char errbuf[CURL_ERROR_SIZE];
	char msg[512];           /* RPC_FAILED message handed to the callback */
};

struct rpc_list {
	struct rpc_req *head, *tail;
	int len;
};

struct rpc_client {
	struct rpc_opts opts;
	struct rpc_node *nodes;
	size_t nnodes;
	CURLM *multi;
	struct curl_slist *headers;
	CURL **pool;             /* idle easy handles, kept for reuse */
	size_t npool;
	struct rpc_list queue, retry, inflight;
	uint64_t next_id;
	uint64_t rng;
	unsigned long completed; /* requests whose callback has run */
	size_t first;            /* node new requests try first */
	struct metric *inflight_gauge;
	struct metric *retries;
	int curl_inited;
};

/* xorshift64*: jitter only, no need for more. */
static double next_random(struct rpc_client *c)
{
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	x *= 2685821657736338717ULL;
	return (double)(x >> 11) / 9007199254740992.0; /* 53 bits / 2^53 */
}

static void list_push(struct rpc_list *l, struct rpc_req *r)
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

static void list_remove(struct rpc_list *l, struct rpc_req *r)
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

static struct rpc_list *list_of(struct rpc_client *c, struct rpc_req *r)
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

long long rpc_backoff_ms(int attempt, long long base, long long max,
			 double r)
{
	long long cap = clock_backoff_ms(attempt, base, max);

	if (!(r >= 0.0))
		r = 0.0;
	if (r >= 1.0)
		r = 0.999999;
	return (long long)(r * (double)cap);
}

long long rpc_retry_after_ms(const char *value, long long now_epoch_s)
{
	char tmp[128];
	size_t len;
	time_t t;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && isspace((unsigned char)value[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, value, len);
	tmp[len] = '\0';
	if (strspn(tmp, "0123456789") == len) {
		long long s = 0;

		/* A day is plenty; anything longer is capped by the caller. */
		if (len > 9)
			return 86400LL * 1000;
		for (size_t i = 0; i < len; i++)
			s = s * 10 + (tmp[i] - '0');
		return s * 1000;
	}
	/* An HTTP date names its day or month: bare garbage that
	 * curl_getdate() would still read as a time is refused. */
	if (!isalpha((unsigned char)tmp[0]))
		return -1;
	t = curl_getdate(tmp, NULL);
	if (t == (time_t)-1)
		return -1;
	if ((long long)t <= now_epoch_s)
		return 0;
	return ((long long)t - now_epoch_s) * 1000;
}

/* ---- parsing answers ---- */

struct parse {
	uint64_t first_id;
	size_t n;
	struct rpc_result *res;
	unsigned char *seen;
	int is_array;
	/* the element being read */
	size_t index;
	int have_elem;
	const char *id, *result, *error;
	size_t idlen, resultlen, errorlen;
	char *err;
	size_t errlen;
};

static int span_is_null(const char *v, size_t len)
{
	return len == 4 && !memcmp(v, "null", 4);
}

/* JSON-RPC allows a number or a string id; ours are numbers, so "1" in
 * quotes is somebody else's answer. */
static int parse_id(const char *v, size_t len, uint64_t *out)
{
	uint64_t id = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (id > (UINT64_MAX - 9) / 10)
			return -1;
		id = id * 10 + (uint64_t)(v[i] - '0');
	}
	*out = id;
	return 0;
}

static char *span_dup(const char *v, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, v, len);
		s[len] = '\0';
	}
	return s;
}

/* Fill res with the error object: a tree parse is fine here, the error
 * is small. A non-object error (some nodes send a bare string) is kept
 * as the message. */
static int set_error(struct rpc_result *res, const char *v, size_t len,
		     char *err, size_t errlen)
{
	char *text = span_dup(v, len);
	yajl_val tree = NULL, code, msg;
	const char *m = NULL;

	if (!text)
		goto nomem;
	tree = json_parse(text, NULL, 0);
	res->status = RPC_ERROR;
	res->code = 0;
	if (tree && YAJL_IS_OBJECT(tree)) {
		code = json_get(tree, "code");
		if (code && YAJL_IS_INTEGER(code))
			res->code = (long)YAJL_GET_INTEGER(code);
		msg = json_get(tree, "message");
		if (msg && YAJL_IS_STRING(msg))
			m = msg->u.string;
	} else if (tree && YAJL_IS_STRING(tree)) {
		m = tree->u.string;
	}
	res->message = strdup(m ? m : "(no message)");
	if (tree)
		yajl_tree_free(tree);
	free(text);
	if (!res->message)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int finish_element(struct parse *p)
{
	struct rpc_result *res;
	uint64_t id;
	size_t i;

	if (!p->have_elem)
		return 0;
	p->have_elem = 0;
	/* A lone error object without id reads as one with id null. */
	if (!p->id && (p->is_array || !p->error || p->result)) {
		snprintf(p->err, p->errlen, "answer without id");
		return -1;
	}
	if (!p->id || span_is_null(p->id, p->idlen)) {
		/* An error about the request as a whole (parse error,
		 * batch too large): it answers every call. */
		if (!p->error || span_is_null(p->error, p->errorlen)) {
			snprintf(p->err, p->errlen, "answer with null id");
			return -1;
		}
		for (i = 0; i < p->n; i++) {
			if (p->seen[i])
				continue;
			if (set_error(&p->res[i], p->error, p->errorlen,
				      p->err, p->errlen) < 0)
				return -1;
			p->seen[i] = 1;
		}
		return 0;
	}
	if (parse_id(p->id, p->idlen, &id) < 0) {
		snprintf(p->err, p->errlen, "unexpected id %.*s",
			 (int)(p->idlen > 40 ? 40 : p->idlen), p->id);
		return -1;
	}
	if (id < p->first_id || id - p->first_id >= p->n) {
		snprintf(p->err, p->errlen, "unexpected id %llu",
			 (unsigned long long)id);
		return -1;
	}
	i = (size_t)(id - p->first_id);
	if (p->seen[i]) {
		snprintf(p->err, p->errlen, "duplicate id %llu",
			 (unsigned long long)id);
		return -1;
	}
	res = &p->res[i];
	/* Some nodes send "error":null next to a result. */
	if (p->error && !span_is_null(p->error, p->errorlen)) {
		if (set_error(res, p->error, p->errorlen, p->err,
			      p->errlen) < 0)
			return -1;
	} else if (p->result) {
		res->status = RPC_OK;
		res->result = p->result;
		res->result_len = p->resultlen;
	} else {
		snprintf(p->err, p->errlen,
			 "answer to id %llu has neither result nor error",
			 (unsigned long long)id);
		return -1;
	}
	p->seen[i] = 1;
	return 0;
}

static int on_member(void *arg, const struct json_member *m)
{
	struct parse *p = arg;

	if (p->have_elem && m->index != p->index && finish_element(p) < 0)
		return 1;
	if (!m->key) {
		snprintf(p->err, p->errlen,
			 "batch element %zu is not an object", m->index);
		return 1;
	}
	if (!p->have_elem) {
		p->have_elem = 1;
		p->index = m->index;
		p->id = p->result = p->error = NULL;
	}
	if (m->keylen == 2 && !memcmp(m->key, "id", 2)) {
		p->id = m->val;
		p->idlen = m->vallen;
	} else if (m->keylen == 6 && !memcmp(m->key, "result", 6)) {
		p->result = m->val;
		p->resultlen = m->vallen;
	} else if (m->keylen == 5 && !memcmp(m->key, "error", 5)) {
		p->error = m->val;
		p->errorlen = m->vallen;
	}
	return 0;
}

void rpc_results_release(struct rpc_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (res[i].status == RPC_ERROR)
			free((char *)res[i].message);
		res[i].message = NULL;
	}
}

int rpc_parse_response(const char *body, size_t len, uint64_t first_id,
		       size_t n, struct rpc_result *res, char *err,
		       size_t errlen)
{
	char ebuf[256];
	struct parse p = { .first_id = first_id, .n = n,
			   .res = res, .err = err ? err : ebuf,
			   .errlen = err ? errlen : sizeof(ebuf) };
	size_t i = 0;
	int rc;

	if (p.errlen)
		p.err[0] = '\0';
	for (size_t k = 0; k < n; k++)
		res[k] = (struct rpc_result){ .status = RPC_FAILED };
	if (n == 0)
		return 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len) {
		snprintf(p.err, p.errlen, "empty answer");
		return -1;
	}
	p.is_array = body[i] == '[';
	if (n == 1 && p.is_array) {
		snprintf(p.err, p.errlen, "batch answer to a single call");
		return -1;
	}
	p.seen = calloc(n, 1);
	if (!p.seen) {
		snprintf(p.err, p.errlen, "out of memory");
		return -1;
	}
	rc = json_members(body, len, on_member, &p, p.err, p.errlen);
	if (rc == 0 && finish_element(&p) < 0)
		rc = -1;
	if (rc != 0)
		goto fail;
	if (n > 1 && !p.is_array) {
		/* A single object answering a batch may only be an error
		 * about the batch as a whole (id null): handled above. */
		for (i = 0; i < n && p.seen[i]; i++)
			;
		if (i < n) {
			snprintf(p.err, p.errlen,
				 "single answer to a batch of %zu", n);
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if (!p.seen[i]) {
			snprintf(p.err, p.errlen, "no answer for id %llu",
				 (unsigned long long)(first_id + i));
			goto fail;
		}
	}
	free(p.seen);
	return 0;
fail:
	if (p.errlen && !p.err[0])
		snprintf(p.err, p.errlen, "invalid JSON-RPC answer");
	rpc_results_release(res, n);
	for (size_t k = 0; k < n; k++)
		res[k] = (struct rpc_result){ .status = RPC_FAILED };
	free(p.seen);
	return rc == JSON_DUPLICATE ? JSON_DUPLICATE : -1;
}

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

static void update_inflight(struct rpc_client *c)
{
	metric_set(c->inflight_gauge, c->inflight.len);
}

/* ---- circuit breaker ---- */

static void node_success(struct rpc_client *c, struct rpc_node *nd)
{
	nd->failures = 0;
	if (nd->state == BR_CLOSED)
		return;
	nd->state = BR_CLOSED;
	nd->cooldown_ms = c->opts.breaker_cooldown_ms;
	metric_set(nd->up, 1);
	log_at(LOG_INFO, LOGF(LF_S("node", nd->name)),
	       "node answers again, circuit closed");
}

static void node_failure(struct rpc_client *c, struct rpc_node *nd,
			 int probe, long long now)
{
	long long max_cool = c->opts.breaker_cooldown_ms * 10;

	nd->failures++;
	if (nd->state == BR_HALF_OPEN && probe) {
		nd->cooldown_ms = nd->cooldown_ms * 2 > max_cool ?
					  max_cool : nd->cooldown_ms * 2;
		nd->state = BR_OPEN;
		nd->open_until = now + nd->cooldown_ms;
		log_at(LOG_WARN, LOGF(LF_S("node", nd->name),
				      LF_I("cooldown_ms", nd->cooldown_ms)),
		       "node still failing, circuit open again");
	} else if (nd->state == BR_CLOSED &&
		   nd->failures >= c->opts.breaker_failures) {
		nd->state = BR_OPEN;
		nd->open_until = now + nd->cooldown_ms;
		metric_set(nd->up, 0);
		log_at(LOG_WARN, LOGF(LF_S("node", nd->name),
				      LF_I("failures", nd->failures),
				      LF_I("cooldown_ms", nd->cooldown_ms)),
		       "node keeps failing, circuit open");
	}
}

/* The first usable node from start on: closed, or open with its
 * cool-down over (it becomes half-open and this request is its one
 * probe). When none is usable, the one whose cool-down ends first: a
 * request never waits for a breaker. */
static size_t pick_node(struct rpc_client *c, size_t start, long long now,
			int *probe)
{
	size_t best = start % c->nnodes;
	long long best_until = LLONG_MAX;

	*probe = 0;
	if (c->nnodes == 1)
		return 0;
	for (size_t k = 0; k < c->nnodes; k++) {
		size_t i = (start + k) % c->nnodes;
		struct rpc_node *nd = &c->nodes[i];

		if (nd->state == BR_CLOSED)
			return i;
		if (nd->state == BR_OPEN && now >= nd->open_until) {
			nd->state = BR_HALF_OPEN;
			*probe = 1;
			return i;
		}
		if (nd->open_until < best_until) {
			best_until = nd->open_until;
			best = i;
		}
	}
	return best;
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

	rc |= curl_easy_setopt(e, CURLOPT_URL, c->nodes[r->node].url);
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

static void release_easy(struct rpc_client *c, struct rpc_req *r)
{
	if (!r->easy)
		return;
	curl_multi_remove_handle(c->multi, r->easy);
	/* Keep the handle: its DNS and TLS session caches go with it; the
	 * connections themselves stay in the multi handle's cache. */
	if (c->npool < (size_t)c->opts.max_inflight) {
		curl_easy_reset(r->easy);
		c->pool[c->npool++] = r->easy;
	} else {
		curl_easy_cleanup(r->easy);
	}
	r->easy = NULL;
}

static void req_free(struct rpc_req *r)
{
	if (!r)
		return;
	buf_release(&r->body);
	buf_release(&r->resp);
	free(r->res);
	free(r->method);
	free(r);
}

static void complete_failed(struct rpc_client *c, struct rpc_req *r,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* End the request with RPC_FAILED for every call, and forget it. The
 * request is off every list first, so the callback may submit more. */
static void complete_failed(struct rpc_client *c, struct rpc_req *r,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->n; i++)
		r->res[i] = (struct rpc_result){
			.status = RPC_FAILED, .message = r->msg,
			.node = c->nodes[r->node].name,
		};
	c->completed++;
	r->done(r->arg, r->res, r->n);
	req_free(r);
}

static int start_request(struct rpc_client *c, struct rpc_req *r,
			 long long now)
{
	CURL *e;

	r->node = pick_node(c, r->attempts ? r->node + 1 : c->first, now,
			    &r->probe);
	e = c->npool ? c->pool[--c->npool] : curl_easy_init();
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
			c->nodes[r->node].state = BR_OPEN;
		return log_error("cannot start request: curl setup failed");
	}
	r->easy = e;
	r->attempts++;
	r->started = now;
	list_remove(list_of(c, r), r);
	r->state = REQ_INFLIGHT;
	list_push(&c->inflight, r);
	count_method(c, "rpc_requests_total",
		     "JSON-RPC HTTP requests sent, by the first call's method",
		     r->method, NULL);
	if (r->attempts > 1)
		metric_inc(c->retries);
	update_inflight(c);
	return 0;
}

static void start_due(struct rpc_client *c, long long now)
{
	struct rpc_req *r, *next;

	/* Retries first: they are older than anything still queued. */
	for (r = c->retry.head; r; r = next) {
		next = r->next;
		if (c->inflight.len >= c->opts.max_inflight)
			return;
		if (r->due <= now && start_request(c, r, now) < 0)
			return;
	}
	while (c->queue.head && c->inflight.len < c->opts.max_inflight)
		if (start_request(c, c->queue.head, now) < 0)
			return;
}

/* Rate limits some providers send as JSON-RPC errors (Infura -32005,
 * Alchemy 429) are the transport's business, not the caller's. -32005
 * also means "query returned more than 10000 results", which a retry
 * cannot fix: that one goes to the caller. */
static int is_rate_limit(const struct rpc_result *res)
{
	const char *m = res->message ? res->message : "";

	if (res->status != RPC_ERROR)
		return 0;
	if (strcasestr(m, "rate limit") || strcasestr(m, "too many requests") ||
	    strcasestr(m, "rate-limit") || strcasestr(m, "ratelimit"))
		return 1;
	if (res->code == 429)
		return 1;
	return res->code == -32005 && !strcasestr(m, "more than");
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
	struct rpc_node *nd = &c->nodes[r->node];
	long long delay = -1, ra;

	count_error(c, r->method, kind);
	node_failure(c, nd, r->probe, now);
	r->probe = 0;

	if (c->opts.stop && *c->opts.stop) {
		complete_failed(c, r, "stopping (last error: %s)", error);
		return;
	}
	if (c->opts.max_attempts > 0 && r->attempts >= c->opts.max_attempts) {
		log_failure(LOG_ERROR, r, nd, status, error, -1,
			    "rpc request failed, giving up");
		complete_failed(c, r, "gave up after %d attempts: %s",
				r->attempts, error);
		return;
	}
	if ((status == 429 || status == 503) && r->retry_after[0]) {
		ra = rpc_retry_after_ms(r->retry_after, (long long)time(NULL));
		if (ra >= 0)
			delay = ra;
	}
	if (delay < 0)
		delay = rpc_backoff_ms(r->attempts, c->opts.backoff_base_ms,
				       c->opts.backoff_max_ms, next_random(c));
	if (delay > c->opts.backoff_max_ms * 6)
		delay = c->opts.backoff_max_ms * 6;
	if (r->attempts % 10 == 0)
		level = LOG_ERROR;
	log_failure(level, r, nd, status, error, delay,
		    "rpc request failed, retrying");
	r->due = now + delay;
	r->state = REQ_RETRY;
	list_push(&c->retry, r);
}

static void finish_transfer(struct rpc_client *c, CURL *e, CURLcode cc)
{
	struct rpc_req *r = NULL;
	long long now = clock_mono_ms();
	long status = 0;
	char err[512], perr[256];
	struct rpc_node *nd;
	int prc;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	list_remove(&c->inflight, r);
	release_easy(c, r);
	update_inflight(c);
	observe_latency(c, r, now);
	nd = &c->nodes[r->node];

	if (r->too_large || cc == CURLE_FILESIZE_EXCEEDED) {
		/* The same question would get the same answer: no retry.
		 * The caller may ask for less (a smaller batch). The node
		 * did answer, so its breaker counts a success. */
		count_error(c, r->method, "too_large");
		node_success(c, nd);
		r->probe = 0;
		snprintf(err, sizeof(err), "answer larger than %zu bytes "
			 "(max_response)", c->opts.max_response);
		log_failure(LOG_ERROR, r, nd, status, err, -1,
			    "rpc answer too large, giving up");
		complete_failed(c, r, "%s", err);
		return;
	}
	if (cc != CURLE_OK) {
		snprintf(err, sizeof(err), "%s",
			 r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc));
		transport_failure(c, r, now, curl_kind(cc), 0, LOG_WARN, err);
		return;
	}
	if (status == 429) {
		transport_failure(c, r, now, "http_429", status, LOG_WARN,
				  "HTTP 429 too many requests");
		return;
	}
	if (status == 408) {
		transport_failure(c, r, now, "timeout", status, LOG_WARN,
				  "HTTP 408 request timeout");
		return;
	}
	if (status >= 500) {
		snprintf(err, sizeof(err), "HTTP %ld", status);
		transport_failure(c, r, now, "http_5xx", status, LOG_WARN, err);
		return;
	}
	prc = rpc_parse_response(r->resp.data ? r->resp.data : "", r->resp.len,
				 r->first_id, r->n, r->res, perr, sizeof(perr));
	if (prc < 0) {
		if (status >= 200 && status < 300) {
			snprintf(err, sizeof(err),
				 "invalid JSON-RPC answer: %s", perr);
			transport_failure(c, r, now, prc == JSON_DUPLICATE ?
					  "duplicate_key" : "invalid_json",
					  status, LOG_WARN, err);
		} else {
			/* A 401, 403 or 404 without JSON-RPC in it: most
			 * likely a wrong URL or API key. */
			snprintf(err, sizeof(err),
				 "HTTP %ld without a JSON-RPC answer", status);
			transport_failure(c, r, now, "http_4xx", status,
					  LOG_ERROR, err);
		}
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (is_rate_limit(&r->res[i])) {
			snprintf(err, sizeof(err), "rate limited: %ld %s",
				 r->res[i].code, r->res[i].message);
			rpc_results_release(r->res, r->n);
			transport_failure(c, r, now, "http_429", status,
					  LOG_WARN, err);
			return;
		}
	}
	node_success(c, nd);
	r->probe = 0;
	for (size_t i = 0; i < r->n; i++) {
		r->res[i].node = nd->name;
		if (r->res[i].status == RPC_ERROR)
			count_error(c, r->method, "rpc_error");
	}
	/* r is off every list: the callback may submit. The results point
	 * into r->resp, which lives until req_free. */
	c->completed++;
	r->done(r->arg, r->res, r->n);
	rpc_results_release(r->res, r->n);
	req_free(r);
}

static void reap(struct rpc_client *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		if (m->msg == CURLMSG_DONE)
			finish_transfer(c, m->easy_handle, m->data.result);
	}
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
			list_remove(lists[k], r);
			if (r->easy)
				release_easy(c, r);
			if (r->probe)
				c->nodes[r->node].state = BR_OPEN;
			list_push(&doomed, r);
		}
	}
	update_inflight(c);
	while ((r = doomed.head)) {
		list_remove(&doomed, r);
		complete_failed(c, r, "%s", why);
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
		reap(c);
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

static void add_json_string(struct buf *b, const char *s, int *rc)
{
	*rc |= buf_addch(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			*rc |= buf_addf(b, "\\%c", ch);
		else if (ch < 0x20)
			*rc |= buf_addf(b, "\\u%04x", ch);
		else
			*rc |= buf_addch(b, (char)ch);
	}
	*rc |= buf_addch(b, '"');
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
	if (n > 1)
		rc |= buf_addch(&r->body, '[');
	for (size_t i = 0; i < n; i++) {
		if (r->height < 0 && calls[i].height >= 0)
			r->height = calls[i].height;
		rc |= buf_addf(&r->body, "%s{\"jsonrpc\":\"2.0\",\"id\":%llu,"
			       "\"method\":", i ? "," : "",
			       (unsigned long long)(r->first_id + i));
		add_json_string(&r->body, calls[i].method, &rc);
		rc |= buf_addf(&r->body, ",\"params\":%s}",
			       calls[i].params && *calls[i].params ?
				       calls[i].params : "[]");
	}
	if (n > 1)
		rc |= buf_addch(&r->body, ']');
	if (rc)
		goto nomem;
	c->next_id += n;
	r->state = REQ_QUEUED;
	list_push(&c->queue, r);
	return 0;
nomem:
	req_free(r);
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

/* "#2 https://host:port": the position in the pool (1 is the first URL
 * given) and the URL without anything that may be a key, so two keys on
 * one provider stay two nodes in logs and in rpc_node_up{node}. */
static void node_name(char *out, size_t outlen, size_t pos, const char *url)
{
	char red[224];

	log_redact_url(url, red, sizeof(red));
	snprintf(out, outlen, "#%zu %s", pos, red);
}

static int add_node(struct rpc_client *c, const char *url, size_t len)
{
	struct rpc_node *nd;
	char *u;
	size_t n;

	while (len && isspace((unsigned char)*url)) {
		url++;
		len--;
	}
	while (len && isspace((unsigned char)url[len - 1]))
		len--;
	if (len == 0)
		return 0;
	u = span_dup(url, len);
	if (!u)
		return log_error("cannot add node: out of memory");
	nd = realloc(c->nodes, (c->nnodes + 1) * sizeof(*nd));
	if (!nd) {
		free(u);
		return log_error("cannot add node: out of memory");
	}
	c->nodes = nd;
	nd = &c->nodes[c->nnodes++];
	memset(nd, 0, sizeof(*nd));
	nd->url = u;
	nd->cooldown_ms = c->opts.breaker_cooldown_ms;
	node_name(nd->name, sizeof(nd->name), c->nnodes, u);
	n = strncasecmp(u, "http://", 7) == 0 ? 7 :
	    strncasecmp(u, "https://", 8) == 0 ? 8 : 0;
	if (n == 0 || !u[n] || u[n] == '/')
		return log_error("invalid node URL '%s': want http:// or "
				 "https:// and a host", nd->name);
	return 0;
}

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

struct rpc_client *rpc_client_new(const struct rpc_opts *opts)
{
	struct rpc_client *c = calloc(1, sizeof(*c));
	const char *p, *comma;

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
	if (!opts->urls || !*opts->urls) {
		log_error("no node URL given");
		goto fail;
	}
	for (p = opts->urls; *p; p = *comma ? comma + 1 : comma) {
		comma = p + strcspn(p, ",\n"); /* --rpc-file: one a line too */
		if (add_node(c, p, (size_t)(comma - p)) < 0)
			goto fail;
	}
	if (c->nnodes == 0) {
		log_error("no node URL given");
		goto fail;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		goto fail;
	}
	c->curl_inited = 1;
	c->multi = curl_multi_init();
	c->pool = calloc((size_t)c->opts.max_inflight, sizeof(*c->pool));
	if (!c->multi || !c->pool)
		goto nomem;
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
			  (long)c->opts.max_inflight * (long)c->nnodes);
	c->headers = make_headers();
	if (!c->headers)
		goto nomem;
	if (c->opts.metrics) {
		c->inflight_gauge = metrics_gauge(c->opts.metrics,
				"rpc_inflight",
				"JSON-RPC HTTP requests in flight", NULL);
		c->retries = metrics_counter(c->opts.metrics,
				"rpc_retries_total",
				"JSON-RPC requests sent again after a failure",
				NULL);
		for (size_t i = 0; i < c->nnodes; i++) {
			struct buf labels = BUF_INIT;

			if (metrics_label(&labels, "node", c->nodes[i].name) == 0)
				c->nodes[i].up = metrics_gauge(c->opts.metrics,
					"rpc_node_up",
					"1 while the node's breaker is closed",
					labels.data);
			buf_release(&labels);
			metric_set(c->nodes[i].up, 1);
		}
	}
	return c;
nomem:
	log_error("cannot create rpc client: out of memory");
fail:
	rpc_client_destroy(&c);
	return NULL;
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
			list_remove(lists[k], r);
			if (r->easy) {
				curl_multi_remove_handle(c->multi, r->easy);
				curl_easy_cleanup(r->easy);
			}
			req_free(r);
		}
	}
	for (size_t i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	free(c->pool);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	for (size_t i = 0; i < c->nnodes; i++)
		free(c->nodes[i].url);
	free(c->nodes);
	if (c->curl_inited)
		curl_global_cleanup();
	free(c);
	*cp = NULL;
}

size_t rpc_node_count(const struct rpc_client *c)
{
	return c->nnodes;
}

const char *rpc_node_name(const struct rpc_client *c, size_t i)
{
	return i < c->nnodes ? c->nodes[i].name : NULL;
}

void rpc_prefer_next(struct rpc_client *c)
{
	if (c && c->nnodes > 1) {
		c->first = (c->first + 1) % c->nnodes;
		log_at(LOG_INFO, LOGF(LF_S("node", c->nodes[c->first].name)),
		       "new requests go to another node first");
	}
}
