#!/usr/bin/env bash
# The verifier's seqs start over under a running broadcaster: its --state
# file removed ("remove it to start over", docs/verifier.md), it starts
# again at epoch 1, below every seq the broadcaster read before. The
# broadcaster must not take the new stream's reorgs for reorgs sent again
# (seq at or below the highest read): a channel client gets the reorg and
# the new branch, and the broadcaster says the seqs started over; a client
# back with the old stream's last seq (since_seq) gets the new stream from
# the ring, not nothing.
. "$(dirname "$0")/../lib.sh"
need_node_clients
for p in fetcher verifier broadcaster; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p is not built"
done
anvil_start
PUSH=$(free_port) PUB=$(free_port) WS=$(free_port)
inputs() {
	curl -s "http://127.0.0.1:$WS/metrics" |
		sed -n 's/^broadcaster_input_messages_total \([0-9]*\)$/\1/p'
}
# From height $1; returns once the broadcaster reads the new verifier (a
# heartbeat): what a PUB socket sends before its subscriber is connected
# again is lost, and this process's messages have a counter of their own.
start_pipe() {
	local n
	n=$(inputs)
	bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --from "$1" --follow --poll-interval 100ms \
		--out "@tcp://127.0.0.1:$PUSH"
	bg_run verifier "$BIN/verifier" --rpc "$RPC" --state "$T/verifier.state" \
		--in "tcp://127.0.0.1:$PUSH" --pub "@tcp://127.0.0.1:$PUB" --heartbeat-interval 200ms
	wait_until 30 "grep -q 'anchored at block $1' '$T/verifier.err' && [ \"\$(inputs)\" -gt $n ]" \
		"the broadcaster to read the verifier started at $1"
}
stop_pipe() {
	bg_term fetcher
	bg_term verifier
}
epoch() { sed -n 's/^epoch //p' "$T/verifier.state"; }
seen_block() { # height hash
	grep -q "^block $1 $2 " "$T/watch.out"
}

bg_run broadcaster "$BIN/broadcaster" --sub "tcp://127.0.0.1:$PUB" --listen "127.0.0.1:$WS"
wait_until 20 "curl -s -o /dev/null http://127.0.0.1:$WS/metrics" "the broadcaster to listen"
bg_run watch node "$ROOT/tests/node/bc_watch.mjs" "ws://127.0.0.1:$WS/v1/stream"
wait_until 20 "grep -q '^# subscribed' '$T/watch.out'" "the client's subscription"

# Two runs of the verifier: epochs 1 and 2 (blocks mined once it follows
# the node: backfilled ones are not broadcast).
start_pipe 0
mine 3
wait_until 30 "seen_block 3 $(node_hash 3)" "block 3 at the client"
stop_pipe
start_pipe 3
mine 2
wait_until 30 "seen_block 5 $(node_hash 5)" "block 5 at the client"
assert_eq "$(epoch)" 2 "the verifier's epoch"
stop_pipe

# The state file removed: epoch 1 again, every seq below the last run's.
rm -f "$T/verifier.state"
start_pipe 5
mine 1
wait_until 30 "seen_block 6 $(node_hash 6)" "block 6 at the client (new epoch 1)"
assert_eq "$(epoch)" 1 "the verifier's epoch after its state file was removed"
old6=$(node_hash 6)
note "anvil_reorg depth 1 at head 6"
rpc anvil_reorg "[1, [[$(tx_json 7), 0]]]" >/dev/null
new6=$(node_hash 6)
[ "$new6" != "$old6" ] || fail "anvil_reorg left block 6 as it was"
mine 1
wait_until 30 "seen_block 6 $new6 && seen_block 7 $(node_hash 7)" \
	"the new branch at the client"
# A client that had everything up to block 5 (the old stream's seq)
seq5=$(sed -n "s/^block 5 $(node_hash 5) \([0-9]*\)\$/\1/p" "$T/watch.out")
[ -n "$seq5" ] || fail "no seq of block 5 at the client"
bg_run back node "$ROOT/tests/node/bc_watch.mjs" "ws://127.0.0.1:$WS/v1/stream" "$seq5"
wait_until 20 "grep -q '^# subscribed' '$T/back.out'" "the returning client's subscription"
wait_until 10 "grep -q '^block 7 ' '$T/back.out'" "the new stream at the returning client"
assert_eq "$(grep -v '^#' "$T/back.out")" "$(sed -n '/^block 6 /,$p' "$T/watch.out")" \
	"what the client back with seq $seq5 got (the new stream from the ring)"
grep -q "^reorg [0-9]* 1 $old6\$" "$T/watch.out" ||
	fail "the client got no reorg orphaning $old6 (the broadcaster's log: $(grep -h 'reorg\|seq' "$T/broadcaster.err" | tail -n 5))"
rseq=$(sed -n "s/^reorg \([0-9]*\) 1 $old6\$/\1/p" "$T/watch.out")
[ $((rseq >> 32)) = 1 ] || fail "the reorg's seq $rseq is not of epoch 1"
grep -q '"the verifier.s seq started over' "$T/broadcaster.err" ||
	fail "the broadcaster did not say the seqs started over"
grep -q 'reorg not broadcast again' "$T/broadcaster.err" &&
	fail "the broadcaster refused a reorg: $(grep 'reorg not broadcast again' "$T/broadcaster.err")"
pass
