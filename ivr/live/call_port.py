"""`CallPort` over a live call: what flow nodes do becomes ARI commands on a real channel."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Protocol

import aiohttp

from ivr import log
from ivr.config import Config
from ivr.errors import FlowRuntimeError
from ivr.flows.nodes.transfer import SAFE_DESTINATION
from ivr.flows.port import (
    FlowPosition,
    Heard,
    HttpRequest,
    HttpResult,
    Prompt,
    QueueRequest,
    QueueResult,
    TransferRequest,
)
from ivr.flows.prompt_specs import is_sound_file
from ivr.live.call import Call
from ivr.live.http_fetch import answer
from ivr.prompts.tts import Tts

if TYPE_CHECKING:
    from ivr.speech.listen import Listener

TRANSFER_CONTEXT = "ivr-transfer"  # extensions.conf: Dial, then back to us unless answered
TRANSFER_TIMEOUT_VARIABLE = "IVR_TRANSFER_TIMEOUT"
TRANSFER_FAILED_ARG = "transfer-failed"  # Stasis(ivr,transfer-failed,${DIALSTATUS})
TRANSFER_GRACE_S = 120.0  # how long after its ring time a transfer may still come back


class TransferReturns:
    """Where each call sent out by a `transfer` with `failed:` goes on if it comes back
    unanswered. Kept in memory, by channel id; an entry the call never came back for
    (the transfer was answered) is dropped once its ring time and a grace period are over."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._expected: dict[str, tuple[float, FlowPosition]] = {}

    def expect(self, channel_id: str, back: FlowPosition, ring_s: float) -> None:
        now = self.clock()
        self._expected = {cid: entry for cid, entry in self._expected.items() if entry[0] > now}
        self._expected[channel_id] = (now + ring_s + TRANSFER_GRACE_S, back)

    def take(self, channel_id: str) -> FlowPosition | None:
        entry = self._expected.pop(channel_id, None)
        return entry[1] if entry else None


async def prompt_media(prompt: Prompt, language: str, tts: Tts, config: Config) -> str:
    """The ARI media URI of one prompt: `say` text rendered by TTS (cached), a `play` sound name,
    or a sound file beside the flows as Asterisk sees that directory."""
    if prompt.say is not None:
        return await tts.media(prompt.say, language)
    sound = prompt.play or ""
    if is_sound_file(sound):
        stem = PurePosixPath(sound).with_suffix("")
        return f"sound:{config.media.pbx_flows_dir.rstrip('/')}/{stem}"
    return f"sound:{sound}"


class QueueHandoff(Protocol):
    """Where the flow's `queue` node hands a caller: the ACD plugs in here."""

    async def enqueue(self, call: Call, request: QueueRequest) -> QueueResult:
        """Keep the caller until the ACD is done with it (moves between queues included)."""


class LiveCallPort:
    def __init__(self, call: Call, config: Config, tts: Tts, http: aiohttp.ClientSession,
                 handoff: QueueHandoff, clock: Callable[[], datetime], speech: "Listener | None" = None,
                 returns: TransferReturns | None = None):
        self.call = call
        self.returns = returns or TransferReturns()
        self.config = config
        self.tts = tts
        self.http_session = http
        self.handoff = handoff
        self.clock = clock
        self.speech = speech

    @property
    def language(self) -> str:
        return self.call.language

    @language.setter
    def language(self, value: str) -> None:
        self.call.language = value

    @property
    def caller(self) -> str:
        return self.call.record.caller

    @property
    def dialed(self) -> str:
        return self.call.record.dialed

    def now(self) -> datetime:
        return self.clock()

    async def media(self, prompt: Prompt) -> str:
        """The ARI media URI of one prompt."""
        return await prompt_media(prompt, self.language if prompt.say is not None else "", self.tts, self.config)

    async def prompt(self, prompts: list[Prompt], *, interruptible: bool) -> str | None:
        for prompt in prompts:
            digit = await self.call.play(await self.media(prompt), interruptible=interruptible)
            if digit is not None:
                return digit
        return None

    async def read_digit(self, timeout_s: float) -> str | None:
        return await self.call.read_digit(timeout_s)

    def can_listen(self) -> bool:
        return self.speech is not None and self.speech.can_listen(self.language)

    async def listen(self, grammar: list[str] | None, timeout_s: float, *, prompts: list[Prompt]) -> Heard:
        media = [await self.media(prompt) for prompt in prompts]
        return await self.speech.listen(self.call, media, grammar, timeout_s)

    async def record(self, name: str, *, max_s: float, silence_s: float, beep: bool) -> str:
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "message"
        relative = f"{safe}-{self.call.record.call_id.replace('.', '-')}-{uuid.uuid4().hex[:6]}"
        await self.call.record_audio(relative, max_s=max_s, silence_s=silence_s, beep=beep)
        return f"{self.config.media.recordings_dir}/{relative}.wav"

    async def http(self, request: HttpRequest) -> HttpResult:
        result, detail = await answer(self.http_session, request,
                                      max_bytes=request.max_bytes or self.config.flows.http_max_bytes)
        if result.reason:
            self.call.log("call.http_failed", url=request.url, reason=result.reason, detail=detail)
        return result

    async def queue(self, request: QueueRequest) -> QueueResult:
        self.call.log("call.queue", queue=request.queue, priority=request.priority, language=request.language,
                      skills=",".join(f"{k}>={v}" for k, v in request.skills.items()))
        return await self.handoff.enqueue(self.call, request)

    async def transfer(self, request: TransferRequest) -> None:
        if not SAFE_DESTINATION.fullmatch(request.target):
            raise FlowRuntimeError(f"refusing to transfer to {request.target!r}: not an endpoint name or number",
                                   "flow.bad-destination")
        await self.call.set_variable(TRANSFER_TIMEOUT_VARIABLE, str(max(1, round(request.timeout_s))))
        await self.call.set_variable("CHANNEL(language)", self.call.language)  # kept should the call come back
        if request.back:
            self.returns.expect(self.call.channel_id, request.back, request.timeout_s)
        await self.call.continue_in_dialplan(TRANSFER_CONTEXT, request.target)

    async def hangup(self) -> None:
        await self.call.hangup()


class NoAcdHandoff:
    """The hand-off when no ACD is installed (IVR-only use, flow tests): say no agent can take the call."""

    MESSAGE = "All of our agents are busy. Please call again later."

    def __init__(self, tts: Tts):
        self.tts = tts

    async def enqueue(self, call: Call, request: QueueRequest) -> QueueResult:
        log.warning("acd.unavailable", call=call.record.call_id, queue=request.queue)
        await call.play(await self.tts.media(self.MESSAGE, call.language))
        return QueueResult("overflow")
