/*
 * Intel 82576 (igb) register offsets and bit fields.
 *
 * These are facts about the hardware, collected from the 82576 datasheet's
 * register map as the Linux and DPDK drivers use it.  Everything is prefixed
 * IGB_ so it can live next to e1000x_regs.h, whose 8254x/82574 names are
 * sometimes at different offsets on the 82576.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NET_IGB_REGS_H
#define HW_NET_IGB_REGS_H

#include "hw/registerfields.h"

#define IGB_MMIO_SIZE           (128 * KiB)
#define IGB_FLASH_SIZE          (128 * KiB)
#define IGB_IO_SIZE             32
#define IGB_MSIX_SIZE           (16 * KiB)
#define IGB_VF_MMIO_SIZE        (16 * KiB)
#define IGB_VF_MSIX_SIZE        (16 * KiB)
#define IGB_NREGS               (IGB_MMIO_SIZE / 4)

#define IGB_NUM_QUEUES          16
#define IGB_NUM_POOLS           8
#define IGB_TOTAL_VFS           8
#define IGB_PF_MSIX_VECTORS     10
#define IGB_VF_MSIX_VECTORS     3
#define IGB_NUM_EITR            25
#define IGB_NUM_RAR             24
#define IGB_EEPROM_WORDS        1024
#define IGB_EEPROM_SUM          0xBABA
#define IGB_EEPROM_CSUM_WORD    0x3F
#define IGB_PHY_ADDR            1

/* General */
#define IGB_CTRL        0x00000
#define IGB_STATUS      0x00008
#define IGB_EECD        0x00010
#define IGB_EERD        0x00014
#define IGB_CTRL_EXT    0x00018
#define IGB_MDIC        0x00020
#define IGB_FCAL        0x00028
#define IGB_FCAH        0x0002C
#define IGB_FCT         0x00030
#define IGB_CONNSW      0x00034
#define IGB_VET         0x00038
#define IGB_ICR         0x000C0
#define IGB_ITR         0x000C4
#define IGB_ICS         0x000C8
#define IGB_IMS         0x000D0
#define IGB_IMC         0x000D8
#define IGB_IAM         0x000E0
#define IGB_RCTL        0x00100
#define IGB_FCTTV       0x00170
#define IGB_TXCW        0x00178
#define IGB_RXCW        0x00180
#define IGB_EICR        0x01580
#define IGB_TCTL        0x00400
#define IGB_TCTL_EXT    0x00404
#define IGB_TIPG        0x00410
#define IGB_AIT         0x00458
#define IGB_LEDCTL      0x00E00
#define IGB_EXTCNF_CTRL 0x00F00
#define IGB_MDICNFG     0x00E04
#define IGB_PBA         0x01000
#define IGB_PBS         0x01008
#define IGB_EEMNGCTL    0x01010
#define IGB_EEARBC      0x01024
#define IGB_EEWR        0x0102C
#define IGB_I2CCMD      0x01028
#define IGB_FRTIMER     0x01048
#define IGB_TCPTIMER    0x0104C
#define IGB_GPIE        0x01514
#define IGB_EICS        0x01520
#define IGB_EIMS        0x01524
#define IGB_EIMC        0x01528
#define IGB_EIAC        0x0152C
#define IGB_EIAM        0x01530
#define IGB_EITR(n)     (0x01680 + 4 * (n))
#define IGB_IVAR0       0x01700
#define IGB_IVAR(n)     (IGB_IVAR0 + 4 * (n))
#define IGB_IVAR_MISC   0x01740
#define IGB_FCRTL       0x02160
#define IGB_FCRTH       0x02168
#define IGB_RXPBS       0x02404
#define IGB_FCRTV       0x02460
#define IGB_TXPBS       0x03404
#define IGB_DTXCTL      0x03590
#define IGB_DTXSWC      0x03500
#define IGB_DTXMXSZRQ   0x03540
#define IGB_RXCSUM      0x05000
#define IGB_RLPML       0x05004
#define IGB_RFCTL       0x05008
#define IGB_MTA         0x05200
#define IGB_RA          0x05400
#define IGB_RA2         0x054E0
#define IGB_VFTA        0x05600
#define IGB_VT_CTL      0x0581C
#define IGB_WUC         0x05800
#define IGB_WUFC        0x05808
#define IGB_WUS         0x05810
#define IGB_MRQC        0x05818
#define IGB_MANC        0x05820
#define IGB_IPAV        0x05838
#define IGB_IP4AT       0x05840
#define IGB_IP6AT       0x05880
#define IGB_WUPL        0x05900
#define IGB_WUPM        0x05A00
#define IGB_VMOLR(n)    (0x05AD0 + 4 * (n))
#define IGB_GCR         0x05B00
#define IGB_SWSM        0x05B50
#define IGB_FWSM        0x05B54
#define IGB_SW_FW_SYNC  0x05B5C
#define IGB_UTA         0x0A000
#define IGB_RETA        0x05C00
#define IGB_RSSRK       0x05C80
#define IGB_ETQF(n)     (0x05CB0 + 4 * (n))
#define IGB_VMVIR(n)    (0x03700 + 4 * (n))

