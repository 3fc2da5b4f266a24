/*
 * Intel 82576 (igb) emulation: a virtual function (igbvf).
 *
 * A VF is its own PCI function (config space, a 16 KiB register BAR and an
 * MSI-X BAR with 3 vectors) whose registers are a window on its pool's
 * state in the PF's core.  VFs are created by the PF's SR-IOV capability,
 * never by the user.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/pcie.h"
#include "hw/pci/pcie_sriov.h"
#include "hw/pci/msix.h"
#include "migration/vmstate.h"
#include "igb_core.h"
#include "igb.h"
#include "trace.h"

OBJECT_DECLARE_SIMPLE_TYPE(IgbVfState, IGBVF)

#define IGBVF_CAP_MSIX      0x70
#define IGBVF_CAP_PCIE      0xA0
#define IGBVF_CAP_AER       0x100
#define IGBVF_CAP_ARI       0x150
#define IGBVF_MSIX_PBA      0x2000

struct IgbVfState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion msix;
};

static IgbCore *igbvf_core(IgbVfState *s)
{
    return igb_pf_core(pcie_sriov_get_pf(PCI_DEVICE(s)));
}

/*
 * A VF's registers are the PF's core: accesses hold the PF's re-entrancy
 * guard (QEMU's own holds only the VF's) and are refused while it is
 * held, i.e. when the device's DMA aims at a VF BAR.
 */
static MemReentrancyGuard *igbvf_enter(IgbVfState *s, hwaddr addr)
{
    PCIDevice *pf = pcie_sriov_get_pf(PCI_DEVICE(s));

    if (igb_own_dma(pf, "a VF's BAR at", addr)) {
        return NULL;
    }
    DEVICE(pf)->mem_reentrancy_guard.engaged_in_io = true;
    return &DEVICE(pf)->mem_reentrancy_guard;
}

static MemTxResult igbvf_mmio_read(void *opaque, hwaddr addr, uint64_t *val,
                                   unsigned size, MemTxAttrs attrs)
{
    IgbVfState *s = opaque;
    MemReentrancyGuard *g = igbvf_enter(s, addr);

    if (!g) {
        return MEMTX_ACCESS_ERROR;
    }
    *val = igb_core_vf_read(igbvf_core(s), pcie_sriov_vf_number(PCI_DEVICE(s)),
                            addr);
    g->engaged_in_io = false;
    return MEMTX_OK;
}

static MemTxResult igbvf_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size, MemTxAttrs attrs)
{
    IgbVfState *s = opaque;
    MemReentrancyGuard *g = igbvf_enter(s, addr);

    if (!g) {
        return MEMTX_ACCESS_ERROR;
    }
    igb_core_vf_write(igbvf_core(s), pcie_sriov_vf_number(PCI_DEVICE(s)),
                      addr, val);
    g->engaged_in_io = false;
    return MEMTX_OK;
}

static const MemoryRegionOps igbvf_mmio_ops = {
    .read_with_attrs = igbvf_mmio_read,
    .write_with_attrs = igbvf_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void igbvf_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                               int len)
{
    uint8_t *devctl = d->config + d->exp.exp_cap + PCI_EXP_DEVCTL;
    IgbCore *core = igbvf_core(IGBVF(d));
    bool flr, guard;

    if (igb_own_dma(pcie_sriov_get_pf(d), "a VF's config space at", addr)) {
        return;
    }
    guard = igb_guard_enter(core);
    pci_default_write_config(d, addr, val, len);
    flr = pci_get_word(devctl) & PCI_EXP_DEVCTL_BCR_FLR;
    pcie_cap_flr_write_config(d, addr, val, len);
    if (flr) {
        /* the reset itself ran in pcie_cap_flr_write_config */
        igb_core_vf_flr(core, pcie_sriov_vf_number(d));
    }
    igb_guard_leave(core, guard);
}

static void igbvf_realize(PCIDevice *d, Error **errp)
{
    IgbVfState *s = IGBVF(d);
    IgbCore *core = igbvf_core(s);

    /* a VF reports its PF's subsystem IDs (from the PF's EEPROM) */
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, core->subsys_ven);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, core->subsys);

    memory_region_init_io(&s->mmio, OBJECT(s), &igbvf_mmio_ops, s,
                          "igbvf-mmio", IGB_VF_MMIO_SIZE);
    pci_register_bar(d, IGBVF_BAR_MMIO, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->mmio);
    memory_region_init(&s->msix, OBJECT(s), "igbvf-msix", IGB_VF_MSIX_SIZE);
    pci_register_bar(d, IGBVF_BAR_MSIX, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &s->msix);

    if (msix_init(d, IGB_VF_MSIX_VECTORS, &s->msix, IGBVF_BAR_MSIX, 0,
                  &s->msix, IGBVF_BAR_MSIX, IGBVF_MSIX_PBA, IGBVF_CAP_MSIX,
                  errp) < 0) {
        return;
    }
    for (int v = 0; v < IGB_VF_MSIX_VECTORS; v++) {
        msix_vector_use(d, v);
    }
    if (pcie_endpoint_cap_init(d, IGBVF_CAP_PCIE) < 0) {
        error_setg(errp, "igbvf: cannot add the PCIe capability");
        return;
    }
    pcie_cap_flr_init(d);
    if (pcie_aer_init(d, PCI_ERR_VER, IGBVF_CAP_AER, PCI_ERR_SIZEOF,
                      errp) < 0) {
        return;
    }
    pcie_ari_init(d, IGBVF_CAP_ARI);
    igb_core_vf_attach(core, pcie_sriov_vf_number(d), d);
}

static void igbvf_unrealize(PCIDevice *d)
{
    IgbVfState *s = IGBVF(d);

    igb_core_vf_attach(igbvf_core(s), pcie_sriov_vf_number(d), NULL);
    pcie_aer_exit(d);
    pcie_cap_exit(d);
    msix_unuse_all_vectors(d);
    msix_uninit(d, &s->msix, &s->msix);
}

static void igbvf_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *d = PCI_DEVICE(obj);

    igb_core_vf_reset(igbvf_core(IGBVF(obj)), pcie_sriov_vf_number(d));
}

static const VMStateDescription igbvf_vmstate = {
    .name = "igbvf",
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, IgbVfState),
        VMSTATE_MSIX(parent_obj, IgbVfState),
        VMSTATE_END_OF_LIST()
    },
    .version_id = 1,
    .minimum_version_id = 1,
};

static void igbvf_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    /* created by the PF's SR-IOV capability only */
    dc->user_creatable = false;
    dc->desc = "Intel 82576 Virtual Function";
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    dc->vmsd = &igbvf_vmstate;

    igb_pci_identity(k, IGB_VF_DEVICE_ID);
    k->realize = igbvf_realize;
    k->config_write = igbvf_write_config;
    k->exit = igbvf_unrealize;
    RESETTABLE_CLASS(klass)->phases.hold = igbvf_reset_hold;
}

static const TypeInfo igbvf_types[] = {
    {
        .name = TYPE_IGBVF,
        .parent = TYPE_PCI_DEVICE,
        .class_init = igbvf_class_init,
        .instance_size = sizeof(IgbVfState),
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(igbvf_types)
