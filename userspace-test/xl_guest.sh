#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# What xen_guests_test.sh asks of a guest in the memory role of
# domu-init.sh, and of the xl commands it runs, as commands of their own
# (a test's command runs under timeout, which cannot run shell functions):
#
#   xl_guest.sh last-tick <name>
#       "<tick> <md5 now> <md5 at boot>" of the last tick that guest <name>
#       printed in its console logs (a guest migrated to this host was
#       "<name>--incoming" when xenconsoled first saw it), or of <name> if
#       it is a file (an HVM guest's serial port).
#   xl_guest.sh wait-tick <name> <after> <md5> <seconds>
#       waits for a tick after <after>; succeeds if its checksum, and the
#       one the guest took at boot, are <md5>.
#   xl_guest.sh timed <what> <MiB> <command...>
#       runs the command and prints "# time: <what> <s> s <MiB> MiB".
#   xl_guest.sh config <pv|pvh|hvm> <name> <MiB> [<line>...]
#       prints xl's configuration of such a guest: our kernel, the domU
#       initramfs in its memory role, its console on hvc0 (an HVM guest's
#       on its emulated serial port), and the lines given.

logs=/var/log/xen/console

uptime_s() { cut -d' ' -f1 /proc/uptime; }

last_tick() { # <name>
	if [ -f "$1" ]; then
		cat "$1"
	else
		cat "$logs/guest-$1".log "$logs/guest-$1--"*.log 2>/dev/null
	fi | tr -d '\r' |
		sed -n 's/^guest: tick \([0-9]*\) md5 \([0-9a-f]*\) boot \([0-9a-f]*\)$/\1 \2 \3/p' |
		sort -n | tail -n 1
}

case "$1" in
last-tick)
	last_tick "$2"
	;;
wait-tick)
	name=$2 after=$3 md5=$4 secs=$5
	i=0
	while [ $i -lt "$secs" ]; do
		set -- $(last_tick "$name")
		if [ -n "${1:-}" ] && [ "$1" -gt "$after" ]; then
			echo "tick $1 md5 $2 boot $3"
			[ "$2" = "$md5" ] && [ "$3" = "$md5" ]
			exit
		fi
		sleep 1
		i=$((i + 1))
	done
	echo "no tick after $after in $secs s"
	exit 1
	;;
timed)
	what=$2 mib=$3
	shift 3
	t0=$(uptime_s)
	"$@"
	rc=$?
	echo "# time: $what $(echo "$(uptime_s) $t0" | awk '{ printf "%.2f", $1 - $2 }') s $mib MiB"
	exit $rc
	;;
config)
	type=$2 name=$3 mib=$4
	shift 4
	driver=rust
	[ -d /sys/module/xen_privcmd ] && driver=c
	role="loglevel=4 guest=memory creator=$driver"
	cat <<EOC
name = "$name"
type = "$type"
kernel = "/guest/bzImage"
ramdisk = "/guest/initrd.gz"
memory = $mib
vcpus = 1
EOC
	if [ "$type" = hvm ]; then
		echo "cmdline = \"console=ttyS0 $role\""
	else
		echo "extra = \"console=hvc0 $role\""
	fi
	for line in "$@"; do echo "$line"; done
	;;
*)
	echo "usage: $0 last-tick|wait-tick|timed|config ..." >&2
	exit 2
	;;
esac
