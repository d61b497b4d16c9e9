#!/usr/bin/env bash
# The short chaos run (scripts/chaos), with a lying node in front
# (--liar: the fetcher and the verifier read anvil through faultproxy,
# which lies about block bodies, the block's hash kept, in about one
# answer in five, at most once a height): one round of each kind, in an
# order the seed shuffles: a writer SIGKILLed the moment the verifier's
# reorg message reaches it; both writers stopped before a reorg and
# SIGKILLed once it and its new branch are out; the verifier SIGKILLed
# right after it published a reorg, while it sends the new branch;
# PostgreSQL stopped with pg_ctl stop -m immediate and a fetcher, verifier
# or writer SIGKILLed, with a reorg or a rollback made while they are
# down; the verifier SIGKILLed (with a writer) while it fetches again a
# block whose body the proxy lied about; and a random round of four
# SIGKILLs (any stage, PostgreSQL and anvil included). After every round
# the committed watermark reaches the node's head and
# scripts/check-consistency, contents (receipts included) and reorgs
# ledger (every reorg the verifier published has its row) included, finds
# no difference over 0..head; the tally says so, and that the proxy lied
# and the verifier caught lies (body mismatches logged, blocks fetched
# again).
. "$(dirname "$0")/../lib.sh"

seed=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
kinds="writer-reorg writers-reorg verifier-reorg pg-immediate down-reorg liar-refetch random"
rc=0
"$ROOT/scripts/chaos" --rounds 7 --kinds "${kinds// /,}" --kills-per-round 4 --seed "$seed" \
	--settle-timeout 40 --liar 0.2 >"$T/chaos.out" 2>"$T/chaos.err" || rc=$?
cat "$T/chaos.out" "$T/chaos.err"
last=$(tail -n 1 "$T/chaos.out")
[[ $last == "chaos tally (seed $seed): rounds 7, "* ]] || fail "the last line is not the tally: $last"
[ "$rc" = 0 ] || fail "scripts/chaos --seed $seed: exit status $rc (CHAOS_SEED=$seed to repeat)"
[[ $last == *", differences 0 (in 0 rounds)" ]] || fail "differences in the tally: $last"
for k in $kinds; do
	[ "$(grep -c "^round [0-9]*: $k  *head .* ok:" "$T/chaos.out")" = 1 ] ||
		fail "no settled round of kind $k"
done
for k in writer-reorg writers-reorg verifier-reorg pg-immediate down-reorg liar-refetch; do
	[[ $last == *" $k 1"[,\ ]* ]] || fail "kind $k not counted once in the tally: $last"
done
# a targeted kill that did not wait for its reorg message (or refetch) tested nothing
! grep -q 'NOT-SEEN' "$T/chaos.out" || fail "a reorg message never reached the tap, or no refetch was seen"
seen=$(sed -E 's/.*reorgs seen ([0-9]+),.*/\1/' <<<"$last")
[ "$seen" -ge 3 ] || fail "only $seen reorgs seen on PUB: $last"
# the liar lied, and the verifier caught lies (its log lines, every
# generation: a verifier started again counts its metrics from 0)
[[ $last =~ lies\ told\ ([0-9]+),\ body\ mismatches\ ([0-9]+),\ refetches\ ([0-9]+), ]] ||
	fail "no lies in the tally: $last"
lies=${BASH_REMATCH[1]} mismatches=${BASH_REMATCH[2]} refetches=${BASH_REMATCH[3]}
[ "$lies" -ge 3 ] || fail "the proxy told only $lies lies: $last"
[ "$mismatches" -ge 1 ] || fail "the verifier logged no 'block body mismatch': $last"
[ "$refetches" -ge 1 ] || fail "the verifier fetched no block again: $last"
note "seed $seed: $lies lies told, $mismatches body mismatches, $refetches refetches"
pass
