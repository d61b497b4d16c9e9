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

struct metrics *metrics_new(const char *prog);
/* Stops the server if running, frees every metric. Sets *m to NULL. */
void metrics_destroy(struct metrics **m);

/* Get or create. labels may be NULL. NULL only when out of memory, and
 * every update function accepts NULL and does nothing. */
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

void metric_inc(struct metric *c);
void metric_add(struct metric *c, double v);
void metric_set(struct metric *g, double v);
double metric_value(const struct metric *c);
void metric_observe(struct metric *h, double v);
/* Quantile q in [0,1] estimated from a histogram's buckets (linear
 * within a bucket); NaN when empty. */
double metric_quantile(const struct metric *h, double q);

/* The whole registry in Prometheus text format (# HELP, # TYPE, one line
 * per series; histograms with _bucket{le=...}, _sum, _count), appended to
 * out. Returns 0 or -1. */
int metrics_render(struct metrics *m, struct buf *out);

/* Readiness: /ready answers 200 when fn returns non-zero, 503 otherwise.
 * fn runs on the server's thread. */
typedef int (*metrics_ready_fn)(void *arg);
void metrics_set_ready(struct metrics *m, metrics_ready_fn fn, void *arg);

/* Serve /metrics, /health (200 "ok" while the process runs) and /ready on
 * addr ("127.0.0.1:9101", ":9101", "[::1]:9101"). Returns 0, or -1 with a
 * log line when the address is invalid or cannot be bound. */
int metrics_serve(struct metrics *m, const char *addr);

#endif
