/* Internals shared by the broadcaster's modules (server, client with
 * its two protocols channel and ethsub, input, status).
 * Everything here but the input queue belongs to the service thread. */
#ifndef BC_SERVER_H
#define BC_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "broadcaster.h"
#include "buf.h"
#include "filter.h"
#include "json.h"
#include "replay_outage.h"

struct bc_event;
struct metric;
struct metrics;
struct ring;

enum frame_type {
	FT_NEWBLOCK, FT_NEWTXS, FT_NEWLOG, FT_REORG, FT_GAP, FT_NEWHEADS,
	FT_LOGS, FT_REPLY, FT__COUNT
};

/* How a ping went out: a frame of its own, or in front of a frame. */
enum ping_sent { PS_ALONE, PS_WITH_FRAME, PS__COUNT };

enum disc_reason {
	DR_OVERFLOW, DR_WRITE_TIMEOUT, DR_PONG_TIMEOUT, DR_TOO_LARGE, DR_FLOOD,
	DR_SHUTDOWN, DR_CLOSED, DR_REPLAY, DR__COUNT
};

enum reject_reason {
	RJ_MAX_CONNECTIONS, RJ_RATE, RJ_ORIGIN, RJ_PATH, RJ__COUNT
};

enum sub_kind { SK_NEWHEADS, SK_LOGS, SK_NEWBLOCKS, SK_NEWTXS, SK_NEWLOGS,
		SK_REORGS, SK__COUNT };

struct bc_metrics {
	struct metric *connections;
	struct metric *subs[SK__COUNT];
	struct metric *sent[FT__COUNT];
	struct metric *pings[PS__COUNT];
	struct metric *bytes;
	struct metric *disconnects[DR__COUNT];
	struct metric *rejected[RJ__COUNT];
	struct metric *dropped;
	struct metric *gaps;
	struct metric *latency;
	struct metric *events_in;
	struct metric *bad_input;
	struct metric *bad_requests;
	struct metric *dup_input;    /* also counted in bad_input */
	struct metric *dup_requests; /* also counted in bad_requests */
	struct metric *repeated_reorgs; /* reorgs sent again, not passed on */
	/* replay.c: replays from the database */
	struct metric *replays, *replays_total, *replay_refused;
	struct metric *replay_blocks, *db_errors, *db_seconds;
};

struct bc_qitem {
	struct bc_qitem *next;
	struct bc_event *ev;
};

struct client;

struct bc_server {
	const struct broadcaster_cfg *cfg;
	struct lws_context *ctx;
	struct ev_loop *loop; /* the loop lws runs on (libev) */
	struct lws_vhost *vh;
	struct ring *ring;
	struct metrics *metrics;
	struct bc_metrics m;
	struct client *clients; /* WebSocket clients, a list */
	size_t nclients;
	struct client *tick_next; /* where the tick's next visit starts */
	uint64_t chain_id;
	uint64_t tip;
	int have_tip;
	struct bc_node *node; /* --rpc; NULL without */
	struct bc_status *status; /* GET /v1/status; its own lock */
	struct history *history;  /* --db: the replay workers; NULL without */
	lws_dll2_owner_t replays; /* struct replay: clients replaying from
				     the database */
	size_t replay_pages;      /* their pages fetched or being written */
	size_t replay_waiting;    /* replays waiting for a page's turn */
	struct replay_outage replay_outage; /* the database failing: logged */
	lws_sorted_usec_list_t replay_tick;
	char **origins;
	size_t norigins;
	int stopping;
	lws_sorted_usec_list_t tick;
	struct rate_slot *rate; /* connections per IP */
	size_t nrate;

	/* The input thread hands events over through this queue. */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct bc_qitem *qhead, *qtail;
	size_t qlen;
	volatile sig_atomic_t input_stop;
	volatile sig_atomic_t input_seen; /* a message arrived: ready */
	volatile sig_atomic_t input_failed;
	pthread_t input_thread;
	int input_started;
};

enum client_mode { CM_HTTP, CM_ETH, CM_CHAN };

struct ctl_msg {
	struct ctl_msg *next;
	size_t len;
	char data[]; /* EV_PRE headroom, then len bytes */
};

/* A subscription id: 32 hex digits with 0x. */
#define SUB_ID_LEN 34

struct sub {
	int active;
	enum sub_kind kind;
	char id[SUB_ID_LEN + 1];
	uint64_t from_pos; /* events before it are not for this one */
	struct log_filter filter;
};

