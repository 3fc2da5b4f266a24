#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 82576 features with Linux's igb/igbvf (test-features.sh, one boot with
# three igb NICs: eth0-like PF on -netdev user, and two more, A and B, on
# one QEMU hub):  EEPROM writes (ethtool -E) with the checksum fixed by the
# driver and kept across a driver reload; the PTP hardware clock (ethtool
# -T, phc_ctl get/set/adj/freq); ptp4l with hardware time stamps between
# A and B (L2 and UDP); interrupt moderation (ethtool -C rx-usecs) measured
# from /proc/interrupts; statistics (ethtool -S, ip -s link) for the PF,
# its queues, broadcast/multicast and a VF; a VF's max_tx_rate; jumbo
# frames between the PF and a VF; the PF's VLAN device to a VF on a port
# VLAN, with VLAN stripping on and off; the offload toggles (ethtool -K
# tso, gso, tx, rx, txvlan; ntuple, fixed off on the 82576, and the RSS
# redirection table instead), each off and on around a checked transfer.
# Kernel args: igbport= (xfer-server.py on the host), igbmaca=, igbmacb=
# (the MACs of A and B).
# shellcheck disable=SC2034,SC2046,SC2154  # P for lib.sh; $(...) split on purpose; igb*= from init
P=feat.
. /igb/lib.sh
XFER=20971520                   # the downloads of the ITR checks
RLBYTES=5242880                 # VF0 -> PF transfers (rate limit, jumbo)
MAC0=52:54:00:00:00:10 MAC1=52:54:00:00:00:11
A0=10.0.2.20 A1=10.0.2.21 PFA=10.0.2.15
HA=192.168.77.1 HB=192.168.77.2 # A and B, in namespaces pa and pb
VLAN=200 PFV=10.0.200.1 VFV=10.0.200.21
RATE1=20 RATE2=50               # Mbit/s
igbmac=$(echo "$igbmac" | tr A-F a-f) igbmaca=$(echo "$igbmaca" | tr A-F a-f)
igbmacb=$(echo "$igbmacb" | tr A-F a-f)

nsx() { ns=$1; shift; if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi; }
now() { awk '{print $1}' /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# The netdev with MAC $1.
if_by_mac() {
    for d in /sys/class/net/*; do
        [ "$(cat "$d/address" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
    done
    return 1
}
three_nics() { if_by_mac "$igbmac" && if_by_mac "$igbmaca" && if_by_mac "$igbmacb"; }
# iplink NS IF rx|tx: "bytes packets" from ip -s link.
iplink() {
    nsx "$1" ip -s link show dev "$2" | awk -v d="$(echo "$3" | tr a-z A-Z):" '
        $1 == d { getline; print $1, $2; exit }'
}
sysstat() { nsx "$1" cat "/sys/class/net/$2/statistics/$3" 2>/dev/null || echo 0; }
# pings NAME NS DEST [SIZE]: 3 echo requests, all answered.
pings() {
    nsx "$2" ping -c 3 -i 0.2 -w 20 ${4:+-s $4} "$3" >"/tmp/ping-$1.log" 2>&1
    PING_SUM=$(grep -E 'packets transmitted' "/tmp/ping-$1.log")
    case $PING_SUM in
        "3 packets transmitted, 3 packets received"*) return 0 ;;
    esac
    [ -n "$PING_SUM" ] || PING_SUM="no ping summary: $(tail -1 "/tmp/ping-$1.log")"
    return 1
}
reach() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
rtt() { grep -o 'min/avg/max = [0-9./]*' "/tmp/ping-$1.log" | cut -d' ' -f3; }
pf_link_up() { ethtool "$IF" 2>/dev/null | grep -q 'Link detected: yes'; }
ns_link_up() { nsx "$1" ethtool "$2" 2>/dev/null | grep -q 'Link detected: yes'; }

# --- the three NICs; the PF's link, lease, ping ---------------------------
t_setup() {
    if ! wait_for 30 three_nics; then
        fail setup "want 3 igb netdevs with MACs $igbmac $igbmaca $igbmacb; have: $(ls /sys/class/net | tr '\n' ' ')"
        igb_dmesg; return 1
    fi
    IF=$(if_by_mac "$igbmac") NA=$(if_by_mac "$igbmaca") NB=$(if_by_mac "$igbmacb")
    DEV=$(readlink -f "/sys/class/net/$IF/device")
    ip link set "$IF" up
    if ! wait_for 30 pf_link_up; then fail setup "$IF: no link"; return 1; fi
    if ! t_dhcp _ >/dev/null; then fail setup "$IF: no DHCP lease"; show /tmp/udhcpc.log; return 1; fi
    if ! t_ping _ >/dev/null; then fail setup "$IF: no ping"; show /tmp/ping.log; return 1; fi
    pass setup "PF $IF ($igbmac, ${DEV##*/}) lease $(ip4 "$IF"), ping ok; A=$NA ($igbmaca) B=$NB ($igbmacb); $(ls /dev/ptp* | tr '\n' ' ')"
}

# --- EEPROM: ethtool -E, checksum, self-test, reload ------------------------
ee4() { ethtool -e "$IF" offset 0x20 length 4 | awk '$1 == "0x0020:" { print $2, $3, $4, $5 }'; }
# The sum of EEPROM words 0x00-0x3f (0xbaba when the checksum is right).
eesum() {
    ethtool -e "$IF" offset 0 length 128 raw on | od -An -v -tu2 |
        awk '{ for (i = 1; i <= NF; i++) s += $i } END { printf "0x%04x", s % 65536 }'
}
t_eeprom() {
    MAGIC=$(printf '0x%04x%04x' "$(cat "$DEV/device")" "$(cat "$DEV/vendor")")
    EE_ORIG=$(ee4) sum0=$(eesum)
    perm0=$(ethtool -P "$IF" | awk '{print $NF}')
    err=''
    ethtool -E "$IF" magic "$MAGIC" offset 0x20 value 0x5a 2>/tmp/ee.err ||
        err="ethtool -E value 0x5a: $(cat /tmp/ee.err)"
    printf '\022\064' | ethtool -E "$IF" magic "$MAGIC" offset 0x22 length 2 2>/tmp/ee.err ||
        err="$err ethtool -E length 2: $(cat /tmp/ee.err)"
    got=$(ee4) sum1=$(eesum)
    mac=$(ethtool -e "$IF" offset 0 length 6 raw on | od -An -tx1 | awk '{ $1 = $1; gsub(/ /, ":"); print }')
    perm1=$(ethtool -P "$IF" | awk '{print $NF}') cur=$(cat "/sys/class/net/$IF/address")
    how="magic $MAGIC; 0x20..0x23: '$EE_ORIG' -> '$got'; word sum $sum0 -> $sum1; MAC in EEPROM $mac, permanent $perm1, address $cur"
    if [ -z "$err" ] && [ "$got" = "5a 00 12 34" ] && [ "$sum1" = 0xbaba ] &&
       [ "$mac" = "$igbmac" ] && [ "$perm1" = "$igbmac" ] && [ "$perm0" = "$igbmac" ] && [ "$cur" = "$igbmac" ]; then
        pass eeprom_write "$how"
    else
        fail eeprom_write "${err:+$err; }$how"
    fi
}
t_eeprom_selftest() {
    ethtool -t "$IF" offline >/tmp/selftest.log 2>&1
    ee=$(awk '$1 == "Eeprom" && $2 == "test" {print $NF; exit}' /tmp/selftest.log)
    res=$(awk '/The test result is/ {print $NF}' /tmp/selftest.log)
    all=$(awk '/\(.*line\)/ {printf "%s%s=%s", s, $1, $NF; s = " "}' /tmp/selftest.log)
    back=no
    wait_for 30 pf_link_up && t_ping _ >/dev/null && back=yes
    if [ "$ee" = 0 ] && [ "$res" = PASS ] && [ "$(ee4)" = "5a 00 12 34" ] && [ $back = yes ]; then
        pass eeprom_selftest "after the writes: ethtool -t offline $res ($all); link and ping back"
    else
        fail eeprom_selftest "eeprom test '${ee:-missing}', result '$res' ($all); bytes $(ee4); link/ping back: $back"
        show /tmp/selftest.log 10
    fi
}
# rmmod/modprobe igb: the probe checks the checksum and reads the MAC.
t_eeprom_reload() {
    if ! rmmod igb || ! modprobe igb || ! wait_for 30 three_nics; then
        fail eeprom_reload "igb reload: netdevs $(ls /sys/class/net | tr '\n' ' ')"; igb_dmesg; return 1
    fi
    IF=$(if_by_mac "$igbmac") NA=$(if_by_mac "$igbmaca") NB=$(if_by_mac "$igbmacb")
    got=$(ee4) sum=$(eesum) perm=$(ethtool -P "$IF" | awk '{print $NF}')
    ip link set "$IF" up
    err=''
    { wait_for 30 pf_link_up && t_dhcp _ >/dev/null && t_ping _ >/dev/null; } || err="no link/lease/ping after the reload"
    # put the original bytes back
    set -- $EE_ORIG
    printf "\\$(printf %o 0x$1)\\$(printf %o 0x$2)\\$(printf %o 0x$3)\\$(printf %o 0x$4)" |
        ethtool -E "$IF" magic "$MAGIC" offset 0x20 length 4 2>/tmp/ee.err || err="$err; restore: $(cat /tmp/ee.err)"
    rest=$(ee4) rsum=$(eesum)
    how="after rmmod/modprobe igb: $IF 0x20..0x23 '$got', word sum $sum, permanent MAC $perm; restored '$rest' (sum $rsum)"
    if [ -z "$err" ] && [ "$got" = "5a 00 12 34" ] && [ "$sum" = 0xbaba ] && [ "$perm" = "$igbmac" ] &&
       [ "$rest" = "$EE_ORIG" ] && [ "$rsum" = 0xbaba ]; then
        pass eeprom_reload "$how; lease, ping ok"
    else
        fail eeprom_reload "${err:+$err; }$how"; igb_dmesg 5
    fi
}

