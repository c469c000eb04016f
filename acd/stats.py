"""Contact-centre KPIs from ended interactions and the agent state-change log.

- ASA (average speed of answer): mean wait of answered interactions, enqueue to answer.
- AHT (average handle time): mean answer-to-end time of answered interactions (talk time;
  wrap-up is not included here, it counts in occupancy).
- Abandonment rate: abandoned / offered. Offered counts every ended interaction.
- Service level: answered within N seconds / offered.
- Occupancy: time ringing, busy or in wrap-up / (that time + time available), over a period.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from .model import OCCUPIED_STATES, AgentState, StateChange


class Ended(Protocol):
    enqueued_at: float
    answered_at: float | None
    ended_at: float
    outcome: str


@dataclass(frozen=True)
class Kpis:
    offered: int
    answered: int
    abandoned: int
    overflowed: int
    asa_s: float | None
    aht_s: float | None
    abandonment_rate: float | None
    service_level: float | None
    occupancy: float | None


def _answered(records: Iterable[Ended]) -> list[Ended]:
    return [r for r in records if r.outcome == "answered" and r.answered_at is not None]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def asa(records: Iterable[Ended]) -> float | None:
    return _mean([r.answered_at - r.enqueued_at for r in _answered(records)])


def aht(records: Iterable[Ended]) -> float | None:
    return _mean([r.ended_at - r.answered_at for r in _answered(records)])


def abandonment_rate(records: Iterable[Ended]) -> float | None:
    records = list(records)
    return sum(r.outcome == "abandoned" for r in records) / len(records) if records else None


def service_level(records: Iterable[Ended], within_s: float) -> float | None:
    records = list(records)
    if not records:
        return None
    return sum(1 for r in _answered(records) if r.answered_at - r.enqueued_at <= within_s) / len(records)


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


def kpis(records: Iterable[Ended], changes: Iterable[StateChange], within_s: float,
         since: float, until: float) -> Kpis:
    records = list(records)
    return Kpis(
        offered=len(records),
        answered=len(_answered(records)),
        abandoned=sum(r.outcome == "abandoned" for r in records),
        overflowed=sum(r.outcome == "overflow" for r in records),
        asa_s=asa(records),
        aht_s=aht(records),
        abandonment_rate=abandonment_rate(records),
        service_level=service_level(records, within_s),
        occupancy=occupancy(changes, since, until),
    )
