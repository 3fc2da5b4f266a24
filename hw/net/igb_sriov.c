/*
 * Intel 82576 (igb) emulation: virtualization.
 *
 * With SR-IOV on, the 8 pools each own two queue pairs (pool n: queues n and
 * n + 8).  Pools below NumVFs belong to VF n; the rest, and every queue when
 * no VF is enabled, belong to the PF.  This file holds:
 *  - ownership: which PCI function DMAs and interrupts for a queue;
 *  - a VF's register window: its CTRL/STATUS, its own interrupt registers
 *    (EICR/EICS/EIMS/EIMC/EIAC/EIAM, EITR, IVAR, IVAR_MISC), its mailbox,
 *    and its two queue pairs and statistics mapped onto the pool's state;
 *  - the PF<->VF mailboxes and VF resets.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "igb_core.h"
#include "trace.h"

#define R(off) ((off) >> 2)
#define IGB_VF_VEC_MASK ((1u << IGB_VF_MSIX_VECTORS) - 1)

bool igb_vmdq_enabled(IgbCore *core)
{
    uint32_t mode = core->mac[R(IGB_MRQC)] & IGB_MRQC_MODE_MASK;

    return mode == IGB_MRQC_MODE_VMDQ || mode == IGB_MRQC_MODE_VMDQ_RSS;
}

int igb_pf_pool(IgbCore *core)
{
    return (core->mac[R(IGB_VT_CTL)] >> IGB_VT_CTL_DEF_POOL_SHIFT) &
           IGB_VT_CTL_DEF_POOL_MASK;
}

int igb_queue_pool_vf(IgbCore *core, int queue)
{
    int pool = queue & (IGB_NUM_POOLS - 1);

    return pool < core->num_vfs ? pool : -1;
}

PCIDevice *igb_queue_owner(IgbCore *core, int queue)
{
    int vfn = igb_queue_pool_vf(core, queue);

    if (vfn >= 0 && core->fn[1 + vfn]) {
        return core->fn[1 + vfn];
    }
    return core->fn[IGB_PF_FN];
}

/* Send VF vector @v now (auto-clear, auto-mask), then hold it for VTEITR. */
static void igb_vf_send(IgbCore *core, int vfn, int v)
{
    IgbVf *vf = &core->vf[vfn];
    PCIDevice *d = core->fn[1 + vfn];
    uint32_t ns;

    if (!(vf->eicr & vf->eims & BIT(v))) {
        return;
    }
    vf->eicr &= ~(vf->eiac & BIT(v));
    vf->eims &= ~(vf->eiam & BIT(v));
    trace_igb_vf_irq(vfn, v);
    if (d && msix_enabled(d)) {
        msix_notify(d, v);
    }
    ns = ((vf->eitr[v] >> IGB_EITR_INTERVAL_SHIFT) &
          IGB_EITR_INTERVAL_MASK) * 1000;
    if (ns) {
        vf->eitr_armed |= BIT(v);
        timer_mod(vf->eitr_timer[v],
                  qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + ns);
    }
}

static void igb_vf_eitr_expired(void *opaque)
{
    IgbVf *vf = opaque;
    uint32_t due = vf->eitr_armed;
    bool guard = igb_guard_enter(vf->core);

    /* every VF vector shares this callback: finish the intervals that ended */
    for (int v = 0; v < IGB_VF_MSIX_VECTORS; v++) {
        if ((due & BIT(v)) && !timer_pending(vf->eitr_timer[v])) {
            vf->eitr_armed &= ~BIT(v);
            if (vf->eitr_pending & BIT(v)) {
                vf->eitr_pending &= ~BIT(v);
                igb_vf_send(vf->core, vf->index, v);
            }
        }
    }
    igb_guard_leave(vf->core, guard);
}

/* VF interrupts: set EICR bits, signal the enabled ones (moderated). */
static void igb_vf_signal(IgbCore *core, int vfn, uint32_t bits)
{
    IgbVf *vf = &core->vf[vfn];
    uint32_t fire;

    vf->eicr |= bits & IGB_VF_VEC_MASK;
    fire = bits & vf->eims & IGB_VF_VEC_MASK;
    while (fire) {
        int v = ctz32(fire);

        fire &= ~BIT(v);
        if ((vf->eitr_armed & BIT(v)) && !core->lli) {
            vf->eitr_pending |= BIT(v);
        } else {
            igb_vf_send(core, vfn, v);
        }
    }
}