/* Virtualization (PF view) */
#define IGB_VMBMEM(n)       (0x00800 + 0x40 * (n))
#define IGB_VMBMEM_WORDS    16
#define IGB_P2VMAILBOX(n)   (0x00C00 + 4 * (n))
#define IGB_MBVFICR         0x00C80
#define IGB_MBVFIMR         0x00C84
#define IGB_VFLRE           0x00C88
#define IGB_VFRE            0x00C8C
#define IGB_VFTE            0x00C90
#define IGB_QDE             0x02408
#define IGB_WVBR            0x03554
#define IGB_RPLOLR          0x05AF0
#define IGB_VLVF(n)         (0x05D00 + 4 * (n))
#define IGB_NUM_VLVF        32
/* per-pool statistics: pool n at 0x10000 + 0x100 * n */
#define IGB_PVF_BASE        0x10000
#define IGB_PVF_STRIDE      0x100
#define IGB_PVFGPRC         0x10
#define IGB_PVFGPTC         0x14
#define IGB_PVFGORC         0x18
#define IGB_PVFGOTC         0x34
#define IGB_PVFMPRC         0x3C
#define IGB_PVFGPRLBC       0x40
#define IGB_PVFGPTLBC       0x44
#define IGB_PVFGORLBC       0x48
#define IGB_PVFGOTLBC       0x50
#define IGB_PVF(pool, r)    (IGB_PVF_BASE + IGB_PVF_STRIDE * (pool) + (r))

/* VF register window (offsets in a VF's BAR0) */
#define IGB_VT_CTRL         0x00000
#define IGB_VT_STATUS       0x00008
#define IGB_VT_FRTIMER      0x01048
#define IGB_VT_EICS         0x01520
#define IGB_VT_EIMS         0x01524
#define IGB_VT_EIMC         0x01528
#define IGB_VT_EIAC         0x0152C
#define IGB_VT_EIAM         0x01530
#define IGB_VT_EICR         0x01580
#define IGB_VT_EITR(n)      (0x01680 + 4 * (n))
#define IGB_VT_IVAR         0x01700
#define IGB_VT_IVAR_MISC    0x01740
#define IGB_VT_MBMEM        0x00800
#define IGB_VT_V2PMAILBOX   0x00C40
#define IGB_VT_STATS_BASE   0x00F00

/* P2VMAILBOX (PF side) */
#define IGB_P2VMB_STS       BIT(0)
#define IGB_P2VMB_ACK       BIT(1)
#define IGB_P2VMB_VFU       BIT(2)
#define IGB_P2VMB_PFU       BIT(3)
#define IGB_P2VMB_RVFU      BIT(4)
/* V2PMAILBOX (VF side) */
#define IGB_V2PMB_REQ       BIT(0)
#define IGB_V2PMB_ACK       BIT(1)
#define IGB_V2PMB_VFU       BIT(2)
#define IGB_V2PMB_PFU       BIT(3)
#define IGB_V2PMB_PFSTS     BIT(4)
#define IGB_V2PMB_PFACK     BIT(5)
#define IGB_V2PMB_RSTI      BIT(6)
#define IGB_V2PMB_RSTD      BIT(7)
#define IGB_V2PMB_R2C       (IGB_V2PMB_PFSTS | IGB_V2PMB_PFACK | IGB_V2PMB_RSTD)
#define IGB_MBVFICR_ACK_SHIFT 16

