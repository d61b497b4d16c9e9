/* The database failing under replays: when to say so (replay_outage.h). */
#include "replay_outage.h"

#include "banned.h"

int replay_outage_failed(struct replay_outage *o, int64_t now_ms,
			 uint64_t *failures)
{
	if (!o->failing) {
		o->failing = 1;
		o->since_ms = now_ms;
		o->failures = 0;
	}
	o->failures++;
	o->unreported++;
	if (o->ever_warned && now_ms - o->warned_ms < REPLAY_OUTAGE_WARN_MS)
		return 0;
	*failures = o->unreported;
	o->unreported = 0;
	o->warned = o->ever_warned = 1;
	o->warned_ms = now_ms;
	return 1;
}

int replay_outage_ok(struct replay_outage *o, int64_t now_ms,
		     uint64_t *failures, int64_t *ms)
{
	int report = o->failing && o->warned;

	if (report) {
		*failures = o->failures;
		*ms = now_ms - o->since_ms;
		o->unreported = 0;
	}
	o->failing = o->warned = 0;
	return report;
}
