#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV tests in a Linux guest (one boot, -m 1G): 7 VFs enumerate and bind
# to igbvf; then 2 VFs with MACs set by the PF, each in a network
# namespace of its own; ping PF<->VF, VF<->VF and VF->host through the
# NIC's switch, 5 MiB TCP host<->VF each way, VF link, igbvf reload, and
# the PF still working after the VFs are disabled.  Prints every check,
# then "N passed, N failed"; exits 0 only if every expected check passed
# (a missing one counts as failed).
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs);
#      IGB_SRIOV_TIMEOUT (default 600 s); IGB_SRIOV_LOW_BARS=1 takes the
#      64-bit PCI window away (q35 pci-hole64-size=0) so that the guest puts
#      the VF BARs below 4 GiB: Debian's stock QEMU 10.0.2 maps a VF BAR from
#      the low half of its address only, so above 4 GiB its VFs are dead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"

xfer=5242880
expect="pf enable bind renum vfmac netns vflink pf_vf vf_vf vf_host tcp_rx
        tcp_tx vfreload disable boot host_rx host_tx"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/sriov.results
log=$logdir/sriov.log
xlog=$logdir/sriov-xfer.log
xport=$logdir/sriov-xfer.port
: > "$results"

srv_pid=
cleanup() { [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null || true; }
trap cleanup EXIT

"$here/build-image.sh" >/dev/null

# The transfer server on the host (the guest reaches it as 10.0.2.2:PORT
# through slirp).
rm -f "$xlog" "$xport"
python3 "$here/xfer-server.py" --port-file "$xport" --log "$xlog" \
    --timeout 900 --max-conn 8 &
srv_pid=$!
for _ in $(seq 50); do [ -s "$xport" ] && break; sleep 0.1; done
[ -s "$xport" ] || die "transfer server did not start"
port=$(cat "$xport")

extra=()
[ "${IGB_SRIOV_LOW_BARS:-0}" = 1 ] && extra=(-global q35-pcihost.pci-hole64-size=0)
t0=$SECONDS
log "boot 'sriov' (log $log)"
set +e
"$here/run-guest.sh" -t "${IGB_SRIOV_TIMEOUT:-600}" \
    -a "igbtest=sriov igbport=$port igbxfer=$xfer" -- -m 1G "${extra[@]}" 2>&1 |
    tr -d '\r' | tee "$log" |
    if [ "${VERBOSE:-0}" = 1 ]; then cat; else
        grep --line-buffered -oE 'IGBTEST (PASS|FAIL) .*'; fi
rc=${PIPESTATUS[0]}
set -e
grep -oE 'IGBTEST (PASS|FAIL) .*' "$log" >> "$results" || true
if [ "$rc" = 0 ] && grep -q '^IGBTEST DONE' "$log"; then
    echo "IGBTEST PASS sriov.boot $((SECONDS - t0))s" | tee -a "$results"
else
    echo "IGBTEST FAIL sriov.boot rc=$rc after $((SECONDS - t0))s$(
          grep -q '^IGBTEST DONE' "$log" || echo ', test did not finish')" |
        tee -a "$results"
    tail -n 25 "$log" | sed 's/^/    | /'
fi
kill "$srv_pid" 2>/dev/null || true
wait "$srv_pid" 2>/dev/null || true
srv_pid=

# The host's view of the transfers with VF0.
want=$(python3 -c 'import hashlib, importlib.util as u, sys
s = u.spec_from_file_location("x", sys.argv[1]); m = u.module_from_spec(s)
s.loader.exec_module(m); print(hashlib.sha256(m.gen(int(sys.argv[2]))).hexdigest())' \
    "$here/xfer-server.py" "$xfer")
host_check() { # NAME OP GUEST-CHECK
    local line
    line=$(grep "^$2 $xfer " "$xlog" 2>/dev/null | tail -1 || true)
    if [ "$line" = "$2 $xfer $xfer $want OK" ] &&
       grep -q "PASS sriov.$3 .*sha256=$want" "$results"; then
        echo "IGBTEST PASS sriov.$1 host saw $2 of $xfer bytes, sha256 $want"
    else
        echo "IGBTEST FAIL sriov.$1 host log: '${line:-nothing}', want sha256 $want"
    fi | tee -a "$results"
}
host_check host_rx GET tcp_rx
host_check host_tx PUT tcp_tx

# Tally: every expected check must have passed and nothing may have failed.
npass=0 nfail=0
for c in $expect; do
    c=sriov.$c
    if grep -q "^IGBTEST FAIL $c\( \|$\)" "$results"; then
        nfail=$((nfail + 1))
    elif grep -q "^IGBTEST PASS $c\( \|$\)" "$results"; then
        npass=$((npass + 1))
    else
        echo "IGBTEST FAIL $c missing"; nfail=$((nfail + 1))
    fi
done
# shellcheck disable=SC2086  # $expect is a list of words
while read -r _ _ c _; do   # failures outside the expected list
    case " $(printf 'sriov.%s ' $expect)" in
        *" $c "*) ;;
        *) echo "unexpected failure: $c"; nfail=$((nfail + 1)) ;;
    esac
done < <(grep '^IGBTEST FAIL' "$results" || true)
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