/* MRQC */
#define IGB_MRQC_MODE_MASK      7
#define IGB_MRQC_DEF_Q_SHIFT    3           /* default queue without RSS */
#define IGB_MRQC_MODE_RSS       2
#define IGB_MRQC_MODE_VMDQ      3
#define IGB_MRQC_MODE_VMDQ_RSS  5
#define IGB_MRQC_RSS_IPV4_TCP   BIT(16)
#define IGB_MRQC_RSS_IPV4       BIT(17)
#define IGB_MRQC_RSS_IPV6_TCP_EX BIT(18)
#define IGB_MRQC_RSS_IPV6_EX    BIT(19)
#define IGB_MRQC_RSS_IPV6       BIT(20)
#define IGB_MRQC_RSS_IPV6_TCP   BIT(21)
#define IGB_MRQC_RSS_IPV4_UDP   BIT(22)
#define IGB_MRQC_RSS_IPV6_UDP   BIT(23)
#define IGB_MRQC_RSS_IPV6_UDP_EX BIT(24)

/* VT_CTL */
#define IGB_VT_CTL_DEF_POOL_SHIFT 7
#define IGB_VT_CTL_DEF_POOL_MASK  7
#define IGB_VT_CTL_IGNORE_MAC     BIT(28)
#define IGB_VT_CTL_DIS_DEF_POOL   BIT(29)
#define IGB_VT_CTL_REPL_EN        BIT(30)

/* VMOLR */
#define IGB_VMOLR_RLPML_MASK    0x3FFF
#define IGB_VMOLR_LPE           BIT(16)
#define IGB_VMOLR_RSSE          BIT(17)
#define IGB_VMOLR_AUPE          BIT(24)
#define IGB_VMOLR_ROMPE         BIT(25)
#define IGB_VMOLR_ROPE          BIT(26)
#define IGB_VMOLR_BAM           BIT(27)
#define IGB_VMOLR_MPME          BIT(28)
#define IGB_VMOLR_STRVLAN       BIT(30)
#define IGB_VMOLR_STRCRC        BIT(31)

/* VLVF */
#define IGB_VLVF_VID_MASK       0xFFF
#define IGB_VLVF_POOL_SHIFT     12
#define IGB_VLVF_EN             BIT(31)

/* DTXSWC */
#define IGB_DTXSWC_MAC_SPOOF_MASK   0xFF
#define IGB_DTXSWC_VLAN_SPOOF_SHIFT 8
#define IGB_DTXSWC_LOOPBACK_EN      BIT(31)

/* VMVIR */
#define IGB_VMVIR_VID_MASK      0xFFFF
#define IGB_VMVIR_DEFAULT       BIT(30)
#define IGB_VMVIR_NEVER         BIT(31)

