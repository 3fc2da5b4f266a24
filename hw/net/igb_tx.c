/*
 * Intel 82576 (igb) emulation: transmit.
 *
 * Each of the 16 TX queues is a descriptor ring that the guest fills and
 * announces by moving TDT.  A frame is one or more data descriptors ending
 * with EOP, in either format:
 *  - legacy: length, CSO/CSS checksum insertion, VLAN in "special";
 *  - advanced: context descriptors fill one of two context slots (VLAN,
 *    header lengths, L4 type, MSS), data descriptors name the slot and ask
 *    for IP/L4 checksums and TSO.
 * Offloads are done by net_tx_pkt: passed through to a backend that takes
 * virtio-net headers, done in software otherwise.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "net/eth.h"
#include "net/checksum.h"
#include "system/dma.h"
#include "net_tx_pkt.h"
#include "igb_core.h"
#include "trace.h"

#define R(off) ((off) >> 2)

/* What the send callback needs to know about the frame being sent */
typedef struct IgbTxSend {
    IgbCore *core;
    int queue;
    bool loopback;
    bool legacy_csum;
    uint8_t css;
    uint8_t cso;
} IgbTxSend;

typedef struct IgbTxDesc {
    uint64_t addr;
    uint32_t cmd;       /* legacy: len/cso/cmd; advanced: cmd_type_len */
    uint32_t sta;       /* legacy: sta/css/special; advanced: olinfo_status */
} IgbTxDesc;

static bool igb_tx_loopback(IgbCore *core)
{
    return (core->phy[IGB_PHY_CTRL] & IGB_PHY_CTRL_LOOPBACK) ||
           (core->mac[R(IGB_RCTL)] & IGB_RCTL_LBM_MASK) == IGB_RCTL_LBM_MAC;
}

static void igb_tx_count(IgbCore *core, const struct iovec *iov, int iovcnt,
                         size_t len, unsigned segs, size_t hdr_len)
{
    static const uint32_t ptc[] = {
        IGB_PTC64, IGB_PTC127, IGB_PTC255, IGB_PTC511, IGB_PTC1023,
        IGB_PTC1522
    };
    uint8_t dst[ETH_ALEN];
    size_t wire = len + ETH_FCS_LEN;    /* size of one frame on the wire */
    int bucket;

    if (segs > 1) {
        wire = (len - hdr_len) / segs + hdr_len + ETH_FCS_LEN;
    }
    bucket = wire < 65 ? 0 : wire < 128 ? 1 : wire < 256 ? 2 :
             wire < 512 ? 3 : wire < 1024 ? 4 : 5;
    igb_stat_inc(core, ptc[bucket], segs);
    igb_stat_inc(core, IGB_GPTC, segs);
    igb_stat_inc(core, IGB_TPT, segs);
    igb_stat_add64(core, IGB_GOTCL,
                   len + (segs - 1) * hdr_len + segs * ETH_FCS_LEN);
    igb_stat_add64(core, IGB_TOTL,
                   len + (segs - 1) * hdr_len + segs * ETH_FCS_LEN);
    if (iov_to_buf(iov, iovcnt, 0, dst, sizeof(dst)) == sizeof(dst)) {
        if (is_broadcast_ether_addr(dst)) {
            igb_stat_inc(core, IGB_BPTC, segs);
        } else if (is_multicast_ether_addr(dst)) {
            igb_stat_inc(core, IGB_MPTC, segs);
        }
    }
}

