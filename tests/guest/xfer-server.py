#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host end of the guest TCP transfer test (reached from the guest at
10.0.2.2:PORT through -netdev user).  Listens on 127.0.0.1 only (--bind:
another address, e.g. 0.0.0.0 inside a test's own network namespace), serves a
bounded number of connections and stops by itself after --timeout seconds.

A client sends one header line:
  GET <n>\\n         -> server sends gen(n) and closes
  PUT <n>\\n<data>   -> server reads to EOF, replies "<sha256> <len> OK|BAD\\n"
gen(n) is the first n bytes of "1\\n2\\n3\\n..." (busybox `seq 1 N | head -c n`).
Every result is appended to --log as "GET|PUT n len sha256 OK|BAD".
"""
import argparse, hashlib, socket, sys, time


def gen(n):
    out, i, size = [], 1, 0
    while size < n:
        chunk = "".join("%d\n" % k for k in range(i, i + 10000)).encode()
        i += 10000
        out.append(chunk)
        size += len(chunk)
    return b"".join(out)[:n]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--max-conn", type=int, default=32)
    ap.add_argument("--bind", default="127.0.0.1")
    a = ap.parse_args()
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, 0))
    srv.listen(4)
    with open(a.port_file, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    deadline = time.monotonic() + a.timeout
    cache = {}
    for _ in range(a.max_conn):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        srv.settimeout(left)
        try:
            c, _ = srv.accept()
        except socket.timeout:
            break
        c.settimeout(120)
        res, f = "ERR", None
        try:
            f = c.makefile("rb")
            hdr = f.readline(64).decode(errors="replace").split()
            op, n = hdr[0], int(hdr[1])
            if n not in cache:
                cache[n] = gen(n)
            want = cache[n]
            if op == "GET":
                c.sendall(want)
                res = "GET %d %d %s OK" % (n, len(want),
                                          hashlib.sha256(want).hexdigest())
            elif op == "PUT":
                h, got = hashlib.sha256(), 0
                while True:
                    d = f.read1(65536)
                    if not d:
                        break
                    h.update(d)
                    got += len(d)
                ok = got == n and h.digest() == hashlib.sha256(want).digest()
                res = "PUT %d %d %s %s" % (n, got, h.hexdigest(),
                                           "OK" if ok else "BAD")
                c.sendall(("%s %d %s\n" % (h.hexdigest(), got,
                                           "OK" if ok else "BAD")).encode())
        except Exception as e:  # report, keep serving
            res = "ERR %s" % e
        finally:
            if f:
                f.close()
            c.close()
        with open(a.log, "a") as lf:
            lf.write(res + "\n")
    srv.close()


if __name__ == "__main__":
    sys.exit(main())
