"""Routing core benchmark: decisions per second and p99 decision latency at contact-center scale.

A seeded, generated centre: 50 skills, 5 languages, 20 queues, 2,000 agents and 200 routing
targets (what IVR flows ask for: a queue plus skill minimums), with 10,000 interactions kept
waiting. Every agent is busy, so each step is what a busy centre does all day: an agent
finishes, takes the best waiting interaction it may (a routing decision), the call is
answered, and a new caller arrives to keep 10,000 waiting. Time advances 10 ms a step and
`tick` runs every simulated second, so expansion steps relax waiting interactions as they age.

    python bench/acd_routing.py [--decisions 50000] [--seed 1]

Last line: decisions_per_s=<n> p99_ms=<x>  (router time only; generation is not counted).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from acd.model import Agent, ExpansionStep, Interaction, Media, Queue  # noqa: E402
from acd.router import Assignment, Router  # noqa: E402

SKILLS = [f"skill{n:02d}" for n in range(50)]
LANGUAGES = ["en", "fr", "de", "es", "it"]
LANGUAGE_WEIGHTS = [50, 20, 15, 10, 5]
QUEUES = 20
AGENTS = 2_000
TARGETS = 200
WAITING = 10_000
STEPS = (ExpansionStep(30, lower_levels_by=1), ExpansionStep(90, fallback_languages=True),
         ExpansionStep(180, any_agent=True))


def build(rng: random.Random) -> tuple[Router, list[tuple[str, dict[str, int]]]]:
    queue_skills = {f"q{n:02d}": rng.sample(SKILLS, 5) for n in range(QUEUES)}
    queues = [Queue(name, expansion=STEPS) for name in queue_skills]
    agents = []
    for n in range(AGENTS):
        member_of = rng.sample(sorted(queue_skills), rng.randint(1, 3))
        known = sorted({skill for queue in member_of for skill in queue_skills[queue]})
        skills = {skill: rng.randint(1, 5) for skill in rng.sample(known, min(len(known), rng.randint(3, 8)))}
        languages = rng.sample(LANGUAGES, rng.choice([1, 1, 2]))
        spare = [language for language in LANGUAGES if language not in languages]
        agents.append(Agent(f"a{n}", skills=skills, languages=tuple(languages),
                            fallback_languages=tuple(rng.sample(spare, rng.choice([0, 1]))),
                            queues=tuple(member_of)))
    targets = []
    for _ in range(TARGETS):
        queue = rng.choice(sorted(queue_skills))
        wanted = rng.sample(queue_skills[queue], rng.choice([1, 1, 2]))
        targets.append((queue, {skill: rng.randint(1, 3) for skill in wanted}))
    return Router(queues, agents), targets


def caller(rng: random.Random, targets, number: int, now: float) -> Interaction:
    queue, skills = rng.choice(targets)
    return Interaction(f"c{number}", queue, Media.VOICE, skills,
                       rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0], rng.choice([0, 0, 0, 1, 2]), now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    router, targets = build(rng)
    now, number = 0.0, 0
    talking: list[str] = []
    for agent_id in router.agents:
        for decision in router.agent_available(agent_id, now):
            router.answered(decision.interaction_id, now)
            talking.append(decision.interaction_id)
    while router.waiting_count() < WAITING:
        number += 1
        for decision in router.interaction_arrived(caller(rng, targets, number, now), now):
            router.answered(decision.interaction_id, now)
            talking.append(decision.interaction_id)
    # Agents nobody's requirements fit stay idle; the busy ones carry the run.
    latencies: list[float] = []
    decisions = 0
    spent = 0.0
    next_tick = 1.0
    clock = time.perf_counter
    while decisions < args.decisions and talking:
        now += 0.01
        index = rng.randrange(len(talking))
        talking[index], talking[-1] = talking[-1], talking[index]
        finishing = talking.pop()
        number += 1
        arriving = caller(rng, targets, number, now)
        started = clock()
        made = router.finished(finishing, now)
        made += router.interaction_arrived(arriving, now)
        if now >= next_tick:
            made += router.tick(now)
            next_tick += 1.0
        for decision in made:
            if isinstance(decision, Assignment):
                router.answered(decision.interaction_id, now)
                talking.append(decision.interaction_id)
        elapsed = clock() - started
        spent += elapsed
        if made:
            latencies.append(elapsed / len(made))
            decisions += len(made)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    print(f"waiting={router.waiting_count()} agents={len(router.agents)} talking={len(talking)} "
          f"groups={len(router._waiting.groups)} simulated_s={now:.0f}")
    print(f"decisions_per_s={decisions / spent:.0f} p99_ms={p99:.3f}")


if __name__ == "__main__":
    main()
