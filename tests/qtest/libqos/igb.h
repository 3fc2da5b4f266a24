/*
 * libqos driver for the Intel 82576 ("igb") Gigabit Ethernet controller
 *
 * The register offsets and bit positions below follow the Linux igb
 * driver (e1000_regs.h, e1000_defines.h, e1000_82575.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QOS_IGB_H
#define QOS_IGB_H

#include "qgraph.h"
#include "pci.h"

/* What the qgraph edge puts on the -device command line */
#define QIGB_NETDEV_ID      "hs0"
#define QIGB_MAC_STR        "52:54:00:a1:b2:c3"
#define QIGB_PCI_SLOT       4

/* PCI identity */
#define QIGB_VENDOR_ID      0x8086
#define QIGB_DEVICE_ID      0x10c9
#define QIGB_VF_DEVICE_ID   0x10ca

/* General registers */
#define IGB_CTRL            0x00000
#define IGB_STATUS          0x00008
#define IGB_EECD            0x00010
#define IGB_EERD            0x00014
#define IGB_CTRL_EXT        0x00018
#define IGB_MDIC            0x00020
#define IGB_EEWR            0x0102c

/* Interrupt registers */
#define IGB_ICR             0x000c0
#define IGB_ITR             0x000c4
#define IGB_ICS             0x000c8
#define IGB_IMS             0x000d0
#define IGB_IMC             0x000d8
#define IGB_IAM             0x000e0
#define IGB_GPIE            0x01514
#define IGB_EICS            0x01520
#define IGB_EIMS            0x01524
#define IGB_EIMC            0x01528
#define IGB_EIAC            0x0152c
#define IGB_EIAM            0x01530
#define IGB_EICR            0x01580
#define IGB_EITR(v)         (0x01680 + 4 * (v))
#define IGB_IVAR0           0x01700
#define IGB_IVAR_MISC       0x01740

/* Receive and transmit control */
#define IGB_RCTL            0x00100
#define IGB_TCTL            0x00400
#define IGB_RXCSUM          0x05000
#define IGB_RLPML           0x05004
#define IGB_MTA(i)          (0x05200 + 4 * (i))
#define IGB_RAL(i)          (0x05400 + 8 * (i))
#define IGB_RAH(i)          (0x05404 + 8 * (i))
#define IGB_VFTA(i)         (0x05600 + 4 * (i))

/* Per queue registers, queues 0..3 */
#define IGB_RDBAL(q)        (0x02800 + 0x100 * (q))
#define IGB_RDBAH(q)        (0x02804 + 0x100 * (q))
#define IGB_RDLEN(q)        (0x02808 + 0x100 * (q))
#define IGB_SRRCTL(q)       (0x0280c + 0x100 * (q))
#define IGB_RDH(q)          (0x02810 + 0x100 * (q))
#define IGB_RDT(q)          (0x02818 + 0x100 * (q))
#define IGB_RXDCTL(q)       (0x02828 + 0x100 * (q))
#define IGB_TDBAL(q)        (0x03800 + 0x100 * (q))
#define IGB_TDBAH(q)        (0x03804 + 0x100 * (q))
#define IGB_TDLEN(q)        (0x03808 + 0x100 * (q))
#define IGB_TDH(q)          (0x03810 + 0x100 * (q))
#define IGB_TDT(q)          (0x03818 + 0x100 * (q))
#define IGB_TXDCTL(q)       (0x03828 + 0x100 * (q))

/* Statistics (clear on read) */
#define IGB_MPC             0x04010
#define IGB_GPRC            0x04074
#define IGB_BPRC            0x04078
#define IGB_GPTC            0x04080
#define IGB_GORCL           0x04088
#define IGB_GOTCL           0x04090
#define IGB_RNBC            0x040a0
#define IGB_ROC             0x040ac
#define IGB_TPR             0x040d0
#define IGB_TPT             0x040d4
#define IGB_IAC             0x04100
#define IGB_ICRXDMTC        0x04120

/* CTRL */
#define IGB_CTRL_FD         (1u << 0)
#define IGB_CTRL_SLU        (1u << 6)
#define IGB_CTRL_SPD_1000   (1u << 9)
#define IGB_CTRL_FRCSPD     (1u << 11)
#define IGB_CTRL_FRCDPX     (1u << 12)
#define IGB_CTRL_RST        (1u << 26)
#define IGB_CTRL_TFCE       (1u << 28)
#define IGB_CTRL_VME        (1u << 30)

/* STATUS */
#define IGB_STATUS_FD       (1u << 0)
#define IGB_STATUS_LU       (1u << 1)
#define IGB_STATUS_SPEED_MASK   (3u << 6)
#define IGB_STATUS_SPEED_1000   (2u << 6)

/* EECD */
#define IGB_EECD_PRES       (1u << 8)
#define IGB_EECD_AUTO_RD    (1u << 9)

