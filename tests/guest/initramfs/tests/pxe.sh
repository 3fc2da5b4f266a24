#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest of test-pxe.sh, booted through the igb's option ROM: iPXE took
# this kernel and initramfs by TFTP with a script whose kernel line carries
# igbpxe=<the run's token> (QEMU had no -kernel).  Then Linux's igb takes
# over the NIC iPXE leaves behind: bind, MAC, link, DHCP, ping.
P=pxe.
. /igb/lib.sh
if [ -n "${igbpxe:-}" ]; then
    pass cmdline "igbpxe=$igbpxe: $(cat /proc/cmdline)"
else
    fail cmdline "no igbpxe= on the kernel command line: $(cat /proc/cmdline)"
fi
t_bind || exit 1
t_mac
t_link
t_dhcp
t_ping
exit $((NFAIL > 0))
