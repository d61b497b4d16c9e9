#!/usr/bin/env bash
# bin/tap prints what comes from the network as valid NDJSON: with
# --with-topic a topic holding quotes, backslashes, control characters,
# UTF-8 and bytes that are not UTF-8 is a JSON string that decodes to the
# topic (invalid bytes as U+FFFD); a message that is not JSON is skipped with
# a log line naming the topic, not printed; a message with line breaks stays
# one line.
. "$(dirname "$0")/../lib.sh"

[ -x "$BIN/bc_pubfeed" ] || fail "$BIN/bc_pubfeed is not built (tests/tools/bc_pubfeed.c)"
port=$(free_port)
mkfifo "$T/feed"
# read-write, so that neither open blocks; closing fd 3 ends the feed
exec 3<>"$T/feed"
bg_run feed "$BIN/bc_pubfeed" "tcp://127.0.0.1:$port" <"$T/feed"
bg_run tap "$BIN/tap" --with-topic "tcp://127.0.0.1:$port"
# ZeroMQ's slow joiner: publish on a warm-up topic until the tap prints it
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'echo "warmup 0 {\"w\":1}" >&3; sleep 0.2; [ -s "$T/tap.out" ]' "the tap to join"

q='"' bs='\' ctl=$'\x01' del=$'\x7f' bad=$'\xff' eacute=$'\xc3\xa9' surrogate=$'\xed\xa0\x80'
{
	printf '%s 1 {"n":1}\n' "a${q}b${bs}c"
	printf '%s 1 {"n":2}\n' "ctl${ctl}del${del}"
	printf '%s 1 {"n":3}\n' "caf${eacute}"
	printf '%s 1 {"n":4}\n' "x${bad}y${surrogate}z"
	printf 'broken 1 {"n":\n'
	printf 'plain 1 {"n":5}\n'
	printf 'last 1 {"n":6}\n'
} >&3
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'grep -q "\"n\":6" "$T/tap.out"' "the last message on the tap"
exec 3>&-

jq -c . "$T/tap.out" >"$T/parsed" || fail "the tap printed invalid JSON: $(cat -v "$T/tap.out")"
got=$(grep -v warmup "$T/parsed" | jq -r '"\(.msg.n) \(.topic | @json)"')
expect=$(printf '%s\n' \
	'1 "a\"b\\c"' \
	'2 "ctl\u0001del\u007f"' \
	"3 \"caf${eacute}\"" \
	'4 "x\ufffdy\ufffd\ufffd\ufffdz"' \
	'5 "plain"' \
	'6 "last"' | jq -Rr 'capture("^(?<n>[0-9]+) (?<t>.*)$") | "\(.n) \(.t | fromjson | @json)"')
assert_eq "$expect" "$got" "topics as the tap printed them (decoded)"
assert_eq "$(grep -vc warmup "$T/parsed")" "$(grep -vc warmup "$T/tap.out")" "one message a line"
grep -q '"msg":"skipping a message that is not JSON on topic '"'"'broken'"'"'"' "$T/tap.err" ||
	fail "no log line for the message that is not JSON: $(cat "$T/tap.err")"
pass
