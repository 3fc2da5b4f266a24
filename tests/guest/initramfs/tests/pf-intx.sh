#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The PF with legacy INTx (boot 2 of test-pf.sh, kernel arg pci=nomsi).
P=intx.
. /igb/lib.sh
t_bind || exit 1
t_link
t_dhcp
t_ping
t_irq intx
t_selftest
exit $((NFAIL > 0))
