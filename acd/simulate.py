"""Discrete-event simulation of a contact centre in simulated time, through the real router.

Callers arrive as Poisson processes (one per traffic class), wait, and abandon after an
exponential patience unless answered first; agents answer at once, talk for an exponential
handle time, then wrap up as their queue says. The router makes every decision, exactly as
in production; only the clock and the callers are simulated. Results are KPIs (acd.stats) and,
for the single-skill case, Erlang C's prediction of the service level beside them.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass, field

from . import erlang, stats
from .model import Agent, Interaction, Media, Queue
from .router import Assignment, Decision, Router


@dataclass(frozen=True)
class TrafficClass:
    """One stream of similar interactions."""

    queue: str
    calls_per_hour: float
    aht_s: float
    patience_s: float | None = None  # mean patience; None: callers never abandon
    skills: dict[str, int] = field(default_factory=dict)
    language: str = "en"
    priority: int = 0
    media: Media = Media.VOICE


@dataclass
class _Record:
    interaction: Interaction
    traffic: TrafficClass
    enqueued_at: float
    answered_at: float | None = None
    ended_at: float = math.inf
    outcome: str = "waiting"


@dataclass(frozen=True)
class SimulationResult:
    kpis: stats.Kpis
    per_queue: dict[str, stats.Kpis]
    still_waiting: int
    erlang_c_service_level: float | None = None

    def summary_line(self) -> str:
        k = self.kpis
        predicted = "-" if self.erlang_c_service_level is None else f"{self.erlang_c_service_level:.3f}"
        return (f"offered={k.offered} answered={k.answered} abandoned={k.abandoned} asa_s={_num(k.asa_s, 1)} "
                f"service_level={_num(k.service_level, 3)} occupancy={_num(k.occupancy, 3)} "
                f"erlang_c_service_level={predicted}")

    def queue_lines(self) -> list[str]:
        return [f"queue={name} offered={k.offered} answered={k.answered} abandoned={k.abandoned} "
                f"overflowed={k.overflowed} asa_s={_num(k.asa_s, 1)} aht_s={_num(k.aht_s, 1)} "
                f"service_level={_num(k.service_level, 3)}" for name, k in self.per_queue.items()]


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def simulate(queues: list[Queue], agents: list[Agent], traffic: list[TrafficClass], hours: float,
             seed: int, sl_seconds: float) -> SimulationResult:
    """Run arrivals for `hours`, then let every caller already in finish (answer or abandon)."""
    return _Simulation(queues, agents, traffic, seed).run(hours * 3600.0, sl_seconds)


def simulate_single_skill(agents: int, calls_per_hour: float, aht_s: float, patience_s: float | None,
                          hours: float, seed: int, sl_seconds: float) -> SimulationResult:
    """N identical agents on one queue, with Erlang C's service level computed beside."""
    queue = Queue("main")
    staff = [Agent(f"agent{n + 1}", skills={"general": 1}, queues=("main",)) for n in range(agents)]
    traffic = [TrafficClass("main", calls_per_hour, aht_s, patience_s, {"general": 1})]
    result = simulate([queue], staff, traffic, hours, seed, sl_seconds)
    predicted = erlang.service_level(agents, erlang.traffic_erlangs(calls_per_hour, aht_s), aht_s, sl_seconds)
    return SimulationResult(result.kpis, result.per_queue, result.still_waiting, predicted)


class _Simulation:
    def __init__(self, queues: list[Queue], agents: list[Agent], traffic: list[TrafficClass], seed: int):
        self.rng = random.Random(seed)
        self.router = Router(queues, agents)
        self.traffic = traffic
        self.events: list[tuple[float, int, str, object]] = []
        self.order = itertools.count()
        self.records: dict[str, _Record] = {}
        self.changes = []
        self.now = 0.0

    def at(self, when: float, kind: str, payload: object) -> None:
        heapq.heappush(self.events, (when, next(self.order), kind, payload))

    def run(self, horizon: float, sl_seconds: float) -> SimulationResult:
        for agent_id in list(self.router.agents):
            self.handle(self.router.agent_available(agent_id, 0.0))
        for traffic in self.traffic:
            self.schedule_arrival(traffic, 0.0, horizon)
        while True:
            deadline = self.router.next_deadline()
            if self.events and (deadline is None or self.events[0][0] <= deadline):
                self.now, _, kind, payload = heapq.heappop(self.events)
                getattr(self, f"on_{kind}")(payload, horizon)
            elif deadline is not None:
                self.now = deadline
                self.handle(self.router.tick(deadline))
            else:
                break
            self.changes += self.router.take_state_changes()
        return self.result(horizon, sl_seconds)

    def schedule_arrival(self, traffic: TrafficClass, after: float, horizon: float) -> None:
        if traffic.calls_per_hour <= 0:
            return
        when = after + self.rng.expovariate(traffic.calls_per_hour / 3600.0)
        if when < horizon:
            self.at(when, "arrival", traffic)

    def on_arrival(self, traffic: TrafficClass, horizon: float) -> None:
        interaction = Interaction(f"i{len(self.records) + 1}", traffic.queue, traffic.media, dict(traffic.skills),
                                  traffic.language, traffic.priority, self.now)
        self.records[interaction.id] = _Record(interaction, traffic, self.now)
        if traffic.patience_s is not None:
            self.at(self.now + self.rng.expovariate(1.0 / traffic.patience_s), "patience_lost", interaction.id)
        self.handle(self.router.interaction_arrived(interaction, self.now))
        self.schedule_arrival(traffic, self.now, horizon)

    def on_patience_lost(self, interaction_id: str, horizon: float) -> None:
        record = self.records[interaction_id]
        if record.outcome == "waiting":
            self.end(record, "abandoned")
            self.handle(self.router.interaction_left(interaction_id, self.now))

    def on_hang_up(self, interaction_id: str, horizon: float) -> None:
        self.end(self.records[interaction_id], "answered")
        self.handle(self.router.finished(interaction_id, self.now))

    def handle(self, decisions: list[Decision]) -> None:
        for decision in decisions:
            record = self.records.get(decision.interaction_id)
            if isinstance(decision, Assignment):
                self.router.answered(decision.interaction_id, self.now)
                record.answered_at, record.outcome = self.now, "talking"
                self.at(self.now + self.rng.expovariate(1.0 / record.traffic.aht_s), "hang_up", decision.interaction_id)
            else:
                self.end(record, "overflow")

    def end(self, record: _Record, outcome: str) -> None:
        record.outcome, record.ended_at = outcome, self.now

    def result(self, horizon: float, sl_seconds: float) -> SimulationResult:
        ended = [r for r in self.records.values() if r.outcome in ("answered", "abandoned", "overflow")]
        # Callers nobody can ever serve are still waiting when events run out: offered, not answered.
        stuck = [r for r in self.records.values() if r.outcome == "waiting"]
        for record in stuck:
            record.ended_at = self.now
        offered = ended + stuck
        per_queue = {name: stats.kpis([r for r in offered if r.interaction.queue == name],
                                      [], sl_seconds, 0.0, horizon) for name in self.router.queues}
        return SimulationResult(stats.kpis(offered, self.changes, sl_seconds, 0.0, horizon), per_queue, len(stuck))
