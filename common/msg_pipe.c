#include "msg_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

/* How much one read(2) asks for. */
#define MSG_READ_CHUNK 65536
/* What a pipe is asked to hold (the default pipe-max-size, which an
 * unprivileged process may ask for): a pipe's own 64 KiB is about one
 * block message of a busy chain, so that each stage would wait on the
 * next at every message instead of running apart. */
#define PIPE_ROOM (1 << 20)

struct msg_pipe {
	int fd;
	struct buf in;          /* bytes read: [in_start, in.len) not yet used */
	size_t in_start;
	size_t scanned;         /* bytes after in_start known to hold no '\n' */
	size_t consume;         /* the line handed out last, dropped next take */
	int eof;
	int skipping;           /* inside an over-long line: drop to '\n' */
	int write_err;          /* errno of a failed write; later sends fail */
};

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* The next complete line in the buffer: 1 with *m filled, 0 when more
 * input is needed. */
static int next_line(struct msg_io *io, struct msg *m)
{
	struct msg_pipe *p = io->pipe;

	for (;;) {
		char *base = p->in.data + p->in_start;
		size_t avail = p->in.len - p->in_start;
		char *nl;
		size_t raw, len;

		if (!avail)
			return 0;
		if (p->skipping) {
			nl = memchr(base, '\n', avail);
			if (!nl) {
				buf_reset(&p->in);
				p->in_start = p->scanned = 0;
				return 0;
			}
			p->in_start += (size_t)(nl - base) + 1;
			p->skipping = 0;
			continue;
		}
		nl = memchr(base + p->scanned, '\n', avail - p->scanned);
		if (!nl) {
			p->scanned = avail;
			if (avail > io->max_msg + 1) {
				msg_io_oversize(io);
				p->skipping = 1;
				buf_reset(&p->in);
				p->in_start = p->scanned = 0;
			}
			return 0;
		}
		raw = (size_t)(nl - base);
		len = raw && base[raw - 1] == '\r' ? raw - 1 : raw;
		p->scanned = 0;
		if (len > io->max_msg || blank(base, len)) {
			if (len > io->max_msg)
				msg_io_oversize(io);
			p->in_start += raw + 1;
			continue;
		}
		/* Handed out in place; dropped by the next msg_recv. */
		p->consume = raw + 1;
		msg_io_hand_out(io, m, base, len);
		return 1;
	}
}

/* At EOF: the unterminated last line, if any (1), else -1. */
static int last_line(struct msg_io *io, struct msg *m)
{
	struct msg_pipe *p = io->pipe;
	char *base = p->in.data + p->in_start;
	size_t len = p->in.len - p->in_start;

	if (!len || p->skipping) {
		errno = 0;
		return -1;
	}
	p->consume = len;
	if (base[len - 1] == '\r')
		len--;
	if (blank(base, len)) {
		p->in_start += p->consume;
		p->consume = 0;
		errno = 0;
		return -1;
	}
	msg_io_hand_out(io, m, base, len);
	return 1;
}

/* Read what is there: 1 read something (or try again), 0 EOF, -1 error. */
static int read_more(struct msg_io *io)
{
	struct msg_pipe *p = io->pipe;
	size_t room, max = p->in.max;
	ssize_t n;

	if (p->in_start) {
		buf_consume(&p->in, p->in_start);
		p->in_start = 0;
	}
	if (buf_grow(&p->in, MSG_READ_CHUNK) < 0)
		return log_error_errno("cannot read '%s'", io->endpoint);
	/* Whatever the buffer has room for, within its cap. */
	room = p->in.cap - p->in.len - 1;
	if (room > max - p->in.len)
		room = max - p->in.len;
	n = read(p->fd, p->in.data + p->in.len, room);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		return log_error_errno("cannot read '%s'", io->endpoint);
	}
	if (n == 0) {
		p->eof = 1;
		errno = 0; /* msg_recv's -1 at the end is no error */
		return 0;
	}
	p->in.len += (size_t)n;
	p->in.data[p->in.len] = '\0';
	return 1;
}

/* The line handed out last is dropped first: it was valid until this
 * msg_recv. */
static int pipe_take(struct msg_io *io, struct msg *m)
{
	struct msg_pipe *p = io->pipe;

	p->in_start += p->consume;
	p->consume = 0;
	if (next_line(io, m))
		return 1;
	if (p->eof)
		return last_line(io, m);
	return 0;
}

static int pipe_wait(struct msg_io *io, int slice_ms)
{
	struct msg_pipe *p = io->pipe;
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int rc = poll(&pfd, 1, slice_ms);

	if (rc < 0) {
		if (errno == EINTR)
			return 1;
		return log_error_errno("cannot poll '%s'", io->endpoint);
	}
	if (rc == 0)
		return 0;
	return read_more(io) < 0 ? -1 : 1;
}

static int write_line(struct msg_io *io, const char *data, size_t len)
{
	struct msg_pipe *p = io->pipe;
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
		ssize_t n = writev(p->fd, v, nv);

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
		if (msg_io_stopping(io)) {
			/* Half a line out: the stream is broken from here. */
			if (written)
				p->write_err = ECANCELED;
			errno = ECANCELED;
			return -1;
		}
		if (errno != EINTR) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLOUT };

			if (poll(&pfd, 1, MSG_SLICE_MS) < 0 && errno != EINTR)
				break;
		}
	}
	p->write_err = errno;
	return log_error_errno("cannot write to '%s'", io->endpoint);
}

static int pipe_send(struct msg_io *io, const char *topic, const char *data,
		     size_t len)
{
	struct msg_pipe *p = io->pipe;
	int rc;

	(void)topic; /* NDJSON has no topic */
	if (p->write_err) {
		errno = p->write_err;
		return -1;
	}
	rc = write_line(io, data, len);
	if (rc == 0)
		metric_inc(io->m_sent);
	return rc;
}

static int pipe_fd(const struct msg_io *io)
{
	return io->pipe->fd;
}

static int pipe_endpoint(const struct msg_io *io, char *out, size_t len)
{
	(void)io;
	snprintf(out, len, "-");
	return 0;
}

static int pipe_close(struct msg_io *io)
{
	struct msg_pipe *p = io->pipe;
	int rc = p->write_err ? -1 : 0;

	buf_release(&p->in);
	free(p);
	io->pipe = NULL;
	return rc;
}

static const struct msg_transport pipe_transport = {
	pipe_take, pipe_wait, pipe_send, pipe_fd, pipe_endpoint, pipe_close,
};

int msg_pipe_open(struct msg_io *io, int fd)
{
	struct msg_pipe *p = calloc(1, sizeof(*p));
	struct stat st;

	if (!p)
		return log_error("cannot open '%s': out of memory",
				 io->endpoint);
	p->fd = fd;
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, PIPE_ROOM); /* best effort */
	/* Room for a partial line of max_msg plus "\r" and one read. */
	buf_init(&p->in, io->max_msg + 2 + MSG_READ_CHUNK);
	io->pipe = p;
	io->t = &pipe_transport;
	return 0;
}