/* EERD */
#define IGB_EERD_START      (1u << 0)
#define IGB_EERD_DONE       (1u << 1)
#define IGB_EERD_ADDR_SHIFT 2
#define IGB_EERD_DATA_SHIFT 16

/* MDIC */
#define IGB_MDIC_DATA_MASK  0xffffu
#define IGB_MDIC_REG_SHIFT  16
#define IGB_MDIC_PHY_SHIFT  21
#define IGB_MDIC_OP_WRITE   (1u << 26)
#define IGB_MDIC_OP_READ    (2u << 26)
#define IGB_MDIC_READY      (1u << 28)
#define IGB_MDIC_ERROR      (1u << 30)

/* PHY registers and bits */
#define IGB_PHY_ADDR        1
#define IGB_PHY_CTRL        0
#define IGB_PHY_STATUS      1
#define IGB_PHY_ID1         2
#define IGB_PHY_ID2         3
#define IGB_PHY_AUTONEG_ADV 4
#define IGB_PHY_CTRL_LOOPBACK   (1u << 14)
#define IGB_PHY_ST_LINK     (1u << 2)
#define IGB_PHY_ST_ANEG_DONE    (1u << 5)

/* Interrupt causes (ICR, ICS, IMS, IMC, IAM) */
#define IGB_INT_TXDW        (1u << 0)
#define IGB_INT_LSC         (1u << 2)
#define IGB_INT_RXSEQ       (1u << 3)
#define IGB_INT_RXDMT0      (1u << 4)
#define IGB_INT_RXT0        (1u << 7)
#define IGB_INT_ASSERTED    (1u << 31)

/* GPIE, IVAR */
#define IGB_GPIE_NSICR      (1u << 0)
#define IGB_GPIE_MSIX_MODE  (1u << 4)
#define IGB_GPIE_EIAME      (1u << 30)
#define IGB_GPIE_PBA        (1u << 31)
#define IGB_IVAR_VALID      0x80u
#define IGB_EITR_INTERVAL_SHIFT 2           /* interval in us, bits 14:2 */

/* RCTL */
#define IGB_RCTL_EN         (1u << 1)
#define IGB_RCTL_UPE        (1u << 3)
#define IGB_RCTL_MPE        (1u << 4)
#define IGB_RCTL_LPE        (1u << 5)
#define IGB_RCTL_LBM_MAC    (1u << 6)
#define IGB_RCTL_MO_MASK    (3u << 12)
#define IGB_RCTL_BAM        (1u << 15)
#define IGB_RCTL_BSIZE_1024 (1u << 16)
#define IGB_RCTL_VFE        (1u << 18)
#define IGB_RCTL_SECRC      (1u << 26)

/* TCTL */
#define IGB_TCTL_EN         (1u << 1)
#define IGB_TCTL_PSP        (1u << 3)
#define IGB_TCTL_CT_SHIFT   4
#define IGB_TCTL_CT_MASK    (0xffu << 4)

/* SRRCTL, RXDCTL, TXDCTL */
#define IGB_SRRCTL_BSIZEPKT_MASK    0x7fu       /* in KiB */
#define IGB_SRRCTL_DESCTYPE_LEGACY  0u
#define IGB_SRRCTL_DESCTYPE_ADV1BUF (1u << 25)
#define IGB_SRRCTL_DROP_EN          (1u << 31)
#define IGB_QUEUE_ENABLE            (1u << 25)

/* Legacy transmit descriptor command byte (bits 31:24 of dword 2) */
#define IGB_TXD_CMD_EOP     (1u << 24)
#define IGB_TXD_CMD_IFCS    (1u << 25)
#define IGB_TXD_CMD_RS      (1u << 27)
#define IGB_TXD_CMD_DEXT    (1u << 29)
#define IGB_TXD_CMD_VLE     (1u << 30)        /* also advanced DCMD.VLE */
#define IGB_TXD_STAT_DD     (1u << 0)

/* Advanced transmit descriptors */
#define IGB_ADVTXD_DTYP_CTXT    (2u << 20)
#define IGB_ADVTXD_DTYP_DATA    (3u << 20)
#define IGB_ADVTXD_PAYLEN_SHIFT 14
#define IGB_ADVTXD_MACLEN_SHIFT 9
#define IGB_ADVTXD_VLAN_SHIFT   16
#define IGB_ADVTXD_TUCMD_IPV4   (1u << 10)

/* Receive descriptor status (legacy status byte, advanced status word) */
#define IGB_RXD_STAT_DD     (1u << 0)
#define IGB_RXD_STAT_EOP    (1u << 1)
#define IGB_RXD_STAT_VP     (1u << 3)

#define IGB_DESC_SIZE       16

