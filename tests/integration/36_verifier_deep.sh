#!/usr/bin/env bash
# A reorg deeper than the window (--window 8, anvil_reorg 20): the walk
# leaves what the verifier can compare, so the reorg is deep: logged
# loudly, emitted with deep:true, the orphaned hashes it held, the whole
# range to invalidate from the start block, and the chain ingested again
# from there. Blocks below --start-block are never emitted.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
mine 30
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --window 8 --start-block 5
OUT=$T/p.out
wait_until 60 'stream_synced "$OUT" 5' "blocks 5..30"
rpc anvil_reorg "[20, [[$(tx_json 3), 0]]]" >/dev/null
# The fetcher notices the replaced tip (30) by itself; block 31 may or may
# not be mined by the time the verifier resolves the reorg.
mine 1
wait_until 60 'stream_synced "$OUT" 5' "the stream after the deep reorg"
jq -e -s 'map(select(.type == "block" and .number < 5)) | length == 0' "$OUT" >/dev/null ||
	fail "blocks below the start block were emitted"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || fail "expected one reorg message: $msg"
jq -e '.deep == true and .ancestor.number == 4 and .invalidate_from == 5 and
	.invalidate_to == 30 and (.new_tip.number == 30 or .new_tip.number == 31) and
	[.orphaned[].number] == [23, 24, 25, 26, 27, 28, 29, 30]' <<<"$msg" >/dev/null ||
	fail "deep reorg message is wrong: $msg"
grep -q '"msg":"DEEP REORG' "$T/p.verifier.err" || fail "the deep reorg was not logged loudly"
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
pass
