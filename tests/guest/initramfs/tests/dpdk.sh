#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The DPDK checks (test-dpdk.sh; image GUEST_VARIANT=dpdk): dpdk-testpmd
# with the net_e1000_igb / net_e1000_igb_vf PMDs on an igb whose netdev
# leads to dpdk-peer.py on the host, which this script drives through
# "IGBTEST PEER ..." lines on the console.
# Kernel args: igbdpdk=LIST, parts run in order:
#   pf     the PF on uio_pci_generic (IOVA = physical addresses, link
#          interrupt by INTx), 4 RX/TX queues with RSS: link, io, rxonly,
#          txonly, csum with software and with hardware checksums, flow
#          rules (5-tuple, EtherType, TCP SYN) steering to queues
#   vf     igb binds the PF, one VF (MAC set by the PF) on vfio-pci behind
#          the emulated VT-d (intel_iommu=on): link, io, rxonly, txonly,
#          csum (software and hardware), no DMA faults in the IOMMU
#   pfvfio the VFs gone, the PF on vfio-pci behind VT-d: link, io, RSS,
#          no DMA faults
# Each mode's frames come from the peer ("IGBTEST PEER send ..."), or go to
# it (txonly, and "start tx_first 8": a known number); checks compare
# testpmd's counters (the NIC's statistics registers, and its own per-queue
# counts) with what the peer sent; test-dpdk.sh compares with what it got.
# igbn=N frames per phase (default 600, a multiple of 10).
. /igb/lib.sh
PEERMAC=52:54:00:fe:00:01
PEERMAC2=52:54:00:fe:00:02      # the destination of tx_first's frames
VFMAC=52:54:00:00:00:10
N=${igbn:-600}
TPO=/tmp/testpmd.out
TPL=/tmp/testpmd.last
HUGEPAGES=128

# --- testpmd, driven through a fifo -------------------------------------
# tp_wait SECS OFF: until the prompt shows after byte OFF of testpmd's
# output (or testpmd is gone).
tp_wait() {
    n=$(($1 * 5))
    while [ "$n" -gt 0 ]; do
        tail -c +$(($2 + 1)) "$TPO" | grep -q 'testpmd> ' && return 0
        kill -0 "$TP_PID" 2>/dev/null || return 1
        sleep 0.2; n=$((n - 1))
    done
    return 1
}
# tp_launch EAL-AND-APP-ARGS...: start testpmd -i, wait for its prompt.
tp_launch() {
    rm -f /tmp/tp.in "$TPO"; mkfifo /tmp/tp.in; : > "$TPO"
    tl0=$(uptime_cs)
    # stdbuf: line-buffered, or its output sits in stdio's buffer
    stdbuf -oL dpdk-testpmd "$@" < /tmp/tp.in > "$TPO" 2>&1 &
    TP_PID=$!
    exec 3> /tmp/tp.in
    tp_wait 300 0
    rc=$?
    say "testpmd up after $(( ($(uptime_cs) - tl0) / 100 )) s (rc $rc)"
    return $rc
}
# tp CMD...: one command; its output (up to the next prompt) in $TPL.
tp() {
    off=$(wc -c < "$TPO")
    echo "$*" >&3
    tp_wait "${TP_TIMEOUT:-60}" "$off" || say "testpmd: no prompt after '$*'"
    tail -c +$((off + 1)) "$TPO" > "$TPL"
}
tp_quit() {
    echo quit >&3
    exec 3>&-
    n=150
    while kill -0 "$TP_PID" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
    if kill -0 "$TP_PID" 2>/dev/null; then
        say "testpmd did not quit"; kill -9 "$TP_PID" 2>/dev/null
    fi
    wait "$TP_PID" 2>/dev/null
    TP_RC=$?
}
# val FILE KEY [NTH]: the number after "KEY:" (the NTH time, default 1).
val() {
    awk -v k="$2:" -v nth="${3:-1}" '{ for (i = 1; i < NF; i++) if ($i == k && ++n == nth) { print $(i + 1) + 0; exit } }' "$1"
}
# The per-queue RX counts in a "stop" output: "q0=N q1=M ..."
fwd_queues() {
    awk '/Forward Stats for RX Port=/ { split($0, a, "Queue="); q = a[2] + 0; getline
         for (i = 1; i < NF; i++) if ($i == "RX-packets:") printf "q%d=%d ", q, $(i + 1) }' "$TPL"
}
nqueues() { echo "$1" | tr ' ' '\n' | grep -c '=[1-9]'; }
qcount() { echo " $1" | tr ' ' '\n' | awk -F= -v q="q$2" '$1 == q { print $2 + 0; f = 1 } END { if (!f) print 0 }'; }
port_stats() { tp show port stats 0; cp "$TPL" /tmp/stats; }
# wait_rx SECS WANT [TX]: until the port has received WANT frames (and,
# with TX, sent as many); leaves the last stats in /tmp/stats.
wait_rx() {
    n=$1
    while :; do
        port_stats
        r=$(val /tmp/stats RX-packets); t=$(val /tmp/stats TX-packets)
        [ "${r:-0}" -ge "$2" ] && { [ -z "${3:-}" ] || [ "${t:-0}" -ge "$2" ]; } && return 0
        n=$((n - 1)); [ "$n" -le 0 ] && return 1
        sleep 1
    done
}
stats_desc() {
    echo "rx=$(val /tmp/stats RX-packets) missed=$(val /tmp/stats RX-missed)" \
         "rxbytes=$(val /tmp/stats RX-bytes) rxerr=$(val /tmp/stats RX-errors)" \
         "nombuf=$(val /tmp/stats RX-nombuf) tx=$(val /tmp/stats TX-packets)" \
         "txerr=$(val /tmp/stats TX-errors) txbytes=$(val /tmp/stats TX-bytes)"
}
peer() { echo "IGBTEST PEER $*"; }
# took T0: seconds since uptime_cs said T0, e.g. "2.3 s"
took() { t=$(( $(uptime_cs) - $1 )); echo "$((t / 100)).$((t % 100 / 10)) s"; }
# c_dmar NAME: no DMA of the device faulted in the IOMMU (VT-d) since the
# part began ($DMAR0 faults then).
dmar_faults() { dmesg | grep -c 'DMAR: \[DMA'; }
c_dmar() {
    n=$(($(dmar_faults) - DMAR0))
    if [ "$n" = 0 ]; then
        pass "$1" "no DMA faults in the IOMMU"
    else
        fail "$1" "$n DMA faults in the IOMMU:"
        dmesg | grep 'DMAR: \[DMA' | tail -n "$n" | tail -n 5 | sed 's/^/    | /'
    fi
}
tp_fail() { fail "$1" "$2"; say "testpmd's last output:"; show "$TPL" 25; }

