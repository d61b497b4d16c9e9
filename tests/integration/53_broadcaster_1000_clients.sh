#!/usr/bin/env bash
# 1000 concurrent WebSocket clients (channel and eth_subscribe), each
# receiving every block in order.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
# 1000 sockets on each side: raise the descriptor limit.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
CLIENTS=${CLIENTS:-1000} BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_many.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "1000 clients"; }
pass
