"""Restarts, live: `ivr serve` (a real process) killed with SIGKILL under calls, and Asterisk killed
and started again under a running controller. Real SIPp callers and agent phones, the real PBX."""
from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from restart_support import Rig, bridged, until

from ivr.testing import sipp

ROOT = Path(__file__).resolve().parents[2]
SETTLED = ("available", "wrap_up")


@pytest.fixture
def rig(config, pbx, pbx_state, tmp_path):
    rig = Rig(config, tmp_path / "serve", f"sqlite:///{tmp_path}/acd.sqlite")
    try:
        rig.serve.start()
        yield rig
    finally:
        rig.close()
    print(f"controller log: {rig.serve.log_path}")


def working(agents: dict[str, str]) -> dict[str, str]:
    return {agent: state for agent, state in agents.items() if agent != "agent1"}  # agent1 never logs in here


def resumed_call_id(rig: Rig, caller: str) -> str:
    found = until(lambda: rig.serve.events("call.start", caller=caller, resumed="True"), 15,
                  f"the new controller to adopt the call of {caller}")
    return found[-1]["call"]


def test_given_callers_in_a_menu_a_queue_and_a_bridge_when_the_controller_is_killed_then_a_new_one_carries_on(
        rig, pbx_state):
    rig.phone("agent2")
    rig.login("agent2")
    talking = rig.call("5550120", ["wait 30000"])
    until(lambda: bridged(pbx_state), 15, "the first caller bridged to agent2")
    queued = rig.call("5550121", ["wait 45000"])
    until(lambda: rig.serve.waiting("billing") == ["5550121"], 15, "the second caller waiting")
    menu = rig.call("7750122", ["wait 9000", "dtmf 1"], end="await-bye")
    menu_first = until(lambda: rig.serve.events("call.start", caller="7750122"), 10, "the menu caller")[0]["call"]
    until(lambda: rig.serve.events("call.answered", call=menu_first), 10, "the menu caller answered (its prompt on)")

    rig.serve.kill()
    rig.serve.start()

    # The bridged call talks on, its agent busy; the queued caller keeps its place.
    assert rig.serve.agents()["agent2"] == "busy"
    assert [len(bridge["channels"]) for bridge in pbx_state()[1]] == [2]
    until(lambda: rig.serve.waiting("billing") == ["5550121"], 10, "the queued caller back in its place")
    assert rig.row("5550121").status == "waiting"

    # The menu caller is adopted: the menu starts again and its key still works.
    menu_call = resumed_call_id(rig, "7750122")
    result = rig.finish(menu)
    assert result.returncode == 0, result.output[-1500:]  # the IVR hung up after "Sales."
    end = until(lambda: rig.serve.events("call.end", call=menu_call), 10, "the menu call to end")[-1]
    assert (end["digits"], end["ended_by"], end["error"]) == ("1", "controller", "")

    # The next free agent takes the queued caller.
    rig.phone("agent3")
    rig.login("agent3")
    row = until(lambda: (r := rig.row("5550121")).answered_at and r, 20, "the queued caller answered")
    assert row.agent_id == "agent3"

    # Everyone hangs up: the agents settle, nothing is left on the PBX or open in the store.
    for started in list(rig.callers):
        result = rig.finish(started)
        assert result.returncode == 0, result.output[-1500:]
    until(lambda: pbx_state() == ([], []), 15, "no channel and no bridge left on the PBX")
    until(lambda: not rig.open_rows(), 10, f"every interaction ended (open: {rig.open_rows()})")
    outcomes = {row.customer: (row.outcome, row.agent_id) for row in rig.rows()}
    assert outcomes == {"5550120": ("answered", "agent2"), "5550121": ("answered", "agent3")}
    both = {"agent2": "available", "agent3": "available"}
    until(lambda: working(rig.serve.agents()) == both, 10, f"agents available after wrap-up ({rig.serve.agents()})")
    until(lambda: working(rig.stored_agents()) == both, 5, f"the store to agree ({rig.stored_agents()})")
    assert rig.serve.events("call.failed") == []


def pbx_up() -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".venv/bin/ivr"), "pbx", "up"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_given_a_bridged_and_a_ringing_agent_when_asterisk_is_killed_and_started_then_the_controller_recovers(
        rig, config, pbx, pbx_state):
    rig.phone("agent2")
    rig.login("agent2")
    rig.call("5550130", ["wait 60000"])
    until(lambda: bridged(pbx_state), 15, "the first caller bridged to agent2")
    rig.phone("agent3", answer_after_ms=None)
    rig.login("agent3")
    rig.call("5550131", ["wait 60000"])
    until(lambda: rig.serve.agents()["agent3"] == "ringing", 10, "agent3's phone ringing")
    connections = rig.serve.count("ari.connected")

    pid = pbx.pid()
    os.kill(pid, signal.SIGKILL)
    until(lambda: not Path(f"/proc/{pid}").exists(), 10, "Asterisk gone")
    until(lambda: rig.serve.count("ari.disconnected") + rig.serve.count("ari.unreachable"), 20,
          "the controller to notice Asterisk is gone")
    rig.stop_callers()  # their calls died with Asterisk
    rig.stop_phones()
    started = pbx_up()
    assert started.returncode == 0, started.stdout + started.stderr

    until(lambda: rig.serve.count("ari.connected") > connections, 30, "the controller to reconnect")
    assert rig.serve.alive()
    until(lambda: pbx_state() == ([], []), 10, "a fresh PBX with no calls")
    until(lambda: all(state in SETTLED for agent, state in rig.serve.agents().items() if agent != "agent1"), 15,
          f"agents no longer ringing or busy (now: {rig.serve.agents()})")
    until(lambda: rig.serve.agents()["agent2"] == "available", 10, "agent2 available after its wrap-up")
    assert rig.serve.waiting("billing") == []
    until(lambda: not rig.open_rows(), 10, f"the gone calls' interactions closed (open: {rig.open_rows()})")
    assert {row.customer: row.outcome for row in rig.rows()} == {"5550130": "answered", "5550131": "abandoned"}

    # The next calls are served end to end: the line test, and a queued call answered by agent2.
    line = sipp.place_calls("caller_dtmf1", target=rig.target, service="199", caller="5550139", timeout_s=30)
    assert (line.returncode, line.successful) == (0, 1), line.output[-1500:]
    rig.phone("agent2")
    rig.call("5550132", ["wait 6000"])
    row = until(lambda: (r := rig.row("5550132")) and r.status == "ended" and r, 30, "the next queued call to end")
    assert (row.outcome, row.agent_id) == ("answered", "agent2")
    until(lambda: pbx_state() == ([], []), 15, "no channel and no bridge left on the PBX")