# --- PTP hardware clock ----------------------------------------------------------
t_ts_caps() {
    ethtool -T "$IF" >/tmp/ts.log 2>&1
    n=$(awk -F': ' '/PTP Hardware Clock/ {print $2}' /tmp/ts.log)
    PHC=/dev/ptp$n
    miss=''
    for w in hardware-transmit hardware-receive hardware-raw-clock ptpv2-event; do
        grep -qw "$w" /tmp/ts.log || miss="$miss $w"
    done
    txm=$(sed -n '/Transmit Timestamp Modes/,/Receive Filter/p' /tmp/ts.log | grep -cw on)
    rxf=$(sed -n '/Receive Filter Modes/,$p' /tmp/ts.log | sed 1d | tr -d '\t' | tr '\n' ' ')
    if [ -n "$n" ] && [ -c "$PHC" ] && [ -z "$miss" ] && [ "$txm" -ge 1 ]; then
        pass ts_caps "ethtool -T $IF: PTP Hardware Clock $n ($PHC), hardware-transmit/receive/raw-clock, TX modes off/on, RX filters: ${rxf% }"
    else
        fail ts_caps "clock '${n:-none}', missing:${miss:- none}, tx on: $txm"; show /tmp/ts.log 20
    fi
}
# phcval FILE N: the Nth "clock time is" value in FILE.
phcval() { awk -v n="$2" '/clock time is/ { if (++i == n) { print $5; exit } }' "$1"; }
t_phc() {
    phc_ctl "$PHC" get wait 1 get >/tmp/phc1.log 2>&1
    g1=$(phcval /tmp/phc1.log 1) g2=$(phcval /tmp/phc1.log 2) sys=$(date +%s)
    d=$(secs "${g1:-0}" "${g2:-0}") off=$(secs "$sys" "${g2:-0}")
    if awk -v d="$d" -v o="$off" -v g="$g1" 'BEGIN { exit !(g != "" && d >= 0.95 && d <= 1.3 && o > -60 && o < 60) }'; then
        pass phc_get "$PHC: $g1, 1 s later $g2 (+$d s); system time $sys (PHC - system = $off s)"
    else
        fail phc_get "$PHC: '$g1' then '$g2' (+$d s, want ~1), system $sys"; show /tmp/phc1.log 6
    fi
    phc_ctl "$PHC" set 1000 get >/tmp/phc2.log 2>&1
    g=$(phcval /tmp/phc2.log 1)
    if awk -v g="$g" 'BEGIN { exit !(g != "" && g >= 1000 && g < 1000.5) }'; then
        pass phc_set "set 1000, then get: $g"
    else
        fail phc_set "set 1000, then get: '$g'"; show /tmp/phc2.log 6
    fi
    # (after "--", -5 is no option)
    phc_ctl "$PHC" -- get adj 10 get adj -5 get >/tmp/phc3.log 2>&1
    g1=$(phcval /tmp/phc3.log 1) g2=$(phcval /tmp/phc3.log 2) g3=$(phcval /tmp/phc3.log 3)
    d1=$(secs "${g1:-0}" "${g2:-0}") d2=$(secs "${g2:-0}" "${g3:-0}")
    if awk -v a="$d1" -v b="$d2" -v g="$g3" 'BEGIN { exit !(g != "" && a >= 10 && a < 10.3 && b >= -5 && b < -4.7) }'; then
        pass phc_adj "adj 10: $g1 -> $g2 (+$d1 s); adj -5: -> $g3 ($d2 s)"
    else
        fail phc_adj "adj 10: '$g1' -> '$g2' ($d1 s); adj -5: -> '$g3' ($d2 s)"; show /tmp/phc3.log 8
    fi
    # 2 s of guest time at +50 %, -50 % and 0 frequency offset
    phc_ctl "$PHC" -- freq 500000000 freq get wait 2 get freq -500000000 get wait 2 get \
        freq 0 get wait 2 get >/tmp/phc4.log 2>&1
    fr=$(awk '/clock frequency offset is/ {print $NF; exit}' /tmp/phc4.log)
    dp=$(secs "$(phcval /tmp/phc4.log 1)" "$(phcval /tmp/phc4.log 2)")
    dm=$(secs "$(phcval /tmp/phc4.log 3)" "$(phcval /tmp/phc4.log 4)")
    d0=$(secs "$(phcval /tmp/phc4.log 5)" "$(phcval /tmp/phc4.log 6)")
    if awk -v p="$dp" -v m="$dm" -v z="$d0" 'BEGIN {
            exit !(p >= 2.9 && p <= 3.4 && m >= 0.95 && m <= 1.2 && z >= 1.95 && z <= 2.3) }'; then
        pass phc_freq "wait 2 s: freq +500000000 ppb (read back ${fr:-?}): +$dp s; -500000000: +$dm s; 0: +$d0 s"
    else
        fail phc_freq "wait 2 s: +50%: +$dp s (want ~3), -50%: +$dm s (want ~1), 0: +$d0 s (want ~2)"
        show /tmp/phc4.log 14
    fi
    phc_ctl "$PHC" set >/dev/null 2>&1     # back to the system time
}

# --- A and B, each in a namespace of its own on the QEMU hub -------------------
t_hub() {
    for x in "pa $NA $HA" "pb $NB $HB"; do
        set -- $x
        ip netns add "$1" && ip link set "$2" netns "$1" && nsx "$1" ip link set lo up &&
            nsx "$1" ip addr add "$3/24" dev "$2" && nsx "$1" ip link set "$2" up ||
            { fail hub "cannot put $2 into netns $1"; return 1; }
    done
    if ! wait_for 30 ns_link_up pa "$NA" || ! wait_for 30 ns_link_up pb "$NB"; then
        fail hub "no link on $NA/$NB"; return 1
    fi
    if wait_for 5 pings hub pa $HB; then
        pass hub "$NA $HA (netns pa) <-> $NB $HB (netns pb) on the QEMU hub: $(rtt hub)"
    else
        fail hub "$NA -> $HB: $PING_SUM"; return 1
    fi
}

