/*
 * libqos driver for the Intel 82576 ("igb") Gigabit Ethernet controller
 *
 * The qgraph node "igb" sits on a "pci-bus".  Its helpers program the
 * device the way a minimal driver would: BAR0 register access, the
 * IOADDR/IODATA window of BAR2, software reset, EEPROM and PHY access,
 * descriptor rings in guest memory and MSI-X vectors whose messages are
 * written into a guest page so a test can see which vector fired.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../libqtest.h"
#include "qemu/module.h"
#include "qemu/bswap.h"
#include "qgraph.h"
#include "pci.h"
#include "libqos-malloc.h"
#include "hw/pci/pci_regs.h"
#include "igb.h"

/* How long a helper keeps polling before it gives up */
#define QIGB_TIMEOUT_US     (5 * G_USEC_PER_SEC)
/* Virtual time handed to the device between two polls */
#define QIGB_TICK_NS        (100 * 1000)

#define QIGB_MSIX_ENTRY_SIZE    16

uint32_t qigb_rd(QIgb *d, uint32_t reg)
{
    return qpci_io_readl(&d->pdev, d->mmio, reg);
}

void qigb_wr(QIgb *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(&d->pdev, d->mmio, reg, val);
}

/* BAR2: IOADDR at offset 0 selects the register, IODATA at 4 accesses it */
uint32_t qigb_io_rd(QIgb *d, uint32_t reg)
{
    qpci_io_writel(&d->pdev, d->io, 0, reg);
    return qpci_io_readl(&d->pdev, d->io, 4);
}

void qigb_io_wr(QIgb *d, uint32_t reg, uint32_t val)
{
    qpci_io_writel(&d->pdev, d->io, 0, reg);
    qpci_io_writel(&d->pdev, d->io, 4, val);
}

void qigb_tick(QIgb *d)
{
    qtest_clock_step(qigb_qts(d), QIGB_TICK_NS);
}

bool qigb_wait_for_us(QIgb *d, bool (*fn)(QIgb *d, void *opaque),
                      void *opaque, int64_t timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;

    for (;;) {
        if (fn(d, opaque)) {
            return true;
        }
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        qigb_tick(d);
    }
}

bool qigb_wait_for(QIgb *d, bool (*fn)(QIgb *d, void *opaque), void *opaque)
{
    return qigb_wait_for_us(d, fn, opaque, QIGB_TIMEOUT_US);
}

static bool qigb_reset_done(QIgb *d, void *opaque)
{
    return !(qigb_rd(d, IGB_CTRL) & IGB_CTRL_RST) &&
           (qigb_rd(d, IGB_EECD) & IGB_EECD_AUTO_RD);
}

void qigb_reset(QIgb *d)
{
    qigb_wr(d, IGB_CTRL, qigb_rd(d, IGB_CTRL) | IGB_CTRL_RST);
    g_assert_true(qigb_wait_for(d, qigb_reset_done, NULL));
}

static bool qigb_eerd_done(QIgb *d, void *opaque)
{
    uint32_t *eerd = opaque;

    *eerd = qigb_rd(d, IGB_EERD);
    return *eerd & IGB_EERD_DONE;
}

bool qigb_eeprom_read(QIgb *d, uint32_t addr, uint16_t *val)
{
    uint32_t eerd;

    qigb_wr(d, IGB_EERD, (addr << IGB_EERD_ADDR_SHIFT) | IGB_EERD_START);
    if (!qigb_wait_for(d, qigb_eerd_done, &eerd)) {
        return false;
    }
    *val = eerd >> IGB_EERD_DATA_SHIFT;
    return true;
}

static bool qigb_eewr_done(QIgb *d, void *opaque)
{
    return qigb_rd(d, IGB_EEWR) & IGB_EERD_DONE;
}

/* EEWR has the layout of EERD, with the data to write in bits 31:16 */
bool qigb_eeprom_write(QIgb *d, uint32_t addr, uint16_t val)
{
    qigb_wr(d, IGB_EEWR, (uint32_t)val << IGB_EERD_DATA_SHIFT |
            addr << IGB_EERD_ADDR_SHIFT | IGB_EERD_START);
    return qigb_wait_for(d, qigb_eewr_done, NULL);
}

static bool qigb_mdic_ready(QIgb *d, void *opaque)
{
    uint32_t *mdic = opaque;

    *mdic = qigb_rd(d, IGB_MDIC);
    return *mdic & IGB_MDIC_READY;
}

bool qigb_mdic(QIgb *d, uint32_t op, int phy, int reg, uint16_t data,
               uint32_t *mdic)
{
    uint32_t val = op | data | ((uint32_t)reg << IGB_MDIC_REG_SHIFT) |
                   ((uint32_t)phy << IGB_MDIC_PHY_SHIFT);

    qigb_wr(d, IGB_MDIC, val);
    return qigb_wait_for(d, qigb_mdic_ready, mdic);
}

