# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for the guest tests (sourced by /igb/tests/*.sh).
# Results: "IGBTEST PASS|FAIL <P><name> <detail>", $P set by the test.
P=${P:-}
# busybox-static's ash runs its own applets before $PATH: use iproute2's ip.
ip() { /usr/sbin/ip "$@"; }
NFAIL=0
HOST=10.0.2.2
pass() { echo "IGBTEST PASS $P$1 ${2:-}"; }
fail() { echo "IGBTEST FAIL $P$1 ${2:-}"; NFAIL=$((NFAIL + 1)); }
say()  { echo "igb: $*"; }
# Show a file's tail, indented, after a failure.
show() { [ -f "$1" ] && tail -n "${2:-15}" "$1" | sed 's/^/    | /'; }
uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }

# The first netdev whose driver is $1 (default igb).
igb_if() {
    for d in /sys/class/net/*; do
        drv=$(readlink "$d/device/driver" 2>/dev/null) || continue
        [ "${drv##*/}" = "${1:-igb}" ] && { echo "${d##*/}"; return 0; }
    done
    return 1
}
# wait_for SECS CMD...: retry CMD once a second.  Its counter is local:
# a global one clobbered callers' own $n (sriov.local_tcp waited 30 s for
# a 30-byte file after its first case).
wait_for() {
    local left=$1
    shift
    until "$@" >/dev/null 2>&1; do
        left=$((left - 1)); [ "$left" -le 0 ] && return 1; sleep 1
    done
}
link_up()   { ethtool "$1" 2>/dev/null | grep -q 'Link detected: yes'; }
link_desc() {
    ethtool "$1" 2>/dev/null | awk -F': ' '/Speed:|Duplex:|Link detected:/ {
        gsub(/[\t ]/, "", $1); printf "%s%s=%s", sep, $1, $2; sep = " " }'
}
ip4()       { ip -4 -o addr show dev "$1" | awk '{print $4; exit}'; }
igb_dmesg() { dmesg | grep -iE 'igb|pci.*8086' | tail -n "${1:-10}" | sed 's/^/    | /'; }

t_bind() {
    if ! wait_for 20 igb_if; then
        fail bind "no netdev bound to igb"; igb_dmesg; return 1
    fi
    IF=$(igb_if)
    drv=$(ethtool -i "$IF" | awk '/^driver:/ {print $2}')
    bus=$(ethtool -i "$IF" | awk '/^bus-info:/ {print $2}')
    if [ "$drv" = igb ]; then
        pass bind "$IF driver=igb bus=$bus"
    else
        fail bind "$IF: ethtool -i says driver=$drv"
    fi
}

t_mac() {
    want=$(echo "${igbmac:-}" | tr A-F a-f)
    cur=$(cat "/sys/class/net/$IF/address")
    perm=$(ethtool -P "$IF" | awk '{print $NF}')
    if [ -n "$want" ] && [ "$cur" = "$want" ] && [ "$perm" = "$want" ]; then
        pass mac "$cur (permanent $perm)"
    else
        fail mac "address=$cur permanent=$perm expected=${want:-unset}"
    fi
}

t_link() {
    ip link set "$IF" up
    if ! wait_for 30 link_up "$IF"; then
        fail link "no link after 30 s: $(link_desc "$IF")"; return 1
    fi
    d=$(link_desc "$IF")
    case $d in
        *Speed=1000Mb/s*Duplex=Full*) pass link "$d" ;;
        *) fail link "$d" ;;
    esac
}

t_dhcp() {
    name=${1:-dhcp}
    ip -4 addr flush dev "$IF"
    udhcpc -i "$IF" -f -q -n -t 8 -T 3 -s /igb/udhcpc.script >/tmp/udhcpc.log 2>&1
    a=$(ip4 "$IF")
    if [ "$a" = 10.0.2.15/24 ]; then
        pass "$name" "lease $a router $(ip route | awk '/^default/ {print $3}')"
    else
        fail "$name" "address '${a:-none}'"; show /tmp/udhcpc.log
        return 1
    fi
}

# t_ping NAME: 3 echo requests to the slirp gateway, all answered.
t_ping() {
    name=${1:-ping}
    ping -c 3 -w 20 "$HOST" >/tmp/ping.log 2>&1
    s=$(grep -E 'packets transmitted' /tmp/ping.log)
    case $s in
        "3 packets transmitted, 3 packets received"*)
            pass "$name" "$HOST 3/3 $(grep -o 'min/avg/max = [0-9./]*' /tmp/ping.log)" ;;
        *) fail "$name" "$HOST: ${s:-no answer}"; show /tmp/ping.log; return 1 ;;
    esac
}

# Deterministic data, the same as xfer-server.py's gen(n).
gen() { seq 1 $(($1 / 2 + 10)) | head -c "$1"; }

