"""The routing rules in one place: who may take what, and how requirements relax with waiting.

Every eligibility decision, fast or explained, comes from `availability_gaps` and
`requirement_gaps`: an agent is eligible when both return nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import MIN_LEVEL, Agent, AgentState, Media, Queue, Requirements

NEVER = 1 << 30  # "no expansion stage makes this agent eligible"
# The ACD's own pause reasons, for an offer that failed: the agent let it ring out, its phone
# said busy, or its phone could not be reached (not registered, gone).
NO_ANSWER, PHONE_BUSY, UNREACHABLE = "no-answer", "phone-busy", "unreachable"
SYSTEM_PAUSE_REASONS = (NO_ANSWER, PHONE_BUSY, UNREACHABLE)


@dataclass(frozen=True)
class Relaxation:
    """The accumulated effect of the expansion steps that apply at some waiting time."""

    levels_lowered: int = 0
    fallback_languages: bool = False
    any_agent: bool = False

    def describe(self) -> str:
        parts = []
        if self.levels_lowered:
            parts.append(f"skill minimums lowered by {self.levels_lowered}")
        if self.fallback_languages:
            parts.append("fallback languages accepted")
        if self.any_agent:
            parts.append("any agent of the queue accepted")
        return ", ".join(parts) or "no relaxation"


def stage_at(queue: Queue, enqueued_at: float, now: float) -> int:
    """How many expansion steps apply at `now` (a step applies from `enqueued_at + after_s` on).

    Times are compared as `enqueued_at + after_s <= now`, never as a difference, so a step
    applies exactly when a timer set for `enqueued_at + after_s` fires.
    """
    stage = 0
    for step in queue.expansion:
        if enqueued_at + step.after_s > now:
            break
        stage += 1
    return stage


def stage_start(queue: Queue, stage: int) -> float:
    """The waiting time at which `stage` begins (0 for no steps)."""
    return queue.expansion[stage - 1].after_s if stage else 0.0


def relaxation_at(queue: Queue, stage: int) -> Relaxation:
    steps = queue.expansion[:stage]
    return Relaxation(
        levels_lowered=sum(step.lower_levels_by for step in steps),
        fallback_languages=any(step.fallback_languages for step in steps),
        any_agent=any(step.any_agent for step in steps),
    )


def availability_gaps(agent: Agent, media: Media) -> list[str]:
    """Why the agent cannot take one more interaction of `media` now (empty: it can).

    Voice needs an available agent. While busy, an agent takes more of a non-voice media up to
    its capacity for it, but nothing while on a voice call.
    """
    state = agent.state
    if state is AgentState.LOGGED_OUT:
        return ["logged out"]
    if state is AgentState.PAUSED:
        return [f"paused ({agent.pause_reason})" if agent.pause_reason else "paused"]
    if state is AgentState.RINGING:
        return ["ringing"]
    if state is AgentState.WRAP_UP:
        return ["in wrap-up"]
    if state is AgentState.BUSY and (media is Media.VOICE or agent.load.get(Media.VOICE, 0)):
        return ["busy"]
    capacity, held = agent.capacity.get(media, 0), agent.load.get(media, 0)
    if capacity <= 0:
        return [f"does not take {media.value}"]
    if held >= capacity:
        return [f"no {media.value} capacity left ({held}/{capacity} in use)"]
    return []


def can_take(agent: Agent, media: Media) -> bool:
    return not availability_gaps(agent, media)


def requirement_gaps(agent: Agent, needs: Requirements, relaxation: Relaxation) -> list[str]:
    """Why the agent does not meet the (relaxed) requirements (empty: it does)."""
    gaps = []
    if needs.queue not in agent.queues:
        gaps.append(f"not in queue {needs.queue}")
    if relaxation.any_agent:
        return gaps
    if needs.language not in agent.languages:
        if needs.language in agent.fallback_languages:
            if not relaxation.fallback_languages:
                gaps.append(f"language {needs.language} only a fallback language (not yet accepted)")
        else:
            gaps.append(f"language {needs.language} not spoken (speaks {', '.join(agent.languages) or 'none'})")
    for skill, minimum in needs.skills:
        required = max(MIN_LEVEL, minimum - relaxation.levels_lowered)
        level = agent.skills.get(skill, 0)
        if level <= 0:
            gaps.append(f"skill {skill} missing (required {required})")
        elif level < required:
            gaps.append(f"skill {skill} {level} < required {required}")
    return gaps


def relaxations(queue: Queue) -> tuple[Relaxation, ...]:
    """The relaxation of every stage of the queue, stage 0 (none) first."""
    return tuple(relaxation_at(queue, stage) for stage in range(len(queue.expansion) + 1))


def first_eligible_stage(agent: Agent, needs: Requirements, by_stage: tuple[Relaxation, ...]) -> int:
    """The earliest stage at which the agent meets the requirements, or NEVER.

    `by_stage` is the queue's `relaxations(queue)`.
    """
    for stage, relaxation in enumerate(by_stage):
        if not requirement_gaps(agent, needs, relaxation):
            return stage
    return NEVER
