#!/usr/bin/env bash
# A node that corrupts data: the fault proxy (bin/faultproxy --faults
# corrupt --fault-rate 1) flips one hex digit of stateRoot or
# transactionsRoot of every block the first time it is asked for. The
# fetcher passes the corrupted blocks on; the verifier recomputes each
# hash, catches every one (log line, counter), fetches it again through
# the proxy (clean the second time) and emits only the good bytes, with
# reason "refetch".
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
for i in $(seq 8); do send_tx "$i"; done
proxy_start proxy --faults corrupt --fault-rate 1 --seed 7 --log "$T/proxy.log"

"$BIN/fetcher" --rpc "$PROXY" --batch 1 --from 0 --to head >"$T/in.ndjson" 2>"$T/fetcher.err" ||
	fail "fetcher exit status $?"
n=$(wc -l <"$T/in.ndjson")
[ "$n" -eq 9 ] || fail "fetcher sent $n blocks"
"$BIN/verifier" --rpc "$PROXY" --metrics-addr 127.0.0.1:0 <"$T/in.ndjson" \
	>"$T/out.ndjson" 2>"$T/verifier.err" || fail "verifier exit status $?"

# every corrupted block caught: as many mismatch lines as corrupted blocks
corrupted=$(jq -r 'select(.fault == "corrupt") | .n' "$T/proxy.log" | wc -l)
[ "$corrupted" -ge 9 ] || fail "the proxy corrupted only $corrupted answers"
caught=$(grep -c '"msg":"block hash mismatch at height' "$T/verifier.err" || true)
[ "$caught" -ge 9 ] || fail "only $caught mismatches caught"
stream_matches_node "$T/out.ndjson" 0 || { stream_explain "$T/out.ndjson" 0; fail "stream differs from the node"; }
# the roots emitted are the node's
for h in $(seq 0 8); do
	want=$(rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$h")\",false]" | jq -c '[.stateRoot, .transactionsRoot]')
	got=$(jq -c --argjson h "$h" 'select(.number == $h) | [.block.stateRoot, .block.transactionsRoot]' "$T/out.ndjson")
	[ "$got" = "$want" ] || fail "block $h emitted with $got, node has $want"
done
[ "$(jq -c 'select(.reason == "refetch")' "$T/out.ndjson" | wc -l)" -eq 9 ] ||
	fail "expected 9 refetched blocks"
pass