# ptp4l master on A, slave (-s) on B: the slave reaches SLAVE and its
# offsets settle: leaving out its first 3 s2 lines, the median |offset| of
# the next 10 or more is under 10 us.  Under TCG both clocks run on QEMU's
# virtual clock, which follows the host's: one NIC's RX stamp follows the
# other's TX stamp by the host time QEMU takes to pass the frame on
# (~10 us), and a host hiccup in between shows as a spike.
s2_offsets() { grep 'master offset.* s2 ' /tmp/ptp-s.log 2>/dev/null | awk '{print $4}'; }
# "median-abs count within-10us max-abs" of the s2 offsets after the first 3
s2_stats() {
    s2_offsets | awk 'NR > 3 { v = $1 < 0 ? -$1 : $1; print v }' | sort -n |
        awk '{ a[NR] = $1; if ($1 < 10000) k++ } END { print (NR ? a[int((NR + 1) / 2)] : -1), NR, k + 0, (NR ? a[NR] : -1) }'
}
settled() { set -- $(s2_stats); [ "$2" -ge 10 ] && [ "$1" -lt 10000 ]; }
# stamp LOG RE: ptp4l's time stamp on the first line matching RE.
stamp() { awk -v re="$2" '$0 ~ re { sub(/^ptp4l\[/, ""); sub(/\].*/, ""); print; exit }' "$1"; }
t_ptp4l() { # NAME MODE
    name=$1 mode=$2
    rm -f /tmp/ptp-m.log /tmp/ptp-s.log
    t0=$(now)
    /usr/sbin/ip netns exec pa ptp4l -i "$NA" -H "$mode" -m --tx_timestamp_timeout 100 \
        --uds_address /run/ptp4l-pa >/tmp/ptp-m.log 2>&1 &
    mpid=$!
    /usr/sbin/ip netns exec pb ptp4l -i "$NB" -H "$mode" -s -m --tx_timestamp_timeout 100 \
        --uds_address /run/ptp4l-pb >/tmp/ptp-s.log 2>&1 &
    spid=$!
    wait_for 75 settled
    t1=$(now)
    kill $mpid $spid 2>/dev/null; wait $mpid $spid 2>/dev/null
    start=$(stamp /tmp/ptp-s.log 'as PTP clock') slave=$(stamp /tmp/ptp-s.log 'UNCALIBRATED to SLAVE')
    gm=$(grep -c 'assuming the grand master role' /tmp/ptp-m.log)
    clk=$(grep -o 'selected /dev/ptp[0-9]* as PTP clock' /tmp/ptp-s.log | awk '{print $2}')
    errs=$(cat /tmp/ptp-s.log /tmp/ptp-m.log | grep -ciE 'timed out|fault|error|failed|without timestamp')
    n=$(s2_offsets | wc -l)
    set -- $(s2_stats); med=$1 cnt=$2 in10=$3 max=$4
    last=$(s2_offsets | tail -5 | tr '\n' ' ')
    delay=$(grep 'master offset.* s2 ' /tmp/ptp-s.log | tail -1 | awk '{print $NF}')
    how="ptp4l -H $mode: master on $NA, slave on $NB ($clk): SLAVE after $(secs "${start:-0}" "${slave:-0}") s, $n s2 lines in $(secs "$t0" "$t1") s; after the first 3: median |offset| $med ns, $in10 of $cnt within 10 us, max $max ns; last offsets (ns): $last; path delay $delay ns"
    [ "$errs" = 0 ] || how="$how; error/fault lines: $errs"
    if [ -n "$slave" ] && [ "$gm" -ge 1 ] && [ "$cnt" -ge 10 ] && [ "$med" -lt 10000 ]; then
        pass "$name" "$how"
    else
        fail "$name" "$how; grand master lines $gm"
        show /tmp/ptp-m.log 6; show /tmp/ptp-s.log 12
    fi
}

# --- interrupt moderation: the PF's RX vectors during a download -----------------
# "name count" of each of $IF's queue vectors.
qirqs() {
    awk -v dev="$IF" 'NR == 1 { ncpu = NF; next }
        index($NF, dev "-") == 1 { s = 0; for (i = 2; i <= ncpu + 1; i++) s += $i; print $NF, s }' /proc/interrupts
}
ITR_RATE=''
t_itr() { # NAME USECS
    name=$1 u=$2 ITR_RATE=0
    if [ -z "${igbport:-}" ]; then fail "$name" "no igbport= on the kernel command line"; return 1; fi
    ethtool -C "$IF" rx-usecs "$u" 2>/tmp/itr.err || { fail "$name" "ethtool -C rx-usecs $u: $(cat /tmp/itr.err)"; return 1; }
    shown=$(ethtool -c "$IF" | awk '$1 == "rx-usecs:" {print $2}')
    sleep 1
    qirqs >/tmp/irq.before
    t0=$(now)
    got=$(echo "GET $XFER" | timeout 90 nc "$HOST" "$igbport" | wc -c)
    t1=$(now)
    qirqs >/tmp/irq.after
    dt=$(secs "$t0" "$t1")
    # the busiest RX vector (the one the flow hashed to)
    set -- $(awk 'NR == FNR { b[$1] = $2; next } $1 ~ /-(rx|TxRx)-/ { d = $2 - b[$1]; if (d >= m) { m = d; v = $1 } }
                  END { print v, m + 0 }' /tmp/irq.before /tmp/irq.after)
    vec=$1 cnt=$2
    ITR_RATE=$(awk -v c="$cnt" -v t="$dt" 'BEGIN { printf "%d", c / t }')
    all=$(awk 'NR == FNR { b[$1] = $2; next } { printf "%s%s+%d", s, $1, $2 - b[$1]; s = " " }' /tmp/irq.before /tmp/irq.after)
    how="rx-usecs $shown: $XFER bytes in $dt s, busiest RX vector $vec $cnt interrupts = $ITR_RATE/s ($all)"
    if [ "$u" -gt 3 ]; then
        lim=$(awk -v u="$u" -v t="$dt" 'BEGIN { printf "%d", t * 1000000 / u * 1.05 + 3 }')
        how="$how; limit $((1000000 / u))/s -> at most $lim"
        if [ "$got" = "$XFER" ] && [ "$shown" = "$u" ] && [ "$cnt" -le "$lim" ] && [ "$cnt" -gt 0 ]; then
            pass "$name" "$how"
        else
            fail "$name" "$how; received $got bytes"
        fi
    else
        ITR_HOW=$how ITR_GOT=$got
    fi
}
t_itr_off() {
    ITR_HOW='' ITR_GOT=''
    t_itr itr_off 0
    [ -n "$ITR_HOW" ] || return 1
    ethtool -C "$IF" rx-usecs 3     # the driver's default
    # (at rx-usecs 1000 the limit is above what a TCG guest takes anyway:
    # $R1000/s is shown, not compared)
    if [ "$ITR_GOT" = "$XFER" ] && [ "$ITR_RATE" -gt $((R8000 * 3 / 2)) ]; then
        pass itr_off "$ITR_HOW: over 1.5 x the rate at rx-usecs 8000 ($R8000/s; at 1000: $R1000/s)"
    else
        fail itr_off "$ITR_HOW: want over 1.5 x $R8000/s (rx-usecs 8000; at 1000: $R1000/s); received $ITR_GOT bytes"
    fi
}

# --- statistics ----------------------------------------------------------------------
# snap NS IF FILE: ethtool -S and ip -s link of IF, "key value" lines.
snap() {
    { nsx "$1" ethtool -S "$2" | awk -F': *' '{ sub(/^ */, "", $1); print $1, $2 }'
      set -- $(iplink "$1" "$2" rx) $(iplink "$1" "$2" tx)
      echo "ip_rx_bytes $1"; echo "ip_rx_packets $2"; echo "ip_tx_bytes $3"; echo "ip_tx_packets $4"
    } > "$3" 2>/dev/null
}
# delta OLD NEW KEY
delta() { awk -v k="$3" 'NR == FNR { if ($1 == k) b = $2; next } $1 == k { print $2 - b; exit }' "$1" "$2"; }
qdelta() { # OLD NEW rx|tx packets|bytes: the sum of the per-queue deltas, and the list
    awk -v re="^$3_queue_[0-9]+_$4\$" 'NR == FNR { b[$1] = $2; next }
        $1 ~ re { d = $2 - b[$1]; s += d; q = $1; sub(/_[a-z]+$/, "", q); sub(/^[rt]x_queue_/, "q", q); l = l " " q "+" d }
        END { print s + 0, l }' "$1" "$2"
}
# within A B: A and B agree within 10 % + 3
within() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 3 + 0.1 * (a > b ? a : b)) }'; }

