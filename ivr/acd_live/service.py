"""The ACD on live calls: the flows' `queue` node hands callers here (`QueueHandoff`).

One `AcdService` per controller owns the routing core (`acd.router.Router`) and its store. It
turns router decisions into telephony (ring an agent, bridge, overflow) and telephony events
back into router events (answered, ring-no-answer, caller or agent hung up), and writes every
change to the store in one transaction per event. The interaction id is the caller's channel
id, so a controller restart finds a waiting caller's place again (`resume`).
"""
from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from acd import config as acd_config
from acd.decisions import Assignment, Decision
from acd.errors import AcdError
from acd.model import Agent, AgentState, Interaction, Media
from acd.router import Router
from acd.store import Store, StoreWriter

from .. import log
from ..call import Call
from ..config import Config
from ..flows.port import QueueRequest
from ..prompts.tts import Tts
from .hold import Hold
from .offers import CHANNEL_PREFIX, OFFER_ARG, Offer, Offers

STALE_STATES = (AgentState.RINGING, AgentState.BUSY, AgentState.WRAP_UP)


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
    closed: bool = False  # the router and the store know how it ended

    def end(self, outcome: str) -> None:
        if not self.result.done():
            self.result.set_result(outcome)


class AcdService:
    def __init__(self, config: Config, controller, tts: Tts, *, clock: Callable[[], float] = time.time):
        self.config, self.controller, self.tts, self.clock = config, controller, tts, clock
        self.acd = acd_config.load(config.acd.file)
        self.store = Store(config.acd.store_url)
        self.router = Router(self.acd.queues.values(), self._restore_agents(self.acd.agents))
        self.waiters: dict[str, Waiter] = {}
        self.offers = Offers(self)
        self.resuming: set[str] = set()
        self._queued: weakref.WeakKeyDictionary[Call, int] = weakref.WeakKeyDictionary()
        self._ticker: asyncio.Task[None] | None = None
        controller.handlers[OFFER_ARG] = self.offers.agent_answered
        controller.listeners.append(self.offers.on_event)
        controller.resumers.append(self.resume)
        controller.services.append(self)

    def _restore_agents(self, agents: list[Agent]) -> list[Agent]:
        """Agents keep their state across a restart; calls in progress do not survive one, so an
        agent that was ringing, busy or in wrap-up comes back available."""
        now = self.clock()
        agents = self.store.restore_agents(agents)
        stale = [agent for agent in agents if agent.state in STALE_STATES]
        for agent in stale:
            agent.state, agent.state_since, agent.last_idle = AgentState.AVAILABLE, now, now
        with self.store.write() as writer:
            for agent in stale:
                writer.save_agent(agent)
        return agents

    async def start(self) -> None:
        self._ticker = asyncio.create_task(self._tick(), name="acd-tick")

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        self.store.close()

    # -- the queue node's handoff -----------------------------------------------------------

    async def enqueue(self, call: Call, request: QueueRequest) -> str:
        count = self._queued.get(call, 0)
        self._queued[call] = count + 1
        interaction = Interaction(
            call.channel_id if count == 0 else f"{call.channel_id}~{count}", request.queue, Media.VOICE,
            dict(request.skills), request.language, request.priority, self.clock(),
            request.customer or call.record.caller)
        return await self._serve(call, interaction, resumed=False)

    def resume(self, call: Call) -> Callable[[], Awaitable[None]] | None:
        """Claim a re-attached channel the ACD knows: a caller keeps its place, an offer to an
        agent ends (the restart dropped it), a bridged call talks on until one side hangs up."""
        if call.channel_id.startswith(CHANNEL_PREFIX):
            return lambda: self._linger(call, None)
        mine = [(interaction, status) for interaction, _, status in self.store.held()
                if interaction.id.split("~")[0] == call.channel_id]
        mine += [(interaction, "waiting") for interaction in self.store.waiting()
                 if interaction.id.split("~")[0] == call.channel_id]
        if not mine:
            return None
        interaction, status = mine[-1]
        self.resuming.add(interaction.id)
        if status == "answered":
            return lambda: self._linger(call, interaction.id)
        call.language = interaction.language

        async def wait_again() -> None:
            outcome = await self._serve(call, interaction, resumed=True)
            call.log("acd.resumed_end", interaction=interaction.id, outcome=outcome)
        return wait_again

    async def _serve(self, call: Call, interaction: Interaction, *, resumed: bool) -> str:
        now = self.clock()
        try:
            decisions = self.router.interaction_arrived(interaction, now)
        except AcdError as exc:
            call.log("acd.refused", queue=interaction.queue, reason=str(exc))
            return "overflow"
        finally:
            self.resuming.discard(interaction.id)
        waiter = self.waiters[interaction.id] = Waiter(interaction, call)
        waiter.hold = Hold(call, self.router.queues[interaction.queue], self.tts, lambda: self._where(waiter))
        call.log("acd.enqueued", interaction=interaction.id, queue=interaction.queue, resumed=resumed,
                 position=self.router.position(interaction.id) if interaction.id in self._waiting_ids() else 0)
        self._commit(decisions, lambda writer: writer.waiting(interaction))
        try:
            await waiter.hold.start(announce_now=waiter.offer is None)
            outcome = await waiter.result
        except asyncio.CancelledError:
            if self.controller.stopping:
                self._detach(waiter)
            else:
                self._caller_left(waiter)
            raise
        finally:
            self.waiters.pop(interaction.id, None)
            await waiter.hold.stop()
            if waiter.bridge:
                await self.offers.destroy_bridge(waiter.bridge)
        if outcome == "answered":
            self._agent_left(waiter)
            await call.hangup()
        call.log("acd.left_queue", interaction=interaction.id, outcome=outcome, recording=waiter.recording or "")
        return outcome

    def _where(self, waiter: Waiter) -> tuple[int | None, float | None] | None:
        if waiter.interaction.id not in self._waiting_ids():
            return None
        settings = self.router.queues[waiter.interaction.queue].announcements
        return (self.router.position(waiter.interaction.id) if settings.position else None,
                self.router.estimated_wait_s(waiter.interaction.id) if settings.estimated_wait else None)

    def _waiting_ids(self) -> set[str]:
        return {interaction.id for interaction in self.router.waiting()}

    # -- events from the calls --------------------------------------------------------------

    def answered(self, waiter: Waiter) -> None:
        interaction_id, now = waiter.interaction.id, self.clock()
        self.router.answered(interaction_id, now)
        self._commit([], lambda writer: writer.answered(interaction_id, now))

    def no_answer(self, offer: Offer) -> None:
        waiter = self.waiters.get(offer.interaction_id)
        if waiter is None or waiter.offer is not offer or waiter.closed:
            return
        waiter.offer = None
        decisions = self.router.ring_no_answer(offer.interaction_id, self.clock())
        self._commit(decisions, lambda writer: writer.waiting(waiter.interaction))

    def _agent_left(self, waiter: Waiter) -> None:
        if waiter.closed:
            return
        waiter.closed = True
        waiter.offer.done.set()
        interaction_id, now = waiter.interaction.id, self.clock()
        decisions = self.router.finished(interaction_id, now)
        self._commit(decisions, lambda writer: writer.ended(interaction_id, now, "answered"))

    def _caller_left(self, waiter: Waiter) -> None:
        if waiter.closed:
            return
        waiter.closed = True
        offer, interaction_id, now = waiter.offer, waiter.interaction.id, self.clock()
        outcome = "answered" if offer and offer.answered else "abandoned"
        decisions = self.router.interaction_left(interaction_id, now)
        if offer:
            if not offer.answered:
                self.offers.withdraw(offer)
            offer.done.set()
        waiter.call.log("acd.caller_left", interaction=interaction_id, outcome=outcome)
        self._commit(decisions, lambda writer: writer.ended(interaction_id, now, outcome))

    def _detach(self, waiter: Waiter) -> None:
        """The controller stops: the caller stays in the app and in the store for the next one."""
        if waiter.offer and not waiter.offer.answered:
            self.offers.withdraw(waiter.offer)

    async def _linger(self, call: Call, interaction_id: str | None) -> None:
        """A bridged call found after a restart: wait for one side to hang up, then end the other."""
        try:
            await asyncio.Event().wait()
        finally:
            if not self.controller.stopping:
                if interaction_id:
                    now = self.clock()
                    with self.store.write() as writer:
                        writer.ended(interaction_id, now, "answered")
                for bridge in await self.controller.ari.get("/bridges") or []:
                    if call.channel_id in bridge.get("channels", []):
                        for other in bridge["channels"]:
                            await self.controller.ari.delete(f"/channels/{other}", missing_ok=True)
                        await self.offers.destroy_bridge(bridge["id"])

    # -- decisions and time -----------------------------------------------------------------

    def _commit(self, decisions: list[Decision], write: Callable[[StoreWriter], None] | None = None) -> None:
        """Store what just happened (one transaction), then act on the router's decisions."""
        with self.store.write() as writer:
            if write:
                write(writer)
            for decision in decisions:
                if isinstance(decision, Assignment):
                    writer.offered(decision.interaction_id, decision.agent_id, decision.at)
                else:
                    writer.ended(decision.interaction_id, decision.at, "overflow")
            writer.agent_changes(self.router.take_state_changes(), self.router.agents)
        for decision in decisions:
            waiter = self.waiters.get(decision.interaction_id)
            if waiter is None:
                log.error("acd.orphan_decision", interaction=decision.interaction_id, decision=repr(decision))
            elif isinstance(decision, Assignment):
                self.offers.ring(waiter, decision.agent_id)
            else:
                waiter.closed = True
                waiter.call.log("acd.overflow", interaction=decision.interaction_id, target=decision.target or "")
                waiter.end("overflow")

    async def _tick(self) -> None:
        await self.controller.connected.wait()
        self._forget_stale()
        while True:
            deadline = self.router.next_deadline()
            delay = 0.5 if deadline is None else min(0.5, max(0.01, deadline - self.clock()))
            await asyncio.sleep(delay)
            try:
                self._commit(self.router.tick(self.clock()))
            except Exception as exc:  # a bad tick must not stop time for every other caller
                log.error("acd.tick_failed", reason=repr(exc))

    def _forget_stale(self) -> None:
        """After re-attaching: interactions whose callers did not come back ended while we were away."""
        now = self.clock()
        stale = [(interaction.id, status) for interaction, _, status in self.store.held()]
        stale += [(interaction.id, "waiting") for interaction in self.store.waiting()]
        stale = [(iid, status) for iid, status in stale if iid not in self.waiters and iid not in self.resuming]
        with self.store.write() as writer:
            for interaction_id, status in stale:
                writer.ended(interaction_id, now, "answered" if status == "answered" else "abandoned")
        if stale:
            log.event("acd.stale_interactions_ended", count=len(stale))

    # -- agents -----------------------------------------------------------------------------

    def agent_available(self, agent_id: str, *, login: bool = False) -> AgentState:
        agent = self._agent(agent_id)
        if login and agent.state is not AgentState.LOGGED_OUT:
            raise AcdError(f"agent {agent_id} is already logged in ({agent.state.value})")
        if not login and agent.state is AgentState.LOGGED_OUT:
            raise AcdError(f"agent {agent_id} is logged out: log in first")
        self._commit(self.router.agent_available(agent_id, self.clock()))
        return agent.state

    def agent_unavailable(self, agent_id: str, state: AgentState, reason: str | None = None) -> AgentState:
        agent = self._agent(agent_id)
        if reason is not None:
            self.acd.check_pause_reason(reason)
        ringing = [waiter for waiter in self.waiters.values()
                   if waiter.offer and waiter.offer.agent_id == agent_id and not waiter.offer.answered]
        decisions = self.router.agent_unavailable(agent_id, self.clock(), state, reason)
        for waiter in ringing:  # the router put them back in their queues
            self.offers.withdraw(waiter.offer)
            waiter.offer = None

        def back_in_queue(writer: StoreWriter) -> None:
            for waiter in ringing:
                writer.waiting(waiter.interaction)
        self._commit(decisions, back_in_queue)
        return agent.state

    def _agent(self, agent_id: str) -> Agent:
        agent = self.router.agents.get(agent_id)
        if agent is None:
            raise AcdError(f"unknown agent {agent_id} (known: {', '.join(self.router.agents)})")
        return agent

    def agent_by_endpoint(self, endpoint: str) -> Agent | None:
        return next((agent for agent in self.router.agents.values() if agent.endpoint == endpoint), None)
