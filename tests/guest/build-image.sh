#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build (cached in $IGB_CACHE/guest/) the Linux guest for the igb tests:
# Debian's kernel (not installed, only unpacked) and an initramfs with
# busybox-static, the real ethtool and ip, linuxptp's ptp4l and phc_ctl,
# igb/igbvf and their deps, and the scripts in tests/guest/initramfs/.
# Usage: build-image.sh [--force]
# Env:   GUEST_KERNEL_SUITE  bookworm (default) or bookworm-backports
#        GUEST_MODULES       modules to include (default "igb igbvf 8021q
#                            macvlan button"; 8021q and macvlan for the
#                            SR-IOV test, button (the ACPI power button)
#                            for the libvirt test's virsh shutdown)
#        GUEST_VARIANT       "dpdk": also DPDK's dpdk-testpmd with the
#                            e1000 PMDs and the libraries they need (from
#                            Debian's packages, unpacked, not installed),
#                            and the vfio-pci and uio_pci_generic modules;
#                            kept apart from the default image (test-dpdk.sh);
#                            "bench": also iperf3 (the host's, with its
#                            libraries) and the e1000e and virtio_net
#                            modules (bench-guest.sh)
# Prints two lines: the path of vmlinuz, then the path of the initrd.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../scripts/igb/common.sh"
# one image build at a time (guest tests may start in parallel)
exec 8>"$IGB_CACHE/guest-image.lock"
flock 8

suite=${GUEST_KERNEL_SUITE:-bookworm}
modules=${GUEST_MODULES:-igb igbvf 8021q macvlan button}
variant=${GUEST_VARIANT:-}
extra_bins=''
case $variant in
    '') ;;
    bench) modules="$modules e1000e virtio_net virtio_pci"
           igb_need iperf3; extra_bins=/usr/bin/iperf3 ;;
    dpdk) modules="$modules vfio vfio-pci vfio_iommu_type1 uio uio_pci_generic" ;;
    *) die "unknown GUEST_VARIANT '$variant'" ;;
esac
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

# DPDK (GUEST_VARIANT=dpdk): dpdk-dev has dpdk-testpmd; its Depends are
# the run-time libraries; the PMD plugins EAL loads from its plugin
# directory are net_e1000 (igb and igbvf), the ring mempool and the buses.
dpdk_pkg=dpdk-dev dpdk_ver='' dpdk_plugins="net_e1000 mempool_ring bus_pci bus_vdev"
dpdk_extra="librte-net-e1000-23 librte-mempool-ring23 librte-bus-pci23 librte-bus-vdev23"
if [ "$variant" = dpdk ]; then
    dpdk_ver=$(igb_apt_cache show "$dpdk_pkg/bookworm" 2>/dev/null |
               awk '$1 == "Version:" {print $2; exit}')
    [ -n "$dpdk_ver" ] || die "no version for $dpdk_pkg/bookworm"
fi

out=$gdir/$kver${variant:+-$variant}
inputs=$( { echo "$kpkg $kpver $modules $variant $dpdk_ver"
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

# dpdk_unpack: Debian's DPDK, unpacked (not installed) into $dpdk_root:
# dpdk-dev and whatever of its run-time closure the host lacks (apt's
# simulated install of the Depends says what that is).
dpdk_unpack() {
    local deps pkgs p d
    dpdk_root=$gdir/dpdk-$dpdk_ver
    [ -f "$dpdk_root/.done" ] && return 0
    deps=$(igb_apt_cache depends "$dpdk_pkg/bookworm" |
           awk '$1 == "Depends:" && $2 !~ /^</ {print $2}' |
           grep -vE '^(python3|libdpdk-dev)$' | sort -u)
    pkgs=$(igb_apt -s install --no-install-recommends $deps $dpdk_extra 2>/dev/null |
           awk '$1 == "Inst" {print $2}')
    [ -n "$pkgs" ] || die "apt cannot resolve $dpdk_pkg's run-time libraries"
    d=$gdir/debs/dpdk-$dpdk_ver
    mkdir -p "$d"
    log "downloading $dpdk_pkg $dpdk_ver and $(echo "$pkgs" | wc -l) packages of libraries"
    # shellcheck disable=SC2086  # lists of words
    (cd "$d" && igb_apt -q -o APT::Sandbox::User=root download \
        "$dpdk_pkg=$dpdk_ver" $pkgs >/dev/null) || die "download of DPDK's packages failed"
    rm -rf "$dpdk_root.new"
    mkdir -p "$dpdk_root.new"
    for p in "$d"/*.deb; do dpkg-deb -x "$p" "$dpdk_root.new"; done
    touch "$dpdk_root.new/.done"
    rm -rf "$dpdk_root"
    mv "$dpdk_root.new" "$dpdk_root"
}
# copy_lib PATH: PATH (the host's, or one under $dpdk_root) into the
# initramfs at the same place, symbolic links and all.
copy_lib() {
    local src=$1 dst l
    while :; do
        dst=${src#"$dpdk_root"}
        mkdir -p "$root$(dirname "$dst")"
        if [ -L "$src" ]; then
            l=$(readlink "$src")
            ln -sfn "$l" "$root$dst"
            case $l in /*) src=$dpdk_root$l ;; *) src=$(dirname "$src")/$l ;; esac
            # a link inside $dpdk_root that leads out of it: the host's file
            [ -e "$src" ] || src=$l
        else
            cp -L "$src" "$root$dst"
            return 0
        fi
    done
}
# add_dpdk: dpdk-testpmd, the plugins and every library they load.
add_dpdk() {
    local elfs=() e lib ldp pmds abi
    dpdk_unpack
    ldp=$dpdk_root/usr/lib/x86_64-linux-gnu:$dpdk_root/lib/x86_64-linux-gnu
    pmds=$(cd "$dpdk_root" && ls -d usr/lib/x86_64-linux-gnu/dpdk/pmds-* | head -1)
    [ -n "$pmds" ] || die "no PMD directory in $dpdk_root"
    abi=${pmds#*pmds-}
    elfs=("$dpdk_root/usr/bin/dpdk-testpmd")
    for e in $dpdk_plugins; do
        elfs+=("$dpdk_root/$pmds/librte_$e.so.$abi")
        copy_lib "$dpdk_root/$pmds/librte_$e.so.${abi%.*}"
    done
    for e in "${elfs[@]}"; do
        [ -f "$e" ] || die "$e missing from DPDK's packages"
        copy_lib "$e"
        if LD_LIBRARY_PATH=$ldp ldd "$e" | grep 'not found'; then
            die "$(basename "$e"): libraries missing (above)"
        fi
        LD_LIBRARY_PATH=$ldp ldd "$e" | awk '/=>/ {print $3} $1 ~ /^\// {print $1}' |
            while read -r lib; do
                [ -f "$lib" ] && copy_lib "$lib"
            done
    done
    # glibc loads libgcc_s when a thread is cancelled (testpmd's exit)
    copy_lib "$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ {print $NF; exit}')"
    # coreutils' stdbuf: testpmd's output to a file line by line
    copy_lib /usr/bin/stdbuf
    copy_lib /usr/libexec/coreutils/libstdbuf.so
    mkdir -p "$root/var" "$root/dev/hugepages"
    ln -s ../run "$root/var/run"
}

# The initramfs tree.
root=$out.new/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,run,etc,igb,$mdir}
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
for b in /usr/sbin/ethtool /bin/ip /usr/sbin/ptp4l /usr/sbin/phc_ctl $extra_bins; do
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
[ "$variant" = dpdk ] && add_dpdk
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
