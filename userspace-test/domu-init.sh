#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guests that Xen's toolstack creates in the tests (PV, PVH
# and HVM, from the same kernel).  It says hello on its console (read back
# from xenconsoled's log, or from an HVM guest's emulated serial port),
# naming its kind and the privcmd driver it was created over; then, by the
# role on its command line:
#
# - guest=tests (the default): runs domu_test over that driver as a domU's
#   privcmd, prints its kernel log between markers, and waits to be
#   destroyed.  Kernel messages go to the console only in emergencies
#   while the tests print (the whole log follows them).
# - guest=memory: fills a buffer in its memory at boot and keeps its
#   checksum, then prints a numbered tick every second with the buffer's
#   checksum taken again: a guest that was saved and restored, or
#   migrated, with its memory intact goes on counting with the same
#   checksum; one that rebooted or lost memory does not.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
kind=$(cat /sys/hypervisor/guest_type 2>/dev/null || echo unknown)
echo "guest: hello from a $kind guest created over $(arg creator)"
if [ "$(arg guest)" = memory ]; then
	mount -t tmpfs -o size=16m tmpfs /tmp
	dd if=/dev/urandom of=/tmp/fill bs=1M count=8 2>/dev/null
	boot=$(md5sum </tmp/fill | cut -d' ' -f1)
	echo "guest: filled 8 MiB of memory, md5 $boot"
	tick=0
	while true; do
		tick=$((tick + 1))
		echo "guest: tick $tick md5 $(md5sum </tmp/fill | cut -d' ' -f1) boot $boot"
		sleep 1
	done
fi
echo 1 >/proc/sys/kernel/printk
if [ -x /domu_test ]; then
	echo "@@DOMU-TESTS"
	/domu_test
fi
echo "@@DOMU-DMESG-BEGIN"
dmesg
echo "@@DOMU-DMESG-END"
echo "@@DOMU-DONE"
while true; do sleep 10; done
