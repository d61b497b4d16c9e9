#!/usr/bin/env bash
# The Prometheus rules: promtool checks them and runs their unit tests;
# every metric name they use is one a running program exports (or one
# named as coming, below). Then Prometheus itself (Debian's, on loopback,
# its data under $T) scrapes a running pipeline (anvil, fetcher,
# verifier, writer, broadcaster, each with its metrics address) with a
# test copy of the rules whose `for:` durations are 2 s: every target is
# up, the recording rules have values, no alert fires; the test stops the
# fetcher and BlockpipeFetcherDown fires (read through the HTTP API).
. "$(dirname "$0")/../lib.sh"
R=$ROOT/scripts/prometheus
command -v promtool >/dev/null || fail "promtool not found (scripts/deps installs prometheus)"
command -v prometheus >/dev/null || fail "prometheus not found (scripts/deps installs prometheus)"

promtool check rules "$R/blockpipe-rules.yml" >"$T/check.out" 2>&1 ||
	fail "promtool check rules: $(cat "$T/check.out")"
(cd "$R" && promtool test rules blockpipe-rules.test.yml) >"$T/test.out" 2>&1 ||
	fail "promtool test rules: $(cat "$T/test.out")"
sed "s|/usr/local/share/blockpipe/prometheus/|$R/|" "$R/prometheus.yml" >"$T/example.yml"
promtool check config "$T/example.yml" >"$T/config.out" 2>&1 ||
	fail "promtool check config (the example): $(cat "$T/config.out")"

# --- the pipeline, every program with its metrics address --------------------
anvil_start
traffic_blocks 3
pg_ensure
new_db
db_schema
IN=$(free_port) OUT=$(free_port) PUB=$(free_port) WS=$(free_port)
MF=127.0.0.1:$(free_port) MV=127.0.0.1:$(free_port) MW=127.0.0.1:$(free_port)
start_fetcher() {
	bg_run fetcher "$BIN/fetcher" --rpc "$RPC" --follow --from 0 --poll-interval 250ms \
		--out ">tcp://127.0.0.1:$IN" --metrics-addr "$MF"
}
bg_run verifier "$BIN/verifier" --rpc "$RPC" --db "$DB" --start-block 0 --heartbeat-interval 1s \
	--in "@tcp://127.0.0.1:$IN" --out "@tcp://127.0.0.1:$OUT" --pub "@tcp://127.0.0.1:$PUB" \
	--metrics-addr "$MV"
bg_run writer "$BIN/writer" --db "$DB" --start 0 --flush-interval 50ms \
	--in ">tcp://127.0.0.1:$OUT" --metrics-addr "$MW"
bg_run broadcaster "$BIN/broadcaster" --sub "tcp://127.0.0.1:$PUB" --listen "127.0.0.1:$WS"
start_fetcher
head=$(node_head)
wait_until 60 "[ \"\$(psql_q 'select blockpipe_watermark(31337, 0)' 2>/dev/null)\" = $head ]" \
	"the pipeline to commit blocks 0..$head"

# --- the rules use only names the programs export ----------------------------
for a in "$MF" "$MV" "$MW" "127.0.0.1:$WS"; do
	curl -sf "http://$a/metrics" || fail "no /metrics at $a"
done | sed -n 's/^# TYPE \([a-z_:]*\) .*/\1/p' | sort -u >"$T/exported"
[ "$(wc -l <"$T/exported")" -gt 50 ] || fail "only $(wc -l <"$T/exported") metrics exported"
# Names in expressions and annotations alike (recording rules,
# blockpipe:NAME:WINDOW, dropped first). A name the scrape lacks must be
# one registered at its first occurrence (a labelled counter:
# rpc_errors_total{method,kind}), checked in the source; and
# verifier_body_mismatches_total comes with the body-root checks (until
# then its alert never fires).
grep -v "^ *#" "$R/blockpipe-rules.yml" |
	sed -E "s/blockpipe:[a-z0-9_:]+//g" |
	grep -oE '\b(fetcher|verifier|writer|broadcaster|rpc|msg|block)_[a-z_]+' |
	sed -E 's/_(bucket|count|sum)$//' | sort -u >"$T/used"
