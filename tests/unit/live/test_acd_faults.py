"""Given faults around the live ACD (Asterisk not answering an offer, a ticker bug, a store that
refuses or goes away), no agent stays ringing, no caller loses its place, the store catches up."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from acd.model import AgentState
from acd.store import Store
from ivr.errors import AriTimeout
from ivr.health import counters
from ivr.live.acd.journal import StoreJournal
from ivr.live.acd.offers import OFFER_ARG


def originates(ari) -> list[dict]:
    return [params for path, params in ari.sent("POST", r"^/channels$")]


async def waiting_ids(running) -> list[str]:
    return [interaction.id for interaction in running.acd.router.waiting()]


async def test_given_asterisk_not_answering_an_offer_then_the_agent_and_the_caller_are_as_before(start):
    running = await start(acd=True)
    ari, acd = running.ari, running.acd
    ari.fail("POST", r"^/channels$", AriTimeout("ARI POST /channels: no answer within 10 s"), times=1)
    ari.call("first", exten="100", caller="5550001")
    ari.call("second", exten="100", caller="5550002")
    await running.until(lambda: len(acd.router.waiting()) == 2, what="both callers queued")
    acd.agent_available("agent2", login=True)  # the first caller is offered to agent2; Asterisk never answers
    await running.until(lambda: len(originates(ari)) == 2, what="the offer to be made again")
    first, again = originates(ari)
    assert first["appArgs"] == again["appArgs"] == f"{OFFER_ARG},first"  # the same caller, still first
    assert ari.sent("DELETE", rf"^/channels/{first['channelId']}$"), "the unanswered offer is hung up"
    assert acd.router.agents["agent2"].state is AgentState.RINGING  # ringing again, for the real offer
    assert [i.id for i in acd.router.waiting()] == ["second"]
    assert await acd.journal.drain()
    log = [(c.from_state, c.to_state) for c in acd.store.state_log("agent2")]
    assert log == [(AgentState.LOGGED_OUT, AgentState.AVAILABLE), (AgentState.AVAILABLE, AgentState.RINGING),
                   (AgentState.RINGING, AgentState.AVAILABLE), (AgentState.AVAILABLE, AgentState.RINGING)]
    assert counters["acd.offer_failed"] == 1


async def test_given_an_offer_answered_then_hung_up_then_the_agent_wraps_up_and_the_store_agrees(start):
    running = await start(acd=True)
    ari, acd = running.ari, running.acd
    acd.agent_available("agent2", login=True)
    ari.call("caller", exten="100", caller="5550003")
    offer = (await running.until(lambda: originates(ari), what="the offer"))[0]
    ari.call(offer["channelId"], args=[OFFER_ARG, "caller"], name="PJSIP/agent2-00000001")
    await running.until(lambda: ari.bridges.get("acd-caller") == ["caller", offer["channelId"]],
                        what="the bridge")
    ari.hang_up("caller")
    await running.until(lambda: acd.router.agents["agent2"].state is AgentState.WRAP_UP, what="wrap-up")
    await running.until(lambda: offer["channelId"] not in ari.channels, what="the agent's side hung up")
    assert await acd.journal.drain()
    row = acd.store.ended()[0]
    assert (row.id, row.outcome, row.agent_id) == ("caller", "answered", "agent2")
    assert "acd-caller" not in ari.bridges


async def test_given_a_ticker_that_raises_then_it_is_restarted_and_time_goes_on(start):
    running = await start(acd=True)
    ari, router = running.ari, running.acd.router
    ari.call("holding", exten="100", caller="5550004")
    await running.until(lambda: router.waiting(), what="the caller queued")
    states_before = {agent_id: agent.state for agent_id, agent in router.agents.items()}
    real_tick, calls = router.tick, []

    def tick(now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("a bug in one tick")
        return real_tick(now)
    router.tick = tick
    await running.until(lambda: len(calls) >= 3, what="ticks after the failure")
    assert counters["acd.loop_failed"] == 1
    assert [i.id for i in router.waiting()] == ["holding"] and running.record("holding") is None
    assert "holding" in running.controller.calls and not counters["call.failed"]
    assert {agent_id: agent.state for agent_id, agent in router.agents.items()} == states_before
    running.acd.agent_available("agent2", login=True)  # the engine still routes: the caller is offered
    offer = (await running.until(lambda: originates(ari), what="the offer"))[0]
    assert offer["appArgs"] == f"{OFFER_ARG},holding"
    assert router.agents["agent2"].state is AgentState.RINGING


async def test_given_a_caller_id_longer_than_the_store_keeps_then_the_caller_is_queued_and_stored(start):
    running = await start(acd=True)
    long_caller = "5" * 500
    running.ari.call("long", exten="100", caller=long_caller)
    await running.until(lambda: running.acd.router.waiting(), what="the caller queued")
    assert await running.acd.journal.drain()
    assert counters["acd.store.write_refused"] == 0
    with running.acd.store.engine.connect() as connection:
        (customer,) = connection.execute(sa.text("select customer from acd_interactions")).one()
    assert customer == long_caller[:Store.CUSTOMER_CHARS]


async def test_given_a_postgresql_store_when_a_caller_id_is_too_long_then_nothing_is_refused(start, live_config,
                                                                                              store_url):
    config = dataclasses.replace(live_config, acd=dataclasses.replace(live_config.acd, store_url=store_url))
    running = await start(acd=True, config=config)
    running.ari.call("long", exten="100", caller="4" * 300)
    await running.until(lambda: running.acd.router.waiting(), what="the caller queued")
    assert await running.acd.journal.drain()
    assert counters["acd.store.write_refused"] == 0
    assert [i.id for i in running.acd.store.waiting()] == ["long"]


def test_given_a_store_outage_then_writes_wait_in_order_and_land_when_it_is_back(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/acd.sqlite")
    journal = StoreJournal(store, name="test.store")
    landed, outage = [], {"left": 3}

    def write(n):
        def apply(writer):
            if outage["left"]:
                outage["left"] -= 1
                raise sa.exc.OperationalError("connect", {}, ConnectionRefusedError("the store is down"))
            landed.append(n)
        return apply
    for n in range(5):
        journal.submit(f"w{n}", write(n))
    assert journal.wait_idle(10)
    assert landed == [0, 1, 2, 3, 4] and counters["test.store.retries"] == 3
    journal.close()


def test_given_a_write_the_store_refuses_then_it_is_counted_and_later_writes_land(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/acd.sqlite")
    journal = StoreJournal(store, name="test.store")
    landed = []

    def refused(writer):
        raise sa.exc.IntegrityError("insert", {}, ValueError("duplicate key"))
    journal.submit("bad", refused)
    journal.submit("good", lambda writer: landed.append("good"))
    assert journal.wait_idle(10)
    assert landed == ["good"] and counters["test.store.write_refused"] == 1
    journal.close()
