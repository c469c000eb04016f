"""Web chat into the ACD: a real WebSocket client, the real listener, the workspace over real HTTP."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from websockets.sync.client import connect

from acd.model import AgentState

from channels_support import serving_channels, until


@pytest.fixture(scope="module")
def serving(config, pbx, tmp_path_factory):
    with serving_channels(config, tmp_path_factory.mktemp("chat"), chat={}) as serving:
        yield serving


@pytest.fixture
def acd(serving):
    yield serving
    serving.logout_all()


def chat_url(serving, visitor: str = "") -> str:
    chat = serving.config.channels.chat
    return f"ws://{chat.host}:{chat.port}/ws" + (f"?visitor={visitor}" if visitor else "")


def receive(ws, kind: str, timeout: float = 10.0) -> dict:
    """The next frame of `kind`, skipping others."""
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        if frame["type"] == kind:
            return frame


def test_given_a_visitor_when_it_chats_then_an_agent_accepts_replies_and_after_a_reconnect_the_chat_resumes(acd):
    acd.login("agent1")
    with connect(chat_url(acd)) as ws:
        welcome = receive(ws, "welcome")
        assert welcome["conversation"] is None
        visitor = welcome["visitor"]
        ws.send(json.dumps({"type": "message", "text": "Hello, my invoice is wrong"}))
        conversation = receive(ws, "conversation")["conversation"]
        offer = acd.workspace.wait_offer("agent1", "chat")
        assert offer["conversation"] == conversation and offer["last"]["body"] == "Hello, my invoice is wrong"
        acd.workspace.act("agent1", conversation, "accept")
        assert receive(ws, "agent")["name"] == "Amy One"
        acd.workspace.act("agent1", conversation, "reply", {"text": "Let me look at it."})
        assert receive(ws, "message")["body"] == "Let me look at it."
    with connect(chat_url(acd, visitor)) as ws:
        again = receive(ws, "welcome")
        assert again["conversation"] == conversation and again["agent"] == "Amy One"
        assert [m["body"] for m in again["history"]] == ["Hello, my invoice is wrong", "Let me look at it."]
        ws.send(json.dumps({"type": "message", "text": "Thanks"}))
        assert receive(ws, "message")["body"] == "Thanks"
        acd.workspace.act("agent1", conversation, "close", {"disposition": "resolved"})
        assert receive(ws, "closed")["disposition"] == "resolved"
    row = acd.row(conversation)
    assert (row.media, row.status, row.outcome, row.agent_id) == ("chat", "ended", "answered", "agent1")
    messages = acd.thread.call(lambda: acd.hub.db(acd.hub.contacts.messages, conversation))
    assert [(m.direction, m.body) for m in messages] == [
        ("in", "Hello, my invoice is wrong"), ("out", "Let me look at it."), ("in", "Thanks")]
    assert acd.service.router.agents["agent1"].state is AgentState.AVAILABLE


def test_given_an_offer_when_the_agent_declines_then_it_goes_back_to_its_place_and_the_agent_is_paused(acd):
    acd.login("agent1")
    with connect(chat_url(acd)) as ws:
        receive(ws, "welcome")
        ws.send(json.dumps({"type": "message", "text": "anyone?"}))
        conversation = receive(ws, "conversation")["conversation"]
        acd.workspace.wait_offer("agent1", "chat")
        acd.workspace.act("agent1", conversation, "decline")
        agent = acd.service.router.agents["agent1"]
        assert (agent.state, agent.pause_reason) == (AgentState.PAUSED, "no-answer")
        assert [i.id for i in acd.service.router.waiting("billing")] == [conversation]
        acd.on_loop(lambda: acd.service.agent_available("agent1"))
        acd.workspace.wait_offer("agent1", "chat")
        until(lambda: acd.row(conversation).status == "offered", 5, "the offer in the store")
        # not accepted within the queue's ring time (8 s): like a ring-no-answer
        until(lambda: agent.state is AgentState.PAUSED, 12, "the offer to time out")
        assert acd.row(conversation).status == "waiting"
        acd.on_loop(lambda: acd.service.agent_available("agent1"))
        acd.workspace.wait_offer("agent1", "chat")
        acd.workspace.act("agent1", conversation, "accept")
        acd.workspace.act("agent1", conversation, "close", {"disposition": "spam"})


def test_given_bad_frames_when_a_visitor_sends_them_then_each_is_refused_and_nothing_is_stored(acd):
    acd.login("agent1")
    with connect(chat_url(acd)) as ws:
        receive(ws, "welcome")
        ws.send(json.dumps({"type": "message", "text": "first"}))
        conversation = receive(ws, "conversation")["conversation"]
        ws.send(b'{"type": "message", "text": "\xff\xfe broken"}')
        assert receive(ws, "error")["error"] == "messages must be UTF-8 text"
        ws.send("not json")
        assert receive(ws, "error")["error"] == "messages must be JSON"
        ws.send(json.dumps({"type": "message", "text": "x" * 5000}))
        assert "at most 4000" in receive(ws, "error")["error"]
        ws.send(json.dumps({"type": "message", "text": "second"}))
        assert receive(ws, "message")["body"] == "second"
    messages = acd.thread.call(lambda: acd.hub.db(acd.hub.contacts.messages, conversation))
    assert [m.body for m in messages] == ["first", "second"]
    offer = acd.workspace.wait_offer("agent1", "chat")
    acd.workspace.act("agent1", offer["conversation"], "accept")


def test_given_a_page_of_another_site_when_it_opens_the_chat_socket_then_it_is_refused(acd):
    from websockets.exceptions import InvalidStatus
    with pytest.raises(InvalidStatus) as refused:
        connect(chat_url(acd), origin="http://evil.example")
    assert refused.value.response.status_code == 403


def run_cli(serving, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "IVR_CONTROL_PORT": str(serving.config.control.port),
           "IVR_CONTROL_TOKEN_FILE": serving.config.control.token_file}
    return subprocess.run([sys.executable, "-m", "ivr", *args], capture_output=True, text=True, env=env, timeout=30)


def test_given_a_chat_in_hand_when_the_agent_asks_the_terminal_then_inbox_and_customer_show_it(acd):
    acd.login("agent1")
    with connect(chat_url(acd)) as ws:
        receive(ws, "welcome")
        ws.send(json.dumps({"type": "message", "text": "Is my order shipped?"}))
        conversation = receive(ws, "conversation")["conversation"]
        acd.workspace.wait_offer("agent1", "chat", conversation=conversation)
        offered = run_cli(acd, "agents", "inbox", "agent1")
        assert offered.returncode == 0, offered.stderr
        assert f"offered   chat   {conversation}" in offered.stdout and "Is my order shipped?" in offered.stdout
        acd.workspace.act("agent1", conversation, "accept")
        customer = acd.workspace.ok("GET", f"/conversations/{conversation}")["customer"]["id"]
    shown = run_cli(acd, "customers", "show", str(customer))
    assert shown.returncode == 0 and "Is my order shipped?" in shown.stdout
    unknown = run_cli(acd, "customers", "show", "999999")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "Error: unknown customer 999999"
    page = run_cli(acd, "agents", "workspace", "agent1")
    assert page.stdout.strip().endswith(f"/workspace#token={acd.workspace.token}&agent=agent1")
