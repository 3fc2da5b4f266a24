#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs for the igb fuzz targets (tests/qtest/fuzz/igb_fuzz.c).

Each seed is a short driver session in the targets' input format (an
opcode byte, then fixed little-endian operands): what Linux's igb and
igbvf do to bring queues up, then traffic both ways.  They give libFuzzer
a start deep in the TX, RX, loopback and VMDq code instead of having it
find the ring registers by chance.

Usage: igb-fuzz-seeds.py DIR   (writes DIR/igb-pf/* and DIR/igb-sriov/*)
"""
import os
import struct
import sys

(OP_PF_REG, OP_VF_REG, OP_MSIX, OP_IO, OP_CONFIG, OP_MEM_WRITE, OP_RX_FRAME,
 OP_CLOCK, OP_RING_SETUP, OP_TX_DESC, OP_FLASH) = range(11)

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


def pf_basics():
    """Reset, link up, MAC filter, interrupts: what igb_probe/open do."""
    s = pf_wr(0x0000, 1 << 26)                      # CTRL.RST
    s += clock(1000000)
    s += pf_wr(0x0000, 1 << 6 | 1 << 0)             # CTRL.SLU | FD
    s += pf_wr(0x5400, struct.unpack('<I', MAC[:4])[0])
    s += pf_wr(0x5404, struct.unpack('<H', MAC[4:])[0] | 1 << 31)
    s += pf_wr(0x1514, 1 << 4 | 1 << 31 | 1 << 30 | 1 << 0)  # GPIE
    s += pf_wr(0x1700, 0x8180 | 0x81 << 16)         # IVAR0: rx0->0 tx0->1
    s += pf_wr(0x1740, 0x82)                        # IVAR_MISC -> 2
    s += pf_wr(0x1524, 0x7)                         # EIMS
    s += pf_wr(0x1680, 196 << 2)                    # EITR0
    s += pf_wr(0x00d0, 0xffffffff)                  # IMS
    s += pf_wr(0x5000, 1 << 8 | 1 << 9)             # RXCSUM IPOFLD|TUOFLD
    return s


EOP, IFCS, RS, DEXT, TSE = 1 << 24, 1 << 25, 1 << 27, 1 << 29, 1 << 31
DATA, CTXT = 3 << 20, 2 << 20


def adv_ctx(q, maclen, iplen, l4len, mss):
    """Context descriptor: IPv4, TCP (TUCMD 0x400 | 0x800)."""
    return tx_desc(q, maclen << 9 | iplen,
                   0xc00 | CTXT | DEXT | (l4len << 8 | mss << 16) << 32)


def adv_data(q, length, cmd, popts=0, paylen=0):
    """Advanced data descriptor; the buffer is the target's for that slot."""
    return tx_desc(q, 0, length | DATA | DEXT | IFCS | cmd |
                   (popts << 8 | paylen << 14) << 32)


def seed_pf_rx():
    s = pf_basics() + ring_setup(0, 0x02)           # advanced one-buffer
    s += ring_setup(1, 0x02 | 0x40)                 # promiscuous
    s += rx_frame(b'\xff' * 6 + MAC + b'\x08\x06' + bytes(46))
    s += rx_frame(tcp_frame(MAC, 1460))
    s += rx_frame(tcp_frame(MAC, 100, vlan=5))
    s += rx_frame(udp_frame(MAC, 64))
    s += clock(500000)
    s += pf_rd(0x00c0) + pf_rd(0x1580) + pf_rd(0x4074)
    return s


def seed_pf_split():
    s = pf_basics() + ring_setup(0, 0x04 | 0x01)    # header split
    s += pf_wr(0x5818, 1 << 1 | 0x003f0000)         # MRQC RSS, all hashes
    for i in range(10):
        s += pf_wr(0x5c80 + 4 * i, 0x6d5a56da + i)  # RSSRK
    s += rx_frame(tcp_frame(MAC, 600))
    s += rx_frame(udp_frame(MAC, 1000))
    s += clock(200000)
    return s


def seed_pf_tx():
    """TSO of a 3000-byte TCP frame in two buffers, then a legacy frame."""
    s = pf_basics() + ring_setup(0, 0x02)
    f = tcp_frame(b'\x02' * 6, 3000 - 54)
    # descriptor slot n uses the buffer at BUF_BASE + n * 2048
    s += mem(BUF_BASE + 1 * 2048, f[:2048]) + mem(BUF_BASE + 2 * 2048, f[2048:])
    s += mem(BUF_BASE + 3 * 2048, tcp_frame(b'\x02' * 6, 6))
    s += adv_ctx(0, 14, 20, 20, 1448)
    s += adv_data(0, 2048, TSE, popts=3, paylen=len(f) - 54)
    s += adv_data(0, len(f) - 2048, TSE | EOP | RS, popts=3,
                  paylen=len(f) - 54)
    s += tx_desc(0, 0, 60 | EOP | IFCS | RS)        # legacy
    s += clock(1000000)
    s += pf_rd(0xe010) + pf_rd(0x4080)
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
    s += pf_wr(0x3500, 1 << 2)                      # DTXSWC loopback
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


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    seeds = {
        'igb-pf': {'rx': seed_pf_rx(), 'split-rss': seed_pf_split(),
                   'tx-tso': seed_pf_tx(), 'loopback': seed_pf_loopback()},
        'igb-sriov': {'vmdq-switch': seed_sriov(), 'rx': seed_pf_rx(),
                      'tx-tso': seed_pf_tx()},
    }
    for target, files in seeds.items():
        os.makedirs(os.path.join(out, target), exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(out, target, name), 'wb') as f:
                f.write(data)


if __name__ == '__main__':
    main()
