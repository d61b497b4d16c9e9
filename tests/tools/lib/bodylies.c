/* bodylies: which answers faultproxy lies in about block bodies, and the
 * splicing of the lies into the answer (bodylies.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bodylies.h"
#include "cfg.h"
#include "json.h"
#include "log.h"

#include "grow.h"
#include "namebits.h"
#include "rng.h"
#include "textedit.h"
#include "banned.h"

/* ---- helpers ---- */

static void rng_seed(uint64_t *s, uint64_t seed)
{
	rng_seed_salted(s, seed, 0xb0d1e5ULL);
}

/* "drop-tx,status" -> bits; -1 on an unknown name (named in bad). */
static int parse_kinds(const char *list, unsigned *out, char *bad,
		       size_t badlen)
{
	return namebits_parse(list, body_fault_names, BF_COUNT, out, bad,
			      badlen);
}

void body_lies_init(struct body_lies *bl, uint64_t seed)
{
	memset(bl, 0, sizeof(*bl));
	pthread_mutex_init(&bl->lock, NULL);
	rng_seed(&bl->rng, seed);
	bl->cfg.rate = 1;
	bl->cfg.times = 1;
}

void body_lies_seed(struct body_lies *bl, uint64_t seed)
{
	pthread_mutex_lock(&bl->lock);
	rng_seed(&bl->rng, seed);
	pthread_mutex_unlock(&bl->lock);
}

void body_lies_release(struct body_lies *bl)
{
	free(bl->told);
	bl->told = NULL;
	pthread_mutex_destroy(&bl->lock);
}

/* ---- settings ---- */

static int option_heights(struct body_cfg *b, const char *arg)
{
	const char *why = "more than 64";
	long long v;

	b->nheights = 0;
	for (const char *q = arg; *q; q += *q == ',') {
		size_t len = strcspn(q, ",");
		char num[24];

		snprintf(num, sizeof(num), "%.*s", (int)len, q);
		q += len;
		if (b->nheights == BODY_MAX_HEIGHTS ||
		    cfg_parse_int(num, 0, LLONG_MAX, &v, &why) < 0) {
			fprintf(stderr, "faultproxy: --body-heights '%s': %s\n",
				arg, why);
			return -1;
		}
		b->heights[b->nheights++] = (uint64_t)v;
	}
	return 0;
}

int body_lies_option(struct body_lies *bl, const char *opt, const char *arg)
{
	struct body_cfg *b = &bl->cfg;
	const char *why = "not a number in [0, 1]";
	char bad[64], *end;

	if (!strcmp(opt, "--body-faults")) {
		if (parse_kinds(arg, &b->kinds, bad, sizeof(bad)) == 0)
			return 0;
		fprintf(stderr, "faultproxy: --body-faults: unknown fault "
			"'%s'\n", bad);
		return -1;
	}
	if (!strcmp(opt, "--body-heights"))
		return option_heights(b, arg);
	if (!strcmp(opt, "--body-rate")) {
		b->rate = strtod(arg, &end);
		if (end != arg && !*end && b->rate >= 0 && b->rate <= 1)
			return 0;
	} else if (!strcmp(arg, "always")) {
		b->times = 0;
		return 0;
	} else if (cfg_parse_int(arg, 1, LLONG_MAX, &b->times, &why) == 0) {
		return 0;
	}
	fprintf(stderr, "faultproxy: %s '%s': %s\n", opt, arg, why);
	return -1;
}

/* "body_times": K (>= 1) or "always" (0 here). */
static int control_times(yajl_val t, long long *out)
{
	const char *s = YAJL_IS_STRING(t) ? YAJL_GET_STRING(t) : NULL;

	if (s && !strcmp(s, "always")) {
		*out = 0;
		return 0;
	}
	if (!YAJL_IS_INTEGER(t) || YAJL_GET_INTEGER(t) < 1)
		return -1;
	*out = YAJL_GET_INTEGER(t);
	return 0;
}

static const char *control_heights(yajl_val hs, struct body_cfg *b)
{
	static const char bad[] = "body_heights must be a list of at most 64 "
				  "heights";

	if (!YAJL_IS_ARRAY(hs) || YAJL_GET_ARRAY(hs)->len > BODY_MAX_HEIGHTS)
		return bad;
	for (size_t i = 0; i < YAJL_GET_ARRAY(hs)->len; i++) {
		yajl_val h = YAJL_GET_ARRAY(hs)->values[i];

		if (!YAJL_IS_INTEGER(h) || YAJL_GET_INTEGER(h) < 0)
			return bad;
		b->heights[i] = (uint64_t)YAJL_GET_INTEGER(h);
	}
	b->nheights = YAJL_GET_ARRAY(hs)->len;
	return NULL;
}

