#!/usr/bin/env bash
# Follow mode picks up blocks mined while it runs, by polling and by a
# newHeads subscription; a tip replaced by a reorg that does not move the
# head is emitted again (so the verifier sees it at once) and the head is
# then polled 5 times 10 ms apart; anvil stopped and restarted mid-follow on the same
# state leaves no gap and no duplicate; a node without eth_getBlockReceipts
# is served by the eth_getTransactionReceipt fallback.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"

state=$T/anvil-state.json
anvil_start --state "$state"
traffic_blocks 5
start=$(node_head)
mport=$(free_port)

# Polling follower and a newHeads follower side by side.
bg_run poll "$BIN/fetcher" --rpc "$RPC" --follow --from "$start" --poll-interval 200ms \
	--metrics-addr "127.0.0.1:$mport"
# The newHeads follower asks through a proxy that logs each request, so
# that its head polls can be counted.
proxy_start wsproxy --log "$T/wsrpc.log"
bg_run ws "$BIN/fetcher" --rpc "$PROXY" --follow --from "$start" --poll-interval 30s \
	--ws "ws://127.0.0.1:$ANVIL_PORT"
wait_until 20 'grep -q "newHeads: subscribed" "$T/ws.err"'
traffic_blocks 5
mine 3
last=$(node_head)
# The newHeads follower polls only every 30 s: seeing the blocks quickly
# means the subscription delivered them.
wait_until 15 '[ "$(tail -n1 "$T/ws.out" | jq .number)" = "$last" ]' "newHeads follower reached $last"
wait_until 30 '[ "$(tail -n1 "$T/poll.out" | jq .number)" = "$last" ]' "poll follower reached $last"
jq -e 'select(.live != true)' "$T/poll.out" >/dev/null && fail "a follow-mode block near the tip is not live"
curl -s "http://127.0.0.1:$mport/metrics" >"$T/metrics.txt"
grep -Eq "^fetcher_blocks_total $((last - start + 1))\$" "$T/metrics.txt" ||
	fail "fetcher_blocks_total wrong: $(grep fetcher_blocks "$T/metrics.txt")"
grep -Eq "^fetcher_node_head $last\$" "$T/metrics.txt" || fail "fetcher_node_head wrong"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/ready")" = 200 ] || fail "/ready is not 200"

# A reorg of depth 1 with another transaction: the head does not move,
# its hash does. Both followers emit the new tip again by themselves.
acct=$(rpc eth_accounts | jq -r '.[1]')
rpc anvil_reorg "[1, [[{\"from\":\"$acct\",\"to\":\"$acct\",\"value\":\"0x7\"}, 0]]]" >/dev/null
newhash=$(rpc eth_getBlockByNumber '["latest",false]' | jq -r .hash)
wait_until 20 'grep -q "$newhash" "$T/ws.out"' "ws follower emitted the replaced tip"
# A replaced tip starts a branch whose next blocks a node may announce
# late: the follower polls the latest header 5 times 10 ms apart then,
# though --poll-interval is 30 s (a head poll is the one request of a
# single eth_getBlockByNumber; a block fetch batches it with receipts).
head_polls() { jq -s '[.[] | select(.method == "eth_getBlockByNumber" and .calls == 1)] | length' "$T/wsrpc.log"; }
poll_until 10 '[ "$(head_polls)" -ge 5 ]' ||
	fail "timed out after 10s waiting for 5 quick head polls after the replaced tip (saw $(head_polls))"
wait_until 20 'grep -q "$newhash" "$T/poll.out"' "poll follower emitted the replaced tip"
grep -q 'was replaced' "$T/poll.err" || fail "the replacement was not logged"

# anvil goes away and comes back on the same port with the same state.
anvil_stop
sleep 2
bg_run anvil2 "$ANVIL" --host 127.0.0.1 --port "$ANVIL_PORT" --state "$state"
wait_until 30 'rpc eth_chainId >/dev/null 2>&1' "anvil back"
traffic_blocks 4
last=$(node_head)
wait_until 60 '[ "$(tail -n1 "$T/poll.out" | jq .number)" = "$last" ]' "poll follower reached $last after the restart"
wait_until 60 '[ "$(tail -n1 "$T/ws.out" | jq .number)" = "$last" ]' "ws follower reached $last after the restart"
bg_kill poll
bg_kill ws
node_chain "$start" "$last" >"$T/node.txt"
for f in poll ws; do
	# Every height in order, and once more only for the replaced tip; the
	# last block emitted at each height is the node's.
	assert_eq "$(seq "$start" "$last")" "$(jq .number "$T/$f.out" | awk '!seen[$0]++')" "$f: every height, in order"
	[ "$(jq .number "$T/$f.out" | wc -l)" -le $((last - start + 2)) ] || fail "$f: blocks emitted twice"
	jq -c -s 'reduce .[] as $b ({}; .[$b.number | tostring] = $b) | [.[]] | sort_by(.number)[]' \
		"$T/$f.out" >"$T/$f.last"
	stream_chain "$T/$f.last" >"$T/$f.txt"
	diff "$T/node.txt" "$T/$f.txt" >"$T/diff.txt" || fail "$f stream differs from the node: $(head -5 "$T/diff.txt")"
done
grep -q '"level":"warn"' "$T/poll.err" || fail "the outage was not logged"

# No eth_getBlockReceipts: the fallback gives the same receipts.
proxy_start proxy --hide-method eth_getBlockReceipts
"$BIN/fetcher" --rpc "$PROXY" --from "$start" --to "$last" \
	>"$T/fallback.out" 2>"$T/fallback.err" || fail "fetcher exited $?"
grep -q 'lacks eth_getBlockReceipts' "$T/fallback.err" || fail "no fallback logged"
jq -c '.receipts' "$T/fallback.out" >"$T/r1"
jq -c '.receipts' "$T/poll.last" >"$T/r2"
cmp -s "$T/r1" "$T/r2" || fail "fallback receipts differ from eth_getBlockReceipts"
pass
