#include "msg_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

#define MSG_MAX_ENDPOINTS 16
#define MSG_DEFAULT_HWM 1000
#define MSG_DEFAULT_LINGER_MS 2000
#define MSG_MAX_LINGER_MS 3600000           /* an hour */
#define MSG_DEFAULT_MAX ((size_t)64 << 20)  /* 64 MiB */
#define MSG_MAX_MAX ((size_t)1 << 40)

int msg_io_stopping(const struct msg_io *io)
{
	return io->stop && *io->stop;
}

void msg_io_oversize(struct msg_io *io)
{
	log_warn("message of more than %zu bytes skipped on '%s'",
		 io->max_msg, io->endpoint);
	metric_inc(io->m_oversize);
}

void msg_io_hand_out(struct msg_io *io, struct msg *m, char *data,
		     size_t len)
{
	data[len] = '\0';
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	metric_inc(io->m_received);
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
	io->hwm = opts->hwm > 0 ? opts->hwm : MSG_DEFAULT_HWM;
	io->linger_ms = opts->linger_ms < 0 ? MSG_DEFAULT_LINGER_MS
		: opts->linger_ms > MSG_MAX_LINGER_MS ? MSG_MAX_LINGER_MS
		: (int)opts->linger_ms;
	io->max_msg = opts->max_msg ? opts->max_msg : MSG_DEFAULT_MAX;
	if (io->max_msg > MSG_MAX_MAX)
		io->max_msg = MSG_MAX_MAX;
	io->stop = opts->stop;
	io->endpoint = strdup(opts->endpoint ? opts->endpoint : "-");
	if (!io->endpoint) {
		free(io);
		return NULL;
	}
	return io;
}

static void io_free(struct msg_io *io)
{
	free(io->endpoint);
	free(io);
}

static int is_input(const struct msg_io *io)
{
	return io->kind == MSG_IN || io->kind == MSG_SUB;
}

struct msg_io *msg_open_fds(const struct msg_opts *opts, int in_fd,
			    int out_fd)
{
	struct msg_io *io = io_new(opts);
	int fd;

	if (!io)
		return NULL;
	fd = is_input(io) ? in_fd : out_fd;
	if (fd < 0) {
		log_error("cannot open '%s': no file descriptor", io->endpoint);
		io_free(io);
		return NULL;
	}
	if (msg_pipe_open(io, fd) < 0) {
		io_free(io);
		return NULL;
	}
	return io;
}

struct msg_io *msg_open(const struct msg_opts *opts)
{
	char *addr[MSG_MAX_ENDPOINTS];
	int bind[MSG_MAX_ENDPOINTS];
	struct msg_io *io = NULL;
	int n, i;

	n = msg_parse_endpoints(opts->endpoint, addr, bind, MSG_MAX_ENDPOINTS);
	if (n < 0)
		return NULL;
	if (n == 1 && !strcmp(addr[0], "-")) {
		free(addr[0]);
		return msg_open_fds(opts, STDIN_FILENO, STDOUT_FILENO);
	}
	io = io_new(opts);
	if (io && msg_zmq_open(io, addr, bind, n, opts->topics) < 0) {
		io_free(io);
		io = NULL;
	}
	for (i = 0; i < n; i++)
		free(addr[i]);
	return io;
}

int msg_close(struct msg_io **iop)
{
	struct msg_io *io = *iop;
	int rc;

	if (!io)
		return 0;
	rc = io->t->close(io);
	io_free(io);
	*iop = NULL;
	return rc;
}

int msg_fd(const struct msg_io *io)
{
	if (!is_input(io))
		return -1;
	return io->t->fd(io);
}

int msg_is_stdio(const struct msg_io *io)
{
	return io->pipe != NULL;
}

int msg_endpoint(const struct msg_io *io, char *out, size_t len)
{
	if (!len)
		return -1;
	return io->t->endpoint(io, out, len);
}

/* ---- receive and send ---- */

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

/* The one wait loop of every transport: take what is there, else wait a
 * slice and look at the stop flag, until the deadline. A timeout of 0
 * still looks once. */
static int recv_wait(struct msg_io *io, struct msg *m, int timeout_ms)
{
	long long deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (int first = 1;; first = 0) {
		int slice, rc;

		rc = io->t->take(io, m);
		if (rc == 2)
			continue;
		if (rc != 0)
			return rc;
		if (msg_io_stopping(io))
			return 0;
		slice = wait_slice(timeout_ms, deadline);
		if (slice < 0) {
			if (!first)
				return 0;
			slice = 0;
		}
		rc = io->t->wait(io, slice);
		if (rc < 0)
			return -1;
		if (rc == 0 && timeout_ms >= 0 && slice == 0)
			return 0;
	}
}

int msg_recv(struct msg_io *io, struct msg *m, int timeout_ms)
{
	if (!is_input(io)) {
		errno = EINVAL;
		return log_error("cannot receive on '%s': it is an output",
				 io->endpoint);
	}
	if (msg_io_stopping(io))
		return 0;
	return recv_wait(io, m, timeout_ms);
}

int msg_send(struct msg_io *io, const char *topic, const char *data,
	     size_t len)
{
	if (is_input(io)) {
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
	return io->t->send(io, topic, data, len);
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
		if (io->zmq) {
			io->m_frames = invalid_counter(m, name, "frames");
			io->m_counter = invalid_counter(m, name, "counter");
		}
	}
done:
	buf_release(&labels);
}
