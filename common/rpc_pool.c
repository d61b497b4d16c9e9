#include "rpc_pool.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

#include "banned.h"

/* Room for the redacted URL in a node's name, after "#N ". */
#define RPC_NODE_REDACTED_SIZE 224

/* "#2 https://host:port": the position in the pool (1 is the first URL
 * given) and the URL without anything that may be a key, so two keys on
 * one provider stay two nodes in logs and in rpc_node_up{node}. */
static void node_name(char *out, size_t outlen, size_t pos, const char *url)
{
	char red[RPC_NODE_REDACTED_SIZE];

	log_redact_url(url, red, sizeof(red));
	snprintf(out, outlen, "#%zu %s", pos, red);
}

static int add_node(struct rpc_pool *p, const char *url, size_t len,
		    int breaker_failures, long long breaker_cooldown_ms)
{
	struct rpc_node *nd;
	char *u;
	size_t n;

	while (len && isspace((unsigned char)*url)) {
		url++;
		len--;
	}
	while (len && isspace((unsigned char)url[len - 1]))
		len--;
	if (len == 0)
		return 0;
	u = strndup(url, len);
	if (!u)
		return log_error("cannot add node: out of memory");
	nd = realloc(p->nodes, (p->n + 1) * sizeof(*nd));
	if (!nd) {
		free(u);
		return log_error("cannot add node: out of memory");
	}
	p->nodes = nd;
	nd = &p->nodes[p->n++];
	memset(nd, 0, sizeof(*nd));
	nd->url = u;
	rpc_breaker_init(&nd->breaker, breaker_failures, breaker_cooldown_ms);
	node_name(nd->name, sizeof(nd->name), p->n, u);
	n = strncasecmp(u, "http://", 7) == 0 ? 7 :
	    strncasecmp(u, "https://", 8) == 0 ? 8 : 0;
	if (n == 0 || !u[n] || u[n] == '/')
		return log_error("invalid node URL '%s': want http:// or "
				 "https:// and a host", nd->name);
	return 0;
}

int rpc_pool_init(struct rpc_pool *p, const char *urls, int breaker_failures,
		  long long breaker_cooldown_ms)
{
	const char *s, *sep;

	*p = (struct rpc_pool)RPC_POOL_INIT;
	if (!urls || !*urls)
		return log_error("no node URL given");
	for (s = urls; *s; s = *sep ? sep + 1 : sep) {
		sep = s + strcspn(s, ",\n"); /* --rpc-file: one a line too */
		if (add_node(p, s, (size_t)(sep - s), breaker_failures,
			     breaker_cooldown_ms) < 0)
			goto fail;
	}
	if (p->n == 0) {
		log_error("no node URL given");
		goto fail;
	}
	return 0;
fail:
	rpc_pool_release(p);
	return -1;
}

void rpc_pool_release(struct rpc_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->nodes[i].url);
	free(p->nodes);
	*p = (struct rpc_pool)RPC_POOL_INIT;
}

void rpc_pool_set_metrics(struct rpc_pool *p, struct metrics *m)
{
	for (size_t i = 0; i < p->n; i++) {
		struct buf labels = BUF_INIT;
		struct rpc_breaker *b = &p->nodes[i].breaker;

		if (metrics_label(&labels, "node", p->nodes[i].name) == 0)
			b->up = metrics_gauge(m, "rpc_node_up",
					"1 while the node's breaker is closed",
					labels.data);
		buf_release(&labels);
		metric_set(b->up, 1);
	}
}

size_t rpc_pool_pick(struct rpc_pool *p, size_t start, long long now,
		     int *probe)
{
	size_t best = start % p->n;
	long long best_until = LLONG_MAX;

	*probe = 0;
	if (p->n == 1)
		return 0;
	for (size_t k = 0; k < p->n; k++) {
		size_t i = (start + k) % p->n;
		struct rpc_breaker *b = &p->nodes[i].breaker;

		if (rpc_breaker_usable(b, now, probe))
			return i;
		if (b->open_until < best_until) {
			best_until = b->open_until;
			best = i;
		}
	}
	return best;
}

void rpc_pool_prefer_next(struct rpc_pool *p)
{
	if (p->n > 1) {
		p->first = (p->first + 1) % p->n;
		log_at(LOG_INFO, LOGF(LF_S("node", p->nodes[p->first].name)),
		       "new requests go to another node first");
	}
}
