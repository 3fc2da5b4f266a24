#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest side of tests/libvirt/test-libvirt.sh: a domain started by
# libvirt with <model type='igb'/> on user networking.  The PF: igb binds,
# MAC, link, DHCP, ping; then, each step started by the host once it reads
# "IGBTEST READY <step>" on the console (a <serial type='file'>):
#   hotplug   virsh attach-interface bridge --model igb: a second igb NIC
#             appears, binds, gets link and (in a netns of its own) a lease
#             from the host's udhcpd on that bridge, pings the host and moves
#             $igbxfer bytes each way over TCP (xfer-server.py at
#             $igbbrhost:$igbport), through libvirt's tap with vnet headers;
#   unplug    virsh detach-interface: that NIC goes away;
#   shutdown  virsh shutdown: the ACPI power button is pressed (with the
#             button module loaded, counted in
#             /sys/firmware/acpi/interrupts/ff_pwr_btn); the test ends and
#             the guest powers off.
# In between, SR-IOV on the PF behind libvirt's pcie-root-port: 2 VFs bound
# to igbvf, a MAC set by the PF, VF0 in a netns: VF->host and PF<->VF pings.
# Kernel args: igbmac2= (the hot-plugged NIC's MAC), igbbrhost= (the host's
# address on the bridge), igbport=, igbxfer=.
P=libvirt.
. /igb/lib.sh
MAC2=$(echo "${igbmac2:-52:54:00:12:34:57}" | tr A-F a-f)
BRHOST=${igbbrhost:-10.9.0.1}   # the host's bridge (DHCP server, xfer-server.py)
BRNET=${BRHOST%.*}
XFER=${igbxfer:-2097152}
VFMAC=52:54:00:00:00:10 VFA=10.0.2.20 PFA=10.0.2.15
STEP_WAIT=180                   # seconds the host has for each step

# ready STEP: tell the host to go on with STEP.
ready() { echo "IGBTEST READY $1"; }
# The igb netdev (root namespace) with MAC $1.
if_by_mac() {
    for d in /sys/class/net/*; do
        [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] || continue
        drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
        [ "${drv##*/}" = igb ] && { echo "${d##*/}"; return 0; }
    done
    return 1
}
igb_pci() {     # every PCI function 8086:10c9
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10c9 ] && echo "${d##*/}"
    done
}
ns_link_up() { ip netns exec "$1" ethtool "$2" 2>/dev/null | grep -q 'Link detected: yes'; }

# --- the PF that libvirt put on a pcie-root-port -----------------------------
t_bind || exit 1
BUS=$(ethtool -i "$IF" | awk '/^bus-info:/ {print $2}')
DEV=/sys/class/net/$IF/device
# libvirt puts the NIC behind a root port: not on bus 0
case $BUS in
    0000:00:*) fail slot "$IF at $BUS, on the root bus" ;;
    *) pass slot "$IF at $BUS behind $(basename "$(readlink -f "$DEV/..")")" ;;
esac
t_mac
t_link
t_dhcp
t_ping

