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
#include "qemu/rcu.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "qemu/timer.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "net/eth.h"
#include "net/checksum.h"
#include "system/dma.h"
#include "net_rx_pkt.h"
#include "igb_core.h"
#include "trace.h"

#define R(off) ((off) >> 2)

#define IGB_MIN_FRAME   60          /* without FCS */
#define IGB_PTP_L4_FLAG 0x10000     /* PTP header offset: found by L4 filter */
#define IGB_STD_FRAME   1518        /* with FCS */

/* What the descriptor write-back reports about a frame */
typedef struct IgbRxMeta {
    uint32_t rss_hash;
    uint8_t csum_sta;       /* IPCS/TCPCS/UDPCS, legacy status bit layout */
    uint8_t csum_err;       /* IPE/TCPE, legacy error bit layout */
    uint16_t pkt_type;
    uint16_t vlan;
    uint8_t rss_type;
    bool vp;
    bool ts;                /* IEEE 1588 time stamp latched for it */
    bool lli;               /* low latency interrupt asked for */
} IgbRxMeta;

typedef enum {
    IGB_RX_DONE,
    IGB_RX_DROPPED,
    IGB_RX_HOLD,
} IgbRxResult;

/*
 * Where the tag the NIC filters, strips and reports sits: right after the
 * addresses, or after the outer tag in double VLAN mode (CTRL_EXT.EXT_VLAN:
 * every frame is taken to start with an outer tag, which stays in place).
 */
static size_t igb_rx_vlan_off(IgbCore *core)
{
    return (core->mac[R(IGB_CTRL_EXT)] & IGB_CTRL_EXT_EXT_VLAN) ? 16 : 12;
}

static bool igb_rx_vlan_tagged(IgbCore *core, const uint8_t *buf, size_t len)
{
    size_t off = igb_rx_vlan_off(core);

    return len >= off + 6 &&
           lduw_be_p(buf + off) == (core->mac[R(IGB_VET)] & 0xFFFF);
}

static uint16_t igb_rx_vlan_tci(IgbCore *core, const uint8_t *buf)
{
    return lduw_be_p(buf + igb_rx_vlan_off(core) + 2);
}

static bool igb_rx_mta_match(IgbCore *core, const uint8_t *da)
{
    static const int shift[4] = { 4, 3, 2, 0 };
    unsigned mo = (core->mac[R(IGB_RCTL)] >> IGB_RCTL_MO_SHIFT) & 3;
    uint32_t hash = ((da[4] >> shift[mo]) | (da[5] << (8 - shift[mo]))) &
                    0xFFF;

    return core->mac[R(IGB_MTA) + (hash >> 5)] & BIT(hash & 31);
}

/* RAR entries matching @da: -1 if none, else the OR of their pool bits */
static int igb_rx_rar_pools(IgbCore *core, const uint8_t *da)
{
    uint32_t lo = ldl_le_p(da);
    uint32_t hi = lduw_le_p(da + 4);
    int pools = -1;

    for (uint32_t av = core->rar_av; av; av &= av - 1) {
        uint32_t off = igb_rar_offset(ctz32(av));
        uint32_t rah = core->mac[R(off) + 1];

        if (!(rah & IGB_RAH_ASEL_MASK) &&
            core->mac[R(off)] == lo && (rah & 0xFFFF) == hi) {
            pools = MAX(pools, 0) | ((rah >> IGB_RAH_POOL_SHIFT) & 0xFF);
        }
    }
    return pools;
}

static bool igb_rx_rar_match(IgbCore *core, const uint8_t *da)
{
    return igb_rx_rar_pools(core, da) >= 0;
}

static bool igb_rx_uta_match(IgbCore *core, const uint8_t *da)
{
    static const int shift[4] = { 4, 3, 2, 0 };
    unsigned mo = (core->mac[R(IGB_RCTL)] >> IGB_RCTL_MO_SHIFT) & 3;
    uint32_t hash = ((da[4] >> shift[mo]) | (da[5] << (8 - shift[mo]))) &
                    0xFFF;

    return core->mac[R(IGB_UTA) + (hash >> 5)] & BIT(hash & 31);
}

