# shellcheck shell=bash
# flood NAME PORT SOURCES: 5000 idle and 500 slowloris connections
# against 127.0.0.1:PORT for FLOOD_SECONDS (10; CI: 5) from SOURCES
# addresses (0: from 127.0.0.1, the probe's own), those the server
# closes opened again, /health asked every 200 ms with a 1 s deadline
# (tests/tools/connflood, loopback only); every probe must be answered.
# connflood's figures go to $T/flood.json.
flood() {
	local secs=${FLOOD_SECONDS:-10} min
	"$BIN/connflood" --port "$2" --idle 5000 --slow 500 --sources "$3" --seconds "$secs" \
		--probe-interval 200 --probe-timeout 1000 >"$T/flood.json" ||
		fail "$1: /health not answered within 1 s under the flood (sources $3): $(cat "$T/flood.json")"
	echo "$1, sources $3: $(cat "$T/flood.json")" >&2
	[ "$(jq .held_max "$T/flood.json")" -ge 5000 ] || fail "$1: the flood did not take hold: $(cat "$T/flood.json")"
	# 50 probes in 10 s on an idle machine; a loaded one starved
	# connflood itself down to 13 (every one answered): one every 2 s,
	# at least 3, still spans the flood
	min=$((secs / 2 > 3 ? secs / 2 : 3))
	[ "$(jq .probes "$T/flood.json")" -ge "$min" ] || fail "$1: too few probes: $(cat "$T/flood.json")"
}

# flood_check NAME PORT PID: flood from the probe's address, then from 50
# others, against the metrics server of process PID at its limits (it
# must shut connections down); then it is alive and counted what it did.
flood_check() {
	local name=$1 port=$2 pid=$3 src
	for src in 0 50; do
		flood "$name" "$port" "$src"
		[ "$(jq .closed_by_server "$T/flood.json")" -gt 0 ] ||
			fail "$name: nothing shut down: $(cat "$T/flood.json")"
	done
	kill -0 "$pid" || fail "$name died under the flood"
	curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$T/$name.metrics"
	grep -Eq '^metrics_http_evicted_total [1-9]' "$T/$name.metrics" ||
		fail "$name: no eviction counted: $(grep metrics_http "$T/$name.metrics")"
	# The server's complaints come at most once every 10 s.
	[ "$(grep -c 'metrics http server' "$T/$name.err")" -le 6 ] ||
		fail "$name: the flood floods the log: $(grep -c 'metrics http server' "$T/$name.err") lines"
}
