/* metrics: counters, gauges and histograms keep exact values under
 * concurrent updates; get-or-create hands back the same series; the
 * Prometheus text is exactly what scrapers expect (a golden registry);
 * quantiles follow histogram_quantile; the HTTP server answers /metrics,
 * /health, /ready and 404 on an ephemeral port, bad addresses are
 * refused, and a flood of idle and slowloris connections does not keep
 * /health from answering. */
#include <check.h>
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

#ifndef BLOCKPIPE_VERSION
#define BLOCKPIPE_VERSION "dev"
#endif

static char *render(struct metrics *m)
{
	struct buf out = BUF_INIT;

	ck_assert_int_eq(metrics_render(m, &out), 0);
	return buf_detach(&out, NULL);
}

START_TEST(test_counter_gauge)
{
	struct metrics *m = metrics_new("test");
	struct metric *c, *g;

	ck_assert_ptr_nonnull(m);
	c = metrics_counter(m, "things_total", "Things.", NULL);
	g = metrics_gauge(m, "level", "Level.", "x=\"1\"");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(g);
	ck_assert_double_eq(metric_value(c), 0);
	metric_inc(c);
	metric_inc(c);
	metric_add(c, 2.5);
	ck_assert_double_eq(metric_value(c), 4.5);
	/* A counter only goes up. */
	metric_add(c, -1);
	metric_add(c, NAN);
	ck_assert_double_eq(metric_value(c), 4.5);
	/* ... unless mirrored from elsewhere. */
	metric_set(c, 10);
	ck_assert_double_eq(metric_value(c), 10);

	metric_set(g, 7);
	metric_add(g, -9.5);
	metric_inc(g);
	ck_assert_double_eq(metric_value(g), -1.5);

	/* NULL is accepted everywhere and does nothing. */
	metric_inc(NULL);
	metric_add(NULL, 1);
	metric_set(NULL, 1);
	metric_observe(NULL, 1);
	ck_assert_double_eq(metric_value(NULL), 0);
	metrics_destroy(&m);
	ck_assert_ptr_null(m);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_get_or_create)
{
	struct metrics *m = metrics_new("test");
	const double b1[] = { 1, 2 }, bad[] = { 2, 1 }, inf[] = { 1, INFINITY };
	struct metric *a, *h;

	a = metrics_counter(m, "req_total", "Requests.", "method=\"a\"");
	ck_assert_ptr_eq(metrics_counter(m, "req_total", "other help",
					 "method=\"a\""), a);
	ck_assert_ptr_ne(metrics_counter(m, "req_total", NULL, "method=\"b\""),
			 a);
	/* NULL labels and "" are the same series. */
	ck_assert_ptr_eq(metrics_gauge(m, "g", "G.", NULL),
			 metrics_gauge(m, "g", "G.", ""));
	/* The same name as another type is a programming error. */
	ck_assert_ptr_null(metrics_gauge(m, "req_total", "x", "method=\"a\""));
	ck_assert_ptr_null(metrics_histogram(m, "req_total", "x", NULL, b1, 2));
	/* Names follow Prometheus' rules. */
	ck_assert_ptr_null(metrics_counter(m, "", "x", NULL));
	ck_assert_ptr_null(metrics_counter(m, NULL, "x", NULL));
	ck_assert_ptr_null(metrics_counter(m, "9lives", "x", NULL));
	ck_assert_ptr_null(metrics_counter(m, "a-b", "x", NULL));
	ck_assert_ptr_nonnull(metrics_counter(m, "ns:sub_total", "x", NULL));
	/* Bounds must be finite and ascending. */
	ck_assert_ptr_null(metrics_histogram(m, "h_bad", "x", NULL, bad, 2));
	ck_assert_ptr_null(metrics_histogram(m, "h_inf", "x", NULL, inf, 2));
	h = metrics_histogram(m, "h", "H.", NULL, b1, 2);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_eq(metrics_histogram(m, "h", "H.", NULL, b1, 2), h);
	/* Counter operations on a histogram do nothing. */
	metric_inc(h);
	metric_set(h, 5);
	ck_assert_double_eq(metric_value(h), 0);
	metric_observe(h, 1.5);
	ck_assert_double_eq(metric_value(h), 1);
	/* Observations on a counter do nothing. */
	metric_observe(a, 3);
	ck_assert_double_eq(metric_value(a), 0);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_render_golden)
{
	struct metrics *m = metrics_new("fetcher");
	const double bounds[] = { 0.25, 0.5, 1 }, one[] = { 1 };
	struct metric *h;
	char *text, *last;
	const char *want =
		"# HELP rpc_requests_total RPC requests sent.\n"
		"# TYPE rpc_requests_total counter\n"
		"rpc_requests_total{method=\"eth_blockNumber\"} 3\n"
		"rpc_requests_total{method=\"eth_getBlockByNumber\"} 1\n"
		"rpc_requests_total{method=\"eth_chainId\"} 0.5\n"
		"# HELP head_height Latest height.\\nSecond line, a \\\\.\n"
		"# TYPE head_height gauge\n"
		"head_height 1234567\n"
		"# HELP rpc_latency_seconds RPC latency.\n"
		"# TYPE rpc_latency_seconds histogram\n"
		"rpc_latency_seconds_bucket{method=\"x\",le=\"0.25\"} 1\n"
		"rpc_latency_seconds_bucket{method=\"x\",le=\"0.5\"} 3\n"
		"rpc_latency_seconds_bucket{method=\"x\",le=\"1\"} 3\n"
		"rpc_latency_seconds_bucket{method=\"x\",le=\"+Inf\"} 4\n"
		"rpc_latency_seconds_sum{method=\"x\"} 2.875\n"
		"rpc_latency_seconds_count{method=\"x\"} 4\n"
		"# HELP empty_seconds Nothing yet.\n"
		"# TYPE empty_seconds histogram\n"
		"empty_seconds_bucket{le=\"1\"} 0\n"
		"empty_seconds_bucket{le=\"+Inf\"} 0\n"
		"empty_seconds_sum 0\n"
		"empty_seconds_count 0\n"
		"# HELP blockpipe_build_info Which program and version this is.\n"
		"# TYPE blockpipe_build_info gauge\n"
		"blockpipe_build_info{prog=\"fetcher\",version=\""
		BLOCKPIPE_VERSION "\"} 1\n"
		"# HELP process_start_time_seconds Start time of the process "
		"since unix epoch in seconds.\n"
		"# TYPE process_start_time_seconds gauge\n"
		"process_start_time_seconds ";
	double start;

	metric_add(metrics_counter(m, "rpc_requests_total", "RPC requests sent.",
				   "method=\"eth_blockNumber\""), 3);
	metric_inc(metrics_counter(m, "rpc_requests_total", "ignored",
				   "method=\"eth_getBlockByNumber\""));
	metric_set(metrics_gauge(m, "head_height",
				 "Latest height.\nSecond line, a \\.", NULL),
		   1234567);
	h = metrics_histogram(m, "rpc_latency_seconds", "RPC latency.",
			      "method=\"x\"", bounds, 3);
	metric_observe(h, 0.125);
	metric_observe(h, 0.375);
	metric_observe(h, 0.5); /* le is inclusive */
	metric_observe(h, 1.875);
	metrics_histogram(m, "empty_seconds", "Nothing yet.", NULL, one, 1);
	/* A series created late still renders with its family. */
	metric_add(metrics_counter(m, "rpc_requests_total", NULL,
				   "method=\"eth_chainId\""), 0.5);

	text = render(m);
	ck_assert_msg(!strncmp(text, want, strlen(want)), "got:\n%s", text);
	last = text + strlen(want);
	start = strtod(last, NULL);
	ck_assert_double_ge(start, (double)time(NULL) - 60);
	ck_assert_double_le(start, (double)time(NULL) + 1);
	ck_assert_ptr_nonnull(strchr(last, '\n'));
	ck_assert_str_eq(strchr(last, '\n'), "\n");
	free(text);
	metrics_destroy(&m);
}
END_TEST

