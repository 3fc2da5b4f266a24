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
exit $((NFAIL > 0))
