#include "msg.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "banned.h"

#define MSG_MAX_ENDPOINTS 16
#define MSG_SLICE_MS 100      /* longest wait between stop-flag checks */
#define MSG_READ_CHUNK 65536

/* One per-topic sequence of a PUB socket. Topics are few (block, reorg,
 * heartbeat): a small array searched linearly. */
struct topic_seq {
	char *name;
	uint32_t next;
};

struct msg_io {
	enum msg_kind kind;
	int hwm;
	int linger_ms;
	size_t max_msg;
	volatile sig_atomic_t *stop;
	char *endpoint;         /* as given, for log lines */

	/* ZeroMQ */
	void *sock;
	struct buf rx;          /* the last message received (NUL-terminated) */
	struct buf rx_topic;
	struct topic_seq *topics;
	size_t ntopics;

	/* stdio */
	int fd;                 /* -1 when ZeroMQ */
	struct buf in;          /* bytes read: [in_start, in.len) not yet used */
	size_t in_start;
	size_t scanned;         /* bytes after in_start known to hold no '\n' */
	size_t consume;         /* the line handed out last, dropped next call */
	int eof;
	int skipping;           /* inside an over-long line: drop to '\n' */
	int write_err;          /* errno of a failed write; later sends fail */

	struct metric *m_sent, *m_received, *m_dropped;
	struct metric *m_oversize, *m_frames, *m_counter, *m_empty;
};

/*
 * The ZeroMQ context is the one piece of process-wide state here, and on
 * purpose: inproc:// only connects sockets of one context, and a context
 * owns I/O threads that should not multiply with every msg_io (CZMQ's
 * zsys keeps a global context for the same reasons). Reference-counted
 * under a mutex; the last msg_close terminates it.
 */
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static void *ctx_shared;
static unsigned ctx_refs;

static void *ctx_get(void)
{
	void *ctx;

	pthread_mutex_lock(&ctx_lock);
	if (!ctx_shared)
		ctx_shared = zmq_ctx_new();
	ctx = ctx_shared;
	if (ctx)
		ctx_refs++;
	pthread_mutex_unlock(&ctx_lock);
	return ctx;
}

static void ctx_put(void)
{
	void *ctx = NULL;

	pthread_mutex_lock(&ctx_lock);
	if (ctx_refs && --ctx_refs == 0) {
		ctx = ctx_shared;
		ctx_shared = NULL;
	}
	pthread_mutex_unlock(&ctx_lock);
	/* Outside the lock: this waits for the sockets' linger. */
	while (ctx && zmq_ctx_term(ctx) < 0 && zmq_errno() == EINTR)
		;
}

static int stopping(const struct msg_io *io)
{
	return io->stop && *io->stop;
}

/* How long the next wait may be: a slice, cut to the deadline. -1 when
 * the deadline has passed. */
static int wait_slice(int timeout_ms, long long deadline)
{
	long long left;

	if (timeout_ms < 0)
		return MSG_SLICE_MS;
	left = deadline - clock_mono_ms();
	if (left <= 0)
		return -1;
	return left < MSG_SLICE_MS ? (int)left : MSG_SLICE_MS;
}

/* ---- endpoints ---- */

static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && !memcmp(s, prefix, pl);
}

static const char *check_endpoint(const char *s, size_t n, int bind)
{
	const char *colon;
	size_t rest;

	if (n == 1 && *s == '-')
		return bind >= 0 ? "'-' takes no '@' or '>'" : NULL;
	if (has_prefix(s, n, "tcp://")) {
		rest = n - 6;
		colon = NULL;
		for (size_t i = 0; i < rest; i++)
			if (s[6 + i] == ':')
				colon = s + 6 + i;
		if (!rest || !colon || colon == s + 6 || colon == s + n - 1)
			return "a tcp endpoint needs a host and a port "
			       "(tcp://HOST:PORT)";
		return NULL;
	}
	if (has_prefix(s, n, "ipc://"))
		return n > 6 ? NULL : "an ipc endpoint needs a path";
	if (has_prefix(s, n, "inproc://"))
		return n > 9 ? NULL : "an inproc endpoint needs a name";
	return "unknown transport (want -, tcp://, ipc:// or inproc://)";
}

