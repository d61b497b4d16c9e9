#!/usr/bin/env bash
# bin/tap on the live pipeline: `tap --sub ENDPOINT reorg` prints only the
# verifier's reorg messages, as NDJSON, and the reorg that anvil_reorg made
# is there with the right depth, ancestor and orphaned hashes; an unfiltered
# tap (--with-topic) sees block, reorg and heartbeat topics with counters
# that go up by one; a tap on writer1's --pub sees `committed` messages
# whose watermark reaches the node's head (two writers, each with --pub); --count N exits after N.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"

anvil_start
traffic_blocks 5
new_db >/dev/null
pl_init
for s in verifier writer1 writer2 fetcher; do pl_start "$s"; done
# the forms of the usage line: positional ENDPOINT TOPIC, -s, --topics
bg_run tapreorg "$BIN/tap" "tcp://127.0.0.1:$PL_PUB" reorg
bg_run tapall "$BIN/tap" --with-topic -s "tcp://127.0.0.1:$PL_PUB"
bg_run tapcommit "$BIN/tap" --topics=committed "tcp://127.0.0.1:$PL_COMMIT"
bg_run tapcommit2 "$BIN/tap" "tcp://127.0.0.1:$PL_COMMIT2" committed
wait_until 60 db_synced "the pipeline to hold 0..$(node_head)"
# SUB sockets join late (ZeroMQ slow joiner): a heartbeat proves they listen
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'grep -q "\"topic\":\"heartbeat\"" "$T/tapall.out"' "a heartbeat on the unfiltered tap"
traffic_blocks 4
wait_until 60 db_synced "the pipeline to hold 0..$(node_head)"

# a reorg of depth 4 with replacement transactions
top=$(node_head)
old=$(for ((n = top - 3; n <= top; n++)); do
	node_hash "$n"
done | jq -R . | jq -sc .)
pl_reorg 4 txs
traffic_blocks 2
wait_until 60 db_synced "the pipeline to follow the reorg"
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 '[ -s "$T/tapreorg.out" ]' "a reorg on the filtered tap"

n=$(wc -l <"$T/tapreorg.out")
assert_eq 1 "$n" "reorg messages on the filtered tap"
jq -s -e 'any(.[]; .type != "reorg")' "$T/tapreorg.out" >/dev/null &&
	fail "the reorg tap printed other topics: $(jq -c 'select(.type != "reorg")' "$T/tapreorg.out" | head -n 2)"
# shellcheck disable=SC2016 # jq's variables
jq -e --argjson top "$top" --argjson old "$old" '
	.depth == 4 and .chain_id == 31337 and (.seq | type) == "number"
	and .ancestor.number == $top - 4
	and ([.orphaned[].number] == [range($top - 3; $top + 1)])
	and ([.orphaned[].hash] == $old)
	and .new_tip.number > $top - 4 and .new_tip.number <= $top + 2' "$T/tapreorg.out" >/dev/null ||
	fail "unexpected reorg (top $top, old $old): $(cat "$T/tapreorg.out")"
nt=$(jq -r .new_tip.number "$T/tapreorg.out")
assert_eq "$(node_hash "$nt")" \
	"$(jq -r .new_tip.hash "$T/tapreorg.out")" "new_tip hash (the node's block $nt)"
anc=$(jq -r .ancestor.hash "$T/tapreorg.out")
assert_eq "$(node_hash $((top - 4)))" "$anc" "ancestor hash"
assert_eq "$(psql_q "select seq from reorgs where chain_id = 31337")" "$(jq .seq "$T/tapreorg.out")" \
	"the reorg's seq in the database"

# the unfiltered tap: every topic, counters without gaps, the same reorg
for topic in block reorg heartbeat; do
	# shellcheck disable=SC2016 # jq's variables
	jq -s -e --arg t "$topic" 'any(.[]; .topic == $t)' "$T/tapall.out" >/dev/null ||
		fail "no '$topic' message on the unfiltered tap"
	# shellcheck disable=SC2016 # jq's variables
	jq -s -e --arg t "$topic" '[.[] | select(.topic == $t) | .counter] as $c
		| [range(1; $c | length) | $c[.] - $c[. - 1]] | all(. == 1)' "$T/tapall.out" >/dev/null ||
		fail "the counter of topic '$topic' skips"
done
assert_eq "$(jq -c . "$T/tapreorg.out")" "$(jq -c 'select(.topic == "reorg") | .msg' "$T/tapall.out")" \
	"the reorg on the filtered and the unfiltered tap"
jq -s -e '[.[] | .msg.seq] as $s | [range(1; $s | length) | $s[.] > $s[. - 1]] | all' "$T/tapall.out" >/dev/null ||
	fail "seq does not increase across topics"

# committed: each writer reports the watermark after its own commits, so
# the highest watermark the two report reaches the head
head=$(node_head)
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'cat "$T/tapcommit.out" "$T/tapcommit2.out" |
	jq -s -e --argjson h "$head" "any(.[]; .watermark == \$h)" >/dev/null' \
	"a committed message with watermark $head (writer1: $(jq -c '[.from, .to, .watermark]' "$T/tapcommit.out" | tr '\n' ' '), writer2: $(jq -c '[.from, .to, .watermark]' "$T/tapcommit2.out" | tr '\n' ' '))"
for w in 1 2; do
	f=$T/tapcommit.out
	[ "$w" = 1 ] || f=$T/tapcommit2.out
	jq -s -e --arg w "writer$w" 'any(.[]; .type != "committed" or .writer != $w)' "$f" >/dev/null &&
		fail "unexpected message on writer$w's committed tap: $(head -n 1 "$f")"
	# A commit may hold no block (only a reorg): then from and to are null.
	jq -s -e 'length > 0 and any(.[]; .blocks >= 1) and
		all(.[]; .chain_id == 31337 and (.blocks == 0 or (.from <= .to and .blocks >= 1)))' "$f" >/dev/null ||
		fail "missing or malformed committed messages of writer$w: $(head -n 2 "$f")"
done

# --count: two heartbeats, then exit 0; the long options take their value
# as the next word as well (`tap --sub ENDPOINT TOPIC`, as docs/operations.md
# and the issue write it)
for form in "-n 2 tcp://127.0.0.1:$PL_PUB heartbeat" "--sub tcp://127.0.0.1:$PL_PUB heartbeat --count 2"; do
	# shellcheck disable=SC2086 # the form is a word list
	out=$(timeout 30 "$BIN/tap" $form 2>"$T/count.err") ||
		fail "tap $form: exit status $?: $(head -c 300 "$T/count.err")"
	assert_eq 2 "$(jq -r .type <<<"$out" | grep -c '^heartbeat$')" "heartbeats printed by tap $form"
done
for s in fetcher verifier writer1 writer2; do bg_alive "$s" || fail "$s exited: $(tail -n 3 "$T/$s.err")"; done
pass