t_stats_pf() {
    snap - "$IF" /tmp/st0
    ping -c 20 -i 0.1 -s 1000 -w 30 "$HOST" >/tmp/ping-st.log 2>&1
    arping -b -c 5 -w 6 -I "$IF" "$HOST" >/tmp/arping-st.log 2>&1
    sleep 1
    snap - "$IF" /tmp/st1
    rp=$(delta /tmp/st0 /tmp/st1 rx_packets) tp=$(delta /tmp/st0 /tmp/st1 tx_packets)
    rb=$(delta /tmp/st0 /tmp/st1 rx_bytes) tb=$(delta /tmp/st0 /tmp/st1 tx_bytes)
    tbc=$(delta /tmp/st0 /tmp/st1 tx_broadcast)
    answered=$(grep -o '[0-9]* packets received' /tmp/ping-st.log | cut -d' ' -f1)
    how="20 pings of 1000 bytes to $HOST ($answered answered) + 5 broadcast ARPs: rx_packets +$rp tx_packets +$tp rx_bytes +$rb tx_bytes +$tb tx_broadcast +$tbc"
    if [ "$answered" = 20 ] && [ "$rp" -ge 20 ] && [ "$rp" -le 40 ] && [ "$tp" -ge 25 ] && [ "$tp" -le 45 ] &&
       [ "$rb" -ge $((20 * 1042)) ] && [ "$tb" -ge $((20 * 1042)) ] && [ "$tbc" -ge 5 ] && [ "$tbc" -le 8 ]; then
        pass stats_pf "$how"
    else
        fail stats_pf "$how (want rx 20..40, tx 25..45, bytes >= $((20 * 1042)) each way, tx_broadcast 5..8)"
    fi
    set -- $(qdelta /tmp/st0 /tmp/st1 rx packets); qr=$1; shift; lr="$*"
    set -- $(qdelta /tmp/st0 /tmp/st1 tx packets); qt=$1; shift; lt="$*"
    set -- $(qdelta /tmp/st0 /tmp/st1 rx bytes); qrb=$1
    if [ "$qr" -ge 20 ] && [ "$qt" -ge 25 ] && within "$qr" "$rp" && within "$qt" "$tp" && [ "$qrb" -ge $((20 * 1042)) ]; then
        pass stats_queues "rx queues +$qr packets ($lr), +$qrb bytes; tx queues +$qt ($lt)"
    else
        fail stats_queues "rx queues +$qr ($lr), +$qrb bytes; tx queues +$qt ($lt); port counters rx +$rp tx +$tp"
    fi
    irp=$(delta /tmp/st0 /tmp/st1 ip_rx_packets) itp=$(delta /tmp/st0 /tmp/st1 ip_tx_packets)
    irb=$(delta /tmp/st0 /tmp/st1 ip_rx_bytes) itb=$(delta /tmp/st0 /tmp/st1 ip_tx_bytes)
    how="ip -s link: RX +$irp packets +$irb bytes, TX +$itp packets +$itb bytes; ethtool -S: +$rp/+$rb, +$tp/+$tb"
    if within "$irp" "$rp" && within "$itp" "$tp" && within "$irb" "$rb" && within "$itb" "$tb"; then
        pass stats_iplink "$how"
    else
        fail stats_iplink "$how (want agreement within 10 %)"
    fi
}

t_stats_bcast() {
    snap pa "$NA" /tmp/sa0; snap pb "$NB" /tmp/sb0
    nsx pa arping -b -c 5 -w 6 -I "$NA" 192.168.77.9 >/tmp/arping-bc.log 2>&1
    nsx pa ping -c 5 -i 0.2 -w 3 -I "$NA" 224.0.0.1 >/tmp/ping-mc.log 2>&1
    sleep 1
    snap pa "$NA" /tmp/sa1; snap pb "$NB" /tmp/sb1
    tb=$(delta /tmp/sa0 /tmp/sa1 tx_broadcast) rb=$(delta /tmp/sb0 /tmp/sb1 rx_broadcast)
    tm=$(delta /tmp/sa0 /tmp/sa1 tx_multicast) rmc=$(delta /tmp/sb0 /tmp/sb1 rx_multicast)
    im=$(nsx pb ip -s link show dev "$NB" | awk '$1 == "RX:" { getline; print $6; exit }')
    if [ "$tb" -ge 5 ] && [ "$tb" -le 7 ] && [ "$rb" -ge 5 ] && [ "$rb" -le 7 ]; then
        pass stats_bcast "5 broadcast ARPs $NA -> $NB: $NA tx_broadcast +$tb, $NB rx_broadcast +$rb"
    else
        fail stats_bcast "5 broadcast ARPs $NA -> $NB: $NA tx_broadcast +$tb, $NB rx_broadcast +$rb (want 5..7)"
    fi
    if [ "$tm" -ge 5 ] && [ "$rmc" -ge 5 ] && [ "$rmc" -le 15 ]; then
        pass stats_mcast "5 pings to 224.0.0.1 $NA -> $NB: $NA tx_multicast +$tm, $NB rx_multicast +$rmc (ip -s link mcast now $im)"
    else
        fail stats_mcast "5 pings to 224.0.0.1: $NA tx_multicast +$tm, $NB rx_multicast +$rmc (want 5..15)"
    fi
}

# --- offload toggles (ethtool -K): each one off, a transfer, on, a transfer ----------
# The NIC: $IF (KNS -, KIF $IF), for txvlan A (pa, $NA).  The transfers:
# KBYTES to or from xfer-server.py on the host through -netdev user,
# content checked by sha256 (slirp checks every IP and TCP checksum it
# gets and drops a segment with a bad one); for txvlan, A -> B on a VLAN,
# content compared.  The evidence: ethtool -S, and the kernel's net: trace
# events on KIF, which show each skb as the stack queues it, before
# software GSO (net_dev_queue), as the driver gets it to send
# (net_dev_start_xmit), and as the driver passes it up
# (napi_gro_receive_entry).
KBYTES=2097152
TR=/sys/kernel/tracing
KSHA='' KERR='' KNS=- KIF=''
KVID=300 KVA=192.168.78.1 KVB=192.168.78.2    # txvlan: A.300, B.300
# kinit: KNS/KIF set to $IF, tracefs mounted, /tmp/kdata (gen $KBYTES)
# and its sha256 in KSHA.
kinit() {
    KNS=- KIF=$IF
    [ -d "$TR/events/net" ] || mount -t tracefs nodev "$TR" 2>/dev/null
    [ -d "$TR/events/net" ] || { KERR="no net: trace events under $TR"; return 1; }
    [ -n "$KSHA" ] && return 0
    gen "$KBYTES" > /tmp/kdata
    KSHA=$(sha256sum < /tmp/kdata | cut -d' ' -f1)
}
# klim: the longest frame the MTU allows (untagged, without the FCS).
klim() { echo $(( $(nsx "$KNS" cat "/sys/class/net/$KIF/mtu") + 14 )); }
# kshown FEATURE: the feature's state as ethtool -k shows it.
kshown() {
    case $1 in
        tso) k=tcp-segmentation-offload ;; gso) k=generic-segmentation-offload ;;
        tx) k=tx-checksumming ;; rx) k=rx-checksumming ;;
        txvlan) k=tx-vlan-offload ;; ntuple) k=ntuple-filters ;;
    esac
    nsx "$KNS" ethtool -k "$KIF" | awk -F': ' -v k="$k" '$1 == k {print $2; exit}'
}
# kput / kget: /tmp/kdata to the host / the same from the host (cat, not
# gen, feeds nc: fast enough for TCP to build large packets); K_OK, K_SECS.
kput() {
    t0=$(now)
    r=$( { echo "PUT $KBYTES"; cat /tmp/kdata; } | timeout 60 nc "$HOST" "$igbport" 2>/dev/null)
    K_SECS=$(secs "$t0" "$(now)") K_OK=no
    [ "$r" = "$KSHA $KBYTES OK" ] && K_OK=yes
}
kget() {
    t0=$(now)
    echo "GET $KBYTES" | timeout 60 nc "$HOST" "$igbport" >/tmp/krx 2>/dev/null
    K_SECS=$(secs "$t0" "$(now)") K_OK=no
    cmp -s /tmp/krx /tmp/kdata && K_OK=yes
    rm -f /tmp/krx
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# kvx: /tmp/kdata from A.$KVID to B.$KVID (nc, 10 s at most); K_OK, K_SECS.
kvx() {
    rm -f /tmp/kvx.rx
    [ -p /tmp/fifo ] || mkfifo /tmp/fifo
    exec 3<>/tmp/fifo               # the receiver's stdin: never EOF
    /usr/sbin/ip netns exec pb timeout 25 nc -l -p 5005 <&3 >/tmp/kvx.rx 2>/dev/null &
    srv=$!
    exec 3>&-
    sleep 1
    t0=$(now)
    nsx pa timeout 10 nc $KVB 5005 </tmp/kdata && wait_for 5 gone $srv
    K_SECS=$(secs "$t0" "$(now)") K_OK=no
    kill $srv 2>/dev/null; wait $srv 2>/dev/null
    cmp -s /tmp/kvx.rx /tmp/kdata && K_OK=yes
}
# kround put|get|vlan FEATURE on|off [FEATURE on|off]...: ethtool -K
# $KIF FEATURE on|off..., then one transfer (put: to the host, get: from
# the host, vlan: kvx) with the three trace events on; their KIF lines are
# left in /tmp/ktrace.  Sets K_SHOWN (the first FEATURE as ethtool -k
# shows it), K_OK, K_SECS and, from ethtool -S, K_SEG (tx_tcp_seg_good:
# the TSO contexts the NIC ran), K_TXP (tx_packets: frames the NIC sent)
# and K_CSE (the queues' rx csum_err).
kround() {
    mode=$1; shift
    nsx "$KNS" ethtool -K "$KIF" "$@" >/dev/null 2>&1
    K_SHOWN=$(kshown "$1")
    snap "$KNS" "$KIF" /tmp/k0
    echo > "$TR/trace"
    for e in net_dev_queue net_dev_start_xmit napi_gro_receive_entry; do
        echo 1 > "$TR/events/net/$e/enable"
    done
    case $mode in
        put) kput ;;
        get) kget ;;
        vlan) kvx ;;
    esac
    echo 0 > "$TR/events/net/enable"
    grep -F "dev=$KIF " "$TR/trace" > /tmp/ktrace
    snap "$KNS" "$KIF" /tmp/k1
    K_SEG=$(delta /tmp/k0 /tmp/k1 tx_tcp_seg_good) K_TXP=$(delta /tmp/k0 /tmp/k1 tx_packets)
    set -- $(qdelta /tmp/k0 /tmp/k1 rx csum_err); K_CSE=$1
}
# ksum EVENT: "skbs ipv4 big longest partial unnecessary tagged inframe"
# over the EVENT lines of /tmp/ktrace: skbs, IPv4 ones, ones longer than
# $(klim), the longest, IPv4 ones with ip_summed 3 (CHECKSUM_PARTIAL: the
# NIC is to fill in the checksum) and with 1 (CHECKSUM_UNNECESSARY: the
# NIC checked it), ones with the VLAN tag beside the frame (for the NIC to
# insert) and with it in the frame (ethertype 0x8100).
ksum() {
    awk -v ev=" $1: " -v lim="$(klim)" 'index($0, ev) {
        n++
        for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
        l = f["len"] + 0; if (l > lim) big++; if (l > max) max = l
        if (f["protocol"] == "0x0800") { v4++; if (f["ip_summed"] == 3) part++; if (f["ip_summed"] == 1) unn++ }
        if (f["vlan_tagged"] == 1) tag++
        if (f["protocol"] == "0x8100") inf++
    } END { print n + 0, v4 + 0, big + 0, max + 0, part + 0, unn + 0, tag + 0, inf + 0 }' /tmp/ktrace
}

