/* Message I/O: one interface over NDJSON on stdio and ZeroMQ sockets.
 *
 * An endpoint string chooses the transport:
 *   "-"                 stdin (input) or stdout (output), one JSON object a
 *                       line
 *   "tcp://HOST:PORT", "ipc://PATH", "inproc://NAME"
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
 * msg_recv or msg_close.
 *
 * "-" reads stdin for MSG_IN and MSG_SUB (no topic, no counter) and
 * writes stdout for MSG_OUT and MSG_PUB (the topic is dropped); it cannot
 * be mixed with other endpoints. Every msg_io on ZeroMQ shares one
 * context, created by the first msg_open and terminated by the last
 * msg_close (so inproc:// works between msg_ios of one process, and the
 * last close waits for every socket's linger). A msg_io is used by one
 * thread at a time. Writing to a closed pipe raises SIGPIPE unless it is
 * ignored: call sig_init() first (then it is an EPIPE error).
 *
 * In msg_opts, hwm <= 0 and max_msg 0 mean the defaults (1000, 64 MiB;
 * never ZeroMQ's "no limit"), and so does a negative linger_ms (2000;
 * never ZeroMQ's "forever"); linger_ms 0 drops what is unsent at close.
 * A ZeroMQ message over max_msg is skipped after receipt (logged and
 * counted); only a frame over 2 * max_msg + 1 MiB is refused by ZeroMQ
 * itself (ZMQ_MAXMSGSIZE, to bound memory): it disconnects that peer
 * without a word, for good when our side connected. */
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
 * of input (stdin EOF, errno 0) or on error (logged, errno set). A line
 * longer than max_msg is skipped with a log line and counted
 * (msg_invalid_total{reason="oversize"}), never truncated. Blank lines
 * are skipped.
 * Details: when the stop flag is already set it returns 0 at once; while
 * waiting it looks at the flag at least every 100 ms. On stdin a '\r'
 * before the '\n' is dropped, lines of only blanks are skipped, and an
 * unterminated last line is returned before the -1. Skipped messages are
 * counted in msg_invalid_total{reason=...} (see msg_set_metrics):
 * "oversize" (more than max_msg bytes), "frames" (a SUB message that is
 * not three frames, a PULL message of more than one), "counter" (a
 * counter frame that is not 4 bytes), "empty" (a zero-length frame). */
int msg_recv(struct msg_io *io, struct msg *m, int timeout_ms);

/* Send one message. topic is used by PUB (ignored otherwise); the
 * counter for the topic is kept here. Blocks on back-pressure (PUSH, a
 * full pipe) until sent or the stop flag is set. Returns 0, or -1 (stop
 * requested, or a write error such as EPIPE; errno says which).
 * Details: the message is always tried once, so a stopping program can
 * still drain what it holds; only waiting is cut short, with errno
 * ECANCELED. PUB requires a topic (EINVAL otherwise), never waits, and
 * returns 0 even when ZeroMQ drops the message at the high-water mark
 * (counted in msg_pub_dropped_total when it tells us; the topic's counter
 * advances either way, so subscribers see the gap). On stdout data must
 * not contain a newline (EINVAL); after a write error every later send
 * fails at once. A message over max_msg is refused (EMSGSIZE). */
int msg_send(struct msg_io *io, const char *topic, const char *data,
	     size_t len);

/* The file descriptor to poll for input readiness (stdin, or ZMQ_FD;
 * note ZMQ_FD is edge-triggered: always call msg_recv with timeout 0
 * until it returns 0). -1 if none. stdin is read in large chunks, so
 * the same rule holds there: lines may wait in the msg_io's buffer. */
int msg_fd(const struct msg_io *io);

/* Is this endpoint stdio? */
int msg_is_stdio(const struct msg_io *io);

/* Exposed for tests: split "@tcp://0.0.0.0:5555,>ipc:///tmp/x" into its
 * parts. Returns the number of endpoints (at most max), or -1 when one is
 * malformed. bind[i] is 1 for bind, 0 for connect, -1 when unstated. Each
 * addr[i] is malloc'd (free them). */
int msg_parse_endpoints(const char *spec, char **addr, int *bind, int max);

/* As msg_open with the endpoint "-", on the given descriptors instead of
 * stdin/stdout: in_fd is read for MSG_IN and MSG_SUB, out_fd written for
 * MSG_OUT and MSG_PUB (the other is ignored). The descriptors stay the
 * caller's: msg_close does not close them. For tests and embedding. */
struct msg_io *msg_open_fds(const struct msg_opts *opts, int in_fd,
			    int out_fd);

/* The endpoint the socket bound or connected last, as ZeroMQ resolved
 * it: the real port when bound to port '*' ("tcp://127.0.0.1:41234");
 * "-" for stdio. Returns 0, or -1 when there is none. */
int msg_endpoint(const struct msg_io *io, char *out, size_t len);

struct metrics;
/* Count this msg_io's traffic in m, labelled io="name":
 * msg_sent_total (OUT, PUB), msg_received_total and
 * msg_invalid_total{reason=...} (IN, SUB), msg_pub_dropped_total (PUB).
 * m must outlive io. */
void msg_set_metrics(struct msg_io *io, struct metrics *m, const char *name);

#endif
