/* proxy_control: faultproxy's /__control and /__stats (proxy.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "log.h"

#include "httpmini.h"
#include "namebits.h"
#include "proxy.h"

#include "banned.h"

const char *const fault_names[F_COUNT] = {
	"delay", "429", "500", "502", "truncate", "null", "garbage", "drop",
	"corrupt", "lag", "dupkey",
};

void proxy_seed(uint64_t *s, uint64_t seed)
{
	*s = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
	if (!*s)
		*s = 1;
}

static enum MHD_Result reply_gen(struct MHD_Connection *conn,
				 unsigned status, yajl_gen g)
{
	const unsigned char *out;
	size_t len;
	enum MHD_Result rc = MHD_NO;

	if (yajl_gen_get_buf(g, &out, &len) == yajl_gen_status_ok)
		rc = httpmini_reply(conn, status, "application/json",
				    (const char *)out, len, NULL);
	yajl_gen_free(g);
	return rc;
}

static void gen_settings(struct proxy *p, yajl_gen g)
{
	char list[128], rate[32];

	namebits_join(p->faults, fault_names, F_COUNT, list, sizeof(list));
	/* %g: 0.3 rather than yajl's 0.29999999999999998890 */
	snprintf(rate, sizeof(rate), "%g", p->rate);
	json_gen_key(g, "fault_rate");
	json_gen_raw(g, rate, strlen(rate));
	json_gen_key(g, "enabled");
	json_gen_cstr(g, list);
	body_lies_gen_settings(&p->body, g);
}

enum MHD_Result proxy_serve_stats(struct proxy *p,
				  struct MHD_Connection *conn)
{
	yajl_gen g = json_gen_new();

	if (!g)
		return MHD_NO;
	pthread_mutex_lock(&p->lock);
	{
		const struct {
			const char *key;
			unsigned long long n;
		} counts[] = {
			{ "requests", p->requests },
			{ "forwarded", p->forwarded },
			{ "upstream_errors", p->upstream_errors },
			{ "injected", p->injected },
		};

		yajl_gen_map_open(g);
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			json_gen_key(g, counts[i].key);
			json_gen_u64(g, counts[i].n);
		}
	}
	json_gen_key(g, "faults");
	namebits_gen_counts(g, fault_names, p->count, F_COUNT);
	body_lies_gen_stats(&p->body, g);
	gen_settings(p, g);
	yajl_gen_map_close(g);
	pthread_mutex_unlock(&p->lock);
	return reply_gen(conn, 200, g);
}

static enum MHD_Result control_error(struct MHD_Connection *conn,
				     const char *msg)
{
	yajl_gen g = json_gen_new();

	if (!g)
		return MHD_NO;
	yajl_gen_map_open(g);
	json_gen_key(g, "error");
	json_gen_cstr(g, msg);
	yajl_gen_map_close(g);
	return reply_gen(conn, 400, g);
}

enum MHD_Result proxy_serve_control(struct proxy *p,
				    struct MHD_Connection *conn,
				    const struct buf *in)
{
	char err[200], bad[64], now[128], body[160], rate_s[32];
	yajl_val v, rate, seed;
	const char *list, *why;
	unsigned bits = 0;
	yajl_gen g;

	v = json_parse(in->data ? in->data : "", err, sizeof(err));
	if (!v || !YAJL_IS_OBJECT(v)) {
		if (v)
			yajl_tree_free(v);
		return control_error(conn, "body is not a JSON object");
	}
	rate = json_get(v, "fault_rate");
	list = json_get_str(v, "faults");
	seed = json_get(v, "seed");
	if (rate && (!YAJL_IS_NUMBER(rate) || YAJL_GET_DOUBLE(rate) < 0 ||
		     YAJL_GET_DOUBLE(rate) > 1)) {
		yajl_tree_free(v);
		return control_error(conn, "fault_rate must be in [0, 1]");
	}
	if (list && namebits_parse(list, fault_names, F_COUNT, &bits, bad,
				    sizeof(bad)) < 0) {
		yajl_tree_free(v);
		return control_error(conn, "unknown fault in faults");
	}
	/* the body settings are checked and applied first: all or nothing */
	if ((why = body_lies_control(&p->body, v)) != NULL) {
		yajl_tree_free(v);
		return control_error(conn, why);
	}
	pthread_mutex_lock(&p->lock);
	if (rate)
		p->rate = YAJL_GET_DOUBLE(rate);
	if (list)
		p->faults = bits;
	if (seed && YAJL_IS_INTEGER(seed))
		proxy_seed(&p->rng, (uint64_t)YAJL_GET_INTEGER(seed));
	if (json_get_bool(v, "reset_stats", 0)) {
		p->requests = p->forwarded = p->upstream_errors = 0;
		p->injected = 0;
		memset(p->count, 0, sizeof(p->count));
		p->ncorrupted = 0;
	}
	namebits_join(p->faults, fault_names, F_COUNT, now, sizeof(now));
	snprintf(rate_s, sizeof(rate_s), "%g", p->rate);
	pthread_mutex_unlock(&p->lock);
	yajl_tree_free(v);
	body_lies_kinds(&p->body, body, sizeof(body));
	log_at(LOG_INFO, LOGF(LF_S("fault_rate", rate_s), LF_S("faults", now),
			      LF_S("body_faults", body)),
	       "settings changed");
	g = json_gen_new();
	if (!g)
		return MHD_NO;
	yajl_gen_map_open(g);
	pthread_mutex_lock(&p->lock);
	gen_settings(p, g);
	pthread_mutex_unlock(&p->lock);
	yajl_gen_map_close(g);
	return reply_gen(conn, 200, g);
}
