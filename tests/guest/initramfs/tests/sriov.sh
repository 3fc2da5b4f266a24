#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The SR-IOV checks (test-sriov.sh): RSS on the PF; 7 VFs enumerate and
# bind to igbvf, also after 3 rounds of 7 -> 0 -> 7; then 2 VFs, MACs set
# by the PF, each VF in a network namespace of its own; ping PF<->VF,
# VF<->VF and VF->host through the NIC's switch, TCP host<->VF (VF-initiated
# and, through a hostfwd, host-initiated), the VF's link, igbvf reload;
# the PF in a namespace of its own: pings, RSS with VFs, broadcast ARP to
# every pool, port VLAN, spoofchk, trust, VF link state; igb reloaded with
# VFs on; the PF after the VFs go.
# Kernel args: igbport= (xfer-server.py), igbxfer= (bytes, default 5 MiB),
# igbext=1 (the host connects to $A0:$EXTPORT once "IGBTEST READY ext" is
# printed: xfer-client.py).
P=sriov.
. /igb/lib.sh
NVF=7
XFER=${igbxfer:-5242880}
MAC0=52:54:00:00:00:10 MAC1=52:54:00:00:00:11
A0=10.0.2.20 A1=10.0.2.21 PFA=10.0.2.15
EXTPORT=7001                    # the VF0 end of the host-initiated transfer
VLAN=100 PFV=10.0.100.1 VFV=10.0.100.20     # the port VLAN and its subnet
MACMV=52:54:00:00:00:99 AMV=10.0.2.29       # a macvlan on VF0 (spoofing)
PFNS=''                         # the PF's namespace ('' = the root one)

# nsx NS CMD...: run CMD in namespace NS ("-" = the root one).
nsx() { ns=$1; shift; if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi; }
# pings NAME NS DEST: 3 echo requests (0.2 s apart) from namespace NS
# ("-" = the root one) to DEST, all answered; the summary goes to $PING_SUM.
pings() {
    nsx "$2" ping -c 3 -i 0.2 -w 20 "$3" >"/tmp/ping-$1.log" 2>&1
    PING_SUM=$(grep -E 'packets transmitted' "/tmp/ping-$1.log")
    case $PING_SUM in
        "3 packets transmitted, 3 packets received"*) return 0 ;;
    esac
    [ -n "$PING_SUM" ] || PING_SUM="no ping summary: $(tail -1 "/tmp/ping-$1.log")"
    return 1
}
# reach NS DEST: one echo request from NS to DEST answered within 1 s.
reach() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
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
# pfx CMD...: run CMD in the PF's namespace.
pfx() { if [ -n "$PFNS" ]; then ip netns exec "$PFNS" "$@"; else "$@"; fi; }
pf_link_up() { pfx ethtool "$IF" 2>/dev/null | grep -q 'Link detected: yes'; }
pf_ready() { wait_for 30 pf_link_up; }
pf_desc() {
    pfx ethtool "$IF" 2>/dev/null | awk -F': ' '/Speed:|Duplex:|Link detected:/ {
        gsub(/[\t ]/, "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " }'
}
# The "vf N" line of ip link show for the PF.
vf_line() { pfx ip link show "$IF" | grep "^ *vf $1 "; }
# no_answer NAME NS DEST: echo requests from NS to DEST all go unanswered
# (3 of them; busybox's ping then waits -W 3 s, not its default 10 s).
no_answer() {
    nsx "$2" ping -c 3 -i 0.5 -W 3 -w 5 "$3" >"/tmp/ping-$1.log" 2>&1
    PING_SUM=$(grep -E 'packets transmitted' "/tmp/ping-$1.log")
    case $PING_SUM in *" 0 packets received"*) return 0 ;; esac
    return 1
}
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
    DEV=$(readlink -f "/sys/class/net/$IF/device")
    ip link set "$IF" up
    if ! pf_ready; then fail pf "$IF: no link: $(pf_desc)"; return 1; fi
    if ! t_dhcp _ >/dev/null; then fail pf "$IF: no DHCP lease"; show /tmp/udhcpc.log; return 1; fi
    if ! t_ping _ >/dev/null; then fail pf "$IF: no ping"; show /tmp/ping.log; return 1; fi
    pass pf "$IF bus=${DEV##*/} lease $(ip4 "$IF"), ping ok, $(awk '/MemTotal/ {print $2 / 1024 " MiB"}' /proc/meminfo)"
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
        fail renum "VFs left after 0: $left; now numvfs=$(cat "$DEV/sriov_numvfs") on bus $(vf_pci | wc -l); PF $(pf_desc)"
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

