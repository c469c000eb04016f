"""Overflow on real calls: after a queue's max_wait the caller moves to another queue, or to a
node of its flow; `ivr queues explain` answers after the call left the queue."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from test_acd_calls import serving_acd, until

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


@pytest.fixture
def acd(config, pbx, pbx_state, tmp_path):
    with serving_acd(config, pbx_state, tmp_path, acd_file=HERE / "acd-overflow.yaml",
                     flows_dir=HERE / "acd_overflow_flows", flow="overflow-test") as serving:
        yield serving


def explain_api(acd, interaction_id: str) -> tuple[int, dict]:
    url = f"http://{acd.config.control.host}:{acd.config.control.port}/interactions/{interaction_id}/explain"
    token = Path(acd.config.control.token_file).read_text().strip()
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def ivr_cli(acd, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IVR_CONTROL_PORT": str(acd.config.control.port),
           "IVR_CONTROL_TOKEN_FILE": acd.config.control.token_file}
    return subprocess.run([str(Path(sys.executable).parent / "ivr"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)


def test_given_max_wait_passes_with_no_agent_when_the_queue_overflows_to_a_queue_then_its_agent_answers(acd):
    acd.phone("agent2")
    acd.login("agent2")
    acd.call("5550201", hang_up_after_ms=9000)
    first = until(lambda: (row := acd.row("5550201")) is not None and row.status == "ended" and row, 15,
                  "the first interaction to overflow")
    assert (first.queue, first.outcome, first.agent_id) == ("first", "overflow", None)
    assert first.ended_at - first.enqueued_at >= 3.0
    moved = until(lambda: next((r for r in acd.rows() if r.id == f"{first.id}~1" and r.status == "ended"), None),
                  20, "the moved interaction to end")
    assert (moved.queue, moved.outcome, moved.agent_id, moved.skills, moved.language, moved.priority) == \
        ("second", "answered", "agent2", first.skills, first.language, first.priority)
    assert moved.enqueued_at >= first.ended_at

    status, stored = explain_api(acd, first.id)
    assert status == 200 and (stored["source"], stored["left"]) == ("store", "overflow to queue second")
    assert stored["lines"][0].startswith(f"interaction {first.id} in queue first, waited 3 s")
    assert "  agent3: not eligible: logged out" in stored["lines"]
    shown = ivr_cli(acd, "queues", "explain", f"{first.id}~1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].endswith("when it left the queue (offered to agent2):")
    assert "  agent2: not eligible: ringing" in shown.stdout.splitlines()


def test_given_max_wait_passes_when_the_queue_overflows_to_a_flow_node_then_the_caller_hears_it_and_is_hung_up(acd):
    acd.call("7755501", hang_up_after_ms=1000, end="await-bye")
    waiting = until(lambda: acd.row("7755501"), 10, "the caller queued")
    status, live = explain_api(acd, waiting.id)
    assert status == 200 and live["source"] == "live" and live["eligible"] == []
    record = acd.thread.wait_for_record(lambda r: r.caller == "7755501")
    assert record.outcome.kind == "hangup"
    assert record.outcome.visited == ["route", "spilled", "sorry", "bye"]
    row = acd.ended("7755501")
    assert (row.queue, row.outcome) == ("spill", "overflow") and row.ended_at - row.enqueued_at >= 3.0
    status, stored = explain_api(acd, row.id)
    assert status == 200 and (stored["source"], stored["left"]) == ("store", "overflow to sorry")


def test_given_an_unknown_interaction_when_explained_then_one_line_404_and_a_failing_exit(acd):
    status, body = explain_api(acd, "no-such-call")
    assert status == 404
    assert body == {"error": "unknown interaction no-such-call: not waiting, and no explanation in the store"}
    shown = ivr_cli(acd, "queues", "explain", "no-such-call")
    assert shown.returncode == 1
    assert shown.stderr.strip() == ("Error: unknown interaction no-such-call: not waiting, and no explanation "
                                    "in the store")