/* Default MSI-X vectors used by the helpers */
#define QIGB_MSIX_RX_VEC    0
#define QIGB_MSIX_TX_VEC    1
#define QIGB_MSIX_OTHER_VEC 2

typedef struct QIgb QIgb;
typedef struct QIgbRing QIgbRing;
typedef struct QIgbRxInfo QIgbRxInfo;

/* A descriptor ring and the software view of it */
struct QIgbRing {
    int queue;
    bool rx;
    bool adv;               /* advanced descriptors */
    uint64_t desc;          /* guest address of the first descriptor */
    uint32_t count;         /* number of descriptors */
    uint32_t tail;          /* next descriptor software hands out */
    uint32_t next;          /* next descriptor software expects back */
    size_t buf_size;        /* bytes per buffer */
    uint64_t *bufs;         /* guest buffer per descriptor */
};

/* One completed receive descriptor */
struct QIgbRxInfo {
    uint32_t index;
    uint16_t length;
    uint32_t status;
    uint16_t vlan;          /* VLAN tag field (valid with VP) */
    uint64_t buf;
};

struct QIgb {
    QOSGraphObject obj;
    QPCIDevice pdev;
    QGuestAllocator *alloc;
    QPCIBar mmio;           /* BAR0 */
    QPCIBar io;             /* BAR2 */
    bool mapped;
    uint64_t msix_msg;      /* guest page the MSI-X messages land in */
};

static inline QTestState *qigb_qts(QIgb *d)
{
    return d->pdev.bus->qts;
}

/* Register access through BAR0 and through the IOADDR/IODATA window */
uint32_t qigb_rd(QIgb *d, uint32_t reg);
void qigb_wr(QIgb *d, uint32_t reg, uint32_t val);
uint32_t qigb_io_rd(QIgb *d, uint32_t reg);
void qigb_io_wr(QIgb *d, uint32_t reg, uint32_t val);

/* Advance the virtual clock a little (lets timers in the model run) */
void qigb_tick(QIgb *d);

/* Software reset (CTRL.RST), waiting until the device comes back */
void qigb_reset(QIgb *d);

/* EEPROM word read via EERD; false if DONE never appears */
bool qigb_eeprom_read(QIgb *d, uint32_t addr, uint16_t *val);
/* EEPROM word write via EEWR; false if DONE never appears */
bool qigb_eeprom_write(QIgb *d, uint32_t addr, uint16_t val);

/* MDIC access; the raw final MDIC value goes to *mdic; false on timeout */
bool qigb_mdic(QIgb *d, uint32_t op, int phy, int reg, uint16_t data,
               uint32_t *mdic);
bool qigb_phy_read(QIgb *d, int phy, int reg, uint16_t *val);
bool qigb_phy_write(QIgb *d, int phy, int reg, uint16_t val);

/* Rings */
void qigb_ring_init(QIgb *d, QIgbRing *r, bool rx, int queue,
                    uint32_t count, size_t buf_size, bool adv);
void qigb_ring_free(QIgb *d, QIgbRing *r);
void qigb_tx_start(QIgb *d, QIgbRing *r);
void qigb_rx_start(QIgb *d, QIgbRing *r, uint32_t rctl_extra,
                   uint32_t srrctl_extra);

/* Transmit; return the index of the last descriptor used */
uint32_t qigb_tx_legacy(QIgb *d, QIgbRing *r, const void *buf, size_t len);
uint32_t qigb_tx_adv(QIgb *d, QIgbRing *r, const void *buf, size_t len);
/* Write descriptor at r->tail without touching TDT; returns its index */
uint32_t qigb_tx_put_desc(QIgb *d, QIgbRing *r, const uint32_t dw[4]);
void qigb_tx_kick(QIgb *d, QIgbRing *r);
bool qigb_tx_wait_dd(QIgb *d, QIgbRing *r, uint32_t idx);

/* Receive */
void qigb_rx_post(QIgb *d, QIgbRing *r, uint32_t n);
bool qigb_rx_wait(QIgb *d, QIgbRing *r, QIgbRxInfo *info);
bool qigb_rx_poll(QIgb *d, QIgbRing *r, QIgbRxInfo *info);

/* Interrupts */
void qigb_msix_init(QIgb *d);
void qigb_msix_vector_setup(QIgb *d, int vec, bool masked);
bool qigb_msix_fired(QIgb *d, int vec);
void qigb_msix_clear(QIgb *d, int vec);
uint32_t qigb_msix_data(int vec);

/* Wait until fn(d, opaque) holds (virtual clock advanced); false on timeout */
bool qigb_wait_for(QIgb *d, bool (*fn)(QIgb *d, void *opaque),
                   void *opaque);
bool qigb_wait_for_us(QIgb *d, bool (*fn)(QIgb *d, void *opaque),
                      void *opaque, int64_t timeout_us);

#endif
