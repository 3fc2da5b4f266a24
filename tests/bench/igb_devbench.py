#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Device-level benchmark of an Intel 82576 ("igb") model in QEMU.

No guest CPU is involved.  QEMU runs with -accel qtest; this script is the
driver: it speaks QEMU's qtest text protocol (register reads and writes,
port I/O for PCI configuration) and reaches guest RAM directly (the RAM is
a shared memory-backend-file that the script maps too), so descriptors,
buffers and their write-backs cost QEMU nothing.  It programs the device
only through the 82576's documented registers, the way a driver does, so
the same script drives any 82576 model: ours and upstream QEMU's.

Frames go out through a `-netdev stream` on a socketpair (QEMU frames each
packet with a 4-byte big-endian length); a thread of this script is the
sink.  Frames come in through the same socket into posted RX buffers.

Two measurements per case:
  * instructions per frame: QEMU runs under valgrind's callgrind with
    instrumentation off; it is switched on just before the kick (one TDT
    write for a batch of frames, or writing the batch into the socket),
    off after the device finished (seen in guest RAM and at the socket,
    with no qtest traffic inside the window), then dumped.  A window with
    the same steps and no frames (baseline) is subtracted.  Reported as
    all of QEMU's instructions, and as the device model's own: from the
    dump's call graph, the calls into hw/net/ code from outside it less
    its calls into the net layer (cg_parse()): without qtest's command
    and without the netdev, which cost the same for any model (about
    1,000 instructions a TX frame and 440 an RX frame with the stream
    netdev).  --keep-dumps keeps the dumps for callgrind_annotate.
  * frames/s: the same batches without valgrind, wall time from the kick
    until the device has done the last frame (best of several batches;
    noisy on a shared machine, a second opinion only).

QEMU runs with q35's PIT and HPET off and the RTC on the virtual clock:
under qtest the virtual clock stands still, and the PIT's pending timer
alone woke the main loop 36 times a second (5,000 instructions each) into
every window.  The sockets get send buffers large enough for a whole batch,
so QEMU's writes never block and its reads always find a full buffer: the
instruction counts do not depend on timing (two batches agree to within a
few hundred instructions in tens of millions).

The device is set up as Linux's igb/igbvf would, reduced to what the
cases need: software reset, PHY autonegotiation through MDIC, link up, all
interrupt causes masked (no MSI-X: interrupts stay out of the numbers),
4096-descriptor rings with descriptor thresholds 0 (write-back per
descriptor), RS on every frame's last descriptor, 2 KiB buffers.

Every frame is verified: TX frames reach the sink byte-identical and in
order; TSO segments have the right sizes, IP IDs, sequence numbers, flags,
payload and valid IP/TCP checksums; RX frames are in guest memory
byte-identical, their descriptors have DD and EOP, no error bits and the
right length; a VF->VF frame never reaches the wire.

Cases:
  tx-60, tx-1514    PF queue 0, one advanced data descriptor per frame
  tso-64k           PF queue 0, context + 2 data descriptors per frame,
                    IPv4/TCP, 45 x 1448 bytes payload, IP and TCP checksum
                    offload; reported per TSO frame and per segment
  tso-64k-vnet      the same frames into a TAP with virtio-net headers
                    (vnet_hdr=on) in a network namespace of the run's own
                    (needs root): each leaves whole, the header asking the
                    host to segment it; a packet socket on the TAP checks
                    them; the report gives its cost as a share of tso-64k
  rx-60, rx-1514    the wire into PF queue 0 (advanced, 2 KiB buffers)
  vf-vf-60, vf-vf-1514, vf-vf-tso
                    two VFs enabled through the SR-IOV capability (ECAM),
                    VMDq (MRQC), a RAR entry per VF, VMOLR, DTXSWC loopback,
                    VFRE/VFTE; VF0 transmits to VF1's MAC through its own
                    BAR0 queue registers, VF1 receives into its ring

Run by scripts/igb/bench-device.sh (which builds both QEMUs); directly:
  igb_devbench.py --ours QEMU [--upstream QEMU] [--cases tx-60,rx-60] ...