# --- hot-plug: virsh attach-interface bridge ... --model igb -------------------
t_hotplug() {
    before=$(igb_pci | wc -l)
    ready hotplug
    if ! wait_for $STEP_WAIT if_by_mac "$MAC2"; then
        fail hotplug "no igb netdev with MAC $MAC2 after ${STEP_WAIT}s (igb functions: $(igb_pci | tr '\n' ' '))"
        igb_dmesg; return 1
    fi
    IF2=$(if_by_mac "$MAC2")
    bus2=$(ethtool -i "$IF2" | awk '/^bus-info:/ {print $2}')
    mkdir -p /run/netns
    ip netns add hp && ip link set "$IF2" netns hp && ip netns exec hp ip link set lo up &&
        ip netns exec hp ip link set "$IF2" up ||
        { fail hotplug "cannot move $IF2 into netns hp"; return 1; }
    if ! wait_for 30 ns_link_up hp "$IF2"; then
        fail hotplug "$IF2 ($bus2): no link"; return 1
    fi
    ip netns exec hp udhcpc -i "$IF2" -f -q -n -t 8 -T 3 -s /igb/udhcpc.script \
        >/tmp/udhcpc2.log 2>&1
    a=$(ip netns exec hp ip -4 -o addr show dev "$IF2" | awk '{print $4; exit}')
    case $a in
        "$BRNET".*) ;;
        *) fail hotplug "$IF2 ($bus2): no lease from $BRHOST, address '${a:-none}'"
           show /tmp/udhcpc2.log; return 1 ;;
    esac
    if ! ip netns exec hp ping -c 3 -w 20 "$BRHOST" >/tmp/ping2.log 2>&1; then
        fail hotplug "$IF2 ($bus2): no ping to $BRHOST"; show /tmp/ping2.log; return 1
    fi
    pass hotplug "$IF2 at $bus2 (igb functions $before -> $(igb_pci | wc -l)), MAC $MAC2, link, lease $a from $BRHOST, pings it (netns hp)"
    # lib.sh's t_tcp over the bridge: libvirt's tap (vnet_hdr) takes TSO
    out=$(ip netns exec hp sh -c "P=${P}hotplug_; . /igb/lib.sh; HOST=$BRHOST; t_tcp $XFER" 2>&1)
    echo "$out"
    for t in tcp_rx tcp_tx; do
        echo "$out" | grep -q "^IGBTEST [A-Z]* ${P}hotplug_$t " || fail "hotplug_$t" "no result: $out"
    done
    NFAIL=$((NFAIL + $(echo "$out" | grep -c '^IGBTEST FAIL')))
}

# --- hot-unplug: virsh detach-interface ------------------------------------------
gone() { ! ip netns exec hp ip link show "$IF2" >/dev/null 2>&1 && [ ! -e "/sys/bus/pci/devices/$bus2" ]; }
t_unplug() {
    if [ -z "${IF2:-}" ]; then fail unplug "nothing was hot-plugged"; ready unplug; return 1; fi
    ready unplug
    if wait_for $STEP_WAIT gone; then
        pass unplug "$IF2 and $bus2 are gone (igb functions: $(igb_pci | tr '\n' ' '))"
    else
        fail unplug "$IF2 ($bus2) still there after ${STEP_WAIT}s"; igb_dmesg
    fi
}

