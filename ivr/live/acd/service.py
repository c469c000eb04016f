"""The ACD on live calls: the routing core (`acd.router.Router`) and its store, driven by calls.

`AcdService` owns the router, the store (written off the event loop through `StoreJournal`),
the callers in the ACD (`waiters`) and the ACD's background tasks. Its jobs live apart:

    handoff.py         a caller from the flow's `queue` node to the end of its interaction
    offers.py          ringing an agent's phone, bridging on answer
    recording.py       QA recording of bridged calls: policy, pause/resume, filing with metadata
    desk.py            chats, emails and SMS: offered to the agent's workspace instead of a phone
    recovery.py        what a controller restart finds: callers, offers and bridged calls
    agent_commands.py  log in / out, pause, ready: one place behind feature codes and the control API
    day_stats.py       today's service level and abandons per queue (wallboard, /metrics), from the store

`commit` is the one way an event reaches the router and the store: the router decides in
memory, the same event's writes go to the journal in order, then the decisions are acted on.
An interaction leaving its queue (offered, overflow, abandoned) has its routing explanation,
as it stood then, written in the same transaction, for `ivr queues explain` afterwards.
Inputs are bounded before the router sees them (`Handoff.interaction`), so the store cannot
refuse what the router accepted.
"""
from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable

from acd import config as acd_config
from acd.decisions import Assignment, Decision, Overflow
from acd.explain import explain
from acd.model import Agent, Interaction
from acd.router import Router
from acd.store import ExplanationRecord, Store, StoreWriter
from ivr import log
from ivr.config import Config
from ivr.health import failed
from ivr.live.tasks import TaskOwner
from ivr.prompts.tts import Tts

from .agent_commands import AgentCommands
from .desk import Desk
from .day_stats import DayStats
from .handoff import Handoff, Waiter
from .journal import StoreJournal
from .offers import OFFER_ARG, Offers
from .recording import QaRecorder
from .recovery import Recovery

TICK_S = 0.5  # the longest the router's clock goes unread (wrap-up ends, expansion, maximum waits)


class AcdService:
    def __init__(self, config: Config, controller, tts: Tts, *, clock: Callable[[], float] = time.time):
        self.config, self.controller, self.tts, self.clock = config, controller, tts, clock
        self.acd = acd_config.load(config.acd.file)
        for warning in self.acd.warnings:  # e.g. a queue that records always without a consent prompt
            log.warning("acd.config_warning", problem=str(warning))
        self.store = Store(config.acd.store_url)
        self.journal = StoreJournal(self.store)
        self.router = Router(self.acd.queues.values(), self.store.restore_agents(self.acd.agents))
        self.waiters: dict[str, Waiter] = {}
        self.tasks = TaskOwner("acd")
        self._readmitted = False
        self.offers = Offers(self)
        self.recorder = QaRecorder(self)
        self.handoff = Handoff(self)
        self.recovery = Recovery(self)
        self.agents = AgentCommands(self)
        self.desk = Desk(self)  # chats, emails and SMS: offered to the agents' workspace
        self.day_stats = DayStats(self)
        controller.handlers[OFFER_ARG] = self.offers.agent_answered
        controller.listeners.append(self.offers.on_event)
        controller.resumers.append(self.recovery.resume)
        controller.services.append(self)

    async def enqueue(self, call, request) -> str:
        """The flows' `queue` node hands callers here (`QueueHandoff`)."""
        return await self.handoff.enqueue(call, request)

    async def start(self) -> None:
        self.tasks.supervise("acd-tick", self._tick)
        self.tasks.supervise("acd-day-stats", self.day_stats.follow)

    async def stop(self) -> None:
        await self.tasks.close()
        await asyncio.to_thread(self.journal.close)
        self.store.close()

    # -- decisions and time -----------------------------------------------------------------

    def commit(self, decisions: list[Decision], write: Callable[[StoreWriter], None] | None = None,
               what: str = "acd", explained: tuple[ExplanationRecord, ...] = ()) -> None:
        """Journal what just happened in the router (one transaction, in order), then act on its
        decisions. `write` must capture values, not live objects: it runs later, off the loop."""
        offered = [(d.interaction_id, d.agent_id, d.at) for d in decisions if isinstance(d, Assignment)]
        overflowed = [(d.interaction_id, d.at) for d in decisions if isinstance(d, Overflow)]
        explained += tuple(record for record in map(self._explain_decision, decisions) if record is not None)
        changes = self.router.take_state_changes()
        agents = {c.agent_id: copy.copy(self.router.agents[c.agent_id]) for c in changes}

        def transaction(writer: StoreWriter) -> None:
            if write:
                write(writer)
            for record in explained:
                writer.explained(record)
            for interaction_id, agent_id, at in offered:
                writer.offered(interaction_id, agent_id, at)
            for interaction_id, at in overflowed:
                writer.ended(interaction_id, at, "overflow")
            writer.agent_changes(changes, agents)
        if write or offered or overflowed or changes or explained:
            self.journal.submit(what, transaction)
        for decision in decisions:
            try:
                self._act(decision)
            except Exception as exc:  # noqa: BLE001 - one interaction's failure must not stop the others
                failed("acd.decision_failed", exc, interaction=decision.interaction_id, decision=repr(decision))

    def explanation(self, interaction: Interaction, left: str, now: float) -> ExplanationRecord:
        """Why each agent could or could not take `interaction` at `now`, as the store keeps it."""
        found = explain(interaction, self.router.agents.values(), self.router.queues[interaction.queue], now)
        return ExplanationRecord(interaction.id, now, left, tuple(found.lines()), tuple(found.eligible()))

    def _explain_decision(self, decision: Decision) -> ExplanationRecord | None:
        waiter = self.waiters.get(decision.interaction_id)
        if waiter is None:
            return None
        if isinstance(decision, Assignment):
            left = f"offered to {decision.agent_id}"
        else:
            left = f"overflow to {'queue ' if decision.to_queue else ''}{decision.target or 'nowhere'}"
        return self.explanation(waiter.interaction, left, decision.at)

    def _act(self, decision: Decision) -> None:
        if decision.interaction_id in self.desk.items:
            self.desk.act(decision)
            return
        waiter = self.waiters.get(decision.interaction_id)
        if waiter is None:
            log.error("acd.orphan_decision", interaction=decision.interaction_id, decision=repr(decision))
        elif isinstance(decision, Assignment):
            self.offers.ring(waiter, decision.agent_id)
        else:
            self.handoff.overflowed(waiter, decision)

    async def _tick(self) -> None:
        await self.controller.connected.wait()
        if not self._readmitted:
            await self.recovery.readmit()
            self._readmitted = True
        while True:
            deadline = self.router.next_deadline()
            delay = TICK_S if deadline is None else min(TICK_S, max(0.01, deadline - self.clock()))
            await asyncio.sleep(delay)
            self.commit(self.router.tick(self.clock()), what="tick")

    # -- agents (kept here for the views and tests) -----------------------------------------

    def agent_available(self, agent_id: str, *, login: bool = False):
        return self.agents.available(agent_id, login=login)

    def agent_unavailable(self, agent_id: str, state, reason: str | None = None):
        return self.agents.unavailable(agent_id, state, reason)

    def agent_by_endpoint(self, endpoint: str) -> Agent | None:
        return next((agent for agent in self.router.agents.values() if agent.endpoint == endpoint), None)
