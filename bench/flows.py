"""Flow engine overhead: the shipped support-line flow, run many times in the simulator.

No PBX, no network, no waiting: every prompt, key and data dip is answered at once by the
ScriptedPort, so the time measured is the engine's own (node dispatch, templates,
expressions, tracing). The last line is one comparable figure: `nodes_per_s=<n>`.

    .venv/bin/python bench/flows.py --runs 2000
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr.flows.loader import load_flows  # noqa: E402
from ivr.flows.port import HttpResult  # noqa: E402
from ivr.flows.runner import FlowRunner  # noqa: E402
from ivr.flows.simulator import ScriptedPort, parse_time  # noqa: E402

# A mix of the paths callers take: billing, support by barge-in, the account lookup, after hours.
SCENARIOS = [
    dict(inputs=["1", "1"], at="2026-11-23T10:00"),
    dict(inputs=["barge:2", "barge:2"], at="2026-11-24T15:00"),
    dict(inputs=["1", "3", "12345678#", "1"], at="2026-11-23T10:00",
         http=[HttpResult(200, {"name": "Ada", "balance": 42, "tier": "gold"})]),
    dict(inputs=["1"], at="2026-11-23T20:30"),
]


async def run_all(flows, runs: int) -> tuple[int, float]:
    nodes = 0
    prepared = [(s["inputs"], parse_time(s["at"], "Europe/Paris"), s.get("http", [])) for s in SCENARIOS]
    started = time.perf_counter()
    for index in range(runs):
        inputs, at, http = prepared[index % len(prepared)]
        port = ScriptedPort(inputs, at=at, caller="+15550100", http=http)
        outcome = await FlowRunner(flows, port).run("support-line")
        if outcome.kind == "error":
            raise SystemExit(f"run {index} failed: {outcome.describe()}")
        nodes += outcome.steps
    return nodes, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="calls to simulate (default 2000)")
    parser.add_argument("--dir", default=str(ROOT / "flows"), help="flows directory")
    args = parser.parse_args()
    loaded_at = time.perf_counter()
    flows = load_flows(args.dir)
    load_ms = (time.perf_counter() - loaded_at) * 1000
    if flows.has_errors:
        raise SystemExit("\n".join(str(problem) for problem in flows.errors))
    asyncio.run(run_all(flows, min(args.runs, 50)))  # warm up
    nodes, elapsed = asyncio.run(run_all(flows, args.runs))
    print(f"load_and_validate_ms={load_ms:.1f}")
    print(f"runs={args.runs} nodes={nodes} seconds={elapsed:.3f}")
    print(f"us_per_call={elapsed / args.runs * 1e6:.1f} us_per_node={elapsed / nodes * 1e6:.2f}")
    print(f"nodes_per_s={nodes / elapsed:.0f}")


if __name__ == "__main__":
    main()