# --- setting up ---------------------------------------------------------
hugepages() {
    [ -d /dev/hugepages ] || mkdir -p /dev/hugepages
    grep -q hugetlbfs /proc/mounts || mount -t hugetlbfs nodev /dev/hugepages
    echo "$HUGEPAGES" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
    mkdir -p /var/run
    [ "$got" -ge 64 ] || { fail hugepages "only $got of $HUGEPAGES 2 MiB pages"; return 1; }
}
# bind BDF DRIVER: hand the PCI function to DRIVER (driver_override).
bind() {
    d=/sys/bus/pci/devices/$1
    echo "$2" > "$d/driver_override"
    [ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
    echo "$1" > /sys/bus/pci/drivers_probe
    cur=$(readlink "$d/driver" 2>/dev/null); cur=${cur##*/}
    [ "$cur" = "$2" ]
}
pf_bdf() {
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10c9 ] && { echo "${d##*/}"; return 0; }
    done
    return 1
}

# --- the checks, on a started port -------------------------------------
# c_link NAME: testpmd sees the port's link up at 1 Gb/s full duplex.
c_link() {
    n=20
    while :; do
        tp show port info 0
        st=$(awk -F': *' '/^Link status/ {print $2}' "$TPL")
        [ "$st" = up ] && break
        n=$((n - 1)); [ $n -le 0 ] && break
        sleep 1
    done
    sp=$(awk -F': *' '/^Link speed/ {print $2}' "$TPL")
    dx=$(awk -F': *' '/^Link duplex/ {print $2}' "$TPL")
    drv=$(awk -F': *' '/^Driver name/ {print $2}' "$TPL")
    mac=$(awk '/^MAC address/ {print $NF}' "$TPL" | tr A-F a-f)
    if [ "$st" = up ] && [ "$sp" = "1 Gbps" ] && [ "$dx" = full-duplex ] &&
       [ "$mac" = "$1" ]; then
        pass "$2" "driver $drv, $mac, link $st $sp $dx"
    else
        tp_fail "$2" "driver '$drv' mac '$mac' (want $1) link '$st' '$sp' '$dx'"
    fi
}

# c_fwd NAME MODE DSTMAC KIND EXPECT [MINQ]: forward (io/csum) N frames of
# KIND from the peer; all received and sent back, none missed, the
# hardware counters agree; with MINQ, at least MINQ RX queues got some.
c_fwd() {
    ts=$(uptime_cs)
    name=$1 mode=$2 dst=$3 kind=$4 expect=$5 minq=${6:-0}
    tp set fwd "$mode"
    tp clear port stats 0
    tp start
    peer send "$P$name" "$dst" "$N" "$kind" "$expect"
    wait_rx 90 "$N" tx; ok=$?
    sleep 1; port_stats
    tp stop; q=$(fwd_queues)
    cp "$TPL" "/tmp/stop-$name"
    rx=$(val /tmp/stats RX-packets) tx=$(val /tmp/stats TX-packets)
    missed=$(val /tmp/stats RX-missed)
    bip=$(val "/tmp/stop-$name" Bad-ipcsum) bl4=$(val "/tmp/stop-$name" Bad-l4csum)
    d="$(stats_desc) queues: ${q:-one} ($(took "$ts"))"
    [ "$mode" = csum ] && d="$d bad-ipcsum=$bip bad-l4csum=$bl4"
    bad=''
    [ $ok = 0 ] && [ "$rx" = "$N" ] && [ "$tx" = "$N" ] && [ "$missed" = 0 ] || bad="counts"
    if [ "$kind" = csum ]; then        # dpdk-peer.py: 1 in 10 bad IP, 1 in 10 bad L4
        [ "$bip" = $((N / 10)) ] && [ "$bl4" = $((N / 10)) ] || bad="$bad bad-checksum-counts(want $((N / 10)) each)"
    fi
    if [ "$minq" -gt 0 ] && [ "$(nqueues "$q")" -lt "$minq" ]; then bad="$bad rss"; fi
    if [ -z "$bad" ]; then pass "$name" "$N frames: $d"; else tp_fail "$name" "[$bad] want $N: $d"; fi
    LASTQ=$q
}

# FCS: what the port's octet counters add to each frame.  The PF's GORC
# and GOTC count the 4-byte FCS and the igb PMD takes it off again; the
# VF's VFGORC/VFGOTC count it too, and the igbvf PMD reports them as they
# are: 4 for a VF.
FCS=0
# c_rxonly NAME DSTMAC KIND SIZE: N frames of KIND counted by rxonly, and
# RX-bytes is N * (SIZE + FCS).
c_rxonly() {
    ts=$(uptime_cs)
    tp set fwd rxonly
    tp clear port stats 0
    tp start
    peer send "$P$1" "$2" "$N" "$3" none
    wait_rx 90 "$N"; ok=$?
    sleep 1; port_stats
    tp stop; q=$(fwd_queues)
    rx=$(val /tmp/stats RX-packets) by=$(val /tmp/stats RX-bytes)
    tx=$(val /tmp/stats TX-packets) missed=$(val /tmp/stats RX-missed)
    d="$(stats_desc) queues: ${q:-one} ($(took "$ts"))"
    if [ $ok = 0 ] && [ "$rx" = "$N" ] && [ "$by" = $((N * ($4 + FCS))) ] && [ "$tx" = 0 ] &&
       [ "$missed" = 0 ]; then
        pass "$1" "$N frames of $4 bytes: $d"
    else
        tp_fail "$1" "want $N frames, $((N * ($4 + FCS))) bytes: $d"
    fi
}

# The sum of the per-stream TX counts in a "stop" output (none: "").
fwd_tx_sum() {
    awk '/Forward Stats for RX Port=/ { getline; for (i = 1; i < NF; i++)
         if ($i == "TX-packets:") { s += $(i + 1); n++ } } END { if (n) print s }' "$1"
}

