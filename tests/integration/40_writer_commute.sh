#!/usr/bin/env bash
# Invariant 3: a stream with reorgs applied by one writer in order, by one
# writer in reverse order in a single batch, and by four writers at once
# with the messages shuffled and every one sent twice, gives the same
# database, table by table; canonical_blocks is the stream's final chain.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

gen_stream "$T/s.ndjson" blocks=150 reorg_every=20 depth=3
grep -q '"type":"reorg"' "$T/s.ndjson" || fail "the stream has no reorg"
grep -q '"deep":true' "$T/s.ndjson" || fail "the stream has no deep reorg"

pg_ensure
new_db >/dev/null; DB1=$DB
new_db >/dev/null; DB2=$DB
new_db >/dev/null; DB3=$DB

# 1: in order, modest batches
"$BIN/writer" --db "$DB1" --batch 40 <"$T/s.ndjson" 2>"$T/w1.err" ||
	fail "writer exited $?: $(tail -3 "$T/w1.err")"

# 2: reversed, all in one batch (tombstones and pointers meet in one
# statement)
tac "$T/s.ndjson" | "$BIN/writer" --db "$DB3" --batch 100000 --flush-interval 60s \
	2>"$T/w3.err" || fail "writer (reversed) exited $?: $(tail -3 "$T/w3.err")"

# 3: shuffled, duplicated, four writers with small batches at once
cat "$T/s.ndjson" "$T/s.ndjson" | shuf --random-source=<(yes) >"$T/shuf.ndjson"
awk -v dir="$T" '{ print > (dir "/part" (NR % 4)) }' "$T/shuf.ndjson"
for i in 0 1 2 3; do
	bg_run "w$i" "$BIN/writer" --db "$DB2" --batch 7 --flush-interval 50ms <"$T/part$i"
done
for i in 0 1 2 3; do
	bg_wait "w$i" || fail "writer w$i exited $?: $(tail -3 "$T/w$i.err")"
done

db_digest "$DB1" >"$T/d1"
db_digest "$DB2" >"$T/d2"
db_digest "$DB3" >"$T/d3"
diff "$T/d1" "$T/d2" >"$T/d12" || fail "4 shuffled writers differ from 1 writer: $(cat "$T/d12")"
diff "$T/d1" "$T/d3" >"$T/d13" || fail "reversed single batch differs from in-order: $(cat "$T/d13")"

DB=$DB1
assert_canonical "$DB1" "$T/s.ndjson" "in order"
assert_eq 149 "$(psql_q 'select blockpipe_watermark(31337, 0)')" "watermark"
assert_eq 150 "$(psql_q 'select blockpipe_resume_height(31337, 0)')" "resume height"
assert_eq 0 "$(psql_q 'select count(*) from canonical where hash is null')" "tombstones left"
assert_eq 7 "$(psql_q 'select count(*) from reorgs')" "reorg rows"
assert_eq "" "$(psql_q 'select * from blockpipe_missing_heights(31337, 0, 149)')" "missing heights"
assert_eq "150 151" "$(psql_q 'select string_agg(g::text, $$ $$) from blockpipe_missing_heights(31337, 148, 151) g')" "missing above the tip"
# orphans are kept (no --keep-orphans) but never canonical
orphans=$(psql_q 'select count(*) from blocks b where not exists (select 1 from canonical c where c.hash = b.hash)')
assert_eq 21 "$orphans" "orphaned blocks kept"
# a 256-bit value round-trips
assert_eq 115792089237316195423570985008687907853269984665640564039457584007913129639935 \
	"$(psql_q 'select max(value) from transactions')" "numeric(78,0)"
# heartbeats were counted as ignored, not as errors
! grep -q '"level":"error"' "$T"/w*.err || fail "error lines: $(grep '"level":"error"' "$T"/w*.err | head -3)"
pass
