/* faultproxy: a JSON-RPC proxy that misbehaves on purpose, for the
 * integration tests of the fetcher and the verifier against a real node.
 *
 *   faultproxy --listen PORT --upstream URL [--seed N] [--fault-rate P]
 *              [--faults LIST] [--log FILE]
 *
 * Every POST is forwarded to the upstream node as it is (single calls and
 * batches alike). With probability P a request gets one fault, drawn
 * uniformly from LIST among those that apply to it; a fault applies to
 * the whole answer:
 *
 *   delay     wait 0.2 .. 2 s, then forward (beyond a 1 s client timeout
 *             about half the time)
 *   429       answer 429 with Retry-After: 1
 *   500, 502  answer that status
 *   truncate  forward, then send the first half of the answer
 *   null      forward, then replace every "result" with null
 *   garbage   answer 200 with <html>oops</html>
 *   drop      close the connection without an answer
 *   corrupt   only for eth_getBlockByNumber: flip one hex digit of the
 *             block's stateRoot or transactionsRoot so that its hash no
 *             longer matches; at most once per block number
 *   lag       only for eth_blockNumber: answer the upstream head minus
 *             2 or 3 (not below 0)
 *   dupkey    only for eth_getBlockByNumber: a fake "timestamp" and
 *             "miner" inserted before the block's own (a repeated key:
 *             a reader keeping the first would take the fake values)
 *
 * Body faults (--body-faults, lib/bodyfault.h) are lies about a block's
 * body that keep its hash: drop-tx, tx-value, log-address, log-topic,
 * drop-log, swap-tx, status, dup-keys, dup-result. They are told in
 * answers holding eth_getBlockByNumber(N, true) (with the receipts of N
 * from the same batch), at --body-heights (default all), for the first
 * --body-times K answers of a height (default 1, or always), each with
 * probability --body-rate (default 1); independent of --fault-rate.
 *
 * Control, for tests:
 *   POST /__control {"fault_rate":0.3,"faults":"429,500"}
 *        also "seed": N, "reset_stats": true (forgets the body lies
 *        told too), "body_faults": "status", "body_heights": [2],
 *        "body_times": 1 or "always", "body_rate": 1; answers the
 *        settings
 *   GET  /__stats   {"requests":N,"forwarded":N,"upstream_errors":N,
 *                    "injected":N,"faults":{"delay":N,...},
 *                    "body":{"drop-tx":N,...},"lies":{"HEIGHT":N},
 *                    "body_misfits":N,"fault_rate":P,"enabled":"429,500",
 *                    "body_faults":...,"body_rate":P,"body_times":K,
 *                    "body_heights":[...]}
 *
 * Prints "listening on 127.0.0.1:PORT" on stdout once ready (PORT 0
 * picks a free port, the line tells which). Ends on SIGINT or SIGTERM.
 * --log FILE appends one JSON line per request: n, method, calls, fault,
 * body (the body faults told, "none"), status. --self-test checks the
 * body faults on a built-in block. */
#include <curl/curl.h>
#include <getopt.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "json.h"
#include "log.h"
#include "sig.h"

#include "lib/bodyfault.h"
#include "lib/bodylies.h"
#include "lib/httpmini.h"
#include "lib/namebits.h"
#include "lib/proxy.h"
#include "lib/rng.h"
#include "lib/rpcspans.h"

#include "banned.h"

/* ---- upstream ---- */

static size_t on_upstream_data(char *ptr, size_t size, size_t nmemb,
			       void *arg)
{
	struct buf *b = arg;

	return buf_add(b, ptr, size * nmemb) < 0 ? 0 : size * nmemb;
}

/* --hide-method M: rename "M" in the request to a method no node has, so
 * the node itself answers "method not found" for those calls (a node
 * without eth_getBlockReceipts, say). Same length: "M" -> "M" with its
 * first letter after "eth_" replaced by 'X'. */
static void hide_method(const char *m, struct buf *in)
{
	size_t ml = strlen(m);
	char *q = in->data;

	while ((q = strstr(q, m)) != NULL) {
		if (q > in->data && q[-1] == '"' && q[ml] == '"')
			q[ml > 4 ? 4 : 0] = 'X';
		q += ml;
	}
}

static int forward(const struct proxy *p, const struct buf *in,
		   struct buf *out, long *status)
{
	struct curl_slist *h = curl_slist_append(NULL,
				"Content-Type: application/json");
	CURL *e = curl_easy_init();
	char err[CURL_ERROR_SIZE] = "";
	CURLcode cc = CURLE_OUT_OF_MEMORY;

