/*
 * Intel 82576 (igb) emulation: the core shared by the PF and its VFs.
 *
 * The core owns the register file, the queues and the interrupt logic.  It
 * knows PCI functions only as the PCIDevice that owns a queue or a vector
 * (for DMA and MSI/MSI-X/INTx delivery); config space belongs to igb.c and
 * igbvf.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NET_IGB_CORE_H
#define HW_NET_IGB_CORE_H

#include "hw/pci/pci_device.h"
#include "qemu/units.h"
#include "net/net.h"
#include "net/eth.h"
#include "standard-headers/linux/virtio_net.h"
#include "igb_regs.h"

/* Function index: 0 is the PF, 1..8 are VF0..VF7 */
#define IGB_PF_FN       0
#define IGB_MAX_FNS     (1 + IGB_TOTAL_VFS)
#define IGB_TX_CTX_SLOTS 2
#define IGB_TX_MAX_FRAGS 64
#define IGB_TX_MIN_FRAME 60     /* without the FCS: TCTL.PSP pads to it */
#define IGB_RX_BUF_SIZE (16 * KiB)
#define IGB_RX_MAX_IOV 64

typedef struct IgbCore IgbCore;

/* An EITR moderation timer and the vector it belongs to */
typedef struct IgbEitrTimer {
    QEMUTimer *timer;
    IgbCore *core;
    int vec;
} IgbEitrTimer;

/* One advanced TX context slot, as the context descriptor wrote it */
typedef struct IgbTxContext {
    uint32_t vlan_macip_lens;
    uint32_t seqnum_seed;
    uint32_t type_tucmd_mlhl;
    uint32_t mss_l4len_idx;
} IgbTxContext;

/*
 * A descriptor ring as one kick or one received frame uses it: a
 * MemoryRegionCache over the ring where QEMU can give one (guest RAM),
 * plain DMA where it cannot (past what the cache covers, MMIO, IOMMU).
 */
typedef struct IgbRing {
    PCIDevice *dev;
    dma_addr_t base;
    hwaddr want;                /* the ring's length */
    hwaddr len;                 /* bytes the cache covers */
    bool open;
    MemoryRegionCache cache;
} IgbRing;

/*
 * Use @r for the ring at @base (@len bytes) that @dev reaches: the cache
 * stays while the ring, the function and the memory map stay the same.
 * Called within an RCU read-side critical section.
 */
typedef struct IgbTxQueue {
    struct NetTxPkt *pkt;       /* the frame being gathered */
    IgbTxContext ctx[IGB_TX_CTX_SLOTS];
    uint32_t first_cmd;         /* cmd_type_len of the frame's 1st desc */
    uint32_t first_olinfo;      /* olinfo_status of the first data desc */
    uint16_t legacy_vlan;
    uint8_t legacy_cso;
    uint8_t legacy_css;
    bool in_frame;              /* descriptors gathered, no EOP yet */
    bool drop;                  /* current frame is bad: discard at EOP */
    bool legacy;                /* current frame uses legacy descriptors */
    uint32_t frame_head;        /* descriptor the current frame began at */
    /* the frame's buffers, mapped; given to pkt only when it has offloads */
    struct iovec frags[IGB_TX_MAX_FRAGS];
    int nfrags;
    PCIDevice *map_dev;         /* the function frags were mapped through */
    size_t total;               /* bytes in frags */
    bool pkt_used;

    /* rate limiter (RTTBCNRC): byte credit and when it was last topped up */
    int64_t credit;
    int64_t credit_ns;
    QEMUTimer *rl_timer;
    IgbCore *core;
    int index;
} IgbTxQueue;

