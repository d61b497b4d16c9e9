#!/usr/bin/env bash
# Reorgs during a backfill: the verifier is fed slowly (a filter that
# waits a little per line) while it backfills 120 blocks; when it has
# emitted block 30 the node reorgs 100 deep (ancestor 20) and at once 10
# deep again. The verifier, at 30 with old-branch blocks still queued,
# must orphan back to the right ancestor, drop the stale queued blocks
# and end equal to the node.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
mine 120
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --lag-wait 2s \
	-- perl -ne '$| = 1; print; select(undef, undef, undef, 0.02)'
OUT=$T/p.out
wait_until 60 'stream_has_block "$OUT" 30' "block 30"
rpc anvil_reorg "[100, [[$(tx_json 1), 0], [$(tx_json 2), 50]]]" >/dev/null
rpc anvil_reorg "[10, [[$(tx_json 3), 3]]]" >/dev/null
mine 1
wait_until 90 'stream_synced "$OUT" 0' "the stream to equal the node"
n=$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)
[ "$n" -ge 1 ] || fail "no reorg message"
jq -c 'select(.type == "reorg") | .ancestor.number' "$OUT" | head -n 1 | grep -qx 20 ||
	fail "first reorg does not go back to 20: $(jq -c 'select(.type == "reorg")' "$OUT" | head -n 1)"
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
note "$n reorg message(s)"
pass
