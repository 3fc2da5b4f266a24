#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export our graft as a `git format-patch` series against the QEMU release we
# build on, the way QEMU takes contributions:
#
#   1/3 hw/net/igb: the new model replaces upstream's (meson, trace events,
#       MAINTAINERS; upstream's qtest goes with the model it tests)
#   2/3 tests/qtest: our libqos driver and qtests
#   3/3 docs/system: our igb.rst
#
# plus a cover letter, each patch checked with QEMU's scripts/checkpatch.pl.
#
# Usage: export-patches.sh [--verify | --verify-each] [OUTDIR]
#   OUTDIR         where the patches go (default build/patches)
#   --verify       then apply the series with `git am` to a fresh checkout of
#                  the base, build it, run the igb qtests and check that the
#                  result carries our files byte for byte
#   --verify-each  the same, building (and testing) after every patch
#
# The series is made from the working tree's files, as graft.sh grafts them.
# Everything else lives in $IGB_CACHE/patches: qemu.git (the pristine tree as
# a commit, tag "base", branch "igb" with the series), series/ (the worktree
# the series is made in), verify/qemu and verify/build.
set -euo pipefail
. "$(dirname "$0")/common.sh"

verify=none
outdir=
while [ $# -gt 0 ]; do
    case $1 in
    --verify) verify=end ;;
    --verify-each) verify=each ;;
    -h|--help) sed -n '3,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$outdir" ] || die "only one OUTDIR"; outdir=$1 ;;
    esac
    shift
done
outdir=${outdir:-$IGB_TOP/build/patches}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

t_start=$SECONDS
phase_t=$SECONDS
timings=()
phase_done() {
    timings+=("$(printf '%-34s %4d s' "$1" $((SECONDS - phase_t)))")
    phase_t=$SECONDS
}

name=$(git -C "$IGB_TOP" config user.name || true)
email=$(git -C "$IGB_TOP" config user.email || true)
[ -n "$name" ] && [ -n "$email" ] ||
    die "set user.name and user.email in $IGB_TOP's git config (the patches' author)"
G=(git -c "user.name=$name" -c "user.email=$email" -c advice.detachedHead=false)

# Patches are made in QEMU's recommended diff style (docs/devel/submitting-a-patch.rst).
diffstyle=(-c diff.renames=true -c diff.algorithm=patience)

# The exported paths, as in graft.sh: our files at the paths they take in QEMU.
our_c=$(cd "$IGB_TOP" && ls hw/net/igb*.[ch])
our_tests=$(cd "$IGB_TOP" && ls tests/qtest/igb-test.c tests/qtest/libqos/igb.c \
            tests/qtest/libqos/igb.h tests/functional/test_netdev_ethtool.py)
our_docs=docs/system/devices/igb.rst
for f in $our_tests $our_docs hw/net/igb-trace-events; do
    [ -f "$IGB_TOP/$f" ] || die "$f is missing"
done
declare -A exported
for f in $our_c $our_tests $our_docs; do
    exported[$f]=$(git hash-object "$IGB_TOP/$f")
done
if [ -n "$(git -C "$IGB_TOP" status --porcelain -- hw/net tests/qtest tests/functional docs)" ]; then
    log "warning: exporting uncommitted changes of hw/net, tests/qtest or docs"
    series_date=
else
    series_date=$(git -C "$IGB_TOP" log -1 --format=%cI)
fi

# --- 1. the base: the pristine tree as one commit, cached ----------------
pristine=$("$IGB_TOP/scripts/igb/fetch-qemu.sh")
version=$(cat "$pristine/VERSION")
pdir=$IGB_CACHE/patches
repo=$pdir/qemu.git
series=$pdir/series
B=("${G[@]}" --git-dir="$repo")
mkdir -p "$pdir"
# one export at a time: they share the repository and its worktrees
exec 8>"$pdir/export.lock"
flock -n 8 || { log "waiting for another export-patches.sh"; flock 8; }
stamp="$pristine $version"
pkgver=
if [ -f "$pristine/debian/changelog" ]; then
    pkgver=$(dpkg-parsechangelog -l "$pristine/debian/changelog" -S Version)
    pkgdist=$(dpkg-parsechangelog -l "$pristine/debian/changelog" -S Distribution)
