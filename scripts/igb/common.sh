# SPDX-License-Identifier: GPL-2.0-or-later
# Shared settings for the igb tooling.  Sourced, not run.

IGB_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Downloads, the QEMU tree and its build live here, outside tracked files.
IGB_CACHE=${IGB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/igb-qemu}
IGB_APT=$IGB_CACHE/apt
mkdir -p "$IGB_CACHE"

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
