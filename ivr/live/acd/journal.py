"""The ACD's store writes, in order, off the event loop.

The router in memory is what routes calls; the store follows it, one transaction per event,
applied by one writer thread in the order the events happened. Each write is a closure over
values copied when the event happened (never over live objects), so it means the same thing
whenever it lands.

Writes that queued up while the thread was busy land together, in order, in one transaction
(at most BATCH_MAX): under load that is one commit for many events instead of one each. Should
the store refuse such a batch for its content, its writes are applied again one by one, so only
the bad one is skipped.

A store outage (PostgreSQL restarting, a locked SQLite file) does not stop calls: writes wait
here, in order, and the thread retries the oldest until the store is back. A write the store
refuses for its content (a bug: inputs are bounded before they reach the router) is logged
with its traceback, counted, and skipped, so one bad row never holds back the rest.
"""
from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from acd.store import Store, StoreWriter
from ivr import log
from ivr.health import count, failed

Write = Callable[[StoreWriter], None]
RETRY_S = (0.2, 0.5, 1.0, 2.0)
BATCH_MAX = 200  # writes in one transaction at most


def transient(exc: BaseException) -> bool:
    """Worth retrying: the store is unreachable or busy, not the write wrong."""
    return isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or \
        getattr(exc, "connection_invalidated", False)


class StoreJournal:
    def __init__(self, store: Store, *, name: str = "acd.store"):
        self.store = store
        self.name = name
        self._queue: queue.Queue[tuple[str, Write] | None] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name=f"{name}-writer", daemon=True)
        self._thread.start()
        self.outage_since: float | None = None

    def submit(self, what: str, write: Write) -> None:
        with self._lock:
            self._pending += 1
        self._queue.put((what, write))

    @property
    def pending(self) -> int:
        return self._pending

    def _run(self) -> None:
        closing = False
        while not closing and (item := self._queue.get()) is not None:
            batch = [item]
            while len(batch) < BATCH_MAX:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                    break
                batch.append(item)
            if len(batch) == 1:
                self._apply(*batch[0])
            elif not self._apply(f"{len(batch)} writes", _together(batch), refusal_logged=False):
                for what, write in batch:  # refused: one by one, so that only the bad write is skipped
                    self._apply(what, write)
            with self._lock:
                self._pending -= len(batch)
                if self._pending == 0:
                    self._idle.notify_all()

    def _apply(self, what: str, write: Write, *, refusal_logged: bool = True) -> bool:
        """Apply `write`, retrying while the store is unavailable. False when the store refused it."""
        attempt = 0
        while True:
            try:
                with self.store.write() as writer:
                    write(writer)
                if self.outage_since is not None:
                    log.event(f"{self.name}.back", after_s=round(time.time() - self.outage_since, 1),
                              waiting_writes=self._pending - 1)
                    self.outage_since = None
                return True
            except Exception as exc:  # noqa: BLE001 - the writer thread must outlive any write
                if not transient(exc):
                    if refusal_logged:
                        failed(f"{self.name}.write_refused", exc, write=what)
                    return False
                if self.outage_since is None:
                    self.outage_since = time.time()
                    log.error(f"{self.name}.unavailable", reason=str(exc).splitlines()[0][:200],
                              write=what, note="calls go on; writes wait in order")
                count(f"{self.name}.retries")
                time.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until every submitted write has landed (or been refused); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0 or not self._idle.wait(left):
                    return self._pending == 0
        return True

    async def drain(self, timeout_s: float = 10.0) -> bool:
        return await asyncio.to_thread(self.wait_idle, timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        if not self.wait_idle(timeout_s):
            log.error(f"{self.name}.writes_lost", count=self._pending, reason="the store stayed unavailable")
        self._queue.put(None)
        self._thread.join(timeout_s)


def _together(batch: list[tuple[str, Write]]) -> Write:
    def write(writer: StoreWriter) -> None:
        for _, one in batch:
            one(writer)
    return write
