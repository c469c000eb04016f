"""The live call port and `ivr flows check` apply the same rules (one definition each)."""
from __future__ import annotations

import pytest

from ivr.config import Config
from ivr.errors import FlowRuntimeError
from ivr.flows.nodes.transfer import SAFE_DESTINATION
from ivr.flows.port import Prompt, TransferRequest
from ivr.flows.prompt_specs import SOUND_FILE_EXTENSIONS
from ivr.live.call_port import LiveCallPort


def port() -> LiveCallPort:
    config = Config()
    config.media.pbx_flows_dir = "/var/lib/ivr/flows"
    return LiveCallPort(None, config, None, None, None, None)  # media() and the checks touch no call


@pytest.mark.parametrize("extension", SOUND_FILE_EXTENSIONS)
async def test_given_each_file_format_check_accepts_when_played_live_then_it_is_played_from_the_flows_dir(extension):
    assert await port().media(Prompt(play=f"sounds/jingle{extension}")) == "sound:/var/lib/ivr/flows/sounds/jingle"


async def test_given_an_asterisk_sound_name_when_played_live_then_asterisk_finds_it():
    assert await port().media(Prompt(play="digits/1")) == "sound:digits/1"


def test_given_an_mp3_when_checked_then_it_is_refused_with_how_to_convert_it(flow_dir):
    flow_dir.write("sounds/jingle.mp3", "ID3")
    flow_dir.write("s.yaml", "start: j\nnodes:\n  j: {play: sounds/jingle.mp3, next: bye}\n  bye: {hangup: true}\n")
    [problem] = flow_dir.problems()
    assert problem.startswith("flows/s.yaml:3:13: error: sound file 'sounds/jingle.mp3': Asterisk plays .wav, ")
    assert "sox sounds/jingle.mp3 -r 8000 -c 1 sounds/jingle.wav" in problem


@pytest.mark.parametrize("target, safe", [
    ("agent1", True), ("+15551234", True), ("2001", True), ("a" * 64, True),
    ("-agent", False), (".x", False), ("1;evil", False), ("PJSIP/x&y", False), ("", False), ("a" * 65, False),
])
async def test_given_a_destination_when_transferred_live_then_the_flow_languages_rule_decides(target, safe):
    assert bool(SAFE_DESTINATION.fullmatch(target)) is safe
    if not safe:
        with pytest.raises(FlowRuntimeError, match="refusing to transfer"):
            await port().transfer(TransferRequest(target, 10.0, None))


@pytest.mark.parametrize("target, valid", [("agent1", True), ("-agent", False), ("{number}", True)])
def test_given_a_transfer_destination_when_checked_then_the_same_rule_applies(flow_dir, target, valid):
    flow_dir.write("t.yaml", f'start: t\nnodes:\n  t: {{transfer: "{target}"}}\n')
    assert (flow_dir.problems() == []) is valid
