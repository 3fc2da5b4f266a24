#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz our igb with libFuzzer: QEMU built with clang-14, --enable-fuzzing
# and --enable-asan --enable-ubsan, targets from
# tests/qtest/fuzz/igb_fuzz.c.  Not part of the test command (the build
# alone takes ~25 minutes on 2 cores).
#
# Usage: fuzz.sh build
#        fuzz.sh run [-t igb-pf|igb-sriov|igb-vnet] [-s SECONDS] [-j JOBS]
#                    [-w NAME]
#        fuzz.sh cover [-t TARGET]     edges of hw/net/igb*.c the corpus reaches
#        fuzz.sh union                 the same over the targets measured with
#                                      cover (per function, the most any
#                                      reached: a lower bound of the union)
#        fuzz.sh repro FILE [-t TARGET]
#
# run: libFuzzer on the target (default igb-sriov, 600 s, 1 job) with the
# working corpus $IGB_CACHE/fuzz/corpus-TARGET, seeded from the kept seeds
# (tests/qtest/fuzz/igb-seeds/, made by igb-fuzz-seeds.py); anything that
# crashes, leaks, hangs (-timeout=10) or trips a sanitizer is written to
# $IGB_CACHE/fuzz/artifacts/ and the run exits non-zero.  Each run's
# libFuzzer log is kept in $IGB_CACHE/fuzz/logs/ and one line is added to
# $IGB_CACHE/fuzz/campaign.txt (target, CPU seconds, execs, coverage).
# -w NAME: one more worker of a target that is already running, on the
# same corpus (as -jobs 2 would be) with a work directory of its own.
# igb-vnet puts the device on a TAP with virtio-net headers: it needs root
# and runs in a network namespace of its own (unshare -n), where the TAP
# stays down and no host traffic reaches it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

bdir=$IGB_CACHE/build-fuzz
fdir=$IGB_CACHE/fuzz
bin=$bdir/qemu-fuzz-x86_64
seeds=$IGB_TOP/tests/qtest/fuzz/igb-seeds

build() {
    igb_need clang-14 libclang-rt-14-dev llvm-14
    exec 9>"$IGB_CACHE/build.lock"
    flock 9
    local tree
    tree=$("$IGB_TOP/scripts/igb/graft.sh")
    local conf=("${IGB_CONFIGURE[@]}" --cc=clang-14 --cxx=clang++-14
                --enable-fuzzing --enable-asan --enable-ubsan)
    igb_configure "$bdir" "$tree" "fuzz ${conf[*]}" "${conf[@]}"
    log "ninja qemu-fuzz-x86_64 (clang-14, libFuzzer, ASan, UBSan)"
    ninja -C "$bdir" qemu-fuzz-x86_64 >"$bdir/ninja.log" 2>&1 ||
        { grep -E 'error|FAILED' "$bdir/ninja.log" | head -40 >&2
          die "fuzz build failed (log: $bdir/ninja.log)"; }
    igb_firmware_links "$bdir"
    log "built $bin"
}

target=igb-sriov secs=600 jobs=1 worker=
usage="usage: fuzz.sh build|run|cover|union|repro [-t TARGET] [-s SECONDS] [-j JOBS] [-w NAME]"
cmd=${1:-}
[ $# -gt 0 ] && shift
file=
if [ "$cmd" = repro ]; then file=${1:-}; [ $# -gt 0 ] && shift; fi
while getopts t:s:j:w: o; do
    case $o in
    t) target=$OPTARG ;;
    s) secs=$OPTARG ;;
    j) jobs=$OPTARG ;;
    w) worker=$OPTARG ;;
    *) die "$usage" ;;
    esac
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_SYMBOLIZER_PATH=/usr/bin/llvm-symbolizer-14
# The model's trace events and guest-error logging on, written nowhere:
# the fuzzer runs their arguments too.  QEMU_FUZZ_ARGS="" turns them off;
# QEMU_FUZZ_ARGS="-trace 'igb_rx*'" with repro shows what an input does.
export QEMU_FUZZ_ARGS=${QEMU_FUZZ_ARGS-"-trace 'igb*' -d guest_errors -D /dev/null"}
export QTEST_LOG=${QTEST_LOG:-}
[ -n "$QTEST_LOG" ] || unset QTEST_LOG

# the TAP of igb-vnet is made in a private network namespace
netns=()
[ "$target" != igb-vnet ] || netns=(unshare -n)

need_bin() {
    [ -x "$bin" ] || die "no $bin: run '$0 build' first"
    [ -d "$seeds/$target" ] || python3 "$IGB_TOP/scripts/igb/igb-fuzz-seeds.py" "$seeds"
}

case $cmd in
build)
    build
    ;;