# --- RSS: TCP flows to the PF spread over its RX queues ---------------------
# The PF's per-queue RX packet counters: "N count" lines.
rxq() {
    pfx ethtool -S "$IF" 2>/dev/null | awk -F': *' '$1 ~ /rx_queue_[0-9]+_packets$/ {
        q = $1; sub(/.*rx_queue_/, "", q); sub(/_packets$/, "", q); print q, $2 }'
}
# t_rss NAME BASE: 16 downloads of 64 KiB from xfer-server.py, each a TCP
# flow of its own, into the PF; at least two RX queues must each take a
# flow's worth of packets (30+).  The flows' local ports are pinned (the
# ephemeral range narrowed to one port per connect): BASE and BASE with one
# of bits 0..14 flipped.  The Toeplitz hash is linear in its input, so with
# the driver's random key each flipped bit moves the queue-selecting hash
# bit with probability 1/2, independently: all 16 flows land on one queue
# with probability 2^-15.  Left to the kernel, 16 connects take 16
# neighbouring even ports (5 bits vary), one queue in 32 boots (seen in CI).
t_rss() {
    name=$1 base=$2 nflow=16 size=65536
    if [ -z "${igbport:-}" ]; then fail "$name" "no igbport= on the kernel command line"; return 1; fi
    range=$(pfx cat /proc/sys/net/ipv4/ip_local_port_range | tr -s '\t ' '  ')
    rxq > /tmp/rss.before
    nq=$(wc -l < /tmp/rss.before)
    t0=$(uptime_cs)
    i=0 ok=0 ports=''
    while [ $i -lt $nflow ]; do
        port=$base
        [ $i -gt 0 ] && port=$((base ^ (1 << (i - 1))))
        ports="$ports $port"
        pfx sh -c "echo '$port $port' > /proc/sys/net/ipv4/ip_local_port_range &&
            echo 'GET $size' | timeout 30 nc $HOST $igbport" > /tmp/rss.rx 2>/dev/null
        [ "$(wc -c < /tmp/rss.rx)" = $size ] && ok=$((ok + 1))
        i=$((i + 1))
    done
    t1=$(uptime_cs)
    pfx sh -c "echo '$range' > /proc/sys/net/ipv4/ip_local_port_range"
    rxq > /tmp/rss.after
    d=$(awk 'NR == FNR { b[$1] = $2; next } { printf "q%s+%d ", $1, $2 - b[$1] }' /tmp/rss.before /tmp/rss.after)
    busy=$(awk 'NR == FNR { b[$1] = $2; next } $2 - b[$1] >= 30 { n++ } END { print n + 0 }' /tmp/rss.before /tmp/rss.after)
    how="$ok/$nflow flows of $size bytes in $(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s; $nq RX queues: ${d% }"
    if [ $ok = $nflow ] && [ "$busy" -ge 2 ]; then
        pass "$name" "$how"
    else
        fail "$name" "$how ($busy queues with 30+ packets, want 2+; local ports$ports)"
    fi
}

# --- 7 -> 0 -> 7 VFs, three times --------------------------------------------
t_renum_loop() {
    r=1 times=''
    while [ $r -le 3 ]; do
        t0=$(uptime_cs)
        if ! set_numvfs 0; then fail renum_loop "round $r: echo 0: $(cat /tmp/numvfs.err)"; return 1; fi
        left=$(vf_pci | wc -l)
        if [ "$left" != 0 ]; then fail renum_loop "round $r: $left VFs left after 0"; return 1; fi
        if ! set_numvfs $NVF; then
            fail renum_loop "round $r: echo $NVF: $(cat /tmp/numvfs.err)"; vf_dmesg; return 1; fi
        if ! wait_for 60 all_bound $NVF; then
            s='' i=0
            while [ $i -lt $NVF ]; do s="$s $(vf_if $i)($(vf_drv $i))"; i=$((i + 1)); done
            fail renum_loop "round $r: not all $NVF VFs bound:$s"; vf_dmesg; return 1
        fi
        t1=$(uptime_cs)
        times="$times $(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s"
        r=$((r + 1))
    done
    if ! pf_ready || ! pings renum_loop - "$HOST"; then
        fail renum_loop "PF after the rounds: $(pf_desc); ping: $PING_SUM"; return 1
    fi
    pass renum_loop "3 x ($NVF -> 0 -> $NVF), all $NVF VFs bound to igbvf each time ($(echo $times | sed 's/ /, /g')); PF pings $HOST"
}

# --- host -> VF0: a TCP connection from the host, through a hostfwd ---------
ext_listening() { nsx vf0 netstat -ltn 2>/dev/null | grep -q ":$EXTPORT "; }
ext_done() { [ -f /tmp/ext.log ] && [ "$(wc -l < /tmp/ext.log)" -ge 2 ]; }
t_ext() {
    if [ "${igbext:-}" != 1 ]; then
        fail ext_in "no igbext=1 on the kernel command line"
        fail ext_out "no igbext=1 on the kernel command line"; return 1
    fi
    rm -f /tmp/ext.log
    /usr/sbin/ip netns exec vf0 nc -ll -p $EXTPORT -e /igb/xfer-handler.sh >/tmp/ext-nc.log 2>&1 &
    ncpid=$!
    if ! wait_for 10 ext_listening; then
        fail ext_in "nc -l on $A0:$EXTPORT in vf0 does not listen"; show /tmp/ext-nc.log
        fail ext_out "nc -l on $A0:$EXTPORT in vf0 does not listen"
        kill $ncpid 2>/dev/null; return 1
    fi
    t0=$(uptime_cs)
    echo "IGBTEST READY ext $A0:$EXTPORT"
    wait_for 120 ext_done
    t1=$(uptime_cs)
    kill $ncpid 2>/dev/null; wait $ncpid 2>/dev/null
    took="$(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s"
    want=$(gen "$XFER" | sha256sum | cut -d' ' -f1)
    put=$(grep '^PUT ' /tmp/ext.log 2>/dev/null | tail -1)
    get=$(grep '^GET ' /tmp/ext.log 2>/dev/null | tail -1)
    if [ "$put" = "PUT $XFER $XFER $want OK" ]; then
        pass ext_in "host -> $A0:$EXTPORT (hostfwd), VF0 got bytes=$XFER sha256=$want ($took for both)"
    else
        fail ext_in "VF0 logged '${put:-nothing}', want $XFER bytes sha256=$want"
        show /tmp/ext.log 4; show /tmp/ext-nc.log 4
    fi
    if [ "$get" = "GET $XFER $want" ]; then
        pass ext_out "$A0:$EXTPORT -> host (connection from the host), VF0 sent bytes=$XFER sha256=$want"
    else
        fail ext_out "VF0 logged '${get:-nothing}', want GET $XFER $want"
    fi
}

