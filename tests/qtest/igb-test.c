/*
 * QTest cases for the Intel 82576 ("igb") Gigabit Ethernet controller
 *
 * The device's netdev is one end of a stream socketpair, so every frame
 * the device transmits can be read here (4 byte big-endian length, then
 * the frame) and every frame written here reaches the device's receiver.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qemu/module.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "qemu/bitops.h"
#include "libqos/qgraph.h"
#include "libqos/pci.h"
#include "libqos/libqos-malloc.h"
#include "libqos/igb.h"
#include "hw/pci/pci_regs.h"

#ifndef _WIN32
#include <poll.h>
#include <sys/ioctl.h>
#ifdef CONFIG_LINUX
#include <linux/sockios.h>
#endif
#endif

#define FRAME_HDR_LEN       14
#define TEST_ETHERTYPE      0x88b5      /* IEEE local experimental */
#define SOCK_TIMEOUT_MS     5000
#define MAX_FRAME           (512 * 1024)

/* An address well outside guest RAM (and outside any device) */
#define BAD_DMA_ADDR        0xfffffffff000ULL

static const uint8_t igb_mac[6] = { 0x52, 0x54, 0x00, 0xa1, 0xb2, 0xc3 };

/* Per test environment: the socketpair, sv[0] is ours */
typedef struct IgbEnv {
    int sv[2];
} IgbEnv;

/* ------------------------------------------------------------------ */
/* Frames and the socket backend */

#ifndef _WIN32

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };

static void make_frame(uint8_t *buf, size_t len, const uint8_t *dst,
                       unsigned seed)
{
    size_t i;

    g_assert(len >= FRAME_HDR_LEN);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, igb_mac, 6);
    buf[12] = TEST_ETHERTYPE >> 8;
    buf[13] = TEST_ETHERTYPE & 0xff;
    for (i = FRAME_HDR_LEN; i < len; i++) {
        buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
    }
}

static void sock_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = send(fd, p, len, 0);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        len -= n;
    }
}

static void sock_send_frame(int fd, const void *buf, size_t len)
{
    uint32_t be = htonl(len);

    sock_write_all(fd, &be, sizeof(be));
    sock_write_all(fd, buf, len);
}

static bool sock_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
    uint8_t *p = buf;

    while (len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;
        int r = poll(&pfd, 1, timeout_ms);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        n = recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= n;
    }
    return true;
}

/*
 * Read one frame: returns its length (only the first @max bytes are
 * stored), or -1 if nothing arrives within @timeout_ms.
 */
static ssize_t sock_recv_frame(int fd, void *buf, size_t max, int timeout_ms)
{
    g_autofree uint8_t *tmp = NULL;
    uint32_t be;
    size_t len;

    if (!sock_read_exact(fd, &be, sizeof(be), timeout_ms)) {
        return -1;
    }
    len = ntohl(be);
    g_assert_cmpuint(len, <=, MAX_FRAME);
    tmp = g_malloc(len + 1);
    g_assert_true(sock_read_exact(fd, tmp, len, SOCK_TIMEOUT_MS));
    memcpy(buf, tmp, MIN(len, max));
    return len;
}

/* Expect exactly @frame on the wire */
static void sock_expect_frame(int fd, const uint8_t *frame, size_t len)
{
    g_autofree uint8_t *got = g_malloc(MAX_FRAME);
    ssize_t n = sock_recv_frame(fd, got, MAX_FRAME, SOCK_TIMEOUT_MS);

    if (n >= 0 && n != len) {
        g_autofree char *h = g_strnfill(0, 0);
        size_t i;

        for (i = 0; i < MIN(n, 32); i++) {
            g_autofree char *o = h;

            h = g_strdup_printf("%s %02x", o, got[i]);
        }
        g_test_message("got %zd bytes instead of %zu:%s", n, len, h);
    }
    g_assert_cmpint(n, ==, len);
    g_assert_cmpmem(got, len, frame, len);
}

/* Throw away whatever the device sent */
static void sock_drain(int fd)
{
    g_autofree uint8_t *buf = g_malloc(MAX_FRAME);

    while (sock_recv_frame(fd, buf, MAX_FRAME, 100) >= 0) {
        /* nothing */
    }
}

/* Has QEMU read everything we wrote into the socket? */
static bool sock_consumed(QIgb *d, void *opaque)
{
#ifdef SIOCOUTQ
    int *fd = opaque;
    int pending = 0;

    if (ioctl(*fd, SIOCOUTQ, &pending) == 0) {
        return pending == 0;
    }
#endif
    return true;
}

#endif /* _WIN32 */

/* ------------------------------------------------------------------ */
/* Device helpers local to the tests */

/* The device answers a register read with sane data: it is alive */
static void assert_alive(QIgb *d)
{
    g_assert_cmphex(qigb_rd(d, IGB_STATUS) & IGB_STATUS_LU, ==,
                    IGB_STATUS_LU);
}

static bool link_up(QIgb *d, void *opaque)
{
    return qigb_rd(d, IGB_STATUS) & IGB_STATUS_LU;
}

/* What a driver does first: reset, set link up, forget old causes */
static void igb_init(QIgb *d)
{
    qigb_reset(d);
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_SLU);
    g_assert_true(qigb_wait_for(d, link_up, NULL));
    qigb_wr(d, IGB_IMC, 0xffffffff);
    qigb_rd(d, IGB_ICR);
    qigb_wr(d, IGB_ICR, 0xffffffff);
}

/* Let the device work for a while (virtual time moves on) */
static void settle(QIgb *d, int ticks)
{
    while (ticks--) {
        qigb_tick(d);
    }
}

static uint32_t pci_bar_probe(QPCIDevice *pdev, int bar, uint32_t *size)
{
    uint8_t off = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint32_t orig = qpci_config_readl(pdev, off);
    uint32_t mask;

    qpci_config_writel(pdev, off, 0xffffffff);
    mask = qpci_config_readl(pdev, off);
    qpci_config_writel(pdev, off, orig);
    if (orig & PCI_BASE_ADDRESS_SPACE_IO) {
        mask &= PCI_BASE_ADDRESS_IO_MASK;
    } else {
        mask &= PCI_BASE_ADDRESS_MEM_MASK;
    }
    *size = mask ? (~mask + 1) : 0;
    return orig;
}

/* ------------------------------------------------------------------ */
/* PCI identity and resources */

static void test_pci_config(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    QPCIDevice *pdev = &d->pdev;
    uint32_t bar, size;
    uint8_t msix;
    uint16_t msix_flags;

    g_assert_cmphex(qpci_config_readw(pdev, PCI_VENDOR_ID), ==,
                    QIGB_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_DEVICE_ID), ==,
                    QIGB_DEVICE_ID);
    g_assert_cmphex(qpci_config_readb(pdev, PCI_REVISION_ID), ==, 1);
    g_assert_cmphex(qpci_config_readl(pdev, PCI_CLASS_REVISION) >> 8, ==,
                    0x020000);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_SUBSYSTEM_ID), !=, 0);
    g_assert_cmphex(qpci_config_readw(pdev, PCI_SUBSYSTEM_VENDOR_ID), !=, 0);
    g_assert_cmphex(qpci_config_readb(pdev, PCI_INTERRUPT_PIN), ==, 1);

    /* BAR0: 128 KiB of 32-bit memory */
    bar = pci_bar_probe(pdev, 0, &size);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK, ==,
                    PCI_BASE_ADDRESS_MEM_TYPE_32);
    g_assert_cmphex(size, ==, 128 * KiB);

    /* BAR1: flash, memory */
    bar = pci_bar_probe(pdev, 1, &size);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(size, !=, 0);

    /* BAR2: 32 bytes of I/O */
    bar = pci_bar_probe(pdev, 2, &size);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_IO);
    g_assert_cmphex(size, ==, 32);

    /* BAR3: MSI-X table and PBA, 16 KiB of memory */
    bar = pci_bar_probe(pdev, 3, &size);
    g_assert_cmphex(bar & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(size, ==, 16 * KiB);

    /* Capabilities */
    g_assert_cmphex(qpci_config_readw(pdev, PCI_STATUS) & PCI_STATUS_CAP_LIST,
                    ==, PCI_STATUS_CAP_LIST);
    g_assert_cmphex(qpci_find_capability(pdev, PCI_CAP_ID_PM, 0), !=, 0);
    g_assert_cmphex(qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0), !=, 0);
    g_assert_cmphex(qpci_find_capability(pdev, PCI_CAP_ID_EXP, 0), !=, 0);
    msix = qpci_find_capability(pdev, PCI_CAP_ID_MSIX, 0);
    g_assert_cmphex(msix, !=, 0);

    /* MSI-X table and PBA both live in BAR3 */
    g_assert_cmphex(qpci_config_readl(pdev, msix + PCI_MSIX_TABLE) &
                    PCI_MSIX_TABLE_BIR, ==, 3);
    g_assert_cmphex(qpci_config_readl(pdev, msix + PCI_MSIX_PBA) &
                    PCI_MSIX_PBA_BIR, ==, 3);
    msix_flags = qpci_config_readw(pdev, msix + PCI_MSIX_FLAGS);
    g_assert_cmpuint((msix_flags & PCI_MSIX_FLAGS_QSIZE) + 1, >=, 10);

    /* The device must still work after the BAR probing above */
    assert_alive(d);
}

/*
 * The extended capabilities need PCIe config space, so this one runs
 * on q35 with ECAM enabled by hand (the firmware would normally do it).
 */
#define Q35_ECAM_BASE       0xb0000000ULL
#define Q35_PCIEXBAR        0x60
#define IGB_Q35_DEVFN       QPCI_DEVFN(4, 0)

static uint64_t ecam_addr(int devfn, int off)
{
    return Q35_ECAM_BASE + ((uint64_t)devfn << 12) + off;
}

static uint32_t ecam_rdl(QTestState *qts, int devfn, int off)
{
    return qtest_readl(qts, ecam_addr(devfn, off));
}