/* The changes v asks for, on a copy b of the settings. */
static const char *control_cfg(yajl_val v, struct body_cfg *b)
{
	yajl_val kinds = json_get(v, "body_faults");
	yajl_val hs = json_get(v, "body_heights");
	yajl_val times = json_get(v, "body_times");
	yajl_val rate = json_get(v, "body_rate");
	const char *why;
	char bad[64];

	if (kinds && (!YAJL_IS_STRING(kinds) ||
		      parse_kinds(YAJL_GET_STRING(kinds), &b->kinds, bad,
				  sizeof(bad)) < 0))
		return "unknown fault in body_faults";
	if (hs && (why = control_heights(hs, b)) != NULL)
		return why;
	if (times && control_times(times, &b->times) < 0)
		return "body_times must be a positive integer or \"always\"";
	if (rate && (!YAJL_IS_NUMBER(rate) || YAJL_GET_DOUBLE(rate) < 0 ||
		     YAJL_GET_DOUBLE(rate) > 1))
		return "body_rate must be in [0, 1]";
	if (rate)
		b->rate = YAJL_GET_DOUBLE(rate);
	return NULL;
}

const char *body_lies_control(struct body_lies *bl, yajl_val v)
{
	yajl_val seed = json_get(v, "seed");
	struct body_cfg b;
	const char *why;

	pthread_mutex_lock(&bl->lock);
	b = bl->cfg;
	why = control_cfg(v, &b);
	if (!why) {
		bl->cfg = b;
		if (seed && YAJL_IS_INTEGER(seed))
			rng_seed(&bl->rng, (uint64_t)YAJL_GET_INTEGER(seed));
		if (json_get_bool(v, "reset_stats", 0)) {
			memset(bl->count, 0, sizeof(bl->count));
			bl->misfits = 0;
			bl->ntold = 0;
		}
	}
	pthread_mutex_unlock(&bl->lock);
	return why;
}

/* ---- stats ---- */

void body_lies_kinds(struct body_lies *bl, char *out, size_t outlen)
{
	pthread_mutex_lock(&bl->lock);
	namebits_join(bl->cfg.kinds, body_fault_names, BF_COUNT, out, outlen);
	pthread_mutex_unlock(&bl->lock);
}

void body_lies_gen_stats(struct body_lies *bl, yajl_gen g)
{
	char h[24];

	pthread_mutex_lock(&bl->lock);
	json_gen_key(g, "body");
	namebits_gen_counts(g, body_fault_names, bl->count, BF_COUNT);
	json_gen_key(g, "lies");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < bl->ntold; i++) {
		snprintf(h, sizeof(h), "%llu",
			 (unsigned long long)bl->told[i].height);
		json_gen_key(g, h);
		json_gen_u64(g, bl->told[i].n);
	}
	yajl_gen_map_close(g);
	json_gen_key(g, "body_misfits");
	json_gen_u64(g, bl->misfits);
	pthread_mutex_unlock(&bl->lock);
}

void body_lies_gen_settings(struct body_lies *bl, yajl_gen g)
{
	char kinds[160], rate[32];

	body_lies_kinds(bl, kinds, sizeof(kinds));
	pthread_mutex_lock(&bl->lock);
	json_gen_key(g, "body_faults");
	json_gen_cstr(g, kinds);
	/* %g: 0.3 rather than yajl's 0.29999999999999998890 */
	snprintf(rate, sizeof(rate), "%g", bl->cfg.rate);
	json_gen_key(g, "body_rate");
	json_gen_raw(g, rate, strlen(rate));
	json_gen_key(g, "body_times");
	if (bl->cfg.times)
		json_gen_u64(g, (uint64_t)bl->cfg.times);
	else
		json_gen_cstr(g, "always");
	json_gen_key(g, "body_heights");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < bl->cfg.nheights; i++)
		json_gen_u64(g, bl->cfg.heights[i]);
	yajl_gen_array_close(g);
	pthread_mutex_unlock(&bl->lock);
}

