/*
 * Intel 82576 Gigabit Ethernet controller (igb): the physical function.
 *
 * This file is the PCI side of the PF: config space and capabilities, the
 * four BARs, SR-IOV set-up, properties, and the glue to the netdev.  All
 * register behaviour lives in the core (igb_core.c, igb_tx.c, igb_rx.c).
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
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "system/system.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "igb_core.h"
#include "igb.h"
#include "trace.h"

OBJECT_DECLARE_SIMPLE_TYPE(IgbState, IGB)

#define IGB_BAR_MMIO    0
#define IGB_BAR_FLASH   1
#define IGB_BAR_IO      2
#define IGB_BAR_MSIX    3

#define IGB_CAP_PM      0x40
#define IGB_CAP_MSI     0x50
#define IGB_CAP_MSIX    0x70
#define IGB_CAP_PCIE    0xA0
#define IGB_CAP_AER     0x100
#define IGB_CAP_DSN     0x140
#define IGB_CAP_ARI     0x150
#define IGB_CAP_SRIOV   0x160

#define IGB_MSIX_PBA    0x2000
#define IGB_VF_OFFSET   0x80    /* hardware: 0x180, beyond one bus in QEMU */
#define IGB_VF_STRIDE   2

struct IgbState {
    PCIDevice parent_obj;

    NICConf conf;
    NICState *nic;
    MemoryRegion mmio;
    MemoryRegion flash;
    MemoryRegion io;
    MemoryRegion msix;
    uint32_t ioaddr;

    uint8_t max_vfs;
    char *eeprom_file;
    bool host_offload;
    uint16_t subsys_ven;
    uint16_t subsys;

    IgbCore core;
};

IgbCore *igb_pf_core(PCIDevice *pf)
{
    return &IGB(pf)->core;
}

/*
 * The PF and its VFs are one device with one core: all its work (TX and
 * RX bottom halves, frames from the backend, register accesses) runs
 * under the PF's re-entrancy guard.  QEMU refuses DMA into the PF's own
 * BARs then; a VF's BAR or a function's config space (through ECAM) is
 * another region, so the VF and config handlers ask here.  A real
 * 82576 cannot reach either with its DMA.
 */
bool igb_own_dma(PCIDevice *pf, const char *what, uint64_t addr)
{
    if (!DEVICE(pf)->mem_reentrancy_guard.engaged_in_io) {
        return false;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "igb: the device's own DMA reached %s "
                  "0x%" PRIx64 ": refused\n", what, addr);
    return true;
}

/* BARs */
static uint64_t igb_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    IgbState *s = opaque;

    return igb_core_read(&s->core, addr, size);
}

static void igb_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    IgbState *s = opaque;

    igb_core_write(&s->core, addr, val, size);
}

static const MemoryRegionOps igb_mmio_ops = {
    .read = igb_mmio_read,
    .write = igb_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* No flash part is fitted: the window reads as erased. */
static uint64_t igb_flash_read(void *opaque, hwaddr addr, unsigned size)
{
    return UINT32_MAX;
}

static void igb_flash_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    qemu_log_mask(LOG_UNIMP, "igb: flash write at 0x%" HWADDR_PRIx
                  " ignored (no flash part)\n", addr);
}

static const MemoryRegionOps igb_flash_ops = {
    .read = igb_flash_read,
    .write = igb_flash_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* I/O window: IOADDR at 0 selects a register, IODATA at 4 accesses it. */
#define IGB_IOADDR  0
#define IGB_IODATA  4

static uint64_t igb_io_read(void *opaque, hwaddr addr, unsigned size)
{
    IgbState *s = opaque;

    switch (addr) {
    case IGB_IOADDR:
        return s->ioaddr;
    case IGB_IODATA:
        return igb_core_read(&s->core, s->ioaddr, 4);
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "igb: I/O read at reserved offset %"
                      HWADDR_PRIu "\n", addr);
        return 0;
    }
}

static void igb_io_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    IgbState *s = opaque;

    switch (addr) {
    case IGB_IOADDR:
        s->ioaddr = val & (IGB_MMIO_SIZE - 4);
        break;
    case IGB_IODATA:
        igb_core_write(&s->core, s->ioaddr, val, 4);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "igb: I/O write at reserved offset %"
                      HWADDR_PRIu "\n", addr);
    }
}

