/* Counters, gauges and histograms, served in the Prometheus text format at
 * /metrics, with /health and /ready, by libmicrohttpd on its own thread.
 *
 * A metric is identified by its name and its label set (the text between
 * the braces, e.g. "method=\"eth_getBlockByNumber\",kind=\"timeout\"").
 * metrics_counter() and friends get or create it, so a caller can ask for
 * a labelled metric lazily; the pointer stays valid until metrics_destroy.
 * Updates are lock-free atomics, safe from any thread. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct buf;
struct metrics;
struct metric;

/* prog names the program in blockpipe_build_info. NULL when out of
 * memory. */
struct metrics *metrics_new(const char *prog);
/* Stops the server if running, frees every metric. Sets *m to NULL. */
void metrics_destroy(struct metrics **m);

/* Get or create. labels may be NULL. NULL only when out of memory, and
 * every update function accepts NULL and does nothing. A programming
 * error also gives NULL, with a log line: a name that is not a
 * Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*), or a name already
 * registered as another type. labels is copied as it is (build it with
 * metrics_label(), which quotes and escapes), except that a URL in it keeps only its scheme,
 * host and port (log_redact_url). help is taken from the first call for a
 * name. The
 * registry is guarded by a mutex: look a metric up once and keep the
 * pointer rather than calling this in a hot loop. */
/* Append key="value" to labels, a comma first when labels is not empty,
 * value escaped as the text format wants (backslash, double quote,
 * newline): the one label escaper. 0, or -1 out of memory. */
int metrics_label(struct buf *labels, const char *key, const char *value);

struct metric *metrics_counter(struct metrics *m, const char *name,
			       const char *help, const char *labels);
struct metric *metrics_gauge(struct metrics *m, const char *name,
			     const char *help, const char *labels);
/* bounds: ascending upper bounds of the buckets (+Inf is implied). */
struct metric *metrics_histogram(struct metrics *m, const char *name,
				 const char *help, const char *labels,
				 const double *bounds, size_t nbounds);
/* Buckets for latencies in seconds, 0.5 ms .. 60 s. */
extern const double metrics_latency_bounds[];
extern const size_t metrics_latency_nbounds;

/* Counters and gauges. A counter only goes up: metric_add() of a negative
 * or NaN amount to a counter is ignored. metric_set() works on both (a
 * counter mirrored from elsewhere). On a histogram these do nothing. */
void metric_inc(struct metric *c);
void metric_add(struct metric *c, double v);
void metric_set(struct metric *g, double v);
/* A counter's or gauge's value; a histogram's number of observations;
 * 0 for NULL. */
double metric_value(const struct metric *c);
void metric_observe(struct metric *h, double v);
/* Quantile q in [0,1] estimated from a histogram's buckets (linear
 * within a bucket, as Prometheus' histogram_quantile: the first bucket
 * starts at 0, and a rank in the +Inf bucket answers the largest finite
 * bound); NaN when empty, when q is outside [0,1] or h is not a
 * histogram. */
double metric_quantile(const struct metric *h, double q);

/* The whole registry in Prometheus text format (# HELP, # TYPE, one line
 * per series; histograms with _bucket{le=...}, _sum, _count), appended to
 * out. Returns 0 or -1. Families come in the order they were first
 * registered, the series of one name together in the order created; then
 * blockpipe_build_info{prog=...,version=...} 1 and
 * process_start_time_seconds (the time metrics_new ran, early in main). */
int metrics_render(struct metrics *m, struct buf *out);

/* Readiness: /ready answers 200 when fn returns non-zero, 503 otherwise;
 * without a function, 200. fn runs on the server's thread. */
typedef int (*metrics_ready_fn)(void *arg);
void metrics_set_ready(struct metrics *m, metrics_ready_fn fn, void *arg);

/* What the HTTP server of metrics_serve() holds, so that whoever can reach
 * the port cannot starve /health: at most max_connections at once (capped
 * by the descriptor limit, which is raised towards its hard limit to fit),
 * at most per_ip from one address (0: no such limit; more are closed at
 * once), each closed after idle_timeout_s without traffic. The server
 * waits on epoll, so thousands of idle connections cost no time. */
struct metrics_http_limits {
	unsigned max_connections; /* default 1024 */
	unsigned per_ip;          /* default 0 */
	unsigned idle_timeout_s;  /* default 5 */
};

#define METRICS_HTTP_LIMITS_INIT { 1024, 0, 5 }

/* The limits every later metrics_serve() of the process uses; main sets
 * them once from its flags (cfg_parse does) before any server starts.
 * Zero fields take the defaults. */
void metrics_set_http_limits(const struct metrics_http_limits *l);

/* Serve /metrics, /health (200 "ok" while the process runs) and /ready on
 * addr ("127.0.0.1:9101", ":9101", "[::1]:9101"). Returns 0, or -1 with a
 * log line when the address is invalid or cannot be bound.
 * An empty host means every interface (IPv6 and IPv4 when the host has
 * IPv6), a name ("localhost:9101") binds its first address, port 0 an
 * ephemeral port (see metrics_port). Other paths answer 404, methods
 * other than GET and HEAD 405. Call it once. Connections refused at the
 * limits count in metrics_http_refused_total and are logged at most once
 * every 10 s. */
int metrics_serve(struct metrics *m, const char *addr);
/* The port metrics_serve() bound (the real one when addr asked for port
 * 0), or -1 when not serving. */
int metrics_port(const struct metrics *m);

#endif
