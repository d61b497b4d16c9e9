#!/usr/bin/env bash
# The broadcaster's --db password never shows: given by --db (blanked in
# what ps shows) or --db-file, a replay from the database working, and one
# against a dead server (the connection error logged); not in any log
# line, /metrics, /health, /ready, nor in a configuration error. And the
# replay's queries pass with the grants docs/operations.md gives the
# broadcaster's role; a replay beyond --replay-max-blocks is refused, and
# --replay-rate holds a client back, and so does a reorg's tombstone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/secrets_lib.sh"
[ -x "$BIN/broadcaster" ] || fail "$BIN/broadcaster is not built"
[ -d "$ROOT/tests/node/node_modules/ws" ] || "$ROOT/scripts/deps" --node-clients >&2 ||
	fail "cannot install the Node.js clients (scripts/deps --node-clients)"
new_db >/dev/null
"$BIN/writer" --db "$DB" --init-schema 2>"$T/init.err" || fail "writer --init-schema: $(cat "$T/init.err")"
# The test cluster trusts loopback: the password is carried, not checked.
good=${DB/:\/\/blockpipe@/://blockpipe:SECRETPW@}
[ "$good" != "$DB" ] || fail "cannot put a password into '$DB'"
dead="postgresql://blockpipe:SECRETPW2@127.0.0.1:$(free_port)/x"

# The broadcasters' input: a SUB socket to a publisher that never comes.
quiet=tcp://127.0.0.1:$(free_port)

# replay NAME PORT: a channel client asks for since_seq 0; prints the
# first answer
replay() {
	node -e '
		const WebSocket = require(process.argv[1]);
		const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}/v1/stream`);
		ws.on("open", () => ws.send(JSON.stringify({ action: "subscribe", channels: ["newBlocks"], since_seq: 0 })));
		ws.on("message", (d) => { console.log(d.toString()); process.exit(0); });
		setTimeout(() => process.exit(0), 3000);
	' "$ROOT/tests/node/node_modules/ws" "$2" >"$CHECK/$1.answer"
}

# run NAME ARGS...: a broadcaster with no input, a replay asked for, its command line, endpoints and logs saved for the check
run() {
	local name=$1 port
	shift
	port=$(free_port)
	bg_run "$name" "$BIN/broadcaster" --sub "$quiet" --listen "127.0.0.1:$port" \
		--chain-id 31337 "$@"
	wait_until 10 "curl -s http://127.0.0.1:$port/health >/dev/null" "$name to listen"
	cmdline_of "$(bg_pid "$name")" >"$CHECK/$name.cmdline"
	replay "$name" "$port"
	scrape "$name" "$port"
	bg_term "$name" || true
	cp "$T/$name.err" "$CHECK/"
}

run flag --db "$good"
must_have "$CHECK/flag.answer" '"replay_from_seq":0' "a replay from the database"
must_have "$CHECK/flag.cmdline" 'postgresql://' "the blanked --db"
printf '%s\n' "$good" >"$T/db.secret"
chmod 600 "$T/db.secret"
run file --db-file "$T/db.secret"
must_have "$CHECK/file.answer" '"replay_from_seq":0' "a replay from the database (--db-file)"
# --replay-max-blocks: 10 canonical rows after seq 0 are too many for 5.
psql_q "INSERT INTO canonical (chain_id, number, hash, seq)
	SELECT 31337, g, sha256(g::text::bytea), g + 1 FROM generate_series(0, 9) g" >/dev/null
run limit --db "$good" --replay-max-blocks 5
must_have "$CHECK/limit.answer" 'cannot replay since seq 0: more than 5 blocks came after it' \
	"a replay beyond --replay-max-blocks refused"
# --replay-rate: 20 stored blocks at 10 a second, in pages of 5, take
# 1.5 s at least (4 pages, 0.5 s apart); the client counts them.
psql_q "DELETE FROM canonical;
INSERT INTO blocks (chain_id, hash, number, parent_hash, timestamp, gas_used, gas_limit, tx_count)
	SELECT 31337, sha256(g::text::bytea), g, sha256((g - 1)::text::bytea),
	       to_timestamp(1700000000 + g), 0, 30000000, 0 FROM generate_series(0, 19) g;
INSERT INTO canonical (chain_id, number, hash, seq)
	SELECT 31337, g, sha256(g::text::bytea), g + 1 FROM generate_series(0, 19) g" >/dev/null
port=$(free_port)
bg_run rate "$BIN/broadcaster" --sub "$quiet" \
	--listen "127.0.0.1:$port" --chain-id 31337 --db "$DB" --replay-rate 10 --replay-page 5
wait_until 10 "curl -s http://127.0.0.1:$port/health >/dev/null" "the broadcaster to listen"
ms=$(node -e '
	const WebSocket = require(process.argv[1]);
	const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}/v1/stream`);
	let n = 0, t0;
	ws.on("open", () => { t0 = Date.now(); ws.send(JSON.stringify({ action: "subscribe", channels: ["newBlocks"], since_seq: 0 })); });
	ws.on("message", (d) => { if (JSON.parse(d).type === "newBlock" && ++n === 20) { console.log(Date.now() - t0); process.exit(0); } });
	setTimeout(() => { console.log(`only ${n}`); process.exit(0); }, 10000);
