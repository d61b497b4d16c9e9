#!/usr/bin/env bash
# systemd: `make install` (PREFIX, and DESTDIR left out of the paths the
# units name) puts the units and example environment files in place;
# `systemd-analyze verify` passes every unit, with nothing to say (it
# works on unit files without systemd running). Then each program run as
# systemd would (NOTIFY_SOCKET, WATCHDOG_USEC) speaks the notification
# protocol to a socket standing in for systemd's (bin/notify_sink): no
# READY=1 while its /ready answers 503, READY=1 once it answers 200,
# WATCHDOG=1 from the main loop, STOPPING=1 on SIGTERM and a clean exit.
. "$(dirname "$0")/../lib.sh"
command -v systemd-analyze >/dev/null || fail "systemd-analyze not found (scripts/deps installs systemd)"
[ -x "$BIN/notify_sink" ] || fail "$BIN/notify_sink is not built"
PROGS="fetcher verifier writer broadcaster decoder"

# --- make install with a PREFIX: the units name it ---------------------------
P=$T/prefix
make -s -C "$ROOT" install PREFIX="$P" >"$T/install.out" 2>&1 ||
	{ cat "$T/install.out" >&2; fail "make install PREFIX=$P"; }
U=$P/lib/systemd/system
for p in $PROGS; do
	[ -x "$P/bin/$p" ] || fail "make install did not install $P/bin/$p"
	grep -qx "ExecStart=$P/bin/$p" "$U/blockpipe-$p@.service" ||
		fail "blockpipe-$p@.service does not start $P/bin/$p"
	grep -qx "Documentation=file:$P/share/doc/blockpipe/$p.md" "$U/blockpipe-$p@.service" ||
		fail "blockpipe-$p@.service does not point at its installed page"
	[ -f "$P/share/doc/blockpipe/$p.md" ] || fail "docs/$p.md not installed"
done
[ "$(find "$P/share/blockpipe/systemd" -name '*.env' | wc -l)" -ge 4 ] ||
	fail "the example environment files were not installed"
