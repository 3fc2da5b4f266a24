#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite: build, graft checks, qtest, Linux guest tests.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
# IGB_SKIP_GUEST=1 leaves out the (slow, TCG) guest boots.
set -uo pipefail
. "$(dirname "$0")/common.sh"

pass=0 fail=0 skipped=0
failed=()
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$*"; }
ko() { fail=$((fail + 1)); failed+=("$1"); printf 'FAIL %s\n' "$*"; }
finish() {
    echo
    [ $fail -eq 0 ] || printf 'failed: %s\n' "${failed[*]}"
    [ $skipped -eq 0 ] || echo "$skipped qtest(s) skipped (not run, not counted; see SKIP lines)"
    echo "$pass passed, $fail failed"
    [ $fail -eq 0 ]
    exit
}

t0=$SECONDS
if "$IGB_TOP/scripts/igb/build.sh" qemu-system-x86_64 tests/qtest/qos-test; then
    ok "build ($((SECONDS - t0)) s)"
else
    ko build
    finish
fi
bdir=$IGB_CACHE/build
tree=$IGB_CACHE/qemu
qemu=$IGB_TOP/build/qemu-system-x86_64

# --- the binary is built from our sources -------------------------------
"$IGB_TOP/scripts/igb/graft-check.sh" && ok graft-check || ko graft-check

# --- coding style ---------------------------------------------------------
cs_bad=0
for f in $(cd "$IGB_TOP" && ls hw/net/igb*.[ch] tests/qtest/igb-test.c tests/qtest/libqos/igb.[ch]); do
    out=$(cd "$IGB_TOP" && "$tree/scripts/checkpatch.pl" --no-tree -q -f "$f" 2>&1)
    # warnings count too: long lines and the like do not go upstream
    if [ $? -ne 0 ] || echo "$out" | grep -qE '^(ERROR|WARNING)'; then
        cs_bad=1
        echo "$out" | head -20
    fi
done
[ $cs_bad = 0 ] && ok "checkpatch (our C files)" || ko "checkpatch"

# --- documentation: QEMU's Sphinx manual with igb.rst, no warnings --------
# (about a minute the first time, seconds after igb.rst changes, else none)
t0=$SECONDS
if "$IGB_TOP/scripts/igb/check-docs.sh" >/dev/null; then
    ok "docs (sphinx) ($((SECONDS - t0)) s)"
else
    ko "docs (sphinx)"
fi

# --- qtest ---------------------------------------------------------------
log=$IGB_CACHE/qtest.log
paths=$(igb_qtest_paths "$bdir")
if [ -z "$paths" ]; then
    ko "qtest: no igb tests found in qos-test"
else
    igb_qtest_run "$bdir" "$log" $paths
    while read -r line; do
        case $line in
        # a skipped test did not run: say so, and do not count it as passed
        "ok "*"# SKIP"*) line=${line#ok [0-9]* }
            skipped=$((skipped + 1)); echo "SKIP qtest ${line##*/igb-tests/}" ;;
        "ok "*) line=${line#ok [0-9]* }; ok "qtest ${line##*/igb-tests/}" ;;
        "not ok "*) line=${line#not ok [0-9]* }; ko "qtest ${line##*/igb-tests/}" ;;
        esac
    done < <(grep -E '^(not )?ok [0-9]+' "$log")
    n=$(grep -cE '^(not )?ok [0-9]+' "$log")
    want=$(echo "$paths" | wc -l)
    if [ "$n" -lt "$want" ]; then
        ko "qtest: only $n of $want tests reported (crash? see $log)"
        tail -20 "$log"
    fi
fi

# --- Linux guest ---------------------------------------------------------
# guest_test SCRIPT LOG: run one guest test, count its checks
guest_test() {
    local script=$1 glog=$2 grc
    QEMU=$qemu "$IGB_TOP/tests/guest/$script" >"$glog" 2>&1
    grc=$?
    while read -r st name rest; do
        if [ "$st" = PASS ]; then ok "guest $name $rest"; else ko "guest $name $rest"; fi
    done < <(awk '$1 == "IGBTEST" && ($2 == "PASS" || $2 == "FAIL") {
                     n = $3; if (!(n in st)) order[++k] = n
                     if (st[n] != "FAIL") { st[n] = $2; $1 = $2 = $3 = ""; d[n] = $0 } }
                 END { for (i = 1; i <= k; i++) print st[order[i]], order[i], d[order[i]] }' "$glog")
    if [ $grc -ne 0 ] && ! grep -q '^IGBTEST FAIL ' "$glog"; then
        ko "guest: $script failed (see $glog)"
        tail -20 "$glog"
    fi
}
# functional_test NAME: tests/functional/test_NAME.py through QEMU's own
# runner (meson test, "thorough" setup), with the guest this project builds
# (no downloads); one PASS/FAIL per test method.
functional_test() {
    local name=$1 flog=$IGB_CACHE/functional-$1.log img st t
    local tap=$bdir/meson-logs/testlog-thorough.txt n=0
    rm -f "$tap"
    mapfile -t img < <("$IGB_TOP/tests/guest/build-image.sh")
    (cd "$bdir" && IGB_GUEST_KERNEL=${img[0]:-} IGB_GUEST_INITRD=${img[1]:-} \
        ./pyvenv/bin/meson test --setup thorough --no-rebuild -t 4 \
        "func-x86_64-$name") >"$flog" 2>&1
    while read -r st t; do
        n=$((n + 1))
        if [ "$st" = ok ]; then ok "functional $t"; else ko "functional $t (see $flog, $tap)"; fi
    done < <(sed -nE 's/^(ok|not ok) [0-9]+ (test_[a-z_]+\.[A-Za-z]+\.[a-z_]+).*/\1 \2/p' "$tap" |
             sed 's/^not ok/fail/')
    [ $n -gt 0 ] || { ko "functional $name: no results (see $flog)"; tail -20 "$flog"; }
}

if [ "${IGB_SKIP_GUEST:-0}" != 1 ]; then
    functional_test netdev_ethtool
    guest_test test-pf.sh "$IGB_CACHE/guest-pf.log"
    guest_test test-sriov.sh "$IGB_CACHE/guest-sriov.log"
    guest_test test-features.sh "$IGB_CACHE/guest-features.log"
    # live migration with PF and VF traffic in flight (two QEMUs)
    guest_test test-migrate.sh "$IGB_CACHE/guest-migrate.log"
    # libvirt 11 with a domain on our QEMU (tests/libvirt/)
    guest_test ../libvirt/test-libvirt.sh "$IGB_CACHE/guest-libvirt.log"
    guest_test test-pxe.sh "$IGB_CACHE/guest-pxe.log"
    # DPDK's testpmd on the PF and a VF (tests/guest/test-dpdk.sh)
    guest_test test-dpdk.sh "$IGB_CACHE/guest-dpdk.log"
fi
finish
