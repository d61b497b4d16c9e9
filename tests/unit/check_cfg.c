/* Configuration: strict numbers and durations, and cfg_parse over an
 * option table: defaults, the environment, flags, the options every
 * program has, and the exit statuses and messages of misuse. stdout and
 * stderr are captured by dup2(2) onto temporary files. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"

static const struct {
	const char *s;
	long long min, max;
	int rc;
	long long v;
	const char *why;
} ints[] = {
	{ "0", LLONG_MIN, LLONG_MAX, 0, 0, NULL },
	{ "42", LLONG_MIN, LLONG_MAX, 0, 42, NULL },
	{ "-5", LLONG_MIN, LLONG_MAX, 0, -5, NULL },
	{ "010", LLONG_MIN, LLONG_MAX, 0, 10, NULL }, /* not octal */
	{ "0x1f", LLONG_MIN, LLONG_MAX, 0, 31, NULL },
	{ "0X1F", LLONG_MIN, LLONG_MAX, 0, 31, NULL },
	{ "0x7fffffffffffffff", LLONG_MIN, LLONG_MAX, 0, LLONG_MAX, NULL },
	{ "9223372036854775807", LLONG_MIN, LLONG_MAX, 0, LLONG_MAX, NULL },
	{ "-9223372036854775808", LLONG_MIN, LLONG_MAX, 0, LLONG_MIN, NULL },
	{ "9223372036854775808", LLONG_MIN, LLONG_MAX, -1, 0, "too large" },
	{ "99999999999999999999999", LLONG_MIN, LLONG_MAX, -1, 0, "too large" },
	{ "0x8000000000000000", LLONG_MIN, LLONG_MAX, -1, 0, "too large" },
	{ "0xffffffffffffffffff", LLONG_MIN, LLONG_MAX, -1, 0, "too large" },
	{ "-9223372036854775809", LLONG_MIN, LLONG_MAX, -1, 0, "too small" },
	/* range */
	{ "9", 0, 9, 0, 9, NULL },
	{ "10", 0, 9, -1, 0, "too large" },
	{ "0", 0, 9, 0, 0, NULL },
	{ "-1", 0, 9, -1, 0, "too small" },
	{ "0xf", 0, 15, 0, 15, NULL },
	{ "0x10", 0, 15, -1, 0, "too large" },
	{ "5", 5, 5, 0, 5, NULL },
	{ "1", 2, 100, -1, 0, "too small" },
	/* not numbers */
	{ "", LLONG_MIN, LLONG_MAX, -1, 0, "empty" },
	{ NULL, LLONG_MIN, LLONG_MAX, -1, 0, "empty" },
	{ "x", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "5x", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "5 ", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ " 5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "\t5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "\n5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "\v5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "\r5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "+5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "-", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "--5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "- 5", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0x", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0xg", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0x 1", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0x-1", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0x+1", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "-0x10", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "1e3", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "1.0", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "1_000", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
	{ "0b101", LLONG_MIN, LLONG_MAX, -1, 0, "not a number" },
};

START_TEST(test_parse_int)
{
	long long v = 12345;
	const char *why = NULL;
	int rc = cfg_parse_int(ints[_i].s, ints[_i].min, ints[_i].max, &v, &why);

	ck_assert_int_eq(rc, ints[_i].rc);
	if (rc == 0) {
		ck_assert(v == ints[_i].v);
	} else {
		ck_assert(v == 12345); /* untouched */
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, ints[_i].why);
	}
}
END_TEST