# tso: off, the stack cuts every packet to the MTU before the driver and
# the NIC runs no TSO context; on, the driver gets packets of up to 64 KiB,
# the NIC runs one TSO context (tx_tcp_seg_good) for each and sends more
# frames than it was given packets, each with checksums slirp accepts.
t_koff_tso() {
    kinit || { fail koff_tso "$KERR"; return 1; }
    lim=$(klim)
    kround put tso off; s0=$K_SHOWN ok0=$K_OK sec0=$K_SECS seg0=$K_SEG txp0=$K_TXP
    set -- $(ksum net_dev_start_xmit); n0=$1 big0=$3 max0=$4
    kround put tso on; s1=$K_SHOWN ok1=$K_OK sec1=$K_SECS seg1=$K_SEG txp1=$K_TXP
    set -- $(ksum net_dev_start_xmit); n1=$1 big1=$3 max1=$4
    how="tso '$s0': $KBYTES bytes to $HOST in $sec0 s (sha256 ok: $ok0), the driver got $n0 packets (longest $max0 bytes), the NIC sent $txp0 frames, tx_tcp_seg_good +$seg0; tso '$s1': in $sec1 s (ok: $ok1), $n1 packets, $big1 of them over $lim bytes (longest $max1), $txp1 frames, tx_tcp_seg_good +$seg1"
    if [ "$s0" = off ] && [ "$ok0" = yes ] && [ "$big0" = 0 ] && [ "$seg0" = 0 ] &&
       [ "$s1" = on ] && [ "$ok1" = yes ] && [ "$big1" -gt 0 ] && [ "$seg1" = "$big1" ] && [ "$txp1" -gt "$n1" ]; then
        pass koff_tso "$how: one TSO context per large packet"
    else
        fail koff_tso "$how (want off: nothing over $lim bytes, no TSO context; on: large packets, one TSO context each, more frames than packets)"
    fi
}

# gso, with tso off so that GSO is what cuts the packets: no visible effect
# on TCP, which since Linux 4.16 builds GSO packets whatever the device's
# gso flag (tcp_init_sock: sk_route_forced_caps = NETIF_F_GSO); the
# packets are cut in software (validate_xmit_skb) for a device without TSO
# either way.  Shown: in both states the data gets to the host intact, and
# the driver gets nothing longer than the MTU allows (no TSO context).
t_koff_gso() {
    kinit || { fail koff_gso "$KERR"; return 1; }
    lim=$(klim)
    ethtool -K "$IF" tso off >/dev/null 2>&1
    kround put gso off; s0=$K_SHOWN ok0=$K_OK sec0=$K_SECS seg0=$K_SEG
    set -- $(ksum net_dev_start_xmit); n0=$1 big0=$3 max0=$4
    set -- $(ksum net_dev_queue); q0=$1 qbig0=$3 qmax0=$4
    kround put gso on; s1=$K_SHOWN ok1=$K_OK sec1=$K_SECS seg1=$K_SEG
    set -- $(ksum net_dev_start_xmit); n1=$1 big1=$3 max1=$4
    set -- $(ksum net_dev_queue); q1=$1 qbig1=$3 qmax1=$4
    ethtool -K "$IF" tso on >/dev/null 2>&1
    how="tso '$(kshown tso)' again; with it off: gso '$s0': $KBYTES bytes to $HOST in $sec0 s (sha256 ok: $ok0), queued $q0 packets ($qbig0 over $lim bytes, longest $qmax0), the driver got $n0 (longest $max0), tx_tcp_seg_good +$seg0; gso '$s1': in $sec1 s (ok: $ok1), queued $q1 ($qbig1 over $lim, longest $qmax1), the driver got $n1 (longest $max1), tx_tcp_seg_good +$seg1"
    if [ "$s0" = off ] && [ "$ok0" = yes ] && [ "$big0" = 0 ] && [ "$seg0" = 0 ] &&
       [ "$s1" = on ] && [ "$ok1" = yes ] && [ "$big1" = 0 ] && [ "$seg1" = 0 ]; then
        pass koff_gso "$how (no visible effect of the flag: TCP builds GSO packets either way since Linux 4.16; this shows both states carry the data)"
    else
        fail koff_gso "$how (want both intact, nothing over $lim bytes to the driver, no TSO context)"
    fi
}

# tx (tx checksumming): off, the stack computes every checksum (no
# CHECKSUM_PARTIAL packet reaches the driver) and TSO, which needs it, goes
# off too; on, the driver gets the TCP packets CHECKSUM_PARTIAL and the NIC
# fills in the checksums: slirp, which drops a segment with a bad one, gets
# the data intact.
t_koff_tx() {
    kinit || { fail koff_tx "$KERR"; return 1; }
    kround put tx off; s0=$K_SHOWN ok0=$K_OK sec0=$K_SECS seg0=$K_SEG tso0=$(kshown tso)
    set -- $(ksum net_dev_start_xmit); v40=$2 part0=$5
    kround put tx on; s1=$K_SHOWN ok1=$K_OK sec1=$K_SECS seg1=$K_SEG tso1=$(kshown tso)
    set -- $(ksum net_dev_start_xmit); v41=$2 part1=$5
    how="tx '$s0' (tso '$tso0'): $KBYTES bytes to $HOST in $sec0 s (sha256 ok: $ok0), $part0 of $v40 IPv4 packets to the driver CHECKSUM_PARTIAL, tx_tcp_seg_good +$seg0; tx '$s1' (tso '$tso1'): in $sec1 s (ok: $ok1), $part1 of $v41 CHECKSUM_PARTIAL, tx_tcp_seg_good +$seg1"
    if [ "$s0" = off ] && [ "$ok0" = yes ] && [ "$tso0" = off ] && [ "$v40" -gt 100 ] && [ "$part0" = 0 ] && [ "$seg0" = 0 ] &&
       [ "$s1" = on ] && [ "$ok1" = yes ] && [ "$tso1" = on ] && [ "$v41" -gt 10 ] && [ "$part1" -ge $((v41 - 2)) ]; then
        pass koff_tx "$how: with it on the NIC filled in the checksums"
    else
        fail koff_tx "$how (want off: none CHECKSUM_PARTIAL, tso off too; on: all but 2 at most)"
    fi
}

