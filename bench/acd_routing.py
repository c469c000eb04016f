"""Routing core benchmark: decisions per second and p99 decision latency at contact-center scale.

A seeded, generated centre: 50 skills, 5 languages, 20 queues, 2,000 agents and 200 routing
targets (what IVR flows ask for: a queue plus skill minimums), with 10,000 interactions kept
waiting. Every agent is busy, so each step is what a busy centre does all day: an agent
finishes, takes the best waiting interaction it may (a routing decision), the call is
answered, and a new caller arrives to keep 10,000 waiting. Time advances 10 ms a step and
`tick` runs every simulated second, so expansion steps relax waiting interactions as they age.
The first --warmup decisions are not measured: they fill the router's per-agent eligibility
cache, which a live server fills once in its first minutes.

    python bench/acd_routing.py [--decisions 50000] [--warmup 20000] [--seed 1]

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


class Centre:
    """The benchmark's busy centre: a router, the calls being talked, the simulated clock."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.router, self.targets = build(self.rng)
        self.now, self.number, self.next_tick = 0.0, 0, 1.0
        self.talking: list[str] = []
        for agent_id in self.router.agents:
            self.answer(self.router.agent_available(agent_id, self.now))
        while self.router.waiting_count() < WAITING:
            self.number += 1
            self.answer(self.router.interaction_arrived(caller(self.rng, self.targets, self.number, self.now),
                                                        self.now))

    def answer(self, decisions) -> None:
        for decision in decisions:
            if isinstance(decision, Assignment):
                self.router.answered(decision.interaction_id, self.now)
                self.talking.append(decision.interaction_id)

    def run(self, wanted: int) -> tuple[int, float, list[float]]:
        """Step until `wanted` decisions: (decisions, router seconds, per-decision latencies)."""
        router, clock = self.router, time.perf_counter
        decisions, spent, latencies = 0, 0.0, []
        while decisions < wanted and self.talking:
            self.now += 0.01
            index = self.rng.randrange(len(self.talking))
            self.talking[index], self.talking[-1] = self.talking[-1], self.talking[index]
            finishing = self.talking.pop()
            self.number += 1
            arriving = caller(self.rng, self.targets, self.number, self.now)
            started = clock()
            made = router.finished(finishing, self.now)
            made += router.interaction_arrived(arriving, self.now)
            if self.now >= self.next_tick:
                made += router.tick(self.now)
                self.next_tick += 1.0
            self.answer(made)
            elapsed = clock() - started
            spent += elapsed
            if made:
                latencies.append(elapsed / len(made))
                decisions += len(made)
        return decisions, spent, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--warmup", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    centre = Centre(args.seed)
    centre.run(args.warmup)
    decisions, spent, latencies = centre.run(args.decisions)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    print(f"waiting={centre.router.waiting_count()} agents={len(centre.router.agents)} "
          f"talking={len(centre.talking)} simulated_s={centre.now:.0f}")
    print(f"decisions_per_s={decisions / spent:.0f} p99_ms={p99:.3f}")


if __name__ == "__main__":
    main()
