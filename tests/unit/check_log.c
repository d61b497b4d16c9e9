/* Logging: every line is one valid JSON object with the fields typed as
 * given, escaping survives a round trip through a parser, levels filter,
 * and node URLs come out redacted. stderr is captured by dup2(2) onto a
 * temporary file. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "log.h"

/* stderr capture */

static FILE *cap_fp;
static int cap_saved = -1;

static void capture_start(void)
{
	cap_fp = tmpfile();
	ck_assert_ptr_nonnull(cap_fp);
	fflush(stderr);
	cap_saved = dup(STDERR_FILENO);
	ck_assert_int_ge(cap_saved, 0);
	ck_assert_int_ge(dup2(fileno(cap_fp), STDERR_FILENO), 0);
}

/* Stop capturing; returns what was written (free it). */
static char *capture_end(size_t *lenp)
{
	long len;
	char *out;

	fflush(stderr);
	ck_assert_int_ge(dup2(cap_saved, STDERR_FILENO), 0);
	close(cap_saved);
	cap_saved = -1;
	ck_assert_int_ge(fseek(cap_fp, 0, SEEK_END), 0);
	len = ftell(cap_fp);
	ck_assert_int_ge(len, 0);
	rewind(cap_fp);
	out = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fread(out, 1, (size_t)len, cap_fp), (size_t)len);
	out[len] = '\0';
	fclose(cap_fp);
	cap_fp = NULL;
	if (lenp)
		*lenp = (size_t)len;
	return out;
}

/* Check that text is exactly one line holding one JSON object and parse
 * it; the tree is the caller's. */
static yajl_val parse_line(const char *text, size_t len)
{
	char err[256] = "";
	char *copy;
	yajl_val v;

	ck_assert_uint_gt(len, 1);
	ck_assert_uint_eq(strlen(text), len); /* no NUL inside */
	ck_assert_int_eq(text[len - 1], '\n');
	ck_assert_ptr_eq(strchr(text, '\n'), text + len - 1);
	copy = strndup(text, len - 1);
	v = yajl_tree_parse(copy, err, sizeof(err));
	ck_assert_msg(v != NULL, "not JSON (%s): %s", err, copy);
	ck_assert(YAJL_IS_OBJECT(v));
	free(copy);
	return v;
}

