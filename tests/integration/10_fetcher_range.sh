#!/usr/bin/env bash
# A range of 200 blocks with transactions and logs: the fetcher's stream
# equals what the node returns (hashes, transaction, receipt and log
# counts), every height once, in order; `fetcher | jq .number` works.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"

anvil_start
traffic_blocks 200
head=$(node_head)
[ "$head" -ge 200 ] || fail "devnet has only $head blocks"

"$BIN/fetcher" --rpc "$RPC" --from 0 --to 200 --concurrency 6 --batch 3 \
	>"$T/out.ndjson" 2>"$T/fetcher.err" || fail "fetcher exited $?: $(tail -3 "$T/fetcher.err")"

assert_eq "$(seq 0 200)" "$(jq .number "$T/out.ndjson")" "heights 0..200 once each, in order"
node_chain 0 200 >"$T/node.txt"
stream_chain "$T/out.ndjson" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >"$T/diff.txt" || fail "stream differs from the node: $(head -5 "$T/diff.txt")"
# Real traffic: most blocks have several transactions and logs.
txs=$(awk '{s += $3} END {print s}' "$T/stream.txt")
logs=$(awk '{s += $5} END {print s}' "$T/stream.txt")
[ "$txs" -ge 400 ] || fail "only $txs transactions in 200 blocks"
[ "$logs" -ge 100 ] || fail "only $logs logs in 200 blocks"
# Every message carries the fields of docs/protocol.md.
bad=$(jq -c 'select(.type != "block" or .chain_id != 31337 or .live != false
	or (.parent_hash | test("^0x[0-9a-f]{64}$") | not)
	or .block.parentHash != .parent_hash or .block.hash != .hash
	or (.fetched_at | type) != "number")' "$T/out.ndjson" | head -1)
[ -z "$bad" ] || fail "malformed message: ${bad:0:200}"

# Bytes of the node's result pass through unchanged.
rpc eth_getBlockByNumber '["0x64",true]' | jq -S . >"$T/node100.json"
jq -S 'select(.number == 100) | .block' "$T/out.ndjson" >"$T/ours100.json"
cmp -s "$T/node100.json" "$T/ours100.json" || fail "block 100 differs from the node's answer"

# --to head and a pipe into jq.
n=$("$BIN/fetcher" --rpc "$RPC" --from 195 --log-level warn | jq -r .number | wc -l)
assert_eq $((head - 195 + 1)) "$n" "--to defaults to the head"
pass
