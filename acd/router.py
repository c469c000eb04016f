"""Who gets what: the ACD's routing core.

A `Router` holds the routing state (agents, waiting and held interactions) and is driven by
events. Every event method takes the time `now` and returns the decisions it caused, in order:
`Assignment` (offer this interaction to this agent) or `Overflow` (the interaction waited its
queue's maximum: send it to the overflow target). The router never reads a clock; the caller
calls `tick(now)` about once a second (or at `next_deadline()`) so expansion steps, wrap-ups
and maximum waits take effect.

Invariant after every event: no agent that can take an interaction now is eligible for any
waiting one. So an agent that frees up takes the best waiting interaction it is eligible for
(higher priority first, then longest wait), and an interaction that arrives or relaxes goes to
the agent its queue's strategy picks among the eligible, available agents.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Iterable, Iterator

from .decisions import Assignment, Decision, Overflow
from .errors import DuplicateInteraction, IllegalTransition, InvalidInteraction, UnknownAgent, \
    UnknownInteraction, UnknownQueue
from .explain import Explanation, explain
from .model import Agent, AgentState, Interaction, Media, Queue, StateChange
from .pools import AgentPools
from .rules import NEVER, NO_ANSWER, can_take, first_eligible_stage, relaxations, stage_at, stage_start
from .strategies import STRATEGIES, Strategy
from .timers import Timers
from .waiting import Group, WaitingIndex

__all__ = ["Assignment", "Overflow", "Decision", "Router", "explain", "Explanation"]

_AHT_WEIGHT = 0.1  # weight of each new handle time in a queue's running average
_NOT_EVER = float("inf")
_WORST: tuple = (float("inf"),)  # compares after every head entry


@dataclass(eq=False)
class _Held:
    """An interaction offered to (and maybe answered by) an agent."""

    interaction: Interaction
    agent_id: str
    offered_at: float
    answered_at: float | None = None


class Router:
    def __init__(self, queues: Iterable[Queue], agents: Iterable[Agent] = ()):
        self.queues: dict[str, Queue] = {queue.name: queue for queue in queues}
        self.agents: dict[str, Agent] = {}
        self._ordinal: dict[str, int] = {}
        self._strategies: dict[str, Strategy] = {
            name: STRATEGIES[queue.strategy](queue, self._ordinal.__getitem__) for name, queue in self.queues.items()}
        self._relaxations = {name: relaxations(queue) for name, queue in self.queues.items()}
        self._aht = {name: queue.initial_aht_s for name, queue in self.queues.items()}
        self._waiting = WaitingIndex()
        self._held: dict[str, _Held] = {}
        # agent -> requirements id -> how long the group's interactions must wait before the agent is
        # eligible for them (0: at once, inf: never); filled on first use, it never goes stale
        # because an agent's skills, languages and queues are fixed once it is registered.
        self._wait_needed: dict[str, dict[int, float]] = {}
        self._pools = AgentPools()
        self._timers = Timers()
        self._seq = itertools.count(1)
        self._changes: list[StateChange] = []
        for agent in agents:
            self.add_agent(agent)

    # -- agents ---------------------------------------------------------------------------

    def add_agent(self, agent: Agent) -> None:
        """Register an agent (in whatever state it is, e.g. restored from the store)."""
        unknown = [name for name in agent.queues if name not in self.queues]
        if unknown:
            raise UnknownQueue(f"agent {agent.id}: unknown queue {unknown[0]}")
        if agent.id in self.agents:
            raise IllegalTransition(f"agent {agent.id} is already registered")
        self.agents[agent.id] = agent
        self._ordinal[agent.id] = len(self._ordinal)
        self._wait_needed[agent.id] = {}
        self._reindex(agent)

    def agent_available(self, agent_id: str, now: float) -> list[Decision]:
        """The agent logs in, ends a pause, or ends wrap-up early: it takes the best waiting work."""
        agent = self._agent(agent_id)
        if agent.held():
            raise IllegalTransition(f"agent {agent_id}: cannot go to available while handling interactions")
        decisions: list[Decision] = []
        self._become_available(agent, now, decisions)
        return decisions

    def agent_unavailable(self, agent_id: str, now: float, state: AgentState = AgentState.PAUSED,
                          reason: str | None = None) -> list[Decision]:
        """The agent pauses (with a reason code) or logs out. An offer still ringing goes back to
        its queue; an agent holding answered interactions cannot leave."""
        agent = self._agent(agent_id)
        if state not in (AgentState.PAUSED, AgentState.LOGGED_OUT):
            raise IllegalTransition(f"agent {agent_id}: unavailable means paused or logged_out, not {state.value}")
        offers = [held for held in self._held.values() if held.agent_id == agent_id]
        if any(held.answered_at is not None for held in offers):
            raise IllegalTransition(f"agent {agent_id}: cannot go to {state.value} while handling interactions")
        agent.check_change(state, reason)
        for held in offers:
            del self._held[held.interaction.id]
            agent.load[held.interaction.media] -= 1
        self._change(agent, state, now, reason)
        decisions: list[Decision] = []
        for held in offers:
            self._enqueue(held.interaction, now)
            self._match(held.interaction, now, decisions)
        return decisions

    # -- interactions ---------------------------------------------------------------------

    def interaction_arrived(self, interaction: Interaction, now: float) -> list[Decision]:
        """A new interaction (or one restored after a restart, keeping its `enqueued_at`/`seq`)."""
        self._admit(interaction)
        decisions: list[Decision] = []
        self._enqueue(interaction, now)
        self._match(interaction, now, decisions)
        return decisions

    def call_restored(self, interaction: Interaction, agent_id: str, answered_at: float) -> None:
        """An answered interaction that outlived a controller restart: its agent handles it
        (busy) until `finished`."""
        agent = self._agent(agent_id)
        self._admit(interaction)
        agent.load[interaction.media] = agent.load.get(interaction.media, 0) + 1
        self._held[interaction.id] = _Held(interaction, agent_id, answered_at, answered_at)
        if agent.state is AgentState.BUSY:
            self._reindex(agent)
        else:
            self._change(agent, AgentState.BUSY, answered_at)

    def answered(self, interaction_id: str, now: float) -> None:
        held = self._held_or_fail(interaction_id)
        if held.answered_at is not None:
            raise InvalidInteraction(f"interaction {interaction_id} was already answered")
        held.answered_at = now
        agent = self.agents[held.agent_id]
        if agent.state is AgentState.RINGING:
            self._change(agent, AgentState.BUSY, now)

    def ring_no_answer(self, interaction_id: str, now: float, pause_reason: str | None = NO_ANSWER) -> list[Decision]:
        """The agent did not answer: the interaction returns to its place (same enqueue time, so
        ahead of everyone of its priority who came later). The agent is paused with
        `pause_reason`, or made available again when it is None."""
        held = self._held_or_fail(interaction_id)
        if held.answered_at is not None:
            raise InvalidInteraction(f"interaction {interaction_id} was already answered")
        del self._held[interaction_id]
        agent = self.agents[held.agent_id]
        decisions: list[Decision] = []
        self._enqueue(held.interaction, now)
        self._release(agent, held.interaction.media, now, pause_reason, decisions)
        # The freed agent chooses first: a better-placed interaction may be waiting for it.
        self._serve_agent(agent, now, decisions)
        if held.interaction.id in self._waiting:
            self._match(held.interaction, now, decisions)
        return decisions

    def interaction_left(self, interaction_id: str, now: float) -> list[Decision]:
        """The customer left (abandoned while waiting or ringing, or hung up during the call)."""
        if interaction_id in self._waiting:
            self._forget_waiting(interaction_id)
            return []
        held = self._held_or_fail(interaction_id)
        if held.answered_at is not None:
            return self.finished(interaction_id, now)
        del self._held[interaction_id]
        decisions: list[Decision] = []
        agent = self.agents[held.agent_id]
        self._release(agent, held.interaction.media, now, None, decisions)
        self._serve_agent(agent, now, decisions)
        return decisions

    def finished(self, interaction_id: str, now: float) -> list[Decision]:
        """An answered interaction ended: the agent goes to wrap-up (or straight to available)."""
        held = self._held_or_fail(interaction_id)
        if held.answered_at is None:
            raise InvalidInteraction(f"interaction {interaction_id} was not answered")
        del self._held[interaction_id]
        queue = self.queues[held.interaction.queue]
        self._aht[queue.name] += _AHT_WEIGHT * (now - held.answered_at - self._aht[queue.name])
        agent = self.agents[held.agent_id]
        agent.load[held.interaction.media] -= 1
        decisions: list[Decision] = []
        if agent.held() == 0 and queue.wrap_up_s > 0:
            self._change(agent, AgentState.WRAP_UP, now)
            self._timers.wrap_up(agent.id, now, now + queue.wrap_up_s)
        elif agent.held() == 0:
            self._become_available(agent, now, decisions)
        else:
            self._reindex(agent)
            self._serve_agent(agent, now, decisions)
        return decisions

    def tick(self, now: float) -> list[Decision]:
        """Apply what time brings: wrap-ups ending, expansion steps, maximum waits."""
        decisions: list[Decision] = []
        for agent_id, since in self._timers.wrap_ups_due(now):
            agent = self.agents[agent_id]
            if agent.state is AgentState.WRAP_UP and agent.state_since == since:
                self._become_available(agent, now, decisions)
        relaxed = []
        for interaction_id in list(self._timers.stages_due(now)):
            interaction = self._waiting.get(interaction_id)
            relaxed.append(interaction)
            self._schedule_stage(interaction, now)
        unmatched: set[tuple[int, int]] = set()
        for interaction in sorted(relaxed, key=Interaction.order_key):
            if interaction.id in self._waiting:
                self._match(interaction, now, decisions, unmatched)
        for interaction_id in self._timers.overflows_due(now):
            if interaction_id in self._waiting:
                interaction = self._forget_waiting(interaction_id)
                queue = self.queues[interaction.queue]
                decisions.append(Overflow(interaction_id, queue.name, queue.overflow, now, queue.overflow_queue))
        return decisions

    # -- queries --------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """The earliest time at which `tick` has something to do."""
        return self._timers.next_deadline()

    def take_state_changes(self) -> list[StateChange]:
        """Agent state changes since the last call, oldest first (for the store's log)."""
        changes, self._changes = self._changes, []
        return changes

    def waiting(self, queue: str | None = None) -> list[Interaction]:
        """Waiting interactions (of one queue, or all) in serving order."""
        return self._waiting.in_queue(queue)

    def waiting_count(self) -> int:
        return len(self._waiting)

    def held(self) -> dict[str, str]:
        """Offered or answered interactions: interaction id -> agent id."""
        return {interaction_id: held.agent_id for interaction_id, held in self._held.items()}

    def position(self, interaction_id: str) -> int:
        if interaction_id not in self._waiting:
            raise UnknownInteraction(f"interaction {interaction_id} is not waiting")
        return self._waiting.position(interaction_id)

    def estimated_wait_s(self, interaction_id: str) -> float:
        """Position times the queue's running handle time, shared among its staffed agents."""
        interaction = self._waiting.get(interaction_id)
        if interaction is None:
            raise UnknownInteraction(f"interaction {interaction_id} is not waiting")
        staffed = sum(1 for agent in self.agents.values() if interaction.queue in agent.queues
                      and agent.state not in (AgentState.LOGGED_OUT, AgentState.PAUSED))
        return self.position(interaction_id) * self._aht[interaction.queue] / max(1, staffed)

    def explain(self, interaction_id: str, now: float) -> Explanation:
        interaction = self._waiting.get(interaction_id)
        if interaction is None:
            raise UnknownInteraction(f"interaction {interaction_id} is not waiting")
        return explain(interaction, self.agents.values(), self.queues[interaction.queue], now)

    # -- internals ------------------------------------------------------------------------

    def _agent(self, agent_id: str) -> Agent:
        agent = self.agents.get(agent_id)
        if agent is None:
            raise UnknownAgent(f"unknown agent {agent_id}")
        return agent

    def _admit(self, interaction: Interaction) -> None:
        """Check a new or restored interaction and give it its arrival sequence (a restored one
        keeps its own, and later arrivals come after it)."""
        interaction.validate()
        if interaction.queue not in self.queues:
            raise UnknownQueue(f"interaction {interaction.id}: unknown queue {interaction.queue}")
        if interaction.id in self._waiting or interaction.id in self._held:
            raise DuplicateInteraction(f"interaction {interaction.id} is already in the ACD")
        if interaction.seq is None:
            interaction.seq = next(self._seq)
        else:
            self._seq = itertools.count(max(next(self._seq), interaction.seq + 1))

    def _held_or_fail(self, interaction_id: str) -> _Held:
        held = self._held.get(interaction_id)
        if held is None:
            raise UnknownInteraction(f"interaction {interaction_id} is not offered to any agent")
        return held

    def _change(self, agent: Agent, to: AgentState, now: float, reason: str | None = None) -> None:
        self._changes.append(agent.change_state(to, now, reason))
        self._reindex(agent)

    def _become_available(self, agent: Agent, now: float, decisions: list[Decision]) -> None:
        """The agent goes available and takes the best waiting work. Pools are updated once,
        after it chose: nothing reads them in between, and most agents leave at once."""
        self._changes.append(agent.change_state(AgentState.AVAILABLE, now))
        self._serve_agent(agent, now, decisions)
        self._reindex(agent)

    def _reindex(self, agent: Agent) -> None:
        self._pools.refresh(agent, self._ordinal[agent.id])

    def _learn_wait_needed(self, agent: Agent, group: Group) -> float:
        queue = self.queues[group.needs.queue]
        stage = first_eligible_stage(agent, group.needs, self._relaxations[queue.name])
        needed = self._wait_needed[agent.id][group.rid] = _NOT_EVER if stage == NEVER else stage_start(queue, stage)
        return needed

    def _enqueue(self, interaction: Interaction, now: float) -> None:
        self._waiting.add(interaction)
        self._schedule_stage(interaction, now)
        queue = self.queues[interaction.queue]
        if queue.max_wait_s is not None:
            self._timers.overflow(interaction.id, interaction.seq, interaction.enqueued_at + queue.max_wait_s)

    def _schedule_stage(self, interaction: Interaction, now: float) -> None:
        queue = self.queues[interaction.queue]
        stage = stage_at(queue, interaction.enqueued_at, now)
        if stage < len(queue.expansion):
            at = interaction.enqueued_at + queue.expansion[stage].after_s
            self._timers.stage(interaction.id, interaction.seq, at)
        else:
            self._timers.no_stage(interaction.id)

    def _forget_waiting(self, interaction_id: str) -> Interaction:
        self._timers.no_stage(interaction_id)
        return self._waiting.remove(interaction_id)

    def _candidates(self, group: Group, enqueued_at: float, now: float) -> Iterator[Agent]:
        """Agents able to take the group's media now and eligible for it at `now`, longest idle first."""
        rid, needs = group.rid, group.needs
        for agent_id in self._pools.agent_ids(needs.queue, needs.media):
            agent = self.agents[agent_id]
            needed = self._wait_needed[agent_id].get(rid)
            if needed is None:
                needed = self._learn_wait_needed(agent, group)
            if enqueued_at + needed <= now:
                yield agent

    def _match(self, interaction: Interaction, now: float, decisions: list[Decision],
               unmatched: set[tuple[int, int]] | None = None) -> None:
        """Offer a waiting interaction to the agent its strategy picks, if any is eligible.

        `unmatched` collects (requirements, stage) pairs that found no agent, so a batch of
        interactions (a tick) does not search again for their equals.
        """
        queue = self.queues[interaction.queue]
        group = self._waiting.group_of(interaction.id)
        tried = (group.rid, stage_at(queue, interaction.enqueued_at, now))
        if unmatched is not None and tried in unmatched:
            return
        agent = self._strategies[queue.name].pick(self._candidates(group, interaction.enqueued_at, now), interaction, now)
        if agent is not None:
            decisions.append(self._assign(interaction, agent, now))
        elif unmatched is not None:
            unmatched.add(tried)

    def _best_waiting_for(self, agent: Agent, now: float) -> Interaction | None:
        """The best-ordered waiting interaction this agent is eligible for now."""
        best = _WORST
        known = self._wait_needed[agent.id]
        for media in agent.capacity:
            if not can_take(agent, media):
                continue
            for queue_name in agent.queues:
                for head in self._waiting.heads(queue_name, media) or ():
                    if head >= best:
                        break
                    needed = known.get(head[4])
                    if needed is None:
                        needed = self._learn_wait_needed(agent, self._waiting.groups[head[3]])
                    if head[1] + needed <= now:  # the head has waited long enough
                        best = head
                        break
        return None if best is _WORST else self._waiting.head_interaction(best)

    def _serve_agent(self, agent: Agent, now: float, decisions: list[Decision]) -> None:
        while agent.state is AgentState.AVAILABLE or agent.state is AgentState.BUSY:
            interaction = self._best_waiting_for(agent, now)
            if interaction is None:
                return
            decisions.append(self._assign(interaction, agent, now))

    def _assign(self, interaction: Interaction, agent: Agent, now: float) -> Assignment:
        self._forget_waiting(interaction.id)
        media = interaction.media
        agent.load[media] = agent.load.get(media, 0) + 1
        if media is Media.VOICE:
            self._change(agent, AgentState.RINGING, now)
        elif agent.state is AgentState.AVAILABLE:
            self._change(agent, AgentState.BUSY, now)
        else:
            self._reindex(agent)
        self._held[interaction.id] = _Held(interaction, agent.id, now)
        return Assignment(interaction.id, agent.id, interaction.queue, now)

    def _release(self, agent: Agent, media: Media, now: float, pause_reason: str | None,
                 decisions: list[Decision]) -> None:
        """Give back an unanswered offer's capacity; an agent left holding nothing is paused
        (with `pause_reason`) or available."""
        agent.load[media] -= 1
        if agent.held() == 0 and agent.state in (AgentState.RINGING, AgentState.BUSY):
            if pause_reason:
                self._change(agent, AgentState.PAUSED, now, pause_reason)
            else:
                self._change(agent, AgentState.AVAILABLE, now)
        else:
            self._reindex(agent)
