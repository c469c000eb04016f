"""Tasks with an owner: nothing the engine starts runs fire-and-forget.

A call, the ACD and the flow service each own a `TaskOwner`. `spawn` starts a task the owner
keeps until it ends (its failure is logged with the traceback and counted); `supervise` runs a
background loop and restarts it, after a pause, whenever it fails; `close` cancels and awaits
everything, so a stop leaves nothing running.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from .. import log
from ..health import failed

RESTART_PAUSE_S = (0.1, 0.5, 2.0, 5.0)  # after 1, 2, 3, 4+ failures in a row


class TaskOwner:
    def __init__(self, name: str):
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        if self._closing:
            coro.close()
            raise RuntimeError(f"{self.name} is stopping: cannot start {name}")
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failed(f"{self.name}.task_failed", task.exception(), task=task.get_name())

    def supervise(self, name: str, loop: Callable[[], Awaitable[None]]) -> asyncio.Task[Any]:
        """Run `loop()` until the owner closes; if it raises, log it and start it again."""
        async def keep_running() -> None:
            failures = 0
            while True:
                try:
                    await loop()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a background loop must outlive its bugs
                    failures += 1
                    pause = RESTART_PAUSE_S[min(failures, len(RESTART_PAUSE_S)) - 1]
                    failed(f"{self.name}.loop_failed", exc, loop=name, restart_in_s=pause)
                    await asyncio.sleep(pause)
                    log.event(f"{self.name}.loop_restarted", loop=name)
        return self.spawn(keep_running(), name)

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self, timeout_s: float = 5.0) -> None:
        self._closing = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                log.warning(f"{self.name}.task_stuck", task=task.get_name())