[ -f "$P/share/blockpipe/prometheus/blockpipe-rules.yml" ] || fail "the Prometheus rules were not installed"
grep -q '@[A-Z]*@' "$U"/* && fail "a placeholder was left in an installed unit: $(grep -l '@[A-Z]*@' "$U"/*)"

# --- systemd-analyze verify: each unit (instances of the templates) ----------
for u in blockpipe-fetcher@mainnet.service blockpipe-verifier@mainnet.service \
	blockpipe-writer@mainnet-1.service blockpipe-writer@base-2.service \
	blockpipe-broadcaster@mainnet.service blockpipe-decoder@mainnet.service blockpipe.target; do
	# verify warns about unknown keys and bad values but exits 0: any
	# output at all is a failure.
	if ! out=$(cd "$U" && systemd-analyze verify --man=no "./$u" 2>&1) || [ -n "$out" ]; then
		fail "systemd-analyze verify $u: $out"
	fi
done
# The check can fail: a unit with a misspelt key is reported.
mkdir -p "$T/bad"
sed 's/^Restart=always/Restartt=always/' "$U/blockpipe-writer@.service" >"$T/bad/blockpipe-writer@.service"
out=$(cd "$T/bad" && systemd-analyze verify --man=no ./blockpipe-writer@x.service 2>&1 || true)
case $out in *Restartt*) ;; *) fail "systemd-analyze verify did not report a misspelt key: '$out'" ;; esac

# --- DESTDIR: files under it, paths in the units without it ------------------
D=$T/dest
make -s -C "$ROOT" install DESTDIR="$D" PREFIX=/opt/blockpipe >"$T/install2.out" 2>&1 ||
	{ cat "$T/install2.out" >&2; fail "make install DESTDIR=$D"; }
grep -qx "ExecStart=/opt/blockpipe/bin/writer" "$D/opt/blockpipe/lib/systemd/system/blockpipe-writer@.service" ||
	fail "with DESTDIR the writer unit does not start /opt/blockpipe/bin/writer"
[ -x "$D/opt/blockpipe/bin/writer" ] || fail "DESTDIR install has no /opt/blockpipe/bin/writer"

# --- the notification protocol, program by program -------------------------
# notify_start PROG: a sink for PROG; sets SOCK
notify_start() {
	SOCK=$T/$1.notify
	bg_run "sink-$1" "$BIN/notify_sink" "$SOCK"
	wait_until 10 "[ -S '$SOCK' ]" "the notification socket of $1"
}
ready_code() { curl -s -o /dev/null -w '%{http_code}' "http://$1/ready" || true; }
# notify_check PROG ADDR: READY=1 once /ready is 200, watchdog, then SIGTERM
notify_check() {
	local prog=$1 addr=$2 log=$T/sink-$1.out
	wait_until 60 "[ \"\$(ready_code $addr)\" = 200 ]" "$prog's /ready to answer 200"
	wait_until 10 "grep -qx READY=1 '$log'" "READY=1 from $prog"
	# WATCHDOG_USEC=4000000: systemd wants one within 4 s; the module sends
	# at most one a second, and a main loop that wakes at least every
	# second (each does) sends one at least every 2 s.
	local before
	before=$(grep -cx WATCHDOG=1 "$log" || true)
	sleep 4
	assert_eq 1 "$(grep -cx READY=1 "$log")" "READY=1 messages from $prog"
	[ $(($(grep -cx WATCHDOG=1 "$log") - before)) -ge 2 ] ||
		fail "$prog sent $(($(grep -cx WATCHDOG=1 "$log") - before)) WATCHDOG=1 in 4 s"
	# a fetcher that waits on its output: still waiting (the height given)
	[ -z "${3:-}" ] || assert_eq "$3" "$(height "$addr")" "$prog's fetcher_height while its output is full"
	grep -qx STOPPING=1 "$log" && fail "$prog sent STOPPING=1 before it was asked to stop"
	kill -TERM "$(bg_pid "$prog")"
	bg_wait "$prog" || fail "$prog exited with status $? after SIGTERM"
	# the sink writes what it received a moment after the program is gone
	wait_until 10 "grep -qx STOPPING=1 '$log'" "STOPPING=1 from $prog on SIGTERM"
	bg_kill "sink-$prog"
}
export WATCHDOG_USEC=4000000

anvil_start
mine 3 >/dev/null

notify_start fetcher
MF=127.0.0.1:$(free_port)
NOTIFY_SOCKET=$SOCK bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --follow --from 0 --metrics-addr "$MF"
notify_check fetcher "$MF"

# Back-pressure: a fetcher whose output nobody reads waits in its send (the
# ZeroMQ high-water mark of 1 is reached at once) and still feeds the
# watchdog: waiting on purpose is not hanging.
mine 40 >/dev/null
notify_start fetcher2
MF2=127.0.0.1:$(free_port)
NOTIFY_SOCKET=$SOCK bg_run fetcher2 "$BIN/fetcher" --rpc "$RPC" --follow --from 0 --hwm 1 \
	--out ">tcp://127.0.0.1:$(free_port)" --metrics-addr "$MF2"
height() { curl -sf "http://$1/metrics" | awk '$1 == "fetcher_height" { print $2 }'; }
wait_until 30 "[ \"\$(ready_code $MF2)\" = 200 ]" "the second fetcher to be ready"
sleep 1
stuck=$(height "$MF2")
[ "$stuck" -lt 30 ] || fail "the fetcher emitted $stuck blocks to an output nobody reads"
notify_check fetcher2 "$MF2" "$stuck"

notify_start verifier
MV=127.0.0.1:$(free_port)
NOTIFY_SOCKET=$SOCK bg_run verifier "$BIN/verifier" --rpc "$RPC" \
	--in "@tcp://127.0.0.1:$(free_port)" --out "@tcp://127.0.0.1:$(free_port)" --metrics-addr "$MV"
notify_check verifier "$MV"

pg_ensure
new_db
notify_start writer
MW=127.0.0.1:$(free_port)
NOTIFY_SOCKET=$SOCK bg_run writer "$BIN/writer" --db "$DB" --in "@tcp://127.0.0.1:$(free_port)" --metrics-addr "$MW"
notify_check writer "$MW"

# The decoder is ready once connected with its tables set up.
notify_start decoder
MD=127.0.0.1:$(free_port)
echo '{"tables": [{"name": "transfers", "event": "Transfer(address indexed from, address indexed to, uint256 value)"}]}' >"$T/tables.json"
NOTIFY_SOCKET=$SOCK bg_run decoder "$BIN/decoder" --db "$DB" --config "$T/tables.json" --chain-id 31337 \
	--poll-interval 10s --metrics-addr "$MD"
notify_check decoder "$MD"

# The broadcaster is ready once a message came from the verifier: before
# that /ready is 503 and READY=1 must not have been sent.
notify_start broadcaster
BP=$(free_port)
mkfifo "$T/bc.in"
exec 7<>"$T/bc.in" # read-write: opening it does not wait for a reader
NOTIFY_SOCKET=$SOCK bg_run broadcaster "$BIN/broadcaster" --sub - --listen "127.0.0.1:$BP" <"$T/bc.in"
wait_until 20 "[ \"\$(ready_code 127.0.0.1:$BP)\" = 503 ]" "the broadcaster to listen"
wait_until 10 "[ \$(grep -cx WATCHDOG=1 '$T/sink-broadcaster.out') -ge 2 ]" "WATCHDOG=1 from the broadcaster before it is ready"
grep -qx READY=1 "$T/sink-broadcaster.out" && fail "the broadcaster sent READY=1 while /ready answered $(ready_code 127.0.0.1:$BP)"
echo '{"type":"heartbeat","chain_id":31337,"seq":1,"prog":"verifier","time":1,"tip":null}' >&7
notify_check broadcaster "127.0.0.1:$BP"
exec 7>&-
pass
