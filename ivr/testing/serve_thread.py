"""Run the controller on its own event loop in a background thread, so sync tests can drive calls."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from ..app import Engine, build
from ..config import Config
from ..live.call import CallRecord
from ..live.controller import Controller


class ServeThread:
    def __init__(self, config: Config, flow: Any = None, *, acd: bool = False):
        self.config = config
        self.flow = flow
        self.acd = acd  # also run the ACD (queue handoff, agent offers, feature codes, control API)
        self.acd_service = None
        self.channels = None  # the channels' hub (email, chat, SMS, workspace) when the ACD runs
        self.engine: Engine | None = None
        self.controller: Controller | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> "ServeThread":
        self._thread = threading.Thread(target=self._main, name="ivr-serve", daemon=True)
        self._thread.start()
        try:
            if not self._ready.wait(timeout):
                raise RuntimeError(f"the controller did not start: {self.error!r}")
            self.call(self.controller.connected.wait, timeout)
        except BaseException:
            self.stop()  # a controller left running would take the ARI app back from later tests
            raise
        return self

    def _main(self) -> None:
        self.loop = asyncio.new_event_loop()
        try:
            self.loop.run_until_complete(self._run())
        except BaseException as exc:  # noqa: BLE001 - reported to the test through .error
            self.error = exc
        finally:
            self.loop.close()

    async def _run(self) -> None:
        self.engine = build(self.config, flow=self.flow, acd=self.acd)
        self.controller, self.acd_service = self.engine.controller, self.engine.acd
        self.channels = self.engine.channels
        self._task = asyncio.current_task()
        self._ready.set()
        try:
            await self.controller.run()
        except asyncio.CancelledError:
            pass

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run a coroutine function on the controller's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(fn(), self.loop).result(timeout)

    def stop(self, timeout: float = 20.0) -> None:
        """Cancel the controller and wait for its thread to end. A cancellation lost before the
        controller began to stop (Python 3.11's wait_for can swallow one) is sent again; a
        controller that has not begun to stop by the deadline is an error, since it would
        reconnect and take the ARI app from later tests. (One still stopping may go on: its
        event stream is closed.)"""
        deadline = time.monotonic() + timeout
        while self._thread and self._thread.is_alive() and time.monotonic() < deadline:
            if self.loop and self._task and not self.loop.is_closed() and not (
                    self.controller and self.controller.stopping):
                try:
                    self.loop.call_soon_threadsafe(self._task.cancel)
                except RuntimeError:  # the loop closed meanwhile
                    pass
            self._thread.join(1)
        if self._thread and self._thread.is_alive() and not (self.controller and self.controller.stopping):
            raise RuntimeError(f"the controller did not stop within {timeout:.0f} s")

    def wait_for_record(self, matches: Callable[[CallRecord], bool], timeout: float = 30.0) -> CallRecord:
        """Poll, with a deadline, for a finished call that matches."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in list(self.controller.finished):
                if matches(record):
                    return record
            time.sleep(0.05)
        raise AssertionError(f"no finished call matched within {timeout} s; finished: {list(self.controller.finished)}")

    def __enter__(self) -> "ServeThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
