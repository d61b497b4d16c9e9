/* The verifier's life: set up (node, database, seq, sockets), then read
 * block messages and place them, with heartbeats and audits in between. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "db.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "rpc.h"
#include "sig.h"
#include "banned.h"

/* Heights asked of blockpipe_missing_heights() per audit. */
#define AUDIT_MAX 1000

static const double depth_bounds[] = { 1, 2, 3, 5, 10, 20, 50, 100, 256,
				       1000 };

static void metrics_setup(struct verifier *v)
{
	struct metrics *m = v->metrics;
	struct verifier_metrics *x = &v->m;

#define C(name, help) metrics_counter(m, "verifier_" name, help, NULL)
#define CL(name, help, l) metrics_counter(m, "verifier_" name, help, l)
#define G(name, help) metrics_gauge(m, "verifier_" name, help, NULL)
	x->verified = C("blocks_verified_total",
			"blocks whose recomputed hash matched");
	x->emitted_blocks = C("blocks_emitted_total", "block messages emitted");
	x->emitted_reorgs = C("reorg_messages_total", "reorg messages emitted");
	x->heartbeats = C("heartbeats_total", "heartbeats published");
	x->reorgs = C("reorgs_total", "reorgs resolved");
	x->deep_reorgs = C("deep_reorgs_total",
			   "reorgs beyond the window or below the start block");
	x->reorg_depth = metrics_histogram(m, "verifier_reorg_depth",
					   "orphaned heights per reorg", NULL,
					   depth_bounds,
					   sizeof(depth_bounds) /
						   sizeof(depth_bounds[0]));
	x->deepest = G("reorg_deepest", "deepest reorg seen since start");
	x->below_finalized = C("reorgs_below_finalized_total",
			       "reorgs whose ancestor is below the finalized "
			       "block (alarm)");
	x->duplicates = C("duplicates_total",
			  "blocks received again with the hash held");
	x->gaps_filled = C("gap_blocks_filled_total",
			   "missing heights fetched from the node");
	x->audit_repairs = C("audit_repairs_total",
			     "heights missing in the database emitted again");
	x->audit_runs = C("audits_total", "audits run");
	x->hash_mismatch = C("hash_mismatches_total",
			     "blocks whose header does not hash to their hash");
	x->stale = C("stale_blocks_total",
		     "blocks dropped as not on the node's chain");
	x->old_blocks = C("old_blocks_total",
			  "canonical blocks below the window forwarded");
	x->below_start = C("below_start_total",
			   "blocks below the start block ignored");
	x->tip = G("tip_height", "height of the verifier's tip");
	x->seq = G("seq", "last seq emitted");
	x->walkback_calls = C("walkback_rpc_calls_total",
			      "header requests made to walk back or check "
			      "blocks");
	x->lag_waits = C("node_lag_waits_total",
			 "waits for a node that does not have a height yet");
	x->dropped = C("blocks_dropped_total",
		       "blocks given up on (never verified, or the node kept "
		       "switching)");
	x->bad_json = CL("bad_input_total", "input rejected",
			 "reason=\"json\"");
	x->bad_fields = CL("bad_input_total", "input rejected",
			   "reason=\"fields\"");
	x->bad_type = CL("bad_input_total", "input rejected",
			 "reason=\"type\"");
	x->bad_chain = CL("bad_input_total", "input rejected",
			  "reason=\"chain\"");
	x->bad_dup = CL("bad_input_total", "input rejected", "reason=\"duplicate_key\"");
#undef C
#undef CL
#undef G
}

