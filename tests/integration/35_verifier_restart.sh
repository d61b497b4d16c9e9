#!/usr/bin/env bash
# Restart mid-stream: the verifier is stopped (SIGTERM) while following
# and started again from a little below where it stopped. seq keeps
# increasing across the restart (epoch in --state FILE; then the same
# without one, where seq is a microsecond clock), and nothing is missing:
# the whole stream applied in order equals the node's chain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
mine 10
STATE=$T/verifier.state
verifier_pipeline a --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --state "$STATE"
wait_until 60 'stream_synced "$T/a.out" 0' "blocks 0..10"
bg_term a.verifier || fail "verifier exit status $? on SIGTERM"
bg_term a.fetcher || true
[ "$(cat "$STATE")" = "epoch 1" ] || fail "state file: $(cat "$STATE")"
last=$(jq -s 'map(.seq) | max' "$T/a.out")
[ $((last >> 32)) -eq 1 ] || fail "seq $last is not of epoch 1"

mine 5
verifier_pipeline b --rpc "$RPC" --from 8 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --state "$STATE"
cat "$T/a.out" >"$T/all.out"
wait_until 60 'stream_synced "$T/b.out" 8' "blocks 8..15"
rpc anvil_reorg "[2, [[$(tx_json 4), 0]]]" >/dev/null
mine 1
wait_until 60 'stream_synced "$T/b.out" 8' "the reorg after the restart"
bg_term b.verifier || fail "verifier exit status $? on SIGTERM"
bg_term b.fetcher || true
[ "$(cat "$STATE")" = "epoch 2" ] || fail "state file: $(cat "$STATE")"
cat "$T/b.out" >>"$T/all.out"
stream_seq_increasing "$T/all.out" || fail "seq does not increase across the restart"
stream_matches_node "$T/all.out" 0 || { stream_explain "$T/all.out" 0; fail "stream differs from the node"; }

# without a state file: the clock
verifier_pipeline c --rpc "$RPC" --from 14 --to head -- --rpc "$RPC"
bg_wait c.verifier || fail "verifier exit status $?"
cat "$T/c.out" >>"$T/all.out"
stream_seq_increasing "$T/all.out" || fail "clock seq is not above the epoch seq"
verifier_pipeline d --rpc "$RPC" --from 14 --to head -- --rpc "$RPC"
bg_wait d.verifier || fail "verifier exit status $?"
cat "$T/d.out" >>"$T/all.out"
stream_seq_increasing "$T/all.out" || fail "clock seq does not increase across a restart"
stream_matches_node "$T/all.out" 0 || fail "stream differs from the node"

# a corrupt state file is a clear error, not epoch 0
echo garbage >"$STATE"
if "$BIN/verifier" --rpc "$RPC" --state "$STATE" </dev/null >/dev/null 2>"$T/corrupt.err"; then
	fail "a corrupt state file was accepted"
fi
grep -q 'is corrupt' "$T/corrupt.err" || fail "no clear line for a corrupt state file"
pass
