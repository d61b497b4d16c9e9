/* The fetcher's loop: one thread, many requests in flight.
 *
 * Heights are fetched in batches by the block module, possibly out of
 * order, into a ring of slots covering [next_emit, next_emit + nslots); a
 * block is emitted only when every height below it has been, so the output
 * is strictly in height order and memory is bounded by the ring. A height
 * whose block is not there yet (a lagging node of a pool, a head that was
 * just announced) is retried with back-off: nothing is ever skipped. */
#include "fetcher.h"

#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "block.h"
#include "clock.h"
#include "db.h"
#include "heads.h"
#include "hex.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "notify.h"
#include "rpc.h"
#include "sig.h"
#include "banned.h"

#define RECENT 128
/* After a block replaced at a height already emitted (a reorg), the head
 * is polled this many times this often: a node can announce the rest of
 * a new branch late (anvil, tens of ms after it mined it), and polling
 * finds it sooner than --poll-interval would. */
#define REPLACED_POLLS 5
#define REPLACED_POLL_MS 10

enum slot_state { SLOT_FREE, SLOT_INFLIGHT, SLOT_DONE, SLOT_WAIT };

struct slot {
	enum slot_state state;
	uint64_t number;
	char *msg;
	size_t len;
	struct block_info info;
	int attempts;
	long long retry_at;
};

struct fetcher {
	const struct fetcher_cfg *cfg;
	struct rpc_client *rpc;
	struct block_fetcher *bf;
	struct metrics *metrics;
	struct msg_io *out;
	struct heads *heads;
	uint64_t chain_id;
	uint64_t next_emit;   /* lowest height not yet emitted */
	uint64_t next_submit; /* lowest height never asked for */
	uint64_t target;      /* last height to fetch (range) */
	uint64_t head;        /* the node's head: never moves backwards */
	int have_head;
	int head_inflight;
	long long next_poll;
	int quick_polls;      /* polls left at REPLACED_POLL_MS */
	struct slot *slots;
	size_t nslots;
	int inflight;         /* batch requests out */
	unsigned int seed;
	int failed;
	/* The hashes emitted at the last heights, to notice a block replaced
	 * at a height already emitted (a reorg that does not move the head). */
	struct {
		uint64_t number;
		char hash[HASH_HEX_SIZE];
	} recent[RECENT];
	int refetching;
	struct {
		struct metric *blocks, *txs, *height, *head, *lag_blocks;
		struct metric *lag_seconds, *retries, *not_found, *invalid;
		struct metric *replaced;
	} m;
};

static struct slot *slot_of(struct fetcher *f, uint64_t n)
{
	return &f->slots[n % f->nslots];
}

static void set_head(struct fetcher *f, uint64_t h)
{
	if (f->have_head && h <= f->head)
		return;
	f->head = h;
	f->have_head = 1;
	metric_set(f->m.head, (double)h);
}

static int is_live(const struct fetcher *f, uint64_t n)
{
	return f->cfg->follow && f->have_head &&
	       n + (uint64_t)f->cfg->live_distance >= f->head;
}

static void block_done(void *arg, uint64_t number, enum block_status st,
		       struct buf *msg, const struct block_info *info,
		       const char *why)
{
	struct fetcher *f = arg;
	struct slot *s = slot_of(f, number);

	if (s->state != SLOT_INFLIGHT || s->number != number)
		return; /* cannot happen: the ring never wraps over a live slot */
	if (st == BLOCK_OK) {
		s->msg = buf_detach(msg, &s->len);
		s->info = *info;
		s->state = SLOT_DONE;
		return;
	}
	s->attempts++;
	s->state = SLOT_WAIT;
	s->retry_at = clock_mono_ms() +
		rpc_backoff_ms(s->attempts, 50, 2000,
			       (double)rand_r(&f->seed) / ((double)RAND_MAX + 1));
	metric_inc(f->m.retries);
	if (st == BLOCK_NOT_FOUND) {
		metric_inc(f->m.not_found);
		/* Expected right after a head announcement; loud if it lasts. */
		log_at(s->attempts >= 10 ? LOG_WARN : LOG_DEBUG,
		       LOGF(LF_U("height", number), LF_I("attempt", s->attempts)),
		       "block %llu not found yet, retrying",
		       (unsigned long long)number);
	} else if (st == BLOCK_RETRY) {
		metric_inc(f->m.invalid);
		log_at(LOG_WARN,
		       LOGF(LF_U("height", number), LF_I("attempt", s->attempts),
			    LF_S("error", why)),
		       "cannot fetch block %llu: %s, retrying",
		       (unsigned long long)number, why ? why : "error");
	}
}


