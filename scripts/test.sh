#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite (`make check`): set-up, the Rust crate's unit tests
# on the host, rustfmt and clippy on the modules, then every guest test in
# QEMU: with the hypervisor stub, and a bounded fuzzing run there; under
# Debian's Xen 4.17 with the debug kernel as PVH dom0 (the sanitized
# world: KASAN, lockdep, kmemleak), its suites and a fuzzing run; then with
# the dom0 kernel as PV and PVH dom0, over our driver and, for comparison,
# over Linux's C one.  The last line is "N passed, N failed[, N skipped]".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
began=$(date +%s)
kdir=$("$top/scripts/setup.sh") || { echo "0 passed, 1 failed"; exit 1; }
setup_s=$(($(date +%s) - began))
. "$top/scripts/versions.sh"
export KDIR=$kdir

passed=0
failed=0
step() { # <name> <command...>: one named check from an exit status
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		failed=$((failed + 1))
	fi
}

echo "# host: Rust userspace crate"
(cd "$top/userspace-test" && cargo test 2>&1) | tee "$PRIVCMD_CACHE/cargo-test.log"
read -r c_pass c_fail < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' \
	"$PRIVCMD_CACHE/cargo-test.log")
passed=$((passed + c_pass))
failed=$((failed + c_fail))
grep -q '^test result:' "$PRIVCMD_CACHE/cargo-test.log" || failed=$((failed + 1))

echo "# host: style of the kernel modules"
step "rustfmt --check on the modules" make -s -C "$top" lint-fmt KDIR="$kdir"
step "module build with CLIPPY=1 W=1 has no warnings" make -s -C "$top" lint-clippy KDIR="$kdir"

# Runs scripts/qemu.sh <options...>, its output kept in
# $PRIVCMD_CACHE/<log name>.log; sets status and boots.
#
# A PVH dom0 under QEMU 7.2's emulated SVM triple-faults now and then,
# over either driver, with Xen's own state in the guest's registers (the
# RIP after Xen's VMRUN, Xen's stack): the emulator's world switch, not
# the guest.  Such a boot is kept and shown, and the world booted again,
# up to twice.  Any other failure fails the run.
boot_world() { # <log name> <qemu.sh options...>
	local name=$1
	shift
	boots=1
	"$top/scripts/qemu.sh" "$@" | tee "$PRIVCMD_CACHE/$name.log"
	status=${PIPESTATUS[0]}
	while [ "$status" -ne 0 ] && [ "$boots" -lt 3 ] &&
		grep -qE 'd0v[0-9]+ Triple fault' "$PRIVCMD_CACHE/last-run.log"; do
		cp "$PRIVCMD_CACHE/last-run.log" "$PRIVCMD_CACHE/$name-triple-fault-$boots.log"
		echo "# NOTE: dom0 triple-faulted (console kept in $PRIVCMD_CACHE/$name-triple-fault-$boots.log); booting again"
		boots=$((boots + 1))
		"$top/scripts/qemu.sh" "$@" | tee "$PRIVCMD_CACHE/$name.log"
		status=${PIPESTATUS[0]}
	done
}

guest_time() { # <log name>
	sed -n 's/^# guest ran for \([0-9]*\) s$/\1/p' "$PRIVCMD_CACHE/$1.log" | tail -n 1
}

# The test suites in one world: their TAP results counted one by one.
guest() { # <title> <log name> <qemu.sh options...>
	local title=$1 name=$2 line sk
	shift 2
	echo "# guest: $title"
	boot_world "$name" --tests "$@"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$PRIVCMD_CACHE/$name.log" | tail -n 1)
	timings+=("| $title | $boots | $(guest_time "$name") s | ${line:-no summary} |")
	if [ -n "$line" ]; then
		passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
		sk=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
		skipped=$((skipped + ${sk:-0}))
	else
		failed=$((failed + 1))
	fi
}

# One bounded fuzzing run (userspace-test/privcmd_fuzz.c), then rounds of
# its race mode in the same boot: their "fuzz:" lines, and one check from
# the status (no kernel report, no hang, no unexpected result).
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_OPS=${FUZZ_OPS:-20000}
FUZZ_RACES=${FUZZ_RACES:-500}
fuzz() { # <title> <log name> <qemu.sh options...>
	local title=$1 name=$2 lines line
	shift 2
	echo "# guest: $title"
	boot_world "$name" --timeout 1800 "$@" --exec \
		"$top/userspace-test/build/privcmd_fuzz --seed $FUZZ_SEED --ops $FUZZ_OPS &&
		/exec/privcmd_fuzz --race --seed $FUZZ_SEED --ops $FUZZ_RACES"
	lines=$(grep -E '^fuzz: .* reports [0-9]+' "$PRIVCMD_CACHE/$name.log")
	while IFS= read -r line; do
		[ -z "$line" ] || fuzz_lines+=("$line")
	done <<<"$lines"
	[ -n "$lines" ] || fuzz_lines+=("no fuzz line ($title)")
	timings+=("| $title | $boots | $(guest_time "$name") s | ${lines//$'\n'/; } |")
	if [ "$status" -eq 0 ] && [ "$(echo "$lines" | grep -c .)" -eq 2 ]; then
		echo "ok - $title: ${lines//$'\n'/; }"
		passed=$((passed + 1))
	else
		echo "not ok - $title: ${lines:-no fuzz line}"
		failed=$((failed + 1))
	fi
}

