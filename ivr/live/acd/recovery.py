"""What a controller restart finds, and how each piece goes on.

Agents keep their states (the store has them). An answered call the store holds puts its agent
back on it (busy until it ends). A waiting caller still in the app gets its place back. An offer
that was ringing ended with the old controller: its caller goes back to its place. The other
agents that were ringing, busy or in wrap-up become available once every returning caller is
back in the router, so they take the best-placed caller first (`readmit`).

The store is read once, at start-up (before any call is served); afterwards memory leads.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from acd.model import AgentState, Interaction, Media
from ivr import log
from ivr.errors import AriError
from ivr.live.call import Call

from .offers import BRIDGE_PREFIX, CHANNEL_PREFIX, bridge_id

if TYPE_CHECKING:
    from .service import AcdService

STALE_STATES = (AgentState.RINGING, AgentState.BUSY, AgentState.WRAP_UP)
READMIT_TIMEOUT_S = 5.0


class Recovery:
    def __init__(self, service: AcdService):
        self.service = service
        store = service.store
        held, waiting = store.held(), store.waiting()  # offered or answered, and waiting, before the restart
        self.held = [record for record in held if record.interaction.media is Media.VOICE]
        self.found_waiting = [interaction for interaction in waiting if interaction.media is Media.VOICE]
        # chats, emails and SMS have no channel to come back: the desk takes them back in `readmit`
        self.work_held = [record for record in held if record.interaction.media is not Media.VOICE]
        self.work_waiting = [interaction for interaction in waiting if interaction.media is not Media.VOICE]
        self.resuming: dict[str, Call] = {}  # waiting callers found after a restart, not yet back in the router
        self.lingering: dict[str, Call] = {}  # answered calls found after a restart, still talking
        self.freed_by_restart = self._restore_calls()

    def _restore_calls(self) -> list[str]:
        router, on_call = self.service.router, set()
        for held in self.held + self.work_held:
            agent = router.agents.get(held.agent_id)
            if held.status == "answered" and agent is not None and agent.state is AgentState.BUSY:
                router.call_restored(held.interaction, agent.id, held.answered_at or self.service.clock())
                on_call.add(agent.id)
        return [agent.id for agent in router.agents.values() if agent.state in STALE_STATES and agent.id not in on_call]

    def resume(self, call: Call) -> Callable[[], Awaitable[None]] | None:
        """Claim a re-attached channel the ACD knows: a caller keeps its place, an offer to an
        agent ends (the restart dropped it), a bridged call talks on until one side hangs up."""
        if call.channel_id.startswith(CHANNEL_PREFIX):
            return lambda: self._linger(call, None)
        mine: list[tuple[Interaction, str]] = [(held.interaction, held.status) for held in self.held
                                               if held.interaction.id.split("~")[0] == call.channel_id]
        mine += [(interaction, "waiting") for interaction in self.found_waiting
                 if interaction.id.split("~")[0] == call.channel_id]
        if not mine:
            return lambda: self._linger_or_run(call)
        interaction, status = mine[-1]
        if status == "answered":
            self.lingering[interaction.id] = call
            return lambda: self._linger(call, interaction.id)
        self.resuming[interaction.id] = call
        call.language = interaction.language

        async def wait_again() -> None:
            result = await self.service.handoff.serve(call, interaction, resumed=True)
            call.log("acd.resumed_end", interaction=interaction.id, outcome=result.outcome)
        return wait_again

    async def _linger_or_run(self, call: Call) -> None:
        """A channel the store does not know: if it sits in one of our caller-agent bridges (its
        row was lost), it talks on until one side hangs up; else its flow runs again."""
        bridges = await self.service.controller.ari.get("/bridges") or []
        if any(b["id"].startswith(BRIDGE_PREFIX) and call.channel_id in b.get("channels", []) for b in bridges):
            call.log("acd.unknown_bridge_adopted")
            await self._linger(call, None)
        else:
            await self.service.controller.flow.run(call)

    async def _linger(self, call: Call, interaction_id: str | None) -> None:
        """A bridged call found after a restart: wait for one side to hang up, then end the other.
        (A channel that hung up has already left the bridge: remember the bridge first.)"""
        service = self.service
        ari = service.controller.ari
        bridge = bridge_id(interaction_id) if interaction_id else None
        try:
            if bridge is None:  # an agent's side
                bridge = next((found["id"] for found in await ari.get("/bridges") or []
                               if call.channel_id in found.get("channels", [])), None)
            await asyncio.Event().wait()  # until the controller cancels: one side hung up
        finally:
            if not service.controller.stopping:
                if interaction_id and self.lingering.pop(interaction_id, None):
                    self.call_ended(interaction_id)
                try:
                    found = await ari.get(f"/bridges/{bridge}", missing_ok=True) if bridge else None
                    for other in (found or {}).get("channels", []):
                        await ari.delete(f"/channels/{other}", missing_ok=True)
                except AriError as exc:
                    call.log("acd.linger_cleanup_failed", reason=str(exc))
                if found:
                    await service.offers.destroy_bridge(bridge)

    async def readmit(self) -> None:
        """After re-attaching: once the callers found in the app are back in the router (in any
        order), end what did not come back, then free the agents whose calls the restart ended.
        They then take the best-placed callers first, whatever order the callers came back in."""
        service = self.service
        deadline = service.clock() + READMIT_TIMEOUT_S
        while any(not call.hung_up for call in self.resuming.values()) and service.clock() < deadline:
            await asyncio.sleep(0.02)
        for interaction_id in [iid for iid, call in self.resuming.items() if call.hung_up]:
            del self.resuming[interaction_id]  # hung up before it was back: it is stale
        for interaction_id in [iid for iid, call in self.lingering.items() if call.hung_up]:
            del self.lingering[interaction_id]  # hung up before its watch began
            self.call_ended(interaction_id)
        self._forget_stale()
        service.desk.restore(self.work_held, self.work_waiting)
        self.work_held, self.work_waiting = [], []
        for agent_id in self.freed_by_restart:
            agent = service.router.agents[agent_id]
            if agent.state in STALE_STATES and not agent.held():
                service.commit(service.router.agent_available(agent_id, service.clock()), what="freed-by-restart")
        self.freed_by_restart = []
        self.held, self.found_waiting = [], []  # memory leads from here on

    def _forget_stale(self) -> None:
        """Interactions whose callers did not come back after a restart ended while we were away."""
        service, now = self.service, self.service.clock()
        stale = [(held.interaction.id, held.status) for held in self.held]
        stale += [(interaction.id, "waiting") for interaction in self.found_waiting]
        stale = [(iid, status) for iid, status in stale
                 if iid not in service.waiters and iid not in self.resuming and iid not in self.lingering]
        for interaction_id, status in stale:
            if status == "answered":
                self.call_ended(interaction_id)
            else:
                service.commit([], lambda writer, iid=interaction_id: writer.ended(iid, now, "abandoned"),
                               what="stale")
        if stale:
            log.event("acd.stale_interactions_ended", count=len(stale))

    def call_ended(self, interaction_id: str) -> None:
        """An answered call from before a restart ended: its agent goes to wrap-up."""
        service, now = self.service, self.service.clock()
        decisions = service.router.finished(interaction_id, now) if interaction_id in service.router.held() else []
        service.commit(decisions, lambda writer: writer.ended(interaction_id, now, "answered"), what="call-ended")