# --- the PF in a namespace of its own ------------------------------------------
t_pfns() {
    if [ -n "$(vf_if 1)" ]; then   # igbvf's reload brought VF1 back here
        SETUP_ERR=''
        if vf_to_ns 1 vf1 $A1; then VF1=$VFIF; else fail pfns "$SETUP_ERR"; return 1; fi
    fi
    [ -e /run/netns/pf ] || ip netns add pf
    if ! ip link set "$IF" netns pf; then fail pfns "cannot move $IF into netns pf"; return 1; fi
    PFNS=pf
    pfx ip link set lo up
    pfx ip addr add $PFA/24 dev "$IF" && pfx ip link set "$IF" up &&
        pfx ip route replace default via "$HOST" dev "$IF" ||
        { fail pfns "cannot configure $IF in netns pf"; return 1; }
    if ! pf_ready; then fail pfns "$IF in pf: no link: $(pf_desc)"; return 1; fi
    # The PF went down and up: igbvf resets its VF, at most once per 10 s.
    t0=$(uptime_cs)
    wait_for 30 reach pf $A0; wait_for 30 reach pf $A1
    t1=$(uptime_cs)
    for x in "host pf $HOST" "vf0 pf $A0" "vf1 pf $A1" "pf0 vf0 $PFA" "pf1 vf1 $PFA"; do
        set -- $x
        if ! wait_for 3 pings "pfns_$1" "$2" "$3"; then
            fail pfns "netns $2 -> $3: $PING_SUM"; show "/tmp/ping-pfns_$1.log" 5; return 1
        fi
    done
    pass pfns "$IF in netns pf ($PFA), VFs back after $(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s: PF->$HOST $(rtt pfns_host), PF->VF0 $(rtt pfns_vf0), PF->VF1 $(rtt pfns_vf1), VF0->PF $(rtt pfns_pf0), VF1->PF $(rtt pfns_pf1)"
}

# --- TCP inside the NIC: PF<->VF0 and VF0<->VF1, content checked --------------
# tcp_retrans NS: the TCP segments NS's stack has retransmitted so far
tcp_retrans() {
    nsx "$1" cat /proc/net/snmp | awk '$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
                                     $1 == "Tcp:" { print $c["RetransSegs"]; exit }'
}
# t_local_tcp: 2 MiB each way between namespaces (so it crosses the NIC's
# switch); the receiver (nc -l in its namespace) takes exactly that many
# bytes, hashes them and closes, which ends the sender's nc.
t_local_tcp() {
    n=2097152 res='' port=5010
    gen $n > /tmp/lt.src
    want=$(sha256sum < /tmp/lt.src | cut -d' ' -f1)
    printf '#!/bin/sh\nhead -c %d > /tmp/lt.dst\n' $n > /tmp/lt-recv.sh
    chmod +x /tmp/lt-recv.sh
    for x in "pf vf0 $A0" "vf0 pf $PFA" "vf0 vf1 $A1" "vf1 vf0 $A0"; do
        set -- $x
        port=$((port + 1))
        rm -f /tmp/lt.dst
        ip netns exec "$2" nc -l -p $port -e /tmp/lt-recv.sh >/dev/null 2>&1 &
        sleep 1
        r0=$(tcp_retrans "$1")
        t0=$(uptime_cs)
        timeout 60 /usr/sbin/ip netns exec "$1" nc "$3" $port < /tmp/lt.src >/dev/null 2>&1
        wait_for 30 sh -c "[ \"\$(wc -c < /tmp/lt.dst)\" -eq $n ]" ||
            say "local_tcp $1 -> $2: /tmp/lt.dst not $n bytes after 30 s"
        t1=$(uptime_cs)
        r1=$(tcp_retrans "$1")
        got=$(sha256sum < /tmp/lt.dst | cut -d' ' -f1)
        len=$(wc -c < /tmp/lt.dst)
        if [ "$got" != "$want" ]; then
            fail local_tcp "$1 -> $2 ($3): $len/$n bytes, sha256 $got, want $want"
            return 1
        fi
        res="$res $1->$2 $(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s ($((r1 - r0)) retrans)"
    done
    pass local_tcp "2 MiB each, sha256 $want:$res"
}

