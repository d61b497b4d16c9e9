#include "msg_transport.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"

#include "banned.h"

/* One per-topic sequence of a PUB socket. Topics are few (block, reorg,
 * heartbeat): a small array searched linearly. */
struct topic_seq {
	char *name;
	uint32_t next;
};

struct msg_zmq {
	void *sock;
	struct buf rx;          /* the last message received (NUL-terminated) */
	struct buf rx_topic;
	struct topic_seq *topics;
	size_t ntopics;
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

static int set_opt(struct msg_io *io, int opt, const void *v, size_t len,
		   const char *name)
{
	if (zmq_setsockopt(io->zmq->sock, opt, v, len) == 0)
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

/* The frames of a PUB/SUB message: topic, JSON, counter. A PUSH/PULL
 * message is the JSON frame alone. */
#define MSG_SUB_FRAMES 3
#define MSG_COUNTER_SIZE 4

/* What read_frames() saw of one multipart message. */
struct frames {
	int want;           /* MSG_SUB_FRAMES on SUB, else 1 */
	int n;              /* frames seen */
	int toobig;
	size_t json_len;
	size_t counter_len;
	uint32_t counter;
};

/* Keep frame f->n of the message: the JSON in rx, the topic in
 * rx_topic, the counter (4 bytes, little-endian). */
static void keep_frame(struct msg_io *io, struct frames *f,
		       const unsigned char *p, size_t n)
{
	struct msg_zmq *z = io->zmq;
	int json_frame = f->want == 1 ? 0 : 1;

	if (f->n == json_frame) {
		f->json_len = n;
		if (n > io->max_msg || (n && buf_add(&z->rx, p, n) < 0))
			f->toobig = 1;
	} else if (f->want == MSG_SUB_FRAMES && f->n == 0) {
		if (buf_add(&z->rx_topic, p, n) < 0 ||
		    buf_addch(&z->rx_topic, '\0') < 0)
			f->toobig = 1;
	} else if (f->want == MSG_SUB_FRAMES && f->n == 2) {
		f->counter_len = n;
		if (n == MSG_COUNTER_SIZE)
			f->counter = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24;
	}
	f->n++;
}

/* Receive every frame of one message without waiting for the first:
 * 1 got them, 0 none there, -1 error. */
static int recv_frames(struct msg_io *io, struct frames *f)
{
	zmq_msg_t fr;
	int more = 0; /* set by every frame before a continue */

	do {
		zmq_msg_init(&fr);
		/* ZeroMQ delivers a multipart message whole: once its first
		 * frame is there, so are the others. */
		if (zmq_msg_recv(&fr, io->zmq->sock, f->n ? 0 : ZMQ_DONTWAIT) < 0) {
			int err = zmq_errno();

			zmq_msg_close(&fr);
			if (!f->n && (err == EAGAIN || err == EINTR))
				return 0;
			if (err == EINTR)
				continue; /* with more still set */
			errno = err;
			return log_error("cannot receive on '%s': %s",
					 io->endpoint, zmq_strerror(err));
		}
		more = zmq_msg_more(&fr);
		keep_frame(io, f, zmq_msg_data(&fr), zmq_msg_size(&fr));
		zmq_msg_close(&fr);
	} while (more);
	return 1;
}

/* One message without waiting: 1 got it, 0 none there, 2 one was
 * skipped (look again), -1 error. */
static int sock_take(struct msg_io *io, struct msg *m)
{
	struct msg_zmq *z = io->zmq;
	struct frames f = { .want = io->kind == MSG_SUB ? MSG_SUB_FRAMES : 1,
			    .counter_len = MSG_COUNTER_SIZE };
	int rc;

	buf_reset(&z->rx);
	buf_reset(&z->rx_topic);
	rc = recv_frames(io, &f);
	if (rc <= 0)
		return rc;
	if (f.n != f.want)
		return skip(io, io->m_frames, "%d frame%s, want %d", f.n,
			    f.n == 1 ? "" : "s", f.want);
	if (f.counter_len != MSG_COUNTER_SIZE)
		return skip(io, io->m_counter,
			    "a counter frame of %zu bytes, want 4", f.counter_len);
	if (f.toobig) {
		msg_io_oversize(io);
		return 2;
	}
	if (!f.json_len)
		return skip(io, io->m_empty, "an empty message");
	msg_io_hand_out(io, m, z->rx.data, f.json_len);
	if (f.want == MSG_SUB_FRAMES) {
		m->topic = z->rx_topic.data;
		m->counter = f.counter;
		m->has_counter = 1;
	}
	return 1;
}

static int sock_wait(struct msg_io *io, int slice_ms)
{
	zmq_pollitem_t it = { .socket = io->zmq->sock, .events = ZMQ_POLLIN };
	int rc = zmq_poll(&it, 1, slice_ms);

	if (rc < 0) {
		if (zmq_errno() == EINTR)
			return 1;
		return log_error("cannot poll '%s': %s", io->endpoint,
				 zmq_strerror(zmq_errno()));
	}
	return rc > 0;
}

static struct topic_seq *topic_get(struct msg_zmq *z, const char *topic)
{
	struct topic_seq *t;

	for (size_t i = 0; i < z->ntopics; i++)
		if (!strcmp(z->topics[i].name, topic))
			return &z->topics[i];
	t = realloc(z->topics, (z->ntopics + 1) * sizeof(*t));
	if (!t)
		return NULL;
	z->topics = t;
	t = &z->topics[z->ntopics];
	t->name = strdup(topic);
	if (!t->name)
		return NULL;
	t->next = 0;
	z->ntopics++;
	return t;
}

static int pub_send(struct msg_io *io, const char *topic, const char *data,
		    size_t len)
{
	void *sock = io->zmq->sock;
	struct topic_seq *t;
	unsigned char le[MSG_COUNTER_SIZE];
	uint32_t seq;
	int err;

	if (!topic) {
		errno = EINVAL;
		return log_error("cannot publish on '%s': no topic",
				 io->endpoint);
	}
	t = topic_get(io->zmq, topic);
	if (!t)
		return log_error_errno("cannot publish on '%s'", io->endpoint);
	seq = t->next++;
	le[0] = (unsigned char)seq;
	le[1] = (unsigned char)(seq >> 8);
	le[2] = (unsigned char)(seq >> 16);
	le[3] = (unsigned char)(seq >> 24);
	/* A PUB sends a multipart message whole or not at all. */
	if (zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(sock, data, len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(sock, le, sizeof(le), ZMQ_DONTWAIT) < 0) {
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
		if (zmq_send(io->zmq->sock, data, len, 0) >= 0) {
			metric_inc(io->m_sent);
			return 0;
		}
		err = zmq_errno();
		if (err != EAGAIN && err != EINTR) {
			errno = err;
			return log_error("cannot send on '%s': %s",
					 io->endpoint, zmq_strerror(err));
		}
		if (msg_io_stopping(io)) {
			errno = ECANCELED;
			return -1;
		}
		notify_watchdog(); /* back-pressure: waiting, not hung */
	}
}

static int sock_send(struct msg_io *io, const char *topic,
			const char *data, size_t len)
{
	if (io->kind == MSG_PUB)
		return pub_send(io, topic, data, len);
	return push_send(io, data, len);
}

static int sock_fd(const struct msg_io *io)
{
	int fd = -1;
	size_t len = sizeof(fd);

	if (zmq_getsockopt(io->zmq->sock, ZMQ_FD, &fd, &len) < 0)
		return -1;
	return fd;
}

static int sock_endpoint(const struct msg_io *io, char *out, size_t len)
{
	size_t n = len;

	if (zmq_getsockopt(io->zmq->sock, ZMQ_LAST_ENDPOINT, out, &n) < 0 ||
	    !*out)
		return -1;
	return 0;
}

static void sock_free(struct msg_io *io)
{
	struct msg_zmq *z = io->zmq;

	for (size_t i = 0; i < z->ntopics; i++)
		free(z->topics[i].name);
	free(z->topics);
	buf_release(&z->rx);
	buf_release(&z->rx_topic);
	free(z);
	io->zmq = NULL;
}

static int sock_close(struct msg_io *io)
{
	zmq_close(io->zmq->sock);
	ctx_put();
	sock_free(io);
	return 0;
}

static const struct msg_transport sock_transport = {
	sock_take, sock_wait, sock_send, sock_fd, sock_endpoint, sock_close,
};

static const int zmq_types[] = {
	[MSG_IN] = ZMQ_PULL,
	[MSG_OUT] = ZMQ_PUSH,
	[MSG_PUB] = ZMQ_PUB,
	[MSG_SUB] = ZMQ_SUB,
};

/* Bind or connect the socket to each endpoint: 0, or -1 with a log line. */
static int attach(struct msg_io *io, char *const *addr, const int *bind,
		  int n)
{
	for (int i = 0; i < n; i++) {
		int b = bind[i] >= 0 ? bind[i]
			: io->kind == MSG_OUT || io->kind == MSG_PUB;
		int rc = b ? zmq_bind(io->zmq->sock, addr[i])
			   : zmq_connect(io->zmq->sock, addr[i]);

		if (rc < 0)
			return log_error("cannot %s '%s': %s",
					 b ? "bind" : "connect to", addr[i],
					 zmq_strerror(zmq_errno()));
		log_debug("%s '%s'", b ? "bound" : "connecting to", addr[i]);
	}
	return 0;
}

int msg_zmq_open(struct msg_io *io, char *const *addr, const int *bind,
		 int n, const char *const *topics)
{
	struct msg_zmq *z = calloc(1, sizeof(*z));
	void *ctx = NULL;

	if (!z)
		return log_error("cannot open '%s': out of memory",
				 io->endpoint);
	io->zmq = z;
	buf_init(&z->rx, io->max_msg + 1);
	buf_init(&z->rx_topic, 0);
	ctx = ctx_get();
	if (!ctx) {
		log_error("cannot open '%s': cannot create a ZeroMQ context: %s",
			  io->endpoint, zmq_strerror(zmq_errno()));
		goto fail;
	}
	z->sock = zmq_socket(ctx, zmq_types[io->kind]);
	if (!z->sock) {
		log_error("cannot open '%s': %s", io->endpoint,
			  zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (setup_socket(io, topics, wants_ipv6(addr, n)) < 0 ||
	    attach(io, addr, bind, n) < 0)
		goto fail;
	io->t = &sock_transport;
	return 0;
fail:
	if (z->sock) {
		/* Nothing was sent: do not linger. */
		set_int(io, ZMQ_LINGER, 0, "ZMQ_LINGER");
		zmq_close(z->sock);
	}
	if (ctx)
		ctx_put();
	sock_free(io);
	return -1;
}