# c_txonly NAME SRCMAC: testpmd's generator for 3 s; the NIC's counters
# agree with testpmd's; test-dpdk.sh checks what the peer got (as fast as
# the guest can go: more than the netdev's socket takes, so QEMU's net
# queue drops some).
c_txonly() {
    ts=$(uptime_cs)
    peer txonly "$P$1" "$2"
    sleep 1                     # the peer reads the console every 0.1 s
    tp set fwd txonly
    tp clear port stats 0
    tp start
    sleep 3
    tp stop
    cp "$TPL" "/tmp/stop-$1"
    sleep 2; port_stats
    ftx=$(fwd_tx_sum "/tmp/stop-$1") tx=$(val /tmp/stats TX-packets)
    by=$(val /tmp/stats TX-bytes) err=$(val /tmp/stats TX-errors)
    d="tx=$tx txbytes=$by txerr=$err (streams: tx=${ftx:-one stream}; $(took "$ts"))"
    # testpmd's txonly frames are 64 bytes
    if [ "${tx:-0}" -gt 0 ] && [ "$tx" = "${ftx:-$tx}" ] && [ "$by" = $((tx * (64 + FCS))) ] &&
       [ "$err" = 0 ]; then
        pass "$1" "$d"
    else
        tp_fail "$1" "$d"
    fi
}

