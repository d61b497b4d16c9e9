/* tap: print a blockpipe PUB stream (the verifier's, or a writer's
 * `committed` messages) as NDJSON on stdout, one message a line, so that
 * `tap tcp://127.0.0.1:5557 reorg | jq .` works. It checks each topic's
 * counter and reports lost messages on stderr (PUB drops at its high-water
 * mark). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "json.h"
#include "json_escape.h"
#include "log.h"
#include "msg.h"
#include "pubgap.h"
#include "sig.h"
#include "banned.h"

#define MAX_TOPICS 32
/* How long one msg_recv waits before looking at the flags again. */
#define TAP_RECV_TIMEOUT_MS 500

static const struct cfg_prog prog = {
	"tap",
	"[--sub] ENDPOINT [TOPIC...] [--topics LIST] [--count N] [--with-topic]",
	"Print a blockpipe PUB stream ([topic, json, counter] frames) as\n"
	"NDJSON, one message a line; gaps in a topic's counter are logged.",
	"tap --sub tcp://127.0.0.1:5557 --topics reorg | jq .",
};

/* The PUB counter of each message, read as common/pubgap reads it for
 * every subscriber: a jump is logged as lost messages, a counter that
 * goes back as the publisher's restart. */
static void check_counter(struct pubgap *g, const char *endpoint,
			  const struct msg *m)
{
	enum pubgap_result r;
	uint32_t lost;

	if (!m->has_counter || !m->topic)
		return;
	r = pubgap_check(g, m->topic, m->counter, &lost);
	pubgap_log(r, endpoint, m->topic, m->counter, lost);
}

/* The counts of messages not printed, for the summary at exit. */
struct tap_counts {
	uint64_t refused;  /* an object repeats a key */
	long long bad;     /* not JSON */
};

/* The message is printed as it came, so it must be one JSON document,
 * read once here: 0 when it is, -1 with a log line and a count when it
 * is not. A message whose objects repeat a key reads differently to
 * different tools (jq keeps the last, others the first): it is not
 * printed either, but refused. */
static int check_message(const struct msg *m, struct tap_counts *n)
{
	char err[256] = "a NUL byte in the message";
	enum json_status st = JSON_INVALID;
	yajl_val v = NULL;

	if (strlen(m->data) == m->len)
		v = json_parse_st(m->data, err, sizeof(err), &st);
	if (v) {
		yajl_tree_free(v);
		return 0;
	}
	if (st == JSON_DUPLICATE) {
		n->refused++;
		log_at(LOG_WARN, LOGF(LF_S("topic", m->topic ? m->topic : ""),
				      LF_U("counter", m->counter),
				      LF_S("error", err), LF_U("refused", n->refused)),
		       "message repeats a key; not printed");
		return -1;
	}
	n->bad++;
	log_at(LOG_WARN, LOGF(LF_S("topic", m->topic ? m->topic : ""),
			      LF_U("counter", m->counter), LF_S("error", err)),
	       "skipping a message that is not JSON on topic '%s'",
	       m->topic ? m->topic : "");
	return -1;
}

/* Print s as a JSON string: the topic comes from the network, any bytes
 * (common/json_escape: a byte that is not part of valid UTF-8 becomes
 * U+FFFD). */
static int print_json_str(FILE *out, const char *s)
{
	struct buf b = BUF_INIT;
	int rc = json_escape(&b, s, strlen(s));

	if (rc == 0)
		fwrite(b.data, 1, b.len, out);
	else
		log_error_errno("cannot print topic");
	buf_release(&b);
	return rc;
}

/* A valid JSON document holds line breaks only as whitespace: print them
 * as spaces, so that each message stays one line of NDJSON. */
static void print_line(FILE *out, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fputc(data[i] == '\n' || data[i] == '\r' ? ' ' : data[i], out);
}

/* Does option word w take the next word as its value? (-s/-n/-t and
 * their long forms, and --log-level; not the --opt=value forms) */
static int takes_value(const char *w)
{
	static const char *const longs[] = { "--sub", "--count", "--topics",
					     "--log-level", NULL };

	if (w[0] != '-')
		return 0;
	if (w[1] != '-')
		return w[1] && strchr("snt", w[1]) && !w[2];
	for (int k = 0; longs[k]; k++)
		if (!strcmp(w, longs[k]))
			return 1;
	return 0;
}

/* One message a line: the message itself, or with --with-topic
 * {"topic":...,"counter":N,"msg":...}. 0, or -1 when stdout fails. */
static int print_message(FILE *out, const struct msg *m, bool with_topic)
{
	if (with_topic) {
		fputs("{\"topic\":", out);
		if (print_json_str(out, m->topic ? m->topic : "") < 0)
			return -1;
		fprintf(out, ",\"counter\":%" PRIu32 ",\"msg\":", m->counter);
		print_line(out, m->data, m->len);
		fputs("}\n", out);
	} else {
		print_line(out, m->data, m->len);
		fputc('\n', out);
	}
	return fflush(out) != 0 ? -1 : 0;
}

/* What the command line asks for. tlist points into tcopy; topics may
 * be pos_topics; tap_cfg_release() frees the copies. */
struct tap_cfg {
	const char *sub, *topics;
	long long count;
	bool with_topic;
	bool check_config;
	bool have_topics;                 /* tlist is the filter */
	const char *tlist[MAX_TOPICS + 1];
	char *tcopy;
	char *pos_topics;
};

static void tap_cfg_release(struct tap_cfg *cfg)
{
	free(cfg->tcopy);
	free(cfg->pos_topics);
}

