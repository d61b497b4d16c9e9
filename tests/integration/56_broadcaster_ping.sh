#!/usr/bin/env bash
# Ping and pong: a client that answers no ping is dropped after the pong
# timeout, one that answers stays.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_ping.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "ping/pong"; }
pass
