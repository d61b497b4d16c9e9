#include "chain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "banned.h"

int chain_init(struct chain *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	if (cap < 1)
		return -1;
	c->hash = calloc(cap, sizeof(*c->hash));
	if (!c->hash)
		return -1;
	c->cap = cap;
	return 0;
}

void chain_release(struct chain *c)
{
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

uint64_t chain_lo(const struct chain *c)
{
	return c->tip - (c->count - 1);
}

static char *slot(const struct chain *c, uint64_t n)
{
	return c->hash[n % c->cap];
}

static void set(struct chain *c, uint64_t n, const char *hash)
{
	char *s = slot(c, n);
	size_t len = strnlen(hash, HASH_HEX_LEN);

	memcpy(s, hash, len);
	s[len] = '\0';
}

const char *chain_get(const struct chain *c, uint64_t n)
{
	if (!c->count || n > c->tip || n < chain_lo(c))
		return NULL;
	return slot(c, n);
}

void chain_reset(struct chain *c, uint64_t n, const char *hash)
{
	c->count = 1;
	c->tip = n;
	set(c, n, hash);
}

int chain_push(struct chain *c, uint64_t n, const char *hash)
{
	if (!c->count) {
		chain_reset(c, n, hash);
		return 0;
	}
	if (c->tip == UINT64_MAX || n != c->tip + 1)
		return -1;
	c->tip = n;
	set(c, n, hash);
	if (c->count < c->cap)
		c->count++;
	return 0;
}

void chain_truncate(struct chain *c, uint64_t n)
{
	if (!c->count || n >= c->tip)
		return;
	if (n < chain_lo(c)) {
		c->count = 0;
		return;
	}
	c->count -= (size_t)(c->tip - n);
	c->tip = n;
}

static int same(const char *a, const char *b)
{
	return !strcasecmp(a, b);
}

enum chain_verdict chain_classify(const struct chain *c, uint64_t number,
				  const char *hash, const char *parent)
{
	const char *held;

	if (!c->count)
		return CV_ANCHOR;
	if (number == c->tip + 1 && c->tip != UINT64_MAX)
		return same(parent, slot(c, c->tip)) ? CV_EXTEND : CV_FORK;
	if (number > c->tip)
		return CV_GAP;
	held = chain_get(c, number);
	if (!held)
		return CV_OLD;
	return same(held, hash) ? CV_DUPLICATE : CV_REPLACE;
}

const char *chain_verdict_name(enum chain_verdict v)
{
	switch (v) {
	case CV_ANCHOR: return "anchor";
	case CV_EXTEND: return "extend";
	case CV_DUPLICATE: return "duplicate";
	case CV_REPLACE: return "replace";
	case CV_FORK: return "fork";
	case CV_GAP: return "gap";
	case CV_OLD: return "old";
	}
	return "?";
}
