#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot the igb test guest under TCG with one igb NIC on -netdev user.
# Usage: run-guest.sh [-t SECS] [-l LOG] [-a KERNEL_ARGS]... [-n NETDEV_OPTS]
#                     [-N NETDEV] [-d DEVICE_OPTS] [-i] [-P]
#                     [-- EXTRA_QEMU_ARGS...]
#   -t  timeout in seconds (default $IGB_GUEST_TIMEOUT or 240; 0 = none)
#   -l  also write the serial console to LOG
#   -a  kernel command-line words, e.g. "igbtest=pf pci=nomsi"
#   -n  appended to "-netdev user,id=n0", e.g. ",hostfwd=tcp::2222-:22"
#   -N  the whole -netdev instead of "user,id=n0" (keep id=n0), e.g.
#       "dgram,id=n0,local.type=unix,local.path=A,remote.type=unix,remote.path=B"
#   -d  appended to "-device igb,netdev=n0,mac=$IGB_MAC", e.g. ",bus=rp0"
#   -i  interactive: console on this terminal, igbtest=shell, no timeout
#   -P  network boot: no -kernel/-initrd/-append but -boot n; the kernel
#       comes through the igb's option ROM (-n ",tftp=DIR,bootfile=F")
# Env: QEMU (default build/qemu-system-x86_64), QEMU_FIRMWARE_ARGS (e.g.
#      "-L /usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu"),
#      IGB_MAC (default 52:54:00:12:34:56), GUEST_VARIANT and the other
#      settings of build-image.sh (which image: "dpdk" for test-dpdk.sh).
# Exits with QEMU's status (0 after the guest powers off), 124 on timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

qemu=${QEMU:-$top/build/qemu-system-x86_64}
mac=${IGB_MAC:-52:54:00:12:34:56}
timeout=${IGB_GUEST_TIMEOUT:-240}
logf='' netopts='' netdev='user,id=n0' devopts='' interactive=0 pxe=0 kargs=()
while getopts t:l:a:n:N:d:iP o; do
    case $o in
        t) timeout=$OPTARG ;;
        l) logf=$OPTARG ;;
        a) kargs+=("$OPTARG") ;;
        n) netopts=$OPTARG ;;
        N) netdev=$OPTARG ;;
        d) devopts=$OPTARG ;;
        i) interactive=1 ;;
        P) pxe=1 ;;
        *) sed -n '3,22s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ -x "$qemu" ] || { echo "run-guest: no QEMU at $qemu (set QEMU=...)" >&2; exit 2; }

if [ $pxe = 1 ]; then
    # with nothing to boot SeaBIOS resets after 1 s, and -no-reboot ends QEMU
    boot=(-boot order=n,reboot-timeout=1000)
else
    mapfile -t img < <("$here/build-image.sh")
    [ ${#img[@]} -eq 2 ] || { echo "run-guest: build-image.sh failed" >&2; exit 2; }
fi

append="console=ttyS0 panic=-1 quiet igbmac=$mac ${kargs[*]}"
if [ $interactive = 1 ]; then
    case " $append " in *" igbtest="*) ;; *) append+=" igbtest=shell" ;; esac
    timeout=0
fi
[ $pxe = 1 ] || boot=(-kernel "${img[0]}" -initrd "${img[1]}" -append "$append")
# shellcheck disable=SC2206  # QEMU_FIRMWARE_ARGS is a list of words
cmd=("$qemu" ${QEMU_FIRMWARE_ARGS:-} -accel tcg -M q35 -m 512M -smp 2
     -nographic -no-reboot
     "${boot[@]}"
     -netdev "$netdev$netopts" -device "igb,netdev=n0,mac=$mac$devopts"
     "$@")

if [ $interactive = 1 ]; then
    echo "run-guest: Ctrl-A x quits QEMU" >&2
    exec "${cmd[@]}"
fi
[ "$timeout" = 0 ] || cmd=(timeout -k 10 "$timeout" "${cmd[@]}")
set +e
if [ -n "$logf" ]; then
    "${cmd[@]}" </dev/null 2>&1 | tee "$logf"
    rc=${PIPESTATUS[0]}
else
    "${cmd[@]}" </dev/null 2>&1
    rc=$?
fi
[ $rc = 124 ] && echo "run-guest: timed out after ${timeout}s" >&2
exit $rc
