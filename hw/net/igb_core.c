/*
 * Intel 82576 (igb) emulation: register file, interrupts, EEPROM, PHY.
 *
 * Registers are dispatched through a table indexed by offset / 4 that is
 * built once: each slot names a kind (how reads and writes behave) and the
 * writable bits.  State lives in IgbCore.mac[], indexed the same way, so
 * plain registers need no code at all.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qemu/main-loop.h"
#include "system/runstate.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_device.h"
#include "system/dma.h"
#include "qemu/rcu.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "net/checksum.h"
#include "igb_core.h"
#include "trace.h"

typedef enum IgbRegKind {
    IGB_K_NONE = 0,     /* not modelled: reads 0, writes ignored */
    IGB_K_RW,           /* plain storage with a write mask */
    IGB_K_RO,           /* read only */
    IGB_K_STAT,         /* statistics counter: clear on read */
    IGB_K_CTRL,
    IGB_K_STATUS,
    IGB_K_EECD,
    IGB_K_EERD,
    IGB_K_EEWR,
    IGB_K_MDIC,
    IGB_K_CTRL_EXT,
    IGB_K_ICR,
    IGB_K_ICS,
    IGB_K_IMS,
    IGB_K_IMC,
    IGB_K_EICR,
    IGB_K_EICS,
    IGB_K_EIMS,
    IGB_K_EIMC,
    IGB_K_EITR,
    IGB_K_RCTL,
    IGB_K_TCTL,
    IGB_K_RDT,
    IGB_K_TDT,
    IGB_K_RXDCTL,
    IGB_K_TXDCTL,
    IGB_K_SWSM,
    IGB_K_SYSTIML,
    IGB_K_SYSTIMH,
    IGB_K_TIMADJH,
    IGB_K_TIMINCA,
    IGB_K_WO,           /* write-only trigger registers that read as 0 */
    IGB_K_W1C,          /* write 1 to clear */
    IGB_K_TSTAMPH,      /* time stamp high: reading it frees the latch */
    IGB_K_RTTBCNRC,     /* the rate limiter of the queue RTTDQSEL names */
    IGB_K_P2VMBX,
    IGB_K_RAH,          /* receive address high: the valid-entry map follows */
    IGB_K__MAX
} IgbRegKind;

static uint8_t igb_reg_kind[IGB_NREGS];
static uint32_t igb_reg_wmask[IGB_NREGS];
static bool igb_regs_built;

#define R(off) ((off) >> 2)
/* EICR, EIMS, EIAC, EIAM: a bit per MSI-X vector */
#define IGB_VEC_BITS ((uint32_t)MAKE_64BIT_MASK(0, IGB_NUM_EITR))

static void igb_def(uint32_t off, IgbRegKind kind, uint32_t wmask)
{
    igb_reg_kind[R(off)] = kind;
    igb_reg_wmask[R(off)] = wmask;
}

static void igb_def_array(uint32_t off, unsigned n, uint32_t stride,
                          IgbRegKind kind, uint32_t wmask)
{
    for (unsigned i = 0; i < n; i++) {
        igb_def(off + i * stride, kind, wmask);
    }
}

