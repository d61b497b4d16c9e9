/* The input thread: reads the verifier's messages (ZeroMQ SUB or NDJSON
 * on stdin), turns them into events (all JSON work happens here, on the
 * second core, not on the service thread), watches the PUB counters for
 * gaps, and hands the events to the service thread through a queue woken
 * by lws_cancel_service().
 *
 * Why a thread and not a timer draining msg_recv() on the service loop:
 * stdin is not a ZeroMQ socket, ZMQ_FD is edge-triggered and easy to
 * starve, serialising a large block would stall every client's writes,
 * and a blocking receive with a short timeout needs no polling cadence. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"
#include "pubgap.h"
#include "server.h"
#include "status.h"
#include "banned.h"

#define MAX_INPUTS 16
#define QUEUE_MAX 4096

struct input {
	struct msg_io *io;
	char *endpoint;
	struct pubgap counters;
};

static void queue_push(struct bc_server *srv, struct bc_event *ev)
{
	struct bc_qitem *it = malloc(sizeof(*it));

	if (!it) {
		log_error("out of memory: event dropped");
		ev_free(ev);
		return;
	}
	it->next = NULL;
	it->ev = ev;
	pthread_mutex_lock(&srv->qlock);
	/* Back-pressure: the service thread is behind; wait (a SUB socket
	 * then fills and the publisher drops, which shows as a gap). */
	while (srv->qlen >= QUEUE_MAX && !srv->input_stop) {
		struct timespec ts = clock_wall_after(200);

		pthread_cond_timedwait(&srv->qcond, &srv->qlock, &ts);
	}
	if (srv->qtail)
		srv->qtail->next = it;
	else
		srv->qhead = it;
	srv->qtail = it;
	srv->qlen++;
	pthread_mutex_unlock(&srv->qlock);
	lws_cancel_service(srv->ctx);
}

struct bc_qitem *input_take(struct bc_server *srv)
{
	struct bc_qitem *it;

	pthread_mutex_lock(&srv->qlock);
	it = srv->qhead;
	srv->qhead = srv->qtail = NULL;
	srv->qlen = 0;
	pthread_cond_broadcast(&srv->qcond);
	pthread_mutex_unlock(&srv->qlock);
	return it;
}

static void handle(struct bc_server *srv, struct events *evs,
		   struct input *in, const struct msg *m)
{
	struct bc_event *ev = NULL;
	char why[256];
	enum ev_result r;
	uint64_t back_from;

	srv->input_seen = 1;
	metric_inc(srv->m.events_in);
	if (m->topic && m->has_counter) {
		uint32_t lost;
		enum pubgap_result pr =
			pubgap_check(&in->counters, m->topic, m->counter, &lost);

		pubgap_log(pr, in->endpoint, m->topic, m->counter, lost);
		if (pr == PUBGAP_GAP) {
			struct bc_event *gap;

			metric_add(srv->m.gaps, lost);
			status_gap(srv->status, in->endpoint, m->topic, lost,
				   clock_wall_ms());
			gap = events_gap(in->endpoint, m->topic,
					 m->counter - lost, m->counter, lost);
			if (gap)
				queue_push(srv, gap);
		}
	}
	r = events_build(evs, m->data, m->len, &ev, why, sizeof(why));
	back_from = events_seen(evs)->seq_back_from;
	if (back_from)
		log_at(LOG_WARN, LOGF(LF_S("endpoint", in->endpoint),
				      LF_U("highest_seq", back_from)),
		       "the verifier's seq started over (its database emptied, or "
		       "a verifier moved from pipes to a database): reorgs are "
		       "compared with the new seqs from here");
	/* a repeated reorg is not counted again in the status's reorgs */
	if (r == EV_RES_OK || r == EV_RES_SKIP)
		status_note(srv->status, in->endpoint, events_seen(evs),
			    clock_wall_ms());
	switch (r) {
	case EV_RES_OK:
		queue_push(srv, ev);
		break;
	case EV_RES_SKIP:
		log_at(LOG_DEBUG, LOGF(LF_S("endpoint", in->endpoint)),
		       "message not broadcast: %s", why);
		break;
	case EV_RES_REPEAT:
		metric_inc(srv->m.repeated_reorgs);
		log_at(LOG_INFO, LOGF(LF_S("endpoint", in->endpoint)),
		       "reorg not broadcast again: %s", why);
		break;
	case EV_RES_DUPLICATE:
		metric_inc(srv->m.dup_input);
		__attribute__((fallthrough)); /* a bad message too */
	case EV_RES_BAD:
		metric_inc(srv->m.bad_input);
		log_at(LOG_WARN, LOGF(LF_S("endpoint", in->endpoint),
				      LF_U("bytes", m->len), LF_S("error", why)),
		       "bad message from the verifier rejected");
		break;
	}
}

