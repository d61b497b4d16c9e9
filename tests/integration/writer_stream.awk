# A synthetic verifier stream for the writer's tests: well-formed `block`
# messages (fake but valid hashes, transactions, receipts, logs), `reorg`
# messages and heartbeats, with seq = epoch << 32 | counter.
#
#   awk -v blocks=120 -v reorg_every=25 -v depth=3 -v expect=FILE \
#       -f writer_stream.awk
#
# Prints the stream on stdout; with expect=FILE writes the final canonical
# chain there, one "number hash" line a height (hash without 0x), for the
# tests to compare with canonical_blocks. chain_id 31337 unless chain=N.
# Every reorg_every-th height the chain reorganizes: the last `depth`
# blocks are replaced by a new branch; every third reorg is marked deep.

function h32(branch, height, salt) {
	return sprintf("%08x%08x%08x", branch, height, salt) "00000000000000000000000000000000000000aa"
}
function hash_of(height) {
	return h32(br[height], height, 1)
}
function addr(n) {
	return sprintf("%040x", n)
}
function hex(n) {
	return sprintf("0x%x", n)
}
function next_seq() {
	counter++
	return epoch * 4294967296 + counter
}
function block_msg(height,    nt, i, j, txs, rcs, logs, th, nl, li, blk, parent, val) {
	nt = (height * 7 + br[height]) % 4
	txs = ""; rcs = ""; li = 0
	for (i = 0; i < nt; i++) {
		th = h32(br[height], height, 100 + i)
		# every 5th transaction moves a 256-bit value
		val = ((height + i) % 5 == 0) ? "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" : hex(1000000000 * (i + 1) + height)
		txs = txs (i ? "," : "") sprintf("{\"hash\":\"0x%s\",\"from\":\"0x%s\",\"to\":%s,\"value\":\"%s\",\"gas\":\"0x5208\",\"gasPrice\":\"0x3b9aca00\",\"maxFeePerGas\":\"0x77359400\",\"maxPriorityFeePerGas\":\"0x1\",\"nonce\":\"%s\",\"type\":\"0x2\",\"input\":\"0x%s\",\"transactionIndex\":\"%s\",\"blockHash\":\"0x%s\",\"blockNumber\":\"%s\"}",
			th, addr(height % 13 + 1), (i == 3 ? "null" : "\"0x" addr(i + 100) "\""), val, hex(height), (i % 2 ? "a9059cbb" : ""), hex(i), hash_of(height), hex(height))
		nl = (height + i) % 3
		logs = ""
		for (j = 0; j < nl; j++) {
			logs = logs (j ? "," : "") sprintf("{\"address\":\"0x%s\",\"topics\":[\"0x%s\"%s],\"data\":\"0x%064x\",\"logIndex\":\"%s\",\"transactionIndex\":\"%s\",\"transactionHash\":\"0x%s\",\"blockHash\":\"0x%s\",\"blockNumber\":\"%s\",\"removed\":false}",
				addr(7), h32(0, j, 77), (j ? ",\"0x" h32(0, height, 78) "\"" : ""), height * 10 + j, hex(li), hex(i), th, hash_of(height), hex(height))
			li++
		}
		rcs = rcs (i ? "," : "") sprintf("{\"transactionHash\":\"0x%s\",\"transactionIndex\":\"%s\",\"blockHash\":\"0x%s\",\"blockNumber\":\"%s\",\"status\":\"0x1\",\"gasUsed\":\"0x5208\",\"cumulativeGasUsed\":\"%s\",\"effectiveGasPrice\":\"0x3b9aca01\",\"contractAddress\":%s,\"logs\":[%s]}",
			th, hex(i), hash_of(height), hex(height), hex(21000 * (i + 1)), (i == 3 ? "\"0x" addr(999) "\"" : "null"), logs)
	}
	parent = height ? hash_of(height - 1) : "0000000000000000000000000000000000000000000000000000000000000000"
	blk = sprintf("{\"number\":\"%s\",\"hash\":\"0x%s\",\"parentHash\":\"0x%s\",\"timestamp\":\"%s\",\"miner\":\"0x%s\",\"gasUsed\":\"%s\",\"gasLimit\":\"0x1c9c380\",\"baseFeePerGas\":\"0x7\",\"size\":\"0x%x\",\"stateRoot\":\"0x%s\",\"transactionsRoot\":\"0x%s\",\"receiptsRoot\":\"0x%s\",\"extraData\":\"0x\",\"nonce\":\"0x0000000000000000\",\"difficulty\":\"0x0\",\"mixHash\":\"0x%s\",\"sha3Uncles\":\"0x%s\",\"blobGasUsed\":\"0x0\",\"excessBlobGas\":\"0x0\",\"withdrawalsRoot\":\"0x%s\",\"transactions\":[%s]}",
		hex(height), hash_of(height), parent, hex(1700000000 + height * 12), addr(42), hex(21000 * nt), 600 + nt * 100, h32(br[height], height, 2), h32(br[height], height, 3), h32(br[height], height, 4), h32(0, 0, 5), h32(0, 0, 6), h32(0, 0, 7), txs)
	printf("{\"type\":\"block\",\"chain_id\":%d,\"number\":%d,\"hash\":\"0x%s\",\"parent_hash\":\"0x%s\",\"live\":false,\"fetched_at\":1700000000000,\"block\":%s,\"receipts\":[%s],\"seq\":%.0f,\"emitted_at\":%.0f}\n",
		chain, height, hash_of(height), parent, blk, rcs, next_seq(), 1700000000000 + counter)
}
function reorg_msg(tip, d,    i, orph, anc, s, deep) {
	anc = tip - d
	orph = ""
	nreorg++
	deep = (nreorg % 3 == 0)
	# a deep reorg lists only some of the hashes it held
	for (i = anc + 1 + (deep ? 1 : 0); i <= tip; i++)
		orph = orph (orph == "" ? "" : ",") sprintf("{\"number\":%d,\"hash\":\"0x%s\"}", i, hash_of(i))
	for (i = anc + 1; i <= tip; i++)
		br[i] = br[i] + 1
	s = next_seq()
	printf("{\"type\":\"reorg\",\"chain_id\":%d,\"seq\":%.0f,\"emitted_at\":%.0f,\"ancestor\":{\"number\":%d,\"hash\":\"0x%s\"},\"orphaned\":[%s],\"new_tip\":{\"number\":%d,\"hash\":\"0x%s\"},\"depth\":%d,\"deep\":%s,\"invalidate_from\":%d,\"invalidate_to\":%d,\"below_finalized\":false}\n",
		chain, s, 1700000000000 + counter, anc, hash_of(anc), orph, tip, hash_of(tip), d, deep ? "true" : "false", anc + 1, tip)
}
BEGIN {
	if (chain == "") chain = 31337
	if (blocks == "") blocks = 100
	if (reorg_every == "") reorg_every = 0
	if (depth == "") depth = 3
	if (epoch == "") epoch = 1
	counter = 0
	for (h = 0; h < blocks; h++) {
		br[h] = 0
		block_msg(h)
		if (h % 10 == 9)
			printf("{\"type\":\"heartbeat\",\"chain_id\":%d,\"seq\":%.0f,\"prog\":\"verifier\",\"time\":1700000000000,\"tip\":{\"number\":%d,\"hash\":\"0x%s\"}}\n", chain, next_seq(), h, hash_of(h))
		if (reorg_every > 0 && h >= depth && h % reorg_every == reorg_every - 1 && h + 1 < blocks) {
			reorg_msg(h, depth)
			for (k = h - depth + 1; k <= h; k++)
				block_msg(k)
		}
	}
	if (expect != "") {
		for (h = 0; h < blocks; h++)
			print h, hash_of(h) > expect
		close(expect)
	}
}
