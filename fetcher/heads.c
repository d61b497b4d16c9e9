#include "heads.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "hex.h"
#include "json.h"
#include "log.h"
#include "banned.h"

#define HEADS_MAX_MSG (1u << 20)

struct heads {
	pthread_t thread;
	struct lws_context *ctx;
	char url[512];
	char red[512];      /* redacted, for logs */
	char addr_buf[512]; /* lws_parse_uri cuts this one up */
	const char *address, *path0;
	char path[512];
	int port, tls;
	struct lws *wsi;
	lws_sorted_usec_list_t sul;
	int reconnects; /* since the last subscription */
	int subscribed;
	struct buf rx;
	atomic_int stop;
	_Atomic uint64_t latest;
	atomic_int fresh;
	_Atomic uint64_t count;
	int efd;            /* readable when a head arrived */
	pthread_mutex_t lock; /* guards the last announcement */
	uint64_t last_number;
	char last_hash[HASH_HEX_SIZE];
};

static void connect_now(lws_sorted_usec_list_t *sul);

static void schedule_reconnect(struct heads *h)
{
	h->wsi = NULL;
	h->subscribed = 0;
	if (atomic_load(&h->stop))
		return;
	lws_sul_schedule(h->ctx, 0, &h->sul, connect_now,
			 (lws_usec_t)clock_backoff_ms(++h->reconnects, 250, 30000) *
				 LWS_US_PER_MS);
}

static void connect_now(lws_sorted_usec_list_t *sul)
{
	struct heads *h = lws_container_of(sul, struct heads, sul);
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = h->ctx;
	ci.address = h->address;
	ci.port = h->port;
	ci.path = h->path;
	ci.host = h->address;
	ci.origin = h->address;
	ci.ssl_connection = h->tls ? LCCSCF_USE_SSL : 0;
	ci.protocol = NULL;
	ci.local_protocol_name = "heads";
	ci.pwsi = &h->wsi;
	ci.opaque_user_data = h;
	if (!lws_client_connect_via_info(&ci)) {
		/* A refused connection on loopback fails here, before any
		 * callback: say so as CONNECTION_ERROR does. */
		log_warn("newHeads: cannot connect to '%s'; polling meanwhile",
			 h->red);
		schedule_reconnect(h);
	}
}

