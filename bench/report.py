"""How long `ivr report` for a month and the wallboard's first frame take on a big store.

    .venv/bin/python bench/report.py                                  # SQLite, 1,000,000 interactions
    .venv/bin/python bench/report.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

Fills a fresh store with `--interactions` ended interactions spread over `--days` days up to now
(3 queues, `--agents` agents, 80 % answered, 15 % abandoned, 5 % overflow; every answered one
leaves two agent state changes), then times, as the commands do them:

- report: reading the month's interactions and state changes from the store and building the
  report per hour, per queue and per agent (`ivr report --from <30 days ago> --interval 1h`);
- first frame: the wallboard's first read of today's interactions (`DayStats.read`).

Last line: `store=<kind> interactions=<n> fill_s=<x> report_month_s=<x> first_frame_s=<x>` per store.
The goal is under 2 s each.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from types import SimpleNamespace

import sqlalchemy as sa

from acd import report
from acd.model import Queue
from acd.store import Store, interactions, state_log
from ivr.live.acd.day_stats import DayStats

QUEUES = ("billing", "support", "sales")
CHUNK = 50_000


def fill(store: Store, count: int, days: int, agents: int, now: float, seed: int = 1) -> None:
    rng = random.Random(seed)
    start = now - days * 86400
    rows, changes = [], []

    def flush() -> None:
        with store.engine.begin() as connection:
            if rows:
                connection.execute(interactions.insert(), rows)
            if changes:
                connection.execute(state_log.insert(), changes)
        rows.clear()
        changes.clear()
    for seq in range(count):
        enqueued = start + (now - start - 3600) * seq / count  # in time order, like real traffic
        luck = rng.random()
        agent, answered = None, None
        if luck < 0.80:
            answered = enqueued + rng.expovariate(1 / 30)
            ended, outcome = answered + rng.expovariate(1 / 180), "answered"
            agent = f"agent{rng.randrange(agents)}"
            changes.append({"agent_id": agent, "from_state": "available", "to_state": "busy", "at": answered})
            changes.append({"agent_id": agent, "from_state": "busy", "to_state": "available", "at": ended})
        elif luck < 0.95:
            ended, outcome = enqueued + rng.expovariate(1 / 40), "abandoned"
        else:
            ended, outcome = enqueued + 600, "overflow"
        rows.append({"id": f"c{seq}", "queue": QUEUES[seq % 3], "media": "voice", "skills": {}, "language": "en",
                     "priority": 0, "enqueued_at": enqueued, "seq": seq, "customer": f"555{seq:07d}",
                     "status": "ended", "agent_id": agent, "offered_at": answered and answered - 1,
                     "answered_at": answered, "ended_at": ended, "outcome": outcome})
        if len(rows) >= CHUNK:
            flush()
    flush()


def month_report(store: Store, now: float, days: int) -> report.Report:
    since = now - days * 86400
    records = store.ended(since, now)
    changes = store.state_log_between(since, now)
    return report.build(records, changes, {name: Queue(name) for name in QUEUES}, since, now, 3600)


def first_frame(store: Store, now: float) -> DayStats:
    service = SimpleNamespace(clock=lambda: now, store=store,
                              router=SimpleNamespace(queues={name: Queue(name) for name in QUEUES}))
    stats = DayStats(service)
    asyncio.run(stats.read())
    return stats


def measure(kind: str, url: str, args: argparse.Namespace) -> str:
    store = Store(url)
    now = time.time()
    began = time.perf_counter()
    fill(store, args.interactions, args.days, args.agents, now)
    fill_s = time.perf_counter() - began
    began = time.perf_counter()
    built = month_report(store, now, args.days)
    report_s = time.perf_counter() - began
    began = time.perf_counter()
    stats = first_frame(store, now)
    frame_s = time.perf_counter() - began
    store.close()
    print(f"{kind}: month report offered={built.total.offered} intervals={len(built.intervals)} "
          f"agents={len(built.per_agent)}; today offered={sum(t.offered for t in stats.today.values())}")
    return (f"store={kind} interactions={args.interactions} fill_s={fill_s:.1f} report_month_s={report_s:.2f} "
            f"first_frame_s={frame_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--pg-url", help="an empty PostgreSQL database to fill (PostgreSQL is measured only then)")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-report-") as directory:
        lines.append(measure("sqlite", f"sqlite:///{directory}/acd.sqlite", args))
    if args.pg_url:
        engine = sa.create_engine(args.pg_url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS acd_interactions, acd_agent_state_log, "
                                       "acd_agent_states, acd_explanations"))
        engine.dispose()
        lines.append(measure("postgresql", args.pg_url, args))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
