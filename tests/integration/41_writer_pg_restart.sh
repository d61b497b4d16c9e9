#!/usr/bin/env bash
# PostgreSQL stops in the middle of a run and comes back: the writer holds
# its batch, stops reading (back-pressure), reconnects with back-off and
# commits; nothing is lost. The database equals one written without the
# outage.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

gen_stream "$T/s.ndjson" blocks=120 reorg_every=25 depth=2

# The reference, on the suite's cluster.
writer_reference "$T/s.ndjson"

# A private cluster, run in the foreground so the test can stop and start
# it (and lib.sh reaps it at exit).
pg_private
pg_private_up

# About 6 s of input, a line every 40 ms.
bg_run w "$BIN/writer" --db "$DB" --batch 10 --flush-interval 100ms < <(trickle "$T/s.ndjson" 0.04)
wait_until 20 '[ "$(psql_q "select count(*) from blocks" 2>/dev/null || echo 0)" -ge 20 ]' "first commits"
bg_kill pg INT  # fast shutdown: sessions are terminated
sleep 2
bg_alive w || fail "the writer died while PostgreSQL was down: $(tail -3 "$T/w.err")"
pg_private_up
bg_wait w || fail "writer exited $?: $(tail -3 "$T/w.err")"

grep -q 'cannot commit batch' "$T/w.err" || fail "no failed commit logged: the outage was missed"
grep -q 'reconnected to PostgreSQL' "$T/w.err" || fail "no reconnection logged"
db_digest "$REF" >"$T/dref"
db_digest "$DB" >"$T/dgot"
diff "$T/dref" "$T/dgot" >"$T/diff" || fail "database differs after the outage: $(cat "$T/diff")"
assert_canonical "$DB" "$T/s.ndjson" "after the outage"
pass