static bool igb_rx_accept(IgbCore *core, const uint8_t *buf, size_t len)
{
    uint32_t rctl = core->mac[R(IGB_RCTL)];

    if ((rctl & IGB_RCTL_VFE) && igb_rx_vlan_tagged(core, buf, len)) {
        uint16_t vid = igb_rx_vlan_tci(core, buf) & 0xFFF;
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
/* Length of the L2+L3+L4 headers of an IPv4/IPv6 TCP/UDP frame, or 0 */
static size_t igb_rx_hdr_len(const uint8_t *buf, size_t len)
{
    size_t l2 = igb_l2_len(buf), l3, h;
    uint16_t etype = lduw_be_p(buf + l2 - 2);
    uint8_t proto;

    if (etype == ETH_P_IP && len >= l2 + 20) {
        l3 = (buf[l2] & 0xF) * 4;
        proto = buf[l2 + 9];
        if (l3 < 20 || (lduw_be_p(buf + l2 + 6) & 0x3FFF)) {
            return l3 >= 20 ? MIN(len, l2 + l3) : 0;    /* fragment */
        }
    } else if (etype == ETH_P_IPV6 && len >= l2 + 40) {
        l3 = 40;
        proto = buf[l2 + 6];
    } else {
        return 0;
    }
    h = l2 + l3;
    if (proto == IP_PROTO_TCP && len >= h + 20) {
        h += (buf[h + 12] >> 4) * 4;
    } else if (proto == IP_PROTO_UDP && len >= h + 8) {
        h += 8;
    }
    return MIN(h, len);
}

static IgbRxResult igb_rx_to_queue(IgbCore *core, int q, const uint8_t *buf,
                                   size_t len, const IgbRxMeta *meta,
                                   bool can_hold)
{
    PCIDevice *dev = igb_queue_owner(core, q);
    uint64_t base = core->mac[R(IGB_RDBAL(q))] |
                    ((uint64_t)core->mac[R(IGB_RDBAH(q))] << 32);
    uint32_t rdlen = core->mac[R(IGB_RDLEN(q))];
    uint32_t head = core->mac[R(IGB_RDH(q))];
    uint32_t tail = core->mac[R(IGB_RDT(q))];
    uint32_t srrctl = core->mac[R(IGB_SRRCTL(q))];
    uint32_t dtype = (srrctl >> IGB_SRRCTL_DESCTYPE_SHIFT) &
                     IGB_SRRCTL_DESCTYPE_MASK;
    bool adv = dtype != IGB_SRRCTL_DESC_LEGACY;
    uint32_t bsize = igb_rx_buf_size(core, q);
    uint32_t n, avail, need, rdmts, free_after;
    size_t done = 0, hlen = 0;      /* hlen: bytes for the header buffer */
    bool sph = false, first = true;
    IgbRing *ring;

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
    if (dtype == IGB_SRRCTL_DESC_HDR_SPLIT ||
        dtype == IGB_SRRCTL_DESC_HDR_ALWAYS) {
        uint32_t hsize = ((srrctl >> IGB_SRRCTL_BSIZEHDR_SHIFT) &
                          IGB_SRRCTL_BSIZEHDR_MASK) * 64;
        size_t h = igb_rx_hdr_len(buf, len);

        if (h && h <= hsize) {
            hlen = h;
            sph = true;
        } else if (dtype == IGB_SRRCTL_DESC_HDR_ALWAYS) {
            hlen = MIN(len, hsize);
        }
    } else if (adv && dtype != IGB_SRRCTL_DESC_ADV_ONEBUF) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: RX queue %d: descriptor type %u"
                      " is reserved; written as one-buffer\n", q, dtype);
    }

    avail = (tail + n - head) % n;
    need = MAX(1, DIV_ROUND_UP(len - hlen, bsize));
    if (avail < need) {
        igb_stat_inc(core, IGB_RNBC, 1);
        trace_igb_rx_no_desc(q, head, tail, need);
        if (can_hold && core->rx_burst) {
            return IGB_RX_HOLD;     /* the wire would still be sending it */
        }
        if ((srrctl & IGB_SRRCTL_DROP_EN) ||
            (core->mac[R(IGB_QDE)] & BIT(q))) {
            igb_stat_inc(core, IGB_RQDPC(q), 1);
            return IGB_RX_DROPPED;
        }
        if (can_hold && (core->mac[R(IGB_CTRL)] & IGB_CTRL_TFCE)) {
            return IGB_RX_HOLD;
        }
        igb_stat_inc(core, IGB_MPC, 1);
        igb_stat_inc(core, IGB_ICRXOC, 1);
        igb_raise_icr(core, IGB_ICR_RXO);
        return IGB_RX_DROPPED;
    }

    RCU_READ_LOCK_GUARD();
    ring = &core->rxr[q];
    igb_ring_use(ring, dev, base, rdlen);
    while (first || done < len) {
        hwaddr da = (hwaddr)head * 16;
        uint8_t desc[16];
        uint64_t addr;
        uint32_t hchunk = first ? hlen : 0;
        uint32_t chunk = MIN(bsize, len - done - hchunk);
        bool eop = done + hchunk + chunk == len;

        if (igb_ring_read(ring, da, desc, sizeof(desc)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "igb: RX queue %d: descriptor at"
                          " 0x%" PRIx64 " unreadable\n", q, base + da);
        }
        if (hchunk) {
            uint64_t haddr = ldq_le_p(desc + 8);

            if (!haddr || pci_dma_write(dev, haddr, buf, hchunk) != MEMTX_OK) {
                qemu_log_mask(LOG_GUEST_ERROR, "igb: RX queue %d: header"
                              " buffer 0x%" PRIx64 " not writable\n", q,
                              haddr);
            }
            done += hchunk;
        }
        first = false;
        addr = ldq_le_p(desc);
        if (!chunk) {
            /* all of the frame went to the header buffer */
        } else if (addr) {
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
                               (eop ? IGB_RXD_STAT_EOP |
                                      meta->csum_sta |
                                      ((uint32_t)meta->csum_err << 24) : 0) |
                               (meta->vp && eop ? IGB_RXD_STAT_VP : 0) |
                               (meta->ts && eop ? IGB_RXDADV_STAT_TS : 0);
            stw_le_p(desc, meta->rss_type | (meta->pkt_type << 4));
            stw_le_p(desc + 2, (hchunk << IGB_RXDADV_HDRBUFLEN_SHIFT) |
                               (hchunk && sph ? IGB_RXDADV_SPH : 0));
            if (core->mac[R(IGB_RXCSUM)] & IGB_RXCSUM_PCSD) {
                stl_le_p(desc + 4, meta->rss_hash);
            }
            stl_le_p(desc + 8, staterr);
            stw_le_p(desc + 12, chunk);
            stw_le_p(desc + 14, eop && meta->vp ? meta->vlan : 0);
        } else {
            stw_le_p(desc + 8, chunk);
            desc[12] = IGB_RXD_STAT_DD |
                       (meta->vp && eop ? IGB_RXD_STAT_VP : 0) |
                       (eop ? IGB_RXD_STAT_EOP |
                              (meta->csum_sta ? meta->csum_sta :
                                                IGB_RXD_STAT_IXSM) : 0);
            desc[13] = eop ? meta->csum_err : 0;
            stw_le_p(desc + 14, eop && meta->vp ? meta->vlan : 0);
        }
        /*
         * Write-back (legacy: without the buffer address): the status
         * with DD last, so that a driver polling DD sees the rest.
         */
        if (adv) {
            igb_ring_write(ring, da, desc, 8);
            smp_wmb();  /* dwords 0-1 before the DD bit the driver polls */
        }
        igb_ring_write(ring, da + 8, desc + 8, 8);
        trace_igb_rx_desc(q, head, chunk, eop);
        done += chunk;
        head = (head + 1) % n;
    }
    core->mac[R(IGB_RDH(q))] = head;

    core->lli = meta->lli;
    igb_queue_event(core, q, false);
    core->lli = false;
    /* RXDMT0: free descriptors fell under RCTL.RDMTS of the ring */
    rdmts = (core->mac[R(IGB_RCTL)] >> IGB_RCTL_RDMTS_SHIFT) & 3;
    free_after = (tail + n - head) % n;
    if (rdmts < 3 && free_after < (n >> (rdmts + 1))) {
        igb_stat_inc(core, IGB_ICRXDMTC, 1);
        igb_raise_icr(core, IGB_ICR_RXDMT0);
    }
    return IGB_RX_DONE;
}

