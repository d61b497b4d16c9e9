#!/usr/bin/env bash
# A node that lags is not a reorg: the verifier's node answers null for a
# third of its requests (bin/faultproxy --faults null), as a load-balanced
# pool with a lagging member does, while the verifier fills gaps (awk
# drops heights) and resolves a real reorg. Nothing is orphaned because a
# block was missing: exactly one reorg, of the right depth, and the stream
# equals the node's chain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
for i in $(seq 12); do send_tx "$i"; done
proxy_start proxy --faults null --fault-rate 0.33 --seed 11 --log "$T/proxy.log"

drop=$(keep_heights 'n != 4 && n != 8 && n != 9 && n != 15')
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$PROXY" --lag-wait 60s -- perl -e "$drop"
OUT=$T/p.out
wait_until 60 'stream_synced "$OUT" 0' "blocks 0..12"
rpc anvil_reorg "[3, [[$(tx_json 77), 1]]]" >/dev/null
mine 4
wait_until 60 'stream_synced "$OUT" 0' "the stream after the reorg"
[ "$(jq -r 'select(.fault == "null") | .n' "$T/proxy.log" | wc -l)" -gt 0 ] ||
	fail "the proxy injected no null answer"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || fail "expected exactly one reorg: $msg"
jq -e '.ancestor.number == 9 and .depth == 3' <<<"$msg" >/dev/null || fail "wrong reorg: $msg"
gaps=" $(jq -c 'select(.reason == "gap") | .number' "$OUT" | sort -n | tr '\n' ' ')"
for h in 4 8 9 15; do
	case $gaps in *" $h "*) ;; *) fail "height $h not filled as a gap: $gaps" ;; esac
done
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
pass
