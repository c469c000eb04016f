"""The live engine on a FakeAri: built by the same composition root as `ivr serve`."""
from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from ivr import config as config_module
from ivr.app import build
from ivr.health import counters, failures
from ivr.testing.channel_config import without_channels
from ivr.testing.fake_ari import FakeAri

ROOT = Path(__file__).resolve().parents[3]
ACD_TESTS = ROOT / "tests/integration"


@pytest.fixture
def live_config(tmp_path):
    config = without_channels(config_module.load(ROOT / "ivr.yaml"))
    return dataclasses.replace(
        config,
        flows=dataclasses.replace(config.flows, dir=str(ACD_TESTS / "acd_flows"), routes={"100": "acd-test"}),
        acd=dataclasses.replace(config.acd, file=str(ACD_TESTS / "acd-test.yaml"),
                                store_url=f"sqlite:///{tmp_path}/acd.sqlite", record=False),
        media=dataclasses.replace(config.media, prompts_dir=str(tmp_path / "prompts")),
        metrics=dataclasses.replace(config.metrics, port=0),
        # No fixed port: an `ivr serve` beside the tests keeps 8090 and 8099 (0: any free port, lookup off).
        control=dataclasses.replace(config.control, port=0, token_file=str(tmp_path / "control.token")),
        lookup=dataclasses.replace(config.lookup, port=0))


class Running:
    def __init__(self, engine, ari: FakeAri):
        self.engine, self.ari = engine, ari
        self.controller = engine.controller
        self.acd = engine.acd

    async def until(self, condition, timeout: float = 5.0, what: str = "the condition"):
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if (found := condition()):
                return found
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}")

    def record(self, channel_id: str):
        return next((r for r in self.controller.finished if r.call_id == channel_id), None)


@pytest.fixture
async def start(live_config):
    """start(flow=None, acd=False) -> Running: the engine on a FakeAri, stopped after the test."""
    tasks = []

    async def starter(flow=None, acd: bool = False, config=None) -> Running:
        ari = FakeAri()
        engine = build(config or live_config, ari=ari, flow=flow, acd=acd)
        tasks.append(asyncio.create_task(engine.run()))
        running = Running(engine, ari)
        await running.until(engine.controller.connected.is_set, what="the controller to connect")
        return running

    counters.clear()
    failures.clear()
    yield starter
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
