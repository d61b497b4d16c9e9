/* The broadcaster's HTTP answers, on the same port as its WebSocket
 * endpoints: the dashboard (/, /live.js, /live.css), /health, /ready,
 * /v1/status and /metrics; anything else 404, a method other than GET
 * 405. An answer is written from memory, in chunks, on the connection's
 * writable callbacks. */
#ifndef BC_HTTP_H
#define BC_HTTP_H

#include "server.h"

/* Ready: the input has delivered and has not failed, and the server is
 * not stopping (/ready 200, and READY=1 under systemd). */
int http_ready(struct bc_server *srv);

/* Start the answer to a request for path on wsi (c holds it until
 * written). 0, or -1 when it cannot be answered (close the connection). */
int http_request(struct bc_server *srv, struct client *c, struct lws *wsi,
		 const char *path);

/* Write the next chunk of c's answer; the transaction ends after the
 * last. 0, or -1 to close. */
int http_writable(struct client *c, struct lws *wsi);

#endif
