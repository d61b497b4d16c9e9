#!/usr/bin/env bash
# The command line: no --db is a configuration error (exit 2, one line);
# --init-schema is idempotent and safe from several processes at once;
# --check-config; --keep-orphans removes non-canonical blocks with their
# rows and keeps the reorgs record.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

rc=0
env -u BLOCKPIPE_DB "$BIN/writer" </dev/null >"$T/out" 2>"$T/err" || rc=$?
assert_eq 2 "$rc" "exit status without --db"
assert_eq 1 "$(wc -l <"$T/err")" "one line on stderr without --db"
grep -q 'BLOCKPIPE_DB' "$T/err" || fail "the error does not name BLOCKPIPE_DB: $(cat "$T/err")"
rc=0
"$BIN/writer" --db 'host=x port=' --batch 0 </dev/null 2>"$T/err" || rc=$?
assert_eq 2 "$rc" "exit status with --batch 0"
"$BIN/writer" --help | grep -q -- '--keep-orphans' || fail "--help lacks --keep-orphans"

new_db >/dev/null
assert_eq "configuration OK" "$("$BIN/writer" --db "$DB" --check-config)" "--check-config"
# Four at once, then once more: one schema, one version row.
for i in 1 2 3 4; do bg_run "init$i" "$BIN/writer" --db "$DB" --init-schema; done
for i in 1 2 3 4; do bg_wait "init$i" || fail "--init-schema $i failed: $(cat "$T/init$i.err")"; done
BLOCKPIPE_DB=$DB "$BIN/writer" --init-schema 2>"$T/init.err" || fail "--init-schema from BLOCKPIPE_DB failed"
assert_eq 1 "$(psql_q 'select count(*) from schema_version')" "schema_version rows"
assert_eq 1 "$(psql_q 'select blockpipe_next_epoch(5)')" "first epoch"
assert_eq 2 "$(psql_q 'select blockpipe_next_epoch(5)')" "second epoch"
rc=0
"$BIN/writer" --db "postgresql://nobody@127.0.0.1:1/none" --init-schema 2>"$T/err" || rc=$?
assert_eq 1 "$rc" "--init-schema with PostgreSQL unreachable"
grep -q 'cannot connect to PostgreSQL' "$T/err" || fail "no clear connection error: $(cat "$T/err")"

# --keep-orphans: the synthetic blocks are from 2023, so 1 s is old enough.
gen_stream "$T/s.ndjson" blocks=60 reorg_every=20 depth=3
"$BIN/writer" --db "$DB" <"$T/s.ndjson" 2>/dev/null || fail "writer failed"
assert_eq 6 "$(psql_q 'select count(*) from blocks b where not exists (select 1 from canonical c where c.hash = b.hash)')" "orphans before clean-up"
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
bg_run w "$BIN/writer" --db "$DB" --keep-orphans 1s <"$T/fifo" 3>&-
wait_until 20 '[ "$(psql_q "select count(*) from blocks")" -eq 60 ]' "orphans deleted"
exec 3>&-
bg_wait w || fail "writer exited $?: $(tail -3 "$T/w.err")"
assert_eq 0 "$(psql_q 'select count(*) from transactions t where not exists (select 1 from canonical c where c.hash = t.block_hash)')" "orphans' transactions"
assert_eq 0 "$(psql_q 'select count(*) from logs l where not exists (select 1 from canonical c where c.hash = l.block_hash)')" "orphans' logs"
assert_eq 2 "$(psql_q 'select count(*) from reorgs')" "reorgs rows kept"
assert_canonical "$DB" "$T/s.ndjson" "after clean-up"
pass
