#!/usr/bin/env bash
# A node that lags is not a reorg: the verifier's node answers null for a
# third of its requests (bin/faultproxy --faults null), as a load-balanced
# pool with a lagging member does, while the verifier fills gaps (awk
# drops heights) and resolves a real reorg. Nothing is orphaned because a
# block was missing: exactly one reorg, of the right depth, and the stream
# equals the node's chain.
. "$(dirname "$0")/verifier_helpers.bash"

[ -x "$V_BIN/faultproxy" ] || v_fail "bin/faultproxy is not built"
AWK_UNBUF=
awk -W version 2>&1 | grep -q mawk && AWK_UNBUF="-W interactive"
v_anvil_start
for i in $(seq 12); do v_send "$i"; done
bg_run proxy "$V_BIN/faultproxy" --listen 0 --upstream "$V_RPC" --faults null \
	--fault-rate 0.33 --seed 11 --log "$T/proxy.log"
v_wait_until 30 "the proxy to listen" grep -q 'listening on' "$T/proxy.out"
PROXY=http://$(sed -n 's/.*listening on \([0-9.:]*\).*/\1/p' "$T/proxy.out" | head -n 1)

drop='{ n = -1; if (match($0, /"number":[0-9]+/)) n = substr($0, RSTART + 9, RLENGTH - 9) + 0 }
      n != 4 && n != 8 && n != 9 && n != 15 { print; fflush() }'
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$PROXY" --lag-wait 60s -- awk $AWK_UNBUF "$drop"
OUT=$T/p.out
v_wait_until 60 "blocks 0..12" v_synced "$OUT" 0
v_rpc anvil_reorg "[3, [[$(v_tx_obj 77), 1]]]" >/dev/null
v_mine 4
v_wait_until 60 "the stream after the reorg" v_synced "$OUT" 0
[ "$(jq -r 'select(.fault == "null") | .n' "$T/proxy.log" | wc -l)" -gt 0 ] ||
	v_fail "the proxy injected no null answer"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || v_fail "expected exactly one reorg: $msg"
jq -e '.ancestor.number == 9 and .depth == 3' <<<"$msg" >/dev/null || v_fail "wrong reorg: $msg"
gaps=" $(jq -c 'select(.reason == "gap") | .number' "$OUT" | sort -n | tr '\n' ' ')"
for h in 4 8 9 15; do
	case $gaps in *" $h "*) ;; *) v_fail "height $h not filled as a gap: $gaps" ;; esac
done
v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
pass
