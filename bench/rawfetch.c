/* The node's own serving limit: the same JSON-RPC batches the fetcher
 * sends (eth_getBlockByNumber + eth_getBlockReceipts, `batch` blocks a
 * request, `concurrency` requests in flight), issued by the most minimal
 * curl multi loop, the answers counted and thrown away. bench/fetch
 * compares the fetcher against it.
 *
 * usage: rawfetch URL FROM TO CONCURRENCY BATCH */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct req {
	CURL *h;
	char body[65536];
	size_t bytes;
};

static size_t sink(char *p, size_t s, size_t n, void *arg)
{
	struct req *r = arg;

	(void)p;
	r->bytes += s * n;
	return s * n;
}

static void prepare(struct req *r, long long first, long long count)
{
	size_t off = 0;

	off += (size_t)snprintf(r->body + off, sizeof(r->body) - off, "[");
	for (long long i = 0; i < count; i++) {
		long long n = first + i;

		off += (size_t)snprintf(r->body + off, sizeof(r->body) - off,
			"%s{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"eth_getBlockByNumber\",\"params\":[\"0x%llx\",true]},"
			"{\"jsonrpc\":\"2.0\",\"id\":%lld,\"method\":\"eth_getBlockReceipts\",\"params\":[\"0x%llx\"]}",
			i ? "," : "", 2 * n, n, 2 * n + 1, n);
	}
	snprintf(r->body + off, sizeof(r->body) - off, "]");
	curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, r->body);
}

/* The whole run: blocks next..to still to ask for, `batch` a request. */
struct run {
	const char *url;
	long long next, to;
	int batch;
	CURLM *m;
	struct curl_slist *hdr;
	size_t bytes;
};

/* Put r's handle in flight with the next batch; 0 when none is left. */
static int next_batch(struct run *run, struct req *r)
{
	long long cnt;

	if (run->next > run->to)
		return 0;
	cnt = run->to - run->next + 1 < run->batch ? run->to - run->next + 1 :
						       run->batch;
	prepare(r, run->next, cnt);
	run->next += cnt;
	curl_multi_add_handle(run->m, r->h);
	return 1;
}

static void req_init(struct run *run, struct req *r)
{
	r->h = curl_easy_init();
	curl_easy_setopt(r->h, CURLOPT_URL, run->url);
	curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, run->hdr);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
}

/* Until every batch is answered: 0, or -1 on a failed transfer. */
static int drain(struct run *run)
{
	int running;

	do {
		CURLMsg *msg;
		int left;

		curl_multi_perform(run->m, &running);
		while ((msg = curl_multi_info_read(run->m, &left))) {
			struct req *r;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			if (msg->data.result != CURLE_OK) {
				fprintf(stderr, "rawfetch: %s\n", curl_easy_strerror(msg->data.result));
				return -1;
			}
			curl_multi_remove_handle(run->m, r->h);
			run->bytes += r->bytes;
			r->bytes = 0;
			running += next_batch(run, r);
		}
		if (running)
			curl_multi_poll(run->m, NULL, 0, 100, NULL);
	} while (running);
	return 0;
}

int main(int argc, char **argv)
{
	struct run run = { 0 };
	long long from, total;
	int conc;
	struct req *reqs;
	struct timespec t0, t1;

	if (argc != 6) {
		fprintf(stderr, "usage: rawfetch URL FROM TO CONCURRENCY BATCH\n");
		return 2;
	}
	run.url = argv[1];
	from = atoll(argv[2]);
	run.to = atoll(argv[3]);
	conc = atoi(argv[4]);
	run.batch = atoi(argv[5]);
	if (conc < 1 || run.batch < 1 || run.batch > 100 || run.to < from)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	run.m = curl_multi_init();
	run.hdr = curl_slist_append(NULL, "Content-Type: application/json");
	reqs = calloc((size_t)conc, sizeof(*reqs));
	run.next = from;
	total = run.to - from + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < conc && run.next <= run.to; i++) {
		req_init(&run, &reqs[i]);
		next_batch(&run, &reqs[i]);
	}
	if (drain(&run) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %.6f %zu\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       run.bytes);
	for (int i = 0; i < conc; i++)
		if (reqs[i].h)
			curl_easy_cleanup(reqs[i].h);
	free(reqs);
	curl_slist_free_all(run.hdr);
	curl_multi_cleanup(run.m);
	curl_global_cleanup();
	return 0;
}
