/*
 * Intel 82576 (igb) emulation: receive.
 *
 * A frame from the wire (or from our own transmit path in loopback) is
 * filtered (unicast address table, multicast hash, broadcast, VLAN filter,
 * promiscuous modes), given to a queue, and written into the buffers the
 * guest posted on that queue's descriptor ring, one or more descriptors per
 * frame, in the legacy or the advanced one-buffer format.
 *
 * With no free descriptors the 82576 either drops the frame (SRRCTL.DROP_EN,
 * counted in RQDPC), holds it while flow control pauses the link partner
 * (CTRL.TFCE: here the backend is asked to keep the frame), or loses it to a
 * full packet buffer (MPC).  RNBC counts each of these events.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "net/eth.h"
#include "system/dma.h"
#include "igb_core.h"
#include "trace.h"

#define R(off) ((off) >> 2)

#define IGB_MIN_FRAME   60          /* without FCS */
#define IGB_STD_FRAME   1518        /* with FCS */

typedef enum {
    IGB_RX_DONE,
    IGB_RX_DROPPED,
    IGB_RX_HOLD,
} IgbRxResult;

static bool igb_rx_vlan_tagged(IgbCore *core, const uint8_t *buf, size_t len)
{
    return len >= 18 &&
           lduw_be_p(buf + 12) == (core->mac[R(IGB_VET)] & 0xFFFF);
}

static bool igb_rx_mta_match(IgbCore *core, const uint8_t *da)
{
    static const int shift[4] = { 4, 3, 2, 0 };
    unsigned mo = (core->mac[R(IGB_RCTL)] >> IGB_RCTL_MO_SHIFT) & 3;
    uint32_t hash = ((da[4] >> shift[mo]) | (da[5] << (8 - shift[mo]))) &
                    0xFFF;

    return core->mac[R(IGB_MTA) + (hash >> 5)] & BIT(hash & 31);
}

static bool igb_rx_rar_match(IgbCore *core, const uint8_t *da)
{
    uint32_t lo = ldl_le_p(da);
    uint32_t hi = lduw_le_p(da + 4);

    for (int i = 0; i < IGB_NUM_RAR; i++) {
        uint32_t off = i < 16 ? IGB_RA + 8 * i : IGB_RA2 + 8 * (i - 16);
        uint32_t rah = core->mac[R(off) + 1];

        if ((rah & IGB_RAH_AV) && !(rah & IGB_RAH_ASEL_MASK) &&
            core->mac[R(off)] == lo && (rah & 0xFFFF) == hi) {
            return true;
        }
    }
    return false;
}

static bool igb_rx_accept(IgbCore *core, const uint8_t *buf, size_t len)
{
    uint32_t rctl = core->mac[R(IGB_RCTL)];

    if ((rctl & IGB_RCTL_VFE) && igb_rx_vlan_tagged(core, buf, len)) {
        uint16_t vid = lduw_be_p(buf + 14) & 0xFFF;
        if (!(core->mac[R(IGB_VFTA) + (vid >> 5)] & BIT(vid & 31))) {
            return false;
        }
    }
    if (is_broadcast_ether_addr(buf)) {
        return rctl & (IGB_RCTL_BAM | IGB_RCTL_MPE);
    }
    if (is_multicast_ether_addr(buf)) {
        return (rctl & IGB_RCTL_MPE) || igb_rx_mta_match(core, buf);
    }
    return (rctl & IGB_RCTL_UPE) || igb_rx_rar_match(core, buf);
}

static uint32_t igb_rx_buf_size(IgbCore *core, int q)
{
    uint32_t kb = core->mac[R(IGB_SRRCTL(q))] & IGB_SRRCTL_BSIZEPKT_MASK;
    uint32_t rctl = core->mac[R(IGB_RCTL)];

    if (kb) {
        return kb * 1024;
    }
    /* SRRCTL.BSIZEPACKET 0: the 8254x-style RCTL buffer size applies */
    switch ((rctl >> IGB_RCTL_BSIZE_SHIFT) & 3) {
    case 0:
        return (rctl & IGB_RCTL_BSEX) ? 16384 : 2048;
    case 1:
        return (rctl & IGB_RCTL_BSEX) ? 8192 : 1024;
    case 2:
        return (rctl & IGB_RCTL_BSEX) ? 4096 : 512;
    default:
        return (rctl & IGB_RCTL_BSEX) ? 2048 : 256;
    }
}

