/* The hash of an Ethereum block header, recomputed from the fields of the
 * node's eth_getBlockByNumber result: Keccak-256 of the RLP list
 *
 *   parentHash, sha3Uncles, miner, stateRoot, transactionsRoot,
 *   receiptsRoot, logsBloom, difficulty, number, gasLimit, gasUsed,
 *   timestamp, extraData, mixHash, nonce,
 *
 * then, each when present (London, Shanghai, Cancun, Prague): baseFeePerGas,
 * withdrawalsRoot, blobGasUsed, excessBlobGas, parentBeaconBlockRoot,
 * requestsHash. Quantities are minimal big-endian integers; hashes,
 * addresses, the bloom and the nonce are fixed-width byte strings.
 *
 * An absent fork field is skipped, also when a later one is present: that
 * is how alloy (reth, anvil) encodes such a header (anvil's London genesis
 * has blobGasUsed and excessBlobGas but no withdrawalsRoot), and geth never
 * produces one. JSON null counts as absent. */
#ifndef HEADER_H
#define HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "hex.h"

struct buf;

/* RLP-encode the header of the block object block[0..len) (raw JSON text
 * of one object; its other members, transactions included, are skipped)
 * into out. 0, or -1 with a reason in *why (a static string, or a field
 * name with its problem written into whybuf when given). */
int header_rlp(const char *block, size_t len, struct buf *out,
	       char *whybuf, size_t whylen);

/* Keccak-256 of header_rlp(): the block hash as "0x" + 64 lowercase hex
 * digits in hash[HASH_HEX_SIZE]. 0 or -1 with a reason in whybuf. */
int header_hash(const char *block, size_t len, char hash[HASH_HEX_SIZE], char *whybuf,
		size_t whylen);

/* What header_inspect() reads from a block object. */
struct header_info {
	uint64_t number;
	char hash[HASH_HEX_SIZE];        /* the block's own "hash" member, as sent */
	char parent_hash[HASH_HEX_SIZE]; /* its "parentHash" */
	char computed[HASH_HEX_SIZE];    /* Keccak-256 of the RLP header, lowercase */
};

/* Read number, hash and parentHash of the block object and recompute its
 * hash in one pass. 0, or -1 with a reason in whybuf (a field missing or
 * malformed: the header cannot be hashed). Comparing computed with hash
 * is the caller's business (case-insensitively). */
int header_inspect(const char *block, size_t len, struct header_info *hi,
		   char *whybuf, size_t whylen);
/* The same on the block object's tree (json_parse(), message_read_tree()):
 * the block is not parsed again. Its strings are read as decoded. */
int header_inspect_tree(yajl_val block, struct header_info *hi,
			char *whybuf, size_t whylen);

#endif
