#include "clock.h"

#include <errno.h>
#include <limits.h>
#include <time.h>

#include "sig.h"

#include "banned.h"

static long long ms_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long clock_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}

long long clock_wall_ms(void)
{
	return ms_of(CLOCK_REALTIME);
}

double clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned long long clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL +
	       (unsigned long long)ts.tv_nsec / 1000ULL;
}

struct timespec clock_wall_after(long long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

long long clock_backoff_ms(int attempt, long long base, long long max)
{
	long long d = base > 0 ? base : 0;

	if (max < 0)
		max = 0;
	for (int i = 1; i < attempt && d < max; i++)
		d = d > LLONG_MAX / 2 ? LLONG_MAX : d * 2;
	return d < max ? d : max;
}

void clock_sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int stopped(const volatile sig_atomic_t *stop)
{
	return sig_stopping() || (stop && *stop);
}

int clock_nap_ms(long long ms, const volatile sig_atomic_t *stop)
{
	while (ms > 0 && !stopped(stop)) {
		long long step = ms > CLOCK_NAP_SLICE_MS ? CLOCK_NAP_SLICE_MS : ms;
		struct timespec ts = { 0, (long)step * 1000000L };

		/* A signal ends the slice early: the loop looks at the flags. */
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return stopped(stop) ? -1 : 0;
}