static const struct {
	double v;
	const char *text;
} numbers[] = {
	{ 0, "0" },
	{ 1, "1" },
	{ -2.5, "-2.5" },
	{ 0.1, "0.1" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ 1e21, "1e+21" },
	{ 123456789012, "123456789012" },
	{ 9007199254740993.0, "9007199254740992" },
	{ INFINITY, "+Inf" },
	{ -INFINITY, "-Inf" },
	{ NAN, "NaN" },
};

START_TEST(test_render_numbers)
{
	struct metrics *m = metrics_new("test");
	char want[128], *text;

	metric_set(metrics_gauge(m, "g", "G.", NULL), numbers[_i].v);
	text = render(m);
	snprintf(want, sizeof(want), "\ng %s\n", numbers[_i].text);
	ck_assert_msg(strstr(text, want) != NULL, "want %s in:\n%s", want,
		      text);
	free(text);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_render_escapes_prog)
{
	struct metrics *m = metrics_new("we\"ird\\");
	char *text = render(m);

	ck_assert_ptr_nonnull(
		strstr(text, "blockpipe_build_info{prog=\"we\\\"ird\\\\\","));
	free(text);
	metrics_destroy(&m);
}
END_TEST

/* metrics_label: the one label escaper (backslash, quote, newline), and
 * what it builds is rendered as it is. */