Python 3 standard library only.
"""

import argparse
import datetime
import fcntl
import glob
import mmap
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

import benchinfo

# ---------------------------------------------------------------------------
# 82576 registers (Intel 82576 datasheet; Linux igb/igbvf)

CTRL, STATUS, EECD, CTRL_EXT = 0x0000, 0x0008, 0x0010, 0x0018
ICR, IMC, EIMC, EICR = 0x00c0, 0x00d8, 0x1528, 0x1580
RCTL, TCTL = 0x0100, 0x0400
RAL0, RAH0 = 0x5400, 0x5404
MRQC, VT_CTL = 0x5818, 0x581c
VFRE, VFTE, DTXSWC = 0x0c8c, 0x0c90, 0x3500


def VMOLR(p):
    return 0x5ad0 + 4 * p


def RAL(i):
    return 0x5400 + 8 * i if i < 16 else 0x54e0 + 8 * (i - 16)


# Queue registers in the layout both the PF (queues 0..3) and a VF's BAR0
# (its queues 0..1) have
def RDBAL(q):
    return 0x2800 + 0x100 * q


def TDBAL(q):
    return 0x3800 + 0x100 * q


RDBAH, RDLEN, SRRCTL, RDH, RDT, RXDCTL = 0x4, 0x8, 0xc, 0x10, 0x18, 0x28
TDBAH, TDLEN, TDH, TDT, TXDCTL = 0x4, 0x8, 0x10, 0x18, 0x28
VF_MBX = 0x0c40                 # VF's V2PMAILBOX(0)

MDIC = 0x0020
CTRL_SLU, CTRL_RST = 1 << 6, 1 << 26
MDIC_PHY1, MDIC_OP_WRITE, MDIC_READY = 1 << 21, 1 << 26, 1 << 28
BMCR_AN = 0x1340                # PHY reg 0: AN enable + restart, 1000 FD
STATUS_LU = 1 << 1
EECD_AUTO_RD = 1 << 9
CTRL_EXT_PFRSTD = 1 << 14
RCTL_EN, RCTL_BAM, RCTL_SECRC = 1 << 1, 1 << 15, 1 << 26
TCTL_EN, TCTL_PSP = 1 << 1, 1 << 3
QUEUE_ENABLE = 1 << 25
SRRCTL_ADV1BUF = 1 << 25
MRQC_VMDQ = 3
VT_CTL_DEF_POOL_SHIFT = 7
VT_CTL_REPL_EN = 1 << 30
VMOLR_AUPE, VMOLR_ROMPE, VMOLR_BAM, VMOLR_STRCRC = (1 << 24, 1 << 25,
                                                    1 << 27, 1 << 31)
DTXSWC_LOOPBACK_EN = 1 << 31
RAH_AV = 1 << 31


def RAH_POOL(p):
    return 1 << (18 + p)


# Advanced TX descriptors
TXD_EOP, TXD_IFCS, TXD_RS, TXD_DEXT = 1 << 24, 1 << 25, 1 << 27, 1 << 29
TXD_TSE = 1 << 31
DTYP_CTXT, DTYP_DATA = 2 << 20, 3 << 20
PAYLEN_SHIFT = 14
POPTS_IXSM, POPTS_TXSM = 1 << 8, 1 << 9
TUCMD_IPV4, TUCMD_TCP = 1 << 10, 1 << 11
TXD_STAT_DD = 1
RXD_DD, RXD_EOP = 1, 2
RXD_ERRORS = 0xfff00000

DESC = 16
RING = 4096                     # descriptors per ring
BUF = 2048                      # bytes per RX/TX buffer

# PCI
PCI_COMMAND, PCI_BAR0 = 0x04, 0x10
CMD_IO, CMD_MEM, CMD_MASTER = 1, 2, 4
Q35_PCIEXBAR, ECAM_BASE = 0x60, 0xb0000000
SRIOV_CAP_ID = 0x10
SRIOV_CTRL, SRIOV_NUM_VF, SRIOV_VF_OFFSET, SRIOV_VF_STRIDE = 8, 0x10, 0x14, 0x16
SRIOV_BAR = 0x24
SRIOV_VFE, SRIOV_MSE = 1, 8

PF_DEVFN = 0x20                 # 04.0
MMIO_BASE = 0xe0000000          # where this script puts BARs
IO_BASE = 0xc000
RAM_MB = 512

ETH_P_ALL = 3
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
BENCH_TAP = "igbdb0"
MAC = bytes.fromhex("525400a1b2c3")
PEER = bytes.fromhex("525400010203")
VF_MACS = [bytes.fromhex("5254005f0010"), bytes.fromhex("5254005f0011")]
ETHERTYPE = b"\x88\xb5"         # IEEE local experimental

# Guest RAM layout (all below 512 MiB, above the legacy holes)
GPA_RINGS = 0x01000000          # 16 MiB: rings, 64 KiB each
GPA_TXBUF = 0x02000000          # 32 MiB: 4096 x 2 KiB TX buffers
GPA_RXBUF = 0x03000000          # 48 MiB: 4096 x 2 KiB RX buffers
GPA_TSO = 0x04000000            # 64 MiB: 64 KiB per TSO frame

TSO_MSS = 1448
TSO_SEGS = 45
TSO_HDR = 14 + 20 + 20
TSO_PAYLOAD = TSO_MSS * TSO_SEGS          # 65160
TSO_LEN = TSO_HDR + TSO_PAYLOAD           # 65214 bytes handed to the NIC

SIOCOUTQ = termios.TIOCOUTQ


class BenchError(Exception):
    pass


SOCKBUF = 128 << 20
SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)


def set_sndbuf(s, size):
    """As large a send buffer as we may have (beyond wmem_max as root)."""
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, size)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    return s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)


# ---------------------------------------------------------------------------
# QEMU under qtest

class Qemu:
    """One QEMU process: qtest socket, netdev socketpair, shared guest RAM."""

    def __init__(self, binary, workdir, callgrind=False, tap=None):
        self.binary = binary
        self.callgrind = callgrind
        self.dir = tempfile.mkdtemp(prefix="run.", dir=workdir)
        qpath = os.path.join(self.dir, "qtest.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(qpath)
        lsock.listen(1)
        self.net, qnet = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # Room for a whole batch in both directions: QEMU's writes never
        # block (a blocked write takes another, costlier path through the
        # net queue, depending on how fast the sink reads), and every read
        # of QEMU's finds a full buffer's worth (a deterministic number of
        # reads, whatever the timing).
        self.sockbuf = 0
        for s in (self.net, qnet):
            self.sockbuf = set_sndbuf(s, SOCKBUF)
        if tap:
            # a TAP taking virtio-net headers (in the namespace main()
            # made); what QEMU writes into it is read by a packet socket
            netdev = ("tap,id=n0,ifname=%s,script=no,downscript=no,"
                      "vnet_hdr=on" % tap)
        else:
            netdev = "stream,id=n0,server=off,addr.type=fd,addr.str=%d" % \
                     qnet.fileno()
        self.ramfile = "/dev/shm/igb-devbench.%d.%s" % (
            os.getpid(), os.path.basename(self.dir))
        with open(self.ramfile, "wb") as f:
            f.truncate(RAM_MB << 20)
        cmd = [binary, "-M", "q35,pit=off,hpet=off", "-accel", "qtest",
               "-qtest", "unix:" + qpath, "-qtest-log", "none",
               "-display", "none", "-nodefaults", "-m", "%dM" % RAM_MB,
               "-rtc", "clock=vm",
               "-object", "memory-backend-file,id=ram0,size=%dM,mem-path=%s,"
               "share=on" % (RAM_MB, self.ramfile),
               "-machine", "memory-backend=ram0",
               "-netdev", netdev,
               "-device", "igb,netdev=n0,addr=04.0,mac=" +
               ":".join("%02x" % b for b in MAC)]
        if callgrind:
            self.vgdb_prefix = os.path.join(self.dir, "vgdb")
            self.cg_out = os.path.join(self.dir, "cg.out")
            cmd = ["valgrind", "--tool=callgrind", "-q",
                   "--instr-atstart=no", "--dump-instr=no",
                   "--callgrind-out-file=" + self.cg_out,
                   "--vgdb=yes", "--vgdb-prefix=" + self.vgdb_prefix] + cmd
        self.logf = open(os.path.join(self.dir, "qemu.log"), "wb")
        self.proc = subprocess.Popen(cmd, pass_fds=[qnet.fileno()],
                                     stdout=self.logf, stderr=self.logf,
                                     stdin=subprocess.DEVNULL)
        qnet.close()
        lsock.settimeout(0.2)
        deadline = time.monotonic() + 300
        while True:
            try:
                self.qt, _ = lsock.accept()
                break
            except socket.timeout:
                if self.proc.poll() is None and time.monotonic() < deadline:
                    continue
                lsock.close()
                why = self.log_tail() or "exit status %s" % self.proc.poll()
                self.close()
                raise BenchError("QEMU did not start: " + why)
        lsock.close()
        self.qt.settimeout(300)
        self.qtf = self.qt.makefile("rb")
        fd = os.open(self.ramfile, os.O_RDWR)
        self.mem = mmap.mmap(fd, RAM_MB << 20)
        os.close(fd)
        if tap:
            # QEMU answers qtest before it creates its netdevs: wait
            deadline = time.monotonic() + 120
            while subprocess.run(["ip", "link", "set", tap, "up"],
                                 stderr=subprocess.DEVNULL).returncode:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    why = self.log_tail() or "no TAP " + tap
                    self.close()
                    raise BenchError("QEMU's TAP: " + why)
                time.sleep(0.1)
            self.sink = PacketSink(tap)
        else:
            self.sink = Sink(self.net)

    def log_tail(self):
        try:
            with open(os.path.join(self.dir, "qemu.log"), "rb") as f:
                return f.read()[-600:].decode(errors="replace").strip()
        except OSError:
            return ""

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in ("qt", "net"):
            if hasattr(self, s):
                try:
                    getattr(self, s).close()
                except OSError:
                    pass
        if hasattr(self, "mem"):
            self.mem.close()
        try:
            os.unlink(self.ramfile)
        except OSError:
            pass
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- qtest protocol
    def cmd(self, line):
        self.qt.sendall(line.encode() + b"\n")
        while True:
            r = self.qtf.readline()
            if not r:
                raise BenchError("QEMU died (qtest: %s): %s" %
                                 (line, self.log_tail()))
            r = r.decode().strip()
            if r.startswith("IRQ"):
                continue
            if r == "OK" or r.startswith("OK "):
                return r[3:]
            raise BenchError("qtest %r: %r" % (line, r))

    def writel(self, a, v):
        self.cmd("writel 0x%x 0x%x" % (a, v))

    def readl(self, a):
        return int(self.cmd("readl 0x%x" % a), 16)

    def writew(self, a, v):
        self.cmd("writew 0x%x 0x%x" % (a, v))

    def readw(self, a):
        return int(self.cmd("readw 0x%x" % a), 16)

    def outl(self, a, v):
        self.cmd("outl 0x%x 0x%x" % (a, v))

    def inl(self, a):
        return int(self.cmd("inl 0x%x" % a), 16)

    def outw(self, a, v):
        self.cmd("outw 0x%x 0x%x" % (a, v))

    def inw(self, a):
        return int(self.cmd("inw 0x%x" % a), 16)

    def clock_step(self, ns=100000):
        self.cmd("clock_step %d" % ns)

    # -- guest RAM (shared with QEMU)
    def mw(self, a, data):
        self.mem[a:a + len(data)] = data

    def mr(self, a, n):
        return self.mem[a:a + n]

    def m32(self, a):
        return struct.unpack_from("<I", self.mem, a)[0]

    # -- callgrind control
    def vgdb(self, *args):
        r = subprocess.run(["vgdb", "--vgdb-prefix=" + self.vgdb_prefix,
                            "--pid=%d" % self.proc.pid] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=120)
        if r.returncode != 0:
            raise BenchError("vgdb %s: %s" % (" ".join(args),
                                              r.stdout.decode()[-300:]))

    def instr(self, on):
        if self.callgrind:
            self.vgdb("instrumentation", "on" if on else "off")

    def dump(self, keep=None):
        """Dump what callgrind counted since the last dump: (total Ir,
        device Ir), see cg_parse().  keep: also copy the dump there."""
        before = set(glob.glob(self.cg_out + "*"))
        self.vgdb("dump")
        new = sorted(set(glob.glob(self.cg_out + "*")) - before,
                     key=os.path.getmtime)
        if not new:
            raise BenchError("callgrind wrote no dump")
        try:
            return cg_parse(new[-1])
        finally:
            if keep:
                shutil.copy(new[-1], keep)
            for p in new:
                os.unlink(p)

    def outq(self):
        b = fcntl.ioctl(self.net.fileno(), SIOCOUTQ, b"\0\0\0\0")
        return struct.unpack("i", b)[0]


def _is_device(path):
    return "/hw/net/" in path


# Where a NIC model hands frames to QEMU's net layer (queues, netdevs)
NET_HANDOFF = {"qemu_send_packet", "qemu_send_packet_async",
               "qemu_sendv_packet", "qemu_sendv_packet_async",
               "qemu_send_packet_raw", "qemu_receive_packet",
               "qemu_receive_packet_iov", "qemu_flush_queued_packets",
               "qemu_flush_or_purge_queued_packets"}


def cg_parse(path):
    """Read a callgrind dump: (total Ir, the device's own Ir).

    The device's own: the inclusive cost of every call from outside
    hw/net/ into it (the MMIO write; the net layer handing it a frame),
    less its calls into the net layer's hand-off functions (NET_HANDOFF:
    queues and the netdev backend).  What remains is the model's work with
    its DMA, MSI-X, packet helpers (net/eth.c, net/checksum.c) and the
    like, without qtest's command parsing and without the netdev."""
    names = {}                  # compressed ids: "(n) name" / "(n)"

    def name(v):
        v = v.strip()
        if v.startswith("("):
            i = v.index(")")
            key, rest = v[1:i], v[i + 1:].strip()
            if rest:
                names[key] = rest
            return names.get(key, "")
        return v

    total, dev_in, dev_out = None, 0, 0
    fl = fn_file = ""
    cfile = cfn = None
    pending = None              # (caller file, callee file, callee)
    with open(path) as f:
        for line in f:
            if pending is not None:
                parts = line.split()
                ir = int(parts[1]) if len(parts) > 1 else 0
                caller, callee, callee_fn = pending
                if _is_device(callee) and not _is_device(caller):
                    dev_in += ir
                elif _is_device(caller) and callee_fn in NET_HANDOFF:
                    dev_out += ir
                pending = None
            elif line.startswith("fl="):
                fl = name(line[3:])
            elif line.startswith("fn="):
                name(line[3:])
                fn_file = fl
            elif line.startswith("fi=") or line.startswith("fe="):
                name(line[3:])
            elif line.startswith("cfi=") or line.startswith("cfl="):
                cfile = name(line[4:])
            elif line.startswith("cfn="):
                cfn = name(line[4:])
            elif line.startswith("calls="):
                pending = (fn_file, cfile if cfile is not None else fn_file,
                           cfn)
                cfile = None
            elif line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
            elif line.startswith("ob=") or line.startswith("cob="):
                name(line[line.index("=") + 1:])
    if total is None:
        raise BenchError("no totals in the callgrind dump " + path)
    return total, dev_in - dev_out


