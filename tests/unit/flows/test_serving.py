from pathlib import Path

import pytest

from ivr.config import Config
from ivr.errors import FlowsRefused
from ivr.flows.loader import load_flows
from ivr.live.flow_service import FlowLibrary, FlowService, static_prompts

SHIPPED = Path(__file__).resolve().parents[3] / "flows"


def test_given_the_shipped_flows_when_listing_fixed_prompts_then_templates_are_left_out():
    prompts = static_prompts(load_flows(SHIPPED))
    assert ("Thank you for calling Acme. For English, press 1.", "en") in prompts
    assert ("Désolé, ce choix n'est pas valide.", "fr") in prompts
    assert not [text for text, _ in prompts if "{" in text]


def test_given_a_loaded_library_when_a_file_breaks_then_refresh_keeps_the_previous_version(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nstart: s\nnodes:\n  s: {hangup: true}\n")
    library = FlowLibrary(tmp_path)
    first = library.load()
    (tmp_path / "a.yaml").write_text("name: a\nstart: s\nnodes:\n  s: {say: hi, next: nowhere}\n")
    assert library.refresh() is False
    assert library.current is first
    (tmp_path / "a.yaml").write_text("name: a\nstart: s\nnodes:\n  s: {say: hi, next: t}\n  t: {hangup: true}\n")
    assert library.refresh() is True
    assert library.current is not first and set(library.current.flows["a"].nodes) == {"s", "t"}


def test_given_speech_models_without_the_shipped_flows_language_when_serving_then_the_flows_are_refused(tmp_path):
    config = Config(source=str(tmp_path / "ivr.yaml"))
    config.flows.dir = str(SHIPPED)
    config.acd.file = str(tmp_path / "no-acd.yaml")
    config.speech.models = {"ko": str(tmp_path / "model")}
    with pytest.raises(FlowsRefused, match=r"support-line.yaml:36:3: error: listens in 'en', which has no speech model"):
        FlowService.from_config(config)
