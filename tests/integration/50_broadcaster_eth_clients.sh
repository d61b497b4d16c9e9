#!/usr/bin/env bash
# ethers v6 and viem v2 subscribe newHeads and logs on the broadcaster while
# anvil mines and reorgs (anvil_reorg): every block arrives, and the
# orphaned logs come back with removed: true. The broadcaster is fed by a
# small stand-in for the verifier (tests/node/lib.mjs AnvilFeeder); test 55
# does the same through the real fetcher and verifier.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
anvil_start
RPC_URL=$RPC BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_eth_clients.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "ethers/viem against the broadcaster"; }
pass
