"""Real SIP calls (SIPp) through the local Asterisk into the controller, on the echo-digit line test (199)."""
from __future__ import annotations

import time

from ivr.testing import sipp
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.serve_thread import ServeThread

LINE_TEST = "199"
PROMPT = "sound:hello-world"


def wait_until_idle(pbx_state, timeout: float = 10.0) -> tuple[list, list]:
    deadline = time.monotonic() + timeout
    channels, bridges = pbx_state()
    while (channels or bridges) and time.monotonic() < deadline:
        time.sleep(0.1)
        channels, bridges = pbx_state()
    return channels, bridges


def test_given_a_caller_when_they_press_1_after_the_prompt_then_it_is_echoed_and_the_call_ends_clean(
        serve, pbx_state):
    result = sipp.place_calls("caller_dtmf1", service=LINE_TEST, pause_ms=2500)

    assert result.returncode == 0 and result.successful == 1, result.output[-2000:]
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.answered
    assert record.digits == ["1"]
    assert record.played[0] == (PROMPT, "finished")
    assert len(record.played) == 2  # then "You entered 1." from text-to-speech
    assert record.outcome.visited == ["ask", "echo", "bye"]
    assert record.ended_by == "controller" and record.error is None
    assert record.dtmf_to_prompt_ms is not None and record.dtmf_to_prompt_ms > 0
    assert wait_until_idle(pbx_state) == ([], [])


def test_given_a_caller_when_they_press_during_the_prompt_then_the_prompt_stops(serve, pbx_state):
    result = sipp.place_calls("caller_dtmf1", service=LINE_TEST, pause_ms=300)

    assert result.returncode == 0, result.output[-2000:]
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.played[0] == (PROMPT, "interrupted")
    assert record.digits == ["1"]
    assert wait_until_idle(pbx_state) == ([], [])


def test_given_a_caller_when_they_hang_up_during_the_prompt_then_nothing_is_left_behind(serve, pbx_state):
    result = sipp.place_calls(caller_scenario(["wait 400"], end="hangup"), service=LINE_TEST)

    assert result.returncode == 0, result.output[-2000:]
    record = serve.wait_for_record(lambda r: not r.resumed)
    assert record.answered
    assert record.ended_by == "caller"
    assert record.error is None
    assert record.played == []  # the prompt never finished
    assert wait_until_idle(pbx_state) == ([], [])


def test_given_a_call_in_progress_when_the_controller_restarts_then_the_new_one_reattaches(
        config, pbx, pbx_state):
    first = ServeThread(config).start()
    proc, stats = sipp.start_calls("caller_dtmf1", service=LINE_TEST, pause_ms=5000)
    deadline = time.monotonic() + 10
    while not first.controller.calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.controller.calls, "the call never reached the first controller"
    first.stop()

    with ServeThread(config) as second:
        result = sipp.finish(proc, stats)
        assert result.returncode == 0, result.output[-2000:]
        record = second.wait_for_record(lambda r: True)
    assert record.resumed
    assert record.digits == ["1"]
    assert record.ended_by == "controller" and record.error is None
    assert wait_until_idle(pbx_state) == ([], [])
