/* Lost messages on a PUB stream: the third frame of each message is a
 * per-topic counter (docs/protocol.md, "PUB frames"). This is the one
 * reading of it, for every subscriber (the broadcaster, tap):
 *
 *   - the first message of a topic is no gap (we joined late);
 *   - counter == last + 1 (modulo 2^32: the counter wraps) is in order;
 *   - a counter that goes back, or that is 0, means the publisher
 *     restarted (its counters start again at 0): no gap, nothing counted
 *     lost, the topic is followed from there;
 *   - any other jump forward (fewer than 2^31) is a gap of the messages
 *     skipped.
 *
 * A publisher that restarts and sends more than one message of a topic
 * before we see it is indistinguishable from a gap: it reads as one.
 * A subscriber keeps one struct pubgap a publisher (the caller's memory,
 * PUBGAP_INIT). Topics past PUBGAP_TOPICS, or longer than the slot, are
 * not followed (PUBGAP_UNTRACKED). */
#ifndef PUBGAP_H
#define PUBGAP_H

#include <stdint.h>

#define PUBGAP_TOPICS 32

struct pubgap {
	struct {
		char topic[64];
		uint32_t last;
	} t[PUBGAP_TOPICS];
	int n;
};

#define PUBGAP_INIT { .n = 0 }

enum pubgap_result {
	PUBGAP_OK,        /* the next one */
	PUBGAP_FIRST,     /* the first of its topic */
	PUBGAP_GAP,       /* *lost messages were skipped */
	PUBGAP_RESTART,   /* the publisher restarted */
	PUBGAP_UNTRACKED, /* too many topics, or too long a name */
};

/* Check counter, of a message of topic, against the last seen, and
 * remember it. *lost is the number skipped for PUBGAP_GAP, else 0. */
enum pubgap_result pubgap_check(struct pubgap *g, const char *topic,
				uint32_t counter, uint32_t *lost);

/* The log line of a result, the same in every subscriber: PUBGAP_GAP a
 * warning "messages lost on topic 'T'" (with expected, got and lost),
 * PUBGAP_RESTART an info line "publisher counter went back: publisher
 * restarted"; nothing for the others. source names the publisher (its
 * endpoint, logged as "endpoint"). */
void pubgap_log(enum pubgap_result r, const char *source, const char *topic,
		uint32_t counter, uint32_t lost);

#endif
