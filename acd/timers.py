"""The router's three kinds of deadline, each a heap read in time order by `Router.tick`.

- wrap-up end: (until, wrap-up start, agent); stale when the agent left wrap-up meanwhile
  (its `state_since` no longer matches the start);
- next expansion step of a waiting interaction: stale when the interaction left or was
  rescheduled (only the latest time per interaction counts);
- maximum wait of a waiting interaction: stale when it is no longer waiting (the router checks).
"""
from __future__ import annotations

import heapq
from typing import Iterator


class Timers:
    def __init__(self) -> None:
        self._wrap_ups: list[tuple[float, float, str]] = []
        self._stages: list[tuple[float, int, str]] = []
        self._next_stage_at: dict[str, float] = {}
        self._overflows: list[tuple[float, int, str]] = []

    def wrap_up(self, agent_id: str, since: float, until: float) -> None:
        heapq.heappush(self._wrap_ups, (until, since, agent_id))

    def stage(self, interaction_id: str, seq: int, at: float) -> None:
        """The interaction's next expansion step is due at `at` (replacing any earlier time)."""
        self._next_stage_at[interaction_id] = at
        heapq.heappush(self._stages, (at, seq, interaction_id))

    def no_stage(self, interaction_id: str) -> None:
        self._next_stage_at.pop(interaction_id, None)

    def overflow(self, interaction_id: str, seq: int, at: float) -> None:
        heapq.heappush(self._overflows, (at, seq, interaction_id))

    def wrap_ups_due(self, now: float) -> Iterator[tuple[str, float]]:
        """(agent id, wrap-up start) of the wrap-ups ending by `now`."""
        while self._wrap_ups and self._wrap_ups[0][0] <= now:
            _, since, agent_id = heapq.heappop(self._wrap_ups)
            yield agent_id, since

    def stages_due(self, now: float) -> Iterator[str]:
        """Interactions whose current next expansion step is due by `now`."""
        while self._stages and self._stages[0][0] <= now:
            at, _, interaction_id = heapq.heappop(self._stages)
            if self._next_stage_at.get(interaction_id) == at:
                yield interaction_id

    def overflows_due(self, now: float) -> Iterator[str]:
        while self._overflows and self._overflows[0][0] <= now:
            yield heapq.heappop(self._overflows)[2]

    def next_deadline(self) -> float | None:
        heads = [timers[0][0] for timers in (self._wrap_ups, self._stages, self._overflows) if timers]
        return min(heads, default=None)
