#!/usr/bin/env bash
# A client that never reads is closed after --write-timeout at one block a
# second, long before its queue or the kernel's buffers fill; the readers
# stay and get every block.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_write_timeout.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "write timeout"; }
pass
