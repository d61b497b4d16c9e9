#!/usr/bin/env bash
# scripts/partition stopped in the middle of a move (docs/operations.md,
# "Disk and partitioning"): it runs from cron beside the writers, and a
# range's move is one transaction (lock the DEFAULT partition, create the
# partition, move the rows, attach) as long as the rows to move. Here the
# DEFAULT partition holds 150 016 transactions and 19 200 logs of each of
# three ranges of 64 heights (synthetic rows of a chain of their own, 7),
# and a writer beside the script has its blocks of the range queued
# behind the run's lock from the start of its move (a transaction of the
# test's holds the DEFAULT partition until both wait for it). The run is
# stopped:
#   A. by SIGKILL of the script and of its psql, in the move of the rows;
#   B. by SIGTERM of both (what timeout(1) and systemd send), in the
#      ATTACH; then by SIGTERM of the script alone, whose psql goes on and
#      commits the range's transactions whole;
#   C. by an immediate stop of PostgreSQL (a crash and its recovery), in
#      the move of the rows.
# Each kill lands while the range's transaction holds the DEFAULT
# partition, in the phase named (pg_locks, just before it), and leaves
# the range unchanged (B's second part: made whole): no partition made
# but not attached, no lock or open transaction left behind; a killed
# run's backend sees its psql gone and stops, rather than finish the
# move it would then roll back, the writers held behind it; the writer
# goes on and commits; the next run of the script makes the range. At
# the end the synthetic rows are those from before the kills (count and
# md5 of the ordered rows), the writer's equal those of a database
# written without the script, and every row is in the partition of its
# height. (A fails without the script's client_connection_check_interval:
# the backend ran the move to its end; B fails with the ATTACH, or the
# DELETE, in a transaction of its own: a partition made but not attached.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/writer_lib.sh"

TX_PER_HEIGHT=2344 LOGS_PER_HEIGHT=300 # 150 016 and 19 200 a range

# the writer's chain, 0..255, in four parts of 64 heights (heartbeats
# with the height they carry)
gen_stream "$T/s.ndjson" blocks=256
awk -v dir="$T" 'match($0, /"number":[0-9]+/) {
	print > (dir "/part" int(substr($0, RSTART + 9, RLENGTH - 9) / 64)) }' "$T/s.ndjson"
writer_reference "$T/s.ndjson"

pg_private
pg_private_up
PG_SUPER=postgresql://postgres@127.0.0.1:$PG_PRIVATE_PORT/blockpipe

part() { # ARGS...: scripts/partition on $DB with ranges of 64 heights
	"$ROOT/scripts/partition" --db "$DB" --size 64 "$@"
}
part --upto 63 >"$T/part0.out" 2>&1 || fail "scripts/partition: $(cat "$T/part0.out")"
# the rows go in before the schema's indexes (built once over them:
# faster than row by row), in the DEFAULT partition: heights 64..255
psql_q "INSERT INTO transactions (chain_id, block_hash, tx_index, block_number, hash,
		from_addr, to_addr, value, gas, gas_price, nonce, type, input, status)
	SELECT 7, decode(md5('b' || n), 'hex'), k, n, decode(md5('t' || n || '.' || k), 'hex'),
		decode(md5('f' || k % 97), 'hex'), CASE WHEN k % 50 <> 0 THEN decode(md5('o' || k % 89), 'hex') END,
		n::numeric * 1000000007 + k, 21000 + k, CASE WHEN k % 3 = 0 THEN 1000000000 END, k, k % 3,
		decode(repeat(to_hex(k % 16), 2 * (k % 40)), 'hex'), 1
	FROM generate_series(64, 255) n, generate_series(0, $TX_PER_HEIGHT - 1) k" >/dev/null
