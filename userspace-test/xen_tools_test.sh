#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# Xen's own tools, unmodified, over /dev/xen/privcmd in dom0: each a named
# TAP test, each given at most 20 s (or $limit).  A tool passes if it exits
# with 0 and reports no error: several of Xen's tools print libxencall's
# and libxc's errors and still exit with 0.  xenfs, xenstored and xen-init-dom0
# are set up first, as Debian's xencommons sets them up.  A tool's output
# is shown as TAP comments, and what it reports about Xen and dom0 as
# "# fact: " lines, which scripts/compare-drivers.sh compares between the
# Rust driver and Linux's C driver.
#
# A tool that cannot work yet for a reason the README lists as a known gap
# is reported as TAP "not ok ... # TODO known gap: <reason>": visible, with
# the reason, and not counted as a failure; if it works, it is "ok".  Known
# gaps are the Rust driver's: with the C driver, every tool must pass.

bin=/usr/lib/xen-4.17/bin
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu:/usr/lib/xen-4.17/lib
export PATH=$bin:/usr/sbin:/usr/bin:$PATH
n=0
failed=0
gap=

check() { # <name> <command...>
	name=$1
	shift
	n=$((n + 1))
	out=$(timeout "${limit:-20}" "$@" 2>&1)
	status=$?
	if [ $status -eq 0 ] && echo "$out" | grep -qE 'error:|Function not implemented'; then
		status=1
	fi
	echo "$out" | head -n 40 | sed 's/^/# /'
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

echo "TAP version 13"
echo "1..19"
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen /var/lib/xen
# The kind of dom0 that the harness asked Xen for (privcmd.dom0=pv|pvh).
want=$(echo "${PRIVCMD_DOM0:-pv}" | tr a-z A-Z)
check "dom0 is a $want guest" sh -c "cat /sys/hypervisor/guest_type &&
	[ \"\$(cat /sys/hypervisor/guest_type)\" = $want ]"
# xencommons: modprobe xenfs; mount -t xenfs xenfs /proc/xen.  xenfs
# imports xen_privcmd_fops, exported by whichever privcmd is loaded.
check "xenfs mounts on /proc/xen with the loaded privcmd" sh -c "
	insmod /modules/xenfs.ko && mount -t xenfs xenfs /proc/xen &&
	ls /proc/xen && grep -q control_d /proc/xen/capabilities"
# Up means its socket is there (it daemonizes before it can fail).
check "xenstored starts" sh -c "$bin/xenstored --pid-file /run/xen/xenstored.pid &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -S /run/xenstored/socket ] && exit 0; sleep 1
	done; exit 1"
check "xen-init-dom0 names dom0 in xenstore" sh -c "$bin/xen-init-dom0 &&
	/usr/bin/xenstore-read /local/domain/0/name"
facts xenstore
check "xl info" sh -c "$bin/xl info >/tmp/xl-info && grep -q '^xen_version' /tmp/xl-info &&
	cat /tmp/xl-info"
# Measured, not reported: they may change between two boots.
facts "xl info" '^[a-z_]+ +:' | grep -vE ': (cpu_mhz|free_memory) '
check "xl list shows Domain-0" sh -c "$bin/xl list | grep '^Domain-0 '"
# Name, ID, Mem, VCPUs, State; not Time.
echo "$out" | awk '{ print "# fact: xl list: " $1, $2, $3, $4, $5 }'
check "xl dmesg" sh -c "$bin/xl dmesg | grep -m 1 'Xen version'"
facts "xl dmesg" 'Xen version'
check "xenpm get-cpu-topology" $bin/xenpm get-cpu-topology
facts xenpm
check "xen-cpuid" sh -c "/usr/bin/xen-cpuid | head -n 20"
facts xen-cpuid
check "test-xenstore" $bin/test-xenstore
check "test-resource" $bin/test-resource

# A PV guest, created, run and destroyed by xl over the loaded privcmd:
# the same kernel as dom0, a busybox initramfs that says hello on its
# console, read back from xenconsoled's log, and then runs domu_test over
# the same driver as a domU's privcmd (XSA-482: restricted to the domain
# that its xenstore "target" names).  xl creates it paused, dom0 writes
# that key as xl writes it for a stub domain (a domain id, in decimal) and
# gives the guest the key, for its tests to rewrite, then unpauses it.
# The guest's TAP and kernel log are shown last, as the suite domu_test.
driver=rust
[ -d /sys/module/xen_privcmd ] && driver=c
guest=rust-privcmd-guest
console=/var/log/xen/console/guest-$guest.log
cat >/tmp/guest.cfg <<EOC
name = "$guest"
type = "pv"
kernel = "/guest/bzImage"
ramdisk = "/guest/initrd.gz"
extra = "console=hvc0 creator=$driver"
memory = 96
vcpus = 1
EOC
mkdir -p /var/log/xen/console
check "xenconsoled starts" sh -c "$bin/xenconsoled --pid-file /run/xen/xenconsoled.pid \
	--log=guest --log-dir=/var/log/xen/console && sleep 1 && pidof xenconsoled"
# Building and starting a guest takes a few seconds; more on a busy host.
limit=90
check "xl create of a PV guest, paused" $bin/xl create -p /tmp/guest.cfg
domid=$($bin/xl domid $guest 2>/dev/null)
# The domain that does not exist that domu_test expects (its TARGET).
check "dom0 writes the guest's xenstore target, as xl does for a stub domain" sh -c "
	[ -n '$domid' ] && /usr/bin/xenstore-write /local/domain/$domid/target 28672 &&
	/usr/bin/xenstore-chmod /local/domain/$domid/target n$domid &&
	/usr/bin/xenstore-read /local/domain/$domid/target"
unpaused=$(date +%s)
check "xl unpause starts the guest" $bin/xl unpause $guest
check "xl list shows the guest" sh -c "$bin/xl list | grep '^$guest '"
# Name, Mem, VCPUs; not its ID, which counts the domains that the
# suites before created (some only over one driver).
echo "$out" | awk '{ print "# fact: xl list: " $1, $3, $4 }'
limit=90
check "the guest's console reaches xenconsoled" sh -c "
	for i in \$(seq 80); do
		grep -q 'hello from a PV guest created over $driver' $console 2>/dev/null && exit 0
		sleep 1
	done; cat $console; exit 1"
hello=$(date +%s)
# Loading and unloading the driver a dozen times under TCG, in a PV guest.
limit=300
check "the guest runs domu_test and returns its kernel log" sh -c "
	for i in \$(seq 290); do
		grep -q '^@@DOMU-DONE' $console 2>/dev/null && exit 0
		sleep 1
	done; exit 1"
echo "# the guest said hello $((hello - unpaused)) s after its unpause, finished its tests $(($(date +%s) - hello)) s later"
check "xl destroy removes the guest" sh -c "$bin/xl destroy $guest &&
	! $bin/xl list | grep '^$guest '"

# The guest's console: its tests' TAP, counted with dom0's, and its kernel
# log, which scripts/check-log.sh judges on its own, between the markers.
echo "# suite: domu_test"
# All of it if the tests never started.
echo "@@DOMU-BEGIN"
if grep -q '^@@DOMU-TESTS' $console 2>/dev/null; then
	tr -d '\r' <$console | sed -n '/^@@DOMU-TESTS/,$p'
else
	tr -d '\r' <$console 2>/dev/null
fi | grep -v '^@@DOMU-'
echo "@@DOMU-END"
exit $((failed > 0))
