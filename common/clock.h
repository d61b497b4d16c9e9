/* Time: one monotonic clock for timers and waits, one wall clock for
 * timestamps that leave the process (emitted_at, log times). A timer on
 * the wall clock moves when the clock is stepped; one on clock_mono_ms()
 * does not. */
#ifndef CLOCK_H
#define CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin). */
long long clock_mono_ms(void);

/* Unix time in milliseconds (CLOCK_REALTIME). */
long long clock_wall_ms(void);

#endif
