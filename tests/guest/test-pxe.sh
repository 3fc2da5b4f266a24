#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Network boot through the igb: QEMU with "-boot n" and no -kernel.  SeaBIOS
# runs the PF's option ROM (pxe-igb.rom, iPXE), iPXE drives the NIC with
# its intel driver, takes a DHCP lease from slirp and fetches by TFTP the
# bootfile, an iPXE script, and with it the test guest's kernel and
# initramfs (build-image.sh's); Linux boots and its test (igbtest=pxe)
# checks that it came up that way and that igb then works.  Also checked:
# the ROM BAR (there by default, gone with an empty romfile=), and that
# iPXE sent its frames with legacy descriptors (trace of igb_tx_desc).
# Prints every check, then "N passed, N failed"; exits 0 only if every
# expected check passed.
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

qemu=${QEMU:-$IGB_TOP/build/qemu-system-x86_64}
mac=${IGB_MAC:-52:54:00:12:34:56}
expect="rombar romfile_off rom ipxe_driver ipxe_dhcp tftp legacy_desc boot
        netboot cmdline bind mac link dhcp ping"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/pxe.results
: > "$results"
check() { # PASS|FAIL NAME DETAIL
    echo "IGBTEST $1 pxe.$2 $3" | tee -a "$results"
}

# --- the ROM BAR, seen from the monitor of a stopped q35 -------------------
# monitor DEVICE-OPTS: "info pci" and "info qtree" with one igb (no VFs)
monitor() {
    # shellcheck disable=SC2086  # QEMU_FIRMWARE_ARGS is a list of words
    printf 'info pci\ninfo qtree\nquit\n' |
        timeout 60 "$qemu" ${QEMU_FIRMWARE_ARGS:-} -M q35 -accel tcg -S \
            -display none -nodefaults -monitor stdio -netdev user,id=n0 \
            -device "igb,netdev=n0,max-vfs=0$1" 2>&1 | tr -d '\r'
}
# rom_state OUTPUT: "<romfile> <romsize> <bar6 yes|no>" of the igb
rom_state() {
    awk '/PCI device 8086:10c9/ { pci = 1; next }
         pci && /^  Bus/ { pci = 0 }
         pci && /BAR6:/ { bar = "yes" }
         /dev: igb,/ { dev = 1; next }
         dev && /dev: / { dev = 0 }
         dev && $1 == "romfile" { file = $3 }
         dev && $1 == "romsize" { size = $3 }
         END { print (file == "" ? "?" : file), (size == "" ? "?" : size),
                     (bar == "" ? "no" : bar) }'
}
state=$(monitor "" | rom_state)
if [ "$state" = '"pxe-igb.rom" 131072 yes' ]; then
    check PASS rombar "default romfile=pxe-igb.rom, ROM BAR of 128 KiB"
else
    check FAIL rombar "romfile, romsize, BAR6: $state"
fi
state=$(monitor ",romfile=" | rom_state)
if [ "$state" = '"" 4294967295 no' ]; then
    check PASS romfile_off "romfile= (empty): no ROM BAR"
else
    check FAIL romfile_off "romfile, romsize, BAR6: $state"
fi

# --- the network boot -------------------------------------------------------
mapfile -t img < <("$here/build-image.sh")
[ ${#img[@]} -eq 2 ] || die "build-image.sh failed"
tftp=$logdir/pxe-tftp
rm -rf "$tftp"
mkdir -p "$tftp"
cp "${img[0]}" "$tftp/vmlinuz"
cp "${img[1]}" "$tftp/initrd.img"
# This run's token: the guest can only have it from the script below.
token=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cat > "$tftp/boot.ipxe" <<EOS
#!ipxe
echo igb-pxe: script $token
kernel vmlinuz console=ttyS0 panic=-1 quiet igbmac=$mac igbtest=pxe igbpxe=$token
initrd initrd.img
boot
EOS
kib() { echo "$(( $(stat -c %s "$1") / 1024 ))"; }
trace=$logdir/pxe.trace
rm -f "$trace"
log="$logdir/pxe.log"
igb_guest_boot pxe "$log" "$results" -t "${IGB_PXE_TIMEOUT:-300}" -P \
    -n ",tftp=$tftp,bootfile=boot.ipxe" -- -D "$trace" -trace igb_tx_desc

# What SeaBIOS and iPXE printed on the serial console, in order.
seen() { grep -qE "$1" "$log"; }
line() { grep -m1 -oE "$1" "$log" || true; }
if seen 'iPXE \(http://ipxe\.org\) [0-9a-f:.]+ [0-9A-F]+ PCI2\.10 PnP' &&
   seen 'iPXE \(PCI [0-9a-f:.]+\) starting execution'; then
    check PASS rom "SeaBIOS ran the ROM: $(line 'iPXE \(http://ipxe\.org\) [0-9a-f:.]+ [0-9A-F]+')"
else
    check FAIL rom "no iPXE banner from the option ROM"
fi
drv=$(line "net0: $mac using [^ ]+ on [0-9a-f:.]+")
if [ -n "$drv" ]; then
    check PASS ipxe_driver "$drv"
else
    check FAIL ipxe_driver "iPXE did not bring up net0 with $mac"
fi
lease=$(line 'net0: 10\.0\.2\.15/255\.255\.255\.0 gw 10\.0\.2\.2')
if [ -n "$lease" ]; then
    check PASS ipxe_dhcp "$lease"
else
    check FAIL ipxe_dhcp "iPXE got no lease from slirp"
fi
if seen 'Filename: boot\.ipxe' && seen "igb-pxe: script $token" &&
   seen 'vmlinuz\.\.\. ok' && seen 'initrd\.img\.\.\. ok'; then
    check PASS tftp "boot.ipxe run, vmlinuz ($(kib "$tftp/vmlinuz") KiB) and initrd.img ($(kib "$tftp/initrd.img") KiB) fetched"
else
    check FAIL tftp "script, kernel or initramfs not fetched"
fi
if grep -q "^IGBTEST PASS pxe.cmdline igbpxe=$token:" "$log"; then
    check PASS netboot "the kernel runs with this run's script's command line (token $token)"
else
    check FAIL netboot "the guest did not report igbpxe=$token"
fi
# iPXE's intel driver uses legacy descriptors (DEXT, bit 29 of the command
# word, clear); Linux's igb advanced ones (DEXT set).
nleg=0 nadv=0
while read -r _ c; do
    if (( c & 0x20000000 )); then nadv=$((nadv + 1)); else nleg=$((nleg + 1)); fi
done < <(grep 'igb_tx_desc' "$trace" 2>/dev/null | grep -oE 'cmd 0x[0-9a-f]+')
if [ "$nleg" -gt 0 ] && [ "$nadv" -gt 0 ]; then
    check PASS legacy_desc "$nleg legacy TX descriptors (iPXE), then $nadv advanced (Linux)"
else
    check FAIL legacy_desc "TX descriptors: $nleg legacy, $nadv advanced"
fi

# shellcheck disable=SC2046,SC2086  # a list of words
igb_tally "$results" $(printf 'pxe.%s ' $expect)
