#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# DPDK in a Linux guest (Debian bookworm's DPDK 22.11, dpdk-testpmd with the
# net_e1000_igb and net_e1000_igb_vf PMDs; the guest image's DPDK variant),
# the igb's netdev a unix datagram socket pair to dpdk-peer.py on the host,
# which sends frames on the guest's command and checks what comes back.
# Both boots -m 2G -cpu max (Debian's DPDK needs SSE4.2).  Boot 1: the PF
# on uio_pci_generic, 4 queues, RSS: link, io, rxonly, txonly, tx_first,
# csum (software and hardware checksums), flow rules (5-tuple, EtherType,
# TCP SYN).  Boot 2 (VT-d: intel-iommu, intel_iommu=on): a VF (created by
# the kernel's igb) on vfio-pci: link, io, rxonly, txonly, tx_first, csum;
# then the PF on vfio-pci: link, io with RSS; no DMA faults in the IOMMU.
# The guest checks testpmd's counters against what the peer sent (see
# initramfs/tests/dpdk.sh); here the peer's report is checked: every
# forwarded frame came back intact (or with valid checksums), nothing came
# back in rxonly, it got exactly the frames tx_first sent, and of txonly's
# flood (faster than the socket: QEMU's net queue drops) only valid frames.
# One run at a time (a lock in the log directory).  Prints every check,
# then "N passed, M failed"; exits 0 only if every expected check passed.
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs);
#      IGB_DPDK_FRAMES frames per phase (default 600, a multiple of 10);
#      IGB_DPDK_BOOTS "pf vf" (default) or one of them;
#      IGB_DPDK_TIMEOUT per boot (default 600 s); IGB_DPDK_QEMU_ARGS: more
#      QEMU arguments (words), e.g. "-trace igb_rx_steered -D /tmp/q.log".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"
export GUEST_VARIANT=dpdk

frames=${IGB_DPDK_FRAMES:-600}
boots=${IGB_DPDK_BOOTS:-pf vf}
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
# one run at a time: the logs, the results and the console the peer reads
# are fixed paths
exec 9>"$logdir/dpdk.lock"
if ! flock -n 9; then
    log "waiting for another test-dpdk.sh to finish"
    flock 9
fi
results=$logdir/dpdk.results
: > "$results"
sockdir=$(mktemp -d /tmp/igb-dpdk.XXXXXX)
peer_pid=''
cleanup() {
    [ -z "$peer_pid" ] || kill "$peer_pid" 2>/dev/null || true
    rm -rf "$sockdir"
}
trap cleanup EXIT

t0=$SECONDS
"$here/build-image.sh" >/dev/null
log "DPDK guest image ready after $((SECONDS - t0)) s"

checks_pf="bind start link io rss rxonly txonly txfirst csum_sw csum_hw flow_create
           flow_ntuple flow_ethertype flow_syn flow_nomatch quit
           io_peer rxonly_peer txonly_peer txfirst_peer csum_sw_peer csum_hw_peer
           flow_ntuple_peer flow_ethertype_peer flow_syn_peer flow_nomatch_peer"
checks_vf="pf_bind bind start link io rxonly txonly txfirst csum_sw csum_hw quit dma
           io_peer rxonly_peer txonly_peer txfirst_peer csum_sw_peer csum_hw_peer"
checks_pfvfio="bind start link io quit dma io_peer"

