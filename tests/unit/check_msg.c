/* msg: endpoint strings parse or are refused with a reason; PUSH/PULL
 * keeps order, carries 10 MB, and pushes back (a blocked sender is freed
 * by the stop flag); PUB/SUB sends three frames with one counter per
 * topic and filters by prefix, and a subscriber survives a publisher that
 * does not follow the format; NDJSON on pipes handles CRLF, blank lines,
 * over-long lines, an unterminated last line, EOF, timeouts, the stop
 * flag and a closed pipe. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "metrics.h"
#include "msg.h"

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Set *flag after a delay, from another thread. */
struct later {
	volatile sig_atomic_t *flag;
	int ms;
	pthread_t t;
};

static void *later_run(void *arg)
{
	struct later *l = arg;

	sleep_ms(l->ms);
	*l->flag = 1;
	return NULL;
}

static void later_start(struct later *l, volatile sig_atomic_t *flag, int ms)
{
	l->flag = flag;
	l->ms = ms;
	ck_assert_int_eq(pthread_create(&l->t, NULL, later_run, l), 0);
}

static void later_join(struct later *l)
{
	pthread_join(l->t, NULL);
}

static double counter(struct metrics *m, const char *name,
		      const char *labels)
{
	return metric_value(metrics_counter(m, name, NULL, labels));
}

/* ---- endpoint strings ---- */

static const struct {
	const char *spec;
	int n;
	const char *addr[3];
	int bind[3];
} good_specs[] = {
	{ "-", 1, { "-" }, { -1 } },
	{ "tcp://127.0.0.1:5555", 1, { "tcp://127.0.0.1:5555" }, { -1 } },
	{ "@tcp://*:5555", 1, { "tcp://*:5555" }, { 1 } },
	{ ">ipc:///tmp/x", 1, { "ipc:///tmp/x" }, { 0 } },
	{ "inproc://a", 1, { "inproc://a" }, { -1 } },
	{ "tcp://[::1]:5555", 1, { "tcp://[::1]:5555" }, { -1 } },
	{ "@tcp://*:5555,>ipc:///tmp/x", 2,
	  { "tcp://*:5555", "ipc:///tmp/x" }, { 1, 0 } },
	{ " @tcp://a:1 , tcp://b:2,\t>inproc://c", 3,
	  { "tcp://a:1", "tcp://b:2", "inproc://c" }, { 1, -1, 0 } },
};

START_TEST(test_parse_good)
{
	char *addr[3] = { NULL, NULL, NULL };
	int bind[3], n, i;

	n = msg_parse_endpoints(good_specs[_i].spec, addr, bind, 3);
	ck_assert_int_eq(n, good_specs[_i].n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(addr[i], good_specs[_i].addr[i]);
		ck_assert_int_eq(bind[i], good_specs[_i].bind[i]);
		free(addr[i]);
	}
}
END_TEST

static const char *const bad_specs[] = {
	"",
	",",
	"tcp://a:1,",
	",tcp://a:1",
	"tcp://a:1,,tcp://b:2",
	"tcp://a:1, ,tcp://b:2",
	"@",
	">",
	"@-",
	">-",
	"--",
	"-,tcp://a:1",
	"tcp://a:1,-",
	"http://a:1",
	"TCP://a:1",
	"a:1",
	"tcp://",
	"tcp://host",
	"tcp://:5555",
	"tcp://host:",
	"ipc://",
	"inproc://",
	"@@tcp://a:1",
	"tcp://a:1,tcp://b:2,tcp://c:3,tcp://d:4",
};

START_TEST(test_parse_bad)
{
	char *addr[3] = { NULL, NULL, NULL };
	int bind[3];

	ck_assert_msg(msg_parse_endpoints(bad_specs[_i], addr, bind, 3) == -1,
		      "'%s' accepted", bad_specs[_i]);
	ck_assert_ptr_null(addr[0]);
	ck_assert_ptr_null(addr[1]);
	ck_assert_ptr_null(addr[2]);
	ck_assert_int_eq(msg_parse_endpoints(NULL, addr, bind, 3), -1);
}
END_TEST

START_TEST(test_open_bad)
{
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *a, *b;
	char ep[256];

	o.endpoint = "nope://x";
	ck_assert_ptr_null(msg_open(&o));
	o.kind = MSG_OUT;
	o.endpoint = "tcp://256.1.1.1:5555";
	ck_assert_ptr_null(msg_open(&o));
	o.kind = MSG_IN;
	o.endpoint = "tcp://127.0.0.1:notaport";
	ck_assert_ptr_null(msg_open(&o));
	o.kind = (enum msg_kind)42;
	o.endpoint = "-";
	ck_assert_ptr_null(msg_open(&o));
	/* A port bound twice. */
	o.kind = MSG_OUT;
	o.linger_ms = 0;
	o.endpoint = "@tcp://127.0.0.1:*";
	a = msg_open(&o);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(msg_endpoint(a, ep, sizeof(ep)), 0);
	o.endpoint = ep;
	b = msg_open(&o);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(msg_close(&a), 0);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(msg_close(&a), 0);
}
END_TEST

