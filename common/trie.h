/* The root of a Merkle-Patricia trie (yellow paper, appendix D) built in
 * memory from all its (key, value) pairs at once: the roots of a block's
 * transactions, receipts and withdrawals, whose keys are RLP(index).
 *
 * Nodes are leaves [hex-prefix(path, leaf), value], extensions
 * [hex-prefix(path), child] and 17-item branches; a child whose encoding
 * is shorter than 32 bytes is embedded, otherwise referenced by its
 * Keccak-256. The root is always hashed. Nothing here allocates beyond
 * the call: the caller owns keys, values and the result. */
#ifndef TRIE_H
#define TRIE_H

#include <stddef.h>
#include <stdint.h>

/* Keccak-256 of RLP("") : the root of a trie without keys. */
extern const uint8_t trie_empty_root[32];

struct trie_item {
	const uint8_t *key;
	size_t keylen;
	const uint8_t *val; /* the value's bytes (stored as an RLP string) */
	size_t vallen;
};

/* Root of the trie holding items[0..n). Sorts items in place by key.
 * Keys are at most 64 bytes. 0, or -1 when two keys are equal, a key is
 * longer, or out of memory. */
int trie_root(struct trie_item *items, size_t n, uint8_t root[32]);

/* Root of the ordered list of n values, value i at key RLP(i):
 * value i is data[off[i] .. off[i+1]) (off has n+1 entries). 0 or -1
 * (out of memory). */
int trie_root_list(const uint8_t *data, const size_t *off, size_t n,
		   uint8_t root[32]);

#endif
