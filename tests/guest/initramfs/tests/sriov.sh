#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The SR-IOV checks (test-sriov.sh): 7 VFs enumerate and bind to igbvf;
# then 2 VFs, MACs set by the PF, each VF in a network namespace of its
# own; ping PF<->VF, VF<->VF and VF->host through the NIC's switch, TCP
# host<->VF, the VF's link, igbvf reload, and the PF after the VFs go.
# Kernel args: igbport= (xfer-server.py), igbxfer= (bytes, default 5 MiB).
P=sriov.
. /igb/lib.sh
NVF=7
XFER=${igbxfer:-5242880}
MAC0=52:54:00:00:00:10 MAC1=52:54:00:00:00:11
A0=10.0.2.20 A1=10.0.2.21 PFA=10.0.2.15

nsx() { ns=$1; shift; ip netns exec "$ns" "$@"; }
# pings NAME NS DEST: 3 echo requests from namespace NS ("-" = the root
# one) to DEST, all answered; the summary goes to $PING_SUM.
pings() {
    if [ "$2" = - ]; then
        ping -c 3 -w 20 "$3" >"/tmp/ping-$1.log" 2>&1
    else
        nsx "$2" ping -c 3 -w 20 "$3" >"/tmp/ping-$1.log" 2>&1
    fi
    PING_SUM=$(grep -E 'packets transmitted' "/tmp/ping-$1.log")
    case $PING_SUM in
        "3 packets transmitted, 3 packets received"*) return 0 ;;
    esac
    [ -n "$PING_SUM" ] || PING_SUM="no ping summary: $(tail -1 "/tmp/ping-$1.log")"
    return 1
}
rtt() { grep -o 'min/avg/max = [0-9./]*' "/tmp/ping-$1.log" | cut -d' ' -f3; }

# The netdev of VF $1 (in the root namespace), if igbvf has bound it.
vf_if() { ls "$DEV/virtfn$1/net" 2>/dev/null | head -1; }
vf_drv() { d=$(readlink "$DEV/virtfn$1/driver" 2>/dev/null) && echo "${d##*/}"; }
vf_bdf() { d=$(readlink "$DEV/virtfn$1" 2>/dev/null) && echo "${d##*/}"; }
# all_bound N: VFs 0..N-1 each have igbvf and a netdev.
all_bound() {
    i=0
    while [ "$i" -lt "$1" ]; do
        [ "$(vf_drv "$i")" = igbvf ] && [ -n "$(vf_if "$i")" ] || return 1
        i=$((i + 1))
    done
}
# Every PCI function with ID 8086:10ca.
vf_pci() {
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10ca ] && echo "${d##*/}"
    done
}
# The kernel's recent igb/igbvf messages, indented (after a failure).
vf_dmesg() { dmesg | grep -iE 'igbvf|igb 0000|VF' | tail -n "${1:-20}" | sed 's/^/    | /'; }
set_numvfs() { echo "$1" > "$DEV/sriov_numvfs" 2>/tmp/numvfs.err; }
pf_ready() { wait_for 30 link_up "$IF"; }
vf_link_up() { nsx "$1" ethtool "$2" 2>/dev/null | grep -q 'Link detected: yes'; }

# vf_to_ns VFIDX NS ADDR: move the VF's netdev into NS (made if needed),
# address it, bring it up with a default route via the host, wait for
# its link.  Sets VFIF.
vf_to_ns() {
    VFIF=$(vf_if "$1")
    [ -n "$VFIF" ] || { SETUP_ERR="VF $1 has no netdev"; return 1; }
    [ -e "/run/netns/$2" ] || ip netns add "$2" ||
        { SETUP_ERR="ip netns add $2 failed"; return 1; }
    ip link set "$VFIF" netns "$2" ||
        { SETUP_ERR="cannot move $VFIF into netns $2"; return 1; }
    nsx "$2" ip link set lo up
    nsx "$2" ip addr add "$3/24" dev "$VFIF" &&
        nsx "$2" ip link set "$VFIF" up &&
        nsx "$2" ip route replace default via "$HOST" dev "$VFIF" ||
        { SETUP_ERR="cannot configure $VFIF in $2"; return 1; }
    wait_for 30 vf_link_up "$2" "$VFIF" ||
        { SETUP_ERR="$VFIF in $2: no link after 30 s"; return 1; }
}