int msg_parse_endpoints(const char *spec, char **addr, int *bind, int max)
{
	const char *p = spec, *why = NULL;
	int n = 0, dash = 0;
	char whybuf[64];

	if (!spec || !*spec) {
		why = "empty";
		goto fail;
	}
	for (;;) {
		const char *end = strchr(p, ',');
		const char *s = p, *e = end ? end : p + strlen(p);
		int b = -1;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s < e && *s == '@')
			b = 1;
		else if (s < e && *s == '>')
			b = 0;
		if (b >= 0)
			s++;
		if (s == e) {
			why = "an empty endpoint in the list";
			goto fail;
		}
		why = check_endpoint(s, (size_t)(e - s), b);
		if (why)
			goto fail;
		if (n >= max) {
			snprintf(whybuf, sizeof(whybuf),
				 "more than %d endpoints", max);
			why = whybuf;
			goto fail;
		}
		addr[n] = strndup(s, (size_t)(e - s));
		if (!addr[n]) {
			why = "out of memory";
			goto fail;
		}
		bind[n++] = b;
		dash |= e - s == 1 && *s == '-';
		if (!end)
			break;
		p = end + 1;
	}
	if (dash && n > 1) {
		why = "'-' cannot be mixed with other endpoints";
		goto fail;
	}
	return n;
fail:
	while (n > 0) {
		free(addr[--n]);
		addr[n] = NULL;
	}
	log_error("invalid endpoint '%s': %s", spec ? spec : "", why);
	return -1;
}

/* ---- open and close ---- */

static struct msg_io *io_new(const struct msg_opts *opts)
{
	struct msg_io *io;

	if (opts->kind != MSG_IN && opts->kind != MSG_OUT &&
	    opts->kind != MSG_PUB && opts->kind != MSG_SUB) {
		log_error("cannot open '%s': unknown kind %d",
			  opts->endpoint ? opts->endpoint : "",
			  (int)opts->kind);
		return NULL;
	}
	io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->kind = opts->kind;
	io->hwm = opts->hwm > 0 ? opts->hwm : 1000;
	io->linger_ms = opts->linger_ms < 0 ? 2000
		: opts->linger_ms > 3600000 ? 3600000 : (int)opts->linger_ms;
	io->max_msg = opts->max_msg ? opts->max_msg : (size_t)64 << 20;
	if (io->max_msg > (size_t)1 << 40)
		io->max_msg = (size_t)1 << 40;
	io->stop = opts->stop;
	io->fd = -1;
	io->endpoint = strdup(opts->endpoint ? opts->endpoint : "-");
	buf_init(&io->rx, io->max_msg + 1);
	buf_init(&io->rx_topic, 0);
	/* Room for a partial line of max_msg plus "\r" and one read. */
	buf_init(&io->in, io->max_msg + 2 + MSG_READ_CHUNK);
	if (!io->endpoint) {
		free(io);
		return NULL;
	}
	return io;
}

static void io_free(struct msg_io *io)
{
	for (size_t i = 0; i < io->ntopics; i++)
		free(io->topics[i].name);
	free(io->topics);
	buf_release(&io->rx);
	buf_release(&io->rx_topic);
	buf_release(&io->in);
	free(io->endpoint);
	free(io);
}

struct msg_io *msg_open_fds(const struct msg_opts *opts, int in_fd,
			    int out_fd)
{
	struct msg_io *io = io_new(opts);

	if (!io)
		return NULL;
	if (io->kind == MSG_IN || io->kind == MSG_SUB)
		io->fd = in_fd;
	else
		io->fd = out_fd;
	if (io->fd < 0) {
		log_error("cannot open '%s': no file descriptor", io->endpoint);
		io_free(io);
		return NULL;
	}
	return io;
}

static int set_opt(struct msg_io *io, int opt, const void *v, size_t len,
		   const char *name)
{
	if (zmq_setsockopt(io->sock, opt, v, len) == 0)
		return 0;
	return log_error("cannot set %s on '%s': %s", name, io->endpoint,
			 zmq_strerror(zmq_errno()));
}

static int set_int(struct msg_io *io, int opt, int v, const char *name)
{
	return set_opt(io, opt, &v, sizeof(v), name);
}