/* ---- PUSH/PULL ---- */

static void open_pair(struct msg_io **out, struct msg_io **in, int hwm,
		      size_t max_in, volatile sig_atomic_t *stop)
{
	struct msg_opts o = MSG_OPTS_INIT;
	char ep[256], conn[300];

	o.kind = MSG_OUT;
	o.endpoint = "@tcp://127.0.0.1:*";
	o.hwm = hwm;
	o.linger_ms = 0;
	o.stop = stop;
	*out = msg_open(&o);
	ck_assert_ptr_nonnull(*out);
	ck_assert_int_eq(msg_endpoint(*out, ep, sizeof(ep)), 0);
	ck_assert_msg(!strncmp(ep, "tcp://127.0.0.1:", 16), "%s", ep);
	snprintf(conn, sizeof(conn), ">%s", ep);
	o.kind = MSG_IN;
	o.endpoint = conn;
	o.max_msg = max_in;
	o.stop = NULL; /* the flag is the sender's */
	*in = msg_open(&o);
	ck_assert_ptr_nonnull(*in);
}

START_TEST(test_push_pull_order)
{
	struct metrics *m = metrics_new("test");
	struct msg_io *out, *in;
	struct msg msg;
	char text[64];
	int i, n;

	open_pair(&out, &in, 1000, 0, NULL);
	ck_assert_int_eq(msg_is_stdio(out), 0);
	ck_assert_int_ge(msg_fd(in), 0);
	ck_assert_int_eq(msg_fd(out), -1);
	msg_set_metrics(out, m, "out");
	msg_set_metrics(in, m, "in");
	for (i = 0; i < 500; i++) {
		n = snprintf(text, sizeof(text), "{\"i\":%d}", i);
		ck_assert_int_eq(msg_send(out, NULL, text, (size_t)n), 0);
	}
	for (i = 0; i < 500; i++) {
		n = snprintf(text, sizeof(text), "{\"i\":%d}", i);
		ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
		ck_assert_uint_eq(msg.len, (size_t)n);
		ck_assert_str_eq(msg.data, text);
		ck_assert_ptr_null(msg.topic);
		ck_assert_int_eq(msg.has_counter, 0);
	}
	/* Nothing more: a timeout. */
	ck_assert_int_eq(msg_recv(in, &msg, 0), 0);
	ck_assert_int_eq(msg_recv(in, &msg, 50), 0);
	ck_assert_double_eq(counter(m, "msg_sent_total", "io=\"out\""), 500);
	ck_assert_double_eq(counter(m, "msg_received_total", "io=\"in\""),
			    500);
	/* The wrong direction is refused. */
	ck_assert_int_eq(msg_recv(out, &msg, 0), -1);
	ck_assert_int_eq(msg_send(in, NULL, "{}", 2), -1);
	ck_assert_int_eq(msg_close(&in), 0);
	ck_assert_int_eq(msg_close(&out), 0);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_push_pull_large)
{
	size_t big = (size_t)10 << 20;
	char *data = malloc(big);
	struct msg_io *out, *in;
	struct msg msg;

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	open_pair(&out, &in, 10, 0, NULL);
	ck_assert_int_eq(msg_send(out, NULL, data, big), 0);
	ck_assert_int_eq(msg_send(out, NULL, "{}", 2), 0);
	ck_assert_int_eq(msg_recv(in, &msg, 10000), 1);
	ck_assert_uint_eq(msg.len, big);
	ck_assert(!memcmp(msg.data, data, big));
	ck_assert_int_eq(msg.data[big], '\0');
	ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
	ck_assert_str_eq(msg.data, "{}");
	msg_close(&in);
	msg_close(&out);
	free(data);
}
END_TEST