static const MemoryRegionOps igb_io_ops = {
    .read = igb_io_read,
    .write = igb_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* Netdev glue */
static bool igb_nc_can_receive(NetClientState *nc)
{
    IgbState *s = qemu_get_nic_opaque(nc);

    return igb_rx_can_receive(&s->core);
}

static ssize_t igb_nc_receive_iov(NetClientState *nc, const struct iovec *iov,
                                  int iovcnt)
{
    IgbState *s = qemu_get_nic_opaque(nc);

    return igb_rx_receive_iov(&s->core, iov, iovcnt);
}

static ssize_t igb_nc_receive(NetClientState *nc, const uint8_t *buf,
                              size_t size)
{
    const struct iovec iov = { .iov_base = (uint8_t *)buf, .iov_len = size };

    return igb_nc_receive_iov(nc, &iov, 1);
}

static void igb_nc_link_status_changed(NetClientState *nc)
{
    IgbState *s = qemu_get_nic_opaque(nc);

    igb_core_set_link_status(&s->core);
}

/* The NIC side of the netdev: frames in, link state */
static NetClientInfo igb_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .link_status_changed = igb_nc_link_status_changed,
    .receive_iov = igb_nc_receive_iov,
    .receive = igb_nc_receive,
    .can_receive = igb_nc_can_receive,
    .size = sizeof(NICState),
};

/* Offloads go to the backend as virtio-net headers when it takes them. */
static void igb_setup_vnet(IgbState *s)
{
    NetClientState *nc = qemu_get_queue(s->nic);

    s->core.has_vnet = nc->peer && qemu_has_vnet_hdr(nc->peer);
    if (s->core.has_vnet) {
        qemu_set_vnet_hdr_len(nc->peer, sizeof(struct virtio_net_hdr));
    }
    /*
     * And from the backend: TCP frames of up to 64 KiB, checksums not
     * done, which the receive path cuts into the frames the wire would
     * carry.  The host's kernel then need not, and a TAP's queue holds
     * 64 KiB per entry rather than one frame.
     */
    s->core.host_offload = s->core.has_vnet && s->host_offload;
    if (s->core.host_offload) {
        qemu_set_offload(nc->peer, 1, 1, 1, 1, 0, 0, 0);
    }
    trace_igb_vnet(s->core.has_vnet, s->core.host_offload);
}

/* PCI device */
static void igb_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                             int len)
{
    IgbCore *core = &IGB(d)->core;
    bool guard;

    if (igb_own_dma(d, "the PF's config space at", addr)) {
        return;
    }
    guard = igb_guard_enter(core);
    pci_default_write_config(d, addr, val, len);
    pcie_cap_flr_write_config(d, addr, val, len);
    igb_core_set_num_vfs(core, pcie_sriov_num_vfs(d));
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        igb_rx_kick(core);
    }
    igb_guard_leave(core, guard);
}

