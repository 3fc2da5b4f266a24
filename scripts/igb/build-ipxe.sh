#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The igb's option ROM: iPXE for PCI 8086:10C9, a legacy BIOS (PCI 2.1+)
# ROM that SeaBIOS runs to boot over the network.  Installs it as
# $IGB_FWDIR/pxe-igb.rom, the first directory of the built QEMU's firmware
# path (common.sh), where the device's default romfile finds it.  Cached:
# a second run does nothing (--force makes it again).
#
# Where the ROM comes from, in this order:
#  1. Debian's ipxe source package (apt-get source ipxe, trixie then
#     bookworm): "make bin/808610c9.rom" with CONFIG=qemu, the settings
#     QEMU's own NIC ROMs are built with.  IGB_IPXE_SOURCE=0 skips this.
#  2. When that source cannot be fetched or does not build: Debian's build
#     of the same iPXE driver, ipxe-qemu's pxe-e1000e.rom.  That ROM holds
#     iPXE's "intel" driver, whose PCI table lists the 82576 (8086:10C9);
#     only its PCI data structure names 8086:10D3, so the device ID there is
#     set to 10C9 and the image checksum made good again.
# Either way the result is checked: one x86 legacy image, signature,
# checksum, PCIR vendor/device 8086:10C9.  Prints the ROM's path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

force=0
[ "${1:-}" = --force ] && force=1
rom=$IGB_FWDIR/pxe-igb.rom
info=$rom.info
mkdir -p "$IGB_FWDIR"
exec 7>"$IGB_CACHE/ipxe.lock"
flock 7

igb_need ipxe-qemu python3
base=/usr/lib/ipxe/qemu/pxe-e1000e.rom
# What the result depends on: this script and Debian's iPXE ROMs.
key=$( { cat "$0"; dpkg-query -W ipxe-qemu; echo "${IGB_IPXE_SOURCE:-1}"; } |
       sha256sum | cut -d' ' -f1)
if [ $force = 0 ] && [ -f "$rom" ] && [ "$(head -1 "$info" 2>/dev/null)" = "$key" ]; then
    echo "$rom"
    exit 0
fi

# rom_tool check|retarget IN [OUT]: check that IN is one x86 legacy PCI ROM
# image for 8086:10C9 (check), or write IN with its PCIR device ID set to
# 10C9 and its checksum fixed to OUT (retarget).
rom_tool() {
    python3 - "$@" <<'EOF'
import struct, sys
op, src = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())
def die(msg):
    sys.exit('%s: %s' % (src, msg))
if len(b) < 0x1c or b[0:2] != b'\x55\xaa':
    die('no 55AA ROM signature')
size = b[2] * 512
if size == 0 or size > len(b):
    die('image size %d, file %d bytes' % (size, len(b)))
p = struct.unpack_from('<H', b, 0x18)[0]
if p + 0x18 > size or b[p:p + 4] != b'PCIR':
    die('no PCI data structure')
ven, dev = struct.unpack_from('<HH', b, p + 4)
if ven != 0x8086:
    die('vendor %04x' % ven)
if b[p + 0x14] != 0:
    die('code type %d, not x86 legacy' % b[p + 0x14])
if op == 'retarget':
    struct.pack_into('<H', b, p + 6, 0x10c9)
    # offset 6 is iPXE's checksum byte (romprefix.S)
    b[6] = (b[6] - sum(b[:size])) & 0xff
    b = b[:size]
    open(sys.argv[3], 'wb').write(b)
    dev = 0x10c9
if dev != 0x10c9:
    die('device %04x' % dev)
if sum(b[:size]) & 0xff:
    die('bad checksum')
print('%d bytes, PCIR 8086:%04x, %s image' %
      (size, dev, 'last' if b[p + 0x15] & 0x80 else 'more than one'))
EOF
}

# from_source TMPROM: build it from Debian's ipxe source package.
from_source() {
    local dl=$IGB_CACHE/ipxe-src s tree
    igb_need dpkg-dev build-essential liblzma-dev
    igb_apt_setup
    rm -rf "$dl"
    mkdir -p "$dl"
    for s in trixie bookworm; do
        log "fetching Debian's ipxe source package ($s)"
        if (cd "$dl" && igb_apt -o APT::Sandbox::User=root source "ipxe/$s") \
               >"$IGB_CACHE/ipxe-fetch.log" 2>&1; then
            break
        fi
        log "apt-get source ipxe/$s: $(grep -m1 -E '^E: ' "$IGB_CACHE/ipxe-fetch.log" || echo failed)"
        rm -rf "${dl:?}"/*
    done
    tree=$(find "$dl" -maxdepth 1 -mindepth 1 -type d -name 'ipxe-*' | head -n 1)
    [ -n "$tree" ] && [ -f "$tree/src/Makefile" ] || return 1
    log "building bin/808610c9.rom in $tree/src"
    make -C "$tree/src" -j"$(nproc)" CONFIG=qemu NO_WERROR=1 bin/808610c9.rom \
        >"$IGB_CACHE/ipxe-build.log" 2>&1 ||
        { tail -15 "$IGB_CACHE/ipxe-build.log" >&2; return 1; }
    cp "$tree/src/bin/808610c9.rom" "$1" || return 1
    echo "built from Debian's ipxe source package, $(basename "$tree"), CONFIG=qemu"
}

t0=$EPOCHREALTIME
tmp=$rom.new
rm -f "$tmp"
how=
if [ "${IGB_IPXE_SOURCE:-1}" != 0 ]; then
    if ! how=$(from_source "$tmp") || ! rom_tool check "$tmp" >/dev/null; then
        how=
        log "no usable iPXE built from source; using Debian's built iPXE instead"
    fi
fi
if [ -z "$how" ]; then
    rom_tool retarget "$base" "$tmp" >/dev/null || die "cannot retarget $base"
    how="Debian's $base ($(dpkg-query -W -f='${Package} ${Version}' ipxe-qemu)), iPXE's intel driver, PCIR device ID set to 10c9"
fi
checked=$(rom_tool check "$tmp") || die "the ROM made is not usable"
mv -f "$tmp" "$rom"
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
printf '%s\n%s\n%s\n' "$key" "$how" "$checked" > "$info"
log "pxe-igb.rom: $checked; $how (${secs}s)"
echo "$rom"
