#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetches Debian's QEMU 10.0 (qemu-system-x86 from bookworm-backports) into
# the cache, with whatever of its dependencies the system does not already
# satisfy, and prints the path of a qemu-system-x86_64 that runs it:
#
#   PRIVCMD_QEMU=$(scripts/qemu-backports.sh) scripts/qemu.sh --pvh
#
# Nothing is installed into the system and its apt configuration is left
# as it is: the packages come from the suite of the same Debian mirror the
# system uses, through an apt state of the cache's own, and are unpacked
# with dpkg-deb.  Which packages are needed is apt's answer to a simulated
# install against the system's dpkg status: every package it would install
# or upgrade is unpacked beside QEMU.  Idempotent: a second run downloads
# nothing and prints the same path.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"

log() { printf '[qemu-backports] %s\n' "$*" >&2; }
die() { printf '[qemu-backports] error: %s\n' "$*" >&2; exit 1; }

SUITE=${QEMU_BPO_SUITE:-bookworm-backports}
SERIES=${QEMU_BPO_SERIES:-10.0}

. "$top/scripts/debian-mirror.sh"

# A finished unpack of this series: print its wrapper and stop.
for done_mark in "$PRIVCMD_CACHE"/qemu-"$SERIES".*/.unpacked; do
	if [ -f "$done_mark" ]; then
		echo "$(dirname "$done_mark")/qemu-system-x86_64"
		exit 0
	fi
done

# The base suite (codename of the system's release) and its backports;
# the base suite's own lists are needed so that apt can tell what the
# backport's dependencies need beyond what is installed.
base=${SUITE%-backports}
apt=$PRIVCMD_CACHE/apt-$SUITE
mirror=$(debian_mirror)
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb"
printf 'deb %s %s main\n' "$mirror" "$base" "$mirror" "$base-updates" \
	"$mirror" "$SUITE" >"$apt/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	-o "Dir::Cache::pkgcache=$apt/cache/pkgcache.bin"
	-o "Dir::Cache::srcpkgcache=$apt/cache/srcpkgcache.bin"
	-o "APT::Get::List-Cleanup=0")
log "reading $base, $base-updates and $SUITE of $mirror"
apt-get "${opts[@]}" update -q >&2 || die "cannot read the $SUITE suite of $mirror"

# The newest qemu-system-x86 of the series in the suite.
version=$(apt-cache "${opts[@]}" madison qemu-system-x86 |
	awk -F' *[|] *' -v s="$SUITE" '$3 ~ s"/" { print $2 }' |
	grep -E "^([0-9]+:)?${SERIES//./\\.}[.+~]" | head -n 1) || true
[ -n "$version" ] || die "no qemu-system-x86 $SERIES.x in $SUITE"
upstream=${version#*:}
upstream=${upstream%%[+-]*}
dir=$PRIVCMD_CACHE/qemu-$upstream
log "qemu-system-x86 $version -> $dir"

# What the system would have to install or upgrade for it (no
# recommends): QEMU's data and common files of the same version, and any
# library or firmware that the system has too old or not at all.  The
# backports suite is not preferred by default, so a dependency that only
# its version satisfies is named in the request (pkg/suite) and the
# simulation rerun, until apt finds a plan.
req=("qemu-system-x86=$version" "qemu-system-data=$version" "qemu-system-common=$version")
for _ in $(seq 1 20); do
	if plan=$(apt-get "${opts[@]}" -s -q --no-install-recommends install "${req[@]}" 2>&1); then
		break
	fi
	mapfile -t more < <(printf '%s\n' "$plan" |
		sed -n -E 's/^ *([^ ]+ : )?Depends: ([^ ]+) .* but .* is to be installed$/\2/p' | sort -u)
	[ ${#more[@]} -gt 0 ] || { printf '%s\n' "$plan" >&2; die "apt cannot resolve qemu-system-x86 $version here"; }
	for p in "${more[@]}"; do
		case " ${req[*]} " in
		*" $p/$SUITE "*) printf '%s\n' "$plan" >&2; die "$SUITE's $p does not satisfy QEMU either" ;;
		esac
		req+=("$p/$SUITE")
	done
	plan=
done
[ -n "$plan" ] || die "apt cannot resolve qemu-system-x86 $version here"
mapfile -t pkgs < <(printf '%s\n' "$plan" |
	sed -n -E 's/^Inst ([^ ]+) (\[[^]]*\] )?\(([^ ]+) .*/\1=\3/p')
[ ${#pkgs[@]} -gt 0 ] || die "apt plans nothing to install (is $version installed?)"
log "packages: ${pkgs[*]}"

rm -f "$apt/deb/"*.deb
(cd "$apt/deb" && apt-get "${opts[@]}" download -q "${pkgs[@]}" >&2) ||
	die "cannot download ${pkgs[*]}"
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
for deb in "$apt/deb/"*.deb; do
	dpkg-deb -x "$deb" "$dir.tmp"
done
printf '%s\n' "${pkgs[@]}" >"$dir.tmp/PACKAGES"
# Firmware that the data package links to another package's files
# (seabios, ipxe...): to the unpacked copy where there is one, else to the
# system's; relative links, so that the tree can be moved.
find "$dir.tmp" -type l | while read -r l; do
	t=$(readlink "$l")
	case "$t" in
	/*) abs=$t ;;
	*) abs=$(realpath -m "$(dirname "/${l#"$dir.tmp/"}")/$t") ;;
	esac
	if [ -e "$dir.tmp$abs" ] || [ -L "$dir.tmp$abs" ]; then
		ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir.tmp$abs")" "$l"
	elif [ -e "$abs" ]; then
		ln -sfn "$abs" "$l"
	fi
done

# The wrapper: the unpacked libraries first, QEMU's own modules, and the
# unpacked firmware directories (in the order of QEMU's own firmware path)
# before the system's, which QEMU searches after them.
ldirs=
for f in usr/share/qemu usr/share/seabios usr/lib/ipxe/qemu; do
	[ ! -d "$dir.tmp/$f" ] || ldirs="$ldirs -L \"\$d/$f\""
done
cat >"$dir.tmp/qemu-system-x86_64" <<EOF
#!/bin/sh
# qemu-system-x86_64 $version from $SUITE, unpacked by scripts/qemu-backports.sh.
d=\$(dirname "\$(readlink -f "\$0")")
LD_LIBRARY_PATH="\$d/usr/lib/x86_64-linux-gnu:\$d/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \\
QEMU_MODULE_DIR="\$d/usr/lib/x86_64-linux-gnu/qemu" \\
	exec "\$d/usr/bin/qemu-system-x86_64"$ldirs "\$@"
EOF
chmod +x "$dir.tmp/qemu-system-x86_64"
"$dir.tmp/qemu-system-x86_64" --version | head -n 1 >&2 ||
	die "the unpacked QEMU does not run"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
touch "$dir/.unpacked"
echo "$dir/qemu-system-x86_64"
