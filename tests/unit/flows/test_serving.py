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


GOOD = "name: a\nstart: s\nnodes:\n  s: {hangup: true}\n"


def test_given_a_loaded_library_when_an_alias_bomb_lands_beside_it_then_reload_refuses_it_and_keeps_serving(
        tmp_path, capsys):
    from ivr import log
    from ivr.testing.hostile import BILLION_LAUGHS

    log.setup("info")
    (tmp_path / "a.yaml").write_text(GOOD)
    library = FlowLibrary(tmp_path)
    first = library.load()
    (tmp_path / "bomb.yaml").write_text(BILLION_LAUGHS)
    assert library.refresh() is False
    assert library.current is first
    refused = [line for line in capsys.readouterr().err.splitlines() if "flows.reload_refused" in line]
    assert len(refused) == 1 and "bomb.yaml:" in refused[0] and "alias bomb" in refused[0]


def test_given_the_flows_dir_disappears_when_refreshed_then_one_error_the_last_version_serves_and_it_resumes(
        tmp_path, capsys):
    from ivr import log

    log.setup("info")
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.yaml").write_text(GOOD)
    library = FlowLibrary(flows)
    first = library.load()
    flows.rename(tmp_path / "away")
    assert [library.refresh(), library.refresh(), library.refresh()] == [False, False, False]
    flows.write_text("now a file, not a directory")
    assert library.refresh() is False
    assert library.current is first and library.unavailable
    err = capsys.readouterr().err
    assert err.count("event=flows.dir_unavailable") == 1 and "serving=\"the last good version\"" in err

    flows.unlink()
    (tmp_path / "away").rename(flows)
    (flows / "a.yaml").write_text(GOOD.replace("s: {hangup: true}", "s: {say: back, next: t}\n  t: {hangup: true}"))
    assert library.refresh() is True
    assert library.unavailable is None and set(library.current.flows["a"].nodes) == {"s", "t"}
    assert "event=flows.dir_back" in capsys.readouterr().err


async def test_given_a_refresh_that_raises_when_watching_then_the_watch_logs_it_and_goes_on(tmp_path, capsys):
    import asyncio

    from ivr import log

    log.setup("info")
    (tmp_path / "a.yaml").write_text(GOOD)
    library = FlowLibrary(tmp_path)
    library.load()
    calls = []

    def refresh():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in the loader")
        return True

    library.refresh = refresh
    reloaded = asyncio.Event()
    watch = asyncio.create_task(library.watch(interval_s=0.01, on_reload=reloaded.set))
    await asyncio.wait_for(reloaded.wait(), 2)
    watch.cancel()
    assert len(calls) >= 2 and "event=flows.watch_failed" in capsys.readouterr().err