# --- the PF: bound, link, DHCP, ping --------------------------------------
t_pf() {
    if ! wait_for 20 igb_if; then fail pf "no netdev bound to igb"; igb_dmesg; return 1; fi
    IF=$(igb_if)
    DEV=/sys/class/net/$IF/device
    ip link set "$IF" up
    if ! pf_ready; then fail pf "$IF: no link: $(link_desc "$IF")"; return 1; fi
    if ! t_dhcp _ >/dev/null; then fail pf "$IF: no DHCP lease"; show /tmp/udhcpc.log; return 1; fi
    if ! t_ping _ >/dev/null; then fail pf "$IF: no ping"; show /tmp/ping.log; return 1; fi
    pass pf "$IF bus=$(basename "$(readlink "$DEV")") lease $(ip4 "$IF"), ping ok, $(awk '/MemTotal/ {print $2 / 1024 " MiB"}' /proc/meminfo)"
}

# --- 7 VFs: enumerate, bind ----------------------------------------------
t_enable() {
    tot=$(cat "$DEV/sriov_totalvfs" 2>/dev/null)
    case $tot in
        7|8) ;;
        *) fail enable "sriov_totalvfs='$tot'"; return 1 ;;
    esac
    t0=$(uptime_cs)
    if ! set_numvfs $NVF; then
        fail enable "echo $NVF > sriov_numvfs: $(cat /tmp/numvfs.err)"; igb_dmesg; return 1
    fi
    t1=$(uptime_cs)
    num=$(cat "$DEV/sriov_numvfs")
    n=0 bad='' bdfs=''
    i=0
    while [ $i -lt $NVF ]; do
        if [ -e "$DEV/virtfn$i" ]; then
            id=$(cat "$DEV/virtfn$i/vendor"):$(cat "$DEV/virtfn$i/device")
            [ "$id" = 0x8086:0x10ca ] && n=$((n + 1)) || bad="$bad virtfn$i=$id"
            bdfs="$bdfs $(vf_bdf $i)"
        else
            bad="$bad virtfn$i=missing"
        fi
        i=$((i + 1))
    done
    onbus=$(vf_pci | wc -l)
    if [ "$num" = $NVF ] && [ $n = $NVF ] && [ "$onbus" = $NVF ] && [ -z "$bad" ]; then
        bar0=$(awk 'NR == 1 {print $1; exit}' "$DEV/virtfn0/resource")
        pass enable "totalvfs=$tot numvfs=$num, $n x 8086:10ca at$bdfs, VF0 BAR0 at $bar0 ($(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s)"
    else
        fail enable "totalvfs=$tot numvfs=$num, 8086:10ca virtfns=$n on bus=$onbus$bad"
        igb_dmesg 15
        return 1
    fi
}

t_bind() {
    wait_for 30 all_bound $NVF
    n=0 s=''
    i=0
    while [ $i -lt $NVF ]; do
        drv=$(vf_drv $i) nd=$(vf_if $i)
        [ "$drv" = igbvf ] && [ -n "$nd" ] && n=$((n + 1))
        s="$s ${nd:-none}(${drv:-unbound})"
        i=$((i + 1))
    done
    if [ $n = $NVF ]; then
        pass bind "$n VFs bound to igbvf:$s"
    else
        fail bind "$n of $NVF VFs bound with a netdev:$s"
        vf_dmesg
    fi
}

# --- 7 -> 0 -> 2 VFs --------------------------------------------------------
t_renum() {
    if ! set_numvfs 0; then fail renum "echo 0: $(cat /tmp/numvfs.err)"; return 1; fi
    left=$(vf_pci | wc -l)
    if ! set_numvfs 2; then fail renum "echo 2: $(cat /tmp/numvfs.err)"; return 1; fi
    if ! wait_for 30 all_bound 2; then
        fail renum "VFs 0/1 not bound: $(vf_if 0)($(vf_drv 0)) $(vf_if 1)($(vf_drv 1))"; return 1
    fi
    if [ "$left" = 0 ] && [ "$(cat "$DEV/sriov_numvfs")" = 2 ] &&
       [ "$(vf_pci | wc -l)" = 2 ] && pf_ready; then
        pass renum "7 -> 0 (no VF left) -> 2: $(vf_if 0) $(vf_if 1)"
    else
        fail renum "VFs left after 0: $left; now numvfs=$(cat "$DEV/sriov_numvfs") on bus $(vf_pci | wc -l); PF $(link_desc "$IF")"
        return 1
    fi
}

