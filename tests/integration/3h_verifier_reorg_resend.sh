#!/usr/bin/env bash
# A reorg the verifier recorded is never lost to the stream
# (docs/verifier.md, "Reorgs sent again"). The pipeline on ZeroMQ
# (fetcher, verifier --db --pub, two writers, the broadcaster with a
# WebSocket client on newBlocks, newLogs and reorgs, a tap on the PUB
# socket) follows anvil; the verifier runs with tests/tools/preload/
# kill_on_reorg.so, which SIGKILLs it:
#  1. between the record and the send: the `reorgs` row is there, unsent,
#     and nothing carried the reorg. Restarted, the verifier sends it
#     again before anything new: the tap receives it with the recorded
#     seq, orphaned hashes, ancestor and new tip, before every message of
#     the new verifier; the WebSocket client receives the reorg, then the
#     orphans' logs with removed: true, then the new branch;
#  2. after the send, before it marked the reorg sent: the reorg goes out
#     twice with one seq (the tap sees both), the broadcaster passes it
#     once (the new branch's logs are not taken back), and it is one
#     `reorgs` row;
#  3. restarted once more, the verifier sends neither again.
# The database ends equal to the node (check-consistency) with exactly
# one `reorgs` row a reorg, none unsent.
# shellcheck disable=SC2034 # PL_ENV_verifier is pl_start's
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"

need_node_clients
SHIM=$BIN/kill_on_reorg.so
[ -f "$SHIM" ] || fail "$SHIM is not built (make all)"
shim_env() {
	echo "LD_PRELOAD=$SHIM KILL_ON_REORG=$1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

anvil_start --silent
traffic_blocks 6
new_db >/dev/null
pl_init
PL_ENV_verifier=$(shim_env before)
for s in writer1 writer2 broadcaster verifier fetcher; do pl_start "$s"; done
bg_run tap "$BIN/tap" "tcp://127.0.0.1:$PL_PUB"
bg_run ws node "$ROOT/tests/node/bc_stream_log.mjs" "ws://127.0.0.1:$PL_WS/v1/stream" \
	newBlocks newLogs reorgs
wait_until 90 db_synced "the backfill of 0..$(node_head)"
# SUB sockets join late: a heartbeat proves the tap listens
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'grep -q "\"type\":\"heartbeat\"" "$T/tap.out"' "a heartbeat on the tap"
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'grep -q "^# connected" "$T/ws.out"' "the WebSocket client to subscribe"

msgs() { jq -c "select(.type == \"$2\")" "$T/$1.out" 2>/dev/null; }
ws_msgs() { grep -v '^#' "$T/ws.out" | jq -c "select(.type == \"$1\")"; }
# the newest recorded reorg, as the database has it
recorded() {
	psql_q "select json_build_object('seq', seq, 'orphaned', orphaned,
		'ancestor', json_build_object('number', ancestor_number,
			'hash', '0x' || encode(ancestor_hash, 'hex')),
		'new_tip', json_build_object('number', new_tip_number,
			'hash', '0x' || encode(new_tip_hash, 'hex')), 'unsent', unsent)
		from reorgs where chain_id = 31337 and not repair order by seq desc limit 1"
}
ws_has_head() {
	local h
	h=$(node_head)
	ws_msgs newBlock | jq -e --argjson h "$h" 'select(.data.height == $h)' >/dev/null
}
# live blocks with logs, which the WebSocket client receives
live_blocks() {
	traffic_blocks "$1"
	wait_until 90 db_synced "the pipeline to hold 0..$(node_head)"
	wait_until 30 'ws_has_head 2>/dev/null' "the WebSocket client to receive block $(node_head)"
}
# pl_reorg, then wait for the shim to kill the verifier
reorg_and_kill() {
	local when=$1 depth=$2
	pl_reorg "$depth" txs
	wait_until 90 '! bg_alive verifier' "the verifier to be killed $when the reorg's send"
	grep -q "kill_on_reorg: SIGKILL $when the reorg message was sent" "$T/verifier.err" ||
		fail "the verifier died, not by the shim $when the send: $(tail -n 3 "$T/verifier.err")"
}
# restart the verifier (PL_ENV_verifier as set) and wait for its heartbeat
restart_verifier() {
	local before
	before=$(msgs tap heartbeat | wc -l)
	pl_restart verifier "${1:-KILL}"
	wait_until 60 "[ \"\$(msgs tap heartbeat | wc -l)\" -gt $before ]" \
		"a heartbeat of the restarted verifier on the tap"
}
live_blocks 3