/* Queue registers: queue n at 0xC000 / 0xE000 + 0x40 * n; n < 4 aliased */
#define IGB_RXQ_BASE        0x0C000
#define IGB_TXQ_BASE        0x0E000
#define IGB_RXQ_ALIAS       0x02800
#define IGB_TXQ_ALIAS       0x03800
#define IGB_Q_STRIDE        0x40
#define IGB_Q_ALIAS_STRIDE  0x100
#define IGB_RDBAL(n)    (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x00)
#define IGB_RDBAH(n)    (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x04)
#define IGB_RDLEN(n)    (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x08)
#define IGB_SRRCTL(n)   (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x0C)
#define IGB_RDH(n)      (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x10)
#define IGB_RXCTL(n)    (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x14)
#define IGB_RDT(n)      (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x18)
#define IGB_RXDCTL(n)   (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x28)
#define IGB_RQDPC(n)    (IGB_RXQ_BASE + IGB_Q_STRIDE * (n) + 0x30)
#define IGB_TDBAL(n)    (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x00)
#define IGB_TDBAH(n)    (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x04)
#define IGB_TDLEN(n)    (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x08)
#define IGB_TDH(n)      (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x10)
#define IGB_TXCTL(n)    (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x14)
#define IGB_TDT(n)      (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x18)
#define IGB_TXDCTL(n)   (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x28)
#define IGB_TDWBAL(n)   (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x38)
#define IGB_TDWBAH(n)   (IGB_TXQ_BASE + IGB_Q_STRIDE * (n) + 0x3C)

/* Statistics (all clear on read) */
#define IGB_STATS_START 0x04000
#define IGB_STATS_END   0x04140
#define IGB_CRCERRS     0x04000
#define IGB_MPC         0x04010
#define IGB_PRC64       0x0405C
#define IGB_PRC127      0x04060
#define IGB_PRC255      0x04064
#define IGB_PRC511      0x04068
#define IGB_PRC1023     0x0406C
#define IGB_PRC1522     0x04070
#define IGB_GPRC        0x04074
#define IGB_BPRC        0x04078
#define IGB_MPRC        0x0407C
#define IGB_GPTC        0x04080
#define IGB_GORCL       0x04088
#define IGB_GORCH       0x0408C
#define IGB_GOTCL       0x04090
#define IGB_GOTCH       0x04094
#define IGB_RNBC        0x040A0
#define IGB_RUC         0x040A4
#define IGB_RFC         0x040A8
#define IGB_ROC         0x040AC
#define IGB_RJC         0x040B0
#define IGB_TORL        0x040C0
#define IGB_TORH        0x040C4
#define IGB_TOTL        0x040C8
#define IGB_TOTH        0x040CC
#define IGB_TPR         0x040D0
#define IGB_TPT         0x040D4
#define IGB_PTC64       0x040D8
#define IGB_PTC127      0x040DC
#define IGB_PTC255      0x040E0
#define IGB_PTC511      0x040E4
#define IGB_PTC1023     0x040E8
#define IGB_PTC1522     0x040EC
#define IGB_MPTC        0x040F0
#define IGB_BPTC        0x040F4
#define IGB_TSCTC       0x040F8
#define IGB_TSCTFC      0x040FC
#define IGB_IAC         0x04100
#define IGB_ICRXPTC     0x04104
#define IGB_ICRXATC     0x04108
#define IGB_ICTXPTC     0x0410C
#define IGB_ICTXATC     0x04110
#define IGB_ICTXQEC     0x04118
#define IGB_ICTXQMTC    0x0411C
#define IGB_ICRXDMTC    0x04120
#define IGB_ICRXOC      0x04124
#define IGB_PCS_CFG0    0x04200
#define IGB_PCS_LCTL    0x04208
#define IGB_PCS_LSTAT   0x0420C
#define IGB_PCS_ANADV   0x04218
#define IGB_PCS_LPAB    0x0421C

/* IEEE 1588 */
#define IGB_TSYNCTXCTL  0x0B614
#define IGB_TXSTMPL     0x0B618
#define IGB_TXSTMPH     0x0B61C
#define IGB_TSYNCRXCTL  0x0B620
#define IGB_RXSTMPL     0x0B624
#define IGB_RXSTMPH     0x0B628
#define IGB_RXSATRL     0x0B62C
#define IGB_RXSATRH     0x0B630
#define IGB_SYSTIML     0x0B600
#define IGB_SYSTIMH     0x0B604
#define IGB_TIMINCA     0x0B608
#define IGB_TIMADJL     0x0B60C
#define IGB_TIMADJH     0x0B610
#define IGB_TSAUXC      0x0B640
#define IGB_TSICR       0x0B66C

