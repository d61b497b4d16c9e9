/* rpcspans: what faultproxy reads of a JSON-RPC exchange without
 * parsing it into a tree: the calls of a request (id, method, the height
 * a block call asks for) and the elements of the node's answer, as raw
 * spans into its bytes, so that the answer can be rewritten in place
 * (textedit.h). The span pointers point into the answer: they live as
 * long as it does. Release the arrays (.v) with free(3). */
#ifndef RPCSPANS_H
#define RPCSPANS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One call of a request: its raw id and its method. */
struct call {
	char id[40];
	char method[64];
	uint64_t number; /* params of a block call, when has_number */
	int has_number, full;
};

struct calls {
	struct call *v;
	size_t n;
	int batch;
};

/* One element of an answer: raw spans into the upstream body. */
struct elem {
	const char *id, *result;
	size_t idlen, resultlen;
};

struct elems {
	struct elem *v;
	size_t n;
};

/* The calls of request in (cs zeroed first by the caller). Not JSON-RPC
 * at all is fine: the upstream will say so, and cs holds what could be
 * read. */
void read_calls(const struct buf *in, struct calls *cs);

/* The elements of answer body (es zeroed first). 0, or non-zero when
 * body is not a JSON object or array of them. */
int read_elems(const struct buf *body, struct elems *es);

/* Whether a call of the request is to method. */
int calls_have(const struct calls *cs, const char *method);

/* The call with this raw id, or NULL. */
const struct call *call_of(const struct calls *cs, const char *id,
			   size_t idlen);

/* The method of the call with this raw id, or "". */
const char *method_of(const struct calls *cs, const char *id, size_t idlen);

/* The quoted hex quantity at v (len bytes, quotes included). 0, or -1
 * when it is not one. */
int hex_span_u64(const char *v, size_t len, uint64_t *out);

#endif
