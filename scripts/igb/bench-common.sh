# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034  # build, results, args, label: for the caller
# Shared by bench-device.sh and bench-guest.sh.  Sourced, after common.sh.

# igb_bench_args RESULTS ARGS...: our options; sets build (0: no build,
# 1: build, 2: build only), results (the file, or empty) and args (the
# rest, for the Python driver).
igb_bench_args() {
    build=1 results=$1 args=()
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --no-build) build=0 ;;
        --build-only) build=2 ;;
        --results) results=$2; shift ;;
        --no-results) results= ;;
        *) args+=("$1") ;;
        esac
        shift
    done
}

# igb_bench_snapshot: copies of both QEMUs in $snap (others may rebuild
# while we measure; the copies find their firmware through the configured
# --firmwarepath), removed on exit; sets label: the QEMU release, our
# commit (and a hash of hw/net if it differs from it) and our binary's hash.
igb_bench_snapshot() {
    local ours=$IGB_CACHE/build/qemu-system-x86_64
    local up=$IGB_CACHE/build-upstream/qemu-system-x86_64
    local src=$IGB_CACHE/qemu-upstream commit qver deb

    [ -x "$ours" ] || die "no $ours (run without --no-build)"
    [ -x "$up" ] || die "no $up (run without --no-build)"
    snap=$(mktemp -d /tmp/igb-bench.XXXXXX)
    trap 'rm -rf "$snap"' EXIT
    cp "$ours" "$snap/qemu-ours"
    cp "$up" "$snap/qemu-upstream"

    commit=$(cd "$IGB_TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [ "$commit" != unknown ] &&
       [ -n "$(cd "$IGB_TOP" && git status --porcelain -- hw/net 2>/dev/null)" ]; then
        commit="$commit+dirty(hw/net $(cat "$IGB_TOP"/hw/net/* | sha256sum | cut -c1-10))"
    fi
    commit="$commit, binary $(sha256sum "$snap/qemu-ours" | cut -c1-10)"
    qver=$(cat "$src/VERSION" 2>/dev/null || echo unknown)
    deb=$(sed -n '1s/^qemu (\([^)]*\)).*/\1/p' "$src/debian/changelog" 2>/dev/null || true)
    [ -n "$deb" ] && qver="$qver (Debian $deb)"
    label="QEMU $qver, igb commit $commit"
}