/* Receive queue steering filters */
#define IGB_SYNQF           0x055FC
#define IGB_SAQF(n)         (0x05980 + 4 * (n))
#define IGB_DAQF(n)         (0x059A0 + 4 * (n))
#define IGB_SPQF(n)         (0x059C0 + 4 * (n))
#define IGB_FTQF(n)         (0x059E0 + 4 * (n))
#define IGB_IMIR(n)         (0x05A80 + 4 * (n))
#define IGB_IMIREXT(n)      (0x05AA0 + 4 * (n))
#define IGB_IMIRVP          0x05AC0
#define IGB_NUM_5TUPLE      8
#define IGB_NUM_ETQF        8
#define IGB_TSYNCRXCFG      0x05F50

#define IGB_ETQF_ETYPE_MASK     0xFFFF
#define IGB_ETQF_QUEUE_SHIFT    16
#define IGB_ETQF_QUEUE_MASK     7
#define IGB_ETQF_FILTER_EN      BIT(26)
#define IGB_ETQF_IMM_INT        BIT(29)
#define IGB_ETQF_1588           BIT(30)
#define IGB_ETQF_QUEUE_EN       BIT(31)
#define IGB_FTQF_PROTO_MASK     0xFF
#define IGB_FTQF_QUEUE_EN       BIT(8)
#define IGB_FTQF_VF_BP          BIT(15)
#define IGB_FTQF_QUEUE_SHIFT    16
#define IGB_FTQF_QUEUE_MASK     0xF
#define IGB_FTQF_1588           BIT(27)
#define IGB_FTQF_PROTO_BP       BIT(28)
#define IGB_FTQF_SRC_ADDR_BP    BIT(29)
#define IGB_FTQF_DST_ADDR_BP    BIT(30)
#define IGB_FTQF_SRC_PORT_BP    BIT(31)
#define IGB_IMIR_PORT_IM_EN     BIT(16)
#define IGB_IMIR_PORT_BP        BIT(17)
#define IGB_SYNQF_EN            BIT(0)
#define IGB_SYNQF_QUEUE_SHIFT   1
#define IGB_SYNQF_QUEUE_MASK    7

/* Transmit rate limiting (per queue, selected by RTTDQSEL) */
#define IGB_RTTDQSEL        0x03604
#define IGB_RTTBCNRM        0x03690
#define IGB_RTTBCNRC        0x036B0
#define IGB_RTTBCNRC_RS_ENA     BIT(31)
#define IGB_RTTBCNRC_RF_INT_SHIFT 14
#define IGB_RTTBCNRC_RF_INT_MASK  0x3FF
#define IGB_RTTBCNRC_RF_DEC_MASK  0x3FFF

/* Time sync */
#define IGB_TSYNC_VALID         BIT(0)
#define IGB_TSYNC_ENABLED       BIT(4)
#define IGB_TSYNCRXCTL_TYPE_MASK      0xE
#define IGB_TSYNCRXCTL_TYPE_L2_V2     0x0
#define IGB_TSYNCRXCTL_TYPE_L4_V1     0x2
#define IGB_TSYNCRXCTL_TYPE_L2_L4_V2  0x4
#define IGB_TSYNCRXCTL_TYPE_ALL       0x8
#define IGB_TSYNCRXCTL_TYPE_EVENT_V2  0xA
#define IGB_ADVTXD_MAC_TSTAMP   BIT(19)
#define IGB_RXDADV_STAT_TS      BIT(16)
#define IGB_RXDADV_HDRBUFLEN_SHIFT 5
#define IGB_RXDADV_SPH          BIT(15)

/* CTRL */
#define IGB_CTRL_FD             BIT(0)
#define IGB_CTRL_GIO_MASTER_DIS BIT(2)
#define IGB_CTRL_LRST           BIT(3)
#define IGB_CTRL_SLU            BIT(6)
#define IGB_CTRL_FRCSPD         BIT(11)
#define IGB_CTRL_FRCDPX         BIT(12)
#define IGB_CTRL_RST            BIT(26)
#define IGB_CTRL_RFCE           BIT(27)
#define IGB_CTRL_TFCE           BIT(28)
#define IGB_CTRL_DEV_RST        BIT(29)
#define IGB_CTRL_VME            BIT(30)
#define IGB_CTRL_PHY_RST        BIT(31)

