# shellcheck shell=bash
# Helpers shared by the fetcher's integration tests (sourced after lib.sh):
# the fetcher's output stream compared with the node, receipts included
# (a database is compared with the node by lib.sh's db_matches_node).

# node_chain FROM TO: "number hash txs receipts logs" a line, as the node
# says, from one JSON-RPC batch for the blocks and one for the receipts.
node_chain() {
	paste -d' ' \
		<(node_batch eth_getBlockByNumber '["0x%x",false]' "$1" "$2" |
			jq -r 'sort_by(.id)[] | "\(.id) \(.result.hash) \(.result.transactions | length)"') \
		<(node_batch eth_getBlockReceipts '["0x%x"]' "$1" "$2" |
			jq -r 'sort_by(.id)[] | "\(.result | length) \([.result[].logs | length] | add // 0)"')
}

# stream_chain FILE: the same columns from a file of block messages.
stream_chain() {
	jq -r '"\(.number) \(.hash) \(.block.transactions | length) \(.receipts | length) \([.receipts[].logs | length] | add // 0)"' "$1"
}
