#!/usr/bin/env bash
# Abuse: a client that never reads, a flooder, invalid UTF-8, oversized
# messages, binary frames, slow headers, refused origins and paths; the
# well-behaved clients still get every message.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
[ -d "$ROOT/tests/node/node_modules/ws" ] || "$ROOT/scripts/deps" --node-clients >&2 ||
	fail "cannot install the Node.js clients (scripts/deps --node-clients)"
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_abuse.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "abuse"; }
pass
