#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A readable tour of the NIC for demo.sh.
P=demo.
. /igb/lib.sh
step() { echo; echo "==> $*"; }
step "PCI device and driver"
t_bind || exit 1
ethtool -i "$IF" | sed 's/^/    /'
step "MAC address"
t_mac
step "Link"
t_link
ethtool "$IF" | grep -E 'Speed|Duplex|Auto-negotiation|Link detected' | sed 's/^/    /'
step "DHCP from QEMU's user network"
t_dhcp
ip addr show dev "$IF" | sed 's/^/    /'
step "Ping the host side (10.0.2.2)"
ping -c 3 -w 20 "$HOST" | sed 's/^/    /'
t_ping
step "TCP transfer, 1 MiB each way, checked by sha256"
t_tcp 1048576
step "Interface counters"
ip -s link show dev "$IF" | sed 's/^/    /'

# SR-IOV: a VF in its own network namespace, so its traffic crosses the
# NIC's internal switch (to the PF) or goes out of the NIC (to the host).
DEV=/sys/class/net/$IF/device
VFADDR=10.0.2.20
vf_netdev() { ls "$DEV/virtfn0/net" 2>/dev/null | head -1; }
vf_link() { ip netns exec vf0 ethtool "$1" 2>/dev/null | grep -q 'Link detected: yes'; }
step "SR-IOV: 2 virtual functions (sriov_totalvfs=$(cat "$DEV/sriov_totalvfs"))"
if echo 2 > "$DEV/sriov_numvfs" && wait_for 20 vf_netdev; then
    lspci_vfs=$(for v in "$DEV"/virtfn*; do
                    echo "$(readlink "$v" | sed 's|.*/||') $(cat "$v/vendor"):$(cat "$v/device") driver $(readlink "$v/driver" | sed 's|.*/||')"
                done)
    echo "$lspci_vfs" | sed 's/^/    /'
    # the PF assigns the VF's MAC; igbvf takes it at its next reset
    ip link set "$IF" vf 0 mac 52:54:00:00:00:10
    rmmod igbvf && modprobe igbvf && wait_for 20 vf_netdev
    VF=$(vf_netdev)
    ip link show "$IF" | sed 's/^/    /'
    mkdir -p /run/netns
    ip netns add vf0 && ip link set "$VF" netns vf0 &&
        ip netns exec vf0 ip addr add $VFADDR/24 dev "$VF" &&
        ip netns exec vf0 ip link set "$VF" up &&
        ip netns exec vf0 ip route add default via "$HOST"
    wait_for 30 vf_link "$VF"
    echo "    VF $VF in netns vf0: $(ip netns exec vf0 ethtool -i "$VF" | grep driver)," \
         "MAC $(ip netns exec vf0 cat /sys/class/net/"$VF"/address), $VFADDR"
    PFADDR=$(ip -4 -o addr show dev "$IF" | awk '{ split($4, a, "/"); print a[1] }')
    step "VF -> host (through the NIC to QEMU's user network)"
    ip netns exec vf0 ping -c 3 -w 20 "$HOST" > /tmp/vfping.log
    rc=$?
    sed 's/^/    /' /tmp/vfping.log
    [ $rc = 0 ] && pass vf_host || fail vf_host "no answer from $HOST"
    step "PF -> VF (switched inside the NIC)"
    ping -c 3 -w 20 $VFADDR > /tmp/pfping.log
    rc=$?
    sed 's/^/    /' /tmp/pfping.log
    if [ $rc = 0 ] && ip netns exec vf0 ping -c 1 -w 10 "$PFADDR" >/dev/null; then
        pass pf_vf
    else
        fail pf_vf "no answer between $PFADDR and $VFADDR"
    fi
else
    fail vf_enable "cannot enable VFs: $(dmesg | tail -3)"
fi
exit $((NFAIL > 0))