# --- broadcast ARP from VF0 reaches VF1 and the PF ----------------------------
rxp() { nsx "$1" cat "/sys/class/net/$2/statistics/rx_packets" 2>/dev/null || echo 0; }
estat() { nsx "$1" ethtool -S "$2" 2>/dev/null | awk -F': *' -v k="$3" '{ sub(/^ */, "", $1) } $1 == k { print $2; exit }'; }
arp_got() { awk '/^Received/ {print $2; exit}' "$1"; }
t_bcast() {
    p0=$(rxp "$PFNS" "$IF") v0=$(rxp vf1 "$VF1") pb0=$(estat "$PFNS" "$IF" rx_broadcast) vm0=$(estat vf1 "$VF1" multicast)
    nsx vf0 arping -b -c 3 -w 10 -I "$VF0" $A1 >/tmp/arping-vf1.log 2>&1
    nsx vf0 arping -b -c 3 -w 10 -I "$VF0" $PFA >/tmp/arping-pf.log 2>&1
    nsx vf0 arping -b -c 3 -w 5 -I "$VF0" 10.0.2.99 >/tmp/arping-none.log 2>&1
    sleep 1
    p1=$(rxp "$PFNS" "$IF") v1=$(rxp vf1 "$VF1") pb1=$(estat "$PFNS" "$IF" rx_broadcast) vm1=$(estat vf1 "$VF1" multicast)
    r1=$(arp_got /tmp/arping-vf1.log) r2=$(arp_got /tmp/arping-pf.log)
    dp=$((p1 - p0)) dv=$((v1 - v0))
    how="arping -b from VF0: $A1 (VF1) answered ${r1:-?}/3, $PFA (PF) ${r2:-?}/3; 9 broadcasts: PF rx_packets +$dp (rx_broadcast +$((${pb1:-0} - ${pb0:-0}))), VF1 rx_packets +$dv (multicast +$((${vm1:-0} - ${vm0:-0})))"
    if [ "$r1" = 3 ] && [ "$r2" = 3 ] && [ $dp -ge 9 ] && [ $dv -ge 9 ]; then
        pass bcast "$how"
    else
        fail bcast "$how"; show /tmp/arping-vf1.log 4; show /tmp/arping-pf.log 4
    fi
}

# --- port VLAN: VF0 on VLAN $VLAN only; vlan 0 removes it ------------------------
t_vlan() {
    modprobe 8021q 2>/dev/null
    if ! pfx ip link add link "$IF" name "$IF.$VLAN" type vlan id $VLAN ||
       ! pfx ip addr add $PFV/24 dev "$IF.$VLAN" || ! pfx ip link set "$IF.$VLAN" up; then
        fail vlan "cannot make $IF.$VLAN in netns pf"; fail vlan_clear "no VLAN test"; return 1
    fi
    if ! pfx ip link set "$IF" vf 0 vlan $VLAN 2>/tmp/vlan.err; then
        fail vlan "ip link set $IF vf 0 vlan $VLAN: $(cat /tmp/vlan.err)"; fail vlan_clear "no VLAN test"; return 1
    fi
    line=$(vf_line 0)
    nsx vf0 ip addr add $VFV/24 dev "$VF0"
    err=''
    case $line in *", vlan $VLAN,"*) ;; *) err="ip link show: '$line'" ;; esac
    [ -n "$err" ] || wait_for 3 pings vlan_vf vf0 $PFV || err="VF0 -> $PFV on VLAN $VLAN: $PING_SUM"
    [ -n "$err" ] || pings vlan_pf "$PFNS" $VFV || err="PF $IF.$VLAN -> $VFV: $PING_SUM"
    [ -n "$err" ] || no_answer vlan_host vf0 "$HOST" || err="VF0 -> $HOST untagged still works: $PING_SUM"
    if [ -z "$err" ]; then
        pass vlan "vf 0 vlan $VLAN shown; VF0 $VFV <-> PF $IF.$VLAN $PFV: $(rtt vlan_vf) / $(rtt vlan_pf); VF0 -> $HOST: no answer"
    else
        fail vlan "$err"; vf_dmesg 5
    fi
    pfx ip link set "$IF" vf 0 vlan 0 2>/tmp/vlan.err || err="ip link set $IF vf 0 vlan 0: $(cat /tmp/vlan.err)"
    line=$(vf_line 0)
    nsx vf0 ip addr del $VFV/24 dev "$VF0"
    pfx ip link del "$IF.$VLAN"
    case $line in *", vlan "*) err="still shown after vlan 0: '$line'" ;; esac
    if [ -n "$err" ]; then fail vlan_clear "$err"; return 1; fi
    if wait_for 3 pings vlan_clear vf0 "$HOST" && pings vlan_clear_pf vf0 $PFA; then
        pass vlan_clear "vf 0 vlan 0: no vlan shown, VF0 -> $HOST $(rtt vlan_clear), VF0 -> PF $(rtt vlan_clear_pf) untagged again"
    else
        fail vlan_clear "after vlan 0: VF0 -> $HOST / $PFA: $PING_SUM"
    fi
}

