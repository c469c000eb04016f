"""A store outage under live calls: the ACD's PostgreSQL stopped for 10 s and started again while
`ivr serve` (a real process) takes calls. Real SIPp callers and agent phones, the real PBX."""
from __future__ import annotations

import collections
import os
import time

import pytest
from restart_support import PostgresCluster, Rig, bridged, until

from ivr.testing import sipp

OUTAGE_S = 10.0


@pytest.fixture
def postgres():
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def rig(config, pbx, postgres, tmp_path):
    rig = Rig(config, tmp_path / "serve", postgres.database(f"ivr_restart_{os.getpid()}"))
    try:
        rig.serve.start()
        yield rig
    finally:
        rig.close()
        print(f"controller log: {rig.serve.log_path}")


def test_given_postgresql_stopped_for_10_s_when_calls_come_in_then_they_are_served_and_the_store_catches_up(
        rig, postgres, pbx_state):
    rig.phone("agent2")
    rig.login("agent2")
    rig.call("5550140", ["wait 25000"])
    until(lambda: bridged(pbx_state), 15, "the first caller bridged to agent2")

    postgres.stop()
    stopped_at = time.monotonic()
    line_tests = sipp.start_calls("caller_dtmf1", target=rig.target, service="199", calls=2, rate=2, limit=2,
                                  timeout_s=40, caller="5550149")
    rig.call("5550141", ["wait 35000"])
    until(lambda: rig.serve.events("call.start", caller="5550141"), 10, "the second caller in the flow")
    rig.call("5550142", ["wait 35000"])
    # Callers queued while the store is down wait in order (the controller's memory answers).
    until(lambda: rig.serve.waiting("billing") == ["5550141", "5550142"], 10,
          f"both callers waiting in order during the outage; log: {rig.serve.log_path}")
    on_the_pbx = {ch["caller"]["number"] for ch in pbx_state()[0]}
    assert {"5550141", "5550142"} <= on_the_pbx, (
        f"queued callers dropped during the outage (on the PBX: {sorted(on_the_pbx)}; "
        f"failures: {[e.get('reason') for e in rig.serve.events('call.failed')]})")
    line = sipp.finish(*line_tests, 60)
    assert (line.returncode, line.successful, line.failed) == (0, 2, 0), line.output[-1500:]
    until(lambda: time.monotonic() - stopped_at >= OUTAGE_S, OUTAGE_S + 5, "the outage to last 10 s")
    assert rig.serve.alive(), rig.serve.tail()
    postgres.start()

    # Back: the store catches up with memory, each interaction once, in the same order.
    until(lambda: [r.customer for r in rig.rows() if r.status == "waiting"] == ["5550141", "5550142"], 15,
          f"the waiting callers stored after the outage (rows: {[(r.customer, r.status) for r in rig.rows()]})")
    assert rig.serve.waiting("billing") == ["5550141", "5550142"]
    assert rig.serve.agents()["agent2"] == "busy" and rig.stored_agents()["agent2"] == "busy"

    # The first call ends; after wrap-up agent2 takes the caller who queued during the outage.
    row = until(lambda: (r := rig.row("5550141")) and r.answered_at and r, 30, "the second caller answered")
    assert row.agent_id == "agent2"
    for started in list(rig.callers):
        result = rig.finish(started)
        assert result.returncode == 0, result.output[-1500:]
    until(lambda: pbx_state() == ([], []), 15, "no channel and no bridge left on the PBX")
    until(lambda: not rig.open_rows(), 10, f"every interaction ended (open: {rig.open_rows()})")
    counts = collections.Counter(r.customer for r in rig.rows())
    assert counts == {"5550140": 1, "5550141": 1, "5550142": 1}, counts
    assert {r.customer: r.outcome for r in rig.rows()} == {
        "5550140": "answered", "5550141": "answered", "5550142": "abandoned"}
    until(lambda: rig.serve.agents()["agent2"] == "available", 10, "agent2 available after its wrap-up")
    assert rig.stored_agents()["agent2"] == rig.serve.agents()["agent2"]
    assert rig.serve.events("call.failed") == [] and rig.serve.alive()
