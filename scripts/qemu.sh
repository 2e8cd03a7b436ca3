#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the cached test kernel in QEMU (TCG) with the hypervisor stub and
# the driver loaded, and runs something in the guest:
#
#   scripts/qemu.sh --tests         the C test suites (TAP), the default
#   scripts/qemu.sh --demo          one XENMEM_exchange, traced hop by hop
#   scripts/qemu.sh --bench         the hypercall round-trip benchmark
#   scripts/qemu.sh --exec CMD      CMD (a program, or a shell command line)
#
# --xen boots Debian's Xen 4.17 with the dom0 kernel as PV dom0 instead of
# the stub (--pvh: as PVH dom0, on QEMU's emulated AMD SVM); --driver c
# then loads Linux's C privcmd instead of ours, for comparison, and
# --xenstored oxenstored has Xen's tools start the OCaml xenstored instead
# of the C one.  --debug
# with --pvh boots the debug test kernel (KASAN, lockdep, kmemleak, KCOV,
# fault injection) as that PVH dom0 instead: the sanitized Xen world (a
# PV dom0 cannot run KASAN; see kernel/debug-kernel.patch).
#
# Fails when a test fails, when the guest does not finish within
# --timeout seconds (default 600), or when the guest's kernel log holds an
# Oops, BUG, WARNING, KASAN or lockdep report (which is then printed).
# The console log is kept in $PRIVCMD_CACHE/last-run.log (and copied to
# $PRIVCMD_LOG if set, a file of the caller's own, which no other run
# overwrites).
#
# QEMU is $PRIVCMD_QEMU: a program name or path (default
# qemu-system-x86_64, bookworm's 7.2), or "backports" for Debian's
# bookworm-backports QEMU 10.0, which scripts/qemu-backports.sh fetches
# into the cache on first use.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"

run=tests
world=stub
driver=rust
dom0=pv
debug=0
exec_cmd=
xenstored=xenstored
timeout=600
while [ $# -gt 0 ]; do
	case "$1" in
	--xen) world=xen ;;
	--pvh) world=xen; dom0=pvh ;;
	--driver) driver=$2; shift ;;
	--debug) debug=1 ;;
	--tests) run=tests ;;
	--demo) run=demo ;;
	--bench) run=bench ;;
	--exec) run=exec; exec_cmd=$2; shift ;;
	--xenstored) xenstored=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	*) echo "usage: $0 [--tests|--demo|--bench|--exec CMD] [--xen|--pvh [--debug] [--driver rust|c] [--xenstored xenstored|oxenstored]] [--timeout S]" >&2; exit 2 ;;
	esac
	shift
done
case "$xenstored" in
xenstored | oxenstored) ;;
*) echo "$0: --xenstored is xenstored or oxenstored" >&2; exit 2 ;;
esac
case "$world/$driver" in
*/rust | xen/c) ;;
*) echo "$0: --driver is rust, or c with --xen" >&2; exit 2 ;;
esac
[ $debug = 0 ] || [ "$dom0" = pvh ] || { echo "$0: --debug is for --pvh" >&2; exit 2; }

# Each world boots its own kernel: the debug test kernel with the stub (and
# in the sanitized Xen world), the dom0 kernel under Xen (see
# kernel/xen-dom0.config).
if [ "$world" = xen ] && [ $debug = 0 ]; then
	kdir=${KDIR_DOM0:-$("$top/scripts/setup.sh" --kdir-dom0)}
else
	kdir=${KDIR:-$("$top/scripts/setup.sh" --kdir)}
fi
[ -f "$kdir/.built" ] || "$top/scripts/setup.sh" >/dev/null

