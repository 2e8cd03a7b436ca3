#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The toolstack's heavy work over the Rust and the C driver (part of
# make bench): for each dom0 kind (PV, PVH), four boots in the order
# Rust, C, C, Rust, each running userspace-test/xl_bench.sh: xl save and
# xl restore of a PV guest, and where Xen has hardware-assisted paging of
# a PVH guest and its live migration to the same host, <rounds> times.
# Each workload's samples are paired in order (the n-th sample over Rust
# with the n-th over C) and printed as
#
#   bench: <workload> <dom0> rust/c <median ratio> ci <lo> <hi> rust <median>s c <median>s
#
# where ci is a distribution-free 95 % confidence interval of the median
# ratio (order statistics of the pairs' ratios; with fewer than 6 pairs
# it is the pairs' range).
#
# Usage: scripts/bench-guests.sh [--rounds N] [--mib M] [--dom0 pv|pvh|both]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"
rounds=3
mib=128
kinds=(pv pvh)
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift ;;
	--mib) mib=$2; shift ;;
	--dom0) [ "$2" = both ] || kinds=("$2"); shift ;;
	*) echo "usage: $0 [--rounds N] [--mib M] [--dom0 pv|pvh|both]" >&2; exit 2 ;;
	esac
	shift
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
began=$(date +%s)
for dom0 in "${kinds[@]}"; do
	world=--xen
	[ "$dom0" = pv ] || world=--pvh
	boot=0
	for driver in rust c c rust; do
		boot=$((boot + 1))
		echo "# $dom0 dom0, boot $boot of 4: the $driver driver" >&2
		PRIVCMD_LOG=$work/$dom0-$boot-$driver.log "$top/scripts/qemu.sh" $world \
			--driver $driver --timeout 3600 \
			--exec "/tools/xl_bench.sh $rounds $mib" >/dev/null || true
		grep -h 'bench-error' "$work/$dom0-$boot-$driver.log" >&2 || true
		sed -n "s/^# time: \(.*\) \([0-9.]*\) s [0-9]* MiB$/$driver\t\1\t\2/p" \
			"$work/$dom0-$boot-$driver.log" >>"$work/$dom0.samples"
	done
	if [ ! -s "$work/$dom0.samples" ]; then
		echo "# bench: $dom0 dom0: no samples (every boot failed?)" | tee -a "$work/lines"
		continue
	fi
	python3 - "$work/$dom0.samples" "$dom0" "$mib" <<'PY' | tee -a "$work/lines"
import math, statistics, sys
path, dom0, mib = sys.argv[1], sys.argv[2], sys.argv[3]
samples = {}
for line in open(path):
    driver, what, secs = line.rstrip("\n").split("\t")
    samples.setdefault(what, {"rust": [], "c": []})[driver].append(float(secs))

def ci_ranks(n):
    # The largest k with P(Binomial(n, 1/2) < k) <= 2.5 %: the median lies
    # between the k-th smallest and the k-th largest with >= 95 %.
    k, cum = 0, 0.0
    while True:
        p = math.comb(n, k) / 2 ** n
        if cum + p > 0.025:
            return k
        cum += p
        k += 1

for what, s in samples.items():
    n = min(len(s["rust"]), len(s["c"]))
    if n == 0:
        print(f"# bench: {what}: no pairs (rust {len(s['rust'])}, c {len(s['c'])} samples)")
        continue
    ratios = sorted(r / c for r, c in zip(s["rust"][:n], s["c"][:n]))
    k = ci_ranks(n)
    lo, hi = (ratios[k - 1], ratios[n - k]) if k >= 1 else (ratios[0], ratios[-1])
    name = what.replace(" ", "-") + f"-{mib}MiB"
    print(f"# {name} {dom0}: {n} pairs")
    print(f"bench: {name} {dom0} rust/c {statistics.median(ratios):.3f} ci {lo:.3f} {hi:.3f} "
          f"rust {statistics.median(s['rust']):.2f}s c {statistics.median(s['c']):.2f}s")
PY
done

# What this run measured, for docs/ (the README quotes it).
{
	echo "# The toolstack's heavy work, Rust against C"
	echo
	echo "Written by \`scripts/bench-guests.sh --rounds $rounds --mib $mib --dom0 ${kinds[*]}\`"
	echo "(part of \`make bench\`) at the end of its run; $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores,"
	echo "$(($(date +%s) - began)) s in all.  Seconds under QEMU's TCG: compare the ratios, not"
	echo "the times across machines."
	echo
	echo '```'
	cat "$work/lines"
	echo '```'
} >"$top/docs/bench-guests.md"
