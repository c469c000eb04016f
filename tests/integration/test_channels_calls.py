"""Calls and conversations in one ACD and one customer timeline, on the real PBX with SIPp."""
from __future__ import annotations

import json

import pytest
from websockets.sync.client import connect

from acd.model import AgentState, Media
from channels_support import HERE, serving_channels, until
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.scripted_caller import caller_scenario


@pytest.fixture(scope="module")
def serving(config, pbx, tmp_path_factory):
    with serving_channels(config, tmp_path_factory.mktemp("calls"), chat={}, flows_dir=HERE / "channel_flows",
                          routes={"100": "acd-test", "101": "returning"}) as serving:
        password = next(a.password for a in serving.config.agents if a.id == "agent1")
        phone = AgentPhone("agent1", password, target=f"127.0.0.1:{serving.config.sip.port}",
                           answer_after_ms=300).start()
        try:
            yield serving
        finally:
            phone.stop()


@pytest.fixture
def acd(serving):
    yield serving
    serving.logout_all()


def open_chat(serving, text: str):
    chat = serving.config.channels.chat
    ws = connect(f"ws://{chat.host}:{chat.port}/ws").__enter__()  # closed by the test
    while json.loads(ws.recv(timeout=10))["type"] != "welcome":
        pass
    ws.send(json.dumps({"type": "message", "text": text}))
    while (frame := json.loads(ws.recv(timeout=10)))["type"] != "conversation":
        pass
    return ws, frame["conversation"]


def call(serving, caller: str, service: str = "100", hang_up_after_ms: int = 6000):
    return sipp.start_calls(caller_scenario([f"wait {hang_up_after_ms}"], end="hangup"), service=service,
                            target=f"127.0.0.1:{serving.config.sip.port}", caller=caller, timeout_s=60)


def finish(started) -> None:
    result = sipp.finish(*started, 90)
    assert result.returncode == 0, result.output[-1500:]


def voice_waiting(serving) -> list:
    return [i for i in serving.service.router.waiting("billing") if i.media is Media.VOICE]


def test_given_an_agent_with_two_chats_open_when_a_call_arrives_then_it_waits_until_the_chats_close(acd):
    acd.login("agent1")
    chats = [open_chat(acd, f"chat {n}") for n in (1, 2)]
    for _, conversation in chats:
        acd.workspace.wait_offer("agent1", "chat", conversation=conversation)
        acd.workspace.act("agent1", conversation, "accept")
    agent = acd.service.router.agents["agent1"]
    assert (agent.state, agent.load[Media.CHAT]) == (AgentState.BUSY, 2)
    caller = call(acd, "5550301", hang_up_after_ms=9000)
    waiting = until(lambda: voice_waiting(acd), 15, "the call in the queue")
    # the mixing rule: an agent on chats takes no call; the call waits, and says why
    lines = acd.workspace.ok("GET", f"/interactions/{waiting[0].id}/explain")["lines"]
    assert any("agent1" in line and "busy" in line for line in lines), lines
    until(lambda: acd.service.clock() - waiting[0].enqueued_at > 2, 5, "two seconds of waiting")
    assert agent.state is AgentState.BUSY and not agent.load.get(Media.VOICE)
    for ws, conversation in chats:
        acd.workspace.act("agent1", conversation, "close", {"disposition": "done"})
        ws.close()
    row = until(lambda: (r := acd.row(waiting[0].id)) is not None and r.status == "answered" and r, 15,
                "agent1 to answer the call")
    assert row.agent_id == "agent1"
    finish(caller)


def test_given_a_chat_customer_when_they_later_call_then_the_flow_knows_it_and_the_agent_sees_the_chat(acd):
    acd.login("agent1")
    ws, conversation = open_chat(acd, "Can I pay by card?")
    acd.workspace.wait_offer("agent1", "chat", conversation=conversation)
    acd.workspace.act("agent1", conversation, "accept")
    acd.workspace.act("agent1", conversation, "reply", {"text": "Yes. Call us to do it."})
    acd.workspace.act("agent1", conversation, "close", {"disposition": "answered"})
    ws.close()
    # the caller's number is a customer of its own until the agent merges the two
    hub = acd.hub
    phone_customer = acd.thread.call(lambda: hub.db(hub.contacts.customer_for, "phone", "5550302"))
    chat_customer = acd.workspace.ok("GET", f"/conversations/{conversation}")["customer"]["id"]
    merged = acd.workspace.ok("POST", "/customers/merge", {"from": chat_customer, "into": phone_customer})
    assert merged["customer"]["identities"][0].startswith("chat:") and "phone:5550302" in merged["customer"]["identities"]

    caller = call(acd, "5550302", service="101", hang_up_after_ms=6000)
    voice = until(lambda: next((w for w in acd.workspace.inbox("agent1")["work"] if w["media"] == "voice"), None),
                  15, "the call in agent1's inbox")
    assert voice["customer_id"] == phone_customer
    timeline = acd.workspace.ok("GET", f"/customers/{voice['customer_id']}")["timeline"]
    chat = next(entry for entry in timeline if entry["kind"] == "chat")
    assert [m["body"] for m in chat["messages"]] == ["Can I pay by card?", "Yes. Call us to do it."]
    assert acd.row(voice["interaction"]).priority == 5  # `last_contact.media == "chat"` in the flow
    finish(caller)
    until(lambda: any(e["kind"] == "voice" and e["path"] for e in
                      acd.workspace.ok("GET", f"/customers/{phone_customer}")["timeline"]), 10, "the call noted")
    noted = [e for e in acd.workspace.ok("GET", f"/customers/{phone_customer}")["timeline"] if e["kind"] == "voice"]
    assert noted[-1]["flow"] == "returning" and noted[-1]["path"].startswith("route>after_chat")
    assert noted[-1]["agent"] == "agent1" and noted[-1]["outcome"] == "answered"
