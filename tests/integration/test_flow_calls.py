"""YAML flows on real calls: SIPp callers through the local Asterisk into `ivr serve`'s flow engine."""
from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ivr.live.flow_service import FlowService
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.serve_thread import ServeThread

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=PARIS)
SUNDAY_3AM = datetime(2026, 11, 22, 3, 0, tzinfo=PARIS)


@pytest.fixture
def flows_dir(tmp_path):
    """The shipped flows plus the test flows, in a directory the test may edit."""
    target = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", target)
    for path in (Path(__file__).parent / "flows").glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def serve_flow(config, pbx, flows_dir):
    """Start a controller whose service number 100 runs `flow` (time from `clock`)."""
    started: list[ServeThread] = []

    def start(flow: str, clock=None) -> ServeThread:
        routed = dataclasses.replace(config, flows=dataclasses.replace(
            config.flows, dir=str(flows_dir), routes={"100": flow}))
        thread = ServeThread(routed, FlowService.from_config(routed, clock=clock)).start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


def call(steps: list[str], end: str = "await-bye", timeout_s: float = 60) -> sipp.SippResult:
    result = sipp.place_calls(caller_scenario(steps, end=end), timeout_s=timeout_s)
    assert result.returncode == 0, result.output[-1500:]
    return result


def prompts_heard(record) -> list[str]:
    return [media for media, _ in record.played]


def test_given_a_menu_when_the_caller_presses_2_then_the_flow_reaches_that_option(serve_flow, pbx_state):
    serve = serve_flow("menu-test")
    call(["wait 7000", "dtmf 2"])
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.outcome.kind == "hangup"
    assert record.outcome.visited == ["menu", "two", "bye"]
    assert record.played[0][1] == "finished"


def test_given_a_menu_when_the_caller_presses_during_the_prompt_then_the_prompt_stops(serve_flow):
    serve = serve_flow("menu-test")
    call(["wait 800", "dtmf 1"])
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.played[0][1] == "interrupted"
    assert record.outcome.visited == ["menu", "one", "bye"]


def test_given_a_menu_when_the_caller_presses_a_wrong_key_then_stays_silent_it_replays_and_ends_at_fail(
        serve_flow):
    serve = serve_flow("menu-test")
    call(["wait 800", "dtmf 9"], timeout_s=90)
    record = serve.wait_for_record(lambda r: not r.resumed, timeout=90)
    assert record.outcome.visited == ["menu", "failed", "bye"]
    heard = prompts_heard(record)
    menu_prompt = heard[0]
    assert heard.count(menu_prompt) == 3  # first try and two retries
    assert len(set(heard)) == 4  # the menu, "not a valid choice", "did not hear", "goodbye"
    assert record.error is None


def test_given_a_gather_when_the_caller_keys_digits_and_hash_then_the_variable_holds_them(serve_flow):
    serve = serve_flow("gather-test")
    call(["wait 1000", "dtmf 123456#"])
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.outcome.variables["account"] == "123456"
    assert record.outcome.visited == ["account", "thanks", "bye"]


