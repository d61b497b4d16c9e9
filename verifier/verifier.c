/* The verifier's life: set up (node, database, seq, sockets), then read
 * block messages and place them, with heartbeats and audits in between. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "clock.h"
#include "db.h"
#include "internal.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "notify.h"
#include "rpc.h"
#include "sig.h"
#include "banned.h"

/* How often the advisory lock is confirmed while the input is quiet. */
#define LOCK_CHECK_MS 250
/* How long a verifier that lost its lock tries to take it back. */
#define RELOCK_WAIT_MS 60000

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
	x->bad_dup = CL("bad_input_total", "input rejected",
			"reason=\"duplicate_key\"");
	x->audit_links = C("audit_broken_links_total",
			   "canonical blocks whose parent link the audit found "
			   "broken");
	x->repairs = C("repairs_total",
		       "ranges of wrong canonical pointers the audit replaced");
	x->repaired_heights = C("repaired_heights_total",
				"heights whose wrong canonical pointer the "
				"audit replaced");
	x->audit_heights = C("audit_heights_total",
			     "heights the audit checked in the database");
	x->lock_checks = C("lock_checks_total",
			   "confirmations of the advisory lock");
	x->lock_lost = C("lock_lost_total",
			 "times the advisory lock was found lost");
	x->epochs = C("epochs_total", "epochs opened (start, counter overflow, "
		      "lock taken again)");
	x->resent_reorgs = C("reorgs_resent_total",
			     "recorded reorgs whose message was sent again at "
			     "start (it may not have gone out)");
	x->unsent_refused = C("unsent_reorgs_refused_total",
			      "unsent reorgs in the database that could not be "
			      "sent again");
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

static int new_epoch(void *arg, uint64_t *epoch)
{
	struct verifier *v = arg;

	if (!v->db) {
		if (!v->cfg->state || state_next_epoch(v->cfg->state, epoch) < 0)
			return -1;
	} else if (db_next_epoch(v->db, v->chain_id, epoch) != DB_OK) {
		return -1;
	}
	metric_inc(v->m.epochs);
	return 0;
}

int verifier_lock_check(struct verifier *v, long long max_age_ms)
{
	enum db_status st;
	int held = 0;
	long long asked = clock_mono_ms();

	if (!v->db)
		return 0;
	if (v->lock_lost)
		return -1;
	if (max_age_ms > 0 && asked - v->lock_ok_at < max_age_ms)
		return 0;
	metric_inc(v->m.lock_checks);
	st = db_lock_held(v->db, DB_LOCK_VERIFIER,
			  (int32_t)(uint32_t)v->chain_id, &held);
	if (st == DB_OK && held) {
		v->lock_ok_at = asked; /* held since at least then */
		return 0;
	}
	return verifier_lock_lost(v, st == DB_OK ? "lock not held"
						 : "database connection lost");
}

int verifier_lock_lost(struct verifier *v, const char *why)
{
	if (v->lock_lost)
		return -1;
	v->lock_lost = 1;
	metric_inc(v->m.lock_lost);
	log_at(LOG_ERROR, LOGF(LF_U("chain_id", v->chain_id)),
	       "%s: the verifier no longer holds the advisory lock for chain %"
	       PRIu64 "; it emits nothing until it takes the lock again",
	       why, v->chain_id);
	return -1;
}

static int load_window(struct verifier *v);

/* At start: take the lock; with --standby wait for it (and for the
 * database) until it is free. 0, 1 another verifier holds it, -1. */
static int take_lock(struct verifier *v)
{
	long long said = 0;

	for (;;) {
		int rc = db_open_locked(v);

		if (rc == 0 || !v->cfg->standby)
			return rc;
		if (clock_mono_ms() - said > 60000) {
			log_info("standby: %s for chain %" PRIu64 "; waiting",
				 rc == 1 ? "another verifier holds the lock"
					 : "the database is unreachable",
				 v->chain_id);
			said = clock_mono_ms();
		}
		if (nap(1000) < 0)
			return -1;
	}
}

