#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host end of a host-initiated transfer to the guest (the SR-IOV test's
ext checks): waits until a line containing --wait-for shows up in the
console log --wait-log, then connects to 127.0.0.1:--port (a -netdev user
hostfwd to a guest address, served there by initramfs/xfer-handler.sh):
  1. "PUT n\\n" + gen(n), half-close; the guest replies
     "<sha256> <len> OK|BAD".
  2. "GET n\\n"; the guest sends gen(n), checked here.
Appends to --log "PUT n <the guest's reply>" and "GET n len sha256 OK|BAD"
(or "ERR ..."), and stops by itself after --timeout seconds.
"""
import argparse, hashlib, importlib.util, os, socket, sys, time


def load_gen():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "xfer-server.py")
    spec = importlib.util.spec_from_file_location("xfer_server", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.gen


def recv_all(s):
    out = []
    while True:
        d = s.recv(65536)
        if not d:
            return b"".join(out)
        out.append(d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--wait-log", required=True)
    ap.add_argument("--wait-for", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    deadline = time.monotonic() + a.timeout
    marker = a.wait_for.encode()

    def note(line):
        with open(a.log, "a") as lf:
            lf.write(line + "\n")

    while True:   # the marker in the console log: the guest listens
        try:
            with open(a.wait_log, "rb") as f:
                if marker in f.read():
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            note("ERR no '%s' in %s" % (a.wait_for, a.wait_log))
            return 1
        time.sleep(0.2)

    n = a.bytes
    data = load_gen()(n)
    want = hashlib.sha256(data).hexdigest()
    rc = 0
    try:
        s = socket.create_connection(("127.0.0.1", a.port), timeout=120)
        s.sendall(b"PUT %d\n" % n + data)
        s.shutdown(socket.SHUT_WR)
        reply = recv_all(s).decode(errors="replace").strip()
        s.close()
        note("PUT %d %s" % (n, reply))
        rc |= reply != "%s %d OK" % (want, n)
    except Exception as e:
        note("ERR PUT %s" % e)
        rc = 1
    try:
        s = socket.create_connection(("127.0.0.1", a.port), timeout=120)
        s.sendall(b"GET %d\n" % n)
        got = recv_all(s)
        s.close()
        h = hashlib.sha256(got).hexdigest()
        ok = len(got) == n and h == want
        note("GET %d %d %s %s" % (n, len(got), h, "OK" if ok else "BAD"))
        rc |= not ok
    except Exception as e:
        note("ERR GET %s" % e)
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
