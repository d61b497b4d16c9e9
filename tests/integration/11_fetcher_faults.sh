#!/usr/bin/env bash
# A node that misbehaves: delays beyond the client timeout, 429 with
# Retry-After, 500, 502, truncated JSON, null results, HTML garbage,
# dropped connections, and a node lagging behind. Through all of it the
# fetcher emits every block exactly once, in order, equal to the node's
# chain; every fault was really injected (the proxy's own counts), and the
# failures show in the fetcher's log and metrics.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"

anvil_start
traffic_blocks 40
mine 20
to=$(node_head)

proxy_start proxy --seed 7 --fault-rate 0.35 --faults delay,429,500,502,truncate,null,garbage,drop
mport=$(free_port)

"$BIN/fetcher" --rpc "$PROXY" --from 0 --to "$to" --concurrency 4 --batch 2 \
	--timeout 1s --metrics-addr "127.0.0.1:$mport" >"$T/out.ndjson" 2>"$T/fetcher.err" ||
	fail "fetcher exited $?: $(tail -3 "$T/fetcher.err")"

assert_eq "$(seq 0 "$to")" "$(jq .number "$T/out.ndjson")" "every height once, in order"
node_chain 0 "$to" >"$T/node.txt"
stream_chain "$T/out.ndjson" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >"$T/diff.txt" || fail "stream differs from the node: $(head -5 "$T/diff.txt")"

stats=$(curl -s "$PROXY/__stats")
for k in 429 500 truncate null garbage; do
	n=$(echo "$stats" | jq -r --arg k "$k" '.faults[$k] // .[$k] // 0')
	[ "$n" -gt 0 ] || fail "fault '$k' was never injected: $stats"
done
grep -q '"level":"warn"' "$T/fetcher.err" || fail "no warning logged for the faults"

# The same through a lagging node pool: heads that go backwards and nulls
# for heights the other node announced. Follow mode, live blocks.
curl -s -X POST -d '{"fault_rate":0.5,"faults":"lag,null,429"}' "$PROXY/__control" >/dev/null
start=$((to + 1))
bg_run follow "$BIN/fetcher" --rpc "$PROXY" --follow --from "$start" --poll-interval 100ms --timeout 2s
for _ in $(seq 1 10); do traffic_blocks 1; done
last=$(node_head)
wait_until 60 '[ "$(jq -s "map(select(.number == $last)) | length" "$T/follow.out")" = 1 ]' "follower reached $last"
bg_kill follow
assert_eq "$(seq "$start" "$last")" "$(jq .number "$T/follow.out")" "follow: every height once, in order"
node_chain "$start" "$last" >"$T/node2.txt"
stream_chain "$T/follow.out" >"$T/stream2.txt"
diff "$T/node2.txt" "$T/stream2.txt" >"$T/diff2.txt" || fail "follow stream differs: $(head -5 "$T/diff2.txt")"
pass