static void igb_rx_count(IgbCore *core, const uint8_t *buf, size_t wire)
{
    static const uint32_t prc[] = {
        IGB_PRC64, IGB_PRC127, IGB_PRC255, IGB_PRC511, IGB_PRC1023,
        IGB_PRC1522
    };
    int bucket = wire < 65 ? 0 : wire < 128 ? 1 : wire < 256 ? 2 :
                 wire < 512 ? 3 : wire < 1024 ? 4 : 5;

    igb_stat_inc(core, prc[bucket], 1);
    igb_stat_inc(core, IGB_GPRC, 1);
    igb_stat_inc(core, IGB_TPR, 1);
    igb_stat_add64(core, IGB_GORCL, wire);
    igb_stat_add64(core, IGB_TORL, wire);
    if (is_broadcast_ether_addr(buf)) {
        igb_stat_inc(core, IGB_BPRC, 1);
    } else if (is_multicast_ether_addr(buf)) {
        igb_stat_inc(core, IGB_MPRC, 1);
    }
}

/* Write one frame (already with its FCS if kept) to queue @q's ring. */
static IgbRxResult igb_rx_to_queue(IgbCore *core, int q, const uint8_t *buf,
                                   size_t len, bool vp, uint16_t vlan,
                                   bool can_hold)
{
    PCIDevice *dev = igb_queue_owner(core, q);
    uint64_t base = core->mac[R(IGB_RDBAL(q))] |
                    ((uint64_t)core->mac[R(IGB_RDBAH(q))] << 32);
    uint32_t rdlen = core->mac[R(IGB_RDLEN(q))];
    uint32_t head = core->mac[R(IGB_RDH(q))];
    uint32_t tail = core->mac[R(IGB_RDT(q))];
    uint32_t srrctl = core->mac[R(IGB_SRRCTL(q))];
    bool adv = ((srrctl >> IGB_SRRCTL_DESCTYPE_SHIFT) &
                IGB_SRRCTL_DESCTYPE_MASK) != IGB_SRRCTL_DESC_LEGACY;
    uint32_t bsize = igb_rx_buf_size(core, q);
    uint32_t n, avail, need, rdmts, free_after;
    size_t done = 0;

    if (!(core->mac[R(IGB_RXDCTL(q))] & IGB_QDCTL_ENABLE)) {
        return IGB_RX_DROPPED;
    }
    if (!rdlen || rdlen % 128) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: RX queue %d: RDLEN %u is not a non-zero multiple"
                      " of 128\n", q, rdlen);
        return IGB_RX_DROPPED;
    }
    n = rdlen / 16;
    if (head >= n || tail >= n) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: RX queue %d: RDH %u / RDT %u beyond the %u-entry"
                      " ring\n", q, head, tail, n);
        return IGB_RX_DROPPED;
    }
    if (adv && ((srrctl >> IGB_SRRCTL_DESCTYPE_SHIFT) &
                IGB_SRRCTL_DESCTYPE_MASK) != IGB_SRRCTL_DESC_ADV_ONEBUF) {
        qemu_log_mask(LOG_UNIMP, "igb: RX queue %d: header split descriptors"
                      " are written as one-buffer descriptors\n", q);
    }

    avail = (tail + n - head) % n;
    need = DIV_ROUND_UP(len, bsize);
    if (avail < need) {
        igb_stat_inc(core, IGB_RNBC, 1);
        trace_igb_rx_no_desc(q, head, tail, need);
        if (srrctl & IGB_SRRCTL_DROP_EN) {
            igb_stat_inc(core, IGB_RQDPC(q), 1);
            return IGB_RX_DROPPED;
        }
        if (can_hold && (core->mac[R(IGB_CTRL)] & IGB_CTRL_TFCE)) {
            return IGB_RX_HOLD;
        }
        igb_stat_inc(core, IGB_MPC, 1);
        igb_raise_icr(core, IGB_ICR_RXO);
        return IGB_RX_DROPPED;
    }

    while (done < len) {
        dma_addr_t da = base + (uint64_t)head * 16;
        uint8_t desc[16];
        uint64_t addr;
        uint32_t chunk = MIN(bsize, len - done);
        bool eop = done + chunk == len;

        if (pci_dma_read(dev, da, desc, sizeof(desc)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "igb: RX queue %d: descriptor at"
                          " 0x%" PRIx64 " unreadable\n", q, (uint64_t)da);
        }
        addr = ldq_le_p(desc);
        if (addr) {
            if (pci_dma_write(dev, addr, buf + done, chunk) != MEMTX_OK) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "igb: RX queue %d: buffer 0x%" PRIx64 " not"
                              " writable\n", q, addr);
            }
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: RX queue %d: descriptor %u has a NULL buffer\n",
                          q, head);
        }

        memset(desc, 0, sizeof(desc));
        if (adv) {
            uint32_t staterr = IGB_RXD_STAT_DD |
                               (eop ? IGB_RXD_STAT_EOP : 0) |
                               (vp && eop ? IGB_RXD_STAT_VP : 0);
            stl_le_p(desc + 8, staterr);
            stw_le_p(desc + 12, chunk);
            stw_le_p(desc + 14, eop ? vlan : 0);
        } else {
            stw_le_p(desc + 8, chunk);
            desc[12] = IGB_RXD_STAT_DD | (eop ? IGB_RXD_STAT_EOP : 0) |
                       (vp && eop ? IGB_RXD_STAT_VP : 0);
            stw_le_p(desc + 14, eop ? vlan : 0);
        }
        /* write-back without the buffer address words, as the hardware */
        pci_dma_write(dev, da + 8, desc + 8, 8);
        if (adv) {
            pci_dma_write(dev, da, desc, 8);
        }
        trace_igb_rx_desc(q, head, chunk, eop);
        done += chunk;
        head = (head + 1) % n;
    }
    core->mac[R(IGB_RDH(q))] = head;

    igb_queue_event(core, q, false);
    /* RXDMT0: free descriptors fell under RCTL.RDMTS of the ring */
    rdmts = (core->mac[R(IGB_RCTL)] >> IGB_RCTL_RDMTS_SHIFT) & 3;
    free_after = (tail + n - head) % n;
    if (rdmts < 3 && free_after < (n >> (rdmts + 1))) {
        igb_raise_icr(core, IGB_ICR_RXDMT0);
    }
    return IGB_RX_DONE;
}