# --- spoofchk and trust, with a macvlan on VF0 sending from another MAC --------
# mv_make: macvlan mv0 on VF0 (MAC $MACMV, $AMV) in namespace mv.
mv_make() {
    nsx mv ip link del mv0 2>/dev/null
    [ -e /run/netns/mv ] || ip netns add mv
    nsx vf0 ip link add link "$VF0" name mv0 address $MACMV type macvlan mode bridge &&
        nsx vf0 ip link set mv0 netns mv && nsx mv ip link set lo up &&
        nsx mv ip addr add $AMV/24 dev mv0 && nsx mv ip link set mv0 up
}
# pf_saw_mv: the PF has a neighbour entry for $AMV with the macvlan's MAC
# (Linux makes one when an ARP request for its own address comes in).
pf_saw_mv() { pfx ip neigh show $AMV dev "$IF" | grep -qi "lladdr $MACMV"; }
spoof_events() { dmesg | grep -c 'Spoof event'; }
denials() { dmesg | grep -c 'requested MAC filter but is administratively denied'; }
t_spoofchk() {
    modprobe macvlan 2>/dev/null
    if ! pfx ip link set "$IF" vf 0 trust off || ! pfx ip link set "$IF" vf 0 spoofchk on 2>/tmp/spoof.err; then
        fail spoofchk "ip link set $IF vf 0 spoofchk on: $(cat /tmp/spoof.err)"; return 1
    fi
    on=$(vf_line 0)
    d0=$(denials)
    if ! mv_make; then fail spoofchk "cannot make a macvlan on $VF0"; return 1; fi
    pfx ip neigh del $AMV dev "$IF" 2>/dev/null
    e0=$(spoof_events)
    no_answer spoof_on mv $PFA; r_on=$?
    sleep 3                   # the PF's watchdog reports spoof events every 2 s
    seen_on=no; pf_saw_mv && seen_on=yes
    e1=$(spoof_events)
    pfx ip link set "$IF" vf 0 spoofchk off 2>/tmp/spoof.err
    off=$(vf_line 0)
    nsx mv ping -c 3 -i 0.5 -W 3 -w 5 $PFA >/tmp/ping-spoof_off.log 2>&1
    seen_off=no; pf_saw_mv && seen_off=yes
    d1=$(denials)
    how="on: ping $PFA from macvlan $MACMV (trust off; the PF denied its MAC filter $((d1 - d0))x): PF saw its ARP: $seen_on, PF logged spoof events: $((e1 - e0)); off: PF saw it: $seen_off"
    err=''
    case $on in *"spoof checking on"*"trust off"*) ;; *) err="spoofchk on: ip link show: '$on'" ;; esac
    case $off in *"spoof checking off"*) ;; *) err="$err spoofchk off: ip link show: '$off'" ;; esac
    if [ -z "$err" ] && [ $r_on = 0 ] && [ $seen_on = no ] && [ $seen_off = yes ] &&
       [ $((e1 - e0)) -gt 0 ]; then
        pass spoofchk "$how"
    else
        fail spoofchk "${err:+$err; }$how; ping with spoofchk on: $(grep 'packets transmitted' /tmp/ping-spoof_on.log)"
    fi
}
t_trust() {
    d0=$(denials)
    if ! pfx ip link set "$IF" vf 0 trust on 2>/tmp/trust.err; then
        fail trust "ip link set $IF vf 0 trust on: $(cat /tmp/trust.err)"; return 1
    fi
    line=$(vf_line 0)
    # up again: igbvf asks the PF for the macvlan's MAC filter anew
    if ! mv_make; then fail trust "cannot make a macvlan on $VF0"; return 1; fi
    err=''
    case $line in *"trust on"*) ;; *) err="ip link show: '$line'" ;; esac
    [ -n "$err" ] || wait_for 3 pings trust_host mv "$HOST" || err="macvlan $AMV -> $HOST: $PING_SUM"
    [ -n "$err" ] || pings trust_pf mv $PFA || err="macvlan $AMV -> PF $PFA: $PING_SUM"
    d1=$(denials)
    nsx mv ip link del mv0
    pfx ip link set "$IF" vf 0 trust off
    pfx ip link set "$IF" vf 0 spoofchk on
    restored=$(vf_line 0)
    case $restored in *"spoof checking on"*"trust off"*) ;; *) err="$err; after trust off, spoofchk on: '$restored'" ;; esac
    if [ -z "$err" ]; then
        pass trust "trust on shown; spoofchk off: macvlan $MACMV $AMV -> $HOST $(rtt trust_host), -> PF $(rtt trust_pf) (PF MAC filter denials while trusted: $((d1 - d0))); back to trust off, spoofchk on"
    else
        fail trust "$err"; vf_dmesg 5
    fi
}

# --- ip link set PF vf N state: igb has no ndo_set_vf_link_state ---------------
t_linkstate() {
    if pfx ip link set "$IF" vf 0 state disable >/tmp/state.err 2>&1; then
        err=''
        case $(vf_line 0) in *"link-state disable"*) ;; *) err="state disable not shown: '$(vf_line 0)'" ;; esac
        [ -n "$err" ] || no_answer state_off vf0 "$HOST" || err="VF0 still pings $HOST with state disable"
        pfx ip link set "$IF" vf 0 state enable || err="$err; state enable failed"
        pfx ip link set "$IF" vf 0 state auto || err="$err; state auto failed"
        case $(vf_line 0) in *"link-state auto"*) ;; *) err="$err; state auto not shown: '$(vf_line 0)'" ;; esac
        wait_for 3 pings state_auto vf0 "$HOST" || err="$err; VF0 -> $HOST after state auto: $PING_SUM"
        if [ -z "$err" ]; then pass linkstate "disable (VF0 cut off), enable, auto (VF0 pings $HOST)"
        else fail linkstate "$err"; fi
    elif grep -q 'Operation not supported' /tmp/state.err; then
        pass linkstate "not supported by igb in $(uname -r) (no ndo_set_vf_link_state): '$(cat /tmp/state.err)'"
    else
        fail linkstate "ip link set $IF vf 0 state disable: $(cat /tmp/state.err)"
    fi
}