START_TEST(test_label)
{
	struct buf b = BUF_INIT;
	struct metrics *m = metrics_new("test");
	char *text;

	ck_assert_int_eq(metrics_label(&b, "method", "eth_\"get\"\\x\ny"), 0);
	ck_assert_str_eq(b.data, "method=\"eth_\\\"get\\\"\\\\x\\ny\"");
	ck_assert_int_eq(metrics_label(&b, "kind", ""), 0);
	ck_assert_str_eq(b.data,
			 "method=\"eth_\\\"get\\\"\\\\x\\ny\",kind=\"\"");
	metric_inc(metrics_counter(m, "t_total", "t", b.data));
	text = render(m);
	ck_assert_ptr_nonnull(strstr(
		text, "t_total{method=\"eth_\\\"get\\\"\\\\x\\ny\",kind=\"\"} 1\n"));
	free(text);
	buf_release(&b);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_quantile)
{
	struct metrics *m = metrics_new("test");
	const double bounds[] = { 1, 2, 4, 8 };
	struct metric *h, *e, *c;
	int i;

	h = metrics_histogram(m, "lat", "L.", NULL, bounds, 4);
	e = metrics_histogram(m, "lat_empty", "L.", NULL, bounds, 4);
	c = metrics_counter(m, "c_total", "C.", NULL);
	for (i = 0; i < 10; i++)
		metric_observe(h, 0.5);
	for (i = 0; i < 10; i++)
		metric_observe(h, 1.5);
	for (i = 0; i < 20; i++)
		metric_observe(h, 3);
	for (i = 0; i < 60; i++)
		metric_observe(h, 6);
	ck_assert_double_eq(metric_value(h), 100);
	ck_assert_double_eq_tol(metric_quantile(h, 0), 0, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 0.05), 0.5, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 0.1), 1, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 0.15), 1.5, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 0.3), 3, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 0.5), 4 + 4.0 * 10 / 60,
				1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 1), 8, 1e-12);
	/* A rank in the +Inf bucket answers the largest bound. */
	metric_observe(h, 100);
	ck_assert_double_eq_tol(metric_quantile(h, 1), 8, 1e-12);
	ck_assert(isnan(metric_quantile(e, 0.5)));
	ck_assert(isnan(metric_quantile(h, -0.1)));
	ck_assert(isnan(metric_quantile(h, 1.1)));
	ck_assert(isnan(metric_quantile(h, NAN)));
	ck_assert(isnan(metric_quantile(c, 0.5)));
	ck_assert(isnan(metric_quantile(NULL, 0.5)));
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_quantile_negative_bounds)
{
	struct metrics *m = metrics_new("test");
	const double bounds[] = { -4, -2 };
	struct metric *h = metrics_histogram(m, "neg", "N.", NULL, bounds, 2);

	/* A first bound at or below zero starts its bucket at itself. */
	metric_observe(h, -5);
	metric_observe(h, -3);
	ck_assert_double_eq_tol(metric_quantile(h, 0.5), -4, 1e-12);
	ck_assert_double_eq_tol(metric_quantile(h, 1), -2, 1e-12);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_latency_bounds)
{
	struct metrics *m = metrics_new("test");
	struct metric *h;

	ck_assert_uint_gt(metrics_latency_nbounds, 4);
	ck_assert_double_eq(metrics_latency_bounds[0], 0.0005);
	ck_assert_double_eq(metrics_latency_bounds[metrics_latency_nbounds - 1],
			    60);
	for (size_t i = 1; i < metrics_latency_nbounds; i++)
		ck_assert_double_gt(metrics_latency_bounds[i],
				    metrics_latency_bounds[i - 1]);
	h = metrics_histogram(m, "x_seconds", "X.", NULL,
			      metrics_latency_bounds, metrics_latency_nbounds);
	ck_assert_ptr_nonnull(h);
	metrics_destroy(&m);
}
END_TEST

