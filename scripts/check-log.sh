#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Judges one guest run from its console log: counts the TAP results, adds
# two checks of its own (the guest finished; its kernel log is clean) and
# prints "N passed, N failed" last.  Exits non-zero if anything failed.
#
# Usage: scripts/check-log.sh <console log> <run kind> <qemu status> <seconds>
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
log=$1
run=$2
qemu_status=$3
elapsed=$4

passed=0
failed=0
skipped=0
if [ "$run" = tests ] || [ "$run" = exec ]; then
	passed=$(grep -cE '^ok [0-9]+ ' "$log")
	skipped=$(grep -E '^ok [0-9]+ ' "$log" | grep -c '# SKIP')
	passed=$((passed - skipped))
	# "not ok ... # TODO": a known gap, listed, not counted as a failure.
	todo=$(grep -E '^not ok [0-9]+ ' "$log" | grep -c '# TODO')
	failed=$(($(grep -cE '^not ok [0-9]+ ' "$log") - todo))
	if [ "$todo" -gt 0 ]; then
		echo "# known gaps:"
		grep -E '^not ok [0-9]+ .*# TODO' "$log" | sed 's/^/#   /'
	fi
	skipped=$((skipped + todo))
fi

result() { # <ok?> <name>
	if [ "$1" = 1 ]; then
		echo "ok - $2"
		passed=$((passed + 1))
	else
		echo "not ok - $2"
		failed=$((failed + 1))
	fi
}

echo "# guest ran for ${elapsed} s"
finished=0
grep -q '^@@DONE' "$log" && finished=1
result $finished "guest finished and powered off (qemu status $qemu_status)"
if [ $finished = 0 ]; then
	echo "# last lines of the console:"
	tail -n 40 "$log" | sed 's/^/#   /'
fi

if grep -q '^@@ERROR' "$log"; then
	grep '^@@ERROR' "$log" | sed 's/^@@ERROR/# error:/'
	result 0 "modules loaded"
fi

if [ "$run" != tests ]; then
	status=$(sed -n 's/^@@EXIT //p' "$log" | tail -n 1)
	result $([ "$status" = 0 ] && echo 1 || echo 0) "program exited with status 0 (got ${status:-none})"
fi

# Kernel reports that fail a run wherever they appear in the console;
# under Xen, the hypervisor's own lines count only when dom0 or Xen died.
# A Xen guest's console, which dom0 shows between @@DOMU-BEGIN and
# @@DOMU-END (its tests' TAP and its kernel log), is judged on its own.
splat='(Oops|BUG:|WARNING:|KASAN:|UBSAN:|general protection fault|Kernel panic|INFO: task .* blocked|rcu: INFO: .*detected stall|kmemleak: [0-9]+ new suspected|Call Trace:)'
xen_death='\(XEN\) .*(Domain 0 crashed|Dom0 crashed|Panic on CPU)'
# "<line number>:<line>" of the lines of the log inside (1) or outside (0)
# the guest's console.
numbered() { # <1|0>
	awk -v want="$1" '/^@@DOMU-BEGIN/ { in_domu = 1 } /^@@DOMU-END/ { in_domu = 0 }
		in_domu == want { print NR ":" $0 }' "$log"
}
report() { # <first line of the report> <name>
	if [ -n "$1" ]; then
		result 0 "$2"
		echo "# kernel report:"
		sed -n "$(($1 > 5 ? $1 - 5 : 1)),$(($1 + 60))p" "$log" | sed 's/^/#   /'
	else
		result 1 "$2"
	fi
}
# Each report of dom0's (or the stub world's) kernel: the driver's when its
# trace names one of the project's modules or Linux's C privcmd (in a
# frame, not in the "Modules linked in" list or the task's name); the
# kernel's own otherwise.  A report of the kernel's own that
# scripts/kernel-reports.known lists is printed and does not fail the run
# (the driver's never pass); any other fails it.
known=$top/scripts/kernel-reports.known
# The reason scripts/kernel-reports.known gives for the report on stdin:
# the first line whose patterns (" && " between them) all match it.
known_reason() {
	local rec pat reason all p
	rec=$(cat)
	while IFS=$'\t' read -r pat reason; do
		all=1
		while IFS= read -r p; do
			echo "$rec" | grep -qE -- "$p" || { all=0; break; }
		done < <(echo "$pat" | sed 's/ && /\n/g')
		if [ $all = 1 ]; then
			echo "$reason"
			return
		fi
	done < <(grep -vE '^(#|$)' "$known")
}
driver_frame='\[(rust_privcmd|xen_privcmd|xen_stub)\]|rust_privcmd::|[0-9]rust_privcmd|xen_stub::'
first=
end=0
while IFS=: read -r n _; do
	[ "$n" -gt "$end" ] || continue
	end=$((n + 100))
	block=$(sed -n "${n},${end}p" "$log" | sed '/---\[ end trace/q' | grep -v 'Modules linked in:')
	if ! echo "$block" | grep -qE "$driver_frame"; then
		why=$(echo "$block" | known_reason)
		if [ -n "$why" ]; then
			echo "# kernel's own report, known ($why): $(sed -n "${n}p" "$log")"
			continue
		fi
	fi
	first=$n
	break
done < <(numbered 0 | grep -E "^[0-9]+:.*$splat" | grep -vE '^[0-9]+:(\(XEN\)|.*Call Trace:)' |
	# A test's own words (TAP and its diagnostics) are not the kernel's:
	# the kernel's lines are all in the log dumped at the end.
	grep -vE '^[0-9]+:(ok |not ok |#)' |
	if grep -q '^@@KMEMLEAK-BEGIN' "$log"; then grep -v 'kmemleak: [0-9]* new suspected'; else cat; fi)
[ -n "$first" ] || first=$(numbered 0 | grep -E "^[0-9]+:$xen_death" | head -n 1 | cut -d: -f1)
report "$first" "kernel log has no Oops, BUG, WARNING, KASAN or lockdep report (but the kernel's own known ones)"

# kmemleak's objects, dumped by the guest at the end: each is the driver's
# or unknown (a failure) or the kernel's own and listed (see above).  The
# kernel log's "kmemleak: N new suspected" lines were left to this.
leaks=0
if grep -q '^@@KMEMLEAK-BEGIN' "$log"; then
	while IFS= read -r -d $'\x01' rec; do
		[ -n "${rec//[[:space:]]/}" ] || continue
		why=
		if ! echo "$rec" | grep -qE "$driver_frame"; then
			why=$(echo "$rec" | known_reason)
		fi
		if [ -n "$why" ]; then
			echo "# kernel's own report, known ($why): kmemleak: $(echo "$rec" | head -n 1)"
		else
			leaks=$((leaks + 1))
			echo "# kmemleak suspects:"
			echo "$rec" | sed 's/^/#   /'
		fi
	done < <(sed -n '/^@@KMEMLEAK-BEGIN/,/^@@KMEMLEAK-END/p' "$log" | grep -v '^@@' |
		awk '/^unreferenced object/ { printf "\x01" } { print } END { printf "\x01" }')
fi
result $([ $leaks = 0 ] && echo 1 || echo 0) "kmemleak suspects no object of the driver's or unknown"

if grep -q '^@@DOMU-BEGIN' "$log"; then
	first=$(numbered 1 | grep -E "^[0-9]+:.*$splat" | head -n 1 | cut -d: -f1)
	report "$first" "the Xen guest's kernel log has no Oops, BUG or WARNING"
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
