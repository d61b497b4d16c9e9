#!/usr/bin/env bash
# One verifier per chain, always: verifier A holds the advisory lock,
# verifier B waits for it (--standby). PostgreSQL is stopped hard
# (pg_ctl stop -m immediate: the lock is gone with the server) and started
# again while blocks keep coming. A notices within a few seconds, without
# waiting for a failed call, and stops emitting; then exactly one of them
# holds the lock and emits, and the two never emitted at the same time:
# every message of the one that lost comes before every message of the
# one that won after the restart. The database ends equal to the node.
# Then, alone, the winner takes its lock back across a second restart.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

# A private cluster in the foreground, so the test can stop it hard.
pg_private
pg_private_up

anvil_start --silent
for i in $(seq 5); do send_tx "$i"; done
db_schema
now_ms() { date +%s%3N; }

verifier_pipeline a --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s
stream_writer wa a
wait_until 60 db_matches_node "A to write 0..5"
verifier_pipeline b --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s --standby
stream_writer wb b
wait_until 30 'grep -q "\"msg\":\"standby: another verifier holds the lock" "$T/b.verifier.err" 2>/dev/null' \
	"B to wait for the lock"
[ -s "$T/b.out" ] && fail "B emitted while A held the lock"

bg_run miner bash -c 'while :; do curl -sf -m 5 -H "content-type: application/json" \
	-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_mine\",\"params\":[]}" "$1" >/dev/null; sleep 0.4; done' _ "$RPC"
wait_until 30 'jq -e -s "map(select(.type == \"block\")) | length > 8" "$T/a.out" 2>/dev/null' \
	"A to follow new blocks"

t_stop=$(now_ms)
as_pg_owner "$PGBIN/pg_ctl" -D "$PG_PRIVATE_DATA" stop -m immediate >/dev/null 2>&1 ||
	fail "pg_ctl stop -m immediate failed"
wait_until 15 'grep -q "no longer holds the advisory lock" "$T/a.verifier.err" 2>/dev/null' \
	"A to notice the lost lock"
t_seen=$(jq -r 'select(.msg | test("no longer holds the advisory lock")) | .ts' "$T/a.verifier.err" | head -n 1)
seen_ms=$(date -d "$t_seen" +%s%3N)
[ $((seen_ms - t_stop)) -le 5000 ] ||
	fail "A noticed the lost lock $((seen_ms - t_stop)) ms after the stop, want at most 5 s"
sleep 2
bg_wait pg >/dev/null 2>&1 || true
pg_private_up
t_up=$(now_ms)

# after the restart exactly one of them holds the lock and emits
last_of() { jq -s 'map(.emitted_at // .time // 0) | max // 0' "$T/$1.out" 2>/dev/null || echo 0; }
first_after() { jq -s --argjson t "$2" 'map(select(.type == "block") | .emitted_at | select(. > $t)) | min // 0' "$T/$1.out" 2>/dev/null || echo 0; }
someone_emits() {
	[ "$(first_after a "$t_up")" -gt 0 ] || [ "$(first_after b "$t_up")" -gt 0 ]
}
wait_until 90 'someone_emits 2>/dev/null' "a verifier to emit after the restart"
sleep 3
fa=$(first_after a "$t_up") fb=$(first_after b "$t_up")
if [ "$fb" -gt 0 ]; then
	winner=b loser=a
	wait_until 30 '! bg_alive a.verifier' "A to stop"
	grep -q 'another verifier holds the lock for chain 31337; stopping' "$T/a.verifier.err" ||
		fail "A stopped without saying why"
else
	winner=a loser=b
	grep -q 'taken again; window reloaded' "$T/a.verifier.err" ||
		fail "A emits again without saying it took the lock back"
	[ "$(first_after b 0)" -eq 0 ] || fail "B emitted while A held the lock again"
fi
last_loser=$(last_of "$loser")
first_winner=$(jq -s --argjson t "$t_stop" 'map(select(.type == "block") | .emitted_at | select(. > $t)) | min' "$T/$winner.out")
[ "$last_loser" -lt "$first_winner" ] ||
	fail "both verifiers emitted at once: $loser's last at $last_loser, $winner's first at $first_winner"
# seq goes on above everything emitted before the stop (a new epoch)
jq -e -s --slurpfile a "$T/a.out" --argjson t "$t_up" \
	'map(select(.emitted_at > $t) | .seq) | min > ($a | map(select(.emitted_at <= $t) | .seq) | max)' \
	"$T/$winner.out" >/dev/null || fail "seq after the restart is not above the seq before it"

bg_kill miner
mine 1
wait_until 90 db_matches_node "the database to equal the node"

# alone, the verifier takes its lock back after a restart (a new epoch,
# its window reloaded) and goes on
bg_kill "$loser.verifier" 2>/dev/null || true
took() { grep -c 'taken again; window reloaded' "$T/$winner.verifier.err" || true; }
before=$(took)
as_pg_owner "$PGBIN/pg_ctl" -D "$PG_PRIVATE_DATA" stop -m immediate >/dev/null 2>&1 ||
	fail "pg_ctl stop -m immediate failed (second time)"
sleep 1
bg_wait pg >/dev/null 2>&1 || true
pg_private_up
wait_until 90 '[ "$(took 2>/dev/null)" -gt "$before" ]' "$winner to take the lock back"
mine 2
wait_until 90 db_matches_node "the database to equal the node after the second restart"
note "winner: $winner; A noticed the lost lock after $((seen_ms - t_stop)) ms"
pass