static enum verifier_exit config_error(char *why, size_t whylen,
				       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum verifier_exit config_error(char *why, size_t whylen,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return VERIFIER_EXIT_CONFIG;
}

/* (Re)connect to the database and take the verifier's lock for the
 * chain. 0, 1 when another verifier holds the lock, -1 on failure. */
static int db_open_locked(struct verifier *v)
{
	int got = 0;

	if (v->db)
		PQfinish(v->db);
	v->db = db_connect(v->cfg->db);
	if (!v->db)
		return -1;
	if (db_try_session_lock(v->db, DB_LOCK_VERIFIER,
				(int32_t)(uint32_t)v->chain_id, &got) != DB_OK)
		return -1;
	return got ? 0 : 1;
}

/* After a lost connection: connect again and take the lock back. -1 when
 * that fails or another verifier took over meanwhile. */
static int db_recover(struct verifier *v)
{
	int rc;

	log_warn("database connection lost; reconnecting");
	for (int i = 0; i < 5 && !sig_stopping(); i++) {
		rc = db_open_locked(v);
		if (rc == 0)
			return 0;
		if (rc == 1)
			return log_error("another verifier took the lock for "
					 "chain %" PRIu64 " while the database "
					 "was away; stopping", v->chain_id);
		nap(1000LL << i);
	}
	return -1;
}

/* The window from the canonical table: the heights just below the
 * resume point. */
static int load_window(struct verifier *v)
{
	uint64_t resume, from;
	struct db_canonical *rows = NULL;
	size_t n = 0;

	if (db_resume_height(v->db, v->chain_id, v->start, &resume) != DB_OK)
		return -1;
	if (resume <= v->start) {
		log_info("no canonical blocks yet from the start block %" PRIu64
			 "; anchoring on the first block", v->start);
		return 0;
	}
	from = resume - v->start > v->chain.cap ? resume - v->chain.cap
						 : v->start;
	if (db_canonical_range(v->db, v->chain_id, from, resume - 1, &rows,
			       &n) != DB_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].hash[0] ||
		    (!chain_empty(&v->chain) &&
		     rows[i].number != v->chain.tip + 1)) {
			v->chain.count = 0;
			if (!rows[i].hash[0])
				continue;
		}
		chain_push(&v->chain, rows[i].number, rows[i].hash);
	}
	free(rows);
	if (!chain_empty(&v->chain)) {
		metric_set(v->m.tip, (double)v->chain.tip);
		v->audit_upto = v->chain.tip;
		v->have_audit_upto = 1;
		log_at(LOG_INFO, LOGF(LF_I("from", (long long)chain_lo(&v->chain)),
				      LF_I("tip", (long long)v->chain.tip),
				      LF_S("hash", chain_get(&v->chain,
							     v->chain.tip))),
		       "window loaded from the database");
	}
	return 0;
}

/* Heights missing in the database below what we emitted before the last
 * audit: fetch and emit them again. */
static int audit(struct verifier *v)
{
	uint64_t upto = v->audit_upto, *hs = NULL, head = 0;
	size_t n = 0;
	enum db_status st;
	int rc = 0;

	if (chain_empty(&v->chain))
		return 0;
	if (!v->have_audit_upto) {
		/* what this run emitted is audited from the next time on, so
		 * writers have had an audit interval to commit it */
		v->audit_upto = v->chain.tip;
		v->have_audit_upto = 1;
		return 0;
	}
	if (upto > v->chain.tip)
		upto = v->chain.tip;
	v->audit_upto = v->chain.tip;
	if (upto < v->start)
		return 0;
	metric_inc(v->m.audit_runs);
	st = db_missing_heights(v->db, v->chain_id, v->start, upto, AUDIT_MAX,
				&hs, &n);
	if (st == DB_CONN)
		return db_recover(v);
	if (st != DB_OK)
		return 0; /* logged; try again next time */
	if (n)
		log_at(LOG_WARN, LOGF(LF_I("missing", (long long)n),
				      LF_I("first", (long long)hs[0]),
				      LF_I("upto", (long long)upto)),
		       "audit: heights missing in the database; emitting them "
		       "again");
	/* heights the node does not have (it rolled back, or lags) are left
	 * for later rather than waited for here */
	if (n && block_head(v->rpc, &head) < 0)
		n = 0;
	for (size_t i = 0; i < n && rc == 0 && hs[i] <= head; i++) {
		struct vblock f;
		const char *held = chain_get(&v->chain, hs[i]);
		enum node_result nr = node_block(v, hs[i], 0, &f);

		if (nr == NODE_FAILED) {
			rc = -1;
			break;
		}
		if (nr == NODE_MISSING)
			continue;
		if (held && strcasecmp(held, f.hash)) {
			rc = verifier_place(v, &f, "audit");
		} else {
			metric_inc(v->m.audit_repairs);
			rc = emit_block(v, &f, "audit");
		}
		vblock_release(&f);
	}
	free(hs);
	return rc;
}

