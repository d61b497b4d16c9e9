#!/usr/bin/env bash
# End to end: fetcher --follow --ws, verifier (--db, --pub), two writers on
# ZeroMQ PUSH/PULL and the broadcaster on the verifier's PUB follow anvil
# while it mines with traffic and reorgs of random depth 1..10 happen
# (anvil_reorg, empty or with replacement transactions, and anvil_rollback);
# half of the tip replacements must be followed with no new block mined
# after them. Once settled, scripts/check-consistency finds no difference over 0..head,
# and a WebSocket client subscribed to newHeads on the broadcaster received
# every canonical block mined after it connected. Last, check-consistency
# itself is shown to catch a tombstone, a gap, a wrong hash, a canonical
# block above the head, a wrong timestamp, parent hash, transaction value
# and log data, missing transaction rows and missing logs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"

need_node_clients

seed=${E2E_SEED:-$RANDOM}
RANDOM=$seed
echo "seed $seed (E2E_SEED=$seed to repeat)"

anvil_start
traffic_blocks 30
new_db >/dev/null
pl_init
pl_start_all
wait_until 90 db_synced "the backfill of 0..$(node_head) to be consistent"
pl_alive_all
echo "backfill consistent (${SECONDS}s)"

# The WebSocket client connects once the backfill is in: blocks mined from
# now on are live, and the broadcaster sends them.
bg_run heads node "$ROOT/tests/node/e2e_heads.mjs" "ws://127.0.0.1:$PL_WS/v1/eth"
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'grep -q "^# connected" "$T/heads.out"' "the WebSocket client to subscribe"
h0=$(($(node_head) + 1))

# A reorg that replaces the tip (anvil_reorg: same height) must be followed
# without any new block: the fetcher notices the replaced tip by itself.
# A rollback makes the chain shorter; the pipeline notices that only once a
# block above its old tip arrives (the fetcher's head never moves back:
# docs/fetcher.md), so after a rollback the chain grows past the highest
# head it had, as a live chain does. Half of the reorgs grow too.
grow_past() {
	local h
	h=$(node_head)
	[ "$h" -le "$hmax" ] || hmax=$h
	traffic_blocks $((hmax - h + 1 + RANDOM % 2))
	hmax=$(node_head)
}
reorgs=0 rollbacks=0 maxdepth=0 hmax=0 still=0
for ((round = 0; round < 10; round++)); do
	traffic_blocks $((RANDOM % 4 + 2))
	hmax=$(node_head)
	depth=$((RANDOM % 10 + 1))
	how=grown
	case $((RANDOM % 4)) in
	0) pl_reorg "$depth" ;;
	1 | 2) pl_reorg "$depth" txs ;;
	3)
		depth=$((RANDOM % 3 + 1))
		rpc anvil_rollback "[$depth]" >/dev/null
		rollbacks=$((rollbacks + 1))
		how=rollback
		;;
	esac
	if [ "$how" = grown ] && ((RANDOM % 2 == 0)); then
		how="no new block"
		still=$((still + 1))
		wait_until 60 db_synced "the pipeline to follow a reorg of depth $depth with no new block (round $round)"
	else
		grow_past
	fi
	echo "round $round: depth $depth, $how, head $(node_head) (${SECONDS}s)"
	reorgs=$((reorgs + 1))
	[ "$depth" -le "$maxdepth" ] || maxdepth=$depth
	# every other round the next reorg lands while the pipeline is busy
	if ((round % 2 == 0)); then
		wait_until 60 db_synced "the pipeline to follow a reorg of depth $depth (round $round)"
	fi
done
traffic_blocks 3
wait_until 90 db_synced "the pipeline to settle at $(node_head)"
pl_alive_all
head=$(node_head)
echo "anvil: $reorgs reorgs and rollbacks (deepest $maxdepth, $rollbacks rollbacks, $still followed with no new block), head $head"

out=$(db_check) || fail "check-consistency: $out"
echo "$out"
[ "$out" = "consistent: $((head + 1)) heights 0..$head"$'\n'"differences: 0" ] || fail "unexpected summary: $out"
n=$(psql_q "select count(*) from reorgs where chain_id = $PL_CHAIN")
[ "$n" -ge 3 ] || fail "only $n reorgs recorded for $reorgs reorgs and $rollbacks rollbacks"
n=$(psql_q "select count(*) from canonical_logs where chain_id = $PL_CHAIN")
[ "$n" -gt 20 ] || fail "only $n canonical logs"

# Every canonical block from h0 on reached the WebSocket client.
want() {
	psql_q "select number || ' 0x' || encode(hash, 'hex') from canonical
		where chain_id = $PL_CHAIN and number >= $h0 order by 1"
}
missing() { comm -23 <(want | sort) <(grep -v '^#' "$T/heads.out" | sort -u); }
# what is still missing goes to missing.err, which fail prints
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'missing >"$T/missing.err" && [ ! -s "$T/missing.err" ]' \
	"the WebSocket client to receive every canonical block of $h0..$head (missing.err: what it has not)"
echo "WebSocket client: $(grep -vc '^#' "$T/heads.out") headers, every canonical block of $h0..$head (${SECONDS}s)"

