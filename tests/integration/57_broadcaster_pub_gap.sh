#!/usr/bin/env bash
# PUB counter gaps over ZeroMQ: detected, logged, counted, and told to
# channel clients as a `gap` message; a publisher restart is no gap.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
[ -x "$BIN/bc_pubfeed" ] || fail "$BIN/bc_pubfeed is not built (tests/tools/bc_pubfeed.c)"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_gap.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "PUB gaps"; }
pass