class Sink(threading.Thread):
    """Reads everything QEMU sends on the netdev socket into one buffer;
    counts bytes only (parsing waits until the measurement is over)."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        self.buf = bytearray(64 << 20)
        self.n = 0
        self.overflow = 0
        self.want = None
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.start()

    def run(self):
        chunk = bytearray(1 << 20)
        while True:
            try:
                got = self.sock.recv_into(chunk)
            except OSError:
                return
            if got <= 0:
                return
            with self.lock:
                n = self.n
                if n + got <= len(self.buf):
                    self.buf[n:n + got] = chunk[:got]
                    self.n += got
                else:           # overflow: keep QEMU going, count it
                    self.overflow += got
                if self.want is not None and self.n >= self.want:
                    self.done.set()

    def expect(self, nbytes):
        """Arm: done is set once nbytes in total have arrived."""
        with self.lock:
            self.want = nbytes
            if self.n >= nbytes:
                self.done.set()
            else:
                self.done.clear()

    def take(self):
        """The frames received so far; empties the buffer."""
        with self.lock:
            data = bytes(self.buf[:self.n])
            if self.overflow:
                raise BenchError("sink overflow: %d bytes" % self.overflow)
            self.n = 0
            self.want = None
            self.done.clear()
        frames, off = [], 0
        while off + 4 <= len(data):
            ln = struct.unpack_from(">I", data, off)[0]
            if off + 4 + ln > len(data):
                break
            frames.append(data[off + 4:off + 4 + ln])
            off += 4 + ln
        if off != len(data):
            raise BenchError("sink: %d stray bytes" % (len(data) - off))
        return frames


class PacketSink(Sink):
    """The same for a TAP: a packet socket on its host side gets each frame
    QEMU wrote (a TSO frame whole, as the virtio-net header left it); they
    are kept in Sink's format (4-byte length, frame)."""

    def __init__(self, ifname):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                             socket.htons(ETH_P_ALL))
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        sock.bind((ifname, ETH_P_ALL))
        super().__init__(sock)

    def run(self):
        while True:
            try:
                data, addr = self.sock.recvfrom(1 << 17)
            except OSError:
                return
            # only what QEMU sent (not the host's own frames out of it)
            if addr[2] == PACKET_OUTGOING or data[6:12] != MAC:
                continue
            rec = struct.pack(">I", len(data)) + data
            with self.lock:
                n = self.n
                if n + len(rec) <= len(self.buf):
                    self.buf[n:n + len(rec)] = rec
                    self.n += len(rec)
                else:
                    self.overflow += len(rec)
                if self.want is not None and self.n >= self.want:
                    self.done.set()


# ---------------------------------------------------------------------------
# PCI through port I/O (and ECAM for extended config space)

def cf8(devfn, off):
    return 0x80000000 | devfn << 8 | (off & 0xfc)


def cfg_rd32(q, devfn, off):
    q.outl(0xcf8, cf8(devfn, off))
    return q.inl(0xcfc)


def cfg_wr32(q, devfn, off, v):
    q.outl(0xcf8, cf8(devfn, off))
    q.outl(0xcfc, v)


def cfg_rd16(q, devfn, off):
    q.outl(0xcf8, cf8(devfn, off))
    return q.inw(0xcfc + (off & 2))