void igb_sriov_init(IgbCore *core)
{
    for (int vfn = 0; vfn < IGB_TOTAL_VFS; vfn++) {
        IgbVf *vf = &core->vf[vfn];

        vf->core = core;
        vf->index = vfn;
        for (int v = 0; v < IGB_VF_MSIX_VECTORS; v++) {
            vf->eitr_timer[v] = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                             igb_vf_eitr_expired, vf);
        }
    }
}

void igb_sriov_uninit(IgbCore *core)
{
    for (int vfn = 0; vfn < IGB_TOTAL_VFS; vfn++) {
        for (int v = 0; v < IGB_VF_MSIX_VECTORS; v++) {
            timer_free(core->vf[vfn].eitr_timer[v]);
        }
    }
}

static void igb_vf_ivar_event(IgbCore *core, int vfn, uint8_t ent)
{
    if (!(ent & IGB_IVAR_VALID)) {
        return;
    }
    if ((ent & IGB_IVAR_VEC_MASK) >= IGB_VF_MSIX_VECTORS) {
        qemu_log_mask(LOG_GUEST_ERROR, "igbvf%d: IVAR names vector %u, a VF"
                      " has %u\n", vfn, ent & IGB_IVAR_VEC_MASK,
                      IGB_VF_MSIX_VECTORS);
        return;
    }
    igb_vf_signal(core, vfn, BIT(ent & IGB_IVAR_VEC_MASK));
}

void igb_vf_queue_event(IgbCore *core, int vfn, int queue, bool tx)
{
    int shift = ((queue & 8) ? 16 : 0) + (tx ? 8 : 0);

    igb_vf_ivar_event(core, vfn, core->vf[vfn].ivar >> shift);
}

static void igb_vf_mbx_event(IgbCore *core, int vfn)
{
    igb_vf_ivar_event(core, vfn, core->vf[vfn].ivar_misc);
}

/* A VF asked for the PF's attention (message, ack, or reset). */
static void igb_pf_mbx_event(IgbCore *core, int vfn)
{
    if (core->mac[R(IGB_MBVFIMR)] & BIT(vfn)) {
        igb_raise_icr(core, IGB_ICR_VMMB);
    }
}

/* PF side of the mailbox */
uint32_t igb_p2vmailbox_read(IgbCore *core, int vfn)
{
    uint32_t m = core->vf[vfn].mbx;

    return ((m & IGB_V2PMB_VFU) ? IGB_P2VMB_VFU : 0) |
           ((m & IGB_V2PMB_PFU) ? IGB_P2VMB_PFU : 0);
}

void igb_p2vmailbox_write(IgbCore *core, int vfn, uint32_t val)
{
    IgbVf *vf = &core->vf[vfn];
    bool notify = false;

    if (val & IGB_P2VMB_RVFU) {
        vf->mbx &= ~IGB_V2PMB_VFU;
    }
    if (!(val & IGB_P2VMB_PFU)) {
        vf->mbx &= ~IGB_V2PMB_PFU;
    } else if (!(vf->mbx & IGB_V2PMB_VFU)) {
        vf->mbx |= IGB_V2PMB_PFU;       /* the buffer is the PF's now */
    }
    if (val & IGB_P2VMB_STS) {
        vf->mbx |= IGB_V2PMB_PFSTS;
        notify = true;
    }
    if (val & IGB_P2VMB_ACK) {
        vf->mbx |= IGB_V2PMB_PFACK;
        notify = true;
    }
    trace_igb_mbx_pf(vfn, val, vf->mbx);
    if (notify) {
        igb_vf_mbx_event(core, vfn);
    }
}

/* VF side of the mailbox */
static uint32_t igb_v2pmailbox_read(IgbCore *core, int vfn)
{
    IgbVf *vf = &core->vf[vfn];
    uint32_t val = vf->mbx;

    vf->mbx &= ~IGB_V2PMB_R2C;
    return val;
}

