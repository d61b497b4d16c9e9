#!/usr/bin/env bash
# The channel protocol at /v1/stream with the `ws` package: channels and
# filters, errors, reorgs, `since` replays, health endpoints, SIGTERM.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
[ -d "$ROOT/tests/node/node_modules/ws" ] || "$ROOT/scripts/deps" --node-clients >&2 ||
	fail "cannot install the Node.js clients (scripts/deps --node-clients)"
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_channel.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "channel protocol"; }
pass