# --- SR-IOV on the PF behind the root port ----------------------------------------
vf_if() { ls "$DEV/virtfn$1/net" 2>/dev/null | head -1; }
vf_drv() { d=$(readlink "$DEV/virtfn$1/driver" 2>/dev/null) && echo "${d##*/}"; }
vf_bdf() { d=$(readlink "$DEV/virtfn$1" 2>/dev/null) && echo "${d##*/}"; }
vfs_bound() { [ "$(vf_drv 0)" = igbvf ] && [ -n "$(vf_if 0)" ] && [ "$(vf_drv 1)" = igbvf ] && [ -n "$(vf_if 1)" ]; }
vf_mac_ok() { [ "$(cat "/sys/class/net/$(vf_if 0)/address" 2>/dev/null)" = "$VFMAC" ]; }
t_sriov() {
    tot=$(cat "$DEV/sriov_totalvfs" 2>/dev/null)
    if ! echo 2 > "$DEV/sriov_numvfs" 2>/tmp/numvfs.err; then
        fail sriov_enable "totalvfs=$tot, echo 2 > sriov_numvfs: $(cat /tmp/numvfs.err)"; igb_dmesg 15
        return 1
    fi
    ids=''
    for i in 0 1; do
        [ -e "$DEV/virtfn$i" ] && ids="$ids $(vf_bdf $i)=$(cat "$DEV/virtfn$i/vendor"):$(cat "$DEV/virtfn$i/device")"
    done
    case $ids in
        *=0x8086:0x10ca*=0x8086:0x10ca) pass sriov_enable "totalvfs=$tot numvfs=$(cat "$DEV/sriov_numvfs"):$ids" ;;
        *) fail sriov_enable "totalvfs=$tot numvfs=$(cat "$DEV/sriov_numvfs"):${ids:- no virtfn}"; igb_dmesg 15; return 1 ;;
    esac
    if wait_for 30 vfs_bound; then
        pass sriov_bind "$(vf_if 0)($(vf_drv 0)) $(vf_if 1)($(vf_drv 1))"
    else
        fail sriov_bind "VF0 $(vf_if 0)($(vf_drv 0)), VF1 $(vf_if 1)($(vf_drv 1))"; igb_dmesg 15
        return 1
    fi
    # the PF sets VF0's MAC; igbvf takes it at its next reset
    ip link set "$IF" vf 0 mac $VFMAC
    wait_for 3 vf_mac_ok || { rmmod igbvf && modprobe igbvf && wait_for 30 vfs_bound && wait_for 5 vf_mac_ok; }
    VF=$(vf_if 0)
    ip netns add vf0 && ip link set "$VF" netns vf0 && ip netns exec vf0 ip link set lo up &&
        ip netns exec vf0 ip addr add $VFA/24 dev "$VF" && ip netns exec vf0 ip link set "$VF" up &&
        ip netns exec vf0 ip route replace default via "$HOST" dev "$VF" ||
        { fail sriov_vf_host "cannot set up $VF in netns vf0"; return 1; }
    if ! wait_for 30 ns_link_up vf0 "$VF"; then
        fail sriov_vf_host "$VF: no link"; return 1
    fi
    mac=$(ip netns exec vf0 cat "/sys/class/net/$VF/address")
    if ip netns exec vf0 ping -c 3 -w 20 "$HOST" >/tmp/vfping.log 2>&1; then
        pass sriov_vf_host "$VF ($(vf_bdf 0), MAC $mac) $VFA -> $HOST 3/3"
    else
        fail sriov_vf_host "$VF ($(vf_bdf 0), MAC $mac): no answer from $HOST"; show /tmp/vfping.log 5
    fi
    if ping -c 3 -w 20 $VFA >/tmp/pfvf.log 2>&1 &&
       ip netns exec vf0 ping -c 3 -w 20 $PFA >/tmp/vfpf.log 2>&1; then
        pass sriov_pf_vf "PF $PFA <-> VF $VFA through the NIC's switch"
    else
        fail sriov_pf_vf "PF $PFA <-> VF $VFA"; show /tmp/pfvf.log 3; show /tmp/vfpf.log 3
    fi
}

# --- virsh shutdown: the ACPI power button ----------------------------------------
pwr_btn() { awk '{print $1}' /sys/firmware/acpi/interrupts/ff_pwr_btn 2>/dev/null; }
pressed() { [ "$(pwr_btn)" -gt "$btn0" ]; }
t_shutdown() {
    # the button driver enables the fixed power button event (PWRBTN_EN):
    # without it a press sets PWRBTN_STS but raises no SCI and is not counted
    modprobe button 2>/tmp/button.err
    btn0=$(pwr_btn)
    if [ -z "$btn0" ] || ! grep -q '^button ' /proc/modules; then
        fail shutdown_request "ff_pwr_btn='$btn0', button module: $(cat /tmp/button.err)"
        ready shutdown; return 1
    fi
    ready shutdown
    if wait_for $STEP_WAIT pressed; then
        pass shutdown_request "ACPI power button pressed ($btn0 -> $(pwr_btn)); powering off"
    else
        fail shutdown_request "no power button press after ${STEP_WAIT}s"
    fi
}

t_hotplug
t_unplug
t_sriov
t_shutdown
exit $((NFAIL > 0))
