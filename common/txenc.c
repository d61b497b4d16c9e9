#include "txenc.h"

#include <stdio.h>
#include <string.h>

#include "jrlp.h"
#include "json.h"
#include "keccak.h"
#include "rlp.h"
#include "banned.h"

enum kind { K_QTY, K_TO, K_DATA, K_ACCESS, K_BLOBS, K_AUTH };

struct field {
	const char *name;
	enum kind kind;
};

#define MAXF 12

/* The unsigned fields of each type, in envelope order. */
static const struct field layouts[5][MAXF] = {
	{ { "nonce", K_QTY }, { "gasPrice", K_QTY }, { "gas", K_QTY },
	  { "to", K_TO }, { "value", K_QTY }, { "input", K_DATA } },
	{ { "chainId", K_QTY }, { "nonce", K_QTY }, { "gasPrice", K_QTY },
	  { "gas", K_QTY }, { "to", K_TO }, { "value", K_QTY },
	  { "input", K_DATA }, { "accessList", K_ACCESS } },
	{ { "chainId", K_QTY }, { "nonce", K_QTY },
	  { "maxPriorityFeePerGas", K_QTY }, { "maxFeePerGas", K_QTY },
	  { "gas", K_QTY }, { "to", K_TO }, { "value", K_QTY },
	  { "input", K_DATA }, { "accessList", K_ACCESS } },
	{ { "chainId", K_QTY }, { "nonce", K_QTY },
	  { "maxPriorityFeePerGas", K_QTY }, { "maxFeePerGas", K_QTY },
	  { "gas", K_QTY }, { "to", K_TO }, { "value", K_QTY },
	  { "input", K_DATA }, { "accessList", K_ACCESS },
	  { "maxFeePerBlobGas", K_QTY }, { "blobVersionedHashes", K_BLOBS } },
	{ { "chainId", K_QTY }, { "nonce", K_QTY },
	  { "maxPriorityFeePerGas", K_QTY }, { "maxFeePerGas", K_QTY },
	  { "gas", K_QTY }, { "to", K_TO }, { "value", K_QTY },
	  { "input", K_DATA }, { "accessList", K_ACCESS },
	  { "authorizationList", K_AUTH } },
};

/* accessList: [[address, [storageKey...]]...] */
static int put_access(struct txenc *e, struct buf *out, yajl_val v)
{
	if (!v || !YAJL_IS_ARRAY(v))
		return -1;
	buf_reset(&e->list);
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val a = v->u.array.values[i];

		buf_reset(&e->entry);
		if (jrlp_fixed(&e->entry, json_get(a, "address"), 20) < 0 ||
		    jrlp_fixed_list(&e->entry, json_get(a, "storageKeys"), 32,
				    &e->scratch) < 0 ||
		    rlp_put_list(&e->list, e->entry.data, e->entry.len) < 0)
			return -1;
	}
	return rlp_put_list(out, e->list.data, e->list.len);
}

/* The signature's parity: yParity, or v where a node sends only that. */
static yajl_val parity(yajl_val obj)
{
	yajl_val y = json_get(obj, "yParity");

	return y && !YAJL_IS_NULL(y) ? y : json_get(obj, "v");
}

/* authorizationList: [[chainId, address, nonce, yParity, r, s]...] */
static int put_auth(struct txenc *e, struct buf *out, yajl_val v)
{
	if (!v || !YAJL_IS_ARRAY(v))
		return -1;
	buf_reset(&e->list);
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val a = v->u.array.values[i];

		buf_reset(&e->entry);
		if (jrlp_qty(&e->entry, json_get(a, "chainId")) < 0 ||
		    jrlp_fixed(&e->entry, json_get(a, "address"), 20) < 0 ||
		    jrlp_qty(&e->entry, json_get(a, "nonce")) < 0 ||
		    jrlp_qty(&e->entry, parity(a)) < 0 ||
		    jrlp_qty(&e->entry, json_get(a, "r")) < 0 ||
		    jrlp_qty(&e->entry, json_get(a, "s")) < 0 ||
		    rlp_put_list(&e->list, e->entry.data, e->entry.len) < 0)
			return -1;
	}
	return rlp_put_list(out, e->list.data, e->list.len);
}

static int put_field(struct txenc *e, const struct field *f, yajl_val tx)
{
	yajl_val v = json_get(tx, f->name);

	switch (f->kind) {
	case K_QTY:
		return jrlp_qty(&e->fields, v);
	case K_TO:
		e->create = !v || YAJL_IS_NULL(v);
		return jrlp_to(&e->fields, v);
	case K_DATA:
		return jrlp_data(&e->fields, v, &e->scratch);
	case K_ACCESS:
		return put_access(e, &e->fields, v);
	case K_BLOBS:
		return jrlp_fixed_list(&e->fields, v, 32, &e->scratch);
	case K_AUTH:
		return put_auth(e, &e->fields, v);
	}
	return -1;
}

