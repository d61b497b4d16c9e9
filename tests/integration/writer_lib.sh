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
