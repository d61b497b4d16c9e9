#!/usr/bin/env bash
# Pings and the pong timeout beyond the 2 500 clients the housekeeping
# tick visits at once (tests/node/bc_ping_many.mjs): 3 000 answering
# clients all pinged, none closed; two silent ones, the oldest among
# them, closed 4002.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
# 3000 sockets on each side: raise the descriptor limit.
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_ping_many.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "pings to 3000 clients"; }
pass