qemu=${PRIVCMD_QEMU:-qemu-system-x86_64}
[ "$qemu" != backports ] || qemu=$("$top/scripts/qemu-backports.sh")
echo "# qemu: $("$qemu" --version | head -n 1)" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The modules for that kernel, built from a copy of the sources so that
# the tree (and any build of the user's in it) is left as it is.
mo=$work/modules
mkdir -p "$mo"
cp -r "$top/Kbuild" "$top"/*.rs "$top"/*.c "$top/abi" "$top/asm" "$top/stub" "$mo/"
find "$mo" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \) -delete
. "$top/scripts/versions.sh"
make -s -C "$kdir" M="$mo" LLVM=1 RUSTC="$RUSTC" RUST_LIB_SRC="$RUST_LIB_SRC" modules >&2
make -s -C "$top/userspace-test" KSRC="$kdir/source" >&2
# The Rust CLI, linked statically against glibc for the initramfs.
(cd "$top/userspace-test" &&
	RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release \
		--target x86_64-unknown-linux-gnu --bin privcmd-check >&2)

root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,modules,tests,tools,exec,etc}
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/guest-init.sh" "$root/init"
cp "$mo/rust_privcmd.ko" "$mo/xen_stub.ko" "$root/modules/"
ub=$top/userspace-test/build
# The suites run in name order.  The load/unload cycles come after the
# device's own tests and before Xen's tools, which keep the device open.
cp "$ub/device_test" "$root/tests/10-device_test"
cp "$ub/hypercall_test" "$root/tests/20-hypercall_test"
cp "$ub/hypercall_buf_test" "$root/tests/25-hypercall_buf_test"
cp "$ub/device_model_test" "$root/tests/27-device_model_test"
cp "$ub/mmap_test" "$root/tests/28-mmap_test"
cp "$ub/eventfd_test" "$root/tests/29-eventfd_test"
cp "$top/userspace-test/target/x86_64-unknown-linux-gnu/release/privcmd-check" \
	"$root/tests/30-privcmd-check"
# Fault injection walks the paths the suites before it have checked.
cp "$ub/fault_test" "$root/tests/31-fault_test"
cp "$ub/module_test" "$root/tests/80-module_test"
cp "$ub/exchange_demo" "$ub/console_demo" "$ub/hypercall_bench" "$ub/restrict_exec" \
	"$top/userspace-test/xl_guest.sh" "$top/userspace-test/xl_bench.sh" \
	"$top/userspace-test/xen_tap.sh" "$root/tools/"
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
if [ "$world" = xen ]; then
	# Xen's toolstack from Debian's packages, and the test that runs it.
	cp -a "$("$top/scripts/dom0-root.sh")"/. "$root/"
	# Not in the sanitized world: its figures are the driver's suites and
	# the fuzzer under KASAN and lockdep; the tools run in the other two.
	[ $debug = 1 ] ||
		cp "$top/userspace-test/xen_tools_test.sh" "$root/tests/90-xen_tools_test.sh"
	# The toolstack's heavy work: save, restore, migration, PVH and HVM
	# guests (QEMU as a restricted device model).
	[ $debug = 1 ] ||
		cp "$top/userspace-test/xen_guests_test.sh" "$root/tests/95-xen_guests_test.sh"
	# libxl runs a restricted QEMU as this user and kills it as the other.
	echo 'xen-qemuuser-shared:x:980:980:QEMU device models:/:/bin/false' >>"$root/etc/passwd"
	echo 'xen-qemuuser-reaper:x:981:981:QEMU device model reaper:/:/bin/false' >>"$root/etc/passwd"
	# A PV guest for xl create: the same kernel, and a busybox initramfs
	# with domu_test and the drivers it loads as a domU's privcmd (ours,
	# Linux's C one, xenfs), without their debugging information.
	mkdir -p "$root/guest" "$work/domu/bin" "$work/domu/modules"
	cp "$kdir/arch/x86/boot/bzImage" "$root/guest/bzImage"
	cp /bin/busybox "$work/domu/bin/busybox"
	cp "$top/userspace-test/domu-init.sh" "$work/domu/init"
	cp "$ub/domu_test" "$work/domu/domu_test"
	for ko in "$mo/rust_privcmd.ko" "$kdir/drivers/xen/xen-privcmd.ko" \
		"$kdir/drivers/xen/xenfs/xenfs.ko"; do
		llvm-objcopy --strip-debug "$ko" "$work/domu/modules/$(basename "$ko")"
	done
	(cd "$work/domu" && find . | cpio -o -H newc --quiet | gzip -1) >"$root/guest/initrd.gz"
	# The kernel's own modules: xenfs (/proc/xen), the C privcmd, pciback.
	cp "$kdir/drivers/xen/xenfs/xenfs.ko" "$kdir/drivers/xen/xen-privcmd.ko" \
		"$kdir/drivers/xen/xen-pciback/xen-pciback.ko" "$root/modules/"
fi
if [ "$run" = exec ]; then
	first=${exec_cmd%% *}
	if [ -f "$first" ]; then
		cp "$first" "$root/exec/"
		exec_cmd="/exec/$(basename "$first")${exec_cmd#"$first"}"
	fi
	printf '#!/bin/sh\n%s\n' "$exec_cmd" >"$root/exec/run"
	chmod +x "$root/exec/run"
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

# What of the console the user sees live: program output; kernel messages
# too in the demonstration, which is about them.
console_filter() {
	if [ "$run" = demo ]; then
		sed -n '/^@@INIT/,$p' | grep -v -E '^@@'
	else
		sed -n '/^@@INIT/,$p' | grep -v -E '^@@|\[ *[0-9]+\.[0-9]+\] '
	fi
}

# The console, in this run's own directory (runs may overlap), copied to
# last-run.log when the guest is done.
log=$work/console.log
start=$(date +%s)
set +e
cmdline="panic=-1 privcmd.run=$run privcmd.world=$world privcmd.driver=$driver privcmd.dom0=$dom0 privcmd.debug=$debug privcmd.xenstored=$xenstored"
if [ "$world" = xen ]; then
	# Debian's Xen, booted by QEMU as a multiboot kernel; our kernel is the
	# 64-bit PV (or PVH) dom0, with the initramfs as its module.
	xen=$work/xen
	gunzip -c "/boot/xen-$XEN_SERIES-amd64.gz" >"$xen"
	# dom0 may grow by 8 MiB: mmap_test borrows a frame from Xen.
	xen_args="console=com1 com1=115200,8n1 dom0_mem=512M,max:520M loglvl=all guest_loglvl=all"
	boot=(-cpu qemu64,+x2apic)
	if [ "$dom0" = pvh ]; then
		# A PVH dom0 is an HVM guest: Xen needs SVM with nested paging,
		# and an IOMMU for a PVH hardware domain.
		boot=(-machine q35 -device amd-iommu -cpu qemu64,+x2apic,+svm,+npt)
		xen_args="$xen_args dom0=pvh"
	fi
	boot+=(-kernel "$xen" -append "$xen_args"
		-initrd "$kdir/arch/x86/boot/bzImage console=hvc0 $cmdline,$work/initrd.gz")
else
	boot=(-cpu qemu64,+smap,+smep -kernel "$kdir/arch/x86/boot/bzImage"
		-initrd "$work/initrd.gz" -append "console=ttyS0 $cmdline")
fi
timeout --foreground "$timeout" "$qemu" \
	-accel tcg -smp 2 -m 1024 "${boot[@]}" \
	-nographic -no-reboot </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$log" |
	sed -n '/^@@DMESG-BEGIN/,/^@@DMESG-END/!p' | console_filter || true
qemu_status=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))

cp "$log" "$PRIVCMD_CACHE/last-run.log"
[ -z "${PRIVCMD_LOG:-}" ] || cp "$log" "$PRIVCMD_LOG"
"$top/scripts/check-log.sh" "$log" "$run" "$qemu_status" "$elapsed"