static uint16_t ecam_rdw(QTestState *qts, int devfn, int off)
{
    return qtest_readw(qts, ecam_addr(devfn, off));
}

static void test_pcie_extcaps(void)
{
    QTestState *qts;
    int off, n, aer = 0, ari = 0, sriov = 0;
    uint16_t vf_off;

    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        return;
    }
    qts = qtest_initf("-M q35 -netdev hubport,hubid=0,id=hs0 "
                      "-device igb,netdev=hs0,addr=04.0,mac=" QIGB_MAC_STR);

    /* MCH PCIEXBAR (bus 0, device 0): base 0xb0000000, 256 MiB, enable */
    qtest_outl(qts, 0xcf8, 0x80000000 | (Q35_PCIEXBAR + 4));
    qtest_outl(qts, 0xcfc, 0);
    qtest_outl(qts, 0xcf8, 0x80000000 | Q35_PCIEXBAR);
    qtest_outl(qts, 0xcfc, (uint32_t)Q35_ECAM_BASE | 1);

    g_assert_cmphex(ecam_rdw(qts, IGB_Q35_DEVFN, PCI_VENDOR_ID), ==,
                    QIGB_VENDOR_ID);
    g_assert_cmphex(ecam_rdw(qts, IGB_Q35_DEVFN, PCI_DEVICE_ID), ==,
                    QIGB_DEVICE_ID);

    for (off = PCI_CFG_SPACE_SIZE, n = 0; off && n < 64; n++) {
        uint32_t hdr = ecam_rdl(qts, IGB_Q35_DEVFN, off);

        g_assert_cmphex(hdr, !=, 0xffffffff);
        switch (PCI_EXT_CAP_ID(hdr)) {
        case PCI_EXT_CAP_ID_ERR:
            aer = off;
            break;
        case PCI_EXT_CAP_ID_ARI:
            ari = off;
            break;
        case PCI_EXT_CAP_ID_SRIOV:
            sriov = off;
            break;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
        g_assert(off == 0 || off >= PCI_CFG_SPACE_SIZE);
    }
    g_assert_cmpint(aer, !=, 0);
    g_assert_cmpint(ari, !=, 0);
    g_assert_cmpint(sriov, !=, 0);

    g_assert_cmpuint(ecam_rdw(qts, IGB_Q35_DEVFN,
                              sriov + PCI_SRIOV_TOTAL_VF), ==, 8);
    g_assert_cmpuint(ecam_rdw(qts, IGB_Q35_DEVFN,
                              sriov + PCI_SRIOV_VF_STRIDE), ==, 2);
    g_assert_cmphex(ecam_rdw(qts, IGB_Q35_DEVFN,
                             sriov + PCI_SRIOV_VF_DID), ==, QIGB_VF_DEVICE_ID);
    /*
     * The 82576 puts its first VF 0x180 routing IDs after the PF (on the
     * next bus).  QEMU can only place VFs on the PF's own bus, so accept
     * either that or an offset that keeps all eight VFs on this bus.
     */
    vf_off = ecam_rdw(qts, IGB_Q35_DEVFN, sriov + PCI_SRIOV_VF_OFFSET);
    g_test_message("First VF offset 0x%x", vf_off);
    g_assert_cmphex(vf_off, !=, 0);
    g_assert(vf_off == 0x180 || IGB_Q35_DEVFN + vf_off + 7 * 2 <= 0xff);

    /* No VF enabled after power-on */
    g_assert_cmpuint(ecam_rdw(qts, IGB_Q35_DEVFN,
                              sriov + PCI_SRIOV_NUM_VF), ==, 0);
    g_assert_cmphex(ecam_rdw(qts, IGB_Q35_DEVFN, sriov + PCI_SRIOV_CTRL) &
                    PCI_SRIOV_CTRL_VFE, ==, 0);

    /* Enable two VFs: the first shows up as a network controller */
    if (vf_off != 0x180) {
        int vf = IGB_Q35_DEVFN + vf_off;

        qtest_writew(qts, ecam_addr(IGB_Q35_DEVFN, sriov + PCI_SRIOV_NUM_VF),
                     2);
        qtest_writew(qts, ecam_addr(IGB_Q35_DEVFN, sriov + PCI_SRIOV_CTRL),
                     PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);
        g_assert_cmphex(ecam_rdl(qts, vf, PCI_CLASS_REVISION) >> 8, ==,
                        0x020000);
        g_assert_cmphex(ecam_rdl(qts, vf + 2, PCI_CLASS_REVISION) >> 8, ==,
                        0x020000);
        qtest_writew(qts, ecam_addr(IGB_Q35_DEVFN, sriov + PCI_SRIOV_CTRL),
                     0);
        qtest_writew(qts, ecam_addr(IGB_Q35_DEVFN, sriov + PCI_SRIOV_NUM_VF),
                     0);
        g_assert_cmphex(ecam_rdw(qts, vf, PCI_VENDOR_ID), ==, 0xffff);
    }

    /* The PF is still there and sane */
    g_assert_cmphex(ecam_rdw(qts, IGB_Q35_DEVFN, PCI_DEVICE_ID), ==,
                    QIGB_DEVICE_ID);
    qtest_quit(qts);
}

/* ------------------------------------------------------------------ */
/* Registers */

static void test_reset_values(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    uint32_t status, eecd, tctl, ral, rah;

    /* Dirty a few registers so the reset has something to undo */
    qigb_wr(d, IGB_IMS, IGB_INT_LSC | IGB_INT_RXT0);
    qigb_wr(d, IGB_RCTL, IGB_RCTL_UPE | IGB_RCTL_BAM);
    qigb_wr(d, IGB_TCTL, 0);
    qigb_wr(d, IGB_RAL(0), 0x12345678);
    qigb_wr(d, IGB_RAH(0), 0x9abc);
    g_assert_cmphex(qigb_rd(d, IGB_RAL(0)), ==, 0x12345678);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), !=, 0);

    qigb_reset(d);

    /* Link up (auto-negotiation may take a little virtual time) */
    g_assert_true(qigb_wait_for(d, link_up, NULL));
    status = qigb_rd(d, IGB_STATUS);
    g_assert_cmphex(status & IGB_STATUS_FD, ==, IGB_STATUS_FD);
    g_assert_cmphex(status & IGB_STATUS_SPEED_MASK, ==,
                    IGB_STATUS_SPEED_1000);

    eecd = qigb_rd(d, IGB_EECD);
    g_assert_cmphex(eecd & IGB_EECD_PRES, ==, IGB_EECD_PRES);
    g_assert_cmphex(eecd & IGB_EECD_AUTO_RD, ==, IGB_EECD_AUTO_RD);

    ral = igb_mac[0] | igb_mac[1] << 8 | igb_mac[2] << 16 |
          (uint32_t)igb_mac[3] << 24;
    rah = igb_mac[4] | igb_mac[5] << 8 | 0x80000000u;
    g_assert_cmphex(qigb_rd(d, IGB_RAL(0)), ==, ral);
    g_assert_cmphex(qigb_rd(d, IGB_RAH(0)), ==, rah);

    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_EIMS), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_RCTL), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_CTRL) & IGB_CTRL_RST, ==, 0);

    /* TCTL: transmitter off, pad short packets, collision threshold 15 */
    tctl = qigb_rd(d, IGB_TCTL);
    g_assert_cmphex(tctl & IGB_TCTL_EN, ==, 0);
    g_assert_cmphex(tctl & IGB_TCTL_PSP, ==, IGB_TCTL_PSP);
    g_assert_cmphex((tctl & IGB_TCTL_CT_MASK) >> IGB_TCTL_CT_SHIFT, ==, 0xf);

    /* Rings are empty */
    g_assert_cmphex(qigb_rd(d, IGB_RDH(0)), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_RDT(0)), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_TDH(0)), ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_TDT(0)), ==, 0);
}

static void test_io_bar(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;

    qigb_reset(d);

    /* Reads through IOADDR/IODATA see the same registers as BAR0 */
    g_assert_cmphex(qigb_io_rd(d, IGB_STATUS), ==, qigb_rd(d, IGB_STATUS));
    g_assert_cmphex(qigb_io_rd(d, IGB_RAL(0)), ==, qigb_rd(d, IGB_RAL(0)));
    /* IOADDR keeps the offset written into it */
    g_assert_cmphex(qpci_io_readl(&d->pdev, d->io, 0), ==, IGB_RAL(0));

    /* Writes through IODATA land in the register */
    qigb_io_wr(d, IGB_RDBAL(0), 0x12345680);
    g_assert_cmphex(qigb_rd(d, IGB_RDBAL(0)), ==, 0x12345680);
    qigb_wr(d, IGB_TDBAL(0), 0x0abcde00);
    g_assert_cmphex(qigb_io_rd(d, IGB_TDBAL(0)), ==, 0x0abcde00);
    qigb_io_wr(d, IGB_IMS, IGB_INT_LSC);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, IGB_INT_LSC);
    qigb_io_wr(d, IGB_IMC, IGB_INT_LSC);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, 0);
}

static void test_eeprom(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    uint16_t w, sum = 0;
    uint32_t i;
    static const uint32_t bad[] = { 0x3fff, 0x2000, 0x1001, 0x800 };

    qigb_reset(d);

    for (i = 0; i < 3; i++) {
        g_assert_true(qigb_eeprom_read(d, i, &w));
        g_assert_cmphex(w, ==, igb_mac[2 * i] | igb_mac[2 * i + 1] << 8);
    }
    for (i = 0; i < 0x40; i++) {
        g_assert_true(qigb_eeprom_read(d, i, &w));
        sum += w;
    }
    g_assert_cmphex(sum, ==, 0xbaba);

    /* Addresses past the end: no hang, no crash, EERD keeps working */
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        qigb_wr(d, IGB_EERD, bad[i] << IGB_EERD_ADDR_SHIFT | IGB_EERD_START);
        settle(d, 5);
        g_test_message("EERD for word 0x%x: %08x", bad[i],
                       qigb_rd(d, IGB_EERD));
        assert_alive(d);
    }
    g_assert_true(qigb_eeprom_read(d, 1, &w));
    g_assert_cmphex(w, ==, igb_mac[2] | igb_mac[3] << 8);
}

