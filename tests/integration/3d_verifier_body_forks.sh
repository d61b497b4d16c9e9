#!/usr/bin/env bash
# Block bodies verified on anvil at every hardfork it offers, Frontier to
# Osaka: legacy transfers, contract creations (one that runs out and
# fails, status 0, one whose init code logs), EIP-2930 from Berlin and
# EIP-1559 from London, three of each in three blocks. Every block's
# transactions, receipts and withdrawals verify (no mismatch line; the
# stream equals the node), also with --verify-sender. Then, on the last
# fork's chain, a log's data altered in the pipe is caught as
# receiptsRoot (log line, verifier_body_mismatches_total{field=
# "receiptsRoot"}), fetched again and never emitted, and --no-verify-body
# lets it through.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

FORKS="frontier homestead tangerine spuriousdragon byzantium constantinople
petersburg istanbul berlin london paris shanghai cancun prague osaka"
GP='"gasPrice":"0x77359400"'
KEY=0x0000000000000000000000000000000000000000000000000000000000000001

send() { rpc eth_sendTransaction "[$1]" >/dev/null || fail "$fork: cannot send $1"; }

fill() { # three blocks of every kind of transaction the fork has
	local fork=$1 b
	rpc evm_setAutomine '[false]' >/dev/null
	for b in 1 2 3; do
		send "{\"from\":\"$TX_FROM\",\"to\":\"$TX_TO\",\"value\":\"0x$b\",$GP}"
		send "{\"from\":\"$TX_FROM\",\"data\":\"0x60006000a0\",\"gas\":\"0x30000\",$GP}"
		send "{\"from\":\"$TX_FROM\",\"data\":\"0xfe\",\"gas\":\"0x30000\",$GP}"
		case " berlin london paris shanghai cancun prague osaka " in *" $fork "*)
			send "{\"from\":\"$TX_FROM\",\"to\":\"$TX_TO\",\"value\":\"0x5\",$GP,\"type\":\"0x1\",\"accessList\":[{\"address\":\"$TX_TO\",\"storageKeys\":[\"$KEY\"]}]}" ;;
		esac
		case " london paris shanghai cancun prague osaka " in *" $fork "*)
			send "{\"from\":\"$TX_FROM\",\"to\":\"$TX_TO\",\"value\":\"0x6\",\"maxFeePerGas\":\"0x77359400\",\"maxPriorityFeePerGas\":\"0x3\"}" ;;
		esac
		mine 1
	done
}

for fork in $FORKS; do
	anvil_start --silent --hardfork "$fork"
	fill "$fork"
	"$BIN/fetcher" --rpc "$RPC" --from 0 --to head >"$T/$fork.in" 2>"$T/$fork.fetcher.err" ||
		fail "$fork: fetcher exit status $?"
	[ "$(wc -l <"$T/$fork.in")" -eq 4 ] || fail "$fork: expected 4 blocks"
	jq -e -s 'map(.receipts[] | select(.status == "0x0")) | length == 3' "$T/$fork.in" >/dev/null ||
		fail "$fork: expected 3 failed creations"
	jq -e -s 'map(.receipts[].logs[]) | length == 3' "$T/$fork.in" >/dev/null ||
		fail "$fork: expected 3 logs"
	for flags in "" --verify-sender; do
		# shellcheck disable=SC2086 # flags is one flag or none
		"$BIN/verifier" --rpc "$RPC" $flags <"$T/$fork.in" >"$T/$fork.out" \
			2>"$T/$fork.verifier.err" || fail "$fork: verifier $flags exit status $?"
		grep -q '"msg":"body verification on"' "$T/$fork.verifier.err" ||
			fail "$fork: body verification is not on"
		grep -q 'mismatch' "$T/$fork.verifier.err" && fail "$fork $flags: a block did not verify"
		stream_matches_node "$T/$fork.out" 0 || fail "$fork: stream differs from the node"
		jq -e -s 'map(select(.reason != null)) | length == 0' "$T/$fork.out" >/dev/null ||
			fail "$fork: blocks re-sent"
	done
	types=$(jq -s -c 'map(.block.transactions[].type) | unique' "$T/$fork.in")
	[ "$fork" = osaka ] || anvil_stop
	note "$fork: 4 blocks verified, types $types"
done

# on the osaka chain: block 2's first log gets other data in the pipe
sed '3s/"data":"0x"/"data":"0x01"/' "$T/osaka.in" >"$T/bad.in"
cmp -s "$T/osaka.in" "$T/bad.in" && fail "the test did not alter block 2"
h2=$(node_hash 2)
"$BIN/verifier" --rpc "$RPC" <"$T/bad.in" >"$T/bad.out" 2>"$T/bad.verifier.err" ||
	fail "verifier exit status $?"
grep '"msg":"block body mismatch at height 2: receiptsRoot at block.receiptsRoot' "$T/bad.verifier.err" |
	jq -e --arg h "$h2" '.level == "error" and .height == 2 and .hash == $h and .field == "receiptsRoot"' >/dev/null ||
	fail "no body mismatch line for block 2"
grep -q '"data":"0x01"' "$T/bad.out" && fail "the altered block was emitted"
jq -c 'select(.number == 2) | [.reason, .hash]' "$T/bad.out" | grep -qx "\[\"refetch\",\"$h2\"\]" ||
	fail "block 2 was not fetched again"
stream_matches_node "$T/bad.out" 0 || fail "stream differs from the node"
# the counters, from a verifier that stays up (its input stays open)
mkfifo "$T/feed"
bg_run mv bash -c 'exec "$1/verifier" --rpc "$2" --metrics-addr 127.0.0.1:0 <"$3"' _ \
	"$BIN" "$RPC" "$T/feed"
exec 7>"$T/feed"
cat "$T/bad.in" >&7
wait_until 30 'grep -q "serving metrics" "$T/mv.err" 2>/dev/null' "the metrics port"
port=$(sed -n "s/.*serving metrics on '127.0.0.1:0' (port \([0-9]*\)).*/\1/p" "$T/mv.err" | head -n 1)
[ -n "$port" ] || fail "the verifier does not say where its metrics are"
scrape() { curl -sS "http://127.0.0.1:$port/metrics" >"$T/metrics" && grep -q "^verifier_bodies_verified_total [1-9]" "$T/metrics" && grep -q 'fetched again and verified' "$T/mv.err"; }
wait_until 30 'scrape 2>/dev/null' "the 4 blocks verified"
exec 7>&-
grep -qx 'verifier_body_mismatches_total{field="receiptsRoot"} 1' "$T/metrics" ||
	fail "receiptsRoot mismatch not counted: $(grep body_ "$T/metrics")"
[ "$(grep -c '^verifier_body_mismatches_total{field="[a-zA-Z_]*"} 0$' "$T/metrics")" -eq 16 ] ||
	fail "expected the 16 other fields at 0: $(grep body_mismatches "$T/metrics")"
grep -qx 'verifier_bodies_verified_total 4' "$T/metrics" ||
	fail "expected 4 bodies verified: $(grep bodies_verified "$T/metrics")"
bg_wait mv || fail "verifier exit status $?"
"$BIN/verifier" --rpc "$RPC" --no-verify-body <"$T/bad.in" >"$T/nv.out" 2>"$T/nv.verifier.err"
grep -q '"data":"0x01"' "$T/nv.out" || fail "--no-verify-body did not pass the block through"
grep -q '"msg":"body verification off"' "$T/nv.verifier.err" || fail "no 'body verification off' line"
pass
