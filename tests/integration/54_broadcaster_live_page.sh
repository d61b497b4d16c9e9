#!/usr/bin/env bash
# The live page at / in headless Chromium shows a block fed after the page
# loaded (and a reorg).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
[ -x "$BIN/broadcaster" ] || { echo "FAIL: $BIN/broadcaster not built"; exit 1; }
[ -d tests/node/node_modules/ws ] || scripts/deps --node-clients
command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (scripts/deps)"; exit 1; }
LOG=$(mktemp "${TMPDIR:-/tmp}/bc-page.XXXXXX")
trap 'rm -f "$LOG"' EXIT
BLOCKPIPE_BIN=$BIN BC_LOG=$LOG timeout 120 node tests/node/bc_page.mjs || {
	echo "--- broadcaster log (tail)"; tail -n 30 "$LOG"; exit 1
}
