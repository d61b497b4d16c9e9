#!/usr/bin/env bash
# A lying node: the pipeline reads the chain only through bin/faultproxy,
# which alters block bodies and keeps each block's hash (body faults:
# faultproxy --help). One anvil chain (prague, tests/node/body_kinds.mjs
# --no-blobs: every transaction type but blob ones, whose blocks anvil
# roots over the pooled form, a matter for 3d) serves every case.
#
# First the plumbing: faultproxy --self-test, then for each fault the
# proxy's answer differs from anvil's where the fault says, once, and the
# next answer is anvil's again; with body_rate 0.5, about half lie.
#
# Then for each fault, told in the first answer for its height (the
# fetcher's), fetcher | verifier | writer through the proxy must end with
# the database equal to the node (tx hash, from, to, value, type, status;
# log address, topics, data; counts), the verifier must have counted the
# lie in verifier_body_mismatches_total under a field that can reveal it
# and logged "block body mismatch at height H" at error level. Duplicate
# keys may instead be refused by the JSON-RPC client (an error naming the
# duplicate key), before the verifier sees the block. With
# --no-verify-body the lie reaches the database (so the check is what
# stops it). A node that always lies about a height: that block never
# reaches the database; once the node tells the truth it does.
#
# Cases do not stop at the first failure: every failed assertion is
# listed at the end.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/body_lib.sh"

for b in fetcher verifier writer faultproxy; do [ -x "$BIN/$b" ] || fail "$BIN/$b is not built"; done
"$BIN/faultproxy" --self-test >"$T/selftest.out" 2>&1 ||
	fail "faultproxy --self-test: $(grep -v '^ok' "$T/selftest.out")"

FAILED=()
check() { # check MSG CMD...: record MSG unless CMD succeeds
	local msg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then
		FAILED+=("$msg")
		echo "not ok: $msg" >&2
	fi
}

bk_chain prague --no-blobs
HEAD=$(jq .head "$T/kinds.prague.json")
[ "$HEAD" -ge 4 ] || fail "the chain is too short ($HEAD)"
proxy_start proxy --seed 5 --log "$T/proxy.log"

control() {
	curl -sf --max-time 10 -H 'content-type: application/json' --data "$1" "$PROXY/__control" \
		>"$T/control.out" || fail "control $1: $(cat "$T/control.out" 2>/dev/null)"
}

