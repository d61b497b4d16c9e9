#!/usr/bin/env bash
# The real pipeline: anvil -> fetcher --follow -> verifier --pub ->
# broadcaster --sub (ZeroMQ) -> ethers and viem (newHeads, logs, and
# removed logs after anvil_reorg).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
for p in fetcher verifier broadcaster; do
	[ -x "$BIN/$p" ] || { echo "FAIL: $BIN/$p not built"; exit 1; }
done
[ -d tests/node/node_modules/ethers ] || scripts/deps --node-clients

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bc-pipe.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
PUB=$((PORT + 1))
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	scripts/devnet stop --port "$PORT" --dir "$TMP" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
scripts/devnet start --port "$PORT" --dir "$TMP" >/dev/null
RPC=http://127.0.0.1:$PORT
mkfifo "$TMP/blocks"
"$BIN/fetcher" --rpc "$RPC" --from 0 --follow --poll-interval 100ms >"$TMP/blocks" 2>"$TMP/fetcher.log" &
pids+=($!)
"$BIN/verifier" --rpc "$RPC" --state "$TMP/verifier.state" --pub "@tcp://127.0.0.1:$PUB" \
	--heartbeat-interval 1s <"$TMP/blocks" >/dev/null 2>"$TMP/verifier.log" &
pids+=($!)
RPC_URL=$RPC BC_SUB=tcp://127.0.0.1:$PUB BLOCKPIPE_BIN=$BIN BC_LOG=$TMP/broadcaster.log \
	timeout 120 node tests/node/bc_eth_clients.mjs || {
	for l in fetcher verifier broadcaster; do
		echo "--- $l log (tail)"; tail -n 15 "$TMP/$l.log" 2>/dev/null
	done
	exit 1
}
