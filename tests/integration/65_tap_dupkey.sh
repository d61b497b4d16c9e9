#!/usr/bin/env bash
# tap does not print a message that repeats a key (jq would keep the last,
# other readers the first): it logs what and where, counts it, and prints
# the next message as usual; at exit it says how many it refused.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
H=0x$(printf '%064d' 7)
good='{"type":"heartbeat","chain_id":31337,"seq":5,"prog":"verifier","time":1700000000000,"tip":{"number":3,"hash":"'$H'"}}'
dup_top='{"type":"heartbeat","chain_id":31337,"seq":3,"seq":4,"prog":"verifier","time":1,"tip":null}'
dup_deep='{"type":"heartbeat","chain_id":31337,"seq":4,"prog":"verifier","time":1,"tip":{"number":3,"hash":"'$H'","number":2}}'
bg_run tap "$BIN/tap" --count 1 "tcp://127.0.0.1:$port"
{
	echo "sleep 1000"
	echo "heartbeat 0 $dup_top"
	echo "heartbeat 1 $dup_deep"
	echo "heartbeat 2 $good"
	echo "sleep 500"
} | "$BIN/bc_pubfeed" "tcp://127.0.0.1:$port" || fail "bc_pubfeed exited $?"
wait_until 10 '! bg_alive tap' "tap to exit after one message"
bg_wait tap || fail "tap exited $?: $(tail -3 "$T/tap.err")"

assert_eq "$good" "$(cat "$T/tap.out")" "the one message printed"
grep '"msg":"message repeats a key; not printed"' "$T/tap.err" | jq -r '"\(.topic) \(.counter) \(.refused) \(.error)"' >"$T/refused.txt"
assert_eq "heartbeat 0 1 duplicate key 'seq' in \$
heartbeat 1 2 duplicate key 'number' in \$.tip" "$(cat "$T/refused.txt")" "log lines (what, where, count)"
grep -q '"refused":2,.*"msg":"2 messages with a repeated key were not printed"\|"msg":"2 messages with a repeated key were not printed".*"refused":2' "$T/tap.err" ||
	fail "no summary at exit: $(tail -2 "$T/tap.err")"
pass
