#!/usr/bin/env bash
# 1000 concurrent WebSocket clients (channel and eth_subscribe), each
# receiving every block in order.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
[ -x "$BIN/broadcaster" ] || { echo "FAIL: $BIN/broadcaster not built"; exit 1; }
[ -d tests/node/node_modules/ws ] || scripts/deps --node-clients
# 1000 sockets on each side, in one shell: raise the descriptor limit.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
LOG=$(mktemp "${TMPDIR:-/tmp}/bc-many.XXXXXX")
trap 'rm -f "$LOG"' EXIT
CLIENTS=${CLIENTS:-1000} BLOCKPIPE_BIN=$BIN BC_LOG=$LOG timeout 120 node tests/node/bc_many.mjs || {
	echo "--- broadcaster log (tail)"; tail -n 30 "$LOG"; exit 1
}