# --- MACs set by the PF -----------------------------------------------------
vf_macs_ok() {
    [ "$(cat "/sys/class/net/$(vf_if 0)/address" 2>/dev/null)" = $MAC0 ] &&
        [ "$(cat "/sys/class/net/$(vf_if 1)/address" 2>/dev/null)" = $MAC1 ]
}
t_vfmac() {
    old="$(vf_if 0)=$(cat "/sys/class/net/$(vf_if 0)/address") $(vf_if 1)=$(cat "/sys/class/net/$(vf_if 1)/address")"
    if ! ip link set "$IF" vf 0 mac $MAC0 || ! ip link set "$IF" vf 1 mac $MAC1; then
        fail vfmac "ip link set $IF vf N mac failed"; return 1
    fi
    lst=$(ip link show "$IF")
    listed=0
    echo "$lst" | grep -q "vf 0 .*link/ether $MAC0" && echo "$lst" | grep -q "vf 1 .*link/ether $MAC1" && listed=1
    how="without a VF reset"
    if ! wait_for 3 vf_macs_ok; then
        # igbvf learns a MAC set by the PF only at its next reset.
        how="after reloading igbvf"
        rmmod igbvf && modprobe igbvf && wait_for 30 all_bound 2 && wait_for 5 vf_macs_ok
    fi
    now="$(vf_if 0)=$(cat "/sys/class/net/$(vf_if 0)/address" 2>/dev/null) $(vf_if 1)=$(cat "/sys/class/net/$(vf_if 1)/address" 2>/dev/null)"
    if vf_macs_ok && [ $listed = 1 ]; then
        pass vfmac "$now ($how; before: $old); ip link show $IF lists both"
    else
        fail vfmac "VF netdevs: $now (before: $old, $how); ip link show lists them: $listed"
        echo "$lst" | sed 's/^/    | /'
        vf_dmesg
        return 1
    fi
}

# --- each VF in a namespace of its own ---------------------------------------
t_netns() {
    SETUP_ERR=''
    if vf_to_ns 0 vf0 $A0; then VF0=$VFIF; else fail netns "$SETUP_ERR"; vf_dmesg; return 1; fi
    if vf_to_ns 1 vf1 $A1; then VF1=$VFIF; else fail netns "$SETUP_ERR"; vf_dmesg; return 1; fi
    pass netns "vf0: $VF0 $A0, vf1: $VF1 $A1, default via $HOST"
}

t_vflink() {
    d0=$(nsx vf0 ethtool "$VF0" 2>&1 | awk -F': ' '/Speed:|Duplex:|Link detected:/ {
        gsub(/[\t ]/, "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " }')
    d1=$(nsx vf1 ethtool "$VF1" 2>&1 | grep -o 'Link detected: [a-z]*')
    drv=$(nsx vf0 ethtool -i "$VF0" 2>&1 | awk '/^driver:/ {print $2}')
    case "$d0|$d1|$drv" in
        *"Linkdetected=yes|Link detected: yes|igbvf")
            pass vflink "$VF0 ($drv): $d0; $VF1: ${d1#Link detected: }" ;;
        *) fail vflink "$VF0 ($drv): $d0; $VF1: $d1" ;;
    esac
}

t_pf_vf() {
    if pings pf_vf0 - $A0; then r1="PF->$A0 $(rtt pf_vf0)"; else
        fail pf_vf "PF -> VF0 $A0: $PING_SUM"; show /tmp/ping-pf_vf0.log 5; return 1; fi
    if pings vf0_pf vf0 $PFA; then
        pass pf_vf "$r1, VF0->$PFA $(rtt vf0_pf)"
    else
        fail pf_vf "VF0 -> PF $PFA: $PING_SUM ($r1 worked)"; show /tmp/ping-vf0_pf.log 5
    fi
}

t_vf_vf() {
    if pings vf0_vf1 vf0 $A1; then r1="VF0->$A1 $(rtt vf0_vf1)"; else
        fail vf_vf "VF0 -> VF1 $A1: $PING_SUM"; show /tmp/ping-vf0_vf1.log 5; return 1; fi
    if pings vf1_vf0 vf1 $A0; then
        pass vf_vf "$r1, VF1->$A0 $(rtt vf1_vf0)"
    else
        fail vf_vf "VF1 -> VF0 $A0: $PING_SUM ($r1 worked)"; show /tmp/ping-vf1_vf0.log 5
    fi
}

