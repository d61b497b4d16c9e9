#!/usr/bin/env bash
# The verifier with PostgreSQL (--db): fetcher | verifier | writer.
#  - a second verifier for the same chain refuses to start (exit 2, one
#    clear line): the advisory lock;
#  - heights lost after the verifier emitted them (rows deleted, as if a
#    writer died with them in hand) are found by the audit and emitted
#    again with reason "audit";
#  - restarted, the verifier loads its window from the canonical table
#    (no new anchor), its seq is of the next epoch, and a reorg right
#    after the restart is resolved against that window;
#  - at the end the canonical table equals the node's chain.
. "$(dirname "$0")/verifier_helpers.bash"

new_db >/dev/null
v_anvil_start
for i in $(seq 10); do v_send "$i"; done
"$V_BIN/writer" --db "$DB" --init-schema >/dev/null 2>"$T/init.err" ||
	v_fail "writer --init-schema: $(cat "$T/init.err")"

# writer: follows the verifier's output file
start_writer() {
	bg_run "$1" bash -c 'tail -n +1 -F "$1" 2>/dev/null | exec "$2" --db "$3" --batch 1 --flush-interval 50ms' \
		_ "$T/$2.out" "$V_BIN/writer" "$DB"
}
canonical_map() {
	psql_q "select coalesce(json_object_agg(number::text, '0x' || encode(hash, 'hex')), '{}') from canonical where hash is not null"
}
# the canonical table equals the node from 0 to its head
db_matches_node() {
	jq -ne --argjson m "$(canonical_map)" --argjson n "$(v_node_map 0 "$(v_head)")" '$m == $n' >/dev/null
}

v_pipeline a --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --db "$DB" --start-block 0 --audit-interval 1s
start_writer wa a
v_wait_until 60 "the database to hold 0..10" db_matches_node

"$V_BIN/verifier" --rpc "$V_RPC" --db "$DB" --start-block 0 </dev/null >/dev/null 2>"$T/second.err" &&
	v_fail "a second verifier started"
rc=$?
[ "$rc" -eq 2 ] || v_fail "second verifier: exit status $rc, want 2"
grep -qx 'verifier: another verifier holds the lock for chain 31337' "$T/second.err" ||
	v_fail "second verifier: $(cat "$T/second.err")"

psql_q "delete from canonical where number in (4, 7)" >/dev/null
audited() {
	[ "$(jq -c 'select(.reason == "audit" and (.number == 4 or .number == 7)) | .number' \
		"$T/a.out" | sort -u | wc -l)" -eq 2 ]
}
v_wait_until 60 "the audit to emit 4 and 7 again" audited
v_wait_until 60 "the database to heal" db_matches_node
grep -q '"msg":"audit: heights missing or with a broken parent link' "$T/a.verifier.err" ||
	v_fail "no audit log line"

v_stop a.verifier || v_fail "verifier exit status $? on SIGTERM"
v_stop a.fetcher || true
bg_kill wa
epoch1=$(jq -s 'map(.seq) | max' "$T/a.out")

# restart: the window comes from the database
v_mine 3
resume=$(psql_q "select blockpipe_resume_height(31337, 0)")
[ "$resume" -eq 11 ] || v_fail "resume height $resume, want 11"
v_pipeline b --rpc "$V_RPC" --from "$resume" --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --db "$DB" --start-block 0 --audit-interval 1s
start_writer wb b
v_wait_until 60 "the database to hold 0..13" db_matches_node
grep -q '"msg":"window loaded from the database".*"tip":10' "$T/b.verifier.err" ||
	v_fail "the window was not loaded from the database"
grep -q '"msg":"anchored' "$T/b.verifier.err" && v_fail "the restarted verifier anchored again"
jq -e -s --argjson e1 "$epoch1" 'map(.seq) | min > $e1 and (min >> 32) == 2' "$T/b.out" >/dev/null 2>&1 ||
	jq -e -s --argjson e1 "$epoch1" 'map(.seq) | min > $e1 and (min / 4294967296 | floor) == 2' "$T/b.out" >/dev/null ||
	v_fail "seq after the restart is not of epoch 2 and above the old ones"

# a reorg reaching below the restart point: resolved on the loaded window
v_rpc anvil_reorg "[5, [[$(v_tx_obj 9), 0]]]" >/dev/null
v_mine 1
v_wait_until 60 "the database after the reorg" db_matches_node
jq -c 'select(.type == "reorg")' "$T/b.out" | grep -q '"ancestor":{"number":8,' ||
	v_fail "no reorg to ancestor 8: $(jq -c 'select(.type == "reorg")' "$T/b.out")"
[ "$(psql_q "select count(*) from reorgs")" -ge 1 ] || v_fail "no row in reorgs"
pass
