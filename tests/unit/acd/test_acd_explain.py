from __future__ import annotations

from acd_helpers import RELAXING, agent, call, login, router

from acd.explain import explain
from acd.model import AgentState, Media, Queue


def reasons(explanation):
    return {verdict.agent_id: list(verdict.reasons) for verdict in explanation.verdicts}


def test_given_agents_short_of_requirements_when_explained_then_every_reason_is_named():
    agents = [agent("fine", {"billing": 3}),
              agent("english", {"billing": 3}, languages=["en"]),
              agent("junior", {"billing": 1}, languages=["fr"]),
              agent("sales", {"sales": 5}, languages=["fr"]),
              agent("elsewhere", {"billing": 3}, languages=["fr"], queues=["other"])]
    for a in agents:
        a.change_state(AgentState.AVAILABLE, 0)
    agents[0].languages = ("fr",)
    result = explain(call("c1", skills={"billing": 2}, language="fr"), agents, Queue("q"), now=5)
    assert reasons(result) == {
        "fine": [],
        "english": ["language fr not spoken (speaks en)"],
        "junior": ["skill billing 1 < required 2"],
        "sales": ["skill billing missing (required 2)"],
        "elsewhere": ["not in queue q"],
    }
    assert result.eligible() == ["fine"]


def test_given_unavailable_agents_when_explained_then_their_state_is_the_reason():
    r = router(agent("paused"), agent("out"), agent("ringing"), agent("wrap"), wrap_up=30)
    r.agent_unavailable("paused", 0, AgentState.PAUSED, "lunch")
    login(r, "ringing", "wrap")
    r.interaction_arrived(call("x"), 0)
    r.interaction_arrived(call("y"), 0)
    r.answered("y", 1)
    r.finished("y", 2)
    r.interaction_arrived(call("c1", at=3), 3)
    found = reasons(r.explain("c1", 4))
    assert found["paused"] == ["paused (lunch)"]
    assert found["out"] == ["logged out"]
    assert found["ringing"] == ["ringing"] or found["wrap"] == ["ringing"]
    assert sorted([found["ringing"][0], found["wrap"][0]]) == ["in wrap-up", "ringing"]


def test_given_relaxation_when_explained_then_the_header_and_relaxed_minimums_show_it():
    queue = Queue("q", expansion=RELAXING)
    a = agent("a1", {"billing": 1}, languages=["de"], fallback=["fr"])
    a.change_state(AgentState.AVAILABLE, 0)
    early = explain(call("c1", skills={"billing": 3}, language="fr"), [a], queue, now=10)
    assert reasons(early)["a1"] == ["language fr only a fallback language (not yet accepted)",
                                    "skill billing 1 < required 3"]
    later = explain(call("c1", skills={"billing": 3}, language="fr"), [a], queue, now=100)
    assert reasons(later)["a1"] == ["skill billing 1 < required 2"]
    assert later.lines()[0] == ("interaction c1 in queue q, waited 100 s: skill minimums lowered by 1, "
                                "fallback languages accepted")
    assert later.lines()[1] == "  a1: not eligible: skill billing 1 < required 2"


def test_given_capacity_limits_when_explained_then_the_media_is_named():
    a = agent("a1", capacity={Media.VOICE: 1, Media.CHAT: 1})
    a.change_state(AgentState.AVAILABLE, 0)
    a.load[Media.CHAT] = 1
    b = agent("a2")
    b.change_state(AgentState.AVAILABLE, 0)
    chat = call("m1", media=Media.CHAT)
    assert reasons(explain(chat, [a, b], Queue("q"), 1)) == {
        "a1": ["no chat capacity left (1/1 in use)"], "a2": ["does not take chat"]}
