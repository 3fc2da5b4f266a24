#!/usr/bin/env python3
#
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ethtool's offline self-test (registers, EEPROM, interrupt, loopback,
# link) run by a Linux guest's igb driver on the igb device: with MSI-X
# and then with SR-IOV VFs enabled, and with legacy INTx (pci=nomsi).
#
# The guest needs no download: it is a kernel and an initramfs built from
# Debian packages by this project's tests/guest/build-image.sh (Debian's
# kernel with its igb/igbvf modules, busybox, ethtool), named by the
# environment variables IGB_GUEST_KERNEL and IGB_GUEST_INITRD.  Its /init
# runs the test that igbtest= names and prints "IGBTEST PASS|FAIL <check>"
# lines, then "IGBTEST DONE <test> rc=<rc>".

import os

from qemu_test import QemuSystemTest, wait_for_console_pattern


class NetDevEthtool(QemuSystemTest):

    def guest_files(self):
        kernel = os.getenv('IGB_GUEST_KERNEL')
        initrd = os.getenv('IGB_GUEST_INITRD')
        if not kernel or not initrd:
            self.skipTest('IGB_GUEST_KERNEL and IGB_GUEST_INITRD not set '
                          '(tests/guest/build-image.sh prints them)')
        for f in (kernel, initrd):
            if not os.path.isfile(f):
                self.skipTest(f'{f} does not exist')
        return kernel, initrd

    def boot(self, kargs, device_opts=''):
        kernel, initrd = self.guest_files()
        self.set_machine('q35')
        self.require_accelerator('tcg')
        self.require_device('igb')
        self.vm.add_args('-accel', 'tcg', '-m', '512M', '-smp', '2',
                         '-no-reboot',
                         '-kernel', kernel, '-initrd', initrd,
                         '-append', 'console=ttyS0 panic=-1 quiet '
                                    'igbtest=ethtool ' + kargs,
                         '-netdev', 'user,id=n0',
                         '-device', 'igb,netdev=n0' + device_opts)
        self.vm.set_console()
        self.vm.launch()

    def expect(self, check):
        # any failed check fails the test at once
        wait_for_console_pattern(self, f'IGBTEST PASS ethtool.{check} ',
                                 failure_message='IGBTEST FAIL')

    def done(self):
        wait_for_console_pattern(self, 'IGBTEST DONE ethtool rc=0',
                                 failure_message='IGBTEST FAIL')
        self.vm.wait()

    def test_igb(self):
        """MSI-X (the driver's default), then with two VFs enabled"""
        self.boot('igbvfs=2', ',max-vfs=2')
        self.expect('bind')
        self.expect('pf')
        self.expect('vfs')
        self.expect('pf_vfs')
        self.done()

    def test_igb_nomsi(self):
        """legacy INTx interrupts"""
        self.boot('pci=nomsi')
        self.expect('bind')
        self.expect('pf')
        self.done()


if __name__ == '__main__':
    QemuSystemTest.main()