bool qigb_phy_read(QIgb *d, int phy, int reg, uint16_t *val)
{
    uint32_t mdic;

    if (!qigb_mdic(d, IGB_MDIC_OP_READ, phy, reg, 0, &mdic) ||
        (mdic & IGB_MDIC_ERROR)) {
        return false;
    }
    *val = mdic & IGB_MDIC_DATA_MASK;
    return true;
}

bool qigb_phy_write(QIgb *d, int phy, int reg, uint16_t val)
{
    uint32_t mdic;

    return qigb_mdic(d, IGB_MDIC_OP_WRITE, phy, reg, val, &mdic) &&
           !(mdic & IGB_MDIC_ERROR);
}

/* Rings */

static void qigb_zero(QIgb *d, uint64_t addr, size_t len)
{
    qtest_memset(qigb_qts(d), addr, 0, len);
}

void qigb_ring_init(QIgb *d, QIgbRing *r, bool rx, int queue,
                    uint32_t count, size_t buf_size, bool adv)
{
    size_t ring_bytes = (size_t)count * IGB_DESC_SIZE;
    uint32_t i;

    g_assert(count >= 8 && count % 8 == 0);
    g_assert(queue >= 0 && queue < 4);

    memset(r, 0, sizeof(*r));
    r->rx = rx;
    r->queue = queue;
    r->adv = adv;
    r->count = count;
    r->buf_size = buf_size;
    r->desc = guest_alloc(d->alloc, ring_bytes);
    g_assert(r->desc % 128 == 0);
    qigb_zero(d, r->desc, ring_bytes);

    r->bufs = g_new0(uint64_t, count);
    for (i = 0; i < count; i++) {
        r->bufs[i] = guest_alloc(d->alloc, buf_size);
        qigb_zero(d, r->bufs[i], buf_size);
    }

    if (rx) {
        qigb_wr(d, IGB_RDBAL(queue), (uint32_t)r->desc);
        qigb_wr(d, IGB_RDBAH(queue), (uint32_t)(r->desc >> 32));
        qigb_wr(d, IGB_RDLEN(queue), ring_bytes);
        qigb_wr(d, IGB_RDH(queue), 0);
        qigb_wr(d, IGB_RDT(queue), 0);
    } else {
        qigb_wr(d, IGB_TDBAL(queue), (uint32_t)r->desc);
        qigb_wr(d, IGB_TDBAH(queue), (uint32_t)(r->desc >> 32));
        qigb_wr(d, IGB_TDLEN(queue), ring_bytes);
        qigb_wr(d, IGB_TDH(queue), 0);
        qigb_wr(d, IGB_TDT(queue), 0);
    }
}

void qigb_ring_free(QIgb *d, QIgbRing *r)
{
    uint32_t i;

    for (i = 0; i < r->count; i++) {
        guest_free(d->alloc, r->bufs[i]);
    }
    guest_free(d->alloc, r->desc);
    g_free(r->bufs);
    r->bufs = NULL;
}

void qigb_tx_start(QIgb *d, QIgbRing *r)
{
    qigb_wr(d, IGB_TXDCTL(r->queue),
            qigb_rd(d, IGB_TXDCTL(r->queue)) | IGB_QUEUE_ENABLE);
    qigb_wr(d, IGB_TCTL, qigb_rd(d, IGB_TCTL) | IGB_TCTL_EN | IGB_TCTL_PSP);
}

void qigb_rx_start(QIgb *d, QIgbRing *r, uint32_t rctl_extra,
                   uint32_t srrctl_extra)
{
    uint32_t srrctl = (r->buf_size / 1024) & IGB_SRRCTL_BSIZEPKT_MASK;
    uint32_t rctl = IGB_RCTL_EN | IGB_RCTL_BAM | IGB_RCTL_SECRC;

    g_assert(r->buf_size % 1024 == 0 && srrctl != 0);
    if (r->adv) {
        srrctl |= IGB_SRRCTL_DESCTYPE_ADV1BUF;
    } else {
        /* Keep the legacy RCTL.BSIZE consistent with SRRCTL */
        g_assert(r->buf_size == 1024 || r->buf_size == 2048);
        if (r->buf_size == 1024) {
            rctl |= IGB_RCTL_BSIZE_1024;
        }
    }
    qigb_wr(d, IGB_SRRCTL(r->queue), srrctl | srrctl_extra);
    qigb_wr(d, IGB_RXDCTL(r->queue),
            qigb_rd(d, IGB_RXDCTL(r->queue)) | IGB_QUEUE_ENABLE);
    qigb_wr(d, IGB_RCTL, rctl | rctl_extra);
}

