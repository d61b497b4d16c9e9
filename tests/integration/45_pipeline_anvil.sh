#!/usr/bin/env bash
# The whole pipeline against anvil: fetcher --follow | verifier | writer.
# After anvil_reorg (with new transactions) and anvil_rollback, the
# watermark is the node's head and the canonical views equal the node's
# chain height by height: hashes, transaction and log counts (db_synced).
. "$(dirname "$0")/../lib.sh"

anvil_start
traffic_blocks 20
new_db >/dev/null
db_schema

pipe_follow

wait_until 60 db_synced "the database to hold blocks 0..head"

rpc anvil_reorg '[3, []]' >/dev/null
traffic_blocks 2
wait_until 60 db_synced "the database to follow a reorg of depth 3"

rpc anvil_rollback '[2]' >/dev/null
traffic_blocks 4
wait_until 60 db_synced "the database to follow a rollback of 2"

bg_alive pipe || fail "the pipeline exited: $(tail -3 "$T/writer.err" "$T/verifier.err")"
[ "$(psql_q 'select count(*) from reorgs')" -ge 2 ] || fail "reorgs were not recorded"
n=$(psql_q 'select count(*) from canonical_transactions')
[ "$n" -gt 20 ] || fail "only $n canonical transactions"
pass
