#include "pubgap.h"

#include <string.h>

#include "log.h"

#include "banned.h"

enum pubgap_result pubgap_check(struct pubgap *g, const char *topic,
				uint32_t counter, uint32_t *lost)
{
	size_t len = strlen(topic);
	uint32_t ahead;
	int i;

	*lost = 0;
	if (len >= sizeof(g->t[0].topic))
		return PUBGAP_UNTRACKED;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->t[i].topic, topic))
			break;
	if (i == g->n) {
		if (g->n == PUBGAP_TOPICS)
			return PUBGAP_UNTRACKED;
		memcpy(g->t[i].topic, topic, len + 1);
		g->t[i].last = counter;
		g->n++;
		return PUBGAP_FIRST;
	}
	ahead = counter - g->t[i].last; /* modulo 2^32 */
	g->t[i].last = counter;
	if (ahead == 1)
		return PUBGAP_OK;
	if (counter == 0 || ahead == 0 || ahead >= UINT32_C(0x80000000))
		return PUBGAP_RESTART;
	*lost = ahead - 1;
	return PUBGAP_GAP;
}

void pubgap_log(enum pubgap_result r, const char *source, const char *topic,
		uint32_t counter, uint32_t lost)
{
	const char *src = source ? source : "";

	if (r == PUBGAP_GAP)
		log_at(LOG_WARN, LOGF(LF_S("endpoint", src), LF_S("topic", topic),
				      LF_U("expected", counter - lost),
				      LF_U("got", counter), LF_U("lost", lost)),
		       "messages lost on topic '%s'", topic);
	else if (r == PUBGAP_RESTART)
		log_at(LOG_INFO, LOGF(LF_S("endpoint", src), LF_S("topic", topic),
				      LF_U("counter", counter)),
		       "publisher counter went back: publisher restarted");
}
