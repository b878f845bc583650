#!/usr/bin/env python3
"""Runs a command and reports the peak RSS of the process itself and of its largest child
process (the extraction workers), which `/usr/bin/time -v` cannot tell apart: it reports the
larger of the two. Polls /proc every 50 ms; prints JSON on stderr.

usage: scripts/peak-rss.py COMMAND [ARGS...]
"""
import json
import os
import subprocess
import sys
import time


def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


start = time.time()
p = subprocess.Popen(sys.argv[1:])
own = child = 0
while p.poll() is None:
    own = max(own, hwm(p.pid))
    for c in children(p.pid):
        child = max(child, hwm(c))
    time.sleep(0.05)
mib = lambda b: round(b / (1 << 20), 1)
print(
    json.dumps(
        {
            "exit": p.returncode,
            "seconds": round(time.time() - start, 1),
            "peak_rss_mib": mib(own),
            "largest_child_peak_rss_mib": mib(child),
        }
    ),
    file=sys.stderr,
)
sys.exit(p.returncode)
