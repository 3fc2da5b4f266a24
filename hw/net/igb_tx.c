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
#include "qemu/rcu.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
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
    int pool;           /* VMDq: the sending pool, else -1 */
    bool loopback;
    bool legacy_csum;
    bool segment;       /* TSO done here rather than by the backend */
    bool wire_only;     /* a pool's frame no other pool takes */
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
    size_t octets = len + (segs - 1) * hdr_len + segs * ETH_FCS_LEN;
    int bucket;

    if (segs > 1) {
        wire = (len - hdr_len) / segs + hdr_len + ETH_FCS_LEN;
    }
    bucket = wire < 65 ? 0 : wire < 128 ? 1 : wire < 256 ? 2 :
             wire < 512 ? 3 : wire < 1024 ? 4 : 5;
    igb_stat_inc(core, ptc[bucket], segs);
    igb_stat_inc(core, IGB_GPTC, segs);
    igb_stat_inc(core, IGB_TPT, segs);
    igb_stat_add64(core, IGB_GOTCL, octets);
    igb_stat_add64(core, IGB_TOTL, octets);
    if (iov_to_buf(iov, iovcnt, 0, dst, sizeof(dst)) == sizeof(dst)) {
        if (is_broadcast_ether_addr(dst)) {
            igb_stat_inc(core, IGB_BPTC, segs);
        } else if (is_multicast_ether_addr(dst)) {
            igb_stat_inc(core, IGB_MPTC, segs);
        }
    }
}

/*
 * Anti-spoofing (DTXSWC): a pool may send only from a MAC address that a
 * RAR entry gives to it, and only with VLAN tags a VLVF entry gives to it.
 * Spoofed frames are dropped and flagged in WVBR (MAC: bit pool, VLAN:
 * bit 8 + pool).
 */
static bool igb_tx_vlan_spoofed(IgbCore *core, int pool, const uint8_t *l2)
{
    uint16_t vid;

    if (!(core->mac[R(IGB_DTXSWC)] &
          BIT(IGB_DTXSWC_VLAN_SPOOF_SHIFT + pool)) ||
        lduw_be_p(l2 + 12) != (core->mac[R(IGB_VET)] & 0xFFFF)) {
        return false;   /* untagged frames are not VLAN-checked */
    }
    vid = lduw_be_p(l2 + 14) & IGB_VLVF_VID_MASK;
    for (int i = 0; i < IGB_NUM_VLVF; i++) {
        uint32_t vlvf = core->mac[R(IGB_VLVF(i))];

        if ((vlvf & IGB_VLVF_EN) && (vlvf & IGB_VLVF_VID_MASK) == vid &&
            (vlvf & BIT(IGB_VLVF_POOL_SHIFT + pool))) {
            return false;
        }
    }
    core->mac[R(IGB_WVBR)] |= BIT(IGB_DTXSWC_VLAN_SPOOF_SHIFT + pool);
    trace_igb_tx_spoofed(pool, "VLAN");
    /* reported to the PF as "DMA out of sync", as the 82576 does */
    igb_raise_icr(core, IGB_ICR_DOUTSYNC);
    return true;
}

static bool igb_tx_spoofed(IgbCore *core, int pool, const uint8_t *l2)
{
    uint32_t lo, hi;

    if (igb_tx_vlan_spoofed(core, pool, l2)) {
        return true;
    }
    if (!(core->mac[R(IGB_DTXSWC)] & BIT(pool))) {
        return false;
    }
    lo = ldl_le_p(l2 + ETH_ALEN);
    hi = lduw_le_p(l2 + ETH_ALEN + 4);
    for (int i = 0; i < IGB_NUM_RAR; i++) {
        uint32_t off = i < 16 ? IGB_RA + 8 * i : IGB_RA2 + 8 * (i - 16);
        uint32_t rah = core->mac[R(off) + 1];

        if ((rah & IGB_RAH_AV) && (rah & BIT(IGB_RAH_POOL_SHIFT + pool)) &&
            core->mac[R(off)] == lo && (rah & 0xFFFF) == hi) {
            return false;
        }
    }
    core->mac[R(IGB_WVBR)] |= BIT(pool);
    trace_igb_tx_spoofed(pool, "source MAC");
    /* reported to the PF as "DMA out of sync", as the 82576 does */
    igb_raise_icr(core, IGB_ICR_DOUTSYNC);
    return true;
}

