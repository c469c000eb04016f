"""The ACD's plain data: agents and their state machine, queues, interactions, media kinds.

Times are seconds as floats (UNIX time in the live server, simulated time in the simulator).
Nothing here reads a clock: every method that needs the time takes `now`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .errors import IllegalTransition, InvalidInteraction

MIN_LEVEL, MAX_LEVEL = 1, 5


class Media(str, Enum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"


class AgentState(str, Enum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RINGING = "ringing"
    BUSY = "busy"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


S = AgentState
TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.LOGGED_OUT: frozenset({S.AVAILABLE, S.PAUSED}),
    S.AVAILABLE: frozenset({S.RINGING, S.BUSY, S.PAUSED, S.LOGGED_OUT}),
    S.RINGING: frozenset({S.BUSY, S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.BUSY: frozenset({S.WRAP_UP, S.AVAILABLE, S.PAUSED}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
    S.PAUSED: frozenset({S.AVAILABLE, S.PAUSED, S.LOGGED_OUT}),
}
# Time in these states counts as occupied (occupancy = occupied / (occupied + available)).
OCCUPIED_STATES = frozenset({S.RINGING, S.BUSY, S.WRAP_UP})


@dataclass(frozen=True)
class StateChange:
    """One agent state change, as recorded in the state-change log."""

    agent_id: str
    from_state: AgentState
    to_state: AgentState
    at: float
    reason: str | None = None


@dataclass(eq=False)
class Agent:
    id: str
    name: str = ""
    endpoint: str = ""  # PJSIP endpoint id of the agent's phone, e.g. agent1
    skills: dict[str, int] = field(default_factory=dict)  # skill -> proficiency 1-5
    languages: tuple[str, ...] = ("en",)
    fallback_languages: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    capacity: dict[Media, int] = field(default_factory=lambda: {Media.VOICE: 1})
    state: AgentState = AgentState.LOGGED_OUT
    state_since: float = 0.0
    pause_reason: str | None = None
    last_idle: float = 0.0  # when the agent last became available (longest-idle orders by it)
    load: dict[Media, int] = field(default_factory=dict)  # interactions held, per media
    occupied_s: float = 0.0  # since login, not counting the current state's time
    available_s: float = 0.0

    def check_change(self, to: AgentState, reason: str | None = None) -> None:
        """Raise IllegalTransition unless the state machine allows going to `to` now."""
        if to not in TRANSITIONS[self.state] or (to is S.PAUSED and self.state is S.PAUSED
                                                 and reason == self.pause_reason):
            raise IllegalTransition(f"agent {self.id}: cannot go from {self.state.value} to {to.value}")

    def change_state(self, to: AgentState, now: float, reason: str | None = None) -> StateChange:
        """Move to `to` if the state machine allows it; returns the change to record."""
        self.check_change(to, reason)
        elapsed = max(0.0, now - self.state_since)
        if self.state in OCCUPIED_STATES:
            self.occupied_s += elapsed
        elif self.state is S.AVAILABLE:
            self.available_s += elapsed
        change = StateChange(self.id, self.state, to, now, reason if to is S.PAUSED else None)
        if self.state is S.LOGGED_OUT:
            self.occupied_s = self.available_s = 0.0
        if to is S.AVAILABLE:
            self.last_idle = now
        self.state, self.state_since = to, now
        self.pause_reason = change.reason
        return change

    def held(self) -> int:
        return sum(self.load.values())

    def occupancy(self, now: float) -> float:
        """Share of logged-in, non-paused time spent ringing, busy or in wrap-up."""
        occupied, available = self.occupied_s, self.available_s
        current = max(0.0, now - self.state_since)
        if self.state in OCCUPIED_STATES:
            occupied += current
        elif self.state is S.AVAILABLE:
            available += current
        total = occupied + available
        return occupied / total if total else 0.0


@dataclass(frozen=True)
class ExpansionStep:
    """After an interaction has waited `after_s`, its requirements relax (steps accumulate)."""

    after_s: float
    lower_levels_by: int = 0
    fallback_languages: bool = False
    any_agent: bool = False  # any available agent of the queue, whatever skills and languages


@dataclass(frozen=True)
class Announcements:
    position: bool = True
    estimated_wait: bool = True
    every_s: float = 60.0


@dataclass(frozen=True)
class Queue:
    name: str
    strategy: str = "longest-idle"
    ring_timeout_s: float = 15.0
    wrap_up_s: float = 0.0
    max_wait_s: float | None = None
    overflow: str | None = None  # after max_wait_s: a queue (overflow_queue) or a node of the calling flow
    overflow_queue: bool = False
    announcements: Announcements = field(default_factory=Announcements)
    music_on_hold: str = "default"
    expansion: tuple[ExpansionStep, ...] = ()
    initial_aht_s: float = 180.0  # handle time assumed for wait estimates until calls are measured
    sl_target: float = 80.0  # service-level goal: this percentage of calls answered...
    sl_within_s: float = 20.0  # ...within this many seconds of waiting (80/20)
    recording: str = "always"  # QA recording of answered calls: always | never | on-demand (the agent starts it)
    # The consent prompt a recorded queue plays to callers entering it, as written in acd.yaml (flow
    # prompt syntax); `ivr.flows.prompt_specs.fixed_prompts` checks it, the live ACD plays it.
    consent: Any = None


@dataclass(frozen=True)
class Requirements:
    """What an agent must offer; interactions with equal requirements share an index entry."""

    queue: str
    media: Media
    language: str
    skills: tuple[tuple[str, int], ...]  # sorted (skill, minimum level)


@dataclass(eq=False)
class Interaction:
    id: str
    queue: str
    media: Media = Media.VOICE
    skills: dict[str, int] = field(default_factory=dict)  # skill -> minimum proficiency
    language: str = "en"
    priority: int = 0  # higher is served first
    enqueued_at: float = 0.0  # kept across ring-no-answer and restarts: it defines the position
    customer: str = ""
    seq: int | None = None  # arrival order among equal times; the router assigns it

    def requirements(self) -> Requirements:
        return Requirements(self.queue, Media(self.media), self.language, tuple(sorted(self.skills.items())))

    def validate(self) -> None:
        """Check the fields a router relies on (and turn a media name into `Media`)."""
        try:
            self.media = Media(self.media)
        except ValueError:
            raise InvalidInteraction(f"interaction {self.id}: unknown media {self.media!r}") from None
        for skill, level in self.skills.items():
            if not isinstance(level, int) or not MIN_LEVEL <= level <= MAX_LEVEL:
                raise InvalidInteraction(
                    f"interaction {self.id}: skill {skill} level {level!r} is not {MIN_LEVEL}-{MAX_LEVEL}")
        if not self.language:
            raise InvalidInteraction(f"interaction {self.id}: no language")

    def order_key(self) -> tuple[int, float, int]:
        """Serving order: higher priority first, then longest waiting, then arrival order."""
        return (-self.priority, self.enqueued_at, self.seq or 0)
