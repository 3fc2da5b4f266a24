#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Show the igb NIC working in a Linux guest: driver, MAC, link, DHCP
# address, ping and a small checked TCP transfer, then power off.
# Usage: demo.sh [--interactive]   (--interactive: a shell on the serial
#        console instead; Ctrl-A x quits)
# Env: QEMU, QEMU_FIRMWARE_ARGS, as for run-guest.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"

qemu=${QEMU:-$IGB_TOP/build/qemu-system-x86_64}
if [ "${1:-}" = --interactive ]; then
    exec "$here/run-guest.sh" -i
fi
"$here/build-image.sh" >/dev/null
work=$(mktemp -d)
srv_pid=
trap '[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null; rm -rf "$work"' EXIT
python3 "$here/xfer-server.py" --port-file "$work/port" --log "$work/xfer.log" \
    --timeout 400 --max-conn 4 &
srv_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done

echo "QEMU: $qemu ($("$qemu" --version | head -1))"
echo "NIC:  -device igb,netdev=n0,mac=${IGB_MAC:-52:54:00:12:34:56} on -netdev user"
echo "Booting the guest under TCG (about a minute)..."
t0=$SECONDS
set +e
"$here/run-guest.sh" -a "igbtest=demo igbport=$(cat "$work/port")" 2>&1 |
    tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |
    sed -u -n '/^igb guest:/,$p'
rc=${PIPESTATUS[0]}
set -e
echo
echo "Host side of the transfers: $(tr '\n' ';' < "$work/xfer.log" 2>/dev/null)"
echo "Guest ran for $((SECONDS - t0)) s, QEMU exit status $rc"
exit "$rc"
