#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Put a pristine QEMU 10.0.x tree at $IGB_CACHE/qemu-src and print its path.
# QEMU_SRC=/path/to/qemu uses a tree the user supplies instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [ -n "${QEMU_SRC:-}" ]; then
    [ -f "$QEMU_SRC/VERSION" ] && [ -f "$QEMU_SRC/hw/net/meson.build" ] ||
        die "QEMU_SRC=$QEMU_SRC does not look like a QEMU source tree"
    case $(cat "$QEMU_SRC/VERSION") in
    10.0.*) ;;
    *) log "warning: QEMU_SRC is $(cat "$QEMU_SRC/VERSION"), not 10.0.x" ;;
    esac
    cd "$QEMU_SRC" && pwd
    exit 0
fi

dest=$IGB_CACHE/qemu-src
if [ -f "$dest/.igb-pristine" ]; then
    echo "$dest"
    exit 0
fi
igb_need dpkg-dev
igb_apt_setup
dl=$IGB_CACHE/dl
rm -rf "$dl" "$dest"
mkdir -p "$dl"
log "fetching Debian's qemu source package from trixie"
(cd "$dl" && igb_apt -o APT::Sandbox::User=root source qemu/trixie \
    >"$IGB_CACHE/fetch.log" 2>&1) ||
    { tail -20 "$IGB_CACHE/fetch.log" >&2; die "apt-get source qemu/trixie failed"; }
src=$(find "$dl" -maxdepth 1 -mindepth 1 -type d -name 'qemu-*' | head -n 1)
[ -n "$src" ] && [ -f "$src/VERSION" ] || die "no unpacked qemu tree in $dl"
mv "$src" "$dest"
rm -rf "$dl"
touch "$dest/.igb-pristine"
log "QEMU $(cat "$dest/VERSION") at $dest"
echo "$dest"
