/* The HTTP server behind metrics_serve(): /metrics, /health and /ready on
 * libmicrohttpd, on its own thread. Internal to the metrics module: the
 * programs use metrics.h. */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

struct metrics;
struct metrics_http;

/* Listen on addr and serve m. NULL on error, with a log line. */
struct metrics_http *metrics_http_start(struct metrics *m, const char *addr);
/* Stop the server and free it; NULL does nothing. Sets *h to NULL. */
void metrics_http_stop(struct metrics_http **h);
/* The bound port, or -1 for NULL. */
int metrics_http_port(const struct metrics_http *h);

/* In metrics.c: what /ready answers (the readiness function's verdict,
 * or 1 without one). */
int metrics_ready_now(struct metrics *m);

#endif
