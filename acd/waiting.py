"""The index of waiting interactions.

Interactions with equal requirements and priority form a group, kept in waiting order, so the
group's head is its longest-waiting (and so most relaxed) member: if an agent cannot take the
head, it can take no one else in the group. For each (queue, media), the group heads are kept
in serving order, so a search for an agent reads the best heads first and stops at the first
one the agent may take; its cost grows with the number of distinct groups, not of callers.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from sortedcontainers import SortedList

from .model import Interaction, Media, Requirements

# A head entry: (-priority, enqueued_at, seq, group id, requirements id); tuples compare in
# serving order. Groups of different priorities with equal requirements share a requirements id.
Head = tuple[int, float, int, int, int]


@dataclass(eq=False)
class Group:
    gid: int
    rid: int
    needs: Requirements
    priority: int
    members: SortedList = field(default_factory=SortedList)  # (enqueued_at, seq, interaction id)

    def head(self) -> Head | None:
        if not self.members:
            return None
        enqueued_at, seq, _ = self.members[0]
        return (-self.priority, enqueued_at, seq, self.gid, self.rid)


class WaitingIndex:
    def __init__(self) -> None:
        self.groups: dict[int, Group] = {}  # non-empty groups only: an emptied one is dropped
        self._next_gid = itertools.count()
        self._group_ids: dict[tuple[Requirements, int], int] = {}
        self._requirement_ids: dict[Requirements, int] = {}
        self._heads: dict[tuple[str, Media], SortedList] = {}
        self._queue_groups: dict[str, list[Group]] = {}
        self._where: dict[str, tuple[Interaction, Group]] = {}

    def __contains__(self, interaction_id: str) -> bool:
        return interaction_id in self._where

    def __len__(self) -> int:
        return len(self._where)

    def get(self, interaction_id: str) -> Interaction | None:
        found = self._where.get(interaction_id)
        return found[0] if found else None

    def group_of(self, interaction_id: str) -> Group:
        return self._where[interaction_id][1]

    def add(self, interaction: Interaction) -> None:
        group = self._group_for(interaction.requirements(), interaction.priority)
        before = group.head()
        group.members.add((interaction.enqueued_at, interaction.seq, interaction.id))
        self._where[interaction.id] = (interaction, group)
        self._move_head(group, before)

    def remove(self, interaction_id: str) -> Interaction:
        interaction, group = self._where.pop(interaction_id)
        before = group.head()
        group.members.remove((interaction.enqueued_at, interaction.seq, interaction.id))
        self._move_head(group, before)
        if not group.members:
            self._drop(group)
        return interaction

    def heads(self, queue: str, media: Media) -> SortedList | None:
        """Heads of the non-empty groups of (queue, media), best first."""
        return self._heads.get((queue, media))

    def head_interaction(self, head: Head) -> Interaction:
        return self._where[self.groups[head[3]].members[0][2]][0]

    def position(self, interaction_id: str) -> int:
        """1 + how many interactions of the same queue (any media) are served before this one."""
        interaction, _ = self._where[interaction_id]
        mark = (interaction.enqueued_at, interaction.seq)
        ahead = 0
        for group in self._queue_groups.get(interaction.queue, ()):
            if group.priority > interaction.priority:
                ahead += len(group.members)
            elif group.priority == interaction.priority:
                ahead += group.members.bisect_left(mark)
        return ahead + 1

    def in_queue(self, queue: str | None = None) -> list[Interaction]:
        """Waiting interactions (of one queue, or all) in serving order."""
        found = [entry[0] for entry in self._where.values() if queue is None or entry[0].queue == queue]
        return sorted(found, key=Interaction.order_key)

    def _group_for(self, needs: Requirements, priority: int) -> Group:
        gid = self._group_ids.get((needs, priority))
        if gid is not None:
            return self.groups[gid]
        rid = self._requirement_ids.setdefault(needs, len(self._requirement_ids))
        group = Group(next(self._next_gid), rid, needs, priority)
        self.groups[group.gid] = group
        self._group_ids[(needs, priority)] = group.gid
        self._queue_groups.setdefault(needs.queue, []).append(group)
        return group

    def _drop(self, group: Group) -> None:
        del self.groups[group.gid]
        del self._group_ids[(group.needs, group.priority)]
        self._queue_groups[group.needs.queue].remove(group)

    def _move_head(self, group: Group, before: Head | None) -> None:
        after = group.head()
        if after == before:
            return
        heads = self._heads.setdefault((group.needs.queue, group.needs.media), SortedList())
        if before is not None:
            heads.remove(before)
        if after is not None:
            heads.add(after)