#define THREADS 4
#define ROUNDS 100000

struct worker {
	struct metrics *m;
	struct metric *c, *g, *h;
	struct metric *seen[8];
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	char labels[32];

	for (int i = 0; i < ROUNDS; i++) {
		metric_inc(w->c);
		metric_add(w->g, 0.5);
		metric_observe(w->h, i % 2 ? 0.5 : 2);
		if (i % 1000 == 0) {
			int k = (i / 1000) % 8;

			snprintf(labels, sizeof(labels), "k=\"%d\"", k);
			w->seen[k] = metrics_counter(w->m, "shared_total",
						     "Shared.", labels);
			metric_inc(w->seen[k]);
		}
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	struct metrics *m = metrics_new("test");
	const double bounds[] = { 1 };
	struct worker w[THREADS];
	pthread_t t[THREADS];
	double shared = 0;
	int i, k;

	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].m = m;
		w[i].c = metrics_counter(m, "n_total", "N.", NULL);
		w[i].g = metrics_gauge(m, "g", "G.", NULL);
		w[i].h = metrics_histogram(m, "h", "H.", NULL, bounds, 1);
	}
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_double_eq(metric_value(w[0].c), THREADS * ROUNDS);
	ck_assert_double_eq(metric_value(w[0].g), THREADS * ROUNDS * 0.5);
	ck_assert_double_eq(metric_value(w[0].h), THREADS * ROUNDS);
	for (k = 0; k < 8; k++) {
		for (i = 1; i < THREADS; i++)
			ck_assert_ptr_eq(w[i].seen[k], w[0].seen[k]);
		shared += metric_value(w[0].seen[k]);
	}
	ck_assert_double_eq(shared, THREADS * (ROUNDS / 1000));
	{
		char *text = render(m), want[128];

		/* Half the observations 0.5, half 2. */
		snprintf(want, sizeof(want), "h_sum %d\nh_count %d\n",
			 THREADS * ROUNDS / 2 * 5 / 2, THREADS * ROUNDS);
		ck_assert_msg(strstr(text, want) != NULL, "want %s in %s", want,
			      text);
		snprintf(want, sizeof(want), "h_bucket{le=\"1\"} %d\n",
			 THREADS * ROUNDS / 2);
		ck_assert_ptr_nonnull(strstr(text, want));
		free(text);
	}
	metrics_destroy(&m);
}
END_TEST

/* ---- HTTP ---- */

struct reply {
	long status;
	struct buf body;
	char ctype[128];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) < 0)
		return 0;
	return size * n;
}

