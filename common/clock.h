/* Time: one monotonic clock for timers and waits, one wall clock for
 * timestamps that leave the process (emitted_at, fetched_at, log times).
 * A timer on the wall clock moves when the clock is stepped; one on
 * clock_mono_ms() does not. And the one way to sleep. */
#ifndef CLOCK_H
#define CLOCK_H

#include <signal.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin). */
long long clock_mono_ms(void);

/* Unix time in milliseconds (CLOCK_REALTIME). */
long long clock_wall_ms(void);

/* Seconds on CLOCK_MONOTONIC to the nanosecond, for durations measured
 * in seconds (histograms, CPU-time counters). */
double clock_mono_s(void);

/* Unix time in microseconds (CLOCK_REALTIME): the verifier's clock seq. */
unsigned long long clock_wall_us(void);

/* The wall-clock instant ms milliseconds from now, for
 * pthread_cond_timedwait() (whose condition variables, by default, wait
 * on CLOCK_REALTIME). */
struct timespec clock_wall_after(long long ms);

/* Exponential back-off: min(max, base * 2^(attempt - 1)), attempt 1 the
 * first retry (attempt < 1 counts as 1; base or max below 0 as 0). The
 * one doubling rule; rpc_backoff_ms() adds jitter over it. */
long long clock_backoff_ms(int attempt, long long base, long long max);

/* Sleep ms milliseconds whatever signals arrive (nothing when ms <= 0). */
void clock_sleep_ms(long long ms);

/* Sleep up to ms milliseconds in slices of at most CLOCK_NAP_SLICE_MS,
 * returning early once SIGTERM/SIGINT arrived (sig_stopping()) or *stop
 * (may be NULL) is non-zero. 0 after the whole nap, -1 when stopped. */
#define CLOCK_NAP_SLICE_MS 50
int clock_nap_ms(long long ms, const volatile sig_atomic_t *stop);

#endif
