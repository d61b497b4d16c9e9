#!/usr/bin/env bash
# The PUB socket (--pub): a SUB tap (built here on common/msg.c) sees
# heartbeats every --heartbeat-interval with the tip and a seq, and the
# block and reorg topics with the same JSON as the output. Frames are
# [topic, json, counter]; the counter of each topic goes up by one.
. "$(dirname "$0")/verifier_helpers.bash"

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
case $V_BIN in *asan*) LIBDIR=$ROOT/build-asan SAN=(-fsanitize=address,undefined) ;; esac
[ -f "$LIBDIR/libcommon.a" ] || v_fail "no $LIBDIR/libcommon.a (make first)"
# shellcheck disable=SC2046 # pkg-config output is a word list
cc -std=c11 -D_GNU_SOURCE "${SAN[@]}" -I"$ROOT/common" -o "$T/tap" "$T/tap.c" "$LIBDIR/libcommon.a" \
	$(pkg-config --libs libcurl yajl libpq libzmq libmicrohttpd nettle) -lpthread -lm ||
	v_fail "cannot build the SUB tap"

v_anvil_start
v_mine 3
port=$(free_port)
v_pipeline p --rpc "$V_RPC" --from 0 --follow --poll-interval 100ms \
	-- --rpc "$V_RPC" --pub "tcp://127.0.0.1:$port" --heartbeat-interval 200ms
bg_run tap "$T/tap" "tcp://127.0.0.1:$port"
v_wait_until 60 "a heartbeat with tip 3" \
	grep -q '^heartbeat [0-9]* {"type":"heartbeat".*"prog":"verifier".*"tip":{"number":3,' "$T/tap.out"
# the tap joined late (slow joiner): blocks and a reorg from now on
v_mine 2
# the pipeline must have emitted 4 and 5 before they are replaced, or
# there is no reorg to see
v_wait_until 60 "blocks 0..5" v_synced "$T/p.out" 0
v_rpc anvil_reorg "[2, [[$(v_tx_obj 4), 0]]]" >/dev/null
v_mine 1
v_wait_until 60 "the stream to follow" v_synced "$T/p.out" 0
v_wait_until 60 "the reorg on the PUB socket" grep -q '^reorg 0 {"type":"reorg"' "$T/tap.out"
v_wait_until 60 "block 6 on the PUB socket" grep -q '^block [0-9]* .*"number":6,' "$T/tap.out"
v_wait_until 60 "another heartbeat with tip 6" \
	grep -q '^heartbeat [0-9]* .*"tip":{"number":6,' "$T/tap.out"
# the same JSON as the output, and counters that go up by one per topic
reorg_pub=$(sed -n 's/^reorg 0 //p' "$T/tap.out")
grep -qxF "$reorg_pub" "$T/p.out" || v_fail "the reorg on PUB differs from the output"
for topic in block heartbeat; do
	awk -v t="$topic" '$1 == t { if (seen && $2 != last + 1) exit 1; last = $2; seen = 1 }' \
		"$T/tap.out" || v_fail "the $topic counter skipped"
done
sed -n 's/^[a-z]* [0-9]* //p' "$T/tap.out" >"$T/pub.json"
v_seq_increasing "$T/pub.json" || v_fail "seq on PUB does not increase"
pass
