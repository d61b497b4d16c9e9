# shellcheck shell=bash
# Helpers for the tests that look for secrets where they must not be
# (sourced after lib.sh): every secret of a test is spelt with the word
# SECRET, and every file a test checks goes into $CHECK. The tests start
# anvil (RPC) before secret_pool.
CHECK=$T/check
mkdir -p "$CHECK"

# scrape NAME PORT: save /metrics, /health and /ready of 127.0.0.1:PORT
# into $CHECK (appending: call it as often as needed).
scrape() {
	local name=$1 port=$2 p
	for p in metrics health ready; do
		curl -s --max-time 5 "http://127.0.0.1:$port/$p" >>"$CHECK/$name.$p" || true
	done
}

# cmdline_of PID: what ps(1) shows every user about PID.
cmdline_of() {
	tr '\0' ' ' <"/proc/$1/cmdline"
}

# no_secret: fail if a file in $CHECK holds SECRET (the lines that do).
no_secret() {
	local hits
	hits=$(grep -rn SECRET "$CHECK" | head -5 || true)
	[ -z "$hits" ] || fail "a secret leaked: $hits"
}

# must_have FILE PATTERN WHAT: the positive side (so that an empty file
# cannot pass): FILE holds a line matching PATTERN.
must_have() {
	grep -Eq -- "$2" "$1" || fail "$3: no line matching '$2' in $1: $(head -3 "$1")"
}

# secret_pool SEED RATE FAULTS PATH: lib.sh's proxy_start (--seed SEED
# --fault-rate RATE --faults FAULTS; PROXY_PORT), and $T/rpc.url
# (mode 600), a node pool whose URLs carry keys: first a dead node
# ($DEAD_PORT: connection refused, so warnings name it), then the proxy
# with keys in user info, a short path (/PATH/SECRETKEY), query and
# fragment. SECRET_FLAG is the proxy's URL as one would give it as a flag.
secret_pool() {
	proxy_start proxy --seed "$1" --fault-rate "$2" --faults "$3"
	DEAD_PORT=$(free_port)
	SECRET_FLAG="http://bp:SECRETPW@127.0.0.1:$PROXY_PORT/$4/SECRETKEY?apikey=SECRETQ"
	printf '%s\n%s\n' "http://127.0.0.1:$DEAD_PORT/SECRET1/" "$SECRET_FLAG#SECRETF" >"$T/rpc.url"
	chmod 600 "$T/rpc.url"
}

# proxy_injected: fail unless the proxy injected a fault.
proxy_injected() {
	[ "$(curl -s "http://127.0.0.1:$PROXY_PORT/__stats" | jq .injected)" -gt 0 ] ||
		fail "no fault injected"
}

# pool_named NAME: NAME's log and metrics (scraped into $CHECK) name the
# pool's nodes redacted, and its /health said ok.
pool_named() {
	must_have "$CHECK/$1.err" "\"node\":\"#1 http://127.0.0.1:$DEAD_PORT\"" "the dead node's warnings"
	must_have "$CHECK/$1.metrics" "^rpc_node_up\{node=\"#2 http://127.0.0.1:$PROXY_PORT\"\} " "rpc_node_up"
	must_have "$CHECK/$1.health" '^ok$' "/health"
}

# argv_checked: the processes envfile (keys from *_FILE) and flag (keys
# in --rpc "$SECRET_FLAG"), both running: what ps shows of them goes into
# $CHECK, and the flag is redacted in argv; then they are stopped and
# their logs go into $CHECK too.
argv_checked() {
	cmdline_of "$(bg_pid envfile)" >"$CHECK/envfile.cmdline"
	cmdline_of "$(bg_pid flag)" >"$CHECK/flag.cmdline"
	must_have "$CHECK/flag.cmdline" "--rpc http://127.0.0.1:$PROXY_PORT" "the flag, redacted in argv"
	bg_kill envfile
	bg_kill flag
	cp "$T/envfile.err" "$T/flag.err" "$CHECK/"
}

# cfg_runs PROG ARGS...: PROG with each ARGS (one string, split into
# words), no stdin, stopped after 5 s (those that would retry for ever);
# the Nth run's output in $CHECK/cfgN.out and $CHECK/cfgN.err.
cfg_runs() {
	local prog=$1 args n=0
	shift
	for args in "$@"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # word splitting wanted
		timeout 5 "$prog" $args </dev/null >"$CHECK/cfg$n.out" 2>"$CHECK/cfg$n.err" || true
	done
}
