/* libFuzzer target: the message parsers. One input is fed to the JSON
 * member walker (json_members, json_span), the tree parser (json_parse),
 * the walk's tree (json_members_tree, which must equal json_parse's),
 * the protocol's reader (message_read, and message_restamp of what it
 * read), the writer's decoder (wmsg_decode, both with and without
 * allow_unsequenced, then batch_copy_text over the result), and, split at
 * the first NUL byte into a block object and a receipts array, to
 * block_msg_build(). Every parser must refuse bad input with an error,
 * never crash, leak or read out of bounds. FUZZ_MSG_LAX=1 tolerates
 * member spans outside the input (the json_members bug of
 * tests/fuzz/regress/fuzz_msg/) so that fuzzing can go past it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "block.h"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "message.h"

#include "../unit/tree_equal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct walk_arg {
	const char *s;
	size_t size;
	size_t sum;
	int lax; /* FUZZ_MSG_LAX: skip spans outside the input, fuzz on */
};

static int count_member(void *arg, const struct json_member *m)
{
	struct walk_arg *w = arg;
	size_t *n = &w->sum;

	/* A member's value must lie inside the input (json.h: "the raw
	 * bytes of its value exactly as they stand in the input"). */
	if (m->key && (m->val < w->s || m->vallen > w->size ||
		       m->val + m->vallen > w->s + w->size)) {
		if (w->lax)
			return 0;
		fprintf(stderr, "json_members: value span of '%.*s' outside "
			"the input (vallen %zu, input %zu bytes)\n",
			(int)m->keylen, m->key, m->vallen, w->size);
		abort();
	}
	/* Touch every byte handed out so ASan sees an out-of-bounds span. */
	if (m->key)
		for (size_t i = 0; i < m->keylen; i++)
			*n += (unsigned char)m->key[i];
	for (size_t i = 0; i < m->vallen; i++)
		*n += (unsigned char)m->val[i];
	return 0;
}

static void fuzz_batch(const char *s, size_t len, int unseq)
{
	struct decode_opts o = DECODE_OPTS_INIT;
	struct batch b = BATCH_INIT;
	struct buf out;
	char type[32], why[256];
	size_t nrows;

	o.allow_unsequenced = unseq;
	batch_init(&b);
	if (batch_add(&b, &o, s, len, type, sizeof(type), why, sizeof(why)) ==
	    DECODE_ADDED) {
		buf_init(&out, 0);
		for (int t = 0; t < WT_NTABLES; t++) {
			buf_reset(&out);
			batch_copy_text(&b, 0, b.n, (enum wt)t, &out, &nrows);
		}
		buf_release(&out);
	}
	batch_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char *s = malloc(size + 1);
	char err[128];
	const char *val, *nul, *why;
	size_t vallen;
	struct walk_arg wa;
	yajl_val root;
	struct buf out;
	struct block_info info;

	if (!init) {
		log_set_level(LOG_ERROR);
		init = 1;
	}
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	wa.s = s;
	wa.size = size;
	wa.sum = 0;
	wa.lax = getenv("FUZZ_MSG_LAX") != NULL;
	json_members(s, size, count_member, &wa, err, sizeof(err));
	if (json_span(s, size, "type", &val, &vallen) == 0)
		for (size_t i = 0; i < vallen; i++)
			wa.sum += (unsigned char)val[i];
	root = json_parse(s, err, sizeof(err));
	{
		yajl_val t = NULL;
		const char *d;

		/* json_parse takes a NUL-terminated text: compare only what
		 * both read whole */
		if (json_members_tree(s, size, count_member, &wa, &t, err,
				      sizeof(err)) == 0 && root &&
		    !memchr(s, '\0', size) && (d = tree_diff(t, root))) {
			fprintf(stderr, "json_members_tree: %s from json_parse's\n",
				d);
			abort();
		}
		json_tree_free(t);
	}
	if (root)
		yajl_tree_free(root);

	{
		struct message m;
		struct buf rs = BUF_INIT;

		if (message_read(s, size, &m, err, sizeof(err)) == MESSAGE_OK &&
		    m.type == MESSAGE_BLOCK) {
			buf_init(&rs, 1 << 20);
			message_restamp(&rs, s, size, &m.u.block, 1, 2, "gap");
			buf_release(&rs);
		}
		message_release(&m);
	}
	fuzz_batch(s, size, 0);
	fuzz_batch(s, size, 1);

	nul = memchr(s, '\0', size);
	if (nul) {
		size_t blen = (size_t)(nul - s);

		buf_init(&out, 1 << 20);
		block_msg_build(&out, 1, 0, s, blen, nul + 1, size - blen - 1,
				&info, &why);
		buf_release(&out);
	}
	free(s);
	return 0;
}
