/* The HTTP server of the metrics module on libmicrohttpd.
 *
 * Whoever can reach the port must not be able to make /health fail (a
 * liveness probe restarting the pipeline): the daemon waits on epoll, so
 * thousands of idle sockets cost nothing per event; it holds at most
 * --metrics-max-connections, each closed after --metrics-idle-timeout
 * without traffic; and near that limit the connection that has gone
 * longest without a request (an idle one, a slowloris sending a header
 * byte now and then) is shut down to make room, so the listening socket
 * keeps accepting and a probe, which asks at once, is served. An
 * optional --metrics-per-ip limit closes at once the connections from an
 * address beyond it. */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "banned.h"

/* One connection, from accept to close. */
struct hconn {
	struct hconn *prev, *next;
	int fd;
	int listed;  /* in the idle list */
};

struct metrics_http {
	struct metrics *m;
	struct MHD_Daemon *daemon;
	int port;
	pthread_mutex_t lock;   /* starting, start_err, the warning pace */
	int starting;           /* MHD log lines go to start_err */
	char start_err[256];
	long long last_warn_ms; /* server complaints: one line per 10 s */
	unsigned long suppressed;
	struct metric *refused, *evicted;
	/* The server thread's own: connections open, and those without a
	 * request under way, oldest first (the ones to evict). */
	unsigned nconn, evict_at;
	struct hconn *idle_head, *idle_tail;
};

/* Set once by main before any server starts (metrics_set_http_limits). */
static struct metrics_http_limits http_limits = METRICS_HTTP_LIMITS_INIT;

void metrics_set_http_limits(const struct metrics_http_limits *l)
{
	const struct metrics_http_limits def = METRICS_HTTP_LIMITS_INIT;

	http_limits.max_connections = l->max_connections ? l->max_connections
							 : def.max_connections;
	http_limits.per_ip = l->per_ip;
	http_limits.idle_timeout_s = l->idle_timeout_s ? l->idle_timeout_s
						       : def.idle_timeout_s;
}

/* ---- eviction ---- */

static void idle_unlink(struct metrics_http *s, struct hconn *h)
{
	if (!h->listed)
		return;
	if (h->prev)
		h->prev->next = h->next;
	else
		s->idle_head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		s->idle_tail = h->prev;
	h->prev = h->next = NULL;
	h->listed = 0;
}

static void idle_append(struct metrics_http *s, struct hconn *h)
{
	if (h->listed)
		return;
	h->prev = s->idle_tail;
	h->next = NULL;
	if (s->idle_tail)
		s->idle_tail->next = h;
	else
		s->idle_head = h;
	s->idle_tail = h;
	h->listed = 1;
}

static struct hconn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
			MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* Runs on the server's thread, as every callback of the daemon: no lock
 * for the lists. */
static void on_connection(void *cls, struct MHD_Connection *conn,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct metrics_http *s = cls;
	struct hconn *h = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (h) {
			idle_unlink(s, h);
			free(h);
			*socket_context = NULL;
			s->nconn--;
		}
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return; /* not tracked: never evicted */
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	h->fd = ci ? ci->connect_fd : -1;
	*socket_context = h;
	s->nconn++;
	idle_append(s, h);
	if (s->nconn >= s->evict_at && s->idle_head != h) {
		struct hconn *old = s->idle_head;

		idle_unlink(s, old);
		/* The daemon sees the end of the stream and closes it. */
		if (old->fd >= 0)
			shutdown(old->fd, SHUT_RDWR);
		metric_inc(s->evicted);
	}
}

/* A request is over: the connection may idle again (keep-alive). */
static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct hconn *h = conn_of(conn);

	(void)req_cls;
	(void)toe;
	if (h)
		idle_append(cls, h);
}