static enum txenc_status bad(char *why, size_t whylen, const char *field)
{
	snprintf(why, whylen, "%s", field);
	return TXENC_BAD;
}

/* Legacy v: 27/28 before EIP-155, chainId * 2 + 35/36 after; the signed
 * list then ends with chainId, 0, 0. */
static int legacy_sig(struct txenc *e, yajl_val tx)
{
	uint64_t v;
	size_t unsigned_len = e->fields.len;

	if (json_get_u64(tx, "v", &v) < 0)
		return -1;
	if (e->no_sighash)
		return rlp_put_uint(&e->fields, v);
	if (v == 27 || v == 28) {
		e->recid = (int)(v - 27);
	} else if (v >= 35) {
		e->recid = (int)((v - 35) & 1);
		if (rlp_put_uint(&e->fields, (v - 35) / 2) < 0 ||
		    rlp_put_bytes(&e->fields, "", 0) < 0 ||
		    rlp_put_bytes(&e->fields, "", 0) < 0)
			return -1;
	} else {
		return -1;
	}
	buf_reset(&e->item);
	if (rlp_put_list(&e->item, e->fields.data, e->fields.len) < 0)
		return -1;
	keccak256(e->item.data, e->item.len, e->sighash);
	e->fields.len = unsigned_len;
	return rlp_put_uint(&e->fields, v);
}

/* Typed: the signed bytes are type || rlp[unsigned fields]. */
static int typed_sig(struct txenc *e, yajl_val tx)
{
	struct keccak256 k;
	uint8_t t = (uint8_t)e->type;
	uint64_t y;

	if (!e->no_sighash) {
		buf_reset(&e->item);
		if (rlp_put_list(&e->item, e->fields.data, e->fields.len) < 0)
			return -1;
		keccak256_init(&k);
		keccak256_update(&k, &t, 1);
		keccak256_update(&k, e->item.data, e->item.len);
		keccak256_final(&k, e->sighash);
	}
	if (jrlp_qty(&e->fields, parity(tx)) < 0 ||
	    json_hex_u64(YAJL_IS_STRING(parity(tx)) ? parity(tx)->u.string
						     : NULL, &y) < 0 ||
	    y > 1)
		return -1;
	e->recid = (int)y;
	return 0;
}

static int tx_type(yajl_val tx, uint64_t *type)
{
	yajl_val t = json_get(tx, "type");

	*type = 0;
	if (!t || YAJL_IS_NULL(t))
		return 0; /* nodes before EIP-2718 send no type */
	return json_get_u64(tx, "type", type);
}

enum txenc_status txenc_encode(struct txenc *e, yajl_val tx, char *why,
			       size_t whylen)
{
	uint64_t type;
	const struct field *f;

	if (!tx || !YAJL_IS_OBJECT(tx))
		return bad(why, whylen, "transaction (not an object)");
	if (tx_type(tx, &type) < 0)
		return bad(why, whylen, "type");
	if (type > 4) {
		snprintf(why, whylen, "0x%llx", (unsigned long long)type);
		return TXENC_UNKNOWN_TYPE;
	}
	e->type = (unsigned)type;
	e->create = 0;
	buf_reset(&e->fields);
	for (f = layouts[type]; f < layouts[type] + MAXF && f->name; f++)
		if (put_field(e, f, tx) < 0)
			return bad(why, whylen, f->name);
	if (jrlp_qty32(json_get(tx, "nonce"), e->nonce) < 0)
		return bad(why, whylen, "nonce");
	if ((type ? typed_sig(e, tx) : legacy_sig(e, tx)) < 0)
		return bad(why, whylen, type ? "yParity" : "v");
	if (jrlp_qty32(json_get(tx, "r"), e->r) < 0 ||
	    jrlp_qty(&e->fields, json_get(tx, "r")) < 0)
		return bad(why, whylen, "r");
	if (jrlp_qty32(json_get(tx, "s"), e->s) < 0 ||
	    jrlp_qty(&e->fields, json_get(tx, "s")) < 0)
		return bad(why, whylen, "s");
	buf_reset(&e->env);
	if ((type && buf_addch(&e->env, (char)type) < 0) ||
	    rlp_put_list(&e->env, e->fields.data, e->fields.len) < 0)
		return bad(why, whylen, "transaction (out of memory)");
	keccak256(e->env.data, e->env.len, e->hash);
	return TXENC_OK;
}

void txenc_release(struct txenc *e)
{
	buf_release(&e->env);
	buf_release(&e->fields);
	buf_release(&e->scratch);
	buf_release(&e->item);
	buf_release(&e->entry);
	buf_release(&e->list);
}