/* What exists only in a VF's own register window */
typedef struct IgbVf {
    uint32_t ctrl;
    uint32_t eicr;
    uint32_t eims;
    uint32_t eiac;
    uint32_t eiam;
    uint32_t ivar;
    uint32_t ivar_misc;
    uint32_t eitr[IGB_VF_MSIX_VECTORS];
    uint32_t mbx;               /* V2PMAILBOX state bits (VFU/PFU/R2C/RSTI) */
    uint8_t eitr_armed;         /* moderation of the VF's own vectors */
    uint8_t eitr_pending;
    QEMUTimer *eitr_timer[IGB_VF_MSIX_VECTORS];
    IgbCore *core;
    int index;
} IgbVf;

/* The EEPROM's SPI interface, as software bit-bangs it through EECD */
typedef struct IgbSpi {
    uint32_t bits;              /* bits clocked since CS was asserted */
    uint32_t shreg;
    uint32_t addr;
    uint8_t cmd;
    uint8_t out;                /* byte being shifted out on DO */
    bool wel;                   /* write enable latch */
} IgbSpi;

struct IgbCore {
    uint32_t mac[IGB_NREGS];
    uint16_t phy[IGB_PHY_NREGS];
    uint16_t eeprom[IGB_EEPROM_WORDS];
    IgbSpi spi;
    int nvm_fd;                 /* eeprom-file, or -1 */

    /* interrupt moderation: per EITR vector of the PF */
    IgbEitrTimer eitr[IGB_NUM_EITR];
    uint32_t eitr_armed;        /* bit per vector: interval running */
    uint32_t eitr_pending;      /* bit per vector: fire when it ends */
    bool intx_level;
    bool lli;                   /* the event being signalled skips EITR */

    /* IEEE 1588 clock: SYSTIM = systim_base + ticks since systim_ns */
    int64_t systim_ns;
    uint64_t systim_base;
    uint32_t systimh_latch;

    IgbTxQueue txq[IGB_NUM_QUEUES];
    IgbRing txr[IGB_NUM_QUEUES], rxr[IGB_NUM_QUEUES];  /* not migrated */
    uint8_t rx_buf[IGB_RX_BUF_SIZE];    /* scratch: the frame being received */
    uint8_t rx_out[IGB_RX_BUF_SIZE];    /* scratch: one queue's copy of it */
    struct NetRxPkt *rx_pkt;            /* scratch: header parsing for RSS */

    IgbVf vf[IGB_TOTAL_VFS];
    uint8_t num_vfs;            /* VFs enabled in the SR-IOV capability */
    uint32_t rttbcnrc[IGB_NUM_QUEUES];  /* per-queue rate limiters */

    PCIDevice *fn[IGB_MAX_FNS]; /* fn[0] is the PF; VFs when realized */
    NICState *nic;
    bool has_vnet;
    /*
     * host_offload: the backend may hand over frames with the TCP/UDP
     * checksum partial and TCP segmentation not done (virtio-net header).
     * rx_gso_*: how far such a frame got when the ring ran out of
     * descriptors (it is offered again; not migrated: neither is the
     * backend's queue).
     */
    bool host_offload;
    unsigned rx_gso_next;
    size_t rx_gso_len;
    uint32_t rx_gso_seq;
    /*
     * A frame from the backend is a burst the wire would have spread over
     * its segments' wire time: while that lasts (rx_burst_deadline, then
     * rx_burst_timer offers it again), a queue out of descriptors holds
     * the rest of it even with SRRCTL.DROP_EN.
     */
    bool rx_burst;
    int64_t rx_burst_deadline;
    QEMUTimer *rx_burst_timer;
    /* work asked of the main loop: TX queues to run, RX queue to flush */
    QEMUBH *tx_bh, *rx_bh;
    uint32_t tx_pending;        /* bit per queue whose TDT was written */
    VMChangeStateEntry *vm_change;
    uint32_t rar_av;            /* bit per RAR entry with RAH.AV (from mac) */
    /* what LOG_UNIMP has said once (not migrated: only a log) */
    uint32_t unimp_said;
    unsigned long unimp_regs[BITS_TO_LONGS(IGB_MMIO_SIZE / 4)];
    uint8_t permanent_mac[ETH_ALEN];
    uint16_t subsys_ven;
    uint16_t subsys;
};

