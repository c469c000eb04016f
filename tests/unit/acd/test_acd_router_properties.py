"""Generated event sequences checked against the routing rules themselves (acd.rules)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.model import Agent, AgentState, ExpansionStep, Interaction, Media, Queue
from acd.router import Assignment, Overflow, Router
from acd.rules import can_take, relaxation_at, requirement_gaps, stage_at

SKILLS = ["billing", "support", "sales"]
LANGUAGES = ["en", "fr", "de"]
QUEUES = ["q1", "q2"]
STEPS = (ExpansionStep(30, lower_levels_by=1), ExpansionStep(90, fallback_languages=True),
         ExpansionStep(180, any_agent=True))

agents_strategy = st.lists(
    st.tuples(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3),
              st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2, unique=True),
              st.lists(st.sampled_from(LANGUAGES), max_size=1),
              st.lists(st.sampled_from(QUEUES), min_size=1, max_size=2, unique=True)),
    min_size=1, max_size=6)
needs_strategy = st.tuples(st.sampled_from(QUEUES),
                           st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), min_size=1, max_size=2),
                           st.sampled_from(LANGUAGES), st.integers(0, 2))
EVENTS = ["arrive", "arrive", "arrive", "ready", "pause", "answer", "finish", "no_answer", "leave", "wait"]


def eligible(agent: Agent, interaction: Interaction, queue: Queue, now: float) -> bool:
    relaxation = relaxation_at(queue, stage_at(queue, interaction.enqueued_at, now))
    return not requirement_gaps(agent, interaction.requirements(), relaxation)


def build(agent_specs, strategy, with_steps):
    queues = [Queue(name, strategy=strategy, expansion=STEPS if with_steps else (), max_wait_s=400,
                    overflow="vm") for name in QUEUES]
    agents = [Agent(f"a{n}", skills=skills, languages=tuple(languages),
                    fallback_languages=tuple(lang for lang in fallback if lang not in languages),
                    queues=tuple(member_of))
              for n, (skills, languages, fallback, member_of) in enumerate(agent_specs)]
    return Router(queues, agents)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(agent_specs=agents_strategy, strategy=st.sampled_from(["longest-idle", "best-skill", "least-occupied",
                                                              "round-robin"]),
       with_steps=st.booleans(), data=st.data())
def test_given_random_events_when_routed_then_offers_are_eligible_and_in_order_and_nobody_idles(
        agent_specs, strategy, with_steps, data):
    r = build(agent_specs, strategy, with_steps)
    now, made_calls = 0.0, 0
    every: dict[str, Interaction] = {}
    for _ in range(data.draw(st.integers(5, 40), label="events")):
        event = data.draw(st.sampled_from(EVENTS), label="event")
        offered = [i for i, a in r.held().items() if r.agents[a].state is AgentState.RINGING]
        answered = [i for i in r.held() if i not in offered]
        could_take = {a.id for a in r.agents.values() if can_take(a, Media.VOICE)}
        before_waiting = {i.id for i in r.waiting()}
        freed = set()
        if event == "wait":
            now += data.draw(st.sampled_from([1, 10, 30, 60, 120]), label="seconds")
            decisions = r.tick(now)
        elif event == "arrive":
            queue, skills, language, priority = data.draw(needs_strategy, label="needs")
            made_calls += 1
            interaction = Interaction(f"c{made_calls}", queue, Media.VOICE, skills, language, priority, now)
            every[interaction.id] = interaction
            before_waiting.add(interaction.id)
            decisions = r.interaction_arrived(interaction, now)
        elif event in ("ready", "pause"):
            agent = r.agents[data.draw(st.sampled_from(sorted(r.agents)), label="agent")]
            wanted = AgentState.AVAILABLE if event == "ready" else AgentState.PAUSED
            if agent.held() or wanted not in _next_states(agent):
                continue
            freed.add(agent.id)
            decisions = (r.agent_available(agent.id, now) if event == "ready"
                         else r.agent_unavailable(agent.id, now, AgentState.PAUSED, "break"))
        elif event in ("answer", "no_answer", "leave") and (offered or before_waiting):
            pool = offered if event != "leave" else sorted(before_waiting | set(offered))
            if not pool:
                continue
            chosen = data.draw(st.sampled_from(sorted(pool)), label="interaction")
            if event == "answer":
                r.answered(chosen, now)
                decisions = []
            else:
                freed.add(r.held().get(chosen))
                before_waiting.add(chosen)
                decisions = (r.ring_no_answer(chosen, now, pause_reason=data.draw(st.sampled_from([None, "no-answer"])))
                             if event == "no_answer" else r.interaction_left(chosen, now))
        elif event == "finish" and answered:
            chosen = data.draw(st.sampled_from(sorted(answered)), label="interaction")
            freed.add(r.held()[chosen])
            decisions = r.finished(chosen, now)
        else:
            continue
        waiting_after = r.waiting()
        for decision in decisions:
            interaction = every[decision.interaction_id]
            if isinstance(decision, Overflow):
                assert now - interaction.enqueued_at >= 400
                continue
            assert isinstance(decision, Assignment)
            agent = r.agents[decision.agent_id]
            queue = r.queues[interaction.queue]
            # nobody ineligible is ever offered
            assert decision.agent_id in could_take | freed
            assert eligible(agent, interaction, queue, now), decision
            # priority, then wait: nothing better that this agent could take is left waiting
            for other in waiting_after:
                if other.order_key() < interaction.order_key():
                    assert not eligible(agent, other, r.queues[other.queue], now), (decision, other.id)
        # nobody able to take a call idles while a call it is eligible for waits
        for agent in r.agents.values():
            if can_take(agent, Media.VOICE):
                for waiting in waiting_after:
                    assert not eligible(agent, waiting, r.queues[waiting.queue], now), (agent.id, waiting.id)


def _next_states(agent):
    from acd.model import TRANSITIONS
    return TRANSITIONS[agent.state] - ({AgentState.PAUSED} if agent.pause_reason == "break" else set())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 100)), min_size=1, max_size=30))
def test_given_random_arrivals_when_one_agent_serves_them_all_then_they_come_out_by_priority_then_wait(calls):
    r = Router([Queue("q")], [Agent("a1", skills={"billing": 1}, queues=("q",))])
    for n, (priority, at) in enumerate(calls):
        r.interaction_arrived(Interaction(f"c{n}", "q", skills={"billing": 1}, priority=priority,
                                          enqueued_at=float(at)), 100)
    served = []
    decisions = r.agent_available("a1", 101)
    while decisions:
        served.append(int(decisions[0].interaction_id[1:]))
        r.answered(decisions[0].interaction_id, 101)
        decisions = r.finished(decisions[0].interaction_id, 101)
    assert served == sorted(range(len(calls)), key=lambda n: (-calls[n][0], calls[n][1], n))


@settings(max_examples=100, deadline=None)
@given(level=st.integers(1, 5), minimum=st.integers(1, 5), waited=st.floats(0, 400),
       fallback_only=st.booleans())
def test_given_any_wait_when_a_call_arrives_then_the_steps_in_force_decide_the_offer(
        level, minimum, waited, fallback_only):
    queue = Queue("q", expansion=STEPS)
    languages, fallback = (("de",), ("en",)) if fallback_only else (("en",), ())
    r = Router([queue], [Agent("a1", skills={"billing": level}, languages=languages,
                               fallback_languages=fallback, queues=("q",))])
    r.agent_available("a1", 0)
    enqueued = 1000 - waited
    decisions = r.interaction_arrived(Interaction("c1", "q", skills={"billing": minimum},
                                                  enqueued_at=enqueued), 1000)
    lowered = 1 if enqueued + 30 <= 1000 else 0
    expected = (enqueued + 180 <= 1000 or ((not fallback_only or enqueued + 90 <= 1000)
                                           and level >= max(1, minimum - lowered)))
    assert bool(decisions) == expected