/*
 * VMDq pool selection: which pools take the frame (a bitmap).  Unicast goes
 * to the pools its RAR entry names (else to pools that take unmatched
 * unicast through the UTA hash, else to the default pool in promiscuous
 * mode); broadcast and multicast to every pool whose VMOLR accepts them
 * (only the default pool without replication).  VLAN tags narrow the set
 * through VLVF; untagged frames go only to pools with VMOLR.AUPE.  VF pools
 * need their VFRE bit, and a frame never returns to the pool that sent it.
 */
static uint32_t igb_rx_pools(IgbCore *core, const uint8_t *buf, bool tagged,
                             uint16_t vid, int src_pool)
{
    uint32_t vtctl = core->mac[R(IGB_VT_CTL)];
    uint32_t def = BIT(igb_pf_pool(core));
    uint32_t pools = 0, p;
    bool group = is_multicast_ether_addr(buf);

    if (is_broadcast_ether_addr(buf)) {
        for (p = 0; p < IGB_NUM_POOLS; p++) {
            if (core->mac[R(IGB_VMOLR(p))] & IGB_VMOLR_BAM) {
                pools |= BIT(p);
            }
        }
    } else if (group) {
        bool mta = igb_rx_mta_match(core, buf);

        for (p = 0; p < IGB_NUM_POOLS; p++) {
            uint32_t vmolr = core->mac[R(IGB_VMOLR(p))];

            if ((vmolr & IGB_VMOLR_MPME) ||
                (mta && (vmolr & IGB_VMOLR_ROMPE))) {
                pools |= BIT(p);
            }
        }
    } else {
        int rar = (vtctl & IGB_VT_CTL_IGNORE_MAC) ? -1 :
                  igb_rx_rar_pools(core, buf);

        if (rar >= 0) {
            pools = rar;
        } else {
            bool uta = igb_rx_uta_match(core, buf);

            for (p = 0; p < IGB_NUM_POOLS && uta; p++) {
                if (core->mac[R(IGB_VMOLR(p))] & IGB_VMOLR_ROPE) {
                    pools |= BIT(p);
                }
            }
        }
        if (!pools && !(vtctl & IGB_VT_CTL_DIS_DEF_POOL) &&
            ((core->mac[R(IGB_RCTL)] & IGB_RCTL_UPE) ||
             (vtctl & IGB_VT_CTL_IGNORE_MAC))) {
            pools = def;
        }
    }

    if (tagged) {
        uint32_t vpools = 0;
        bool listed = false;

        for (int i = 0; i < IGB_NUM_VLVF; i++) {
            uint32_t vlvf = core->mac[R(IGB_VLVF(i))];

            if ((vlvf & IGB_VLVF_EN) && (vlvf & IGB_VLVF_VID_MASK) == vid) {
                listed = true;
                vpools |= (vlvf >> IGB_VLVF_POOL_SHIFT) & 0xFF;
            }
        }
        /* with VLAN filtering on, a tag no VLVF entry lists reaches no pool */
        if (listed || (core->mac[R(IGB_RCTL)] & IGB_RCTL_VFE)) {
            pools &= vpools;
        }
    } else {
        for (p = 0; p < IGB_NUM_POOLS; p++) {
            if (!(core->mac[R(IGB_VMOLR(p))] & IGB_VMOLR_AUPE)) {
                pools &= ~BIT(p);
            }
        }
    }
    if (group && !(vtctl & IGB_VT_CTL_REPL_EN)) {
        pools &= def;
    }
    for (p = 0; p < core->num_vfs; p++) {
        if (!(core->mac[R(IGB_VFRE)] & BIT(p))) {
            pools &= ~BIT(p);
        }
    }
    if (src_pool >= 0) {
        pools &= ~BIT(src_pool);
    }
    return pools;
}

/* RSS: the Toeplitz hash over the fields MRQC enables, and its type code */
static bool igb_rx_rss(IgbCore *core, uint32_t *hash, uint8_t *type)
{
    uint32_t mrqc = core->mac[R(IGB_MRQC)];
    uint8_t key[40];
    bool v4, v6;
    EthL4HdrProto l4;
    NetRxPktRssType t;
    bool frag;

    net_rx_pkt_get_protocols(core->rx_pkt, &v4, &v6, &l4);
    if (v4) {
        frag = net_rx_pkt_get_ip4_info(core->rx_pkt)->fragment;
        if (l4 == ETH_L4_HDR_PROTO_TCP && !frag &&
            (mrqc & IGB_MRQC_RSS_IPV4_TCP)) {
            t = NetPktRssIpV4Tcp, *type = 1;
        } else if (l4 == ETH_L4_HDR_PROTO_UDP && !frag &&
                   (mrqc & IGB_MRQC_RSS_IPV4_UDP)) {
            t = NetPktRssIpV4Udp, *type = 7;
        } else if (mrqc & IGB_MRQC_RSS_IPV4) {
            t = NetPktRssIpV4, *type = 2;
        } else {
            return false;
        }
    } else if (v6) {
        eth_ip6_hdr_info *ip6 = net_rx_pkt_get_ip6_info(core->rx_pkt);
        bool ex = ip6->has_ext_hdrs;

        frag = ip6->fragment;
        if (l4 == ETH_L4_HDR_PROTO_TCP && !frag &&
            (mrqc & (ex ? IGB_MRQC_RSS_IPV6_TCP_EX : IGB_MRQC_RSS_IPV6_TCP))) {
            t = ex ? NetPktRssIpV6TcpEx : NetPktRssIpV6Tcp;
            *type = ex ? 6 : 3;
        } else if (l4 == ETH_L4_HDR_PROTO_UDP && !frag &&
                   (mrqc & (ex ? IGB_MRQC_RSS_IPV6_UDP_EX :
                            IGB_MRQC_RSS_IPV6_UDP))) {
            t = ex ? NetPktRssIpV6UdpEx : NetPktRssIpV6Udp;
            *type = ex ? 9 : 8;
        } else if (ex && (mrqc & IGB_MRQC_RSS_IPV6_EX)) {
            t = NetPktRssIpV6Ex, *type = 4;
        } else if (mrqc & IGB_MRQC_RSS_IPV6) {
            t = NetPktRssIpV6, *type = 5;
        } else {
            return false;
        }
    } else {
        return false;
    }
    for (int i = 0; i < 10; i++) {
        stl_le_p(key + 4 * i, core->mac[R(IGB_RSSRK) + i]);
    }
    *hash = net_rx_pkt_calc_rss_hash(core->rx_pkt, t, key);
    return true;
}