/* @n frames of @wire bytes in all from @pool; @switched: kept inside */
static void igb_tx_pool_count_n(IgbCore *core, int pool, unsigned n,
                                size_t wire, bool switched)
{
    uint32_t *base = &core->mac[R(IGB_PVF(pool, 0))];

    base[R(IGB_PVFGPTC)] += n;
    base[R(IGB_PVFGOTC)] += wire;
    if (switched) {
        base[R(IGB_PVFGPTLBC)] += n;
        base[R(IGB_PVFGOTLBC)] += wire;
    }
}

static void igb_tx_pool_count(IgbCore *core, int pool, size_t wire,
                              bool switched)
{
    igb_tx_pool_count_n(core, pool, 1, wire, switched);
}
/*
 * One finished frame (every offload done): to loopback, to other pools
 * through the VMDq switch, and/or to the wire.  A unicast frame another
 * pool takes stays inside; broadcast and multicast go out as well.
 */
static void igb_tx_out(IgbTxSend *s, const struct iovec *iov, int iovcnt)
{
    IgbCore *core = s->core;
    NetClientState *nc = qemu_get_queue(core->nic);
    size_t len = iov_size(iov, iovcnt);
    bool switched = false;
    uint8_t l2[2 * ETH_ALEN + 4] = { 0 };
    uint8_t *dst = l2;
    uint8_t pad[IGB_TX_MIN_FRAME];
    struct iovec padded;

    /* TCTL.PSP: a short frame leaves padded with zeroes to 64 bytes */
    if (len < IGB_TX_MIN_FRAME &&
        (core->mac[R(IGB_TCTL)] & IGB_TCTL_PSP)) {
        memset(pad, 0, sizeof(pad));
        iov_to_buf(iov, iovcnt, 0, pad, len);
        padded.iov_base = pad;
        padded.iov_len = len = IGB_TX_MIN_FRAME;
        iov = &padded;
        iovcnt = 1;
    }
    iov_to_buf(iov, iovcnt, 0, l2, sizeof(l2));
    if (s->pool >= 0 && igb_tx_spoofed(core, s->pool, l2)) {
        return;
    }
    igb_tx_count(core, iov, iovcnt, len, 1, 0);
    trace_igb_tx_frame(s->queue, len, 1, s->loopback);
    if (s->loopback) {
        igb_rx_deliver(core, iov, iovcnt, IGB_RX_SRC_LOOPBACK);
        return;
    }
    if (s->pool >= 0 &&
        (core->mac[R(IGB_DTXSWC)] & IGB_DTXSWC_LOOPBACK_EN)) {
        switched = igb_rx_deliver(core, iov, iovcnt, s->pool) > 0;
        igb_tx_pool_count(core, s->pool, len + ETH_FCS_LEN, switched);
        trace_igb_tx_switch(s->pool, switched);
        if (switched && !is_multicast_ether_addr(dst)) {
            return;
        }
    } else if (s->pool >= 0) {
        igb_tx_pool_count(core, s->pool, len + ETH_FCS_LEN, false);
    }
    if (qemu_get_queue(core->nic)->link_down) {
        return;
    }
    if (core->has_vnet) {
        /* the backend expects a header: an empty one, nothing to offload */
        struct virtio_net_hdr vh = { 0 };
        struct iovec v[IGB_TX_MAX_FRAGS + 8];
        int n;

        v[0].iov_base = &vh;
        v[0].iov_len = sizeof(vh);
        n = iov_copy(v + 1, ARRAY_SIZE(v) - 1, iov, iovcnt, 0, len);
        qemu_sendv_packet(nc, v, n + 1);
    } else {
        qemu_sendv_packet(nc, iov, iovcnt);
    }
}

static bool igb_tx_segment_out(void *opaque, const struct iovec *iov)
{
    igb_tx_out(opaque, iov, 1);
    return true;
}

/*
 * Called by net_tx_pkt with the frame and the same frame behind a virtio-net
 * header (which tells what offloads are still to be done).
 */
