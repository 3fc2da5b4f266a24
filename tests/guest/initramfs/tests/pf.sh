#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The PF checks with MSI-X (boot 1 of test-pf.sh).
P=pf.
. /igb/lib.sh
t_bind || exit 1
t_mac
t_link
t_dhcp
t_ping
t_irq msix
t_tcp "${igbxfer:-10485760}"
t_selftest
t_ifdownup
t_reload
exit $((NFAIL > 0))