static void igb_v2pmailbox_write(IgbCore *core, int vfn, uint32_t val)
{
    IgbVf *vf = &core->vf[vfn];

    if (!(val & IGB_V2PMB_VFU)) {
        vf->mbx &= ~IGB_V2PMB_VFU;
    } else if (!(vf->mbx & IGB_V2PMB_PFU)) {
        vf->mbx |= IGB_V2PMB_VFU;
    }
    trace_igb_mbx_vf(vfn, val, vf->mbx);
    if (val & (IGB_V2PMB_REQ | IGB_V2PMB_ACK)) {
        if (val & IGB_V2PMB_REQ) {
            core->mac[R(IGB_MBVFICR)] |= BIT(vfn);
        }
        if (val & IGB_V2PMB_ACK) {
            core->mac[R(IGB_MBVFICR)] |= BIT(vfn + IGB_MBVFICR_ACK_SHIFT);
        }
        igb_pf_mbx_event(core, vfn);
    }
}

/* Everything of a VF goes back to power-on state; its queues stop. */
static void igb_vf_reset_state(IgbCore *core, int vfn)
{
    IgbVf *vf = &core->vf[vfn];

    for (int half = 0; half < 2; half++) {
        int q = vfn + half * IGB_NUM_POOLS;

        for (int r = 0; r < IGB_Q_STRIDE; r += 4) {
            if (r != 0x30) {    /* RQDPC is a statistic */
                core->mac[R(IGB_RXQ_BASE + IGB_Q_STRIDE * q + r)] = 0;
            }
            core->mac[R(IGB_TXQ_BASE + IGB_Q_STRIDE * q + r)] = 0;
        }
        core->mac[R(IGB_SRRCTL(q))] = 2;
        igb_tx_queue_reset(core, q);
    }
    vf->ctrl = 0;
    vf->eicr = 0;
    vf->eims = 0;
    vf->eiac = 0;
    vf->eiam = 0;
    vf->ivar = 0;
    vf->ivar_misc = 0;
    memset(vf->eitr, 0, sizeof(vf->eitr));
    vf->eitr_armed = 0;
    vf->eitr_pending = 0;
    for (int v = 0; v < IGB_VF_MSIX_VECTORS; v++) {
        timer_del(vf->eitr_timer[v]);
    }
    vf->mbx &= IGB_V2PMB_RSTI;
}

/* VTCTRL.RST: the VF's own software reset; reports "reset done". */
static void igb_vf_soft_reset(IgbCore *core, int vfn)
{
    trace_igb_vf_reset(vfn);
    igb_vf_reset_state(core, vfn);
    core->vf[vfn].mbx |= IGB_V2PMB_RSTD;
}

void igb_core_vf_reset(IgbCore *core, int vfn)
{
    igb_vf_soft_reset(core, vfn);
}

/* Function level reset of a VF: the PF learns of it through VFLRE. */
void igb_core_vf_flr(IgbCore *core, int vfn)
{
    igb_vf_soft_reset(core, vfn);
    core->mac[R(IGB_VFLRE)] |= BIT(vfn);
    igb_pf_mbx_event(core, vfn);
}

/* The PF is being reset: VFs see "reset in progress" until PFRSTD. */
void igb_sriov_pf_reset(IgbCore *core)
{
    for (int vfn = 0; vfn < IGB_TOTAL_VFS; vfn++) {
        igb_vf_reset_state(core, vfn);
        core->vf[vfn].mbx = IGB_V2PMB_RSTI;
    }
}

/* CTRL_EXT.PFRSTD: the PF driver is ready; VFs may talk to it again. */
void igb_sriov_pfrstd(IgbCore *core)
{
    for (int vfn = 0; vfn < IGB_TOTAL_VFS; vfn++) {
        core->vf[vfn].mbx = (core->vf[vfn].mbx & ~IGB_V2PMB_RSTI) |
                            IGB_V2PMB_RSTD;
        if (vfn < core->num_vfs) {
            igb_vf_mbx_event(core, vfn);
        }
    }
}

void igb_core_set_num_vfs(IgbCore *core, int n)
{
    n = MIN(n, IGB_TOTAL_VFS);
    for (int vfn = n; vfn < core->num_vfs; vfn++) {
        igb_vf_soft_reset(core, vfn);
    }
    trace_igb_num_vfs(n);
    core->num_vfs = n;
}

