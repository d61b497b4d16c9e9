#!/usr/bin/env bash
# The command line: --help on stdout with status 0, configuration errors
# as one line with status 2, --check-config, bad input lines skipped with
# a log line and nothing after them lost, a node of another chain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"
V=$BIN/verifier

"$V" --help >"$T/help" || fail "--help exit status $?"
grep -q '^usage: verifier ' "$T/help" || fail "--help has no synopsis"
grep -q 'BLOCKPIPE_RPC_URL' "$T/help" || fail "--help does not name the variables"

# status 2 and exactly one line on stderr (the synopsis too for misuse)
expect2() {
	local want=$1 rc=0
	shift
	"$V" "$@" </dev/null >"$T/o" 2>"$T/e" || rc=$?
	[ "$rc" -eq 2 ] || fail "verifier $*: exit status $rc, want 2"
	grep -q "$want" "$T/e" || fail "verifier $*: '$(cat "$T/e")' lacks '$want'"
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
[ "$(wc -l <"$T/e")" -eq 1 ] || fail "more than one line for a bad --rpc: $(cat "$T/e")"
"$V" --rpc http://127.0.0.1:1 --check-config >"$T/o" || fail "--check-config exit status $?"
grep -qx 'configuration OK' "$T/o" || fail "--check-config printed '$(cat "$T/o")'"

anvil_start --silent
mine 4
expect2 'the node reports chain id 31337, not 5' --rpc "$RPC" --chain-id 5
"$BIN/fetcher" --rpc "$RPC" --from 0 --to head >"$T/in" 2>"$T/f.err"
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
BLOCKPIPE_RPC_URL=$RPC "$V" --metrics-addr 127.0.0.1:0 <"$T/mixed" >"$T/out" 2>"$T/v.err" ||
	fail "verifier exit status $?"
stream_matches_node "$T/out" 0 || fail "stream differs from the node"
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "expected the 5 good blocks, got $(wc -l <"$T/out")"
[ "$(grep -c '"level":"warn"' "$T/v.err")" -eq 6 ] || fail "expected 6 warnings: $(grep warn "$T/v.err")"
grep -q 'block message of another chain; dropped' "$T/v.err" || fail "another chain not reported"
grep -q "input message of type 'committed' is not a block" "$T/v.err" || fail "type not reported"
pass