static bool phy_id_known(uint32_t id)
{
    /* The PHYs igb_init_phy_params_82575() accepts */
    static const uint32_t ids[] = {
        0x01410cc0, /* M88E1111_I */
        0x01410c90, /* M88E1112_E */
        0x01410dc0, /* I347AT4_E */
        0x02a80390, /* IGP03E1000_E */
        0x015403a0, /* I82580_I */
        0x015403b0, /* I350_I */
        0x01410c00, /* I210_I */
        0x01410ea0, /* M88E1543_E */
        0x01410dd0, /* M88E1512_E */
        0x03625d10, /* BCM54616_E */
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ids); i++) {
        if (ids[i] == (id & 0xfffffff0)) {
            return true;
        }
    }
    return false;
}

static void test_phy(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    uint16_t id1, id2, bmsr, adv, v;
    uint32_t mdic;

    qigb_reset(d);

    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_ID1, &id1));
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_ID2, &id2));
    g_test_message("PHY id %04x:%04x", id1, id2);
    g_assert_true(phy_id_known((uint32_t)id1 << 16 | id2));

    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_STATUS, &bmsr));
    g_assert_cmphex(bmsr & IGB_PHY_ST_LINK, ==, IGB_PHY_ST_LINK);
    g_assert_cmphex(bmsr & IGB_PHY_ST_ANEG_DONE, ==, IGB_PHY_ST_ANEG_DONE);

    /* Autoneg advertisement: toggle the pause bits and read them back */
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_AUTONEG_ADV, &adv));
    g_assert_true(qigb_phy_write(d, IGB_PHY_ADDR, IGB_PHY_AUTONEG_ADV,
                                 adv ^ 0x0c00));
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_AUTONEG_ADV, &v));
    g_assert_cmphex(v, ==, adv ^ 0x0c00);

    /* The MDIC data field carries what was written (REGADD echoed too) */
    g_assert_true(qigb_mdic(d, IGB_MDIC_OP_READ, IGB_PHY_ADDR,
                            IGB_PHY_AUTONEG_ADV, 0, &mdic));
    g_assert_cmphex((mdic >> IGB_MDIC_REG_SHIFT) & 0x1f, ==,
                    IGB_PHY_AUTONEG_ADV);

    /* Another PHY address: completes, flags an error, changes nothing */
    g_assert_true(qigb_mdic(d, IGB_MDIC_OP_READ, 2, IGB_PHY_ID1, 0, &mdic));
    g_test_message("MDIC for PHY 2 reads %08x", mdic);
    g_assert_cmphex(mdic & IGB_MDIC_ERROR, ==, IGB_MDIC_ERROR);
    g_assert_true(qigb_mdic(d, IGB_MDIC_OP_WRITE, 2, IGB_PHY_AUTONEG_ADV,
                            adv, &mdic));
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_AUTONEG_ADV, &v));
    g_assert_cmphex(v, ==, adv ^ 0x0c00);

    /* Odd requests: highest PHY address and register, reserved opcode */
    g_assert_true(qigb_mdic(d, IGB_MDIC_OP_READ, 31, 31, 0, &mdic));
    qigb_wr(d, IGB_MDIC, IGB_MDIC_OP_READ | IGB_MDIC_OP_WRITE |
            IGB_PHY_ADDR << IGB_MDIC_PHY_SHIFT);
    settle(d, 5);
    assert_alive(d);
    qigb_wr(d, IGB_MDIC, IGB_MDIC_OP_WRITE | 31 << IGB_MDIC_REG_SHIFT |
            IGB_PHY_ADDR << IGB_MDIC_PHY_SHIFT | 0xffff);
    settle(d, 5);
    assert_alive(d);

    /* And the PHY still answers */
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_ID1, &v));
    g_assert_cmphex(v, ==, id1);
}

static void test_intr_regs(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    uint32_t icr;

    igb_init(d);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, 0);

    /* IMS sets mask bits, IMC clears them */
    qigb_wr(d, IGB_IMS, IGB_INT_LSC | IGB_INT_RXT0);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, IGB_INT_LSC | IGB_INT_RXT0);
    qigb_wr(d, IGB_IMS, IGB_INT_TXDW);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==,
                    IGB_INT_LSC | IGB_INT_RXT0 | IGB_INT_TXDW);
    qigb_wr(d, IGB_IMC, IGB_INT_RXT0 | IGB_INT_TXDW);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, IGB_INT_LSC);

    /* ICS raises a cause; an enabled one asserts; reading ICR clears it */
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & IGB_INT_LSC, ==, IGB_INT_LSC);
    g_assert_cmphex(icr & IGB_INT_ASSERTED, ==, IGB_INT_ASSERTED);
    g_assert_cmphex(qigb_rd(d, IGB_ICR), ==, 0);

    /* A masked cause is latched in ICR without INT_ASSERTED */
    qigb_wr(d, IGB_IMC, 0xffffffff);
    qigb_wr(d, IGB_ICS, IGB_INT_RXT0);
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & IGB_INT_RXT0, ==, IGB_INT_RXT0);
    g_assert_cmphex(icr & IGB_INT_ASSERTED, ==, 0);
    qigb_wr(d, IGB_ICR, 0xffffffff);
    qigb_rd(d, IGB_ICR);

    /* IAM: reading ICR of an asserted interrupt auto-masks the IAM bits */
    qigb_wr(d, IGB_IMS, IGB_INT_LSC | IGB_INT_RXT0);
    qigb_wr(d, IGB_IAM, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & IGB_INT_LSC, ==, IGB_INT_LSC);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, IGB_INT_RXT0);

    /* With IAM cleared the mask survives the read */
    qigb_wr(d, IGB_IAM, 0);
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    qigb_rd(d, IGB_ICR);
    g_assert_cmphex(qigb_rd(d, IGB_IMS), ==, IGB_INT_LSC | IGB_INT_RXT0);
}

#ifndef _WIN32

/* ------------------------------------------------------------------ */
/* Transmit */

static void tx_one(QIgb *d, QIgbRing *r, int fd, size_t len, unsigned seed,
                   bool adv)
{
    g_autofree uint8_t *frame = g_malloc(len);
    uint32_t idx;

    make_frame(frame, len, bcast_mac, seed);
    idx = adv ? qigb_tx_adv(d, r, frame, len)
              : qigb_tx_legacy(d, r, frame, len);
    sock_expect_frame(fd, frame, len);
    g_assert_true(qigb_tx_wait_dd(d, r, idx));
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(r->queue)), ==, r->tail);
}

static void test_tx_legacy(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[300];
    uint32_t dw[4], i0, i1;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);

    tx_one(d, &r, env->sv[0], 100, 1, false);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 1);
    tx_one(d, &r, env->sv[0], 1514, 2, false);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 2);

    /* One frame from two buffers: EOP only on the second descriptor */
    make_frame(frame, sizeof(frame), bcast_mac, 3);
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], frame, 120);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 120 | IGB_TXD_CMD_IFCS;
    dw[3] = 0;
    i0 = qigb_tx_put_desc(d, &r, dw);
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], frame + 120, 180);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 180 | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS;
    i1 = qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &r, i1));
    g_assert_cmpuint(i1, ==, i0 + 1);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 4);

    /* Nothing else came out */
    g_assert_cmpint(sock_recv_frame(env->sv[0], frame, sizeof(frame), 100),
                    ==, -1);
    qigb_ring_free(d, &r);
}

static void test_tx_adv(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[1000];
    uint32_t dw[4], last;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 2048, true);
    qigb_tx_start(d, &r);

    tx_one(d, &r, env->sv[0], 60, 10, true);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 2);
    tx_one(d, &r, env->sv[0], 1514, 11, true);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 4);

    /* Three data descriptors, PAYLEN in the first, EOP in the last */
    make_frame(frame, sizeof(frame), other_mac, 12);
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], frame, 400);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 400 | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT | IGB_TXD_CMD_IFCS;
    dw[3] = sizeof(frame) << IGB_ADVTXD_PAYLEN_SHIFT;
    qigb_tx_put_desc(d, &r, dw);
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], frame + 400, 100);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 100 | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT | IGB_TXD_CMD_IFCS;
    dw[3] = 0;
    qigb_tx_put_desc(d, &r, dw);
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], frame + 500, 500);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 500 | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT | IGB_TXD_CMD_IFCS |
            IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS;
    last = qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &r, last));
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 7);

    /* Legacy and advanced descriptors can share a ring */
    tx_one(d, &r, env->sv[0], 200, 13, false);
    tx_one(d, &r, env->sv[0], 201, 14, true);
    g_assert_cmpint(sock_recv_frame(env->sv[0], frame, sizeof(frame), 100),
                    ==, -1);
    qigb_ring_free(d, &r);
}

static void test_tx_disabled(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[100];

    /* TCTL.EN clear: the frame must not go out until it is set */
    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_wr(d, IGB_TXDCTL(0), qigb_rd(d, IGB_TXDCTL(0)) | IGB_QUEUE_ENABLE);
    qigb_wr(d, IGB_TCTL, qigb_rd(d, IGB_TCTL) & ~IGB_TCTL_EN);
    make_frame(frame, sizeof(frame), bcast_mac, 20);
    qigb_tx_legacy(d, &r, frame, sizeof(frame));
    settle(d, 10);
    g_assert_cmpint(sock_recv_frame(env->sv[0], frame, sizeof(frame), 100),
                    ==, -1);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 0);

    qigb_tx_start(d, &r);
    /* Some devices only look at the ring on a tail write */
    qigb_tx_kick(d, &r);
    make_frame(frame, sizeof(frame), bcast_mac, 20);
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &r, 0));
    qigb_ring_free(d, &r);
}

/* Checksum offload and segmentation */

