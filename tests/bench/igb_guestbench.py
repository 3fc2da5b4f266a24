#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Guest-level TCP benchmark: iperf3 between a Linux guest and the host.

The guest (Debian's kernel under TCG, the test image's GUEST_VARIANT=bench:
iperf3, igb/igbvf, e1000e, virtio_net) has one NIC whose netdev is a TAP
(-netdev tap,vhost=off, QEMU's default vnet_hdr) in a network namespace
this script creates: QEMU runs inside it (ip netns exec), the TAP has
10.76.0.1/24, and iperf3 -s listens there.  Nothing leaves the namespace.
The guest's side is tests/guest/initramfs/tests/bench.sh: it runs
`iperf3 -c 10.76.0.1 -t SECS -J`, with -R for host -> guest, the two
directions interleaved, RUNS times each, and prints iperf3's JSON
(gzipped, base64) and /proc/stat before and after each run on the
console.  For igb it then creates one VF (echo 1 > sriov_numvfs; the
VF's own MAC and address 10.76.0.3, the PF keeps its link but loses its
address) and does the same through the VF: its frames reach the TAP
through the PF's switch and wire port.

One boot per (NIC model, vCPU count).  Models: ours (our igb), upstream
(upstream QEMU's igb), e1000e and virtio (virtio-net-pci; both from the
upstream binary unless --other says otherwise).

Per cell (model, vCPUs, PF/VF, direction), the median over the runs of:
  Mbit/s   iperf3's receiver-side rate (sum_received)
  retr     TCP retransmissions of the sender (iperf3's sum_sent; the host's
           for host -> guest, the guest's for guest -> host)
  cpu%     the guest's CPU time over the run from /proc/stat, busy (not
           idle nor iowait) as a share of all its vCPUs
Also recorded per run (log and --details): softirq share, QEMU's own host
CPU (its process, from /proc/PID/stat: 100% = one host core), the host
namespace's TCP counters, the guest's, and the slowest 1 s interval.

Run by scripts/igb/bench-guest.sh (builds, image, iperf3); directly, as
root:  igb_guestbench.py --ours QEMU --upstream QEMU --kernel K --initrd I
Python 3 standard library only.
"""

import argparse
import base64
import datetime
import gzip
import json
import os
import re
import selectors
import shlex
import signal
import statistics
import subprocess
import sys
import time

import benchinfo

HOST_ADDR, PF_ADDR, VF_ADDR = "10.76.0.1", "10.76.0.2", "10.76.0.3"
MAC = "52:54:00:12:34:56"
TAP = "igbb0"
PORT = 5201

# name: (QEMU device, guest driver, modules to load, has VFs, label)
MODELS = {
    "ours": ("igb", "igb", "igb,igbvf", True, "ours igb"),
    "upstream": ("igb", "igb", "igb,igbvf", True, "upstream igb"),
    "e1000e": ("e1000e", "e1000e", "e1000e", False, "e1000e"),
    "virtio": ("virtio-net-pci", "virtio_net", "virtio_pci,virtio_net",
               False, "virtio-net"),
}
DIRS = {"rx": "host->guest", "tx": "guest->host"}
HOST_TCP = ("RetransSegs", "TCPTimeouts", "TCPLossProbes", "TCPOFOQueue",
            "TCPSACKReorder", "TCPDSACKRecv", "TCPRcvQDrop")


def say(s):
    print(s, file=sys.stderr, flush=True)


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          universal_newlines=True).stdout


def tcp_counters(pid):
    """The TCP counters of the network namespace of process PID."""
    out = {}
    for f in ("snmp", "netstat"):
        try:
            with open("/proc/%d/net/%s" % (pid, f)) as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for a, b in zip(lines[::2], lines[1::2]):
            ka, va = a.split(), b.split()
            if ka[0] in ("Tcp:", "TcpExt:") and ka[0] == va[0]:
                for k, v in zip(ka[1:], va[1:]):
                    try:
                        out[k] = int(v)
                    except ValueError:
                        pass
    return out


def tap_stats(pid):
    """The TAP's counters in the namespace of process PID: from_guest and
    to_guest (bytes, packets, drops)."""
    try:
        with open("/proc/%d/net/dev" % pid) as fh:
            for line in fh:
                name, _, rest = line.partition(":")
                if name.strip() == TAP:
                    f = [int(x) for x in rest.split()]
                    return {"from_guest": (f[0], f[1], f[3]),
                            "to_guest": (f[8], f[9], f[11])}
    except (OSError, ValueError, IndexError):
        pass
    return {}


def proc_cpu(pid):
    """utime + stime of PID and its reaped children, in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def kv(s):
    out = {}
    for item in s.split(","):
        if "=" in item:
            k, v = item.split("=", 1)
            try:
                out[k] = int(v)
            except ValueError:
                pass
    return out


class Namespace:
    """A network namespace with a persistent TAP and an iperf3 server."""

    def __init__(self, name, logdir):
        self.name, self.logdir = name, logdir
        self.server = None

    def ip(self, *args, check=True):
        return sh("ip", "netns", "exec", self.name, *args, check=check)

    def create(self):
        sh("ip", "netns", "add", self.name)
        self.ip("ip", "link", "set", "lo", "up")
        self.ip("ip", "tuntap", "add", "dev", TAP, "mode", "tap")
        self.ip("ip", "addr", "add", HOST_ADDR + "/24", "dev", TAP)
        self.ip("ip", "link", "set", TAP, "up")

    def start_server(self):
        self.stop_server()
        with open(os.path.join(self.logdir, "bench-guest-iperf3-s.log"),
                  "a") as log:
            self.server = subprocess.Popen(
                ["ip", "netns", "exec", self.name, "iperf3", "-s", "-B",
                 HOST_ADDR, "-p", str(PORT)],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        # ip netns exec execs iperf3: the same process, in the namespace
        for _ in range(50):
            if ":%04X " % PORT in self._listening():
                return
            time.sleep(0.1)
        raise RuntimeError("iperf3 -s did not start in namespace " + self.name)

    def _listening(self):
        try:
            with open("/proc/%d/net/tcp" % self.server.pid) as fh:
                return fh.read()
        except OSError:
            return ""

    def stop_server(self):
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(5)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            self.server = None

    def destroy(self):
        self.stop_server()
        self.ip("ip", "tuntap", "del", "dev", TAP, "mode", "tap", check=False)
        sh("ip", "netns", "del", self.name, check=False)


def tap_offloads(ns):
    out = ns.ip("ethtool", "-k", TAP, check=False)
    got = []
    for name in ("tx-checksumming", "tcp-segmentation-offload",
                 "generic-segmentation-offload"):
        m = re.search(r"^%s: (\w+)" % name, out, re.M)
        if m:
            got.append("%s=%s" % (name, m.group(1)))
    return ",".join(got)


def boot(ns, model, binary, vcpus, args, img, log):
    """One guest: all of its runs.  Returns (runs, info, errors)."""
    dev, drv, mods, has_vf, _ = MODELS[model]
    vf = has_vf and not args.no_vf
    append = ("console=ttyS0 panic=-1 quiet igbtest=bench igbmods=%s "
              "igbbenchnic=%s igbbenchruns=%d igbbenchtime=%d "
              "igbbenchdirs=%s igbbenchhost=%s igbbenchpfa=%s "
              "igbbenchvfa=%s igbbenchvf=%d" %
              (mods, drv, args.runs, args.time, ",".join(args.dirs),
               HOST_ADDR, PF_ADDR, VF_ADDR, vf))
    cmd = ["ip", "netns", "exec", ns.name, binary, "-accel", "tcg",
           "-M", "q35", "-m", args.mem, "-smp", str(vcpus), "-nographic",
           "-no-reboot", "-kernel", img[0], "-initrd", img[1],
           "-append", append,
           "-netdev", "tap,id=n0,ifname=%s,script=no,downscript=no,vhost=off"
           % TAP,
           "-device", "%s,netdev=n0,mac=%s%s" %
           (dev, MAC, "," + args.ours_props
            if model == "ours" and args.ours_props else "")]
    cmd += shlex.split(args.qemu_args)
    nruns = args.runs * len(args.dirs) * (2 if vf else 1)
    timeout = 240 + nruns * (args.time + 30)
    log.write("# %s\n" % " ".join(cmd))
    log.flush()
    ns.start_server()
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(q.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    runs, info, errors, cur = [], {}, [], {}
    buf, done, t0 = b"", False, time.monotonic()
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                errors.append("timed out after %ds" % timeout)
                break
            if not sel.select(min(left, 5)):
                continue
            chunk = os.read(q.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if not line.startswith("IGBB64 "):
                    log.write(line + "\n")
                done |= handle(line, ns, q.pid, vcpus, model, runs, info,
                               errors, cur)
            log.flush()
    finally:
        sel.close()
        if q.poll() is None:
            try:
                os.killpg(q.pid, signal.SIGTERM)
                q.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(q.pid, signal.SIGKILL)
        q.wait()
        ns.stop_server()
    if not done:
        errors.append("the guest did not finish (QEMU exit %s after %.0fs)" %
                      (q.returncode, time.monotonic() - t0))
    return runs, info, errors


def handle(line, ns, qpid, vcpus, model, runs, info, errors, cur):
    """One console line.  Returns True at the guest's end."""
    w = line.split(" ")
    if line.startswith("IGBB64 ") and len(w) >= 3 and w[1] in cur:
        cur[w[1]]["b64"].append(w[2])
    elif line.startswith("IGBBENCH INFO ") and len(w) > 3:
        info[w[2]] = " ".join(w[3:])
        info["tap"] = tap_offloads(ns)
    elif line.startswith("IGBBENCH ERROR "):
        errors.append(" ".join(w[2:]))
    elif line.startswith("IGBBENCH START ") and len(w) > 2:
        cur[w[2]] = {"t0": time.monotonic(), "q0": proc_cpu(qpid),
                     "h0": tcp_counters(ns.server.pid), "b64": [],
                     "tap0": tap_stats(ns.server.pid),
                     "g0": kv(line.split(" tcp=", 1)[1])
                     if " tcp=" in line else {}}
    elif line.startswith("IGBBENCH END ") and len(w) > 2 and w[2] in cur:
        c = cur[w[2]]
        c["t1"], c["q1"] = time.monotonic(), proc_cpu(qpid)
        c["h1"] = tcp_counters(ns.server.pid)
        c["tap1"] = tap_stats(ns.server.pid)
        for item in w[3:]:
            if "=" in item:
                k, v = item.split("=", 1)
                c[k] = v
    elif line.startswith("IGBBENCH JSON ") and len(w) > 2 and w[2] in cur:
        runs.append(finish_run(w[2], cur.pop(w[2]), vcpus, model))
    elif line.startswith("IGBTEST DONE"):
        return True
    return False


def finish_run(tag, c, vcpus, model):
    fn, d, i = tag.split(".")
    r = {"model": model, "vcpus": vcpus, "fn": fn, "dir": d, "run": int(i),
         "rc": c.get("rc", "?"), "error": None}
    try:
        js = json.loads(gzip.decompress(base64.b64decode("".join(c["b64"]))))
    except (ValueError, OSError, EOFError) as e:
        r["error"] = "no JSON from iperf3 (%s)" % e
        return r
    if js.get("error"):
        r["error"] = "iperf3: " + js["error"]
        return r
    end = js.get("end", {})
    try:
        r["mbps"] = end["sum_received"]["bits_per_second"] / 1e6
        r["sent_mbps"] = end["sum_sent"]["bits_per_second"] / 1e6
        r["retr"] = end["sum_sent"].get("retransmits")
        r["secs"] = end["sum_received"]["seconds"]
    except (KeyError, TypeError):
        r["error"] = "iperf3's JSON has no summary (rc %s)" % r["rc"]
        return r
    try:
        a = [int(x) for x in c["cpu0"].split(",")]
        b = [int(x) for x in c["cpu1"].split(",")]
        dl = [y - x for x, y in zip(a, b)]
        tot = sum(dl)
        r["gcpu"] = 100.0 * (tot - dl[3] - dl[4]) / tot if tot else None
        r["gsirq"] = 100.0 * dl[6] / tot if tot else None
    except (KeyError, ValueError, IndexError):
        r["gcpu"] = r["gsirq"] = None
    wall = c["t1"] - c["t0"]
    r["irqs"] = (int(c["intr"]) / wall
                 if c.get("intr", "").isdigit() and wall > 0 else None)
    r["qcpu"] = (100.0 * (c["q1"] - c["q0"]) / wall
                 if c.get("q0") is not None and c.get("q1") is not None
                 and wall > 0 else None)
    r["host"] = {k: c["h1"].get(k, 0) - c["h0"].get(k, 0) for k in HOST_TCP}
    r["tap"] = {k: tuple(b - a for a, b in zip(c["tap0"][k], c["tap1"][k]))
                for k in c["tap1"] if k in c.get("tap0", {})}
    g1 = kv(c.get("tcp", ""))
    r["guest"] = {k: g1.get(k, 0) - c["g0"].get(k, 0) for k in g1
                  if g1.get(k, 0) != c["g0"].get(k, 0)}
    ivs = [iv["sum"]["bits_per_second"] / 1e6
           for iv in js.get("intervals", []) if "sum" in iv]
    r["intervals"] = ivs
    r["iperf_cpu"] = end.get("cpu_utilization_percent", {}).get("host_total")
    return r


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def cells(runs):
    """(model, vcpus, fn, dir) -> medians and the runs' values."""
    out = {}
    for r in runs:
        out.setdefault((r["model"], r["vcpus"], r["fn"], r["dir"]),
                       []).append(r)
    res = {}
    for k, rs in out.items():
        ok = [r for r in rs if not r["error"]]
        res[k] = {"n": len(ok), "fails": len(rs) - len(ok),
                  "mbps": med([r["mbps"] for r in ok]),
                  "retr": med([r["retr"] for r in ok]),
                  "gcpu": med([r["gcpu"] for r in ok]),
                  "runs": ok}
    return res


def fmt(v, f="%.0f"):
    return "-" if v is None else f % v


def ratio(a, b):
    return "-" if not a or not b else "%.2f" % (a / b)


def table(res, models, vcpus_list, fns, dirs):
    hdr1 = ["", "", ""]
    hdr2 = ["vCPUs", "fn", "direction"]
    for m in models:
        hdr1 += [MODELS[m][4], "", ""]
        hdr2 += ["Mbit/s", "retr", "cpu%"]
    others = [m for m in ("upstream", "e1000e", "virtio") if m in models]
    if "ours" in models:
        for m in others:
            hdr1.append("ours/")
            hdr2.append({"upstream": "upstr", "e1000e": "e1000e",
                         "virtio": "virtio"}[m])
        if "vf" in fns:
            hdr1.append("ours")
            hdr2.append("VF/PF")
    rows = [hdr1, hdr2]
    for n in vcpus_list:
        for fn in fns:
            for d in dirs:
                row = [str(n), fn.upper(), DIRS[d]]
                vals = {}
                any_val = False
                for m in models:
                    c = res.get((m, n, fn, d))
                    if c is None:
                        row += ["-", "-", "-"]
                        continue
                    if c["n"] == 0:
                        row += ["fails", "-", "-"]
                        any_val = True
                        continue
                    any_val = True
                    vals[m] = c["mbps"]
                    row += [fmt(c["mbps"]), fmt(c["retr"]), fmt(c["gcpu"])]
                if not any_val:
                    continue
                if "ours" in models:
                    for m in others:
                        row.append(ratio(vals.get("ours"), vals.get(m)))
                    if "vf" in fns:
                        pf = res.get(("ours", n, "pf", d))
                        row.append(ratio(vals.get("ours"), pf and pf["mbps"])
                                   if fn == "vf" else "")
                rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(hdr2))]
    lines = []
    for r in rows:
        cells_ = []
        for i, c in enumerate(r):
            cells_.append(c.ljust(widths[i]) if i < 3 or r is hdr1
                          else c.rjust(widths[i]))
        lines.append("  ".join(cells_).rstrip())
    return "\n".join(lines)


def targets(res, vcpus_list):
    """The issue's targets, informational."""
    out = []

    def g(m, n, fn, d, k="mbps"):
        c = res.get((m, n, fn, d))
        return c[k] if c and c["n"] else None

    def line(what, val, goal, ok):
        out.append("  %-44s %-22s %s" % (what, val + " (" + goal + ")",
                                         "-" if ok is None else
                                         ("met" if ok else "NOT met")))

    for n in vcpus_list:
        out.append("targets, %d vCPU%s (informational):" %
                   (n, "s" if n > 1 else ""))
        for d, goal in (("rx", 1.5), ("tx", 1.2)):
            a, b = g("ours", n, "pf", d), g("upstream", n, "pf", d)
            r = round(a / b, 2) if a and b else None
            line("%s ours/upstream igb" % DIRS[d], fmt(r, "%.2f"),
                 ">= %.1f" % goal, None if r is None else r >= goal)
        for d in DIRS:
            a, b = (g("ours", n, "pf", d, "retr"),
                    g("e1000e", n, "pf", d, "retr"))
            line("%s retransmissions ours vs e1000e" % DIRS[d],
                 "%s vs %s" % (fmt(a), fmt(b)), "<=",
                 None if a is None or b is None else a <= b)
        for d in DIRS:
            a, b = g("ours", n, "vf", d), g("ours", n, "pf", d)
            r = round(a / b, 2) if a and b else None
            line("%s ours VF/PF" % DIRS[d], fmt(r, "%.2f"), ">= 0.90",
                 None if r is None else r >= 0.9)
        for d in DIRS:
            a, b = g("ours", n, "pf", d), g("virtio", n, "pf", d)
            r = round(a / b, 2) if a and b else None
            line("%s ours/virtio-net" % DIRS[d], fmt(r, "%.2f"), ">= 0.80",
                 None if r is None else r >= 0.8)
    return "\n".join(out)


def run_notes(runs, errors):
    notes = list(errors)
    for r in runs:
        name = "%s %d vCPU %s %s run %d" % (MODELS[r["model"]][4], r["vcpus"],
                                           r["fn"].upper(), DIRS[r["dir"]],
                                           r["run"])
        if r["error"]:
            notes.append("%s: %s" % (name, r["error"]))
            continue
        ivs = r["intervals"]
        if len(ivs) >= 3:
            m = statistics.median(ivs)
            low = [(i, v) for i, v in enumerate(ivs) if v < 0.1 * m]
            if low:
                notes.append("%s: stall: 1 s interval(s) %s below 10%% of "
                             "the median %.0f Mbit/s" %
                             (name, ", ".join("#%d %.1f" % (i + 1, v)
                                              for i, v in low), m))
        rto = (r["host"] if r["dir"] == "rx" else r["guest"]).get(
            "TCPTimeouts", 0)
        if rto:
            notes.append("%s: %d retransmission timeout(s) at the sender" %
                         (name, rto))
    return notes


def tap_desc(r):
    t = r.get("tap", {}).get("to_guest" if r["dir"] == "rx" else "from_guest")
    if not t:
        return ""
    return "  tap %d frames of %d B, %d dropped" % (
        t[1], t[0] / t[1] if t[1] else 0, t[2])


def details(runs):
    lines = ["per run: Mbit/s, retransmissions, guest cpu% (softirq%), "
             "QEMU's host cpu% (100 = one core), slowest 1 s interval; "
             "the guest's interrupts per second (all sources); "
             "sender RTOs; receiver's out-of-order queueing (TCPOFOQueue);",
             "  at the TAP in the data's direction: frames, their mean size, "
             "frames the TAP dropped (host->guest: QEMU did not read them in "
             "time)"]
    for r in runs:
        head = "  %-12s %d %s %-11s #%d" % (MODELS[r["model"]][4], r["vcpus"],
                                           r["fn"].upper(), DIRS[r["dir"]],
                                           r["run"])
        if r["error"]:
            lines.append(head + "  " + r["error"])
            continue
        snd, rcv = ((r["host"], r["guest"]) if r["dir"] == "rx"
                    else (r["guest"], r["host"]))
        lines.append("%s  %6.1f  retr %5s  cpu %3s (%s)  qemu %3s  min %6.1f"
                     "  irq/s %s  rto %d  ofo %d" %
                     (head, r["mbps"], fmt(r["retr"]), fmt(r["gcpu"]),
                      fmt(r["gsirq"]), fmt(r["qcpu"]),
                      min(r["intervals"]) if r["intervals"] else 0,
                      fmt(r.get("irqs")),
                      snd.get("TCPTimeouts", 0), rcv.get("TCPOFOQueue", 0))
                     + tap_desc(r))
    return "\n".join(lines)


def load():
    """The load average and the QEMU processes running that are not ours."""
    with open("/proc/loadavg") as f:
        la = " ".join(f.read().split()[:3])
    n = 0
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/comm" % p) as f:
                    if f.read().startswith("qemu-system"):
                        n += 1
            except OSError:
                pass
    return la, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", required=True, help="our igb's QEMU")
    ap.add_argument("--upstream", help="upstream igb's QEMU")
    ap.add_argument("--other", help="QEMU for e1000e and virtio "
                    "(default: --upstream, else --ours)")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--models", default="ours,upstream,e1000e,virtio",
                    help="from: " + ", ".join(MODELS))
    ap.add_argument("--vcpus", default="2,1", help="e.g. 2,1")
    ap.add_argument("--runs", type=int, default=3, help="per cell")
    ap.add_argument("--time", type=int, default=10, help="seconds a run")
    ap.add_argument("--dirs", default="rx,tx",
                    help="rx (host->guest), tx (guest->host)")
    ap.add_argument("--no-vf", action="store_true", help="PF only")
    ap.add_argument("--ours-props", default="",
                    help="more properties of our igb, e.g. host_offload=off")
    ap.add_argument("--qemu-args", default="",
                    help="more QEMU arguments for every model (e.g. -trace)")
    ap.add_argument("--quick", action="store_true",
                    help="1 run per cell, 2 vCPUs only")
    ap.add_argument("--mem", default="1G")
    ap.add_argument("--logdir", default="/tmp")
    ap.add_argument("--results", help="append the report to this file")
    ap.add_argument("--label", default="", help="a line for the results")
    ap.add_argument("--details", action="store_true",
                    help="also print the per-run lines (always in --results)")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.vcpus = 1, "2"
    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            raise SystemExit("unknown model %s (have: %s)" %
                             (m, ", ".join(MODELS)))
    args.dirs = [d for d in args.dirs.split(",") if d]
    for d in args.dirs:
        if d not in DIRS:
            raise SystemExit("unknown direction " + d)
    vcpus_list = [int(v) for v in args.vcpus.split(",") if v]
    other = args.other or args.upstream or args.ours
    binaries = {"ours": args.ours, "upstream": args.upstream,
                "e1000e": other, "virtio": other}
    for m in models:
        if not binaries[m]:
            raise SystemExit("model %s needs --%s" % (m, m))
    if os.geteuid() != 0:
        raise SystemExit("needs root (network namespace, TAP)")
    os.makedirs(args.logdir, exist_ok=True)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    la0, nq0 = load()
    start = time.monotonic()
    ns = Namespace("igbbench-%d" % os.getpid(), args.logdir)
    runs, errors, infos = [], [], {}
    try:
        ns.create()
        for n in vcpus_list:
            for m in models:
                logf = os.path.join(args.logdir,
                                    "bench-guest-%s-%dcpu.log" % (m, n))
                say("%s, %d vCPU%s (log %s)" % (MODELS[m][4], n,
                                               "s" if n > 1 else "", logf))
                t0 = time.monotonic()
                with open(logf, "w") as log:
                    rs, info, errs = boot(ns, m, binaries[m], n, args,
                                          (args.kernel, args.initrd), log)
                for r in rs:
                    say("  %s %-11s #%d  %s" % (
                        r["fn"].upper(), DIRS[r["dir"]], r["run"],
                        r["error"] or "%.0f Mbit/s, retr %s, cpu %s%%" % (
                            r["mbps"], fmt(r["retr"]), fmt(r["gcpu"]))))
                for e in errs:
                    say("  error: " + e)
                say("  (%.0fs)" % (time.monotonic() - t0))
                runs += rs
                errors += ["%s %d vCPU: %s" % (MODELS[m][4], n, e)
                           for e in errs]
                for fn in ("pf", "vf"):
                    if fn in info:
                        infos[(m, n, fn)] = info[fn] + " tap:" + info["tap"]
    except KeyboardInterrupt:
        errors.append("interrupted")
    finally:
        ns.destroy()
    elapsed = time.monotonic() - start
    la1, _ = load()

    res = cells(runs)
    fns = ["pf"] + (["vf"] if any(r["fn"] == "vf" for r in runs) else [])
    now = datetime.datetime.now().astimezone()
    head = ["igb guest benchmark, %s" % now.strftime("%Y-%m-%d %H:%M %Z"),
            "machine: " + benchinfo.machine(
                benchinfo.tool_version("iperf3", "--version")),
            "load average %s at the start, %s at the end; %d other QEMU "
            "process(es) running at the start" % (la0, la1, nq0)]
    if args.label:
        head.append(args.label)
    if args.ours_props:
        head.append("our igb with " + args.ours_props)
    if args.qemu_args:
        head.append("QEMU arguments added: " + args.qemu_args)
    head += ["TCG, -M q35 -m %s, -netdev tap (vhost=off, vnet_hdr: QEMU's "
             "default) in a namespace of its own; iperf3 -t %d, %d run(s) "
             "per cell, median;" % (args.mem, args.time, args.runs),
             "  Mbit/s at the receiver; retr: the sender's TCP "
             "retransmissions per run; cpu%: the guest's busy time, share "
             "of all its vCPUs;",
             "  ratios of the Mbit/s; e1000e and virtio-net from %s; the "
             "run took %.0fs" % ("upstream's binary" if other ==
                                 args.upstream else other, elapsed)]
    text = "\n".join(head) + "\n\n" + table(res, models, vcpus_list, fns,
                                            args.dirs) + "\n"
    if "ours" in models:
        text += "\n" + targets(res, vcpus_list) + "\n"
    notes = run_notes(runs, errors)
    if notes:
        text += "\nnotes:\n" + "\n".join("  " + n for n in notes) + "\n"
    det = details(runs)
    devs = "interfaces:\n" + "\n".join(
        "  %s %d %s: %s" % (MODELS[m][4], n, fn.upper(), v)
        for (m, n, fn), v in sorted(infos.items()))
    print(text)
    if args.details:
        print(det + "\n\n" + devs + "\n")
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)),
                    exist_ok=True)
        with open(args.results, "a") as f:
            f.write(text + "\n" + det + "\n\n" + devs + "\n\n")
    return 1 if not runs else 0


if __name__ == "__main__":
    sys.exit(main())
