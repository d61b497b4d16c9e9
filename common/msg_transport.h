/* Inside a msg_io (common/msg.h), shared by the API and its two
 * transports and by nothing else: common/msg.c (the API: endpoints,
 * options, metrics, the one wait loop of msg_recv), common/msg_zmq.c
 * (ZeroMQ PUSH/PULL/PUB/SUB sockets) and common/msg_pipe.c (NDJSON on a
 * pair of file descriptors, stdin and stdout for "-").
 *
 * A msg_io has exactly one transport: t points to its operations and
 * either zmq or pipe to its state, which the transport allocates when it
 * opens and frees in its close. */
#ifndef MSG_TRANSPORT_H
#define MSG_TRANSPORT_H

#include <signal.h>
#include <stddef.h>

#include "msg.h"

/* The longest wait between two looks at the stop flag. */
#define MSG_SLICE_MS 100

struct metric;
struct msg_zmq;
struct msg_pipe;

struct msg_transport {
	/* One message without waiting: 1 with *m filled, 0 none there yet,
	 * 2 one was skipped (logged and counted: look again), -1 at the end
	 * of input (errno 0) or on error (logged, errno set). */
	int (*take)(struct msg_io *io, struct msg *m);
	/* Wait at most slice_ms (0: do not wait) for input: 1 something
	 * may have come, or the wait was interrupted (look again), 0 nothing
	 * came, -1 on error (logged). */
	int (*wait)(struct msg_io *io, int slice_ms);
	/* msg_send() once the kind and the size are checked. */
	int (*send)(struct msg_io *io, const char *topic, const char *data,
		    size_t len);
	/* msg_fd() and msg_endpoint() for this transport. */
	int (*fd)(const struct msg_io *io);
	int (*endpoint)(const struct msg_io *io, char *out, size_t len);
	/* Close and free the transport's state: 0, or -1 when what was
	 * written could not all be (msg_close()'s result). */
	int (*close)(struct msg_io *io);
};

struct msg_io {
	enum msg_kind kind;
	int hwm;
	int linger_ms;
	size_t max_msg;
	volatile sig_atomic_t *stop;
	char *endpoint;          /* as given, for log lines */

	const struct msg_transport *t;
	struct msg_zmq *zmq;     /* ZeroMQ's state, or NULL */
	struct msg_pipe *pipe;   /* the pipe's state, or NULL */

	struct metric *m_sent, *m_received, *m_dropped;
	struct metric *m_oversize, *m_frames, *m_counter, *m_empty;
};

/* Open io's ZeroMQ socket (common/msg_zmq.c) of the kind io says, bound
 * or connected to addr[0..n) (bind[i] as msg_parse_endpoints() gives
 * it), subscribed to topics for MSG_SUB. 0, or -1 with a log line and
 * nothing left open. */
int msg_zmq_open(struct msg_io *io, char *const *addr, const int *bind,
		 int n, const char *const *topics);
/* Make io NDJSON on fd (common/msg_pipe.c): read for MSG_IN and MSG_SUB,
 * written for MSG_OUT and MSG_PUB; fd stays the caller's. 0, or -1 (out
 * of memory, logged). */
int msg_pipe_open(struct msg_io *io, int fd);

/* For the transports (common/msg.c): */
/* Is io's stop flag set? */
int msg_io_stopping(const struct msg_io *io);
/* Log and count a message over max_msg, skipped. */
void msg_io_oversize(struct msg_io *io);
/* Hand data[0..len) out as the message received, NUL-terminating it in
 * place (data[len] must be writable), and count it. */
void msg_io_hand_out(struct msg_io *io, struct msg *m, char *data,
		     size_t len);

#endif
