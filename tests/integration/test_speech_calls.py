"""Speech in menus on real calls: SIPp plays Korean utterances through Asterisk into Vosk."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from speech_support import DATA, ari_post, copy_flows, start_controller

from ivr.testing import sipp
from ivr.testing.audio_pcap import wav_to_pcap
from ivr.testing.scripted_caller import caller_scenario


@pytest.fixture
def speech_flow(config, pbx, tmp_path):
    started = []

    def start(flow: str):
        thread = start_controller(config, copy_flows(tmp_path / f"flows-{len(started)}"), flow)
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()


def pcap(tmp_path: Path, wav: str) -> Path:
    return wav_to_pcap(DATA / wav, tmp_path / (Path(wav).stem + ".pcap"))


def call(steps: list[str], end: str = "await-bye", timeout_s: float = 60) -> None:
    result = sipp.place_calls(caller_scenario(steps, end=end), timeout_s=timeout_s)
    assert result.returncode == 0, result.output[-1500:]


def test_given_a_speech_menu_when_the_caller_says_an_option_then_the_flow_takes_it(speech_flow, tmp_path):
    serve = speech_flow("speech-quick-ko")
    call(["wait 2500", f"audio {pcap(tmp_path, 'opt2-ko-160.wav')}"])
    record = serve.wait_for_record(lambda r: True)
    assert record.heard[0][0] == "요금 안내"
    assert record.outcome.variables["digits"] == "2" and record.outcome.visited == ["menu", "bye"]


def test_given_a_speech_menu_when_the_caller_speaks_during_the_prompt_then_it_stops(speech_flow, tmp_path):
    serve = speech_flow("speech-menu-ko")
    # This utterance decodes as 비밀번호 whether the speech starts 0.9 or 1.1 s into the call (checked
    # in 5 ms steps): opt3-ko-160 heard from one packet earlier than usual decodes as 상담원.
    call(["wait 1000", f"audio {pcap(tmp_path, 'opt3-ko_f2-160.wav')}"])
    record = serve.wait_for_record(lambda r: True)
    assert record.played[0][1] == "interrupted"
    assert record.outcome.visited == ["menu", "password", "bye"]


def test_given_a_speech_menu_when_the_caller_says_something_else_then_it_reprompts(speech_flow, tmp_path):
    serve = speech_flow("speech-menu-ko")
    call(["wait 1000", f"audio {pcap(tmp_path, 'oog1-ko-150.wav')}"], timeout_s=90)
    record = serve.wait_for_record(lambda r: True, timeout=90)
    heard = [media for media, _ in record.played]
    assert record.heard and record.heard[0][0] not in ("상담원 연결", "요금 안내", "비밀번호")
    assert heard.count(heard[0]) == 2  # the menu again after "not a valid choice"
    assert record.outcome.visited == ["menu", "failed", "bye"]


def test_given_a_speech_menu_when_the_caller_is_silent_then_the_timeout_path_is_taken(speech_flow):
    serve = speech_flow("speech-quick-ko")
    call([])
    record = serve.wait_for_record(lambda r: True)
    assert record.heard == [] and "digits" not in record.outcome.variables
    assert record.outcome.visited == ["menu", "nothing"]


def test_given_a_speech_menu_when_the_caller_presses_a_key_then_it_counts(speech_flow):
    serve = speech_flow("speech-menu-ko")
    call(["wait 1500", "dtmf 1"])
    record = serve.wait_for_record(lambda r: True)
    assert record.played[0][1] == "interrupted"
    assert record.outcome.visited == ["menu", "agent", "bye"]


def test_given_a_caller_listened_to_when_they_hang_up_then_no_channel_or_bridge_is_left(
        speech_flow, pbx_state):
    serve = speech_flow("speech-menu-ko")
    call(["wait 2000"], end="hangup")
    record = serve.wait_for_record(lambda r: True)
    assert record.ended_by == "caller" and record.error is None
    deadline = time.monotonic() + 10
    while pbx_state() != ([], []) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pbx_state() == ([], [])


def test_given_a_speech_node_when_the_caller_speaks_then_the_transcript_is_stored(speech_flow, tmp_path):
    serve = speech_flow("speech-free-ko")
    call(["wait 2000", f"audio {pcap(tmp_path, 'opt1-ko-130.wav')}"])
    record = serve.wait_for_record(lambda r: True)
    [(transcript, _)] = record.heard
    assert transcript and record.outcome.variables["reason"] == transcript
    assert record.outcome.visited == ["ask", "bye"]


def test_given_listening_leftovers_of_a_dead_controller_when_a_controller_starts_then_they_are_removed(
        config, pbx, pbx_state, speech_flow):
    ari_post(config, "/channels/externalMedia?app=ivr&external_host=127.0.0.1:41999&format=slin"
                                "&channelId=speech-media-leftover")
    ari_post(config, "/bridges?type=mixing&bridgeId=speech-bridge-leftover")
    assert pbx_state() != ([], [])
    speech_flow("speech-quick-ko")
    deadline = time.monotonic() + 10
    while pbx_state() != ([], []) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pbx_state() == ([], [])
