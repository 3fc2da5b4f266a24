#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (cached in $IGB_CACHE/guest/) the Linux guest for the igb tests:
# Debian's kernel (not installed, only unpacked) and an initramfs with
# busybox-static, the real ethtool and ip, linuxptp's ptp4l and phc_ctl,
# igb/igbvf and their deps, and the scripts in tests/guest/initramfs/.
# Usage: build-image.sh [--force]
# Env:   GUEST_KERNEL_SUITE  bookworm (default) or bookworm-backports
#        GUEST_MODULES       modules to include (default "igb igbvf 8021q
#                            macvlan"; the last two for the SR-IOV test)
# Prints two lines: the path of vmlinuz, then the path of the initrd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
# one image build at a time (guest tests may start in parallel)
exec 8>"$IGB_CACHE/guest-image.lock"
flock 8

suite=${GUEST_KERNEL_SUITE:-bookworm}
modules=${GUEST_MODULES:-igb igbvf 8021q macvlan}
force=0
[ "${1:-}" = --force ] && force=1

gdir=$IGB_CACHE/guest
mkdir -p "$gdir/debs"

igb_need busybox-static ethtool iproute2 linuxptp cpio gzip xz-utils
(igb_apt_setup) || log "apt update failed; trying the lists at hand"
igb_apt_cache() {
    apt-cache -o Dir::Etc::sourcelist="$IGB_APT/igb.sources" \
              -o Dir::Etc::sourceparts=/dev/null \
              -o Dir::State::Lists="$IGB_APT/lists" \
              -o Dir::Cache="$IGB_APT/cache" "$@"
}

# linux-image-amd64 depends on the current ABI's package.
kpkg=$(igb_apt_cache depends "linux-image-amd64/$suite" 2>/dev/null |
       awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kpkg" ]; then   # offline: fall back to the newest image built
    last=$(ls -td "$gdir"/*/initrd.img 2>/dev/null | head -1 || true)
    [ -n "$last" ] || die "cannot resolve linux-image-amd64/$suite"
    log "cannot resolve linux-image-amd64/$suite; using ${last%/initrd.img}"
    echo "${last%/initrd.img}/vmlinuz"; echo "$last"; exit 0
fi
kver=${kpkg#linux-image-}
kpver=$(igb_apt_cache show "$kpkg/$suite" 2>/dev/null |
        awk '$1 == "Version:" {print $2; exit}')
[ -n "$kpver" ] || die "no version for $kpkg/$suite"

out=$gdir/$kver
inputs=$( { echo "$kpkg $kpver $modules"
            dpkg-query -W busybox-static ethtool iproute2 linuxptp libc6
            cat "$0"; find "$here/initramfs" -type f | sort | xargs cat; } |
          sha256sum | cut -d' ' -f1)
if [ $force = 0 ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ] &&
   [ "$(cat "$out/inputs" 2>/dev/null)" = "$inputs" ]; then
    echo "$out/vmlinuz"; echo "$out/initrd.img"; exit 0
fi

# The kernel package, unpacked (not installed).
deb=$(ls "$gdir/debs/${kpkg}_${kpver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
    log "downloading $kpkg $kpver"
    (cd "$gdir/debs" && igb_apt -q -o APT::Sandbox::User=root \
        download "$kpkg=$kpver" >/dev/null) || die "download of $kpkg failed"
    deb=$(ls "$gdir/debs/${kpkg}_${kpver//:/%3a}_"*.deb | head -1)
fi
kx=$gdir/$kver.x
rm -rf "$kx" "$out.new"
mkdir -p "$kx" "$out.new"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kx" "./boot/vmlinuz-$kver" "./lib/modules/$kver"
mdir=lib/modules/$kver
dep=$kx/$mdir/modules.dep
# The package has no modules.dep (depmod runs at install time): make one.
[ -f "$dep" ] || /bin/busybox depmod -b "$kx" "$kver"

# Module closure from modules.dep (paths as listed there, maybe .ko.xz).
declare -A want=()
add_mod() {
    local path d
    path=$(awk -F: -v m="$1" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n);
           gsub(/-/, "_", n); mm = m; gsub(/-/, "_", mm); if (n == mm) { print $1; exit } }' "$dep")
    [ -n "$path" ] || die "module $1 not in $kver's modules.dep"
    [ -n "${want[$path]:-}" ] && return 0
    want[$path]=1
    for d in $(grep "^$path:" "$dep" | cut -d: -f2-); do
        add_mod "$(basename "${d%%.ko*}")"
    done
}
for m in $modules; do add_mod "$m"; done

# The initramfs tree.
root=$out.new/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,run,etc,igb,$mdir}
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
for b in /usr/sbin/ethtool /bin/ip /usr/sbin/ptp4l /usr/sbin/phc_ctl; do
    cp "$b" "$root/usr/sbin/"
    ldd "$b" | awk '/=>/ {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
        [ -f "$lib" ] || continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
done
: > "$root/$mdir/modules.dep"
for p in "${!want[@]}"; do
    ko=${p%.xz}
    ko=${ko%.zst}
    mkdir -p "$root/$mdir/$(dirname "$ko")"
    case $p in
        *.xz)  xz -dc "$kx/$mdir/$p" > "$root/$mdir/$ko" ;;
        *.zst) zstd -qdc "$kx/$mdir/$p" > "$root/$mdir/$ko" ;;
        *)     cp "$kx/$mdir/$p" "$root/$mdir/$ko" ;;
    esac
    deps=$(grep "^$p:" "$dep" | cut -d: -f2- | sed 's/\.ko\.\(xz\|zst\)/.ko/g')
    echo "$ko:$deps" >> "$root/$mdir/modules.dep"
done
touch "$root/$mdir/modules.alias" "$root/$mdir/modules.symbols"
cp "$here/initramfs/init" "$root/init"
cp -r "$here/initramfs/." "$root/igb/"
mv "$root/igb/profile" "$root/etc/profile"
rm -f "$root/igb/init"
chmod 755 "$root/init" "$root"/igb/*.sh "$root"/igb/tests/*.sh "$root/igb/udhcpc.script"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -6 > "$out.new/initrd.img"
cp "$kx/boot/vmlinuz-$kver" "$out.new/vmlinuz"
rm -rf "$root" "$kx" "$out"
echo "$inputs" > "$out.new/inputs"
mv "$out.new" "$out"
log "guest image: $kver ($(du -k "$out/initrd.img" | cut -f1) KiB initrd)"
echo "$out/vmlinuz"; echo "$out/initrd.img"
