/* faultproxy --self-test: every body fault on a built-in block, each
 * result parsed again and checked (bodyfault.h). */
#include <string.h>

#include "bodyfault.h"
#include "json.h"

#include "banned.h"

/* Two transactions; the first receipt has one log without data, the
 * second two logs. Spaces here and there, as some nodes send. */
static const char fixture_block[] =
	"{\"hash\":\"0x" "aa" "00000000000000000000000000000000000000000000"
	"000000000000000000\",\"number\":\"0x2\",\"timestamp\": \"0x64\","
	"\"miner\":\"0x0000000000000000000000000000000000000001\","
	"\"transactions\": [ {\"hash\":\"0x01\",\"value\":\"0x3e8\","
	"\"input\":\"0x\\\"]}\"} , {\"hash\":\"0x02\",\"value\":\"0x0\"} ],"
	"\"uncles\":[]}";
static const char fixture_rcpts[] =
	"[{\"transactionHash\":\"0x01\",\"status\":\"0x1\",\"logs\":["
	"{\"address\":\"0x00000000000000000000000000000000000000e1\","
	"\"topics\":[\"0xf0\",\"0xf1\"],\"data\":\"0x\"}]},"
	"{\"transactionHash\":\"0x02\",\"status\":\"0x1\",\"logs\":[{"
	"\"address\":\"0x00000000000000000000000000000000000000e2\","
	"\"topics\":[],\"data\":\"0x0a\"},{\"address\":\"0x00000000000000000"
	"0000000000000000000000e3\",\"topics\":[\"0xf2\"],\"data\":\"0x0b\"}]}]";
static const char fixture_empty[] =
	"{\"hash\":\"0x01\",\"transactions\":[],\"number\":\"0x5\"}";

struct result {
	yajl_val block, rcpts;
	const char *btext, *rtext;
};

static yajl_val at(yajl_val v, size_t i)
{
	return YAJL_IS_ARRAY(v) && i < YAJL_GET_ARRAY(v)->len ?
		       YAJL_GET_ARRAY(v)->values[i] : NULL;
}

static size_t count(yajl_val v)
{
	return YAJL_IS_ARRAY(v) ? YAJL_GET_ARRAY(v)->len : (size_t)-1;
}

static const char *str(yajl_val v, const char *key)
{
	const char *s = json_get_str(v, key);

	return s ? s : "";
}

/* Topic i of log l, "" when absent. */
static const char *topic(yajl_val l, size_t i)
{
	yajl_val t = at(json_get(l, "topics"), i);
	const char *s = YAJL_IS_STRING(t) ? YAJL_GET_STRING(t) : NULL;

	return s ? s : "";
}

static yajl_val txs(const struct result *r)
{
	return json_get(r->block, "transactions");
}

static yajl_val logs(const struct result *r, size_t i)
{
	return json_get(at(r->rcpts, i), "logs");
}

/* Each check is true when the fault did what it says and nothing else
 * of what is checked. */
static int check(enum body_fault f, const struct result *r)
{
	yajl_val t = txs(r), l0 = at(logs(r, 0), 0);

	switch (f) {
	case BF_DROP_TX:
		return count(t) == 1 && count(r->rcpts) == 1 &&
		       !strcmp(str(at(t, 0), "hash"), "0x01") &&
		       !strcmp(str(at(r->rcpts, 0), "transactionHash"), "0x01");
	case BF_TX_VALUE:
	case BF_DUP_RESULT:
		return !strcmp(str(at(t, 0), "value"), "0x3e9") &&
		       !strcmp(str(at(t, 1), "value"), "0x0") &&
		       !strcmp(str(at(t, 0), "input"), "0x\"]}") && !r->rtext;
	case BF_LOG_ADDRESS:
		return !strcmp(str(l0, "address"),
			       "0x00000000000000000000000000000000000000e0") &&
		       !strcmp(str(l0, "data"), "0x01") && !r->btext &&
		       !strcmp(topic(l0, 1), "0xf1");
	case BF_LOG_TOPIC:
		return !strcmp(topic(l0, 0), "0xf0") &&
		       !strcmp(topic(l0, 1), "0xf0") &&
		       !strcmp(str(l0, "data"), "0x");
	case BF_DROP_LOG:
		return count(logs(r, 0)) == 0 && count(logs(r, 1)) == 2;
	case BF_SWAP_TX:
		return !strcmp(str(at(t, 0), "hash"), "0x02") &&
		       !strcmp(str(at(t, 1), "hash"), "0x01") &&
		       !strcmp(str(at(r->rcpts, 0), "transactionHash"), "0x02") &&
		       !strcmp(str(at(r->rcpts, 1), "transactionHash"), "0x01");
	case BF_STATUS:
		return !strcmp(str(at(r->rcpts, 0), "status"), "0x0") &&
		       !strcmp(str(at(r->rcpts, 1), "status"), "0x1");
	case BF_DUP_KEYS:
		/* text, not a parser: which duplicate a parser keeps is the
		 * point of the fault */
		return r->btext && !strncmp(r->btext, "{" BODY_FAKE_MEMBERS,
					    1 + strlen(BODY_FAKE_MEMBERS)) &&
		       !strcmp(r->btext + 1 + strlen(BODY_FAKE_MEMBERS),
			       fixture_block + 1);
	default:
		return 0;
	}
}