/* ZMQ_IPV6 makes a wildcard host listen on IPv6 and IPv4 and lets names
 * resolve to IPv6 addresses, but it also binds an IPv4 literal as an
 * IPv4-mapped IPv6 address, which msg_endpoint would then report as
 * tcp://[::ffff:127.0.0.1]:N. So: on, unless every tcp host is an IPv4
 * literal. */
static int wants_ipv6(char *const *addr, int n)
{
	for (int i = 0; i < n; i++) {
		const char *host, *end;

		if (strncmp(addr[i], "tcp://", 6))
			continue;
		host = addr[i] + 6;
		end = strrchr(host, ':');
		if (!end || end == host)
			return 1;
		for (; host < end; host++)
			if (!(*host >= '0' && *host <= '9') && *host != '.')
				return 1;
	}
	return 0;
}

static int setup_socket(struct msg_io *io, const char *const *topics,
			int ipv6)
{
	/* max_msg is enforced after receipt, with a log line and a count.
	 * ZMQ_MAXMSGSIZE only guards memory against the absurd: a peer
	 * over it is disconnected by ZeroMQ without a word, and a socket
	 * that connected does not reconnect after that protocol error. */
	int64_t maxsize = (int64_t)io->max_msg * 2 + ((int64_t)1 << 20);

	if (set_int(io, ZMQ_LINGER, io->linger_ms, "ZMQ_LINGER") < 0 ||
	    set_int(io, ZMQ_IPV6, ipv6, "ZMQ_IPV6") < 0)
		return -1;
	switch (io->kind) {
	case MSG_OUT:
		if (set_int(io, ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE") < 0 ||
		    set_int(io, ZMQ_SNDHWM, io->hwm, "ZMQ_SNDHWM") < 0 ||
		    set_int(io, ZMQ_SNDTIMEO, MSG_SLICE_MS, "ZMQ_SNDTIMEO") < 0)
			return -1;
		break;
	case MSG_PUB:
		if (set_int(io, ZMQ_SNDHWM, io->hwm, "ZMQ_SNDHWM") < 0)
			return -1;
		break;
	case MSG_IN:
	case MSG_SUB:
		if (set_int(io, ZMQ_RCVHWM, io->hwm, "ZMQ_RCVHWM") < 0 ||
		    set_opt(io, ZMQ_MAXMSGSIZE, &maxsize, sizeof(maxsize),
			    "ZMQ_MAXMSGSIZE") < 0)
			return -1;
		break;
	}
	if (io->kind != MSG_SUB)
		return 0;
	if (!topics || !*topics)
		return set_opt(io, ZMQ_SUBSCRIBE, "", 0, "ZMQ_SUBSCRIBE");
	for (; *topics; topics++)
		if (set_opt(io, ZMQ_SUBSCRIBE, *topics, strlen(*topics),
			    "ZMQ_SUBSCRIBE") < 0)
			return -1;
	return 0;
}

static const int zmq_types[] = {
	[MSG_IN] = ZMQ_PULL,
	[MSG_OUT] = ZMQ_PUSH,
	[MSG_PUB] = ZMQ_PUB,
	[MSG_SUB] = ZMQ_SUB,
};

struct msg_io *msg_open(const struct msg_opts *opts)
{
	char *addr[MSG_MAX_ENDPOINTS];
	int bind[MSG_MAX_ENDPOINTS];
	struct msg_io *io = NULL;
	void *ctx = NULL;
	int n, i;

	n = msg_parse_endpoints(opts->endpoint, addr, bind, MSG_MAX_ENDPOINTS);
	if (n < 0)
		return NULL;
	if (n == 1 && !strcmp(addr[0], "-")) {
		free(addr[0]);
		return msg_open_fds(opts, STDIN_FILENO, STDOUT_FILENO);
	}
	io = io_new(opts);
	if (!io)
		goto fail;
	ctx = ctx_get();
	if (!ctx) {
		log_error("cannot open '%s': cannot create a ZeroMQ context: %s",
			  io->endpoint, zmq_strerror(zmq_errno()));
		goto fail;
	}
	io->sock = zmq_socket(ctx, zmq_types[io->kind]);
	if (!io->sock) {
		log_error("cannot open '%s': %s", io->endpoint,
			  zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (setup_socket(io, opts->topics, wants_ipv6(addr, n)) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		int b = bind[i] >= 0 ? bind[i]
			: io->kind == MSG_OUT || io->kind == MSG_PUB;
		int rc = b ? zmq_bind(io->sock, addr[i])
			   : zmq_connect(io->sock, addr[i]);

		if (rc < 0) {
			log_error("cannot %s '%s': %s", b ? "bind" : "connect to",
				  addr[i], zmq_strerror(zmq_errno()));
			goto fail;
		}
		log_debug("%s '%s'", b ? "bound" : "connecting to", addr[i]);
	}
	for (i = 0; i < n; i++)
		free(addr[i]);
	return io;
fail:
	for (i = 0; i < n; i++)
		free(addr[i]);
	if (io && io->sock) {
		/* Nothing was sent: do not linger. */
		set_int(io, ZMQ_LINGER, 0, "ZMQ_LINGER");
		zmq_close(io->sock);
	}
	if (ctx)
		ctx_put();
	if (io)
		io_free(io);
	return NULL;
}

int msg_close(struct msg_io **iop)
{
	struct msg_io *io = *iop;
	int rc = 0;

	if (!io)
		return 0;
	if (io->sock) {
		zmq_close(io->sock);
		ctx_put();
	} else if (io->write_err) {
		rc = -1;
	}
	io_free(io);
	*iop = NULL;
	return rc;
}

int msg_fd(const struct msg_io *io)
{
	int fd = -1;
	size_t len = sizeof(fd);

	if (io->kind == MSG_OUT || io->kind == MSG_PUB)
		return -1;
	if (!io->sock)
		return io->fd;
	if (zmq_getsockopt(io->sock, ZMQ_FD, &fd, &len) < 0)
		return -1;
	return fd;
}

int msg_is_stdio(const struct msg_io *io)
{
	return io->sock == NULL;
}

int msg_endpoint(const struct msg_io *io, char *out, size_t len)
{
	size_t n = len;

	if (!len)
		return -1;
	if (!io->sock) {
		snprintf(out, len, "-");
		return 0;
	}
	if (zmq_getsockopt(io->sock, ZMQ_LAST_ENDPOINT, out, &n) < 0 || !*out)
		return -1;
	return 0;
}

static struct metric *invalid_counter(struct metrics *m, const char *name,
				      const char *reason)
{
	struct buf labels = BUF_INIT;
	struct metric *c = NULL;

	if (metrics_label(&labels, "io", name) == 0 &&
	    metrics_label(&labels, "reason", reason) == 0)
		c = metrics_counter(m, "msg_invalid_total",
				    "Messages received and skipped, by reason.",
				    labels.data);
	buf_release(&labels);
	return c;
}

void msg_set_metrics(struct msg_io *io, struct metrics *m, const char *name)
{
	struct buf labels = BUF_INIT;

	if (!m || metrics_label(&labels, "io", name ? name : "") < 0)
		goto done;
	if (io->kind == MSG_OUT || io->kind == MSG_PUB)
		io->m_sent = metrics_counter(m, "msg_sent_total",
					     "Messages sent.", labels.data);
	if (io->kind == MSG_PUB)
		io->m_dropped = metrics_counter(
			m, "msg_pub_dropped_total",
			"PUB messages dropped at the high-water mark.",
			labels.data);
	if (io->kind == MSG_IN || io->kind == MSG_SUB) {
		io->m_received = metrics_counter(m, "msg_received_total",
						 "Messages received.",
						 labels.data);
		io->m_oversize = invalid_counter(m, name, "oversize");
		io->m_empty = invalid_counter(m, name, "empty");
		if (io->sock) {
			io->m_frames = invalid_counter(m, name, "frames");
			io->m_counter = invalid_counter(m, name, "counter");
		}
	}
done:
	buf_release(&labels);
}

/* ---- stdio ---- */

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static void oversize(struct msg_io *io)
{
	log_warn("message of more than %zu bytes skipped on '%s'",
		 io->max_msg, io->endpoint);
	metric_inc(io->m_oversize);
}

static void hand_out(struct msg_io *io, struct msg *m, char *line, size_t len)
{
	line[len] = '\0';
	memset(m, 0, sizeof(*m));
	m->data = line;
	m->len = len;
	metric_inc(io->m_received);
}

/* The next complete line in the buffer: 1 with *m filled, 0 when more
 * input is needed. */
static int next_line(struct msg_io *io, struct msg *m)
{
	for (;;) {
		char *base = io->in.data + io->in_start;
		size_t avail = io->in.len - io->in_start;
		char *nl;
		size_t raw, len;

		if (!avail)
			return 0;
		if (io->skipping) {
			nl = memchr(base, '\n', avail);
			if (!nl) {
				buf_reset(&io->in);
				io->in_start = io->scanned = 0;
				return 0;
			}
			io->in_start += (size_t)(nl - base) + 1;
			io->skipping = 0;
			continue;
		}
		nl = memchr(base + io->scanned, '\n', avail - io->scanned);
		if (!nl) {
			io->scanned = avail;
			if (avail > io->max_msg + 1) {
				oversize(io);
				io->skipping = 1;
				buf_reset(&io->in);
				io->in_start = io->scanned = 0;
			}
			return 0;
		}
		raw = (size_t)(nl - base);
		len = raw && base[raw - 1] == '\r' ? raw - 1 : raw;
		io->scanned = 0;
		if (len > io->max_msg || blank(base, len)) {
			if (len > io->max_msg)
				oversize(io);
			io->in_start += raw + 1;
			continue;
		}
		/* Handed out in place; dropped by the next msg_recv. */
		io->consume = raw + 1;
		hand_out(io, m, base, len);
		return 1;
	}
}

/* At EOF: the unterminated last line, if any (1), else -1. */
static int last_line(struct msg_io *io, struct msg *m)
{
	char *base = io->in.data + io->in_start;
	size_t len = io->in.len - io->in_start;

	if (!len || io->skipping) {
		errno = 0;
		return -1;
	}
	io->consume = len;
	if (base[len - 1] == '\r')
		len--;
	if (blank(base, len)) {
		io->in_start += io->consume;
		io->consume = 0;
		errno = 0;
		return -1;
	}
	hand_out(io, m, base, len);
	return 1;
}

/* Read what is there: 1 read something (or try again), 0 EOF, -1 error. */
static int read_more(struct msg_io *io)
{
	size_t room, max = io->in.max;
	ssize_t n;

	if (io->in_start) {
		buf_consume(&io->in, io->in_start);
		io->in_start = 0;
	}
	if (buf_grow(&io->in, MSG_READ_CHUNK) < 0)
		return log_error_errno("cannot read '%s'", io->endpoint);
	/* Whatever the buffer has room for, within its cap. */
	room = io->in.cap - io->in.len - 1;
	if (room > max - io->in.len)
		room = max - io->in.len;
	n = read(io->fd, io->in.data + io->in.len, room);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return log_error_errno("cannot read '%s'", io->endpoint);
	}
	if (n == 0) {
		io->eof = 1;
		errno = 0; /* msg_recv's -1 at the end is no error */
		return 0;
	}
	io->in.len += (size_t)n;
	io->in.data[io->in.len] = '\0';
	return 1;
}

static int stdio_recv(struct msg_io *io, struct msg *m, int timeout_ms)
{
	long long deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };

	for (int first = 1;; first = 0) {
		int slice, rc;

		if (next_line(io, m))
			return 1;
		if (io->eof)
			return last_line(io, m);
		if (stopping(io))
			return 0;
		slice = wait_slice(timeout_ms, deadline);
		if (slice < 0) {
			if (!first)
				return 0;
			slice = 0;
		}
		rc = poll(&pfd, 1, slice);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno("cannot poll '%s'", io->endpoint);
		}
		if (rc == 0) {
			if (timeout_ms >= 0 && slice == 0)
				return 0;
			continue;
		}
		if (read_more(io) < 0)
			return -1;
	}
}

