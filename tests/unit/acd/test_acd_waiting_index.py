"""Given callers with many different requirements, the waiting index keeps only non-empty groups."""
from __future__ import annotations

from acd.model import Interaction, Media
from acd.waiting import WaitingIndex


def test_given_callers_with_distinct_requirements_when_they_all_leave_then_no_group_is_kept():
    index = WaitingIndex()
    for n in range(300):
        interaction = Interaction(f"i{n}", "billing", Media.VOICE, {"billing": 1 + n % 5}, f"l{n}", n % 3, float(n))
        interaction.seq = n
        index.add(interaction)
    assert len(index.groups) == 300
    for n in range(0, 300, 2):
        index.remove(f"i{n}")
    assert len(index.groups) == 150 and len(index.heads("billing", Media.VOICE)) == 150
    for n in range(1, 300, 2):
        index.remove(f"i{n}")
    assert index.groups == {} and not index.heads("billing", Media.VOICE)