static int one_case(FILE *out, enum body_fault f)
{
	struct buf bout = BUF_INIT, rout = BUF_INIT;
	struct result r = { NULL, NULL, NULL, NULL };
	char err[128];
	const char *why = NULL;
	int rc, ok = 0;

	rc = body_fault_apply(f, fixture_block, strlen(fixture_block),
			      fixture_rcpts, strlen(fixture_rcpts), &bout,
			      &rout, &why);
	if (rc == 1) {
		r.btext = bout.len ? bout.data : NULL;
		r.rtext = rout.len ? rout.data : NULL;
		r.block = json_parse(r.btext ? r.btext : fixture_block, err,
				     sizeof(err));
		r.rcpts = json_parse(r.rtext ? r.rtext : fixture_rcpts, err,
				     sizeof(err));
		ok = (f == BF_DUP_KEYS || (r.block && r.rcpts)) &&
		     (r.btext || r.rtext) && check(f, &r);
	}
	fprintf(out, "%s %s%s%s\n", ok ? "ok  " : "FAIL", body_fault_names[f],
		why ? ": " : "", why ? why : "");
	if (r.block)
		yajl_tree_free(r.block);
	if (r.rcpts)
		yajl_tree_free(r.rcpts);
	buf_release(&bout);
	buf_release(&rout);
	return !ok;
}

/* Faults that do not fit a block say so and change nothing. */
static int misfits(FILE *out)
{
	static const struct {
		enum body_fault f;
		int with_receipts;
	} cases[] = {
		{ BF_DROP_TX, 1 }, { BF_SWAP_TX, 1 }, { BF_TX_VALUE, 1 },
		{ BF_DROP_LOG, 1 }, { BF_STATUS, 0 }, { BF_LOG_TOPIC, 0 },
	};
	static const char empty_rcpts[] = "[]";
	int failed = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf bout = BUF_INIT, rout = BUF_INIT;
		const char *why = NULL;
		int rc;

		rc = body_fault_apply(cases[i].f, fixture_empty,
				      strlen(fixture_empty),
				      cases[i].with_receipts ? empty_rcpts : NULL,
				      2, &bout, &rout, &why);
		if (rc != 0 || bout.len || rout.len || !why) {
			fprintf(out, "FAIL %s on an empty block: %d\n",
				body_fault_names[cases[i].f], rc);
			failed++;
		}
		buf_release(&bout);
		buf_release(&rout);
	}
	fprintf(out, "%s faults that do not fit leave the block alone\n",
		failed ? "FAIL" : "ok  ");
	return failed;
}

static int params_and_key(FILE *out)
{
	static const char answer[] =
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"result\" : {\"a\":1}}";
	uint64_t n = 0;
	int full = 0, failed = 0;

	failed += body_params("[\"0x1f\",true]", 13, &n, &full) != 0 ||
		  n != 31 || !full;
	failed += body_params(" [\"0x2\"] ", 9, &n, &full) != 0 || n != 2 ||
		  full;
	failed += body_params("[\"0x2\", false]", 14, &n, &full) != 0 || full;
	failed += body_params("[\"latest\",true]", 15, &n, &full) != -1;
	failed += body_params("[\"0x\"]", 6, &n, &full) != -1;
	failed += body_result_key(answer, (size_t)(strstr(answer, "{\"a\"") -
						   answer)) != 24;
	failed += body_result_key(answer, 10) != (size_t)-1;
	fprintf(out, "%s params and result key\n", failed ? "FAIL" : "ok  ");
	return failed;
}

int body_fault_self_test(FILE *out)
{
	int failed = 0;

	for (int f = 0; f < BF_COUNT; f++)
		failed += one_case(out, (enum body_fault)f);
	failed += misfits(out) != 0;
	failed += params_and_key(out) != 0;
	fprintf(out, "self-test: %d passed, %d failed\n",
		BF_COUNT + 2 - failed, failed);
	return failed;
}
