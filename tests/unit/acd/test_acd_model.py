from __future__ import annotations

import pytest

from acd.errors import IllegalTransition, InvalidInteraction
from acd.model import TRANSITIONS, Agent, AgentState, Interaction, Media

S = AgentState


def test_given_a_logged_out_agent_when_it_logs_in_then_the_change_is_recorded_with_its_time():
    agent = Agent("a1")
    change = agent.change_state(S.AVAILABLE, 12.5)
    assert (change.agent_id, change.from_state, change.to_state, change.at) == ("a1", S.LOGGED_OUT, S.AVAILABLE, 12.5)
    assert agent.state_since == agent.last_idle == 12.5


@pytest.mark.parametrize("start, to", [(start, to) for start in S for to in S
                                       if to not in TRANSITIONS[start]])
def test_given_any_state_when_an_illegal_change_is_asked_then_a_stable_domain_error_is_raised(start, to):
    agent = Agent("a1", state=start)
    with pytest.raises(IllegalTransition) as caught:
        agent.change_state(to, 1)
    assert caught.value.code == "acd.agent.illegal_transition"
    assert f"from {start.value} to {to.value}" in str(caught.value)
    assert agent.state is start


def test_given_a_paused_agent_when_the_reason_changes_then_it_is_a_change_but_the_same_reason_is_not():
    agent = Agent("a1", state=S.PAUSED, pause_reason="lunch")
    assert agent.change_state(S.PAUSED, 5, "training").reason == "training"
    with pytest.raises(IllegalTransition):
        agent.change_state(S.PAUSED, 6, "training")


def test_given_a_day_of_states_when_occupancy_is_asked_then_pauses_do_not_count():
    agent = Agent("a1")
    for to, at in [(S.AVAILABLE, 0), (S.RINGING, 10), (S.BUSY, 15), (S.WRAP_UP, 40), (S.PAUSED, 50),
                   (S.AVAILABLE, 100)]:
        agent.change_state(to, at, "break" if to is S.PAUSED else None)
    assert agent.occupancy(110) == pytest.approx(40 / (40 + 20))


def test_given_an_interaction_when_validated_then_levels_media_and_language_are_checked():
    Interaction("c1", "q", "chat", {"billing": 5}).validate()
    for bad in [Interaction("c1", "q", skills={"billing": 0}), Interaction("c1", "q", "fax"),
                Interaction("c1", "q", language="")]:
        with pytest.raises(InvalidInteraction):
            bad.validate()


def test_given_a_media_name_when_validated_then_it_becomes_the_media_kind():
    interaction = Interaction("c1", "q", "chat")
    interaction.validate()
    assert interaction.media is Media.CHAT


def test_given_the_routing_core_when_imported_then_it_pulls_in_no_transport_pbx_or_database():
    import subprocess
    import sys

    code = ("import sys, acd.router, acd.simulate, acd.config, acd.stats; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('asyncio', 'aiohttp', 'panoramisk', 'sqlalchemy', 'ivr')))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"