/* ---- which answers lie ---- */

static int height_chosen(const struct body_cfg *b, uint64_t h)
{
	if (!b->nheights)
		return 1;
	for (size_t i = 0; i < b->nheights; i++)
		if (b->heights[i] == h)
			return 1;
	return 0;
}

/* Under bl->lock: how many lies were told about height h (a slot made on
 * first use), or NULL when out of memory. */
static unsigned long long *told_at(struct body_lies *bl, uint64_t h)
{
	for (size_t i = 0; i < bl->ntold; i++)
		if (bl->told[i].height == h)
			return &bl->told[i].n;
	if (grow((void **)&bl->told, bl->ntold, &bl->captold,
		 sizeof(*bl->told)) < 0)
		return NULL;
	bl->told[bl->ntold] = (struct body_told){ h, 0 };
	return &bl->told[bl->ntold++].n;
}

/* Whether to lie about height h in this answer, and how (BF_COUNT: not).
 * Takes one of the height's lies: undraw gives it back when the fault
 * does not fit the block. */
static enum body_fault draw(struct body_lies *bl, uint64_t h)
{
	const struct body_cfg *b = &bl->cfg;
	enum body_fault f = BF_COUNT;
	unsigned long long *told;
	unsigned n = 0, k;

	pthread_mutex_lock(&bl->lock);
	if (!b->kinds || !height_chosen(b, h) || !(told = told_at(bl, h)) ||
	    (b->times && *told >= (unsigned long long)b->times) ||
	    rng_unit(&bl->rng) >= b->rate)
		goto out;
	for (int i = 0; i < BF_COUNT; i++)
		n += !!(b->kinds & (1u << i));
	k = (unsigned)(rng_next(&bl->rng) % n);
	for (int i = 0; i < BF_COUNT && f == BF_COUNT; i++) {
		if ((b->kinds & (1u << i)) && k-- == 0) {
			(*told)++;
			f = (enum body_fault)i;
		}
	}
out:
	pthread_mutex_unlock(&bl->lock);
	return f;
}

static void undraw(struct body_lies *bl, uint64_t h)
{
	unsigned long long *told;

	pthread_mutex_lock(&bl->lock);
	told = told_at(bl, h);
	if (told && *told)
		(*told)--;
	bl->misfits++;
	pthread_mutex_unlock(&bl->lock);
}

/* ---- splicing the lies into the answer ---- */

/* Replace answer[off, off+len) by text. */
struct splice {
	size_t off, len;
	struct buf text;
};

static int splice_all(const struct buf *body, const struct splice *sp,
		      size_t n, struct buf *out)
{
	struct text_edit *ed = calloc(n, sizeof(*ed));
	int rc;

	if (!ed)
		return -1;
	for (size_t i = 0; i < n; i++)
		ed[i] = (struct text_edit){ sp[i].off, sp[i].len,
					    sp[i].text.data, sp[i].text.len };
	rc = text_edits_apply(body->data, body->len, ed, n, out);
	free(ed);
	return rc;
}

/* BF_DUP_RESULT's fake block as a member of its own before the node's
 * "result": text becomes "result":TEXT, */
static int as_result_member(struct buf *text)
{
	struct buf m = BUF_INIT;

	if (buf_adds(&m, "\"result\":") < 0 ||
	    buf_add(&m, text->data, text->len) < 0 || buf_addch(&m, ',') < 0) {
		buf_release(&m);
		return -1;
	}
	buf_release(text);
	*text = m;
	return 0;
}

/* The receipts element for height h, or NULL. */
static const struct body_elem *receipts_of(const struct body_elem *el,
					   size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (el[i].has_number && el[i].number == h && el[i].result &&
		    el[i].result[0] == '[' &&
		    !strcmp(el[i].method, "eth_getBlockReceipts"))
			return &el[i];
	return NULL;
}

/* The lie about block e, as splices of the answer into sp (two at
 * most). Returns how many: 0 when no lie is told. */
