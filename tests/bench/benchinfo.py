# SPDX-License-Identifier: GPL-2.0-or-later
"""What the benchmarks' results files say about the machine they ran on."""

import os
import platform
import subprocess


def tool_version(*argv):
    """The first line a tool prints for its version, or "no <tool>"."""
    try:
        out = subprocess.run(list(argv), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode()
    except OSError:
        return "no " + argv[0]
    return out.split("\n")[0].strip()


def machine(tool):
    """Host, CPUs, kernel, @tool's version line (e.g. valgrind), Python."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d CPUs (%s), %s %s; %s, Python %s" % (
        platform.node(), os.cpu_count(), cpu, platform.system(),
        platform.release(), tool, platform.python_version())
