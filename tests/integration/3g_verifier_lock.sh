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
. "$(dirname "$0")/verifier_helpers.bash"

# A private cluster in the foreground, so the test can stop it hard.
chmod 711 "$T"
port=$(free_port)
"$ROOT/scripts/pg" --dir "$T/pg" --port "$port" start >/dev/null 2>"$T/pg.err" ||
	v_fail "cannot create the private cluster: $(tail -3 "$T/pg.err")"
"$ROOT/scripts/pg" --dir "$T/pg" stop 2>/dev/null
PGDATA_DIR=$(readlink -f "$T/pg/data")
as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$(stat -c %U "$PGDATA_DIR")" -- "$@"
	else
		"$@"
	fi
}
pg_up() {
	if [ "$(id -u)" = 0 ]; then
		bg_run pg runuser -u "$(stat -c %U "$PGDATA_DIR")" -- /usr/lib/postgresql/15/bin/postgres -D "$PGDATA_DIR"
	else
		bg_run pg /usr/lib/postgresql/15/bin/postgres -D "$PGDATA_DIR"
	fi
	wait_until 30 "pg_isready -q -h 127.0.0.1 -p $port" "the private cluster"
}
pg_up
DB=postgresql://blockpipe@127.0.0.1:$port/blockpipe
psql_q() { psql "$DB" -XAtq -c "$1"; }

v_anvil_start
for i in $(seq 5); do v_send "$i"; done
"$V_BIN/writer" --db "$DB" --init-schema >/dev/null 2>"$T/init.err" ||
	v_fail "writer --init-schema: $(cat "$T/init.err")"
start_writer() {
	bg_run "$1" bash -c 'tail -n +1 -F "$1" 2>/dev/null | exec "$2" --db "$3" --batch 1 --flush-interval 50ms' \
		_ "$T/$2.out" "$V_BIN/writer" "$DB"
}
canonical_map() {
	psql_q "select coalesce(json_object_agg(number::text, '0x' || encode(hash, 'hex')), '{}') from canonical where hash is not null"
}
db_matches_node() {
	jq -ne --argjson m "$(canonical_map)" --argjson n "$(v_node_map 0 "$(v_head)")" '$m == $n' >/dev/null
}
now_ms() { date +%s%3N; }

v_pipeline a --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --db "$DB" --start-block 0 --audit-interval 1s
start_writer wa a
v_wait_until 60 "A to write 0..5" db_matches_node
v_pipeline b --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --db "$DB" --start-block 0 --audit-interval 1s --standby
start_writer wb b
v_wait_until 30 "B to wait for the lock" grep -q '"msg":"standby: another verifier holds the lock' "$T/b.verifier.err"
[ -s "$T/b.out" ] && v_fail "B emitted while A held the lock"

bg_run miner bash -c 'while :; do curl -sf -m 5 -H "content-type: application/json" \
	-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_mine\",\"params\":[]}" "$1" >/dev/null; sleep 0.4; done' _ "$V_RPC"
v_wait_until 30 "A to follow new blocks" jq -e -s 'map(select(.type == "block")) | length > 8' "$T/a.out"

t_stop=$(now_ms)
as_owner /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 ||
	v_fail "pg_ctl stop -m immediate failed"
v_wait_until 15 "A to notice the lost lock" grep -q 'no longer holds the advisory lock' "$T/a.verifier.err"
t_seen=$(jq -r 'select(.msg | test("no longer holds the advisory lock")) | .ts' "$T/a.verifier.err" | head -n 1)
seen_ms=$(date -d "$t_seen" +%s%3N)
[ $((seen_ms - t_stop)) -le 5000 ] ||
	v_fail "A noticed the lost lock $((seen_ms - t_stop)) ms after the stop, want at most 5 s"
sleep 2
bg_wait pg >/dev/null 2>&1 || true
pg_up
t_up=$(now_ms)

# after the restart exactly one of them holds the lock and emits
last_of() { jq -s 'map(.emitted_at // .time // 0) | max // 0' "$T/$1.out" 2>/dev/null || echo 0; }
first_after() { jq -s --argjson t "$2" 'map(select(.type == "block") | .emitted_at | select(. > $t)) | min // 0' "$T/$1.out" 2>/dev/null || echo 0; }
someone_emits() {
	[ "$(first_after a "$t_up")" -gt 0 ] || [ "$(first_after b "$t_up")" -gt 0 ]
}
v_wait_until 90 "a verifier to emit after the restart" someone_emits
sleep 3
fa=$(first_after a "$t_up") fb=$(first_after b "$t_up")
if [ "$fb" -gt 0 ]; then
	winner=b loser=a
	v_wait_until 30 "A to stop" bash -c "! kill -0 $(bg_pid a.verifier) 2>/dev/null"
	grep -q 'another verifier holds the lock for chain 31337; stopping' "$T/a.verifier.err" ||
		v_fail "A stopped without saying why"
else
	winner=a loser=b
	grep -q 'taken again; window reloaded' "$T/a.verifier.err" ||
		v_fail "A emits again without saying it took the lock back"
	[ "$(first_after b 0)" -eq 0 ] || v_fail "B emitted while A held the lock again"
fi
last_loser=$(last_of "$loser")
first_winner=$(jq -s --argjson t "$t_stop" 'map(select(.type == "block") | .emitted_at | select(. > $t)) | min' "$T/$winner.out")
[ "$last_loser" -lt "$first_winner" ] ||
	v_fail "both verifiers emitted at once: $loser's last at $last_loser, $winner's first at $first_winner"
# seq goes on above everything emitted before the stop (a new epoch)
jq -e -s --slurpfile a "$T/a.out" --argjson t "$t_up" \
	'map(select(.emitted_at > $t) | .seq) | min > ($a | map(select(.emitted_at <= $t) | .seq) | max)' \
	"$T/$winner.out" >/dev/null || v_fail "seq after the restart is not above the seq before it"

bg_kill miner
v_mine 1
v_wait_until 90 "the database to equal the node" db_matches_node

# alone, the verifier takes its lock back after a restart (a new epoch,
# its window reloaded) and goes on
bg_kill "$loser.verifier" 2>/dev/null || true
took() { grep -c 'taken again; window reloaded' "$T/$winner.verifier.err" || true; }
before=$(took)
as_owner /usr/lib/postgresql/15/bin/pg_ctl -D "$PGDATA_DIR" stop -m immediate >/dev/null 2>&1 ||
	v_fail "pg_ctl stop -m immediate failed (second time)"
sleep 1
bg_wait pg >/dev/null 2>&1 || true
pg_up
v_wait_until 90 "$winner to take the lock back" bash -c "[ \"\$(grep -c 'taken again; window reloaded' '$T/$winner.verifier.err')\" -gt $before ]"
v_mine 2
v_wait_until 90 "the database to equal the node after the second restart" db_matches_node
v_log "winner: $winner; A noticed the lost lock after $((seen_ms - t_stop)) ms"
pass
