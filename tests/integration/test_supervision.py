"""Supervisors on real calls: SIPp caller, agent and supervisor phones whose audio is an `RtpPeer` each,
sending its own tone (caller 500 Hz, agent 900 Hz, supervisor 1400 Hz). What each party receives
says who hears whom in each mode; `ivr sup` is the real CLI over the control API."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from acd import qa_store
from ivr.config import SupervisorConfig
from ivr.live.states import WaiterState
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.rtp_peer import RtpPeer
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.ari_sync import ari_get
from test_acd_calls import HERE, serving_acd, until

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 500, 900, 1400
HEARD, SILENT = 0.08, 0.02  # share of the received audio that is a party's tone
IVR = str(Path(sys.executable).with_name("ivr"))


@pytest.fixture(scope="module")
def supervised(config, pbx, tmp_path_factory):
    """One controller for the module: sup1 may supervise billing, sup-sales only sales."""
    sup1 = next(s for s in config.supervisors if s.id == "sup1")
    config = dataclasses.replace(config, supervisors=[
        SupervisorConfig("sup1", sup1.password, ["billing"]), SupervisorConfig("sup-sales", "unused", ["sales"])])
    state = lambda: (ari_get(config, "/channels"), ari_get(config, "/bridges"))  # noqa: E731
    with serving_acd(config, state, tmp_path_factory.mktemp("sup"), acd_file=HERE / "acd-test.yaml",
                     flows_dir=HERE / "acd_flows", flow="acd-test") as acd:
        yield acd, state


def sup(acd, *args: str) -> subprocess.CompletedProcess[str]:
    """`ivr sup ...` as a supervisor types it, against the module's controller."""
    env = {**os.environ, "IVR_CONTROL_PORT": str(acd.config.control.port),
           "IVR_CONTROL_TOKEN_FILE": acd.config.control.token_file}
    return subprocess.run([IVR, "sup", *args], env=env, capture_output=True, text=True, timeout=20)


def bridged(acd, agent: str) -> None:
    until(lambda: acd.on_loop(lambda: any(w.state is WaiterState.BRIDGED and w.bridge and w.offer.agent_id == agent
                                          for w in acd.service.waiters.values())), 15, f"a caller bridged to {agent}")


