"""A scriptable Asterisk for unit tests of the live engine: the `Ari` protocol without a PBX.

    ari = FakeAri()
    engine = build(config, ari=ari)                   # the same composition root as `ivr serve`
    ari.call("c1", exten="199")                       # a caller enters the app (StasisStart)
    ari.dtmf("c1", "1")
    ari.fail("POST", r"/channels$", AriTimeout("no answer"))   # script a command's failure
    ari.lose_playback_finished = True                 # Asterisk plays, but the event never comes

Every command is recorded in `requests` as (method, path, params). Channels and playbacks
live in small dicts, so GETs answer like Asterisk would (404 once they are gone).
"""
from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import AriRequestError
from ..pbx.ari import AriVerbs, Event, EventSink


@dataclass
class Rule:
    method: str
    pattern: re.Pattern[str]
    answer: Callable[[str, dict[str, Any]], Any]
    times: int | None  # None: every time


class FakeAri(AriVerbs):
    def __init__(self, app: str = "ivr"):
        self.app = app
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.channels: dict[str, dict[str, Any]] = {}  # in our app
        self.playbacks: dict[str, dict[str, Any]] = {}
        self.bridges: dict[str, list[str]] = {}
        self.rules: list[Rule] = []
        self.lose_playback_finished = False
        self.playback_s = 0.0
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._ids = itertools.count(1)

    async def __aenter__(self) -> "FakeAri":
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    # -- scripting ----------------------------------------------------------------------------

    def on(self, method: str, pattern: str, answer: Callable[[str, dict[str, Any]], Any], *,
           times: int | None = None) -> None:
        """Answer matching commands with `answer(path, params)` (it may raise, or be a coroutine)."""
        self.rules.insert(0, Rule(method, re.compile(pattern), answer, times))

    def fail(self, method: str, pattern: str, error: BaseException, *, times: int | None = None) -> None:
        def raise_it(_path: str, _params: dict[str, Any]) -> Any:
            raise error
        self.on(method, pattern, raise_it, times=times)

    def emit(self, event: Event) -> None:
        self._events.put_nowait(event)

    def call(self, channel_id: str, *, exten: str = "199", caller: str = "5551000", args: list[str] | None = None,
             name: str | None = None) -> dict[str, Any]:
        channel = {"id": channel_id, "name": name or f"PJSIP/caller-{channel_id}", "state": "Ring",
                   "caller": {"number": caller}, "dialplan": {"exten": exten}, "language": "en"}
        self.channels[channel_id] = channel
        self.emit({"type": "StasisStart", "channel": channel, "args": args or []})
        return channel

    def dtmf(self, channel_id: str, digit: str) -> None:
        self.emit({"type": "ChannelDtmfReceived", "channel": self.channels[channel_id], "digit": digit})

    def hang_up(self, channel_id: str, cause: int = 16) -> None:
        """The far end hangs up: StasisEnd (if it was in our app), then ChannelDestroyed."""
        channel = self.channels.pop(channel_id, {"id": channel_id, "name": channel_id})
        for members in self.bridges.values():  # a channel that goes leaves its bridge
            if channel_id in members:
                members.remove(channel_id)
        self.emit({"type": "StasisEnd", "channel": channel})
        self.emit({"type": "ChannelDestroyed", "channel": channel, "cause": cause})

    def sent(self, method: str, pattern: str) -> list[tuple[str, dict[str, Any]]]:
        """The (path, params) of every recorded command that matches."""
        regex = re.compile(pattern)
        return [(path, params) for m, path, params in self.requests if m == method and regex.search(path)]

    # -- the Ari protocol ---------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None, missing_ok: bool = False) -> Any:
        params = dict(params or {})
        self.requests.append((method, path, params))
        await asyncio.sleep(0)  # a real command always yields to the loop
        for rule in self.rules:
            if rule.method == method and rule.pattern.search(path) and rule.times != 0:
                if rule.times is not None:
                    rule.times -= 1
                answer = rule.answer(path, params)
                return await answer if isinstance(answer, Awaitable) else answer
        try:
            return self._asterisk(method, path, params)
        except AriRequestError as exc:
            if exc.status == 404 and missing_ok:
                return None
            raise

    async def run(self, on_event: EventSink, on_connect: Callable[[], Awaitable[None]],
                  on_disconnect: Callable[[], None] = lambda: None) -> None:
        await on_connect()
        while (event := await self._events.get()) is not None:
            on_event(event)

    async def settle(self, rounds: int = 20) -> None:
        """Let the loop deliver queued events and run what they started."""
        for _ in range(rounds):
            await asyncio.sleep(0)
            if self._events.empty():
                await asyncio.sleep(0.005)

    # -- what a small Asterisk answers --------------------------------------------------------

    def _asterisk(self, method: str, path: str, params: dict[str, Any]) -> Any:
        parts = path.strip("/").split("/")
        if parts[0] == "applications":
            return {"name": self.app, "channel_ids": list(self.channels)}
        if parts[0] == "channels" and len(parts) >= 2:
            return self._channel(method, parts, params)
        if parts[0] == "channels" and method == "POST":  # originate
            channel_id = params.get("channelId") or f"fake-{next(self._ids)}"
            return {"id": channel_id, "name": f"{params.get('endpoint', 'PJSIP/x')}-{channel_id}"}
        if parts[0] == "playbacks" and len(parts) == 2:
            if parts[1] not in self.playbacks:
                raise AriRequestError(404, method, path, "Playback not found")
            if method == "DELETE":
                self._finish_playback(parts[1])
            return {"id": parts[1], "state": "playing"}
        if parts[0] == "bridges":
            if len(parts) == 1:
                return [{"id": b, "channels": list(c)} for b, c in self.bridges.items()]
            if method == "POST" and len(parts) == 2:
                self.bridges.setdefault(parts[1], [])
                return {"id": parts[1], "channels": []}
            if parts[1] not in self.bridges:
                raise AriRequestError(404, method, path, "Bridge not found")
            if method == "DELETE":
                del self.bridges[parts[1]]
            elif len(parts) == 3 and parts[2] == "addChannel":
                self.bridges[parts[1]].extend(params.get("channel", "").split(","))
            elif len(parts) == 3 and parts[2] == "removeChannel":
                for channel in params.get("channel", "").split(","):
                    if channel not in self.bridges[parts[1]]:
                        raise AriRequestError(422, method, path, "Channel not in this bridge")
                    self.bridges[parts[1]].remove(channel)
            return {"id": parts[1], "channels": self.bridges.get(parts[1], [])}
        return None

    def _channel(self, method: str, parts: list[str], params: dict[str, Any]) -> Any:
        channel_id = parts[1]
        if channel_id not in self.channels:
            raise AriRequestError(404, method, "/" + "/".join(parts), "Channel not found")
        if len(parts) == 2 and method == "DELETE":
            self.hang_up(channel_id)
            return None
        if len(parts) == 3 and parts[2] == "snoop":  # the snoop enters the app, as on Asterisk
            snoop = self.call(params["snoopId"], name=f"Snoop/{channel_id}", args=[params.get("appArgs", "")])
            snoop.update(spy=params.get("spy"), whisper=params.get("whisper"))
            return snoop
        if len(parts) == 4 and parts[2] == "play":
            self._start_playback(channel_id, parts[3], params.get("media", ""))
            return {"id": parts[3]}
        return self.channels[channel_id] if len(parts) == 2 else None

    def _start_playback(self, channel_id: str, playback_id: str, media: str) -> None:
        playback = {"id": playback_id, "media_uri": media, "target_uri": f"channel:{channel_id}"}
        self.playbacks[playback_id] = playback
        self.emit({"type": "PlaybackStarted", "playback": playback})

        def finish() -> None:
            if self.lose_playback_finished:
                self.playbacks.pop(playback_id, None)  # Asterisk is done with it; its event is lost
            else:
                self._finish_playback(playback_id)
        asyncio.get_running_loop().call_later(self.playback_s, finish)

    def _finish_playback(self, playback_id: str) -> None:
        playback = self.playbacks.pop(playback_id, None)
        if playback is not None:
            self.emit({"type": "PlaybackFinished", "playback": playback})
