#include "json_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "banned.h"

void json_keys_release(struct json_keys *ks)
{
	for (size_t i = 0; i < ks->maxf; i++)
		free(ks->f[i].tab);
	free(ks->e);
	free(ks->b);
	free(ks->f);
	memset(ks, 0, sizeof(*ks));
}

int json_keys_grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t nc = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (nc < need)
		nc *= 2;
	np = realloc(*p, nc * size);
	if (!np)
		return -1;
	*p = np;
	*cap = nc;
	return 0;
}

/* A container opens: the element it is in (when an array) begins. */
int json_keys_push(struct json_keys *ks, int is_array)
{
	struct json_keys_frame *f;

	if (ks->nf && ks->f[ks->nf - 1].is_array)
		ks->f[ks->nf - 1].index++;
	if (json_keys_grow(&ks->f, &ks->capf, ks->nf + 1, sizeof(*ks->f)) < 0)
		return -1;
	if (ks->nf == ks->maxf)
		ks->f[ks->maxf++] = (struct json_keys_frame){ 0 };
	f = &ks->f[ks->nf++];
	f->e0 = ks->ne;
	f->b0 = ks->nb;
	f->index = 0;
	f->is_array = is_array;
	f->indexed = 0;
	memset(f->seen, 0, sizeof(f->seen));
	return 0;
}

void json_keys_pop(struct json_keys *ks)
{
	struct json_keys_frame *f;

	if (!ks->nf)
		return;
	f = &ks->f[--ks->nf];
	ks->ne = f->e0;
	ks->nb = f->b0;
}

/* A scalar element of the current array begins. */
void json_keys_scalar(struct json_keys *ks)
{
	if (ks->nf && ks->f[ks->nf - 1].is_array)
		ks->f[ks->nf - 1].index++;
}

/* A hash of the key up to a NUL (*n becomes that length): eight bytes
 * a step, each mixed in by a multiply, then a finalizer, so that every
 * bit of the low ones the index and the filter take depends on all. */
static uint32_t key_hash(const char *k, size_t *n)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t h = 0x9e3779b97f4a7c15ull, w;
	size_t i = 0, j;

	for (; i + 8 <= *n; i += 8) {
		memcpy(&w, k + i, 8);
		if ((w - ones) & ~w & ones << 7)
			break; /* a NUL in this word: the key ends there */
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* the rest, fewer than eight bytes to the end or the NUL, byte by
	 * byte (a memcpy of a length not known here is a call, and a
	 * store the load then waits for) */
	w = 0;
	for (j = 0; i + j < *n && k[i + j]; j++)
		w |= (uint64_t)(unsigned char)k[i + j] << 8 * j;
	*n = i + j;
	h = (h ^ w ^ *n) * 0xff51afd7ed558ccdull;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static int ks_same(const struct json_keys *ks, size_t i, uint32_t h,
		   const char *k, size_t n)
{
	const struct json_keys_entry *e = &ks->e[i];

	return e->hash == h && e->len == n &&
	       !memcmp(e->p ? e->p : ks->b + e->off, k, n);
}

/* Index entries [e0, ne) of f in a table of cap slots (a power of 2). */
static int ks_index(struct json_keys *ks, struct json_keys_frame *f, size_t cap)
{
	uint32_t *t = f->tab;

	if (cap > f->tabcap) {
		t = realloc(f->tab, cap * sizeof(*t));
		if (!t)
			return -1;
		f->tab = t;
		f->tabcap = cap;
	}
	cap = f->tabcap;
	memset(t, 0, cap * sizeof(*t));
	for (size_t i = f->e0; i < ks->ne; i++) {
		size_t s = ks->e[i].hash & (cap - 1);

		while (t[s])
			s = (s + 1) & (cap - 1);
		t[s] = (uint32_t)(i + 1);
	}
	f->indexed = 1;
	return 0;
}

/* Add key k to the innermost object: 0, 1 when it is there already, -1
 * when out of memory. */
int json_keys_add(struct json_keys *ks, const char *k, size_t n, int stable)
{
	struct json_keys_frame *f;
	uint32_t h, bit;
	size_t count;

	if (!ks->nf)
		return 0;
	f = &ks->f[ks->nf - 1];
	h = key_hash(k, &n);
	count = ks->ne - f->e0;
	bit = (h ^ h >> 16) & 255;
	if (!(f->seen[bit >> 6] & 1ull << (bit & 63))) {
		f->seen[bit >> 6] |= 1ull << (bit & 63);
	} else if (f->indexed) {
		for (size_t s = h & (f->tabcap - 1); f->tab[s];
		     s = (s + 1) & (f->tabcap - 1))
			if (ks_same(ks, f->tab[s] - 1, h, k, n))
				return 1;
	} else {
		for (size_t i = f->e0; i < ks->ne; i++)
			if (ks_same(ks, i, h, k, n))
				return 1;
	}
	if (json_keys_grow(&ks->e, &ks->cape, ks->ne + 1, sizeof(*ks->e)) < 0 ||
	    ks->ne >= UINT32_MAX)
		return -1;
	if (stable) {
		ks->e[ks->ne++] = (struct json_keys_entry){ h, (uint32_t)n, k, 0 };
	} else {
		if (json_keys_grow(&ks->b, &ks->capb, ks->nb + n + 1, 1) < 0)
			return -1;
		memcpy(ks->b + ks->nb, k, n);
		ks->e[ks->ne++] = (struct json_keys_entry){ h, (uint32_t)n,
							    NULL, ks->nb };
		ks->nb += n;
	}
	count++;
	if ((!f->indexed && count > JSON_KEYS_LINEAR) ||
	    (f->indexed && count * 2 > f->tabcap)) {
		size_t cap = f->indexed ? f->tabcap * 2 : 4 * JSON_KEYS_LINEAR;

		return ks_index(ks, f, cap);
	}
	if (f->indexed) {
		size_t s = h & (f->tabcap - 1);

		while (f->tab[s])
			s = (s + 1) & (f->tabcap - 1);
		f->tab[s] = (uint32_t)ks->ne;
	}
	return 0;
}

/* Printable text of a key for messages: at most 48 bytes, control
 * characters, quotes and backslashes as '?'. */
static void key_text(struct buf *b, const char *k, size_t n)
{
	for (size_t i = 0; i < n && i < 48; i++) {
		unsigned char c = (unsigned char)k[i];

		buf_addch(b, c < 0x20 || c == 0x7f || c == '\'' || c == '"' ||
				     c == '\\' ? '?' : (char)c);
	}
	if (n > 48)
		buf_adds(b, "...");
}

/* "duplicate key 'k' in $.block.transactions[3]": the path of the
 * innermost object, from the frames. */
void json_keys_dup_error(const struct json_keys *ks, const char *k, size_t n,
			 char *err, size_t errlen)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "duplicate key '");
	key_text(&b, k, n);
	buf_adds(&b, "' in $");
	for (size_t i = 1; i < ks->nf && b.len < 200; i++) {
		const struct json_keys_frame *up = &ks->f[i - 1];

		if (up->is_array) {
			buf_addf(&b, "[%zu]", up->index - 1);
		} else if (ks->f[i].e0 > up->e0) {
			const struct json_keys_entry *e = &ks->e[ks->f[i].e0 - 1];

			buf_addch(&b, '.');
			key_text(&b, e->p ? e->p : ks->b + e->off, e->len);
		}
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", b.data ? b.data : "duplicate key");
	buf_release(&b);
}
