#!/usr/bin/env bash
# A reorg deeper than the window (--window 8, anvil_reorg 20): the walk
# leaves what the verifier can compare, so the reorg is deep: logged
# loudly, emitted with deep:true, the orphaned hashes it held, the whole
# range to invalidate from the start block, and the chain ingested again
# from there. Blocks below --start-block are never emitted.
. "$(dirname "$0")/verifier_helpers.bash"

v_anvil_start
v_mine 30
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --window 8 --start-block 5
OUT=$V_TMP/p.out
v_wait_until 60 "blocks 5..30" v_synced "$OUT" 5
v_rpc anvil_reorg "[20, [[$(v_tx_obj 3), 0]]]" >/dev/null
# The fetcher notices the replaced tip (30) by itself; block 31 may or may
# not be mined by the time the verifier resolves the reorg.
v_mine 1
v_wait_until 60 "the stream after the deep reorg" v_synced "$OUT" 5
jq -e -s 'map(select(.type == "block" and .number < 5)) | length == 0' "$OUT" >/dev/null ||
	v_fail "blocks below the start block were emitted"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || v_fail "expected one reorg message: $msg"
jq -e '.deep == true and .ancestor.number == 4 and .invalidate_from == 5 and
	.invalidate_to == 30 and (.new_tip.number == 30 or .new_tip.number == 31) and
	[.orphaned[].number] == [23, 24, 25, 26, 27, 28, 29, 30]' <<<"$msg" >/dev/null ||
	v_fail "deep reorg message is wrong: $msg"
grep -q '"msg":"DEEP REORG' "$V_TMP/p.verifier.err" || v_fail "the deep reorg was not logged loudly"
v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
pass
