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
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

new_db >/dev/null
anvil_start --silent
for i in $(seq 10); do send_tx "$i"; done
db_schema

verifier_pipeline a --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s
stream_writer wa a
wait_until 60 db_matches_node "the database to hold 0..10"

"$BIN/verifier" --rpc "$RPC" --db "$DB" --start-block 0 </dev/null >/dev/null 2>"$T/second.err" &&
	fail "a second verifier started"
rc=$?
[ "$rc" -eq 2 ] || fail "second verifier: exit status $rc, want 2"
grep -qx 'verifier: another verifier holds the lock for chain 31337' "$T/second.err" ||
	fail "second verifier: $(cat "$T/second.err")"

psql_q "delete from canonical where number in (4, 7)" >/dev/null
audited() {
	[ "$(jq -c 'select(.reason == "audit" and (.number == 4 or .number == 7)) | .number' \
		"$T/a.out" | sort -u | wc -l)" -eq 2 ]
}
wait_until 60 audited "the audit to emit 4 and 7 again"
wait_until 60 db_matches_node "the database to heal"
grep -q '"msg":"audit: heights missing or with a broken parent link' "$T/a.verifier.err" ||
	fail "no audit log line"

bg_term a.verifier || fail "verifier exit status $? on SIGTERM"
bg_term a.fetcher || true
bg_kill wa
epoch1=$(jq -s 'map(.seq) | max' "$T/a.out")

# restart: the window comes from the database
mine 3
resume=$(psql_q "select blockpipe_resume_height(31337, 0)")
[ "$resume" -eq 11 ] || fail "resume height $resume, want 11"
verifier_pipeline b --rpc "$RPC" --from "$resume" --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s
stream_writer wb b
wait_until 60 db_matches_node "the database to hold 0..13"
grep -q '"msg":"window loaded from the database".*"tip":10' "$T/b.verifier.err" ||
	fail "the window was not loaded from the database"
grep -q '"msg":"anchored' "$T/b.verifier.err" && fail "the restarted verifier anchored again"
jq -e -s --argjson e1 "$epoch1" 'map(.seq) | min > $e1 and (min >> 32) == 2' "$T/b.out" >/dev/null 2>&1 ||
	jq -e -s --argjson e1 "$epoch1" 'map(.seq) | min > $e1 and (min / 4294967296 | floor) == 2' "$T/b.out" >/dev/null ||
	fail "seq after the restart is not of epoch 2 and above the old ones"

# a reorg reaching below the restart point: resolved on the loaded window
rpc anvil_reorg "[5, [[$(tx_json 9), 0]]]" >/dev/null
mine 1
wait_until 60 db_matches_node "the database after the reorg"
jq -c 'select(.type == "reorg")' "$T/b.out" | grep -q '"ancestor":{"number":8,' ||
	fail "no reorg to ancestor 8: $(jq -c 'select(.type == "reorg")' "$T/b.out")"
[ "$(psql_q "select count(*) from reorgs")" -ge 1 ] || fail "no row in reorgs"
pass