# rx (rx checksumming): on, the driver passes the NIC's "L4 checksum good"
# up (CHECKSUM_UNNECESSARY) for the frames from the host and counts no
# checksum error (rx_queue_N_csum_err); off, it ignores the NIC's status
# and the stack checks every checksum itself.
t_koff_rx() {
    kinit || { fail koff_rx "$KERR"; return 1; }
    kround get rx off; s0=$K_SHOWN ok0=$K_OK sec0=$K_SECS cse0=$K_CSE
    set -- $(ksum napi_gro_receive_entry); v40=$2 unn0=$6
    kround get rx on; s1=$K_SHOWN ok1=$K_OK sec1=$K_SECS cse1=$K_CSE
    set -- $(ksum napi_gro_receive_entry); v41=$2 unn1=$6
    how="rx '$s0': $KBYTES bytes from $HOST in $sec0 s (content ok: $ok0), $unn0 of $v40 IPv4 frames passed up CHECKSUM_UNNECESSARY, csum_err +$cse0; rx '$s1': in $sec1 s (ok: $ok1), $unn1 of $v41, csum_err +$cse1"
    if [ "$s0" = off ] && [ "$ok0" = yes ] && [ "$v40" -gt 100 ] && [ "$unn0" = 0 ] && [ "$cse0" = 0 ] &&
       [ "$s1" = on ] && [ "$ok1" = yes ] && [ "$v41" -gt 100 ] && [ "$unn1" -ge $((v41 - 2)) ] && [ "$cse1" = 0 ]; then
        pass koff_rx "$how: with it on the NIC checked the checksums"
    else
        fail koff_rx "$how (want off: none; on: all but 2 at most; no csum_err)"
    fi
}

# ntuple: Linux igb offers ethtool -N flow rules only on the i350 and
# later (igb_probe: NETIF_F_NTUPLE in hw_features for mac.type >=
# e1000_i350), so on the 82576 ntuple-filters stays "off [fixed]",
# ethtool -K ntuple on changes nothing, and a rule (here: ARP, an etype
# filter, to queue 1) is refused.  What the driver does offer the 82576 for
# steering is the RSS redirection table (ethtool -X): with every entry at
# queue 1, then at queue 0, a download from the host (with ntuple off, the
# only state there is) lands on the queue asked (rx_queue_N_packets).
t_koff_ntuple() {
    kinit || { fail koff_ntuple "$KERR"; return 1; }
    s0=$(kshown ntuple)
    ethtool -K "$IF" ntuple on >/dev/null 2>&1; krc=$?
    s1=$(kshown ntuple)
    ethtool -N "$IF" flow-type ether proto 0x0806 action 1 >/tmp/kn.log 2>&1
    nmsg=$(tail -1 /tmp/kn.log)
    rules=$(ethtool -n "$IF" 2>&1 | awk '$1 == "Total" {print $2}')
    how="ntuple-filters '$s0'; ethtool -K ntuple on: rc $krc, then '$s1'; ethtool -N flow-type ether proto 0x0806 action 1: '$nmsg', $rules rules"
    ok=yes
    case $nmsg in *"Operation not supported"*) ;; *) ok=no ;; esac
    for q in 1 0; do
        o=$((1 - q))
        if [ $q = 1 ]; then w="0 1"; else w="1 0"; fi
        # shellcheck disable=SC2086  # $w: two weights
        ethtool -X "$IF" weight $w 2>/tmp/kx.err || { how="$how; ethtool -X weight $w: $(cat /tmp/kx.err)"; ok=no; }
        snap - "$IF" /tmp/k0; kget; snap - "$IF" /tmp/k1
        a=$(delta /tmp/k0 /tmp/k1 "rx_queue_${q}_packets") b=$(delta /tmp/k0 /tmp/k1 "rx_queue_${o}_packets")
        how="$how; ethtool -X weight $w: $KBYTES bytes from $HOST in $K_SECS s (content ok: $K_OK), rx_queue_${q}_packets +$a, rx_queue_${o}_packets +$b"
        [ "$K_OK" = yes ] && [ "$a" -gt 500 ] && [ "$b" -le 5 ] || ok=no
    done
    ethtool -X "$IF" default 2>/dev/null
    if [ $ok = yes ] && [ "$s0" = "off [fixed]" ] && [ "$s1" = "off [fixed]" ] && [ "$rules" = 0 ]; then
        pass koff_ntuple "$how (no ntuple on the 82576 in Linux igb, i350 and later only; the redirection table steers instead)"
    else
        fail koff_ntuple "$how (want ntuple off [fixed], the rule refused, and each download on the queue asked, at most 5 frames on the other)"
    fi
}

# txvlan (tx-vlan-offload) on A, through a new VLAN device A.$KVID to
# B.$KVID (B on rxvlan/txvlan off, so that its own frames carry the tag in
# the frame and only A's NIC inserts tags): on, the driver gets the packets with the tag beside the
# frame and has the NIC insert it; off, the 8021q code puts the tag in the
# frame itself (ethertype 0x8100 at the driver).  igb ties txvlan to
# rxvlan (igb_fix_features), so both are switched.  The data must get to
# B intact both ways; B's rx_queue_N_csum_err counts frames its NIC found
# with a bad TCP checksum.
t_koff_txvlan() {
    kinit || { fail koff_txvlan "$KERR"; return 1; }
    KNS=pa KIF=$NA
    modprobe 8021q 2>/dev/null
    err=''
    { nsx pa ip link add link "$NA" name "$NA.$KVID" type vlan id $KVID &&
      nsx pa ip addr add $KVA/24 dev "$NA.$KVID" && nsx pa ip link set "$NA.$KVID" up &&
      nsx pb ip link add link "$NB" name "$NB.$KVID" type vlan id $KVID &&
      nsx pb ip addr add $KVB/24 dev "$NB.$KVID" && nsx pb ip link set "$NB.$KVID" up &&
      nsx pb ethtool -K "$NB" rxvlan off txvlan off >/dev/null 2>&1; } || err="cannot make $NA.$KVID / $NB.$KVID"
    [ -n "$err" ] || wait_for 5 pings kv pa $KVB || err="$NA.$KVID -> $KVB: $PING_SUM"
    if [ -n "$err" ]; then fail koff_txvlan "$err"; return 1; fi
    snap pb "$NB" /tmp/kb0
    kround vlan txvlan off rxvlan off; s0=$K_SHOWN ok0=$K_OK sec0=$K_SECS
    set -- $(ksum net_dev_start_xmit); n0=$1 tag0=$7 inf0=$8
    snap pb "$NB" /tmp/kb1
    kround vlan txvlan on rxvlan on; s1=$K_SHOWN ok1=$K_OK sec1=$K_SECS
    set -- $(ksum net_dev_start_xmit); n1=$1 tag1=$7 inf1=$8
    snap pb "$NB" /tmp/kb2
    set -- $(qdelta /tmp/kb0 /tmp/kb1 rx csum_err); bc0=$1
    set -- $(qdelta /tmp/kb1 /tmp/kb2 rx csum_err); bc1=$1
    nsx pb ethtool -K "$NB" rxvlan on txvlan on >/dev/null 2>&1
    nsx pa ip link del "$NA.$KVID"; nsx pb ip link del "$NB.$KVID"
    how="txvlan '$s0': $KBYTES bytes $NA.$KVID -> $NB.$KVID in $sec0 s (same: $ok0), of $n0 packets to $NA's driver $tag0 with the tag beside the frame, $inf0 with it in the frame, $NB's csum_err +$bc0; txvlan '$s1': in $sec1 s (same: $ok1), of $n1: $tag1 beside, $inf1 in the frame, $NB's csum_err +$bc1"
    if [ "$s0" = off ] && [ "$ok0" = yes ] && [ "$tag0" = 0 ] && [ "$inf0" -gt 10 ] &&
       [ "$s1" = on ] && [ "$ok1" = yes ] && [ "$tag1" -gt 10 ] && [ "$inf1" = 0 ]; then
        pass koff_txvlan "$how: with it on the NIC inserted the tag"
    else
        [ "$bc1" = 0 ] || how="$how; $NB's NIC found bad TCP checksums in frames whose tag $NA's NIC inserted"
        fail koff_txvlan "$how (want both intact; off: all tags in the frame; on: all beside it)"
    fi
}

