"""Which agents can take one more interaction of a (queue, media) right now.

Each pool is kept in the order strategies read candidates: fewest interactions held first,
then longest idle (earliest `last_idle`), then configuration order.
"""
from __future__ import annotations

from typing import Iterator

from sortedcontainers import SortedList

from .model import Agent, AgentState, Media
from .rules import can_take

_Key = tuple[str, Media]


class AgentPools:
    def __init__(self) -> None:
        self._pools: dict[_Key, SortedList] = {}
        self._entries: dict[str, list[tuple[_Key, tuple]]] = {}

    def refresh(self, agent: Agent, ordinal: int) -> None:
        """Put the agent in exactly the pools of the (queue, media) it can take now."""
        for key, entry in self._entries.pop(agent.id, ()):
            self._pools[key].remove(entry)
        entries: list[tuple[_Key, tuple]] = []
        self._entries[agent.id] = entries
        if agent.state is not AgentState.AVAILABLE and agent.state is not AgentState.BUSY:
            return
        entry = (agent.held(), agent.last_idle, ordinal, agent.id)
        for media in agent.capacity:
            if can_take(agent, media):
                for queue in agent.queues:
                    key = (queue, media)
                    self._pools.setdefault(key, SortedList()).add(entry)
                    entries.append((key, entry))

    def agent_ids(self, queue: str, media: Media) -> Iterator[str]:
        for *_, agent_id in self._pools.get((queue, media)) or ():
            yield agent_id
