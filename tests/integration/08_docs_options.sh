#!/usr/bin/env bash
# Each program's --help and its page (docs/PROGRAM.md) name the same
# options: every option --help prints is a row of the page's options table
# (the table whose first column is "option"), with the same short form, the
# same environment variable and the same default; every --option that table (or the page's
# SYNOPSIS) names is in --help. Nothing here is hard-coded: options added to a program or a page
# are checked as they come.
. "$(dirname "$0")/../lib.sh"

# help_opts PROG: "long short env default" a line, tab-separated ("-" when
# none), from --help
help_opts() {
	"$BIN/$1" --help | awk '
		function flush() { if (long != "") print long "\t" short "\t" env "\t" def; long = "" }
		/^  (-[A-Za-z0-9], )?--[a-z]/ {
			flush()
			short = "-"; env = "-"; def = "-"
			if (match($0, /^  -[A-Za-z0-9], /)) short = substr($0, 3, 2)
			match($0, /--[a-z][a-z0-9-]*/)
			long = substr($0, RSTART, RLENGTH)
			next
		}
		long != "" && /^ +env [A-Z_][A-Z0-9_]*/ {
			env = $2; sub(/,$/, "", env)
			if (match($0, /, default .*/)) def = substr($0, RSTART + 10)
		}
		END { flush() }'
}

# page_rows PAGE: the rows of its options table, "cell1<TAB>cell2<TAB>cell3"
page_rows() {
	awk -F'|' '
		/^\| *option *\|/ { intable = 1; next }
		intable && /^\|[-: |]+$/ { next }
		intable && !/^\|/ { intable = 0 }
		intable { print $2 "\t" $3 "\t" $4 }' "$1"
}

problems=0
problem() {
	echo "  $*" >&2
	problems=$((problems + 1))
}

for prog in fetcher verifier writer broadcaster tap decoder; do
	page=$ROOT/docs/$prog.md
	[ -f "$page" ] || { problem "$prog: no page $page"; continue; }
	help_opts "$prog" >"$T/$prog.help"
	page_rows "$page" >"$T/$prog.rows"
	[ -s "$T/$prog.help" ] || problem "$prog: no option found in --help"
	[ -s "$T/$prog.rows" ] || problem "$prog: no options table in docs/$prog.md"
	grep -o -- '--[a-z][a-z0-9-]*' <(cut -f1 "$T/$prog.rows") | sort -u >"$T/$prog.page_longs"
	while IFS=$'\t' read -r long short env def; do
		row=$(awk -F'\t' -v re="$long([^a-z0-9-]|\$)" '$1 ~ re { print; exit }' "$T/$prog.rows")
		if [ -z "$row" ]; then
			problem "$prog: $long is in --help but not in the options table of docs/$prog.md"
			continue
		fi
		IFS=$'\t' read -r cell1 cell2 cell3 <<<"$row"
		if [ "$short" != - ] && ! grep -Eq -- "(^|[^a-z-])${short}([^a-zA-Z0-9-]|$)" <<<"$cell1"; then
			problem "$prog: $long is $short in --help; docs/$prog.md says '$cell1'"
		fi
		if [ "$env" != - ] && ! grep -Fq -- "\`$env\`" <<<"$cell2"; then
			problem "$prog: $long reads $env in --help; docs/$prog.md says '$cell2'"
		fi
		if [ "$env" = - ] && grep -Eq '`[A-Z_]+`' <<<"$cell2"; then
			problem "$prog: $long has no variable in --help; docs/$prog.md says '$cell2'"
		fi
		# the default: as --help says it (a flag's 0 may read "off")
		if [ "$def" != - ] && ! grep -Fq -- "$def" <<<"${cell3//\`/}" &&
			! { [ "$def" = 0 ] && grep -qw off <<<"$cell3"; }; then
			problem "$prog: $long defaults to '$def' in --help; docs/$prog.md says '$cell3'"
		fi
	done <"$T/$prog.help"
	while read -r long; do
		grep -q -- "^$long"$'\t' "$T/$prog.help" ||
			problem "$prog: docs/$prog.md names $long, which --help does not know"
	done <"$T/$prog.page_longs"
	# the page's SYNOPSIS names only options that exist
	awk '/^## SYNOPSIS/ { s = 1; next } /^## / { s = 0 } s' "$page" |
		{ grep -o -- '--[a-z][a-z0-9-]*' || true; } | sort -u >"$T/$prog.synopsis"
	while read -r long; do
		grep -q -- "^$long"$'\t' "$T/$prog.help" ||
			problem "$prog: the SYNOPSIS of docs/$prog.md names $long, which --help does not know"
	done <"$T/$prog.synopsis"
	echo "$prog: $(wc -l <"$T/$prog.help") options in --help, $(wc -l <"$T/$prog.page_longs") on the page" >&2
done
[ "$problems" = 0 ] || fail "$problems differences between --help and the pages (above)"
pass
