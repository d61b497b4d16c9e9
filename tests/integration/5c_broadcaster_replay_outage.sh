#!/usr/bin/env bash
# PostgreSQL dies (pg_ctl stop -m immediate) in the middle of replays from
# the database and comes back a few seconds later, while live blocks (and
# a reorg) go on arriving: the replaying channel clients (since_seq,
# since) end holding exactly every block from their resume point to the
# live tip, the reorg once, and keep
# receiving live ones, never disconnected; eth_subscribe with a fromBlock
# older than the ring gets its id and then close 1011 while the database
# is down, a channel `since` an error; the outage is one warning in the
# log, every failure counted, and the DSN's password in no line
# (tests/node/bc_outage.mjs, driven through phase files: it asks, this
# script stops and starts the private cluster).
. "$(dirname "$0")/../lib.sh"
for p in writer broadcaster; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p is not built"
done
need_node_clients
pg_private
pg_private_up
db_schema
# The cluster trusts loopback: the password is carried, not checked.
secret_db="${DB/:\/\/blockpipe@/://blockpipe:SECRETPW@}?application_name=bc_outage"
[[ $secret_db == *:SECRETPW@* ]] || fail "cannot put a password into '$DB'"
mkdir "$T/phase"
bg_run client env DB="$secret_db" WRITER_DB="$DB" BC_LOG="$T/broadcaster.log" \
	WRITER_LOG="$T/writer.err" PHASE="$T/phase" BLOCKPIPE_BIN="$BIN" \
	node "$ROOT/tests/node/bc_outage.mjs"

# phase NAME: wait until the client asks for NAME (it fails the test
# when the client exits first)
phase() {
	poll_until 300 "[ -e '$T/phase/$1' ] || ! bg_alive client" ||
		fail "the client did not ask for '$1' in 300 s"
	[ -e "$T/phase/$1" ] || { bg_wait client || true; fail "the client ended before '$1'"; }
}

phase stop
as_pg_owner "$PGBIN/pg_ctl" -D "$PG_PRIVATE_DATA" -m immediate -w stop >"$T/pg_ctl.out" 2>&1 ||
	fail "pg_ctl stop -m immediate: $(cat "$T/pg_ctl.out")"
bg_wait pg || true # the postmaster's status after an immediate stop
pg_isready -q -h 127.0.0.1 -p "$PG_PRIVATE_PORT" && fail "PostgreSQL still answers after the stop"
touch "$T/phase/down"
phase start
pg_private_up
touch "$T/phase/up"
bg_wait client || fail "the clients through the outage (tests/node/bc_outage.mjs)"
grep -n SECRET "$T/broadcaster.log" | head -3 | grep . && fail "the DSN's password in the broadcaster's log"
grep '^\[bc_outage\]' "$T/client.err" >&2 || true
pass