static uint64_t qigb_desc_addr(QIgbRing *r, uint32_t idx)
{
    return r->desc + (uint64_t)idx * IGB_DESC_SIZE;
}

uint32_t qigb_tx_put_desc(QIgb *d, QIgbRing *r, const uint32_t dw[4])
{
    uint32_t idx = r->tail;
    uint32_t le[4];
    int i;

    for (i = 0; i < 4; i++) {
        le[i] = cpu_to_le32(dw[i]);
    }
    qtest_memwrite(qigb_qts(d), qigb_desc_addr(r, idx), le, sizeof(le));
    r->tail = (r->tail + 1) % r->count;
    return idx;
}

void qigb_tx_kick(QIgb *d, QIgbRing *r)
{
    qigb_wr(d, IGB_TDT(r->queue), r->tail);
}

uint32_t qigb_tx_legacy(QIgb *d, QIgbRing *r, const void *buf, size_t len)
{
    uint64_t ba = r->bufs[r->tail];
    uint32_t dw[4];
    uint32_t idx;

    g_assert(len <= r->buf_size && len <= 0xffff);
    qtest_memwrite(qigb_qts(d), ba, buf, len);
    dw[0] = (uint32_t)ba;
    dw[1] = (uint32_t)(ba >> 32);
    dw[2] = len | IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS;
    dw[3] = 0;
    idx = qigb_tx_put_desc(d, r, dw);
    qigb_tx_kick(d, r);
    return idx;
}

uint32_t qigb_tx_adv(QIgb *d, QIgbRing *r, const void *buf, size_t len)
{
    uint32_t ctx[4], data[4];
    uint64_t ba;
    uint32_t idx;

    g_assert(len <= r->buf_size && len <= 0xffff);

    /* Context: 14 byte MAC header, IPv4, no offloads requested */
    ctx[0] = 14 << IGB_ADVTXD_MACLEN_SHIFT;
    ctx[1] = 0;
    ctx[2] = IGB_ADVTXD_DTYP_CTXT | IGB_TXD_CMD_DEXT | IGB_ADVTXD_TUCMD_IPV4;
    ctx[3] = 0;
    qigb_tx_put_desc(d, r, ctx);

    ba = r->bufs[r->tail];
    qtest_memwrite(qigb_qts(d), ba, buf, len);
    data[0] = (uint32_t)ba;
    data[1] = (uint32_t)(ba >> 32);
    data[2] = len | IGB_ADVTXD_DTYP_DATA | IGB_TXD_CMD_DEXT |
              IGB_TXD_CMD_EOP | IGB_TXD_CMD_IFCS | IGB_TXD_CMD_RS;
    data[3] = (uint32_t)len << IGB_ADVTXD_PAYLEN_SHIFT;
    idx = qigb_tx_put_desc(d, r, data);
    qigb_tx_kick(d, r);
    return idx;
}

typedef struct QIgbDescWait {
    QIgbRing *ring;
    uint32_t idx;
} QIgbDescWait;

static bool qigb_tx_dd(QIgb *d, void *opaque)
{
    QIgbDescWait *w = opaque;
    uint64_t a = qigb_desc_addr(w->ring, w->idx) + 12;

    return qtest_readb(qigb_qts(d), a) & IGB_TXD_STAT_DD;
}

bool qigb_tx_wait_dd(QIgb *d, QIgbRing *r, uint32_t idx)
{
    QIgbDescWait w = { .ring = r, .idx = idx };

    return qigb_wait_for(d, qigb_tx_dd, &w);
}

void qigb_rx_post(QIgb *d, QIgbRing *r, uint32_t n)
{
    uint64_t q[2];

    while (n--) {
        q[0] = cpu_to_le64(r->bufs[r->tail]);
        q[1] = 0;
        qtest_memwrite(qigb_qts(d), qigb_desc_addr(r, r->tail), q, sizeof(q));
        r->tail = (r->tail + 1) % r->count;
    }
    qigb_wr(d, IGB_RDT(r->queue), r->tail);
}

bool qigb_rx_poll(QIgb *d, QIgbRing *r, QIgbRxInfo *info)
{
    QTestState *qts = qigb_qts(d);
    uint64_t a = qigb_desc_addr(r, r->next);
    uint8_t desc[IGB_DESC_SIZE];
    uint32_t status;
    uint16_t length;

    qtest_memread(qts, a, desc, sizeof(desc));
    if (r->adv) {
        status = ldl_le_p(desc + 8);
        length = lduw_le_p(desc + 12);
    } else {
        status = desc[12] | desc[13] << 8;
        length = lduw_le_p(desc + 8);
    }
    if (!(status & IGB_RXD_STAT_DD)) {
        return false;
    }
    info->index = r->next;
    info->length = length;
    info->status = status;
    /* legacy "special" and advanced "vlan" share bytes 14..15 */
    info->vlan = lduw_le_p(desc + 14);
    info->buf = r->bufs[r->next];
    r->next = (r->next + 1) % r->count;
    return true;
}

