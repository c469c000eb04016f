"""What an agent (or a supervisor for them) can ask of the ACD: log in, log out, pause, ready.

One place behind both the feature codes dialed from agent phones (`features.py`) and the
control API (`control.py`): each checks and words its answer, this module decides and acts.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from acd.errors import AcdError, UnknownAgent
from acd.model import Agent, AgentState
from ivr.live.states import WaiterState

if TYPE_CHECKING:
    from .service import AcdService

LOGIN, LOGOUT, PAUSE, READY = "login", "logout", "pause", "ready"
VERBS = (LOGIN, LOGOUT, PAUSE, READY)


class AgentCommands:
    def __init__(self, service: AcdService):
        self.service = service

    def do(self, verb: str, agent_id: str, reason: str | None = None) -> AgentState:
        """Apply one verb; AcdError (one line) when the agent, verb or reason is wrong or the move is not possible."""
        if verb == LOGIN:
            return self.available(agent_id, login=True)
        if verb == READY:
            return self.available(agent_id)
        if verb == LOGOUT:
            return self.unavailable(agent_id, AgentState.LOGGED_OUT)
        if verb == PAUSE:
            if not reason:
                raise AcdError("pause needs a reason")
            return self.unavailable(agent_id, AgentState.PAUSED, reason)
        raise AcdError(f"unknown action {verb} (one of: {', '.join(VERBS)})")

    def available(self, agent_id: str, *, login: bool = False) -> AgentState:
        service = self.service
        agent = self.agent(agent_id)
        if login and agent.state is not AgentState.LOGGED_OUT:
            raise AcdError(f"agent {agent_id} is already logged in ({agent.state.value})")
        if not login and agent.state is AgentState.LOGGED_OUT:
            raise AcdError(f"agent {agent_id} is logged out: log in first")
        service.commit(service.router.agent_available(agent_id, service.clock()), what=f"agent-{agent_id}")
        return agent.state

    def unavailable(self, agent_id: str, state: AgentState, reason: str | None = None) -> AgentState:
        service = self.service
        agent = self.agent(agent_id)
        if reason is not None:
            service.acd.check_pause_reason(reason)
        ringing = [waiter for waiter in service.waiters.values()
                   if waiter.offer and waiter.offer.agent_id == agent_id and waiter.offer.ringing]
        decisions = service.router.agent_unavailable(agent_id, service.clock(), state, reason)
        snapshots = []
        for waiter in ringing:  # the router put them back in their queues
            service.offers.withdraw(waiter.offer)
            waiter.offer = None
            waiter.move(WaiterState.WAITING)
            snapshots.append(copy.copy(waiter.interaction))
        snapshots += service.desk.agent_left(agent_id)

        def back_in_queue(writer) -> None:
            for interaction in snapshots:
                writer.waiting(interaction)
        service.commit(decisions, back_in_queue, what=f"agent-{agent_id}")
        return agent.state

    def agent(self, agent_id: str) -> Agent:
        agent = self.service.router.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"unknown agent {agent_id} (known: {', '.join(self.service.router.agents)})")
        return agent