static int stdio_send(struct msg_io *io, const char *data, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)data, .iov_len = len },
		{ .iov_base = (void *)"\n", .iov_len = 1 },
	};
	struct iovec *v = iov;
	int nv = 2, written = 0;

	if (memchr(data, '\n', len)) {
		errno = EINVAL;
		return log_error("cannot write to '%s': the message holds a "
				 "newline", io->endpoint);
	}
	for (;;) {
		ssize_t n = writev(io->fd, v, nv);

		if (n >= 0) {
			written = 1;
			while (nv && (size_t)n >= v->iov_len) {
				n -= (ssize_t)v->iov_len;
				v++;
				nv--;
			}
			if (!nv)
				return 0;
			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
			continue;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		if (stopping(io)) {
			/* Half a line out: the stream is broken from here. */
			if (written)
				io->write_err = ECANCELED;
			errno = ECANCELED;
			return -1;
		}
		if (errno != EINTR) {
			struct pollfd pfd = { .fd = io->fd, .events = POLLOUT };

			if (poll(&pfd, 1, MSG_SLICE_MS) < 0 && errno != EINTR)
				break;
		}
	}
	io->write_err = errno;
	return log_error_errno("cannot write to '%s'", io->endpoint);
}

/* ---- ZeroMQ ---- */