/* After the lock was lost (the connection broke, PostgreSQL restarted):
 * connect again and take the lock back, then open a new epoch (another
 * verifier may have emitted meanwhile) and reload the window from the
 * database. -1 when another verifier holds the lock (logged: stop) or
 * the database stays away. */
static int relock(struct verifier *v)
{
	long long until = clock_mono_ms() + RELOCK_WAIT_MS;
	uint64_t epoch;

	for (int i = 0; !sig_stopping(); i++) {
		int rc = db_open_locked(v);
		long long taken = clock_mono_ms();

		if (rc == 1)
			return log_error("another verifier holds the lock for "
					 "chain %" PRIu64 "; stopping",
					 v->chain_id);
		if (rc == 0 && new_epoch(v, &epoch) == 0) {
			seq_init_epoch(&v->seq, epoch, new_epoch, v);
			v->chain.count = 0;
			memset(&v->audit, 0, sizeof(v->audit));
			if (load_window(v) == 0 && nap(LOCK_LEASE_MS) == 0) {
				v->lock_lost = 0;
				v->lock_ok_at = taken; /* confirmed again at once */
				log_at(LOG_WARN, LOGF(LF_U("epoch", epoch)),
				       "advisory lock for chain %" PRIu64
				       " taken again; window reloaded",
				       v->chain_id);
				/* what the lost lock kept from going out */
				if (verifier_resend_unsent(v) == 0)
					return 0;
				if (!v->lock_lost)
					return -1;
			}
		}
		if (clock_mono_ms() > until)
			break;
		nap(i < 3 ? 500LL << i : 5000);
	}
	return sig_stopping() ? -1
			      : log_error("cannot take the advisory lock back: "
					  "the database stays unreachable");
}

/* The window from the canonical table: the heights just below the
 * resume point, trusted only as far down as their parent links hold
 * (a broken link means a message was lost there: the audit repairs it,
 * and the node decides which side is right). */
