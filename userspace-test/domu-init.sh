#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the PV guest that Xen's toolstack creates in the tests: says
# hello on its console (read back from xenconsoled's log), naming the
# privcmd driver it was created over, runs domu_test over that driver as a
# domU's privcmd, prints its kernel log between markers, and waits to be
# destroyed.  Kernel messages go to the console only in emergencies while
# the tests print (the whole log follows them).
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 >/proc/sys/kernel/printk
echo "guest: hello from a PV guest created over $(cat /proc/cmdline | tr ' ' '\n' | grep '^creator=' | cut -d= -f2)"
if [ -x /domu_test ]; then
	echo "@@DOMU-TESTS"
	/domu_test
fi
echo "@@DOMU-DMESG-BEGIN"
dmesg
echo "@@DOMU-DMESG-END"
echo "@@DOMU-DONE"
while true; do sleep 10; done
