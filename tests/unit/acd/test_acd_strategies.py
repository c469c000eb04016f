from __future__ import annotations

from acd_helpers import agent, assigned, call, login, router

from acd.model import Media


def idle_in_order(r, *agent_ids):
    for at, agent_id in enumerate(agent_ids):
        login(r, agent_id, at=at)


def test_given_longest_idle_when_several_agents_are_available_then_the_earliest_idle_is_picked():
    r = router(agent("a1"), agent("a2"), agent("a3"))
    idle_in_order(r, "a2", "a3", "a1")
    assert assigned(r.interaction_arrived(call("c1", at=10), 10)) == [("c1", "a2")]
    assert assigned(r.interaction_arrived(call("c2", at=11), 11)) == [("c2", "a3")]


def test_given_best_skill_when_several_agents_are_available_then_the_most_proficient_is_picked():
    r = router(agent("a1", {"billing": 2}), agent("a2", {"billing": 5}), agent("a3", {"billing": 3}),
               strategy="best-skill")
    idle_in_order(r, "a1", "a2", "a3")
    assert assigned(r.interaction_arrived(call("c1", at=10), 10)) == [("c1", "a2")]


def test_given_best_skill_when_several_skills_are_required_then_proficiency_is_summed():
    r = router(agent("a1", {"billing": 5, "sales": 1}), agent("a2", {"billing": 3, "sales": 4}),
               strategy="best-skill")
    idle_in_order(r, "a1", "a2")
    decision = r.interaction_arrived(call("c1", at=10, skills={"billing": 1, "sales": 1}), 10)
    assert assigned(decision) == [("c1", "a2")]


def test_given_best_skill_when_scores_tie_then_the_longest_idle_is_picked():
    r = router(agent("a1", {"billing": 4}), agent("a2", {"billing": 4}), strategy="best-skill")
    idle_in_order(r, "a2", "a1")
    assert assigned(r.interaction_arrived(call("c1", at=10), 10)) == [("c1", "a2")]


def test_given_least_occupied_when_several_agents_are_available_then_the_least_occupied_is_picked():
    r = router(agent("a1"), agent("a2"), agent("a3"), strategy="least-occupied")
    idle_in_order(r, "a1", "a2", "a3")
    busy = {"a1": (60, 40), "a2": (10, 90), "a3": (30, 70)}
    for agent_id, (occupied, available) in busy.items():
        r.agents[agent_id].occupied_s, r.agents[agent_id].available_s = occupied, available
    assert assigned(r.interaction_arrived(call("c1", at=3), 3)) == [("c1", "a2")]


def test_given_least_occupied_when_an_agent_took_calls_then_the_fresh_agent_is_picked_next():
    r = router(agent("a1"), agent("a2"), strategy="least-occupied")
    idle_in_order(r, "a1", "a2")
    r.interaction_arrived(call("c1", at=10), 10)
    r.answered("c1", 10)
    r.finished("c1", 100)
    assert assigned(r.interaction_arrived(call("c2", at=101), 101)) == [("c2", "a2")]


def test_given_round_robin_when_calls_come_one_by_one_then_agents_take_turns_in_config_order():
    r = router(agent("a1"), agent("a2"), agent("a3"), strategy="round-robin")
    idle_in_order(r, "a3", "a1", "a2")
    picked = []
    for n in range(5):
        decision = assigned(r.interaction_arrived(call(f"c{n}", at=10 + n), 10 + n))
        picked.append(decision[0][1])
        r.answered(f"c{n}", 10 + n)
        r.finished(f"c{n}", 10 + n)
    assert picked == ["a1", "a2", "a3", "a1", "a2"]


def test_given_round_robin_when_the_next_agent_is_ineligible_then_it_is_skipped():
    r = router(agent("a1"), agent("a2", {"sales": 3}), agent("a3"), strategy="round-robin")
    idle_in_order(r, "a1", "a2", "a3")
    picked = []
    for n in range(3):
        picked.append(assigned(r.interaction_arrived(call(f"c{n}", at=10 + n), 10 + n))[0][1])
        r.answered(f"c{n}", 10 + n)
        r.finished(f"c{n}", 10 + n)
    assert picked == ["a1", "a3", "a1"]


def test_given_chat_agents_when_chats_arrive_then_the_least_loaded_is_offered_first():
    r = router(agent("a1", capacity={Media.CHAT: 3}), agent("a2", capacity={Media.CHAT: 3}))
    idle_in_order(r, "a1", "a2")
    chats = [assigned(r.interaction_arrived(call(f"m{n}", at=5 + n, media=Media.CHAT), 5 + n))[0][1]
             for n in range(4)]
    assert chats == ["a1", "a2", "a1", "a2"]
