"""The offline simulator: a CallPort over scripted caller input, for `ivr flows simulate`,
flow tests and benchmarks. Nothing here touches a network or a PBX.

Caller input is a list of entries, consumed in order wherever the flow waits for a key:

- `1`, `42#`: keys pressed after the prompt has finished;
- `barge:1`: a key pressed *during* the prompt (it stops an interruptible prompt);
  `barge:42#` presses 4 during the prompt and 2, # after it;
- `timeout`: the caller presses nothing while the flow waits for one key;
- `say:billing`: the caller says "billing" when the flow listens (menus with `speech:`,
  the `speech` node), recognized with full confidence; `say@0.3:billing` with confidence
  0.3. Said during a prompt, it stops the prompt like a key.

When the script runs out, the caller stays silent. HTTP answers are scripted in order
too; a request with no scripted answer gets status 0 (the service did not answer). A queued
call ends with `queue_result`; on 'overflow' it carries the node acd.yaml names for the queue
(`queue_overflows`, filled from acd.yaml by `ivr flows simulate|test`).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.errors import FlowError

from .port import (
    Heard,
    HttpRequest,
    HttpResult,
    Prompt,
    QueueRequest,
    QueueResult,
    TransferRequest,
)

TIMEOUT = "timeout"
BARGE = "barge:"
SAY = "say"


def _parse_say(text: str) -> "_Key":
    head, _, said = text.partition(":")
    confidence = 1.0
    if head.startswith(SAY + "@"):
        try:
            confidence = float(head[len(SAY) + 1:])
        except ValueError:
            raise FlowError(f"cannot read caller input {text!r}: use say:words or say@0.4:words",
                            "flow.bad-input") from None
    if not said.strip() or not 0 <= confidence <= 1:
        raise FlowError(f"cannot read caller input {text!r}: use say:words or say@0.4:words", "flow.bad-input")
    return _Key(None, said=said.strip(), confidence=confidence)


@dataclass(frozen=True)
class _Key:
    key: str | None  # None: the caller lets the wait time out (or speaks, with `said`)
    during_prompt: bool = False
    said: str | None = None
    confidence: float = 1.0


def parse_inputs(entries: Iterable[str | int]) -> list[_Key]:
    """Scripted caller input as single key events. Raises FlowError on an entry it cannot read."""
    events = []
    for entry in entries:
        text = str(entry).strip()
        if text == TIMEOUT:
            events.append(_Key(None))
            continue
        if text.startswith(SAY + ":") or text.startswith(SAY + "@"):
            events.append(_parse_say(text))
            continue
        barge = text.startswith(BARGE)
        keys = text[len(BARGE):] if barge else text
        if not keys or any(key not in "0123456789*#" for key in keys):
            raise FlowError(f"cannot read caller input {text!r}: use keys (0-9 * #) like 42#, "
                            f"barge:1, say:words or timeout", "flow.bad-input")
        events.extend(_Key(key, barge and index == 0) for index, key in enumerate(keys))
    return events


def parse_time(text: str | None, zone: str | None = None) -> datetime:
    """An ISO date and time; a time without an offset is taken in `zone` (default UTC)."""
    try:
        tz = ZoneInfo(zone) if zone else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        raise FlowError(f"unknown time zone {zone!r}", "flow.bad-input") from None
    if text is None:
        return datetime.now(tz)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FlowError(f"cannot read the time {text!r}: use e.g. 2026-11-23T10:00", "flow.bad-input") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


class ScriptedPort:
    """A CallPort whose caller follows a script; it records what the caller hears and gets."""

    def __init__(self, inputs: Iterable[str | int] = (), *, at: datetime | None = None, caller: str = "",
                 dialed: str = "", language: str = "en", http: Iterable[HttpResult] = (),
                 queue_result: str = "answered", speech_languages: Iterable[str] | None = None,
                 queue_overflows: Mapping[str, str] | None = None):
        self.language = language
        self.caller = caller
        self.dialed = dialed
        self.at = at or datetime.now(timezone.utc)
        self.script: deque[_Key] = deque(parse_inputs(inputs))
        self.http_answers: deque[HttpResult] = deque(http)
        self.queue_result = queue_result
        self.queue_overflows = dict(queue_overflows or {})  # queue -> flow node, as acd.yaml says
        self.speech_languages = None if speech_languages is None else set(speech_languages)  # None: every one
        self.heard: list[tuple[Prompt, str]] = []  # (prompt, language it was played in)
        self.http_requests: list[HttpRequest] = []
        self.queued: list[QueueRequest] = []
        self.recordings: list[str] = []
        self.transfer_request: TransferRequest | None = None
        self.hung_up = False

    def now(self) -> datetime:
        return self.at

    async def prompt(self, prompts: list[Prompt], *, interruptible: bool) -> str | None:
        for prompt in prompts:
            self.heard.append((prompt, self.language))
            if interruptible and self.script and self.script[0].during_prompt:
                return self.script.popleft().key
        return None

    async def read_digit(self, timeout_s: float) -> str | None:
        return self.script.popleft().key if self.script else None  # words said here are not heard

    def can_listen(self) -> bool:
        return self.speech_languages is None or self.language in self.speech_languages

    async def listen(self, grammar: list[str] | None, timeout_s: float, *, prompts: list[Prompt]) -> Heard:
        for prompt in prompts:
            self.heard.append((prompt, self.language))
            if self.script and (self.script[0].during_prompt or self.script[0].said is not None):
                break
        if not self.script:
            return Heard()
        entry = self.script.popleft()
        if entry.said is not None:
            return Heard(text=entry.said, confidence=entry.confidence)
        return Heard(key=entry.key)

    async def record(self, name: str, *, max_s: float, silence_s: float, beep: bool) -> str:
        location = f"recordings/{name}.wav"
        self.recordings.append(location)
        return location

    async def http(self, request: HttpRequest) -> HttpResult:
        self.http_requests.append(request)
        return self.http_answers.popleft() if self.http_answers else HttpResult(status=0)

    async def queue(self, request: QueueRequest) -> QueueResult:
        self.queued.append(request)
        overflow = self.queue_overflows.get(request.queue) if self.queue_result == "overflow" else None
        return QueueResult(self.queue_result, overflow)

    async def transfer(self, request: TransferRequest) -> None:
        self.transfer_request = request

    async def hangup(self) -> None:
        self.hung_up = True