# block H and its receipts, in one batch as the fetcher asks
batch() {
	local q
	q=$(printf '"0x%x"' "$2")
	curl -sf --max-time 20 -H 'content-type: application/json' --data \
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBlockByNumber\",\"params\":[$q,true]},
		  {\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"eth_getBlockReceipts\",\"params\":[$q]}]" "$1"
}

# What each fault must change, as a jq test on [node answer, lie]
# (blocks and receipts without anvil's blob sidecars); the fields of
# verifier_body_mismatches_total that can reveal it; the height.
declare -A SHOWS FIELDS AT
B='.[0].result' R='.[1].result'
SHOWS[drop-tx]="(.[0] | ${B}.transactions | length) == (.[1] | ${B}.transactions | length) + 1 and
	(.[0] | ${R} | length) == (.[1] | ${R} | length) + 1 and (.[0] | ${B}.hash) == (.[1] | ${B}.hash)"
SHOWS[tx-value]="(.[0] | ${B}.transactions[0].value) != (.[1] | ${B}.transactions[0].value) and
	(.[0] | ${B}.transactions[0].hash) == (.[1] | ${B}.transactions[0].hash)"
SHOWS[log-address]="(.[0] | ${R}[0].logs[0].address) != (.[1] | ${R}[0].logs[0].address) and
	(.[0] | ${R}[0].logs[0].data) != (.[1] | ${R}[0].logs[0].data)"
SHOWS[log-topic]="(.[0] | ${R}[0].logs[0].topics[-1]) != (.[1] | ${R}[0].logs[0].topics[-1]) and
	(.[0] | ${R}[0].logs[0].topics[0]) == (.[1] | ${R}[0].logs[0].topics[0])"
SHOWS[drop-log]="(.[0] | [${R}[].logs[]] | length) == (.[1] | [${R}[].logs[]] | length) + 1"
SHOWS[swap-tx]="(.[0] | ${B}.transactions[0].hash) == (.[1] | ${B}.transactions[1].hash) and
	(.[0] | ${R}[1].transactionHash) == (.[1] | ${R}[0].transactionHash)"
SHOWS[status]="(.[0] | ${R}[0].status) != (.[1] | ${R}[0].status)"
FIELDS[drop-tx]="transactionsRoot receiptsRoot gasUsed logsBloom receipt_count"
FIELDS[tx-value]="tx_hash transactionsRoot from"
FIELDS[log-address]="receiptsRoot logsBloom"
FIELDS[log-topic]="receiptsRoot logsBloom"
FIELDS[drop-log]="receiptsRoot logsBloom logIndex"
FIELDS[swap-tx]="transactionsRoot receiptsRoot transactionIndex logIndex gasUsed"
FIELDS[status]="receiptsRoot"
FIELDS[dup-keys]="duplicate_key malformed"
FIELDS[dup-result]="duplicate_key malformed"
KINDS="drop-tx tx-value log-address log-topic drop-log swap-tx status dup-keys dup-result"
for k in $KINDS; do AT[$k]=2; done
AT[drop-tx]=3 # its last transaction logs

strip='map(if .result | type == "object" then .result.transactions |= map(del(.blobs, .commitments, .proofs)) else . end)'

# --- plumbing: the proxy lies where and as often as asked ---------------------
for k in $KINDS; do
	h=${AT[$k]}
	control "{\"body_faults\":\"$k\",\"body_heights\":[$h],\"body_times\":1,\"reset_stats\":true}"
	batch "$RPC" "$h" >"$T/p.node" && batch "$PROXY" "$h" >"$T/p.lie" && batch "$PROXY" "$h" >"$T/p.after" ||
		fail "$k: cannot ask the node and the proxy for block $h"
	cmp -s "$T/p.node" "$T/p.lie" && fail "$k: the proxy did not alter block $h"
	cmp -s "$T/p.node" "$T/p.after" || fail "$k: the proxy lied twice with body_times 1"
	case $k in
	dup-keys)
		grep -q '"result":{"timestamp":"0x1","miner":"0x0*ba",' "$T/p.lie" ||
			fail "$k: no fake timestamp and miner before the real ones"
		[ "$(grep -o '"timestamp":' "$T/p.lie" | wc -l)" -eq $(($(grep -o '"timestamp":' "$T/p.node" | wc -l) + 1)) ] ||
			fail "$k: not one timestamp more"
		;;
	dup-result)
		[ "$(grep -o '"result":' "$T/p.lie" | wc -l)" -eq 3 ] || fail "$k: not two results for the block"
		;;
	*)
		jq -e -s "map($strip) | $(printf '%s' "${SHOWS[$k]}")" "$T/p.node" "$T/p.lie" >/dev/null ||
			fail "$k: the lie is not the one expected"
		;;
	esac
done
# always, with a probability: some answers lie, not all
control '{"body_faults":"status","body_heights":[2],"body_times":"always","body_rate":0.5,"reset_stats":true,"seed":9}'
batch "$RPC" 2 >"$T/p.node" || fail "cannot ask the node for block 2"
for i in $(seq 40); do batch "$PROXY" 2 >"$T/p.$i" || fail "cannot ask the proxy for block 2"; done
lied=0
for i in $(seq 40); do cmp -s "$T/p.node" "$T/p.$i" || lied=$((lied + 1)); done
[ "$lied" -ge 8 ] && [ "$lied" -le 32 ] || fail "body_rate 0.5 lied in $lied answers of 40"
[ "$(curl -sf "$PROXY/__stats" | jq '.lies["2"]')" = "$lied" ] || fail "the proxy's count is not $lied"
control '{"body_rate":1}'
echo "the proxy tells each lie once, or always at a rate ($lied of 40)" >&2

# --- each lie, told once, is caught and healed --------------------------------
mismatches() { # mismatches NAME FIELDS...: their sum in NAME's verifier
	local name=$1 f s=0
	shift
	for f in "$@"; do
		s=$((s + $(bk_metric "$name" "verifier_body_mismatches_total{field=\"$f\"}")))
	done
	echo "$s"
}

logged_mismatch() { # logged_mismatch NAME H (jq 1.6's -e is not to be
	# trusted with inputs that give no output: count the lines)
	local n
	n=$(jq -R -c --argjson h "$2" 'fromjson? | select(.level == "error" and
		(.msg | test("^block body mismatch at height \($h)([^0-9]|$)"))) | .ts' \
		"$T/$1.verifier.err" | wc -l)
	[ "$n" -ge 1 ]
}

dup_refused() { # the JSON-RPC client refused the answer: a duplicate key
	grep -qi 'duplicate key' "$T/$1.fetcher.err" "$T/$1.verifier.err"
}

