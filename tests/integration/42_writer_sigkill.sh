#!/usr/bin/env bash
# A writer killed with SIGKILL in the middle of a run loses at most what it
# held (never half a transaction); started again on the same stream (the
# replay that the verifier's audit would bring) it completes the database,
# which then equals one written in a single run.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

gen_stream "$T/s.ndjson" blocks=150 reorg_every=30 depth=4

writer_reference "$T/s.ndjson"

new_db >/dev/null
bg_run w "$BIN/writer" --db "$DB" --batch 25 --flush-interval 5s < <(trickle "$T/s.ndjson" 0.01)
wait_until 20 '[ "$(psql_q "select count(*) from blocks" 2>/dev/null || echo 0)" -ge 25 ]' "first commits"
bg_kill w KILL
n=$(psql_q 'select count(*) from canonical_blocks')
[ "$n" -lt 150 ] || fail "the writer had finished before the kill ($n blocks)"
# No canonical pointer without its block, no block without its rows.
assert_eq 0 "$(psql_q 'select count(*) from canonical c where c.hash is not null
	and not exists (select 1 from blocks b where b.chain_id = c.chain_id and b.hash = c.hash)')" \
	"dangling canonical pointers after SIGKILL"
assert_eq 0 "$(psql_q 'select count(*) from blocks b where tx_count <>
	(select count(*) from transactions t where t.chain_id = b.chain_id and t.block_hash = b.hash)')" \
	"blocks with missing transactions after SIGKILL"

# Replay the whole stream into a new writer.
"$BIN/writer" --db "$DB" --batch 40 <"$T/s.ndjson" 2>"$T/w2.err" ||
	fail "restarted writer exited $?: $(tail -3 "$T/w2.err")"
db_digest "$REF" >"$T/dref"
db_digest "$DB" >"$T/dgot"
diff "$T/dref" "$T/dgot" >"$T/diff" || fail "database differs after kill and replay: $(cat "$T/diff")"
assert_canonical "$DB" "$T/s.ndjson" "after kill and replay"
pass