#define IP_OFF              FRAME_HDR_LEN
#define L4_OFF              (FRAME_HDR_LEN + 20)
#define IGB_TXD_CMD_IC      (1u << 26)          /* legacy: insert checksum */
#define IGB_ADVTXD_TSE      (1u << 31)
#define IGB_POPTS_IXSM      (1u << 8)
#define IGB_POPTS_TXSM      (1u << 9)
#define IGB_TUCMD_L4T_TCP   (1u << 11)

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* Pseudo header sum (addresses, protocol, optional length) */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint32_t len)
{
    return csum_add(0, ip + 12, 8) + proto + len;
}

/* IPv4 header + L4 header (UDP 8 or TCP 20 bytes) + payload pattern */
static size_t make_ipv4(uint8_t *f, uint8_t proto, size_t payload,
                        unsigned seed)
{
    size_t l4len = proto == 6 ? 20 : 8;
    size_t len = L4_OFF + l4len + payload;
    uint8_t *ip = f + IP_OFF, *l4 = f + L4_OFF;

    make_frame(f, len, bcast_mac, seed);
    f[12] = 0x08;
    f[13] = 0x00;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    stw_be_p(ip + 2, 20 + l4len + payload);
    stw_be_p(ip + 4, 0x1234);
    ip[8] = 64;
    ip[9] = proto;
    stl_be_p(ip + 12, 0x0a000001);
    stl_be_p(ip + 16, 0x0a000002);
    memset(l4, 0, l4len);
    stw_be_p(l4, 1234);
    stw_be_p(l4 + 2, 5678);
    if (proto == 6) {
        stl_be_p(l4 + 4, 1000);             /* seq */
        l4[12] = 5 << 4;                    /* data offset */
        l4[13] = 0x18;                      /* PSH | ACK */
        stw_be_p(l4 + 14, 0x2000);          /* window */
    } else {
        stw_be_p(l4 + 4, l4len + payload);
    }
    return len;
}

static void assert_ipv4_csums(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + IP_OFF;
    size_t l4len = len - L4_OFF;

    g_assert_cmpuint(lduw_be_p(ip + 2), ==, len - IP_OFF);
    g_assert_cmphex(csum_fold(csum_add(0, ip, 20)), ==, 0xffff);
    g_assert_cmphex(csum_fold(pseudo_sum(ip, ip[9], l4len) +
                              csum_add(0, f + L4_OFF, l4len)), ==, 0xffff);
}

static void put_ctx(QIgb *d, QIgbRing *r, uint32_t tucmd, uint32_t mss_l4len)
{
    uint32_t ctx[4] = {
        20 | 14 << IGB_ADVTXD_MACLEN_SHIFT, 0,
        IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | IGB_ADVTXD_TUCMD_IPV4 |
        tucmd, mss_l4len,
    };

    qigb_tx_put_desc(d, r, ctx);
}

static uint32_t put_data(QIgb *d, QIgbRing *r, const uint8_t *buf,
                         size_t len, uint32_t cmd, uint32_t olinfo)
{
    uint64_t ba = r->bufs[r->tail];
    uint32_t dw[4] = {
        (uint32_t)ba, (uint32_t)(ba >> 32),
        len | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT | IGB_TXD_CMD_IFCS |
        cmd, olinfo,
    };

    g_assert_cmpuint(len, <=, r->buf_size);
    qtest_memwrite(qigb_qts(d), ba, buf, len);
    return qigb_tx_put_desc(d, r, dw);
}

static void test_tx_csum(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[400], out[400];
    size_t len;
    uint32_t idx, dw[4];
    ssize_t n;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 2048, false);
    qigb_tx_start(d, &r);

    /* Advanced: IPv4 header checksum and UDP checksum (pseudo seeded) */
    len = make_ipv4(f, 17, 300, 1);
    stw_be_p(f + L4_OFF + 6, csum_fold(pseudo_sum(f + IP_OFF, 17,
                                                  len - L4_OFF)));
    put_ctx(d, &r, 0, 0);
    idx = put_data(d, &r, f, len, IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS,
                   len << IGB_ADVTXD_PAYLEN_SHIFT | IGB_POPTS_IXSM |
                   IGB_POPTS_TXSM);
    qigb_tx_kick(d, &r);
    n = sock_recv_frame(env->sv[0], out, sizeof(out), SOCK_TIMEOUT_MS);
    g_assert_cmpint(n, ==, len);
    assert_ipv4_csums(out, len);
    /* Only the checksum fields changed */
    g_assert_cmpmem(out, IP_OFF + 10, f, IP_OFF + 10);
    g_assert_cmpmem(out + L4_OFF + 8, len - L4_OFF - 8,
                    f + L4_OFF + 8, len - L4_OFF - 8);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /* Advanced TCP, checksum split over two data buffers */
    len = make_ipv4(f, 6, 250, 2);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6,
                                                   len - L4_OFF)));
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, 0);
    put_data(d, &r, f, 60, 0, len << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    idx = put_data(d, &r, f + 60, len - 60,
                   IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS, 0);
    qigb_tx_kick(d, &r);
    n = sock_recv_frame(env->sv[0], out, sizeof(out), SOCK_TIMEOUT_MS);
    g_assert_cmpint(n, ==, len);
    assert_ipv4_csums(out, len);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /* Legacy: 16-bit sum from CSS to the end, stored at CSO */
    len = make_ipv4(f, 17, 200, 3);
    stw_be_p(f + IP_OFF + 10, ~csum_fold(csum_add(0, f + IP_OFF, 20)));
    stw_be_p(f + L4_OFF + 6, csum_fold(pseudo_sum(f + IP_OFF, 17,
                                                  len - L4_OFF)));
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], f, len);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = len | (L4_OFF + 6) << 16 | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS |
            IGB_TXD_CMD_IC | IGB_TXD_CMD_RS;
    dw[3] = L4_OFF << 8;
    idx = qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    n = sock_recv_frame(env->sv[0], out, sizeof(out), SOCK_TIMEOUT_MS);
    g_assert_cmpint(n, ==, len);
    assert_ipv4_csums(out, len);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    qigb_ring_free(d, &r);
}

static void test_tx_tso(void *obj, void *data, QGuestAllocator *alloc)
{
    const size_t mss = 1000, payload = 2500, hdr = L4_OFF + 20;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    g_autofree uint8_t *f = g_malloc(hdr + payload);
    g_autofree uint8_t *out = g_malloc(MAX_FRAME);
    size_t len, off, seg;
    uint32_t idx;
    unsigned i;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 4096, false);
    qigb_tx_start(d, &r);

    /* Headers as igb_tso() leaves them: no IP length, pseudo w/o length */
    len = make_ipv4(f, 6, payload, 4);
    stw_be_p(f + IP_OFF + 2, 0);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6, 0)));
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, mss << 16 | 20 << 8);
    idx = put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP |
                   IGB_TXD_CMD_RS, (len - hdr) << IGB_ADVTXD_PAYLEN_SHIFT |
                   IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    qigb_tx_kick(d, &r);

    for (i = 0, off = 0; off < payload; i++, off += seg) {
        const uint8_t *ip = out + IP_OFF, *tcp = out + L4_OFF;
        ssize_t n = sock_recv_frame(env->sv[0], out, MAX_FRAME,
                                    SOCK_TIMEOUT_MS);

        seg = MIN(mss, payload - off);
        g_assert_cmpint(n, ==, hdr + seg);
        g_assert_cmpmem(out, IP_OFF, f, IP_OFF);
        assert_ipv4_csums(out, n);
        g_assert_cmphex(lduw_be_p(ip + 4), ==, 0x1234 + i);
        g_assert_cmpuint(ldl_be_p(tcp + 4), ==, 1000 + off);
        /* PSH only on the last segment */
        g_assert_cmphex(tcp[13], ==, off + seg == payload ? 0x18 : 0x10);
        g_assert_cmpmem(out + hdr, seg, f + hdr + off, seg);
    }
    g_assert_cmpuint(i, ==, 3);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, MAX_FRAME, 100), ==, -1);
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Receive */

static void rx_expect(QIgb *d, QIgbRing *r, const uint8_t *frame, size_t len)
{
    g_autofree uint8_t *got = g_malloc(len);
    QIgbRxInfo info;

    g_assert_true(qigb_rx_wait(d, r, &info));
    g_assert_cmpuint(info.length, ==, len);
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    qtest_memread(qigb_qts(d), info.buf, got, len);
    g_assert_cmpmem(got, len, frame, len);
}

static void rx_send_expect(QIgb *d, QIgbRing *r, int fd, const uint8_t *dst,
                           size_t len, unsigned seed)
{
    g_autofree uint8_t *frame = g_malloc(len);

    make_frame(frame, len, dst, seed);
    sock_send_frame(fd, frame, len);
    rx_expect(d, r, frame, len);
}

static void rx_basic(QIgb *d, IgbEnv *env, bool adv)
{
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t frame[200];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, adv);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    rx_send_expect(d, &r, env->sv[0], bcast_mac, 200, 1);
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 1);
    rx_send_expect(d, &r, env->sv[0], igb_mac, 1514, 2);
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 2);
    rx_send_expect(d, &r, env->sv[0], igb_mac, 64, 3);

    /* A unicast for someone else is filtered out (no UPE) */
    make_frame(frame, sizeof(frame), other_mac, 4);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    rx_send_expect(d, &r, env->sv[0], bcast_mac, 150, 5);
    g_assert_false(qigb_rx_poll(d, &r, &info));

    /* ...unless promiscuous */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | IGB_RCTL_UPE);
    rx_send_expect(d, &r, env->sv[0], other_mac, 90, 6);

    /* RCTL.EN clear: nothing is written */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~IGB_RCTL_EN);
    make_frame(frame, sizeof(frame), bcast_mac, 7);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    settle(d, 20);
    g_assert_false(qigb_rx_poll(d, &r, &info));
    qigb_ring_free(d, &r);
}

