/* replaynode: a JSON-RPC node that answers from a recording, as fast as
 * it can, so that a benchmark measures the pipeline with the node out of
 * the way (bench/e2e --replay).
 *
 *   usage: replaynode --listen PORT --recording FILE [--threads N]
 *
 * FILE has one answer a line, recorded from a real node:
 *   METHOD \t PARAMS \t RESULT
 * PARAMS as the programs send them (e.g. ["0x1f",true]), RESULT the
 * node's compact JSON result. A request (single or batch) is answered
 * from the line whose METHOD and PARAMS it names; params are compared
 * after re-serializing them compactly (strings, numbers, booleans, null).
 * A request the recording lacks is answered with a JSON-RPC error
 * -32001 and counted; the count is on stderr at exit and at GET /__stats.
 * Stops on SIGINT or SIGTERM. Exit status 0, 1 runtime failure, 2 usage. */
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "buf.h"

#include "lib/httpmini.h"
#include "banned.h"

#define MAX_BODY (4u << 20)
#define MAX_KEY 512

/* One recorded answer, in an open-addressing table keyed by
 * "METHOD\tPARAMS". (glibc's hsearch hashes only a key's first few
 * characters: every eth_getBlockByNumber collided, and a lookup walked
 * the table, 18 times slower at 10 000 blocks than at 1 500.) */
struct answer {
	char *key, *data;
	uint64_t h;
};

struct replay {
	struct answer *tab;
	size_t mask; /* slots - 1, a power of 2 minus 1 */
	size_t answers;
	atomic_ulong requests, calls, missing;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the recording ---- */

static uint64_t key_hash(const char *k)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ull;
	return h;
}

/* The slot of key: its answer, or the empty one where it would go. */
static struct answer *slot(const struct replay *r, const char *key, uint64_t h)
{
	for (size_t i = h & r->mask;; i = (i + 1) & r->mask) {
		struct answer *a = &r->tab[i];

		if (!a->key || (a->h == h && !strcmp(a->key, key)))
			return a;
	}
}

