#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 82576 features in a Linux guest (one boot, -m 1G, three igb NICs: the
# usual one on -netdev user, and A and B on one QEMU hub, each behind a
# PCIe root port of its own): EEPROM writes with ethtool -E (read back,
# checksum fixed by the driver, self-test, kept across an igb reload); the
# PTP hardware clock (ethtool -T; phc_ctl get, set, adj, freq); ptp4l with
# hardware time stamps between A and B over L2 and UDP (the slave settles
# within 10 us); interrupt moderation (ethtool -C rx-usecs 1000 / 8000 / 0,
# the RX vector's interrupt rate during a 20 MiB download); statistics
# (ethtool -S port, per-queue, broadcast, multicast and VF counters; ip -s
# link agrees); a VF's max_tx_rate (20 and 50 Mbit/s, VF -> PF TCP); jumbo
# frames PF <-> VF (MTU 9000, ping -s 8000, 5 MiB TCP each way); the PF's
# VLAN device to a VF on a port VLAN, with the NIC's VLAN stripping on and
# off; ethtool -K tso, gso, tx, rx and txvlan, each off then on around a
# 2 MiB TCP transfer (to or from the host; txvlan: A -> B on a VLAN)
# whose content is checked, with the driver's view of each packet (the
# kernel's net: trace events) and ethtool -S as evidence; ntuple, which
# Linux igb keeps off on the 82576 (a flow rule is refused), and the RSS
# redirection table (ethtool -X) putting a download on the queue asked.
# Prints every check, then "N passed, N failed"; exits 0 only if
# every expected check passed (a missing one counts as failed).
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs);
#      IGB_FEATURES_TIMEOUT (default 600 s); IGB_FEATURES_QEMU_ARGS: more
#      QEMU arguments (words), e.g. "-d guest_errors,unimp -D /tmp/q.log".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

maca=52:54:00:12:34:57 macb=52:54:00:12:34:58
expect="setup eeprom_write eeprom_selftest eeprom_reload ts_caps phc_get
        phc_set phc_adj phc_freq itr_1000 itr_8000 itr_off stats_pf
        stats_queues stats_iplink koff_tso koff_gso koff_tx koff_rx
        koff_ntuple hub stats_bcast stats_mcast ptp4l_l2
        ptp4l_udp vfs stats_vf ratelimit_20 ratelimit_50 ratelimit_off
        jumbo_ping jumbo_tcp vlan vlan_offload koff_txvlan boot"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/features.results
log=$logdir/features.log
xlog=$logdir/features-xfer.log
xport=$logdir/features-xfer.port
: > "$results"

srv_pid=''
cleanup() { [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null || true; }
trap cleanup EXIT

"$here/build-image.sh" >/dev/null

# The transfer server for the downloads (10.0.2.2:PORT in the guest).
rm -f "$xlog" "$xport"
python3 "$here/xfer-server.py" --port-file "$xport" --log "$xlog" \
    --timeout 900 --max-conn 32 &
srv_pid=$!
for _ in $(seq 50); do [ -s "$xport" ] && break; sleep 0.1; done
[ -s "$xport" ] || die "transfer server did not start"
port=$(cat "$xport")

# A and B: igb NICs on hub 1, each on a root port of its own (on one bus
# their VFs' fixed routing IDs would collide).
extra=(-m 1G
       -netdev "hubport,id=ha,hubid=1" -netdev "hubport,id=hb,hubid=1"
       -device "pcie-root-port,id=rpa,chassis=11"
       -device "pcie-root-port,id=rpb,chassis=12"
       -device "igb,bus=rpa,netdev=ha,mac=$maca"
       -device "igb,bus=rpb,netdev=hb,mac=$macb")
# shellcheck disable=SC2206  # a list of words
extra+=(${IGB_FEATURES_QEMU_ARGS:-})
igb_guest_boot feat "$log" "$results" -t "${IGB_FEATURES_TIMEOUT:-600}" \
    -a "igbtest=features igbport=$port igbmaca=$maca igbmacb=$macb" -- "${extra[@]}"
kill "$srv_pid" 2>/dev/null || true
wait "$srv_pid" 2>/dev/null || true
srv_pid=''

# shellcheck disable=SC2046,SC2086  # $expect is a list of words
igb_tally "$results" $(printf 'feat.%s ' $expect)
