#!/usr/bin/env bash
# The short chaos run (scripts/chaos): four rounds of four SIGKILLs each, one
# stage at a time (fetcher, verifier, writer1, writer2, broadcaster,
# PostgreSQL, anvil: every one at least twice), the first two rounds during
# a backfill of hundreds of blocks, the last two while following traffic and
# reorgs of random depth. After every round the committed watermark reaches
# the node's head and scripts/check-consistency finds no difference over
# 0..head; the tally says so.
. "$(dirname "$0")/../lib.sh"

seed=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
rc=0
"$ROOT/scripts/chaos" --rounds 4 --kills-per-round 4 --seed "$seed" --settle-timeout 60 \
	>"$T/chaos.out" 2>&1 || rc=$?
cat "$T/chaos.out"
[ "$rc" = 0 ] || fail "scripts/chaos --seed $seed: exit status $rc"
grep -q '^  differences found: 0$' "$T/chaos.out" || fail "no 'differences found: 0' in the tally"
grep -q '^  final check: consistent: ' "$T/chaos.out" || fail "no final consistency check in the tally"
for s in fetcher verifier writer1 writer2 broadcaster postgres anvil; do
	n=$(awk -v s="$s" '$1 == s && $3 == "kills" { print $2 }' "$T/chaos.out")
	[ "${n:-0}" -ge 2 ] || fail "$s was killed ${n:-0} times, want at least 2"
done
[ "$(grep -c '^round [0-9]*: .* ok: ' "$T/chaos.out")" = 4 ] || fail "not every round settled"
pass
