#!/usr/bin/env bash
# The fetcher's command line, as jq's golden tests: arguments in, exit
# status and output out. Configuration errors exit 2 with one line.
. "$(dirname "$0")/../lib.sh"

F=$BIN/fetcher
# expect STATUS STREAM PATTERN CMD...: run CMD, check its exit status and
# that STREAM (out or err) matches PATTERN; config errors are one line.
expect() {
	local want=$1 stream=$2 pat=$3 rc=0
	shift 3
	"$@" >"$T/o" 2>"$T/e" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want: $(head -3 "$T/e")"
	grep -Eq -- "$pat" "$T/$stream" || fail "'$*': $stream does not match '$pat': $(head -3 "$T/$stream")"
	if [ "$want" = 2 ]; then
		# One line says what is wrong; misuse may add the synopsis.
		head -1 "$T/e" | grep -Eq -- "^fetcher: .*$pat" || fail "'$*': first line is not the error: $(head -1 "$T/e")"
		if tail -n +2 "$T/e" | grep -Ev '^(usage: |  )' | grep -q .; then
			fail "'$*': more than one line of error: $(cat "$T/e")"
		fi
	fi
}

expect 0 o '^usage: fetcher --rpc' "$F" --help
expect 0 o 'BLOCKPIPE_RPC_URL' "$F" --help
expect 0 o 'FETCHER_POLL_INTERVAL.*default 1s' "$F" --help
expect 0 o '^fetcher [0-9]+\.[0-9]+' "$F" --version
expect 2 e 'no node: give --rpc' "$F" --from 0
expect 2 e "invalid value 'abc' for --from \(flag\)" "$F" --rpc http://127.0.0.1:1 --from abc
expect 2 e "invalid value '-5' for --from" "$F" --rpc http://127.0.0.1:1 --from -5
expect 2 e "unknown option '--bogus'" "$F" --bogus
expect 2 e 'no start: give --from' "$F" --rpc http://127.0.0.1:1
expect 2 e 'exclude each other' "$F" --rpc http://127.0.0.1:1 --follow --to 5
expect 2 e 'is below --from' "$F" --rpc http://127.0.0.1:1 --from 9 --to 5
expect 2 e "invalid value 'x' for --to" "$F" --rpc http://127.0.0.1:1 --from 0 --to x
expect 2 e "unknown unit" "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 5y
# Durations: a fraction takes a unit; a bare number is whole milliseconds.
expect 0 o '^configuration OK$' "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 1.5s --check-config
expect 0 o '^configuration OK$' "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 0.2s --check-config
expect 0 o '^configuration OK$' "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 200 --check-config
expect 2 e "invalid value '1.5' for --poll-interval \(flag\): a bare number is whole milliseconds: give a unit" "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 1.5
expect 2 e "invalid value '0.2' for --poll-interval \(from FETCHER_POLL_INTERVAL\): a bare number is whole milliseconds" env FETCHER_POLL_INTERVAL=0.2 "$F" --rpc http://127.0.0.1:1 --follow
expect 2 e "invalid value '5ms' for --poll-interval \(flag\): too small: 5ms, at least 10ms" "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 5ms
expect 2 e "invalid value '2h' for --poll-interval \(flag\): too large: 2h, at most 1h" "$F" --rpc http://127.0.0.1:1 --follow --poll-interval 2h
expect 0 o '^configuration OK$' "$F" --rpc http://127.0.0.1:1 --from 0 --to 3 --check-config
# The environment, and a flag beating it.
expect 2 e "invalid value 'zz' for --from \(from FETCHER_FROM\)" env FETCHER_FROM=zz "$F" --rpc http://127.0.0.1:1
expect 0 o 'configuration OK' env FETCHER_FROM=zz "$F" --rpc http://127.0.0.1:1 --from 1 --check-config
expect 0 o 'configuration OK' env BLOCKPIPE_RPC_URL=http://127.0.0.1:1 FETCHER_FOLLOW=1 "$F" --check-config
# A host that does not resolve is a configuration error; the URL's secret
# is not printed.
expect 2 e "cannot resolve host 'no-such-host.invalid'" "$F" \
	--rpc https://no-such-host.invalid/v2/SECRETKEY0123456789 --from 0 --to 1
if grep -q SECRETKEY "$T/e"; then fail "the API key was printed: $(cat "$T/e")"; fi

anvil_start
expect 2 e 'serves chain 31337, not --chain-id 1' "$F" --rpc "$RPC" --chain-id 1 --from 0 --to 0
expect 0 o '"number":0' "$F" --rpc "$RPC" --chain-id 31337 --from 0 --to 0
# A closed pipe is an error, not silence... and a full disk likewise.
mine 50
rc=0
"$F" --rpc "$RPC" --from 0 --to 50 2>"$T/e" >/dev/full || rc=$?
assert_eq 1 "$rc" "writing to a full disk fails with status 1"
# JSON log lines on stderr.
"$F" --rpc "$RPC" --from 0 --to 1 2>"$T/e" >/dev/null
jq -e 'select(.prog == "fetcher" and .level == "info" and (.ts | test("Z$")))' "$T/e" >/dev/null ||
	fail "log lines are not JSON with ts/level/prog: $(head -2 "$T/e")"
# SIGTERM in follow mode: clean exit 0.
"$F" --rpc "$RPC" --follow --poll-interval 100ms >/dev/null 2>"$T/follow.err" &
pid=$!
wait_until 20 'grep -q "following the tip" "$T/follow.err"'
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 0 "$rc" "SIGTERM ends the fetcher with status 0"
grep -q 'stopping on signal 15' "$T/follow.err" || fail "no stop line: $(tail -2 "$T/follow.err")"
pass
