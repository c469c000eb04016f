"""IVR flows. A flow is anything with `async run(call)`; the controller picks one per call.

YAML flows (docs/flows.md) are loaded and validated by `loader.load_flows` and run on a
`CallPort` by `runner.FlowRunner`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from ..call import Call


class Flow(Protocol):
    name: str
    # Stasis handlers the flow brings (`Stasis(ivr,<name>,...)` runs handlers[name](call, args)).
    handlers: dict[str, Callable[[Call, list[str]], Awaitable[None]]]

    async def start(self) -> None:
        """Acquire what calls share (HTTP sessions, file watchers) on the controller's loop."""

    async def stop(self) -> None:
        """Release what `start` acquired."""

    async def run(self, call: Call) -> None:
        """Drive one call until it is handed off or hung up."""
