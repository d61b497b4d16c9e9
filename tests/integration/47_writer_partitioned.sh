#!/usr/bin/env bash
# Partitioned big tables (scripts/partition, docs/operations.md): on a
# database whose transactions and logs scripts/partition made partitioned
# by block range (ranges of 8 heights, partitions up to 15 only), the
# whole pipeline follows anvil through a reorg and a rollback: the
# database equals the node, contents included; rows sit in the partition
# of their height; blocks above the last range land in the DEFAULT
# partition, and a later run moves them into a new partition. The
# orphan clean-up and the views work on the partitioned tables.
. "$(dirname "$0")/../lib.sh"

anvil_start
traffic_blocks 6
new_db >/dev/null
"$ROOT/scripts/partition" --db "$DB" --size 8 --upto 15 >"$T/part.out" 2>&1 ||
	fail "scripts/partition: $(cat "$T/part.out")"
"$BIN/writer" --db "$DB" --init-schema 2>"$T/init.err" || fail "--init-schema: $(cat "$T/init.err")"
assert_eq p "$(psql_q "select relkind from pg_class where relname = 'logs'")" "logs is partitioned"
assert_eq 3 "$(psql_q "select count(*) from pg_inherits where inhparent = 'logs'::regclass")" \
	"logs has partitions 0..7, 8..15 and DEFAULT"
# the schema's indexes reach the partitions
psql_q "select indexname from pg_indexes where tablename = 'logs_000000000008'" >"$T/idx"
grep -q address "$T/idx" || fail "the schema's logs (address, block_number) index is not on a partition: $(cat "$T/idx")"

pipe_follow --keep-orphans 1ms
wait_until 60 db_synced "the pipeline to carry 0..$(node_head) into the partitioned tables"
rpc anvil_reorg '[3, []]' >/dev/null
traffic_blocks 14
wait_until 90 db_synced "the database to follow a reorg of depth 3 and 14 blocks more"
rpc anvil_rollback '[2]' >/dev/null
traffic_blocks 2
wait_until 60 db_synced "the database to follow a rollback of 2"
db_check >"$T/check.out" || fail "check-consistency: $(tail -5 "$T/check.out")"
head=$(node_head)
[ "$head" -ge 16 ] || fail "the chain is only at $head: nothing above the last range"

# every row in the partition of its height
for t in transactions logs; do
	bad=$(psql_q "select count(*) from $t t join pg_class c on c.oid = t.tableoid
		where c.relname <> '${t}_default' and c.relname <> '${t}_' || lpad(((t.block_number / 8) * 8)::text, 12, '0')")
	assert_eq 0 "$bad" "$t rows outside the partition of their height"
	n=$(psql_q "select count(*) from ${t}_default")
	[ "$n" -gt 0 ] || fail "no $t row above height 15 reached the DEFAULT partition"
done
# the orphans of the reorg are cleaned up on the partitioned tables too
wait_until 30 "[ \"\$(psql_q 'select count(*) from logs l where not exists (select 1 from canonical c
	where c.chain_id = l.chain_id and c.hash = l.block_hash)')\" = 0 ]" "the orphaned logs to be cleaned up"

# a later run makes the partitions ahead and moves the DEFAULT's rows in
bg_kill pipe
"$ROOT/scripts/partition" --db "$DB" --size 8 --ahead 1 >"$T/part2.out" 2>&1 ||
	fail "scripts/partition, second run: $(cat "$T/part2.out")"
for t in transactions logs; do
	assert_eq 0 "$(psql_q "select count(*) from ${t}_default")" "$t rows left in the DEFAULT partition"
done
db_check >"$T/check2.out" || fail "check-consistency after moving rows: $(tail -5 "$T/check2.out")"
pass
