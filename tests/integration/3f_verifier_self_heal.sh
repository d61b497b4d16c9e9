#!/usr/bin/env bash
# The database's canonical chain heals itself (docs/verifier.md, "Audit"):
#  - the writer loses every reorg message and every block of a new branch
#    (what a writer SIGKILLed right after a reorg reached it takes with
#    it): the verifier recorded the reorg and its tombstones before it
#    emitted them, so each reorg has its one `reorgs` row and the audit
#    fills the tombstoned heights from the node;
#  - a reorg deeper than the window lists every orphaned block (the
#    database's below the window);
#  - canonical pointers set back to the old branch (the issue's failure:
#    a height whose new block was lost keeps the orphan's pointer), at the
#    tip and below it, are found by the audit (tip against the node,
#    parent links) and repaired, recorded as repairs;
#  - a verifier restarted on such a database does not trust the broken
#    part of its window, and the audit repairs it;
#  - a reorg with "ancestor": null is recorded by the writer.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

new_db >/dev/null
anvil_start --silent
for i in $(seq 8); do send_tx "$i"; done
db_schema

# the lossy writer: follows the verifier's output, but never sees a reorg
# message nor a block sent for a reorg
start_lossy_writer() {
	stream_writer "$1" "$2" 'select(.type != "reorg" and .reason != "reorg")'
}
db_hash() { psql_q "select '0x' || encode(hash, 'hex') from canonical where number = $1"; }
# point heights $1 and $2 (or only $1) at the orphans of \$old, in one
# transaction (an audit between two updates would see half of it), as
# lost messages would leave them
point_at() {
	psql_q "update canonical c set hash = decode(substr(o.hash, 3), 'hex')
		from json_to_recordset('$old') as o(number bigint, hash text)
		where c.chain_id = 31337 and c.number = o.number
		  and c.number between $1 and ${2:-$1}" >/dev/null
}
reorg_msgs() { cat "$T"/*.verifier.out 2>/dev/null | jq -c 'select(.type == "reorg")'; }
# the database equals the node and verifier a has emitted nothing for 2 s:
# an audit sends a height again at every pass until it sees it committed,
# so copies can still be on their way (file, tail, jq, writer) when the
# database first matches, and one landing after point_at would mend the
# pointer itself, without the repair the test is about
settled() {
	local n
	db_matches_node || return 1
	n=$(wc -l <"$T/a.verifier.out")
	sleep 2
	[ "$(wc -l <"$T/a.verifier.out")" = "$n" ] && db_matches_node
}
# every reorg message emitted has exactly one reorgs row, with its orphaned list
ledger_complete() {
	local want have
	want=$(reorg_msgs | jq -s -c 'map({seq, orphaned}) | sort_by(.seq)')
	have=$(psql_q "select coalesce(json_agg(json_build_object('seq', seq, 'orphaned', orphaned) order by seq), '[]') from reorgs where chain_id = 31337 and not repair")
	jq -ne --argjson w "$want" --argjson h "$have" '$w == $h' >/dev/null
}

verifier_pipeline a --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s --window 4
start_lossy_writer w1 a
wait_until 60 db_matches_node "the database to hold 0..8"

# 1. a reorg of depth 3 whose message and new branch are lost
rpc anvil_reorg "[3, [[$(tx_json 77), 0]]]" >/dev/null
mine 1
reorg_seen() { reorg_msgs | grep -q .; }
wait_until 60 'reorg_seen 2>/dev/null' "the reorg of depth 3"
wait_until 90 db_matches_node "the database to heal after a lost reorg"
[ "$(reorg_msgs | wc -l)" -ge 1 ] || fail "no reorg message"
# every block the writer lost (sent for a reorg: at the reorg, or when an
# audit met the old branch in the window first) was sent again by the
# audit, later
jq -e -s '[.[] | select(.type == "block" and .reason == "reorg")] as $lost
	| [.[] | select(.type == "block" and .reason == "audit")] as $audit
	| ($lost | length) >= 1 and all($lost[]; . as $x
		| any($audit[]; .number == $x.number and .seq > $x.seq))' "$T/a.out" >/dev/null ||
	fail "the audit did not emit the lost heights again: $(jq -c -s 'map(select(.type == "block" and (.reason == "reorg" or .reason == "audit")) | {number, reason, seq})' "$T/a.out")"
wait_until 30 'ledger_complete 2>/dev/null' "one reorgs row per reorg message"

# 2. a reorg deeper than the window (4): every orphan is listed
head=$(node_head)
old=$(psql_q "select json_agg(json_build_object('number', number, 'hash', '0x' || encode(hash, 'hex')) order by number) from canonical where number between $((head - 5)) and $head")
rpc anvil_reorg "[6, [[$(tx_json 78), 0]]]" >/dev/null
deep_seen() { reorg_msgs | jq -e -s 'map(select(.depth == 6)) | length == 1' >/dev/null; }
wait_until 60 'deep_seen 2>/dev/null' "the deep reorg"
wait_until 90 db_matches_node "the database to heal after the deep reorg"
got=$(psql_q "select orphaned from reorgs where chain_id = 31337 and depth = 6 and not repair")
jq -ne --argjson o "$old" --argjson g "$got" '$o == $g' >/dev/null ||
	fail "deep reorg: orphaned $got, want $old"
reorg_msgs | jq -e -s 'map(select(.depth == 6))[0] | .deep == true and (.orphaned | length) == 6' >/dev/null ||
	fail "the deep reorg message does not list 6 orphans: $(reorg_msgs | tail -n 1)"
wait_until 30 'ledger_complete 2>/dev/null' "one reorgs row per reorg message"

# 3a. the tip's pointer set back to the orphan at its height: only the
# comparison of the tip with the node can find it
head=$(node_head)
orphan_tip=$(jq -ne --argjson o "$old" --argjson h "$head" -r '$o[] | select(.number == $h) | .hash')
[ -n "$orphan_tip" ] && [ "$orphan_tip" != "$(db_hash "$head")" ] || fail "no orphan at the tip $head"
wait_until 60 'settled 2>/dev/null' "the audits' copies to land"
point_at "$head"
wait_until 60 db_matches_node "the audit to repair the tip"
[ "$(psql_q "select count(*) from reorgs where repair and invalidate_to = $head")" -ge 1 ] ||
	fail "the tip's repair was not recorded"

# 3b. pointers below the tip set back to the old branch: a broken link
wait_until 60 'settled 2>/dev/null' "the audits' copies to land"
point_at $((head - 4)) $((head - 3))
wait_until 60 db_matches_node "the audit to repair a broken link"
grep -q '"msg":"audit: the database.s canonical chain is not the node.s' "$T/a.verifier.err" ||
	fail "no repair log line"
[ "$(psql_q "select count(*) from reorgs where repair and invalidate_from <= $((head - 4)) and invalidate_to >= $((head - 3))")" -ge 1 ] ||
	fail "the repair of $((head - 4))..$((head - 3)) was not recorded: $(psql_q 'select invalidate_from, invalidate_to, repair from reorgs')"

# 4. a restart on a database whose window is broken
bg_term a.verifier || fail "verifier exit status $? on SIGTERM"
bg_term a.fetcher || true
point_at $((head - 2)) $((head - 1))
verifier_pipeline b --rpc "$RPC" --from "$((head + 1))" --follow --poll-interval 100ms \
	-- --rpc "$RPC" --db "$DB" --start-block 0 --audit-interval 1s --window 4
bg_kill w1
start_lossy_writer w2 b
mine 2
wait_until 90 db_matches_node "the database to heal after the restart"
grep -q '"msg":"the database.s canonical chain is broken below' "$T/b.verifier.err" ||
	fail "the restarted verifier trusted a broken window"
wait_until 30 'ledger_complete 2>/dev/null' "one reorgs row per reorg message"

# 5. "ancestor": null (a deep reorg below block 0) is a valid reorg
echo '{"type":"reorg","chain_id":999,"seq":5,"emitted_at":1700000000000,"ancestor":null,"orphaned":[{"number":0,"hash":"0x1111111111111111111111111111111111111111111111111111111111111111"}],"new_tip":{"number":0,"hash":"0x2222222222222222222222222222222222222222222222222222222222222222"},"depth":1,"deep":true,"invalidate_from":0,"invalidate_to":0,"below_finalized":false}' |
	"$BIN/writer" --db "$DB" >/dev/null 2>"$T/null.err" || fail "writer: $(cat "$T/null.err")"
assert_eq "t|0|1" "$(psql_q "select ancestor_number is null, invalidate_from, (select count(*) from canonical where chain_id = 999 and hash is null) from reorgs where chain_id = 999")" \
	"the reorg with a null ancestor"

bg_term b.verifier || fail "verifier exit status $? on SIGTERM"
pass
