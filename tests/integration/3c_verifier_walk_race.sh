#!/usr/bin/env bash
# Reorgs while a walk-back runs: the verifier's node is slow (the fault
# proxy delays a third of its requests by 0.2..2 s), so the walk-back of a
# 10-deep reorg takes seconds, and the node reorgs again (6 deep, then 3
# deep) meanwhile. Whatever the verifier saw in between, the stream it
# emits must apply to exactly the node's final chain, with seq increasing,
# and every reorg message must be consistent (ancestor below the orphans,
# depth = old tip - ancestor).
. "$(dirname "$0")/verifier_helpers.bash"

[ -x "$V_BIN/faultproxy" ] || v_fail "bin/faultproxy is not built"
v_anvil_start
v_mine 40
bg_run proxy "$V_BIN/faultproxy" --listen 0 --upstream "$V_RPC" --faults delay \
	--fault-rate 0.33 --seed 5
v_wait_until 30 "the proxy to listen" grep -q 'listening on' "$T/proxy.out"
PROXY=http://$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$T/proxy.out" | head -n 1)
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$PROXY"
OUT=$T/p.out
v_wait_until 60 "blocks 0..40" v_synced "$OUT" 0

v_rpc anvil_reorg "[10, [[$(v_tx_obj 1), 2]]]" >/dev/null
v_mine 1
sleep 1
v_rpc anvil_reorg "[6, [[$(v_tx_obj 2), 0]]]" >/dev/null
v_mine 1
sleep 1
v_rpc anvil_reorg "[3, [[$(v_tx_obj 5), 1]]]" >/dev/null
v_mine 2
v_wait_until 90 "the stream to settle on the node's chain" v_synced "$OUT" 0
v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
jq -c 'select(.type == "reorg")' "$OUT" >"$T/reorgs"
[ -s "$T/reorgs" ] || v_fail "no reorg message"
jq -e -s 'all(.[]; .depth == .invalidate_to - .ancestor.number and
	.invalidate_from == .ancestor.number + 1 and
	all(.orphaned[]; .number > 0))' "$T/reorgs" >/dev/null ||
	v_fail "inconsistent reorg message: $(cat "$T/reorgs")"
v_log "$(wc -l <"$T/reorgs") reorg message(s)"
pass