# c_txfirst NAME SRCMAC NSTREAMS: "start tx_first 8" (rxonly): 8 bursts of
# 32 txonly frames on each stream, all of them counted by the NIC;
# test-dpdk.sh checks that the peer got exactly as many.  They go to
# $PEERMAC2, so that the peer does not count late txonly frames.
c_txfirst() {
    ts=$(uptime_cs)
    peer txonly "$P$1" "$2" "$PEERMAC2"
    tp set eth-peer 0 "$PEERMAC2"
    sleep 1                     # the peer reads the console every 0.1 s
    tp set fwd rxonly
    tp clear port stats 0
    tp start tx_first 8
    sleep 3
    tp stop
    sleep 1; port_stats
    tp set eth-peer 0 "$PEERMAC"
    tx=$(val /tmp/stats TX-packets) by=$(val /tmp/stats TX-bytes) err=$(val /tmp/stats TX-errors)
    want=$((8 * 32 * $3))
    if [ "$tx" = "$want" ] && [ "$by" = $((want * (64 + FCS))) ] && [ "$err" = 0 ]; then
        pass "$1" "tx=$tx txbytes=$by txerr=$err ($(took "$ts"))"
    else
        tp_fail "$1" "tx=$tx txbytes=$by txerr=$err, want tx=$want"
    fi
}