static void test_rx_legacy(void *obj, void *data, QGuestAllocator *alloc)
{
    rx_basic(obj, data, false);
}

static void test_rx_adv(void *obj, void *data, QGuestAllocator *alloc)
{
    rx_basic(obj, data, true);
}

/* A 1500 byte frame into 1 KiB buffers: two descriptors */
static void rx_multi(QIgb *d, IgbEnv *env, bool adv)
{
    QIgbRing r;
    QIgbRxInfo a, b;
    uint8_t frame[1500], got[1500];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 1024, adv);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    make_frame(frame, sizeof(frame), bcast_mac, 42);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_rx_wait(d, &r, &a));
    g_assert_true(qigb_rx_wait(d, &r, &b));
    g_assert_cmpuint(a.index, ==, 0);
    g_assert_cmpuint(b.index, ==, 1);
    g_assert_cmpuint(a.length, ==, 1024);
    g_assert_cmpuint(b.length, ==, sizeof(frame) - 1024);
    g_assert_cmphex(a.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD);
    g_assert_cmphex(b.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    qtest_memread(qigb_qts(d), a.buf, got, 1024);
    qtest_memread(qigb_qts(d), b.buf, got + 1024, sizeof(frame) - 1024);
    g_assert_cmpmem(got, sizeof(frame), frame, sizeof(frame));
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 2);

    /* The next frame starts in a fresh descriptor */
    rx_send_expect(d, &r, env->sv[0], bcast_mac, 300, 43);
    qigb_ring_free(d, &r);
}

static void test_rx_multi_legacy(void *obj, void *data,
                                 QGuestAllocator *alloc)
{
    rx_multi(obj, data, false);
}

static void test_rx_multi_adv(void *obj, void *data, QGuestAllocator *alloc)
{
    rx_multi(obj, data, true);
}

typedef struct DropWait {
    uint32_t count;
} DropWait;

static bool rx_drop_counted(QIgb *d, void *opaque)
{
    DropWait *w = opaque;

    w->count += qigb_rd(d, IGB_RNBC) + qigb_rd(d, IGB_MPC);
    return w->count > 0;
}

static void test_rx_no_desc(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t frame[128];
    DropWait w = { 0 };

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, 0, IGB_SRRCTL_DROP_EN);
    qigb_rd(d, IGB_RNBC);
    qigb_rd(d, IGB_MPC);

    /* RDH == RDT: no buffer, the frame is dropped and counted */
    make_frame(frame, sizeof(frame), bcast_mac, 0xa);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_wait_for(d, rx_drop_counted, &w));
    g_test_message("dropped frames counted: %u", w.count);
    g_assert_false(qigb_rx_poll(d, &r, &info));
    assert_alive(d);

    /* Buffers posted: the next frame (not the dropped one) comes in */
    qigb_rx_post(d, &r, 4);
    rx_send_expect(d, &r, env->sv[0], bcast_mac, 128, 0xb);
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Ring wrap */

static void test_tx_wrap(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frames[3][256];
    uint32_t last = 0;
    int i, j;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);

    for (i = 0; i < 100; i++) {
        tx_one(d, &r, env->sv[0], 60 + (i * 37) % 1400, i, i % 3 == 2);
    }
    /* Batches of three frames per tail write */
    for (i = 0; i < 20; i++) {
        for (j = 0; j < 3; j++) {
            uint64_t ba = r.bufs[r.tail];
            uint32_t dw[4] = {
                (uint32_t)ba, (uint32_t)(ba >> 32),
                sizeof(frames[j]) | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS |
                IGB_TXD_CMD_RS, 0
            };

            make_frame(frames[j], sizeof(frames[j]), bcast_mac, 1000 + i + j);
            qtest_memwrite(qigb_qts(d), ba, frames[j], sizeof(frames[j]));
            last = qigb_tx_put_desc(d, &r, dw);
        }
        qigb_tx_kick(d, &r);
        for (j = 0; j < 3; j++) {
            sock_expect_frame(env->sv[0], frames[j], sizeof(frames[j]));
        }
        g_assert_true(qigb_tx_wait_dd(d, &r, last));
        g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, r.tail);
    }
    qigb_ring_free(d, &r);
}

static void test_rx_wrap(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    for (i = 0; i < 100; i++) {
        rx_send_expect(d, &r, env->sv[0], i & 1 ? igb_mac : bcast_mac,
                       60 + (i * 53) % 1450, i);
        qigb_rx_post(d, &r, 1);
    }
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, r.next);
    g_assert_cmpuint(r.next, ==, 100 % 8);

    /* Several frames queued at once fill consecutive descriptors */
    for (i = 0; i < 5; i++) {
        uint8_t frame[100];

        make_frame(frame, sizeof(frame), bcast_mac, 500 + i);
        sock_send_frame(env->sv[0], frame, sizeof(frame));
    }
    for (i = 0; i < 5; i++) {
        uint8_t frame[100];

        make_frame(frame, sizeof(frame), bcast_mac, 500 + i);
        rx_expect(d, &r, frame, sizeof(frame));
    }
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Interrupt delivery */

typedef struct IrqWait {
    QPCIDevice *pdev;
    int irq;                /* ioapic pin, or -1 */
} IrqWait;

static bool intx_asserted(QIgb *d, void *opaque)
{
    IrqWait *w = opaque;
    bool st = qpci_config_readw(w->pdev, PCI_STATUS) & PCI_STATUS_INTERRUPT;

    if (w->irq >= 0 && qtest_get_irq(qigb_qts(d), w->irq) != st) {
        return false;
    }
    return st;
}

static void assert_intx_low(QIgb *d, IrqWait *w)
{
    g_assert_cmphex(qpci_config_readw(w->pdev, PCI_STATUS) &
                    PCI_STATUS_INTERRUPT, ==, 0);
    if (w->irq >= 0) {
        g_assert_false(qtest_get_irq(qigb_qts(d), w->irq));
    }
}

/* On the i440FX machine, route the four PCI interrupt links to one IRQ */
static int route_intx(QIgb *d)
{
    const int irq = 10;
    QPCIDevice *isa = qpci_device_find(d->pdev.bus, QPCI_DEVFN(1, 0));
    int i;

    if (!isa) {
        return -1;
    }
    if (qpci_config_readw(isa, PCI_VENDOR_ID) != 0x8086 ||
        qpci_config_readw(isa, PCI_DEVICE_ID) != 0x7000) {
        g_free(isa);
        return -1;
    }
    for (i = 0; i < 4; i++) {
        qpci_config_writeb(isa, 0x60 + i, irq);     /* PIRQRC[A..D] */
    }
    g_free(isa);
    qtest_irq_intercept_in(qigb_qts(d), "ioapic");
    return irq;
}

static void test_intx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    IrqWait w = { .pdev = &d->pdev };
    QIgbRing tx, rx;
    uint8_t frame[100];
    uint32_t icr;

    w.irq = route_intx(d);
    g_test_message("INTx checked at %s", w.irq >= 0 ? "ioapic pin 10 and "
                   "PCI status" : "PCI status only");
    igb_init(d);
    assert_intx_low(d, &w);

    /* Software cause */
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & (IGB_INT_LSC | IGB_INT_ASSERTED), ==,
                    IGB_INT_LSC | IGB_INT_ASSERTED);
    assert_intx_low(d, &w);

    /* A masked cause does not assert the line */
    qigb_wr(d, IGB_IMC, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    settle(d, 10);
    assert_intx_low(d, &w);
    /* ...until it is unmasked */
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    qigb_rd(d, IGB_ICR);
    assert_intx_low(d, &w);

    /* Transmit done */
    qigb_wr(d, IGB_IMC, 0xffffffff);
    qigb_wr(d, IGB_IMS, IGB_INT_TXDW);
    qigb_ring_init(d, &tx, false, 0, 8, 2048, false);
    qigb_tx_start(d, &tx);
    make_frame(frame, sizeof(frame), bcast_mac, 1);
    qigb_tx_legacy(d, &tx, frame, sizeof(frame));
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & IGB_INT_TXDW, ==, IGB_INT_TXDW);
    assert_intx_low(d, &w);

    /* Receive */
    qigb_wr(d, IGB_IMC, 0xffffffff);
    qigb_wr(d, IGB_IMS, IGB_INT_RXT0);
    qigb_ring_init(d, &rx, true, 0, 8, 2048, false);
    qigb_rx_start(d, &rx, 0, 0);
    qigb_rx_post(d, &rx, 4);
    rx_send_expect(d, &rx, env->sv[0], bcast_mac, 100, 2);
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & IGB_INT_RXT0, ==, IGB_INT_RXT0);
    assert_intx_low(d, &w);

    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

static uint32_t mem_rdl(QIgb *d, uint64_t addr)
{
    uint32_t v;

    qtest_memread(qigb_qts(d), addr, &v, sizeof(v));
    return le32_to_cpu(v);
}

typedef struct MsgWait {
    uint64_t addr;
    uint32_t data;
} MsgWait;

static bool msg_written(QIgb *d, void *opaque)
{
    MsgWait *w = opaque;

    return mem_rdl(d, w->addr) == w->data;
}

static void test_msi(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    QPCIDevice *pdev = &d->pdev;
    uint8_t cap = qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0);
    MsgWait w;
    uint16_t flags;
    uint64_t page;

    g_assert_cmphex(cap, !=, 0);
    igb_init(d);

    page = guest_alloc(alloc, 4096);
    qtest_memset(qigb_qts(d), page, 0, 4096);
    w.addr = page + 0x40;
    w.data = 0x4321;

    flags = qpci_config_readw(pdev, cap + PCI_MSI_FLAGS);
    qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_LO, (uint32_t)w.addr);
    if (flags & PCI_MSI_FLAGS_64BIT) {
        qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_HI, w.addr >> 32);
        qpci_config_writew(pdev, cap + PCI_MSI_DATA_64, w.data);
    } else {
        qpci_config_writew(pdev, cap + PCI_MSI_DATA_32, w.data);
    }
    qpci_config_writew(pdev, cap + PCI_MSI_FLAGS,
                       (flags & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);

    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    g_assert_true(qigb_wait_for(d, msg_written, &w));
    /* MSI is not INTx */
    g_assert_cmphex(qpci_config_readw(pdev, PCI_STATUS) &
                    PCI_STATUS_INTERRUPT, ==, 0);
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & IGB_INT_LSC, ==, IGB_INT_LSC);

    /* Masked cause: no message */
    qtest_writel(qigb_qts(d), w.addr, 0);
    qigb_wr(d, IGB_IMC, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    settle(d, 10);
    g_assert_cmphex(mem_rdl(d, w.addr), ==, 0);

    qpci_config_writew(pdev, cap + PCI_MSI_FLAGS, flags);
    guest_free(alloc, page);
}

