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
#include "message.h"
#include "msg.h"
#include "pubgap.h"
#include "sig.h"
#include "banned.h"

#define MAX_TOPICS 32

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

/* A message whose objects repeat a key reads differently to different
 * tools (jq keeps the last, others the first): it is not printed but
 * logged and counted. Anything else is printed as it came. */
static int refused_duplicate(const struct msg *m, uint64_t *refused)
{
	struct message msg;
	char err[160];
	enum message_status st = message_read(m->data, m->len, &msg, err,
					      sizeof(err));

	message_release(&msg);
	if (st != MESSAGE_DUPLICATE)
		return 0;
	(*refused)++;
	log_at(LOG_WARN, LOGF(LF_S("topic", m->topic ? m->topic : ""),
			      LF_U("counter", m->counter),
			      LF_S("error", err), LF_U("refused", *refused)),
	       "message repeats a key; not printed");
	return 1;
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

/* The message is printed as it came, so it must be one JSON document:
 * 0 when it is, -1 with a log line when it is not. */
static int check_data(const struct msg *m)
{
	char err[256] = "a NUL byte in the message";
	yajl_val v = NULL;

	if (strlen(m->data) == m->len)
		v = json_parse(m->data, err, sizeof(err));
	if (!v) {
		log_at(LOG_WARN, LOGF(LF_S("topic", m->topic ? m->topic : ""),
				      LF_U("counter", m->counter), LF_S("error", err)),
		       "skipping a message that is not JSON on topic '%s'",
		       m->topic ? m->topic : "");
		return -1;
	}
	yajl_tree_free(v);
	return 0;
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

int main(int argc, char **argv)
{
	const char *sub = NULL, *topics = NULL;
	long long count = 0, n = 0, bad = 0;
	bool with_topic = false;
	struct cfg_common common;
	struct cfg_opt opts[] = {
		{ "count", 'n', "TAP_COUNT", CFG_INT, &count, "0", 0, 1LL << 62, "N",
		  "exit after N messages (0: run until SIGTERM)", false },
		{ "sub", 's', "TAP_SUB", CFG_STR, &sub, NULL, 0, 0, "ENDPOINT",
		  "PUB endpoint to subscribe to (connects; @ to bind)", false },
		{ "topics", 't', "TAP_TOPICS", CFG_STR, &topics, NULL, 0, 0, "LIST",
		  "topic prefixes, comma-separated (default: all)", false },
		{ "with-topic", 'T', "TAP_WITH_TOPIC", CFG_BOOL, &with_topic, NULL, 0, 0,
		  NULL, "print {\"topic\",\"counter\",\"msg\"} instead of the bare message", false },
		CFG_END,
	};
	struct msg_opts mo = MSG_OPTS_INIT;
	const char *tlist[MAX_TOPICS + 1] = { NULL };
	char *tcopy = NULL;
	struct pubgap gaps = PUBGAP_INIT;
	struct msg_io *in;
	struct msg m;
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	char *pos_topics = NULL;
	int nargs = 0, rc, status = 0;
	uint64_t refused = 0;

	/* `tap ENDPOINT [TOPIC...]`: positional words are --sub, then topics. */
	if (!args)
		return 1;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && argv[i][0] != '-' && !takes_value(argv[i - 1])) {
			if (!sub) {
				sub = argv[i];
			} else {
				size_t l = pos_topics ? strlen(pos_topics) : 0;
				char *p = realloc(pos_topics, l + strlen(argv[i]) + 2);

				if (!p)
					return 1;
				snprintf(p + l, strlen(argv[i]) + 2, "%s%s", l ? "," : "", argv[i]);
				pos_topics = p;
			}
			continue;
		}
		args[nargs++] = argv[i];
	}
	rc = cfg_parse(&prog, opts, &common, nargs, args);
	free(args);
	if (rc >= 0) {
		free(pos_topics);
		return rc;
	}
	if (pos_topics && !topics)
		topics = pos_topics;
	if (!sub || !*sub)
		return cfg_fail(&prog, "no endpoint: give --sub ENDPOINT or set TAP_SUB");
	if (topics && *topics) {
		size_t k = 0;
		char *save = NULL, *t;

		tcopy = strdup(topics);
		for (t = strtok_r(tcopy, ",", &save); t && k < MAX_TOPICS;
		     t = strtok_r(NULL, ",", &save))
			tlist[k++] = t;
		mo.topics = tlist;
	}
	if (common.check_config) {
		free(tcopy);
		free(pos_topics);
		printf("configuration OK\n");
		return 0;
	}
	sig_init();
	mo.kind = MSG_SUB;
	mo.endpoint = sub;
	mo.stop = sig_flag();
	in = msg_open(&mo);
	if (!in) {
		free(tcopy);
		free(pos_topics);
		return 2;
	}
	while (!sig_stopping() && (!count || n < count)) {
		int r = msg_recv(in, &m, 500);

		if (r < 0) {
			status = 1;
			break;
		}
		if (r == 0)
			continue;
		check_counter(&gaps, sub, &m);
		if (refused_duplicate(&m, &refused))
			continue;
		if (check_data(&m) < 0) {
			bad++;
			continue;
		}
		if (with_topic) {
			fputs("{\"topic\":", stdout);
			print_json_str(stdout, m.topic ? m.topic : "");
			printf(",\"counter\":%" PRIu32 ",\"msg\":", m.counter);
			print_line(stdout, m.data, m.len);
			fputs("}\n", stdout);
		} else {
			print_line(stdout, m.data, m.len);
			fputc('\n', stdout);
		}
		if (fflush(stdout) != 0) {
			status = 1;
			break;
		}
		n++;
	}
	msg_close(&in);
	if (refused)
		log_at(LOG_WARN, LOGF(LF_U("refused", refused)),
		       "%" PRIu64 " messages with a repeated key were not printed",
		       refused);
	if (bad)
		log_at(LOG_WARN, LOGF(LF_I("skipped", bad)),
		       "%lld message%s that were not JSON skipped", bad, bad == 1 ? "" : "s");
	free(tcopy);
	free(pos_topics);
	if (fclose(stdout) != 0)
		status = 1;
	return status;
}
