# Helpers for the verifier's integration tests (3x_verifier_*.sh): a
# private anvil, a fetcher | verifier pipeline through a FIFO, and the
# reducer that applies the emitted stream and compares it with the node.
#
# Every process is started here, remembered by pid and stopped by pid at
# exit. Nothing is timed: waits poll a condition with a generous limit.
# shellcheck shell=bash
# Helpers for the verifier's integration tests (3x_verifier_*.sh), on top
# of tests/lib.sh: a fetcher | [filter |] verifier pipeline through FIFOs,
# and the reducer that applies the emitted stream and compares it with
# the node. Not a test itself (run-integration runs *.sh only).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# make asan runs the suite with BLOCKPIPE_BIN=bin-asan
V_BIN=${BLOCKPIPE_BIN:-$BIN}
V_TMP=$T
V_NAME=$TEST_NAME

v_log() { echo "[$V_NAME] $*" >&2; }

# fail, with the tails of the programs' logs first
v_fail() {
	local f
	for f in "$T"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $f (tail)" >&2
		tail -n 25 "$f" >&2
	done
	fail "$@"
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

# v_anvil_start [ANVIL ARGS...]: sets V_RPC (and lib's RPC).
v_anvil_start() {
	anvil_start --silent "$@"
	V_RPC=$RPC
}

v_rpc() { rpc "$@"; }

v_mine() { v_rpc anvil_mine "[\"$(printf '0x%x' "${1:-1}")\"]" >/dev/null; }
v_head() { printf '%d\n' "$(v_rpc eth_blockNumber | jq -r .)"; }
v_hash() { v_rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\",false]" | jq -r .hash; }

# A value transfer, for blocks that hold something.
V_FROM=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
V_TO=0x70997970C51812dc3A65C5e2Cae83D9fFf66FE2D
v_tx_obj() { echo "{\"from\":\"$V_FROM\",\"to\":\"$V_TO\",\"value\":\"$(printf '0x%x' "$1")\"}"; }
v_send() { v_rpc eth_sendTransaction "[$(v_tx_obj "${1:-1}")]" >/dev/null; }

# v_pipeline NAME FETCHER-ARGS -- VERIFIER-ARGS [-- FILTER-CMD...]: run
# fetcher | [filter |] verifier through FIFOs, as bg_run processes
# NAME.fetcher, NAME.filter and NAME.verifier; the verifier's output is
# $T/NAME.out, the logs $T/NAME.*.err.
v_pipeline() {
	local name=$1
	shift
	local fargs=() vargs=() filt=() vin
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	filt=("$@")
	mkfifo "$T/$name.f1"
	vin=$T/$name.f1
	if [ ${#filt[@]} -gt 0 ]; then
		mkfifo "$T/$name.f2"
		bg_run "$name.filter" bash -c 'exec "${@:3}" <"$1" >"$2"' _ \
			"$T/$name.f1" "$T/$name.f2" "${filt[@]}"
		vin=$T/$name.f2
	fi
	bg_run "$name.verifier" bash -c 'exec "${@:2}" <"$1"' _ "$vin" \
		"$V_BIN/verifier" "${vargs[@]}"
	ln -sf "$name.verifier.out" "$T/$name.out"
	bg_run "$name.fetcher" bash -c 'exec "${@:2}" >"$1"' _ "$T/$name.f1" \
		"$V_BIN/fetcher" "${fargs[@]}"
}

# v_stop NAME: SIGTERM the bg_run process NAME and return its exit status.
v_stop() {
	local pid
	pid=$(bg_pid "$1")
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	bg_wait "$1"
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
	jq -c --argjson n "$2" 'select(.type == "block" and .number == $n) | .number' "$1" 2>/dev/null | grep -q .
}

# v_synced FILE FROM: the node's head is in the stream and it matches.
v_synced() {
	v_has_block "$1" "$(v_head)" && v_matches_node "$1" "$2"
}