fi

base_ok() {
    [ "$(cat "$repo/igb-base" 2>/dev/null)" = "$stamp" ] &&
        "${B[@]}" rev-parse -q --verify refs/tags/base >/dev/null &&
        [ -z "$("${B[@]}" --work-tree="$pristine" status --porcelain -uall)" ]
}
if base_ok; then
    log "base: $repo (QEMU $version, cached)"
else
    log "base: committing the pristine QEMU $version tree to $repo"
    rm -rf "$repo" "$series" "$pdir/verify/qemu"
    mkdir -p "$pdir"
    git init -q --bare "$repo"
    # quilt's bookkeeping and fetch-qemu.sh's marker are not QEMU
    printf '/.pc/\n/.igb-pristine\n' >> "$repo/info/exclude"
    if [ -n "$pkgver" ]; then
        msg="QEMU $version (Debian source)

The source of Debian's qemu package $pkgver ($pkgdist), with the
package's patches applied, as scripts/igb/fetch-qemu.sh unpacks it."
        date=$(dpkg-parsechangelog -l "$pristine/debian/changelog" -S Date)
    else
        msg="QEMU $version (source)

The tree at $pristine."
        date=@$(stat -c %Y "$pristine/VERSION")
    fi
    # -f: QEMU's own .gitignore files must not leave out any of its sources
    "${B[@]}" --work-tree="$pristine" add -A -f -- . ':(exclude).pc' ':(exclude).igb-pristine'
    GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date \
        "${B[@]}" --work-tree="$pristine" commit -q -m "$msg"
    "${B[@]}" tag base
    echo "$stamp" > "$repo/igb-base"
    base_ok || die "the base commit does not match $pristine"
fi
phase_done "base repository"

# --- 2. the series -------------------------------------------------------
# fresh_checkout DIR REV: DIR becomes a clean checkout of REV (a worktree
# of $repo, made or reused).
fresh_checkout() {
    local dir=$1 rev=$2
    if [ -f "$dir/.git" ] && git -C "$dir" rev-parse -q --verify HEAD >/dev/null 2>&1; then
        git -C "$dir" am --abort >/dev/null 2>&1 || true
        "${G[@]}" -C "$dir" checkout -q -f --detach "$rev"
        git -C "$dir" clean -q -ffdx
    else
        rm -rf "$dir"
        "${B[@]}" worktree prune
        mkdir -p "$(dirname "$dir")"
        "${B[@]}" worktree add -q -f --detach "$dir" "$rev"
    fi
    # the empty directories git cannot hold (Debian's python/wheels)
    (cd "$pristine" && find . -mindepth 1 -type d -empty ! -path './.pc*') |
        (cd "$dir" && xargs -r mkdir -p)
}

log "series: grafting into $series"
fresh_checkout "$series" base
"${G[@]}" -C "$series" checkout -q -B igb base
"$IGB_TOP/scripts/igb/graft.sh" --into "$series" >/dev/null 2>"$pdir/graft.log" ||
    { cat "$pdir/graft.log" >&2; die "graft.sh --into $series failed"; }
cd "$series"