typedef struct VecWait {
    int vec;
} VecWait;

static bool vec_fired(QIgb *d, void *opaque)
{
    VecWait *w = opaque;

    return qigb_msix_fired(d, w->vec);
}

static bool vec_pending(QIgb *d, void *opaque)
{
    VecWait *w = opaque;

    return qpci_msix_pending(&d->pdev, w->vec);
}

/* Wait for a vector's message, then re-arm it like igb's handlers do */
static void wait_vec(QIgb *d, int vec)
{
    VecWait w = { .vec = vec };

    g_assert_true(qigb_wait_for(d, vec_fired, &w));
    qigb_msix_clear(d, vec);
    qigb_wr(d, IGB_EIMS, BIT(vec));
}

/* GPIE.EIAME + EIAM: sending the message cleared the vector's EIMS bit */
static void wait_vec_automask(QIgb *d, int vec)
{
    VecWait w = { .vec = vec };

    g_assert_true(qigb_wait_for(d, vec_fired, &w));
    g_assert_cmphex(qigb_rd(d, IGB_EIMS) & BIT(vec), ==, 0);
    qigb_msix_clear(d, vec);
    qigb_wr(d, IGB_EIMS, BIT(vec));
    g_assert_cmphex(qigb_rd(d, IGB_EIMS) & BIT(vec), ==, BIT(vec));
}

static void assert_no_vec(QIgb *d)
{
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_RX_VEC));
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_TX_VEC));
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_OTHER_VEC));
}

static void test_msix(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    const uint32_t all = BIT(QIGB_MSIX_RX_VEC) | BIT(QIGB_MSIX_TX_VEC) |
                         BIT(QIGB_MSIX_OTHER_VEC);
    VecWait pw = { .vec = QIGB_MSIX_TX_VEC };
    QIgbRing tx, rx;
    uint8_t frame[100];
    uint32_t idx;

    igb_init(d);
    qigb_msix_init(d);
    qigb_msix_vector_setup(d, QIGB_MSIX_RX_VEC, false);
    qigb_msix_vector_setup(d, QIGB_MSIX_TX_VEC, false);
    qigb_msix_vector_setup(d, QIGB_MSIX_OTHER_VEC, false);

    /* What igb_configure_msix() does for the 82576 */
    qigb_wr(d, IGB_GPIE, IGB_GPIE_MSIX_MODE | IGB_GPIE_PBA |
            IGB_GPIE_EIAME | IGB_GPIE_NSICR);
    qigb_wr(d, IGB_IVAR0, (QIGB_MSIX_RX_VEC | IGB_IVAR_VALID) |
            (QIGB_MSIX_TX_VEC | IGB_IVAR_VALID) << 8);
    qigb_wr(d, IGB_IVAR_MISC, (QIGB_MSIX_OTHER_VEC | IGB_IVAR_VALID) << 8);
    qigb_wr(d, IGB_EIAC, all);
    qigb_wr(d, IGB_EIAM, all);
    qigb_wr(d, IGB_EIMS, all);
    g_assert_cmphex(qigb_rd(d, IGB_EIMS), ==, all);
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);

    /* "Other" cause through IVAR_MISC */
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    wait_vec(d, QIGB_MSIX_OTHER_VEC);
    assert_no_vec(d);
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & IGB_INT_LSC, ==, IGB_INT_LSC);
    /* MSI-X is not INTx */
    g_assert_cmphex(qpci_config_readw(&d->pdev, PCI_STATUS) &
                    PCI_STATUS_INTERRUPT, ==, 0);

    /* Transmit queue 0 -> its vector */
    qigb_ring_init(d, &tx, false, 0, 8, 2048, true);
    qigb_tx_start(d, &tx);
    make_frame(frame, sizeof(frame), bcast_mac, 1);
    idx = qigb_tx_adv(d, &tx, frame, sizeof(frame));
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &tx, idx));
    wait_vec_automask(d, QIGB_MSIX_TX_VEC);
    settle(d, 10);
    assert_no_vec(d);

    /* Receive queue 0 -> its vector */
    qigb_ring_init(d, &rx, true, 0, 8, 2048, true);
    qigb_rx_start(d, &rx, 0, 0);
    qigb_rx_post(d, &rx, 7);
    rx_send_expect(d, &rx, env->sv[0], igb_mac, 100, 2);
    wait_vec_automask(d, QIGB_MSIX_RX_VEC);
    settle(d, 10);
    assert_no_vec(d);

    /* EICS raises a vector directly */
    qigb_wr(d, IGB_EICS, BIT(QIGB_MSIX_RX_VEC));
    wait_vec(d, QIGB_MSIX_RX_VEC);

    /* A masked MSI-X entry leaves the vector pending until unmasked */
    qigb_msix_vector_setup(d, QIGB_MSIX_TX_VEC, true);
    make_frame(frame, sizeof(frame), bcast_mac, 3);
    idx = qigb_tx_adv(d, &tx, frame, sizeof(frame));
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &tx, idx));
    g_assert_true(qigb_wait_for(d, vec_pending, &pw));
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_TX_VEC));
    qigb_msix_vector_setup(d, QIGB_MSIX_TX_VEC, false);
    wait_vec(d, QIGB_MSIX_TX_VEC);
    g_assert_false(qpci_msix_pending(&d->pdev, QIGB_MSIX_TX_VEC));

    /* EIMC masks the queue interrupt at the device; EIMS releases it */
    qigb_wr(d, IGB_EIMC, BIT(QIGB_MSIX_TX_VEC));
    g_assert_cmphex(qigb_rd(d, IGB_EIMS), ==, all & ~BIT(QIGB_MSIX_TX_VEC));
    make_frame(frame, sizeof(frame), bcast_mac, 4);
    idx = qigb_tx_adv(d, &tx, frame, sizeof(frame));
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &tx, idx));
    settle(d, 10);
    assert_no_vec(d);
    g_assert_cmphex(qigb_rd(d, IGB_EICR) & BIT(QIGB_MSIX_TX_VEC), ==,
                    BIT(QIGB_MSIX_TX_VEC));
    qigb_wr(d, IGB_EICS, BIT(QIGB_MSIX_TX_VEC));
    qigb_wr(d, IGB_EIMS, BIT(QIGB_MSIX_TX_VEC));
    wait_vec(d, QIGB_MSIX_TX_VEC);

    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

/* ------------------------------------------------------------------ */
/* Statistics */

static void test_stats(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    static const uint32_t regs[] = {
        IGB_GPRC, IGB_GPTC, IGB_TPR, IGB_TPT, IGB_BPRC,
    };
    QIgbRing tx, rx;
    size_t i;

    igb_init(d);
    for (i = 0; i < ARRAY_SIZE(regs); i++) {
        qigb_rd(d, regs[i]);
    }

    qigb_ring_init(d, &tx, false, 0, 8, 2048, false);
    qigb_tx_start(d, &tx);
    qigb_ring_init(d, &rx, true, 0, 8, 2048, false);
    qigb_rx_start(d, &rx, 0, 0);
    qigb_rx_post(d, &rx, 7);

    for (i = 0; i < 3; i++) {
        tx_one(d, &tx, env->sv[0], 100 + i, i, false);
    }
    rx_send_expect(d, &rx, env->sv[0], bcast_mac, 100, 10);
    rx_send_expect(d, &rx, env->sv[0], igb_mac, 200, 11);

    g_assert_cmpuint(qigb_rd(d, IGB_GPTC), ==, 3);
    g_assert_cmpuint(qigb_rd(d, IGB_TPT), ==, 3);
    g_assert_cmpuint(qigb_rd(d, IGB_GPRC), ==, 2);
    g_assert_cmpuint(qigb_rd(d, IGB_TPR), ==, 2);
    g_assert_cmpuint(qigb_rd(d, IGB_BPRC), ==, 1);

    /* Clear on read */
    for (i = 0; i < ARRAY_SIZE(regs); i++) {
        g_assert_cmpuint(qigb_rd(d, regs[i]), ==, 0);
    }

    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

/* ------------------------------------------------------------------ */
/* Hostile guests: the device must survive them */

static void tx_bad_desc(QIgb *d, QIgbRing *r, uint64_t addr, uint32_t cmdlen)
{
    uint32_t dw[4] = { (uint32_t)addr, (uint32_t)(addr >> 32), cmdlen, 0 };

    qigb_tx_put_desc(d, r, dw);
    qigb_tx_kick(d, r);
    assert_alive(d);
}

static void tx_ring_regs(QIgb *d, uint64_t base, uint32_t len, uint32_t head,
                         uint32_t tail)
{
    qigb_wr(d, IGB_TDBAL(0), (uint32_t)base);
    qigb_wr(d, IGB_TDBAH(0), (uint32_t)(base >> 32));
    qigb_wr(d, IGB_TDLEN(0), len);
    qigb_wr(d, IGB_TDH(0), head);
    qigb_wr(d, IGB_TDT(0), tail);
    settle(d, 2);
    assert_alive(d);
}

static void test_hostile_tx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    const uint32_t eop = IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS;
    QIgbRing r;
    uint64_t big;
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);

    /* Buffer outside guest RAM, legacy and advanced */
    tx_bad_desc(d, &r, BAD_DMA_ADDR, 64 | eop);
    tx_bad_desc(d, &r, BAD_DMA_ADDR, 64 | eop | IGB_TXD_CMD_DEXT |
                IGB_ADVTXD_DTYP_DATA);
    /* Zero length buffers */
    tx_bad_desc(d, &r, r.bufs[0], 0 | eop);
    tx_bad_desc(d, &r, r.bufs[0], 0 | eop | IGB_TXD_CMD_DEXT |
                IGB_ADVTXD_DTYP_DATA);
    /* Buffer in the device's own registers */
    tx_bad_desc(d, &r, d->mmio.addr, 256 | eop);
    sock_drain(env->sv[0]);

    /* Oversized: six 64 KiB - 1 buffers and one more, no EOP until last */
    big = guest_alloc(alloc, 64 * KiB);
    for (i = 0; i < 6; i++) {
        uint32_t dw[4] = { (uint32_t)big, (uint32_t)(big >> 32),
                           0xffff | IGB_TXD_CMD_IFCS, 0 };
        qigb_tx_put_desc(d, &r, dw);
    }
    tx_bad_desc(d, &r, big, 0xffff | eop);
    sock_drain(env->sv[0]);
    /* Same with a single 20 KiB advanced buffer */
    tx_bad_desc(d, &r, big, 20 * KiB | eop | IGB_TXD_CMD_DEXT |
                IGB_ADVTXD_DTYP_DATA | (20 * KiB) << IGB_ADVTXD_PAYLEN_SHIFT);
    sock_drain(env->sv[0]);

    /* Ring registers: tail and head beyond the end, bad lengths */
    tx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 0, 1000);
    tx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 50, 3);
    tx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 0xffff, 0xfffe);
    tx_ring_regs(d, r.desc, 0, 0, 5);
    tx_ring_regs(d, r.desc, 100, 0, 5);
    tx_ring_regs(d, r.desc, 0x90, 0, 7);
    tx_ring_regs(d, r.desc, 0xffffffff, 0, 7);
    /* Ring outside guest RAM, and in the device's own registers */
    tx_ring_regs(d, BAD_DMA_ADDR, 8 * IGB_DESC_SIZE, 0, 4);
    tx_ring_regs(d, d->mmio.addr, 8 * IGB_DESC_SIZE, 0, 7);
    sock_drain(env->sv[0]);

    /* After a reset the transmitter works again */
    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);
    sock_drain(env->sv[0]);
    tx_one(d, &r, env->sv[0], 100, 99, false);
    guest_free(alloc, big);
}

