from __future__ import annotations

import pytest
from acd_helpers import RELAXING, agent, assigned, call, login, router

from acd.errors import (
    DuplicateInteraction,
    IllegalTransition,
    InvalidInteraction,
    UnknownInteraction,
    UnknownQueue,
)
from acd.model import AgentState, ExpansionStep, Media
from acd.router import Overflow


def test_given_an_available_agent_with_the_skill_when_a_call_arrives_then_it_is_offered_to_them():
    r = router(agent("a1"))
    login(r, "a1")
    assert assigned(r.interaction_arrived(call("c1"), 1)) == [("c1", "a1")]
    assert r.agents["a1"].state is AgentState.RINGING


def test_given_no_available_agent_when_a_call_arrives_then_it_waits_until_one_frees_up():
    r = router(agent("a1"))
    assert r.interaction_arrived(call("c1"), 0) == []
    assert [i.id for i in r.waiting()] == ["c1"]
    assert assigned(login(r, "a1", at=5)) == [("c1", "a1")]
    assert r.waiting() == []


def test_given_a_skill_below_the_minimum_when_a_call_arrives_then_the_agent_is_not_offered():
    r = router(agent("a1", skills={"billing": 1}))
    login(r, "a1")
    assert r.interaction_arrived(call("c1", skills={"billing": 2}), 0) == []


def test_given_a_missing_skill_when_a_call_arrives_then_the_agent_is_not_offered():
    r = router(agent("a1", skills={"sales": 5}))
    login(r, "a1")
    assert r.interaction_arrived(call("c1", skills={"billing": 1}), 0) == []


def test_given_several_required_skills_when_one_is_short_then_the_agent_is_not_offered():
    r = router(agent("a1", skills={"billing": 5, "sales": 1}), agent("a2", skills={"billing": 2, "sales": 2}))
    login(r, "a1", "a2")
    assert assigned(r.interaction_arrived(call("c1", skills={"billing": 2, "sales": 2}), 0)) == [("c1", "a2")]


def test_given_another_language_when_a_call_arrives_then_only_speakers_are_offered():
    r = router(agent("en1"), agent("fr1", languages=["fr"]))
    login(r, "en1", "fr1")
    assert assigned(r.interaction_arrived(call("c1", language="fr"), 0)) == [("c1", "fr1")]


def test_given_an_agent_of_another_queue_when_a_call_arrives_then_it_is_not_offered():
    r = router(agent("a1", queues=["other"]), queues=("q", "other"))
    login(r, "a1")
    assert r.interaction_arrived(call("c1"), 0) == []


def test_given_a_paused_agent_when_a_call_arrives_then_it_is_not_offered():
    r = router(agent("a1"))
    r.agent_unavailable("a1", 0, AgentState.PAUSED, "lunch")
    assert r.interaction_arrived(call("c1"), 1) == []
    assert assigned(r.agent_available("a1", 2)) == [("c1", "a1")]


def test_given_waiting_calls_of_several_priorities_when_an_agent_frees_up_then_priority_comes_first():
    r = router(agent("a1"))
    r.interaction_arrived(call("old-low", at=0, priority=0), 0)
    r.interaction_arrived(call("new-high", at=10, priority=5), 10)
    r.interaction_arrived(call("mid", at=5, priority=1), 5)
    assert assigned(login(r, "a1", at=11)) == [("new-high", "a1")]


def test_given_equal_priorities_when_an_agent_frees_up_then_the_longest_waiting_goes_first():
    r = router(agent("a1"))
    for n, at in enumerate([3, 1, 2]):
        r.interaction_arrived(call(f"c{at}", at=at), at)
    assert assigned(login(r, "a1", at=4)) == [("c1", "a1")]
    assert [i.id for i in r.waiting()] == ["c2", "c3"]


def test_given_equal_enqueue_times_when_served_then_arrival_order_breaks_the_tie():
    r = router(agent("a1"))
    r.interaction_arrived(call("first", at=1), 1)
    r.interaction_arrived(call("second", at=1), 1)
    assert assigned(login(r, "a1", at=2)) == [("first", "a1")]