	if (p->hide && in->data)
		hide_method(p->hide, (struct buf *)in);
	if (e && h) {
		curl_easy_setopt(e, CURLOPT_URL, p->upstream);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
				 in->data ? in->data : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)in->len);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 60000L);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_upstream_data);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
		cc = curl_easy_perform(e);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	}
	if (cc != CURLE_OK)
		log_at(LOG_WARN, LOGF(LF_S("error", err[0] ? err :
					   curl_easy_strerror(cc))),
		       "cannot forward to upstream");
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	return cc == CURLE_OK ? 0 : -1;
}

/* ---- answers ---- */

/* Draw the fault for a request, among those that apply to it. */
static enum fault draw_fault(struct proxy *p, const struct calls *cs,
			     unsigned long long *seq, unsigned *delay_ms)
{
	unsigned bits, n = 0, k;
	enum fault f = F_NONE;

	pthread_mutex_lock(&p->lock);
	*seq = ++p->requests;
	bits = p->faults;
	if (!calls_have(cs, "eth_blockNumber"))
		bits &= ~(1u << F_LAG);
	if (!calls_have(cs, "eth_getBlockByNumber"))
		bits &= ~(1u << F_CORRUPT | 1u << F_DUPKEY);
	for (int i = 0; i < F_COUNT; i++)
		n += !!(bits & (1u << i));
	if (n && rng_unit(&p->rng) < p->rate) {
		k = (unsigned)(rng_next(&p->rng) % n);
		for (int i = 0; i < F_COUNT; i++) {
			if ((bits & (1u << i)) && k-- == 0) {
				f = (enum fault)i;
				break;
			}
		}
	}
	*delay_ms = 200 + (unsigned)(rng_next(&p->rng) % 1801);
	pthread_mutex_unlock(&p->lock);
	return f;
}

static void count_fault(struct proxy *p, enum fault f)
{
	if (f == F_NONE)
		return;
	pthread_mutex_lock(&p->lock);
	p->count[f]++;
	p->injected++;
	pthread_mutex_unlock(&p->lock);
}

static void log_request(struct proxy *p, unsigned long long seq,
			const struct calls *cs, enum fault f, const char *lies,
			unsigned status)
{
	const unsigned char *out;
	size_t len;
	yajl_gen g;

	if (!p->log)
		return;
	g = json_gen_new();
	if (!g)
		return;
	yajl_gen_map_open(g);
	json_gen_key(g, "n");
	json_gen_u64(g, seq);
	json_gen_key(g, "method");
	json_gen_cstr(g, cs->n ? cs->v[0].method : NULL);
	json_gen_key(g, "calls");
	json_gen_u64(g, cs->n);
	json_gen_key(g, "fault");
	json_gen_cstr(g, f == F_NONE ? "none" : fault_names[f]);
	json_gen_key(g, "body");
	json_gen_cstr(g, lies[0] ? lies : "none");
	json_gen_key(g, "status");
	json_gen_u64(g, status);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok) {
		pthread_mutex_lock(&p->lock);
		fprintf(p->log, "%.*s\n", (int)len, (const char *)out);
		fflush(p->log);
		pthread_mutex_unlock(&p->lock);
	}
	yajl_gen_free(g);
}

