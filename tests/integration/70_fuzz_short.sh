#!/usr/bin/env bash
# Bad input fuzzing, short: tests/fuzz/run replays every reproducer kept
# under tests/fuzz/regress/ (each a crash found once), then runs each
# libFuzzer target (message parsers, RPC response parser, the
# broadcaster's client message handler, RLP and header hashing, the URL
# redactor) for about 15 s from its seed corpus. Any crash, leak or sanitizer error fails.
# Skipped (still a pass) only when clang cannot build with libFuzzer.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

rc=0
"$ROOT/tests/fuzz/run" "${FUZZ_SECONDS:-15}" >"$T/fuzz.out" 2>&1 || rc=$?
cat "$T/fuzz.out"
case $rc in
0) pass ;;
3) echo "SKIP: $TEST_NAME: clang lacks libFuzzer (-fsanitize=fuzzer): $(tail -n 1 "$T/fuzz.out")"
	pass ;;
*) fail "tests/fuzz/run failed (status $rc): see above; reproducers under build-fuzz/crashes/" ;;
esac