#define CH_NEWBLOCKS 1
#define CH_NEWTXS 2
#define CH_NEWLOGS 4
#define CH_REORGS 8

struct client {
	struct client *prev, *next;
	struct lws *wsi;
	struct bc_server *srv;
	enum client_mode mode;
	char ip[64];

	/* HTTP: the answer being written. */
	char *http_body; /* EV_PRE headroom before it */
	size_t http_len, http_off;

	/* WebSocket. */
	struct buf rx;
	int rx_binary;
	int rx_paused;
	struct ctl_msg *ctl_head, *ctl_tail;
	size_t nctl;
	struct buf out; /* eth_subscription frames, EV_PRE headroom first */

	/* Read position in the ring and in the event at it. */
	uint64_t pos;
	uint32_t step;     /* channel: frame index in the event */
	uint32_t phase, li, si; /* eth: heads/logs, log index, sub index */
	uint64_t replay_end; /* positions below it were replayed: no lag */
	struct replay *replay; /* replaying from the database: pos is in
				  its page (replay.h); NULL when live */
	uint64_t eth_from; /* eth: fromBlock + 1 of the subscriptions; 0 none */
	int eth_sent;      /* eth: a notification was written since */
	uint64_t observed;   /* pos + 1 of the last event timed */

	int chans;
	struct log_filter chan_filter;
	struct sub *subs;
	size_t nslots, nactive;

	int closing;
	int close_code;
	const char *close_reason;
	enum disc_reason close_why;
	int64_t last_progress_ms;
	int64_t last_rx_ms; /* anything from the client, pongs included */
	int ping_due, ping_sent;
	int write_failed; /* a write outside the callback: close in it */
	/* Has the client read what it was sent? The kernel's buffers take
	 * a few hundred KiB from one that never reads, so only a pong to a
	 * ping written after the data proves it: the oldest write not
	 * proven so (0 none), and the oldest written after the ping in
	 * flight (probe_out). */
	int64_t unread_since, after_probe_since;
	int probe_out;
};

/* A frame a client is owed: channel.c and ethsub.c find them in an
 * event, client.c writes them. */
struct frame_out {
	const struct ev_frame *f;
	const char *sub_id; /* eth: splice into eth_subscription */
	enum frame_type type;
};

/* Why a client's message is no request. */
enum bad_message { BM_BINARY, BM_PARSE, BM_DUPLICATE };

/* client.c: the connection, its send queue and its writable path. */
void client_ws_open(struct client *c, struct bc_server *srv, struct lws *wsi,
		    enum client_mode mode);
void client_ws_close(struct client *c);
/* The client's message, complete in c->rx. 0, or -1 to close. */
int client_on_message(struct client *c);
/* Write one frame if there is one. 0, or -1 to close. */
int client_on_writable(struct client *c);
/* Has the client anything of interest in the ring? */
int client_subscribed(const struct client *c);
/* After a push: check the lag, write what is owed or ask for a writable
 * callback. */
void client_notify(struct client *c);
/* Ping an idle client, close one silent past the pong timeout. */
void client_check_alive(struct client *c, int64_t now);
/* Ping a client owed proof that it reads; close one that has not read
 * for the write timeout, whatever its queue holds. */
void client_check_reading(struct client *c, int64_t now);
/* A pong: what was written before the ping is read. */
void client_on_pong(struct client *c);
/* Close with a code and reason (sent when the socket takes it). */
void client_close(struct client *c, int code, const char *reason,
		  enum disc_reason why);
/* Queue a reply of n bytes (copied) for the client; reading from it
 * pauses while many are queued. -1 when out of memory, or when too many
 * are queued: the client is then closed as a flooder. */
int client_queue_reply(struct client *c, const char *p, size_t n);
/* Queue what g holds as a reply; g stays the caller's. -1 as
 * client_queue_reply(), or when g holds no complete document. */
int client_queue_gen(struct client *c, yajl_gen g);
const char *bc_sub_kind_name(enum sub_kind k);

/* input.c */
int input_start(struct bc_server *srv);
void input_stop(struct bc_server *srv);
/* Service thread: take every queued event. */
struct bc_qitem *input_take(struct bc_server *srv);

/* status.c, for the service thread: the /v1/status document. */
int bc_status_answer(struct bc_server *srv, struct buf *out);

/* The dashboard, broadcaster/page/ compiled in by the Makefile. */
extern const char bc_page_html[], bc_page_js[], bc_page_css[];
extern const size_t bc_page_html_len, bc_page_js_len, bc_page_css_len;

#endif
