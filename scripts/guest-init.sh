#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs.  What it runs is chosen on the kernel command
# line with privcmd.run=<tests|demo|bench|exec>.  Its output on the serial
# console is read by scripts/qemu.sh: test TAP, then the kernel log between
# markers, then a completion marker.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# Only emergencies go to the console while tests print; the whole kernel
# log is printed at the end.
echo 1 >/proc/sys/kernel/printk
echo "@@INIT"

run=tests
world=stub
driver=rust
for word in $(cat /proc/cmdline); do
	case "$word" in
	privcmd.run=*) run=${word#privcmd.run=} ;;
	privcmd.world=*) world=${word#privcmd.world=} ;;
	privcmd.driver=*) driver=${word#privcmd.driver=} ;;
	# Under Xen: the kind of dom0 the harness booted, pv or pvh.
	privcmd.dom0=*) export PRIVCMD_DOM0=${word#privcmd.dom0=} ;;
	# 1: the debug kernel (KASAN, lockdep, kmemleak, KCOV) is dom0.
	privcmd.debug=*) export PRIVCMD_DEBUG=${word#privcmd.debug=} ;;
	# Under Xen: the xenstored the tools start, xenstored or oxenstored.
	privcmd.xenstored=*) export PRIVCMD_XENSTORED=${word#privcmd.xenstored=} ;;
	esac
done
# A hang is a report: a task blocked for 30 s (the debug kernel only).
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 30 >/proc/sys/kernel/hung_task_timeout_secs

trace=
if [ "$run" = demo ]; then
	# The demonstration reads the trace live, interleaved with its own output.
	trace=trace=1
	echo 7 >/proc/sys/kernel/printk
	if [ "$world" = stub ]; then
		echo "exchange_demo: insmod xen_stub.ko trace=1; insmod rust_privcmd.ko trace=1"
	else
		echo "console_demo: under Xen 4.17, insmod rust_privcmd.ko trace=1"
	fi
fi
# Under Xen the driver finds Xen; the stub is only for a kernel on no hypervisor.
if [ "$world" = stub ]; then
	insmod /modules/xen_stub.ko $trace || echo "@@ERROR insmod xen_stub failed"
fi
if [ "$driver" = c ]; then
	# For comparison: Linux's C driver in place of ours.
	insmod /modules/xen-privcmd.ko || echo "@@ERROR insmod xen-privcmd failed"
else
	insmod /modules/rust_privcmd.ko $trace || echo "@@ERROR insmod rust_privcmd failed"
fi

case "$run" in
tests)
	# In name order: NN-<suite>.
	for t in /tests/*; do
		suite=${t##*/}
		echo "# suite: ${suite#*-}"
		case "${suite#*-}" in
		privcmd-check) "$t" $([ "$world" = stub ] && echo --stub) ;;
		*) "$t" ;;
		esac
	done
	;;
demo)
	# Under Xen, nothing of dom0's memory is given away.
	if [ "$world" = stub ]; then
		/tools/exchange_demo
	else
		/tools/console_demo
	fi
	echo "@@EXIT $?"
	;;
bench)
	/tools/hypercall_bench
	echo "@@EXIT $?"
	;;
exec)
	echo "@@SUITE exec"
	/exec/run
	echo "@@EXIT $?"
	;;
esac

# What kmemleak suspects by now (the debug kernel): each object with its
# backtrace, for the harness to tell the driver's from the kernel's own.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo "@@KMEMLEAK-BEGIN"
	cat /sys/kernel/debug/kmemleak
	echo "@@KMEMLEAK-END"
fi
echo "@@DMESG-BEGIN"
dmesg
echo "@@DMESG-END"
echo "@@DONE"
poweroff -f
