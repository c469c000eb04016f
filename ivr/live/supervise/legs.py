"""How a supervisor's answered phone joins a bridged call, in each mode (ARI snoop channels and bridges).

    listen   a snoop on the agent's channel, spy=both, whisper=none, in a mixing bridge `sup-<id>`
             with the supervisor: they hear the agent and, as the agent hears it, the caller; what
             they say reaches nobody.
    whisper  the same with whisper=out: what the supervisor says is mixed into what the agent's
             channel sends to the agent's phone, so the agent hears it and the caller does not.
    barge    the supervisor's channel joins the caller-agent bridge itself: everyone hears everyone.

A snoop's directions are fixed when Asterisk creates it, so a mode switch takes the supervisor out
of the current arrangement and builds the next one; the call's own bridge is never touched beyond
adding or removing the supervisor's channel.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ivr.errors import AriError
from ivr import log
from ivr.pbx.ari import Ari

SNOOP_PREFIX = "sup-snoop-"
SNOOP_START_S = 5.0  # the longest a new snoop channel takes to enter our app (it cannot be bridged before)
BRIDGE_PREFIX = "sup-bridge-"


class Mode(str, Enum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


WHISPER_DIRECTION = {Mode.LISTEN: "none", Mode.WHISPER: "out"}


@dataclass
class Legs:
    """The ARI objects of one joined supervisor; `attach` and `detach` build and undo one mode."""

    ari: Ari
    app: str
    session_id: str
    supervisor_channel: str
    agent_channel: str
    call_bridge: str
    entered: Callable[[str], asyncio.Future[None]]  # resolves once that channel has entered our app
    snoop: str | None = None
    bridge: str | None = None
    barging: bool = False

    async def attach(self, mode: Mode) -> None:
        if mode is Mode.BARGE:
            await self.ari.post(f"/bridges/{self.call_bridge}/addChannel",
                                params={"channel": self.supervisor_channel})
            self.barging = True
            return
        self.snoop = f"{SNOOP_PREFIX}{uuid.uuid4().hex[:12]}"
        entered = self.entered(self.snoop)
        await self.ari.post(f"/channels/{self.agent_channel}/snoop", params={
            "spy": "both", "whisper": WHISPER_DIRECTION[mode], "app": self.app, "appArgs": "supervise-snoop",
            "snoopId": self.snoop})
        await asyncio.wait_for(entered, SNOOP_START_S)
        if self.bridge is None:
            self.bridge = f"{BRIDGE_PREFIX}{self.session_id}"
            await self.ari.post(f"/bridges/{self.bridge}", params={"type": "mixing", "name": self.bridge})
        await self.ari.post(f"/bridges/{self.bridge}/addChannel",
                            params={"channel": f"{self.supervisor_channel},{self.snoop}"})

    async def detach(self, *, final: bool = False) -> None:
        """Undo the current mode (and, when `final`, the supervisor's own bridge). Best effort:
        the supervisor or the call may already be gone."""
        if self.barging:
            self.barging = False
            if not final:  # at the end the call's bridge is gone, or the supervisor's channel is
                await self._quietly("leave the call", self.ari.post(
                    f"/bridges/{self.call_bridge}/removeChannel", params={"channel": self.supervisor_channel}))
        elif self.bridge and not final:
            await self._quietly("leave the bridge", self.ari.post(
                f"/bridges/{self.bridge}/removeChannel", params={"channel": self.supervisor_channel}))
        if self.snoop:
            snoop, self.snoop = self.snoop, None
            await self._quietly("hang up the snoop", self.ari.delete(f"/channels/{snoop}", missing_ok=True))
        if self.bridge and final:
            bridge, self.bridge = self.bridge, None
            await self._quietly("destroy the bridge", self.ari.delete(f"/bridges/{bridge}", missing_ok=True))

    async def _quietly(self, what: str, command) -> None:
        try:
            await command
        except AriError as exc:
            log.warning("sup.cleanup_failed", session=self.session_id, what=what, reason=str(exc))
