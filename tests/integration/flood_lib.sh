# shellcheck shell=bash
# flood_check NAME PORT PID: hold 5000 idle and 500 slowloris connections
# against 127.0.0.1:PORT (the metrics server of process PID), first from
# 127.0.0.1 itself, the probe's own address, then from 50 others, each
# for 10 s, asking /health every 200 ms with a 1 s deadline meanwhile
# (tests/tools/connflood, loopback only); every probe must be answered.
# Then the process is alive and its server says what it shut down.
flood_check() {
	local name=$1 port=$2 pid=$3 src out
	for src in 0 50; do
		out=$("$BIN/connflood" --port "$port" --idle 5000 --slow 500 --sources "$src" \
			--seconds 10 --probe-interval 200 --probe-timeout 1000) ||
			fail "$name: /health not answered within 1 s under the flood (sources $src): $out"
		echo "$name, sources $src: $out" >&2
		[ "$(jq .held_max <<<"$out")" -ge 5000 ] || fail "$name: the flood did not take hold: $out"
		[ "$(jq .probes <<<"$out")" -ge 20 ] || fail "$name: too few probes: $out"
	done
	kill -0 "$pid" || fail "$name died under the flood"
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/$name.metrics"
	grep -Eq '^metrics_http_evicted_total [1-9]' "$T/$name.metrics" ||
		fail "$name: no eviction counted: $(grep metrics_http "$T/$name.metrics")"
	# The server's complaints come at most once every 10 s.
	[ "$(grep -c 'metrics http server' "$T/$name.err")" -le 6 ] ||
		fail "$name: the flood floods the log: $(grep -c 'metrics http server' "$T/$name.err") lines"
}
