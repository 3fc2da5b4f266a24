#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs for the igb fuzz targets (tests/qtest/fuzz/igb_fuzz.c).

Each seed is a short driver session in the targets' input format (an
opcode byte, then fixed little-endian operands): what Linux's igb and
igbvf do to bring queues up, then traffic both ways.  They give libFuzzer
a start deep in the TX, RX, loopback and VMDq code instead of having it
find the ring registers by chance.

Usage: igb-fuzz-seeds.py DIR   (writes DIR/igb-pf/*, DIR/igb-sriov/* and
                                DIR/igb-vnet/*)
"""
import os
import struct
import sys

(OP_PF_REG, OP_VF_REG, OP_MSIX, OP_IO, OP_CONFIG, OP_MEM_WRITE, OP_RX_FRAME,
 OP_CLOCK, OP_RING_SETUP, OP_TX_DESC, OP_FLASH, OP_LINK, OP_RX_IOV,
 OP_RUNSTATE, OP_SNAPSHOT, OP_RX_VNET) = range(16)
OP_REPLUG = 0xff        # the one opcode byte not taken modulo 16

DMA_BASE = 0x100000
RING_BASE = DMA_BASE
BUF_BASE = DMA_BASE + 0x100000
SIZE_L, WRITE = 2, 4

MAC = bytes.fromhex('525400123456')
VF_MAC = [bytes.fromhex('5254000000%02x' % (0x10 + i)) for i in range(7)]


def pf_wr(off, val):
    return struct.pack('<BBII', OP_PF_REG, SIZE_L | WRITE, off, val)


def pf_rd(off):
    return struct.pack('<BBII', OP_PF_REG, SIZE_L, off, 0)


def vf_wr(vf, off, val):
    return struct.pack('<BBBHI', OP_VF_REG, SIZE_L | WRITE, vf, off, val)


def vf_rd(vf, off):
    return struct.pack('<BBBHI', OP_VF_REG, SIZE_L, vf, off, 0)


def mem(addr, data):
    out = b''
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += struct.pack('<BIB', OP_MEM_WRITE, addr + i - DMA_BASE,
                           len(chunk)) + chunk
    return out


def rx_frame(frame):
    return struct.pack('<BH', OP_RX_FRAME, len(frame)) + frame


def rx_iov(frame, c1, c2):
    return struct.pack('<BHHH', OP_RX_IOV, len(frame), c1, c2) + frame


def rx_vnet(frame, flags=0, gso_type=0, hdr_len=0, gso_size=0,
            csum_start=0, csum_offset=0):
    """A frame from a TAP with a virtio_net_hdr (igb-vnet)."""
    return struct.pack('<BHBBHHHH', OP_RX_VNET, len(frame), flags, gso_type,
                       hdr_len, gso_size, csum_start, csum_offset) + frame


def runstate(run):
    return struct.pack('<BB', OP_RUNSTATE, run)


def snapshot():
    return struct.pack('<B', OP_SNAPSHOT)


def replug(up):
    """The PF unplugged and a new one plugged; up: BARs and VFs again."""
    return struct.pack('<BB', OP_REPLUG, up)


def link(up):
    return struct.pack('<BB', OP_LINK, up)


def clock(ns):
    return struct.pack('<BI', OP_CLOCK, ns)


def ring_setup(q, flags):
    return struct.pack('<BBB', OP_RING_SETUP, q, flags)


def tx_desc(q, lo, hi):
    return struct.pack('<BBQQ', OP_TX_DESC, q, lo, hi)


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, payload, src='10.0.2.2', dst='10.0.2.15'):
    a = bytes(int(x) for x in src.split('.'))
    b = bytes(int(x) for x in dst.split('.'))
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0x4000,
                      64, proto, 0, a, b)
    hdr = hdr[:10] + struct.pack('!H', csum(hdr)) + hdr[12:]
    return hdr, a, b


def tcp_frame(dst_mac, n, vlan=None, sport=1234, dport=80):
    data = bytes((i * 7) & 0xff for i in range(n))
    tcp = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 0x18, 65535,
                      0, 0) + data
    hdr, a, b = ipv4(6, tcp)
    pseudo = a + b + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
    l2 = dst_mac + MAC[:5] + b'\x99'
    if vlan is not None:
        l2 += struct.pack('!HH', 0x8100, vlan)
    return l2 + b'\x08\x00' + hdr + tcp


def udp_frame(dst_mac, n):
    data = bytes(range(256)) * (n // 256 + 1)
    udp = struct.pack('!HHHH', 5000, 319, 8 + n, 0) + data[:n]
    hdr, _, _ = ipv4(17, udp)
    return dst_mac + MAC[:5] + b'\x98' + b'\x08\x00' + hdr + udp


def ipv6_frame(dst_mac, proto, n, vlan=None):
    """IPv6 with a destination-options extension header, then TCP/UDP."""
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', 4321, 443, 7, 0, 5 << 4, 0x10, 1000,
                         0, 0)
    else:
        l4 = struct.pack('!HHHH', 4321, 53, 8 + n, 0)
    l4 += bytes(range(n % 256)) * (n // 256) + bytes(range(n % 256))
    ext = struct.pack('!BB6s', proto, 0, bytes(6))
    hdr = struct.pack('!IHBB16s16s', 6 << 28, len(ext) + len(l4), 60, 64,
                      bytes.fromhex('fe80' + '00' * 13 + '01'),
                      bytes.fromhex('fe80' + '00' * 13 + '02'))
    l2 = dst_mac + MAC[:5] + b'\x97'
    if vlan is not None:
        l2 += struct.pack('!HH', 0x8100, vlan)
    return l2 + b'\x86\xdd' + hdr + ext + l4


def msix(fn, off, val, size=SIZE_L):
    """MSI-X table/PBA access: fn 0 is the PF, 1..7 the VFs."""
    return struct.pack('<BBBHI', OP_MSIX, size | WRITE, fn, off, val)


def msix_unmask(fn, vectors):
    return b''.join(msix(fn, 16 * v, 0xfee00000) + msix(fn, 16 * v + 8, 0x4041 + v) +
                    msix(fn, 16 * v + 12, 0) for v in range(vectors))


def pf_basics(q=0):
    """Reset, link up, MAC filter, interrupts: what igb_probe/open do.

    @q is the PF's first queue: 0 alone, 7 (pool 7's) with seven VFs, whose
    pools own queues 0-6 and 8-14."""
    s = pf_wr(0x0000, 1 << 26)                      # CTRL.RST
    s += clock(1000000)
    s += pf_wr(0x0000, 1 << 6 | 1 << 0)             # CTRL.SLU | FD
    s += pf_wr(0x5400, struct.unpack('<I', MAC[:4])[0])
    s += pf_wr(0x5404, struct.unpack('<H', MAC[4:])[0] | 1 << 31 |
               (1 << (18 + q) if q else 0))         # RAH: pool 7 with VFs
    s += pf_wr(0x1514, 1 << 4 | 1 << 31 | 1 << 30 | 1 << 0)  # GPIE
    # IVAR(q): queue q's RX -> vector 0, TX -> 1; queue q+8's RX -> 1
    s += pf_wr(0x1700 + 4 * q, 0x8180 | 0x81 << 16)
    s += pf_wr(0x1740, 0x82)                        # IVAR_MISC -> 2
    s += pf_wr(0x1524, 0x7)                         # EIMS
    s += pf_wr(0x1680, 196 << 2)                    # EITR0
    s += pf_wr(0x00d0, 0xffffffff)                  # IMS
    s += pf_wr(0x5000, 1 << 8 | 1 << 9)             # RXCSUM IPOFLD|TUOFLD
    return s


EOP, IFCS, RS, DEXT, TSE = 1 << 24, 1 << 25, 1 << 27, 1 << 29, 1 << 31
DATA, CTXT = 3 << 20, 2 << 20
IC, VLE = 1 << 26, 1 << 30                      # legacy descriptors


def adv_ctx(q, maclen, iplen, l4len, mss):
    """Context descriptor: IPv4, TCP (TUCMD 0x400 | 0x800)."""
    return tx_desc(q, maclen << 9 | iplen,
                   0xc00 | CTXT | DEXT | (l4len << 8 | mss << 16) << 32)


def adv_data(q, length, cmd, popts=0, paylen=0):
    """Advanced data descriptor; the buffer is the target's for that slot."""
    return tx_desc(q, 0, length | DATA | DEXT | IFCS | cmd |
                   (popts << 8 | paylen << 14) << 32)


def seed_pf_rx(q=0):
    s = (vmdq_pf() if q else pf_basics()) + ring_setup(q, 0x02)  # advanced
    s += ring_setup(q + 8, 0x02 | 0x40)             # promiscuous
    s += rx_frame(b'\xff' * 6 + MAC + b'\x08\x06' + bytes(46))
    s += rx_frame(tcp_frame(MAC, 1460))
    s += rx_frame(tcp_frame(MAC, 100, vlan=5))
    s += rx_frame(udp_frame(MAC, 64))
    s += rx_iov(tcp_frame(MAC, 200), 6, 20) + rx_iov(tcp_frame(MAC, 9), 0, 0)
    s += clock(500000)
    s += pf_rd(0x00c0) + pf_rd(0x1580) + pf_rd(0x4074)
    return s


def seed_pf_split():
    s = pf_basics() + ring_setup(0, 0x04 | 0x01)    # header split
    s += ring_setup(1, 0x02) + ring_setup(2, 0x0a) + ring_setup(3, 0x02)
    s += b''.join(pf_wr(0x5c00 + 4 * i, 0x03020100) for i in range(32))
    s += pf_wr(0x5818, 1 << 1 | 0x003f0000)         # MRQC RSS, all hashes
    for i in range(10):
        s += pf_wr(0x5c80 + 4 * i, 0x6d5a56da + i)  # RSSRK
    for port in range(8):
        s += rx_frame(tcp_frame(MAC, 600, sport=1000 + port))
    s += rx_frame(udp_frame(MAC, 1000))
    s += rx_frame(ipv6_frame(MAC, 6, 200))
    s += rx_frame(ipv6_frame(MAC, 17, 300))
    s += clock(200000)
    return s


def seed_pf_tx(q=0):
    """TSO of a 3000-byte TCP frame in two buffers, then legacy frames."""
    s = (vmdq_pf() if q else pf_basics()) + ring_setup(q, 0x02)
    f = tcp_frame(b'\x02' * 6, 3000 - 54)
    # descriptor slot n uses the buffer at BUF_BASE + n * 2048
    s += mem(BUF_BASE + 1 * 2048, f[:2048]) + mem(BUF_BASE + 2 * 2048, f[2048:])
    s += mem(BUF_BASE + 3 * 2048, tcp_frame(b'\x02' * 6, 6))
    s += adv_ctx(q, 14, 20, 20, 1448)
    s += adv_data(q, 2048, TSE, popts=3, paylen=len(f) - 54)
    s += adv_data(q, len(f) - 2048, TSE | EOP | RS, popts=3,
                  paylen=len(f) - 54)
    s += tx_desc(q, 0, 60 | EOP | IFCS | RS)        # legacy
    # legacy with a checksum (IC, CSS 34, CSO 40: UDP's) and a VLAN tag,
    # then one whose CSO lies outside the frame
    u = udp_frame(b'\x02' * 6, 100)
    s += mem(BUF_BASE + 4 * 2048, u) + mem(BUF_BASE + 5 * 2048, u)
    s += tx_desc(q, 0, len(u) | EOP | IFCS | RS | IC | VLE | 40 << 16 |
                 34 << 40 | 7 << 48)
    s += tx_desc(q, 0, len(u) | EOP | IFCS | RS | IC | 250 << 16 | 34 << 40)
    s += clock(1000000)
    s += pf_rd(0xe010 + 0x40 * q) + pf_rd(0x4080)
    return s


def seed_pf_loopback():
    s = pf_basics() + ring_setup(0, 0x02 | 0x40 | 0x80)   # MAC loopback
    f = tcp_frame(MAC, 500)
    s += mem(BUF_BASE, f)
    s += adv_data(0, len(f), EOP | RS, popts=2, paylen=len(f))
    s += clock(1000000)
    return s


def seed_sriov():
    """PF with VMDq on, VF0 and VF1 rings, VF0 -> VF1 through the switch."""
    s = pf_basics()
    s += pf_wr(0x0018, 1 << 14)                     # CTRL_EXT.PFRSTD
    s += pf_wr(0x5818, 3)                           # MRQC: VMDq
    s += pf_wr(0x581c, 7 << 7)                      # VT_CTL default pool 7
    s += pf_wr(0x0c8c, 0xff) + pf_wr(0x0c90, 0xff)  # VFRE, VFTE
    s += pf_wr(0x3500, 1 << 31 | 0x0303)           # DTXSWC loopback, spoof
    s += pf_wr(0x1700 + 4 * 7, 0x8180 | 0x81 << 16)  # PF queues 7 and 15

    for vf in range(2):
        s += pf_wr(0x5400 + 8 * (1 + vf),
                   struct.unpack('<I', VF_MAC[vf][:4])[0])
        s += pf_wr(0x5404 + 8 * (1 + vf),
                   struct.unpack('<H', VF_MAC[vf][4:])[0] | 1 << 31 |
                   1 << (18 + vf))
        s += pf_wr(0x5ad0 + 4 * vf, 1 << 27 | 1 << 24 | 1 << 28 | 1536)
        # the VF: mailbox reset request, then its queue 0 both ways
        s += vf_wr(vf, 0x0c40, 1)                   # V2PMAILBOX REQ
        s += vf_wr(vf, 0x0800, 1)                   # VMBMEM: VF_RESET
        s += vf_wr(vf, 0x0000, 1 << 26)             # VF CTRL.RST
        rx = RING_BASE + 0x40000 + vf * 0x2000
        tx = rx + 0x1000
        bufs = BUF_BASE + 0x80000 + vf * 0x10000
        s += mem(rx, b''.join(struct.pack('<QQ', bufs + i * 2048, 0)
                              for i in range(8)))
        s += vf_wr(vf, 0x2800, rx) + vf_wr(vf, 0x2804, 0)
        s += vf_wr(vf, 0x2808, 128) + vf_wr(vf, 0x280c, 2 | 1 << 25)
        s += vf_wr(vf, 0x2828, 1 << 25) + vf_wr(vf, 0x2818, 7)
        s += vf_wr(vf, 0x3800, tx) + vf_wr(vf, 0x3804, 0)
        s += vf_wr(vf, 0x3808, 128) + vf_wr(vf, 0x3828, 1 << 25)
        s += vf_wr(vf, 0x1524, 7) + vf_wr(vf, 0x1700, 0x8180)
    s += pf_wr(0x0100, 1 << 1 | 1 << 15 | 1 << 26)  # RCTL
    s += pf_wr(0x0400, 1 << 1 | 1 << 3)             # TCTL
    f = tcp_frame(VF_MAC[1], 700)
    f = f[:6] + VF_MAC[0] + f[12:]                  # not spoofed
    tx = RING_BASE + 0x40000 + 0x1000
    buf = BUF_BASE + 0x100000
    s += mem(buf, f)
    s += mem(tx, struct.pack('<QQ', buf, len(f) | DATA | DEXT | IFCS | EOP |
                             RS | (2 << 8 | len(f) << 14) << 32))
    s += vf_wr(0, 0x3818, 1)                        # VF0 TDT
    s += rx_frame(tcp_frame(VF_MAC[0], 300))        # wire -> VF0
    s += rx_frame(b'\xff' * 6 + MAC + b'\x08\x06' + bytes(46))
    s += clock(1000000)
    s += vf_rd(1, 0x0c40) + pf_rd(0x0c00) + vf_rd(1, 0x1580)
    return s


def seed_irq_legacy():
    """INTx: no GPIE.MSIX; causes from ICS, RX, TX, link; EITR holds them."""
    s = pf_wr(0x0000, 1 << 26) + clock(1000000)
    s += pf_wr(0x0000, 1 << 6 | 1 << 0)
    s += pf_wr(0x5400, struct.unpack('<I', MAC[:4])[0])
    s += pf_wr(0x5404, struct.unpack('<H', MAC[4:])[0] | 1 << 31)
    s += pf_wr(0x00d0, 0x1f5) + pf_wr(0x00c4, 2000)  # IMS, ITR
    s += pf_wr(0x1680, 500 << 2)                    # EITR0 in INTx mode
    s += ring_setup(0, 0x00) + ring_setup(1, 0x02)
    s += pf_wr(0x00c8, 1 << 2)                      # ICS.LSC
    s += link(0) + clock(100000) + pf_rd(0x0008) + link(1) + clock(3000000)
    s += pf_rd(0x00c0)                              # ICR (read clears)
    s += rx_frame(tcp_frame(MAC, 64))
    s += rx_frame(tcp_frame(MAC, 64))
    s += clock(100000) + clock(1000000)
    s += mem(BUF_BASE, udp_frame(b'\x02' * 6, 100))
    s += tx_desc(0, 0, 142 | EOP | IFCS | RS | 1 << 26)  # legacy, IC
    s += clock(2000000) + pf_rd(0x00c0) + pf_rd(0x00c0)
    s += pf_wr(0x00d8, 0xffffffff) + pf_wr(0x00c8, 0x80)  # IMC, ICS.RXT0
    s += pf_wr(0x1514, 1 << 4) + pf_wr(0x1524, 1)   # GPIE.MSIX off: EIAC..
    s += pf_wr(0x1520, 1) + pf_wr(0x1528, 1) + pf_rd(0x1580)
    return s


def seed_msix_moderation():
    """MSI-X with EIAC/EIAM, EITR counting down across clock steps, LLI."""
    s = pf_basics() + msix_unmask(0, 10) + ring_setup(0, 0x02)
    s += pf_wr(0x152c, 0x3) + pf_wr(0x1530, 0x3)    # EIAC, EIAM
    s += pf_wr(0x1680, 1000 << 2) + pf_wr(0x1684, 10 << 2 | 1 << 31)
    for i in range(4):
        s += rx_frame(tcp_frame(MAC, 100 + i))
        s += pf_wr(0x1520, 1 << 2)                  # EICS other
        s += clock(30000)
    s += pf_wr(0x5a80, 80 << 16 | 1 << 29 | 1 << 17)  # IMIR: port 80, LLI
    s += pf_wr(0x5aa0, 1 << 19 | 0x3f << 12)        # IMIREXT: any size
    s += pf_wr(0x5ac0, 1 << 31 | 5 << 13)           # IMIRVP
    s += rx_frame(tcp_frame(MAC, 40))
    s += rx_frame(tcp_frame(MAC, 40, vlan=5 << 13 | 3))
    s += msix(0, 12, 1) + pf_wr(0x1520, 7) + msix(0, 12, 0)  # masked -> PBA
    s += struct.pack('<BBBHI', OP_MSIX, SIZE_L, 0, 0x2000, 0)  # PBA read
    s += clock(5000000) + pf_rd(0x1580) + pf_wr(0x1528, 7)
    return s


def spi_bits(val, n, base):
    """EECD writes clocking @n bits of @val out, most significant first."""
    out = b''
    for i in reversed(range(n)):
        di = 4 if val >> i & 1 else 0
        out += pf_wr(0x10, base | di) + pf_wr(0x10, base | di | 1)
        out += pf_wr(0x10, base | di)
    return out


def seed_nvm_phy():
    """EEPROM by EERD, EEWR and SPI bit-banging; PHY by MDIC; flash."""
    s = pf_wr(0x0000, 1 << 26) + clock(1000000)
    for w in (0, 1, 2, 0x0a, 0x0f, 0x3f, 0x7f, 0x1000):
        s += pf_wr(0x14, w << 2 | 1) + pf_rd(0x14)  # EERD
    s += pf_wr(0x102c, 0x1234 << 16 | 0x30 << 2 | 1) + pf_rd(0x102c)  # EEWR
    req = 1 << 6
    s += pf_wr(0x10, req) + pf_rd(0x10)             # REQ, GNT?
    s += pf_wr(0x10, req | 2) + pf_wr(0x10, req)    # CS toggles: select
    s += spi_bits(0x05, 8, req) + spi_bits(0, 8, req)  # RDSR
    s += pf_wr(0x10, req | 2) + pf_wr(0x10, req)
    s += spi_bits(0x06, 8, req)                     # WREN
    s += pf_wr(0x10, req | 2) + pf_wr(0x10, req)
    s += spi_bits(0x02, 8, req) + spi_bits(0x80, 16, req)  # WRITE @0x80
    s += spi_bits(0xbeef, 16, req) + spi_bits(0x1234, 16, req)
    s += pf_wr(0x10, req | 2) + pf_wr(0x10, req)
    s += spi_bits(0x03, 8, req) + spi_bits(0x00, 16, req)  # READ @0
    s += spi_bits(0, 32, req)
    s += pf_wr(0x10, req | 2) + pf_wr(0x10, 0)      # deselect, release
    for reg, val in ((0, 1 << 9 | 1 << 12), (4, 0x1e1), (9, 0x300), (0x16, 1),
                     (0x11, 0), (0, 1 << 15), (0x10, 0x60), (0, 1 << 14)):
        s += pf_wr(0x20, 1 << 21 | reg << 16 | 1 << 26 | val)  # MDIC write
        s += pf_wr(0x20, 1 << 21 | reg << 16 | 2 << 26)        # MDIC read
        s += pf_rd(0x20)
    s += pf_wr(0x20, 2 << 21 | 1 << 16 | 2 << 26)  # another PHY address
    s += clock(3000000)
    for off in (0, 4, 0x40, 0x1fffc):
        s += struct.pack('<BBII', OP_FLASH, SIZE_L, off, 0)
        s += struct.pack('<BBII', OP_FLASH, SIZE_L | WRITE, off, 0x55aa)
    s += pf_wr(0x12010, 0) + pf_rd(0x1001c) + pf_wr(0x1001c, 1)  # FLA etc.
    return s


def seed_ptp():
    """PTP: SYSTIM running, RX and TX time stamps, reads that unlatch."""
    s = pf_basics() + ring_setup(0, 0x02)
    s += pf_wr(0xb608, 1 << 24 | 16)                # TIMINCA
    s += pf_wr(0xb604, 5) + pf_wr(0xb600, 10)       # SYSTIMH/L
    s += pf_wr(0xb620, 1 << 4 | 0x8)                # TSYNCRXCTL all
    s += pf_wr(0xb614, 1 << 4)                      # TSYNCTXCTL
    s += pf_wr(0x5f50, 0x1) + pf_wr(0x5cb0, 1 << 26 | 1 << 30 | 0x88f7)
    s += clock(1000)
    s += rx_frame(udp_frame(MAC, 44))               # port 319 event
    s += rx_frame(MAC + MAC[:5] + b'\x01' + b'\x88\xf7' + bytes(44))
    s += pf_rd(0xb620) + pf_rd(0xb624) + pf_rd(0xb628) + pf_rd(0xb620)
    f = udp_frame(b'\x02' * 6, 44)
    s += mem(BUF_BASE, f)
    s += adv_data(0, len(f), EOP | RS | 1 << 19, paylen=len(f))
    s += clock(100000) + pf_rd(0xb614) + pf_rd(0xb618) + pf_rd(0xb61c)
    s += pf_rd(0xb600) + pf_rd(0xb604)
    s += pf_wr(0xb610, 1000) + pf_wr(0xb60c, 0)     # TIMADJ
    s += pf_wr(0xb640, 0x100) + pf_wr(0xb644, 0)    # TRGTTIML0/H0
    return s


def seed_filters():
    """ETQF, 5-tuple (FTQF/TTQF) and SYN filters, VLAN filter table."""
    s = pf_basics() + b''.join(ring_setup(q, 0x02) for q in range(4))
    s += pf_wr(0x5cb0, 1 << 26 | 1 << 31 | 2 << 16 | 0x0806)  # ETQF ARP->q2
    s += pf_wr(0x59e0, 6 | 1 << 28 | 0x7 << 25 | 1 << 31)  # FTQF0
    s += pf_wr(0x5a40, 80) + pf_wr(0x5a80, 80 << 16 | 1 << 17)
    s += pf_wr(0x55fc, 1 | 3 << 1)                 # SYNQF -> q3
    s += pf_wr(0x0000, 1 << 6 | 1 << 0 | 1 << 30)   # CTRL.VME
    s += pf_wr(0x0100, 1 << 1 | 1 << 15 | 1 << 26 | 1 << 18)  # RCTL.VFE
    s += pf_wr(0x5600 + 4 * (5 >> 5), 1 << (5 & 31))  # VFTA: VLAN 5
    s += pf_wr(0x5d00, 1 << 31 | 5)
    s += rx_frame(b'\xff' * 6 + MAC + b'\x08\x06' + bytes(46))
    s += rx_frame(tcp_frame(MAC, 20, dport=80))
    syn = bytearray(tcp_frame(MAC, 0, dport=22))
    syn[14 + 20 + 13] = 0x02
    s += rx_frame(bytes(syn))
    s += rx_frame(tcp_frame(MAC, 30, vlan=5)) + rx_frame(tcp_frame(MAC, 30, vlan=6))
    s += rx_frame(ipv6_frame(MAC, 6, 100, vlan=5))
    s += clock(100000) + pf_rd(0x4010) + pf_rd(0x40a0)
    return s


def vf_up(vf, rx_flags=2):
    """What igbvf does: mailbox reset, its queue 0 both ways, vectors."""
    s = vf_wr(vf, 0x0c40, 1) + vf_wr(vf, 0x0800, 1) + vf_wr(vf, 0x0c40, 1 << 2)
    s += vf_wr(vf, 0x0000, 1 << 26)                 # VF CTRL.RST
    rx = RING_BASE + 0x40000 + vf * 0x2000
    tx = rx + 0x1000
    bufs = BUF_BASE + 0x80000 + vf * 0x10000
    s += mem(rx, b''.join(struct.pack('<QQ', bufs + i * 2048, bufs + i * 2048 + 1024)
                          for i in range(8)))
    s += vf_wr(vf, 0x2800, rx) + vf_wr(vf, 0x2804, 0)
    s += vf_wr(vf, 0x2808, 128) + vf_wr(vf, 0x280c, rx_flags << 25 | 2 | 2 << 8)
    s += vf_wr(vf, 0x2828, 1 << 25) + vf_wr(vf, 0x2818, 7)
    s += vf_wr(vf, 0x3800, tx) + vf_wr(vf, 0x3804, 0)
    s += vf_wr(vf, 0x3808, 128) + vf_wr(vf, 0x3828, 1 << 25)
    s += vf_wr(vf, 0x1524, 7) + vf_wr(vf, 0x1700, 0x8180)
    s += vf_wr(vf, 0x1740, 0x82) + vf_wr(vf, 0x1680, 100 << 2)
    s += msix_unmask(1 + vf, 3)
    return s


def vmdq_pf(mrqc=3):
    s = pf_basics(7)
    s += pf_wr(0x0018, 1 << 14)                     # CTRL_EXT.PFRSTD
    s += pf_wr(0x5818, mrqc)                        # MRQC: VMDq (+RSS)
    s += pf_wr(0x581c, 7 << 7 | 1 << 30)            # VT_CTL pool 7, REPL_EN
    s += pf_wr(0x0c8c, 0xff) + pf_wr(0x0c90, 0xff)  # VFRE, VFTE
    s += pf_wr(0x0c84, 0xff)                        # MBVFIMR
    s += pf_wr(0x3500, 1 << 31 | 0x0303)            # DTXSWC
    s += pf_wr(0x1524, 0x7) + pf_wr(0x1514, 1 << 4 | 1 << 31 | 1 << 30 | 1)
    s += pf_wr(0x5ad0 + 4 * 7, 1 << 27 | 1 << 24 | 1 << 26 | 1536)  # VMOLR7
    s += pf_wr(0x0100, 1 << 1 | 1 << 15 | 1 << 26)  # RCTL
    s += pf_wr(0x0400, 1 << 1 | 1 << 3)             # TCTL
    for vf in range(4):
        s += pf_wr(0x5400 + 8 * (1 + vf), struct.unpack('<I', VF_MAC[vf][:4])[0])
        s += pf_wr(0x5404 + 8 * (1 + vf), struct.unpack('<H', VF_MAC[vf][4:])[0] |
                   1 << 31 | 1 << (18 + vf))
        s += pf_wr(0x5ad0 + 4 * vf, 1 << 27 | 1 << 24 | 1 << 28 | 1 << 17 | 1536)
    return s


def seed_vf_mailbox():
    """Mailbox both ways with interrupts, VF resets, VFLR, VF vectors."""
    s = vmdq_pf() + msix_unmask(0, 3) + vf_up(0) + vf_up(1)
    for vf in range(2):
        s += vf_wr(vf, 0x0c40, 1)                   # REQ
        s += vf_wr(vf, 0x0800, 0x00010004) + vf_wr(vf, 0x0804, 0x12345678)
        s += vf_wr(vf, 0x0c40, 1 << 0 | 1 << 2)     # VFU
        s += vf_wr(vf, 0x0c40, 1)
        s += pf_rd(0x0c80) + pf_rd(0x0c80)          # MBVFICR
        s += pf_wr(0x0c00 + 4 * vf, 1 << 3)         # PFU
        s += pf_rd(0x0800 + 0x40 * vf) + pf_wr(0x0804 + 0x40 * vf, 0x80000001)
        s += pf_wr(0x0c00 + 4 * vf, 1 << 0 | 1 << 3)  # STS
        s += vf_rd(vf, 0x0c40) + vf_rd(vf, 0x0804) + vf_rd(vf, 0x0c40)
        s += pf_wr(0x0c00 + 4 * vf, 1 << 1)         # ACK
        s += pf_wr(0x0c00 + 4 * vf, 1 << 4)         # RVFU
    s += pf_wr(0x0c80, 0xffffffff) + pf_rd(0x0c88) + pf_wr(0x0c88, 3)
    s += vf_wr(0, 0x1520, 7) + clock(20000) + vf_rd(0, 0x1580)
    s += vf_wr(0, 0x152c, 1) + vf_wr(0, 0x1530, 1) + vf_wr(0, 0x1520, 1)
    s += struct.pack('<BBHI', OP_CONFIG, 2 << 2 | 1, 0xa0 + 8, 1 << 15)  # VF1 FLR
    s += vf_rd(1, 0x0008) + vf_rd(1, 0x1048) + vf_rd(1, 0x0f04)
    s += clock(5000000)
    return s


def seed_vf_traffic():
    """VF0 -> VF1 (switched), VF0 spoofed, VF TSO, rate limit, VMDq+RSS."""
    s = vmdq_pf(5) + vf_up(0, 1) + vf_up(1, 5)
    s += b''.join(pf_wr(0x5c00 + 4 * i, 0x01000100) for i in range(32))
    s += pf_wr(0x3604, 0) + pf_wr(0x36b0, 1 << 31 | 2 << 14 | 0x100)  # 1/2
    s += pf_wr(0x3700, 1 << 30 | 12) + pf_wr(0x3704, 1 << 31)  # VMVIR
    s += pf_wr(0x5d00, 1 << 31 | 1 << 12 | 12)      # VLVF 12 -> pool 0
    tx = RING_BASE + 0x40000 + 0x1000
    buf = BUF_BASE + 0x100000
    good = tcp_frame(VF_MAC[1], 700)
    good = good[:6] + VF_MAC[0] + good[12:]
    spoof = tcp_frame(VF_MAC[1], 60)
    big = tcp_frame(b'\x02' * 6, 4000)
    big = big[:6] + VF_MAC[0] + big[12:]
    s += mem(buf, good) + mem(buf + 0x800, spoof) + mem(buf + 0x1000, big)
    descs = struct.pack('<QQ', buf, len(good) | DATA | DEXT | IFCS | EOP | RS |
                        (2 << 8 | len(good) << 14) << 32)
    descs += struct.pack('<QQ', buf + 0x800, len(spoof) | DATA | DEXT | IFCS |
                         EOP | RS | (len(spoof) << 14) << 32)
    descs += struct.pack('<QQ', 14 << 9 | 20, 0xc00 | CTXT | DEXT |
                         (20 << 8 | 1000 << 16) << 32)
    descs += struct.pack('<QQ', buf + 0x1000, len(big) | DATA | DEXT | IFCS |
                         EOP | RS | TSE | (3 << 8 | (len(big) - 54) << 14) << 32)
    s += mem(tx, descs) + vf_wr(0, 0x3818, 4)       # VF0 TDT
    s += clock(1000000)
    for port in range(4):
        s += rx_frame(tcp_frame(VF_MAC[1], 100, sport=2000 + port))
    s += rx_frame(tcp_frame(VF_MAC[0], 100, vlan=12))
    s += rx_frame(b'\x01\x00\x5e\x00\x00\x01' + MAC + b'\x08\x00' + bytes(46))
    s += clock(1000000) + pf_rd(0x3554) + pf_rd(0x00c0)  # WVBR, ICR
    s += vf_rd(0, 0x0f04) + vf_rd(1, 0x0f00) + vf_rd(1, 0x2810)
    return s


NEEDS_CSUM, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_ECN = 1, 1, 3, 4, 0x80


def partial(frame, l3, l4, sum_at):
    """The frame as a TAP hands it with offloads: L4 checksum field holds
    the pseudo-header sum only (what NEEDS_CSUM promises)."""
    if frame[l3] >> 4 == 4:
        pseudo = frame[l3 + 12:l3 + 20] + struct.pack('!BBH', 0, frame[l3 + 9],
                                                      len(frame) - l4)
    else:
        pseudo = frame[l3 + 8:l3 + 40] + struct.pack('!IxxxB', len(frame) - l4,
                                                     6)
    s = ~csum(pseudo) & 0xffff
    return frame[:l4 + sum_at] + struct.pack('!H', s) + frame[l4 + sum_at + 2:]


def seed_vnet_gso():
    """GSO TCPv4/v6 and partial-checksum frames from the backend, first
    with room, then into a ring too small (held, then dropped by DROP_EN)."""
    s = pf_basics() + ring_setup(0, 0x02)
    t4 = partial(tcp_frame(MAC, 20000), 14, 34, 16)
    s += rx_vnet(t4, NEEDS_CSUM, GSO_TCPV4, 54, 1448, 34, 16)
    s += clock(2000000) + pf_wr(0xc018, 31)
    t6 = ipv6_frame(MAC, 6, 9000)
    t6 = partial(t6, 14, 62, 16)
    s += rx_vnet(t6, NEEDS_CSUM, GSO_TCPV6 | GSO_ECN, 82, 1400, 62, 16)
    u = partial(udp_frame(MAC, 1000), 14, 34, 6)
    s += rx_vnet(u, NEEDS_CSUM, 0, 42, 0, 34, 6)
    s += rx_vnet(t4[:1514], NEEDS_CSUM, 0, 54, 0, 34, 16)
    s += clock(1000000) + pf_wr(0xc018, 31)
    s += ring_setup(0, 0x02 | 0x10)                 # SRRCTL.DROP_EN
    s += rx_vnet(t4, NEEDS_CSUM, GSO_TCPV4, 54, 1448, 34, 16)
    s += clock(50000) + pf_wr(0xc018, 31) + clock(2000000)
    s += pf_rd(0xc030) + pf_rd(0x4010)
    return s


def seed_vnet_vf():
    """A GSO frame for a VF through the pools, and VF TSO to the backend."""
    s = seed_vf_traffic()
    t4 = partial(tcp_frame(VF_MAC[1], 8000), 14, 34, 16)
    s += rx_vnet(t4, NEEDS_CSUM, GSO_TCPV4, 54, 1000, 34, 16)
    s += clock(2000000) + vf_wr(1, 0x2818, 7) + clock(2000000)
    return s


def seed_snapshot():
    """TDT written with the VM stopped, state saved and loaded, continued."""
    s = vmdq_pf() + vf_up(0) + vf_up(1)
    f = tcp_frame(VF_MAC[1], 300)
    f = f[:6] + VF_MAC[0] + f[12:]
    tx = RING_BASE + 0x40000 + 0x1000
    buf = BUF_BASE + 0x100000
    s += mem(buf, f) + mem(tx, struct.pack('<QQ', buf, len(f) | DATA | DEXT |
                                           IFCS | EOP | RS |
                                           (len(f) << 14) << 32))
    s += vf_wr(0, 0x1520, 7)                        # VF EICS: pending
    s += runstate(0) + vf_wr(0, 0x3818, 1) + snapshot()
    s += vf_rd(0, 0x3810) + runstate(1) + clock(1000000)
    s += vf_rd(0, 0x3810) + vf_rd(1, 0x2810) + snapshot() + pf_rd(0x0c8c)
    return s


def seed_replug():
    """The PF unplugged with VF traffic, interrupts and mailbox pending,
    a new PF brought up and used, then unplugged again and left down."""
    s = seed_vf_traffic()
    s += vf_wr(0, 0x1680, 0x300)                    # VF EITR0: moderated
    s += vf_wr(0, 0x1520, 7)                        # VF0 EICS
    s += vf_wr(1, 0x0800, 0xabcd) + vf_wr(1, 0x0c40, 1)  # VF1 -> PF
    s += runstate(0) + vf_wr(0, 0x3818, 1) + runstate(1)
    s += replug(1)
    s += vmdq_pf() + vf_up(0) + vf_up(1)
    s += rx_frame(tcp_frame(VF_MAC[1], 200)) + clock(1000000)
    s += vf_rd(1, 0x2810) + snapshot()
    s += replug(0)
    s += pf_rd(0x0008) + vf_rd(0, 0x0008) + rx_frame(tcp_frame(MAC, 64))
    return s


def seed_wake():
    """The PF in D3hot with wake-up filters armed, then wake-up frames."""
    s = pf_basics()
    s += pf_wr(0x5800, 1 << 1 | 1 << 0)             # WUC: PME_En, APME
    s += pf_wr(0x5808, 0xff | 1 << 16)              # WUFC: all + FLX0
    s += pf_wr(0x5a00, 0xffffffff)                  # WUPM..: a flex mask
    s += pf_wr(0x5838, 0x0f020a0a) + pf_wr(0x5840, 0x0f020a0a)  # IP4AT
    # PMCSR (PM capability at 0x40): D3hot, PME_En
    s += struct.pack('<BBHI', OP_CONFIG, SIZE_L, 0x44, 3 | 1 << 8)
    magic = b'\xff' * 6 + MAC * 16
    s += rx_frame(MAC + MAC[:5] + b'\x01' + b'\x08\x42' + magic)
    s += rx_frame(b'\xff' * 6 + MAC + b'\x08\x06' + bytes(46))
    s += rx_frame(b'\x01\x00\x5e\x00\x00\x42' + MAC + b'\x08\x00' + bytes(46))
    s += rx_frame(tcp_frame(MAC, 40)) + rx_frame(ipv6_frame(MAC, 17, 40))
    s += pf_rd(0x5810) + pf_rd(0x5900)              # WUS, WUPL
    s += struct.pack('<BBHI', OP_CONFIG, SIZE_L, 0x44, 1 << 15)  # PME_Status
    s += link(0) + link(1)
    return s


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    seeds = {
        'igb-pf': {'rx': seed_pf_rx(), 'split-rss': seed_pf_split(),
                   'irq-legacy': seed_irq_legacy(),
                   'msix-moderation': seed_msix_moderation(),
                   'nvm-phy': seed_nvm_phy(), 'ptp': seed_ptp(),
                   'filters': seed_filters(), 'wake': seed_wake(),
                   'tx-tso': seed_pf_tx(), 'loopback': seed_pf_loopback()},
        'igb-sriov': {'vmdq-switch': seed_sriov(), 'rx': seed_pf_rx(7),
                      'tx-tso': seed_pf_tx(7), 'vf-mailbox': seed_vf_mailbox(),
                      'vf-traffic': seed_vf_traffic(),
                      'nvm-phy': seed_nvm_phy(),
                      # the PF-only sessions again: with VFs, queue 0 is VF0's
                      'split-rss': seed_pf_split(), 'ptp': seed_ptp(),
                      'irq-legacy': seed_irq_legacy(), 'filters': seed_filters(),
                      'msix-moderation': seed_msix_moderation(),
                      'loopback': seed_pf_loopback(), 'wake': seed_wake(),
                      'snapshot': seed_snapshot(), 'replug': seed_replug()},
    }
    # igb-sriov's sessions on a vnet TAP (frames get an empty header), and
    # frames only a TAP with offloads can send
    seeds['igb-vnet'] = dict(seeds['igb-sriov'], **{
        'vnet-gso': seed_vnet_gso(), 'vnet-vf': seed_vnet_vf()})
    for target, files in seeds.items():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(out, target, name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
