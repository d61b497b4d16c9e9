/* The rpc client (common/rpc.c, rpc_transfer.c): its setup, then end to
 * end against in-process HTTP servers (rpc_fake_node.h) that misbehave
 * on cue. The pure pieces have suites of their own: check_rpc_wire.c,
 * check_rpc_retry.c, check_rpc_breaker.c, check_rpc_pool.c. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "rpc.h"

#include "rpc_fake_node.h"

#include "rpc_suite_run.h"

#include "banned.h"

/* ---- client setup ---- */

START_TEST(test_new_rejects)
{
	static const char *const bad[] = {
		NULL, "", " , ", "ftp://127.0.0.1/", "127.0.0.1:8545",
		"http://", "http://127.0.0.1:8545,gopher://x",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct rpc_opts o = RPC_OPTS_INIT;
		struct rpc_client *c;

		o.urls = bad[i];
		c = rpc_client_new(&o);
		ck_assert_msg(c == NULL, "accepted '%s'", bad[i]);
	}
}
END_TEST

START_TEST(test_node_names_redacted)
{
	struct rpc_opts o = RPC_OPTS_INIT;
	struct rpc_client *c;

	o.urls = " http://user:secretpw@127.0.0.1:1/v3/0123456789abcdef0123 ,"
		 "https://node.example/?apikey=hush";
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(rpc_node_count(c), 2);
	ck_assert_ptr_null(strstr(rpc_node_name(c, 0), "secretpw"));
	ck_assert_ptr_null(strstr(rpc_node_name(c, 0), "0123456789abcdef"));
	ck_assert_ptr_nonnull(strstr(rpc_node_name(c, 0), "127.0.0.1:1"));
	ck_assert_ptr_null(strstr(rpc_node_name(c, 1), "hush"));
	ck_assert_ptr_null(rpc_node_name(c, 2));
	/* Scheme, host and port only, and the position in the pool. */
	ck_assert_str_eq(rpc_node_name(c, 0), "#1 http://127.0.0.1:1");
	ck_assert_str_eq(rpc_node_name(c, 1), "#2 https://node.example");
	rpc_client_destroy(&c);
	ck_assert_ptr_null(c);
	/* Short keys too, and two keys on one provider stay two nodes. */
	o.urls = "https://eth.example/v2/SECRETKEY,https://eth.example/v2/K2";
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(rpc_node_name(c, 0), "#1 https://eth.example");
	ck_assert_str_eq(rpc_node_name(c, 1), "#2 https://eth.example");
	rpc_client_destroy(&c);
}
END_TEST

static struct rpc_opts fast_opts(const char *urls)
{
	struct rpc_opts o = RPC_OPTS_INIT;