# t_tcp BYTES: download (host -> guest) and upload (guest -> host) through
# the host's xfer-server.py at 10.0.2.2:$igbport, content checked by sha256.
t_tcp() {
    n=$1
    if [ -z "${igbport:-}" ]; then
        fail tcp_rx "no igbport= on the kernel command line"
        fail tcp_tx "no igbport= on the kernel command line"; return 1
    fi
    want=$(gen "$n" | sha256sum | cut -d' ' -f1)
    t0=$(uptime_cs)
    echo "GET $n" | timeout 60 nc "$HOST" "$igbport" > /tmp/rx 2>/tmp/nc.log
    t1=$(uptime_cs)
    got=$(sha256sum < /tmp/rx | cut -d' ' -f1)
    len=$(wc -c < /tmp/rx)
    rm -f /tmp/rx
    rate="$(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s"
    if [ "$len" = "$n" ] && [ "$got" = "$want" ]; then
        pass tcp_rx "bytes=$len sha256=$got time=$rate"
    else
        fail tcp_rx "bytes=$len/$n sha256=$got want=$want time=$rate"; show /tmp/nc.log
    fi
    t0=$(uptime_cs)
    reply=$( { echo "PUT $n"; gen "$n"; } | timeout 60 nc "$HOST" "$igbport" 2>/tmp/nc.log)
    t1=$(uptime_cs)
    rate="$(( (t1 - t0) / 100 )).$(( (t1 - t0) % 100 / 10 ))s"
    if [ "$reply" = "$want $n OK" ]; then
        pass tcp_tx "bytes=$n sha256=$want time=$rate"
    else
        fail tcp_tx "server said '$reply', want sha256=$want time=$rate"; show /tmp/nc.log
    fi
}

# Sum of the interrupt counts on /proc/interrupts lines naming $IF whose
# type matches $1 (PCI-MSI or IO-APIC).
irq_count() {
    awk -v dev="$IF" -v type="$1" '
        NR == 1 { ncpu = NF; next }
        $0 ~ type && ($NF == dev || index($NF, dev "-") == 1) {
            for (i = 2; i <= ncpu + 1; i++) s += $i; n++ }
        END { printf "%d %d\n", n, s }' /proc/interrupts
}
# t_irq msix|intx: the NIC's interrupts are of that kind, and they come.
t_irq() {
    case $1 in msix) type=PCI-MSI ;; *) type=IO-APIC ;; esac
    set -- $(irq_count "$type") "$1"
    if [ "$1" -gt 0 ] && [ "$2" -gt 0 ]; then
        pass "irq_$3" "$1 $type vector(s) for $IF, $2 interrupts"
    else
        fail "irq_$3" "$1 $type vector(s) for $IF, $2 interrupts"
        grep -E "CPU|$IF" /proc/interrupts | sed 's/^/    | /'
    fi
}

# ethtool -t IF offline: one check per test, then link and ping again.
t_selftest() {
    ethtool -t "$IF" offline >/tmp/selftest.log 2>&1
    say "ethtool -t $IF offline:"; sed 's/^/    | /' /tmp/selftest.log
    for t in Register Eeprom Interrupt Loopback Link; do
        v=$(awk -v t="$t" '$1 == t && $2 == "test" {print $NF; exit}' /tmp/selftest.log)
        lc=$(echo "$t" | tr A-Z a-z)
        if [ "$v" = 0 ]; then
            pass "selftest_$lc" "result 0"
        else
            fail "selftest_$lc" "result ${v:-missing}"
        fi
    done
    if wait_for 30 link_up "$IF" && t_ping _ >/dev/null; then
        pass selftest_recover "link and ping back after the self-test"
    else
        fail selftest_recover "after the self-test: $(link_desc "$IF")"; show /tmp/ping.log
    fi
}

t_ifdownup() {
    ip link set "$IF" down
    sleep 1
    down=$(link_desc "$IF")
    ip link set "$IF" up
    if wait_for 30 link_up "$IF" && t_ping _ >/dev/null; then
        pass ifdownup "down: ${down}; up: $(link_desc "$IF"); ping ok"
    else
        fail ifdownup "after up: $(link_desc "$IF")"; show /tmp/ping.log
    fi
}

t_reload() {
    old=$IF
    if ! rmmod igb; then fail reload "rmmod igb failed"; return 1; fi
    if igb_if >/dev/null; then fail reload "netdev still there after rmmod"; return 1; fi
    if ! modprobe igb; then fail reload "modprobe igb failed"; return 1; fi
    if ! wait_for 20 igb_if; then fail reload "no netdev after modprobe"; igb_dmesg; return 1; fi
    IF=$(igb_if)
    ip link set "$IF" up
    if ! wait_for 30 link_up "$IF"; then fail reload "no link: $(link_desc "$IF")"; return 1; fi
    if ! t_dhcp _ >/dev/null; then fail reload "no DHCP lease"; show /tmp/udhcpc.log; return 1; fi
    if ! t_ping _ >/dev/null; then fail reload "no ping"; show /tmp/ping.log; return 1; fi
    pass reload "$old -> $IF, link, lease $(ip4 "$IF"), ping ok"
}
