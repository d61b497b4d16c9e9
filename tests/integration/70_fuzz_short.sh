#!/usr/bin/env bash
# Bad input fuzzing, short: tests/fuzz/run replays every reproducer kept
# under tests/fuzz/regress/ (each a crash found once), then runs each
# libFuzzer target (message parsers, RPC response parser, the
# broadcaster's client message handler, RLP and header hashing, body
# verification, the URL redactor) for about 15 s from its seed corpus. Any crash, leak or sanitizer error fails, and
# so does a clang that cannot build with libFuzzer (status 3 of
# tests/fuzz/run): a test that cannot run fails. On Debian 12 libFuzzer is
# in libclang-rt-14-dev, which scripts/deps installs (apt installs it only
# as a recommendation of clang, and scripts/deps does without those).
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

rc=0
"$ROOT/tests/fuzz/run" "${FUZZ_SECONDS:-15}" >"$T/fuzz.out" 2>&1 || rc=$?
cat "$T/fuzz.out"
case $rc in
0) pass ;;
3) fail "clang cannot build with libFuzzer (-fsanitize=fuzzer): install libclang-rt-14-dev (scripts/deps): $(tail -n 1 "$T/fuzz.out")" ;;
*) fail "tests/fuzz/run failed (status $rc): see above; reproducers under build-fuzz/crashes/" ;;
esac
