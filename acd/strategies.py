"""Queue strategies: which of the eligible, available agents gets an interaction."""
from __future__ import annotations

from typing import Callable, Iterable, Protocol

from .model import Agent, Interaction, Queue


class Strategy(Protocol):
    """Extension point: choose one agent among eligible candidates.

    `candidates` holds only agents that are eligible and able to take the interaction now,
    ordered longest-idle first (earliest `last_idle`, then configuration order). A strategy
    may stop reading early. Register a new one in `STRATEGIES` under the name queues use.
    """

    def pick(self, candidates: Iterable[Agent], interaction: Interaction, now: float) -> Agent | None: ...


class LongestIdle:
    def pick(self, candidates, interaction, now):
        return next(iter(candidates), None)


class BestSkill:
    """Highest proficiency summed over the required skills; ties go to the longest idle."""

    def pick(self, candidates, interaction, now):
        best, best_score = None, -1
        for agent in candidates:
            score = sum(agent.skills.get(skill, 0) for skill in interaction.skills)
            if score > best_score:
                best, best_score = agent, score
        return best


class LeastOccupied:
    """Lowest occupancy since login (see `Agent.occupancy`); ties go to the longest idle."""

    def pick(self, candidates, interaction, now):
        best, best_occupancy = None, 2.0
        for agent in candidates:
            occupancy = agent.occupancy(now)
            if occupancy < best_occupancy:
                best, best_occupancy = agent, occupancy
        return best


class RoundRobin:
    """The next eligible agent after the last one picked, in configuration order, wrapping around."""

    def __init__(self, ordinal: Callable[[str], int]):
        self.ordinal = ordinal
        self.last = -1

    def pick(self, candidates, interaction, now):
        best = min(candidates, key=lambda agent: (self.ordinal(agent.id) <= self.last, self.ordinal(agent.id)),
                   default=None)
        if best is not None:
            self.last = self.ordinal(best.id)
        return best


StrategyFactory = Callable[[Queue, Callable[[str], int]], Strategy]

STRATEGIES: dict[str, StrategyFactory] = {
    "longest-idle": lambda queue, ordinal: LongestIdle(),
    "best-skill": lambda queue, ordinal: BestSkill(),
    "least-occupied": lambda queue, ordinal: LeastOccupied(),
    "round-robin": lambda queue, ordinal: RoundRobin(ordinal),
}
