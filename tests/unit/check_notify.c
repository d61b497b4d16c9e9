/* notify: each test binds its own datagram socket as NOTIFY_SOCKET (a
 * path, or an abstract name) and reads what the module sent: READY=1
 * once, WATCHDOG=1 paced by WATCHDOG_USEC, STOPPING=1 once, and nothing
 * at all without NOTIFY_SOCKET; notify_watchdog() only from the thread of
 * the main loop, after it ran. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

struct sink {
	int fd;
	char dir[64];
	char path[108];
};

/* Bind a datagram socket; abstract: Linux's abstract namespace ("@name"
 * in NOTIFY_SOCKET). */
static void sink_open(struct sink *s, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len;

	memset(s, 0, sizeof(*s));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->fd, 0);
	if (abstract) {
		snprintf(s->path, sizeof(s->path), "blockpipe-check-notify-%ld",
			 (long)getpid());
		memcpy(sa.sun_path + 1, s->path, strlen(s->path));
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  strlen(s->path));
		ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sa, len), 0);
		{
			char env[128];

			snprintf(env, sizeof(env), "@%s", s->path);
			ck_assert_int_eq(setenv("NOTIFY_SOCKET", env, 1), 0);
		}
	} else {
		snprintf(s->dir, sizeof(s->dir), "/tmp/check_notify.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(s->dir));
		snprintf(s->path, sizeof(s->path), "%s/notify", s->dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
		ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&sa,
				      sizeof(sa)), 0);
		ck_assert_int_eq(setenv("NOTIFY_SOCKET", s->path, 1), 0);
	}
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void sink_close(struct sink *s)
{
	close(s->fd);
	if (s->dir[0]) {
		unlink(s->path);
		rmdir(s->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The next message, "" when none is waiting. */
static const char *sink_next(struct sink *s)
{
	static char msg[256];
	ssize_t n = recv(s->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);

	if (n < 0) {
		ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK,
			      "recv: %s", strerror(errno));
		n = 0;
	}
	msg[n] = '\0';
	return msg;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

START_TEST(test_ready_once)
{
	struct sink s;

	sink_open(&s, _i);
	notify_init();
	notify_loop(0);
	ck_assert_str_eq(sink_next(&s), "");
	notify_loop(1);
	ck_assert_str_eq(sink_next(&s), "READY=1");
	notify_loop(1);
	notify_ready();
	/* No WATCHDOG_USEC: no watchdog messages either. */
	ck_assert_str_eq(sink_next(&s), "");
	notify_stopping();
	ck_assert_str_eq(sink_next(&s), "STOPPING=1");
	notify_stopping();
	ck_assert_str_eq(sink_next(&s), "");
	sink_close(&s);
}
END_TEST

START_TEST(test_watchdog_paced)
{
	struct sink s;

	sink_open(&s, 0);
	/* 200 ms: a message at most every 50 ms. */
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "200000", 1), 0);
	notify_init();
	notify_loop(0);
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	notify_loop(0);
	ck_assert_str_eq(sink_next(&s), "");
	sleep_ms(70);
	notify_loop(1);
	ck_assert_str_eq(sink_next(&s), "READY=1");
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	notify_loop(1);
	ck_assert_str_eq(sink_next(&s), "");
	sleep_ms(70);
	notify_loop(1);
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	ck_assert_str_eq(sink_next(&s), "");
	sink_close(&s);
}
END_TEST

START_TEST(test_watchdog_other_pid)
{
	struct sink s;
	char pid[32];

	sink_open(&s, 0);
	/* The watchdog is another process's (a parent's): not fed. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "200000", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	notify_init();
	notify_loop(1);
	ck_assert_str_eq(sink_next(&s), "READY=1");
	ck_assert_str_eq(sink_next(&s), "");
	/* Ours: fed. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	ck_assert_int_eq(setenv("WATCHDOG_PID", pid, 1), 0);
	notify_init();
	notify_loop(0);
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	sink_close(&s);
}
END_TEST

static void *other_thread(void *arg)
{
	(void)arg;
	notify_watchdog();
	return NULL;
}

START_TEST(test_watchdog_from_waits)
{
	struct sink s;
	pthread_t th;

	sink_open(&s, 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "200000", 1), 0);
	notify_init();
	/* Before the main loop has run: nothing (startup is not watched). */
	notify_watchdog();
	ck_assert_str_eq(sink_next(&s), "");
	notify_loop(0);
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	/* A wait inside the loop: paced as the loop is. */
	notify_watchdog();
	ck_assert_str_eq(sink_next(&s), "");
	sleep_ms(70);
	notify_watchdog();
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	/* Another thread (a helper waiting on a node) never feeds it. */
	sleep_ms(70);
	ck_assert_int_eq(pthread_create(&th, NULL, other_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_str_eq(sink_next(&s), "");
	notify_watchdog();
	ck_assert_str_eq(sink_next(&s), "WATCHDOG=1");
	sink_close(&s);
}
END_TEST

START_TEST(test_no_socket_no_op)
{
	struct sink s;

	/* The socket exists but NOTIFY_SOCKET is unset: nothing is sent,
	 * and nothing fails. */
	sink_open(&s, 0);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000", 1), 0);
	notify_init();
	notify_loop(1);
	notify_ready();
	notify_stopping();
	ck_assert_str_eq(sink_next(&s), "");
	sink_close(&s);
}
END_TEST

START_TEST(test_missing_socket)
{
	/* NOTIFY_SOCKET names nothing: every call returns, nothing fails. */
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1), 0);
	ck_assert_int_eq(setenv("WATCHDOG_USEC", "1000", 1), 0);
	notify_init();
	notify_loop(1);
	notify_loop(1);
	notify_stopping();
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

static Suite *notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_ready_once, 0, 2);
	tcase_add_test(tc, test_watchdog_paced);
	tcase_add_test(tc, test_watchdog_other_pid);
	tcase_add_test(tc, test_watchdog_from_waits);
	tcase_add_test(tc, test_no_socket_no_op);
	tcase_add_test(tc, test_missing_socket);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(notify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
