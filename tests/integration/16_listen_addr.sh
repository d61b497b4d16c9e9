#!/usr/bin/env bash
# One address grammar (common/addr): the broadcaster's --listen and the
# fetcher's --metrics-addr accept and refuse the same text, with the same
# reason. Neither needs a node for this: the broadcaster is asked to check
# its configuration, the fetcher fails at its metrics server before it
# reaches the (unreachable) node.
. "$(dirname "$0")/../lib.sh"

refused() {
	local addr=$1 why=$2 rc=0
	"$BIN/broadcaster" --sub tcp://127.0.0.1:1 --listen "$addr" --check-config \
		>"$T/bo" 2>"$T/be" </dev/null || rc=$?
	[ "$rc" = 2 ] || fail "broadcaster --listen '$addr' exited $rc, want 2: $(cat "$T/be")"
	grep -qF -- "invalid value '$addr' for --listen: $why" "$T/be" ||
		fail "broadcaster --listen '$addr': $(cat "$T/be")"
	rc=0
	timeout 20 "$BIN/fetcher" --rpc http://127.0.0.1:1 --from 0 --to 0 \
		--metrics-addr "$addr" >/dev/null 2>"$T/fe" </dev/null || rc=$?
	[ "$rc" != 0 ] || fail "fetcher --metrics-addr '$addr' succeeded"
	grep -qF -- "cannot listen on '$addr': $why" "$T/fe" ||
		fail "fetcher --metrics-addr '$addr': $(head -3 "$T/fe")"
}

accepted() {
	local addr=$1
	"$BIN/broadcaster" --sub tcp://127.0.0.1:1 --listen "$addr" --check-config \
		>"$T/bo" 2>"$T/be" </dev/null || fail "broadcaster --listen '$addr' refused: $(cat "$T/be")"
	grep -q '^configuration OK$' "$T/bo" || fail "broadcaster --listen '$addr': no configuration OK"
}

refused '::1:8080' 'an IPv6 address goes in brackets ([::1]:PORT)'
refused '127.0.0.1' 'missing port (want HOST:PORT)'
refused '127.0.0.1:0x50' "invalid port '0x50'"
refused '127.0.0.1:65536' "invalid port '65536'"
refused '[nothex]:1' "'nothex' is not an IPv6 address"
refused '[::1]8080' 'want [IPV6]:PORT'
for a in 127.0.0.1:0 '*:0' :0 localhost:0 '[::1]:0'; do
	accepted "$a"
done

# Both serve what they accept (loopback only: tests listen nowhere else).
port=$(free_port)
mport=$(free_port)
bg_run fetcher "$BIN/fetcher" --rpc http://127.0.0.1:1 --follow --from 0 \
	--metrics-addr "127.0.0.1:$mport"
wait_until 10 "curl -fsS http://127.0.0.1:$mport/health" "the fetcher's /health on 127.0.0.1:$mport"
bg_run bc "$BIN/broadcaster" --sub tcp://127.0.0.1:1 --listen "127.0.0.1:$port"
wait_until 10 "curl -fsS http://127.0.0.1:$port/health" "the broadcaster's /health on 127.0.0.1:$port"
pass
