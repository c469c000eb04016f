"""The event-loop lag probe behind ivr_event_loop_lag_seconds."""
from __future__ import annotations

import asyncio
import time

from ivr.live.loop_lag import LoopLag


async def test_given_a_blocking_call_on_the_loop_when_lag_is_measured_then_it_shows_the_block():
    lag = LoopLag(interval_s=0.05)
    probe = asyncio.create_task(lag.measure())
    try:
        await asyncio.sleep(0.12)
        assert lag.max_s < 0.1  # an idle loop wakes up on time
        time.sleep(0.3)  # a blocking call: what the probe exists to catch
        await asyncio.sleep(0.12)
        assert 0.2 <= lag.max_s < 1.0
        assert lag.last_s < 0.1  # and it recovers once the block is gone
    finally:
        probe.cancel()
        await asyncio.gather(probe, return_exceptions=True)
