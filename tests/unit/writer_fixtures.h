/* The messages the writer's unit suites decode: one valid block at height
 * 16 with one transaction and one log, one valid reorg, and a variant of
 * either made with subst() (check_decode.c, check_batch.c). Included by one
 * test file each, so its definitions are static. */
#ifndef WRITER_FIXTURES_H
#define WRITER_FIXTURES_H

#include "msg_fixture.h" /* H() and subst() */

#define A(c) "0x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c

/* One block at height 16 (0x10) with one transaction and one log. */
static const char block_msg[] =
	"{\"type\":\"block\",\"chain_id\":1,\"number\":16,"
	"\"hash\":\"" H("b") "\",\"parent_hash\":\"" H("a") "\",\"live\":false,"
	"\"block\":{\"number\":\"0x10\",\"hash\":\"" H("b") "\",\"parentHash\":\""
	H("a") "\",\"timestamp\":\"0x6553f100\",\"miner\":\"" A("1") "\","
	"\"gasUsed\":\"0x5208\",\"gasLimit\":\"0x1c9c380\",\"baseFeePerGas\":\"0x7\","
	"\"size\":\"0x2a0\",\"stateRoot\":\"" H("c") "\",\"extraData\":\"0xABCD\","
	"\"transactions\":[{\"hash\":\"" H("d") "\",\"from\":\"" A("2") "\","
	"\"to\":\"" A("3") "\",\"value\":\"0xde0b6b3a7640000\",\"gas\":\"0x5208\","
	"\"gasPrice\":\"0x3b9aca00\",\"nonce\":\"0x5\",\"type\":\"0x2\","
	"\"input\":\"0x\",\"transactionIndex\":\"0x0\"}]},"
	"\"receipts\":[{\"transactionHash\":\"" H("d") "\",\"status\":\"0x1\","
	"\"gasUsed\":\"0x5208\",\"cumulativeGasUsed\":\"0x5208\","
	"\"effectiveGasPrice\":\"0x3b9aca00\",\"contractAddress\":null,"
	"\"logs\":[{\"address\":\"" A("4") "\",\"topics\":[\"" H("e") "\"],"
	"\"data\":\"0x01\",\"logIndex\":\"0x0\"}]}],"
	"\"seq\":4294967297}";

static const char reorg_msg[] =
	"{\"type\":\"reorg\",\"chain_id\":1,\"seq\":4294967300,"
	"\"emitted_at\":1700000000123,"
	"\"ancestor\":{\"number\":14,\"hash\":\"" H("a") "\"},"
	"\"orphaned\":[{\"number\":15,\"hash\":\"" H("5") "\"},"
	"{\"number\":16,\"hash\":\"" H("6") "\"}],"
	"\"new_tip\":{\"number\":17,\"hash\":\"" H("7") "\"},\"depth\":2,"
	"\"deep\":false,\"invalidate_from\":15,\"invalidate_to\":16}";

#endif
