# SPDX-License-Identifier: GPL-2.0-or-later
# Entry points: QEMU 10.0 with our igb, its tests and the demo guest.
# Each target installs what it needs on first use (Debian 12, as root).

.PHONY: all qemu check check-quick check-libvirt check-dpdk docs demo run patches clean distclean
.PHONY: bench-device bench-guest fuzz check-asan soak

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

# guest-level benchmark: iperf3 TCP between a TCG Linux guest and the host
# over a TAP in a namespace of its own; ours (PF, VF), upstream's igb,
# e1000e, virtio-net; 2 and 1 vCPUs; appends to tests/bench/results/guest.txt.
# About 16 minutes; BENCH_ARGS=--quick: about 4.
bench-guest:
	scripts/igb/bench-guest.sh $(BENCH_ARGS)

# igb under libvirt 11 (installed from bookworm-backports; a private
# libvirtd): define, start, hot-plug, SR-IOV, shutdown; one guest boot
check-libvirt: qemu
	tests/libvirt/test-libvirt.sh

# DPDK 22.11 (Debian's testpmd, igb and igbvf PMDs) in two guest boots
# against an outside peer (tests/guest/dpdk-peer.py); about 3 minutes
check-dpdk: qemu
	tests/guest/test-dpdk.sh

# libFuzzer on igb (tests/qtest/fuzz/igb_fuzz.c): a clang-14 ASan/UBSan
# build of QEMU's fuzzer (~25 minutes the first time, cached), then
# FUZZ_ARGS (default: the igb-sriov target for 600 s); see igb.rst.
fuzz:
	scripts/igb/fuzz.sh build
	scripts/igb/fuzz.sh run $(FUZZ_ARGS)

# every igb/igbvf qtest against an ASan/LSan/UBSan QEMU (the fuzz build
# directory; builds it first if needed, ~35 minutes); about a minute after
check-asan:
	scripts/igb/check-asan.sh

# SOAK_MINUTES (default 30) of mixed PF/VF traffic in one guest, then
# driver reloads; QEMU's RSS must stay flat.  Not part of make check.
soak: qemu
	tests/guest/test-soak.sh

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
