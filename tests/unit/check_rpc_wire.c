/* rpc_wire (common/rpc_wire.c), table-driven: the answer parser
 * (rpc_parse_response), the request writer (rpc_wire_request) and what
 * reads as a rate limit (rpc_wire_rate_limited). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "rpc_wire.h"

#include "rpc_suite_run.h"

#include "banned.h"

/* ---- rpc_parse_response ---- */

struct want {
	enum rpc_status st;
	const char *result; /* RPC_OK: the exact raw bytes */
	long code;          /* RPC_ERROR */
	const char *msg;    /* RPC_ERROR */
};

struct parse_case {
	const char *name;
	const char *body;
	uint64_t first_id;
	size_t n;
	int rc;
	const char *err;    /* rc -1: a substring of the reason */
	struct want want[3];
};

static const struct parse_case parse_cases[] = {
	{ "single ok", "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x10\"}",
	  7, 1, 0, NULL, { { RPC_OK, "\"0x10\"", 0, NULL } } },
	{ "null result", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":null}",
	  1, 1, 0, NULL, { { RPC_OK, "null", 0, NULL } } },
	{ "error object",
	  "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32000,"
	  "\"message\":\"header not found\"}}",
	  1, 1, 0, NULL, { { RPC_ERROR, NULL, -32000, "header not found" } } },
	{ "error with escapes",
	  "{\"id\":1,\"error\":{\"code\":3,\"message\":\"execution "
	  "reverted: \\\"no\\\"\",\"data\":\"0x08c379a0\"}}",
	  1, 1, 0, NULL,
	  { { RPC_ERROR, NULL, 3, "execution reverted: \"no\"" } } },
	{ "error as a bare string", "{\"id\":1,\"error\":\"boom\"}",
	  1, 1, 0, NULL, { { RPC_ERROR, NULL, 0, "boom" } } },
	{ "batch out of order",
	  "[{\"id\":12,\"result\":\"c\"},{\"id\":10,\"result\":\"a\"},"
	  "{\"id\":11,\"error\":{\"code\":-1,\"message\":\"b\"}}]",
	  10, 3, 0, NULL,
	  { { RPC_OK, "\"a\"", 0, NULL }, { RPC_ERROR, NULL, -1, "b" },
	    { RPC_OK, "\"c\"", 0, NULL } } },
	{ "batch with a missing id",
	  "[{\"id\":1,\"result\":1},{\"id\":3,\"result\":3}]",
	  1, 3, -1, "no answer for id 2", { { 0 } } },
	{ "batch with a duplicate id",
	  "[{\"id\":1,\"result\":1},{\"id\":1,\"result\":2}]",
	  1, 2, -1, "duplicate id 1", { { 0 } } },
	{ "duplicate after an error", /* the error's message is freed */
	  "[{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}},"
	  "{\"id\":1,\"result\":2}]",
	  1, 2, -1, "duplicate id 1", { { 0 } } },
	{ "garbage", "<html>oops</html>", 1, 1, -1, "", { { 0 } } },
	{ "empty body", "", 1, 1, -1, "empty", { { 0 } } },
	{ "truncated", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":",
	  1, 1, -1, "", { { 0 } } },
	{ "truncated batch after an error",
	  "[{\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}},{\"id\":2,",
	  1, 2, -1, "", { { 0 } } },
	{ "non-object element", "[{\"id\":1,\"result\":1},5]",
	  1, 2, -1, "not an object", { { 0 } } },
	{ "array element", "[[1],{\"id\":2,\"result\":1}]",
	  1, 2, -1, "not an object", { { 0 } } },
	{ "string id is not ours", "{\"id\":\"1\",\"result\":1}",
	  1, 1, -1, "unexpected id", { { 0 } } },
	{ "numeric id", "{\"id\":1,\"result\":1}",
	  1, 1, 0, NULL, { { RPC_OK, "1", 0, NULL } } },
	{ "id out of range", "{\"id\":9,\"result\":1}",
	  1, 1, -1, "unexpected id 9", { { 0 } } },
	{ "negative id", "{\"id\":-1,\"result\":1}",
	  1, 1, -1, "unexpected id", { { 0 } } },
	{ "no id", "{\"result\":1}", 1, 1, -1, "without id", { { 0 } } },
	{ "neither result nor error", "{\"id\":1}",
	  1, 1, -1, "neither", { { 0 } } },
	{ "error null next to a result",
	  "{\"id\":1,\"result\":\"0x1\",\"error\":null}",
	  1, 1, 0, NULL, { { RPC_OK, "\"0x1\"", 0, NULL } } },
	{ "nested result passed through byte-exact",
	  "{\"id\":1,\"result\" :  {\"s\":\"a\\\"b\\u00e9\\n\",\"arr\":"
	  "[{\"k\":null}, 1.5e3],\"id\":99} }",
	  1, 1, 0, NULL,
	  { { RPC_OK, "{\"s\":\"a\\\"b\\u00e9\\n\",\"arr\":[{\"k\":null}, "
		      "1.5e3],\"id\":99}", 0, NULL } } },
	{ "surrounding whitespace", "  {\"id\":1,\"result\":true}\n",
	  1, 1, 0, NULL, { { RPC_OK, "true", 0, NULL } } },
	{ "batch answer to a single call", "[{\"id\":1,\"result\":1}]",
	  1, 1, -1, "batch answer", { { 0 } } },
	{ "single answer to a batch", "{\"id\":1,\"result\":1}",
	  1, 2, -1, "single answer", { { 0 } } },
	{ "batch refused as a whole (id null)",
	  "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
	  "\"message\":\"batch too large\"}}",
	  1, 2, 0, NULL,
	  { { RPC_ERROR, NULL, -32600, "batch too large" },
	    { RPC_ERROR, NULL, -32600, "batch too large" } } },
	{ "null id without error", "{\"id\":null,\"result\":1}",
	  1, 1, -1, "null id", { { 0 } } },
	{ "empty batch", "[]", 1, 2, -1, "no answer for id 1", { { 0 } } },
	{ "scalar document", "42", 1, 1, -1, "", { { 0 } } },
	/* a repeated key anywhere refuses the whole answer */
	{ "duplicate result", "{\"id\":1,\"result\":\"0x1\",\"result\":\"0x2\"}",
	  1, 1, -2, "duplicate key 'result' in $", { { 0 } } },
	{ "duplicate inside a block",
	  "{\"id\":1,\"result\":{\"timestamp\":\"0x1\",\"miner\":\"0x0\","
	  "\"timestamp\":\"0x2\"}}",
	  1, 1, -2, "duplicate key 'timestamp' in $.result", { { 0 } } },
	{ "duplicate in a batch element",
	  "[{\"id\":1,\"result\":1},{\"id\":2,\"result\":{\"logs\":[{\"a\":1,"
	  "\"\\u0061\":1}]}}]",
	  1, 2, -2, "duplicate key 'a' in $[1].result.logs[0]", { { 0 } } },
	{ "keys differing by case", "{\"id\":1,\"result\":{\"a\":1,\"A\":2}}",
	  1, 1, 0, NULL, { { RPC_OK, "{\"a\":1,\"A\":2}", 0, NULL } } },
};