# --- 2 VFs, MACs set by the PF, each in a namespace ----------------------------------
vf_if() { ls "$DEV/virtfn$1/net" 2>/dev/null | head -1; }
vf_drv() { d=$(readlink "$DEV/virtfn$1/driver" 2>/dev/null) && echo "${d##*/}"; }
two_bound() { [ "$(vf_drv 0)" = igbvf ] && [ -n "$(vf_if 0)" ] && [ "$(vf_drv 1)" = igbvf ] && [ -n "$(vf_if 1)" ]; }
vf_macs_ok() {
    [ "$(cat "/sys/class/net/$(vf_if 0)/address" 2>/dev/null)" = $MAC0 ] &&
        [ "$(cat "/sys/class/net/$(vf_if 1)/address" 2>/dev/null)" = $MAC1 ]
}
vf_to_ns() { # VFIDX NS ADDR; sets VFIF
    VFIF=$(vf_if "$1")
    [ -n "$VFIF" ] && ip netns add "$2" && ip link set "$VFIF" netns "$2" &&
        nsx "$2" ip link set lo up && nsx "$2" ip addr add "$3/24" dev "$VFIF" &&
        nsx "$2" ip link set "$VFIF" up && nsx "$2" ip route replace default via "$HOST" dev "$VFIF" &&
        wait_for 30 ns_link_up "$2" "$VFIF"
}
t_vfs() {
    if ! echo 2 > "$DEV/sriov_numvfs"; then fail vfs "echo 2 > sriov_numvfs failed"; igb_dmesg; return 1; fi
    if ! wait_for 30 two_bound; then fail vfs "VFs not bound to igbvf"; igb_dmesg; return 1; fi
    ip link set "$IF" vf 0 mac $MAC0 && ip link set "$IF" vf 1 mac $MAC1 || { fail vfs "ip link set vf mac failed"; return 1; }
    # igbvf learns a MAC set by the PF at its next reset
    vf_macs_ok || { rmmod igbvf && modprobe igbvf && wait_for 30 two_bound && wait_for 5 vf_macs_ok; }
    if ! vf_macs_ok; then fail vfs "VF MACs: $(vf_if 0) $(vf_if 1) not $MAC0 $MAC1"; return 1; fi
    vf_to_ns 0 vf0 $A0 || { fail vfs "cannot set up VF0 in netns vf0"; return 1; }
    VF0=$VFIF
    vf_to_ns 1 vf1 $A1 || { fail vfs "cannot set up VF1 in netns vf1"; return 1; }
    VF1=$VFIF
    if wait_for 5 pings vf0_pf vf0 $PFA && pings vf1_pf vf1 $PFA && pings vf0_host vf0 "$HOST"; then
        pass vfs "VF0 $VF0 $A0 (netns vf0), VF1 $VF1 $A1 (netns vf1): -> PF $(rtt vf0_pf) / $(rtt vf1_pf), VF0 -> $HOST $(rtt vf0_host)"
    else
        fail vfs "pings from the VFs: $PING_SUM"; return 1
    fi
}

t_stats_vf() {
    snap vf0 "$VF0" /tmp/sv0
    nsx vf0 ping -c 10 -i 0.2 -w 20 "$HOST" >/tmp/ping-svh.log 2>&1
    nsx vf0 ping -c 10 -i 0.2 -w 20 $PFA >/tmp/ping-svp.log 2>&1
    snap vf0 "$VF0" /tmp/sv1
    rp=$(delta /tmp/sv0 /tmp/sv1 rx_packets) tp=$(delta /tmp/sv0 /tmp/sv1 tx_packets)
    rb=$(delta /tmp/sv0 /tmp/sv1 rx_bytes) tb=$(delta /tmp/sv0 /tmp/sv1 tx_bytes)
    lb=$(delta /tmp/sv0 /tmp/sv1 lbrx_packets)
    irp=$(delta /tmp/sv0 /tmp/sv1 ip_rx_packets) itp=$(delta /tmp/sv0 /tmp/sv1 ip_tx_packets)
    a1=$(grep -o '[0-9]* packets received' /tmp/ping-svh.log | cut -d' ' -f1)
    a2=$(grep -o '[0-9]* packets received' /tmp/ping-svp.log | cut -d' ' -f1)
    how="10 pings VF0 -> $HOST ($a1 answered), 10 -> PF ($a2): ethtool -S $VF0 rx_packets +$rp tx_packets +$tp rx_bytes +$rb tx_bytes +$tb lbrx_packets +$lb; ip -s link RX +$irp TX +$itp"
    if [ "$a1" = 10 ] && [ "$a2" = 10 ] && [ "$rp" -ge 20 ] && [ "$rp" -le 30 ] && [ "$tp" -ge 20 ] && [ "$tp" -le 30 ] &&
       [ "$rb" -ge $((20 * 98)) ] && [ "$tb" -ge $((20 * 98)) ] && [ "$lb" -ge 10 ] && within "$irp" "$rp" && within "$itp" "$tp"; then
        pass stats_vf "$how"
    else
        fail stats_vf "$how (want 20..30 packets each way, lbrx >= 10, ip -s link within 10 %)"
    fi
}

# --- VF0 -> PF transfers: max_tx_rate, jumbo frames -----------------------------------
# xfer NS-FROM DEST NS-TO PORT: send /tmp/data; XF_SECS, XF_MBIT, XF_OK.
xfer() {
    rm -f /tmp/xfer.rx
    [ -p /tmp/fifo ] || mkfifo /tmp/fifo
    exec 3<>/tmp/fifo               # the receiver's stdin: never EOF
    if [ "$3" = - ]; then timeout 90 nc -l -p "$4" <&3 >/tmp/xfer.rx 2>/dev/null &
    else /usr/sbin/ip netns exec "$3" timeout 90 nc -l -p "$4" <&3 >/tmp/xfer.rx 2>/dev/null & fi
    srv=$!
    exec 3>&-
    sleep 1
    t0=$(now)
    nsx "$1" timeout 60 nc "$2" "$4" </tmp/data
    t1=$(now)
    wait $srv
    XF_SECS=$(secs "$t0" "$t1")
    XF_MBIT=$(awk -v n="$RLBYTES" -v t="$XF_SECS" 'BEGIN { printf "%.1f", (t > 0 ? n * 8 / t / 1000000 : 0) }')
    XF_OK=no
    cmp -s /tmp/xfer.rx /tmp/data && XF_OK=yes
}
vf_line() { ip link show "$IF" | grep "^ *vf $1 "; }
t_ratelimit() {
    gen "$RLBYTES" > /tmp/data
    ip link set "$IF" vf 0 max_tx_rate 0
    xfer vf0 $PFA - 5001; u0=$XF_MBIT u0ok=$XF_OK u0s=$XF_SECS
    for r in $RATE1 $RATE2; do
        ip link set "$IF" vf 0 max_tx_rate $r 2>/tmp/rl.err || { fail "ratelimit_$r" "ip link set vf 0 max_tx_rate $r: $(cat /tmp/rl.err)"; continue; }
        line=$(vf_line 0)
        xfer vf0 $PFA - 5001
        how="max_tx_rate $r: $RLBYTES bytes VF0 -> PF in $XF_SECS s = $XF_MBIT Mbit/s (content same: $XF_OK; uncapped before: $u0 Mbit/s in $u0s s)"
        case $line in *"max_tx_rate ${r}Mbps"*) ok=1 ;; *) ok=0; how="$how; ip link: '$line'" ;; esac
        if [ $ok = 1 ] && [ $XF_OK = yes ] && awk -v m="$XF_MBIT" -v r="$r" -v u="$u0" 'BEGIN {
                exit !(m >= 0.5 * r && m <= 1.2 * r) }'; then
            pass "ratelimit_$r" "$how"
        else
            fail "ratelimit_$r" "$how (want $((r / 2))..$((r * 12 / 10)) Mbit/s)"
        fi
    done
    ip link set "$IF" vf 0 max_tx_rate 0
    line=$(vf_line 0)
    xfer vf0 $PFA - 5001
    how="uncapped: before $u0 Mbit/s ($u0s s, content same: $u0ok), after max_tx_rate 0: $XF_MBIT Mbit/s ($XF_SECS s, same: $XF_OK)"
    case $line in *max_tx_rate*) how="$how; ip link still shows: '$line'"; ok=0 ;; *) ok=1 ;; esac
    if [ $ok = 1 ] && [ $XF_OK = yes ] && [ "$u0ok" = yes ] &&
       awk -v a="$u0" -v b="$XF_MBIT" -v r="$RATE1" 'BEGIN { exit !(a >= 2 * r && b >= 2 * r) }'; then
        pass ratelimit_off "$how: both more than 2 x $RATE1 Mbit/s"
    else
        fail ratelimit_off "$how (want both >= $((2 * RATE1)) Mbit/s)"
    fi
}