static void igb_tx_emit(void *opaque, const struct iovec *iov, int iovcnt,
                        const struct iovec *virt_iov, int virt_iovcnt)
{
    IgbTxSend *s = opaque;
    IgbCore *core = s->core;
    size_t len = iov_size(iov, iovcnt);
    struct virtio_net_hdr vh = { 0 };
    g_autofree uint8_t *lin = NULL;

    if (virt_iovcnt) {
        iov_to_buf(virt_iov, virt_iovcnt, 0, &vh, sizeof(vh));
    }
    if (s->legacy_csum || s->segment) {
        lin = g_malloc(len);
        iov_to_buf(iov, iovcnt, 0, lin, len);
    }

    if (s->segment) {
        if (igb_segment(lin, len, &vh, 0, igb_tx_segment_out, s) < 0) {
            qemu_log_mask(LOG_GUEST_ERROR, "igb: TX queue %d: TSO headers do"
                          " not fit the frame, dropped\n", s->queue);
            igb_stat_inc(core, IGB_TSCTFC, 1);
        }
    } else if (s->legacy_csum) {
        /* legacy CSO/CSS: a 16-bit sum from CSS to the end, put at CSO */
        struct iovec one = { .iov_base = lin, .iov_len = len };

        if (s->css < len && s->cso + 2 <= len) {
            uint32_t sum = igb_csum(lin + s->css, len - s->css);
            stw_be_p(lin + s->cso, net_checksum_finish_nozero(sum));
        } else {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: CSS %u/CSO %u outside a %zu-byte"
                          " frame\n", s->queue, s->css, s->cso, len);
        }
        igb_tx_out(s, &one, 1);
    } else if (core->has_vnet && !s->loopback &&
               (s->pool < 0 || s->wire_only)) {
        /* the backend does what the header asks (TSO, checksums) */
        unsigned segs = 1;

        if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE && vh.gso_size) {
            segs = MAX(1, DIV_ROUND_UP(len - MIN(len, vh.hdr_len),
                                       vh.gso_size));
        }
        if (s->pool >= 0) {
            uint8_t l2[2 * ETH_ALEN + 4] = { 0 };

            iov_to_buf(iov, iovcnt, 0, l2, sizeof(l2));
            if (igb_tx_spoofed(core, s->pool, l2)) {
                return;
            }
            igb_tx_pool_count_n(core, s->pool, segs,
                                len + segs * ETH_FCS_LEN +
                                (segs - 1) * vh.hdr_len, false);
            if (qemu_get_queue(core->nic)->link_down) {
                return;
            }
        }
        igb_tx_count(core, iov, iovcnt, len, segs, vh.hdr_len);
        trace_igb_tx_frame(s->queue, len, segs, false);
        if (len < IGB_TX_MIN_FRAME &&
            (core->mac[R(IGB_TCTL)] & IGB_TCTL_PSP) &&
            virt_iovcnt < IGB_TX_MAX_FRAGS + 8) {
            /* padded as on the wire (zeroes do not change a checksum) */
            static const uint8_t zeroes[IGB_TX_MIN_FRAME];
            struct iovec v[IGB_TX_MAX_FRAGS + 9];

            memcpy(v, virt_iov, virt_iovcnt * sizeof(*v));
            v[virt_iovcnt].iov_base = (void *)zeroes;
            v[virt_iovcnt].iov_len = IGB_TX_MIN_FRAME - len;
            qemu_sendv_packet(qemu_get_queue(core->nic), v, virt_iovcnt + 1);
            return;
        }
        qemu_sendv_packet(qemu_get_queue(core->nic), virt_iov, virt_iovcnt);
    } else {
        igb_tx_out(s, iov, iovcnt);
    }
}

static void igb_tx_no_free(void *opaque, void *base, size_t len)
{
    /* the buffers are ours to unmap */
}

/*
 * The frame's buffers go back through the function they were mapped
 * through: a buffer outside RAM is a bounce buffer that the function's
 * address space counts until it is unmapped (and QEMU aborts if the
 * address space is destroyed before).  When a queue changes hands (VFs
 * enabled or disabled), the VF's reset has dropped the frame already.
 */