/* Called by net_tx_pkt for each frame it produces (or the GSO super-frame). */
/* net_tx_pkt passes the frame, then the same frame behind a vnet header */
static void igb_tx_emit(void *opaque, const struct iovec *iov, int iovcnt,
                        const struct iovec *virt_iov, int virt_iovcnt)
{
    IgbTxSend *s = opaque;
    IgbCore *core = s->core;
    NetClientState *nc = qemu_get_queue(core->nic);
    size_t len = iov_size(iov, iovcnt);
    unsigned segs = 1;
    size_t hdr_len = 0;
    g_autofree uint8_t *lin = NULL;
    struct iovec one;

    if (s->legacy_csum) {
        /* legacy CSO/CSS: a 16-bit sum from CSS to the end, put at CSO */
        lin = g_malloc(len);
        iov_to_buf(iov, iovcnt, 0, lin, len);
        if (s->css < len && s->cso + 2 <= len) {
            uint32_t sum = net_checksum_add(len - s->css, lin + s->css);
            stw_be_p(lin + s->cso, net_checksum_finish_nozero(sum));
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: CSS %u/CSO %u outside a %zu-byte"
                          " frame\n", s->queue, s->css, s->cso, len);
        }
        one.iov_base = lin;
        one.iov_len = len;
        iov = &one;
        iovcnt = 1;
    } else if (virt_iovcnt && core->has_vnet && !s->loopback) {
        struct virtio_net_hdr vh;

        iov_to_buf(virt_iov, 1, 0, &vh, sizeof(vh));
        if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE && vh.gso_size) {
            hdr_len = vh.hdr_len;
            segs = MAX(1, DIV_ROUND_UP(len - MIN(len, hdr_len), vh.gso_size));
        }
    }

    igb_tx_count(core, iov, iovcnt, len, segs, hdr_len);
    trace_igb_tx_frame(s->queue, len, segs, s->loopback);

    if (s->loopback) {
        igb_rx_deliver(core, iov, iovcnt, true);
    } else if (core->has_vnet && !s->legacy_csum) {
        qemu_sendv_packet(nc, virt_iov, virt_iovcnt);
    } else if (core->has_vnet) {
        /* legacy checksum was done here: send with an empty vnet header */
        struct virtio_net_hdr vh = { 0 };
        struct iovec v[2] = {
            { .iov_base = &vh, .iov_len = sizeof(vh) },
            { .iov_base = lin, .iov_len = len },
        };
        qemu_sendv_packet(nc, v, 2);
    } else {
        qemu_sendv_packet(nc, iov, iovcnt);
    }
}

static void igb_tx_frame_done(IgbCore *core, int q)
{
    IgbTxQueue *txq = &core->txq[q];

    net_tx_pkt_reset(txq->pkt, net_tx_pkt_unmap_frag_pci,
                     igb_queue_owner(core, q));
    txq->in_frame = false;
    txq->drop = false;
}

/* EOP seen: apply the offloads the frame asked for and send it. */
static void igb_tx_send_frame(IgbCore *core, int q)
{
    IgbTxQueue *txq = &core->txq[q];
    struct NetTxPkt *pkt = txq->pkt;
    IgbTxSend s = { .core = core, .queue = q };
    uint16_t vet = core->mac[R(IGB_VET)] & 0xFFFF;
    bool link = !qemu_get_queue(core->nic)->link_down;

    s.loopback = igb_tx_loopback(core);
    if (txq->drop || !net_tx_pkt_has_fragments(pkt)) {
        return;
    }
    if (!s.loopback && !link) {
        return;     /* no link: the frame is lost, as on the wire */
    }
    if (!net_tx_pkt_parse(pkt)) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: TX queue %d: unparsable frame\n",
                      q);
        return;
    }

    if (txq->legacy) {
        if (txq->first_cmd & IGB_TXD_CMD_IC) {
            s.legacy_csum = true;
            s.css = txq->legacy_css;
            s.cso = txq->legacy_cso;
        }
        if (txq->first_cmd & IGB_TXD_CMD_VLE) {
            net_tx_pkt_setup_vlan_header_ex(pkt, txq->legacy_vlan, vet);
        }
    } else {
        unsigned slot = (txq->first_olinfo >> IGB_ADVTXD_IDX_SHIFT) & 7;
        IgbTxContext *ctx;
        bool tse = txq->first_cmd & IGB_ADVTXD_DCMD_TSE;
        bool txsm = txq->first_olinfo & IGB_ADVTXD_POPTS_TXSM;
        bool ixsm = txq->first_olinfo & IGB_ADVTXD_POPTS_IXSM;
        uint32_t mss;

        if (slot >= IGB_TX_CTX_SLOTS) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: context index %u (82576 has 2)\n",
                          q, slot);
            slot &= 1;
        }
        ctx = &txq->ctx[slot];
        mss = ctx->mss_l4len_idx >> IGB_ADVTXD_MSS_SHIFT;
        if (tse && !mss) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: TSO with MSS 0, frame dropped\n",
                          q);
            return;
        }
        if (tse) {
            igb_stat_inc(core, IGB_TSCTC, 1);
        }
        if (tse || txsm) {
            if (!net_tx_pkt_build_vheader(pkt, tse, true, mss)) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "igb: TX queue %d: offload on a frame without"
                              " a usable L4 header, dropped\n", q);
                if (tse) {
                    igb_stat_inc(core, IGB_TSCTFC, 1);
                }
                return;
            }
        }
        if (ixsm) {
            net_tx_pkt_update_ip_hdr_checksum(pkt);
        }
        if (txsm && ((ctx->type_tucmd_mlhl >> IGB_ADVTXD_TUCMD_L4T_SHIFT) &
                     IGB_ADVTXD_TUCMD_L4T_MASK) == IGB_ADVTXD_L4T_SCTP) {
            net_tx_pkt_update_sctp_checksum(pkt);
        }
        if (txq->first_cmd & IGB_TXD_CMD_VLE) {
            net_tx_pkt_setup_vlan_header_ex(pkt, ctx->vlan_macip_lens >> 16,
                                            vet);
        }
    }

    if (!net_tx_pkt_send_custom(pkt, core->has_vnet && !s.loopback &&
                                !s.legacy_csum, igb_tx_emit, &s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: TX queue %d: frame not sent\n",
                      q);
    }
}