skipped=0
timings=()
fuzz_lines=()
guest "plain QEMU, the hypervisor stub" qemu-stub
fuzz "the fuzzer, $FUZZ_OPS operations and $FUZZ_RACES races, plain QEMU, the hypervisor stub" fuzz-stub
guest "QEMU, Debian's Xen 4.17, the debug kernel (KASAN, lockdep, kmemleak, KCOV) as PVH dom0" \
	qemu-pvh-debug --pvh --debug
fuzz "the fuzzer, $FUZZ_OPS operations and $FUZZ_RACES races, the same sanitized PVH dom0" fuzz-pvh-debug --pvh --debug
# The PV dom0's tools run over oxenstored (Debian's xencommons prefers it),
# the PVH dom0's over the C xenstored.  The guests' save, restore and
# migration under TCG make these the long boots (see docs/check.md).
xen_timeout=(--timeout 1800)
guest "QEMU, Debian's Xen 4.17, our kernel as PV dom0 (oxenstored), the Rust driver" \
	qemu-xen --xen --xenstored oxenstored "${xen_timeout[@]}"
guest "the same dom0 with Linux's C privcmd instead, for comparison" qemu-xen-c --xen --driver c \
	--xenstored oxenstored "${xen_timeout[@]}"
guest "QEMU, Debian's Xen 4.17, our kernel as PVH dom0 (emulated SVM, NPT, AMD IOMMU)" \
	qemu-pvh --pvh "${xen_timeout[@]}"
guest "the same PVH dom0 with Linux's C privcmd instead, for comparison" qemu-pvh-c --pvh --driver c \
	"${xen_timeout[@]}"
echo "# Xen dom0: the Rust driver against Linux's C driver"
step "PV dom0: same test results and tool facts over the Rust and the C driver" \
	"$top/scripts/compare-drivers.sh" "$PRIVCMD_CACHE/qemu-xen.log" "$PRIVCMD_CACHE/qemu-xen-c.log"
step "PVH dom0: same test results and tool facts over the Rust and the C driver" \
	"$top/scripts/compare-drivers.sh" "$PRIVCMD_CACHE/qemu-pvh.log" "$PRIVCMD_CACHE/qemu-pvh-c.log"

# What this run measured, for docs/ (see docs/check.md).
if [ "$skipped" -gt 0 ]; then
	total="$passed passed, $failed failed, $skipped skipped"
else
	total="$passed passed, $failed failed"
fi
{
	echo "# The last \`make check\` on this machine"
	echo
	echo "Written by \`scripts/test.sh\` at the end of each run; $(date -u '+%Y-%m-%d %H:%M UTC'),"
	echo "commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores."
	echo
	echo "- whole run: $(($(date +%s) - began)) s, of which set-up $setup_s s"
	echo "  (installing packages and building kernels when they are not cached)"
	echo "- result: $total"
	echo
	echo "| world | boots | guest time (last boot) | summary |"
	echo "|---|---|---|---|"
	printf '%s\n' "${timings[@]}"
	echo
	echo "Fuzzing (\`userspace-test/privcmd_fuzz\`, seed $FUZZ_SEED):"
	echo
	printf -- '- %s\n' "${fuzz_lines[@]}"
	echo
	echo "Reports of the kernel's own code, known and excused (\`scripts/kernel-reports.known\`):"
	echo
	cat "$PRIVCMD_CACHE"/qemu-*.log "$PRIVCMD_CACHE"/fuzz-*.log 2>/dev/null |
		sed -n "s/^# kernel's own report, known (\(.*\)): .*/- \1/p" | sort | uniq -c |
		sed 's/^ *\([0-9]*\) \(.*\)/\2 (\1 times)/' || true
	echo
	echo "The toolstack's heavy work (\`xen_guests_test.sh\`), seconds under TCG, one sample each:"
	echo
	echo "| world | step | seconds | guest MiB |"
	echo "|---|---|---|---|"
	for log in qemu-xen qemu-xen-c qemu-pvh qemu-pvh-c; do
		sed -n 's/^# # time: \(.*\) \([0-9.]*\) s \([0-9]*\) MiB$/\1|\2|\3/p' \
			"$PRIVCMD_CACHE/$log.log" 2>/dev/null | while IFS='|' read -r what secs mib; do
			echo "| $log | $what | $secs | $mib |"
		done
	done
	echo
	echo "Rust against C driver (\`scripts/compare-drivers.sh\`):"
	echo
	for log in qemu-xen qemu-pvh; do
		echo "- ${log#qemu-}: $("$top/scripts/compare-drivers.sh" "$PRIVCMD_CACHE/$log.log" \
			"$PRIVCMD_CACHE/$log-c.log" 2>/dev/null | tail -n 1 | sed 's/^# //')"
	done
} >"$top/docs/check.md"

echo "$total"
[ "$failed" -eq 0 ]