def test_given_an_agent_in_two_queues_when_it_frees_up_then_the_best_across_queues_is_taken():
    r = router(agent("a1", queues=["q", "other"]), queues=("q", "other"))
    r.interaction_arrived(call("q-new", at=5), 5)
    r.interaction_arrived(call("other-old", at=1, queue="other"), 1)
    assert assigned(login(r, "a1", at=6)) == [("other-old", "a1")]


def test_given_the_best_call_needs_a_skill_the_agent_lacks_when_it_frees_up_then_it_takes_the_next():
    r = router(agent("a1", skills={"billing": 2}))
    r.interaction_arrived(call("hard", at=0, skills={"billing": 5}), 0)
    r.interaction_arrived(call("easy", at=1, skills={"billing": 1}), 1)
    assert assigned(login(r, "a1", at=2)) == [("easy", "a1")]


def test_given_a_ring_no_answer_when_the_call_returns_then_it_keeps_its_place_ahead_of_later_callers():
    r = router(agent("a1"), agent("a2"))
    login(r, "a1")
    assert assigned(r.interaction_arrived(call("c1", at=0), 0)) == [("c1", "a1")]
    r.interaction_arrived(call("c2", at=5), 5)
    r.interaction_arrived(call("c3", at=6), 6)
    assert r.ring_no_answer("c1", 15) == []
    assert [i.id for i in r.waiting()] == ["c1", "c2", "c3"]
    assert r.position("c1") == 1
    assert r.agents["a1"].state is AgentState.PAUSED and r.agents["a1"].pause_reason == "no-answer"
    assert assigned(login(r, "a2", at=16)) == [("c1", "a2")]


def test_given_a_ring_no_answer_without_pause_when_nobody_else_waits_then_the_agent_is_offered_again():
    r = router(agent("a1"))
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    assert assigned(r.ring_no_answer("c1", 15, pause_reason=None)) == [("c1", "a1")]


def test_given_a_ring_no_answer_when_another_agent_is_available_then_it_is_offered_at_once():
    r = router(agent("a1"), agent("a2"))
    login(r, "a1", "a2")
    first = assigned(r.interaction_arrived(call("c1"), 0))[0][1]
    other = "a2" if first == "a1" else "a1"
    assert assigned(r.ring_no_answer("c1", 15)) == [("c1", other)]


def test_given_an_answered_call_when_it_ends_then_the_agent_wraps_up_and_then_takes_the_next_call():
    r = router(agent("a1"), wrap_up=10)
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    r.answered("c1", 2)
    r.interaction_arrived(call("c2", at=3), 3)
    assert r.finished("c1", 60) == []
    assert r.agents["a1"].state is AgentState.WRAP_UP
    assert r.tick(69) == []
    assert assigned(r.tick(70)) == [("c2", "a1")]


def test_given_no_wrap_up_when_a_call_ends_then_the_agent_takes_the_next_call_at_once():
    r = router(agent("a1"))
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    r.interaction_arrived(call("c2", at=1), 1)
    r.answered("c1", 2)
    assert assigned(r.finished("c1", 30)) == [("c2", "a1")]


def test_given_an_agent_in_wrap_up_when_it_says_ready_then_wrap_up_ends_early():
    r = router(agent("a1"), wrap_up=60)
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    r.answered("c1", 1)
    r.finished("c1", 10)
    r.interaction_arrived(call("c2", at=11), 11)
    assert assigned(r.agent_available("a1", 12)) == [("c2", "a1")]
    r.answered("c2", 13)
    assert r.tick(70) == []  # the first wrap-up's timer must not end the agent's call
    assert r.agents["a1"].state is AgentState.BUSY


def test_given_a_caller_who_hangs_up_while_waiting_when_an_agent_frees_up_then_it_is_not_offered():
    r = router(agent("a1"))
    r.interaction_arrived(call("c1"), 0)
    assert r.interaction_left("c1", 5) == []
    assert login(r, "a1", at=6) == []


def test_given_a_caller_who_hangs_up_while_ringing_when_it_happens_then_the_agent_takes_the_next():
    r = router(agent("a1"))
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    r.interaction_arrived(call("c2", at=1), 1)
    assert assigned(r.interaction_left("c1", 3)) == [("c2", "a1")]


