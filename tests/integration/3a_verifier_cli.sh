#!/usr/bin/env bash
# The command line: --help on stdout with status 0, configuration errors
# as one line with status 2, --check-config, bad input lines skipped with
# a log line and nothing after them lost, a node of another chain.
. "$(dirname "$0")/verifier_helpers.bash"
V=$V_BIN/verifier

"$V" --help >"$T/help" || v_fail "--help exit status $?"
grep -q '^usage: verifier ' "$T/help" || v_fail "--help has no synopsis"
grep -q 'BLOCKPIPE_RPC_URL' "$T/help" || v_fail "--help does not name the variables"

# status 2 and exactly one line on stderr (the synopsis too for misuse)
expect2() {
	local want=$1 rc=0
	shift
	"$V" "$@" </dev/null >"$T/o" 2>"$T/e" || rc=$?
	[ "$rc" -eq 2 ] || v_fail "verifier $*: exit status $rc, want 2"
	grep -q "$want" "$T/e" || v_fail "verifier $*: '$(cat "$T/e")' lacks '$want'"
}
expect2 'verifier: no node to ask' --window 4
BLOCKPIPE_RPC_URL= expect2 'verifier: no node to ask'
expect2 "invalid value '0' for --window" --rpc http://127.0.0.1:1 --window 0
expect2 "invalid value 'x' for --window" --rpc http://127.0.0.1:1 --window x
expect2 "invalid value 'soon' for --heartbeat-interval" --rpc http://127.0.0.1:1 --heartbeat-interval soon
expect2 'needs --start-block' --rpc http://127.0.0.1:1 --db postgresql:///x
expect2 'give one' --rpc http://127.0.0.1:1 --db postgresql:///x --start-block 0 --state /tmp/x
expect2 "unknown option '--frobnicate'" --rpc http://127.0.0.1:1 --frobnicate
expect2 "invalid --rpc URL" --rpc ftp://127.0.0.1:1
[ "$(wc -l <"$T/e")" -eq 1 ] || v_fail "more than one line for a bad --rpc: $(cat "$T/e")"
"$V" --rpc http://127.0.0.1:1 --check-config >"$T/o" || v_fail "--check-config exit status $?"
grep -qx 'configuration OK' "$T/o" || v_fail "--check-config printed '$(cat "$T/o")'"

v_anvil_start
v_mine 4
expect2 'the node reports chain id 31337, not 5' --rpc "$V_RPC" --chain-id 5
"$V_BIN/fetcher" --rpc "$V_RPC" --from 0 --to head >"$T/in" 2>"$T/f.err"
{
	sed -n 1,2p "$T/in"
	echo 'this is not json'
	echo '{"type":"block"'
	echo '[1,2,3]'
	echo '{"type":"committed","chain_id":31337}'
	echo '{"type":"block","chain_id":31337,"number":2}'
	sed -n 3p "$T/in" | sed 's/"chain_id":31337/"chain_id":7/'
	sed -n '3,$p' "$T/in"
} >"$T/mixed"
BLOCKPIPE_RPC_URL=$V_RPC "$V" --metrics-addr 127.0.0.1:0 <"$T/mixed" >"$T/out" 2>"$T/v.err" ||
	v_fail "verifier exit status $?"
v_matches_node "$T/out" 0 || v_fail "stream differs from the node"
[ "$(wc -l <"$T/out")" -eq 5 ] || v_fail "expected the 5 good blocks, got $(wc -l <"$T/out")"
[ "$(grep -c '"level":"warn"' "$T/v.err")" -eq 6 ] || v_fail "expected 6 warnings: $(grep warn "$T/v.err")"
grep -q 'block message of another chain; dropped' "$T/v.err" || v_fail "another chain not reported"
grep -q "input message of type 'committed' is not a block" "$T/v.err" || v_fail "type not reported"
pass
