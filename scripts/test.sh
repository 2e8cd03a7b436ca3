#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite (`make check`): set-up, the Rust crate's unit tests
# on the host, rustfmt and clippy on the modules, then every guest test in
# QEMU with the hypervisor stub.  The last line is "N passed, N failed".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$("$top/scripts/setup.sh") || { echo "0 passed, 1 failed"; exit 1; }
. "$top/scripts/versions.sh"
export KDIR=$kdir

passed=0
failed=0
step() { # <name> <command...>: one named check from an exit status
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
	else
		echo "not ok - $name"
		failed=$((failed + 1))
	fi
}

echo "# host: Rust userspace crate"
(cd "$top/userspace-test" && cargo test 2>&1) | tee "$PRIVCMD_CACHE/cargo-test.log"
read -r c_pass c_fail < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' \
	"$PRIVCMD_CACHE/cargo-test.log")
passed=$((passed + c_pass))
failed=$((failed + c_fail))
grep -q '^test result:' "$PRIVCMD_CACHE/cargo-test.log" || failed=$((failed + 1))

echo "# host: style of the kernel modules"
step "rustfmt --check on the modules" make -s -C "$top" lint-fmt KDIR="$kdir"
step "module build with CLIPPY=1 W=1 has no warnings" make -s -C "$top" lint-clippy KDIR="$kdir"

echo "# guest: QEMU with the hypervisor stub"
"$top/scripts/qemu.sh" --tests | tee "$PRIVCMD_CACHE/qemu-tests.log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$PRIVCMD_CACHE/qemu-tests.log" | tail -n 1)
if [ -n "$line" ]; then
	passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
	failed=$((failed + $(echo "$line" | cut -d' ' -f3 | tr -d ',')))
else
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