# stage PATH FILE: put FILE's content into the index as PATH
stage() {
    "${G[@]}" update-index --add --cacheinfo "100644,$(git hash-object -w "$2"),$1"
}
# commit MESSAGE-FILE
# (dated like HEAD of $IGB_TOP when exporting it unchanged: the same patches
# every time)
commit() {
    if [ -n "$series_date" ]; then
        GIT_AUTHOR_DATE=$series_date GIT_COMMITTER_DATE=$series_date \
            "${G[@]}" commit -q -s --no-verify -F "$1"
    else
        "${G[@]}" commit -q -s --no-verify -F "$1"
    fi
}
# maintainers MODE: MAINTAINERS with the igb entry's test lines dropped
# (MODE=model: the old tests are gone) or naming our tests (MODE=tests).
maintainers() {
    awk -v mode="$1" '
        /^igb$/ { sect = 1 }
        sect && /^F: tests\/qtest\/(igb-test\.c|libqos\/igb)/ { next }
        sect && /^$/ {
            if (mode == "tests") {
                print "F: tests/qtest/igb-test.c"
                print "F: tests/qtest/libqos/igb.*"
            }
            sect = 0; found = 1
        }
        { print }
        END { if (!found) exit 1 }' "$pristine/MAINTAINERS"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
maintainers model > "$tmp/MAINTAINERS.model" ||
    die "no igb entry in $pristine/MAINTAINERS"
maintainers tests > "$tmp/MAINTAINERS.tests"
ntests=$(grep -cE '^\s*(qos_add_test|qtest_add_func)\(' "$IGB_TOP/tests/qtest/igb-test.c")
nvfs=$(sed -n 's/^#define IGB_TOTAL_VFS *\([0-9]*\).*/\1/p' "$IGB_TOP"/hw/net/igb*.h | head -n 1)
filelist=$(for f in $our_c; do
    d=$(sed -n '2{s/^ \* //;s/^Intel 82576 ([a-z]*) emulation: //;s/^Intel 82576 [^:]*: //;s/^Intel 82576 (igb) //;s/\.$//;p}' "$IGB_TOP/$f")
    printf '  %-18s %s\n' "${f#hw/net/}" "$d"
done)

# 1/3: the model.  Upstream's igb goes, ours comes, under the same device
# names; upstream's qtest and libqos driver include upstream's igb_regs.h,
# so they go too (and their meson lines) until 2/3 brings ours.
cat > "$tmp/msg1" <<EOF
hw/net/igb: replace the 82576 model with a new one

Replace the igb and igbvf devices with a new model of the Intel 82576
Gigabit Ethernet controller, written from the controller's documented
behaviour and from what Linux's igb and igbvf drivers require of it.
The device names and PCI IDs stay; the properties are mac, netdev and
bootindex, max-vfs (TotalVFs of the SR-IOV capability, up to ${nvfs:-8}),
subsys-ven and subsys, and eeprom-file (an EEPROM image kept across
runs).

The model covers the register file with the writable bits Linux relies
on; reset and FLR; the EEPROM (EERD/EEWR and bit-banged SPI through
EECD) and the internal PHY behind MDIC; ICR and extended interrupts
with IVAR mapping, EITR moderation and low latency interrupts,
delivered by MSI-X, MSI or INTx; legacy and advanced transmit
descriptors with checksum, VLAN, TSO and UDP segmentation offloads;
receive filtering (unicast table, multicast hash, VLAN filter,
promiscuous modes), legacy, one-buffer and header-split receive
descriptors, checksum offload, RSS and EtherType, SYN and 5-tuple
queue steering; IEEE 1588 time stamps; statistics; and SR-IOV: VF
register windows, mailboxes, VF interrupts and resets, VMDq pools and
the internal switch with anti-spoofing, and per-queue transmit rate
limits. docs/system/devices/igb.rst, updated later in this series,
lists what is not modelled.

The code is split by function:

$filelist

Every trace event of the old model is replaced by the new model's, all
named igb_*.

The old qtest and its libqos driver are written against the old
model's register header, so they are removed with it, together with
their meson entries and MAINTAINERS lines; the next patch adds tests
for the new model.

The vmstate keeps the names "igb" and "igbvf" but not the old layout:
an igb device cannot be migrated from an older QEMU.
EOF
"${G[@]}" add -A hw/net
"${G[@]}" rm -q --cached tests/qtest/igb-test.c tests/qtest/libqos/igb.c
git show base:tests/qtest/meson.build | grep -v "'igb-test.c'" > "$tmp/qtest.meson"
git show base:tests/qtest/libqos/meson.build | grep -v "'igb.c'" > "$tmp/libqos.meson"
stage tests/qtest/meson.build "$tmp/qtest.meson"
stage tests/qtest/libqos/meson.build "$tmp/libqos.meson"
stage MAINTAINERS "$tmp/MAINTAINERS.model"
commit "$tmp/msg1"

# 2/3: our tests, back in upstream's meson entries.
cat > "$tmp/msg2" <<EOF
tests/qtest: add a libqos driver and qtests for igb

Add a qgraph driver for the igb PF (tests/qtest/libqos/igb.[ch]: the
"igb" node on a pci-bus, register access, descriptor rings in guest
memory, interrupt helpers) and tests that drive the device the way a
guest driver does. The device's netdev is one end of a stream
socketpair, so the tests see every transmitted frame byte for byte and
inject the frames the receiver takes.

The $ntests tests cover PCI identity and capabilities, reset values, the
I/O window, the EEPROM (EERD/EEWR, SPI, checksum, eeprom-file), the
PHY and link, transmit and receive with every descriptor format and
offload, VLANs, filters, RSS and queue steering, interrupts (INTx, MSI,
MSI-X) and their moderation, statistics, IEEE 1588 time stamps, MAC and
PHY loopback, SR-IOV (VF windows, mailboxes, resets, isolation between
VFs, the internal switch) and hostile guest input.

They take the meson entries of the tests the previous patch removed.

tests/qtest/fuzz/igb_fuzz.c adds two libFuzzer targets, igb-pf and
igb-sriov (seven VFs enabled, their BARs mapped): register accesses to
every BAR, PCI config writes, descriptors and buffers in guest memory,
frames injected from the network side (so the receive path is fuzzed
without the guest sending first), ring set-up shortcuts and clock steps.

tests/functional/test_netdev_ethtool.py is rewritten too: it boots a
Linux guest given by IGB_GUEST_KERNEL/IGB_GUEST_INITRD (a kernel with
igb/igbvf and an initramfs whose /init runs "ethtool -t offline" when
booted with igbtest=ethtool) with MSI-X and two VFs, and with
pci=nomsi; without those variables it skips.
EOF
"${G[@]}" add -A tests/qtest tests/functional
cp "$tmp/MAINTAINERS.tests" MAINTAINERS
"${G[@]}" add MAINTAINERS
commit "$tmp/msg2"

# 3/3: the documentation.
cat > "$tmp/msg3" <<EOF
docs/system: describe the new igb model

Rewrite docs/system/devices/igb.rst for the new model: how to use it
and its properties, what is modelled (registers, interrupts, EEPROM,
PHY, transmit and receive offloads, filters, RSS, time stamps, SR-IOV
and the VMDq switch), where it differs from the 82576, what is not
modelled yet, SR-IOV with Linux, tracing and testing.
EOF
"${G[@]}" add -A docs
commit "$tmp/msg3"

left=$(git status --porcelain --ignored -uall)
[ -z "$left" ] || { echo "$left" >&2; die "the series leaves part of the graft out"; }
phase_done "series (3 commits)"

# --- 3. format-patch with a cover letter --------------------------------
srcdesc=
[ -z "$pkgver" ] || srcdesc="
(the source of Debian's qemu package $pkgver)"
cat > "$tmp/cover" <<EOF
hw/net/igb: a new Intel 82576 model

This series replaces QEMU's igb device, the Intel 82576 Gigabit
Ethernet controller and its SR-IOV virtual function igbvf, with a new,
independent model written from the controller's documented behaviour
and from what Linux's igb and igbvf drivers require.

The device keeps its name and PCI IDs. It models the register file,
reset and FLR, the EEPROM (with SPI access and an optional backing
file), the PHY and link, MSI-X, MSI and INTx interrupts with EITR
moderation and low latency interrupts, transmit offloads (checksums,
VLAN, TSO, UDP segmentation, rate limits), receive filtering, checksum
offload, RSS, header split and queue steering, IEEE 1588 time stamps,
statistics, and SR-IOV with up to ${nvfs:-8} VFs: VF register windows,
mailboxes, VF resets, VMDq pools and the internal switch with
anti-spoofing. docs/system/devices/igb.rst (patch 3) lists what is not
modelled.

Patch 1 replaces the model: hw/net/igb*, its meson line, its trace
events and the MAINTAINERS entry. The old qtest and libqos driver use
the old model's register header, so they leave with it. Patch 2 adds a
libqos driver and $ntests qtests for the new model, patch 3 the
documentation. Every patch builds.

The vmstate layout is new: an igb device cannot be migrated from an
older QEMU.

Testing:
- the qtests of patch 2 (qos-test, make check-qtest-x86_64);
- a Linux guest (Debian 12, kernel 6.1) under TCG, booted with MSI-X
  and with pci=nomsi: igb binds, reads the MAC from the EEPROM, gets
  link at 1000/full and a DHCP lease, pings, moves 10 MiB each way over
  TCP with the content verified, passes ethtool -t offline and survives
  link down/up and a driver reload;
- SR-IOV in the same guest: 7 VFs bound by igbvf, MACs set from the
  PF, PF<->VF, VF<->VF and VF<->host traffic (ping, TCP with the
  content verified) across the device's switch, igbvf reload, VFs
  disabled again;
- scripts/checkpatch.pl on every patch.

Based on QEMU $version$srcdesc.
EOF
git config branch.igb.description "$(cat "$tmp/cover")"
rm -f "$outdir"/[0-9][0-9][0-9][0-9]-*.patch
git "${diffstyle[@]}" format-patch -q -B --cover-letter --cover-from-description=subject \
    -O scripts/git.orderfile -o "$outdir" base..igb
patches=("$outdir"/[0-9][0-9][0-9][0-9]-*.patch)
phase_done "format-patch"

# --- 4. checkpatch ---------------------------------------------------------
cp_log=$pdir/checkpatch.log
: > "$cp_log"
cp_err=0
cp_summary=()
for p in "${patches[@]}"; do
    case $p in *0000-cover-letter.patch) continue ;; esac
    out=$(./scripts/checkpatch.pl "$p" 2>&1) || true
    printf '=== %s\n%s\n' "${p##*/}" "$out" >> "$cp_log"
    total=$(echo "$out" | grep -E '^total: ' | tail -n 1)
    [ -n "$total" ] || total="total: no summary (see $cp_log)"
    cp_summary+=("$(printf '%-58s %s' "${p##*/}" "$total")")
    if ! echo "$total" | grep -q '^total: 0 errors'; then
        cp_err=1
        echo "$out" | grep -E -A3 '^(ERROR|WARNING)' | head -40 >&2
    elif ! echo "$total" | grep -q ', 0 warnings'; then
        echo "$out" | grep -E -A3 '^WARNING' | head -20 >&2
    fi
    # checkpatch checks SPDX tags on removed lines too
    if echo "$out" | grep -q "^WARNING: Saw acceptable license 'GPL-2.0-only" &&
       ! grep -q '^+.*SPDX-License-Identifier: GPL-2.0-only' "$p"; then
        log "note: ${p##*/}: the GPL-2.0-only warning is about a line the patch removes"
    fi
done
phase_done "checkpatch"
cd "$IGB_TOP"

echo "Series in $outdir:"
for p in "${patches[@]}"; do
    printf '  %-58s %s\n' "${p##*/}" "$(sed -n 's/^Subject: //p' "$p" | head -n 1)"
done
echo "checkpatch:"
printf '  %s\n' "${cp_summary[@]}"
[ $cp_err = 0 ] || die "checkpatch found errors (log: $cp_log)"

# --- 5. verification ---------------------------------------------------------
if [ $verify = none ]; then
    echo "timings:"
    printf '  %s\n' "${timings[@]}"
    exit 0
fi

vt=$pdir/verify/qemu
vb=$pdir/verify/build
log "verify: applying the series to a fresh checkout of the base in $vt"
fresh_checkout "$vt" base
phase_done "verify: checkout of the base"

# build.sh's configuration, with -Werror: what QEMU turns on for a git
# checkout, and what this one gets anyway once meson regenerates (configure
# writes "werror = true" into the native file for git trees, and meson's
# reconfiguration lets that win over --disable-werror)
conf=("${IGB_CONFIGURE[@]}" --enable-werror)
# ccache: rebuilds of a re-checked-out tree are cheap
[ -x /usr/lib/ccache/cc ] && conf+=(--cc=/usr/lib/ccache/cc --cxx=/usr/lib/ccache/c++)
want="src=$vt ${conf[*]}"

# the PF's default option ROM, which every igb the tests start loads
"$IGB_TOP/scripts/igb/build-ipxe.sh" >/dev/null

# vbuild WHAT: configure (once) and build, holding build.sh's lock
vbuild() {
    exec 9>"$IGB_CACHE/build.lock"
    flock -n 9 || { log "waiting for the build lock"; flock 9; }
    igb_configure "$vb" "$vt" "$want" "${conf[@]}"
    log "building ($1)"
    nice ninja -C "$vb" qemu-system-x86_64 tests/qtest/qos-test >"$vb/ninja.log" 2>&1 ||
        { grep -E 'error|FAILED' "$vb/ninja.log" | head -40 >&2
          die "build failed at $1 (log: $vb/ninja.log)"; }
    flock -u 9
    exec 9>&-
    igb_firmware_links "$vb"
    phase_done "verify: build after $1"
}

# vtest WHAT: the device is there and the igb qtests (if any yet) pass
vtest() {
    local paths n want qlog=$pdir/verify/qtest-$1.log
    # the PF (with its VFs' SR-IOV capability) realizes on q35
    printf '%s\n' '{"execute": "qmp_capabilities"}' '{"execute": "quit"}' |
        timeout 60 "$vb/qemu-system-x86_64" -M q35 -accel tcg -S -display none \
            -nodefaults -netdev user,id=n0 -device igb,netdev=n0 -qmp stdio \
            >"$pdir/verify/smoke.log" 2>&1 ||
        { tail -5 "$pdir/verify/smoke.log" >&2; die "igb does not start after $1"; }
    paths=$(igb_qtest_paths "$vb" || true)
    if [ -z "$paths" ]; then
        log "no igb qtests after $1"
        verified+=("$1: builds, igb device present, no igb qtests yet")
        return 0
    fi
    want=$(echo "$paths" | wc -l)
    igb_qtest_run "$vb" "$qlog" $paths || true
    n=$(grep -cE '^ok [0-9]+' "$qlog" || true)
    if [ "$n" != "$want" ] || grep -qE '^not ok [0-9]+' "$qlog"; then
        grep -E '^not ok' "$qlog" | head -20 >&2
        die "qtests after $1: $n of $want passed (log: $qlog)"
    fi
    verified+=("$1: builds, $n/$want igb qtests pass")
    phase_done "verify: qtests after $1"
}

verified=()
for p in "${patches[@]}"; do
    case $p in *0000-cover-letter.patch) continue ;; esac
    "${G[@]}" -C "$vt" am -q "$p" || die "git am ${p##*/} failed"
    if [ $verify = each ]; then
        what=$(echo "${p##*/}" | cut -c1-4)
        vbuild "patch $what"
        vtest "patch $what"
    fi
done
if [ $verify = end ]; then
    phase_done "verify: git am"
    vbuild "the series"
    vtest "the series"
fi

# The applied series is the series, and carries our files byte for byte.
bad=0
[ "$(git -C "$vt" rev-parse 'HEAD^{tree}')" = "$("${B[@]}" rev-parse 'igb^{tree}')" ] ||
    { log "the applied series differs from branch igb"; bad=1; }
for f in $our_c $our_tests $our_docs; do
    cmp -s "$IGB_TOP/$f" "$vt/$f" && continue
    bad=1
    if [ "$(git hash-object "$IGB_TOP/$f")" != "${exported[$f]}" ]; then
        log "$f changed in $IGB_TOP while this ran"
    else
        log "$f differs from $IGB_TOP's"
    fi
done
extra=$(cd "$vt" && ls hw/net/igb* tests/qtest/libqos/igb* tests/qtest/igb* \
        tests/functional/test_netdev_ethtool.py | sort)
ours=$(printf '%s\n' $our_c $our_tests | sort)
[ "$extra" = "$ours" ] || { log "igb files in the tree are not exactly ours:"
    diff <(echo "$ours") <(echo "$extra") >&2 || true; bad=1; }
missing=$(grep -vE '^(#|$)' "$IGB_TOP/hw/net/igb-trace-events" |
          grep -vxFf "$vt/hw/net/trace-events" || true)
[ -z "$missing" ] || { log "hw/net/trace-events lacks our trace events: $missing"; bad=1; }
[ $bad = 0 ] || die "verification failed"
verified+=("the applied tree is branch igb's; $(echo "$ours" | wc -l) igb files byte-identical to $IGB_TOP")

echo "verification:"
printf '  %s\n' "${verified[@]}"
echo "timings:"
printf '  %s\n' "${timings[@]}"
printf '  %-34s %4d s\n' total $((SECONDS - t_start))