typedef struct QIgbRxWait {
    QIgbRing *ring;
    QIgbRxInfo *info;
} QIgbRxWait;

static bool qigb_rx_ready(QIgb *d, void *opaque)
{
    QIgbRxWait *w = opaque;

    return qigb_rx_poll(d, w->ring, w->info);
}

bool qigb_rx_wait(QIgb *d, QIgbRing *r, QIgbRxInfo *info)
{
    QIgbRxWait w = { .ring = r, .info = info };

    return qigb_wait_for(d, qigb_rx_ready, &w);
}

/* MSI-X: each vector writes qigb_msix_data(vec) to msix_msg + 4 * vec */

uint32_t qigb_msix_data(int vec)
{
    return 0x1ab00 + vec;
}

void qigb_msix_init(QIgb *d)
{
    qpci_msix_enable(&d->pdev);
    if (!d->msix_msg) {
        d->msix_msg = guest_alloc(d->alloc, 4096);
    }
    qigb_zero(d, d->msix_msg, 4096);
}

void qigb_msix_vector_setup(QIgb *d, int vec, bool masked)
{
    uint64_t off = d->pdev.msix_table_off + vec * QIGB_MSIX_ENTRY_SIZE;
    uint64_t addr = d->msix_msg + 4 * vec;
    QPCIBar bar = d->pdev.msix_table_bar;

    g_assert(d->pdev.msix_enabled);
    qpci_io_writel(&d->pdev, bar, off + PCI_MSIX_ENTRY_LOWER_ADDR,
                   (uint32_t)addr);
    qpci_io_writel(&d->pdev, bar, off + PCI_MSIX_ENTRY_UPPER_ADDR,
                   (uint32_t)(addr >> 32));
    qpci_io_writel(&d->pdev, bar, off + PCI_MSIX_ENTRY_DATA,
                   qigb_msix_data(vec));
    qpci_io_writel(&d->pdev, bar, off + PCI_MSIX_ENTRY_VECTOR_CTRL,
                   masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
}

bool qigb_msix_fired(QIgb *d, int vec)
{
    uint32_t v;

    qtest_memread(qigb_qts(d), d->msix_msg + 4 * vec, &v, sizeof(v));
    return le32_to_cpu(v) == qigb_msix_data(vec);
}

void qigb_msix_clear(QIgb *d, int vec)
{
    qigb_zero(d, d->msix_msg + 4 * vec, 4);
}

/* qgraph node */

static void qigb_start_hw(QOSGraphObject *obj)
{
    QIgb *d = (QIgb *)obj;

    qpci_device_enable(&d->pdev);
    if (!d->mapped) {
        d->mmio = qpci_iomap(&d->pdev, 0, NULL);
        d->io = qpci_iomap(&d->pdev, 2, NULL);
        d->mapped = true;
    }
}

static void qigb_destructor(QOSGraphObject *obj)
{
    QIgb *d = (QIgb *)obj;

    if (d->mapped) {
        qpci_iounmap(&d->pdev, d->mmio);
        qpci_iounmap(&d->pdev, d->io);
        d->mapped = false;
    }
}

static void *qigb_create(void *pci_bus, QGuestAllocator *alloc, void *addr)
{
    QIgb *d = g_new0(QIgb, 1);

    /* No "produces" edge: tests consume the igb node itself */
    *d = (QIgb) {
        .obj = {
            .start_hw = qigb_start_hw,
            .destructor = qigb_destructor,
            .free = g_free,
        },
        .alloc = alloc,
    };
    qpci_device_init(&d->pdev, pci_bus, addr);
    return d;
}

static void qigb_register_nodes(void)
{
    QOSGraphEdgeOptions edge = { 0 };
    QPCIAddress where = { 0 };

    qos_node_create_driver("igb", qigb_create);

    /* Every test must supply -netdev ...,id=hs0 (see igb-test.c) */
    where.devfn = QPCI_DEVFN(QIGB_PCI_SLOT, 0);
    edge.extra_device_opts = "addr=04.0,mac=" QIGB_MAC_STR
                             ",netdev=" QIGB_NETDEV_ID;
    add_qpci_address(&edge, &where);
    qos_node_consumes("igb", "pci-bus", &edge);
}

libqos_init(qigb_register_nodes);
