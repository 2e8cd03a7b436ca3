#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds (or reuses) the files of a Xen dom0's toolstack for the test
# initramfs: Debian's xen-utils-4.17, the Xen libraries it needs, and
# qemu-system-xen (the device model, at /usr/libexec/xen-qemu-system-i386),
# unpacked with dpkg-deb, plus the host's shared libraries that their
# programs link against.  Cached by package versions; prints the directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"

PACKAGES=(
	"xen-utils-$XEN_SERIES" xen-utils-common libxencall1 libxendevicemodel1
	libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
	"libxenmisc$XEN_SERIES" libxenstore4 libxentoolcore1 libxentoollog1 libyajl2
	xenstore-utils
	# QEMU as an HVM guest's device model, its ROMs and SeaBIOS.
	qemu-system-xen qemu-system-data seabios
)

versions=$(apt-cache policy "${PACKAGES[@]}" | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
key=$(echo "$versions" | cat - "$0" | sha256sum | cut -c1-16)
out=$PRIVCMD_CACHE/dom0-root-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

rm -rf "$out" "$out.debs" && mkdir -p "$out" "$out.debs"
(cd "$out.debs" && apt-get download -q "${PACKAGES[@]}" >&2)
for deb in "$out.debs"/*.deb; do
	dpkg-deb -x "$deb" "$out"
done
rm -rf "$out.debs"

# The host's libraries for every ELF program and library unpacked above.
mkdir -p "$out/lib64" "$out/usr/lib/x86_64-linux-gnu"
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib64/"
# glibc loads libgcc_s at run time (pthread_cancel), unseen by ldd.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$out/usr/lib/x86_64-linux-gnu/"
find "$out" -type f \( -perm -u+x -o -name '*.so*' \) -print0 |
	xargs -0 file | grep -E 'ELF 64-bit' | cut -d: -f1 |
	while read -r elf; do
		LD_LIBRARY_PATH="$out/usr/lib/x86_64-linux-gnu:$out/usr/lib/xen-$XEN_SERIES/lib" \
			ldd "$elf" 2>/dev/null | awk '/=> \// { print $3 }'
	done | sort -u | while read -r lib; do
		case "$lib" in "$out"/*) continue ;; esac
		cp -Ln "$lib" "$out/usr/lib/x86_64-linux-gnu/"
	done
# /var/run is /run, as on Debian: xenstored's socket is in /var/run/xenstored.
mkdir -p "$out/var/lib/xen" "$out/var/lib/xenstored" "$out/var/log/xen" \
	"$out/run/xen" "$out/run/xenstored"
rm -rf "$out/var/run"
ln -s ../run "$out/var/run"
touch "$out/.done"
echo "$out"