/* `tap ENDPOINT [TOPIC...]`: the words that are neither options nor
 * their values are --sub, then topics (joined with commas into
 * cfg->pos_topics); the rest go to args. -1 when out of memory. */
static int split_positional(struct tap_cfg *cfg, int argc, char **argv,
			    char **args, int *nargs)
{
	for (int i = 0; i < argc; i++) {
		if (i > 0 && argv[i][0] != '-' && !takes_value(argv[i - 1])) {
			if (!cfg->sub) {
				cfg->sub = argv[i];
			} else {
				size_t l = cfg->pos_topics ? strlen(cfg->pos_topics) : 0;
				char *p = realloc(cfg->pos_topics, l + strlen(argv[i]) + 2);

				if (!p)
					return -1;
				snprintf(p + l, strlen(argv[i]) + 2, "%s%s", l ? "," : "", argv[i]);
				cfg->pos_topics = p;
			}
			continue;
		}
		args[(*nargs)++] = argv[i];
	}
	return 0;
}

/* The topic prefixes of --topics (or the positional topics) into
 * cfg->tlist, at most MAX_TOPICS. */
static void split_topics(struct tap_cfg *cfg)
{
	size_t k = 0;
	char *save = NULL, *t;

	if (!cfg->topics || !*cfg->topics)
		return;
	cfg->tcopy = strdup(cfg->topics);
	for (t = strtok_r(cfg->tcopy, ",", &save); t && k < MAX_TOPICS;
	     t = strtok_r(NULL, ",", &save))
		cfg->tlist[k++] = t;
	cfg->have_topics = true;
}

/* Flags, environment and positional words into cfg: -1 to go on, or
 * the exit status (--help, a usage error, out of memory). */
static int parse_args(struct tap_cfg *cfg, int argc, char **argv)
{
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "count", 'n', "TAP_COUNT", CFG_INT, &cfg->count, "0", 0, 1LL << 62, "N",
		  "exit after N messages (0: run until SIGTERM)", false },
		{ "sub", 's', "TAP_SUB", CFG_STR, &cfg->sub, NULL, 0, 0, "ENDPOINT",
		  "PUB endpoint to subscribe to (connects; @ to bind)", false },
		{ "topics", 't', "TAP_TOPICS", CFG_STR, &cfg->topics, NULL, 0, 0, "LIST",
		  "topic prefixes, comma-separated (default: all)", false },
		{ "with-topic", 'T', "TAP_WITH_TOPIC", CFG_BOOL, &cfg->with_topic, NULL, 0, 0,
		  NULL, "print {\"topic\",\"counter\",\"msg\"} instead of the bare message", false },
		CFG_END,
	};
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int nargs = 0, rc;

	if (!args || split_positional(cfg, argc, argv, args, &nargs) < 0) {
		free(args);
		return 1;
	}
	rc = cfg_parse(&prog, opts, &common, nargs, args);
	free(args);
	if (rc >= 0)
		return rc;
	if (cfg->pos_topics && !cfg->topics)
		cfg->topics = cfg->pos_topics;
	if (!cfg->sub || !*cfg->sub)
		return cfg_fail(&prog, "no endpoint: give --sub ENDPOINT or set TAP_SUB");
	split_topics(cfg);
	cfg->check_config = common.check_config;
	return -1;
}

/* At exit: how many messages were not printed, and why. */
static void log_summary(const struct tap_counts *n)
{
	if (n->refused)
		log_at(LOG_WARN, LOGF(LF_U("refused", n->refused)),
		       "%" PRIu64 " messages with a repeated key were not printed",
		       n->refused);
	if (n->bad)
		log_at(LOG_WARN, LOGF(LF_I("skipped", n->bad)),
		       "%lld message%s that were not JSON skipped", n->bad,
		       n->bad == 1 ? "" : "s");
}

/* Subscribe and print until --count messages, SIGTERM or an error:
 * the exit status. */
static int run(const struct tap_cfg *cfg)
{
	struct msg_opts mo = MSG_OPTS_INIT;
	struct pubgap gaps = PUBGAP_INIT;
	struct tap_counts counts = { 0, 0 };
	struct msg_io *in;
	struct msg m;
	long long n = 0;
	int status = 0;

	sig_init();
	mo.kind = MSG_SUB;
	mo.endpoint = cfg->sub;
	mo.stop = sig_flag();
	if (cfg->have_topics)
		mo.topics = cfg->tlist;
	in = msg_open(&mo);
	if (!in)
		return 2;
	while (!sig_stopping() && (!cfg->count || n < cfg->count)) {
		int r = msg_recv(in, &m, TAP_RECV_TIMEOUT_MS);

		if (r < 0) {
			status = 1;
			break;
		}
		if (r == 0)
			continue;
		check_counter(&gaps, cfg->sub, &m);
		if (check_message(&m, &counts) < 0)
			continue;
		if (print_message(stdout, &m, cfg->with_topic) < 0) {
			status = 1;
			break;
		}
		n++;
	}
	msg_close(&in);
	log_summary(&counts);
	if (fclose(stdout) != 0)
		status = 1;
	return status;
}

int main(int argc, char **argv)
{
	struct tap_cfg cfg = { 0 };
	int rc = parse_args(&cfg, argc, argv);

	if (rc < 0 && cfg.check_config) {
		printf("configuration OK\n");
		rc = 0;
	}
	if (rc < 0)
		rc = run(&cfg);
	tap_cfg_release(&cfg);
	return rc;
}
