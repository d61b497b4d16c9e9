/* msg on pipes (common/msg_pipe.c): NDJSON handles CRLF, blank lines,
 * over-long lines, an unterminated last line, EOF, timeouts, the stop
 * flag and a closed pipe; "-" is the process's stdin and stdout. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "msg.h"

#include "msg_helpers.h"

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

/* A pipe opened for messages holds 1 MiB (the most an unprivileged
 * process may ask for by default), not its own 64 KiB: about one block
 * message of a busy chain, each stage would wait on the next at every
 * one. Where pipe-max-size is lower and we are not root, that much. */
START_TEST(test_pipe_room)
{
	struct msg_io *io;
	long want = 1 << 20, max = 0;
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	int p[2];

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 0;
		fclose(f);
	}
	if (geteuid() != 0 && max > 0 && max < want)
		want = max;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_lt(fcntl(p[1], F_GETPIPE_SZ), want);
	io = open_out_fd(p[1], NULL);
	ck_assert_int_ge(fcntl(p[1], F_GETPIPE_SZ), want);
	ck_assert_int_eq(msg_close(&io), 0);
	close(p[0]);
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
	io = open_out_fd(p[1], &stop); /* before: it makes the pipe larger */
	memset(junk, 'j', sizeof(junk));
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	while (write(p[1], junk, 1) > 0)
		;
	ck_assert_int_eq(errno, EAGAIN);
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

static Suite *msg_pipe_suite(void)
{
	Suite *s = suite_create("msg_pipe");
	TCase *stdio = tcase_create("stdio");

	tcase_add_test(stdio, test_stdin_lines);
	tcase_add_test(stdio, test_stdin_unterminated_crlf);
	tcase_add_test(stdio, test_stdin_oversize);
	tcase_add_test(stdio, test_stdin_oversize_split);
	tcase_add_test(stdio, test_stdin_large);
	tcase_add_test(stdio, test_stdin_timeout_stop);
	tcase_add_test(stdio, test_stdout);
	tcase_add_test(stdio, test_stdout_epipe);
	tcase_add_test(stdio, test_stdout_full_pipe);
	tcase_add_test(stdio, test_pipe_room);
	tcase_add_test(stdio, test_dash_stdio);
	tcase_set_timeout(stdio, 60);
	suite_add_tcase(s, stdio);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_pipe_suite());
	int failed;

	log_init("check_msg_pipe", LOG_WARN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
