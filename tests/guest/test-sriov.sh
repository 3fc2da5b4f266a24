#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SR-IOV tests in a Linux guest (one boot, -m 1G): RSS over the PF's RX
# queues; 7 VFs enumerate and bind to igbvf, also after 3 rounds of
# 7 -> 0 -> 7; then 2 VFs with MACs set by the PF, each in a network
# namespace of its own; ping PF<->VF, VF<->VF and VF->host through the
# NIC's switch, 5 MiB TCP host<->VF each way (connections from the VF to
# xfer-server.py, and from the host to the VF through a hostfwd and
# xfer-client.py), VF link, igbvf reload; the PF moved into a namespace of
# its own: pings, RSS with VFs on, broadcast ARP reaching every pool, port
# VLAN (ip link set PF vf 0 vlan), spoofchk and trust (a macvlan on the VF
# sending from another MAC), vf link state; rmmod/modprobe igb with VFs on;
# and the PF still working after the VFs are disabled.  Prints every check,
# then "N passed, N failed"; exits 0 only if every expected check passed
# (a missing one counts as failed).
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs);
#      IGB_SRIOV_TIMEOUT (default 600 s); IGB_SRIOV_LOW_BARS=1 takes the
#      64-bit PCI window away (q35 pci-hole64-size=0) so that the guest puts
#      the VF BARs below 4 GiB: Debian's stock QEMU 10.0.2 maps a VF BAR from
#      the low half of its address only, so above 4 GiB its VFs are dead;
#      IGB_SRIOV_QEMU_ARGS: more QEMU arguments (words), e.g.
#      "-trace igb_tx_spoofed" or "-d guest_errors,unimp -D /tmp/q.log".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

xfer=5242880
expect="pf rss enable bind renum_loop renum vfmac netns vflink pf_vf vf_vf
        vf_host tcp_rx tcp_tx ext_in ext_out vfreload pfns local_tcp rss_vf bcast vlan
        vlan_clear spoofchk trust linkstate pfreload disable boot host_rx
        host_tx host_ext_in host_ext_out"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/sriov.results
log=$logdir/sriov.log
xlog=$logdir/sriov-xfer.log
xport=$logdir/sriov-xfer.port
clog=$logdir/sriov-client.log
: > "$results"

srv_pid='' cli_pid=''
cleanup() {
    [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null || true
    [ -z "$cli_pid" ] || kill "$cli_pid" 2>/dev/null || true
}
trap cleanup EXIT

"$here/build-image.sh" >/dev/null

# The transfer server on the host (the guest reaches it as 10.0.2.2:PORT
# through slirp).
rm -f "$xlog" "$xport"
python3 "$here/xfer-server.py" --port-file "$xport" --log "$xlog" \
    --timeout 900 --max-conn 48 &
srv_pid=$!
for _ in $(seq 50); do [ -s "$xport" ] && break; sleep 0.1; done
[ -s "$xport" ] || die "transfer server did not start"
port=$(cat "$xport")

# The host end of the connections from the host to VF0 (10.0.2.20:7001 in
# the guest, through a hostfwd on a free local port): it starts once the
# guest prints "IGBTEST READY ext".
extport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$log" "$clog"
python3 "$here/xfer-client.py" --port "$extport" --bytes "$xfer" \
    --wait-log "$log" --wait-for 'IGBTEST READY ext' --log "$clog" \
    --timeout "${IGB_SRIOV_TIMEOUT:-600}" &
cli_pid=$!

extra=()
[ "${IGB_SRIOV_LOW_BARS:-0}" = 1 ] && extra=(-global q35-pcihost.pci-hole64-size=0)
# shellcheck disable=SC2206  # a list of words
extra+=(${IGB_SRIOV_QEMU_ARGS:-})
igb_guest_boot sriov "$log" "$results" -t "${IGB_SRIOV_TIMEOUT:-600}" \
    -n ",hostfwd=tcp:127.0.0.1:$extport-10.0.2.20:7001" \
    -a "igbtest=sriov igbport=$port igbxfer=$xfer igbext=1" -- -m 1G "${extra[@]}"
kill "$srv_pid" "$cli_pid" 2>/dev/null || true
wait "$srv_pid" "$cli_pid" 2>/dev/null || true
srv_pid='' cli_pid=''

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
# ... and of the connections from the host to VF0: the guest's answer to
# the upload, and the download as received here.
client_check() { # NAME WANT-LINE GUEST-CHECK
    local line
    line=$(grep "^${2%% *} $xfer " "$clog" 2>/dev/null | tail -1 || true)
    if [ "$line" = "$2" ] && grep -q "PASS sriov.$3 .*sha256=$want" "$results"; then
        echo "IGBTEST PASS sriov.$1 host to VF0: '$line'"
    else
        echo "IGBTEST FAIL sriov.$1 client log: '$(grep -E "^(${2%% *}|ERR)" "$clog" 2>/dev/null | tail -1)', want '$2'"
    fi | tee -a "$results"
}
client_check host_ext_in "PUT $xfer $want $xfer OK" ext_in
client_check host_ext_out "GET $xfer $xfer $want OK" ext_out

# shellcheck disable=SC2086  # $expect is a list of words
igb_tally "$results" $(printf 'sriov.%s ' $expect)
