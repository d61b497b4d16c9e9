# shellcheck shell=bash
# Helpers shared by the fetcher's integration tests (sourced after lib.sh):
# the fetcher's output stream compared with the node, receipts included
# (a database is compared with the node by lib.sh's db_matches_node).

# node_chain FROM TO: "number hash txs receipts logs" a line, as the node
# says, from one JSON-RPC batch for the blocks and one for the receipts.
node_chain() {
	local from=$1 to=$2 req_b req_r
	# jq cannot print hex: build the batches with printf.
	req_b="["
	req_r="["
	for ((n = from; n <= to; n++)); do
		[ "$n" -gt "$from" ] && { req_b+=","; req_r+=","; }
		req_b+=$(printf '{"jsonrpc":"2.0","id":%d,"method":"eth_getBlockByNumber","params":["0x%x",false]}' "$n" "$n")
		req_r+=$(printf '{"jsonrpc":"2.0","id":%d,"method":"eth_getBlockReceipts","params":["0x%x"]}' "$n" "$n")
	done
	req_b+="]"
	req_r+="]"
	paste -d' ' \
		<(curl -s -H 'content-type: application/json' -d "$req_b" "$RPC" |
			jq -r 'sort_by(.id)[] | "\(.id) \(.result.hash) \(.result.transactions | length)"') \
		<(curl -s -H 'content-type: application/json' -d "$req_r" "$RPC" |
			jq -r 'sort_by(.id)[] | "\(.result | length) \([.result[].logs | length] | add // 0)"')
}

# stream_chain FILE: the same columns from a file of block messages.
stream_chain() {
	jq -r '"\(.number) \(.hash) \(.block.transactions | length) \(.receipts | length) \([.receipts[].logs | length] | add // 0)"' "$1"
}
