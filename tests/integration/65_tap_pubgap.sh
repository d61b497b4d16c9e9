#!/usr/bin/env bash
# tap reads the PUB counter as the broadcaster does (common/pubgap): a
# jump is lost messages, a counter that goes back is the publisher's
# restart, not a gap of four billion.
. "$(dirname "$0")/../lib.sh"
[ -x "$BIN/bc_pubfeed" ] || fail "$BIN/bc_pubfeed is not built (tests/tools/bc_pubfeed.c)"
port=$(free_port)
ep="tcp://127.0.0.1:$port"
{
	echo "sleep 800"
	for c in 0 1 5 6 0 1; do
		echo "block $c {\"type\":\"block\",\"c\":$c}"
	done
	echo "sleep 500"
} >"$T/feed"
bg_run feed "$BIN/bc_pubfeed" "$ep" <"$T/feed"
LOG_LEVEL=info timeout 20 "$BIN/tap" --sub "$ep" --count 6 >"$T/out" 2>"$T/tap.err" ||
	fail "tap exited $?: $(tail -3 "$T/tap.err")"
assert_eq 6 "$(wc -l <"$T/out")" "messages printed"
assert_eq 1 "$(grep -c 'messages lost' "$T/tap.err")" "gap lines"
grep 'messages lost' "$T/tap.err" | grep -q '"lost":3' ||
	fail "the gap is not 3 lost: $(grep 'messages lost' "$T/tap.err")"
assert_eq 1 "$(grep -c 'publisher restarted' "$T/tap.err")" "restart lines"
grep 'publisher restarted' "$T/tap.err" | grep -q '"level":"info"' ||
	fail "the restart is not logged at info: $(grep restarted "$T/tap.err")"
pass
