#!/usr/bin/env bash
# The dashboard in headless Chromium against the real pipeline on anvil
# (pipeline_lib.sh: fetcher, verifier, two writers publishing committed,
# the broadcaster subscribed to all three PUB sockets): its plots get data
# points, a writer killed turns to the warning state within a few seconds,
# a reorg shows on the timeline, a block's transactions and logs open on a
# click, it fits a phone's width; when its connection is cut (a proxy
# between it and the broadcaster) it says so and resumes with since, every
# block mined meanwhile shown; when the broadcaster restarts it shows it
# down, then reconnects. Screenshots: var/dashboard.png, var/dashboard-phone.png
# (DASH_WARMUP=S: S seconds more of data on the plots before them).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"
for p in fetcher verifier writer broadcaster; do
	[ -x "$BIN/$p" ] || fail "$BIN/$p is not built"
done
need_node_clients
command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps)"

anvil_start
traffic_blocks 5
new_db >/dev/null
pl_init
pl_start_all
wait_until 60 db_synced "the pipeline to carry 0..$(node_head) into PostgreSQL"
# A block a second with transactions and logs while the page watches.
bg_run traffic "$ROOT/scripts/devnet" traffic --rpc "$RPC" --dir "$T/devnet" --interval 1
mkdir -p "$ROOT/var"
DASH_URL="http://127.0.0.1:$PL_WS/" RPC_URL=$RPC WRITER2_PID=$(bg_pid writer2) \
	BC_PID=$(bg_pid broadcaster) SHOT_DIR="$ROOT/var" \
	node "$ROOT/tests/node/bc_dashboard.mjs" || {
	pl_logs_tail >&2
	fail "the dashboard"
}
pass
