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

int main(int argc, char **argv)
{
	struct curl_slist *hdr = NULL;
	long long from, to, next, done = 0, total;
	int conc, batch, running;
	struct req *reqs;
	CURLM *m;
	struct timespec t0, t1;
	size_t bytes = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: rawfetch URL FROM TO CONCURRENCY BATCH\n");
		return 2;
	}
	from = atoll(argv[2]);
	to = atoll(argv[3]);
	conc = atoi(argv[4]);
	batch = atoi(argv[5]);
	if (conc < 1 || batch < 1 || batch > 100 || to < from)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	reqs = calloc((size_t)conc, sizeof(*reqs));
	next = from;
	total = to - from + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < conc && next <= to; i++) {
		long long cnt = to - next + 1 < batch ? to - next + 1 : batch;

		reqs[i].h = curl_easy_init();
		curl_easy_setopt(reqs[i].h, CURLOPT_URL, argv[1]);
		curl_easy_setopt(reqs[i].h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(reqs[i].h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(reqs[i].h, CURLOPT_WRITEDATA, &reqs[i]);
		curl_easy_setopt(reqs[i].h, CURLOPT_PRIVATE, &reqs[i]);
		prepare(&reqs[i], next, cnt);
		next += cnt;
		curl_multi_add_handle(m, reqs[i].h);
	}
	do {
		CURLMsg *msg;
		int left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct req *r;
			long long cnt;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			if (msg->data.result != CURLE_OK) {
				fprintf(stderr, "rawfetch: %s\n", curl_easy_strerror(msg->data.result));
				return 1;
			}
			curl_multi_remove_handle(m, r->h);
			bytes += r->bytes;
			r->bytes = 0;
			done++;
			if (next <= to) {
				cnt = to - next + 1 < batch ? to - next + 1 : batch;
				prepare(r, next, cnt);
				next += cnt;
				curl_multi_add_handle(m, r->h);
				running++;
			}
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld %.6f %zu\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       bytes);
	for (int i = 0; i < conc; i++)
		if (reqs[i].h)
			curl_easy_cleanup(reqs[i].h);
	free(reqs);
	curl_slist_free_all(hdr);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
