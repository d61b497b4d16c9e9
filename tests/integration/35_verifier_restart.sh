#!/usr/bin/env bash
# Restart mid-stream: the verifier is stopped (SIGTERM) while following
# and started again from a little below where it stopped. seq keeps
# increasing across the restart (epoch in --state FILE; then the same
# without one, where seq is a microsecond clock), and nothing is missing:
# the whole stream applied in order equals the node's chain.
. "$(dirname "$0")/verifier_helpers.bash"

v_anvil_start
v_mine 10
STATE=$V_TMP/verifier.state
v_pipeline a --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --state "$STATE"
v_wait_until 60 "blocks 0..10" v_synced "$V_TMP/a.out" 0
v_stop a.verifier || v_fail "verifier exit status $? on SIGTERM"
v_stop a.fetcher || true
[ "$(cat "$STATE")" = "epoch 1" ] || v_fail "state file: $(cat "$STATE")"
last=$(jq -s 'map(.seq) | max' "$V_TMP/a.out")
[ $((last >> 32)) -eq 1 ] || v_fail "seq $last is not of epoch 1"

v_mine 5
v_pipeline b --rpc "$V_RPC" --from 8 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --state "$STATE"
cat "$V_TMP/a.out" >"$V_TMP/all.out"
v_wait_until 60 "blocks 8..15" v_synced "$V_TMP/b.out" 8
v_rpc anvil_reorg "[2, [[$(v_tx_obj 4), 0]]]" >/dev/null
v_mine 1
v_wait_until 60 "the reorg after the restart" v_synced "$V_TMP/b.out" 8
v_stop b.verifier || v_fail "verifier exit status $? on SIGTERM"
v_stop b.fetcher || true
[ "$(cat "$STATE")" = "epoch 2" ] || v_fail "state file: $(cat "$STATE")"
cat "$V_TMP/b.out" >>"$V_TMP/all.out"
v_seq_increasing "$V_TMP/all.out" || v_fail "seq does not increase across the restart"
v_matches_node "$V_TMP/all.out" 0 || { v_explain "$V_TMP/all.out" 0; v_fail "stream differs from the node"; }

# without a state file: the clock
v_pipeline c --rpc "$V_RPC" --from 14 --to head -- --rpc "$V_RPC"
bg_wait c.verifier || v_fail "verifier exit status $?"
cat "$V_TMP/c.out" >>"$V_TMP/all.out"
v_seq_increasing "$V_TMP/all.out" || v_fail "clock seq is not above the epoch seq"
v_pipeline d --rpc "$V_RPC" --from 14 --to head -- --rpc "$V_RPC"
bg_wait d.verifier || v_fail "verifier exit status $?"
cat "$V_TMP/d.out" >>"$V_TMP/all.out"
v_seq_increasing "$V_TMP/all.out" || v_fail "clock seq does not increase across a restart"
v_matches_node "$V_TMP/all.out" 0 || v_fail "stream differs from the node"

# a corrupt state file is a clear error, not epoch 0
echo garbage >"$STATE"
if "$V_BIN/verifier" --rpc "$V_RPC" --state "$STATE" </dev/null >/dev/null 2>"$V_TMP/corrupt.err"; then
	v_fail "a corrupt state file was accepted"
fi
grep -q 'is corrupt' "$V_TMP/corrupt.err" || v_fail "no clear line for a corrupt state file"
pass
