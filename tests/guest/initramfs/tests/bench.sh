#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest side of the guest-level TCP benchmark (scripts/igb/bench-guest.sh,
# tests/bench/igb_guestbench.py; image GUEST_VARIANT=bench, which has
# iperf3, e1000e and virtio_net).  The NIC's netdev is a TAP in the host's
# benchmark namespace, where iperf3 -s listens; this side runs the
# clients: "rx" is host -> guest (iperf3 -R), "tx" guest -> host.
# Not a test: it reports, the host judges nothing.
# Kernel args:
#   igbbenchnic=DRIVER   the guest driver of the NIC (igb, e1000e, virtio_net)
#   igbbenchvf=1         igb only: after the PF, one VF (igbvf) does the same
#   igbbenchruns=N       iperf3 runs per direction (default 3)
#   igbbenchtime=SECS    length of each run (default 10)
#   igbbenchdirs=LIST    comma-separated, from rx,tx (default rx,tx)
#   igbbenchhost=ADDR    the host's (TAP's) address; the guest's PF takes
#                        igbbenchpfa=, its VF igbbenchvfa= (same /24)
# Console lines, read by igb_guestbench.py:
#   IGBBENCH INFO FN key=value...          the interface as it is set up
#   IGBBENCH START FN.DIR.I tcp=...        before a run (guest TCP counters)
#   IGBBENCH END FN.DIR.I rc=RC cpu0=... cpu1=... intr=N tcp=...
#   IGBB64 FN.DIR.I <base64>               iperf3's JSON, gzipped
#   IGBBENCH JSON FN.DIR.I BYTES           the JSON is complete
#   IGBBENCH ERROR FN what                 setup failed; FN's runs skipped
P=bench.
. /igb/lib.sh
NIC=${igbbenchnic:-igb}
RUNS=${igbbenchruns:-3}
SECS=${igbbenchtime:-10}
DIRS=$(echo "${igbbenchdirs:-rx,tx}" | tr , ' ')
HOSTA=${igbbenchhost:-10.76.0.1}
PFA=${igbbenchpfa:-10.76.0.2}
VFA=${igbbenchvfa:-10.76.0.3}

# /proc/stat's "cpu" line: user nice system idle iowait irq softirq steal,
# comma-separated
cpu_now() { awk '$1 == "cpu" { print $2","$3","$4","$5","$6","$7","$8","$9; exit }' /proc/stat; }
# the guest's interrupts so far (all sources: the NIC's and the timers')
intr_now() { awk '$1 == "intr" { print $2; exit }' /proc/stat; }
# Some of the guest's TCP counters, name=value comma-separated
tcp_now() {
    awk '$1 == "Tcp:" || $1 == "TcpExt:" {
            if (!($1 in hdr)) { hdr[$1] = $0; next }
            n = split(hdr[$1], k); split($0, v)
            for (i = 2; i <= n; i++) if (k[i] ~ /^(RetransSegs|InErrs|TCPOFOQueue|TCPOFODrop|TCPRcvQDrop|TCPBacklogDrop|TCPTimeouts|TCPLossProbes|TCPFastRetrans|TCPSlowStartRetrans|TCPDSACKRecv|TCPDSACKOldSent|TCPSACKReorder|TCPRenoReorder|TCPTSReorder|PruneCalled|RcvPruned|TCPZeroWindowDrop)$/)
                { printf "%s%s=%s", sep, k[i], v[i]; sep = "," } }
         END { print "" }' /proc/net/snmp /proc/net/netstat
}
# Non-zero ethtool -S counters of $1, indented (for the log)
nic_stats() {
    ethtool -S "$1" 2>/dev/null | awk -F: 'NR > 1 && $2 + 0 != 0 { gsub(/^ +/, "", $1); printf "    | %s:%s\n", $1, $2 }'
}
link_ok() { ethtool "$1" 2>/dev/null | grep -q 'Link detected: yes'; }
host_ok() { ping -c 1 -W 1 "$HOSTA" >/dev/null 2>&1; }

