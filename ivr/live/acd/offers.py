"""Offering a waiting caller to an agent: ring the agent's phone, bridge on answer (then `recording.py`).

The agent's channel is originated into our own Stasis app with the app arguments
`acd-offer,<interaction id>`: it enters the app (StasisStart) only once the agent answers,
so an offer that ends before that (timeout, busy, unregistered phone) shows up only as a
ChannelDestroyed event, which the controller hands to our listener.
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from acd.rules import NO_ANSWER, PHONE_BUSY, UNREACHABLE
from ivr import log
from ivr.errors import AriError, AriRequestError
from ivr.health import failed
from ivr.live.call import Call
from ivr.live.states import OFFER_TRANSITIONS, OfferState, WaiterState, move
from ivr.pbx.ari import Event

if TYPE_CHECKING:
    from ivr.live.acd.service import AcdService, Waiter

OFFER_ARG = "acd-offer"
CHANNEL_PREFIX = "acd-offer-"
RETRY_PAUSE_S = 2.0  # after an offer Asterisk did not answer, before the agent can be offered again
RECONNECT_WAIT_S = 30.0  # ... and, while the controller is cut off from Asterisk, at most this longer
RING_BACKSTOP_S = 3.0  # past the ring time, an offer with no hang-up event from Asterisk is given up
BRIDGE_PREFIX = "acd-"  # + the interaction id: the caller-agent bridge
# Q.850 causes of an offer that never rang out: the phone said busy, or could not be reached
# (20 subscriber absent: not registered; 1, 3, 27, 38: no such number, no route, out of order, network).
Q850_USER_BUSY = 17
Q850_UNREACHABLE = frozenset({1, 3, 20, 27, 38})


@dataclass(eq=False)
class Offer:
    channel_id: str
    agent_id: str
    interaction_id: str
    state: OfferState = OfferState.RINGING
    done: asyncio.Event = field(default_factory=asyncio.Event)  # the call is over on the caller's side
    timer: asyncio.TimerHandle | None = None

    @property
    def answered(self) -> bool:
        return self.state is OfferState.ANSWERED

    @property
    def ringing(self) -> bool:
        return self.state is OfferState.RINGING

    def move(self, to: OfferState) -> None:
        self.state = move(self.state, to, OFFER_TRANSITIONS, f"offer {self.channel_id}")
        if to is not OfferState.RINGING and self.timer:
            self.timer.cancel()


def pause_reason_for(cause: int | None) -> str:
    """The agent's pause reason after an offer ended unanswered with this Q.850 hang-up cause."""
    if cause == Q850_USER_BUSY:
        return PHONE_BUSY
    if cause in Q850_UNREACHABLE:
        return UNREACHABLE
    return NO_ANSWER


def bridge_id(interaction_id: str) -> str:
    return f"{BRIDGE_PREFIX}{interaction_id}"


