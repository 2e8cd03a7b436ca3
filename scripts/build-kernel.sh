#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the test kernel out of tree: tinyconfig plus kernel/privcmd.config.
# Usage: scripts/build-kernel.sh <kernel source dir> <build dir>
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"
src=$1
out=$2
frag="$top/kernel/privcmd.config"
mk=(make -C "$src" O="$out" LLVM=1 RUSTC="$RUSTC" RUST_LIB_SRC="$RUST_LIB_SRC"
	BINDGEN=bindgen -j"$(nproc)")

rm -rf "$out"
mkdir -p "$out"
"${mk[@]}" rustavailable >&2
"${mk[@]}" tinyconfig >/dev/null
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m \
	-O "$out" "$out/.config" "$frag" >/dev/null
"${mk[@]}" olddefconfig >/dev/null

# Every option the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF "$want" "$out/.config"; then
		echo "[build-kernel] config: wanted '$want', got '$(grep -E "^(# )?${want%%=*}[= ]" \
			"$out/.config" | head -n 1)'" >&2
		bad=1
	fi
done < <(sed -e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/&/' "$frag")
[ $bad -eq 0 ] || { echo "[build-kernel] config fragment not satisfied" >&2; exit 1; }

start=$(date +%s)
"${mk[@]}" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 50 "$out/build.log" >&2; exit 1; }
echo "[build-kernel] built in $(($(date +%s) - start)) s" >&2
echo "$(($(date +%s) - start))" >"$out/.build-seconds"
touch "$out/.built"
