"""Failure accounting and timing for the live engine: every failure we contain is logged once,
with its traceback, and counted, so a contained failure is never a silent one; the event loop's
lag and the time each ARI event takes are kept as histograms.

    failed("call.failed", exc, call=call_id)    # one log line, counters["call.failed"] += 1
    timings["ari.event_ms"].add(0.4)            # milliseconds

`counters` and `timings` are what the metrics endpoint and the benchmarks read; `failures` counts
only the contained failures (`failed`), not the other events (`count`: ARI disconnects, store
retries). `LoopWatch` measures the lag and logs one `loop.stats` line per interval.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
from collections import Counter, defaultdict

from . import log

counters: Counter[str] = Counter()
failures: Counter[str] = Counter()
# Upper bounds of the histogram buckets, in ms: 0.05 ms to ~52 s, each twice the one before.
BOUNDS_MS = tuple(0.05 * 2 ** i for i in range(21))


class Histogram:
    """Counts per bucket (log scale) plus the largest value; percentiles are a bucket's upper bound."""

    def __init__(self) -> None:
        self.buckets = [0] * (len(BOUNDS_MS) + 1)
        self.count = 0
        self.max = 0.0

    def add(self, value_ms: float) -> None:
        self.buckets[bisect.bisect_left(BOUNDS_MS, value_ms)] += 1
        self.count += 1
        if value_ms > self.max:
            self.max = value_ms

    def percentile(self, q: float) -> float:
        if not self.count:
            return 0.0
        rank, seen = q * self.count, 0
        for i, n in enumerate(self.buckets):
            seen += n
            if seen >= rank:
                return min(BOUNDS_MS[i], self.max) if i < len(BOUNDS_MS) else self.max
        return self.max

    def summary(self) -> dict[str, float]:
        return {"n": self.count, "p50_ms": round(self.percentile(0.5), 3), "p99_ms": round(self.percentile(0.99), 3),
                "max_ms": round(self.max, 3)}


timings: defaultdict[str, Histogram] = defaultdict(Histogram)


def failed(event: str, exc: BaseException, **fields: object) -> None:
    """Log `event` at error level with the exception's traceback (in one line), and count it."""
    counters[event] += 1
    failures[event] += 1
    log.event(event, logging.ERROR, exc=exc, **fields)


def count(event: str) -> None:
    counters[event] += 1


class LoopWatch:
    """Runs the event-loop lag probe (`ivr.live.loop_lag.LoopLag`, also read by the metrics) and
    every `report_s` logs `loop.stats` with the lag and ARI event timings of that interval."""

    def __init__(self, lag, report_s: float = 10.0):
        from .live.tasks import TaskOwner
        self.lag, self.report_s = lag, report_s
        self.tasks = TaskOwner("loop")

    async def start(self) -> None:
        self.tasks.supervise("loop-lag", self.lag.measure)
        self.tasks.supervise("loop-stats", self._report)

    async def stop(self) -> None:
        await self.tasks.close()

    async def _report(self) -> None:
        while True:
            await asyncio.sleep(self.report_s)
            lag = timings.pop("loop.lag_ms", Histogram())
            events = timings.pop("ari.event_ms", Histogram())
            fields = {f"lag_{k}": v for k, v in lag.summary().items()}
            fields.update({f"event_{k}": v for k, v in events.summary().items()})
            log.event("loop.stats", **fields)
