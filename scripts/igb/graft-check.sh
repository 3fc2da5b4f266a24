#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Prove the built QEMU carries our igb and none of upstream's: the grafted
# files are byte-identical to ours, upstream's files and trace events are
# gone, meson builds exactly our sources, and the binary has our strings.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tree=$IGB_CACHE/qemu
pristine=$IGB_CACHE/qemu-src
[ -n "${QEMU_SRC:-}" ] && pristine=$QEMU_SRC
qemu=$IGB_TOP/build/qemu-system-x86_64
bad=0
no() { echo "graft-check: $*" >&2; bad=1; }

cd "$IGB_TOP"
for f in hw/net/igb*.[ch] tests/qtest/igb-test.c tests/qtest/libqos/igb.[ch] \
         tests/functional/test_netdev_ethtool.py docs/system/devices/igb.rst; do
    [ -f "$f" ] || continue
    cmp -s "$f" "$tree/$f" || no "$f differs from the grafted tree"
done
for f in $(cd "$pristine" && ls hw/net/igb* tests/qtest/libqos/igb* 2>/dev/null); do
    [ -f "$IGB_TOP/$f" ] || [ ! -e "$tree/$f" ] || no "upstream's $f is still in the tree"
done
for f in $(cd "$tree" && ls hw/net/igb* 2>/dev/null); do
    [ -f "$IGB_TOP/$f" ] || no "$f in the tree is not ours"
done
# upstream trace events (names only they use) must be gone, ours present
if grep -qE '^(igb_core_mdic_read_unhandled|igbvf_wrn_io_addr_unknown|igb_irq_icr_clear_gpie_nsicr)\(' \
        "$tree/hw/net/trace-events"; then
    no "upstream igb trace events remain in hw/net/trace-events"
fi
while read -r ev; do
    grep -qF "$ev" "$tree/hw/net/trace-events" || no "our trace event missing: $ev"
done < <(grep -oE '^[a-z_]+\(' hw/net/igb-trace-events)
want=$(cd hw/net && ls igb*.c | sort | tr '\n' ' ')
got=$(grep "CONFIG_IGB_PCI_EXPRESS.*igb" "$tree/hw/net/meson.build" |
      grep -oE "'igb[a-z_]*\.c'" | tr -d "'" | sort | tr '\n' ' ')
[ "$want" = "$got" ] || no "meson builds '$got', ours are '$want'"
# the binary: our device description and a message only our sources have
"$qemu" -device help 2>/dev/null | grep -q '"igb".*82576 Gigabit Ethernet Controller (SR-IOV PF)' ||
    no "the binary's igb device is not ours"
grep -q 'is not a non-zero multiple' "$qemu" ||
    no "the binary lacks strings from our igb_tx.c/igb_rx.c"
[ $bad = 0 ] && echo "graft-check: the binary is built from our igb sources"
exit $bad
