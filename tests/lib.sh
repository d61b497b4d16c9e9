# shellcheck shell=bash
# tests/lib.sh: helpers for blockpipe's integration tests (bash).
#
# A test is tests/integration/NN_name.sh, run by tests/run-integration:
#
#   #!/usr/bin/env bash
#   . "$(dirname "$0")/../lib.sh"
#   anvil_start
#   traffic_blocks 3
#   pg_ensure; new_db
#   bg_run writer "$BIN/writer" --db "$DB" <"$T/in.ndjson"
#   wait_until 30 '[ "$(psql_q "select count(*) from blocks")" -ge 3 ]'
#   assert_eq 3 "$(psql_q 'select max(number) from blocks')" "head"
#   pass
#
# Provides:
#   ROOT BIN T TEST_NAME      repo root, $ROOT/bin, per-test temp dir, name
#   bg_run NAME CMD...        start CMD in the background, stdout/stderr to
#                             $T/NAME.out and $T/NAME.err (stdin inherited)
#   bg_kill NAME [SIG]        kill it and its children (default TERM), reap it
#   bg_pid NAME, bg_alive NAME, bg_wait NAME (its exit status)
#   free_port                 print a free loopback TCP port
#   anvil_start [ARGS...]     private anvil on a free port; sets RPC, ANVIL_PORT
#   anvil_stop
#   rpc METHOD [PARAMS_JSON]  call $RPC, print .result compact (1 on error)
#   mine N                    anvil_mine N empty blocks
#   node_head                 the node's head (eth_blockNumber), decimal
#   node_hash N               the node's block hash at height N
#   node_hashes FROM TO       the node's {"height": hash} over FROM..TO (one batch)
#   node_batch METHOD PARAMS FROM TO  one JSON-RPC batch of METHOD for each
#                             height FROM..TO, id the height, PARAMS a printf
#                             format with one %x for it (e.g. '["0x%x",false]');
#                             prints the node's answer
#   tx_json [VALUE]           a transfer between two anvil accounts, as the
#                             JSON object eth_sendTransaction and anvil_reorg take
#   send_tx [VALUE]           eth_sendTransaction of tx_json VALUE (a block
#                             with something in it)
#   proxy_start NAME [ARGS...]  bin/faultproxy in front of $RPC (ARGS: its
#                             faults, e.g. --faults null --fault-rate 0.3) on a
#                             port it picks, as bg_run NAME; waits until it
#                             listens; sets PROXY (its URL) and PROXY_PORT
#   traffic_blocks N [ARGS]   N blocks, each with a few txs and logs
#                             (scripts/devnet traffic; ARGS e.g. --tx-per-block 5)
#   PING_TOPIC                topic0 of the logs that traffic makes
#   need_node_clients         the Node.js clients of tests/node (ws, viem,
#                             ethers...), installed by scripts/deps
#                             --node-clients when missing
#   pg_ensure                 the one suite cluster; sets PG_BASE (a DSN
#                             without database): $BLOCKPIPE_TEST_PG if set, else
#                             scripts/pg --dir var/test-pg --port 5439
#   new_db                    create a fresh database, set and print DB (DSN);
#                             dropped at exit unless KEEP=1 (call it plainly,
#                             not as DB=$(new_db), so that it is dropped)
#   pg_private                a cluster of the test's own, for a test that
#                             stops PostgreSQL: created (under $T/pg, on a free
#                             port) and left stopped; sets DB (its blockpipe
#                             database) and PG_PRIVATE_DATA (its data folder)
#   pg_private_up             start it in the foreground as bg_run pg (stop it
#                             with bg_kill pg INT, or pg_ctl through
#                             as_pg_owner) and wait until it answers
#   as_pg_owner CMD...        CMD as the owner of the private cluster's data
#                             (as root: the unprivileged user scripts/pg made)
#   PGBIN                     PostgreSQL's programs (postgres, pg_ctl)
#   db_schema                 the schema into $DB (writer --init-schema)
#   psql_q SQL                run SQL on $DB, print unaligned tuples only
#   db_check [ARGS...]        scripts/check-consistency of $DB against $RPC
#                             over 0..head (ARGS: more options, e.g. --all);
#                             prints its report, returns its exit status
#   db_matches_node [FROM [TO]]  the database's canonical chain equals the
#                             node's over FROM (0)..TO (head): hashes,
#                             transaction and log counts, no gap, and with
#                             head nothing canonical above it (check-consistency
#                             --quiet; its report in $T/consistency.out)
#   db_synced                 the writers' watermark is the node's head and
#                             db_matches_node
#   pipe_follow [WRITER_ARGS...]  bg_run pipe: fetcher --follow | verifier
#                             --db | writer on $RPC and $DB, with pipes (logs
#                             in $T/{fetcher,verifier,writer}.err)
#   wait_until TIMEOUT_S COND [MSG]  poll COND (shell code, its stdout
#                             discarded) every 0.1 s; fail the test on timeout:
#                             the one way to wait
#   poll_until TIMEOUT_S COND  the same poll, returning 1 on timeout instead
#                             (for a test that says more, or goes on)
#   note MSG                  a line on stderr, prefixed with the test's name
#   assert_eq EXPECTED ACTUAL MSG, fail MSG, pass
#   bg_term NAME              SIGTERM NAME (not its children), wait, return
#                             its exit status
#
# fail prints the last lines of every $T/*.err (the programs' logs) first.
# At exit every process started with bg_run (and its children) is killed,
# databases from new_db are dropped and $T is removed (after a failure its
# small files are kept in var/test-logs/NAME.files/); KEEP=1 keeps $T and the
# databases. fail and pass exit the test: do not call them inside $(...).