static int load_window(struct verifier *v)
{
	uint64_t resume, from;
	struct db_canonical *rows = NULL;
	size_t n = 0, lo;

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
	/* the linked run that ends at the top */
	lo = n;
	while (lo > 0 && rows[lo - 1].hash[0] && rows[lo - 1].parent[0] &&
	       (lo == n || (rows[lo].number == rows[lo - 1].number + 1 &&
			    !strcasecmp(rows[lo].parent, rows[lo - 1].hash))))
		lo--;
	if (lo > 0 && lo < n)
		log_at(LOG_WARN, LOGF(LF_I("height", (long long)rows[lo].number),
				      LF_S("parent_hash", rows[lo].parent),
				      LF_S("below", rows[lo - 1].hash)),
		       "the database's canonical chain is broken below %" PRIu64
		       ": the window starts there; the audit repairs the rest",
		       rows[lo].number);
	v->chain.count = 0;
	for (size_t i = lo; i < n; i++)
		chain_push(&v->chain, rows[i].number, rows[i].hash);
	free(rows);
	if (!chain_empty(&v->chain)) {
		metric_set(v->m.tip, (double)v->chain.tip);
		/* audit what was loaded at once: its writers are gone */
		v->audit.upto = v->chain.tip;
		v->audit.have_upto = 1;
		v->audit.pending_lo = from;
		v->audit.have_pending = 1;
		log_at(LOG_INFO, LOGF(LF_I("from", (long long)chain_lo(&v->chain)),
				      LF_I("tip", (long long)v->chain.tip),
				      LF_S("hash", chain_get(&v->chain,
							     v->chain.tip))),
		       "window loaded from the database");
	}
	return 0;
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

/* A step of the loop failed: when the lock was lost, take it back and
 * go on; otherwise stop. 0 to go on, -1 to stop. */
static int recover(struct verifier *v)
{
	/* a query that failed on a lost connection lost the lock with it */
	if (v->db && PQstatus(v->db) != CONNECTION_OK)
		verifier_lock_lost(v, "database connection lost");
	if (sig_stopping() || !v->lock_lost)
		return -1;
	return relock(v);
}

static int run_loop(struct verifier *v)
{
	const struct verifier_cfg *c = v->cfg;
	long long next_hb = clock_mono_ms() + c->heartbeat_ms;
	long long next_audit = clock_mono_ms(); /* audit at start too */

	while (!sig_stopping()) {
		struct msg m;
		long long now = clock_mono_ms(), wait = next_hb - now;
		int rc;

		notify_loop(is_ready(v));
		if (v->db && next_audit - now < wait)
			wait = next_audit - now;
		if (wait < 0)
			wait = 0;
		if (wait > LOCK_CHECK_MS)
			wait = LOCK_CHECK_MS;
		rc = msg_recv(v->in, &m, (int)wait);
		if (rc < 0) {
			if (msg_is_stdio(v->in))
				log_info("end of input");
			return msg_is_stdio(v->in) ? 0 : -1;
		}
		if (rc == 1 && handle(v, m.data, m.len) < 0 && recover(v) < 0)
			return sig_stopping() ? 0 : -1;
		if (verifier_lock_check(v, LOCK_CHECK_MS) < 0 && recover(v) < 0)
			return sig_stopping() ? 0 : -1;
		now = clock_mono_ms();
		if (now >= next_hb) {
			emit_heartbeat(v);
			next_hb = now + c->heartbeat_ms;
		}
		if (v->db && now >= next_audit) {
			if (verifier_audit(v) < 0 && recover(v) < 0)
				return sig_stopping() ? 0 : -1;
			next_audit = clock_mono_ms() + c->audit_ms;
		}
	}
	return 0;
}

/* The metrics registry and server, and the window. */
static enum verifier_exit setup_metrics(struct verifier *v, char *why,
					size_t whylen)
{
	const struct verifier_cfg *c = v->cfg;

	v->metrics = metrics_new("verifier");
	if (!v->metrics)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;
	metrics_setup(v);
	if (body_metrics_setup(v) < 0)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;
	metrics_set_ready(v->metrics, is_ready, v);
	if (c->metrics_addr && metrics_serve(v->metrics, c->metrics_addr) < 0)
		return config_error(why, whylen, "cannot serve metrics on '%s'",
				    c->metrics_addr);
	if (chain_init(&v->chain, (size_t)c->window) < 0)
		return log_error("out of memory"), VERIFIER_EXIT_FAILED;
	return VERIFIER_EXIT_OK;
}

/* The RPC client, the node's chain id (checked against --chain-id) and
 * the block fetcher. */
static enum verifier_exit setup_node(struct verifier *v, char *why,
				     size_t whylen)
{
	const struct verifier_cfg *c = v->cfg;
	struct rpc_opts ro = RPC_OPTS_INIT;
	char red[256];

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
	return VERIFIER_EXIT_OK;
}

/* seq's epoch: with --db the lock first, the schema, the epoch and the
 * window from the database; with --state the epoch from the file;
 * otherwise the clock. *stopped is set when a signal came while waiting
 * for the lock. */
static enum verifier_exit setup_seq(struct verifier *v, char *why,
				    size_t whylen, int *stopped)
{
	const struct verifier_cfg *c = v->cfg;
	uint64_t epoch;

	if (c->db) {
		int rc = take_lock(v);

		if (rc < 0 && sig_stopping()) {
			*stopped = 1;
			return VERIFIER_EXIT_OK;
		}
		v->lock_ok_at = clock_mono_ms(); /* taken: held since then */
		if (rc == 1)
			return config_error(why, whylen, "another verifier "
					    "holds the lock for chain %" PRIu64,
					    v->chain_id);
		if (rc < 0 || db_apply_schema(v->db) < 0 ||
		    new_epoch(v, &epoch) < 0 || load_window(v) < 0)
			return VERIFIER_EXIT_FAILED;
		seq_init_epoch(&v->seq, epoch, new_epoch, v);
		v->audit.sweep = v->start;
	} else if (c->state) {
		if (new_epoch(v, &epoch) < 0)
			return VERIFIER_EXIT_FAILED;
		seq_init_epoch(&v->seq, epoch, new_epoch, v);
	} else {
		seq_init_clock(&v->seq);
	}
	return VERIFIER_EXIT_OK;
}

/* --out, --pub, then --in (the input last: nothing is read before the
 * output can take it). */
static enum verifier_exit setup_sockets(struct verifier *v, char *why,
					size_t whylen)
{
	const struct verifier_cfg *c = v->cfg;
	struct msg_opts mo = MSG_OPTS_INIT;

	mo.kind = MSG_OUT;
	mo.endpoint = c->out;
	mo.stop = sig_flag();
	v->out = msg_open(&mo);
	if (!v->out)
		return config_error(why, whylen, "cannot open --out '%s'",
				    c->out);
	msg_set_metrics(v->out, v->metrics, "out");
	if (c->pub) {
		mo.kind = MSG_PUB;
		mo.endpoint = c->pub;
		v->pub = msg_open(&mo);
		if (!v->pub)
			return config_error(why, whylen,
					    "cannot open --pub '%s'", c->pub);
		msg_set_metrics(v->pub, v->metrics, "pub");
		v->pub_opened_at = clock_mono_ms();
	}
	mo.kind = MSG_IN;
	mo.endpoint = c->in;
	v->in = msg_open(&mo);
	if (!v->in)
		return config_error(why, whylen, "cannot open --in '%s'", c->in);
	msg_set_metrics(v->in, v->metrics, "in");
	return VERIFIER_EXIT_OK;
}

static enum verifier_exit setup(struct verifier *v, char *why, size_t whylen)
{
	const struct verifier_cfg *c = v->cfg;
	enum verifier_exit ex;
	int stopped = 0;

	if ((ex = setup_metrics(v, why, whylen)) != VERIFIER_EXIT_OK ||
	    (ex = setup_node(v, why, whylen)) != VERIFIER_EXIT_OK ||
	    !v->bf) /* no block fetcher: stopped while asking the node */
		return ex;
	if (c->start_block >= 0) {
		v->start = (uint64_t)c->start_block;
		v->have_start = 1;
	}
	if ((ex = setup_seq(v, why, whylen, &stopped)) != VERIFIER_EXIT_OK ||
	    stopped)
		return ex;
	log_at(LOG_INFO, LOGF(LF_U("chain_id", v->chain_id),
			      LF_U("epoch", v->seq.epoch),
			      LF_S("seq_mode", v->seq.clock ? "clock" :
					       c->db ? "database" : "state file"),
			      LF_I("window", c->window),
			      LF_B("verify_hash", !c->no_verify_hash)),
	       "verifier starting");
	if ((ex = setup_sockets(v, why, whylen)) != VERIFIER_EXIT_OK)
		return ex;
	if (c->db) {
		/* a verifier that held the lock before us may still be within
		 * its lease: let it run out before the first message. Epoch 1
		 * is the chain's first in this database: no verifier held the
		 * lock before (each takes an epoch before it emits). */
		long long left = v->lock_ok_at + LOCK_LEASE_MS - clock_mono_ms();

		if (v->seq.epoch > 1 && left > 0 && nap(left) < 0)
			return VERIFIER_EXIT_OK;
		/* before anything new: the reorgs a verifier killed after
		 * recording them may not have sent */
		if (verifier_resend_unsent(v) < 0)
			return sig_stopping() ? VERIFIER_EXIT_OK
					      : VERIFIER_EXIT_FAILED;
	}
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
	vbody_release(v);
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
		notify_stopping();
		log_at(LOG_INFO, LOGF(LF_U("seq", v.seq.last),
				      LF_I("tip", chain_empty(&v.chain) ? -1 :
					   (long long)v.chain.tip)),
		       "verifier stopping%s", sig_stopping() ? " (signal)" : "");
	}
	if (teardown(&v) < 0 && ex == VERIFIER_EXIT_OK)
		ex = VERIFIER_EXIT_FAILED;
	return ex;
}
