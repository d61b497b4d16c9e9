#include "ring.h"

#include <stdlib.h>

#include "events.h"
#include "banned.h"

struct ring {
	struct bc_event **slots;
	size_t cap;
	uint64_t tail, head;
};

struct ring *ring_new(size_t capacity)
{
	struct ring *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cap = capacity ? capacity : 1;
	r->slots = calloc(r->cap, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return NULL;
	}
	return r;
}

void ring_destroy(struct ring **rp)
{
	struct ring *r = *rp;

	if (!r)
		return;
	for (uint64_t p = r->tail; p < r->head; p++)
		ev_free(r->slots[p % r->cap]);
	free(r->slots);
	free(r);
	*rp = NULL;
}

uint64_t ring_push(struct ring *r, struct bc_event *ev)
{
	uint64_t pos = r->head;

	if (r->head - r->tail == r->cap) {
		ev_free(r->slots[r->tail % r->cap]);
		r->slots[r->tail % r->cap] = NULL;
		r->tail++;
	}
	r->slots[pos % r->cap] = ev;
	r->head++;
	return pos;
}

void ring_clear(struct ring *r)
{
	for (; r->tail < r->head; r->tail++) {
		ev_free(r->slots[r->tail % r->cap]);
		r->slots[r->tail % r->cap] = NULL;
	}
}

uint64_t ring_head(const struct ring *r)
{
	return r->head;
}

uint64_t ring_tail(const struct ring *r)
{
	return r->tail;
}

struct bc_event *ring_get(const struct ring *r, uint64_t pos)
{
	if (pos < r->tail || pos >= r->head)
		return NULL;
	return r->slots[pos % r->cap];
}

uint64_t ring_lag(const struct ring *r, uint64_t pos)
{
	return pos >= r->head ? 0 : r->head - pos;
}

/* The event at p when it is a block or reorg with a seq, else NULL. */
static const struct bc_event *seq_event(const struct ring *r, uint64_t p)
{
	const struct bc_event *ev = r->slots[p % r->cap];

	return (ev->kind == EV_BLOCK || ev->kind == EV_REORG) && ev->seq ? ev :
									    NULL;
}

/* The ring's blocks and reorgs come in increasing seqs but where the
 * verifier's seqs started over (a block below the highest seq read:
 * events.c), so they are runs of increasing seqs. A seq is of the newest
 * run whose seqs span it, and what follows it is the first block or
 * reorg above it there, else the next run's first; a seq no run spans
 * is followed by the first event of the newest run that starts above it
 * (head when none). Read as one run, a seq of the stream before the
 * restart would be above every event after it, and a client would get
 * nothing of the new stream the ring holds. From position `from` on;
 * *spanned, and *highest the highest seq held. */
static uint64_t seq_next(const struct ring *r, uint64_t from, uint64_t seq,
			 int *spanned, uint64_t *highest)
{
	uint64_t start = 0, first = 0, last = 0; /* the run walked */
	uint64_t span_from = 0, span_to = 0, above = r->head;
	int in_run = 0;

	*spanned = 0;
	*highest = 0;
	for (uint64_t p = from; p <= r->head; p++) {
		const struct bc_event *ev = p < r->head ? seq_event(r, p) : NULL;

		if (p < r->head && !ev)
			continue;
		if (in_run && (!ev || ev->seq < last)) { /* [start, p) ends */
			if (first <= seq && seq <= last) {
				span_from = start;
				span_to = p;
				*spanned = 1;
			} else if (first > seq) {
				above = start;
			}
			in_run = 0;
		}
		if (!ev)
			break;
		if (!in_run) {
			start = p;
			first = ev->seq;
			in_run = 1;
		}
		last = ev->seq;
		if (last > *highest)
			*highest = last;
	}
	if (!*spanned)
		return above;
	for (uint64_t p = span_from; p < span_to; p++) {
		const struct bc_event *ev = seq_event(r, p);

		if (ev && ev->seq > seq)
			return p;
	}
	return span_to;
}

int ring_find_seq(const struct ring *r, uint64_t seq, uint64_t *pos)
{
	uint64_t highest;
	int spanned;

	*pos = seq_next(r, r->tail, seq, &spanned, &highest);
	/* above every seq held: live; else older than the ring reaches */
	return spanned || (highest && seq > highest);
}

/* The oldest position that `room` more pushes leave in the ring. */
static uint64_t lasting(const struct ring *r, size_t room)
{
	return r->head + room > r->cap ? r->head + room - r->cap : 0;
}

uint64_t ring_find_seq_room(const struct ring *r, uint64_t seq, size_t room)
{
	uint64_t p = lasting(r, room), highest;
	int spanned;

	return seq_next(r, p > r->tail ? p : r->tail, seq, &spanned, &highest);
}

int ring_keeps(const struct ring *r, uint64_t pos, size_t room)
{
	return pos >= r->tail && pos < r->head && pos >= lasting(r, room);
}

enum ring_since ring_find_since(const struct ring *r, uint64_t height,
				uint64_t *pos, uint64_t *oldest)
{
	int have_block = 0;

	*pos = r->head;
	*oldest = UINT64_MAX;
	for (uint64_t p = r->tail; p < r->head; p++) {
		const struct bc_event *ev = r->slots[p % r->cap];

		if (ev->kind != EV_BLOCK)
			continue;
		if (!have_block) {
			have_block = 1;
			*oldest = ev->height;
			if (height < ev->height)
				return RING_SINCE_TOO_OLD;
		}
		if (ev->height >= height) {
			*pos = p;
			return RING_SINCE_OK;
		}
	}
	return have_block ? RING_SINCE_LIVE : RING_SINCE_TOO_OLD;
}