# peer_checks REPORT: the peer's view of each phase, as checks.
peer_checks() {
    local kind expect name rest sent back ok bad dup n gtx
    while read -r kind name rest; do
        case $kind in
        PHASE)
            expect=$(sed -n 's/.*expect=\([a-z]*\).*/\1/p' <<<"$rest")
            sent=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' <<<" $rest")
            back=$(sed -n 's/.* back=\([0-9]*\).*/\1/p' <<<" $rest")
            ok=$(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<" $rest")
            bad=$(sed -n 's/.* bad=\([0-9]*\).*/\1/p' <<<" $rest")
            dup=$(sed -n 's/.* dup=\([0-9]*\).*/\1/p' <<<" $rest")
            if [ "$expect" = none ]; then
                if [ "$sent" = "$frames" ] && [ "$back" = 0 ]; then
                    echo "IGBTEST PASS ${name}_peer peer sent $sent, none came back"
                else
                    echo "IGBTEST FAIL ${name}_peer peer: $rest"
                fi
            elif [ "$sent" = "$frames" ] && [ "$back" = "$sent" ] && [ "$ok" = "$sent" ] &&
                 [ "$bad" = 0 ] && [ "$dup" = 0 ]; then
                echo "IGBTEST PASS ${name}_peer peer sent $sent, got all back ($expect)"
            else
                echo "IGBTEST FAIL ${name}_peer peer: $rest"
            fi ;;
        TXONLY)
            n=$(sed -n 's/.*frames=\([0-9]*\) ok=\([0-9]*\) bad=\([0-9]*\).*/\1 \2 \3/p' <<<"$rest")
            gtx=$(grep -E "^IGBTEST (PASS|FAIL) $name " "$results" | head -1 |
                  sed -n 's/^IGBTEST [A-Z]* [^ ]* tx=\([0-9]*\).*/\1/p')
            set -- $n
            if [ -z "$gtx" ] || [ "$2" != "$1" ] || [ "$3" != 0 ]; then
                echo "IGBTEST FAIL ${name}_peer peer: $rest; testpmd says tx=${gtx:-?}"
            elif [ "${name##*.}" = txfirst ] && [ "$1" = "$gtx" ]; then
                echo "IGBTEST PASS ${name}_peer peer got all $1 frames testpmd sent, IP checksums valid"
            elif [ "${name##*.}" != txfirst ] && [ "$1" -gt 0 ] && [ "$1" -le "$gtx" ]; then
                echo "IGBTEST PASS ${name}_peer peer got $1 of the $gtx frames (the rest dropped in QEMU's net queue: the guest sends faster than the socket takes), IP checksums valid"
            else
                echo "IGBTEST FAIL ${name}_peer peer: $rest; testpmd says tx=$gtx"
            fi ;;
        OTHER) log "peer: $name frames it could not place" ;;
        esac
    done < "$1" > "$sockdir/peer-checks"
    tee -a "$results" < "$sockdir/peer-checks"
}

# dpdk_boot NAME PARTS KERNEL-ARGS QEMU-ARGS...: one guest with the peer.
dpdk_boot() {
    local name=$1 parts=$2 kargs=$3 glog=$logdir/$1.log report=$logdir/$1.peer
    local t1=$SECONDS verbose=()
    shift 3
    rm -f "$glog" "$report" "$sockdir"/*
    [ "${VERBOSE:-0}" = 1 ] && verbose=(--verbose)
    python3 "$here/dpdk-peer.py" --sock "$sockdir/peer" --qemu-sock "$sockdir/qemu" \
        --console "$glog" --out "$report" --timeout "${IGB_DPDK_TIMEOUT:-600}" \
        "${verbose[@]}" &
    peer_pid=$!
    # shellcheck disable=SC2206  # a list of words
    local extra=(${IGB_DPDK_QEMU_ARGS:-})
    igb_guest_boot "$name" "$glog" "$results" -t "${IGB_DPDK_TIMEOUT:-600}" \
        -N "dgram,id=n0,local.type=unix,local.path=$sockdir/qemu,remote.type=unix,remote.path=$sockdir/peer" \
        -a "igbtest=dpdk igbdpdk=$parts igbn=$frames $kargs" -- -m 2G -cpu max "$@" "${extra[@]}"
    wait "$peer_pid" 2>/dev/null || true
    peer_pid=''
    if [ -s "$report" ]; then
        peer_checks "$report"
    else
        echo "IGBTEST FAIL $name.peer no report from dpdk-peer.py" | tee -a "$results"
    fi
    log "boot $name: $((SECONDS - t1)) s"
}

expect=()
for b in $boots; do
    case $b in
    pf)
        dpdk_boot dpdk.pf pf ''
        # shellcheck disable=SC2086
        expect+=(dpdk.pf.boot $(printf 'dpdk.pf.%s ' $checks_pf)) ;;
    vf)
        dpdk_boot dpdk.vf vf,pfvfio intel_iommu=on -device intel-iommu,intremap=on
        # shellcheck disable=SC2086
        expect+=(dpdk.vf.boot $(printf 'dpdk.vf.%s ' $checks_vf)
                 $(printf 'dpdk.pfvfio.%s ' $checks_pfvfio)) ;;
    *) die "IGB_DPDK_BOOTS: unknown boot '$b'" ;;
    esac
done
log "DPDK test: $((SECONDS - t0)) s"
igb_tally "$results" "${expect[@]}"
