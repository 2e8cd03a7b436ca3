# SPDX-License-Identifier: GPL-2.0
#
# Sourced by scripts/setup.sh and scripts/qemu-backports.sh.
#
# debian_mirror: the URI of the system's own Debian archive, read from the
# system's apt configuration so that the project names no mirror.  The
# sourcing script defines die().
debian_mirror() {
	local uri
	uri=$(grep -hs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list /etc/apt/sources.list |
		grep -oE '[a-z]+://[^ ]+/debian/?( |$)' | grep -v security |
		head -n 1 | tr -d ' ') || true
	[ -n "$uri" ] || die "no Debian mirror found in the system's apt configuration"
	echo "${uri%/}"
}
