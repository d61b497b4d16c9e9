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

int ring_find_seq(const struct ring *r, uint64_t seq, uint64_t *pos)
{
	int covered = 0;

	*pos = r->head;
	for (uint64_t p = r->tail; p < r->head; p++) {
		const struct bc_event *ev = r->slots[p % r->cap];

		if ((ev->kind != EV_BLOCK && ev->kind != EV_REORG) || !ev->seq)
			continue;
		if (ev->seq > seq) {
			*pos = p;
			break;
		}
		covered = 1;
	}
	return covered;
}

/* The oldest position that `room` more pushes leave in the ring. */
static uint64_t lasting(const struct ring *r, size_t room)
{
	return r->head + room > r->cap ? r->head + room - r->cap : 0;
}

uint64_t ring_find_seq_room(const struct ring *r, uint64_t seq, size_t room)
{
	uint64_t p = lasting(r, room);

	for (p = p > r->tail ? p : r->tail; p < r->head; p++) {
		const struct bc_event *ev = r->slots[p % r->cap];

		if ((ev->kind == EV_BLOCK || ev->kind == EV_REORG) && ev->seq &&
		    ev->seq > seq)
			return p;
	}
	return r->head;
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