def cfg_wr16(q, devfn, off, v):
    q.outl(0xcf8, cf8(devfn, off))
    q.outw(0xcfc + (off & 2), v)


def ecam(devfn, off):
    return ECAM_BASE + (devfn << 12) + off


class Alloc:
    def __init__(self, base):
        self.p = base

    def take(self, size):
        self.p = (self.p + size - 1) // size * size
        a = self.p
        self.p += size
        return a


def assign_bars(q, devfn, mem, io):
    """Size and place the function's BARs; returns {bar: address}."""
    bars, i = {}, 0
    while i < 6:
        off = PCI_BAR0 + 4 * i
        cfg_wr32(q, devfn, off, 0xffffffff)
        v = cfg_rd32(q, devfn, off)
        if v == 0:
            i += 1
            continue
        if v & 1:
            size = (~(v & ~3) + 1) & 0xffff
            a = io.take(size)
            cfg_wr32(q, devfn, off, a)
            bars[i] = a
            i += 1
            continue
        is64 = (v >> 1) & 3 == 2
        size = (~(v & ~0xf) + 1) & 0xffffffff
        a = mem.take(size)
        cfg_wr32(q, devfn, off, a)
        if is64:
            cfg_wr32(q, devfn, off + 4, 0)
        bars[i] = a
        i += 2 if is64 else 1
    return bars


class Func:
    """A PCI function's BAR0 register window."""

    def __init__(self, q, base):
        self.q, self.base = q, base

    def wr(self, reg, v):
        self.q.writel(self.base + reg, v)

    def rd(self, reg):
        return self.q.readl(self.base + reg)


def wait_for(q, what, fn, tries=2000, step=100000):
    for _ in range(tries):
        if fn():
            return
        q.clock_step(step)
    raise BenchError("timeout waiting for " + what)


def pf_init(q):
    """PCI setup, software reset, link up, interrupts masked."""
    mem, io = Alloc(MMIO_BASE), Alloc(IO_BASE)
    did = cfg_rd32(q, PF_DEVFN, 0)
    if did != 0x10c98086:
        raise BenchError("no 82576 at 04.0 (id %08x)" % did)
    bars = assign_bars(q, PF_DEVFN, mem, io)
    cfg_wr16(q, PF_DEVFN, PCI_COMMAND, CMD_IO | CMD_MEM | CMD_MASTER)
    pf = Func(q, bars[0])
    pf.wr(CTRL, pf.rd(CTRL) | CTRL_RST)
    wait_for(q, "reset", lambda: not pf.rd(CTRL) & CTRL_RST)
    # As Linux's igb: wait for the NVM auto-read up to 10 ms, carry on
    # without it (upstream's model never sets EECD.AUTO_RD)
    try:
        wait_for(q, "NVM auto-read", lambda: pf.rd(EECD) & EECD_AUTO_RD, 100)
    except BenchError:
        pass
    # Link: set link up, restart PHY autonegotiation (MDIC), wait for LU
    pf.wr(CTRL, pf.rd(CTRL) | CTRL_SLU)
    pf.wr(MDIC, BMCR_AN | MDIC_PHY1 | MDIC_OP_WRITE)
    wait_for(q, "MDIC", lambda: pf.rd(MDIC) & MDIC_READY)
    wait_for(q, "link", lambda: pf.rd(STATUS) & STATUS_LU, 500, 10000000)
    pf.wr(IMC, 0xffffffff)
    pf.wr(EIMC, 0xffffffff)
    pf.rd(ICR)
    pf.wr(ICR, 0xffffffff)
    pf.rd(EICR)
    pf.wr(RAL0, struct.unpack("<I", MAC[:4])[0])
    pf.wr(RAH0, struct.unpack("<H", MAC[4:])[0] | RAH_AV)
    return pf, mem


def sriov_enable(q, pf, mem, nvfs=2):
    """ECAM on (q35 MCH PCIEXBAR), the SR-IOV capability: VF BARs, NumVFs,
    VF Enable + MSE; each VF's memory and bus mastering; PFRSTD."""
    q.outl(0xcf8, 0x80000000 | (Q35_PCIEXBAR + 4))
    q.outl(0xcfc, 0)
    q.outl(0xcf8, 0x80000000 | Q35_PCIEXBAR)
    q.outl(0xcfc, ECAM_BASE | 1)
    off, cap = 0x100, 0
    for _ in range(64):
        hdr = q.readl(ecam(PF_DEVFN, off))
        if hdr & 0xffff == SRIOV_CAP_ID:
            cap = off
            break
        off = hdr >> 20
        if not off:
            break
    if not cap:
        raise BenchError("no SR-IOV capability")
    first = q.readw(ecam(PF_DEVFN, cap + SRIOV_VF_OFFSET))
    stride = q.readw(ecam(PF_DEVFN, cap + SRIOV_VF_STRIDE))
    if PF_DEVFN + first + stride * (nvfs - 1) > 0xff:
        raise BenchError("VFs not on the PF's bus (offset 0x%x)" % first)
    vfbar = {}
    for bar in (0, 3):
        a = ecam(PF_DEVFN, cap + SRIOV_BAR + 4 * bar)
        orig = q.readl(a)
        q.writel(a, 0xffffffff)
        size = (~(q.readl(a) & ~0xf) + 1) & 0xffffffff
        base = mem.take(max(size * 8, 0x10000))
        q.writel(a, base)
        if (orig >> 1) & 3 == 2:
            q.writel(a + 4, 0)
        vfbar[bar] = (base, size)
    q.writew(ecam(PF_DEVFN, cap + SRIOV_NUM_VF), nvfs)
    q.writew(ecam(PF_DEVFN, cap + SRIOV_CTRL), SRIOV_VFE | SRIOV_MSE)
    vfs = []
    for i in range(nvfs):
        devfn = PF_DEVFN + first + i * stride
        cfg_wr16(q, devfn, PCI_COMMAND, CMD_MEM | CMD_MASTER)
        vfs.append(Func(q, vfbar[0][0] + i * vfbar[0][1]))
    pf.wr(CTRL_EXT, pf.rd(CTRL_EXT) | CTRL_EXT_PFRSTD)
    for vf in vfs:
        vf.rd(VF_MBX)           # read-to-clear reset indications
    return vfs


# ---------------------------------------------------------------------------
# Rings

class TxRing:
    def __init__(self, q, f, queue, gpa):
        self.q, self.f, self.qb = q, f, TDBAL(queue)
        self.gpa, self.tail = gpa, 0
        q.mw(gpa, bytes(RING * DESC))
        f.wr(self.qb, gpa)
        f.wr(self.qb + TDBAH, 0)
        f.wr(self.qb + TDLEN, RING * DESC)
        f.wr(self.qb + TDH, 0)
        f.wr(self.qb + TDT, 0)
        f.wr(self.qb + TXDCTL, QUEUE_ENABLE)

    def put(self, dw):
        self.q.mw(self.gpa + self.tail * DESC, struct.pack("<4I", *dw))
        idx = self.tail
        self.tail = (self.tail + 1) % RING
        return idx

    def data(self, addr, ln, cmd, olinfo):
        return self.put((addr & 0xffffffff, addr >> 32,
                         ln | DTYP_DATA | TXD_DEXT | TXD_IFCS | cmd, olinfo))

    def kick(self):
        self.f.wr(self.qb + TDT, self.tail)

    def dd(self, idx):
        return self.q.m32(self.gpa + idx * DESC + 12) & TXD_STAT_DD


