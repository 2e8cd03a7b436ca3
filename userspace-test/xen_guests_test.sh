#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# The toolstack's heavy work over /dev/xen/privcmd in dom0, each step a
# named TAP test (see xen_tap.sh), after xen_tools_test.sh has started
# xenstored and xenconsoled:
#
# - xl save and xl restore of a running PV guest (libxenguest maps the
#   guest's whole memory with IOCTL_PRIVCMD_MMAPBATCH_V2, and writes it
#   back into a new domain);
# - where Xen has hardware-assisted paging (the PVH dom0's world): a PVH
#   guest built by libxc, saved and restored, migrated live to this host
#   (xl migrate with an empty transport: the receiver is a local xl), and
#   checkpointed by xl remus to a blackhole until its backup fails;
# - an HVM guest with QEMU as its device model, restricted (dm_restrict:
#   QEMU's privcmd file restricted to the guest, QEMU chrooted and run as
#   an unprivileged user), whose output comes through its emulated serial
#   port.
#
# The guests run the memory role of domu-init.sh: each proves that it
# kept running with its memory by going on counting ticks with the
# checksum of a buffer it filled at boot.  The seconds that save, restore
# and migration took are printed as "# time: " lines (for make bench).

. /tools/xen_tap.sh

# Which parts to run (all by default): pv, pvh, hvm.
parts=" ${*:-pv pvh hvm} "
part() { case "$parts" in *" $1 "*) skip=$down ;; *) skip="not asked for" ;; esac; }

echo "TAP version 13"
logs=/var/log/xen/console

g=/tools/xl_guest.sh

# The facts of a guest that xl list shows: name, memory, vCPUs.
list_facts() { # <name>
	$bin/xl list | awk -v g="$1" '$1 == g { print "# fact: xl list: " $1, $3, $4 }'
}

# Save and restore of the running guest <name> of <MiB>: saved to a file,
# gone from xl list, restored, and counting on from where it was with the
# memory it had.
save_restore() { # <kind> <name> <MiB>
	set -- "$1" "$2" "$3" $($g last-tick "$2")
	before=${4:-0}
	md5=${6:-none}
	limit=600
	check "xl save of the running $1 guest to a file" sh -c "
		$g timed 'xl save $1' $3 $bin/xl save $2 /tmp/$2.save &&
		! $bin/xl list | grep -q '^$2 ' && ls -l /tmp/$2.save"
	limit=600
	check "xl restore of the $1 guest from that file" sh -c "
		$g timed 'xl restore $1' $3 $bin/xl restore /tmp/$2.save &&
		$bin/xl list | grep '^$2 '"
	rm -f "/tmp/$2.save"
	limit=120
	check "the restored $1 guest counts on with the memory's checksum" \
		$g wait-tick "$2" "$before" "$md5" 110
}

# Creates guest <name> of <kind> from <config> and waits for its hello
# and first tick on <console>.
create_guest() { # <kind> <name> <config file> <console log> <seconds>
	limit=120
	check "xl create of a $1 guest" $bin/xl create "$3"
	limit=$(($5 + 10))
	check "the $1 guest says hello and ticks on its console" sh -c "
		for i in \$(seq $5); do
			grep -q '^guest: tick ' $4 2>/dev/null && grep -a 'guest: hello' $4 && exit 0
			sleep 1
		done; tail -n 20 $4; exit 1"
	check "xl list shows the $1 guest" sh -c "$bin/xl list | grep '^$2 '"
	list_facts "$2"
}

destroy_guest() { # <kind> <name>
	check "xl destroy removes the $1 guest" sh -c "$bin/xl destroy $2 &&
		! $bin/xl list | grep -q '^$2'"
}

# The guest's console, for scripts/check-log.sh to judge its kernel's
# messages on their own (warnings and worse reach the console): its first
# 40 lines, any report after them, and its last 5 lines.
show_console() { # <console log>...
	echo "@@DOMU-BEGIN"
	cat "$@" 2>/dev/null | tr -d '\r' | awk '
		NR <= 40 || /WARNING|BUG|Oops|Call Trace|panic/ { print; next }
		{ tail[NR % 5] = $0 }
		END { for (i = NR - 4; i <= NR; i++) if (i > 40) print tail[i % 5] }'
	echo "@@DOMU-END"
}

down=
if ! [ -S /run/xenstored/socket ] || ! pidof xenconsoled >/dev/null; then
	down="xenstored or xenconsoled is not running (xen_tools_test failed)"
fi

# 1. A PV guest, saved and restored.
part pv
pv=rust-privcmd-pv-mem
$g config pv $pv 128 >/tmp/pv.cfg
create_guest PV $pv /tmp/pv.cfg "$logs/guest-$pv.log" 90
save_restore PV $pv 128
destroy_guest PV $pv
show_console "$logs/guest-$pv.log"

# PVH and HVM guests need Xen's hardware-assisted paging (no_hap).
# Debian's Xen has no shadow paging, so a PV guest cannot enable log-dirty
# mode and is not the one to migrate.
hap=$(no_hap)
hap() {
	part "$1"
	[ -n "$skip" ] || skip=$hap
}

