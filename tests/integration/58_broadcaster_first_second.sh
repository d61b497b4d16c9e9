#!/usr/bin/env bash
# Clients work from their first second: ethers and viem against a
# broadcaster that has seen no block yet print nothing and get the first
# head (tests/node/bc_first_second.mjs), with --rpc and with --chain-id.
# Then the chain guard: --rpc to a node of another chain than --chain-id
# is a configuration error (exit 2); and a node that does not answer does
# not keep the broadcaster from serving.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
need_node_clients
anvil_start
mine 5 >/dev/null
RPC_URL=$RPC BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log node "$ROOT/tests/node/bc_first_second.mjs" ||
	{ tail -n 30 "$T/broadcaster.log" >&2; fail "ethers/viem against a broadcaster that has seen no block"; }

rc=0
"$BIN/broadcaster" --sub - --listen 127.0.0.1:0 --rpc "$RPC" --chain-id 1 </dev/null 2>"$T/guard.err" || rc=$?
assert_eq 2 "$rc" "exit status with --rpc serving chain 31337 and --chain-id 1"
grep -q 'serves chain 31337, not --chain-id 1' "$T/guard.err" || fail "no clear error line: $(cat "$T/guard.err")"

# A node that is not there: the broadcaster serves all the same (a warn
# line, eth_chainId from --chain-id), and its URL's key stays out of the log.
BP=$(free_port) DEAD=$(free_port)
bg_run dead "$BIN/broadcaster" --sub - --listen "127.0.0.1:$BP" --chain-id 31337 \
	--rpc "http://127.0.0.1:$DEAD/v3/5ec7e7a9b1c24d0f8e6a3b2c1d0e9f8a" </dev/null
wait_until 30 "curl -sf http://127.0.0.1:$BP/health >/dev/null" "the broadcaster to serve without its node"
grep -q 'cannot read the head of the node' "$T/dead.err" || fail "no warn line for a node that does not answer: $(cat "$T/dead.err")"
grep -q 5ec7e7a9b1c24d0f "$T/dead.err" && fail "the node URL's key is in the log: $(grep 5ec7e7a9b1c24d0f "$T/dead.err")"
bg_kill dead
pass
