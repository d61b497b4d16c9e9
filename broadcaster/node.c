#include "node.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "block.h"
#include "clock.h"
#include "log.h"
#include "rpc.h"
#include "sig.h"
#include "banned.h"

#define POLL_MS 1000
#define STATUS_POLL_MS 2000

struct bc_node {
	struct rpc_client *rpc;
	char url[256]; /* redacted, for log lines */
	pthread_t thread;
	volatile sig_atomic_t stop; /* the rpc client's give-up flag too */
	atomic_int stream_tip;
	_Atomic uint64_t chain_id; /* 0 unknown */
	uint64_t want_chain_id;    /* --chain-id; 0 any */
	_Atomic uint64_t head;
	atomic_int have_head;
	int warned;
	int chain_warned;
	int started; /* the thread runs: a wrong chain is no longer fatal */
};

static void nap_ms(const struct bc_node *n, long ms)
{
	clock_nap_ms(ms, &n->stop);
}

/* One round: the chain id while unknown, then the head. */
static void ask(struct bc_node *n)
{
	uint64_t v;

	if (!atomic_load(&n->chain_id) && block_chain_id(n->rpc, &v) == 0 && v) {
		if (!n->want_chain_id || v == n->want_chain_id || !n->started)
			atomic_store(&n->chain_id, v);
		else if (!n->chain_warned++)
			log_at(LOG_ERROR, LOGF(LF_S("rpc", n->url), LF_U("chain_id", v),
					       LF_U("want", n->want_chain_id)),
			       "the node '%s' serves chain %" PRIu64 ", not "
			       "--chain-id %" PRIu64 ": not asking it", n->url,
			       v, n->want_chain_id);
	}
	if (n->chain_warned)
		return;
	if (block_head(n->rpc, &v) == 0) {
		atomic_store(&n->head, v);
		atomic_store(&n->have_head, 1);
		if (n->warned) {
			log_at(LOG_INFO, LOGF(LF_S("rpc", n->url), LF_U("head", v)),
			       "the node answers again");
			n->warned = 0;
		}
	} else if (!n->warned) {
		log_at(LOG_WARN, LOGF(LF_S("rpc", n->url)),
		       "cannot read the head of the node '%s': eth_blockNumber "
		       "answers an error until the verifier's first message",
		       n->url);
		n->warned = 1;
	}
}

static void *run(void *arg)
{
	struct bc_node *n = arg;

	/* After the stream has a tip the head is still asked, less often:
	 * the status endpoint's lag is measured against it. */
	while (!n->stop && !sig_stopping() && !n->chain_warned) {
		nap_ms(n, atomic_load(&n->stream_tip) ? STATUS_POLL_MS : POLL_MS);
		if (!n->stop)
			ask(n);
	}
	return NULL;
}

int node_start(struct bc_node **out, const char *urls, uint64_t want_chain_id,
	       struct metrics *m)
{
	struct rpc_opts ro = RPC_OPTS_INIT;
	struct bc_node *n;
	uint64_t id;

	*out = NULL;
	if (!urls || !*urls)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return log_error("out of memory");
	log_redact_url(urls, n->url, sizeof(n->url));
	n->want_chain_id = want_chain_id;
	ro.urls = urls;
	ro.timeout_ms = 3000;
	ro.connect_timeout_ms = 1000;
	ro.max_attempts = 3; /* a request; the thread asks again */
	ro.metrics = m;
	ro.stop = &n->stop;
	n->rpc = rpc_client_new(&ro);
	if (!n->rpc) {
		log_error("invalid --rpc '%s'", n->url);
		free(n);
		return -1;
	}
	ask(n);
	id = atomic_load(&n->chain_id);
	if (id && want_chain_id && id != want_chain_id) {
		log_at(LOG_ERROR, LOGF(LF_S("rpc", n->url), LF_U("chain_id", id),
				       LF_U("want", want_chain_id)),
		       "the node '%s' serves chain %" PRIu64 ", not --chain-id %"
		       PRIu64, n->url, id, want_chain_id);
		rpc_client_destroy(&n->rpc);
		free(n);
		return 1;
	}
	n->started = 1;
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		rpc_client_destroy(&n->rpc);
		free(n);
		return log_error("cannot start the node thread");
	}
	log_at(LOG_INFO, LOGF(LF_S("rpc", n->url), LF_U("chain_id", id),
			      LF_B("have_head", atomic_load(&n->have_head)),
			      LF_U("head", atomic_load(&n->head))),
	       "answering eth_chainId and eth_blockNumber from the node until "
	       "the verifier's first message");
	*out = n;
	return 0;
}

void node_stop(struct bc_node **np)
{
	struct bc_node *n = *np;

	if (!n)
		return;
	n->stop = 1;
	pthread_join(n->thread, NULL);
	rpc_client_destroy(&n->rpc);
	free(n);
	*np = NULL;
}

void node_stream_has_tip(struct bc_node *n)
{
	if (n)
		atomic_store(&n->stream_tip, 1);
}

uint64_t node_chain_id(const struct bc_node *n)
{
	return n ? atomic_load(&n->chain_id) : 0;
}

int node_head(const struct bc_node *n, uint64_t *out)
{
	if (!n || !atomic_load(&n->have_head))
		return -1;
	*out = atomic_load(&n->head);
	return 0;
}
