"""Security on the real PBX and controller: what listens where, the control API's guard, caller isolation."""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ivr.errors import SipRefused
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.refused_call import final_status
from ivr.testing.channel_config import with_channels
from ivr.testing.serve_thread import ServeThread

ROOT = Path(__file__).resolve().parents[2]


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def guarded(config, pbx, pbx_state, tmp_path):
    """`ivr serve` with the ACD, its control API (token in tmp_path) and the email, chat and SMS
    listeners (free ports), on the shipped flows."""
    config = with_channels(config, email={"attachments_dir": str(tmp_path / "attachments")}, chat={}, sms={})
    config = dataclasses.replace(
        config, acd=dataclasses.replace(config.acd, store_url=f"sqlite:///{tmp_path}/acd.sqlite"),
        control=dataclasses.replace(config.control, port=free_tcp_port(), token_file=str(tmp_path / "token")),
        metrics=dataclasses.replace(config.metrics, port=free_tcp_port()))
    with ServeThread(config, acd=True) as thread:
        yield thread
    deadline = time.monotonic() + 15
    while pbx_state() != ([], []) and time.monotonic() < deadline:
        time.sleep(0.1)


# -- the socket table -------------------------------------------------------------------------------
def sockets(pid: int) -> list[tuple[str, str, int]]:
    """(protocol, local address, port) of every UDP socket and listening TCP socket of process `pid`."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode not in inodes or (proto.startswith("tcp") and state != "0A"):  # 0A: LISTEN
                continue
            address, port = local.split(":")
            raw = bytes.fromhex(address)
            # /proc/net prints each 32-bit word of the address in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append((proto, str(ipaddress.ip_address(raw)), int(port, 16)))
    return found


def test_given_pbx_and_serve_during_a_call_when_the_socket_table_is_read_then_nothing_listens_beyond_loopback(
        config, pbx, guarded):
    proc, stats = sipp.start_calls("caller_dtmf1", service="199", pause_ms=6000,
                                   target=f"127.0.0.1:{config.sip.port}")
    deadline = time.monotonic() + 10
    while not guarded.controller.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert guarded.controller.calls, "the call never reached the controller"
    asterisk, controller = sockets(pbx.pid()), sockets(os.getpid())
    result = sipp.finish(proc, stats)
    assert result.successful == 1, result.output[-1500:]

    rtp = [s for s in asterisk if s[0] == "udp" and config.sip.rtp_start <= s[2] <= config.sip.rtp_end]
    assert rtp and all(address == "127.0.0.1" for _, address, _ in rtp)  # the call's media, on sip.host
    assert ("tcp", "127.0.0.1", guarded.config.control.port) in controller
    assert ("tcp", "127.0.0.1", guarded.config.metrics.port) in controller
    for media in ("email", "chat", "sms"):  # every HTTP and SMTP surface of the channels
        assert ("tcp", "127.0.0.1", getattr(guarded.config.channels, media).port) in controller, media
    assert {("udp", "127.0.0.1", config.sip.port), ("tcp", "127.0.0.1", config.ami.port),
            ("tcp", "127.0.0.1", config.ari.port)} <= set(asterisk)
    wildcard = [s for s in asterisk + controller if ipaddress.ip_address(s[1]).is_unspecified]
    # The one exception (docs/security.md): pjproject's DNS resolver, created by res_pjsip at load,
    # binds one UDP client socket on 0.0.0.0 and one on [::] at random ports, with no option to bind it.
    assert sorted((proto, address) for proto, address, _ in wildcard) == [("udp", "0.0.0.0"), ("udp6", "::")]
    assert all(not config.sip.rtp_start <= port <= config.sip.rtp_end for _, _, port in wildcard)
    rest = [s for s in asterisk + controller if s not in wildcard]
    assert [s for s in rest if not ipaddress.ip_address(s[1]).is_loopback] == []


# -- the control API ----------------------------------------------------------------------------------
def control(config, method: str, path: str, **headers: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{config.control.port}{path}", method=method,
                                     headers=headers, data=b"{}" if method == "POST" else None)
    if method == "POST":
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def ivr(config, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_CONFIG": str(ROOT / "ivr.yaml"), "IVR_CONTROL_PORT": str(config.control.port),
           "IVR_CONTROL_TOKEN_FILE": config.control.token_file}
    return subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=30, cwd=ROOT)


def test_given_serve_when_the_control_api_is_called_without_token_foreign_host_or_origin_then_refused(guarded):
    config = guarded.config
    token = {"Authorization": "Bearer " + Path(config.control.token_file).read_text().strip()}
    assert oct(Path(config.control.token_file).stat().st_mode & 0o777) == "0o600"
    assert control(config, "GET", "/agents")[0] == 401
    assert control(config, "GET", "/agents", Host="attacker.example", **token)[0] == 421
    status, body = control(config, "POST", "/agents/agent1/login", Origin="http://attacker.example", **token)
    assert (status, body) == (403, {"error": "cross-origin requests are refused"})
    assert control(config, "GET", "/agents", **token)[0] == 200

    listed = ivr(config, "agents", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split()[:2] == ["agent1", "logged_out"]  # the refused login did nothing
    login = ivr(config, "agents", "login", "agent1")
    assert (login.returncode, login.stdout.strip()) == (0, "agent1: available"), login.stderr


def test_given_a_token_file_of_another_server_when_the_cli_calls_then_one_line_says_the_token_is_wrong(
        guarded, tmp_path):
    other = tmp_path / "other-token"
    other.write_text("x" * 43 + "\n")
    config = dataclasses.replace(guarded.config, control=dataclasses.replace(guarded.config.control,
                                                                             token_file=str(other)))
    listed = ivr(config, "agents", "list")
    assert listed.returncode == 1
    assert listed.stderr.strip() == "Error: missing or wrong token (Authorization: Bearer, see control.token_file)"


# -- caller isolation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("number", ["*11", "*12", "*13", "*14", "agent1", "agent2", "+15551234567",
                                    "0015551234567", "9", "ivr-transfer"])
def test_given_an_anonymous_caller_when_it_dials_anything_but_a_service_number_then_asterisk_answers_404(
        config, guarded, pbx_state, number):
    with AgentPhone("agent1", config.agents[0].password, target=f"127.0.0.1:{config.sip.port}"):
        assert final_status(number, target=f"127.0.0.1:{config.sip.port}") == 404
        assert pbx_state()[0] == [] and not guarded.controller.finished  # nothing rang, nothing reached us


def test_given_a_caller_claiming_to_be_an_agent_when_it_dials_a_feature_code_then_it_is_challenged(config, guarded):
    assert final_status("*11", target=f"127.0.0.1:{config.sip.port}", from_user="agent1") == 401
    assert guarded.acd_service.router.agents["agent1"].state.value == "logged_out"


def test_given_an_agent_with_a_wrong_password_when_it_dials_then_it_is_refused_at_once_and_asterisk_logs_it(
        config, pbx, guarded):
    log = pbx.root / "var/log/asterisk/messages.log"
    before = log.stat().st_size
    started = time.monotonic()
    with pytest.raises(SipRefused, match="agent1 could not dial \\*11: Asterisk refused its digest answer"):
        AgentPhone("agent1", "not-the-password", target=f"127.0.0.1:{config.sip.port}").dial("*11", timeout_s=20)
    assert time.monotonic() - started < 5  # not the 20 s timeout
    with log.open() as messages:
        messages.seek(before)
        refused = [line for line in messages if "Failed to authenticate" in line]
    assert any("'<sip:agent1@" in line and "INVITE" in line for line in refused), refused
    assert guarded.acd_service.router.agents["agent1"].state.value == "logged_out"