static void igb_tx_data(IgbCore *core, int q, uint64_t addr, uint32_t len,
                        bool eop)
{
    IgbTxQueue *txq = &core->txq[q];

    if (len && !txq->drop) {
        if (net_tx_pkt_get_total_len(txq->pkt) + len > 0x40000) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: frame over 256 KiB, dropped\n",
                          q);
            txq->drop = true;
        } else if (!net_tx_pkt_add_raw_fragment_pci(txq->pkt,
                                                    igb_queue_owner(core, q),
                                                    addr, len)) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: buffer 0x%" PRIx64 "+%u not"
                          " mappable or too many fragments, frame dropped\n",
                          q, addr, len);
            txq->drop = true;
        }
    }
    if (eop) {
        igb_tx_send_frame(core, q);
        igb_tx_frame_done(core, q);
    }
}

/* Handle one descriptor; true if it asks for status write-back (RS). */
static bool igb_tx_desc(IgbCore *core, int q, const IgbTxDesc *d)
{
    IgbTxQueue *txq = &core->txq[q];
    uint32_t cmd = d->cmd;

    if (!(cmd & IGB_TXD_CMD_DEXT)) {
        if (!txq->in_frame) {
            txq->in_frame = true;
            txq->legacy = true;
            txq->first_cmd = cmd;
            txq->legacy_cso = (cmd >> 16) & 0xFF;
            txq->legacy_css = (d->sta >> 8) & 0xFF;
            txq->legacy_vlan = d->sta >> 16;
        }
        igb_tx_data(core, q, d->addr, cmd & 0xFFFF, cmd & IGB_TXD_CMD_EOP);
        return cmd & IGB_TXD_CMD_RS;
    }

    switch ((cmd >> IGB_ADVTXD_DTYP_SHIFT) & IGB_ADVTXD_DTYP_MASK) {
    case IGB_ADVTXD_DTYP_CTXT: {
        IgbTxContext c = {
            .vlan_macip_lens = (uint32_t)d->addr,
            .seqnum_seed = d->addr >> 32,
            .type_tucmd_mlhl = cmd,
            .mss_l4len_idx = d->sta,
        };
        unsigned slot = (c.mss_l4len_idx >> IGB_ADVTXD_IDX_SHIFT) & 7;

        if (slot >= IGB_TX_CTX_SLOTS) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: context slot %u (82576 has 2)\n",
                          q, slot);
            slot &= 1;
        }
        txq->ctx[slot] = c;
        return cmd & IGB_TXD_CMD_RS;
    }
    case IGB_ADVTXD_DTYP_DATA:
        if (!txq->in_frame) {
            txq->in_frame = true;
            txq->legacy = false;
            txq->first_cmd = cmd;
            txq->first_olinfo = d->sta;
        }
        igb_tx_data(core, q, d->addr, cmd & IGB_ADVTXD_LEN_MASK,
                    cmd & IGB_TXD_CMD_EOP);
        return cmd & IGB_TXD_CMD_RS;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: TX queue %d: descriptor type %u unknown\n", q,
                      (cmd >> IGB_ADVTXD_DTYP_SHIFT) & IGB_ADVTXD_DTYP_MASK);
        return cmd & IGB_TXD_CMD_RS;
    }
}

