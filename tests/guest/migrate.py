#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Migrate a running QEMU when its guest asks for it (test-migrate.sh).

Waits for a line in the source's console log, then over the source's QMP
socket: migration parameters (no bandwidth cap to speak of), migrate to
URI, poll query-migrate until it ends, print one line
"MIGRATE <status> total-time=.. downtime=.. ram-transferred=..", and
quit the source.  Exits 0 only if the status is "completed".
"""
import argparse
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.recv()                                 # the greeting
        self.cmd('qmp_capabilities')

    def recv(self):
        while b'\n' not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError('QMP connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {'execute': name}
        if args:
            msg['arguments'] = args
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            r = self.recv()
            if 'event' in r:
                continue
            if 'error' in r:
                raise RuntimeError('%s: %s' % (name, r['error']))
            return r.get('return')


def wait_line(log, text, deadline):
    while time.time() < deadline:
        try:
            with open(log, errors='replace') as f:
                if text in f.read():
                    return True
        except FileNotFoundError:
            pass
        time.sleep(0.2)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True)
    ap.add_argument('--wait-for', required=True)
    ap.add_argument('--qmp', required=True)
    ap.add_argument('--uri', required=True)
    ap.add_argument('--timeout', type=float, default=900)
    a = ap.parse_args()

    deadline = time.time() + a.timeout
    if not wait_line(a.log, a.wait_for, deadline):
        print('MIGRATE not-started: no "%s" in %s' % (a.wait_for, a.log))
        return 1
    q = Qmp(a.qmp, 30)
    q.cmd('migrate-set-parameters', **{'max-bandwidth': 8 << 30,
                                       'downtime-limit': 1000})
    t0 = time.time()
    q.cmd('migrate', uri=a.uri)
    while True:
        info = q.cmd('query-migrate')
        status = info.get('status', '?')
        if status in ('completed', 'failed', 'cancelled'):
            break
        if time.time() > deadline:
            status = 'timeout'
            break
        time.sleep(0.2)
    ram = info.get('ram', {})
    print('MIGRATE %s total-time=%sms downtime=%sms ram-transferred=%s '
          'dirty-sync-count=%s wall=%.1fs%s' %
          (status, info.get('total-time', '?'), info.get('downtime', '?'),
           ram.get('transferred', '?'), ram.get('dirty-sync-count', '?'),
           time.time() - t0,
           ' error=%s' % info['error-desc'] if 'error-desc' in info else ''))
    sys.stdout.flush()
    try:
        q.cmd('quit')
    except (EOFError, OSError):
        pass
    return 0 if status == 'completed' else 1


if __name__ == '__main__':
    sys.exit(main())
