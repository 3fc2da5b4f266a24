/*
 * Intel 82576 (igb) emulation: what the PF and VF devices share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NET_IGB_H
#define HW_NET_IGB_H

#define TYPE_IGB            "igb"
#define TYPE_IGBVF          "igbvf"

#define IGB_PF_DEVICE_ID    0x10C9
#define IGB_VF_DEVICE_ID    0x10CA

#define IGBVF_BAR_MMIO      0
#define IGBVF_BAR_MSIX      3

typedef struct IgbCore IgbCore;

/* Vendor, device, class and revision of a PF or VF */
void igb_pci_identity(PCIDeviceClass *k, uint16_t device_id);

/* The core of the PF that owns a VF. */
IgbCore *igb_pf_core(PCIDevice *pf);

/*
 * True (and a guest error logged) if an access to @pf or one of its VFs
 * comes from the device's own work: DMA aimed at a VF BAR or at the
 * functions' config space while the PF's guarded work runs.
 */
bool igb_own_dma(PCIDevice *pf, const char *what, uint64_t addr);

#endif
