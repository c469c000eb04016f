"""Contact-centre KPIs from ended interactions and the agent state-change log: one place per KPI,
used by `ivr report`, the wallboard (`Tally`), /metrics and the simulator. docs/kpis.md has the
definitions for users.

- ASA (average speed of answer): mean wait of answered interactions, enqueue to answer.
- AHT (average handle time): mean answer-to-end time of answered interactions (talk time;
  wrap-up is not included here, it counts in occupancy).
- Abandonment rate: abandoned / offered. Offered counts every ended interaction.
- Short abandons: abandoned after waiting less than `short_s` (default 5 s); they stay in offered.
- Service level: answered within N seconds / offered (N may differ per queue).
- Transfers: interactions that left their queue by overflow (to another queue or a flow node).
- Occupancy: time ringing, busy or in wrap-up / (that time + time available), over a period.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Union

from .model import OCCUPIED_STATES, AgentState, StateChange


SHORT_ABANDON_S = 5.0


class Ended(Protocol):
    enqueued_at: float
    answered_at: float | None
    ended_at: float
    outcome: str


Within = Union[float, Callable[[Ended], float]]  # a service-level threshold, or one per record (its queue's)


@dataclass(frozen=True)
class Kpis:
    offered: int
    answered: int
    abandoned: int
    overflowed: int  # = transfers: left the queue by overflow
    asa_s: float | None
    aht_s: float | None
    abandonment_rate: float | None
    service_level: float | None
    occupancy: float | None
    short_abandoned: int = 0
    answered_within: int = 0

    @property
    def transfers(self) -> int:
        return self.overflowed


def is_answered(record: Ended) -> bool:
    return record.outcome == "answered" and record.answered_at is not None


def is_abandoned(record: Ended) -> bool:
    return record.outcome == "abandoned"


def is_short_abandon(record: Ended, short_s: float = SHORT_ABANDON_S) -> bool:
    return is_abandoned(record) and record.ended_at - record.enqueued_at < short_s


def answered_within(record: Ended, within: Within) -> bool:
    limit = within(record) if callable(within) else within
    return is_answered(record) and record.answered_at - record.enqueued_at <= limit


def _answered(records: Iterable[Ended]) -> list[Ended]:
    return [r for r in records if is_answered(r)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def asa(records: Iterable[Ended]) -> float | None:
    return _mean([r.answered_at - r.enqueued_at for r in _answered(records)])


def aht(records: Iterable[Ended]) -> float | None:
    return _mean([r.ended_at - r.answered_at for r in _answered(records)])


def abandonment_rate(records: Iterable[Ended]) -> float | None:
    records = list(records)
    return sum(map(is_abandoned, records)) / len(records) if records else None


def service_level(records: Iterable[Ended], within_s: Within) -> float | None:
    records = list(records)
    if not records:
        return None
    return sum(answered_within(r, within_s) for r in records) / len(records)


def occupancy(changes: Iterable[StateChange], since: float, until: float) -> float | None:
    """Occupancy over [since, until), from every agent's state changes (at least those in the period).

    Before an agent's first change in the period it was in that change's `from_state`; after its
    last change, in that change's `to_state`.
    """
    per_agent: dict[str, list[StateChange]] = {}
    for change in sorted(changes, key=lambda c: c.at):
        per_agent.setdefault(change.agent_id, []).append(change)
    occupied = available = 0.0
    for agent_changes in per_agent.values():
        state, start = agent_changes[0].from_state, since
        for change in agent_changes + [StateChange("", AgentState.LOGGED_OUT, AgentState.LOGGED_OUT, until)]:
            end = min(max(change.at, since), until)
            if end > start:
                if state in OCCUPIED_STATES:
                    occupied += end - start
                elif state is AgentState.AVAILABLE:
                    available += end - start
            state, start = change.to_state, max(start, end)
    total = occupied + available
    return occupied / total if total else None


def kpis(records: Iterable[Ended], changes: Iterable[StateChange], within_s: Within,
         since: float, until: float, short_s: float = SHORT_ABANDON_S) -> Kpis:
    records = list(records)
    return Kpis(
        offered=len(records),
        answered=len(_answered(records)),
        abandoned=sum(map(is_abandoned, records)),
        overflowed=sum(r.outcome == "overflow" for r in records),
        asa_s=asa(records),
        aht_s=aht(records),
        abandonment_rate=abandonment_rate(records),
        service_level=service_level(records, within_s),
        occupancy=occupancy(changes, since, until),
        short_abandoned=sum(is_short_abandon(r, short_s) for r in records),
        answered_within=sum(answered_within(r, within_s) for r in records),
    )


@dataclass
class Tally:
    """Running counts of ended interactions, for live views that cannot keep every record
    (the wallboard, /metrics). The same predicates as the batch KPIs above."""

    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    overflowed: int = 0

    def add(self, record: Ended, within_s: Within, short_s: float = SHORT_ABANDON_S) -> None:
        self.offered += 1
        self.answered += is_answered(record)
        self.answered_within += answered_within(record, within_s)
        self.abandoned += is_abandoned(record)
        self.short_abandoned += is_short_abandon(record, short_s)
        self.overflowed += record.outcome == "overflow"

    @property
    def service_level(self) -> float | None:
        return self.answered_within / self.offered if self.offered else None