static void on_message(struct heads *h, const char *text)
{
	char err[160];
	enum json_status st;
	yajl_val v = json_parse_st(text, err, sizeof(err), &st);
	yajl_val params, result;
	uint64_t n;

	if (!v) {
		/* Polling still sees the head: a bad notification is only
		 * logged. */
		log_warn("newHeads: %s from '%s': %s",
			 st == JSON_DUPLICATE ? "message refused" : "invalid JSON",
			 h->red, err);
		return;
	}
	params = json_get(v, "params");
	result = json_get(params, "result");
	if (result && json_get_u64(result, "number", &n) == 0) {
		uint64_t cur = atomic_load(&h->latest);
		const char *hash = json_get_str(result, "hash");

		pthread_mutex_lock(&h->lock);
		h->last_number = n;
		snprintf(h->last_hash, sizeof(h->last_hash), "%s",
			 json_is_hex_len(hash, 32) ? hash : "");
		pthread_mutex_unlock(&h->lock);

		while (n > cur && !atomic_compare_exchange_weak(&h->latest, &cur, n))
			;
		atomic_store(&h->fresh, 1);
		atomic_fetch_add(&h->count, 1);
		if (eventfd_write(h->efd, 1) < 0)
			log_warn_errno("newHeads: cannot wake the fetcher");
	} else if (json_get(v, "error")) {
		log_warn("newHeads: subscription refused by '%s'", h->red);
	} else if (json_get(v, "result") && !h->subscribed) {
		h->subscribed = 1;
		h->reconnects = 0;
		log_info("newHeads: subscribed at '%s'", h->red);
	}
	yajl_tree_free(v);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct heads *h = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	static const char sub[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_subscribe\","
		"\"params\":[\"newHeads\"]}";

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		buf_reset(&h->rx);
		lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		unsigned char out[LWS_PRE + sizeof(sub)];

		memcpy(out + LWS_PRE, sub, sizeof(sub) - 1);
		if (lws_write(wsi, out + LWS_PRE, sizeof(sub) - 1, LWS_WRITE_TEXT) <
		    (int)sizeof(sub) - 1)
			return -1;
		break;
	}
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (buf_add(&h->rx, in, len) < 0) {
			log_warn("newHeads: message of more than %u bytes from '%s' "
				 "dropped", HEADS_MAX_MSG, h->red);
			buf_reset(&h->rx);
			return -1;
		}
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			on_message(h, h->rx.data);
			buf_reset(&h->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (h) {
			log_warn("newHeads: cannot connect to '%s': %s", h->red,
				 in ? (const char *)in : "error");
			schedule_reconnect(h);
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (h && !atomic_load(&h->stop)) {
			log_warn("newHeads: connection to '%s' closed; polling "
				 "until it is back", h->red);
			schedule_reconnect(h);
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "heads", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void *run(void *arg)
{
	struct heads *h = arg;

	lws_sul_schedule(h->ctx, 0, &h->sul, connect_now, 1);
	while (!atomic_load(&h->stop))
		if (lws_service(h->ctx, 0) < 0)
			break;
	return NULL;
}

struct heads *heads_start(const char *url)
{
	struct heads *h = calloc(1, sizeof(*h));
	struct lws_context_creation_info info;
	const char *prot;

	if (!h)
		return NULL;
	snprintf(h->url, sizeof(h->url), "%s", url);
	log_redact_url(url, h->red, sizeof(h->red));
	snprintf(h->addr_buf, sizeof(h->addr_buf), "%s", url);
	if (lws_parse_uri(h->addr_buf, &prot, &h->address, &h->port, &h->path0) ||
	    (strcmp(prot, "ws") && strcmp(prot, "wss"))) {
		log_error("invalid --ws URL '%s': want ws:// or wss:// and a host",
			  h->red);
		free(h);
		return NULL;
	}
	h->tls = !strcmp(prot, "wss");
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->efd < 0) {
		log_error_errno("newHeads: cannot create an eventfd");
		free(h);
		return NULL;
	}
	/* lws_parse_uri() leaves the path without its leading slash, or "/"
	 * when there is none. */
	snprintf(h->path, sizeof(h->path), "%s%s", h->path0[0] == '/' ? "" : "/",
		 h->path0);
	h->reconnects = 0;
	pthread_mutex_init(&h->lock, NULL);
	buf_init(&h->rx, HEADS_MAX_MSG);
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = h->tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
	h->ctx = lws_create_context(&info);
	if (!h->ctx) {
		log_error("newHeads: cannot create the WebSocket context");
		close(h->efd);
		free(h);
		return NULL;
	}
	if (pthread_create(&h->thread, NULL, run, h)) {
		lws_context_destroy(h->ctx);
		close(h->efd);
		free(h);
		return NULL;
	}
	return h;
}

int heads_fd(const struct heads *h)
{
	return h->efd;
}

int heads_latest(struct heads *h, uint64_t *out, uint64_t *last_number,
		 char last_hash[HASH_HEX_SIZE])
{
	eventfd_t v;

	(void)eventfd_read(h->efd, &v);
	if (!atomic_exchange(&h->fresh, 0))
		return 0;
	if (out)
		*out = atomic_load(&h->latest);
	pthread_mutex_lock(&h->lock);
	if (last_number)
		*last_number = h->last_number;
	if (last_hash)
		memcpy(last_hash, h->last_hash, HASH_HEX_SIZE);
	pthread_mutex_unlock(&h->lock);
	return 1;
}

uint64_t heads_count(struct heads *h)
{
	return atomic_load(&h->count);
}

void heads_stop(struct heads **hp)
{
	struct heads *h = *hp;

	if (!h)
		return;
	atomic_store(&h->stop, 1);
	lws_cancel_service(h->ctx);
	pthread_join(h->thread, NULL);
	lws_context_destroy(h->ctx);
	buf_release(&h->rx);
	close(h->efd);
	pthread_mutex_destroy(&h->lock);
	free(h);
	*hp = NULL;
}
