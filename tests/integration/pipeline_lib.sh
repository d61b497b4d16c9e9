# shellcheck shell=bash
# Helpers for the whole-pipeline tests (60_e2e_reorgs, 61_chaos_short,
# 62_tap) and scripts/chaos; sourced after tests/lib.sh (anvil_start and
# new_db first). Every stage runs as its own bg_run process, so one can be
# killed and started again:
#
#   fetcher --follow --ws --db  --PUSH-->  verifier --db --audit-interval 2s
#   verifier --PUSH--> writer1, writer2 (each --pub: committed)
#   verifier --PUB-->  broadcaster (also SUB to both writers' PUB), taps
#
# The node's head, the check of the database against the node and "the
# pipeline is synced" are tests/lib.sh's node_head, db_check and db_synced.
#
#   pl_init            ports (PL_*), the schema; with PL_METRICS=1 set
#                      before it, every stage serves /metrics on
#                      127.0.0.1:$PL_METRICS_<stage> (the broadcaster on
#                      its --listen port, PL_WS)
#   pl_start NAME      start a stage: fetcher verifier writer1 writer2 broadcaster;
#                      PL_ENV_NAME (e.g. PL_ENV_verifier="LD_PRELOAD=...")
#                      is the environment it runs with, when set; PL_RPC,
#                      when set, is the JSON-RPC URL of the fetcher and the
#                      verifier (a faultproxy in front of anvil, say: the
#                      fetcher's --ws and the broadcaster stay on $RPC's
#                      anvil)
#   pl_start_all       all five
#   pl_restart NAME [SIG]  kill it (default KILL) and start it again; the old
#                      logs are kept as NAME.err.N
#   pl_logs_tail       the last lines of every stage's stderr (for fail)

PL_CHAIN=31337
PL_RESTARTS=0

pl_init() {
	PL_IN=$(free_port) PL_OUT=$(free_port) PL_PUB=$(free_port) PL_COMMIT=$(free_port)
	PL_WS=$(free_port) PL_COMMIT2=$(free_port)
	export PL_IN PL_OUT PL_PUB PL_COMMIT PL_COMMIT2 PL_WS
	if [ "${PL_METRICS:-0}" = 1 ]; then
		PL_METRICS_fetcher=$(free_port) PL_METRICS_verifier=$(free_port)
		PL_METRICS_writer1=$(free_port) PL_METRICS_writer2=$(free_port)
		PL_METRICS_broadcaster=$PL_WS
	fi
	db_schema
}

# pl_metrics_args NAME: --metrics-addr for stage NAME (after PL_METRICS=1 pl_init)
pl_metrics_args() {
	local var=PL_METRICS_$1
	[ -n "${!var:-}" ] && [ "$1" != broadcaster ] &&
		printf '%s\n' --metrics-addr "127.0.0.1:${!var}"
	return 0
}

pl_start() {
	local name=$1 m env=PL_ENV_$1 pre=()
	mapfile -t m < <(pl_metrics_args "$name")
	[ -z "${!env:-}" ] || read -ra pre <<<"env ${!env}"
	case $name in
	fetcher)
		bg_run fetcher "${pre[@]}" "$BIN/fetcher" --rpc "${PL_RPC:-$RPC}" --follow --from 0 --db "$DB" \
			--ws "ws://127.0.0.1:$ANVIL_PORT" --poll-interval 250ms --timeout 3s \
			--out ">tcp://127.0.0.1:$PL_IN" "${m[@]}"
		;;
	verifier)
		bg_run verifier "${pre[@]}" "$BIN/verifier" --rpc "${PL_RPC:-$RPC}" --db "$DB" --start-block 0 \
			--window 64 --audit-interval 2s --heartbeat-interval 1s --rpc-timeout 3s \
			--lag-wait 5s --in "@tcp://127.0.0.1:$PL_IN" --out "@tcp://127.0.0.1:$PL_OUT" \
			--pub "@tcp://127.0.0.1:$PL_PUB" "${m[@]}"
		;;
	writer1)
		bg_run writer1 "${pre[@]}" "$BIN/writer" --db "$DB" --start 0 --id writer1 \
			--flush-interval 50ms --in ">tcp://127.0.0.1:$PL_OUT" \
			--pub "@tcp://127.0.0.1:$PL_COMMIT" "${m[@]}"
		;;
	writer2)
		bg_run writer2 "${pre[@]}" "$BIN/writer" --db "$DB" --start 0 --id writer2 \
			--flush-interval 50ms --in ">tcp://127.0.0.1:$PL_OUT" \
			--pub "@tcp://127.0.0.1:$PL_COMMIT2" "${m[@]}"
		;;
	broadcaster)
		# the writers' PUB too: their committed watermarks for /v1/status
		bg_run broadcaster "${pre[@]}" "$BIN/broadcaster" --rpc "$RPC" \
			--sub "tcp://127.0.0.1:$PL_PUB,tcp://127.0.0.1:$PL_COMMIT,tcp://127.0.0.1:$PL_COMMIT2" \
			--listen "127.0.0.1:$PL_WS" --queue-depth 4096 --replay 1024
		;;
	*) fail "pl_start: unknown stage '$name'" ;;
	esac
}

pl_start_all() {
	local s
	for s in verifier writer1 writer2 broadcaster fetcher; do pl_start "$s"; done
}

pl_restart() {
	local name=$1 sig=${2:-KILL} f
	bg_kill "$name" "$sig"
	PL_RESTARTS=$((PL_RESTARTS + 1))
	for f in "$T/$name.err" "$T/$name.out"; do
		[ -f "$f" ] && mv "$f" "$f.$PL_RESTARTS"
	done
	pl_start "$name"
}

pl_logs_tail() {
	local s
	for s in fetcher verifier writer1 writer2 broadcaster; do
		[ -f "$T/$s.err" ] || continue
		echo "--- $s.err (tail)"
		tail -n 5 "$T/$s.err"
	done
}

# pl_alive_all: fail unless every stage is running
pl_alive_all() {
	local s
	for s in fetcher verifier writer1 writer2 broadcaster; do
		bg_alive "$s" || fail "$s exited unexpectedly: $(tail -n 5 "$T/$s.err" 2>/dev/null)"
	done
}

# pl_reorg DEPTH [txs]: anvil_reorg of DEPTH blocks; with "txs", the new
# branch carries replacement transactions (transfers and calls to the
# traffic emitter, which log) in some of its blocks
pl_reorg() {
	local depth=$1 with=${2:-} txs="" i emitter=""
	[ -f "$T/devnet/emitter" ] && emitter=$(<"$T/devnet/emitter")
	if [ "$with" = txs ]; then
		for ((i = 0; i < depth; i += 2)); do
			[ -n "$txs" ] && txs+=","
			txs+="[$(tx_json $((i + 1))),$i]"
			if [ -n "$emitter" ]; then
				txs+=",[{\"from\":\"$TX_FROM\",\"to\":\"$emitter\",\"data\":\"0x\"},$i]"
			fi
		done
	fi
	rpc anvil_reorg "[$depth, [$txs]]" >/dev/null
}
