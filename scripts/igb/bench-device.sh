#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Device-level benchmark: our igb against upstream QEMU's igb, no guest CPU.
#
# Builds (once, cached) upstream's igb: QEMU from the same pristine tree
# with the same configure flags, in $IGB_CACHE/build-upstream; makes sure
# ours is built (build.sh); then runs tests/bench/igb_devbench.py against
# both binaries: instructions per frame under callgrind, frames/s without
# it.  Prints a table and appends it to tests/bench/results/device.txt.
#
# Usage: bench-device.sh [--no-build] [--results FILE|--no-results]
#                        [igb_devbench.py options...]
#   --no-build     use the binaries as they are (no build.sh, no ninja)
#   --build-only   build both and stop
#   --results FILE append the table there instead (default
#                  tests/bench/results/device.txt); --no-results: nowhere
#   everything else goes to igb_devbench.py (--help lists it: --cases,
#   --frames, --batches, --no-wall, --no-callgrind, --keep-dumps DIR, ...)
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/bench-common.sh"

igb_bench_args "$IGB_TOP/tests/bench/results/device.txt" "$@"

command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
    igb_need valgrind

# Upstream's igb: the pristine tree, copied (the pristine tree is shared and
# stays untouched; meson may write into a source tree's subprojects/),
# configured with our flags, built out of tree.  One build at a time.
upstream_build() {
    local pristine src bdir stamp
    pristine=$("$IGB_TOP/scripts/igb/fetch-qemu.sh")
    src=$IGB_CACHE/qemu-upstream
    bdir=$IGB_CACHE/build-upstream
    exec 8>"$IGB_CACHE/build-upstream.lock"
    flock 8
    stamp="$pristine $(cat "$pristine/VERSION")"
    if [ ! -f "$src/.igb-base" ] || [ "$(cat "$src/.igb-base")" != "$stamp" ]; then
        log "copying $pristine to $src (upstream's igb, untouched)"
        rm -rf "$src" "$bdir"
        cp -a "$pristine" "$src"
        rm -f "$src/.igb-pristine"
        echo "$stamp" > "$src/.igb-base"
    fi
    [ -f "$src/hw/net/igb_core.c" ] || die "$src has no upstream igb"
    igb_configure "$bdir" "$src" "${IGB_CONFIGURE[*]}" "${IGB_CONFIGURE[@]}"
    if ! ninja -C "$bdir" -n qemu-system-x86_64 2>/dev/null |
            grep -q 'no work to do'; then
        log "building upstream's igb QEMU in $bdir (once; several minutes)"
    fi
    ninja -C "$bdir" qemu-system-x86_64 >"$bdir/ninja.log" 2>&1 ||
        { grep -E 'error|FAILED' "$bdir/ninja.log" | head -20 >&2
          die "upstream build failed (log: $bdir/ninja.log)"; }
    igb_firmware_links "$bdir"
    flock -u 8
}

if [ $build != 0 ]; then
    "$IGB_TOP/scripts/igb/build.sh" qemu-system-x86_64
    upstream_build
    [ $build = 2 ] && exit 0
fi

igb_bench_snapshot
if [ "$(cat "$IGB_CACHE/build/.igb-conf" 2>/dev/null)" != \
     "$(cat "$IGB_CACHE/build-upstream/.igb-conf" 2>/dev/null)" ]; then
    log "warning: the two builds were configured with different flags"
fi

pyargs=(--ours "$snap/qemu-ours" --upstream "$snap/qemu-upstream"
        --label "$label")
[ -n "$results" ] && pyargs+=(--results "$results")
python3 "$IGB_TOP/tests/bench/igb_devbench.py" "${pyargs[@]}" "${args[@]}"