static void igb_build_reg_table(void)
{
    int q;

    if (igb_regs_built) {
        return;
    }
    igb_regs_built = true;

    igb_def(IGB_CTRL, IGB_K_CTRL, 0xFFFFFFFF);
    igb_def(IGB_STATUS, IGB_K_STATUS, 0);
    igb_def(IGB_EECD, IGB_K_EECD, 0);
    igb_def(IGB_EERD, IGB_K_EERD, 0);
    igb_def(IGB_EEWR, IGB_K_EEWR, 0);
    igb_def(IGB_CTRL_EXT, IGB_K_CTRL_EXT, 0xFFFFFFFF);
    igb_def(IGB_MDIC, IGB_K_MDIC, 0);
    igb_def(IGB_FCAL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_FCAH, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_FCT, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_CONNSW, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_VET, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_ICR, IGB_K_ICR, 0);
    igb_def(IGB_ITR, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_ICS, IGB_K_ICS, 0);
    igb_def(IGB_IMS, IGB_K_IMS, 0);
    igb_def(IGB_IMC, IGB_K_IMC, 0);
    igb_def(IGB_IAM, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_RCTL, IGB_K_RCTL, 0xFFFFFFFF);
    igb_def(IGB_FCTTV, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_TXCW, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_RXCW, IGB_K_RO, 0);
    igb_def(IGB_TCTL, IGB_K_TCTL, 0xFFFFFFFF);
    igb_def(IGB_TCTL_EXT, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_TIPG, IGB_K_RW, 0x3FFFFFFF);
    igb_def(IGB_AIT, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_LEDCTL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_EXTCNF_CTRL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_MDICNFG, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_PBA, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_PBS, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_EEMNGCTL, IGB_K_RO, 0);
    igb_def(IGB_EEARBC, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_I2CCMD, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_FRTIMER, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_TCPTIMER, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_GPIE, IGB_K_RW, 0xC0000811);
    igb_def(IGB_EICR, IGB_K_EICR, 0);
    igb_def(IGB_EICS, IGB_K_EICS, 0);
    igb_def(IGB_EIMS, IGB_K_EIMS, 0);
    igb_def(IGB_EIMC, IGB_K_EIMC, 0);
    igb_def(IGB_EIAC, IGB_K_RW, IGB_VEC_BITS);
    igb_def(IGB_EIAM, IGB_K_RW, IGB_VEC_BITS);
    igb_def_array(IGB_EITR(0), IGB_NUM_EITR, 4, IGB_K_EITR, 0xFFFFFFFF);
    igb_def_array(IGB_IVAR0, 8, 4, IGB_K_RW, 0x9F9F9F9F);
    igb_def(IGB_IVAR_MISC, IGB_K_RW, 0x00009F9F);
    igb_def(IGB_FCRTL, IGB_K_RW, 0x8000FFF0);
    igb_def(IGB_FCRTH, IGB_K_RW, 0x0000FFF0);
    igb_def(IGB_RXPBS, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_FCRTV, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_TXPBS, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_DTXCTL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_DTXSWC, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_DTXMXSZRQ, IGB_K_RW, 0x00000FFF);
    igb_def(IGB_RXCSUM, IGB_K_RW, 0x00003BFF);
    igb_def(IGB_RLPML, IGB_K_RW, 0x00003FFF);
    igb_def(IGB_RFCTL, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_MTA, 128, 4, IGB_K_RW, 0xFFFFFFFF);
    /* RAL/RAH 0..15 at 0x5400, 16..23 at 0x54E0 */
    for (q = 0; q < IGB_NUM_RAR; q++) {
        uint32_t off = q < 16 ? IGB_RA + 8 * q : IGB_RA2 + 8 * (q - 16);
        igb_def(off, IGB_K_RW, 0xFFFFFFFF);
        igb_def(off + 4, IGB_K_RAH, 0x83FFFFFF);
    }
    igb_def_array(IGB_VFTA, 128, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_VT_CTL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_WUC, IGB_K_RW, 0x0000001F);
    igb_def(IGB_WUFC, IGB_K_RW, 0x000F80FF);
    igb_def(IGB_WUS, IGB_K_W1C, 0);
    igb_def(IGB_MRQC, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_MANC, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_IPAV, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_IP4AT, 8, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_IP6AT, 4, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_WUPM, 32, 4, IGB_K_RO, 0);
    igb_def(IGB_WUPL, IGB_K_RO, 0);
    igb_def_array(IGB_VMOLR(0), IGB_NUM_POOLS, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_VMVIR(0), IGB_NUM_POOLS, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_GCR, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_SWSM, IGB_K_SWSM, 0x00000003);
    igb_def(IGB_FWSM, IGB_K_RO, 0);
    igb_def(IGB_SW_FW_SYNC, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_UTA, 128, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_RETA, 32, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_RSSRK, 10, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_ETQF(0), 8, 4, IGB_K_RW, 0xFFFFFFFF);

    for (q = 0; q < IGB_NUM_QUEUES; q++) {
        igb_def(IGB_RDBAL(q), IGB_K_RW, 0xFFFFFF80);
        igb_def(IGB_RDBAH(q), IGB_K_RW, 0xFFFFFFFF);
        igb_def(IGB_RDLEN(q), IGB_K_RW, 0x000FFFF0);
        igb_def(IGB_SRRCTL(q), IGB_K_RW, 0x8E003F7F);
        igb_def(IGB_RDH(q), IGB_K_RW, 0x0000FFFF);
        igb_def(IGB_RXCTL(q), IGB_K_RW, 0xFFFFFFFF);
        igb_def(IGB_RDT(q), IGB_K_RDT, 0x0000FFFF);
        igb_def(IGB_RXDCTL(q), IGB_K_RXDCTL, 0x061F1F1F);
        igb_def(IGB_RQDPC(q), IGB_K_STAT, 0);
        igb_def(IGB_TDBAL(q), IGB_K_RW, 0xFFFFFF80);
        igb_def(IGB_TDBAH(q), IGB_K_RW, 0xFFFFFFFF);
        igb_def(IGB_TDLEN(q), IGB_K_RW, 0x000FFFF0);
        igb_def(IGB_TDH(q), IGB_K_RW, 0x0000FFFF);
        igb_def(IGB_TXCTL(q), IGB_K_RW, 0xFFFFFFFF);
        igb_def(IGB_TDT(q), IGB_K_TDT, 0x0000FFFF);
        igb_def(IGB_TXDCTL(q), IGB_K_TXDCTL, 0x061F3F3F);
        igb_def(IGB_TDWBAL(q), IGB_K_RW, 0xFFFFFFFD);
        igb_def(IGB_TDWBAH(q), IGB_K_RW, 0xFFFFFFFF);
    }

    igb_def_array(IGB_STATS_START, (IGB_STATS_END - IGB_STATS_START) / 4, 4,
                  IGB_K_STAT, 0);
    igb_def(IGB_PCS_CFG0, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_PCS_LCTL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_PCS_LSTAT, IGB_K_RO, 0);
    igb_def(IGB_PCS_ANADV, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_PCS_LPAB, IGB_K_RO, 0);

    igb_def(IGB_TSYNCTXCTL, IGB_K_RW, 0x00000010);
    igb_def(IGB_TXSTMPL, IGB_K_RO, 0);
    igb_def(IGB_TXSTMPH, IGB_K_TSTAMPH, 0);
    igb_def(IGB_TSYNCRXCTL, IGB_K_RW, 0x0000001E);
    igb_def(IGB_RXSTMPL, IGB_K_RO, 0);
    igb_def(IGB_RXSTMPH, IGB_K_TSTAMPH, 0);
    igb_def(IGB_TSYNCRXCFG, IGB_K_RW, 0x00FFFFFF);
    igb_def(IGB_SYNQF, IGB_K_RW, 0x0000000F);
    igb_def_array(IGB_SAQF(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_DAQF(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_SPQF(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0x0000FFFF);
    igb_def_array(IGB_FTQF(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0xF80F81FF);
    igb_def_array(IGB_IMIR(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0xE003FFFF);
    igb_def_array(IGB_IMIREXT(0), IGB_NUM_5TUPLE, 4, IGB_K_RW, 0x000FFFFF);
    igb_def(IGB_IMIRVP, IGB_K_RW, 0x0000FFFF);
    igb_def(IGB_RTTDQSEL, IGB_K_RW, 0x0000000F);
    igb_def(IGB_RTTBCNRM, IGB_K_RW, 0x00003FFF);
    igb_def(IGB_RTTBCNRC, IGB_K_RTTBCNRC, 0);
    igb_def(IGB_RXSATRL, IGB_K_RO, 0);
    igb_def(IGB_RXSATRH, IGB_K_RO, 0);
    igb_def(IGB_SYSTIML, IGB_K_SYSTIML, 0xFFFFFFFF);
    igb_def(IGB_SYSTIMH, IGB_K_SYSTIMH, 0xFFFFFFFF);
    igb_def(IGB_TIMINCA, IGB_K_TIMINCA, 0xFFFFFFFF);
    igb_def(IGB_TIMADJL, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_TIMADJH, IGB_K_TIMADJH, 0xFFFFFFFF);
    igb_def(IGB_TSAUXC, IGB_K_RW, 0xFFFFFFFF);
    igb_def(IGB_TSICR, IGB_K_STAT, 0);

    igb_def_array(IGB_VMBMEM(0), IGB_TOTAL_VFS * IGB_VMBMEM_WORDS, 4,
                  IGB_K_RW, 0xFFFFFFFF);
    igb_def_array(IGB_P2VMAILBOX(0), IGB_TOTAL_VFS, 4, IGB_K_P2VMBX, 0);
    igb_def(IGB_MBVFICR, IGB_K_W1C, 0);
    igb_def(IGB_MBVFIMR, IGB_K_RW, 0xFF);
    igb_def(IGB_VFLRE, IGB_K_W1C, 0);
    igb_def(IGB_VFRE, IGB_K_RW, 0xFF);
    igb_def(IGB_VFTE, IGB_K_RW, 0xFF);
    igb_def(IGB_QDE, IGB_K_RW, 0xFFFF);
    igb_def(IGB_WVBR, IGB_K_STAT, 0);
    igb_def(IGB_RPLOLR, IGB_K_RW, 0xC0000000);
    igb_def_array(IGB_VLVF(0), IGB_NUM_VLVF, 4, IGB_K_RW, 0x80FFFFFF);
    for (q = 0; q < IGB_NUM_POOLS; q++) {
        static const uint32_t pvf[] = {
            IGB_PVFGPRC, IGB_PVFGPTC, IGB_PVFGORC, IGB_PVFGOTC, IGB_PVFMPRC,
            IGB_PVFGPRLBC, IGB_PVFGPTLBC, IGB_PVFGORLBC, IGB_PVFGOTLBC,
        };
        for (int i = 0; i < ARRAY_SIZE(pvf); i++) {
            igb_def(IGB_PVF(q, pvf[i]), IGB_K_RO, 0);
        }
    }
}

/*
 * Queue registers 0..3 also answer at 0x2800/0x3800 + 0x100 * n (the
 * 8254x-compatible layout).  Map those to the canonical slot.
 */
static uint32_t igb_canonical_offset(uint32_t off)
{
    uint32_t base;

    if (off >= IGB_RXQ_ALIAS && off < IGB_RXQ_ALIAS + 4 * IGB_Q_ALIAS_STRIDE) {
        base = IGB_RXQ_BASE;
        off -= IGB_RXQ_ALIAS;
    } else if (off >= IGB_TXQ_ALIAS &&
               off < IGB_TXQ_ALIAS + 4 * IGB_Q_ALIAS_STRIDE) {
        base = IGB_TXQ_BASE;
        off -= IGB_TXQ_ALIAS;
    } else {
        return off;
    }
    if ((off & 0xFF) >= IGB_Q_STRIDE) {
        return UINT32_MAX;
    }
    return base + (off >> 8) * IGB_Q_STRIDE + (off & 0xFF);
}

static inline int igb_queue_of(uint32_t off)
{
    return ((off & 0x1FFF) / IGB_Q_STRIDE) & (IGB_NUM_QUEUES - 1);
}

/* Statistics */
void igb_stat_inc(IgbCore *core, uint32_t reg, uint32_t n)
{
    uint32_t *r = &core->mac[R(reg)];

    *r = (*r > UINT32_MAX - n) ? UINT32_MAX : *r + n;
}

void igb_stat_add64(IgbCore *core, uint32_t reg_lo, uint64_t n)
{
    uint64_t v = core->mac[R(reg_lo)] |
                 ((uint64_t)core->mac[R(reg_lo) + 1] << 32);

    v = (v > UINT64_MAX - n) ? UINT64_MAX : v + n;
    core->mac[R(reg_lo)] = (uint32_t)v;
    core->mac[R(reg_lo) + 1] = v >> 32;
}

/*
 * Interrupts
 *
 * Two ways of signalling, chosen by GPIE.Multiple_MSIX:
 *  - MSI-X mode: queue causes set EICR bits through IVAR, ICR causes that
 *    IMS enables set the "other" bit chosen by IVAR_MISC; each EICR bit is
 *    an MSI-X vector of its own, moderated by its EITR.
 *  - otherwise: queue causes show in ICR (RXDW/TXDW); one interrupt (INTx,
 *    MSI or MSI-X vector 0) whenever ICR & IMS, moderated by EITR0.
 */
static bool igb_msix_mode(IgbCore *core)
{
    return core->mac[R(IGB_GPIE)] & IGB_GPIE_MSIX_MODE;
}

static uint32_t igb_eitr_interval_ns(IgbCore *core, int vec)
{
    uint32_t v = core->mac[R(IGB_EITR(vec))];

    return ((v >> IGB_EITR_INTERVAL_SHIFT) & IGB_EITR_INTERVAL_MASK) * 1000;
}

static void igb_arm_eitr(IgbCore *core, int vec)
{
    uint32_t ns = igb_eitr_interval_ns(core, vec);

    if (ns) {
        core->eitr_armed |= BIT(vec);
        timer_mod(core->eitr[vec].timer,
                  qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
    }
}

static void igb_update_intx(IgbCore *core)
{
    PCIDevice *d = core->fn[IGB_PF_FN];
    bool level = false;

    if (!msix_enabled(d) && !msi_enabled(d)) {
        level = core->intx_level &&
                (core->mac[R(IGB_ICR)] & core->mac[R(IGB_IMS)]);
    }
    core->intx_level = level;
    pci_set_irq(d, level);
}

/* Send the single (non-MSI-X-mode) interrupt now. */
static void igb_send_legacy(IgbCore *core)
{
    PCIDevice *d = core->fn[IGB_PF_FN];

    if (!(core->mac[R(IGB_ICR)] & core->mac[R(IGB_IMS)])) {
        return;
    }
    core->mac[R(IGB_ICR)] |= IGB_ICR_INT_ASSERTED;
    trace_igb_irq_legacy(core->mac[R(IGB_ICR)], msix_enabled(d),
                         msi_enabled(d));
    igb_stat_inc(core, IGB_IAC, 1);
    if (msix_enabled(d)) {
        msix_notify(d, 0);
    } else if (msi_enabled(d)) {
        msi_notify(d, 0);
    } else {
        core->intx_level = true;
        pci_set_irq(d, 1);
    }
    igb_arm_eitr(core, 0);
}

/* Send MSI-X vector @vec of the PF now, with auto-clear and auto-mask. */
static void igb_send_vector(IgbCore *core, int vec)
{
    PCIDevice *d = core->fn[IGB_PF_FN];
    uint32_t bit = BIT(vec);

    if (!(core->mac[R(IGB_EICR)] & core->mac[R(IGB_EIMS)] & bit)) {
        return;
    }
    core->mac[R(IGB_EICR)] &= ~(core->mac[R(IGB_EIAC)] & bit);
    if (core->mac[R(IGB_GPIE)] & IGB_GPIE_EIAME) {
        core->mac[R(IGB_EIMS)] &= ~(core->mac[R(IGB_EIAM)] & bit);
    }
    trace_igb_irq_msix(vec);
    igb_stat_inc(core, IGB_IAC, 1);
    if (msix_enabled(d) && vec < IGB_PF_MSIX_VECTORS) {
        msix_notify(d, vec);
    } else if (msi_enabled(d)) {
        msi_notify(d, 0);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: MSI-X mode interrupt for vector %d without MSI-X\n",
                      vec);
    }
    igb_arm_eitr(core, vec);
}

static void igb_fire(IgbCore *core, int vec, bool legacy)
{
    if ((core->eitr_armed & BIT(vec)) && !core->lli) {
        trace_igb_irq_held(vec);
        core->eitr_pending |= BIT(vec);
        return;
    }
    if (legacy) {
        igb_send_legacy(core);
    } else {
        igb_send_vector(core, vec);
    }
}

bool igb_guard_enter(IgbCore *core)
{
    MemReentrancyGuard *g = &DEVICE(core->fn[IGB_PF_FN])->mem_reentrancy_guard;
    bool was = g->engaged_in_io;

    g->engaged_in_io = true;
    return was;
}

void igb_guard_leave(IgbCore *core, bool was)
{
    DEVICE(core->fn[IGB_PF_FN])->mem_reentrancy_guard.engaged_in_io = was;
}

static void igb_eitr_expired(void *opaque)
{
    IgbEitrTimer *t = opaque;
    IgbCore *core = t->core;
    int v = t->vec;
    bool pending = core->eitr_pending & BIT(v);
    bool guard;

    core->eitr_armed &= ~BIT(v);
    core->eitr_pending &= ~BIT(v);
    trace_igb_irq_eitr_end(v, pending);
    if (!pending) {
        return;
    }
    guard = igb_guard_enter(core);
    if (igb_msix_mode(core)) {
        igb_send_vector(core, v);
    } else if (v == 0) {
        igb_send_legacy(core);
    }
    igb_guard_leave(core, guard);
}

/* New EICR bits: signal the enabled ones (MSI-X mode). */
static void igb_eicr_set(IgbCore *core, uint32_t bits)
{
    uint32_t fire;

    core->mac[R(IGB_EICR)] |= bits;
    if (!igb_msix_mode(core)) {
        return;
    }
    fire = bits & core->mac[R(IGB_EIMS)];
    while (fire) {
        int v = ctz32(fire);
        fire &= ~BIT(v);
        igb_fire(core, v, false);
    }
}

/* The "other cause" in MSI-X mode: ICR & IMS, reported via IVAR_MISC. */
static void igb_update_other(IgbCore *core)
{
    uint32_t misc = core->mac[R(IGB_IVAR_MISC)] >> 8;

    if ((core->mac[R(IGB_ICR)] & core->mac[R(IGB_IMS)]) &&
        (misc & IGB_IVAR_VALID)) {
        igb_eicr_set(core, BIT(misc & IGB_IVAR_VEC_MASK));
    }
}

/* Some ICR causes became pending, or enabled in IMS: signal them. */
static void igb_icr_changed(IgbCore *core, uint32_t newly)
{
    if (!(newly & core->mac[R(IGB_IMS)])) {
        return;
    }
    if (igb_msix_mode(core)) {
        igb_update_other(core);
    } else {
        igb_fire(core, 0, true);
    }
}

void igb_raise_icr(IgbCore *core, uint32_t causes)
{
    trace_igb_irq_raise(causes);
    core->mac[R(IGB_ICR)] |= causes;
    /* a cause raised again while pending still asks for an interrupt */
    igb_icr_changed(core, causes);
}

void igb_queue_event(IgbCore *core, int queue, bool tx)
{
    uint32_t ivar = core->mac[R(IGB_IVAR(queue & 7))];
    int shift = ((queue & 8) ? 16 : 0) + (tx ? 8 : 0);
    uint8_t ent = ivar >> shift;
    int vfn = igb_queue_pool_vf(core, queue);

    if (vfn >= 0) {
        igb_vf_queue_event(core, vfn, queue, tx);
        return;
    }
    if (igb_msix_mode(core)) {
        if (ent & IGB_IVAR_VALID) {
            igb_eicr_set(core, BIT(ent & IGB_IVAR_VEC_MASK));
        }
        return;
    }
    igb_raise_icr(core, tx ? IGB_ICR_TXDW : IGB_ICR_RXDW);
}

static uint32_t igb_read_icr(IgbCore *core)
{
    uint32_t icr = core->mac[R(IGB_ICR)];

    if (icr & core->mac[R(IGB_IMS)]) {
        icr |= IGB_ICR_INT_ASSERTED;
    }
    if (!igb_msix_mode(core) || (core->mac[R(IGB_GPIE)] & IGB_GPIE_NSICR)) {
        if (icr & IGB_ICR_INT_ASSERTED) {
            core->mac[R(IGB_IMS)] &= ~core->mac[R(IGB_IAM)];
        }
        core->mac[R(IGB_ICR)] = 0;
        igb_update_intx(core);
    }
    return icr;
}

/* EEPROM */
static void igb_eeprom_init(IgbCore *core, const uint8_t *mac)
{
    uint16_t *w = core->eeprom;
    uint16_t sum = 0;
    int i;

    for (i = 0; i < IGB_EEPROM_WORDS; i++) {
        w[i] = i <= IGB_EEPROM_CSUM_WORD ? 0 : 0xFFFF;
    }
    w[0x00] = mac[0] | (mac[1] << 8);
    w[0x01] = mac[2] | (mac[3] << 8);
    w[0x02] = mac[4] | (mac[5] << 8);
    w[0x05] = 0x1071;           /* image version 1.7, id 1 */
    w[0x08] = 0xE114;           /* PBA number E11432-001 */
    w[0x09] = 0x3200;
    w[0x0A] = 0x2C01;           /* init control 1: no flash config */
    w[0x0B] = core->subsys;
    w[0x0C] = core->subsys_ven;
    w[0x0D] = 0x10C9;
    w[0x0E] = 0x8086;
    w[0x0F] = 0x3000;           /* init control 2: symmetric+asym pause */
    w[0x24] = 0x0400;           /* init control 3 port A: APM enable */
    w[0x37] = 0xFFFF;           /* no alternate MAC address */
    for (i = 0; i < IGB_EEPROM_CSUM_WORD; i++) {
        sum += w[i];
    }
    w[IGB_EEPROM_CSUM_WORD] = IGB_EEPROM_SUM - sum;
}

static void igb_eerd_write(IgbCore *core, uint32_t val, bool write)
{
    uint32_t addr = (val >> IGB_EERW_ADDR_SHIFT) & IGB_EERW_ADDR_MASK;
    uint32_t reg = write ? IGB_EEWR : IGB_EERD;
    uint16_t data = 0;

    if (!(val & IGB_EERW_START)) {
        core->mac[R(reg)] = val & ~IGB_EERW_DONE;
        return;
    }
    if (addr >= IGB_EEPROM_WORDS) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "igb: EEPROM %s of word 0x%x beyond %u words\n",
                      write ? "write" : "read", addr, IGB_EEPROM_WORDS);
    } else if (write) {
        data = val >> IGB_EERW_DATA_SHIFT;
        core->eeprom[addr] = data;
        igb_nvm_word_written(core, addr);
    } else {
        data = core->eeprom[addr];
    }
    trace_igb_eeprom(write, addr, data);
    core->mac[R(reg)] = (addr << IGB_EERW_ADDR_SHIFT) |
                        ((uint32_t)data << IGB_EERW_DATA_SHIFT) |
                        IGB_EERW_DONE;
}

static void igb_eecd_write(IgbCore *core, uint32_t val)
{
    uint32_t keep = IGB_EECD_PRES | IGB_EECD_AUTO_RD | IGB_EECD_ADDR_BITS |
                    (0xF << IGB_EECD_SIZE_SHIFT);
    uint32_t rw = IGB_EECD_SK | IGB_EECD_CS | IGB_EECD_DI | IGB_EECD_REQ;
    uint32_t old = core->mac[R(IGB_EECD)];
    uint32_t eecd = (old & keep) | (val & rw);

    /* the NVM is always free for software to take */
    if (eecd & IGB_EECD_REQ) {
        eecd |= IGB_EECD_GNT;
    }
    core->mac[R(IGB_EECD)] = eecd;
    igb_nvm_eecd_write(core, old, eecd);
}

/* PHY (the 82576's internal IGP-style PHY, at MDIO address 1) */
static bool igb_link_up(IgbCore *core)
{
    return !qemu_get_queue(core->nic)->link_down;
}

static void igb_phy_reset(IgbCore *core)
{
    memset(core->phy, 0, sizeof(core->phy));
    core->phy[IGB_PHY_CTRL] = IGB_PHY_CTRL_AN_EN | IGB_PHY_CTRL_FD |
                              IGB_PHY_CTRL_SPD_MSB;
    core->phy[IGB_PHY_ID1] = IGB_PHY_ID >> 16;
    core->phy[IGB_PHY_ID2] = IGB_PHY_ID & 0xFFFF;
    core->phy[IGB_PHY_AUTONEG_ADV] = 0x0DE1;
    core->phy[IGB_PHY_1000T_CTRL] = 0x0300;
    core->phy[IGB_PHY_EXT_STATUS] = 0x3000;
    core->phy[IGB_PHY_PORT_CONFIG] = 0x0002;
    core->phy[IGB_PHY_POWER_MGMT] = 0x0000;
}

static uint16_t igb_phy_read(IgbCore *core, int reg)
{
    bool up = igb_link_up(core);

    switch (reg) {
    case IGB_PHY_STATUS:
        return 0x7949 | (up ? IGB_PHY_STATUS_LINK | IGB_PHY_STATUS_AN_DONE : 0);
    case IGB_PHY_LP_ABILITY:
        return up ? 0xC5E1 : 0;
    case IGB_PHY_AUTONEG_EXP:
        return up ? 0x000D : 0x0004;
    case IGB_PHY_1000T_STATUS:
        return up ? 0x3C00 : 0;
    case IGB_PHY_PORT_STATUS:
        /* 1000 Mb/s, full duplex, link, autoneg complete */
        return up ? 0xC000 | BIT(9) | BIT(10) | BIT(12) : 0;
    default:
        return core->phy[reg];
    }
}

static void igb_phy_write(IgbCore *core, int reg, uint16_t val)
{
    switch (reg) {
    case IGB_PHY_CTRL:
        if (val & IGB_PHY_CTRL_RESET) {
            igb_phy_reset(core);
            val &= ~IGB_PHY_CTRL_RESET;
        }
        /* autonegotiation completes at once: the link partner is ideal */
        core->phy[reg] = val & ~IGB_PHY_CTRL_RESTART_AN;
        break;
    case IGB_PHY_STATUS:
    case IGB_PHY_ID1:
    case IGB_PHY_ID2:
    case IGB_PHY_LP_ABILITY:
    case IGB_PHY_AUTONEG_EXP:
    case IGB_PHY_1000T_STATUS:
    case IGB_PHY_EXT_STATUS:
    case IGB_PHY_PORT_STATUS:
        break;
    default:
        core->phy[reg] = val;
    }
}

static void igb_mdic_write(IgbCore *core, uint32_t val)
{
    uint32_t reg = (val >> IGB_MDIC_REG_SHIFT) & IGB_MDIC_REG_MASK;
    uint32_t phy = (val >> IGB_MDIC_PHY_SHIFT) & IGB_MDIC_PHY_MASK;
    uint32_t op = val & IGB_MDIC_OP_MASK;
    uint32_t res = val & ~(IGB_MDIC_READY | IGB_MDIC_ERROR);

    if (phy != IGB_PHY_ADDR) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: MDIC access to PHY address %u\n",
                      phy);
        res |= IGB_MDIC_ERROR;
    } else if (op == IGB_MDIC_OP_READ) {
        res = (res & ~IGB_MDIC_DATA_MASK) | igb_phy_read(core, reg);
        trace_igb_mdic_read(reg, res & IGB_MDIC_DATA_MASK);
    } else if (op == IGB_MDIC_OP_WRITE) {
        igb_phy_write(core, reg, val & IGB_MDIC_DATA_MASK);
        trace_igb_mdic_write(reg, val & IGB_MDIC_DATA_MASK);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: MDIC with invalid opcode\n");
        res |= IGB_MDIC_ERROR;
    }
    core->mac[R(IGB_MDIC)] = res | IGB_MDIC_READY;
    if (val & IGB_MDIC_INT_EN) {
        igb_raise_icr(core, IGB_ICR_MDAC);
    }
}

/* Link */
static void igb_update_link_regs(IgbCore *core)
{
    uint32_t *status = &core->mac[R(IGB_STATUS)];

    if (igb_link_up(core)) {
        *status |= IGB_STATUS_LU | IGB_STATUS_FD | IGB_STATUS_SPEED_1000;
    } else {
        *status &= ~IGB_STATUS_LU;
    }
}

void igb_core_set_link_status(IgbCore *core)
{
    bool was = core->mac[R(IGB_STATUS)] & IGB_STATUS_LU;

    igb_update_link_regs(core);
    if (was != !!(core->mac[R(IGB_STATUS)] & IGB_STATUS_LU)) {
        trace_igb_link(!was);
        igb_raise_icr(core, IGB_ICR_LSC);
    }
    if (!was) {
        igb_rx_kick(core);
    }
}

/*
 * IEEE 1588 clock
 *
 * Every TIMINCA.incperiod * 16 ns, SYSTIM grows by TIMINCA.incvalue.
 */
static uint64_t igb_systim_now(IgbCore *core)
{
    uint32_t inca = core->mac[R(IGB_TIMINCA)];
    uint64_t period_ns = (uint64_t)((inca >> 24) & 0xFF) * 16;
    uint64_t incvalue = inca & 0xFFFFFF;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (!period_ns) {
        return core->systim_base;
    }
    return core->systim_base +
           ((uint64_t)(now - core->systim_ns) / period_ns) * incvalue;
}

static void igb_systim_set(IgbCore *core, uint64_t v)
{
    core->systim_base = v;
    core->systim_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * Time stamps: the first stamped frame latches SYSTIM in TXSTMP/RXSTMP and
 * sets VALID; no other frame is stamped until software reads the high word.
 */
bool igb_ptp_stamp(IgbCore *core, bool tx)
{
    uint32_t ctl = tx ? IGB_TSYNCTXCTL : IGB_TSYNCRXCTL;
    uint32_t lo = tx ? IGB_TXSTMPL : IGB_RXSTMPL;
    uint64_t now;

    if (!(core->mac[R(ctl)] & IGB_TSYNC_ENABLED) ||
        (core->mac[R(ctl)] & IGB_TSYNC_VALID)) {
        return false;
    }
    now = igb_systim_now(core);
    core->mac[R(lo)] = now;
    core->mac[R(lo) + 1] = now >> 32;
    core->mac[R(ctl)] |= IGB_TSYNC_VALID;
    trace_igb_ptp_stamp(tx, now);
    return true;
}

/* Which RAR entries hold an address (RAH.AV): the filters loop over these */
static void igb_rar_update(IgbCore *core)
{
    core->rar_av = 0;
    for (int i = 0; i < IGB_NUM_RAR; i++) {
        if (core->mac[R(igb_rar_offset(i)) + 1] & IGB_RAH_AV) {
            core->rar_av |= BIT(i);
        }
    }
}

/* Reset */
static void igb_rings_drop(IgbCore *core);

static void igb_mac_reset(IgbCore *core)
{
    uint32_t pvf[IGB_NUM_POOLS * IGB_PVF_STRIDE / 4];
    int q;

    igb_rings_drop(core);

    for (int v = 0; v < IGB_NUM_EITR; v++) {
        timer_del(core->eitr[v].timer);
    }
    core->eitr_armed = 0;
    core->eitr_pending = 0;
    /*
     * The per-pool (VF) statistics survive a PF reset: igbvf keeps its own
     * baselines and would see a reset as a 32-bit wrap.
     */
    memcpy(pvf, &core->mac[R(IGB_PVF_BASE)], sizeof(pvf));
    memset(core->mac, 0, sizeof(core->mac));
    memcpy(&core->mac[R(IGB_PVF_BASE)], pvf, sizeof(pvf));

    core->mac[R(IGB_CTRL)] = IGB_CTRL_FD | IGB_CTRL_SLU | BIT(9) /* 1000 */;
    core->mac[R(IGB_STATUS)] = IGB_STATUS_GIO_MASTER | IGB_STATUS_PF_RST_DONE;
    core->mac[R(IGB_EECD)] = IGB_EECD_PRES | IGB_EECD_AUTO_RD |
                             IGB_EECD_ADDR_BITS | (4 << IGB_EECD_SIZE_SHIFT);
    core->mac[R(IGB_EEMNGCTL)] = IGB_EEMNGCTL_CFG_DONE0;
    core->mac[R(IGB_LEDCTL)] = 0x07068302;
    core->mac[R(IGB_VET)] = 0x88A88100;
    core->mac[R(IGB_TCTL)] = IGB_TCTL_PSP | (0xF << 4) | (0x40 << 12);
    core->mac[R(IGB_TIPG)] = 0x00600808;
    core->mac[R(IGB_PBA)] = 0x00000040;
    core->mac[R(IGB_RXPBS)] = 0x00000040;
    core->mac[R(IGB_TXPBS)] = 0x00000028;
    core->mac[R(IGB_RXCSUM)] = 0x00000300;
    core->mac[R(IGB_RLPML)] = 0x00002600;
    core->mac[R(IGB_MDICNFG)] = 0;
    core->mac[R(IGB_GCR)] = BIT(18);    /* GCR capability version 2 */
    core->mac[R(IGB_FCTTV)] = 0;
    core->mac[R(IGB_MANC)] = 0;

    for (q = 0; q < IGB_NUM_QUEUES; q++) {
        /* 2 KiB buffers, legacy descriptors, only queue 0 enabled */
        core->mac[R(IGB_SRRCTL(q))] = 2;
        core->mac[R(IGB_RXDCTL(q))] = (q ? 0 : IGB_QDCTL_ENABLE) | BIT(16);
        core->mac[R(IGB_TXDCTL(q))] = q ? 0 : IGB_QDCTL_ENABLE;
    }

    /* the hardware loads RAR[0] from the EEPROM */
    core->mac[R(IGB_RA)] = core->eeprom[0] | ((uint32_t)core->eeprom[1] << 16);
    core->mac[R(IGB_RA + 4)] = core->eeprom[2] | IGB_RAH_AV;
    igb_rar_update(core);

    igb_update_link_regs(core);
    igb_systim_set(core, 0);
    memset(core->rttbcnrc, 0, sizeof(core->rttbcnrc));
    igb_tx_reset(core);
    igb_sriov_pf_reset(core);
    core->intx_level = false;
    pci_set_irq(core->fn[IGB_PF_FN], 0);
}

void igb_core_reset(IgbCore *core)
{
    igb_phy_reset(core);
    igb_mac_reset(core);
    igb_rx_reset(core);
    /* a device (not software) reset clears the per-pool statistics too */
    memset(&core->mac[R(IGB_PVF_BASE)], 0,
           IGB_NUM_POOLS * IGB_PVF_STRIDE);
}

static void igb_ctrl_write(IgbCore *core, uint32_t val)
{
    if (val & (IGB_CTRL_RST | IGB_CTRL_DEV_RST)) {
        trace_igb_reset();
        igb_mac_reset(core);
        return;
    }
    if (val & IGB_CTRL_PHY_RST) {
        igb_phy_reset(core);
    }
    core->mac[R(IGB_CTRL)] = val & ~(IGB_CTRL_RST | IGB_CTRL_DEV_RST |
                                     IGB_CTRL_PHY_RST);
    /* GIO master disable: no DMA is ever left in flight, so done at once */
    if (val & IGB_CTRL_GIO_MASTER_DIS) {
        core->mac[R(IGB_STATUS)] &= ~IGB_STATUS_GIO_MASTER;
    } else {
        core->mac[R(IGB_STATUS)] |= IGB_STATUS_GIO_MASTER;
    }
}

/*
 * Features a guest can turn on in registers kept as plain storage, which
 * the model does not carry out: LOG_UNIMP says so once, when a write first
 * sets one of their bits.
 */
static const struct {
    uint32_t off;
    uint32_t bits;
    const char *what;
} igb_unmodelled[] = {
    { IGB_FCRTL, BIT(31), "sending XON/XOFF pause frames (FCRTL.XONE)" },
    { IGB_MANC, 0x00FE2000, "manageability (MANC: TCO, ARP, MNG2HOST)" },
    { IGB_TCPTIMER, 0x00000300, "the TCP timer interrupt (TCPTIMER)" },
    { IGB_WUFC, IGB_WUFC_UNMODELLED, "ARP, IP and flexible wake-up filters" },
};

static void igb_unmodelled_check(IgbCore *core, uint32_t off, uint32_t old,
                                 uint32_t val)
{
    for (int i = 0; i < ARRAY_SIZE(igb_unmodelled); i++) {
        if (igb_unmodelled[i].off == off &&
            (val & ~old & igb_unmodelled[i].bits) &&
            !(core->unimp_said & BIT(i))) {
            core->unimp_said |= BIT(i);
            qemu_log_mask(LOG_UNIMP, "igb: not modelled: %s\n",
                          igb_unmodelled[i].what);
        }
    }
}

/* An unknown register: said once per offset */
static void igb_unknown_reg(IgbCore *core, uint32_t off, bool write,
                            uint32_t val)
{
    if (!test_and_set_bit(off / 4, core->unimp_regs)) {
        qemu_log_mask(LOG_UNIMP, "igb: %s register 0x%05x (value 0x%08x) is"
                      " not modelled; said once\n",
                      write ? "write to" : "read of", off, val);
    }
}

/* Descriptor rings */
void igb_ring_drop(IgbRing *r)
{
    if (r->open) {
        address_space_cache_destroy(&r->cache);
        r->open = false;
    }
}

void igb_ring_use(IgbRing *r, PCIDevice *dev, dma_addr_t base, hwaddr len)
{
    AddressSpace *as = pci_get_address_space(dev);
    int64_t got = 0;

    if (r->open && r->dev == dev && r->base == base && r->want == len &&
        r->cache.fv == address_space_to_flatview(as)) {
        return;
    }
    igb_ring_drop(r);
    r->dev = dev;
    r->base = base;
    r->want = len;
    address_space_cache_init_empty(&r->cache);
    if (len) {
        got = address_space_cache_init(&r->cache, as, base, len, true);
    }
    r->len = MAX(got, 0);
    r->open = true;
}

static void igb_rings_drop(IgbCore *core)
{
    for (int q = 0; q < IGB_NUM_QUEUES; q++) {
        igb_ring_drop(&core->txr[q]);
        igb_ring_drop(&core->rxr[q]);
    }
}

MemTxResult igb_ring_read(IgbRing *r, hwaddr off, void *buf, hwaddr n)
{
    if (off + n <= r->len) {
        return address_space_read_cached(&r->cache, off, buf, n);
    }
    return pci_dma_read(r->dev, r->base + off, buf, n);
}

void igb_ring_write(IgbRing *r, hwaddr off, const void *buf, hwaddr n)
{
    if (off + n <= r->len) {
        address_space_write_cached(&r->cache, off, buf, n);
    } else {
        pci_dma_write(r->dev, r->base + off, buf, n);
    }
}

uint32_t igb_csum(const uint8_t *p, size_t len)
{
    uint64_t sum = 0;
    size_t i = 0;

    /*
     * Little-endian words, byte-swapped at the end: the one's complement
     * sum does not care where the bytes of a word are added (RFC 1071).
     */
    for (; i + 8 <= len; i += 8) {
        uint64_t v = ldq_le_p(p + i);

        sum += (uint32_t)v;
        sum += v >> 32;
    }
    for (; i + 2 <= len; i += 2) {
        sum += lduw_le_p(p + i);
    }
    if (i < len) {
        sum += p[i];
    }
    while (sum >> 16) {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    return bswap16(sum);
}

/* 16-bit one's complement sum of the IPv4/IPv6 pseudo header */
static uint32_t igb_pseudo_sum(const uint8_t *l3, bool v6, uint8_t proto,
                               uint32_t l4len)
{
    uint32_t sum = v6 ? igb_csum(l3 + 8, 32) : igb_csum(l3 + 12, 8);

    return sum + proto + (l4len >> 16) + (l4len & 0xFFFF);
}

int igb_segment(const uint8_t *frame, size_t len,
                const struct virtio_net_hdr *vh, unsigned first,
                IgbSegmentFn *out, void *opaque)
{
    size_t l3off = igb_l2_len(frame);
    size_t l4off = vh->csum_start;
    uint8_t gso = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    bool udp = gso == VIRTIO_NET_HDR_GSO_UDP;
    bool v6, last = false;
    size_t hdr_len = udp ? l4off + sizeof(struct udp_header) : vh->hdr_len;
    size_t mss = vh->gso_size;
    size_t payload, off;
    uint16_t ip_id;
    uint32_t seq = 0;
    uint8_t flags = 0;
    unsigned i;
    g_autofree uint8_t *seg = NULL;

    if (l3off >= len || l4off <= l3off || hdr_len > len || !mss ||
        l4off + (udp ? 8 : 20) > hdr_len) {
        return -1;
    }
    v6 = gso == VIRTIO_NET_HDR_GSO_TCPV6 || (udp && (frame[l3off] >> 4) == 6);
    payload = len - hdr_len;
    ip_id = v6 ? 0 : lduw_be_p(frame + l3off + 4);
    if (!udp) {
        seq = ldl_be_p(frame + l4off + 4);
        flags = frame[l4off + 13];
    }
    seg = g_malloc(hdr_len + MIN(mss, payload));

    for (i = first, off = (size_t)first * mss; !last; i++, off += mss) {
        size_t n = off < payload ? MIN(mss, payload - off) : 0;
        uint8_t *l3 = seg + l3off, *l4 = seg + l4off;
        uint32_t l4len = hdr_len - l4off + n;
        uint32_t sum;
        struct iovec iov = { .iov_base = seg, .iov_len = hdr_len + n };

        last = off + n >= payload;
        if (off && off >= payload) {
            break;      /* @first was past the end */
        }
        memcpy(seg, frame, hdr_len);
        memcpy(seg + hdr_len, frame + hdr_len + off, n);
        if (v6) {
            stw_be_p(l3 + 4, hdr_len - l3off - 40 + n);
        } else {
            stw_be_p(l3 + 2, hdr_len - l3off + n);
            stw_be_p(l3 + 4, ip_id + i);
            stw_be_p(l3 + 10, 0);
            /* (IHL as far as the L4 header: a backend's may not agree) */
            stw_be_p(l3 + 10, net_checksum_finish(
                     igb_csum(l3, MIN((l3[0] & 0xF) * 4, l4off - l3off))));
        }
        if (udp) {
            stw_be_p(l4 + 4, l4len);
            stw_be_p(l4 + 6, 0);
            sum = igb_pseudo_sum(l3, v6, IP_PROTO_UDP, l4len) +
                  igb_csum(l4, l4len);
            stw_be_p(l4 + 6, net_checksum_finish_nozero(sum));
        } else {
            stl_be_p(l4 + 4, seq + off);
            l4[13] = flags & ~((last ? 0 : TH_FIN | TH_PUSH) |
                               (i ? TH_CWR : 0));
            stw_be_p(l4 + 16, 0);
            sum = igb_pseudo_sum(l3, v6, IP_PROTO_TCP, l4len) +
                  igb_csum(l4, l4len);
            stw_be_p(l4 + 16, net_checksum_finish(sum));
        }
        if (!out(opaque, &iov)) {
            return i;
        }
    }
    return i;
}

/* Register access */
static uint32_t igb_reg_read(IgbCore *core, uint32_t off)
{
    int idx = R(off);
    uint32_t val = core->mac[idx];

    switch ((IgbRegKind)igb_reg_kind[idx]) {
    case IGB_K_NONE:
        igb_unknown_reg(core, off, false, 0);
        return 0;
    case IGB_K_STAT:
        core->mac[idx] = 0;
        return val;
    case IGB_K_ICR:
        return igb_read_icr(core);
    case IGB_K_EICR:
        core->mac[idx] = 0;
        return val;
    case IGB_K_ICS:
    case IGB_K_IMC:
    case IGB_K_EICS:
    case IGB_K_EIMC:
    case IGB_K_WO:
        return 0;
    case IGB_K_EIMS:
    case IGB_K_IMS:
        return val;
    case IGB_K_EECD:
        return igb_nvm_eecd_read(core, val);
    case IGB_K_SWSM:
        /* reading takes the software semaphore */
        core->mac[idx] |= IGB_SWSM_SMBI;
        return val;
    case IGB_K_SYSTIML: {
        uint64_t t = igb_systim_now(core);
        core->systimh_latch = t >> 32;
        return (uint32_t)t;
    }
    case IGB_K_SYSTIMH:
        return core->systimh_latch;
    case IGB_K_P2VMBX:
        return igb_p2vmailbox_read(core, (off - IGB_P2VMAILBOX(0)) / 4);
    case IGB_K_RTTBCNRC:
        return core->rttbcnrc[core->mac[R(IGB_RTTDQSEL)] & 0xF];
    case IGB_K_TSTAMPH:
        core->mac[R(off == IGB_TXSTMPH ? IGB_TSYNCTXCTL : IGB_TSYNCRXCTL)] &=
            ~IGB_TSYNC_VALID;
        return val;
    default:
        return val;
    }
}

static void igb_reg_write(IgbCore *core, uint32_t off, uint32_t val)
{
    int idx = R(off);
    uint32_t old = core->mac[idx];
    uint32_t masked = (old & ~igb_reg_wmask[idx]) | (val & igb_reg_wmask[idx]);

    switch ((IgbRegKind)igb_reg_kind[idx]) {
    case IGB_K_NONE:
        igb_unknown_reg(core, off, true, val);
        break;
    case IGB_K_RO:
    case IGB_K_STAT:
    case IGB_K_STATUS:
        break;
    case IGB_K_RAH:
        core->mac[idx] = masked;
        igb_rar_update(core);
        break;
    case IGB_K_RW:
        core->mac[idx] = masked;
        if (masked & ~old) {
            igb_unmodelled_check(core, off, old, masked);
        }
        if (off == IGB_LEDCTL && masked != old) {
            trace_igb_ledctl(old, masked);
        }
        break;
    case IGB_K_CTRL:
        igb_ctrl_write(core, val);
        break;
    case IGB_K_CTRL_EXT:
        core->mac[idx] = val & ~BIT(13) /* EE_RST self-clears */;
        if ((val & ~old) & IGB_CTRL_EXT_PFRSTD) {
            igb_sriov_pfrstd(core);
        }
        break;
    case IGB_K_EECD:
        igb_eecd_write(core, val);
        break;
    case IGB_K_EERD:
        igb_eerd_write(core, val, false);
        break;
    case IGB_K_EEWR:
        igb_eerd_write(core, val, true);
        break;
    case IGB_K_MDIC:
        igb_mdic_write(core, val);
        break;
    case IGB_K_ICR:
        core->mac[idx] &= ~val;
        igb_update_intx(core);
        break;
    case IGB_K_ICS:
        igb_raise_icr(core, val & IGB_ICR_WRITABLE);
        break;
    case IGB_K_IMS:
        core->mac[R(IGB_IMS)] |= val;
        igb_icr_changed(core, core->mac[R(IGB_ICR)] & val);
        break;
    case IGB_K_IMC:
        core->mac[R(IGB_IMS)] &= ~val;
        igb_update_intx(core);
        break;
    case IGB_K_EICR:
        core->mac[idx] &= ~val;
        break;
    case IGB_K_EICS:
        igb_eicr_set(core, val & IGB_VEC_BITS);
        break;
    case IGB_K_EIMS: {
        uint32_t newly = val & IGB_VEC_BITS & ~core->mac[R(IGB_EIMS)];
        core->mac[R(IGB_EIMS)] |= val & IGB_VEC_BITS;
        if (igb_msix_mode(core)) {
            igb_eicr_set(core, core->mac[R(IGB_EICR)] & newly);
        }
        break;
    }
    case IGB_K_EIMC:
        core->mac[R(IGB_EIMS)] &= ~val;
        break;
    case IGB_K_EITR:
        core->mac[idx] = val & ~BIT(31);    /* CNT_IGNR is write-only */
        break;
    case IGB_K_RCTL:
        core->mac[idx] = val;
        if ((val & IGB_RCTL_EN) && !(old & IGB_RCTL_EN)) {
            igb_rx_kick(core);
        }
        break;
    case IGB_K_TCTL:
        core->mac[idx] = val;
        if (val & IGB_TCTL_EN) {
            for (int q = 0; q < IGB_NUM_QUEUES; q++) {
                igb_tx_schedule(core, q);
            }
        }
        break;
    case IGB_K_RDT:
        core->mac[idx] = masked;
        igb_rx_kick(core);
        break;
    case IGB_K_TDT:
        core->mac[idx] = masked;
        igb_tx_schedule(core, igb_queue_of(off));
        break;
    case IGB_K_RXDCTL:
        core->mac[idx] = masked & ~IGB_QDCTL_SWFLUSH;
        if (masked & IGB_QDCTL_ENABLE) {
            igb_rx_kick(core);
        }
        break;
    case IGB_K_TXDCTL:
        if (core->mac[idx] & ~masked & IGB_QDCTL_ENABLE) {
            igb_tx_queue_disabled(core, igb_queue_of(off));
        }
        core->mac[idx] = masked & ~IGB_QDCTL_SWFLUSH;
        if (masked & IGB_QDCTL_ENABLE) {
            igb_tx_schedule(core, igb_queue_of(off));
        }
        break;
    case IGB_K_SWSM:
        core->mac[idx] = masked;
        break;
    case IGB_K_SYSTIML:
        igb_systim_set(core, (igb_systim_now(core) & ~0xFFFFFFFFULL) | val);
        break;
    case IGB_K_SYSTIMH:
        igb_systim_set(core, (igb_systim_now(core) & 0xFFFFFFFFULL) |
                             ((uint64_t)val << 32));
        break;
    case IGB_K_TIMINCA:
        igb_systim_set(core, igb_systim_now(core));
        core->mac[idx] = val;
        break;
    case IGB_K_TIMADJH: {
        /* TIMADJ: a signed adjustment applied once, sign in bit 31 of H */
        uint64_t adj = ((uint64_t)(val & 0x7FFFFFFF) << 32) |
                       core->mac[R(IGB_TIMADJL)];
        uint64_t t = igb_systim_now(core);
        igb_systim_set(core, (val & BIT(31)) ? t - adj : t + adj);
        core->mac[idx] = val;
        break;
    }
    case IGB_K_W1C:
        core->mac[idx] &= ~val;
        break;
    case IGB_K_P2VMBX:
        igb_p2vmailbox_write(core, (off - IGB_P2VMAILBOX(0)) / 4, val);
        break;
    case IGB_K_RTTBCNRC: {
        int q = core->mac[R(IGB_RTTDQSEL)] & 0xF;

        core->rttbcnrc[q] = val & (IGB_RTTBCNRC_RS_ENA |
                                   (IGB_RTTBCNRC_RF_INT_MASK <<
                                    IGB_RTTBCNRC_RF_INT_SHIFT) |
                                   IGB_RTTBCNRC_RF_DEC_MASK);
        igb_tx_rate_changed(core, q);
        break;
    }
    case IGB_K_TSTAMPH:
    case IGB_K_WO:
    case IGB_K__MAX:
        break;
    }
}

uint32_t igb_core_reg_read(IgbCore *core, uint32_t off)
{
    return igb_reg_read(core, off);
}

void igb_core_reg_write(IgbCore *core, uint32_t off, uint32_t val)
{
    igb_reg_write(core, off, val);
}

uint64_t igb_core_read(IgbCore *core, hwaddr addr, unsigned size)
{
    uint32_t off = igb_canonical_offset(addr & ~3);
    uint32_t val;

    if (off >= IGB_MMIO_SIZE) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: read of unknown register 0x%05"
                      HWADDR_PRIx "\n", addr);
        return 0;
    }
    val = igb_reg_read(core, off);
    trace_igb_reg_read(off, val);
    return val;
}

void igb_core_write(IgbCore *core, hwaddr addr, uint64_t val, unsigned size)
{
    uint32_t off = igb_canonical_offset(addr & ~3);

    if (off >= IGB_MMIO_SIZE) {
        qemu_log_mask(LOG_GUEST_ERROR, "igb: write of unknown register 0x%05"
                      HWADDR_PRIx "\n", addr);
        return;
    }
    trace_igb_reg_write(off, val);
    igb_reg_write(core, off, val);
}

/* Life cycle */
/* The VM runs again: the work register writes asked for meanwhile */
static void igb_core_vm_state(void *opaque, bool running, RunState state)
{
    IgbCore *core = opaque;

    if (running) {
        if (core->tx_pending) {
            qemu_bh_schedule(core->tx_bh);
        }
        qemu_bh_schedule(core->rx_bh);
    }
}

void igb_core_init(IgbCore *core, PCIDevice *pf, NICState *nic,
                   const uint8_t *macaddr)
{
    igb_build_reg_table();
    core->fn[IGB_PF_FN] = pf;
    core->nic = nic;
    memcpy(core->permanent_mac, macaddr, ETH_ALEN);
    /* the EEPROM is non-volatile: written once, kept across resets */
    igb_eeprom_init(core, macaddr);
    core->nvm_fd = -1;
    for (int v = 0; v < IGB_NUM_EITR; v++) {
        core->eitr[v].core = core;
        core->eitr[v].vec = v;
        core->eitr[v].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                           igb_eitr_expired, &core->eitr[v]);
    }
    igb_tx_init(core);
    igb_rx_init(core);
    igb_sriov_init(core);
    core->vm_change = qemu_add_vm_change_state_handler(igb_core_vm_state,
                                                       core);
}

