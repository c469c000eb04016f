"""A caller in the ACD: from the flow's `queue` node until its interaction ends.

The interaction id is the caller's channel id (`~n` for its n-th queue in one call), so a
controller restart finds a waiting caller's place again (`recovery.py`). Caller input is
bounded here, before the router sees it, to what the store keeps.
"""
from __future__ import annotations

import asyncio
import copy
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acd.decisions import Overflow
from acd.errors import AcdError
from acd.model import Interaction, Media
from acd.store import Store
from ivr.flows.port import QueueRequest
from ivr.live.call import Call
from ivr.live.states import WAITER_TRANSITIONS, WaiterState, move

from .hold import Hold

if TYPE_CHECKING:
    from .offers import Offer
    from .service import AcdService

ANSWERED, ABANDONED, OVERFLOW = "answered", "abandoned", "overflow"


@dataclass(eq=False)
class Waiter:
    """A caller in the ACD, from enqueue until its interaction ends."""

    interaction: Interaction
    call: Call
    hold: Hold | None = None
    result: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    offer: Offer | None = None
    bridge: str | None = None
    recording: str | None = None
    state: WaiterState = WaiterState.WAITING

    @property
    def closed(self) -> bool:
        """The router and the store know how it ended."""
        return self.state is WaiterState.ENDED

    def move(self, to: WaiterState) -> None:
        self.state = move(self.state, to, WAITER_TRANSITIONS, f"interaction {self.interaction.id}")

    def end(self, outcome: str) -> None:
        if not self.result.done():
            self.result.set_result(outcome)


def bounded(request: QueueRequest, call: Call, interaction_id: str, now: float) -> Interaction:
    """The interaction for a queue request, its caller-given texts cut to what the store keeps."""
    customer = (request.customer or call.record.caller)[:Store.CUSTOMER_CHARS]
    return Interaction(interaction_id, request.queue, Media.VOICE, dict(request.skills),
                       request.language[:Store.LANGUAGE_CHARS], request.priority, now, customer)


class Handoff:
    def __init__(self, service: AcdService):
        self.service = service
        self._queued: weakref.WeakKeyDictionary[Call, int] = weakref.WeakKeyDictionary()

    async def enqueue(self, call: Call, request: QueueRequest) -> str:
        """Keep the caller until the interaction ends; 'answered', 'abandoned' or 'overflow'."""
        count = self._queued.get(call, 0)
        self._queued[call] = count + 1
        interaction_id = call.channel_id if count == 0 else f"{call.channel_id}~{count}"
        return await self.serve(call, bounded(request, call, interaction_id, self.service.clock()), resumed=False)

    async def serve(self, call: Call, interaction: Interaction, *, resumed: bool) -> str:
        service = self.service
        try:
            decisions = service.router.interaction_arrived(interaction, service.clock())
        except AcdError as exc:
            call.log("acd.refused", queue=interaction.queue, reason=str(exc))
            return OVERFLOW
        finally:
            service.recovery.resuming.pop(interaction.id, None)
        waiter = service.waiters[interaction.id] = Waiter(interaction, call)
        waiter.hold = Hold(call, service.router.queues[interaction.queue], service.tts, lambda: self._where(waiter),
                           service.tasks)
        call.log("acd.enqueued", interaction=interaction.id, queue=interaction.queue, resumed=resumed,
                 position=self._position(interaction.id))
        snapshot = copy.copy(interaction)
        service.commit(decisions, lambda writer: writer.waiting(snapshot), what="enqueued")
        try:
            await waiter.hold.start(announce_now=waiter.offer is None)
            outcome = await waiter.result
        except asyncio.CancelledError:
            if service.controller.stopping:
                self._detach(waiter)
            else:
                self.caller_left(waiter)
            raise
        finally:
            service.waiters.pop(interaction.id, None)
            if service.controller.stopping:  # a restart: the caller keeps its music, or its agent
                await waiter.hold.detach()
            else:
                await waiter.hold.stop()
                if waiter.bridge:
                    await service.offers.destroy_bridge(waiter.bridge)
        call.forget_keys()  # keys pressed on hold are not answers to the next menu
        if outcome == ANSWERED:
            self.agent_left(waiter)
            await call.hangup()
        call.log("acd.left_queue", interaction=interaction.id, outcome=outcome, recording=waiter.recording or "")
        return outcome

    def _position(self, interaction_id: str) -> int:
        waiting = [interaction.id for interaction in self.service.router.waiting()]
        return waiting.index(interaction_id) + 1 if interaction_id in waiting else 0

    def _where(self, waiter: Waiter) -> tuple[int | None, float | None] | None:
        router = self.service.router
        if waiter.state is not WaiterState.WAITING or not self._position(waiter.interaction.id):
            return None
        settings = router.queues[waiter.interaction.queue].announcements
        return (router.position(waiter.interaction.id) if settings.position else None,
                router.estimated_wait_s(waiter.interaction.id) if settings.estimated_wait else None)

    # -- events from the calls --------------------------------------------------------------

    def answered(self, waiter: Waiter) -> None:
        service = self.service
        interaction_id, now = waiter.interaction.id, service.clock()
        service.router.answered(interaction_id, now)
        waiter.move(WaiterState.BRIDGED)
        service.commit([], lambda writer: writer.answered(interaction_id, now), what="answered")

    def back_in_queue(self, offer: Offer, pause_reason: str | None) -> None:
        """The offer ended unanswered: the caller goes back to its place; the agent is paused
        with `pause_reason`, or (None) returns to the state it was in."""
        service = self.service
        waiter = service.waiters.get(offer.interaction_id)
        if waiter is None or waiter.offer is not offer or waiter.closed:
            return
        waiter.offer = None
        waiter.move(WaiterState.WAITING)
        decisions = service.router.ring_no_answer(offer.interaction_id, service.clock(), pause_reason)
        snapshot = copy.copy(waiter.interaction)
        service.commit(decisions, lambda writer: writer.waiting(snapshot), what="no-answer")

    def overflowed(self, waiter: Waiter, decision: Overflow) -> None:
        waiter.move(WaiterState.ENDED)
        waiter.call.log("acd.overflow", interaction=decision.interaction_id, target=decision.target or "")
        waiter.end(OVERFLOW)

    def agent_left(self, waiter: Waiter) -> None:
        if waiter.closed:
            return
        waiter.move(WaiterState.ENDED)
        if waiter.offer:
            waiter.offer.done.set()
        service = self.service
        interaction_id, now = waiter.interaction.id, service.clock()
        decisions = service.router.finished(interaction_id, now)
        service.commit(decisions, lambda writer: writer.ended(interaction_id, now, ANSWERED), what="finished")

    def caller_left(self, waiter: Waiter) -> None:
        if waiter.closed:
            return
        service = self.service
        offer, interaction_id, now = waiter.offer, waiter.interaction.id, service.clock()
        outcome = ANSWERED if waiter.state is WaiterState.BRIDGED else ABANDONED
        waiter.move(WaiterState.ENDED)
        decisions = service.router.interaction_left(interaction_id, now)
        if offer:
            service.offers.withdraw(offer)
            offer.done.set()
        waiter.call.log("acd.caller_left", interaction=interaction_id, outcome=outcome)
        service.commit(decisions, lambda writer: writer.ended(interaction_id, now, outcome), what="caller-left")

    def _detach(self, waiter: Waiter) -> None:
        """The controller stops: the caller stays in the app and in the store for the next one."""
        if waiter.offer:
            self.service.offers.withdraw(waiter.offer)
