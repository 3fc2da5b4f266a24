#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Our qtests (every igb and igbvf test of qos-test: hostile input, hot
# unplug, resets, migration) against a QEMU built with AddressSanitizer,
# LeakSanitizer and UBSan.  It reuses the clang-14 build of the fuzzer
# (scripts/igb/fuzz.sh build, ~35 minutes the first time) and links
# qemu-system-x86_64 and qos-test there.  Every sanitizer report of a QEMU
# process is a failure, as is every failed test; the test program's own
# leaks are not counted (they are not the device's).
# Ends with "N passed, M failed"; not part of the default test command.
set -uo pipefail
. "$(dirname "$0")/common.sh"

bdir=$IGB_CACHE/build-fuzz
rdir=$IGB_CACHE/asan
pass=0 fail=0
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$*"; }
ko() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }

[ -x "$bdir/qemu-fuzz-x86_64" ] || "$IGB_TOP/scripts/igb/fuzz.sh" build || exit 1
exec 9>"$IGB_CACHE/build.lock"
flock 9
"$IGB_TOP/scripts/igb/graft.sh" >/dev/null || exit 1
log "ninja qemu-system-x86_64 qos-test (ASan, UBSan)"
ninja -C "$bdir" qemu-system-x86_64 tests/qtest/qos-test >"$bdir/ninja-asan.log" 2>&1 ||
    { tail -20 "$bdir/ninja-asan.log"; die "ASan build failed"; }
exec 9>&-

rm -rf "$rdir"
mkdir -p "$rdir"
# QEMU's own sanitizer options: reports to files, leaks checked at exit
cat >"$rdir/qemu-system-x86_64" <<EOT
#!/bin/sh
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$rdir/report \\
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$rdir/report \\
ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14 \\
exec $bdir/qemu-system-x86_64 "\$@"
EOT
chmod +x "$rdir/qemu-system-x86_64"

export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=0
paths=$(cd "$bdir" && QTEST_QEMU_BINARY=./qemu-system-x86_64 \
        ./tests/qtest/qos-test -l 2>/dev/null | grep -E '/igb(vf)?(/|$)')
args=()
for p in $paths; do args+=("$p"); done
t0=$SECONDS
IGB_QTEST_QEMU=$rdir/qemu-system-x86_64 IGB_QTEST_TIMEOUT=3000 \
    igb_qtest_run "$bdir" "$rdir/qtest.log" "${args[@]}"
while read -r line; do
    case $line in
    "ok "*) ok "asan qtest ${line#ok [0-9]* }" ;;
    "not ok "*) ko "asan qtest ${line#not ok [0-9]* }" ;;
    esac
done < <(grep -E '^(not )?ok [0-9]+' "$rdir/qtest.log")
n=$(grep -cE '^(not )?ok [0-9]+' "$rdir/qtest.log")
want=$(echo "$paths" | wc -l)
[ "$n" -ge "$want" ] || { ko "asan: only $n of $want tests reported (see $rdir/qtest.log)"
                          tail -20 "$rdir/qtest.log"; }
for r in "$rdir"/report.*; do
    # ASan's warning about makecontext (coroutines) alone is no report
    grep -qE 'ERROR|runtime error' "$r" 2>/dev/null || continue
    ko "asan: sanitizer report $r: $(grep -m1 -E 'ERROR|runtime error' "$r")"
    grep -E 'SUMMARY|#[0-9]+ .* in ' "$r" | head -12
done
echo "qtests under ASan/LSan/UBSan took $((SECONDS - t0)) s"
echo
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