START_TEST(test_parse)
{
	const struct parse_case *t = &parse_cases[_i];
	struct rpc_result res[3];
	char err[256];
	int rc;

	rc = rpc_parse_response(t->body, strlen(t->body), t->first_id, t->n,
				res, err, sizeof(err));
	ck_assert_msg(rc == t->rc, "%s: rc %d, want %d (%s)", t->name, rc,
		      t->rc, err);
	if (rc < 0) {
		ck_assert_msg(strstr(err, t->err), "%s: reason '%s' lacks '%s'",
			      t->name, err, t->err);
		ck_assert_msg(err[0], "%s: empty reason", t->name);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct want *w = &t->want[i];

		ck_assert_msg(res[i].status == w->st, "%s[%zu]: status %d",
			      t->name, i, res[i].status);
		if (w->st == RPC_OK) {
			ck_assert_uint_eq(res[i].result_len, strlen(w->result));
			ck_assert_msg(!memcmp(res[i].result, w->result,
					      res[i].result_len),
				      "%s[%zu]: result '%.*s'", t->name, i,
				      (int)res[i].result_len, res[i].result);
		} else {
			ck_assert_int_eq(res[i].code, w->code);
			ck_assert_str_eq(res[i].message, w->msg);
		}
	}
	rpc_results_release(res, t->n);
}
END_TEST