class RxRing:
    def __init__(self, q, f, queue, gpa, bufs):
        self.q, self.f, self.qb = q, f, RDBAL(queue)
        self.gpa, self.bufs = gpa, bufs
        self.tail = 0           # next descriptor to post
        self.next = 0           # next descriptor the device fills
        q.mw(gpa, bytes(RING * DESC))
        f.wr(self.qb, gpa)
        f.wr(self.qb + RDBAH, 0)
        f.wr(self.qb + RDLEN, RING * DESC)
        f.wr(self.qb + RDH, 0)
        f.wr(self.qb + RDT, 0)
        f.wr(self.qb + SRRCTL, (BUF // 1024) | SRRCTL_ADV1BUF)
        f.wr(self.qb + RXDCTL, QUEUE_ENABLE)

    def post(self, n):
        """Hand n more buffers to the device (up to RING - 1 in flight)."""
        for _ in range(n):
            self.q.mw(self.gpa + self.tail * DESC,
                      struct.pack("<QQ", self.bufs + self.tail * BUF, 0))
            self.tail = (self.tail + 1) % RING
        self.f.wr(self.qb + RDT, self.tail)

    def status(self, idx):
        a = self.gpa + idx * DESC
        st, ln = struct.unpack_from("<IH", self.q.mem, a + 8)
        return st, ln

    def collect(self, n):
        """The n descriptors from next on: [(status, length, bytes)]."""
        out = []
        for _ in range(n):
            st, ln = self.status(self.next)
            out.append((st, ln, self.q.mr(self.bufs + self.next * BUF, ln)))
            self.next = (self.next + 1) % RING
        return out


# ---------------------------------------------------------------------------
# Frames and their checks

# Payload bytes: a pseudo-random pattern, each frame starts at its own offset
PATTERN = random.Random(82576).randbytes(1 << 17)


def frame(dst, src, size, seq):
    """An Ethernet frame of size bytes (no FCS), seq in its first bytes."""
    hdr = dst + src + ETHERTYPE + struct.pack(">Q", seq)
    off = (seq * 997) % 4096
    return hdr + PATTERN[off:off + size - len(hdr)]


def csum_ok(data, extra=0):
    """Internet checksum over data (+ a pre-summed pseudo header) is valid.
    The sum of 16-bit words is congruent to the number modulo 0xffff."""
    if len(data) & 1:
        data += b"\0"
    return (int.from_bytes(data, "big") + extra) % 0xffff == 0


def tso_frame(seq, dst=PEER, src=MAC):
    """A 64 KiB TCP/IPv4 frame as Linux's igb hands it to the NIC for TSO:
    IP total length 0, TCP checksum = the pseudo header without length."""
    ip_src, ip_dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 0, seq & 0xffff,
                               0x4000, 64, 6, 0, ip_src, ip_dst))
    pseudo = (int.from_bytes(ip_src + ip_dst, "big") + 6) % 0xffff
    fold = pseudo % 0xffff or 0xffff
    tcp = struct.pack(">HHIIBBHHH", 40000 + (seq & 0xfff), 5201,
                      (seq * 0x10001) & 0xffffffff, 0x12345678, 5 << 4, 0x18,
                      0xffff, fold, 0)
    off = (seq * 4099) % (len(PATTERN) - TSO_PAYLOAD)
    payload = PATTERN[off:off + TSO_PAYLOAD]
    return dst + src + b"\x08\x00" + bytes(ip) + tcp + payload


def check_tso(segs, orig, what, notes):
    """segs: the frames one TSO frame became; orig: the frame handed over.
    A deviation that leaves the frames usable and costs the same is not
    fatal: it goes into notes (a set) and is reported with the numbers."""
    if len(segs) != TSO_SEGS:
        raise BenchError("%s: %d segments, not %d" % (what, len(segs),
                                                      TSO_SEGS))
    oip, otcp = orig[14:34], orig[34:54]
    ip_id = struct.unpack(">H", oip[4:6])[0]
    seq0 = struct.unpack(">I", otcp[4:8])[0]
    for i, s in enumerate(segs):
        last = i == TSO_SEGS - 1
        w = "%s segment %d" % (what, i)
        if len(s) != TSO_HDR + TSO_MSS:
            raise BenchError("%s: %d bytes" % (w, len(s)))
        ip, tcp = s[14:34], s[34:54]
        if s[:14] != orig[:14]:
            raise BenchError(w + ": Ethernet header changed")
        tot, iid = struct.unpack(">HH", ip[2:6])
        if tot != 40 + TSO_MSS or (iid - ip_id) & 0xffff != i:
            raise BenchError("%s: IP length %d id %d" % (w, tot, iid))
        if ip[0:2] != oip[0:2] or ip[6:10] != oip[6:10] or \
           ip[12:20] != oip[12:20] or not csum_ok(ip):
            raise BenchError(w + ": bad IP header")
        if struct.unpack(">I", tcp[4:8])[0] != (seq0 + i * TSO_MSS) & 0xffffffff:
            raise BenchError(w + ": bad sequence number")
        # PSH and FIN only on the last segment (82576: DTXTCPFLGL/H)
        flags = otcp[13] if last else otcp[13] & ~0x09
        if tcp[:4] != otcp[:4] or tcp[8:13] != otcp[8:13] or \
           tcp[14:16] != otcp[14:16]:
            raise BenchError("%s: TCP header %s" % (w, tcp.hex()))
        if tcp[13] != flags:
            if last and tcp[13] == flags & ~0x09:
                notes.add("last TSO segment without PSH (TCP flags 0x%02x, "
                          "want 0x%02x)" % (tcp[13], flags))
            else:
                raise BenchError("%s: TCP flags 0x%02x, want 0x%02x" %
                                 (w, tcp[13], flags))
        pseudo = int.from_bytes(ip[12:20], "big") + 6 + 20 + TSO_MSS
        if not csum_ok(s[34:], pseudo):
            raise BenchError(w + ": bad TCP checksum")
        if s[54:] != orig[54 + i * TSO_MSS:54 + (i + 1) * TSO_MSS]:
            raise BenchError(w + ": payload differs")


def check_rx(got, want, what):
    """got: RxRing.collect() output; want: the frames, in order."""
    for i, ((st, ln, data), f) in enumerate(zip(got, want)):
        if st & (RXD_DD | RXD_EOP) != RXD_DD | RXD_EOP or st & RXD_ERRORS:
            raise BenchError("%s: frame %d: descriptor status 0x%08x" %
                             (what, i, st))
        if ln != len(f) or data != f:
            raise BenchError("%s: frame %d: %d bytes, %s" %
                             (what, i, ln, "want %d" % len(f)
                              if ln != len(f) else "content differs"))


# ---------------------------------------------------------------------------
# The cases.  Each case object prepares a batch (no cost to QEMU: guest RAM
# is written directly), kicks it, knows when it is done, and verifies it.

class Case:
    """prepare(n): a batch of n frames, written into guest RAM; kick():
    start it; done(): the device finished it (what the wall clock times);
    complete(): everything arrived (may lag done, e.g. the sink reading);
    verify(): check every frame, raise BenchError."""
    segs_per_frame = 1          # TSO: wire frames per frame

    def __init__(self, name, frames):
        self.name, self.frames = name, frames
        self.notes = set()

    def complete(self):
        return True


