/* connflood: starve an HTTP server of connections, on loopback only, and
 * time /health meanwhile, for the tests of the metrics servers.
 *
 *   connflood --port PORT [--idle N] [--slow N] [--sources K]
 *             [--seconds S] [--probe-interval MS] [--probe-timeout MS]
 *
 * Opens N idle connections (connect, then nothing) and N slowloris ones
 * (a request line, then one header byte every 500 ms, never the end of
 * the headers) to 127.0.0.1:PORT, from K source addresses 127.0.0.2 ..
 * 127.0.0.(K+1) (K 0: from 127.0.0.1 itself), and opens again those the
 * server closed (up to 1000 every 100 ms). Meanwhile every MS (200) it asks
 * GET /health from 127.0.0.1 and waits at most --probe-timeout (1000)
 * for "200". After S seconds (10, at most 120) it prints one JSON line:
 *
 *   {"probes":N,"probe_ok":N,"probe_max_ms":X,"held_max":N,
 *    "held_end":N,"closed_by_server":N,"connect_failed":N}
 *
 * and exits 0 when every probe was answered 200 in time, 1 otherwise, 2
 * on misuse. It raises its own descriptor limit to the hard limit. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define MAX_CONNS 20000

struct conn {
	int fd;      /* -1 when closed */
	int slow;    /* slowloris: sends a byte now and then */
	int src;     /* 0: 127.0.0.1, else 127.0.0.(src+1) */
	size_t sent; /* bytes of the slow request sent */
};

struct flood {
	int port;
	struct conn *c;
	size_t n;
	long long held_max, closed, connect_failed;
	long long probes, probe_ok;
	double probe_max_ms;
};

static const char slow_req[] =
	"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* A non-blocking connection to 127.0.0.1:port from 127.0.0.(src+1). */
static int open_conn(int port, int src)
{
	struct sockaddr_in sa = { 0 }, from = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (src) {
		from.sin_family = AF_INET;
		from.sin_addr.s_addr = htonl(0x7f000001u + (unsigned)src);
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
			close(fd);
			return -1;
		}
	}
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Has the server closed it (or refused it)? Reads and drops what came. */
static int server_closed(int fd)
{
	char b[512];
	ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			  errno != ENOTCONN);
}

/* Connections opened again in one pass (every 100 ms) at most, once
 * all are open: the kernel's accept queue (4096) then does not overflow
 * at once, which would drop the probe's SYN too (a 1 s retransmission)
 * whatever the server does. Still 10000 new connections a second. */
#define REOPEN_MAX 1000

/* Close what the server closed; open again up to reopen of those closed;
 * send the slow ones their next byte. */
static void tend(struct flood *f, size_t reopen, int trickle)
{
	long long held = 0;
	size_t reopened = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct conn *c = &f->c[i];

		if (c->fd >= 0 && server_closed(c->fd)) {
			close(c->fd);
			c->fd = -1;
			f->closed++;
		}
		if (c->fd < 0 && reopened < reopen) {
			reopened++;
			c->fd = open_conn(f->port, c->src);
			c->sent = 0;
			if (c->fd < 0)
				f->connect_failed++;
		}
		if (c->fd >= 0 && c->slow && trickle &&
		    c->sent < sizeof(slow_req) - 1) {
			/* the request line at once, then a byte at a time */
			size_t k = c->sent ? 1 : 16;

			if (send(c->fd, slow_req + c->sent, k,
				 MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
				c->sent += k;
		}
		held += c->fd >= 0;
	}
	if (held > f->held_max)
		f->held_max = held;
}

/* GET /health from 127.0.0.1, with a deadline; keeps the idle ones
 * tended meanwhile is not needed: the probe is short. 0 if 200 in time. */
static int probe(struct flood *f, int timeout_ms)
{
	static const char req[] = "GET /health HTTP/1.0\r\n\r\n";
	double t0 = now_ms(), left;
	char resp[256];
	size_t got = 0, sent = 0;
	int fd = open_conn(f->port, 0), ok = -1;
	struct pollfd p;

	f->probes++;
	if (fd < 0)
		return -1;
	while ((left = timeout_ms - (now_ms() - t0)) > 0) {
		p.fd = fd;
		p.events = sent < sizeof(req) - 1 ? POLLOUT : POLLIN;
		if (poll(&p, 1, (int)left + 1) <= 0)
			continue;
		if (sent < sizeof(req) - 1) {
			ssize_t w = send(fd, req + sent, sizeof(req) - 1 - sent,
					 MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN)
				break;
			sent += w > 0 ? (size_t)w : 0;
			continue;
		}
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);

		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		resp[got] = '\0';
		if (strstr(resp, "\r\n")) {
			ok = !strncmp(resp, "HTTP/1.", 7) &&
			     !strncmp(resp + 8, " 200", 4) ? 0 : -1;
			break;
		}
	}
	close(fd);
	left = now_ms() - t0;
	if (left > f->probe_max_ms)
		f->probe_max_ms = left;
	if (ok == 0 && left <= timeout_ms)
		f->probe_ok++;
	return ok;
}

