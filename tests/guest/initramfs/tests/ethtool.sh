#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ethtool's offline self-test, for tests/functional/test_netdev_ethtool.py:
# on the PF as it comes up (MSI-X, or INTx with pci=nomsi), then, with
# igbvfs=N on the kernel command line, again with N VFs enabled and bound
# to igbvf.
P=ethtool.
. /igb/lib.sh

# offline NAME: ethtool -t offline passes and every result is 0
offline() {
    ethtool -t "$IF" offline >/tmp/et.log 2>&1
    rc=$?
    sed 's/^/    | /' /tmp/et.log
    bad=$(awk '/line\)|offline\)/ && $NF != 0 {print $1}' /tmp/et.log | tr '\n' ' ')
    n=$(grep -cE 'line\)|offline\)' /tmp/et.log)
    if [ $rc = 0 ] && grep -q 'The test result is PASS' /tmp/et.log &&
       [ "$n" = 5 ] && [ -z "$bad" ]; then
        pass "$1" "$IF: ethtool -t offline PASS, $n results 0 ($(irq_mode))"
    else
        fail "$1" "$IF: ethtool -t offline rc=$rc, $n results, failed: ${bad:-none}"
    fi
}

irq_mode() {
    grep -q "$IF-TxRx-0\|$IF-rx-0" /proc/interrupts && { echo MSI-X; return; }
    grep -q "PCI-MSI.*$IF" /proc/interrupts && { echo MSI; return; }
    echo INTx
}

vf_count() {
    for d in /sys/class/net/*/device/driver; do readlink "$d"; done 2>/dev/null |
        grep -c '/igbvf$'
}
vfs_ready() { [ "$(vf_count)" -ge "$igbvfs" ]; }

t_bind || exit 1
ip link set "$IF" up
wait_for 30 link_up "$IF" || say "no link before the test: $(link_desc "$IF")"
offline pf

if [ "${igbvfs:-0}" -gt 0 ]; then
    if echo "$igbvfs" > "/sys/class/net/$IF/device/sriov_numvfs" &&
       wait_for 30 vfs_ready; then
        pass vfs "$igbvfs VFs bound to igbvf"
    else
        fail vfs "$(vf_count) of $igbvfs VFs bound to igbvf"; igb_dmesg
    fi
    offline pf_vfs
fi
exit $((NFAIL > 0))
