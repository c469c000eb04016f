"""A channel's own HTTP listener (the chat page, the SMS webhook): started and stopped with the engine.

A port that cannot be bound is one error line and the engine serves on without that channel:
calls must not stop because a chat port is taken.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from aiohttp import web

from ivr.live import http_guard


class Listener(ABC):
    name = "channel"

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    @abstractmethod
    def app(self) -> web.Application:
        """The channel's routes."""

    async def start(self) -> None:
        self._runner = await http_guard.listen(self.app(), self.host, self.port, self.name,
                                               f"channels.{self.name}.port")

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
