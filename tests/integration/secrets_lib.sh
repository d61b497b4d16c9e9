# shellcheck shell=bash
# Helpers for the tests that look for secrets where they must not be
# (sourced after lib.sh): every secret of a test is spelt with the word
# SECRET, and every file a test checks goes into $CHECK.
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
