"""One live call in our Stasis application, as the flow code sees it.

The controller feeds every ARI event about the channel into `Call.feed`; flow code
awaits `answer`, `play`, `read_digit` and `hangup`. A caller hang-up cancels the
call's task (see `ivr.live.controller`), so flow code never has to check for it.

Every wait is bounded. REST commands time out in the ARI client (`AriTimeout`). An event
that never comes is checked with Asterisk: a playback Asterisk no longer has is over (its
PlaybackFinished was lost); a recording past its maximum length is stopped and fails the
call's `record` (`CallError`).
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ivr import log
from ivr.errors import CallError
from ivr.pbx.ari import Ari, Event

from .states import CALL_TRANSITIONS, CallState, EndedBy, move

APOLOGY = "sound:sorry-youre-having-problems"  # Asterisk's core sounds: "Sorry you're having problems."
APOLOGY_LIMIT_S = 8.0


@dataclass
class CallRecord:
    """What happened on a call: kept by the controller for status, tests and benchmarks."""

    call_id: str
    channel: str
    caller: str
    dialed: str
    started_at: float = field(default_factory=time.time)
    resumed: bool = False
    answered: bool = False
    digits: list[str] = field(default_factory=list)
    played: list[tuple[str, str]] = field(default_factory=list)  # (media, "finished" | "interrupted")
    heard: list[tuple[str, float]] = field(default_factory=list)  # speech recognized: (transcript, confidence)
    dtmf_to_prompt_ms: float | None = None
    flow: str | None = None
    outcome: Any = None  # the flow's Outcome
    ended_by: EndedBy | None = None
    ended_at: float | None = None
    error: str | None = None
    recordings: list[str] = field(default_factory=list)  # QA recordings of its bridged ACD calls


class Call:
    playback_check_s = 5.0  # how often a prompt still playing is checked for with Asterisk
    recording_margin_s = 10.0  # how long past its maximum a recording may take to report

    def __init__(self, ari: Ari, channel: dict[str, Any], *, resumed: bool = False):
        self.ari = ari
        self.channel_id: str = channel["id"]
        self.language: str = channel.get("language") or "en"
        self.record = CallRecord(
            call_id=self.channel_id,
            channel=channel.get("name", ""),
            caller=channel.get("caller", {}).get("number", ""),
            dialed=channel.get("dialplan", {}).get("exten", ""),
            resumed=resumed,
        )
        self.digits: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
        self.last_digit_at: float | None = None
        self.state = CallState.ACTIVE
        self._waiters: list[tuple[Callable[[Event], bool], asyncio.Future[Event]]] = []
        self._playbacks: set[str] = set()

    @property
    def hung_up(self) -> bool:
        """The channel left our app (hung up, or sent to the dialplan): no more commands for it."""
        return self.state is CallState.LEFT

    def left(self, ended_by: EndedBy) -> bool:
        """Mark the call gone; True the first time (the caller of the first report owns the end)."""
        if self.state is CallState.LEFT:
            return False
        self.state = move(self.state, CallState.LEFT, CALL_TRANSITIONS, f"call {self.channel_id}")
        self.record.ended_by = self.record.ended_by or ended_by
        return True

    def forget_keys(self) -> None:
        """Drop keys pressed while nobody listened (on hold, during a transfer's ringing)."""
        while not self.digits.empty():
            self.digits.get_nowait()

    def log(self, event: str, **fields: object) -> None:
        log.event(event, call=self.record.call_id, **fields)

    # -- events in -----------------------------------------------------------
    def feed(self, event: Event) -> None:
        kind = event["type"]
        now = asyncio.get_running_loop().time()
        if kind == "ChannelDtmfReceived":
            digit = event["digit"]
            self.record.digits.append(digit)
            self.last_digit_at = now
            self.digits.put_nowait((digit, now))
            self.log("call.dtmf", digit=digit)
        elif kind == "PlaybackStarted" and self.last_digit_at is not None and self.record.dtmf_to_prompt_ms is None:
            # How fast the caller hears us react to a key: the first prompt that starts after it.
            self.record.dtmf_to_prompt_ms = round((now - self.last_digit_at) * 1000, 2)
        for waiter in list(self._waiters):
            matches, future = waiter
            if not future.done() and matches(event):
                future.set_result(event)
                self._waiters.remove(waiter)

    def _expect(self, matches: Callable[[Event], bool]) -> asyncio.Future[Event]:
        future: asyncio.Future[Event] = asyncio.get_running_loop().create_future()
        self._waiters.append((matches, future))
        return future

    # -- commands out --------------------------------------------------------
    @property
    def _path(self) -> str:
        return f"/channels/{self.channel_id}"

    async def answer(self) -> None:
        await self.ari.post(self._path + "/answer")
        self.record.answered = True
        self.log("call.answered", resumed=self.record.resumed)

    async def play(self, media: str, *, interruptible: bool = False,
                   barge: asyncio.Event | None = None) -> str | None:
        """Play `media` (e.g. `sound:hello-world`, `digits:42`) to the end.

        With `interruptible`, a key pressed during the prompt stops it and is returned
        (it stays consumed); otherwise returns None. `barge` (the caller started to speak)
        stops an interruptible prompt too, and then returns None.
        """
        if interruptible and not self.digits.empty():
            return self.digits.get_nowait()[0]
        if interruptible and barge is not None and barge.is_set():
            return None
        playback_id = uuid.uuid4().hex
        finished = self._expect(lambda e: e["type"] == "PlaybackFinished" and e["playback"]["id"] == playback_id)
        self._playbacks.add(playback_id)  # before the request, so stop_playbacks() can never miss it
        try:
            await self.ari.post(f"{self._path}/play/{playback_id}", params={"media": media, "lang": self.language})
            if not interruptible:
                await self._until_played(finished, playback_id)
                self.record.played.append((media, "finished"))
                return None
            key = asyncio.ensure_future(self.digits.get())
            spoke = asyncio.ensure_future(barge.wait()) if barge is not None else None
            played = asyncio.ensure_future(self._until_played(finished, playback_id))
            try:
                done, _ = await asyncio.wait({played, key} | ({spoke} if spoke else set()),
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in (key, spoke, played):
                    if waiter is not None and not waiter.done():
                        waiter.cancel()
            if played in done:
                played.result()  # a failure checking on the playback is the call's failure
            if key in done or (spoke is not None and spoke in done):
                await self._stop(playback_id)
                self.record.played.append((media, "interrupted"))
                return key.result()[0] if key in done else None
            self.record.played.append((media, "finished"))
            return None
        finally:
            self._playbacks.discard(playback_id)

    async def _until_played(self, finished: asyncio.Future[Event], playback_id: str) -> None:
        """Wait for PlaybackFinished; every `playback_check_s` ask Asterisk whether the playback
        still exists. Gone without its event: the event was lost, and the prompt is over."""
        while True:
            if await _within(finished, self.playback_check_s):
                return
            if await self.ari.get(f"/playbacks/{playback_id}", missing_ok=True) is None:
                if not finished.done():
                    self.log("call.event_lost", lost="PlaybackFinished", playback=playback_id)
                    finished.cancel()
                return

    async def _stop(self, playback_id: str) -> None:
        await self.ari.delete(f"/playbacks/{playback_id}", missing_ok=True)

    async def stop_playbacks(self) -> None:
        """Stop whatever the caller hears from us (an interrupted `play` returns as finished)."""
        for playback_id in list(self._playbacks):
            await self._stop(playback_id)

    async def read_digit(self, timeout: float) -> str | None:
        """The next key the caller presses (including one pressed earlier), or None after `timeout` s."""
        try:
            digit, _ = await asyncio.wait_for(self.digits.get(), timeout)
            return digit
        except TimeoutError:
            return None

    async def record_audio(self, name: str, *, max_s: float, silence_s: float, beep: bool) -> float:
        """Record the caller into `name`.wav (ends on '#', silence or max_s); returns the seconds recorded."""
        done = self._expect(lambda e: e["type"] in ("RecordingFinished", "RecordingFailed")
                            and e["recording"]["name"] == name)
        await self.ari.post(f"{self._path}/record", params={
            "name": name, "format": "wav", "maxDurationSeconds": int(max_s), "maxSilenceSeconds": int(silence_s),
            "beep": beep, "terminateOn": "#", "ifExists": "overwrite"})
        if await _within(done, max_s + self.recording_margin_s):
            event = done.result()
        else:
            self.log("call.event_lost", lost="RecordingFinished", recording=name)
            await self.ari.post(f"/recordings/live/{name}/stop", missing_ok=True)
            raise CallError(f"recording {name} did not finish within {max_s + self.recording_margin_s:.0f} s")
        if event["type"] == "RecordingFailed":
            raise CallError(f"recording {name} failed: {event['recording'].get('cause', 'unknown cause')}")
        self.log("call.recorded", recording=name, duration_s=event["recording"].get("duration", ""))
        return float(event["recording"].get("duration") or 0)

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (the dialplan reads it after `continue_in_dialplan`)."""
        await self.ari.post(f"{self._path}/variable", params={"variable": name, "value": value})

    async def continue_in_dialplan(self, context: str, extension: str) -> None:
        """Leave our app for the dialplan (used for transfers); the call is no longer ours."""
        self.left(EndedBy.TRANSFER)  # its StasisEnd is expected, not a caller hang-up
        await self.ari.post(self._path + "/continue", params={"context": context, "extension": extension,
                                                               "priority": 1})
        self.log("call.transferred", context=context, extension=extension)

    async def apologize(self) -> None:
        """Our failure ends this call: a short apology first (bounded, best effort)."""
        if self.hung_up:
            return
        try:
            await asyncio.wait_for(self.play(APOLOGY), APOLOGY_LIMIT_S)
        except Exception as exc:  # noqa: BLE001 - the call ends either way
            self.log("call.apology_failed", reason=repr(exc))

    async def hangup(self) -> None:
        if self.left(EndedBy.CONTROLLER):
            await self.ari.delete(self._path, missing_ok=True)

    async def close(self) -> None:
        """Leave nothing behind: stop our playbacks and hang the channel up if it is still there."""
        await self.stop_playbacks()
        await self.hangup()
        for _, future in self._waiters:
            future.cancel()
        self._waiters.clear()


async def _within(future: asyncio.Future, timeout_s: float) -> bool:
    """Whether `future` is done within `timeout_s`. Unlike `asyncio.wait_for` on Python 3.11, a
    hang-up (our task cancelled) that coincides with the event is never swallowed."""
    done, _ = await asyncio.wait({future}, timeout=timeout_s)
    return bool(done)
