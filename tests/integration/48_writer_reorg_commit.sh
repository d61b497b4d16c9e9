#!/usr/bin/env bash
# A reorg is committed in one transaction with the blocks of its new
# branch that follow it (docs/writer.md): the database goes from the old
# branch to the new one in one commit, never through tombstones alone,
# even when the branch arrives a few milliseconds after the reorg and the
# writer is idle. Shown by the rows' xmin: the reorg's row and the new
# branch's pointers were written by the same transaction. The writes stay
# commutative: the database equals the stream's chain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

# One reorg after height 19 replacing 17..19 (then 20..39 on top).
gen_stream "$T/s.ndjson" blocks=40 reorg_every=20 depth=3
grep -n '"type":"reorg"' "$T/s.ndjson" | cut -d: -f1 >"$T/rl"
[ "$(wc -l <"$T/rl")" = 1 ] || fail "test bug: the stream has $(wc -l <"$T/rl") reorgs"
rl=$(cat "$T/rl")

new_db >/dev/null
# The blocks before the reorg, a pause (the writer commits them and is
# idle), the reorg, 5 ms, the new branch, a pause, the rest.
feed() {
	head -n $((rl - 1)) "$T/s.ndjson"
	sleep 0.5
	sed -n "${rl}p" "$T/s.ndjson"
	sleep 0.005
	sed -n "$((rl + 1)),$((rl + 3))p" "$T/s.ndjson"
	sleep 0.5
	tail -n +$((rl + 4)) "$T/s.ndjson"
}
feed | "$BIN/writer" --db "$DB" 2>"$T/w.err" || fail "writer exited $?: $(tail -3 "$T/w.err")"

assert_eq 1 "$(psql_q 'select count(*) from reorgs')" "reorg rows"
assert_eq 1 "$(psql_q "select count(distinct x::text) from (
	select xmin as x from reorgs union all
	select xmin from canonical where number between 17 and 19) s")" \
	"transactions that wrote the reorg and the new branch's pointers 17..19"
assert_eq 0 "$(psql_q 'select count(*) from canonical where hash is null')" "tombstones left"
assert_canonical "$DB" "$T/s.ndjson" "after the reorg"
pass