static size_t lie(struct body_lies *bl, const struct buf *answer,
		  const struct body_elem *el, size_t n,
		  const struct body_elem *e, struct splice *sp, char *names,
		  size_t nameslen)
{
	const struct body_elem *r;
	enum body_fault f;
	const char *why = NULL;
	size_t k = 0, len;
	int rc;

	if (!e->has_number || !e->full || !e->result || e->result[0] != '{' ||
	    strcmp(e->method, "eth_getBlockByNumber") ||
	    (f = draw(bl, e->number)) == BF_COUNT)
		return 0;
	r = receipts_of(el, n, e->number);
	sp[0] = (struct splice){ (size_t)(e->result - answer->data),
				 e->resultlen, BUF_INIT };
	sp[1] = (struct splice){ r ? (size_t)(r->result - answer->data) : 0,
				 r ? r->resultlen : 0, BUF_INIT };
	rc = body_fault_apply(f, e->result, e->resultlen, r ? r->result : NULL,
			      r ? r->resultlen : 0, &sp[0].text, &sp[1].text,
			      &why);
	if (rc == 1 && f == BF_DUP_RESULT) {
		sp[0].off = body_result_key(answer->data, sp[0].off);
		sp[0].len = 0;
		if (sp[0].off == (size_t)-1) {
			rc = -1;
			why = "no \"result\" key before the block";
		} else if (as_result_member(&sp[0].text) < 0) {
			rc = -1;
			why = "out of memory";
		}
	}
	if (rc != 1) {
		log_at(LOG_INFO, LOGF(LF_U("height", e->number),
				      LF_S("fault", body_fault_names[f]),
				      LF_S("why", why ? why : "")),
		       "body fault does not fit the block: not told");
		buf_release(&sp[0].text);
		buf_release(&sp[1].text);
		undraw(bl, e->number);
		return 0;
	}
	if (sp[0].text.len)
		k++;
	else
		buf_release(&sp[0].text);
	if (sp[1].text.len)
		sp[k++] = sp[1];
	pthread_mutex_lock(&bl->lock);
	bl->count[f]++;
	pthread_mutex_unlock(&bl->lock);
	len = strlen(names);
	snprintf(names + len, nameslen - len, "%s%s", len ? "," : "",
		 body_fault_names[f]);
	return k;
}

int body_lies_tell(struct body_lies *bl, struct buf *answer,
		   const struct body_elem *el, size_t n, char *names,
		   size_t nameslen)
{
	struct splice *sp;
	struct buf out = BUF_INIT;
	size_t nsp = 0;
	int rc = 0;

	names[0] = '\0';
	sp = calloc(2 * n + 1, sizeof(*sp));
	if (!sp)
		return 0;
	for (size_t i = 0; i < n; i++)
		nsp += lie(bl, answer, el, n, &el[i], sp + nsp, names,
			   nameslen);
	buf_init(&out, answer->max);
	if (nsp && splice_all(answer, sp, nsp, &out) == 0) {
		buf_release(answer);
		*answer = out;
		out = (struct buf)BUF_INIT;
		rc = 1;
	}
	for (size_t i = 0; i < nsp; i++)
		buf_release(&sp[i].text);
	free(sp);
	buf_release(&out);
	return rc;
}

void body_lies_usage(FILE *out)
{
	fputs("Body faults: lies about a block's body, its hash kept, told in an\n"
	      "answer holding eth_getBlockByNumber(N, true) (and, for those that\n"
	      "touch receipts, eth_getBlockReceipts(N) in the same batch):\n"
	      "  drop-tx      drop the last transaction and its receipt\n"
	      "  tx-value     change the first transaction's value\n"
	      "  log-address  change the first log's address and data\n"
	      "  log-topic    change the first log's last topic\n"
	      "  drop-log     drop the first log\n"
	      "  swap-tx      swap the first two transactions and their receipts\n"
	      "  status       flip the first receipt's status\n"
	      "  dup-keys     a fake \"timestamp\" and \"miner\" before the real ones\n"
	      "  dup-result   two \"result\" members in the answer: first the block\n"
	      "               with tx-value's lie, then the node's\n"
	      "  --body-faults LIST    the kinds, one drawn per lie (default: none)\n"
	      "  --body-heights LIST   heights lied about, e.g. 2,5 (default: all)\n"
	      "  --body-times K|always lie in the first K answers for a height,\n"
	      "                        then tell the truth (default 1), or always\n"
	      "  --body-rate P         probability of a lie for an answer due one\n"
	      "                        (default 1)\n"
	      "A fault that does not fit a block (drop-log without logs...) is not\n"
	      "told (counted in body_misfits). --self-test checks every body fault\n"
	      "on a built-in block and exits 0 when all pass.\n",
	      out);
}
