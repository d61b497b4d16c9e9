#!/usr/bin/env bash
# The whole pipeline (fetcher | verifier | writer) talks to the node only
# through fault-injecting proxies: one node that delays beyond the client
# timeout, answers 429 (Retry-After), 500, 502, truncated JSON, HTML,
# nulls, drops connections and corrupts block headers; and one that lags
# behind (answers null for a third of the requests, as a node that does
# not have the height yet). Through traffic and a reorg, the database ends
# equal to the node (check-consistency): no loss, no wrong row; and the
# faults were really injected.
. "$(dirname "$0")/../lib.sh"

anvil_start
traffic_blocks 40
new_db >/dev/null
db_schema

proxy_start bad --seed 11 --fault-rate 0.3 --faults delay,429,500,502,truncate,null,garbage,drop,corrupt
BAD=$PROXY
proxy_start lagging --seed 12 --fault-rate 0.33 --faults null
LAGGING=$PROXY
NODES=$BAD,$LAGGING

bg_run pipe bash -c '"$1/fetcher" --rpc "$2" --from 0 --follow --poll-interval 100ms --timeout 1s --batch 1 \
		2>"$4/fetcher.err" |
	"$1/verifier" --rpc "$2" --rpc-timeout 1s --db "$3" --start-block 0 --window 64 \
		--audit-interval 2s 2>"$4/verifier.err" |
	"$1/writer" --db "$3" 2>"$4/writer.err"' _ "$BIN" "$NODES" "$DB" "$T"

wait_until 120 db_matches_node "the database to equal the node through the faults"

traffic_blocks 5
# the reorg must replace blocks the pipeline holds, or there is nothing to
# record: wait for them first (through the faults this can take seconds)
wait_until 120 db_matches_node "the database to hold the blocks the reorg replaces"
acct=$(rpc eth_accounts | jq -r '.[2]')
rpc anvil_reorg "[3, [[{\"from\":\"$acct\",\"to\":\"$acct\",\"value\":\"0x9\"}, 0]]]" >/dev/null
traffic_blocks 3
wait_until 120 db_matches_node "the database to follow a reorg through the faults"
bg_alive pipe || fail "the pipeline exited: $(tail -3 "$T/fetcher.err" "$T/verifier.err" "$T/writer.err")"

stats=$(curl -s "$BAD/__stats")
injected=$(echo "$stats" | jq '[.faults[]] | add')
kinds=$(echo "$stats" | jq '[.faults[] | select(. > 0)] | length')
[ "$injected" -ge 10 ] && [ "$kinds" -ge 5 ] ||
	fail "too few faults injected ($injected, $kinds kinds): $stats"
lag=$(curl -s "$LAGGING/__stats" | jq '.faults.null // 0')
[ "$lag" -gt 0 ] || fail "the lagging node never lagged"
[ "$(psql_q 'select count(*) from reorgs')" -ge 1 ] || fail "the reorg was not recorded"
pass