[ "$(wc -l <"$T/used")" -gt 20 ] || fail "found only $(wc -l <"$T/used") metric names in the rules"
missing=$(comm -23 "$T/used" "$T/exported" | grep -vx "verifier_body_mismatches_total" || true)
for m in $missing; do
	case $m in
	rpc_errors_total) grep -q "\"$m\"" "$ROOT"/common/rpc*.c && missing=$(echo "$missing" | grep -vx "$m" || true) ;;
	esac
done
[ -z "$missing" ] || fail "the rules use metrics no program exports: $missing"

# --- Prometheus --------------------------------------------------------------
sed -E 's/^( *)for: .*/\1for: 2s/' "$R/blockpipe-rules.yml" >"$T/rules-test.yml"
PP=$(free_port)
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: ['$T/rules-test.yml']
scrape_configs:
  - job_name: blockpipe-fetcher
    static_configs: [{targets: ['$MF'], labels: {chain: devnet}}]
  - job_name: blockpipe-verifier
    static_configs: [{targets: ['$MV'], labels: {chain: devnet}}]
  - job_name: blockpipe-writer
    static_configs: [{targets: ['$MW'], labels: {chain: devnet}}]
  - job_name: blockpipe-broadcaster
    static_configs: [{targets: ['127.0.0.1:$WS'], labels: {chain: devnet}}]
YML
bg_run prometheus prometheus --config.file="$T/prometheus.yml" \
	--storage.tsdb.path="$T/prom-data" --web.listen-address="127.0.0.1:$PP"
API=http://127.0.0.1:$PP/api/v1
# query EXPR: the first sample's value ("" when none)
query() { curl -sf --get "$API/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // ""'; }
firing() { curl -sf "$API/alerts" | jq -r '.data.alerts[] | select(.state == "firing") | .labels.alertname' | sort -u; }
wait_until 60 "[ \"\$(query 'count(up == 1)')\" = 4 ]" "Prometheus to scrape the four programs"
wait_until 30 "[ \"\$(query 'blockpipe:writer_watermark:max')\" -ge $head ] 2>/dev/null" \
	"the recording rule blockpipe:writer_watermark:max"
# each rule is evaluated from its own scrapes: wait for the fetcher's too
wait_until 30 "[ \"\$(query 'blockpipe:fetcher_node_head:max')\" -ge $head ] 2>/dev/null" \
	"the recording rule blockpipe:fetcher_node_head:max"
assert_eq "$(query 'blockpipe:fetcher_node_head:max')" "$(query 'blockpipe:writer_watermark:max')" \
	"the node's head (fetcher) against the watermark (writer)"
wait_until 30 "[ \"\$(query 'blockpipe:behind_blocks')\" = 0 ]" "blockpipe:behind_blocks to be 0 once caught up"
sleep 4 # several evaluations at for: 2s
assert_eq "" "$(firing)" "alerts firing while the pipeline runs"

# --- stop the fetcher ---------------------------------------------------------
bg_kill fetcher TERM
wait_until 60 "firing | grep -qx BlockpipeFetcherDown" "BlockpipeFetcherDown to fire"
curl -sf "$API/alerts" | jq -e '.data.alerts[] | select(.labels.alertname == "BlockpipeFetcherDown"
	and .labels.job == "blockpipe-fetcher" and .labels.instance == "'"$MF"'" and .labels.severity == "page")' >/dev/null ||
	fail "BlockpipeFetcherDown has not the labels expected: $(curl -sf "$API/alerts")"
assert_eq BlockpipeFetcherDown "$(firing)" "the alerts firing with the fetcher stopped"
# Started again, it resolves.
start_fetcher
wait_until 60 "! firing | grep -qx BlockpipeFetcherDown" "BlockpipeFetcherDown to resolve"
pass