static uint8_t igb_rx_reta(IgbCore *core, uint32_t hash)
{
    unsigned i = hash & 0x7F;

    return core->mac[R(IGB_RETA) + i / 4] >> (8 * (i % 4));
}

/*
 * TCP and UDP checksums over IPv4, or IPv6 without extension headers,
 * checked here (net_rx_pkt's checksum goes byte by byte): 1 valid, 0 not,
 * IGB_CSUM_NONE nothing to check (IPv4 fragment, UDP without a checksum),
 * IGB_CSUM_OTHER for net_rx_pkt to do (SCTP, IPv6 options, odd lengths).
 */
#define IGB_CSUM_NONE   (-1)
#define IGB_CSUM_OTHER  (-2)

static int igb_rx_l4_csum(const uint8_t *buf, size_t len, size_t l3,
                          size_t l4off, bool v4, EthL4HdrProto l4)
{
    const uint8_t *ip = buf + l3, *th = buf + l4off;
    bool udp = l4 == ETH_L4_HDR_PROTO_UDP;
    uint32_t csl, sum;
    uint16_t c;

    if ((!udp && l4 != ETH_L4_HDR_PROTO_TCP) || l4off + 20 > len ||
        l3 + 40 > len) {
        return IGB_CSUM_OTHER;
    }
    if (v4) {
        if ((ip[0] >> 4) != 4 || l3 + (ip[0] & 0xF) * 4 != l4off) {
            return IGB_CSUM_OTHER;
        }
        if (lduw_be_p(ip + 6) & 0x3FFF) {
            return IGB_CSUM_NONE;
        }
        csl = udp ? lduw_be_p(th + 4) : lduw_be_p(ip + 2) - (ip[0] & 0xF) * 4;
        sum = igb_csum(ip + 12, 8);
    } else {
        if ((ip[0] >> 4) != 6 || l4off - l3 != 40) {
            return IGB_CSUM_OTHER;
        }
        csl = udp ? lduw_be_p(th + 4) : lduw_be_p(ip + 4);
        sum = igb_csum(ip + 8, 32);
    }
    if (udp && !lduw_be_p(th + 6)) {
        return IGB_CSUM_NONE;
    }
    if (csl < (udp ? 8 : 20) || l4off + csl > len) {
        return IGB_CSUM_OTHER;
    }
    sum += (udp ? IP_PROTO_UDP : IP_PROTO_TCP) + csl + igb_csum(th, csl);
    c = net_checksum_finish(sum);
    return !c || c == 0xFFFF;
}

/*
 * Packet type (advanced descriptors) and receive checksum offload: parse
 * the frame once, report IPv4/IPv6 and TCP/UDP/SCTP, and the IP and L4
 * checksum results the RXCSUM enables ask for.
 */
static void igb_rx_classify(IgbCore *core, const uint8_t *buf, size_t len,
                            IgbRxMeta *meta)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    uint32_t rxcsum = core->mac[R(IGB_RXCSUM)];
    bool v4, v6, valid;
    EthL4HdrProto l4;
    uint16_t t = 0;
    size_t l3, l4off;

    net_rx_pkt_attach_iovec(core->rx_pkt, &iov, 1, 0, false);
    net_rx_pkt_get_protocols(core->rx_pkt, &v4, &v6, &l4);
    if (v4) {
        t |= BIT(0);
    } else if (v6) {
        t |= net_rx_pkt_get_ip6_info(core->rx_pkt)->has_ext_hdrs ? BIT(3) :
                                                                     BIT(2);
    }
    if (l4 == ETH_L4_HDR_PROTO_TCP) {
        t |= BIT(4);
    } else if (l4 == ETH_L4_HDR_PROTO_UDP) {
        t |= BIT(5);
    } else if (l4 == ETH_L4_HDR_PROTO_SCTP) {
        t |= BIT(6);
    }
    meta->pkt_type = t;

    meta->csum_sta = 0;
    meta->csum_err = 0;
    if (!(rxcsum & (IGB_RXCSUM_IPOFL | IGB_RXCSUM_TUOFL |
                    IGB_RXCSUM_CRCOFL))) {
        return;
    }
    l3 = igb_l2_len(buf);
    l4off = net_rx_pkt_get_l4_hdr_offset(core->rx_pkt);
    if ((rxcsum & IGB_RXCSUM_IPOFL) && v4) {
        if (l4off > l3 && l4off <= len) {
            valid = !net_checksum_finish(igb_csum(buf + l3, l4off - l3));
        } else {
            net_rx_pkt_validate_l3_csum(core->rx_pkt, &valid);
        }
        meta->csum_sta |= IGB_RXD_STAT_IPCS;
        meta->csum_err |= valid ? 0 : IGB_RXD_ERR_IPE;
    }
    if ((l4 == ETH_L4_HDR_PROTO_SCTP) ? (rxcsum & IGB_RXCSUM_CRCOFL) :
                                        (rxcsum & IGB_RXCSUM_TUOFL)) {
        int r = igb_rx_l4_csum(buf, len, l3, l4off, v4, l4);

        if (r == IGB_CSUM_OTHER && l4 != ETH_L4_HDR_PROTO_INVALID) {
            r = net_rx_pkt_validate_l4_csum(core->rx_pkt, &valid) ?
                valid : IGB_CSUM_NONE;
        } else if (r == IGB_CSUM_OTHER) {
            r = IGB_CSUM_NONE;      /* no TCP, UDP or SCTP header */
        }
        if (r != IGB_CSUM_NONE) {
            meta->csum_sta |= l4 == ETH_L4_HDR_PROTO_UDP ?
                              IGB_RXD_STAT_UDPCS : IGB_RXD_STAT_TCPCS;
            meta->csum_err |= r ? 0 : IGB_RXD_ERR_TCPE;
        }
    }
}

/*
 * Queue steering filters, in the hardware's priority order: EtherType
 * (ETQF), TCP SYN (SYNQF), then the eight 5-tuple filters (FTQF with
 * SAQF/DAQF/SPQF/IMIR; IPv4 only on the 82576).  Returns the queue a
 * matching filter names, or -1; *ptp is where the PTP header starts when
 * a matching filter asks for an IEEE 1588 time stamp (else -1), *lli says
 * it asks for a low latency interrupt (one that does not wait for EITR).
 * Addresses and ports are kept in network order.
 */