/* Offload requests that make no sense for the frame they come with */
static void tx_bad_offload(QIgb *d, QIgbRing *r, int fd, const uint8_t *f,
                           size_t len, uint32_t vlan_macip_lens,
                           uint32_t tucmd, uint32_t mss_l4len, uint32_t cmd,
                           uint32_t olinfo)
{
    uint32_t ctx[4] = {
        vlan_macip_lens, 0,
        IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | tucmd, mss_l4len,
    };

    qigb_tx_put_desc(d, r, ctx);
    put_data(d, r, f, len, cmd | IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS, olinfo);
    qigb_tx_kick(d, r);
    assert_alive(d);
    sock_drain(fd);
}

static void test_hostile_offload(void *obj, void *data,
                                 QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    const uint32_t csum = IGB_POPTS_IXSM | IGB_POPTS_TXSM;
    const uint32_t tcp = IGB_ADVTXD_TUCMD_IPV4 | IGB_TUCMD_L4T_TCP;
    const uint32_t lens = 20 | 14 << IGB_ADVTXD_MACLEN_SHIFT;
    QIgbRing r;
    g_autofree uint8_t *f = g_malloc(4096);
    size_t len, tcplen, shortlen;
    uint32_t dw[4];

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 64, 4096, false);
    qigb_tx_start(d, &r);
    tcplen = make_ipv4(f, 6, 2000, 1);
    shortlen = 60;

    /* TSO: MSS 0, MSS 1, MSS bigger than the payload */
    tx_bad_offload(d, &r, env->sv[0], f, tcplen, lens, tcp, 20 << 8,
                   IGB_ADVTXD_TSE, (tcplen - 54) << 14 | csum);
    tx_bad_offload(d, &r, env->sv[0], f, tcplen, lens, tcp, 1 << 16 | 20 << 8,
                   IGB_ADVTXD_TSE, (tcplen - 54) << 14 | csum);
    tx_bad_offload(d, &r, env->sv[0], f, tcplen, lens, tcp,
                   0xffffu << 16 | 20 << 8, IGB_ADVTXD_TSE,
                   (tcplen - 54) << 14 | csum);
    /* TSO: header lengths past the end of the frame */
    tx_bad_offload(d, &r, env->sv[0], f, shortlen, 0x1ff | 0x7f << 9, tcp,
                   536 << 16 | 0xff << 8, IGB_ADVTXD_TSE, csum);
    tx_bad_offload(d, &r, env->sv[0], f, tcplen, lens, tcp,
                   536 << 16 | 0xff << 8, IGB_ADVTXD_TSE, csum);
    /* TSO: zero header lengths, PAYLEN lying */
    tx_bad_offload(d, &r, env->sv[0], f, tcplen, 0, tcp, 536 << 16,
                   IGB_ADVTXD_TSE, 0x3ffffu << 14 | csum);
    /* TSO on a frame that is not IP at all */
    make_frame(f + 2048, 1500, bcast_mac, 2);
    tx_bad_offload(d, &r, env->sv[0], f + 2048, 1500, lens, tcp,
                   536 << 16 | 20 << 8, IGB_ADVTXD_TSE, 1446 << 14 | csum);
    /* Checksum offload with offsets past the end, and context index 1 */
    tx_bad_offload(d, &r, env->sv[0], f, shortlen, 0x1ff | 0x7f << 9, tcp, 0,
                   0, shortlen << 14 | csum);
    tx_bad_offload(d, &r, env->sv[0], f, shortlen, lens, tcp, 1 << 4, 0,
                   shortlen << 14 | csum | 1 << 4);
    /* VLAN insertion on a runt */
    tx_bad_offload(d, &r, env->sv[0], f, 1, 0xffffu << 16, 0, 0,
                   1u << 30, 1 << 14);

    /* Legacy checksum: CSO and CSS past the end */
    qtest_memwrite(qigb_qts(d), r.bufs[r.tail], f, 40);
    dw[0] = (uint32_t)r.bufs[r.tail];
    dw[1] = (uint32_t)(r.bufs[r.tail] >> 32);
    dw[2] = 40 | 0xff << 16 | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IC |
            IGB_TXD_CMD_RS;
    dw[3] = 0xff << 8;
    qigb_tx_put_desc(d, &r, dw);
    dw[2] = 40 | 39 << 16 | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IC | IGB_TXD_CMD_RS;
    dw[3] = 0;
    qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    assert_alive(d);
    sock_drain(env->sv[0]);

    /* After a reset, plain frames go out unharmed */
    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, true);
    qigb_tx_start(d, &r);
    sock_drain(env->sv[0]);
    len = 300;
    tx_one(d, &r, env->sv[0], len, 77, true);
    qigb_ring_free(d, &r);
}

/* Send a frame and give the device the chance to take it */
static void rx_poke(QIgb *d, IgbEnv *env, unsigned seed)
{
    uint8_t frame[200];

    make_frame(frame, sizeof(frame), bcast_mac, seed);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    qigb_wait_for_us(d, sock_consumed, &env->sv[0], G_USEC_PER_SEC / 2);
    settle(d, 2);
    assert_alive(d);
}

static void rx_ring_regs(QIgb *d, uint64_t base, uint32_t len, uint32_t head,
                         uint32_t tail)
{
    qigb_wr(d, IGB_RDBAL(0), (uint32_t)base);
    qigb_wr(d, IGB_RDBAH(0), (uint32_t)(base >> 32));
    qigb_wr(d, IGB_RDLEN(0), len);
    qigb_wr(d, IGB_RDH(0), head);
    qigb_wr(d, IGB_RDT(0), tail);
}

static void test_hostile_rx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t frame[300], got[300];
    uint64_t bufs[2];
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, false);
    qigb_rx_start(d, &r, 0, 0);

    /* Buffers outside guest RAM and in the device's own registers */
    memcpy(bufs, &r.bufs[0], sizeof(bufs));
    r.bufs[0] = BAD_DMA_ADDR;
    r.bufs[1] = d->mmio.addr;
    qigb_rx_post(d, &r, 1);
    rx_poke(d, env, 1);
    qigb_rx_post(d, &r, 1);
    rx_poke(d, env, 2);
    memcpy(&r.bufs[0], bufs, sizeof(bufs));

    /* Same with advanced descriptors */
    qigb_wr(d, IGB_SRRCTL(0), 2 | IGB_SRRCTL_DESCTYPE_ADV1BUF);
    r.bufs[2] = BAD_DMA_ADDR;
    qigb_rx_post(d, &r, 1);
    rx_poke(d, env, 3);
    r.bufs[2] = bufs[0];
    qigb_wr(d, IGB_SRRCTL(0), 2);

    /* Ring registers: tail/head past the end, bad lengths */
    rx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 0, 1000);
    rx_poke(d, env, 4);
    rx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 0xffff, 3);
    rx_poke(d, env, 5);
    rx_ring_regs(d, r.desc, 0, 0, 5);
    rx_poke(d, env, 6);
    rx_ring_regs(d, r.desc, 100, 0, 5);
    rx_poke(d, env, 7);
    rx_ring_regs(d, r.desc, 0xffffffff, 0, 5);
    rx_poke(d, env, 8);
    /* Ring outside guest RAM, and in the device's own registers */
    rx_ring_regs(d, BAD_DMA_ADDR, 8 * IGB_DESC_SIZE, 0, 4);
    rx_poke(d, env, 9);
    rx_ring_regs(d, d->mmio.addr, 8 * IGB_DESC_SIZE, 0, 4);
    rx_poke(d, env, 10);

    /* Frames at the limits: tiny and jumbo-sized without LPE */
    rx_ring_regs(d, r.desc, 8 * IGB_DESC_SIZE, 0, 0);
    r.tail = r.next = 0;
    qigb_rx_post(d, &r, 7);
    for (i = 0; i < 2; i++) {
        size_t len = i ? 16 * KiB : FRAME_HDR_LEN;
        g_autofree uint8_t *f = g_malloc(len);

        make_frame(f, len, bcast_mac, 20 + i);
        sock_send_frame(env->sv[0], f, len);
        qigb_wait_for_us(d, sock_consumed, &env->sv[0], G_USEC_PER_SEC / 2);
        assert_alive(d);
    }

    /* After a reset the receiver works again (skip leftovers) */
    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, false);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, 7);
    make_frame(frame, sizeof(frame), bcast_mac, 0x77);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    for (i = 0; i < 32; i++) {
        g_assert_true(qigb_rx_wait(d, &r, &info));
        qigb_rx_post(d, &r, 1);
        if (info.length == sizeof(frame)) {
            qtest_memread(qigb_qts(d), info.buf, got, sizeof(got));
            if (!memcmp(got, frame, sizeof(frame))) {
                break;
            }
        }
    }
    g_assert_cmpint(i, <, 32);
}