# --- rmmod igb with VFs on, modprobe igb, VFs again ----------------------------
t_pfreload() {
    nvf=$(cat "$DEV/sriov_numvfs")
    old=$IF
    if ! rmmod igb; then fail pfreload "rmmod igb with $nvf VFs failed"; return 1; fi
    PFNS=''
    left=$(vf_pci | wc -l)
    if ! modprobe igb; then fail pfreload "modprobe igb failed"; return 1; fi
    if ! wait_for 20 igb_if; then fail pfreload "no netdev after modprobe igb"; igb_dmesg; return 1; fi
    IF=$(igb_if)
    ip link set "$IF" up
    if ! pf_ready; then fail pfreload "$IF: no link: $(pf_desc)"; return 1; fi
    if ! t_dhcp _ >/dev/null; then fail pfreload "$IF: no DHCP lease"; show /tmp/udhcpc.log; return 1; fi
    if ! pings pfreload_host - "$HOST"; then fail pfreload "$IF -> $HOST: $PING_SUM"; return 1; fi
    if ! set_numvfs 2; then fail pfreload "echo 2 > sriov_numvfs: $(cat /tmp/numvfs.err)"; return 1; fi
    if ! wait_for 30 all_bound 2; then fail pfreload "VFs not bound after igb's reload"; vf_dmesg; return 1; fi
    SETUP_ERR=''
    if ! vf_to_ns 0 vf0 $A0; then fail pfreload "$SETUP_ERR"; return 1; fi
    VF0=$VFIF
    if ! wait_for 3 pings pfreload_vf vf0 "$HOST"; then fail pfreload "VF0 -> $HOST: $PING_SUM"; return 1; fi
    if ! pings pfreload_vfpf vf0 $PFA; then fail pfreload "VF0 -> PF $PFA: $PING_SUM"; return 1; fi
    if [ "$left" = 0 ]; then
        pass pfreload "rmmod igb with $nvf VFs (none left), modprobe igb: $old -> $IF, lease, PF -> $HOST $(rtt pfreload_host); 2 VFs again, VF0 $VF0 -> $HOST $(rtt pfreload_vf), -> PF $(rtt pfreload_vfpf)"
    else
        fail pfreload "$left VFs still on the bus after rmmod igb (the rest works)"
    fi
}

# --- VFs off: the PF goes on ---------------------------------------------------
t_disable() {
    if ! set_numvfs 0; then fail disable "echo 0: $(cat /tmp/numvfs.err)"; return 1; fi
    num=$(cat "$DEV/sriov_numvfs") left=$(vf_pci | wc -l)
    vfl=$(pfx ip link show "$IF" | grep -c ' vf [0-9]')
    if ! pf_ready; then fail disable "PF: no link: $(pf_desc)"; return 1; fi
    if ! pings disable "${PFNS:--}" "$HOST"; then
        fail disable "PF: no ping: $PING_SUM"; show /tmp/ping-disable.log 5; return 1; fi
    if [ "$num" = 0 ] && [ "$left" = 0 ] && [ "$vfl" = 0 ]; then
        pass disable "numvfs=0, no VF on the bus, PF $(pfx ip -4 -o addr show dev "$IF" | awk '{print $4; exit}') pings $HOST"
    else
        fail disable "numvfs=$num, $left VFs on the bus, $vfl vf lines in ip link (PF pings)"
    fi
}


# --- migration (igbmig=1, test-migrate.sh) -----------------------------------
# Three TCP transfers across the NIC's switch (PF->VF0, VF1->PF, VF0->VF1),
# igbmigbytes each, still running when "IGBTEST READY migrate" tells the
# host to migrate the guest; each receiver hashes what it got.  The host
# checks that this result was printed by the destination QEMU.
t_migrate() {
    n=${igbmigbytes:-67108864} port=5100 i=0 err='' res=''
    gen $n > /tmp/mig.src
    want=$(sha256sum < /tmp/mig.src | cut -d' ' -f1)
    for x in "pf vf0 $A0" "vf1 pf $PFA" "vf0 vf1 $A1"; do
        set -- $x
        i=$((i + 1))
        rm -f /tmp/mig$i.sum /tmp/mig$i.rc
        printf '#!/bin/sh\nhead -c %d | sha256sum | cut -d" " -f1 > /tmp/mig%d.tmp\nmv /tmp/mig%d.tmp /tmp/mig%d.sum\n' \
            $n $i $i $i > /tmp/mig-recv$i.sh
        chmod +x /tmp/mig-recv$i.sh
        ip netns exec "$2" nc -l -p $((port + i)) -e /tmp/mig-recv$i.sh >/dev/null 2>&1 &
    done
    sleep 1
    t0=$(uptime_cs) i=0
    for x in "pf vf0 $A0" "vf1 pf $PFA" "vf0 vf1 $A1"; do
        set -- $x
        i=$((i + 1))
        (timeout 900 /usr/sbin/ip netns exec "$1" nc "$3" $((port + i)) < /tmp/mig.src >/dev/null 2>&1
         echo $? > /tmp/mig$i.rc) &
    done
    sleep 2
    echo "IGBTEST READY migrate"
    wait_for 900 sh -c '[ -f /tmp/mig1.sum ] && [ -f /tmp/mig2.sum ] && [ -f /tmp/mig3.sum ]' ||
        err="not every receiver finished in 900 s"
    t1=$(uptime_cs) i=0
    for x in "pf->vf0" "vf1->pf" "vf0->vf1"; do
        i=$((i + 1))
        got=$(cat /tmp/mig$i.sum 2>/dev/null)
        res="$res $x $got"
        [ "$got" = "$want" ] || err="$err $x: sha256 '${got:-none}'"
    done
    how="$n bytes each in $(( (t1 - t0) / 100 )) s, want sha256 $want:$res"
    if [ -z "$err" ]; then pass migrate_tcp "$how"; else fail migrate_tcp "$err ($how)"; fi
}
# After the migration: the PF and both VFs reach the host and each other.
t_after() {
    for x in "host pf $HOST" "vf0 vf0 $HOST" "vf1 vf1 $PFA" "pf pf $A1"; do
        set -- $x
        if ! wait_for 5 pings "after_$1$2" "$2" "$3"; then
            fail after "netns $2 -> $3: $PING_SUM"; return 1
        fi
    done
    pass after "PF->$HOST $(rtt after_hostpf), VF0->$HOST $(rtt after_vf0vf0), VF1->PF $(rtt after_vf1vf1), PF->VF1 $(rtt after_pfpf)"
}


