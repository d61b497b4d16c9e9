/* bench/fanout's load generator in C: n WebSocket clients to one server on
 * 127.0.0.1, half of them on /v1/stream subscribed to newBlocks, half on /
 * with eth_subscribe newHeads, as the Node.js worker in bench/fanout.mjs
 * opens them. Each block message is timed on arrival (the wall clock in
 * ms, as the parent's emitted_at) and its height kept.
 *
 * Why not a library's client: the Node.js worker (ws) and libwebsockets'
 * client both spent 12 to 20 us of the generator's one core on a message,
 * libwebsockets mostly in its byte-at-a-time client parser, so a block's
 * 10 000 frames took them longer to read than the server took to write
 * them and the receive times measured the generator. This one reads a
 * frame in a few microseconds: an epoll loop over plain sockets that
 * knows just enough of RFC 6455 for a benchmark (the upgrade, the masked
 * subscribe, unmasked text frames, a pong to every ping). It is not used
 * by the programs.
 *
 * usage: fanout_gen PORT N
 * stdout: {"type":"ready","open":K} once every client is open or failed;
 * then, after a line "report" on stdin (or its end), one line
 * {"type":"report","lat":[[height,ms],...],"msgs":M,"cpu":{"user":us,
 * "system":us}} and exit. Errors go to stderr. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_CAP (1 << 20) /* a frame larger than this is not a block's */

struct conn {
	int fd;
	int chan; /* /v1/stream, else eth_subscribe */
	size_t len, cap;
	unsigned char *buf;
};

struct gen {
	long long msgs;
	long long (*lat)[2];
	size_t nlat, caplat;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "fanout_gen: out of memory\n");
		exit(1);
	}
	return p;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			usleep(1000); /* a pong to a client that lags: rare */
			continue;
		}
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A client's frame: FIN, the opcode, masked (RFC 6455 5.3) with a fixed
 * key, which a benchmark may. */
static int send_frame(int fd, int op, const char *p, size_t n)
{
	static const unsigned char key[4] = { 0x12, 0x34, 0x56, 0x78 };
	unsigned char f[8 + 125];
	size_t h = 2;

	if (n > 125)
		return -1;
	f[0] = (unsigned char)(0x80 | op);
	f[1] = (unsigned char)(0x80 | n);
	memcpy(f + h, key, 4);
	h += 4;
	for (size_t i = 0; i < n; i++)
		f[h + i] = (unsigned char)p[i] ^ key[i & 3];
	return write_all(fd, f, h + n);
}

/* Connect, upgrade and subscribe, blocking; then non-blocking. Bytes read
 * past the upgrade's answer stay in c->buf. */
