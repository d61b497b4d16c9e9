/* The shared event ring: the last events received, each stored once and
 * read by every client through its own position.
 *
 * Positions are 64-bit and only grow: the first event pushed gets position
 * 0. The ring holds the positions [tail, head); pushing into a full ring
 * frees the oldest event (ev_free). A client whose position fell below the
 * tail lost events. The ring is also the replay store for `since`.
 *
 * Used from one thread (the WebSocket service thread). The ring owns the
 * events pushed into it. */
#ifndef BC_RING_H
#define BC_RING_H

#include <stddef.h>
#include <stdint.h>

struct bc_event;
struct ring;

/* NULL when out of memory. capacity >= 1. */
struct ring *ring_new(size_t capacity);
/* Frees every event held and the ring. Sets *r to NULL. */
void ring_destroy(struct ring **r);

/* Append ev (the ring takes it); returns its position. */
uint64_t ring_push(struct ring *r, struct bc_event *ev);
/* Free every event held: the ring is empty, positions go on from head. */
void ring_clear(struct ring *r);
/* One past the newest position (the position of the next push). */
uint64_t ring_head(const struct ring *r);
/* The oldest position held (== head when empty). */
uint64_t ring_tail(const struct ring *r);
/* The event at pos, or NULL when pos is outside [tail, head). */
struct bc_event *ring_get(const struct ring *r, uint64_t pos);
/* How far pos is behind head; 0 when pos >= head. */
uint64_t ring_lag(const struct ring *r, uint64_t pos);

enum ring_since { RING_SINCE_OK, RING_SINCE_LIVE, RING_SINCE_TOO_OLD };

/* Where a client that has every height below `height` resumes: the
 * position of the oldest block event held whose height is >= height
 * (RING_SINCE_OK, *pos set; everything after it, reorgs included, is
 * replayed in order). RING_SINCE_LIVE when no block held is that high
 * (*pos = head: nothing to replay). RING_SINCE_TOO_OLD when height is
 * below the oldest block held (*oldest set to that block's height) or
 * when no block is held yet (*oldest = UINT64_MAX). */
enum ring_since ring_find_since(const struct ring *r, uint64_t height,
				uint64_t *pos, uint64_t *oldest);

/* Where a client that had every event up to seq resumes: 1 when the ring
 * holds a block or reorg at or below seq (nothing after it was dropped),
 * *pos then the first block or reorg above it (head when none), or above
 * every seq held (*pos head); 0 when the ring does not reach back that
 * far. Where the seqs started over, seq is of the newest run of
 * increasing seqs that spans it, and *pos the first above it there (else
 * the next run's first). */
int ring_find_seq(const struct ring *r, uint64_t seq, uint64_t *pos);

/* The first block or reorg above seq whose event `room` more pushes
 * leave in the ring: where a client may go on reading the ring with
 * that much room (one that goes on from an event near the tail loses it
 * at the next push). head when there is none. */
uint64_t ring_find_seq_room(const struct ring *r, uint64_t seq, size_t room);

/* Is the event at pos held, and still after `room` more pushes? */
int ring_keeps(const struct ring *r, uint64_t pos, size_t room);

#endif
