#!/usr/bin/env bash
# scripts/partition beside running writers (docs/operations.md, "Disk and
# partitioning"): it is meant to run from cron while the pipeline writes,
# and each new range moves the DEFAULT partition's rows of that range in.
#   1. A writer's transaction holds an uncommitted row of a range in the
#      DEFAULT partition while the script makes that range's partition:
#      the script waits for it and moves the row (without its lock first,
#      the ATTACH found the row committed after the move and refused, and
#      a row committed between its copy and its delete was lost).
#      A long query holding the DEFAULT partition makes the script stop
#      after --lock-timeout, that range unchanged, rather than queue the
#      writers behind its lock until the query ends.
#   2. The script runs over and over, with ranges of 4 heights and none
#      ahead, while the pipeline follows anvil's traffic, so that blocks
#      keep landing in the DEFAULT partition as their ranges are made: no
#      run fails, and the database ends equal to the node, transactions,
#      receipts and logs included, each row in the partition of its height.
#      (That race's window is a few milliseconds: three runs of this part
#      alone passed with the script before the lock; part 1 fails it.)
. "$(dirname "$0")/../lib.sh"

anvil_start
traffic_blocks 3
new_db >/dev/null
"$ROOT/scripts/partition" --db "$DB" --size 4 --upto 3 >"$T/part.out" 2>&1 ||
	fail "scripts/partition: $(cat "$T/part.out")"
db_schema

# 1. a row of range 4..7 in the DEFAULT partition, not committed yet (a
# chain of its own, so that the node's comparison below ignores it)
bg_run held psql "$DB" -X -q -v ON_ERROR_STOP=1 -c "BEGIN" \
	-c "INSERT INTO logs (chain_id, block_hash, log_index, block_number, tx_hash,
		tx_index, address, data) VALUES (7, '\\x01', 0, 5, '\\x02', 0, '\\x03', '\\x')" \
	-c "SELECT pg_sleep(2)" -c "COMMIT"
wait_until 30 "[ \"\$(psql_q \"select count(*) from pg_locks l join pg_class c on c.oid = l.relation
	where c.relname = 'logs_default' and l.granted and l.pid <> pg_backend_pid()\")\" = 1 ]" \
	"the held transaction to write into logs_default"
"$ROOT/scripts/partition" --db "$DB" --size 4 --upto 7 >"$T/part-held.out" 2>&1 ||
	fail "scripts/partition beside a writer's open transaction: $(cat "$T/part-held.out")"
bg_wait held || fail "the held transaction failed: $(cat "$T/held.err")"
assert_eq "logs_000000000004" \
	"$(psql_q "select tableoid::regclass from logs where chain_id = 7")" \
	"the partition of the row committed during the script's run"
psql_q "delete from logs where chain_id = 7" >/dev/null

# 1b. a long query on the DEFAULT partition: the script gives up after
# --lock-timeout, the range of logs unchanged, instead of holding the writers queued
# behind its lock until the query ends; a writer's insert meanwhile goes
# through once it has
bg_run reader psql "$DB" -X -q -v ON_ERROR_STOP=1 -c "BEGIN" \
	-c "SELECT count(*) FROM logs_default" -c "SELECT pg_sleep(6)" -c "COMMIT"
wait_until 30 "[ \"\$(psql_q \"select count(*) from pg_locks l join pg_class c on c.oid = l.relation
	where c.relname = 'logs_default' and l.mode = 'AccessShareLock' and l.granted
	and l.pid <> pg_backend_pid()\")\" = 1 ]" "the long query to hold logs_default"
t0=$SECONDS
if "$ROOT/scripts/partition" --db "$DB" --size 4 --upto 11 --lock-timeout 500ms \
	>"$T/part-reader.out" 2>&1; then
	fail "scripts/partition made its partitions past a query holding logs_default: $(cat "$T/part-reader.out")"
fi
grep -q -- "--lock-timeout 500ms" "$T/part-reader.out" ||
	fail "scripts/partition did not say why it stopped: $(cat "$T/part-reader.out")"
[ $((SECONDS - t0)) -le 4 ] || fail "scripts/partition waited $((SECONDS - t0)) s with --lock-timeout 500ms"
assert_eq "" "$(psql_q "select to_regclass('logs_000000000008')")" \
	"a partition the stopped run made"
timeout 5 psql "$DB" -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO logs (chain_id, block_hash,
	log_index, block_number, tx_hash, tx_index, address, data)
	VALUES (7, '\\x01', 0, 9, '\\x02', 0, '\\x03', '\\x')" >/dev/null ||
	fail "a writer's insert into logs_default waited behind the stopped run"
bg_wait reader || fail "the long query failed: $(cat "$T/reader.err")"
"$ROOT/scripts/partition" --db "$DB" --size 4 --upto 11 >"$T/part-after.out" 2>&1 ||
	fail "scripts/partition after the long query: $(cat "$T/part-after.out")"
assert_eq "logs_000000000008" \
	"$(psql_q "select tableoid::regclass from logs where chain_id = 7")" \
	"the partition of the row written while the run was stopped"
psql_q "delete from logs where chain_id = 7" >/dev/null

# 2. the script over and over beside the running pipeline
pipe_follow
bg_run traffic "$ROOT/scripts/devnet" traffic --rpc "$RPC" --dir "$T/devnet" \
	--seconds 10 --interval 0.1
runs=0 seen=0
while bg_alive traffic; do
	seen=$((seen + $(psql_q "select count(*) from transactions_default")))
	"$ROOT/scripts/partition" --db "$DB" --size 4 --ahead 0 >"$T/part-live.out" 2>&1 ||
		fail "scripts/partition beside the running pipeline (run $((runs + 1))): $(cat "$T/part-live.out")"
	runs=$((runs + 1))
done
bg_wait traffic || fail "traffic: $(tail -5 "$T/traffic.err")"
note "scripts/partition ran $runs times beside the pipeline; before them the DEFAULT partition held $seen transactions in all"
[ "$runs" -ge 3 ] || fail "scripts/partition ran only $runs times while the traffic ran"
# the race was run: the pipeline wrote above the ranges made so far
[ "$seen" -gt 0 ] || fail "no transaction went through the DEFAULT partition while the script ran"
wait_until 90 db_synced "the pipeline to carry 0..$(node_head) into the partitioned tables"
"$ROOT/scripts/partition" --db "$DB" --size 4 --ahead 0 >"$T/part-last.out" 2>&1 ||
	fail "scripts/partition, last run: $(cat "$T/part-last.out")"
db_check --receipts >"$T/check.out" || fail "check-consistency: $(tail -5 "$T/check.out")"
for t in transactions logs; do
	bad=$(psql_q "select count(*) from $t t join pg_class c on c.oid = t.tableoid
		where c.relname <> '${t}_' || lpad(((t.block_number / 4) * 4)::text, 12, '0')")
	assert_eq 0 "$bad" "$t rows outside the partition of their height (the DEFAULT's included)"
done
[ "$(node_head)" -ge 20 ] || fail "the chain is only at $(node_head)"
pass