void igb_core_uninit(IgbCore *core)
{
    qemu_del_vm_change_state_handler(core->vm_change);
    igb_rings_drop(core);
    for (int v = 0; v < IGB_NUM_EITR; v++) {
        timer_free(core->eitr[v].timer);
    }
    igb_tx_uninit(core);
    igb_rx_uninit(core);
    igb_sriov_uninit(core);
    igb_nvm_close(core);
}

/*
 * A stream is checked as a guest's writes are: what no guest can set (a
 * queue or vector beyond the device's, more VFs than the PF enabled) is
 * dropped, since each of them indexes an array.
 */
static void igb_core_sanitize(IgbCore *core)
{
    uint16_t vfs = pcie_sriov_num_vfs(core->fn[IGB_PF_FN]);

    core->tx_pending &= MAKE_64BIT_MASK(0, IGB_NUM_QUEUES);
    core->eitr_armed &= IGB_VEC_BITS;
    core->eitr_pending &= IGB_VEC_BITS;
    core->mac[R(IGB_EIMS)] &= IGB_VEC_BITS;
    core->mac[R(IGB_EIAC)] &= IGB_VEC_BITS;
    core->mac[R(IGB_EIAM)] &= IGB_VEC_BITS;
    /* it follows the PF's SR-IOV control, which is loaded first */
    core->num_vfs = MIN(vfs, IGB_TOTAL_VFS);
}

