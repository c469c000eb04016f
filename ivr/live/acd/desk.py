"""Chats, emails and SMS in the live ACD: offered to an agent's workspace instead of a phone.

The channels (`ivr/channels/`) submit an interaction of their media; the router decides as for
calls (same queues, skills, languages, priorities, expansion, per-media capacity and mixing
rule). An `Assignment` becomes an offer in the agent's workspace, with the queue's ring time:

    accept   the agent works on it (the router's `answered`)
    decline  like a ring-no-answer: back to its place, the agent paused `no-answer` when it holds nothing else
    timeout  the same, when the ring time passes without an answer
    close    the work is done (with a disposition): the router's `finished`, wrap-up as for calls

Listeners (the channels) hear every move: `listener(event, item)` with event one of offered,
accepted, returned, closed.
"""
from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acd.decisions import Assignment, Overflow
from acd.errors import AcdError, UnknownInteraction
from acd.model import Interaction, Media
from acd.rules import NO_ANSWER
from acd.store import HeldRecord
from ivr import log
from ivr.health import failed
from ivr.live.states import WORK_TRANSITIONS, WorkState, move

if TYPE_CHECKING:
    from .service import AcdService

Listener = Callable[[str, "WorkItem"], None]


@dataclass(eq=False)
class WorkItem:
    interaction: Interaction
    state: WorkState = WorkState.WAITING
    agent_id: str | None = None
    offered_at: float | None = None
    timer: asyncio.TimerHandle | None = None
    outcome: str | None = None

    def move(self, to: WorkState) -> None:
        self.state = move(self.state, to, WORK_TRANSITIONS, f"interaction {self.interaction.id}")
        if to is not WorkState.OFFERED and self.timer:
            self.timer.cancel()
            self.timer = None


