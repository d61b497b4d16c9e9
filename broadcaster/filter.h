/* Log filters as nodes apply them to eth_subscribe("logs", filter):
 *
 *   address: one address or an array of them (any of them matches); absent,
 *            null or [] matches every address.
 *   topics:  up to 4 positions; each null (any topic), one topic, or an
 *            array of topics (any of them). A log matches when it has at
 *            least as many topics as the filter has positions (as geth)
 *            and every constrained position matches.
 *
 * The filter owns its arrays: filter_release() frees them. */
#ifndef BC_FILTER_H
#define BC_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

struct log_key;

struct log_filter {
	uint8_t (*addr)[20];
	size_t naddr;
	int npos; /* topic positions given */
	struct {
		uint8_t (*v)[32]; /* NULL: any */
		size_t n;
	} pos[4];
};

#define LOG_FILTER_INIT { NULL, 0, 0, { { NULL, 0 } } }

/* Parse obj (a JSON object, or NULL for "everything"). Returns 0, or -1
 * with a reason in why; f is then empty. */
int filter_parse(yajl_val obj, struct log_filter *f, char *why, size_t whylen);
int filter_match(const struct log_filter *f, const struct log_key *k);
void filter_release(struct log_filter *f);

#endif
