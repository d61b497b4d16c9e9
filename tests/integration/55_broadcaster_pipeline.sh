#!/usr/bin/env bash
# The real pipeline: anvil -> fetcher --follow -> verifier --pub ->
# broadcaster --sub (ZeroMQ) -> ethers and viem (newHeads, logs, and
# removed logs after anvil_reorg).
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
for p in fetcher verifier; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p is not built"
done
anvil_start
PUSH=$(free_port)
PUB=$(free_port)
bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	--out "@tcp://127.0.0.1:$PUSH"
bg_run verifier "$BIN/verifier" --rpc "$RPC" --state "$T/verifier.state" \
	--in "tcp://127.0.0.1:$PUSH" --pub "@tcp://127.0.0.1:$PUB" --heartbeat-interval 1s
RPC_URL=$RPC BC_SUB=tcp://127.0.0.1:$PUB BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_eth_clients.mjs" || {
	tail -n 15 "$T/fetcher.err" "$T/verifier.err" "$T/broadcaster.log" >&2
	fail "the pipeline to ethers/viem"
}
pass
