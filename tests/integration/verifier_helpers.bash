# shellcheck shell=bash
# Compatibility shim: the verifier's tests used to source this file, a
# second library of aliases over tests/lib.sh. Everything now lives in
# tests/lib.sh (waits, the node's head and hashes, transactions, the
# database checked against the node with scripts/check-consistency) and
# verifier_lib.sh (the fetcher | verifier pipeline, the output stream
# checked against the node); the old names below only forward there, so
# that tests not moved yet keep working. New tests source those two files
# and use their names; delete this file once no test sources it.
#
#   old                      new
#   v_fail, v_log            fail, note
#   v_wait_until S DESC CMD  wait_until S 'CMD' DESC (the one wait)
#   v_anvil_start, V_RPC     anvil_start --silent, RPC
#   V_BIN, V_TMP, V_NAME     BIN, T, TEST_NAME
#   v_rpc, v_mine, v_head, v_hash, v_node_map
#                            rpc, mine, node_head, node_hash, node_hashes
#   v_tx_obj, v_send, V_FROM, V_TO  tx_json, send_tx, TX_FROM, TX_TO
#   v_pipeline, v_stop       verifier_pipeline, bg_term
#   v_reduce, v_seq_increasing, v_matches_node, v_explain, v_has_block,
#   v_synced                 stream_reduce, stream_seq_increasing, ...
#   canonical_map + db_matches_node (in the tests)  lib.sh's db_matches_node
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/verifier_lib.sh"

V_BIN=$BIN
V_TMP=$T
V_NAME=$TEST_NAME
V_FROM=$TX_FROM
V_TO=$TX_TO

v_log() { note "$@"; }
v_fail() { fail "$@"; }
v_wait_until() {
	local limit=$1 what=$2 cmd
	shift 2
	printf -v cmd '%q ' "$@"
	wait_until "$limit" "$cmd 2>/dev/null" "$what"
}
v_anvil_start() {
	anvil_start --silent "$@"
	V_RPC=$RPC
}
v_rpc() { rpc "$@"; }
v_mine() { mine "$@"; }
v_head() { node_head; }
v_hash() { node_hash "$@"; }
v_node_map() { node_hashes "$@"; }
v_tx_obj() { tx_json "$@"; }
v_send() { send_tx "$@"; }
v_pipeline() { verifier_pipeline "$@"; }
v_stop() { bg_term "$@"; }
v_reduce() { stream_reduce "$@"; }
v_seq_increasing() { stream_seq_increasing "$@"; }
v_matches_node() { stream_matches_node "$@"; }
v_explain() { stream_explain "$@"; }
v_has_block() { stream_has_block "$@"; }
v_synced() { stream_synced "$@"; }
