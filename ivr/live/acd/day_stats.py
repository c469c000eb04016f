"""Today's figures per queue for the wallboard, and running totals for /metrics, read from the store.

The store is the one record of how interactions ended (every path that ends one writes it
there, through the journal), so this follows it instead of hooking each of those paths: once a
second it reads, off the event loop, the interactions that ended since the last read and adds
them to per-queue `acd.stats.Tally`s with the same predicates `ivr report` uses. The first read
after a start takes everything that ended since midnight, so a restart loses nothing; at
midnight today's tallies start again (the totals do not).
"""
from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, time as day_start
from typing import TYPE_CHECKING

from acd.report import DEFAULT_WITHIN_S
from acd.stats import Tally

if TYPE_CHECKING:
    from .service import AcdService

FOLLOW_S = 1.0


def midnight(at: float) -> float:
    return datetime.combine(datetime.fromtimestamp(at).date(), day_start()).timestamp()


class DayStats:
    def __init__(self, service: AcdService):
        self.service = service
        self.today: dict[str, Tally] = defaultdict(Tally)
        self.totals: dict[str, Tally] = defaultdict(Tally)  # since the controller started (for counters)
        self.day = midnight(service.clock())
        self._cursor = self.day
        self._seen_at_cursor: set[str] = set()

    def within(self, queue: str) -> float:
        configured = self.service.router.queues.get(queue)
        return configured.sl_within_s if configured is not None else DEFAULT_WITHIN_S

    async def follow(self) -> None:
        """The supervised loop: read what ended since the last read, once a second."""
        while True:
            await self.read()
            await asyncio.sleep(FOLLOW_S)

    async def read(self) -> None:
        day = midnight(self.service.clock())
        if day != self.day:
            self.day, self.today = day, defaultdict(Tally)
            if self._cursor < day:
                self._cursor, self._seen_at_cursor = day, set()
        records = await asyncio.to_thread(self.service.store.ended, self._cursor)
        for record in records:
            if record.ended_at == self._cursor and record.id in self._seen_at_cursor:
                continue  # read last time already (same end time)
            within = self.within(record.queue)
            if record.ended_at >= self.day:
                self.today[record.queue].add(record, within)
            self.totals[record.queue].add(record, within)
            if record.ended_at > self._cursor:
                self._cursor, self._seen_at_cursor = record.ended_at, set()
            self._seen_at_cursor.add(record.id)
