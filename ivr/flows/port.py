"""The seam between flow nodes and a call.

Flow nodes never touch ARI. They act on a `CallPort`, which the live engine implements
over a real call (`ivr.flows.live`) and the offline simulator implements over scripted
caller input. Everything a node may do to a caller goes through here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Prompt:
    """One thing the caller hears: text rendered by TTS (`say`) or a recorded sound (`play`).

    `play` is an Asterisk sound name (`hello-world`, `digits/1`) or a file path relative
    to the flows directory (`sounds/welcome.wav`).
    """

    say: str | None = None
    play: str | None = None


@dataclass(frozen=True)
class FlowPosition:
    """Where a call goes on in its flows later (after a failed transfer), with what it knew."""

    flow: str
    node: str
    variables: dict[str, Any]
    language: str


@dataclass(frozen=True)
class TransferRequest:
    """Send the call to `target` (an endpoint name or a number). When nobody answers within
    `timeout_s` (or the line is busy), the call comes back to `back`, if given."""

    target: str
    timeout_s: float = 30.0
    back: FlowPosition | None = None


@dataclass(frozen=True)
class QueueRequest:
    """What the flow asks of the ACD when it hands the caller over."""

    queue: str
    skills: dict[str, int] = field(default_factory=dict)  # skill -> minimum proficiency (1-5)
    language: str = "en"
    priority: int = 0  # higher is served first
    customer: str = ""  # caller identity for history (caller number, account id...)
    data: dict[str, Any] = field(default_factory=dict)  # call variables handed to the agent


@dataclass(frozen=True)
class QueueResult:
    """How the ACD ended a queued call. On 'overflow', `overflow_to` is the target `acd.yaml`
    gives the queue (after any moves between queues), to be taken as a node of the calling flow."""

    outcome: str  # 'answered', 'abandoned' or 'overflow'
    overflow_to: str | None = None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    timeout_s: float
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    max_bytes: int | None = None  # largest answer taken (None: the service's flows.http_max_bytes)


@dataclass(frozen=True)
class HttpResult:
    status: int  # 0 when no usable answer came (late, unreachable, too big, unsafe JSON): see reason
    body: Any = None  # decoded JSON, or text
    reason: str = ""  # status 0: why, in one word (timeout, body-too-large, json-constant...)


@dataclass(frozen=True)
class Heard:
    """The caller's answer while the flow listened: a key, words, or nothing (silence)."""

    key: str | None = None
    text: str = ""  # the transcript ("" when nothing was recognized)
    confidence: float = 0.0  # mean word confidence of the transcript, 0-1

    @property
    def silent(self) -> bool:
        return self.key is None and not self.text


class CallPort(Protocol):
    language: str  # drives TTS voice and sound-file language; flows may change it
    caller: str  # the caller's number
    dialed: str  # the number the caller dialed

    def now(self) -> datetime:
        """The current time (injected in tests and the simulator; schedules use it)."""

    async def prompt(self, prompts: list[Prompt], *, interruptible: bool) -> str | None:
        """Play prompts in order. With `interruptible`, a key press stops them and is returned."""

    async def read_digit(self, timeout_s: float) -> str | None:
        """The next key pressed (including one pressed earlier and not yet read), or None on timeout."""

    def can_listen(self) -> bool:
        """Whether speech is recognized in the call's current language (a model is configured for it)."""

    async def listen(self, grammar: list[str] | None, timeout_s: float, *, prompts: list[Prompt]) -> Heard:
        """Play `prompts` (a key or the caller starting to speak stops them), then wait up to
        `timeout_s` for a key or an utterance. With `grammar`, only those phrases are recognized."""

    async def record(self, name: str, *, max_s: float, silence_s: float, beep: bool) -> str:
        """Record the caller (ends with '#', silence or max_s); returns where the recording is."""

    async def http(self, request: HttpRequest) -> HttpResult:
        """A data dip. Never raises for network trouble: returns status 0 instead."""

    async def queue(self, request: QueueRequest) -> QueueResult:
        """Hand the caller to the ACD until it is done with the call; returns how that ended."""

    async def transfer(self, request: TransferRequest) -> None:
        """Send the call to an endpoint (`agent1`) or number; the flow ends here."""

    async def hangup(self) -> None:
        """End the call."""