/* Ask for heights first..first+count-1 in one batch; the block module
 * calls back once per height. */
static int submit(struct fetcher *f, uint64_t first, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct slot *s = slot_of(f, first + i);

		if (s->state == SLOT_FREE) {
			s->attempts = 0;
			s->number = first + i;
		}
		s->state = SLOT_INFLIGHT;
	}
	if (block_fetch_batch(f->bf, first, count, is_live(f, first),
			      block_done, f) < 0) {
		for (size_t i = 0; i < count; i++)
			slot_of(f, first + i)->state = SLOT_WAIT;
		return log_error("out of memory submitting blocks %llu..%llu",
				 (unsigned long long)first,
				 (unsigned long long)(first + count - 1));
	}
	return 0;
}

/* Heights in flight or waiting, to bound the requests out. */
static int busy(const struct fetcher *f)
{
	int n = 0;

	for (uint64_t h = f->next_emit; h < f->next_submit; h++)
		if (f->slots[h % f->nslots].state == SLOT_INFLIGHT)
			n++;
	return n;
}

static uint64_t last_wanted(const struct fetcher *f)
{
	if (!f->cfg->follow)
		return f->target;
	return f->head;
}

static void schedule(struct fetcher *f)
{
	long long now = clock_mono_ms();
	int cap = (int)(f->cfg->concurrency * f->cfg->batch);
	int out = busy(f);
	uint64_t last;

	/* Retries first: the lowest heights hold the output back. */
	for (uint64_t h = f->next_emit; h < f->next_submit && out < cap; h++) {
		struct slot *s = slot_of(f, h);

		if (s->state == SLOT_WAIT && s->retry_at <= now) {
			if (submit(f, h, 1) == 0)
				out++;
		}
	}
	if (!f->have_head)
		return;
	last = last_wanted(f);
	while (out < cap && f->next_submit <= last &&
	       f->next_submit < f->next_emit + f->nslots) {
		uint64_t room = f->next_emit + f->nslots - f->next_submit;
		uint64_t count = last - f->next_submit + 1;

		if (count > (uint64_t)f->cfg->batch)
			count = (uint64_t)f->cfg->batch;
		if (count > room)
			count = room;
		if (submit(f, f->next_submit, (size_t)count) < 0)
			return;
		f->next_submit += count;
		out += (int)count;
	}
}

/* Emit what is ready, in order. Returns -1 when the output failed. */
static int emit_ready(struct fetcher *f)
{
	for (;;) {
		struct slot *s = slot_of(f, f->next_emit);

		if (f->next_emit >= f->next_submit || s->state != SLOT_DONE)
			return 0;
		if (msg_send(f->out, "block", s->msg, s->len) < 0) {
			if (sig_stopping())
				return 0;
			return log_error_errno("cannot write block %llu",
					       (unsigned long long)s->number);
		}
		f->recent[s->number % RECENT].number = s->number;
		memcpy(f->recent[s->number % RECENT].hash, s->info.hash, HASH_HEX_SIZE);
		metric_inc(f->m.blocks);
		metric_add(f->m.txs, (double)s->info.tx_count);
		metric_set(f->m.height, (double)s->number);
		if (f->have_head)
			metric_set(f->m.lag_blocks,
				   f->head > s->number ? (double)(f->head - s->number) : 0);
		metric_set(f->m.lag_seconds,
			   (double)clock_wall_ms() / 1000 - (double)s->info.timestamp);
		log_at(LOG_DEBUG, LOGF(LF_U("height", s->number), LF_S("hash", s->info.hash),
				       LF_U("txs", s->info.tx_count)), "block emitted");
		free(s->msg);
		s->msg = NULL;
		s->state = SLOT_FREE;
		f->next_emit++;
	}
}

