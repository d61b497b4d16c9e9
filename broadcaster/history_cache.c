/* Recent replay pages' query results (history_cache.h). */
#include "history_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "banned.h"

struct entry {
	struct history_page_rows rows; /* first: handed out as this */
	struct history_page_key key;
	int used;       /* holds rows */
	int refs;       /* callers holding them */
	int64_t born_ms;
	uint64_t last;  /* the cache's tick when last handed out */
};

struct history_cache {
	pthread_mutex_t lock;
	struct entry e[HISTORY_CACHE_PAGES];
	uint64_t tick;
};

struct history_cache *history_cache_new(void)
{
	struct history_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void drop(struct entry *e)
{
	PQclear(e->rows.blocks);
	PQclear(e->rows.reorgs);
	memset(e, 0, sizeof(*e));
}

void history_cache_free(struct history_cache **cp)
{
	struct history_cache *c = *cp;

	if (!c)
		return;
	for (size_t i = 0; i < HISTORY_CACHE_PAGES; i++)
		if (c->e[i].used)
			drop(&c->e[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

static int same(const struct history_page_key *a,
		const struct history_page_key *b)
{
	return a->chain_id == b->chain_id && a->after == b->after &&
	       a->before == b->before && a->limit == b->limit;
}

const struct history_page_rows *history_cache_get(struct history_cache *c,
						  const struct history_page_key *k)
{
	int64_t now = clock_mono_ms();
	struct entry *hit = NULL;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < HISTORY_CACHE_PAGES && !hit; i++) {
		struct entry *e = &c->e[i];

		if (e->used && same(&e->key, k) &&
		    now - e->born_ms < HISTORY_CACHE_MS)
			hit = e;
	}
	if (hit) {
		hit->refs++;
		hit->last = ++c->tick;
	}
	pthread_mutex_unlock(&c->lock);
	return hit ? &hit->rows : NULL;
}

/* A slot to fill: a free one, else the least recently used one nobody
 * holds; NULL when every slot is held. */
static struct entry *victim(struct history_cache *c)
{
	struct entry *v = NULL;

	for (size_t i = 0; i < HISTORY_CACHE_PAGES; i++) {
		struct entry *e = &c->e[i];

		if (!e->used)
			return e;
		if (!e->refs && (!v || e->last < v->last))
			v = e;
	}
	return v;
}

const struct history_page_rows *history_cache_put(struct history_cache *c,
						  const struct history_page_key *k,
						  PGresult *blocks,
						  PGresult *reorgs)
{
	struct entry *e;

	pthread_mutex_lock(&c->lock);
	e = victim(c);
	if (e) {
		if (e->used)
			drop(e);
		e->rows.blocks = blocks;
		e->rows.reorgs = reorgs;
		e->key = *k;
		e->used = 1;
		e->refs = 1;
		e->born_ms = clock_mono_ms();
		e->last = ++c->tick;
	}
	pthread_mutex_unlock(&c->lock);
	return e ? &e->rows : NULL;
}

void history_cache_release(struct history_cache *c,
			   const struct history_page_rows *rows)
{
	struct entry *e = (struct entry *)rows;

	pthread_mutex_lock(&c->lock);
	e->refs--;
	pthread_mutex_unlock(&c->lock);
}
