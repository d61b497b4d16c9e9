#!/usr/bin/env bash
# Repeated keys: the verifier's messages that repeat a key are refused,
# logged and counted (broadcaster_duplicate_key_total{source="input"}),
# never broadcast; client requests that repeat one get an error naming it
# ({source="request"}) and the connection stays open.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_dupkey.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "repeated keys"; }
pass
