"""A caller in the ACD: from the flow's `queue` node until the ACD is done with it.

The interaction id is the caller's channel id (`~n` for its n-th interaction in one call), so a
controller restart finds a waiting caller's place again (`recovery.py`). Caller input is
bounded here, before the router sees it, to what the store keeps.

Overflow (the queue's `max_wait` passed): to a queue, the caller moves there as a new
interaction (same skills, language, priority and customer; the music goes on) and the flow
learns only how that ends; to anything else, the flow's `queue` node gets the target with the
'overflow' result and goes there when the calling flow has that node.
"""
from __future__ import annotations

import asyncio
import copy
import dataclasses
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acd.decisions import Overflow
from acd.errors import AcdError
from acd.model import Interaction, Media
from acd.store import Store
from ivr.flows.port import QueueRequest, QueueResult
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
    overflow_to: str | None = None  # the acd.yaml target of an overflow that left the ACD

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

    async def enqueue(self, call: Call, request: QueueRequest) -> QueueResult:
        """Keep the caller until the ACD is done with it (moves between queues included). A queue
        that records says so first (its consent prompt), before the caller is queued."""
        await self.service.recorder.consent(call, request.queue)
        interaction = bounded(request, call, self._next_id(call), self.service.clock())
        return await self.serve(call, interaction, resumed=False)

    def _next_id(self, call: Call) -> str:
        count = self._queued.get(call, 0)
        self._queued[call] = count + 1
        return call.channel_id if count == 0 else f"{call.channel_id}~{count}"

    async def serve(self, call: Call, interaction: Interaction, *, resumed: bool) -> QueueResult:
        service = self.service
        if resumed:  # after a restart: later interactions of this call must not reuse its ids
            _, tilde, count = interaction.id.rpartition("~")
            self._queued[call] = max(self._queued.get(call, 0), int(count) + 1 if tilde and count.isdigit() else 1)
            service.recorder.consented(call)  # it was queued, so it heard any consent, before the restart
        try:
            decisions = service.router.interaction_arrived(interaction, service.clock())
        except AcdError as exc:
            call.log("acd.refused", queue=interaction.queue, reason=str(exc))
            return QueueResult(OVERFLOW)
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
            service.waiters.pop(waiter.interaction.id, None)
            if service.controller.stopping:  # a restart: the caller keeps its music, or its agent
                await waiter.hold.detach()
            else:
                await waiter.hold.stop()
                if waiter.bridge:
                    await service.offers.destroy_bridge(waiter.bridge)
                    service.recorder.call_ended(waiter)
        call.forget_keys()  # keys pressed on hold are not answers to the next menu
        if waiter.recording:
            call.record.recordings.append(waiter.recording)
        if outcome == ANSWERED:
            self.agent_left(waiter)
            await call.hangup()
        call.log("acd.left_queue", interaction=waiter.interaction.id, outcome=outcome, recording=waiter.recording or "")
        return QueueResult(outcome, waiter.overflow_to if outcome == OVERFLOW else None)

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
        """The router has ended the interaction ('overflow'): move the caller on, or let it go."""
        waiter.call.log("acd.overflow", interaction=decision.interaction_id, target=decision.target or "",
                        to_queue=decision.to_queue)
        if decision.to_queue and decision.target and not waiter.call.hung_up:
            try:
                self._move(waiter, decision.target)
                return
            except AcdError as exc:
                waiter.call.log("acd.refused", queue=decision.target, reason=str(exc))
        waiter.move(WaiterState.ENDED)
        waiter.overflow_to = None if decision.to_queue else decision.target
        waiter.end(OVERFLOW)

    def _move(self, waiter: Waiter, queue: str) -> None:
        """The caller goes on waiting in `queue` as a new interaction, its hold going on."""
        service, old, now = self.service, waiter.interaction, self.service.clock()
        moved = dataclasses.replace(old, id=self._next_id(waiter.call), queue=queue, enqueued_at=now, seq=None)
        decisions = service.router.interaction_arrived(moved, now)
        del service.waiters[old.id]
        waiter.interaction = moved
        service.waiters[moved.id] = waiter
        if waiter.hold is not None:
            waiter.hold.requeue(service.router.queues[queue])
        waiter.call.log("acd.moved", interaction=old.id, to=moved.id, queue=queue)
        snapshot = copy.copy(moved)
        service.commit(decisions, lambda writer: writer.waiting(snapshot), what="overflow-moved")

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
        explained = (service.explanation(waiter.interaction, "abandoned", now),) \
            if waiter.state is WaiterState.WAITING else ()
        waiter.move(WaiterState.ENDED)
        decisions = service.router.interaction_left(interaction_id, now)
        if offer:
            service.offers.withdraw(offer)
            offer.done.set()
        waiter.call.log("acd.caller_left", interaction=interaction_id, outcome=outcome)
        service.commit(decisions, lambda writer: writer.ended(interaction_id, now, outcome), what="caller-left",
                       explained=explained)

    def _detach(self, waiter: Waiter) -> None:
        """The controller stops: the caller stays in the app and in the store for the next one."""
        if waiter.offer:
            self.service.offers.withdraw(waiter.offer)