void igb_core_vf_attach(IgbCore *core, int vfn, PCIDevice *dev)
{
    core->fn[1 + vfn] = dev;
}

/*
 * A VF's queue pair registers: queue l (0 or 1) at the 8254x layout
 * (0x2800/0x3800 + 0x100 * l) or the 82576 layout (0xC000/0xE000 +
 * 0x40 * l), mapped to the PF's queue vfn + 8 * l.
 */
static uint32_t igb_vf_queue_reg(int vfn, hwaddr addr)
{
    uint32_t base, l, reg;

    if (addr >= IGB_RXQ_ALIAS && addr < IGB_RXQ_ALIAS + 2 * 0x100) {
        base = IGB_RXQ_BASE;
        l = (addr - IGB_RXQ_ALIAS) >> 8;
        reg = addr & 0xFF;
    } else if (addr >= IGB_TXQ_ALIAS && addr < IGB_TXQ_ALIAS + 2 * 0x100) {
        base = IGB_TXQ_BASE;
        l = (addr - IGB_TXQ_ALIAS) >> 8;
        reg = addr & 0xFF;
    } else if (addr >= IGB_RXQ_BASE && addr < IGB_RXQ_BASE + 2 * 0x40) {
        base = IGB_RXQ_BASE;
        l = (addr - IGB_RXQ_BASE) / IGB_Q_STRIDE;
        reg = addr % IGB_Q_STRIDE;
    } else if (addr >= IGB_TXQ_BASE && addr < IGB_TXQ_BASE + 2 * 0x40) {
        base = IGB_TXQ_BASE;
        l = (addr - IGB_TXQ_BASE) / IGB_Q_STRIDE;
        reg = addr % IGB_Q_STRIDE;
    } else {
        return UINT32_MAX;
    }
    if (reg >= IGB_Q_STRIDE) {
        return UINT32_MAX;
    }
    return base + IGB_Q_STRIDE * (vfn + IGB_NUM_POOLS * l) + reg;
}

static bool igb_vf_stat_reg(hwaddr addr)
{
    switch (addr - IGB_VT_STATS_BASE) {
    case IGB_PVFGPRC: case IGB_PVFGPTC: case IGB_PVFGORC: case IGB_PVFGOTC:
    case IGB_PVFMPRC: case IGB_PVFGPRLBC: case IGB_PVFGPTLBC:
    case IGB_PVFGORLBC: case IGB_PVFGOTLBC:
        return addr >= IGB_VT_STATS_BASE;
    default:
        return false;
    }
}

uint64_t igb_core_vf_read(IgbCore *core, int vfn, hwaddr addr)
{
    IgbVf *vf;
    uint32_t off, val;

    addr &= ~3;
    if (vfn < 0 || vfn >= IGB_TOTAL_VFS) {
        return 0;
    }
    vf = &core->vf[vfn];
    switch (addr) {
    case IGB_VT_CTRL:
        return vf->ctrl;
    case IGB_VT_STATUS:
        return core->mac[R(IGB_STATUS)] &
               (IGB_STATUS_FD | IGB_STATUS_LU | IGB_STATUS_SPEED_1000);
    case IGB_VT_FRTIMER:
    case IGB_VT_EICS:
    case IGB_VT_EIMC:
        return 0;
    case IGB_VT_EIMS:
        return vf->eims;
    case IGB_VT_EIAC:
        return vf->eiac;
    case IGB_VT_EIAM:
        return vf->eiam;
    case IGB_VT_EICR:
        val = vf->eicr;
        vf->eicr = 0;
        return val;
    case IGB_VT_EITR(0) ... IGB_VT_EITR(IGB_VF_MSIX_VECTORS - 1):
        return vf->eitr[(addr - IGB_VT_EITR(0)) / 4];
    case IGB_VT_IVAR:
        return vf->ivar;
    case IGB_VT_IVAR_MISC:
        return vf->ivar_misc;
    case IGB_VT_V2PMAILBOX:
        return igb_v2pmailbox_read(core, vfn);
    case IGB_VT_MBMEM ... IGB_VT_MBMEM + 4 * IGB_VMBMEM_WORDS - 4:
        return core->mac[R(IGB_VMBMEM(vfn) + addr - IGB_VT_MBMEM)];
    }
    if (igb_vf_stat_reg(addr)) {
        return core->mac[R(IGB_PVF(vfn, addr - IGB_VT_STATS_BASE))];
    }
    off = igb_vf_queue_reg(vfn, addr);
    if (off != UINT32_MAX) {
        return igb_core_reg_read(core, off);
    }
    qemu_log_mask(LOG_GUEST_ERROR, "igbvf%d: read of 0x%04" HWADDR_PRIx
                  ", not a VF register\n", vfn, addr);
    return 0;
}