void igb_ring_use(IgbRing *r, PCIDevice *dev, dma_addr_t base, hwaddr len);
void igb_ring_drop(IgbRing *r);
MemTxResult igb_ring_read(IgbRing *r, hwaddr off, void *buf, hwaddr n);
void igb_ring_write(IgbRing *r, hwaddr off, const void *buf, hwaddr n);

/*
 * The Internet checksum's partial sum of @len bytes (big-endian 16-bit
 * words, an odd last byte as the high half), for net_checksum_finish():
 * what net_checksum_add() computes, eight bytes at a time.
 */
uint32_t igb_csum(const uint8_t *p, size_t len);

/*
 * TCP and UDP segmentation as the 82576 does it (and as Linux's GSO does
 * it for a frame a backend hands over whole): every segment gets the
 * headers of the original frame with IP length, IP ID (+1 per segment),
 * TCP sequence number and checksums fixed; FIN and PSH stay only on the
 * last TCP segment, CWR only on the first.  UDP is cut into whole datagrams
 * of MSS payload bytes each, never into IP fragments.  @vh gives the GSO
 * type, MSS (gso_size), the L4 offset (csum_start) and the length of all
 * headers (hdr_len, TCP).  Segments from number @first on go to @out, one
 * at a time in a scratch buffer, until it returns false.  Returns the
 * number of the segment @out refused (that many were taken, counting from
 * 0), the number of segments if it took all, or -1 if the headers do not
 * fit the frame.
 */
typedef bool IgbSegmentFn(void *opaque, const struct iovec *iov);
int igb_segment(const uint8_t *frame, size_t len,
                const struct virtio_net_hdr *vh, unsigned first,
                IgbSegmentFn *out, void *opaque);

/*
 * Length of a frame's L2 header: 14 bytes, 18 with an 802.1Q tag, 22 with
 * an 802.1ad tag over an 802.1Q one.  As eth_get_l2_hdr_length(), for a
 * buffer of any alignment: frames are often read where the guest put
 * them, and a TX buffer may start at an odd address.
 */
static inline size_t igb_l2_len(const uint8_t *frame)
{
    switch (lduw_be_p(frame + 12)) {
    case ETH_P_VLAN:
        return 18;
    case ETH_P_DVLAN:
        return lduw_be_p(frame + 16) == ETH_P_VLAN ? 22 : 18;
    default:
        return 14;
    }
}

/* RAL of receive address entry @i (RAH follows it) */
static inline uint32_t igb_rar_offset(int i)
{
    return i < 16 ? IGB_RA + 8 * i : IGB_RA2 + 8 * (i - 16);
}

/* igb_core.c: life cycle and register access */
void igb_core_init(IgbCore *core, PCIDevice *pf, NICState *nic,
                   const uint8_t *macaddr);
void igb_core_uninit(IgbCore *core);
void igb_core_reset(IgbCore *core);

/*
 * Work the device starts by itself outside its bottom halves (moderation
 * timers, config writes) runs under the PF's re-entrancy guard too, so
 * that the interrupt message or anything else it writes cannot reach the
 * device's own registers: enter returns the guard's state for leave.
 */
bool igb_guard_enter(IgbCore *core);
void igb_guard_leave(IgbCore *core, bool was);
void igb_core_post_load(IgbCore *core);
uint64_t igb_core_read(IgbCore *core, hwaddr addr, unsigned size);
void igb_core_write(IgbCore *core, hwaddr addr, uint64_t val, unsigned size);
void igb_core_set_link_status(IgbCore *core);

/* igb_core.c: a VF's register window (vfn: 0..7) */
uint64_t igb_core_vf_read(IgbCore *core, int vfn, hwaddr addr);
void igb_core_vf_write(IgbCore *core, int vfn, hwaddr addr, uint64_t val);
void igb_core_vf_reset(IgbCore *core, int vfn);