static void refetch_done(void *arg, enum block_status st, struct buf *msg,
			 const struct block_info *info, const char *why)
{
	struct fetcher *f = arg;

	f->refetching = 0;
	if (st != BLOCK_OK) {
		log_debug("refetch failed: %s", why ? why : "not found");
		return;
	}
	if (msg_send(f->out, "block", msg->data, msg->len) < 0) {
		if (!sig_stopping())
			log_error_errno("cannot write block %llu",
					(unsigned long long)info->number);
		f->failed = 1;
		return;
	}
	f->recent[info->number % RECENT].number = info->number;
	memcpy(f->recent[info->number % RECENT].hash, info->hash, HASH_HEX_SIZE);
	metric_inc(f->m.replaced);
}

/* The node's block at height n is hash: if we emitted another block
 * there, the chain was reorganised without its head moving on (a sibling
 * replaced the tip). Emit the new block again, out of order: the
 * verifier takes it from there (walk-back, new branch, orphans). */
static void check_replaced(struct fetcher *f, uint64_t n, const char *hash)
{
	const char *had = f->recent[n % RECENT].hash;

	if (f->refetching || n >= f->next_emit ||
	    f->recent[n % RECENT].number != n || !*had || !json_is_hex_len(hash, 32) ||
	    !strcasecmp(had, hash))
		return;
	log_at(LOG_INFO, LOGF(LF_U("height", n), LF_S("old", had), LF_S("new", hash)),
	       "block %llu was replaced: emitting the new one",
	       (unsigned long long)n);
	if (block_fetch(f->bf, n, 1, refetch_done, f) == 0)
		f->refetching = 1;
	if (f->cfg->poll_ms > REPLACED_POLL_MS) {
		f->quick_polls = REPLACED_POLLS;
		f->next_poll = clock_mono_ms();
	}
}

static void head_done(void *arg, const struct rpc_result *res, size_t n)
{
	struct fetcher *f = arg;
	struct buf copy = BUF_INIT;
	char err[128];
	yajl_val hdr = NULL;
	const char *hash;
	uint64_t h;

	f->head_inflight = 0;
	if (n != 1 || res[0].status != RPC_OK)
		return;
	if (buf_add(&copy, res[0].result, res[0].result_len) < 0)
		return;
	hdr = json_parse(copy.data, err, sizeof(err));
	hash = json_get_str(hdr, "hash");
	if (json_get_u64(hdr, "number", &h) < 0 || !json_is_hex_len(hash, 32)) {
		log_warn("the node's latest block answer is not a header: '%.60s'",
			 copy.data);
		metric_inc(f->m.invalid);
		goto out;
	}
	set_head(f, h);
	check_replaced(f, h, hash);
out:
	yajl_tree_free(hdr);
	buf_release(&copy);
}

/* The head comes from polling the latest header (its number and hash: a
 * replaced tip shows in the hash) and, with --ws, from newHeads. */
static void poll_head(struct fetcher *f)
{
	static const struct rpc_call call = { "eth_getBlockByNumber",
					      "[\"latest\",false]", -1 };
	long long now = clock_mono_ms();
	uint64_t h, last;
	char hash[HASH_HEX_SIZE];

	if (f->heads && heads_latest(f->heads, &h, &last, hash)) {
		set_head(f, h);
		check_replaced(f, last, hash);
	}
	if (f->head_inflight || now < f->next_poll)
		return;
	if (f->quick_polls > 0) {
		f->quick_polls--;
		f->next_poll = now + REPLACED_POLL_MS;
	} else {
		f->next_poll = now + f->cfg->poll_ms;
	}
	if (rpc_submit(f->rpc, &call, 1, head_done, f) == 0)
		f->head_inflight = 1;
}

