#!/usr/bin/env bash
# Messages that repeat a key are refused: a fake "timestamp" and "miner"
# placed before the block's own (the verifier's hash check reads the last,
# a tree keeping the first would store the fakes) and a second top-level
# "number". Each is logged (the key and where), counted in
# writer_duplicate_key_total and writer_malformed_total, and nothing of it
# is stored; the rest commits. A reorg down to block 0 (ancestor null)
# commits with a NULL ancestor_number.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

gen_stream "$T/s.ndjson" blocks=12
good=$(grep -m1 '"number":5,' "$T/s.ndjson")
fake='"timestamp":"0x1","miner":"0x000000000000000000000000000000000000dead",'
dup_block=${good/\"block\":\{/\"block\":\{$fake}
dup_number=${good/\"number\":5,/\"number\":6,\"number\":5,}
[ "$dup_block" != "$good" ] && [ "$dup_number" != "$good" ] || fail "test bug: no substitution"
# the same block with a larger seq, so that a stored fake would win
dup_block=$(sed 's/"seq":\([0-9]*\)/"seq":\1000/' <<<"$dup_block")
reorg0='{"type":"reorg","chain_id":31337,"seq":99999999999,"emitted_at":1700000000000,"ancestor":null,"orphaned":[],"new_tip":{"number":0,"hash":null},"depth":0,"deep":true,"invalidate_from":0,"invalidate_to":0,"below_finalized":false}'
{
	head -n 3 "$T/s.ndjson"
	echo "$dup_block"
	echo "$dup_number"
	tail -n +4 "$T/s.ndjson"
} >"$T/mixed.ndjson"

writer_fed "$T/mixed.ndjson" 12
metrics=$(curl -sS "http://$WRITER_METRICS/metrics") || fail "no /metrics"

assert_canonical "$DB" "$T/s.ndjson" "good messages"
assert_eq 0 "$(psql_q "select count(*) from blocks where miner = '\\x000000000000000000000000000000000000dead'::bytea or timestamp = to_timestamp(1)")" "blocks stored with the fake fields"
assert_eq 1 "$(psql_q "select count(*) from blocks where number = 5")" "block 5 stored once"
grep -qE '^writer_duplicate_key_total 2$' <<<"$metrics" || fail "writer_duplicate_key_total: $(grep duplicate <<<"$metrics")"
grep -qE '^writer_malformed_total 2$' <<<"$metrics" || fail "writer_malformed_total: $(grep malformed <<<"$metrics")"
grep '"msg":"malformed message skipped"' "$T/w.err" | jq -r .error >"$T/errors.txt"
assert_eq "duplicate key 'timestamp' in \$.block
duplicate key 'number' in \$" "$(cat "$T/errors.txt")" "log lines (what and where)"

# a reorg down to block 0: accepted, tombstone at 0
echo "$reorg0" >&3
wait_until 20 '[ "$(psql_q "select count(*) from reorgs where seq = 99999999999" 2>/dev/null || echo 0)" -eq 1 ]' "the reorg with a null ancestor committed"
assert_eq "||0" "$(psql_q "select ancestor_number, ancestor_hash, invalidate_from from reorgs where seq = 99999999999" | tr '|' '|')" "reorg row"
assert_eq "" "$(psql_q "select hash from canonical where chain_id = 31337 and number = 0")" "tombstone at 0"
exec 3>&-
bg_wait w || fail "writer exited $?: $(tail -3 "$T/w.err")"
pass
