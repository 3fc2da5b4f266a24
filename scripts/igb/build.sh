#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build QEMU with our igb: deps, fetch, graft, configure (once), ninja.
# Usage: build.sh [ninja targets...]   (default: qemu-system-x86_64)
# Leaves build/qemu-system-x86_64 in the repository (a symlink into the cache).
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$IGB_TOP/scripts/igb/deps.sh"
# the PF's default option ROM, pxe-igb.rom (cached after the first run)
"$IGB_TOP/scripts/igb/build-ipxe.sh" >/dev/null
# one build at a time in the shared tree and build directory
exec 9>"$IGB_CACHE/build.lock"
flock 9
tree=$("$IGB_TOP/scripts/igb/graft.sh")
bdir=$IGB_CACHE/build

igb_configure "$bdir" "$tree" "${IGB_CONFIGURE[*]}" "${IGB_CONFIGURE[@]}"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(qemu-system-x86_64)
log "ninja ${targets[*]}"
ninja -C "$bdir" "${targets[@]}" >"$bdir/ninja.log" 2>&1 ||
    { grep -E 'error|Error|FAILED' "$bdir/ninja.log" | head -40 >&2
      tail -5 "$bdir/ninja.log" >&2; die "build failed (log: $bdir/ninja.log)"; }
igb_firmware_links "$bdir"
# build/qemu-system-x86_64 is the binary itself (not a symlink into the
# build tree), so it finds firmware through --firmwarepath like an
# installed QEMU does.
mkdir -p "$IGB_TOP/build"
ln -f "$bdir/qemu-system-x86_64" "$IGB_TOP/build/qemu-system-x86_64" 2>/dev/null ||
    cp -f "$bdir/qemu-system-x86_64" "$IGB_TOP/build/qemu-system-x86_64"
ln -sfn "$bdir" "$IGB_TOP/build/qemu-build"
log "built $IGB_TOP/build/qemu-system-x86_64"
