/* kill_on_reorg.so: an LD_PRELOAD shim for the tests that kills the
 * process (SIGKILL, raised on itself) at a chosen point around the send
 * of its first `reorg` message, with no flag in the program:
 *
 *   KILL_ON_REORG=before  as the message is about to go out (a ZeroMQ
 *                         frame or a write(2)/writev(2) of a line that
 *                         holds "type":"reorg"), before a byte of it has;
 *   KILL_ON_REORG=after   once it went to every socket (the PUB topic
 *                         `reorg` and its message sent), at the next
 *                         send(2) of that thread (the verifier's next
 *                         database query), after a second for ZeroMQ's
 *                         I/O thread to pass it on.
 *
 * A line "kill_on_reorg: SIGKILL ..." on stderr says it fired. Any other
 * value, or none, leaves the process alone. */
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define REORG_TYPE "\"type\":\"reorg\""
#define FLUSH_WAIT_US 1000000

static __thread int armed;     /* after: the reorg went out on this thread */
static __thread int pub_topic; /* the PUB topic frame `reorg` was sent */

static int mode_is(const char *m)
{
	const char *v = getenv("KILL_ON_REORG");

	return v && !strcmp(v, m);
}

static int holds_reorg(const void *p, size_t n)
{
	return p && memmem(p, n, REORG_TYPE, sizeof(REORG_TYPE) - 1) != NULL;
}

static void die(const char *when)
{
	static const char pre[] = "kill_on_reorg: SIGKILL ";
	ssize_t (*real_write)(int, const void *, size_t) =
		(ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");

	if (real_write) {
		(void)!real_write(2, pre, sizeof(pre) - 1);
		(void)!real_write(2, when, strlen(when));
		(void)!real_write(2, "\n", 1);
	}
	raise(SIGKILL);
}

static void before_bytes(const void *p, size_t n)
{
	if (mode_is("before") && holds_reorg(p, n))
		die("before the reorg message was sent");
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) =
		(ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");

	if (fd != 2)
		before_bytes(buf, n);
	return real(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t (*real)(int, const struct iovec *, int) =
		(ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT,
								  "writev");

	for (int i = 0; fd != 2 && i < cnt; i++)
		before_bytes(iov[i].iov_base, iov[i].iov_len);
	return real(fd, iov, cnt);
}

int zmq_send(void *sock, const void *buf, size_t len, int flags);
int zmq_send(void *sock, const void *buf, size_t len, int flags)
{
	int (*real)(void *, const void *, size_t, int) =
		(int (*)(void *, const void *, size_t, int))dlsym(RTLD_NEXT,
								 "zmq_send");
	int rc;

	before_bytes(buf, len);
	rc = real(sock, buf, len, flags);
	if (rc >= 0 && len == 5 && !memcmp(buf, "reorg", 5))
		pub_topic = 1;
	else if (rc >= 0 && pub_topic && holds_reorg(buf, len))
		armed = mode_is("after");
	else
		pub_topic = 0;
	return rc;
}

ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	ssize_t (*real)(int, const void *, size_t, int) =
		(ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT,
								  "send");

	if (armed) {
		usleep(FLUSH_WAIT_US);
		die("after the reorg message was sent, before the next query");
	}
	return real(fd, buf, n, flags);
}