static yajl_val field(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

static const char *field_str(yajl_val obj, const char *key)
{
	yajl_val v = field(obj, key);

	ck_assert_msg(v != NULL, "no field '%s'", key);
	ck_assert_msg(YAJL_IS_STRING(v), "field '%s' is not a string", key);
	return v->u.string;
}

static void setup(void)
{
	log_init("check_log", LOG_DEBUG);
}

START_TEST(test_line_shape)
{
	char *out;
	size_t len;
	yajl_val v;
	const char *ts;
	int rc;

	capture_start();
	rc = log_info("block %d of %s", 7, "mainnet");
	out = capture_end(&len);
	ck_assert_int_eq(rc, -1);
	v = parse_line(out, len);
	/* ts, level, prog, msg come first, in that order. */
	ck_assert_uint_eq(v->u.object.len, 4);
	ck_assert_str_eq(v->u.object.keys[0], "ts");
	ck_assert_str_eq(v->u.object.keys[1], "level");
	ck_assert_str_eq(v->u.object.keys[2], "prog");
	ck_assert_str_eq(v->u.object.keys[3], "msg");
	ck_assert_str_eq(field_str(v, "level"), "info");
	ck_assert_str_eq(field_str(v, "prog"), "check_log");
	ck_assert_str_eq(field_str(v, "msg"), "block 7 of mainnet");
	/* 2026-11-23T04:13:30.123Z */
	ts = field_str(v, "ts");
	ck_assert_uint_eq(strlen(ts), 24);
	for (int i = 0; i < 24; i++) {
		switch (i) {
		case 4: case 7:
			ck_assert_int_eq(ts[i], '-');
			break;
		case 10:
			ck_assert_int_eq(ts[i], 'T');
			break;
		case 13: case 16:
			ck_assert_int_eq(ts[i], ':');
			break;
		case 19:
			ck_assert_int_eq(ts[i], '.');
			break;
		case 23:
			ck_assert_int_eq(ts[i], 'Z');
			break;
		default:
			ck_assert_msg(ts[i] >= '0' && ts[i] <= '9', "ts %s", ts);
		}
	}
	yajl_tree_free(v);
	free(out);
}
END_TEST

START_TEST(test_level_names)
{
	static const struct {
		int lvl;
		const char *name;
	} lv[] = {
		{ LOG_DEBUG, "debug" },
		{ LOG_INFO, "info" },
		{ LOG_WARN, "warn" },
		{ LOG_ERROR, "error" },
	};

	for (size_t i = 0; i < sizeof(lv) / sizeof(*lv); i++) {
		char *out;
		size_t len;
		yajl_val v;

		capture_start();
		log_at((enum log_level)lv[i].lvl, NULL, 0, "x");
		out = capture_end(&len);
		v = parse_line(out, len);
		ck_assert_str_eq(field_str(v, "level"), lv[i].name);
		yajl_tree_free(v);
		free(out);
	}
}
END_TEST

START_TEST(test_typed_fields)
{
	char *out;
	size_t len;
	yajl_val v, f;

	capture_start();
	log_at(LOG_WARN,
	       LOGF(LF_I("height", 123), LF_I("neg", LLONG_MIN),
		    LF_U("umax", ULLONG_MAX), LF_U("zero", 0),
		    LF_D("ratio", 0.25), LF_D("nan", NAN),
		    LF_D("inf", INFINITY), LF_D("ninf", -INFINITY),
		    LF_S("hash", "0xabc"), LF_S("none", NULL),
		    LF_B("yes", 5), LF_B("no", 0), LF_S("after", "end")),
	       "fields");
	out = capture_end(&len);
	v = parse_line(out, len);
	ck_assert_uint_eq(v->u.object.len, 4 + 13);

	f = field(v, "height");
	ck_assert(f && YAJL_IS_INTEGER(f));
	ck_assert_int_eq(YAJL_GET_INTEGER(f), 123);
	/* yajl's reader cannot hold LLONG_MIN; the text is what counts. */
	f = field(v, "neg");
	ck_assert(f && YAJL_IS_NUMBER(f));
	ck_assert_str_eq(YAJL_GET_NUMBER(f), "-9223372036854775808");
	/* Beyond long long: still a JSON number, written exactly. */
	f = field(v, "umax");
	ck_assert(f && YAJL_IS_NUMBER(f));
	ck_assert_str_eq(YAJL_GET_NUMBER(f), "18446744073709551615");
	f = field(v, "zero");
	ck_assert(f && YAJL_IS_INTEGER(f));
	ck_assert_int_eq(YAJL_GET_INTEGER(f), 0);
	f = field(v, "ratio");
	ck_assert(f && YAJL_IS_DOUBLE(f));
	ck_assert(YAJL_GET_DOUBLE(f) == 0.25);
	/* JSON has no NaN or infinity: they are written as null. */
	f = field(v, "nan");
	ck_assert(f && YAJL_IS_NULL(f));
	f = field(v, "inf");
	ck_assert(f && YAJL_IS_NULL(f));
	f = field(v, "ninf");
	ck_assert(f && YAJL_IS_NULL(f));
	ck_assert_str_eq(field_str(v, "hash"), "0xabc");
	f = field(v, "none");
	ck_assert(f && YAJL_IS_NULL(f));
	f = field(v, "yes");
	ck_assert(f && YAJL_IS_TRUE(f));
	f = field(v, "no");
	ck_assert(f && YAJL_IS_FALSE(f));
	ck_assert_str_eq(field_str(v, "after"), "end");
	yajl_tree_free(v);
	free(out);
}
END_TEST

/* Text that must be escaped, in the message, a string field and a key;
 * the parser must give back exactly what went in. */
static const char *const escapes[] = {
	"plain",
	"",
	"say \"hi\"",
	"back\\slash",
	"two\nlines\n",
	"cr\rlf\r\n",
	"tab\there",
	"\x01\x02\x03\x1f\x7f",
	"\b\f",
	"slash / and </script>",
	"percent %d %s %% kept",
	"utf-8: h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
	"{\"json\":[1,2]}",
	"'single'",
};

START_TEST(test_escaping)
{
	const char *s = escapes[_i];
	char *out;
	size_t len;
	yajl_val v;

	capture_start();
	log_at(LOG_ERROR, LOGF(LF_S("value", s), LF_S(s, "as key")), "%s", s);
	out = capture_end(&len);
	v = parse_line(out, len);
	ck_assert_str_eq(field_str(v, "msg"), s);
	ck_assert_str_eq(field_str(v, "value"), s);
	ck_assert_uint_eq(v->u.object.len, 6);
	ck_assert_str_eq(v->u.object.keys[5], s);
	ck_assert_str_eq(field_str(v, s), "as key");
	/* No raw control character reaches the line. */
	for (size_t i = 0; i + 1 < len; i++)
		ck_assert_msg((unsigned char)out[i] >= 0x20,
			      "raw control byte 0x%02x at %zu", out[i], i);
	yajl_tree_free(v);
	free(out);
}
END_TEST

/* Bytes that are not UTF-8 (from a node, or a character cut in two)
 * come out as '?', one a byte, and the line stays valid JSON; well-formed
 * characters around them are kept. */
static const struct {
	const char *in;
	const char *out;
} utf8[] = {
	{ "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	  "ok \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "\xef\xbf\xbf \xf4\x8f\xbf\xbf", "\xef\xbf\xbf \xf4\x8f\xbf\xbf" },
	{ "bad \xff\xfe byte", "bad ?? byte" },
	{ "\x80", "?" },
	{ "cut \xc3", "cut ?" },
	{ "cut \xe2\x82", "cut ??" },
	{ "cut \xf0\x9f\x98", "cut ???" },
	{ "\xc3(", "?(" },
	{ "\xe2\x82x", "??x" },
	{ "\xf0\x9f\x98x \xf0\x9fx", "???x ??x" },
	{ "overlong \xc0\xaf \xe0\x80\xaf", "overlong ?? ???" },
	{ "surrogate \xed\xa0\x80", "surrogate ???" },
	{ "too big \xf4\x90\x80\x80 \xf5\x80\x80\x80",
	  "too big ???? ????" },
	{ "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9?\xc3\xa9" },
};

START_TEST(test_utf8)
{
	char *out;
	size_t len;
	yajl_val v;

	capture_start();
	log_at(LOG_INFO, LOGF(LF_S("value", utf8[_i].in), LF_S(utf8[_i].in, "k")),
	       "%s", utf8[_i].in);
	out = capture_end(&len);
	v = parse_line(out, len);
	ck_assert_str_eq(field_str(v, "msg"), utf8[_i].out);
	ck_assert_str_eq(field_str(v, "value"), utf8[_i].out);
	ck_assert_str_eq(v->u.object.keys[5], utf8[_i].out);
	yajl_tree_free(v);
	free(out);
}
END_TEST

/* The message buffer cuts a long message; when the cut falls inside a
 * character the line is still valid. */
START_TEST(test_long_message_cut_char)
{
	char *big = malloc(4001), *out;
	size_t len;
	yajl_val v;
	const char *msg;

	for (int i = 0; i < 4000; i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	big[4000] = '\0';
	for (int shift = 0; shift < 2; shift++) {
		capture_start();
		log_info("%.*s%s", shift, "a", big);
		out = capture_end(&len);
		v = parse_line(out, len);
		msg = field_str(v, "msg");
		ck_assert_uint_gt(strlen(msg), 1000);
		yajl_tree_free(v);
		free(out);
	}
	free(big);
}
END_TEST

START_TEST(test_prog_escaped)
{
	char *out;
	size_t len;
	yajl_val v;

	log_init("odd \"prog\"\n", LOG_DEBUG);
	capture_start();
	log_debug("m");
	out = capture_end(&len);
	v = parse_line(out, len);
	ck_assert_str_eq(field_str(v, "prog"), "odd \"prog\"\n");
	yajl_tree_free(v);
	free(out);
}
END_TEST

/* A message longer than the formatting buffer is cut, not lost. */
START_TEST(test_long_message)
{
	char *big = malloc(10001), *out;
	size_t len;
	yajl_val v;
	const char *msg;

	memset(big, 'q', 10000);
	big[10000] = '\0';
	capture_start();
	log_info("%s", big);
	out = capture_end(&len);
	v = parse_line(out, len);
	msg = field_str(v, "msg");
	ck_assert_uint_gt(strlen(msg), 1000);
	ck_assert_uint_le(strlen(msg), 10000);
	ck_assert(strspn(msg, "q") == strlen(msg));
	yajl_tree_free(v);
	free(out);
	free(big);
}
END_TEST

START_TEST(test_errno_field)
{
	char *out;
	size_t len;
	yajl_val v;
	int rc;

	capture_start();
	errno = ENOENT;
	rc = log_warn_errno("cannot open '%s'", "/nonexistent");
	ck_assert_int_eq(errno, ENOENT);
	out = capture_end(&len);
	ck_assert_int_eq(rc, -1);
	v = parse_line(out, len);
	ck_assert_str_eq(field_str(v, "level"), "warn");
	ck_assert_str_eq(field_str(v, "msg"), "cannot open '/nonexistent'");
	ck_assert_str_eq(field_str(v, "error"), strerror(ENOENT));
	yajl_tree_free(v);
	free(out);

	/* With fields: "error" comes last. */
	capture_start();
	errno = EPIPE;
	log_at_errno(LOG_ERROR, LOGF(LF_I("fd", 3)), "write");
	ck_assert_int_eq(errno, EPIPE);
	out = capture_end(&len);
	v = parse_line(out, len);
	ck_assert_uint_eq(v->u.object.len, 6);
	ck_assert_str_eq(v->u.object.keys[4], "fd");
	ck_assert_str_eq(v->u.object.keys[5], "error");
	ck_assert_str_eq(field_str(v, "error"), strerror(EPIPE));
	yajl_tree_free(v);
	free(out);

	/* Filtered out: nothing written, errno untouched. */
	log_set_level(LOG_ERROR);
	capture_start();
	errno = EACCES;
	ck_assert_int_eq(log_warn_errno("quiet"), -1);
	ck_assert_int_eq(errno, EACCES);
	out = capture_end(&len);
	ck_assert_uint_eq(len, 0);
	free(out);
}
END_TEST

/* Every (minimum, level) pair: written when level >= minimum. */
START_TEST(test_level_filter)
{
	enum log_level min = (enum log_level)(_i / 4);
	enum log_level lvl = (enum log_level)(_i % 4);
	int want = lvl >= min;
	char *out;
	size_t len;
	int rc, rc2;

	log_init("check_log", min);
	ck_assert_int_eq(log_enabled(lvl), want);
	capture_start();
	rc = log_at(lvl, LOGF(LF_I("i", _i)), "level %d min %d", lvl, min);
	errno = EIO;
	rc2 = log_at_errno(lvl, NULL, 0, "errno variant");
	out = capture_end(&len);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(rc2, -1);
	if (!want) {
		ck_assert_uint_eq(len, 0);
	} else {
		char *nl = strchr(out, '\n');

		ck_assert_ptr_nonnull(nl);
		ck_assert_ptr_eq(strchr(nl + 1, '\n'), out + len - 1);
	}
	free(out);

	/* log_set_level changes only the minimum. */
	log_set_level(LOG_DEBUG);
	ck_assert(log_enabled(lvl));
	log_set_level(LOG_ERROR);
	ck_assert_int_eq(log_enabled(lvl), lvl == LOG_ERROR);
}
END_TEST

/* Arguments are not evaluated into a line when the level is off; the
 * macros still return -1 for `return log_error(...)`. */
static int fail_with_log(void)
{
	return log_error("failed: %s", "reason");
}

START_TEST(test_return_idiom)
{
	char *out;
	size_t len;

	log_set_level(LOG_DEBUG);
	capture_start();
	ck_assert_int_eq(fail_with_log(), -1);
	ck_assert_int_eq(log_debug("d"), -1);
	ck_assert_int_eq(log_warn("w"), -1);
	out = capture_end(&len);
	/* Three lines. */
	ck_assert_ptr_nonnull(strchr(out, '\n'));
	ck_assert_ptr_nonnull(strchr(strchr(out, '\n') + 1, '\n'));
	ck_assert_ptr_eq(strchr(strchr(strchr(out, '\n') + 1, '\n') + 1, '\n'),
			 out + len - 1);
	free(out);
}
END_TEST

static const struct {
	const char *s;
	int rc;
	enum log_level lvl;
} level_parse[] = {
	{ "debug", 0, LOG_DEBUG },
	{ "info", 0, LOG_INFO },
	{ "warn", 0, LOG_WARN },
	{ "warning", 0, LOG_WARN },
	{ "error", 0, LOG_ERROR },
	{ "", -1, 0 },
	{ "DEBUG", -1, 0 },
	{ "Info", -1, 0 },
	{ "fatal", -1, 0 },
	{ "err", -1, 0 },
	{ "info ", -1, 0 },
	{ " info", -1, 0 },
	{ "3", -1, 0 },
};

START_TEST(test_level_parse)
{
	enum log_level out = (enum log_level)99;

	ck_assert_int_eq(log_level_parse(level_parse[_i].s, &out),
			 level_parse[_i].rc);
	if (level_parse[_i].rc == 0)
		ck_assert_int_eq(out, level_parse[_i].lvl);
	else
		ck_assert_int_eq(out, 99);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} redact[] = {
	/* Nothing secret: unchanged. */
	{ "http://127.0.0.1:8545", "http://127.0.0.1:8545" },
	{ "ws://localhost:8546", "ws://localhost:8546" },
	{ "http://[::1]:8545", "http://[::1]:8545" },
	{ "127.0.0.1:8545", "127.0.0.1:8545" },
	{ "tcp://127.0.0.1:5557", "tcp://127.0.0.1:5557" },
	{ "", "" },
	/* A node is named by scheme, host and port: every path goes, long
	 * or short, since a path may be a key of any length. */
	{ "http://127.0.0.1:8545/", "http://127.0.0.1:8545" },
	{ "https://rpc.example.org/v1/mainnet", "https://rpc.example.org" },
	{ "http://127.0.0.1:9/v2/SECRETKEY", "http://127.0.0.1:9" },
	{ "https://h/aaaaaaaaaaaaaaa", "https://h" },
	{ "https://h//x", "https://h" },
	/* Infura (https and wss, with a project secret as user info). */
	{ "https://mainnet.infura.io/v3/9aa3d95b3bc440fa88ea12eaa4456161",
	  "https://mainnet.infura.io" },
	{ "wss://mainnet.infura.io/ws/v3/9aa3d95b3bc440fa88ea12eaa4456161",
	  "wss://mainnet.infura.io" },
	{ "https://:b5e7c0ffee@sepolia.infura.io/v3/9aa3d95b3bc440fa",
	  "https://sepolia.infura.io" },
	/* Alchemy. */
	{ "https://eth-mainnet.g.alchemy.com/v2/abcdefghijklmnop123",
	  "https://eth-mainnet.g.alchemy.com" },
	{ "wss://eth-mainnet.g.alchemy.com/v2/k", "wss://eth-mainnet.g.alchemy.com" },
	/* QuickNode: the token is the path, with a trailing slash. */
	{ "https://x.quiknode.pro/0123456789abcdef0123/", "https://x.quiknode.pro" },
	{ "wss://x.quiknode.pro/short/", "wss://x.quiknode.pro" },
	/* Ankr, Chainstack, GetBlock, BlastAPI, dRPC, Tenderly, NOWNodes. */
	{ "https://rpc.ankr.com/eth/0123456789abcdef0123456789abcdef",
	  "https://rpc.ankr.com" },
	{ "https://rpc.ankr.com/eth/ab", "https://rpc.ankr.com" },
	{ "https://nd-123-456-789.p2pify.com/3c6e0b8a9c15224a8228b9a98ca1531d",
	  "https://nd-123-456-789.p2pify.com" },
	{ "https://go.getblock.io/abc123/", "https://go.getblock.io" },
	{ "https://eth-mainnet.blastapi.io/0b1c2d3e-4f5a", "https://eth-mainnet.blastapi.io" },
	{ "https://lb.drpc.org/ogrpc?network=ethereum&dkey=KEY",
	  "https://lb.drpc.org" },
	{ "https://mainnet.gateway.tenderly.co/KEY", "https://mainnet.gateway.tenderly.co" },
	{ "https://eth.nownodes.io/KEY", "https://eth.nownodes.io" },
	/* Keys in the query string (Etherscan-style apikey=), fragments. */
	{ "https://node.example.com/rpc?apikey=abc", "https://node.example.com" },
	{ "https://node.example.com?key=abc", "https://node.example.com" },
	{ "https://node.example.com:8443?key=abc", "https://node.example.com:8443" },
	{ "http://127.0.0.1:8545/?", "http://127.0.0.1:8545" },
	{ "https://h/p#token=abc", "https://h" },
	{ "https://h#token", "https://h" },
	/* User information, whatever its shape. */
	{ "https://user:secret@node.example.com:8545/", "https://node.example.com:8545" },
	{ "https://apikey@node.example.com", "https://node.example.com" },
	{ "http://user:p%40ss@10.0.0.1:8545", "http://10.0.0.1:8545" },
	{ "user:secret@host:8545", "host:8545" },
	{ "user:secret@host:8545/key", "host:8545" },
	/* An unencoded '@' in the password: the last '@' ends it. */
	{ "https://user:p@ss@node.example.com/", "https://node.example.com" },
	{ "https://a@b@c@h:1", "https://h:1" },
	/* An '@' after the host is path. */
	{ "http://host/a@b", "http://host" },
	/* A backslash ends the host as a slash does. */
	{ "https://h\\v2\\KEY", "https://h" },
	/* IPv6 hosts. */
	{ "http://[::1]:8545/v2/KEY", "http://[::1]:8545" },
	{ "https://u:p@[2001:db8::1]/KEY?k=v", "https://[2001:db8::1]" },
	{ "http://[fe80::1%25eth0]:8545/KEY", "http://[fe80::1%25eth0]:8545" },
	/* Scheme case, PostgreSQL URIs. */
	{ "HTTPS://H/KEY", "HTTPS://H" },
	{ "postgresql://bp:pw@db.example:5432/blockpipe?sslmode=require",
	  "postgresql://db.example:5432" },
	/* Everything at once. */
	{ "https://u:p@eth-mainnet.g.alchemy.com/v2/abcdefghijklmnop123?k=v#f",
	  "https://eth-mainnet.g.alchemy.com" },
	/* A failover list. */
	{ "http://a:1/KEY1,https://u:p@b/v3/KEY2,http://c:3",
	  "http://a:1,https://b,http://c:3" },
	{ "u:p@a:1/KEY1,b:2/KEY2", "a:1,b:2" },
	/* URLs quoted in a sentence: each is cut, the rest stays. */
	{ "invalid --rpc URL 'http://h:1/v2/SECRETKEY': want http://",
	  "invalid --rpc URL 'http://h:1': want http://" },
	{ "cannot reach \"wss://u:p@h/KEY\" or https://g/K2?x=1 (retrying)",
	  "cannot reach \"wss://h\" or https://g (retrying)" },
	{ "Could not resolve host: h; url https://h/v2/KEY",
	  "Could not resolve host: h; url https://h" },
	{ "://u:p@h/KEY", "://h" },
	/* A quote or a comma inside a URL does not let its tail through. */
	{ "http://h\"x/SECRETKEY", "http://h" },
	{ "http://h:1/v2/KEY'x,y", "http://h:1,y" },
	{ "invalid --rpc 'http://h\"x/SECRETKEY'", "invalid --rpc 'http://h'" },
	{ "bad 'http://h/a,b/SECRETKEY' here", "bad 'http://h' here" },
	{ "nodes http://a:1/K1,http://b/K2 down", "nodes http://a:1,http://b down" },
	{ "(see https://h/v2/KEY).", "(see https://h)." },
	{ "'http://h/KEY'", "'http://h'" },
	/* ZeroMQ's local transports are files and names, not nodes. */
	{ "ipc:///tmp/blockpipe.sock", "ipc:///tmp/blockpipe.sock" },
	{ "bind inproc://verifier then http://h/K", "bind inproc://verifier then http://h" },
};

/* No output of the table holds a secret: every secret in the inputs is
 * spelt with one of these. */
static const char *const secrets[] = {
	"KEY", "secret", "9aa3d95b", "abcdefghij", "0123456789", "abc123",
	"apikey", "token", "p%40ss", "ss@", "b5e7c0ffee", "sslmode", "pw@",
	"0b1c2d3e", "3c6e0b8a", "short", "/ab", "/v1", "/v2", "/v3", "/ws",
	"ogrpc", "network=",
};

START_TEST(test_redact_no_secret)
{
	char out[256];

	log_redact_url(redact[_i].in, out, sizeof(out));
	for (size_t k = 0; k < sizeof(secrets) / sizeof(*secrets); k++)
		ck_assert_msg(!strstr(out, secrets[k]) ||
			      strstr(redact[_i].in, "ipc://"),
			      "'%s' -> '%s' holds '%s'", redact[_i].in, out,
			      secrets[k]);
	/* And structurally: after each "scheme://" of a node, only a host
	 * and a port (no '/', '?', '#', '@') up to where the URL ends. */
	for (const char *p = strstr(out, "://"); p; p = strstr(p, "://")) {
		if (p - out >= 3 && !strncmp(p - 3, "ipc", 3))
			break;
		for (p += 3; *p && !strchr(" '\",<>", *p); p++)
			ck_assert_msg(!strchr("/?#@\\", *p) || !strncmp(p, "://", 3),
				      "'%s' -> '%s': more than host:port",
				      redact[_i].in, out);
	}
}
END_TEST

/* Whoever forgets to redact: a log line's message, its string fields and
 * its errno text never carry a URL's key. */
START_TEST(test_lines_redacted)
{
	char *line;

	capture_start();
	log_at(LOG_WARN, LOGF(LF_S("node", "http://u:pw@h:1/v2/SECRETKEY"),
			      LF_S("endpoint", "ipc:///tmp/x.sock")),
	       "cannot fetch from 'https://h/v3/SECRETKEY?apikey=SECRET2'");
	line = capture_end(NULL);
	ck_assert_ptr_null(strstr(line, "SECRET"));
	ck_assert_ptr_null(strstr(line, "pw"));
	ck_assert_ptr_nonnull(strstr(line, "\"node\":\"http://h:1\""));
	ck_assert_ptr_nonnull(strstr(line, "'https://h'"));
	ck_assert_ptr_nonnull(strstr(line, "ipc:///tmp/x.sock"));
	free(line);
}
END_TEST

START_TEST(test_redact)
{
	char out[256];

	memset(out, 'X', sizeof(out));
	log_redact_url(redact[_i].in, out, sizeof(out));
	ck_assert_str_eq(out, redact[_i].out);
}
END_TEST

/* A short output buffer: always NUL-terminated, never overrun, and what
 * fits is a prefix of the full redaction (so never a secret). */
START_TEST(test_redact_short)
{
	const char *url = redact[_i].in;
	const char *want = redact[_i].out;
	size_t wl = strlen(want);

	for (size_t n = 1; n <= wl + 1; n++) {
		char *out = malloc(n + 1);

		out[n] = '#';
		memset(out, 'X', n);
		log_redact_url(url, out, n);
		ck_assert_uint_lt(strlen(out), n);
		ck_assert_int_eq(out[n], '#');
		ck_assert_msg(!strncmp(out, want, strlen(out)),
			      "'%s' (n %zu) is not a prefix of '%s'", out, n,
			      want);
		if (n == wl + 1)
			ck_assert_str_eq(out, want);
		free(out);
	}
	/* outlen 0: nothing written at all. */
	{
		char c = 'X';

		log_redact_url(url, &c, 0);
		ck_assert_int_eq(c, 'X');
	}
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("lines");
	TCase *tr = tcase_create("redact");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_line_shape);
	tcase_add_test(tc, test_level_names);
	tcase_add_test(tc, test_typed_fields);
	tcase_add_loop_test(tc, test_escaping, 0,
			    sizeof(escapes) / sizeof(*escapes));
	tcase_add_loop_test(tc, test_utf8, 0, sizeof(utf8) / sizeof(*utf8));
	tcase_add_test(tc, test_long_message_cut_char);
	tcase_add_test(tc, test_prog_escaped);
	tcase_add_test(tc, test_long_message);
	tcase_add_test(tc, test_errno_field);
	tcase_add_loop_test(tc, test_level_filter, 0, 16);
	tcase_add_test(tc, test_return_idiom);
	tcase_add_test(tc, test_lines_redacted);
	tcase_add_loop_test(tc, test_level_parse, 0,
			    sizeof(level_parse) / sizeof(*level_parse));
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tr, test_redact, 0, sizeof(redact) / sizeof(*redact));
	tcase_add_loop_test(tr, test_redact_short, 0,
			    sizeof(redact) / sizeof(*redact));
	tcase_add_loop_test(tr, test_redact_no_secret, 0,
			    sizeof(redact) / sizeof(*redact));
	suite_add_tcase(s, tr);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