static int http(const char *url, const char *method, struct reply *r)
{
	CURL *c = curl_easy_init();
	char *ct = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->body, 0);
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (method && !strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (method && !strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) ==
			    CURLE_OK &&
		    ct)
			snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	}
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

static const char *body(struct reply *r)
{
	return r->body.data ? r->body.data : "";
}

static int ready_flag(void *arg)
{
	return *(int *)arg;
}

/* METHOD http://127.0.0.1:port/path answers status, and want_body when
 * not NULL. */
static void expect(int port, const char *path, const char *method,
		   long status, const char *want_body)
{
	struct reply r;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	ck_assert_msg(http(url, method, &r) == 0, "%s %s: no answer", method,
		      url);
	ck_assert_msg(r.status == status, "%s %s: status %ld, want %ld",
		      method, url, r.status, status);
	if (want_body)
		ck_assert_msg(!strcmp(body(&r), want_body),
			      "%s %s: body '%s', want '%s'", method, url,
			      body(&r), want_body);
	buf_release(&r.body);
}

START_TEST(test_http)
{
	struct metrics *m = metrics_new("test");
	struct reply r;
	char url[128];
	int port, ready = 0;

	ck_assert_int_eq(metrics_port(m), -1);
	metric_inc(metrics_counter(m, "hits_total", "Hits.", "k=\"v\""));
	ck_assert_int_eq(metrics_serve(m, "127.0.0.1:0"), 0);
	port = metrics_port(m);
	ck_assert_int_gt(port, 0);
	/* Twice is a mistake. */
	ck_assert_int_eq(metrics_serve(m, "127.0.0.1:0"), -1);
	ck_assert_int_eq(metrics_port(m), port);

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
	ck_assert_int_eq(http(url, "GET", &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.ctype, "text/plain; version=0.0.4");
	ck_assert_ptr_nonnull(strstr(body(&r), "\nhits_total{k=\"v\"} 1\n"));
	ck_assert_ptr_nonnull(
		strstr(body(&r), "blockpipe_build_info{prog=\"test\","));
	buf_release(&r.body);

	/* Query strings do not matter; HEAD has no body. */
	expect(port, "/metrics?x=1", "GET", 200, NULL);
	expect(port, "/metrics?x=1", "HEAD", 200, "");
	expect(port, "/metrics?x=1", "POST", 405, NULL);
	expect(port, "/health", "GET", 200, "ok\n");

	/* No readiness function: ready. */
	expect(port, "/ready", "GET", 200, "ready\n");
	metrics_set_ready(m, ready_flag, &ready);
	expect(port, "/ready", "GET", 503, "not ready\n");
	ready = 1;
	expect(port, "/ready", "GET", 200, "ready\n");

	expect(port, "/", "GET", 404, NULL);
	expect(port, "/metricsx", "GET", 404, NULL);

	/* The port is taken while we serve... */
	{
		struct metrics *m2 = metrics_new("test2");
		char addr[64];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		ck_assert_int_eq(metrics_serve(m2, addr), -1);
		ck_assert_int_eq(metrics_port(m2), -1);
		metrics_destroy(&m2);
	}
	/* ... and served no more after destroy. */
	metrics_destroy(&m);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
	ck_assert_int_eq(http(url, "GET", &r), -1);
	buf_release(&r.body);
}
END_TEST

static int have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static const struct {
	const char *addr;
	const char *host; /* where to reach it */
	int ipv6;
} good_addrs[] = {
	{ "127.0.0.1:0", "127.0.0.1", 0 },
	{ ":0", "127.0.0.1", 0 },
	{ ":0", "[::1]", 1 },
	{ "[::1]:0", "[::1]", 1 },
	{ "[::]:0", "[::1]", 1 },
	{ "0.0.0.0:0", "127.0.0.1", 0 },
	{ "localhost:0", "localhost", 0 },
};

START_TEST(test_good_addrs)
{
	struct metrics *m;
	struct reply r;
	char url[128];

	if (good_addrs[_i].ipv6 && !have_ipv6())
		return;
	m = metrics_new("test");
	ck_assert_int_eq(metrics_serve(m, good_addrs[_i].addr), 0);
	snprintf(url, sizeof(url), "http://%s:%d/health", good_addrs[_i].host,
		 metrics_port(m));
	ck_assert_int_eq(http(url, "GET", &r), 0);
	ck_assert_int_eq(r.status, 200);
	buf_release(&r.body);
	metrics_destroy(&m);
}
END_TEST

static const char *const bad_addrs[] = {
	"",
	"9101",
	"127.0.0.1",
	"127.0.0.1:",
	"127.0.0.1:abc",
	"127.0.0.1:65536",
	"127.0.0.1:-1",
	"127.0.0.1:+80",
	"127.0.0.1:123456",
	"127.0.0.1: 80",
	"[::1",
	"[::1]9101",
	"[::1]:",
	"::1:9101",
	"[127.0.0.1]:9101",
	"[zzz]:9101",
	/* Not an address of this host. */
	"192.0.2.1:0",
};

START_TEST(test_bad_addrs)
{
	struct metrics *m = metrics_new("test");

	ck_assert_msg(metrics_serve(m, bad_addrs[_i]) == -1, "'%s' accepted",
		      bad_addrs[_i]);
	ck_assert_int_eq(metrics_port(m), -1);
	metrics_destroy(&m);
}
END_TEST

/* A label that quotes a URL keeps scheme, host and port only, at lookup
 * as at creation. */
START_TEST(test_labels_redacted)
{
	struct metrics *m = metrics_new("test");
	struct metric *g = metrics_gauge(m, "rpc_node_up", "up",
			"node=\"#1 https://u:pw@h:1/v2/SECRETKEY?k=SECRET2\"");
	char *text;

	metric_set(g, 1);
	ck_assert_ptr_eq(metrics_gauge(m, "rpc_node_up", NULL,
				       "node=\"#1 https://h:1/v2/SECRETKEY\""), g);
	text = render(m);
	ck_assert_ptr_null(strstr(text, "SECRET"));
	ck_assert_ptr_null(strstr(text, "pw"));
	ck_assert_ptr_nonnull(strstr(text, "rpc_node_up{node=\"#1 https://h:1\"} 1\n"));
	free(text);
	metrics_destroy(&m);
}
END_TEST

/* ---- the server under a connection flood ---- */

/* A connection to 127.0.0.1:port from 127.0.0.(src+1) (0: 127.0.0.1). */
static int tcp_to(int port, int src)
{
	struct sockaddr_in sa = { 0 }, from = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	if (src) {
		from.sin_family = AF_INET;
		from.sin_addr.s_addr = htonl(0x7f000001u + (unsigned)src);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&from,
				      sizeof(from)), 0);
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Did the server close fd within ms? */
static int closed_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char b[256];

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return recv(fd, b, sizeof(b), MSG_DONTWAIT) <= 0;
}

