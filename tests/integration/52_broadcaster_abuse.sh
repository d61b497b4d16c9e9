#!/usr/bin/env bash
# Abuse: a client that never reads, a flooder, invalid UTF-8, oversized
# messages, binary frames, slow headers, refused origins and paths; the
# well-behaved clients still get every message.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_abuse.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "abuse"; }
pass
