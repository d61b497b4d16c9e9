/* Block body verification: everything a writer stores from a `block`
 * message (docs/protocol.md) that the block hash does not cover is checked
 * against the header's roots or against itself.
 *
 * Against the header:
 *   transactionsRoot  trie root of the transactions' envelopes (txenc.h)
 *   receiptsRoot      trie root of the receipts (receipt.h)
 *   logsBloom         each receipt's bloom from its logs, the block's as
 *                     the OR of the receipts'
 *   withdrawalsRoot   trie root of rlp[index, validatorIndex, address,
 *                     amount] (Shanghai on)
 * For consistency, per transaction: hash = Keccak-256 of the envelope,
 * from = the recovered signer (when asked), blockHash, blockNumber and
 * transactionIndex of every transaction, receipt and log, logIndex
 * sequential across the block, the receipt's transactionHash, as many
 * receipts as transactions, contractAddress (creations only),
 * effectiveGasPrice (and a typed transaction's gasPrice), gasUsed =
 * the difference of cumulativeGasUsed.
 *
 * The first failure found is reported, in this order: the message's
 * shape, the receipt count, then transaction by transaction (envelope,
 * hash, sender, the transaction's fields, the receipt's, its logs', its
 * bloom, gas), then the block's logsBloom, transactionsRoot,
 * receiptsRoot and withdrawalsRoot. So a changed transaction field shows
 * as tx_hash, a changed log address or topic as logsBloom, a changed log
 * data or status as receiptsRoot.
 *
 * A struct body_checker holds work buffers and a libsecp256k1 context:
 * make one and reuse it for every block. Not thread-safe. */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

enum body_field {
	BODY_OK = 0,
	BODY_TRANSACTIONS_ROOT,
	BODY_RECEIPTS_ROOT,
	BODY_LOGS_BLOOM,
	BODY_WITHDRAWALS_ROOT,
	BODY_TX_HASH,
	BODY_FROM,
	BODY_BLOCK_HASH,
	BODY_BLOCK_NUMBER,
	BODY_TRANSACTION_INDEX,
	BODY_LOG_INDEX,
	BODY_TRANSACTION_HASH,
	BODY_RECEIPT_COUNT,
	BODY_CONTRACT_ADDRESS,
	BODY_EFFECTIVE_GAS_PRICE,
	BODY_GAS_USED,
	BODY_UNKNOWN_TYPE,
	BODY_MALFORMED,
	BODY_NFIELDS
};

/* The field's name as metrics and logs spell it ("transactionsRoot",
 * "tx_hash", ... "malformed"); "ok" for BODY_OK. */
const char *body_field_name(enum body_field f);

/* What differed, for a log line. Strings are NUL-terminated, possibly
 * empty, and cut to their size. */
struct body_report {
	enum body_field field;
	char where[64];     /* "block", "transactions[3]", "receipts[2].logs[0]" */
	char expected[136]; /* computed or required value */
	char got[136];      /* what the message says */
};

struct body_checker;

/* recover_sender: recover every transaction's signer to check `from`.
 * NULL when out of memory. */
struct body_checker *body_checker_new(int recover_sender);
void body_checker_free(struct body_checker **c);

/* Check the message object msg (members "block" and "receipts", as in a
 * block message or the test fixtures). BODY_OK, or the field that failed
 * with the details in *rep. */
enum body_field body_check(struct body_checker *c, yajl_val msg,
			   struct body_report *rep);

/* The same on the message's text text[0..len) (need not be
 * NUL-terminated); text that is not JSON is BODY_MALFORMED. */
enum body_field body_check_text(struct body_checker *c, const char *text,
				size_t len, struct body_report *rep);

#endif
