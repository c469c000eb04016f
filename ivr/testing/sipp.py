"""Place real SIP calls with SIPp (Debian package `sip-tester`) and read back what happened."""
from __future__ import annotations

import csv
import os
import random
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class SippResult:
    returncode: int
    successful: int
    failed: int
    peak_concurrent: int
    output: str


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if not path:
        raise RuntimeError("sipp not found: install the Debian package sip-tester (make test does)")
    return path


def default_target() -> str:
    """The local PBX's SIP address: IVR_SIP_PORT (as ivr.config reads it) or 5060."""
    return f"127.0.0.1:{os.environ.get('IVR_SIP_PORT', '5060')}"


def start_calls(scenario: str | Path, *, target: str | None = None, service: str = "100", calls: int = 1,
                rate: float | None = None, limit: int | None = None, pause_ms: int = 2000,
                media_port: int | None = None, timeout_s: float = 60.0,
                workdir: Path | None = None, caller: str = "5550100") -> tuple[subprocess.Popen[str], Path]:
    """Start SIPp in the background; returns the process and its statistics file.

    `scenario` is the name of a shipped scenario or the path of a scenario file.
    """
    target = target or default_target()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="sipp-"))
    stat_file = workdir / "stats.csv"
    cmd = [
        sipp_binary(), target, "-sf", str(scenario if isinstance(scenario, Path) else SCENARIOS / f"{scenario}.xml"),
        "-s", service, "-key", "caller", caller,
        "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(media_port or random.randrange(30000, 40000, 8)),
        "-m", str(calls), "-d", str(pause_ms), "-nostdin", "-timeout", f"{int(timeout_s)}s", "-timeout_error",
        "-trace_stat", "-stf", str(stat_file), "-fd", "1",
    ]
    if rate is not None:
        cmd += ["-r", str(rate)]
    if limit is not None:
        cmd += ["-l", str(limit)]
    proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, stat_file


def finish(proc: subprocess.Popen[str], stat_file: Path, timeout_s: float = 120.0) -> SippResult:
    output, _ = proc.communicate(timeout=timeout_s)
    rows = list(csv.DictReader(stat_file.open(), delimiter=";")) if stat_file.exists() else []
    if not rows:
        return SippResult(proc.returncode, 0, 0, 0, output)
    return SippResult(proc.returncode, int(rows[-1]["SuccessfulCall(C)"]), int(rows[-1]["FailedCall(C)"]),
                      max(int(row["CurrentCall"]) for row in rows), output)


def place_calls(scenario: str | Path, **kw) -> SippResult:
    """Run a scenario to the end (blocking)."""
    timeout_s = kw.get("timeout_s", 60.0)
    proc, stat_file = start_calls(scenario, **kw)
    return finish(proc, stat_file, timeout_s + 30)