# 1. killed between the record and the send
top=$(node_head)
old=$(node_hashes $((top - 2)) "$top")
reorg_and_kill before 3
r1=$(recorded)
s1=$(jq .seq <<<"$r1")
jq -e --argjson old "$old" --argjson top "$top" '.unsent and
	([.orphaned[].number] == [range($top - 2; $top + 1)]) and
	([.orphaned[] | .hash == $old[(.number | tostring)]] | all) and
	.ancestor.number == $top - 3' <<<"$r1" >/dev/null ||
	fail "the reorg was not recorded as unsent with the old branch: $r1, old $old"
[ -z "$(msgs tap reorg)" ] || fail "a reorg went out before the kill: $(msgs tap reorg)"
[ -z "$(ws_msgs reorg)" ] || fail "a WebSocket client got a reorg before the kill"
cut1=$(wc -l <"$T/ws.out")
PL_ENV_verifier=
restart_verifier
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 '[ -n "$(msgs tap reorg)" ]' "the reorg sent again on the tap"
# (a) the recorded reorg, before anything of the new verifier
jq -e -s --argjson r "$r1" 'map(select(.type == "reorg")) | length == 1 and
	(.[0] | .seq == $r.seq and .orphaned == $r.orphaned
		and .ancestor == $r.ancestor and .new_tip == $r.new_tip)' \
	<(msgs tap reorg) >/dev/null ||
	fail "the tap's reorg is not the recorded one: $(msgs tap reorg), recorded $r1"
jq -e -s --argjson s "$s1" '(map(.seq >= $s) | index(true)) as $i
	| $i != null and .[$i].type == "reorg" and .[$i].seq == $s' "$T/tap.out" >/dev/null ||
	fail "the reorg was not the first message of seq $s1 or above on the tap"
traffic_blocks 1
wait_until 90 db_synced "the database to heal after the kill before the send"
wait_until 30 'ws_has_head 2>/dev/null' "the WebSocket client to receive the new head"
# the WebSocket client: the reorg, then the orphans' logs removed, then
# the new branch
tail -n +"$((cut1 + 1))" "$T/ws.out" | grep -v '^#' >"$T/ws1.ndjson"
held=$(head -n "$cut1" "$T/ws.out" | grep -v '^#' | jq -c -s --argjson old "$old" \
	'[.[] | select(.type == "newLog" and (.data.blockHash as $h | [$old[]] | index($h)) != null)
	 | [.data.blockHash, .data.logIndex]] | sort')
[ "$(jq length <<<"$held")" -ge 1 ] || fail "the WebSocket client held no log of the orphans"
jq -e -s --argjson s "$s1" --argjson held "$held" --argjson from $((top - 2)) '
	(map(.type == "reorg") | index(true)) as $r
	| $r != null and .[$r].seq == $s and (map(select(.type == "reorg")) | length) == 1
	and ([.[$r + 1:][] | select(.type == "newLog" and .data.removed)
	      | [.data.blockHash, .data.logIndex]] | sort) == $held
	and ([.[:$r][] | select(.type == "newBlock" and .data.height >= $from)] | length) == 0
	and ([.[] | select(.type == "newLog" and .data.removed)] | length) == ($held | length)' \
	"$T/ws1.ndjson" >/dev/null ||
	fail "the WebSocket client did not get the reorg, then the removed logs ($held), then the new branch: $(jq -c '{type, seq, h: (.data.height // .data.blockNumber), r: .data.removed}' "$T/ws1.ndjson" | head -n 30)"
