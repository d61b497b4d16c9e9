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
head=$(node_head)

secret_pool 11 0.3 delay,429,500,502,truncate,null,garbage,drop v2
mport=$(free_port)

bg_run fetcher "$BIN/fetcher" --rpc-file "$T/rpc.url" --follow --from 0 --poll-interval 200ms \
	--timeout 1s --ws "ws://u:SECRETWS@127.0.0.1:$DEAD_PORT/SECRETWS" --metrics-addr "127.0.0.1:$mport"
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the fetcher's metrics"
cmdline_of "$(bg_pid fetcher)" >"$CHECK/fetcher.cmdline"
for _ in 1 2 3; do
	scrape fetcher "$mport"
	traffic_blocks 1
	sleep 0.5
done
last=$(node_head)
wait_until 90 '[ "$(jq -s "map(select(.number == $last)) | length" "$T/fetcher.out")" = 1 ]' "the fetcher to reach $last"
scrape fetcher "$mport"
bg_kill fetcher
cp "$T/fetcher.err" "$CHECK/"

# It did the work, through faults, and named its nodes as it should.
assert_eq "$(seq 0 "$last")" "$(jq .number "$T/fetcher.out")" "every height once, in order"
node_chain 0 "$last" >"$T/node.txt"
stream_chain "$T/fetcher.out" >"$T/stream.txt"
diff "$T/node.txt" "$T/stream.txt" >/dev/null || fail "stream differs from the node"
proxy_injected
[ "$head" -lt "$last" ] || fail "no block mined during the run"
pool_named fetcher
must_have "$CHECK/fetcher.err" "\"node\":\"#2 http://127.0.0.1:$PROXY_PORT\"" "the proxy's warnings"
must_have "$CHECK/fetcher.err" "ws://127.0.0.1:$DEAD_PORT" "the newHeads warnings"
must_have "$CHECK/fetcher.metrics" '^rpc_errors_total' "rpc_errors_total"

# From the environment's *_FILE, and as a flag: ps shows no key.
BLOCKPIPE_RPC_URL_FILE=$T/rpc.url bg_run envfile "$BIN/fetcher" --follow --from 0 --timeout 1s
bg_run flag "$BIN/fetcher" --rpc "$SECRET_FLAG" --follow --from 0 --timeout 1s
wait_until 30 '[ -s "$T/envfile.out" ] && [ -s "$T/flag.out" ]' "the two fetchers' first blocks"
argv_checked

# Configuration errors and --check-config.
cfg_runs "$BIN/fetcher" "--rpc ftp://u:SECRETPW@127.0.0.1/SECRETKEY --from 0" \
	"--rpc http://127.0.0.1:1/v2/SECRETKEY --from 0 --to 5 --check-config" \
	"--rpc http://no-such-host.invalid/SECRETKEY --from 0 --to 5" \
	"--rpc-file $T/rpc.url --rpc http://h/SECRETKEY --from 0" \
	"--rpc $SECRET_FLAG --ws http://h/SECRETWS --follow" \
	"--rpc $SECRET_FLAG --db postgresql://u:SECRETDB@127.0.0.1:$DEAD_PORT/x?password=SECRETQ --from 0 --to 1"
must_have "$CHECK/cfg1.err" "invalid node URL .#1 ftp://127.0.0.1." "a bad URL.s error"
must_have "$CHECK/cfg2.out" '^configuration OK$' "--check-config"
must_have "$CHECK/cfg3.err" "cannot resolve host 'no-such-host.invalid' of node 'http://no-such-host.invalid'" "an unknown host"
must_have "$CHECK/cfg4.err" "exclude each other" "--rpc and --rpc-file"
must_have "$CHECK/cfg5.err" "invalid --ws URL 'http://h'" "a bad --ws URL"
must_have "$CHECK/cfg6.err" "127.0.0.1:$DEAD_PORT" "the DSN's error"

# The writer's DSN, from a file, to a PostgreSQL that is not there.
echo "postgresql://bp:SECRETDB@127.0.0.1:$DEAD_PORT/blockpipe?password=SECRETQ" >"$T/db.dsn"
timeout 3 "$BIN/writer" --db-file "$T/db.dsn" </dev/null >"$CHECK/writer.out" 2>"$CHECK/writer.err" || true
must_have "$CHECK/writer.err" "127.0.0.1:$DEAD_PORT" "the writer's connection error"
BLOCKPIPE_DB_FILE=$T/db.dsn "$BIN/writer" --check-config >"$CHECK/writer-cc.out" 2>&1 ||
	fail "writer --check-config with BLOCKPIPE_DB_FILE: $(cat "$CHECK/writer-cc.out")"

no_secret
pass
