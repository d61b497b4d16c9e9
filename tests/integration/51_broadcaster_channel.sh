#!/usr/bin/env bash
# The channel protocol at /v1/stream with the `ws` package: channels and
# filters, errors, reorgs, `since` replays, health endpoints, SIGTERM.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_channel.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "channel protocol"; }
pass