# --- soak (igbsoak=MINUTES, test-soak.sh) ------------------------------------
# Rounds of mixed traffic until the time is up: three 16 MiB TCP transfers
# across the switch (PF->VF0 with 9000-byte MTUs, VF1->PF, VF0->VF1), 4 MiB
# over VLAN 100 (PF.100 -> VF1.100, tagged by the guest), VF0<->host TCP
# through slirp, jumbo pings; the offloads of the PF and VF0 changed every
# round.  Every transfer's content is checked; a round that does not end
# in 180 s is a stall.  Then igbvf and igb are reloaded several times.
SOAKN=16777216
soak_flow() { # I SRC-NS DST-NS DST-ADDR BYTES
    rm -f /tmp/soak$1.sum
    printf '#!/bin/sh\nhead -c %d | sha256sum | cut -d" " -f1 > /tmp/soak%d.tmp\nmv /tmp/soak%d.tmp /tmp/soak%d.sum\n' \
        "$5" "$1" "$1" "$1" > /tmp/soak-recv$1.sh
    chmod +x /tmp/soak-recv$1.sh
    ip netns exec "$3" nc -l -p $((5200 + $1)) -e /tmp/soak-recv$1.sh >/dev/null 2>&1 &
    sleep 0.3
    (head -c "$5" /tmp/soak.src | timeout 170 /usr/sbin/ip netns exec "$2" nc "$4" $((5200 + $1)) >/dev/null 2>&1) &
}
soak_done() { for f in 1 2 3 4; do [ -f /tmp/soak$f.sum ] || return 1; done; }
# the offloads of round $1: all on, TSO off, checksums off, GRO/GSO off
soak_offloads() {
    case $(($1 % 4)) in
        0) o="tso on tx on rx on gso on gro on" ;;
        1) o="tso off" ;;
        2) o="tso off tx off rx off" ;;
        3) o="tx on rx on tso on gso off gro off" ;;
    esac
    pfx ethtool -K "$IF" $o >/dev/null 2>&1
    nsx vf0 ethtool -K "$VF0" $o >/dev/null 2>&1
    echo "$o"
}
soak_errs() { # NS IF: the error counters that must stay 0
    nsx "$1" ethtool -S "$2" 2>/dev/null | awk -F': *' '{ sub(/^ */, "", $1) }
        $1 ~ /^(rx_crc_errors|rx_length_errors|rx_align_errors|tx_aborted_errors|tx_carrier_errors|rx_long_length_errors|rx_short_length_errors)$/ && $2 != 0 { printf "%s=%s ", $1, $2 }'
}
t_soak() {
    secs=$((igbsoak * 60)) r=0 err='' bytes=0 tmax=0
    gen $SOAKN > /tmp/soak.src
    want=$(sha256sum < /tmp/soak.src | cut -d' ' -f1)
    want4=$(head -c 4194304 /tmp/soak.src | sha256sum | cut -d' ' -f1)
    modprobe 8021q 2>/dev/null
    pfx ip link set "$IF" mtu 9000 && nsx vf0 ip link set "$VF0" mtu 9000 &&
        pfx ip link add link "$IF" name "$IF.100" type vlan id 100 &&
        pfx ip addr add $PFV/24 dev "$IF.100" && pfx ip link set "$IF.100" up &&
        nsx vf1 ip link add link "$VF1" name v100 type vlan id 100 &&
        nsx vf1 ip addr add 10.0.100.21/24 dev v100 && nsx vf1 ip link set v100 up ||
        { fail soak "cannot set up jumbo MTU and VLAN 100"; return 1; }
    wait_for 30 reach vf1 $PFV || { fail soak "VLAN 100: VF1 cannot reach $PFV"; return 1; }
    t0=$(uptime_cs)
    while [ $(( ($(uptime_cs) - t0) / 100 )) -lt $secs ] && [ -z "$err" ]; do
        r=$((r + 1)) tr0=$(uptime_cs)
        o=$(soak_offloads $r)
        soak_flow 1 pf vf0 $A0 $SOAKN
        soak_flow 2 vf1 pf $PFA $SOAKN
        soak_flow 3 vf0 vf1 $A1 $SOAKN
        soak_flow 4 pf vf1 10.0.100.21 4194304
        host=$(nsx vf0 sh -c "P=$P; . /igb/lib.sh; t_tcp 4194304" 2>&1)
        pj=$(pfx ping -c 3 -i 0.2 -s 8000 -w 20 $A0 2>&1 | grep -o '[0-9]* packets received')
        wait_for 180 soak_done || err="round $r: transfers stalled (offloads: $o)"
        for i in 1 2 3 4; do
            w=$want; [ $i = 4 ] && w=$want4
            got=$(cat /tmp/soak$i.sum 2>/dev/null)
            [ "$got" = "$w" ] || err="$err round $r flow $i: sha256 '${got:-none}' (offloads: $o)"
        done
        case $host in *"IGBTEST FAIL"*) err="$err round $r VF0<->host: $(echo "$host" | grep FAIL | head -1)" ;; esac
        [ "$pj" = "3 packets received" ] || err="$err round $r: jumbo ping PF->VF0: ${pj:-none}"
        for x in "pf $IF" "vf0 $VF0" "vf1 $VF1"; do
            e=$(soak_errs $x); [ -z "$e" ] || err="$err round $r: $x $e"
        done
        dt=$(( ($(uptime_cs) - tr0) / 100 ))
        [ $dt -gt $tmax ] && tmax=$dt
        bytes=$((bytes + 3 * SOAKN + 3 * 4194304))
        say "soak round $r: ${dt}s, offloads '$o'${err:+, $err}"
        # a stalled receiver would keep wait from returning
        [ -z "$err" ] || killall nc 2>/dev/null
        wait 2>/dev/null
    done
    how="$r rounds in $(( ($(uptime_cs) - t0) / 100 )) s, $((bytes >> 20)) MiB checked, longest round ${tmax}s; PF rx_missed $(pfx ethtool -S "$IF" | awk -F': *' '/rx_missed_errors/ {print $2}')"
    if [ -z "$err" ] && [ $r -gt 0 ]; then pass soak "$how"; else fail soak "$err ($how)"; fi
}
# Drivers reloaded: igbvf 5 times (VFs back, into their namespaces, VF0
# pings the PF and the host), then igb 3 times with VFs re-created.
t_reloads() {
    # not $i: all_bound and t_pfreload use it
    rl=0
    while [ $rl -lt 5 ]; do
        rl=$((rl + 1))
        say "igbvf reload $rl"
        (sleep 60; say "reload $rl: still here after 60 s"; dmesg | tail -15; ps) &
        wd=$!
        rmmod igbvf && modprobe igbvf && wait_for 30 all_bound 2 &&
            vf_to_ns 0 vf0 $A0 && vf_to_ns 1 vf1 $A1 &&
            wait_for 5 pings reload_vf vf0 "$HOST" && pings reload_vfpf vf0 $PFA ||
            { fail reloads "igbvf reload $rl: ${SETUP_ERR:-$PING_SUM}"; vf_dmesg; return 1; }
        VF0=$(nsx vf0 ls /sys/class/net | grep -v '^lo$' | head -1)
        kill $wd 2>/dev/null
    done
    rl=0
    while [ $rl -lt 3 ]; do
        rl=$((rl + 1))
        out=$(t_pfreload 2>&1)
        case $out in *"IGBTEST PASS"*) ;; *) fail reloads "igb reload $rl: $out"; return 1 ;; esac
    done
    pass reloads "igbvf 5 times, igb 3 times with 2 VFs: VFs back and in their namespaces, pings to the PF and the host each time"
}