class TxCase(Case):
    """PF queue 0 (or VF0's) to the wire."""

    def __init__(self, name, size, frames):
        super().__init__(name, frames)
        self.size = size

    def setup(self, env):
        self.q, self.ring = env.q, env.pf_tx
        self.seq = 0

    def prepare(self, n):
        q, r = self.q, self.ring
        self.want = []
        for _ in range(n):
            f = frame(PEER, MAC, self.size, self.seq)
            self.seq += 1
            slot = r.tail
            q.mw(GPA_TXBUF + slot * BUF, f)
            self.last = r.data(GPA_TXBUF + slot * BUF, len(f), TXD_EOP | TXD_RS,
                               len(f) << PAYLEN_SHIFT)
            self.want.append(f)
        self.q.sink.expect(sum(4 + len(f) for f in self.want))

    def kick(self):
        self.ring.kick()

    def done(self):
        return self.ring.dd(self.last)

    def complete(self):
        return self.q.sink.done.is_set()

    def verify(self):
        got = self.q.sink.take()
        if len(got) != len(self.want):
            raise BenchError("%s: %d frames on the wire, sent %d" %
                             (self.name, len(got), len(self.want)))
        for i, (g, w) in enumerate(zip(got, self.want)):
            if g != w:
                raise BenchError("%s: frame %d differs (%d bytes, want %d)" %
                                 (self.name, i, len(g), len(w)))


class TsoCase(Case):
    segs_per_frame = TSO_SEGS

    def setup(self, env):
        self.q, self.ring = env.q, env.pf_tx
        self.seq = 0

    def put_tso(self, ring, f, j):
        """Context + 2 data descriptors for the TSO frame f in slot j."""
        a = GPA_TSO + j * 0x10000
        self.q.mw(a, f)
        ring.put((20 | 14 << 9, 0,
                  DTYP_CTXT | TXD_DEXT | TUCMD_IPV4 | TUCMD_TCP,
                  TSO_MSS << 16 | 20 << 8))
        olinfo = (len(f) - TSO_HDR) << PAYLEN_SHIFT | POPTS_IXSM | POPTS_TXSM
        half = 32768
        ring.data(a, half, TXD_TSE, olinfo)
        return ring.data(a + half, len(f) - half,
                         TXD_TSE | TXD_EOP | TXD_RS, 0)

    def prepare(self, n):
        self.want = []
        for j in range(n):
            f = tso_frame(self.seq)
            self.seq += 1
            self.last = self.put_tso(self.ring, f, j)
            self.want.append(f)
        self.q.sink.expect(n * TSO_SEGS * (4 + TSO_HDR + TSO_MSS))

    kick = TxCase.kick
    done = TxCase.done
    complete = TxCase.complete

    def verify(self):
        got = self.q.sink.take()
        if len(got) != len(self.want) * TSO_SEGS:
            raise BenchError("%s: %d segments on the wire, want %d" %
                             (self.name, len(got), len(self.want) * TSO_SEGS))
        for j, f in enumerate(self.want):
            check_tso(got[j * TSO_SEGS:(j + 1) * TSO_SEGS], f,
                      "%s frame %d" % (self.name, j), self.notes)


class TsoVnetCase(TsoCase):
    """TSO to a backend that takes virtio-net headers: each frame leaves
    the device whole, the header asking the host to segment it."""

    def prepare(self, n):
        super().prepare(n)
        self.q.sink.expect(sum(4 + len(f) for f in self.want))

    def verify(self):
        got = self.q.sink.take()
        if len(got) != len(self.want):
            raise BenchError("%s: %d frames into the tap, want %d" %
                             (self.name, len(got), len(self.want)))
        for j, (g, f) in enumerate(zip(got, self.want)):
            w = "%s frame %d" % (self.name, j)
            if len(g) != len(f) or g[:14] != f[:14] or g[54:] != f[54:]:
                raise BenchError(w + ": %d bytes or content differ" % len(g))
            if struct.unpack(">H", g[16:18])[0] != len(f) - 14 or \
               g[38:42] != f[38:42]:
                raise BenchError(w + ": IP length or TCP sequence")


class RxCase(Case):
    """The wire into PF queue 0."""

    def __init__(self, name, size, frames):
        super().__init__(name, frames)
        self.size = size

    def setup(self, env):
        self.q, self.ring = env.q, env.pf_rx
        self.seq = 0

    def prepare(self, n):
        self.ring.post(n)       # RDT write: outside the window
        self.want = []
        for _ in range(n):
            self.want.append(frame(MAC, PEER, self.size, self.seq))
            self.seq += 1
        self.blob = b"".join(struct.pack(">I", len(f)) + f for f in self.want)
        self.last = (self.ring.next + n - 1) % RING

    def kick(self):
        if self.blob:
            self.q.net.sendall(self.blob)

    def done(self):
        return self.q.outq() == 0 and \
            (not self.want or self.ring.status(self.last)[0] & RXD_DD)

    def verify(self):
        check_rx(self.ring.collect(len(self.want)), self.want, self.name)
        if self.q.sink.take():
            raise BenchError(self.name + ": the device sent frames")


class VfCase(Case):
    """VF0 transmits to VF1's MAC: through the switch into VF1's ring."""

    def __init__(self, name, size, frames):
        super().__init__(name, frames)
        self.size = size
        if size == "tso":
            self.segs_per_frame = TSO_SEGS

    def setup(self, env):
        self.q, self.tx, self.rx = env.q, env.vf_tx, env.vf_rx
        self.seq = 0

    def prepare(self, n):
        q = self.q
        self.want = []
        if self.size == "tso":
            self.rx.post(n * TSO_SEGS)
            for j in range(n):
                f = tso_frame(self.seq, VF_MACS[1], VF_MACS[0])
                self.seq += 1
                self.tx_last = TsoCase.put_tso(self, self.tx, f, j)
                self.want.append(f)
            nrx = n * TSO_SEGS
        else:
            self.rx.post(n)
            for _ in range(n):
                f = frame(VF_MACS[1], VF_MACS[0], self.size, self.seq)
                self.seq += 1
                slot = self.tx.tail
                q.mw(GPA_TXBUF + slot * BUF, f)
                self.tx_last = self.tx.data(GPA_TXBUF + slot * BUF, len(f),
                                            TXD_EOP | TXD_RS,
                                            len(f) << PAYLEN_SHIFT)
                self.want.append(f)
            nrx = n
        self.nrx = nrx
        self.last = (self.rx.next + nrx - 1) % RING

    def kick(self):
        self.tx.kick()

    def done(self):
        return (not self.want or
                (self.tx.dd(self.tx_last) and
                 self.rx.status(self.last)[0] & RXD_DD))

    def verify(self):
        got = self.rx.collect(self.nrx)
        if self.size == "tso":
            for j, f in enumerate(self.want):
                part = got[j * TSO_SEGS:(j + 1) * TSO_SEGS]
                for i, (st, ln, data) in enumerate(part):
                    if st & (RXD_DD | RXD_EOP) != RXD_DD | RXD_EOP or \
                       st & RXD_ERRORS:
                        raise BenchError("%s: segment %d: status 0x%08x" %
                                         (self.name, i, st))
                check_tso([p[2] for p in part], f,
                          "%s frame %d" % (self.name, j), self.notes)
        else:
            check_rx(got, self.want, self.name)
        wire = self.q.sink.take()
        if wire:
            raise BenchError("%s: %d frames reached the wire" %
                             (self.name, len(wire)))


