#!/usr/bin/env python3
"""Writes a large mbox that takes almost no disk: N messages whose bodies are holes of SIZE
bytes (read back as NUL bytes), for measuring memory on huge inputs (docs/benchmarks.md).

usage: scripts/sparse-mbox.py OUT [N=50] [SIZE=1073741824]
"""
import os
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 30
with open(out, "wb") as f:
    for i in range(n):
        f.write(
            (
                f"From oficios@sedena.gob.mx Mon Jan  3 10:00:{i % 60:02d} 2022\n"
                "From: Oficialia <oficios@sedena.gob.mx>\nTo: archivo@sedena.gob.mx\n"
                f"Subject: Respaldo {i}\nDate: Mon, 03 Jan 2022 10:00:{i % 60:02d} -0600\n"
                f"Message-ID: <respaldo-{i}@sedena.gob.mx>\n"
                "Content-Type: application/octet-stream\n\n"
            ).encode()
        )
        f.seek(size, os.SEEK_CUR)
        f.write(b"\n\n")
print(f"{out}: {os.path.getsize(out):,} bytes")