/* Open the n inputs named in addr (stdin, or SUB sockets subscribed to
 * what the broadcaster reads). 0, or -1 when one cannot be opened; those
 * opened stay in in[] for the caller to close. */
static int inputs_open(struct bc_server *srv, struct input *in, char **addr,
		       int n, int stdio)
{
	/* committed: the writers' watermarks, when --sub names their --pub */
	static const char *const topics[] = { "block", "reorg", "heartbeat",
					      "committed", NULL };

	for (int i = 0; i < n; i++) {
		struct msg_opts o = MSG_OPTS_INIT;
		char name[16];

		in[i].endpoint = addr[i];
		o.kind = stdio ? MSG_IN : MSG_SUB;
		o.endpoint = addr[i];
		o.topics = topics;
		o.stop = &srv->input_stop;
		in[i].io = msg_open(&o);
		if (!in[i].io)
			return -1;
		snprintf(name, sizeof(name), "in%d", i);
		msg_set_metrics(in[i].io, srv->metrics, name);
	}
	return 0;
}

/* Read the n inputs until told to stop, stdin ends or an input fails
 * (input_failed set). */
static void inputs_read(struct bc_server *srv, struct events *evs,
			struct input *in, int n, int stdio)
{
	while (!srv->input_stop) {
		struct pollfd pfd[MAX_INPUTS];
		struct msg m;
		int r;

		if (n == 1) {
			r = msg_recv(in[0].io, &m, 250);
			if (r > 0) {
				handle(srv, evs, &in[0], &m);
			} else if (r < 0 && stdio) {
				log_info("end of input: still serving clients");
				break;
			} else if (r < 0) {
				srv->input_failed = 1;
				break;
			}
			continue;
		}
		for (int i = 0; i < n; i++) {
			pfd[i].fd = msg_fd(in[i].io);
			pfd[i].events = POLLIN;
		}
		/* ZMQ_FD is edge-triggered: drain each socket fully; the
		 * timeout covers an edge missed between drains. */
		poll(pfd, (nfds_t)n, 100);
		for (int i = 0; i < n && !srv->input_stop; i++) {
			while (!srv->input_stop &&
			       (r = msg_recv(in[i].io, &m, 0)) > 0)
				handle(srv, evs, &in[i], &m);
		}
	}
}

static void *input_main(void *arg)
{
	struct bc_server *srv = arg;
	const struct broadcaster_cfg *cfg = srv->cfg;
	struct input in[MAX_INPUTS];
	struct events_opts eo = {
		.backfill = cfg->broadcast_backfill,
		.keep_blocks = (size_t)cfg->replay + 64,
	};
	struct events *evs = events_new(&eo);
	char *addr[MAX_INPUTS];
	int bind[MAX_INPUTS];
	int n = 0, stdio = !strcmp(cfg->sub, "-");
	sigset_t set;

	/* Signals are for the service thread: its poll wakes on them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	memset(in, 0, sizeof(in));
	if (!evs) {
		log_error("out of memory");
		srv->input_failed = 1;
		return NULL;
	}
	if (stdio) {
		addr[0] = strdup("-");
		n = addr[0] ? 1 : -1;
	} else {
		n = msg_parse_endpoints(cfg->sub, addr, bind, MAX_INPUTS);
	}
	if (n <= 0) {
		log_error("invalid --sub endpoint list '%s'", cfg->sub);
		srv->input_failed = 1;
		events_destroy(&evs);
		return NULL;
	}
	if (inputs_open(srv, in, addr, n, stdio) < 0) {
		srv->input_failed = 1;
	} else {
		log_at(LOG_INFO, LOGF(LF_S("sub", cfg->sub)),
		       "reading verifier messages");
		inputs_read(srv, evs, in, n, stdio);
	}
	for (int i = 0; i < n; i++) {
		if (in[i].io)
			msg_close(&in[i].io);
		free(addr[i]);
	}
	events_destroy(&evs);
	return NULL;
}

int input_start(struct bc_server *srv)
{
	if (pthread_create(&srv->input_thread, NULL, input_main, srv) != 0)
		return log_error("cannot start the input thread");
	srv->input_started = 1;
	return 0;
}

void input_stop(struct bc_server *srv)
{
	struct bc_qitem *it;

	if (srv->input_started) {
		srv->input_stop = 1;
		pthread_mutex_lock(&srv->qlock);
		pthread_cond_broadcast(&srv->qcond);
		pthread_mutex_unlock(&srv->qlock);
		pthread_join(srv->input_thread, NULL);
		srv->input_started = 0;
	}
	it = input_take(srv);
	while (it) {
		struct bc_qitem *nx = it->next;

		ev_free(it->ev);
		free(it);
		it = nx;
	}
}
