# Helpers for the verifier's integration tests (3x_verifier_*.sh): a
# private anvil, a fetcher | verifier pipeline through a FIFO, and the
# reducer that applies the emitted stream and compares it with the node.
#
# Every process is started here, remembered by pid and stopped by pid at
# exit. Nothing is timed: waits poll a condition with a generous limit.
set -euo pipefail

V_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
V_BIN=${BLOCKPIPE_BIN:-$V_ROOT/bin}
V_ANVIL=${ANVIL:-$V_ROOT/var/npm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}
command -v "$V_ANVIL" >/dev/null 2>&1 || V_ANVIL=anvil
V_NAME=$(basename "$0" .sh)
V_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$V_NAME.XXXXXX")
V_PIDS=()
V_FAILED=0

v_log() { echo "[$V_NAME] $*" >&2; }

v_cleanup() {
	local rc=$?
	for pid in "${V_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${V_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "$rc" -ne 0 ] || [ "$V_FAILED" -ne 0 ]; then
		v_log "FAILED; logs kept in $V_TMP"
		for f in "$V_TMP"/*.err; do
			[ -f "$f" ] || continue
			echo "--- $f (tail)" >&2
			tail -n 25 "$f" >&2
		done
	else
		rm -rf "$V_TMP"
	fi
	exit "$rc"
}
trap v_cleanup EXIT

v_fail() {
	V_FAILED=1
	v_log "FAIL: $*"
	exit 1
}

# v_wait_until SECONDS DESCRIPTION CMD...: poll CMD every 0.3 s.
v_wait_until() {
	local limit=$1 what=$2 end=$((SECONDS + $1))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || v_fail "timed out after ${limit}s waiting for $what"
		sleep 0.3
	done
}

# v_anvil_start [ANVIL ARGS...]: sets V_PORT and V_RPC.
v_anvil_start() {
	local try
	for try in 1 2 3 4 5; do
		V_PORT=$((20000 + (RANDOM * 7 + $$) % 30000))
		V_RPC=http://127.0.0.1:$V_PORT
		"$V_ANVIL" --port "$V_PORT" --silent "$@" >"$V_TMP/anvil.$V_PORT.err" 2>&1 &
		V_ANVIL_PID=$!
		V_PIDS+=("$V_ANVIL_PID")
		local i
		for i in $(seq 100); do
			if v_rpc eth_blockNumber >/dev/null 2>&1; then
				return 0
			fi
			kill -0 "$V_ANVIL_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$V_ANVIL_PID" 2>/dev/null || true
	done
	v_fail "cannot start anvil"
}

# v_rpc METHOD [PARAMS-JSON]: the result as compact JSON; fails on error.
v_rpc() {
	local out
	out=$(curl -sf -m 10 -X POST -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" "$V_RPC") || return 1
	if [ "$(jq -r 'has("error")' <<<"$out")" = true ]; then
		echo "$out" >&2
		return 1
	fi
	jq -c .result <<<"$out"
}

v_mine() { v_rpc anvil_mine "[\"$(printf '0x%x' "${1:-1}")\"]" >/dev/null; }
v_head() { printf '%d\n' "$(v_rpc eth_blockNumber | jq -r .)"; }
v_hash() { v_rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\",false]" | jq -r .hash; }

# A value transfer, for blocks that hold something.
V_FROM=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
V_TO=0x70997970C51812dc3A65C5e2Cae83D9fFf66FE2D
v_tx_obj() { echo "{\"from\":\"$V_FROM\",\"to\":\"$V_TO\",\"value\":\"$(printf '0x%x' "$1")\"}"; }
v_send() { v_rpc eth_sendTransaction "[$(v_tx_obj "${1:-1}")]" >/dev/null; }

# v_pipeline NAME FETCHER-ARGS -- VERIFIER-ARGS [-- FILTER-CMD]: run
# fetcher | [filter |] verifier with output in $V_TMP/NAME.out; pids in
# V_FETCHER_PID, V_FILTER_PID, V_VERIFIER_PID.
v_pipeline() {
	local name=$1
	shift
	local fargs=() vargs=() filt=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	filt=("$@")
	mkfifo "$V_TMP/$name.f1"
	V_FILTER_PID=
	if [ ${#filt[@]} -gt 0 ]; then
		mkfifo "$V_TMP/$name.f2"
		"${filt[@]}" <"$V_TMP/$name.f1" >"$V_TMP/$name.f2" 2>"$V_TMP/$name.filter.err" &
		V_FILTER_PID=$!
		V_PIDS+=("$V_FILTER_PID")
		"$V_BIN/verifier" "${vargs[@]}" <"$V_TMP/$name.f2" \
			>>"$V_TMP/$name.out" 2>>"$V_TMP/$name.verifier.err" &
	else
		"$V_BIN/verifier" "${vargs[@]}" <"$V_TMP/$name.f1" \
			>>"$V_TMP/$name.out" 2>>"$V_TMP/$name.verifier.err" &
	fi
	V_VERIFIER_PID=$!
	V_PIDS+=("$V_VERIFIER_PID")
	"$V_BIN/fetcher" "${fargs[@]}" >"$V_TMP/$name.f1" 2>>"$V_TMP/$name.fetcher.err" &
	V_FETCHER_PID=$!
	V_PIDS+=("$V_FETCHER_PID")
}

# v_stop PID: SIGTERM, then wait for it (its exit status is returned).
v_stop() {
	kill -TERM "$1" 2>/dev/null || true
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	return "$rc"
}

# v_reduce FILE: apply the stream in order (a block sets its height, a
# reorg tombstones invalidate_from..invalidate_to) and print the map
# {"height": hash-or-null}.
v_reduce() {
	jq -cn 'reduce inputs as $m ({};
		if $m.type == "block" then .[($m.number | tostring)] = $m.hash
		elif $m.type == "reorg" then
			reduce range($m.invalidate_from; $m.invalidate_to + 1) as $n
				(.; .[($n | tostring)] = null)
		else . end)' "$1"
}

# v_node_map FROM TO: the node's {"height": hash} for FROM..TO, in one
# JSON-RPC batch.
v_node_map() {
	jq -cn --argjson a "$1" --argjson b "$2" '[range($a; $b + 1) |
		{jsonrpc: "2.0", id: ., method: "eth_getBlockByNumber",
		 params: [("0x" + (. as $n | [recurse(if . >= 16 then ./16 | floor else empty end) | . % 16] | reverse | map("0123456789abcdef"[.:.+1]) | join(""))), false]}]' |
		curl -sf -m 20 -X POST -H 'content-type: application/json' --data @- "$V_RPC" |
		jq -c 'map({key: (.id | tostring), value: .result.hash}) | from_entries'
}

# v_seq_increasing FILE: every seq strictly above the one before.
v_seq_increasing() {
	jq -se '[.[].seq] | . as $s | length > 0 and
		all(range(1; length); $s[.] > $s[. - 1])' "$1" >/dev/null
}

# v_matches_node FILE FROM: the reduced stream equals the node's chain
# from FROM to its head, and nothing above the head is live.
v_matches_node() {
	local file=$1 from=$2 head mine node
	head=$(v_head)
	mine=$(v_reduce "$file")
	node=$(v_node_map "$from" "$head")
	jq -ne --argjson m "$mine" --argjson n "$node" --argjson from "$from" \
		--argjson head "$head" '
		([range($from; $head + 1) | tostring] | all(. as $k | $m[$k] == $n[$k]))
		and ($m | to_entries | all((.key | tonumber) <= $head or .value == null))' \
		>/dev/null
}

# v_explain FILE FROM: print the heights where stream and node differ.
v_explain() {
	local file=$1 from=$2 head
	head=$(v_head)
	jq -n --argjson m "$(v_reduce "$file")" --argjson n "$(v_node_map "$from" "$head")" '
		[$n | keys[] | select($m[.] != $n[.]) | {height: ., stream: $m[.], node: $n[.]}],
		[$m | to_entries[] | select((.key | tonumber) > '"$head"' and .value != null)]' >&2
}

# v_has_block FILE N: the stream holds a block message for height N.
v_has_block() {
	jq -e --argjson n "$2" 'select(.type == "block" and .number == $n)' "$1" 2>/dev/null | grep -q .
}

# v_synced FILE FROM: the node's head is in the stream and it matches.
v_synced() {
	v_has_block "$1" "$(v_head)" && v_matches_node "$1" "$2"
}