/* GET /health from 127.0.0.(src+1): the status, 0 when no answer came
 * within 1 s (a liveness probe's timeout). */
static int health(int port, int src)
{
	static const char req[] = "GET /health HTTP/1.0\r\n\r\n";
	int fd = tcp_to(port, src), status = 0;
	struct pollfd p = { fd, POLLIN, 0 };
	char b[256] = "";
	ssize_t n;

	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL),
			 (ssize_t)sizeof(req) - 1);
	if (poll(&p, 1, 1000) == 1 && (n = recv(fd, b, sizeof(b) - 1, 0)) > 12) {
		b[n] = '\0';
		status = atoi(b + 9);
	}
	close(fd);
	return status;
}

static double counter_in(struct metrics *m, const char *name)
{
	return metric_value(metrics_counter(m, name, NULL, NULL));
}

/* 200 idle connections and 50 that trickle a header byte, against a
 * server of 32: /health is answered at once all along, the server holds
 * no more than its limit, and the ones it shut down are counted. */
START_TEST(test_http_flood)
{
	const struct metrics_http_limits lim = { 32, 0, 60 };
	struct metrics *m = metrics_new("test");
	int fds[250], port, closed = 0;

	metrics_set_http_limits(&lim);
	ck_assert_int_eq(metrics_serve(m, "127.0.0.1:0"), 0);
	port = metrics_port(m);
	for (int i = 0; i < 250; i++) {
		fds[i] = tcp_to(port, 0);
		if (i >= 200)
			ck_assert_int_eq(send(fds[i], "GET /health HTTP/1.1\r\nX: ",
					      25, MSG_NOSIGNAL), 25);
		if (i % 25 == 24)
			ck_assert_int_eq(health(port, 0), 200);
	}
	for (int k = 0; k < 3; k++) {
		for (int i = 200; i < 250; i++)
			send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ck_assert_int_eq(health(port, 0), 200);
	}
	for (int i = 0; i < 250; i++) {
		closed += closed_within(fds[i], i < 10 ? 500 : 0);
		close(fds[i]);
	}
	ck_assert_int_ge(closed, 250 - 32);
	ck_assert_double_ge(counter_in(m, "metrics_http_evicted_total"), 250 - 32);
	ck_assert_int_eq(health(port, 0), 200);
	metrics_destroy(&m);
}
END_TEST