/* ---- requests ---- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *ctype, void *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *res;
	enum MHD_Result rc;

	res = MHD_create_response_from_buffer(len, body, mode);
	if (!res) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, res);
	MHD_destroy_response(res);
	return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *text)
{
	return reply(conn, status, "text/plain", (void *)text, strlen(text),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_metrics(struct metrics *m,
				     struct MHD_Connection *conn)
{
	struct buf out = BUF_INIT;
	char *body;
	size_t len;

	if (metrics_render(m, &out) < 0) {
		buf_release(&out);
		log_error("cannot render metrics");
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "cannot render metrics\n");
	}
	body = buf_detach(&out, &len);
	if (!body)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct metrics_http *s = cls;
	int known;

	(void)version;
	(void)upload_data;
	/* The first call only announces the headers; answer on the next,
	 * once any request body has been read (and ignored). */
	if (!*req_cls) {
		struct hconn *h = conn_of(conn);

		if (h) /* a request: no longer one to evict */
			idle_unlink(s, h);
		*req_cls = conn;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	known = !strcmp(url, "/metrics") || !strcmp(url, "/health") ||
		!strcmp(url, "/ready");
	if (!known)
		return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(s->m, conn);
	if (!strcmp(url, "/health"))
		return reply_text(conn, MHD_HTTP_OK, "ok\n");
	if (metrics_ready_now(s->m))
		return reply_text(conn, MHD_HTTP_OK, "ready\n");
	return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
}

/* libmicrohttpd's complaints: while starting they are the reason the
 * start failed, so keep the last one for our own error line. Later, a
 * flood of refused connections would be a flood of lines: count them,
 * and log at most one line every 10 s. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *s = cls;
	char line[256];
	size_t n;
	int quiet = 1;
	unsigned long more = 0;
	long long now;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = '\0';
	/* Our messages start in lowercase. */
	if (line[0] >= 'A' && line[0] <= 'Z' && line[1] >= 'a' && line[1] <= 'z')
		line[0] = (char)(line[0] - 'A' + 'a');
	if (strstr(line, "connection limit"))
		metric_inc(s->refused);
	now = clock_mono_ms();
	pthread_mutex_lock(&s->lock);
	if (s->starting) {
		snprintf(s->start_err, sizeof(s->start_err), "%s", line);
	} else if (s->last_warn_ms && now - s->last_warn_ms < 10000) {
		s->suppressed++;
	} else {
		s->last_warn_ms = now;
		more = s->suppressed;
		s->suppressed = 0;
		quiet = 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (!quiet)
		log_at(LOG_WARN, LOGF(LF_U("suppressed", more)),
		       "metrics http server: %s", line);
}

/* ---- listening ---- */

struct listen_addr {
	struct sockaddr_storage ss;
	uint16_t port;          /* host order, for messages */
	int v6;
	int dual;               /* every interface, IPv6 and IPv4 */
};

static int have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* addr in common/addr's grammar, resolved. On error returns -1 with the
 * reason in why. */