/* Nothing in flight (a follower at the tip, retries waiting): sleep until
 * the next poll, the next retry or a newHeads announcement, whichever
 * comes first, instead of spinning. */
static void idle(struct fetcher *f)
{
	long long now = clock_mono_ms(), wake = now + 200;
	struct pollfd pfd = { .fd = f->heads ? heads_fd(f->heads) : -1,
			      .events = POLLIN };

	if (f->cfg->follow && f->next_poll < wake)
		wake = f->next_poll;
	for (uint64_t h = f->next_emit; h < f->next_submit; h++) {
		const struct slot *s = slot_of(f, h);

		if (s->state == SLOT_WAIT && s->retry_at < wake)
			wake = s->retry_at;
	}
	if (wake <= now)
		return;
	poll(&pfd, 1, (int)(wake - now));
}

/* A host that does not resolve at start is a configuration error, not a
 * transient failure (a node that refuses connections may be restarting). */
static int check_hosts(const char *urls)
{
	const char *p = urls;

	while (*p) {
		size_t len = strcspn(p, ",\n"); /* a file may list one a line */
		char url[512], host[256], red[512];
		const char *h, *e;
		struct addrinfo hints = { 0 }, *ai = NULL;
		int rc;

		snprintf(url, sizeof(url), "%.*s", (int)len, p);
		p += len + (p[len] != '\0');
		h = strstr(url, "://");
		h = h ? h + 3 : url;
		if (strchr(h, '@') && strchr(h, '@') < h + strcspn(h, "/"))
			h = strchr(h, '@') + 1;
		if (*h == '[') {
			e = strchr(h, ']');
			if (!e)
				continue;
			snprintf(host, sizeof(host), "%.*s", (int)(e - h - 1), h + 1);
		} else {
			snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, ":/?#"), h);
		}
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(host, NULL, &hints, &ai);
		if (ai)
			freeaddrinfo(ai);
		if (rc == EAI_NONAME || rc == EAI_FAIL) {
			log_redact_url(url, red, sizeof(red));
			fprintf(stderr, "fetcher: cannot resolve host '%s' of node '%s': %s\n",
				host, red, gai_strerror(rc));
			return -1;
		}
	}
	return 0;
}

static int ready(void *arg)
{
	struct fetcher *f = arg;

	return f->have_head;
}

static void init_metrics(struct fetcher *f)
{
	struct metrics *m = f->metrics;

	f->m.blocks = metrics_counter(m, "fetcher_blocks_total", "blocks emitted", NULL);
	f->m.txs = metrics_counter(m, "fetcher_transactions_total",
				   "transactions in the blocks emitted", NULL);
	f->m.height = metrics_gauge(m, "fetcher_height", "last height emitted", NULL);
	f->m.head = metrics_gauge(m, "fetcher_node_head", "the node's head", NULL);
	f->m.lag_blocks = metrics_gauge(m, "fetcher_lag_blocks",
					"node head minus last height emitted", NULL);
	f->m.lag_seconds = metrics_gauge(m, "fetcher_lag_seconds",
					 "now minus the timestamp of the last block emitted", NULL);
	f->m.retries = metrics_counter(m, "fetcher_retries_total",
				       "block fetches retried", NULL);
	f->m.not_found = metrics_counter(m, "fetcher_not_found_total",
					 "block fetches answered null (not there yet)", NULL);
	f->m.replaced = metrics_counter(m, "fetcher_replaced_total",
					"blocks emitted again because the node replaced them "
					"at a height already emitted", NULL);
	f->m.invalid = metrics_counter(m, "fetcher_invalid_total",
				       "block fetches with an error or inconsistent answer", NULL);
}

/* A start-up question (chain id, head) answered with null or garbage is
 * as transient as a timeout: ask again with back-off until stopped. */