static void igb_realize(PCIDevice *d, Error **errp)
{
    IgbState *s = IGB(d);
    DeviceState *dev = DEVICE(d);
    uint8_t *mac;
    uint64_t dsn;

    if (s->max_vfs > IGB_TOTAL_VFS) {
        error_setg(errp, "igb: max-vfs=%u: the 82576 has at most %u virtual"
                   " functions", s->max_vfs, IGB_TOTAL_VFS);
        return;
    }

    d->config[PCI_CACHE_LINE_SIZE] = 0x10;
    d->config[PCI_INTERRUPT_PIN] = 1;
    pci_set_word(d->config + PCI_SUBSYSTEM_VENDOR_ID, s->subsys_ven);
    pci_set_word(d->config + PCI_SUBSYSTEM_ID, s->subsys);

    memory_region_init_io(&s->mmio, OBJECT(s), &igb_mmio_ops, s, "igb-mmio",
                          IGB_MMIO_SIZE);
    pci_register_bar(d, IGB_BAR_MMIO, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);
    memory_region_init_io(&s->flash, OBJECT(s), &igb_flash_ops, s,
                          "igb-flash", IGB_FLASH_SIZE);
    pci_register_bar(d, IGB_BAR_FLASH, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->flash);
    memory_region_init_io(&s->io, OBJECT(s), &igb_io_ops, s, "igb-io",
                          IGB_IO_SIZE);
    pci_register_bar(d, IGB_BAR_IO, PCI_BASE_ADDRESS_SPACE_IO, &s->io);
    memory_region_init(&s->msix, OBJECT(s), "igb-msix", IGB_MSIX_SIZE);
    pci_register_bar(d, IGB_BAR_MSIX, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->msix);

    if (pci_pm_init(d, IGB_CAP_PM, errp) < 0) {
        return;
    }
    pci_set_word(d->config + IGB_CAP_PM + PCI_PM_PMC,
                 PCI_PM_CAP_VER_1_2 | PCI_PM_CAP_DSI | PCI_PM_CAP_D1 |
                 PCI_PM_CAP_PME_D0 | PCI_PM_CAP_PME_D3hot);
    pci_set_word(d->wmask + IGB_CAP_PM + PCI_PM_CTRL,
                 PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
    pci_set_word(d->w1cmask + IGB_CAP_PM + PCI_PM_CTRL,
                 PCI_PM_CTRL_PME_STATUS);

    if (msi_init(d, IGB_CAP_MSI, 1, true, true, errp) < 0) {
        return;
    }
    if (msix_init(d, IGB_PF_MSIX_VECTORS, &s->msix, IGB_BAR_MSIX, 0,
                  &s->msix, IGB_BAR_MSIX, IGB_MSIX_PBA, IGB_CAP_MSIX,
                  errp) < 0) {
        return;
    }
    for (int v = 0; v < IGB_PF_MSIX_VECTORS; v++) {
        msix_vector_use(d, v);
    }
    if (pcie_endpoint_cap_init(d, IGB_CAP_PCIE) < 0) {
        error_setg(errp, "igb: cannot add the PCIe capability");
        return;
    }
    pcie_cap_flr_init(d);
    if (pcie_aer_init(d, PCI_ERR_VER, IGB_CAP_AER, PCI_ERR_SIZEOF,
                      errp) < 0) {
        return;
    }
    mac = s->conf.macaddr.a;
    dsn = ((uint64_t)mac[0] << 56) | ((uint64_t)mac[1] << 48) |
          ((uint64_t)mac[2] << 40) | 0xFFFF000000ULL |
          ((uint64_t)mac[3] << 16) | (mac[4] << 8) | mac[5];
    pcie_dev_ser_num_init(d, IGB_CAP_DSN, dsn);
    pcie_ari_init(d, IGB_CAP_ARI);

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&igb_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    igb_setup_vnet(s);

    s->core.subsys_ven = s->subsys_ven;
    s->core.subsys = s->subsys;
    igb_core_init(&s->core, d, s->nic, s->conf.macaddr.a);
    if (!igb_nvm_open(&s->core, s->eeprom_file, errp)) {
        igb_core_uninit(&s->core);
        qemu_del_nic(s->nic);
        return;
    }

    if (s->max_vfs) {
        if (!pcie_sriov_pf_init(d, IGB_CAP_SRIOV, TYPE_IGBVF, IGB_VF_DEVICE_ID,
                                s->max_vfs, s->max_vfs, IGB_VF_OFFSET,
                                IGB_VF_STRIDE, errp)) {
            igb_core_uninit(&s->core);
            qemu_del_nic(s->nic);
            return;
        }
        pcie_sriov_pf_init_vf_bar(d, IGBVF_BAR_MMIO,
                                  PCI_BASE_ADDRESS_MEM_TYPE_64 |
                                  PCI_BASE_ADDRESS_MEM_PREFETCH,
                                  IGB_VF_MMIO_SIZE);
        pcie_sriov_pf_init_vf_bar(d, IGBVF_BAR_MSIX,
                                  PCI_BASE_ADDRESS_MEM_TYPE_64 |
                                  PCI_BASE_ADDRESS_MEM_PREFETCH,
                                  IGB_VF_MSIX_SIZE);
    }
}

static void igb_unrealize(PCIDevice *d)
{
    IgbState *s = IGB(d);

    /* half-gathered frames are unmapped while the VFs' DMA spaces exist */
    igb_tx_reset(&s->core);
    pcie_sriov_pf_exit(d);
    pcie_aer_exit(d);
    pcie_cap_exit(d);
    msix_unuse_all_vectors(d);
    msix_uninit(d, &s->msix, &s->msix);
    msi_uninit(d);
    igb_core_uninit(&s->core);
    qemu_del_nic(s->nic);
}

static void igb_reset_hold(Object *obj, ResetType type)
{
    IgbState *s = IGB(obj);

    trace_igb_reset();
    igb_core_reset(&s->core);
    s->ioaddr = 0;
}

static int igb_post_load(void *opaque, int version_id)
{
    IgbState *s = opaque;

    igb_core_post_load(&s->core);
    return 0;
}

/*
 * The PF is loaded before other PCI devices, its VFs among them: loading
 * its SR-IOV capability enables the VFs, and QEMU resets a PCI function it
 * enables; a VF loaded earlier would lose its config space and MSI-X
 * state that way.  (QEMU has no priority below the default.)
 */
static const VMStateDescription igb_vmstate = {
    .priority = MIG_PRI_IOMMU,
    .name = "igb",
    .post_load = igb_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, IgbState),
        VMSTATE_MSIX(parent_obj, IgbState),
        VMSTATE_UINT32(ioaddr, IgbState),
        VMSTATE_STRUCT(core, IgbState, 1, vmstate_igb_core, IgbCore),
        VMSTATE_END_OF_LIST()
    },
    .version_id = 1,
    .minimum_version_id = 1,
};

