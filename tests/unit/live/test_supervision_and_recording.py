"""Supervision arrangements and QA recording on the FakeAri: which ARI objects each mode builds,
what a failed recording leaves in the store, the agent's in-call recording codes."""
from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from acd import qa_store
from ivr.app import build
from ivr.config import SupervisorConfig
from ivr.errors import NotYourQueue, UnknownSupervisedCall, UnknownSupervisor
from ivr.live.acd.offers import OFFER_ARG
from ivr.live.supervise import Mode
from ivr.live.supervise.sessions import SUPERVISE_ARG
from ivr.testing.fake_ari import FakeAri

ACD_TESTS = Path(__file__).resolve().parents[3] / "tests/integration"


async def bridged(running, caller="caller"):
    ari, acd = running.ari, running.acd
    acd.agent_available("agent2", login=True)
    ari.call(caller, exten="100", caller="5550003")
    offer = (await running.until(lambda: ari.sent("POST", r"^/channels$"), what="the offer"))[0][1]
    ari.call(offer["channelId"], args=[OFFER_ARG, caller], name="PJSIP/agent2-00000001")
    await running.until(lambda: len(ari.bridges.get(f"acd-{caller}", [])) == 2, what="the bridge")
    return offer["channelId"]


@pytest.fixture
def supervised_config(live_config):
    return dataclasses.replace(live_config, supervisors=[SupervisorConfig("boss", "pw", ["billing"]),
                                                         SupervisorConfig("sales-boss", "pw", ["sales"])])


async def test_given_a_supervisor_when_they_listen_whisper_barge_and_leave_then_snoops_and_bridges_follow(
        start, supervised_config):
    running = await start(acd=True, config=supervised_config)
    ari, acd = running.ari, running.acd
    agent_channel = await bridged(running)
    session = await acd.supervision.start("boss", "agent2", Mode.LISTEN, None)
    ring = ari.sent("POST", r"^/channels$")[-1][1]
    assert (ring["endpoint"], ring["appArgs"]) == ("PJSIP/boss", f"{SUPERVISE_ARG},{session.id}")
    ari.call(session.channel_id, args=[SUPERVISE_ARG, session.id], name="PJSIP/boss-00000002")
    own = f"sup-bridge-{session.id}"
    await running.until(lambda: len(ari.bridges.get(own, [])) == 2, what="the supervisor's bridge")
    snoop = ari.channels[ari.bridges[own][1]]
    assert (snoop["name"], snoop["spy"], snoop["whisper"]) == (f"Snoop/{agent_channel}", "both", "none")

    await acd.supervision.switch(session.id, Mode.WHISPER)
    whisper = ari.channels[ari.bridges[own][1]]
    assert (whisper["spy"], whisper["whisper"]) == ("both", "out") and snoop["id"] not in ari.channels

    await acd.supervision.switch(session.id, Mode.BARGE)
    assert ari.bridges["acd-caller"] == ["caller", agent_channel, session.channel_id]
    assert ari.bridges[own] == [] and whisper["id"] not in ari.channels

    await acd.supervision.leave(session.id)
    await running.until(lambda: own not in ari.bridges, what="the supervisor's bridge gone")
    assert ari.bridges["acd-caller"] == ["caller", agent_channel]
    assert await acd.journal.drain()
    [row] = qa_store.sessions(acd.store)
    assert [m for m, _ in row.modes] == ["listen", "whisper", "barge"] and row.outcome == "left"


async def test_given_a_supervisor_outside_the_queue_or_unknown_or_no_call_then_refused(start, supervised_config):
    running = await start(acd=True, config=supervised_config)
    await bridged(running)
    with pytest.raises(NotYourQueue, match="sales-boss may not supervise queue billing"):
        await running.acd.supervision.start("sales-boss", "caller", Mode.LISTEN, None)
    with pytest.raises(UnknownSupervisor):
        await running.acd.supervision.start("nobody", "caller", Mode.LISTEN, None)
    with pytest.raises(UnknownSupervisedCall, match="agent agent1 is on no call now"):
        await running.acd.supervision.start("boss", "agent1", Mode.LISTEN, None)
    assert not running.ari.sent("POST", r"^/channels$")[1:], "no supervisor phone was called"


async def test_given_asterisk_fails_a_recording_then_the_row_is_marked_failed_with_the_cause(start, live_config):
    config = dataclasses.replace(live_config, acd=dataclasses.replace(live_config.acd, record=True))
    running = await start(acd=True, config=config)
    ari, acd = running.ari, running.acd
    await bridged(running)
    [(path, params)] = ari.sent("POST", r"^/bridges/acd-caller/record$")
    ari.emit({"type": "RecordingFailed", "recording": {"name": params["name"], "cause": "disk full"}})
    ari.hang_up("caller")
    await running.until(lambda: (rows := qa_store.recordings(acd.store)) and rows[0].status != "recording",
                        what="the recording filed")
    [row] = qa_store.recordings(acd.store)
    assert row.status == "failed" and "disk full" in row.error


async def test_given_an_on_demand_queue_when_the_agent_presses_star_7_then_recording_starts(
        start, live_config, tmp_path):
    acd_file = tmp_path / "acd.yaml"
    acd_file.write_text((ACD_TESTS / "acd-test.yaml").read_text().replace(
        "    wrap_up: 3\n", "    wrap_up: 3\n    recording: on-demand\n"))
    config = dataclasses.replace(live_config, acd=dataclasses.replace(live_config.acd, record=True,
                                                                      file=str(acd_file)))
    running = await start(acd=True, config=config)
    agent_channel = await bridged(running)
    assert not running.ari.sent("POST", r"/record$"), "on demand: nothing recorded at bridging"
    running.ari.dtmf(agent_channel, "*")
    running.ari.dtmf(agent_channel, "7")
    await running.until(lambda: running.ari.sent("POST", r"^/bridges/acd-caller/record$"), what="*7 to record")
    running.ari.dtmf(agent_channel, "*")
    running.ari.dtmf(agent_channel, "8")
    await running.until(lambda: running.ari.sent("POST", r"^/recordings/live/.*/mute$"), what="*8 to pause")


async def test_given_supervision_leftovers_of_a_dead_controller_when_the_next_connects_then_they_are_removed(
        supervised_config):
    ari = FakeAri()
    ari.channels["sup-snoop-old"] = {"id": "sup-snoop-old", "name": "Snoop/x"}
    ari.bridges["sup-bridge-old"] = ["sup-snoop-old"]
    engine = build(supervised_config, ari=ari, acd=True)
    task = asyncio.create_task(engine.run())
    try:
        await asyncio.wait_for(engine.controller.connected.wait(), 5)
        assert "sup-snoop-old" not in ari.channels and "sup-bridge-old" not in ari.bridges
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