void igb_core_post_load(IgbCore *core)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    igb_core_sanitize(core);
    /*
     * The cable goes with the NIC: the link is as the source last saw it
     * (set_link on the destination changes it, with LSC, as it would
     * have there), so STATUS, the PHY and the transmit path agree.
     */
    qemu_get_queue(core->nic)->link_down =
        !(core->mac[R(IGB_STATUS)] & IGB_STATUS_LU);
    /* the EEPROM image goes with it too, into this host's eeprom-file */
    igb_nvm_sync(core);
    igb_rar_update(core);

    /* moderation windows restart; pending interrupts are sent at once */
    for (int v = 0; v < IGB_NUM_EITR; v++) {
        if (core->eitr_armed & BIT(v)) {
            timer_mod(core->eitr[v].timer, now);
        }
    }
    igb_update_intx(core);
    /* TDT written, then the source stopped before its bottom half ran */
    if (core->tx_pending) {
        qemu_bh_schedule(core->tx_bh);
    }
}

static const VMStateDescription vmstate_igb_tx_ctx = {
    .name = "igb-tx-ctx",
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(vlan_macip_lens, IgbTxContext),
        VMSTATE_UINT32(seqnum_seed, IgbTxContext),
        VMSTATE_UINT32(type_tucmd_mlhl, IgbTxContext),
        VMSTATE_UINT32(mss_l4len_idx, IgbTxContext),
        VMSTATE_END_OF_LIST()
    },
    .version_id = 1,
    .minimum_version_id = 1,
};