static int igb_rx_filters(IgbCore *core, const uint8_t *buf, size_t len,
                          int *ptp, bool *lli)
{
    size_t l2 = igb_l2_len(buf);
    uint16_t etype = lduw_be_p(buf + l2 - 2);
    bool v4, v6;
    EthL4HdrProto l4;
    const uint8_t *ip, *l4h;
    size_t l4off;
    int queue = -1;

    *ptp = -1;
    *lli = false;
    for (int i = 0; i < IGB_NUM_ETQF; i++) {
        uint32_t etqf = core->mac[R(IGB_ETQF(i))];

        if ((etqf & IGB_ETQF_FILTER_EN) &&
            (etqf & IGB_ETQF_ETYPE_MASK) == etype) {
            *ptp = (etqf & IGB_ETQF_1588) ? l2 : -1;
            *lli = etqf & IGB_ETQF_IMM_INT;
            if (etqf & IGB_ETQF_QUEUE_EN) {
                queue = (etqf >> IGB_ETQF_QUEUE_SHIFT) & IGB_ETQF_QUEUE_MASK;
                trace_igb_rx_steered("ethertype", i, queue);
            }
            return queue;
        }
    }

    net_rx_pkt_get_protocols(core->rx_pkt, &v4, &v6, &l4);
    l4off = net_rx_pkt_get_l4_hdr_offset(core->rx_pkt);
    if (!v4 || l4off + 14 > len) {
        return -1;
    }
    ip = buf + l2;
    l4h = buf + l4off;

    if ((core->mac[R(IGB_SYNQF)] & IGB_SYNQF_EN) &&
        l4 == ETH_L4_HDR_PROTO_TCP && (l4h[13] & TH_SYN)) {
        queue = (core->mac[R(IGB_SYNQF)] >> IGB_SYNQF_QUEUE_SHIFT) &
                IGB_SYNQF_QUEUE_MASK;
        trace_igb_rx_steered("syn", 0, queue);
    }

    for (int i = 0; i < IGB_NUM_5TUPLE; i++) {
        uint32_t ftqf = core->mac[R(IGB_FTQF(i))];
        uint32_t imir = core->mac[R(IGB_IMIR(i))];
        bool ports = l4 == ETH_L4_HDR_PROTO_TCP || l4 == ETH_L4_HDR_PROTO_UDP;

        if (!(ftqf & (IGB_FTQF_QUEUE_EN | IGB_FTQF_1588)) &&
            !(imir & IGB_IMIR_PORT_IM_EN)) {
            continue;
        }
        if (!(ftqf & IGB_FTQF_PROTO_BP) &&
            ip[9] != (ftqf & IGB_FTQF_PROTO_MASK)) {
            continue;
        }
        if (!(ftqf & IGB_FTQF_SRC_ADDR_BP) &&
            core->mac[R(IGB_SAQF(i))] != ldl_le_p(ip + 12)) {
            continue;
        }
        if (!(ftqf & IGB_FTQF_DST_ADDR_BP) &&
            core->mac[R(IGB_DAQF(i))] != ldl_le_p(ip + 16)) {
            continue;
        }
        if (!(ftqf & IGB_FTQF_SRC_PORT_BP) &&
            (!ports || (core->mac[R(IGB_SPQF(i))] & 0xFFFF) !=
                       lduw_le_p(l4h))) {
            continue;
        }
        if (!(imir & IGB_IMIR_PORT_BP) &&
            (!ports || (imir & 0xFFFF) != lduw_le_p(l4h + 2))) {
            continue;
        }
        if ((ftqf & IGB_FTQF_1588) && l4 == ETH_L4_HDR_PROTO_UDP) {
            *ptp = l4off + 8 + IGB_PTP_L4_FLAG;
        }
        *lli |= !!(imir & IGB_IMIR_PORT_IM_EN);
        if ((ftqf & IGB_FTQF_QUEUE_EN) && queue < 0) {
            queue = (ftqf >> IGB_FTQF_QUEUE_SHIFT) & IGB_FTQF_QUEUE_MASK;
            trace_igb_rx_steered("5-tuple", i, queue);
        }
    }
    return queue;
}

/*
 * Which PTP messages TSYNCRXCTL.TYPE lets the hardware stamp: all that a
 * 1588 filter marks, V2 event messages (types 0-3), or the one V1 control
 * value / V2 message type that TSYNCRXCFG names, over L2, L4 or both.
 */
static bool igb_rx_ptp_wanted(IgbCore *core, const uint8_t *buf, size_t len,
                              int ptp)
{
    bool l4 = ptp & IGB_PTP_L4_FLAG;
    size_t off = ptp & ~IGB_PTP_L4_FLAG;
    uint32_t type = core->mac[R(IGB_TSYNCRXCTL)] & IGB_TSYNCRXCTL_TYPE_MASK;
    uint32_t cfg = core->mac[R(IGB_TSYNCRXCFG)];
    uint8_t version, msg;

    if (off + 34 > len) {
        return type == IGB_TSYNCRXCTL_TYPE_ALL;
    }
    msg = buf[off] & 0xF;
    version = buf[off + 1] & 0xF;
    switch (type) {
    case IGB_TSYNCRXCTL_TYPE_ALL:
        return true;
    case IGB_TSYNCRXCTL_TYPE_EVENT_V2:
        return version == 2 && msg < 4;
    case IGB_TSYNCRXCTL_TYPE_L2_V2:
        return !l4 && version == 2 && msg == ((cfg >> 8) & 0xF);
    case IGB_TSYNCRXCTL_TYPE_L2_L4_V2:
        return version == 2 && msg == ((cfg >> 8) & 0xF);
    case IGB_TSYNCRXCTL_TYPE_L4_V1:
        /* V1: versionPTP is the first 16 bits, control is byte 32 */
        return l4 && lduw_be_p(buf + off) == 1 && buf[off + 32] == (cfg & 0xFF);
    default:
        return false;
    }
}

/*
 * With the time stamp, RXSATRL/RXSATRH latch who sent the message: the
 * 48-bit source UUID (PTP header bytes 22-27, V1 layout; in V2 the tail
 * of the clock identity) and the sequence ID (bytes 30-31).
 */
