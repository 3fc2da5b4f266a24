#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build QEMU with our igb: deps, fetch, graft, configure (once), ninja.
# Usage: build.sh [ninja targets...]   (default: qemu-system-x86_64)
# Leaves build/qemu-system-x86_64 in the repository (a symlink into the cache).
set -euo pipefail
. "$(dirname "$0")/common.sh"

"$IGB_TOP/scripts/igb/deps.sh"
# one build at a time in the shared tree and build directory
exec 9>"$IGB_CACHE/build.lock"
flock 9
tree=$("$IGB_TOP/scripts/igb/graft.sh")
bdir=$IGB_CACHE/build

# Debian's firmware packages; libvirt cannot pass -L, so QEMU must find
# them on its own.
fwpath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
conf=(--python=/usr/bin/python3 --target-list=x86_64-softmmu
      --firmwarepath="$fwpath" --disable-docs --disable-werror
      --enable-slirp --disable-download --disable-rust
      --disable-install-blobs --enable-trace-backends=log
      --disable-gtk --disable-sdl --disable-vnc --disable-opengl
      --disable-spice --disable-curl --disable-gnutls --disable-nettle
      --disable-gcrypt --disable-libusb --disable-usb-redir
      --disable-virglrenderer --disable-xkbcommon --disable-curses
      --disable-libssh --disable-capstone --disable-fdt
      --disable-guest-agent --disable-tools --disable-xen
      --disable-vhost-user-blk-server --disable-libudev
      --disable-pa --disable-alsa --disable-jack --disable-oss
      --disable-pipewire --disable-sndio --disable-dbus-display
      --disable-linux-io-uring --disable-zstd --disable-bzip2
      --disable-lzo --disable-snappy --disable-vde --disable-netmap
      --disable-af-xdp --disable-plugins)
want="${conf[*]}"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.igb-conf" 2>/dev/null)" != "$want" ]; then
    rm -rf "$bdir"
    mkdir -p "$bdir"
    log "configuring QEMU in $bdir"
    (cd "$bdir" && "$tree/configure" "${conf[@]}" >configure.log 2>&1) ||
        { tail -30 "$bdir/configure.log" >&2; die "configure failed"; }
    echo "$want" > "$bdir/.igb-conf"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(qemu-system-x86_64)
log "ninja ${targets[*]}"
ninja -C "$bdir" "${targets[@]}" >"$bdir/ninja.log" 2>&1 ||
    { grep -E 'error|Error|FAILED' "$bdir/ninja.log" | head -40 >&2
      tail -5 "$bdir/ninja.log" >&2; die "build failed (log: $bdir/ninja.log)"; }
# A binary run from the build directory looks for firmware only inside
# qemu-bundle/: point the configured firmware directories there as well.
for d in ${fwpath//:/ }; do
    mkdir -p "$bdir/qemu-bundle$(dirname "$d")"
    [ -e "$bdir/qemu-bundle$d" ] || ln -s "$d" "$bdir/qemu-bundle$d"
done
# build/qemu-system-x86_64 is the binary itself (not a symlink into the
# build tree), so it finds firmware through --firmwarepath like an
# installed QEMU does.
mkdir -p "$IGB_TOP/build"
ln -f "$bdir/qemu-system-x86_64" "$IGB_TOP/build/qemu-system-x86_64" 2>/dev/null ||
    cp -f "$bdir/qemu-system-x86_64" "$IGB_TOP/build/qemu-system-x86_64"
ln -sfn "$bdir" "$IGB_TOP/build/qemu-build"
log "built $IGB_TOP/build/qemu-system-x86_64"
