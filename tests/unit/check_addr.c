/* common/addr: the grammar of --listen and --metrics-addr. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const struct {
	const char *in;
	const char *host; /* NULL: refused, why starts with the next field */
	const char *why_or_flags; /* accepted: "", "6" (ipv6), "*" (any) */
	unsigned port;
} cases[] = {
	{ "127.0.0.1:9101", "127.0.0.1", "", 9101 },
	{ "localhost:0", "localhost", "", 0 },
	{ "host.example:65535", "host.example", "", 65535 },
	{ ":8080", "", "*", 8080 },
	{ "*:8080", "", "*", 8080 },
	{ "0.0.0.0:8080", "0.0.0.0", "", 8080 },
	{ "[::1]:9101", "::1", "6", 9101 },
	{ "[::]:1", "::", "6", 1 },
	{ "[fe80::1:2]:80", "fe80::1:2", "6", 80 },
	{ "", NULL, "empty address", 0 },
	{ "127.0.0.1", NULL, "missing port", 0 },
	{ "::1:8080", NULL, "an IPv6 address goes in brackets", 0 },
	{ "[::1]8080", NULL, "want [IPV6]:PORT", 0 },
	{ "[::1:8080", NULL, "want [IPV6]:PORT", 0 },
	{ "[]:8080", NULL, "'' is not an IPv6 address", 0 },
	{ "[127.0.0.1]:8080", NULL, "'127.0.0.1' is not an IPv6 address", 0 },
	{ "[nothex]:1", NULL, "'nothex' is not an IPv6 address", 0 },
	{ "127.0.0.1:", NULL, "invalid port ''", 0 },
	{ "127.0.0.1:65536", NULL, "invalid port '65536'", 0 },
	{ "127.0.0.1:0x50", NULL, "invalid port '0x50'", 0 },
	{ "127.0.0.1:+80", NULL, "invalid port '+80'", 0 },
	{ "127.0.0.1:-1", NULL, "invalid port '-1'", 0 },
	{ "127.0.0.1: 80", NULL, "invalid port ' 80'", 0 },
	{ "127.0.0.1:000080", NULL, "invalid port '000080'", 0 },
	{ "[::1]:http", NULL, "invalid port 'http'", 0 },
};

START_TEST(test_parse)
{
	struct addr_hostport hp;
	char why[128] = "";
	int rc = addr_parse(cases[_i].in, &hp, why, sizeof(why));

	if (!cases[_i].host) {
		ck_assert_msg(rc == -1, "'%s' accepted", cases[_i].in);
		ck_assert_msg(!strncmp(why, cases[_i].why_or_flags,
				       strlen(cases[_i].why_or_flags)),
			      "'%s': why '%s'", cases[_i].in, why);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused: %s", cases[_i].in, why);
	ck_assert_str_eq(hp.host, cases[_i].host);
	ck_assert_uint_eq(hp.port, cases[_i].port);
	ck_assert_int_eq(hp.ipv6, !!strchr(cases[_i].why_or_flags, '6'));
	ck_assert_int_eq(hp.any, !!strchr(cases[_i].why_or_flags, '*'));
}
END_TEST

START_TEST(test_long_and_null)
{
	struct addr_hostport hp;
	char s[400], why[64];

	memset(s, 'a', 300);
	memcpy(s + 300, ":80", 4);
	ck_assert_int_eq(addr_parse(s, &hp, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "host name too long");
	ck_assert_int_eq(addr_parse(NULL, &hp, why, sizeof(why)), -1);
	ck_assert_int_eq(addr_parse("x", &hp, NULL, 0), -1);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_parse, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_long_and_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
