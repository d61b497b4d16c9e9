#include "sig.h"

#include <string.h>

#include "banned.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int signo)
{
	stop_signal = signo;
}

void sig_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

int sig_stopping(void)
{
	return stop_signal != 0;
}

int sig_which(void)
{
	return stop_signal;
}

void sig_request_stop(void)
{
	stop_signal = SIGTERM;
}

volatile sig_atomic_t *sig_flag(void)
{
	return &stop_signal;
}
