"""`ivr serve` when Asterisk refuses it or is not there."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from ivr.testing.sipp import free_udp_port

ROOT = Path(__file__).resolve().parents[2]


def serve(**env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ivr", "serve"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env})


def test_given_a_wrong_ari_password_when_serve_starts_then_it_exits_3_with_one_clear_line(config, pbx):
    proc = serve(IVR_ARI_PASSWORD="not-the-password")
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 3
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: ARI at {config.ari.url} refused user {config.ari.username!r}: wrong username or "
                      "password (ari.username/ari.password in the config, or IVR_ARI_PASSWORD)"]
    assert "Traceback" not in stderr


def test_given_no_pbx_when_serve_starts_then_it_retries_with_growing_backoff_and_says_so():
    # A port nothing listens on stands in for a PBX that is not running.
    proc = serve(IVR_ARI_URL=f"http://127.0.0.1:{free_udp_port()}")
    lines: list[str] = []
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline and len(lines) < 3:
            line = proc.stderr.readline()
            if "event=ari.unreachable" in line:
                lines.append(line)
        assert proc.poll() is None, "serve gave up instead of retrying"
    finally:
        proc.terminate()
        proc.wait(10)
    delays = [float(re.search(r"retry_in_s=([\d.]+)", line).group(1)) for line in lines]
    assert len(delays) == 3 and delays[0] < delays[1] < delays[2]


def test_given_a_broken_flow_when_serve_starts_then_it_refuses_with_file_and_line(tmp_path):
    (tmp_path / "support-line.yaml").write_text("name: support-line\nstart: a\nnodes:\n  a: {say: hi, next: b}\n")
    proc = serve(IVR_FLOWS_DIR=str(tmp_path))
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert f"error: {tmp_path}/support-line.yaml:4:22: error: unknown node 'b'" in stderr.splitlines()
    assert "event=ari.connected" not in stderr