ssize_t igb_rx_deliver(IgbCore *core, const struct iovec *iov, int iovcnt,
                       bool loopback)
{
    size_t total = iov_size(iov, iovcnt);
    uint8_t *buf = core->rx_buf;
    uint32_t rctl = core->mac[R(IGB_RCTL)];
    size_t len, limit;
    bool vp = false, tagged;
    uint16_t vlan = 0;
    IgbRxResult r;

    if (!(rctl & IGB_RCTL_EN)) {
        return total;
    }
    if (total + ETH_FCS_LEN > sizeof(core->rx_buf)) {
        igb_stat_inc(core, IGB_ROC, 1);
        return total;
    }
    len = iov_to_buf(iov, iovcnt, 0, buf, total);
    if (len < ETH_HLEN) {
        igb_stat_inc(core, IGB_RUC, 1);
        return total;
    }
    if (len < IGB_MIN_FRAME) {
        /* what arrives on the wire is padded to the minimum frame size */
        memset(buf + len, 0, IGB_MIN_FRAME - len);
        len = IGB_MIN_FRAME;
    }
    if (!igb_rx_accept(core, buf, len)) {
        trace_igb_rx_filtered(len);
        return total;
    }

    tagged = igb_rx_vlan_tagged(core, buf, len);
    limit = (rctl & IGB_RCTL_LPE) ?
            (core->mac[R(IGB_RLPML)] ? core->mac[R(IGB_RLPML)] : 16383) :
            IGB_STD_FRAME + (tagged ? 4 : 0);
    if (len + ETH_FCS_LEN > limit) {
        igb_stat_inc(core, IGB_ROC, 1);
        return total;
    }

    igb_rx_count(core, buf, len + ETH_FCS_LEN);

    if (tagged && (core->mac[R(IGB_CTRL)] & IGB_CTRL_VME)) {
        vp = true;
        vlan = lduw_be_p(buf + 14);
        memmove(buf + 12, buf + 16, len - 16);
        len -= 4;
    }
    if (!(rctl & IGB_RCTL_SECRC)) {
        stl_le_p(buf + len, ~net_crc32_le(buf, len));
        len += ETH_FCS_LEN;
    }

    r = igb_rx_to_queue(core, 0, buf, len, vp, vlan, !loopback);
    trace_igb_rx_frame(0, len, r);
    return r == IGB_RX_HOLD ? 0 : total;
}

ssize_t igb_rx_receive_iov(IgbCore *core, const struct iovec *iov, int iovcnt)
{
    size_t vnet = core->has_vnet ? sizeof(struct virtio_net_hdr) : 0;
    struct iovec frame[IGB_RX_MAX_IOV];
    size_t total = iov_size(iov, iovcnt);
    int cnt;

    if ((core->phy[IGB_PHY_CTRL] & IGB_PHY_CTRL_LOOPBACK) ||
        (core->mac[R(IGB_RCTL)] & IGB_RCTL_LBM_MASK)) {
        return total;   /* in loopback the receiver hears only ourselves */
    }
    if (total < vnet) {
        return total;
    }
    cnt = iov_copy(frame, ARRAY_SIZE(frame), iov, iovcnt, vnet, total - vnet);
    if (igb_rx_deliver(core, frame, cnt, false) == 0) {
        return 0;
    }
    return total;
}

bool igb_rx_can_receive(IgbCore *core)
{
    return true;
}

void igb_rx_kick(IgbCore *core)
{
    qemu_flush_queued_packets(qemu_get_queue(core->nic));
}
