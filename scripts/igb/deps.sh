#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install what building QEMU and running the igb tests needs (iproute2 and
# ethtool: the tx-vnet-tap qtest builds a bridge in a network namespace).
set -euo pipefail
. "$(dirname "$0")/common.sh"

igb_need build-essential pkg-config libglib2.0-dev libpixman-1-dev \
    libslirp-dev ninja-build flex bison dpkg-dev cpio ccache python3-venv \
    seabios ipxe-qemu busybox-static iproute2 ethtool \
    meson/bookworm-backports python3-pycotap/bookworm-backports \
    qemu-system-data/bookworm-backports
