#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds a test kernel out of tree: tinyconfig plus configuration fragments,
# merged in order (a later fragment overrides an earlier one).
# Usage: scripts/build-kernel.sh <kernel source dir> <build dir> <fragment>...
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/versions.sh"
src=$1
out=$2
shift 2
frags=("$@")
mk=(make -C "$src" O="$out" LLVM=1 RUSTC="$RUSTC" RUST_LIB_SRC="$RUST_LIB_SRC"
	BINDGEN=bindgen -j"$(nproc)")

rm -rf "$out"
mkdir -p "$out"
"${mk[@]}" rustavailable >&2
"${mk[@]}" tinyconfig >/dev/null
KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m \
	-O "$out" "$out/.config" "${frags[@]}" >/dev/null
"${mk[@]}" olddefconfig >/dev/null

# Every option the fragments ask for (the last word on each) must have
# survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	# "is not set" is also met by an option that no longer exists because
	# what it depends on is off.
	if ! grep -qxF "$want" "$out/.config" &&
		{ [ "${want#\# }" = "$want" ] ||
			grep -qE "^(# )?$(echo "$want" | awk '{print $2}')[= ]" "$out/.config"; }; then
		echo "[build-kernel] config: wanted '$want', got '$(grep -E "^(# )?${want%%=*}[= ]" \
			"$out/.config" | head -n 1)'" >&2
		bad=1
	fi
done < <(cat "${frags[@]}" | awk '
	/^CONFIG_/ { split($0, kv, "="); name = kv[1] }
	/^# CONFIG_.* is not set$/ { name = $2 }
	name != "" { last[name] = $0; order[++n] = name; name = "" }
	END { for (i = 1; i <= n; i++) if (!seen[order[i]]++) print last[order[i]] }')
[ $bad -eq 0 ] || { echo "[build-kernel] config fragment not satisfied" >&2; exit 1; }

start=$(date +%s)
"${mk[@]}" bzImage modules >"$out/build.log" 2>&1 ||
	{ tail -n 50 "$out/build.log" >&2; exit 1; }
echo "[build-kernel] built in $(($(date +%s) - start)) s" >&2
echo "$(($(date +%s) - start))" >"$out/.build-seconds"
touch "$out/.built"