/*
 * A frame half-gathered (the guest moved TDT into the middle of it): the
 * destination starts it again from its first descriptor, TDH moved back
 * there.  Its descriptors' write-backs may happen twice; nothing else
 * shows.
 */
static bool igb_txq_partial_needed(void *opaque)
{
    return ((IgbTxQueue *)opaque)->in_frame;
}

static int igb_txq_partial_post_load(void *opaque, int version_id)
{
    IgbTxQueue *txq = opaque;
    IgbCore *core = txq->core;

    if (txq->in_frame) {
        txq->in_frame = false;
        core->mac[R(IGB_TDH(txq->index))] = txq->frame_head;
    }
    return 0;
}

static const VMStateDescription vmstate_igb_txq_partial = {
    .name = "igb-txq/partial-frame",
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(in_frame, IgbTxQueue),
        VMSTATE_UINT32(frame_head, IgbTxQueue),
        VMSTATE_END_OF_LIST()
    },
    .needed = igb_txq_partial_needed,
    .post_load = igb_txq_partial_post_load,
    .version_id = 1,
    .minimum_version_id = 1,
};

/* A rate-limited queue: its byte credit and the wait for more */
static bool igb_txq_rate_needed(void *opaque)
{
    IgbTxQueue *txq = opaque;

    return txq->core->rttbcnrc[txq->index] & IGB_RTTBCNRC_RS_ENA;
}

