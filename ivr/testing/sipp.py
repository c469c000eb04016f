"""Place real SIP calls with SIPp (Debian package `sip-tester`) and read back what happened."""
from __future__ import annotations

import csv
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


def free_media_port() -> int:
    """A port P for SIPp's `-mp`, with P and P + 2 free: SIPp binds its audio RTP socket on P and its
    video one on P + 2, and exits 254 at start when either is taken (by another SIPp of ours, or of
    another test run on the same machine)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as audio, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as video:
            audio.bind(("127.0.0.1", 0))
            port = audio.getsockname()[1]
            try:
                video.bind(("127.0.0.1", port + 2))
            except (OSError, OverflowError):  # taken, or P + 2 beyond 65535
                continue
            return port


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if not path:
        raise RuntimeError("sipp not found: install the Debian package sip-tester (make test does)")
    return path


def start_calls(scenario: str | Path, *, target: str | None = None, service: str = "100", calls: int = 1,
                rate: float | None = None, limit: int | None = None, pause_ms: int = 2000,
                media_port: int | None = None, timeout_s: float = 60.0,
                workdir: Path | None = None, caller: str = "5550100") -> tuple[subprocess.Popen[str], Path]:
    """Start SIPp in the background; returns the process and its statistics file.

    `scenario` is the name of a shipped scenario or the path of a scenario file.
    """
    if target is None:  # the PBX of the service config (IVR_SIP_PORT and friends apply)
        from ..config import load
        target = f"127.0.0.1:{load().sip.port}"
    workdir = workdir or Path(tempfile.mkdtemp(prefix="sipp-"))
    stat_file = workdir / "stats.csv"
    cmd = [
        sipp_binary(), target, "-sf", str(scenario if isinstance(scenario, Path) else SCENARIOS / f"{scenario}.xml"),
        "-s", service, "-key", "caller", caller,
        "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(media_port or free_media_port()),
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