set -euo pipefail
set -o errtrace

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BLOCKPIPE_BIN:-$ROOT/bin}
TEST_NAME=$(basename "${0%.sh}")
T=$(mktemp -d "${TMPDIR:-/tmp}/blockpipe-test-$TEST_NAME.XXXXXX")
ANVIL=${ANVIL:-$ROOT/var/npm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}
PING_TOPIC=0xfd8d0c1dc3ab254ec49463a1192bb2423b3b851adedec1aa94dcd362dc063c9d
TEST_PG_DIR=$ROOT/var/test-pg
TEST_PG_PORT=${BLOCKPIPE_TEST_PG_PORT:-5439}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export ROOT BIN T TEST_NAME PING_TOPIC

declare -A _BG_PID=()
_BG_ORDER=()
_NEW_DBS=()
_LIB_DONE=0
_ERR_LINE="" _ERR_CMD=""

_lib_on_err() {
	_ERR_LINE=$1 _ERR_CMD=$2
}

# pid and all its descendants, parents first
_lib_tree() {
	local queue=("$1") p c kids
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		echo "$p"
		if [ -r "/proc/$p/task/$p/children" ]; then
			kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
		else
			kids=$(pgrep -P "$p" 2>/dev/null || true)
		fi
		for c in $kids; do queue+=("$c"); done
	done
}

