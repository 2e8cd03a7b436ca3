#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compares two runs of the Xen world's tests in dom0: one over the Rust
# driver, one over Linux's C privcmd (scripts/qemu.sh --xen [--driver c]).
#
#   scripts/compare-drivers.sh <rust console log> <c console log>
#
# Every test must have the same result over both drivers; a test skipped
# over one of them, or a known gap of the Rust driver (TAP TODO) where the
# C driver passes, is listed and not counted as a difference.  The facts
# that Xen's tools print ("# fact: " lines: xl info, xl list, xl dmesg...)
# must be the same.  Exits with 1 on any difference.
set -euo pipefail
export LC_ALL=C

[ $# -eq 2 ] || { echo "usage: $0 <rust log> <c log>" >&2; exit 2; }

# "<suite>: <test>\t<pass|fail|skip|todo>" for each TAP result of a log.
results() {
	awk '
	/^# suite: / { suite = $3 }
	/^(not )?ok [0-9]+ / {
		state = ($1 == "ok") ? "pass" : "fail"
		if ($0 ~ /# SKIP/) state = "skip"
		if ($0 ~ /# TODO/) state = "todo"
		name = $0
		sub(/^(not )?ok [0-9]+ /, "", name)
		sub(/ *#.*$/, "", name)
		print suite ": " name "\t" state
	}' "$1" | sort
}

facts() { grep '^# fact: ' "$1" | sort || true; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results "$1" >"$work/rust"
results "$2" >"$work/c"
[ -s "$work/rust" ] && [ -s "$work/c" ] || { echo "# no test results to compare"; exit 1; }

same=0 skipped=0 gaps=0 differ=0
# '|' between fields: a tab is IFS white space, and read would merge the
# empty field of a test missing from one log with its neighbour.
while IFS='|' read -r name r c; do
	if [ "$r" = "$c" ]; then
		same=$((same + 1))
	elif [ "$r" = skip ] || [ "$c" = skip ]; then
		skipped=$((skipped + 1))
		echo "# skipped over one driver: $name (Rust: $r, C: $c)"
	elif [ "$r" = todo ] && [ "$c" = pass ]; then
		gaps=$((gaps + 1))
		echo "# known gap of the Rust driver: $name (C: pass)"
	else
		differ=$((differ + 1))
		echo "# DIFFERENT: $name (Rust: ${r:-missing}, C: ${c:-missing})"
	fi
done < <(join -t $'\t' -a 1 -a 2 -e '' -o 0,1.2,2.2 "$work/rust" "$work/c" | tr '\t' '|')

facts "$1" >"$work/rust-facts"
facts "$2" >"$work/c-facts"
nfacts=$(wc -l <"$work/c-facts")
if ! diff -u "$work/c-facts" "$work/rust-facts" >"$work/facts.diff"; then
	echo "# facts that differ (- C driver, + Rust driver):"
	sed 's/^/#   /' "$work/facts.diff"
	differ=$((differ + 1))
fi
[ "$nfacts" -gt 0 ] || { echo "# the tools reported no facts"; differ=$((differ + 1)); }

echo "# Rust vs C driver: $same tests alike, $skipped skipped over one, $gaps known gaps, $nfacts facts compared, $differ differences"
[ "$differ" -eq 0 ]
