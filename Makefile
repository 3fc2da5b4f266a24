# SPDX-License-Identifier: GPL-2.0-or-later
# Entry points: QEMU 10.0 with our igb, its tests and the demo guest.
# Each target installs what it needs on first use (Debian 12, as root).

.PHONY: all qemu check check-quick check-libvirt docs demo run patches clean distclean
.PHONY: bench-device

all: qemu

qemu:
	scripts/igb/build.sh qemu-system-x86_64

check:
	scripts/igb/check.sh

# everything but the Linux guest boots
check-quick:
	IGB_SKIP_GUEST=1 scripts/igb/check.sh

# device-level benchmark, ours against upstream's igb (built once, cached):
# callgrind instructions per frame and frames/s; appends to
# tests/bench/results/device.txt.  Not a test: it prints a table.
bench-device:
	scripts/igb/bench-device.sh

# igb under libvirt 11 (installed from bookworm-backports; a private
# libvirtd): define, start, hot-plug, SR-IOV, shutdown; one guest boot
check-libvirt: qemu
	tests/libvirt/test-libvirt.sh

# QEMU's HTML manual with our igb.rst (Sphinx, warnings are errors)
docs:
	@page=$$(scripts/igb/check-docs.sh) && echo "igb's page: $$page"

demo: qemu
	tests/guest/demo.sh

run: qemu
	tests/guest/demo.sh --interactive

# our graft as a git format-patch series for QEMU, checked: build/patches/
patches:
	scripts/igb/export-patches.sh

clean:
	rm -rf build

distclean: clean
	rm -rf $${IGB_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/igb-qemu}
