#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The same seed of the fuzzer over the Rust driver and over Linux's C
# driver, in one Xen world, operation by operation: what each returned.
# Both runs leave out what crashes the C driver (--c-safe) and are not
# steered by coverage (--no-steer), so they draw the same operations; a
# difference in one result can change what later operations act on, so
# the first difference matters most.  Prints each differing operation
# (up to 30) with both results, then one line:
#
#   fuzz-compare: <world> seed <n> ops <n>: <n> alike, <n> differ, first at <op>
#
# Usage: scripts/fuzz-compare.sh [--xen|--pvh] [--seed N] [--ops N]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
world=--xen
seed=1
ops=5000
while [ $# -gt 0 ]; do
	case "$1" in
	--xen | --pvh) world=$1 ;;
	--seed) seed=$2; shift ;;
	--ops) ops=$2; shift ;;
	*) echo "usage: $0 [--xen|--pvh] [--seed N] [--ops N]" >&2; exit 2 ;;
	esac
	shift
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for driver in rust c; do
	echo "# fuzz-compare: $driver driver, seed $seed, $ops operations" >&2
	PRIVCMD_LOG=$out/$driver.console "$top/scripts/qemu.sh" "$world" --driver "$driver" \
		--timeout 3600 --exec "$top/userspace-test/build/privcmd_fuzz --seed $seed --ops $ops --c-safe --no-steer -v" \
		>"$out/$driver.out" 2>&1 || echo "# fuzz-compare: the $driver run failed (its console: see below)" >&2
	# One line per operation: "<index> <what it did = result>".
	sed -n 's/^op \([0-9]*\): /\1 /p' "$out/$driver.console" | sort -n -k1,1 -s |
		awk '!seen[$1]++' >"$out/$driver.ops"
done
awk 'NR == FNR { i = $1; $1 = ""; rust[i] = substr($0, 2); next }
	{ i = $1; $1 = ""; c[i] = substr($0, 2) }
	END {
		for (i in rust) if (!(i in c)) c[i] = "(not reached)"
		for (i in c) if (!(i in rust)) rust[i] = "(not reached)"
		n = 0; alike = 0; differ = 0; first = "-"
		for (i in rust) idx[++n] = i + 0
		# Sort the indices.
		for (a = 2; a <= n; a++) { v = idx[a]; for (b = a - 1; b >= 1 && idx[b] > v; b--) idx[b + 1] = idx[b]; idx[b + 1] = v }
		for (a = 1; a <= n; a++) {
			i = idx[a]
			if (rust[i] == c[i]) { alike++; continue }
			differ++
			if (first == "-") first = i
			if (differ <= 30) {
				printf "# op %d:\n#   rust: %s\n#   c:    %s\n", i, rust[i], c[i]
			}
		}
		printf "%d %d %s\n", alike, differ, first > "/dev/stderr"
	}' "$out/rust.ops" "$out/c.ops" 2>"$out/summary"
read -r alike differ first <"$out/summary"
grep -hE '^# kernel, after|hung' "$out/rust.console" "$out/c.console" | sed 's/^/# /' || true
echo "fuzz-compare: ${world#--} seed $seed ops $ops: $alike alike, $differ differ, first at $first"