psql_q "INSERT INTO logs (chain_id, block_hash, log_index, block_number, tx_hash, tx_index,
		address, topic0, topic1, data)
	SELECT 7, decode(md5('b' || n), 'hex'), k, n, decode(md5('t' || n || '.' || k), 'hex'), k,
		decode(md5('a' || k % 31), 'hex'), decode(md5('p' || k % 5), 'hex'),
		CASE WHEN k % 2 = 0 THEN decode(md5('q' || k), 'hex') END, decode(md5('d' || k), 'hex')
	FROM generate_series(64, 255) n, generate_series(0, $LOGS_PER_HEIGHT - 1) k" >/dev/null
db_schema

# count and md5 of the ordered rows of chain $1 in each table
chain_digest() {
	local t
	for t in blocks transactions logs canonical; do
		psql "${2:-$DB}" -X -q -v ON_ERROR_STOP=1 -tA -c "select '$t', count(*),
			md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from $t x where chain_id = $1"
	done
}
chain_digest 7 >"$T/synthetic.before"
synthetic_count() {
	psql_q "select (select count(*) from transactions where chain_id = 7) || ' ' ||
		(select count(*) from logs where chain_id = 7)"
}
counts=$(synthetic_count)
assert_eq "$((192 * TX_PER_HEIGHT)) $((192 * LOGS_PER_HEIGHT))" "$counts" "synthetic rows"

# the writer, reading a FIFO the test holds open as fd 3 (and no other
# process: the writer's EOF at the end is its closing)
mkfifo "$T/fifo"
exec 3<>"$T/fifo"
bg_run w "$BIN/writer" --db "$DB" --flush-interval 50ms <"$T/fifo" 3>&-
written() { # H: the writer committed its chain up to height H
	[ "$(psql_q "select coalesce(max(number), -1) from canonical_blocks where chain_id = 31337" 2>/dev/null)" = "$1" ]
}
cat "$T/part0" >&3
wait_until 30 "written 63" "the writer to commit heights 0..63"

# a transaction of the test's that holds transactions_default while a
# run and the writer queue behind it, so that the writer waits behind the
# run from the start of its move: a psql reading a FIFO held as fd 4
mkfifo "$T/hold"
exec 4<>"$T/hold"
bg_run hold psql "$DB" -X -q -tA -v ON_ERROR_STOP=1 <"$T/hold" 3>&- 4>&-