# check-consistency catches what it is for. Stop the pipeline first: the
# verifier's audit would repair the damage.
for s in fetcher verifier writer1 writer2 broadcaster heads; do bg_kill "$s" KILL 2>/dev/null; done
expect_diff() { # expect_diff WHAT PATTERN [CHECK-CONSISTENCY ARGS...]
	local what=$1 pattern=$2 out rc=0
	out=$(db_check --no-recheck "${@:3}" 2>&1) || rc=$?
	[ "$rc" = 1 ] || fail "check-consistency did not find $what (exit $rc): $out"
	grep -q -- "$pattern" <<<"$out" || fail "check-consistency, $what: expected '$pattern' in: $out"
}
x=$((h0 + 2))
hx=$(psql_q "select encode(hash, 'hex') from canonical where chain_id = $PL_CHAIN and number = $x")
psql_q "update canonical set hash = null where chain_id = $PL_CHAIN and number = $x" >/dev/null
expect_diff "a tombstone" "^height $x: tombstone"
psql_q "update canonical set hash = '\\x$hx' where chain_id = $PL_CHAIN and number = $x" >/dev/null
psql_q "update canonical set number = -number where chain_id = $PL_CHAIN and number = $x" >/dev/null
expect_diff "a gap" "^height $x: gap"
psql_q "update canonical set number = -number where chain_id = $PL_CHAIN and number = -$x" >/dev/null
psql_q "update canonical set hash = (select hash from canonical where chain_id = $PL_CHAIN and number = $((x + 1)))
	where chain_id = $PL_CHAIN and number = $x" >/dev/null
expect_diff "a wrong hash" "^height $x: hash differs"
psql_q "update canonical set hash = '\\x$hx' where chain_id = $PL_CHAIN and number = $x" >/dev/null
psql_q "insert into canonical (chain_id, number, hash, seq) values ($PL_CHAIN, $((head + 5)), '\\x$hx', 1)" >/dev/null
expect_diff "a block above the head" "^height $((head + 5)): above the head"
psql_q "delete from canonical where chain_id = $PL_CHAIN and number = $((head + 5))" >/dev/null
out=$(db_check) || fail "check-consistency after the repairs: $out"
# contents, each undone after: a block's timestamp and parent hash, a
# transaction's value, a log's data
y=$(psql_q "select b.number from canonical_blocks b where b.chain_id = $PL_CHAIN and b.number >= $h0
	and b.tx_count > 0 order by b.number limit 1")
z=$(psql_q "select block_number from canonical_logs where chain_id = $PL_CHAIN order by block_number desc limit 1")
inblock() { echo "chain_id = $PL_CHAIN and block_hash = (select hash from canonical where chain_id = $PL_CHAIN and number = $1)"; }
hy="chain_id = $PL_CHAIN and hash = (select hash from canonical where chain_id = $PL_CHAIN and number = $y)"
psql_q "update blocks set timestamp = timestamp + interval '1 second' where $hy" >/dev/null
expect_diff "a wrong timestamp" "^height $y: block: timestamp differs"
psql_q "update blocks set timestamp = timestamp - interval '1 second' where $hy" >/dev/null
psql_q "update blocks set parent_hash = hash where $hy" >/dev/null
expect_diff "a broken parent link" "^height $y: block: parent_hash differs"
out=$(db_check --no-recheck --all 2>&1) || true
grep -q "^height $y: parent link broken" <<<"$out" || fail "check-consistency missed the broken parent link at $y: $out"
psql_q "update blocks set parent_hash = (select hash from canonical where chain_id = $PL_CHAIN and number = $((y - 1))) where $hy" >/dev/null
psql_q "update transactions set value = value + 1 where $(inblock "$y") and tx_index = 0" >/dev/null
expect_diff "a wrong value" "^height $y: transaction 0x0: value differs"
psql_q "update transactions set value = value - 1 where $(inblock "$y") and tx_index = 0" >/dev/null
psql_q "update logs set data = data || '\\x00' where $(inblock "$z")" >/dev/null
expect_diff "wrong log data" "^height $z: log 0x[0-9a-f]*: data differs"
psql_q "update logs set data = substring(data from 1 for length(data) - 1) where $(inblock "$z")" >/dev/null
out=$(db_check) || fail "check-consistency after the repairs: $out"
# a receipt's fields, with --receipts only
out=$(db_check --receipts) || fail "check-consistency --receipts on an equal database: $out"
psql_q "update transactions set status = 1 - status where $(inblock "$y") and tx_index = 0" >/dev/null
expect_diff "a wrong status" "^height $y: transaction 0x0: status differs: node 0x1, db 0x0" --receipts
out=$(db_check --no-recheck) || fail "check-consistency without --receipts compared a status: $out"
psql_q "update transactions set status = 1 - status, gas_used = gas_used + 1 where $(inblock "$y") and tx_index = 0" >/dev/null
expect_diff "a wrong gasUsed" "^height $y: transaction 0x0: gasUsed differs" --receipts
psql_q "update transactions set gas_used = gas_used - 1 where $(inblock "$y") and tx_index = 0" >/dev/null
out=$(db_check --receipts) || fail "check-consistency --receipts after the repairs: $out"
psql_q "delete from transactions where chain_id = $PL_CHAIN and tx_index = 0 and block_hash =
	(select hash from canonical where chain_id = $PL_CHAIN and number = $y)" >/dev/null
expect_diff "a missing transaction" "^height $y: transaction rows differ"
psql_q "delete from logs where chain_id = $PL_CHAIN and block_hash =
	(select hash from canonical where chain_id = $PL_CHAIN and number = $z)" >/dev/null
out=$(db_check --all --no-recheck 2>&1) && fail "check-consistency --all found nothing"
grep -q "^height $z: log count differs" <<<"$out" || fail "check-consistency --all missed the logs of $z: $out"
grep -q "^inconsistent: first difference at $y (2 differences)" <<<"$out" ||
	fail "check-consistency --all summary: $out"
[ "${out##*$'\n'}" = "differences: 2" ] || fail "check-consistency --all: last line: $out"
rc=0
"$ROOT/scripts/check-consistency" --rpc "$RPC" >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "check-consistency without --db"
echo "check-consistency caught every fault (${SECONDS}s)"
pass
