#!/usr/bin/env bash
# A chain that gets shorter: the verifier holds 0..20, the node rolls back
# 4 blocks and mines one (head 17 on a new branch), and the fetcher,
# restarted, sends 12..17 again. 12..16 are duplicates (forwarded, new
# seq); 17 replaces the held 17 and is canonical, so the heights above it
# (18..20) are orphaned too. A stale block of the old branch that arrives
# late is dropped. Then the stream equals the node's chain, 18..20
# tombstoned.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
for i in $(seq 20); do send_tx "$i"; done
"$BIN/fetcher" --rpc "$RPC" --from 0 --to head >"$T/old.ndjson" 2>"$T/f1.err"
old20=$(node_hash 20)
old17=$(node_hash 17)
rpc anvil_rollback '[4]' >/dev/null
send_tx 99
[ "$(node_head)" -eq 17 ] || fail "unexpected head $(node_head)"
"$BIN/fetcher" --rpc "$RPC" --from 12 --to head >"$T/new.ndjson" 2>"$T/f2.err"
# the old 18, sent late, must be dropped as stale
cat "$T/old.ndjson" "$T/new.ndjson" <(sed -n 19p "$T/old.ndjson") |
	"$BIN/verifier" --rpc "$RPC" >"$T/out.ndjson" 2>"$T/v.err" ||
	fail "verifier exit status $?"
OUT=$T/out.ndjson
stream_matches_node "$OUT" 0 || { stream_explain "$OUT" 0; fail "stream differs from the node"; }
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
msg=$(jq -c 'select(.type == "reorg")' "$OUT")
[ "$(wc -l <<<"$msg")" -eq 1 ] || fail "expected one reorg message: $msg"
jq -e --arg h17 "$old17" --arg h20 "$old20" '
	.ancestor.number == 16 and .new_tip.number == 17 and .depth == 4 and
	.invalidate_from == 17 and .invalidate_to == 20 and
	[.orphaned[].number] == [17, 18, 19, 20] and
	.orphaned[0].hash == $h17 and .orphaned[3].hash == $h20' <<<"$msg" >/dev/null ||
	fail "reorg message is wrong: $msg"
# 12..16 forwarded again: 21 + 5 duplicates + 17 + 1 block messages
[ "$(jq -c 'select(.type == "block")' "$OUT" | wc -l)" -eq 27 ] ||
	fail "expected 27 block messages, got $(jq -c 'select(.type == "block")' "$OUT" | wc -l)"
grep -q '"msg":"block 18 dropped' "$T/v.err" || fail "the stale block 18 was not dropped"
pass
