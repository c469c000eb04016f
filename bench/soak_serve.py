#!/usr/bin/env python3
"""`ivr serve` with memory accounting, for bench/soak.py --memory-log / --tracemalloc (a debugging
aid, not a figure).

Every 30 s (SIGALRM) one line goes to $IVR_DEBUG_MEMORY/memory.log: RSS, glibc's heap figures
(mallinfo2: bytes in use, free but kept, mmapped), the number of malloc arenas and what they hold
(malloc_info), threads, and, under tracemalloc (IVR_DEBUG_TRACEMALLOC=1), the Python heap it
traces, pymalloc's arenas, and every container of 2,000 items or more with its owner (a per-call
leak shows there). Telling these apart says where memory goes: Python objects, C
allocations, or freed memory glibc keeps in its arenas. IVR_DEBUG_TRIM=1 (an experiment) calls
malloc_trim(0) after each sample and logs the RSS after it.

With tracemalloc, SIGUSR2 takes a snapshot: the first is the baseline, each later one writes the
top 25 growths since the baseline (grouped by line, with the allocating stack) to top.txt.
"""
from __future__ import annotations

import collections
import ctypes
import gc
import os
import re
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(os.environ.get("IVR_DEBUG_MEMORY", "memory-debug"))
TRACE = os.environ.get("IVR_DEBUG_TRACEMALLOC") == "1"
TRIM = os.environ.get("IVR_DEBUG_TRIM") == "1"  # an experiment: malloc_trim(0) after each sample
SAMPLE_S = 30
baseline: list[tracemalloc.Snapshot] = []
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


libc.mallinfo2.restype = MallInfo2
started = time.monotonic()


def arenas() -> list[tuple[int, int]]:
    """(bytes held from the system, bytes free in it) of each malloc arena, from malloc_info's XML."""
    with tempfile.NamedTemporaryFile("r", suffix=".xml") as tmp:
        handle = libc.fopen(tmp.name.encode(), b"w")
        libc.malloc_info(0, handle)
        libc.fclose(handle)
        xml = Path(tmp.name).read_text()
    heaps = re.findall(r'<heap nr="\d+">.*?<total type="fast" count="\d+" size="(\d+)"/>\s*'
                       r'<total type="rest" count="\d+" size="(\d+)"/>\s*<system type="current" size="(\d+)"/>',
                       xml, re.S)
    return [(int(held), int(fast) + int(rest)) for fast, rest, held in heaps]


def pymalloc() -> tuple[int, int]:
    """(bytes in pymalloc's arenas, bytes of Python objects in them), from sys._debugmallocstats,
    which prints to the C stderr: borrowed for the moment it takes."""
    with tempfile.TemporaryFile("w+") as tmp:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(tmp.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        text = tmp.read()
    arenas_bytes = re.search(r"arenas \* \d+ bytes/arena\s+=\s+([\d,]+)", text)
    used = re.search(r"# bytes in allocated blocks\s+=\s+([\d,]+)", text)
    return tuple(int(m.group(1).replace(",", "")) if m else -1 for m in (arenas_bytes, used))


def big_containers(least: int = 2000) -> str:
    """Containers holding `least` items or more, as type:len@owner (what a per-call leak grows).
    Dicts of plain values are not tracked by the gc: they are found through what refers to them."""
    kinds = (dict, list, set, collections.deque)
    found: dict[int, str] = {}
    for owner in gc.get_objects():
        for obj in (owner, *gc.get_referents(owner)):
            if isinstance(obj, kinds) and len(obj) >= least and id(obj) not in found:
                where = type(owner).__name__
                if obj is not owner and hasattr(owner, "__dict__") and not isinstance(owner, type):
                    where += "." + next((k for k, v in vars(owner).items() if v is obj), "?")
                elif isinstance(owner, dict) and obj is not owner:
                    where += "[" + str(next((k for k, v in owner.items() if v is obj), "?"))[:40] + "]"
                found[id(obj)] = f"{type(obj).__name__}:{len(obj)}@{where}"
    return ",".join(sorted(found.values())) or "none"


def status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def sample(_signum=None, _frame=None) -> None:
    info = libc.mallinfo2()
    heaps = arenas()
    mb = 1024 * 1024
    fields = [f"t={time.monotonic() - started:.0f}s", f"rss={status('VmRSS') / 1024:.1f}MB",
              f"anon={status('RssAnon') / 1024:.1f}MB", f"threads={threading.active_count()}/{status('Threads')}",
              f"arenas={len(heaps)}", f"arena_held={sum(h for h, _ in heaps) / mb:.1f}MB",
              "held/free=" + ",".join(f"{h / mb:.1f}/{f / mb:.1f}" for h, f in heaps),
              f"malloc_in_use={info.uordblks / mb:.1f}MB",
              f"malloc_free_kept={info.fordblks / mb:.1f}MB", f"mmapped={info.hblkhd / mb:.1f}MB"]
    py_arenas, py_used = pymalloc()
    fields += [f"pymalloc_arenas={py_arenas / mb:.1f}MB", f"pymalloc_used={py_used / mb:.1f}MB"]
    fields.append(f"big={big_containers()}")
    if TRACE:
        current, _ = tracemalloc.get_traced_memory()
        fields += [f"py_traced={current / mb:.1f}MB",
                   f"tracemalloc_own={tracemalloc.get_tracemalloc_memory() / mb:.1f}MB"]
    if TRIM:
        libc.malloc_trim(0)
        fields.append(f"rss_after_trim={status('VmRSS') / 1024:.1f}MB")
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "memory.log").open("a") as log:
        log.write(" ".join(fields) + "\n")


def snapshot(_signum, _frame) -> None:
    gc.collect()
    taken = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    if not baseline:
        baseline.append(taken)
        return
    lines = [f"tracemalloc: top growth since the warm-up ({len(taken.traces)} traces)"]
    for stat in taken.compare_to(baseline[0], "traceback")[:25]:
        lines.append(f"{stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks")
        lines.extend("    " + line for line in stat.traceback.format(limit=6))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "top.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if TRACE:
        tracemalloc.start(12)
        signal.signal(signal.SIGUSR2, snapshot)
    signal.signal(signal.SIGALRM, sample)
    signal.setitimer(signal.ITIMER_REAL, SAMPLE_S, SAMPLE_S)
    sys.argv = ["ivr", "serve"]
    from ivr.cli import main
    main()
