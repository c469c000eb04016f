"""Given keys pressed while on hold, the menu after the queue does not take them as answers."""
from __future__ import annotations

import dataclasses
from pathlib import Path


async def test_given_a_key_pressed_on_hold_when_the_queue_overflows_to_a_menu_then_the_menu_waits_for_a_new_key(
        start, live_config):
    config = dataclasses.replace(live_config, flows=dataclasses.replace(
        live_config.flows, dir=str(Path(__file__).parent / "hold_flows"), routes={"100": "hold-keys"}))
    running = await start(acd=True, config=config)
    running.ari.call("c1", exten="100")
    await running.until(lambda: "c1" in running.acd.waiters, what="the caller on hold")
    running.ari.dtmf("c1", "1")
    await running.until(lambda: running.controller.calls["c1"].record.digits == ["1"], what="the key")
    running.acd.waiters["c1"].end("overflow")  # as the router's max wait would
    record = await running.until(lambda: running.record("c1"), what="the call to end")
    assert record.outcome.visited == ["wait", "ask", "none"]
