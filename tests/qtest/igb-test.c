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
#include "libqos/malloc-pc.h"
#include "libqos/pci-pc.h"
#include "libqos/igb.h"
#include "hw/pci/pci_regs.h"
#include "qobject/qdict.h"

#ifndef _WIN32
#include <poll.h>
#include <sys/ioctl.h>
#ifdef CONFIG_LINUX
#include <linux/sockios.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/wait.h>
#include "standard-headers/linux/virtio_net.h"
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

static uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

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

    /*
     * Addresses past the 1024 words: done, reading 0, the address echoed;
     * no hang, no crash, and EERD keeps working
     */
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        qigb_wr(d, IGB_EERD, bad[i] << IGB_EERD_ADDR_SHIFT | IGB_EERD_START);
        settle(d, 5);
        g_assert_cmphex(qigb_rd(d, IGB_EERD), ==,
                        bad[i] << IGB_EERD_ADDR_SHIFT | IGB_EERD_DONE);
        assert_alive(d);
    }
    g_assert_true(qigb_eeprom_read(d, 1, &w));
    g_assert_cmphex(w, ==, igb_mac[2] | igb_mac[3] << 8);
}

#define EEPROM_WORDS        1024

static void test_eeprom_write(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    static const uint32_t words[] = { 0x100, 0x101, 0x3ff };
    static const uint16_t vals[] = { 0x1234, 0xabcd, 0x5aa5 };
    static const uint32_t beyond[] = { 0x400, 0x7ff, 0x3fff };
    uint16_t w, before[ARRAY_SIZE(words)], all[EEPROM_WORDS];
    size_t i;

    qigb_reset(d);
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        g_assert_true(qigb_eeprom_read(d, words[i], &before[i]));
        g_assert_cmphex(before[i], !=, vals[i]);
    }

    /* EEWR: START, address in 15:2, data in 31:16; DONE when written */
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        g_assert_true(qigb_eeprom_write(d, words[i], vals[i]));
        g_assert_true(qigb_eeprom_read(d, words[i], &w));
        g_assert_cmphex(w, ==, vals[i]);
    }
    /* Each write touched its own word only */
    g_assert_true(qigb_eeprom_read(d, words[0], &w));
    g_assert_cmphex(w, ==, vals[0]);
    g_assert_true(qigb_eeprom_read(d, 0, &w));
    g_assert_cmphex(w, ==, igb_mac[0] | igb_mac[1] << 8);

    /* The EEPROM is non-volatile: a software reset keeps what was written */
    qigb_reset(d);
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        g_assert_true(qigb_eeprom_read(d, words[i], &w));
        g_assert_cmphex(w, ==, vals[i]);
    }

    /* Writing the old contents back works the same way */
    for (i = 0; i < ARRAY_SIZE(words); i++) {
        g_assert_true(qigb_eeprom_write(d, words[i], before[i]));
        g_assert_true(qigb_eeprom_read(d, words[i], &w));
        g_assert_cmphex(w, ==, before[i]);
    }

    /*
     * Beyond the 1024 words (the address field has 14 bits): EEWR and
     * EERD are done at once, the read gives 0, and no word changes (no
     * wrap-around onto word 0x3ff or 0)
     */
    for (i = 0; i < EEPROM_WORDS; i++) {
        g_assert_true(qigb_eeprom_read(d, i, &all[i]));
    }
    for (i = 0; i < ARRAY_SIZE(beyond); i++) {
        g_assert_true(qigb_eeprom_write(d, beyond[i], 0x7777));
        g_assert_true(qigb_eeprom_read(d, beyond[i], &w));
        g_assert_cmphex(w, ==, 0);
    }
    for (i = 0; i < EEPROM_WORDS; i++) {
        g_assert_true(qigb_eeprom_read(d, i, &w));
        g_assert_cmphex(w, ==, all[i]);
    }
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

/*
 * TX head write-back: with TDWBAL bit 0 set, the device writes the ring's
 * head index to the 4-byte-aligned address in TDWBAH:TDWBAL after it
 * processes descriptors.
 */
#define HWB_TDWBAL0     0xE038
#define HWB_TDWBAH0     0xE03C

static void test_tx_head_wb(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint64_t wb = guest_alloc(alloc, 64);
    uint32_t head = 0xdeadbeef;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);
    qtest_memwrite(qigb_qts(d), wb, &head, sizeof(head));
    qigb_wr(d, HWB_TDWBAL0, (uint32_t)wb | 1);
    qigb_wr(d, HWB_TDWBAH0, wb >> 32);

    tx_one(d, &r, env->sv[0], 100, 1, false);
    tx_one(d, &r, env->sv[0], 200, 2, false);
    qtest_memread(qigb_qts(d), wb, &head, sizeof(head));
    g_assert_cmphex(le32_to_cpu(head), ==, 2);

    /* disabled again: the word is left alone */
    qigb_wr(d, HWB_TDWBAL0, (uint32_t)wb);
    tx_one(d, &r, env->sv[0], 100, 3, false);
    qtest_memread(qigb_qts(d), wb, &head, sizeof(head));
    g_assert_cmphex(le32_to_cpu(head), ==, 2);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 3);
    qigb_ring_free(d, &r);
    guest_free(alloc, wb);
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

/*
 * A TCP/IPv4 frame as TSO takes it (and igb_tso() leaves it): no IP total
 * length, the TCP sum seeded with the pseudo-header without the length
 */
static size_t make_tso4(uint8_t *f, size_t payload, unsigned seed)
{
    size_t len = make_ipv4(f, 6, payload, seed);

    stw_be_p(f + IP_OFF + 2, 0);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6, 0)));
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

static uint32_t put_ctx(QIgb *d, QIgbRing *r, uint32_t tucmd,
                        uint32_t mss_l4len)
{
    uint32_t ctx[4] = {
        20 | 14 << IGB_ADVTXD_MACLEN_SHIFT, 0,
        IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | IGB_ADVTXD_TUCMD_IPV4 |
        tucmd, mss_l4len,
    };

    return qigb_tx_put_desc(d, r, ctx);
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

/*
 * The segments of @f (@hdr header bytes, @payload bytes) cut at @mss, as
 * the frame's TSO with IP ID 0x1234 and TCP sequence 1000 makes them
 */
static void tso_expect(int fd, const uint8_t *f, size_t hdr, size_t payload,
                       size_t mss)
{
    g_autofree uint8_t *out = g_malloc(MAX_FRAME);
    size_t off, seg;
    unsigned i;

    for (i = 0, off = 0; off < payload; i++, off += seg) {
        const uint8_t *ip = out + IP_OFF, *tcp = out + L4_OFF;
        ssize_t n = sock_recv_frame(fd, out, MAX_FRAME, SOCK_TIMEOUT_MS);

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
    g_assert_cmpint(sock_recv_frame(fd, out, MAX_FRAME, 100), ==, -1);
}

/*
 * make_tso4()'s frame, and the data descriptors' olinfo for it (PAYLEN,
 * IXSM, TXSM) in @olinfo
 */
static size_t tso_frame(uint8_t *f, size_t payload, size_t hdr,
                        uint32_t *olinfo)
{
    size_t len = make_tso4(f, payload, 4);

    *olinfo = (len - hdr) << IGB_ADVTXD_PAYLEN_SHIFT | IGB_POPTS_IXSM |
              IGB_POPTS_TXSM;
    return len;
}

static void test_tx_tso(void *obj, void *data, QGuestAllocator *alloc)
{
    const size_t mss = 1000, payload = 2500, hdr = L4_OFF + 20;
    /* the frame in pieces: headers cut inside MAC, IP and TCP headers */
    static const size_t cuts[] = { 10, 30, 40, L4_OFF + 20 + 700 };
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    g_autofree uint8_t *f = g_malloc(hdr + payload);
    size_t len, at;
    uint32_t idx, olinfo;
    unsigned i;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 4096, false);
    qigb_tx_start(d, &r);

    len = tso_frame(f, payload, hdr, &olinfo);
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, mss << 16 | 20 << 8);
    idx = put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP |
                   IGB_TXD_CMD_RS, olinfo);
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, mss);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /*
     * The same frame in five buffers, the headers spread over four of
     * them; MSS 700 from a context in slot 1, named by index 5 (the
     * 82576 has two slots: the index is taken modulo 2, and logged);
     * slot 0 keeps MSS 1000
     */
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, 700 << 16 | 20 << 8 | 5 << 4);
    for (i = 0, at = 0; i <= ARRAY_SIZE(cuts); i++) {
        size_t end = i < ARRAY_SIZE(cuts) ? cuts[i] : len;

        idx = put_data(d, &r, f + at, end - at, IGB_ADVTXD_TSE |
                       (end == len ? IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS : 0),
                       olinfo | 5 << 4);
        at = end;
    }
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, 700);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    /* index 0 without a new context: slot 0's MSS 1000 */
    idx = put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP |
                   IGB_TXD_CMD_RS, olinfo);
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, mss);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    qigb_ring_free(d, &r);
}

/*
 * Context descriptors in the middle of a frame.  The 82576 wants a frame's
 * context before its first data descriptor; its datasheet does not say
 * what happens otherwise.  The model takes the slot's contents when the
 * frame ends (EOP).  A context for the other slot leaves the frame alone
 * and is there for the next frame; one for the frame's own slot sets its
 * MSS.  Context descriptors with RS get DD like any other.
 */
static void test_tx_ctx_midframe(void *obj, void *data,
                                 QGuestAllocator *alloc)
{
    const size_t payload = 2500, hdr = L4_OFF + 20, cut = hdr + 300;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    g_autofree uint8_t *f = g_malloc(hdr + payload);
    uint32_t idx, ctx_idx, olinfo;
    size_t len;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 4096, false);
    qigb_tx_start(d, &r);
    len = tso_frame(f, payload, hdr, &olinfo);

    /* slot 0: MSS 1000; slot 1 (MSS 600) set between the two buffers */
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, 1000 << 16 | 20 << 8);
    put_data(d, &r, f, cut, IGB_ADVTXD_TSE, olinfo);
    ctx_idx = put_ctx(d, &r, IGB_TUCMD_L4T_TCP | IGB_TXD_CMD_RS,
                      600 << 16 | 20 << 8 | 1 << 4);
    idx = put_data(d, &r, f + cut, len - cut, IGB_ADVTXD_TSE |
                   IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS, olinfo);
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, 1000);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    g_assert_true(qigb_tx_wait_dd(d, &r, ctx_idx));

    /* the next frame names slot 1: MSS 600 */
    idx = put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP |
                   IGB_TXD_CMD_RS, olinfo | 1 << 4);
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, 600);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /* slot 0 rewritten between the buffers of a frame that uses it */
    put_data(d, &r, f, cut, IGB_ADVTXD_TSE, olinfo);
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, 500 << 16 | 20 << 8);
    idx = put_data(d, &r, f + cut, len - cut, IGB_ADVTXD_TSE |
                   IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS, olinfo);
    qigb_tx_kick(d, &r);
    tso_expect(env->sv[0], f, hdr, payload, 500);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, r.tail);
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

/* MSI to @page + 0x40 with data 0x4321; returns the flags to restore */
static uint16_t msi_setup(QIgb *d, uint64_t page, MsgWait *w)
{
    QPCIDevice *pdev = &d->pdev;
    uint8_t cap = qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0);
    uint16_t flags;

    g_assert_cmphex(cap, !=, 0);
    qtest_memset(qigb_qts(d), page, 0, 4096);
    w->addr = page + 0x40;
    w->data = 0x4321;

    flags = qpci_config_readw(pdev, cap + PCI_MSI_FLAGS);
    qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_LO, (uint32_t)w->addr);
    if (flags & PCI_MSI_FLAGS_64BIT) {
        qpci_config_writel(pdev, cap + PCI_MSI_ADDRESS_HI, w->addr >> 32);
        qpci_config_writew(pdev, cap + PCI_MSI_DATA_64, w->data);
    } else {
        qpci_config_writew(pdev, cap + PCI_MSI_DATA_32, w->data);
    }
    qpci_config_writew(pdev, cap + PCI_MSI_FLAGS,
                       (flags & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);
    return flags;
}

static void test_msi(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    QPCIDevice *pdev = &d->pdev;
    uint8_t cap = qpci_find_capability(pdev, PCI_CAP_ID_MSI, 0);
    MsgWait w;
    uint16_t flags;
    uint64_t page;

    igb_init(d);
    page = guest_alloc(alloc, 4096);
    flags = msi_setup(d, page, &w);

    qigb_rd(d, IGB_IAC);
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    qigb_wr(d, IGB_ICS, IGB_INT_LSC);
    g_assert_true(qigb_wait_for(d, msg_written, &w));
    /* IAC counts the interrupts sent */
    g_assert_cmpuint(qigb_rd(d, IGB_IAC), ==, 1);
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
    g_assert_cmpuint(qigb_rd(d, IGB_IAC), ==, 0);

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
        IGB_GPRC, IGB_GPTC, IGB_TPR, IGB_TPT, IGB_BPRC, IGB_ICRXDMTC,
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
    /* 7 of 8 posted; RDMTS 1/2: the 4th frame leaves 3 < 4 free */
    rx_send_expect(d, &rx, env->sv[0], igb_mac, 300, 12);
    g_assert_cmpuint(qigb_rd(d, IGB_ICRXDMTC), ==, 0);
    rx_send_expect(d, &rx, env->sv[0], igb_mac, 300, 13);
    g_assert_cmpuint(qigb_rd(d, IGB_ICRXDMTC), ==, 1);

    g_assert_cmpuint(qigb_rd(d, IGB_GPTC), ==, 3);
    g_assert_cmpuint(qigb_rd(d, IGB_TPT), ==, 3);
    g_assert_cmpuint(qigb_rd(d, IGB_GPRC), ==, 4);
    g_assert_cmpuint(qigb_rd(d, IGB_TPR), ==, 4);
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

/*
 * DMA aimed at the PF's own registers.  QEMU refuses a device's access to
 * its own MMIO while the device is busy (the re-entrancy guard), so the
 * registers keep their values: frame data written over the multicast
 * table, a transmit descriptor fetched from ICR (cleared when read), frame
 * data gathered from it.  The rings go on.
 */
#define OWN_ICR_BITS    (IGB_INT_LSC | IGB_INT_RXSEQ)

static void test_dma_own_regs(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    const uint32_t eop = IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS;
    QIgbRing rx, tx;
    QIgbRxInfo info;
    uint8_t frame[300];
    uint64_t buf1;
    int i;

    igb_init(d);
    qigb_ring_init(d, &rx, true, 0, 8, 2048, false);
    qigb_rx_start(d, &rx, 0, 0);
    for (i = 0; i < 128; i++) {
        qigb_wr(d, IGB_MTA(i), 0);
    }

    /* RX: descriptor 1's buffer is the multicast table */
    buf1 = rx.bufs[1];
    rx.bufs[1] = d->mmio.addr + IGB_MTA(0);
    qigb_rx_post(d, &rx, 3);
    rx_send_expect(d, &rx, env->sv[0], bcast_mac, 100, 0x41);
    make_frame(frame, sizeof(frame), bcast_mac, 0x42);
    memset(frame + FRAME_HDR_LEN, 0xa5, sizeof(frame) - FRAME_HDR_LEN);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_rx_wait(d, &rx, &info));
    g_assert_cmpuint(info.length, ==, sizeof(frame));
    for (i = 0; i < 128; i++) {
        g_assert_cmphex(qigb_rd(d, IGB_MTA(i)), ==, 0);
    }
    rx_send_expect(d, &rx, env->sv[0], bcast_mac, 100, 0x43);
    assert_alive(d);

    /*
     * TX: ICR keeps the causes ICS set (IMS is 0: no interrupt).  First
     * the ring placed so that descriptor 4 is ICR, head 4 and tail 5: the
     * descriptor cannot be read and the queue stops there
     */
    qigb_ring_init(d, &tx, false, 0, 8, 2048, false);
    qigb_tx_start(d, &tx);
    qigb_wr(d, IGB_IMC, 0xffffffff);
    qigb_wr(d, IGB_ICS, OWN_ICR_BITS);
    tx_ring_regs(d, d->mmio.addr + IGB_ICR - 4 * IGB_DESC_SIZE,
                 8 * IGB_DESC_SIZE, 4, 5);
    settle(d, 5);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, 4);
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & OWN_ICR_BITS, ==, OWN_ICR_BITS);
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & OWN_ICR_BITS, ==, 0);
    /* then a frame's data gathered from ICR */
    qigb_wr(d, IGB_ICS, OWN_ICR_BITS);
    tx_ring_regs(d, tx.desc, 8 * IGB_DESC_SIZE, 0, 0);
    tx_bad_desc(d, &tx, d->mmio.addr + IGB_ICR, 64 | eop);
    settle(d, 5);
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & OWN_ICR_BITS, ==, OWN_ICR_BITS);
    sock_drain(env->sv[0]);
    tx_one(d, &tx, env->sv[0], 100, 0x44, false);
    qigb_ring_free(d, &tx);
    rx.bufs[1] = buf1;
    qigb_ring_free(d, &rx);
}

static uint32_t tx_desc_sta(QIgb *d, QIgbRing *r, uint32_t idx);

/* A legacy descriptor of @f's bytes without EOP at the tail */
static void tx_put_noeop(QIgb *d, QIgbRing *r, const uint8_t *f, size_t len)
{
    uint64_t ba = r->bufs[r->tail];
    uint32_t dw[4] = { (uint32_t)ba, (uint32_t)(ba >> 32),
                       len | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS, 0 };

    qtest_memwrite(qigb_qts(d), ba, f, len);
    qigb_tx_put_desc(d, r, dw);
}

/*
 * Chains a driver should not make (the e1000 family's infinite-loop bug
 * class): a frame without EOP for ten laps of an 8-entry ring (every
 * descriptor is consumed and completed each lap, nothing is sent, and
 * the frame is dropped at its EOP: 71 pieces, more than the 64 kept); a
 * half-sent frame whose ring is moved under it; and a queue disabled in
 * the middle of a frame, then reprogrammed and enabled (what DPDK's queue
 * stop/start does): the half frame is gone, the next frame leaves whole.
 */
static void test_tx_hostile_chains(void *obj, void *data,
                                   QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    g_autofree uint8_t *out = g_malloc(MAX_FRAME);
    QIgbRing r, r2;
    uint8_t f[100];
    int lap, i;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);
    make_frame(f, sizeof(f), other_mac, 1);
    for (lap = 0; lap < 10; lap++) {
        for (i = 0; i < 7; i++) {
            tx_put_noeop(d, &r, f, sizeof(f));
        }
        qigb_tx_kick(d, &r);
        settle(d, 2);
        g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, r.tail);
        g_assert_cmphex(tx_desc_sta(d, &r, (r.tail + 7) % 8) & 1, ==, 1);
        assert_alive(d);
    }
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, MAX_FRAME, 100), ==, -1);
    tx_bad_desc(d, &r, r.bufs[r.tail], sizeof(f) | IGB_TXD_CMD_EOP |
                IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS);
    settle(d, 2);
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, r.tail);
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, MAX_FRAME, 100), ==, -1);
    tx_one(d, &r, env->sv[0], 100, 2, false);

    /* three pieces out, then the ring moved while the queue runs */
    for (i = 0; i < 3; i++) {
        tx_put_noeop(d, &r, f, sizeof(f));
    }
    qigb_tx_kick(d, &r);
    settle(d, 2);
    qigb_ring_init(d, &r2, false, 0, 16, 2048, false);
    tx_put_noeop(d, &r2, f, sizeof(f));
    qigb_tx_kick(d, &r2);
    settle(d, 2);
    assert_alive(d);

    /* disabled mid-frame, reprogrammed, enabled: the next frame is whole */
    qigb_wr(d, IGB_TXDCTL(0), qigb_rd(d, IGB_TXDCTL(0)) & ~IGB_QUEUE_ENABLE);
    qigb_ring_free(d, &r2);
    qigb_ring_init(d, &r2, false, 0, 16, 2048, false);
    qigb_tx_start(d, &r2);
    tx_one(d, &r2, env->sv[0], 120, 3, false);
    tx_one(d, &r2, env->sv[0], 130, 4, true);
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, MAX_FRAME, 100), ==, -1);
    qigb_ring_free(d, &r2);
    qigb_ring_free(d, &r);
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

/*
 * After hostile input and a reset the receiver works again: a fresh frame
 * arrives intact within @tries frames (leftovers still queued in the
 * socket are skipped).
 */
static void rx_recovers(QIgb *d, IgbEnv *env, unsigned seed, int tries)
{
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t frame[300], got[300];
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, false);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, 7);
    make_frame(frame, sizeof(frame), bcast_mac, seed);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    for (i = 0; i < tries; i++) {
        g_assert_true(qigb_rx_wait(d, &r, &info));
        qigb_rx_post(d, &r, 1);
        if (info.length == sizeof(frame)) {
            qtest_memread(qigb_qts(d), info.buf, got, sizeof(got));
            if (!memcmp(got, frame, sizeof(frame))) {
                break;
            }
        }
    }
    g_assert_cmpint(i, <, tries);
}

static void test_hostile_rx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
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

    rx_recovers(d, env, 0x77, 32);
}

/* RNBC only: MPC is read apart, as a read clears it */
static bool rnbc_counted(QIgb *d, void *opaque)
{
    uint32_t *n = opaque;

    *n += qigb_rd(d, IGB_RNBC);
    return *n > 0;
}

/* A frame that finds no descriptor waits (flow control): counted, not lost */
static void rx_send_held(QIgb *d, IgbEnv *env, const uint8_t *f, size_t len)
{
    uint32_t n = 0;

    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_wait_for(d, rnbc_counted, &n));
    g_assert_cmpuint(qigb_rd(d, IGB_MPC), ==, 0);
}

/* A ring's descriptors and buffers as the guest sees them */
static uint8_t *rx_ring_image(QIgb *d, QIgbRing *r, size_t *len)
{
    size_t dlen = r->count * IGB_DESC_SIZE;
    uint8_t *img;
    uint32_t i;

    *len = dlen + r->count * r->buf_size;
    img = g_malloc(*len);
    qtest_memread(qigb_qts(d), r->desc, img, dlen);
    for (i = 0; i < r->count; i++) {
        qtest_memread(qigb_qts(d), r->bufs[i], img + dlen + i * r->buf_size,
                      r->buf_size);
    }
    return img;
}

static void rx_assert_ring_unchanged(QIgb *d, QIgbRing *r, const uint8_t *img,
                                     size_t len)
{
    size_t now_len;
    g_autofree uint8_t *now = rx_ring_image(d, r, &now_len);

    g_assert_cmpmem(now, now_len, img, len);
}

/*
 * Rings changed under traffic, with flow control on (CTRL.TFCE) so that a
 * frame that finds no descriptor waits: the tail taken back (the next
 * frame then waits), a tail behind the head (a wrapped ring) and the ring
 * moved while enabled, each with a frame waiting, then the ring moved back
 * the proper way (queue disabled).  The model reads the registers at each
 * frame: it writes only the descriptors from head to tail of the ring it
 * has now, and the waiting frames arrive intact and in order.
 */
static void test_rx_ring_moves(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing a, b;
    QIgbRxInfo info;
    uint8_t f[12][150], got[150];
    g_autofree uint8_t *img_a = NULL, *img_b = NULL;
    size_t len_a, len_b;
    int i;

    igb_init(d);
    qigb_ring_init(d, &a, true, 0, 8, 2048, false);
    qigb_rx_start(d, &a, 0, 0);
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_TFCE);
    qigb_rd(d, IGB_RNBC);
    qigb_rd(d, IGB_MPC);
    for (i = 0; i < ARRAY_SIZE(f); i++) {
        make_frame(f[i], sizeof(f[i]), bcast_mac, 0x300 + i);
    }

    /* six descriptors given, two used: head 2, tail 6 */
    qigb_rx_post(d, &a, 6);
    for (i = 0; i < 2; i++) {
        sock_send_frame(env->sv[0], f[i], sizeof(f[i]));
        rx_expect(d, &a, f[i], sizeof(f[i]));
    }
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 2);

    /* The tail taken back to 4: descriptors 4 and 5 are not the device's */
    a.tail = 4;
    qigb_wr(d, IGB_RDT(0), a.tail);
    for (; i < 4; i++) {
        sock_send_frame(env->sv[0], f[i], sizeof(f[i]));
        rx_expect(d, &a, f[i], sizeof(f[i]));
    }
    rx_send_held(d, env, f[4], sizeof(f[4]));
    settle(d, 5);
    g_assert_false(qigb_rx_poll(d, &a, &info));
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 4);

    /*
     * Descriptors 6, 7 and 0 given back, tail 1 behind head 4: five
     * descriptors (4-7, 0) for the waiting frame and four more; the sixth
     * frame waits, and descriptor 1 keeps its first frame
     */
    a.tail = 6;
    qigb_rx_post(d, &a, 3);
    for (i = 4; i < 9; i++) {
        if (i > 4) {
            sock_send_frame(env->sv[0], f[i], sizeof(f[i]));
        }
        rx_expect(d, &a, f[i], sizeof(f[i]));
    }
    rx_send_held(d, env, f[9], sizeof(f[9]));
    settle(d, 5);
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 1);
    qtest_memread(qigb_qts(d), a.bufs[1], got, sizeof(got));
    g_assert_cmpmem(got, sizeof(got), f[1], sizeof(f[1]));

    /*
     * The ring moved to b while enabled, head and tail rewritten: the
     * waiting frame and the next go to b; ring a is left as it was
     */
    img_a = rx_ring_image(d, &a, &len_a);
    qigb_ring_init(d, &b, true, 0, 8, 2048, false);
    settle(d, 5);
    qigb_rx_post(d, &b, 3);
    rx_expect(d, &b, f[9], sizeof(f[9]));
    sock_send_frame(env->sv[0], f[10], sizeof(f[10]));
    rx_expect(d, &b, f[10], sizeof(f[10]));
    g_assert_cmpuint(qigb_rd(d, IGB_RDH(0)), ==, 2);
    rx_assert_ring_unchanged(d, &a, img_a, len_a);

    /* Back to ring a with the queue disabled meanwhile: b is left alone */
    img_b = rx_ring_image(d, &b, &len_b);
    qigb_wr(d, IGB_RXDCTL(0), qigb_rd(d, IGB_RXDCTL(0)) & ~IGB_QUEUE_ENABLE);
    rx_ring_regs(d, a.desc, a.count * IGB_DESC_SIZE, 0, 0);
    a.tail = a.next = 0;
    qigb_wr(d, IGB_RXDCTL(0), qigb_rd(d, IGB_RXDCTL(0)) | IGB_QUEUE_ENABLE);
    qigb_rx_post(d, &a, 7);
    sock_send_frame(env->sv[0], f[11], sizeof(f[11]));
    rx_expect(d, &a, f[11], sizeof(f[11]));
    g_assert_cmpuint(qigb_rd(d, IGB_MPC), ==, 0);
    rx_assert_ring_unchanged(d, &b, img_b, len_b);
    qigb_ring_free(d, &a);
    qigb_ring_free(d, &b);
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
    g_autofree uint8_t *jumbo = g_malloc(9000);

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

    rx_recovers(d, env, 0x78, 64);
}

/* ------------------------------------------------------------------ */
/* Link state */

static void set_link(QIgb *d, bool up)
{
    qtest_qmp_assert_success(qigb_qts(d),
                             "{'execute': 'set_link', 'arguments':"
                             " {'name': %s, 'up': %i}}", QIGB_NETDEV_ID, up);
}

static bool link_down(QIgb *d, void *opaque)
{
    return !(qigb_rd(d, IGB_STATUS) & IGB_STATUS_LU);
}

/* The PHY's link status bit; BMSR latches low, so read it twice */
static bool phy_link(QIgb *d)
{
    uint16_t bmsr;

    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_STATUS, &bmsr));
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_STATUS, &bmsr));
    return bmsr & IGB_PHY_ST_LINK;
}

static void test_link(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    IrqWait w = { .pdev = &d->pdev };
    QIgbRing r;
    uint8_t lost[100], frame[100], got[100];
    uint32_t icr;
    ssize_t n;
    int i;

    w.irq = route_intx(d);
    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);
    tx_one(d, &r, env->sv[0], 100, 1, false);
    g_assert_true(phy_link(d));
    qigb_wr(d, IGB_IMS, IGB_INT_LSC);
    assert_intx_low(d, &w);

    /* Cable out: STATUS.LU clears, LSC is raised and interrupts */
    set_link(d, false);
    g_assert_true(qigb_wait_for(d, link_down, NULL));
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & (IGB_INT_LSC | IGB_INT_ASSERTED), ==,
                    IGB_INT_LSC | IGB_INT_ASSERTED);
    assert_intx_low(d, &w);
    g_assert_false(phy_link(d));
    g_assert_cmphex(qigb_rd(d, IGB_STATUS) & IGB_STATUS_LU, ==, 0);

    /* A frame sent without link does not reach the wire, nor GPTC */
    qigb_rd(d, IGB_GPTC);
    make_frame(lost, sizeof(lost), bcast_mac, 2);
    qigb_tx_legacy(d, &r, lost, sizeof(lost));
    settle(d, 20);
    g_assert_cmpint(sock_recv_frame(env->sv[0], got, sizeof(got), 200), ==,
                    -1);
    g_assert_cmpuint(qigb_rd(d, IGB_GPTC), ==, 0);

    /* Cable in: LU set again, LSC again */
    set_link(d, true);
    g_assert_true(qigb_wait_for(d, link_up, NULL));
    g_assert_true(qigb_wait_for(d, intx_asserted, &w));
    icr = qigb_rd(d, IGB_ICR);
    g_assert_cmphex(icr & (IGB_INT_LSC | IGB_INT_ASSERTED), ==,
                    IGB_INT_LSC | IGB_INT_ASSERTED);
    assert_intx_low(d, &w);
    g_assert_true(phy_link(d));

    /*
     * Frames flow again.  Whether the one queued while the link was down
     * is sent now or was discarded is not checked: only that it comes
     * (if at all) before the new one.
     */
    make_frame(frame, sizeof(frame), bcast_mac, 3);
    qigb_tx_legacy(d, &r, frame, sizeof(frame));
    for (i = 0; i < 2; i++) {
        n = sock_recv_frame(env->sv[0], got, sizeof(got), SOCK_TIMEOUT_MS);
        g_assert_cmpint(n, ==, sizeof(frame));
        if (!memcmp(got, frame, sizeof(frame))) {
            break;
        }
        g_assert_cmpmem(got, sizeof(got), lost, sizeof(lost));
        g_test_message("the frame queued without link went out after it");
    }
    g_assert_cmpint(i, <, 2);
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Interrupt moderation (EITR) */

/* Poll with the virtual clock stopped: only real time passes */
static bool wait_no_clock(QIgb *d, bool (*fn)(QIgb *d, void *opaque),
                          void *opaque)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

    while (!fn(d, opaque)) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_usleep(100);
    }
    return true;
}

typedef struct RxWait {
    QIgbRing *ring;
    QIgbRxInfo info;
} RxWait;

static bool rx_done(QIgb *d, void *opaque)
{
    RxWait *w = opaque;

    return qigb_rx_poll(d, w->ring, &w->info);
}

/* RX queue 0 on its own MSI-X vector, as igb_configure_msix() sets it */
static void eitr_setup(QIgb *d, QIgbRing *r, uint32_t eitr)
{
    const uint32_t vec = BIT(QIGB_MSIX_RX_VEC);

    igb_init(d);
    qigb_msix_init(d);
    qigb_msix_vector_setup(d, QIGB_MSIX_RX_VEC, false);
    qigb_wr(d, IGB_GPIE, IGB_GPIE_MSIX_MODE | IGB_GPIE_PBA |
            IGB_GPIE_EIAME | IGB_GPIE_NSICR);
    qigb_wr(d, IGB_IVAR0, QIGB_MSIX_RX_VEC | IGB_IVAR_VALID);
    qigb_wr(d, IGB_EIAC, vec);
    qigb_wr(d, IGB_EIAM, vec);
    qigb_wr(d, IGB_EITR(QIGB_MSIX_RX_VEC), eitr);
    qigb_wr(d, IGB_EIMS, vec);
    qigb_ring_init(d, r, true, 0, 16, 2048, true);
    qigb_rx_start(d, r, 0, 0);
    qigb_rx_post(d, r, r->count - 1);
}

/* One frame in, the virtual clock standing still while it arrives */
static void eitr_rx(QIgb *d, IgbEnv *env, QIgbRing *r, unsigned seed)
{
    uint8_t frame[128];
    RxWait w = { .ring = r };

    make_frame(frame, sizeof(frame), igb_mac, seed);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(wait_no_clock(d, rx_done, &w));
    g_assert_cmpuint(w.info.length, ==, sizeof(frame));
    qigb_rx_post(d, r, 1);
}

/* The vector fired without the clock moving; re-arm it like igb does */
static void eitr_expect_now(QIgb *d)
{
    VecWait vw = { .vec = QIGB_MSIX_RX_VEC };

    g_assert_true(wait_no_clock(d, vec_fired, &vw));
    qigb_msix_clear(d, QIGB_MSIX_RX_VEC);
    qigb_wr(d, IGB_EIMS, BIT(QIGB_MSIX_RX_VEC));
}

static void eitr_step_us(QIgb *d, int64_t us)
{
    qtest_clock_step(qigb_qts(d), us * 1000);
}

/*
 * EITR[0] moderates the single interrupt of MSI and INTx modes (what
 * Linux's igb programs there): the first RX interrupt after a quiet time
 * is sent at once, the next ones wait for the interval's end.  The driver
 * acknowledges by reading ICR.
 */
typedef struct LegacyIrq {
    bool msi;
    MsgWait msg;
    IrqWait intx;
} LegacyIrq;

static bool legacy_fired(QIgb *d, void *opaque)
{
    LegacyIrq *l = opaque;

    return l->msi ? msg_written(d, &l->msg) : intx_asserted(d, &l->intx);
}

static void legacy_ack(QIgb *d, LegacyIrq *l)
{
    g_assert_cmphex(qigb_rd(d, IGB_ICR) & IGB_INT_RXT0, ==, IGB_INT_RXT0);
    if (l->msi) {
        qtest_writel(qigb_qts(d), l->msg.addr, 0);
    } else {
        assert_intx_low(d, &l->intx);
    }
}

static void eitr_legacy(QIgb *d, IgbEnv *env, QGuestAllocator *alloc,
                        bool msi)
{
    const int64_t interval = 500;           /* us */
    LegacyIrq l = { .msi = msi, .intx = { .pdev = &d->pdev, .irq = -1 } };
    uint64_t page = 0;
    uint16_t flags = 0;
    QIgbRing r;

    igb_init(d);
    if (msi) {
        page = guest_alloc(alloc, 4096);
        flags = msi_setup(d, page, &l.msg);
    } else {
        l.intx.irq = route_intx(d);
    }
    qigb_ring_init(d, &r, true, 0, 16, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);
    qigb_wr(d, IGB_EITR(0), interval << IGB_EITR_INTERVAL_SHIFT);
    qigb_wr(d, IGB_IMS, IGB_INT_RXT0);

    /* quiet before: at once */
    eitr_rx(d, env, &r, 1);
    g_assert_true(wait_no_clock(d, legacy_fired, &l));
    legacy_ack(d, &l);

    /* two more inside the interval: one interrupt at its end */
    eitr_rx(d, env, &r, 2);
    eitr_step_us(d, 200);
    eitr_rx(d, env, &r, 3);
    eitr_step_us(d, interval - 200 - 20);
    g_assert_false(legacy_fired(d, &l));
    eitr_step_us(d, 40);
    g_assert_true(legacy_fired(d, &l));
    legacy_ack(d, &l);
    eitr_step_us(d, 4 * interval);
    g_assert_false(legacy_fired(d, &l));

    /* quiet again: at once */
    eitr_rx(d, env, &r, 4);
    g_assert_true(wait_no_clock(d, legacy_fired, &l));
    legacy_ack(d, &l);

    qigb_ring_free(d, &r);
    if (msi) {
        qpci_config_writew(&d->pdev,
                           qpci_find_capability(&d->pdev, PCI_CAP_ID_MSI, 0) +
                           PCI_MSI_FLAGS, flags);
        guest_free(alloc, page);
    }
}

static void test_eitr_msi(void *obj, void *data, QGuestAllocator *alloc)
{
    eitr_legacy(obj, data, alloc, true);
}

static void test_eitr_intx(void *obj, void *data, QGuestAllocator *alloc)
{
    eitr_legacy(obj, data, alloc, false);
}

static void test_eitr(void *obj, void *data, QGuestAllocator *alloc)
{
    const int64_t interval = 500;           /* us */
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    int i;

    eitr_setup(d, &r, interval << IGB_EITR_INTERVAL_SHIFT);

    /* The first frame after a quiet time interrupts at once */
    eitr_rx(d, env, &r, 1);
    eitr_expect_now(d);

    /* Two more inside the interval: held back... */
    eitr_rx(d, env, &r, 2);
    eitr_step_us(d, 200);
    eitr_rx(d, env, &r, 3);
    eitr_step_us(d, interval - 200 - 20);
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_RX_VEC));

    /* ...until the interval is over, then one interrupt for both */
    eitr_step_us(d, 40);
    g_assert_true(qigb_msix_fired(d, QIGB_MSIX_RX_VEC));
    qigb_msix_clear(d, QIGB_MSIX_RX_VEC);
    qigb_wr(d, IGB_EIMS, BIT(QIGB_MSIX_RX_VEC));
    eitr_step_us(d, 4 * interval);
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_RX_VEC));

    /* Quiet for longer than the interval: immediate again */
    eitr_rx(d, env, &r, 4);
    eitr_expect_now(d);

    /* EITR 0: no moderation, every frame interrupts at once */
    eitr_step_us(d, 2 * interval);
    qigb_wr(d, IGB_EITR(QIGB_MSIX_RX_VEC), 0);
    for (i = 0; i < 4; i++) {
        eitr_rx(d, env, &r, 10 + i);
        eitr_expect_now(d);
    }
    qigb_ring_free(d, &r);
}

/*
 * Low latency interrupts: frames of an EtherType filter (ETQF at 0x5CB0)
 * with IMM_INT (bit 29) interrupt at once, even inside an EITR interval
 * that holds back ordinary frames.
 */
#define LLI_ETQF0       0x5CB0
#define LLI_ETYPE       0x88B6      /* not TEST_ETHERTYPE */

static void test_lli(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[128];
    RxWait w = { .ring = &r };

    eitr_setup(d, &r, 500 << IGB_EITR_INTERVAL_SHIFT);
    qigb_wr(d, LLI_ETQF0, LLI_ETYPE | BIT(26) | BIT(29));
    eitr_rx(d, env, &r, 1);
    eitr_expect_now(d);

    /* an ordinary frame inside the interval is held back */
    eitr_rx(d, env, &r, 2);
    g_assert_false(qigb_msix_fired(d, QIGB_MSIX_RX_VEC));

    /* the filtered EtherType goes through at once */
    make_frame(frame, sizeof(frame), igb_mac, 3);
    stw_be_p(frame + 12, LLI_ETYPE);
    sock_send_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(wait_no_clock(d, rx_done, &w));
    qigb_rx_post(d, &r, 1);
    eitr_expect_now(d);
    qigb_ring_free(d, &r);
}

/*
 * The interval field is 13 bits (14:2), igb_write_itr() masks with
 * 0x7ffc: up to 8191 us.  A wrong interval is reported as a failure
 * without aborting, so that the tests after this one still run.
 */
static void test_eitr_long(void *obj, void *data, QGuestAllocator *alloc)
{
    const int64_t interval = 6000;          /* us, needs bit 14 */
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    bool early, fired;

    eitr_setup(d, &r, interval << IGB_EITR_INTERVAL_SHIFT);
    eitr_rx(d, env, &r, 1);
    eitr_expect_now(d);
    eitr_rx(d, env, &r, 2);
    eitr_step_us(d, interval - 100);
    early = qigb_msix_fired(d, QIGB_MSIX_RX_VEC);
    eitr_step_us(d, 200);
    fired = qigb_msix_fired(d, QIGB_MSIX_RX_VEC);
    if (early || !fired) {
        g_test_message("EITR interval %" PRId64 " us: the held interrupt %s",
                       interval, early ? "came early" : "never came");
        g_test_fail();
    }
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Receive filters and frame handling */

/* @in with an 802.1Q tag (TPID 0x8100, @tci) after the addresses */
static size_t add_tag(uint8_t *out, const uint8_t *in, size_t len,
                      uint16_t tci)
{
    memcpy(out, in, 12);
    stw_be_p(out + 12, 0x8100);
    stw_be_p(out + 14, tci);
    memcpy(out + 16, in + 12, len - 12);
    return len + 4;
}

/* Send @frame; expect the next descriptor to carry @want */
static QIgbRxInfo rx_send_get(QIgb *d, IgbEnv *env, QIgbRing *r,
                              const uint8_t *frame, size_t len,
                              const uint8_t *want, size_t want_len)
{
    g_autofree uint8_t *got = g_malloc(want_len);
    QIgbRxInfo info;

    sock_send_frame(env->sv[0], frame, len);
    g_assert_true(qigb_rx_wait(d, r, &info));
    g_assert_cmpuint(info.length, ==, want_len);
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    qtest_memread(qigb_qts(d), info.buf, got, want_len);
    g_assert_cmpmem(got, want_len, want, want_len);
    qigb_rx_post(d, r, 1);
    return info;
}

/*
 * Send @frame, which the filters should drop, then a broadcast that
 * passes: the broadcast must be the next frame in the ring.
 */
static void rx_expect_dropped(QIgb *d, IgbEnv *env, QIgbRing *r,
                              const uint8_t *frame, size_t len)
{
    uint8_t mark[80];

    make_frame(mark, sizeof(mark), bcast_mac, 0xee);
    sock_send_frame(env->sv[0], frame, len);
    rx_send_get(d, env, r, mark, sizeof(mark), mark, sizeof(mark));
}

static void vlan_rx(QIgb *d, IgbEnv *env, bool adv)
{
    const uint16_t tci = 0x6123;            /* priority 3, VID 0x123 */
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t plain[200], tagged[204];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, adv);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);
    make_frame(plain, sizeof(plain), bcast_mac, 1);
    add_tag(tagged, plain, sizeof(plain), tci);

    /* CTRL.VME: the tag is stripped and reported in the descriptor */
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_VME);
    info = rx_send_get(d, env, &r, tagged, sizeof(tagged), plain,
                       sizeof(plain));
    g_assert_cmphex(info.status & IGB_RXD_STAT_VP, ==, IGB_RXD_STAT_VP);
    g_assert_cmphex(info.vlan, ==, tci);

    /* An untagged frame: no VP */
    info = rx_send_get(d, env, &r, plain, sizeof(plain), plain,
                       sizeof(plain));
    g_assert_cmphex(info.status & IGB_RXD_STAT_VP, ==, 0);

    /* Without VME the tag stays in the frame */
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) & ~IGB_CTRL_VME);
    rx_send_get(d, env, &r, tagged, sizeof(tagged), tagged, sizeof(tagged));
    qigb_ring_free(d, &r);
}

static void test_vlan_rx_legacy(void *obj, void *data, QGuestAllocator *alloc)
{
    vlan_rx(obj, data, false);
}

static void test_vlan_rx_adv(void *obj, void *data, QGuestAllocator *alloc)
{
    vlan_rx(obj, data, true);
}

static void test_vlan_filter(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint16_t vid = 0x123;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t plain[120], tagged[124];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, IGB_RCTL_VFE, 0);
    qigb_rx_post(d, &r, r.count - 1);
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_VME);
    make_frame(plain, sizeof(plain), bcast_mac, 2);

    /* Empty VFTA: every tagged frame is dropped */
    add_tag(tagged, plain, sizeof(plain), vid);
    rx_expect_dropped(d, env, &r, tagged, sizeof(tagged));

    /* VID listed (bit vid & 31 of VFTA[vid >> 5]): passes, any priority */
    qigb_wr(d, IGB_VFTA(vid >> 5), BIT(vid & 31));
    info = rx_send_get(d, env, &r, tagged, sizeof(tagged), plain,
                       sizeof(plain));
    g_assert_cmphex(info.vlan, ==, vid);
    add_tag(tagged, plain, sizeof(plain), 0xa000 | vid);
    info = rx_send_get(d, env, &r, tagged, sizeof(tagged), plain,
                       sizeof(plain));
    g_assert_cmphex(info.vlan, ==, 0xa000 | vid);

    /* Neighbouring VIDs in the same and in another table word: dropped */
    add_tag(tagged, plain, sizeof(plain), vid + 1);
    rx_expect_dropped(d, env, &r, tagged, sizeof(tagged));
    add_tag(tagged, plain, sizeof(plain), vid + 32);
    rx_expect_dropped(d, env, &r, tagged, sizeof(tagged));

    /* Untagged frames are not subject to the VLAN filter */
    rx_send_get(d, env, &r, plain, sizeof(plain), plain, sizeof(plain));

    /* VFE clear: the unlisted VID passes */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~IGB_RCTL_VFE);
    add_tag(tagged, plain, sizeof(plain), vid + 1);
    info = rx_send_get(d, env, &r, tagged, sizeof(tagged), plain,
                       sizeof(plain));
    g_assert_cmphex(info.vlan, ==, vid + 1);
    qigb_ring_free(d, &r);
}

/* Receive a frame the NIC tagged with @tci; return it with the tag taken out */
static size_t recv_untag(int fd, uint8_t *out, size_t max, uint16_t tci)
{
    g_autofree uint8_t *buf = g_malloc(max + 4);
    ssize_t n = sock_recv_frame(fd, buf, max + 4, SOCK_TIMEOUT_MS);

    g_assert_cmpint(n, >=, 18);
    g_assert_cmphex(lduw_be_p(buf + 12), ==, 0x8100);
    g_assert_cmphex(lduw_be_p(buf + 14), ==, tci);
    memcpy(out, buf, 12);
    memcpy(out + 12, buf + 16, n - 16);
    return n - 4;
}

/*
 * The NIC's tag and its checksum offloads together: offsets (MACLEN,
 * CSS/CSO) describe the frame in memory, the sums land in the right place
 * of the tagged frame.  Legacy IC, advanced TXSM/IXSM and TSO.
 */
static void test_vlan_tx_csum(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint16_t tci = 0x0123;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[1200], out[1300];
    uint32_t dw[4], ctx[4];
    size_t len, n, off;
    uint64_t ba;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 2048, false);
    qigb_tx_start(d, &r);

    /* legacy: TCP sum from CSS to the end, at CSO */
    len = make_ipv4(f, 6, 300, 1);
    stw_be_p(f + IP_OFF + 10, ~csum_fold(csum_add(0, f + IP_OFF, 20)));
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6,
                                                   len - L4_OFF)));
    ba = r.bufs[r.tail];
    qtest_memwrite(qigb_qts(d), ba, f, len);
    dw[0] = (uint32_t)ba;
    dw[1] = (uint32_t)(ba >> 32);
    dw[2] = len | (L4_OFF + 16) << 16 | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS |
            IGB_TXD_CMD_IC | IGB_TXD_CMD_RS | IGB_TXD_CMD_VLE;
    dw[3] = (uint32_t)tci << 16 | L4_OFF << 8;
    qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    n = recv_untag(env->sv[0], out, sizeof(out), tci);
    g_assert_cmpuint(n, ==, len);
    assert_ipv4_csums(out, n);

    /* advanced: IP and TCP checksums */
    len = make_ipv4(f, 6, 400, 2);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6,
                                                   len - L4_OFF)));
    ctx[0] = (uint32_t)tci << IGB_ADVTXD_VLAN_SHIFT | 20 |
             14 << IGB_ADVTXD_MACLEN_SHIFT;
    ctx[1] = 0;
    ctx[2] = IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | IGB_ADVTXD_TUCMD_IPV4 |
             IGB_TUCMD_L4T_TCP;
    ctx[3] = 0;
    qigb_tx_put_desc(d, &r, ctx);
    put_data(d, &r, f, len, IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS |
             IGB_TXD_CMD_VLE, len << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    qigb_tx_kick(d, &r);
    n = recv_untag(env->sv[0], out, sizeof(out), tci);
    g_assert_cmpuint(n, ==, len);
    assert_ipv4_csums(out, n);
    g_assert_cmpmem(out + L4_OFF + 20, n - L4_OFF - 20, f + L4_OFF + 20,
                    len - L4_OFF - 20);

    /* TSO: every segment tagged, with its sums right */
    len = make_tso4(f, 1100, 3);
    ctx[3] = 500 << 16 | 20 << 8;
    qigb_tx_put_desc(d, &r, ctx);
    put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP |
             IGB_TXD_CMD_RS | IGB_TXD_CMD_VLE,
             (len - L4_OFF - 20) << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    qigb_tx_kick(d, &r);
    for (off = 0; off < 1100; off += 500) {
        n = recv_untag(env->sv[0], out, sizeof(out), tci);
        g_assert_cmpuint(n, ==, L4_OFF + 20 + MIN(500, 1100 - off));
        assert_ipv4_csums(out, n);
        g_assert_cmpuint(ldl_be_p(out + L4_OFF + 4), ==, 1000 + off);
    }
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out), 100), ==,
                    -1);
    qigb_ring_free(d, &r);
}

static void test_vlan_tx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[300], want[304];
    uint32_t dw[4], ctx[4], idx;
    uint64_t ba;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);

    /* Legacy: CMD.VLE, the tag in the "special" field */
    make_frame(frame, sizeof(frame), bcast_mac, 1);
    add_tag(want, frame, sizeof(frame), 0x2345);
    ba = r.bufs[r.tail];
    qtest_memwrite(qigb_qts(d), ba, frame, sizeof(frame));
    dw[0] = (uint32_t)ba;
    dw[1] = (uint32_t)(ba >> 32);
    dw[2] = sizeof(frame) | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS |
            IGB_TXD_CMD_RS | IGB_TXD_CMD_VLE;
    dw[3] = 0x2345u << 16;
    idx = qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    sock_expect_frame(env->sv[0], want, sizeof(want));
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /* Without VLE the same descriptor sends the frame as it is */
    ba = r.bufs[r.tail];
    qtest_memwrite(qigb_qts(d), ba, frame, sizeof(frame));
    dw[0] = (uint32_t)ba;
    dw[1] = (uint32_t)(ba >> 32);
    dw[2] &= ~IGB_TXD_CMD_VLE;
    idx = qigb_tx_put_desc(d, &r, dw);
    qigb_tx_kick(d, &r);
    sock_expect_frame(env->sv[0], frame, sizeof(frame));
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));

    /* Advanced: the tag in the context, DCMD.VLE in the data descriptor */
    make_frame(frame, sizeof(frame), other_mac, 2);
    add_tag(want, frame, sizeof(frame), 0xe00f);
    ctx[0] = 0xe00fu << IGB_ADVTXD_VLAN_SHIFT | 14 << IGB_ADVTXD_MACLEN_SHIFT;
    ctx[1] = 0;
    ctx[2] = IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT;
    ctx[3] = 0;
    qigb_tx_put_desc(d, &r, ctx);
    idx = put_data(d, &r, frame, sizeof(frame), IGB_TXD_CMD_EOP |
                   IGB_TXD_CMD_RS | IGB_TXD_CMD_VLE,
                   sizeof(frame) << IGB_ADVTXD_PAYLEN_SHIFT);
    qigb_tx_kick(d, &r);
    sock_expect_frame(env->sv[0], want, sizeof(want));
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    g_assert_cmpint(sock_recv_frame(env->sv[0], frame, sizeof(frame), 100),
                    ==, -1);
    qigb_ring_free(d, &r);
}

/* The Ethernet FCS: CRC-32 (reflected 0xedb88320), sent low byte first */
static uint32_t eth_crc32(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffff;
    int k;

    while (len--) {
        crc ^= *p++;
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320 & -(crc & 1));
        }
    }
    return ~crc;
}

static void test_rx_crc(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[200], want[204];

    g_assert_cmphex(eth_crc32((const uint8_t *)"123456789", 9), ==,
                    0xcbf43926);
    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    /* SECRC clear: the four FCS bytes are stored after the frame */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~IGB_RCTL_SECRC);
    make_frame(frame, sizeof(frame), igb_mac, 1);
    memcpy(want, frame, sizeof(frame));
    stl_le_p(want + sizeof(frame), eth_crc32(frame, sizeof(frame)));
    rx_send_get(d, env, &r, frame, sizeof(frame), want, sizeof(want));

    /* SECRC set: stripped */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | IGB_RCTL_SECRC);
    make_frame(frame, sizeof(frame), igb_mac, 3);
    rx_send_get(d, env, &r, frame, sizeof(frame), frame, sizeof(frame));
    qigb_ring_free(d, &r);
}

/* Frames shorter than the 60 byte minimum are padded with zeroes */
static void test_rx_short(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[42], want[64];
    uint32_t i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    /* Dirty the buffers so that padding the device skips shows up */
    for (i = 0; i < r.count; i++) {
        qtest_memset(qigb_qts(d), r.bufs[i], 0xa5, r.buf_size);
    }
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    make_frame(frame, sizeof(frame), bcast_mac, 1);
    memset(want, 0, sizeof(want));
    memcpy(want, frame, sizeof(frame));
    rx_send_get(d, env, &r, frame, sizeof(frame), want, 60);

    /* Just the header */
    make_frame(frame, FRAME_HDR_LEN, igb_mac, 2);
    memset(want, 0, sizeof(want));
    memcpy(want, frame, FRAME_HDR_LEN);
    rx_send_get(d, env, &r, frame, FRAME_HDR_LEN, want, 60);

    /* With the FCS kept, it covers the padded frame */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~IGB_RCTL_SECRC);
    make_frame(frame, sizeof(frame), bcast_mac, 3);
    memset(want, 0, sizeof(want));
    memcpy(want, frame, sizeof(frame));
    stl_le_p(want + 60, eth_crc32(want, 60));
    rx_send_get(d, env, &r, frame, sizeof(frame), want, 64);
    qigb_ring_free(d, &r);
}

static void test_rx_oversize(void *obj, void *data, QGuestAllocator *alloc)
{
    const size_t jumbo = 9000;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    g_autofree uint8_t *frame = g_malloc(jumbo + 100);
    g_autofree uint8_t *got = g_malloc(jumbo);
    size_t off;
    uint32_t n;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 16, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);
    qigb_rd(d, IGB_ROC);

    /* LPE clear: 1518 bytes with FCS at most */
    make_frame(frame, 1600, bcast_mac, 1);
    rx_expect_dropped(d, env, &r, frame, 1600);
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 1);
    make_frame(frame, 1515, bcast_mac, 2);
    rx_expect_dropped(d, env, &r, frame, 1515);
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 1);
    make_frame(frame, 1514, bcast_mac, 3);
    rx_send_get(d, env, &r, frame, 1514, frame, 1514);
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 0);

    /* LPE with RLPML 9018: a 9000 byte frame fills five 2 KiB buffers */
    qigb_wr(d, IGB_RLPML, 9018);
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | IGB_RCTL_LPE);
    make_frame(frame, jumbo, igb_mac, 4);
    sock_send_frame(env->sv[0], frame, jumbo);
    for (off = 0, n = 0; off < jumbo; n++) {
        size_t chunk = MIN(r.buf_size, jumbo - off);

        g_assert_true(qigb_rx_wait(d, &r, &info));
        g_assert_cmpuint(info.length, ==, chunk);
        g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP),
                        ==, IGB_RXD_STAT_DD |
                        (off + chunk == jumbo ? IGB_RXD_STAT_EOP : 0));
        qtest_memread(qigb_qts(d), info.buf, got + off, chunk);
        off += chunk;
    }
    g_assert_cmpuint(n, ==, 5);
    g_assert_cmpmem(got, jumbo, frame, jumbo);
    qigb_rx_post(d, &r, n);

    /* ...and one longer than RLPML is dropped and counted */
    make_frame(frame, jumbo + 100, bcast_mac, 5);
    rx_expect_dropped(d, env, &r, frame, jumbo + 100);
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 1);
    qigb_ring_free(d, &r);
}

/* MTA bit for a multicast address with RCTL.MO = 0 (igb_hash_mc_addr) */
static void mta_set(QIgb *d, const uint8_t *da)
{
    uint32_t hash = ((da[4] >> 4) | (da[5] << 4)) & 0xfff;

    qigb_wr(d, IGB_MTA(hash >> 5),
            qigb_rd(d, IGB_MTA(hash >> 5)) | BIT(hash & 31));
}

static void test_multicast(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    /* Hashes to another MTA bit (0x341 rather than 0x010) */
    static const uint8_t other[6] = { 0x01, 0x00, 0x5e, 0x00, 0x12, 0x34 };
    /* Hashes like group, differs in bits the hash does not look at */
    static const uint8_t alias[6] = { 0x01, 0x00, 0x5e, 0x7f, 0x0f, 0x01 };
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t frame[100];
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);
    g_assert_cmphex(qigb_rd(d, IGB_RCTL) & IGB_RCTL_MO_MASK, ==, 0);
    for (i = 0; i < 128; i++) {
        g_assert_cmphex(qigb_rd(d, IGB_MTA(i)), ==, 0);
    }

    /* Empty table: no multicast */
    make_frame(frame, sizeof(frame), group, 1);
    rx_expect_dropped(d, env, &r, frame, sizeof(frame));

    /* The group's hash bit set: it passes, another group does not */
    mta_set(d, group);
    rx_send_get(d, env, &r, frame, sizeof(frame), frame, sizeof(frame));
    make_frame(frame, sizeof(frame), other, 2);
    rx_expect_dropped(d, env, &r, frame, sizeof(frame));
    /* An imperfect filter: whatever hashes the same passes too */
    make_frame(frame, sizeof(frame), alias, 3);
    rx_send_get(d, env, &r, frame, sizeof(frame), frame, sizeof(frame));

    /* MPE: every multicast passes */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | IGB_RCTL_MPE);
    make_frame(frame, sizeof(frame), other, 4);
    rx_send_get(d, env, &r, frame, sizeof(frame), frame, sizeof(frame));
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Loopback */

/* A frame sent comes back into the RX ring and not out on the wire */
static void loopback_check(QIgb *d, IgbEnv *env, QIgbRing *tx, QIgbRing *rx,
                           unsigned seed)
{
    uint8_t frame[300];
    uint32_t idx;

    make_frame(frame, sizeof(frame), bcast_mac, seed);
    idx = qigb_tx_adv(d, tx, frame, sizeof(frame));
    rx_expect(d, rx, frame, sizeof(frame));
    qigb_rx_post(d, rx, 1);
    g_assert_true(qigb_tx_wait_dd(d, tx, idx));
    g_assert_cmpint(sock_recv_frame(env->sv[0], frame, sizeof(frame), 200),
                    ==, -1);
}

/* Out of loopback the frame goes to the wire again, not to the ring */
static void loopback_off_check(QIgb *d, IgbEnv *env, QIgbRing *tx,
                               QIgbRing *rx)
{
    QIgbRxInfo info;

    tx_one(d, tx, env->sv[0], 200, 0x55, true);
    settle(d, 10);
    g_assert_false(qigb_rx_poll(d, rx, &info));
}

static void loopback_rings(QIgb *d, QIgbRing *tx, QIgbRing *rx)
{
    qigb_ring_init(d, tx, false, 0, 8, 2048, true);
    qigb_tx_start(d, tx);
    qigb_ring_init(d, rx, true, 0, 8, 2048, true);
    qigb_rx_start(d, rx, IGB_RCTL_UPE | IGB_RCTL_MPE, 0);
    qigb_rx_post(d, rx, rx->count - 1);
}

static void test_loopback_phy(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing tx, rx;
    uint16_t ctrl;

    igb_init(d);
    loopback_rings(d, &tx, &rx);
    g_assert_true(qigb_phy_read(d, IGB_PHY_ADDR, IGB_PHY_CTRL, &ctrl));

    /* What igb_integrated_phy_loopback() does: PHY 0x4140, MAC forced */
    g_assert_true(qigb_phy_write(d, IGB_PHY_ADDR, IGB_PHY_CTRL, 0x4140));
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_FRCSPD |
            IGB_CTRL_FRCDPX | IGB_CTRL_SPD_1000 | IGB_CTRL_FD |
            IGB_CTRL_SLU);
    loopback_check(d, env, &tx, &rx, 1);
    loopback_check(d, env, &tx, &rx, 2);

    g_assert_true(qigb_phy_write(d, IGB_PHY_ADDR, IGB_PHY_CTRL,
                                 ctrl & ~IGB_PHY_CTRL_LOOPBACK));
    loopback_off_check(d, env, &tx, &rx);
    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

/* RXCSUM */
#define RXCS_IPOFL          (1u << 8)
#define RXCS_TUOFL          (1u << 9)
#define RXCS_PCSD           (1u << 13)

/*
 * A frame from a TX buffer at an odd address, looped back with receive
 * checksum offload on: the receive side reads it where the guest put it
 * and must not assume any alignment (the fuzzer found a misaligned
 * struct access there, which UBSan reports: make check-asan).
 */
static void loopback_odd_buffer(QIgb *d, QGuestAllocator *alloc,
                                QIgbRing *tx, QIgbRing *rx)
{
    uint64_t buf = guest_alloc(alloc, 512);
    uint8_t frame[64];
    uint32_t idx;
    uint32_t dw[4] = {
        (uint32_t)(buf + 1), (uint32_t)((buf + 1) >> 32),
        sizeof(frame) | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT |
        IGB_TXD_CMD_IFCS | IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS,
        sizeof(frame) << IGB_ADVTXD_PAYLEN_SHIFT,
    };

    qigb_wr(d, IGB_RXCSUM, RXCS_IPOFL | RXCS_TUOFL);
    make_frame(frame, sizeof(frame), bcast_mac, 3);
    qtest_memwrite(qigb_qts(d), buf + 1, frame, sizeof(frame));
    idx = qigb_tx_put_desc(d, tx, dw);
    qigb_tx_kick(d, tx);
    rx_expect(d, rx, frame, sizeof(frame));
    qigb_rx_post(d, rx, 1);
    g_assert_true(qigb_tx_wait_dd(d, tx, idx));
    qigb_wr(d, IGB_RXCSUM, 0);
    guest_free(alloc, buf);
}

static void test_loopback_mac(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing tx, rx;

    igb_init(d);
    loopback_rings(d, &tx, &rx);

    /* RCTL.LBM = 01 */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | IGB_RCTL_LBM_MAC);
    loopback_check(d, env, &tx, &rx, 1);
    loopback_check(d, env, &tx, &rx, 2);
    loopback_odd_buffer(d, alloc, &tx, &rx);

    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~IGB_RCTL_LBM_MAC);
    loopback_off_check(d, env, &tx, &rx);
    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

/* ------------------------------------------------------------------ */
/* Command line */

/*
 * Run QEMU with @args; return its exit status (-1 if it did not exit) and
 * its standard error in @err.  Whatever @args ask for, QEMU must not live
 * on: end them with an option that fails.
 */
static int run_qemu(const char *args, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s %s",
                                           g_getenv("QTEST_QEMU_BINARY"),
                                           args);
    g_auto(GStrv) argv = NULL;
    GError *gerr = NULL;
    int status;

    g_shell_parse_argv(cmd, NULL, &argv, &gerr);
    g_assert_no_error(gerr);
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                 NULL, err, &status, &gerr);
    g_assert_no_error(gerr);
    g_test_message("%s: status %d, %s", args, status, *err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define CLI_BASE    "-M q35 -nodefaults -display none -accel qtest -S "
#define CLI_FAIL    " -device no-such-device-for-igb-test"

static void test_cli_max_vfs(void)
{
    g_autofree char *err = NULL, *err_ok = NULL;

    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        return;
    }

    /* The 82576 has eight VFs: asking for nine is an error */
    g_assert_cmpint(run_qemu(CLI_BASE "-device igb,max-vfs=9" CLI_FAIL, &err),
                    >, 0);
    g_assert_nonnull(strstr(err, "max-vfs"));
    g_assert_null(strstr(err, "no-such-device"));

    /* Eight is fine: QEMU gets as far as the next (bad) option */
    g_assert_cmpint(run_qemu(CLI_BASE "-device igb,max-vfs=8" CLI_FAIL,
                             &err_ok), >, 0);
    g_assert_null(strstr(err_ok, "max-vfs"));
    g_assert_nonnull(strstr(err_ok, "no-such-device"));
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
    qos_add_test("eeprom-write", "igb", test_eeprom_write, &opts);
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
    qos_add_test("tx-ctx-midframe", "igb", test_tx_ctx_midframe, &opts);
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
    qos_add_test("tx-hostile-chains", "igb", test_tx_hostile_chains, &opts);
    qos_add_test("dma-own-regs", "igb", test_dma_own_regs, &opts);
    qos_add_test("hostile-rx", "igb", test_hostile_rx, &opts);
    qos_add_test("rx-ring-moves", "igb", test_rx_ring_moves, &opts);
    qos_add_test("hostile-offload", "igb", test_hostile_offload, &opts);
    qos_add_test("hostile-rx-frames", "igb", test_hostile_rx_frames, &opts);
    qos_add_test("link", "igb", test_link, &opts);
    qos_add_test("eitr", "igb", test_eitr, &opts);
    qos_add_test("eitr-long", "igb", test_eitr_long, &opts);
    qos_add_test("eitr-msi", "igb", test_eitr_msi, &opts);
    qos_add_test("eitr-intx", "igb", test_eitr_intx, &opts);
    qos_add_test("lli", "igb", test_lli, &opts);
    qos_add_test("tx-head-wb", "igb", test_tx_head_wb, &opts);
    qos_add_test("vlan-rx-legacy", "igb", test_vlan_rx_legacy, &opts);
    qos_add_test("vlan-rx-adv", "igb", test_vlan_rx_adv, &opts);
    qos_add_test("vlan-filter", "igb", test_vlan_filter, &opts);
    qos_add_test("vlan-tx", "igb", test_vlan_tx, &opts);
    qos_add_test("vlan-tx-csum", "igb", test_vlan_tx_csum, &opts);
    qos_add_test("rx-crc", "igb", test_rx_crc, &opts);
    qos_add_test("rx-short", "igb", test_rx_short, &opts);
    qos_add_test("rx-oversize", "igb", test_rx_oversize, &opts);
    qos_add_test("multicast", "igb", test_multicast, &opts);
    qos_add_test("loopback-phy", "igb", test_loopback_phy, &opts);
    qos_add_test("loopback-mac", "igb", test_loopback_mac, &opts);
    qtest_add_func("igb/cli-max-vfs", test_cli_max_vfs);
out:
#endif
    qtest_add_func("igb/pcie-extcaps", test_pcie_extcaps);
}

libqos_init(igb_register_tests);

/* ------------------------------------------------------------------ */
/* Offloads and filters */

/*
 * Receive checksum and packet type reporting, where the RSS hash goes,
 * queue steering filters (EtherType, TCP SYN, 5-tuple), the IEEE 1588
 * clock and time stamps, header split, and the EEPROM's SPI interface
 * behind EECD.  Bits and registers as e1000_defines.h, e1000_82575.h,
 * e1000_regs.h, igb_ptp.c and e1000_nvm.c of the Linux igb driver use
 * them.
 */

#ifndef _WIN32

/* Receive status: the same bits in the advanced status and legacy byte */
#define RXD_IXSM            (1u << 2)       /* legacy only */
#define RXD_UDPCS           (1u << 4)
#define RXD_L4CS            (1u << 5)       /* TCPCS */
#define RXD_IPCS            (1u << 6)
#define RXD_TS              (1u << 16)      /* advanced only */
/* Errors: bits 31:20 of the advanced status/error dword... */
#define RXD_ADV_ERRS        0xfff00000u
#define RXD_ADV_TCPE        (1u << 29)
#define RXD_ADV_IPE         (1u << 30)
/* ...and the legacy errors byte, bits 15:8 of QIgbRxInfo.status */
#define RXD_LEG_ERRS        0xff00u
#define RXD_LEG_TCPE        (0x20u << 8)
#define RXD_LEG_IPE         (0x40u << 8)

/* Advanced write-back dword 0: RSS type, packet type, header info */
#define WB_RSS_TYPE(dw0)    ((dw0) & 0xf)
#define WB_PKT_TYPE(dw0)    ((dw0) & 0xfff0)
#define WB_HDR_LEN(dw0)     (((dw0) >> 21) & 0x3ff)
#define WB_SPH              (1u << 31)
#define PKT_IPV4            0x010
#define PKT_IPV6            0x040
#define PKT_TCP             0x100
#define PKT_UDP             0x200

/* RSS (no VMDq) */
#define OF_MRQC             0x05818
#define OF_MRQC_RSS_V4      (2u | 1u << 16 | 1u << 17)  /* IPv4, IPv4/TCP */
#define OF_RETA(i)          (0x05c00 + 4 * (i))
#define OF_RSSRK(i)         (0x05c80 + 4 * (i))

/* Queue steering filters */
#define ETQF(n)             (0x05cb0 + 4 * (n))
#define ETQF_FILTER_EN      (1u << 26)
#define ETQF_1588           (1u << 30)
#define ETQF_QUEUE_EN       (1u << 31)
#define ETQF_QUEUE(q)       ((uint32_t)(q) << 16)
#define SYNQF               0x055fc
#define SYNQF_EN            (1u << 0)
#define SYNQF_QUEUE(q)      ((uint32_t)(q) << 1)
#define SAQF(n)             (0x05980 + 4 * (n))
#define DAQF(n)             (0x059a0 + 4 * (n))
#define SPQF(n)             (0x059c0 + 4 * (n))
#define FTQF(n)             (0x059e0 + 4 * (n))
#define FTQF_QUEUE_EN       (1u << 8)
#define FTQF_VF_BP          (1u << 15)
#define FTQF_QUEUE(q)       ((uint32_t)(q) << 16)
#define FTQF_1588           (1u << 27)
#define FTQF_PROTO_BP       (1u << 28)
#define FTQF_SRC_ADDR_BP    (1u << 29)
#define FTQF_DST_ADDR_BP    (1u << 30)
#define FTQF_SRC_PORT_BP    (1u << 31)
#define IMIR(n)             (0x05a80 + 4 * (n))
#define IMIR_PORT_BP        (1u << 17)
#define IMIREXT(n)          (0x05aa0 + 4 * (n))
#define IMIREXT_SIZE_BP     (1u << 12)
#define IMIREXT_CTRL_BP     (1u << 19)

/* IEEE 1588 */
#define SYSTIML             0x0b600
#define SYSTIMH             0x0b604
#define TIMINCA             0x0b608
#define TIMADJL             0x0b60c
#define TIMADJH             0x0b610
#define TSYNCTXCTL          0x0b614
#define TXSTMPL             0x0b618
#define TXSTMPH             0x0b61c
#define TSYNCRXCTL          0x0b620
#define RXSTMPL             0x0b624
#define RXSATRL             0x0b62c
#define RXSATRH             0x0b630
#define RXSTMPH             0x0b628
#define TSYNCRXCFG          0x05f50
#define TSYNC_VALID         (1u << 0)
#define TSYNC_ENABLED       (1u << 4)
#define TSYNCRXCTL_EVENT_V2 0x0a
#define TIMINCA_PERIOD(p)   ((uint32_t)(p) << 24)       /* in 16 ns */
#define TIMINCA_82576       (TIMINCA_PERIOD(1) | 16u << 19) /* igb_ptp.c */
#define SYSTIM_PER_NS       (1ull << 19)                /* with that */
#define TIMADJ_SIGN         (1u << 31)
#define ADVTXD_MAC_TSTAMP   (1u << 19)
#define ETH_P_PTP           0x88f7
#define PTP_EV_PORT         319
#define PTP_GEN_PORT        320
#define PTP_SYNC            0x0
#define PTP_FOLLOW_UP       0x8
#define PTP_MSG_LEN         44

/* SRRCTL: header buffer size and descriptor types */
#define SRRCTL_BSIZEHDR(b)  ((uint32_t)(b) / 64 << 8)
#define SRRCTL_DESC_SPLIT   (2u << 25)
#define SRRCTL_DESC_ALWAYS  (5u << 25)

/* EECD pins and the SPI EEPROM's commands */
#define EECD_SK             (1u << 0)
#define EECD_CS             (1u << 1)
#define EECD_DI             (1u << 2)
#define EECD_DO             (1u << 3)
#define EECD_REQ            (1u << 6)
#define EECD_GNT            (1u << 7)
#define EECD_ADDR_BITS      (1u << 10)
#define SPI_WRITE           0x02
#define SPI_READ            0x03
#define SPI_RDSR            0x05
#define SPI_WREN            0x06
#define SPI_SR_BUSY         0x01    /* NVM_STATUS_RDY_SPI: clear when ready */
#define SPI_SR_WEL          0x02    /* write enable latch */

static const uint8_t ptp_mac[6] = { 0x01, 0x1b, 0x19, 0x00, 0x00, 0x00 };

/* Frames */

/* Fill in the IPv4 header checksum and the TCP or UDP checksum */
static void ipv4_fix_csums(uint8_t *f)
{
    uint8_t *ip = f + IP_OFF;
    size_t ihl = (ip[0] & 0xf) * 4;
    size_t l4len = lduw_be_p(ip + 2) - ihl;
    uint8_t *l4 = ip + ihl;
    size_t cso = ip[9] == 6 ? 16 : 6;
    uint16_t sum;

    g_assert(ip[9] == 6 || ip[9] == 17);
    stw_be_p(ip + 10, 0);
    stw_be_p(ip + 10, ~csum_fold(csum_add(0, ip, ihl)));
    stw_be_p(l4 + cso, 0);
    sum = ~csum_fold(pseudo_sum(ip, ip[9], l4len) + csum_add(0, l4, l4len));
    stw_be_p(l4 + cso, ip[9] == 17 && !sum ? 0xffff : sum);
}

/* A TCP or UDP frame over IPv4 with correct checksums */
static size_t make_ipv4_ok(uint8_t *f, uint8_t proto, size_t payload,
                           unsigned seed)
{
    size_t len = make_ipv4(f, proto, payload, seed);

    ipv4_fix_csums(f);
    return len;
}

/* fe80::1 -> fe80::2, TCP or UDP, ports 1234 -> 5678, correct checksum */
static size_t make_ipv6(uint8_t *f, uint8_t proto, size_t payload,
                        unsigned seed)
{
    size_t l4len = proto == 6 ? 20 : 8;
    size_t len = IP_OFF + 40 + l4len + payload;
    uint8_t *ip = f + IP_OFF, *l4 = ip + 40;
    uint32_t sum;
    uint16_t cs;

    make_frame(f, len, bcast_mac, seed);
    stw_be_p(f + 12, 0x86dd);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    stw_be_p(ip + 4, l4len + payload);
    ip[6] = proto;
    ip[7] = 64;
    stw_be_p(ip + 8, 0xfe80);
    ip[23] = 1;
    stw_be_p(ip + 24, 0xfe80);
    ip[39] = 2;
    memset(l4, 0, l4len);
    stw_be_p(l4, 1234);
    stw_be_p(l4 + 2, 5678);
    if (proto == 6) {
        stl_be_p(l4 + 4, 1000);
        l4[12] = 5 << 4;
        l4[13] = 0x18;
        stw_be_p(l4 + 14, 0x2000);
    } else {
        stw_be_p(l4 + 4, l4len + payload);
    }
    sum = csum_add(0, ip + 8, 32) + proto + l4len + payload +
          csum_add(0, l4, l4len + payload);
    cs = ~csum_fold(sum);
    stw_be_p(l4 + (proto == 6 ? 16 : 6), proto == 17 && !cs ? 0xffff : cs);
    return len;
}

/* A frame of some other EtherType */
static size_t make_etype(uint8_t *f, const uint8_t *dst, uint16_t etype,
                         unsigned seed)
{
    make_frame(f, 96, dst, seed);
    stw_be_p(f + 12, etype);
    return 96;
}

/* A PTPv2 message header (IEEE 1588-2008 13.3), the body all zeroes */
static void ptp_msg(uint8_t *p, uint8_t type, uint16_t seq)
{
    memset(p, 0, PTP_MSG_LEN);
    p[0] = type;                    /* transportSpecific 0 */
    p[1] = 2;                       /* versionPTP */
    stw_be_p(p + 2, PTP_MSG_LEN);
    for (int i = 0; i < 10; i++) {
        p[20 + i] = 0xa0 + i;       /* sourcePortIdentity */
    }
    stw_be_p(p + 30, seq);
    p[32] = type == PTP_SYNC ? 0 : 2;   /* controlField */
}

/* Where the PTP header of a frame from make_ptp_l2/l4 starts */
static size_t ptp_off(const uint8_t *f)
{
    if (lduw_be_p(f + 12) == ETH_P_PTP) {
        return FRAME_HDR_LEN;
    }
    return L4_OFF + (f[IP_OFF + 9] == 6 ? 20 : 8);
}

/* PTP over Ethernet, to the PTP multicast address */
static size_t make_ptp_l2(uint8_t *f, uint8_t type, uint16_t seq)
{
    size_t len = FRAME_HDR_LEN + PTP_MSG_LEN + 6;

    make_frame(f, len, ptp_mac, seq);
    stw_be_p(f + 12, ETH_P_PTP);
    ptp_msg(f + FRAME_HDR_LEN, type, seq);
    return len;
}

/* PTP over UDP/IPv4 (or another IP protocol) */
static size_t make_ptp_l4(uint8_t *f, uint8_t proto, uint16_t sport,
                          uint16_t dport, uint16_t seq)
{
    size_t len = make_ipv4(f, proto, PTP_MSG_LEN, seq);
    size_t l4len = proto == 6 ? 20 : 8;

    stw_be_p(f + L4_OFF, sport);
    stw_be_p(f + L4_OFF + 2, dport);
    ptp_msg(f + L4_OFF + l4len, PTP_SYNC, seq);
    ipv4_fix_csums(f);
    return len;
}

/* Receive helpers */

/* The four dwords of descriptor @idx as the device left them */
static void desc_read(QIgb *d, QIgbRing *r, uint32_t idx, uint32_t wb[4])
{
    int i;

    qtest_memread(qigb_qts(d), r->desc + (uint64_t)idx * IGB_DESC_SIZE, wb,
                  4 * sizeof(uint32_t));
    for (i = 0; i < 4; i++) {
        wb[i] = le32_to_cpu(wb[i]);
    }
}

/*
 * Send @f; it must arrive whole in the next descriptor of @r.  Returns
 * what qigb_rx_poll() saw, with the raw write-back in @wb, and gives the
 * descriptor back to the device.
 */
static QIgbRxInfo rx_wb(QIgb *d, IgbEnv *env, QIgbRing *r, const uint8_t *f,
                        size_t len, uint32_t wb[4])
{
    g_autofree uint8_t *got = g_malloc(len);
    QIgbRxInfo info;

    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_rx_wait(d, r, &info));
    g_assert_cmpuint(info.length, ==, len);
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    qtest_memread(qigb_qts(d), info.buf, got, len);
    g_assert_cmpmem(got, len, f, len);
    desc_read(d, r, info.index, wb);
    qigb_rx_post(d, r, 1);
    return info;
}

/* ------------------------------------------------------------------ */
/* Receive checksum offload */

enum {
    CS_TCP,             /* good IPv4/TCP */
    CS_UDP,             /* good IPv4/UDP */
    CS_BAD_IP,          /* IPv4 header checksum wrong, TCP fine */
    CS_BAD_TCP,         /* TCP checksum wrong, IPv4 header fine */
    CS_BAD_UDP,         /* UDP checksum wrong */
    CS_RAW,             /* not IP */
};

static size_t csum_frame(uint8_t *f, int kind, unsigned seed)
{
    size_t len;

    switch (kind) {
    case CS_RAW:
        return make_etype(f, bcast_mac, TEST_ETHERTYPE, seed);
    case CS_UDP:
    case CS_BAD_UDP:
        len = make_ipv4_ok(f, 17, 100, seed);
        break;
    default:
        len = make_ipv4_ok(f, 6, 100, seed);
        break;
    }
    if (kind == CS_BAD_IP) {
        f[IP_OFF + 8]--;            /* TTL: not in the TCP pseudo header */
    } else if (kind == CS_BAD_TCP || kind == CS_BAD_UDP) {
        f[len - 1] ^= 0xff;         /* payload */
    }
    return len;
}

/* Advanced descriptors: @sta and @err (advanced positions) for the frame */
static void csum_adv(QIgb *d, IgbEnv *env, QIgbRing *r, uint32_t rxcsum,
                     int kind, uint32_t sta, uint32_t err)
{
    const uint32_t all = RXD_IPCS | RXD_L4CS | RXD_UDPCS;
    uint8_t f[200];
    size_t len = csum_frame(f, kind, kind + 1);
    uint32_t wb[4];
    QIgbRxInfo info;

    qigb_wr(d, IGB_RXCSUM, rxcsum);
    info = rx_wb(d, env, r, f, len, wb);
    g_test_message("RXCSUM %03x, frame kind %d: status/error %08x", rxcsum,
                   kind, info.status);
    if (kind == CS_UDP || kind == CS_BAD_UDP) {
        /* L4I/TCPCS may or may not come with UDPCS: not checked */
        g_assert_cmphex(info.status & (all & ~RXD_L4CS), ==, sta);
    } else {
        g_assert_cmphex(info.status & all, ==, sta);
    }
    g_assert_cmphex(info.status & RXD_ADV_ERRS, ==, err);
}

static void test_rx_csum(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint32_t both = RXCS_IPOFL | RXCS_TUOFL;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 16, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    /* Both offloads on */
    csum_adv(d, env, &r, both, CS_TCP, RXD_IPCS | RXD_L4CS, 0);
    csum_adv(d, env, &r, both, CS_UDP, RXD_IPCS | RXD_UDPCS, 0);
    csum_adv(d, env, &r, both, CS_BAD_IP, RXD_IPCS | RXD_L4CS, RXD_ADV_IPE);
    csum_adv(d, env, &r, both, CS_BAD_TCP, RXD_IPCS | RXD_L4CS,
             RXD_ADV_TCPE);
    csum_adv(d, env, &r, both, CS_BAD_UDP, RXD_IPCS | RXD_UDPCS,
             RXD_ADV_TCPE);
    csum_adv(d, env, &r, both, CS_RAW, 0, 0);

    /* Each one alone */
    csum_adv(d, env, &r, RXCS_IPOFL, CS_TCP, RXD_IPCS, 0);
    csum_adv(d, env, &r, RXCS_IPOFL, CS_BAD_IP, RXD_IPCS, RXD_ADV_IPE);
    csum_adv(d, env, &r, RXCS_IPOFL, CS_BAD_TCP, RXD_IPCS, 0);
    csum_adv(d, env, &r, RXCS_TUOFL, CS_TCP, RXD_L4CS, 0);
    csum_adv(d, env, &r, RXCS_TUOFL, CS_BAD_TCP, RXD_L4CS, RXD_ADV_TCPE);
    csum_adv(d, env, &r, RXCS_TUOFL, CS_BAD_IP, RXD_L4CS, 0);

    /* Both off: nothing is checked, nothing reported */
    csum_adv(d, env, &r, 0, CS_TCP, 0, 0);
    csum_adv(d, env, &r, 0, CS_UDP, 0, 0);
    csum_adv(d, env, &r, 0, CS_BAD_IP, 0, 0);
    csum_adv(d, env, &r, 0, CS_BAD_TCP, 0, 0);
    qigb_ring_free(d, &r);
}

/* Legacy descriptors: status byte and errors byte (bits 15:8) */
static void csum_legacy(QIgb *d, IgbEnv *env, QIgbRing *r, uint32_t rxcsum,
                        int kind, uint32_t sta, uint32_t err)
{
    const uint32_t all = RXD_IXSM | RXD_IPCS | RXD_L4CS | RXD_UDPCS;
    uint8_t f[200];
    size_t len = csum_frame(f, kind, kind + 1);
    uint32_t wb[4];
    QIgbRxInfo info;

    qigb_wr(d, IGB_RXCSUM, rxcsum);
    info = rx_wb(d, env, r, f, len, wb);
    g_test_message("RXCSUM %03x, frame kind %d: status %02x errors %02x",
                   rxcsum, kind, info.status & 0xff, info.status >> 8);
    if (kind == CS_UDP || kind == CS_BAD_UDP) {
        g_assert_cmphex(info.status & (all & ~RXD_L4CS), ==, sta);
    } else {
        g_assert_cmphex(info.status & all, ==, sta);
    }
    g_assert_cmphex(info.status & RXD_LEG_ERRS, ==, err);
}

static void test_rx_csum_legacy(void *obj, void *data,
                                QGuestAllocator *alloc)
{
    const uint32_t both = RXCS_IPOFL | RXCS_TUOFL;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 16, 2048, false);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    csum_legacy(d, env, &r, both, CS_TCP, RXD_IPCS | RXD_L4CS, 0);
    csum_legacy(d, env, &r, both, CS_UDP, RXD_IPCS | RXD_UDPCS, 0);
    csum_legacy(d, env, &r, both, CS_BAD_IP, RXD_IPCS | RXD_L4CS,
                RXD_LEG_IPE);
    csum_legacy(d, env, &r, both, CS_BAD_TCP, RXD_IPCS | RXD_L4CS,
                RXD_LEG_TCPE);
    csum_legacy(d, env, &r, both, CS_BAD_UDP, RXD_IPCS | RXD_UDPCS,
                RXD_LEG_TCPE);
    /* Nothing checked: IXSM says to ignore the (absent) results */
    csum_legacy(d, env, &r, both, CS_RAW, RXD_IXSM, 0);
    csum_legacy(d, env, &r, 0, CS_TCP, RXD_IXSM, 0);
    csum_legacy(d, env, &r, 0, CS_BAD_TCP, RXD_IXSM, 0);
    csum_legacy(d, env, &r, 0, CS_BAD_IP, RXD_IXSM, 0);
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Packet type and the RSS hash in the advanced write-back */

static void pkt_type_expect(QIgb *d, IgbEnv *env, QIgbRing *r,
                            const uint8_t *f, size_t len, uint32_t type)
{
    uint32_t wb[4];

    rx_wb(d, env, r, f, len, wb);
    g_test_message("dword 0 %08x, packet type 0x%x expected", wb[0], type);
    g_assert_cmphex(WB_PKT_TYPE(wb[0]), ==, type);
}

/* Send @f, return the write-back's dword 1 and its RSS type */
static uint32_t rss_dword1(QIgb *d, IgbEnv *env, QIgbRing *r,
                           const uint8_t *f, size_t len, uint32_t *type)
{
    uint32_t wb[4];

    rx_wb(d, env, r, f, len, wb);
    *type = WB_RSS_TYPE(wb[0]);
    return wb[1];
}

static void test_rx_pkt_type(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[300], f2[300];
    uint32_t hash, hash2, dw1, type;
    size_t len, len2;
    int i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 16, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);

    len = make_ipv4_ok(f, 6, 100, 1);
    pkt_type_expect(d, env, &r, f, len, PKT_IPV4 | PKT_TCP);
    len = make_ipv4_ok(f, 17, 100, 2);
    pkt_type_expect(d, env, &r, f, len, PKT_IPV4 | PKT_UDP);
    len = make_ipv4(f, 1, 100, 3);          /* ICMP: IPv4 only */
    stw_be_p(f + IP_OFF + 10, ~csum_fold(csum_add(0, f + IP_OFF, 20)));
    pkt_type_expect(d, env, &r, f, len, PKT_IPV4);
    len = make_ipv6(f, 6, 100, 4);
    pkt_type_expect(d, env, &r, f, len, PKT_IPV6 | PKT_TCP);
    len = make_ipv6(f, 17, 100, 5);
    pkt_type_expect(d, env, &r, f, len, PKT_IPV6 | PKT_UDP);
    len = make_etype(f, bcast_mac, TEST_ETHERTYPE, 6);
    pkt_type_expect(d, env, &r, f, len, 0);

    /* RSS over IPv4 and IPv4/TCP, every RETA entry on queue 0 */
    for (i = 0; i < 32; i++) {
        qigb_wr(d, OF_RETA(i), 0);
    }
    for (i = 0; i < 10; i++) {
        qigb_wr(d, OF_RSSRK(i), 0x6d5a56da ^ (0x01010101u * i * 37));
    }
    qigb_wr(d, OF_MRQC, OF_MRQC_RSS_V4);

    /* PCSD: dword 1 holds the hash, the same for the same flow */
    qigb_wr(d, IGB_RXCSUM, RXCS_IPOFL | RXCS_TUOFL | RXCS_PCSD);
    len = make_ipv4_ok(f, 6, 100, 7);
    len2 = make_ipv4_ok(f2, 6, 100, 8);
    stw_be_p(f2 + L4_OFF, 4321);            /* another flow */
    ipv4_fix_csums(f2);
    hash = rss_dword1(d, env, &r, f, len, &type);
    g_test_message("TCP hash %08x, type %u", hash, type);
    g_assert_cmphex(hash, !=, 0);
    g_assert_cmpuint(type, ==, 1);          /* IPv4/TCP */
    g_assert_cmphex(rss_dword1(d, env, &r, f, len, &type), ==, hash);
    hash2 = rss_dword1(d, env, &r, f2, len2, &type);
    g_test_message("other flow: hash %08x", hash2);
    g_assert_cmphex(hash2, !=, 0);
    g_assert_cmphex(hash2, !=, hash);

    /* Without PCSD dword 1 is the IP ID and packet checksum: no hash */
    qigb_wr(d, IGB_RXCSUM, RXCS_IPOFL | RXCS_TUOFL);
    dw1 = rss_dword1(d, env, &r, f, len, &type);
    g_test_message("without PCSD: dword 1 %08x", dw1);
    g_assert_cmphex(dw1, !=, hash);
    dw1 = rss_dword1(d, env, &r, f2, len2, &type);
    g_assert_cmphex(dw1, !=, hash2);
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Queue steering: EtherType, SYN and 5-tuple filters */

#define STEER_QUEUES        4

/* Waiting for a frame on any of @n rings: which one (@q), and its info */
typedef struct RingsWait {
    QIgbRing *r;
    int n;
    QIgbRxInfo info;
    int q;
} RingsWait;

static bool rings_rx_any(QIgb *d, void *opaque)
{
    RingsWait *w = opaque;

    for (w->q = 0; w->q < w->n; w->q++) {
        if (qigb_rx_poll(d, &w->r[w->q], &w->info)) {
            return true;
        }
    }
    return false;
}

/* @f must land whole in queue @q and nowhere else; returns its status */
static uint32_t steer_expect(QIgb *d, IgbEnv *env, QIgbRing *r,
                             const uint8_t *f, size_t len, int q)
{
    g_autofree uint8_t *got = g_malloc(len);
    RingsWait w = { .r = r, .n = STEER_QUEUES };
    QIgbRxInfo info;
    int i;

    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_wait_for(d, rings_rx_any, &w));
    g_assert_cmpint(w.q, ==, q);
    g_assert_cmpuint(w.info.length, ==, len);
    qtest_memread(qigb_qts(d), w.info.buf, got, len);
    g_assert_cmpmem(got, len, f, len);
    qigb_rx_post(d, &r[q], 1);
    settle(d, 5);
    for (i = 0; i < STEER_QUEUES; i++) {
        g_assert_false(qigb_rx_poll(d, &r[i], &info));
    }
    return w.info.status;
}

/* UDP 10.0.0.1:1234 -> 10.0.0.2:5678 with one field changed */
static size_t tuple_frame(uint8_t *f, uint8_t proto, uint32_t src,
                          uint32_t dst, uint16_t sport, uint16_t dport)
{
    size_t len = make_ipv4(f, proto, 40, sport ^ dport);

    stl_be_p(f + IP_OFF + 12, src);
    stl_be_p(f + IP_OFF + 16, dst);
    stw_be_p(f + L4_OFF, sport);
    stw_be_p(f + L4_OFF + 2, dport);
    ipv4_fix_csums(f);
    return len;
}

/* IPv4/TCP with the given flags (SYN 0x02, ACK 0x10) */
static size_t tcp_frame(uint8_t *f, uint8_t flags, unsigned seed)
{
    size_t len = make_ipv4(f, 6, 20, seed);

    f[L4_OFF + 13] = flags;
    ipv4_fix_csums(f);
    return len;
}

#define T_SRC   0x0a000001      /* 10.0.0.1 */
#define T_DST   0x0a000002
#define T_SPORT 1234
#define T_DPORT 5678

static void test_rx_steering(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r[STEER_QUEUES];
    uint8_t f[200];
    uint32_t ftqf;
    size_t len;
    int i;

    igb_init(d);
    for (i = 0; i < STEER_QUEUES; i++) {
        qigb_ring_init(d, &r[i], true, i, 16, 2048, true);
        qigb_rx_start(d, &r[i], 0, 0);
        qigb_rx_post(d, &r[i], r[i].count - 1);
    }
    qigb_wr(d, OF_MRQC, 0);

    /* No filter set: everything in queue 0 */
    len = make_etype(f, bcast_mac, ETH_P_PTP, 1);
    steer_expect(d, env, r, f, len, 0);
    len = tcp_frame(f, 0x02, 2);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);

    /* EtherType filter: 0x88F7 to queue 2 */
    qigb_wr(d, ETQF(1), ETQF_FILTER_EN | ETQF_QUEUE_EN | ETQF_QUEUE(2) |
            ETH_P_PTP);
    len = make_etype(f, bcast_mac, ETH_P_PTP, 3);
    steer_expect(d, env, r, f, len, 2);
    len = make_etype(f, bcast_mac, TEST_ETHERTYPE, 4);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    /* Without QUEUE_EN the filter matches but does not steer */
    qigb_wr(d, ETQF(1), ETQF_FILTER_EN | ETQF_QUEUE(2) | ETH_P_PTP);
    len = make_etype(f, bcast_mac, ETH_P_PTP, 5);
    steer_expect(d, env, r, f, len, 0);
    /* Without FILTER_EN there is no filter */
    qigb_wr(d, ETQF(1), ETQF_QUEUE_EN | ETQF_QUEUE(2) | ETH_P_PTP);
    steer_expect(d, env, r, f, len, 0);
    qigb_wr(d, ETQF(1), 0);

    /* SYN filter: SYN to queue 3, the rest of the flow is not steered */
    qigb_wr(d, SYNQF, SYNQF_EN | SYNQF_QUEUE(3));
    len = tcp_frame(f, 0x02, 6);
    steer_expect(d, env, r, f, len, 3);
    len = tcp_frame(f, 0x10, 7);
    steer_expect(d, env, r, f, len, 0);
    len = tcp_frame(f, 0x18, 8);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    qigb_wr(d, SYNQF, SYNQF_QUEUE(3));      /* not enabled */
    len = tcp_frame(f, 0x02, 9);
    steer_expect(d, env, r, f, len, 0);
    qigb_wr(d, SYNQF, 0);

    /*
     * 5-tuple filter 2: UDP 10.0.0.1:1234 -> 10.0.0.2:5678 to queue 1.
     * Addresses and ports in network byte order, as DPDK's
     * igb_add_5tuple_filter_82576() writes them; IMIREXT bypasses the
     * size and TCP flag checks.
     */
    qigb_wr(d, SAQF(2), bswap32(T_SRC));
    qigb_wr(d, DAQF(2), bswap32(T_DST));
    qigb_wr(d, SPQF(2), bswap16(T_SPORT));
    qigb_wr(d, IMIR(2), bswap16(T_DPORT));
    qigb_wr(d, IMIREXT(2), IMIREXT_SIZE_BP | IMIREXT_CTRL_BP);
    ftqf = 17 | FTQF_QUEUE_EN | FTQF_QUEUE(1) | FTQF_VF_BP;
    qigb_wr(d, FTQF(2), ftqf);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 1);
    /* Any one field different: not steered */
    len = tuple_frame(f, 6, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC + 8, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST + 0x100, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT + 1, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT + 0x100);
    steer_expect(d, env, r, f, len, 0);
    /* Ports with their bytes swapped are other ports */
    len = tuple_frame(f, 17, T_SRC, T_DST, bswap16(T_SPORT),
                      bswap16(T_DPORT));
    steer_expect(d, env, r, f, len, 0);

    /* Bypassed fields match anything */
    qigb_wr(d, IMIR(2), bswap16(T_DPORT) | IMIR_PORT_BP);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT, T_DPORT + 0x100);
    steer_expect(d, env, r, f, len, 1);
    len = tuple_frame(f, 17, T_SRC, T_DST, T_SPORT + 1, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    ftqf |= FTQF_SRC_PORT_BP;
    qigb_wr(d, FTQF(2), ftqf);
    steer_expect(d, env, r, f, len, 1);
    len = tuple_frame(f, 6, T_SRC, T_DST, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    ftqf |= FTQF_PROTO_BP;
    qigb_wr(d, FTQF(2), ftqf);
    steer_expect(d, env, r, f, len, 1);
    len = tuple_frame(f, 17, T_SRC + 8, T_DST + 0x100, T_SPORT, T_DPORT);
    steer_expect(d, env, r, f, len, 0);
    ftqf |= FTQF_SRC_ADDR_BP;
    qigb_wr(d, FTQF(2), ftqf);
    steer_expect(d, env, r, f, len, 0);
    ftqf |= FTQF_DST_ADDR_BP;
    qigb_wr(d, FTQF(2), ftqf);
    steer_expect(d, env, r, f, len, 1);
    /* Without QUEUE_EN nothing is steered */
    qigb_wr(d, FTQF(2), ftqf & ~FTQF_QUEUE_EN);
    steer_expect(d, env, r, f, len, 0);

    for (i = 0; i < STEER_QUEUES; i++) {
        qigb_ring_free(d, &r[i]);
    }
}

/* ------------------------------------------------------------------ */
/* IEEE 1588: the clock */

/* SYSTIML first: reading it latches SYSTIMH */
static uint64_t systim_read(QIgb *d)
{
    uint32_t lo = qigb_rd(d, SYSTIML);

    return (uint64_t)qigb_rd(d, SYSTIMH) << 32 | lo;
}

static void systim_write(QIgb *d, uint64_t t)
{
    qigb_wr(d, SYSTIML, (uint32_t)t);
    qigb_wr(d, SYSTIMH, t >> 32);
}

/* @got is @want give or take @slack (one or two clock increments) */
static void assert_near(uint64_t got, uint64_t want, uint64_t slack)
{
    if (got + slack < want || got > want + slack) {
        g_test_message("0x%" PRIx64 " is not within 0x%" PRIx64 " of 0x%"
                       PRIx64, got, slack, want);
    }
    g_assert_cmphex(got + slack, >=, want);
    g_assert_cmphex(got, <=, want + slack);
}

/* SYSTIM after @ns more nanoseconds of virtual time */
static uint64_t systim_after(QIgb *d, int64_t ns)
{
    qtest_clock_step(qigb_qts(d), ns);
    return systim_read(d);
}

static void test_ptp_clock(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint64_t inc = 16 * SYSTIM_PER_NS;    /* one 16 ns increment */
    const uint64_t base = 0x0000012389abcdefull;
    QIgb *d = obj;
    uint64_t t0, t1;
    uint32_t lo, hi;

    igb_init(d);
    qigb_wr(d, TIMINCA, TIMINCA_82576);

    /* Writing SYSTIML, then SYSTIMH sets the clock */
    systim_write(d, base);
    assert_near(systim_read(d), base, inc);

    /* It runs with the (virtual) time: 2^19 per nanosecond */
    t0 = systim_read(d);
    t1 = systim_after(d, 1000 * 1000);
    g_test_message("SYSTIM %" PRIx64 " -> %" PRIx64 " in 1 ms", t0, t1);
    assert_near(t1 - t0, 1000 * 1000 * SYSTIM_PER_NS, inc);
    t0 = t1;
    t1 = systim_after(d, 12345 * 16);
    assert_near(t1 - t0, 12345 * 16 * SYSTIM_PER_NS, inc);

    /* Reading SYSTIML latches SYSTIMH (which moves every 8.192 us) */
    t0 = systim_read(d);
    lo = qigb_rd(d, SYSTIML);
    qtest_clock_step(qigb_qts(d), 100 * 1000);
    hi = qigb_rd(d, SYSTIMH);
    assert_near((uint64_t)hi << 32 | lo, t0, inc);
    t1 = systim_read(d);
    assert_near(t1 - t0, 100 * 1000 * SYSTIM_PER_NS, inc);
    g_assert_cmphex(t1 >> 32, >, hi);

    /* 1.5 times the increment value: 1.5 times as fast */
    qigb_wr(d, TIMINCA, TIMINCA_PERIOD(1) | 24u << 19);
    t0 = systim_read(d);
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1 - t0, 1500 * 1000 * SYSTIM_PER_NS, 2 * inc);
    /* Increments every 32 ns instead of 16: half as fast */
    qigb_wr(d, TIMINCA, TIMINCA_PERIOD(2) | 16u << 19);
    t0 = systim_read(d);
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1 - t0, 1000 * 1000 / 2 * SYSTIM_PER_NS, inc);

    /* TIMADJ adds (sign clear) or subtracts (sign set) its value once */
    qigb_wr(d, TIMINCA, TIMINCA_82576);
    systim_write(d, base);
    qigb_wr(d, TIMADJL, 0x12345678);
    qigb_wr(d, TIMADJH, 0x2);
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1, base + 0x212345678ull + 1000 * 1000 * SYSTIM_PER_NS,
                2 * inc);
    t0 = t1;
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1 - t0, 1000 * 1000 * SYSTIM_PER_NS, inc);
    systim_write(d, base);
    qigb_wr(d, TIMADJL, 0x10000000);
    qigb_wr(d, TIMADJH, TIMADJ_SIGN | 0x1);
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1, base - 0x110000000ull + 1000 * 1000 * SYSTIM_PER_NS,
                2 * inc);
    t0 = t1;
    t1 = systim_after(d, 1000 * 1000);
    assert_near(t1 - t0, 1000 * 1000 * SYSTIM_PER_NS, inc);
}

/* ------------------------------------------------------------------ */
/* IEEE 1588: receive and transmit time stamps */

static bool rx_stamp_valid(QIgb *d)
{
    return qigb_rd(d, TSYNCRXCTL) & TSYNC_VALID;
}

/* Read RXSTMPL, then RXSTMPH (which lets the next frame be stamped) */
static uint64_t rx_stamp(QIgb *d)
{
    uint32_t lo = qigb_rd(d, RXSTMPL);

    return (uint64_t)qigb_rd(d, RXSTMPH) << 32 | lo;
}

/*
 * Send @f (all of it must arrive in @r); with @stamped the descriptor
 * must carry TS and RXSTMP a time between sending and seeing it, which
 * this reads (unlocking the next stamp).  Without, neither TS nor VALID.
 */
static void ptp_rx_expect(QIgb *d, IgbEnv *env, QIgbRing *r,
                          const uint8_t *f, size_t len, bool stamped)
{
    uint64_t t0, t1, ts;
    QIgbRxInfo info;
    uint32_t wb[4];

    t0 = systim_after(d, 1000 * 1000);
    info = rx_wb(d, env, r, f, len, wb);
    t1 = systim_read(d);
    if (!stamped) {
        if ((info.status & RXD_TS) || rx_stamp_valid(d)) {
            /* fail, but unlock RXSTMP so that the test can go on */
            g_test_message("frame stamped: status %08x, TSYNCRXCTL %08x",
                           info.status, qigb_rd(d, TSYNCRXCTL));
            g_test_fail();
            rx_stamp(d);
        }
        return;
    }
    g_assert_cmphex(info.status & RXD_TS, ==, RXD_TS);
    g_assert_true(rx_stamp_valid(d));
    /* RXSATRL/H: the source UUID (bytes 22-27) and the sequence ID */
    g_assert_cmphex(qigb_rd(d, RXSATRL), ==, 0xa4a5a6a7);
    g_assert_cmphex(qigb_rd(d, RXSATRH), ==,
                    0xa2a3 | lduw_be_p(f + ptp_off(f) + 30) << 16);
    ts = rx_stamp(d);
    g_test_message("RX stamp %" PRIx64 " in [%" PRIx64 ", %" PRIx64 "]", ts,
                   t0, t1);
    g_assert_cmphex(ts, >=, t0);
    g_assert_cmphex(ts, <=, t1);
    g_assert_false(rx_stamp_valid(d));
}

static void test_ptp_rx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[200];
    uint64_t t0, t1, ts;
    uint32_t lo, wb[4];
    QIgbRxInfo info;
    size_t len;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 16, 2048, true);
    qigb_rx_start(d, &r, IGB_RCTL_MPE, 0);
    qigb_rx_post(d, &r, r.count - 1);
    qigb_wr(d, TIMINCA, TIMINCA_82576);
    systim_write(d, 1ull << 40);

    /*
     * As igb_ptp_set_timestamp_mode() sets up HWTSTAMP_FILTER_PTP_V2_EVENT
     * on the 82576: EtherType filter 3 for PTP over Ethernet, 5-tuple
     * filter 3 for UDP from and to port 319.
     */
    qigb_wr(d, TSYNCRXCTL, TSYNC_ENABLED | TSYNCRXCTL_EVENT_V2);
    qigb_wr(d, TSYNCRXCFG, 0);
    qigb_wr(d, ETQF(3), ETQF_FILTER_EN | ETQF_1588 | ETH_P_PTP);
    qigb_wr(d, IMIR(3), bswap16(PTP_EV_PORT));
    qigb_wr(d, IMIREXT(3), IMIREXT_SIZE_BP | IMIREXT_CTRL_BP);
    qigb_wr(d, SPQF(3), bswap16(PTP_EV_PORT));
    qigb_wr(d, FTQF(3), 17 | FTQF_VF_BP | FTQF_1588 | FTQF_SRC_ADDR_BP |
            FTQF_DST_ADDR_BP);
    rx_stamp(d);
    g_assert_false(rx_stamp_valid(d));

    /* Not PTP: not stamped */
    len = make_etype(f, bcast_mac, TEST_ETHERTYPE, 1);
    ptp_rx_expect(d, env, &r, f, len, false);
    len = make_ipv4_ok(f, 17, 60, 2);
    ptp_rx_expect(d, env, &r, f, len, false);

    /* A Sync over Ethernet is */
    len = make_ptp_l2(f, PTP_SYNC, 3);
    ptp_rx_expect(d, env, &r, f, len, true);

    /* While VALID is set, the next one is not; reading RXSTMPL is not enough */
    t0 = systim_after(d, 1000 * 1000);
    rx_wb(d, env, &r, f, len, wb);
    t1 = systim_read(d);
    g_assert_cmphex(wb[2] & RXD_TS, ==, RXD_TS);
    g_assert_true(rx_stamp_valid(d));
    lo = qigb_rd(d, RXSTMPL);
    len = make_ptp_l2(f, PTP_SYNC, 4);
    systim_after(d, 1000 * 1000);
    info = rx_wb(d, env, &r, f, len, wb);
    g_assert_cmphex(info.status & RXD_TS, ==, 0);
    g_assert_true(rx_stamp_valid(d));
    g_assert_cmphex(qigb_rd(d, RXSTMPL), ==, lo);
    ts = rx_stamp(d);
    g_assert_cmphex(ts, >=, t0);
    g_assert_cmphex(ts, <=, t1);
    g_assert_false(rx_stamp_valid(d));
    /* ...after reading RXSTMPH it is */
    len = make_ptp_l2(f, PTP_SYNC, 5);
    ptp_rx_expect(d, env, &r, f, len, true);

    /* PTP over UDP, port 319 to 319: stamped through the 5-tuple filter */
    len = make_ptp_l4(f, 17, PTP_EV_PORT, PTP_EV_PORT, 6);
    ptp_rx_expect(d, env, &r, f, len, true);
    /* Another destination port, source port or protocol: not stamped */
    len = make_ptp_l4(f, 17, PTP_EV_PORT, PTP_GEN_PORT, 7);
    ptp_rx_expect(d, env, &r, f, len, false);
    len = make_ptp_l4(f, 17, 1234, PTP_EV_PORT, 8);
    ptp_rx_expect(d, env, &r, f, len, false);
    len = make_ptp_l4(f, 6, PTP_EV_PORT, PTP_EV_PORT, 9);
    ptp_rx_expect(d, env, &r, f, len, false);

    /* Receive time stamping off: nothing is stamped */
    qigb_wr(d, TSYNCRXCTL, TSYNCRXCTL_EVENT_V2);
    len = make_ptp_l2(f, PTP_SYNC, 10);
    ptp_rx_expect(d, env, &r, f, len, false);
    len = make_ptp_l4(f, 17, PTP_EV_PORT, PTP_EV_PORT, 11);
    ptp_rx_expect(d, env, &r, f, len, false);

    /*
     * Type "all V2 event messages": a Follow_Up is a general message, not
     * an event (the reason igb_ptp.c reports HWTSTAMP_FILTER_PTP_V2_EVENT
     * for the Sync and Delay_Req filters it is asked for).
     */
    qigb_wr(d, TSYNCRXCTL, TSYNC_ENABLED | TSYNCRXCTL_EVENT_V2);
    len = make_ptp_l2(f, PTP_SYNC, 12);
    ptp_rx_expect(d, env, &r, f, len, true);
    len = make_ptp_l2(f, PTP_FOLLOW_UP, 13);
    ptp_rx_expect(d, env, &r, f, len, false);
    qigb_ring_free(d, &r);
}

static bool tx_stamp_valid(QIgb *d)
{
    return qigb_rd(d, TSYNCTXCTL) & TSYNC_VALID;
}

/* Send @f in one advanced data descriptor with @cmd added */
static void ptp_tx(QIgb *d, IgbEnv *env, QIgbRing *r, const uint8_t *f,
                   size_t len, uint32_t cmd)
{
    uint32_t idx = put_data(d, r, f, len, IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS |
                            cmd, len << IGB_ADVTXD_PAYLEN_SHIFT);

    qigb_tx_kick(d, r);
    sock_expect_frame(env->sv[0], f, len);
    g_assert_true(qigb_tx_wait_dd(d, r, idx));
}

static void test_ptp_tx(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[200];
    uint64_t t0, t1, ts;
    uint32_t lo;
    size_t len;

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 2048, false);
    qigb_tx_start(d, &r);
    qigb_wr(d, TIMINCA, TIMINCA_82576);
    systim_write(d, 1ull << 40);
    qigb_wr(d, TSYNCTXCTL, TSYNC_ENABLED);
    qigb_rd(d, TXSTMPL);
    qigb_rd(d, TXSTMPH);
    g_assert_false(tx_stamp_valid(d));
    len = make_ptp_l2(f, PTP_SYNC, 1);

    /* Without MAC_TSTAMP: not stamped */
    ptp_tx(d, env, &r, f, len, 0);
    g_assert_false(tx_stamp_valid(d));

    /* With it: TXSTMP holds when it went, VALID is set */
    t0 = systim_after(d, 1000 * 1000);
    ptp_tx(d, env, &r, f, len, ADVTXD_MAC_TSTAMP);
    t1 = systim_read(d);
    g_assert_true(tx_stamp_valid(d));
    lo = qigb_rd(d, TXSTMPL);

    /* No other stamp while VALID is set */
    systim_after(d, 1000 * 1000);
    ptp_tx(d, env, &r, f, len, ADVTXD_MAC_TSTAMP);
    g_assert_true(tx_stamp_valid(d));
    g_assert_cmphex(qigb_rd(d, TXSTMPL), ==, lo);
    ts = (uint64_t)qigb_rd(d, TXSTMPH) << 32 | lo;
    g_test_message("TX stamp %" PRIx64 " in [%" PRIx64 ", %" PRIx64 "]", ts,
                   t0, t1);
    g_assert_cmphex(ts, >=, t0);
    g_assert_cmphex(ts, <=, t1);
    /* Reading TXSTMPH cleared VALID: the next one is stamped */
    g_assert_false(tx_stamp_valid(d));
    t0 = systim_after(d, 1000 * 1000);
    ptp_tx(d, env, &r, f, len, ADVTXD_MAC_TSTAMP);
    t1 = systim_read(d);
    g_assert_true(tx_stamp_valid(d));
    lo = qigb_rd(d, TXSTMPL);
    ts = (uint64_t)qigb_rd(d, TXSTMPH) << 32 | lo;
    g_assert_cmphex(ts, >=, t0);
    g_assert_cmphex(ts, <=, t1);
    g_assert_false(tx_stamp_valid(d));

    /* Transmit time stamping off: nothing is stamped */
    qigb_wr(d, TSYNCTXCTL, 0);
    ptp_tx(d, env, &r, f, len, ADVTXD_MAC_TSTAMP);
    g_assert_false(tx_stamp_valid(d));
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* Header split */

#define HDR_BUF_SIZE        256

/* Post @n descriptors with a packet and a header buffer each */
static void split_post(QIgb *d, QIgbRing *r, const uint64_t *hbuf,
                       uint32_t n)
{
    uint64_t q[2];

    while (n--) {
        q[0] = cpu_to_le64(r->bufs[r->tail]);
        q[1] = cpu_to_le64(hbuf[r->tail]);
        qtest_memwrite(qigb_qts(d), r->desc +
                       (uint64_t)r->tail * IGB_DESC_SIZE, q, sizeof(q));
        r->tail = (r->tail + 1) % r->count;
    }
    qigb_wr(d, IGB_RDT(r->queue), r->tail);
}

/*
 * Send @f: its first @hlen bytes must land in the header buffer and the
 * rest in the packet buffer (all of it with @hlen 0); the device must
 * write nothing else into either buffer.
 */
static void split_expect(QIgb *d, IgbEnv *env, QIgbRing *r,
                         const uint64_t *hbuf, const uint8_t *f, size_t len,
                         size_t hlen)
{
    QTestState *qts = qigb_qts(d);
    g_autofree uint8_t *got = g_malloc(r->buf_size);
    uint8_t hgot[HDR_BUF_SIZE];
    uint32_t idx = r->next, wb[4];
    QIgbRxInfo info;
    size_t i;

    qtest_memset(qts, hbuf[idx], 0xa5, HDR_BUF_SIZE);
    qtest_memset(qts, r->bufs[idx], 0xa5, r->buf_size);
    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_rx_wait(d, r, &info));
    g_assert_cmpuint(info.index, ==, idx);
    desc_read(d, r, idx, wb);
    g_test_message("dword 0 %08x, length %u: %zu header bytes expected",
                   wb[0], info.length, hlen);
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    g_assert_cmpuint(WB_HDR_LEN(wb[0]), ==, hlen);
    g_assert_cmphex(wb[0] & WB_SPH, ==, hlen ? WB_SPH : 0);
    g_assert_cmpuint(info.length, ==, len - hlen);

    qtest_memread(qts, hbuf[idx], hgot, sizeof(hgot));
    g_assert_cmpmem(hgot, hlen, f, hlen);
    for (i = hlen; i < sizeof(hgot); i++) {
        g_assert_cmphex(hgot[i], ==, 0xa5);
    }
    qtest_memread(qts, r->bufs[idx], got, r->buf_size);
    g_assert_cmpmem(got, len - hlen, f + hlen, len - hlen);
    for (i = len - hlen; i < r->buf_size; i++) {
        g_assert_cmphex(got[i], ==, 0xa5);
    }
    split_post(d, r, hbuf, 1);
}

static void test_rx_hdr_split(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint32_t srrctl = 2 | SRRCTL_BSIZEHDR(HDR_BUF_SIZE);
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint64_t hbuf[16];
    uint8_t f[600];
    size_t len;
    uint32_t i;

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, ARRAY_SIZE(hbuf), 2048, true);
    for (i = 0; i < r.count; i++) {
        hbuf[i] = guest_alloc(d->alloc, HDR_BUF_SIZE);
    }
    qigb_rx_start(d, &r, 0, 0);
    qigb_wr(d, IGB_SRRCTL(0), srrctl | SRRCTL_DESC_SPLIT);
    split_post(d, &r, hbuf, r.count - 1);

    /* TCP/IPv4: 14 + 20 + 20 header bytes */
    len = make_ipv4_ok(f, 6, 300, 1);
    split_expect(d, env, &r, hbuf, f, len, L4_OFF + 20);
    /* UDP/IPv4: 14 + 20 + 8 */
    len = make_ipv4_ok(f, 17, 300, 2);
    split_expect(d, env, &r, hbuf, f, len, L4_OFF + 8);
    /* TCP with 12 bytes of options (NOPs) */
    len = make_ipv4(f, 6, 300, 3);
    f[L4_OFF + 12] = 8 << 4;
    memset(f + L4_OFF + 20, 1, 12);
    ipv4_fix_csums(f);
    split_expect(d, env, &r, hbuf, f, len, L4_OFF + 32);
    /* TCP/IPv6: 14 + 40 + 20 */
    len = make_ipv6(f, 6, 300, 4);
    split_expect(d, env, &r, hbuf, f, len, IP_OFF + 40 + 20);
    /* Not IP: nothing to split, all in the packet buffer */
    len = make_etype(f, bcast_mac, TEST_ETHERTYPE, 5);
    split_expect(d, env, &r, hbuf, f, len, 0);

    /* "Always use header buffer" splits a TCP frame the same way */
    qigb_wr(d, IGB_SRRCTL(0), srrctl | SRRCTL_DESC_ALWAYS);
    len = make_ipv4_ok(f, 6, 500, 6);
    split_expect(d, env, &r, hbuf, f, len, L4_OFF + 20);
    len = make_ipv4_ok(f, 17, 100, 7);
    split_expect(d, env, &r, hbuf, f, len, L4_OFF + 8);

    for (i = 0; i < r.count; i++) {
        guest_free(d->alloc, hbuf[i]);
    }
    qigb_ring_free(d, &r);
}

/*
 * Receive buffers a driver should not post (the e1000 family's
 * NULL-buffer and overrun bug classes): a header buffer smaller than the
 * headers, or none (BSIZEHDR 0): not split, nothing in it; NULL header
 * and packet buffers: nothing written at guest address 0, the descriptor
 * completes; SRRCTL.BSIZEPACKET 0 (RCTL's 256-byte size then): a 700-byte
 * frame in three buffers, none written past 256 bytes.  The next frame
 * arrives whole.
 */
static void test_rx_hostile_buffers(void *obj, void *data,
                                    QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QTestState *qts = qigb_qts(d);
    g_autofree uint8_t *low = g_malloc(4096);
    g_autofree uint8_t *low2 = g_malloc(4096);
    g_autofree uint8_t *got = g_malloc(2048);
    QIgbRing r;
    QIgbRxInfo info;
    uint64_t hbuf[8], slot;
    uint8_t f[700];
    size_t len, hlen;
    uint32_t i, j, wb[4];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, ARRAY_SIZE(hbuf), 2048, true);
    for (i = 0; i < r.count; i++) {
        hbuf[i] = guest_alloc(alloc, HDR_BUF_SIZE);
    }
    qigb_rx_start(d, &r, 0, 0);
    qtest_memset(qts, 0, 0x5a, 4096);
    qtest_memread(qts, 0, low, 4096);

    /* 66 header bytes (TCP with options) for a 64-byte header buffer */
    qigb_wr(d, IGB_SRRCTL(0), 2 | SRRCTL_BSIZEHDR(64) | SRRCTL_DESC_SPLIT);
    split_post(d, &r, hbuf, r.count - 1);
    len = make_ipv4(f, 6, 300, 1);
    f[L4_OFF + 12] = 8 << 4;
    memset(f + L4_OFF + 20, 1, 12);
    ipv4_fix_csums(f);
    split_expect(d, env, &r, hbuf, f, len, 0);
    /* no header buffer size at all */
    qigb_wr(d, IGB_SRRCTL(0), 2 | SRRCTL_DESC_SPLIT);
    len = make_ipv4_ok(f, 6, 300, 2);
    split_expect(d, env, &r, hbuf, f, len, 0);

    /* a NULL header buffer: the headers go nowhere, the rest arrives */
    qigb_wr(d, IGB_SRRCTL(0), 2 | SRRCTL_BSIZEHDR(HDR_BUF_SIZE) |
            SRRCTL_DESC_SPLIT);
    qtest_writeq(qts, r.desc + IGB_DESC_SIZE * r.next + 8, 0);
    len = make_ipv4_ok(f, 6, 300, 3);
    hlen = L4_OFF + 20;
    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_rx_wait(d, &r, &info));
    desc_read(d, &r, info.index, wb);
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    g_assert_cmpuint(info.length, ==, len - hlen);
    qtest_memread(qts, info.buf, got, len - hlen);
    g_assert_cmpmem(got, len - hlen, f + hlen, len - hlen);
    split_post(d, &r, hbuf, 1);

    /* a NULL packet buffer (one-buffer descriptors) */
    qigb_wr(d, IGB_SRRCTL(0), 2 | IGB_SRRCTL_DESCTYPE_ADV1BUF);
    slot = r.desc + IGB_DESC_SIZE * r.next;
    qtest_writeq(qts, slot, 0);
    qtest_writeq(qts, slot + 8, 0);
    make_frame(f, 300, bcast_mac, 4);
    sock_send_frame(env->sv[0], f, 300);
    g_assert_true(qigb_rx_wait(d, &r, &info));
    g_assert_cmphex(info.status & (IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP), ==,
                    IGB_RXD_STAT_DD | IGB_RXD_STAT_EOP);
    qigb_rx_post(d, &r, 1);

    /* BSIZEPACKET 0 and RCTL.BSIZE 256: three buffers, none overrun */
    qigb_wr(d, IGB_SRRCTL(0), IGB_SRRCTL_DESCTYPE_ADV1BUF);
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) | 3u << 16);
    for (j = 0; j < 3; j++) {
        qtest_memset(qts, r.bufs[(r.next + j) % r.count], 0xa5, 2048);
    }
    make_frame(f, sizeof(f), bcast_mac, 5);
    sock_send_frame(env->sv[0], f, sizeof(f));
    for (j = 0; j < 3; j++) {
        size_t want = j < 2 ? 256 : sizeof(f) - 512;

        g_assert_true(qigb_rx_wait(d, &r, &info));
        g_assert_cmpuint(info.length, ==, want);
        g_assert_cmphex(info.status & IGB_RXD_STAT_EOP, ==,
                        j == 2 ? IGB_RXD_STAT_EOP : 0);
        qtest_memread(qts, info.buf, got, 2048);
        g_assert_cmpmem(got, want, f + 256 * j, want);
        for (i = want; i < 2048; i++) {
            g_assert_cmphex(got[i], ==, 0xa5);
        }
    }
    qigb_rx_post(d, &r, 3);

    /* sizes back to 2 KiB: a frame arrives whole; page 0 untouched */
    qigb_wr(d, IGB_RCTL, qigb_rd(d, IGB_RCTL) & ~(3u << 16));
    qigb_wr(d, IGB_SRRCTL(0), 2 | IGB_SRRCTL_DESCTYPE_ADV1BUF);
    rx_send_expect(d, &r, env->sv[0], bcast_mac, 1500, 6);
    qtest_memread(qts, 0, low2, 4096);
    g_assert_cmpmem(low2, 4096, low, 4096);
    for (i = 0; i < r.count; i++) {
        guest_free(alloc, hbuf[i]);
    }
    qigb_ring_free(d, &r);
}

/* ------------------------------------------------------------------ */
/* EEPROM through EECD: SPI bit-banging as e1000_nvm.c does it */

static void spi_shift_out(QIgb *d, uint16_t data, int count)
{
    uint32_t eecd = qigb_rd(d, IGB_EECD) | EECD_DO;
    uint32_t mask = 1u << (count - 1);

    do {
        eecd &= ~EECD_DI;
        if (data & mask) {
            eecd |= EECD_DI;
        }
        qigb_wr(d, IGB_EECD, eecd);
        eecd |= EECD_SK;
        qigb_wr(d, IGB_EECD, eecd);
        eecd &= ~EECD_SK;
        qigb_wr(d, IGB_EECD, eecd);
        mask >>= 1;
    } while (mask);
    qigb_wr(d, IGB_EECD, eecd & ~EECD_DI);
}

/* Raise SK, sample DO, lower SK; most significant bit first */
static uint16_t spi_shift_in(QIgb *d, int count)
{
    uint32_t eecd = qigb_rd(d, IGB_EECD) & ~(EECD_DO | EECD_DI);
    uint16_t data = 0;
    int i;

    for (i = 0; i < count; i++) {
        data <<= 1;
        eecd |= EECD_SK;
        qigb_wr(d, IGB_EECD, eecd);
        eecd = qigb_rd(d, IGB_EECD) & ~EECD_DI;
        if (eecd & EECD_DO) {
            data |= 1;
        }
        eecd &= ~EECD_SK;
        qigb_wr(d, IGB_EECD, eecd);
    }
    return data;
}

/* Toggle CS: the command so far ends */
static void spi_standby(QIgb *d)
{
    uint32_t eecd = qigb_rd(d, IGB_EECD);

    qigb_wr(d, IGB_EECD, eecd | EECD_CS);
    qigb_wr(d, IGB_EECD, eecd & ~EECD_CS);
}

static bool eecd_granted(QIgb *d, void *opaque)
{
    return qigb_rd(d, IGB_EECD) & EECD_GNT;
}

/*
 * igb_acquire_nvm() and igb_ready_nvm_eeprom(): request the pins, select
 * the part, and read its status register until it is ready.  Returns the
 * status register as it was then.
 */
static uint8_t spi_acquire(QIgb *d)
{
    uint8_t sr = SPI_SR_BUSY;
    int i;

    qigb_wr(d, IGB_EECD, qigb_rd(d, IGB_EECD) | EECD_REQ);
    g_assert_true(qigb_wait_for(d, eecd_granted, NULL));
    qigb_wr(d, IGB_EECD, qigb_rd(d, IGB_EECD) & ~(EECD_CS | EECD_SK));
    for (i = 0; i < 1000; i++) {
        spi_shift_out(d, SPI_RDSR, 8);
        sr = spi_shift_in(d, 8);
        if (!(sr & SPI_SR_BUSY)) {
            break;
        }
        qigb_tick(d);
        spi_standby(d);
    }
    g_assert_cmphex(sr & SPI_SR_BUSY, ==, 0);
    return sr;
}

/* igb_release_nvm(): deselect, then give the pins back */
static void spi_release(QIgb *d)
{
    uint32_t eecd = (qigb_rd(d, IGB_EECD) | EECD_CS) & ~EECD_SK;

    qigb_wr(d, IGB_EECD, eecd);
    qigb_wr(d, IGB_EECD, qigb_rd(d, IGB_EECD) & ~EECD_REQ);
}

/* igb_read_nvm_spi(): READ, 16-bit byte address, then the bytes */
static void spi_read(QIgb *d, uint32_t word, uint32_t n, uint16_t *buf)
{
    uint32_t i;

    spi_acquire(d);
    spi_standby(d);
    spi_shift_out(d, SPI_READ, 8);
    spi_shift_out(d, word * 2, 16);
    for (i = 0; i < n; i++) {
        buf[i] = bswap16(spi_shift_in(d, 16));  /* low byte first */
    }
    spi_release(d);
}

/* igb_write_nvm_spi() (WREN only with @wren): one page at most */
static void spi_write(QIgb *d, uint32_t word, uint32_t n,
                      const uint16_t *buf, bool wren)
{
    uint32_t i;

    spi_acquire(d);
    spi_standby(d);
    if (wren) {
        spi_shift_out(d, SPI_WREN, 8);
        spi_standby(d);
    }
    spi_shift_out(d, SPI_WRITE, 8);
    spi_shift_out(d, word * 2, 16);
    for (i = 0; i < n; i++) {
        spi_shift_out(d, bswap16(buf[i]), 16);
    }
    spi_release(d);
}

/* The status register when the part is ready (after WREN with @wren) */
static uint8_t spi_status(QIgb *d, bool wren)
{
    uint8_t sr = spi_acquire(d);

    if (wren) {
        spi_standby(d);
        spi_shift_out(d, SPI_WREN, 8);
        spi_standby(d);
        spi_shift_out(d, SPI_RDSR, 8);
        sr = spi_shift_in(d, 8);
    }
    spi_release(d);
    return sr;
}

/*
 * Words @a must be words @b (read from word @base on): those that are not
 * are logged and fail the test, which goes on.
 */
static void check_words(const uint16_t *a, const uint16_t *b, uint32_t n,
                        uint32_t base)
{
    uint32_t i, bad = 0;

    for (i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            g_test_message("word 0x%x: %04x, not %04x", base + i, a[i], b[i]);
            bad++;
        }
    }
    if (bad) {
        g_test_fail();
    }
}

static void eerd_words(QIgb *d, uint32_t word, uint32_t n, uint16_t *buf)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        g_assert_true(qigb_eeprom_read(d, word + i, &buf[i]));
    }
}

static void test_eeprom_spi(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint32_t word = 0x120;            /* bytes 0x240..: one page */
    static const uint16_t vals[2] = { 0x1234, 0xabcd };
    QIgb *d = obj;
    uint16_t ee[0x40], spi[0x40], before[4], w[4];
    uint8_t sr;

    qigb_reset(d);
    /* An SPI part with 16 address bits */
    g_assert_cmphex(qigb_rd(d, IGB_EECD) & EECD_ADDR_BITS, ==,
                    EECD_ADDR_BITS);

    /* RDSR: ready, writes not enabled */
    sr = spi_status(d, false);
    g_test_message("SPI status register %02x", sr);
    g_assert_cmphex(sr & (SPI_SR_BUSY | SPI_SR_WEL), ==, 0);

    /* WRITE without WREN changes nothing */
    eerd_words(d, word - 1, 4, before);
    g_assert_cmphex(before[1], !=, vals[0]);
    g_assert_cmphex(before[2], !=, vals[1]);
    spi_write(d, word, 2, vals, false);
    eerd_words(d, word - 1, 4, w);
    check_words(w, before, 4, word - 1);

    /* WREN sets the write enable latch */
    sr = spi_status(d, true);
    g_assert_cmphex(sr & SPI_SR_WEL, ==, SPI_SR_WEL);

    /* WREN, WRITE of two words: EERD sees them, and nothing else changed */
    spi_write(d, word, 2, vals, true);
    sr = spi_status(d, false);                  /* waits for the write */
    g_assert_cmphex(sr & SPI_SR_WEL, ==, 0);    /* the write cleared WEL */
    eerd_words(d, word - 1, 4, w);
    g_assert_cmphex(w[0], ==, before[0]);
    g_assert_cmphex(w[1], ==, vals[0]);
    g_assert_cmphex(w[2], ==, vals[1]);
    g_assert_cmphex(w[3], ==, before[3]);

    /* The latch is clear again: another WRITE without WREN is ignored */
    spi_write(d, word, 2, before + 1, false);
    eerd_words(d, word, 2, w);
    check_words(w, vals, 2, word);

    /* READ returns what EERD does: the first block, the words written */
    eerd_words(d, 0, ARRAY_SIZE(ee), ee);
    g_assert_cmphex(ee[0], ==, igb_mac[0] | igb_mac[1] << 8);
    spi_read(d, 0, ARRAY_SIZE(spi), spi);
    check_words(spi, ee, ARRAY_SIZE(ee), 0);
    spi_read(d, 0x0b, 3, spi);
    check_words(spi, ee + 0x0b, 3, 0x0b);
    eerd_words(d, word - 1, 4, w);
    spi_read(d, word - 1, 4, spi);
    check_words(spi, w, 4, word - 1);
}

/* ------------------------------------------------------------------ */
/* The eeprom-file property */

/* A QEMU of our own (not the graph's): an igb at 04.0 with @args */
typedef struct IgbQemu {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    QIgb d;
} IgbQemu;

static void G_GNUC_PRINTF(2, 3) igbq_start(IgbQemu *e, const char *fmt, ...)
{
    QPCIAddress a = {
        .devfn = QPCI_DEVFN(QIGB_PCI_SLOT, 0),
        .vendor_id = QIGB_VENDOR_ID,
        .device_id = QIGB_DEVICE_ID,
    };
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    memset(e, 0, sizeof(*e));
    e->qts = qtest_initf("-M q35 %s", args);
    pc_alloc_init(&e->alloc, e->qts, ALLOC_NO_FLAGS);
    e->bus = qpci_new_pc(e->qts, &e->alloc);
    qpci_device_init(&e->d.pdev, e->bus, &a);
    qpci_device_enable(&e->d.pdev);
    e->d.mmio = qpci_iomap(&e->d.pdev, 0, NULL);
    e->d.alloc = &e->alloc;
    qigb_reset(&e->d);
}

static void eefile_start(IgbQemu *e, const char *path)
{
    igbq_start(e, "-netdev hubport,hubid=0,id=" QIGB_NETDEV_ID
               " -device igb,netdev=" QIGB_NETDEV_ID ",addr=04.0,"
               "mac=" QIGB_MAC_STR ",eeprom-file=%s", path);
}

static void igbq_stop(IgbQemu *e)
{
    qpci_free_pc(e->bus);
    alloc_destroy(&e->alloc);
    qtest_quit(e->qts);
}

/*
 * QEMU with an igb keeping its EEPROM in @path, up to a bad -device after
 * it: returns QEMU's exit status (-1: killed) and its standard error.
 */
static int eefile_run(const char *path, char **err)
{
    g_autofree char *args = g_strdup_printf(CLI_BASE "-device igb,mac="
                                            QIGB_MAC_STR ",eeprom-file=%s"
                                            CLI_FAIL, path);

    return run_qemu(args, err);
}

/* With @refused, QEMU must refuse the file, else get to the bad -device */
static void eefile_expect(const char *path, bool refused)
{
    g_autofree char *err = NULL;
    int st = eefile_run(path, &err);
    bool named = strstr(err, "eeprom-file");
    bool later = strstr(err, "no-such-device");

    if (st <= 0 || named != refused || later == refused) {
        g_test_message("status %d: the file was %s", st,
                       refused ? "not refused" : "refused");
        g_test_fail();
    }
}

static void test_eeprom_file(void)
{
    const uint32_t word = 0x130;
    g_autofree char *path = NULL;
    g_autofree char *img = NULL;
    g_autofree char *err = NULL;
    g_autofree char *bad = g_malloc0(4096);
    GError *gerr = NULL;
    uint16_t w, before;
    gsize size;
    IgbQemu e;
    int fd, st;

    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        return;
    }
    fd = g_file_open_tmp("igb-eeprom-XXXXXX", &path, &gerr);
    g_assert_no_error(gerr);
    close(fd);

    /*
     * An empty file: QEMU starts, the device with its defaults.  (Tried
     * in a process of its own first: a QEMU that dies under libqtest
     * would take the tests after this one with it.)
     */
    st = eefile_run(path, &err);
    if (st <= 0 || !strstr(err, "no-such-device")) {
        g_test_message("QEMU with an empty eeprom-file: status %d", st);
        g_test_fail();
        unlink(path);
        return;
    }
    eefile_start(&e, path);
    g_assert_true(qigb_eeprom_read(&e.d, 0, &w));
    g_assert_cmphex(w, ==, igb_mac[0] | igb_mac[1] << 8);
    g_assert_true(qigb_eeprom_read(&e.d, word, &before));
    g_assert_cmphex(before, !=, 0xbeef);
    g_assert_true(qigb_eeprom_write(&e.d, word, 0xbeef));
    g_assert_true(qigb_eeprom_read(&e.d, word, &w));
    g_assert_cmphex(w, ==, 0xbeef);
    igbq_stop(&e);

    /* The file holds the 2 KiB image, words little-endian */
    g_assert_true(g_file_get_contents(path, &img, &size, &gerr));
    g_assert_no_error(gerr);
    g_assert_cmpuint(size, ==, 2048);
    g_assert_cmphex(lduw_le_p(img), ==, igb_mac[0] | igb_mac[1] << 8);
    g_assert_cmphex(lduw_le_p(img + 2 * word), ==, 0xbeef);

    /* Started again with it, the device still has the word */
    eefile_start(&e, path);
    g_assert_true(qigb_eeprom_read(&e.d, word, &w));
    g_assert_cmphex(w, ==, 0xbeef);
    g_assert_true(qigb_eeprom_read(&e.d, 2, &w));
    g_assert_cmphex(w, ==, igb_mac[4] | igb_mac[5] << 8);
    igbq_stop(&e);
    eefile_expect(path, false);

    /* A file of the wrong size is refused, and left as it was */
    g_assert_true(g_file_set_contents(path, bad, 100, &gerr));
    g_assert_no_error(gerr);
    eefile_expect(path, true);
    g_free(img);
    img = NULL;
    g_assert_true(g_file_get_contents(path, &img, &size, &gerr));
    g_assert_no_error(gerr);
    if (size != 100 || memcmp(img, bad, size)) {
        g_test_message("the refused file changed (%zu bytes now)",
                       (size_t)size);
        g_test_fail();
    }
    g_assert_true(g_file_set_contents(path, bad, 4096, &gerr));
    g_assert_no_error(gerr);
    eefile_expect(path, true);
    unlink(path);
}

#endif /* _WIN32 */

/* How many times @needle occurs in @hay */
static int count_substr(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Double VLAN, wake-up, descriptor write-back, what LOG_UNIMP says */

#define IGB_CTRL_EXT_EXT_VLAN   (1u << 26)
#define IGB_VET                 0x00038

/*
 * CTRL_EXT.EXT_VLAN: every frame starts with an outer tag (any EtherType,
 * here 802.1ad), which the NIC leaves alone; the inner tag (VET) is the one
 * VFTA filters and CTRL.VME strips and reports.
 */
static void test_vlan_double(void *obj, void *data, QGuestAllocator *alloc)
{
    const uint16_t vid = 0x123, outer = 0x0007;
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t plain[1514], inner[1518], one[1518], two[1522];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, IGB_RCTL_VFE, 0);
    qigb_rx_post(d, &r, r.count - 1);
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_VME);
    qigb_wr(d, IGB_CTRL_EXT, qigb_rd(d, IGB_CTRL_EXT) | IGB_CTRL_EXT_EXT_VLAN);
    qigb_wr(d, IGB_VFTA(vid >> 5), BIT(vid & 31));
    g_assert_cmphex(qigb_rd(d, IGB_VET) & 0xffff, ==, 0x8100);

    /* outer (802.1ad) + inner (802.1Q) tag, 1522 bytes: the largest */
    make_frame(plain, sizeof(plain), bcast_mac, 3);
    add_tag(inner, plain, sizeof(plain), 0x6000 | vid);
    add_tag(two, inner, sizeof(inner), outer);
    stw_be_p(two + 12, 0x88a8);
    add_tag(one, plain, sizeof(plain), outer);
    stw_be_p(one + 12, 0x88a8);

    /* the inner tag is stripped and reported, the outer one stays */
    info = rx_send_get(d, env, &r, two, sizeof(two), one, sizeof(one));
    g_assert_cmphex(info.status & IGB_RXD_STAT_VP, ==, IGB_RXD_STAT_VP);
    g_assert_cmphex(info.vlan, ==, 0x6000 | vid);
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 0);

    /* an inner VID VFTA does not list: dropped */
    stw_be_p(two + 18, vid + 1);
    rx_expect_dropped(d, env, &r, two, sizeof(two));
    stw_be_p(two + 18, 0x6000 | vid);

    /* only the outer tag: untagged for filtering, nothing stripped */
    info = rx_send_get(d, env, &r, one, sizeof(one), one, sizeof(one));
    g_assert_cmphex(info.status & IGB_RXD_STAT_VP, ==, 0);

    /* one byte more than two tags allow: oversize */
    {
        uint8_t big[1523];

        memcpy(big, two, sizeof(two));
        big[1522] = 0x5a;
        rx_expect_dropped(d, env, &r, big, sizeof(big));
        g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 1);
    }

    /*
     * EXT_VLAN clear: the first tag is 802.1ad, not VET, so not a tag at
     * all: the 1518 bytes of one are over the untagged limit, and a short
     * frame with that tag keeps it
     */
    qigb_wr(d, IGB_CTRL_EXT,
            qigb_rd(d, IGB_CTRL_EXT) & ~IGB_CTRL_EXT_EXT_VLAN);
    rx_expect_dropped(d, env, &r, one, sizeof(one));
    g_assert_cmpuint(qigb_rd(d, IGB_ROC), ==, 1);
    info = rx_send_get(d, env, &r, one, 200, one, 200);
    g_assert_cmphex(info.status & IGB_RXD_STAT_VP, ==, 0);
    /* and a single 802.1Q tag is the one stripped again */
    info = rx_send_get(d, env, &r, inner, sizeof(inner), plain,
                       sizeof(plain));
    g_assert_cmphex(info.vlan, ==, 0x6000 | vid);
    qigb_ring_free(d, &r);
}

#define IGB_WUC             0x05800
#define IGB_WUFC            0x05808
#define IGB_WUS             0x05810
#define IGB_WUPL            0x05900
#define IGB_WUPM            0x05a00
#define WUC_APME            (1u << 0)
#define WUC_PME_EN          (1u << 1)
#define WUC_PME_STATUS      (1u << 2)
#define WUFC_MAG            (1u << 1)
#define WUFC_EX             (1u << 2)
#define WUFC_MC             (1u << 3)
#define WUFC_BC             (1u << 4)
#define IGB_PMCSR           (0x40 + PCI_PM_CTRL)

static uint16_t pmcsr(QIgb *d)
{
    return qpci_config_readw(&d->pdev, IGB_PMCSR);
}

static bool pme_status(QIgb *d, void *opaque)
{
    return pmcsr(d) & PCI_PM_CTRL_PME_STATUS;
}

/* A magic packet to @dst for igb_mac, @len bytes */
static size_t make_magic(uint8_t *f, size_t len, const uint8_t *dst)
{
    make_frame(f, len, dst, 9);
    stw_be_p(f + 12, 0x0842);
    memset(f + 20, 0xff, 6);
    for (int i = 0; i < 16; i++) {
        memcpy(f + 26 + 6 * i, igb_mac, 6);
    }
    return len;
}

/*
 * Put the PF in D3hot (PME_En as asked), send @decoys (no wake-up
 * expected) and then @f; back in D0, WUS must read @want, and PME_Status
 * (in PMCSR when @pme, in WUC when @want) be set; both are cleared again.
 */
static void wake_expect(QIgb *d, IgbEnv *env, bool pme,
                        const uint8_t *decoy, size_t dlen,
                        const uint8_t *f, size_t len, uint32_t want)
{
    uint32_t wupm0;

    qpci_config_writew(&d->pdev, IGB_PMCSR, 3 |
                       (pme ? PCI_PM_CTRL_PME_ENABLE : 0));
    g_assert_cmphex(pmcsr(d) & PCI_PM_CTRL_STATE_MASK, ==, 3);
    if (decoy) {
        sock_send_frame(env->sv[0], decoy, dlen);
    }
    sock_send_frame(env->sv[0], f, len);
    if (pme && want) {
        g_assert_true(qigb_wait_for(d, pme_status, NULL));
    } else {
        /* nothing to wait for in config space: let the socket drain */
        g_assert_true(qigb_wait_for(d, sock_consumed, &env->sv[0]));
        settle(d, 10);
        g_assert_false(pme_status(d, NULL));
    }
    qpci_config_writew(&d->pdev, IGB_PMCSR, PCI_PM_CTRL_PME_STATUS);
    g_assert_cmphex(pmcsr(d) & (PCI_PM_CTRL_STATE_MASK |
                                PCI_PM_CTRL_PME_STATUS), ==, 0);

    g_assert_cmphex(qigb_rd(d, IGB_WUS), ==, want);
    g_assert_cmphex(qigb_rd(d, IGB_WUC) & WUC_PME_STATUS, ==,
                    want ? WUC_PME_STATUS : 0);
    if (want) {
        g_assert_cmpuint(qigb_rd(d, IGB_WUPL), ==, len);
        wupm0 = qigb_rd(d, IGB_WUPM);
        g_assert_cmphex(wupm0, ==, (uint32_t)ldl_le_p(f));
        g_assert_cmphex(qigb_rd(d, IGB_WUPM + 4 * 31), ==,
                        (uint32_t)ldl_le_p(f + 124));
    }
    /* WUS is write-1-to-clear */
    qigb_wr(d, IGB_WUS, want);
    g_assert_cmphex(qigb_rd(d, IGB_WUS), ==, 0);
    qigb_wr(d, IGB_WUC, qigb_rd(d, IGB_WUC) & ~WUC_PME_STATUS);
}

static void test_wake(void *obj, void *data, QGuestAllocator *alloc)
{
    static const uint8_t mc_mac[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x42 };
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    QIgbRxInfo info;
    uint8_t magic[160], magic_other[160], bc[160], uc[160], mc[160], oth[160];
    uint8_t ok[80];

    igb_init(d);
    qigb_ring_init(d, &r, true, 0, 8, 2048, true);
    qigb_rx_start(d, &r, 0, 0);
    qigb_rx_post(d, &r, r.count - 1);
    make_magic(magic, sizeof(magic), bcast_mac);
    make_magic(magic_other, sizeof(magic_other), other_mac);
    magic_other[26 + 6 * 15 + 5] ^= 1;      /* one copy of the MAC wrong */
    make_frame(bc, sizeof(bc), bcast_mac, 1);
    make_frame(uc, sizeof(uc), igb_mac, 2);
    make_frame(mc, sizeof(mc), mc_mac, 3);
    make_frame(oth, sizeof(oth), other_mac, 4);
    mta_set(d, mc_mac);

    /* ACPI wake-up: WUC.PME_EN and WUFC; the causes land in WUS */
    qigb_wr(d, IGB_WUC, WUC_PME_EN);
    qigb_wr(d, IGB_WUFC, WUFC_MAG);
    wake_expect(d, env, true, bc, sizeof(bc), magic, sizeof(magic), WUFC_MAG);
    qigb_wr(d, IGB_WUFC, WUFC_MAG | WUFC_BC);
    wake_expect(d, env, true, magic_other, sizeof(magic_other), bc,
                sizeof(bc), WUFC_BC);
    qigb_wr(d, IGB_WUFC, WUFC_EX);
    wake_expect(d, env, true, oth, sizeof(oth), uc, sizeof(uc), WUFC_EX);
    qigb_wr(d, IGB_WUFC, WUFC_MC);
    wake_expect(d, env, true, uc, sizeof(uc), mc, sizeof(mc), WUFC_MC);

    /* PME_En clear in PMCSR: WUS still records, PMCSR stays quiet */
    qigb_wr(d, IGB_WUFC, WUFC_MAG);
    wake_expect(d, env, false, NULL, 0, magic, sizeof(magic), WUFC_MAG);
    /* WUC.PME_EN clear: no wake-up from WUFC */
    qigb_wr(d, IGB_WUC, 0);
    wake_expect(d, env, true, NULL, 0, magic, sizeof(magic), 0);
    /* APM wake-up (WUC.APME): a magic packet with WUFC empty */
    qigb_wr(d, IGB_WUC, WUC_APME);
    qigb_wr(d, IGB_WUFC, 0);
    wake_expect(d, env, true, bc, sizeof(bc), magic, sizeof(magic), WUFC_MAG);

    /* Nothing sent in D3hot reached the ring; in D0 it works again */
    g_assert_false(qigb_rx_poll(d, &r, &info));
    make_frame(ok, sizeof(ok), bcast_mac, 5);
    rx_send_get(d, env, &r, ok, sizeof(ok), ok, sizeof(ok));
    qigb_ring_free(d, &r);
}

/*
 * Without RSS or VMDq, MRQC.DEF_Q (bits 5:3) names the queue frames go to:
 * Linux's loopback self-test points it at the PF's first queue when VFs
 * own the lower ones.
 */
static void test_rx_def_q(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r0, r2;
    QIgbRxInfo info;

    igb_init(d);
    qigb_ring_init(d, &r0, true, 0, 8, 2048, true);
    qigb_ring_init(d, &r2, true, 2, 8, 2048, true);
    qigb_rx_start(d, &r0, 0, 0);
    qigb_rx_start(d, &r2, 0, 0);
    qigb_rx_post(d, &r0, 7);
    qigb_rx_post(d, &r2, 7);

    qigb_wr(d, OF_MRQC, 2 << 3);
    rx_send_expect(d, &r2, env->sv[0], bcast_mac, 100, 1);
    g_assert_false(qigb_rx_poll(d, &r0, &info));
    qigb_wr(d, OF_MRQC, 0);
    rx_send_expect(d, &r0, env->sv[0], bcast_mac, 100, 2);
    g_assert_false(qigb_rx_poll(d, &r2, &info));
    qigb_ring_free(d, &r0);
    qigb_ring_free(d, &r2);
}

/*
 * Every offset of BAR0, and through the I/O window, written with a random
 * value of a random size (1, 2 or 4 bytes, at any alignment within the
 * dword) and read back with another: QEMU neither crashes nor asserts, and
 * after a reset the device sends and receives as before.
 */
static void hostile_access(QIgb *d, QPCIBar bar, uint32_t off, uint32_t v,
                           unsigned how)
{
    switch (how % 6) {
    case 0:
        qpci_io_writeb(&d->pdev, bar, off + (how >> 3) % 4, v);
        break;
    case 1:
        qpci_io_writew(&d->pdev, bar, off + 2 * ((how >> 3) % 2), v);
        break;
    case 2:
        qpci_io_writel(&d->pdev, bar, off, v);
        break;
    case 3:
        qpci_io_readb(&d->pdev, bar, off + (how >> 3) % 4);
        break;
    case 4:
        qpci_io_readw(&d->pdev, bar, off + 2 * ((how >> 3) % 2));
        break;
    default:
        qpci_io_readl(&d->pdev, bar, off);
        break;
    }
}

static void test_hostile_regs(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    uint32_t rng = g_test_rand_int() | 1;
    QIgbRing tx, rx;
    QPCIBar flash, msix;
    uint32_t off;

    g_test_message("xorshift seed 0x%08x", rng);
    igb_init(d);
    for (off = 0; off < 128 * KiB; off += 4) {
        hostile_access(d, d->mmio, off, xorshift32(&rng), xorshift32(&rng));
        hostile_access(d, d->mmio, off, xorshift32(&rng),
                       xorshift32(&rng) | 2);
    }
    /* every byte of the I/O BAR, each size, both ways */
    for (off = 0; off < 32; off++) {
        for (int how = 0; how < 6; how++) {
            hostile_access(d, d->io, off & ~3, xorshift32(&rng),
                           how | (off & 3) << 3);
        }
    }
    /* the flash BAR */
    flash = qpci_iomap(&d->pdev, 1, NULL);
    for (off = 0; off < 128 * KiB; off += 4) {
        hostile_access(d, flash, off, xorshift32(&rng), xorshift32(&rng));
    }
    qpci_iounmap(&d->pdev, flash);
    /* the MSI-X BAR: table (vectors kept masked) and PBA */
    msix = qpci_iomap(&d->pdev, 3, NULL);
    for (off = 0; off < 16 * KiB; off += 4) {
        uint32_t v = xorshift32(&rng);

        hostile_access(d, msix, off, off % 16 == 12 ? v | 1 : v,
                       (xorshift32(&rng) % 3 == 0) ? 2 : xorshift32(&rng));
    }
    qpci_iounmap(&d->pdev, msix);
    /* the I/O window: IOADDR anywhere (also past BAR0), IODATA either way */
    for (int i = 0; i < 4096; i++) {
        qigb_io_wr(d, 0, xorshift32(&rng) & 0x3fffc);
        if (i & 1) {
            qigb_io_wr(d, 4, xorshift32(&rng));
        } else {
            qigb_io_rd(d, 4);
        }
    }
    settle(d, 10);
    sock_drain(env->sv[0]);

    /* the device still works */
    igb_init(d);
    qigb_ring_init(d, &tx, false, 0, 8, 2048, false);
    qigb_tx_start(d, &tx);
    qigb_ring_init(d, &rx, true, 0, 8, 2048, true);
    qigb_rx_start(d, &rx, 0, 0);
    qigb_rx_post(d, &rx, 7);
    tx_one(d, &tx, env->sv[0], 300, 7, true);
    rx_send_expect(d, &rx, env->sv[0], bcast_mac, 300, 8);
    qigb_ring_free(d, &tx);
    qigb_ring_free(d, &rx);
}

/*
 * TCTL.PSP: frames shorter than 64 bytes (with FCS) leave padded with
 * zeroes, as Linux's igb relies on (it pads only to 17 bytes); PSP clear,
 * they leave as they are.
 */
static void test_tx_pad(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[42], out[100], want[60] = { 0 };

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 8, 2048, false);
    qigb_tx_start(d, &r);
    g_assert_cmphex(qigb_rd(d, IGB_TCTL) & IGB_TCTL_PSP, ==, IGB_TCTL_PSP);
    make_frame(f, sizeof(f), other_mac, 3);
    memcpy(want, f, sizeof(f));

    qigb_tx_legacy(d, &r, f, sizeof(f));
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS), ==, 60);
    g_assert_cmpmem(out, 60, want, 60);
    qigb_tx_adv(d, &r, f, 17);
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS), ==, 60);
    g_assert_cmpmem(out, 17, f, 17);
    memset(want, 0, sizeof(want));
    g_assert_cmpmem(out + 17, 43, want, 43);

    qigb_wr(d, IGB_TCTL, qigb_rd(d, IGB_TCTL) & ~IGB_TCTL_PSP);
    qigb_tx_adv(d, &r, f, sizeof(f));
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS), ==, sizeof(f));
    g_assert_cmpmem(out, sizeof(f), f, sizeof(f));
    qigb_ring_free(d, &r);
}

/* Status of TX descriptor @idx (DD is bit 0 of dword 3) */
static uint32_t tx_desc_sta(QIgb *d, QIgbRing *r, uint32_t idx)
{
    return qtest_readl(qigb_qts(d), r->desc + 16 * idx + 12);
}

/*
 * Without RS a descriptor gets no status, unless TXDCTL.WTHRESH is set:
 * then the 82576 writes every descriptor back.
 */
static void test_tx_wthresh(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r;
    uint8_t f[100], out[100];
    uint32_t idx[4];

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 2048, false);
    qigb_tx_start(d, &r);
    make_frame(f, sizeof(f), other_mac, 1);

    /* WTHRESH 0: the frame goes out, its descriptor is left alone */
    idx[0] = put_data(d, &r, f, sizeof(f), IGB_TXD_CMD_EOP,
                      sizeof(f) << IGB_ADVTXD_PAYLEN_SHIFT);
    qigb_tx_kick(d, &r);
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS), ==, sizeof(f));
    g_assert_cmpuint(qigb_rd(d, IGB_TDH(0)), ==, r.tail);
    g_assert_cmphex(tx_desc_sta(d, &r, idx[0]) & IGB_TXD_STAT_DD, ==, 0);

    /* WTHRESH 8: a frame of two descriptors, a context one, none with RS */
    qigb_wr(d, IGB_TXDCTL(0), qigb_rd(d, IGB_TXDCTL(0)) | 8u << 16);
    put_ctx(d, &r, 0, 0);
    idx[1] = r.tail - 1;
    idx[2] = put_data(d, &r, f, 40, 0, sizeof(f) << IGB_ADVTXD_PAYLEN_SHIFT);
    idx[3] = put_data(d, &r, f + 40, sizeof(f) - 40, IGB_TXD_CMD_EOP, 0);
    qigb_tx_kick(d, &r);
    g_assert_cmpint(sock_recv_frame(env->sv[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS), ==, sizeof(f));
    g_assert_cmpmem(out, sizeof(f), f, sizeof(f));
    for (int i = 1; i < 4; i++) {
        g_assert_true(qigb_tx_wait_dd(d, &r, idx[i]));
    }
    qigb_ring_free(d, &r);
}

/*
 * LOG_UNIMP: a feature the model does not carry out is named once, when
 * the guest first turns it on; an unknown register once per offset.
 * LEDCTL writes (ethtool -p) are traced.
 */
static void test_unimp_once(void)
{
    g_autofree char *log = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) gerr = NULL;
    IgbQemu e;
    int fd = g_file_open_tmp("igb-unimp-XXXXXX", &log, &gerr);

    g_assert_no_error(gerr);
    close(fd);
    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        unlink(log);
        return;
    }
    igbq_start(&e, "-d unimp -D %s -trace igb_ledctl "
               "-netdev hubport,hubid=0,id=" QIGB_NETDEV_ID
               " -device igb,netdev=" QIGB_NETDEV_ID ",addr=04.0,"
               "mac=" QIGB_MAC_STR, log);

    /* FCRTL.XONE (Linux sets it with flow control): pause frames */
    qigb_wr(&e.d, 0x02160, 0x80000000 | 0x1000);
    qigb_wr(&e.d, 0x02160, 0x1000);
    qigb_wr(&e.d, 0x02160, 0x80000000 | 0x1000);
    /* WUFC flexible filter 0 */
    qigb_wr(&e.d, IGB_WUFC, 1u << 16);
    /* LinkSec TX control, which the model does not have: twice each way */
    qigb_rd(&e.d, 0x0b004);
    qigb_rd(&e.d, 0x0b004);
    qigb_wr(&e.d, 0x0b004, 3);
    /* ethtool -p: LED 0 mode "on", then back */
    qigb_wr(&e.d, 0x00e00, 0x0706830e);
    qigb_wr(&e.d, 0x00e00, 0x07068302);
    /* a register the model keeps: no message */
    qigb_wr(&e.d, IGB_RLPML, 0x1234);
    igbq_stop(&e);

    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    unlink(log);
    g_test_message("the log: %s", text);
    g_assert_cmpint(count_substr(text, "pause frames"), ==, 1);
    g_assert_cmpint(count_substr(text, "flexible wake-up"), ==, 1);
    g_assert_cmpint(count_substr(text, "0x0b004"), ==, 1);
    g_assert_cmpint(count_substr(text, "LEDCTL 0x07068302 -> 0x0706830e"),
                    ==, 1);
    g_assert_cmpint(count_substr(text, "LEDCTL 0x0706830e -> 0x07068302"),
                    ==, 1);
    g_assert_cmpint(count_substr(text, "0x05004"), ==, 0);
}

/*
 * -object filter-dump on the igb's netdev: a frame the igb sends and one
 * it receives both land in the pcap file, byte for byte.
 */
static void test_filter_dump(void)
{
    g_autofree char *pcap = NULL;
    g_autofree uint8_t *text = NULL;
    g_autoptr(GError) gerr = NULL;
    int fd = g_file_open_tmp("igb-dump-XXXXXX", &pcap, &gerr);
    uint8_t tx[150], rx[90], out[150];
    const uint8_t *p;
    gsize len;
    IgbQemu e;
    QIgbRing tr, rr;
    int sv[2];

    g_assert_no_error(gerr);
    close(fd);
    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        unlink(pcap);
        return;
    }
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    igbq_start(&e, "-netdev socket,id=" QIGB_NETDEV_ID ",fd=%d "
               "-object filter-dump,id=dump0,netdev=" QIGB_NETDEV_ID
               ",file=%s -device igb,netdev=" QIGB_NETDEV_ID ",addr=04.0,"
               "mac=" QIGB_MAC_STR, sv[1], pcap);
    igb_init(&e.d);
    qigb_ring_init(&e.d, &tr, false, 0, 8, 2048, false);
    qigb_tx_start(&e.d, &tr);
    qigb_ring_init(&e.d, &rr, true, 0, 8, 2048, true);
    qigb_rx_start(&e.d, &rr, 0, 0);
    qigb_rx_post(&e.d, &rr, 7);

    make_frame(tx, sizeof(tx), other_mac, 31);
    qigb_tx_adv(&e.d, &tr, tx, sizeof(tx));
    g_assert_cmpint(sock_recv_frame(sv[0], out, sizeof(out), SOCK_TIMEOUT_MS),
                    ==, sizeof(tx));
    make_frame(rx, sizeof(rx), igb_mac, 32);
    sock_send_frame(sv[0], rx, sizeof(rx));
    rx_expect(&e.d, &rr, rx, sizeof(rx));
    igbq_stop(&e);
    close(sv[0]);
    close(sv[1]);

    /* pcap: 24-byte file header, then 16-byte record headers */
    g_assert_true(g_file_get_contents(pcap, (char **)&text, &len, NULL));
    unlink(pcap);
    g_assert_cmpuint(len, ==, 24 + 16 + sizeof(tx) + 16 + sizeof(rx));
    g_assert_cmphex((uint32_t)ldl_le_p(text), ==, 0xa1b2c3d4);
    g_assert_cmpuint(ldl_le_p(text + 20), ==, 1);   /* Ethernet */
    p = text + 24;
    g_assert_cmpuint(ldl_le_p(p + 8), ==, sizeof(tx));
    g_assert_cmpmem(p + 16, sizeof(tx), tx, sizeof(tx));
    p += 16 + sizeof(tx);
    g_assert_cmpuint(ldl_le_p(p + 8), ==, sizeof(rx));
    g_assert_cmpmem(p + 16, sizeof(rx), rx, sizeof(rx));
}

/* ------------------------------------------------------------------ */
/* Offloads handed to a tap backend that takes virtio-net headers */

#ifdef CONFIG_LINUX

#define VNET_TSO4_PAYLOAD   20000
#define VNET_TSO4_MSS       1448
#define VNET_TSO6_PAYLOAD   9000
#define VNET_TSO6_MSS       1000
/* segments of the two TSO sends, then three single frames */
#define VNET_WIRE_FRAMES    (14 + 9 + 3)
#define VNET_SENDS          5

static void sh(const char *cmd)
{
    g_autofree char *full = g_strdup_printf("set -e; %s", cmd);

    g_test_message("sh: %s", cmd);
    g_assert_cmpint(system(full), ==, 0);
}

/* A packet socket that sees every frame on @ifname */
static int packet_sock(const char *ifname)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = if_nametoindex(ifname),
    };
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(sll.sll_ifindex, >, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    return fd;
}

/*
 * The frames from igb_mac that @fd sees within @ms of the last one (the
 * first may take SOCK_TIMEOUT_MS), up to @max.
 */
static GPtrArray *capture(int fd, unsigned max, int ms)
{
    GPtrArray *got = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_byte_array_unref);
    g_autofree uint8_t *buf = g_malloc(0x20000);
    int wait = SOCK_TIMEOUT_MS;

    while (got->len < max) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, wait) <= 0) {
            break;
        }
        n = recv(fd, buf, 0x20000, MSG_TRUNC);
        g_assert_cmpint(n, >, 0);
        g_assert_cmpint(n, <=, 0x20000);
        if (n >= 14 && !memcmp(buf + 6, igb_mac, 6)) {
            g_ptr_array_add(got, g_byte_array_append(g_byte_array_new(),
                                                     buf, n));
            wait = ms;
        }
    }
    return got;
}

/* IPv4 TCP, TSO as Linux's igb prepares it: no IP length, short pseudo */
static size_t vnet_tso4(uint8_t *f)
{
    return make_tso4(f, VNET_TSO4_PAYLOAD, 21);
}

static size_t vnet_tso6(uint8_t *f)
{
    size_t len = make_ipv6(f, 6, VNET_TSO6_PAYLOAD, 22);
    uint8_t *ip = f + IP_OFF;

    stw_be_p(ip + 4, 0);
    stw_be_p(ip + 40 + 16, csum_fold(csum_add(0, ip + 8, 32) + 6));
    return len;
}

/* Send the five frames through queue 0 of the igb of @e */
static void vnet_send_all(IgbQemu *e, uint8_t *f)
{
    QIgb *d = &e->d;
    QIgbRing r;
    size_t len;
    uint32_t idx;
    const uint32_t ctx6[4] = {
        40 | 14 << IGB_ADVTXD_MACLEN_SHIFT, 0,
        IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | IGB_TUCMD_L4T_TCP,
        VNET_TSO6_MSS << 16 | 20 << 8,
    };

    igb_init(d);
    qigb_ring_init(d, &r, false, 0, 16, 32 * KiB, false);
    qigb_tx_start(d, &r);

    len = vnet_tso4(f);
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, VNET_TSO4_MSS << 16 | 20 << 8);
    put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP,
             (len - L4_OFF - 20) << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);

    len = vnet_tso6(f);
    qigb_tx_put_desc(d, &r, ctx6);
    put_data(d, &r, f, len, IGB_ADVTXD_TSE | IGB_TXD_CMD_EOP,
             (len - IP_OFF - 60) << IGB_ADVTXD_PAYLEN_SHIFT | IGB_POPTS_TXSM);

    /* UDP and TCP checksums alone, seeded with the full pseudo header */
    len = make_ipv4(f, 17, 300, 23);
    stw_be_p(f + L4_OFF + 6, csum_fold(pseudo_sum(f + IP_OFF, 17,
                                                  len - L4_OFF)));
    put_ctx(d, &r, 0, 0);
    put_data(d, &r, f, len, IGB_TXD_CMD_EOP, len << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    len = make_ipv4(f, 6, 500, 24);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6,
                                                   len - L4_OFF)));
    put_ctx(d, &r, IGB_TUCMD_L4T_TCP, 0);
    put_data(d, &r, f, len, IGB_TXD_CMD_EOP, len << IGB_ADVTXD_PAYLEN_SHIFT |
             IGB_POPTS_IXSM | IGB_POPTS_TXSM);

    /* and one without offloads */
    make_frame(f, 200, bcast_mac, 25);
    idx = put_data(d, &r, f, 200, IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS,
                   200 << IGB_ADVTXD_PAYLEN_SHIFT);
    qigb_tx_kick(d, &r);
    g_assert_true(qigb_tx_wait_dd(d, &r, idx));
    qigb_ring_free(d, &r);
}

/*
 * One QEMU whose igb sits on tap igbtap0 (with or without virtio-net
 * headers) in bridge br0: the frames it puts on the tap, and those that
 * leave the bridge through veth0 (whose offloads are off, so the kernel
 * segments and checksums in software before veth1 sees them).
 */
static void vnet_run(bool vnet, GPtrArray **wire, GPtrArray **tap)
{
    g_autofree uint8_t *f = g_malloc(32 * KiB);
    IgbQemu e;
    int wfd, tfd;

    igbq_start(&e, "-netdev tap,id=" QIGB_NETDEV_ID ",ifname=igbtap0,"
               "script=no,downscript=no,vnet_hdr=%s -device igb,netdev="
               QIGB_NETDEV_ID ",addr=04.0,mac=" QIGB_MAC_STR,
               vnet ? "on" : "off");
    sh("ip link set igbtap0 master br0; ip link set igbtap0 up");
    wfd = packet_sock("veth1");
    tfd = packet_sock("igbtap0");
    vnet_send_all(&e, f);
    *wire = capture(wfd, VNET_WIRE_FRAMES + 1, 500);
    *tap = capture(tfd, VNET_WIRE_FRAMES + 1, 500);
    close(wfd);
    close(tfd);
    igbq_stop(&e);
}

/* The frames on the wire are what the 82576 would send */
static void vnet_check_wire(GPtrArray *wire)
{
    size_t off4 = 0, off6 = 0;

    g_assert_cmpuint(wire->len, ==, VNET_WIRE_FRAMES);
    for (unsigned i = 0; i < wire->len; i++) {
        GByteArray *b = g_ptr_array_index(wire, i);
        const uint8_t *p = b->data;

        g_assert_cmpuint(b->len, <=, 1514);
        if (i < 14) {
            size_t seg = MIN(VNET_TSO4_MSS, VNET_TSO4_PAYLOAD - off4);

            g_assert_cmpuint(b->len, ==, L4_OFF + 20 + seg);
            assert_ipv4_csums(p, b->len);
            g_assert_cmphex(lduw_be_p(p + IP_OFF + 4), ==, 0x1234 + i);
            g_assert_cmpuint(ldl_be_p(p + L4_OFF + 4), ==, 1000 + off4);
            g_assert_cmphex(p[L4_OFF + 13], ==, i == 13 ? 0x18 : 0x10);
            off4 += seg;
        } else if (i < 23) {
            size_t seg = MIN(VNET_TSO6_MSS, VNET_TSO6_PAYLOAD - off6);
            const uint8_t *ip = p + IP_OFF;

            g_assert_cmpuint(b->len, ==, IP_OFF + 60 + seg);
            g_assert_cmpuint(lduw_be_p(ip + 4), ==, 20 + seg);
            g_assert_cmphex(csum_fold(csum_add(0, ip + 8, 32) + 6 + 20 + seg +
                                      csum_add(0, ip + 40, 20 + seg)),
                            ==, 0xffff);
            off6 += seg;
        } else if (i < 25) {
            assert_ipv4_csums(p, b->len);
        }
    }
    g_assert_cmpuint(off4, ==, VNET_TSO4_PAYLOAD);
    g_assert_cmpuint(off6, ==, VNET_TSO6_PAYLOAD);
}

/*
 * A network namespace of our own: bridge br0 with veth0 (offloads off, so
 * the kernel segments and checksums what leaves through it) to veth1.
 */
static void vnet_netns(void)
{
    g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
    sh("echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6;"
       "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6;"
       "ip link set lo up;"
       "ip link add br0 type bridge forward_delay 0;"
       "ip link add veth0 type veth peer name veth1;"
       "ip link set veth0 master br0;"
       "ethtool -K veth0 tx off tso off gso off >/dev/null;"
       "ip link set br0 up; ip link set veth0 up; ip link set veth1 up");
}

static bool vnet_possible(void)
{
    g_autofree char *ip = g_find_program_in_path("ip");
    g_autofree char *ethtool = g_find_program_in_path("ethtool");

    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) || !ip ||
        !ethtool || !qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("needs root, /dev/net/tun, ip, ethtool, q35 and igb");
        return false;
    }
    return true;
}

/* Run @fn in a child process (its network namespace dies with it) */
static void vnet_fork(void (*fn)(void))
{
    int status;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

static void vnet_tap_child(void)
{
    g_autoptr(GPtrArray) sw_wire = NULL, sw_tap = NULL;
    g_autoptr(GPtrArray) vh_wire = NULL, vh_tap = NULL;

    vnet_netns();

    /* without virtio-net headers the model segments and checksums */
    vnet_run(false, &sw_wire, &sw_tap);
    g_test_message("software: %u frames into the tap, %u on the wire",
                   sw_tap->len, sw_wire->len);
    vnet_check_wire(sw_wire);
    g_assert_cmpuint(sw_tap->len, ==, VNET_WIRE_FRAMES);

    /* with them it hands TSO and checksums to the tap */
    vnet_run(true, &vh_wire, &vh_tap);
    g_test_message("virtio-net headers: %u frames into the tap, %u on the"
                   " wire", vh_tap->len, vh_wire->len);
    g_assert_cmpuint(vh_tap->len, ==, VNET_SENDS);
    g_assert_cmpuint(((GByteArray *)g_ptr_array_index(vh_tap, 0))->len, ==,
                     L4_OFF + 20 + VNET_TSO4_PAYLOAD);
    g_assert_cmpuint(((GByteArray *)g_ptr_array_index(vh_tap, 1))->len, ==,
                     IP_OFF + 60 + VNET_TSO6_PAYLOAD);

    /* and the bytes on the wire are the same */
    g_assert_cmpuint(vh_wire->len, ==, sw_wire->len);
    for (unsigned i = 0; i < sw_wire->len; i++) {
        GByteArray *a = g_ptr_array_index(sw_wire, i);
        GByteArray *b = g_ptr_array_index(vh_wire, i);

        g_assert_cmpmem(b->data, b->len, a->data, a->len);
    }
}

static void test_tx_vnet_tap(void)
{
    if (vnet_possible()) {
        vnet_fork(vnet_tap_child);
    }
}

/*
 * Receive offloads from the backend (host_offload): the host hands the tap
 * a 64 KiB TCP frame (or a frame with its checksum partial) and the model
 * makes the frames of the wire.  The host's kernel is the reference: with
 * host_offload=off it segments and checksums before QEMU reads, and the
 * guest must get the same bytes either way.
 */
#define HOFF_FRAMES     (14 + 9 + 1 + 1)
#define HOFF_SENDS      4
#define HOFF_RQDPC0     0xc030  /* queue 0's drop count (DROP_EN) */

/* A packet socket that sends into @ifname behind virtio-net headers */
static int vnet_packet_sock(const char *ifname)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = if_nametoindex(ifname),
    };
    int fd = socket(AF_PACKET, SOCK_RAW, 0);
    int one = 1;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
                               sizeof(one)), ==, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    return fd;
}

static void hoff_send(int fd, uint8_t *f, size_t len, uint8_t gso,
                      uint16_t mss, size_t l4, bool udp)
{
    struct virtio_net_hdr vh = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = gso,
        .hdr_len = l4 + (udp ? 8 : 20),
        .gso_size = mss,
        .csum_start = l4,
        .csum_offset = udp ? 6 : 16,
    };
    struct iovec iov[2] = {
        { .iov_base = &vh, .iov_len = sizeof(vh) },
        { .iov_base = f, .iov_len = len },
    };

    memcpy(f, igb_mac, 6);      /* to the NIC's own address */
    if (lduw_be_p(f + 12) == 0x0800) {
        stw_be_p(f + IP_OFF + 10, 0);
        stw_be_p(f + IP_OFF + 10, ~csum_fold(csum_add(0, f + IP_OFF, 20)));
    }
    g_assert_cmpint(writev(fd, iov, 2), ==, sizeof(vh) + len);
}

/* What the host sends: TSO over IPv4 and IPv6, partial TCP and UDP sums */
static void hoff_send_tso4(int fd, uint8_t *f)
{
    size_t len = make_ipv4(f, 6, VNET_TSO4_PAYLOAD, 31);

    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(f + IP_OFF, 6,
                                                   len - L4_OFF)));
    hoff_send(fd, f, len, VIRTIO_NET_HDR_GSO_TCPV4, VNET_TSO4_MSS, L4_OFF,
              false);
}

static void hoff_send_all(int fd, uint8_t *f)
{
    uint8_t *ip = f + IP_OFF;
    size_t len;

    hoff_send_tso4(fd, f);
    len = make_ipv6(f, 6, VNET_TSO6_PAYLOAD, 32);
    stw_be_p(ip + 40 + 16, csum_fold(csum_add(0, ip + 8, 32) + 6 + 20 +
                                     VNET_TSO6_PAYLOAD));
    hoff_send(fd, f, len, VIRTIO_NET_HDR_GSO_TCPV6, VNET_TSO6_MSS,
              IP_OFF + 40, false);
    len = make_ipv4(f, 6, 300, 33);
    stw_be_p(f + L4_OFF + 16, csum_fold(pseudo_sum(ip, 6, len - L4_OFF)));
    hoff_send(fd, f, len, VIRTIO_NET_HDR_GSO_NONE, 0, L4_OFF, false);
    len = make_ipv4(f, 17, 200, 34);
    stw_be_p(f + L4_OFF + 6, csum_fold(pseudo_sum(ip, 17, len - L4_OFF)));
    hoff_send(fd, f, len, VIRTIO_NET_HDR_GSO_NONE, 0, L4_OFF, true);
}

/* Frames the host sent into igbtap0 (/proc/net/dev: this namespace's) */
static uint64_t tap_tx_packets(void)
{
    g_autofree char *s = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents("/proc/net/dev", &s, NULL, NULL));
    lines = g_strsplit(s, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        char *c = strstr(lines[i], "igbtap0:");
        unsigned long long v[10];

        if (c && sscanf(c + 8, "%llu %llu %llu %llu %llu %llu %llu %llu %llu"
                        " %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                        &v[6], &v[7], &v[8], &v[9]) == 10) {
            return v[9];
        }
    }
    g_assert_not_reached();
}

/* The next @n frames of @r, each of one buffer, appended to @got */
static void hoff_receive(QIgb *d, QIgbRing *r, GPtrArray *got, unsigned n)
{
    while (n--) {
        QIgbRxInfo info;
        GByteArray *b = g_byte_array_sized_new(2048);

        g_assert_true(qigb_rx_wait(d, r, &info));
        g_assert_cmphex(info.status & IGB_RXD_STAT_EOP, ==, IGB_RXD_STAT_EOP);
        g_byte_array_set_size(b, info.length);
        qtest_memread(qigb_qts(d), info.buf, b->data, info.length);
        g_ptr_array_add(got, b);
    }
}

/*
 * One QEMU with igb on tap igbtap0 (virtio-net headers on), host_offload
 * as @on says: the frames its guest gets, and how many the tap passed.
 */
static GPtrArray *hoff_run(bool on, uint64_t *tap_frames)
{
    GPtrArray *got = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_byte_array_unref);
    g_autofree uint8_t *f = g_malloc(32 * KiB);
    IgbQemu e;
    QIgbRing r;
    QIgbRxInfo info;
    uint64_t before;
    int fd;

    igbq_start(&e, "-netdev tap,id=" QIGB_NETDEV_ID ",ifname=igbtap0,"
               "script=no,downscript=no,vnet_hdr=on -device igb,netdev="
               QIGB_NETDEV_ID ",addr=04.0,mac=" QIGB_MAC_STR
               ",host_offload=%s", on ? "on" : "off");
    sh("ip link set igbtap0 up");
    fd = vnet_packet_sock("igbtap0");
    igb_init(&e.d);
    qigb_ring_init(&e.d, &r, true, 0, 64, 2048, true);
    qigb_rx_start(&e.d, &r, 0, 0);
    qigb_rx_post(&e.d, &r, 63);

    before = tap_tx_packets();
    hoff_send_all(fd, f);
    hoff_receive(&e.d, &r, got, HOFF_FRAMES);
    settle(&e.d, 5);
    g_assert_false(qigb_rx_poll(&e.d, &r, &info));
    *tap_frames = tap_tx_packets() - before;

    if (on) {
        /*
         * Room for 5 of the 14 segments, flow control on: the frame waits
         * in QEMU's queue, and when buffers come the other 9 follow, none
         * received twice.
         */
        unsigned first = got->len;

        qigb_wr(&e.d, IGB_CTRL, qigb_rd(&e.d, IGB_CTRL) | IGB_CTRL_TFCE);
        qigb_ring_free(&e.d, &r);
        qigb_ring_init(&e.d, &r, true, 0, 64, 2048, true);
        qigb_rx_start(&e.d, &r, 0, 0);
        qigb_rx_post(&e.d, &r, 5);
        hoff_send_tso4(fd, f);
        hoff_receive(&e.d, &r, got, 5);
        settle(&e.d, 5);
        g_assert_false(qigb_rx_poll(&e.d, &r, &info));
        g_assert_cmpuint(qigb_rd(&e.d, IGB_RNBC), >, 0);
        qigb_rx_post(&e.d, &r, 40);
        hoff_receive(&e.d, &r, got, 9);
        settle(&e.d, 5);
        g_assert_false(qigb_rx_poll(&e.d, &r, &info));
        for (unsigned i = 0; i < 14; i++) {
            GByteArray *a = g_ptr_array_index(got, i);
            GByteArray *b = g_ptr_array_index(got, first + i);

            g_assert_cmpmem(b->data, b->len, a->data, a->len);
        }
        g_ptr_array_set_size(got, first);

        /*
         * SRRCTL.DROP_EN, no flow control: the rest of the frame still
         * waits for buffers while the wire would be sending it (9 segments
         * at 1 Gb/s: ~110 us of virtual time), and is dropped after that.
         */
        qigb_wr(&e.d, IGB_CTRL, qigb_rd(&e.d, IGB_CTRL) & ~IGB_CTRL_TFCE);
        for (int late = 0; late < 2; late++) {
            qigb_ring_free(&e.d, &r);
            qigb_ring_init(&e.d, &r, true, 0, 64, 2048, true);
            qigb_rx_start(&e.d, &r, 0, IGB_SRRCTL_DROP_EN);
            qigb_rd(&e.d, HOFF_RQDPC0);
            qigb_rx_post(&e.d, &r, 5);
            hoff_send_tso4(fd, f);
            hoff_receive(&e.d, &r, got, 5);
            if (late) {
                qtest_clock_step(e.qts, 1000 * 1000);
                settle(&e.d, 2);
                g_assert_cmpuint(qigb_rd(&e.d, HOFF_RQDPC0), ==, 9);
                qigb_rx_post(&e.d, &r, 40);
                settle(&e.d, 5);
                g_assert_false(qigb_rx_poll(&e.d, &r, &info));
            } else {
                g_assert_cmpuint(qigb_rd(&e.d, HOFF_RQDPC0), ==, 0);
                qigb_rx_post(&e.d, &r, 40);
                hoff_receive(&e.d, &r, got, 9);
                for (unsigned i = 0; i < 14; i++) {
                    GByteArray *a = g_ptr_array_index(got, i);
                    GByteArray *b = g_ptr_array_index(got, first + i);

                    g_assert_cmpmem(b->data, b->len, a->data, a->len);
                }
            }
            g_ptr_array_set_size(got, first);
        }
    }
    close(fd);
    qigb_ring_free(&e.d, &r);
    igbq_stop(&e);
    return got;
}

static void hoff_child(void)
{
    g_autoptr(GPtrArray) ref = NULL, got = NULL;
    uint64_t ref_tap, got_tap;
    size_t off4 = 0, off6 = 0;

    vnet_netns();
    ref = hoff_run(false, &ref_tap);
    got = hoff_run(true, &got_tap);
    g_test_message("host_offload=off: %" PRIu64 " frames through the tap;"
                   " on: %" PRIu64, ref_tap, got_tap);
    g_assert_cmpuint(ref_tap, ==, HOFF_FRAMES);
    g_assert_cmpuint(got_tap, ==, HOFF_SENDS);

    /* the kernel's frames are the wire's: check them, then compare */
    for (unsigned i = 0; i < HOFF_FRAMES; i++) {
        GByteArray *a = g_ptr_array_index(ref, i);
        GByteArray *b = g_ptr_array_index(got, i);
        const uint8_t *p = a->data, *ip = p + IP_OFF;

        if (i < 14) {
            size_t seg = MIN(VNET_TSO4_MSS, VNET_TSO4_PAYLOAD - off4);

            g_assert_cmpuint(a->len, ==, L4_OFF + 20 + seg);
            assert_ipv4_csums(p, a->len);
            g_assert_cmphex(lduw_be_p(ip + 4), ==, 0x1234 + i);
            g_assert_cmpuint(ldl_be_p(p + L4_OFF + 4), ==, 1000 + off4);
            g_assert_cmphex(p[L4_OFF + 13], ==, i == 13 ? 0x18 : 0x10);
            off4 += seg;
        } else if (i < 23) {
            size_t seg = MIN(VNET_TSO6_MSS, VNET_TSO6_PAYLOAD - off6);

            g_assert_cmpuint(a->len, ==, IP_OFF + 60 + seg);
            g_assert_cmphex(csum_fold(csum_add(0, ip + 8, 32) + 6 + 20 + seg +
                                      csum_add(0, ip + 40, 20 + seg)),
                            ==, 0xffff);
            off6 += seg;
        } else {
            assert_ipv4_csums(p, a->len);
        }
        g_assert_cmpmem(b->data, b->len, a->data, a->len);
    }
    g_assert_cmpuint(off4, ==, VNET_TSO4_PAYLOAD);
    g_assert_cmpuint(off6, ==, VNET_TSO6_PAYLOAD);
}

static void test_rx_host_offload(void)
{
    if (vnet_possible()) {
        vnet_fork(hoff_child);
    }
}

#endif /* CONFIG_LINUX */

static void igb_register_offload_tests(void)
{
#ifndef _WIN32
    QOSGraphTestOptions opts = { .before = igb_setup_socket };

    /* On sPAPR, device DMA goes through an IOMMU these tests do not set up */
    if (!strcmp(qtest_get_arch(), "ppc64")) {
        return;
    }
    qos_add_test("rx-csum", "igb", test_rx_csum, &opts);
    qos_add_test("rx-csum-legacy", "igb", test_rx_csum_legacy, &opts);
    qos_add_test("rx-pkt-type", "igb", test_rx_pkt_type, &opts);
    qos_add_test("rx-steering", "igb", test_rx_steering, &opts);
    qos_add_test("ptp-rx", "igb", test_ptp_rx, &opts);
    qos_add_test("ptp-tx", "igb", test_ptp_tx, &opts);
    qos_add_test("rx-hdr-split", "igb", test_rx_hdr_split, &opts);
    qos_add_test("rx-hostile-buffers", "igb", test_rx_hostile_buffers, &opts);
    qos_add_test("vlan-double", "igb", test_vlan_double, &opts);
    qos_add_test("wake", "igb", test_wake, &opts);
    qos_add_test("tx-wthresh", "igb", test_tx_wthresh, &opts);
    qos_add_test("rx-def-q", "igb", test_rx_def_q, &opts);
    qos_add_test("hostile-regs", "igb", test_hostile_regs, &opts);
    qos_add_test("tx-pad", "igb", test_tx_pad, &opts);
    opts.before = igb_setup_nosock;
    qos_add_test("ptp-clock", "igb", test_ptp_clock, &opts);
    qos_add_test("eeprom-spi", "igb", test_eeprom_spi, &opts);
    qtest_add_func("igb/eeprom-file", test_eeprom_file);
    qtest_add_func("igb/unimp-once", test_unimp_once);
    qtest_add_func("igb/filter-dump", test_filter_dump);
#ifdef CONFIG_LINUX
    qtest_add_func("igb/tx-vnet-tap", test_tx_vnet_tap);
    qtest_add_func("igb/rx-host-offload", test_rx_host_offload);
#endif
#endif
}

libqos_init(igb_register_offload_tests);

/* ------------------------------------------------------------------ */
/* SR-IOV: virtual functions, mailboxes, pool switching; RSS */

/*
 * The VF tests run on q35 with ECAM enabled by hand, like pcie-extcaps:
 * the SR-IOV capability lives in extended config space.  The VFs'
 * registers follow the Linux igbvf driver (regs.h, mbx.h), the PF's side
 * e1000_regs.h, e1000_mbx.h and e1000_82575.h of the igb driver.
 */

#ifndef _WIN32

#define SRIOV_VFS           2       /* VFs the tests enable */
#define SRIOV_PF_POOL       SRIOV_VFS   /* the PF's pool follows the VFs' */
#define VF_BAR_SIZE         (16 * KiB)

/* PF: mailboxes, VF enables, switching, pools (e1000_regs.h, ...) */
#define PF_CTRL_EXT_PFRSTD  (1u << 14)
#define PF_ICR_VMMB         (1u << 8)
#define PF_VMBMEM(vf)       (0x00800 + 0x40 * (vf))
#define PF_P2VMAILBOX(vf)   (0x00c00 + 4 * (vf))
#define PF_MBVFICR          0x00c80
#define PF_MBVFIMR          0x00c84
#define PF_VFLRE            0x00c88
#define PF_VFRE             0x00c8c
#define PF_VFTE             0x00c90
#define PF_DTXSWC           0x03500
#define PF_WVBR             0x03554
#define PF_MRQC             0x05818
#define PF_VT_CTL           0x0581c
#define PF_VMOLR(pool)      (0x05ad0 + 4 * (pool))
#define PF_VMVIR(pool)      (0x03700 + 4 * (pool))
#define PF_RETA(i)          (0x05c00 + 4 * (i))
#define PF_RSSRK(i)         (0x05c80 + 4 * (i))
/* Queue registers of any of the 16 queues (the 82576 layout) */
#define PF_RXQ(q)           (0x0c000 + 0x40 * (q))
#define PF_TXQ(q)           (0x0e000 + 0x40 * (q))
#define QREG(reg)           ((reg) & 0x3f)  /* IGB_RDLEN(0) -> 0x08 */

#define P2V_STS             (1u << 0)
#define P2V_ACK             (1u << 1)
#define P2V_VFU             (1u << 2)
#define P2V_PFU             (1u << 3)
#define P2V_RVFU            (1u << 4)
#define MBVFICR_REQ(vf)     BIT(vf)
#define MBVFICR_ACK(vf)     BIT(16 + (vf))

#define MRQC_RSS            2
#define MRQC_VMDQ           3
#define MRQC_RSS_IPV4_TCP   (1u << 16)
#define MRQC_RSS_IPV4       (1u << 17)
#define VT_CTL_DEF_POOL_SHIFT 7
#define VT_CTL_REPL_EN      (1u << 30)
#define VMOLR_AUPE          (1u << 24)
#define VMOLR_ROMPE         (1u << 25)
#define VMOLR_BAM           (1u << 27)
#define VMOLR_STRCRC        (1u << 31)
#define DTXSWC_LOOPBACK_EN  (1u << 31)
#define RAH_AV              (1u << 31)
#define RAH_POOL(p)         (1u << (18 + (p)))
#define RXCSUM_PCSD         (1u << 13)

/* VF register window (igbvf regs.h, mbx.h) */
#define VF_CTRL             0x00000
#define VF_CTRL_RST         (1u << 26)
#define VF_STATUS           0x00008
#define VF_VMBMEM           0x00800
#define VF_V2PMAILBOX       0x00c40
#define VF_EICS             0x01520
#define VF_EIMS             0x01524
#define VF_EIMC             0x01528
#define VF_EIAC             0x0152c
#define VF_EIAM             0x01530
#define VF_EICR             0x01580
#define VF_EITR(v)          (0x01680 + 4 * (v))
#define VF_IVAR0            0x01700
#define VF_IVAR_MISC        0x01740
#define VF_MSIX_VECTORS     3

#define V2P_REQ             (1u << 0)
#define V2P_ACK             (1u << 1)
#define V2P_VFU             (1u << 2)
#define V2P_PFU             (1u << 3)
#define V2P_PFSTS           (1u << 4)
#define V2P_PFACK           (1u << 5)
#define V2P_RSTI            (1u << 6)
#define V2P_RSTD            (1u << 7)

#define MBX_WORDS           16

typedef struct Sriov {
    QTestState *qts;
    QGuestAllocator alloc;
    QPCIBus *bus;
    int sv[2];                  /* socketpair, sv[0] is ours; or -1 */
    uint16_t cap;               /* the PF's SR-IOV capability */
    int devfn;                  /* the PF's bus << 8 | devfn */
    QIgb pf;
    QIgb vf[SRIOV_VFS];
    uint64_t vf_bar0, vf_bar3;  /* VF0's BARs; VF n's at + n * size */
} Sriov;

static void sriov_cfg_wrw(Sriov *s, int off, uint16_t val)
{
    qtest_writew(s->qts, ecam_addr(s->devfn, off), val);
}

static void sriov_cfg_wrl(Sriov *s, int off, uint32_t val)
{
    qtest_writel(s->qts, ecam_addr(s->devfn, off), val);
}

/* Size a VF BAR (in the SR-IOV capability) and place VF0's copy at @addr */
static uint32_t sriov_vf_bar(Sriov *s, int bar, uint64_t addr)
{
    int off = s->cap + PCI_SRIOV_BAR + 4 * bar;
    uint32_t orig = ecam_rdl(s->qts, s->devfn, off);
    bool is64 = (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
                PCI_BASE_ADDRESS_MEM_TYPE_64;
    uint32_t mask;

    g_assert_cmphex(orig & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    sriov_cfg_wrl(s, off, 0xffffffff);
    mask = ecam_rdl(s->qts, s->devfn, off) & PCI_BASE_ADDRESS_MEM_MASK;
    sriov_cfg_wrl(s, off, (uint32_t)addr);
    if (is64) {
        sriov_cfg_wrl(s, off + 4, addr >> 32);
    }
    return ~mask + 1;
}

/*
 * q35 with the igb at 04.0, reset and with link, ECAM on.  With @sock,
 * the netdev is a socketpair whose other end is s->sv[0].  False if the
 * machine cannot run the test (it is skipped then).
 */
/* another -netdev for sriov_start() (with id=QIGB_NETDEV_ID), or NULL */
static const char *sriov_netdev;
/* sriov_start() puts the igb (id "pf0") behind a root port, bus 1 */
static bool sriov_rootport;
/* the root port's slot as PCIe native hotplug (pciehp), not ACPI's */
static bool sriov_native_hotplug;

#define ROOTPORT_DEVFN      QPCI_DEVFN(5, 0)
#define ROOTPORT_BUS        1

/*
 * What firmware does after a reset: ECAM at Q35_ECAM_BASE (MCH PCIEXBAR,
 * as in pcie-extcaps) and, with a root port, its bus numbers and a memory
 * window over the addresses libqos hands out.
 */
static void sriov_firmware(Sriov *s)
{
    qtest_outl(s->qts, 0xcf8, 0x80000000 | (Q35_PCIEXBAR + 4));
    qtest_outl(s->qts, 0xcfc, 0);
    qtest_outl(s->qts, 0xcf8, 0x80000000 | Q35_PCIEXBAR);
    qtest_outl(s->qts, 0xcfc, (uint32_t)Q35_ECAM_BASE | 1);
    if ((s->devfn >> 8) != ROOTPORT_BUS) {
        return;
    }
    qtest_writel(s->qts, ecam_addr(ROOTPORT_DEVFN, PCI_PRIMARY_BUS),
                 ROOTPORT_BUS << 16 | ROOTPORT_BUS << 8);
    /* 0xe0000000-0xefffffff: where qpci_new_pc() allocates BARs from */
    g_assert_cmphex(s->bus->mmio_alloc_ptr, >=, 0xe0000000u);
    qtest_writel(s->qts, ecam_addr(ROOTPORT_DEVFN, PCI_MEMORY_BASE),
                 0xeff0e000);
    qtest_writew(s->qts, ecam_addr(ROOTPORT_DEVFN, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* The PF as a driver finds it: enabled, BAR0 mapped, reset, link up */
static void sriov_pf_init(Sriov *s)
{
    QPCIAddress pf = {
        .devfn = s->devfn,
        .vendor_id = QIGB_VENDOR_ID,
        .device_id = QIGB_DEVICE_ID,
    };
    int off, n;

    qpci_device_init(&s->pf.pdev, s->bus, &pf);
    g_assert_cmphex(qpci_config_readw(&s->pf.pdev, PCI_DEVICE_ID), ==,
                    QIGB_DEVICE_ID);
    qpci_device_enable(&s->pf.pdev);
    s->pf.mmio = qpci_iomap(&s->pf.pdev, 0, NULL);
    s->pf.alloc = &s->alloc;
    igb_init(&s->pf);

    s->cap = 0;
    for (off = PCI_CFG_SPACE_SIZE, n = 0; off && n < 64; n++) {
        uint32_t hdr = ecam_rdl(s->qts, s->devfn, off);

        if (PCI_EXT_CAP_ID(hdr) == PCI_EXT_CAP_ID_SRIOV) {
            s->cap = off;
            break;
        }
        off = PCI_EXT_CAP_NEXT(hdr);
    }
    g_assert_cmphex(s->cap, !=, 0);
}

static bool sriov_start(Sriov *s, bool sock)
{
    g_autofree char *netdev = NULL;

    memset(s, 0, sizeof(*s));
    s->sv[0] = s->sv[1] = -1;
    if (!qtest_has_machine("q35") || !qtest_has_device("igb") ||
        (sriov_rootport && !qtest_has_device("pcie-root-port"))) {
        g_test_skip("q35, igb or pcie-root-port not available");
        return false;
    }
    if (sriov_netdev) {
        netdev = g_strdup(sriov_netdev);
    } else if (sock) {
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, s->sv), ==, 0);
        netdev = g_strdup_printf("socket,id=%s,fd=%d", QIGB_NETDEV_ID,
                                 s->sv[1]);
    } else {
        netdev = g_strdup_printf("hubport,hubid=0,id=%s", QIGB_NETDEV_ID);
    }
    if (sriov_rootport) {
        s->devfn = ROOTPORT_BUS << 8;
        s->qts = qtest_initf("-M q35 -netdev %s -device pcie-root-port,"
                             "id=rp0,chassis=1,addr=05.0 -device igb,id=pf0,"
                             "bus=rp0,netdev=%s,mac=" QIGB_MAC_STR "%s",
                             netdev, QIGB_NETDEV_ID, sriov_native_hotplug ?
                             " -global ICH9-LPC.acpi-pci-hotplug-with-bridge"
                             "-support=off" : "");
    } else {
        s->devfn = IGB_Q35_DEVFN;
        s->qts = qtest_initf("-M q35 -netdev %s -device igb,netdev=%s,"
                             "addr=04.0,mac=" QIGB_MAC_STR, netdev,
                             QIGB_NETDEV_ID);
    }
    pc_alloc_init(&s->alloc, s->qts, ALLOC_NO_FLAGS);
    s->bus = qpci_new_pc(s->qts, &s->alloc);
    sriov_firmware(s);
    sriov_pf_init(s);
    return true;
}

/*
 * What the PF driver does to bring up SRIOV_VFS VFs: VF BARs, NumVFs,
 * VF Enable + VF MSE; then each VF's command register (memory and bus
 * mastering), and CTRL_EXT.PFRSTD to tell the VFs the PF is ready.
 * Leaves every VF's read-to-clear mailbox bits cleared.
 */
static bool sriov_enable(Sriov *s)
{
    uint64_t base = ROUND_UP(s->bus->mmio_alloc_ptr, 1 * MiB);
    uint16_t first, stride;
    int i;

    first = ecam_rdw(s->qts, s->devfn, s->cap + PCI_SRIOV_VF_OFFSET);
    stride = ecam_rdw(s->qts, s->devfn, s->cap + PCI_SRIOV_VF_STRIDE);
    if ((s->devfn & 0xff) + first + stride * (SRIOV_VFS - 1) > 0xff) {
        /* the hardware's 0x180 puts the VFs on a bus QEMU cannot give */
        g_test_skip("VFs are not on the PF's bus");
        return false;
    }

    s->vf_bar0 = base;
    s->vf_bar3 = base + 256 * KiB;
    s->bus->mmio_alloc_ptr = base + 512 * KiB;
    g_assert_cmphex(s->bus->mmio_alloc_ptr, <=, s->bus->mmio_limit);
    g_assert_cmphex(sriov_vf_bar(s, 0, s->vf_bar0), ==, VF_BAR_SIZE);
    g_assert_cmphex(sriov_vf_bar(s, 3, s->vf_bar3), ==, VF_BAR_SIZE);

    sriov_cfg_wrw(s, s->cap + PCI_SRIOV_NUM_VF, SRIOV_VFS);
    sriov_cfg_wrw(s, s->cap + PCI_SRIOV_CTRL,
                  PCI_SRIOV_CTRL_VFE | PCI_SRIOV_CTRL_MSE);

    for (i = 0; i < SRIOV_VFS; i++) {
        QIgb *vf = &s->vf[i];
        QPCIAddress a = { .devfn = s->devfn + first + i * stride };

        /* A VF's vendor/device ID fields may read as 0xffff: no check */
        qpci_device_init(&vf->pdev, s->bus, &a);
        g_assert_cmphex(qpci_config_readl(&vf->pdev, PCI_CLASS_REVISION) >> 8,
                        ==, 0x020000);
        /* the PF's subsystem IDs */
        g_assert_cmphex(qpci_config_readl(&vf->pdev, PCI_SUBSYSTEM_VENDOR_ID),
                        ==, qpci_config_readl(&s->pf.pdev,
                                              PCI_SUBSYSTEM_VENDOR_ID));
        qpci_config_writew(&vf->pdev, PCI_COMMAND,
                           PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        vf->mmio.addr = s->vf_bar0 + i * VF_BAR_SIZE;
        vf->mmio.is_io = false;
        vf->alloc = &s->alloc;
    }

    qigb_wr(&s->pf, IGB_CTRL_EXT,
            qigb_rd(&s->pf, IGB_CTRL_EXT) | PF_CTRL_EXT_PFRSTD);
    for (i = 0; i < SRIOV_VFS; i++) {
        qigb_rd(&s->vf[i], VF_V2PMAILBOX);
        g_assert_cmphex(qigb_rd(&s->vf[i], VF_V2PMAILBOX) &
                        (V2P_RSTI | V2P_RSTD), ==, 0);
    }
    return true;
}

static void sriov_stop(Sriov *s)
{
    int i;

    if (s->bus) {
        qpci_free_pc(s->bus);
        alloc_destroy(&s->alloc);
    }
    if (s->qts) {
        qtest_quit(s->qts);
    }
    for (i = 0; i < ARRAY_SIZE(s->sv); i++) {
        if (s->sv[i] >= 0) {
            close(s->sv[i]);
        }
    }
}

/* MSI-X of VF @n: table and PBA in its BAR3; messages as with the PF */
static void sriov_vf_msix(Sriov *s, int n)
{
    QIgb *vf = &s->vf[n];
    QPCIDevice *pdev = &vf->pdev;
    uint8_t cap = qpci_find_capability(pdev, PCI_CAP_ID_MSIX, 0);
    uint32_t table, pba;
    uint16_t flags;

    g_assert_cmphex(cap, !=, 0);
    flags = qpci_config_readw(pdev, cap + PCI_MSIX_FLAGS);
    g_assert_cmpuint((flags & PCI_MSIX_FLAGS_QSIZE) + 1, ==, VF_MSIX_VECTORS);
    table = qpci_config_readl(pdev, cap + PCI_MSIX_TABLE);
    pba = qpci_config_readl(pdev, cap + PCI_MSIX_PBA);
    g_assert_cmpuint(table & PCI_MSIX_TABLE_BIR, ==, 3);
    g_assert_cmpuint(pba & PCI_MSIX_PBA_BIR, ==, 3);

    /* qpci_msix_enable() would try to size BAR3: a VF's is in the PF */
    pdev->msix_table_bar.addr = s->vf_bar3 + n * VF_BAR_SIZE;
    pdev->msix_table_bar.is_io = false;
    pdev->msix_table_off = table & ~PCI_MSIX_TABLE_BIR;
    pdev->msix_pba_bar = pdev->msix_table_bar;
    pdev->msix_pba_off = pba & ~PCI_MSIX_PBA_BIR;
    qpci_config_writew(pdev, cap + PCI_MSIX_FLAGS,
                       flags | PCI_MSIX_FLAGS_ENABLE);
    pdev->msix_enabled = true;
    vf->msix_msg = guest_alloc(&s->alloc, 4096);
    qtest_memset(s->qts, vf->msix_msg, 0, 4096);
}

static void wait_msix(QIgb *d, int vec)
{
    VecWait w = { .vec = vec };

    g_assert_true(qigb_wait_for(d, vec_fired, &w));
    qigb_msix_clear(d, vec);
}

/* ------------------------------------------------------------------ */
/* Mailbox */

static void test_sriov_mailbox(void)
{
    const int n = 1;            /* VF0 must not hear what VF1 says */
    const int mbx_vec = 2;
    Sriov s;
    QIgb *pf, *vf, *vf0;
    uint32_t msg[MBX_WORDS];
    uint32_t v;
    int i;

    if (!sriov_start(&s, false) || !sriov_enable(&s)) {
        sriov_stop(&s);
        return;
    }
    pf = &s.pf;
    vf = &s.vf[n];
    vf0 = &s.vf[0];

    /* The VF's mailbox interrupt: "other" cause on vector mbx_vec */
    sriov_vf_msix(&s, n);
    qigb_msix_vector_setup(vf, mbx_vec, false);
    qigb_wr(vf, VF_IVAR_MISC, mbx_vec | IGB_IVAR_VALID);
    qigb_wr(vf, VF_EIMS, BIT(mbx_vec));
    /* The PF's: VMMB for this VF only */
    qigb_wr(pf, PF_MBVFIMR, BIT(n));
    qigb_wr(pf, IGB_IMS, PF_ICR_VMMB);
    qigb_rd(pf, IGB_ICR);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, 0);

    /* VF takes the buffer: VFU set; the PF sees it and cannot get PFU */
    qigb_wr(vf, VF_V2PMAILBOX, V2P_VFU);
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & (V2P_VFU | V2P_PFU), ==,
                    V2P_VFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & (P2V_VFU | P2V_PFU), ==,
                    P2V_VFU);
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_PFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & P2V_PFU, ==, 0);
    /* ...while VF0's buffer is free for the PF to take and release */
    qigb_wr(pf, PF_P2VMAILBOX(0), P2V_PFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(0)) & (P2V_VFU | P2V_PFU), ==,
                    P2V_PFU);
    qigb_wr(pf, PF_P2VMAILBOX(0), 0);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(0)) & P2V_PFU, ==, 0);

    /* VF -> PF: the words show up in the PF's VMBMEM(n) only */
    for (i = 0; i < MBX_WORDS; i++) {
        msg[i] = 0x5a000000 | n << 16 | i * 0x111;
        qigb_wr(vf, VF_VMBMEM + 4 * i, msg[i]);
    }
    for (i = 0; i < MBX_WORDS; i++) {
        g_assert_cmphex(qigb_rd(pf, PF_VMBMEM(n) + 4 * i), ==, msg[i]);
        g_assert_cmphex(qigb_rd(pf, PF_VMBMEM(0) + 4 * i), ==, 0);
        g_assert_cmphex(qigb_rd(vf0, VF_VMBMEM + 4 * i), ==, 0);
    }
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, 0);
    g_assert_cmphex(qigb_rd(pf, IGB_ICR) & PF_ICR_VMMB, ==, 0);

    /* REQ (without VFU: the VF lets go of the buffer) interrupts the PF */
    qigb_wr(vf, VF_V2PMAILBOX, V2P_REQ);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, MBVFICR_REQ(n));
    g_assert_cmphex(qigb_rd(pf, IGB_ICR) & PF_ICR_VMMB, ==, PF_ICR_VMMB);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & P2V_VFU, ==, 0);
    /* MBVFICR is write-1-to-clear */
    qigb_wr(pf, PF_MBVFICR, 0);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, MBVFICR_REQ(n));
    qigb_wr(pf, PF_MBVFICR, MBVFICR_REQ(n));
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, 0);

    /* With the VF masked in MBVFIMR, MBVFICR latches but VMMB stays off */
    qigb_wr(pf, PF_MBVFIMR, 0);
    qigb_wr(vf, VF_V2PMAILBOX, V2P_REQ);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, MBVFICR_REQ(n));
    g_assert_cmphex(qigb_rd(pf, IGB_ICR) & PF_ICR_VMMB, ==, 0);
    qigb_wr(pf, PF_MBVFICR, MBVFICR_REQ(n));
    qigb_wr(pf, PF_MBVFIMR, BIT(n));

    /* PF -> VF: with PFU held by the PF, the VF cannot get VFU */
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_PFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & (P2V_VFU | P2V_PFU), ==,
                    P2V_PFU);
    qigb_wr(vf, VF_V2PMAILBOX, V2P_VFU);
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & (V2P_VFU | V2P_PFU), ==,
                    V2P_PFU);
    g_assert_false(qigb_msix_fired(vf, mbx_vec));
    for (i = 0; i < MBX_WORDS; i++) {
        msg[i] = 0xa5000000 | i * 0x10101;
        qigb_wr(pf, PF_VMBMEM(n) + 4 * i, msg[i]);
    }
    /* STS: "message sent", releasing the buffer; the VF is interrupted */
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_STS);
    wait_msix(vf, mbx_vec);
    v = qigb_rd(vf, VF_V2PMAILBOX);
    g_assert_cmphex(v & (V2P_PFSTS | V2P_PFU | V2P_PFACK), ==, V2P_PFSTS);
    /* PFSTS is read-to-clear */
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_PFSTS, ==, 0);
    g_assert_cmphex(qigb_rd(vf0, VF_V2PMAILBOX) & V2P_PFSTS, ==, 0);
    for (i = 0; i < MBX_WORDS; i++) {
        g_assert_cmphex(qigb_rd(vf, VF_VMBMEM + 4 * i), ==, msg[i]);
    }

    /* VF ACK -> MBVFICR.VFACK(n) and VMMB */
    qigb_rd(pf, IGB_ICR);
    qigb_wr(vf, VF_V2PMAILBOX, V2P_ACK);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, MBVFICR_ACK(n));
    g_assert_cmphex(qigb_rd(pf, IGB_ICR) & PF_ICR_VMMB, ==, PF_ICR_VMMB);
    qigb_wr(pf, PF_MBVFICR, MBVFICR_ACK(n));
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, 0);

    /* PF ACK -> PFACK, read once */
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_ACK);
    v = qigb_rd(vf, VF_V2PMAILBOX);
    g_assert_cmphex(v & (V2P_PFACK | V2P_PFSTS), ==, V2P_PFACK);
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_PFACK, ==, 0);
    g_assert_cmphex(qigb_rd(vf0, VF_V2PMAILBOX) & V2P_PFACK, ==, 0);

    /* VTEIMC masks the mailbox vector; the cause still shows in VTEICR */
    qigb_rd(vf, VF_EICR);
    qigb_msix_clear(vf, mbx_vec);
    qigb_wr(vf, VF_EIMC, BIT(mbx_vec));
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_STS);
    settle(pf, 10);
    g_assert_false(qigb_msix_fired(vf, mbx_vec));
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_PFSTS, ==, V2P_PFSTS);
    g_assert_cmphex(qigb_rd(vf, VF_EICR) & BIT(mbx_vec), ==, BIT(mbx_vec));
    /* Without IVAR_MISC's valid bit there is no cause at all */
    qigb_wr(vf, VF_IVAR_MISC, mbx_vec);
    qigb_wr(vf, VF_EIMS, BIT(mbx_vec));
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_STS);
    settle(pf, 10);
    g_assert_false(qigb_msix_fired(vf, mbx_vec));
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_PFSTS, ==, V2P_PFSTS);
    g_assert_cmphex(qigb_rd(vf, VF_EICR) & BIT(mbx_vec), ==, 0);

    /* RVFU takes the buffer away from a stuck VF */
    qigb_wr(vf, VF_V2PMAILBOX, V2P_VFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & P2V_VFU, ==, P2V_VFU);
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_RVFU);
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_VFU, ==, 0);
    qigb_wr(pf, PF_P2VMAILBOX(n), P2V_PFU);
    g_assert_cmphex(qigb_rd(pf, PF_P2VMAILBOX(n)) & P2V_PFU, ==, P2V_PFU);

    sriov_stop(&s);
}

/* ------------------------------------------------------------------ */
/* Resets */

/* Program a VF's two queue pairs through its own window */
static void vf_queues_dirty(QIgb *vf, uint32_t tag)
{
    int l;

    for (l = 0; l < 2; l++) {
        qigb_wr(vf, IGB_RDBAL(l), 0x00100000 * (tag + l + 1));
        qigb_wr(vf, IGB_RDBAH(l), tag + l + 1);
        qigb_wr(vf, IGB_RDLEN(l), 128 * (tag + l + 1));
        qigb_wr(vf, IGB_RXDCTL(l), IGB_QUEUE_ENABLE);
        qigb_wr(vf, IGB_TDBAL(l), 0x00200000 * (tag + l + 1));
        qigb_wr(vf, IGB_TDBAH(l), tag + l + 2);
        qigb_wr(vf, IGB_TDLEN(l), 256 * (tag + l + 1));
        qigb_wr(vf, IGB_TXDCTL(l), IGB_QUEUE_ENABLE);
    }
}

/* The ring registers of PF queue @q are back to their reset state */
static void pf_queue_clean(QIgb *pf, int q)
{
    static const uint32_t zero[] = {
        IGB_RDBAL(0), IGB_RDBAH(0), IGB_RDLEN(0), IGB_RDH(0), IGB_RDT(0),
    };
    static const uint32_t tzero[] = {
        IGB_TDBAL(0), IGB_TDBAH(0), IGB_TDLEN(0), IGB_TDH(0), IGB_TDT(0),
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(zero); i++) {
        g_assert_cmphex(qigb_rd(pf, PF_RXQ(q) + QREG(zero[i])), ==, 0);
        g_assert_cmphex(qigb_rd(pf, PF_TXQ(q) + QREG(tzero[i])), ==, 0);
    }
    g_assert_cmphex(qigb_rd(pf, PF_RXQ(q) + QREG(IGB_RXDCTL(0))) &
                    IGB_QUEUE_ENABLE, ==, 0);
    g_assert_cmphex(qigb_rd(pf, PF_TXQ(q) + QREG(IGB_TXDCTL(0))) &
                    IGB_QUEUE_ENABLE, ==, 0);
}

/*
 * VF1 is reset, VF0 looks on.  (VF0's queue 0 is the PF's queue 0, whose
 * enable bit has a non-zero default: VF1's reset state is plainer.)
 */
static void test_sriov_reset(void)
{
    const int n = 1, o = 0;
    Sriov s;
    QIgb *pf, *vf, *vfo;
    uint32_t v, rdbal_o;
    uint16_t devctl;
    uint8_t exp;
    int i;

    if (!sriov_start(&s, false) || !sriov_enable(&s)) {
        sriov_stop(&s);
        return;
    }
    pf = &s.pf;
    vf = &s.vf[n];
    vfo = &s.vf[o];

    /* VTCTRL.RST: the VF's queues and interrupt masks go; RSTD read once */
    vf_queues_dirty(vf, 0x10);
    vf_queues_dirty(vfo, 0x20);
    qigb_wr(vf, VF_EIMS, BIT(0) | BIT(2));
    g_assert_cmphex(qigb_rd(vf, VF_EIMS), ==, BIT(0) | BIT(2));
    rdbal_o = qigb_rd(pf, PF_RXQ(o) + QREG(IGB_RDBAL(0)));
    g_assert_cmphex(rdbal_o, !=, 0);
    qigb_wr(vf, VF_CTRL, VF_CTRL_RST);
    v = qigb_rd(vf, VF_V2PMAILBOX);
    g_assert_cmphex(v & (V2P_RSTD | V2P_RSTI), ==, V2P_RSTD);
    g_assert_cmphex(qigb_rd(vf, VF_V2PMAILBOX) & V2P_RSTD, ==, 0);
    g_assert_cmphex(qigb_rd(vf, VF_EIMS), ==, 0);
    for (i = 0; i < 2; i++) {
        g_assert_cmphex(qigb_rd(vf, IGB_RXDCTL(i)) & IGB_QUEUE_ENABLE, ==, 0);
        g_assert_cmphex(qigb_rd(vf, IGB_TXDCTL(i)) & IGB_QUEUE_ENABLE, ==, 0);
    }
    /* The other VF heard nothing and kept its queues */
    g_assert_cmphex(qigb_rd(vfo, VF_V2PMAILBOX) & V2P_RSTD, ==, 0);
    g_assert_cmphex(qigb_rd(pf, PF_RXQ(o) + QREG(IGB_RDBAL(0))), ==, rdbal_o);
    g_assert_cmphex(qigb_rd(vfo, IGB_TXDCTL(1)) & IGB_QUEUE_ENABLE, ==,
                    IGB_QUEUE_ENABLE);

    /* PF reset: RSTI (not read-to-clear) until the PF says PFRSTD */
    qigb_reset(pf);
    for (i = 0; i < SRIOV_VFS; i++) {
        g_assert_cmphex(qigb_rd(&s.vf[i], VF_V2PMAILBOX) & V2P_RSTI, ==,
                        V2P_RSTI);
    }
    settle(pf, 20);
    for (i = 0; i < SRIOV_VFS; i++) {
        g_assert_cmphex(qigb_rd(&s.vf[i], VF_V2PMAILBOX) & V2P_RSTI, ==,
                        V2P_RSTI);
    }
    g_assert_cmphex(qigb_rd(pf, IGB_CTRL_EXT) & PF_CTRL_EXT_PFRSTD, ==, 0);
    qigb_wr(pf, IGB_CTRL_EXT,
            qigb_rd(pf, IGB_CTRL_EXT) | PF_CTRL_EXT_PFRSTD);
    for (i = 0; i < SRIOV_VFS; i++) {
        v = qigb_rd(&s.vf[i], VF_V2PMAILBOX);
        g_assert_cmphex(v & (V2P_RSTI | V2P_RSTD), ==, V2P_RSTD);
        g_assert_cmphex(qigb_rd(&s.vf[i], VF_V2PMAILBOX) &
                        (V2P_RSTI | V2P_RSTD), ==, 0);
    }
    /* The PF's reset took the VFs' queues with it */
    pf_queue_clean(pf, n);
    pf_queue_clean(pf, n + 8);
    g_assert_cmphex(qigb_rd(pf, PF_RXQ(o) + QREG(IGB_RDBAL(0))), ==, 0);

    /* FLR (the VF's own PCIe capability): VFLRE, the VF's queues reset */
    vf_queues_dirty(vf, 0x30);
    vf_queues_dirty(vfo, 0x40);
    rdbal_o = qigb_rd(pf, PF_RXQ(o) + QREG(IGB_RDBAL(0)));
    g_assert_cmphex(rdbal_o, !=, 0);
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, 0);
    exp = qpci_find_capability(&vf->pdev, PCI_CAP_ID_EXP, 0);
    g_assert_cmphex(exp, !=, 0);
    g_assert_cmphex(qpci_config_readl(&vf->pdev, exp + PCI_EXP_DEVCAP) &
                    PCI_EXP_DEVCAP_FLR, ==, PCI_EXP_DEVCAP_FLR);
    devctl = qpci_config_readw(&vf->pdev, exp + PCI_EXP_DEVCTL);
    qpci_config_writew(&vf->pdev, exp + PCI_EXP_DEVCTL,
                       devctl | PCI_EXP_DEVCTL_BCR_FLR);
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, BIT(n));
    qigb_wr(pf, PF_VFLRE, 0);
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, BIT(n));
    qigb_wr(pf, PF_VFLRE, BIT(n));
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, 0);
    pf_queue_clean(pf, n);
    pf_queue_clean(pf, n + 8);
    /* The other VF is untouched */
    g_assert_cmphex(qigb_rd(pf, PF_RXQ(o) + QREG(IGB_RDBAL(0))), ==, rdbal_o);
    g_assert_cmphex(qigb_rd(pf, PF_TXQ(o + 8) + QREG(IGB_TXDCTL(0))) &
                    IGB_QUEUE_ENABLE, ==, IGB_QUEUE_ENABLE);
    /* The driver restores config space after an FLR: the window is clean */
    qpci_config_writew(&vf->pdev, PCI_COMMAND,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmphex(qigb_rd(vf, IGB_RDBAL(0)), ==, 0);
    g_assert_cmphex(qigb_rd(vf, IGB_TDLEN(1)), ==, 0);
    assert_alive(pf);
    sriov_stop(&s);
}

/* ------------------------------------------------------------------ */
/* Isolation of a VF's register window */

/* The VF's own registers in its window (igbvf regs.h) */
static bool vf_own_reg(uint32_t off)
{
    static const struct {
        uint32_t start, end;
    } own[] = {
        { VF_CTRL, VF_CTRL + 4 },
        { VF_STATUS, VF_STATUS + 4 },
        { VF_VMBMEM, VF_VMBMEM + 4 * MBX_WORDS },
        { VF_V2PMAILBOX, VF_V2PMAILBOX + 4 },
        { 0x0f00, 0x0f60 },                         /* statistics */
        { VF_EICS, VF_EIAM + 4 },
        { VF_EICR, VF_EICR + 4 },
        { VF_EITR(0), VF_EITR(VF_MSIX_VECTORS) },
        { VF_IVAR0, VF_IVAR0 + 4 },
        { VF_IVAR_MISC, VF_IVAR_MISC + 4 },
        { IGB_RDBAL(0), IGB_RDBAL(0) + 0x40 },
        { IGB_RDBAL(1), IGB_RDBAL(1) + 0x40 },
        { IGB_TDBAL(0), IGB_TDBAL(0) + 0x40 },
        { IGB_TDBAL(1), IGB_TDBAL(1) + 0x40 },
    };
    int i;

    for (i = 0; i < ARRAY_SIZE(own); i++) {
        if (off >= own[i].start && off < own[i].end) {
            return true;
        }
    }
    return false;
}

static uint32_t *snapshot(QTestState *qts, uint64_t addr, size_t len)
{
    uint32_t *buf = g_malloc(len);
    size_t i;

    qtest_memread(qts, addr, buf, len);
    for (i = 0; i < len / 4; i++) {
        buf[i] = le32_to_cpu(buf[i]);
    }
    return buf;
}

/*
 * A register window read twice before something that must not change it,
 * and once after: registers that change by being read (clear-on-read,
 * read-to-clear, semaphores) are left out of the comparison.
 */
typedef struct Window {
    const char *name;
    uint64_t addr;
    size_t len;
    uint32_t *a, *b;
} Window;

static void window_before(QTestState *qts, Window *w)
{
    w->a = snapshot(qts, w->addr, w->len);
    w->b = snapshot(qts, w->addr, w->len);
}

/* How many registers of the window changed (each one is logged) */
static int window_changed(QTestState *qts, Window *w)
{
    g_autofree uint32_t *c = snapshot(qts, w->addr, w->len);
    int bad = 0;
    size_t i;

    for (i = 0; i < w->len / 4; i++) {
        if (w->a[i] == w->b[i] && c[i] != w->b[i]) {
            g_test_message("%s register 0x%05zx: 0x%08x -> 0x%08x", w->name,
                           4 * i, w->b[i], c[i]);
            bad++;
        }
    }
    g_free(w->a);
    g_free(w->b);
    return bad;
}

/* Per (VF, queue pair half, register) a value that register can hold */
static uint32_t qval(uint32_t reg, int vf, int l)
{
    uint32_t tag = vf * 2 + l + 1;

    switch (reg) {
    case IGB_RDBAL(0):
    case IGB_TDBAL(0):
        return (0x01000000 | reg << 4) * tag;       /* 128 byte aligned */
    case IGB_RDLEN(0):
    case IGB_TDLEN(0):
        return 0x80 * tag + (reg & 0x1000);         /* multiple of 128 */
    default:
        return (reg & 0x1fff) + tag;                /* BAH, tails: small */
    }
}

static void test_sriov_isolation(void)
{
    /*
     * PF registers a VF must not reach, at the same offset in its window.
     * Only offsets below 16 KiB: further on is the next VF's window (the
     * PF's RAL0 offset 0x5400 in VF0's BAR is VF1's offset 0x1400).
     */
    static const uint32_t pf_only[] = {
        IGB_CTRL_EXT, IGB_MDIC, IGB_IMS, IGB_RCTL, IGB_TCTL, IGB_GPIE,
        IGB_IVAR0 + 4, PF_VMBMEM(1), PF_P2VMAILBOX(0), PF_P2VMAILBOX(1),
        PF_MBVFIMR, PF_VFRE, PF_VFTE, IGB_RDBAL(2), IGB_TDBAL(3), PF_DTXSWC,
        PF_VMVIR(0),
    };
    static const uint32_t qregs[] = {
        IGB_RDBAL(0), IGB_RDBAH(0), IGB_RDLEN(0), IGB_RDT(0),
        IGB_TDBAL(0), IGB_TDBAH(0), IGB_TDLEN(0), IGB_TDT(0),
    };
    Sriov s;
    QIgb *pf;
    Window win[3];
    uint32_t rng = 0x12345678, pfq[2][16][ARRAY_SIZE(qregs)];
    uint32_t off, before, v;
    int i, n, l, q, bad;

    if (!sriov_start(&s, false) || !sriov_enable(&s)) {
        sriov_stop(&s);
        return;
    }
    pf = &s.pf;

    /* Give the PF registers values that stand out */
    qigb_wr(pf, IGB_RCTL, IGB_RCTL_BAM | IGB_RCTL_SECRC);
    qigb_wr(pf, PF_MRQC, MRQC_RSS | MRQC_RSS_IPV4);
    qigb_wr(pf, IGB_IMS, IGB_INT_LSC);
    qigb_wr(pf, PF_VT_CTL, SRIOV_PF_POOL << VT_CTL_DEF_POOL_SHIFT);
    qigb_wr(pf, PF_VMOLR(0), VMOLR_AUPE | VMOLR_BAM);
    qigb_wr(pf, PF_MBVFIMR, 0x3);
    qigb_wr(pf, PF_VFRE, 0x3);
    qigb_wr(pf, PF_VFTE, 0x2);
    qigb_wr(pf, IGB_IVAR0 + 4, 0x8281);
    qigb_wr(pf, PF_VMBMEM(1), 0x11223344);
    qigb_wr(pf, PF_VMVIR(0), 0x40000123);
    qigb_wr(pf, IGB_RDBAL(2), 0x00abc000);
    qigb_wr(pf, IGB_TDBAL(3), 0x00def000);

    /* One by one: the PF's value survives, and the VF cannot read it */
    for (i = 0; i < ARRAY_SIZE(pf_only); i++) {
        off = pf_only[i];
        g_assert_cmphex(off, <, VF_BAR_SIZE);
        g_assert_false(vf_own_reg(off));
        before = qigb_rd(pf, off);
        qigb_wr(&s.vf[0], off, ~before);
        qigb_wr(&s.vf[1], off, before ^ 0x5a5a5a5a);
        v = qigb_rd(pf, off);
        if (v != before) {
            g_test_message("VF write at 0x%05x changed the PF's register:"
                           " 0x%08x -> 0x%08x", off, before, v);
        }
        g_assert_cmphex(v, ==, before);
        if (before) {
            g_assert_cmphex(qigb_rd(&s.vf[0], off), !=, before);
        }
    }

    /*
     * Everything in VF0's window that is not its own register, random
     * values: nothing changes in the PF, in VF1 or in VF0's own registers.
     */
    win[0] = (Window) { "PF", pf->mmio.addr, 128 * KiB };
    win[1] = (Window) { "VF0", s.vf[0].mmio.addr, VF_BAR_SIZE };
    win[2] = (Window) { "VF1", s.vf[1].mmio.addr, VF_BAR_SIZE };
    for (i = 0; i < ARRAY_SIZE(win); i++) {
        window_before(s.qts, &win[i]);
    }
    /* (the snapshots do see the registers) */
    g_assert_cmphex(win[0].b[IGB_RCTL / 4], ==, qigb_rd(pf, IGB_RCTL));
    g_assert_cmphex(win[0].b[PF_VMBMEM(1) / 4], ==, 0x11223344);
    g_assert_cmphex(win[1].b[VF_STATUS / 4] & IGB_STATUS_LU, ==,
                    IGB_STATUS_LU);
    for (off = 0; off < VF_BAR_SIZE; off += 4) {
        if (!vf_own_reg(off)) {
            qigb_wr(&s.vf[0], off, xorshift32(&rng));
        }
    }
    settle(pf, 5);
    bad = 0;
    for (i = 0; i < ARRAY_SIZE(win); i++) {
        bad += window_changed(s.qts, &win[i]);
    }
    g_assert_cmpint(bad, ==, 0);
    assert_alive(pf);

    /*
     * A VF's queue pair: its queue l is the PF's queue vf + 8 * l, in both
     * directions, and no other pool's.
     */
    for (q = 0; q < 16; q++) {
        for (i = 0; i < ARRAY_SIZE(qregs); i++) {
            uint32_t base = qregs[i] >= IGB_TDBAL(0) ? PF_TXQ(q) : PF_RXQ(q);

            pfq[0][q][i] = qigb_rd(pf, base + QREG(qregs[i]));
        }
    }
    for (n = 0; n < SRIOV_VFS; n++) {
        for (l = 0; l < 2; l++) {
            for (i = 0; i < ARRAY_SIZE(qregs); i++) {
                uint32_t reg = qregs[i] + l * 0x100;

                qigb_wr(&s.vf[n], reg, qval(qregs[i], n, l));
            }
        }
    }
    for (n = 0; n < SRIOV_VFS; n++) {
        for (l = 0; l < 2; l++) {
            for (i = 0; i < ARRAY_SIZE(qregs); i++) {
                g_assert_cmphex(qigb_rd(&s.vf[n], qregs[i] + l * 0x100), ==,
                                qval(qregs[i], n, l));
            }
        }
    }
    for (q = 0; q < 16; q++) {
        n = q % 8;
        l = q / 8;
        for (i = 0; i < ARRAY_SIZE(qregs); i++) {
            uint32_t base = qregs[i] >= IGB_TDBAL(0) ? PF_TXQ(q) : PF_RXQ(q);
            uint32_t want = n < SRIOV_VFS ? qval(qregs[i], n, l)
                                          : pfq[0][q][i];

            pfq[1][q][i] = qigb_rd(pf, base + QREG(qregs[i]));
            if (pfq[1][q][i] != want) {
                g_test_message("PF queue %d register 0x%02x: 0x%08x, want"
                               " 0x%08x", q, QREG(qregs[i]), pfq[1][q][i],
                               want);
            }
            g_assert_cmphex(pfq[1][q][i], ==, want);
        }
    }
    sriov_stop(&s);
}

/* ------------------------------------------------------------------ */
/* VMDq: the VFs' data path and the switch between pools */

static const uint8_t vf_macs[SRIOV_VFS][6] = {
    { 0x52, 0x54, 0x00, 0x5f, 0x00, 0x10 },
    { 0x52, 0x54, 0x00, 0x5f, 0x00, 0x11 },
};

/* RAR entries 16..23 are at 0x54e0 */
static uint32_t rar_lo(int i)
{
    return i < 16 ? IGB_RAL(i) : 0x054e0 + 8 * (i - 16);
}

static void rar_set(QIgb *pf, int i, const uint8_t *mac, uint32_t pools)
{
    qigb_wr(pf, rar_lo(i), ldl_le_p(mac));
    qigb_wr(pf, rar_lo(i) + 4, lduw_le_p(mac + 4) | RAH_AV | pools);
}

static void make_frame_src(uint8_t *buf, size_t len, const uint8_t *dst,
                           const uint8_t *src, unsigned seed)
{
    make_frame(buf, len, dst, seed);
    memcpy(buf + 6, src, 6);
}

typedef struct Pools {
    Sriov s;
    QIgbRing prx, ptx;                  /* the PF pool's queue pair */
    QIgbRing vrx[SRIOV_VFS], vtx[SRIOV_VFS];
} Pools;

/* Nothing (more) arrived on any of these rings */
static void rings_empty(Pools *p, bool pf, uint32_t vfs)
{
    QIgbRxInfo info;
    int n;

    settle(&p->s.pf, 10);
    if (pf) {
        g_assert_false(qigb_rx_poll(&p->s.pf, &p->prx, &info));
    }
    for (n = 0; n < SRIOV_VFS; n++) {
        if (vfs & BIT(n)) {
            g_assert_false(qigb_rx_poll(&p->s.vf[n], &p->vrx[n], &info));
        }
    }
}

static void sock_nothing(Pools *p)
{
    uint8_t buf[64];

    g_assert_cmpint(sock_recv_frame(p->s.sv[0], buf, sizeof(buf), 200), ==,
                    -1);
}

static void rx_expect_post(QIgb *d, QIgbRing *r, const uint8_t *f,
                           size_t len)
{
    rx_expect(d, r, f, len);
    qigb_rx_post(d, r, 1);
}

static void set_master(QIgb *d, bool on)
{
    uint16_t cmd = qpci_config_readw(&d->pdev, PCI_COMMAND);

    qpci_config_writew(&d->pdev, PCI_COMMAND, on ? cmd | PCI_COMMAND_MASTER
                                                 : cmd & ~PCI_COMMAND_MASTER);
}

/* VF @n sends @f (advanced descriptors) and the descriptor completes */
static void vf_send(Pools *p, int n, const uint8_t *f, size_t len)
{
    uint32_t idx = qigb_tx_adv(&p->s.vf[n], &p->vtx[n], f, len);

    g_assert_true(qigb_tx_wait_dd(&p->s.vf[n], &p->vtx[n], idx));
}

/* What igbvf does to bring VF @n's first queue pair up */
static void vf_rings_up(Pools *p, int n)
{
    QIgb *vf = &p->s.vf[n];

    qigb_ring_init(vf, &p->vrx[n], true, 0, 8, 2048, true);
    qigb_wr(vf, IGB_SRRCTL(0), 2 | IGB_SRRCTL_DESCTYPE_ADV1BUF);
    qigb_wr(vf, IGB_RXDCTL(0), IGB_QUEUE_ENABLE);
    qigb_rx_post(vf, &p->vrx[n], p->vrx[n].count - 1);
    qigb_ring_init(vf, &p->vtx[n], false, 0, 8, 2048, true);
    qigb_wr(vf, IGB_TXDCTL(0), IGB_QUEUE_ENABLE);

    /* RX queue 0 -> MSI-X vector 0 of the VF */
    sriov_vf_msix(&p->s, n);
    qigb_msix_vector_setup(vf, 0, false);
    qigb_wr(vf, VF_IVAR0, 0 | IGB_IVAR_VALID);
    qigb_wr(vf, VF_EIMS, BIT(0));
}

/*
 * VMDq as igb sets it up with VFs: pool n is VF n, the PF's pool follows
 * them; each pool has its MAC in a RAR entry, takes untagged frames and
 * broadcast; replication and loopback between pools on.
 */
static bool pools_start(Pools *p)
{
    Sriov *s = &p->s;
    QIgb *pf = &s->pf;
    int n;

    if (!sriov_start(s, true) || !sriov_enable(s)) {
        return false;
    }
    qigb_wr(pf, PF_MRQC, MRQC_VMDQ);
    qigb_wr(pf, PF_VT_CTL, SRIOV_PF_POOL << VT_CTL_DEF_POOL_SHIFT |
            VT_CTL_REPL_EN);
    for (n = 0; n <= SRIOV_PF_POOL; n++) {
        qigb_wr(pf, PF_VMOLR(n), VMOLR_AUPE | VMOLR_BAM | VMOLR_ROMPE |
                VMOLR_STRCRC);
    }
    rar_set(pf, 0, igb_mac, RAH_POOL(SRIOV_PF_POOL));
    for (n = 0; n < SRIOV_VFS; n++) {
        /* igb puts the VFs' addresses at the end of the table */
        rar_set(pf, 23 - n, vf_macs[n], RAH_POOL(n));
    }
    qigb_wr(pf, PF_VFRE, BIT(SRIOV_VFS) - 1);
    qigb_wr(pf, PF_VFTE, BIT(SRIOV_VFS) - 1);
    qigb_wr(pf, PF_DTXSWC, DTXSWC_LOOPBACK_EN);

    qigb_ring_init(pf, &p->prx, true, SRIOV_PF_POOL, 8, 2048, true);
    qigb_rx_start(pf, &p->prx, 0, 0);
    qigb_rx_post(pf, &p->prx, p->prx.count - 1);
    qigb_ring_init(pf, &p->ptx, false, SRIOV_PF_POOL, 8, 2048, true);
    qigb_tx_start(pf, &p->ptx);

    for (n = 0; n < SRIOV_VFS; n++) {
        vf_rings_up(p, n);
    }
    return true;
}

static void pools_stop(Pools *p)
{
    sriov_stop(&p->s);
}

static void test_sriov_switch(void)
{
    Pools p;
    Sriov *s = &p.s;
    QIgb *pf = &s->pf, *vf0 = &s->vf[0], *vf1 = &s->vf[1];
    static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    QIgbRxInfo info;
    QIgbRing vtx1;
    uint8_t f[300];
    uint32_t idx, tdh, wvbr;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }

    /*
     * Wire -> VF0's address: into VF0's ring, its vector fires.  The PF
     * does not take part in the DMA: its bus mastering is off meanwhile.
     */
    set_master(pf, false);
    make_frame_src(f, sizeof(f), vf_macs[0], other_mac, 1);
    sock_send_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(vf0, &p.vrx[0], f, sizeof(f));
    wait_msix(vf0, 0);
    g_assert_false(qigb_msix_fired(vf1, 0));
    rings_empty(&p, false, BIT(1));

    /* VF0 -> VF1 goes through the switch, not the wire; still no PF DMA */
    make_frame_src(f, sizeof(f), vf_macs[1], vf_macs[0], 2);
    vf_send(&p, 0, f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    wait_msix(vf1, 0);
    set_master(pf, true);
    sock_nothing(&p);
    rings_empty(&p, true, BIT(0));

    /* VF0 -> the PF's address: the PF pool's ring, not the wire */
    make_frame_src(f, sizeof(f), igb_mac, vf_macs[0], 3);
    vf_send(&p, 0, f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    sock_nothing(&p);
    rings_empty(&p, false, BIT(0) | BIT(1));

    /* PF -> VF1 likewise */
    make_frame_src(f, sizeof(f), vf_macs[1], igb_mac, 4);
    idx = qigb_tx_adv(pf, &p.ptx, f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    g_assert_true(qigb_tx_wait_dd(pf, &p.ptx, idx));
    sock_nothing(&p);
    rings_empty(&p, true, BIT(0));

    /* Broadcast from VF0: the wire and every other pool, not VF0 itself */
    make_frame_src(f, sizeof(f), bcast_mac, vf_macs[0], 5);
    vf_send(&p, 0, f, sizeof(f));
    sock_expect_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    rings_empty(&p, false, BIT(0));

    /* Unicast to an address no pool has: the wire only */
    make_frame_src(f, sizeof(f), other_mac, vf_macs[0], 6);
    vf_send(&p, 0, f, sizeof(f));
    sock_expect_frame(s->sv[0], f, sizeof(f));
    rings_empty(&p, true, BIT(0) | BIT(1));

    /* From the wire, broadcast and hashed multicast go to every pool */
    make_frame_src(f, sizeof(f), bcast_mac, other_mac, 12);
    sock_send_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    rx_expect_post(vf0, &p.vrx[0], f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    make_frame_src(f, sizeof(f), group, other_mac, 13);
    sock_send_frame(s->sv[0], f, sizeof(f));
    g_assert_true(qigb_wait_for(pf, sock_consumed, &s->sv[0]));
    rings_empty(&p, true, BIT(0) | BIT(1));
    mta_set(pf, group);
    make_frame_src(f, sizeof(f), group, other_mac, 14);
    sock_send_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    rx_expect_post(vf0, &p.vrx[0], f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    rings_empty(&p, true, BIT(0) | BIT(1));

    /* VFRE clear: VF0 receives nothing */
    qigb_wr(pf, PF_VFRE, BIT(1));
    make_frame_src(f, sizeof(f), vf_macs[0], other_mac, 7);
    sock_send_frame(s->sv[0], f, sizeof(f));
    g_assert_true(qigb_wait_for(pf, sock_consumed, &s->sv[0]));
    rings_empty(&p, false, BIT(0) | BIT(1));
    if (qigb_rx_poll(pf, &p.prx, &info)) {
        g_test_message("VFRE clear: VF0's frame went to the PF's pool");
        qigb_rx_post(pf, &p.prx, 1);
    }
    qigb_wr(pf, PF_VFRE, BIT(SRIOV_VFS) - 1);

    /*
     * Anti-spoofing for VF0: a source address that is not its pool's is
     * dropped (the descriptor completes) and flagged in WVBR.
     */
    qigb_wr(pf, PF_DTXSWC, DTXSWC_LOOPBACK_EN | BIT(0));
    g_assert_cmphex(qigb_rd(pf, PF_WVBR) & BIT(0), ==, 0);
    make_frame_src(f, sizeof(f), bcast_mac, vf_macs[1], 8);
    vf_send(&p, 0, f, sizeof(f));
    sock_nothing(&p);
    rings_empty(&p, true, BIT(0) | BIT(1));
    g_assert_cmphex(qigb_rd(pf, PF_WVBR) & (BIT(0) | BIT(1)), ==, BIT(0));
    /*
     * The same from VF0's second queue (the PF's queue 8).  igb's
     * igb_spoof_check() accepts the VF's bit or bit 8 + VF in WVBR.
     */
    qigb_ring_init(vf0, &vtx1, false, 1, 8, 2048, true);
    qigb_wr(vf0, IGB_TXDCTL(1), IGB_QUEUE_ENABLE);
    make_frame_src(f, sizeof(f), bcast_mac, other_mac, 15);
    idx = qigb_tx_adv(vf0, &vtx1, f, sizeof(f));
    g_assert_true(qigb_tx_wait_dd(vf0, &vtx1, idx));
    sock_nothing(&p);
    rings_empty(&p, true, BIT(0) | BIT(1));
    wvbr = qigb_rd(pf, PF_WVBR);
    g_test_message("WVBR after a spoofed frame from queue 8: 0x%08x", wvbr);
    g_assert_cmphex(wvbr & (BIT(0) | BIT(8)), !=, 0);
    g_assert_cmphex(wvbr & ~(BIT(0) | BIT(8)), ==, 0);
    qigb_ring_free(vf0, &vtx1);

    /* VF1 sending as VF0 is fine: its bit is clear in DTXSWC */
    make_frame_src(f, sizeof(f), bcast_mac, vf_macs[0], 9);
    vf_send(&p, 1, f, sizeof(f));
    sock_expect_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    rx_expect_post(vf0, &p.vrx[0], f, sizeof(f));
    /* ...and VF0 with its own address still gets through */
    make_frame_src(f, sizeof(f), bcast_mac, vf_macs[0], 10);
    vf_send(&p, 0, f, sizeof(f));
    sock_expect_frame(s->sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));

    /* VFTE clear: VF0's transmit queue does not move */
    qigb_wr(pf, PF_VFTE, BIT(1));
    tdh = qigb_rd(vf0, IGB_TDH(0));
    make_frame_src(f, sizeof(f), other_mac, vf_macs[0], 11);
    idx = qigb_tx_adv(vf0, &p.vtx[0], f, sizeof(f));
    settle(pf, 20);
    sock_nothing(&p);
    g_assert_cmpuint(qigb_rd(vf0, IGB_TDH(0)), ==, tdh);
    qigb_wr(pf, PF_VFTE, BIT(SRIOV_VFS) - 1);
    qigb_tx_kick(vf0, &p.vtx[0]);
    sock_expect_frame(s->sv[0], f, sizeof(f));
    g_assert_true(qigb_tx_wait_dd(vf0, &p.vtx[0], idx));
    pools_stop(&p);
}

/* ------------------------------------------------------------------ */
/* RSS (no VMDq) */

/* The key and two results of Microsoft's RSS verification suite */
static const uint8_t rss_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
    0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
    0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};
#define RSS_SRC_IP          0x420995bb      /* 66.9.149.187 */
#define RSS_DST_IP          0xa18e6450      /* 161.142.100.80 */
#define RSS_SRC_PORT        2794
#define RSS_DST_PORT        1766
#define RSS_HASH_IPV4_TCP   0x51ccc178
#define RSS_HASH_IPV4       0x323e8fc2
#define RSS_TYPE_NONE       0
#define RSS_TYPE_IPV4_TCP   1
#define RSS_TYPE_IPV4       2
#define RSS_QUEUES          4

static uint32_t toeplitz(const uint8_t *key, size_t key_len,
                         const uint8_t *in, size_t len)
{
    uint32_t hash = 0, window = ldl_be_p(key);
    size_t i, kbit = 32;
    int b;

    for (i = 0; i < len; i++) {
        for (b = 7; b >= 0; b--) {
            if (in[i] & (1 << b)) {
                hash ^= window;
            }
            window <<= 1;
            if (kbit < key_len * 8) {
                window |= (key[kbit / 8] >> (7 - kbit % 8)) & 1;
            }
            kbit++;
        }
    }
    return hash;
}

/* The hash of an IPv4 flow: addresses, then (with TCP) the ports */
static uint32_t rss_hash(uint32_t src, uint32_t dst, int sport, int dport)
{
    uint8_t in[12];

    stl_be_p(in, src);
    stl_be_p(in + 4, dst);
    if (sport < 0) {
        return toeplitz(rss_key, sizeof(rss_key), in, 8);
    }
    stw_be_p(in + 8, sport);
    stw_be_p(in + 10, dport);
    return toeplitz(rss_key, sizeof(rss_key), in, 12);
}

static size_t rss_frame(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst,
                        uint16_t sport, uint16_t dport)
{
    size_t len = make_ipv4(f, proto, 64, sport);
    uint8_t *ip = f + IP_OFF;

    stl_be_p(ip + 12, src);
    stl_be_p(ip + 16, dst);
    stw_be_p(ip + 10, 0);
    stw_be_p(ip + 10, ~csum_fold(csum_add(0, ip, 20)));
    stw_be_p(f + L4_OFF, sport);
    stw_be_p(f + L4_OFF + 2, dport);
    return len;
}

/* @f must land in queue @q with RSS type @type and (if typed) @hash */
static void rss_expect(QIgb *d, IgbEnv *env, QIgbRing *r, const uint8_t *f,
                       size_t len, int q, uint8_t type, uint32_t hash)
{
    g_autofree uint8_t *got = g_malloc(len);
    RingsWait w = { .r = r, .n = RSS_QUEUES };
    QIgbRxInfo info;
    uint32_t dw[2];
    int i;

    sock_send_frame(env->sv[0], f, len);
    g_assert_true(qigb_wait_for(d, rings_rx_any, &w));
    g_assert_cmpint(w.q, ==, q);
    g_assert_cmpuint(w.info.length, ==, len);
    qtest_memread(qigb_qts(d), w.info.buf, got, len);
    g_assert_cmpmem(got, len, f, len);
    /* Advanced write-back: RSS type in dword 0 bits 3:0, hash in dword 1 */
    qtest_memread(qigb_qts(d), r[q].desc +
                  (uint64_t)w.info.index * IGB_DESC_SIZE, dw, sizeof(dw));
    qigb_rx_post(d, &r[q], 1);
    g_assert_cmphex(le32_to_cpu(dw[0]) & 0xf, ==, type);
    if (type != RSS_TYPE_NONE) {
        g_assert_cmphex(le32_to_cpu(dw[1]), ==, hash);
    }
    settle(d, 5);
    for (i = 0; i < RSS_QUEUES; i++) {
        g_assert_false(qigb_rx_poll(d, &r[i], &info));
    }
}

static void test_rss(void *obj, void *data, QGuestAllocator *alloc)
{
    QIgb *d = obj;
    IgbEnv *env = data;
    QIgbRing r[RSS_QUEUES];
    uint8_t reta[128], f[200];
    uint32_t hash;
    size_t len;
    int i, k;

    g_assert_cmphex(rss_hash(RSS_SRC_IP, RSS_DST_IP, RSS_SRC_PORT,
                             RSS_DST_PORT), ==, RSS_HASH_IPV4_TCP);
    g_assert_cmphex(rss_hash(RSS_SRC_IP, RSS_DST_IP, -1, -1), ==,
                    RSS_HASH_IPV4);

    igb_init(d);
    for (i = 0; i < RSS_QUEUES; i++) {
        qigb_ring_init(d, &r[i], true, i, 16, 2048, true);
        qigb_rx_start(d, &r[i], 0, 0);
        qigb_rx_post(d, &r[i], r[i].count - 1);
    }
    /* An irregular table; entry 0 (frames without a hash) is queue 0 */
    for (i = 0; i < ARRAY_SIZE(reta); i++) {
        reta[i] = (i * 5 + i / 7) % RSS_QUEUES;
    }
    for (i = 0; i < ARRAY_SIZE(reta) / 4; i++) {
        qigb_wr(d, PF_RETA(i), ldl_le_p(reta + 4 * i));
    }
    for (i = 0; i < sizeof(rss_key) / 4; i++) {
        qigb_wr(d, PF_RSSRK(i), ldl_le_p(rss_key + 4 * i));
    }
    qigb_wr(d, IGB_RXCSUM, qigb_rd(d, IGB_RXCSUM) | RXCSUM_PCSD);
    qigb_wr(d, PF_MRQC, MRQC_RSS | MRQC_RSS_IPV4_TCP | MRQC_RSS_IPV4);

    /* The reference flow, then others spread over the queues */
    for (k = 0; k < 12; k++) {
        uint16_t sport = RSS_SRC_PORT + 97 * k;

        hash = rss_hash(RSS_SRC_IP, RSS_DST_IP, sport, RSS_DST_PORT);
        g_test_message("TCP %u -> %u: hash 0x%08x, queue %u", sport,
                       RSS_DST_PORT, hash, reta[hash & 0x7f]);
        len = rss_frame(f, 6, RSS_SRC_IP, RSS_DST_IP, sport, RSS_DST_PORT);
        rss_expect(d, env, r, f, len, reta[hash & 0x7f], RSS_TYPE_IPV4_TCP,
                   hash);
    }

    /* UDP without its MRQC field: hashed as IPv4 (addresses only) */
    hash = RSS_HASH_IPV4;
    len = rss_frame(f, 17, RSS_SRC_IP, RSS_DST_IP, RSS_SRC_PORT,
                    RSS_DST_PORT);
    rss_expect(d, env, r, f, len, reta[hash & 0x7f], RSS_TYPE_IPV4, hash);

    /* Without the TCP field, TCP is hashed as IPv4 too */
    qigb_wr(d, PF_MRQC, MRQC_RSS | MRQC_RSS_IPV4);
    len = rss_frame(f, 6, RSS_SRC_IP, RSS_DST_IP, RSS_SRC_PORT, RSS_DST_PORT);
    rss_expect(d, env, r, f, len, reta[hash & 0x7f], RSS_TYPE_IPV4, hash);

    /* Not IP: no hash, queue 0 */
    make_frame(f, 100, bcast_mac, 1);
    rss_expect(d, env, r, f, 100, 0, RSS_TYPE_NONE, 0);

    for (i = 0; i < RSS_QUEUES; i++) {
        qigb_ring_free(d, &r[i]);
    }
}

/* ------------------------------------------------------------------ */
/* VMDq pool selection: VLANs, the default pool; VMDq with RSS */

/* e1000_regs.h, e1000_82575.h */
#define PF_VLVF(i)          (0x05d00 + 4 * (i))
#define VLVF_POOL(p)        (1u << (12 + (p)))
#define VLVF_EN             (1u << 31)
#define VT_CTL_IGNORE_MAC   (1u << 28)
#define VT_CTL_DIS_DEF_POOL (1u << 29)
#define VMOLR_RSSE          (1u << 17)
#define VMOLR_STRVLAN       (1u << 30)
#define MRQC_VMDQ_RSS       5
#define POOLS               (SRIOV_PF_POOL + 1)
#define PF_QUEUES           16

/* An address a RAR entry gives to both VFs' pools */
static const uint8_t shared_mac[6] = { 0x52, 0x54, 0x00, 0x5f, 0x00, 0x20 };
/* An address no RAR entry has */
static const uint8_t stray_mac[6] = { 0x52, 0x54, 0x00, 0x5f, 0x00, 0x99 };

/* The first queue of pool @n: the function that drives it, and its ring */
static QIgbRing *pool_ring(Pools *p, int n, QIgb **d)
{
    if (n == SRIOV_PF_POOL) {
        *d = &p->s.pf;
        return &p->prx;
    }
    *d = &p->s.vf[n];
    return &p->vrx[n];
}

/* A frame to @dst from the wire; tagged with @tci unless that is 0 */
static size_t pool_frame(uint8_t *f, const uint8_t *dst, uint16_t tci,
                         unsigned seed)
{
    uint8_t plain[120];

    make_frame_src(plain, sizeof(plain), dst, other_mac, seed);
    if (!tci) {
        memcpy(f, plain, sizeof(plain));
        return sizeof(plain);
    }
    return add_tag(f, plain, sizeof(plain), tci);
}

/*
 * Send @f from the wire: exactly the pools in @want receive it (on their
 * first queue); those in @strip without its VLAN tag (VP set, the tag in
 * the descriptor), the others as it was sent.
 */
static void pools_expect(Pools *p, const uint8_t *f, size_t len,
                         uint32_t want, uint32_t strip)
{
    QIgbRxInfo info[POOLS];
    uint8_t exp[200], got[200];
    uint32_t pools = 0;
    QIgbRing *r;
    QIgb *d;
    int n;

    g_assert_cmpuint(len, <=, sizeof(exp));
    sock_send_frame(p->s.sv[0], f, len);
    g_assert_true(qigb_wait_for(&p->s.pf, sock_consumed, &p->s.sv[0]));
    settle(&p->s.pf, 5);
    for (n = 0; n < POOLS; n++) {
        r = pool_ring(p, n, &d);
        if (qigb_rx_poll(d, r, &info[n])) {
            pools |= BIT(n);
        }
    }
    if (pools != want) {
        g_test_message("frame to %02x:%02x:%02x:%02x:%02x:%02x, 0x%04x 0x%04x:"
                       " went to pools 0x%x, not 0x%x", f[0], f[1], f[2],
                       f[3], f[4], f[5], lduw_be_p(f + 12),
                       lduw_be_p(f + 14), pools, want);
    }
    g_assert_cmphex(pools, ==, want);

    for (n = 0; n < POOLS; n++) {
        bool s = strip & BIT(n);
        size_t elen = s ? len - 4 : len;

        if (!(pools & BIT(n))) {
            continue;
        }
        memcpy(exp, f, 12);
        memcpy(exp + 12, f + (s ? 16 : 12), elen - 12);
        r = pool_ring(p, n, &d);
        g_assert_cmpuint(info[n].length, ==, elen);
        g_assert_cmphex(info[n].status & IGB_RXD_STAT_EOP, ==,
                        IGB_RXD_STAT_EOP);
        qtest_memread(p->s.qts, info[n].buf, got, elen);
        g_assert_cmpmem(got, elen, exp, elen);
        g_assert_cmphex(info[n].status & IGB_RXD_STAT_VP, ==,
                        s ? IGB_RXD_STAT_VP : 0);
        if (s) {
            g_assert_cmphex(info[n].vlan, ==, lduw_be_p(f + 14));
        }
        qigb_rx_post(d, r, 1);
    }
}

static void test_sriov_vlan_pools(void)
{
    const uint32_t both = BIT(0) | BIT(1), pfp = BIT(SRIOV_PF_POOL);
    static const uint16_t vids[] = { 10, 20, 30, 40 };
    Pools p;
    QIgb *pf = &p.s.pf;
    uint8_t f[200];
    unsigned seed = 0;
    size_t len;
    int i;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    rar_set(pf, 5, shared_mac, RAH_POOL(0) | RAH_POOL(1));

    /* Untagged, every pool with AUPE: the pools of the RAR entry */
    len = pool_frame(f, shared_mac, 0, ++seed);
    pools_expect(&p, f, len, both, 0);

    /*
     * VLAN filtering on, every VID of the test in VFTA.  VLVF lists VLAN
     * 10 for VF1 and the PF, 30 for both VFs; an entry for 20 (both VFs)
     * is not enabled; 40 has none.
     */
    qigb_wr(pf, IGB_RCTL, qigb_rd(pf, IGB_RCTL) | IGB_RCTL_VFE);
    for (i = 0; i < ARRAY_SIZE(vids); i++) {
        qigb_wr(pf, IGB_VFTA(vids[i] >> 5),
                qigb_rd(pf, IGB_VFTA(vids[i] >> 5)) | BIT(vids[i] & 31));
    }
    qigb_wr(pf, PF_VLVF(3), VLVF_EN | VLVF_POOL(1) |
            VLVF_POOL(SRIOV_PF_POOL) | 10);
    qigb_wr(pf, PF_VLVF(17), VLVF_POOL(0) | VLVF_POOL(1) | 20);
    qigb_wr(pf, PF_VLVF(31), VLVF_EN | VLVF_POOL(0) | VLVF_POOL(1) | 30);

    /* Tagged: the address's pools that VLVF lists (priority aside) */
    len = pool_frame(f, shared_mac, 0xa000 | 10, ++seed);
    pools_expect(&p, f, len, BIT(1), 0);
    len = pool_frame(f, shared_mac, 30, ++seed);
    pools_expect(&p, f, len, both, 0);
    /* VLVF does not add pools the address does not have */
    len = pool_frame(f, vf_macs[0], 10, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, bcast_mac, 0x2000 | 10, ++seed);
    pools_expect(&p, f, len, BIT(1) | pfp, 0);
    len = pool_frame(f, bcast_mac, 30, ++seed);
    pools_expect(&p, f, len, both, 0);

    /* In VFTA, but no enabled VLVF entry has the VID: no pool */
    len = pool_frame(f, shared_mac, 20, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, bcast_mac, 40, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, vf_macs[1], 40, ++seed);
    pools_expect(&p, f, len, 0, 0);

    /* Without VMOLR.AUPE a pool takes tagged frames only */
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) & ~VMOLR_AUPE);
    qigb_wr(pf, PF_VMOLR(SRIOV_PF_POOL),
            qigb_rd(pf, PF_VMOLR(SRIOV_PF_POOL)) & ~VMOLR_AUPE);
    len = pool_frame(f, shared_mac, 0, ++seed);
    pools_expect(&p, f, len, BIT(1), 0);
    len = pool_frame(f, bcast_mac, 0, ++seed);
    pools_expect(&p, f, len, BIT(1), 0);
    len = pool_frame(f, vf_macs[0], 0, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, igb_mac, 0, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, shared_mac, 30, ++seed);
    pools_expect(&p, f, len, both, 0);
    len = pool_frame(f, bcast_mac, 10, ++seed);
    pools_expect(&p, f, len, BIT(1) | pfp, 0);
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) | VMOLR_AUPE);
    qigb_wr(pf, PF_VMOLR(SRIOV_PF_POOL),
            qigb_rd(pf, PF_VMOLR(SRIOV_PF_POOL)) | VMOLR_AUPE);

    /*
     * VMOLR.STRVLAN strips the tag for its pool only.  CTRL.VME on as the
     * Linux driver has it with VLAN offload: it does not strip by itself.
     */
    qigb_wr(pf, IGB_CTRL, qigb_rd(pf, IGB_CTRL) | IGB_CTRL_VME);
    qigb_wr(pf, PF_VMOLR(1), qigb_rd(pf, PF_VMOLR(1)) | VMOLR_STRVLAN);
    len = pool_frame(f, shared_mac, 0x6000 | 30, ++seed);
    pools_expect(&p, f, len, both, BIT(1));
    len = pool_frame(f, bcast_mac, 0xe000 | 10, ++seed);
    pools_expect(&p, f, len, BIT(1) | pfp, BIT(1));
    qigb_wr(pf, PF_VMOLR(1), qigb_rd(pf, PF_VMOLR(1)) & ~VMOLR_STRVLAN);
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) | VMOLR_STRVLAN);
    qigb_wr(pf, PF_VMOLR(SRIOV_PF_POOL),
            qigb_rd(pf, PF_VMOLR(SRIOV_PF_POOL)) | VMOLR_STRVLAN);
    len = pool_frame(f, shared_mac, 30, ++seed);
    pools_expect(&p, f, len, both, BIT(0));
    len = pool_frame(f, bcast_mac, 10, ++seed);
    pools_expect(&p, f, len, BIT(1) | pfp, pfp);
    /* An untagged frame has nothing to strip */
    len = pool_frame(f, bcast_mac, 0, ++seed);
    pools_expect(&p, f, len, both | pfp, 0);
    pools_stop(&p);
}

static void test_sriov_default_pool(void)
{
    static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 };
    const uint32_t all = BIT(POOLS) - 1, pfp = BIT(SRIOV_PF_POOL);
    Pools p;
    QIgb *pf = &p.s.pf;
    uint8_t f[200];
    unsigned seed = 0;
    size_t len;
    int def;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    mta_set(pf, group);

    /* Not promiscuous: an address no RAR entry has is not taken */
    len = pool_frame(f, stray_mac, 0, ++seed);
    pools_expect(&p, f, len, 0, 0);

    /* RCTL.UPE: it goes to the default pool of VT_CTL 9:7, no other */
    qigb_wr(pf, IGB_RCTL, qigb_rd(pf, IGB_RCTL) | IGB_RCTL_UPE);
    for (def = 0; def < POOLS; def++) {
        qigb_wr(pf, PF_VT_CTL, def << VT_CTL_DEF_POOL_SHIFT | VT_CTL_REPL_EN);
        len = pool_frame(f, stray_mac, 0, ++seed);
        pools_expect(&p, f, len, BIT(def), 0);
        /* An address in the RAR table still goes to its own pool */
        len = pool_frame(f, vf_macs[1], 0, ++seed);
        pools_expect(&p, f, len, BIT(1), 0);
        len = pool_frame(f, igb_mac, 0, ++seed);
        pools_expect(&p, f, len, pfp, 0);
    }

    /* VT_CTL.DIS_DEF_POOL: the unknown address reaches no pool */
    qigb_wr(pf, PF_VT_CTL, 1 << VT_CTL_DEF_POOL_SHIFT | VT_CTL_REPL_EN |
            VT_CTL_DIS_DEF_POOL);
    len = pool_frame(f, stray_mac, 0, ++seed);
    pools_expect(&p, f, len, 0, 0);
    len = pool_frame(f, vf_macs[0], 0, ++seed);
    pools_expect(&p, f, len, BIT(0), 0);

    /* VT_CTL.IGNORE_MAC: even an address in the RAR table, default pool */
    qigb_wr(pf, IGB_RCTL, qigb_rd(pf, IGB_RCTL) & ~IGB_RCTL_UPE);
    qigb_wr(pf, PF_VT_CTL, 1 << VT_CTL_DEF_POOL_SHIFT | VT_CTL_REPL_EN |
            VT_CTL_IGNORE_MAC);
    len = pool_frame(f, vf_macs[0], 0, ++seed);
    pools_expect(&p, f, len, BIT(1), 0);
    len = pool_frame(f, igb_mac, 0, ++seed);
    pools_expect(&p, f, len, BIT(1), 0);
    qigb_wr(pf, PF_VT_CTL, 0 << VT_CTL_DEF_POOL_SHIFT | VT_CTL_REPL_EN |
            VT_CTL_IGNORE_MAC);
    len = pool_frame(f, vf_macs[1], 0, ++seed);
    pools_expect(&p, f, len, BIT(0), 0);

    /* With replication, broadcast and multicast go to every pool... */
    qigb_wr(pf, PF_VT_CTL, SRIOV_PF_POOL << VT_CTL_DEF_POOL_SHIFT |
            VT_CTL_REPL_EN);
    len = pool_frame(f, bcast_mac, 0, ++seed);
    pools_expect(&p, f, len, all, 0);
    len = pool_frame(f, group, 0, ++seed);
    pools_expect(&p, f, len, all, 0);
    /* ...without (VT_CTL.REPL_EN clear), to the default pool only */
    for (def = 0; def < POOLS; def++) {
        qigb_wr(pf, PF_VT_CTL, def << VT_CTL_DEF_POOL_SHIFT);
        len = pool_frame(f, bcast_mac, 0, ++seed);
        pools_expect(&p, f, len, BIT(def), 0);
        len = pool_frame(f, group, 0, ++seed);
        pools_expect(&p, f, len, BIT(def), 0);
        /* unicast is not replicated anyway: its pool */
        len = pool_frame(f, vf_macs[0], 0, ++seed);
        pools_expect(&p, f, len, BIT(0), 0);
    }
    pools_stop(&p);
}

/* PF queue n's function and ring, where the test has one */
typedef struct Queues {
    QIgb *d[PF_QUEUES];
    QIgbRing *r[PF_QUEUES];
} Queues;

/*
 * Send @f from the wire: exactly the PF queues in @want receive it, and
 * those in @hashed report RSS type @type (and @hash if typed) in their
 * write-back.
 */
static void queues_expect(Pools *p, Queues *m, const uint8_t *f, size_t len,
                          uint32_t want, uint32_t hashed, uint8_t type,
                          uint32_t hash)
{
    QIgbRxInfo info[PF_QUEUES];
    uint8_t got[200];
    uint32_t dw[2], queues = 0;
    int q;

    g_assert_cmpuint(len, <=, sizeof(got));
    sock_send_frame(p->s.sv[0], f, len);
    g_assert_true(qigb_wait_for(&p->s.pf, sock_consumed, &p->s.sv[0]));
    settle(&p->s.pf, 5);
    for (q = 0; q < PF_QUEUES; q++) {
        if (m->r[q] && qigb_rx_poll(m->d[q], m->r[q], &info[q])) {
            queues |= BIT(q);
        }
    }
    if (queues != want) {
        g_test_message("frame to %02x:..:%02x, hash 0x%08x: went to queues"
                       " 0x%x, not 0x%x", f[0], f[5], hash, queues, want);
    }
    g_assert_cmphex(queues, ==, want);

    for (q = 0; q < PF_QUEUES; q++) {
        if (!(queues & BIT(q))) {
            continue;
        }
        g_assert_cmpuint(info[q].length, ==, len);
        qtest_memread(p->s.qts, info[q].buf, got, len);
        g_assert_cmpmem(got, len, f, len);
        /* RSS type in dword 0 bits 3:0, the hash in dword 1 (PCSD) */
        qtest_memread(p->s.qts, m->r[q]->desc +
                      (uint64_t)info[q].index * IGB_DESC_SIZE, dw,
                      sizeof(dw));
        qigb_rx_post(m->d[q], m->r[q], 1);
        if (hashed & BIT(q)) {
            g_assert_cmphex(le32_to_cpu(dw[0]) & 0xf, ==, type);
            if (type != RSS_TYPE_NONE) {
                g_assert_cmphex(le32_to_cpu(dw[1]), ==, hash);
            }
        }
    }
}

/* A TCP/IPv4 flow of Microsoft's suite (source port @sport) to @dst */
static size_t vrss_frame(uint8_t *f, const uint8_t *dst, uint8_t proto,
                         uint16_t sport)
{
    size_t len = rss_frame(f, proto, RSS_SRC_IP, RSS_DST_IP, sport,
                           RSS_DST_PORT);

    memcpy(f, dst, 6);
    return len;
}

#define VRSS_FLOWS          16

static void test_sriov_vmdq_rss(void)
{
    const uint32_t pfp = BIT(SRIOV_PF_POOL);
    Pools p;
    Sriov *s = &p.s;
    QIgb *pf = &s->pf;
    QIgbRing q1[SRIOV_VFS];
    Queues m;
    uint8_t tbl[128], f[200];
    uint32_t hash, want;
    uint16_t bq = 0;
    uint16_t sport;
    int hits[2] = { 0, 0 };
    int i, k, n;
    size_t len;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    memset(&m, 0, sizeof(m));
    /* A VF's second queue is the PF's queue VF + 8 */
    for (n = 0; n < SRIOV_VFS; n++) {
        QIgb *vf = &s->vf[n];

        qigb_ring_init(vf, &q1[n], true, 1, 8, 2048, true);
        qigb_wr(vf, IGB_SRRCTL(1), 2 | IGB_SRRCTL_DESCTYPE_ADV1BUF);
        qigb_wr(vf, IGB_RXDCTL(1), IGB_QUEUE_ENABLE);
        qigb_rx_post(vf, &q1[n], q1[n].count - 1);
        m.d[n] = m.d[n + 8] = vf;
        m.r[n] = &p.vrx[n];
        m.r[n + 8] = &q1[n];
    }
    m.d[SRIOV_PF_POOL] = pf;
    m.r[SRIOV_PF_POOL] = &p.prx;

    /*
     * An irregular table of the two queues of a pool, written as
     * igb_write_rss_indir_tbl() does with VFs: each entry shifted by 3.
     * Entry 0 (for frames without a hash) is the pool's first queue.
     */
    for (i = 0; i < ARRAY_SIZE(tbl); i++) {
        tbl[i] = ((i * 5 + i / 7) >> 3) & 1;
    }
    g_assert_cmpuint(tbl[0], ==, 0);
    for (i = 0; i < ARRAY_SIZE(tbl) / 4; i++) {
        qigb_wr(pf, PF_RETA(i), ldl_le_p(tbl + 4 * i) << 3);
    }
    for (i = 0; i < sizeof(rss_key) / 4; i++) {
        qigb_wr(pf, PF_RSSRK(i), ldl_le_p(rss_key + 4 * i));
    }
    qigb_wr(pf, IGB_RXCSUM, qigb_rd(pf, IGB_RXCSUM) | RXCSUM_PCSD);
    qigb_wr(pf, PF_MRQC, MRQC_VMDQ_RSS | MRQC_RSS_IPV4_TCP | MRQC_RSS_IPV4);
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) | VMOLR_RSSE);

    /* VF0's pool with RSSE: queue 0 or 8, as RETA[hash & 0x7f] bit 3 says */
    for (k = 0; k < VRSS_FLOWS; k++) {
        sport = RSS_SRC_PORT + 97 * k;
        hash = rss_hash(RSS_SRC_IP, RSS_DST_IP, sport, RSS_DST_PORT);
        want = tbl[hash & 0x7f] ? BIT(8) : BIT(0);
        g_test_message("TCP %u -> %u: hash 0x%08x, queue %d", sport,
                       RSS_DST_PORT, hash, ctz32(want));
        hits[tbl[hash & 0x7f]]++;
        if (tbl[hash & 0x7f]) {
            bq = sport;
        }
        len = vrss_frame(f, vf_macs[0], 6, sport);
        queues_expect(&p, &m, f, len, want, want, RSS_TYPE_IPV4_TCP, hash);
    }
    g_assert_cmpint(hits[0], >, 0);
    g_assert_cmpint(hits[1], >, 0);

    /* UDP without its MRQC field: the IPv4 hash picks the queue */
    hash = RSS_HASH_IPV4;
    want = tbl[hash & 0x7f] ? BIT(8) : BIT(0);
    len = vrss_frame(f, vf_macs[0], 17, RSS_SRC_PORT);
    queues_expect(&p, &m, f, len, want, want, RSS_TYPE_IPV4, hash);

    /* Not IP: no hash, the pool's first queue */
    len = pool_frame(f, vf_macs[0], 0, 1);
    queues_expect(&p, &m, f, len, BIT(0), BIT(0), RSS_TYPE_NONE, 0);

    /* VF1's pool has no RSSE: all of its flows in queue 1 */
    for (k = 0; k < VRSS_FLOWS; k++) {
        sport = RSS_SRC_PORT + 97 * k;
        len = vrss_frame(f, vf_macs[1], 6, sport);
        queues_expect(&p, &m, f, len, BIT(1), 0, 0, 0);
    }

    /* Broadcast: each pool's copy by its own VMOLR.RSSE */
    hash = rss_hash(RSS_SRC_IP, RSS_DST_IP, bq, RSS_DST_PORT);
    len = vrss_frame(f, bcast_mac, 6, bq);
    queues_expect(&p, &m, f, len, BIT(8) | BIT(1) | pfp, BIT(8),
                  RSS_TYPE_IPV4_TCP, hash);

    /* MRQC mode 3 (VMDq without RSS): RSSE does not matter */
    qigb_wr(pf, PF_MRQC, MRQC_VMDQ | MRQC_RSS_IPV4_TCP | MRQC_RSS_IPV4);
    len = vrss_frame(f, vf_macs[0], 6, bq);
    queues_expect(&p, &m, f, len, BIT(0), 0, 0, 0);

    /* Mode 5 again, RSSE clear: every flow in queue 0 */
    qigb_wr(pf, PF_MRQC, MRQC_VMDQ_RSS | MRQC_RSS_IPV4_TCP | MRQC_RSS_IPV4);
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) & ~VMOLR_RSSE);
    for (k = 0; k < VRSS_FLOWS; k++) {
        sport = RSS_SRC_PORT + 97 * k;
        len = vrss_frame(f, vf_macs[0], 6, sport);
        queues_expect(&p, &m, f, len, BIT(0), 0, 0, 0);
    }
    /* ...and with RSSE back, the flow of queue 8 goes there again */
    qigb_wr(pf, PF_VMOLR(0), qigb_rd(pf, PF_VMOLR(0)) | VMOLR_RSSE);
    hash = rss_hash(RSS_SRC_IP, RSS_DST_IP, bq, RSS_DST_PORT);
    len = vrss_frame(f, vf_macs[0], 6, bq);
    queues_expect(&p, &m, f, len, BIT(8), BIT(8), RSS_TYPE_IPV4_TCP, hash);

    for (n = 0; n < SRIOV_VFS; n++) {
        qigb_ring_free(&s->vf[n], &q1[n]);
    }
    pools_stop(&p);
}

#endif /* _WIN32 */

/*
 * VMVIR, the pool's VLAN insertion: as the descriptor says (VLE and the
 * context's tag), always the pool's default VLAN (replacing the
 * descriptor's, never a second tag), or never a tag.
 */
static void vf_send_vle(Pools *p, int n, const uint8_t *f, size_t len,
                        int tci)
{
    QIgb *vf = &p->s.vf[n];
    QIgbRing *r = &p->vtx[n];
    uint32_t ctx[4] = {
        (uint32_t)MAX(tci, 0) << IGB_ADVTXD_VLAN_SHIFT |
        14 << IGB_ADVTXD_MACLEN_SHIFT, 0,
        IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT, 0,
    };
    uint32_t idx;

    qigb_tx_put_desc(vf, r, ctx);
    idx = put_data(vf, r, f, len, IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS |
                   (tci >= 0 ? IGB_TXD_CMD_VLE : 0),
                   len << IGB_ADVTXD_PAYLEN_SHIFT);
    qigb_tx_kick(vf, r);
    g_assert_true(qigb_tx_wait_dd(vf, r, idx));
}

static void test_sriov_vmvir(void)
{
    Pools p;
    QIgb *pf;
    uint8_t f[120], want[124];

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    pf = &p.s.pf;
    make_frame(f, sizeof(f), other_mac, 5);
    memcpy(f + 6, vf_macs[0], 6);

    /* VMVIR 0: the descriptor decides */
    vf_send_vle(&p, 0, f, sizeof(f), 0x0456);
    add_tag(want, f, sizeof(f), 0x0456);
    sock_expect_frame(p.s.sv[0], want, sizeof(want));
    vf_send_vle(&p, 0, f, sizeof(f), -1);
    sock_expect_frame(p.s.sv[0], f, sizeof(f));

    /* always the default VLAN, with or without VLE: one tag */
    qigb_wr(pf, PF_VMVIR(0), (1u << 30) | 0x0123);
    add_tag(want, f, sizeof(f), 0x0123);
    vf_send_vle(&p, 0, f, sizeof(f), -1);
    sock_expect_frame(p.s.sv[0], want, sizeof(want));
    vf_send_vle(&p, 0, f, sizeof(f), 0x0456);
    sock_expect_frame(p.s.sv[0], want, sizeof(want));

    /* never: VLE is ignored */
    qigb_wr(pf, PF_VMVIR(0), 1u << 31);
    vf_send_vle(&p, 0, f, sizeof(f), 0x0456);
    sock_expect_frame(p.s.sv[0], f, sizeof(f));
    pools_stop(&p);
}

/*
 * A noisy VF: VF0 floods its mailbox and is then reset by FLR while
 * frames flow to VF1 and the PF.  VF1's mailbox message still reaches the
 * PF intact, and every frame for VF1 and the PF arrives, before, during
 * and after.
 */
static void test_sriov_noisy_vf(void)
{
    Pools p;
    QIgb *pf, *vf0, *vf1;
    uint8_t f[150];
    uint32_t icr;
    int exp, i;
    uint16_t devctl;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    pf = &p.s.pf;
    vf0 = &p.s.vf[0];
    vf1 = &p.s.vf[1];

    /* VF1 asks something; then VF0 rings its mailbox 2000 times */
    qigb_wr(vf1, VF_V2PMAILBOX, V2P_VFU);
    qigb_wr(vf1, VF_VMBMEM, 0x00010001);
    qigb_wr(vf1, VF_VMBMEM + 4, 0xabcd0001);
    qigb_wr(vf1, VF_V2PMAILBOX, V2P_REQ);
    for (i = 0; i < 2000; i++) {
        qigb_wr(vf0, VF_VMBMEM, i);
        qigb_wr(vf0, VF_V2PMAILBOX, V2P_REQ | V2P_ACK);
        if (i % 500 == 0) {
            make_frame(f, sizeof(f), igb_mac, i / 500);
            sock_send_frame(p.s.sv[0], f, sizeof(f));
            rx_expect(pf, &p.prx, f, sizeof(f));
            qigb_rx_post(pf, &p.prx, 1);
        }
    }
    /* the PF sees both VFs' requests; VF1's words are intact */
    icr = qigb_rd(pf, PF_MBVFICR);
    g_assert_cmphex(icr & (MBVFICR_REQ(0) | MBVFICR_REQ(1)), ==,
                    MBVFICR_REQ(0) | MBVFICR_REQ(1));
    g_assert_cmphex(qigb_rd(pf, PF_VMBMEM(1)), ==, 0x00010001);
    g_assert_cmphex(qigb_rd(pf, PF_VMBMEM(1) + 4), ==, 0xabcd0001);
    g_assert_cmphex(qigb_rd(pf, PF_VMBMEM(0)), ==, 1999);
    qigb_wr(pf, PF_MBVFICR, icr);
    g_assert_cmphex(qigb_rd(pf, PF_MBVFICR), ==, 0);

    /* FLR of VF0 between frames for VF1 and the PF */
    exp = qpci_find_capability(&vf0->pdev, PCI_CAP_ID_EXP, 0);
    devctl = qpci_config_readw(&vf0->pdev, exp + PCI_EXP_DEVCTL);
    for (i = 0; i < 6; i++) {
        make_frame(f, sizeof(f), vf_macs[1], 10 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        if (i == 2) {
            qpci_config_writew(&vf0->pdev, exp + PCI_EXP_DEVCTL,
                               devctl | PCI_EXP_DEVCTL_BCR_FLR);
        }
        rx_expect(vf1, &p.vrx[1], f, sizeof(f));
        qigb_rx_post(vf1, &p.vrx[1], 1);
        make_frame(f, sizeof(f), igb_mac, 20 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        rx_expect(pf, &p.prx, f, sizeof(f));
        qigb_rx_post(pf, &p.prx, 1);
    }
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, BIT(0));

    /* frames for the reset VF0 go nowhere, and VF1 still sends */
    make_frame(f, sizeof(f), vf_macs[0], 30);
    sock_send_frame(p.s.sv[0], f, sizeof(f));
    qigb_wait_for_us(pf, sock_consumed, &p.s.sv[0], G_USEC_PER_SEC / 2);
    rings_empty(&p, true, BIT(0) | BIT(1));
    make_frame(f, sizeof(f), igb_mac, 31);
    vf_send(&p, 1, f, sizeof(f));
    rx_expect(pf, &p.prx, f, sizeof(f));
    qigb_rx_post(pf, &p.prx, 1);
    assert_alive(pf);

    /*
     * VF0 comes back as after an FLR in a guest: the PF acknowledges the
     * VFLR and enables the VF's queues again, the VF driver turns memory
     * and bus mastering back on (the FLR cleared its command register) and
     * sets its rings up; then VF0 receives and sends again
     */
    qigb_wr(pf, PF_VFLRE, BIT(0));
    qigb_wr(pf, PF_VFRE, BIT(SRIOV_VFS) - 1);
    qigb_wr(pf, PF_VFTE, BIT(SRIOV_VFS) - 1);
    qpci_config_writew(&vf0->pdev, PCI_COMMAND,
                       PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qigb_ring_free(vf0, &p.vrx[0]);
    qigb_ring_free(vf0, &p.vtx[0]);
    vf_rings_up(&p, 0);
    make_frame(f, sizeof(f), vf_macs[0], 32);
    sock_send_frame(p.s.sv[0], f, sizeof(f));
    rx_expect(vf0, &p.vrx[0], f, sizeof(f));
    make_frame(f, sizeof(f), igb_mac, 33);
    memcpy(f + 6, vf_macs[0], 6);
    vf_send(&p, 0, f, sizeof(f));
    rx_expect(pf, &p.prx, f, sizeof(f));
    pools_stop(&p);
}

#ifdef CONFIG_LINUX
/*
 * A VF's TSO frame for the wire only goes to a tap backend whole, with a
 * virtio-net header, like the PF's (the VMDq switch takes nothing of it):
 * one frame into the tap, and on the wire (segmented by the host kernel)
 * the segments the 82576 would send.
 */
static void vnet_vf_child(void)
{
    const size_t payload = 8000, mss = 1448, hdr = L4_OFF + 20;
    g_autofree uint8_t *f = g_malloc(hdr + payload);
    g_autoptr(GPtrArray) wire = NULL, tap = NULL;
    QIgb *vf;
    QIgbRing *r;
    Pools p;
    size_t len, off, n;
    uint32_t idx = 0;
    int wfd, tfd;

    vnet_netns();
    sriov_netdev = "tap,id=" QIGB_NETDEV_ID ",ifname=igbtap0,script=no,"
                   "downscript=no,vnet_hdr=on";
    g_assert_true(pools_start(&p));
    sh("ip link set igbtap0 master br0; ip link set igbtap0 up");
    wfd = packet_sock("veth1");
    tfd = packet_sock("igbtap0");

    vf = &p.s.vf[0];
    r = &p.vtx[0];
    len = make_tso4(f, payload, 31);
    memcpy(f, other_mac, 6);
    put_ctx(vf, r, IGB_TUCMD_L4T_TCP, mss << 16 | 20 << 8);
    for (off = 0; off < len; off += n) {
        n = MIN(r->buf_size, len - off);
        idx = put_data(vf, r, f + off, n,
                       IGB_ADVTXD_TSE |
                       (off + n == len ? IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS : 0),
                       off ? 0 : (len - hdr) << IGB_ADVTXD_PAYLEN_SHIFT |
                                 IGB_POPTS_IXSM | IGB_POPTS_TXSM);
    }
    qigb_tx_kick(vf, r);
    g_assert_true(qigb_tx_wait_dd(vf, r, idx));

    wire = capture(wfd, 16, 500);
    tap = capture(tfd, 16, 500);
    g_test_message("VF TSO: %u frame(s) into the tap, %u on the wire",
                   tap->len, wire->len);
    g_assert_cmpuint(tap->len, ==, 1);
    g_assert_cmpuint(((GByteArray *)g_ptr_array_index(tap, 0))->len, ==,
                     len);
    g_assert_cmpuint(wire->len, ==, DIV_ROUND_UP(payload, mss));
    for (unsigned i = 0; i < wire->len; i++) {
        GByteArray *b = g_ptr_array_index(wire, i);
        size_t seg = MIN(mss, payload - i * mss);

        g_assert_cmpuint(b->len, ==, hdr + seg);
        assert_ipv4_csums(b->data, b->len);
        g_assert_cmpuint(ldl_be_p(b->data + L4_OFF + 4), ==, 1000 + i * mss);
        g_assert_cmpmem(b->data + hdr, seg, f + hdr + i * mss, seg);
    }
    close(wfd);
    close(tfd);
    pools_stop(&p);
}

static void test_sriov_vnet_tap(void)
{
    if (vnet_possible()) {
        vnet_fork(vnet_vf_child);
    }
}
#endif

/*
 * Resets during traffic, with VFs enabled: a PF reset (CTRL.RST) while
 * frames arrive, then system_reset.  The machine's reset turns SR-IOV
 * off and the PF back to its reset values; the PF and re-enabled VFs then
 * work as before, and nothing of the old rings is left.
 */
static void test_sriov_system_reset(void)
{
    Pools p;
    QIgb *pf;
    QIgbRing rx, tx;
    uint8_t f[200];
    int i;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    pf = &p.s.pf;
    for (i = 0; i < 8; i++) {
        make_frame(f, sizeof(f), i & 1 ? vf_macs[0] : igb_mac, 80 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        if (i == 3) {
            qigb_wr(pf, IGB_CTRL, qigb_rd(pf, IGB_CTRL) | IGB_CTRL_RST);
        }
    }
    g_assert_true(qigb_wait_for(pf, sock_consumed, &p.s.sv[0]));
    qigb_reset(pf);
    igb_init(pf);
    assert_alive(pf);

    for (i = 0; i < 8; i++) {
        make_frame(f, sizeof(f), i & 1 ? vf_macs[1] : igb_mac, 90 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
    }
    qtest_qmp_assert_success(p.s.qts, "{ 'execute': 'system_reset' }");
    g_assert_true(qigb_wait_for(pf, sock_consumed, &p.s.sv[0]));
    settle(pf, 10);

    /* firmware's work again: ECAM, BARs, command register */
    sriov_firmware(&p.s);
    g_assert_cmphex(ecam_rdw(p.s.qts, p.s.devfn, p.s.cap + PCI_SRIOV_CTRL) &
                    PCI_SRIOV_CTRL_VFE, ==, 0);
    g_assert_cmpuint(ecam_rdw(p.s.qts, p.s.devfn,
                              p.s.cap + PCI_SRIOV_NUM_VF), ==, 0);
    qpci_device_enable(&pf->pdev);
    pf->mmio = qpci_iomap(&pf->pdev, 0, NULL);
    g_assert_cmphex(qigb_rd(pf, IGB_RCTL), ==, 0);
    g_assert_cmphex(qigb_rd(pf, IGB_RDBAL(0)), ==, 0);
    g_assert_cmphex(qigb_rd(pf, IGB_TDLEN(0)), ==, 0);
    igb_init(pf);

    /* the PF sends and receives; VFs come back with clean windows */
    qigb_ring_init(pf, &tx, false, 0, 8, 2048, false);
    qigb_tx_start(pf, &tx);
    qigb_ring_init(pf, &rx, true, 0, 8, 2048, true);
    qigb_rx_start(pf, &rx, 0, 0);
    qigb_rx_post(pf, &rx, 7);
    tx_one(pf, &tx, p.s.sv[0], 300, 1, true);
    rx_send_expect(pf, &rx, p.s.sv[0], bcast_mac, 300, 2);
    g_assert_true(sriov_enable(&p.s));
    for (i = 0; i < SRIOV_VFS; i++) {
        g_assert_cmphex(qigb_rd(&p.s.vf[i], IGB_RDBAL(0)), ==, 0);
        g_assert_cmphex(qigb_rd(&p.s.vf[i], IGB_TDBAL(0)), ==, 0);
        g_assert_cmphex(qigb_rd(&p.s.vf[i], VF_STATUS) & IGB_STATUS_LU, ==,
                        IGB_STATUS_LU);
    }
    pools_stop(&p);
}

/* device_del @id, and the reset that completes it with no guest to eject */
static void sriov_unplug(Sriov *s, const char *id)
{
    qtest_qmp_device_del_send(s->qts, id);
    qtest_system_reset_nowait(s->qts);
    for (;;) {
        QDict *ev = qtest_qmp_eventwait_ref(s->qts, "DEVICE_DELETED");
        QDict *data = qdict_get_qdict(ev, "data");
        bool ours = data && !g_strcmp0(qdict_get_try_str(data, "device"), id);

        qobject_unref(ev);
        if (ours) {
            break;
        }
    }
}

/*
 * Hot-unplug of a PF (behind a root port) with VFs enabled, their vectors
 * and the PF's moderation timer armed, and frames arriving: the VFs go
 * with it; frames that arrive afterwards are dropped by the netdev; no
 * timer of the device fires after it is gone (two virtual seconds pass);
 * an igb plugged into the same slot comes up and enables VFs as the first
 * one did.  Three rounds; the ASan build (scripts/igb/check-asan.sh) turns
 * a use after free or a leak of any round into a failure.
 */
static void test_sriov_pf_unplug(void)
{
    QIgbRing rx;
    uint8_t f[200];
    uint16_t first = 0;
    Sriov s;
    bool ok;
    int round, i;

    sriov_rootport = true;
    ok = sriov_start(&s, true);
    sriov_rootport = false;
    if (!ok) {
        sriov_stop(&s);
        return;
    }
    for (round = 0; round < 3; round++) {
        if (round) {
            qtest_qmp_device_add(s.qts, "igb", "pf0",
                                 "{'bus': 'rp0', 'netdev': %s, 'mac': %s}",
                                 QIGB_NETDEV_ID, QIGB_MAC_STR);
            sriov_pf_init(&s);
        }
        /* the PF receives behind the root port, then VFs come up */
        qigb_ring_init(&s.pf, &rx, true, 0, 8, 2048, true);
        qigb_rx_start(&s.pf, &rx, 0, 0);
        qigb_rx_post(&s.pf, &rx, 7);
        rx_send_expect(&s.pf, &rx, s.sv[0], bcast_mac, 300, 10 + round);
        g_assert_true(sriov_enable(&s));
        first = ecam_rdw(s.qts, s.devfn, s.cap + PCI_SRIOV_VF_OFFSET);
        g_assert_cmphex(ecam_rdl(s.qts, s.devfn + first, PCI_CLASS_REVISION)
                        >> 8, ==, 0x020000);
        for (i = 0; i < SRIOV_VFS; i++) {
            qigb_wr(&s.vf[i], VF_EITR(0), 1000 << IGB_EITR_INTERVAL_SHIFT);
            qigb_wr(&s.vf[i], VF_EIMS, 7);
            qigb_wr(&s.vf[i], VF_EICS, 7);
        }
        qigb_wr(&s.pf, IGB_EITR(0), 1000 << IGB_EITR_INTERVAL_SHIFT);
        qigb_wr(&s.pf, IGB_EIMS, 1);
        qigb_wr(&s.pf, IGB_EICS, 1);
        for (i = 0; i < 16; i++) {
            make_frame(f, sizeof(f), i & 1 ? vf_macs[0] : igb_mac, i);
            sock_send_frame(s.sv[0], f, sizeof(f));
        }

        qigb_ring_free(&s.pf, &rx);
        sriov_unplug(&s, "pf0");
        sriov_firmware(&s);
        g_assert_cmphex(ecam_rdw(s.qts, s.devfn, PCI_VENDOR_ID), ==, 0xffff);
        g_assert_cmphex(ecam_rdw(s.qts, s.devfn + first, PCI_VENDOR_ID), ==,
                        0xffff);
        for (i = 0; i < 16; i++) {
            make_frame(f, sizeof(f), igb_mac, 100 + i);
            sock_send_frame(s.sv[0], f, sizeof(f));
        }
        g_assert_true(qigb_wait_for(&s.pf, sock_consumed, &s.sv[0]));
        qtest_clock_step(s.qts, 2000 * 1000 * 1000);
        qtest_qmp_assert_success(s.qts, "{ 'execute': 'query-status' }");
    }
    sriov_stop(&s);
}

/*
 * The root port's slot power (what Linux's pciehp writes; native hotplug
 * only): off with the power indicator off removes what is in the slot at
 * once, without a reset; on again before the next device_add.
 */
static void sriov_slot_power(Sriov *s, bool on)
{
    g_autofree QPCIDevice *rp = qpci_device_find(s->bus, ROOTPORT_DEVFN);
    uint8_t cap;
    uint16_t ctl;

    g_assert_nonnull(rp);
    cap = qpci_find_capability(rp, PCI_CAP_ID_EXP, 0);
    g_assert_cmpint(cap, !=, 0);
    ctl = qpci_config_readw(rp, cap + PCI_EXP_SLTCTL);
    ctl &= ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    ctl |= on ? PCI_EXP_SLTCTL_PWR_ON | PCI_EXP_SLTCTL_PWR_IND_ON :
                PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF;
    qpci_config_writew(rp, cap + PCI_EXP_SLTCTL, ctl);
}

/* The device has fetched every descriptor software handed out */
static bool tdh_is(QIgb *d, void *opaque)
{
    QIgbRing *r = opaque;

    return qigb_rd(d, IGB_TDH(r->queue)) == r->tail;
}

/*
 * A frame half gathered when its function goes away (found by the
 * fuzzer's replug operation).  A TX buffer outside
 * RAM is a bounce buffer, which the address space of the function that
 * mapped it counts until it is unmapped; unmapped through another
 * function's, it stays counted, and QEMU aborts when the first address
 * space is destroyed.  Here VF0 has a half frame (a buffer outside RAM,
 * no EOP) when the slot is powered off, without a reset: the VFs go
 * first, then the PF, whose uninit used to unmap VF0's buffer through
 * itself; now the PF drops half-gathered frames before its VFs go.
 * device_add drains the RCU callbacks that destroy the address spaces,
 * so QEMU must still answer after it.
 */
static void test_sriov_unplug_half_frame(void)
{
    Pools p;
    Sriov *s = &p.s;
    bool ok;

    sriov_rootport = sriov_native_hotplug = true;
    ok = pools_start(&p);
    sriov_rootport = sriov_native_hotplug = false;
    if (!ok) {
        pools_stop(&p);
        return;
    }
    tx_bad_desc(&s->vf[0], &p.vtx[0], BAD_DMA_ADDR, 64 | IGB_TXD_CMD_IFCS);
    g_assert_true(qigb_wait_for(&s->vf[0], tdh_is, &p.vtx[0]));
    sriov_slot_power(s, false);
    g_assert_cmphex(ecam_rdw(s->qts, s->devfn, PCI_VENDOR_ID), ==, 0xffff);
    sriov_slot_power(s, true);
    qtest_qmp_device_add(s->qts, "igb", "pf0",
                         "{'bus': 'rp0', 'netdev': %s, 'mac': %s}",
                         QIGB_NETDEV_ID, QIGB_MAC_STR);
    qtest_qmp_assert_success(s->qts, "{ 'execute': 'query-status' }");
    sriov_pf_init(s);
    g_assert_cmphex(qigb_rd(&s->pf, IGB_STATUS) & IGB_STATUS_LU, ==,
                    IGB_STATUS_LU);
    sriov_stop(s);
}

/*
 * Migration with VFs enabled, to a file and into a second QEMU: PF and VF
 * registers (all but those whose reading changes them), PF and VF config
 * space and MSI-X tables arrive identical; a pending (masked) VF interrupt,
 * a PF-to-VF mailbox message and the rings' progress survive, and traffic
 * goes on where it stopped: wire -> PF, wire -> VF, VF -> VF, PF -> wire.
 */

/* PF registers whose reading changes state (or that the clock moves) */
static bool pf_read_changes(uint32_t off)
{
    return off == IGB_ICR || off == IGB_EICR ||
           (off >= 0x04000 && off < 0x04300) ||        /* statistics */
           (off >= 0x0c030 && off < 0x0c400 && (off & 0x3f) == 0x30) ||
           off == 0x03554 || off == 0x0b66c ||         /* WVBR, TSICR */
           (off >= 0x0b600 && off < 0x0b640) ||        /* 1588 clock */
           off == 0x05b50;                             /* SWSM */
}

static bool vf_read_changes(uint32_t off)
{
    return off == IGB_EICR || off == VF_V2PMAILBOX;
}

typedef struct MigState {
    uint32_t *pf, *vf[SRIOV_VFS];       /* BAR0 registers */
    uint32_t *cfg[1 + SRIOV_VFS];       /* config space (ECAM) */
    uint32_t *msix[1 + SRIOV_VFS];      /* MSI-X table + PBA (first 4 KiB) */
} MigState;

static uint32_t *mig_window(QIgb *d, size_t len, bool (*skip)(uint32_t))
{
    uint32_t *w = g_new0(uint32_t, len / 4);

    for (uint32_t off = 0; off < len; off += 4) {
        w[off / 4] = skip(off) ? 0 : qigb_rd(d, off);
    }
    return w;
}

static void mig_read(Sriov *s, MigState *m)
{
    uint16_t first = ecam_rdw(s->qts, IGB_Q35_DEVFN,
                              s->cap + PCI_SRIOV_VF_OFFSET);
    uint16_t stride = ecam_rdw(s->qts, IGB_Q35_DEVFN,
                               s->cap + PCI_SRIOV_VF_STRIDE);

    m->pf = mig_window(&s->pf, 128 * KiB, pf_read_changes);
    for (int n = 0; n < SRIOV_VFS; n++) {
        m->vf[n] = mig_window(&s->vf[n], VF_BAR_SIZE, vf_read_changes);
    }
    for (int n = 0; n <= SRIOV_VFS; n++) {
        int devfn = IGB_Q35_DEVFN + (n ? first + (n - 1) * stride : 0);
        uint64_t bar3 = n ? s->vf_bar3 + (n - 1) * VF_BAR_SIZE
                          : s->pf.pdev.msix_table_bar.addr;

        m->cfg[n] = snapshot(s->qts, ecam_addr(devfn, 0), 4096);
        m->msix[n] = snapshot(s->qts, bar3, 4096);
    }
}

static void mig_free(MigState *m)
{
    g_free(m->pf);
    for (int n = 0; n < SRIOV_VFS; n++) {
        g_free(m->vf[n]);
    }
    for (int n = 0; n <= SRIOV_VFS; n++) {
        g_free(m->cfg[n]);
        g_free(m->msix[n]);
    }
}

/* Differences between @a and @b where @a and @a2 (read twice) agree */
static int mig_diff(const char *what, const uint32_t *a, const uint32_t *a2,
                    const uint32_t *b, size_t len)
{
    int bad = 0;

    for (size_t i = 0; i < len / 4; i++) {
        if (a[i] == a2[i] && a[i] != b[i]) {
            g_test_message("%s 0x%05zx: 0x%08x before, 0x%08x after", what,
                           i * 4, a[i], b[i]);
            bad++;
        }
    }
    return bad;
}

static void mig_wait(QTestState *qts, const char *cmd, const char *done)
{
    for (int i = 0; i < 3000; i++) {
        QDict *rsp = qtest_qmp(qts, "{ 'execute': %s }", cmd);
        QDict *ret = qdict_get_qdict(rsp, "return");
        const char *st = ret ? qdict_get_try_str(ret, "status") : NULL;
        bool ok = st && !strcmp(st, done);

        g_assert_false(st && !strcmp(st, "failed"));
        qobject_unref(rsp);
        if (ok) {
            return;
        }
        g_usleep(10 * 1000);
    }
    g_error("%s never reported %s", cmd, done);
}

/*
 * The PF sends @f (unicast: no other pool takes it) and it reaches the
 * wire; RARP frames QEMU sends for the NIC after a migration (its
 * self-announcement) are passed over.
 */
static void pf_to_wire(Pools *p, const uint8_t *f, size_t len)
{
    uint32_t idx = qigb_tx_adv(&p->s.pf, &p->ptx, f, len);
    g_autofree uint8_t *out = g_malloc(MAX_FRAME);
    ssize_t n;

    do {
        n = sock_recv_frame(p->s.sv[0], out, MAX_FRAME, SOCK_TIMEOUT_MS);
    } while (n >= 14 && lduw_be_p(out + 12) == 0x8035);
    g_assert_cmpint(n, ==, len);
    g_assert_cmpmem(out, len, f, len);
    g_assert_true(qigb_tx_wait_dd(&p->s.pf, &p->ptx, idx));
}

static bool vec0_fired(QIgb *d, void *opaque)
{
    return qigb_msix_fired(d, 0);
}

/*
 * The source of a migration test: a PF on a socket netdev (@sv), brought
 * up, with TX queue 0 started.  False (the test skipped) without q35/igb.
 */
static bool mig_source_start(IgbQemu *e, int sv[2], QIgbRing *tr)
{
    if (!qtest_has_machine("q35") || !qtest_has_device("igb")) {
        g_test_skip("q35 or igb not available");
        return false;
    }
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    igbq_start(e, "-netdev socket,id=" QIGB_NETDEV_ID ",fd=%d -device igb,"
               "netdev=" QIGB_NETDEV_ID ",addr=04.0,mac=" QIGB_MAC_STR,
               sv[1]);
    igb_init(&e->d);
    qigb_ring_init(&e->d, tr, false, 0, 8, 2048, false);
    qigb_tx_start(&e->d, tr);
    return true;
}

/*
 * TDT written while the VM is stopped (say, in migration's last pass): the
 * model moves no frame and writes no guest memory until the VM runs, and
 * the work asked for is migrated: the destination sends the frame when it
 * runs.  (The transmit work is done in a bottom half, not in the write.)
 */
static void test_tx_stopped_migrate(void)
{
    g_autofree char *file = g_strdup_printf("/tmp/igb-stop-%d", getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    uint8_t tx[300], out[MAX_FRAME];
    int sv[2], sv2[2];
    IgbQemu e;
    QTestState *dst;
    QIgb d2;
    QIgbRing tr;
    QDict *rsp;
    const char *st;
    uint32_t idx;

    if (!mig_source_start(&e, sv, &tr)) {
        return;
    }
    make_frame(tx, sizeof(tx), other_mac, 41);
    qigb_tx_adv(&e.d, &tr, tx, sizeof(tx));
    sock_expect_frame(sv[0], tx, sizeof(tx));

    qtest_qmp_assert_success(e.qts, "{ 'execute': 'stop' }");
    make_frame(tx, sizeof(tx), other_mac, 42);
    idx = qigb_tx_adv(&e.d, &tr, tx, sizeof(tx));
    g_assert_cmpint(sock_recv_frame(sv[0], out, sizeof(out), 300), ==, -1);
    g_assert_cmpuint(qigb_rd(&e.d, IGB_TDH(0)), ==, 2);
    g_assert_false(qigb_tx_wait_dd(&e.d, &tr, idx));

    qtest_qmp_assert_success(e.qts, "{ 'execute': 'migrate', 'arguments':"
                             " { 'uri': %s } }", uri);
    mig_wait(e.qts, "query-migrate", "completed");
    g_assert_cmpint(sock_recv_frame(sv[0], out, sizeof(out), 100), ==, -1);

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), ==, 0);
    dst = qtest_initf("-M q35 -netdev socket,id=" QIGB_NETDEV_ID ",fd=%d"
                      " -device igb,netdev=" QIGB_NETDEV_ID ",addr=04.0,"
                      "mac=" QIGB_MAC_STR " -incoming %s", sv2[1], uri);
    mig_wait(dst, "query-migrate", "completed");
    unlink(file);
    d2 = e.d;
    d2.pdev.bus = qpci_new_pc(dst, &e.alloc);
    rsp = qtest_qmp(dst, "{ 'execute': 'query-status' }");
    st = qdict_get_str(qdict_get_qdict(rsp, "return"), "status");
    g_assert_cmpstr(st, !=, "running");     /* the source was stopped */
    qobject_unref(rsp);
    g_assert_cmpint(sock_recv_frame(sv2[0], out, sizeof(out), 300), ==, -1);

    qtest_qmp_assert_success(dst, "{ 'execute': 'cont' }");
    for (;;) {
        /* the RARP frames QEMU announces the NIC with may come first */
        ssize_t n = sock_recv_frame(sv2[0], out, sizeof(out),
                                    SOCK_TIMEOUT_MS);

        g_assert_cmpint(n, >, 14);
        if (lduw_be_p(out + 12) != 0x8035) {
            g_assert_cmpmem(out, n, tx, sizeof(tx));
            break;
        }
    }
    g_assert_true(qigb_tx_wait_dd(&d2, &tr, idx));
    g_assert_cmpuint(qigb_rd(&d2, IGB_TDH(0)), ==, 4);

    qpci_free_pc(d2.pdev.bus);
    qtest_quit(dst);
    igbq_stop(&e);
    close(sv[0]);
    close(sv2[0]);
}

/* read-to-clear registers the migration windows skip */
static const uint32_t mig_rc[] = {
    IGB_GPRC, IGB_GPTC, IGB_TPR, IGB_TPT, IGB_GORCL, IGB_GOTCL, IGB_ICR,
};

static void test_sriov_migrate(void)
{
    g_autofree char *file = NULL;
    g_autofree char *uri = NULL;
    g_autoptr(GError) gerr = NULL;
    int fd = g_file_open_tmp("igb-mig-XXXXXX", &file, &gerr);
    Pools p, q;
    MigState a, a2, b;
    QIgbRxInfo info;
    uint8_t f[200], half[200];
    uint32_t tdh;
    uint16_t word;
    int bad = 0, n;

    g_assert_no_error(gerr);
    close(fd);
    if (!pools_start(&p)) {
        pools_stop(&p);
        unlink(file);
        return;
    }

    /* traffic: wire -> PF x3, wire -> VF0 x2, VF0 -> VF1, PF -> wire */
    for (n = 0; n < 3; n++) {
        make_frame(f, sizeof(f), igb_mac, 40 + n);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        rx_expect(&p.s.pf, &p.prx, f, sizeof(f));
    }
    for (n = 0; n < 2; n++) {
        make_frame(f, sizeof(f), vf_macs[0], 50 + n);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        rx_expect(&p.s.vf[0], &p.vrx[0], f, sizeof(f));
    }
    make_frame(f, sizeof(f), vf_macs[1], 60);
    vf_send(&p, 0, f, sizeof(f));
    rx_expect(&p.s.vf[1], &p.vrx[1], f, sizeof(f));
    make_frame(f, sizeof(f), other_mac, 61);
    pf_to_wire(&p, f, sizeof(f));

    /* pending: VF1's vector masked with a frame in; a mailbox message */
    qigb_msix_clear(&p.s.vf[1], 0);
    qigb_msix_vector_setup(&p.s.vf[1], 0, true);
    make_frame(f, sizeof(f), vf_macs[1], 62);
    sock_send_frame(p.s.sv[0], f, sizeof(f));
    rx_expect(&p.s.vf[1], &p.vrx[1], f, sizeof(f));
    settle(&p.s.pf, 5);
    g_assert_false(qigb_msix_fired(&p.s.vf[1], 0));
    qigb_wr(&p.s.pf, PF_VMBMEM(0), 0xfeed0001);
    qigb_wr(&p.s.pf, PF_P2VMAILBOX(0), P2V_STS);
    /* an interrupt cause latched in ICR (masked), */
    qigb_wr(&p.s.pf, IGB_IMC, IGB_INT_LSC);
    qigb_wr(&p.s.pf, IGB_ICS, IGB_INT_LSC);
    /* a word of the EEPROM and a PHY register changed */
    g_assert_true(qigb_eeprom_write(&p.s.pf, 0x10f, 0x4242));
    g_assert_true(qigb_phy_write(&p.s.pf, 1, 4, 0x0de1));
    /* and half a frame: TDT moved past its first descriptor only */
    make_frame(half, sizeof(half), other_mac, 63);
    put_data(&p.s.pf, &p.ptx, half, 100, 0,
             sizeof(half) << IGB_ADVTXD_PAYLEN_SHIFT);
    qigb_tx_kick(&p.s.pf, &p.ptx);
    settle(&p.s.pf, 5);
    tdh = qigb_rd(&p.s.pf, IGB_TDH(SRIOV_PF_POOL));
    g_assert_cmpuint(tdh, ==, p.ptx.tail);

    mig_read(&p.s, &a);
    mig_read(&p.s, &a2);
    /* the destination starts the half frame again: TDH one back */
    for (n = 0; n < 2; n++) {
        /* queues 0-3 at 0x3800 + 0x100 * q, all 16 at 0xe000 + 0x40 * q */
        uint32_t off = n ? IGB_TDH(SRIOV_PF_POOL)
                         : 0xe010 + 0x40 * SRIOV_PF_POOL;

        a.pf[off / 4] = a2.pf[off / 4] = tdh - 1;
    }
    uri = g_strdup_printf("file:%s", file);
    qtest_qmp_assert_success(p.s.qts, "{ 'execute': 'migrate', 'arguments':"
                             " { 'uri': %s } }", uri);
    mig_wait(p.s.qts, "query-migrate", "completed");

    /* the second QEMU: same machine, a new socket, state from the file */
    q = p;
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, q.s.sv), ==, 0);
    q.s.qts = qtest_initf("-M q35 -netdev socket,id=%s,fd=%d -device igb,"
                          "netdev=%s,addr=04.0,mac=" QIGB_MAC_STR
                          " -incoming file:%s", QIGB_NETDEV_ID, q.s.sv[1],
                          QIGB_NETDEV_ID, file);
    mig_wait(q.s.qts, "query-migrate", "completed");
    unlink(file);
    pc_alloc_init(&q.s.alloc, q.s.qts, ALLOC_NO_FLAGS);
    q.s.bus = qpci_new_pc(q.s.qts, &q.s.alloc);
    q.s.pf.pdev.bus = q.s.bus;
    q.s.pf.alloc = &q.s.alloc;
    for (n = 0; n < SRIOV_VFS; n++) {
        q.s.vf[n].pdev.bus = q.s.bus;
        q.s.vf[n].alloc = &q.s.alloc;
    }
    {
        QDict *rsp = qtest_qmp(q.s.qts, "{ 'execute': 'query-status' }");
        const char *st = qdict_get_str(qdict_get_qdict(rsp, "return"),
                                       "status");

        if (strcmp(st, "running")) {
            qtest_qmp_assert_success(q.s.qts, "{ 'execute': 'cont' }");
        }
        qobject_unref(rsp);
    }

    /* what a driver sees first: the message and the pending interrupt */
    g_assert_cmphex(qigb_rd(&q.s.vf[0], VF_V2PMAILBOX) & V2P_PFSTS, ==,
                    V2P_PFSTS);
    g_assert_cmphex(qigb_rd(&q.s.vf[0], VF_VMBMEM), ==, 0xfeed0001);
    g_assert_false(qigb_msix_fired(&q.s.vf[1], 0));

    mig_read(&q.s, &b);
    bad += mig_diff("PF", a.pf, a2.pf, b.pf, 128 * KiB);
    for (n = 0; n < SRIOV_VFS; n++) {
        bad += mig_diff(n ? "VF1" : "VF0", a.vf[n], a2.vf[n], b.vf[n],
                        VF_BAR_SIZE);
    }
    for (n = 0; n <= SRIOV_VFS; n++) {
        bad += mig_diff("config", a.cfg[n], a2.cfg[n], b.cfg[n], 4096);
        bad += mig_diff("MSI-X", a.msix[n], a2.msix[n], b.msix[n], 4096);
    }
    g_assert_cmpint(bad, ==, 0);

    /*
     * What the windows leave out: read-to-clear statistics and ICR, the
     * PHY behind MDIC and the EEPROM behind EERD (one word written by the
     * PF before).  The source is stopped, so reading its copy changes
     * nothing that matters; both must agree, and the counters must count
     * the traffic above.
     */
    for (n = 0; n < ARRAY_SIZE(mig_rc); n++) {
        uint32_t dst = qigb_rd(&q.s.pf, mig_rc[n]);

        g_test_message("0x%05x: %u", mig_rc[n], dst);
        g_assert_cmphex(dst, ==, qigb_rd(&p.s.pf, mig_rc[n]));
        g_assert_cmphex(dst & (mig_rc[n] == IGB_ICR ? IGB_INT_LSC : ~0u),
                        !=, 0);
    }
    for (n = 0; n < 32; n++) {
        uint16_t v1, v2;

        g_assert_true(qigb_phy_read(&q.s.pf, 1, n, &v1));
        g_assert_true(qigb_phy_read(&p.s.pf, 1, n, &v2));
        g_assert_cmphex(v1, ==, v2);
    }
    for (n = 0; n < 0x110; n++) {
        uint16_t v1, v2;

        g_assert_true(qigb_eeprom_read(&q.s.pf, n, &v1));
        g_assert_true(qigb_eeprom_read(&p.s.pf, n, &v2));
        g_assert_cmphex(v1, ==, v2);
    }
    g_assert_true(qigb_eeprom_read(&q.s.pf, 0x10f, &word));
    g_assert_cmphex(word, ==, 0x4242);
    g_assert_true(qigb_phy_read(&q.s.pf, 1, 4, &word));
    g_assert_cmphex(word, ==, 0x0de1);

    /* unmasked, the pending vector fires */
    qigb_msix_vector_setup(&q.s.vf[1], 0, false);
    g_assert_true(qigb_wait_for(&q.s.vf[1], vec0_fired, NULL));

    /* the rest of the half frame: all of it goes out */
    put_data(&q.s.pf, &q.ptx, half + 100, sizeof(half) - 100,
             IGB_TXD_CMD_EOP | IGB_TXD_CMD_RS, 0);
    qigb_tx_kick(&q.s.pf, &q.ptx);
    {
        g_autofree uint8_t *out = g_malloc(MAX_FRAME);
        ssize_t got;

        do {
            got = sock_recv_frame(q.s.sv[0], out, MAX_FRAME,
                                  SOCK_TIMEOUT_MS);
        } while (got >= 14 && lduw_be_p(out + 12) == 0x8035);
        g_assert_cmpint(got, ==, sizeof(half));
        g_assert_cmpmem(out, got, half, sizeof(half));
    }

    /* traffic goes on in the next descriptors */
    make_frame(f, sizeof(f), igb_mac, 70);
    sock_send_frame(q.s.sv[0], f, sizeof(f));
    rx_expect(&q.s.pf, &q.prx, f, sizeof(f));
    make_frame(f, sizeof(f), vf_macs[0], 71);
    sock_send_frame(q.s.sv[0], f, sizeof(f));
    rx_expect(&q.s.vf[0], &q.vrx[0], f, sizeof(f));
    make_frame(f, sizeof(f), vf_macs[1], 72);
    vf_send(&q, 0, f, sizeof(f));
    rx_expect(&q.s.vf[1], &q.vrx[1], f, sizeof(f));
    make_frame(f, sizeof(f), other_mac, 73);
    pf_to_wire(&q, f, sizeof(f));
    g_assert_false(qigb_rx_poll(&q.s.pf, &q.prx, &info));

    mig_free(&a);
    mig_free(&a2);
    mig_free(&b);
    qpci_free_pc(q.s.bus);
    alloc_destroy(&q.s.alloc);
    qtest_quit(q.s.qts);
    close(q.s.sv[0]);
    close(q.s.sv[1]);
    pools_stop(&p);
}

/*
 * VLAN anti-spoofing (DTXSWC bit 8 + pool): VF0 may send tagged frames
 * only with a VLAN that a VLVF entry gives its pool.  VID 12 (VF0's)
 * leaves; VID 13 is dropped (its descriptor completes), WVBR bit 8 is set
 * and the PF's ICR has DOUTSYNC; untagged frames are not VLAN-checked;
 * VF1, whose bit is clear, may send VID 13.
 */
static void test_sriov_vlan_spoof(void)
{
    Pools p;
    QIgb *pf;
    uint8_t f[120], t[124];

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    pf = &p.s.pf;
    qigb_wr(pf, PF_VLVF(0), VLVF_EN | VLVF_POOL(0) | 12);
    qigb_wr(pf, PF_DTXSWC, DTXSWC_LOOPBACK_EN | BIT(8 + 0));
    qigb_rd(pf, PF_WVBR);

    make_frame_src(f, sizeof(f), other_mac, vf_macs[0], 1);
    add_tag(t, f, sizeof(f), 12);
    vf_send(&p, 0, t, sizeof(t));
    sock_expect_frame(p.s.sv[0], t, sizeof(t));
    g_assert_cmphex(qigb_rd(pf, PF_WVBR), ==, 0);

    add_tag(t, f, sizeof(f), 13);
    vf_send(&p, 0, t, sizeof(t));
    sock_nothing(&p);
    rings_empty(&p, true, BIT(1));
    g_assert_cmphex(qigb_rd(pf, PF_WVBR), ==, BIT(8));
    g_assert_cmphex(qigb_rd(pf, IGB_ICR) & BIT(28), ==, BIT(28));

    vf_send(&p, 0, f, sizeof(f));
    sock_expect_frame(p.s.sv[0], f, sizeof(f));
    make_frame_src(f, sizeof(f), other_mac, vf_macs[1], 2);
    add_tag(t, f, sizeof(f), 13);
    vf_send(&p, 1, t, sizeof(t));
    sock_expect_frame(p.s.sv[0], t, sizeof(t));
    g_assert_cmphex(qigb_rd(pf, PF_WVBR), ==, 0);
    pools_stop(&p);
}

#define PF_RTTDQSEL         0x03604
#define PF_RTTBCNRC         0x036b0
#define RTTBCNRC_RS_ENA     (1u << 31)
#define RTTBCNRC_RF_INT(n)  ((n) << 14)
#define PF_RAL(i)           (0x05400 + 8 * (i))
#define TXQ_TDWBAL          0x38
#define TXQ_TDWBAH          0x3c
#define VF_RDBAL0           0x02800

/*
 * The PF's next receive buffer is at @addr: a frame for the PF arrives
 * and completes its descriptor (its bytes go wherever the DMA may go).
 */
static void rx_aim(Pools *p, uint64_t addr, const uint8_t *f, size_t len)
{
    QIgbRxInfo info;

    qtest_writeq(p->s.qts, p->prx.desc + IGB_DESC_SIZE * p->prx.next, addr);
    sock_send_frame(p->s.sv[0], f, len);
    g_assert_true(qigb_rx_wait(&p->s.pf, &p->prx, &info));
    g_assert_cmpint(info.length, ==, len);
    qigb_rx_post(&p->s.pf, &p->prx, 1);
}

/*
 * DMA re-entrancy across the functions of one device (the bug class of
 * CVE-2023-3019 in e1000e).  QEMU refuses a device's DMA into its own
 * BARs while the device works; the PF and its VFs share one core, so the
 * same must hold for a VF's BAR, for the functions' config space (ECAM),
 * and for work timers do (interrupt moderation, the TX rate limiter).
 * Each aimed write leaves its target as it was, and everything works
 * afterwards.
 */
static void test_sriov_dma_reentry(void)
{
    Pools p;
    QIgb *pf, *vf0, *vf1;
    QTestState *qts;
    g_autofree uint8_t *out = g_malloc(MAX_FRAME);
    uint8_t f[200];
    uint64_t wb, msix1;
    uint32_t rdbal0, rdbal1;
    uint16_t cmd, devctl;
    int exp, i;

    if (!pools_start(&p)) {
        pools_stop(&p);
        return;
    }
    pf = &p.s.pf;
    vf0 = &p.s.vf[0];
    vf1 = &p.s.vf[1];
    qts = p.s.qts;

    /* into VF0's BAR: its RX ring registers */
    rdbal0 = qigb_rd(vf0, VF_RDBAL0);
    g_assert_cmphex(rdbal0, !=, 0);
    make_frame(f, sizeof(f), igb_mac, 1);
    rx_aim(&p, p.s.vf_bar0 + VF_RDBAL0, f, sizeof(f));
    g_assert_cmphex(qigb_rd(vf0, VF_RDBAL0), ==, rdbal0);

    /* into the PF's config space: bytes 4-5 would turn bus mastering off */
    cmd = ecam_rdw(qts, p.s.devfn, PCI_COMMAND);
    make_frame(f, sizeof(f), igb_mac, 2);
    g_assert_cmphex(lduw_le_p(f + PCI_COMMAND), !=, cmd);
    rx_aim(&p, ecam_addr(p.s.devfn, 0), f, sizeof(f));
    g_assert_cmphex(ecam_rdw(qts, p.s.devfn, PCI_COMMAND), ==, cmd);

    /* into VF1's config space, Initiate FLR set where its DEVCTL is */
    exp = qpci_find_capability(&vf1->pdev, PCI_CAP_ID_EXP, 0);
    g_assert_cmpint(exp, >, 0);
    g_assert_cmpint(exp + PCI_EXP_DEVCTL + 2, <=, sizeof(f));
    devctl = qpci_config_readw(&vf1->pdev, exp + PCI_EXP_DEVCTL);
    rdbal1 = qigb_rd(vf1, VF_RDBAL0);
    make_frame(f, sizeof(f), igb_mac, 3);
    stw_le_p(f + exp + PCI_EXP_DEVCTL, devctl | PCI_EXP_DEVCTL_BCR_FLR);
    rx_aim(&p, ecam_addr(vf1->pdev.devfn, 0), f, sizeof(f));
    g_assert_cmphex(qigb_rd(pf, PF_VFLRE), ==, 0);
    g_assert_cmphex(qigb_rd(vf1, VF_RDBAL0), ==, rdbal1);
    g_assert_cmphex(qpci_config_readw(&vf1->pdev, exp + PCI_EXP_DEVCTL), ==,
                    devctl);

    /*
     * From a moderation timer: VF1's vector 0 message aimed at VF0's
     * RDBAL; the first frame's interrupt goes at once, the second one's
     * waits for the 500 us interval and is sent by the timer
     */
    rdbal0 = qigb_rd(vf0, VF_RDBAL0);
    msix1 = p.s.vf_bar3 + VF_BAR_SIZE;
    qtest_writel(qts, msix1, (uint32_t)(p.s.vf_bar0 + VF_RDBAL0));
    qtest_writel(qts, msix1 + 4, (p.s.vf_bar0 + VF_RDBAL0) >> 32);
    qtest_writel(qts, msix1 + 8, 0xdead0000);
    qigb_wr(vf1, VF_EITR(0), 500 << 2);
    for (i = 0; i < 2; i++) {
        make_frame(f, sizeof(f), vf_macs[1], 10 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        rx_expect_post(vf1, &p.vrx[1], f, sizeof(f));
    }
    qtest_clock_step(qts, 1000 * 1000);
    g_assert_cmphex(qigb_rd(vf0, VF_RDBAL0), ==, rdbal0);
    qigb_wr(vf1, VF_EITR(0), 0);
    sriov_vf_msix(&p.s, 1);
    qigb_msix_vector_setup(vf1, 0, false);

    /*
     * From the rate limiter's timer: the PF's queue limited to a tenth of
     * the link, its head written back into the PF's own RAL(10); the
     * second and third frames leave when the timer has given credit.
     */
    qigb_wr(pf, PF_RAL(10), 0x11223344);
    qigb_wr(pf, PF_RTTDQSEL, SRIOV_PF_POOL);
    qigb_wr(pf, PF_RTTBCNRC, RTTBCNRC_RS_ENA | RTTBCNRC_RF_INT(10));
    wb = pf->mmio.addr + PF_RAL(10);
    qigb_wr(pf, PF_TXQ(SRIOV_PF_POOL) + TXQ_TDWBAH, wb >> 32);
    qigb_wr(pf, PF_TXQ(SRIOV_PF_POOL) + TXQ_TDWBAL, (uint32_t)wb | 1);
    make_frame(f, sizeof(f), other_mac, 4);
    for (i = 0; i < 3; i++) {
        qigb_tx_adv(pf, &p.ptx, f, sizeof(f));
    }
    for (i = 0; i < 3; i++) {
        ssize_t n;

        qtest_clock_step(qts, 100 * 1000);
        n = sock_recv_frame(p.s.sv[0], out, MAX_FRAME, SOCK_TIMEOUT_MS);
        g_assert_cmpint(n, ==, sizeof(f));
        g_assert_cmpmem(out, n, f, sizeof(f));
    }
    g_assert_cmphex(qigb_rd(pf, PF_TXQ(SRIOV_PF_POOL) + QREG(IGB_TDH(0))),
                    ==, p.ptx.tail);
    g_assert_cmphex(qigb_rd(pf, PF_RAL(10)), ==, 0x11223344);
    qigb_wr(pf, PF_TXQ(SRIOV_PF_POOL) + TXQ_TDWBAL, 0);
    qigb_wr(pf, PF_RTTBCNRC, 0);

    /* everything still works: the PF both ways, VF0 and VF1 receive */
    pf_to_wire(&p, f, sizeof(f));
    make_frame(f, sizeof(f), igb_mac, 5);
    sock_send_frame(p.s.sv[0], f, sizeof(f));
    rx_expect_post(pf, &p.prx, f, sizeof(f));
    for (i = 0; i < 2; i++) {
        make_frame(f, sizeof(f), vf_macs[i], 6 + i);
        sock_send_frame(p.s.sv[0], f, sizeof(f));
        rx_expect_post(&p.s.vf[i], &p.vrx[i], f, sizeof(f));
    }
    pools_stop(&p);
}

/*
 * Each VF's whole register window, its own registers included, and its
 * MSI-X BAR, with random values and sizes: QEMU survives, the PF keeps
 * working, and a VF reset brings the VF back to a sane state.
 */
static void test_sriov_hostile_regs(void)
{
    uint32_t rng = g_test_rand_int() | 1;
    Sriov s;
    int n;

    if (!sriov_start(&s, false) || !sriov_enable(&s)) {
        sriov_stop(&s);
        return;
    }
    g_test_message("xorshift seed 0x%08x", rng);
    for (n = 0; n < SRIOV_VFS; n++) {
        QIgb *vf = &s.vf[n];
        QPCIBar msix = vf->mmio;

        for (uint32_t off = 0; off < VF_BAR_SIZE; off += 4) {
            hostile_access(vf, vf->mmio, off, xorshift32(&rng),
                           xorshift32(&rng));
            hostile_access(vf, vf->mmio, off, xorshift32(&rng),
                           xorshift32(&rng) | 2);
        }
        msix.addr = s.vf_bar3 + n * VF_BAR_SIZE;
        for (uint32_t off = 0; off < 0x2000; off += 4) {
            hostile_access(vf, msix, off, xorshift32(&rng), xorshift32(&rng));
        }
    }
    settle(&s.pf, 10);
    assert_alive(&s.pf);
    for (n = 0; n < SRIOV_VFS; n++) {
        qigb_wr(&s.vf[n], VF_CTRL, VF_CTRL_RST);
        settle(&s.pf, 2);
        g_assert_cmphex(qigb_rd(&s.vf[n], VF_STATUS) & IGB_STATUS_LU, ==,
                        IGB_STATUS_LU);
    }
    sriov_stop(&s);
}

/* The offset of the only copy of @pat (@len bytes) in @buf */
static size_t mem_find_once(const uint8_t *buf, size_t size,
                            const void *pat, size_t len)
{
    size_t at = SIZE_MAX;

    for (size_t i = 0; i + len <= size; i++) {
        if (!memcmp(buf + i, pat, len)) {
            g_assert_cmpuint(at, ==, SIZE_MAX);
            at = i;
        }
    }
    g_assert_cmpuint(at, !=, SIZE_MAX);
    return at;
}

/*
 * What the destination takes from a migration stream, and what it does
 * not take on trust.  The link: the source's cable was out, so the
 * destination's is, and STATUS, the PHY and the transmit path agree until
 * set_link brings it back, with LSC.  The EEPROM image a guest wrote lands
 * in the destination's eeprom-file.  And a stream tampered with (a file
 * anyone can hand to -incoming): TX queues pending beyond the 16 there
 * are, EIMS bits beyond the 25 vectors, 255 VFs counted by a PF that has
 * none enabled, each of which indexes an array.  The destination keeps
 * what a guest could have set, and runs.
 */
static void test_migrate_hostile_state(void)
{
    g_autofree char *file = g_strdup_printf("/tmp/igb-mst-%d", getpid());
    g_autofree char *eefile = g_strdup_printf("/tmp/igb-mst-%d.nvm",
                                              getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", file);
    g_autofree gchar *img = NULL;
    g_autofree gchar *nvm = NULL;
    /* a subsection: its marker, the name's length, the name */
    static const char pend[] = "\x05\x13igb-core/tx-pending";
    const uint32_t eiac = 0x01a5c3e1;
    const uint32_t rate = RTTBCNRC_RF_INT(0x1a5) | 0x2c3b;
    uint8_t tx[300], out[MAX_FRAME], be[4], *st;
    uint32_t idx;
    gsize size;
    size_t at;
    ssize_t n;
    int sv[2], sv2[2];
    IgbQemu e;
    QTestState *dst;
    QIgb d2;
    QIgbRing tr;

    if (!mig_source_start(&e, sv, &tr)) {
        return;
    }
    g_assert_true(qigb_eeprom_write(&e.d, 0x10f, 0x4242));
    /* what the stream is searched for: EIMS sits 8 bytes before EIAC */
    qigb_wr(&e.d, IGB_EIAC, eiac);
    qigb_wr(&e.d, PF_RTTDQSEL, 0);
    qigb_wr(&e.d, PF_RTTBCNRC, rate);
    g_assert_cmphex(qigb_rd(&e.d, PF_RTTBCNRC), ==, rate);
    /* the cable out raises LSC: INTx is asserted when the state is saved */
    qigb_wr(&e.d, IGB_IMS, IGB_INT_LSC);
    set_link(&e.d, false);
    g_assert_true(qigb_wait_for(&e.d, link_down, NULL));
    /* a frame asked for while stopped: queue 0 is pending in the stream */
    qtest_qmp_assert_success(e.qts, "{ 'execute': 'stop' }");
    make_frame(tx, sizeof(tx), other_mac, 43);
    idx = qigb_tx_adv(&e.d, &tr, tx, sizeof(tx));
    qtest_qmp_assert_success(e.qts, "{ 'execute': 'migrate', 'arguments':"
                             " { 'uri': %s } }", uri);
    mig_wait(e.qts, "query-migrate", "completed");

    g_assert_true(g_file_get_contents(file, &img, &size, NULL));
    st = (uint8_t *)img;
    at = mem_find_once(st, size, pend, strlen(pend)) + strlen(pend) + 4;
    g_assert_cmphex(ldl_be_p(st + at), ==, 1);
    stl_be_p(st + at, 0xffffffff);
    stl_be_p(be, eiac);
    at = mem_find_once(st, size, be, 4);
    stl_be_p(st + at - 8, 0xffffffff);
    /* num_vfs, a byte, comes right before the queues' rate limiters */
    stl_be_p(be, rate);
    at = mem_find_once(st, size, be, 4);
    g_assert_cmpuint(st[at - 1], ==, 0);
    st[at - 1] = 255;
    g_assert_true(g_file_set_contents(file, img, size, NULL));

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), ==, 0);
    unlink(eefile);
    dst = qtest_initf("-M q35 -netdev socket,id=" QIGB_NETDEV_ID ",fd=%d"
                      " -device igb,netdev=" QIGB_NETDEV_ID ",addr=04.0,"
                      "mac=" QIGB_MAC_STR ",eeprom-file=%s -incoming %s",
                      sv2[1], eefile, uri);
    mig_wait(dst, "query-migrate", "completed");
    unlink(file);
    d2 = e.d;
    d2.pdev.bus = qpci_new_pc(dst, &e.alloc);
    qtest_qmp_assert_success(dst, "{ 'execute': 'cont' }");

    /* the image the source's guest wrote, in this host's file */
    g_assert_true(g_file_get_contents(eefile, &nvm, &size, NULL));
    unlink(eefile);
    g_assert_cmpuint(size, ==, 2048);
    g_assert_cmphex(lduw_le_p(nvm + 2 * 0x10f), ==, 0x4242);

    /* no link: the pending frame is done but not sent (queue 0 only ran) */
    g_assert_true(qigb_tx_wait_dd(&d2, &tr, idx));
    g_assert_cmpint(sock_recv_frame(sv2[0], out, sizeof(out), 300), ==, -1);
    g_assert_true(link_down(&d2, NULL));
    g_assert_false(phy_link(&d2));
    g_assert_cmphex(qigb_rd(&d2, IGB_EIMS), ==, 0x01ffffff);
    /* a config write, as drivers make: the VF count is the PF's, none */
    qpci_config_writew(&d2.pdev, PCI_COMMAND,
                       qpci_config_readw(&d2.pdev, PCI_COMMAND));
    settle(&d2, 5);

    /* the cable in: LSC, and frames leave again */
    qigb_rd(&d2, IGB_ICR);
    set_link(&d2, true);
    g_assert_true(qigb_wait_for(&d2, link_up, NULL));
    g_assert_cmphex(qigb_rd(&d2, IGB_ICR) & IGB_INT_LSC, ==, IGB_INT_LSC);
    g_assert_true(phy_link(&d2));
    make_frame(tx, sizeof(tx), other_mac, 44);
    idx = qigb_tx_adv(&d2, &tr, tx, sizeof(tx));
    do {
        /* QEMU's RARP announcements of the NIC may come first */
        n = sock_recv_frame(sv2[0], out, sizeof(out), SOCK_TIMEOUT_MS);
        g_assert_cmpint(n, >, 14);
    } while (lduw_be_p(out + 12) == 0x8035);
    g_assert_cmpmem(out, n, tx, sizeof(tx));
    g_assert_true(qigb_tx_wait_dd(&d2, &tr, idx));

    /*
     * INTx is up again (LSC): a machine reset takes it down, and QEMU
     * asserts that the bus's INTx count, loaded with the state, agrees
     */
    qtest_qmp_assert_success(dst, "{ 'execute': 'system_reset' }");
    qtest_qmp_assert_success(dst, "{ 'execute': 'query-status' }");

    qpci_free_pc(d2.pdev.bus);
    qtest_quit(dst);
    igbq_stop(&e);
    close(sv[0]);
    close(sv2[0]);
}

static void igb_register_sriov_tests(void)
{
#ifndef _WIN32
    QOSGraphTestOptions opts = { .before = igb_setup_socket };

    /* On sPAPR, device DMA goes through an IOMMU these tests do not set up */
    if (!strcmp(qtest_get_arch(), "ppc64")) {
        return;
    }
    qos_add_test("rss", "igb", test_rss, &opts);
    qtest_add_func("igb/sriov-mailbox", test_sriov_mailbox);
    qtest_add_func("igb/sriov-reset", test_sriov_reset);
    qtest_add_func("igb/sriov-isolation", test_sriov_isolation);
    qtest_add_func("igb/sriov-switch", test_sriov_switch);
    qtest_add_func("igb/sriov-vlan-pools", test_sriov_vlan_pools);
    qtest_add_func("igb/sriov-default-pool", test_sriov_default_pool);
    qtest_add_func("igb/sriov-vmdq-rss", test_sriov_vmdq_rss);
    qtest_add_func("igb/sriov-hostile-regs", test_sriov_hostile_regs);
    qtest_add_func("igb/sriov-migrate", test_sriov_migrate);
    qtest_add_func("igb/tx-stopped-migrate", test_tx_stopped_migrate);
    qtest_add_func("igb/migrate-hostile-state", test_migrate_hostile_state);
    qtest_add_func("igb/sriov-noisy-vf", test_sriov_noisy_vf);
    qtest_add_func("igb/sriov-vmvir", test_sriov_vmvir);
    qtest_add_func("igb/sriov-system-reset", test_sriov_system_reset);
    qtest_add_func("igb/sriov-pf-unplug", test_sriov_pf_unplug);
    qtest_add_func("igb/sriov-unplug-half-frame",
                   test_sriov_unplug_half_frame);
    qtest_add_func("igb/sriov-dma-reentry", test_sriov_dma_reentry);
    qtest_add_func("igb/sriov-vlan-spoof", test_sriov_vlan_spoof);
#ifdef CONFIG_LINUX
    qtest_add_func("igb/sriov-vnet-tap", test_sriov_vnet_tap);
#endif
#endif
}

libqos_init(igb_register_sriov_tests);