/* Malformed frames through the receive parsers (RSS, checksum, VLAN) */
static void rx_send_raw(QIgb *d, IgbEnv *env, const uint8_t *f, size_t len)
{
    sock_send_frame(env->sv[0], f, len);
    qigb_wait_for_us(d, sock_consumed, &env->sv[0], G_USEC_PER_SEC / 2);
    assert_alive(d);
}

static void rx_malformed_set(QIgb *d, IgbEnv *env, QIgbRing *r)
{
    uint8_t f[256];
    QIgbRxInfo info;
    size_t len;
    int i;

    /* Runts */
    make_frame(f, sizeof(f), bcast_mac, 1);
    for (i = 1; i <= 17; i += 4) {
        rx_send_raw(d, env, f, i);
    }

    /* IPv4: header longer than the frame, silly lengths, fragments */
    len = make_ipv4(f, 6, 0, 2);
    f[IP_OFF] = 0x4f;
    rx_send_raw(d, env, f, 30);
    rx_send_raw(d, env, f, len);
    make_ipv4(f, 17, 10, 3);
    stw_be_p(f + IP_OFF + 2, 0xffff);
    rx_send_raw(d, env, f, 64);
    stw_be_p(f + IP_OFF + 2, 4);
    rx_send_raw(d, env, f, 64);
    make_ipv4(f, 6, 10, 4);
    stw_be_p(f + IP_OFF + 6, 0x2000 | 0x1fff);
    rx_send_raw(d, env, f, 64);
    f[IP_OFF] = 0x41;                       /* IHL below the minimum */
    rx_send_raw(d, env, f, 64);

    /* IPv6 with a chain of extension headers running off the end */
    make_frame(f, sizeof(f), bcast_mac, 5);
    f[12] = 0x86;
    f[13] = 0xdd;
    memset(f + 14, 0, 40);
    f[14] = 0x60;
    stw_be_p(f + 18, 0xffff);
    f[20] = 0;                              /* hop-by-hop */
    for (i = 54; i + 2 <= sizeof(f); i += 8) {
        f[i] = i < 200 ? 60 : 43;           /* dest opts, then routing */
        f[i + 1] = 0;
    }
    rx_send_raw(d, env, f, 70);
    rx_send_raw(d, env, f, sizeof(f));
    f[55] = 0xff;                           /* ext header length 2 KiB */
    rx_send_raw(d, env, f, sizeof(f));

    /* VLAN and QinQ tags on frames too short to hold them */
    make_frame(f, sizeof(f), bcast_mac, 6);
    f[12] = 0x81;
    f[13] = 0x00;
    rx_send_raw(d, env, f, 15);
    f[16] = 0x88;
    f[17] = 0xa8;
    rx_send_raw(d, env, f, 18);
    f[16] = 0x08;
    f[17] = 0x00;
    rx_send_raw(d, env, f, 19);

    /* Drain what was accepted and recycle the descriptors */
    for (i = 0; qigb_rx_poll(d, r, &info); i++) {
        qigb_rx_post(d, r, 1);
    }
    g_test_message("%d malformed frames were received", i);
}

static void test_hostile_rx_frames(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t frame[300], got[300];
    g_autofree uint8_t *jumbo = g_malloc(9000);
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 32, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    /* Checksum offloads on */
    qigb_wr(d, IGB_RXCSUM, 0x100 | 0x200 | 0x800);
    rx_malformed_set(d, env, &r);

    /* RSS hashing (all fields), packet checksum off, VLAN mode */
    qigb_wr(d, IGB_RXCSUM, 0x100 | 0x200 | 0x800 | 0x2000);
    qigb_wr(d, 0x5818 /* MRQC */, 0x01f70002);
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | (1u << 30));
    rx_malformed_set(d, env, &r);

    /* A long frame into too few small buffers */
    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 1024, true);
    qigb_wr(d, IGB_RLPML, 16384);
    qigb_rx_start(d, &r, IGB_RCTL_LPE, 0);
    qigb_rx_post(d, &r, 3);
    make_frame(jumbo, 9000, bcast_mac, 7);
    rx_send_raw(d, env, jumbo, 9000);
    qigb_rx_post(d, &r, 4);
    rx_send_raw(d, env, jumbo, 9000);

    /* After a reset the receiver works again (skip leftovers) */
    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, false);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, 7);
    make_frame(frame, sizeof(frame), bcast_mac, 0x78);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    for (i = 0; i < 64; i++) {
        g_assert_true(qigb_rx_wait(d, &r, &info));
        qigb_rx_post(d, &r, 1);
        if (info.length == sizeof(frame)) {
            qtest_memread(qigb_qts(d), info.buf, got, sizeof(got));
            if (!memcmp(got, frame, sizeof(frame))) {
                break;
            }
        }
    }
    g_assert_cmpint(i, <, 64);
}

/* ------------------------------------------------------------------ */
/* Registration */

static void igb_env_cleanup(void *opaque)
{
    IgbEnv *env = opaque;
    int i;

    /* Every test gets a fresh QEMU (and with it a fresh socket) */
    qos_invalidate_command_line();
    for (i = 0; i < ARRAY_SIZE(env->sv); i++) {
        close(env->sv[i]);
    }
    g_free(env);
}

static void *igb_setup_socket(GString *cmd_line, void *arg)
{
    IgbEnv *env = g_new0(IgbEnv, 1);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, env->sv) < 0) {
        g_error("socketpair: %s", g_strerror(errno));
    }
    /* QEMU inherits sv[1]; the test talks through sv[0] */
    g_string_append_printf(cmd_line, " -netdev socket,id=%s,fd=%d ",
                           QIGB_NETDEV_ID, env->sv[1]);
    g_test_queue_destroy(igb_env_cleanup, env);
    return env;
}

#endif /* _WIN32 */

static void igb_env_cleanup_nosock(void *opaque)
{
    qos_invalidate_command_line();
}

static void *igb_setup_nosock(GString *cmd_line, void *arg)
{
    g_string_append_printf(cmd_line, " -netdev hubport,hubid=0,id=%s ",
                           QIGB_NETDEV_ID);
    g_test_queue_destroy(igb_env_cleanup_nosock, NULL);
    return NULL;
}

static void igb_register_tests(void)
{
    QOSGraphTestOptions opts = { .before = igb_setup_nosock };

    qos_add_test("pci-config", "igb", test_pci_config, &opts);
    qos_add_test("reset-values", "igb", test_reset_values, &opts);
    qos_add_test("io-bar", "igb", test_io_bar, &opts);
    qos_add_test("eeprom", "igb", test_eeprom, &opts);
    qos_add_test("phy", "igb", test_phy, &opts);
    qos_add_test("intr-regs", "igb", test_intr_regs, &opts);

#ifndef _WIN32
    /* On sPAPR, device DMA goes through an IOMMU these tests do not set up */
    if (!strcmp(qtest_get_arch(), "ppc64")) {
        goto out;
    }
    opts.before = igb_setup_socket;
    qos_add_test("tx-legacy", "igb", test_tx_legacy, &opts);
    qos_add_test("tx-adv", "igb", test_tx_adv, &opts);
    qos_add_test("tx-disabled", "igb", test_tx_disabled, &opts);
    qos_add_test("tx-csum", "igb", test_tx_csum, &opts);
    qos_add_test("tx-tso", "igb", test_tx_tso, &opts);
    qos_add_test("rx-legacy", "igb", test_rx_legacy, &opts);
    qos_add_test("rx-adv", "igb", test_rx_adv, &opts);
    qos_add_test("rx-multi-legacy", "igb", test_rx_multi_legacy, &opts);
    qos_add_test("rx-multi-adv", "igb", test_rx_multi_adv, &opts);
    qos_add_test("rx-no-desc", "igb", test_rx_no_desc, &opts);
    qos_add_test("tx-wrap", "igb", test_tx_wrap, &opts);
    qos_add_test("rx-wrap", "igb", test_rx_wrap, &opts);
    qos_add_test("intx", "igb", test_intx, &opts);
    qos_add_test("msi", "igb", test_msi, &opts);
    qos_add_test("msix", "igb", test_msix, &opts);
    qos_add_test("stats", "igb", test_stats, &opts);
    qos_add_test("hostile-tx", "igb", test_hostile_tx, &opts);
    qos_add_test("hostile-rx", "igb", test_hostile_rx, &opts);
    qos_add_test("hostile-offload", "igb", test_hostile_offload, &opts);
    qos_add_test("hostile-rx-frames", "igb", test_hostile_rx_frames, &opts);
out:
#endif
    qtest_add_func("igb/pcie-extcaps", test_pcie_extcaps);
}

libqos_init(igb_register_tests);
