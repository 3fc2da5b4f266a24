#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live migration of a Linux guest using the PF and two VFs (-m 1G): the
# guest (sriov.sh with igbmig=1) brings up 2 VFs, each in a network
# namespace, the PF in a third; starts three TCP transfers across the NIC's
# switch (PF->VF0, VF1->PF, VF0->VF1) and prints "IGBTEST READY migrate".
# migrate.py then migrates it over a UNIX socket to a second QEMU started
# with -incoming, which runs the rest: the transfers end there with their
# content hashed, then pings PF/VFs<->host and TCP VF0<->host (slirp of the
# destination, xfer-server.py here).  Host checks: the migration completed,
# the transfers' result came from the destination (they were in flight at
# the switch-over), the destination's guest ran to the end.
# Prints every check, then "N passed, N failed".
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); IGB_TEST_LOGDIR;
#      IGB_MIGRATE_BYTES (each transfer, default 64 MiB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

xfer=2097152
bytes=${IGB_MIGRATE_BYTES:-67108864}
expect="sriov.pf sriov.enable sriov.bind sriov.vfmac sriov.netns sriov.pfns
        sriov.migrate_tcp sriov.after sriov.tcp_rx sriov.tcp_tx
        migrate.migrated migrate.in_flight migrate.boot"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/migrate.results
slog=$logdir/migrate-src.log dlog=$logdir/migrate-dst.log
mlog=$logdir/migrate-qmp.log xlog=$logdir/migrate-xfer.log
xport=$logdir/migrate-xfer.port
sock=$logdir/migrate.sock qmp=$logdir/migrate-src.qmp
: > "$results"
rm -f "$slog" "$dlog" "$mlog" "$xlog" "$xport" "$sock" "$qmp"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$here/build-image.sh" >/dev/null
python3 "$here/xfer-server.py" --port-file "$xport" --log "$xlog" \
    --timeout 1200 --max-conn 8 &
pids+=($!)
for _ in $(seq 50); do [ -s "$xport" ] && break; sleep 0.1; done
[ -s "$xport" ] || die "transfer server did not start"
port=$(cat "$xport")

# the same machine twice; the destination waits for the state
guest=(-a "igbtest=sriov igbmig=1 igbport=$port igbxfer=$xfer igbmigbytes=$bytes"
       -- -m 1G)
t0=$SECONDS
log "destination QEMU (log $dlog), waiting on $sock"
"$here/run-guest.sh" -t 1500 "${guest[@]}" -incoming "unix:$sock" 2>&1 |
    stdbuf -oL tr -d '\r' > "$dlog" &
dst_pid=$!
pids+=($dst_pid)
python3 "$here/migrate.py" --log "$slog" --wait-for 'IGBTEST READY migrate' \
    --qmp "$qmp" --uri "unix:$sock" --timeout 1200 > "$mlog" 2>&1 &
mig_pid=$!
pids+=($mig_pid)
log "source QEMU (log $slog)"
"$here/run-guest.sh" -t 1200 "${guest[@]}" -qmp "unix:$qmp,server=on,wait=off" 2>&1 |
    stdbuf -oL tr -d '\r' > "$slog" || true
mrc=0; wait "$mig_pid" || mrc=$?
drc=0; wait "$dst_pid" || drc=$?

grep -ahoE 'IGBTEST (PASS|FAIL) .*' "$slog" "$dlog" | tee -a "$results"
mline=$(grep -a '^MIGRATE' "$mlog" | tail -1 || true)
if [ $mrc = 0 ]; then
    echo "IGBTEST PASS migrate.migrated $mline"
else
    echo "IGBTEST FAIL migrate.migrated rc=$mrc: ${mline:-$(tail -3 "$mlog")}"
fi | tee -a "$results"
# the transfers were still running when the destination took over
if grep -aq 'IGBTEST PASS sriov.migrate_tcp' "$dlog" &&
   ! grep -aq 'IGBTEST .* sriov.migrate_tcp' "$slog"; then
    echo "IGBTEST PASS migrate.in_flight the transfers finished on the destination"
else
    echo "IGBTEST FAIL migrate.in_flight source: '$(grep -a 'sriov.migrate_tcp' "$slog" | head -1)', destination: '$(grep -a 'sriov.migrate_tcp' "$dlog" | head -1)'"
fi | tee -a "$results"
if [ $drc = 0 ] && grep -aq '^IGBTEST DONE' "$dlog"; then
    echo "IGBTEST PASS migrate.boot $((SECONDS - t0))s, the destination's guest ran to the end"
else
    echo "IGBTEST FAIL migrate.boot destination rc=$drc after $((SECONDS - t0))s"
    tail -n 25 "$dlog" | sed -e 's/^/    | /' -e '$a\'
fi | tee -a "$results"

# shellcheck disable=SC2086  # $expect is a list of words
igb_tally "$results" $expect
