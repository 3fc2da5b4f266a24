#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The outside peer of the DPDK test (test-dpdk.sh): the far end of the
igb's wire.  QEMU's netdev is "-netdev dgram" with unix sockets: QEMU sends
each frame the NIC transmits as one datagram to --sock, which this script
owns, and takes each datagram sent to --qemu-sock as a received frame.

The guest drives it through its console (the log file --console, read as
it grows), with lines
  IGBTEST PEER send PHASE DSTMAC COUNT KIND EXPECT
      send COUNT frames of KIND to DSTMAC, tagged with PHASE; EXPECT says
      what must come back: "none", "same" (io forwarding: every frame
      back, byte for byte) or "csum" (csum forwarding: every frame back
      from DSTMAC to our MAC, IP and TCP/UDP checksums valid, the rest
      unchanged)
  IGBTEST PEER txonly PHASE SRCMAC [DSTMAC]
      count the frames testpmd's txonly engine sends from SRCMAC to DSTMAC
      (default: our MAC; testpmd's --eth-peer / set eth-peer) as PHASE's
      (UDP 198.18.0.1:9 -> 198.18.0.2:9, valid IP checksum); a distinct
      DSTMAC per phase keeps late frames of one phase out of the next
  IGBTEST DONE ...  (init's last line) or IGBTEST PEER end: report, exit
KINDs: udp, tcp, mix (UDP and TCP; both with 64 flows: source addresses
and ports vary, so RSS spreads them), csum (mix, every 10th frame from the
4th with a wrong IP header checksum and every 10th from the 8th with a
wrong TCP/UDP checksum), ntuple (UDP to port 5000), nomatch (UDP to port
5001), ether (EtherType 0x88b5), syn (TCP SYN).  Frames carry a tag
(magic, phase, sequence number) in their payload; frame sizes are fixed
per KIND (frame_size()).
At the end it writes one line per phase to --out:
  PHASE name kind=K expect=E sent=N back=M ok=K bad=B dup=D first_bad=...
  TXONLY name frames=N ok=K bad=B
and "OTHER n" for frames it could not place.  Stops by itself after
--timeout seconds.
"""
import argparse, os, socket, struct, sys, threading, time

MAGIC = b"IGBDPDK!"
PEER_MAC = "52:54:00:fe:00:01"
ETH_IP4, ETH_TEST = 0x0800, 0x88B5


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ones(data):
    if len(data) % 2:
        data += b"\0"
    return fold(sum(struct.unpack("!%dH" % (len(data) // 2), data)))


def cksum(data):
    return (~ones(data)) & 0xFFFF


def frame_size(kind):
    return {"udp": 128, "tcp": 160, "ether": 96, "syn": 74}.get(kind, 128)


def build(dst, kind, phase, seq):
    """One frame of KIND for sequence number SEQ (see the module doc)."""
    tag = MAGIC + struct.pack("!HI", phase, seq)
    src = mac_bytes(PEER_MAC)
    if kind in ("mix", "csum"):
        kind = "udp" if seq % 2 == 0 else "tcp"
    if kind == "ether":
        body = tag + bytes((seq + i) & 0xFF for i in range(frame_size("ether") - 14 - len(tag)))
        return mac_bytes(dst) + src + struct.pack("!H", ETH_TEST) + body
    flow = seq % 64
    sip = bytes((10, 1, flow // 8, 1 + flow % 8))
    dip = bytes((10, 2, 0, 1))
    sport, dport = 10000 + flow * 7, 7000 + flow % 4
    if kind == "ntuple":
        dport = 5000
    elif kind == "nomatch":
        dport = 5001
    if kind in ("udp", "ntuple", "nomatch"):
        proto, l4len = 17, frame_size("udp") - 14 - 20
        pay = tag + bytes((seq * 3 + i) & 0xFF for i in range(l4len - 8 - len(tag)))
        l4 = struct.pack("!HHHH", sport, dport, l4len, 0) + pay
        off = 6
    else:
        proto = 6
        l4len = frame_size("syn" if kind == "syn" else "tcp") - 14 - 20
        flags = 0x02 if kind == "syn" else 0x18           # SYN, or PSH|ACK
        pay = tag + bytes((seq * 5 + i) & 0xFF for i in range(l4len - 20 - len(tag)))
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000 + seq, 0 if kind == "syn" else 1,
                         5 << 4, flags, 8192, 0, 0) + pay
        off = 16
    pseudo = sip + dip + struct.pack("!BBH", 0, proto, l4len)
    c = cksum(pseudo + l4)
    if proto == 17 and c == 0:
        c = 0xFFFF
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, seq & 0xFFFF, 0x4000, 64,
                     proto, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", cksum(ip)) + ip[12:]
    frame = bytearray(mac_bytes(dst) + src + struct.pack("!H", ETH_IP4) + ip + l4)
    if kind_of_csum_error(phase, seq) == "ip":
        frame[24] ^= 0x5A
    elif kind_of_csum_error(phase, seq) == "l4":
        frame[14 + 20 + off] ^= 0x5A
    return bytes(frame)


CSUM_PHASES = set()


def kind_of_csum_error(phase, seq):
    if phase not in CSUM_PHASES:
        return None
    return {3: "ip", 7: "l4"}.get(seq % 10)


def l3l4_ok(f):
    """IPv4 header and TCP/UDP checksums of frame F are right."""
    if len(f) < 34 or struct.unpack("!H", f[12:14])[0] != ETH_IP4:
        return False
    ihl = (f[14] & 15) * 4
    ip = f[14:14 + ihl]
    if ones(ip) != 0xFFFF:
        return False
    tot = struct.unpack("!H", ip[2:4])[0]
    proto = ip[9]
    l4 = f[14 + ihl:14 + tot]
    if proto == 17 and struct.unpack("!H", l4[6:8])[0] == 0:
        return True                                   # no UDP checksum
    pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
    return ones(pseudo + l4) == 0xFFFF


def normalize(f):
    """F without its MAC addresses and checksum fields."""
    f = bytearray(f[12:])
    if struct.unpack("!H", f[0:2])[0] != ETH_IP4:
        return bytes(f)
    ihl = (f[2] & 15) * 4
    f[2 + 10:2 + 12] = b"\0\0"
    off = {17: 6, 6: 16}.get(f[2 + 9])
    if off is not None:
        f[2 + ihl + off:2 + ihl + off + 2] = b"\0\0"
    return bytes(f)


class Phase:
    def __init__(self, name, num, kind, expect, dst):
        self.name, self.num, self.kind, self.expect, self.dst = name, num, kind, expect, dst
        self.sent = {}
        self.back = self.ok = self.bad = self.dup = 0
        self.seen = set()
        self.first_bad = ""


class Peer:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.phases = {}          # number -> Phase
        self.byname = {}
        self.tx = {}              # txonly phase name -> [frames, ok, bad]
        self.tx_macs = {}         # (srcmac, dstmac) bytes -> txonly phase name
        self.other = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            os.unlink(a.sock)
        except OSError:
            pass
        self.sock.bind(a.sock)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.settimeout(0.2)
        self.stop = False

    def log(self, msg):
        if self.a.verbose:
            print("peer: " + msg, flush=True)

    def rx_loop(self):
        while not self.stop:
            try:
                f = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.classify(f)

    def classify(self, f):
        # testpmd's txonly frames first: their payload is whatever the
        # mbuf held before, often one of our tagged frames
        name = self.tx_macs.get((bytes(f[6:12]), bytes(f[0:6])))
        if (name is not None and len(f) >= 42 and
                struct.unpack("!H", f[12:14])[0] == ETH_IP4 and f[23] == 17 and
                f[26:30] == bytes((198, 18, 0, 1)) and f[30:34] == bytes((198, 18, 0, 2))):
            t = self.tx[name]
            t[0] += 1
            ihl = (f[14] & 15) * 4
            if ones(f[14:14 + ihl]) == 0xFFFF:
                t[1] += 1
            else:
                t[2] += 1
            return
        i = f.find(MAGIC)
        if i >= 0 and len(f) >= i + len(MAGIC) + 6:
            num, seq = struct.unpack("!HI", f[i + len(MAGIC):i + len(MAGIC) + 6])
            p = self.phases.get(num)
            if p is not None and seq in p.sent:
                p.back += 1
                if seq in p.seen:
                    p.dup += 1
                p.seen.add(seq)
                sent = p.sent[seq]
                if p.expect == "same":
                    good = f == sent
                elif p.expect == "csum":
                    good = (f[0:6] == mac_bytes(PEER_MAC) and
                            f[6:12] == mac_bytes(p.dst) and
                            (struct.unpack("!H", f[12:14])[0] != ETH_IP4 or l3l4_ok(f)) and
                            normalize(f) == normalize(sent))
                else:
                    good = False                      # nothing should come back
                if good:
                    p.ok += 1
                else:
                    p.bad += 1
                    if not p.first_bad:
                        p.first_bad = "seq%d:%s" % (seq, f[:64].hex())
                return
        self.other += 1

    def send(self, p, count):
        n = 0
        for seq in range(count):
            f = build(p.dst, p.kind, p.num, seq)
            with self.lock:
                p.sent[seq] = f
            for _ in range(200):
                try:
                    self.sock.sendto(f, self.a.qemu_sock)
                    break
                except (BlockingIOError, socket.timeout, ConnectionRefusedError,
                        FileNotFoundError):
                    time.sleep(0.01)
            n += 1
            if n % self.a.burst == 0:
                time.sleep(self.a.gap)
        self.log("%s: sent %d %s frames to %s" % (p.name, count, p.kind, p.dst))

    def command(self, words):
        self.log("command: " + " ".join(words))
        if words[0] == "send" and len(words) == 6:
            name, dst, count, kind, expect = words[1:]
            num = len(self.phases) + 1
            p = Phase(name, num, kind, expect, dst)
            if kind == "csum":
                CSUM_PHASES.add(num)
            with self.lock:
                self.phases[num] = p
                self.byname[name] = p
            threading.Thread(target=self.send, args=(p, int(count)), daemon=True).start()
        elif words[0] == "txonly" and len(words) in (3, 4):
            dst = words[3] if len(words) == 4 else PEER_MAC
            with self.lock:
                self.tx.setdefault(words[1], [0, 0, 0])
                self.tx_macs[(mac_bytes(words[2]), mac_bytes(dst))] = words[1]
        elif words[0] == "end":
            return True
        return False

    def report(self):
        with self.lock:
            lines = []
            for p in self.phases.values():
                lines.append("PHASE %s kind=%s expect=%s sent=%d back=%d ok=%d bad=%d dup=%d%s" % (
                    p.name, p.kind, p.expect, len(p.sent), p.back, p.ok, p.bad, p.dup,
                    " first_bad=" + p.first_bad if p.first_bad else ""))
            for name, (n, ok, bad) in self.tx.items():
                lines.append("TXONLY %s frames=%d ok=%d bad=%d" % (name, n, ok, bad))
            lines.append("OTHER %d" % self.other)
        with open(self.a.out, "w") as o:
            o.write("\n".join(lines) + "\n")
        self.log("report:\n  " + "\n  ".join(lines))

    def run(self):
        threading.Thread(target=self.rx_loop, daemon=True).start()
        deadline = time.monotonic() + self.a.timeout
        pos, buf = 0, b""
        done = False
        while not done and time.monotonic() < deadline:
            try:
                with open(self.a.console, "rb") as c:
                    c.seek(pos)
                    data = c.read()
            except OSError:
                data = b""
            if not data:
                time.sleep(0.1)
                continue
            pos += len(data)
            buf += data
            *lines, buf = buf.split(b"\n")
            for line in lines:
                line = line.decode("utf-8", "replace").replace("\r", "")
                i = line.find("IGBTEST PEER ")
                if i >= 0:
                    if self.command(line[i + 13:].split()):
                        done = True
                elif "IGBTEST DONE" in line:
                    done = True
        time.sleep(1.0)             # the last frames on their way
        self.stop = True
        self.report()
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sock", required=True, help="our unix datagram socket")
    ap.add_argument("--qemu-sock", required=True, help="QEMU's (local.path)")
    ap.add_argument("--console", required=True, help="the guest's console log")
    ap.add_argument("--out", required=True, help="the report")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--burst", type=int, default=16, help="frames between pauses")
    ap.add_argument("--gap", type=float, default=0.004, help="the pause (s)")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    return Peer(a).run()


if __name__ == "__main__":
    sys.exit(main())
