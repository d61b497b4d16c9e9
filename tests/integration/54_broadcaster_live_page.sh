#!/usr/bin/env bash
# The live page at / in headless Chromium shows a block fed after the page
# loaded (and a reorg).
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps)"
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_page.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "live page"; }
pass