static int handle(struct verifier *v, const char *text, size_t len)
{
	struct vblock b, f;
	enum inspect_result ir = vblock_inspect(v, text, len, &b);
	enum node_result nr;
	int rc;

	if (ir == IN_SKIP)
		return 0;
	if (ir == IN_OK)
		return verifier_place(v, &b, NULL);
	/* never emit a block that does not verify: fetch it again */
	nr = node_block(v, b.number, b.live, &f);
	if (nr == NODE_FAILED)
		return -1;
	if (nr == NODE_MISSING)
		return 0; /* logged by node_block */
	log_at(LOG_INFO, LOGF(LF_I("height", (long long)f.number),
			      LF_S("hash", f.hash)),
	       "block %" PRIu64 " fetched again and verified", f.number);
	rc = verifier_place(v, &f, "refetch");
	vblock_release(&f);
	return rc;
}

static int is_ready(void *arg)
{
	struct verifier *v = arg;

	return atomic_load(&v->ready);
}

static int run_loop(struct verifier *v)
{
	const struct verifier_cfg *c = v->cfg;
	long long next_hb = now_ms() + c->heartbeat_ms;
	long long next_audit = now_ms(); /* audit at start too */

	while (!sig_stopping()) {
		struct msg m;
		long long now = now_ms(), wait = next_hb - now;
		int rc;

		if (v->db && next_audit - now < wait)
			wait = next_audit - now;
		if (wait < 0)
			wait = 0;
		if (wait > 1000)
			wait = 1000;
		rc = msg_recv(v->in, &m, (int)wait);
		if (rc < 0) {
			if (msg_is_stdio(v->in))
				log_info("end of input");
			return msg_is_stdio(v->in) ? 0 : -1;
		}
		if (rc == 1 && handle(v, m.data, m.len) < 0)
			return sig_stopping() ? 0 : -1;
		now = now_ms();
		if (now >= next_hb) {
			emit_heartbeat(v);
			next_hb = now + c->heartbeat_ms;
		}
		if (v->db && now >= next_audit) {
			if (audit(v) < 0)
				return sig_stopping() ? 0 : -1;
			next_audit = now_ms() + c->audit_ms;
		}
	}
	return 0;
}

static enum verifier_exit setup(struct verifier *v, char *why, size_t whylen)
{
	const struct verifier_cfg *c = v->cfg;
	struct rpc_opts ro = RPC_OPTS_INIT;
	struct msg_opts mo = MSG_OPTS_INIT;
	uint64_t epoch;
	char red[256];

	v->metrics = metrics_new("verifier");
	if (!v->metrics)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;
	metrics_setup(v);
	metrics_set_ready(v->metrics, is_ready, v);
	if (c->metrics_addr && metrics_serve(v->metrics, c->metrics_addr) < 0)
		return config_error(why, whylen, "cannot serve metrics on '%s'",
				    c->metrics_addr);
	if (chain_init(&v->chain, (size_t)c->window) < 0)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;

	ro.urls = c->rpc;
	ro.timeout_ms = c->rpc_timeout_ms;
	ro.metrics = v->metrics;
	ro.stop = sig_flag();
	v->rpc = rpc_client_new(&ro);
	if (!v->rpc)
		return config_error(why, whylen, "invalid --rpc '%s'", c->rpc);
	for (int i = 0; block_chain_id(v->rpc, &v->chain_id) < 0; i++) {
		/* a node may answer null or garbage for a while: retry */
		if (i < 10 && nap(200LL << (i < 4 ? i : 4)) == 0)
			continue;
		if (sig_stopping())
			return VERIFIER_EXIT_OK;
		log_redact_url(c->rpc, red, sizeof(red));
		return log_error("cannot read the chain id from '%s'", red),
		       VERIFIER_EXIT_FAILED;
	}
	if (c->chain_id >= 0 && (uint64_t)c->chain_id != v->chain_id)
		return config_error(why, whylen, "the node reports chain id %"
				    PRIu64 ", not %lld (--chain-id)",
				    v->chain_id, c->chain_id);
	v->bf = block_fetcher_new(v->rpc, v->chain_id, v->metrics);
	if (!v->bf)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;
	if (c->start_block >= 0) {
		v->start = (uint64_t)c->start_block;
		v->have_start = 1;
	}