static int retry_sync(struct fetcher *f,
		      int (*ask)(struct rpc_client *, uint64_t *), uint64_t *out)
{
	for (int attempt = 1; !sig_stopping(); attempt++) {
		long long ms;

		if (ask(f->rpc, out) == 0)
			return 0;
		ms = rpc_backoff_ms(attempt, 100, 5000,
				    (double)rand_r(&f->seed) / ((double)RAND_MAX + 1));
		clock_nap_ms(ms, NULL);
	}
	return -1;
}

/* --db: start where the database has its first hole at or above --from,
 * so a restarted fetcher does not fetch the whole chain again. */
static int resume_from_db(struct fetcher *f, uint64_t *from)
{
	PGconn *conn = db_connect(f->cfg->db);
	uint64_t h;
	int rc = -1;

	if (!conn)
		return -1;
	if (db_apply_schema(conn) == 0 &&
	    db_resume_height(conn, f->chain_id, *from, &h) == DB_OK) {
		if (h != *from)
			log_info("resuming at block %llu: the database holds "
				 "%llu..%llu", (unsigned long long)h,
				 (unsigned long long)*from,
				 (unsigned long long)h - 1);
		*from = h;
		rc = 0;
	}
	PQfinish(conn);
	return rc;
}

/* Resolve --to once, for a range. */
static int resolve_target(struct fetcher *f)
{
	const char *to = f->cfg->to;

	if (!strcmp(to, "head") || !strcmp(to, "latest"))
		return block_head(f->rpc, &f->target);
	if (!strcmp(to, "finalized") || !strcmp(to, "safe")) {
		if (block_tag_number(f->rpc, to, &f->target) < 0)
			return log_error("the node does not know the '%s' block", to);
		return 0;
	}
	f->target = strtoull(to, NULL, 0);
	return 0;
}

/* The metrics, the RPC client and the output. 0, or -1 with the exit
 * status in *rc. */
static int open_io(struct fetcher *f, enum fetcher_exit *rc)
{
	const struct fetcher_cfg *cfg = f->cfg;
	struct rpc_opts ro = RPC_OPTS_INIT;
	struct msg_opts mo = MSG_OPTS_INIT;

	*rc = FETCHER_FAILED;
	f->metrics = metrics_new("fetcher");
	if (!f->metrics)
		return -1;
	init_metrics(f);
	metrics_set_ready(f->metrics, ready, f);
	*rc = FETCHER_CONFIG;
	if (cfg->metrics_addr && metrics_serve(f->metrics, cfg->metrics_addr) < 0)
		return -1;
	ro.urls = cfg->rpc;
	ro.timeout_ms = cfg->timeout_ms;
	ro.max_inflight = (int)cfg->concurrency + 1;
	ro.metrics = f->metrics;
	ro.stop = sig_flag();
	f->rpc = rpc_client_new(&ro);
	if (!f->rpc)
		return -1;
	mo.kind = MSG_OUT;
	mo.endpoint = cfg->out;
	mo.hwm = (int)cfg->hwm;
	mo.stop = sig_flag();
	f->out = msg_open(&mo);
	if (!f->out)
		return -1;
	msg_set_metrics(f->out, f->metrics, "out");
	return 0;
}

/* The node's chain (checked against --chain-id), the reorder ring, the
 * head, the target and the first height, newHeads. 0, or -1 with the
 * exit status in *rc (FETCHER_OK when stopping). */