t_jumbo() {
    err=''
    ip link set "$IF" mtu 9000 2>/tmp/mtu.err || err="PF mtu 9000: $(cat /tmp/mtu.err)"
    wait_for 30 pf_link_up
    nsx vf0 ip link set "$VF0" mtu 9000 2>/tmp/mtu.err || err="$err VF0 mtu 9000: $(cat /tmp/mtu.err)"
    # the PF's reset resets the VFs too
    wait_for 30 reach vf0 $PFA
    m1=$(cat "/sys/class/net/$IF/mtu") m2=$(nsx vf0 cat "/sys/class/net/$VF0/mtu")
    [ -n "$err" ] || pings jvp vf0 $PFA 8000 || err="VF0 -> PF ping -s 8000: $PING_SUM"
    [ -n "$err" ] || pings jpv - $A0 8000 || err="PF -> VF0 ping -s 8000: $PING_SUM"
    sz=$(grep -o '^[0-9]* bytes from' /tmp/ping-jpv.log | head -1 | cut -d' ' -f1)
    if [ -z "$err" ]; then
        pass jumbo_ping "MTU PF $m1, VF0 $m2: ping -s 8000 VF0 -> PF $(rtt jvp), PF -> VF0 $(rtt jpv) ($sz-byte replies)"
    else
        fail jumbo_ping "MTU PF $m1, VF0 $m2: $err"; show /tmp/ping-jvp.log 4; show /tmp/ping-jpv.log 4
    fi
    p0=$(sysstat - "$IF" rx_packets) b0=$(sysstat - "$IF" rx_bytes)
    xfer vf0 $PFA - 5002; s1=$XF_SECS ok1=$XF_OK
    p1=$(sysstat - "$IF" rx_packets) b1=$(sysstat - "$IF" rx_bytes)
    v0=$(sysstat vf0 "$VF0" rx_packets) w0=$(sysstat vf0 "$VF0" rx_bytes)
    xfer - $A0 vf0 5003; s2=$XF_SECS ok2=$XF_OK
    v1=$(sysstat vf0 "$VF0" rx_packets) w1=$(sysstat vf0 "$VF0" rx_bytes)
    f1=$(( (b1 - b0) / ( (p1 - p0) > 0 ? (p1 - p0) : 1) )) f2=$(( (w1 - w0) / ( (v1 - v0) > 0 ? (v1 - v0) : 1) ))
    how="$RLBYTES bytes VF0 -> PF in $s1 s (same: $ok1; PF received $((p1 - p0)) packets, $f1 bytes each on average), PF -> VF0 in $s2 s (same: $ok2; VF0 received $((v1 - v0)), $f2 bytes each)"
    if [ "$ok1" = yes ] && [ "$ok2" = yes ] && [ "$f1" -gt 3000 ] && [ "$f2" -gt 3000 ]; then
        pass jumbo_tcp "$how"
    else
        fail jumbo_tcp "$how (want both received intact, over 3000 bytes per packet)"
    fi
    # Not a check: in the model the PF's reset (for the MTU) zeroes the VF
    # statistics registers, and igbvf, which takes its base only at open,
    # counts a smaller value as a 32-bit wrap (+4294967296).
    say "after the PF's reset: ethtool -S $VF0 rx_packets $(nsx vf0 ethtool -S "$VF0" | awk '$1 == "rx_packets:" {print $2}'), ip -s link RX packets $(sysstat vf0 "$VF0" rx_packets)"
}

# --- PF VLAN device <-> VF1 on port VLAN $VLAN; rx-vlan-offload ------------------------
# vlan_bytes: 10 pings PF -> VF1 on the VLAN; the PF's ring bytes (they
# include the Ethernet header, and the tag if the NIC left it in the
# frame) minus $IF.$VLAN's rx_bytes (IP only) per packet: 14 if stripped,
# 18 if not.  Retried while other frames get in the way.
vlan_bytes() {
    for _ in 1 2 3; do
        p0=$(sysstat - "$IF" rx_packets) b0=$(sysstat - "$IF" rx_bytes)
        q0=$(sysstat - "$IF.$VLAN" rx_packets) c0=$(sysstat - "$IF.$VLAN" rx_bytes)
        ping -c 10 -i 0.2 -w 10 $VFV >/tmp/ping-vb.log 2>&1
        p1=$(sysstat - "$IF" rx_packets) b1=$(sysstat - "$IF" rx_bytes)
        q1=$(sysstat - "$IF.$VLAN" rx_packets) c1=$(sysstat - "$IF.$VLAN" rx_bytes)
        VB_ANS=$(grep -o '[0-9]* packets received' /tmp/ping-vb.log | cut -d' ' -f1)
        VB_N=$((p1 - p0))
        if [ "$VB_N" = $((q1 - q0)) ] && [ "$VB_N" -gt 0 ]; then
            VB_PER=$(( ( (b1 - b0) - (c1 - c0) ) / VB_N ))
            return 0
        fi
        VB_PER="? ($VB_N frames on $IF, $((q1 - q0)) on $IF.$VLAN)"
    done
    return 1
}
t_vlan() {
    modprobe 8021q 2>/dev/null
    err=''
    ip link set "$IF" vf 1 vlan $VLAN 2>/tmp/vlan.err || err="ip link set vf 1 vlan $VLAN: $(cat /tmp/vlan.err)"
    [ -n "$err" ] || { ip link add link "$IF" name "$IF.$VLAN" type vlan id $VLAN &&
        ip addr add $PFV/24 dev "$IF.$VLAN" && ip link set "$IF.$VLAN" up; } || err="cannot make $IF.$VLAN"
    [ -n "$err" ] || nsx vf1 ip addr add $VFV/24 dev "$VF1" || err="cannot address VF1"
    [ -n "$err" ] || wait_for 5 pings vlan_pv - $VFV || err="PF $IF.$VLAN -> VF1 $VFV: $PING_SUM"
    [ -n "$err" ] || pings vlan_vp vf1 $PFV || err="VF1 -> PF $PFV: $PING_SUM"
    line=$(vf_line 1)
    case $line in *", vlan $VLAN,"*) ;; *) err="$err; ip link: '$line'" ;; esac
    if [ -z "$err" ]; then
        pass vlan "$IF.$VLAN $PFV <-> VF1 $VFV (vf 1 vlan $VLAN): $(rtt vlan_pv) / $(rtt vlan_vp)"
    else
        fail vlan "$err"; return 1
    fi
    off0=$(ethtool -k "$IF" | awk -F': ' '$1 == "rx-vlan-offload" {print $2}')
    vlan_bytes; on_per=$VB_PER on_ans=$VB_ANS
    ethtool -K "$IF" rxvlan off >/dev/null 2>&1
    off1=$(ethtool -k "$IF" | awk -F': ' '$1 == "rx-vlan-offload" {print $2}')
    vlan_bytes; off_per=$VB_PER off_ans=$VB_ANS
    ethtool -K "$IF" rxvlan on >/dev/null 2>&1
    off2=$(ethtool -k "$IF" | awk -F': ' '$1 == "rx-vlan-offload" {print $2}')
    pings vlan_on - $VFV; back=$?
    how="rx-vlan-offload '$off0': 10 pings $on_ans answered, $IF ring bytes - $IF.$VLAN bytes = $on_per per frame; '$off1': $off_ans answered, $off_per per frame; '$off2' again: ping $([ $back = 0 ] && echo ok || echo "$PING_SUM")"
    if [ "$off0" = on ] && [ "$on_per" = 14 ] && [ "$on_ans" = 10 ] && [ "$off1" = off ] &&
       [ "$off_per" = 18 ] && [ "$off_ans" = 10 ] && [ "$off2" = on ] && [ $back = 0 ]; then
        pass vlan_offload "$how (14: tag stripped by the NIC, 18: tag left in the frame)"
    else
        fail vlan_offload "$how (want 14 with the offload on, 18 with it off)"
    fi
}

T0=$(uptime_cs)
step() { say "$1 at $(( ($(uptime_cs) - T0) / 100 ))s"; }
step setup;     t_setup || exit 1
step eeprom;    t_eeprom
step eeprom_selftest; t_eeprom_selftest
step eeprom_reload;   t_eeprom_reload
step ts_caps;   t_ts_caps
step phc;       t_phc
R1000=0 R8000=0
step itr_1000;  t_itr itr_1000 1000; R1000=$ITR_RATE
step itr_8000;  t_itr itr_8000 8000; R8000=$ITR_RATE
step itr_off;   t_itr_off
step stats_pf;  t_stats_pf
step koff_tso;  t_koff_tso
step koff_gso;  t_koff_gso
step koff_tx;   t_koff_tx
step koff_rx;   t_koff_rx
step koff_ntuple; t_koff_ntuple
step hub
if t_hub; then
    step stats_bcast; t_stats_bcast
    step ptp4l_l2;  t_ptp4l ptp4l_l2 -2
    step ptp4l_udp; t_ptp4l ptp4l_udp -4
    step koff_txvlan; t_koff_txvlan
fi
step vfs
if t_vfs; then
    step stats_vf;  t_stats_vf
    step ratelimit; t_ratelimit
    step jumbo;     t_jumbo
    step vlan;      t_vlan
fi
step end
exit $((NFAIL > 0))
