#!/usr/bin/env bash
# The decoder against real logs on anvil: a token in raw bytecode whose
# transfer and approve emit ERC-20's Transfer and Approval (called through
# ethers with the ERC-20 ABI), and a raw-bytecode emitter (tests/node/
# decode_events.mjs) that logs ERC-20 Transfer and Approval, ERC-721's
# Transfer (ERC-20's topic0 with four topics: not the ERC-20 table's), an
# event of every ABI type (a tuple with a dynamic array among them) and a
# Transfer whose data is cut short. The pipeline indexes them; the decoder
# fills its tables from the raw logs, and every canonical_* view must equal
# what ethers' ABI coder decodes of the node's canonical logs, row for row
# and value for value:
#   - after a first decode (--once);
#   - after tables are added to the file (backfill from the logs table; one
#     keeps only the transfers to two addresses, a filter on a topic);
#   - after anvil_reorg drops blocks holding decoded events and new ones
#     come, with the decoder following (not --once) and the writer
#     SIGKILLed right after the reorg and started again;
#   - after the decoder is killed (SIGKILL) in the middle and restarted.
# The malformed log is counted and logged, and never stops the decoder.
. "$(dirname "$0")/../lib.sh"

NODE_DIR=$ROOT/tests/node
ev() { (cd "$NODE_DIR" && timeout 180 node decode_events.mjs "$@"); }

anvil_start
new_db >/dev/null
db_schema
# the stages joined by ZeroMQ, so that the writer can be killed alone
P_IN=$(free_port) P_OUT=$(free_port)
bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --from 0 --follow --poll-interval 100ms \
	--out "@tcp://127.0.0.1:$P_IN"
bg_run verifier "$BIN/verifier" --rpc "$RPC" --db "$DB" --start-block 0 --window 64 \
	--audit-interval 1s --in ">tcp://127.0.0.1:$P_IN" --out "@tcp://127.0.0.1:$P_OUT"
start_writer() {
	bg_run writer "$BIN/writer" --db "$DB" --flush-interval 50ms --in ">tcp://127.0.0.1:$P_OUT"
}
start_writer

