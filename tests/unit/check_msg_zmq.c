/* msg over ZeroMQ (common/msg_zmq.c): PUSH/PULL keeps order, carries
 * 10 MB, and pushes back (a blocked sender is freed by the stop flag);
 * PUB/SUB sends three frames with one counter per topic and filters by
 * prefix, and a subscriber survives a publisher that does not follow the
 * format. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "metrics.h"
#include "msg.h"

#include "msg_helpers.h"

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

static Suite *msg_zmq_suite(void)
{
	Suite *s = suite_create("msg_zmq");
	TCase *zmq = tcase_create("zeromq");

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
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_zmq_suite());
	int failed;

	log_init("check_msg_zmq", LOG_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