static void igb_rx_ptp_source(IgbCore *core, const uint8_t *buf, size_t len,
                              size_t off)
{
    uint32_t lo = 0, hi = 0;

    if (off + 32 <= len) {
        lo = ldl_be_p(buf + off + 24);
        hi = lduw_be_p(buf + off + 22) | lduw_be_p(buf + off + 30) << 16;
    }
    core->mac[R(IGB_RXSATRL)] = lo;
    core->mac[R(IGB_RXSATRH)] = hi;
}

bool igb_rx_switch_takes(IgbCore *core, const uint8_t *dst, int vlan,
                         int src_pool)
{
    return igb_rx_pools(core, dst, vlan >= 0, vlan & 0xFFF, src_pool) != 0;
}

static void igb_rx_pool_count(IgbCore *core, int pool, const uint8_t *buf,
                              size_t wire, bool switched)
{
    uint32_t *base = &core->mac[R(IGB_PVF(pool, 0))];

    base[R(IGB_PVFGPRC)]++;
    base[R(IGB_PVFGORC)] += wire;
    if (is_multicast_ether_addr(buf)) {
        base[R(IGB_PVFMPRC)]++;
    }
    if (switched) {
        base[R(IGB_PVFGPRLBC)]++;
        base[R(IGB_PVFGORLBC)] += wire;
    }
}

ssize_t igb_rx_deliver(IgbCore *core, const struct iovec *iov, int iovcnt,
                       int src)
{
    size_t total = iov_size(iov, iovcnt);
    const uint8_t *buf = core->rx_buf;
    uint32_t rctl = core->mac[R(IGB_RCTL)];
    uint32_t mode = core->mac[R(IGB_MRQC)] & IGB_MRQC_MODE_MASK;
    bool vmdq = igb_vmdq_enabled(core);
    bool rss = mode == IGB_MRQC_MODE_RSS || mode == IGB_MRQC_MODE_VMDQ_RSS;
    size_t len, limit;
    bool tagged;
    uint16_t vid = 0;
    uint32_t pools, hash = 0;
    uint8_t rss_type = 0;
    IgbRxMeta meta = { 0 };
    int delivered = 0, matched, steer, ptp;
    bool held = false;

    if (!(rctl & IGB_RCTL_EN)) {
        trace_igb_rx_drop(total, src, "receiver disabled (RCTL.EN)");
        return src == IGB_RX_SRC_WIRE ? total : 0;
    }
    if (total + ETH_FCS_LEN > sizeof(core->rx_buf)) {
        trace_igb_rx_drop(total, src, "larger than any frame");
        igb_stat_inc(core, IGB_ROC, 1);
        return total;
    }
    if (iovcnt == 1 && total >= IGB_MIN_FRAME) {
        buf = iov->iov_base;    /* one piece, long enough: no copy */
        len = total;
    } else {
        len = iov_to_buf(iov, iovcnt, 0, core->rx_buf, total);
    }
    if (len < ETH_HLEN) {
        trace_igb_rx_drop(total, src, "shorter than an Ethernet header");
        igb_stat_inc(core, IGB_RUC, 1);
        return total;
    }
    if (len < IGB_MIN_FRAME) {
        /* what arrives on the wire is padded to the minimum frame size */
        memset(core->rx_buf + len, 0, IGB_MIN_FRAME - len);
        len = IGB_MIN_FRAME;
    }
    tagged = igb_rx_vlan_tagged(core, buf, len);
    if (tagged) {
        vid = igb_rx_vlan_tci(core, buf) & 0xFFF;
    }

    if (vmdq) {
        if ((rctl & IGB_RCTL_VFE) && tagged &&
            !(core->mac[R(IGB_VFTA) + (vid >> 5)] & BIT(vid & 31))) {
            pools = 0;
        } else {
            pools = igb_rx_pools(core, buf, tagged, vid,
                                 src >= 0 ? src : -1);
        }
    } else {
        pools = (src < 0 && igb_rx_accept(core, buf, len)) ? 1 : 0;
    }
    if (!pools) {
        /* (from a pool: not for any other pool, so it goes to the wire) */
        trace_igb_rx_filtered(len, ldq_be_p(buf) >> 16, src);
        return src == IGB_RX_SRC_WIRE ? total : 0;
    }
    matched = ctpop32(pools);
    trace_igb_rx_pools(len, src, pools, tagged ? vid : -1);

    limit = (rctl & IGB_RCTL_LPE) ?
            (core->mac[R(IGB_RLPML)] ? core->mac[R(IGB_RLPML)] : 16383) :
            IGB_STD_FRAME + (tagged ? 4 : 0) + igb_rx_vlan_off(core) - 12;
    if (len + ETH_FCS_LEN > limit) {
        trace_igb_rx_drop(len, src, "over the length limit (LPE/RLPML)");
        igb_stat_inc(core, IGB_ROC, 1);
        return total;
    }

    igb_rx_classify(core, buf, len, &meta);
    steer = igb_rx_filters(core, buf, len, &ptp, &meta.lli);
    if (ptp >= 0 && igb_rx_ptp_wanted(core, buf, len, ptp)) {
        meta.ts = igb_ptp_stamp(core, false);
        if (meta.ts) {
            igb_rx_ptp_source(core, buf, len, ptp & ~IGB_PTP_L4_FLAG);
        }
    }
    if (rss) {
        rss = igb_rx_rss(core, &hash, &rss_type);
        if (rss) {
            trace_igb_rx_rss(hash, rss_type, igb_rx_reta(core, hash));
        }
    }
    meta.rss_type = rss_type;
    meta.rss_hash = hash;

    while (pools) {
        int p = ctz32(pools);
        uint32_t vmolr = core->mac[R(IGB_VMOLR(p))];
        int q;
        const uint8_t *out = buf;
        size_t olen = len;
        bool strip;
        IgbRxResult r;

        pools &= ~BIT(p);
        if (vmdq) {
            q = p;
            if (rss && mode == IGB_MRQC_MODE_VMDQ_RSS &&
                (vmolr & IGB_VMOLR_RSSE) && (igb_rx_reta(core, hash) & 8)) {
                q += IGB_NUM_POOLS;
            }
            strip = vmolr & IGB_VMOLR_STRVLAN;
            if ((vmolr & IGB_VMOLR_LPE) &&
                len + ETH_FCS_LEN > (vmolr & IGB_VMOLR_RLPML_MASK)) {
                trace_igb_rx_drop(len, src, "over the pool's VMOLR.RLPML");
                igb_stat_inc(core, IGB_ROC, 1);
                continue;
            }
        } else {
            /* without RSS, MRQC.DEF_Q names the queue (the PF's first) */
            q = steer >= 0 ? steer :
                rss ? igb_rx_reta(core, hash) & (IGB_NUM_QUEUES - 1) :
                (core->mac[R(IGB_MRQC)] >> IGB_MRQC_DEF_Q_SHIFT) & 7;
            strip = core->mac[R(IGB_CTRL)] & IGB_CTRL_VME;
        }

        meta.vp = tagged && strip;
        meta.vlan = tagged ? igb_rx_vlan_tci(core, buf) : 0;
        if (meta.vp || !(rctl & IGB_RCTL_SECRC)) {
            /* this pool's copy differs from the frame (buf stays intact) */
            uint8_t *copy = core->rx_out;

            if (meta.vp) {
                size_t off = igb_rx_vlan_off(core);

                memcpy(copy, buf, off);
                memcpy(copy + off, buf + off + 4, len - off - 4);
                olen = len - 4;
            } else {
                memcpy(copy, buf, len);
            }
            if (!(rctl & IGB_RCTL_SECRC)) {
                stl_le_p(copy + olen, ~net_crc32_le(copy, olen));
                olen += ETH_FCS_LEN;
            }
            out = copy;
        }

        r = igb_rx_to_queue(core, q, out, olen, &meta,
                            src == IGB_RX_SRC_WIRE && !delivered && !pools);
        trace_igb_rx_frame(q, olen, r);
        if (r == IGB_RX_HOLD) {
            held = true;
        } else if (r == IGB_RX_DONE) {
            delivered++;
            if (vmdq) {
                igb_rx_pool_count(core, p, buf, len + ETH_FCS_LEN, src >= 0);
            }
        }
    }
    if (held) {
        return 0;   /* it comes back when the ring has room: count it then */
    }
    igb_rx_count(core, buf, len + ETH_FCS_LEN);
    return src == IGB_RX_SRC_WIRE ? total : matched;
}