# _lib_kill SIG PID...: signal the trees, wait up to 5 s, then SIGKILL
_lib_kill() {
	local sig=$1 p i all=() left
	shift
	for p in "$@"; do
		mapfile -t -O "${#all[@]}" all < <(_lib_tree "$p")
	done
	[ ${#all[@]} -gt 0 ] || return 0
	kill "-$sig" "${all[@]}" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		left=0
		for p in "${all[@]}"; do
			if kill -0 "$p" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; then
				left=1
				break
			fi
		done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	[ "$left" = 0 ] || kill -KILL "${all[@]}" 2>/dev/null || true
	for p in "$@"; do wait "$p" 2>/dev/null || true; done
}

_lib_keep_files() {
	rm -rf "$1" && mkdir -p "$1" || return 0
	(cd "$T" && find . -maxdepth 2 -type f -size -4M ! -path './pg*' -print0 |
		xargs -0 -r cp --parents -t "$1") 2>/dev/null
	echo "files of the failed test kept in $1" >&2
}

_lib_exit() {
	local status=$? i name pids=() db
	trap - EXIT ERR
	set +e
	if [ "$status" != 0 ] && [ "$_LIB_DONE" = 0 ]; then
		echo "FAIL: $TEST_NAME: exit status $status${_ERR_LINE:+ at line $_ERR_LINE: $_ERR_CMD}" >&2
	fi
	for ((i = ${#_BG_ORDER[@]} - 1; i >= 0; i--)); do
		name=${_BG_ORDER[$i]}
		[ -n "${_BG_PID[$name]:-}" ] && pids+=("${_BG_PID[$name]}")
	done
	[ ${#pids[@]} -eq 0 ] || _lib_kill TERM "${pids[@]}"
	# A failure keeps its evidence: the programs' output and logs (files
	# up to 4 MB, not a cluster's data) beside the test's log, since $T goes
	[ "$status" = 0 ] || _lib_keep_files "${LOG_DIR:-$ROOT/var/test-logs}/$TEST_NAME.files"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "KEEP=1: test files in $T${_NEW_DBS[0]:+, databases kept: ${_NEW_DBS[*]}}" >&2
	else
		for db in "${_NEW_DBS[@]}"; do
			psql "$PG_BASE/postgres" -X -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
		done
		rm -rf "$T"
	fi
	exit "$status"
}
trap '_lib_on_err "$LINENO" "$BASH_COMMAND"' ERR
trap _lib_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
	local f
	for f in "$T"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $f (tail)" >&2
		tail -n 25 "$f" >&2
	done
	echo "FAIL: $TEST_NAME: $*" >&2
	_LIB_DONE=1
	exit 1
}

note() {
	echo "[$TEST_NAME] $*" >&2
}

pass() {
	echo "PASS: $TEST_NAME"
	_LIB_DONE=1
	exit 0
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: expected '$1', got '$2'"
}

poll_until() {
	local timeout=$1 cond=$2 end
	end=$((SECONDS + timeout))
	until eval "$cond" >/dev/null; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

wait_until() {
	poll_until "$1" "$2" || fail "timed out after ${1}s waiting for ${3:-$2}"
}

# --- background processes -------------------------------------------------------

bg_run() {
	local name=$1
	shift
	[ -z "${_BG_PID[$name]:-}" ] || fail "bg_run: '$name' is already running"
	# 0<&0: keep the caller's stdin (bash gives /dev/null to bare '&' jobs)
	"$@" 0<&0 >"$T/$name.out" 2>"$T/$name.err" &
	_BG_PID[$name]=$!
	case " ${_BG_ORDER[*]} " in *" $name "*) ;; *) _BG_ORDER+=("$name") ;; esac
}

bg_pid() {
	echo "${_BG_PID[$1]:-}"
}

bg_alive() {
	local pid=${_BG_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
		[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# bg_wait NAME: wait for it to exit; returns its exit status
bg_wait() {
	local pid=${_BG_PID[$1]:-} rc=0
	[ -n "$pid" ] || fail "bg_wait: no process '$1'"
	wait "$pid" || rc=$?
	_BG_PID[$1]=""
	return "$rc"
}

# bg_term NAME: SIGTERM the process itself (a program's clean stop) and
# return its exit status
bg_term() {
	local pid=${_BG_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	bg_wait "$1"
}

bg_kill() {
	local pid=${_BG_PID[$1]:-}
	[ -n "$pid" ] || return 0
	_lib_kill "${2:-TERM}" "$pid"
	_BG_PID[$1]=""
}

# --- network ---------------------------------------------------------------------

# A port that nothing listens on, below Linux's ephemeral range (32768-) so
# outgoing connections do not take it; not one handed out before in this test.
# The ports given are kept in a file of the test's directory, not a shell
# variable: free_port runs in a command substitution (p=$(free_port)), whose
# assignments the test never sees, so two calls could give the same port
# (the likely cause of a CI run's 09_docs_metrics whose broadcaster found
# its --listen port in use).
free_port() {
	local p i given=$T/.ports-given
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		grep -qx "$p" "$given" 2>/dev/null && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p" >>"$given"
			echo "$p"
			return 0
		fi
	done
	fail "free_port: no free port found"
}

# --- anvil -----------------------------------------------------------------------

# shellcheck disable=SC2120 # extra anvil arguments are optional
anvil_start() {
	local try i
	if [ ! -x "$ANVIL" ]; then
		"$ROOT/scripts/deps" --anvil >&2 || fail "cannot install anvil"
	fi
	for ((try = 0; try < 3; try++)); do
		ANVIL_PORT=$(free_port)
		RPC=http://127.0.0.1:$ANVIL_PORT
		export RPC ANVIL_PORT
		bg_run anvil "$ANVIL" --host 127.0.0.1 --port "$ANVIL_PORT" "$@"
		for ((i = 0; i < 300; i++)); do
			bg_alive anvil || break
			if rpc eth_chainId >/dev/null 2>&1; then return 0; fi
			sleep 0.1
		done
		if bg_alive anvil; then
			bg_kill anvil
			fail "anvil_start: no answer on $RPC within 30 s (log: $T/anvil.out)"
		fi
		bg_kill anvil
		# lost a race for the port: try another
		grep -qi 'address already in use' "$T/anvil.out" "$T/anvil.err" 2>/dev/null ||
			fail "anvil_start: anvil exited: $(tail -n 5 "$T/anvil.err" "$T/anvil.out" 2>/dev/null)"
		mv "$T/anvil.out" "$T/anvil.out.$try"
	done
	fail "anvil_start: could not bind a port"
}

anvil_stop() {
	bg_kill anvil
}

rpc() {
	local method=$1 params=${2:-[]} resp
	resp=$(curl -sS --max-time 30 -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" \
		"${RPC:?rpc: RPC is not set (anvil_start)}") || return 1
	# shellcheck disable=SC2016 # $m is jq's
	jq -c --arg m "$method" 'if has("error")
		then ("rpc \($m): \(.error | tojson)\n" | halt_error(1)) else .result end' <<<"$resp"
}

mine() {
	rpc anvil_mine "[${1:-1}]" >/dev/null
}

node_head() {
	local h
	h=$(rpc eth_blockNumber) || return 1
	h=${h//\"/}
	printf '%d\n' "$h"
}

node_hash() {
	rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\",false]" | jq -r .hash
}

node_batch() {
	local method=$1 params=$2 from=$3 to=$4 req="[" n
	# jq cannot print hex: build the batch with printf
	for ((n = from; n <= to; n++)); do
		[ "$n" -gt "$from" ] && req+=","
		# shellcheck disable=SC2059 # the params are a format
		req+=$(printf '{"jsonrpc":"2.0","id":%d,"method":"%s","params":'"$params"'}' "$n" "$method" "$n")
	done
	curl -sf -m 20 -H 'content-type: application/json' --data "$req]" "${RPC:?node_batch: RPC is not set}"
}

node_hashes() {
	node_batch eth_getBlockByNumber '["0x%x",false]' "$1" "$2" |
		jq -c 'map({key: (.id | tostring), value: .result.hash}) | from_entries'
}

# anvil's first two accounts
TX_FROM=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
TX_TO=0x70997970C51812dc3A65C5e2Cae83D9fFf66FE2D
tx_json() {
	echo "{\"from\":\"$TX_FROM\",\"to\":\"$TX_TO\",\"value\":\"$(printf '0x%x' "${1:-1}")\"}"
}

send_tx() {
	rpc eth_sendTransaction "[$(tx_json "${1:-1}")]" >/dev/null
}

proxy_start() {
	local name=$1
	shift
	[ -x "$BIN/faultproxy" ] || fail "$BIN/faultproxy is not built"
	bg_run "$name" "$BIN/faultproxy" --listen 0 --upstream "${RPC:?proxy_start: RPC is not set}" "$@"
	wait_until 30 'grep -q "listening on" "$T/'"$name"'.out"' "faultproxy $name to listen"
	PROXY_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$name.out" | head -n 1)
	# shellcheck disable=SC2034 # for the tests
	PROXY=http://127.0.0.1:$PROXY_PORT
}

need_node_clients() {
	[ -d "$ROOT/tests/node/node_modules/ws" ] && [ -d "$ROOT/tests/node/node_modules/viem" ] ||
		"$ROOT/scripts/deps" --node-clients >&2 ||
		fail "cannot install the Node.js clients (scripts/deps --node-clients)"
}

traffic_blocks() {
	local n=$1
	shift
	"$ROOT/scripts/devnet" traffic --rpc "$RPC" --dir "$T/devnet" --blocks "$n" \
		--interval 0 "$@" >>"$T/traffic.log" 2>&1 ||
		fail "traffic_blocks $n failed: $(tail -n 5 "$T/traffic.log")"
}

# --- PostgreSQL ------------------------------------------------------------------

# A port in the kernel's ephemeral range can be taken for a while as the
# source port of any outgoing connection (the tests make thousands): say
# so when the cluster cannot start there.
pg_port_hint() {
	local lo hi
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || return 0
	[ "$TEST_PG_PORT" -lt "$lo" ] || [ "$TEST_PG_PORT" -gt "$hi" ] ||
		printf ' (port %s is in the ephemeral range %s-%s, where outgoing connections take source ports: choose BLOCKPIPE_TEST_PG_PORT outside it)' \
			"$TEST_PG_PORT" "$lo" "$hi"
}

pg_ensure() {
	[ -z "${PG_BASE:-}" ] || return 0
	if [ -n "${BLOCKPIPE_TEST_PG:-}" ]; then
		PG_BASE=${BLOCKPIPE_TEST_PG%/}
	else
		local dsn
		dsn=$("$ROOT/scripts/pg" --dir "$TEST_PG_DIR" --port "$TEST_PG_PORT" start) ||
			fail "pg_ensure: cannot start the test cluster$(pg_port_hint)"
		PG_BASE=${dsn%/*}
	fi
	export PG_BASE
	psql "$PG_BASE/postgres" -X -q -tAc 'select 1' >/dev/null ||
		fail "pg_ensure: cannot connect to '$PG_BASE/postgres'"
}

new_db() {
	local name
	pg_ensure
	name=$(printf '%s' "${TEST_NAME:0:40}" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_' '_')
	name=t_${name}_$$_$RANDOM
	psql "$PG_BASE/postgres" -X -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null ||
		fail "new_db: cannot create database '$name'"
	_NEW_DBS+=("$name")
	DB=$PG_BASE/$name
	export DB
	echo "$DB"
}

pg_private() {
	chmod 711 "$T" # the cluster's owner must reach $T/pg
	PG_PRIVATE_PORT=$(free_port)
	"$ROOT/scripts/pg" --dir "$T/pg" --port "$PG_PRIVATE_PORT" start >/dev/null 2>"$T/pg.err" ||
		fail "cannot create the private cluster: $(tail -3 "$T/pg.err")"
	"$ROOT/scripts/pg" --dir "$T/pg" stop 2>/dev/null
	PG_PRIVATE_DATA=$(readlink -f "$T/pg/data")
	DB=postgresql://blockpipe@127.0.0.1:$PG_PRIVATE_PORT/blockpipe
	export DB
}

as_pg_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$(stat -c %U "$PG_PRIVATE_DATA")" -- "$@"
	else
		"$@"
	fi
}

pg_private_up() {
	local cmd=("$PGBIN/postgres" -D "$PG_PRIVATE_DATA")
	if [ "$(id -u)" = 0 ]; then
		cmd=(runuser -u "$(stat -c %U "$PG_PRIVATE_DATA")" -- "${cmd[@]}")
	fi
	bg_run pg "${cmd[@]}"
	wait_until 30 "pg_isready -q -h 127.0.0.1 -p $PG_PRIVATE_PORT" "the private cluster"
}

db_schema() {
	"$BIN/writer" --db "${DB:?db_schema: DB is not set}" --init-schema >/dev/null 2>"$T/init.err" ||
		fail "writer --init-schema: $(cat "$T/init.err")"
}

psql_q() {
	psql "${DB:?psql_q: DB is not set (new_db)}" -X -q -v ON_ERROR_STOP=1 -tA -c "$1"
}

db_check() {
	"$ROOT/scripts/check-consistency" --rpc "${RPC:?db_check: RPC is not set}" \
		--db "${DB:?db_check: DB is not set}" --from 0 --to head "$@"
}

# shellcheck disable=SC2120 # FROM and TO are optional
db_matches_node() {
	"$ROOT/scripts/check-consistency" --rpc "${RPC:?db_matches_node: RPC is not set}" \
		--db "${DB:?db_matches_node: DB is not set}" --from "${1:-0}" --to "${2:-head}" \
		--quiet >"$T/consistency.out" 2>&1
}

pipe_follow() {
	bg_run pipe bash -c '"$1/fetcher" --rpc "$2" --from 0 --follow --poll-interval 100ms 2>"$4/fetcher.err" |
		"$1/verifier" --rpc "$2" --db "$3" --start-block 0 --window 64 2>"$4/verifier.err" |
		"$1/writer" --db "$3" --flush-interval 50ms "${@:5}" 2>"$4/writer.err"' \
		_ "$BIN" "$RPC" "$DB" "$T" "$@"
}

db_synced() {
	local head
	head=$(node_head 2>/dev/null) || return 1
	[ "$(psql_q "select blockpipe_watermark(31337, 0)" 2>/dev/null)" = "$head" ] &&
		db_matches_node 0 head
}
