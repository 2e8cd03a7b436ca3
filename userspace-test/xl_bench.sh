#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# The toolstack's heavy work, timed (make bench; scripts/bench-guests.sh
# boots a dom0 for each driver and runs this in it):
#
#   xl_bench.sh <rounds> <MiB>
#
# starts Xen's toolstack (xenfs, xenstored, xen-init-dom0, xenconsoled),
# creates a PV guest of <MiB> in the memory role of domu-init.sh and saves
# and restores it <rounds> times; where Xen has hardware-assisted paging,
# does the same with a PVH guest and migrates it to this host <rounds>
# times.  After every step the guest must count on with its memory's
# checksum.  Each step prints "# time: <what> <s> s <MiB> MiB" (from
# xl_guest.sh); a step that fails prints "bench-error: <what>".

. /tools/xen_tap.sh
rounds=${1:-3}
mib=${2:-128}
g=/tools/xl_guest.sh
logs=/var/log/xen/console

err() { echo "bench-error: $*"; exit 1; }

mkdir -p /run/xen /run/xenstored /var/lib/xenstored /var/log/xen /var/lib/xen $logs
insmod /modules/xenfs.ko && mount -t xenfs xenfs /proc/xen || err "xenfs"
$bin/xenstored --pid-file /run/xen/xenstored.pid || err "xenstored"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /run/xenstored/socket ] && break; sleep 1; done
$bin/xen-init-dom0 >/dev/null || err "xen-init-dom0"
$bin/xenconsoled --pid-file /run/xen/xenconsoled.pid --log=guest --log-dir=$logs || err "xenconsoled"

# Waits for the guest's next tick with its boot checksum.
next_tick() { # <name> <what>
	set -- "$1" "$2" $($g last-tick "$1")
	$g wait-tick "$1" "${3:-0}" "${5:-none}" 120 >/dev/null || err "$2: the guest did not count on"
}

guest() { # <type> <name>
	$g config "$1" "$2" $mib >/tmp/$2.cfg
	$bin/xl create /tmp/$2.cfg >/dev/null 2>&1 || err "xl create $1"
	for i in $(seq 120); do [ -n "$($g last-tick "$2")" ] && return; sleep 1; done
	err "xl create $1: the guest did not tick"
}

save_restore() { # <kind> <name>
	for r in $(seq "$rounds"); do
		$g timed "xl save $1" $mib sh -c "$bin/xl save $2 /tmp/$2.save >/tmp/xl.out 2>&1" ||
			err "xl save $1"
		$g timed "xl restore $1" $mib sh -c "$bin/xl restore /tmp/$2.save >/tmp/xl.out 2>&1" ||
			err "xl restore $1"
		rm -f /tmp/$2.save
		next_tick "$2" "xl restore $1"
	done
}

echo "# bench: $driver driver, $(echo "${PRIVCMD_DOM0:-pv}" | tr a-z A-Z) dom0, $rounds rounds, guests of $mib MiB"
guest pv bench-pv
save_restore PV bench-pv
$bin/xl destroy bench-pv
if [ -z "$(no_hap)" ]; then
	guest pvh bench-pvh
	save_restore PVH bench-pvh
	for r in $(seq "$rounds"); do
		$g timed "xl migrate PVH" $mib sh -c \
			"$bin/xl migrate -s '' bench-pvh 'xl migrate-receive' >/tmp/xl.out 2>&1" ||
			err "xl migrate PVH"
		next_tick bench-pvh "xl migrate PVH"
	done
	$bin/xl destroy bench-pvh
fi
echo "# bench: done"
