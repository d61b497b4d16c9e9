#include "rpc_retry.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "clock.h"

#include "banned.h"

/* A Retry-After or a back-off is cut to this many times the back-off
 * cap: a node asking for an hour is asked again sooner. */
#define RPC_RETRY_MAX_FACTOR 6
/* Delta-seconds of more than this many digits read as a day. */
#define RPC_RETRY_AFTER_MAX_DIGITS 9
#define RPC_RETRY_AFTER_DAY_MS (86400LL * 1000)

/* xorshift64*: jitter only, no need for more. */
static double next_random(uint64_t *rng)
{
	uint64_t x = *rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	x *= 2685821657736338717ULL;
	return (double)(x >> 11) / 9007199254740992.0; /* 53 bits / 2^53 */
}

long long rpc_backoff_ms(int attempt, long long base, long long max,
			 double r)
{
	long long cap = clock_backoff_ms(attempt, base, max);

	if (!(r >= 0.0))
		r = 0.0;
	if (r >= 1.0)
		r = 0.999999;
	return (long long)(r * (double)cap);
}

long long rpc_retry_after_ms(const char *value, long long now_epoch_s)
{
	char tmp[128]; /* longer than any HTTP date */
	size_t len;
	time_t t;

	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	len = strlen(value);
	while (len && isspace((unsigned char)value[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, value, len);
	tmp[len] = '\0';
	if (strspn(tmp, "0123456789") == len) {
		long long s = 0;

		/* A day is plenty; anything longer is capped by the caller. */
		if (len > RPC_RETRY_AFTER_MAX_DIGITS)
			return RPC_RETRY_AFTER_DAY_MS;
		for (size_t i = 0; i < len; i++)
			s = s * 10 + (tmp[i] - '0');
		return s * 1000;
	}
	/* An HTTP date names its day or month: bare garbage that
	 * curl_getdate() would still read as a time is refused. */
	if (!isalpha((unsigned char)tmp[0]))
		return -1;
	t = curl_getdate(tmp, NULL);
	if (t == (time_t)-1)
		return -1;
	if ((long long)t <= now_epoch_s)
		return 0;
	return ((long long)t - now_epoch_s) * 1000;
}

long long rpc_retry_delay_ms(int attempt, long status, const char *retry_after,
			     long long base_ms, long long max_ms, uint64_t *rng)
{
	long long delay = -1, ra;

	if ((status == 429 || status == 503) && retry_after[0]) {
		ra = rpc_retry_after_ms(retry_after, (long long)time(NULL));
		if (ra >= 0)
			delay = ra;
	}
	if (delay < 0)
		delay = rpc_backoff_ms(attempt, base_ms, max_ms,
				       next_random(rng));
	if (delay > max_ms * RPC_RETRY_MAX_FACTOR)
		delay = max_ms * RPC_RETRY_MAX_FACTOR;
	return delay;
}
