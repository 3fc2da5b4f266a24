#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A soak (not part of make check): one guest (-m 1G) with the PF and two
# VFs, each in a network namespace, runs rounds of mixed traffic for
# SOAK_MINUTES (default 30): TCP across the device's switch with 9000-byte
# MTUs, over a guest-tagged VLAN, VF<->host through slirp, jumbo pings,
# offloads switched every round; every transfer's content is checked, a
# round that does not end in 180 s is a stall, error counters must stay 0.
# Then igbvf is reloaded 5 times and igb 3 times.  Guest RAM is
# preallocated (-mem-prealloc), so the QEMU process's RSS (sampled every
# 30 s) grows only with QEMU's own memory: after the first quarter of the
# run it must not grow by more than 5% + 16 MiB ("memory" check).
# Samples go to $IGB_TEST_LOGDIR/soak-rss.txt.
# Prints every check, then "N passed, N failed".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

min=${SOAK_MINUTES:-30}
expect="sriov.pf sriov.enable sriov.bind sriov.vfmac sriov.netns sriov.pfns
        sriov.soak sriov.reloads soak.boot soak.memory"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/soak.results log=$logdir/soak.log rss=$logdir/soak-rss.txt
xlog=$logdir/soak-xfer.log xport=$logdir/soak-xfer.port
: > "$results"
rm -f "$xlog" "$xport"
: > "$rss"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$here/build-image.sh" >/dev/null
python3 "$here/xfer-server.py" --port-file "$xport" --log "$xlog" \
    --timeout $((min * 60 + 1800)) --max-conn 100000 &
pids+=($!)
for _ in $(seq 50); do [ -s "$xport" ] && break; sleep 0.1; done
[ -s "$xport" ] || die "transfer server did not start"
port=$(cat "$xport")

name=igbsoak-$$
(   t0=$SECONDS
    while sleep 30; do
        pid=''
        for p in $(pgrep -f -- "-name $name"); do
            [ "$(cat "/proc/$p/comm" 2>/dev/null)" = qemu-system-x86 ] && pid=$p
        done
        [ -n "$pid" ] || continue
        echo "$((SECONDS - t0)) $(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')" >> "$rss"
    done ) &
pids+=($!)

igb_guest_boot soak "$log" "$results" -t $((min * 60 + 1200)) \
    -a "igbtest=sriov igbsoak=$min igbport=$port" -- -m 1G -mem-prealloc -name "$name"

# RSS after the first quarter (guest RAM being touched for the first time
# is not growth) against the end
awk -v q=$((min * 15)) '$2 != "" && $1 >= q { if (!n++) first = $2; last = $2
                                              if ($2 > max) max = $2 }
    END { if (!n) { print "FAIL no samples"; exit }
          lim = first * 1.05 + 16384
          printf "%s %d samples from %d s: %d -> %d KiB (max %d, limit %d)\n",
                 (max <= lim ? "PASS" : "FAIL"), n, q, first, last, max, lim }' "$rss" |
    { read -r st rest; echo "IGBTEST $st soak.memory QEMU RSS $rest"; } | tee -a "$results"

# shellcheck disable=SC2086  # $expect is a list of words
igb_tally "$results" $expect
