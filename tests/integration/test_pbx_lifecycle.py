"""`ivr pbx up|down|status|cli` against the real local Asterisk."""
from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.errors import PbxError
from ivr.pbx.local import LocalPbx

IVR = [sys.executable, "-m", "ivr"]
ROOT = Path(__file__).resolve().parents[2]


def ivr(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*IVR, *args], capture_output=True, text=True, cwd=ROOT, timeout=180, env=env)


def asterisk_pids(root: str) -> list[int]:
    """Asterisk processes chrooted in our PBX root (another PBX on the machine is not ours)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "asterisk" and \
                    (comm.parent / "root").resolve() == Path(root).resolve():
                pids.append(int(comm.parent.name))
        except OSError:
            pass
    return pids


def test_given_a_running_pbx_when_up_runs_twice_then_both_are_no_ops(pbx):
    pid = pbx.pid()
    first, second = ivr("pbx", "up"), ivr("pbx", "up")
    assert first.returncode == second.returncode == 0
    assert f"already running (pid {pid})" in second.stdout
    assert pbx.pid() == pid


def test_given_a_running_pbx_when_status_and_cli_run_then_they_report_the_real_asterisk(pbx):
    status = ivr("pbx", "status")
    assert status.returncode == 0, status.stderr
    assert "Asterisk 22." in status.stdout and "active channels" in status.stdout
    version = ivr("pbx", "cli", "core show version")
    assert version.returncode == 0 and version.stdout.startswith("Asterisk 22.")


def test_given_a_running_pbx_when_down_then_nothing_runs_or_stays_mounted_and_up_brings_it_back(pbx):
    down = ivr("pbx", "down")
    assert down.returncode == 0, down.stderr
    assert asterisk_pids(pbx.root) == []
    assert pbx._mounted() == []
    assert ivr("pbx", "status").returncode == 3
    assert ivr("pbx", "cli", "core show uptime").returncode != 0

    up = ivr("pbx", "up")
    assert up.returncode == 0, up.stderr
    assert "PBX up: Asterisk 22." in up.stdout
    assert len(asterisk_pids(pbx.root)) == 1


def test_given_the_sip_port_is_taken_when_up_runs_then_it_fails_with_one_clear_line(config, tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        taken = holder.getsockname()[1]
        other = dataclasses.replace(config, sip=dataclasses.replace(config.sip, port=taken),
                                    pbx=dataclasses.replace(config.pbx, root=str(tmp_path / "pbx")))
        with pytest.raises(PbxError, match=rf"SIP port 127.0.0.1:{taken}/udp is already in use"):
            LocalPbx(other, say=lambda _: None).up()
    assert not (tmp_path / "pbx").exists()  # failed before building anything
