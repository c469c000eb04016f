"""How late the controller's event loop runs: a small loop sleeps `interval_s` and measures how
much later than asked it wakes up. A busy loop (a blocking call, too many events) shows here
before callers hear it as late prompts and keys."""
from __future__ import annotations

import asyncio
import time
from collections import deque

from ivr.health import timings

INTERVAL_S = 0.05
WINDOW = 1200  # samples kept for the maximum: one minute at INTERVAL_S


class LoopLag:
    def __init__(self, interval_s: float = INTERVAL_S):
        self.interval_s = interval_s
        self.last_s = 0.0
        self._recent: deque[float] = deque(maxlen=WINDOW)

    @property
    def max_s(self) -> float:
        """The largest lag over the last minute."""
        return max(self._recent, default=0.0)

    async def measure(self) -> None:
        """The supervised loop (runs until cancelled)."""
        while True:
            asked = time.monotonic()
            await asyncio.sleep(self.interval_s)
            self.last_s = max(0.0, time.monotonic() - asked - self.interval_s)
            self._recent.append(self.last_s)
            timings["loop.lag_ms"].add(self.last_s * 1000)