static void igb_tx_unmap(IgbTxQueue *txq)
{
    if (txq->pkt_used) {
        net_tx_pkt_reset(txq->pkt, igb_tx_no_free, NULL);
        txq->pkt_used = false;
    }
    for (int i = 0; i < txq->nfrags; i++) {
        pci_dma_unmap(txq->map_dev, txq->frags[i].iov_base,
                      txq->frags[i].iov_len, DMA_DIRECTION_TO_DEVICE, 0);
    }
    txq->nfrags = 0;
    txq->total = 0;
    txq->map_dev = NULL;
}

static void igb_tx_frame_done(IgbCore *core, int q)
{
    IgbTxQueue *txq = &core->txq[q];

    igb_tx_unmap(txq);
    txq->in_frame = false;
    txq->drop = false;
}

/*
 * Would the VMDq switch (DTXSWC loopback) keep this pool's frame inside,
 * wholly or as a copy: broadcast and multicast, or a unicast address
 * another pool takes.  @vlan: the tag the NIC inserts, or -1.
 */
static bool igb_tx_switched(IgbCore *core, IgbTxSend *s, IgbTxQueue *txq,
                            int vlan)
{
    uint8_t l2[2 * ETH_ALEN + 4] = { 0 };
    uint16_t vet = core->mac[R(IGB_VET)] & 0xFFFF;

    if (!(core->mac[R(IGB_DTXSWC)] & IGB_DTXSWC_LOOPBACK_EN)) {
        return false;
    }
    iov_to_buf(txq->frags, txq->nfrags, 0, l2, sizeof(l2));
    if (is_multicast_ether_addr(l2)) {
        return true;
    }
    if (vlan < 0 && lduw_be_p(l2 + 12) == vet) {
        vlan = lduw_be_p(l2 + 14);
    }
    return igb_rx_switch_takes(core, l2, vlan, s->pool);
}