START_TEST(test_max_msg)
{
	struct metrics *m = metrics_new("test");
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *out, *in;
	char *data = calloc(1, 2000);
	struct msg msg;

	/* Refused at the sender... */
	o.kind = MSG_OUT;
	o.endpoint = "@inproc://max";
	o.max_msg = 1000;
	out = msg_open(&o);
	ck_assert_ptr_nonnull(out);
	errno = 0;
	ck_assert_int_eq(msg_send(out, NULL, data, 2000), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	msg_close(&out);
	free(data);
	/* ... and skipped by a receiver with a smaller limit, with a log
	 * line and a count; what comes next still arrives. */
	open_pair(&out, &in, 10, 1000, NULL);
	msg_set_metrics(in, m, "in");
	data = calloc(1, 1500);
	ck_assert_ptr_nonnull(data);
	memset(data, 'z', 1499);
	ck_assert_int_eq(msg_send(out, NULL, data, 1001), 0);
	ck_assert_int_eq(msg_send(out, NULL, data, 1000), 0);
	ck_assert_int_eq(msg_send(out, NULL, "{}", 2), 0);
	ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
	ck_assert_uint_eq(msg.len, 1000);
	ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
	ck_assert_str_eq(msg.data, "{}");
	ck_assert_double_eq(counter(m, "msg_invalid_total",
				    "io=\"in\",reason=\"oversize\""), 1);
	free(data);
	msg_close(&in);
	msg_close(&out);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_inproc_and_ipc)
{
	char dir[] = "/tmp/check_msg_XXXXXX", ep[320], path[300];
	const char *eps[2] = { "inproc://check-msg", NULL };
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *out, *in;
	struct msg msg;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	eps[1] = ep;
	for (int i = 0; i < 2; i++) {
		o.kind = MSG_OUT;
		o.endpoint = eps[i];
		o.linger_ms = 0;
		out = msg_open(&o);
		ck_assert_ptr_nonnull(out);
		o.kind = MSG_IN;
		in = msg_open(&o);
		ck_assert_ptr_nonnull(in);
		ck_assert_int_eq(msg_send(out, NULL, "{\"a\":1}", 7), 0);
		ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
		ck_assert_str_eq(msg.data, "{\"a\":1}");
		msg_close(&in);
		msg_close(&out);
	}
	unlink(path);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(test_push_blocks_without_peer)
{
	volatile sig_atomic_t stop = 0;
	struct msg_opts o = MSG_OPTS_INIT;
	struct later l;
	struct msg_io *out;
	long long t0;

	/* ZMQ_IMMEDIATE: nothing is queued before a peer is connected. */
	o.kind = MSG_OUT;
	o.endpoint = "@tcp://127.0.0.1:*";
	o.linger_ms = 0;
	o.stop = &stop;
	out = msg_open(&o);
	ck_assert_ptr_nonnull(out);
	t0 = ms_now();
	later_start(&l, &stop, 300);
	errno = 0;
	ck_assert_int_eq(msg_send(out, NULL, "{}", 2), -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_int_ge(ms_now() - t0, 250);
	ck_assert_int_lt(ms_now() - t0, 3000);
	later_join(&l);
	/* With the flag still set, a send that cannot go returns soon. */
	t0 = ms_now();
	ck_assert_int_eq(msg_send(out, NULL, "{}", 2), -1);
	ck_assert_int_lt(ms_now() - t0, 1000);
	ck_assert_int_eq(msg_close(&out), 0);
}
END_TEST

START_TEST(test_push_back_pressure)
{
	volatile sig_atomic_t stop = 0;
	size_t size = 256 << 10;
	char *data = malloc(size + 32);
	struct msg_io *out, *in;
	struct later l;
	struct msg msg;
	int sent, i, rc = 0;

	ck_assert_ptr_nonnull(data);
	memset(data, 'x', size);
	open_pair(&out, &in, 1, 0, &stop);
	/* The receiver does not read: the sender must end up blocked, and
	 * only the stop flag frees it. */
	later_start(&l, &stop, 1500);
	for (sent = 0; sent < 2000; sent++) {
		int n = snprintf(data, 32, "%08d", sent);

		data[n] = 'x';
		rc = msg_send(out, NULL, data, size);
		if (rc < 0)
			break;
	}
	later_join(&l);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_int_lt(sent, 2000);
	ck_assert_int_gt(sent, 0);
	/* Everything sent arrives, in order. */
	for (i = 0; i < sent; i++) {
		char want[16];

		snprintf(want, sizeof(want), "%08d", i);
		ck_assert_msg(msg_recv(in, &msg, 5000) == 1, "%d of %d", i, sent);
		ck_assert_uint_eq(msg.len, size);
		ck_assert(!strncmp(msg.data, want, 8));
	}
	/* And sending works again once the receiver reads. */
	stop = 0;
	ck_assert_int_eq(msg_send(out, NULL, "{}", 2), 0);
	ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
	ck_assert_str_eq(msg.data, "{}");
	msg_close(&in);
	msg_close(&out);
	free(data);
}
END_TEST

START_TEST(test_recv_stop)
{
	volatile sig_atomic_t stop = 0;
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *in;
	struct later l;
	struct msg msg;
	long long t0;

	o.kind = MSG_IN;
	o.endpoint = "@tcp://127.0.0.1:*";
	o.stop = &stop;
	in = msg_open(&o);
	ck_assert_ptr_nonnull(in);
	t0 = ms_now();
	later_start(&l, &stop, 200);
	ck_assert_int_eq(msg_recv(in, &msg, -1), 0);
	ck_assert_int_ge(ms_now() - t0, 150);
	ck_assert_int_lt(ms_now() - t0, 2000);
	later_join(&l);
	/* Already set: at once. */
	ck_assert_int_eq(msg_recv(in, &msg, -1), 0);
	msg_close(&in);
}
END_TEST

/* ---- PUB/SUB ---- */

static struct msg_io *open_sub(const char *ep, const char *const *topics)
{
	struct msg_opts o = MSG_OPTS_INIT;
	char conn[300];
	struct msg_io *io;

	snprintf(conn, sizeof(conn), ">%s", ep);
	o.kind = MSG_SUB;
	o.endpoint = conn;
	o.topics = topics;
	io = msg_open(&o);
	ck_assert_ptr_nonnull(io);
	return io;
}

/* Publish on "sync" topics until every subscriber has seen one (the
 * subscriptions have reached the publisher). */
static void sync_subs(struct msg_io *pub, struct msg_io **subs, int n)
{
	int got[8] = { 0 }, left = n;
	struct msg msg;

	for (int round = 0; left && round < 500; round++) {
		ck_assert_int_eq(msg_send(pub, "block.sync", "{}", 2), 0);
		for (int i = 0; i < n; i++) {
			if (!got[i] && msg_recv(subs[i], &msg, 10) == 1) {
				got[i] = 1;
				left--;
			}
		}
	}
	ck_assert_int_eq(left, 0);
}

static int recv_skip_sync(struct msg_io *sub, struct msg *msg)
{
	int rc;

	do
		rc = msg_recv(sub, msg, 2000);
	while (rc == 1 && !strcmp(msg->topic, "block.sync"));
	return rc;
}

START_TEST(test_pub_sub)
{
	static const char *const filter[] = { "block", "reorg", NULL };
	static const char *const topics[] = { "block", "reorg", "heartbeat" };
	struct metrics *m = metrics_new("test");
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *pub, *subs[2];
	struct msg msg;
	char ep[256], text[64];
	int i, t;

	o.kind = MSG_PUB;
	o.endpoint = "tcp://127.0.0.1:*"; /* PUB binds by default */
	o.linger_ms = 0;
	pub = msg_open(&o);
	ck_assert_ptr_nonnull(pub);
	msg_set_metrics(pub, m, "pub");
	ck_assert_int_eq(msg_endpoint(pub, ep, sizeof(ep)), 0);
	subs[0] = open_sub(ep, filter);
	subs[1] = open_sub(ep, NULL);
	sync_subs(pub, subs, 2);

	for (i = 0; i < 3; i++) {
		for (t = 0; t < 3; t++) {
			int n = snprintf(text, sizeof(text),
					 "{\"t\":\"%s\",\"i\":%d}", topics[t], i);

			ck_assert_int_eq(msg_send(pub, topics[t], text,
						  (size_t)n), 0);
		}
	}
	/* The filtered subscriber: block and reorg, counters 0, 1, 2 each. */
	for (i = 0; i < 3; i++) {
		for (t = 0; t < 2; t++) {
			snprintf(text, sizeof(text), "{\"t\":\"%s\",\"i\":%d}",
				 topics[t], i);
			ck_assert_int_eq(recv_skip_sync(subs[0], &msg), 1);
			ck_assert_str_eq(msg.topic, topics[t]);
			ck_assert_str_eq(msg.data, text);
			ck_assert_int_eq(msg.has_counter, 1);
			ck_assert_uint_eq(msg.counter, (uint32_t)i);
		}
	}
	ck_assert_int_eq(msg_recv(subs[0], &msg, 200), 0);
	/* Everything for the other, heartbeat included. */
	for (i = 0; i < 3; i++) {
		for (t = 0; t < 3; t++) {
			snprintf(text, sizeof(text), "{\"t\":\"%s\",\"i\":%d}",
				 topics[t], i);
			ck_assert_int_eq(recv_skip_sync(subs[1], &msg), 1);
			ck_assert_str_eq(msg.topic, topics[t]);
			ck_assert_str_eq(msg.data, text);
			ck_assert_uint_eq(msg.counter, (uint32_t)i);
		}
	}
	ck_assert_int_eq(msg_recv(subs[1], &msg, 200), 0);
	ck_assert_double_ge(counter(m, "msg_sent_total", "io=\"pub\""), 10);
	ck_assert_double_eq(counter(m, "msg_pub_dropped_total", "io=\"pub\""),
			    0);
	/* PUB needs a topic; it never waits. */
	errno = 0;
	ck_assert_int_eq(msg_send(pub, NULL, "{}", 2), -1);
	ck_assert_int_eq(errno, EINVAL);
	msg_close(&subs[0]);
	msg_close(&subs[1]);
	msg_close(&pub);
	metrics_destroy(&m);
}
END_TEST

/* The frames on the wire, read by a plain ZeroMQ subscriber. */
START_TEST(test_pub_frames)
{
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *pub;
	void *ctx = zmq_ctx_new(), *sub;
	char ep[256], frame[64];
	int synced = 0, i, n, linger = 0;
	uint32_t last = 0;

	o.kind = MSG_PUB;
	o.endpoint = "@tcp://127.0.0.1:*";
	o.linger_ms = 0;
	pub = msg_open(&o);
	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(msg_endpoint(pub, ep, sizeof(ep)), 0);
	sub = zmq_socket(ctx, ZMQ_SUB);
	zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof(linger));
	ck_assert_int_eq(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
	ck_assert_int_eq(zmq_connect(sub, ep), 0);
	for (i = 0; i < 500 && !synced; i++) {
		zmq_pollitem_t it = { .socket = sub, .events = ZMQ_POLLIN };

		ck_assert_int_eq(msg_send(pub, "sync", "{}", 2), 0);
		synced = zmq_poll(&it, 1, 10) == 1;
	}
	ck_assert(synced);
	for (i = 0; i < 260; i++)
		ck_assert_int_eq(msg_send(pub, "le", "{\"x\":1}", 7), 0);
	for (;;) {
		int more;
		size_t ml = sizeof(more);

		n = zmq_recv(sub, frame, sizeof(frame), 0);
		ck_assert_int_ge(n, 0);
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		ck_assert(more);
		if (n == 4 && !memcmp(frame, "sync", 4)) {
			ck_assert_int_eq(zmq_recv(sub, frame, sizeof(frame), 0), 2);
			ck_assert_int_eq(zmq_recv(sub, frame, sizeof(frame), 0), 4);
			continue;
		}
		ck_assert_int_eq(n, 2);
		ck_assert(!memcmp(frame, "le", 2));
		ck_assert_int_eq(zmq_recv(sub, frame, sizeof(frame), 0), 7);
		ck_assert(!memcmp(frame, "{\"x\":1}", 7));
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		ck_assert(more);
		ck_assert_int_eq(zmq_recv(sub, frame, sizeof(frame), 0), 4);
		zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
		ck_assert(!more);
		n = (unsigned char)frame[0] | (unsigned char)frame[1] << 8 |
		    (unsigned char)frame[2] << 16 |
		    (unsigned char)frame[3] << 24;
		ck_assert_uint_eq((uint32_t)n, last);
		if (++last == 260)
			break;
	}
	/* 259 = 0x103, little-endian on the wire. */
	ck_assert(!memcmp(frame, "\x03\x01\x00\x00", 4));
	zmq_close(sub);
	zmq_ctx_term(ctx);
	msg_close(&pub);
}
END_TEST

static void raw_send(void *s, const char *const *frames, const size_t *len,
		     int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_ge(zmq_send(s, frames[i], len[i],
					  i < n - 1 ? ZMQ_SNDMORE : 0), 0);
}

/* A publisher that does not follow the format: skipped, counted, no
 * crash; the good message after them still arrives. */
START_TEST(test_sub_bad_publisher)
{
	struct metrics *m = metrics_new("test");
	void *ctx = zmq_ctx_new(), *pub;
	struct msg_io *sub;
	struct msg msg;
	char ep[256];
	size_t eplen = sizeof(ep);
	int linger = 0, i, rc = 0;
	const char *sync[] = { "sync", "{}", "\0\0\0\0" };
	const size_t sync_len[] = { 4, 2, 4 };
	const char *one[] = { "t" };
	const size_t one_len[] = { 1 };
	const char *two[] = { "t", "{}" };
	const size_t two_len[] = { 1, 2 };
	const char *badc[] = { "t", "{}", "\1\0\0" };
	const size_t badc_len[] = { 1, 2, 3 };
	const char *four[] = { "t", "{}", "\1\0\0\0", "x" };
	const size_t four_len[] = { 1, 2, 4, 1 };
	const char *empty[] = { "t", "", "\1\0\0\0" };
	const size_t empty_len[] = { 1, 0, 4 };
	const char *good[] = { "t", "{\"ok\":1}", "\5\0\0\0" };
	const size_t good_len[] = { 1, 8, 4 };

	pub = zmq_socket(ctx, ZMQ_PUB);
	zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof(linger));
	ck_assert_int_eq(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
	zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, ep, &eplen);
	sub = open_sub(ep, NULL);
	msg_set_metrics(sub, m, "sub");
	for (i = 0; i < 500; i++) {
		raw_send(pub, sync, sync_len, 3);
		rc = msg_recv(sub, &msg, 10);
		if (rc == 1)
			break;
	}
	ck_assert_int_eq(rc, 1);
	raw_send(pub, one, one_len, 1);
	raw_send(pub, two, two_len, 2);
	raw_send(pub, badc, badc_len, 3);
	raw_send(pub, four, four_len, 4);
	raw_send(pub, empty, empty_len, 3);
	raw_send(pub, good, good_len, 3);
	do
		rc = msg_recv(sub, &msg, 2000);
	while (rc == 1 && !strcmp(msg.topic, "sync"));
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(msg.topic, "t");
	ck_assert_str_eq(msg.data, "{\"ok\":1}");
	ck_assert_uint_eq(msg.counter, 5);
	ck_assert_double_eq(
		counter(m, "msg_invalid_total", "io=\"sub\",reason=\"frames\""),
		3);
	ck_assert_double_eq(
		counter(m, "msg_invalid_total", "io=\"sub\",reason=\"counter\""),
		1);
	ck_assert_double_eq(
		counter(m, "msg_invalid_total", "io=\"sub\",reason=\"empty\""),
		1);
	msg_close(&sub);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	metrics_destroy(&m);
}
END_TEST

/* A PULL gets one frame a message; a multipart one is skipped. */
START_TEST(test_pull_multipart)
{
	struct metrics *m = metrics_new("test");
	struct msg_opts o = MSG_OPTS_INIT;
	void *ctx = zmq_ctx_new(), *push;
	struct msg_io *in;
	struct msg msg;
	char ep[256], conn[300];
	int linger = 0;
	const char *two[] = { "{}", "{}" };
	const size_t two_len[] = { 2, 2 };
	const char *ok[] = { "{\"ok\":1}" };
	const size_t ok_len[] = { 8 };

	o.kind = MSG_IN;
	o.endpoint = "@tcp://127.0.0.1:*";
	in = msg_open(&o);
	ck_assert_ptr_nonnull(in);
	msg_set_metrics(in, m, "in");
	ck_assert_int_eq(msg_endpoint(in, ep, sizeof(ep)), 0);
	push = zmq_socket(ctx, ZMQ_PUSH);
	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
	snprintf(conn, sizeof(conn), "%s", ep);
	ck_assert_int_eq(zmq_connect(push, conn), 0);
	raw_send(push, two, two_len, 2);
	raw_send(push, ok, ok_len, 1);
	ck_assert_int_eq(msg_recv(in, &msg, 5000), 1);
	ck_assert_str_eq(msg.data, "{\"ok\":1}");
	ck_assert_double_eq(
		counter(m, "msg_invalid_total", "io=\"in\",reason=\"frames\""),
		1);
	zmq_close(push);
	zmq_ctx_term(ctx);
	msg_close(&in);
	metrics_destroy(&m);
}
END_TEST

/* ---- stdio ---- */

static struct msg_io *open_in_fd(int fd, size_t max_msg,
				 volatile sig_atomic_t *stop)
{
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *io;

	o.kind = MSG_IN;
	o.max_msg = max_msg;
	o.stop = stop;
	io = msg_open_fds(&o, fd, -1);
	ck_assert_ptr_nonnull(io);
	ck_assert_int_eq(msg_is_stdio(io), 1);
	ck_assert_int_eq(msg_fd(io), fd);
	return io;
}

static void write_str(int fd, const char *s)
{
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void want_line(struct msg_io *io, const char *want)
{
	struct msg msg;

	ck_assert_int_eq(msg_recv(io, &msg, 2000), 1);
	ck_assert_str_eq(msg.data, want);
	ck_assert_uint_eq(msg.len, strlen(want));
	ck_assert_ptr_null(msg.topic);
}

START_TEST(test_stdin_lines)
{
	struct msg_io *io;
	struct msg msg;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	write_str(p[1], "a\r\n\n  \n\r\nb\n{\"x\":1}\r\n\t\nlast");
	close(p[1]);
	io = open_in_fd(p[0], 0, NULL);
	want_line(io, "a");
	want_line(io, "b");
	want_line(io, "{\"x\":1}");
	want_line(io, "last");
	errno = EIO;
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	ck_assert_int_eq(errno, 0); /* the end, not an error */
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	ck_assert_int_eq(msg_close(&io), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_stdin_unterminated_crlf)
{
	struct msg_io *io;
	struct msg msg;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	write_str(p[1], "x\ny\r");
	close(p[1]);
	io = open_in_fd(p[0], 0, NULL);
	want_line(io, "x");
	want_line(io, "y");
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	msg_close(&io);
	close(p[0]);
	/* Only blanks at the end, and nothing at all. */
	ck_assert_int_eq(pipe(p), 0);
	write_str(p[1], "z\n  ");
	close(p[1]);
	io = open_in_fd(p[0], 0, NULL);
	want_line(io, "z");
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	msg_close(&io);
	close(p[0]);
	ck_assert_int_eq(pipe(p), 0);
	close(p[1]);
	io = open_in_fd(p[0], 0, NULL);
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	msg_close(&io);
	close(p[0]);
}
END_TEST

START_TEST(test_stdin_oversize)
{
	struct metrics *m = metrics_new("test");
	struct msg_io *io;
	struct msg msg;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	write_str(p[1], "0123456789\n"      /* 10: fits */
			"0123456789A\n"     /* 11: skipped */
			"0123456789\r\n"    /* 10 and CR: fits */
			"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\n" /* skipped */
			"ok\n");
	close(p[1]);
	io = open_in_fd(p[0], 10, NULL);
	msg_set_metrics(io, m, "stdin");
	want_line(io, "0123456789");
	want_line(io, "0123456789");
	want_line(io, "ok");
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	ck_assert_double_eq(counter(m, "msg_invalid_total",
				    "io=\"stdin\",reason=\"oversize\""), 2);
	ck_assert_double_eq(counter(m, "msg_received_total", "io=\"stdin\""),
			    3);
	msg_close(&io);
	close(p[0]);
	metrics_destroy(&m);
}
END_TEST

/* An over-long line that arrives in pieces: skipped (once) to its end,
 * and the next line is delivered; one at EOF simply ends the input. */
START_TEST(test_stdin_oversize_split)
{
	struct metrics *m = metrics_new("test");
	char chunk[501];
	struct msg_io *io;
	struct msg msg;
	int p[2];

	memset(chunk, 'x', 500);
	chunk[500] = '\0';
	ck_assert_int_eq(pipe(p), 0);
	io = open_in_fd(p[0], 100, NULL);
	msg_set_metrics(io, m, "in");
	write_str(p[1], "first\n");
	write_str(p[1], chunk);
	want_line(io, "first");
	ck_assert_int_eq(msg_recv(io, &msg, 100), 0);
	write_str(p[1], chunk);
	ck_assert_int_eq(msg_recv(io, &msg, 100), 0);
	write_str(p[1], chunk);
	write_str(p[1], "\nnext\n");
	want_line(io, "next");
	ck_assert_double_eq(counter(m, "msg_invalid_total",
				    "io=\"in\",reason=\"oversize\""), 1);
	write_str(p[1], chunk);
	close(p[1]);
	ck_assert_int_eq(msg_recv(io, &msg, 1000), -1);
	ck_assert_double_eq(counter(m, "msg_invalid_total",
				    "io=\"in\",reason=\"oversize\""), 2);
	msg_close(&io);
	close(p[0]);
	metrics_destroy(&m);
}
END_TEST

struct writer {
	int fd;
	const char *data;
	size_t len;
	pthread_t t;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;
	size_t off = 0;

	while (off < w->len) {
		ssize_t n = write(w->fd, w->data + off, w->len - off);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(w->fd);
	return NULL;
}

START_TEST(test_stdin_large)
{
	size_t big = (size_t)3 << 20;
	char *data = malloc(big + 16);
	struct writer w;
	struct msg_io *io;
	struct msg msg;
	int p[2];

	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	memcpy(data + big, "\nsmall\n", 7);
	ck_assert_int_eq(pipe(p), 0);
	io = open_in_fd(p[0], 0, NULL);
	w.fd = p[1];
	w.data = data;
	w.len = big + 7;
	ck_assert_int_eq(pthread_create(&w.t, NULL, writer_run, &w), 0);
	ck_assert_int_eq(msg_recv(io, &msg, 10000), 1);
	ck_assert_uint_eq(msg.len, big);
	ck_assert(!memcmp(msg.data, data, big));
	ck_assert_int_eq(msg.data[big], '\0');
	want_line(io, "small");
	ck_assert_int_eq(msg_recv(io, &msg, 5000), -1);
	pthread_join(w.t, NULL);
	msg_close(&io);
	close(p[0]);
	free(data);
}
END_TEST

START_TEST(test_stdin_timeout_stop)
{
	volatile sig_atomic_t stop = 0;
	struct msg_io *io;
	struct later l;
	struct msg msg;
	long long t0;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	io = open_in_fd(p[0], 0, &stop);
	t0 = ms_now();
	ck_assert_int_eq(msg_recv(io, &msg, 0), 0);
	ck_assert_int_lt(ms_now() - t0, 50);
	t0 = ms_now();
	ck_assert_int_eq(msg_recv(io, &msg, 150), 0);
	ck_assert_int_ge(ms_now() - t0, 140);
	ck_assert_int_lt(ms_now() - t0, 1000);
	/* A partial line is no message yet. */
	write_str(p[1], "{\"a\":");
	ck_assert_int_eq(msg_recv(io, &msg, 50), 0);
	write_str(p[1], "1}\n");
	want_line(io, "{\"a\":1}");
	/* Waiting forever ends with the stop flag. */
	t0 = ms_now();
	later_start(&l, &stop, 200);
	ck_assert_int_eq(msg_recv(io, &msg, -1), 0);
	ck_assert_int_ge(ms_now() - t0, 150);
	ck_assert_int_lt(ms_now() - t0, 2000);
	later_join(&l);
	/* Set: 0 at once, even with input waiting. */
	write_str(p[1], "more\n");
	ck_assert_int_eq(msg_recv(io, &msg, -1), 0);
	stop = 0;
	want_line(io, "more");
	close(p[1]);
	ck_assert_int_eq(msg_recv(io, &msg, -1), -1);
	msg_close(&io);
	close(p[0]);
}
END_TEST

static struct msg_io *open_out_fd(int fd, volatile sig_atomic_t *stop)
{
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *io;

	o.kind = MSG_OUT;
	o.stop = stop;
	io = msg_open_fds(&o, -1, fd);
	ck_assert_ptr_nonnull(io);
	ck_assert_int_eq(msg_fd(io), -1);
	return io;
}

START_TEST(test_stdout)
{
	struct metrics *m = metrics_new("test");
	struct msg_io *io;
	char got[64];
	ssize_t n;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	io = open_out_fd(p[1], NULL);
	msg_set_metrics(io, m, "stdout");
	ck_assert_int_eq(msg_send(io, "ignored", "a", 1), 0);
	ck_assert_int_eq(msg_send(io, NULL, "{\"b\":2}", 7), 0);
	ck_assert_int_eq(msg_send(io, NULL, "", 0), 0);
	/* A newline would split the message in two. */
	errno = 0;
	ck_assert_int_eq(msg_send(io, NULL, "x\ny", 3), -1);
	ck_assert_int_eq(errno, EINVAL);
	n = read(p[0], got, sizeof(got) - 1);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	ck_assert_str_eq(got, "a\n{\"b\":2}\n\n");
	ck_assert_double_eq(counter(m, "msg_sent_total", "io=\"stdout\""), 3);
	ck_assert_int_eq(msg_close(&io), 0);
	close(p[0]);
	close(p[1]);
	metrics_destroy(&m);
}
END_TEST

START_TEST(test_stdout_epipe)
{
	struct msg_io *io;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	io = open_out_fd(p[1], NULL);
	ck_assert_int_eq(msg_send(io, NULL, "a", 1), 0);
	close(p[0]);
	errno = 0;
	ck_assert_int_eq(msg_send(io, NULL, "b", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	/* Failed once, failed for good; and close says so. */
	errno = 0;
	ck_assert_int_eq(msg_send(io, NULL, "c", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(msg_close(&io), -1);
	ck_assert_ptr_null(io);
	close(p[1]);
}
END_TEST

/* A full non-blocking pipe: the sender polls, and the stop flag frees
 * it; once the reader drains, sending works again. */
START_TEST(test_stdout_full_pipe)
{
	volatile sig_atomic_t stop = 0;
	struct msg_io *io;
	struct later l;
	char junk[4096];
	long long t0;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	memset(junk, 'j', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	while (write(p[1], junk, 1) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
	io = open_out_fd(p[1], &stop);
	t0 = ms_now();
	later_start(&l, &stop, 200);
	errno = 0;
	ck_assert_int_eq(msg_send(io, NULL, "x", 1), -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_int_ge(ms_now() - t0, 150);
	later_join(&l);
	stop = 0;
	/* Room again: the message goes. */
	ck_assert_int_eq(read(p[0], junk, sizeof(junk)), (ssize_t)sizeof(junk));
	ck_assert_int_eq(msg_send(io, NULL, "y", 1), 0);
	ck_assert_int_eq(msg_close(&io), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The real "-": a child with the pipes on its fd 0 and 1 echoes lines. */
START_TEST(test_dash_stdio)
{
	int in[2], out[2], status;
	char got[128];
	size_t off = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct msg_opts o = MSG_OPTS_INIT;
		struct msg_io *r, *w;
		struct msg msg;
		int rc, bad = 0;

		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		o.endpoint = "-";
		o.kind = MSG_IN;
		r = msg_open(&o);
		o.kind = MSG_OUT;
		w = msg_open(&o);
		if (!r || !w || !msg_is_stdio(r) || msg_fd(r) != 0)
			_exit(3);
		while ((rc = msg_recv(r, &msg, -1)) == 1)
			bad |= msg_send(w, NULL, msg.data, msg.len);
		bad |= msg_close(&r) | msg_close(&w);
		_exit(bad ? 1 : 0);
	}
	close(in[0]);
	close(out[1]);
	write_str(in[1], "one\r\n\ntwo\nthree");
	close(in[1]);
	while (off < sizeof(got) - 1 &&
	       (n = read(out[0], got + off, sizeof(got) - 1 - off)) > 0)
		off += (size_t)n;
	got[off] = '\0';
	close(out[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_str_eq(got, "one\ntwo\nthree\n");
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *parse = tcase_create("endpoints");
	TCase *zmq = tcase_create("zeromq");
	TCase *stdio = tcase_create("stdio");

	tcase_add_loop_test(parse, test_parse_good, 0,
			    sizeof(good_specs) / sizeof(*good_specs));
	tcase_add_loop_test(parse, test_parse_bad, 0,
			    sizeof(bad_specs) / sizeof(*bad_specs));
	tcase_add_test(parse, test_open_bad);
	suite_add_tcase(s, parse);

	tcase_add_test(zmq, test_push_pull_order);
	tcase_add_test(zmq, test_push_pull_large);
	tcase_add_test(zmq, test_max_msg);
	tcase_add_test(zmq, test_inproc_and_ipc);
	tcase_add_test(zmq, test_push_blocks_without_peer);
	tcase_add_test(zmq, test_push_back_pressure);
	tcase_add_test(zmq, test_recv_stop);
	tcase_add_test(zmq, test_pub_sub);
	tcase_add_test(zmq, test_pub_frames);
	tcase_add_test(zmq, test_sub_bad_publisher);
	tcase_add_test(zmq, test_pull_multipart);
	tcase_set_timeout(zmq, 60);
	suite_add_tcase(s, zmq);

	tcase_add_test(stdio, test_stdin_lines);
	tcase_add_test(stdio, test_stdin_unterminated_crlf);
	tcase_add_test(stdio, test_stdin_oversize);
	tcase_add_test(stdio, test_stdin_oversize_split);
	tcase_add_test(stdio, test_stdin_large);
	tcase_add_test(stdio, test_stdin_timeout_stop);
	tcase_add_test(stdio, test_stdout);
	tcase_add_test(stdio, test_stdout_epipe);
	tcase_add_test(stdio, test_stdout_full_pipe);
	tcase_add_test(stdio, test_dash_stdio);
	tcase_set_timeout(stdio, 60);
	suite_add_tcase(s, stdio);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failed;

	log_init("check_msg", LOG_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