static const VMStateDescription vmstate_igb_txq_rate = {
    .name = "igb-txq/rate-limiter",
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(credit, IgbTxQueue),
        VMSTATE_INT64(credit_ns, IgbTxQueue),
        VMSTATE_TIMER_PTR(rl_timer, IgbTxQueue),
        VMSTATE_END_OF_LIST()
    },
    .needed = igb_txq_rate_needed,
    .version_id = 1,
    .minimum_version_id = 1,
};

/* Context slots always; the rest in subsections, when there is any */
static const VMStateDescription vmstate_igb_txq = {
    .name = "igb-txq",
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(ctx, IgbTxQueue, IGB_TX_CTX_SLOTS, 1,
                             vmstate_igb_tx_ctx, IgbTxContext),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_igb_txq_partial,
        &vmstate_igb_txq_rate,
        NULL
    },
    .version_id = 1,
    .minimum_version_id = 1,
};

static const VMStateDescription vmstate_igb_spi = {
    .name = "igb-spi",
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(bits, IgbSpi),
        VMSTATE_UINT32(shreg, IgbSpi),
        VMSTATE_UINT32(addr, IgbSpi),
        VMSTATE_UINT8(cmd, IgbSpi),
        VMSTATE_UINT8(out, IgbSpi),
        VMSTATE_BOOL(wel, IgbSpi),
        VMSTATE_END_OF_LIST()
    },
    .version_id = 1,
    .minimum_version_id = 1,
};