/* EOP seen: apply the offloads the frame asked for and send it. */
static void igb_tx_send_frame(IgbCore *core, int q)
{
    IgbTxQueue *txq = &core->txq[q];
    struct NetTxPkt *pkt = txq->pkt;
    IgbTxSend s = { .core = core, .queue = q };
    uint16_t vet = core->mac[R(IGB_VET)] & 0xFFFF;
    bool link = !qemu_get_queue(core->nic)->link_down;
    IgbTxContext *ctx = NULL;
    uint32_t vmvir;
    int vlan = -1;

    s.loopback = igb_tx_loopback(core);
    s.pool = igb_vmdq_enabled(core) ? q % IGB_NUM_POOLS : -1;
    if (txq->drop || !txq->nfrags) {
        return;
    }
    if (!s.loopback && !link && s.pool < 0) {
        return;     /* no link: the frame is lost, as on the wire */
    }

    /*
     * The tag the NIC inserts: the descriptor's (VLE), or the pool's as
     * VMVIR says (always its default VLAN, or never any).  It goes in
     * before the offloads are set up, whose offsets must count it; the
     * legacy CSS/CSO, given for the frame in memory, move by its 4 bytes.
     */
    if (txq->legacy) {
        if (txq->first_cmd & IGB_TXD_CMD_VLE) {
            vlan = txq->legacy_vlan;
        }
    } else {
        unsigned slot = (txq->first_olinfo >> IGB_ADVTXD_IDX_SHIFT) & 7;

        if (slot >= IGB_TX_CTX_SLOTS) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: context index %u (82576 has 2)\n",
                          q, slot);
            slot &= 1;
        }
        ctx = &txq->ctx[slot];
        if (txq->first_cmd & IGB_TXD_CMD_VLE) {
            vlan = ctx->vlan_macip_lens >> 16;
        }
    }
    vmvir = s.pool >= 0 ? core->mac[R(IGB_VMVIR(s.pool))] : 0;
    if (vmvir & IGB_VMVIR_NEVER) {
        vlan = -1;
    } else if (vmvir & IGB_VMVIR_DEFAULT) {
        vlan = vmvir & IGB_VMVIR_VID_MASK;
    }

    /* nothing for the NIC to change: the buffers go out as they are */
    if (vlan < 0 &&
        (txq->legacy ? !(txq->first_cmd & IGB_TXD_CMD_IC)
                     : !(txq->first_cmd & IGB_ADVTXD_DCMD_TSE) &&
                       !(txq->first_olinfo & (IGB_ADVTXD_POPTS_TXSM |
                                              IGB_ADVTXD_POPTS_IXSM)))) {
        if (!txq->legacy && (txq->first_cmd & IGB_ADVTXD_MAC_TSTAMP)) {
            igb_ptp_stamp(core, true);
        }
        igb_tx_out(&s, txq->frags, txq->nfrags);
        return;
    }

    txq->pkt_used = true;
    for (int i = 0; i < txq->nfrags; i++) {
        net_tx_pkt_add_raw_fragment(pkt, txq->frags[i].iov_base,
                                    txq->frags[i].iov_len);
    }
    if (!net_tx_pkt_parse(pkt)) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: TX queue %d: unparsable frame\n",
                      q);
        return;
    }
    if (vlan >= 0) {
        net_tx_pkt_setup_vlan_header_ex(pkt, vlan, vet);
    }

    if (txq->legacy) {
        if (txq->first_cmd & IGB_TXD_CMD_IC) {
            s.legacy_csum = true;
            s.css = txq->legacy_css + (vlan >= 0 ? 4 : 0);
            s.cso = txq->legacy_cso + (vlan >= 0 ? 4 : 0);
        }
    } else {
        bool tse = txq->first_cmd & IGB_ADVTXD_DCMD_TSE;
        bool txsm = txq->first_olinfo & IGB_ADVTXD_POPTS_TXSM;
        bool ixsm = txq->first_olinfo & IGB_ADVTXD_POPTS_IXSM;
        uint32_t mss = ctx->mss_l4len_idx >> IGB_ADVTXD_MSS_SHIFT;

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
        if (ixsm && !tse) {
            /* (TSO: each segment's, or the backend's, is made later) */
            net_tx_pkt_update_ip_hdr_checksum(pkt);
        }
        if (txsm && ((ctx->type_tucmd_mlhl >> IGB_ADVTXD_TUCMD_L4T_SHIFT) &
                     IGB_ADVTXD_TUCMD_L4T_MASK) == IGB_ADVTXD_L4T_SCTP) {
            net_tx_pkt_update_sctp_checksum(pkt);
        }
    }

    /*
     * TSO is handed to a backend that takes virtio-net headers, except UDP
     * (the backend would make IP fragments of it); otherwise it is done
     * here.  Checksums alone are left to net_tx_pkt or the backend.
     */
    if (net_tx_pkt_get_vhdr(pkt)->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        uint8_t gso = net_tx_pkt_get_vhdr(pkt)->gso_type &
                      ~VIRTIO_NET_HDR_GSO_ECN;
        /*
         * A pool's frame for the wire only (unicast that no other pool
         * takes) can go to the backend whole, as the PF's frames do.
         */
        s.wire_only = s.pool >= 0 && core->has_vnet && !s.loopback &&
                      !igb_tx_switched(core, &s, txq, vlan);
        s.segment = !core->has_vnet || s.loopback ||
                    (s.pool >= 0 && !s.wire_only) ||
                    gso == VIRTIO_NET_HDR_GSO_UDP ||
                    net_tx_pkt_get_total_len(pkt) > ETH_MAX_IP_DGRAM_LEN;
        if (!s.segment) {
            /*
             * The backend wants what a virtio-net driver gives: IP lengths
             * of the whole frame and an L4 checksum seeded with a pseudo
             * header that counts its length (the 82576's drivers seed it
             * without the length).
             */
            net_tx_pkt_update_ip_checksums(pkt);
        }
    }
    if (!txq->legacy && (txq->first_cmd & IGB_ADVTXD_MAC_TSTAMP)) {
        igb_ptp_stamp(core, true);
    }
    if (!net_tx_pkt_send_custom(pkt, s.segment ||
                                (core->has_vnet && !s.loopback &&
                                 (s.pool < 0 || s.wire_only) &&
                                 !s.legacy_csum),
                                igb_tx_emit, &s)) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: TX queue %d: frame not sent\n",
                      q);
    }
}