run)
    need_bin
    corpus=$fdir/corpus-$target
    # libFuzzer's workers write fuzz-N.log where they run: a directory per
    # target, so that two targets can be fuzzed at once
    wdir=$fdir/work-$target${worker:+-$worker}
    mkdir -p "$corpus" "$fdir/artifacts" "$fdir/logs" "$wdir"
    rm -f "$wdir"/fuzz-*.log
    log="$fdir/logs/$target${worker:+-$worker}-$(date +%Y%m%d-%H%M%S).log"
    echo "fuzzing $target for $secs s with $jobs job(s); log $log"
    t0=$(date +%s)
    rc=0
    (cd "$wdir" && "${netns[@]}" "$bin" --fuzz-target="$target" "$corpus" "$seeds/$target" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
        -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$fdir/artifacts/$target-" \
        ${jobs:+-jobs=$jobs -workers=$jobs}) >"$log" 2>&1 || rc=$?
    cat "$wdir"/fuzz-*.log >>"$log" 2>/dev/null || true
    rm -f "$wdir"/fuzz-*.log
    t1=$(date +%s)
    # CPU time of the fuzzers (all children so far: the workers are waited
    # for by libFuzzer, which this shell waits for), not wall x jobs
    times > "$wdir/times.txt"
    cpu=$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/)
                             s += a[1] * 60 + a[2] }; printf "%d", s }' "$wdir/times.txt")
    execs=$(awk '/stat::number_of_executed_units/ { n += $2 } END { print n + 0 }' "$log")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    echo "$(date -u +%FT%TZ) $target${worker:+ worker $worker} jobs=$jobs wall=$((t1 - t0))s cpu=${cpu}s execs=$execs ${cov:-cov: ?} rc=$rc" |
        tee -a "$fdir/campaign.txt"
    if [ $rc -ne 0 ] || ls "$fdir/artifacts/$target-"* >/dev/null 2>&1; then
        grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -20 || true
        ls "$fdir/artifacts/" || true
        die "$target: a finding (artifacts in $fdir/artifacts)"
    fi
    ;;
cover)
    need_bin
    # libFuzzer's per-function edge counts for the corpus, our files only
    out=$fdir/cover-$target.txt
    mkdir -p "$fdir/corpus-$target"
    (cd "$fdir" && "${netns[@]}" "$bin" --fuzz-target="$target" -runs=0 -print_coverage=1 \
        "$fdir/corpus-$target" "$seeds/$target") >"$fdir/cover-$target.log" 2>&1 || true
    awk '/^COVERED_FUNC:|^UNCOVERED_FUNC:/ && /hw\/net\/igb/ {
            split($0, a, "edges: "); split(a[2], e, "[/ ]")
            c += e[1]; t += e[2]; f = $0; sub(/.* in /, "", f)
         }
         END { printf "edges in hw/net/igb*.c: %d of %d (%.1f%%)\n", c, t, t ? 100 * c / t : 0 }' \
        "$fdir/cover-$target.log" | tee "$out"
    grep -E '^(UN)?COVERED_FUNC' "$fdir/cover-$target.log" | grep 'hw/net/igb' |
        sed -E 's/^([A-Z_]+): hits: [0-9]+ edges: ([0-9]+\/[0-9]+) ([^ ]+) .*hw\/net\/([^:]+):.*/\2 \3 \4 \1/' |
        sort -t' ' -k3,3 -k2,2 >> "$out"
    echo "per function: $out"
    ;;
union)
    # per function the larger covered count of either SR-IOV target's cover
    # file; both must have been measured on one build (same edge total)
    totals=$(awk 'FNR == 1 { print $(NF - 1) }' "$fdir"/cover-igb-sriov.txt \
             "$fdir"/cover-igb-vnet.txt | sort -u | wc -l)
    [ "$totals" = 1 ] || die "cover-igb-sriov.txt and cover-igb-vnet.txt come from different builds: run cover on both"
    awk 'FNR > 1 && NF >= 3 { split($1, e, "/"); k = $2 " " $3
                               if (!(k in t)) t[k] = e[2]
                               if (e[1] > c[k]) c[k] = e[1]
                               if (FNR == 2) files[FILENAME] = 1 }
         END { for (k in t) { C += c[k]; T += t[k] }
               n = 0; for (f in files) n++
               printf "edges in hw/net/igb*.c, %d targets: %d of %d (%.1f%%)\n",
                      n, C, T, T ? 100 * C / T : 0 }' \
        "$fdir"/cover-igb-sriov.txt "$fdir"/cover-igb-vnet.txt
    ;;
repro)
    need_bin
    [ -f "$file" ] || die "repro needs an input file"
    "${netns[@]}" "$bin" --fuzz-target="$target" -runs=1 "$file"
    ;;
*)
    die "$usage"
    ;;
esac
