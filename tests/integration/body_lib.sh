# shellcheck shell=bash
# Helpers for the whole-block verification tests (3d_verifier_body_kinds,
# 3e_verifier_body_faults), sourced after tests/lib.sh:
#
#   bk_chain FORK [ARGS]   anvil_start --hardfork FORK, then blocks of every
#                          kind the fork allows (tests/node/body_kinds.mjs
#                          ARGS, e.g. --no-blobs); its summary in
#                          $T/kinds.FORK.json
#   bk_pipeline NAME URL [VERIFIER ARGS...]
#                          new_db, the schema, then as bg_run NAME:
#                          { fetcher --from 0 --to head; sleep; } | verifier
#                          --db --metrics-addr | writer, fetcher and
#                          verifier on URL (BK_FOLLOW=1: fetcher --follow);
#                          the verifier stays up (its input stays open) so
#                          its metrics can be read; logs
#                          $T/NAME.{fetcher,verifier,writer}.err. Returns 1
#                          when the verifier exits or serves no /metrics
#                          within 30 s
#   bk_wait_synced NAME H  wait until heights 0..H are all canonical
#   bk_metric NAME SERIES  a series of NAME's verifier (0 when absent),
#                          e.g. 'verifier_body_mismatches_total{field="from"}'
#   bk_has_family NAME FAMILY  the verifier's /metrics names FAMILY
#   bk_node_dump FROM TO   the node's blocks, txs and logs, one line each
#                          (tests/node/chain_dump.mjs), sorted
#   bk_db_dump             the same of the database's canonical chain
#   bk_same_as_node NAME H the database equals the node over 0..H
#                          (diff in $T/NAME.diff)
#   BK_FIELDS              every field of verifier_body_mismatches_total

# shellcheck disable=SC2034 # used by the tests that source this
BK_FIELDS="transactionsRoot receiptsRoot logsBloom withdrawalsRoot tx_hash from
	blockHash blockNumber transactionIndex logIndex transactionHash receipt_count
	contractAddress effectiveGasPrice gasUsed unknown_type malformed duplicate_key"
declare -A BK_METRICS=()

bk_chain() {
	local fork=$1
	shift
	need_node_clients
	anvil_start --silent --hardfork "$fork"
	node "$ROOT/tests/node/body_kinds.mjs" --rpc "$RPC" --hardfork "$fork" "$@" \
		>"$T/kinds.$fork.json" 2>"$T/kinds.$fork.err" ||
		fail "$fork: cannot make the chain: $(tail -n 5 "$T/kinds.$fork.err")"
}

bk_pipeline() {
	local name=$1 url=$2 port up
	shift 2
	new_db >/dev/null
	db_schema
	port=$(free_port)
	BK_METRICS[$name]=127.0.0.1:$port
	# shellcheck disable=SC2016 # expanded by the inner bash
	bg_run "$name" bash -c '
		bin=$1 url=$2 db=$3 out=$4 maddr=$5 follow=$6
		shift 6
		{ if [ "$follow" = 1 ]; then
			exec "$bin/fetcher" --rpc "$url" --from 0 --follow --poll-interval 200ms \
				--batch 1 2>"$out.fetcher.err"
		  fi
		  "$bin/fetcher" --rpc "$url" --from 0 --to head --batch 1 2>"$out.fetcher.err"
		  exec sleep 3600; } |
			{ "$bin/verifier" --rpc "$url" --db "$db" --start-block 0 --window 64 \
				--audit-interval 1s --rpc-timeout 5s --lag-wait 5s \
				--metrics-addr "$maddr" "$@" 2>"$out.verifier.err"
			  echo $? >"$out.verifier.rc"; } |
			"$bin/writer" --db "$db" --flush-interval 50ms 2>"$out.writer.err"' \
		_ "$BIN" "$url" "$DB" "$T/$name" "${BK_METRICS[$name]}" "${BK_FOLLOW:-0}" "$@"
	up=0
	poll_until 30 'if curl -sf -o /dev/null --max-time 2 "http://${BK_METRICS[$name]}/metrics"
		then up=1; else [ -e "$T/$name.verifier.rc" ]; fi' || true
	[ "$up" = 1 ]
}

bk_watermark() {
	psql_q 'select blockpipe_watermark(31337, 0)' 2>/dev/null
}

bk_wait_synced() {
	local name=$1 h=$2
	wait_until 60 '[ "$(bk_watermark)" = "'"$h"'" ]' "$name: heights 0..$h in the database"
}

bk_metrics() {
	curl -sf --max-time 10 "http://${BK_METRICS[$1]}/metrics"
}

# (read whole before matching: a reader that stops early would make curl
# fail on a closed pipe, and pipefail the match)
bk_metric() {
	local m v
	m=$(bk_metrics "$1") || m=""
	v=$(awk -v s="$2" '$1 == s { print $2; exit }' <<<"$m")
	printf '%.0f\n' "${v:-0}"
}

bk_has_family() {
	local m
	m=$(bk_metrics "$1") || return 1
	grep -Eq "^(# TYPE )?$2[{ ]" <<<"$m"
}

bk_node_dump() {
	node "$ROOT/tests/node/chain_dump.mjs" --rpc "$RPC" --from "$1" --to "$2" | LC_ALL=C sort
}

# In chain_dump.mjs's format: hex with 0x, lowercase; '-' for NULL.
bk_db_dump() {
	psql_q "
	select concat_ws(' ', 'tx', block_number, tx_index, '0x' || encode(hash, 'hex'),
		'0x' || encode(from_addr, 'hex'), coalesce('0x' || encode(to_addr, 'hex'), '-'),
		value::text, type, coalesce(status::text, '-'),
		coalesce('0x' || encode(contract_address, 'hex'), '-'),
		coalesce(effective_gas_price::text, '-'), '0x' || encode(input, 'hex'))
	from canonical_transactions where chain_id = 31337
	union all
	select concat_ws(' ', 'log', block_number, log_index, tx_index, '0x' || encode(tx_hash, 'hex'),
		'0x' || encode(address, 'hex'), coalesce('0x' || encode(topic0, 'hex'), '-'),
		coalesce('0x' || encode(topic1, 'hex'), '-'), coalesce('0x' || encode(topic2, 'hex'), '-'),
		coalesce('0x' || encode(topic3, 'hex'), '-'), '0x' || encode(data, 'hex'))
	from canonical_logs where chain_id = 31337
	union all
	select concat_ws(' ', 'block', b.number, '0x' || encode(b.hash, 'hex'), b.tx_count,
		(select count(*) from canonical_logs l where l.chain_id = b.chain_id and l.block_hash = b.hash),
		extract(epoch from b.timestamp)::bigint, '0x' || encode(b.miner, 'hex'))
	from canonical_blocks b where b.chain_id = 31337" | LC_ALL=C sort
}

bk_same_as_node() {
	local name=$1 h=$2
	bk_node_dump 0 "$h" >"$T/$name.node" || fail "$name: cannot read the node"
	bk_db_dump >"$T/$name.db" || fail "$name: cannot read the database"
	diff "$T/$name.node" "$T/$name.db" >"$T/$name.diff"
}

# bk_explain NAME: the first differences and the tails of the logs
bk_explain() {
	local f
	echo "--- $1: node (<) vs database (>)" >&2
	head -n 20 "$T/$1.diff" >&2
	for f in "$T/$1".*.err; do
		[ -s "$f" ] || continue
		echo "--- $f (tail)" >&2
		tail -n 8 "$f" >&2
	done
}
