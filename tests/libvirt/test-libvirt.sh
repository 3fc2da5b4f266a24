#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# igb under libvirt (Debian's libvirt 11 from bookworm-backports), one TCG
# guest boot.  The test installs libvirt, runs its own libvirtd (no
# systemd) in a private mount and network namespace, so nothing of the
# machine's libvirt setup is used or changed, and defines a q35 domain
# whose <emulator> is our QEMU, with <interface type='user'><model
# type='igb'/></interface> and a direct kernel boot of the test guest
# (tests/guest/build-image.sh, igbtest=libvirt).  Checks: define; `virsh
# domxml-to-native qemu-argv` shows our -device igb; start; QMP
# qom-list-types / device-list-properties and HMP `info pci` through
# `virsh qemu-monitor-command`; in the guest, igb binds behind libvirt's
# pcie-root-port, MAC, link, DHCP from slirp, ping; `virsh attach-interface
# bridge --model igb` hot-plugs a second igb (libvirt's tap on a bridge in
# the test's namespace, with udhcpd and xfer-server.py behind it): the guest
# binds it, gets a lease, pings and moves data over TCP; `virsh
# detach-interface` removes it and the guest sees it go; SR-IOV in the
# guest (2 VFs bound to igbvf, VF->host and PF<->VF pings; the host sees the
# VFs in `info pci`); `virsh shutdown` presses the ACPI power button and the
# domain ends shut off; undefine, libvirtd stops, nothing left running.
# Prints every check, then "N passed, M failed"; exits 0 only if every
# expected check passed (a missing one counts as failed).
# Env: QEMU (default build/qemu-system-x86_64: <emulator>, made absolute);
#      VERBOSE=1 shows the guest's whole console at the end;
#      IGB_TEST_LOGDIR (default $IGB_CACHE/guest/logs: libvirt.log is the
#      console, libvirt.results the checks); IGB_LIBVIRT_TIMEOUT (seconds
#      for the boot and for each step, default 400); IGB_LIBVIRT_KEEP=1
#      leaves the private libvirt directory ($IGB_CACHE/libvirt/run) in
#      place after the run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091  # our own helpers
. "$here/../../scripts/igb/common.sh"
# shellcheck disable=SC1091
. "$IGB_TOP/tests/guest/harness.sh"

qemu=${QEMU:-$IGB_TOP/build/qemu-system-x86_64}
qemu=$(cd "$(dirname "$qemu")" && pwd)/$(basename "$qemu")
[ -x "$qemu" ] || die "no QEMU at $qemu (make qemu, or set QEMU=...)"
tmo=${IGB_LIBVIRT_TIMEOUT:-400}
dom=igb-libvirt-test
mac1=52:54:00:12:34:56 mac2=52:54:00:12:34:57
br=igbbr0 brhost=10.9.0.1       # a bridge in the test's own network namespace
xfer=2097152
expect_host="daemon define native start qmp_types qmp_props info_pci attach
             detach vfs_host shutdown finished cleanup"
expect_guest="bind slot mac link dhcp ping hotplug hotplug_tcp_rx
              hotplug_tcp_tx unplug sriov_enable sriov_bind sriov_vf_host
              sriov_pf_vf shutdown_request"
checks=()
for c in $expect_host $expect_guest; do checks+=("libvirt.$c"); done
logdir=${IGB_TEST_LOGDIR:-$IGB_CACHE/guest/logs}
mkdir -p "$logdir"
results=$logdir/libvirt.results
console=$logdir/libvirt.log
: > "$results"
t_start=$SECONDS

# One run at a time: the private libvirt directory is shared.
exec 9>"$IGB_CACHE/libvirt.lock"
flock 9

# --- libvirt from bookworm-backports ------------------------------------------
# libvirtd (libvirt-daemon), its QEMU driver and virsh.  The QEMU driver
# depends on "qemu-kvm | qemu-system": name backports' qemu-system-x86 so it
# matches the qemu-system-data our build already uses (it is never run).
igb_need libvirt-daemon/bookworm-backports \
    libvirt-daemon-driver-qemu/bookworm-backports \
    libvirt-clients/bookworm-backports qemu-system-x86/bookworm-backports \
    busybox-static iproute2 util-linux
