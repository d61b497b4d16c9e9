/* The pipeline's state as the broadcaster sees it on its SUB sockets,
 * served as JSON at GET /v1/status for the dashboard (docs/broadcaster.md):
 * the verifier's heartbeats and tip, the blocks' fetch and emission
 * times (the fetcher's position), each writer's committed watermark, the
 * recent reorgs and gaps.
 *
 * The input thread writes it (status_note, status_gap), the service
 * thread reads it (status_render); a mutex inside keeps them apart. */
#ifndef BC_STATUS_H
#define BC_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct bc_status;
struct ev_seen;

/* NULL when out of memory. */
struct bc_status *status_new(void);
/* Free it; *st becomes NULL. NULL is fine. */
void status_destroy(struct bc_status **st);

/* A message from source (the --sub endpoint) read by events_build(),
 * broadcast or not; now_ms is the broadcaster's clock (Unix ms). */
void status_note(struct bc_status *st, const char *source,
		 const struct ev_seen *seen, int64_t now_ms);
/* A PUB counter jump: lost messages of topic from source. */
void status_gap(struct bc_status *st, const char *source, const char *topic,
		uint32_t lost, int64_t now_ms);

/* What only the service thread knows. */
struct status_view {
	int64_t now_ms;
	bool has_node_head; /* --rpc: the node's eth_blockNumber */
	uint64_t node_head;
	bool has_tip;       /* the newest height broadcast */
	uint64_t tip;
	uint64_t chain_id;
	size_t clients;
	bool input_failed;
};

/* The status document (docs/broadcaster.md, "Status") appended to out.
 * 0, or -1 when out of memory. */
int status_render(struct bc_status *st, struct buf *out,
		  const struct status_view *v);

#endif
