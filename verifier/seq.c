/* seq: the counter and its epochs (seq.h). */
#include "seq.h"

#include <inttypes.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "banned.h"

void seq_init_epoch(struct seq_state *s, uint64_t epoch, seq_renew_fn renew,
		    void *renew_arg)
{
	memset(s, 0, sizeof(*s));
	s->epoch = epoch;
	s->last = epoch << 32;
	s->renew = renew;
	s->renew_arg = renew_arg;
}

void seq_init_clock(struct seq_state *s)
{
	memset(s, 0, sizeof(*s));
	s->clock = 1;
}


uint64_t seq_next(struct seq_state *s)
{
	if (s->clock) {
		uint64_t t = clock_wall_us();

		s->last = t > s->last ? t : s->last + 1;
		return s->last;
	}
	if (s->counter >= SEQ_COUNTER_MAX) {
		uint64_t e = 0;

		if (!s->renew || s->renew(s->renew_arg, &e) < 0 ||
		    e <= s->epoch || e >= SEQ_EPOCH_MAX) {
			log_error("seq: epoch %" PRIu64 " is used up and no new "
				  "epoch could be had", s->epoch);
			return 0;
		}
		log_info("seq: epoch %" PRIu64 " used up; epoch %" PRIu64
			 " opened", s->epoch, e);
		s->epoch = e;
		s->counter = 0;
	}
	s->counter++;
	s->last = s->epoch << 32 | s->counter;
	return s->last;
}
