# shellcheck shell=bash
# Helpers for the writer's tests (4x_writer_*.sh), after tests/lib.sh.
#
#   gen_stream FILE [AWK_VARS...]  a synthetic verifier stream (see
#                                  writer_stream.awk); the final canonical
#                                  chain goes to FILE.expect
#   db_digest DSN                  one line per table and view: name, row
#                                  count, md5 of the rows in order
#   canonical_of DSN               "number hash" a line, from canonical_blocks
#   assert_canonical DSN FILE MSG  canonical_blocks equals FILE.expect
#   writer_reference FILE          a fresh database, REF, that one writer
#                                  wrote FILE into in one run (what a test
#                                  of outages compares with)
#   trickle FILE S                 FILE a line every S seconds (a slow
#                                  stream, for a test that acts mid-run)
#   writer_fed FILE N              a fresh database and a writer (bg_run w,
#                                  /metrics at $WRITER_METRICS) reading a
#                                  FIFO the test holds open as fd 3 (closing
#                                  it is the writer's EOF); FILE fed in,
#                                  then wait for N canonical blocks
#
# The writer's tests feed synthetic streams, with no node behind them, so
# the database is compared with the chain the stream makes (FILE.expect),
# not with a node: where a node made the chain, use lib.sh's
# db_matches_node (scripts/check-consistency) instead.

gen_stream() {
	local out=$1
	shift
	awk -v expect="$out.expect" "${@/#/-v}" \
		-f "$ROOT/tests/integration/writer_stream.awk" >"$out"
}

db_digest() {
	local dsn=$1 t
	for t in blocks transactions logs canonical reorgs canonical_blocks \
		canonical_transactions canonical_logs; do
		psql "$dsn" -X -q -v ON_ERROR_STOP=1 -tA -c \
			"select '$t', count(*), md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from $t x"
	done
}

canonical_of() {
	psql "$1" -X -q -v ON_ERROR_STOP=1 -tA -F ' ' -c \
		"select number, encode(hash, 'hex') from canonical_blocks where chain_id = 31337 order by number"
}

assert_canonical() {
	canonical_of "$1" >"$T/canon.txt"
	diff "$2.expect" "$T/canon.txt" >"$T/canon.diff" ||
		fail "$3: canonical_blocks differs from the stream's chain: $(head -5 "$T/canon.diff")"
}

writer_fed() {
	new_db >/dev/null
	WRITER_METRICS=127.0.0.1:$(free_port)
	mkfifo "$T/fifo"
	# fd 3 opened read-write so that nothing blocks; the writer gets the
	# read end only
	exec 3<>"$T/fifo"
	bg_run w "$BIN/writer" --db "$DB" --metrics-addr "$WRITER_METRICS" --flush-interval 50ms \
		<"$T/fifo" 3>&-
	cat "$1" >&3
	wait_until 20 '[ "$(psql_q "select count(*) from canonical_blocks" 2>/dev/null || echo 0)" -eq '"$2"' ]' \
		"all good blocks committed"
}

writer_reference() {
	new_db >/dev/null
	REF=$DB
	"$BIN/writer" --db "$REF" <"$1" 2>"$T/ref.err" || fail "reference writer failed: $(tail -3 "$T/ref.err")"
}

trickle() {
	awk -v s="$2" '{ print; fflush(); system("sleep " s) }' "$1"
}