# c_flows: the flow rules on the PF, each checked with its own frames
# in rxonly mode: all of them on the rule's queue.
c_flows() {
    tp flow create 0 ingress pattern eth / ipv4 proto is 17 / udp dst is 5000 / end actions queue index 2 / end
    r1=$(grep -c 'Flow rule #[0-9]* created' "$TPL"); cp "$TPL" /tmp/flow1
    tp flow create 0 ingress pattern eth type is 0x88b5 / end actions queue index 3 / end
    r2=$(grep -c 'Flow rule #[0-9]* created' "$TPL"); cp "$TPL" /tmp/flow2
    tp flow create 0 ingress pattern eth / ipv4 / tcp flags spec 0x02 flags mask 0x02 / end actions queue index 1 / end
    r3=$(grep -c 'Flow rule #[0-9]* created' "$TPL"); cp "$TPL" /tmp/flow3
    tp flow list 0
    nrules=$(grep -cE '^[0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+i' "$TPL")
    if [ "$r1$r2$r3" = 111 ] && [ "$nrules" = 3 ]; then
        pass flow_create "3 rules: 5-tuple UDP dst 5000 -> q2, EtherType 0x88b5 -> q3, TCP SYN -> q1"
    else
        fail flow_create "created: ntuple=$r1 ethertype=$r2 syn=$r3, listed $nrules"
        for f in /tmp/flow1 /tmp/flow2 /tmp/flow3; do show $f 4; done
    fi
    tp set fwd rxonly
    for spec in ntuple:2:flow_ntuple ether:3:flow_ethertype syn:1:flow_syn nomatch:-:flow_nomatch; do
        kind=${spec%%:*} rest=${spec#*:}; want=${rest%%:*} name=${rest#*:}
        ts=$(uptime_cs)
        tp clear port stats 0
        tp start
        peer send "$P$name" "$IGBMAC" "$N" "$kind" none
        wait_rx 90 "$N"
        sleep 1; port_stats
        tp stop; q=$(fwd_queues)
        rx=$(val /tmp/stats RX-packets)
        if [ "$want" = - ]; then       # no rule: RSS spreads them
            if [ "$rx" = "$N" ] && [ "$(nqueues "$q")" -ge 2 ]; then
                pass "$name" "UDP to port 5001 (no rule), $rx frames, RSS: $q($(took "$ts"))"
            else
                tp_fail "$name" "rx=$rx of $N, queues: $q"
            fi
        elif [ "$rx" = "$N" ] && [ "$(qcount "$q" "$want")" = "$N" ]; then
            pass "$name" "$kind: all $N frames on queue $want: $q($(took "$ts"))"
        else
            tp_fail "$name" "$kind: rx=$rx of $N, want all on queue $want: $q"
        fi
    done
    tp flow flush 0
}

# c_csum_hw NAME DSTMAC: csum forwarding of the peer's csum frames with
# the checksums made by the NIC (testpmd: csum set ip/udp/tcp hw).
c_csum_hw() {
    tp port stop 0
    for l in ip udp tcp; do tp csum set $l hw 0; done
    tp csum show 0; cp "$TPL" /tmp/csum-show
    tp port start 0
    sleep 2
    if grep -q 'IP checksum offload is hw' /tmp/csum-show &&
       grep -q 'UDP checksum offload is hw' /tmp/csum-show &&
       grep -q 'TCP checksum offload is hw' /tmp/csum-show; then
        c_fwd "$1" csum "$2" csum csum
    else
        fail "$1" "testpmd would not use hardware checksums:"; show /tmp/csum-show 10
    fi
}

# --- the parts -----------------------------------------------------------
TESTPMD_APP="--port-topology=loop --eth-peer=0,$PEERMAC --total-num-mbufs=8192 --enable-rx-cksum"

part_pf() {
    P=dpdk.pf. FCS=0
    IGBMAC=$(echo "${igbmac:-}" | tr A-F a-f)
    BDF=$(pf_bdf) || { fail bind "no 8086:10c9 function"; return 1; }
    modprobe uio_pci_generic
    if bind "$BDF" uio_pci_generic; then
        pass bind "$BDF on uio_pci_generic (IRQ $(cat /sys/bus/pci/devices/$BDF/irq))"
    else
        fail bind "$BDF: driver '$(readlink /sys/bus/pci/devices/$BDF/driver)'"; return 1
    fi
    if ! tp_launch -l 0-1 -n 1 -a "$BDF" --iova-mode=pa -- -i --rxq=4 --txq=4 --nb-cores=1 $TESTPMD_APP; then
        fail start "testpmd did not start"; show "$TPO" 30; return 1
    fi
    grep -q 'Port 0: ' "$TPO" && pass start "$(grep -m1 'Port 0: ' "$TPO"), $(grep -m1 'IOVA mode' "$TPO")" ||
        { fail start "no port"; show "$TPO" 30; tp_quit; return 1; }
    c_link "$IGBMAC" link
    c_fwd io io "$IGBMAC" mix same 2
    if [ "$(nqueues "$LASTQ")" -ge 2 ]; then
        pass rss "io: $(nqueues "$LASTQ") of 4 RX queues got frames: $LASTQ"
    else
        fail rss "io: RX queues: ${LASTQ:-none}"
    fi
    c_rxonly rxonly "$IGBMAC" udp 128
    c_txonly txonly "$IGBMAC"
    c_txfirst txfirst "$IGBMAC" 4
    c_fwd csum_sw csum "$IGBMAC" csum csum
    c_csum_hw csum_hw "$IGBMAC"
    c_flows
    tp_quit
    if [ "$TP_RC" = 0 ]; then pass quit "testpmd exited 0"; else fail quit "testpmd rc=$TP_RC"; show "$TPO" 10; fi
}

part_vf() {
    P=dpdk.vf.pf_ FCS=4
    t_bind || return 1          # the kernel's igb on the PF: dpdk.vf.pf_bind
    P=dpdk.vf.
    PF=$IF
    # no IPv6 on the kernel's PF: its router solicitations reach the VF
    # (allmulti) and would spoil the exact counts
    echo 1 > "/proc/sys/net/ipv6/conf/$PF/disable_ipv6"
    ip link set "$PF" up
    wait_for 30 link_up "$PF" || { fail pf_link "no link on $PF"; return 1; }
    DEV=$(readlink -f "/sys/class/net/$PF/device")
    echo 1 > "$DEV/sriov_numvfs"
    wait_for 20 test -e "$DEV/virtfn0"
    VFBDF=$(readlink "$DEV/virtfn0"); VFBDF=${VFBDF##*/}
    ip link set "$PF" vf 0 mac "$VFMAC"
    ip link set "$PF" vf 0 spoofchk off     # io forwarding sends the peer's frames back as they are
    sleep 1
    grp=$(readlink "/sys/bus/pci/devices/$VFBDF/iommu_group"); grp=${grp##*/}
    modprobe vfio-pci; modprobe vfio_iommu_type1
    if [ -n "$VFBDF" ] && bind "$VFBDF" vfio-pci && [ -e "/dev/vfio/$grp" ]; then
        pass bind "VF $VFBDF (MAC $VFMAC from the PF) on vfio-pci, IOMMU group $grp"
    else
        fail bind "VF '$VFBDF' group '$grp': driver '$(readlink "/sys/bus/pci/devices/$VFBDF/driver")'"
        ls -l /dev/vfio; dmesg | tail -n 15; return 1
    fi
    if ! tp_launch -l 0-1 -n 1 -a "$VFBDF" -- -i --nb-cores=1 $TESTPMD_APP; then
        fail start "testpmd did not start"; show "$TPO" 30; return 1
    fi
    grep -q 'Port 0: ' "$TPO" && pass start "$(grep -m1 'Port 0: ' "$TPO"), $(grep -m1 'IOVA mode' "$TPO")" ||
        { fail start "no port"; show "$TPO" 30; tp_quit; return 1; }
    c_link "$VFMAC" link
    c_fwd io io "$VFMAC" mix same
    c_rxonly rxonly "$VFMAC" udp 128
    c_txonly txonly "$VFMAC"
    c_txfirst txfirst "$VFMAC" 1
    c_fwd csum_sw csum "$VFMAC" csum csum
    c_csum_hw csum_hw "$VFMAC"
    tp_quit
    if [ "$TP_RC" = 0 ]; then pass quit "testpmd exited 0"; else fail quit "testpmd rc=$TP_RC"; show "$TPO" 10; fi
    c_dmar dma
}

part_pfvfio() {
    P=dpdk.pfvfio. FCS=0
    IGBMAC=$(echo "${igbmac:-}" | tr A-F a-f)
    BDF=$(pf_bdf) || { fail bind "no 8086:10c9 function"; return 1; }
    d=/sys/bus/pci/devices/$BDF
    [ -e "$d/sriov_numvfs" ] && [ "$(cat "$d/sriov_numvfs")" != 0 ] && echo 0 > "$d/sriov_numvfs"
    modprobe vfio-pci; modprobe vfio_iommu_type1
    grp=$(readlink "$d/iommu_group"); grp=${grp##*/}
    if bind "$BDF" vfio-pci && [ -e "/dev/vfio/$grp" ]; then
        pass bind "PF $BDF on vfio-pci, IOMMU group $grp"
    else
        fail bind "$BDF group '$grp': driver '$(readlink "$d/driver")'"; dmesg | tail -n 10; return 1
    fi
    if ! tp_launch -l 0-1 -n 1 -a "$BDF" -- -i --rxq=4 --txq=4 --nb-cores=1 $TESTPMD_APP; then
        fail start "testpmd did not start"; show "$TPO" 30; return 1
    fi
    grep -q 'Port 0: ' "$TPO" && pass start "$(grep -m1 'Port 0: ' "$TPO"), $(grep -m1 'IOVA mode' "$TPO")" ||
        { fail start "no port"; show "$TPO" 30; tp_quit; return 1; }
    c_link "$IGBMAC" link
    c_fwd io io "$IGBMAC" mix same 2
    tp_quit
    if [ "$TP_RC" = 0 ]; then pass quit "testpmd exited 0"; else fail quit "testpmd rc=$TP_RC"; show "$TPO" 10; fi
    c_dmar dma
}

P=dpdk.
hugepages || exit 1
for part in $(echo "${igbdpdk:-pf}" | tr , ' '); do
    t0=$(uptime_cs) DMAR0=$(dmar_faults)
    case $part in
        pf) part_pf ;;
        vf) part_vf ;;
        pfvfio) part_pfvfio ;;
        *) fail "part_$part" "no such part" ;;
    esac
    say "part $part took $(( ($(uptime_cs) - t0) / 100 )) s"
done
peer end
exit $((NFAIL > 0))
