"""glibc's malloc, set up for a controller that runs for weeks.

asyncio reads every socket with `recv(256 KiB)` and shrinks the result to what arrived. glibc
serves a block of 128 KiB or more with its own mmap, until the first such block is freed: it
then raises its mmap threshold to that block's size, and from there on each 256 KiB read is
carved out of the heap. A read that is still referenced when the next ones come pins the heap
around it, and the heap's free space grows with every minute of traffic while the memory in use
stays flat (bench/soak.py --memory-log at 200 calls: the heap's free space went from 0.7 to
11 MB in 10 minutes, faster as it went; with the threshold fixed, from 0.3 to 0.5 MB). Fixing the threshold at glibc's default, as `MALLOC_MMAP_THRESHOLD_=131072`
in the environment would, keeps those reads out of the heap: each lives in its own pages and is
unmapped when dropped.
"""
from __future__ import annotations

import ctypes
import os

M_MMAP_THRESHOLD = -3  # mallopt parameter, <malloc.h>
MMAP_THRESHOLD = 128 * 1024  # glibc's default threshold, kept from moving
ENV = "MALLOC_MMAP_THRESHOLD_"  # the user's own choice, which wins


def fix_mmap_threshold() -> bool:
    """Keep glibc's mmap threshold at 128 KiB for the life of the process. False when the user set
    it in the environment, or the C library is not glibc (no `mallopt`)."""
    if ENV in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
