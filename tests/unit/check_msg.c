/* msg: the API and the endpoints (common/msg.c): endpoint strings parse
 * or are refused with a reason, and msg_open refuses what it cannot open.
 * The transports have suites of their own: check_msg_zmq.c (ZeroMQ),
 * check_msg_pipe.c (NDJSON on pipes). */
#include <check.h>
#include <stdlib.h>

#include "log.h"
#include "msg.h"

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

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *parse = tcase_create("endpoints");

	tcase_add_loop_test(parse, test_parse_good, 0,
			    sizeof(good_specs) / sizeof(*good_specs));
	tcase_add_loop_test(parse, test_parse_bad, 0,
			    sizeof(bad_specs) / sizeof(*bad_specs));
	tcase_add_test(parse, test_open_bad);
	suite_add_tcase(s, parse);
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