static void igb_tx_data(IgbCore *core, int q, uint64_t addr, uint32_t len,
                        bool eop)
{
    IgbTxQueue *txq = &core->txq[q];

    if (len && !txq->drop) {
        PCIDevice *dev = igb_queue_owner(core, q);
        dma_addr_t mapped = len;
        void *base = NULL;

        if (txq->total + len > 0x40000) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: frame over 256 KiB, dropped\n",
                          q);
            txq->drop = true;
        } else {
            if (txq->nfrags < IGB_TX_MAX_FRAGS) {
                base = pci_dma_map(dev, addr, &mapped,
                                   DMA_DIRECTION_TO_DEVICE);
            }
            if (base && mapped != len) {
                pci_dma_unmap(dev, base, mapped, DMA_DIRECTION_TO_DEVICE, 0);
                base = NULL;
            }
            if (!base) {
                qemu_log_mask(LOG_GUEST_ERROR,
                              "igb: TX queue %d: buffer 0x%" PRIx64 "+%u not"
                              " mappable or too many fragments, frame"
                              " dropped\n", q, addr, len);
                txq->drop = true;
            }
        }
        if (base) {
            txq->map_dev = dev;
            txq->frags[txq->nfrags].iov_base = base;
            txq->frags[txq->nfrags].iov_len = len;
            txq->nfrags++;
            txq->total += len;
        }
    }
    if (eop) {
        igb_tx_send_frame(core, q);
        /* the rate limiter counts what goes on the wire, not drops */
        if (!txq->drop && (core->rttbcnrc[q] & IGB_RTTBCNRC_RS_ENA)) {
            txq->credit -= txq->total + ETH_FCS_LEN;
        }
        igb_tx_frame_done(core, q);
    }
}

/*
 * Rate limiting (RTTBCNRC, Linux's "ip link set ... vf N max_tx_rate"):
 * the queue may send at 1 Gb/s divided by the rate factor RF_INT.RF_DEC
 * (14 fraction bits).  A byte credit grows with virtual time (capped at
 * one jumbo frame's worth); a frame may start while the credit is not
 * negative and costs its length; when it runs out the queue waits on a
 * timer for the credit to come back.
 */
#define IGB_RL_BURST    9728

static uint64_t igb_tx_rate_bps(IgbCore *core, int q)
{
    uint32_t rc = core->rttbcnrc[q];
    uint64_t rf = ((uint64_t)((rc >> IGB_RTTBCNRC_RF_INT_SHIFT) &
                              IGB_RTTBCNRC_RF_INT_MASK) <<
                   IGB_RTTBCNRC_RF_INT_SHIFT) |
                  (rc & IGB_RTTBCNRC_RF_DEC_MASK);

    if (!(rc & IGB_RTTBCNRC_RS_ENA) || !rf) {
        return 0;
    }
    return (1000000000ULL << IGB_RTTBCNRC_RF_INT_SHIFT) / rf;
}

