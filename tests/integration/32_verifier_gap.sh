#!/usr/bin/env bash
# Messages lost between fetcher and verifier (awk drops heights 5..7 and
# 12): the verifier fetches the missing heights itself, emits them in
# order with reason "gap", and the stream equals the node's chain. Then
# the same in follow mode, with a reorg hidden inside a gap: the node
# reorgs while the fetcher's messages for the new blocks are dropped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

anvil_start --silent
for i in $(seq 15); do send_tx "$i"; done
drop=$(keep_heights '!(n >= 5 && n <= 7) && n != 12 && !(n >= 23 && n <= 24)')
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" -- perl -e "$drop"
OUT=$T/p.out
wait_until 60 'stream_synced "$OUT" 0' "blocks 0..15"
[ "$(jq -c 'select(.reason == "gap") | .number' "$OUT" | tr '\n' ' ')" = "5 6 7 12 " ] ||
	fail "gap blocks: $(jq -c 'select(.reason == "gap") | .number' "$OUT" | tr '\n' ' ')"

# follow: 16..22 arrive, then the node reorgs 3 deep (20..22 replaced),
# the fetcher's 23 and 24 are dropped, 25 arrives: the gap 23..24 is
# filled from the node, whose 23 does not extend our 22: a reorg.
mine 7
wait_until 60 'stream_synced "$OUT" 0' "blocks up to 22"
rpc anvil_reorg "[3, [[$(tx_json 5), 1]]]" >/dev/null
mine 3
wait_until 60 'stream_synced "$OUT" 0' "the stream to heal gap and reorg"
jq -c 'select(.type == "reorg" and .ancestor.number == 19 and .depth == 3)' "$OUT" | grep -q . ||
	fail "no reorg message with ancestor 19"
stream_seq_increasing "$OUT" || fail "seq does not strictly increase"
pass
