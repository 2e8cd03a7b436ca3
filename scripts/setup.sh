#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Sets up everything the project needs on a Debian bookworm machine, as root,
# from Debian's packages and crates.io only, and builds (or reuses) the test
# kernel.  Idempotent: a second run installs nothing and rebuilds nothing.
#
# Two kernels are built from one source: the test kernel (all debug options)
# and the Xen dom0 kernel (without those a PV dom0 cannot run).
#
# Usage: scripts/setup.sh              # everything; prints the test kernel's dir
#        scripts/setup.sh --kdir       # print the test kernel's build dir only
#        scripts/setup.sh --kdir-dom0  # print the dom0 kernel's build dir only
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
	"rustc-web" "rust-web-src" "rust-web-clippy" "rustfmt-web"
	"clang-${LLVM_VERSION}" "lld-${LLVM_VERSION}" "llvm-${LLVM_VERSION}"
	"libclang-${LLVM_VERSION}-dev"
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio xz-utils
	kmod patch python3 file qemu-system-x86 busybox-static libxen-dev
	"xen-hypervisor-${XEN_SERIES}-amd64"
)

. "$top/scripts/debian-mirror.sh"

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >&2
	local v
	v=$("$RUSTC" --version | awk '{print $2}')
	[ "$v" = "$RUST_PKG_VERSION" ] ||
		die "rustc-web is $v, expected $RUST_PKG_VERSION (scripts/versions.sh)"
}

install_bindgen() {
	local have=""
	have=$(bindgen --version 2>/dev/null | awk '{print $2}') || true
	[ "$have" = "$BINDGEN_VERSION" ] && return 0
	log "installing bindgen-cli $BINDGEN_VERSION from crates.io"
	cargo install --locked --quiet --root "$PRIVCMD_CACHE/tools" \
		bindgen-cli --version "$BINDGEN_VERSION" >&2
}

# Downloads and unpacks the kernel source package into the cache.
fetch_kernel_source() {
	local src="$PRIVCMD_CACHE/src/linux-$KERNEL_PKG_VERSION"
	if [ -f "$src/.unpacked" ]; then
		echo "$src"
		return 0
	fi
	local apt="$PRIVCMD_CACHE/apt-$KERNEL_SUITE" mirror
	mirror=$(debian_mirror)
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
	echo "deb $mirror $KERNEL_SUITE main" >"$apt/sources.list"
	local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list"
		-o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$apt/lists"
		-o "Dir::Cache=$apt/cache")
	log "fetching $KERNEL_PKG=$KERNEL_PKG_VERSION from $KERNEL_SUITE"
	apt-get "${opts[@]}" update -q >&2 ||
		die "cannot read the $KERNEL_SUITE suite of $mirror"
	(cd "$apt/deb" && apt-get "${opts[@]}" download \
		"$KERNEL_PKG=$KERNEL_PKG_VERSION" >&2) ||
		die "package $KERNEL_PKG version $KERNEL_PKG_VERSION is not in suite $KERNEL_SUITE"
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	dpkg-deb -x "$apt/deb/${KERNEL_PKG}_"*.deb "$src.tmp/pkg"
	log "unpacking kernel source"
	tar -C "$src.tmp" -xf "$src.tmp/pkg/usr/src/$KERNEL_PKG.tar.xz"
	rm -rf "$src" && mv "$src.tmp/$KERNEL_PKG" "$src" && rm -rf "$src.tmp"
	touch "$src/.unpacked"
	echo "$src"
}

# Fragments of each kernel, in merge order, and the patch of its source.
TEST_FRAGMENTS=("$top/kernel/privcmd.config" "$top/kernel/debug.config")
TEST_PATCH=$top/kernel/debug-kernel.patch
DOM0_FRAGMENTS=("$top/kernel/privcmd.config" "$top/kernel/xen-dom0.config")

# The cache key: everything that changes what a kernel build produces.
kernel_key() { # <fragment>...
	{
		echo "$KERNEL_PKG_VERSION"
		cat "$@" "$top/scripts/build-kernel.sh"
		"$RUSTC" --version 2>&1
		clang --version 2>&1 | head -n 1
		bindgen --version 2>&1
	} | sha256sum | cut -c1-16
}

kdir() { echo "$PRIVCMD_CACHE/kernel-$(kernel_key "${TEST_FRAGMENTS[@]}" "$TEST_PATCH")"; }
kdir_dom0() { echo "$PRIVCMD_CACHE/kernel-$(kernel_key "${DOM0_FRAGMENTS[@]}")"; }

# The kernel source with <patch> applied: a copy of hard links beside the
# pristine tree (patch replaces the files it changes, so the pristine tree
# stays as it is).
patched_source() { # <patch>
	local src patched
	src=$(fetch_kernel_source)
	patched=$src+$(sha256sum <"$1" | cut -c1-12)
	if [ ! -f "$patched/.unpacked" ]; then
		log "kernel: patching a copy of the source with $(basename "$1")"
		rm -rf "$patched.tmp"
		cp -al "$src" "$patched.tmp"
		patch -s -p1 -d "$patched.tmp" --no-backup-if-mismatch <"$1" >&2
		rm -rf "$patched" && mv "$patched.tmp" "$patched"
	fi
	echo "$patched"
}

# Builds the kernel of these fragments in <dir> unless it is cached there,
# from the source with <patch> applied ("-": none).
build_kernel() { # <dir> <patch> <fragment>...
	local out=$1 patch=$2 src
	shift 2
	if [ -f "$out/.built" ]; then
		log "kernel: cached in $out"
		return 0
	fi
	if [ "$patch" = - ]; then
		src=$(fetch_kernel_source)
	else
		src=$(patched_source "$patch")
	fi
	log "kernel: building in $out (20 to 40 minutes on 2 cores)"
	"$top/scripts/build-kernel.sh" "$src" "$out" "$@"
}

case "${1:-}" in
--kdir)
	kdir
	exit 0
	;;
--kdir-dom0)
	kdir_dom0
	exit 0
	;;
"") ;;
*) die "unknown option $1" ;;
esac

mkdir -p "$PRIVCMD_CACHE"
# One set-up at a time: a second one waits rather than building alongside.
exec 9>"$PRIVCMD_CACHE/.setup.lock"
flock 9
install_packages
install_bindgen
build_kernel "$(kdir)" "$TEST_PATCH" "${TEST_FRAGMENTS[@]}"
build_kernel "$(kdir_dom0)" - "${DOM0_FRAGMENTS[@]}"
kdir