mapfile -t img < <("$IGB_TOP/tests/guest/build-image.sh")
[ ${#img[@]} -eq 2 ] || die "build-image.sh failed"

# check NAME OK DETAIL: one host-side result line.
check() {
    local st=FAIL
    [ "$2" = 1 ] && st=PASS
    echo "IGBTEST $st libvirt.$1 $3" | tee -a "$results"
}

# --- a private libvirtd --------------------------------------------------------
# Its configuration, state, logs and capabilities cache are bind-mounted
# over /etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt and
# /var/cache/libvirt inside a mount namespace of its own; its sockets are
# in $W/sock (libvirtd.conf unix_sock_dir), reached with
# qemu:///system?socket=...; it and the QEMU it starts live in a network
# namespace of their own, with the bridge $br.
W=$IGB_CACHE/libvirt/run
cachedir=$IGB_CACHE/libvirt/cache     # kept: libvirt's probe of our QEMU
dpid='' srvpid='' dhcppid=''
V=(virsh -q -c "qemu:///system?socket=$W/sock/libvirt-sock")
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# pid_of FILE NAME: the pid in FILE, if that process is running NAME.
pid_of() {
    local p
    p=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"
}
# stop_pid PID [SECS]: SIGTERM, then SIGKILL after SECS (default 10).
stop_pid() {
    local n=$((${2:-10} * 10))
    alive "$1" || return 0
    kill "$1" 2>/dev/null || true
    while alive "$1" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    alive "$1" && kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null || true
}
qemu_pid() { pid_of "$W/run/qemu/$dom.pid" qemu-system-x86 || pid_of "$W/run/qemu/$dom.pid" qemu-system-x86_64; }
# Whatever a run left behind (killed before its clean-up): only processes
# named in this directory's pid files.
leftovers() {
    local p
    for p in "$(qemu_pid)" "$(pid_of "$W/libvirtd.pid" libvirtd)" \
             "$(pid_of "$W/udhcpd.pid" busybox)" "$(pid_of "$W/xfer.pid" python3)"; do
        [ -z "$p" ] || { log "stopping $p left by an earlier run"; stop_pid "$p" 5; }
    done
}
cleanup() {
    local p
    if alive "$dpid"; then
        "${V[@]}" destroy "$dom" >/dev/null 2>&1 || true
        "${V[@]}" undefine "$dom" >/dev/null 2>&1 || true
    fi
    stop_pid "$srvpid" 2
    stop_pid "$dhcppid" 2
    stop_pid "$dpid" 15
    p=$(qemu_pid) && stop_pid "$p" 5
    [ "${IGB_LIBVIRT_KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

leftovers
rm -rf "$W"
mkdir -p "$W"/{etc/qemu,run,lib,log,sock} "$cachedir" /run/libvirt \
    /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
cat > "$W/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$W/sock"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:$W/libvirtd.log"
EOF
# qemu.conf: run QEMU as root (the guest image is under root's cache; the
# machine has no libvirt-qemu-readable copy), no AppArmor/SELinux labelling,
# QEMU's stdout/stderr into a plain file (no virtlogd to talk to).
cat > "$W/etc/qemu.conf" <<EOF
user = "root"
group = "root"
security_driver = "none"
stdio_handler = "file"
EOF
# shellcheck disable=SC2016  # expanded by the inner bash
unshare -m -n --propagation private -- bash -c '
    set -e
    W=$1 cache=$2 br=$3 brhost=$4
    mount --bind "$W/etc" /etc/libvirt
    mount --bind "$W/run" /run/libvirt
    mount --bind "$W/lib" /var/lib/libvirt
    mount --bind "$W/log" /var/log/libvirt
    mount --bind "$cache" /var/cache/libvirt
    ip link set lo up
    ip link add "$br" type bridge
    ip addr add "$brhost/24" dev "$br"
    ip link set "$br" up
    exec libvirtd -f "$W/etc/libvirtd.conf" -p "$W/libvirtd.pid"
' libvirtd "$W" "$cachedir" "$br" "$brhost" >"$W/libvirtd.out" 2>&1 9>&- &
dpid=$!
up=0
for _ in $(seq 150); do
    alive "$dpid" || break
    if [ -S "$W/sock/libvirt-sock" ] && "${V[@]}" version >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
done
if [ $up = 1 ]; then
    check daemon 1 "libvirtd $("${V[@]}" version --daemon | awk '/daemon:/ {print $NF}') pid $dpid, socket $W/sock/libvirt-sock, own mount and network namespace"
else
    check daemon 0 "libvirtd did not come up: $(tail -3 "$W/libvirtd.out" "$W/libvirtd.log" 2>/dev/null | tr '\n' ' ')"
    igb_tally "$results" "${checks[@]}"
    exit 1
fi
# DHCP and the transfer server on the bridge, for the hot-plugged NIC.
cat > "$W/udhcpd.conf" <<EOF
interface $br
start ${brhost%.*}.100
end ${brhost%.*}.110
max_leases 10
lease_file $W/udhcpd.leases
pidfile $W/udhcpd.pid
option subnet 255.255.255.0
option router $brhost
EOF
: > "$W/udhcpd.leases"
# (nsenter execs the command: $! is its pid; neither holds the lock)
nsenter -t "$dpid" -n busybox udhcpd -f "$W/udhcpd.conf" >"$W/udhcpd.out" 2>&1 9>&- &
dhcppid=$!
rm -f "$W/xfer.port"
nsenter -t "$dpid" -n python3 "$IGB_TOP/tests/guest/xfer-server.py" \
    --bind "$brhost" --port-file "$W/xfer.port" --log "$W/xfer.log" \
    --timeout $((tmo * 4)) --max-conn 4 9>&- &
srvpid=$!
echo "$srvpid" > "$W/xfer.pid"
for _ in $(seq 50); do [ -s "$W/xfer.port" ] && break; sleep 0.1; done
port=$(cat "$W/xfer.port" 2>/dev/null || echo 0)

# --- the domain ----------------------------------------------------------------
# q35 under TCG; 3 pcie-root-ports: the PF's and two free for hot-plug (no
# USB controller, which would take one); the serial console to a file.
rm -f "$console"
cat > "$W/$dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>${img[0]}</kernel>
    <initrd>${img[1]}</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet igbtest=libvirt igbmac=$mac1 igbmac2=$mac2 igbbrhost=$brhost igbport=$port igbxfer=$xfer</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$qemu</emulator>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='usb' model='none'/>
    <interface type='user'>
      <mac address='$mac1'/>
      <model type='igb'/>
    </interface>
    <serial type='file'>
      <source path='$console'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
if out=$("${V[@]}" define "$W/$dom.xml" 2>&1) &&
   xml=$("${V[@]}" dumpxml "$dom" 2>&1) && echo "$xml" | grep -q "<model type='igb'/>"; then
    addr=$(echo "$xml" | awk "/<model type='igb'\\/>/ {f = 1} f && /<address / {print; exit}" |
           grep -o "bus='[^']*' slot='[^']*'")
    check define 1 "$dom: <model type='igb'/> kept, placed at $addr (a pcie-root-port's bus)"
else
    check define 0 "$out $(echo "${xml:-}" | head -3)"
fi

# domxml-to-native: the QEMU command line libvirt would run.
argv=$("${V[@]}" domxml-to-native qemu-argv --domain "$dom" 2>&1 || true)
echo "$argv" > "$W/native.txt"
dev=$(echo "$argv" | grep -o "\-device '{\"driver\":\"igb\"[^']*}'" | head -1 || true)
if [ -n "$dev" ] && echo "$argv" | grep -qF "$qemu " && echo "$dev" | grep -q "\"mac\":\"$mac1\""; then
    check native 1 "$qemu ... $dev"
else
    check native 0 "no -device igb with mac $mac1 for $qemu in: $(echo "$argv" | tail -c 400)"
fi

# --- start -------------------------------------------------------------------------
if out=$("${V[@]}" start "$dom" 2>&1) &&
   [ "$("${V[@]}" domstate "$dom" 2>/dev/null)" = running ]; then
    cmdline=$(tr '\n' ' ' < "$W/log/qemu/$dom.log" 2>/dev/null | sed 's/\\ */ /g')
    netdev=$(echo "$cmdline" | grep -o "\-netdev '[^']*'" | head -1 || true)
    check start 1 "running, QEMU pid $(qemu_pid || echo '?'); $netdev"
else
    check start 0 "$out; $(tail -5 "$W/log/qemu/$dom.log" 2>/dev/null | tr '\n' ' ')"
fi

qmp() { "${V[@]}" qemu-monitor-command "$dom" "$1" 2>&1; }
hmp() { "${V[@]}" qemu-monitor-command "$dom" --hmp "$1" 2>&1 | tr -d '\r'; }
# QMP: the device types libvirt can ask for ...
types=$(qmp '{"execute":"qom-list-types","arguments":{"implements":"pci-device","abstract":false}}')
if echo "$types" | grep -q '"name":"igb"' && echo "$types" | grep -q '"name":"igbvf"'; then
    check qmp_types 1 "qom-list-types(pci-device) lists igb and igbvf"
else
    check qmp_types 0 "qom-list-types: $(echo "$types" | head -c 300)"
fi
# ... and the properties of ours (names, types, defaults).
props=$(qmp '{"execute":"device-list-properties","arguments":{"typename":"igb"}}')
missing='' have=''
for p in mac netdev max-vfs subsys-ven subsys eeprom-file bootindex; do
    if echo "$props" | grep -q "\"name\":\"$p\""; then have="$have $p"; else missing="$missing $p"; fi
done
maxvfs=$(echo "$props" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["return"]:
    if p["name"] == "max-vfs": print(p.get("type"), p.get("default-value"))' 2>/dev/null || true)
if [ -z "$missing" ]; then
    check qmp_props 1 "device-list-properties igb:$have (max-vfs: ${maxvfs:-?})"
else
    check qmp_props 0 "device-list-properties igb lacks$missing: $(echo "$props" | head -c 300)"
fi
# HMP info pci: the PF where libvirt put it.
pci=$(hmp 'info pci')
echo "$pci" > "$W/info-pci-1.txt"
n10c9() { echo "$1" | grep -c 'Ethernet controller: PCI device 8086:10c9' || true; }
pf=$(echo "$pci" | grep -B1 -A1 'PCI device 8086:10c9' | tr -s ' \n' ' ' | head -c 200)
if [ "$(n10c9 "$pci")" = 1 ] && echo "$pci" | grep -A1 'PCI device 8086:10c9' | grep -q 'subsystem 8086:a03c'; then
    check info_pci 1 "one 8086:10c9:$pf"
else
    check info_pci 0 "$(n10c9 "$pci") x 8086:10c9 in info pci:$pf"
fi

# --- the guest's steps -------------------------------------------------------------
shown=0
# guest_lines: show (and keep) the guest's new IGBTEST PASS/FAIL lines.
guest_lines() {
    local all
    all=$(tr -d '\r' < "$console" 2>/dev/null | grep -aoE 'IGBTEST (PASS|FAIL) .*' || true)
    [ -n "$all" ] || return 0
    echo "$all" | tail -n +$((shown + 1)) | tee -a "$results"
    shown=$(echo "$all" | wc -l)
}
# wait_guest PATTERN SECS: until the console shows PATTERN; fails early when
# the guest's test ended or the domain stopped.
wait_guest() {
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        guest_lines
        tr -d '\r' < "$console" 2>/dev/null | grep -aq "$1" && return 0
        tr -d '\r' < "$console" 2>/dev/null | grep -aq '^IGBTEST DONE' && return 1
        [ "$("${V[@]}" domstate "$dom" 2>/dev/null)" = running ] || return 1
        sleep 1
    done
    return 1
}
ifaces() { "${V[@]}" domiflist "$dom" 2>/dev/null | awk '$4 == "igb" {printf "%s%s/%s/%s", s, $2, $3, $5; s = " "}'; }

log "waiting for the guest (console $console)"
if wait_guest '^IGBTEST READY hotplug' "$tmo"; then
    # virsh attach-interface has no type 'user': the hot-plugged NIC goes
    # on the bridge (libvirt makes a tap for it).
    if out=$("${V[@]}" attach-interface "$dom" bridge "$br" --model igb --mac "$mac2" --live 2>&1) &&
       [ "$(ifaces | wc -w)" = 2 ]; then
        check attach 1 "attach-interface bridge $br --model igb --mac $mac2: domiflist $(ifaces); $(n10c9 "$(hmp 'info pci')") x 8086:10c9 in info pci"
    else
        check attach 0 "$out; domiflist: $(ifaces)"
    fi
else
    check attach 0 "the guest never asked for it (see $console)"
fi

if wait_guest '^IGBTEST READY unplug' "$tmo"; then
    out=$("${V[@]}" detach-interface "$dom" bridge --mac "$mac2" --live 2>&1) || true
    # the guest takes part in PCIe unplug: it may end after virsh returns
    n=0
    while [ "$(ifaces | wc -w)" != 1 ] && [ $n -lt 120 ]; do sleep 1; n=$((n + 1)); done
    left=$(n10c9 "$(hmp 'info pci')")
    if [ "$(ifaces | wc -w)" = 1 ] && [ "$left" = 1 ]; then
        check detach 1 "detach-interface bridge --mac $mac2${out:+ ($out)}: gone after ${n}s; domiflist $(ifaces); $left x 8086:10c9 in info pci"
    else
        check detach 0 "detach-interface${out:+: $out}; after ${n}s domiflist: $(ifaces); $left x 8086:10c9 in info pci"
    fi
else
    check detach 0 "the guest never asked for it (see $console)"
fi

if wait_guest '^IGBTEST READY shutdown' "$tmo"; then
    pci=$(hmp 'info pci')
    echo "$pci" > "$W/info-pci-2.txt"
    # A VF's own Vendor and Device ID registers read FFFFh (SR-IOV spec;
    # the guest takes 8086:10CA from the PF's SR-IOV capability), so info
    # pci shows every VF as ffff:ffff; QEMU realizes all max-vfs of them up
    # front: the enabled ones are those whose BAR0 is mapped.
    vfs=$(echo "$pci" | awk '
        /^ *Bus / { loc = $2 $4 "." $6; sub(/,/, ":", loc); sub(/,/, "", loc); sub(/:$/, "", loc); id = "" }
        /Ethernet controller: PCI device ffff:ffff/ { id = "vf" }
        /BAR0: .* memory at 0x/ && id == "vf" { printf "%s%s", s, loc; s = " " }')
    nvf=$(echo "$vfs" | wc -w)
    if [ "$nvf" = 2 ]; then
        check vfs_host 1 "info pci: 2 enabled VFs (ffff:ffff with BAR0 mapped) at bus:dev.fn $vfs"
    else
        check vfs_host 0 "info pci: $nvf enabled VFs ($vfs), want 2 (see $logdir/libvirt-info-pci.txt)"
        echo "$pci" > "$logdir/libvirt-info-pci.txt"
    fi
    t0=$SECONDS
    out=$("${V[@]}" shutdown "$dom" 2>&1) || true
    while [ "$("${V[@]}" domstate "$dom" 2>/dev/null)" = running ] && [ $((SECONDS - t0)) -lt "$tmo" ]; do
        sleep 1
    done
    st=$("${V[@]}" domstate "$dom" 2>/dev/null || true)
    if [ "$st" = "shut off" ]; then
        check shutdown 1 "virsh shutdown${out:+ ($out)}: shut off after $((SECONDS - t0))s ($("${V[@]}" domstate --reason "$dom" 2>/dev/null))"
    else
        check shutdown 0 "virsh shutdown${out:+ ($out)}: still '$st' after $((SECONDS - t0))s"
    fi
else
    check vfs_host 0 "the guest never got to it (see $console)"
    check shutdown 0 "the guest never got to it (see $console)"
fi
guest_lines
done_line=$(tr -d '\r' < "$console" 2>/dev/null | grep -a '^IGBTEST DONE' || true)
if [ "$done_line" = "IGBTEST DONE libvirt rc=0" ]; then
    check finished 1 "the guest ran its test to the end and powered off ($((SECONDS - t_start))s so far)"
else
    check finished 0 "${done_line:-the test in the guest did not finish}"
    tr -d '\r' < "$console" 2>/dev/null | tail -n 25 | sed 's/^/    | /'
fi
[ "${VERBOSE:-0}" = 1 ] && tr -d '\r' < "$console" | sed 's/^/    | /'

# --- clean-up: undefine, stop the daemon ------------------------------------------
"${V[@]}" destroy "$dom" >/dev/null 2>&1 || true
und=$("${V[@]}" undefine "$dom" 2>&1) && und=ok
stop_pid "$srvpid" 2
stop_pid "$dhcppid" 2
stop_pid "$dpid" 15
left=''
alive "$dpid" && left="$left libvirtd"
qemu_pid >/dev/null && left="$left qemu"
if [ "$und" = ok ] && [ -z "$left" ]; then
    check cleanup 1 "undefined; libvirtd stopped on SIGTERM; no QEMU left"
else
    check cleanup 0 "undefine: $und; still running:${left:- nothing}"
fi
dpid='' srvpid='' dhcppid=''
log "libvirt test took $((SECONDS - t_start))s"

igb_tally "$results" "${checks[@]}"