static const struct {
	const char *s;
	int rc;
	long long ms;
	const char *why;
} durations[] = {
	{ "0", 0, 0, NULL },
	{ "100", 0, 100, NULL },
	{ "250ms", 0, 250, NULL },
	{ "0ms", 0, 0, NULL },
	{ "2s", 0, 2000, NULL },
	{ "1.5s", 0, 1500, NULL },
	{ ".5s", 0, 500, NULL },
	{ "0.001s", 0, 1, NULL },
	{ "1m", 0, 60000, NULL },
	{ "1.5m", 0, 90000, NULL },
	{ "1h", 0, 3600000, NULL },
	{ "24h", 0, 86400000, NULL },
	{ "1.4", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "1.5", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "0.2", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ ".5", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "1.", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "0x10", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "200", 0, 200, NULL },
	{ "0", 0, 0, NULL },
	{ "0.2s", 0, 200, NULL },
	{ "0.5m", 0, 30000, NULL },
	{ "1.5ms", 0, 2, NULL },
	{ "1e3", -1, 0, "a bare number is whole milliseconds: give a unit (1.5s, 200ms)" },
	{ "1e3ms", 0, 1000, NULL },
	{ "", -1, 0, "not a duration" },
	{ NULL, -1, 0, "not a duration" },
	{ "s", -1, 0, "not a duration" },
	{ "ms", -1, 0, "not a duration" },
	{ "-1s", -1, 0, "not a duration" },
	{ "+1s", -1, 0, "not a duration" },
	{ " 1s", -1, 0, "not a duration" },
	{ "\t1s", -1, 0, "not a duration" },
	{ "\n1s", -1, 0, "not a duration" },
	{ "nan", -1, 0, "not a duration" },
	{ "inf", -1, 0, "not a duration" },
	{ "infinity", -1, 0, "not a duration" },
	{ "1 s", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1s ", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1d", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1S", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1sec", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1us", -1, 0, "unknown unit (use ms, s, m or h)" },
	{ "1e300h", -1, 0, "too large" },
	{ "9223372036854775807s", -1, 0, "too large" },
	{ "1e400", -1, 0, "not a duration" },
	{ "1e400s", -1, 0, "not a duration" },
};

START_TEST(test_parse_duration)
{
	long long ms = 12345;
	const char *why = NULL;
	int rc = cfg_parse_duration(durations[_i].s, &ms, &why);

	ck_assert_int_eq(rc, durations[_i].rc);
	if (rc == 0) {
		ck_assert(ms == durations[_i].ms);
	} else {
		ck_assert(ms == 12345);
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(why, durations[_i].why);
	}
}
END_TEST

/* cfg_parse over one option table. */

static const char *o_rpc, *o_name;
static long long o_from, o_timeout;
static bool o_follow;
static double o_ratio;

static struct cfg_opt opts[] = {
	{ "rpc", 'r', "CKCFG_RPC", CFG_STR, &o_rpc, "http://127.0.0.1:8545", 0,
	  0, "URL", "node URL", false },
	{ "from", 'f', "CKCFG_FROM", CFG_INT, &o_from, "0", 0, 1000000, "N",
	  "first block", false },
	{ "follow", 'F', "CKCFG_FOLLOW", CFG_BOOL, &o_follow, "0", 0, 0, NULL,
	  "follow the head", false },
	{ "timeout", 't', "CKCFG_TIMEOUT", CFG_DURATION, &o_timeout, "2s", 1,
	  60000, "DURATION", "request timeout", false },
	{ "ratio", 0, "CKCFG_RATIO", CFG_DOUBLE, &o_ratio, "0.5", 0, 0, "X",
	  "a ratio", false },
	{ "name", 0, NULL, CFG_STR, &o_name, NULL, 0, 0, "NAME", "a name", false },
	CFG_END,
};

static const struct cfg_prog prog = {
	"ckprog", "[--rpc URL] [--from N] [--follow]",
	"exercises cfg_parse", "ckprog --rpc http://127.0.0.1:8545 --follow",
};

static const char *const env_names[] = {
	"CKCFG_RPC", "CKCFG_FROM", "CKCFG_FOLLOW", "CKCFG_TIMEOUT",
	"CKCFG_RATIO", "LOG_LEVEL",
};

static void cfg_setup(void)
{
	for (size_t i = 0; i < sizeof(env_names) / sizeof(*env_names); i++)
		unsetenv(env_names[i]);
	o_rpc = o_name = "unset";
	o_from = o_timeout = -1;
	o_follow = false;
	o_ratio = -1;
}

/* The table run_parse() parses: opts, or the secrets test's own. */
static struct cfg_opt *run_opts = opts;

struct run {
	int rc;
	char *out, *err;
	struct cfg_common common;
	char *argv[16];
	int argc;
};

static char *slurp(FILE *fp)
{
	long len;
	char *s;

	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	rewind(fp);
	s = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)len, fp), (size_t)len);
	s[len] = '\0';
	fclose(fp);
	return s;
}

/* Run cfg_parse on "ckprog" + args (NULL-terminated) with env, a
 * NULL-terminated list of NAME=VALUE, capturing stdout and stderr. */
static void run_parse(struct run *r, const char *const *args,
		      const char *const *env)
{
	char *argv[16];
	int argc = 0;
	FILE *out = tmpfile(), *err = tmpfile();
	int so, se;

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		char name[64];

		ck_assert_ptr_nonnull(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *env), *env);
		ck_assert_int_eq(setenv(name, eq + 1, 1), 0);
	}
	/* argv strings are writable copies, as the kernel gives them. */
	argv[argc++] = strdup("ckprog");
	for (; args && *args; args++) {
		ck_assert_int_lt(argc, 15);
		argv[argc++] = strdup(*args);
	}
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	r->rc = cfg_parse(&prog, run_opts, &r->common, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	r->out = slurp(out);
	r->err = slurp(err);
	/* Values may point into argv: it lives until run_free(). */
	r->argc = argc;
	memcpy(r->argv, argv, sizeof(argv));
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	for (int i = 0; i < r->argc; i++)
		free(r->argv[i]);
}

