/* httpmini: the test tools' HTTP plumbing (httpmini.h). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "httpmini.h"

#include "banned.h"

/* MHD calls this first with no data (make the body's buffer), then with
 * each piece of the body, then with none once it is all in. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct httpmini *h = cls;
	struct buf *in = *con_cls;

	(void)version;
	if (!in) {
		in = calloc(1, sizeof(*in));
		if (!in)
			return MHD_NO;
		buf_init(in, h->max_body);
		*con_cls = in;
		return MHD_YES;
	}
	if (*data_size) {
		if (buf_add(in, data, *data_size) < 0)
			return MHD_NO;
		*data_size = 0;
		return MHD_YES;
	}
	return h->handle(h->arg, conn, url, method, in);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct buf *in = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (in) {
		buf_release(in);
		free(in);
		*con_cls = NULL;
	}
}

/* A connection quiet this long is closed (seconds). */
#define HTTPMINI_CONN_TIMEOUT 120U

struct MHD_Daemon *httpmini_start(struct httpmini *h, unsigned port,
				  const struct httpmini_opts *o)
{
	struct sockaddr_in sa;
	struct MHD_OptionItem opts[4];
	size_t n = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (o->threads)
		opts[n++] = (struct MHD_OptionItem){
			MHD_OPTION_THREAD_POOL_SIZE, o->threads, NULL };
	if (o->conn_limit)
		opts[n++] = (struct MHD_OptionItem){
			MHD_OPTION_CONNECTION_LIMIT, o->conn_limit, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
					     HTTPMINI_CONN_TIMEOUT, NULL };
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | o->flags, 0,
				NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

unsigned httpmini_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return info ? info->port : 0;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     struct MHD_Response *r, const char *type,
			     const char *retry_after)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result httpmini_reply(struct MHD_Connection *conn, unsigned status,
			       const char *type, const char *body, size_t len,
			       const char *retry_after)
{
	return queue(conn, status,
		     MHD_create_response_from_buffer(len, (void *)body,
						     MHD_RESPMEM_MUST_COPY),
		     type, retry_after);
}

enum MHD_Result httpmini_reply_buf(struct MHD_Connection *conn,
				   unsigned status, const char *type,
				   struct buf *b)
{
	struct MHD_Response *r;
	size_t len;
	char *data = buf_detach(b, &len);

	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r)
		free(data);
	return queue(conn, status, r, type, NULL);
}
