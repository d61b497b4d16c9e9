#!/usr/bin/env bash
# The verifier's metrics server under 5000 idle and 500 slowloris
# connections (tests/integration/flood_lib.sh) answers /health within 1 s
# throughout, also when a low hard descriptor limit (600) caps its
# connections below --metrics-max-connections (said in a warning).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"
. "$(dirname "$0")/flood_lib.sh"

anvil_start --silent
mine 3
mport=$(free_port)
bg_run verifier bash -c 'ulimit -Sn 600 && ulimit -Hn 600 && exec "$@" < <(sleep 60)' _ \
	"$BIN/verifier" --rpc "$RPC" --metrics-addr "127.0.0.1:$mport"
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the verifier's metrics"
grep -q 'at most 344 connections, not 1024' "$T/verifier.err" ||
	fail "no warning about the descriptor limit: $(head -3 "$T/verifier.err")"
flood_check verifier "$mport" "$(bg_pid verifier)"
curl -s "http://127.0.0.1:$mport/ready" >/dev/null || fail "/ready after the flood"
pass