# the backend of a run of the script, by its lock on transactions_default
# (a writer never takes that one), and where it is in the range's
# transaction: "move" (LOCK, CREATE TABLE, DELETE ... INSERT) or "attach"
# (ATTACH PARTITION, which takes the parent's SHARE UPDATE EXCLUSIVE lock)
run_state() {
	psql_q "select l.pid || ' ' || case when exists (select 1 from pg_locks p
			where p.pid = l.pid and p.relation = 'transactions'::regclass
			and p.mode = 'ShareUpdateExclusiveLock' and p.granted) then 'attach' else 'move' end
		from pg_locks l where l.pid <> pg_backend_pid() and l.relation = 'transactions_default'::regclass
		and l.mode = 'AccessExclusiveLock' and l.granted"
}
waiting() { # N: N sessions wait for a lock on transactions_default
	[ "$(psql_q "select count(*) from pg_locks where relation = 'transactions_default'::regclass
		and not granted")" = "$1" ]
}
gone() { # PID: that backend has ended
	[ "$(psql_q "select count(*) from pg_stat_activity where pid = $1")" = 0 ]
}
ms() { date +%s%3N; }
# what a stopped run could leave behind: a partition made but not
# attached, an exclusive lock on a DEFAULT partition, an open transaction
# of a psql
leftovers() {
	psql_q "select 'table ' || relname || ' not attached' from pg_class c
		where relname ~ '^(transactions|logs)_[0-9]{12}\$'
		and not exists (select 1 from pg_inherits i where i.inhrelid = c.oid)
	union all select 'lock ' || mode || ' on ' || relation::regclass || ' by ' || pid from pg_locks
		where relation in ('transactions_default'::regclass, 'logs_default'::regclass)
		and mode = 'AccessExclusiveLock'
	union all select 'open transaction of ' || pid || ': ' || left(query, 60) from pg_stat_activity
		where pid <> pg_backend_pid() and application_name = 'psql' and state like 'idle in transaction%'"
}
# RANGE: a run of the script stopped in range RANGE's move of transactions
# left it unchanged
unchanged() {
	local lo=$(($1 * 64)) p
	p=transactions_$(printf '%012d' "$lo")
	assert_eq "" "$(leftovers)" "what the stopped run left"
	assert_eq "" "$(psql_q "select to_regclass('$p')")" \
		"$p after the stopped run (the kill came after its commit?)"
	assert_eq "$counts" "$(synthetic_count)" "the synthetic rows after the stopped run"
	assert_eq "$((64 * TX_PER_HEIGHT))" "$(psql_q "select count(*) from transactions_default
		where chain_id = 7 and block_number >= $lo and block_number < $lo + 64")" \
		"range $1's synthetic transactions in the DEFAULT partition"
}
# RANGE: the next run makes it; nothing of it left in the DEFAULT partition
next_run() {
	local lo=$(($1 * 64)) hi=$(($1 * 64 + 63)) t
	part --upto "$hi" >"$T/next$1.out" 2>&1 ||
		fail "the run after the stopped one, up to $hi: $(cat "$T/next$1.out")"
	for t in transactions logs; do
		assert_eq "${t}_$(printf '%012d' "$lo")" "$(psql_q "select c.relname from pg_inherits i
			join pg_class c on c.oid = i.inhrelid where i.inhparent = '$t'::regclass
			and pg_get_expr(c.relpartbound, c.oid) = 'FOR VALUES FROM (''$lo'') TO (''$((lo + 64))'')'")" \
			"the partition of $t for $lo..$hi after the next run"
		assert_eq 0 "$(psql_q "select count(*) from ${t}_default where block_number <= $hi")" \
			"$t rows up to $hi left in the DEFAULT partition"
	done
	assert_eq "" "$(leftovers)" "what the next run left"
}
# NAME RANGE PHASE: a run of the script up to range RANGE (bg_run NAME),
# with the writer's blocks of the range queued behind it, until it is in
# PHASE (move or attach) of the range's transaction of transactions, for
# the kill. Sets RUN (the run's backend).
start_run() {
	# shellcheck disable=SC2034 # poll_until's eval reads them
	local st name=$1 phase=$3
	echo "BEGIN; LOCK TABLE transactions_default IN SHARE MODE; SELECT 'held $2';" >&4
	wait_until 10 "grep -qx 'held $2' '$T/hold.out'" "the test's transaction to hold transactions_default"
	bg_run "$1" "$ROOT/scripts/partition" --db "$DB" --size 64 --upto $(($2 * 64 + 63)) \
		--lock-timeout 1min 3>&- 4>&-
	wait_until 30 "waiting 1" "$1 to wait for transactions_default"
	cat "$T/part$2" >&3
	wait_until 30 "waiting 2" "the writer to queue behind $1"
	echo "COMMIT;" >&4
	wait_until 30 'st=$(run_state); [ -n "$st" ]' "$1 to take transactions_default"
	[ "$3" = move ] || poll_until 30 'st=$(run_state); [ "${st#* }" = "$phase" ] || ! bg_alive "$name"' ||
		fail "$1 did not reach the $3 of range $2 in 30 s"
	[ "${st#* }" = "$3" ] ||
		fail "$1 was not in the $3 of range $2 when the kill was due ('$st'): too few rows to move?"
	RUN=${st%% *}
}
# NAME: the killed run's backend RUN ends, and on its own: it noticed its
# psql had gone, rather than finishing the move it would roll back
run_ends() {
	local t0
	t0=$(ms)
	wait_until 30 "gone $RUN" "$1's backend to end"
	note "$1: its backend ended $(($(ms) - t0)) ms after the kill"
	grep -q "\[$RUN\].*connection to client lost" "$T/pg.err" ||
		fail "$1's backend ran its transaction on without its client: $(grep "\[$RUN\]" "$T/pg.err" | tail -3)"
}

