#!/usr/bin/env bash
# Ping and pong: a client that answers no ping is dropped after the pong
# timeout, one that answers stays.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
[ -x "$BIN/broadcaster" ] || { echo "FAIL: $BIN/broadcaster not built"; exit 1; }
[ -d tests/node/node_modules/ws ] || scripts/deps --node-clients
LOG=$(mktemp "${TMPDIR:-/tmp}/bc-ping.XXXXXX")
trap 'rm -f "$LOG"' EXIT
BLOCKPIPE_BIN=$BIN BC_LOG=$LOG timeout 120 node tests/node/bc_ping.mjs || {
	echo "--- broadcaster log (tail)"; tail -n 30 "$LOG"; exit 1
}
