#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the PV guest that Xen's toolstack creates in the tests: says
# hello on its console (read back from xenconsoled's log), naming the
# privcmd driver it was created over, and waits to be destroyed.
/bin/busybox mkdir -p /proc /sys /dev
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "guest: hello from a PV guest created over $(cat /proc/cmdline | tr ' ' '\n' | grep '^creator=' | cut -d= -f2)"
while true; do sleep 10; done
