#!/usr/bin/env bash
# Reorgs while a walk-back runs: the verifier's node is slow (the fault
# proxy delays a third of its requests by 0.2..2 s), so the walk-back of a
# 10-deep reorg takes seconds, and the node reorgs again (6 deep, then 3
# deep) meanwhile. Whatever the verifier saw in between, the stream it
# emits must apply to exactly the node's final chain, with seq increasing,
# and every reorg message must be consistent (ancestor below the orphans,
# depth = old tip - ancestor).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
mine 40
proxy_start proxy --faults delay --fault-rate 0.33 --seed 5
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$PROXY"
OUT=$T/p.out
wait_until 60 'stream_synced "$OUT" 0' "blocks 0..40"

rpc anvil_reorg "[10, [[$(tx_json 1), 2]]]" >/dev/null
mine 1
sleep 1
rpc anvil_reorg "[6, [[$(tx_json 2), 0]]]" >/dev/null
mine 1
sleep 1
rpc anvil_reorg "[3, [[$(tx_json 5), 1]]]" >/dev/null
mine 2
wait_until 90 'stream_synced "$OUT" 0' "the stream to settle on the node's chain"
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
jq -c 'select(.type == "reorg")' "$OUT" >"$T/reorgs"
[ -s "$T/reorgs" ] || fail "no reorg message"
jq -e -s 'all(.[]; .depth == .invalidate_to - .ancestor.number and
	.invalidate_from == .ancestor.number + 1 and
	all(.orphaned[]; .number > 0))' "$T/reorgs" >/dev/null ||
	fail "inconsistent reorg message: $(cat "$T/reorgs")"
note "$(wc -l <"$T/reorgs") reorg message(s)"
pass