/* STATUS */
#define IGB_STATUS_FD           BIT(0)
#define IGB_STATUS_LU           BIT(1)
#define IGB_STATUS_TXOFF        BIT(4)
#define IGB_STATUS_SPEED_1000   BIT(7)
#define IGB_STATUS_GIO_MASTER   BIT(19)
#define IGB_STATUS_PF_RST_DONE  BIT(21)

/* EECD */
#define IGB_EECD_SK             BIT(0)
#define IGB_EECD_CS             BIT(1)
#define IGB_EECD_DI             BIT(2)
#define IGB_EECD_DO             BIT(3)
#define IGB_EECD_REQ            BIT(6)
#define IGB_EECD_GNT            BIT(7)
#define IGB_EECD_PRES           BIT(8)
#define IGB_EECD_AUTO_RD        BIT(9)
#define IGB_EECD_ADDR_BITS      BIT(10)
#define IGB_EECD_SIZE_SHIFT     11

/* EERD / EEWR */
#define IGB_EERW_START          BIT(0)
#define IGB_EERW_DONE           BIT(1)
#define IGB_EERW_ADDR_SHIFT     2
#define IGB_EERW_ADDR_MASK      0x3FFF
#define IGB_EERW_DATA_SHIFT     16

/* EEMNGCTL */
#define IGB_EEMNGCTL_CFG_DONE0  BIT(18)
#define IGB_EEMNGCTL_CFG_DONE1  BIT(19)

/* WUC / WUFC / WUS (wake-up) */
#define IGB_WUC_APME            BIT(0)
#define IGB_WUC_PME_EN          BIT(1)
#define IGB_WUC_PME_STATUS      BIT(2)
#define IGB_WUFC_LNKC           BIT(0)
#define IGB_WUFC_MAG            BIT(1)
#define IGB_WUFC_EX             BIT(2)
#define IGB_WUFC_MC             BIT(3)
#define IGB_WUFC_BC             BIT(4)
#define IGB_WUFC_UNMODELLED     0x000F00E0  /* ARP, IPv4, IPv6, flexible */
#define IGB_WUPM_BYTES          128

/* CTRL_EXT */
#define IGB_CTRL_EXT_PFRSTD     BIT(14)
#define IGB_CTRL_EXT_EXT_VLAN   BIT(26)     /* all frames carry an outer tag */
#define IGB_CTRL_EXT_IAME       BIT(27)
#define IGB_CTRL_EXT_DRV_LOAD   BIT(28)

/* MDIC */
#define IGB_MDIC_DATA_MASK      0xFFFF
#define IGB_MDIC_REG_SHIFT      16
#define IGB_MDIC_REG_MASK       0x1F
#define IGB_MDIC_PHY_SHIFT      21
#define IGB_MDIC_PHY_MASK       0x1F
#define IGB_MDIC_OP_WRITE       (1u << 26)
#define IGB_MDIC_OP_READ        (2u << 26)
#define IGB_MDIC_OP_MASK        (3u << 26)
#define IGB_MDIC_READY          BIT(28)
#define IGB_MDIC_INT_EN         BIT(29)
#define IGB_MDIC_ERROR          BIT(30)

/* Interrupt causes (ICR/ICS/IMS/IMC/IAM) */
#define IGB_ICR_TXDW            BIT(0)
#define IGB_ICR_LSC             BIT(2)
#define IGB_ICR_RXSEQ           BIT(3)
#define IGB_ICR_RXDMT0          BIT(4)
#define IGB_ICR_RXO             BIT(6)
#define IGB_ICR_RXDW            BIT(7)
#define IGB_ICR_MDAC            BIT(9)
#define IGB_ICR_VMMB            BIT(8)
#define IGB_ICR_TIME_SYNC       BIT(19)
#define IGB_ICR_DOUTSYNC        BIT(28)
#define IGB_ICR_DRSTA           BIT(30)
#define IGB_ICR_INT_ASSERTED    BIT(31)
/* what ICS can set on the 82576 (matches the driver's self-test mask) */
#define IGB_ICR_WRITABLE        0x77D4FBFD

