# shellcheck shell=bash
# Helpers for the verifier's tests (3x_verifier_*.sh), sourced after
# tests/lib.sh (which has the waits, the node's head and hashes, and the
# check of a database against the node): a fetcher | [filter |] verifier
# pipeline through FIFOs, and the checks of the verifier's output stream
# against the node.
#
#   verifier_pipeline NAME FETCHER-ARGS -- VERIFIER-ARGS [-- FILTER-CMD...]
#                             bg_run processes NAME.fetcher, NAME.filter,
#                             NAME.verifier; the output is $T/NAME.out
#   stream_reduce FILE        apply the stream in order (a block sets its
#                             height, a reorg tombstones invalidate_from..to):
#                             {"height": hash-or-null}
#   stream_matches_node FILE FROM  the reduced stream equals the node's chain
#                             FROM..head, and nothing above the head is live
#   stream_explain FILE FROM  print (stderr) where stream and node differ
#   stream_has_block FILE N   the stream holds a block message for height N
#   stream_synced FILE FROM   the node's head is in the stream, and it matches
#   stream_seq_increasing FILE  every seq strictly above the one before
#   keep_heights COND         a perl program for verifier_pipeline's FILTER,
#                             passing on at once the lines whose height n
#                             makes COND true (a perl expression of n,
#                             written without the $; the lines with no
#                             height have n -1):
#                             -- perl -e "$(keep_heights 'n != 4')"
#   stream_writer NAME PIPELINE [JQ_FILTER]  bg_run NAME: a writer on $DB
#                             following verifier_pipeline PIPELINE's output
#                             (--batch 1), only the messages JQ_FILTER selects
#                             when given (e.g. a writer that loses reorgs)

# perl, not awk: mawk -W interactive held a line back now and then (the
# last before a pause, until its input closed: 32_verifier_gap timed out
# on loaded runs with the fetcher's block 15 read by awk and never passed
# on); perl's readline hands out every line it has read, and $| flushes
# each one.
# perl, not awk: mawk -W interactive now and then held a line back until
# its input closed (32_verifier_gap timed out on loaded runs: the
# fetcher's block 15 was read by awk and never passed on); perl's
# readline hands out every line it has read, and $| flushes each one.
keep_heights() {
	local cond
	cond=$(sed -E 's/(^|[^A-Za-z_$])n([^A-Za-z_]|$)/\1$n\2/g' <<<"$1")
	printf '%s\n' '$| = 1;' 'while (my $l = <STDIN>) {' \
		'	my $n = $l =~ /"number":([0-9]+)/ ? $1 : -1;' \
		"	print \$l if $cond;" '}'
}

verifier_pipeline() {
	local name=$1
	shift
	local fargs=() vargs=() filt=() vin
	while [ $# -gt 0 ] && [ "$1" != -- ]; do fargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	filt=("$@")
	mkfifo "$T/$name.f1"
	vin=$T/$name.f1
	if [ ${#filt[@]} -gt 0 ]; then
		mkfifo "$T/$name.f2"
		bg_run "$name.filter" bash -c 'exec "${@:3}" <"$1" >"$2"' _ \
			"$T/$name.f1" "$T/$name.f2" "${filt[@]}"
		vin=$T/$name.f2
	fi
	bg_run "$name.verifier" bash -c 'exec "${@:2}" <"$1"' _ "$vin" \
		"$BIN/verifier" "${vargs[@]}"
	ln -sf "$name.verifier.out" "$T/$name.out"
	bg_run "$name.fetcher" bash -c 'exec "${@:2}" >"$1"' _ "$T/$name.f1" \
		"$BIN/fetcher" "${fargs[@]}"
}

stream_reduce() {
	jq -cn 'reduce inputs as $m ({};
		if $m.type == "block" then .[($m.number | tostring)] = $m.hash
		elif $m.type == "reorg" then
			reduce range($m.invalidate_from; $m.invalidate_to + 1) as $n
				(.; .[($n | tostring)] = null)
		else . end)' "$1"
}

stream_seq_increasing() {
	jq -se '[.[].seq] | . as $s | length > 0 and
		all(range(1; length); $s[.] > $s[. - 1])' "$1" >/dev/null
}

stream_matches_node() {
	local file=$1 from=$2 head mine node
	head=$(node_head)
	mine=$(stream_reduce "$file")
	node=$(node_hashes "$from" "$head")
	jq -ne --argjson m "$mine" --argjson n "$node" --argjson from "$from" \
		--argjson head "$head" '
		([range($from; $head + 1) | tostring] | all(. as $k | $m[$k] == $n[$k]))
		and ($m | to_entries | all((.key | tonumber) <= $head or .value == null))' \
		>/dev/null
}

stream_explain() {
	local file=$1 from=$2 head
	head=$(node_head)
	jq -n --argjson m "$(stream_reduce "$file")" --argjson n "$(node_hashes "$from" "$head")" '
		[$n | keys[] | select($m[.] != $n[.]) | {height: ., stream: $m[.], node: $n[.]}],
		[$m | to_entries[] | select((.key | tonumber) > '"$head"' and .value != null)]' >&2
}

stream_has_block() {
	jq -c --argjson n "$2" 'select(.type == "block" and .number == $n) | .number' "$1" 2>/dev/null | grep -q .
}

stream_synced() {
	stream_has_block "$1" "$(node_head)" && stream_matches_node "$1" "$2"
}

stream_writer() {
	local w=("$BIN/writer" --db "$DB" --batch 1 --flush-interval 50ms)
	# shellcheck disable=SC2016 # expanded by the inner bash
	if [ -n "${3:-}" ]; then
		bg_run "$1" bash -c 'tail -n +1 -F "$1" 2>/dev/null | jq --unbuffered -c "$2" |
			exec "${@:3}"' _ "$T/$2.out" "$3" "${w[@]}"
	else
		bg_run "$1" bash -c 'tail -n +1 -F "$1" 2>/dev/null | exec "${@:2}"' _ "$T/$2.out" "${w[@]}"
	fi
}
