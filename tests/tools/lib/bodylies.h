/* bodylies: when and where faultproxy lies about block bodies (the lies
 * themselves are bodyfault.h's): at chosen heights, for the first K
 * answers of a height or always, with a probability; set from flags or
 * /__control, counted for /__stats. Thread-safe: faultproxy serves a
 * connection a thread. */
#ifndef BODYLIES_H
#define BODYLIES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "bodyfault.h"
#include "buf.h"

#define BODY_MAX_HEIGHTS 64

struct body_cfg {
	unsigned kinds;     /* one bit per enum body_fault; 0: off */
	double rate;        /* probability for an answer at a chosen height */
	long long times;    /* lie in the first `times` answers of a height;
			       0: in every answer */
	uint64_t heights[BODY_MAX_HEIGHTS];
	size_t nheights;    /* 0: every height */
};

struct body_told {
	uint64_t height;
	unsigned long long n;
};

struct body_lies {
	pthread_mutex_t lock; /* guards everything below */
	uint64_t rng;
	struct body_cfg cfg;
	struct body_told *told; /* lies told, by height */
	size_t ntold, captold;
	unsigned long long count[BF_COUNT], misfits;
};

/* One element of a JSON-RPC answer, as faultproxy read it: the call it
 * answers (method, and the height of a block call) and where its result
 * stands in the answer (NULL: none). */
struct body_elem {
	const char *method;
	uint64_t number;
	int has_number, full;
	const char *result;
	size_t resultlen;
};

/* Off (no kinds), rate 1, times 1, every height. */
void body_lies_init(struct body_lies *bl, uint64_t seed);
void body_lies_release(struct body_lies *bl);
void body_lies_seed(struct body_lies *bl, uint64_t seed);

/* A command-line option: "--body-faults", "--body-heights",
 * "--body-rate" or "--body-times" with its argument. 0, or -1 with a line
 * on stderr. */
int body_lies_option(struct body_lies *bl, const char *opt, const char *arg);

/* The body_* members of a /__control object (and "seed",
 * "reset_stats"), all or nothing: NULL when applied, else what is wrong
 * (nothing applied). */
const char *body_lies_control(struct body_lies *bl, yajl_val v);

/* Into an open map: "body" (lies told by kind), "lies" (by height),
 * "body_misfits" (lies due that did not fit their block). */
void body_lies_gen_stats(struct body_lies *bl, yajl_gen g);
/* Into an open map: body_faults, body_rate, body_times, body_heights. */
void body_lies_gen_settings(struct body_lies *bl, yajl_gen g);
/* The kinds enabled, "drop-tx,status". */
void body_lies_kinds(struct body_lies *bl, char *out, size_t outlen);

/* Tell the lies due to the blocks of this answer (its n elements el, in
 * answer): a block call of eth_getBlockByNumber(N, true), with the
 * eth_getBlockReceipts(N) element of the same answer for the faults that
 * touch receipts. Returns 1 when answer was rewritten, with the kinds
 * told in names, else 0 (answer unchanged). */
int body_lies_tell(struct body_lies *bl, struct buf *answer,
		   const struct body_elem *el, size_t n, char *names,
		   size_t nameslen);

/* The body faults' part of faultproxy --help. */
void body_lies_usage(FILE *out);

#endif
