#!/usr/bin/env bash
# Whoever can reach --metrics-addr cannot make /health fail: 5000 idle
# and 500 slowloris connections held against the fetcher's metrics server,
# from the probe's own address and from 50 others, while /health is asked
# every 200 ms and must answer within 1 s (a liveness probe's deadline).
# Then with a limit above the flood, all 5500 held at once. The fetcher
# starts with a soft descriptor limit of 1024, which its server raises to
# fit --metrics-max-connections; it keeps fetching.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/flood_lib.sh"
[ "$(ulimit -Hn)" -ge 7000 ] || fail "the test needs a hard descriptor limit of 7000 (ulimit -Hn: $(ulimit -Hn))"

anvil_start
mine 3
mport=$(free_port)
bg_run fetcher bash -c 'ulimit -Sn 1024 && exec "$@"' _ "$BIN/fetcher" --rpc "$RPC" --follow \
	--from 0 --poll-interval 100ms --metrics-addr "127.0.0.1:$mport"
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the fetcher's metrics"
pid=$(bg_pid fetcher)
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
[ "$soft" -ge $((1024 + 256)) ] || fail "the soft descriptor limit was not raised: $soft"
flood_check fetcher "$mport" "$pid"
bg_kill fetcher

# With room for all of them (and an idle timeout longer than the flood),
# the server holds the 5500 connections at once, and epoll still serves
# /health at once.
bg_run fetcher bash -c 'ulimit -Sn 1024 && exec "$@"' _ "$BIN/fetcher" --rpc "$RPC" --follow \
	--from 0 --poll-interval 100ms --metrics-addr "127.0.0.1:$mport" \
	--metrics-max-connections 8192 --metrics-idle-timeout 60s
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the fetcher's metrics"
flood fetcher "$mport" 0
[ "$(jq .held_end "$T/flood.json")" -eq 5500 ] && [ "$(jq .closed_by_server "$T/flood.json")" -eq 0 ] ||
	fail "not all 5500 connections were held: $(cat "$T/flood.json")"
mine 2
wait_until 30 '[ "$(jq -s "map(select(.number == 5)) | length" "$T/fetcher.out")" = 1 ]' "block 5 after the flood"
assert_eq "$(seq 0 5)" "$(jq .number "$T/fetcher.out")" "every height once, in order"
pass
