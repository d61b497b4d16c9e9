/* What the suites of the message transports (check_msg_zmq.c,
 * check_msg_pipe.c) share: a monotonic clock in milliseconds, a thread
 * that raises a stop flag after a delay, and a counter's value. */
#ifndef MSG_HELPERS_H
#define MSG_HELPERS_H

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "metrics.h"

static inline long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Set *flag after a delay, from another thread. */
struct later {
	volatile sig_atomic_t *flag;
	int ms;
	pthread_t t;
};

static inline void *later_run(void *arg)
{
	struct later *l = arg;

	sleep_ms(l->ms);
	*l->flag = 1;
	return NULL;
}

static inline void later_start(struct later *l, volatile sig_atomic_t *flag,
			       int ms)
{
	l->flag = flag;
	l->ms = ms;
	ck_assert_int_eq(pthread_create(&l->t, NULL, later_run, l), 0);
}

static inline void later_join(struct later *l)
{
	pthread_join(l->t, NULL);
}

static inline double counter(struct metrics *m, const char *name,
			     const char *labels)
{
	return metric_value(metrics_counter(m, name, NULL, labels));
}

#endif
