#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build QEMU's Sphinx manual (HTML), which includes our
# docs/system/devices/igb.rst through docs/system/device-emulation.rst, from
# the grafted tree with Debian's Sphinx, and fail on any warning: the
# sphinx-build command of QEMU's docs/meson.build with --enable-werror
# (-W -Dkerneldoc_werror=1), plus --keep-going to see them all.  QEMU
# 10.0's own manual builds without a warning with Debian 12's Sphinx 5.3,
# so nothing is filtered out.
#
# Cached in $IGB_CACHE/docs: nothing runs when igb.rst, the QEMU tree,
# Sphinx and this script are what the last good run had (a stamp); when only
# igb.rst changed, Sphinx rebuilds incrementally (it re-reads and rewrites
# only igb.rst: seconds); otherwise the whole manual is built (about a
# minute on 2 cores).  No other page refers to a label in igb.rst, so an
# incremental build misses nothing a full one would see.
# Usage: check-docs.sh    (prints the path of igb's HTML page on success)
set -euo pipefail
. "$(dirname "$0")/common.sh"

rst=docs/system/devices/igb.rst
out=$IGB_CACHE/docs
page=$out/html/system/devices/igb.html
[ -f "$IGB_TOP/$rst" ] || die "no $rst"

igb_need python3-sphinx python3-sphinx-rtd-theme
pristine=$("$IGB_TOP/scripts/igb/fetch-qemu.sh")
# what the built manual depends on besides igb.rst: QEMU's tree, the tools
# and the options below (this script)
base="$pristine $(cat "$pristine/VERSION")
$(dpkg-query -W -f='${Package} ${Version}\n' python3-sphinx \
      python3-sphinx-rtd-theme python3-docutils python3-pygments 2>/dev/null)
$(sha256sum < "${BASH_SOURCE[0]}")"
stamp="$base
$(sha256sum < "$IGB_TOP/$rst")"

mkdir -p "$out"
exec 8>"$out.lock"
flock 8
if [ -f "$page" ] && [ "$(cat "$out/.ok" 2>/dev/null)" = "$stamp" ]; then
    log "docs: igb.rst unchanged since the last clean build"
    echo "$page"
    exit 0
fi
rm -f "$out/.ok"
if [ "$(cat "$out/.base" 2>/dev/null)" != "$base" ]; then
    # another QEMU tree (cp -a keeps its old mtimes, which Sphinx would
    # take for unchanged) or other tools: start afresh
    rm -rf "$out/html" "$out/doctrees"
    printf '%s\n' "$base" > "$out/.base"
fi

# Sphinx only reads the tree.  Graft (under the build lock, as build.sh
# does) unless the tree already has this QEMU and this igb.rst (make check:
# build.sh just grafted), so as not to wait for someone else's build.
tree=$IGB_CACHE/qemu
if [ "$(cat "$tree/.igb-base" 2>/dev/null)" != "$pristine $(cat "$pristine/VERSION")" ] ||
   ! cmp -s "$IGB_TOP/$rst" "$tree/$rst"; then
    exec 9>"$IGB_CACHE/build.lock"
    flock -n 9 || { log "waiting for a build to finish (build.lock)"; flock 9; }
    tree=$("$IGB_TOP/scripts/igb/graft.sh")
    exec 9>&-
fi
cmp -s "$IGB_TOP/$rst" "$tree/$rst" || die "$rst was not grafted into $tree"
grep -qE '^ +devices/igb(\.rst)?$' "$tree/docs/system/device-emulation.rst" ||
    die "devices/igb.rst is not in the toctree of docs/system/device-emulation.rst"

# Sphinx re-reads (and so re-checks) a page whose doctree is missing,
# even when the source looks older than the last build
rm -f "$out/doctrees/system/devices/igb.doctree"
log "docs: sphinx-build (QEMU's manual, $([ -f "$out/doctrees/environment.pickle" ] &&
    echo "incremental" || echo "full, about a minute"))"
t0=$SECONDS
# as docs/meson.build runs it (CONFDIR: the default prefix's)
if env CONFDIR=/usr/local/etc/qemu PYTHONDONTWRITEBYTECODE=1 \
       sphinx-build -q -W --keep-going -Dkerneldoc_werror=1 -j auto \
       -Dversion="$(cat "$tree/VERSION")" -Drelease= \
       -b html -d "$out/doctrees" "$tree/docs" "$out/html" \
       >"$out/sphinx.log" 2>&1; then
    printf '%s\n' "$stamp" > "$out/.ok"
    log "docs: no warnings ($((SECONDS - t0)) s)"
    echo "$page"
    exit 0
fi
# Sphinx's messages (with -q only the warnings), paths relative to the tree
msgs=$(sed "s|$tree/||" "$out/sphinx.log")
printf '%s\n' "$msgs" | head -60 >&2
warns=$(printf '%s\n' "$msgs" | grep -E 'WARNING|ERROR|CRITICAL|SEVERE' || true)
n=$(printf '%s\n' "$warns" | grep -cF "$rst:" || true)
# A warning elsewhere would not come back in an incremental build (only
# igb.rst is re-read): make the next build a full one.
if [ -z "$warns" ] || printf '%s\n' "$warns" | grep -qvF "$rst:"; then
    rm -rf "$out/doctrees"
fi
die "docs: Sphinx warnings, $n in igb.rst (log: $out/sphinx.log)"
