"""The consent prompt of a recorded queue on the FakeAri: played to the end before the caller joins
the queue (so before any agent is rung or any recording starts); none for a queue that never records."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ivr.live.acd.offers import OFFER_ARG

ACD_TESTS = Path(__file__).resolve().parents[3] / "tests/integration"
CONSENT = ('    recording: {policy: %s, consent: [{say: "This call may be recorded for quality."}, '
           '{play: beep}]}\n')


def recorded_config(live_config, tmp_path, policy: str):
    acd_file = tmp_path / "acd.yaml"
    acd_file.write_text((ACD_TESTS / "acd-test.yaml").read_text().replace(
        "    wrap_up: 3\n", "    wrap_up: 3\n" + CONSENT % policy))
    return dataclasses.replace(live_config, acd=dataclasses.replace(live_config.acd, record=True, file=str(acd_file)))


async def answered(running, caller="caller"):
    ari = running.ari
    running.acd.agent_available("agent2", login=True)
    ari.call(caller, exten="100", caller="5550003")
    offer = (await running.until(lambda: ari.sent("POST", r"^/channels$"), what="the offer"))[0][1]
    interaction = offer["appArgs"].split(",", 1)[1]  # `caller~1` once moved to another queue
    ari.call(offer["channelId"], args=[OFFER_ARG, interaction], name="PJSIP/agent2-00000001")
    await running.until(lambda: len(ari.bridges.get(f"acd-{interaction}", [])) == 2, what="the bridge")


def order(ari, *patterns: str) -> list[int]:
    """The index in ARI's request log of the first command matching each "METHOD path-regex"."""
    found = []
    for method, pattern in (each.split(" ", 1) for each in patterns):
        found.append(next(i for i, (m, path, _) in enumerate(ari.requests) if m == method and re.search(pattern, path)))
    return found


async def test_given_a_queue_that_records_always_with_consent_then_it_is_played_before_the_offer_and_the_recording(
        start, live_config, tmp_path):
    running = await start(acd=True, config=recorded_config(live_config, tmp_path, "always"))
    await answered(running)
    ari = running.ari
    await running.until(lambda: ari.sent("POST", r"^/bridges/acd-caller/record$"), what="the recording")
    [(say_path, say), (_, beep)] = ari.sent("POST", r"^/channels/caller/play/")
    assert say["media"].startswith("sound:") and beep["media"] == "sound:beep", "TTS text, then the sound"
    said, music, offer, record = order(ari, f"POST ^{say_path}$", "POST ^/channels/caller/moh$", "POST ^/channels$",
                                       "POST ^/bridges/acd-caller/record$")
    assert said < music < offer < record, "consent, then the queue (music, the agent's phone), then the recording"

async def test_given_an_on_demand_queue_with_consent_then_the_caller_hears_it_before_queueing(
        start, live_config, tmp_path):
    running = await start(acd=True, config=recorded_config(live_config, tmp_path, "on-demand"))
    await answered(running)
    ari = running.ari
    play, offer = order(ari, "POST ^/channels/caller/play/", "POST ^/channels$")
    assert play < offer and not ari.sent("POST", r"/record$"), "consent heard; nothing recorded until *7"


async def test_given_a_queue_that_never_records_then_no_consent_is_played(start, live_config, tmp_path):
    running = await start(acd=True, config=recorded_config(live_config, tmp_path, "never"))
    await answered(running)
    assert not running.ari.sent("POST", r"^/channels/caller/play/"), "no consent for a queue that never records"
    assert not running.ari.sent("POST", r"/record$")


async def test_given_recording_off_in_ivr_yaml_then_no_consent_is_played(start, live_config, tmp_path):
    config = recorded_config(live_config, tmp_path, "always")
    config = dataclasses.replace(config, acd=dataclasses.replace(config.acd, record=False))
    running = await start(acd=True, config=config)
    await answered(running)
    assert not running.ari.sent("POST", r"^/channels/caller/play/"), "nothing is recorded, so nothing to consent to"


async def test_given_a_caller_moved_on_overflow_into_a_queue_whose_consent_it_never_heard_then_it_is_not_recorded(
        start, live_config, tmp_path):
    acd_file = tmp_path / "acd.yaml"
    acd_file.write_text(
        "queues:\n"
        "  billing: {recording: never, max_wait: 1, overflow: {queue: recorded}, announcements: {position: false,"
        " estimated_wait: false}}\n"
        "  recorded: {recording: {policy: always, consent: {say: \"This call may be recorded.\"}},"
        " announcements: {position: false, estimated_wait: false}}\n"
        "agents:\n  - {id: agent2, endpoint: agent2, queues: [recorded], skills: {billing: 3}, languages: [en]}\n")
    config = dataclasses.replace(live_config, acd=dataclasses.replace(live_config.acd, record=True, file=str(acd_file)))
    running = await start(acd=True, config=config)
    await answered(running)
    assert not running.ari.sent("POST", r"^/channels/caller/play/"), "billing never records: no consent there"
    assert not running.ari.sent("POST", r"/record$"), "no recording without the consent being heard"


async def test_given_the_caller_hangs_up_during_the_consent_then_it_never_joins_the_queue(
        start, live_config, tmp_path):
    running = await start(acd=True, config=recorded_config(live_config, tmp_path, "always"))
    ari = running.ari
    ari.playback_s = 30.0  # the consent is still playing when the caller goes
    running.acd.agent_available("agent2", login=True)
    ari.call("caller", exten="100", caller="5550003")
    await running.until(lambda: ari.sent("POST", r"^/channels/caller/play/"), what="the consent playing")
    ari.hang_up("caller")
    await running.until(lambda: running.record("caller"), what="the call to end")
    assert not ari.sent("POST", r"^/channels$") and not running.acd.router.waiting(), "never queued, no agent rung"


class HeardCall:
    """What the recorder needs of a call: its language, play and log (and to be weakly referenced)."""

    language = "en"

    def __init__(self):
        self.played: list[str] = []

    async def play(self, media: str, **_) -> None:
        self.played.append(media)

    def log(self, *_, **__) -> None:
        pass


async def test_given_a_call_queued_twice_then_it_hears_the_consent_once(start, live_config, tmp_path):
    running = await start(acd=True, config=recorded_config(live_config, tmp_path, "always"))
    call = HeardCall()
    await running.acd.recorder.consent(call, "billing")
    await running.acd.recorder.consent(call, "billing")  # a second queue node of the same call
    assert len(call.played) == 2 and call.played[1] == "sound:beep", "the say and the play, once"
