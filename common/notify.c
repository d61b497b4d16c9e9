#include "notify.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "banned.h"

/* Written by notify_init() and the main loop's thread (the owner, the
 * first to call notify_loop()); notify_watchdog() from any other thread
 * returns at once, so only the owner touches the rest. */
static struct {
	int inited;
	int enabled;          /* NOTIFY_SOCKET is set */
	long long wd_ms;      /* watchdog interval / 4; 0: no watchdog */
	long long wd_last_ms; /* last WATCHDOG=1; -1 none yet */
	int ready_sent;
	int stopping_sent;
	int warned;
	pthread_t owner;
	atomic_int have_owner;
} st;

void notify_init(void)
{
	uint64_t usec = 0;
	const char *sock = getenv("NOTIFY_SOCKET");

	st.inited = 1;
	st.enabled = sock && *sock;
	st.wd_ms = 0;
	st.wd_last_ms = -1;
	st.ready_sent = st.stopping_sent = st.warned = 0;
	atomic_store(&st.have_owner, 0);
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is
	 * this process (a child does not feed its parent's watchdog). */
	if (st.enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		st.wd_ms = (long long)(usec / 4000);
		if (st.wd_ms < 1)
			st.wd_ms = 1;
	}
}

static void send_state(const char *state)
{
	int rc = sd_notify(0, state);

	if (rc <= 0 && !st.warned) {
		st.warned = 1;
		log_at(LOG_DEBUG, LOGF(LF_S("state", state), LF_I("rc", rc)),
		       "cannot send a notification to systemd");
	}
}

void notify_ready(void)
{
	if (!st.inited)
		notify_init();
	if (!st.enabled || st.ready_sent)
		return;
	st.ready_sent = 1;
	send_state("READY=1");
}

static void feed(void)
{
	long long now;

	if (!st.wd_ms)
		return;
	now = clock_mono_ms();
	if (st.wd_last_ms >= 0 && now - st.wd_last_ms < st.wd_ms)
		return;
	st.wd_last_ms = now;
	send_state("WATCHDOG=1");
}

void notify_loop(int ready)
{
	if (!st.inited)
		notify_init();
	if (!st.enabled)
		return;
	if (!atomic_load(&st.have_owner)) {
		st.owner = pthread_self();
		atomic_store(&st.have_owner, 1);
	}
	if (ready && !st.ready_sent)
		notify_ready();
	feed();
}

void notify_watchdog(void)
{
	if (!atomic_load(&st.have_owner) ||
	    !pthread_equal(st.owner, pthread_self()))
		return;
	if (st.enabled)
		feed();
}

void notify_stopping(void)
{
	if (!st.inited)
		notify_init();
	if (!st.enabled || st.stopping_sent)
		return;
	st.stopping_sent = 1;
	send_state("STOPPING=1");
}
