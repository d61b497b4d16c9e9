#include "rpc_breaker.h"

#include "log.h"
#include "metrics.h"

#include "banned.h"

/* The cool-down doubles per failed probe up to this many times the
 * first. */
#define RPC_BREAKER_MAX_COOLDOWN_FACTOR 10

void rpc_breaker_init(struct rpc_breaker *b, int threshold,
		      long long cooldown_ms)
{
	*b = (struct rpc_breaker){
		.state = RPC_BREAKER_CLOSED,
		.threshold = threshold,
		.base_cooldown_ms = cooldown_ms,
		.cooldown_ms = cooldown_ms,
	};
}

void rpc_breaker_success(struct rpc_breaker *b, const char *node)
{
	b->failures = 0;
	if (b->state == RPC_BREAKER_CLOSED)
		return;
	b->state = RPC_BREAKER_CLOSED;
	b->cooldown_ms = b->base_cooldown_ms;
	metric_set(b->up, 1);
	log_at(LOG_INFO, LOGF(LF_S("node", node)),
	       "node answers again, circuit closed");
}

void rpc_breaker_failure(struct rpc_breaker *b, const char *node, int probe,
			 long long now)
{
	long long max_cool = b->base_cooldown_ms *
			     RPC_BREAKER_MAX_COOLDOWN_FACTOR;

	b->failures++;
	if (b->state == RPC_BREAKER_HALF_OPEN && probe) {
		b->cooldown_ms = b->cooldown_ms * 2 > max_cool ?
					 max_cool : b->cooldown_ms * 2;
		b->state = RPC_BREAKER_OPEN;
		b->open_until = now + b->cooldown_ms;
		log_at(LOG_WARN, LOGF(LF_S("node", node),
				      LF_I("cooldown_ms", b->cooldown_ms)),
		       "node still failing, circuit open again");
	} else if (b->state == RPC_BREAKER_CLOSED &&
		   b->failures >= b->threshold) {
		b->state = RPC_BREAKER_OPEN;
		b->open_until = now + b->cooldown_ms;
		metric_set(b->up, 0);
		log_at(LOG_WARN, LOGF(LF_S("node", node),
				      LF_I("failures", b->failures),
				      LF_I("cooldown_ms", b->cooldown_ms)),
		       "node keeps failing, circuit open");
	}
}

int rpc_breaker_usable(struct rpc_breaker *b, long long now, int *probe)
{
	*probe = 0;
	if (b->state == RPC_BREAKER_CLOSED)
		return 1;
	if (b->state == RPC_BREAKER_OPEN && now >= b->open_until) {
		b->state = RPC_BREAKER_HALF_OPEN;
		*probe = 1;
		return 1;
	}
	return 0;
}

void rpc_breaker_probe_dropped(struct rpc_breaker *b)
{
	b->state = RPC_BREAKER_OPEN;
}
