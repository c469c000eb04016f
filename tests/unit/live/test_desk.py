"""Chats, emails and SMS in the live ACD (`Desk`), on a FakeAri: offers, capacity, restarts."""
from __future__ import annotations

import pytest

from acd.errors import UnknownInteraction
from acd.model import AgentState, Interaction, Media
from ivr.live.states import WorkState

pytestmark = pytest.mark.asyncio


def chat(n: int, now: float) -> Interaction:
    return Interaction(f"chat-{n}", "billing", Media.CHAT, {"billing": 1}, "en", 0, now, f"chat:v{n}")


async def test_given_an_agent_with_chat_capacity_two_when_three_chats_come_then_the_third_waits(start):
    running = await start(acd=True)
    service = running.acd
    service.agent_available("agent2", login=True)
    service.router.agents["agent2"].capacity = {Media.VOICE: 1, Media.CHAT: 2}
    service.router._reindex(service.router.agents["agent2"])
    items = [service.desk.submit(chat(n, service.clock())) for n in range(3)]
    assert [item.state for item in items] == [WorkState.OFFERED, WorkState.OFFERED, WorkState.WAITING]
    for item in items[:2]:
        service.desk.accept("agent2", item.interaction.id)
    with pytest.raises(UnknownInteraction):
        service.desk.accept("agent2", items[2].interaction.id)
    service.desk.close("agent2", items[0].interaction.id, "done")
    assert items[2].state is WorkState.OFFERED and items[2].agent_id == "agent2"
    assert running.ari.sent("POST", "/channels") == []  # nothing rang a phone


async def test_given_work_in_the_store_when_the_controller_restarts_then_it_is_back_in_place(start, live_config):
    first = await start(acd=True)
    service = first.acd
    service.agent_available("agent2", login=True)
    service.router.agents["agent2"].capacity = {Media.VOICE: 1, Media.CHAT: 1}
    service.router._reindex(service.router.agents["agent2"])
    accepted = service.desk.submit(chat(1, service.clock()))
    service.desk.accept("agent2", accepted.interaction.id)
    waiting = service.desk.submit(chat(2, service.clock()))
    assert waiting.state is WorkState.WAITING
    assert await service.journal.drain(5)
    second = await start(acd=True)  # a new controller on the same store (the first one's memory is lost to it)
    desk = second.acd.desk
    await second.until(lambda: len(desk.items) == 2, what="the work restored")
    assert desk.items["chat-1"].state is WorkState.ACCEPTED and desk.items["chat-1"].agent_id == "agent2"
    assert desk.items["chat-2"].state is WorkState.WAITING
    assert second.acd.router.agents["agent2"].state is AgentState.BUSY


async def test_given_a_channel_queue_missing_from_acd_yaml_when_built_then_one_line_names_it(live_config):
    from ivr.app import build
    from ivr.errors import ConfigError
    from ivr.testing.channel_config import with_channels
    from ivr.testing.fake_ari import FakeAri
    with pytest.raises(ConfigError) as caught:
        build(with_channels(live_config, chat={"queue": "nowhere"}), ari=FakeAri(), acd=True)
    message = str(caught.value)
    assert "channels.chat.queue: unknown queue nowhere (" in message and message.endswith("acd-test.yaml has: billing)")
