/* Message I/O: one interface over NDJSON on stdio and ZeroMQ sockets.
 *
 * An endpoint string chooses the transport:
 *   "-"                 stdin (input) or stdout (output), one JSON object a
 *                       line
 *   "tcp://HOST:PORT", "ipc://PATH"
 *                       ZeroMQ; a leading '@' binds and '>' connects (as in
 *                       CZMQ). Without one, outputs (PUSH, PUB) bind and
 *                       inputs (PULL, SUB) connect.
 * Several endpoints may be given separated by commas (one socket bound or
 * connected to each).
 *
 * Kinds of socket: PUSH/PULL carry one frame per message; PUB/SUB carry
 * three frames, [topic, json, counter] where counter is a 4-byte
 * little-endian sequence kept per topic by the publisher (as Bitcoin
 * Core's ZMQ notifications do). PUSH sets ZMQ_IMMEDIATE so nothing is
 * queued for a peer that never finished connecting; sends block when the
 * high-water mark is reached (back-pressure, never a drop) but wake up to
 * check the stop flag. PUB never blocks (ZeroMQ drops at its high-water
 * mark: subscribers see it in the counter). Closing lingers at most
 * linger_ms.
 *
 * Messages received are owned by the msg_io and valid until the next
 * msg_recv or msg_close. */
#ifndef MSG_H
#define MSG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

enum msg_kind { MSG_IN, MSG_OUT, MSG_PUB, MSG_SUB };

struct msg_opts {
	enum msg_kind kind;  /* MSG_IN: stdin or PULL; MSG_OUT: stdout or PUSH */
	const char *endpoint;
	const char *const *topics; /* MSG_SUB: prefixes, NULL-terminated;
				      NULL = everything */
	int hwm;             /* high-water mark; default 1000 */
	long long linger_ms; /* default 2000 */
	size_t max_msg;      /* largest message accepted; default 64 MiB */
	volatile sig_atomic_t *stop; /* optional: blocking calls return when set */
};

#define MSG_OPTS_INIT { MSG_IN, "-", NULL, 1000, 2000, (size_t)64 << 20, NULL }

struct msg {
	const char *data;   /* the JSON text, NUL-terminated, no newline */
	size_t len;
	const char *topic;  /* SUB: the topic frame, NUL-terminated; else NULL */
	uint32_t counter;   /* SUB: the counter frame */
	int has_counter;
};

struct msg_io;

/* Parse the endpoint and open. NULL on error with a log line naming the
 * endpoint and the reason (bad endpoint string, cannot bind). */
struct msg_io *msg_open(const struct msg_opts *opts);
/* Flush, linger (bounded), close. Sets *io to NULL. Returns 0, or -1 when
 * flushing stdout failed (a full disk, a closed pipe). */
int msg_close(struct msg_io **io);

/* Receive one message, waiting at most timeout_ms (-1: until a message,
 * EOF or stop). Returns 1 with *m filled, 0 on timeout or stop, -1 at end
 * of input (stdin EOF) or on error. A line longer than max_msg is
 * skipped with a log line and counted (msg_oversize), never truncated.
 * Blank lines are skipped. */
int msg_recv(struct msg_io *io, struct msg *m, int timeout_ms);

/* Send one message. topic is used by PUB (ignored otherwise); the
 * counter for the topic is kept here. Blocks on back-pressure (PUSH, a
 * full pipe) until sent or the stop flag is set. Returns 0, or -1 (stop
 * requested, or a write error such as EPIPE; errno says which). */
int msg_send(struct msg_io *io, const char *topic, const char *data,
	     size_t len);

/* The file descriptor to poll for input readiness (stdin, or ZMQ_FD;
 * note ZMQ_FD is edge-triggered: always call msg_recv with timeout 0
 * until it returns 0). -1 if none. */
int msg_fd(const struct msg_io *io);

/* Is this endpoint stdio? */
int msg_is_stdio(const struct msg_io *io);

/* Exposed for tests: split "@tcp://*:5555,>ipc:///tmp/x" into its
 * parts. Returns the number of endpoints (at most max), or -1 when one is
 * malformed. bind[i] is 1 for bind, 0 for connect, -1 when unstated. Each
 * addr[i] is malloc'd (free them). */
int msg_parse_endpoints(const char *spec, char **addr, int *bind, int max);

#endif
