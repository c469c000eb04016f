"""Menus that listen, and the `speech` node, on the simulator (`say:` caller input)."""
from __future__ import annotations

import pytest

from ivr.errors import FlowError
from ivr.flows.simulator import parse_inputs

MENU = """
name: test
language: ko
start: menu
nodes:
  menu:
    menu:
      prompt: {say: "말씀하세요"}
      options: {"1": agent, "2": billing}
      speech: {상담원 연결: "1", 요금 안내: "2"}
      confidence: 0.6
      retries: 1
      invalid: {say: "잘못된 선택입니다"}
      fail: failed
  agent: {hangup: true}
  billing: {hangup: true}
  failed: {hangup: true}
"""

ASK = """
name: test
language: ko
start: ask
nodes:
  ask:
    speech:
      prompt: {say: "무엇을 도와드릴까요"}
      variable: reason
      confidence: 0.5
      next: done
      no_input: fallback
  done: {hangup: true}
  fallback: {hangup: true}
"""


async def test_given_a_speech_menu_when_the_caller_says_a_phrase_then_its_option_is_taken(flow_dir):
    outcome, _ = await flow_dir.run(MENU, ["say:요금 안내"])
    assert outcome.visited == ["menu", "billing"]
    assert outcome.variables["digits"] == "2" and outcome.variables["speech"] == "요금 안내"


async def test_given_a_speech_menu_when_the_caller_presses_a_key_then_it_still_counts(flow_dir):
    outcome, _ = await flow_dir.run(MENU, ["barge:1"])
    assert outcome.visited == ["menu", "agent"]


@pytest.mark.parametrize("said", ["say:날씨", "say@0.3:상담원 연결"])
async def test_given_a_speech_menu_when_the_answer_is_not_understood_then_it_reprompts(flow_dir, said):
    outcome, port = await flow_dir.run(MENU, [said, "say:상담원 연결"])
    assert outcome.visited == ["menu", "agent"]
    assert [p.say for p, _ in port.heard] == ["말씀하세요", "잘못된 선택입니다", "말씀하세요"]


async def test_given_a_speech_menu_without_a_model_for_the_language_then_it_takes_keys_only(flow_dir):
    outcome, _ = await flow_dir.run(MENU, ["say:요금 안내", "2"], speech_languages=["en"])
    assert outcome.visited == ["menu", "billing"]  # the words went unheard; the key after counted
    assert "speech" not in outcome.variables


async def test_given_a_speech_node_when_the_caller_answers_then_the_transcript_is_kept(flow_dir):
    outcome, _ = await flow_dir.run(ASK, ["say:카드를 잃어버렸어요"])
    assert outcome.visited == ["ask", "done"] and outcome.variables["reason"] == "카드를 잃어버렸어요"


@pytest.mark.parametrize("inputs", [[], ["say@0.2:음"], ["barge:5"]])
async def test_given_a_speech_node_when_nothing_is_understood_then_no_input_is_taken(flow_dir, inputs):
    outcome, _ = await flow_dir.run(ASK, inputs)
    assert outcome.visited == ["ask", "fallback"] and outcome.variables["reason"] == ""


async def test_given_a_speech_node_without_a_model_then_it_goes_to_no_input(flow_dir):
    outcome, _ = await flow_dir.run(ASK, ["say:안녕하세요"], speech_languages=[])
    assert outcome.visited == ["ask", "fallback"]


def test_given_speech_models_without_the_flows_language_when_checked_then_each_listening_node_is_refused(flow_dir):
    flow_dir.write("menu.yaml", MENU)
    flow_dir.write("ask.yaml", ASK.replace("name: test", "name: ask"))
    assert flow_dir.problems(speech_languages=["en", "fr"]) == [
        "flows/ask.yaml:5:3: error: listens in 'ko', which has no speech model (speech.models has: en, fr)",
        "flows/menu.yaml:5:3: error: listens in 'ko', which has no speech model (speech.models has: en, fr)",
    ]


def test_given_a_model_for_the_base_language_when_checked_then_a_regional_flow_may_listen(flow_dir):
    flow_dir.write("menu.yaml", MENU.replace("language: ko", "language: ko_KR"))
    assert flow_dir.problems(speech_languages=["ko"]) == []


def test_given_no_speech_models_at_all_when_checked_then_listening_nodes_are_only_a_warning(flow_dir):
    flow_dir.write("menu.yaml", MENU)
    result = flow_dir.load(speech_languages=[])
    assert not result.has_errors
    assert [str(p).replace(str(flow_dir.root), "flows") for p in result.warnings] == [
        "flows/menu.yaml:5:3: warning: speech is off (no speech.models configured): this node takes keys only"]


def test_given_a_flow_that_does_not_listen_when_checked_then_a_missing_model_does_not_matter(flow_dir):
    flow_dir.write("menu.yaml", MENU.replace('      speech: {상담원 연결: "1", 요금 안내: "2"}\n', ""))
    assert flow_dir.problems(speech_languages=["en"]) == []


def test_given_unreadable_say_input_then_one_clear_error():
    with pytest.raises(FlowError, match="say:words or say@0.4:words"):
        parse_inputs(["say@lots:hello"])
