#!/usr/bin/env bash
# A node whose block answers repeat a key (the fault proxy's dupkey: a fake
# "timestamp" and "miner" before the block's own): every such answer is a
# bad answer, retried and counted (rpc_errors_total{kind="duplicate_key"},
# a log line naming the key); the blocks emitted are the node's, with the
# node's own timestamp and miner.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"

anvil_start
traffic_blocks 6
to=$(node_head)
proxy_start proxy --seed 3 --fault-rate 0.5 --faults dupkey --log "$T/proxy.log"
mport=$(free_port)

bg_run f "$BIN/fetcher" --rpc "$PROXY" --follow --from 0 --batch 1 \
	--poll-interval 100ms --metrics-addr "127.0.0.1:$mport"
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 60 '[ "$(jq -s "map(select(.number == $to)) | length" "$T/f.out")" = 1 ]' "the fetcher to reach $to"
metrics=$(curl -sS "http://127.0.0.1:$mport/metrics") || fail "no /metrics"
bg_kill f

injected=$(jq -r 'select(.fault == "dupkey") | .n' "$T/proxy.log" | wc -l)
[ "$injected" -gt 0 ] || fail "the proxy never repeated a key"
n=$(sed -n 's/^rpc_errors_total{method="eth_getBlockByNumber",kind="duplicate_key"} \([0-9]*\)$/\1/p' <<<"$metrics")
[ -n "$n" ] && [ "$n" -ge 1 ] || fail "rpc_errors_total{kind=\"duplicate_key\"}: $(grep duplicate <<<"$metrics")"
grep -qE "duplicate key '(timestamp|miner)' in [$]\[0\][.]result" "$T/f.err" || fail "no log line names the repeated key: $(grep -m2 warn "$T/f.err")"

head -n $((to + 1)) "$T/f.out" >"$T/out.ndjson"
# jq keeps the last of two equal keys: look for the fake in the bytes
! grep -q '"timestamp":"0x1","miner":"0x0000000000000000000000000000000000000000"' "$T/out.ndjson" ||
	fail "a block was emitted with the fake fields"
assert_eq "$(seq 0 "$to")" "$(jq .number "$T/out.ndjson")" "every height once, in order"
node_chain 0 "$to" >"$T/node.txt"
stream_chain "$T/out.ndjson" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >"$T/diff.txt" || fail "stream differs from the node: $(head -5 "$T/diff.txt")"
for ((h = 0; h <= to; h++)); do
	want=$(rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$h")\",false]" | jq -c '[.timestamp, .miner]')
	got=$(jq -c --argjson h "$h" 'select(.number == $h) | [.block.timestamp, .block.miner]' "$T/out.ndjson")
	assert_eq "$want" "$got" "timestamp and miner of block $h"
done
pass