void igb_core_vf_write(IgbCore *core, int vfn, hwaddr addr, uint64_t val64)
{
    uint32_t val = val64, off, newly;
    IgbVf *vf;

    addr &= ~3;
    if (vfn < 0 || vfn >= IGB_TOTAL_VFS) {
        return;
    }
    vf = &core->vf[vfn];
    switch (addr) {
    case IGB_VT_CTRL:
        if (val & IGB_CTRL_RST) {
            igb_vf_soft_reset(core, vfn);
        } else {
            vf->ctrl = val;
        }
        return;
    case IGB_VT_EICS:
        igb_vf_signal(core, vfn, val & IGB_VF_VEC_MASK);
        return;
    case IGB_VT_EIMS:
        newly = val & IGB_VF_VEC_MASK & ~vf->eims;
        vf->eims |= val & IGB_VF_VEC_MASK;
        igb_vf_signal(core, vfn, vf->eicr & newly);
        return;
    case IGB_VT_EIMC:
        vf->eims &= ~val;
        return;
    case IGB_VT_EIAC:
        vf->eiac = val & IGB_VF_VEC_MASK;
        return;
    case IGB_VT_EIAM:
        vf->eiam = val & IGB_VF_VEC_MASK;
        return;
    case IGB_VT_EICR:
        vf->eicr &= ~val;
        return;
    case IGB_VT_EITR(0) ... IGB_VT_EITR(IGB_VF_MSIX_VECTORS - 1):
        vf->eitr[(addr - IGB_VT_EITR(0)) / 4] = val & 0x7FFC;
        return;
    case IGB_VT_IVAR:
        vf->ivar = val & 0x83838383;
        return;
    case IGB_VT_IVAR_MISC:
        vf->ivar_misc = val & 0x83;
        return;
    case IGB_VT_V2PMAILBOX:
        igb_v2pmailbox_write(core, vfn, val);
        return;
    case IGB_VT_MBMEM ... IGB_VT_MBMEM + 4 * IGB_VMBMEM_WORDS - 4:
        core->mac[R(IGB_VMBMEM(vfn) + addr - IGB_VT_MBMEM)] = val;
        return;
    }
    off = igb_vf_queue_reg(vfn, addr);
    if (off != UINT32_MAX) {
        igb_core_reg_write(core, off, val);
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "igbvf%d: write of 0x%08x to 0x%04"
                  HWADDR_PRIx ", not a VF register: ignored\n", vfn, val, addr);
}

const VMStateDescription vmstate_igb_vf = {
    .name = "igb-vf",
    .fields = (const VMStateField[]) {
        /* interrupt state, then each register with what it governs */
        VMSTATE_UINT8(eitr_armed, IgbVf),
        VMSTATE_UINT32(eicr, IgbVf),
        VMSTATE_UINT8(eitr_pending, IgbVf),
        VMSTATE_UINT32(eims, IgbVf),
        VMSTATE_TIMER_PTR_ARRAY(eitr_timer, IgbVf, IGB_VF_MSIX_VECTORS),
        VMSTATE_UINT32_ARRAY(eitr, IgbVf, IGB_VF_MSIX_VECTORS),
        VMSTATE_UINT32(eiac, IgbVf),
        VMSTATE_UINT32(eiam, IgbVf),
        VMSTATE_UINT32(ivar, IgbVf),
        VMSTATE_UINT32(ivar_misc, IgbVf),
        VMSTATE_UINT32(mbx, IgbVf),
        VMSTATE_UINT32(ctrl, IgbVf),
        VMSTATE_END_OF_LIST()
    },
    .version_id = 1,
    .minimum_version_id = 1,
};
