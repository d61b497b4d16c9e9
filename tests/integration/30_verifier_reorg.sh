#!/usr/bin/env bash
# Verifier in follow mode against anvil: anvil_reorg of depth 1, 3 and 20
# (with and without replacement transactions) and anvil_rollback. The
# emitted stream, applied in order, must equal the node's chain height by
# height, seq must strictly increase, and each reorg message must name
# the right ancestor and orphans.
. "$(dirname "$0")/verifier_helpers.bash"

v_anvil_start
v_mine 5
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --window 64
OUT=$V_TMP/p.out
v_wait_until 60 "blocks 0..5 emitted" v_synced "$OUT" 0

# reorg DEPTH TXS-JSON: reorg the node, mine one block on top so the
# fetcher has something new, and check the reorg message.
reorg() {
	local depth=$1 txs=$2 head anc old=() n nreorgs
	head=$(v_head)
	anc=$((head - depth))
	for n in $(seq $((anc + 1)) "$head"); do old+=("$(v_hash "$n")"); done
	local anc_hash
	anc_hash=$(v_hash "$anc")
	nreorgs=$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)
	v_log "anvil_reorg depth $depth at head $head"
	v_rpc anvil_reorg "[$depth, $txs]" >/dev/null
	v_mine 1
	v_wait_until 60 "the stream to follow the reorg of depth $depth" v_synced "$OUT" 0
	local msg
	msg=$(jq -c 'select(.type == "reorg")' "$OUT" | sed -n "$((nreorgs + 1))p")
	[ -n "$msg" ] || v_fail "no reorg message for depth $depth"
	jq -e --argjson anc "$anc" --arg h "$anc_hash" --argjson d "$depth" \
		'.ancestor.number == $anc and .ancestor.hash == $h and .depth == $d
		 and .deep == false and .invalidate_from == $anc + 1' <<<"$msg" >/dev/null ||
		v_fail "reorg message for depth $depth is wrong: $msg"
	local want
	want=$(printf '%s\n' "${old[@]}" | jq -R . | jq -sc .)
	jq -e --argjson w "$want" '[.orphaned[].hash] == $w' <<<"$msg" >/dev/null ||
		v_fail "orphaned list for depth $depth: $msg, want $want"
}

reorg 1 '[]'
v_send 7; v_mine 2
reorg 3 "[[$(v_tx_obj 11), 0], [$(v_tx_obj 12), 2]]"
v_mine 20
v_wait_until 60 "25 more blocks" v_synced "$OUT" 0
reorg 20 "[[$(v_tx_obj 13), 5]]"

# rollback: the chain gets shorter, then grows on another branch past
# the old head (a following fetcher waits for the height after the one it
# sent; 31_verifier_shorter.sh covers a chain that stays shorter)
head=$(v_head)
v_rpc anvil_rollback '[3]' >/dev/null
v_send 21
v_mine 3
[ "$(v_head)" -eq $((head + 1)) ] || v_fail "rollback: unexpected head"
v_wait_until 60 "the stream to follow the rollback" v_synced "$OUT" 0
msg=$(jq -c 'select(.type == "reorg")' "$OUT" | tail -n 1)
jq -e --argjson anc $((head - 3)) --argjson old "$head" \
	'.ancestor.number == $anc and .invalidate_to == $old and .depth == 3
	 and (.orphaned | length) == 3' <<<"$msg" >/dev/null ||
	v_fail "rollback reorg message is wrong: $msg"

v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
[ "$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)" -eq 4 ] ||
	v_fail "expected 4 reorg messages"
grep -q '"level":"error"' "$V_TMP/p.verifier.err" &&
	v_fail "the verifier logged an error"
v_stop p.fetcher || true
v_stop p.verifier || v_fail "verifier exit status $?"
pass
