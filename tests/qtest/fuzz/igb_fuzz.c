/*
 * Fuzz targets for the 82576 (igb) and its virtual functions
 *
 * QEMU's generic fuzzer reaches a NIC only through what the guest does:
 * with "-netdev user" nothing arrives unless the guest sends first, so the
 * receive path is barely touched, and VF BARs that appear once SR-IOV is
 * enabled are never fuzzed.  These targets bring the device up the way a
 * driver would (BARs, bus mastering, and for igb-sriov seven VFs with
 * their BARs mapped), then read the input as a list of operations:
 * register accesses to the PF, the VFs and their MSI-X BARs, PCI config
 * writes, guest memory writes (descriptors and buffers), frames injected
 * from the network side (whole or in pieces), link changes, ring set-up
 * shortcuts, virtual clock steps, VM stop/continue, a save, reset and
 * load of the device's state (what loadvm does), and the PF unplugged and
 * a new one plugged in its place (realize and unrealize with VFs, timers
 * and bottom halves pending).
 * igb-vnet is igb-sriov on a TAP that takes virtio-net headers (in the
 * network namespace fuzz.sh gives it): the device then hands TSO frames
 * to the backend whole and takes GSO and partial-checksum frames from it,
 * which RX_VNET injects with a header from the input.
 * The machine is reset after every input.
 *
 * Input format: a sequence of records, each one opcode byte and that
 * operation's fixed-size operands (little-endian); RX_FRAME, RX_IOV,
 * RX_VNET and MEM_WRITE carry a length and that many bytes.  A truncated
 * last record is ignored.  The opcode byte 0xff is REPLUG; any other is
 * taken modulo the number of the other operations.
 *
 * Copyright (c) 2026 The igb model authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"

#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "fuzz.h"
#include "tests/qtest/libqtest.h"
#include "net/net.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-net.h"
#include "io/channel-buffer.h"
#include "hw/pci/pci_device.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "monitor/qdev.h"
#include "qemu/rcu.h"
#include "hw/sysbus.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "standard-headers/linux/pci_regs.h"

#define IGB_FUZZ_DEVFN      (4 << 3)
#define IGB_FUZZ_VFS        7
#define IGB_FUZZ_NETDEV     "igbfuzz0"
#define IGB_FUZZ_ID         "igbfuzz"
/* struct virtio_net_hdr: what igb asks a vnet-capable backend for */
#define VNET_HDR            10
#define IGB_FUZZ_SNAPSHOTS  4
#define IGB_FUZZ_REPLUGS    2

#define ECAM_BASE           0xb0000000ULL
#define Q35_PCIEXBAR        0x60
#define PF_BAR0             0xe0000000ULL   /* 128 KiB registers */
#define PF_BAR1             0xe0020000ULL   /* 128 KiB flash */
#define PF_BAR3             0xe0040000ULL   /* 16 KiB MSI-X */
#define PF_BAR2             0xc000          /* 32 bytes I/O */
#define VF_BAR0             0xe0100000ULL   /* 16 KiB per VF */
#define VF_BAR3             0xe0200000ULL   /* 16 KiB per VF */
#define VF_BAR_SIZE         0x4000

/* guest RAM the operations may write: rings and buffers */
#define DMA_BASE            0x100000ULL
#define DMA_SIZE            0x400000ULL
#define RING_BASE           DMA_BASE
#define RING_DESCS          32
#define BUF_BASE            (DMA_BASE + 0x100000)
#define BUF_SIZE            2048

#define MAX_FRAME           16384

typedef struct IgbFuzzInput {
    const uint8_t *p;
    size_t left;
} IgbFuzzInput;

static NetClientState *igb_fuzz_nc;
static PCIDevice *igb_fuzz_pf_dev;
static bool igb_fuzz_vnet;
static int igb_fuzz_sriov_cap;
static uint16_t igb_fuzz_vf_first, igb_fuzz_vf_stride;
/* next free TX descriptor of each PF queue (RING_SETUP resets it) */
static uint32_t igb_fuzz_tx_tail[16];

