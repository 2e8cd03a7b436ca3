#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# Xen's own tools, unmodified, over /dev/xen/privcmd in a PV dom0: each a
# named TAP test, each given at most 20 s.  A tool passes if it exits with
# 0 and reports no error: several of Xen's tools print libxencall's and
# libxc's errors and still exit with 0.  xenstored and xen-init-dom0 are
# started first, as Debian's xencommons starts them.  A tool's output is
# shown as TAP comments.
#
# A tool that cannot work yet for a reason the README lists as a known gap
# is reported as TAP "not ok ... # TODO known gap: <reason>": visible, with
# the reason, and not counted as a failure; if it works, it is "ok".

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
	out=$(timeout 20 "$@" 2>&1)
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
}

echo "TAP version 13"
echo "1..9"
mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen /var/lib/xen
[ -e /var/run ] || ln -s /run /var/run
BUFS="libxencall allocates hypercall buffers with madvise(), off in the test kernels (CONFIG_ADVISE_SYSCALLS), and /dev/xen/hypercall is not implemented yet"
XENFS="dom0's xenstored reads /proc/xen/xsd_port and xsd_kva (xenfs), and xenfs cannot load without Linux's C privcmd; $BUFS"
gap=$XENFS
# Up means its socket is there (it daemonizes before it can fail).
check "xenstored starts" sh -c "$bin/xenstored --pid-file /run/xen/xenstored.pid &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -S /run/xenstored/socket ] && exit 0; sleep 1
	done; exit 1"
gap=$XENFS
check "xen-init-dom0 names dom0 in xenstore" $bin/xen-init-dom0
gap=$XENFS
check "xl info" sh -c "$bin/xl info && $bin/xl info | grep '^xen_version'"
gap=$XENFS
check "xl list shows Domain-0" sh -c "$bin/xl list | grep '^Domain-0 '"
gap=$BUFS
check "xl dmesg" sh -c "$bin/xl dmesg | grep 'Xen version'"
gap=$BUFS
check "xenpm get-cpu-topology" $bin/xenpm get-cpu-topology
gap=$BUFS
check "xen-cpuid" sh -c "/usr/bin/xen-cpuid | head -n 20"
gap=$XENFS
check "test-xenstore" $bin/test-xenstore
gap=IOCTL_PRIVCMD_MMAP_RESOURCE
check "test-resource" $bin/test-resource
exit $((failed > 0))
