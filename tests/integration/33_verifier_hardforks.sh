#!/usr/bin/env bash
# Block hashes recomputed from header fields on every header layout anvil
# produces (--hardfork london, shanghai, cancun, prague, and its default):
# every block verifies. Then a block whose header was altered in the pipe
# is caught (log line, counter), fetched again (reason "refetch") and the
# altered bytes are never emitted; --no-verify-hash lets it through.
. "$(dirname "$0")/verifier_helpers.bash"

run_fork() {
	local fork=$1 args=()
	[ "$fork" = default ] || args=(--hardfork "$fork")
	v_anvil_start "${args[@]}"
	for i in 1 2 3; do v_send "$i"; done
	v_mine 2
	"$V_BIN/fetcher" --rpc "$V_RPC" --from 0 --to head >"$V_TMP/$fork.in" 2>"$V_TMP/$fork.fetcher.err" ||
		v_fail "$fork: fetcher exit status $?"
	"$V_BIN/verifier" --rpc "$V_RPC" --metrics-addr 127.0.0.1:0 <"$V_TMP/$fork.in" \
		>"$V_TMP/$fork.out" 2>"$V_TMP/$fork.verifier.err" || v_fail "$fork: verifier exit status $?"
	grep -q 'mismatch\|cannot hash' "$V_TMP/$fork.verifier.err" && v_fail "$fork: hash mismatch"
	[ "$(wc -l <"$V_TMP/$fork.out")" -eq 6 ] || v_fail "$fork: expected 6 blocks"
	v_matches_node "$V_TMP/$fork.out" 0 || v_fail "$fork: stream differs from the node"
	jq -e -s 'map(select(.reason != null)) | length == 0' "$V_TMP/$fork.out" >/dev/null ||
		v_fail "$fork: blocks re-sent"
	anvil_stop
	v_log "$fork: 6 blocks verified"
}

for fork in london shanghai cancun prague default; do
	run_fork "$fork"
done

# an altered header (gasUsed of block 2 changed in the pipe) is caught
v_anvil_start --hardfork cancun
for i in 1 2 3; do v_send "$i"; done
"$V_BIN/fetcher" --rpc "$V_RPC" --from 0 --to head >"$V_TMP/c.in" 2>"$V_TMP/c.fetcher.err"
h2=$(v_hash 2)
sed '3s/"gasUsed":"0x5208"/"gasUsed":"0x5209"/' "$V_TMP/c.in" >"$V_TMP/bad.in"
cmp -s "$V_TMP/c.in" "$V_TMP/bad.in" && v_fail "the test did not alter block 2"
"$V_BIN/verifier" --rpc "$V_RPC" <"$V_TMP/bad.in" >"$V_TMP/bad.out" 2>"$V_TMP/bad.verifier.err" ||
	v_fail "verifier exit status $?"
grep -q '"msg":"block hash mismatch at height 2 (node sent corrupted data or the chain uses a non-standard header; --no-verify-hash disables this check)"' \
	"$V_TMP/bad.verifier.err" || v_fail "no mismatch line for block 2"
grep -q '0x5209' "$V_TMP/bad.out" && v_fail "the altered block was emitted"
jq -c 'select(.number == 2) | [.reason, .hash]' "$V_TMP/bad.out" | grep -qx "\[\"refetch\",\"$h2\"\]" ||
	v_fail "block 2 was not fetched again"
v_matches_node "$V_TMP/bad.out" 0 || v_fail "stream differs from the node"
"$V_BIN/verifier" --rpc "$V_RPC" --no-verify-hash <"$V_TMP/bad.in" >"$V_TMP/nv.out" 2>"$V_TMP/nv.verifier.err"
grep -q '0x5209' "$V_TMP/nv.out" || v_fail "--no-verify-hash did not pass the block through"
pass