static const uint8_t *take(IgbFuzzInput *in, size_t n)
{
    const uint8_t *p = in->p;

    if (in->left < n) {
        in->left = 0;
        return NULL;
    }
    in->p += n;
    in->left -= n;
    return p;
}

static uint64_t ecam(int devfn, int off)
{
    return ECAM_BASE + ((uint64_t)devfn << 12) + off;
}

static int vf_devfn(int vf)
{
    return IGB_FUZZ_DEVFN + igb_fuzz_vf_first + vf * igb_fuzz_vf_stride;
}

static void igb_fuzz_bar(QTestState *s, int devfn, int bar, uint64_t addr)
{
    int off = PCI_BASE_ADDRESS_0 + 4 * bar;

    qtest_writel(s, ecam(devfn, off), (uint32_t)addr);
    if ((qtest_readl(s, ecam(devfn, off)) & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
        PCI_BASE_ADDRESS_MEM_TYPE_64) {
        qtest_writel(s, ecam(devfn, off + 4), addr >> 32);
    }
}

/* MCH PCIEXBAR: ECAM at ECAM_BASE, as firmware sets it */
static void igb_fuzz_ecam(QTestState *s)
{
    qtest_outl(s, 0xcf8, 0x80000000 | (Q35_PCIEXBAR + 4));
    qtest_outl(s, 0xcfc, 0);
    qtest_outl(s, 0xcf8, 0x80000000 | Q35_PCIEXBAR);
    qtest_outl(s, 0xcfc, (uint32_t)ECAM_BASE | 1);
}

/* What a driver does first: ECAM, BARs, memory/I/O/bus master, VFs. */
static void igb_fuzz_bring_up(QTestState *s, bool sriov)
{
    int cap = igb_fuzz_sriov_cap;

    igb_fuzz_ecam(s);
    igb_fuzz_bar(s, IGB_FUZZ_DEVFN, 0, PF_BAR0);
    igb_fuzz_bar(s, IGB_FUZZ_DEVFN, 1, PF_BAR1);
    qtest_writel(s, ecam(IGB_FUZZ_DEVFN, PCI_BASE_ADDRESS_2), PF_BAR2 | 1);
    igb_fuzz_bar(s, IGB_FUZZ_DEVFN, 3, PF_BAR3);
    qtest_writew(s, ecam(IGB_FUZZ_DEVFN, PCI_COMMAND),
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    /* MSI-X on, so that interrupts take the MSI-X path too */
    for (int off = qtest_readb(s, ecam(IGB_FUZZ_DEVFN, PCI_CAPABILITY_LIST));
         off; off = qtest_readb(s, ecam(IGB_FUZZ_DEVFN, off + 1))) {
        if (qtest_readb(s, ecam(IGB_FUZZ_DEVFN, off)) == PCI_CAP_ID_MSIX) {
            qtest_writew(s, ecam(IGB_FUZZ_DEVFN, off + PCI_MSIX_FLAGS),
                         PCI_MSIX_FLAGS_ENABLE);
            break;
        }
    }
    if (!sriov || !cap) {
        return;
    }
    qtest_writel(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_BAR),
                 (uint32_t)VF_BAR0);
    qtest_writel(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_BAR + 4),
                 VF_BAR0 >> 32);
    qtest_writel(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_BAR + 12),
                 (uint32_t)VF_BAR3);
    qtest_writel(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_BAR + 16),
                 VF_BAR3 >> 32);
    qtest_writew(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_NUM_VF),
                 IGB_FUZZ_VFS);
    qtest_writew(s, ecam(IGB_FUZZ_DEVFN, cap + PCI_SRIOV_CTRL),
                 PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
    for (int vf = 0; vf < IGB_FUZZ_VFS; vf++) {
        qtest_writew(s, ecam(vf_devfn(vf), PCI_COMMAND),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    }
}

/* Bring-up of one PF queue pair with RING_DESCS descriptors each. */
static void igb_fuzz_ring_setup(QTestState *s, uint8_t q, uint8_t flags)
{
    uint64_t rx = RING_BASE + q * 0x2000, tx = rx + 0x1000;
    uint64_t rbase = PF_BAR0 + 0xc000 + 0x40 * q;
    uint64_t tbase = PF_BAR0 + 0xe000 + 0x40 * q;

    for (int i = 0; i < RING_DESCS; i++) {
        uint64_t buf = BUF_BASE + ((q * RING_DESCS + i) % 1024) * BUF_SIZE;

        qtest_writeq(s, rx + 16 * i, buf);
        qtest_writeq(s, rx + 16 * i + 8, (flags & 1) ? buf + 1024 : 0);
    }
    qtest_writel(s, rbase + 0x00, (uint32_t)rx);
    qtest_writel(s, rbase + 0x04, 0);
    qtest_writel(s, rbase + 0x08, RING_DESCS * 16);
    /* 2 KiB buffers; descriptor type from the flags (legacy .. split) */
    qtest_writel(s, rbase + 0x0c, 2 | ((flags >> 1) & 7) << 25 |
                 4 << 8 | ((flags & 0x10) ? 1u << 31 : 0));
    qtest_writel(s, rbase + 0x28, 1u << 25);
    qtest_writel(s, rbase + 0x10, 0);
    qtest_writel(s, rbase + 0x18, RING_DESCS - 1);

    qtest_writel(s, tbase + 0x00, (uint32_t)tx);
    qtest_writel(s, tbase + 0x04, 0);
    qtest_writel(s, tbase + 0x08, RING_DESCS * 16);
    qtest_writel(s, tbase + 0x10, 0);
    qtest_writel(s, tbase + 0x18, 0);
    qtest_writel(s, tbase + 0x28, 1u << 25 | ((flags & 0x20) ? 1u << 16 : 0));
    igb_fuzz_tx_tail[q] = 0;

    /* receiver and transmitter on; flags choose promiscuity and loopback */
    qtest_writel(s, PF_BAR0 + 0x100, 1u << 1 | 1u << 15 | 1u << 26 |
                 ((flags & 0x40) ? 3u << 3 : 0) |
                 ((flags & 0x80) ? 1u << 6 : 0));
    qtest_writel(s, PF_BAR0 + 0x400, 1u << 1 | 1u << 3);
}

/* Put one 16-byte descriptor at a PF TX queue's tail and move the tail. */
static void igb_fuzz_tx_desc(QTestState *s, uint8_t q, const uint8_t *d)
{
    uint64_t tx = RING_BASE + q * 0x2000 + 0x1000;
    uint32_t t = igb_fuzz_tx_tail[q] % RING_DESCS;
    uint64_t buf = BUF_BASE + (t % 1024) * BUF_SIZE;

    uint32_t dw2 = ldl_le_p(d + 8);
    bool ctx = (dw2 & (1u << 29)) && ((dw2 >> 20) & 0xf) == 2;

    /*
     * A data descriptor's buffer is slot t's, at the offset given, unless
     * the address's top bit is set: then it is the fuzzer's, as is all of
     * a context descriptor.
     */
    if (!ctx && !(d[7] & 0x80)) {
        qtest_writeq(s, tx + 16 * t, buf + (ldl_le_p(d) & (BUF_SIZE - 1)));
    } else {
        qtest_memwrite(s, tx + 16 * t, d, 8);
    }
    qtest_memwrite(s, tx + 16 * t + 8, d + 8, 8);
    igb_fuzz_tx_tail[q] = (t + 1) % RING_DESCS;
    qtest_writel(s, PF_BAR0 + 0xe018 + 0x40 * q, igb_fuzz_tx_tail[q]);
}

static void igb_fuzz_access(QTestState *s, uint64_t addr, uint8_t size,
                            bool write, uint64_t val)
{
    switch (size & 3) {
    case 0:
        write ? qtest_writeb(s, addr, val) : (void)qtest_readb(s, addr);
        break;
    case 1:
        write ? qtest_writew(s, addr, val) : (void)qtest_readw(s, addr);
        break;
    case 2:
        write ? qtest_writel(s, addr, val) : (void)qtest_readl(s, addr);
        break;
    default:
        write ? qtest_writeq(s, addr, val) : (void)qtest_readq(s, addr);
        break;
    }
}

enum {
    OP_PF_REG,          /* u8 size/rw, u32 offset, u32 value */
    OP_VF_REG,          /* u8 size/rw, u8 vf, u16 offset, u32 value */
    OP_MSIX,            /* u8 size/rw, u8 function, u16 offset, u32 value */
    OP_IO,              /* u8 rw, u8 port, u32 value */
    OP_CONFIG,          /* u8 size/function, u16 offset, u32 value */
    OP_MEM_WRITE,       /* u32 address, u8 length, bytes */
    OP_RX_FRAME,        /* u16 length, bytes */
    OP_CLOCK,           /* u32 nanoseconds */
    OP_RING_SETUP,      /* u8 queue, u8 flags */
    OP_TX_DESC,         /* u8 queue, 16 bytes */
    OP_FLASH,           /* u8 size/rw, u32 offset, u32 value */
    OP_LINK,            /* u8 up: the netdev's link, as "set_link" does */
    OP_RX_IOV,          /* u16 length, u16 split, u16 split, bytes */
    OP_RUNSTATE,        /* u8 running: QMP stop / cont */
    OP_SNAPSHOT,        /* save, reset, load the PF and VFs (loadvm) */
    OP_RX_VNET,         /* u16 length, virtio_net_hdr, bytes */
    OP_COUNT,           /* the opcodes taken modulo this */
    /*
     * u8 flags (bit 0: bring the new PF up): only opcode byte 0xff, so
     * that replugs (about 10 ms each) stay rare, and the meaning of the
     * corpus made before it does not change (but for that byte)
     */
    OP_REPLUG = OP_COUNT,
    OP_ALL
};

/* fixed operand bytes of each operation */
static const uint8_t igb_fuzz_opsize[OP_ALL] = {
    [OP_PF_REG] = 9, [OP_VF_REG] = 8, [OP_MSIX] = 8, [OP_IO] = 6,
    [OP_CONFIG] = 7, [OP_MEM_WRITE] = 5, [OP_RX_FRAME] = 2, [OP_CLOCK] = 4,
    [OP_RING_SETUP] = 2, [OP_TX_DESC] = 17, [OP_FLASH] = 9,
    [OP_LINK] = 1, [OP_RX_IOV] = 6, [OP_RUNSTATE] = 1, [OP_SNAPSHOT] = 0,
    [OP_RX_VNET] = 2 + VNET_HDR, [OP_REPLUG] = 1,
};

/* Frame bytes from the input; a short input is padded with zeroes. */
static size_t igb_fuzz_frame(IgbFuzzInput *in, uint8_t *frame, uint16_t len)
{
    size_t n = len % MAX_FRAME;
    const uint8_t *d = take(in, MIN(n, in->left));

    memset(frame, 0, n);
    memcpy(frame, d, MIN(n, (size_t)(in->p - d)));
    return n;
}

/*
 * Hand a frame to the device as the netdev does.  On a vnet TAP every
 * frame starts with a virtio_net_hdr: hdr, or an empty one.
 */
static void igb_fuzz_send(const uint8_t *hdr, struct iovec *iov, int cnt)
{
    static const uint8_t none[VNET_HDR];
    struct iovec v[4];

    assert(cnt < ARRAY_SIZE(v));
    if (!igb_fuzz_vnet) {
        qemu_sendv_packet(igb_fuzz_nc, iov, cnt);
        return;
    }
    v[0] = (struct iovec){ (void *)(hdr ? hdr : none), VNET_HDR };
    memcpy(v + 1, iov, cnt * sizeof(*iov));
    qemu_sendv_packet(igb_fuzz_nc, v, cnt + 1);
}

static void igb_fuzz_runstate(bool run)
{
    if (run && !runstate_is_running()) {
        vm_start();
    } else if (!run && runstate_is_running()) {
        vm_stop(RUN_STATE_PAUSED);
    }
}

/*
 * What loadvm does to the device: its state saved with the VM stopped,
 * the machine reset, the state loaded back, the VM continued if it ran.
 * In a migration stream the PF comes before its VFs (its post_load
 * enables them, which resets them; then theirs restores them); all
 * TotalVFs are there.  Only our devices are saved: a state of another
 * device that does not load is not ours to report.  The chipset is not
 * restored, so ECAM is turned on again as before.  A state the device
 * saved that does not load is a finding.  The PCI bus is not restored
 * either, while a loadvm restores its INTx counts (and the interrupt
 * controllers) along with the devices' INTx state: the harness raises
 * again, after the reset, each of our INTx lines the bus counted
 * (campaign 11: without that, a PF loaded with INTx asserted left the
 * count off by one, and the next reset asserted).  At most
 * IGB_FUZZ_SNAPSHOTS per input: each costs about a millisecond and takes
 * one input byte.
 */
static void igb_fuzz_snapshot(QTestState *s)
{
    PCIDevice *pf = igb_fuzz_pf_dev;
    int total = pci_get_word(pf->config + pf->exp.sriov_cap +
                             PCI_SRIOV_TOTAL_VF);
    g_autofree PCIDevice **dev = g_new(PCIDevice *, total + 1);
    g_autofree bool *intx = g_new0(bool, total + 1);
    QIOChannelBuffer *bioc = qio_channel_buffer_new(64 * 1024);
    bool running = runstate_is_running();
    QEMUFile *out, *in;
    int n = 0;

    dev[n++] = pf;
    for (int i = 0; i < total; i++) {
        g_assert(pf->exp.sriov_pf.vf[i]);
        dev[n++] = pf->exp.sriov_pf.vf[i];
    }

    igb_fuzz_runstate(false);
    for (int i = 0; i < n; i++) {
        intx[i] = dev[i]->irq_state &&
                  !(pci_get_word(dev[i]->config + PCI_COMMAND) &
                    PCI_COMMAND_INTX_DISABLE);
    }
    out = qemu_file_new_output(QIO_CHANNEL(bioc));
    for (int i = 0; i < n; i++) {
        if (vmstate_save_state(out, DEVICE_GET_CLASS(dev[i])->vmsd, dev[i],
                               NULL) < 0) {
            abort();
        }
    }
    /* the end of a stream, which the subsection reader peeks at */
    qemu_put_byte(out, 0);
    if (qemu_fflush(out) < 0) {
        abort();
    }
    qemu_system_reset(SHUTDOWN_CAUSE_SNAPSHOT_LOAD);
    for (int i = 0; i < n; i++) {
        if (intx[i]) {
            pci_set_irq(dev[i], 1);
        }
    }
    bioc->offset = 0;
    in = qemu_file_new_input(QIO_CHANNEL(bioc));
    for (int i = 0; i < n; i++) {
        const VMStateDescription *vmsd = DEVICE_GET_CLASS(dev[i])->vmsd;

        if (vmstate_load_state(in, vmsd, dev[i], vmsd->version_id) < 0) {
            abort();
        }
    }
    /* closing either closes (frees) the buffer: the output last */
    qemu_fclose(in);
    qemu_fclose(out);
    object_unref(OBJECT(bioc));
    igb_fuzz_ecam(s);
    igb_fuzz_runstate(running);
}

/*
 * What the slot's hotplug controller does when the guest lets the PF go,
 * then device_add of a new one in the same slot on the same netdev.  The
 * PF sits on pcie.0, whose slots q35 does not hotplug (device_add refuses
 * it, and ACPI's pre-plug check refuses the new PF's VFs): the harness
 * unrealizes the PF itself, and realizes the new one as device_add does
 * (reset included) with the bus's ACPI hotplug handler set aside.
 * Whatever the old PF had going (VFs, DMA in flight, timers, bottom
 * halves, frames queued by the netdev) must go with it; the RCU callbacks
 * are drained so that it is freed before the next operation.
 */
static void igb_fuzz_replug(QTestState *s, bool up, bool sriov)
{
    BusState *bus = BUS(pci_get_bus(igb_fuzz_pf_dev));
    Object *acpi = OBJECT(bus->hotplug_handler);
    DeviceState *dev;

    object_unparent(OBJECT(igb_fuzz_pf_dev));
    igb_fuzz_pf_dev = NULL;
    drain_call_rcu();

    dev = qdev_new("igb");
    qdev_set_id(dev, g_strdup(IGB_FUZZ_ID), &error_abort);
    qdev_prop_set_int32(dev, "addr", IGB_FUZZ_DEVFN);
    qdev_prop_set_string(dev, "romfile", "");
    qdev_prop_set_netdev(dev, "netdev", igb_fuzz_nc);
    qbus_set_hotplug_handler(bus, NULL);
    qdev_realize(dev, bus, &error_abort);
    qbus_set_hotplug_handler(bus, acpi);
    object_unref(OBJECT(dev));
    igb_fuzz_pf_dev = PCI_DEVICE(dev);
    if (up) {
        igb_fuzz_bring_up(s, sriov);
    }
}

static void igb_fuzz_one(QTestState *s, IgbFuzzInput *in, bool sriov)
{
    int snapshots = 0, replugs = 0;
    static uint8_t frame[MAX_FRAME];
    static uint8_t gso[UINT16_MAX + 1];

    while (in->left) {
        uint8_t code = *take(in, 1);
        uint8_t op = code == 0xff ? OP_REPLUG : code % OP_COUNT;
        const uint8_t *a = take(in, igb_fuzz_opsize[op]);
        const uint8_t *d;
        uint64_t base;
        size_t len;
        int fn;

        if (!a) {
            break;
        }
        switch (op) {
        case OP_PF_REG:
            igb_fuzz_access(s, PF_BAR0 + (ldl_le_p(a + 1) & 0x1ffff),
                            a[0], a[0] & 4, ldl_le_p(a + 5));
            break;
        case OP_VF_REG:
            if (sriov) {
                igb_fuzz_access(s, VF_BAR0 + (a[1] % IGB_FUZZ_VFS) *
                                VF_BAR_SIZE + (lduw_le_p(a + 2) & 0x3fff),
                                a[0], a[0] & 4, ldl_le_p(a + 4));
            }
            break;
        case OP_MSIX:
            fn = sriov ? a[1] % (IGB_FUZZ_VFS + 1) : 0;
            base = fn ? VF_BAR3 + (fn - 1) * VF_BAR_SIZE : PF_BAR3;
            igb_fuzz_access(s, base + (lduw_le_p(a + 2) & 0x3fff),
                            a[0], a[0] & 4, ldl_le_p(a + 4));
            break;
        case OP_IO:
            if (a[0] & 1) {
                qtest_outl(s, PF_BAR2 + (a[1] & 0x1c), ldl_le_p(a + 2));
            } else {
                qtest_inl(s, PF_BAR2 + (a[1] & 0x1c));
            }
            break;
        case OP_CONFIG:
            fn = sriov ? (a[0] >> 2) % (IGB_FUZZ_VFS + 1) : 0;
            igb_fuzz_access(s, ecam(fn ? vf_devfn(fn - 1) : IGB_FUZZ_DEVFN,
                                    lduw_le_p(a + 1) & 0xfff),
                            a[0], true, ldl_le_p(a + 3));
            break;
        case OP_MEM_WRITE:
            d = take(in, a[4]);
            if (d) {
                qtest_memwrite(s, DMA_BASE + ldl_le_p(a) % (DMA_SIZE - 256),
                               d, a[4]);
            }
            break;
        case OP_RX_FRAME:
            len = igb_fuzz_frame(in, frame, lduw_le_p(a));
            if (igb_fuzz_vnet) {
                igb_fuzz_send(NULL, &(struct iovec){ frame, len }, 1);
            } else {
                qemu_send_packet(igb_fuzz_nc, frame, len);
            }
            break;
        case OP_RX_VNET:
            /* up to 64 KiB: what a TAP with TSO offloads may hand over */
            len = lduw_le_p(a);
            d = take(in, MIN(len, in->left));
            memset(gso, 0, len);
            memcpy(gso, d, in->p - d);
            igb_fuzz_send(a + 2, &(struct iovec){ gso, len }, 1);
            break;
        case OP_RUNSTATE:
            igb_fuzz_runstate(a[0] & 1);
            break;
        case OP_SNAPSHOT:
            if (snapshots++ < IGB_FUZZ_SNAPSHOTS) {
                igb_fuzz_snapshot(s);
            }
            break;
        case OP_REPLUG:
            if (replugs++ < IGB_FUZZ_REPLUGS) {
                igb_fuzz_replug(s, a[0] & 1, sriov);
            }
            break;
        case OP_RX_IOV: {
            /* the same frame in three pieces, as a backend may hand it */
            struct iovec iov[3];
            size_t c1, c2;

            len = igb_fuzz_frame(in, frame, lduw_le_p(a));
            c1 = len ? lduw_le_p(a + 2) % (len + 1) : 0;
            c2 = c1 + (len - c1 ? lduw_le_p(a + 4) % (len - c1 + 1) : 0);
            iov[0] = (struct iovec){ frame, c1 };
            iov[1] = (struct iovec){ frame + c1, c2 - c1 };
            iov[2] = (struct iovec){ frame + c2, len - c2 };
            igb_fuzz_send(NULL, iov, 3);
            break;
        }
        case OP_LINK:
            qmp_set_link(IGB_FUZZ_NETDEV, a[0] & 1, &error_abort);
            break;
        case OP_CLOCK:
            /* as qtest's clock_step, minus its failure when time stands */
            qemu_clock_advance_virtual_time(
                qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                1 + ldl_le_p(a) % (100 * 1000 * 1000));
            break;
        case OP_RING_SETUP:
            igb_fuzz_ring_setup(s, a[0] % 16, a[1]);
            break;
        case OP_TX_DESC:
            igb_fuzz_tx_desc(s, a[0] % 16, a + 1);
            break;
        case OP_FLASH:
            igb_fuzz_access(s, PF_BAR1 + (ldl_le_p(a + 1) & 0x1ffff),
                            a[0], a[0] & 4, ldl_le_p(a + 5));
            break;
        }
        flush_events(s);
    }
}

static void igb_fuzz_run(QTestState *s, const unsigned char *data,
                         size_t size, bool sriov)
{
    IgbFuzzInput in = { .p = data, .left = size };

    igb_fuzz_bring_up(s, sriov);
    igb_fuzz_one(s, &in, sriov);
    igb_fuzz_runstate(true);
    /* frames the device could not take must not reach the next input */
    qemu_purge_queued_packets(igb_fuzz_nc);
    qmp_set_link(IGB_FUZZ_NETDEV, true, &error_abort);
    fuzz_reset(s);
}

static void igb_fuzz_pf(QTestState *s, const unsigned char *data,
                        size_t size)
{
    igb_fuzz_run(s, data, size, false);
}

static void igb_fuzz_sriov(QTestState *s, const unsigned char *data,
                           size_t size)
{
    igb_fuzz_run(s, data, size, true);
}

static void igb_fuzz_pre(QTestState *s)
{
    igb_fuzz_nc = qemu_find_netdev(IGB_FUZZ_NETDEV);
    g_assert(igb_fuzz_nc);
    igb_fuzz_vnet = qemu_has_vnet_hdr(igb_fuzz_nc);
    igb_fuzz_pf_dev = PCI_DEVICE(qdev_find_recursive(sysbus_get_default(),
                                                     IGB_FUZZ_ID));

    igb_fuzz_bring_up(s, false);
    for (int off = PCI_CFG_SPACE_SIZE, n = 0; off && n < 64; n++) {
        uint32_t hdr = qtest_readl(s, ecam(IGB_FUZZ_DEVFN, off));

        if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_SRIOV) {
            igb_fuzz_sriov_cap = off;
            break;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    g_assert(igb_fuzz_sriov_cap);
    igb_fuzz_vf_first = qtest_readw(s, ecam(IGB_FUZZ_DEVFN,
                                    igb_fuzz_sriov_cap + PCI_SRIOV_VF_OFFSET));
    igb_fuzz_vf_stride = qtest_readw(s, ecam(IGB_FUZZ_DEVFN,
                                     igb_fuzz_sriov_cap + PCI_SRIOV_VF_STRIDE));
    g_assert(vf_devfn(IGB_FUZZ_VFS - 1) <= 0xff);
    fuzz_reset(s);
}

static GString *igb_fuzz_cmdline(FuzzTarget *t)
{
    GString *cmd = g_string_new(t->name);

    g_string_append(cmd, " -machine q35,accel=qtest -display none"
                    " -nodefaults -m 32M");
    if (!strcmp(t->name, "igb-vnet")) {
        /* a TAP of its own, down: nothing arrives but what RX_* sends */
        g_string_append(cmd, " -netdev tap,id=" IGB_FUZZ_NETDEV
                        ",script=no,downscript=no,vnet_hdr=on");
    } else {
        g_string_append(cmd, " -netdev hubport,hubid=0,id=" IGB_FUZZ_NETDEV);
    }
    g_string_append(cmd, " -device igb,id=" IGB_FUZZ_ID
                    ",addr=04.0,romfile=,netdev=" IGB_FUZZ_NETDEV);
    /* e.g. QEMU_FUZZ_ARGS="-trace igb_rx_*" to see what an input does */
    if (getenv("QEMU_FUZZ_ARGS")) {
        g_string_append_printf(cmd, " %s", getenv("QEMU_FUZZ_ARGS"));
    }
    return cmd;
}

static void igb_fuzz_register(void)
{
    fuzz_add_target(&(FuzzTarget){
        .name = "igb-pf",
        .description = "igb PF: registers, rings, frames from the network",
        .get_init_cmdline = igb_fuzz_cmdline,
        .pre_fuzz = igb_fuzz_pre,
        .fuzz = igb_fuzz_pf,
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "igb-sriov",
        .description = "igb PF with 7 VFs enabled: PF and VF BARs, VMDq",
        .get_init_cmdline = igb_fuzz_cmdline,
        .pre_fuzz = igb_fuzz_pre,
        .fuzz = igb_fuzz_sriov,
    });
    fuzz_add_target(&(FuzzTarget){
        .name = "igb-vnet",
        .description = "igb-sriov on a TAP with virtio-net headers (needs "
                       "CAP_NET_ADMIN; fuzz.sh runs it in its own netns)",
        .get_init_cmdline = igb_fuzz_cmdline,
        .pre_fuzz = igb_fuzz_pre,
        .fuzz = igb_fuzz_sriov,
    });
}

fuzz_target_init(igb_fuzz_register);
