#!/usr/bin/env bash
# Gapless resume from the database: the real pipeline on anvil (fetcher,
# verifier --db, two writers) and a broadcaster --db with a tiny ring;
# a ws channel client and a viem client disconnect, the broadcaster is
# restarted, a reorg replaces blocks they held, they resume and must hold
# the node's canonical chain with its logs, removed: true for every log
# they held from an orphaned block (tests/node/bc_resume.mjs).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"
[ -d "$ROOT/tests/node/node_modules/viem" ] || "$ROOT/scripts/deps" --node-clients >&2 ||
	fail "cannot install the Node.js clients (scripts/deps --node-clients)"
for p in fetcher verifier writer broadcaster; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p is not built"
done
anvil_start
new_db >/dev/null
pl_init
for s in fetcher verifier writer1 writer2; do pl_start "$s"; done
RPC_URL=$RPC BC_SUB=tcp://127.0.0.1:$PL_PUB DB=$DB BLOCKPIPE_BIN=$BIN BC_LOG=$T/broadcaster.log \
	node "$ROOT/tests/node/bc_resume.mjs" 2> >(tee "$T/node.err" >&2) || {
	pl_logs_tail >&2
	grep -v '"level":"debug"' "$T/broadcaster.log" | tail -n 20 >&2
	fail "resume from the database"
}
db_check >/dev/null || fail "the database does not match the node"
pass
