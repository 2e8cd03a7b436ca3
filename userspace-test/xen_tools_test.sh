#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# Xen's own tools, unmodified, over /dev/xen/privcmd in dom0: each a named
# TAP test (see xen_tap.sh).  xenfs, xenstored and xen-init-dom0 are set up
# first, as Debian's xencommons sets them up; xenstored is the C one or
# oxenstored, as the harness asks (privcmd.xenstored=).

. /tools/xen_tap.sh

echo "TAP version 13"
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
# Debian's xencommons prefers oxenstored (OCaml) when it is installed;
# the harness runs one world over each.
xenstored=${PRIVCMD_XENSTORED:-xenstored}
check "$xenstored starts" sh -c "$bin/$xenstored --pid-file /run/xen/xenstored.pid &&
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

# Xen's own test programs that Debian ships and that apply to a dom0 under
# QEMU (README, "Xen's tools"): the CPU policy library and Xen's policies;
# an HVM domain's paging pool, which needs hardware-assisted paging (the
# PVH world's emulated SVM with NPT).  test-tsx does not apply: QEMU's
# TCG runs XBEGIN (as a transaction that aborts at once) on a CPU that
# does not list RTM, and test-tsx reports that as a failure of Xen's.
check "test-cpu-policy" $bin/test-cpu-policy
skip="QEMU's TCG runs XBEGIN on a CPU without RTM (test-tsx: \"Host reports no RTM, but appears available\")"
check "test-tsx" $bin/test-tsx
skip=
skip=$(no_hap)
check "test-paging-mempool" $bin/test-paging-mempool
skip=
# A file restricted to one domain (IOCTL_PRIVCMD_RESTRICT, as a
# deprivileged QEMU's) stays restricted: Xen's depriv-fd-checker opens
# its own privcmd, checks that a hypercall works on it, puts the restricted
# file in its place and checks that the same hypercall is refused.
check "depriv-fd-checker: a restricted privcmd file stays restricted" sh -c "
	/tools/restrict_exec 1 9 $bin/depriv-fd-checker privcmd 9 'restricted to domain 1' >/tmp/depriv &&
	cat /tmp/depriv && grep -q '^privcmd pass 9 ' /tmp/depriv"

# A PV guest, created, run and destroyed by xl over the loaded privcmd:
# the same kernel as dom0, a busybox initramfs that says hello on its
# console, read back from xenconsoled's log, and then runs domu_test over
# the same driver as a domU's privcmd (XSA-482: restricted to the domain
# that its xenstore "target" names).  xl creates it paused, dom0 writes
# that key as xl writes it for a stub domain (a domain id, in decimal) and
# gives the guest the key, for its tests to rewrite, then unpauses it.
# The guest's TAP and kernel log are shown last, as the suite domu_test.
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
echo "1..$n"
exit $((failed > 0))