	o.urls = urls;
	o.timeout_ms = 5000;
	o.connect_timeout_ms = 1000;
	o.backoff_base_ms = 10;
	o.backoff_max_ms = 200;
	return o;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One call through rpc_call_sync: status, and the answer in out. */
static enum rpc_status sync_call(struct rpc_client *c, const char *params,
				 char **out, long *code)
{
	return rpc_call_sync(c, "eth_test", params, 42, out, code);
}

/* ---- end to end, one behaviour a case ---- */

struct e2e_case {
	const char *name;
	enum act script[4];
	size_t nscript;
	int max_attempts;
	enum rpc_status want;
	int requests;         /* the server saw exactly this many */
	const char *contains; /* in the answer or the message */
};

static const struct e2e_case e2e_cases[] = {
	{ "ok", { ACT_OK }, 1, 0, RPC_OK, 1, "\"params\":[\"0x1\",true]" },
	{ "500 then ok", { ACT_500, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "truncated then ok", { ACT_TRUNCATE, ACT_OK }, 2, 0, RPC_OK, 2,
	  "0x1" },
	{ "garbage then ok", { ACT_GARBAGE, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "dropped then ok", { ACT_DROP, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "404 then ok", { ACT_404, ACT_OK }, 2, 0, RPC_OK, 2, "0x1" },
	{ "rate limit in JSON-RPC is retried", { ACT_RATELIMIT, ACT_OK }, 2, 0,
	  RPC_OK, 2, "0x1" },
	{ "JSON-RPC error goes to the caller", { ACT_RPCERR, ACT_OK }, 2, 0,
	  RPC_ERROR, 1, "header not found" },
	{ "max_attempts honoured", { ACT_500, ACT_500, ACT_500, ACT_OK }, 4, 3,
	  RPC_FAILED, 3, "gave up after 3 attempts" },
	{ "too large is not retried", { ACT_BIG, ACT_OK }, 2, 0, RPC_FAILED, 1,
	  "larger than" },
};

START_TEST(test_e2e)
{
	const struct e2e_case *t = &e2e_cases[_i];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	enum rpc_status st;
	char *out = NULL;
	long code = 0;

	srv_start(&s, ACT_OK, t->script, t->nscript);
	o = fast_opts(s.url);
	o.max_attempts = t->max_attempts;
	o.max_response = 4096;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	st = sync_call(c, "[\"0x1\",true]", &out, &code);
	ck_assert_msg(st == t->want, "%s: status %d (%s)", t->name, st, out);
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(strstr(out, t->contains), "%s: '%s' lacks '%s'",
		      t->name, out, t->contains);
	ck_assert_int_eq(srv_requests(&s), t->requests);
	if (st == RPC_ERROR)
		ck_assert_int_eq(code, -32000);
	ck_assert_int_eq(rpc_pending(c), 0);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* ---- asynchronous requests ---- */

struct got {
	int calls;
	size_t n;
	enum rpc_status st[8];
	char *text[8];
	char node[256];
};

static void on_done(void *arg, const struct rpc_result *res, size_t n)
{
	struct got *g = arg;

	g->calls++;
	g->n = n;
	for (size_t i = 0; i < n && i < 8; i++) {
		g->st[i] = res[i].status;
		if (res[i].status == RPC_OK)
			g->text[i] = strndup(res[i].result, res[i].result_len);
		else
			g->text[i] = strdup(res[i].message);
	}
	snprintf(g->node, sizeof(g->node), "%s", res[0].node);
}

static void got_release(struct got *g)
{
	for (size_t i = 0; i < 8; i++)
		free(g->text[i]);
	memset(g, 0, sizeof(*g));
}

static void run_until_done(struct rpc_client *c, long long max_ms)
{
	long long end = mono_ms() + max_ms;

	while (rpc_pending(c) > 0 && mono_ms() < end)
		rpc_client_run(c, 100);
	ck_assert_int_eq(rpc_pending(c), 0);
}

START_TEST(test_batch_out_of_order)
{
	static const char *const params[] = {
		"[\"0x10\",true]", "[\"0x11\",true]", "[\"0x12\"]",
		"[\"0x13\"]", "[]",
	};
	struct rpc_call calls[5];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	char want[128];

	srv_start(&s, ACT_OK, NULL, 0);
	o = fast_opts(s.url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (size_t i = 0; i < 5; i++) {
		calls[i].method = i < 2 ? "eth_getBlockByNumber" :
					  "eth_getBlockReceipts";
		calls[i].params = params[i];
		calls[i].height = 16 + (int64_t)i;
	}
	ck_assert_int_eq(rpc_submit(c, calls, 5, on_done, &g), 0);
	ck_assert_int_eq(rpc_pending(c), 1);
	run_until_done(c, 10000);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_uint_eq(g.n, 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(g.st[i], RPC_OK);
		snprintf(want, sizeof(want),
			 "{\"method\":\"%s\",\"params\":%s}", calls[i].method,
			 params[i]);
		ck_assert_str_eq(g.text[i], want);
	}
	ck_assert_ptr_nonnull(strstr(g.node, "127.0.0.1"));
	ck_assert_int_eq(srv_requests(&s), 1);
	got_release(&g);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_many_in_flight)
{
	enum { N = 40 };
	struct got g[N];
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char params[N][32], want[128];

	memset(g, 0, sizeof(g));
	srv_start(&s, ACT_OK, NULL, 0);
	o = fast_opts(s.url);
	o.max_inflight = 4;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < N; i++) {
		struct rpc_call call = { "eth_getBlockByNumber", params[i], i };

		snprintf(params[i], sizeof(params[i]), "[\"0x%x\",false]", i);
		ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g[i]), 0);
	}
	/* The client copied the strings: scribble over ours. */
	memset(params, 'x', sizeof(params));
	run_until_done(c, 20000);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(g[i].calls, 1);
		ck_assert_int_eq(g[i].st[0], RPC_OK);
		snprintf(want, sizeof(want),
			 "{\"method\":\"eth_getBlockByNumber\","
			 "\"params\":[\"0x%x\",false]}", i);
		ck_assert_str_eq(g[i].text[0], want);
		got_release(&g[i]);
	}
	ck_assert_int_eq(srv_requests(&s), N);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* 429 with Retry-After: 1: the retry waits the second out, not the
 * 10 ms backoff. */
START_TEST(test_429_retry_after)
{
	static const enum act script[] = { ACT_429 };
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL;
	long long t0;

	srv_start(&s, ACT_OK, script, 1);
	o = fast_opts(s.url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	t0 = mono_ms();
	ck_assert_int_eq(sync_call(c, "[1]", &out, NULL), RPC_OK);
	ck_assert_int_ge(mono_ms() - t0, 900);
	ck_assert_int_eq(srv_requests(&s), 2);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[1]"));
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_timeout_then_ok)
{
	static const enum act script[] = { ACT_SLOW };
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL;

	srv_start(&s, ACT_OK, script, 1);
	o = fast_opts(s.url);
	o.timeout_ms = 300;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[2]", &out, NULL), RPC_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[2]"));
	ck_assert_int_eq(srv_requests(&s), 2);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

START_TEST(test_failover)
{
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;
	struct got g = { 0 };
	struct rpc_call call = { "eth_chainId", NULL, -1 };

	srv_start(&s, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "http://127.0.0.1:%d,%s", closed_port(),
		 s.url);
	o = fast_opts(urls);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[3]", &out, NULL), RPC_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"params\":[3]"));
	ck_assert_int_eq(srv_requests(&s), 1);
	/* The answer names the node that gave it. */
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	run_until_done(c, 10000);
	ck_assert_int_eq(g.st[0], RPC_OK);
	ck_assert_str_eq(g.text[0],
			 "{\"method\":\"eth_chainId\",\"params\":[]}");
	ck_assert_str_eq(g.node, rpc_node_name(c, 1));
	got_release(&g);
	free(out);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* rpc_prefer_next: new requests go to the next node first, and stay
 * there; past the last it wraps; a single node (or none) is left alone. */
START_TEST(test_prefer_next)
{
	struct srv a, b;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;

	srv_start(&a, ACT_OK, NULL, 0);
	srv_start(&b, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", a.url, b.url);
	o = fast_opts(urls);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[1]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 1);
	ck_assert_int_eq(srv_requests(&b), 0);
	rpc_prefer_next(c);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sync_call(c, "[2]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&a), 1);
	ck_assert_int_eq(srv_requests(&b), 2);
	rpc_prefer_next(c);
	ck_assert_int_eq(sync_call(c, "[3]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 2);
	ck_assert_int_eq(srv_requests(&b), 2);
	rpc_client_destroy(&c);
	rpc_prefer_next(NULL);

	o = fast_opts(a.url);
	c = rpc_client_new(&o);
	rpc_prefer_next(c);
	ck_assert_int_eq(sync_call(c, "[4]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(srv_requests(&a), 3);
	rpc_client_destroy(&c);
	srv_stop(&a);
	srv_stop(&b);
}
END_TEST

/* Node 1 always fails: after breaker_failures failures it is set aside
 * and node 2 takes every request. */
START_TEST(test_breaker)
{
	struct srv bad, good;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160];

	srv_start(&bad, ACT_500, NULL, 0);
	srv_start(&good, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", bad.url, good.url);
	o = fast_opts(urls);
	o.breaker_failures = 3;
	o.breaker_cooldown_ms = 60000;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 8; i++) {
		char *out = NULL;

		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&bad), 3);
	ck_assert_int_eq(srv_requests(&good), 8);
	rpc_client_destroy(&c);
	srv_stop(&bad);
	srv_stop(&good);
}
END_TEST

/* After the cool-down one probe goes to the node; its success closes the
 * breaker and the node takes requests again. */
START_TEST(test_breaker_half_open)
{
	static const enum act script[] = { ACT_500, ACT_500 };
	struct srv first, second;
	struct rpc_opts o;
	struct rpc_client *c;
	char urls[160], *out = NULL;

	srv_start(&first, ACT_OK, script, 2);
	srv_start(&second, ACT_OK, NULL, 0);
	snprintf(urls, sizeof(urls), "%s,%s", first.url, second.url);
	o = fast_opts(urls);
	o.breaker_failures = 2;
	o.breaker_cooldown_ms = 300;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&first), 2);
	ck_assert_int_eq(srv_requests(&second), 3);
	usleep(400 * 1000);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
		free(out);
	}
	ck_assert_int_eq(srv_requests(&first), 5);
	ck_assert_int_eq(srv_requests(&second), 3);
	rpc_client_destroy(&c);
	srv_stop(&first);
	srv_stop(&second);
}
END_TEST

/* Retrying forever, until the stop flag is raised. */
START_TEST(test_stop_flag)
{
	volatile sig_atomic_t stop = 0;
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	struct rpc_call call = { "eth_blockNumber", "[]", -1 };
	long long end = mono_ms() + 10000;

	srv_start(&s, ACT_500, NULL, 0);
	o = fast_opts(s.url);
	o.stop = &stop;
	o.backoff_max_ms = 20;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	while (srv_requests(&s) < 3 && mono_ms() < end)
		ck_assert_int_eq(rpc_client_run(c, 50), 1);
	ck_assert_int_ge(srv_requests(&s), 3);
	ck_assert_int_eq(g.calls, 0);
	stop = 1;
	ck_assert_int_eq(rpc_client_run(c, 1000), 0);
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.st[0], RPC_FAILED);
	ck_assert_ptr_nonnull(strstr(g.text[0], "stopping"));
	got_release(&g);
	/* Once stopping, a new request ends at once too. */
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	ck_assert_int_eq(rpc_client_run(c, 0), 0);
	ck_assert_int_eq(g.st[0], RPC_FAILED);
	got_release(&g);
	rpc_client_destroy(&c);
	srv_stop(&s);
}
END_TEST

/* rpc_client_run returns within its timeout even when the only node is
 * down and the request retries forever. */
START_TEST(test_run_returns)
{
	struct rpc_opts o;
	struct rpc_client *c;
	struct got g = { 0 };
	struct rpc_call call = { "eth_blockNumber", "[]", -1 };
	char url[64];
	long long t0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	o = fast_opts(url);
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rpc_submit(c, &call, 1, on_done, &g), 0);
	for (int i = 0; i < 5; i++) {
		t0 = mono_ms();
		ck_assert_int_eq(rpc_client_run(c, 100), 1);
		ck_assert_int_lt(mono_ms() - t0, 1000);
	}
	ck_assert_int_eq(g.calls, 0);
	/* Pending requests are dropped with the client. */
	rpc_client_destroy(&c);
	ck_assert_int_eq(g.calls, 0);
}
END_TEST

