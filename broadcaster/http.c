/* The broadcaster's HTTP answers (http.h). */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "events.h"
#include "metrics.h"
#include "banned.h"

int http_ready(struct bc_server *srv)
{
	return srv->input_seen && !srv->input_failed && !srv->stopping;
}

static int http_answer(struct client *c, struct lws *wsi, unsigned int status,
		       const char *ctype, const char *body, size_t len)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start;
	unsigned char *end = hdr + sizeof(hdr) - 1;

	c->http_body = malloc(EV_PRE + len + 1);
	if (!c->http_body)
		return -1;
	c->http_body += EV_PRE;
	memcpy(c->http_body, body, len);
	c->http_len = len;
	c->http_off = 0;
	if (lws_add_http_common_headers(wsi, status, ctype,
					(lws_filepos_t)len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (const unsigned char *)"no-store", 8,
					 &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

int http_request(struct bc_server *srv, struct client *c, struct lws *wsi,
		 const char *path)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0) {
		static const char m[] = "method not allowed\n";

		return http_answer(c, wsi, 405, "text/plain", m, sizeof(m) - 1);
	}
	if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
		return http_answer(c, wsi, 200, "text/html; charset=utf-8",
				   bc_page_html, bc_page_html_len);
	if (!strcmp(path, "/live.js"))
		return http_answer(c, wsi, 200, "text/javascript; charset=utf-8",
				   bc_page_js, bc_page_js_len);
	if (!strcmp(path, "/live.css"))
		return http_answer(c, wsi, 200, "text/css; charset=utf-8",
				   bc_page_css, bc_page_css_len);
	if (!strcmp(path, "/health"))
		return http_answer(c, wsi, 200, "text/plain", "ok\n", 3);
	if (!strcmp(path, "/ready")) {
		if (http_ready(srv))
			return http_answer(c, wsi, 200, "text/plain", "ready\n", 6);
		return http_answer(c, wsi, 503, "text/plain", "not ready\n", 10);
	}
	if (!strcmp(path, "/v1/status")) {
		struct buf b = BUF_INIT;
		int rc = -1;

		if (bc_status_answer(srv, &b) == 0)
			rc = http_answer(c, wsi, 200, "application/json",
					 b.data, b.len);
		buf_release(&b);
		return rc;
	}
	if (!strcmp(path, "/metrics")) {
		struct buf b = BUF_INIT;
		int rc;

		if (metrics_render(srv->metrics, &b) < 0) {
			buf_release(&b);
			return -1;
		}
		rc = http_answer(c, wsi, 200, "text/plain; version=0.0.4",
				 b.data ? b.data : "", b.len);
		buf_release(&b);
		return rc;
	}
	return http_answer(c, wsi, 404, "text/plain", "not found\n", 10);
}

int http_writable(struct client *c, struct lws *wsi)
{
	unsigned char chunk[LWS_PRE + 16384];
	size_t n = c->http_len - c->http_off;
	int final;

	if (!c->http_body)
		return 0;
	if (n > sizeof(chunk) - LWS_PRE)
		n = sizeof(chunk) - LWS_PRE;
	final = c->http_off + n == c->http_len;
	memcpy(chunk + LWS_PRE, c->http_body + c->http_off, n);
	if (lws_write(wsi, chunk + LWS_PRE, n,
		      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;
	c->http_off += n;
	if (!final) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(c->http_body - EV_PRE);
	c->http_body = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}
