#!/usr/bin/env bash
# Keys in node URLs never show in the verifier's output channels: a gap
# filled over RPC through faultproxy (faults on) and a pool whose URLs
# carry keys in user info, a short path, query and fragment, given by
# --rpc-file or BLOCKPIPE_RPC_URL_FILE; not in any log line, /metrics,
# /health, /ready, configuration error, --check-config output, a DSN
# error, nor in what ps shows.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/verifier_lib.sh"
. "$(dirname "$0")/secrets_lib.sh"

anvil_start --silent
for i in $(seq 12); do send_tx "$i"; done
head=$(node_head)
"$BIN/fetcher" --rpc "$RPC" --from 0 --to "$head" >"$T/in" 2>"$T/f.err" || fail "fetcher"
# heights 4..6 lost: the verifier fetches them itself
jq -c 'select(.number < 4 or .number > 6)' "$T/in" >"$T/gapped"

secret_pool 5 0.4 delay,429,500,502,truncate,garbage,drop v3
mport=$(free_port)

# The input stays open until $T/done, so that the metrics can be read.
bg_run verifier bash -c 'exec "${@:2}" < <(cat "$0"; while [ ! -e "$1" ]; do sleep 0.2; done)' \
	"$T/gapped" "$T/done" \
	"$BIN/verifier" --rpc-file "$T/rpc.url" --rpc-timeout 1s --state "$T/v.state" \
	--metrics-addr "127.0.0.1:$mport"
wait_until 10 'curl -s "http://127.0.0.1:$mport/health" >/dev/null' "the verifier's metrics"
cmdline_of "$(bg_pid verifier)" >"$CHECK/verifier.cmdline"
scrape verifier "$mport"
wait_until 60 'stream_synced "$T/verifier.out" 0 2>/dev/null' "the gap to be filled"
scrape verifier "$mport"
touch "$T/done"
bg_wait verifier || fail "verifier exit status $?"
cp "$T/verifier.err" "$CHECK/"
[ "$(jq -c 'select(.reason == "gap") | .number' "$T/verifier.out" | tr '\n' ' ')" = "4 5 6 " ] ||
	fail "gap blocks: $(jq -c 'select(.reason == "gap") | .number' "$T/verifier.out" | tr '\n' ' ')"
proxy_injected
pool_named verifier

# From BLOCKPIPE_RPC_URL_FILE, and as a flag: ps shows no key.
BLOCKPIPE_RPC_URL_FILE=$T/rpc.url bg_run envfile bash -c 'exec "$@" < <(sleep 30)' _ \
	"$BIN/verifier" --metrics-addr "127.0.0.1:0"
bg_run flag bash -c 'exec "$@" < <(sleep 30)' _ "$BIN/verifier" --rpc "$SECRET_FLAG" \
	--metrics-addr "127.0.0.1:0"
wait_until 30 'grep -q "serving metrics" "$T/envfile.err" && grep -q "serving metrics" "$T/flag.err"' \
	"the two verifiers to start"
argv_checked

# Configuration errors, --check-config, a database that is not there.
cfg_runs "$BIN/verifier" "--rpc ftp://u:SECRETPW@127.0.0.1/SECRETKEY" \
	"--rpc http://127.0.0.1:1/v2/SECRETKEY,http:/SECRET2 --check-config" \
	"--rpc http://127.0.0.1:1/v2/SECRETKEY --check-config" \
	"--rpc-file $T/rpc.url --rpc http://h/SECRETKEY" \
	"--rpc $SECRET_FLAG --db postgresql://u:SECRETDB@127.0.0.1:$DEAD_PORT/x?password=SECRETQ --start-block 0"
must_have "$CHECK/cfg1.err" "invalid --rpc URL 'ftp://127.0.0.1'" "a bad URL's error"
must_have "$CHECK/cfg2.err" "invalid --rpc URL 'http:'" "a bad second URL"
must_have "$CHECK/cfg3.out" '^configuration OK$' "--check-config"
must_have "$CHECK/cfg4.err" "exclude each other" "--rpc and --rpc-file"
must_have "$CHECK/cfg5.err" "127.0.0.1:$DEAD_PORT" "the DSN's error"

no_secret
pass