static const Property igb_properties[] = {
    DEFINE_NIC_PROPERTIES(IgbState, conf),
    DEFINE_PROP_UINT8("max-vfs", IgbState, max_vfs, IGB_TOTAL_VFS),
    DEFINE_PROP_UINT16("subsys-ven", IgbState, subsys_ven,
                       PCI_VENDOR_ID_INTEL),
    DEFINE_PROP_UINT16("subsys", IgbState, subsys, 0xA03C),
    DEFINE_PROP_STRING("eeprom-file", IgbState, eeprom_file),
    DEFINE_PROP_BOOL("host_offload", IgbState, host_offload, true),
};

static void igb_instance_init(Object *obj)
{
    IgbState *s = IGB(obj);

    device_add_bootindex_property(obj, &s->conf.bootindex, "bootindex",
                                  "/ethernet-phy@0", DEVICE(obj));
}

/* What the PF and its VFs share as PCI functions */
void igb_pci_identity(PCIDeviceClass *k, uint16_t device_id)
{
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = device_id;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    k->revision = 1;
}

static const struct {
    const char *name;
    const char *text;
} igb_property_help[] = {
    { "max-vfs", "Number of SR-IOV virtual functions offered (TotalVFs),"
                 " 0-8; 0 removes the SR-IOV capability" },
    { "eeprom-file", "File that keeps the 2 KiB EEPROM image across runs:"
                     " loaded at start-up (created from the defaults if"
                     " empty), written through on every EEPROM write; its"
                     " MAC words win over the mac property" },
    { "subsys-ven", "PCI subsystem vendor ID" },
    { "subsys", "PCI subsystem ID" },
};

static void igb_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    dc->desc = "Intel 82576 Gigabit Ethernet Controller (SR-IOV PF)";
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    dc->vmsd = &igb_vmstate;
    device_class_set_props(dc, igb_properties);
    for (int i = 0; i < ARRAY_SIZE(igb_property_help); i++) {
        object_class_property_set_description(klass,
                                              igb_property_help[i].name,
                                              igb_property_help[i].text);
    }

    igb_pci_identity(k, IGB_PF_DEVICE_ID);
    /*
     * Network boot, as on 82576 boards: the PF's option ROM is iPXE built
     * for 8086:10C9.  romfile= overrides it, an empty romfile= leaves the
     * ROM BAR out.  VFs have none.
     */
    k->romfile = "pxe-igb.rom";
    k->realize = igb_realize;
    k->config_write = igb_write_config;
    k->exit = igb_unrealize;
    RESETTABLE_CLASS(klass)->phases.hold = igb_reset_hold;
}

static const TypeInfo igb_types[] = {
    {
        .name = TYPE_IGB,
        .parent = TYPE_PCI_DEVICE,
        .class_init = igb_class_init,
        .instance_init = igb_instance_init,
        .instance_size = sizeof(IgbState),
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(igb_types)
