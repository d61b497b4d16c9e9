/* proxy: faultproxy's state, shared by its parts: faultproxy.c (the
 * requests, forwarding, the command line), proxy_mangle.c (the faults
 * that rewrite the node's answer) and proxy_control.c (/__control and
 * /__stats). faultproxy serves a connection a thread: p->lock guards the
 * settings and counters. */
#ifndef PROXY_H
#define PROXY_H

#include <microhttpd.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#include "bodylies.h"
#include "rpcspans.h"

enum fault {
	F_DELAY, F_429, F_500, F_502, F_TRUNCATE, F_NULL, F_GARBAGE, F_DROP,
	F_CORRUPT, F_LAG, F_DUPKEY, F_COUNT, F_NONE = F_COUNT,
};

extern const char *const fault_names[F_COUNT];

#define MAX_BODY ((size_t)256 << 20)

struct proxy {
	const char *upstream;
	const char *hide;      /* --hide-method: a method the node "lacks" */
	FILE *log;
	pthread_mutex_t lock;  /* guards everything below */
	uint64_t rng;
	double rate;
	unsigned faults;       /* one bit per enum fault */
	unsigned long long requests, forwarded, upstream_errors, injected;
	unsigned long long count[F_COUNT];
	uint64_t *corrupted;   /* block numbers corrupted once already */
	size_t ncorrupted, capcorrupted;
	struct body_lies body; /* lib/bodylies.h, its own lock */
};

/* Seed the proxy's fault draws. */
void proxy_seed(uint64_t *rng, uint64_t seed);

/* Apply a fault that acts on the upstream answer body (F_TRUNCATE,
 * F_NULL, F_CORRUPT, F_LAG, F_DUPKEY) for the request's calls cs.
 * Returns the fault actually applied (F_NONE when it did not fit this
 * answer, body unchanged). */
enum fault proxy_mangle(struct proxy *p, enum fault f, const struct calls *cs,
			struct buf *body);

/* Tell the body lies due in this answer (bodylies.h). Returns 1 when
 * one was, with their names in names. */
int proxy_body_mangle(struct proxy *p, const struct calls *cs,
		      struct buf *body, char *names, size_t nameslen);

/* GET /__stats. */
enum MHD_Result proxy_serve_stats(struct proxy *p,
				  struct MHD_Connection *conn);

/* POST /__control with the JSON object in: the settings it names
 * changed, all or nothing; answers the settings. */
enum MHD_Result proxy_serve_control(struct proxy *p,
				    struct MHD_Connection *conn,
				    const struct buf *in);

#endif