/* GPIE */
#define IGB_GPIE_NSICR          BIT(0)
#define IGB_GPIE_MSIX_MODE      BIT(4)
#define IGB_GPIE_EIAME          BIT(30)
#define IGB_GPIE_PBA            BIT(31)

/* IVAR entries */
#define IGB_IVAR_VALID          0x80
#define IGB_IVAR_VEC_MASK       0x1F

/* EITR */
#define IGB_EITR_INTERVAL_SHIFT 2
#define IGB_EITR_INTERVAL_MASK  0x1FFF

/* RCTL */
#define IGB_RCTL_EN             BIT(1)
#define IGB_RCTL_SBP            BIT(2)
#define IGB_RCTL_UPE            BIT(3)
#define IGB_RCTL_MPE            BIT(4)
#define IGB_RCTL_LPE            BIT(5)
#define IGB_RCTL_LBM_SHIFT      6
#define IGB_RCTL_LBM_MASK       (3u << 6)
#define IGB_RCTL_LBM_MAC        (1u << 6)
#define IGB_RCTL_RDMTS_SHIFT    8
#define IGB_RCTL_MO_SHIFT       12
#define IGB_RCTL_BAM            BIT(15)
#define IGB_RCTL_BSIZE_SHIFT    16
#define IGB_RCTL_VFE            BIT(18)
#define IGB_RCTL_BSEX           BIT(25)
#define IGB_RCTL_SECRC          BIT(26)

/* SRRCTL */
#define IGB_SRRCTL_BSIZEPKT_MASK    0x7F
#define IGB_SRRCTL_BSIZEHDR_SHIFT   8
#define IGB_SRRCTL_BSIZEHDR_MASK    0xF
#define IGB_SRRCTL_DESCTYPE_SHIFT   25
#define IGB_SRRCTL_DESCTYPE_MASK    7
#define IGB_SRRCTL_DESC_LEGACY      0
#define IGB_SRRCTL_DESC_ADV_ONEBUF  1
#define IGB_SRRCTL_DESC_HDR_SPLIT   2
#define IGB_SRRCTL_DESC_HDR_ALWAYS  5
#define IGB_SRRCTL_DROP_EN          BIT(31)

/* RXCSUM */
#define IGB_RXCSUM_IPOFL        BIT(8)
#define IGB_RXCSUM_TUOFL        BIT(9)
#define IGB_RXCSUM_CRCOFL       BIT(11)
#define IGB_RXCSUM_PCSD         BIT(13)

/* RXDCTL / TXDCTL */
#define IGB_QDCTL_ENABLE        BIT(25)
#define IGB_QDCTL_SWFLUSH       BIT(26)
#define IGB_TXDCTL_WTHRESH_MASK (0x1F << 16)

/* TCTL */
#define IGB_TCTL_EN             BIT(1)
#define IGB_TCTL_PSP            BIT(3)

/* TDWBAL */
#define IGB_TDWBAL_EN           BIT(0)

/* RAH */
#define IGB_RAH_AV              BIT(31)
#define IGB_RAH_ASEL_MASK       (3u << 16)
#define IGB_RAH_POOL_SHIFT      18

/* SWSM */
#define IGB_SWSM_SMBI           BIT(0)
#define IGB_SWSM_SWESMBI        BIT(1)