static int start(struct fetcher *f, enum fetcher_exit *rc)
{
	const struct fetcher_cfg *cfg = f->cfg;
	uint64_t h;

	*rc = FETCHER_OK; /* stopping */
	if (retry_sync(f, block_chain_id, &f->chain_id) < 0)
		return -1;
	if (cfg->chain_id && (uint64_t)cfg->chain_id != f->chain_id) {
		fprintf(stderr, "fetcher: the node serves chain %llu, not --chain-id %lld\n",
			(unsigned long long)f->chain_id, cfg->chain_id);
		*rc = FETCHER_CONFIG;
		return -1;
	}
	*rc = FETCHER_FAILED;
	f->bf = block_fetcher_new(f->rpc, f->chain_id, f->metrics);
	f->nslots = (size_t)(cfg->concurrency * cfg->batch * 4);
	if (f->nslots < 16)
		f->nslots = 16;
	f->slots = calloc(f->nslots, sizeof(*f->slots));
	if (!f->bf || !f->slots)
		return -1;
	if (retry_sync(f, block_head, &h) < 0) {
		*rc = FETCHER_OK;
		return -1;
	}
	set_head(f, h);
	if (!cfg->follow && resolve_target(f) < 0)
		return -1;
	f->next_emit = f->next_submit = cfg->from_set ? (uint64_t)cfg->from : f->head;
	if (cfg->db && resume_from_db(f, &f->next_emit) < 0)
		return -1;
	f->next_submit = f->next_emit;
	if (cfg->ws) {
		f->heads = heads_start(cfg->ws);
		if (!f->heads)
			return -1;
	}
	log_at(LOG_INFO, LOGF(LF_U("chain_id", f->chain_id), LF_U("from", f->next_emit),
			      LF_U("head", f->head), LF_B("follow", cfg->follow)),
	       "fetching from block %llu%s", (unsigned long long)f->next_emit,
	       cfg->follow ? ", following the tip" : "");
	f->next_poll = clock_mono_ms() + cfg->poll_ms;
	return 0;
}

/* Fetch and emit until the range is done or a signal comes. */
static enum fetcher_exit run_loop(struct fetcher *f)
{
	const struct fetcher_cfg *cfg = f->cfg;
	enum fetcher_exit rc = FETCHER_FAILED;

	while (!sig_stopping()) {
		notify_loop(ready(f));
		if (!cfg->follow && f->next_emit > f->target) {
			rc = FETCHER_OK;
			break;
		}
		if (cfg->follow)
			poll_head(f);
		schedule(f);
		if (rpc_pending(f->rpc) > 0)
			rpc_client_run(f->rpc, f->heads ? 20 : 50);
		else
			idle(f);
		if (emit_ready(f) < 0 || f->failed)
			return FETCHER_FAILED;
	}
	if (sig_stopping()) {
		notify_stopping();
		log_info("stopping on signal %d at height %llu", sig_which(),
			 (unsigned long long)f->next_emit);
		rc = FETCHER_OK;
	} else if (rc == FETCHER_OK) {
		log_info("range done: blocks %lld..%llu", cfg->from,
			 (unsigned long long)f->target);
	}
	return rc;
}

/* Free what f holds; the output's flush failing turns FETCHER_OK into
 * FETCHER_FAILED. */
static enum fetcher_exit teardown(struct fetcher *f, enum fetcher_exit rc)
{
	/* Requests still out end now (the stop flag makes the client fail
	 * them), so their callbacks run and free what they hold. */
	if (f->rpc && rpc_pending(f->rpc) > 0) {
		sig_request_stop();
		while (rpc_pending(f->rpc) > 0)
			rpc_client_run(f->rpc, 100);
	}
	heads_stop(&f->heads);
	if (f->out && msg_close(&f->out) < 0 && rc == FETCHER_OK) {
		log_error_errno("cannot flush the output");
		rc = FETCHER_FAILED;
	}
	if (f->slots)
		for (size_t i = 0; i < f->nslots; i++)
			free(f->slots[i].msg);
	free(f->slots);
	block_fetcher_destroy(&f->bf);
	rpc_client_destroy(&f->rpc);
	metrics_destroy(&f->metrics);
	return rc;
}

enum fetcher_exit fetcher_run(const struct fetcher_cfg *cfg)
{
	struct fetcher f = { .cfg = cfg };
	enum fetcher_exit rc;

	f.seed = (unsigned int)clock_wall_ms();
	if (check_hosts(cfg->rpc) < 0)
		return FETCHER_CONFIG;
	if (open_io(&f, &rc) == 0 && start(&f, &rc) == 0)
		rc = run_loop(&f);
	return teardown(&f, rc);
}
