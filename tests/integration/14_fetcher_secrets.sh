#!/usr/bin/env bash
# Keys in node URLs never show: a fault run (faultproxy in front of anvil)
# through a node pool whose URLs carry keys in user info, path (short: the
# old rule kept paths under 16 characters), query and fragment, given in a
# file; not in any log line, /metrics, /health, /ready, configuration
# error or --check-config output, nor in what ps shows, where the secrets
# came from a file, the environment's *_FILE or even a flag. The writer's
# DSN too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/fetcher_lib.sh"
. "$(dirname "$0")/secrets_lib.sh"

anvil_start
traffic_blocks 10
mine 10
head=$(printf '%d' "$(rpc eth_blockNumber | tr -d '"')")

port=$(free_port)
bg_run proxy "$BIN/faultproxy" --listen "$port" --upstream "$RPC" --seed 11 \
	--fault-rate 0.3 --faults delay,429,500,502,truncate,null,garbage,drop
wait_until 10 'grep -q listening "$T/proxy.out"'
dead=$(free_port)
# A dead node first (connection refused: warnings name it), then the proxy.
printf '%s\n%s\n' "http://127.0.0.1:$dead/SECRET1/" \
	"http://bp:SECRETPW@127.0.0.1:$port/v2/SECRETKEY?apikey=SECRETQ#SECRETF" >"$T/rpc.url"
chmod 600 "$T/rpc.url"
mport=$(free_port)

bg_run fetcher "$BIN/fetcher" --rpc-file "$T/rpc.url" --follow --from 0 --poll-interval 200ms \
	--timeout 1s --ws "ws://u:SECRETWS@127.0.0.1:$dead/SECRETWS" --metrics-addr "127.0.0.1:$mport"
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the fetcher's metrics"
cmdline_of "$(bg_pid fetcher)" >"$CHECK/fetcher.cmdline"
for _ in 1 2 3; do
	scrape fetcher "$mport"
	traffic_blocks 1
	sleep 0.5
done
last=$(printf '%d' "$(rpc eth_blockNumber | tr -d '"')")
wait_until 90 '[ "$(jq -s "map(select(.number == $last)) | length" "$T/fetcher.out")" = 1 ]' "the fetcher to reach $last"
scrape fetcher "$mport"
bg_kill fetcher
cp "$T/fetcher.err" "$CHECK/"

# It did the work, through faults, and named its nodes as it should.
assert_eq "$(seq 0 "$last")" "$(jq .number "$T/fetcher.out")" "every height once, in order"
node_chain 0 "$last" >"$T/node.txt"
stream_chain "$T/fetcher.out" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >/dev/null || fail "stream differs from the node"
[ "$(curl -s "http://127.0.0.1:$port/__stats" | jq .injected)" -gt 0 ] || fail "no fault injected"
[ "$head" -lt "$last" ] || fail "no block mined during the run"
must_have "$CHECK/fetcher.err" "\"node\":\"#1 http://127.0.0.1:$dead\"" "the dead node's warnings"
must_have "$CHECK/fetcher.err" "\"node\":\"#2 http://127.0.0.1:$port\"" "the proxy's warnings"
must_have "$CHECK/fetcher.err" "ws://127.0.0.1:$dead" "the newHeads warnings"
must_have "$CHECK/fetcher.metrics" "^rpc_node_up\{node=\"#2 http://127.0.0.1:$port\"\} " "rpc_node_up"
must_have "$CHECK/fetcher.metrics" '^rpc_errors_total' "rpc_errors_total"
must_have "$CHECK/fetcher.health" '^ok$' "/health"

# From the environment's *_FILE, and as a flag: ps shows no key.
BLOCKPIPE_RPC_URL_FILE=$T/rpc.url bg_run envfile "$BIN/fetcher" --follow --from 0 --timeout 1s
secret_flag="http://bp:SECRETPW@127.0.0.1:$port/v2/SECRETKEY?apikey=SECRETQ"
bg_run flag "$BIN/fetcher" --rpc "$secret_flag" --follow --from 0 --timeout 1s
wait_until 30 '[ -s "$T/envfile.out" ] && [ -s "$T/flag.out" ]' "the two fetchers' first blocks"
cmdline_of "$(bg_pid envfile)" >"$CHECK/envfile.cmdline"
cmdline_of "$(bg_pid flag)" >"$CHECK/flag.cmdline"
must_have "$CHECK/flag.cmdline" "--rpc http://127.0.0.1:$port" "the flag, redacted in argv"
bg_kill envfile
bg_kill flag
cp "$T/envfile.err" "$CHECK/"
cp "$T/flag.err" "$CHECK/flag.err"

# Configuration errors and --check-config.
F=$BIN/fetcher
n=0
for args in "--rpc ftp://u:SECRETPW@127.0.0.1/SECRETKEY --from 0" \
	"--rpc http://127.0.0.1:1/v2/SECRETKEY --from 0 --to 5 --check-config" \
	"--rpc http://no-such-host.invalid/SECRETKEY --from 0 --to 5" \
	"--rpc-file $T/rpc.url --rpc http://h/SECRETKEY --from 0" \
	"--rpc $secret_flag --ws http://h/SECRETWS --follow" \
	"--rpc $secret_flag --db postgresql://u:SECRETDB@127.0.0.1:$dead/x?password=SECRETQ --from 0 --to 1"; do
	n=$((n + 1))
	# Those that would retry for ever are stopped after a while.
	# shellcheck disable=SC2086 # word splitting wanted
	timeout 5 "$F" $args </dev/null >"$CHECK/cfg$n.out" 2>"$CHECK/cfg$n.err" || true
done
must_have "$CHECK/cfg1.err" "invalid node URL .#1 ftp://127.0.0.1." "a bad URL.s error"
must_have "$CHECK/cfg2.out" '^configuration OK$' "--check-config"
must_have "$CHECK/cfg3.err" "cannot resolve host 'no-such-host.invalid' of node 'http://no-such-host.invalid'" "an unknown host"
must_have "$CHECK/cfg4.err" "exclude each other" "--rpc and --rpc-file"
must_have "$CHECK/cfg5.err" "invalid --ws URL 'http://h'" "a bad --ws URL"
must_have "$CHECK/cfg6.err" "127.0.0.1:$dead" "the DSN's error"

# The writer's DSN, from a file, to a PostgreSQL that is not there.
echo "postgresql://bp:SECRETDB@127.0.0.1:$dead/blockpipe?password=SECRETQ" >"$T/db.dsn"
timeout 3 "$BIN/writer" --db-file "$T/db.dsn" </dev/null >"$CHECK/writer.out" 2>"$CHECK/writer.err" || true
must_have "$CHECK/writer.err" "127.0.0.1:$dead" "the writer's connection error"
BLOCKPIPE_DB_FILE=$T/db.dsn "$BIN/writer" --check-config >"$CHECK/writer-cc.out" 2>&1 ||
	fail "writer --check-config with BLOCKPIPE_DB_FILE: $(cat "$CHECK/writer-cc.out")"

no_secret
pass