' "$ROOT/tests/node/node_modules/ws" "$port")
bg_term rate || true
[[ $ms =~ ^[0-9]+$ ]] || fail "the rate-limited replay: $ms blocks of 20 in 10 s"
[ "$ms" -ge 1400 ] || fail "20 blocks at --replay-rate 10 came in $ms ms"
# A reorg's tombstone holds a replay back: heights 18 and 19 tombstoned
# by seq 25, the new 19 (seq 27) in before the new 18 (seq 26), as two
# writers may commit them. The client must not get the new 19 before
# the new 18, else it never gets that one (it is behind its cursor).
psql_q "UPDATE canonical SET hash = NULL, seq = 25 WHERE number IN (18, 19);
INSERT INTO blocks (chain_id, hash, number, parent_hash, timestamp, gas_used, gas_limit, tx_count)
	SELECT 31337, sha256(('new' || g)::bytea), g, sha256((g - 1)::text::bytea),
	       to_timestamp(1700000100 + g), 0, 30000000, 0 FROM generate_series(18, 19) g;
UPDATE canonical SET hash = sha256('new19'::bytea), seq = 27 WHERE number = 19" >/dev/null
port=$(free_port)
bg_run hold "$BIN/broadcaster" --sub "$quiet" \
	--listen "127.0.0.1:$port" --chain-id 31337 --db "$DB"
wait_until 10 "curl -s http://127.0.0.1:$port/health >/dev/null" "the broadcaster to listen"
node -e '
	const WebSocket = require(process.argv[1]);
	const ws = new WebSocket(`ws://127.0.0.1:${process.argv[2]}/v1/stream`);
	const got = [];
	ws.on("open", () => ws.send(JSON.stringify({ action: "subscribe", channels: ["newBlocks"], since_seq: 0 })));
	ws.on("message", (d) => { const m = JSON.parse(d); if (m.type === "newBlock") got.push(m.data.height); });
	setTimeout(() => require("node:child_process").execFileSync("psql", [process.argv[3], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
		"UPDATE canonical SET hash = sha256(\x27new18\x27::bytea), seq = 26 WHERE number = 18"]), 1500);
	setTimeout(() => { console.log(got.join(",")); process.exit(0); }, 3500);
' "$ROOT/tests/node/node_modules/ws" "$port" "$DB" >"$T/hold.out"
bg_term hold || true
assert_eq "$(seq -s, 0 19)" "$(cat "$T/hold.out")" "heights replayed around a tombstone"
BLOCKPIPE_DB=$dead run dead --log-level debug
must_have "$CHECK/dead.err" 'connect|database' "the failed connection logged"
# As the role docs/operations.md grants the broadcaster (the replay's
# queries run with its rights): answered, and no query refused.
unset BLOCKPIPE_TEST_PG
host=${PG_BASE#*@}
sed -n '/<!-- roles.sql begin -->/,/<!-- roles.sql end -->/p' "$ROOT/docs/operations.md" |
	sed -e '/^<!--/d' -e '/^```/d' >"$T/roles.sql"
psql "postgresql://postgres@$host/${DB##*/}" -X -q -v ON_ERROR_STOP=1 -f "$T/roles.sql" \
	>"$T/roles.out" 2>&1 || fail "roles.sql: $(cat "$T/roles.out")"
run role --db "postgresql://blockpipe_broadcaster:SECRETPW4@$host/${DB##*/}"
must_have "$CHECK/role.answer" '"replay_from_seq":0' "a replay as blockpipe_broadcaster"
sleep 1
! grep -E 'permission denied|query failed' "$CHECK/role.err" ||
	fail "a replay query refused to blockpipe_broadcaster"
"$BIN/broadcaster" --sub - --db "postgresql://blockpipe:SECRETPW3@[bad" --check-config \
	>"$CHECK/bad.out" 2>"$CHECK/bad.err" && fail "a bad DSN passed --check-config"
must_have "$CHECK/bad.err" 'invalid value for --db' "the bad DSN refused"
no_secret
pass
