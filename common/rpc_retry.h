/* When an RPC request is sent again after a transport failure: capped
 * exponential back-off with full jitter (common/clock.h's doubling
 * rule), or the node's own Retry-After on 429 and 503. Pure functions
 * but for the jitter state the caller keeps. */
#ifndef RPC_RETRY_H
#define RPC_RETRY_H

#include <stdint.h>

/* The next delay before retry `attempt` (1 = the first retry): full
 * jitter over min(max, base * 2^(attempt-1)), using r in [0,1). Pure, for
 * tests. */
long long rpc_backoff_ms(int attempt, long long base, long long max,
			 double r);

/* Parse a Retry-After header value (delta-seconds or an HTTP date) into
 * milliseconds from now_epoch_s; -1 when it cannot be parsed. */
long long rpc_retry_after_ms(const char *value, long long now_epoch_s);

/* The delay before retry `attempt` of a request whose last answer had
 * HTTP status (0 when there was none) and Retry-After header
 * retry_after ("" when none): the header's on 429 and 503 when it
 * parses, else rpc_backoff_ms() over base_ms and max_ms with the jitter
 * drawn from *rng (xorshift64*; never 0); at most 6 * max_ms either way. */
long long rpc_retry_delay_ms(int attempt, long status, const char *retry_after,
			     long long base_ms, long long max_ms, uint64_t *rng);

#endif
