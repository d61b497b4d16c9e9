#!/usr/bin/env bash
# The test tooling itself: a private anvil, traffic that makes blocks with
# several transactions and logs (scripts/devnet traffic), rpc, mine.
. "$(dirname "$0")/../lib.sh"

anvil_start
assert_eq 0 "$(node_head)" "fresh anvil head"

# block 1 deploys the emitter contract, blocks 2..4 carry the traffic
traffic_blocks 3
head=$(node_head)
[ "$head" -ge 4 ] || fail "head is $head after traffic_blocks 3, expected >= 4"

receipts=$(rpc eth_getBlockReceipts '["0x3"]')
txs=$(jq length <<<"$receipts")
[ "$txs" -ge 2 ] || fail "block 3 has $txs transactions, expected >= 2"
assert_eq '["0x1"]' "$(jq -c '[.[].status] | unique' <<<"$receipts")" "block 3 receipt statuses"

logs=$(jq '[.[].logs[]] | length' <<<"$receipts")
[ "$logs" -ge 1 ] || fail "block 3 has no logs"
# every log is the emitter's Ping(address,uint256) with topic1 = the sender
bad=$(jq --arg t "$PING_TOPIC" '[.[] | .from as $from | .logs[]
	| select(.topics[0] != $t or .topics[1] != ("0x" + ("0" * 24) + ($from | ltrimstr("0x"))))]
	| length' <<<"$receipts")
assert_eq 0 "$bad" "logs in block 3 with unexpected topics"

# the block body agrees with the receipts
block_txs=$(rpc eth_getBlockByNumber '["0x3", false]' | jq '.transactions | length')
assert_eq "$txs" "$block_txs" "block 3 transaction count, block vs receipts"

mine 2
assert_eq $((head + 2)) "$(node_head)" "head after mine 2"

pass