static int parse_listen_addr(const char *addr, struct listen_addr *la,
			     char *why, size_t whylen)
{
	struct addr_hostport hp;
	struct addrinfo hints, *ai = NULL;
	in_port_t port;
	int rc;

	memset(la, 0, sizeof(*la));
	if (addr_parse(addr, &hp, why, whylen) < 0)
		return -1;
	la->port = hp.port;
	port = htons(hp.port);
	if (hp.any) {
		if (have_ipv6()) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&la->ss;

			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = port;
			la->v6 = la->dual = 1;
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&la->ss;

			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = port;
		}
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = hp.ipv6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = hp.ipv6 ? AI_NUMERICHOST : 0;
	rc = getaddrinfo(hp.host, NULL, &hints, &ai);
	if ((rc != 0 || !ai) && hp.ipv6) {
		snprintf(why, whylen, "'%s' is not an IPv6 address", hp.host);
		return -1;
	}
	if (rc != 0 || !ai) {
		snprintf(why, whylen, "cannot resolve '%s': %s", hp.host,
			 rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	if (ai->ai_addrlen > sizeof(la->ss)) {
		freeaddrinfo(ai);
		snprintf(why, whylen, "address too long");
		return -1;
	}
	memcpy(&la->ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (la->ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&la->ss)->sin6_port = port;
		la->v6 = 1;
	} else if (la->ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&la->ss)->sin_port = port;
	} else {
		snprintf(why, whylen, "not an IP address");
		return -1;
	}
	return 0;
}

static int bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
	if (!di || getsockname(di->listen_fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Connections the descriptor limit leaves room for, raising the soft
 * limit towards the hard one when want needs it. The rest of the
 * process (node connections, ZeroMQ, PostgreSQL) keeps a reserve. */
static unsigned fit_fd_limit(unsigned want)
{
	const rlim_t reserve = 256;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want + reserve) {
		rlim_t cur = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
			      rl.rlim_max > want + reserve ? want + reserve
							   : rl.rlim_max;
		if (rl.rlim_cur > cur && setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = cur;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want + reserve)
		return want;
	return rl.rlim_cur > reserve + 16 ? (unsigned)(rl.rlim_cur - reserve)
					  : 16;
}

static struct MHD_Daemon *start_daemon(struct metrics_http *s,
				       const struct listen_addr *la,
				       unsigned max)
{
	const struct metrics_http_limits lim = http_limits;
	/* epoll: one thread that thousands of idle connections do not slow
	 * down (poll(2) walks them all at every event). */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	if (la->dual)
		flags |= MHD_USE_DUAL_STACK;
	else if (la->v6)
		flags |= MHD_USE_IPv6;
	/* Room for the connections accepted in one turn of the server's
	 * loop before the evicted ones are closed. */
	s->evict_at = max > 64 ? max - max / 16 : max > 8 ? max - 4 : max;
	/* The port argument only shows in libmicrohttpd's messages: the
	 * address is in MHD_OPTION_SOCK_ADDR. */
	return MHD_start_daemon(flags, la->port, NULL, NULL, on_request, s,
			MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
			MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&la->ss,
			MHD_OPTION_CONNECTION_LIMIT, max,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, lim.per_ip,
			MHD_OPTION_CONNECTION_TIMEOUT, lim.idle_timeout_s,
			/* GET and a few headers: no more per connection */
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
			MHD_OPTION_END);
}

struct metrics_http *metrics_http_start(struct metrics *m, const char *addr)
{
	struct metrics_http *s;
	struct listen_addr la;
	char why[300];
	unsigned max;
	int err;

	if (parse_listen_addr(addr, &la, why, sizeof(why)) < 0) {
		log_error("cannot listen on '%s': %s", addr, why);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		log_error("cannot listen on '%s': out of memory", addr);
		return NULL;
	}
	s->m = m;
	s->refused = metrics_counter(m, "metrics_http_refused_total",
			"connections to /metrics, /health, /ready refused at "
			"--metrics-per-ip", NULL);
	s->evicted = metrics_counter(m, "metrics_http_evicted_total",
			"connections closed near --metrics-max-connections for "
			"having gone longest without a request", NULL);
	max = fit_fd_limit(http_limits.max_connections);
	if (max < http_limits.max_connections)
		log_warn("metrics http server: at most %u connections, not %u: "
			 "the descriptor limit (ulimit -n) is too low", max,
			 http_limits.max_connections);
	s->starting = 1;
	errno = 0;
	s->daemon = start_daemon(s, &la, max);
	err = errno;
	pthread_mutex_lock(&s->lock);
	s->starting = 0;
	if (!s->daemon && !s->start_err[0])
		snprintf(s->start_err, sizeof(s->start_err), "%s",
			 err ? strerror(err) : "cannot start the server");
	snprintf(why, sizeof(why), "%s", s->start_err);
	pthread_mutex_unlock(&s->lock);
	if (!s->daemon) {
		log_error("cannot listen on '%s': %s", addr, why);
		metrics_http_stop(&s);
		return NULL;
	}
	if (why[0])
		log_warn("metrics http server: %s", why);
	s->port = bound_port(s->daemon);
	log_at(LOG_INFO, LOGF(LF_U("max_connections", max),
			      LF_U("per_ip", http_limits.per_ip),
			      LF_U("idle_timeout_s", http_limits.idle_timeout_s)),
	       "serving metrics on '%s' (port %d)", addr, s->port);
	return s;
}

void metrics_http_stop(struct metrics_http **sp)
{
	struct metrics_http *s = *sp;

	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon); /* closes and frees every hconn */
	pthread_mutex_destroy(&s->lock);
	free(s);
	*sp = NULL;
}

int metrics_http_port(const struct metrics_http *s)
{
	return s ? s->port : -1;
}
