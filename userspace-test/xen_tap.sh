# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the Xen world's tool suites (xen_tools_test.sh,
# xen_guests_test.sh): TAP results from Xen's own tools, run unmodified in
# dom0.  A tool passes if it exits with 0 and reports no error: several of
# Xen's tools print libxencall's and libxc's errors and still exit with 0.
# A tool's output is shown as TAP comments, and what it reports about Xen
# and dom0 as "# fact: " lines, which scripts/compare-drivers.sh compares
# between the Rust driver and Linux's C driver.
#
# A tool that cannot work yet for a reason the README lists as a known gap
# is reported as TAP "not ok ... # TODO known gap: <reason>": visible, with
# the reason, and not counted as a failure; if it works, it is "ok".  Known
# gaps are the Rust driver's: with the C driver, every tool must pass.  A
# test that does not apply to this dom0 is "ok ... # SKIP <reason>".

bin=/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/usr/lib/xen-4.17/lib
export PATH=$bin:/usr/sbin:/usr/bin:$PATH
n=0
failed=0
gap=
skip=
# The driver the tools run over, named in the guests it creates.
driver=rust
[ -d /sys/module/xen_privcmd ] && driver=c

# One named test: <command...> given at most 20 s (or $limit).
check() { # <name> <command...>
	name=$1
	shift
	n=$((n + 1))
	if [ -n "$skip" ]; then
		echo "ok $n $name # SKIP $skip"
		gap=
		limit=
		return
	fi
	out=$(timeout "${limit:-20}" "$@" 2>&1)
	status=$?
	if [ $status -eq 0 ] && echo "$out" | grep -qE 'error:|Function not implemented'; then
		status=1
	fi
	# Not libxc's progress meter (a line per 5 % of a guest's frames).
	echo "$out" | grep -v '^xc: progress: ' | head -n 40 | sed 's/^/# /'
	if [ $status -eq 0 ]; then
		echo "ok $n $name"
	elif [ -n "$gap" ]; then
		echo "not ok $n $name # TODO known gap: $gap"
	else
		echo "not ok $n $name # exit status $status"
		failed=$((failed + 1))
	fi
	gap=
	limit=
}

# What the last tool printed, as facts: <name>: <line>.
facts() { # <name> [grep -E pattern of the lines to keep]
	echo "$out" | grep -E "${2:-.}" | sed "s/  */ /g; s/^/# fact: $1: /"
}

# A known gap of the Rust driver (none with the C driver).
known_gap() { # <reason>
	[ -d /sys/module/rust_privcmd ] && gap=$1
}

# Seconds since dom0 booted, to the hundredth.
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# Why a test that needs Xen's hardware-assisted paging (an HVM or PVH
# domain) cannot run here, or nothing if it can: QEMU emulates SVM with
# nested paging in the PVH dom0's world only.
no_hap() {
	echo " $($bin/xl info | sed -n 's/^virt_caps *: //p') " | grep -q ' hap ' ||
		echo "Xen has no hardware-assisted paging here (QEMU's CPU in this world has no SVM)"
}
