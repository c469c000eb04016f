"""glibc's mmap threshold, fixed at serve start (ivr/heap.py): each case runs in a fresh interpreter,
since the setting is process-wide and the unfixed case needs glibc as it starts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Socket reads the way asyncio does them (recv 256 KiB), one in seven kept a while, as events a
# call holds on to; prints the growth of glibc's heap (mallinfo2 `arena`) in bytes, and what
# fix_mmap_threshold() returned.
READS = """
import collections, ctypes, json, random, socket, sys
from ivr import heap
fixed = heap.fix_mmap_threshold() if sys.argv[1] == "fix" else None
class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
big = bytearray(300_000); del big  # one big block freed, as any program frees one early on
a, b = socket.socketpair()
kept = collections.deque(maxlen=1000)
before = libc.mallinfo2().arena
random.seed(1)
for i in range(20_000):
    a.send(b"x" * random.randint(200, 3000))
    data = b.recv(256 * 1024)
    if i % 7 == 0:
        kept.append(data)
print(json.dumps({"growth": libc.mallinfo2().arena - before, "fixed": fixed}))
"""


def run_reads(mode: str, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", READS, mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_given_kept_socket_reads_when_the_threshold_is_fixed_then_the_heap_does_not_grow():
    unfixed = run_reads("as-is")
    fixed = run_reads("fix")
    assert fixed["fixed"] is True
    assert unfixed["growth"] > 8_000_000, f"glibc no longer fragments this way: {unfixed}"
    assert fixed["growth"] < 1_000_000, fixed


def test_given_the_user_set_the_threshold_when_serve_starts_then_their_value_stands():
    result = run_reads("fix", env={"MALLOC_MMAP_THRESHOLD_": "65536"})
    assert result["fixed"] is False