class AccountApi(BaseHTTPRequestHandler):
    delay_s = 0.0

    def do_GET(self):  # noqa: N802 - the stdlib's name
        time.sleep(self.delay_s)
        body = json.dumps({"name": "Ada", "balance": 42, "tier": "silver"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def account_api():
    server = ThreadingHTTPServer(("127.0.0.1", 8099), AccountApi)  # the port support-line.yaml uses
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield AccountApi
    server.shutdown()
    server.server_close()
    AccountApi.delay_s = 0.0


def test_given_the_account_service_answers_when_a_caller_asks_their_balance_then_it_is_read_out(
        serve_flow, account_api):
    serve = serve_flow("support-line", clock=lambda: MONDAY_10AM)
    call(["wait 1500", "dtmf 1", "wait 1500", "dtmf 3", "wait 1500", "dtmf 12345678#", "wait 9000", "dtmf 9"],
         timeout_s=90)
    record = serve.wait_for_record(lambda r: not r.resumed, timeout=90)
    outcome = record.outcome
    assert outcome.variables["customer"]["name"] == "Ada"
    assert "balance" in outcome.visited and "lookup_failed" not in outcome.visited


def test_given_the_account_service_is_too_slow_when_a_caller_asks_their_balance_then_the_flow_falls_back(
        serve_flow, account_api):
    account_api.delay_s = 4.0  # the flow's http timeout is 2 s
    serve = serve_flow("support-line", clock=lambda: MONDAY_10AM)
    call(["wait 1500", "dtmf 1", "wait 1500", "dtmf 3", "wait 1500", "dtmf 12345678#"], timeout_s=90)
    record = serve.wait_for_record(lambda r: not r.resumed, timeout=90)
    assert "lookup_failed" in record.outcome.visited
    assert record.outcome.kind == "queued" and record.outcome.queue.queue == "billing"


def test_given_office_hours_when_a_caller_picks_billing_then_the_call_is_queued_with_its_needs(serve_flow):
    serve = serve_flow("support-line", clock=lambda: MONDAY_10AM)
    call(["wait 1500", "dtmf 2", "wait 1500", "dtmf 1"])
    record = serve.wait_for_record(lambda r: not r.resumed)
    queued = record.outcome.queue
    assert record.outcome.kind == "queued"
    assert (queued.queue, queued.skills, queued.language) == ("billing", {"billing": 2}, "fr")


def test_given_the_office_is_closed_when_a_caller_leaves_a_message_then_it_is_recorded(serve_flow):
    serve = serve_flow("support-line", clock=lambda: SUNDAY_3AM)
    call(["wait 1500", "dtmf 1", "wait 14000", "audio /usr/share/sip-tester/g711a.pcap", "wait 3000", "dtmf #"],
         timeout_s=90)
    record = serve.wait_for_record(lambda r: not r.resumed, timeout=90)
    assert "after_hours" in record.outcome.visited and record.outcome.kind == "hangup"
    [recording] = record.outcome.recordings
    assert Path(recording).stat().st_size > 8000  # more than half a second of 8 kHz audio


def test_given_a_flow_when_the_caller_hangs_up_mid_prompt_then_nothing_is_left_behind(serve_flow, pbx_state):
    serve = serve_flow("menu-test")
    call(["wait 1000"], end="hangup")
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.ended_by == "caller" and record.error is None
    deadline = time.monotonic() + 10
    while pbx_state() != ([], []) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pbx_state() == ([], [])


def test_given_a_call_in_progress_when_its_flow_file_changes_then_it_finishes_on_the_old_version(
        serve_flow, flows_dir):
    serve = serve_flow("menu-test")
    proc, stats = sipp.start_calls(caller_scenario(["wait 6000", "dtmf 1"]), timeout_s=60)
    deadline = time.monotonic() + 10
    while not serve.controller.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    before = serve.controller.flow.library.current
    flow_file = flows_dir / "menu-test.yaml"
    flow_file.write_text(flow_file.read_text().replace('"1": one', '"1": two'))
    while serve.controller.flow.library.current is before and time.monotonic() < deadline + 5:
        time.sleep(0.1)
    assert serve.controller.flow.library.current is not before, "the edit was not picked up"

    assert sipp.finish(proc, stats).returncode == 0
    first = serve.wait_for_record(lambda r: not r.resumed)
    assert first.outcome.visited == ["menu", "one", "bye"]  # the version it started with

    call(["wait 800", "dtmf 1"])
    second = serve.wait_for_record(lambda r: r is not first)
    assert second.outcome.visited == ["menu", "two", "bye"]  # the new version


def test_given_a_broken_edit_when_reloaded_then_it_is_refused_and_the_previous_version_serves(
        serve_flow, flows_dir):
    serve = serve_flow("menu-test")
    before = serve.controller.flow.library.current
    flow_file = flows_dir / "menu-test.yaml"
    flow_file.write_text(flow_file.read_text().replace('"2": two', '"2": nowhere'))
    assert serve.call(lambda: _refresh(serve)) is False
    assert serve.controller.flow.library.current is before

    call(["wait 800", "dtmf 2"])
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.outcome.visited == ["menu", "two", "bye"]


async def _refresh(serve):
    return serve.controller.flow.library.refresh()


def test_given_a_transfer_node_when_a_call_reaches_it_then_the_agents_phone_rings_and_answers(
        config, serve_flow, pbx_state):
    serve = serve_flow("transfer-test")
    password = next(agent.password for agent in config.agents if agent.id == "agent3")
    with AgentPhone("agent3", password, target=f"127.0.0.1:{config.sip.port}", answer_after_ms=500,
                    calls=1) as phone:
        call(["wait 6000"], end="hangup")
        record = serve.wait_for_record(lambda r: not r.resumed)
        assert (record.outcome.kind, record.outcome.transfer_to) == ("transferred", "agent3")
        output, _ = phone.proc.communicate(timeout=15)
        assert phone.proc.returncode == 0, output[-1500:]  # it answered, then the caller's hang-up reached it
    assert pbx_state() == ([], [])


def test_given_a_transfer_nobody_answers_when_it_rings_out_then_the_flow_goes_on_at_failed(
        config, serve_flow, pbx_state):
    serve = serve_flow("transfer-back-test")
    password = next(agent.password for agent in config.agents if agent.id == "agent3")
    with AgentPhone("agent3", password, target=f"127.0.0.1:{config.sip.port}", answer_after_ms=None):
        call(["wait 1000"], end="await-bye")
        sent = serve.wait_for_record(lambda r: r.outcome is not None and r.outcome.kind == "transferred")
        back = serve.wait_for_record(lambda r: r.call_id == sent.call_id and r is not sent)
    assert back.outcome.visited == ["sorry", "bye"] and back.ended_by == "controller"
    assert (back.outcome.variables["transfer_status"], back.outcome.variables["reason"]) == ("NOANSWER", "billing")
    assert pbx_state() == ([], [])


def test_given_a_transfer_without_failed_when_the_phone_is_unreachable_then_the_caller_is_told_before_the_end(
        serve_flow, pbx_state):
    serve = serve_flow("transfer-test")  # agent3 has no phone registered here
    call(["wait 1000"], end="await-bye")
    sent = serve.wait_for_record(lambda r: r.outcome is not None and r.outcome.kind == "transferred")
    back = serve.wait_for_record(lambda r: r.call_id == sent.call_id and r is not sent)
    assert back.flow is None and len(back.played) == 1 and back.ended_by == "controller"
    assert pbx_state() == ([], [])