/* ---- rpc_wire_request, rpc_wire_rate_limited ---- */

START_TEST(test_wire_request)
{
	const struct rpc_call one = { "eth_blockNumber", NULL, -1 };
	const struct rpc_call two[] = {
		{ "eth_getBlockByNumber", "[\"0x10\",true]", 16 },
		{ "odd\"name\\", "", -1 },
	};
	struct buf b = BUF_INIT;
	char err[128];
	yajl_val v;

	ck_assert_int_eq(rpc_wire_request(&b, 7, &one, 1), 0);
	ck_assert_str_eq(b.data, "{\"jsonrpc\":\"2.0\",\"id\":7,"
			 "\"method\":\"eth_blockNumber\",\"params\":[]}");
	buf_reset(&b);
	ck_assert_int_eq(rpc_wire_request(&b, 1, two, 2), 0);
	ck_assert_str_eq(b.data,
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
		"\"eth_getBlockByNumber\",\"params\":[\"0x10\",true]},"
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":"
		"\"odd\\\"name\\\\\",\"params\":[]}]");
	v = json_parse(b.data, err, sizeof(err));
	ck_assert_msg(v != NULL, "%s", err);
	ck_assert_str_eq(json_get_str(v->u.array.values[1], "method"),
			 "odd\"name\\");
	yajl_tree_free(v);
	buf_release(&b);
	/* A cap too small is an error, not a request cut short. */
	buf_init(&b, 16);
	ck_assert_int_eq(rpc_wire_request(&b, 1, &one, 1), -1);
	buf_release(&b);
}
END_TEST

static const struct {
	enum rpc_status st;
	long code;
	const char *msg;
	int want;
} rate_cases[] = {
	{ RPC_ERROR, -32005, "daily request count exceeded", 1 },
	{ RPC_ERROR, -32005, "query returned more than 10000 results", 0 },
	{ RPC_ERROR, 429, "whatever", 1 },
	{ RPC_ERROR, -32000, "Rate limit reached", 1 },
	{ RPC_ERROR, -32000, "Too Many Requests", 1 },
	{ RPC_ERROR, -32000, "ratelimit", 1 },
	{ RPC_ERROR, -32000, "header not found", 0 },
	{ RPC_ERROR, -32005, NULL, 1 },
	{ RPC_OK, 429, "rate limit", 0 },
};

START_TEST(test_wire_rate_limited)
{
	struct rpc_result r = { .status = rate_cases[_i].st,
				.code = rate_cases[_i].code,
				.message = rate_cases[_i].msg };

	ck_assert_int_eq(rpc_wire_rate_limited(&r), rate_cases[_i].want);
}
END_TEST

static Suite *rpc_wire_suite(void)
{
	Suite *s = suite_create("rpc_wire");
	TCase *tc = tcase_create("pure");

	tcase_add_loop_test(tc, test_parse, 0,
			    sizeof(parse_cases) / sizeof(*parse_cases));
	tcase_add_test(tc, test_wire_request);
	tcase_add_loop_test(tc, test_wire_rate_limited, 0,
			    sizeof(rate_cases) / sizeof(*rate_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rpc_suite_run(rpc_wire_suite(), "check_rpc_wire");
}