/* PHY registers (IGP-style internal PHY of the 82576) */
#define IGB_PHY_CTRL            0x00
#define IGB_PHY_STATUS          0x01
#define IGB_PHY_ID1             0x02
#define IGB_PHY_ID2             0x03
#define IGB_PHY_AUTONEG_ADV     0x04
#define IGB_PHY_LP_ABILITY      0x05
#define IGB_PHY_AUTONEG_EXP     0x06
#define IGB_PHY_NEXT_PAGE_TX    0x07
#define IGB_PHY_LP_NEXT_PAGE    0x08
#define IGB_PHY_1000T_CTRL      0x09
#define IGB_PHY_1000T_STATUS    0x0A
#define IGB_PHY_EXT_STATUS      0x0F
#define IGB_PHY_PORT_CONFIG     0x10
#define IGB_PHY_PORT_STATUS     0x11
#define IGB_PHY_PORT_CTRL       0x12
#define IGB_PHY_LINK_HEALTH     0x13
#define IGB_PHY_POWER_MGMT      0x19
#define IGB_PHY_PAGE_SELECT     0x1F
#define IGB_PHY_NREGS           0x20

#define IGB_PHY_CTRL_SPD_MSB    BIT(6)
#define IGB_PHY_CTRL_FD         BIT(8)
#define IGB_PHY_CTRL_RESTART_AN BIT(9)
#define IGB_PHY_CTRL_ISOLATE    BIT(10)
#define IGB_PHY_CTRL_PDOWN      BIT(11)
#define IGB_PHY_CTRL_AN_EN      BIT(12)
#define IGB_PHY_CTRL_LOOPBACK   BIT(14)
#define IGB_PHY_CTRL_RESET      BIT(15)

#define IGB_PHY_STATUS_LINK     BIT(2)
#define IGB_PHY_STATUS_AN_DONE  BIT(5)

#define IGB_PHY_ID              0x02A80390  /* IGP03E1000_E_PHY_ID */

/* Legacy TX descriptor (lower dword: length, CSO, CMD) */
#define IGB_TXD_CMD_EOP         BIT(24)
#define IGB_TXD_CMD_IFCS        BIT(25)
#define IGB_TXD_CMD_IC          BIT(26)
#define IGB_TXD_CMD_RS          BIT(27)
#define IGB_TXD_CMD_DEXT        BIT(29)
#define IGB_TXD_CMD_VLE         BIT(30)
#define IGB_TXD_STA_DD          BIT(0)

/* Advanced TX descriptors */
#define IGB_ADVTXD_DTYP_SHIFT   20
#define IGB_ADVTXD_DTYP_MASK    0xF
#define IGB_ADVTXD_DTYP_CTXT    2
#define IGB_ADVTXD_DTYP_DATA    3
#define IGB_ADVTXD_DCMD_TSE     BIT(31)
#define IGB_ADVTXD_LEN_MASK     0xFFFF
#define IGB_ADVTXD_IDX_SHIFT    4
#define IGB_ADVTXD_POPTS_IXSM   BIT(8)
#define IGB_ADVTXD_POPTS_TXSM   BIT(9)
#define IGB_ADVTXD_PAYLEN_SHIFT 14
#define IGB_ADVTXD_TUCMD_IPV4   BIT(10)
#define IGB_ADVTXD_TUCMD_L4T_SHIFT 11
#define IGB_ADVTXD_TUCMD_L4T_MASK  3
#define IGB_ADVTXD_L4T_UDP      0
#define IGB_ADVTXD_L4T_TCP      1
#define IGB_ADVTXD_L4T_SCTP     2
#define IGB_ADVTXD_MSS_SHIFT    16
#define IGB_ADVTXD_L4LEN_SHIFT  8

/* RX descriptor status/error bits */
#define IGB_RXD_STAT_DD         BIT(0)
#define IGB_RXD_STAT_EOP        BIT(1)
#define IGB_RXD_STAT_IXSM       BIT(2)
#define IGB_RXD_STAT_VP         BIT(3)
#define IGB_RXD_STAT_UDPCS      BIT(4)
#define IGB_RXD_STAT_TCPCS      BIT(5)
#define IGB_RXD_STAT_IPCS       BIT(6)
/* errors: legacy error byte; in advanced descriptors shifted to 31:24 */
#define IGB_RXD_ERR_TCPE        BIT(5)
#define IGB_RXD_ERR_IPE         BIT(6)

#endif
