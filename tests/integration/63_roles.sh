#!/usr/bin/env bash
# The roles and grants of docs/operations.md, run as written (the block
# between the roles.sql markers) against a real PostgreSQL: the fetcher,
# verifier and writer then run as blockpipe_fetcher, blockpipe_verifier and
# blockpipe_writer through a backfill, a reorg and a follow, and the
# database equals the node; each role is refused what it must not do.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"

# The roles are made by the superuser postgres over trust authentication:
# that is the suite's own cluster (var/test-pg), not one given with
# BLOCKPIPE_TEST_PG, so this test always uses its own (and fails when it
# cannot start it) rather than pass without running.
unset BLOCKPIPE_TEST_PG
pg_ensure
new_db >/dev/null
dbname=${DB##*/}
host=${PG_BASE#*@}
as() { echo "postgresql://$1@$host/$dbname"; }

db_schema
sed -n '/<!-- roles.sql begin -->/,/<!-- roles.sql end -->/p' "$ROOT/docs/operations.md" |
	sed -e '/^<!--/d' -e '/^```/d' >"$T/roles.sql"
[ "$(grep -c GRANT "$T/roles.sql")" -ge 10 ] || fail "no roles.sql block in docs/operations.md"
psql "$(as postgres)" -X -q -v ON_ERROR_STOP=1 -f "$T/roles.sql" >"$T/roles.out" 2>&1 ||
	fail "roles.sql: $(cat "$T/roles.out")"
# idempotent: a second run changes nothing and fails nothing
psql "$(as postgres)" -X -q -v ON_ERROR_STOP=1 -f "$T/roles.sql" >"$T/roles.out" 2>&1 ||
	fail "roles.sql, second run: $(cat "$T/roles.out")"

anvil_start
traffic_blocks 8
PL_IN=$(free_port) PL_OUT=$(free_port)
bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --follow --from 0 --db "$(as blockpipe_fetcher)" \
	--poll-interval 200ms --out ">tcp://127.0.0.1:$PL_IN"
bg_run verifier "$BIN/verifier" --rpc "$RPC" --db "$(as blockpipe_verifier)" --start-block 0 \
	--audit-interval 2s --in "@tcp://127.0.0.1:$PL_IN" --out "@tcp://127.0.0.1:$PL_OUT"
bg_run writer "$BIN/writer" --db "$(as blockpipe_writer)" --start 0 --flush-interval 50ms \
	--in ">tcp://127.0.0.1:$PL_OUT"
wait_until 60 db_synced "the backfill as the runtime roles"
top=$(node_head)
pl_reorg 3 txs
traffic_blocks $((top - $(node_head) + 3))
wait_until 60 db_synced "a reorg as the runtime roles"
# a restart: the writer checks the schema version, the verifier takes a new
# epoch and resumes, the fetcher resumes
for s in writer verifier fetcher; do bg_kill "$s"; done
bg_run verifier2 "$BIN/verifier" --rpc "$RPC" --db "$(as blockpipe_verifier)" --start-block 0 \
	--audit-interval 2s --in "@tcp://127.0.0.1:$PL_IN" --out "@tcp://127.0.0.1:$PL_OUT"
bg_run writer2 "$BIN/writer" --db "$(as blockpipe_writer)" --start 0 --flush-interval 50ms \
	--in ">tcp://127.0.0.1:$PL_OUT"
bg_run fetcher2 "$BIN/fetcher" --rpc "$RPC" --follow --from 0 --db "$(as blockpipe_fetcher)" \
	--poll-interval 200ms --out ">tcp://127.0.0.1:$PL_IN"
traffic_blocks 3
wait_until 60 db_synced "the pipeline restarted as the runtime roles"
assert_eq 2 "$(psql_q "select epoch from verifier_epochs where chain_id = $PL_CHAIN")" "verifier epoch"
[ "$(psql_q "select count(*) from reorgs")" -ge 1 ] || fail "the reorg was not recorded"
for s in fetcher verifier writer fetcher2 verifier2 writer2; do
	! grep -qi 'permission denied' "$T/$s.err" || fail "$s: $(grep -i -m1 'permission denied' "$T/$s.err")"
done

# what each role must not do
denied() {
	local role=$1 sql=$2 out
	if out=$(psql "$(as "$role")" -X -q -v ON_ERROR_STOP=1 -tAc "$sql" 2>&1); then
		fail "$role may: $sql"
	fi
	grep -q 'permission denied' <<<"$out" || fail "$role, $sql: $out"
}
denied blockpipe_verifier "insert into canonical values ($PL_CHAIN, 999999, null, 1)"
denied blockpipe_verifier "delete from blocks"
denied blockpipe_writer "update verifier_epochs set epoch = 0"
denied blockpipe_writer "delete from canonical"
denied blockpipe_writer "create table x (a int)"
denied blockpipe_fetcher "update canonical set hash = null"
denied blockpipe_fetcher "select blockpipe_next_epoch($PL_CHAIN)"
out=$(psql "$(as postgres)" -X -q -tAc "set role blockpipe_reader; select count(*) from canonical_blocks" 2>&1) ||
	fail "blockpipe_reader cannot read canonical_blocks: $out"
[ "$out" -gt 10 ] || fail "blockpipe_reader sees $out canonical blocks"
out=$(psql "$(as postgres)" -X -q -tAc "set role blockpipe_reader; select count(*) from transactions" 2>&1) &&
	fail "blockpipe_reader may read the transactions table: $out"
pass
