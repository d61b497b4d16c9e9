#!/usr/bin/env bash
# Every metric docs/operations.md names exists: the section "Metrics and
# what to alert on" is read as it is (paragraphs "PROGRAM[ and PROGRAM]
# (...): `name`, ..."), the whole pipeline runs with --metrics-addr (the
# broadcaster serves /metrics on --listen), and each name must have its
# "# HELP" and "# TYPE" lines in the scrape of every program it is listed
# for; "(histogram)" ones must be histograms with _bucket, _sum and _count
# series, _total ones counters. Every name the alerts table uses must be
# one the paragraphs list. Names the page says appear "(from the first"
# event are looked for in a fetcher whose first node refuses connections
# (its failover makes rpc errors). The scrapes themselves are checked too:
# each series follows the HELP and TYPE lines of its name. The other pages
# (README, docs/*.md) name only metrics that exist and that operations.md
# lists.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/pipeline_lib.sh"

DOC=$ROOT/docs/operations.md
PROGRAMS="fetcher verifier writer broadcaster"

# the section, then its paragraphs as "owners<TAB>text" (owners: the
# program names before the first colon; up to the first subsection, where
# the names end) and the alerts table's rows
awk '/^## Metrics/ { s = 1; next } /^## / { s = 0 } s' "$DOC" >"$T/section"
[ -s "$T/section" ] || fail "no Metrics section in docs/operations.md"
awk -v progs="$PROGRAMS" '
	function flush(   head, o, n, i, w) {
		if (para == "") return
		head = para; sub(/:.*/, "", head)
		o = ""; n = split(head, w, /[^a-z]+/)
		for (i = 1; i <= n; i++) if (index(" " progs " ", " " w[i] " ")) o = o " " w[i]
		if (index(para, ":") && o != "") print substr(o, 2) "\t" para
		para = ""
	}
	/^### / { flush(); sub_ = 1 } # names are listed before the subsections
	sub_ { next }
	/^\|/ { flush(); next }
	/^$/ { flush(); next }
	{ para = para (para == "" ? "" : " ") $0 }
	END { flush() }' "$T/section" >"$T/paras"
grep '^|' "$T/section" >"$T/alerts" || fail "no alerts table in the Metrics section"

# documented names: "name<TAB>owners<TAB>kind<TAB>lazy"
while IFS=$'\t' read -r owners text; do
	grep -oE '`[a-z_][a-z0-9_]*(\{[a-z_,]*\})?`( \([^)]*\))?' <<<"$text" |
		while read -r item; do
			name=${item#\`} name=${name%%[\`\{]*}
			kind=- lazy=-
			case $item in *"(histogram)"*) kind=histogram ;; esac
			case $item in *"(from the first"*) lazy=lazy ;; esac
			printf '%s\t%s\t%s\t%s\n' "$name" "$owners" "$kind" "$lazy"
		done
done <"$T/paras" >"$T/names"
[ "$(wc -l <"$T/names")" -ge 40 ] || fail "only $(wc -l <"$T/names") metric names read from docs/operations.md: $(cat "$T/paras")"
cut -f2 "$T/names" | tr ' ' '\n' | sort -u | tr '\n' ' ' | grep -q 'broadcaster fetcher verifier writer' ||
	fail "the Metrics section does not list names for every program: $(cut -f2 "$T/names" | sort -u)"

problems=0
problem() {
	echo "  $*" >&2
	problems=$((problems + 1))
}

# the alerts use documented names only
grep -oE '\b(fetcher|verifier|writer|broadcaster|rpc|block|msg|blockpipe)_[a-z0-9_]+' "$T/alerts" |
	sort -u >"$T/alert_names"
[ -s "$T/alert_names" ] || fail "no metric name found in the alerts table"
while read -r name; do
	cut -f1 "$T/names" | grep -qx "$name" ||
		problem "the alerts use $name, which the Metrics section does not list"
done <"$T/alert_names"

# the pipeline, every stage serving /metrics, through a reorg
anvil_start --silent
traffic_blocks 5
new_db >/dev/null
PL_METRICS=1 pl_init
pl_start_all
wait_until 60 db_synced "the pipeline to hold 0..$(node_head)"
pl_reorg 2 txs
traffic_blocks 2
wait_until 60 db_synced "the pipeline to follow the reorg"
# a fetcher whose first node refuses connections: rpc errors
dead=$(free_port) mfail=$(free_port)
bg_run fetcher_failover "$BIN/fetcher" --rpc "http://127.0.0.1:$dead,$RPC" --follow --from 0 \
	--poll-interval 250ms --timeout 3s --metrics-addr "127.0.0.1:$mfail"
