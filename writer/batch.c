#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void batch_init(struct batch *b)
{
	*b = (struct batch)BATCH_INIT;
}

void batch_reset(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		wmsg_free(&b->msgs[i]);
	b->n = b->nblocks = b->nreorgs = b->nlive = 0;
	b->awaits_branch = false;
}

void batch_release(struct batch *b)
{
	batch_reset(b);
	free(b->msgs);
	batch_init(b);
}

int batch_push(struct batch *b, struct wmsg *m)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct wmsg **p = realloc(b->msgs, cap * sizeof(*p));

		if (!p) {
			wmsg_free(&m);
			return -1;
		}
		b->msgs = p;
		b->cap = cap;
	}
	b->msgs[b->n++] = m;
	if (m->kind == WMSG_BLOCK) {
		b->nblocks++;
		b->nlive += m->live;
		if (b->awaits_branch && m->chain_id == b->await_chain &&
		    m->number == b->await_height && m->seq > b->await_seq)
			b->awaits_branch = false;
	} else {
		b->nreorgs++;
		/* A new tip below the range has no block to come. */
		b->awaits_branch = m->has_new_tip && m->new_tip >= m->number;
		b->await_chain = m->chain_id;
		b->await_height = m->new_tip;
		b->await_seq = m->seq;
	}
	return 0;
}

enum decode_result batch_add(struct batch *b, const struct decode_opts *o,
			    const char *json, size_t len, char *type,
			    size_t typelen, char *why, size_t whylen)
{
	struct wmsg *m;
	enum decode_result r = wmsg_decode(json, len, o, &m, type, typelen, why,
					  whylen);

	if (r != DECODE_ADDED)
		return r;
	if (batch_push(b, m) < 0) {
		snprintf(why, whylen, "out of memory");
		return DECODE_MALFORMED;
	}
	return DECODE_ADDED;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Blocks by (chain, hash). */
static int cmp_block(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	return c ? c : memcmp(a->hash, b->hash, sizeof(a->hash));
}

/* Reorgs by (chain, seq). */
static int cmp_reorg(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	return c ? c : cmp_u64(a->seq, b->seq);
}

/* Block pointers by (chain, number), the largest seq first. */
static int cmp_pointer(const void *pa, const void *pb)
{
	const struct wmsg *a = *(const struct wmsg *const *)pa;
	const struct wmsg *b = *(const struct wmsg *const *)pb;
	int c = cmp_u64(a->chain_id, b->chain_id);

	if (!c)
		c = cmp_u64(a->number, b->number);
	return c ? c : cmp_u64(b->seq, a->seq);
}

int batch_copy_text(const struct batch *b, size_t from, size_t to,
		    enum wt t, struct buf *out, size_t *nrows)
{
	enum wmsg_kind kind = t == WT_REORGS ? WMSG_REORG : WMSG_BLOCK;
	int (*cmp)(const void *, const void *) =
		t == WT_REORGS ? cmp_reorg : t == WT_CANONICAL ? cmp_pointer
							       : cmp_block;
	struct wmsg **v;
	size_t n = 0;
	int rc = 0;

	*nrows = 0;
	if (to > b->n)
		to = b->n;
	if (from >= to)
		return 0;
	v = malloc((to - from) * sizeof(*v));
	if (!v)
		return -1;
	for (size_t i = from; i < to; i++)
		if (b->msgs[i]->kind == kind && b->msgs[i]->nrows[t])
			v[n++] = b->msgs[i];
	qsort(v, n, sizeof(*v), cmp);
	for (size_t i = 0; i < n; i++) {
		const struct wmsg *m = v[i];

		if (i > 0) {
			const struct wmsg *p = v[i - 1];

			/* Same block, same reorg, or a pointer to the same
			 * height with a smaller seq: already written. */
			if (t == WT_CANONICAL
				    ? (p->chain_id == m->chain_id &&
				       p->number == m->number)
				    : !cmp(&p, &m))
				continue;
		}
		if (buf_add(out, m->rows[t].data, m->rows[t].len) < 0) {
			rc = -1;
			break;
		}
		*nrows += m->nrows[t];
	}
	free(v);
	return rc;
}
