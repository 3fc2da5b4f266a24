#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest-level benchmark: TCP throughput with iperf3 between a Linux guest
# (TCG) and the host, over a TAP in a network namespace made for the run,
# for our igb (PF and one VF), upstream QEMU's igb (PF and VF), e1000e and
# virtio-net, with 2 vCPUs and with 1, both directions.  Not a test: it
# prints a table (medians of the runs: Mbit/s, TCP retransmissions, guest
# CPU; ratios ours/upstream, ours/e1000e, ours/virtio-net, our VF/PF) and
# appends it to tests/bench/results/guest.txt with the per-run details.
#
# Builds both QEMUs as bench-device.sh does (upstream's once, cached in
# $IGB_CACHE/build-upstream), installs iperf3 on the host, builds the guest
# image GUEST_VARIANT=bench (iperf3, e1000e, virtio_net; cached), then runs
# tests/bench/igb_guestbench.py.  Needs root (namespace, TAP).  A full run:
# 8 guest boots, 72 iperf3 runs of 10 s, about 16 minutes; --quick: 1 run
# per cell, 2 vCPUs only, about 4 minutes.
#
# Usage: bench-guest.sh [--quick] [--no-build] [--results FILE|--no-results]
#                       [igb_guestbench.py options...]
#   --quick        one run per cell, 2 vCPUs only
#   --no-build     use the binaries as they are (no build.sh, no ninja)
#   --results FILE append the report there instead (default
#                  tests/bench/results/guest.txt); --no-results: nowhere
#   everything else goes to igb_guestbench.py (--help lists it: --models,
#   --vcpus, --runs, --time, --dirs, --no-vf, --details, ...)
# Console logs of the guests: $IGB_CACHE/guest/logs/bench-guest-*.log
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/bench-common.sh"

igb_bench_args "$IGB_TOP/tests/bench/results/guest.txt" "$@"
[ "$(id -u)" = 0 ] || die "bench-guest.sh needs root (network namespace, TAP)"

igb_need iperf3 ethtool iproute2
if [ $build != 0 ]; then
    # ours (build.sh) and upstream's igb, same tree and flags
    "$IGB_TOP/scripts/igb/bench-device.sh" --build-only
fi
mapfile -t img < <(GUEST_VARIANT=bench "$IGB_TOP/tests/guest/build-image.sh")
[ ${#img[@]} -eq 2 ] || die "the guest image (GUEST_VARIANT=bench) failed"

igb_bench_snapshot
kver=$(basename "$(dirname "${img[0]}")")

logdir=$IGB_CACHE/guest/logs
mkdir -p "$logdir"
pyargs=(--ours "$snap/qemu-ours" --upstream "$snap/qemu-upstream"
        --kernel "${img[0]}" --initrd "${img[1]}" --logdir "$logdir"
        --label "$label; guest Linux $kver")
[ -n "$results" ] && pyargs+=(--results "$results")
python3 "$IGB_TOP/tests/bench/igb_guestbench.py" "${pyargs[@]}" "${args[@]}"
