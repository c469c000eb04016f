"""Given an event Asterisk or the recognizer never sends (a RecordingFinished, a final result, an
offer's hang-up), the wait ends within its bound with its defined outcome; no agent is left ringing."""
from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from acd.model import AgentState
from ivr.flows.runner import ERROR, HANGUP
from ivr.live.acd import offers
from ivr.live.call import APOLOGY, Call
from ivr.speech import listen

FAULT_FLOWS = Path(__file__).parent / "fault_flows"


def agent_states(running) -> dict[str, AgentState]:
    return {agent_id: agent.state for agent_id, agent in running.acd.router.agents.items()}


def originates(ari) -> list[dict]:
    return [params for path, params in ari.sent("POST", r"^/channels$")]


async def start_fault_flows(start, live_config):
    config = dataclasses.replace(live_config, flows=dataclasses.replace(
        live_config.flows, dir=str(FAULT_FLOWS), routes={"300": "record-lost", "301": "record-lost-bare"}))
    return await start(acd=True, config=config)


async def test_given_a_lost_recording_finished_when_a_message_is_recorded_then_the_flow_goes_on_at_failed(
        start, live_config, monkeypatch):
    monkeypatch.setattr(Call, "recording_margin_s", 0.1)
    running = await start_fault_flows(start, live_config)
    before = agent_states(running)
    running.ari.call("rec", exten="300", caller="5550100")  # Asterisk records, but never reports the end
    record = await running.until(lambda: running.record("rec"), timeout=5, what="the call to end")
    assert running.ari.sent("POST", r"^/recordings/live/lost-5550100-[^/]+/stop$"), "the recording is stopped"
    assert record.outcome.kind == HANGUP and record.outcome.visited == ["message", "sorry"]
    assert "did not finish within" in record.outcome.variables["flow_error"]
    assert record.error is None and APOLOGY not in [media for media, _ in record.played]
    assert agent_states(running) == before == {a: AgentState.LOGGED_OUT for a in before}


async def test_given_a_lost_recording_finished_in_a_flow_without_failed_then_the_caller_hears_an_apology(
        start, live_config, monkeypatch):
    monkeypatch.setattr(Call, "recording_margin_s", 0.1)
    running = await start_fault_flows(start, live_config)
    running.ari.call("bare", exten="301", caller="5550101")
    record = await running.until(lambda: running.record("bare"), timeout=5, what="the call to end")
    assert record.outcome.kind == ERROR and record.outcome.visited == ["message"]
    assert "did not finish within" in record.error
    assert record.played[-1] == (APOLOGY, "finished")
    assert running.ari.sent("DELETE", r"^/channels/bare$"), "the call is hung up"
    assert set(agent_states(running).values()) == {AgentState.LOGGED_OUT}


class SilentRecognizer:
    """The caller spoke, but the recognizer never gives its result nor its final words."""

    def __init__(self):
        self.speaking = asyncio.Event()
        self.speaking.set()
        self.result: asyncio.Future = asyncio.get_running_loop().create_future()
        self.finishing = 0

    async def finish(self):
        self.finishing += 1
        await asyncio.Event().wait()  # never


async def test_given_a_recognizer_that_never_finishes_when_the_caller_spoke_then_an_empty_answer_comes_in_time(
        monkeypatch):
    monkeypatch.setattr(listen, "FINAL_RESULT_S", 0.05)
    recognition = SilentRecognizer()
    started = asyncio.get_running_loop().time()
    heard = await asyncio.wait_for(listen.await_answer(recognition, asyncio.Queue(), timeout_s=0.05,
                                                       max_utterance_s=0.05), 2)
    assert heard == listen.Heard() and not heard.text and heard.key is None
    assert recognition.finishing == 1
    assert asyncio.get_running_loop().time() - started < 1


async def test_given_an_offer_whose_ringing_never_ends_then_the_agent_is_as_before_and_the_caller_keeps_its_place(
        start, monkeypatch):
    monkeypatch.setattr(offers, "RING_BACKSTOP_S", 0.2)
    running = await start(acd=True)
    ari, acd = running.ari, running.acd
    queues = acd.router.queues
    queues["billing"] = dataclasses.replace(queues["billing"], ring_timeout_s=0.1)
    ari.call("first", exten="100", caller="5550001")
    ari.call("second", exten="100", caller="5550002")
    await running.until(lambda: len(acd.router.waiting()) == 2, what="both callers queued")
    acd.agent_available("agent2", login=True)  # rings agent2 for "first"; Asterisk never says how it ended
    await running.until(lambda: len(originates(ari)) >= 2, what="the offer given up and made again")
    first, again = originates(ari)[:2]
    assert first["appArgs"] == again["appArgs"] == f"{offers.OFFER_ARG},first"  # the same caller, still first
    assert ari.sent("DELETE", rf"^/channels/{first['channelId']}$"), "the silent offer is hung up"
    assert [i.id for i in acd.router.waiting()] == ["second"]
    assert "first" in acd.waiters and not running.record("first"), "the caller is still on hold"
    states = agent_states(running)
    assert states.pop("agent2") is AgentState.RINGING  # ringing again, for the next offer
    assert set(states.values()) == {AgentState.LOGGED_OUT}
    assert await acd.journal.drain()
    log = [(c.from_state, c.to_state) for c in acd.store.state_log("agent2")][:3]
    assert log == [(AgentState.LOGGED_OUT, AgentState.AVAILABLE), (AgentState.AVAILABLE, AgentState.RINGING),
                   (AgentState.RINGING, AgentState.AVAILABLE)]  # not paused: Asterisk, not the agent, went silent
