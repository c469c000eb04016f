"""What the router decides; the live server acts on these."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assignment:
    """Offer the interaction to the agent (ring its phone, or push the chat/email to it)."""

    interaction_id: str
    agent_id: str
    queue: str
    at: float


@dataclass(frozen=True)
class Overflow:
    """The interaction waited its queue's max_wait: it moves to the `target` queue (`to_queue`),
    or its caller goes to the `target` node of the calling flow."""

    interaction_id: str
    queue: str
    target: str | None
    at: float
    to_queue: bool = False


Decision = Assignment | Overflow
