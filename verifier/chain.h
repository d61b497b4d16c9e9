/* The verifier's window: the (number, hash) pairs of the last `cap`
 * blocks it accepted, contiguous from lo to tip, in a ring. Pure data and
 * decisions, no I/O, so the rules can be tested table by table.
 *
 * A struct chain lives in the caller's memory: chain_init() allocates the
 * ring, chain_release() frees it. */
#ifndef VERIFIER_CHAIN_H
#define VERIFIER_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "hex.h"

struct chain {
	char (*hash)[HASH_HEX_SIZE]; /* ring of cap hashes; height h at h % cap */
	size_t cap;
	size_t count;     /* heights held: tip - lo + 1, or 0 when empty */
	uint64_t tip;     /* valid when count > 0 */
};

#define CHAIN_INIT { NULL, 0, 0, 0 }

/* 0, or -1 when out of memory (cap must be at least 1). */
int chain_init(struct chain *c, size_t cap);
void chain_release(struct chain *c);

static inline int chain_empty(const struct chain *c)
{
	return c->count == 0;
}

/* Lowest height held (only when not empty). */
uint64_t chain_lo(const struct chain *c);

/* The hash held for height n, or NULL when n is outside the window. */
const char *chain_get(const struct chain *c, uint64_t n);

/* Forget everything and hold just (n, hash). */
void chain_reset(struct chain *c, uint64_t n, const char *hash);
/* Append (n, hash): n must be tip + 1, or the chain empty (then it is an
 * anchor). The oldest height falls out when the ring is full. 0, or -1
 * when n is not tip + 1. */
int chain_push(struct chain *c, uint64_t n, const char *hash);
/* Drop every height above n (after a reorg to ancestor n). When n is
 * below lo the chain becomes empty. */
void chain_truncate(struct chain *c, uint64_t n);

/* What an incoming block is to the window. */
enum chain_verdict {
	CV_ANCHOR,    /* the window is empty: take it as the first block */
	CV_EXTEND,    /* number == tip + 1 and parent == tip's hash */
	CV_DUPLICATE, /* a height held, with the hash held */
	CV_REPLACE,   /* a height held, another hash: the chain reorged */
	CV_FORK,      /* number == tip + 1, but parent != tip's hash */
	CV_GAP,       /* number > tip + 1: heights are missing */
	CV_OLD,       /* below the window: nothing to compare with */
};

enum chain_verdict chain_classify(const struct chain *c, uint64_t number,
				  const char *hash, const char *parent);

const char *chain_verdict_name(enum chain_verdict v);

#endif