def test_given_a_ringing_agent_who_pauses_when_it_happens_then_the_call_returns_to_the_queue():
    r = router(agent("a1"), agent("a2"))
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    assert r.agent_unavailable("a1", 3, AgentState.PAUSED, "break") == []
    assert [i.id for i in r.waiting()] == ["c1"]
    assert assigned(login(r, "a2", at=4)) == [("c1", "a2")]


def test_given_a_busy_agent_when_it_tries_to_pause_then_it_is_refused_with_a_stable_id():
    r = router(agent("a1"))
    login(r, "a1")
    r.interaction_arrived(call("c1"), 0)
    r.answered("c1", 1)
    with pytest.raises(IllegalTransition) as caught:
        r.agent_unavailable("a1", 2, AgentState.PAUSED, "lunch")
    assert caught.value.code == "acd.agent.illegal_transition"


def test_given_max_wait_when_it_passes_then_the_call_overflows_to_the_target():
    r = router(agent("a1", skills={"sales": 1}), max_wait=60, overflow="voicemail")
    r.interaction_arrived(call("c1"), 0)
    assert r.tick(59) == []
    assert r.tick(60) == [Overflow("c1", "q", "voicemail", 60)]
    assert r.waiting() == []


def test_given_expansion_steps_when_time_passes_then_minimums_drop_at_the_injected_time():
    r = router(agent("a1", skills={"billing": 2}), expansion=RELAXING)
    login(r, "a1")
    assert r.interaction_arrived(call("c1", skills={"billing": 3}), 0) == []
    assert r.tick(29.9) == []
    assert assigned(r.tick(30)) == [("c1", "a1")]


def test_given_expansion_steps_when_an_agent_frees_up_after_the_step_then_the_relaxed_call_is_taken():
    r = router(agent("a1", skills={"billing": 2}), expansion=RELAXING)
    r.interaction_arrived(call("c1", skills={"billing": 3}), 0)
    assert login(r, "a1", at=29) == []
    r.agent_unavailable("a1", 29.5, AgentState.PAUSED, "break")
    assert assigned(r.agent_available("a1", 31)) == [("c1", "a1")]


def test_given_a_fallback_language_when_the_step_applies_then_the_agent_is_offered():
    r = router(agent("a1", languages=["en"], fallback=["fr"]), expansion=RELAXING)
    login(r, "a1")
    r.interaction_arrived(call("c1", language="fr"), 0)
    assert r.tick(89) == []
    assert assigned(r.tick(90)) == [("c1", "a1")]


def test_given_an_any_agent_step_when_it_applies_then_even_an_unskilled_foreign_agent_is_offered():
    r = router(agent("a1", skills={"sales": 1}, languages=["de"]), expansion=RELAXING)
    login(r, "a1")
    r.interaction_arrived(call("c1", skills={"billing": 5}, language="fr"), 0)
    assert r.tick(179) == []
    assert assigned(r.tick(180)) == [("c1", "a1")]


def test_given_lowered_minimums_when_the_level_would_drop_below_one_then_the_skill_is_still_needed():
    r = router(agent("a1", skills={"sales": 3}),
               expansion=[ExpansionStep(10, lower_levels_by=2)])
    login(r, "a1")
    r.interaction_arrived(call("c1", skills={"billing": 1}), 0)
    assert r.tick(20) == []


def test_given_two_relaxing_calls_when_one_agent_qualifies_then_the_higher_priority_one_gets_it():
    r = router(agent("a1", skills={"billing": 2}), expansion=RELAXING)
    login(r, "a1")
    r.interaction_arrived(call("low", at=0, skills={"billing": 3}), 0)
    r.interaction_arrived(call("high", at=0, skills={"billing": 3}, priority=2), 0)
    assert assigned(r.tick(30)) == [("high", "a1")]


def test_given_a_restored_call_when_it_returns_after_a_restart_then_its_old_place_and_stage_hold():
    r = router(agent("a1", skills={"billing": 2}), expansion=RELAXING)
    restored = call("old", at=-100, skills={"billing": 3})
    restored.seq = 41
    r.interaction_arrived(call("new", at=0, skills={"billing": 1}), 0)
    r.interaction_arrived(restored, 0)
    assert [i.id for i in r.waiting()] == ["old", "new"]
    assert assigned(login(r, "a1", at=1)) == [("old", "a1")]
    assert r.interaction_arrived(call("next"), 2) == [] and r.waiting()[-1].seq == 42


