#!/usr/bin/env bash
# Reorgs during a backfill: the verifier is fed slowly (a filter that
# waits a little per line) while it backfills 120 blocks; when it has
# emitted block 30 the node reorgs 100 deep (ancestor 20) and at once 10
# deep again. The verifier, at 30 with old-branch blocks still queued,
# must orphan back to the right ancestor, drop the stale queued blocks
# and end equal to the node.
. "$(dirname "$0")/verifier_helpers.bash"

v_anvil_start
v_mine 120
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --lag-wait 2s \
	-- perl -ne '$| = 1; print; select(undef, undef, undef, 0.02)'
OUT=$T/p.out
v_wait_until 60 "block 30" v_has_block "$OUT" 30
v_rpc anvil_reorg "[100, [[$(v_tx_obj 1), 0], [$(v_tx_obj 2), 50]]]" >/dev/null
v_rpc anvil_reorg "[10, [[$(v_tx_obj 3), 3]]]" >/dev/null
v_mine 1
v_wait_until 90 "the stream to equal the node" v_synced "$OUT" 0
n=$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)
[ "$n" -ge 1 ] || v_fail "no reorg message"
jq -c 'select(.type == "reorg") | .ancestor.number' "$OUT" | head -n 1 | grep -qx 20 ||
	v_fail "first reorg does not go back to 20: $(jq -c 'select(.type == "reorg")' "$OUT" | head -n 1)"
v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
v_log "$n reorg message(s)"
pass