# 2. A PVH guest: built, saved and restored, migrated, checkpointed.
hap pvh
pvh=rust-privcmd-pvh-mem
$g config pvh $pvh 128 >/tmp/pvh.cfg
create_guest PVH $pvh /tmp/pvh.cfg "$logs/guest-$pvh.log" 90
save_restore PVH $pvh 128

# Live migration to this host: xl runs the receiver (a second xl) itself
# when the transport is empty; the guest arrives as <name>--incoming and
# takes its name back when the sender has destroyed the original.
set -- $($g last-tick $pvh)
before=${1:-0}
md5=${2:-none}
limit=600
check "xl migrate of the PVH guest to this host, live" sh -c "
	$g timed 'xl migrate PVH' 128 $bin/xl migrate -s '' $pvh 'xl migrate-receive' &&
	$bin/xl list | grep '^$pvh '"
limit=120
check "the migrated PVH guest counts on with the memory's checksum" \
	$g wait-tick $pvh "$before" "$md5" 110

# Remus: checkpoints every 500 ms into a blackhole (-b: /dev/null, which
# libxl calls unsafe, -F; no network or disk buffering, -n -d: the guest
# has neither; xl wants a host all the same); after three checkpoints the
# primary's stream writer (libxl-save-helper) is stopped, which is how a
# failed backup looks to the primary: xl remus says so, resumes the
# guest where it runs (if it was suspended) and exits with 1, or now and
# then aborts after the resume, over either driver (libxl's, see
# docs/flakes.md): a failure either way, which is what it should report.
# A checkpoint is counted where libxl asks the guest to suspend.
set -- $($g last-tick $pvh)
before=${1:-0}
md5=${2:-none}
limit=400
check "xl remus checkpoints the PVH guest into a blackhole until its backup fails" sh -c "
	$bin/xl -vvv remus -F -b -n -d -i 500 $pvh localhost >/tmp/remus.log 2>&1 &
	remus=\$!
	for i in \$(seq 240); do
		c=\$(grep -c 'issuing .* suspend request' /tmp/remus.log)
		[ \$c -ge 3 ] && break
		kill -0 \$remus 2>/dev/null || break
		sleep 1
	done
	echo \"checkpoints: \$c after \$i s\"
	kill \$(pidof libxl-save-helper)
	wait \$remus
	rc=\$?
	# libxl's errors are expected here: the stream's end (if the guest
	# was suspended for a checkpoint then), or nothing to resume (if it
	# ran); whether the guest runs on is the next test.
	grep -E 'Remus|resum|ERROR|error' /tmp/remus.log | tail -n 8 |
		sed 's/ error: / error, expected once the backup stopped: /'
	echo \"xl remus exited with \$rc\"
	[ \$rc != 0 ] && [ \$(grep -c 'issuing .* suspend request' /tmp/remus.log) -ge 3 ] &&
		grep -q 'Backup failed? resuming domain at primary' /tmp/remus.log"
limit=120
check "after remus the PVH guest counts on with the memory's checksum" \
	$g wait-tick $pvh "$before" "$md5" 110
destroy_guest PVH $pvh
show_console "$logs/guest-$pvh.log" "$logs/guest-$pvh--"*.log

# 3. An HVM guest, QEMU (Debian's qemu-system-xen) as its restricted
# device model: QEMU's direct kernel boot through SeaBIOS, the guest's
# console on its emulated serial port, written to a file by QEMU.
hap hvm
hvm=rust-privcmd-hvm
serial=$logs/hvm-serial.log
rm -f $serial
$g config hvm $hvm 128 'device_model_version = "qemu-xen"' 'dm_restrict = 1' \
	"serial = \"file:$serial\"" 'vga = "none"' 'vnc = 0' >/tmp/hvm.cfg
create_guest HVM $hvm /tmp/hvm.cfg $serial 240
# libxl restricts QEMU with -xen-domid-restrict (privcmd, evtchn, gntdev
# and its other Xen files restricted to the guest), -chroot and -runas.
check "QEMU serves the HVM guest chrooted, as the unprivileged user, restricted to it" sh -c "
	pid=\$(pidof xen-qemu-system-i386) && [ -n \"\$pid\" ] &&
	domid=\$($bin/xl domid $hvm) &&
	tr '\0' ' ' </proc/\$pid/cmdline | tee /tmp/qemu-cmdline | grep -q -- '-xen-domid-restrict' &&
	grep -q -- \"-chroot /var/run/xen/qemu-root-\$domid\" /tmp/qemu-cmdline &&
	grep '^Uid:' /proc/\$pid/status | tee /dev/stderr | grep -q '	980	980	980	980' &&
	ls -l /proc/\$pid/root"
qemu=$(pidof xen-qemu-system-i386)
check "xl destroy ends the HVM guest and its QEMU exits" sh -c "[ -n '$qemu' ] &&
	$bin/xl destroy $hvm && ! $bin/xl list | grep -q '^$hvm' &&
	for i in \$(seq 10); do
		[ ! -d /proc/$qemu ] && exit 0
		sleep 1
	done; echo QEMU still runs; exit 1"
show_console $serial
skip=

echo "1..$n"
exit $((failed > 0))