# A. SIGKILL of the script and its psql, in the move of the rows
start_run partA 1 move
bg_kill partA KILL
run_ends partA
unchanged 1
wait_until 30 "written 127" "the writer to commit 64..127 after the SIGKILL"
next_run 1

# B. SIGTERM of the script and its psql, in the ATTACH, ...
start_run partB 2 attach
bg_kill partB TERM
run_ends partB
unchanged 2
wait_until 30 "written 191" "the writer to commit 128..191 after the SIGTERM"
# ... then of the script alone: its psql commits the range's
# transactions whole, and the next run makes logs' partition of it
bg_run partB2 "$ROOT/scripts/partition" --db "$DB" --size 64 --upto 191 3>&- 4>&-
wait_until 30 '[ -n "$(run_state)" ]' "partB2 to hold transactions_default"
RUN=$(run_state)
RUN=${RUN%% *}
kill -TERM "$(bg_pid partB2)"
rc=0
bg_wait partB2 || rc=$?
assert_eq 143 "$rc" "the status of the script stopped by SIGTERM"
wait_until 30 "gone $RUN" "the transaction of the terminated script's psql to end"
assert_eq transactions_000000000128 "$(psql_q "select to_regclass('transactions_000000000128')")" \
	"the partition the terminated script's psql made"
assert_eq "" "$(psql_q "select to_regclass('logs_000000000128')")" \
	"logs' partition, which the terminated script never began"
assert_eq "" "$(leftovers)" "what the terminated script left"
next_run 2

# C. PostgreSQL stopped hard in the move of the rows (a checkpoint first,
# so that the recovery replays the move, not the rows made above)
psql "$PG_SUPER" -X -q -c CHECKPOINT
start_run partC 3 move
as_pg_owner "$PGBIN/pg_ctl" -D "$PG_PRIVATE_DATA" -m immediate stop >/dev/null 2>"$T/pg_ctl.out" ||
	fail "pg_ctl stop -m immediate: $(cat "$T/pg_ctl.out")"
bg_wait pg || true
rc=0
bg_wait partC || rc=$?
assert_eq 1 "$rc" "the status of the run whose PostgreSQL stopped"
t0=$(ms)
pg_private_up 3>&- 4>&- # (what holds fd 3 open holds the writer's input open)
note "partC: PostgreSQL answered again $(($(ms) - t0)) ms after its start (recovery)"
unchanged 3
wait_until 60 "written 255" "the writer to commit 192..255 after PostgreSQL's restart"
next_run 3

# the writer's EOF, and the holding psql's; the end state
exec 3>&- 4>&-
bg_wait hold || true
bg_wait w || fail "the writer exited $?: $(tail -3 "$T/w.err")"
chain_digest 7 >"$T/synthetic.after"
diff "$T/synthetic.before" "$T/synthetic.after" >"$T/synthetic.diff" ||
	fail "the synthetic rows changed: $(cat "$T/synthetic.diff")"
chain_digest 31337 "$REF" >"$T/writer.ref"
chain_digest 31337 >"$T/writer.got"
diff "$T/writer.ref" "$T/writer.got" >"$T/writer.diff" ||
	fail "the writer's rows differ from the reference: $(cat "$T/writer.diff")"
assert_canonical "$DB" "$T/s.ndjson" "the writer's chain"
for t in transactions logs; do
	bad=$(psql_q "select count(*) from $t t join pg_class c on c.oid = t.tableoid
		where c.relname <> '${t}_' || lpad(((t.block_number / 64) * 64)::text, 12, '0')")
	assert_eq 0 "$bad" "$t rows outside the partition of their height (the DEFAULT's included)"
done
pass
