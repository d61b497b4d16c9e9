#!/usr/bin/env bash
# Malformed lines in the stream are logged (what, where, why), counted in
# /metrics and skipped; everything else commits. Messages without seq are
# refused unless --allow-unsequenced.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

gen_stream "$T/s.ndjson" blocks=60 reorg_every=20 depth=2
good=$(head -1 "$T/s.ndjson")
# Bad lines: not JSON, truncated, wrong hash length, receipts of another
# block's size, a number where an object belongs, a 300-bit value, no seq.
{
	echo 'this is not json'
	echo "${good:0:200}"
	echo "${good/\"hash\":\"0x0000000000000000/\"hash\":\"0x00}"
	echo "$good" | jq -c '.receipts = [{}]'
	echo "$good" | jq -c '.block = 7'
	echo '{"type":"block","chain_id":31337,"seq":1,"number":0}'
	echo "$good" | jq -c 'del(.seq)'
	echo '{"type":"reorg","chain_id":31337,"seq":99,"ancestor":{"number":1,"hash":"0x00"},"orphaned":[],"invalidate_from":2,"invalidate_to":1}'
} >"$T/bad.ndjson"
# Interleave: a bad line after every 8th good one.
awk -v bad="$T/bad.ndjson" '{ print } NR % 8 == 0 && (getline b < bad) > 0 { print b }' \
	"$T/s.ndjson" >"$T/mixed.ndjson"
[ "$(wc -l <"$T/mixed.ndjson")" -eq $(($(wc -l <"$T/s.ndjson") + 8)) ] || fail "test bug: not all bad lines placed"

writer_fed "$T/mixed.ndjson" 60
metrics=$(curl -sS "http://$WRITER_METRICS/metrics") || fail "no /metrics"
exec 3>&-
bg_wait w || fail "writer exited $?: $(tail -3 "$T/w.err")"

assert_canonical "$DB" "$T/s.ndjson" "good messages"
malformed=$(grep -c '"msg":"malformed message skipped"' "$T/w.err" || true)
assert_eq 7 "$malformed" "malformed log lines"
assert_eq 1 "$(grep -c '"msg":"message without seq skipped"' "$T/w.err" || true)" "unsequenced log lines"
# each log line says where (message number) and why
grep '"msg":"malformed message skipped"' "$T/w.err" | jq -e 'select((.message | type) != "number" or (.error | length) < 5)' >/dev/null &&
	fail "a malformed-message line lacks its position or reason"
grep -q '"error":"message.hash: not a 32-byte 0x-hex hash"' "$T/w.err" || fail "no reason for the bad hash"
grep -qE '^writer_malformed_total 7$' <<<"$metrics" || fail "writer_malformed_total: $(grep malformed <<<"$metrics")"
grep -qE '^writer_unsequenced_total 1$' <<<"$metrics" || fail "writer_unsequenced_total: $(grep unsequenced <<<"$metrics")"
grep -qE '^writer_ignored_total 6$' <<<"$metrics" || fail "writer_ignored_total (heartbeats): $(grep ignored <<<"$metrics")"
grep -qE '^writer_watermark\{chain_id="31337"\} 59$' <<<"$metrics" || fail "writer_watermark: $(grep watermark <<<"$metrics")"
grep -qE '^writer_rows_total\{table="blocks"\} 64$' <<<"$metrics" || fail "writer_rows_total blocks: $(grep rows_total <<<"$metrics")"

# --allow-unsequenced: the fetcher's stream without a verifier.
new_db >/dev/null
jq -c 'select(.type == "block") | del(.seq)' "$T/s.ndjson" |
	"$BIN/writer" --db "$DB" 2>"$T/u1.err" || fail "writer exited $?"
assert_eq 0 "$(psql_q 'select count(*) from blocks')" "unsequenced blocks refused by default"
grep -q 'see --allow-unsequenced' "$T/u1.err" || fail "no hint at --allow-unsequenced"
jq -c 'select(.type == "block") | del(.seq)' "$T/s.ndjson" |
	"$BIN/writer" --db "$DB" --allow-unsequenced 2>"$T/u2.err" || fail "writer exited $?"
# without seq the first block of a height wins: the reorgs' new branches
# are not applied, but every height is there
assert_eq 60 "$(psql_q 'select count(*) from canonical_blocks')" "heights with --allow-unsequenced"
assert_eq 0 "$(psql_q 'select count(*) from canonical where seq <> number')" "seq = number"
pass