START_TEST(test_metrics)
{
	static const enum act script[] = { ACT_500, ACT_OK, ACT_RPCERR };
	struct metrics *m = metrics_new("check_rpc");
	struct srv s;
	struct rpc_opts o;
	struct rpc_client *c;
	char *out = NULL, labels[128];

	ck_assert_ptr_nonnull(m);
	srv_start(&s, ACT_OK, script, 3);
	o = fast_opts(s.url);
	o.metrics = m;
	c = rpc_client_new(&o);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_OK);
	free(out);
	ck_assert_int_eq(sync_call(c, "[]", &out, NULL), RPC_ERROR);
	free(out);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_requests_total", NULL,
				"method=\"eth_test\"")), 3);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_retries_total", NULL, NULL)), 1);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_errors_total", NULL,
				"method=\"eth_test\",kind=\"http_5xx\"")), 1);
	ck_assert_double_eq(metric_value(metrics_counter(m,
				"rpc_errors_total", NULL,
				"method=\"eth_test\",kind=\"rpc_error\"")), 1);
	ck_assert_double_eq(metric_value(metrics_gauge(m, "rpc_inflight",
						       NULL, NULL)), 0);
	snprintf(labels, sizeof(labels), "node=\"%s\"", rpc_node_name(c, 0));
	ck_assert_double_eq(metric_value(metrics_gauge(m, "rpc_node_up", NULL,
						       labels)), 1);
	rpc_client_destroy(&c);
	srv_stop(&s);
	metrics_destroy(&m);
}
END_TEST

static Suite *rpc_suite(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("pure");
	TCase *e2e = tcase_create("client");

	tcase_add_test(tc, test_new_rejects);
	tcase_add_test(tc, test_node_names_redacted);
	suite_add_tcase(s, tc);

	tcase_set_timeout(e2e, 60);
	tcase_add_loop_test(e2e, test_e2e, 0,
			    sizeof(e2e_cases) / sizeof(*e2e_cases));
	tcase_add_test(e2e, test_batch_out_of_order);
	tcase_add_test(e2e, test_many_in_flight);
	tcase_add_test(e2e, test_429_retry_after);
	tcase_add_test(e2e, test_timeout_then_ok);
	tcase_add_test(e2e, test_failover);
	tcase_add_test(e2e, test_prefer_next);
	tcase_add_test(e2e, test_breaker);
	tcase_add_test(e2e, test_breaker_half_open);
	tcase_add_test(e2e, test_stop_flag);
	tcase_add_test(e2e, test_run_returns);
	tcase_add_test(e2e, test_metrics);
	suite_add_tcase(s, e2e);
	return s;
}

int main(void)
{
	return rpc_suite_run(rpc_suite(), "check_rpc");
}