static enum MHD_Result serve_rpc(struct proxy *p, struct MHD_Connection *conn,
				 const struct buf *in)
{
	static const char html[] = "<html>oops</html>";
	struct calls cs = { NULL, 0, 0 };
	struct buf out = BUF_INIT;
	unsigned long long seq;
	char lies[128] = "";
	unsigned delay_ms, status = 200;
	long upstream_status = 0;
	enum MHD_Result rc;
	enum fault f;

	read_calls(in, &cs);
	f = draw_fault(p, &cs, &seq, &delay_ms);
	switch (f) {
	case F_429:
		status = 429;
		rc = httpmini_reply(conn, status, "text/plain",
				    "too many requests", 17, "1");
		goto done;
	case F_500:
	case F_502:
		status = f == F_500 ? 500 : 502;
		rc = httpmini_reply(conn, status, "text/plain",
				    "injected fault", 14, NULL);
		goto done;
	case F_GARBAGE:
		rc = httpmini_reply(conn, status, "text/html", html,
				    strlen(html), NULL);
		goto done;
	case F_DROP:
		status = 0;
		rc = MHD_NO;
		goto done;
	case F_DELAY:
		usleep(delay_ms * 1000);
		break;
	default:
		break;
	}
	buf_init(&out, MAX_BODY);
	if (forward(p, in, &out, &upstream_status) < 0) {
		pthread_mutex_lock(&p->lock);
		p->upstream_errors++;
		pthread_mutex_unlock(&p->lock);
		if (f != F_DELAY)
			f = F_NONE;
		status = 502;
		rc = httpmini_reply(conn, status, "text/plain",
				    "upstream failed", 15, NULL);
		goto done;
	}
	pthread_mutex_lock(&p->lock);
	p->forwarded++;
	pthread_mutex_unlock(&p->lock);
	if (f == F_TRUNCATE || f == F_NULL || f == F_CORRUPT || f == F_LAG ||
	    f == F_DUPKEY)
		f = proxy_mangle(p, f, &cs, &out);
	/* a body lie only in an answer that is otherwise the node's */
	if ((f == F_NONE || f == F_DELAY) && upstream_status == 200)
		proxy_body_mangle(p, &cs, &out, lies, sizeof(lies));
	status = upstream_status > 0 ? (unsigned)upstream_status : 502;
	rc = httpmini_reply(conn, status, "application/json",
			    out.data ? out.data : "", out.len, NULL);
done:
	count_fault(p, f);
	log_request(p, seq, &cs, f, lies, status);
	buf_release(&out);
	free(cs.v);
	return rc;
}

static enum MHD_Result on_request(void *arg, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  struct buf *in)
{
	struct proxy *p = arg;

	if (!strcmp(url, "/__stats"))
		return proxy_serve_stats(p, conn);
	if (!strcmp(url, "/__control") && !strcmp(method, "POST"))
		return proxy_serve_control(p, conn, in);
	if (strcmp(method, "POST"))
		return httpmini_reply(conn, 405, "text/plain", "POST only", 9,
				      NULL);
	return serve_rpc(p, conn, in);
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: faultproxy --listen PORT --upstream URL [--seed N] "
		"[--fault-rate P]\n"
		"                  [--faults LIST] [--log FILE] [--hide-method M]\n"
		"                  [--body-faults LIST [--body-heights LIST] "
		"[--body-times K|always]\n"
		"                  [--body-rate P]]\n"
		"       faultproxy --self-test\n"
		"\n"
		"A JSON-RPC proxy that injects faults, for tests.\n"
		"  --fault-rate P  probability of a fault per request "
		"(default 0)\n"
		"  --faults LIST   comma-separated: delay,429,500,502,truncate,"
		"null,\n"
		"                  garbage,drop,corrupt,lag (default: all)\n"
		"  --hide-method M the node answers 'method not found' for M\n"
		"  --listen PORT   port on 127.0.0.1 (0: any free port)\n"
		"  --log FILE      append one JSON line per request\n"
		"  --seed N        random seed (default: from the clock)\n"
		"  --upstream URL  the node to forward to\n"
		"\n");
	body_lies_usage(out);
	fprintf(out,
		"\n"
		"Control: POST /__control {\"fault_rate\":0.3,\"faults\":"
		"\"429,500\",\n"
		"  \"body_faults\":\"status\",\"body_heights\":[2],"
		"\"body_times\":1|\"always\",\n"
		"  \"body_rate\":1,\"seed\":N,\"reset_stats\":true} (reset_stats "
		"also forgets\n"
		"  the lies told); GET /__stats (\"body\": lies by kind, \"lies\": "
		"by height)\n"
		"\n"
		"example: faultproxy --listen 8600 --upstream "
		"http://127.0.0.1:8545 \\\n"
		"             --fault-rate 0.2 --faults 429,500,drop\n"
		"         faultproxy --listen 8600 --upstream "
		"http://127.0.0.1:8545 \\\n"
		"             --body-faults swap-tx --body-heights 2 "
		"--body-times always\n");
}

/* What the command line sets beside struct proxy's settings. */
struct args {
	long long port, seed;
	const char *log_path;
};

/* NO_EXIT: go on; else the exit status (help, self-test, misuse). */
#define NO_EXIT (-1)

/* A number in [0, max] for option opt: NO_EXIT, or 2 with a line. */
static int int_option(const char *opt, const char *arg, long long max,
		      long long *out)
{
	const char *why;

	if (cfg_parse_int(arg, 0, max, out, &why) == 0)
		return NO_EXIT;
	fprintf(stderr, "faultproxy: %s '%s': %s\n", opt, arg, why);
	return 2;
}

