#!/usr/bin/env python3
"""Real calls through the local PBX and `ivr serve`: prompt, DTMF 1, reply prompt, hang up.

The call runs a flow (`--flow`, default the `echo-digit` line test) over real SIP.

Places calls with SIPp at --rate calls/s, at most --concurrent at once, and prints one
comparable last line:
  calls=<placed> ok=<completed> failed=<n> controller_cpu_s_per_call=<x> dtmf_to_prompt_p50_ms=<x> dtmf_to_prompt_p99_ms=<x>
A call is ok when SIPp completed it and the controller saw the digit 1, answered with the
reply prompt and hung up without error. Run as root (it starts the local PBX if needed).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr import config as config_module  # noqa: E402
from ivr.pbx.local import LocalPbx  # noqa: E402
from ivr.testing import sipp  # noqa: E402

CALL_END = re.compile(r"event=call\.end .*ended_by=(\S+) digits=(\S*) dtmf_to_prompt_ms=(\S*) error=(\S*)")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=100, help="most calls up at once (default 100)")
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second (default 20)")
    parser.add_argument("--calls", type=int, help="calls to place (default 3 x --concurrent)")
    parser.add_argument("--pause-ms", type=int, default=2500, help="caller listens this long, then presses 1")
    parser.add_argument("--flow", default="echo-digit",
                        help="flow to call; dials a service number routed to it (default echo-digit)")
    parser.add_argument("--config", default=str(ROOT / "ivr.yaml"))
    args = parser.parse_args()
    calls = args.calls or 3 * args.concurrent

    config = config_module.load(args.config)
    numbers = [n for n, flow in config.flows.routes.items() if flow == args.flow]
    if not numbers:
        sys.exit(f"no service number routes to flow {args.flow!r} in {args.config} (flows.routes)")
    LocalPbx(config, say=lambda m: print(m, file=sys.stderr)).up()
    workdir = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    log_path = workdir / "serve.log"
    env = {**os.environ, "IVR_CONFIG": args.config}
    with log_path.open("w") as log_file:
        serve = subprocess.Popen([sys.executable, "-m", "ivr", "serve"], cwd=ROOT, env=env,
                                 stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while "event=ari.connected" not in log_path.read_text():
            if time.monotonic() > deadline or serve.poll() is not None:
                sys.exit(f"ivr serve did not connect: {log_path.read_text()[-500:]}")
            time.sleep(0.1)
        cpu_before = cpu_seconds(serve.pid)
        result = sipp.place_calls("caller_dtmf1", service=numbers[0], calls=calls, rate=args.rate, limit=args.concurrent,
                                  pause_ms=args.pause_ms, timeout_s=calls / args.rate + 120, workdir=workdir)
        time.sleep(1.0)  # let the last call.end lines reach the log
        cpu_used = cpu_seconds(serve.pid) - cpu_before
    finally:
        serve.terminate()
        serve.wait(10)

    ok, latencies = 0, []
    for match in CALL_END.finditer(log_path.read_text()):
        ended_by, digits, latency, error = match.groups()
        if digits == "1" and ended_by == "controller" and error == '""':
            ok += 1
        if latency not in ("", "None", '""'):
            latencies.append(float(latency))
    placed = result.successful + result.failed
    ok = min(ok, result.successful)
    print(f"sipp: {result.successful} successful, {result.failed} failed, peak {result.peak_concurrent} "
          f"concurrent at {args.rate} calls/s; log in {workdir}", file=sys.stderr)
    print(f"calls={placed} ok={ok} failed={placed - ok} "
          f"controller_cpu_s_per_call={cpu_used / max(placed, 1):.4f} "
          f"dtmf_to_prompt_p50_ms={percentile(latencies, 0.5):.1f} "
          f"dtmf_to_prompt_p99_ms={percentile(latencies, 0.99):.1f}")
    return 0 if placed and placed == ok else 1


if __name__ == "__main__":
    sys.exit(main())
