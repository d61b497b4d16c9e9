#!/usr/bin/env bash
# Verifier in follow mode against anvil: anvil_reorg of depth 1, 3 and 20
# (with and without replacement transactions) and anvil_rollback. The
# emitted stream, applied in order, must equal the node's chain height by
# height, seq must strictly increase, and each reorg message must name
# the right ancestor and orphans.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
mine 5
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --window 64
OUT=$T/p.out
wait_until 60 'stream_synced "$OUT" 0' "blocks 0..5 emitted"

# reorg DEPTH TXS-JSON: reorg the node, mine one block on top so the
# fetcher has something new, and check the reorg message.
reorg() {
	local depth=$1 txs=$2 head anc old=() n nreorgs
	head=$(node_head)
	anc=$((head - depth))
	for n in $(seq $((anc + 1)) "$head"); do old+=("$(node_hash "$n")"); done
	local anc_hash
	anc_hash=$(node_hash "$anc")
	nreorgs=$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)
	note "anvil_reorg depth $depth at head $head"
	rpc anvil_reorg "[$depth, $txs]" >/dev/null
	mine 1
	wait_until 60 'stream_synced "$OUT" 0' "the stream to follow the reorg of depth $depth"
	local msg
	msg=$(jq -c 'select(.type == "reorg")' "$OUT" | sed -n "$((nreorgs + 1))p")
	[ -n "$msg" ] || fail "no reorg message for depth $depth"
	jq -e --argjson anc "$anc" --arg h "$anc_hash" --argjson d "$depth" \
		'.ancestor.number == $anc and .ancestor.hash == $h and .depth == $d
		 and .deep == false and .invalidate_from == $anc + 1' <<<"$msg" >/dev/null ||
		fail "reorg message for depth $depth is wrong: $msg"
	local want
	want=$(printf '%s\n' "${old[@]}" | jq -R . | jq -sc .)
	jq -e --argjson w "$want" '[.orphaned[].hash] == $w' <<<"$msg" >/dev/null ||
		fail "orphaned list for depth $depth: $msg, want $want"
}

reorg 1 '[]'
send_tx 7; mine 2
reorg 3 "[[$(tx_json 11), 0], [$(tx_json 12), 2]]"
mine 20
wait_until 60 'stream_synced "$OUT" 0' "25 more blocks"
reorg 20 "[[$(tx_json 13), 5]]"

# rollback: the chain gets shorter, then grows on another branch past
# the old head (a following fetcher waits for the height after the one it
# sent; 31_verifier_shorter.sh covers a chain that stays shorter)
head=$(node_head)
rpc anvil_rollback '[3]' >/dev/null
send_tx 21
mine 3
[ "$(node_head)" -eq $((head + 1)) ] || fail "rollback: unexpected head"
wait_until 60 'stream_synced "$OUT" 0' "the stream to follow the rollback"
msg=$(jq -c 'select(.type == "reorg")' "$OUT" | tail -n 1)
jq -e --argjson anc $((head - 3)) --argjson old "$head" \
	'.ancestor.number == $anc and .invalidate_to == $old and .depth == 3
	 and (.orphaned | length) == 3' <<<"$msg" >/dev/null ||
	fail "rollback reorg message is wrong: $msg"

stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
[ "$(jq -c 'select(.type == "reorg")' "$OUT" | wc -l)" -eq 4 ] ||
	fail "expected 4 reorg messages"
grep -q '"level":"error"' "$T/p.verifier.err" &&
	fail "the verifier logged an error"
bg_term p.fetcher || true
bg_term p.verifier || fail "verifier exit status $?"
pass
