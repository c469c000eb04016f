from __future__ import annotations

import re
from pathlib import Path

import pytest

from acd.config import load, parse
from acd.errors import AcdConfigError
from acd.model import Media

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
skills: [billing]
queues:
  q: {}
agents:
  - {id: a1, queues: [q], skills: {billing: 2}}
"""


def test_given_the_shipped_acd_yaml_when_loaded_then_queues_and_agents_match_the_product():
    config = load(ROOT / "acd.yaml")
    assert list(config.queues) == ["billing", "support", "sales"]
    assert [(a.id, a.endpoint) for a in config.agents] == [(f"agent{n}", f"agent{n}") for n in range(1, 5)]
    agent1, agent2 = config.agents[0], config.agents[1]
    assert agent1.languages == ("fr",) and agent1.skills == {"billing": 3}
    assert agent2.languages == ("en",) and agent2.skills["billing"] == 2
    assert config.queues["billing"].expansion[0].after_s == 30
    assert "lunch" in config.pause_reasons


def test_given_a_minimal_file_when_parsed_then_defaults_fill_in():
    config = parse(GOOD, "acd.yaml")
    queue, agent = config.queues["q"], config.agents[0]
    assert queue.strategy == "longest-idle" and queue.expansion == () and queue.max_wait_s is None
    assert agent.endpoint == "a1" and agent.languages == ("en",) and agent.capacity == {Media.VOICE: 1}
    assert (queue.sl_target, queue.sl_within_s) == (80, 20)


def test_given_a_service_level_goal_when_parsed_then_the_queue_keeps_it():
    config = parse(GOOD.replace("q: {}", "q: {service_level: {target: 90, within: 30}}"), "acd.yaml")
    assert (config.queues["q"].sl_target, config.queues["q"].sl_within_s) == (90, 30)


@pytest.mark.parametrize("text, message", [
    ("queues: {q: {}}\nagents: [{id: a1, queues: [q]\n", r"acd.yaml:\d+: invalid YAML"),
    ("- a list\n", r"acd.yaml:1: expected a mapping with queues"),
    ("queues: {q: {}}\nagnets: []\n", r"acd.yaml:2: agnets: unknown key"),
    ("queues: [billing]\n", r"acd.yaml:1: queues: expected a mapping, got \['billing'\]"),
    ("queues: {}\n", r"acd.yaml:1: queues: at least one queue"),
    ("queues:\n  q:\n    strategy: fastest\n", r"acd.yaml:3: queues.q.strategy: unknown strategy 'fastest'"),
    ("queues:\n  q:\n    wrap_up: soon\n", r"acd.yaml:3: queues.q.wrap_up: expected a number, got 'soon'"),
    ("queues:\n  q:\n    max_wait: 60\n", r"acd.yaml:2: queues.q: max_wait and overflow go together"),
    ("queues:\n  q:\n    expansion:\n      - {after: 60, any_agent: true}\n      - {after: 30, any_agent: true}\n",
     r"acd.yaml:5: queues.q.expansion\[1\].after: steps must come in increasing order"),
    ("queues:\n  q:\n    expansion:\n      - {lower_levels_by: 1}\n",
     r"acd.yaml:4: queues.q.expansion\[0\]: missing after"),
    ("queues:\n  q:\n    expansion:\n      - {after: 10}\n", r"queues.q.expansion\[0\]: a step must relax"),
    ("skills: [billing]\nqueues: {q: {}}\nagents:\n  - id: a1\n    queues: [q]\n    skills: {biling: 2}\n",
     r"acd.yaml:6: agents\[0\].skills.biling: unknown skill biling"),
    ("skills: [billing]\nqueues: {q: {}}\nagents:\n  - id: a1\n    queues: [q]\n    skills: {billing: 7}\n",
     r"acd.yaml:6: agents\[0\].skills.billing: proficiency must be 1-5, got 7"),
    ("queues: {q: {}}\nagents:\n  - id: a1\n    queues: [nope]\n",
     r"acd.yaml:4: agents\[0\].queues\[0\]: unknown queue nope"),
    ("queues: {q: {}}\nagents:\n  - {id: a1, queues: [q]}\n  - {id: a1, queues: [q]}\n",
     r"acd.yaml:4: agents\[1\].id: agent a1 is defined twice"),
    ("queues: {q: {}}\nagents:\n  - {name: x, queues: [q]}\n", r"acd.yaml:3: agents\[0\]: missing id"),
    ("queues: {q: {}}\nagents:\n  - {id: a1, queues: [q], capacity: {fax: 1}}\n",
     r"agents\[0\].capacity.fax: unknown media"),
    ("queues: {q: {}}\nagents:\n  - {id: a1, queues: [q], capacity: {voice: 2}}\n",
     r"agents\[0\].capacity.voice: an agent takes at most one voice call"),
    ("queues: {q: {}}\nagents:\n  - {id: a1, queues: [q], languages: [en], fallback_languages: [en]}\n",
     r"agents\[0\].fallback_languages: en is already a language"),
    ("queues: {q: {}}\nagents:\n  - {id: a1}\n", r"agents\[0\].queues: agent a1 is in no queue"),
    ("queues:\n  q:\n    service_level: {target: 120}\n",
     r"acd.yaml:3: queues.q.service_level.target: a percentage is at most 100, got 120"),
    ("queues:\n  q:\n    service_level: {within: 0}\n", r"queues.q.service_level.within: must be at least 1"),
    ("queues:\n  q:\n    service_level: {goal: 80}\n", r"queues.q.service_level.goal: unknown key"),
])
def test_given_a_broken_file_when_parsed_then_one_line_names_file_line_and_key(text, message):
    with pytest.raises(AcdConfigError, match=message) as caught:
        parse(text, "acd.yaml")
    assert "\n" not in str(caught.value)
    assert caught.value.code == "acd.config.invalid"


def test_given_a_missing_file_when_loaded_then_it_says_so(tmp_path):
    with pytest.raises(AcdConfigError, match="nope.yaml: cannot read"):
        load(tmp_path / "nope.yaml")


def test_given_a_pause_reason_when_checked_then_only_configured_ones_and_no_answer_pass():
    config = parse("pause_reasons: [lunch]\n" + GOOD, "acd.yaml")
    config.check_pause_reason("lunch")
    config.check_pause_reason("no-answer")
    with pytest.raises(AcdConfigError, match="unknown pause reason nap"):
        config.check_pause_reason("nap")


def test_given_an_unknown_recording_policy_when_loaded_then_the_queue_key_is_named(tmp_path):
    from acd import config as acd_config
    from acd.errors import AcdError
    path = tmp_path / "acd.yaml"
    path.write_text("queues:\n  billing: {recording: sometimes}\nagents: []\n")
    with pytest.raises(AcdError, match=r"recording.*unknown recording policy 'sometimes'.*on-demand"):
        acd_config.load(path)


def test_given_recording_with_a_consent_prompt_then_policy_and_prompt_are_read_and_the_short_form_still_works():
    from acd import config as acd_config
    loaded = acd_config.parse(
        "queues:\n"
        "  billing: {recording: {policy: on-demand, consent: {say: {en: Recorded., fr: Enregistré.}}}}\n"
        "  support: {recording: never}\n"
        "  sales:\n    recording: {consent: [{play: sounds/consent.wav}]}\n", "acd.yaml")
    billing, support, sales = loaded.queues.values()
    assert (billing.recording, billing.consent) == ("on-demand", {"say": {"en": "Recorded.", "fr": "Enregistré."}})
    assert (support.recording, support.consent) == ("never", None)
    assert (sales.recording, sales.consent) == ("always", [{"play": "sounds/consent.wav"}]), "policy defaults to always"
    assert loaded.warnings == ()


def test_given_a_queue_that_records_always_without_consent_then_a_warning_names_file_line_and_queue():
    from acd import config as acd_config
    loaded = acd_config.parse("queues:\n  billing: {recording: always}\n  support: {}\n"
                              "  sales: {recording: never}\n", "acd.yaml")
    assert [str(w) for w in loaded.warnings] == [
        "acd.yaml:2: queues.billing.recording: queue billing records every call but plays no consent prompt "
        "(add recording: {policy: always, consent: {say: ...}})",
        "acd.yaml:3: queues.support.recording: queue support records every call but plays no consent prompt "
        "(add recording: {policy: always, consent: {say: ...}})",
    ], "the default policy is always: it warns too; never does not"


@pytest.mark.parametrize("recording, message", [
    ("{policy: sometimes}", r"acd.yaml:2: queues.billing.recording.policy: unknown recording policy 'sometimes'"),
    ("{policy: always, consent: 3}", r"acd.yaml:2: queues.billing.recording.consent: expected text"),
    ("{policy: always, consent: \"\"}", r"queues.billing.recording.consent: expected text"),
    ("{policy: always, when: now}", r"queues.billing.recording.when: unknown key \(known: policy, consent\)"),
])
def test_given_a_bad_recording_mapping_then_one_line_names_the_key(recording, message):
    from acd import config as acd_config
    from acd.errors import AcdConfigError
    with pytest.raises(AcdConfigError, match=message):
        acd_config.parse(f"queues:\n  billing: {{recording: {recording}}}\n", "acd.yaml")


@pytest.mark.parametrize("consent, message", [
    ("{say: 'Hello {caller}'}", "fixed text only here: no {variables}"),
    ("{play: sounds/consent.mp3}", "Asterisk cannot play sounds/consent.mp3"),
    ("{say: {xx: hi}}", "unknown language code 'xx'"),
    ("{sing: hi}", "expected text, {say: ...}, {play: ...} or a list of them"),
])
def test_given_a_consent_prompt_the_live_acd_could_not_play_then_prompt_specs_refuse_it(consent, message):
    from acd import config as acd_config
    from ivr.errors import FlowError
    from ivr.flows.prompt_specs import config_prompts
    loaded = acd_config.parse(f"queues:\n  billing: {{recording: {{policy: always, consent: {consent}}}}}\n", "acd.yaml")
    with pytest.raises(FlowError, match=re.escape(f"acd.yaml: queues.billing.recording.consent: {message}")):
        config_prompts(loaded.queues, loaded.source)


def test_given_the_shipped_acd_yaml_then_every_queue_that_records_always_has_a_consent_prompt():
    from acd import config as acd_config
    from ivr.flows.prompt_specs import config_prompts
    loaded = acd_config.load(ROOT / "acd.yaml")
    always = {name for name, queue in loaded.queues.items() if queue.recording == "always"}
    assert always and loaded.warnings == ()
    assert set(config_prompts(loaded.queues, loaded.source)) >= always