static int skip(struct msg_io *io, struct metric *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int skip(struct msg_io *io, struct metric *c, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("message skipped on '%s': %s", io->endpoint, why);
	metric_inc(c);
	return 2;
}

/* One message without waiting: 1 got it, 0 none there, 2 one was
 * skipped (look again), -1 error. */
static int read_frames(struct msg_io *io, struct msg *m)
{
	int want = io->kind == MSG_SUB ? 3 : 1;
	int nframes = 0, toobig = 0, more;
	size_t json_len = 0, counter_len = 4;
	uint32_t counter = 0;
	zmq_msg_t f;

	buf_reset(&io->rx);
	buf_reset(&io->rx_topic);
	do {
		const unsigned char *p;
		size_t n;
		int json_frame = want == 1 ? 0 : 1;

		zmq_msg_init(&f);
		/* ZeroMQ delivers a multipart message whole: once its first
		 * frame is there, so are the others. */
		if (zmq_msg_recv(&f, io->sock, nframes ? 0 : ZMQ_DONTWAIT) < 0) {
			int err = zmq_errno();

			zmq_msg_close(&f);
			if (!nframes && (err == EAGAIN || err == EINTR))
				return 0;
			if (err == EINTR)
				continue; /* with more still set */
			errno = err;
			return log_error("cannot receive on '%s': %s",
					 io->endpoint, zmq_strerror(err));
		}
		p = zmq_msg_data(&f);
		n = zmq_msg_size(&f);
		more = zmq_msg_more(&f);
		if (nframes == json_frame) {
			json_len = n;
			if (n > io->max_msg)
				toobig = 1;
			else if (n && buf_add(&io->rx, p, n) < 0)
				toobig = 1;
		} else if (want == 3 && nframes == 0) {
			if (buf_add(&io->rx_topic, p, n) < 0 ||
			    buf_addch(&io->rx_topic, '\0') < 0)
				toobig = 1;
		} else if (want == 3 && nframes == 2) {
			counter_len = n;
			if (n == 4)
				counter = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
					  (uint32_t)p[2] << 16 |
					  (uint32_t)p[3] << 24;
		}
		nframes++;
		zmq_msg_close(&f);
	} while (more);

	if (nframes != want)
		return skip(io, io->m_frames, "%d frame%s, want %d", nframes,
			    nframes == 1 ? "" : "s", want);
	if (counter_len != 4)
		return skip(io, io->m_counter,
			    "a counter frame of %zu bytes, want 4", counter_len);
	if (toobig) {
		oversize(io);
		return 2;
	}
	if (!json_len)
		return skip(io, io->m_empty, "an empty message");
	hand_out(io, m, io->rx.data, json_len);
	if (want == 3) {
		m->topic = io->rx_topic.data;
		m->counter = counter;
		m->has_counter = 1;
	}
	return 1;
}

static int zmq_recv_msg(struct msg_io *io, struct msg *m, int timeout_ms)
{
	long long deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (int first = 1;; first = 0) {
		zmq_pollitem_t it = { .socket = io->sock, .events = ZMQ_POLLIN };
		int slice, rc;

		rc = read_frames(io, m);
		if (rc == 2)
			continue;
		if (rc != 0)
			return rc;
		if (stopping(io))
			return 0;
		slice = wait_slice(timeout_ms, deadline);
		if (slice < 0) {
			if (!first)
				return 0;
			slice = 0;
		}
		rc = zmq_poll(&it, 1, slice);
		if (rc < 0) {
			if (zmq_errno() == EINTR)
				continue;
			return log_error("cannot poll '%s': %s", io->endpoint,
					 zmq_strerror(zmq_errno()));
		}
		if (rc == 0 && timeout_ms >= 0 && slice == 0)
			return 0;
	}
}

static struct topic_seq *topic_get(struct msg_io *io, const char *topic)
{
	struct topic_seq *t;

	for (size_t i = 0; i < io->ntopics; i++)
		if (!strcmp(io->topics[i].name, topic))
			return &io->topics[i];
	t = realloc(io->topics, (io->ntopics + 1) * sizeof(*t));
	if (!t)
		return NULL;
	io->topics = t;
	t = &io->topics[io->ntopics];
	t->name = strdup(topic);
	if (!t->name)
		return NULL;
	t->next = 0;
	io->ntopics++;
	return t;
}

static int pub_send(struct msg_io *io, const char *topic, const char *data,
		    size_t len)
{
	struct topic_seq *t;
	unsigned char le[4];
	uint32_t seq;
	int err;

	if (!topic) {
		errno = EINVAL;
		return log_error("cannot publish on '%s': no topic",
				 io->endpoint);
	}
	t = topic_get(io, topic);
	if (!t)
		return log_error_errno("cannot publish on '%s'", io->endpoint);
	seq = t->next++;
	le[0] = (unsigned char)seq;
	le[1] = (unsigned char)(seq >> 8);
	le[2] = (unsigned char)(seq >> 16);
	le[3] = (unsigned char)(seq >> 24);
	/* A PUB sends a multipart message whole or not at all. */
	if (zmq_send(io->sock, topic, strlen(topic),
		     ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(io->sock, data, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(io->sock, le, sizeof(le), ZMQ_DONTWAIT) < 0) {
		err = zmq_errno();
		if (err == EAGAIN) {
			metric_inc(io->m_dropped);
			return 0;
		}
		errno = err;
		return log_error("cannot publish on '%s': %s", io->endpoint,
				 zmq_strerror(err));
	}
	metric_inc(io->m_sent);
	return 0;
}

static int push_send(struct msg_io *io, const char *data, size_t len)
{
	for (;;) {
		int err;

		/* Waits at most ZMQ_SNDTIMEO (a slice) for room. */
		if (zmq_send(io->sock, data, len, 0) >= 0) {
			metric_inc(io->m_sent);
			return 0;
		}
		err = zmq_errno();
		if (err != EAGAIN && err != EINTR) {
			errno = err;
			return log_error("cannot send on '%s': %s",
					 io->endpoint, zmq_strerror(err));
		}
		if (stopping(io)) {
			errno = ECANCELED;
			return -1;
		}
		notify_watchdog(); /* back-pressure: waiting, not hung */
	}
}

int msg_recv(struct msg_io *io, struct msg *m, int timeout_ms)
{
	if (io->kind == MSG_OUT || io->kind == MSG_PUB) {
		errno = EINVAL;
		return log_error("cannot receive on '%s': it is an output",
				 io->endpoint);
	}
	/* The message handed out last is released now. */
	io->in_start += io->consume;
	io->consume = 0;
	if (stopping(io))
		return 0;
	if (io->sock)
		return zmq_recv_msg(io, m, timeout_ms);
	return stdio_recv(io, m, timeout_ms);
}

int msg_send(struct msg_io *io, const char *topic, const char *data,
	     size_t len)
{
	int rc;

	if (io->kind == MSG_IN || io->kind == MSG_SUB) {
		errno = EINVAL;
		return log_error("cannot send on '%s': it is an input",
				 io->endpoint);
	}
	if (len > io->max_msg) {
		errno = EMSGSIZE;
		return log_error("cannot send on '%s': a message of %zu bytes "
				 "is more than %zu", io->endpoint, len,
				 io->max_msg);
	}
	if (!io->sock) {
		if (io->write_err) {
			errno = io->write_err;
			return -1;
		}
		rc = stdio_send(io, data, len);
		if (rc == 0)
			metric_inc(io->m_sent);
		return rc;
	}
	if (io->kind == MSG_PUB)
		return pub_send(io, topic, data, len);
	return push_send(io, data, len);
}
