#!/usr/bin/env bash
# Input messages that repeat a key are dropped, logged and counted in
# verifier_bad_input_total{reason="duplicate_key"}: a second top-level
# "number" (one height checked, another written) and a fake "timestamp"
# before the block's own (the hash would verify over the last, a writer
# keeping the first would store the fake). The stream out is the node's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"

anvil_start
traffic_blocks 4
"$BIN/fetcher" --rpc "$RPC" --from 0 --to head >"$T/in.ndjson" 2>"$T/fetcher.err" ||
	fail "fetcher exit status $?"
to=$(($(wc -l <"$T/in.ndjson") - 1))
b2=$(sed -n 3p "$T/in.ndjson")
dup_number=${b2/\"number\":2,/\"number\":3,\"number\":2,}
dup_ts=${b2/\"block\":\{/\"block\":\{\"timestamp\":\"0x1\",}
[ "$dup_number" != "$b2" ] && [ "$dup_ts" != "$b2" ] || fail "test bug: no substitution"
{
	head -n 2 "$T/in.ndjson"
	echo "$dup_number"
	echo "$dup_ts"
	tail -n +3 "$T/in.ndjson"
} >"$T/mixed.ndjson"

mport=$(free_port)
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
bg_run v "$BIN/verifier" --rpc "$RPC" --metrics-addr "127.0.0.1:$mport" <"$T/fifo" 3>&-
cat "$T/mixed.ndjson" >&3
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 '[ "$(wc -l <"$T/v.out")" -ge $((to + 1)) ]' "blocks 0..$to emitted"
metrics=$(curl -sS "http://127.0.0.1:$mport/metrics") || fail "no /metrics"
exec 3>&-
bg_wait v || fail "verifier exited $?: $(tail -3 "$T/v.err")"

grep -qE '^verifier_bad_input_total\{reason="duplicate_key"\} 2$' <<<"$metrics" ||
	fail "verifier_bad_input_total: $(grep bad_input <<<"$metrics")"
grep -qE '^verifier_bad_input_total\{reason="json"\} 0$' <<<"$metrics" ||
	fail "counted as invalid JSON too: $(grep bad_input <<<"$metrics")"
grep '"msg":"input message repeats a key; dropped"' "$T/v.err" | jq -r .error >"$T/errors.txt"
assert_eq "duplicate key 'number' in \$
duplicate key 'timestamp' in \$.block" "$(cat "$T/errors.txt")" "log lines"
assert_eq "$(seq 0 "$to")" "$(jq .number "$T/v.out")" "every height once, in order"
node_chain 0 "$to" >"$T/node.txt"
stream_chain "$T/v.out" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >"$T/diff.txt" || fail "stream differs from the node: $(head -5 "$T/diff.txt")"
! grep -q '"block":{"timestamp":"0x1",' "$T/v.out" || fail "the fake timestamp went through"
pass