ADDRS=$(ev deploy "$RPC") || fail "cannot deploy the emitter and the token"
ADDR=${ADDRS%,*} TOKEN=${ADDRS#*,}
for r in 1 2 3; do ev emit "$RPC" "$ADDRS" "$r" || fail "emit round $r"; done
wait_until 60 db_synced "the database to hold blocks 0..head"

tables() { # the table file: the three first tables, and swaps when $1
	cat <<JSON
{"tables": [
 {"name": "erc20_transfers", "addresses": ["$ADDR"],
  "event": "Transfer(address indexed from, address indexed to, uint256 value)",
  "columns": [{"arg": "from", "name": "sender"}, {"arg": "to", "name": "recipient"}, "value"]},
 {"name": "token_transfers", "addresses": ["$TOKEN"],
  "event": "Transfer(address indexed from, address indexed to, uint256 value)"},
 {"name": "erc20_approvals", "event": "Approval",
  "abi": [{"type": "function", "name": "approve", "inputs": []},
          {"type": "event", "name": "Approval", "anonymous": false, "inputs": [
            {"indexed": true, "name": "owner", "type": "address"},
            {"indexed": true, "name": "spender", "type": "address"},
            {"indexed": false, "name": "value", "type": "uint256"}]}]},
 {"name": "all_types",
  "event": "AllTypes(uint8 a, int256 b, address c, bool d, bytes32 e, bytes f, string g, uint256[] h, int16[3] i, (uint256 id, bytes data, string[] tags) j, (bool,address)[] k, string indexed l, (uint8,bytes) indexed m, int64 indexed n)"}
$(if [ "${1:-}" = swaps ]; then echo ', {"name": "to_a1", "event": "Transfer(address indexed from, address indexed to, uint256 value)", "filters": {"to": ["0x1001", "0x0000000000000000000000000000000000002001"]}}'; fi)
$(if [ "${1:-}" = swaps ]; then echo ', {"name": "swaps", "event": "Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1, uint160 sqrtPriceX96, uint128 liquidity, int24 tick)"}'; fi)
]}
JSON
}
tables >"$T/tables.json"
"$BIN/decoder" --db "$DB" --config "$T/tables.json" --chain-id 31337 --check-config >"$T/check.out" ||
	fail "--check-config: $(cat "$T/check.out")"

decode_once() {
	"$BIN/decoder" --db "$DB" --config "$1" --chain-id 31337 --once 2>>"$T/decoder.err" ||
		fail "decoder --once failed: $(tail -3 "$T/decoder.err")"
}
compare() {
	ev check "$RPC" "$DB" "$1" >"$T/compare.out" 2>&1 ||
		fail "$2: decoded views differ from the node: $(cat "$T/compare.out")"
	note "$2: $(tr '\n' ' ' <"$T/compare.out")"
}

decode_once "$T/tables.json"
compare "$T/tables.json" "first decode"
grep -q '"log does not decode as Transfer(address,address,uint256)"' "$T/decoder.err" ||
	grep -q 'log does not decode as Transfer(address,address,uint256)' "$T/decoder.err" ||
	fail "the short Transfer was not logged: $(tail -3 "$T/decoder.err")"
[ "$(psql_q 'select count(*) from erc20_transfers')" = 6 ] ||
	fail "erc20_transfers should hold 6 rows (2 a round), not the ERC-721 or the short ones"
[ "$(psql_q 'select count(*) from token_transfers')" = 3 ] ||
	fail "token_transfers should hold the token's 3 transfers"
[ "$(psql_q 'select count(*) from erc20_approvals')" = 6 ] ||
	fail "erc20_approvals should hold 6 rows (the emitter's and the token's)"

# Backfill: a table added to the file fills from the raw logs.
tables swaps >"$T/tables2.json"
decode_once "$T/tables2.json"
compare "$T/tables2.json" "backfill of a new table"
[ "$(psql_q 'select count(*) from swaps')" = 3 ] || fail "swaps should hold 3 rows"
[ "$(psql_q 'select count(*) from to_a1')" = 4 ] || fail "to_a1 should hold the 4 transfers (emitter's and token's) to 0x1001 and 0x2001"

# Follow, through a reorg that drops decoded events, with new ones after.
bg_run dec "$BIN/decoder" --db "$DB" --config "$T/tables2.json" --chain-id 31337 --poll-interval 50ms --batch-blocks 1
rpc anvil_reorg '[5, []]' >/dev/null
# the writer SIGKILLed right after the reorg, with what it held
sleep 0.2
bg_kill writer KILL
start_writer
ev emit "$RPC" "$ADDRS" 4 || fail "emit round 4"
wait_until 60 db_synced "the database to follow the reorg"
following_equal() { ev check "$RPC" "$DB" "$T/tables2.json" >"$T/compare.out" 2>&1; }
wait_until 60 following_equal "the decoded views to follow the reorg"
note "after the reorg: $(tr '\n' ' ' <"$T/compare.out")"
[ "$(psql_q 'select count(*) from all_types')" -gt "$(psql_q 'select count(*) from canonical_all_types')" ] ||
	fail "the reorg orphaned no decoded row: the test tested nothing"

# A kill in the middle: more rounds, SIGKILL while it decodes, restart.
for r in 5 6; do ev emit "$RPC" "$ADDRS" "$r" || fail "emit round $r"; done
bg_kill dec KILL
wait_until 60 db_synced "the database to hold the new rounds"
decode_once "$T/tables2.json"
compare "$T/tables2.json" "after a kill and a restart"

# Metrics: every name docs/decoder.md lists is served; the short Transfer
# and the ERC-721 ones were counted. A clean SIGTERM exits 0.
mport=$(free_port)
bg_run dec2 "$BIN/decoder" --db "$DB" --config "$T/tables2.json" --chain-id 31337 \
	--poll-interval 50ms --metrics-addr "127.0.0.1:$mport"
scraped() { curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" >"$T/dec.prom" &&
	grep -q '^decoder_height{table="swaps"}' "$T/dec.prom"; }
wait_until 30 scraped "the decoder's /metrics"
names=$(awk '/^## METRICS/ { s = 1; next } /^## / { s = 0 } s' "$ROOT/docs/decoder.md" |
	grep -oE '^\| `decoder_[a-z_]+' | sed 's/^| `//')
[ "$(wc -w <<<"$names")" -ge 7 ] || fail "docs/decoder.md lists only: $names"
for n in $names; do
	grep -q "^# TYPE $n " "$T/dec.prom" || fail "docs/decoder.md lists $n, which /metrics does not have"
done
bg_term dec2 || fail "the decoder did not exit 0 on SIGTERM"
# the counters are per process: a fresh decoder from scratch counts them
psql_q "delete from decoder_progress where table_name = 'erc20_transfers'" >/dev/null
bg_run dec3 "$BIN/decoder" --db "$DB" --config "$T/tables2.json" --chain-id 31337 \
	--poll-interval 50ms --metrics-addr "127.0.0.1:$mport"
counted() {
	curl -sf --max-time 5 "http://127.0.0.1:$mport/metrics" >"$T/dec.prom" &&
		grep -Eq '^decoder_logs_failed_total\{table="erc20_transfers"\} [1-9]' "$T/dec.prom" &&
		grep -Eq '^decoder_logs_other_total\{table="erc20_transfers"\} [1-9]' "$T/dec.prom"
}
wait_until 30 counted "the short Transfer and the ERC-721 logs counted"
bg_term dec3 || fail "the decoder did not exit 0 on SIGTERM"
compare "$T/tables2.json" "after decoding a table again from scratch"

# A table that exists with other columns, a file that does not parse:
# configuration errors, exit 2.
sed 's/"name": "sender"/"name": "src"/' "$T/tables2.json" >"$T/tables3.json"
rc=0; "$BIN/decoder" --db "$DB" --config "$T/tables3.json" --chain-id 31337 --once 2>"$T/cols.err" || rc=$?
[ "$rc" = 2 ] || fail "a table with other columns: exit $rc, want 2: $(tail -2 "$T/cols.err")"
grep -q "exists without the column 'src'" "$T/cols.err" || fail "no clear line: $(tail -2 "$T/cols.err")"
echo '{"tables": [{"name": "x", "event": "Transfer(adress a)"}]}' >"$T/bad.json"
rc=0; "$BIN/decoder" --db "$DB" --config "$T/bad.json" --chain-id 31337 --check-config 2>"$T/bad.err" || rc=$?
if [ "$rc" != 2 ] || ! grep -q "tables\[0\]: event: unknown type 'adress'" "$T/bad.err"; then
	fail "a bad event: exit $rc: $(cat "$T/bad.err")"
fi
for s in fetcher verifier writer; do bg_alive "$s" || fail "the $s exited"; done
pass