# info FN IF: one line about the interface
info() {
    q=$(ls -d "/sys/class/net/$2/queues/rx-"* 2>/dev/null | wc -l)
    tq=$(ls -d "/sys/class/net/$2/queues/tx-"* 2>/dev/null | wc -l)
    # MSI(-X) vectors of the PCI function (a virtio netdev's device is the
    # virtio device below it)
    irqs=$( (ls "/sys/class/net/$2/device/msi_irqs" 2>/dev/null ||
             ls "/sys/class/net/$2/device/../msi_irqs" 2>/dev/null) | wc -l)
    off=$(ethtool -k "$2" 2>/dev/null | awk -F': ' '
        /^(rx-checksumming|tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|large-receive-offload):/ {
            split($2, a, " "); printf "%s%s=%s", s, $1, a[1]; s = "," }')
    echo "IGBBENCH INFO $1 if=$2 driver=$(ethtool -i "$2" | awk '/^driver:/ {print $2}') bus=$(ethtool -i "$2" | awk '/^bus-info:/ {print $2}') mac=$(cat "/sys/class/net/$2/address") addr=$(ip4 "$2") rxq=$q txq=$tq irqs=$irqs cpus=$(nproc) mtu=$(cat "/sys/class/net/$2/mtu") $off"
}

# runs FN IF: RUNS x each direction, the directions interleaved
runs() {
    i=1
    while [ "$i" -le "$RUNS" ]; do
        for d in $DIRS; do
            tag=$1.$d.$i r=''
            [ "$d" = rx ] && r=-R
            echo "IGBBENCH START $tag tcp=$(tcp_now)"
            c0=$(cpu_now) n0=$(intr_now)
            timeout $((SECS + 40)) iperf3 -c "$HOSTA" -t "$SECS" $r -J \
                --connect-timeout 10000 >/tmp/iperf.json 2>/tmp/iperf.err
            rc=$?
            c1=$(cpu_now) n1=$(intr_now)
            echo "IGBBENCH END $tag rc=$rc cpu0=$c0 cpu1=$c1 intr=$((n1 - n0)) tcp=$(tcp_now)"
            [ -s /tmp/iperf.err ] && sed 's/^/    | iperf3: /' /tmp/iperf.err
            gzip -c /tmp/iperf.json | base64 | sed "s/^/IGBB64 $tag /"
            echo "IGBBENCH JSON $tag $(wc -c < /tmp/iperf.json)"
            # the host's receive side settles (and its server is ready again)
            sleep 1
        done
        i=$((i + 1))
    done
    say "$2 counters after the runs (non-zero):"
    nic_stats "$2"
}

# --- the PF (or the only function) -----------------------------------------------
if ! wait_for 30 igb_if "$NIC"; then
    echo "IGBBENCH ERROR pf no netdev bound to $NIC"
    dmesg | tail -20 | sed 's/^/    | /'
    exit 1
fi
IF=$(igb_if "$NIC")
ip link set "$IF" up
ip addr add "$PFA/24" dev "$IF"
if ! wait_for 30 link_ok "$IF" || ! wait_for 20 host_ok; then
    echo "IGBBENCH ERROR pf $IF: link '$(link_desc "$IF")', no answer from $HOSTA"
    exit 1
fi
info pf "$IF"
runs pf "$IF"

[ "${igbbenchvf:-0}" = 1 ] || exit 0

# --- one VF: its own MAC and address; the PF keeps its link, not its address ------
DEV=$(readlink -f "/sys/class/net/$IF/device")
vf_up() { ls "$DEV/virtfn0/net" 2>/dev/null | grep -q .; }
if ! echo 1 > "$DEV/sriov_numvfs" 2>/tmp/numvfs.err || ! wait_for 30 vf_up; then
    echo "IGBBENCH ERROR vf no VF netdev: $(cat /tmp/numvfs.err)"
    dmesg | tail -10 | sed 's/^/    | /'
    exit 1
fi
VFIF=$(ls "$DEV/virtfn0/net" | head -1)
ip -4 addr flush dev "$IF"
ip link set "$VFIF" up
ip addr add "$VFA/24" dev "$VFIF"
if ! wait_for 30 link_ok "$VFIF" || ! wait_for 20 host_ok; then
    echo "IGBBENCH ERROR vf $VFIF: link '$(link_desc "$VFIF")', no answer from $HOSTA"
    exit 1
fi
info vf "$VFIF"
runs vf "$VFIF"
say "$IF (the PF) counters after the VF's runs (non-zero):"
nic_stats "$IF"
exit 0
