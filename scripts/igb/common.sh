# SPDX-License-Identifier: GPL-2.0-or-later
# Shared settings for the igb tooling.  Sourced, not run.

IGB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Downloads, the QEMU tree and its build live here, outside tracked files.
IGB_CACHE=${IGB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/igb-qemu}
IGB_APT=$IGB_CACHE/apt
mkdir -p "$IGB_CACHE"

# configure flags of every QEMU build we make (build.sh, export-patches.sh
# --verify).  Debian's firmware packages: libvirt cannot pass -L, so QEMU
# must find them on its own.  Searched first: our own firmware, the igb's
# option ROM pxe-igb.rom (build-ipxe.sh).
IGB_FWDIR=$IGB_CACHE/firmware
IGB_FWPATH=$IGB_FWDIR:/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
IGB_CONFIGURE=(--python=/usr/bin/python3 --target-list=x86_64-softmmu
      --firmwarepath="$IGB_FWPATH" --disable-docs --disable-werror
      --enable-slirp --disable-download --disable-rust
      --disable-install-blobs --enable-trace-backends=log
      --disable-gtk --disable-sdl --disable-vnc --disable-opengl
      --disable-spice --disable-curl --disable-gnutls --disable-nettle
      --disable-gcrypt --disable-libusb --disable-usb-redir
      --disable-virglrenderer --disable-xkbcommon --disable-curses
      --disable-libssh --disable-capstone --disable-fdt
      --disable-guest-agent --disable-tools --disable-xen
      --disable-vhost-user-blk-server --disable-libudev
      --disable-pa --disable-alsa --disable-jack --disable-oss
      --disable-pipewire --disable-sndio --disable-dbus-display
      --disable-linux-io-uring --disable-zstd --disable-bzip2
      --disable-lzo --disable-snappy --disable-vde --disable-netmap
      --disable-af-xdp --disable-plugins)

log() { printf '[igb] %s\n' "$*" >&2; }
die() { printf '[igb] error: %s\n' "$*" >&2; exit 1; }

# A private apt configuration: the machine's Debian mirror, bookworm and
# bookworm-backports binaries, trixie *sources only* (never trixie binaries).
igb_apt_setup() {
    local src=$IGB_APT/igb.sources mirror
    if [ -f "$IGB_APT/updated" ] &&
       [ -z "$(find "$IGB_APT/updated" -mmin +1440 2>/dev/null)" ]; then
        return 0
    fi
    mirror=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' \
             /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    if [ -z "$mirror" ]; then
        mirror=$(awk '/^deb / && $2 !~ /security/ {print $2; exit}' \
                 /etc/apt/sources.list 2>/dev/null)
    fi
    [ -n "$mirror" ] || die "cannot find the Debian mirror in the apt configuration"
    mkdir -p "$IGB_APT/lists/partial" "$IGB_APT/cache/archives/partial"
    cat > "$src" <<EOS
Types: deb deb-src
URIs: $mirror
Suites: bookworm bookworm-updates bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $mirror
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    log "apt update (private config, mirror $mirror)"
    igb_apt update >/dev/null || die "apt-get update failed"
    touch "$IGB_APT/updated"
}

igb_apt() {
    apt-get -o Dir::Etc::sourcelist="$IGB_APT/igb.sources" \
            -o Dir::Etc::sourceparts=/dev/null \
            -o Dir::State::Lists="$IGB_APT/lists" \
            -o Dir::Cache="$IGB_APT/cache" "$@"
}

# igb_need PKG[/suite]... : install what is missing (as root).
igb_need() {
    local missing=() p name
    for p in "$@"; do
        name=${p%%/*}
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null |
            grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
    igb_apt_setup
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive igb_apt install -y --no-install-recommends \
        "${missing[@]}" >"$IGB_CACHE/apt-install.log" 2>&1 ||
        { tail -20 "$IGB_CACHE/apt-install.log" >&2; die "apt-get install failed"; }
}

# igb_configure BDIR SRCTREE STAMP CONFIGURE-ARGS...: configure a QEMU
# build directory, or keep it when it was configured with the same STAMP
# (anything that should force a fresh configure when it changes).
igb_configure() {
    local bdir=$1 src=$2 stamp=$3
    shift 3
    if [ -f "$bdir/build.ninja" ] &&
       [ "$(cat "$bdir/.igb-conf" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    rm -rf "$bdir"
    mkdir -p "$bdir"
    log "configuring QEMU in $bdir"
    (cd "$bdir" && "$src/configure" "$@" >configure.log 2>&1) ||
        { tail -30 "$bdir/configure.log" >&2; die "configure failed"; }
    echo "$stamp" > "$bdir/.igb-conf"
}

# igb_firmware_links BDIR: a binary run from a build directory looks for
# firmware only inside qemu-bundle/: point the configured firmware
# directories there as well.
igb_firmware_links() {
    local d
    for d in ${IGB_FWPATH//:/ }; do
        mkdir -p "$1/qemu-bundle$(dirname "$d")"
        [ -e "$1/qemu-bundle$d" ] || ln -s "$d" "$1/qemu-bundle$d"
    done
}

# igb_qtest_paths BDIR: the igb tests of the build's qos-test (the PF's
# node; the SR-IOV tests are among them).
igb_qtest_paths() {
    (cd "$1" && QTEST_QEMU_BINARY=./qemu-system-x86_64 \
        ./tests/qtest/qos-test -l 2>/dev/null | grep -E '/igb(/|$)' | grep -v '/igbvf')
}

# igb_qtest_run BDIR LOG PATH...: run those tests, TAP output into LOG.
# IGB_QTEST_QEMU: another QEMU binary or wrapper; IGB_QTEST_TIMEOUT: seconds.
igb_qtest_run() {
    local bdir=$1 log=$2 p args=()
    shift 2
    for p in "$@"; do args+=(-p "$p"); done
    (cd "$bdir" && QTEST_QEMU_BINARY=${IGB_QTEST_QEMU:-./qemu-system-x86_64} \
        timeout "${IGB_QTEST_TIMEOUT:-600}" ./tests/qtest/qos-test --tap -k "${args[@]}") >"$log" 2>&1
}
