"""Why each agent can or cannot take an interaction now, in words a supervisor reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .model import Agent, Interaction, Queue
from .rules import Relaxation, availability_gaps, relaxation_at, requirement_gaps, stage_at


@dataclass(frozen=True)
class Verdict:
    agent_id: str
    eligible: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    interaction_id: str
    queue: str
    waited_s: float
    relaxation: Relaxation
    verdicts: tuple[Verdict, ...]

    def eligible(self) -> list[str]:
        return [verdict.agent_id for verdict in self.verdicts if verdict.eligible]

    def lines(self) -> list[str]:
        lines = [f"interaction {self.interaction_id} in queue {self.queue}, waited {self.waited_s:.0f} s: "
                 f"{self.relaxation.describe()}"]
        for verdict in self.verdicts:
            lines.append(f"  {verdict.agent_id}: eligible" if verdict.eligible
                         else f"  {verdict.agent_id}: not eligible: {'; '.join(verdict.reasons)}")
        return lines


def explain(interaction: Interaction, agents: Iterable[Agent], queue: Queue, now: float) -> Explanation:
    """For each agent: eligible now, or every reason why not (state, capacity, queue, language, skills)."""
    waited = now - interaction.enqueued_at
    relaxation = relaxation_at(queue, stage_at(queue, interaction.enqueued_at, now))
    needs = interaction.requirements()
    verdicts = []
    for agent in agents:
        reasons = availability_gaps(agent, needs.media) + requirement_gaps(agent, needs, relaxation)
        verdicts.append(Verdict(agent.id, not reasons, tuple(reasons)))
    return Explanation(interaction.id, queue.name, waited, relaxation, tuple(verdicts))