	if (c->db) {
		int rc = db_open_locked(v);

		if (rc == 1)
			return config_error(why, whylen, "another verifier "
					    "holds the lock for chain %" PRIu64,
					    v->chain_id);
		if (rc < 0 || db_apply_schema(v->db) < 0 ||
		    db_next_epoch(v->db, v->chain_id, &epoch) != DB_OK ||
		    load_window(v) < 0)
			return VERIFIER_EXIT_FAILED;
		seq_init_epoch(&v->seq, epoch);
	} else if (c->state) {
		if (state_next_epoch(c->state, &epoch) < 0)
			return VERIFIER_EXIT_FAILED;
		seq_init_epoch(&v->seq, epoch);
	} else {
		seq_init_clock(&v->seq);
	}
	log_at(LOG_INFO, LOGF(LF_U("chain_id", v->chain_id),
			      LF_U("epoch", v->seq.epoch),
			      LF_S("seq_mode", v->seq.clock ? "clock" :
					       c->db ? "database" : "state file"),
			      LF_I("window", c->window),
			      LF_B("verify_hash", !c->no_verify_hash)),
	       "verifier starting");

	mo.kind = MSG_OUT;
	mo.endpoint = c->out;
	mo.stop = sig_flag();
	v->out = msg_open(&mo);
	if (!v->out)
		return config_error(why, whylen, "cannot open --out '%s'",
				    c->out);
	if (c->pub) {
		mo.kind = MSG_PUB;
		mo.endpoint = c->pub;
		v->pub = msg_open(&mo);
		if (!v->pub)
			return config_error(why, whylen,
					    "cannot open --pub '%s'", c->pub);
	}
	mo.kind = MSG_IN;
	mo.endpoint = c->in;
	v->in = msg_open(&mo);
	if (!v->in)
		return config_error(why, whylen, "cannot open --in '%s'", c->in);
	atomic_store(&v->ready, 1);
	return VERIFIER_EXIT_OK;
}

static int teardown(struct verifier *v)
{
	int rc = 0;

	atomic_store(&v->ready, 0);
	msg_close(&v->in);
	if (v->pub)
		msg_close(&v->pub);
	if (v->out && msg_close(&v->out) < 0)
		rc = log_error_errno("cannot flush the output");
	block_fetcher_destroy(&v->bf);
	rpc_client_destroy(&v->rpc);
	if (v->db)
		PQfinish(v->db);
	v->db = NULL;
	metrics_destroy(&v->metrics);
	chain_release(&v->chain);
	buf_release(&v->line);
	return rc;
}

enum verifier_exit verifier_run(const struct verifier_cfg *cfg, char *why,
				size_t whylen)
{
	struct verifier v;
	enum verifier_exit ex;

	memset(&v, 0, sizeof(v));
	atomic_init(&v.ready, 0);
	v.cfg = cfg;
	buf_init(&v.line, 0);
	sig_init();
	ex = setup(&v, why, whylen);
	if (ex == VERIFIER_EXIT_OK && v.in) {
		if (run_loop(&v) < 0)
			ex = VERIFIER_EXIT_FAILED;
		log_at(LOG_INFO, LOGF(LF_U("seq", v.seq.last),
				      LF_I("tip", chain_empty(&v.chain) ? -1 :
					   (long long)v.chain.tip)),
		       "verifier stopping%s", sig_stopping() ? " (signal)" : "");
	}
	if (teardown(&v) < 0 && ex == VERIFIER_EXIT_OK)
		ex = VERIFIER_EXIT_FAILED;
	return ex;
}
