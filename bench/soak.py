#!/usr/bin/env python3
"""Soak: real calls at a steady concurrency for a long time through `ivr serve` (a child process).

Two kinds of calls run side by side, placed with SIPp through the local PBX:
- the line test (199, `echo-digit`): prompt, key 1, the key said back, the IVR hangs up;
- queued calls (100, `soak-queue`, queue `soak` of bench/soak-acd.yaml): the caller waits with
  music until one of the four SIPp agent phones answers, talks, and hangs up (`--talk-ms`).

At the end it checks what a long run leaves behind and prints one comparable last line:
  calls=<n> failed=<n> leaked_channels=<n> leaked_bridges=<n> stuck_agents=<n> store_out_of_step=<n>
  rss_start_mb=<x> rss_end_mb=<x> growth_pct=<x>
`rss_start` is read once the warm-up is over, `rss_end` just before the load stops (same load).
With `--tracemalloc` the controller runs under tracemalloc and the top growth between the two
points is printed (it slows the controller; use it to find a leak, not for the figures).
Run as root from the repository (it starts the local PBX if needed). Goal: 0 leaked, growth < 5%.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from acd.store import agent_states, interactions  # noqa: E402
from ivr import config as config_module  # noqa: E402
from ivr.pbx.local import LocalPbx  # noqa: E402
from ivr.testing import sipp  # noqa: E402
from ivr.testing.agent_phone import AgentPhone  # noqa: E402
from ivr.testing.scripted_caller import caller_scenario  # noqa: E402
from ivr.testing.serve_process import ServeProcess  # noqa: E402

HERE = Path(__file__).parent
LINE_CALL_S = 2.5  # a line-test call lasts the caller's pause plus about this (prompt, reply, BYE)
SETTLED_STATES = ("available", "logged_out", "paused")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ari_counts(serve: ServeProcess) -> tuple[int, int]:
    import base64
    import json
    import urllib.request

    ari = serve.config.ari
    token = base64.b64encode(f"{ari.username}:{ari.password}".encode()).decode()
    counts = []
    for path in ("/channels", "/bridges"):
        request = urllib.request.Request(ari.url.rstrip("/") + "/ari" + path,
                                         headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            counts.append(len(json.loads(response.read())))
    return counts[0], counts[1]


def hang_up_leftovers(config) -> int:
    """Calls left in Stasis by an earlier run would be adopted by our controller and skew the figures."""
    import base64
    import json
    import urllib.request

    ari = config.ari
    token = base64.b64encode(f"{ari.username}:{ari.password}".encode()).decode()

    def request(method: str, path: str):
        req = urllib.request.Request(ari.url.rstrip("/") + "/ari" + path, method=method,
                                     headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None
    found = 0
    for kind in ("channels", "bridges"):
        for item in request("GET", f"/{kind}"):
            request("DELETE", f"/{kind}/{item['id']}")
            found += 1
    return found


def out_of_step(engine: sa.Engine, serve: ServeProcess) -> tuple[int, int]:
    """(interactions still open in the store, agents whose stored state differs from memory)."""
    with engine.connect() as connection:
        open_rows = connection.execute(sa.select(sa.func.count()).select_from(interactions)
                                       .where(interactions.c.status != "ended")).scalar_one()
        stored = {row.agent_id: row.state for row in connection.execute(sa.select(agent_states))}
    memory = serve.agents()
    differ = sum(1 for agent, state in memory.items() if stored.get(agent, "logged_out") != state)
    return open_rows, differ


def settle(check, timeout: float):
    """Poll `check` (returns a count) until it is 0 or the deadline passes; the last count."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if not value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=200, help="line-test calls up at once (default 200)")
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the load runs (default 60)")
    parser.add_argument("--pause-ms", type=int, default=5000, help="a line-test caller listens this long, then "
                        "presses 1 (under the flow's 6 s key timeout)")
    parser.add_argument("--queued-rate", type=float, default=0.3, help="queued calls per second (default 0.3; "
                        "0 for none)")
    parser.add_argument("--talk-ms", type=int, default=6000, help="a queued caller hangs up this long after "
                        "the IVR answers (default 6000)")
    parser.add_argument("--warmup-s", type=float, help="seconds before rss_start (default 10%% of the run, >= 30)")
    parser.add_argument("--store-url", help="the ACD store (default a fresh SQLite file in the work dir)")
    parser.add_argument("--tracemalloc", action="store_true", help="report the controller's top memory growth")
    parser.add_argument("--config", default=str(ROOT / "ivr.yaml"))
    args = parser.parse_args()

    seconds = args.minutes * 60
    warmup = args.warmup_s if args.warmup_s is not None else max(30.0, seconds / 10)
    rate = args.concurrent / (args.pause_ms / 1000 + LINE_CALL_S)
    line_calls = max(1, int(rate * seconds))
    queued_calls = int(args.queued_rate * seconds)
    config = config_module.load(args.config)
    LocalPbx(config, say=say).up()
    left = hang_up_leftovers(config)
    if left:
        say(f"soak: hung up {left} channels/bridges an earlier run left on the PBX")
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    store_url = args.store_url or f"sqlite:///{workdir}/acd.sqlite"
    serve = ServeProcess.configured(config, workdir, flows_dir=HERE / "soak_flows", acd_file=HERE / "soak-acd.yaml",
                                    store_url=store_url, routes={"199": "echo-digit", "100": "soak-queue"},
                                    control_port=_free_port())
    env = {"IVR_DEBUG_TRACEMALLOC": str(workdir / "tracemalloc")} if args.tracemalloc else {}
    serve.start(env=env, command=[sys.executable, str(HERE / "soak_serve.py")] if args.tracemalloc else None)
    say(f"soak: {args.minutes} min, {args.concurrent} line-test calls at once ({rate:.1f}/s, {line_calls} calls), "
        f"{queued_calls} queued calls at {args.queued_rate}/s; work dir {workdir}")
    phones = []
    engine = sa.create_engine(store_url)
    try:
        for agent in config.agents:
            phones.append(AgentPhone(agent.id, agent.password, target=f"127.0.0.1:{config.sip.port}",
                                     answer_after_ms=300, calls=queued_calls + 100).start())
            serve.control("POST", f"/agents/{agent.id}/login")
        started = time.monotonic()
        line = sipp.start_calls("caller_dtmf1", service="199", calls=line_calls, rate=rate, limit=args.concurrent,
                                pause_ms=args.pause_ms, timeout_s=seconds + 300, workdir=_mkdir(workdir / "line"),
                                target=f"127.0.0.1:{config.sip.port}")
        queued = (None, None)
        if queued_calls:
            scenario = caller_scenario([f"wait {args.talk_ms}"], end="hangup", directory=_mkdir(workdir / "queued"))
            queued = sipp.start_calls(scenario, service="100", calls=queued_calls, rate=args.queued_rate,
                                      limit=50, timeout_s=seconds + 300, workdir=workdir / "queued",
                                      target=f"127.0.0.1:{config.sip.port}", caller="5550199")
        rss_start = rss_end = 0
        next_sample = started + 60
        while line[0].poll() is None and time.monotonic() - started < seconds + 120:
            now = time.monotonic()
            if not rss_start and now - started >= warmup:
                rss_start = serve.rss_kb()
                if args.tracemalloc:
                    serve.signal_debug()
                say(f"soak: warm-up over, rss {rss_start / 1024:.1f} MB")
            if now >= next_sample:
                next_sample += 60
                try:
                    channels, bridges = ari_counts(serve)
                except OSError as exc:  # Asterisk's HTTP server drops a request now and then under load
                    say(f"soak: t={now - started:.0f}s ARI did not answer: {exc!r}")
                    continue
                say(f"soak: t={now - started:.0f}s rss={serve.rss_kb() / 1024:.1f}MB channels={channels} "
                    f"bridges={bridges} failed_calls={serve.count('call.failed')}")
            if now - started >= seconds - 2 and not rss_end:
                rss_end = serve.rss_kb()
                if args.tracemalloc:
                    serve.signal_debug()
            time.sleep(0.5)
        rss_end = rss_end or serve.rss_kb()
        rss_start = rss_start or rss_end
        results = [sipp.finish(*line, 600)] + ([sipp.finish(*queued, 600)] if queued[0] else [])
        for name, result in zip(("line", "queued"), results):
            say(f"soak: {name} calls: {result.successful} ok, {result.failed} failed, peak {result.peak_concurrent}")
        leaked_channels = settle(lambda: ari_counts(serve)[0], 20)
        leaked_bridges = ari_counts(serve)[1]
        stuck = settle(lambda: sum(s not in SETTLED_STATES for s in serve.agents().values()), 15)
        open_rows, agents_differ = out_of_step(engine, serve)
        rss_settled = serve.rss_kb()
        controller_failed = serve.count("call.failed")
        say(f"soak: agents {serve.agents()}; open interactions {open_rows}; agents differing from the store "
            f"{agents_differ}; call.failed lines {controller_failed}; rss after the calls {rss_settled / 1024:.1f} MB")
        if args.tracemalloc:
            say((workdir / "tracemalloc" / "top.txt").read_text() if (workdir / "tracemalloc" / "top.txt").exists()
                else "soak: no tracemalloc report")
    finally:
        for proc, _ in [line, queued] if "line" in locals() else []:
            if proc is not None and proc.poll() is None:
                proc.kill()
        for phone in phones:
            phone.stop()
        serve.stop()
        engine.dispose()
    calls = sum(r.successful + r.failed for r in results)
    failed = sum(r.failed for r in results) + controller_failed
    growth = 100.0 * (rss_end - rss_start) / rss_start
    print(f"calls={calls} failed={failed} leaked_channels={leaked_channels} leaked_bridges={leaked_bridges} "
          f"stuck_agents={stuck} store_out_of_step={open_rows + agents_differ} rss_start_mb={rss_start / 1024:.1f} "
          f"rss_end_mb={rss_end / 1024:.1f} growth_pct={growth:.1f}")
    clean = not (failed or leaked_channels or leaked_bridges or stuck or open_rows or agents_differ)
    return 0 if clean and growth < 5.0 else 1


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