def test_given_an_answered_call_restored_after_a_restart_then_its_agent_stays_busy_until_it_ends():
    a1 = agent("a1")
    a1.state = AgentState.BUSY  # as the store saw it
    r = router(a1, agent("a2"))
    talking = call("talking", at=-60)
    talking.seq = 7
    r.call_restored(talking, "a1", answered_at=-30)
    login(r, "a2")
    assert assigned(r.interaction_arrived(call("next", at=1), 1)) == [("next", "a2")]
    assert r.agents["a1"].state is AgentState.BUSY and r.held()["talking"] == "a1"
    r.finished("talking", 10)
    assert r.agents["a1"].state is AgentState.AVAILABLE  # this queue has no wrap-up
    with pytest.raises(DuplicateInteraction):
        r.call_restored(call("next"), "a1", answered_at=11)


def test_given_a_chat_agent_with_capacity_when_chats_arrive_then_it_takes_up_to_capacity():
    r = router(agent("a1", capacity={Media.CHAT: 2, Media.VOICE: 1}))
    login(r, "a1")
    for n in range(3):
        r.interaction_arrived(call(f"chat{n}", at=n, media=Media.CHAT), n)
    assert r.held() == {"chat0": "a1", "chat1": "a1"}
    assert r.agents["a1"].state is AgentState.BUSY
    assert r.interaction_arrived(call("voice", at=4), 4) == []  # no voice while chatting
    r.answered("chat0", 5)
    assert assigned(r.finished("chat0", 6)) == [("chat2", "a1")]


def test_given_an_agent_on_a_voice_call_when_a_chat_arrives_then_it_is_not_offered():
    r = router(agent("a1", capacity={Media.CHAT: 2, Media.VOICE: 1}))
    login(r, "a1")
    r.interaction_arrived(call("v"), 0)
    r.answered("v", 1)
    assert r.interaction_arrived(call("chat", at=2, media=Media.CHAT), 2) == []


def test_given_bad_input_when_events_arrive_then_domain_errors_carry_stable_ids():
    r = router(agent("a1"))
    with pytest.raises(UnknownQueue) as caught:
        r.interaction_arrived(call("c1", queue="nope"), 0)
    assert caught.value.code == "acd.queue.unknown"
    r.interaction_arrived(call("c1"), 0)
    with pytest.raises(DuplicateInteraction):
        r.interaction_arrived(call("c1"), 0)
    with pytest.raises(InvalidInteraction):
        r.interaction_arrived(call("c2", skills={"billing": 9}), 0)
    with pytest.raises(UnknownInteraction):
        r.answered("c1", 1)
    with pytest.raises(IllegalTransition):
        r.agent_unavailable("a1", 1, AgentState.LOGGED_OUT)


def test_given_waiting_calls_when_asked_then_position_and_estimated_wait_follow_the_order():
    r = router(agent("a1"), agent("a2"))
    login(r, "a1", "a2")
    r.interaction_arrived(call("x1"), 0)
    r.interaction_arrived(call("x2"), 0)
    for n in range(4):
        r.interaction_arrived(call(f"c{n}", at=n + 1, priority=1 if n == 3 else 0), n + 1)
    assert [r.position(f"c{n}") for n in range(4)] == [2, 3, 4, 1]
    assert r.estimated_wait_s("c1") == pytest.approx(3 * 180 / 2)


def test_given_pending_timers_when_asked_then_next_deadline_is_the_earliest():
    r = router(agent("a1", skills={"sales": 1}), expansion=RELAXING, max_wait=500, overflow="vm")
    assert r.next_deadline() is None
    r.interaction_arrived(call("c1", at=10), 10)
    assert r.next_deadline() == 40


def test_given_state_changes_when_taken_then_they_are_recorded_in_order_with_times():
    r = router(agent("a1"))
    login(r, "a1", at=1)
    r.interaction_arrived(call("c1", at=2), 2)
    r.answered("c1", 3)
    changes = r.take_state_changes()
    assert [(c.to_state.value, c.at) for c in changes] == [("available", 1), ("ringing", 2), ("busy", 3)]
    assert r.take_state_changes() == []