def window(seconds: float = 2.0) -> tuple[float, float]:
    """Let the audio settle after a change, then listen for `seconds`."""
    time.sleep(0.8)
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_given_a_bridged_call_when_a_supervisor_listens_whispers_barges_and_leaves_then_each_mode_reaches_whom_it_should(
        supervised):
    acd, state = supervised
    password = next(s.password for s in acd.config.supervisors if s.id == "sup1")
    with RtpPeer(CALLER_HZ) as caller, RtpPeer(AGENT_HZ) as agent, RtpPeer(SUPERVISOR_HZ) as supervisor:
        agent_password = next(a.password for a in acd.config.agents if a.id == "agent2")
        acd.phones.append(AgentPhone("agent2", agent_password, target=f"127.0.0.1:{acd.config.sip.port}",
                                     media_port=agent.port).start())
        acd.phones.append(AgentPhone("sup1", password, target=f"127.0.0.1:{acd.config.sip.port}",
                                     answer_after_ms=200, media_port=supervisor.port).start())
        acd.login("agent2")
        acd.callers.append(sipp.start_calls(
            caller_scenario(["wait 22000"], end="hangup", media_port=caller.port),
            target=f"127.0.0.1:{acd.config.sip.port}", caller="5550100", timeout_s=60))
        bridged(acd, "agent2")

        joined = sup(acd, "listen", "agent2", "--as", "sup1")
        assert joined.returncode == 0, joined.stderr
        session = joined.stdout.split("session ", 1)[1].split()[0]
        until(lambda: "joined" in sup(acd, "list").stdout, 10, "the supervisor's phone answered and joined")
        t = window()
        heard = {"sup<-caller": supervisor.heard(CALLER_HZ, *t), "sup<-agent": supervisor.heard(AGENT_HZ, *t),
                 "agent<-sup": agent.heard(SUPERVISOR_HZ, *t), "caller<-sup": caller.heard(SUPERVISOR_HZ, *t)}
        print("listen", heard)
        assert heard["sup<-caller"] > HEARD and heard["sup<-agent"] > HEARD
        assert heard["agent<-sup"] < SILENT and heard["caller<-sup"] < SILENT

        assert sup(acd, "mode", session, "whisper").returncode == 0
        t = window()
        heard = {"agent<-sup": agent.heard(SUPERVISOR_HZ, *t), "caller<-sup": caller.heard(SUPERVISOR_HZ, *t),
                 "sup<-caller": supervisor.heard(CALLER_HZ, *t)}
        print("whisper", heard)
        assert heard["agent<-sup"] > HEARD and heard["caller<-sup"] < SILENT and heard["sup<-caller"] > HEARD

        assert sup(acd, "mode", session, "barge").returncode == 0  # then back to listening, in a moment
        t = window()
        heard = {"agent<-sup": agent.heard(SUPERVISOR_HZ, *t), "caller<-sup": caller.heard(SUPERVISOR_HZ, *t),
                 "sup<-caller": supervisor.heard(CALLER_HZ, *t), "sup<-agent": supervisor.heard(AGENT_HZ, *t)}
        print("barge", heard)
        assert heard["agent<-sup"] > HEARD and heard["caller<-sup"] > HEARD
        assert heard["sup<-caller"] > HEARD and heard["sup<-agent"] > HEARD

        left = sup(acd, "leave", session)
        assert left.returncode == 0, left.stderr
        until(lambda: sup(acd, "list").stdout.strip() == "", 10, "the session gone")
        channels, bridges = state()
        assert [len(b["channels"]) for b in bridges] == [2]  # caller and agent talk on
        t = window(1.5)
        assert caller.heard(AGENT_HZ, *t) > HEARD and agent.heard(CALLER_HZ, *t) > HEARD

    assert acd.thread.call(acd.service.journal.drain, 15)
    rows = qa_store.sessions(acd.service.store, "sup1")
    assert len(rows) == 1
    row = rows[0]
    assert (row.agent_id, row.queue, row.via, row.outcome) == ("agent2", "billing", "sup1", "left")
    assert [mode for mode, _ in row.modes] == ["listen", "whisper", "barge"]
    assert row.requested_at <= row.answered_at <= row.ended_at


def test_given_a_call_outside_a_supervisors_queues_or_no_call_or_no_such_supervisor_then_one_error_line_and_exit_1(
        supervised):
    acd, _ = supervised
    acd.login("agent3")
    acd.phones.append(AgentPhone("agent3", next(a.password for a in acd.config.agents if a.id == "agent3"),
                                 target=f"127.0.0.1:{acd.config.sip.port}").start())
    acd.call("5550120", hang_up_after_ms=20000)
    bridged(acd, "agent3")
    assert sup(acd, "listen", "agent3", "--as", "sup1").returncode == 0  # until the call ends, below
    cases = {("listen", "agent3", "--as", "sup-sales"): "may not supervise queue billing",
             ("barge", "agent3", "--as", "nobody"): "unknown supervisor 'nobody'",
             ("whisper", "agent1", "--as", "sup1"): "agent agent1 is on no call now",
             ("listen", "no-such-call", "--as", "sup1"): "no call in progress with id no-such-call",
             ("mode", "nosession", "barge"): "unknown supervision session nosession",
             ("listen", "agent3", "--as", "sup1", "--via", "agent1/x"): "is not an endpoint name"}
    for args, message in cases.items():
        done = sup(acd, *args)
        assert done.returncode == 1 and message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1
    assert "joined" in sup(acd, "list").stdout  # the refusals left the one session alone
    acd.ended("5550120")
    until(lambda: sup(acd, "list").stdout.strip() == "", 10, "the session ended with the call")
    assert acd.thread.call(acd.service.journal.drain, 15)
    assert [row.outcome for row in qa_store.sessions(acd.service.store, "sup1")][-1] == "call-ended"