/* true if queue @q may start a frame now; else its timer is set */
static bool igb_tx_rate_ok(IgbCore *core, int q)
{
    IgbTxQueue *txq = &core->txq[q];
    uint64_t bps = igb_tx_rate_bps(core, q);
    int64_t now, need;

    if (!bps) {
        return true;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    txq->credit = MIN(IGB_RL_BURST, txq->credit +
                      (int64_t)((now - txq->credit_ns) * bps /
                                (8 * NANOSECONDS_PER_SECOND)));
    txq->credit_ns = now;
    if (txq->credit >= 0) {
        return true;
    }
    need = -txq->credit * 8 * NANOSECONDS_PER_SECOND / bps + 1;
    timer_mod(txq->rl_timer, now + need);
    return false;
}

/* in the bottom half, under the device's re-entrancy guard: not here */
static void igb_tx_rate_timer(void *opaque)
{
    IgbTxQueue *txq = opaque;

    igb_tx_schedule(txq->core, txq->index);
}

void igb_tx_rate_changed(IgbCore *core, int q)
{
    core->txq[q].credit = 0;
    core->txq[q].credit_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    timer_del(core->txq[q].rl_timer);
    igb_tx_schedule(core, q);
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
    IgbRing *ring;

    int vfn = igb_queue_pool_vf(core, q);

    if (!(core->mac[R(IGB_TCTL)] & IGB_TCTL_EN) ||
        !(core->mac[R(IGB_TXDCTL(q))] & IGB_QDCTL_ENABLE) || head == tail) {
        return;
    }
    if (vfn >= 0 && !(core->mac[R(IGB_VFTE)] & BIT(vfn))) {
        return;     /* the VF's transmit is not enabled (VFTE) */
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

    RCU_READ_LOCK_GUARD();
    ring = &core->txr[q];
    igb_ring_use(ring, dev, base, len);

    /* at most one lap: descriptors added meanwhile wait for the next kick */
    for (budget = n; head != tail && budget; budget--) {
        uint8_t raw[16];
        IgbTxDesc d;

        if (!core->txq[q].in_frame && !igb_tx_rate_ok(core, q)) {
            break;
        }

        if (igb_ring_read(ring, head * 16, raw, sizeof(raw)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "igb: TX queue %d: descriptor at 0x%" PRIx64
                          " unreadable\n", q, base + (uint64_t)head * 16);
            break;
        }
        d.addr = ldq_le_p(raw);
        d.cmd = ldl_le_p(raw + 8);
        d.sta = ldl_le_p(raw + 12);
        trace_igb_tx_desc(q, head, d.addr, d.cmd, d.sta);
        if (!core->txq[q].in_frame) {
            core->txq[q].frame_head = head;
        }

        /*
         * RS asks for the status; with WTHRESH set the 82576 writes back
         * every descriptor (the batching of those writes is not modelled:
         * they are made at once, which no driver can tell from a burst).
         */
        if (igb_tx_desc(core, q, &d) ||
            (core->mac[R(IGB_TXDCTL(q))] & IGB_TXDCTL_WTHRESH_MASK)) {
            uint32_t sta = cpu_to_le32(d.sta | IGB_TXD_STA_DD);
            igb_ring_write(ring, head * 16 + 12, &sta, sizeof(sta));
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

/*
 * A TDT (or enable) write asks for the queue's work; it is done in a bottom
 * half, not in the vCPU's MMIO exit: the vCPU goes on running the guest
 * while the main loop moves the frames, as the 82576's DMA engine works
 * beside the CPU.  Not while the VM is stopped (guest memory must then
 * stay as it is, for migration): igb_core_vm_state() resumes the work.
 */
void igb_tx_schedule(IgbCore *core, int q)
{
    core->tx_pending |= BIT(q);
    qemu_bh_schedule(core->tx_bh);
}

static void igb_tx_bh(void *opaque)
{
    IgbCore *core = opaque;
    uint32_t pending = core->tx_pending;

    if (!runstate_is_running()) {
        return;
    }
    core->tx_pending = 0;
    while (pending) {
        int q = ctz32(pending);

        pending &= ~BIT(q);
        igb_tx_kick(core, q);
    }
}

void igb_tx_init(IgbCore *core)
{
    core->tx_bh = qemu_bh_new_guarded(igb_tx_bh, core,
                                      &DEVICE(core->fn[IGB_PF_FN])->
                                      mem_reentrancy_guard);
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        IgbTxQueue *txq = &core->txq[q];

        net_tx_pkt_init(&txq->pkt, IGB_TX_MAX_FRAGS);
        txq->core = core;
        txq->index = q;
        txq->rl_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, igb_tx_rate_timer,
                                     txq);
    }
}

void igb_tx_uninit(IgbCore *core)
{
    qemu_bh_delete(core->tx_bh);
    core->tx_bh = NULL;
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        igb_tx_frame_done(core, q);
        net_tx_pkt_uninit(core->txq[q].pkt);
        core->txq[q].pkt = NULL;
        timer_free(core->txq[q].rl_timer);
    }
}

/*
 * A driver disables a queue to reprogram it (DPDK's queue stop, igb's
 * ring set-up) and starts it again at new head and tail: a frame whose
 * first pieces were fetched before must not be finished with the pieces
 * of the next one.
 */
void igb_tx_queue_disabled(IgbCore *core, int q)
{
    if (core->txq[q].in_frame) {
        trace_igb_tx_frame_forgotten(q, core->txq[q].nfrags,
                                     core->txq[q].total);
        igb_tx_frame_done(core, q);
    }
}

void igb_tx_queue_reset(IgbCore *core, int q)
{
    if (core->txq[q].pkt) {
        igb_tx_frame_done(core, q);
    }
    core->txq[q].credit = 0;
    timer_del(core->txq[q].rl_timer);
    memset(core->txq[q].ctx, 0, sizeof(core->txq[q].ctx));
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