/* --metrics-per-ip: beyond it an address's connections are closed at
 * once and counted; other addresses are served. */
START_TEST(test_http_per_ip)
{
	const struct metrics_http_limits lim = { 64, 4, 60 };
	struct metrics *m = metrics_new("test");
	int fds[5], port;

	metrics_set_http_limits(&lim);
	ck_assert_int_eq(metrics_serve(m, "127.0.0.1:0"), 0);
	port = metrics_port(m);
	for (int i = 0; i < 5; i++)
		fds[i] = tcp_to(port, 1);
	ck_assert(closed_within(fds[4], 2000));
	ck_assert(!closed_within(fds[0], 200));
	ck_assert_int_eq(health(port, 0), 200);
	ck_assert_int_eq(health(port, 2), 200);
	ck_assert_double_eq(counter_in(m, "metrics_http_refused_total"), 1);
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	metrics_destroy(&m);
}
END_TEST

/* --metrics-idle-timeout: an idle connection is closed after it. */
START_TEST(test_http_idle_timeout)
{
	const struct metrics_http_limits lim = { 64, 0, 1 };
	struct metrics *m = metrics_new("test");
	int fd;

	metrics_set_http_limits(&lim);
	ck_assert_int_eq(metrics_serve(m, "127.0.0.1:0"), 0);
	fd = tcp_to(metrics_port(m), 0);
	ck_assert(!closed_within(fd, 300));
	ck_assert(closed_within(fd, 5000));
	close(fd);
	metrics_destroy(&m);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	TCase *http_tc = tcase_create("http");

	tcase_add_test(tc, test_counter_gauge);
	tcase_add_test(tc, test_get_or_create);
	tcase_add_test(tc, test_render_golden);
	tcase_add_loop_test(tc, test_render_numbers, 0,
			    sizeof(numbers) / sizeof(*numbers));
	tcase_add_test(tc, test_render_escapes_prog);
	tcase_add_test(tc, test_label);
	tcase_add_test(tc, test_quantile);
	tcase_add_test(tc, test_quantile_negative_bounds);
	tcase_add_test(tc, test_latency_bounds);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_labels_redacted);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tcase_add_test(http_tc, test_http);
	tcase_add_loop_test(http_tc, test_good_addrs, 0,
			    sizeof(good_addrs) / sizeof(*good_addrs));
	tcase_add_loop_test(http_tc, test_bad_addrs, 0,
			    sizeof(bad_addrs) / sizeof(*bad_addrs));
	tcase_add_test(http_tc, test_http_flood);
	tcase_add_test(http_tc, test_http_per_ip);
	tcase_add_test(http_tc, test_http_idle_timeout);
	tcase_set_timeout(http_tc, 60);
	suite_add_tcase(s, http_tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	log_init("check_metrics", LOG_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