static int parse_option(int opt, const char *arg, struct proxy *p,
			struct args *a)
{
	char bad[64], *end;

	switch (opt) {
	case 'B':
	case 'E':
	case 'R':
	case 'T':
		if (body_lies_option(&p->body, opt == 'B' ? "--body-faults" :
					       opt == 'E' ? "--body-heights" :
					       opt == 'R' ? "--body-rate" :
							    "--body-times",
				     arg) < 0)
			return 2;
		return NO_EXIT;
	case 'S':
		return body_fault_self_test(stdout) ? 1 : 0;
	case 'r':
		p->rate = strtod(arg, &end);
		if (end == arg || *end || !(p->rate >= 0) || p->rate > 1) {
			fprintf(stderr, "faultproxy: --fault-rate '%s': not a "
				"number in [0, 1]\n", arg);
			return 2;
		}
		return NO_EXIT;
	case 'f':
		if (namebits_parse(arg, fault_names, F_COUNT, &p->faults, bad,
				   sizeof(bad)) < 0) {
			fprintf(stderr, "faultproxy: --faults: unknown fault "
				"'%s'\n", bad);
			return 2;
		}
		return NO_EXIT;
	case 'h':
		usage(stdout);
		return 0;
	case 'H':
		p->hide = arg;
		return NO_EXIT;
	case 'l':
		return int_option("--listen", arg, 65535, &a->port);
	case 'L':
		a->log_path = arg;
		return NO_EXIT;
	case 's':
		return int_option("--seed", arg, LLONG_MAX, &a->seed);
	case 'u':
		p->upstream = arg;
		return NO_EXIT;
	default:
		usage(stderr);
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct proxy *p, struct args *a)
{
	static const struct option longopts[] = {
		{ "body-faults", required_argument, NULL, 'B' },
		{ "body-heights", required_argument, NULL, 'E' },
		{ "body-rate", required_argument, NULL, 'R' },
		{ "body-times", required_argument, NULL, 'T' },
		{ "fault-rate", required_argument, NULL, 'r' },
		{ "faults", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "hide-method", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 's' },
		{ "self-test", no_argument, NULL, 'S' },
		{ "upstream", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		if ((rc = parse_option(opt, optarg, p, a)) != NO_EXIT)
			return rc;
	if (optind < argc || a->port < 0 || !p->upstream) {
		usage(stderr);
		return 2;
	}
	return NO_EXIT;
}

/* Serve until SIGINT or SIGTERM; the exit status. */
static int serve(struct proxy *p, const struct args *a)
{
	/* A thread per connection, so that a delayed answer holds up no
	 * other request. */
	struct httpmini http = { on_request, p, MAX_BODY };
	struct httpmini_opts opts = { MHD_USE_THREAD_PER_CONNECTION, 0, 0 };
	struct MHD_Daemon *d;
	struct timespec nap = { 0, 100 * 1000000L };

	if (a->log_path && !(p->log = fopen(a->log_path, "a"))) {
		log_error_errno("cannot open '%s'", a->log_path);
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("cannot initialise libcurl");
		return 1;
	}
	sig_init();
	d = httpmini_start(&http, (unsigned)a->port, &opts);
	if (!d) {
		log_error("cannot listen on 127.0.0.1:%lld", a->port);
		curl_global_cleanup();
		return 1;
	}
	printf("listening on 127.0.0.1:%u\n",
	       httpmini_port(d) ? httpmini_port(d) : (unsigned)a->port);
	fflush(stdout);
	while (!sig_stopping())
		nanosleep(&nap, NULL);
	MHD_stop_daemon(d);
	curl_global_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	struct proxy p;
	struct args a = { -1, (long long)time(NULL) ^ getpid(), NULL };
	int status;

	memset(&p, 0, sizeof(p));
	body_lies_init(&p.body, 0);
	p.faults = (1u << F_COUNT) - 1;
	log_init("faultproxy", LOG_INFO);
	pthread_mutex_init(&p.lock, NULL);
	status = parse_args(argc, argv, &p, &a);
	if (status == NO_EXIT) {
		proxy_seed(&p.rng, (uint64_t)a.seed);
		body_lies_seed(&p.body, (uint64_t)a.seed);
		status = serve(&p, &a);
	}
	if (p.log)
		fclose(p.log);
	free(p.corrupted);
	body_lies_release(&p.body);
	pthread_mutex_destroy(&p.lock);
	return status;
}