static bool igb_tx_pending_needed(void *opaque)
{
    IgbCore *core = opaque;

    return core->tx_pending != 0;
}

/* queues whose TDT was written while the VM stopped before they ran */
static const VMStateDescription vmstate_igb_tx_pending = {
    .name = "igb-core/tx-pending",
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(tx_pending, IgbCore),
        VMSTATE_END_OF_LIST()
    },
    .needed = igb_tx_pending_needed,
    .version_id = 1,
    .minimum_version_id = 1,
};

const VMStateDescription vmstate_igb_core = {
    .name = "igb-core",
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(mac, IgbCore, IGB_NREGS),
        VMSTATE_UINT16_ARRAY(phy, IgbCore, IGB_PHY_NREGS),
        VMSTATE_UINT16_ARRAY(eeprom, IgbCore, IGB_EEPROM_WORDS),
        VMSTATE_STRUCT(spi, IgbCore, 1, vmstate_igb_spi, IgbSpi),
        VMSTATE_UINT32(eitr_armed, IgbCore),
        VMSTATE_UINT32(eitr_pending, IgbCore),
        VMSTATE_BOOL(intx_level, IgbCore),
        VMSTATE_INT64(systim_ns, IgbCore),
        VMSTATE_UINT64(systim_base, IgbCore),
        VMSTATE_UINT32(systimh_latch, IgbCore),
        VMSTATE_STRUCT_ARRAY(txq, IgbCore, IGB_NUM_QUEUES, 1,
                             vmstate_igb_txq, IgbTxQueue),
        VMSTATE_STRUCT_ARRAY(vf, IgbCore, IGB_TOTAL_VFS, 1,
                             vmstate_igb_vf, IgbVf),
        VMSTATE_UINT8(num_vfs, IgbCore),
        VMSTATE_UINT32_ARRAY(rttbcnrc, IgbCore, IGB_NUM_QUEUES),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_igb_tx_pending,
        NULL
    },
    .version_id = 1,
    .minimum_version_id = 1,
};