static int load(struct replay *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;

	if (!f) {
		fprintf(stderr, "replaynode: cannot open '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) > 0)
		lines++;
	rewind(f);
	for (r->mask = 15; r->mask < 2 * lines; r->mask = r->mask * 2 + 1)
		;
	if (!(r->tab = calloc(r->mask + 1, sizeof(*r->tab)))) {
		fclose(f);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *t1 = memchr(line, '\t', (size_t)n), *t2;
		struct answer *a;
		uint64_t h;

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2) {
			fprintf(stderr, "replaynode: '%s': bad line '%.60s'\n",
				path, line);
			continue;
		}
		*t2 = '\0';
		h = key_hash(line);
		a = slot(r, line, h);
		if (a->key)
			continue; /* the first answer of a key stands */
		a->key = strdup(line);
		a->data = strdup(t2 + 1);
		a->h = h;
		if (!a->key || !a->data) {
			fprintf(stderr, "replaynode: out of memory\n");
			free(line);
			fclose(f);
			return -1;
		}
		r->answers++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---- answering ---- */

/* params re-serialized compactly into key (after "METHOD\t") */
static int key_params(yajl_val v, struct buf *k)
{
	if (YAJL_IS_STRING(v))
		return buf_addf(k, "\"%s\"", YAJL_GET_STRING(v));
	if (YAJL_IS_NUMBER(v))
		return buf_addf(k, "%s", YAJL_GET_NUMBER(v));
	if (YAJL_IS_TRUE(v))
		return buf_addf(k, "true");
	if (YAJL_IS_FALSE(v))
		return buf_addf(k, "false");
	if (YAJL_IS_NULL(v))
		return buf_addf(k, "null");
	if (YAJL_IS_ARRAY(v)) {
		if (buf_addf(k, "[") < 0)
			return -1;
		for (size_t i = 0; i < v->u.array.len; i++)
			if ((i && buf_addf(k, ",") < 0) ||
			    key_params(v->u.array.values[i], k) < 0)
				return -1;
		return buf_addf(k, "]");
	}
	return -1; /* objects: not in the recording */
}

static void id_of(yajl_val id, struct buf *out)
{
	if (YAJL_IS_NUMBER(id))
		buf_addf(out, "%s", YAJL_GET_NUMBER(id));
	else if (YAJL_IS_STRING(id))
		buf_addf(out, "\"%s\"", YAJL_GET_STRING(id));
	else
		buf_addf(out, "null");
}

static void answer_one(struct replay *r, yajl_val call, struct buf *out)
{
	static const char *mp[] = { "method", NULL }, *pp[] = { "params", NULL },
			  *ip[] = { "id", NULL };
	yajl_val m = yajl_tree_get(call, mp, yajl_t_string);
	yajl_val p = yajl_tree_get(call, pp, yajl_t_any);
	struct buf key = BUF_INIT;
	const struct answer *found = NULL;

	atomic_fetch_add(&r->calls, 1);
	buf_addf(out, "{\"jsonrpc\":\"2.0\",\"id\":");
	id_of(yajl_tree_get(call, ip, yajl_t_any), out);
	if (m && buf_addf(&key, "%s\t", YAJL_GET_STRING(m)) == 0 &&
	    (p ? key_params(p, &key) : buf_addf(&key, "[]")) == 0 &&
	    key.len < MAX_KEY) {
		found = slot(r, key.data, key_hash(key.data));
		if (!found->key)
			found = NULL;
	}
	if (found) {
		buf_adds(out, ",\"result\":");
		buf_adds(out, found->data);
		buf_addch(out, '}');
	} else {
		unsigned long n = atomic_fetch_add(&r->missing, 1);

		if (n < 5)
			fprintf(stderr, "replaynode: not in the recording: '%.120s'\n",
				key.data ? key.data : "(no method)");
		buf_addf(out, ",\"error\":{\"code\":-32001,\"message\":"
				"\"not in the recording\"}}");
	}
	buf_release(&key);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     struct buf *body)
{
	return httpmini_reply_buf(conn, status, "application/json", body);
}

static enum MHD_Result serve(struct replay *r, struct MHD_Connection *conn,
			     struct buf *in)
{
	struct buf out = BUF_INIT;
	yajl_val v;

	atomic_fetch_add(&r->requests, 1);
	if (!in->len || !(v = yajl_tree_parse(in->data, NULL, 0))) {
		buf_addf(&out, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":"
				 "{\"code\":-32700,\"message\":\"parse error\"}}");
		return reply(conn, 200, &out);
	}
	if (YAJL_IS_ARRAY(v)) {
		buf_addf(&out, "[");
		for (size_t i = 0; i < v->u.array.len; i++) {
			if (i)
				buf_addf(&out, ",");
			answer_one(r, v->u.array.values[i], &out);
		}
		buf_addf(&out, "]");
	} else {
		answer_one(r, v, &out);
	}
	yajl_tree_free(v);
	return reply(conn, 200, &out);
}

static enum MHD_Result on_request(void *arg, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  struct buf *in)
{
	struct replay *r = arg;
	struct buf out = BUF_INIT;

	if (!strcmp(url, "/__stats")) {
		buf_addf(&out, "{\"answers\":%zu,\"requests\":%lu,\"calls\":%lu,"
				 "\"missing\":%lu}\n", r->answers,
			   atomic_load(&r->requests), atomic_load(&r->calls),
			   atomic_load(&r->missing));
		return reply(conn, 200, &out);
	}
	if (strcmp(method, "POST")) {
		buf_addf(&out, "POST only\n");
		return reply(conn, 405, &out);
	}
	return serve(r, conn, in);
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: replaynode --listen PORT --recording FILE [--threads N]\n"
		"A JSON-RPC node answering from FILE (lines METHOD\\tPARAMS\\tRESULT)"
		",\nfor benchmarks. --threads: MHD's thread pool (default 1).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "recording", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct replay r;
	const char *rec = NULL;
	long port = -1, threads = 1;
	struct httpmini http = { on_request, NULL, MAX_BODY };
	struct httpmini_opts opts = { MHD_USE_EPOLL, 0, 1024 };
	struct MHD_Daemon *d;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': port = strtol(optarg, NULL, 10); break;
		case 'r': rec = optarg; break;
		case 't': threads = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (port < 0 || port > 65535 || !rec || threads < 1 || threads > 64) {
		usage(stderr);
		return 2;
	}
	if (load(&r, rec) < 0)
		return 1;
	opts.threads = (unsigned)threads;
	http.arg = &r;
	d = httpmini_start(&http, (unsigned)port, &opts);
	if (!d) {
		fprintf(stderr, "replaynode: cannot listen on 127.0.0.1:%ld\n", port);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "replaynode: %zu answers from '%s' on 127.0.0.1:%ld\n",
		r.answers, rec, port);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	fprintf(stderr, "replaynode: %lu requests, %lu calls, %lu not in the "
			"recording\n", atomic_load(&r.requests),
		atomic_load(&r.calls), atomic_load(&r.missing));
	return 0;
}