t_vf_host() {
    if pings vf0_host vf0 "$HOST"; then r1="VF0->$HOST $(rtt vf0_host)"; else
        fail vf_host "VF0 -> $HOST: $PING_SUM"; show /tmp/ping-vf0_host.log 5; return 1; fi
    if pings vf1_host vf1 "$HOST"; then
        pass vf_host "$r1, VF1->$HOST $(rtt vf1_host)"
    else
        fail vf_host "VF1 -> $HOST: $PING_SUM ($r1 worked)"; show /tmp/ping-vf1_host.log 5
    fi
}

# lib.sh's t_tcp, run in namespace vf0: sriov.tcp_rx and sriov.tcp_tx.
t_vf_tcp() {
    out=$(nsx vf0 sh -c "P=$P; . /igb/lib.sh; t_tcp $XFER" 2>&1)
    echo "$out" | grep -q 'IGBTEST PASS sriov.tcp_rx' || {
        echo "$out" | grep -q 'IGBTEST FAIL sriov.tcp_rx' || fail tcp_rx "no result: $out"; }
    echo "$out" | grep -q 'IGBTEST PASS sriov.tcp_tx' || {
        echo "$out" | grep -q 'IGBTEST FAIL sriov.tcp_tx' || fail tcp_tx "no result: $out"; }
    echo "$out"
    NFAIL=$((NFAIL + $(echo "$out" | grep -c '^IGBTEST FAIL')))
}

# --- igbvf unloaded and loaded again -----------------------------------------
t_vfreload() {
    if ! rmmod igbvf; then fail vfreload "rmmod igbvf failed"; return 1; fi
    gone=$(nsx vf0 ip -o link show 2>/dev/null | grep -vc ': lo:')
    if [ "$gone" != 0 ] || [ -n "$(vf_if 0)" ]; then
        fail vfreload "VF netdev still there after rmmod"; return 1
    fi
    if ! modprobe igbvf; then fail vfreload "modprobe igbvf failed"; return 1; fi
    if ! wait_for 30 all_bound 2; then fail vfreload "VFs not bound again"; return 1; fi
    mac=$(cat "/sys/class/net/$(vf_if 0)/address")
    SETUP_ERR=''
    if ! vf_to_ns 0 vf0 $A0; then fail vfreload "$SETUP_ERR"; return 1; fi
    VF0=$VFIF
    if ! pings vf0_host2 vf0 "$HOST"; then
        fail vfreload "VF0 -> $HOST: $PING_SUM"; show /tmp/ping-vf0_host2.log 5; return 1
    fi
    if ! pings vf0_pf2 vf0 $PFA; then
        fail vfreload "VF0 -> PF $PFA: $PING_SUM"; show /tmp/ping-vf0_pf2.log 5; return 1
    fi
    if [ "$mac" = $MAC0 ]; then
        pass vfreload "$VF0 back with MAC $mac, link, pings $HOST and $PFA"
    else
        fail vfreload "$VF0 back with MAC $mac, not $MAC0 (pings work)"
    fi
}

# --- VFs off: the PF goes on ---------------------------------------------------
t_disable() {
    if ! set_numvfs 0; then fail disable "echo 0: $(cat /tmp/numvfs.err)"; return 1; fi
    num=$(cat "$DEV/sriov_numvfs") left=$(vf_pci | wc -l)
    vfl=$(ip link show "$IF" | grep -c ' vf [0-9]')
    if ! pf_ready; then fail disable "PF: no link: $(link_desc "$IF")"; return 1; fi
    if ! t_ping _ >/dev/null; then fail disable "PF: no ping"; show /tmp/ping.log; return 1; fi
    if [ "$num" = 0 ] && [ "$left" = 0 ] && [ "$vfl" = 0 ]; then
        pass disable "numvfs=0, no VF on the bus, PF $(ip4 "$IF") pings $HOST"
    else
        fail disable "numvfs=$num, $left VFs on the bus, $vfl vf lines in ip link (PF pings)"
    fi
}

T0=$(uptime_cs)
step() { say "$1 at $(( ($(uptime_cs) - T0) / 100 ))s"; }
step pf;      t_pf || exit 1
step enable;  t_enable || exit 1
step bind;    t_bind
# Without 2 working VFs in their namespaces the VF checks cannot run (they
# are reported missing), but the PF must still survive disabling SR-IOV.
step renum
if t_renum; then
    step vfmac;   t_vfmac
    step netns
    if t_netns; then
        step vflink;   t_vflink
        step pf_vf;    t_pf_vf
        step vf_vf;    t_vf_vf
        step vf_host;  t_vf_host
        step tcp;      t_vf_tcp
        step vfreload; t_vfreload
    fi
fi
step disable; t_disable
step end
exit $((NFAIL > 0))