/* in a bottom half, as TX: the flush may receive many frames */
static void igb_rx_bh(void *opaque)
{
    IgbCore *core = opaque;

    if (runstate_is_running()) {
        qemu_flush_queued_packets(qemu_get_queue(core->nic));
    }
}

/* A held backend frame's wire time is over: offer it again */
static void igb_rx_burst_end(void *opaque)
{
    igb_rx_kick(opaque);
}

void igb_rx_reset(IgbCore *core)
{
    core->rx_gso_next = 0;
    core->rx_burst_deadline = 0;
    timer_del(core->rx_burst_timer);
}

void igb_rx_init(IgbCore *core)
{
    core->rx_burst_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, igb_rx_burst_end,
                                        core);
    core->rx_bh = qemu_bh_new_guarded(igb_rx_bh, core,
                                      &DEVICE(core->fn[IGB_PF_FN])->
                                      mem_reentrancy_guard);
    net_rx_pkt_init(&core->rx_pkt);
}

void igb_rx_uninit(IgbCore *core)
{
    timer_free(core->rx_burst_timer);
    qemu_bh_delete(core->rx_bh);
    core->rx_bh = NULL;
    net_rx_pkt_uninit(core->rx_pkt);
    core->rx_pkt = NULL;
}

/* A magic packet: 6 bytes of 0xFF, then the station address 16 times */
static bool igb_rx_magic(const uint8_t *buf, size_t len, const uint8_t *mac)
{
    for (size_t i = ETH_HLEN; i + 6 + 16 * ETH_ALEN <= len; i++) {
        size_t j;

        if (memcmp(buf + i, "\xff\xff\xff\xff\xff\xff", 6)) {
            continue;
        }
        j = 0;
        while (j < 16 && !memcmp(buf + i + 6 + j * ETH_ALEN, mac, ETH_ALEN)) {
            j++;
        }
        if (j == 16) {
            return true;
        }
    }
    return false;
}

/*
 * The PF in D3hot: frames are not received into rings, only checked
 * against the wake-up filters (WUFC with WUC.PME_EN, or APM wake-up on a
 * magic packet with WUC.APME).  A match records its causes in WUS and the
 * frame's first 128 bytes in WUPM/WUPL, and sets PME_Status (WUC, and in
 * the PM capability if the OS enabled PME there).
 */
static void igb_rx_wake(IgbCore *core, const uint8_t *buf, size_t len)
{
    PCIDevice *pf = core->fn[0];
    uint32_t wuc = core->mac[R(IGB_WUC)];
    uint32_t wufc = core->mac[R(IGB_WUFC)];
    uint32_t causes = 0, wanted = 0;
    uint8_t mac[ETH_ALEN];
    uint16_t pmcsr;

    if (len < ETH_HLEN) {
        return;
    }
    stl_le_p(mac, core->mac[R(IGB_RA)]);
    stw_le_p(mac + 4, core->mac[R(IGB_RA) + 1]);
    if (is_broadcast_ether_addr(buf)) {
        causes |= IGB_WUFC_BC;
    } else if (is_multicast_ether_addr(buf)) {
        causes |= igb_rx_mta_match(core, buf) ? IGB_WUFC_MC : 0;
    } else {
        causes |= igb_rx_rar_match(core, buf) ? IGB_WUFC_EX : 0;
    }
    if (igb_rx_magic(buf, len, mac)) {
        causes |= IGB_WUFC_MAG;
    }
    if (wuc & IGB_WUC_PME_EN) {
        wanted = wufc & causes;
    }
    if ((wuc & IGB_WUC_APME) && (causes & IGB_WUFC_MAG)) {
        wanted |= IGB_WUFC_MAG;
    }
    if (!wanted) {
        return;
    }
    core->mac[R(IGB_WUS)] |= wanted;
    core->mac[R(IGB_WUPL)] = len;
    memset(&core->mac[R(IGB_WUPM)], 0, IGB_WUPM_BYTES);
    for (size_t i = 0; i < MIN(len, IGB_WUPM_BYTES); i += 4) {
        uint8_t w[4] = { 0 };

        memcpy(w, buf + i, MIN(4, len - i));
        core->mac[R(IGB_WUPM) + i / 4] = ldl_le_p(w);
    }
    core->mac[R(IGB_WUC)] |= IGB_WUC_PME_STATUS;
    pmcsr = pci_get_word(pf->config + pf->pm_cap + PCI_PM_CTRL);
    if (pmcsr & PCI_PM_CTRL_PME_ENABLE) {
        pci_set_word(pf->config + pf->pm_cap + PCI_PM_CTRL,
                     pmcsr | PCI_PM_CTRL_PME_STATUS);
    }
    trace_igb_wake(wanted, len, !!(pmcsr & PCI_PM_CTRL_PME_ENABLE));
}