# frames per batch at most: what fits in a ring (one descriptor slot stays
# empty): TSO takes 3 TX descriptors a frame, its VF->VF form 45 RX ones
MAX_FRAMES = {"tso-64k": (RING - 1) // 3, "tso-64k-vnet": (RING - 1) // 3,
              "vf-vf-tso": (RING - 1) // TSO_SEGS}

CASES = {
    "tx-60": ("pf", lambda n: TxCase("tx-60", 60, n), 4000),
    "tx-1514": ("pf", lambda n: TxCase("tx-1514", 1514, n), 4000),
    "tso-64k": ("pf", lambda n: TsoCase("tso-64k", n), 64),
    "tso-64k-vnet": ("tap", lambda n: TsoVnetCase("tso-64k-vnet", n), 64),
    "rx-60": ("pf", lambda n: RxCase("rx-60", 60, n), 4000),
    "rx-1514": ("pf", lambda n: RxCase("rx-1514", 1514, n), 4000),
    "vf-vf-60": ("vf", lambda n: VfCase("vf-vf-60", 60, n), 4000),
    "vf-vf-1514": ("vf", lambda n: VfCase("vf-vf-1514", 1514, n), 4000),
    "vf-vf-tso": ("vf", lambda n: VfCase("vf-vf-tso", "tso", n), 64),
}
DEFAULT_CASES = list(CASES)


class Env:
    """A QEMU with the device programmed for a group of cases."""

    def __init__(self, binary, group, workdir, callgrind):
        self.q = Qemu(binary, workdir, callgrind,
                      BENCH_TAP if group == "tap" else None)
        try:
            self.pf, mem = pf_init(self.q)
            pf = self.pf
            if group in ("pf", "tap"):
                self.pf_tx = TxRing(self.q, pf, 0, GPA_RINGS)
                self.pf_rx = RxRing(self.q, pf, 0, GPA_RINGS + 0x10000,
                                    GPA_RXBUF)
                pf.wr(TCTL, pf.rd(TCTL) | TCTL_EN | TCTL_PSP)
                pf.wr(RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC)
            else:
                self.vf_setup(mem)
            # let the RCU thread free what the setup's memory map changes
            # left behind before anything is measured
            time.sleep(1.0 if callgrind else 0.2)
        except BaseException:
            self.q.close()
            raise

    def vf_setup(self, mem):
        """VMDq as Linux's igb sets it up with 2 VFs: pool n is VF n, the
        PF's pool (2) follows; a RAR entry per pool; loopback between
        pools on.  VF0's TX queue 0 and VF1's RX queue 0 through the VFs'
        own BAR0 windows."""
        q, pf = self.q, self.pf
        vfs = sriov_enable(q, pf, mem)
        pf_pool = len(vfs)
        pf.wr(MRQC, MRQC_VMDQ)
        pf.wr(VT_CTL, pf_pool << VT_CTL_DEF_POOL_SHIFT | VT_CTL_REPL_EN)
        for p in range(pf_pool + 1):
            pf.wr(VMOLR(p), VMOLR_AUPE | VMOLR_BAM | VMOLR_ROMPE |
                  VMOLR_STRCRC)
        for i, mac in enumerate(VF_MACS):
            r = RAL(23 - i)         # igb puts the VFs' at the end
            pf.wr(r, struct.unpack("<I", mac[:4])[0])
            pf.wr(r + 4, struct.unpack("<H", mac[4:])[0] | RAH_AV |
                  RAH_POOL(i))
        pf.wr(RAH0, struct.unpack("<H", MAC[4:])[0] | RAH_AV |
              RAH_POOL(pf_pool))
        pf.wr(VFRE, (1 << len(vfs)) - 1)
        pf.wr(VFTE, (1 << len(vfs)) - 1)
        pf.wr(DTXSWC, DTXSWC_LOOPBACK_EN)
        pf.wr(TCTL, pf.rd(TCTL) | TCTL_EN | TCTL_PSP)
        pf.wr(RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC)
        self.vf_tx = TxRing(q, vfs[0], 0, GPA_RINGS + 0x20000)
        self.vf_rx = RxRing(q, vfs[1], 0, GPA_RINGS + 0x30000, GPA_RXBUF)

    def close(self):
        self.q.close()


# ---------------------------------------------------------------------------
# Measuring

def wait_done(case, timeout, poll, fn=None):
    fn = fn or case.done
    t0 = time.monotonic()
    while not fn():
        if time.monotonic() - t0 > timeout:
            raise BenchError("%s: not done after %ds" % (case.name, timeout))
        if case.q.proc.poll() is not None:
            raise BenchError("%s: QEMU exited: %s" % (case.name,
                                                      case.q.log_tail()))
        time.sleep(poll)


def run_batch(case, n, measure, settle, timeout, keep=None):
    """One batch of n frames; returns instructions (callgrind) or seconds.
    Under callgrind the window holds the kick, the device's work and the
    settle time; the qtest command of the kick is the only traffic."""
    q = case.q
    case.prepare(n)
    if measure == "ir":
        q.instr(True)
        case.kick()
        wait_done(case, timeout, 0.005)
        wait_done(case, timeout, 0.005, case.complete)
        time.sleep(settle)
        q.instr(False)
        ir = q.dump(keep)
        case.verify()
        return ir
    t0 = time.perf_counter()
    case.kick()
    wait_done(case, timeout, 0.0001 if not q.callgrind else 0.005)
    t = time.perf_counter() - t0
    wait_done(case, timeout, 0.001, case.complete)
    time.sleep(settle)
    case.verify()
    return t


def measure_case(env, case, mode, batches, settle, keep=None):
    """mode 'ir': (instructions per frame, raw); 'wall': frames/s."""
    case.setup(env)
    timeout = 120 if mode == "ir" else 30
    run_batch(case, case.frames, "wall", settle, timeout)     # warm-up
    if mode == "ir":
        k = keep and (lambda i: "%s.%s" % (keep, i))
        # The least of 3 empty windows: work left over from the setup
        # (RCU callbacks freeing old memory maps, malloc_trim) may land in
        # one of them on a busy machine
        base = min((run_batch(case, 0, "ir", settle, timeout,
                              k and k("base%d" % i)) for i in range(3)),
                   key=lambda b: b[0])
        tot = [run_batch(case, case.frames, "ir", settle, timeout,
                         k and k(i + 1)) for i in range(batches)]
        per = [(t - base[0]) / case.frames for t, d in tot]
        dev = [(d - base[1]) / case.frames for t, d in tot]
        # the least of the batches: noise only ever adds instructions
        return min(per), {"baseline": base, "batches": tot,
                                      "per_frame": per, "device": dev,
                                      "notes": sorted(case.notes)}
    ts = [run_batch(case, case.frames, "wall", settle, timeout)
          for _ in range(batches)]
    return case.frames / min(ts), {"seconds": ts,
                                   "notes": sorted(case.notes)}


def run_model(model, binary, cases, mode, args, workdir, say):
    """{case: (value, detail) or ('fails', reason)} for one binary."""
    out = {}
    groups = {}
    for name in cases:
        groups.setdefault(CASES[name][0], []).append(name)
    for group, names in groups.items():
        env = None
        for name in names:
            grp, make, frames = CASES[name]
            frames = args.frames.get(name, frames)
            case = make(frames)
            try:
                if env is None:
                    env = Env(binary, group, workdir, mode == "ir")
                settle = args.settle_cg if mode == "ir" else args.settle
                batches = args.batches if mode == "ir" else args.wall_batches
                t0 = time.monotonic()
                keep = None
                if args.keep_dumps and mode == "ir":
                    os.makedirs(args.keep_dumps, exist_ok=True)
                    keep = os.path.join(args.keep_dumps, "%s.%s.cg" %
                                        (model, name))
                out[name] = measure_case(env, case, mode, batches, settle,
                                         keep)
                say("  %-11s %-4s %12.1f  (%.1fs)" % (
                    name, "ir" if mode == "ir" else "fps", out[name][0],
                    time.monotonic() - t0))
            except BenchError as e:
                out[name] = ("fails", str(e))
                say("  %-11s fails: %s" % (name, e))
                if env is not None:
                    env.close()
                    env = None
        if env is not None:
            env.close()
    return out


# ---------------------------------------------------------------------------
# Report

def _ok(v):
    return v is not None and v[0] != "fails"


def table(cases, res, models):
    """Per case (TSO: per frame and per segment): instructions per frame
    in total and the device's own, for each model and their ratio; wall
    frames/s for each model; then failures and notes."""
    two = len(models) == 2
    groups = [("instr/frame", "total"), ("device instr/frame", "device"),
              ("frames/s", "fps")]
    top, hdr = ["", ""], ["case", "frames"]
    for title, key in groups:
        top += [title] + [""] * (len(models) - 1 + (two and key != "fps"))
        hdr += models + (["ratio"] if two and key != "fps" else [])
    rows = [top, hdr]
    notes = []
    for name in cases:
        grp, make, frames = CASES[name]
        segs = make(1).segs_per_frame
        units = [("", 1)] if segs == 1 else [("/frame", 1), ("/seg", segs)]
        for unit, div in units:
            row = [name + unit, str(res["frames"][name] * div)]
            for title, key in groups:
                vals = []
                for m in models:
                    v = res[m]["wall" if key == "fps" else "ir"].get(name)
                    if v is None:
                        row.append("-")
                        vals.append(None)
                    elif not _ok(v):
                        row.append("fails")
                        vals.append(None)
                    else:
                        x = {"total": v[0] / div,
                             "device": (min(v[1]["device"])
                                        / div if "device" in v[1] else 0),
                             "fps": v[0] * div}[key]
                        row.append("%.0f" % x)
                        vals.append(x)
                if two and key != "fps":
                    row.append("%.2f" % (vals[0] / vals[1])
                               if vals[0] and vals[1] else "-")
            rows.append(row)
        for m in models:
            for mode in ("ir", "wall"):
                v = res[m][mode].get(name)
                if not v:
                    continue
                if v[0] == "fails":
                    why = ["fails: " + v[1]]
                else:
                    why = ["note: " + n for n in v[1].get("notes", [])]
                for w in why:
                    if (m, name, w) not in notes:
                        notes.append((m, name, w))
    widths = [max(len(r[i]) for r in rows[1:]) for i in range(len(hdr))]
    lines = []
    for r in rows:
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 or r is top else
                               c.rjust(widths[i])
                               for i, c in enumerate(r)).rstrip())
    for m, name, why in notes:
        lines.append("%s %s %s" % (m, name, why))
    return "\n".join(lines)


