#!/usr/bin/env bash
# Clients whose sockets stop taking data mid-block (more owed than the
# kernel's buffers hold) get, once they read again, the very frames a
# reading client got, whole and in order (channel and eth_subscribe).
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_partial.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "partial sends"; }
pass
