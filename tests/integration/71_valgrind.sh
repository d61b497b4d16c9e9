#!/usr/bin/env bash
# Every program runs once under valgrind (memcheck): a backfill of a few
# anvil blocks with transactions and logs through fetcher, verifier (with
# --db and --pub, tap subscribed) and writer, the decoder over them, the
# broadcaster (with --db: its replay workers) fed the verifier's messages
# and asked for /v1/status, tap and the broadcaster stopped by SIGTERM. Any memory error, and any
# definite or indirect leak at exit, fails (exit status 9).
. "$(dirname "$0")/../lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (scripts/deps)"
VG="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=9 -q"
anvil_start
traffic_blocks 4
new_db >/dev/null
"$BIN/writer" --db "$DB" --init-schema 2>/dev/null
$VG "$BIN/fetcher" --rpc "$RPC" --from 0 --to head >"$T/f.ndjson" 2>"$T/vg.fetcher" || fail "fetcher: $(grep -v '"level"' "$T/vg.fetcher" | head -30)"
PP=$(free_port)
bg_run tap $VG "$BIN/tap" --sub "tcp://127.0.0.1:$PP"
sleep 2
$VG "$BIN/verifier" --rpc "$RPC" --db "$DB" --start-block 0 --pub "@tcp://127.0.0.1:$PP" <"$T/f.ndjson" >"$T/v.ndjson" 2>"$T/vg.verifier" || fail "verifier: $(grep -v '"level"' "$T/vg.verifier" | head -30)"
sleep 1
bg_term tap || fail "tap: $(grep -v '"level"' "$T/tap.err" | head -30)"
$VG "$BIN/writer" --db "$DB" <"$T/v.ndjson" 2>"$T/vg.writer" || fail "writer: $(grep -v '"level"' "$T/vg.writer" | head -30)"
echo '{"tables": [{"name": "pings", "event": "Ping(uint256 n)"}]}' >"$T/t.json"
$VG "$BIN/decoder" --db "$DB" --config "$T/t.json" --chain-id 31337 --once 2>"$T/vg.decoder" || fail "decoder: $(grep -v '"level"' "$T/vg.decoder" | head -30)"
P=$(free_port)
mkfifo "$T/bin"; exec 7<>"$T/bin"
bg_run bc $VG "$BIN/broadcaster" --sub - --listen "127.0.0.1:$P" --db "$DB" <"$T/bin"
sleep 3
cat "$T/v.ndjson" >&7
sleep 2
curl -s "http://127.0.0.1:$P/v1/status" >/dev/null
bg_term bc || fail "broadcaster: $(grep -v '"level"' "$T/bc.err" | head -30)"
pass
