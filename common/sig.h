/* Clean shutdown: SIGINT and SIGTERM set a flag that loops poll; SIGPIPE
 * is ignored so a closed pipe is an EPIPE write error, not a silent death.
 * The flag is the one piece of process-wide state a signal handler may
 * touch. */
#ifndef SIG_H
#define SIG_H

#include <signal.h>

/* Install the handlers. */
void sig_init(void);
/* Non-zero once SIGINT or SIGTERM has arrived. */
int sig_stopping(void);
/* Which signal asked us to stop (0 if none). */
int sig_which(void);
/* Ask the loops to stop, as a signal would (tests, fatal errors). */
void sig_request_stop(void);
/* A pointer to the flag, for libraries that poll one. */
volatile sig_atomic_t *sig_flag(void);

#endif
