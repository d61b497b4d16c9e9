/* Recent replay pages' query results, shared by the history workers, so
 * that clients resuming from one point (a reconnect storm after the
 * broadcaster restarted, many clients that left together) have the
 * database build each page once. The workers keep only full pages
 * bounded by a seam (history_sql.c), for HISTORY_CACHE_MS at most.
 *
 * Thread-safe. A result handed out is shared and read-only, held until
 * history_cache_release(). */
#ifndef BC_HISTORY_CACHE_H
#define BC_HISTORY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Pages kept at most, and for how long. */
#define HISTORY_CACHE_PAGES 64
#define HISTORY_CACHE_MS 2000

struct history_page_key {
	uint64_t chain_id, after, before;
	size_t limit;
};

struct history_page_rows {
	PGresult *blocks, *reorgs;
};

struct history_cache;

/* NULL when out of memory. */
struct history_cache *history_cache_new(void);
/* Frees every result kept (none may be held). Sets *c to NULL. */
void history_cache_free(struct history_cache **c);

/* The rows kept for key, held for the caller; NULL when none. */
const struct history_page_rows *history_cache_get(struct history_cache *c,
						  const struct history_page_key *k);
/* Keep blocks and reorgs for key: the cache takes them and holds them
 * for the caller. NULL when no slot is free: the caller keeps them. */
const struct history_page_rows *history_cache_put(struct history_cache *c,
						  const struct history_page_key *k,
						  PGresult *blocks,
						  PGresult *reorgs);
void history_cache_release(struct history_cache *c,
			   const struct history_page_rows *rows);

#endif
