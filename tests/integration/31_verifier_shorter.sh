#!/usr/bin/env bash
# A chain that gets shorter: the verifier holds 0..20, the node rolls back
# 4 blocks and mines one (head 17 on a new branch), and the fetcher,
# restarted, sends 12..17 again. 12..16 are duplicates (forwarded, new
# seq); 17 replaces the held 17 and is canonical, so the heights above it
# (18..20) are orphaned too. A stale block of the old branch that arrives
# late is dropped. Then the stream equals the node's chain, 18..20
# tombstoned.
. "$(dirname "$0")/verifier_helpers.bash"

v_anvil_start
for i in $(seq 20); do v_send "$i"; done
"$V_BIN/fetcher" --rpc "$V_RPC" --from 0 --to head >"$V_TMP/old.ndjson" 2>"$V_TMP/f1.err"
old20=$(v_hash 20)
old17=$(v_hash 17)
v_rpc anvil_rollback '[4]' >/dev/null
v_send 99
[ "$(v_head)" -eq 17 ] || v_fail "unexpected head $(v_head)"
"$V_BIN/fetcher" --rpc "$V_RPC" --from 12 --to head >"$V_TMP/new.ndjson" 2>"$V_TMP/f2.err"
# the old 18, sent late, must be dropped as stale
cat "$V_TMP/old.ndjson" "$V_TMP/new.ndjson" <(sed -n 19p "$V_TMP/old.ndjson") |
	"$V_BIN/verifier" --rpc "$V_RPC" >"$V_TMP/out.ndjson" 2>"$V_TMP/v.err" ||
	v_fail "verifier exit status $?"
OUT=$V_TMP/out.ndjson
v_matches_node "$OUT" 0 || { v_explain "$OUT" 0; v_fail "stream differs from the node"; }
v_seq_increasing "$OUT" || v_fail "seq does not strictly increase"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || v_fail "expected one reorg message: $msg"
jq -e --arg h17 "$old17" --arg h20 "$old20" '
	.ancestor.number == 16 and .new_tip.number == 17 and .depth == 4 and
	.invalidate_from == 17 and .invalidate_to == 20 and
	[.orphaned[].number] == [17, 18, 19, 20] and
	.orphaned[0].hash == $h17 and .orphaned[3].hash == $h20' <<<"$msg" >/dev/null ||
	v_fail "reorg message is wrong: $msg"
# 12..16 forwarded again: 21 + 5 duplicates + 17 + 1 block messages
[ "$(jq -c 'select(.type == "block")' "$OUT" | wc -l)" -eq 27 ] ||
	v_fail "expected 27 block messages, got $(jq -c 'select(.type == "block")' "$OUT" | wc -l)"
grep -q '"msg":"block 18 dropped' "$V_TMP/v.err" || v_fail "the stale block 18 was not dropped"
pass