static int open_conn(struct conn *c, int port)
{
	static const char sub_chan[] =
		"{\"action\":\"subscribe\",\"channels\":[\"newBlocks\"]}";
	static const char sub_eth[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\","
		"\"params\":[\"newHeads\"]}";
	struct sockaddr_in sa;
	char req[512];
	char *end = NULL;
	int one = 1, n;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "Sec-WebSocket-Version: 13\r\n\r\n",
		     c->chan ? "/v1/stream" : "/", port);
	if (write_all(c->fd, req, (size_t)n) < 0)
		return -1;
	c->cap = 65536;
	c->buf = xrealloc(NULL, c->cap);
	c->len = 0;
	while (!end) {
		ssize_t r = read(c->fd, c->buf + c->len, c->cap - 1 - c->len);

		if (r <= 0)
			return -1;
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
		end = strstr((char *)c->buf, "\r\n\r\n");
		if (!end && c->len == c->cap - 1)
			return -1;
	}
	if (strncmp((char *)c->buf, "HTTP/1.1 101", 12))
		return -1;
	end += 4;
	c->len -= (size_t)(end - (char *)c->buf);
	memmove(c->buf, end, c->len);
	if (send_frame(c->fd, 1, c->chan ? sub_chan : sub_eth,
		       strlen(c->chan ? sub_chan : sub_eth)) < 0)
		return -1;
	return fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

/* The height of a block message: "height":N (channel) or the first
 * "number":"0x..." (eth_subscription). */
static int height_of(const struct conn *c, const unsigned char *m,
		     size_t len, long long *h)
{
	const char *key = c->chan ? "\"height\":" : "\"number\":\"0x";
	const char *p = memmem(m, len, key, strlen(key));
	char *end;

	if (!p)
		return 0;
	p += strlen(key);
	*h = strtoll(p, &end, c->chan ? 10 : 16);
	return end != p;
}

static void keep(struct gen *g, long long h, long long t)
{
	if (g->nlat == g->caplat) {
		g->caplat = g->caplat ? g->caplat * 2 : 65536;
		g->lat = xrealloc(g->lat, g->caplat * sizeof(*g->lat));
	}
	g->lat[g->nlat][0] = h;
	g->lat[g->nlat][1] = t;
	g->nlat++;
}

/* The whole frames in c->buf: 0, or -1 to drop the client. */
static int frames(struct gen *g, struct conn *c, long long t)
{
	size_t off = 0, need = 0;

	for (;;) {
		const unsigned char *b = c->buf + off;
		size_t have = c->len - off, h = 2;
		unsigned long long n;
		long long height;

		if (have < 2)
			break;
		n = b[1] & 0x7f;
		if (b[1] & 0x80)
			return -1; /* a server does not mask */
		if (n == 126) {
			if (have < 4)
				break;
			n = (unsigned long long)b[2] << 8 | b[3];
			h = 4;
		} else if (n == 127) {
			if (have < 10)
				break;
			n = 0;
			for (int i = 2; i < 10; i++)
				n = n << 8 | b[i];
			h = 10;
		}
		if (n > BUF_CAP)
			return -1;
		if (have < h + n) {
			need = h + (size_t)n;
			break;
		}
		switch (b[0] & 0x0f) {
		case 0: /* continuation: the height was in the first part */
			break;
		case 1:
			g->msgs++;
			if (height_of(c, b + h, (size_t)n, &height))
				keep(g, height, t);
			break;
		case 8:
			return -1;
		case 9:
			if (send_frame(c->fd, 10, (const char *)b + h,
				       (size_t)n) < 0)
				return -1;
			break;
		default:
			break;
		}
		off += h + (size_t)n;
	}
	c->len -= off;
	memmove(c->buf, c->buf + off, c->len);
	if (need > c->cap) {
		c->cap = need;
		c->buf = xrealloc(c->buf, c->cap);
	}
	return 0;
}

/* What the socket has: 0, or -1 to drop the client. */
static int readable(struct gen *g, struct conn *c)
{
	for (;;) {
		size_t room;
		ssize_t r;

		if (c->len == c->cap) {
			c->cap *= 2;
			c->buf = xrealloc(c->buf, c->cap);
		}
		room = c->cap - c->len;
		r = read(c->fd, c->buf + c->len, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
		if (frames(g, c, now_ms()) < 0)
			return -1;
		if ((size_t)r < room)
			return 0; /* drained: no read just to see EAGAIN */
	}
}

static void report(const struct gen *g)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"type\":\"report\",\"lat\":[");
	for (size_t i = 0; i < g->nlat; i++)
		printf("%s[%lld,%lld]", i ? "," : "", g->lat[i][0],
		       g->lat[i][1]);
	printf("],\"msgs\":%lld,\"cpu\":{\"user\":%lld,\"system\":%lld}}\n",
	       g->msgs,
	       (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct gen g = { 0 };
	struct epoll_event ev, evs[256];
	struct conn *conns;
	int port, n, ep, open = 0, failed = 0, done = 0;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 ||
	    (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: fanout_gen PORT N\n");
		return 2;
	}
	conns = calloc((size_t)n, sizeof(*conns));
	ep = epoll_create1(0);
	if (!conns || ep < 0)
		return 1;
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* stdin */
	epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	for (int i = 0; i < n; i++) {
		struct conn *c = &conns[i];

		c->chan = i % 2 == 0;
		if (open_conn(c, port) < 0) {
			if (!failed++)
				fprintf(stderr, "fanout_gen: client %d: cannot "
					"open (%s)\n", i, strerror(errno));
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			continue;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		open++;
	}
	if (failed)
		fprintf(stderr, "fanout_gen: %d clients failed to open\n",
			failed);
	printf("{\"type\":\"ready\",\"open\":%d}\n", open);
	fflush(stdout);
	/* What came before the epoll set held the socket. */
	for (int i = 0; i < n; i++)
		if (conns[i].fd >= 0 && frames(&g, &conns[i], now_ms()) < 0)
			fprintf(stderr, "fanout_gen: client %d: bad frame\n", i);
	while (!done) {
		int k = epoll_wait(ep, evs, 256, -1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c) {
				char line[64];
				ssize_t r = read(0, line, sizeof(line) - 1);

				if (r <= 0 || !strncmp(line, "report", 6))
					done = 1;
				continue;
			}
			if (readable(&g, c) < 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
			}
		}
	}
	report(&g);
	for (int i = 0; i < n; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].buf);
	}
	free(conns);
	free(g.lat);
	return 0;
}