static int usage(void)
{
	fprintf(stderr, "usage: connflood --port PORT [--idle N] [--slow N] "
		"[--sources K] [--seconds S] [--probe-interval MS] "
		"[--probe-timeout MS]\n");
	return 2;
}

/* The command line's settings. */
struct opts {
	long idle, slow, sources, seconds, interval, timeout;
};

/* 0, or -1 on misuse. */
static int parse_args(int argc, char **argv, struct flood *f, struct opts *o)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "idle", required_argument, NULL, 'i' },
		{ "slow", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "probe-interval", required_argument, NULL, 'I' },
		{ "probe-timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		long v = optarg ? strtol(optarg, NULL, 10) : 0;

		switch (c) {
		case 'p': f->port = (int)v; break;
		case 'i': o->idle = v; break;
		case 's': o->slow = v; break;
		case 'k': o->sources = v; break;
		case 'S': o->seconds = v; break;
		case 'I': o->interval = v; break;
		case 'T': o->timeout = v; break;
		default: return -1;
		}
	}
	if (f->port <= 0 || f->port > 65535 || o->idle < 0 || o->slow < 0 ||
	    o->idle + o->slow > MAX_CONNS || o->sources < 0 ||
	    o->sources > 250 || o->seconds < 1 || o->seconds > 120 ||
	    o->interval < 10 || o->timeout < 10)
		return -1;
	return 0;
}

/* Tend the connections and probe until the time is up. */
static void run(struct flood *f, const struct opts *o)
{
	double t0, next_tend = 0, next_probe = 0, next_trickle = 0;

	t0 = now_ms();
	while (now_ms() - t0 < (double)o->seconds * 1000) {
		double t = now_ms() - t0;

		if (t >= next_tend) {
			tend(f, next_tend > 0 ? REOPEN_MAX : f->n,
			     t >= next_trickle);
			if (t >= next_trickle)
				next_trickle = t + 500;
			next_tend = t + 100;
		}
		if (t >= next_probe && t >= 1000) { /* once the flood is on */
			probe(f, (int)o->timeout);
			next_probe = now_ms() - t0 + (double)o->interval;
		}
		usleep(10000);
	}
	tend(f, 0, 0);
}

/* Close every connection and print the figures. */
static void report(struct flood *f)
{
	long long held = 0;

	for (size_t i = 0; i < f->n; i++)
		if (f->c[i].fd >= 0) {
			held++;
			close(f->c[i].fd);
		}
	printf("{\"probes\":%lld,\"probe_ok\":%lld,\"probe_max_ms\":%.1f,"
	       "\"held_max\":%lld,\"held_end\":%lld,"
	       "\"closed_by_server\":%lld,\"connect_failed\":%lld}\n",
	       f->probes, f->probe_ok, f->probe_max_ms, f->held_max, held,
	       f->closed, f->connect_failed);
}

int main(int argc, char **argv)
{
	struct flood f = { 0 };
	struct opts o = { 0, 0, 0, 10, 200, 1000 };
	struct rlimit rl;

	if (parse_args(argc, argv, &f, &o) < 0)
		return usage();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	f.n = (size_t)(o.idle + o.slow);
	f.c = calloc(f.n + 1, sizeof(*f.c));
	if (!f.c)
		return 1;
	for (size_t i = 0; i < f.n; i++) {
		f.c[i].fd = -1;
		f.c[i].slow = i >= (size_t)o.idle;
		f.c[i].src = o.sources ? 1 + (int)(i % (size_t)o.sources) : 0;
	}
	run(&f, &o);
	report(&f);
	free(f.c);
	return f.probes > 0 && f.probe_ok == f.probes ? 0 : 1;
}