class Desk:
    def __init__(self, service: AcdService):
        self.service = service
        self.items: dict[str, WorkItem] = {}
        self.listeners: list[Listener] = []

    def submit(self, interaction: Interaction) -> WorkItem:
        """A new chat, email or SMS conversation enters its queue (AcdError when the router refuses it)."""
        if interaction.media is Media.VOICE:
            raise AcdError(f"interaction {interaction.id}: voice goes through the flows' queue node")
        service = self.service
        decisions = service.router.interaction_arrived(interaction, service.clock())
        item = self.items[interaction.id] = WorkItem(interaction)
        log.event("acd.work_enqueued", interaction=interaction.id, media=interaction.media.value,
                  queue=interaction.queue)
        snapshot = copy.copy(interaction)
        service.commit(decisions, lambda writer: writer.waiting(snapshot), what="work-enqueued")
        return item

    # -- decisions (from AcdService.commit) -------------------------------------------------------

    def act(self, decision: Assignment | Overflow) -> None:
        item = self.items[decision.interaction_id]
        if isinstance(decision, Overflow):
            self._overflowed(item, decision)
            return
        item.move(WorkState.OFFERED)
        item.agent_id, item.offered_at = decision.agent_id, decision.at
        ring_s = self.service.router.queues[item.interaction.queue].ring_timeout_s
        item.timer = asyncio.get_running_loop().call_later(ring_s, self._expired, item)
        log.event("acd.work_offer", interaction=item.interaction.id, agent=decision.agent_id,
                  media=item.interaction.media.value)
        self._tell("offered", item)

    def _expired(self, item: WorkItem) -> None:
        item.timer = None
        if item.state is WorkState.OFFERED:
            log.event("acd.no_answer", interaction=item.interaction.id, agent=item.agent_id, reason="timeout")
            self._back_in_queue(item)

    def _overflowed(self, item: WorkItem, decision: Overflow) -> None:
        service = self.service
        if decision.to_queue and decision.target:
            old = item.interaction
            moved = dataclasses.replace(old, id=f"{old.id.split('~')[0]}~{_count(old.id) + 1}", queue=decision.target,
                                        enqueued_at=decision.at, seq=None)
            del self.items[old.id]
            item.interaction = moved
            item.move(WorkState.WAITING)
            self.items[moved.id] = item
            decisions = service.router.interaction_arrived(moved, decision.at)
            log.event("acd.moved", interaction=old.id, to=moved.id, queue=moved.queue)
            self._tell("moved", item)
            snapshot = copy.copy(moved)
            service.commit(decisions, lambda writer: writer.waiting(snapshot), what="work-moved")
            return
        item.move(WorkState.CLOSED)
        item.outcome = "overflow"
        self.items.pop(item.interaction.id, None)
        self._tell("closed", item)

    # -- what agents do -----------------------------------------------------------------------------

    def accept(self, agent_id: str, interaction_id: str) -> WorkItem:
        item = self._offered_to(agent_id, interaction_id)
        service, now = self.service, self.service.clock()
        service.router.answered(interaction_id, now)
        item.move(WorkState.ACCEPTED)
        log.event("acd.work_accepted", interaction=interaction_id, agent=agent_id)
        service.commit([], lambda writer: writer.answered(interaction_id, now), what="work-accepted")
        self._tell("accepted", item)
        return item

    def decline(self, agent_id: str, interaction_id: str) -> WorkItem:
        item = self._offered_to(agent_id, interaction_id)
        log.event("acd.no_answer", interaction=interaction_id, agent=agent_id, reason="declined")
        self._back_in_queue(item)
        return item

    def close(self, agent_id: str, interaction_id: str, disposition: str) -> WorkItem:
        item = self.items.get(interaction_id)
        if item is None or item.agent_id != agent_id or item.state is not WorkState.ACCEPTED:
            raise UnknownInteraction(f"interaction {interaction_id} is not accepted by {agent_id}")
        service, now = self.service, self.service.clock()
        decisions = service.router.finished(interaction_id, now)
        item.move(WorkState.CLOSED)
        item.outcome = disposition
        del self.items[interaction_id]
        log.event("acd.work_closed", interaction=interaction_id, agent=agent_id, disposition=disposition)
        service.commit(decisions, lambda writer: writer.ended(interaction_id, now, "answered"), what="work-closed")
        self._tell("closed", item)
        return item

    def agent_left(self, agent_id: str) -> list[Interaction]:
        """The agent paused or logged out: the router put its offers back; snapshots for the store."""
        returned = []
        for item in self.items.values():
            if item.agent_id == agent_id and item.state is WorkState.OFFERED:
                item.move(WorkState.WAITING)
                item.agent_id = None
                returned.append(copy.copy(item.interaction))
                self._tell("returned", item)
        return returned

    # -- views ------------------------------------------------------------------------------------------

    def of_agent(self, agent_id: str) -> list[WorkItem]:
        return [item for item in self.items.values() if item.agent_id == agent_id
                and item.state in (WorkState.OFFERED, WorkState.ACCEPTED)]

    # -- after a restart ----------------------------------------------------------------------------

    def restore(self, held: list[HeldRecord], waiting: list[Interaction]) -> None:
        """Non-voice work the store held: accepted work goes on (the router already has it back);
        offers and waiting work take their places again."""
        service, now = self.service, self.service.clock()
        router_held = service.router.held()
        for record in held:
            interaction = record.interaction
            if record.status == "answered" and interaction.id in router_held:
                self.items[interaction.id] = WorkItem(interaction, WorkState.ACCEPTED, record.agent_id)
            else:
                waiting.append(interaction)
        for interaction in sorted(waiting, key=Interaction.order_key):
            decisions = service.router.interaction_arrived(interaction, now)
            self.items[interaction.id] = WorkItem(interaction)
            snapshot = copy.copy(interaction)
            service.commit(decisions, lambda writer, s=snapshot: writer.waiting(s), what="work-restored")
        if held or waiting:
            log.event("acd.work_restored", count=len(self.items))

    # -- internals ------------------------------------------------------------------------------------

    def _offered_to(self, agent_id: str, interaction_id: str) -> WorkItem:
        item = self.items.get(interaction_id)
        if item is None or item.agent_id != agent_id or item.state is not WorkState.OFFERED:
            raise UnknownInteraction(f"interaction {interaction_id} is not offered to {agent_id}")
        return item

    def _back_in_queue(self, item: WorkItem) -> None:
        service = self.service
        item.move(WorkState.WAITING)
        item.agent_id = None
        decisions = service.router.ring_no_answer(item.interaction.id, service.clock(), NO_ANSWER)
        self._tell("returned", item)
        snapshot = copy.copy(item.interaction)
        service.commit(decisions, lambda writer: writer.waiting(snapshot), what="work-no-answer")

    def _tell(self, event: str, item: WorkItem) -> None:
        for listener in self.listeners:
            try:
                listener(event, item)
            except Exception as exc:  # noqa: BLE001 - one channel's failure must not stop the ACD
                failed("acd.work_listener_failed", exc, interaction=item.interaction.id, event=event)


def _count(interaction_id: str) -> int:
    _, tilde, count = interaction_id.rpartition("~")
    return int(count) if tilde and count.isdigit() else 0