class Offers:
    def __init__(self, service: AcdService):
        self.service = service
        self.ari = service.controller.ari
        self.by_channel: dict[str, Offer] = {}

    def ring(self, waiter: Waiter, agent_id: str) -> Offer:
        offer = Offer(f"{CHANNEL_PREFIX}{uuid.uuid4().hex[:16]}", agent_id, waiter.interaction.id)
        self.by_channel[offer.channel_id] = offer
        waiter.offer = offer
        waiter.move(WaiterState.OFFERED)
        self.service.tasks.spawn(self._originate(offer, waiter), f"ring-{offer.channel_id}")
        return offer

    async def _originate(self, offer: Offer, waiter: Waiter) -> None:
        service = self.service
        agent = service.router.agents[offer.agent_id]
        queue = service.router.queues[waiter.interaction.queue]
        caller = waiter.call.record.caller or "ACD"
        log.event("acd.offer", interaction=offer.interaction_id, agent=agent.id, channel=offer.channel_id)
        try:
            await self.ari.post("/channels", params={
                "endpoint": f"PJSIP/{agent.endpoint}", "app": service.config.ari.app,
                "appArgs": f"{OFFER_ARG},{offer.interaction_id}", "channelId": offer.channel_id,
                "timeout": int(queue.ring_timeout_s), "callerId": f'"{caller}" <{caller}>'})
        except AriRequestError as exc:  # Asterisk refused: an unregistered phone, no such endpoint
            log.warning("acd.offer_failed", interaction=offer.interaction_id, agent=agent.id, reason=str(exc))
            self._unanswered(offer, UNREACHABLE)
            return
        except Exception as exc:  # noqa: BLE001 - no answer from Asterisk (timeout, connection): ours, not the agent's
            failed("acd.offer_failed", exc, interaction=offer.interaction_id, agent=agent.id)
            await self.hang_up(offer)  # it may have been placed after all
            await self._asterisk_back()  # no tight loop of offers to an Asterisk that is down
            self._unanswered(offer, None)  # the agent returns to the state it was in
            return
        if offer.ringing:
            # Asterisk gives up after `timeout` itself; this is the backstop should its event go missing.
            offer.timer = asyncio.get_running_loop().call_later(queue.ring_timeout_s + RING_BACKSTOP_S,
                                                                self._ring_expired, offer)

    async def _asterisk_back(self) -> None:
        """A short pause, then until the event stream is up again (at most RECONNECT_WAIT_S)."""
        await asyncio.sleep(RETRY_PAUSE_S)
        try:
            await asyncio.wait_for(self.service.controller.connected.wait(), RECONNECT_WAIT_S)
        except TimeoutError:
            pass

    def _ring_expired(self, offer: Offer) -> None:
        if offer.ringing:
            log.warning("acd.offer_expired", interaction=offer.interaction_id, agent=offer.agent_id,
                        reason="no hang-up event from Asterisk after the ring time")
            self.service.tasks.spawn(self.hang_up(offer), f"hangup-{offer.channel_id}")
            self._unanswered(offer, None)  # Asterisk, not the agent, went silent: the agent is as before

    def _unanswered(self, offer: Offer, pause_reason: str | None) -> None:
        self.by_channel.pop(offer.channel_id, None)
        if offer.ringing:
            offer.move(OfferState.UNANSWERED)
            self.service.handoff.back_in_queue(offer, pause_reason)

    async def hang_up(self, offer: Offer) -> None:
        try:
            await self.ari.delete(f"/channels/{offer.channel_id}", missing_ok=True)
        except AriError as exc:
            log.warning("acd.hangup_failed", channel=offer.channel_id, reason=str(exc))

    def withdraw(self, offer: Offer) -> None:
        """Stop ringing the agent: its channel goes, and that is not a ring-no-answer."""
        if offer.ringing:
            offer.move(OfferState.WITHDRAWN)
            self.service.tasks.spawn(self.hang_up(offer), f"hangup-{offer.channel_id}")

    def on_event(self, event: Event) -> None:
        if event["type"] != "ChannelDestroyed":
            return
        offer = self.by_channel.pop(event["channel"]["id"], None)
        if offer is None:
            return
        if offer.ringing:
            reason = pause_reason_for(event.get("cause"))
            log.event("acd.no_answer", interaction=offer.interaction_id, agent=offer.agent_id, reason=reason,
                      cause=event.get("cause_txt", ""))
            self._unanswered(offer, reason)

    # -- the agent answered: its channel runs this instead of a flow -----------------------

    async def agent_answered(self, agent_call: Call, args: list[str]) -> None:
        service = self.service
        offer = self.by_channel.get(agent_call.channel_id)
        waiter = service.waiters.get(offer.interaction_id) if offer else None
        if offer is None or not offer.ringing or waiter is None or waiter.offer is not offer:
            return  # too late (caller gone, offer withdrawn, or a restart): the controller hangs it up
        offer.move(OfferState.ANSWERED)
        service.handoff.answered(waiter)
        try:
            await waiter.hold.stop()
            await self._bridge(waiter, agent_call)
            await offer.done.wait()
        finally:
            if not offer.done.is_set() and not service.controller.stopping:
                waiter.end("answered")  # the agent hung up (or bridging failed): the caller's side ends

    async def _bridge(self, waiter: Waiter, agent_call: Call) -> None:
        bridge = bridge_id(waiter.interaction.id)
        await self.ari.post(f"/bridges/{bridge}", params={"type": "mixing", "name": bridge})
        await self.ari.post(f"/bridges/{bridge}/addChannel",
                            params={"channel": f"{waiter.call.channel_id},{agent_call.channel_id}"})
        waiter.bridge = bridge
        log.event("acd.bridged", interaction=waiter.interaction.id, agent=waiter.offer.agent_id, bridge=bridge)
        await self.service.recorder.bridged(waiter)

    async def destroy_bridge(self, bridge: str) -> None:
        try:
            await self.ari.delete(f"/bridges/{bridge}", missing_ok=True)
        except AriError as exc:
            log.warning("acd.bridge_cleanup_failed", bridge=bridge, reason=str(exc))
