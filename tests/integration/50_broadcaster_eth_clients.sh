#!/usr/bin/env bash
# ethers v6 and viem v2 subscribe newHeads and logs on the broadcaster while
# anvil mines and reorgs (anvil_reorg): every block arrives, and the
# orphaned logs come back with removed: true.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
[ -x "$BIN/broadcaster" ] || { echo "FAIL: $BIN/broadcaster not built"; exit 1; }
[ -d tests/node/node_modules/ethers ] || scripts/deps --node-clients

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bc-eth.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
cleanup() {
	scripts/devnet stop --port "$PORT" --dir "$TMP" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
scripts/devnet start --port "$PORT" --dir "$TMP" >/dev/null
RPC_URL=http://127.0.0.1:$PORT BLOCKPIPE_BIN=$BIN BC_LOG=$TMP/broadcaster.log \
	timeout 120 node tests/node/bc_eth_clients.mjs || {
	echo "--- broadcaster log (tail)"; tail -n 30 "$TMP/broadcaster.log" 2>/dev/null
	exit 1
}