def parse_frames(s):
    out = {}
    for item in s.split(",") if s else []:
        k, v = item.split("=")
        if k not in CASES:
            raise argparse.ArgumentTypeError("unknown case " + k)
        out[k] = int(v)
        top = MAX_FRAMES.get(k, RING - 1)
        if not 1 <= out[k] <= top:
            raise argparse.ArgumentTypeError("%s: 1 to %d frames a batch" %
                                             (k, top))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", required=True, help="our QEMU binary")
    ap.add_argument("--upstream", help="upstream's igb QEMU binary")
    ap.add_argument("--cases", default=",".join(DEFAULT_CASES),
                    help="comma-separated, from: " + ", ".join(CASES))
    ap.add_argument("--frames", type=parse_frames, default={},
                    help="frames per batch, e.g. tx-60=2000,tso-64k=32")
    ap.add_argument("--batches", type=int, default=3,
                    help="measured batches per case under callgrind")
    ap.add_argument("--wall-batches", type=int, default=7,
                    help="timed batches per case without valgrind")
    ap.add_argument("--settle", type=float, default=0.02,
                    help="seconds after done (wall runs)")
    ap.add_argument("--settle-cg", type=float, default=0.1,
                    help="seconds after done inside the callgrind window")
    ap.add_argument("--no-wall", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--results", help="append the table to this file")
    ap.add_argument("--label", default="", help="a line for the results")
    ap.add_argument("--raw", action="store_true",
                    help="print raw callgrind numbers")
    ap.add_argument("--keep-dumps", metavar="DIR",
                    help="keep the callgrind dumps of the windows there "
                    "(MODEL.CASE.cg.N; callgrind_annotate reads them)")
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    for c in cases:
        if c not in CASES:
            raise SystemExit("unknown case %s (have: %s)" %
                             (c, ", ".join(CASES)))
    if "tso-64k-vnet" in cases and os.environ.get("IGB_DEVBENCH_NETNS") != "1":
        # the TAP case wants a network namespace of its own: run in one
        if os.geteuid() == 0 and os.access("/dev/net/tun", os.R_OK) and \
           shutil.which("unshare") and shutil.which("ip"):
            env = dict(os.environ, IGB_DEVBENCH_NETNS="1")
            os.execvpe("unshare", ["unshare", "-n", sys.executable,
                                   os.path.abspath(sys.argv[0])] +
                       sys.argv[1:], env)
        if args.cases != ",".join(DEFAULT_CASES):
            raise SystemExit("tso-64k-vnet needs root, /dev/net/tun, ip and "
                             "unshare")
        print("tso-64k-vnet left out: it needs root, /dev/net/tun, ip and "
              "unshare", file=sys.stderr)
        cases.remove("tso-64k-vnet")
    models = [("ours", args.ours)]
    if args.upstream:
        models.append(("upstream", args.upstream))
    modes = [m for m, off in (("ir", args.no_callgrind),
                              ("wall", args.no_wall)) if not off]
    if "ir" in modes and not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed")

    def say(s):
        print(s, file=sys.stderr, flush=True)

    start = time.monotonic()
    res = {m: {"ir": {}, "wall": {}} for m, _ in models}
    res["frames"] = {c: args.frames.get(c, CASES[c][2]) for c in cases}
    workdir = tempfile.mkdtemp(prefix="igb-devbench.")
    try:
        for mode in modes:
            for m, binary in models:
                say("%s, %s:" % (m, "callgrind instructions per frame"
                                 if mode == "ir" else "frames/s (wall)"))
                res[m][mode] = run_model(m, binary, cases, mode, args,
                                         workdir, say)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - start

    now = datetime.datetime.now().astimezone()
    head = ["igb device benchmark, %s" % now.strftime("%Y-%m-%d %H:%M %Z"),
            "machine: " + benchinfo.machine(
                benchinfo.tool_version("valgrind", "--version"))]
    if args.label:
        head.append(args.label)
    head += ["instr/frame: QEMU's instructions (callgrind Ir) in the "
             "window less a window without frames, per frame, least of %d "
             "batches;" % args.batches,
             "  device: of those, the model's own (without the netdev and "
             "qtest); ratio: ours / upstream;",
             "  frames/s: wall clock without valgrind, best of %d batches "
             "(noisy); the run took %.0fs" % (args.wall_batches, elapsed)]
    text = "\n".join(head) + "\n\n" + table(cases, res,
                                            [m for m, _ in models]) + "\n"
    for m, _ in models:
        sw, vh = (res[m]["ir"].get(c) for c in ("tso-64k", "tso-64k-vnet"))
        if _ok(sw) and _ok(vh):
            text += ("%s: TSO to a TAP taking virtio-net headers costs %.0f "
                     "instructions a 64 KiB frame, %.1f%% of segmenting it "
                     "in the model\n" % (m, vh[0], 100.0 * vh[0] / sw[0]))
    if args.raw:
        for m, _ in models:
            for name, v in res[m]["ir"].items():
                if v[0] != "fails":
                    text += "raw %s %s: %s\n" % (m, name, v[1])
    print(text)
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)),
                    exist_ok=True)
        with open(args.results, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