void igb_tx_kick(IgbCore *core, int q)
{
    PCIDevice *dev = igb_queue_owner(core, q);
    uint64_t base = core->mac[R(IGB_TDBAL(q))] |
                    ((uint64_t)core->mac[R(IGB_TDBAH(q))] << 32);
    uint32_t len = core->mac[R(IGB_TDLEN(q))];
    uint32_t head = core->mac[R(IGB_TDH(q))];
    uint32_t tail = core->mac[R(IGB_TDT(q))];
    uint32_t n, budget;
    bool wrote_back = false;

    if (!(core->mac[R(IGB_TCTL)] & IGB_TCTL_EN) ||
        !(core->mac[R(IGB_TXDCTL(q))] & IGB_QDCTL_ENABLE) || head == tail) {
        return;
    }
    if (!len || len % 128) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: TX queue %d: TDLEN %u is not a non-zero multiple"
                      " of 128\n", q, len);
        return;
    }
    n = len / 16;
    if (head >= n || tail >= n) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: TX queue %d: TDH %u / TDT %u beyond the %u-entry"
                      " ring\n", q, head, tail, n);
        return;
    }

    /* at most one lap: descriptors added meanwhile wait for the next kick */
    for (budget = n; head != tail && budget; budget--) {
        uint8_t raw[16];
        IgbTxDesc d;
        dma_addr_t da = base + (uint64_t)head * 16;

        if (pci_dma_read(dev, da, raw, sizeof(raw)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: descriptor at 0x%" PRIx64
                          " unreadable\n", q, (uint64_t)da);
            break;
        }
        d.addr = ldq_le_p(raw);
        d.cmd = ldl_le_p(raw + 8);
        d.sta = ldl_le_p(raw + 12);
        trace_igb_tx_desc(q, head, d.addr, d.cmd, d.sta);

        if (igb_tx_desc(core, q, &d)) {
            uint32_t sta = cpu_to_le32(d.sta | IGB_TXD_STA_DD);
            pci_dma_write(dev, da + 12, &sta, sizeof(sta));
            wrote_back = true;
        }
        head = (head + 1) % n;
        core->mac[R(IGB_TDH(q))] = head;
        /* a frame may have reprogrammed or disabled the ring (loopback) */
        if (!(core->mac[R(IGB_TXDCTL(q))] & IGB_QDCTL_ENABLE) ||
            core->mac[R(IGB_TDLEN(q))] != len) {
            break;
        }
        tail = core->mac[R(IGB_TDT(q))];
        if (tail >= n) {
            break;
        }
    }

    if (core->mac[R(IGB_TDWBAL(q))] & IGB_TDWBAL_EN) {
        uint64_t wb = (core->mac[R(IGB_TDWBAL(q))] & ~3u) |
                      ((uint64_t)core->mac[R(IGB_TDWBAH(q))] << 32);
        uint32_t h = cpu_to_le32(head);
        pci_dma_write(dev, wb, &h, sizeof(h));
    }
    if (wrote_back) {
        igb_queue_event(core, q, true);
    }
}

void igb_tx_init(IgbCore *core)
{
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        net_tx_pkt_init(&core->txq[q].pkt, IGB_TX_MAX_FRAGS);
    }
}

void igb_tx_uninit(IgbCore *core)
{
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        igb_tx_frame_done(core, q);
        net_tx_pkt_uninit(core->txq[q].pkt);
        core->txq[q].pkt = NULL;
    }
}

void igb_tx_reset(IgbCore *core)
{
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        if (core->txq[q].pkt) {
            igb_tx_frame_done(core, q);
        }
        memset(core->txq[q].ctx, 0, sizeof(core->txq[q].ctx));
    }
}
