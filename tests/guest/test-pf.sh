#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PF tests in a Linux guest: boot 1 (MSI-X) checks driver binding, MAC,
# link, DHCP, ping, 10 MiB TCP each way, ethtool self-tests, down/up and
# driver reload; boot 2 (pci=nomsi, legacy INTx) the link, ping and
# self-tests.  Prints every check, then "N passed, N failed"; exits 0 only
# if every expected check passed (a missing one counts as failed).
# Env: QEMU, QEMU_FIRMWARE_ARGS (see run-guest.sh); VERBOSE=1 shows the
#      whole console; IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
. "$here/harness.sh"

xfer=10485760
selftests="selftest_register selftest_eeprom selftest_interrupt
           selftest_loopback selftest_link selftest_recover"
expect_pf="boot bind mac link dhcp ping irq_msix tcp_rx tcp_tx $selftests
           ifdownup reload"
expect_intx="boot bind link dhcp ping irq_intx $selftests"
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/results
: > "$results"

srv_pid=
cleanup() { [ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null || true; }
trap cleanup EXIT

"$here/build-image.sh" >/dev/null

# boot PREFIX TIMEOUT RUN-GUEST-ARGS...: one guest (see harness.sh).
boot() {
    igb_guest_boot "$1" "$logdir/$1.log" "$results" -t "$2" "${@:3}"
}

# Boot 1, with the transfer server on the host (the guest reaches it as
# 10.0.2.2:PORT through slirp).
rm -f "$logdir/xfer.log" "$logdir/xfer.port"
python3 "$here/xfer-server.py" --port-file "$logdir/xfer.port" \
    --log "$logdir/xfer.log" --timeout 900 --max-conn 8 &
srv_pid=$!
for _ in $(seq 50); do [ -s "$logdir/xfer.port" ] && break; sleep 0.1; done
[ -s "$logdir/xfer.port" ] || die "transfer server did not start"
port=$(cat "$logdir/xfer.port")
boot pf "${IGB_PF_TIMEOUT:-360}" -a "igbtest=pf igbport=$port igbxfer=$xfer"
kill "$srv_pid" 2>/dev/null || true
wait "$srv_pid" 2>/dev/null || true
srv_pid=

# The host's view of the transfers.
want=$(python3 -c 'import hashlib, importlib.util as u, sys
s = u.spec_from_file_location("x", sys.argv[1]); m = u.module_from_spec(s)
s.loader.exec_module(m); print(hashlib.sha256(m.gen(int(sys.argv[2]))).hexdigest())' \
    "$here/xfer-server.py" "$xfer")
host_check() { # NAME OP
    local line
    line=$(grep "^$2 $xfer " "$logdir/xfer.log" 2>/dev/null | tail -1 || true)
    if [ "$line" = "$2 $xfer $xfer $want OK" ] &&
       { [ "$2" = PUT ] || grep -q "PASS pf.tcp_rx .*sha256=$want" "$results"; }; then
        echo "IGBTEST PASS $1 host saw $2 of $xfer bytes, sha256 $want"
    else
        echo "IGBTEST FAIL $1 host log: '${line:-nothing}', want sha256 $want"
    fi | tee -a "$results"
}
host_check host.tcp_rx GET
host_check host.tcp_tx PUT

# Boot 2: legacy INTx.
boot intx "${IGB_INTX_TIMEOUT:-240}" -a "igbtest=pf-intx pci=nomsi"

# Tally: every expected check must have passed and nothing may have failed.
# shellcheck disable=SC2086  # lists of words
igb_tally "$results" $(printf 'pf.%s ' $expect_pf) \
    $(printf 'intx.%s ' $expect_intx) host.tcp_rx host.tcp_tx
