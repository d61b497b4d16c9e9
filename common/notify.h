/* Service notifications for systemd (sd_notify(3), Type=notify units):
 * READY=1 when the program is ready (the moment its /ready turns 200),
 * WATCHDOG=1 from its main loop when the unit has WatchdogSec=, and
 * STOPPING=1 when it begins to stop.
 *
 * Every function is a no-op when NOTIFY_SOCKET is unset (not started by
 * systemd), and never fails the caller: a notification that cannot be
 * sent is logged once at debug level. The state is process-wide, as the
 * environment it comes from (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID);
 * call these from one thread, the main loop's (notify_watchdog() may be
 * called from any: it does nothing outside that thread). */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Read the environment (again). The other calls do this on first use;
 * tests call it after changing the environment. */
void notify_init(void);

/* Once a main loop iteration: sends READY=1 the first time ready is
 * non-zero, and WATCHDOG=1 when a quarter of the watchdog interval has
 * passed since the last one (nothing without WATCHDOG_USEC). */
void notify_loop(int ready);

/* WATCHDOG=1 as notify_loop() paces it, from a wait inside the main loop
 * that may last (back-pressure on an output, a node or PostgreSQL being
 * retried): waiting on purpose is not hanging. Nothing before the first
 * notify_loop(), nor from a thread other than the one that called it. */
void notify_watchdog(void);

/* READY=1, once (notify_loop(1) does the same). */
void notify_ready(void);

/* STOPPING=1, once: the program has begun to stop. */
void notify_stopping(void);

#endif
