"""Small builders shared by the ACD tests."""
from __future__ import annotations

from acd.model import Agent, ExpansionStep, Interaction, Media, Queue
from acd.router import Assignment, Router

RELAXING = (ExpansionStep(30, lower_levels_by=1), ExpansionStep(90, fallback_languages=True),
            ExpansionStep(180, any_agent=True))


def agent(agent_id: str, skills=None, languages=("en",), fallback=(), queues=("q",), capacity=None) -> Agent:
    return Agent(agent_id, skills=dict(skills or {"billing": 3}), languages=tuple(languages),
                 fallback_languages=tuple(fallback), queues=tuple(queues),
                 capacity=dict(capacity or {Media.VOICE: 1}))


def call(call_id: str, at: float = 0.0, skills=None, language="en", priority=0, queue="q",
         media=Media.VOICE) -> Interaction:
    return Interaction(call_id, queue, media, dict(skills or {"billing": 1}), language, priority, at)


def router(*agents: Agent, strategy="longest-idle", expansion=(), wrap_up=0.0, max_wait=None,
           overflow=None, queues=("q",)) -> Router:
    return Router([Queue(name, strategy=strategy, expansion=tuple(expansion), wrap_up_s=wrap_up,
                         max_wait_s=max_wait, overflow=overflow) for name in queues], agents)


def assigned(decisions) -> list[tuple[str, str]]:
    return [(d.interaction_id, d.agent_id) for d in decisions if isinstance(d, Assignment)]


def login(r: Router, *agent_ids: str, at: float = 0.0) -> list:
    made = []
    for agent_id in agent_ids:
        made += r.agent_available(agent_id, at)
    return made
