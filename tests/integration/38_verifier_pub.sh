#!/usr/bin/env bash
# The PUB socket (--pub): a SUB tap (built here on common/msg.c) sees
# heartbeats every --heartbeat-interval with the tip and a seq, and the
# block and reorg topics with the same JSON as the output. Frames are
# [topic, json, counter]; the counter of each topic goes up by one.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"

cat >"$T/tap.c" <<'C'
#include <stdio.h>
#include "msg.h"
#include "sig.h"
int main(int argc, char **argv)
{
	struct msg_opts o = MSG_OPTS_INIT;
	struct msg_io *io;
	struct msg m;

	if (argc < 2)
		return 2;
	sig_init();
	o.kind = MSG_SUB;
	o.endpoint = argv[1];
	o.stop = sig_flag();
	io = msg_open(&o);
	if (!io)
		return 1;
	while (!sig_stopping())
		if (msg_recv(io, &m, 200) == 1) {
			printf("%s %u %s\n", m.topic ? m.topic : "-", m.counter, m.data);
			fflush(stdout);
		}
	msg_close(&io);
	return 0;
}
C
LIBDIR=$ROOT/build SAN=()
case $BIN in *asan*) LIBDIR=$ROOT/build-asan SAN=(-fsanitize=address,undefined) ;; esac
[ -f "$LIBDIR/libcommon.a" ] || fail "no $LIBDIR/libcommon.a (make first)"
# shellcheck disable=SC2046 # pkg-config output is a word list
cc -std=c11 -D_GNU_SOURCE "${SAN[@]}" -I"$ROOT/common" -o "$T/tap" "$T/tap.c" "$LIBDIR/libcommon.a" \
	$(make -s -C "$ROOT" print-ldlibs) ||
	fail "cannot build the SUB tap"

anvil_start --silent
mine 3
port=$(free_port)
verifier_pipeline p --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$RPC" --pub "tcp://127.0.0.1:$port" --heartbeat-interval 200ms
bg_run tap "$T/tap" "tcp://127.0.0.1:$port"
# shellcheck disable=SC2034 # wait_until's eval reads it
hb3='^heartbeat [0-9]* {"type":"heartbeat".*"prog":"verifier".*"tip":{"number":3,'
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 60 'grep -q "$hb3" "$T/tap.out"' "a heartbeat with tip 3"
# the tap joined late (slow joiner): blocks and a reorg from now on
mine 2
# the pipeline must have emitted 4 and 5 before they are replaced, or
# there is no reorg to see
wait_until 60 'stream_synced "$T/p.out" 0' "blocks 0..5"
rpc anvil_reorg "[2, [[$(tx_json 4), 0]]]" >/dev/null
mine 1
wait_until 60 'stream_synced "$T/p.out" 0' "the stream to follow"
# shellcheck disable=SC2034 # wait_until's eval reads them
reorg0='^reorg 0 {"type":"reorg"' block6='^block [0-9]* .*"number":6,' hb6='^heartbeat [0-9]* .*"tip":{"number":6,'
# shellcheck disable=SC2016 # wait_until evaluates them
wait_until 60 'grep -q "$reorg0" "$T/tap.out"' "the reorg on the PUB socket"
# shellcheck disable=SC2016
wait_until 60 'grep -q "$block6" "$T/tap.out"' "block 6 on the PUB socket"
# shellcheck disable=SC2016
wait_until 60 'grep -q "$hb6" "$T/tap.out"' "another heartbeat with tip 6"
# the same JSON as the output, and counters that go up by one per topic
reorg_pub=$(sed -n 's/^reorg 0 //p' "$T/tap.out")
grep -qxF "$reorg_pub" "$T/p.out" || fail "the reorg on PUB differs from the output"
for topic in block heartbeat; do
	awk -v t="$topic" '$1 == t { if (seen && $2 != last + 1) exit 1; last = $2; seen = 1 }' \
		"$T/tap.out" || fail "the $topic counter skipped"
done
sed -n 's/^[a-z]* [0-9]* //p' "$T/tap.out" >"$T/pub.json"
stream_seq_increasing "$T/pub.json" || fail "seq on PUB does not increase"
pass
