#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Make $IGB_CACHE/qemu: the pristine QEMU tree without upstream's igb and
# with ours grafted in.  Idempotent and incremental: a file is rewritten only
# when its content changes, so ninja rebuilds only what we touched.
# Usage: graft.sh [--into DIR]
#   --into DIR: graft into DIR instead, a copy of the pristine tree that the
#   caller made (export-patches.sh: a git checkout of it).
set -euo pipefail
. "$(dirname "$0")/common.sh"

pristine=$("$IGB_TOP/scripts/igb/fetch-qemu.sh")
if [ "${1:-}" = --into ]; then
    [ -n "${2:-}" ] && [ -f "$2/VERSION" ] || die "--into needs a QEMU tree"
    [ "$(cat "$2/VERSION")" = "$(cat "$pristine/VERSION")" ] ||
        die "$2 is QEMU $(cat "$2/VERSION"), the pristine tree $(cat "$pristine/VERSION")"
    tree=$(cd "$2" && pwd)
else
    tree=$IGB_CACHE/qemu
    stamp="$pristine $(cat "$pristine/VERSION")"
    if [ ! -f "$tree/.igb-base" ] || [ "$(cat "$tree/.igb-base")" != "$stamp" ]; then
        log "copying $pristine to $tree"
        rm -rf "$tree" "$IGB_CACHE/build"
        cp -a "$pristine" "$tree"
        rm -f "$tree/.igb-pristine"
        echo "$stamp" > "$tree/.igb-base"
    fi
fi

# Upstream's igb, as the pristine tree has it: none of it may stay.
upstream_files() {
    (cd "$pristine" && ls hw/net/igb* tests/qtest/igb-test.c \
        tests/qtest/libqos/igb.c tests/functional/test_netdev_ethtool.py \
        2>/dev/null || true)
}

# Our files, at the paths they take in the tree.
our_files() {
    (cd "$IGB_TOP" && ls hw/net/igb*.[ch] tests/qtest/igb-test.c \
        tests/qtest/libqos/igb.c tests/qtest/libqos/igb.h \
        tests/qtest/fuzz/igb_fuzz.c \
        tests/functional/test_netdev_ethtool.py \
        docs/system/devices/igb.rst 2>/dev/null || true)
}

# Write $2 into $1 only if it differs (keeps mtimes for ninja).
put() {
    if ! cmp -s "$2" "$1"; then
        cp "$2" "$1"
        log "updated ${1#"$tree"/}"
    fi
}

ours=$(our_files)
for f in $(upstream_files) \
         $(cd "$tree" && ls hw/net/igb* tests/qtest/libqos/igb* 2>/dev/null || true); do
    case " $(echo $ours) " in *" $f "*) continue ;; esac
    [ -e "$tree/$f" ] && { rm -f "$tree/$f"; log "removed $f"; }
done
for f in $ours; do
    put "$tree/$f" "$IGB_TOP/$f"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# hw/net/meson.build: the IGB line lists our C files.
srcs=$(cd "$IGB_TOP/hw/net" && (ls igb*.c 2>/dev/null || true) | sed "s/.*/'&'/" |
       paste -sd, - | sed 's/,/, /g')
[ -n "$srcs" ] && srcs="$srcs, 'e1000x_common.c'"
awk -v srcs="$srcs" '
    /CONFIG_IGB_PCI_EXPRESS/ && /igb\.c/ {
        if (srcs != "")
            printf "system_ss.add(when: '\''CONFIG_IGB_PCI_EXPRESS'\'', if_true: files(%s))\n", srcs
        next
    }
    { print }' "$pristine/hw/net/meson.build" > "$tmp/meson.build"
put "$tree/hw/net/meson.build" "$tmp/meson.build"

# hw/net/trace-events: upstream's igb events out, ours (hw/net/igb-trace-events) in.
awk -v ours="$IGB_TOP/hw/net/igb-trace-events" '
    /^# igb(vf|_core)?\.c$/ {
        if (!done) {
            while ((getline l < ours) > 0) print l
            print ""
            done = 1
        }
        skip = 1; next
    }
    skip && /^# / { skip = 0 }
    skip { next }
    { print }' "$pristine/hw/net/trace-events" > "$tmp/trace-events"
put "$tree/hw/net/trace-events" "$tmp/trace-events"

# Tests: the qtest meson files name igb-test.c and libqos/igb.c; drop those
# lines while we do not have the file (early bring-up only).
for pair in tests/qtest/meson.build:igb-test.c tests/qtest/libqos/meson.build:igb.c; do
    mf=${pair%%:*} want=${pair#*:}
    dir=$(dirname "$mf")
    if [ -f "$IGB_TOP/$dir/$want" ]; then
        cp "$pristine/$mf" "$tmp/m"
    else
        grep -v "'$want'" "$pristine/$mf" > "$tmp/m"
    fi
    put "$tree/$mf" "$tmp/m"
done
# the igb fuzz targets (tests/qtest/fuzz/igb_fuzz.c), built with
# --enable-fuzzing only, like the fuzzer's other device targets
cp "$pristine/tests/qtest/fuzz/meson.build" "$tmp/m"
if [ -f "$IGB_TOP/tests/qtest/fuzz/igb_fuzz.c" ]; then
    awk '{ print }
         /CONFIG_VIRTIO_BLK.*virtio_blk_fuzz/ {
             print "specific_fuzz_ss.add(when: '\''CONFIG_IGB_PCI_EXPRESS'\'', if_true: files('\''igb_fuzz.c'\''))"
         }' "$pristine/tests/qtest/fuzz/meson.build" > "$tmp/m"
fi
put "$tree/tests/qtest/fuzz/meson.build" "$tmp/m"
echo "$tree"
