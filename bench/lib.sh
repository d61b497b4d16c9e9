# shellcheck shell=bash
# bench/lib.sh: helpers the benches share (sourced, bash).
#
#   pg_cpu                CPU seconds used so far by the PostgreSQL cluster
#                         whose postmaster is $PG_PID (it and its children:
#                         backends, WAL writer, checkpointer ...), from /proc;
#                         "-" when PG_PID is empty (a cluster not ours to see)
#   pg_pid_of DIR         the postmaster's pid of the cluster in DIR
#                         (scripts/pg status), empty when it is not running
#   proc_cpu PID          CPU seconds (user + system) PID has used so far
#   cpu_of_file FILE      user + system seconds from FILE, written by
#                         /usr/bin/time -f '%U %S' -o FILE
#   record_node URL HEAD FILE  record what the programs ask a node over
#                         0..HEAD into FILE (lines METHOD\tPARAMS\tRESULT, for
#                         tests/tools/replaynode): each block with and without
#                         its transactions, its receipts; chain id, head and
#                         the latest, safe, finalized and earliest headers

pg_cpu() {
	[ -n "${PG_PID:-}" ] || { echo -; return; }
	# processes come and go while /proc is read: cat goes on past them
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
		awk -v pm="$PG_PID" -v hz="$(getconf CLK_TCK)" '
		{ pid = $1; sub(/^.*\) /, "")
		  if (pid == pm || $2 == pm) t += $12 + $13 + $14 + $15 }
		END { printf "%.3f", t / hz }'
}

pg_pid_of() {
	"$ROOT/scripts/pg" --dir "$1" status 2>/dev/null | awk '{ print $3 }'
}

proc_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}

cpu_of_file() {
	awk '{ printf "%.3f", $1 + $2 }' "$1"
}

# One batch of record_node's requests: heights FROM..TO, the id of each
# call being its METHOD\tPARAMS (what replaynode keys its answers on).
_record_batch() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		printf "["
		for (n = from; n <= to; n++) {
			h = sprintf("\\\"0x%x\\\"", n); p = sprintf("\"0x%x\"", n)
			if (n > from) printf ","
			printf "{\"jsonrpc\":\"2.0\",\"id\":\"eth_getBlockByNumber\\t[%s,true]\",\"method\":\"eth_getBlockByNumber\",\"params\":[%s,true]},", h, p
			printf "{\"jsonrpc\":\"2.0\",\"id\":\"eth_getBlockByNumber\\t[%s,false]\",\"method\":\"eth_getBlockByNumber\",\"params\":[%s,false]},", h, p
			printf "{\"jsonrpc\":\"2.0\",\"id\":\"eth_getBlockReceipts\\t[%s]\",\"method\":\"eth_getBlockReceipts\",\"params\":[%s]}", h, p
		}
		print "]" }'
}

record_node() {
	local url=$1 head=$2 out=$3 n tags=""
	: >"$out"
	for t in latest safe finalized earliest; do
		tags+="{\"jsonrpc\":\"2.0\",\"id\":\"eth_getBlockByNumber\\t[\\\"$t\\\",false]\",\"method\":\"eth_getBlockByNumber\",\"params\":[\"$t\",false]},"
	done
	curl -sf -m 60 -H 'content-type: application/json' --data "[$tags
		{\"jsonrpc\":\"2.0\",\"id\":\"eth_chainId\\t[]\",\"method\":\"eth_chainId\",\"params\":[]},
		{\"jsonrpc\":\"2.0\",\"id\":\"eth_blockNumber\\t[]\",\"method\":\"eth_blockNumber\",\"params\":[]}]" "$url" |
		jq -r '.[] | select(has("result")) | "\(.id)\t\(.result | tojson)"' >>"$out" || return 1
	for ((n = 0; n <= head; n += 100)); do
		_record_batch "$n" $((n + 99 > head ? head : n + 99)) |
			curl -sf -m 60 -H 'content-type: application/json' --data @- "$url" |
			jq -r '.[] | select(has("result")) | "\(.id)\t\(.result | tojson)"' >>"$out" || return 1
	done
}
