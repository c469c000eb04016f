from __future__ import annotations

import pytest
from acd_helpers import agent, call, login, router

from acd.errors import UnknownInteraction
from acd.model import AgentState, Media
from acd.router import Router
from acd.store import Store, StoreError


def routed_into(store: Store, r: Router, decisions_of_arrival, interaction) -> None:
    """What the live server does after each event: save it all in one transaction."""
    with store.write() as w:
        w.waiting(interaction)
        for decision in decisions_of_arrival:
            w.offered(decision.interaction_id, decision.agent_id, decision.at)
        w.agent_changes(r.take_state_changes(), r.agents)


def test_given_waiting_callers_when_the_controller_restarts_then_they_keep_their_positions(store_url):
    store = Store(store_url)
    r = router(agent("a1"))
    calls = [call("c1", at=5, priority=0), call("c2", at=1, priority=0), call("c3", at=9, priority=2)]
    for interaction in calls:
        routed_into(store, r, r.interaction_arrived(interaction, interaction.enqueued_at), interaction)
    before = [(i.id, i.seq) for i in r.waiting()]
    store.close()

    reopened = Store(store_url)
    restored = reopened.waiting()
    assert [(i.id, i.seq) for i in restored] == before == [("c3", 3), ("c2", 2), ("c1", 1)]
    fresh = router(agent("a1"))
    for interaction in restored:
        fresh.interaction_arrived(interaction, 20)
    fresh.interaction_arrived(call("c4", at=20), 20)
    assert [i.id for i in fresh.waiting()] == ["c3", "c2", "c1", "c4"]
    assert restored[0].skills == {"billing": 1} and restored[0].media is Media.VOICE
    reopened.close()


def test_given_agent_state_changes_when_the_controller_restarts_then_states_and_log_are_kept(store_url):
    store = Store(store_url)
    r = router(agent("a1"), agent("a2"))
    login(r, "a1", at=10)
    r.agent_unavailable("a2", 11, AgentState.PAUSED, "lunch")
    with store.write() as w:
        w.agent_changes(r.take_state_changes(), r.agents)
    store.close()

    reopened = Store(store_url)
    agents = reopened.restore_agents([agent("a1"), agent("a2"), agent("a3")])
    assert [(a.state, a.state_since, a.pause_reason) for a in agents] == [
        (AgentState.AVAILABLE, 10, None), (AgentState.PAUSED, 11, "lunch"), (AgentState.LOGGED_OUT, 0.0, None)]
    assert [(c.agent_id, c.to_state, c.at, c.reason) for c in reopened.state_log()] == [
        ("a1", AgentState.AVAILABLE, 10, None), ("a2", AgentState.PAUSED, 11, "lunch")]
    assert [c.agent_id for c in reopened.state_log("a2")] == ["a2"]
    reopened.close()


def test_given_a_call_through_its_life_when_it_ends_then_outcome_and_times_are_recorded(store_url):
    store = Store(store_url)
    r = router(agent("a1"))
    login(r, "a1")
    interaction = call("c1", at=100)
    routed_into(store, r, r.interaction_arrived(interaction, 100), interaction)
    assert [(h.interaction.id, h.agent_id, h.status) for h in store.held()] == [("c1", "a1", "offered")]
    with store.write() as w:
        w.answered("c1", 112)
    with store.write() as w:
        w.ended("c1", 300, "answered")
    with pytest.raises(StoreError, match="no arrival sequence"):
        with store.write() as w:
            w.waiting(call("unrouted", at=150))
    (record,) = store.ended()
    assert (record.id, record.enqueued_at, record.answered_at, record.ended_at, record.outcome, record.agent_id) == (
        "c1", 100, 112, 300, "answered", "a1")
    assert store.waiting() == [] and store.held() == []
    store.close()


def test_given_a_failing_write_when_the_transaction_aborts_then_nothing_of_it_is_kept(store_url):
    store = Store(store_url)
    r = router(agent("a1"))
    interaction = call("c1", at=1)
    r.interaction_arrived(interaction, 1)
    with pytest.raises(UnknownInteraction):
        with store.write() as w:
            w.waiting(interaction)
            w.offered("nobody", "a1", 2)
    assert store.waiting() == []
    store.close()


def test_given_a_bad_outcome_when_written_then_it_is_refused(store_url):
    store = Store(store_url)
    r = router(agent("a1"))
    interaction = call("c1")
    r.interaction_arrived(interaction, 0)
    with store.write() as w:
        w.waiting(interaction)
    with pytest.raises(StoreError, match="outcome 'lost'"):
        with store.write() as w:
            w.ended("c1", 5, "lost")
    assert [i.id for i in store.waiting()] == ["c1"]
    store.close()


def test_given_ended_interactions_when_read_by_period_then_only_that_period_comes_back(store_url):
    store = Store(store_url)
    r = router(agent("a1"))
    for n, ended_at in enumerate([10, 20, 30]):
        interaction = call(f"c{n}", at=0)
        r.interaction_arrived(interaction, 0)
        with store.write() as w:
            w.waiting(interaction)
            w.ended(interaction.id, ended_at, "abandoned")
        r.interaction_left(interaction.id, ended_at)
    assert [record.id for record in store.ended(since=15, until=30)] == ["c1"]
    store.close()


def test_given_an_unreachable_database_when_opened_then_one_line_says_so_without_the_password():
    with pytest.raises(StoreError, match="cannot open the ACD store") as caught:
        Store("postgresql+psycopg://acd:secret@127.0.0.1:1/acd?connect_timeout=2")
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)