T0=$(uptime_cs)
step() { say "$1 at $(( ($(uptime_cs) - T0) / 100 ))s"; }
# The soak and the migration test run on 2 VFs and the PF, each in a
# network namespace of its own.
if [ "${igbsoak:-0}" -gt 0 ] || [ "${igbmig:-0}" = 1 ]; then
    NVF=2
    step pf;      t_pf || exit 1
    step enable;  t_enable || exit 1
    step bind;    t_bind
    step vfmac;   t_vfmac
    step netns;   t_netns || exit 1
    step pfns;    t_pfns || exit 1
    if [ "${igbsoak:-0}" -gt 0 ]; then
        step soak;    t_soak
        step reloads; t_reloads
    else
        step migrate; t_migrate
        step after;   t_after
        step tcp;     t_vf_tcp
    fi
    step end
    exit $((NFAIL > 0))
fi
step pf;      t_pf || exit 1
step rss;     t_rss rss 32768
step enable;  t_enable || exit 1
step bind;    t_bind
step renum_loop; t_renum_loop
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
        step ext;      t_ext
        step vfreload; t_vfreload
        step pfns
        if t_pfns; then
            step local_tcp; t_local_tcp
            step rss_vf;    t_rss rss_vf 65535
            step bcast;     t_bcast
            step vlan;      t_vlan
            step spoofchk;  t_spoofchk
            step trust;     t_trust
            step linkstate; t_linkstate
        fi
        step pfreload; t_pfreload
    fi
fi
step disable; t_disable
step end
exit $((NFAIL > 0))