#define A(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE NULL

/* Values are checked when rc is -1; for 0 and 2, the text on stdout and
 * stderr (substrings; NULL means the stream must be empty). */
static const struct {
	const char *what;
	const char *const *args;
	const char *const *env;
	int rc;
	const char *rpc;
	long long from;
	bool follow;
	long long timeout;
	double ratio;
	const char *out1, *out2; /* in stdout */
	const char *err1, *err2; /* in stderr */
} cases[] = {
	{ "defaults", NONE, NONE, -1, "http://127.0.0.1:8545", 0, false,
	  2000, 0.5, NULL, NULL, NULL, NULL },
	{ "env beats default", NONE,
	  A("CKCFG_RPC=http://env:1", "CKCFG_FROM=5", "CKCFG_FOLLOW=true",
	    "CKCFG_TIMEOUT=1s", "CKCFG_RATIO=0.25"),
	  -1, "http://env:1", 5, true, 1000, 0.25, NULL, NULL, NULL, NULL },
	{ "flag beats env",
	  A("--rpc", "http://flag:2", "--from", "7", "--timeout", "250ms",
	    "--ratio", "2"),
	  A("CKCFG_RPC=http://env:1", "CKCFG_FROM=5", "CKCFG_FOLLOW=1",
	    "CKCFG_TIMEOUT=1s", "CKCFG_RATIO=0.25"),
	  -1, "http://flag:2", 7, true, 250, 2, NULL, NULL, NULL, NULL },
	{ "flag beats default", A("--from=0x10", "--follow"), NONE, -1,
	  "http://127.0.0.1:8545", 16, true, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "short flags", A("-r", "u", "-f", "3", "-F", "-t", "3s"), NONE, -1,
	  "u", 3, true, 3000, 0.5, NULL, NULL, NULL, NULL },
	{ "short flags glued", A("-ru", "-Ff9", "-t1m"), NONE, -1, "u", 9, true,
	  60000, 0.5, NULL, NULL, NULL, NULL },
	{ "last flag wins", A("--from", "1", "--from", "2"), NONE, -1,
	  "http://127.0.0.1:8545", 2, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "empty env is unset", NONE, A("CKCFG_FROM=", "CKCFG_RPC="), -1,
	  "http://127.0.0.1:8545", 0, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "bool env yes", NONE, A("CKCFG_FOLLOW=yes"), -1,
	  "http://127.0.0.1:8545", 0, true, 2000, 0.5, NULL, NULL, NULL, NULL },
	{ "bool env ON", NONE, A("CKCFG_FOLLOW=ON"), -1,
	  "http://127.0.0.1:8545", 0, true, 2000, 0.5, NULL, NULL, NULL, NULL },
	{ "bool env off", NONE, A("CKCFG_FOLLOW=off"), -1,
	  "http://127.0.0.1:8545", 0, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "bool env FALSE", NONE, A("CKCFG_FOLLOW=FALSE"), -1,
	  "http://127.0.0.1:8545", 0, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "bool flag beats env 0", A("--follow"), A("CKCFG_FOLLOW=0"), -1,
	  "http://127.0.0.1:8545", 0, true, 2000, 0.5, NULL, NULL, NULL, NULL },
	{ "range edge", A("--from", "1000000", "--timeout", "1m"), NONE, -1,
	  "http://127.0.0.1:8545", 1000000, false, 60000, 0.5, NULL, NULL,
	  NULL, NULL },
	{ "unique abbreviation", A("--fr", "5"), NONE, -1,
	  "http://127.0.0.1:8545", 5, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },
	{ "options after --", A("--from", "4", "--"), NONE, -1,
	  "http://127.0.0.1:8545", 4, false, 2000, 0.5, NULL, NULL, NULL,
	  NULL },

	/* Invalid values: 2, one line naming the option and the source. */
	{ "invalid flag", A("--from", "abc"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "ckprog: invalid value 'abc' for --from (flag): not a number",
	  NULL },
	{ "invalid short flag", A("-f", "12x"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "invalid value '12x' for --from (flag)", NULL },
	{ "invalid env", NONE, A("CKCFG_FROM=abc"), 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "invalid value 'abc' for --from (from CKCFG_FROM)", NULL },
	/* A flag beats the environment: the variable is not even read. */
	{ "invalid env, good flag", A("--from", "1"), A("CKCFG_FROM=abc"), -1,
	  "http://127.0.0.1:8545", 1, false, 2000, 0.5, NULL, NULL, NULL, NULL },
	{ "too large flag", A("--from", "1000001"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "--from (flag): too large", NULL },
	{ "too small flag", A("--from", "-1"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "--from (flag): too small", NULL },
	{ "duration unit env", NONE, A("CKCFG_TIMEOUT=5d"), 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "--timeout (from CKCFG_TIMEOUT): unknown unit", NULL },
	{ "duration too large", A("--timeout", "2m"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "--timeout (flag): too large: 2m, at most 1m", NULL },
	{ "duration too small", A("--timeout", "0"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "--timeout (flag): too small: 0ms, at least 1ms", NULL },
	{ "duration fraction of seconds", A("--timeout", "1.5s"), NONE, -1,
	  "http://127.0.0.1:8545", 0, false, 1500, 0.5, NULL, NULL, NULL, NULL },
	{ "duration bare whole ms", NONE, A("CKCFG_TIMEOUT=200"), -1,
	  "http://127.0.0.1:8545", 0, false, 200, 0.5, NULL, NULL, NULL, NULL },
	{ "duration bare fraction", A("--timeout", "1.5"), NONE, 2, 0, 0, 0, 0,
	  0, NULL, NULL, "invalid value '1.5' for --timeout (flag): a bare "
	  "number is whole milliseconds: give a unit (1.5s, 200ms)", NULL },
	{ "bool env invalid", NONE, A("CKCFG_FOLLOW=maybe"), 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "invalid value 'maybe' for --follow (from CKCFG_FOLLOW)",
	  NULL },
	{ "double invalid", A("--ratio", "nan"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "invalid value 'nan' for --ratio (flag)", NULL },
	{ "double trailing", A("--ratio", "1.5x"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "invalid value '1.5x' for --ratio (flag)", NULL },
	{ "double env", NONE, A("CKCFG_RATIO=big"), 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "--ratio (from CKCFG_RATIO)", NULL },

	/* Misuse: 2, the message and the synopsis on stderr. */
	{ "unknown long", A("--bogus"), NONE, 2, 0, 0, 0, 0, 0, NULL, NULL,
	  "ckprog: unknown option '--bogus'", "usage: ckprog [--rpc URL]" },
	{ "unknown long with value", A("--bogus=1"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "unknown option '--bogus=1'", "usage: ckprog" },
	{ "unknown short", A("-x"), NONE, 2, 0, 0, 0, 0, 0, NULL, NULL,
	  "ckprog: unknown option '-x'", "usage: ckprog" },
	{ "unknown short in a group", A("-Fx"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "unknown option '-x'", "usage: ckprog" },
	{ "missing value long", A("--from"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "option '--from' needs a value", "usage: ckprog" },
	{ "missing value short", A("-f"), NONE, 2, 0, 0, 0, 0, 0, NULL, NULL,
	  "option '-f' needs a value", "usage: ckprog" },
	{ "value for a bool flag", A("--follow=1"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "ckprog: option '--follow=1' takes no value",
	  "usage: ckprog" },
	{ "value for --help", A("--help=x"), NONE, 2, 0, 0, 0, 0, 0, NULL,
	  NULL, "option '--help=x' takes no value", "usage: ckprog" },
	{ "value for --check-config", A("--check-config=yes"), NONE, 2, 0, 0,
	  0, 0, 0, NULL, NULL, "option '--check-config=yes' takes no value",
	  "usage: ckprog" },
	{ "ambiguous abbreviation", A("--f", "1"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "'--f'", "usage: ckprog" },
	{ "positional", A("extra"), NONE, 2, 0, 0, 0, 0, 0, NULL, NULL,
	  "ckprog: unexpected argument 'extra'", "usage: ckprog" },
	{ "positional after options", A("--from", "3", "extra"), NONE, 2, 0,
	  0, 0, 0, 0, NULL, NULL, "unexpected argument 'extra'", "usage:" },
	{ "positional before options", A("extra", "--from", "3"), NONE, 2, 0,
	  0, 0, 0, 0, NULL, NULL, "unexpected argument 'extra'", "usage:" },
	{ "positional after --", A("--", "--from"), NONE, 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "unexpected argument '--from'", "usage:" },
	{ "lone dash", A("-"), NONE, 2, 0, 0, 0, 0, 0, NULL, NULL,
	  "unexpected argument '-'", "usage:" },
	{ "bad log level flag", A("--log-level", "loud"), NONE, 2, 0, 0, 0, 0,
	  0, NULL, NULL, "invalid value 'loud' for --log-level", NULL },
	{ "bad log level env", NONE, A("LOG_LEVEL=loud"), 2, 0, 0, 0, 0, 0,
	  NULL, NULL, "invalid value 'loud' for --log-level", NULL },

	/* --help and --version: 0, stdout only. */
	{ "--help", A("--help"), NONE, 0, 0, 0, 0, 0, 0,
	  "usage: ckprog [--rpc URL] [--from N] [--follow]\n",
	  "ckprog --rpc http://127.0.0.1:8545 --follow", NULL, NULL },
	{ "-h", A("-h"), NONE, 0, 0, 0, 0, 0, 0, "usage: ckprog",
	  "exercises cfg_parse", NULL, NULL },
	{ "--help beats errors after it", A("--help", "--bogus"), NONE, 0, 0,
	  0, 0, 0, 0, "usage: ckprog", NULL, NULL, NULL },
	{ "--version", A("--version"), NONE, 0, 0, 0, 0, 0, 0,
	  "ckprog " BLOCKPIPE_VERSION "\n", NULL, NULL, NULL },
	{ "-V", A("-V"), NONE, 0, 0, 0, 0, 0, 0, "ckprog ", NULL, NULL, NULL },
};

START_TEST(test_parse_table)
{
	struct run r;

	run_parse(&r, cases[_i].args, cases[_i].env);
	ck_assert_msg(r.rc == cases[_i].rc, "%s: rc %d, want %d (stderr: %s)",
		      cases[_i].what, r.rc, cases[_i].rc, r.err);
	if (r.rc == -1) {
		ck_assert_str_eq(r.out, "");
		ck_assert_str_eq(r.err, "");
		ck_assert_str_eq(o_rpc, cases[_i].rpc);
		ck_assert_int_eq(o_from, cases[_i].from);
		ck_assert_int_eq(o_follow, cases[_i].follow);
		ck_assert_int_eq(o_timeout, cases[_i].timeout);
		ck_assert(o_ratio == cases[_i].ratio);
		ck_assert_str_eq(o_name, "unset"); /* no default, not given */
		ck_assert(!r.common.check_config);
		ck_assert_str_eq(r.common.log_level, "info");
	}
	if (cases[_i].out1)
		ck_assert_msg(strstr(r.out, cases[_i].out1), "%s: stdout '%s'",
			      cases[_i].what, r.out);
	if (cases[_i].out2)
		ck_assert_msg(strstr(r.out, cases[_i].out2), "%s: stdout '%s'",
			      cases[_i].what, r.out);
	if (r.rc != -1 && !cases[_i].out1)
		ck_assert_str_eq(r.out, "");
	if (cases[_i].err1)
		ck_assert_msg(strstr(r.err, cases[_i].err1), "%s: stderr '%s'",
			      cases[_i].what, r.err);
	if (cases[_i].err2)
		ck_assert_msg(strstr(r.err, cases[_i].err2), "%s: stderr '%s'",
			      cases[_i].what, r.err);
	if (r.rc == 2) {
		/* The first line is the message, prefixed with the program. */
		ck_assert_msg(!strncmp(r.err, "ckprog: ", 8), "%s: stderr '%s'",
			      cases[_i].what, r.err);
		/* Nothing unprintable (a stray %c of an option code). */
		for (const char *p = r.err; *p; p++)
			ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\n',
				      "%s: byte 0x%02x in '%s'", cases[_i].what,
				      (unsigned char)*p, r.err);
		if (!cases[_i].err2)
			ck_assert_ptr_null(strstr(r.err, "usage:"));
	}
	if (r.rc == 0 || r.rc == -1)
		ck_assert_str_eq(r.err, "");
	run_free(&r);
}
END_TEST

START_TEST(test_set_flags)
{
	struct run r;

	run_parse(&r, A("--from", "3"), A("CKCFG_FOLLOW=1"));
	ck_assert_int_eq(r.rc, -1);
	ck_assert(cfg_find(opts, "from")->set);
	ck_assert(cfg_find(opts, "follow")->set);
	ck_assert(!cfg_find(opts, "rpc")->set); /* default only */
	ck_assert(!cfg_find(opts, "timeout")->set);
	ck_assert(!cfg_find(opts, "name")->set);
	run_free(&r);
	unsetenv("CKCFG_FOLLOW");

	/* set is recomputed on every parse. */
	run_parse(&r, NONE, NONE);
	ck_assert_int_eq(r.rc, -1);
	for (const struct cfg_opt *o = opts; o->name; o++)
		ck_assert_msg(!o->set, "%s still set", o->name);
	run_free(&r);
}
END_TEST

START_TEST(test_no_default)
{
	struct run r;

	run_parse(&r, A("--name", "n1"), NONE);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_name, "n1");
	ck_assert(cfg_find(opts, "name")->set);
	run_free(&r);
}
END_TEST

START_TEST(test_common_options)
{
	struct run r;

	run_parse(&r, A("--check-config", "--log-level", "debug"), NONE);
	ck_assert_int_eq(r.rc, -1);
	ck_assert(r.common.check_config);
	ck_assert_str_eq(r.common.log_level, "debug");
	ck_assert(log_enabled(LOG_DEBUG));
	run_free(&r);

	run_parse(&r, NONE, A("LOG_LEVEL=warn"));
	ck_assert_int_eq(r.rc, -1);
	ck_assert(!r.common.check_config);
	ck_assert_str_eq(r.common.log_level, "warn");
	ck_assert(!log_enabled(LOG_INFO));
	ck_assert(log_enabled(LOG_WARN));
	run_free(&r);

	/* The flag beats LOG_LEVEL. */
	run_parse(&r, A("--log-level=error"), A("LOG_LEVEL=debug"));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.common.log_level, "error");
	ck_assert(!log_enabled(LOG_WARN));
	run_free(&r);
}
END_TEST

/* --help lists every option with its variable and default. */
START_TEST(test_help_text)
{
	struct run r;

	run_parse(&r, A("--help"), NONE);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.err, "");
	for (const struct cfg_opt *o = opts; o->name; o++) {
		char want[64];

		snprintf(want, sizeof(want), "--%s", o->name);
		ck_assert_msg(strstr(r.out, want), "no %s in '%s'", want, r.out);
		if (o->env)
			ck_assert_msg(strstr(r.out, o->env), "no %s", o->env);
		if (o->def) {
			snprintf(want, sizeof(want), "default %s", o->def);
			ck_assert_msg(strstr(r.out, want), "no '%s'", want);
		}
	}
	ck_assert_ptr_nonnull(strstr(r.out, "-r, --rpc URL"));
	ck_assert_ptr_nonnull(strstr(r.out, "-F, --follow "));
	ck_assert_ptr_nonnull(strstr(r.out, "--log-level LEVEL"));
	ck_assert_ptr_nonnull(strstr(r.out, "LOG_LEVEL"));
	ck_assert_ptr_nonnull(strstr(r.out, "--check-config"));
	ck_assert_ptr_nonnull(strstr(r.out, "--version"));
	ck_assert_ptr_nonnull(strstr(r.out, "exit status"));
	run_free(&r);
}
END_TEST

/* getopt_long keeps state between calls: a parse that stopped inside a
 * group of short options (-Vx, -Fx) must not leak into the next one. */
START_TEST(test_reparse)
{
	const char *const *const first[] = {
		A("-Vx"), A("-hF"), A("-Fxr"), A("-FFq"), A("--from", "1", "x"),
	};
	struct run r;

	for (size_t i = 0; i < sizeof(first) / sizeof(*first); i++) {
		run_parse(&r, first[i], NONE);
		ck_assert_int_ne(r.rc, -1);
		run_free(&r);

		run_parse(&r, NONE, NONE);
		ck_assert_msg(r.rc == -1, "after %s: rc %d, stderr '%s'",
			      first[i][0], r.rc, r.err);
		ck_assert_str_eq(r.err, "");
		ck_assert(!o_follow);
		run_free(&r);

		run_parse(&r, A("-f", "8"), NONE);
		ck_assert_int_eq(r.rc, -1);
		ck_assert_int_eq(o_from, 8);
		run_free(&r);
	}
}
END_TEST

/* A default that does not parse is the program's mistake, reported as
 * a usage error naming the option and "default". */
START_TEST(test_bad_default)
{
	static long long n;
	static struct cfg_opt bad[] = {
		{ "count", 'c', "CKCFG_COUNT", CFG_INT, &n, "ten", 0, 0, "N",
		  "a count", false },
		CFG_END,
	};
	struct cfg_common common;
	char *argv[] = { (char *)"ckprog", NULL };
	FILE *err = tmpfile();
	int se, rc;
	char *s;

	fflush(stderr);
	se = dup(STDERR_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	rc = cfg_parse(&prog, bad, &common, 1, argv);
	fflush(stderr);
	dup2(se, STDERR_FILENO);
	close(se);
	s = slurp(err);
	ck_assert_int_eq(rc, 2);
	ck_assert_ptr_nonnull(strstr(s, "invalid value 'ten' for --count (default)"));
	free(s);
}
END_TEST

START_TEST(test_find)
{
	ck_assert_ptr_eq(cfg_find(opts, "rpc"), &opts[0]);
	ck_assert_ptr_eq(cfg_find(opts, "name"), &opts[5]);
	ck_assert_ptr_null(cfg_find(opts, "nope"));
	ck_assert_ptr_null(cfg_find(opts, "rp"));
	ck_assert_ptr_null(cfg_find(opts, ""));
}
END_TEST

START_TEST(test_fail)
{
	FILE *err = tmpfile();
	int se, rc;
	char *s;

	fflush(stderr);
	se = dup(STDERR_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	rc = cfg_fail(&prog, "--%s and --%s conflict", "from", "to");
	fflush(stderr);
	dup2(se, STDERR_FILENO);
	close(se);
	s = slurp(err);
	ck_assert_int_eq(rc, 2);
	ck_assert_str_eq(s, "ckprog: --from and --to conflict\n");
	free(s);
}
END_TEST

/* Secrets: --NAME, --NAME-file, ENV and ENV_FILE. */

static const char *o_key, *o_dsn;

static struct cfg_opt sopts[] = {
	{ "key", 'k', "CKCFG_KEY", CFG_SECRET, &o_key, NULL, 0, 0, "URL",
	  "a node URL", false },
	{ "dsn", 0, "CKCFG_DSN", CFG_SECRET, &o_dsn, NULL, 0, 0, "DSN",
	  "a database", false },
	CFG_END,
};

static char secret_dir[] = "/tmp/check_cfg.XXXXXX";

/* A file holding text in the secrets directory; its path (static). */
static const char *secret_file(const char *name, const char *text)
{
	static char path[8][128];
	static int k;
	char *p = path[k++ % 8];
	FILE *fp;

	snprintf(p, 128, "%s/%s", secret_dir, name);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return p;
}

static void secrets_setup(void)
{
	static const char *const names[] = {
		"CKCFG_KEY", "CKCFG_KEY_FILE", "CKCFG_DSN", "CKCFG_DSN_FILE",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		unsetenv(names[i]);
	snprintf(secret_dir, sizeof(secret_dir), "/tmp/check_cfg.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(secret_dir));
	run_opts = sopts;
	o_key = o_dsn = "unset";
}

static void secrets_teardown(void)
{
	static const char *const files[] = { "key", "dsn", "empty", "big" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(path, sizeof(path), "%s/%s", secret_dir, files[i]);
		unlink(path);
	}
	rmdir(secret_dir);
	run_opts = opts;
}

static const char *arg2(const char *flag, const char *path)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];

	snprintf(b, 256, "%s=%s", flag, path);
	return b;
}

START_TEST(test_secret_sources)
{
	const char *kf = secret_file("key", "http://h:1/v2/SECRETKEY\n\n");
	const char *df = secret_file("dsn", "host=db password=hush\n");
	char env[300];
	struct run r;

	/* From a flag's file, the final newlines gone. */
	run_parse(&r, A("--key-file", kf, arg2("--dsn-file", df)), NONE);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://h:1/v2/SECRETKEY");
	ck_assert_str_eq(o_dsn, "host=db password=hush");
	ck_assert(sopts[0].set && sopts[1].set);
	run_free(&r);

	/* From the file ENV_FILE names. */
	snprintf(env, sizeof(env), "CKCFG_KEY_FILE=%s", kf);
	run_parse(&r, NONE, A(env));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://h:1/v2/SECRETKEY");
	ck_assert(sopts[0].set && !sopts[1].set);
	run_free(&r);
	unsetenv("CKCFG_KEY_FILE");

	/* From ENV, as before. */
	run_parse(&r, NONE, A("CKCFG_KEY=http://e:2/K"));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://e:2/K");
	run_free(&r);

	/* A flag, value or file, beats both variables. */
	run_parse(&r, A("--key-file", kf), A("CKCFG_KEY=http://e:2/K"));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://h:1/v2/SECRETKEY");
	run_free(&r);
	unsetenv("CKCFG_KEY");
	run_parse(&r, A("--key", "http://f:3/K3"), A(env));
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://f:3/K3");
	run_free(&r);
}
END_TEST

/* A secret given as a flag is copied, and argv (what ps shows) keeps
 * only what redaction keeps. */
START_TEST(test_secret_off_argv)
{
	struct run r;

	run_parse(&r, A("--key", "https://u:pw@h:1/v2/SECRETKEY",
			"--dsn=host=db password=hush", "-khttp://g/K2"), NONE);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(o_key, "http://g/K2");
	ck_assert_str_eq(o_dsn, "host=db password=hush");
	ck_assert_str_eq(r.argv[2], "https://h:1");
	ck_assert_str_eq(r.argv[3], "--dsn=***");
	ck_assert_str_eq(r.argv[4], "-khttp://g");
	run_free(&r);
	/* Nothing secret: argv unchanged. */
	run_parse(&r, A("--key", "http://127.0.0.1:8545"), NONE);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.argv[2], "http://127.0.0.1:8545");
	run_free(&r);
}
END_TEST

static const struct {
	const char *what;
	const char *const *args;
	const char *const *env;
	const char *err;
} secret_errors[] = {
	{ "flag and file", A("--key", "http://a", "--key-file", "@K"), NONE,
	  "--key and --key-file exclude each other" },
	{ "both variables", NONE, A("CKCFG_KEY=http://a", "CKCFG_KEY_FILE=@K"),
	  "CKCFG_KEY and CKCFG_KEY_FILE are both set: give one" },
	{ "missing file", A("--key-file", "@/none"), NONE,
	  "cannot read --key-file '@/none': No such file or directory" },
	{ "missing file from env", NONE, A("CKCFG_KEY_FILE=@/none"),
	  "cannot read --key from '@/none' (CKCFG_KEY_FILE): No such file" },
	{ "empty file", A("--key-file", "@E"), NONE, "/empty': is empty" },
	{ "directory", A("--key-file", "@"), NONE, "': is a directory" },
	{ "too large", A("--dsn-file", "@B"), NONE, "larger than 65536 bytes" },
	{ "file needs a value", A("--key-file"), NONE,
	  "option '--key-file' needs a value" },
};

/* "@X" in a case stands for the file X of the secrets directory. */
static const char *at_path(const char *s, char *buf, size_t n)
{
	const char *name = strchr(s, '@');

	if (!name)
		return s;
	snprintf(buf, n, "%.*s%s/%s", (int)(name - s), s, secret_dir,
		 !strcmp(name + 1, "K") ? "key" : !strcmp(name + 1, "E") ? "empty" :
		 !strcmp(name + 1, "B") ? "big" : name + 1);
	if (!strcmp(name + 1, ""))
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

START_TEST(test_secret_errors)
{
	char big[CFG_SECRET_MAX + 2];
	char b[4][512], want[600];
	const char *args[5] = { NULL }, *env[3] = { NULL };
	struct run r;
	size_t k;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	secret_file("key", "http://h/K");
	secret_file("empty", " \n");
	secret_file("big", big);
	for (k = 0; secret_errors[_i].args && secret_errors[_i].args[k]; k++)
		args[k] = at_path(secret_errors[_i].args[k], b[k], sizeof(b[k]));
	for (k = 0; secret_errors[_i].env && secret_errors[_i].env[k]; k++)
		env[k] = at_path(secret_errors[_i].env[k], b[2 + k], sizeof(b[2 + k]));
	snprintf(want, sizeof(want), "%s",
		 at_path(secret_errors[_i].err, b[3], sizeof(b[3])));
	run_parse(&r, args, env);
	ck_assert_msg(r.rc == 2, "%s: rc %d", secret_errors[_i].what, r.rc);
	ck_assert_msg(strstr(r.err, want), "%s: stderr '%s', want '%s'",
		      secret_errors[_i].what, r.err, want);
	/* No error line shows a file's content. */
	ck_assert_ptr_null(strstr(r.err, "http://h/K"));
	run_free(&r);
	unsetenv("CKCFG_KEY");
	unsetenv("CKCFG_KEY_FILE");
}
END_TEST

START_TEST(test_secret_help)
{
	struct run r;

	run_parse(&r, A("--help"), NONE);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "--key-file FILE"));
	ck_assert_ptr_nonnull(strstr(r.out, "read --key from FILE"));
	ck_assert_ptr_nonnull(strstr(r.out, "env CKCFG_KEY_FILE"));
	ck_assert_ptr_nonnull(strstr(r.out, "env CKCFG_DSN_FILE"));
	run_free(&r);
}
END_TEST

/* An error line quoting a URL names it without its key. */
START_TEST(test_fail_redacts)
{
	FILE *err = tmpfile();
	int se;
	char *s;

	fflush(stderr);
	se = dup(STDERR_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	cfg_fail(&prog, "invalid --rpc URL '%s'", "ftp://u:p@h:1/v2/SECRETKEY");
	fflush(stderr);
	dup2(se, STDERR_FILENO);
	close(se);
	s = slurp(err);
	ck_assert_str_eq(s, "ckprog: invalid --rpc URL 'ftp://h:1'\n");
	free(s);
}
END_TEST

static Suite *cfg_suite(void)
{
	Suite *s = suite_create("cfg");
	TCase *tn = tcase_create("numbers");
	TCase *tp = tcase_create("parse");
	TCase *ts = tcase_create("secrets");

	tcase_add_loop_test(tn, test_parse_int, 0, sizeof(ints) / sizeof(*ints));
	tcase_add_loop_test(tn, test_parse_duration, 0,
			    sizeof(durations) / sizeof(*durations));
	suite_add_tcase(s, tn);

	tcase_add_checked_fixture(tp, cfg_setup, NULL);
	tcase_add_loop_test(tp, test_parse_table, 0,
			    sizeof(cases) / sizeof(*cases));
	tcase_add_test(tp, test_set_flags);
	tcase_add_test(tp, test_no_default);
	tcase_add_test(tp, test_common_options);
	tcase_add_test(tp, test_help_text);
	tcase_add_test(tp, test_reparse);
	tcase_add_test(tp, test_bad_default);
	tcase_add_test(tp, test_find);
	tcase_add_test(tp, test_fail);
	tcase_add_test(tp, test_fail_redacts);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(ts, secrets_setup, secrets_teardown);
	tcase_add_test(ts, test_secret_sources);
	tcase_add_test(ts, test_secret_off_argv);
	tcase_add_loop_test(ts, test_secret_errors, 0,
			    sizeof(secret_errors) / sizeof(*secret_errors));
	tcase_add_test(ts, test_secret_help);
	suite_add_tcase(s, ts);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cfg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