static bool igb_pf_in_d3(IgbCore *core)
{
    PCIDevice *pf = core->fn[0];

    return pf->pm_cap &&
           (pci_get_word(pf->config + pf->pm_cap + PCI_PM_CTRL) &
            PCI_PM_CTRL_STATE_MASK) == 3;
}

static bool igb_rx_segment_out(void *opaque, const struct iovec *iov)
{
    return igb_rx_deliver(opaque, iov, 1, IGB_RX_SRC_WIRE) != 0;
}

/*
 * A frame from the backend with offloads left to do (host_offload): the
 * host's TCP/UDP checksum still partial (the pseudo header's sum at
 * csum_start + csum_offset) and, for TSO, the whole 64 KiB.  What the wire
 * would carry is the checksummed frame, or its segments: make them and
 * receive each.  False if the ring had no room (the frame comes again; the
 * segments already received are not received twice).
 */
static bool igb_rx_from_host(IgbCore *core, const struct virtio_net_hdr *vh,
                             const struct iovec *iov, int iovcnt)
{
    size_t len = iov_size(iov, iovcnt);
    size_t cs = vh->csum_start, co = vh->csum_offset;
    uint8_t gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    g_autofree uint8_t *copy = NULL;
    struct virtio_net_hdr h = *vh;
    const uint8_t *buf;
    uint32_t seq, sum;
    unsigned first = 0;
    int r;

    if (gso == VIRTIO_NET_HDR_GSO_NONE) {
        struct iovec one = { .iov_base = core->rx_buf, .iov_len = len };

        if (len > sizeof(core->rx_buf) || cs + co + 2 > len) {
            trace_igb_rx_drop(len, IGB_RX_SRC_WIRE,
                              "partial checksum outside the frame");
            return true;
        }
        iov_to_buf(iov, iovcnt, 0, core->rx_buf, len);
        sum = igb_csum(core->rx_buf + cs, len - cs);
        /* UDP (its checksum at offset 6) sends a zero sum as 0xFFFF */
        stw_be_p(core->rx_buf + cs + co, co == 6 ?
                 net_checksum_finish_nozero(sum) : net_checksum_finish(sum));
        return igb_rx_deliver(core, &one, 1, IGB_RX_SRC_WIRE) != 0;
    }

    if (iovcnt == 1) {
        buf = iov->iov_base;
    } else {
        buf = copy = g_malloc(len);
        iov_to_buf(iov, iovcnt, 0, copy, len);
    }
    /* hdr_len is only a hint (Linux gives its linear part): count it */
    if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) ||
        !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || cs + 20 > len) {
        trace_igb_rx_host_offload(len, vh->gso_type, vh->gso_size, 0, -1);
        return true;
    }
    h.hdr_len = cs + (buf[cs + 12] >> 4) * 4;
    seq = ldl_be_p(buf + cs + 4);
    if (core->rx_gso_next && core->rx_gso_len == len &&
        core->rx_gso_seq == seq) {
        first = core->rx_gso_next;  /* the frame that found no room */
    }
    if (!first) {
        core->rx_burst_deadline = 0;
    }
    core->rx_gso_next = 0;
    core->rx_burst = !core->rx_burst_deadline ||
                     qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) <
                     core->rx_burst_deadline;
    r = igb_segment(buf, len, &h, first, igb_rx_segment_out, core);
    core->rx_burst = false;
    trace_igb_rx_host_offload(len, vh->gso_type, vh->gso_size, first, r);
    if (r < 0 || r >= MAX(1, DIV_ROUND_UP(len - h.hdr_len, h.gso_size))) {
        core->rx_burst_deadline = 0;
        timer_del(core->rx_burst_timer);
        return true;    /* all of it received, or bad headers: dropped */
    }
    if (!core->rx_burst_deadline) {
        /* 1 Gb/s: 8 ns a byte, with FCS, preamble and gap (24 bytes) */
        size_t wire = h.hdr_len + h.gso_size + 24;
        size_t left = DIV_ROUND_UP(len - h.hdr_len, h.gso_size) - r;

        core->rx_burst_deadline = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                                  (int64_t)(left * wire * 8);
        timer_mod(core->rx_burst_timer, core->rx_burst_deadline);
    }
    core->rx_gso_next = r;
    core->rx_gso_len = len;
    core->rx_gso_seq = seq;
    return false;
}

ssize_t igb_rx_receive_iov(IgbCore *core, const struct iovec *iov, int iovcnt)
{
    size_t vnet = core->has_vnet ? sizeof(struct virtio_net_hdr) : 0;
    struct iovec frame[IGB_RX_MAX_IOV];
    size_t total = iov_size(iov, iovcnt);
    int cnt;

    if (igb_pf_in_d3(core)) {
        uint8_t *buf = core->rx_buf;
        size_t len = iov_to_buf(iov, iovcnt, vnet, buf,
                                MIN(total - MIN(total, vnet),
                                    sizeof(core->rx_buf)));

        igb_rx_wake(core, buf, len);
        return total;
    }
    if ((core->phy[IGB_PHY_CTRL] & IGB_PHY_CTRL_LOOPBACK) ||
        (core->mac[R(IGB_RCTL)] & IGB_RCTL_LBM_MASK)) {
        return total;   /* in loopback the receiver hears only ourselves */
    }
    if (total < vnet) {
        return total;
    }
    if (vnet) {
        struct virtio_net_hdr vh;

        iov_to_buf(iov, iovcnt, 0, &vh, sizeof(vh));
        cnt = iov_copy(frame, ARRAY_SIZE(frame), iov, iovcnt, vnet,
                       total - vnet);
        iov = frame;
        iovcnt = cnt;
        if (core->host_offload &&
            ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
             vh.gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
            return igb_rx_from_host(core, &vh, iov, iovcnt) ? total : 0;
        }
    }
    if (igb_rx_deliver(core, iov, iovcnt, IGB_RX_SRC_WIRE) == 0) {
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
    qemu_bh_schedule(core->rx_bh);
}