# (b) one reorgs row, sent
r1=$(recorded)
jq -e --argjson s "$s1" '.seq == $s and (.unsent | not)' <<<"$r1" >/dev/null ||
	fail "the reorg is still unsent: $r1"
assert_eq 1 "$(psql_q "select count(*) from reorgs where chain_id = 31337 and not repair")" \
	"reorgs rows after the first reorg"

# 2. killed after the send, before it was marked sent
PL_ENV_verifier=$(shim_env after)
restart_verifier TERM
live_blocks 2
top=$(node_head)
reorg_and_kill after 2
r2=$(recorded)
s2=$(jq .seq <<<"$r2")
{ [ "$s2" -gt "$s1" ] && jq -e .unsent <<<"$r2" >/dev/null; } || fail "the second reorg is not unsent: $r2"
[ "$(msgs tap reorg | jq -s --argjson s "$s2" 'map(select(.seq == $s)) | length')" = 1 ] ||
	fail "the second reorg did not go out before the kill"
cut2=$(wc -l <"$T/ws.out")
PL_ENV_verifier=
restart_verifier
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 '[ "$(msgs tap reorg | jq -s --argjson s "$s2" "map(select(.seq == \$s)) | length")" = 2 ]' \
	"the second reorg sent again on the tap"
assert_eq "$(msgs tap reorg | jq -c "select(.seq == $s2) | del(.emitted_at)" | sort -u | wc -l)" 1 \
	"distinct contents of the second reorg's two sends"
traffic_blocks 1
wait_until 90 db_synced "the database to heal after the kill after the send"
wait_until 30 'ws_has_head 2>/dev/null' "the WebSocket client to receive the new head"
new=$(node_hashes $((top - 1)) "$top")
tail -n +"$((cut2 + 1))" "$T/ws.out" | grep -v '^#' >"$T/ws2.ndjson"
jq -e -s --argjson new "$new" '(map(select(.type == "reorg")) | length) == 0 and
	([.[] | select(.type == "newLog" and .data.removed
		and (.data.blockHash as $h | [$new[]] | index($h)) != null)] | length) == 0' \
	"$T/ws2.ndjson" >/dev/null ||
	fail "the WebSocket client got the repeat or lost the new branch's logs: $(jq -c '{type, seq, r: .data.removed}' "$T/ws2.ndjson" | head -n 20)"
assert_eq 1 "$(ws_msgs reorg | jq -s --argjson s "$s2" 'map(select(.seq == $s)) | length')" \
	"the second reorg on the WebSocket client"
grep -q "reorg not broadcast again: a reorg of seq $s2 " "$T/broadcaster.err" ||
	fail "the broadcaster did not log the repeat it refused"
# its dashboard counts each reorg once
assert_eq 2 "$(curl -sf -m 10 "http://127.0.0.1:$PL_WS/v1/status" | jq .reorgs.total)" \
	"reorgs in the broadcaster's /v1/status"
assert_eq "2|0" "$(psql_q "select count(*), count(*) filter (where unsent) from reorgs
	where chain_id = 31337 and not repair")" "reorgs rows (all, unsent) after the second reorg"

# 3. (c) restarted again: nothing is sent again
n_reorgs=$(msgs tap reorg | wc -l)
restart_verifier TERM
traffic_blocks 1
wait_until 90 db_synced "the pipeline after the last restart"
assert_eq "$n_reorgs" "$(msgs tap reorg | wc -l)" "reorg messages on the tap after the last restart"
! grep -q "sent again" "$T/verifier.err" || fail "the last verifier sent a reorg again"
db_check >"$T/check.out" 2>&1 || fail "check-consistency: $(tail -n 5 "$T/check.out")"
pass