scrape() { curl -sf --max-time 10 "http://127.0.0.1:$1/metrics" >"$T/$2.prom"; }
# shellcheck disable=SC2016 # wait_until evaluates it
wait_until 30 'scrape "$mfail" failover && grep -q "^rpc_errors_total{" "$T/failover.prom"' \
	"rpc_errors_total on the failover fetcher"
# shellcheck disable=SC2154 # the PL_METRICS_* ports are set by pl_init
{
	scrape "$PL_METRICS_fetcher" fetcher || fail "cannot scrape the fetcher"
	scrape "$PL_METRICS_verifier" verifier || fail "cannot scrape the verifier"
	scrape "$PL_METRICS_writer1" writer || fail "cannot scrape writer1"
}
scrape "$PL_WS" broadcaster || fail "cannot scrape the broadcaster on its --listen port"

# every series follows "# HELP name" and "# TYPE name" of its family
for p in $PROGRAMS failover; do
	awk -v p="$p" '
		/^# HELP / { help = $3; next }
		/^# TYPE / { if ($3 != help) { print p ": TYPE " $3 " without HELP"; bad = 1 } type = $3; kind = $4; next }
		/^#/ || /^$/ { next }
		{
			n = $0; sub(/[{ ].*/, "", n); f = n
			if (kind == "histogram") sub(/_(bucket|sum|count)$/, "", f)
			if (f != type) { print p ": series " n " outside its family (last TYPE " type ")"; bad = 1 }
		}
		END { exit bad }' "$T/$p.prom" >&2 || problem "$p: /metrics is not in HELP/TYPE families"
	grep -q '^blockpipe_build_info{prog=' "$T/$p.prom" || problem "$p: no blockpipe_build_info in the scrape"
done

while IFS=$'\t' read -r name owners kind lazy; do
	for p in $owners; do
		f=$p
		[ "$lazy" = lazy ] && { [ "$p" = fetcher ] || continue; f=failover; }
		type=$(awk -v n="$name" '$1 == "#" && $2 == "TYPE" && $3 == n { print $4 }' "$T/$f.prom")
		grep -q "^# HELP $name " "$T/$f.prom" || { problem "$p: no '# HELP $name' in its /metrics"; continue; }
		[ -n "$type" ] || { problem "$p: no '# TYPE $name' in its /metrics"; continue; }
		if [ "$kind" = histogram ]; then
			[ "$type" = histogram ] || problem "$p: $name is a $type, the page says histogram"
			for s in _bucket _sum _count; do
				grep -q "^$name${s}[{ ]" "$T/$f.prom" || problem "$p: histogram $name has no $name$s series"
			done
		fi
		case $name in *_total) [ "$type" = counter ] || problem "$p: $name is a $type, not a counter" ;; esac
	done
done <"$T/names"
# the other pages: a metric they name exists and is in the list above
# (operations.md holds every name); a name no program has is an error when
# it reads as a metric (_total, _seconds), else it is taken for a table or
# a field (verifier_epochs, block_height)
cat "$T"/*.prom | awk '$1 == "#" && $2 == "TYPE" { print $3 }' | sort -u >"$T/scraped"
for page in "$ROOT"/README.md "$ROOT"/docs/*.md; do
	[ "$page" = "$DOC" ] && continue
	{ grep -oE '`[^`]*`' "$page" || true; } |
		{ grep -oE '\b(fetcher|verifier|writer|broadcaster|rpc|block|msg)_[a-z0-9_]+' || true; } |
		sort -u | while read -r name; do
			if grep -qx -- "$name" "$T/scraped"; then
				cut -f1 "$T/names" | grep -qx -- "$name" ||
					echo "${page#"$ROOT"/} names $name, which docs/operations.md does not list"
			else
				case $name in *_total | *_seconds)
					echo "${page#"$ROOT"/} names $name, which no program's /metrics has" ;;
				esac
			fi
		done
done >"$T/pages.problems"
while read -r line; do problem "$line"; done <"$T/pages.problems"

echo "checked $(wc -l <"$T/names") names, $(wc -l <"$T/alert_names") used by alerts" >&2
[ "$problems" = 0 ] || fail "$problems differences between docs/operations.md and the programs' /metrics (above)"
pass
