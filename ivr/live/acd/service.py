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
from ivr import log
from ivr.config import Config
from ivr.flows.port import QueueRequest
from ivr.live.acd.hold import Hold
from ivr.live.acd.offers import CHANNEL_PREFIX, OFFER_ARG, Offer, Offers, bridge_id
from ivr.live.call import Call
from ivr.prompts.tts import Tts

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
        self.router = Router(self.acd.queues.values(), self.store.restore_agents(self.acd.agents))
        self.waiters: dict[str, Waiter] = {}
        self.offers = Offers(self)
        self.resuming: dict[str, Call] = {}  # waiting callers found after a restart, not yet back in the router
        self.lingering: dict[str, Call] = {}  # answered calls found after a restart, still talking
        self._freed_by_restart = self._restore_calls()
        self._queued: weakref.WeakKeyDictionary[Call, int] = weakref.WeakKeyDictionary()
        self._ticker: asyncio.Task[None] | None = None
        controller.handlers[OFFER_ARG] = self.offers.agent_answered
        controller.listeners.append(self.offers.on_event)
        controller.resumers.append(self.resume)
        controller.services.append(self)

    def _restore_calls(self) -> list[str]:
        """After a restart, agents keep their states. An answered call the store holds puts its
        agent back on it (busy until it ends). Returns the other agents that were ringing, busy
        or in wrap-up: their calls are gone, and they become available once the callers still
        in the app have their places back (`_readmit`)."""
        on_call = set()
        for held in self.store.held():
            agent = self.router.agents.get(held.agent_id)
            if held.status == "answered" and agent is not None and agent.state is AgentState.BUSY:
                self.router.call_restored(held.interaction, agent.id, held.answered_at or self.clock())
                on_call.add(agent.id)
        return [agent.id for agent in self.router.agents.values()
                if agent.state in STALE_STATES and agent.id not in on_call]

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
        mine = [(held.interaction, held.status) for held in self.store.held()
                if held.interaction.id.split("~")[0] == call.channel_id]
        mine += [(interaction, "waiting") for interaction in self.store.waiting()
                 if interaction.id.split("~")[0] == call.channel_id]
        if not mine:
            return None
        interaction, status = mine[-1]
        if status == "answered":
            self.lingering[interaction.id] = call
            return lambda: self._linger(call, interaction.id)
        self.resuming[interaction.id] = call
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
            self.resuming.pop(interaction.id, None)
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
            if self.controller.stopping:  # a restart: the caller keeps its music, or its agent
                await waiter.hold.detach()
            else:
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

    def no_answer(self, offer: Offer, pause_reason: str) -> None:
        """The offer ended unanswered: the agent is paused with `pause_reason`, the caller goes on."""
        waiter = self.waiters.get(offer.interaction_id)
        if waiter is None or waiter.offer is not offer or waiter.closed:
            return
        waiter.offer = None
        decisions = self.router.ring_no_answer(offer.interaction_id, self.clock(), pause_reason)
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
        """A bridged call found after a restart: wait for one side to hang up, then end the other.
        (A channel that hung up has already left the bridge: remember the bridge first.)"""
        ari = self.controller.ari
        bridge = bridge_id(interaction_id) if interaction_id else None
        try:
            if bridge is None:  # an agent's side
                bridge = next((found["id"] for found in await ari.get("/bridges") or []
                               if call.channel_id in found.get("channels", [])), None)
            await asyncio.Event().wait()
        finally:
            if not self.controller.stopping:
                if interaction_id and self.lingering.pop(interaction_id, None):
                    self._call_ended(interaction_id)
                found = await ari.get(f"/bridges/{bridge}", missing_ok=True) if bridge else None
                if found:
                    for other in found.get("channels", []):
                        await ari.delete(f"/channels/{other}", missing_ok=True)
                    await self.offers.destroy_bridge(bridge)

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
        await self._readmit()
        while True:
            deadline = self.router.next_deadline()
            delay = 0.5 if deadline is None else min(0.5, max(0.01, deadline - self.clock()))
            await asyncio.sleep(delay)
            try:
                self._commit(self.router.tick(self.clock()))
            except Exception as exc:  # a bad tick must not stop time for every other caller
                log.error("acd.tick_failed", reason=repr(exc))

    async def _readmit(self, timeout_s: float = 5.0) -> None:
        """After re-attaching: once the callers found in the app are back in the router (in any
        order), end what did not come back, then free the agents whose calls the restart ended.
        They then take the best-placed callers first, whatever order the callers came back in."""
        deadline = self.clock() + timeout_s
        while any(not call.hung_up for call in self.resuming.values()) and self.clock() < deadline:
            await asyncio.sleep(0.02)
        for interaction_id in [iid for iid, call in self.resuming.items() if call.hung_up]:
            del self.resuming[interaction_id]  # hung up before it was back: it is stale
        for interaction_id in [iid for iid, call in self.lingering.items() if call.hung_up]:
            del self.lingering[interaction_id]  # hung up before its watch began
            self._call_ended(interaction_id)
        self._forget_stale()
        for agent_id in self._freed_by_restart:
            agent = self.router.agents[agent_id]
            if agent.state in STALE_STATES and not agent.held():
                self._commit(self.router.agent_available(agent_id, self.clock()))
        self._freed_by_restart = []

    def _forget_stale(self) -> None:
        """Interactions whose callers did not come back after a restart ended while we were away."""
        now = self.clock()
        stale = [(held.interaction.id, held.status) for held in self.store.held()]
        stale += [(interaction.id, "waiting") for interaction in self.store.waiting()]
        stale = [(iid, status) for iid, status in stale
                 if iid not in self.waiters and iid not in self.resuming and iid not in self.lingering]
        for interaction_id, status in stale:
            if status == "answered":
                self._call_ended(interaction_id)
            else:
                with self.store.write() as writer:
                    writer.ended(interaction_id, now, "abandoned")
        if stale:
            log.event("acd.stale_interactions_ended", count=len(stale))

    def _call_ended(self, interaction_id: str) -> None:
        """An answered call from before a restart ended: its agent goes to wrap-up."""
        now = self.clock()
        decisions = self.router.finished(interaction_id, now) if interaction_id in self.router.held() else []
        self._commit(decisions, lambda writer: writer.ended(interaction_id, now, "answered"))

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