caught() { # caught NAME KIND H
	local name=$1 k=$2 h=$3
	# shellcheck disable=SC2086 # a list of fields
	if [ "$(mismatches "$name" ${FIELDS[$k]})" -ge 1 ] && logged_mismatch "$name" "$h"; then
		return 0
	fi
	case $k in dup-*) dup_refused "$name" ;; *) return 1 ;; esac
}

for k in $KINDS; do
	h=${AT[$k]}
	control "{\"body_faults\":\"$k\",\"body_heights\":[$h],\"body_times\":1,\"reset_stats\":true}"
	bk_pipeline "$k" "$PROXY" || fail "$k: the verifier did not start: $(tail -n 2 "$T/$k.verifier.err")"
	bk_wait_synced "$k" "$HEAD"
	told=$(curl -sf "$PROXY/__stats" | jq --arg k "$k" '.body[$k]')
	[ "$told" = 1 ] || fail "$k: the proxy told $told lies, want 1"
	check "$k: the database differs from the node" bk_same_as_node "$k" "$HEAD"
	if [ -s "$T/$k.diff" ]; then bk_explain "$k"; fi
	check "$k: not caught: no verifier_body_mismatches_total{field in (${FIELDS[$k]})} with a 'block body mismatch at height $h' error line" \
		caught "$k" "$k" "$h"
	bg_kill "$k"
	echo "$k at height $h: done" >&2
done

# --- without the check, the lie gets through --------------------------------
not() { ! "$@"; }
control '{"body_faults":"tx-value","body_heights":[2],"body_times":1,"reset_stats":true}'
if bk_pipeline noverify "$PROXY" --no-verify-body; then
	bk_wait_synced noverify "$HEAD"
	check "--no-verify-body: the lie did not reach the database (so it is no lie?)" \
		not bk_same_as_node noverify "$HEAD"
	grep -q '^< tx 2 0 ' "$T/noverify.diff" ||
		FAILED+=("--no-verify-body: the database differs from the node elsewhere than the value of tx 0 of block 2")
else
	FAILED+=("--no-verify-body: the verifier did not start: $(tail -n 1 "$T/noverify.verifier.err")")
fi
bg_kill noverify

# --- a node that always lies about a height -----------------------------------
# The fetcher follows, so that a new block after the truth is back makes
# the verifier fill the heights it could not take.
# tx-value: a lie only the verifier can see (the writer refuses swap-tx's
# block itself, for its transactionIndex out of place)
control '{"body_faults":"tx-value","body_heights":[2],"body_times":"always","reset_stats":true}'
BK_FOLLOW=1 bk_pipeline always "$PROXY" || fail "always: the verifier did not start"
lies_at2() { curl -sf "$PROXY/__stats" | jq '.lies["2"] // 0'; }
# until the verifier gives the block up (or has asked many times)
poll_until 30 '[ "$(lies_at2)" -ge 8 ] || [ "$(bk_metric always verifier_blocks_dropped_total)" -ge 1 ]' || true
[ "$(lies_at2)" -ge 3 ] ||
	FAILED+=("always: the verifier did not ask for block 2 again and again (the proxy lied $(lies_at2) times)")
poll_until 30 '[ "$(psql_q "select count(*) from canonical_blocks where number = 1")" = 1 ]' ||
	FAILED+=("always: block 1 did not reach the database")
check "always: a lying block 2 reached the database" \
	[ "$(psql_q 'select count(*) from blocks where number = 2') $(psql_q 'select count(*) from transactions where block_number = 2')" = "0 0" ]
# shellcheck disable=SC2086 # a list of fields
check "always: no verifier_body_mismatches_total{field in (${FIELDS[tx-value]})} >= 2" \
	[ "$(mismatches always ${FIELDS[tx-value]})" -ge 2 ]
check "always: no 'block body mismatch at height 2' error line" logged_mismatch always 2
# the node mends its ways; one more block, and the verifier fills the hole
control '{"body_faults":""}'
rpc anvil_mine '[1]' >/dev/null
HEAD=$((HEAD + 1))
poll_until 60 '[ "$(bk_watermark)" = "$HEAD" ]' ||
	FAILED+=("always: once the node tells the truth, heights 0..$HEAD do not reach the database (watermark $(bk_watermark))")
check "always: once the node tells the truth, the database does not equal the node" bk_same_as_node always "$HEAD"
bg_kill always

if [ ${#FAILED[@]} -gt 0 ]; then
	printf '  %s\n' "${FAILED[@]}" >&2
	fail "${#FAILED[@]} assertions failed (listed above)"
fi
pass