/* igb_core.c: register access by canonical offset (for VF windows) */
uint32_t igb_core_reg_read(IgbCore *core, uint32_t off);
void igb_core_reg_write(IgbCore *core, uint32_t off, uint32_t val);

/* igb_core.c: interrupts (used by the data path) */
void igb_queue_event(IgbCore *core, int queue, bool tx);
void igb_raise_icr(IgbCore *core, uint32_t causes);
void igb_stat_inc(IgbCore *core, uint32_t reg, uint32_t n);
bool igb_ptp_stamp(IgbCore *core, bool tx);
void igb_stat_add64(IgbCore *core, uint32_t reg_lo, uint64_t n);

/* igb_sriov.c: pools, VFs, mailboxes */
int igb_queue_pool_vf(IgbCore *core, int queue);    /* VF number or -1 */
PCIDevice *igb_queue_owner(IgbCore *core, int queue);
bool igb_vmdq_enabled(IgbCore *core);
int igb_pf_pool(IgbCore *core);
void igb_vf_queue_event(IgbCore *core, int vfn, int queue, bool tx);
void igb_sriov_pf_reset(IgbCore *core);
void igb_sriov_pfrstd(IgbCore *core);
uint32_t igb_p2vmailbox_read(IgbCore *core, int vfn);
void igb_p2vmailbox_write(IgbCore *core, int vfn, uint32_t val);
void igb_core_set_num_vfs(IgbCore *core, int n);
void igb_core_vf_attach(IgbCore *core, int vfn, PCIDevice *dev);
void igb_core_vf_flr(IgbCore *core, int vfn);
void igb_sriov_init(IgbCore *core);
void igb_sriov_uninit(IgbCore *core);
extern const VMStateDescription vmstate_igb_vf;

/* igb_nvm.c */
void igb_nvm_eecd_write(IgbCore *core, uint32_t old, uint32_t eecd);
uint32_t igb_nvm_eecd_read(IgbCore *core, uint32_t eecd);
void igb_nvm_word_written(IgbCore *core, uint32_t word);
void igb_nvm_sync(IgbCore *core);
bool igb_nvm_open(IgbCore *core, const char *path, Error **errp);
void igb_nvm_close(IgbCore *core);

/* igb_tx.c */
void igb_tx_init(IgbCore *core);
void igb_tx_uninit(IgbCore *core);
void igb_tx_reset(IgbCore *core);
void igb_tx_queue_reset(IgbCore *core, int queue);
/* TXDCTL.ENABLE cleared: the frame the queue was in the middle of goes */
void igb_tx_queue_disabled(IgbCore *core, int queue);
/* run @queue's descriptors now (main loop or timer, with the BQL) */
void igb_tx_kick(IgbCore *core, int queue);
/* run them from a bottom half (register writes) */
void igb_tx_schedule(IgbCore *core, int queue);
void igb_tx_rate_changed(IgbCore *core, int queue);

/* igb_rx.c */
bool igb_rx_can_receive(IgbCore *core);
ssize_t igb_rx_receive_iov(IgbCore *core, const struct iovec *iov, int iovcnt);
/* where a frame comes from: the wire, MAC/PHY loopback, or a pool (>= 0) */
#define IGB_RX_SRC_WIRE     (-1)
#define IGB_RX_SRC_LOOPBACK (-2)
/* for the wire: bytes consumed or 0 to hold; otherwise queues reached */
ssize_t igb_rx_deliver(IgbCore *core, const struct iovec *iov, int iovcnt,
                       int src);
/* would a pool other than @src_pool take a frame to @dst (VLAN or -1) */
bool igb_rx_switch_takes(IgbCore *core, const uint8_t *dst, int vlan,
                         int src_pool);
void igb_rx_init(IgbCore *core);
void igb_rx_uninit(IgbCore *core);
/* descriptors were given: offer held frames again (from a bottom half) */
void igb_rx_kick(IgbCore *core);
void igb_rx_reset(IgbCore *core);

extern const VMStateDescription vmstate_igb_core;

#endif
