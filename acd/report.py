"""What `ivr report` computes: KPIs over a period, per interval, per queue and per agent.

The maths is `acd.stats` (one place per KPI); this module only slices the records and the
state-change log. An interaction counts in the interval in which it ended; intervals start at
the period's start. Each queue's service level uses its own threshold (`service_level.within`
in acd.yaml; 20 s for a queue the store knows but acd.yaml no longer has).
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import stats
from .model import Queue, StateChange
from .store import InteractionRecord

INTERVALS = {"15m": 15 * 60, "1h": 3600, "1d": 86400}
DEFAULT_WITHIN_S = 20.0


@dataclass(frozen=True)
class AgentFigures:
    agent_id: str
    answered: int
    aht_s: float | None
    talk_s: float
    occupancy: float | None


@dataclass(frozen=True)
class Report:
    since: float
    until: float
    interval_s: float
    total: stats.Kpis
    intervals: list[tuple[float, stats.Kpis]]  # (start, KPIs of interactions that ended then)
    per_queue: dict[str, stats.Kpis]
    per_agent: list[AgentFigures]


def build(records: Iterable[InteractionRecord], changes: Iterable[StateChange], queues: Mapping[str, Queue],
          since: float, until: float, interval_s: float, *, agents: Iterable[str] | None = None,
          members: Mapping[str, Iterable[str]] | None = None, short_s: float = stats.SHORT_ABANDON_S) -> Report:
    """`records`: interactions that ended in [since, until) (already filtered by queue if wanted);
    `changes`: the state log of the period (`Store.state_log_between`); `agents`: whose occupancy
    counts in the totals and intervals (every agent in the log when None); `members`: queue ->
    its agents, for each queue's occupancy."""
    records = sorted((r for r in records if since <= r.ended_at < until), key=lambda r: r.ended_at)
    if agents is not None:
        wanted = set(agents)
        changes = [c for c in changes if c.agent_id in wanted]
    changes = sorted(changes, key=lambda c: c.at)

    def within(record: stats.Ended) -> float:
        queue = queues.get(record.queue)  # type: ignore[attr-defined]
        return queue.sl_within_s if queue is not None else DEFAULT_WITHIN_S

    def kpis(subset: list[InteractionRecord], period_changes: list[StateChange], start: float, end: float):
        return stats.kpis(subset, period_changes, within, start, end, short_s)

    starts = _starts(since, until, interval_s)
    intervals = []
    for start, end, subset, period_changes in _slices(records, changes, starts, until):
        intervals.append((start, kpis(subset, period_changes, start, end)))
    by_queue, handled, agent_changes = defaultdict(list), defaultdict(list), defaultdict(list)
    for record in records:
        by_queue[record.queue].append(record)
        if record.agent_id and stats.is_answered(record):
            handled[record.agent_id].append(record)
    for change in changes:
        agent_changes[change.agent_id].append(change)
    members = {name: list(ids) for name, ids in (members or {}).items()}
    per_queue = {name: kpis(by_queue[name], [c for agent in members.get(name, ()) for c in agent_changes[agent]],
                            since, until)
                 for name in sorted(by_queue)}
    per_agent = [AgentFigures(agent_id, len(handled[agent_id]), stats.aht(handled[agent_id]),
                              sum(r.ended_at - r.answered_at for r in handled[agent_id]),
                              stats.occupancy(agent_changes[agent_id], since, until))
                 for agent_id in sorted(set(handled) | set(agent_changes))]
    return Report(since, until, interval_s, kpis(records, changes, since, until), intervals, per_queue, per_agent)


def _starts(since: float, until: float, interval_s: float) -> list[float]:
    starts, start = [], since
    while start < until:
        starts.append(start)
        start += interval_s
    return starts


def _slices(records: list[InteractionRecord], changes: list[StateChange], starts: list[float], until: float):
    """(start, end, records that ended in it, the state changes occupancy needs for it), in one sweep."""
    ended = [r.ended_at for r in records]
    change_times = [c.at for c in changes]
    last_before: dict[str, StateChange] = {}
    swept = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else until
        first, stop = bisect.bisect_left(ended, start), bisect.bisect_left(ended, end)
        lo, hi = bisect.bisect_left(change_times, start), bisect.bisect_left(change_times, end)
        for change in changes[swept:lo]:
            last_before[change.agent_id] = change
        swept = max(swept, lo)
        yield start, end, records[first:stop], list(last_before.values()) + changes[lo:hi]
