#!/usr/bin/env python3
"""`ivr serve` under tracemalloc, for bench/soak.py --tracemalloc (a debugging aid, not a figure).

SIGUSR2 takes a snapshot: the first is the baseline, each later one writes the top 25 growths
since the baseline (grouped by line, with the allocating stack) to $IVR_DEBUG_TRACEMALLOC/top.txt.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(os.environ.get("IVR_DEBUG_TRACEMALLOC", "tracemalloc"))
baseline: list[tracemalloc.Snapshot] = []


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
    tracemalloc.start(12)
    signal.signal(signal.SIGUSR2, snapshot)
    sys.argv = ["ivr", "serve"]
    from ivr.cli import main
    main()
