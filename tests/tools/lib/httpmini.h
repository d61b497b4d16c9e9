/* httpmini: the HTTP plumbing the test tools' servers share, on
 * libmicrohttpd: a request's body gathered into a capped buffer before
 * the tool's handler sees it, answers from memory, a daemon listening on
 * 127.0.0.1 only. The struct httpmini must outlive the daemon. */
#ifndef HTTPMINI_H
#define HTTPMINI_H

#include <microhttpd.h>
#include <stddef.h>

#include "buf.h"

struct httpmini {
	/* Called once a request's whole body is in (empty for a GET). The
	 * body belongs to httpmini, freed when the request completes; the
	 * handler may change it. */
	enum MHD_Result (*handle)(void *arg, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  struct buf *body);
	void *arg;
	size_t max_body; /* a larger body ends the connection */
};

/* How the daemon runs: MHD flags beside MHD_USE_INTERNAL_POLLING_THREAD
 * (MHD_USE_THREAD_PER_CONNECTION, MHD_USE_EPOLL), a thread pool of
 * threads (0: none), at most conn_limit connections (0: MHD's default). */
struct httpmini_opts {
	unsigned flags;
	unsigned threads;
	unsigned conn_limit;
};

/* Listen on 127.0.0.1:port (0: a free port, httpmini_port tells which).
 * Returns the daemon (MHD_stop_daemon it), or NULL when it cannot. */
struct MHD_Daemon *httpmini_start(struct httpmini *h, unsigned port,
				  const struct httpmini_opts *o);

/* The port the daemon listens on, or 0 when MHD cannot say. */
unsigned httpmini_port(struct MHD_Daemon *d);

/* Answer status with len bytes of body (copied) as Content-Type type,
 * and a Retry-After header unless retry_after is NULL. */
enum MHD_Result httpmini_reply(struct MHD_Connection *conn, unsigned status,
			       const char *type, const char *body, size_t len,
			       const char *retry_after);

/* The same with the body taken from b (emptied, whatever happens). */
enum MHD_Result httpmini_reply_buf(struct MHD_Connection *conn,
				   unsigned status, const char *type,
				   struct buf *b);

#endif
